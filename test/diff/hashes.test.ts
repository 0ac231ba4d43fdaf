// Differential tests for the hash family: every command, option and error reply is run against
// Lodestone and a real redis-server 7.0 and the typed replies must be identical.
//
// Small hashes are listpack-encoded in Redis, which iterates in insertion order — the order a JS
// Map has — so HGETALL / HKEYS / HSCAN / whole-hash HRANDFIELD are compared exactly. Replies from
// large (hash-table) hashes are compared after sorting (`sort`, or `deep` for nested arrays). Random
// replies are compared only where they are deterministic (count ≥ size, single-field hashes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffDeep, diffScript, Step } from '../helpers/diff.js';
import { LodestoneHandle, ProcessHandle, skipReason, startLodestone, startRedis } from '../helpers/servers.js';

/** Sort every array/set/map level of a reply (maps by key/value pair). */
describe.skipIf(skipReason('hash differential tests', 'redis-server'))('hashes: differential vs redis-server', () => {
  let ls: LodestoneHandle;
  let redis: ProcessHandle;

  beforeAll(async () => {
    [ls, redis] = await Promise.all([startLodestone(), startRedis()]);
  });
  afterAll(async () => {
    await Promise.all([ls?.close(), redis?.close()]);
  });

  /** Each script starts from empty databases on both servers (diffScript FLUSHALLs Redis). */
  async function run(steps: Step[], resp3 = false): Promise<void> {
    for (const db of ls.server.dbs) db.clear();
    await diffScript({ lodestone: ls.port, redis: redis.port }, steps, resp3);
  }

  /** Run commands on both servers and compare replies after sorting every nesting level. */
  const runDeep = (setup: string[][], cmds: string[][], resp3 = false): Promise<void> =>
    diffDeep({ lodestone: ls.port, redis: redis.port }, setup, cmds, resp3);

  it('HSET / HMSET / HGET / HMGET / HLEN / HEXISTS / HSTRLEN', async () => {
    await run([
      ['HSET', 'h', 'a', '1', 'b', '2'],
      ['HSET', 'h', 'a', '10', 'c', '3'],
      ['HSET', 'h', 'd', '4', 'd', '5'],
      ['HGET', 'h', 'a'],
      ['HGET', 'h', 'd'],
      ['HGET', 'h', 'nope'],
      ['HGET', 'nokey', 'a'],
      ['HMGET', 'h', 'a', 'nope', 'b', 'a'],
      ['HMGET', 'nokey', 'a', 'b'],
      ['HLEN', 'h'],
      ['HLEN', 'nokey'],
      ['HEXISTS', 'h', 'a'],
      ['HEXISTS', 'h', 'nope'],
      ['HEXISTS', 'nokey', 'a'],
      ['HSTRLEN', 'h', 'a'],
      ['HSTRLEN', 'h', 'nope'],
      ['HSTRLEN', 'nokey', 'a'],
      ['HMSET', 'h', 'e', 'hello world', 'a', ''],
      ['HMSET', 'h2', 'x', '1'],
      ['HGET', 'h', 'a'],
      ['HSTRLEN', 'h', 'e'],
      ['HSTRLEN', 'h', 'a'],
      ['HSET', 'bin', '\x00\xff\r\n', 'v\x00\x80'],
      ['HGET', 'bin', '\x00\xff\r\n'],
      ['HSTRLEN', 'bin', '\x00\xff\r\n'],
      ['HGETALL', 'h'],
      ['HKEYS', 'h'],
      ['HVALS', 'h'],
      ['HGETALL', 'nokey'],
      ['HKEYS', 'nokey'],
      ['HVALS', 'nokey'],
      ['HGETALL', 'bin'],
    ]);
  });

  it('HSETNX', async () => {
    await run([
      ['HSETNX', 'h', 'a', '1'],
      ['HSETNX', 'h', 'a', '2'],
      ['HGET', 'h', 'a'],
      ['HSETNX', 'h', 'b', '3'],
      ['HGETALL', 'h'],
    ]);
  });

  it('HDEL, and an emptied hash is deleted', async () => {
    await run([
      ['HSET', 'h', 'a', '1', 'b', '2', 'c', '3'],
      ['HDEL', 'h', 'a', 'a', 'nope'],
      ['HDEL', 'nokey', 'a'],
      ['HGETALL', 'h'],
      ['HDEL', 'h', 'b', 'c', 'x'],
      ['HLEN', 'h'],
      ['HGETALL', 'h'],
      // The key is gone: it can now hold a set.
      ['SADD', 'h', 'x'],
      ['SCARD', 'h'],
    ]);
  });

  it('keeps insertion order across updates and deletes (listpack order)', async () => {
    await run([
      ['HSET', 'h', 'z', '1', 'y', '2', 'x', '3', 'w', '4'],
      ['HSET', 'h', 'y', '20'],
      ['HDEL', 'h', 'x'],
      ['HSET', 'h', 'x', '30', 'a', '5'],
      ['HGETALL', 'h'],
      ['HKEYS', 'h'],
      ['HVALS', 'h'],
    ]);
  });

  it('HINCRBY: values, overflow, type errors', async () => {
    await run([
      ['HINCRBY', 'h', 'n', '5'],
      ['HINCRBY', 'h', 'n', '-10'],
      ['HINCRBY', 'h', 'n', '0'],
      ['HSET', 'h', 'max', '9223372036854775807', 'min', '-9223372036854775808'],
      ['HINCRBY', 'h', 'max', '1'],
      ['HINCRBY', 'h', 'max', '0'],
      ['HINCRBY', 'h', 'max', '-1'],
      ['HINCRBY', 'h', 'min', '-1'],
      ['HINCRBY', 'h', 'min', '1'],
      ['HINCRBY', 'h', 'big', '9223372036854775807'],
      ['HINCRBY', 'h', 'big', '1'],
      ['HINCRBY', 'h', 'neg', '-9223372036854775808'],
      ['HINCRBY', 'h', 'neg', '-1'],
      ['HINCRBY', 'h', 'n', '9223372036854775808'],
      ['HINCRBY', 'h', 'n', '-9223372036854775809'],
      ['HINCRBY', 'h', 'n', 'abc'],
      ['HINCRBY', 'h', 'n', '1.5'],
      ['HINCRBY', 'h', 'n', ' 1'],
      ['HINCRBY', 'h', 'n', '+1'],
      ['HINCRBY', 'h', 'n', '01'],
      ['HINCRBY', 'h', 'n', ''],
      ['HSET', 'h', 's', 'abc', 'sp', ' 1', 'z', '01', 'f', '1.5', 'e', ''],
      ['HINCRBY', 'h', 's', '1'],
      ['HINCRBY', 'h', 'sp', '1'],
      ['HINCRBY', 'h', 'z', '1'],
      ['HINCRBY', 'h', 'f', '1'],
      ['HINCRBY', 'h', 'e', '1'],
      ['HINCRBY', 'nokey', 'f', 'x'],
      ['HGETALL', 'h'],
    ]);
  });

  it('HINCRBYFLOAT: formatting, parsing, errors', async () => {
    await run([
      ['HINCRBYFLOAT', 'h', 'a', '10.5'],
      ['HINCRBYFLOAT', 'h', 'a', '0.1'],
      ['HINCRBYFLOAT', 'h', 'b', '5.0e3'],
      ['HINCRBYFLOAT', 'h', 'b', '-5'],
      // long-double accumulation and %.17Lf output, exactly as Redis prints it
      ['HINCRBYFLOAT', 'h', 'c', '5000.7'],
      ['HINCRBYFLOAT', 'h', 'c', '10.1'],
      ['HINCRBYFLOAT', 'h', 'c', '1.23456789012345678'],
      ['HINCRBYFLOAT', 'h', 'c', '1.5e-5'],
      ['HINCRBYFLOAT', 'h', 'd', '1e17'],
      ['HINCRBYFLOAT', 'h', 'e', '0x1p3'],
      ['HINCRBYFLOAT', 'h', 'e', '0X.8'],
      ['HINCRBYFLOAT', 'h', 'f', '.5'],
      ['HINCRBYFLOAT', 'h', 'f', '5.'],
      ['HINCRBYFLOAT', 'h', 'f', '+1'],
      ['HINCRBYFLOAT', 'h', 'f', '1.5E+2'],
      ['HINCRBYFLOAT', 'h', 'f', '1e-400'],
      ['HINCRBYFLOAT', 'h', 'g', '0.1'],
      ['HINCRBYFLOAT', 'h', 'g', '0.2'],
      ['HINCRBYFLOAT', 'h', 'g', '-0.3'],
      ['HINCRBYFLOAT', 'h', 'i', '3'],
      ['HINCRBYFLOAT', 'h', 'i', '-3.0'],
      ['HSET', 'h', 'int', '3', 'str', 'abc', 'sp', ' 1', 'inf', 'inf', 'empty', ''],
      ['HINCRBYFLOAT', 'h', 'int', '1.5'],
      ['HINCRBYFLOAT', 'h', 'str', '1'],
      ['HINCRBYFLOAT', 'h', 'sp', '1'],
      ['HINCRBYFLOAT', 'h', 'inf', '1'],
      ['HINCRBYFLOAT', 'h', 'empty', '1'],
      ['HINCRBYFLOAT', 'h', 'a', 'inf'],
      ['HINCRBYFLOAT', 'h', 'a', '-inf'],
      ['HINCRBYFLOAT', 'h', 'a', '+inf'],
      ['HINCRBYFLOAT', 'h', 'a', 'nan'],
      ['HINCRBYFLOAT', 'h', 'a', 'abc'],
      ['HINCRBYFLOAT', 'h', 'a', ' 1'],
      ['HINCRBYFLOAT', 'h', 'a', '1 '],
      ['HINCRBYFLOAT', 'h', 'a', '0x'],
      ['HINCRBYFLOAT', 'h', 'a', '1e'],
      ['HINCRBYFLOAT', 'h', 'a', ''],
      ['HINCRBYFLOAT', 'h', 'a', '1e5000'],
      ['HINCRBYFLOAT', 'nokey', 'a', 'inf'],
      ['HLEN', 'nokey'],
      // A float value is not an integer for HINCRBY.
      ['HINCRBY', 'h', 'a', '1'],
      ['HGETALL', 'h'],
    ]);
  });

  it('HSCAN on a small (listpack) hash: everything at once, MATCH, COUNT, cursor parsing', async () => {
    await run([
      ['HSET', 'h', 'alpha', '1', 'beta', '2', 'gamma', '3', 'alps', '4', 'a*b', '5'],
      ['HSCAN', 'h', '0'],
      ['HSCAN', 'h', '0', 'COUNT', '1'],
      ['HSCAN', 'h', '0', 'MATCH', 'al*'],
      ['HSCAN', 'h', '0', 'match', 'a\\*b', 'count', '2'],
      ['HSCAN', 'h', '0', 'MATCH', 'nothing*'],
      ['HSCAN', 'h', '0', 'MATCH', '*'],
      ['HSCAN', 'h', '0', 'MATCH', '[ab]*', 'MATCH', 'g*'],
      ['HSCAN', 'h', '0', 'COUNT', '5', 'COUNT', '100'],
      ['HSCAN', 'h', '12345'],
      ['HSCAN', 'h', ''],
      ['HSCAN', 'h', '+0'],
      ['HSCAN', 'h', '-1'],
      ['HSCAN', 'h', '18446744073709551615'],
      ['HSCAN', 'h', '18446744073709551616'],
      ['HSCAN', 'h', 'abc'],
      ['HSCAN', 'h', ' 0'],
      ['HSCAN', 'h', '0 '],
      ['HSCAN', 'h', '+'],
      ['HSCAN', 'h', '0x10'],
      ['HSCAN', 'h', '1.5'],
      ['HSCAN', 'h', '0', 'COUNT', '0'],
      ['HSCAN', 'h', '0', 'COUNT', '-1'],
      ['HSCAN', 'h', '0', 'COUNT', 'x'],
      ['HSCAN', 'h', '0', 'COUNT'],
      ['HSCAN', 'h', '0', 'MATCH'],
      ['HSCAN', 'h', '0', 'FOO', 'bar'],
      ['HSCAN', 'h', '0', 'TYPE', 'string'],
      ['HSCAN', 'nokey', '0'],
      ['HSCAN', 'nokey', '0', 'COUNT', '0'],
      ['HSCAN', 'nokey', 'x'],
    ]);
  });

  it('HSCAN on a large (hashtable) hash returns every field once with a large COUNT', async () => {
    const fields: string[] = [];
    for (let i = 0; i < 300; i++) fields.push(`f${i}`, `v${i}`);
    await runDeep(
      [['HSET', 'big', ...fields]],
      [
        ['HSCAN', 'big', '0', 'COUNT', '10000'],
        ['HSCAN', 'big', '0', 'COUNT', '10000', 'MATCH', 'f1*'],
        ['HKEYS', 'big'],
        ['HVALS', 'big'],
        ['HLEN', 'big'],
      ],
    );
    // A value longer than hash-max-listpack-value also makes a hash a hashtable.
    await runDeep(
      [['HSET', 'long', 'a', 'x'.repeat(65), 'b', '1', 'c', '2']],
      [['HSCAN', 'long', '0'], ['HGETALL', 'long']],
    );
  });

  it('HRANDFIELD: deterministic cases and errors', async () => {
    await run([
      ['HRANDFIELD', 'nokey'],
      ['HRANDFIELD', 'nokey', '0'],
      ['HRANDFIELD', 'nokey', '5'],
      ['HRANDFIELD', 'nokey', '-5', 'WITHVALUES'],
      ['HSET', 'one', 'f', 'v'],
      ['HRANDFIELD', 'one'],
      ['HRANDFIELD', 'one', '1'],
      ['HRANDFIELD', 'one', '-3'],
      ['HRANDFIELD', 'one', '-3', 'WITHVALUES'],
      ['HSET', 'h', 'a', '1', 'b', '2', 'c', '3'],
      ['HRANDFIELD', 'h', '0'],
      ['HRANDFIELD', 'h', '0', 'WITHVALUES'],
      ['HRANDFIELD', 'h', '3'],
      ['HRANDFIELD', 'h', '10'],
      ['HRANDFIELD', 'h', '10', 'withvalues'],
      ['HRANDFIELD', 'h', '9223372036854775807'],
      ['HRANDFIELD', 'h', '4611686018427387903', 'WITHVALUES'],
      ['HRANDFIELD', 'h', '4611686018427387904', 'WITHVALUES'],
      ['HRANDFIELD', 'h', '-4611686018427387904', 'WITHVALUES'],
      ['HRANDFIELD', 'h', '-9223372036854775808'],
      ['HRANDFIELD', 'h', '-9223372036854775809'],
      ['HRANDFIELD', 'h', '9223372036854775808'],
      ['HRANDFIELD', 'h', 'x'],
      ['HRANDFIELD', 'h', 'x', 'WITHVALUES'],
      ['HRANDFIELD', 'h', '1', 'foo'],
      ['HRANDFIELD', 'h', '1', 'WITHVALUES', 'x'],
      ['HRANDFIELD', 'nokey', '1', 'foo'],
      { cmd: ['HRANDFIELD', 'h'], check: (v) => expect(['a', 'b', 'c']).toContain((v as { v: string }).v) },
      { cmd: ['HRANDFIELD', 'h', '2'], check: (v) => expect(v.t === 'array' && v.v.length).toBe(2) },
      { cmd: ['HRANDFIELD', 'h', '-7'], check: (v) => expect(v.t === 'array' && v.v.length).toBe(7) },
      { cmd: ['HRANDFIELD', 'h', '-7', 'WITHVALUES'], check: (v) => expect(v.t === 'array' && v.v.length).toBe(14) },
    ]);
  });

  it('RESP3: HGETALL is a map, HRANDFIELD WITHVALUES nests pairs, nulls are `_`', async () => {
    await run(
      [
        ['HSET', 'h', 'a', '1', 'b', '2', 'c', '3'],
        ['HSET', 'one', 'f', 'v'],
        ['HGETALL', 'h'],
        ['HGETALL', 'nokey'],
        ['HKEYS', 'h'],
        ['HVALS', 'nokey'],
        ['HGET', 'h', 'nope'],
        ['HMGET', 'h', 'a', 'nope'],
        ['HRANDFIELD', 'nokey'],
        ['HRANDFIELD', 'nokey', '2'],
        ['HRANDFIELD', 'h', '5', 'WITHVALUES'],
        ['HRANDFIELD', 'one', '-2', 'WITHVALUES'],
        ['HRANDFIELD', 'one', '1', 'WITHVALUES'],
        ['HRANDFIELD', 'h', '5'],
        ['HSCAN', 'h', '0'],
        ['HSCAN', 'nokey', '0'],
        ['HINCRBYFLOAT', 'h', 'x', '1.5'],
        ['HINCRBY', 'h', 'y', '2'],
      ],
      true,
    );
  });

  it('WRONGTYPE for every hash command on a set key', async () => {
    await run([
      ['SADD', 's', 'm'],
      ['HSET', 's', 'a', '1'],
      ['HMSET', 's', 'a', '1'],
      ['HSETNX', 's', 'a', '1'],
      ['HGET', 's', 'a'],
      ['HMGET', 's', 'a'],
      ['HDEL', 's', 'a'],
      ['HEXISTS', 's', 'a'],
      ['HLEN', 's'],
      ['HSTRLEN', 's', 'a'],
      ['HKEYS', 's'],
      ['HVALS', 's'],
      ['HGETALL', 's'],
      ['HINCRBY', 's', 'a', '1'],
      ['HINCRBY', 's', 'a', 'x'],
      ['HINCRBYFLOAT', 's', 'a', '1'],
      ['HINCRBYFLOAT', 's', 'a', 'x'],
      ['HINCRBYFLOAT', 's', 'a', 'inf'],
      ['HSCAN', 's', '0'],
      ['HSCAN', 's', 'x'],
      ['HSCAN', 's', '0', 'COUNT', '0'],
      ['HRANDFIELD', 's'],
      ['HRANDFIELD', 's', '0'],
      ['HRANDFIELD', 's', '2', 'WITHVALUES'],
      ['HRANDFIELD', 's', 'x'],
      ['SMEMBERS', 's'],
    ]);
  });

  it('wrong number of arguments', async () => {
    await run([
      ['HSET'],
      ['HSET', 'h'],
      ['HSET', 'h', 'a'],
      ['HSET', 'h', 'a', '1', 'b'],
      ['HMSET', 'h', 'a'],
      ['HMSET', 'h', 'a', '1', 'b'],
      ['HSETNX', 'h', 'a'],
      ['HSETNX', 'h', 'a', '1', '2'],
      ['HGET', 'h'],
      ['HGET', 'h', 'a', 'b'],
      ['HMGET', 'h'],
      ['HDEL', 'h'],
      ['HEXISTS', 'h'],
      ['HLEN'],
      ['HLEN', 'h', 'x'],
      ['HSTRLEN', 'h'],
      ['HKEYS', 'h', 'x'],
      ['HVALS'],
      ['HGETALL', 'h', 'x'],
      ['HINCRBY', 'h', 'a'],
      ['HINCRBY', 'h', 'a', '1', '2'],
      ['HINCRBYFLOAT', 'h', 'a'],
      ['HSCAN', 'h'],
      ['HRANDFIELD'],
      ['hset', 'h', 'a'],
      ['HLEN', 'h'],
    ]);
  });
});
