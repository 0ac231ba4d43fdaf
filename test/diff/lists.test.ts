// Differential tests of the list family against a real redis-server 7.0: every command, option and
// error reply, replies compared by exact RESP type and bytes (test/helpers/diff.ts). Blocking
// commands are covered here where they do not block (data available, errors, short timeouts);
// waiting and waking are covered over sockets in test/blocking.test.ts.
import { describe, it } from 'vitest';
import { diffServers, Step } from '../helpers/diff.js';
import { skipReason } from '../helpers/servers.js';

describe.skipIf(skipReason('list differential tests', 'redis-server'))('lists vs redis-server', () => {
  const servers = diffServers();
  /** Run a script on both servers from an empty keyspace. */
  const { diff } = servers;
  /** A key of another type, made with a command of this suite's neighbour family. */
  const wrongType = (key: string): Step => ['ZADD', key, '1', 'm'];

  it('LPUSH / RPUSH / LPUSHX / RPUSHX / LLEN / LRANGE', async () => {
    await diff([
      ['LPUSH', 'l', 'a'],
      ['LPUSH', 'l', 'b', 'c', 'd'],
      ['RPUSH', 'l', 'x', 'y'],
      ['LRANGE', 'l', '0', '-1'],
      ['LLEN', 'l'],
      ['LLEN', 'nokey'],
      ['LPUSHX', 'l', 'p1', 'p2'],
      ['RPUSHX', 'l', 'q1', 'q2'],
      ['LPUSHX', 'nokey', 'a'],
      ['RPUSHX', 'nokey', 'a', 'b'],
      ['EXISTS', 'nokey'],
      ['LRANGE', 'l', '0', '-1'],
      ['RPUSH', 'bin', '\x00\xff\r\n', ''],
      ['LRANGE', 'bin', '0', '-1'],
      ['LPUSH', 'l'],
      ['RPUSH'],
      ['LPUSHX', 'l'],
      ['RPUSHX', 'l'],
      ['LLEN'],
      ['LLEN', 'l', 'x'],
      wrongType('z'),
      ['LPUSH', 'z', 'a'],
      ['RPUSH', 'z', 'a'],
      ['LPUSHX', 'z', 'a'],
      ['RPUSHX', 'z', 'a'],
      ['LLEN', 'z'],
      ['LRANGE', 'z', '0', '1'],
    ]);
  });

  it('LRANGE index arithmetic and errors', async () => {
    const steps: Step[] = [['RPUSH', 'l', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']];
    const idx = ['0', '1', '-1', '-2', '5', '9', '10', '11', '-10', '-11', '-100', '100', '3', '-7',
      '9223372036854775807', '-9223372036854775808'];
    for (const a of idx) for (const b of idx) steps.push(['LRANGE', 'l', a, b]);
    steps.push(
      ['LRANGE', 'l', 'a', '1'],
      ['LRANGE', 'l', '0', '1.5'],
      ['LRANGE', 'l', '0', '9223372036854775808'],
      ['LRANGE', 'l', ' 1', '2'],
      ['LRANGE', 'l', '01', '2'],
      ['LRANGE', 'nokey', 'a', '1'],
      ['LRANGE', 'nokey', '0', '-1'],
      ['LRANGE', 'l', '0'],
    );
    await diff(steps);
  });

  it('LPOP / RPOP with and without count (Redis 7 nil / empty-array rules)', async () => {
    await diff([
      ['RPUSH', 'l', 'a', 'b', 'c', 'd', 'e'],
      ['LPOP', 'l'],
      ['RPOP', 'l'],
      ['LPOP', 'l', '0'],
      ['LPOP', 'l', '1'],
      ['RPOP', 'l', '1'],
      ['RPUSH', 'l', 'f', 'g'],
      ['LPOP', 'l', '2'],
      ['RPOP', 'l', '10'],
      ['EXISTS', 'l'],
      ['LPOP', 'l'],
      ['RPOP', 'l'],
      ['LPOP', 'l', '2'],
      ['RPOP', 'l', '0'],
      ['LPOP', 'nokey', '0'],
      ['RPUSH', 'l', 'a'],
      ['LPOP', 'l', '-1'],
      ['LPOP', 'l', 'x'],
      ['RPOP', 'l', '1.5'],
      ['LPOP', 'l', '9223372036854775807'],
      ['LPOP', 'l', '9223372036854775808'],
      ['LPOP', 'l', '1', '2'],
      ['RPOP', 'l', '1', '2'],
      ['LPOP'],
      wrongType('z'),
      ['LPOP', 'z'],
      ['RPOP', 'z', '2'],
      ['LPOP', 'z', '0'],
      ['LPOP', 'z', '-1'],
    ]);
  });

  it('LINDEX / LSET', async () => {
    await diff([
      ['RPUSH', 'l', 'a', 'b', 'c'],
      ['LINDEX', 'l', '0'],
      ['LINDEX', 'l', '2'],
      ['LINDEX', 'l', '3'],
      ['LINDEX', 'l', '-1'],
      ['LINDEX', 'l', '-3'],
      ['LINDEX', 'l', '-4'],
      ['LINDEX', 'l', 'x'],
      ['LINDEX', 'nokey', 'x'],
      ['LINDEX', 'nokey', '0'],
      ['LSET', 'l', '0', 'A'],
      ['LSET', 'l', '-1', 'C'],
      ['LSET', 'l', '3', 'D'],
      ['LSET', 'l', '-4', 'D'],
      ['LSET', 'l', 'x', 'D'],
      ['LSET', 'nokey', '0', 'D'],
      ['LSET', 'nokey', 'x', 'D'],
      ['LRANGE', 'l', '0', '-1'],
      ['LINDEX', 'l'],
      ['LSET', 'l', '0'],
      wrongType('z'),
      ['LINDEX', 'z', '0'],
      ['LINDEX', 'z', 'x'],
      ['LSET', 'z', '0', 'v'],
      ['LSET', 'z', 'x', 'v'],
    ]);
  });

  it('LINSERT', async () => {
    await diff([
      ['RPUSH', 'l', 'a', 'b', 'c', 'b'],
      ['LINSERT', 'l', 'BEFORE', 'b', 'x'],
      ['LINSERT', 'l', 'after', 'b', 'y'],
      ['LINSERT', 'l', 'After', 'c', 'z'],
      ['LINSERT', 'l', 'before', 'a', 'first'],
      ['LINSERT', 'l', 'after', 'b', 'last'],
      ['LINSERT', 'l', 'before', 'nope', 'v'],
      ['LRANGE', 'l', '0', '-1'],
      ['LINSERT', 'nokey', 'before', 'a', 'v'],
      ['LINSERT', 'nokey', 'middle', 'a', 'v'],
      ['LINSERT', 'l', 'middle', 'a', 'v'],
      ['LINSERT', 'l', 'before', 'a'],
      ['EXISTS', 'nokey'],
      wrongType('z'),
      ['LINSERT', 'z', 'before', 'a', 'v'],
      ['LINSERT', 'z', 'middle', 'a', 'v'],
    ]);
    const big: Step[] = [['RPUSH', 'big', ...Array.from({ length: 40 }, (_, i) => `e${i}`)]];
    for (const p of [0, 1, 10, 19, 20, 21, 30, 39]) {
      big.push(['LINSERT', 'big', p % 2 ? 'BEFORE' : 'AFTER', `e${p}`, `n${p}`]);
    }
    big.push(['LRANGE', 'big', '0', '-1']);
    await diff(big);
  });

  it('LREM', async () => {
    const base = ['a', 'b', 'a', 'c', 'a', 'b', 'a'];
    const steps: Step[] = [];
    for (const n of ['0', '1', '2', '-1', '-2', '10', '-10']) {
      steps.push(['LTRIM', 'l', '1', '0'], ['RPUSH', 'l', ...base], ['LREM', 'l', n, 'a'], ['LRANGE', 'l', '0', '-1']);
    }
    steps.push(
      ['LREM', 'l', '0', 'nope'],
      ['LREM', 'l', '0', 'b'],
      ['LREM', 'l', '0', 'c'],
      ['EXISTS', 'l'],
      ['LREM', 'nokey', '0', 'a'],
      ['LREM', 'nokey', 'x', 'a'],
      ['LREM', 'l', 'x', 'a'],
      ['LREM', 'l', '0'],
      wrongType('z'),
      ['LREM', 'z', '0', 'a'],
      ['LREM', 'z', 'x', 'a'],
    );
    await diff(steps);
  });

  it('LTRIM', async () => {
    const idx = ['0', '1', '-1', '-2', '3', '5', '6', '-6', '-7', '100', '-100'];
    const steps: Step[] = [];
    for (const a of idx) {
      for (const b of idx) {
        steps.push(['LTRIM', 'l', '1', '0'], ['RPUSH', 'l', '0', '1', '2', '3', '4', '5'], ['LTRIM', 'l', a, b], ['LRANGE', 'l', '0', '-1']);
      }
    }
    steps.push(
      ['EXISTS', 'l'],
      ['LTRIM', 'nokey', '0', '1'],
      ['LTRIM', 'nokey', 'x', '1'],
      ['LTRIM', 'l', '0', 'x'],
      ['LTRIM', 'l', '0'],
      wrongType('z'),
      ['LTRIM', 'z', '0', '1'],
      ['LTRIM', 'z', 'x', '1'],
    );
    await diff(steps);
  });

  it('LPOS with RANK, COUNT, MAXLEN', async () => {
    const steps: Step[] = [['RPUSH', 'l', 'a', 'b', 'c', '1', '2', '3', 'c', 'c', 'a', 'b', 'c']];
    const opts: string[][] = [
      [], ['RANK', '1'], ['RANK', '2'], ['RANK', '-1'], ['RANK', '-2'], ['RANK', '5'], ['RANK', '-5'],
      ['COUNT', '0'], ['COUNT', '1'], ['COUNT', '2'], ['COUNT', '10'],
      ['RANK', '2', 'COUNT', '2'], ['RANK', '-1', 'COUNT', '0'], ['RANK', '-2', 'COUNT', '2'],
      ['MAXLEN', '0'], ['MAXLEN', '1'], ['MAXLEN', '3'], ['MAXLEN', '7'],
      ['COUNT', '0', 'MAXLEN', '7'], ['RANK', '-1', 'MAXLEN', '4'], ['RANK', '-1', 'MAXLEN', '5', 'COUNT', '0'],
      ['rank', '1', 'count', '1', 'maxlen', '100'], ['COUNT', '1', 'COUNT', '3'],
    ];
    for (const el of ['a', 'c', 'x', '1']) for (const o of opts) steps.push(['LPOS', 'l', el, ...o]);
    steps.push(
      ['LPOS', 'l', 'c', 'RANK', '0'],
      ['LPOS', 'l', 'c', 'RANK', 'x'],
      ['LPOS', 'l', 'c', 'RANK', '-9223372036854775808'],
      ['LPOS', 'l', 'c', 'RANK', '-9223372036854775808', 'COUNT', '2'],
      ['LPOS', 'l', 'c', 'RANK', '-9223372036854775808', 'COUNT', '0', 'MAXLEN', '3'],
      ['LPOS', 'l', 'c', 'RANK', '-9223372036854775808', 'MAXLEN', '2'],
      ['LPOS', 'l', 'c', 'RANK', '-9223372036854775809'],
      ['LPOS', 'l', 'c', 'RANK', '-9223372036854775807'],
      ['LPOS', 'l', 'c', 'RANK', '9223372036854775807'],
      ['LPOS', 'l', 'c', 'COUNT', '-1'],
      ['LPOS', 'l', 'c', 'COUNT', 'x'],
      ['LPOS', 'l', 'c', 'MAXLEN', '-1'],
      ['LPOS', 'l', 'c', 'MAXLEN', 'x'],
      ['LPOS', 'l', 'c', 'RANK'],
      ['LPOS', 'l', 'c', 'COUNT'],
      ['LPOS', 'l', 'c', 'FOO', '1'],
      ['LPOS', 'nokey', 'c'],
      ['LPOS', 'nokey', 'c', 'COUNT', '0'],
      ['LPOS', 'nokey', 'c', 'RANK', '0'],
      ['LPOS', 'l'],
      wrongType('z'),
      ['LPOS', 'z', 'c'],
      ['LPOS', 'z', 'c', 'RANK', '0'],
    );
    await diff(steps);
  });

  it('LMOVE / RPOPLPUSH', async () => {
    await diff([
      ['RPUSH', 's', 'a', 'b', 'c', 'd'],
      ['LMOVE', 's', 'd', 'LEFT', 'LEFT'],
      ['LMOVE', 's', 'd', 'LEFT', 'RIGHT'],
      ['LMOVE', 's', 'd', 'right', 'left'],
      ['LRANGE', 's', '0', '-1'],
      ['LRANGE', 'd', '0', '-1'],
      ['LMOVE', 's', 'd', 'RIGHT', 'RIGHT'],
      ['EXISTS', 's'],
      ['LMOVE', 's', 'd', 'LEFT', 'LEFT'],
      ['LRANGE', 'd', '0', '-1'],
      ['LMOVE', 'd', 'd', 'LEFT', 'RIGHT'],
      ['LMOVE', 'd', 'd', 'RIGHT', 'LEFT'],
      ['LRANGE', 'd', '0', '-1'],
      ['RPOPLPUSH', 'd', 'e'],
      ['RPOPLPUSH', 'd', 'd'],
      ['RPOPLPUSH', 'nokey', 'e'],
      ['LRANGE', 'e', '0', '-1'],
      ['LMOVE', 'd', 'e', 'UP', 'LEFT'],
      ['LMOVE', 'd', 'e', 'LEFT', 'DOWN'],
      ['LMOVE', 'nokey', 'e', 'UP', 'LEFT'],
      ['LMOVE', 'd', 'e', 'LEFT'],
      ['RPOPLPUSH', 'd'],
      wrongType('z'),
      ['LMOVE', 'z', 'e', 'LEFT', 'LEFT'],
      ['LMOVE', 'd', 'z', 'LEFT', 'LEFT'],
      ['RPOPLPUSH', 'd', 'z'],
      ['RPOPLPUSH', 'z', 'd'],
      ['RPOPLPUSH', 'nokey', 'z'],
      ['LRANGE', 'd', '0', '-1'],
      ['RPUSH', 'one', 'x'],
      ['LMOVE', 'one', 'one', 'LEFT', 'LEFT'],
      ['LRANGE', 'one', '0', '-1'],
      ['RPOPLPUSH', 'one', 'two'],
      ['EXISTS', 'one'],
    ]);
  });

  it('BLPOP / BRPOP / BLMOVE / BRPOPLPUSH when data is available, and their errors', async () => {
    await diff([
      ['RPUSH', 'l1', 'a', 'b', 'c'],
      ['RPUSH', 'l2', 'x'],
      ['BLPOP', 'l1', '0'],
      ['BRPOP', 'l1', '0'],
      ['BLPOP', 'nokey', 'l2', 'l1', '1'],
      ['BLPOP', 'nokey', 'l2', 'l1', '1.5'],
      ['EXISTS', 'l2'],
      ['RPUSH', 'l1', 'q'],
      ['BRPOP', 'l1', 'l1', '0'],
      ['RPUSH', 'l1', 'a', 'b', 'c'],
      ['BLMOVE', 'l1', 'd', 'LEFT', 'RIGHT', '0'],
      ['BLMOVE', 'l1', 'd', 'RIGHT', 'LEFT', '0.5'],
      ['BRPOPLPUSH', 'l1', 'd', '0'],
      ['EXISTS', 'l1'],
      ['LRANGE', 'd', '0', '-1'],
      ['RPUSH', 'd', '1', '2', '3', '4', '5', '6', '7', '8'],
      ['BLPOP', 'd', 'x'],
      ['BLPOP', 'd', '-1'],
      ['BLPOP', 'd', '-0.001'],
      ['BLPOP', 'd', 'inf'],
      ['BLPOP', 'd', '-inf'],
      ['BLPOP', 'd', 'nan'],
      ['BLPOP', 'd', ''],
      ['BLPOP', 'd', ' 1'],
      ['BLPOP', 'd', '1 '],
      ['BLPOP', 'd', '1e400'],
      ['BLPOP', 'd', '1e5000'],
      ['BLPOP', 'd', '1e20'],
      ['BLPOP', 'd', '9.3e15'],
      ['BLPOP', 'd', '9223372036854775'],
      ['BLPOP', 'd', '0x10'],
      ['BLPOP', 'd', '1e3'],
      ['BRPOP', 'd', 'x'],
      ['BLMOVE', 'd', 'e', 'LEFT', 'LEFT', 'x'],
      ['BLMOVE', 'd', 'e', 'UP', 'LEFT', 'x'],
      ['BLMOVE', 'd', 'e', 'LEFT', 'UP', '-1'],
      ['BLMOVE', 'd', 'e', 'LEFT', 'LEFT', '-1'],
      ['BRPOPLPUSH', 'd', 'e', '-1'],
      ['BRPOPLPUSH', 'd', 'e', 'x'],
      ['BLPOP', 'd'],
      ['BLMOVE', 'd', 'e', 'LEFT', 'LEFT'],
      ['BRPOPLPUSH', 'd', 'e'],
      wrongType('z'),
      ['BLPOP', 'z', '0'],
      ['BLPOP', 'nokey', 'z', '0'],
      ['BLPOP', 'd', 'z', '0'],
      ['BLPOP', 'z', 'x'],
      ['BLMOVE', 'z', 'e', 'LEFT', 'LEFT', '0'],
      ['BLMOVE', 'd', 'z', 'LEFT', 'LEFT', '0'],
      ['BRPOPLPUSH', 'z', 'e', '0'],
      ['BRPOPLPUSH', 'd', 'z', '0'],
      ['LRANGE', 'd', '0', '-1'],
    ]);
  });

  it('blocking commands time out with a null array', async () => {
    await diff([
      ['BLPOP', 'nokey', '0.05'],
      ['BRPOP', 'nokey', 'other', '0.05'],
      ['BLMOVE', 'nokey', 'd', 'LEFT', 'LEFT', '0.05'],
      ['BRPOPLPUSH', 'nokey', 'd', '0.05'],
      ['EXISTS', 'd'],
    ]);
    await diff([
      ['BLPOP', 'nokey', '0.05'],
      ['BLMOVE', 'nokey', 'd', 'LEFT', 'LEFT', '0.05'],
    ], true);
  });

  it('RESP3 replies', async () => {
    await diff([
      ['RPUSH', 'l', 'a', 'b', 'c'],
      ['LPOP', 'nokey'],
      ['LPOP', 'nokey', '1'],
      ['LPOP', 'l', '0'],
      ['LPOP', 'l', '2'],
      ['RPOP', 'l'],
      ['LINDEX', 'nokey', '0'],
      ['LPOS', 'nokey', 'a'],
      ['LPOS', 'nokey', 'a', 'COUNT', '0'],
      ['RPUSH', 'l', 'a', 'b'],
      ['LPOS', 'l', 'x'],
      ['LPOS', 'l', 'a', 'COUNT', '0'],
      ['LMOVE', 'nokey', 'd', 'LEFT', 'LEFT'],
      ['RPOPLPUSH', 'nokey', 'd'],
      ['BLPOP', 'l', '0'],
      ['LRANGE', 'l', '0', '-1'],
      ['LRANGE', 'nokey', '0', '-1'],
    ], true);
  });

  it('MULTI/EXEC: blocking commands on empty lists answer at once', async () => {
    await diff([
      ['MULTI'],
      ['BLPOP', 'nokey', '0'],
      ['BRPOP', 'nokey', '0'],
      ['BLMOVE', 'nokey', 'd', 'LEFT', 'LEFT', '0'],
      ['BRPOPLPUSH', 'nokey', 'd', '0'],
      ['RPUSH', 'l', 'a'],
      ['BLPOP', 'l', '0'],
      ['EXEC'],
    ]);
  });

  it('LMPOP / BLMPOP', async () => {
    const steps: Step[] = [
      ['RPUSH', 'a', '1', '2', '3', '4', '5'],
      ['RPUSH', 'b', 'x', 'y'],
      ['LMPOP', '1', 'a', 'LEFT'],
      ['LMPOP', '1', 'a', 'RIGHT'],
      ['LMPOP', '2', 'nokey', 'a', 'left', 'COUNT', '2'],
      ['LMPOP', '2', 'nokey', 'a', 'right', 'count', '10'],
      ['EXISTS', 'a'],
      ['LMPOP', '3', 'nokey', 'a', 'b', 'RIGHT', 'COUNT', '1'],
      ['LMPOP', '1', 'nokey', 'LEFT'],
      ['LMPOP', '2', 'nokey', 'a', 'LEFT', 'COUNT', '3'],
      ['BLMPOP', '0', '2', 'nokey', 'b', 'LEFT', 'COUNT', '5'],
      ['RPUSH', 'c', '1', '2', '3'],
      ['BLMPOP', '0.5', '1', 'c', 'RIGHT'],
      ['BLMPOP', '0', '1', 'c', 'LEFT', 'COUNT', '1'],
      ['LMPOP', '0', 'c', 'LEFT'],
      ['LMPOP', '-1', 'c', 'LEFT'],
      ['LMPOP', 'x', 'c', 'LEFT'],
      ['LMPOP', '2', 'c', 'LEFT'],
      ['LMPOP', '3', 'c', 'd', 'LEFT'],
      ['LMPOP', '1', 'c', 'UP'],
      ['LMPOP', '1', 'c', 'LEFT', 'COUNT', '0'],
      ['LMPOP', '1', 'c', 'LEFT', 'COUNT', '-1'],
      ['LMPOP', '1', 'c', 'LEFT', 'COUNT', 'x'],
      ['LMPOP', '1', 'c', 'LEFT', 'COUNT'],
      ['LMPOP', '1', 'c', 'LEFT', 'COUNT', '1', 'COUNT', '1'],
      ['LMPOP', '1', 'c', 'LEFT', 'FOO'],
      ['LMPOP', '1', 'c'],
      ['BLMPOP', 'x', '1', 'c', 'LEFT'],
      ['BLMPOP', '-1', '1', 'c', 'LEFT'],
      ['BLMPOP', 'x', '0', 'c', 'LEFT'],
      ['BLMPOP', 'x', '1', 'c', 'UP'],
      ['BLMPOP', 'x', '1', 'c', 'LEFT', 'COUNT', '0'],
      ['BLMPOP', '0', '1', 'c'],
      ['BLMPOP', '0.05', '2', 'nokey', 'c', 'LEFT'],
      wrongType('z'),
      ['LMPOP', '1', 'z', 'LEFT'],
      ['LMPOP', '2', 'nokey', 'z', 'LEFT'],
      ['RPUSH', 'c', 'v'],
      ['LMPOP', '2', 'c', 'z', 'LEFT'],
      ['BLMPOP', '0', '2', 'nokey', 'z', 'LEFT'],
    ];
    await diff(steps);
    await diff(steps, true);
  });
});
