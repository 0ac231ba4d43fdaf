// Issue 12, "limits with no holes": each hole a hostile or careless guest could use to hold the
// server (time, memory, a stalled event loop) or to get more or less than the docs say
// (permissions, pointer checks, imports, logging, rollback) — through the real server, over real
// sockets. Every test here failed on the code before the fix it covers.
//
// Modules are written in WAT and compiled with wabt (devDependency). No test bounds wall-clock time
// tightly (a busy 2-core machine): a runaway guest is one that would take minutes, and the bounds
// checked here are generous.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import wabtInit from 'wabt';
import { Writable } from 'node:stream';
import { existsSync, readdirSync } from 'node:fs';
import pino from 'pino';
import { LodestoneHandle, startLodestone, startLodestoneProcess } from './helpers/servers.js';
import { bigModule, PROXY_WAT } from './helpers/wasm-guests.js';
import { RawClient } from './helpers/raw-client.js';
import { show, type RespValue } from './helpers/resp.js';

type Wabt = Awaited<ReturnType<typeof wabtInit>>;
let wabt: Wabt;

const FEATURES = { bulk_memory: true, multi_value: true, sign_extension: true, mutable_globals: true, sat_float_to_int: true, reference_types: true };

function wat(src: string): Buffer {
  const m = wabt.parseWat('t.wat', src, FEATURES);
  try {
    m.resolveNames();
    m.validate();
    return Buffer.from(m.toBinary({}).buffer);
  } finally {
    m.destroy();
  }
}

const errText = (v: RespValue): string => {
  if (v.t !== 'error') throw new Error(`expected an error reply, got ${show(v)}`);
  return v.v;
};
const OK = { t: 'status', v: 'OK' };

let ls: LodestoneHandle;
let c: RawClient;
let other: RawClient;
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  wabt = await wabtInit();
  ls = await startLodestone({ 'enable-protected-configs': 'yes' });
  // Capture the server's JSON log (pino) to check what guests write to it.
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) logLines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  (ls.server as { log: unknown }).log = pino({ level: 'debug' }, sink);
  c = await RawClient.connect(ls.port);
  other = await RawClient.connect(ls.port);
});

afterAll(async () => {
  c?.close();
  other?.close();
  await ls?.close();
});

const DEFAULTS: Record<string, string> = {
  'wasm.limits.max_fuel': '1000000',
  'wasm.limits.max_duration_ms': '5000',
  'wasm.limits.max_memory': '67108864',
};
afterEach(async () => {
  for (const [k, v] of Object.entries(DEFAULTS)) expect(await c.call('CONFIG', 'SET', k, v)).toEqual(OK);
});

async function load(name: string, bytes: Buffer, ...perms: string[]): Promise<void> {
  const args: (string | Buffer)[] = ['WASM.LOAD', name, bytes, 'REPLACE'];
  if (perms.length) args.push('PERMISSIONS', ...perms);
  const r = await c.call(...args);
  expect(r, show(r)).toEqual(OK);
}

async function loadError(name: string, bytes: Buffer, ...perms: string[]): Promise<string> {
  const args: (string | Buffer)[] = ['WASM.LOAD', name, bytes, 'REPLACE'];
  if (perms.length) args.push('PERMISSIONS', ...perms);
  return errText(await c.call(...args));
}

async function healthy(): Promise<void> {
  expect(await other.call('PING')).toEqual({ t: 'status', v: 'PONG' });
  expect(await c.call('PING')).toEqual({ t: 'status', v: 'PONG' });
}

// ---------------------------------------------------------------------------------------------

describe('time: bulk memory and table instructions are charged by their length', () => {
  const MB64 = 64 * 1024 * 1024;
  const fillLoop = (op: string) =>
    wat(`(module (memory (export "memory") 1024 1024)
      (table 100000 funcref)
      (func (export "main") (result i64)
        (loop $l ${op} (br $l))
        (i64.const 0)))`);

  for (const [what, op] of [
    ['memory.fill over 64 MB', `(memory.fill (i32.const 0) (i32.const 7) (i32.const ${MB64}))`],
    ['memory.copy of 32 MB', `(memory.copy (i32.const 0) (i32.const ${MB64 / 2}) (i32.const ${MB64 / 2}))`],
    ['table.fill of 100000 entries', `(table.fill (i32.const 0) (ref.null func) (i32.const 100000))`],
  ] as const) {
    it(`a loop of ${what} with max_duration_ms 200 and a huge max_fuel stops on the clock`, async () => {
      // Before the fix each iteration cost ~3 units of fuel, so the clock (checked once per
      // million units) was read every ~300,000 fills: the call ran for many minutes.
      await load('bulk', fillLoop(op));
      expect(await c.call('CONFIG', 'SET', 'wasm.limits.max_fuel', '1000000000000000')).toEqual(OK);
      expect(await c.call('CONFIG', 'SET', 'wasm.limits.max_duration_ms', '200')).toEqual(OK);
      const t0 = Date.now();
      expect(errText(await c.call('WASM.CALL', 'bulk'))).toBe("ERR wasm function 'bulk' failed: timed out (max_duration_ms 200) (guest fault)");
      expect(Date.now() - t0).toBeLessThan(15000); // generous: it is ~200 ms; unbounded before
      await healthy();
    }, 60000);
  }

  it('a loop over a host function that copies a lot (result_read of 4 MB) stops on the clock too', async () => {
    // Before the fix the clock was read only per fuel slice; an iteration cost ~10 units, so a
    // slice was ~100,000 copies of 4 MB: tens of seconds between two reads of the clock.
    expect(await c.call('SET', 'bigval', 'x'.repeat(4 * 1024 * 1024))).toEqual(OK);
    await load(
      'copyloop',
      wat(`(module
        (import "lodestone" "get_key" (func $get (param i32 i32) (result i32)))
        (import "lodestone" "result_read" (func $rr (param i32 i32) (result i32)))
        (memory (export "memory") 128)
        (data (i32.const 0) "bigval")
        (func (export "main") (result i64)
          (drop (call $get (i32.const 0) (i32.const 6)))
          (loop $l (drop (call $rr (i32.const 1024) (i32.const 4194304))) (br $l))
          (i64.const 0)))`),
      'READ',
    );
    expect(await c.call('CONFIG', 'SET', 'wasm.limits.max_fuel', '1000000000000000')).toEqual(OK);
    expect(await c.call('CONFIG', 'SET', 'wasm.limits.max_duration_ms', '200')).toEqual(OK);
    const t0 = Date.now();
    expect(errText(await c.call('WASM.CALL', 'copyloop'))).toBe("ERR wasm function 'copyloop' failed: timed out (max_duration_ms 200) (guest fault)");
    expect(Date.now() - t0).toBeLessThan(15000); // generous: it is ~200 ms; tens of seconds before
    expect(await c.call('DEL', 'bigval')).toEqual({ t: 'int', v: '1' });
    await healthy();
  }, 120000);

  it('with default limits the fuel runs out (a 64 MB fill costs 1M units (one per 64 bytes), over max_fuel 1M)', async () => {
    await load('bulk', fillLoop(`(memory.fill (i32.const 0) (i32.const 7) (i32.const ${MB64}))`));
    expect(errText(await c.call('WASM.CALL', 'bulk'))).toBe("ERR wasm function 'bulk' failed: fuel exhausted (max_fuel 1000000) (guest fault)");
    const info = (await c.call('WASM.INFO', 'bulk')) as RespValue;
    expect(show(info)).toMatch(/fuel/);
  });
});

// ---------------------------------------------------------------------------------------------

/** A field of INFO <section> as a number. */
async function infoNum(client: RawClient, section: string, field: string): Promise<number> {
  const v = (await client.call('INFO', section)) as { v: string };
  const m = new RegExp(`^${field}:(\\d+)`, 'm').exec(v.v);
  if (!m) throw new Error(`no ${field} in INFO ${section}`);
  return Number(m[1]);
}

describe('memory: module size, tables and data segments are bounded at load', () => {
  it('the 46-byte module declaring a 10-million-entry funcref table is refused with a clear error', async () => {
    const bytes = wat(`(module (table 10000000 funcref) (func (export "main") (result i64) (i64.const 42)))`);
    expect(bytes.length).toBe(46);
    const before = await infoNum(c, 'memory', 'used_memory_wasm_instances');
    expect(await loadError('bigtable', bytes)).toBe(
      'ERR WASM.LOAD bigtable: module declares a table of 10000000 elements, over wasm.limits.max_table_elements (100000)',
    );
    expect(await infoNum(c, 'memory', 'used_memory_wasm_instances')).toBe(before);
    expect(await c.call('WASM.INFO', 'bigtable')).toEqual({ t: 'error', v: "ERR no such wasm function 'bigtable'" });
    // several tables count together
    expect(await loadError('twotables', wat(`(module (table 60000 funcref) (table 60000 externref) (func (export "main") (result i64) (i64.const 1)))`))).toBe(
      'ERR WASM.LOAD twotables: module declares tables of 120000 elements together, over wasm.limits.max_table_elements (100000)',
    );
    await healthy();
  });

  it('table.grow stops at max_table_elements (the table has no declared maximum)', async () => {
    await load(
      'grow',
      wat(`(module (table 10 funcref)
        (func (export "main") (result i64) (i64.extend_i32_s (table.grow (ref.null func) (i32.const 200000))))
        (func (export "some") (result i64) (i64.extend_i32_s (table.grow (ref.null func) (i32.const 1000)))))`),
    );
    expect(await c.call('WASM.CALL', 'grow')).toEqual({ t: 'int', v: '-1' });
    expect(await c.call('WASM.CALL', 'grow.some')).toEqual({ t: 'int', v: '10' });
  });

  it('tables count in used_memory (40 bytes an element) and in max_total_memory', async () => {
    const base = await infoNum(c, 'memory', 'used_memory_wasm_instances');
    await load('tab', wat(`(module (table 50000 funcref) (func (export "main") (result i64) (i64.const 1)))`));
    const withTable = await infoNum(c, 'memory', 'used_memory_wasm_instances');
    // two warm instances (wasm.pool.min_instances), each with 50000 × 40 bytes of table
    expect(withTable - base).toBe(2 * 50000 * 40);
    // a grown table is counted at its new size
    await load('tabgrow', wat(`(module (table 0 funcref) (func (export "main") (result i64) (i64.extend_i32_s (table.grow (ref.null func) (i32.const 25000)))))`));
    const g0 = await infoNum(c, 'memory', 'used_memory_wasm_instances');
    expect(await c.call('WASM.CALL', 'tabgrow')).toEqual({ t: 'int', v: '0' });
    expect((await infoNum(c, 'memory', 'used_memory_wasm_instances')) - g0).toBe(25000 * 40);
    expect(await c.call('WASM.UNLOAD', 'tabgrow')).toEqual(OK);
    expect(await c.call('WASM.UNLOAD', 'tab')).toEqual(OK);
    expect(await infoNum(c, 'memory', 'used_memory_wasm_instances')).toBe(base);
    // max_total_memory: no room for the tables of one more instance
    const cap = base + 1_000_000;
    expect(await c.call('CONFIG', 'SET', 'wasm.limits.max_total_memory', String(cap))).toEqual(OK);
    try {
      expect(await loadError('tab', wat(`(module (table 50000 funcref) (func (export "main") (result i64) (i64.const 1)))`))).toBe(
        `ERR WASM.LOAD tab: cannot create an instance with 2000000 bytes of tables: max_total_memory ${cap} bytes for all instances`,
      );
    } finally {
      expect(await c.call('CONFIG', 'SET', 'wasm.limits.max_total_memory', '1073741824')).toEqual(OK);
    }
    await healthy();
  });

  it('max_module_bytes bounds the module, and data segments may not exceed max_memory', async () => {
    expect(await c.call('CONFIG', 'SET', 'wasm.limits.max_module_bytes', '1000')).toEqual(OK);
    try {
      const big = wat(`(module (memory 1) (data (i32.const 0) "${'x'.repeat(2000)}") (func (export "main") (result i64) (i64.const 1)))`);
      expect(await loadError('big', big)).toBe(`ERR WASM.LOAD big: module is ${big.length} bytes, over wasm.limits.max_module_bytes (1000)`);
    } finally {
      expect(await c.call('CONFIG', 'SET', 'wasm.limits.max_module_bytes', '33554432')).toEqual(OK);
    }
    expect(await c.call('CONFIG', 'SET', 'wasm.limits.max_memory', '65536')).toEqual(OK);
    const data = wat(`(module (memory 1) (data "${'y'.repeat(70000)}") (func (export "main") (result i64) (i64.const 1)))`);
    expect(await loadError('data', data)).toBe('ERR WASM.LOAD data: module has 70000 bytes of data segments, over wasm.limits.max_memory (65536)');
    await healthy();
  });
});

// ---------------------------------------------------------------------------------------------

/** LOAD a big module on `c`; meanwhile `other` must be answered (ordering, not timing). */
async function pingDuringLoad(loader: RawClient, pinger: RawClient, name: string): Promise<void> {
  const bytes = bigModule(8);
  const loading = loader.call('WASM.LOAD', name, bytes, 'REPLACE');
  let replied = false;
  void loading.then(() => (replied = true));
  // Wait (polling the other client) until the server says the loader is waiting for its load.
  // Before the fix the load ran to completion on the main thread, so the load replied before the
  // other client was ever answered.
  for (;;) {
    const blocked = await infoNum(pinger, 'clients', 'blocked_clients');
    expect(replied, 'the load replied before the other client was served').toBe(false);
    if (blocked === 1) break;
  }
  expect(await pinger.call('PING')).toEqual({ t: 'status', v: 'PONG' });
  expect(replied, 'PONG came after the load reply').toBe(false);
  expect(await loading).toEqual(OK);
  expect(await loader.call('WASM.CALL', name)).toEqual({ t: 'int', v: '1000' });
}

describe('load does not stall other clients', () => {
  it('a PING from another client during the load of an 8 MB module is answered before the load reply', async () => {
    await pingDuringLoad(c, other, 'bigmod');
    expect(await c.call('WASM.UNLOAD', 'bigmod')).toEqual(OK);
  }, 60000);

  it('the same through the built server (dist), where instrumentation runs in a worker thread', async () => {
    const p = await startLodestoneProcess();
    const a = await RawClient.connect(p.port);
    const b = await RawClient.connect(p.port);
    try {
      await pingDuringLoad(a, b, 'bigmod');
      // refusals come back through the worker with the same messages
      expect(errText(await a.call('WASM.LOAD', 'bt', wat(`(module (table 10000000 funcref) (func (export "main") (result i64) (i64.const 42)))`)))).toBe(
        'ERR WASM.LOAD bt: module declares a table of 10000000 elements, over wasm.limits.max_table_elements (100000)',
      );
      const bad = wat(`(module (func (export "main") (result i64) (i64.const 1)))`);
      bad[bad.length - 3] = 0x6a;
      expect(errText(await a.call('WASM.LOAD', 'bad', bad))).toMatch(/^ERR WASM\.LOAD bad: invalid module: /);
      expect(await a.call('WASM.LOAD', 'ok', wat(`(module (func (export "main") (result i64) (i64.const 5)))`))).toEqual(OK);
      expect(await b.call('WASM.CALL', 'ok')).toEqual({ t: 'int', v: '5' });
    } finally {
      a.close();
      b.close();
      await p.close();
    }
  }, 60000);

  it.skipIf(!existsSync('/proc/self/task'))('the built server stops its instrumentation worker when idle, and starts it again for the next load', async () => {
    const p = await startLodestoneProcess();
    const a = await RawClient.connect(p.port);
    const threads = (): number => readdirSync(`/proc/${p.proc.pid}/task`).length;
    const settle = async (pred: (n: number) => boolean): Promise<number> => {
      for (let i = 0; i < 300; i++) {
        const n = threads();
        if (pred(n)) return n;
        await new Promise((r) => setTimeout(r, 100));
      }
      return threads();
    };
    try {
      const before = threads();
      const m = (v: number) => wat(`(module (func (export "main") (result i64) (i64.const ${v})))`);
      expect(await a.call('WASM.LOAD', 'w1', m(1))).toEqual(OK);
      const during = threads();
      expect(during).toBeGreaterThan(before); // the worker thread
      // Idle for WORKER_IDLE_MS (2 s): the worker is gone, its heap with it.
      expect(await settle((n) => n < during)).toBeLessThan(during);
      // The next load starts a new one; the old one's exit does not fail the new job.
      expect(await a.call('WASM.LOAD', 'w2', m(2))).toEqual(OK);
      expect(await a.call('WASM.CALL', 'w2')).toEqual({ t: 'int', v: '2' });
      expect(await a.call('WASM.CALL', 'w1')).toEqual({ t: 'int', v: '1' });
    } finally {
      a.close();
      await p.close();
    }
  }, 60000);

  it('two loads at once, inside MULTI (synchronous), and invalid modules through the asynchronous path', async () => {
    const m1 = wat(`(module (func (export "main") (result i64) (i64.const 1)))`);
    const m2 = wat(`(module (func (export "main") (result i64) (i64.const 2)))`);
    const [r1, r2] = await Promise.all([c.call('WASM.LOAD', 'p1', m1, 'REPLACE'), other.call('WASM.LOAD', 'p2', m2, 'REPLACE')]);
    expect([r1, r2]).toEqual([OK, OK]);
    expect(await c.call('WASM.CALL', 'p2')).toEqual({ t: 'int', v: '2' });
    expect(await c.call('MULTI')).toEqual(OK);
    expect(await c.call('WASM.LOAD', 'p3', m2, 'REPLACE')).toEqual({ t: 'status', v: 'QUEUED' });
    expect(await c.call('WASM.CALL', 'p3')).toEqual({ t: 'status', v: 'QUEUED' });
    expect(await c.call('EXEC')).toEqual({ t: 'array', v: [OK, { t: 'int', v: '2' }] });
    // a body that does not validate: V8's message, as before
    const bad = Buffer.from(m1);
    bad[bad.length - 3] = 0x6a; // i64.const operand becomes an i32.add on an empty stack
    expect(await loadError('bad', bad)).toMatch(/^ERR WASM\.LOAD bad: invalid module: /);
    expect(await loadError('p1', m1.subarray(0, 20))).toMatch(/^ERR WASM\.LOAD p1: invalid module: /);
    await healthy();
  });
});

// ---------------------------------------------------------------------------------------------

describe('permissions mean what they say', () => {
  const admin = (...cmd: string[]) => c.call('WASM.CALL', 'adm', 'ARGS', ...cmd);
  const plain = (...cmd: string[]) => c.call('WASM.CALL', 'noadm', 'ARGS', ...cmd);

  it('ADMIN grants the admin commands Redis runs from scripts (SLOWLOG, PFSELFTEST, PFDEBUG), and nothing Redis marks noscript', async () => {
    await load('adm', wat(PROXY_WAT), 'WRITE', 'ADMIN');
    await load('noadm', wat(PROXY_WAT), 'WRITE');
    expect((await admin('SLOWLOG', 'LEN')).t).toBe('int');
    expect((await admin('SLOWLOG', 'GET', '1')).t).toBe('array');
    expect(await admin('SLOWLOG', 'RESET')).toEqual(OK);
    expect(await admin('PFSELFTEST')).toEqual(OK);
    expect(await c.call('PFADD', 'hll', 'a', 'b')).toEqual({ t: 'int', v: '1' });
    expect((await admin('PFDEBUG', 'GETREG', 'hll')).t).toBe('array');
    for (const cmd of [['SLOWLOG', 'LEN'], ['PFSELFTEST'], ['PFDEBUG', 'GETREG', 'hll']]) {
      const name = cmd[0] === 'SLOWLOG' ? 'slowlog|len' : cmd[0].toLowerCase();
      expect(errText(await plain(...cmd))).toBe(`NOPERM wasm function 'noadm': admin command '${name}' needs the ADMIN permission`);
    }
    // Redis refuses these to scripts (noscript); ADMIN does not widen that.
    for (const [cmd, name] of [
      [['CONFIG', 'GET', 'maxmemory'], 'config|get'],
      [['CONFIG', 'SET', 'maxmemory', '1'], 'config|set'],
      [['SAVE'], 'save'],
      [['BGSAVE'], 'bgsave'],
      [['BGREWRITEAOF'], 'bgrewriteaof'],
      [['CLIENT', 'LIST'], 'client|list'],
      [['CLIENT', 'KILL', 'ID', '999999'], 'client|kill'],
      [['DEBUG', 'SLEEP', '0'], 'debug'],
      [['ACL', 'WHOAMI'], 'acl|whoami'],
      [['SHUTDOWN'], 'shutdown'],
    ] as const) {
      expect(errText(await admin(...cmd)), cmd.join(' ')).toBe(`NOPERM wasm function 'adm': command '${name}' is not allowed from a WASM function`);
    }
    await healthy();
  });

  it('PUBLISH runs from a function (as from a Redis script); a failed call publishes nothing', async () => {
    await load('pub', wat(PROXY_WAT), 'READ');
    const sub = await RawClient.connect(ls.port);
    try {
      expect(await sub.call('SUBSCRIBE', 'news')).toEqual({ t: 'array', v: [{ t: 'bulk', v: 'subscribe' }, { t: 'bulk', v: 'news' }, { t: 'int', v: '1' }] });
      expect(await c.call('WASM.CALL', 'pub', 'ARGS', 'PUBLISH', 'news', 'first')).toEqual({ t: 'int', v: '1' });
      expect(await sub.read()).toEqual({ t: 'array', v: [{ t: 'bulk', v: 'message' }, { t: 'bulk', v: 'news' }, { t: 'bulk', v: 'first' }] });
      // also from WASM.CALL_RO (PUBLISH is not a write)
      expect(await c.call('WASM.CALL_RO', 'pub', 'ARGS', 'PUBLISH', 'news', 'second')).toEqual({ t: 'int', v: '1' });
      expect(await sub.read()).toEqual({ t: 'array', v: [{ t: 'bulk', v: 'message' }, { t: 'bulk', v: 'news' }, { t: 'bulk', v: 'second' }] });
      // a call that publishes and then traps: its message never reaches anyone
      expect(errText(await c.call('WASM.CALL', 'pub.fail', 'ARGS', 'PUBLISH', 'news', 'lost'))).toMatch(/^ERR wasm function 'pub' failed: trap: unreachable/);
      expect(await c.call('WASM.CALL', 'pub', 'ARGS', 'PUBLISH', 'news', 'third')).toEqual({ t: 'int', v: '1' });
      expect(await sub.read()).toEqual({ t: 'array', v: [{ t: 'bulk', v: 'message' }, { t: 'bulk', v: 'news' }, { t: 'bulk', v: 'third' }] });
      expect(sub.unread.length).toBe(0);
    } finally {
      sub.close();
    }
  });

  it('the keyspace notifications of a failed call are dropped with its writes', async () => {
    await load('kw', wat(PROXY_WAT), 'WRITE');
    expect(await c.call('CONFIG', 'SET', 'notify-keyspace-events', 'K$')).toEqual(OK);
    const sub = await RawClient.connect(ls.port);
    try {
      expect((await sub.call('SUBSCRIBE', '__keyspace@0__:kn')).t).toBe('array');
      expect(errText(await c.call('WASM.CALL', 'kw.fail', 'ARGS', 'PFADD', 'kn', 'gone'))).toMatch(/trap/);
      expect(await c.call('EXISTS', 'kn')).toEqual({ t: 'int', v: '0' });
      expect(await c.call('WASM.CALL', 'kw', 'ARGS', 'PFADD', 'kn', 'kept')).toEqual({ t: 'int', v: '1' });
      expect(await sub.read()).toEqual({ t: 'array', v: [{ t: 'bulk', v: 'message' }, { t: 'bulk', v: '__keyspace@0__:kn' }, { t: 'bulk', v: 'pfadd' }] });
      expect(sub.unread.length).toBe(0);
    } finally {
      sub.close();
      await c.call('CONFIG', 'SET', 'notify-keyspace-events', '');
      await c.call('DEL', 'kn');
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe('the doc is the contract', () => {
  const READER = (fn: string, dst: number, cap: number) =>
    wat(`(module
      (import "lodestone" "${fn}" (func $read (param i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "main") (result i64) (i64.extend_i32_s (call $read (i32.const 0) (i32.const ${dst}) (i32.const ${cap})))))`);

  it('key_read / arg_read with a negative or oversized cap are refused even when the data would fit', async () => {
    for (const [fn, opt] of [['key_read', 'KEYS'], ['arg_read', 'ARGS']] as const) {
      await load('ptr', READER(fn, 0, -1));
      expect(errText(await c.call('WASM.CALL', 'ptr', opt, 'k'))).toBe(
        `ERR wasm function 'ptr' failed: host function ${fn}: pointer out of bounds (ptr=0, len=4294967295, memory=65536 bytes) (guest fault)`,
      );
      // also when the index is out of range (the call would return -1)
      expect(errText(await c.call('WASM.CALL', 'ptr'))).toBe(
        `ERR wasm function 'ptr' failed: host function ${fn}: pointer out of bounds (ptr=0, len=4294967295, memory=65536 bytes) (guest fault)`,
      );
      await load('ptr', READER(fn, 65000, 1000));
      expect(errText(await c.call('WASM.CALL', 'ptr', opt, 'k'))).toBe(
        `ERR wasm function 'ptr' failed: host function ${fn}: pointer out of bounds (ptr=65000, len=1000, memory=65536 bytes) (guest fault)`,
      );
      await load('ptr', READER(fn, 65000, 536));
      expect(await c.call('WASM.CALL', 'ptr', opt, 'k')).toEqual({ t: 'int', v: '1' });
    }
    await load(
      'rr',
      wat(`(module
        (import "lodestone" "call" (func $call (param i32 i32) (result i32)))
        (import "lodestone" "result_read" (func $rr (param i32 i32) (result i32)))
        (memory (export "memory") 1)
        (data (i32.const 0) "*1\\r\\n$4\\r\\nPING\\r\\n")
        (func (export "main") (result i64)
          (drop (call $call (i32.const 0) (i32.const 14)))
          (i64.extend_i32_s (call $rr (i32.const 100) (i32.const -2)))))`),
    );
    expect(errText(await c.call('WASM.CALL', 'rr'))).toBe(
      "ERR wasm function 'rr' failed: host function result_read: pointer out of bounds (ptr=100, len=4294967294, memory=65536 bytes) (guest fault)",
    );
  });

  it('a memory import loads only as env.memory (the name docs/ABI.md lists)', async () => {
    await load('envmem', wat(`(module (import "env" "memory" (memory 1)) (func (export "main") (result i64) (i64.const 7)))`));
    expect(await c.call('WASM.CALL', 'envmem')).toEqual({ t: 'int', v: '7' });
    expect(await loadError('jsmem', wat(`(module (import "js" "mem" (memory 1)) (func (export "main") (result i64) (i64.const 7)))`))).toBe(
      'ERR WASM.LOAD jsmem: module imports its memory as js.mem; import it as env.memory or define it in the module',
    );
    expect(await loadError('jsmem', wat(`(module (import "lodestone_meter" "memory" (memory 1)) (func (export "main") (result i64) (i64.const 7)))`))).toBe(
      'ERR WASM.LOAD jsmem: module imports its memory as lodestone_meter.memory; import it as env.memory or define it in the module',
    );
  });

  it('env.trace goes to the JSON log (not stdout); env.abort is a guest fault with its message', async () => {
    // AssemblyScript strings: UTF-16, byte length in the 4 bytes before the pointer
    const AS = `(memory (export "memory") 1)
      (data (i32.const 12) "\\0a\\00\\00\\00h\\00e\\00l\\00l\\00o\\00")
      (data (i32.const 44) "\\08\\00\\00\\00a\\00.\\00t\\00s\\00")`;
    await load(
      'tr',
      wat(`(module (import "env" "trace" (func $trace (param i32 i32 f64 f64 f64 f64 f64))) ${AS}
        (func (export "main") (result i64) (call $trace (i32.const 16) (i32.const 2) (f64.const 42) (f64.const 1.5) (f64.const 0) (f64.const 0) (f64.const 0)) (i64.const 0)))`),
    );
    const writes: string[] = [];
    const orig = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((s: string | Uint8Array, ...rest: unknown[]) => {
      writes.push(String(s));
      return orig(s as string, ...(rest as []));
    }) as typeof process.stdout.write;
    const n = logLines.length;
    try {
      expect(await c.call('WASM.CALL', 'tr')).toEqual({ t: 'int', v: '0' });
    } finally {
      process.stdout.write = orig;
    }
    expect(writes.filter((w) => w.includes('trace: hello'))).toEqual([]);
    expect(logLines.slice(n).filter((l) => l.wasm === 'tr').map((l) => l.msg)).toEqual(['trace: hello 42, 1.5']);
    await load(
      'ab',
      wat(`(module (import "env" "abort" (func $abort (param i32 i32 i32 i32))) ${AS}
        (func (export "main") (result i64) (call $abort (i32.const 16) (i32.const 48) (i32.const 3) (i32.const 9)) (i64.const 0)))`),
    );
    expect(errText(await c.call('WASM.CALL', 'ab'))).toBe("ERR wasm function 'ab' failed: abort: hello at a.ts:3:9 (guest fault)");
    // a bad string pointer is a guest fault, not a host error
    await load(
      'ab2',
      wat(`(module (import "env" "abort" (func $abort (param i32 i32 i32 i32))) (memory (export "memory") 1)
        (func (export "main") (result i64) (call $abort (i32.const 70000) (i32.const 0) (i32.const 1) (i32.const 1)) (i64.const 0)))`),
    );
    expect(errText(await c.call('WASM.CALL', 'ab2'))).toBe(
      "ERR wasm function 'ab2' failed: host function abort: pointer out of bounds (ptr=69996, len=4, memory=65536 bytes) (guest fault)",
    );
  });

  it('reply_error is a reply, not a failure: the writes before it stay (docs/ABI.md says so)', async () => {
    await load(
      'rerr',
      wat(`(module
        (import "lodestone" "call" (func $call (param i32 i32) (result i32)))
        (import "lodestone" "reply_error" (func $err (param i32 i32)))
        (memory (export "memory") 1)
        (data (i32.const 0) "*2\\r\\n$4\\r\\nINCR\\r\\n$3\\r\\nhit\\r\\n")
        (data (i32.const 100) "RATELIMITED try later")
        (func (export "main") (drop (call $call (i32.const 0) (i32.const 23))) (call $err (i32.const 100) (i32.const 21))))`),
      'WRITE',
    );
    await c.call('DEL', 'hit');
    expect(await c.call('WASM.CALL', 'rerr')).toEqual({ t: 'error', v: 'RATELIMITED try later' });
    expect(await c.call('WASM.CALL', 'rerr')).toEqual({ t: 'error', v: 'RATELIMITED try later' });
    expect(await c.call('GET', 'hit')).toEqual({ t: 'bulk', v: '2' });
  });
});
