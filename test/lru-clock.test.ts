// The LRU clock may lag the wall clock (like Redis's LRU_CLOCK, refreshed by serverCron): an access
// is stamped with Clock.lruNow, and everything that reads an access slot back — OBJECT IDLETIME,
// OBJECT FREQ's decay, DEBUG OBJECT's lru_seconds_idle, RESTORE IDLETIME — must use that same clock,
// or a key touched just after a second boundary reads as idle for a second. The clock here lags by
// 100 ms and "now" sits 50 ms past a second (and minute) boundary, which made OBJECT IDLETIME answer 1 for a key
// SET a moment before (a CI flake: a real clock hits this window one run in ten).
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../src/keyspace/db.js';
import { LodestoneHandle, startLodestone } from './helpers/servers.js';

class LaggingClock implements Clock {
  t = 1_800_000_000_050; // 50 ms past a second
  now(): number {
    return this.t;
  }
  lruNow(): number {
    return this.t - 100;
  }
}

describe('LRU clock', () => {
  let ls: LodestoneHandle;
  let r: Redis;
  beforeAll(async () => {
    ls = await startLodestone({ 'enable-debug-command': 'yes' }, new LaggingClock());
    r = new Redis({ port: ls.port, maxRetriesPerRequest: 0 });
  });
  afterAll(async () => {
    r.disconnect();
    await ls.close();
  });

  it('OBJECT IDLETIME and DEBUG OBJECT read the clock an access was stamped with', async () => {
    await r.set('s', 'abc');
    expect(await r.call('OBJECT', 'IDLETIME', 's')).toBe(0);
    expect(String(await r.call('DEBUG', 'OBJECT', 's'))).toContain('lru_seconds_idle:0');
    const payload = await r.dumpBuffer('s');
    await r.call('RESTORE', 'r', '0', payload, 'IDLETIME', '100');
    expect(await r.call('OBJECT', 'IDLETIME', 'r')).toBe(100);
  });

  it('OBJECT FREQ under an LFU policy: a new key starts at LFU_INIT_VAL', async () => {
    await r.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu');
    try {
      await r.set('f', 'abc');
      expect(await r.call('OBJECT', 'FREQ', 'f')).toBe(5);
    } finally {
      await r.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
    }
  });
});
