// Differential tests for OBJECT ENCODING: Lodestone must report what redis-server 7.0.15 reports for
// the same value built by the same commands — strings int/embstr/raw (and the raw/embstr APPEND,
// SETRANGE and INCRBYFLOAT leave), lists quicklist, sets intset/hashtable, hashes and sorted sets
// listpack/hashtable/skiplist — at exactly the thresholds, with the one-way conversions (HDEL, SREM,
// ZREM never convert back), after CONFIG SET of the limits (the *-ziplist-* aliases included) and
// through RENAME, COPY, MOVE, store commands and SORT (which converts a sorted set to a skiplist).
import { describe, it } from 'vitest';
import { diffServers, Step } from '../helpers/diff.js';
import { skipReason } from '../helpers/servers.js';

const enc = (k: string): string[] => ['OBJECT', 'ENCODING', k];
const x = (n: number): string => 'x'.repeat(n);

/** The defaults of Redis 7.0.15, restored at the start and end of every script (config persists). */
const DEFAULTS: Step[] = [
  ['CONFIG', 'SET', 'hash-max-listpack-entries', '512'],
  ['CONFIG', 'SET', 'hash-max-listpack-value', '64'],
  ['CONFIG', 'SET', 'set-max-intset-entries', '512'],
  ['CONFIG', 'SET', 'zset-max-listpack-entries', '128'],
  ['CONFIG', 'SET', 'zset-max-listpack-value', '64'],
  ['CONFIG', 'SET', 'list-max-listpack-size', '-2'],
  ['CONFIG', 'SET', 'list-compress-depth', '0'],
];

describe.skipIf(skipReason('OBJECT ENCODING differential tests', 'redis-server'))('OBJECT ENCODING: differential vs redis-server', () => {
  const s = diffServers();
  const run = (steps: Step[]): Promise<void> => s.diff([...DEFAULTS, ...steps, ...DEFAULTS]);

  it('strings: int, embstr, raw and the writes that force raw or embstr', async () => {
    const steps: Step[] = [];
    const values = [
      '0', '1', '-1', '12345', '9223372036854775807', '-9223372036854775808', '9223372036854775808',
      '-9223372036854775809', '01', '-0', '+1', ' 1', '1 ', '1.5', '1e3', '', 'abc', x(44), x(45), x(100),
      '12345678901234567890', '99999999999999999999',
    ];
    values.forEach((v, i) => steps.push(['SET', `s${i}`, v], enc(`s${i}`)));
    steps.push(
      ['SET', 'a', '1'], ['APPEND', 'a', '2'], enc('a'),
      ['APPEND', 'new', '12'], enc('new'),
      ['APPEND', 'new2', x(50)], enc('new2'),
      ['SET', 'e', 'abc'], ['APPEND', 'e', ''], enc('e'),
      ['SETRANGE', 'sr', '0', '12'], enc('sr'),
      ['SET', 'sr2', 'abc'], ['SETRANGE', 'sr2', '0', 'x'], enc('sr2'),
      ['SET', 'sr3', 'abc'], ['SETRANGE', 'sr3', '1', ''], enc('sr3'),
      ['SET', 'f', '1.5'], ['INCRBYFLOAT', 'f', '1.5'], enc('f'),
      ['INCRBYFLOAT', 'nf', '3'], enc('nf'),
      ['SET', 'i', '10'], ['INCR', 'i'], enc('i'),
      ['SET', 'i2', 'abc'], ['APPEND', 'i2', 'd'], ['SET', 'i2', '5'], enc('i2'),
      ['INCRBY', 'i3', '100000'], enc('i3'),
      ['SET', 'ap', 'x'], ['APPEND', 'ap', 'y'], ['INCRBYFLOAT', 'f', '1'], enc('f'),
      ['RENAME', 'ap', 'ap2'], enc('ap2'),
      ['COPY', 'ap2', 'ap3'], enc('ap3'),
      ['MOVE', 'ap3', '1'], ['SELECT', '1'], enc('ap3'), ['SELECT', '0'],
      ['GETSET', 'ap2', '7'], enc('ap2'),
      ['MSET', 'm1', '42', 'm2', x(45)], enc('m1'), enc('m2'),
      ['SETEX', 'sx', '100', '7'], enc('sx'),
      enc('missing'),
    );
    await run(steps);
  });

  it('lists are always quicklist in 7.0, whatever the listpack size settings', async () => {
    await run([
      ['RPUSH', 'l', 'a'], enc('l'),
      ['RPUSH', 'l2', ...Array.from({ length: 200 }, (_, i) => `${i}`)], enc('l2'),
      ['CONFIG', 'SET', 'list-max-listpack-size', '4'],
      ['CONFIG', 'SET', 'list-compress-depth', '1'],
      ['LPUSH', 'l3', 'a', 'b', 'c', 'd', 'e'], enc('l3'),
      ['CONFIG', 'SET', 'list-max-ziplist-size', '-1'],
      ['CONFIG', 'GET', 'list-max-listpack-size'],
      ['RPUSH', 'l4', x(100)], enc('l4'),
      ['LPOP', 'l4'], enc('l4'),
    ]);
  });

  it('hashes: listpack up to the entry and value limits, hashtable after, never back', async () => {
    const fields = (n: number): string[] => Array.from({ length: n }, (_, i) => [`f${i}`, 'v']).flat();
    await run([
      ['HSET', 'h', ...fields(512)], enc('h'),
      ['HSET', 'h', 'f0', 'w'], enc('h'),
      ['HSET', 'h', 'extra', 'v'], enc('h'),
      ['HDEL', 'h', 'extra', 'f1'], enc('h'),
      ['HSET', 'v64', 'f', x(64)], enc('v64'),
      ['HSET', 'v65', 'f', x(65)], enc('v65'),
      ['HSET', 'k65', x(65), 'v'], enc('k65'),
      ['HSET', 'k64', x(64), 'v'], enc('k64'),
      ['HSETNX', 'nx', 'a', '1'], ['HSETNX', 'nx', 'b', x(65)], enc('nx'),
      ['HSETNX', 'nx2', 'a', '1'], ['HSETNX', 'nx2', 'a', x(65)], enc('nx2'),
      ['HSET', 'hi', 'a', '1'], ['HINCRBY', 'hi', x(65), '1'], enc('hi'),
      ['HSET', 'hf', 'a', '1'], ['HINCRBYFLOAT', 'hf', x(65), '1'], enc('hf'),
      ['HMSET', 'hm', 'a', '1', 'b', x(70)], enc('hm'),
      ['HSET', 'back', 'a', x(65)], ['HSET', 'back', 'a', 'short'], enc('back'),
      // Limits changed at run time apply from the next write; the aliases set the same value.
      ['HSET', 'c', 'a', '1', 'b', '2'],
      ['CONFIG', 'SET', 'hash-max-ziplist-entries', '1'],
      ['CONFIG', 'GET', 'hash-max-listpack-entries'],
      enc('c'),
      ['HDEL', 'c', 'b'], enc('c'),
      ['HSET', 'c', 'b', '2'], enc('c'),
      ['HSET', 'd', 'a', '1'], enc('d'),
      ['HSET', 'd', 'a', '2'], enc('d'),
      ['CONFIG', 'SET', 'hash-max-listpack-entries', '0'],
      ['HSET', 'd', 'a', '3'], enc('d'),
      ['CONFIG', 'SET', 'hash-max-listpack-entries', '512'],
      ['CONFIG', 'SET', 'hash-max-ziplist-value', '3'],
      ['HSET', 'e', 'abc', 'abc'], enc('e'),
      ['HINCRBY', 'e', 'n', '1000'], enc('e'),
      ['HSET', 'e2', 'abc', 'abc'], ['HINCRBYFLOAT', 'e2', 'n', '1.5'], enc('e2'),
      ['COPY', 'h', 'hcopy'], enc('hcopy'),
      ['RENAME', 'hi', 'hi2'], enc('hi2'),
    ]);
  });

  it('sets: intset while all integers and within set-max-intset-entries, hashtable after', async () => {
    const ints = (n: number, from = 0): string[] => Array.from({ length: n }, (_, i) => `${i + from}`);
    await run([
      ['SADD', 's', ...ints(512)], enc('s'),
      ['SADD', 's', '0'], enc('s'),
      ['SADD', 's', '512'], enc('s'),
      ['SREM', 's', '512', '511'], enc('s'),
      ['SADD', 'a', '1', 'x'], enc('a'),
      ['SREM', 'a', 'x'], enc('a'),
      ['SADD', 'b', '-9223372036854775808', '9223372036854775807'], enc('b'),
      ['SADD', 'c', '9223372036854775808'], enc('c'),
      ['SADD', 'd', '01'], enc('d'),
      ['SADD', 'e', ' 1'], enc('e'),
      ['SADD', 'src', '1', '2', 'z'], ['SMOVE', 'src', 'dst', '1'], enc('dst'),
      ['SMOVE', 'src', 'dst', 'z'], enc('dst'),
      ['SADD', 'x1', '1', '2', 'a'], ['SADD', 'x2', '1', '2'],
      ['SINTERSTORE', 'x3', 'x1', 'x2'], enc('x3'),
      ['SUNIONSTORE', 'x4', 'x1', 'x2'], enc('x4'),
      ['SDIFFSTORE', 'x5', 'x1', 'x2'], enc('x5'),
      ['SREM', 'x1', 'a'], ['SUNIONSTORE', 'x6', 'x1'], enc('x6'),
      // SPOP with a count rebuilds the set from the few remaining members (Redis 7.0's case 3).
      ['SADD', 'sp', ...ints(10), 'a'], ['SREM', 'sp', 'a'], enc('sp'),
      { cmd: ['SPOP', 'sp', '9'], ignore: true }, enc('sp'),
      ['SADD', 'sp2', ...ints(10), 'a'], ['SREM', 'sp2', 'a'],
      { cmd: ['SPOP', 'sp2', '2'], ignore: true }, enc('sp2'),
      ['SADD', 'cf', '1', '2'],
      ['CONFIG', 'SET', 'set-max-intset-entries', '1'],
      enc('cf'),
      ['SADD', 'cf', '1'], enc('cf'),
      ['SADD', 'cf', '3'], enc('cf'),
      ['SADD', 'cg', '1'], enc('cg'),
      ['SADD', 'cg', '2'], enc('cg'),
      ['COPY', 'a', 'acopy'], enc('acopy'),
    ]);
  });

  it('sorted sets: listpack up to the entry and value limits, skiplist after, never back', async () => {
    const members = (n: number): string[] => Array.from({ length: n }, (_, i) => [`${i}`, `m${i}`]).flat();
    await run([
      ['ZADD', 'z', ...members(128)], enc('z'),
      ['ZADD', 'z', '5', 'm0'], enc('z'),
      ['ZADD', 'z', '1', 'new'], enc('z'),
      ['ZREM', 'z', 'new', 'm1'], enc('z'),
      ['ZADD', 'v64', '1', x(64)], enc('v64'),
      ['ZADD', 'v65', '1', x(65)], enc('v65'),
      ['ZADD', 'w', '1', 'a'], ['ZINCRBY', 'w', '1', x(65)], enc('w'),
      ['ZADD', 'w2', '1', 'a'], ['ZREM', 'w2', 'a'], ['ZADD', 'w2', '1', x(65)], ['ZREM', 'w2', x(65)], ['ZADD', 'w2', '1', 'b'], enc('w2'),
      ['ZADD', 'u', '1', 'a', '2', 'b'],
      ['ZUNIONSTORE', 'u1', '1', 'u'], enc('u1'),
      ['ZADD', 'u', '3', x(65)],
      ['ZUNIONSTORE', 'u2', '1', 'u'], enc('u2'),
      ['ZINTERSTORE', 'u3', '2', 'u', 'u1'], enc('u3'),
      ['ZDIFFSTORE', 'u4', '2', 'u', 'u1'], enc('u4'),
      ['ZRANGESTORE', 'u5', 'u', '0', '1'], enc('u5'),
      ['ZRANGESTORE', 'u6', 'u', '0', '-1'], enc('u6'),
      ['ZADD', 'c', '1', 'a'],
      ['CONFIG', 'SET', 'zset-max-ziplist-entries', '0'],
      ['CONFIG', 'GET', 'zset-max-listpack-entries'],
      enc('c'),
      ['ZADD', 'c', '2', 'a'], enc('c'),
      ['ZADD', 'c', '2', 'b'], enc('c'),
      ['ZADD', 'c0', '1', 'a'], enc('c0'),
      ['CONFIG', 'SET', 'zset-max-listpack-entries', '128'],
      ['CONFIG', 'SET', 'zset-max-listpack-value', '2'],
      ['ZADD', 'd', '1', 'ab'], enc('d'),
      ['ZADD', 'd', '1', 'abc'], enc('d'),
      ['CONFIG', 'SET', 'zset-max-listpack-value', '64'],
      // SORT converts a listpack sorted set to a skiplist before sorting it.
      ['ZADD', 'so', '1', 'a', '2', 'b'], enc('so'), ['SORT', 'so', 'ALPHA'], enc('so'),
      ['ZADD', 'so2', '1', '1'], ['SORT_RO', 'so2'], enc('so2'),
      ['COPY', 'so', 'socopy'], enc('socopy'),
      ['RENAME', 'v65', 'v65b'], enc('v65b'),
    ]);
  });

  it('streams, and the reply for a missing key and wrong arity', async () => {
    await run([
      ['XADD', 'st', '1-1', 'f', 'v'], enc('st'),
      enc('nokey'),
      ['OBJECT', 'ENCODING'],
      ['OBJECT', 'ENCODING', 'a', 'b'],
    ]);
  });
});
