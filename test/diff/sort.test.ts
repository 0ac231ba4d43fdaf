// Differential tests for SORT and SORT_RO: every option (BY with patterns, constants and hash fields,
// LIMIT, GET #/patterns/hash fields, ASC/DESC, ALPHA, STORE), every error reply (syntax, LIMIT
// integers, WRONGTYPE, score conversion, the ACL rule for BY/GET patterns, STORE refused by SORT_RO),
// the store semantics (list result, TTL cleared, destination deleted when empty, keyspace events),
// the movable-keys metadata (COMMAND GETKEYS, INFO's first seven fields; key specs and DOCS argument
// names come from the shared metadata code), and a seeded randomized cross-check of option combinations on lists,
// sets and sorted sets — replies compared byte for byte with redis-server 7.0.15.
import { describe, expect, it } from 'vitest';
import { diffServers, Step } from '../helpers/diff.js';
import { RawClient } from '../helpers/raw-client.js';
import { show } from '../helpers/resp.js';
import { skipReason } from '../helpers/servers.js';

/** Deterministic PRNG (mulberry32) so a failure names a reproducible seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe.skipIf(skipReason('SORT differential tests', 'redis-server'))('SORT: differential vs redis-server', () => {
  const s = diffServers();

  it('numeric and ALPHA sorts of lists, sets and sorted sets, ASC/DESC, ties by element bytes', async () => {
    await s.diff([
      ['RPUSH', 'l', '3', '1', '2', '10', '-5', '1.5', '1e2', '2', ' 7', '0x10', 'inf', '-inf'],
      ['SORT', 'l'],
      ['SORT', 'l', 'DESC'],
      ['SORT', 'l', 'ASC'],
      ['SORT', 'l', 'desc', 'asc'],
      ['SORT_RO', 'l'],
      ['RPUSH', 'w', 'banana', 'apple', 'Cherry', 'apple', '', 'b\x00z', 'b', '\xff', 'a\x01'],
      ['SORT', 'w', 'ALPHA'],
      ['SORT', 'w', 'ALPHA', 'DESC'],
      ['SORT', 'w'],
      ['SADD', 's', '5', '3', '100', '-2'],
      ['SORT', 's'],
      ['SORT', 's', 'DESC'],
      ['SORT', 's', 'ALPHA'],
      ['SADD', 'sa', 'x', 'y', 'a', 'b', 'c'],
      ['SORT', 'sa', 'ALPHA'],
      ['SORT', 'sa', 'ALPHA', 'DESC', 'LIMIT', '1', '2'],
      ['ZADD', 'z', '1', 'c', '2', 'b', '3', 'a'],
      ['SORT', 'z', 'ALPHA'],
      ['ZADD', 'zn', '3', '10', '2', '20', '1', '30'],
      ['SORT', 'zn'],
      ['SORT', 'zn', 'DESC'],
      // equal scores: ordered by the elements' bytes (and reversed by DESC)
      ['RPUSH', 'eq', '1.0', '1', '01', '1e0', '+1'],
      ['SORT', 'eq'],
      ['SORT', 'eq', 'DESC'],
      ['SORT', 'missing'],
      ['SORT', 'missing', 'ALPHA', 'DESC', 'LIMIT', '0', '5'],
    ]);
  });

  it('LIMIT offset count: negative, zero, past the end, huge', async () => {
    const steps: Step[] = [['RPUSH', 'l', '5', '4', '3', '2', '1'], ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c', '4', 'd']];
    const limits = [
      ['0', '0'], ['0', '1'], ['1', '2'], ['-1', '2'], ['2', '-1'], ['4', '10'], ['5', '1'], ['6', '1'], ['100', '-5'],
      ['-100', '-100'], ['0', '9223372036854775807'], ['9223372036854775807', '1'], ['-9223372036854775808', '3'],
    ];
    for (const [o, c] of limits) {
      steps.push(['SORT', 'l', 'LIMIT', o, c]);
      steps.push(['SORT', 'l', 'LIMIT', o, c, 'DESC']);
      steps.push(['SORT', 'l', 'BY', 'nosort', 'LIMIT', o, c]);
      steps.push(['SORT', 'l', 'BY', 'nosort', 'LIMIT', o, c, 'DESC']);
      steps.push(['SORT', 'z', 'BY', 'nosort', 'LIMIT', o, c]);
      steps.push(['SORT', 'z', 'BY', 'nosort', 'LIMIT', o, c, 'DESC']);
      steps.push(['SORT', 'z', 'ALPHA', 'LIMIT', o, c, 'DESC']);
    }
    steps.push(['SORT', 'missing', 'LIMIT', '0', '1']);
    await s.diff(steps);
  });

  it('BY: patterns, constants (nosort), hash fields, missing weights, zset order kept', async () => {
    await s.diff([
      ['RPUSH', 'l', 'a', 'b', 'c', 'd'],
      ['MSET', 'w_a', '3', 'w_b', '1', 'w_c', '2'],
      ['SORT', 'l', 'BY', 'w_*'],
      ['SORT', 'l', 'BY', 'w_*', 'DESC'],
      ['SORT', 'l', 'BY', 'w_*', 'LIMIT', '1', '2'],
      ['SORT', 'l', 'BY', 'nosort'],
      ['SORT', 'l', 'BY', 'nosort', 'DESC'],
      ['SORT', 'l', 'BY', 'constant', 'ALPHA'],
      ['SORT', 'l', 'BY', 'nosort', 'BY', 'w_*'],
      ['SORT', 'l', 'BY', 'w_*', 'BY', 'nosort'],
      ['SORT', 'l', 'BY', 'w_*', 'ALPHA'],
      ['MSET', 'aw_a', 'pear', 'aw_b', 'apple', 'aw_c', 'fig', 'aw_d', 'kiwi'],
      ['SORT', 'l', 'BY', 'aw_*', 'ALPHA'],
      ['SORT', 'l', 'BY', 'aw_*', 'ALPHA', 'DESC'],
      ['SORT', 'l', 'BY', 'aw_*', 'ALPHA', 'LIMIT', '0', '2'],
      ['HSET', 'h_a', 'f', '30', 'g', 'x'],
      ['HSET', 'h_b', 'f', '10'],
      ['HSET', 'h_c', 'f', '20'],
      ['HSET', 'h_d', 'f', '40'],
      ['SORT', 'l', 'BY', 'h_*->f'],
      ['SORT', 'l', 'BY', 'h_*->f', 'DESC'],
      ['SORT', 'l', 'BY', 'h_*->nofield'],
      ['SORT', 'l', 'BY', 'h_*->'],
      ['SORT', 'l', 'BY', 'w_*->f'],
      ['SORT', 'l', 'BY', '*'],
      ['SORT', 'l', 'BY', 'x*y*z'],
      ['SET', 'pa-sfx', '9'],
      ['SET', 'pb-sfx', '1'],
      ['SORT', 'l', 'BY', 'p*-sfx'],
      // a weight of the wrong type counts as missing
      ['RPUSH', 'w_d', 'x'],
      ['SORT', 'l', 'BY', 'w_*'],
      ['ZADD', 'z', '3', 'a', '1', 'b', '2', 'c', '2', 'bb'],
      ['SORT', 'z', 'BY', 'nosort'],
      ['SORT', 'z', 'BY', 'nosort', 'DESC'],
      ['SORT', 'z', 'BY', 'nosort', 'LIMIT', '1', '2'],
      ['SORT', 'z', 'BY', 'nosort', 'DESC', 'LIMIT', '1', '2'],
      ['SORT', 'z', 'BY', 'nosort', 'GET', '#', 'GET', 'w_*'],
      ['SORT', 'z', 'BY', 'w_*'],
      // an intset iterates in ascending order; with STORE Redis forces an ALPHA sort
      ['SADD', 'is', '30', '4', '100', '-1'],
      ['SORT', 'is', 'BY', 'nosort'],
      ['SORT', 'is', 'BY', 'nosort', 'LIMIT', '1', '2'],
      ['SORT', 'is', 'BY', 'nosort', 'STORE', 'dst'],
      ['LRANGE', 'dst', '0', '-1'],
      ['SORT', 'is', 'BY', 'nosort', 'DESC', 'STORE', 'dst'],
      ['LRANGE', 'dst', '0', '-1'],
    ]);
  });

  it('GET: #, patterns, hash fields, several GETs, missing values, with STORE', async () => {
    await s.diff([
      ['RPUSH', 'l', '2', '1', '3'],
      ['MSET', 'o_1', 'one', 'o_2', 'two'],
      ['HSET', 'h_1', 'name', 'n1'],
      ['HSET', 'h_3', 'name', 'n3'],
      ['SORT', 'l', 'GET', '#'],
      ['SORT', 'l', 'GET', 'o_*'],
      ['SORT', 'l', 'GET', '#', 'GET', 'o_*', 'GET', 'h_*->name'],
      ['SORT', 'l', 'GET', 'nostar'],
      ['SORT', 'l', 'GET', 'h_*->'],
      ['SORT', 'l', 'GET', '##'],
      ['SORT', 'l', 'GET', 'o_*', 'LIMIT', '1', '5', 'DESC'],
      ['SORT', 'l', 'GET', 'o_*', 'STORE', 'dst'],
      ['LRANGE', 'dst', '0', '-1'],
      ['SORT', 'l', 'GET', '#', 'GET', 'h_*->name', 'STORE', 'dst'],
      ['LRANGE', 'dst', '0', '-1'],
      ['SORT', 'l', 'BY', 'nosort', 'GET', 'o_*', 'LIMIT', '0', '0', 'STORE', 'dst'],
      ['EXISTS', 'dst'],
    ]);
    await s.diff(
      [
        ['RPUSH', 'l', '2', '1'],
        ['SET', 'o_1', 'one'],
        ['SORT', 'l', 'GET', 'o_*', 'GET', '#'],
        ['SORT_RO', 'l', 'GET', 'o_*'],
      ],
      true,
    );
  });

  it('STORE: a list replacing any type and its TTL, the destination deleted when empty, SORT_RO refuses it', async () => {
    await s.diff([
      ['RPUSH', 'l', 'b', 'a', 'c'],
      ['SET', 'dst', 'x', 'EX', '100'],
      ['SORT', 'l', 'ALPHA', 'STORE', 'dst'],
      ['TYPE', 'dst'],
      ['TTL', 'dst'],
      ['LRANGE', 'dst', '0', '-1'],
      ['OBJECT', 'ENCODING', 'dst'],
      ['HSET', 'hdst', 'f', 'v'],
      ['SORT', 'l', 'ALPHA', 'DESC', 'LIMIT', '0', '2', 'STORE', 'hdst'],
      ['LRANGE', 'hdst', '0', '-1'],
      ['SORT', 'l', 'ALPHA', 'STORE', 'a', 'STORE', 'b'],
      ['EXISTS', 'a'],
      ['LRANGE', 'b', '0', '-1'],
      ['SORT', 'missing', 'STORE', 'dst'],
      ['EXISTS', 'dst'],
      ['SORT', 'missing', 'STORE', 'dst'],
      ['SORT', 'l', 'ALPHA', 'LIMIT', '5', '1', 'STORE', 'b'],
      ['EXISTS', 'b'],
      ['SORT', 'l', 'ALPHA', 'STORE', 'l'],
      ['LRANGE', 'l', '0', '-1'],
      ['SORT_RO', 'l', 'STORE', 'dst'],
      ['SORT', 'l', 'STORE'],
      ['SORT', 'l', 'ALPHA', 'STORE', 'dst', 'GET', '#'],
      ['LRANGE', 'dst', '0', '-1'],
    ]);
  });

  it('errors: syntax, LIMIT integers, WRONGTYPE after the options, score conversion', async () => {
    await s.diff([
      ['SET', 'str', 'x'],
      ['HSET', 'hash', 'f', 'v'],
      ['XADD', 'stream', '1-1', 'f', 'v'],
      ['RPUSH', 'l', '1', 'x', '2'],
      ['SORT'],
      ['SORT_RO'],
      ['SORT', 'str'],
      ['SORT', 'hash'],
      ['SORT', 'stream'],
      ['SORT', 'str', 'BADOPT'],
      ['SORT', 'str', 'LIMIT', 'x', '1'],
      ['SORT', 'l', 'LIMIT', '1', 'x'],
      ['SORT', 'l', 'LIMIT', '1'],
      ['SORT', 'l', 'LIMIT', '1.5', '2'],
      ['SORT', 'l', 'LIMIT', ' 1', '2'],
      ['SORT', 'l', 'LIMIT', '99999999999999999999', '2'],
      ['SORT', 'l', 'BY'],
      ['SORT', 'l', 'GET'],
      ['SORT', 'l', 'ALPHA', 'BADOPT', 'LIMIT', 'x', 'y'],
      ['SORT', 'l'],
      ['SORT', 'l', 'DESC', 'STORE', 'dst'],
      ['EXISTS', 'dst'],
      ['SORT', 'l', 'ALPHA'],
      ['SORT', 'l', 'BY', 'nosort'],
      ['SORT_RO', 'l', 'ALPHA', 'STORE'],
    ]);
  });

  it('weights parse like strtod: spaces, hex, inf, empty, NUL bytes; junk, NaN, overflow and underflow fail', async () => {
    const weights = [
      '', ' 1', '\t2', '1 ', '0x10', '0X1p3', '0x1.8p1', '0x', '0xg', 'inf', '-inf', '+INF', 'Infinity', 'infin', 'nan', '-nan',
      '1e400', '-1e400', '1e-400', '0e-400', '4.9e-324', '2.2250738585072014e-308', '+5', '.5', '5.', '1e', '1e+', '1,5',
      '3\x00junk', '\x00', '   ', '-0', '1_0', '0b1', '٣',
    ];
    const steps: Step[] = [['RPUSH', 'l', 'a', 'b'], ['SET', 'w_b', '2']];
    // Redis 7.0 tests `errno == ERANGE` without clearing errno first, so an overflow or underflow
    // fails every later SORT until something resets errno: INCRBYFLOAT (string2ld) does, before each.
    const reset: Step = ['INCRBYFLOAT', 'errno-reset', '1'];
    for (const w of weights) {
      steps.push(['SET', 'w_a', w], reset, ['SORT', 'l', 'BY', 'w_*'], reset, ['SORT', 'l', 'BY', 'w_*', 'DESC']);
      steps.push(['DEL', 'e'], ['RPUSH', 'e', w, '1'], reset, ['SORT', 'e']);
    }
    steps.push(reset);
    await s.diff(steps);
  });

  it('BY/GET patterns need full key access (ACL), constants do not; STORE needs the key permission', async () => {
    const a = await RawClient.connect(s.ls.port);
    const b = await RawClient.connect(s.rs.port);
    const users: string[][] = [
      ['u1', 'on', 'nopass', '~foo*', '+@all'],
      ['u2', 'on', 'nopass', '%R~*', '+@all'],
      ['u3', 'on', 'nopass', '~*', '+@all'],
      ['u4', 'on', 'nopass', '~foo*', '+@all', '(~* +@all)'],
      ['u5', 'on', 'nopass', '%W~*', '+@all'],
      ['u6', 'on', 'nopass', 'allkeys', '+@all', '-sort', '(~foo* +sort)'],
      ['u7', 'on', 'nopass', '~foo*', '~*', '+@all'],
    ];
    const cmds: string[][] = [
      ['SORT', 'foo', 'BY', 'w_*'],
      ['SORT', 'foo', 'GET', '#'],
      ['SORT', 'foo', 'BY', 'nosort'],
      ['SORT', 'foo', 'BY', 'nosort', 'GET', '#'],
      ['SORT', 'foo', 'STORE', 'bar'],
      ['SORT', 'foo', 'STORE', 'foo2'],
      ['SORT', 'foo', 'BADOPT', 'GET', '#'],
      ['SORT', 'foo', 'GET', '#', 'BADOPT'],
      ['SORT', 'foo', 'LIMIT', '0', '1', 'GET', 'x_*'],
      ['SORT_RO', 'foo', 'GET', '#'],
      ['SORT_RO', 'foo', 'BY', 'w_*', 'DESC'],
      ['SORT', 'bar'],
    ];
    try {
      for (const c of [a, b]) {
        await c.call('FLUSHALL');
        await c.call('RPUSH', 'foo', '3', '1', '2');
        for (const u of users) await c.call('ACL', 'SETUSER', ...u);
      }
      for (const u of users) {
        for (const c of [a, b]) expect(show(await c.call('AUTH', u[0], 'x'))).toBe('status("OK")');
        for (const cmd of cmds) {
          const [ra, rb] = await Promise.all([a.call(...cmd), b.call(...cmd)]);
          expect(show(ra), `${u[0]}: ${cmd.join(' ')}`).toBe(show(rb));
        }
      }
      for (const c of [a, b]) {
        await c.call('AUTH', 'default', 'x');
        for (const u of users) await c.call('ACL', 'DELUSER', u[0]);
      }
    } finally {
      a.close();
      b.close();
    }
  });

  it('inside a script, BY nosort on a set is sorted (ALPHA) like with STORE; lists and zsets keep their order', async () => {
    await s.diff([
      ['SADD', 's', 'c', 'a', 'b'],
      ['RPUSH', 'l', 'c', 'a', 'b'],
      ['EVAL', "return redis.call('SORT', KEYS[1], 'BY', 'nosort')", '1', 's'],
      ['EVAL', "return redis.call('SORT', KEYS[1], 'BY', 'nosort', 'DESC')", '1', 's'],
      ['EVAL', "return redis.call('SORT', KEYS[1], 'BY', 'nosort')", '1', 'l'],
      ['EVAL', "return redis.call('SORT_RO', KEYS[1], 'ALPHA')", '1', 's'],
      ['EVAL', "return redis.call('SORT', KEYS[1], 'STORE', 'x')", '1', 's'],
    ]);
  });

  it('keyspace events: sortstore on the destination, del when an empty result deletes it', async () => {
    const evs = async (port: number): Promise<string[]> => {
      const sub = await RawClient.connect(port);
      const c = await RawClient.connect(port);
      try {
        await c.call('FLUSHALL');
        await c.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
        // Only SORT's own events (other commands' events belong to their families).
        await sub.call('SUBSCRIBE', '__keyevent@0__:sortstore', '__keyevent@0__:del');
        await sub.call('PSUBSCRIBE', '__keyspace@0__:dst*');
        await c.call('RPUSH', 'l', '2', '1');
        await c.call('SORT', 'l', 'STORE', 'dst');
        await c.call('SORT', 'missing', 'STORE', 'dst');
        await c.call('SORT', 'missing', 'STORE', 'dst');
        await c.call('SORT', 'l', 'STORE', 'dst2', 'LIMIT', '0', '0');
        await c.call('SORT', 'l', 'GET', 'nokey_*', 'STORE', 'dst3');
        await c.call('SORT', 'l', 'STORE', 'zend');
        const got: string[] = [];
        for (let i = 0; i < 100; i++) {
          const line = show(await sub.read());
          got.push(line);
          if (line.includes('zend')) break;
        }
        await c.call('CONFIG', 'SET', 'notify-keyspace-events', '');
        return got;
      } finally {
        sub.close();
        c.close();
      }
    };
    for (const db of s.ls.server.dbs) db.clear();
    const [x, y] = await Promise.all([evs(s.ls.port), evs(s.rs.port)]);
    expect(x).toEqual(y);
  });

  it('movable keys: COMMAND GETKEYS finds the sorted key and the last STORE destination', async () => {
    await s.diff([
      ['COMMAND', 'GETKEYS', 'SORT', 'a'],
      ['COMMAND', 'GETKEYS', 'SORT', 'a', 'STORE', 'b'],
      ['COMMAND', 'GETKEYS', 'SORT', 'a', 'BY', 'store', 'STORE', 'b'],
      ['COMMAND', 'GETKEYS', 'SORT', 'a', 'GET', 'store', 'LIMIT', '0', '1', 'STORE', 'b', 'STORE', 'c'],
      ['COMMAND', 'GETKEYS', 'SORT', 'a', 'LIMIT', 'store', 'x', 'ALPHA'],
      ['COMMAND', 'GETKEYS', 'SORT', 'a', 'STORE'],
      ['COMMAND', 'GETKEYS', 'SORT_RO', 'a'],
      { cmd: ['COMMAND', 'INFO', 'SORT', 'SORT_RO'], mask: (v) => (v.t === 'array' ? { t: 'array', v: v.v.map((e) => (e.t === 'array' ? { t: 'array', v: e.v.slice(0, 7) } : e)) } : v) },
    ]);
  });

  it('randomized cross-check: random lists/sets/zsets with random BY/GET/LIMIT/ALPHA/DESC/STORE (seeded)', async () => {
    const seed = Number(process.env.SORT_SEED ?? 13);
    const rand = rng(seed);
    const pick = <T,>(a: T[]): T => a[Math.floor(rand() * a.length)];
    const int = (lo: number, hi: number): number => lo + Math.floor(rand() * (hi - lo + 1));
    for (let round = 0; round < 40; round++) {
      const steps: Step[] = [];
      const n = int(0, 40);
      const type = pick(['list', 'set', 'zset']);
      // Elements are distinct numbers (so numeric sorts never see junk) from a small range with
      // duplicates in lists; BY weights are unique per element, so ALPHA/BY ties never arise
      // (Redis's partial qsort under LIMIT is unstable).
      const els: string[] = [];
      const seen = new Set<string>();
      for (let i = 0; i < n; i++) {
        let e = pick([`${int(-50, 50)}`, `${int(0, 9)}.${int(0, 9)}`, `${int(-5, 5)}e${int(0, 2)}`]);
        if (type !== 'list' || rand() < 0.7) {
          while (seen.has(e)) e = `${e}${int(0, 9)}`;
        }
        seen.add(e);
        els.push(e);
      }
      if (n > 0) {
        if (type === 'list') steps.push(['RPUSH', 'k', ...els]);
        else if (type === 'set') steps.push(['SADD', 'k', ...els]);
        else steps.push(['ZADD', 'k', ...els.flatMap((e, i) => [`${int(0, 5)}`, e.length > 0 ? e : `${i}`])]);
      }
      const uniq = [...new Set(els)];
      const perm = uniq.map((_, i) => i).sort(() => rand() - 0.5);
      uniq.forEach((e, i) => {
        // Every element has both weights: a missing one ties under ALPHA, and ties among set or
        // sorted-set members come out in Redis's hash-table order.
        steps.push(['SET', `w_${e}`, `${perm[i] * pick([1, -1])}.${int(0, 9)}${i}`]);
        steps.push(['HSET', `h_${e}`, 'f', `k${String(perm[i]).padStart(3, '0')}`, 'g', `${perm[i]}`]);
      });
      for (let q = 0; q < 8; q++) {
        const cmd = [pick(['SORT', 'SORT', 'SORT_RO']), 'k'];
        const by = pick([null, null, 'w_*', 'h_*->g', 'h_*->f', 'nosort']);
        const alpha = rand() < 0.4 || by === 'h_*->f';
        const opts: string[][] = [];
        if (by !== null) opts.push(['BY', by]);
        if (rand() < 0.5) opts.push(['LIMIT', `${int(-2, n + 2)}`, `${int(-2, n + 2)}`]);
        const ngets = int(0, 3);
        for (let g = 0; g < ngets; g++) opts.push(['GET', pick(['#', 'w_*', 'h_*->f', 'h_*->g', 'h_*->none', 'nokey_*'])]);
        if (rand() < 0.5) opts.push([pick(['ASC', 'DESC'])]);
        if (alpha) opts.push(['ALPHA']);
        const store = cmd[0] === 'SORT' && rand() < 0.3;
        if (store) opts.push(['STORE', 'dst']);
        opts.sort(() => rand() - 0.5);
        cmd.push(...opts.flat());
        // A set without sorting comes in hash-table order in Redis unless it is an intset: compare sorted.
        const unordered = type === 'set' && by === 'nosort' && !store;
        steps.push({ cmd, sort: unordered && ngets === 0 && !cmd.includes('LIMIT') });
        if (unordered && (ngets > 0 || cmd.includes('LIMIT'))) steps.pop();
        if (store) steps.push(['LRANGE', 'dst', '0', '-1']);
      }
      await s.diff(steps);
    }
  });
});
