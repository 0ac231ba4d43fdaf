// The whole-file RDB API (src/persistence/rdb/file.ts), in process: a dataset of every type written
// with writeRdb and loaded into a fresh server comes back equal (types, contents, TTLs, functions);
// the loader is incremental (one byte at a time gives the same result), checks the checksum,
// refuses truncated files, duplicate keys, MODULE_AUX and the pre-release FUNCTION opcode; a
// time-sliced RdbSnapshot stays equal to the dataset as it was when it started while writes
// (including FLUSHDB, SWAPDB, MOVE and deletes) run between its steps.

import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { LodestoneHandle, startLodestone } from './helpers/servers.js';
import { datasetOf } from './helpers/dataset.js';
import { loadRdb, rdbBuffer, RdbLoader, RdbLoadError, RdbSnapshot } from '../src/persistence/rdb/file.js';
import { crc64LE } from '../src/persistence/rdb/crc64.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function start(): Promise<{ h: LodestoneHandle; r: Redis }> {
  const h = await startLodestone();
  const r = new Redis({ port: h.port, lazyConnect: true, maxRetriesPerRequest: 0 });
  await r.connect();
  open.push({
    close: async () => {
      r.disconnect();
      await h.close();
    },
  });
  return { h, r };
}

const LIB = "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return args[1] end)";

async function populate(r: Redis): Promise<void> {
  await r.set('str', 'hello');
  await r.set('int', '12345');
  await r.set('bin', Buffer.from([0, 1, 2, 255, 13, 10]));
  await r.set('long', 'abc'.repeat(1000));
  await r.set('ttl', 'v', 'PX', 3_600_000);
  await r.hset('hsmall', 'a', '1', 'b', '2');
  await r.hset('hbig', ...Array.from({ length: 300 }, (_, i) => [`f${i}`, `v${i}`]).flat());
  await r.sadd('iset', 1, 2, 3, -7, 100000);
  await r.sadd('sset', ...Array.from({ length: 600 }, (_, i) => `m${i}`));
  await r.rpush('lsmall', 'a', 'b', '1');
  await r.rpush('lbig', ...Array.from({ length: 5000 }, (_, i) => `item-${i}`));
  await r.zadd('zsmall', 1, 'a', 2.5, 'b');
  await r.zadd('zbig', ...Array.from({ length: 300 }, (_, i) => [i * 1.5, `z${i}`]).flat());
  await r.xadd('st', '1-1', 'f', 'v');
  await r.xadd('st', '2-1', 'g', 'w');
  await r.xgroup('CREATE', 'st', 'grp', '0');
  await r.xreadgroup('GROUP', 'grp', 'alice', 'COUNT', 1, 'STREAMS', 'st', '>');
  await r.select(3);
  await r.set('db3', 'x', 'EX', 1000);
  await r.select(0);
  await r.call('FUNCTION', 'LOAD', LIB);
}

describe('RDB files: writeRdb / loadRdb', () => {
  it('round-trips every type, TTL, database and function library', async () => {
    const a = await start();
    await populate(a.r);
    const file = rdbBuffer(a.h.server);
    expect(file.subarray(0, 9).toString()).toBe('REDIS0010');
    expect(file[file.length - 9]).toBe(0xff);
    expect(crc64LE(file, 0, file.length - 8).equals(file.subarray(file.length - 8))).toBe(true);
    const b = await start();
    const res = loadRdb(b.h.server, file);
    expect(res.keys).toBe(15);
    expect(res.functions).toEqual(['mylib']);
    expect(res.aux.get('redis-ver')).toBe('7.0.15');
    expect(await datasetOf(b.h.port)).toEqual(await datasetOf(a.h.port));
    expect(await b.r.xinfo('GROUPS', 'st')).toEqual(await a.r.xinfo('GROUPS', 'st'));
    // [id, consumer, idle ms, deliveries]: the idle times are read at two moments, so compare them
    // loosely (the delivery time travelled if they are close, not reset to 0 or to the epoch).
    type Pel = [string, string, number, number][];
    const pb = (await b.r.xpending('st', 'grp', '-', '+', 10)) as Pel;
    const pa = (await a.r.xpending('st', 'grp', '-', '+', 10)) as Pel;
    expect(pb.map(([id, c, , n]) => [id, c, n])).toEqual(pa.map(([id, c, , n]) => [id, c, n]));
    for (let i = 0; i < pa.length; i++) expect(Math.abs(pb[i][2] - pa[i][2])).toBeLessThan(60_000);
    expect(await b.r.call('FCALL', 'myfunc', 0, 'hi')).toBe('hi');
  });

  it('loads incrementally: a byte at a time gives the same dataset', async () => {
    const a = await start();
    await populate(a.r);
    const file = rdbBuffer(a.h.server);
    const b = await start();
    const l = new RdbLoader(b.h.server);
    for (let i = 0; i < file.length; i++) l.push(file.subarray(i, i + 1));
    expect(l.done).toBe(true);
    expect(l.end().keys).toBe(15);
    expect(await datasetOf(b.h.port)).toEqual(await datasetOf(a.h.port));
  });

  it('refuses damaged, truncated and unsupported files', async () => {
    const a = await start();
    await populate(a.r);
    const file = rdbBuffer(a.h.server);
    const fresh = async () => (await start()).h.server;
    const bad = Buffer.from(file);
    bad[file.length - 20] ^= 0xff;
    await expect(async () => loadRdb(await fresh(), bad)).rejects.toThrow(/Wrong RDB checksum|Bad RDB data/);
    await expect(async () => loadRdb(await fresh(), file.subarray(0, file.length - 3))).rejects.toThrow(/Unexpected EOF/);
    // A zero checksum is not checked (rdbchecksum no).
    const noSum = Buffer.from(file);
    noSum.fill(0, file.length - 8);
    expect(loadRdb(await fresh(), noSum).keys).toBe(15);
    // Duplicate keys: loading the same file twice.
    const s = await fresh();
    loadRdb(s, file, { replaceFunctions: true });
    expect(() => loadRdb(s, file, { replaceFunctions: true })).toThrow(/Duplicate key/);
    const head = Buffer.from('REDIS0010', 'latin1');
    const modAux = Buffer.concat([head, Buffer.from([247, 0x81, 0, 0, 0, 0, 0, 0, 0, 0])]);
    expect(() => loadRdb(s, modAux)).toThrow(/AUX module data/);
    expect(() => loadRdb(s, Buffer.concat([head, Buffer.from([246])]))).toThrow(/Pre-release function format not supported/);
    expect(() => loadRdb(s, Buffer.from('REDIS0011'))).toThrow(/Can't handle RDB format version 0011/);
    try {
      loadRdb(s, Buffer.concat([head, Buffer.from([200])]));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RdbLoadError);
      expect((e as RdbLoadError).offset).toBe(9);
    }
  });

  it('a damaged file fails with RdbLoadError, never another exception', async () => {
    const a = await start();
    await populate(a.r);
    const file = rdbBuffer(a.h.server, { checksum: false });
    const b = await start();
    let seed = 99;
    const rnd = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let failed = 0;
    for (let i = 0; i < 300; i++) {
      const bad = Buffer.from(file);
      for (let j = 0; j <= i % 3; j++) bad[9 + rnd(bad.length - 9)] = rnd(256);
      try {
        loadRdb(b.h.server, i % 2 ? bad : bad.subarray(0, rnd(bad.length)), { allowDuplicates: true, replaceFunctions: true });
      } catch (e) {
        if (!(e instanceof RdbLoadError)) throw e;
        failed++;
      }
    }
    expect(failed).toBeGreaterThan(100);
    expect(await b.r.ping()).toBe('PONG');
  });

  it('reads EXPIRETIME in seconds, IDLE, FREQ, and files older than version 5 (no checksum)', async () => {
    const str = (x: string) => Buffer.concat([Buffer.from([x.length]), Buffer.from(x, 'latin1')]);
    const secs = Buffer.alloc(4);
    secs.writeInt32LE(2_000_000_000);
    const body = Buffer.concat([
      Buffer.from([0xfe, 0]), // SELECTDB 0
      Buffer.from([0xfd]), secs, Buffer.from([0]), str('sec'), str('v'), // EXPIRETIME (s), string
      Buffer.from([0xf8, 0x40, 100]), Buffer.from([0]), str('idle'), str('w'), // IDLE 100, string
      Buffer.from([0xf9, 7]), Buffer.from([0]), str('freq'), str('x'), // FREQ 7, string
      Buffer.from([0xff]),
    ]);
    const v10 = Buffer.concat([Buffer.from('REDIS0010'), body]);
    const a = await start();
    const res = loadRdb(a.h.server, Buffer.concat([v10, crc64LE(v10)]));
    expect(res.keys).toBe(3);
    expect(Number(await a.r.call('PEXPIRETIME', 'sec'))).toBe(2_000_000_000_000);
    expect(Number(await a.r.object('IDLETIME', 'idle'))).toBeGreaterThanOrEqual(100);
    expect(await a.r.mget('sec', 'idle', 'freq')).toEqual(['v', 'w', 'x']);
    // Version 3: the file ends at the EOF opcode.
    const b = await start();
    expect(loadRdb(b.h.server, Buffer.concat([Buffer.from('REDIS0003'), body])).keys).toBe(3);
    expect(await b.r.get('freq')).toBe('x');
  });

  it('keys that maxmemory evicts while a time-sliced snapshot runs are still in it', async () => {
    const a = await start();
    const p = a.r.pipeline();
    for (let i = 0; i < 5000; i++) p.set(`k${i}`, `v${i}`.padEnd(100, '.'));
    await p.exec();
    const before = await datasetOf(a.h.port, [0]);
    await a.r.config('SET', 'maxmemory-policy', 'allkeys-random');
    await a.r.config('SET', 'maxmemory', String(a.h.server.memory.used() + 200_000));
    const chunks: Buffer[] = [];
    const snap = new RdbSnapshot(a.h.server, (b) => chunks.push(b));
    let round = 0;
    while (!snap.step(0)) await a.r.set(`big${round++}`, 'x'.repeat(20_000));
    const evicted = Number(/evicted_keys:(\d+)/.exec(await a.r.info('stats'))![1]);
    expect(evicted).toBeGreaterThan(20);
    await a.r.config('SET', 'maxmemory', '0');
    const b = await start();
    loadRdb(b.h.server, Buffer.concat(chunks));
    expect(await datasetOf(b.h.port, [0])).toEqual(before);
  });

  it('a time-sliced snapshot is the dataset as it was when it started', async () => {
    const a = await start();
    const pipe = a.r.pipeline();
    for (let db = 0; db < 3; db++) {
      pipe.select(db);
      for (let i = 0; i < 3000; i++) pipe.set(`k${i}`, `v${db}-${i}`);
      pipe.rpush('list', 'a', 'b');
    }
    pipe.select(0);
    await pipe.exec();
    const before = await datasetOf(a.h.port, [0, 1, 2]);
    const chunks: Buffer[] = [];
    const snap = new RdbSnapshot(a.h.server, (b) => chunks.push(b));
    let round = 0;
    // Step a little at a time, writing between steps.
    while (!snap.step(0)) {
      round++;
      const w = a.r.pipeline();
      w.set(`k${(round * 7) % 3000}`, 'changed');
      w.del(`k${(round * 13) % 3000}`);
      w.set(`new${round}`, 'born');
      w.rpush('list', `x${round}`);
      w.set(`new${round}`, 'born again');
      if (round === 5) w.move('k2999', 1);
      if (round === 10) w.select(1).flushdb().select(0);
      if (round === 60) w.swapdb(1, 2);
      await w.exec();
    }
    expect(round).toBeGreaterThan(60);
    const b = await start();
    loadRdb(b.h.server, Buffer.concat(chunks));
    expect(await datasetOf(b.h.port, [0, 1, 2])).toEqual(before);
  });
});
