// Security of the configuration and of every file Lodestone writes (issue 10): protected configs
// (enable-protected-configs / enable-debug-command), plain file names for dbfilename and
// appendfilename, no file aimed at another one, hostile CONFIG SET values, maxclients against the
// open-file limit, module_dir symbolic links, and WASM functions confined to their caller's database.
// Each test attacks over a real socket; the differential part compares the texts with redis-server.

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import wabtInit from 'wabt';
import { PARAMS } from '../../src/config/schema.js';
import { Config } from '../../src/config/config.js';
import { adjustOpenFilesLimit } from '../../src/server/fd-limit.js';
import { allowProtectedAction, isLoopbackAddress } from '../../src/server/protected-action.js';
import type { Client } from '../../src/server/client.js';
import { RawClient } from '../helpers/raw-client.js';
import type { RespValue } from '../helpers/resp.js';
import { until } from '../helpers/poll.js';
import {
  HAVE_REDIS_SERVER,
  LodestoneHandle,
  ROOT,
  skipReason,
  startLodestone,
  startLodestoneProcess,
  startRedis,
} from '../helpers/servers.js';
import { spawnSync } from 'node:child_process';

const OK: RespValue = { t: 'status', v: 'OK' };
const errText = (v: RespValue): string => {
  if (v.t !== 'error') throw new Error(`expected an error, got ${JSON.stringify(v)}`);
  return v.v;
};
const setFailed = (arg: string, why: string) => `ERR CONFIG SET failed (possibly related to argument '${arg}') - ${why}`;
const DEBUG_REFUSED =
  'ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.';

async function withServer<T>(overrides: Record<string, string>, fn: (c: RawClient, h: LodestoneHandle) => Promise<T>): Promise<T> {
  const h = await startLodestone(overrides);
  const c = await RawClient.connect(h.port);
  try {
    return await fn(c, h);
  } finally {
    c.close();
    await h.close();
  }
}

describe('protected configs (enable-protected-configs no, the default)', () => {
  let h: LodestoneHandle;
  let c: RawClient;
  beforeAll(async () => {
    h = await startLodestone();
    c = await RawClient.connect(h.port);
  });
  afterAll(async () => {
    c.close();
    await h.close();
  });

  it('CONFIG SET dbfilename ../… then SAVE writes nothing outside dir (arbitrary file write)', async () => {
    const dir = h.config.getString('dir');
    const target = join(dir, '..', `lodestone-pwn-${process.pid}`);
    expect(errText(await c.call('CONFIG', 'SET', 'dbfilename', `../lodestone-pwn-${process.pid}`))).toBe(
      setFailed('dbfilename', "can't set protected config"),
    );
    await c.call('SET', 'x', '\n* * * * * evil\n');
    expect(await c.call('SAVE')).toEqual(OK);
    expect(existsSync(target)).toBe(false);
    expect(existsSync(join(dir, 'dump.rdb'))).toBe(true);
  });

  it('CONFIG SET dbfilename appendonly.aof (replacing the AOF) is refused', async () => {
    expect(errText(await c.call('CONFIG', 'SET', 'dbfilename', 'appendonly.aof'))).toBe(setFailed('dbfilename', "can't set protected config"));
  });

  it('every path and every safety net is protected or immutable', async () => {
    const protectedOnes = ['dir', 'dbfilename', 'busy-reply-threshold', 'lua-time-limit', 'wasm.metering', 'wasm.limits.max_memory',
      'wasm.limits.max_fuel', 'wasm.limits.max_duration_ms', 'wasm.limits.max_call_depth', 'wasm.limits.max_module_bytes',
      'wasm.limits.max_table_elements'];
    for (const name of protectedOnes) {
      expect(errText(await c.call('CONFIG', 'SET', name, '1')), name).toBe(setFailed(name, "can't set protected config"));
    }
    // The schema marks them (data, not a name list in the handler), and every wasm.limits.* is one.
    for (const s of PARAMS) if (s.name.startsWith('wasm.limits.')) expect(s.protected, s.name).toBe(true);
    for (const name of ['appendfilename', 'logfile', 'wasm.module_dir', 'enable-protected-configs', 'enable-debug-command', 'enable-module-command']) {
      expect(errText(await c.call('CONFIG', 'SET', name, 'yes')), name).toBe(setFailed(name, "can't set immutable config"));
    }
    expect(await c.call('CONFIG', 'GET', 'wasm.metering')).toEqual({ t: 'array', v: [{ t: 'bulk', v: 'wasm.metering' }, { t: 'bulk', v: 'yes' }] });
  });

  it('CONFIG SET wasm.metering no (then an infinite loop freezes the server) is refused, with the name as given', async () => {
    expect(errText(await c.call('CONFIG', 'SET', 'WASM.METERING', 'no'))).toBe(setFailed('WASM.METERING', "can't set protected config"));
    expect(h.config.getBool('wasm.metering')).toBe(true);
  });

  it('CONFIG SET is all or nothing: a protected parameter anywhere refuses the whole command', async () => {
    const before = h.config.getInt('maxmemory');
    expect(errText(await c.call('CONFIG', 'SET', 'maxmemory', '12345678', 'dbfilename', 'x.lsnap'))).toBe(
      setFailed('dbfilename', "can't set protected config"),
    );
    expect(h.config.getInt('maxmemory')).toBe(before);
  });

  it('enable-* are reported by CONFIG GET as Redis does', async () => {
    const r = (await c.call('CONFIG', 'GET', 'enable-*')) as { v: { v: string }[] };
    const m = Object.fromEntries(r.v.map((x, i, a) => (i % 2 ? null : [x.v, a[i + 1].v])).filter(Boolean) as [string, string][]);
    expect(m).toEqual({ 'enable-protected-configs': 'no', 'enable-debug-command': 'no', 'enable-module-command': 'no' });
  });

  it('DEBUG is refused with Redis\'s text, in MULTI too (EXECABORT)', async () => {
    expect(errText(await c.call('DEBUG', 'SLEEP', '0'))).toBe(DEBUG_REFUSED);
    expect(errText(await c.call('DEBUG', 'HELP'))).toBe(DEBUG_REFUSED);
    expect(await c.call('MULTI')).toEqual(OK);
    expect(errText(await c.call('DEBUG', 'SLEEP', '0'))).toBe(DEBUG_REFUSED);
    expect(errText(await c.call('EXEC'))).toBe('EXECABORT Transaction discarded because of previous errors.');
  });
});

describe('protected actions: yes and local', () => {
  it('enable-debug-command yes / local allow DEBUG from a loopback client', async () => {
    for (const v of ['yes', 'local']) {
      await withServer({ 'enable-debug-command': v }, async (c) => {
        expect(await c.call('DEBUG', 'SLEEP', '0')).toEqual(OK);
      });
    }
  });

  it('local means a loopback peer: 127.0.0.0/8, ::1, IPv4-mapped 127.x — nothing else', async () => {
    for (const ip of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1']) expect(isLoopbackAddress(ip), ip).toBe(true);
    for (const ip of ['10.0.0.1', '192.168.1.10', '::ffff:10.0.0.1', '0.0.0.0', '::', '128.0.0.1', '']) expect(isLoopbackAddress(ip), ip).toBe(false);
    // The decision itself, for a peer tests cannot connect from (only loopback is used in tests).
    await withServer({ 'enable-protected-configs': 'local' }, async (c, h) => {
      const remote = { socket: { remoteAddress: '203.0.113.7' } } as unknown as Client;
      const local = { socket: { remoteAddress: '127.0.0.1' } } as unknown as Client;
      expect(allowProtectedAction(h.server, remote, 'enable-protected-configs')).toBe(false);
      expect(allowProtectedAction(h.server, local, 'enable-protected-configs')).toBe(true);
      // And over a real loopback socket the protected parameter can be changed.
      expect(await c.call('CONFIG', 'SET', 'dbfilename', 'other.lsnap')).toEqual(OK);
    });
  });
});

describe('file names (enable-protected-configs yes: the operator allowed changing them)', () => {
  let h: LodestoneHandle;
  let c: RawClient;
  beforeAll(async () => {
    h = await startLodestone({ 'enable-protected-configs': 'yes' });
    c = await RawClient.connect(h.port);
  });
  afterAll(async () => {
    c.close();
    await h.close();
  });

  it('dbfilename must be a plain file name inside dir', async () => {
    const cases: [string, string][] = [
      ['../x', "dbfilename can't be a path, just a filename"],
      ['/etc/cron.d/x', "dbfilename can't be a path, just a filename"],
      ['a/b', "dbfilename can't be a path, just a filename"],
      ['a\\b', "dbfilename can't be a path, just a filename"],
      ['.', "dbfilename can't be a path, just a filename"],
      ['..', "dbfilename can't be a path, just a filename"],
      ['', "dbfilename can't be empty"],
      ['dump\0/../../x', "dbfilename can't contain a NUL byte"],
      ['x'.repeat(300), 'dbfilename is longer than 255 bytes'],
      // A snapshot named like a temporary file would be deleted at the next startup.
      ['temp-123.lsnap', "dbfilename can't be the name of a temporary file Lodestone writes and removes"],
      ['temp-123.rdb', "dbfilename can't be the name of a temporary file Lodestone writes and removes"],
      ['temp-rewriteaof-9-0123456789abcdef.aof', "dbfilename can't be the name of a temporary file Lodestone writes and removes"],
      // Two of Lodestone's files may never be one.
      ['appendonly.aof', "dbfilename and appendfilename can't name the same file"],
      ['wasm', "dbfilename can't name wasm.module_dir"],
    ];
    for (const [v, why] of cases) expect(errText(await c.call('CONFIG', 'SET', 'dbfilename', v)), JSON.stringify(v)).toBe(setFailed('dbfilename', why));
    expect(h.config.getString('dbfilename')).toBe('dump.rdb');
  });

  it('a valid name is used, inside dir, and no temporary file is left behind', async () => {
    const dir = h.config.getString('dir');
    expect(await c.call('CONFIG', 'SET', 'dbfilename', 'renamed.rdb')).toEqual(OK);
    await c.call('SET', 'k', 'v');
    expect(await c.call('SAVE')).toEqual(OK);
    expect(await c.call('BGSAVE')).toEqual({ t: 'status', v: 'Background saving started' });
    await until(() => !readdirSync(dir).some((n) => n.startsWith('temp-')), 10000, 'the background save to finish');
    expect(readdirSync(dir).filter((n) => n.endsWith('.rdb'))).toEqual(['renamed.rdb']);
    expect(await c.call('CONFIG', 'SET', 'dbfilename', 'dump.rdb')).toEqual(OK);
  });

  it('dir must be an existing directory; a new one is used for the next save', async () => {
    expect(errText(await c.call('CONFIG', 'SET', 'dir', '/nonexistent/lodestone'))).toBe(setFailed('dir', 'No such file or directory'));
    expect(errText(await c.call('CONFIG', 'SET', 'dir', ''))).toBe(setFailed('dir', 'No such file or directory'));
    expect(errText(await c.call('CONFIG', 'SET', 'dir', '/etc/passwd'))).toBe(setFailed('dir', 'Not a directory'));
    expect(errText(await c.call('CONFIG', 'SET', 'dir', '/tmp\0/etc'))).toBe(setFailed('dir', "a path can't contain a NUL byte"));
    const old = h.config.getString('dir');
    const other = mkdtempSync(join(tmpdir(), 'lodestone-dir-'));
    expect(await c.call('CONFIG', 'SET', 'dir', other)).toEqual(OK);
    expect(await c.call('SAVE')).toEqual(OK);
    expect(existsSync(join(other, 'dump.rdb'))).toBe(true);
    expect(await c.call('CONFIG', 'SET', 'dir', old)).toEqual(OK);
  });

  it('the cross-file rules see the other values of the same CONFIG SET, and nothing is applied on failure', async () => {
    const before = h.config.getInt('maxmemory');
    expect(errText(await c.call('CONFIG', 'SET', 'maxmemory', '7777777', 'dbfilename', 'appendonly.aof'))).toBe(
      setFailed('dbfilename', "dbfilename and appendfilename can't name the same file"),
    );
    expect(h.config.getInt('maxmemory')).toBe(before);
    expect(h.config.getString('dbfilename')).toBe('dump.rdb');
  });

  it('protected safety nets can be changed only when allowed, and then validated', async () => {
    expect(errText(await c.call('CONFIG', 'SET', 'wasm.limits.max_fuel', '0'))).toBe(
      setFailed('wasm.limits.max_fuel', 'argument must be between 1 and 9223372036854775807 inclusive'),
    );
    expect(await c.call('CONFIG', 'SET', 'busy-reply-threshold', '4000')).toEqual(OK);
    expect(h.config.getInt('busy-reply-threshold')).toBe(4000);
    expect(await c.call('CONFIG', 'SET', 'busy-reply-threshold', '5000')).toEqual(OK);
  });
});

describe('hostile CONFIG SET values', () => {
  const HOSTILE = ['-1', '0', '-0', '01', '+5', ' 5', '5 ', '', 'inf', '-inf', 'nan', '1e3', '0x10', '1.5', '9223372036854775807',
    '9223372036854775808', '-9223372036854775809', '99999999999999999999999', '4294967296', 'a\0b', '../../x', '/etc/passwd', 'yes', 'no', '1gb'];

  it('every mutable parameter: each value is OK or a CONFIG SET error, the server keeps serving', async () => {
    await withServer({ 'enable-protected-configs': 'yes' }, async (c, h) => {
      for (const s of PARAMS) {
        if (!s.mutable || s.name === 'maxclients') continue;
        const orig = h.config.get(s.name);
        for (const v of HOSTILE) {
          const r = await c.call('CONFIG', 'SET', s.name, v);
          if (r.t === 'error') expect(r.v.startsWith(`ERR CONFIG SET failed (possibly related to argument '${s.name}') - `), `${s.name}=${JSON.stringify(v)}: ${r.v}`).toBe(true);
          else expect(r, `${s.name}=${JSON.stringify(v)}`).toEqual(OK);
          // A value that names a file must never leave dir.
          if (s.name === 'dbfilename' && r.t !== 'error') expect(v.includes('/')).toBe(false);
          h.server.config.set(s.name, orig);
        }
      }
      expect(await c.call('PING')).toEqual({ t: 'status', v: 'PONG' });
    });
  });

  it('integers are parsed like Redis (string2ll) and bounded by Redis\'s ranges', async () => {
    await withServer({}, async (c) => {
      const bad = "argument couldn't be parsed into an integer";
      for (const v of [' 5', '5 ', '01', '+5', '-0', '9223372036854775808', '99999999999999999999999']) {
        expect(errText(await c.call('CONFIG', 'SET', 'timeout', v)), JSON.stringify(v)).toBe(setFailed('timeout', bad));
      }
      expect(errText(await c.call('CONFIG', 'SET', 'timeout', '4294967296'))).toBe(setFailed('timeout', 'argument must be between 0 and 2147483647 inclusive'));
      expect(errText(await c.call('CONFIG', 'SET', 'list-compress-depth', '-1'))).toBe(setFailed('list-compress-depth', 'argument must be between 0 and 2147483647 inclusive'));
      expect(errText(await c.call('CONFIG', 'SET', 'hz', '2147483648'))).toBe(setFailed('hz', 'argument must be between 0 and 2147483647 inclusive'));
      expect(await c.call('CONFIG', 'SET', 'slowlog-max-len', '9223372036854775807')).toEqual(OK);
      expect(await c.call('CONFIG', 'SET', 'slowlog-max-len', '128')).toEqual(OK);
    });
  });

  it('CONFIG GET with hostile patterns answers, never throws', async () => {
    await withServer({}, async (c) => {
      for (const p of ['*', '[', '[a-', '\\', '*'.repeat(1000), '?'.repeat(100), 'a\0b', '[^]]*', 'dir', 'DIR']) {
        const r = await c.call('CONFIG', 'GET', p);
        expect(r.t, p).toBe('array');
      }
      const all = (await c.call('CONFIG', 'GET', '*')) as { v: unknown[] };
      expect(all.v.length).toBe(PARAMS.filter((p) => !p.hidden).length * 2);
    });
  });
});

describe('startup refuses bad file names (config.toml and flags)', () => {
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/lodestone.js'), '--port', '0', '--dir', mkdtempSync(join(tmpdir(), 'lodestone-bad-')), ...args], { encoding: 'utf8', timeout: 20000 });
    return { code: r.status, out: r.stdout + r.stderr };
  };

  it('a path, the AOF name, a temp name, a missing dir', () => {
    const cases: [string[], string][] = [
      [['--dbfilename', '../.bashrc'], "bad value for --dbfilename: Invalid argument '../.bashrc' for CONFIG SET 'dbfilename' - dbfilename can't be a path, just a filename"],
      [['--appendfilename', '/tmp/x.aof'], "appendfilename can't be a path, just a filename"],
      [['--dbfilename', 'appendonly.aof'], "bad value for 'dbfilename': dbfilename and appendfilename can't name the same file"],
      [['--dbfilename', 'temp-1.lsnap'], "dbfilename can't be the name of a temporary file"],
      [['--dir', '/nonexistent/lodestone-x'], 'No such file or directory'],
    ];
    for (const [args, msg] of cases) {
      const r = run(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.out, args.join(' ')).toContain(msg);
    }
  });

  it('config.toml: dbfilename with a slash names the key', () => {
    const d = mkdtempSync(join(tmpdir(), 'lodestone-toml-'));
    const file = join(d, 'bad.toml');
    writeFileSync(file, 'dbfilename = "sub/dump.lsnap"\n');
    const r = run(['--config', file]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${file}: bad value for 'dbfilename': dbfilename can't be a path, just a filename`);
    // The snapshot may not replace the configuration file itself.
    writeFileSync(join(d, 'self.toml'), `dir = "${d}"\ndbfilename = "self.toml"\n`);
    const r2 = spawnSync(process.execPath, [join(ROOT, 'bin/lodestone.js'), '--port', '0', '--config', join(d, 'self.toml')], { encoding: 'utf8', timeout: 20000 });
    expect(r2.status).toBe(1);
    expect(r2.stdout + r2.stderr).toContain("dbfilename can't name the configuration file");
  });
});

/** Open n connections that each send PING; returns what each received before close or `ms`. */
async function flood(port: number, n: number, ms = 3000): Promise<{ data: string; closed: boolean }[]> {
  return Promise.all(
    Array.from({ length: n }, () =>
      new Promise<{ data: string; closed: boolean }>((resolve) => {
        let data = '';
        const s = net.connect({ port, host: '127.0.0.1' }, () => s.write('PING\r\n'));
        s.on('data', (d) => (data += d));
        s.on('error', () => {});
        const t = setTimeout(() => resolve({ data, closed: false }), ms);
        s.on('close', () => {
          clearTimeout(t);
          resolve({ data, closed: true });
        });
        setTimeout(() => s.destroy(), ms + 10);
      }),
    ),
  );
}

describe('maxclients', () => {
  it('maxclients 5 and 10 connections: five PONG, five get the error and are closed', async () => {
    const h = await startLodestone({ maxclients: '5' });
    try {
      const r = await flood(h.port, 10, 1500);
      expect(r.filter((x) => x.data === '+PONG\r\n').length).toBe(5);
      const rejected = r.filter((x) => x.data !== '+PONG\r\n');
      expect(rejected).toEqual(Array(5).fill({ data: '-ERR max number of clients reached\r\n', closed: true }));
    } finally {
      await h.close();
    }
  });

  it('lowered to the open-file limit minus 32 at startup, with Redis\'s log lines; beyond it the error, never a silent close', async () => {
    // 128, not 64: Node alone needs more than 64 descriptors to load the server's modules.
    const p = await startLodestoneProcess([], { wrap: 'ulimit -n 128' });
    try {
      await until(() => p.output().includes('maxclients has been reduced'), 5000, 'the log line');
      const out = p.output();
      expect(out).toContain('You requested maxclients of 10000 requiring at least 10032 max file descriptors.');
      expect(out).toContain("Server can't set maximum open files to 10032 because of OS error: Operation not permitted.");
      expect(out).toContain("Current maximum open files is 128. maxclients has been reduced to 96 to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.");
      const c = await RawClient.connect(p.port);
      expect(await c.call('CONFIG', 'GET', 'maxclients')).toEqual({ t: 'array', v: [{ t: 'bulk', v: 'maxclients' }, { t: 'bulk', v: '96' }] });
      expect(errText(await c.call('CONFIG', 'SET', 'maxclients', '100'))).toBe(
        setFailed('maxclients', 'The operating system is not able to handle the specified number of clients, try with 96'),
      );
      expect(await c.call('CONFIG', 'SET', 'maxclients', '20')).toEqual(OK);
      expect(await c.call('CONFIG', 'SET', 'maxclients', '96')).toEqual(OK);
      // 150 more connections: 95 fit (c holds one); every other one is told why (before: EMFILE, silent close).
      const r = await flood(p.port, 150, 2000);
      expect(r.filter((x) => x.data === '+PONG\r\n').length).toBe(95);
      expect(r.filter((x) => x.data === '-ERR max number of clients reached\r\n' && x.closed).length).toBe(55);
      expect(await c.call('PING')).toEqual({ t: 'status', v: 'PONG' });
      c.close();
    } finally {
      await p.close();
    }
  });

  it('a limit of 32 or less refuses to start, with Redis\'s text (Node.js cannot even load under it: checked directly)', () => {
    const config = new Config();
    const warnings: string[] = [];
    const log = { warn: (m: string) => warnings.push(m) } as unknown as Parameters<typeof adjustOpenFilesLimit>[1];
    expect(() => adjustOpenFilesLimit(config, log, { soft: 20, hard: 20 })).toThrow(
      "Your current 'ulimit -n' of 20 is not enough for the server to start. Please increase your open file limit to at least 10032. Exiting.",
    );
    expect(adjustOpenFilesLimit(config, log, { soft: 4096, hard: 4096 })).toBe(4096);
    expect(config.getInt('maxclients')).toBe(4064);
    expect(warnings[0]).toBe('You requested maxclients of 10000 requiring at least 10032 max file descriptors.');
    expect(adjustOpenFilesLimit(config, log, { soft: Infinity, hard: Infinity })).toBe(0);
  });
});

describe('module_dir: no symbolic link leads out of it', () => {
  let wabt: Awaited<ReturnType<typeof wabtInit>>;
  const answer = (n: number): Buffer => {
    const m = wabt.parseWat('t.wat', `(module (func (export "main") (result i64) (i64.const ${n})))`);
    try {
      return Buffer.from(m.toBinary({}).buffer);
    } finally {
      m.destroy();
    }
  };
  beforeAll(async () => {
    wabt = await wabtInit();
  });

  it('WASM.LOAD through a link to a file or a directory outside is refused; a link inside is fine', async () => {
    await withServer({}, async (c, h) => {
      const dir = h.config.getString('dir');
      const mdir = join(dir, 'wasm');
      mkdirSync(mdir, { recursive: true });
      const outside = mkdtempSync(join(tmpdir(), 'lodestone-outside-'));
      writeFileSync(join(outside, 'secret.wasm'), answer(66));
      writeFileSync(join(mdir, 'real.wasm'), answer(7));
      symlinkSync(join(outside, 'secret.wasm'), join(mdir, 'evil.wasm'));
      symlinkSync(outside, join(mdir, 'sub'));
      symlinkSync('real.wasm', join(mdir, 'alias.wasm'));
      expect(errText(await c.call('WASM.LOAD', 'evil', 'evil.wasm'))).toBe("ERR WASM.LOAD evil: module file 'evil.wasm' leads out of module_dir through a symbolic link");
      expect(errText(await c.call('WASM.LOAD', 'evil', 'sub/secret.wasm'))).toBe("ERR WASM.LOAD evil: module file 'sub/secret.wasm' leads out of module_dir through a symbolic link");
      expect(await c.call('WASM.LOAD', 'alias', 'alias.wasm')).toEqual(OK);
      expect(await c.call('WASM.CALL', 'alias')).toEqual({ t: 'int', v: '7' });
    });
  });

  it('a .loaded store that is a symbolic link is neither written nor loaded at startup', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-store-'));
    const elsewhere = mkdtempSync(join(tmpdir(), 'lodestone-elsewhere-'));
    mkdirSync(join(dir, 'wasm'));
    symlinkSync(elsewhere, join(dir, 'wasm', '.loaded'));
    // A planted module "persisted" outside module_dir.
    writeFileSync(join(elsewhere, 'planted.wasm'), answer(99));
    writeFileSync(join(elsewhere, 'planted.json'), JSON.stringify({ name: 'planted', permissions: ['READ', 'WRITE', 'ADMIN'] }));
    await withServer({ dir }, async (c) => {
      expect(errText(await c.call('WASM.CALL', 'planted'))).toContain('planted');
      const r = errText(await c.call('WASM.LOAD', 'n', answer(1).toString('latin1')));
      expect(r).toContain('is not a directory inside module_dir');
      expect(readdirSync(elsewhere).sort()).toEqual(['planted.json', 'planted.wasm']);
    });
  });

  it('a stored module file replaced by a symbolic link is not followed at startup', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-store2-'));
    const first = await startLodestone({ dir });
    const c = await RawClient.connect(first.port);
    expect(await c.call('WASM.LOAD', 'f', answer(5).toString('latin1'))).toEqual(OK);
    c.close();
    await first.close();
    const store = join(dir, 'wasm', '.loaded');
    const outside = mkdtempSync(join(tmpdir(), 'lodestone-o2-'));
    writeFileSync(join(outside, 'x.wasm'), answer(42));
    const { unlinkSync } = await import('node:fs');
    unlinkSync(join(store, 'f.wasm'));
    symlinkSync(join(outside, 'x.wasm'), join(store, 'f.wasm'));
    await withServer({ dir }, async (c2) => {
      expect((await c2.call('WASM.CALL', 'f')).t).toBe('error');
    });
    expect(readFileSync(join(outside, 'x.wasm')).length).toBeGreaterThan(0);
  });
});

describe('a WASM function stays in its caller\'s database', () => {
  let wabt: Awaited<ReturnType<typeof wabtInit>>;
  const resp = (...a: string[]) => `*${a.length}\r\n` + a.map((x) => `$${x.length}\r\n${x}\r\n`).join('');
  const hex = (s: string) => '"' + [...Buffer.from(s)].map((b) => '\\' + b.toString(16).padStart(2, '0')).join('') + '"';
  /** Runs one command through `call` and replies with its reply (result_read + reply_raw). */
  const callOne = (cmd: string[]): Buffer => {
    const r = resp(...cmd);
    const m = wabt.parseWat('t.wat', `(module
      (import "lodestone" "call" (func $call (param i32 i32) (result i32)))
      (import "lodestone" "result_read" (func $rr (param i32 i32) (result i32)))
      (import "lodestone" "reply_raw" (func $raw (param i32 i32)))
      (memory (export "memory") 1)
      (data (i32.const 0) ${hex(r)})
      (func (export "main") (local $n i32)
        (local.set $n (call $call (i32.const 0) (i32.const ${r.length})))
        (drop (call $rr (i32.const 4096) (local.get $n)))
        (call $raw (i32.const 4096) (local.get $n))))`);
    try {
      m.resolveNames();
      m.validate();
      return Buffer.from(m.toBinary({}).buffer);
    } finally {
      m.destroy();
    }
  };
  beforeAll(async () => {
    wabt = await wabtInit();
  });

  it('COPY … DB n (n ≠ current) is refused like MOVE and SELECT; COPY in the same database works', async () => {
    await withServer({}, async (c) => {
      await c.call('SET', 'src', 'v');
      const load = async (name: string, cmd: string[]) => expect(await c.call('WASM.LOAD', name, callOne(cmd).toString('latin1'), 'PERMISSIONS', 'READ', 'WRITE')).toEqual(OK);
      await load('cp1', ['COPY', 'src', 'dst', 'DB', '1']);
      await load('cp0', ['COPY', 'src', 'dst', 'DB', '0']);
      await load('cpn', ['COPY', 'src', 'dst2']);
      await load('cpx', ['COPY', 'src', 'dst3', 'REPLACE', 'db', '15']);
      const cross = "command 'copy' is not allowed from a WASM function: it reaches a database other than the caller's";
      expect(errText(await c.call('WASM.CALL', 'cp1'))).toBe(`NOPERM wasm function 'cp1': ${cross}`);
      expect(errText(await c.call('WASM.CALL', 'cpx'))).toBe(`NOPERM wasm function 'cpx': ${cross}`);
      expect(await c.call('SELECT', '1')).toEqual(OK);
      expect(await c.call('EXISTS', 'dst', 'dst3')).toEqual({ t: 'int', v: '0' });
      // From database 1, DB 1 is the caller's own database.
      expect(await c.call('SET', 'src', 'in1')).toEqual(OK);
      expect(await c.call('WASM.CALL', 'cp1')).toEqual({ t: 'int', v: '1' });
      expect(errText(await c.call('WASM.CALL', 'cp0'))).toBe(`NOPERM wasm function 'cp0': ${cross}`);
      expect(await c.call('SELECT', '0')).toEqual(OK);
      expect(await c.call('WASM.CALL', 'cp0')).toEqual({ t: 'int', v: '1' });
      expect(await c.call('WASM.CALL', 'cpn')).toEqual({ t: 'int', v: '1' });
    });
  });

  it('Lua keeps Redis\'s behaviour: redis.call COPY … DB n works in a script', async () => {
    await withServer({}, async (c) => {
      await c.call('SET', 'ls', 'v');
      expect(await c.call('EVAL', "return redis.call('COPY', 'ls', 'ld', 'DB', '2')", '0')).toEqual({ t: 'int', v: '1' });
      await c.call('SELECT', '2');
      expect(await c.call('GET', 'ld')).toEqual({ t: 'bulk', v: 'v' });
    });
  });
});

describe.skipIf(skipReason('protected-config texts vs redis-server', 'redis-server'))('differential: the texts are Redis 7.0\'s', () => {
  it('CONFIG SET dir / dbfilename / immutable enable-*, DEBUG refusal, dbfilename path', async () => {
    if (!HAVE_REDIS_SERVER) return;
    const cases: string[][] = [
      ['CONFIG', 'SET', 'dbfilename', '../x'],
      ['CONFIG', 'SET', 'dir', '/tmp'],
      ['CONFIG', 'SET', 'enable-protected-configs', 'yes'],
      ['CONFIG', 'SET', 'enable-debug-command', 'yes'],
      ['CONFIG', 'SET', 'enable-module-command', 'local'],
      ['CONFIG', 'SET', 'maxmemory', '1000000', 'dbfilename', 'x'],
      ['CONFIG', 'SET', 'appendfilename', 'x'],
      ['CONFIG', 'SET', 'timeout', '4294967296'],
      ['CONFIG', 'SET', 'timeout', '01'],
      ['CONFIG', 'SET', 'timeout', ' 5'],
      ['CONFIG', 'GET', 'enable-protected-configs'],
      ['DEBUG', 'SLEEP', '0'],
    ];
    const withProtected: string[][] = [
      ['CONFIG', 'SET', 'dbfilename', '../x'],
      ['CONFIG', 'SET', 'dbfilename', 'a/b'],
      ['CONFIG', 'SET', 'dir', '/nonexistent/x'],
    ];
    for (const [extra, list] of [[[], cases], [['--enable-protected-configs', 'yes'], withProtected]] as [string[], string[][]][]) {
      const redis = await startRedis(extra);
      const ls = await startLodestone(extra.length ? { 'enable-protected-configs': 'yes' } : {});
      const a = await RawClient.connect(redis.port);
      const b = await RawClient.connect(ls.port);
      try {
        for (const cmd of list) expect(await b.call(...cmd), cmd.join(' ')).toEqual(await a.call(...cmd));
      } finally {
        a.close();
        b.close();
        await ls.close();
        await redis.close();
      }
    }
  });
});

