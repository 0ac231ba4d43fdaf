// Differential tests for the string family: every command, option and error reply is run against
// Lodestone and a real redis-server 7.0 and the typed replies must be identical (RESP2 and RESP3).
//
// Keys of the other types (for WRONGTYPE) are planted directly in Lodestone's keyspace and created
// with commands on Redis, so these tests do not depend on the other families. TTL replies that move
// with the clock are compared through `check`; TTL right after setting N seconds is N on both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Step } from '../helpers/diff.js';
import { RawClient } from '../helpers/raw-client.js';
import { RespValue, show } from '../helpers/resp.js';
import { LodestoneHandle, ProcessHandle, skipReason, startLodestone, startRedis } from '../helpers/servers.js';
import { Deque } from '../../src/keyspace/deque.js';
import { SortedSet } from '../../src/keyspace/zset.js';

function intIn(lo: number, hi: number): (v: RespValue) => void {
  return (v) => {
    expect(v.t).toBe('int');
    const n = Number((v as { v: string }).v);
    expect(n).toBeGreaterThanOrEqual(lo);
    expect(n).toBeLessThanOrEqual(hi);
  };
}

describe.skipIf(skipReason('string differential tests', 'redis-server'))('strings: differential vs redis-server', () => {
  let ls: LodestoneHandle;
  let redis: ProcessHandle;
  let lsSmall: LodestoneHandle;
  let redisSmall: ProcessHandle;

  beforeAll(async () => {
    [ls, redis, lsSmall, redisSmall] = await Promise.all([
      startLodestone(),
      startRedis(),
      // A 1MB bulk limit makes the "string exceeds maximum allowed size" paths cheap to reach.
      startLodestone({ 'proto-max-bulk-len': '1mb' }),
      startRedis(['--proto-max-bulk-len', '1mb']),
    ]);
  });
  afterAll(async () => {
    await Promise.all([ls?.close(), redis?.close(), lsSmall?.close(), redisSmall?.close()]);
  });

  /**
   * Run a script on both servers from empty databases, with one key of every other type in db 0:
   * `list`, `hash`, `set`, `zset`.
   */
  async function run(steps: Step[], resp3 = false, small = false): Promise<void> {
    const l = small ? lsSmall : ls;
    const r = small ? redisSmall : redis;
    for (const db of l.server.dbs) db.clear();
    const db0 = l.server.dbs[0];
    db0.set('list', new Deque(['a']));
    db0.set('hash', new Map([['f', 'v']]));
    db0.set('set', new Set(['m']));
    const z = new SortedSet();
    z.add('m', 1);
    db0.set('zset', z);
    const a = await RawClient.connect(l.port);
    const b = await RawClient.connect(r.port);
    try {
      await b.call('FLUSHALL');
      await b.call('RPUSH', 'list', 'a');
      await b.call('HSET', 'hash', 'f', 'v');
      await b.call('SADD', 'set', 'm');
      await b.call('ZADD', 'zset', '1', 'm');
      if (resp3) for (const c of [a, b]) await c.call('HELLO', '3');
      for (const step of steps) {
        const s = Array.isArray(step) ? { cmd: step } : step;
        const [ra, rb] = await Promise.all([a.call(...s.cmd), b.call(...s.cmd)]);
        if (s.ignore) continue;
        if (s.check) {
          s.check(ra);
          s.check(rb);
          continue;
        }
        expect(show(ra), `command: ${s.cmd.map((x) => JSON.stringify(x)).join(' ')}`).toBe(show(rb));
      }
    } finally {
      a.close();
      b.close();
    }
  }

  const WRONG = ['list', 'hash', 'set', 'zset'];

  it('GET / SET basics, binary values, arity', async () => {
    await run([
      ['GET', 'k'],
      ['SET', 'k', 'v'],
      ['GET', 'k'],
      ['SET', 'k', ''],
      ['GET', 'k'],
      ['SET', 'bin', '\x00\xff\r\n\x80'],
      ['GET', 'bin'],
      ['SET', '', 'empty key'],
      ['GET', ''],
      ['GET'],
      ['GET', 'a', 'b'],
      ['SET', 'k'],
      ['set', 'k', 'lower'],
      ['gEt', 'k'],
      ...WRONG.map((k) => ['GET', k]),
      ['SET', 'list', 'now a string'],
      ['GET', 'list'],
    ]);
  });

  it('SET NX / XX / GET and their combinations', async () => {
    await run([
      ['SET', 'k', '1', 'NX'],
      ['SET', 'k', '2', 'NX'],
      ['GET', 'k'],
      ['SET', 'k', '3', 'XX'],
      ['SET', 'nokey', '3', 'XX'],
      ['GET', 'nokey'],
      ['SET', 'k', '4', 'nx', 'xx'],
      ['SET', 'k', '4', 'XX', 'NX'],
      ['SET', 'k', '4', 'NX', 'NX'],
      ['SET', 'k', '4', 'XX', 'XX'],
      ['SET', 'k', '5', 'GET'],
      ['SET', 'new', '5', 'GET'],
      ['GET', 'new'],
      ['SET', 'k', '6', 'NX', 'GET'],
      ['SET', 'k', '6', 'GET', 'NX'],
      ['GET', 'k'],
      ['SET', 'g', '6', 'NX', 'GET'],
      ['GET', 'g'],
      ['SET', 'k', '7', 'XX', 'GET'],
      ['SET', 'nope', '7', 'XX', 'GET'],
      ['EXISTS', 'nope'],
      ['SET', 'k', '8', 'GET', 'GET'],
      ...WRONG.map((k) => ['SET', k, 'x', 'GET']),
      ...WRONG.map((k) => ['SET', k, 'x', 'NX']),
      ['SET', 'list', 'x', 'XX'],
      ['GET', 'list'],
      ['SET', 'hash', 'x', 'NX', 'GET'],
      ['SET', 'k', 'v', 'foo'],
      ['SET', 'k', 'v', 'NXX'],
      ['SET', 'k', 'v', 'N'],
      ['SET', 'k', 'v', ''],
      // Options are C strings in Redis: bytes after a NUL are ignored.
      ['SET', 'k', 'v', 'XX\x00junk'],
      ['SET', 'k', 'v', 'EX\x00', '100'],
      ['TTL', 'k'],
      ['SET', 'k', 'v', 'X\x00'],
    ]);
  });

  it('SET EX / PX / EXAT / PXAT / KEEPTTL and invalid expire times', async () => {
    const at = '4102444800'; // 2100-01-01
    await run([
      ['SET', 'k', 'v', 'EX', '100'],
      ['TTL', 'k'],
      { cmd: ['PTTL', 'k'], check: intIn(99000, 100000) },
      ['SET', 'k', 'v', 'PX', '100000'],
      ['TTL', 'k'],
      ['SET', 'k', 'v', 'EXAT', at],
      ['EXPIRETIME', 'k'],
      ['PEXPIRETIME', 'k'],
      ['SET', 'k', 'v', 'PXAT', `${at}123`],
      ['PEXPIRETIME', 'k'],
      ['EXPIRETIME', 'k'],
      ['SET', 'k', 'v2', 'KEEPTTL'],
      ['PEXPIRETIME', 'k'],
      ['GET', 'k'],
      ['SET', 'k', 'v3'],
      ['TTL', 'k'],
      ['SET', 'k', 'v', 'ex', '50', 'EX', '100'],
      ['TTL', 'k'],
      ['SET', 'k', 'v', 'EX', '100', 'PX', '100'],
      ['SET', 'k', 'v', 'PX', '100', 'EX', '100'],
      ['SET', 'k', 'v', 'EX', '100', 'EXAT', at],
      ['SET', 'k', 'v', 'PXAT', at, 'EXAT', at],
      ['SET', 'k', 'v', 'EX', '100', 'KEEPTTL'],
      ['SET', 'k', 'v', 'KEEPTTL', 'PX', '100'],
      ['SET', 'k', 'v', 'KEEPTTL', 'KEEPTTL'],
      ['SET', 'k', 'v', 'EX'],
      ['SET', 'k', 'v', 'PX'],
      ['SET', 'k', 'v', 'EXAT'],
      ['SET', 'k', 'v', 'PXAT'],
      ['SET', 'k', 'v', 'PERSIST'],
      ['SET', 'k', 'v', 'EX', '0'],
      ['SET', 'k', 'v', 'EX', '-1'],
      ['SET', 'k', 'v', 'PX', '0'],
      ['SET', 'k', 'v', 'EXAT', '0'],
      ['SET', 'k', 'v', 'PXAT', '-5'],
      ['SET', 'k', 'v', 'EX', 'abc'],
      ['SET', 'k', 'v', 'EX', '1.5'],
      ['SET', 'k', 'v', 'EX', ' 1'],
      ['SET', 'k', 'v', 'EX', '9223372036854775'],
      ['SET', 'k', 'v', 'EX', '9223372036854776'],
      ['SET', 'k', 'v', 'PX', '9223372036854775807'],
      ['SET', 'k', 'v', 'PX', '9223372036854775808'],
      ['SET', 'k', 'v', 'PXAT', '9223372036854775808'],
      ['SET', 'k', 'v', 'EXAT', '9223372036854776'],
      ['SET', 'k', 'v', 'EX', '100', 'GET'],
      // An invalid expire is reported before WRONGTYPE and before NX/XX.
      ['SET', 'list', 'v', 'EX', '0', 'GET'],
      ['SET', 'k', 'v', 'NX', 'EX', '-1'],
      ['SET', 'list', 'v', 'GET', 'EX', 'x'],
      // EXAT/PXAT in the past: accepted, and the key is gone at once.
      ['SET', 'past', 'v', 'EXAT', '1'],
      ['EXISTS', 'past'],
      ['SET', 'past', 'v', 'PXAT', '1000', 'GET'],
      ['GET', 'past'],
      ['SET', 'k', 'x', 'PX', '100000', 'NX'],
      ['SET', 'k', 'y', 'PX', '100000', 'XX', 'GET'],
      ['TTL', 'k'],
    ]);
  });

  it('SETNX / SETEX / PSETEX / GETSET', async () => {
    await run([
      ['SETNX', 'k', '1'],
      ['SETNX', 'k', '2'],
      ['GET', 'k'],
      ['SETNX', 'list', '1'],
      ['SETNX', 'k'],
      ['SETEX', 'e', '100', 'v'],
      ['TTL', 'e'],
      ['GET', 'e'],
      ['SETEX', 'e', '0', 'v'],
      ['SETEX', 'e', '-10', 'v'],
      ['SETEX', 'e', 'x', 'v'],
      ['SETEX', 'e', '9223372036854776', 'v'],
      ['SETEX', 'list', '10', 'v'],
      ['TYPE', 'list'],
      ['SETEX', 'e', '10'],
      ['PSETEX', 'p', '100000', 'v'],
      ['TTL', 'p'],
      ['PSETEX', 'p', '0', 'v'],
      ['PSETEX', 'p', '-1', 'v'],
      ['PSETEX', 'p', '1.5', 'v'],
      ['PSETEX', 'p', '9223372036854775807', 'v'],
      ['GETSET', 'g', '1'],
      ['GETSET', 'g', '2'],
      ['GET', 'g'],
      ['SETEX', 'g', '100', '3'],
      ['GETSET', 'g', '4'],
      ['TTL', 'g'],
      ...WRONG.map((k) => ['GETSET', k, 'x']),
      ['GETSET', 'g'],
    ]);
  });

  it('GETDEL / GETEX', async () => {
    const at = '4102444800';
    await run([
      ['SET', 'k', 'v'],
      ['GETDEL', 'k'],
      ['GETDEL', 'k'],
      ['EXISTS', 'k'],
      ...WRONG.map((k) => ['GETDEL', k]),
      ['EXISTS', 'list'],
      ['GETDEL', 'a', 'b'],
      ['SET', 'k', 'v'],
      ['GETEX', 'k'],
      ['TTL', 'k'],
      ['GETEX', 'k', 'EX', '100'],
      ['TTL', 'k'],
      ['GETEX', 'k', 'PX', '200000'],
      ['TTL', 'k'],
      ['GETEX', 'k', 'EXAT', at],
      ['EXPIRETIME', 'k'],
      ['GETEX', 'k', 'PXAT', `${at}500`],
      ['PEXPIRETIME', 'k'],
      ['GETEX', 'k', 'PERSIST'],
      ['TTL', 'k'],
      ['GETEX', 'k', 'PERSIST'],
      ['GETEX', 'k', 'ex', '10', 'EX', '100'],
      ['TTL', 'k'],
      ['GETEX', 'k', 'EX', '10', 'PX', '100'],
      ['GETEX', 'k', 'EX', '10', 'PERSIST'],
      ['GETEX', 'k', 'PERSIST', 'EXAT', at],
      ['GETEX', 'k', 'KEEPTTL'],
      ['GETEX', 'k', 'NX'],
      ['GETEX', 'k', 'GET'],
      ['GETEX', 'k', 'EX'],
      ['GETEX', 'k', 'foo'],
      ['GETEX', 'k', 'EX', '0'],
      ['GETEX', 'k', 'EX', '-1'],
      ['GETEX', 'k', 'PXAT', '0'],
      ['GETEX', 'k', 'EX', 'abc'],
      ['GETEX', 'k', 'EX', '9223372036854776'],
      ['GETEX', 'k', 'PX', '9223372036854775807'],
      // A missing key answers nil before the expire time is validated; syntax errors come first.
      ['GETEX', 'nokey', 'EX', '0'],
      ['GETEX', 'nokey', 'EX', 'abc'],
      ['GETEX', 'nokey', 'foo'],
      ...WRONG.map((k) => ['GETEX', k, 'EX', '10']),
      ['GETEX', 'list', 'EX', '0'],
      // A past EXAT/PXAT deletes the key after replying with its value.
      ['GETEX', 'k', 'EXAT', '1'],
      ['EXISTS', 'k'],
      ['SET', 'k', 'v'],
      ['GETEX', 'k', 'PXAT', '1'],
      ['GET', 'k'],
      ['GETEX'],
    ]);
  });

  it('MGET / MSET / MSETNX', async () => {
    await run([
      ['MSET', 'a', '1', 'b', '2', 'c', '3'],
      ['MGET', 'a', 'b', 'c', 'nokey', 'list', 'hash', 'a'],
      ['MSET', 'a', '1', 'b'],
      ['MSET', 'a'],
      ['MSET'],
      ['MSET', 'a', 'x', 'a', 'y'],
      ['GET', 'a'],
      ['MSET', 'list', 'now string'],
      ['GET', 'list'],
      ['SET', 'ttl', 'v', 'EX', '100'],
      ['MSET', 'ttl', 'w'],
      ['TTL', 'ttl'],
      ['MSETNX', 'x', '1', 'y', '2'],
      ['MSETNX', 'y', '3', 'z', '4'],
      ['MGET', 'x', 'y', 'z'],
      ['MSETNX', 'hash', '1'],
      ['MSETNX', 'x', '1', 'y'],
      ['MSETNX', 'p', '1', 'p', '2'],
      ['GET', 'p'],
      ['MGET'],
    ]);
  });

  it('INCR / DECR / INCRBY / DECRBY with 64-bit edges', async () => {
    await run([
      ['INCR', 'n'],
      ['INCR', 'n'],
      ['DECR', 'n'],
      ['DECR', 'new'],
      ['INCRBY', 'n', '100'],
      ['INCRBY', 'n', '-1000'],
      ['DECRBY', 'n', '-5'],
      ['DECRBY', 'n', '5'],
      ['GET', 'n'],
      ['SET', 'n', '9223372036854775806'],
      ['INCR', 'n'],
      ['INCR', 'n'],
      ['GET', 'n'],
      ['SET', 'n', '-9223372036854775807'],
      ['DECR', 'n'],
      ['DECR', 'n'],
      ['INCRBY', 'n', '9223372036854775807'],
      ['INCRBY', 'n', '9223372036854775807'],
      ['INCRBY', 'n', '1'],
      ['SET', 'n', '9007199254740991'],
      ['INCR', 'n'],
      ['INCR', 'n'],
      ['INCRBY', 'n', '-9007199254740993'],
      ['INCRBY', 'n', '-9007199254740993'],
      ['SET', 'n', '0'],
      ['INCRBY', 'n', '-9223372036854775808'],
      ['DECRBY', 'n', '-9223372036854775808'],
      ['DECRBY', 'n', '-9223372036854775807'],
      ['DECRBY', 'n', '1'],
      ['INCRBY', 'n', '9223372036854775808'],
      ['INCRBY', 'n', '-9223372036854775809'],
      ['INCRBY', 'n', 'abc'],
      ['INCRBY', 'n', '1.5'],
      ['INCRBY', 'n', '+1'],
      ['INCRBY', 'n', ' 1'],
      ['INCRBY', 'n', '01'],
      ['INCRBY', 'n', '-0'],
      ['INCRBY', 'n', ''],
      ['INCRBY', 'n', '0'],
      ['DECRBY', 'n', 'x'],
      ['SET', 's', 'abc'],
      ['INCR', 's'],
      ['SET', 's', '1.0'],
      ['DECR', 's'],
      ['SET', 's', ' 1'],
      ['INCR', 's'],
      ['SET', 's', '01'],
      ['INCR', 's'],
      ['SET', 's', '-0'],
      ['INCR', 's'],
      ['SET', 's', '9223372036854775808'],
      ['INCR', 's'],
      ['SET', 's', ''],
      ['INCR', 's'],
      ...WRONG.map((k) => ['INCR', k]),
      ...WRONG.map((k) => ['DECRBY', k, '2']),
      // The increment is parsed before the key's type is checked.
      ['INCRBY', 'list', 'abc'],
      ['DECRBY', 'list', '-9223372036854775808'],
      // INCR keeps the TTL.
      ['SET', 't', '5', 'EX', '100'],
      ['INCR', 't'],
      ['TTL', 't'],
      ['INCR'],
      ['INCRBY', 'n'],
      ['DECR', 'a', 'b'],
    ]);
  });

  it('INCRBYFLOAT formats like Redis (long double, %.17Lf)', async () => {
    await run([
      ['INCRBYFLOAT', 'f', '0.1'],
      ['INCRBYFLOAT', 'f', '0.2'],
      ['INCRBYFLOAT', 'f', '1.23456789012345678'],
      ['INCRBYFLOAT', 'f', '-1.83456789012345678'],
      ['INCRBYFLOAT', 'f', '10.5'],
      ['INCRBYFLOAT', 'f', '5.0e3'],
      ['INCRBYFLOAT', 'f', '-5.0E+3'],
      ['INCRBYFLOAT', 'f', '0x10'],
      ['INCRBYFLOAT', 'f', '0X1.8p1'],
      ['INCRBYFLOAT', 'f', '.5'],
      ['INCRBYFLOAT', 'f', '5.'],
      ['INCRBYFLOAT', 'f', '+3'],
      ['INCRBYFLOAT', 'f', '-0'],
      ['INCRBYFLOAT', 'f', '1e-20'],
      ['INCRBYFLOAT', 'f', '3.0000000000000000001'],
      ['INCRBYFLOAT', 'f', '100000000000000000000000'],
      ['INCRBYFLOAT', 'f', '1e300'],
      ['INCRBYFLOAT', 'f', '-1e300'],
      ['INCRBYFLOAT', 'g', '1e400'],
      ['INCRBYFLOAT', 'g', '1'],
      ['INCRBYFLOAT', 'h', '1.7976931348623157e308'],
      ['INCRBYFLOAT', 'h', '1.7976931348623157e308'],
      ['INCRBYFLOAT', 'tiny', '1e-4940'],
      ['INCRBYFLOAT', 'tiny', '1e-5000'],
      ['INCRBYFLOAT', 'huge', '1e5000'],
      ['INCRBYFLOAT', 'huge', '1.1e4932'],
      ['INCRBYFLOAT', 'huge', '1.1e4932'],
      ['INCRBYFLOAT', 'x', 'inf'],
      ['INCRBYFLOAT', 'x', '-inf'],
      ['INCRBYFLOAT', 'x', '+Infinity'],
      ['INCRBYFLOAT', 'x', 'nan'],
      ['INCRBYFLOAT', 'x', 'abc'],
      ['INCRBYFLOAT', 'x', ' 1'],
      ['INCRBYFLOAT', 'x', '1 '],
      ['INCRBYFLOAT', 'x', ''],
      ['INCRBYFLOAT', 'x', '1e'],
      ['INCRBYFLOAT', 'x', '0x'],
      ['INCRBYFLOAT', 'x', '1.2.3'],
      ['EXISTS', 'x'],
      ['SET', 'i', '10'],
      ['INCRBYFLOAT', 'i', '-10'],
      ['SET', 'i', '5.5'],
      ['INCRBYFLOAT', 'i', '-5.5'],
      ['INCRBYFLOAT', 'i', '-0.0000000000000000001'],
      ['SET', 'i', 'inf'],
      ['INCRBYFLOAT', 'i', '1'],
      ['SET', 'i', 'abc'],
      ['INCRBYFLOAT', 'i', '1'],
      ['SET', 'i', ' 1'],
      ['INCRBYFLOAT', 'i', '1'],
      ['SET', 'i', '2.5e3'],
      ['INCRBYFLOAT', 'i', '0'],
      ...WRONG.map((k) => ['INCRBYFLOAT', k, '1']),
      ['INCRBYFLOAT', 'list', 'abc'],
      ['SET', 't', '1.5', 'EX', '100'],
      ['INCRBYFLOAT', 't', '1'],
      ['TTL', 't'],
      ['INCRBYFLOAT', 't'],
      ['INCR', 'f'],
    ]);
  });

  it('INCRBYFLOAT matches on random increments', async () => {
    // Deterministic pseudo-random mix of magnitudes and notations.
    let seed = 12345;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed / 0x7fffffff;
    };
    const steps: Step[] = [];
    for (let i = 0; i < 150; i++) {
      const mant = (rnd() * 2 - 1) * 10 ** Math.floor(rnd() * 6);
      const kind = i % 4;
      const s =
        kind === 0
          ? mant.toFixed(Math.floor(rnd() * 20))
          : kind === 1
            ? mant.toExponential(Math.floor(rnd() * 18)) + ''
            : kind === 2
              ? String(Math.floor(mant * 1000) / 1000)
              : `${Math.floor(rnd() * 100)}.${String(Math.floor(rnd() * 1e9)).padStart(9, '0')}${Math.floor(rnd() * 1e9)}`;
      steps.push(['INCRBYFLOAT', `k${i % 5}`, s]);
    }
    await run(steps);
  });

  it('APPEND / STRLEN', async () => {
    await run([
      ['APPEND', 'k', 'hello'],
      ['APPEND', 'k', ' world'],
      ['GET', 'k'],
      ['STRLEN', 'k'],
      ['APPEND', 'k', ''],
      ['APPEND', 'e', ''],
      ['EXISTS', 'e'],
      ['STRLEN', 'e'],
      ['STRLEN', 'nokey'],
      ['SET', 'n', '123'],
      ['APPEND', 'n', '4'],
      ['INCR', 'n'],
      ['APPEND', 'bin', '\x00\x01'],
      ['APPEND', 'bin', '\xff'],
      ['GET', 'bin'],
      ['STRLEN', 'bin'],
      ['SET', 't', 'a', 'EX', '100'],
      ['APPEND', 't', 'b'],
      ['TTL', 't'],
      ...WRONG.map((k) => ['APPEND', k, 'x']),
      ...WRONG.map((k) => ['STRLEN', k]),
      ['APPEND', 'k'],
      ['STRLEN'],
    ]);
  });

  it('GETRANGE / SUBSTR', async () => {
    const steps: Step[] = [['SET', 's', 'Hello, World'], ['SET', 'e', ''], ['SET', 'n', '12345']];
    const idx = ['0', '1', '3', '5', '-1', '-3', '-5', '-12', '-13', '-100', '11', '12', '100', '9223372036854775807', '-9223372036854775808'];
    for (const a of idx) for (const b of idx) steps.push(['GETRANGE', 's', a, b]);
    for (const a of ['0', '-1', '5']) for (const b of ['0', '-1', '-100', '100']) steps.push(['GETRANGE', 'e', a, b]);
    steps.push(
      ['GETRANGE', 'n', '1', '-2'],
      ['SUBSTR', 's', '0', '4'],
      ['SUBSTR', 's', '-5', '-1'],
      ['GETRANGE', 'nokey', '0', '-1'],
      ['GETRANGE', 's', 'a', '1'],
      ['GETRANGE', 's', '0', '1.5'],
      ['GETRANGE', 's', '0', '9223372036854775808'],
      ['GETRANGE', 'nokey', 'x', '1'],
      ...WRONG.map((k) => ['GETRANGE', k, '0', '-1']),
      ['GETRANGE', 'list', 'x', '1'],
      ['SUBSTR', 'hash', '0', '1'],
      ['GETRANGE', 's', '0'],
      ['SUBSTR', 's'],
    );
    await run(steps);
  });

  it('SETRANGE', async () => {
    await run([
      ['SETRANGE', 'k', '0', 'hello'],
      ['SETRANGE', 'k', '6', 'world'],
      ['GET', 'k'],
      ['SETRANGE', 'k', '1', 'EL'],
      ['GET', 'k'],
      ['SETRANGE', 'k', '9', 'LD!!!'],
      ['GET', 'k'],
      ['SETRANGE', 'k', '3', ''],
      ['SETRANGE', 'k', '100', ''],
      ['GET', 'k'],
      ['SETRANGE', 'nokey', '5', ''],
      ['EXISTS', 'nokey'],
      ['SETRANGE', 'pad', '3', 'x'],
      ['GET', 'pad'],
      ['SETRANGE', 'n', '0', '1'],
      ['SET', 'n', '12345'],
      ['SETRANGE', 'n', '1', '9'],
      ['INCR', 'n'],
      ['SET', 't', 'abc', 'EX', '100'],
      ['SETRANGE', 't', '1', 'X'],
      ['TTL', 't'],
      ['SETRANGE', 'k', '-1', 'x'],
      ['SETRANGE', 'k', 'x', 'x'],
      ['SETRANGE', 'k', '9223372036854775808', 'x'],
      ['SETRANGE', 'k', '536870912', 'x'],
      ['SETRANGE', 'k', '536870911', ''],
      ['SETRANGE', 'nokey', '536870912', 'x'],
      ['SETRANGE', 'nokey', '-1', ''],
      ...WRONG.map((k) => ['SETRANGE', k, '0', 'x']),
      ['SETRANGE', 'list', '0', ''],
      ['SETRANGE', 'list', '-1', 'x'],
      ['SETRANGE', 'k', '0'],
    ]);
  });

  it('proto-max-bulk-len limits APPEND and SETRANGE', async () => {
    const half = 'x'.repeat(600 * 1024);
    await run(
      [
        ['SET', 'k', half],
        ['APPEND', 'k', half],
        ['STRLEN', 'k'],
        ['APPEND', 'k', 'x'.repeat(1024 * 1024 - 600 * 1024)],
        ['STRLEN', 'k'],
        ['APPEND', 'k', 'y'],
        ['SETRANGE', 'r', String(1024 * 1024 - 1), 'x'],
        ['STRLEN', 'r'],
        ['SETRANGE', 'r', String(1024 * 1024), 'x'],
        ['SETRANGE', 'r2', String(1024 * 1024 - 1), 'xy'],
        ['EXISTS', 'r2'],
        // The limit is on the resulting length, not on what is written.
        ['SETRANGE', 'r', '10', 'abc'],
        ['STRLEN', 'r'],
      ],
      false,
      true,
    );
  });

  it('LCS', async () => {
    await run([
      ['MSET', 'a', 'ohmytext', 'b', 'mynewtext'],
      ['LCS', 'a', 'b'],
      ['LCS', 'a', 'b', 'LEN'],
      ['LCS', 'a', 'b', 'IDX'],
      ['LCS', 'a', 'b', 'IDX', 'WITHMATCHLEN'],
      ['LCS', 'a', 'b', 'IDX', 'MINMATCHLEN', '4'],
      ['LCS', 'a', 'b', 'IDX', 'MINMATCHLEN', '4', 'WITHMATCHLEN'],
      ['LCS', 'a', 'b', 'idx', 'minmatchlen', '-5'],
      ['LCS', 'a', 'b', 'IDX', 'LEN'],
      ['LCS', 'a', 'b', 'LEN', 'MINMATCHLEN', '2'],
      ['LCS', 'a', 'b', 'MINMATCHLEN'],
      ['LCS', 'a', 'b', 'MINMATCHLEN', 'x'],
      ['LCS', 'a', 'b', 'foo'],
      ['LCS', 'a', 'nokey'],
      ['LCS', 'nokey', 'nokey2', 'IDX'],
      ['LCS', 'a', 'a', 'IDX', 'WITHMATCHLEN'],
      ['MSET', 'c', 'abcXdefYghi', 'd', 'abcZdefWghiabc'],
      ['LCS', 'c', 'd'],
      ['LCS', 'c', 'd', 'IDX', 'WITHMATCHLEN'],
      ['LCS', 'a', 'list'],
      ['LCS', 'hash', 'a', 'LEN'],
      ['LCS', 'a'],
    ]);
    await run([['MSET', 'a', 'ohmytext', 'b', 'mynewtext'], ['LCS', 'a', 'b', 'IDX', 'WITHMATCHLEN']], true);
  });

  it('RESP3 replies', async () => {
    await run(
      [
        ['GET', 'nokey'],
        ['SET', 'k', 'v'],
        ['SET', 'k', 'w', 'GET'],
        ['SET', 'k', 'w', 'NX'],
        ['MGET', 'k', 'nokey'],
        ['INCRBYFLOAT', 'f', '1.5'],
        ['GETEX', 'nokey'],
        ['GETDEL', 'nokey'],
        ['GETSET', 'nokey', 'x'],
      ],
      true,
    );
  });

  it('inside MULTI/EXEC', async () => {
    await run([
      ['MULTI'],
      ['SET', 'k', '1'],
      ['INCR', 'k'],
      ['INCRBYFLOAT', 'k', '0.5'],
      ['INCR', 'k'],
      ['APPEND', 'k', 'x'],
      ['GET', 'k'],
      ['EXEC'],
    ]);
  });
});
