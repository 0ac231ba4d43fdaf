// The WASM.* command surface over real sockets: WASM.LOAD (bytes, bytes last, file in module_dir,
// path escapes, REPLACE), UNLOAD, CALL / CALL_RO with `name.fn`, LIST, INFO (RESP2 and RESP3),
// STATS, INFO wasm, the compile cache and instance pool as seen in the stats, persistence across a
// restart, MULTI/EXEC and WATCH, the command deny list and permissions, COMMAND DOCS, and what the
// write observers receive.
//
// Modules are written in WAT and compiled with wabt (devDependency). Most tests use `proxy`, a
// guest that runs its ARGS as one command through the `call` host function and passes the reply
// through with `reply_raw` — so any command can be tried from inside a function.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import wabtInit from 'wabt';
import { Redis } from 'ioredis';
import { LodestoneHandle, startLodestone } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { show, type RespValue } from './helpers/resp.js';
import { PROXY_WAT } from './helpers/wasm-guests.js';
import type { WriteEvent } from '../src/server/server.js';

type Wabt = Awaited<ReturnType<typeof wabtInit>>;
let wabt: Wabt;

function wat(src: string): Buffer {
  const m = wabt.parseWat('t.wat', src, { bulk_memory: true, multi_value: true, sign_extension: true, mutable_globals: true });
  try {
    m.resolveNames();
    m.validate();
    return Buffer.from(m.toBinary({}).buffer);
  } finally {
    m.destroy();
  }
}

function watBytes(s: string): string {
  let out = '"';
  for (const c of Buffer.from(s, 'latin1')) out += '\\' + c.toString(16).padStart(2, '0');
  return out + '"';
}

function resp(...args: string[]): string {
  return `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`).join('');
}

/** Runs `cmds` through `call`, then `tail`, and replies with the integer 0. */
function callSeqModule(cmds: string[][], tail = ''): Buffer {
  const data: string[] = [];
  const calls: string[] = [];
  let off = 1024;
  for (const c of cmds) {
    const r = resp(...c);
    data.push(`(data (i32.const ${off}) ${watBytes(r)})`);
    calls.push(`(drop (call $call (i32.const ${off}) (i32.const ${r.length})))`);
    off += Math.ceil((r.length + 1) / 256) * 256;
  }
  return wat(`(module
    (import "lodestone" "call" (func $call (param i32 i32) (result i32)))
    (memory (export "memory") 1)
    ${data.join('\n')}
    (func (export "main") (result i64) ${calls.join('\n')} ${tail} (i64.const 0)))`);
}


const answer = (n: number, extra = '') => wat(`(module ${extra} (func (export "main") (result i64) (i64.const ${n})))`);

const OK: RespValue = { t: 'status', v: 'OK' };
const int = (n: number | string): RespValue => ({ t: 'int', v: String(n) });
const bulk = (v: string): RespValue => ({ t: 'bulk', v });
const errText = (v: RespValue): string => {
  if (v.t !== 'error') throw new Error(`expected an error reply, got ${show(v)}`);
  return v.v;
};

/** A RESP2 flat [k, v, k, v …] array or a RESP3 map as a JS object (nested ones too). */
function obj(v: RespValue): Record<string, RespValue> {
  if (v.t !== 'array' && v.t !== 'map') throw new Error(`expected a map, got ${show(v)}`);
  const o: Record<string, RespValue> = {};
  for (let i = 0; i < v.v.length; i += 2) o[(v.v[i] as { v: string }).v] = v.v[i + 1];
  return o;
}
const num = (v: RespValue): number => Number((v as { v: string }).v);

let ls: LodestoneHandle;
let c: RawClient;
let PROXY: Buffer;

beforeAll(async () => {
  wabt = await wabtInit();
  PROXY = wat(PROXY_WAT);
  ls = await startLodestone({ 'enable-protected-configs': 'yes' });
  c = await RawClient.connect(ls.port);
});

afterAll(async () => {
  c?.close();
  await ls?.close();
});

afterEach(async () => {
  await c.call('CONFIG', 'SET', 'wasm.security.default_permissions', 'readonly');
});

async function load(...args: (string | Buffer)[]): Promise<void> {
  const r = await c.call('WASM.LOAD', ...args);
  expect(r, show(r)).toEqual(OK);
}

// ---------------------------------------------------------------------------------------------

describe('WASM.LOAD', () => {
  it('loads module bytes, with the bytes before or after the options', async () => {
    await load('a1', answer(1));
    expect(await c.call('WASM.CALL', 'a1')).toEqual(int(1));
    await load('a2', 'PERMISSIONS', 'WRITE', answer(2));
    expect(await c.call('WASM.CALL', 'a2')).toEqual(int(2));
    await load('a2', 'REPLACE', 'PERMISSIONS', 'READ', 'WRITE', answer(3));
    expect(await c.call('WASM.CALL', 'a2')).toEqual(int(3));
    await load('a3', answer(4), 'PERMISSIONS', 'read', 'REPLACE');
    const info = obj(await c.call('WASM.INFO', 'a3'));
    expect(info.permissions).toEqual({ t: 'array', v: [bulk('read')] });
    expect(await c.call('WASM.CALL', 'a3')).toEqual(int(4));
  });

  it('syntax errors and bad names', async () => {
    expect(errText(await c.call('WASM.LOAD', 'x'))).toBe("ERR wrong number of arguments for 'wasm.load' command");
    expect(errText(await c.call('WASM.LOAD', 'x', answer(1), answer(2)))).toBe('ERR more than one module given');
    expect(errText(await c.call('WASM.LOAD', 'x', answer(1), 'PERMISSIONS'))).toBe('ERR PERMISSIONS needs at least one of READ WRITE ADMIN');
    expect(errText(await c.call('WASM.LOAD', 'x', answer(1), 'PERMISSIONS', 'ROOT'))).toBe("ERR unknown permission 'ROOT' (use READ WRITE ADMIN)");
    expect(errText(await c.call('WASM.LOAD', 'x', 'REPLACE'))).toBe('ERR missing module: pass the module bytes or a file name inside module_dir');
    for (const bad of ['a.b', '../x', 'x y', '', 'n'.repeat(65)]) {
      expect(errText(await c.call('WASM.LOAD', bad, answer(1)))).toBe(`ERR WASM.LOAD ${bad}: invalid function name '${bad}': use 1-64 letters, digits, '_' or '-'`);
    }
  });

  it('loads a file from module_dir; refuses paths that escape it', async () => {
    const dir = join(ls.config.getString('dir'), 'wasm');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'fromfile.wasm'), answer(11));
    writeFileSync(join(dir, 'sub', 'nested.wasm'), answer(12));
    writeFileSync(join(ls.config.getString('dir'), 'outside.wasm'), answer(13));
    await load('ff', 'fromfile.wasm');
    expect(await c.call('WASM.CALL', 'ff')).toEqual(int(11));
    await load('ff2', 'PERMISSIONS', 'WRITE', 'sub/nested.wasm');
    expect(await c.call('WASM.CALL', 'ff2')).toEqual(int(12));
    // The user's files are not the persisted copies: loading another module under the file's own
    // name and unloading it leave fromfile.wasm untouched.
    await load('fromfile', 'fromfile.wasm');
    expect(await c.call('WASM.UNLOAD', 'fromfile')).toEqual({ t: 'status', v: 'OK' });
    expect(readFileSync(join(dir, 'fromfile.wasm')).equals(Buffer.from(answer(11)))).toBe(true);
    for (const p of ['../outside.wasm', 'sub/../../outside.wasm', join(ls.config.getString('dir'), 'outside.wasm'), '/etc/passwd', '..', '.']) {
      expect(errText(await c.call('WASM.LOAD', 'esc', p))).toBe(`ERR WASM.LOAD esc: module file must be a name inside module_dir: '${p}'`);
    }
    expect(errText(await c.call('WASM.LOAD', 'esc', 'nope.wasm'))).toBe(`ERR WASM.LOAD esc: no module file 'nope.wasm' in module_dir (${dir})`);
    // BUG (fixed): a directory (or an unreadable file) crashed the handler ("internal error in 'wasm.load'")
    expect(errText(await c.call('WASM.LOAD', 'esc', 'sub'))).toMatch(/^ERR WASM\.LOAD esc: cannot read module file 'sub': /);
    // a file that is not a module
    writeFileSync(join(dir, 'text.wasm'), 'hello');
    expect(errText(await c.call('WASM.LOAD', 'esc', 'text.wasm'))).toBe('ERR WASM.LOAD esc: invalid module: missing the \\0asm magic number');
    expect(errText(await c.call('WASM.CALL', 'esc'))).toBe("ERR no such wasm function 'esc'");
  });

  it('an existing name needs REPLACE; REPLACE swaps atomically and new calls see the new code', async () => {
    await load('rep', answer(1));
    expect(errText(await c.call('WASM.LOAD', 'rep', answer(2)))).toBe("ERR WASM.LOAD rep: function 'rep' already exists (use REPLACE)");
    expect(await c.call('WASM.CALL', 'rep')).toEqual(int(1));
    // a failing REPLACE leaves the old function in place
    expect(errText(await c.call('WASM.LOAD', 'rep', wat(`(module (func (export "run")))`), 'REPLACE'))).toMatch(/no entry point/);
    expect(await c.call('WASM.CALL', 'rep')).toEqual(int(1));
    // pipelined: calls before the REPLACE see the old code, calls after it the new
    c.writeRaw(
      Buffer.concat([
        Buffer.from(resp('WASM.CALL', 'rep')),
        Buffer.from(`*4\r\n$9\r\nWASM.LOAD\r\n$3\r\nrep\r\n$${answer(2).length}\r\n`),
        answer(2),
        Buffer.from('\r\n$7\r\nREPLACE\r\n'),
        Buffer.from(resp('WASM.CALL', 'rep')),
      ]),
    );
    expect(await c.read()).toEqual(int(1));
    expect(await c.read()).toEqual(OK);
    expect(await c.read()).toEqual(int(2));
    // stats start afresh with the new code
    expect(num(obj(await c.call('WASM.INFO', 'rep')).call_count)).toBe(1);
  });

  it('PERMISSIONS NETWORK / FILESYSTEM are refused by name: they grant nothing, so they do not exist', async () => {
    expect(errText(await c.call('WASM.LOAD', 'net', answer(1), 'PERMISSIONS', 'NETWORK'))).toBe(
      'ERR WASM.LOAD net: the NETWORK permission does not exist: a WASM function has no network access (docs/ABI.md, Permissions)',
    );
    expect(errText(await c.call('WASM.LOAD', 'net', answer(1), 'PERMISSIONS', 'READ', 'filesystem'))).toBe(
      'ERR WASM.LOAD net: the FILESYSTEM permission does not exist: a WASM function has no file access (docs/ABI.md, Permissions)',
    );
    expect(errText(await c.call('CONFIG', 'SET', 'wasm.security.allow_network', 'yes'))).toMatch(/Unknown option/);
    expect(await c.call('WASM.INFO', 'net')).toEqual({ t: 'error', v: "ERR no such wasm function 'net'" });
  });

  it('default_permissions applies when no PERMISSIONS is given', async () => {
    await load('defp', PROXY);
    expect(obj(await c.call('WASM.INFO', 'defp')).permissions).toEqual({ t: 'array', v: [bulk('read')] });
    await c.call('SET', 'dk', 'v');
    expect(await c.call('WASM.CALL', 'defp', 'ARGS', 'GET', 'dk')).toEqual(bulk('v'));
    expect(errText(await c.call('WASM.CALL', 'defp', 'ARGS', 'SET', 'dk', 'w'))).toBe("NOPERM wasm function 'defp': write command 'set' needs the WRITE permission");
    expect(await c.call('GET', 'dk')).toEqual(bulk('v'));
    expect(await c.call('CONFIG', 'SET', 'wasm.security.default_permissions', 'readwrite')).toEqual(OK);
    await load('defp', PROXY, 'REPLACE');
    expect(obj(await c.call('WASM.INFO', 'defp')).permissions).toEqual({ t: 'array', v: [bulk('read'), bulk('write')] });
    expect(await c.call('WASM.CALL', 'defp', 'ARGS', 'SET', 'dk', 'w')).toEqual(OK);
    expect(await c.call('CONFIG', 'SET', 'wasm.security.default_permissions', 'none')).toEqual(OK);
    await load('defp', PROXY, 'REPLACE');
    expect(obj(await c.call('WASM.INFO', 'defp')).permissions).toEqual({ t: 'array', v: [] });
    expect(errText(await c.call('WASM.CALL', 'defp', 'ARGS', 'GET', 'dk'))).toBe("NOPERM wasm function 'defp': command 'get' reads keys and needs the READ permission");
    // BUG (fixed): readonly commands without key arguments read the keyspace without READ
    for (const cmd of [['KEYS', '*'], ['SCAN', '0'], ['RANDOMKEY'], ['DBSIZE']]) {
      expect(errText(await c.call('WASM.CALL', 'defp', 'ARGS', ...cmd))).toBe(
        `NOPERM wasm function 'defp': command '${cmd[0].toLowerCase()}' reads keys and needs the READ permission`,
      );
    }
    // commands that read no data still work
    expect(await c.call('WASM.CALL', 'defp', 'ARGS', 'PING')).toEqual({ t: 'status', v: 'PONG' });
    expect(await c.call('WASM.CALL', 'defp', 'ARGS', 'ECHO', 'hi')).toEqual(bulk('hi'));
  });
});

describe('WASM.UNLOAD and WASM.CALL', () => {
  it('UNLOAD, then CALL is an error', async () => {
    await load('gone', answer(5));
    expect(await c.call('WASM.UNLOAD', 'gone')).toEqual(OK);
    expect(errText(await c.call('WASM.CALL', 'gone'))).toBe("ERR no such wasm function 'gone'");
    expect(errText(await c.call('WASM.CALL_RO', 'gone.main'))).toBe("ERR no such wasm function 'gone'");
    expect(errText(await c.call('WASM.UNLOAD', 'gone'))).toBe("ERR no such wasm function 'gone'");
    expect(errText(await c.call('WASM.INFO', 'gone'))).toBe("ERR no such wasm function 'gone'");
    // and it can be loaded again under the same name without REPLACE
    await load('gone', answer(6));
    expect(await c.call('WASM.CALL', 'gone')).toEqual(int(6));
  });

  it('name.fn runs another export; an unknown export is an error', async () => {
    await load(
      'multi',
      wat(`(module (memory (export "memory") 1)
        (func (export "main") (result i64) (i64.const 1))
        (func (export "two") (result i32) (i32.const 2))
        (func (export "nothing"))
        (func (export "framed") (param i32 i32) (result i64) (i64.extend_i32_u (local.get 1)))
        (func (export "lodestone_alloc") (param i32) (result i32) (i32.const 1024))
        (func (export "helper") (param f32) (result f32) (local.get 0))
        (func (export "__internal") (result i64) (i64.const 9)))`),
    );
    expect(await c.call('WASM.CALL', 'multi')).toEqual(int(1));
    expect(await c.call('WASM.CALL', 'multi.main')).toEqual(int(1));
    expect(await c.call('WASM.CALL', 'multi.two')).toEqual(int(2));
    expect(await c.call('WASM.CALL_RO', 'multi.two')).toEqual(int(2));
    expect(await c.call('WASM.CALL', 'multi.nothing')).toEqual({ t: 'nullbulk' });
    // frame: u32 nkeys, (u32 len, "ab"), u32 nargs, (u32 len, "xyz") = 4 + 6 + 4 + 7 = 21 bytes
    expect(await c.call('WASM.CALL', 'multi.framed', 'KEYS', 'ab', 'ARGS', 'xyz')).toEqual(int(21));
    const exportsList = 'main, two, nothing, framed';
    for (const e of ['nope', 'helper', '__internal', 'lodestone_alloc', '__lodestone_fuel', 'memory', '']) {
      expect(errText(await c.call('WASM.CALL', `multi.${e}`))).toBe(`ERR wasm function 'multi' has no callable export '${e}' (exports: ${exportsList})`);
    }
    expect(obj(await c.call('WASM.INFO', 'multi')).exports).toEqual({ t: 'array', v: exportsList.split(', ').map(bulk) });
    expect(errText(await c.call('WASM.CALL', 'multi', 'extra'))).toBe("ERR syntax error: expected KEYS or ARGS, got 'extra'");
  });

  it('WASM.CALL inside MULTI/EXEC', async () => {
    await load('mx', PROXY, 'PERMISSIONS', 'WRITE');
    await c.call('DEL', 'mk');
    expect(await c.call('MULTI')).toEqual(OK);
    expect(await c.call('SET', 'mk', '10')).toEqual({ t: 'status', v: 'QUEUED' });
    expect(await c.call('WASM.CALL', 'mx', 'KEYS', 'mk', 'ARGS', 'INCRBY', 'mk', '5')).toEqual({ t: 'status', v: 'QUEUED' });
    expect(await c.call('WASM.CALL', 'mx.fail', 'ARGS', 'SET', 'mk', 'lost')).toEqual({ t: 'status', v: 'QUEUED' });
    expect(await c.call('GET', 'mk')).toEqual({ t: 'status', v: 'QUEUED' });
    expect(await c.call('EXEC')).toEqual({
      t: 'array',
      v: [OK, int(15), { t: 'error', v: "ERR wasm function 'mx' failed: trap: unreachable (guest fault)" }, bulk('15')],
    });
  });

  it('WATCH on a key a WASM.CALL writes is invalidated', async () => {
    await load('wx', PROXY, 'PERMISSIONS', 'WRITE');
    const other = await RawClient.connect(ls.port);
    try {
      await c.call('SET', 'wk', '1');
      // the key written is not among KEYS: the command the guest runs marks it
      expect(await c.call('WATCH', 'wk')).toEqual(OK);
      expect(await other.call('WASM.CALL', 'wx', 'ARGS', 'INCR', 'wk')).toEqual(int(2));
      expect(await c.call('MULTI')).toEqual(OK);
      expect(await c.call('SET', 'wk', 'mine')).toEqual({ t: 'status', v: 'QUEUED' });
      expect(await c.call('EXEC')).toEqual({ t: 'nullarray' });
      expect(await c.call('GET', 'wk')).toEqual(bulk('2'));
      // a call that only reads does not invalidate
      expect(await c.call('WATCH', 'wk')).toEqual(OK);
      expect(await other.call('WASM.CALL', 'wx', 'ARGS', 'GET', 'wk')).toEqual(bulk('2'));
      expect(await c.call('MULTI')).toEqual(OK);
      expect(await c.call('SET', 'wk', 'mine')).toEqual({ t: 'status', v: 'QUEUED' });
      expect(await c.call('EXEC')).toEqual({ t: 'array', v: [OK] });
    } finally {
      other.close();
    }
  });

  // The undo log scans its records for a few keys and switches to a Set past eight: both paths,
  // with keys written twice, TTLs and keys that did not exist, are put back exactly.
  it('a failed call puts back every key it wrote, few or many, written once or twice', async () => {
    for (const n of [3, 20]) {
      const cmds: string[][] = [];
      for (let i = 0; i < n; i++) {
        await c.call('SET', `ul:${n}:${i}`, `old${i}`, ...(i % 2 ? ['PX', '100000'] : []));
        cmds.push(['SET', `ul:${n}:${i}`, 'new'], ['APPEND', `ul:${n}:${i}`, 'x']);
      }
      cmds.push(['SET', `ul:${n}:fresh`, 'v'], ['INCR', `ul:${n}:fresh2`]);
      await load(`ul${n}`, callSeqModule(cmds, 'unreachable'), 'PERMISSIONS', 'WRITE');
      expect(errText(await c.call('WASM.CALL', `ul${n}`))).toMatch(/trap: unreachable/);
      for (let i = 0; i < n; i++) {
        expect(await c.call('GET', `ul:${n}:${i}`)).toEqual(bulk(`old${i}`));
        const ttl = num(await c.call('PTTL', `ul:${n}:${i}`));
        if (i % 2) expect(ttl).toBeGreaterThan(0);
        else expect(ttl).toBe(-1);
      }
      expect(await c.call('EXISTS', `ul:${n}:fresh`, `ul:${n}:fresh2`)).toEqual(int(0));
    }
  });

  // Redis 7.0.15 (checked with EVAL … 1 k): a script that only reads a watched key, or writes
  // another key, leaves the WATCH intact; one that writes the key breaks it. The declared KEYS of
  // a call are not touched wholesale: only the keys its commands change are (signalModifiedKey).
  it('WATCH: only the keys a WASM.CALL writes are touched, not all its KEYS (ioredis)', async () => {
    await load('wread', callSeqModule([['GET', 'wr:k']]), 'PERMISSIONS', 'READ', 'WRITE');
    await load('wother', callSeqModule([['GET', 'wr:k'], ['SET', 'wr:other', 'x']]), 'PERMISSIONS', 'READ', 'WRITE');
    await load('wnone', callSeqModule([['DEL', 'wr:missing']]), 'PERMISSIONS', 'READ', 'WRITE');
    await load('wself', callSeqModule([['GET', 'wr:k'], ['SET', 'wr:k', 'y']]), 'PERMISSIONS', 'READ', 'WRITE');
    const watcher = new Redis({ port: ls.port, host: '127.0.0.1', enableReadyCheck: false, disableClientInfo: true });
    const caller = new Redis({ port: ls.port, host: '127.0.0.1', enableReadyCheck: false, disableClientInfo: true });
    try {
      await watcher.set('wr:k', '1');
      const attempt = async (fn: string): Promise<unknown> => {
        expect(await watcher.watch('wr:k')).toBe('OK');
        expect(await caller.call('WASM.CALL', fn, 'KEYS', 'wr:k')).toBe(0);
        return watcher.multi().set('wr:mine', fn).exec();
      };
      expect(await attempt('wread')).toEqual([[null, 'OK']]);
      expect(await attempt('wother')).toEqual([[null, 'OK']]);
      expect(await caller.get('wr:other')).toBe('x');
      expect(await attempt('wnone')).toEqual([[null, 'OK']]);
      expect(await attempt('wself')).toBeNull();
      expect(await watcher.get('wr:k')).toBe('y');
      expect(await watcher.get('wr:mine')).toBe('wnone');
    } finally {
      watcher.disconnect();
      caller.disconnect();
    }
  });

  it('commands a function may not run are NOPERM errors', async () => {
    await load('deny', PROXY, 'PERMISSIONS', 'WRITE');
    await c.call('SET', 'dn', 'keep');
    const cases: [string[], string][] = [
      [['MULTI'], "command 'multi' is not allowed from a WASM function"],
      [['EXEC'], "command 'exec' is not allowed from a WASM function"],
      [['WATCH', 'dn'], "command 'watch' is not allowed from a WASM function"],
      [['BLPOP', 'nolist', '0'], "command 'blpop' is not allowed from a WASM function"],
      [['BRPOPLPUSH', 'a', 'b', '0'], "command 'brpoplpush' is not allowed from a WASM function"],
      [['SUBSCRIBE', 'ch'], "command 'subscribe' is not allowed from a WASM function"],
      [['WASM.CALL', 'deny', 'ARGS', 'PING'], "command 'wasm.call' is not allowed from a WASM function"],
      [['WASM.LOAD', 'x', 'y'], "command 'wasm.load' is not allowed from a WASM function"],
      [['FLUSHALL'], "command 'flushall' is not allowed from a WASM function"],
      [['FLUSHDB'], "command 'flushdb' is not allowed from a WASM function"],
      [['SELECT', '1'], "command 'select' is not allowed from a WASM function: it reaches a database other than the caller's"],
      [['SWAPDB', '0', '1'], "command 'swapdb' is not allowed from a WASM function: it reaches a database other than the caller's"],
      [['MOVE', 'dn', '1'], "command 'move' is not allowed from a WASM function: it reaches a database other than the caller's"],
      [['CLIENT', 'SETNAME', 'x'], "command 'client|setname' is not allowed from a WASM function"],
      [['CONFIG', 'SET', 'maxmemory', '1'], "command 'config|set' is not allowed from a WASM function"],
      [['SLOWLOG', 'RESET'], "admin command 'slowlog|reset' needs the ADMIN permission"],
      [['SLOWLOG', 'GET'], "admin command 'slowlog|get' needs the ADMIN permission"],
    ];
    for (const [cmd, msg] of cases) {
      expect(errText(await c.call('WASM.CALL', 'deny', 'ARGS', ...cmd)), cmd.join(' ')).toBe(`NOPERM wasm function 'deny': ${msg}`);
    }
    // unknown commands and arity errors are ordinary error replies the guest sees
    expect(await c.call('WASM.CALL', 'deny', 'ARGS', 'NOSUCH')).toEqual({ t: 'error', v: "ERR unknown command 'NOSUCH', with args beginning with: " });
    expect(await c.call('WASM.CALL', 'deny', 'ARGS', 'GET')).toEqual({ t: 'error', v: "ERR wrong number of arguments for 'get' command" });
    expect(await c.call('GET', 'dn')).toEqual(bulk('keep'));
    // with ADMIN the admin command runs
    await load('admin', PROXY, 'PERMISSIONS', 'ADMIN');
    expect(await c.call('WASM.CALL', 'admin', 'ARGS', 'SLOWLOG', 'RESET')).toEqual(OK);
    expect(await c.call('WASM.CALL', 'admin', 'ARGS', 'SLOWLOG', 'LEN')).toEqual(int(0));
    // ... but ADMIN does not imply WRITE
    expect(errText(await c.call('WASM.CALL', 'admin', 'ARGS', 'SET', 'dn', 'x'))).toBe("NOPERM wasm function 'admin': write command 'set' needs the WRITE permission");
    // the connection state is untouched by all this
    expect(await c.call('SET', 'dn', 'still-db0')).toEqual(OK);
    expect(await c.call('GET', 'dn')).toEqual(bulk('still-db0'));
  });
});

describe('WASM.LIST, WASM.INFO, WASM.STATS, INFO wasm', () => {
  let fresh: LodestoneHandle;
  let f: RawClient;
  beforeAll(async () => {
    fresh = await startLodestone();
    f = await RawClient.connect(fresh.port);
  });
  afterAll(async () => {
    f?.close();
    await fresh?.close();
  });

  it('WASM.LIST [WITHSTATS] and WASM.INFO in RESP2 (flat arrays)', async () => {
    const bytes = answer(7);
    expect(await f.call('WASM.LOAD', 'zeta', bytes, 'PERMISSIONS', 'WRITE')).toEqual(OK);
    expect(await f.call('WASM.LOAD', 'alpha', PROXY)).toEqual(OK);
    expect(await f.call('WASM.CALL', 'zeta')).toEqual(int(7));
    const list = await f.call('WASM.LIST');
    expect(list.t).toBe('array');
    const items = (list as { v: RespValue[] }).v.map(obj);
    expect(items.map((i) => (i.name as { v: string }).v)).toEqual(['alpha', 'zeta']);
    expect(Object.keys(items[1])).toEqual(['name', 'call_count', 'permissions', 'exports', 'size', 'sha256']);
    expect(items[1].call_count).toEqual(int(1));
    // as granted (WRITE implies READ when checking, but INFO shows what was asked for)
    expect(items[1].permissions).toEqual({ t: 'array', v: [bulk('write')] });
    expect(items[0].permissions).toEqual({ t: 'array', v: [bulk('read')] });
    expect(items[1].exports).toEqual({ t: 'array', v: [bulk('main')] });
    expect(items[1].size).toEqual(int(bytes.length));
    const { createHash } = await import('node:crypto');
    expect(items[1].sha256).toEqual(bulk(createHash('sha256').update(bytes).digest('hex')));
    const withStats = ((await f.call('WASM.LIST', 'WITHSTATS')) as { v: RespValue[] }).v.map(obj);
    expect(Object.keys(withStats[1])).toEqual(['name', 'call_count', 'permissions', 'exports', 'size', 'sha256', 'stats']);
    expect(errText(await f.call('WASM.LIST', 'BOGUS'))).toBe('ERR syntax error');
    const info = await f.call('WASM.INFO', 'zeta');
    expect(info.t).toBe('array');
    const o = obj(info);
    expect(Object.keys(o)).toEqual(['name', 'call_count', 'permissions', 'exports', 'size', 'sha256', 'stats']);
    const stats = obj(o.stats);
    expect(Object.keys(stats)).toEqual([
      'calls', 'failed_calls', 'errors', 'total_us', 'avg_us', 'p99_us', 'fuel_used', 'fuel_last_call',
      'instances_created', 'instances_reused', 'instances_evicted', 'instances_idle',
    ]);
    expect(stats.calls).toEqual(int(1));
    expect(stats.failed_calls).toEqual(int(0));
    expect(Object.keys(obj(stats.errors))).toEqual(['fuel', 'timeout', 'memory', 'depth', 'trap', 'abort', 'host_call', 'permission', 'bad_reply', 'internal']);
    expect(num(stats.fuel_last_call)).toBeGreaterThan(0);
  });

  it('WASM.INFO in RESP3 is a map (nested maps too)', async () => {
    const r3 = await RawClient.connect(fresh.port);
    try {
      expect((await r3.call('HELLO', '3')).t).toBe('map');
      const info = await r3.call('WASM.INFO', 'zeta');
      expect(info.t).toBe('map');
      const o = obj(info);
      expect(o.name).toEqual(bulk('zeta'));
      expect(o.stats.t).toBe('map');
      expect(obj(o.stats).errors.t).toBe('map');
      const list = (await r3.call('WASM.LIST')) as { t: string; v: RespValue[] };
      expect(list.t).toBe('array');
      expect(list.v.every((x) => x.t === 'map')).toBe(true);
      expect((await r3.call('WASM.STATS')).t).toBe('map');
    } finally {
      r3.close();
    }
  });

  it('identical bytes under two names compile once (compile_cache_hits)', async () => {
    const before = obj(await f.call('WASM.STATS'));
    const bytes = answer(8, '(memory 1)');
    expect(await f.call('WASM.LOAD', 'same1', bytes)).toEqual(OK);
    expect(await f.call('WASM.LOAD', 'same2', bytes)).toEqual(OK);
    const after = obj(await f.call('WASM.STATS'));
    expect(num(after.compilations)).toBe(num(before.compilations) + 1);
    expect(num(after.compile_cache_hits)).toBe(num(before.compile_cache_hits) + 1);
    expect(num(after.functions)).toBe(num(before.functions) + 2);
    // UNLOAD and load again: still cached
    expect(await f.call('WASM.UNLOAD', 'same2')).toEqual(OK);
    expect(await f.call('WASM.LOAD', 'same2', bytes)).toEqual(OK);
    const again = obj(await f.call('WASM.STATS'));
    expect(num(again.compilations)).toBe(num(after.compilations));
    expect(num(again.compile_cache_hits)).toBe(num(after.compile_cache_hits) + 1);
    expect(await f.call('WASM.CALL', 'same1')).toEqual(int(8));
    expect(await f.call('WASM.CALL', 'same2')).toEqual(int(8));
  });

  it('instances are reused across calls (instances_reused grows, instances_created stays small)', async () => {
    expect(await f.call('WASM.LOAD', 'pooled', PROXY)).toEqual(OK);
    for (let i = 0; i < 50; i++) expect(await f.call('WASM.CALL', 'pooled', 'ARGS', 'PING')).toEqual({ t: 'status', v: 'PONG' });
    const s = obj(obj(await f.call('WASM.INFO', 'pooled')).stats);
    expect(num(s.calls)).toBe(50);
    expect(num(s.instances_created)).toBeLessThanOrEqual(2);
    expect(num(s.instances_reused)).toBeGreaterThanOrEqual(50);
    // a failed call discards its instance; the next call gets another
    expect(errText(await f.call('WASM.CALL', 'pooled.fail', 'ARGS', 'PING'))).toMatch(/unreachable/);
    const s2 = obj(obj(await f.call('WASM.INFO', 'pooled')).stats);
    expect(num(s2.instances_evicted)).toBe(num(s.instances_evicted) + 1);
    expect(num(s2.failed_calls)).toBe(1);
    expect(num(obj(s2.errors).trap)).toBe(1);
  });

  it('WASM.STATS and INFO wasm agree', async () => {
    const st = obj(await f.call('WASM.STATS'));
    expect(Object.keys(st)).toEqual(['functions', 'calls', 'failed_calls', 'fuel_used', 'compilations', 'compile_cache_hits', 'compile_cache_entries', 'compile_cache_bytes', 'instances', 'used_memory', 'errors']);
    const info = ((await f.call('INFO', 'wasm')) as { v: string }).v;
    expect(info).toMatch(/^# Wasm\r\n/);
    const fields = Object.fromEntries(
      info
        .split('\r\n')
        .filter((l) => l.includes(':'))
        .map((l) => l.split(':') as [string, string]),
    );
    expect(fields.wasm_enabled).toBe('1');
    expect(fields.wasm_functions).toBe(String(num(st.functions)));
    expect(fields.wasm_calls).toBe(String(num(st.calls)));
    expect(fields.wasm_failed_calls).toBe(String(num(st.failed_calls)));
    expect(fields.wasm_compilations).toBe(String(num(st.compilations)));
    expect(fields.wasm_compile_cache_hits).toBe(String(num(st.compile_cache_hits)));
    expect(fields.wasm_errors_trap).toBe('1');
    expect(Number(fields.wasm_instances_idle)).toBeGreaterThan(0);
    // calls of unloaded functions still count registry-wide
    const calls = num(st.calls);
    expect(await f.call('WASM.UNLOAD', 'pooled')).toEqual(OK);
    expect(num(obj(await f.call('WASM.STATS')).calls)).toBe(calls);
    expect(num(obj(await f.call('WASM.STATS')).functions)).toBe(num(st.functions) - 1);
  });
});

describe('persistence', () => {
  it('loaded modules and their permissions come back after a restart on the same dir', async () => {
    const first = await startLodestone();
    const dir = first.config.getString('dir');
    const a = await RawClient.connect(first.port);
    expect(await a.call('WASM.LOAD', 'p_rw', PROXY, 'PERMISSIONS', 'WRITE')).toEqual(OK);
    expect(await a.call('WASM.LOAD', 'p_ro', PROXY)).toEqual(OK);
    expect(await a.call('WASM.LOAD', 'p_admin', PROXY, 'PERMISSIONS', 'ADMIN', 'READ')).toEqual(OK);
    expect(await a.call('WASM.LOAD', 'p_tmp', answer(3))).toEqual(OK);
    expect(await a.call('WASM.UNLOAD', 'p_tmp')).toEqual(OK);
    expect(await a.call('WASM.LOAD', 'p_rep', answer(1))).toEqual(OK);
    expect(await a.call('WASM.LOAD', 'p_rep', answer(2), 'REPLACE')).toEqual(OK);
    const infoBefore = await a.call('WASM.LIST');
    a.close();
    await first.close();

    const second = await startLodestone({ dir });
    const b = await RawClient.connect(second.port);
    try {
      const list = ((await b.call('WASM.LIST')) as { v: RespValue[] }).v.map(obj);
      expect(list.map((x) => (x.name as { v: string }).v)).toEqual(['p_admin', 'p_rep', 'p_ro', 'p_rw']);
      // same names, permissions, exports, sizes and hashes (call counts start at 0)
      const strip = (v: RespValue) => ((v as { v: RespValue[] }).v.map(obj)).map(({ call_count: _c, ...rest }) => rest);
      expect(strip(await b.call('WASM.LIST'))).toEqual(strip(infoBefore));
      expect(await b.call('WASM.CALL', 'p_rw', 'ARGS', 'SET', 'pk', 'v')).toEqual(OK);
      expect(errText(await b.call('WASM.CALL', 'p_ro', 'ARGS', 'SET', 'pk', 'w'))).toBe("NOPERM wasm function 'p_ro': write command 'set' needs the WRITE permission");
      expect(await b.call('WASM.CALL', 'p_admin', 'ARGS', 'SLOWLOG', 'LEN')).toEqual(int(0));
      expect(await b.call('WASM.CALL', 'p_rep')).toEqual(int(2));
      expect(errText(await b.call('WASM.CALL', 'p_tmp'))).toBe("ERR no such wasm function 'p_tmp'");
    } finally {
      b.close();
      await second.close();
    }
  });
});

describe('COMMAND DOCS / COMMAND GETKEYS', () => {
  it('lists the wasm commands', async () => {
    const names = ['wasm.load', 'wasm.unload', 'wasm.call', 'wasm.call_ro', 'wasm.list', 'wasm.info', 'wasm.stats'];
    const docs = (await c.call('COMMAND', 'DOCS', ...names)) as { v: RespValue[] };
    const o = obj(docs as RespValue);
    expect(Object.keys(o).sort()).toEqual([...names].sort());
    for (const n of names) {
      const d = obj(o[n]);
      expect(d.summary.t).toBe('bulk');
      expect(d.group).toEqual(bulk('wasm'));
    }
    expect(obj(o['wasm.call']).summary).toEqual(bulk('Calls a user-defined function (name runs main, name.fn runs the export fn).'));
    const all = obj((await c.call('COMMAND', 'DOCS')) as RespValue);
    for (const n of names) expect(all[n], n).toBeDefined();
    expect(await c.call('COMMAND', 'GETKEYS', 'WASM.CALL', 'f', 'KEYS', 'k1', 'k2', 'ARGS', 'a')).toEqual({ t: 'array', v: [bulk('k1'), bulk('k2')] });
  });
});

describe('write observers', () => {
  it('a successful call is ONE group of the commands it ran; a failed call is nothing', async () => {
    const groups: WriteEvent[][] = [];
    const stop = ls.server.observeWrites((events) => groups.push(events));
    try {
      await c.call('DEL', 'o1', 'o2', 'o3');
      groups.length = 0;
      await load('obs', callSeqModule([['SET', 'o1', 'a'], ['GET', 'o1'], ['INCR', 'o2'], ['RPUSH', 'o3', 'x', 'y'], ['DEL', 'nonexistent']]), 'PERMISSIONS', 'WRITE');
      expect(groups).toEqual([]); // WASM.LOAD is not a data write
      expect(await c.call('WASM.CALL', 'obs', 'KEYS', 'o1')).toEqual(int(0));
      expect(groups.length).toBe(1);
      expect(groups[0].map((e) => e.args)).toEqual([['SET', 'o1', 'a'], ['INCR', 'o2'], ['RPUSH', 'o3', 'x', 'y']]);
      expect(groups[0].every((e) => e.db === 0)).toBe(true);
      expect(groups[0].some((e) => e.cmd.fullName.startsWith('wasm.'))).toBe(false);
      // failed: nothing
      groups.length = 0;
      await load('obsfail', callSeqModule([['SET', 'o1', 'b'], ['INCR', 'o2']], 'unreachable'), 'PERMISSIONS', 'WRITE');
      expect(errText(await c.call('WASM.CALL', 'obsfail'))).toMatch(/trap: unreachable/);
      expect(groups).toEqual([]);
      expect(await c.call('GET', 'o1')).toEqual(bulk('a'));
      // a call that writes nothing: nothing
      await load('obsnone', answer(2));
      expect(await c.call('WASM.CALL', 'obsnone')).toEqual(int(2));
      expect(groups).toEqual([]);
      // inside MULTI/EXEC the call's commands join the transaction's one group
      expect(await c.call('MULTI')).toEqual(OK);
      await c.call('SET', 'o1', 'c');
      await c.call('WASM.CALL', 'obs');
      await c.call('WASM.CALL', 'obsfail');
      expect(((await c.call('EXEC')) as { v: RespValue[] }).v.length).toBe(3);
      expect(groups.length).toBe(1);
      expect(groups[0].map((e) => e.args[0])).toEqual(['SET', 'SET', 'INCR', 'RPUSH']);
    } finally {
      stop();
    }
  });
});
