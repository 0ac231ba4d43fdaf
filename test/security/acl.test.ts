// ACL, protected mode and secret redaction over real sockets (Redis 7.0.15 semantics): the rule
// language, command / key / channel permissions, AUTH and HELLO AUTH, ACL LOG, MULTI, functions
// running with the caller's rights (Lua and WASM), protected mode from 127.0.0.2, SLOWLOG and
// MONITOR redaction, aclfile and config `user` lines, and a seeded fuzz of the rule parser.

import net from 'node:net';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import wabtInit from 'wabt';
import { LodestoneHandle, startLodestone } from '../helpers/servers.js';
import { RawClient } from '../helpers/raw-client.js';
import { show, type RespValue } from '../helpers/resp.js';
import { mulberry32 } from '../helpers/prng.js';
import { randomRules } from './acl-rules.js';
import { until } from '../helpers/poll.js';
import { Config } from '../../src/config/config.js';
import { Server } from '../../src/server/server.js';
import { silentLogger } from '../../src/log.js';
import { defaultConfigPath } from '../../src/cli/main.js';

const OK: RespValue = { t: 'status', v: 'OK' };
const bulk = (v: string): RespValue => ({ t: 'bulk', v });
const err = (v: RespValue): string => {
  if (v.t !== 'error') throw new Error(`expected an error reply, got ${show(v)}`);
  return v.v;
};
const strs = (v: RespValue): string[] => (v as { v: RespValue[] }).v.map((x) => (x as { v: string }).v);
function obj(v: RespValue): Record<string, RespValue> {
  if (v.t !== 'array' && v.t !== 'map') throw new Error(`expected a map, got ${show(v)}`);
  const o: Record<string, RespValue> = {};
  for (let i = 0; i < v.v.length; i += 2) o[(v.v[i] as { v: string }).v] = v.v[i + 1];
  return o;
}
const text = (v: RespValue): string => (v as { v: string }).v;

let ls: LodestoneHandle;
let admin: RawClient;

beforeAll(async () => {
  ls = await startLodestone();
  admin = await RawClient.connect(ls.port);
});
afterAll(async () => {
  admin?.close();
  await ls?.close();
});

async function as(user: string, pass: string): Promise<RawClient> {
  const c = await RawClient.connect(ls.port);
  expect(await c.call('AUTH', user, pass)).toEqual(OK);
  return c;
}

describe('ACL rules', () => {
  it('SETUSER / GETUSER / LIST in Redis canonical form', async () => {
    expect(await admin.call('ACL', 'SETUSER', 'r1', 'on', '>pw', '~k*', '%R~r*', '%W~w*', '%RW~rw*', '&ch*', '+get', '+@hash', '-hdel', '(+set ~x*)')).toEqual(OK);
    const list = strs(await admin.call('ACL', 'LIST'));
    expect(list).toContain(
      'user r1 on #30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4 ~k* %R~r* %W~w* ~rw* resetchannels &ch* -@all +@hash +get -hdel (~x* resetchannels -@all +set)',
    );
    expect(list).toContain('user default on nopass ~* &* +@all');
    const u = obj(await admin.call('ACL', 'GETUSER', 'r1'));
    expect(strs(u.flags)).toEqual(['on']);
    expect(strs(u.passwords)).toEqual(['30c952fab122c3f9759f02a6d95c3758b246b4fee239957b2d4fee46e26170c4']);
    expect(text(u.keys)).toBe('~k* %R~r* %W~w* ~rw*');
    expect(text(u.channels)).toBe('&ch*');
    const sel = obj((u.selectors as { v: RespValue[] }).v[0]);
    expect(text(sel.commands)).toBe('-@all +set');
    expect(text(sel.keys)).toBe('~x*');
    expect(text(sel.channels)).toBe('');
    expect(strs(await admin.call('ACL', 'USERS'))).toEqual(expect.arrayContaining(['default', 'r1']));
  });

  it('rejects bad rules with Redis texts and changes nothing', async () => {
    const cases: [string[], string][] = [
      [['badrule'], "ERR Error in ACL SETUSER modifier 'badrule': Syntax error"],
      [['+nosuch'], "ERR Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL"],
      [['+@nosuch'], "ERR Error in ACL SETUSER modifier '+@nosuch': Unknown command or category name in ACL"],
      [['~*', '~x'], "ERR Error in ACL SETUSER modifier '~x': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"],
      [['&*', '&x'], "ERR Error in ACL SETUSER modifier '&x': Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"],
      [['(~x'], "ERR Unmatched parenthesis in acl selector starting at '(~x'."],
      [['+config|get|x'], "ERR Error in ACL SETUSER modifier '+config|get|x': Allowing first-arg of a subcommand is not supported"],
      [['#abc'], "ERR Error in ACL SETUSER modifier '#abc': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"],
      [['<nope'], "ERR Error in ACL SETUSER modifier '<nope': The password you are trying to remove from the user does not exist"],
      [['(on)'], "ERR Error in ACL SETUSER modifier '(on)': Syntax error"],
      [['%~x'], "ERR Error in ACL SETUSER modifier '%~x': Syntax error"],
      [['-select|0'], "ERR Error in ACL SETUSER modifier '-select|0': Unknown command or category name in ACL"],
    ];
    for (const [rules, want] of cases) expect(err(await admin.call('ACL', 'SETUSER', 'bad1', ...rules))).toBe(want);
    expect((await admin.call('ACL', 'GETUSER', 'bad1')).t).toBe('nullbulk');
    expect(err(await admin.call('ACL', 'SETUSER', 'a b'))).toBe("ERR Usernames can't contain spaces or null characters");
    // A failing rule list leaves an existing user as it was.
    await admin.call('ACL', 'SETUSER', 'keep', 'on', '+get');
    expect(err(await admin.call('ACL', 'SETUSER', 'keep', '-get', 'bogus'))).toMatch(/Syntax error/);
    expect(text(obj(await admin.call('ACL', 'GETUSER', 'keep')).commands)).toBe('-@all +get');
  });

  it('reset, categories, first-args, ACL CAT, GENPASS, DELUSER', async () => {
    await admin.call('ACL', 'SETUSER', 'r2', 'reset');
    expect(strs(await admin.call('ACL', 'LIST'))).toContain('user r2 off sanitize-payload resetchannels -@all');
    expect(strs(await admin.call('ACL', 'CAT'))).toEqual([
      'keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog', 'geo', 'stream',
      'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection', 'transaction', 'scripting',
    ]);
    expect(strs(await admin.call('ACL', 'CAT', 'scripting'))).toEqual(expect.arrayContaining(['eval', 'fcall', 'wasm.load', 'wasm.call', 'wasm.call_ro']));
    expect(strs(await admin.call('ACL', 'CAT', 'admin'))).toEqual(expect.arrayContaining(['wasm.load', 'wasm.unload', 'acl|setuser']));
    expect(strs(await admin.call('ACL', 'CAT', 'dangerous'))).toContain('keys');
    expect(err(await admin.call('ACL', 'CAT', 'nope'))).toBe("ERR Unknown category 'nope'");
    expect(text(await admin.call('ACL', 'GENPASS'))).toMatch(/^[0-9a-f]{64}$/);
    expect(text(await admin.call('ACL', 'GENPASS', '5'))).toMatch(/^[0-9a-f]{2}$/);
    expect(err(await admin.call('ACL', 'GENPASS', '0'))).toBe('ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096');
    await admin.call('ACL', 'SETUSER', 'sel', 'on', 'nopass', '-@all', '+select|0', '+ping');
    const c = await as('sel', 'x');
    expect(await c.call('SELECT', '0')).toEqual(OK);
    expect(err(await c.call('SELECT', '1'))).toBe("NOPERM this user has no permissions to run the 'select' command");
    c.close();
    expect(err(await admin.call('ACL', 'DELUSER', 'default'))).toBe("ERR The 'default' user cannot be removed");
    expect(await admin.call('ACL', 'DELUSER', 'r2', 'nobody')).toEqual({ t: 'int', v: '1' });
  });
});

describe('permissions', () => {
  beforeAll(async () => {
    await admin.call('ACL', 'SETUSER', 'p1', 'on', '>pw', '~app:*', '%R~ro:*', '%W~wo:*', '&news.*', '+@all', '-flushall', '-config|set', '-debug');
  });

  it('commands, subcommands, keys with read/write patterns, channels', async () => {
    const c = await as('p1', 'pw');
    expect(text(await c.call('ACL', 'WHOAMI'))).toBe('p1');
    expect(await c.call('SET', 'app:1', 'v')).toEqual(OK);
    expect(err(await c.call('SET', 'other', 'v'))).toBe('NOPERM this user has no permissions to access one of the keys used as arguments');
    expect(err(await c.call('FLUSHALL'))).toBe("NOPERM this user has no permissions to run the 'flushall' command");
    expect(err(await c.call('CONFIG', 'SET', 'maxmemory', '0'))).toBe("NOPERM this user has no permissions to run the 'config|set' command");
    expect((await c.call('CONFIG', 'GET', 'maxmemory')).t).toBe('array');
    // %R~: GET yes, SET (read+write) no; %W~: LPUSH (insert only) yes, GET no.
    expect((await c.call('GET', 'ro:1')).t).toBe('nullbulk');
    expect(err(await c.call('SET', 'ro:1', 'x'))).toMatch(/^NOPERM .*keys/);
    expect(await c.call('LPUSH', 'wo:1', 'x')).toEqual({ t: 'int', v: '1' });
    expect(err(await c.call('GET', 'wo:1'))).toMatch(/^NOPERM .*keys/);
    expect(err(await c.call('MSET', 'app:2', 'v', 'bad', 'v'))).toMatch(/^NOPERM .*keys/);
    expect(await c.call('PUBLISH', 'news.a', 'm')).toEqual({ t: 'int', v: '0' });
    expect(err(await c.call('PUBLISH', 'sports', 'm'))).toBe('NOPERM this user has no permissions to access one of the channels used as arguments');
    expect(err(await c.call('SUBSCRIBE', 'news.a', 'sports'))).toMatch(/channels/);
    // PSUBSCRIBE patterns are compared literally against the channel rules (Redis 7).
    expect(err(await c.call('PSUBSCRIBE', 'news.a*'))).toMatch(/channels/);
    c.close();
  });

  it('MULTI rejects a denied command at queue time and EXEC re-checks changed rules', async () => {
    const c = await as('p1', 'pw');
    expect(await c.call('MULTI')).toEqual(OK);
    expect(err(await c.call('FLUSHALL'))).toMatch(/^NOPERM/);
    expect(err(await c.call('EXEC'))).toBe('EXECABORT Transaction discarded because of previous errors.');
    expect(await c.call('MULTI')).toEqual(OK);
    expect(await c.call('SET', 'app:m', '1')).toEqual({ t: 'status', v: 'QUEUED' });
    await admin.call('ACL', 'SETUSER', 'p1', '-set');
    const r = await c.call('EXEC');
    expect(err((r as { v: RespValue[] }).v[0])).toBe(
      'NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to execute the command or subcommand',
    );
    await admin.call('ACL', 'SETUSER', 'p1', '+set');
    const log = (await admin.call('ACL', 'LOG')) as { v: RespValue[] };
    expect(text(obj(log.v[0]).context)).toBe('multi');
    c.close();
  });

  it('ACL LOG entries and DRYRUN', async () => {
    await admin.call('ACL', 'LOG', 'RESET');
    const c = await as('p1', 'pw');
    await c.call('GET', 'forbidden');
    await c.call('GET', 'forbidden');
    const e = obj(((await admin.call('ACL', 'LOG', '1')) as { v: RespValue[] }).v[0]);
    expect(Object.keys(e)).toEqual(['count', 'reason', 'context', 'object', 'username', 'age-seconds', 'client-info']);
    expect(e.count).toEqual({ t: 'int', v: '2' });
    expect(text(e.reason)).toBe('key');
    expect(text(e.object)).toBe('forbidden');
    expect(text(e.username)).toBe('p1');
    expect(text(e['client-info'])).toMatch(/ cmd=get user=p1 /);
    expect(text(await admin.call('ACL', 'DRYRUN', 'p1', 'get', 'zz'))).toBe("This user has no permissions to access the 'zz' key");
    expect(text(await admin.call('ACL', 'DRYRUN', 'p1', 'flushall'))).toBe("This user has no permissions to run the 'flushall' command");
    expect(await admin.call('ACL', 'DRYRUN', 'p1', 'get', 'app:x')).toEqual(OK);
    expect(err(await admin.call('ACL', 'DRYRUN', 'nob', 'get', 'x'))).toBe("ERR User 'nob' not found");
    expect(err(await admin.call('ACL', 'DRYRUN', 'p1', 'nosuch'))).toBe("ERR Command 'nosuch' not found");
    c.close();
  });
});

describe('authentication', () => {
  it('AUTH, HELLO AUTH, WRONGPASS, disabled users, auth log entries, CLIENT LIST user=', async () => {
    await admin.call('ACL', 'SETUSER', 'a1', 'on', '>s3cret', '+@all', '~*');
    await admin.call('ACL', 'SETUSER', 'a2', 'off', '>s3cret', '+@all', '~*');
    await admin.call('ACL', 'LOG', 'RESET');
    const c = await RawClient.connect(ls.port);
    expect(err(await c.call('AUTH', 'a1', 'wrong'))).toBe('WRONGPASS invalid username-password pair or user is disabled.');
    expect(err(await c.call('AUTH', 'a2', 's3cret'))).toBe('WRONGPASS invalid username-password pair or user is disabled.');
    expect(err(await c.call('AUTH', 'onlypass'))).toBe(
      'ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
    );
    expect(err(await c.call('HELLO', '3', 'AUTH', 'a1', 'bad'))).toBe('WRONGPASS invalid username-password pair or user is disabled.');
    expect((await c.call('HELLO', '2', 'AUTH', 'a1', 's3cret')).t).toBe('array');
    expect(text(await c.call('ACL', 'WHOAMI'))).toBe('a1');
    expect(text(await c.call('CLIENT', 'INFO'))).toMatch(/ user=a1 /);
    const e = obj(((await admin.call('ACL', 'LOG')) as { v: RespValue[] }).v[0]);
    expect(text(e.reason)).toBe('auth');
    expect(text(e.object)).toBe('HELLO');
    expect(text(e.username)).toBe('a1');
    c.close();
  });

  it('requirepass is the default user password (also via CONFIG SET)', async () => {
    const h = await startLodestone({ requirepass: 'topsecret' });
    try {
      const c = await RawClient.connect(h.port);
      expect(err(await c.call('GET', 'x'))).toBe('NOAUTH Authentication required.');
      expect(await c.call('AUTH', 'topsecret')).toEqual(OK);
      expect(await c.call('CONFIG', 'SET', 'requirepass', 'other')).toEqual(OK);
      expect(strs(await c.call('ACL', 'LIST'))[0]).toBe(`user default on #${sha256('other')} ~* &* +@all`);
      const d = await RawClient.connect(h.port);
      expect(err(await d.call('AUTH', 'default', 'topsecret'))).toMatch(/^WRONGPASS/);
      expect(await d.call('AUTH', 'default', 'other')).toEqual(OK);
      d.close();
      expect(await c.call('CONFIG', 'SET', 'requirepass', '')).toEqual(OK);
      const e = await RawClient.connect(h.port);
      expect(await e.call('PING')).toEqual({ t: 'status', v: 'PONG' });
      e.close();
      c.close();
    } finally {
      await h.close();
    }
  });

  it('ACL DELUSER closes the user clients; CLIENT KILL USER', async () => {
    await admin.call('ACL', 'SETUSER', 'k1', 'on', 'nopass', '+@all', '~*');
    const a = await as('k1', 'x');
    const b = await as('k1', 'x');
    expect(err(await admin.call('CLIENT', 'KILL', 'USER', 'nobody'))).toBe("ERR No such user 'nobody'");
    expect(await admin.call('CLIENT', 'KILL', 'USER', 'k1')).toEqual({ t: 'int', v: '2' });
    await a.waitClose();
    await b.waitClose();
    const d = await as('k1', 'x');
    expect(await admin.call('ACL', 'DELUSER', 'k1')).toEqual({ t: 'int', v: '1' });
    await d.waitClose();
  });
});

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

describe('functions run with the caller rights', () => {
  beforeAll(async () => {
    await admin.call('ACL', 'SETUSER', 'f1', 'on', '>pw', '~k*', '&ch', '+@all', '-set');
  });

  it('Lua: redis.call on a denied command, key or channel raises Redis 7.0 texts; pcall returns them', async () => {
    const c = await as('f1', 'pw');
    await admin.call('ACL', 'LOG', 'RESET');
    expect(err(await c.call('EVAL', "return redis.call('set','k1','v')", '0'))).toMatch(
      /^ERR The user executing the script can't run this command or subcommand script: [0-9a-f]{40}, on @user_script:1\.$/,
    );
    expect(err(await c.call('EVAL', "return redis.call('get','zz')", '0'))).toMatch(
      /^ERR The user executing the script can't access at least one of the keys mentioned in the command arguments script: /,
    );
    expect(err(await c.call('EVAL', "return redis.pcall('get','zz')", '0'))).toBe(
      "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments",
    );
    expect((await c.call('EVAL', "return redis.call('get','k1')", '0')).t).toBe('nullbulk');
    const e = obj(((await admin.call('ACL', 'LOG', '1')) as { v: RespValue[] }).v[0]);
    expect(text(e.context)).toBe('lua');
    expect(text(e.object)).toBe('zz');
    // EVAL's own KEYS are checked before the script runs, like any command's keys.
    expect(err(await c.call('EVAL', 'return 1', '1', 'zz'))).toMatch(/^NOPERM .*keys/);
    c.close();
  });

  it('WASM: host call and get_key are bounded by the caller ACL, whatever the module permissions', async () => {
    const wabt = await wabtInit();
    const wat = (src: string): Buffer => {
      const m = wabt.parseWat('t.wat', src, { bulk_memory: true, multi_value: true, sign_extension: true, mutable_globals: true });
      try {
        m.resolveNames();
        m.validate();
        return Buffer.from(m.toBinary({}).buffer);
      } finally {
        m.destroy();
      }
    };
    // main: set_key(<key0>, "v") (a SET through the command path); getk: get_key(<arg0>), its length.
    const mod = wat(`(module
      (import "lodestone" "key_len" (func $kl (param i32) (result i32)))
      (import "lodestone" "key_read" (func $kr (param i32 i32 i32) (result i32)))
      (import "lodestone" "arg_len" (func $al (param i32) (result i32)))
      (import "lodestone" "arg_read" (func $ar (param i32 i32 i32) (result i32)))
      (import "lodestone" "get_key" (func $gk (param i32 i32) (result i32)))
      (import "lodestone" "set_key" (func $sk (param i32 i32 i32 i32) (result i32)))
      (import "lodestone" "reply_int" (func $ri (param i64)))
      (memory (export "memory") 1)
      (data (i32.const 512) "v")
      (func (export "main") (local $n i32)
        (local.set $n (call $kl (i32.const 0)))
        (drop (call $kr (i32.const 0) (i32.const 0) (local.get $n)))
        (call $ri (i64.extend_i32_s (call $sk (i32.const 0) (local.get $n) (i32.const 512) (i32.const 1)))))
      (func (export "getk") (local $n i32)
        (local.set $n (call $al (i32.const 0)))
        (drop (call $ar (i32.const 0) (i32.const 0) (local.get $n)))
        (call $ri (i64.extend_i32_s (call $gk (i32.const 0) (local.get $n))))))`);
    expect(await admin.call('WASM.LOAD', 'aclfn', mod, 'PERMISSIONS', 'READ', 'WRITE')).toEqual(OK);
    await admin.call('ACL', 'SETUSER', 'w1', 'on', '>pw', '~k*', '+@all');
    const c = await as('w1', 'pw');
    // The declared KEYS are checked by dispatch; a key the function names itself by get_key too.
    expect(await c.call('WASM.CALL', 'aclfn', 'KEYS', 'k1')).toEqual({ t: 'int', v: '0' });
    expect(err(await c.call('WASM.CALL', 'aclfn', 'KEYS', 'zz'))).toMatch(/^NOPERM .*keys/);
    await admin.call('ACL', 'SETUSER', 'w1', '-set');
    const r = await c.call('WASM.CALL', 'aclfn', 'KEYS', 'k1');
    expect(err(r)).toMatch(/^NOPERM wasm function 'aclfn': the user calling the function can't run this command or subcommand \('set'\)/);
    expect(await admin.call('GET', 'k1')).toEqual(bulk('v'));
    // get_key of a key the function names itself (not declared in KEYS) is checked too.
    await admin.call('ACL', 'SETUSER', 'w2', 'on', '>pw', '~k*', '+@all');
    const d = await as('w2', 'pw');
    expect(await d.call('WASM.CALL', 'aclfn.getk', 'ARGS', 'k1')).toEqual({ t: 'int', v: '1' });
    expect(err(await d.call('WASM.CALL', 'aclfn.getk', 'ARGS', 'zz'))).toBe(
      "NOPERM wasm function 'aclfn': the user calling the function can't access at least one of the keys mentioned in the command arguments ('get_key')",
    );
    const e = obj(((await admin.call('ACL', 'LOG', '1')) as { v: RespValue[] }).v[0]);
    expect(text(e.context)).toMatch(/module/);
    c.close();
    d.close();
    await admin.call('WASM.UNLOAD', 'aclfn');
  });
});

describe('protected mode', () => {
  function connectFrom(port: number, host: string, local: string): Promise<string> {
    return new Promise((resolve) => {
      const s = net.connect({ host, port, localAddress: local });
      let buf = '';
      s.on('data', (d) => {
        buf += d;
        // A served client gets its one reply and stays connected; a refused one is closed.
        if (buf.endsWith('\r\n') && !buf.startsWith('-DENIED')) s.destroy();
      });
      s.on('connect', () => s.write('PING\r\n'));
      s.on('error', () => {});
      s.on('close', () => resolve(buf));
      setTimeout(() => s.destroy(), 3000);
    });
  }

  it('a client from 127.0.0.2 gets -DENIED while the default user has no password', async () => {
    const h = await startLodestone({ bind: '127.0.0.1 127.0.0.2' });
    try {
      const denied = await connectFrom(h.port, '127.0.0.2', '127.0.0.2');
      expect(denied).toMatch(/^-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user\. /);
      expect(denied.endsWith("NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n")).toBe(true);
      expect(await connectFrom(h.port, '127.0.0.1', '127.0.0.1')).toBe('+PONG\r\n');
      const c = await RawClient.connect(h.port);
      // A password for the default user lifts it, as does protected-mode no (both mutable).
      await c.call('CONFIG', 'SET', 'requirepass', 'pw');
      expect(await connectFrom(h.port, '127.0.0.2', '127.0.0.2')).toBe('-NOAUTH Authentication required.\r\n');
      await c.call('AUTH', 'pw');
      await c.call('CONFIG', 'SET', 'requirepass', '');
      expect(await c.call('CONFIG', 'SET', 'protected-mode', 'no')).toEqual(OK);
      expect(await connectFrom(h.port, '127.0.0.2', '127.0.0.2')).toBe('+PONG\r\n');
      c.close();
    } finally {
      await h.close();
    }
  });
});

describe('redaction', () => {
  it('SLOWLOG and MONITOR show secrets as (redacted), admin commands are not in MONITOR', async () => {
    const h = await startLodestone({ 'slowlog-log-slower-than': '0' });
    try {
      const c = await RawClient.connect(h.port);
      const mon = await RawClient.connect(h.port);
      expect(await mon.call('MONITOR')).toEqual(OK);
      await c.call('ACL', 'SETUSER', 'sec', 'on', '>hunter2', '~*', '+@all');
      await c.call('AUTH', 'sec', 'hunter2');
      await c.call('AUTH', 'sec', 'wrongpw');
      await c.call('HELLO', '2', 'AUTH', 'sec', 'hunter2');
      await c.call('CONFIG', 'SET', 'requirepass', 'hunter3');
      await c.call('CONFIG', 'SET', 'requirepass', '');
      await c.call('PING');
      const lines: string[] = [];
      for (;;) {
        const r = await mon.read();
        lines.push(text(r));
        if (text(r).includes('"PING"')) break;
      }
      expect(lines.map((l) => l.replace(/^\S+ \[\S+ \S+\] /, ''))).toEqual([
        '"AUTH" "(redacted)" "(redacted)"',
        '"AUTH" "(redacted)" "(redacted)"',
        '"HELLO" "2" "AUTH" "(redacted)" "(redacted)"',
        '"PING"',
      ]);
      const slow = (await c.call('SLOWLOG', 'GET', '20')) as { v: RespValue[] };
      const shown = slow.v.map((e) => strs((e as { v: RespValue[] }).v[3]).join(' '));
      expect(shown).toContain('ACL SETUSER (redacted) (redacted) (redacted) (redacted) (redacted)');
      expect(shown).toContain('AUTH (redacted) (redacted)');
      expect(shown).toContain('HELLO 2 AUTH (redacted) (redacted)');
      expect(shown).toContain('CONFIG SET requirepass (redacted)');
      expect(shown.join('\n')).not.toMatch(/hunter/);
      c.close();
      mon.close();
    } finally {
      await h.close();
    }
  });
});

describe('users from config.toml and the aclfile', () => {
  it('`user` lines (a TOML array) and ACL SAVE / LOAD with an aclfile', async () => {
    const config = new Config();
    config.loadFile(defaultConfigPath());
    config.loadToml('user = ["alice on >pw ~a:* +@read", "bob off"]\nport = 0\n', 'inline.toml');
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-acl-'));
    config.setText('dir', dir);
    const server = new Server({ config, log: silentLogger() });
    const port = await server.listen();
    try {
      const c = await RawClient.connect(port);
      expect(strs(await c.call('ACL', 'LIST'))).toEqual([
        'user alice on #' + sha256('pw') + ' ~a:* resetchannels -@all +@read',
        'user bob off resetchannels -@all',
        'user default on nopass ~* &* +@all',
      ]);
      expect(err(await c.call('ACL', 'SAVE'))).toMatch(/^ERR This Redis instance is not configured to use an ACL file/);
      expect(strs(await c.call('CONFIG', 'GET', '*')).join(' ')).not.toMatch(/alice/);
      c.close();
    } finally {
      await server.close();
    }
    writeFileSync(join(dir, 'users.acl'), 'user carol on >pw ~c:* +get\n');
    const h = await startLodestone({ dir, aclfile: 'users.acl' });
    try {
      const c = await RawClient.connect(h.port);
      expect(strs(await c.call('ACL', 'USERS'))).toEqual(['carol', 'default']);
      const carol = await RawClient.connect(h.port);
      expect(await carol.call('AUTH', 'carol', 'pw')).toEqual(OK);
      await c.call('ACL', 'SETUSER', 'dave', 'on', 'nopass', '+@all', '~*');
      expect(await c.call('ACL', 'SAVE')).toEqual(OK);
      expect(readFileSync(join(dir, 'users.acl'), 'latin1')).toContain('user dave on nopass ~* resetchannels +@all');
      writeFileSync(join(dir, 'users.acl'), 'user dave on nopass ~* +@all\nbogus line\n');
      expect(err(await c.call('ACL', 'LOAD'))).toMatch(/should start with user keyword followed by the username\. WARNING: ACL errors detected, no change to the previously active ACL rules was performed$/);
      expect(strs(await c.call('ACL', 'USERS'))).toEqual(['carol', 'dave', 'default']);
      writeFileSync(join(dir, 'users.acl'), 'user dave on nopass ~* +@all\n');
      expect(await c.call('ACL', 'LOAD')).toEqual(OK);
      expect(strs(await c.call('ACL', 'USERS'))).toEqual(['dave', 'default']);
      await carol.waitClose();
      c.close();
    } finally {
      await h.close();
    }
  });
});

describe('rule parser fuzz', () => {
  it('random rule lists never crash the server and leave it consistent', async () => {
    const rnd = mulberry32(0xac1);
    const c = await RawClient.connect(ls.port);
    for (const rules of randomRules(rnd, 400)) {
      const r = await c.call('ACL', 'SETUSER', 'fz', ...rules);
      expect(r.t === 'status' || r.t === 'error', show(r)).toBe(true);
      if (r.t === 'status') {
        // What ACL LIST shows must load back as the same user.
        const line = strs(await c.call('ACL', 'LIST')).find((l) => l.startsWith('user fz '))!;
        const back = line.slice('user fz '.length).match(/\([^)]*\)|\S+/g)!;
        await c.call('ACL', 'DELUSER', 'fz2');
        expect(await c.call('ACL', 'SETUSER', 'fz2', ...back), line).toEqual(OK);
        const line2 = strs(await c.call('ACL', 'LIST')).find((l) => l.startsWith('user fz2 '))!;
        expect(line2.slice(9)).toBe(line.slice(8));
      }
    }
    expect(await c.call('PING')).toEqual({ t: 'status', v: 'PONG' });
    await until(() => true);
    c.close();
  });
});
