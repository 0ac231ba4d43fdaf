// Differential tests of the sorted-set family against a real redis-server 7.0: every command, option
// and error reply, compared by exact RESP type and bytes (test/helpers/diff.ts), with RESP3 passes
// for the double-returning commands (ZSCORE, ZINCRBY, WITHSCORES, ZPOPMIN …).
import { describe, it } from 'vitest';
import { allCommands } from '../../src/commands/index.js';
import { diffServers, Step } from '../helpers/diff.js';
import { skipReason } from '../helpers/servers.js';

const hasCommand = (name: string): boolean => allCommands().some((c) => c.name === name && !!c.handler);

describe.skipIf(skipReason('sorted set differential tests', 'redis-server'))('sorted sets vs redis-server', () => {
  const servers = diffServers();
  const { diff } = servers;
  const both = async (steps: Step[]): Promise<void> => {
    await diff(steps);
    await diff(steps, true);
  };
  /** A key of another type, made with the list family. */
  const wrongType = (key: string): Step => ['RPUSH', key, 'x'];

  /** A zset with ties, negative, fractional and infinite scores. */
  const seed: Step = ['ZADD', 'z', '1', 'a', '1', 'b', '2', 'c', '3', 'd', '3', 'e', '-1.5', 'f', '0.1', 'g',
    '1e20', 'h', '-inf', 'i', '+inf', 'j', '3', 'dd'];
  /** Members with equal scores, for BYLEX. */
  const lex: Step = ['ZADD', 'lx', '0', 'a', '0', 'b', '0', 'c', '0', 'd', '0', 'e', '0', 'f', '0', 'g', '0', 'aa',
    '0', '', '0', 'b\x00', '0', '\xff'];

  it('ZADD options, replies and errors', async () => {
    await both([
      ['ZADD', 'z', '1', 'a'],
      ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
      ['ZADD', 'z', 'NX', '5', 'a', '4', 'd'],
      ['ZADD', 'z', 'XX', '5', 'a', '4', 'e'],
      ['ZADD', 'z', 'XX', 'CH', '6', 'a', '2', 'b', '7', 'zz'],
      ['ZADD', 'z', 'CH', '6', 'a', '3', 'b', '1', 'new'],
      ['ZADD', 'z', 'GT', 'CH', '1', 'a', '10', 'b', '1', 'gt-new'],
      ['ZADD', 'z', 'LT', 'CH', '1', 'a', '100', 'b', '9', 'lt-new'],
      ['ZADD', 'z', 'XX', 'GT', 'CH', '50', 'a', '50', 'nope'],
      ['ZADD', 'z', 'xx', 'lt', 'ch', '0', 'a'],
      ['ZADD', 'z', 'gt', 'xx', '1', 'a'],
      ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
      ['ZADD', 'z', 'INCR', '5', 'a'],
      ['ZADD', 'z', 'INCR', '-5.5', 'new2'],
      ['ZADD', 'z', 'NX', 'INCR', '1', 'a'],
      ['ZADD', 'z', 'XX', 'INCR', '1', 'missing'],
      ['ZADD', 'z', 'GT', 'INCR', '-1', 'a'],
      ['ZADD', 'z', 'GT', 'INCR', '1', 'a'],
      ['ZADD', 'z', 'LT', 'INCR', '1', 'a'],
      ['ZADD', 'z', 'LT', 'INCR', '0', 'a'],
      ['ZADD', 'z', 'INCR', '0', 'a'],
      ['ZADD', 'z', 'CH', 'INCR', '1', 'a'],
      ['ZADD', 'z', 'INCR', 'inf', 'a'],
      ['ZADD', 'z', 'INCR', '-inf', 'a'],
      ['ZSCORE', 'z', 'a'],
      ['ZADD', 'z', 'INCR', '1', 'a', '2', 'b'],
      ['ZADD', 'z', 'NX', 'XX', '1', 'a'],
      ['ZADD', 'z', 'GT', 'LT', '1', 'a'],
      ['ZADD', 'z', 'GT', 'NX', '1', 'a'],
      ['ZADD', 'z', 'LT', 'NX', '1', 'a'],
      ['ZADD', 'z', 'NX', 'XX', 'GT', '1'],
      ['ZADD', 'z', 'NX', 'XX', 'INCR', '1', 'a', '2', 'b'],
      ['ZADD', 'z', '1'],
      ['ZADD', 'z', '1', 'a', '2'],
      ['ZADD', 'z', 'NX'],
      ['ZADD', 'z', 'NX', '1'],
      ['ZADD', 'z', 'nan', 'a'],
      ['ZADD', 'z', 'abc', 'a'],
      ['ZADD', 'z', '1', 'a', 'x', 'b'],
      ['ZADD', 'z', '', 'a'],
      ['ZADD', 'z', ' 1', 'a'],
      ['ZADD', 'z', '1 ', 'a'],
      ['ZADD', 'z', '1e400', 'a'],
      ['ZADD', 'z', '1e-400', 'a'],
      ['ZADD', 'z', '0x10', 'hex'],
      ['ZADD', 'z', '0x1.8p1', 'hexf'],
      ['ZADD', 'z', '1e-310', 'denorm'],
      ['ZADD', 'z', 'Infinity', 'inf1'],
      ['ZADD', 'z', '-INF', 'inf2'],
      ['ZADD', 'z', '+1.5e3', 'plus'],
      ['ZADD', 'z', '.5', 'dot'],
      ['ZADD', 'z', '5.', 'dot2'],
      ['ZADD', 'z', '-0', 'negzero'],
      ['ZADD', 'z', '0.1', 'p1', '0.2', 'p2', '0.30000000000000004', 'p3', '123456789.123456789', 'p4', '1e17', 'p5',
        '1.7976931348623157e308', 'max', '5e-324', 'min', '-1e-5', 'small', '12345678901234567890', 'big'],
      ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
      ['ZADD', 'z'],
      ['ZADD', 'z', 'NX', 'NX', 'CH', 'CH', '1', 'a'],
      wrongType('l'),
      ['ZADD', 'l', '1', 'a'],
      ['ZADD', 'l', 'x', 'a'],
      ['ZADD', 'l', 'NX', 'XX', '1', 'a'],
      ['ZADD', 'newkey', 'XX', '1', 'a'],
      ['ZADD', 'newkey', 'XX', 'INCR', '1', 'a'],
      ['ZCARD', 'newkey'],
      ['ZADD', 'newkey', 'GT', '1', 'a'],
      ['ZADD', 'newkey2', 'LT', 'INCR', '1', 'a'],
    ]);
  });

  it('ZINCRBY / ZSCORE / ZMSCORE / ZCARD / ZREM', async () => {
    await both([
      ['ZINCRBY', 'z', '1', 'a'],
      ['ZINCRBY', 'z', '2.5', 'a'],
      ['ZINCRBY', 'z', '-0.1', 'a'],
      ['ZINCRBY', 'z', '0.1', 'b'],
      ['ZINCRBY', 'z', '0.2', 'b'],
      ['ZINCRBY', 'z', '1e308', 'c'],
      ['ZINCRBY', 'z', '1e308', 'c'],
      ['ZINCRBY', 'z', '-inf', 'c'],
      ['ZINCRBY', 'z', 'inf', 'c'],
      ['ZINCRBY', 'z', 'x', 'a'],
      ['ZINCRBY', 'z', 'nx', 'a'],
      ['ZINCRBY', 'z', 'incr', 'a'],
      ['ZINCRBY', 'z', 'nan', 'a'],
      ['ZINCRBY', 'z', '1'],
      ['ZSCORE', 'z', 'a'],
      ['ZSCORE', 'z', 'b'],
      ['ZSCORE', 'z', 'c'],
      ['ZSCORE', 'z', 'missing'],
      ['ZSCORE', 'nokey', 'a'],
      ['ZMSCORE', 'z', 'a', 'missing', 'b', 'c'],
      ['ZMSCORE', 'nokey', 'a', 'b'],
      ['ZMSCORE', 'z'],
      ['ZSCORE', 'z'],
      ['ZCARD', 'z'],
      ['ZCARD', 'nokey'],
      ['ZCARD'],
      ['ZREM', 'z', 'a', 'a', 'missing'],
      ['ZREM', 'nokey', 'a'],
      ['ZREM', 'z', 'b', 'c'],
      ['EXISTS', 'z'],
      ['ZREM', 'z'],
      wrongType('l'),
      ['ZINCRBY', 'l', '1', 'a'],
      ['ZINCRBY', 'l', 'x', 'a'],
      ['ZSCORE', 'l', 'a'],
      ['ZMSCORE', 'l', 'a'],
      ['ZCARD', 'l'],
      ['ZREM', 'l', 'a'],
    ]);
  });

  it('ZRANK / ZREVRANK / ZCOUNT / ZLEXCOUNT', async () => {
    const steps: Step[] = [seed, lex];
    for (const m of ['a', 'b', 'c', 'dd', 'e', 'h', 'i', 'j', 'missing']) steps.push(['ZRANK', 'z', m], ['ZREVRANK', 'z', m]);
    const bounds = ['-inf', '+inf', 'inf', '0', '1', '(1', '3', '(3', '-1.5', '(-1.5', '1e20', '(1e20', '(inf', '(-inf',
      '', '(', ' 2', '0x1', 'nan', '(nan', 'x', '1x', '((1', '-Infinity'];
    for (const a of bounds) for (const b of bounds) steps.push(['ZCOUNT', 'z', a, b]);
    const lb = ['-', '+', '[a', '(a', '[b', '(b', '[aa', '[g', '(g', '[', '(', '[\xff', '[b\x00', 'a', '', '-x', '+x', '[zz'];
    for (const a of lb) for (const b of lb) steps.push(['ZLEXCOUNT', 'lx', a, b]);
    steps.push(
      ['ZRANK', 'nokey', 'a'],
      ['ZREVRANK', 'nokey', 'a'],
      ['ZCOUNT', 'nokey', '0', '1'],
      ['ZCOUNT', 'nokey', 'x', '1'],
      ['ZLEXCOUNT', 'nokey', '-', '+'],
      ['ZLEXCOUNT', 'nokey', 'x', '+'],
      ['ZRANK', 'z'],
      ['ZCOUNT', 'z', '1'],
      ['ZLEXCOUNT', 'z', '-'],
      wrongType('l'),
      ['ZRANK', 'l', 'a'],
      ['ZREVRANK', 'l', 'a'],
      ['ZCOUNT', 'l', '0', '1'],
      ['ZCOUNT', 'l', 'x', '1'],
      ['ZLEXCOUNT', 'l', '-', '+'],
      ['ZLEXCOUNT', 'l', 'x', '+'],
    );
    await diff(steps);
  });

  it('ZRANGE by rank (and ZREVRANGE)', async () => {
    const steps: Step[] = [seed];
    const idx = ['0', '1', '-1', '-2', '5', '11', '12', '13', '-12', '-13', '100', '-100', '9223372036854775807', '-9223372036854775808'];
    for (const a of idx) {
      for (const b of idx) {
        steps.push(['ZRANGE', 'z', a, b], ['ZREVRANGE', 'z', a, b]);
      }
    }
    steps.push(
      ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
      ['ZRANGE', 'z', '2', '5', 'withscores'],
      ['ZRANGE', 'z', '0', '-1', 'REV'],
      ['ZRANGE', 'z', '0', '3', 'REV', 'WITHSCORES'],
      ['ZRANGE', 'z', '-3', '-1', 'rev', 'withscores', 'withscores'],
      ['ZREVRANGE', 'z', '0', '-1', 'WITHSCORES'],
      ['ZRANGE', 'z', '0', '-1', 'LIMIT', '0', '1'],
      ['ZREVRANGE', 'z', '0', '-1', 'LIMIT', '0', '1'],
      ['ZRANGE', 'z', '0', '-1', 'LIMIT', '0'],
      ['ZRANGE', 'z', '0', '-1', 'LIMIT', 'x', '1'],
      ['ZRANGE', 'z', '0', '-1', 'REV', 'REV'],
      ['ZREVRANGE', 'z', '0', '-1', 'REV'],
      ['ZREVRANGE', 'z', '0', '-1', 'BYSCORE'],
      ['ZRANGE', 'z', '0', '-1', 'FOO'],
      ['ZRANGE', 'z', 'a', '-1'],
      ['ZRANGE', 'z', '0', '1.5'],
      ['ZRANGE', 'z', '0', '9223372036854775808'],
      ['ZRANGE', 'nokey', '0', '-1'],
      ['ZRANGE', 'nokey', 'a', '-1'],
      ['ZRANGE', 'nokey', '0', '-1', 'FOO'],
      ['ZRANGE', 'z', '0'],
      ['ZREVRANGE', 'z', '0'],
      wrongType('l'),
      ['ZRANGE', 'l', '0', '-1'],
      ['ZRANGE', 'l', 'x', '-1'],
      ['ZREVRANGE', 'l', '0', '-1'],
    );
    await diff(steps);
    await diff([seed, ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'], ['ZREVRANGE', 'z', '1', '3', 'WITHSCORES'], ['ZRANGE', 'z', '0', '-1'],
      ['ZRANGE', 'nokey', '0', '-1', 'WITHSCORES']], true);
  });

  it('ZRANGE BYSCORE / ZRANGEBYSCORE / ZREVRANGEBYSCORE with LIMIT and WITHSCORES', async () => {
    const steps: Step[] = [seed];
    const ranges: [string, string][] = [['-inf', '+inf'], ['1', '3'], ['(1', '3'], ['1', '(3'], ['(1', '(3'], ['3', '1'],
      ['1', '1'], ['(1', '1'], ['-1.5', '0.1'], ['0', '0'], ['inf', 'inf'], ['-inf', '-inf'], ['(inf', '+inf'],
      ['2', '1e20'], ['1e20', 'inf'], ['', '1'], ['(', '(1'], [' 1', '3'], ['0x1', '0x3'], ['1e400', 'inf']];
    const limits: string[][] = [[], ['LIMIT', '0', '2'], ['LIMIT', '1', '2'], ['LIMIT', '2', '-1'], ['LIMIT', '0', '0'],
      ['LIMIT', '-1', '2'], ['LIMIT', '100', '1'], ['LIMIT', '11', '5'], ['LIMIT', '12', '5'], ['LIMIT', '3', '1'],
      ['LIMIT', '1', '1', 'LIMIT', '0', '3']];
    for (const [a, b] of ranges) {
      for (const lim of limits) {
        steps.push(
          ['ZRANGEBYSCORE', 'z', a, b, ...lim],
          ['ZREVRANGEBYSCORE', 'z', b, a, ...lim],
          ['ZRANGE', 'z', a, b, 'BYSCORE', ...lim],
          ['ZRANGE', 'z', b, a, 'BYSCORE', 'REV', ...lim],
        );
      }
      steps.push(['ZRANGEBYSCORE', 'z', a, b, 'WITHSCORES'], ['ZREVRANGEBYSCORE', 'z', b, a, 'WITHSCORES', 'LIMIT', '1', '3']);
    }
    steps.push(
      ['ZRANGEBYSCORE', 'z', 'x', '1'],
      ['ZRANGEBYSCORE', 'z', '1', 'nan'],
      ['ZRANGEBYSCORE', 'z', '(nan', '1'],
      ['ZRANGEBYSCORE', 'z', '1', '1x'],
      ['ZRANGEBYSCORE', 'z', '0', '1', 'LIMIT', '0'],
      ['ZRANGEBYSCORE', 'z', '0', '1', 'LIMIT', 'x', '1'],
      ['ZRANGEBYSCORE', 'z', '0', '1', 'LIMIT', '0', '1.5'],
      ['ZRANGEBYSCORE', 'z', '0', '1', 'REV'],
      ['ZRANGEBYSCORE', 'z', '0', '1', 'BYSCORE'],
      ['ZRANGEBYSCORE', 'z', '0', '1', 'BYLEX'],
      ['ZRANGEBYSCORE', 'z', '0', '1', 'FOO'],
      ['ZRANGEBYSCORE', 'z', 'x', '1', 'FOO'],
      ['ZRANGE', 'z', '0', '1', 'BYSCORE', 'BYLEX'],
      ['ZRANGE', 'z', '0', '1', 'BYSCORE', 'BYSCORE'],
      ['ZRANGE', 'z', 'x', '1', 'BYSCORE'],
      ['ZRANGE', 'z', '(1', '3'],
      ['ZRANGEBYSCORE', 'nokey', '0', '1'],
      ['ZRANGEBYSCORE', 'nokey', 'x', '1'],
      ['ZRANGEBYSCORE', 'z', '0'],
      wrongType('l'),
      ['ZRANGEBYSCORE', 'l', '0', '1'],
      ['ZRANGE', 'l', '0', '1', 'BYSCORE'],
    );
    await diff(steps);
    await diff([seed, ['ZRANGEBYSCORE', 'z', '-inf', '+inf', 'WITHSCORES'], ['ZREVRANGEBYSCORE', 'z', '3', '1', 'WITHSCORES', 'LIMIT', '1', '2'],
      ['ZRANGE', 'z', '(1', '1e20', 'BYSCORE', 'WITHSCORES', 'LIMIT', '1', '10']], true);
  });

  it('ZRANGE BYLEX / ZRANGEBYLEX / ZREVRANGEBYLEX', async () => {
    const steps: Step[] = [lex];
    const ranges: [string, string][] = [['-', '+'], ['[a', '[c'], ['(a', '[c'], ['[a', '(c'], ['(a', '(c'], ['[c', '[a'],
      ['[b', '[b'], ['(b', '[b'], ['-', '[b'], ['[b', '+'], ['+', '-'], ['-', '-'], ['+', '+'], ['[', '+'], ['(', '(b'],
      ['[b\x00', '+'], ['[\xff', '+'], ['[aa', '(b\x00'], ['[a', '[a\x00']];
    const limits: string[][] = [[], ['LIMIT', '0', '2'], ['LIMIT', '1', '3'], ['LIMIT', '2', '-1'], ['LIMIT', '0', '0'],
      ['LIMIT', '-1', '2'], ['LIMIT', '11', '1'], ['LIMIT', '10', '5']];
    for (const [a, b] of ranges) {
      for (const lim of limits) {
        steps.push(
          ['ZRANGEBYLEX', 'lx', a, b, ...lim],
          ['ZREVRANGEBYLEX', 'lx', b, a, ...lim],
          ['ZRANGE', 'lx', a, b, 'BYLEX', ...lim],
          ['ZRANGE', 'lx', b, a, 'BYLEX', 'REV', ...lim],
        );
      }
    }
    steps.push(
      ['ZRANGEBYLEX', 'lx', 'a', '+'],
      ['ZRANGEBYLEX', 'lx', '-', 'b'],
      ['ZRANGEBYLEX', 'lx', '', '+'],
      ['ZRANGEBYLEX', 'lx', '-x', '+'],
      ['ZRANGEBYLEX', 'lx', '-', '++'],
      ['ZRANGEBYLEX', 'lx', '-', '+', 'WITHSCORES'],
      ['ZRANGE', 'lx', '-', '+', 'BYLEX', 'WITHSCORES'],
      ['ZRANGEBYLEX', 'lx', '-', '+', 'LIMIT', '0'],
      ['ZRANGEBYLEX', 'lx', '-', '+', 'LIMIT', 'a', '1'],
      ['ZRANGEBYLEX', 'lx', '-', '+', 'REV'],
      ['ZRANGEBYLEX', 'lx', '-', '+', 'BYSCORE'],
      ['ZRANGE', 'lx', '-', '+', 'BYLEX', 'BYSCORE'],
      ['ZRANGE', 'lx', '[a', 'x', 'BYLEX'],
      ['ZRANGEBYLEX', 'nokey', '-', '+'],
      ['ZRANGEBYLEX', 'nokey', 'x', '+'],
      wrongType('l'),
      ['ZRANGEBYLEX', 'l', '-', '+'],
      ['ZREVRANGEBYLEX', 'l', '+', '-'],
    );
    await diff(steps);
  });

  it('ZRANGESTORE', async () => {
    await both([
      seed,
      lex,
      ['ZRANGESTORE', 'dst', 'z', '0', '-1'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['ZRANGESTORE', 'dst', 'z', '1', '3', 'REV'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['ZRANGESTORE', 'dst', 'z', '(1', '3', 'BYSCORE', 'LIMIT', '1', '2'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['ZRANGESTORE', 'dst', 'z', '3', '1', 'BYSCORE', 'REV'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['ZRANGESTORE', 'dst', 'lx', '[b', '+', 'BYLEX', 'LIMIT', '0', '3'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['ZRANGESTORE', 'dst', 'z', '5', '1'],
      ['EXISTS', 'dst'],
      ['ZRANGESTORE', 'dst', 'z', '0', '0'],
      ['ZRANGESTORE', 'dst', 'nokey', '0', '-1'],
      ['EXISTS', 'dst'],
      ['ZRANGESTORE', 'z2', 'z', '0', '-1', 'WITHSCORES'],
      ['ZRANGESTORE', 'z2', 'z', '0', '-1', 'LIMIT', '0', '1'],
      ['ZRANGESTORE', 'z2', 'z', 'x', '1'],
      ['ZRANGESTORE', 'z2', 'z', 'x', '1', 'BYSCORE'],
      ['ZRANGESTORE', 'z2', 'z', 'x', '1', 'BYLEX'],
      ['ZRANGESTORE', 'z2', 'z', '0'],
      wrongType('l'),
      ['ZRANGESTORE', 'dst', 'l', '0', '-1'],
      ['ZRANGESTORE', 'l', 'z', '0', '1'],
      ['ZRANGE', 'l', '0', '-1'],
      ['ZRANGESTORE', 'z', 'z', '0', '1'],
      ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
    ]);
  });

  it('ZREMRANGEBYSCORE / ZREMRANGEBYRANK / ZREMRANGEBYLEX', async () => {
    const steps: Step[] = [];
    for (const [a, b] of [['0', '-1'], ['1', '2'], ['-3', '-1'], ['5', '1'], ['100', '200'], ['-100', '0'], ['0', '100']]) {
      steps.push(seed, ['ZREMRANGEBYRANK', 'z', a, b], ['ZRANGE', 'z', '0', '-1']);
    }
    for (const [a, b] of [['-inf', '+inf'], ['1', '3'], ['(1', '(3'], ['3', '1'], ['(1', '1'], ['-inf', '0'], ['inf', 'inf']]) {
      steps.push(seed, ['ZREMRANGEBYSCORE', 'z', a, b], ['ZRANGE', 'z', '0', '-1']);
    }
    for (const [a, b] of [['-', '+'], ['[a', '[c'], ['(a', '(c'], ['[c', '[a'], ['+', '-'], ['[b\x00', '+'], ['-', '(aa']]) {
      steps.push(lex, ['ZREMRANGEBYLEX', 'lx', a, b], ['ZRANGE', 'lx', '0', '-1']);
    }
    steps.push(
      ['EXISTS', 'lx'],
      ['ZREMRANGEBYRANK', 'z', 'x', '1'],
      ['ZREMRANGEBYRANK', 'z', '0', '1.5'],
      ['ZREMRANGEBYSCORE', 'z', 'x', '1'],
      ['ZREMRANGEBYSCORE', 'z', '1', 'nan'],
      ['ZREMRANGEBYLEX', 'z', 'x', '+'],
      ['ZREMRANGEBYRANK', 'nokey', '0', '-1'],
      ['ZREMRANGEBYRANK', 'nokey', 'x', '-1'],
      ['ZREMRANGEBYSCORE', 'nokey', '0', '1'],
      ['ZREMRANGEBYLEX', 'nokey', '-', '+'],
      ['ZREMRANGEBYLEX', 'nokey', 'x', '+'],
      ['ZREMRANGEBYRANK', 'z', '0'],
      wrongType('l'),
      ['ZREMRANGEBYRANK', 'l', '0', '1'],
      ['ZREMRANGEBYSCORE', 'l', '0', '1'],
      ['ZREMRANGEBYLEX', 'l', '-', '+'],
      ['ZREMRANGEBYLEX', 'l', 'x', '+'],
    );
    await diff(steps);
  });

  it('ZPOPMIN / ZPOPMAX', async () => {
    await both([
      seed,
      ['ZPOPMIN', 'z'],
      ['ZPOPMAX', 'z'],
      ['ZPOPMIN', 'z', '2'],
      ['ZPOPMAX', 'z', '1'],
      ['ZPOPMIN', 'z', '0'],
      ['ZPOPMAX', 'z', '0'],
      ['ZPOPMIN', 'z', '-1'],
      ['ZPOPMIN', 'z', 'x'],
      ['ZPOPMIN', 'z', '1', '2'],
      ['ZPOPMAX', 'z', '1', '2'],
      ['ZPOPMAX', 'z', '100'],
      ['EXISTS', 'z'],
      ['ZPOPMIN', 'z'],
      ['ZPOPMIN', 'z', '2'],
      ['ZPOPMAX', 'nokey'],
      ['ZPOPMAX', 'nokey', '0'],
      ['ZPOPMAX', 'nokey', '-1'],
      ['ZPOPMIN'],
      wrongType('l'),
      ['ZPOPMIN', 'l'],
      ['ZPOPMAX', 'l', '2'],
      ['ZPOPMAX', 'l', '0'],
      ['ZPOPMAX', 'l', '-1'],
    ]);
  });

  it('ZSCAN on small sorted sets (listpack: all at once, score order)', async () => {
    await both([
      seed,
      ['ZSCAN', 'z', '0'],
      ['ZSCAN', 'z', '0', 'COUNT', '2'],
      ['ZSCAN', 'z', '7', 'COUNT', '100'],
      ['ZSCAN', 'z', '0', 'MATCH', 'd*'],
      ['ZSCAN', 'z', '0', 'MATCH', '*'],
      ['ZSCAN', 'z', '0', 'match', '?', 'count', '1'],
      ['ZSCAN', 'z', '0', 'COUNT', '0'],
      ['ZSCAN', 'z', '0', 'COUNT', '-1'],
      ['ZSCAN', 'z', '0', 'COUNT', 'x'],
      ['ZSCAN', 'z', '0', 'COUNT'],
      ['ZSCAN', 'z', '0', 'TYPE', 'zset'],
      ['ZSCAN', 'z', '0', 'FOO', 'bar'],
      ['ZSCAN', 'z', 'x'],
      ['ZSCAN', 'z', '-1'],
      ['ZSCAN', 'z', ''],
      ['ZSCAN', 'z', ' 0'],
      ['ZSCAN', 'z', '18446744073709551616'],
      ['ZSCAN', 'nokey', '0'],
      ['ZSCAN', 'nokey', '0', 'FOO'],
      ['ZSCAN', 'nokey', 'x'],
      ['ZSCAN', 'z'],
      wrongType('l'),
      ['ZSCAN', 'l', '0'],
      ['ZSCAN', 'l', 'x'],
    ]);
  });

  it('ZSCAN on a large sorted set returns every member once (order may differ)', async () => {
    const members: string[] = [];
    for (let i = 0; i < 300; i++) members.push(String(i % 7), `m${i}`);
    const steps: Step[] = [['ZADD', 'big', ...members]];
    // Redis's dict order differs from ours; compare the union of a full iteration instead.
    await diff(steps);
    const { RawClient } = await import('../helpers/raw-client.js');
    const collect = async (port: number): Promise<string[]> => {
      const c = await RawClient.connect(port);
      const seen: string[] = [];
      let cursor = '0';
      do {
        const r = await c.call('ZSCAN', 'big', cursor, 'COUNT', '17');
        if (r.t !== 'array') throw new Error('bad reply');
        cursor = (r.v[0] as { v: string }).v;
        const items = (r.v[1] as { v: { v: string }[] }).v;
        for (let i = 0; i < items.length; i += 2) seen.push(`${items[i].v}=${items[i + 1].v}`);
      } while (cursor !== '0');
      c.close();
      return seen.sort();
    };
    const [a, b] = await Promise.all([collect(servers.ls.port), collect(servers.rs.port)]);
    const { expect } = await import('vitest');
    expect(new Set(a).size).toBe(300);
    expect([...new Set(a)].sort()).toEqual([...new Set(b)].sort());
  });

  it('ZUNIONSTORE / ZINTERSTORE / ZDIFFSTORE with WEIGHTS and AGGREGATE', async () => {
    const steps: Step[] = [
      ['ZADD', 'a', '1', 'x', '2', 'y', '3', 'z', 'inf', 'i', '-inf', 'n'],
      ['ZADD', 'b', '10', 'y', '20', 'z', '30', 'w', 'inf', 'i', 'inf', 'n'],
      ['ZADD', 'c', '0.1', 'z', '0.2', 'y'],
    ];
    const opts: string[][] = [[], ['WEIGHTS', '1', '2'], ['WEIGHTS', '0', '0'], ['WEIGHTS', '-1', '0.5'], ['AGGREGATE', 'SUM'],
      ['AGGREGATE', 'min'], ['AGGREGATE', 'MAX'], ['WEIGHTS', '2', '3', 'AGGREGATE', 'max'], ['AGGREGATE', 'min', 'WEIGHTS', '1', '-1'],
      ['WEIGHTS', 'inf', '1'], ['WEIGHTS', '1', '2', 'WEIGHTS', '3', '4']];
    for (const cmd of ['ZUNIONSTORE', 'ZINTERSTORE']) {
      for (const o of opts) steps.push([cmd, 'out', '2', 'a', 'b', ...o], ['ZRANGE', 'out', '0', '-1', 'WITHSCORES']);
      steps.push(
        [cmd, 'out', '3', 'a', 'b', 'c'], ['ZRANGE', 'out', '0', '-1', 'WITHSCORES'],
        [cmd, 'out', '1', 'a'], ['ZRANGE', 'out', '0', '-1', 'WITHSCORES'],
        [cmd, 'out', '2', 'a', 'a'], ['ZRANGE', 'out', '0', '-1', 'WITHSCORES'],
        [cmd, 'out', '2', 'a', 'nokey'], ['ZRANGE', 'out', '0', '-1', 'WITHSCORES'],
        [cmd, 'out', '2', 'nokey', 'nokey2'], ['EXISTS', 'out'],
        [cmd, 'a2', '2', 'a', 'a2'],
        [cmd, 'out', '0', 'a'],
        [cmd, 'out', '-1', 'a'],
        [cmd, 'out', 'x', 'a'],
        [cmd, 'out', '3', 'a', 'b'],
        [cmd, 'out', '2', 'a', 'b', 'WEIGHTS', '1'],
        [cmd, 'out', '2', 'a', 'b', 'WEIGHTS', '1', 'x'],
        [cmd, 'out', '2', 'a', 'b', 'WEIGHTS', '1', 'nan'],
        [cmd, 'out', '2', 'a', 'b', 'AGGREGATE'],
        [cmd, 'out', '2', 'a', 'b', 'AGGREGATE', 'avg'],
        [cmd, 'out', '2', 'a', 'b', 'WITHSCORES'],
        [cmd, 'out', '2', 'a', 'b', 'FOO'],
        [cmd, 'out', '2'],
        [cmd, 'out'],
      );
    }
    steps.push(
      ['ZDIFFSTORE', 'out', '2', 'a', 'b'], ['ZRANGE', 'out', '0', '-1', 'WITHSCORES'],
      ['ZDIFFSTORE', 'out', '3', 'a', 'b', 'c'], ['ZRANGE', 'out', '0', '-1', 'WITHSCORES'],
      ['ZDIFFSTORE', 'out', '1', 'a'], ['ZRANGE', 'out', '0', '-1', 'WITHSCORES'],
      ['ZDIFFSTORE', 'out', '2', 'a', 'a'], ['EXISTS', 'out'],
      ['ZDIFFSTORE', 'out', '1', 'nokey'],
      ['ZDIFFSTORE', 'out', '2', 'a', 'b', 'WEIGHTS', '1', '2'],
      ['ZDIFFSTORE', 'out', '2', 'a', 'b', 'AGGREGATE', 'MIN'],
      ['ZDIFFSTORE', 'out', '0', 'a'],
      ['ZDIFFSTORE', 'out', '3', 'a', 'b'],
      wrongType('l'),
      ['ZUNIONSTORE', 'out', '2', 'a', 'l'],
      ['ZINTERSTORE', 'out', '2', 'l', 'a'],
      ['ZDIFFSTORE', 'out', '2', 'a', 'l'],
      ['ZUNIONSTORE', 'l', '1', 'a'],
      ['ZRANGE', 'l', '0', '-1'],
    );
    await diff(steps);
  });

  it('ZUNION / ZINTER / ZDIFF / ZINTERCARD', async () => {
    await both([
      ['ZADD', 'a', '1', 'x', '2', 'y', '3', 'z'],
      ['ZADD', 'b', '10', 'y', '20', 'z', '30', 'w'],
      ['ZUNION', '2', 'a', 'b'],
      ['ZUNION', '2', 'a', 'b', 'WITHSCORES'],
      ['ZUNION', '2', 'a', 'b', 'WEIGHTS', '2', '1', 'AGGREGATE', 'MIN', 'WITHSCORES'],
      ['ZINTER', '2', 'a', 'b', 'WITHSCORES'],
      ['ZINTER', '2', 'a', 'b', 'AGGREGATE', 'MAX', 'WITHSCORES'],
      ['ZINTER', '2', 'a', 'nokey'],
      ['ZDIFF', '2', 'a', 'b'],
      ['ZDIFF', '2', 'b', 'a', 'WITHSCORES'],
      ['ZDIFF', '1', 'nokey'],
      ['ZDIFF', '2', 'a', 'b', 'WEIGHTS', '1', '1'],
      ['ZINTERCARD', '2', 'a', 'b'],
      ['ZINTERCARD', '2', 'a', 'b', 'LIMIT', '0'],
      ['ZINTERCARD', '2', 'a', 'b', 'LIMIT', '1'],
      ['ZINTERCARD', '2', 'a', 'b', 'LIMIT', '-1'],
      ['ZINTERCARD', '2', 'a', 'b', 'LIMIT', 'x'],
      ['ZINTERCARD', '2', 'a', 'b', 'WITHSCORES'],
      ['ZINTERCARD', '2', 'a', 'b', 'WEIGHTS', '1', '2'],
      ['ZINTERCARD', '1', 'nokey'],
      ['ZINTERCARD', '0', 'a'],
      ['ZINTERCARD', '3', 'a', 'b'],
      ['ZUNION', '0', 'a'],
      ['ZINTER', '3', 'a'],
      ['ZDIFF', 'x', 'a'],
    ]);
  });

  it.skipIf(!hasCommand('sadd'))('set-algebra commands take plain sets as inputs (score 1)', async () => {
    await diff([
      ['ZADD', 'a', '1', 'x', '2', 'y', '3', 'z'],
      ['SADD', 's', 'y', 'z', 'q'],
      ['ZUNIONSTORE', 'out', '2', 'a', 's', 'WEIGHTS', '1', '5'],
      ['ZRANGE', 'out', '0', '-1', 'WITHSCORES'],
      ['ZINTERSTORE', 'out', '2', 's', 'a'],
      ['ZRANGE', 'out', '0', '-1', 'WITHSCORES'],
      ['ZDIFF', '2', 's', 'a', 'WITHSCORES'],
      ['ZINTERCARD', '2', 'a', 's'],
    ]);
  });

  it('double formatting of scores (RESP2 %.17g bulk, RESP3 double)', async () => {
    const scores = ['0.1', '0.2', '0.3', '1.1', '3.14159', '-2.5', '100', '1e15', '1e16', '1e17', '1.5e17', '123456789012345678',
      '1e-4', '1.5e-5', '9.999e-5', '0.000123', '1e21', '1e22', '-1e-300', '2.2250738585072014e-308', '4.9e-324',
      '1.7976931348623157e308', '33.333333333333336', '0.1e1', '-0', '0', '12345.6789', '1e100', '7e-10'];
    const steps: Step[] = [];
    scores.forEach((s, i) => steps.push(['ZADD', 'z', s, `m${i}`], ['ZSCORE', 'z', `m${i}`]));
    steps.push(['ZRANGE', 'z', '0', '-1', 'WITHSCORES'], ['ZINCRBY', 'z', '0.1', 'm0'], ['ZINCRBY', 'z', '0.7', 'm1']);
    await both(steps);
  });

  it('large (skip-list encoded) sorted sets: ranges, counts, ranks, removals', async () => {
    const members: string[] = [];
    for (let i = 0; i < 400; i++) members.push(String((i * 37) % 50), `m${String(i).padStart(3, '0')}`);
    const lexMembers: string[] = [];
    for (let i = 0; i < 300; i++) lexMembers.push('0', `k${(i * 7919) % 1000}`);
    const steps: Step[] = [['ZADD', 'big', ...members], ['ZADD', 'blex', ...lexMembers]];
    for (const [a, b] of [['0', '9'], ['100', '120'], ['-10', '-1'], ['390', '500'], ['-400', '-390'], ['250', '249']]) {
      steps.push(['ZRANGE', 'big', a, b, 'WITHSCORES'], ['ZRANGE', 'big', a, b, 'REV']);
    }
    for (const lim of [['0', '5'], ['10', '10'], ['150', '3'], ['-1', '5'], ['399', '10'], ['5', '-1']]) {
      steps.push(
        ['ZRANGEBYSCORE', 'big', '(10', '20', 'LIMIT', ...lim],
        ['ZREVRANGEBYSCORE', 'big', '40', '-inf', 'WITHSCORES', 'LIMIT', ...lim],
        ['ZRANGEBYLEX', 'blex', '[k2', '(k5', 'LIMIT', ...lim],
        ['ZREVRANGEBYLEX', 'blex', '+', '[k9', 'LIMIT', ...lim],
      );
    }
    steps.push(
      ['ZCOUNT', 'big', '10', '20'], ['ZCOUNT', 'big', '(10', '(20'], ['ZCOUNT', 'big', '-inf', '+inf'],
      ['ZLEXCOUNT', 'blex', '[k3', '(k4'], ['ZLEXCOUNT', 'blex', '-', '+'],
      ['ZRANK', 'big', 'm123'], ['ZREVRANK', 'big', 'm123'], ['ZRANK', 'blex', 'k500'],
      ['ZREMRANGEBYRANK', 'big', '10', '19'], ['ZREMRANGEBYSCORE', 'big', '(30', '35'], ['ZREMRANGEBYLEX', 'blex', '[k1', '(k2'],
      ['ZPOPMIN', 'big', '3'], ['ZPOPMAX', 'big', '3'], ['ZCARD', 'big'], ['ZCARD', 'blex'],
      ['ZRANGE', 'big', '0', '-1', 'WITHSCORES'], ['ZRANGE', 'blex', '0', '-1'],
      ['ZRANGESTORE', 'dst', 'big', '5', '30', 'BYSCORE', 'LIMIT', '7', '100'], ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['ZUNIONSTORE', 'u', '2', 'big', 'blex', 'WEIGHTS', '2', '1'], ['ZRANGE', 'u', '100', '140', 'WITHSCORES'],
      ['ZINTERSTORE', 'i', '2', 'big', 'dst', 'AGGREGATE', 'MAX'], ['ZRANGE', 'i', '0', '-1', 'WITHSCORES'],
    );
    await diff(steps);
  });

  it('negative zero scores', async () => {
    await both([
      ['ZADD', 'a', '0', 'x', '-0', 'y', '1', 'z'],
      ['ZSCORE', 'a', 'y'],
      ['ZINCRBY', 'a', '-0', 'x'],
      ['ZUNIONSTORE', 'out', '1', 'a', 'WEIGHTS', '-1'],
      ['ZRANGE', 'out', '0', '-1', 'WITHSCORES'],
      ['ZRANGESTORE', 'out2', 'a', '0', '-1'],
      ['ZRANGE', 'out2', '0', '-1', 'WITHSCORES'],
      ['ZUNION', '1', 'a', 'WEIGHTS', '-1', 'WITHSCORES'],
      ['ZINTER', '1', 'a', 'WEIGHTS', '-1', 'WITHSCORES'],
    ]);
  });

  it('ZMPOP / BZMPOP / BZPOPMIN / BZPOPMAX', async () => {
    await both([
      ['ZADD', 'a', '1', 'x', '2', 'y', '3', 'z', '4', 'w'],
      ['ZADD', 'b', '10', 'p', '20', 'q'],
      ['ZMPOP', '1', 'a', 'MIN'],
      ['ZMPOP', '1', 'a', 'MAX'],
      ['ZMPOP', '2', 'nokey', 'a', 'min', 'COUNT', '5'],
      ['EXISTS', 'a'],
      ['ZMPOP', '2', 'a', 'b', 'max', 'count', '1'],
      ['ZMPOP', '1', 'nokey', 'MIN'],
      ['BZMPOP', '0', '2', 'nokey', 'b', 'MIN', 'COUNT', '10'],
      ['ZADD', 'c', '1', 'x', '2', 'y', '3', 'z'],
      ['BZPOPMIN', 'nokey', 'c', '0'],
      ['BZPOPMAX', 'c', '0.5'],
      ['BZPOPMIN', 'c', 'c', '1'],
      ['EXISTS', 'c'],
      ['ZADD', 'c', '1', 'x'],
      ['ZMPOP', '0', 'c', 'MIN'],
      ['ZMPOP', 'x', 'c', 'MIN'],
      ['ZMPOP', '2', 'c', 'MIN'],
      ['ZMPOP', '1', 'c', 'FOO'],
      ['ZMPOP', '1', 'c', 'MIN', 'COUNT', '0'],
      ['ZMPOP', '1', 'c', 'MIN', 'COUNT', 'x'],
      ['ZMPOP', '1', 'c', 'MIN', 'COUNT', '1', 'COUNT', '2'],
      ['ZMPOP', '1', 'c', 'MIN', 'BAR'],
      ['ZMPOP', '1', 'c'],
      ['BZMPOP', 'x', '1', 'c', 'MIN'],
      ['BZMPOP', 'x', '0', 'c', 'MIN'],
      ['BZMPOP', '-1', '1', 'c', 'MAX'],
      ['BZMPOP', '0', '1', 'c'],
      ['BZPOPMIN', 'c', 'x'],
      ['BZPOPMIN', 'c', '-1'],
      ['BZPOPMAX', 'c'],
      ['BZPOPMIN', 'nokey', '0.05'],
      ['BZPOPMAX', 'nokey', 'nokey2', '0.05'],
      ['BZMPOP', '0.05', '1', 'nokey', 'MIN'],
      wrongType('l'),
      ['ZMPOP', '1', 'l', 'MIN'],
      ['ZMPOP', '2', 'c', 'l', 'MIN'],
      ['BZPOPMIN', 'l', '0'],
      ['BZPOPMIN', 'nokey', 'l', '0'],
      ['BZMPOP', '0', '2', 'nokey', 'l', 'MIN'],
      ['MULTI'],
      ['BZPOPMIN', 'nokey', '0'],
      ['BZMPOP', '0', '1', 'nokey', 'MAX'],
      ['BZPOPMAX', 'c', '0'],
      ['EXEC'],
    ]);
  });

  it('ZRANDMEMBER: errors, empty cases and whole-set answers are exact', async () => {
    await both([
      seed,
      ['ZRANDMEMBER', 'nokey'],
      ['ZRANDMEMBER', 'nokey', '5'],
      ['ZRANDMEMBER', 'nokey', '-5', 'WITHSCORES'],
      ['ZRANDMEMBER', 'z', '0'],
      ['ZRANDMEMBER', 'z', '0', 'WITHSCORES'],
      ['ZRANDMEMBER', 'z', '12'],
      ['ZRANDMEMBER', 'z', '100', 'WITHSCORES'],
      ['ZRANDMEMBER', 'z', '9223372036854775807'],
      ['ZRANDMEMBER', 'z', '-9223372036854775808'],
      ['ZRANDMEMBER', 'z', '-9223372036854775807', 'WITHSCORES'],
      ['ZRANDMEMBER', 'z', '4611686018427387904', 'WITHSCORES'],
      ['ZRANDMEMBER', 'z', '4611686018427387903', 'WITHSCORES'],
      ['ZRANDMEMBER', 'z', 'x'],
      ['ZRANDMEMBER', 'z', '1', 'FOO'],
      ['ZRANDMEMBER', 'z', '1', 'WITHSCORES', 'x'],
      ['ZRANDMEMBER', 'nokey', '1', 'FOO'],
      ['ZADD', 'big', ...Array.from({ length: 200 }, (_, i) => [String(i % 13), `m${i}`]).flat()],
      ['ZRANDMEMBER', 'big', '200'],
      ['ZRANDMEMBER', 'big', '1000', 'WITHSCORES'],
      wrongType('l'),
      ['ZRANDMEMBER', 'l'],
      ['ZRANDMEMBER', 'l', '1'],
      ['ZRANDMEMBER', 'l', 'x'],
    ]);
  });

  it('ZRANDMEMBER: random picks have the right shape and come from the set', async () => {
    const { RawClient } = await import('../helpers/raw-client.js');
    const { expect } = await import('vitest');
    for (const db of servers.ls.server.dbs) db.clear();
    const c = await RawClient.connect(servers.ls.port);
    const members = Array.from({ length: 50 }, (_, i) => `m${i}`);
    await c.call('ZADD', 'z', ...members.flatMap((m, i) => [String(i), m]));
    const one = await c.call('ZRANDMEMBER', 'z');
    expect(one.t === 'bulk' && members.includes(one.v)).toBe(true);
    for (const n of [1, 5, 20, 49]) {
      const r = await c.call('ZRANDMEMBER', 'z', String(n));
      const got = r.t === 'array' ? r.v.map((x) => (x as { v: string }).v) : [];
      expect(got.length).toBe(n);
      expect(new Set(got).size).toBe(n); // distinct
      for (const m of got) expect(members).toContain(m);
    }
    const rep = await c.call('ZRANDMEMBER', 'z', '-200');
    expect(rep.t === 'array' && rep.v.length).toBe(200);
    const ws = await c.call('ZRANDMEMBER', 'z', '3', 'WITHSCORES');
    expect(ws.t === 'array' && ws.v.length).toBe(6);
    if (ws.t === 'array') for (let i = 0; i < 6; i += 2) expect((ws.v[i + 1] as { v: string }).v).toBe(String(members.indexOf((ws.v[i] as { v: string }).v)));
    await c.call('HELLO', '3');
    const ws3 = await c.call('ZRANDMEMBER', 'z', '-3', 'WITHSCORES');
    expect(ws3.t === 'array' && ws3.v.every((p) => p.t === 'array' && p.v.length === 2 && p.v[1].t === 'double')).toBe(true);
    c.close();
  });
});
