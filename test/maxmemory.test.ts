// maxmemory and eviction over a real socket with ioredis: the -OOM rejection (exact text, reads and
// DEL still allowed, MULTI → EXECABORT), each maxmemory-policy evicting the right keys, evicted_keys,
// the DEL the write observers (AOF) see for an evicted key, WATCH invalidation, CONFIG SET at run
// time, and INFO memory reporting the accounting figure. Time is a FakeClock, so LRU idle times are
// exact; maxmemory-samples is 64 (more than the keys in play) wherever a test names which keys must
// go, so approximate LRU is exact here. A differential part replays the OOM texts against redis-server.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { WriteEvent } from '../src/server/server.js';
import { FakeClock, LodestoneHandle, ProcessHandle, skipReason, startLodestone, startRedis } from './helpers/servers.js';
import { infoFields } from './helpers/poll.js';

const OOM = "OOM command not allowed when used memory > 'maxmemory'.";

const clock = new FakeClock();
let ls: LodestoneHandle;
let r: Redis;
beforeAll(async () => {
  ls = await startLodestone({ 'maxmemory-samples': '64' }, clock);
  r = new Redis({ port: ls.port, maxRetriesPerRequest: 0 });
});
afterAll(async () => {
  r.disconnect();
  await ls.close();
});
afterEach(async () => {
  await r.call('CONFIG', 'SET', 'maxmemory', '0', 'maxmemory-policy', 'noeviction', 'maxmemory-samples', '64');
  await r.flushall();
  await r.config('RESETSTAT');
});

/** A command's reply, or its error text (ioredis rejects with the server's message). */
async function reply(c: Redis, ...args: (string | number)[]): Promise<unknown> {
  try {
    return await c.call(String(args[0]), ...args.slice(1).map(String));
  } catch (e) {
    return `ERROR ${(e as Error).message}`;
  }
}

async function info(c: Redis, section: string): Promise<Record<string, string>> {
  return infoFields(await c.info(section));
}

const used = async () => Number((await info(r, 'memory')).used_memory);
const evicted = async () => Number((await info(r, 'stats')).evicted_keys);

/** Keys k00..k(n-1), each with a 20-byte value. */
async function fill(n: number, prefix = 'k', ttlSec = 0): Promise<string[]> {
  const keys = Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(2, '0')}`);
  for (const k of keys) {
    if (ttlSec) await r.set(k, 'v'.repeat(20), 'EX', ttlSec);
    else await r.set(k, 'v'.repeat(20));
  }
  return keys;
}

async function present(keys: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const k of keys) if ((await r.exists(k)) === 1) out.push(k);
  return out;
}

/** Set maxmemory to what is used now, then write one more key: the next command must evict. */
async function limitToNowThenOverflow(policy: string): Promise<void> {
  await r.call('CONFIG', 'SET', 'maxmemory-policy', policy, 'maxmemory', String(await used()));
  await r.set('overflow', 'x'.repeat(200));
}

describe('accounting (INFO memory)', () => {
  it('used_memory moves with the data and returns exactly when it is removed', async () => {
    const empty = await used();
    expect(empty).toBe(0);
    await r.set('a', 'hello');
    const one = await used();
    expect(one).toBeGreaterThan(5);
    await r.set('a', 'hello world, longer');
    expect(await used()).toBeGreaterThan(one);
    await r.set('a', 'hello');
    expect(await used()).toBe(one);
    await r.expire('a', 100);
    const withTtl = await used();
    expect(withTtl).toBeGreaterThan(one);
    await r.persist('a');
    expect(await used()).toBe(one);
    await r.hset('h', 'f1', 'v1', 'f2', 'v2');
    const h = await used();
    for (let i = 0; i < 100; i++) await r.hset('h', `field${i}`, 'x'.repeat(50));
    expect(await used()).toBeGreaterThan(h + 100 * 50);
    await r.del('h');
    expect(await used()).toBe(one);
    await r.rpush('l', 'a', 'b', 'c');
    await r.sadd('s', 'a', 'b');
    await r.zadd('z', 1, 'a');
    expect(await used()).toBeGreaterThan(one);
    await r.del('l', 's', 'z');
    expect(await used()).toBe(one);
    clock.advance(200_000);
    await r.set('b', '1', 'PX', 10);
    clock.advance(20);
    expect(await r.get('b')).toBeNull(); // expired lazily: its bytes go too
    expect(await used()).toBe(one);
    await r.flushall();
    expect(await used()).toBe(0);
  });

  it('SWAPDB and MOVE keep the total; INFO reports the maxmemory fields', async () => {
    await fill(5);
    const u = await used();
    await r.swapdb(0, 1);
    expect(await used()).toBe(u);
    await r.select(1);
    await r.move('k00', 0);
    await r.select(0);
    expect(await used()).toBe(u);
    await r.call('CONFIG', 'SET', 'maxmemory', '10mb', 'maxmemory-policy', 'allkeys-lru');
    const m = await info(r, 'memory');
    expect(m.maxmemory).toBe('10485760');
    expect(m.maxmemory_human).toBe('10.00M');
    expect(m.maxmemory_policy).toBe('allkeys-lru');
    expect(m.mem_not_counted_for_evict).toBe('0');
    expect(Number(m.used_memory_overhead) + Number(m.used_memory_dataset)).toBe(u);
    expect(Number(m.used_memory_rss)).toBeGreaterThan(u);
    expect(Number(m.used_memory_peak)).toBeGreaterThanOrEqual(u);
  });
});

describe('noeviction', () => {
  it('rejects denyoom writes with Redis text; reads, DEL and non-denyoom writes still run', async () => {
    const keys = await fill(3);
    await r.call('CONFIG', 'SET', 'maxmemory', '1');
    expect(await reply(r, 'SET', 'x', '1')).toBe(`ERROR ${OOM}`);
    expect(await reply(r, 'INCR', 'x')).toBe(`ERROR ${OOM}`);
    expect(await reply(r, 'LPUSH', 'l', 'a')).toBe(`ERROR ${OOM}`);
    expect(await reply(r, 'HSET', 'k00', 'f', 'v')).toBe(`ERROR ${OOM}`); // WRONGTYPE would come later
    expect(await r.get('k00')).toBe('v'.repeat(20));
    expect(await r.expire('k01', 100)).toBe(1); // write, but not denyoom
    expect(await r.ping()).toBe('PONG');
    expect(await evicted()).toBe(0);
    expect(await present(keys)).toEqual(keys); // nothing evicted under noeviction
    const st = await info(r, 'commandstats');
    expect(st.cmdstat_set).toMatch(/rejected_calls=1,/);
    expect((await info(r, 'errorstats')).errorstat_OOM).toBe('count=4');
    expect(await r.del(...keys)).toBe(3);
    expect(await used()).toBe(0);
    expect(await r.set('x', '1')).toBe('OK'); // under the limit again (0 <= 1)
    expect(await reply(r, 'SET', 'y', '1')).toBe(`ERROR ${OOM}`);
  });

  it('a command rejected inside MULTI aborts the transaction; EXEC answers EXECABORT', async () => {
    await fill(2);
    await r.call('CONFIG', 'SET', 'maxmemory', '1');
    const c = new Redis({ port: ls.port, maxRetriesPerRequest: 0 });
    try {
      expect(await reply(c, 'MULTI')).toBe('OK');
      expect(await reply(c, 'SET', 'x', '1')).toBe(`ERROR ${OOM}`);
      // Redis 7: inside MULTI even a read is refused under OOM (queueing itself uses memory).
      expect(await reply(c, 'GET', 'k00')).toBe(`ERROR ${OOM}`);
      expect(await reply(c, 'EXEC')).toBe('ERROR EXECABORT Transaction discarded because of previous errors.');
      // Queued before the limit, EXEC after: EXEC itself is rejected since it holds a denyoom command.
      await r.call('CONFIG', 'SET', 'maxmemory', '0');
      expect(await reply(c, 'MULTI')).toBe('OK');
      expect(await reply(c, 'SET', 'x', '1')).toBe('QUEUED');
      await r.call('CONFIG', 'SET', 'maxmemory', '1');
      expect(await reply(c, 'EXEC')).toBe(`ERROR EXECABORT Transaction discarded because of: ${OOM}`);
      expect(await r.exists('x')).toBe(0);
      // A transaction of reads and DEL still runs.
      await r.call('CONFIG', 'SET', 'maxmemory', '0');
      expect(await reply(c, 'MULTI')).toBe('OK');
      expect(await reply(c, 'GET', 'k00')).toBe('QUEUED');
      expect(await reply(c, 'DEL', 'k01')).toBe('QUEUED');
      await r.call('CONFIG', 'SET', 'maxmemory', '1');
      expect(await reply(c, 'EXEC')).toEqual(['v'.repeat(20), 1]);
    } finally {
      c.disconnect();
    }
  });
});

describe('eviction policies', () => {
  it('allkeys-lru evicts the idle keys and keeps the recently touched ones', async () => {
    const keys = await fill(20);
    clock.advance(100_000);
    const touched = keys.filter((_, i) => i % 2 === 1);
    for (const k of touched) await r.get(k);
    clock.advance(1000);
    await limitToNowThenOverflow('allkeys-lru');
    expect(await r.ping()).toBe('PONG'); // any command runs performEvictions first
    const left = await present(keys);
    const n = await evicted();
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThanOrEqual(10);
    expect(left.length).toBe(20 - n);
    for (const k of touched) expect(left).toContain(k);
    expect(await r.exists('overflow')).toBe(1);
    expect(await used()).toBeLessThanOrEqual(Number((await info(r, 'memory')).maxmemory));
    expect(await r.object('IDLETIME', touched[0])).toBe(1); // OBJECT IDLETIME keeps working
  });

  it('allkeys-lru evicts in idle order (oldest access first)', async () => {
    const keys: string[] = [];
    for (let i = 0; i < 10; i++) {
      keys.push(...(await fill(1, `age${i}-`)));
      clock.advance(10_000);
    }
    await r.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru', 'maxmemory', String(await used()));
    await r.set('overflow', 'x'.repeat(300)); // 300 bytes: more than one 20-byte key
    await r.ping();
    const n = await evicted();
    expect(n).toBeGreaterThan(1);
    expect(await present(keys)).toEqual(keys.slice(n));
  });

  it('volatile-lru evicts only keys with a TTL, then refuses writes when none is left', async () => {
    const plain = await fill(10, 'p');
    const ttl = await fill(3, 't', 1000);
    await r.call('CONFIG', 'SET', 'maxmemory-policy', 'volatile-lru', 'maxmemory', String(await used()));
    await r.set('big', 'x'.repeat(2000));
    expect(await reply(r, 'SET', 'more', '1')).toBe(`ERROR ${OOM}`);
    expect(await present(ttl)).toEqual([]);
    expect(await present(plain)).toEqual(plain);
    expect(await evicted()).toBe(3);
    expect(await r.get('p00')).toBe('v'.repeat(20));
  });

  it('volatile-random evicts only keys with a TTL', async () => {
    const plain = await fill(10, 'p');
    const ttl = await fill(10, 't', 1000);
    await limitToNowThenOverflow('volatile-random');
    await r.ping();
    const n = await evicted();
    expect(n).toBeGreaterThan(0);
    expect((await present(ttl)).length).toBe(10 - n);
    expect(await present(plain)).toEqual(plain);
  });

  it('allkeys-random evicts until under the limit', async () => {
    const keys = await fill(20);
    await limitToNowThenOverflow('allkeys-random');
    await r.ping();
    const n = await evicted();
    expect(n).toBeGreaterThan(0);
    const left = await present([...keys, 'overflow']);
    expect(left.length).toBe(21 - n);
    expect(await used()).toBeLessThanOrEqual(Number((await info(r, 'memory')).maxmemory));
  });

  it('volatile-ttl evicts the nearest expiry first and leaves keys without a TTL', async () => {
    const plain = await fill(3, 'p');
    // Expiries in shuffled order of insertion, so the cursor order is not the expiry order.
    const order = [7, 2, 9, 0, 5, 3, 8, 1, 6, 4];
    for (const i of order) await r.set(`t${i}`, 'v'.repeat(20), 'EX', 1000 + i * 100);
    await r.call('CONFIG', 'SET', 'maxmemory-policy', 'volatile-ttl', 'maxmemory', String(await used()));
    await r.set('overflow', 'x'.repeat(300));
    await r.ping();
    const n = await evicted();
    expect(n).toBeGreaterThan(1);
    expect(n).toBeLessThan(10);
    const byExpiry = Array.from({ length: 10 }, (_, i) => `t${i}`);
    expect(await present(byExpiry)).toEqual(byExpiry.slice(n));
    expect(await present(plain)).toEqual(plain);
  });

  it('allkeys-lfu evicts the least frequently used keys, not the least recently used; counters decay', async () => {
    await r.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu');
    const keys = await fill(8);
    const hot = keys.slice(0, 4);
    const cold = keys.slice(4);
    // Hot keys are read 300 times each (their Morris counters climb well above the initial 5)…
    for (let i = 0; i < 300; i++) await r.pipeline(hot.map((k) => ['get', k])).exec();
    // …cold keys once each, and last: they are the most recently used.
    for (const k of cold) await r.get(k);
    const freq = async (k: string) => Number(await r.object('FREQ', k));
    const hotFreq = await Promise.all(hot.map(freq));
    const coldFreq = await Promise.all(cold.map(freq));
    expect(Math.min(...hotFreq)).toBeGreaterThan(Math.max(...coldFreq));
    expect(coldFreq).toEqual([6, 6, 6, 6]); // LFU_INIT_VAL 5, plus the one certain first increment
    await expect(r.object('IDLETIME', hot[0])).rejects.toThrow(/An LFU maxmemory policy is selected, idle time not tracked/);
    // lfu-decay-time 1: ten idle minutes take ten off every counter (OBJECT FREQ does not touch).
    clock.advance(10 * 60_000);
    expect(await Promise.all(hot.map(freq))).toEqual(hotFreq.map((f) => Math.max(0, f - 10)));
    expect(await Promise.all(cold.map(freq))).toEqual([0, 0, 0, 0]);
    clock.advance(-10 * 60_000);
    // Room for a bit more than the hot half: the cold keys must go, although they were used last.
    await r.call('CONFIG', 'SET', 'maxmemory', String(Math.floor((await used()) * 0.6)));
    await r.ping();
    expect((await present(keys)).sort()).toEqual(hot);
    expect(await evicted()).toBe(cold.length);
  });
});

describe('evictions are deletes like any other', () => {
  it('write observers see a DEL per evicted key (what the AOF records)', async () => {
    const keys = await fill(10);
    const seen: WriteEvent[] = [];
    const stop = ls.server.observeWrites((events) => seen.push(...events));
    try {
      await limitToNowThenOverflow('allkeys-lru');
      await r.ping();
      const dels = seen.filter((e) => e.args[0] === 'DEL');
      expect(dels.length).toBe(await evicted());
      expect(dels.length).toBeGreaterThan(0);
      for (const e of dels) {
        expect(e.client).toBe(ls.server.internalClient);
        expect(e.args.length).toBe(2);
        expect(keys).toContain(e.args[1]);
        expect(await r.exists(e.args[1])).toBe(0);
      }
    } finally {
      stop();
    }
  });

  it('an evicted WATCHed key fails the transaction', async () => {
    await fill(5);
    const c = new Redis({ port: ls.port, maxRetriesPerRequest: 0 });
    try {
      await c.watch('k00');
      clock.advance(10_000);
      for (const k of ['k01', 'k02', 'k03', 'k04']) await r.get(k); // k00 is the idlest
      await limitToNowThenOverflow('allkeys-lru');
      await r.ping();
      expect(await r.exists('k00')).toBe(0);
      expect(await reply(c, 'MULTI')).toBe('OK');
      expect(await reply(c, 'SET', 'k00', 'mine')).toBe('QUEUED');
      expect(await reply(c, 'EXEC')).toBeNull();
    } finally {
      c.disconnect();
    }
  });

  it('evicted_keys counts and CONFIG RESETSTAT clears it', async () => {
    await fill(10);
    await limitToNowThenOverflow('allkeys-random');
    await r.ping();
    expect(await evicted()).toBeGreaterThan(0);
    await r.config('RESETSTAT');
    expect(await evicted()).toBe(0);
  });
});

describe('CONFIG SET at run time', () => {
  it('lowering maxmemory evicts, raising or switching policy lets writes through again', async () => {
    const keys = await fill(10);
    const full = await used();
    await r.call('CONFIG', 'SET', 'maxmemory', String(Math.floor(full / 2)));
    expect(await reply(r, 'SET', 'x', '1')).toBe(`ERROR ${OOM}`); // noeviction
    await r.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
    expect(await r.set('x', '1')).toBe('OK');
    expect(await used()).toBeLessThanOrEqual(Math.floor(full / 2) + 200);
    // This command may evict once more (SET x put memory over again); from then on, no limit.
    await r.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction', 'maxmemory', '0');
    const left = (await present([...keys, 'x'])).length;
    expect(left).toBeLessThan(10);
    expect(left).toBeGreaterThan(0);
    for (let i = 0; i < 20; i++) expect(await r.set(`more${i}`, 'x'.repeat(100))).toBe('OK');
    expect(await evicted()).toBe(11 - left);
  });

  it('maxmemory-samples 1 still evicts (approximate LRU)', async () => {
    await fill(20);
    await r.call('CONFIG', 'SET', 'maxmemory-samples', '1');
    await limitToNowThenOverflow('allkeys-lru');
    await r.ping();
    expect(await evicted()).toBeGreaterThan(0);
    expect(await used()).toBeLessThanOrEqual(Number((await info(r, 'memory')).maxmemory));
  });
});

describe('MEMORY USAGE / STATS: the same estimate maxmemory evicts by', () => {
  it('MEMORY USAGE of a key is exactly what it adds to used_memory, TTL included', async () => {
    const before = await used();
    await r.set('mu:s', 'x'.repeat(100));
    await r.hset('mu:h', 'a', '1', 'b', '2');
    await r.set('mu:t', 'v', 'EX', 100);
    const sizes = await Promise.all(['mu:s', 'mu:h', 'mu:t'].map((k) => r.call('MEMORY', 'USAGE', k) as Promise<number>));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe((await used()) - before);
    expect(await r.call('MEMORY', 'USAGE', 'mu:s', 'SAMPLES', '0')).toBe(sizes[0]);
    await r.set('mu:s', 'x'.repeat(1000));
    expect(Number(await r.call('MEMORY', 'USAGE', 'mu:s'))).toBeGreaterThan(sizes[0] + 800);
    expect(await r.call('MEMORY', 'USAGE', 'nokey')).toBeNull();
  });

  it('MEMORY STATS splits total.allocated into overhead and dataset, per db', async () => {
    await fill(10);
    const flat = (await r.call('MEMORY', 'STATS')) as unknown[];
    const stats = new Map<string, unknown>();
    for (let i = 0; i < flat.length; i += 2) stats.set(String(flat[i]), flat[i + 1]);
    expect(stats.get('total.allocated')).toBe(await used());
    expect(stats.get('keys.count')).toBe(10);
    expect(Number(stats.get('overhead.total')) + Number(stats.get('dataset.bytes'))).toBe(await used());
    expect(stats.has('db.0')).toBe(true);
    expect(stats.has('db.1')).toBe(false);
  });
});

describe('differential: OOM replies against redis-server', () => {
  const skip = skipReason('maxmemory differential', 'redis-server');
  let redis: ProcessHandle;
  let lsDiff: LodestoneHandle;
  beforeAll(async () => {
    if (skip) return;
    redis = await startRedis();
    lsDiff = await startLodestone();
  });
  afterAll(async () => {
    await redis?.close();
    await lsDiff?.close();
  });

  /**
   * The same session on both servers: keys, maxmemory 1, then commands. The list keeps an element
   * throughout: Lodestone's used memory is the dataset only (0 once empty), Redis's never drops to 1.
   */
  async function session(port: number): Promise<unknown[]> {
    const a = new Redis({ port, maxRetriesPerRequest: 0 });
    const b = new Redis({ port, maxRetriesPerRequest: 0 });
    const out: unknown[] = [];
    try {
      await a.set('s', 'v');
      await a.rpush('l', 'x', 'z');
      await b.call('MULTI');
      await b.call('SET', 'queued', '1');
      await a.call('CONFIG', 'SET', 'maxmemory', '1');
      const steps: (string | number)[][] = [
        ['SET', 'x', '1'], ['APPEND', 's', 'x'], ['RPUSH', 'l', 'y'], ['SADD', 'set', 'a'], ['GET', 's'],
        ['LLEN', 'l'], ['EXPIRE', 's', 100], ['PERSIST', 's'], ['LPOP', 'l'], ['DEL', 's'], ['PING'],
        ['MULTI'], ['GET', 's'], ['DEL', 'l'], ['EXEC'],
      ];
      for (const s of steps) out.push(await reply(a, ...s));
      out.push(await reply(b, 'EXEC')); // queued before the limit: EXEC itself is refused
      await a.call('CONFIG', 'SET', 'maxmemory', '0');
    } finally {
      a.disconnect();
      b.disconnect();
    }
    return out;
  }

  it.skipIf(skip)('same replies as Redis 7 under noeviction', async () => {
    const want = await session(redis.port);
    expect(await session(lsDiff.port)).toEqual(want);
    expect(want[0]).toBe(`ERROR ${OOM}`);
  });

  it.skipIf(skip)('MEMORY: the same help, errors and replies whose values do not depend on the allocator', async () => {
    const run = async (port: number): Promise<unknown[]> => {
      const c = new Redis({ port, maxRetriesPerRequest: 0 });
      try {
        await c.flushall();
        await c.set('k', 'v');
        const out: unknown[] = [];
        for (const step of [
          ['MEMORY', 'HELP'], ['MEMORY', 'USAGE', 'nokey'], ['MEMORY', 'USAGE', 'k', 'SAMPLES', 'x'],
          ['MEMORY', 'USAGE', 'k', 'SAMPLES', '-1'], ['MEMORY', 'USAGE', 'k', 'FOO', '1'], ['MEMORY', 'USAGE', 'k', 'SAMPLES'],
          ['MEMORY', 'USAGE'], ['MEMORY', 'NOSUCH'], ['MEMORY', 'PURGE'], ['MEMORY', 'DOCTOR'],
        ]) out.push(await reply(c, ...step));
        const usage = await c.call('MEMORY', 'USAGE', 'k');
        out.push(typeof usage === 'number' && usage > 0);
        return out;
      } finally {
        c.disconnect();
      }
    };
    expect(await run(lsDiff.port)).toEqual(await run(redis.port));
  });
});
