// Differential tests for the set family: every command, option and error reply is run against
// Lodestone and a real redis-server 7.0 and the typed replies must be identical.
//
// Redis 7.0 keeps all-integer sets (≤ set-max-intset-entries) as intsets, which iterate in ascending
// numeric order; Lodestone reproduces that order, so integer sets are compared exactly. Other sets
// are hash tables in Redis (arbitrary order): their replies are compared sorted (`sort`, or `deep`
// for nested arrays). Random replies are compared only where deterministic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffDeep, diffScript, Step } from '../helpers/diff.js';
import { LodestoneHandle, ProcessHandle, skipReason, startLodestone, startRedis } from '../helpers/servers.js';

const S = (cmd: string[]): Step => ({ cmd, sort: true });

describe.skipIf(skipReason('set differential tests', 'redis-server'))('sets: differential vs redis-server', () => {
  let ls: LodestoneHandle;
  let redis: ProcessHandle;

  beforeAll(async () => {
    [ls, redis] = await Promise.all([startLodestone(), startRedis()]);
  });
  afterAll(async () => {
    await Promise.all([ls?.close(), redis?.close()]);
  });

  async function run(steps: Step[], resp3 = false): Promise<void> {
    for (const db of ls.server.dbs) db.clear();
    await diffScript({ lodestone: ls.port, redis: redis.port }, steps, resp3);
  }

  /** Run commands on both servers and compare replies after sorting every nesting level. */
  const runDeep = (setup: string[][], cmds: string[][], resp3 = false): Promise<void> =>
    diffDeep({ lodestone: ls.port, redis: redis.port }, setup, cmds, resp3);

  it('SADD / SREM / SCARD / SISMEMBER / SMISMEMBER / SMEMBERS', async () => {
    await run([
      ['SADD', 's', 'a', 'b', 'c'],
      ['SADD', 's', 'a', 'd', 'd'],
      ['SCARD', 's'],
      ['SCARD', 'nokey'],
      ['SISMEMBER', 's', 'a'],
      ['SISMEMBER', 's', 'zz'],
      ['SISMEMBER', 'nokey', 'a'],
      ['SMISMEMBER', 's', 'a', 'zz', 'd', 'a'],
      ['SMISMEMBER', 'nokey', 'a', 'b'],
      S(['SMEMBERS', 's']),
      ['SMEMBERS', 'nokey'],
      ['SREM', 's', 'a', 'a', 'zz'],
      ['SREM', 'nokey', 'a'],
      S(['SMEMBERS', 's']),
      ['SADD', 'bin', '\x00\xff\r\n', ''],
      ['SISMEMBER', 'bin', '\x00\xff\r\n'],
      ['SISMEMBER', 'bin', ''],
      S(['SMEMBERS', 'bin']),
      ['SREM', 's', 'b', 'c', 'd', 'x'],
      ['SCARD', 's'],
      ['SMEMBERS', 's'],
      // The emptied set is gone: the key can hold a hash now.
      ['HSET', 's', 'f', 'v'],
    ]);
  });

  it('integer sets reply in ascending numeric order (intset)', async () => {
    await run([
      ['SADD', 'i', '5', '-3', '100', '0', '7', '9223372036854775807', '-9223372036854775808', '42'],
      ['SMEMBERS', 'i'],
      ['SSCAN', 'i', '0'],
      ['SSCAN', 'i', '0', 'COUNT', '1'],
      ['SSCAN', 'i', '0', 'MATCH', '*0*'],
      ['SADD', 'j', '7', '8', '-3', '1000'],
      ['SINTER', 'i', 'j'],
      ['SUNION', 'i', 'j'],
      ['SDIFF', 'i', 'j'],
      ['SRANDMEMBER', 'j', '10'],
      ['SPOP', 'j', '4'],
      // Not canonical integers: a hashtable set in Redis (compared sorted).
      ['SADD', 'k', '1', '01', '+2', '-0'],
      S(['SMEMBERS', 'k']),
    ]);
  });

  it('SPOP: deterministic cases and errors', async () => {
    await run([
      ['SPOP', 'nokey'],
      ['SPOP', 'nokey', '0'],
      ['SPOP', 'nokey', '3'],
      ['SADD', 'one', 'x'],
      ['SPOP', 'one'],
      ['SCARD', 'one'],
      ['SADD', 'one', 'y'],
      ['SPOP', 'one', '1'],
      ['SADD', 's', 'a', 'b', 'c'],
      ['SPOP', 's', '0'],
      ['SPOP', 's', '-1'],
      ['SPOP', 's', 'x'],
      ['SPOP', 's', '1.5'],
      ['SPOP', 's', '9223372036854775808'],
      ['SPOP', 's', '1', '2'],
      ['SPOP', 'nokey', '1', '2'],
      ['SPOP', 'nokey', '-1'],
      S(['SPOP', 's', '3']),
      ['SCARD', 's'],
      ['SADD', 's', 'a', 'b', 'c'],
      S(['SPOP', 's', '9223372036854775807']),
      ['SMEMBERS', 's'],
      ['SADD', 's', 'a', 'b', 'c'],
      { cmd: ['SPOP', 's'], check: (v) => expect(['a', 'b', 'c']).toContain((v as { v: string }).v) },
      { cmd: ['SPOP', 's', '1'], check: (v) => expect(v.t === 'set' || v.t === 'array' ? v.v.length : -1).toBe(1) },
      ['SCARD', 's'],
    ]);
  });

  it('SRANDMEMBER: deterministic cases and errors', async () => {
    await run([
      ['SRANDMEMBER', 'nokey'],
      ['SRANDMEMBER', 'nokey', '0'],
      ['SRANDMEMBER', 'nokey', '-3'],
      ['SADD', 'one', 'x'],
      ['SRANDMEMBER', 'one'],
      ['SRANDMEMBER', 'one', '1'],
      ['SRANDMEMBER', 'one', '-3'],
      ['SADD', 's', 'a', 'b', 'c'],
      ['SRANDMEMBER', 's', '0'],
      S(['SRANDMEMBER', 's', '3']),
      S(['SRANDMEMBER', 's', '100']),
      S(['SRANDMEMBER', 's', '9223372036854775807']),
      ['SRANDMEMBER', 's', '-9223372036854775808'],
      ['SRANDMEMBER', 's', '9223372036854775808'],
      ['SRANDMEMBER', 's', 'x'],
      ['SRANDMEMBER', 's', '1', '2'],
      ['SRANDMEMBER', 'nokey', 'x'],
      ['SCARD', 's'],
      { cmd: ['SRANDMEMBER', 's'], check: (v) => expect(['a', 'b', 'c']).toContain((v as { v: string }).v) },
      { cmd: ['SRANDMEMBER', 's', '2'], check: (v) => expect(v.t === 'array' && v.v.length).toBe(2) },
      { cmd: ['SRANDMEMBER', 's', '-10'], check: (v) => expect(v.t === 'array' && v.v.length).toBe(10) },
    ]);
  });

  it('SMOVE', async () => {
    await run([
      ['SADD', 'src', 'a', 'b', 'c'],
      ['SADD', 'dst', 'c', 'x'],
      ['SMOVE', 'src', 'dst', 'a'],
      ['SMOVE', 'src', 'dst', 'a'],
      ['SMOVE', 'src', 'dst', 'c'],
      S(['SMEMBERS', 'src']),
      S(['SMEMBERS', 'dst']),
      ['SMOVE', 'src', 'newdst', 'b'],
      ['SMEMBERS', 'newdst'],
      ['SCARD', 'src'],
      ['SMOVE', 'nokey', 'dst', 'a'],
      ['SMOVE', 'dst', 'dst', 'x'],
      ['SMOVE', 'dst', 'dst', 'nope'],
      ['HSET', 'h', 'f', 'v'],
      ['SMOVE', 'nokey', 'h', 'a'],
      ['SMOVE', 'dst', 'h', 'x'],
      ['SMOVE', 'dst', 'h', 'nope'],
      ['SMOVE', 'h', 'dst', 'x'],
      ['SMOVE', 'h', 'nokey', 'x'],
      S(['SMEMBERS', 'dst']),
      // Moving the last member deletes the source.
      ['SADD', 'last', 'm'],
      ['SMOVE', 'last', 'dst', 'm'],
      ['SCARD', 'last'],
      ['HSET', 'last', 'f', 'v'],
    ]);
  });

  it('SINTER / SUNION / SDIFF', async () => {
    await run([
      ['SADD', 'a', 'x', 'y', 'z', 'w'],
      ['SADD', 'b', 'y', 'z', 'q'],
      ['SADD', 'c', 'z', 'y', 'r'],
      S(['SINTER', 'a']),
      S(['SINTER', 'a', 'b']),
      S(['SINTER', 'a', 'b', 'c']),
      S(['SINTER', 'a', 'a']),
      ['SINTER', 'a', 'nokey'],
      ['SINTER', 'nokey', 'a'],
      ['SINTER', 'nokey'],
      S(['SUNION', 'a', 'b', 'c']),
      S(['SUNION', 'nokey', 'b']),
      ['SUNION', 'nokey', 'nokey2'],
      S(['SDIFF', 'a', 'b']),
      S(['SDIFF', 'a', 'b', 'c']),
      S(['SDIFF', 'a', 'nokey']),
      ['SDIFF', 'nokey', 'a'],
      ['SDIFF', 'a', 'a'],
      ['SDIFF', 'a', 'b', 'a'],
      S(['SDIFF', 'a']),
      // WRONGTYPE wherever the hash is, even after a missing key.
      ['HSET', 'h', 'f', 'v'],
      ['SINTER', 'a', 'h'],
      ['SINTER', 'nokey', 'h'],
      ['SINTER', 'h', 'nokey'],
      ['SUNION', 'a', 'h'],
      ['SUNION', 'nokey', 'h'],
      ['SDIFF', 'a', 'h'],
      ['SDIFF', 'nokey', 'h'],
      ['SDIFF', 'h', 'a'],
    ]);
  });

  it('SINTERSTORE / SUNIONSTORE / SDIFFSTORE', async () => {
    await run([
      ['SADD', 'a', 'x', 'y', 'z', 'w'],
      ['SADD', 'b', 'y', 'z', 'q'],
      ['SINTERSTORE', 'd1', 'a', 'b'],
      S(['SMEMBERS', 'd1']),
      ['SUNIONSTORE', 'd2', 'a', 'b'],
      S(['SMEMBERS', 'd2']),
      ['SDIFFSTORE', 'd3', 'a', 'b'],
      S(['SMEMBERS', 'd3']),
      // Empty results delete the destination.
      ['SINTERSTORE', 'd1', 'a', 'nokey'],
      ['SCARD', 'd1'],
      ['SADD', 'd2', 'm'],
      ['SDIFFSTORE', 'd2', 'a', 'a'],
      ['SCARD', 'd2'],
      ['SUNIONSTORE', 'd3', 'nokey'],
      ['SCARD', 'd3'],
      ['SINTERSTORE', 'never', 'nokey'],
      // The destination may be of any type: it is replaced.
      ['HSET', 'h', 'f', 'v'],
      ['SUNIONSTORE', 'h', 'a'],
      S(['SMEMBERS', 'h']),
      ['HSET', 'h2', 'f', 'v'],
      ['SINTERSTORE', 'h2', 'a', 'nokey'],
      ['HGET', 'h2', 'f'],
      // A destination that is also a source.
      ['SUNIONSTORE', 'a', 'a', 'b'],
      S(['SMEMBERS', 'a']),
      ['SDIFFSTORE', 'a', 'a', 'b'],
      S(['SMEMBERS', 'a']),
      ['SINTERSTORE', 'b', 'b', 'b'],
      S(['SMEMBERS', 'b']),
      // Integer results keep intset order.
      ['SADD', 'i1', '3', '1', '2'],
      ['SADD', 'i2', '2', '3', '4'],
      ['SINTERSTORE', 'i3', 'i1', 'i2'],
      ['SMEMBERS', 'i3'],
      ['SUNIONSTORE', 'i4', 'i2', 'i1'],
      ['SMEMBERS', 'i4'],
      // Source type errors leave the destination untouched.
      ['HSET', 'hh', 'f', 'v'],
      ['SINTERSTORE', 'i3', 'i1', 'hh'],
      ['SUNIONSTORE', 'i3', 'hh'],
      ['SDIFFSTORE', 'i3', 'i1', 'hh'],
      ['SDIFFSTORE', 'i3', 'nokey', 'hh'],
      ['SMEMBERS', 'i3'],
    ]);
  });

  it('SINTERCARD', async () => {
    await run([
      ['SADD', 'a', 'x', 'y', 'z', 'w'],
      ['SADD', 'b', 'y', 'z', 'q', 'w'],
      ['SINTERCARD', '1', 'a'],
      ['SINTERCARD', '2', 'a', 'b'],
      ['SINTERCARD', '2', 'a', 'b', 'LIMIT', '0'],
      ['SINTERCARD', '2', 'a', 'b', 'LIMIT', '2'],
      ['SINTERCARD', '2', 'a', 'b', 'limit', '100'],
      ['SINTERCARD', '2', 'a', 'b', 'LIMIT', '1', 'LIMIT', '3'],
      ['SINTERCARD', '2', 'a', 'nokey'],
      ['SINTERCARD', '1', 'nokey'],
      ['SINTERCARD', '0', 'a'],
      ['SINTERCARD', '-1', 'a'],
      ['SINTERCARD', 'x', 'a'],
      ['SINTERCARD', '9223372036854775808', 'a'],
      ['SINTERCARD', '3', 'a', 'b'],
      ['SINTERCARD', '2', 'a', 'b', 'LIMIT'],
      ['SINTERCARD', '2', 'a', 'b', 'LIMIT', '-1'],
      ['SINTERCARD', '2', 'a', 'b', 'LIMIT', 'x'],
      ['SINTERCARD', '2', 'a', 'b', 'FOO', '1'],
      ['SINTERCARD', '1', 'a', 'b'],
      ['HSET', 'h', 'f', 'v'],
      ['SINTERCARD', '2', 'a', 'h'],
      ['SINTERCARD', '2', 'nokey', 'h'],
      ['SINTERCARD', '1', 'a', 'LIMIT', 'x'],
    ]);
  });

  it('SSCAN: small sets, cursor and option errors', async () => {
    await run([
      ['SADD', 's', 'alpha', 'beta', 'gamma'],
      ['SSCAN', 'nokey', '0'],
      ['SSCAN', 'nokey', '0', 'COUNT', '0'],
      ['SSCAN', 's', 'abc'],
      ['SSCAN', 's', ' 1'],
      ['SSCAN', 's', '18446744073709551616'],
      ['SSCAN', 's', '0', 'COUNT', '0'],
      ['SSCAN', 's', '0', 'COUNT', 'x'],
      ['SSCAN', 's', '0', 'MATCH'],
      ['SSCAN', 's', '0', 'BAR', 'x'],
      ['SSCAN', 's', '0', 'TYPE', 'set'],
      ['SSCAN', 's', '0', 'MATCH', 'nothing'],
      ['HSET', 'h', 'f', 'v'],
      ['SSCAN', 'h', '0'],
      ['SSCAN', 'h', 'x'],
    ]);
    await runDeep(
      [['SADD', 's', 'alpha', 'beta', 'gamma', 'delta', 'alp']],
      [
        ['SSCAN', 's', '0'],
        ['SSCAN', 's', '0', 'MATCH', 'al*'],
        ['SSCAN', 's', '0', 'MATCH', '*a', 'COUNT', '100'],
      ],
    );
    const many = Array.from({ length: 600 }, (_, i) => String(i * 7));
    const strs = Array.from({ length: 300 }, (_, i) => `m${i}`);
    await runDeep(
      [['SADD', 'big', ...many], ['SADD', 'str', ...strs]],
      [
        ['SSCAN', 'big', '0', 'COUNT', '100000'],
        ['SSCAN', 'str', '0', 'COUNT', '100000', 'MATCH', 'm2*'],
        ['SMEMBERS', 'big'],
        ['SCARD', 'big'],
      ],
    );
  });

  it('RESP3: SMEMBERS / SINTER / SUNION / SDIFF / SPOP count are sets, SRANDMEMBER an array', async () => {
    await run(
      [
        ['SADD', 'i', '3', '1', '2'],
        ['SADD', 'one', 'x'],
        ['SMEMBERS', 'i'],
        ['SMEMBERS', 'nokey'],
        ['SINTER', 'i', 'i'],
        ['SINTER', 'i', 'nokey'],
        S(['SUNION', 'i', 'one']),
        ['SDIFF', 'i', 'one'],
        ['SRANDMEMBER', 'i', '5'],
        ['SRANDMEMBER', 'one', '-2'],
        ['SRANDMEMBER', 'nokey', '2'],
        ['SRANDMEMBER', 'nokey'],
        ['SPOP', 'nokey'],
        ['SPOP', 'nokey', '2'],
        ['SPOP', 'i', '0'],
        ['SMISMEMBER', 'i', '1', '9'],
        ['SSCAN', 'i', '0'],
        ['SPOP', 'one', '5'],
        ['SPOP', 'i', '3'],
      ],
      true,
    );
  });

  it('WRONGTYPE for every set command on a hash key', async () => {
    await run([
      ['HSET', 'h', 'f', 'v'],
      ['SADD', 'h', 'a'],
      ['SREM', 'h', 'a'],
      ['SMEMBERS', 'h'],
      ['SISMEMBER', 'h', 'a'],
      ['SMISMEMBER', 'h', 'a'],
      ['SCARD', 'h'],
      ['SPOP', 'h'],
      ['SPOP', 'h', '0'],
      ['SPOP', 'h', '2'],
      ['SPOP', 'h', '-1'],
      ['SRANDMEMBER', 'h'],
      ['SRANDMEMBER', 'h', '0'],
      ['SRANDMEMBER', 'h', '-2'],
      ['SRANDMEMBER', 'h', 'x'],
      ['SINTER', 'h'],
      ['SUNION', 'h'],
      ['SDIFF', 'h'],
      ['SINTERSTORE', 'd', 'h'],
      ['SUNIONSTORE', 'd', 'h'],
      ['SDIFFSTORE', 'd', 'h'],
      ['SINTERCARD', '1', 'h'],
      ['SSCAN', 'h', '0'],
      ['HGET', 'h', 'f'],
    ]);
  });

  it('wrong number of arguments', async () => {
    await run([
      ['SADD'],
      ['SADD', 's'],
      ['SREM', 's'],
      ['SMEMBERS'],
      ['SMEMBERS', 's', 'x'],
      ['SISMEMBER', 's'],
      ['SISMEMBER', 's', 'a', 'b'],
      ['SMISMEMBER', 's'],
      ['SCARD'],
      ['SCARD', 's', 'x'],
      ['SPOP'],
      ['SRANDMEMBER'],
      ['SMOVE', 'a', 'b'],
      ['SMOVE', 'a', 'b', 'c', 'd'],
      ['SINTER'],
      ['SUNION'],
      ['SDIFF'],
      ['SINTERSTORE', 'd'],
      ['SUNIONSTORE', 'd'],
      ['SDIFFSTORE', 'd'],
      ['SINTERCARD', '1'],
      ['SSCAN', 's'],
      ['sadd', 's'],
    ]);
  });
});
