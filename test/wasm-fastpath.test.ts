// The `cmd` host function and the `lodestone_input` frame push (docs/ABI.md, "Command fast path"),
// through the real server: typed replies (integer as i64, bulk/status/error payload into the
// guest's buffer and the result buffer, other replies as RESP2), and the guarantees the fast path
// keeps because it runs commands through the same script-call path as `call`: rollback of every
// write on failure, the WRITE permission, WASM.CALL_RO, the caller's ACL, WATCH invalidation,
// command stats, and bounds checks of every pointer.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import wabtInit from 'wabt';
import { LodestoneHandle, startLodestone } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import type { RespValue } from './helpers/resp.js';

type Wabt = Awaited<ReturnType<typeof wabtInit>>;
let wabt: Wabt;

function wat(src: string): Buffer {
  const m = wabt.parseWat('t.wat', src, { bulk_memory: true, mutable_globals: true });
  try {
    m.resolveNames();
    m.validate();
    return Buffer.from(m.toBinary({}).buffer);
  } finally {
    m.destroy();
  }
}

/**
 * ARGS as one command through `cmd`, its argv pointing straight into the frame the host pushed
 * through lodestone_input. `main` replies [type, out (i64), first ≤16 payload bytes copied to dst,
 * the whole payload from result_read] (nil, nil for integer and nil replies); `fail` runs the
 * command and traps; `badptr` passes an argv outside memory.
 */
const CMD_WAT = `(module
  (import "lodestone" "cmd" (func $cmd (param i32 i32 i32 i32 i32) (result i32)))
  (import "lodestone" "result_read" (func $rr (param i32 i32) (result i32)))
  (import "lodestone" "reply_int" (func $rint (param i64)))
  (import "lodestone" "reply_bulk" (func $rbulk (param i32 i32)))
  (import "lodestone" "reply_nil" (func $rnil))
  (import "lodestone" "reply_array" (func $rarr (param i32)))
  (memory (export "memory") 4)
  (func (export "lodestone_input") (param $len i32) (result i32) (i32.const 1024))
  (func $run (result i32) (local $p i32) (local $n i32) (local $i i32) (local $na i32)
    (local.set $n (i32.load (i32.const 1024)))
    (local.set $p (i32.const 1028))
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $p (i32.add (local.get $p) (i32.add (i32.const 4) (i32.load (local.get $p)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.set $na (i32.load (local.get $p)))
    (local.set $p (i32.add (local.get $p) (i32.const 4)))
    (local.set $i (i32.const 0))
    (block $d2 (loop $l2
      (br_if $d2 (i32.ge_u (local.get $i) (local.get $na)))
      (i32.store (i32.add (i32.const 65536) (i32.shl (local.get $i) (i32.const 3))) (i32.add (local.get $p) (i32.const 4)))
      (i32.store (i32.add (i32.const 65540) (i32.shl (local.get $i) (i32.const 3))) (i32.load (local.get $p)))
      (local.set $p (i32.add (local.get $p) (i32.add (i32.const 4) (i32.load (local.get $p)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l2)))
    (call $cmd (i32.const 65536) (local.get $na) (i32.const 131072) (i32.const 16) (i32.const 120000)))
  (func (export "main") (local $t i32) (local $len i32) (local $k i32)
    (local.set $t (call $run))
    (call $rarr (i32.const 4))
    (call $rint (i64.extend_i32_u (local.get $t)))
    (call $rint (i64.load (i32.const 120000)))
    (if (i32.or (i32.eqz (local.get $t)) (i32.eq (local.get $t) (i32.const 1)))
      (then (call $rnil) (call $rnil))
      (else
        (local.set $len (i32.wrap_i64 (i64.load (i32.const 120000))))
        (local.set $k (select (local.get $len) (i32.const 16) (i32.lt_u (local.get $len) (i32.const 16))))
        (call $rbulk (i32.const 131072) (local.get $k))
        (drop (call $rr (i32.const 196608) (local.get $len)))
        (call $rbulk (i32.const 196608) (local.get $len)))))
  (func (export "fail") (drop (call $run)) unreachable)
  (func (export "badptr") (result i64)
    (i64.extend_i32_u (call $cmd (i32.const 0x7ffffff0) (i32.const 1) (i32.const 131072) (i32.const 16) (i32.const 120000)))))`;

const int = (n: number | string): RespValue => ({ t: 'int', v: String(n) });
const bulk = (v: string): RespValue => ({ t: 'bulk', v });
const NIL: RespValue = { t: 'nullbulk' };
const arr = (...v: RespValue[]): RespValue => ({ t: 'array', v });

let ls: LodestoneHandle;
let c: RawClient;

beforeAll(async () => {
  wabt = await wabtInit();
  ls = await startLodestone();
  c = await RawClient.connect(ls.port);
  const bytes = wat(CMD_WAT).toString('latin1');
  expect(await c.call('WASM.LOAD', 'fast', bytes, 'PERMISSIONS', 'WRITE')).toEqual({ t: 'status', v: 'OK' });
  expect(await c.call('WASM.LOAD', 'fastro', bytes, 'PERMISSIONS', 'READ')).toEqual({ t: 'status', v: 'OK' });
});

afterAll(async () => {
  c?.close();
  await ls?.close();
});

const run = (...args: string[]) => c.call('WASM.CALL', 'fast', 'ARGS', ...args);

describe('cmd host function', () => {
  it('returns an integer reply as an i64, negative ones too', async () => {
    expect(await run('INCR', 'n')).toEqual(arr(int(1), int(1), NIL, NIL));
    expect(await run('DECRBY', 'n', '6')).toEqual(arr(int(1), int(-5), NIL, NIL));
    expect(await run('INCRBY', 'big', '9007199254740993')).toEqual(arr(int(1), int('9007199254740993'), NIL, NIL));
  });

  it('returns status, bulk and nil replies with their payload in dst and the result buffer', async () => {
    expect(await run('SET', 'k', 'a-value-longer-than-sixteen-bytes')).toEqual(arr(int(3), int(2), bulk('OK'), bulk('OK')));
    expect(await run('GET', 'k')).toEqual(arr(int(2), int(33), bulk('a-value-longer-t'), bulk('a-value-longer-than-sixteen-bytes')));
    expect(await run('GET', 'missing')).toEqual(arr(int(0), int(0), NIL, NIL));
  });

  it('returns a command error as an error payload (the call goes on)', async () => {
    await c.call('SET', 'notint', 'abc');
    const text = 'ERR value is not an integer or out of range';
    expect(await run('INCR', 'notint')).toEqual(arr(int(4), int(text.length), bulk(text.slice(0, 16)), bulk(text)));
    const wt = 'WRONGTYPE Operation against a key holding the wrong kind of value';
    await c.call('RPUSH', 'list', 'x');
    expect(await run('GET', 'list')).toEqual(arr(int(4), int(wt.length), bulk(wt.slice(0, 16)), bulk(wt)));
  });

  it('returns arrays as their RESP2 encoding', async () => {
    await c.call('RPUSH', 'l2', 'a', 'bc');
    const enc = '*2\r\n$1\r\na\r\n$2\r\nbc\r\n';
    expect(await run('LRANGE', 'l2', '0', '-1')).toEqual(arr(int(5), int(enc.length), bulk(enc.slice(0, 16)), bulk(enc)));
  });

  it('counts the commands in INFO commandstats like any other', async () => {
    await c.call('CONFIG', 'RESETSTAT');
    await run('INCR', 'statkey');
    await run('INCR', 'statkey');
    const info = (await c.call('INFO', 'commandstats')) as { v: string };
    expect(info.v).toMatch(/cmdstat_incr:calls=2,/);
  });

  it('rolls back the writes of a call that fails', async () => {
    await c.call('SET', 'rb', 'before');
    const r = (await c.call('WASM.CALL', 'fast.fail', 'ARGS', 'SET', 'rb', 'after')) as { t: string; v: string };
    expect(r.t).toBe('error');
    expect(r.v).toMatch(/failed: trap/);
    expect(await c.call('GET', 'rb')).toEqual(bulk('before'));
  });

  it('rolls back every kind of sorted-set write of a failed call, encoding included, and keeps committed ones', async () => {
    // The undo log keeps a written sorted set itself and journals its changes (zset.ts) instead of
    // copying it: each write below runs in a call that then traps, and must leave no trace.
    const members: string[] = [];
    for (let i = 0; i < 200; i++) members.push(String(i * 1.5), `m${i}`);
    await c.call('ZADD', 'zrb', ...members);
    await c.call('ZADD', 'zsmall', '1', 'a', '2', 'b', '3', 'c');
    await c.call('PEXPIRE', 'zrb', '1000000');
    const state = async (k: string) => [
      await c.call('ZRANGE', k, '0', '-1', 'WITHSCORES'),
      await c.call('OBJECT', 'ENCODING', k),
      await c.call('ZCARD', k),
      (await c.call('PTTL', k)) !== undefined,
    ];
    const big = await state('zrb');
    const small = await state('zsmall');
    const writes: string[][] = [
      ['ZADD', 'zrb', '1000', 'm3', '-5', 'new1', '7.25', 'm150'],
      ['ZADD', 'zrb', 'GT', 'CH', '1e9', 'm0', '1', 'm199'],
      ['ZINCRBY', 'zrb', '-100', 'm42'],
      ['ZREM', 'zrb', 'm1', 'm2', 'nope', 'm199'],
      ['ZREMRANGEBYSCORE', 'zrb', '10', '100'],
      ['ZREMRANGEBYRANK', 'zrb', '0', '-1'],
      ['ZPOPMIN', 'zrb', '50'],
      ['ZPOPMAX', 'zrb', '3'],
      ['ZUNIONSTORE', 'zrb', '2', 'zrb', 'zsmall'],
      ['DEL', 'zrb'],
      ['ZADD', 'zsmall', '4', 'x'.repeat(200)], // converts the listpack to a skiplist
      ['ZADD', 'zsmall', '9', 'a', '0', 'c'],
    ];
    for (const w of writes) {
      const r = (await c.call('WASM.CALL', 'fast.fail', 'ARGS', ...w)) as { t: string; v: string };
      expect(r.t, w.join(' ')).toBe('error');
      expect(await state('zrb'), w.join(' ')).toEqual(big);
      expect(await state('zsmall'), w.join(' ')).toEqual(small);
    }
    expect(small[1]).toEqual(bulk('listpack'));
    // A committed write stays, and a later failed call undoes only its own.
    expect(await run('ZADD', 'zrb', '5', 'kept')).toEqual(arr(int(1), int(1), NIL, NIL));
    await c.call('WASM.CALL', 'fast.fail', 'ARGS', 'ZADD', 'zrb', '6', 'gone', '7', 'kept');
    expect(await c.call('ZSCORE', 'zrb', 'kept')).toEqual(bulk('5'));
    expect(await c.call('ZSCORE', 'zrb', 'gone')).toEqual(NIL);
    expect(await c.call('ZCARD', 'zrb')).toEqual(int(201));
  });

  it('keeps the WRITE permission and WASM.CALL_RO', async () => {
    const noWrite = (await c.call('WASM.CALL', 'fastro', 'ARGS', 'SET', 'pk', 'v')) as { t: string; v: string };
    expect(noWrite.t).toBe('error');
    expect(noWrite.v).toMatch(/write command 'set' needs the WRITE permission/);
    expect(await c.call('WASM.CALL', 'fastro', 'ARGS', 'GET', 'k')).toEqual(arr(int(2), int(33), bulk('a-value-longer-t'), bulk('a-value-longer-than-sixteen-bytes')));
    const ro = (await c.call('WASM.CALL_RO', 'fast', 'ARGS', 'SET', 'pk', 'v')) as { t: string; v: string };
    expect(ro.t).toBe('error');
    expect(ro.v).toMatch(/not allowed in WASM.CALL_RO/);
    expect(await c.call('EXISTS', 'pk')).toEqual(int(0));
    const denied = (await c.call('WASM.CALL', 'fast', 'ARGS', 'FLUSHALL')) as { t: string; v: string };
    expect(denied.v).toMatch(/command 'flushall' is not allowed from a WASM function/);
  });

  it("is bounded by the caller's ACL", async () => {
    await c.call('ACL', 'SETUSER', 'fastuser', 'on', '>pw', '~allowed:*', '+@all');
    const u = await RawClient.connect(ls.port);
    try {
      expect(await u.call('AUTH', 'fastuser', 'pw')).toEqual({ t: 'status', v: 'OK' });
      expect(await u.call('WASM.CALL', 'fast', 'ARGS', 'INCR', 'allowed:1')).toEqual(arr(int(1), int(1), NIL, NIL));
      const r = (await u.call('WASM.CALL', 'fast', 'ARGS', 'INCR', 'other')) as { t: string; v: string };
      expect(r.t).toBe('error');
      expect(r.v).toMatch(/can't access at least one of the keys/);
    } finally {
      u.close();
    }
  });

  it('invalidates WATCH', async () => {
    const w = await RawClient.connect(ls.port);
    try {
      await w.call('WATCH', 'watched');
      await run('SET', 'watched', '1');
      await w.call('MULTI');
      await w.call('GET', 'watched');
      expect(await w.call('EXEC')).toEqual({ t: 'nullarray' });
    } finally {
      w.close();
    }
  });

  it('refuses pointers outside memory', async () => {
    const r = (await c.call('WASM.CALL', 'fast.badptr')) as { t: string; v: string };
    expect(r.t).toBe('error');
    expect(r.v).toMatch(/cmd.*out of bounds/);
  });
});
