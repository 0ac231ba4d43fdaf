// OBJECT FREQ / IDLETIME / REFCOUNT / HELP against a real redis-server 7.0: the errors under the
// wrong maxmemory-policy (FREQ needs an LFU policy, IDLETIME refuses one), missing keys (nil before
// the policy check), the reference count Redis reports (INT_MAX for the shared integers 0..9999
// unless maxmemory is set with an LRU/LFU policy, 1 otherwise), and LFU counters made deterministic
// with lfu-log-factor 0 (every access increments). Values are not small integers where the LFU or
// idle state is read: Redis keeps that state on the shared integer object, for all keys at once.
import { describe, it } from 'vitest';
import { diffServers, Step } from '../helpers/diff.js';
import { skipReason } from '../helpers/servers.js';

const cfg = (name: string, value: string): string[] => ['CONFIG', 'SET', name, value];
const reset: Step[] = [cfg('maxmemory-policy', 'noeviction'), cfg('maxmemory', '0'), cfg('lfu-log-factor', '10')];

describe.skipIf(skipReason('OBJECT differential tests', 'redis-server'))('OBJECT: differential vs redis-server', () => {
  const servers = diffServers();
  const run = (steps: Step[]) => servers.diff([...reset, ...steps, ...reset]);

  it('FREQ and IDLETIME errors by policy, missing keys, argument errors, HELP', async () => {
    await run([
      ['SET', 's', 'abc'],
      ['OBJECT', 'FREQ', 's'],
      ['OBJECT', 'FREQ', 'nokey'],
      ['OBJECT', 'IDLETIME', 's'],
      ['OBJECT', 'IDLETIME', 'nokey'],
      cfg('maxmemory-policy', 'allkeys-lru'),
      ['OBJECT', 'FREQ', 's'],
      ['OBJECT', 'IDLETIME', 's'],
      cfg('maxmemory-policy', 'volatile-lfu'),
      ['OBJECT', 'IDLETIME', 's'],
      ['OBJECT', 'IDLETIME', 'nokey'],
      ['OBJECT', 'FREQ', 'nokey'],
      cfg('maxmemory-policy', 'allkeys-lfu'),
      ['OBJECT', 'IDLETIME', 's'],
      cfg('maxmemory-policy', 'volatile-ttl'),
      ['OBJECT', 'FREQ', 's'],
      ['OBJECT', 'IDLETIME', 's'],
      ['OBJECT'],
      ['OBJECT', 'FREQ'],
      ['OBJECT', 'FREQ', 'a', 'b'],
      ['OBJECT', 'IDLETIME'],
      ['OBJECT', 'REFCOUNT'],
      ['OBJECT', 'ENCODING'],
      ['OBJECT', 'BOGUS'],
      ['OBJECT', 'bogus', 'k'],
      ['OBJECT', 'HELP'],
      ['OBJECT', 'help'],
      ['OBJECT', 'HELP', 'x'],
    ]);
  });

  it('LFU counters: new keys start at 5, each access adds one with lfu-log-factor 0', async () => {
    await run([
      cfg('maxmemory-policy', 'allkeys-lfu'),
      cfg('lfu-log-factor', '0'),
      ['SET', 'f', 'value'],
      ['OBJECT', 'FREQ', 'f'],
      ['OBJECT', 'FREQ', 'f'],
      ['GET', 'f'],
      ['OBJECT', 'FREQ', 'f'],
      ['GET', 'f'],
      ['STRLEN', 'f'],
      ['EXISTS', 'f'],
      ['OBJECT', 'FREQ', 'f'],
      ['TYPE', 'f'],
      ['OBJECT', 'FREQ', 'f'],
      ['APPEND', 'f', 'x'],
      ['OBJECT', 'FREQ', 'f'],
      ['SET', 'f', 'other'],
      ['OBJECT', 'FREQ', 'f'],
      ['RPUSH', 'l', 'a', 'b'],
      ['OBJECT', 'FREQ', 'l'],
      ['LRANGE', 'l', '0', '-1'],
      ['LPUSH', 'l', 'c'],
      ['OBJECT', 'FREQ', 'l'],
      ['HSET', 'h', 'f', 'v'],
      ['HGET', 'h', 'f'],
      ['OBJECT', 'FREQ', 'h'],
      ['DEL', 'f'],
      ['OBJECT', 'FREQ', 'f'],
    ]);
  });

  it('REFCOUNT: shared integers report INT_MAX unless maxmemory has an LRU/LFU policy', async () => {
    const values = ['0', '9999', '10000', '-1', '01', '123', 'abc', '', '1'.repeat(50)];
    const steps: Step[] = [];
    for (const [i, v] of values.entries()) steps.push(['SET', `k${i}`, v]);
    const counts = (): Step[] => values.map((_, i) => ['OBJECT', 'REFCOUNT', `k${i}`]);
    await run([
      ...steps,
      ['RPUSH', 'l', '1'],
      ['SADD', 'set', '1'],
      ...counts(),
      ['OBJECT', 'REFCOUNT', 'l'],
      ['OBJECT', 'REFCOUNT', 'set'],
      ['OBJECT', 'REFCOUNT', 'nokey'],
      cfg('maxmemory-policy', 'allkeys-lru'),
      ...counts(),
      cfg('maxmemory', '1gb'),
      ...steps,
      ...counts(),
      cfg('maxmemory-policy', 'volatile-ttl'),
      ...steps,
      ...counts(),
      cfg('maxmemory-policy', 'allkeys-lfu'),
      ...steps,
      ...counts(),
    ]);
  });
});
