// RDB files both ways with the real binaries (issue #14, "RDB, the lingua franca"):
//   (a) a Lodestone SAVE is accepted by redis-check-rdb, and a real redis-server 7.0 started on it
//       has every key, type, TTL, stream (groups, consumers, PEL) and function — also when the file
//       carries a WASM module (an aux field Redis skips) and IDLE records (maxmemory-policy LRU);
//   (b) a dump.rdb written by a real redis-server — every type in every encoding it picks: small
//       and large lists (compressed quicklist nodes too), intsets, sets, hashes, sorted sets,
//       integers, LZF-compressed strings, streams with groups, expiries, FREQ records, functions,
//       several databases — loads into Lodestone with everything intact;
//   (c) a Lodestone restart keeps everything, and the WASM module travels in the file: a server
//       with an empty module store loads it from dump.rdb;
//   (d) a dump.lsnap written by the previous Lodestone version (test/fixtures/rdb, made with its
//       SAVE) loads and is converted to dump.rdb.
// Contents are compared by reading them (TYPE, full contents, PEXPIRETIME, XINFO, XPENDING,
// FUNCTION LIST), never by DUMP. Skipped with a message when redis-server / redis-check-rdb are absent.

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { HAVE_REDIS_SERVER, ProcessHandle, ROOT, skipReason, startLodestone, startRedis } from './helpers/servers.js';
import { Dataset, datasetOf, keyCount } from './helpers/dataset.js';

const HAVE_CHECK = spawnSync('sh', ['-c', 'command -v redis-check-rdb'], { encoding: 'utf8' }).status === 0;
const noRedis = skipReason('RDB files with real Redis', 'redis-server');
if (HAVE_REDIS_SERVER && !HAVE_CHECK) {
  // eslint-disable-next-line no-console
  console.log('[skip] redis-check-rdb: not installed (apt-get install -y redis-tools); the check step is skipped');
}

const DBS = [0, 1, 2, 3];
/** 2100-01-01: absolute expiry times compare exactly between servers. */
const FAR = 4102444800000;
const LIB = "#!lua name=rdblib\nredis.register_function('rdbecho', function(keys, args) return args[1] end)\nredis.register_function{function_name='rdbro', callback=function() return 'ro' end, flags={'no-writes'}}";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanup.length) await cleanup.pop()!();
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'lodestone-rdb-'));
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

async function client(port: number): Promise<Redis> {
  const r = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0 });
  await r.connect();
  cleanup.push(() => r.disconnect());
  return r;
}

/** An in-process Lodestone and a client; stop() closes both (the client first, so it does not reconnect). */
async function lodestone(overrides: Record<string, string>) {
  const h = await startLodestone(overrides);
  const r = await client(h.port);
  let closed = false;
  const stop = async () => {
    if (closed) return;
    closed = true;
    r.disconnect();
    await h.close();
  };
  cleanup.push(stop);
  return { h, r, stop };
}

async function redis(extra: string[]): Promise<{ p: ProcessHandle; r: Redis }> {
  const p = await startRedis(extra);
  cleanup.push(() => p.close());
  return { p, r: await client(p.port) };
}

/** Deterministic pseudo-random text (incompressible enough that LZF gives up). */
function noise(n: number, seed: number): string {
  let x = seed;
  let s = '';
  while (s.length < n) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    s += (x >>> 8).toString(36);
  }
  return s.slice(0, n);
}

/** Every type, in each encoding Redis 7.0 picks by size, with TTLs and several databases. */
async function populate(r: Redis): Promise<void> {
  const p = r.pipeline();
  p.set('s:small', 'hello');
  p.set('s:int', '12345');
  p.set('s:neg', '-42');
  p.set('s:int64', '12345678901234567');
  p.set('s:empty', '');
  p.set('s:bin', Buffer.from([0, 1, 2, 255, 13, 10, 0]));
  p.set('s:long', 'abcdefgh'.repeat(2000)); // LZF-compressed with rdbcompression yes
  p.set('s:noise', noise(400, 7));
  p.set('s:ttl', 'v', 'PXAT', FAR);
  p.set('12345', 'an integer key');
  p.rpush('l:small', 'a', 'b', '1', '-5', '99999999999', '');
  p.rpush('l:big', ...Array.from({ length: 5000 }, (_, i) => (i % 3 === 0 ? String(i) : `item-${i}-${'x'.repeat(i % 50)}`)));
  p.rpush('l:bigel', 'y'.repeat(20000), 'z', noise(9000, 3));
  p.sadd('set:int', 1, 2, 3, -7, 100000, 2 ** 40);
  p.sadd('set:manyint', ...Array.from({ length: 700 }, (_, i) => i * 3));
  p.sadd('set:str', 'a', 'b', 'c');
  p.sadd('set:big', ...Array.from({ length: 300 }, (_, i) => `m${i}`));
  p.hset('h:small', 'a', '1', 'b', '2', 'n', '-3');
  p.hset('h:big', ...Array.from({ length: 300 }, (_, i) => [`f${i}`, `v${i}`]).flat());
  p.hset('h:longval', 'f', 'v'.repeat(100), 'g', '1');
  p.zadd('z:small', 1, 'a', 2.5, 'b', -3, 'c', '+inf', 'top', '-inf', 'bottom');
  p.zadd('z:big', ...Array.from({ length: 300 }, (_, i) => [i * 1.5 - 100, `z${i}`]).flat());
  p.zadd('z:longmember', 0.1, 'm'.repeat(100), 3, 'short');
  p.pexpireat('h:small', FAR - 1000);
  p.pexpireat('l:big', FAR - 2000);
  p.pexpireat('z:big', FAR - 3000);
  p.pexpireat('set:int', FAR - 4000);
  // Streams: entries in several nodes, deletions, groups with consumers and pending entries.
  for (let i = 1; i <= 250; i++) p.xadd('st', `${1000 + i}-${i % 3}`, 'f', `v${i}`, 'n', String(i));
  p.xdel('st', '1005-2', '1010-1', '1100-1');
  p.xgroup('CREATE', 'st', 'g1', '0');
  p.xgroup('CREATE', 'st', 'g2', '1200-0', 'ENTRIESREAD', '100');
  p.xreadgroup('GROUP', 'g1', 'alice', 'COUNT', 5, 'STREAMS', 'st', '>');
  p.xreadgroup('GROUP', 'g1', 'bob', 'COUNT', 3, 'STREAMS', 'st', '>');
  p.xack('st', 'g1', '1002-2');
  p.xgroup('CREATECONSUMER', 'st', 'g2', 'idle-one');
  p.xadd('st:trimmed', '1-1', 'a', '1');
  p.xadd('st:trimmed', '2-1', 'b', '2');
  p.xadd('st:trimmed', '3-1', 'c', '3');
  p.xtrim('st:trimmed', 'MAXLEN', 1);
  p.xadd('st:empty', '5-5', 'x', 'y');
  p.xdel('st:empty', '5-5');
  p.xgroup('CREATE', 'st:empty', 'g', '$');
  p.xadd('st:ttl', '1-1', 'a', 'b');
  p.pexpireat('st:ttl', FAR - 5000);
  p.select(1);
  p.set('db1:k', 'one');
  p.hset('db1:h', 'x', 'y');
  p.select(3);
  p.set('db3:ttl', 'three', 'PXAT', FAR - 6000);
  p.rpush('db3:l', 'q');
  p.select(0);
  const res = await p.exec();
  for (const [err] of res!) if (err) throw err;
  await r.call('FUNCTION', 'LOAD', LIB);
}

/** What two servers must agree on: the dataset, the streams' metadata, the functions. */
async function stateOf(port: number): Promise<{ data: Dataset; streams: Record<string, unknown>; functions: unknown }> {
  const r = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0 });
  await r.connect();
  try {
    return await readState(r, port);
  } finally {
    r.disconnect();
  }
}

async function readState(r: Redis, port: number): Promise<{ data: Dataset; streams: Record<string, unknown>; functions: unknown }> {
  const data = await datasetOf(port, DBS);
  const streams: Record<string, unknown> = {};
  for (const key of Object.keys(data[0] ?? {}).filter((k) => data[0][k].type === 'stream')) {
    const info = (await r.xinfo('STREAM', key)) as unknown[];
    const kept: unknown[] = [];
    for (let i = 0; i < info.length; i += 2) {
      // The radix tree's shape is an implementation detail.
      if (info[i] === 'radix-tree-keys' || info[i] === 'radix-tree-nodes') continue;
      kept.push(info[i], info[i + 1]);
    }
    const groups = (await r.xinfo('GROUPS', key)) as unknown[][];
    const perGroup: Record<string, unknown> = {};
    for (const g of groups) {
      const name = String(g[1]);
      const consumers = ((await r.xinfo('CONSUMERS', key, name)) as unknown[][]).map((c) => [c[1], c[3]]); // name, pending (idle varies)
      const pending = ((await r.xpending(key, name, '-', '+', 1000)) as unknown[][]).map((e) => [e[0], e[1], e[3]]); // id, consumer, deliveries
      perGroup[name] = { consumers, pending, summary: await r.xpending(key, name) };
    }
    streams[key] = { info: kept, groups, perGroup };
  }
  // Libraries and their functions, in name order (Redis lists them in its dicts' order).
  const libs = (await r.call('FUNCTION', 'LIST', 'WITHCODE')) as unknown[][];
  const functions = libs
    .map((lib) => lib.map((v, i) => (lib[i - 1] === 'functions' ? (v as unknown[][]).slice().sort((x, y) => String(x[1]).localeCompare(String(y[1]))) : v)))
    .sort((x, y) => String(x[1]).localeCompare(String(y[1])));
  return { data, streams, functions };
}

function checkRdb(path: string): void {
  if (!HAVE_CHECK) return;
  const out = spawnSync('redis-check-rdb', [path], { encoding: 'utf8' });
  expect(out.stdout + out.stderr).toContain('RDB looks OK!');
  expect(out.status).toBe(0);
}

describe.skipIf(noRedis)('RDB files with real Redis', () => {
  it('(a) Lodestone SAVE: redis-check-rdb accepts it, and redis-server loads every key, TTL, stream and function', async () => {
    const dir = tempDir();
    const a = await lodestone({ dir, 'maxmemory-policy': 'allkeys-lru' });
    await populate(a.r);
    const wasm = readFileSync(join(ROOT, 'wasm-examples/build/ratelimit.wasm'));
    expect(await a.r.call('WASM.LOAD', 'ratelimit', wasm, 'PERMISSIONS', 'WRITE')).toBe('OK');
    const want = await stateOf(a.h.port);
    expect(keyCount(want.data)).toBe(31);
    expect(await a.r.save()).toBe('OK');
    const file = readFileSync(join(dir, 'dump.rdb'));
    expect(file.subarray(0, 9).toString()).toBe('REDIS0010');
    expect(file.includes(Buffer.from('lodestone-wasm'))).toBe(true);
    checkRdb(join(dir, 'dump.rdb'));
    const rdir = tempDir();
    copyFileSync(join(dir, 'dump.rdb'), join(rdir, 'dump.rdb'));
    const b = await redis(['--dir', rdir, '--dbfilename', 'dump.rdb']);
    expect(await stateOf(b.p.port)).toEqual(want);
    expect(await b.r.call('FCALL', 'rdbecho', 0, 'from lodestone')).toBe('from lodestone');
  }, 60000);

  it('(a) a BGSAVE under writes is also a valid RDB that redis-server loads to the dataset as of its start', async () => {
    const dir = tempDir();
    const a = await lodestone({ dir });
    const p = a.r.pipeline();
    for (let i = 0; i < 60000; i++) p.set(`k${i}`, `v${i}`);
    for (let i = 0; i < 200; i++) p.rpush('list', `e${i}`);
    await p.exec();
    await populate(a.r);
    const want = await stateOf(a.h.port);
    const w = a.r.pipeline();
    w.bgsave();
    for (let i = 0; i < 2000; i++) w.set(`k${(i * 37) % 60000}`, 'changed').del(`k${(i * 91) % 60000}`).rpush('list', 'more');
    w.hset('h:small', 'new', 'field').xadd('st', '*', 'late', '1');
    await w.exec();
    for (let t = 0; t < 2000 && (await a.r.info('persistence')).includes('rdb_bgsave_in_progress:1'); t++) await new Promise((res) => setTimeout(res, 10));
    expect(await a.r.info('persistence')).toContain('rdb_last_bgsave_status:ok');
    checkRdb(join(dir, 'dump.rdb'));
    const rdir = tempDir();
    copyFileSync(join(dir, 'dump.rdb'), join(rdir, 'dump.rdb'));
    const b = await redis(['--dir', rdir, '--dbfilename', 'dump.rdb']);
    expect(await stateOf(b.p.port)).toEqual(want);
  }, 90000);

  it('(b) a dump.rdb written by redis-server 7.0 loads into Lodestone with everything intact', async () => {
    const rdir = tempDir();
    const a = await redis([
      '--dir', rdir, '--dbfilename', 'dump.rdb', '--rdbcompression', 'yes', '--list-compress-depth', '1',
      '--stream-node-max-entries', '50', '--maxmemory-policy', 'allkeys-lfu',
    ]);
    await populate(a.r);
    const want = await stateOf(a.p.port);
    expect(keyCount(want.data)).toBe(31);
    expect(await a.r.save()).toBe('OK');
    checkRdb(join(rdir, 'dump.rdb'));
    const dir = tempDir();
    copyFileSync(join(rdir, 'dump.rdb'), join(dir, 'dump.rdb'));
    const b = await lodestone({ dir });
    expect(await stateOf(b.h.port)).toEqual(want);
    expect(await b.r.call('FCALL', 'rdbecho', 0, 'from redis')).toBe('from redis');
    expect(await b.r.call('FCALL_RO', 'rdbro', 0)).toBe('ro');
  }, 60000);

  it('(b) a file saved with rdbchecksum no and rdbcompression no loads too', async () => {
    const rdir = tempDir();
    const a = await redis(['--dir', rdir, '--dbfilename', 'dump.rdb', '--rdbcompression', 'no', '--rdbchecksum', 'no']);
    await populate(a.r);
    const want = await stateOf(a.p.port);
    // A key that is saved but whose expiry has passed when the file is loaded: dropped, counted.
    const expireAt = Date.now() + 300;
    await a.r.set('gone:soon', 'x', 'PXAT', expireAt);
    expect(await a.r.save()).toBe('OK');
    const dir = tempDir();
    copyFileSync(join(rdir, 'dump.rdb'), join(dir, 'dump.rdb'));
    while (Date.now() <= expireAt + 50) await new Promise((res) => setTimeout(res, 50));
    const b = await lodestone({ dir });
    expect(await stateOf(b.h.port)).toEqual(want);
    expect(await b.r.info('persistence')).toMatch(/rdb_last_load_keys_expired:1\r\nrdb_last_load_keys_loaded:31\r\n/);
  }, 60000);
});

describe('RDB snapshots across restarts', () => {
  it('(c) a restart keeps everything; a server with an empty module store gets the WASM module from dump.rdb', async () => {
    const dir = tempDir();
    const a = await lodestone({ dir });
    await populate(a.r);
    const wasm = readFileSync(join(ROOT, 'wasm-examples/build/ratelimit.wasm'));
    expect(await a.r.call('WASM.LOAD', 'ratelimit', wasm, 'PERMISSIONS', 'WRITE')).toBe('OK');
    const want = await stateOf(a.h.port);
    expect(await a.r.save()).toBe('OK');
    await a.stop();
    const b = await lodestone({ dir });
    expect(await stateOf(b.h.port)).toEqual(want);
    await b.stop();
    // Only the RDB file moves to a new machine.
    const other = tempDir();
    copyFileSync(join(dir, 'dump.rdb'), join(other, 'dump.rdb'));
    const c = await lodestone({ dir: other });
    expect(await stateOf(c.h.port)).toEqual(want);
    expect(await c.r.call('WASM.CALL', 'ratelimit', 'KEYS', 'rl:x', 'ARGS', '10', '60')).toEqual([1, 9, 0]);
    // …and it is in the new server's module store from then on.
    expect(existsSync(join(c.h.server.wasm!.persistDir, 'ratelimit.wasm'))).toBe(true);
  }, 60000);

  it('(c) FLUSHALL with save rules during a BGSAVE: the BGSAVE is dropped, the empty snapshot written and loadable', async () => {
    const dir = tempDir();
    const a = await lodestone({ dir, save: '3600 1' });
    const p = a.r.pipeline();
    for (let i = 0; i < 100000; i++) p.set(`k${i}`, `v${i}`.repeat(10));
    await p.exec();
    const r = await a.r.pipeline().bgsave().flushall().set('after', '1').exec();
    expect(r![0]).toEqual([null, 'Background saving started']);
    expect(await a.r.info('persistence')).toContain('rdb_bgsave_in_progress:0');
    await a.stop();
    checkRdb(join(dir, 'dump.rdb'));
    const b = await lodestone({ dir });
    expect(await b.r.dbsize()).toBe(0);
  }, 60000);

  it('(d) a dump.lsnap of the previous Lodestone version loads and is converted to dump.rdb', async () => {
    const fixture = join(ROOT, 'test/fixtures/rdb/legacy-dump.lsnap');
    const dir = tempDir();
    copyFileSync(fixture, join(dir, 'dump.lsnap'));
    const a = await lodestone({ dir });
    const check = async (r: Redis) => {
      expect(await r.mget('str', 'int', 'ttl')).toEqual(['hello', '42', 'v']);
      expect(Number(await r.call('PEXPIRETIME', 'ttl'))).toBe(4102444800000);
      expect(await r.hgetall('h')).toEqual({ a: '1', b: '2' });
      expect(await r.lrange('l', 0, -1)).toEqual(['a', 'b', 'c']);
      expect((await r.smembers('s')).sort()).toEqual(['x', 'y', 'z']);
      expect(await r.zrange('z', '0', '-1', 'WITHSCORES')).toEqual(['a', '1', 'b', '2.5']);
      expect(await r.xpending('st', 'grp')).toEqual([1, '1-1', '1-1', [['alice', '1']]]);
      expect(await r.call('FCALL', 'legacy', 0)).toBe('old');
      await r.select(2);
      expect(await r.get('db2key')).toBe('v2');
      await r.select(0);
    };
    await check(a.r);
    // Converted at once; the old file is left as it was.
    expect(readFileSync(join(dir, 'dump.rdb')).subarray(0, 9).toString()).toBe('REDIS0010');
    expect(readFileSync(join(dir, 'dump.lsnap')).equals(readFileSync(fixture))).toBe(true);
    await a.stop();
    const b = await lodestone({ dir });
    await check(b.r);
    await b.stop();
    // dbfilename naming the old file: read by its content, rewritten as RDB.
    const dir2 = tempDir();
    copyFileSync(fixture, join(dir2, 'old.lsnap'));
    const c = await lodestone({ dir: dir2, dbfilename: 'old.lsnap' });
    await check(c.r);
    expect(readFileSync(join(dir2, 'old.lsnap')).subarray(0, 9).toString()).toBe('REDIS0010');
  }, 60000);
});
