// WASM memory is part of used_memory and bounded (issue 10, "WASM memory is part of used_memory and
// bounded by maxmemory and [wasm.limits]"): instances' linear memory (warm pools included), start
// functions and data segments that fill memory at WASM.LOAD, the compile cache (which must not keep
// unloaded modules), replies built by guests (wasm.limits.max_reply_bytes), output that piles up for
// a client that does not read, WASM.LOAD under maxmemory + noeviction (-OOM), and the module store
// loaded again at startup under the same limits.
//
// All over real sockets (ioredis; the restart case runs the CLI as a child process, from dist/).
// Modules are WAT compiled with wabt. No timed assertions: waits poll with generous deadlines.

import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wabtInit from 'wabt';
import { Redis } from 'ioredis';
import { LodestoneHandle, startLodestone, startLodestoneProcess } from '../helpers/servers.js';
import { infoFields, sleep, until } from '../helpers/poll.js';

type Wabt = Awaited<ReturnType<typeof wabtInit>>;
let wabt: Wabt;
const MB = 1024 * 1024;
const PAGE = 65536;

function wat(src: string): Buffer {
  const m = wabt.parseWat('t.wat', src, { bulk_memory: true });
  try {
    m.resolveNames();
    m.validate();
    return Buffer.from(m.toBinary({}).buffer);
  } finally {
    m.destroy();
  }
}

/** A module with `pages` pages of memory from the start (data segment at the end touches the last page). */
const bigMemory = (pages: number, tag = 0) =>
  wat(`(module (memory (export "memory") ${pages}) (data (i32.const ${pages * PAGE - 8}) "tail${tag}")
    (func (export "main") (result i64) (i64.extend_i32_u (memory.size))))`);

/** A module whose start function grows its 1-page memory by `grow` pages (to the cap with 1023). */
const startGrows = (grow: number, tag = 0) =>
  wat(`(module (memory (export "memory") 1)
    (func $start (drop (memory.grow (i32.const ${grow}))) (i32.store8 (i32.const ${(grow + 1) * PAGE - 1}) (i32.const ${tag})))
    (start $start)
    (func (export "main") (result i64) (i64.extend_i32_u (memory.size))))`);

/** A guest replying an array of `n` bulks of `len` bytes, all from the same memory. */
const replies = (n: number, len: number) => {
  const pages = Math.ceil(len / PAGE) + 1;
  return wat(`(module
    (import "lodestone" "reply_array" (func $ra (param i32)))
    (import "lodestone" "reply_bulk" (func $rb (param i32 i32)))
    (memory (export "memory") ${pages})
    (func (export "main") (local $i i32)
      (memory.fill (i32.const 0) (i32.const 0x61) (i32.const ${len}))
      ${n === 1 ? '' : `(call $ra (i32.const ${n}))`}
      (loop $l
        (call $rb (i32.const 0) (i32.const ${len}))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_u (local.get $i) (i32.const ${n}))))))`);
};

const fields = async (c: Redis, section: string) => infoFields(await c.info(section));
const num = async (c: Redis, section: string, field: string) => Number((await fields(c, section))[field]);
const usedMemory = (c: Redis) => num(c, 'memory', 'used_memory');
const stats = async (c: Redis) => {
  const flat = (await c.call('WASM.STATS')) as unknown[];
  const o: Record<string, unknown> = {};
  for (let i = 0; i < flat.length; i += 2) o[String(flat[i])] = flat[i + 1];
  return o;
};

beforeAll(async () => {
  wabt = await wabtInit();
});

describe('WASM memory in used_memory (in-process server)', () => {
  let ls: LodestoneHandle;
  let r: Redis;
  beforeEach(async () => {
    ls = await startLodestone({ 'enable-protected-configs': 'yes' });
    r = new Redis({ port: ls.port, host: '127.0.0.1', enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 0 });
  });
  afterEach(async () => {
    r.disconnect();
    await ls.close();
  });

  it('loading a module with a big memory raises used_memory by its instances; UNLOAD gives it all back', async () => {
    const before = await usedMemory(r);
    expect(await r.call('WASM.LOAD', 'big', bigMemory(256))).toBe('OK');
    const m = await fields(r, 'memory');
    // two warm instances (wasm.pool.min_instances 2) of 16 MB each, plus module and code
    expect(Number(m.used_memory_wasm_instances)).toBe(2 * 256 * PAGE);
    expect(Number(m.used_memory_wasm)).toBeGreaterThan(2 * 256 * PAGE);
    expect(Number(m.used_memory)).toBe(before + Number(m.used_memory_wasm));
    expect(Number((await fields(r, 'wasm')).wasm_used_memory)).toBe(Number(m.used_memory_wasm));
    expect(await r.call('WASM.CALL', 'big')).toBe(256);
    expect(await r.call('WASM.UNLOAD', 'big')).toBe('OK');
    const after = await fields(r, 'memory');
    expect(Number(after.used_memory_wasm)).toBe(0);
    expect(Number(after.used_memory)).toBe(before);
  });

  it('a start function that grows memory to the cap is counted, and max_total_memory refuses the load', async () => {
    expect(await r.call('WASM.LOAD', 'filler', startGrows(1023))).toBe('OK');
    expect(await num(r, 'memory', 'used_memory_wasm_instances')).toBe(2 * 64 * MB);
    expect(await r.call('WASM.CALL', 'filler')).toBe(1024);
    expect(await r.call('WASM.UNLOAD', 'filler')).toBe('OK');
    // 100 MB for all instances: the second warm instance's start function is refused its grow
    expect(await r.call('CONFIG', 'SET', 'wasm.limits.max_total_memory', String(100 * MB))).toBe('OK');
    await expect(r.call('WASM.LOAD', 'filler', startGrows(1023))).rejects.toThrow(
      /^ERR WASM\.LOAD filler: start function: memory limit exceeded \(max_total_memory 104857600 bytes for all instances\)/,
    );
    expect(await num(r, 'memory', 'used_memory_wasm')).toBe(0);
    expect(await r.call('WASM.LIST')).toEqual([]);
    // data segments of a module declaring more memory than is left are refused before instantiation
    await expect(r.call('WASM.LOAD', 'decl', bigMemory(1024))).rejects.toThrow(/max_total_memory 104857600 bytes for all instances/);
    expect(await num(r, 'memory', 'used_memory_wasm')).toBe(0);
    // a call whose guest grows past what is left gets the memory error naming the limit
    expect(await r.call('CONFIG', 'SET', 'wasm.pool.min_instances', '1')).toBe('OK');
    expect(await r.call('WASM.LOAD', 'half', startGrows(799))).toBe('OK'); // 50 MB
    const grower = wat(`(module (memory (export "memory") 1)
      (func (export "main") (result i64) (if (i32.lt_s (memory.grow (i32.const 900)) (i32.const 0)) (then unreachable)) (i64.const 1)))`);
    expect(await r.call('WASM.LOAD', 'grower', grower)).toBe('OK');
    await expect(r.call('WASM.CALL', 'grower')).rejects.toThrow(/^ERR wasm function 'grower' failed: memory limit exceeded \(max_total_memory 104857600 bytes for all instances\)/);
    expect(await r.ping()).toBe('PONG');
  });

  it('the compile cache does not keep unloaded modules', async () => {
    const s0 = await stats(r);
    const a = bigMemory(1, 1);
    expect(await r.call('WASM.LOAD', 'a1', a)).toBe('OK');
    expect(await r.call('WASM.LOAD', 'a2', a)).toBe('OK'); // same bytes: one compilation, a cache hit
    const s1 = await stats(r);
    expect(Number(s1.compile_cache_entries)).toBe(Number(s0.compile_cache_entries) + 1);
    expect(Number(s1.compile_cache_bytes)).toBeGreaterThan(Number(s0.compile_cache_bytes));
    expect(Number(s1.compile_cache_hits)).toBe(Number(s0.compile_cache_hits) + 1);
    expect(await r.call('WASM.UNLOAD', 'a1')).toBe('OK');
    expect(Number((await stats(r)).compile_cache_entries)).toBe(Number(s1.compile_cache_entries)); // a2 still uses it
    expect(await r.call('WASM.UNLOAD', 'a2')).toBe('OK');
    const s2 = await stats(r);
    expect(Number(s2.compile_cache_entries)).toBe(Number(s0.compile_cache_entries));
    expect(Number(s2.compile_cache_bytes)).toBe(Number(s0.compile_cache_bytes));
    expect(Number(s2.used_memory)).toBe(0);
    expect(Number(s2.instances)).toBe(0);
    // loading the bytes again compiles again: nothing of the unloaded module was kept
    expect(await r.call('WASM.LOAD', 'a1', a)).toBe('OK');
    expect(Number((await stats(r)).compilations)).toBe(Number(s2.compilations) + 1);
    // REPLACE with other bytes drops the replaced module's code too
    expect(await r.call('WASM.LOAD', 'a1', bigMemory(1, 2), 'REPLACE')).toBe('OK');
    expect(Number((await stats(r)).compile_cache_entries)).toBe(Number(s0.compile_cache_entries) + 1);
  });

  it('a guest reply above max_reply_bytes gets a clear error and the server stays up', async () => {
    expect(await r.call('CONFIG', 'GET', 'wasm.limits.max_reply_bytes')).toEqual(['wasm.limits.max_reply_bytes', String(64 * MB)]);
    // eight 16 MB bulks from the same 16 MB of guest memory: 128 MB of reply from a 16 MB guest
    expect(await r.call('WASM.LOAD', 'eight', replies(8, 16 * MB))).toBe('OK');
    await expect(r.call('WASM.CALL', 'eight')).rejects.toThrow(
      "ERR wasm function 'eight' failed: reply too large: reply_bulk takes it to 67108944 bytes, over max_reply_bytes (67108864) (guest fault)",
    );
    expect(await r.call('CONFIG', 'SET', 'wasm.limits.max_reply_bytes', String(MB))).toBe('OK');
    expect(await r.call('WASM.LOAD', 'two', replies(1, 2 * MB))).toBe('OK');
    await expect(r.call('WASM.CALL', 'two')).rejects.toThrow(
      `ERR wasm function 'two' failed: reply too large: reply_bulk takes it to ${2 * MB + 16} bytes, over max_reply_bytes (${MB}) (guest fault)`,
    );
    const errors = (await r.call('WASM.INFO', 'two')) as unknown[];
    expect(JSON.stringify(errors)).toContain('"memory",1');
    expect(await r.ping()).toBe('PONG');
    // within the limit it is delivered
    expect(await r.call('CONFIG', 'SET', 'wasm.limits.max_reply_bytes', String(64 * MB))).toBe('OK');
    const v = (await r.callBuffer('WASM.CALL', 'two')) as Buffer;
    expect(v.length).toBe(2 * MB);
  });

  it('large replies pipelined by a client that never reads stay bounded and are counted in used_memory', async () => {
    expect(await r.call('WASM.LOAD', 'r32', replies(1, 32 * MB))).toBe('OK');
    const calls0 = Number((await fields(r, 'commandstats'))['cmdstat_wasm.call']?.match(/calls=(\d+)/)?.[1] ?? 0);
    const before = await usedMemory(r);
    // eight calls in one write from a client that then never reads
    const sock = net.connect(ls.port, '127.0.0.1');
    await new Promise((res) => sock.once('connect', res));
    sock.pause();
    sock.write('*2\r\n$9\r\nWASM.CALL\r\n$3\r\nr32\r\n'.repeat(8));
    // the first reply is produced and waits for the client; the rest wait in its query buffer
    await until(async () => (await fields(r, 'commandstats'))['cmdstat_wasm.call'] !== undefined, 20_000, 'first call');
    await until(async () => (await num(r, 'memory', 'mem_clients_normal')) >= 16 * MB, 20_000, 'output counted');
    await sleep(300);
    const m = await fields(r, 'memory');
    const calls = Number((await fields(r, 'commandstats'))['cmdstat_wasm.call'].match(/calls=(\d+)/)![1]) - calls0;
    // at most two 32 MB replies held for the client (one being sent, one encoded), not eight
    expect(calls).toBeLessThanOrEqual(2);
    expect(Number(m.mem_clients_normal)).toBeLessThanOrEqual(2 * 33 * MB);
    // and what it holds is in used_memory, where maxmemory sees it
    expect(Number(m.used_memory)).toBeGreaterThanOrEqual(before + Number(m.mem_clients_normal));
    // with maxmemory below that and noeviction, writes are refused until the client goes away
    expect(await r.call('CONFIG', 'SET', 'maxmemory', String(before + 8 * MB), 'maxmemory-policy', 'noeviction')).toBe('OK');
    await expect(r.set('k', 'v')).rejects.toThrow("OOM command not allowed when used memory > 'maxmemory'.");
    sock.destroy();
    await until(async () => (await num(r, 'memory', 'mem_clients_normal')) < MB, 20_000, 'client buffers freed');
    await until(async () => (await r.set('k', 'v').catch(() => 'OOM')) === 'OK', 20_000, 'writes accepted again');
  });

  it('WASM.LOAD over maxmemory with noeviction gets -OOM; a grow past maxmemory is refused', async () => {
    expect(await r.call('WASM.LOAD', 'm8', bigMemory(64))).toBe('OK'); // 2 x 4 MB
    const used = await usedMemory(r);
    expect(used).toBeGreaterThan(8 * MB);
    expect(await r.call('CONFIG', 'SET', 'maxmemory', String(4 * MB), 'maxmemory-policy', 'noeviction')).toBe('OK');
    await expect(r.call('WASM.LOAD', 'm9', bigMemory(1, 9))).rejects.toThrow("OOM command not allowed when used memory > 'maxmemory'.");
    await expect(r.call('WASM.CALL', 'm8')).rejects.toThrow("OOM command not allowed when used memory > 'maxmemory'.");
    expect(await r.call('WASM.LIST')).toHaveLength(1);
    expect(await r.call('WASM.UNLOAD', 'm8')).toBe('OK');
    // under maxmemory again: a load that fits is accepted, a grow beyond maxmemory is refused
    expect(await r.call('CONFIG', 'SET', 'maxmemory', String(used + 16 * MB))).toBe('OK');
    const grower = wat(`(module (memory (export "memory") 1)
      (func (export "main") (result i64) (if (i32.lt_s (memory.grow (i32.const 800)) (i32.const 0)) (then unreachable)) (i64.const 1)))`);
    expect(await r.call('WASM.LOAD', 'grower', grower)).toBe('OK');
    await expect(r.call('WASM.CALL', 'grower')).rejects.toThrow(/^ERR wasm function 'grower' failed: memory limit exceeded \(used memory would exceed maxmemory \d+ bytes\)/);
    expect(await r.ping()).toBe('PONG');
  });
});

describe('the module store at startup (CLI child process)', () => {
  let r: Redis | null = null;
  afterAll(() => r?.disconnect());

  it('a store of modules bigger than the limits is loaded up to them; the rest is refused with a log line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-wasmmem-'));
    const a = await startLodestoneProcess(['--dir', dir]);
    try {
      r = new Redis({ port: a.port, host: '127.0.0.1', enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 0 });
      for (let i = 1; i <= 3; i++) expect(await r.call('WASM.LOAD', `fill${i}`, startGrows(767, i))).toBe('OK'); // 2 x 48 MB each
      expect(await num(r, 'memory', 'used_memory_wasm_instances')).toBe(3 * 2 * 48 * MB);
      r.disconnect();
    } finally {
      await a.close();
    }
    // the same store, restarted with room for two of them
    const b = await startLodestoneProcess(['--dir', dir, '--wasm.limits.max_total_memory', String(200 * MB)]);
    try {
      r = new Redis({ port: b.port, host: '127.0.0.1', enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 0 });
      const list = (await r.call('WASM.LIST')) as unknown[][];
      expect(list.map((f) => f[1])).toEqual(['fill1', 'fill2']);
      expect(await num(r, 'memory', 'used_memory_wasm_instances')).toBe(2 * 2 * 48 * MB);
      await until(() => /could not load persisted WASM function/.test(b.output()), 10_000, 'log line');
      const line = b.output().split('\n').find((l) => l.includes('could not load persisted WASM function'))!;
      expect(line).toContain('fill3');
      expect(line).toContain('max_total_memory 209715200 bytes for all instances');
      r.disconnect();
    } finally {
      await b.close();
    }
    // and restarted under maxmemory + noeviction: loading stops once used memory is over it
    const c = await startLodestoneProcess(['--dir', dir, '--maxmemory', String(50 * MB), '--maxmemory-policy', 'noeviction']);
    try {
      r = new Redis({ port: c.port, host: '127.0.0.1', enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 0 });
      const list = (await r.call('WASM.LIST')) as unknown[][];
      expect(list.length).toBeLessThan(3);
      await until(() => /is over maxmemory/.test(c.output()) || /used memory would exceed maxmemory/.test(c.output()), 10_000, 'log line');
      expect(await num(r, 'memory', 'used_memory_wasm_instances')).toBeLessThanOrEqual(50 * MB + 48 * MB);
    } finally {
      r?.disconnect();
      r = null;
      await c.close();
    }
  }, 60_000);
});
