// Functional tests for hashes and sets where Redis can't be diffed: random replies (HRANDFIELD,
// SRANDMEMBER, SPOP) checked for count/membership/distinctness, full HSCAN/SSCAN iterations (every
// element present throughout a scan is returned, also while the collection changes), RESP3 reply
// types, TTL and dirty-counter effects.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from './helpers/raw-client.js';
import { RespValue } from './helpers/resp.js';
import { LodestoneHandle, startLodestone } from './helpers/servers.js';
import { hash32, parseScanCursor, scanStep } from '../src/commands/scan-util.js';

let ls: LodestoneHandle;
let c: RawClient;

beforeAll(async () => {
  ls = await startLodestone();
  c = await RawClient.connect(ls.port);
});
afterAll(async () => {
  c.close();
  await ls.close();
});

function reset(): void {
  for (const db of ls.server.dbs) db.clear();
}

function strs(v: RespValue): string[] {
  if (v.t !== 'array' && v.t !== 'set') throw new Error(`expected an array, got ${v.t}`);
  return v.v.map((x) => {
    if (x.t !== 'bulk') throw new Error(`expected a bulk string, got ${x.t}`);
    return x.v;
  });
}

function bulk(v: RespValue): string {
  if (v.t !== 'bulk') throw new Error(`expected a bulk string, got ${v.t}`);
  return v.v;
}

/** One scan call: [next cursor, items]. */
async function scanCall(cl: RawClient, args: string[]): Promise<[string, string[]]> {
  const r = await cl.call(...args);
  if (r.t !== 'array' || r.v.length !== 2) throw new Error(`bad scan reply ${JSON.stringify(r)}`);
  return [bulk(r.v[0]), strs(r.v[1])];
}

/** A whole scan (cursor 0 … 0); `between` runs after every call. Returns every item and the call count. */
async function fullScan(
  cl: RawClient,
  cmd: string,
  key: string,
  opts: string[] = [],
  between?: (round: number) => Promise<void>,
): Promise<{ items: string[]; calls: number }> {
  let cursor = '0';
  const items: string[] = [];
  let calls = 0;
  do {
    const [next, got] = await scanCall(cl, [cmd, key, cursor, ...opts]);
    items.push(...got);
    cursor = next;
    calls++;
    if (calls > 100000) throw new Error('scan does not terminate');
    if (between && cursor !== '0') await between(calls);
  } while (cursor !== '0');
  return { items, calls };
}

describe('HSCAN / SSCAN full iterations', () => {
  it('HSCAN returns every field of a large hash exactly once, with its value', async () => {
    reset();
    const n = 5000;
    for (let i = 0; i < n; i += 500) {
      const args: string[] = [];
      for (let j = i; j < i + 500; j++) args.push(`field:${j}`, `value:${j}`);
      await c.call('HSET', 'h', ...args);
    }
    const { items, calls } = await fullScan(c, 'HSCAN', 'h', ['COUNT', '7']);
    expect(calls).toBeGreaterThan(n / 7 - 1);
    expect(items.length).toBe(2 * n);
    const seen = new Map<string, string>();
    for (let i = 0; i < items.length; i += 2) {
      expect(seen.has(items[i])).toBe(false);
      seen.set(items[i], items[i + 1]);
    }
    for (let j = 0; j < n; j++) expect(seen.get(`field:${j}`)).toBe(`value:${j}`);
  });

  it('HSCAN pages a hash above hash-max-listpack-entries with the default COUNT', async () => {
    reset();
    const args: string[] = [];
    for (let j = 0; j < 600; j++) args.push(`f${j}`, `${j}`);
    await c.call('HSET', 'h', ...args);
    const first = await scanCall(c, ['HSCAN', 'h', '0']);
    expect(first[0]).not.toBe('0');
    expect(first[1].length).toBeGreaterThanOrEqual(20);
    expect(first[1].length).toBeLessThan(1200);
    const { items } = await fullScan(c, 'HSCAN', 'h');
    expect(new Set(items.filter((_, i) => i % 2 === 0)).size).toBe(600);
  });

  it('SSCAN returns every member once; MATCH filters after COUNT', async () => {
    reset();
    const members = Array.from({ length: 3000 }, (_, i) => `m${i}`);
    await c.call('SADD', 's', ...members);
    const all = await fullScan(c, 'SSCAN', 's', ['COUNT', '13']);
    expect(all.items.length).toBe(3000);
    expect(new Set(all.items).size).toBe(3000);
    const matched = await fullScan(c, 'SSCAN', 's', ['MATCH', 'm1*', 'COUNT', '50']);
    const expected = members.filter((m) => m.startsWith('m1'));
    expect(matched.items.sort()).toEqual(expected.sort());
    // Work is bounded by COUNT: some calls return nothing while the cursor is non-zero.
    expect(matched.calls).toBeGreaterThan(3000 / 50 - 1);
  });

  it('returns every element present for the whole scan while the set changes', async () => {
    reset();
    const initial = Array.from({ length: 4000 }, (_, i) => `e${i}`);
    await c.call('SADD', 's', ...initial);
    const other = await RawClient.connect(ls.port);
    const removed = new Set<string>();
    try {
      const { items } = await fullScan(c, 'SSCAN', 's', ['COUNT', '20'], async (round) => {
        // Delete some existing members, add new ones, and let another client start its own scan
        // (which rebuilds the shared snapshot) every few rounds.
        const victims = [`e${(round * 37) % 4000}`, `e${(round * 91 + 5) % 4000}`];
        for (const v of victims) removed.add(v);
        await other.call('SREM', 's', ...victims);
        await other.call('SADD', 's', `new${round}a`, `new${round}b`);
        if (round % 10 === 0) await other.call('SSCAN', 's', '0', 'COUNT', '5');
      });
      const got = new Set(items);
      for (const m of initial) if (!removed.has(m)) expect(got.has(m), m).toBe(true);
      // Nothing is returned twice within one scan.
      expect(got.size).toBe(items.length);
    } finally {
      other.close();
    }
  });

  it('HSCAN keeps the guarantee while fields are deleted and re-added', async () => {
    reset();
    const args: string[] = [];
    for (let j = 0; j < 1000; j++) args.push(`k${j}`, 'v');
    await c.call('HSET', 'h', ...args);
    const touched = new Set<string>();
    const { items } = await fullScan(c, 'HSCAN', 'h', ['COUNT', '10'], async (round) => {
      const k = `k${(round * 13) % 1000}`;
      touched.add(k);
      await c.call('HDEL', 'h', k);
      await c.call('HSET', 'h', k, 'again', `extra${round}`, 'x');
    });
    const fields = new Set(items.filter((_, i) => i % 2 === 0));
    for (let j = 0; j < 1000; j++) if (!touched.has(`k${j}`)) expect(fields.has(`k${j}`)).toBe(true);
  });

  it('a new scan sees members added after an earlier, unfinished scan (snapshot reuse is safe)', async () => {
    reset();
    await c.call('SADD', 's', ...Array.from({ length: 1000 }, (_, i) => `m${i}`));
    await c.call('HSET', 'h', ...Array.from({ length: 1000 }, (_, i) => [`f${i}`, 'v']).flat());
    // Unfinished scans leave a cached snapshot behind.
    expect((await scanCall(c, ['SSCAN', 's', '0', 'COUNT', '5']))[0]).not.toBe('0');
    expect((await scanCall(c, ['HSCAN', 'h', '0', 'COUNT', '5']))[0]).not.toBe('0');
    await c.call('SADD', 's', 'fresh');
    await c.call('SMOVE', 's2-missing', 's', 'x'); // no-op: source missing
    await c.call('HSET', 'h', 'freshfield', 'v');
    await c.call('HINCRBY', 'h', 'counter', '1');
    const sm = new Set((await fullScan(c, 'SSCAN', 's', ['COUNT', '50'])).items);
    expect(sm.size).toBe(1001);
    expect(sm.has('fresh')).toBe(true);
    const hf = (await fullScan(c, 'HSCAN', 'h', ['COUNT', '50'])).items.filter((_, i) => i % 2 === 0);
    expect(new Set(hf).size).toBe(1002);
    expect(hf).toContain('freshfield');
    expect(hf).toContain('counter');
  });

  it('small collections come back whole with cursor 0, whatever the cursor', async () => {
    reset();
    await c.call('HSET', 'h', 'a', '1', 'b', '2');
    expect(await scanCall(c, ['HSCAN', 'h', '777', 'COUNT', '1'])).toEqual(['0', ['a', '1', 'b', '2']]);
    await c.call('SADD', 'i', '10', '-2', '3');
    expect(await scanCall(c, ['SSCAN', 'i', '5'])).toEqual(['0', ['-2', '3', '10']]);
  });

  it('stale, forged and huge cursors are harmless', async () => {
    reset();
    await c.call('SADD', 's', ...Array.from({ length: 100 }, (_, i) => `x${i}`));
    expect(await scanCall(c, ['SSCAN', 's', '18446744073709551615'])).toEqual(['0', []]);
    expect(await scanCall(c, ['SSCAN', 's', '4294967296'])).toEqual(['0', []]);
    const [next, got] = await scanCall(c, ['SSCAN', 's', '2147483648', 'COUNT', '1000']);
    expect(next).toBe('0');
    expect(got.every((m) => hash32(m) >= 2147483648)).toBe(true);
    // Scanning a key that was deleted and recreated mid-scan still terminates.
    const [cur] = await scanCall(c, ['SSCAN', 's', '0', 'COUNT', '5']);
    await c.call('SREM', 's', ...Array.from({ length: 100 }, (_, i) => `x${i}`));
    await c.call('SADD', 's', ...Array.from({ length: 50 }, (_, i) => `y${i}`));
    let cursor = cur;
    let rounds = 0;
    while (cursor !== '0' && rounds++ < 1000) [cursor] = await scanCall(c, ['SSCAN', 's', cursor, 'COUNT', '5']);
    expect(cursor).toBe('0');
  });
});

describe('scan-util', () => {
  it('parses cursors like strtoul', () => {
    expect(parseScanCursor('')).toBe(0);
    expect(parseScanCursor('0')).toBe(0);
    expect(parseScanCursor('+12')).toBe(12);
    expect(parseScanCursor('-1')).toBe(2 ** 64);
    expect(parseScanCursor('18446744073709551615')).toBe(2 ** 64);
    expect(() => parseScanCursor('18446744073709551616')).toThrow('invalid cursor');
    expect(() => parseScanCursor(' 1')).toThrow('invalid cursor');
    expect(() => parseScanCursor('1x')).toThrow('invalid cursor');
    expect(() => parseScanCursor('-')).toThrow('invalid cursor');
  });

  it('walks members in hash order and never splits members with equal hashes across calls', () => {
    // Two members with the same hash32 (found by a birthday search over `c<i>`).
    const [x, y] = ['c693596', 'c1170850'];
    expect(hash32(x)).toBe(hash32(y));
    const set = new Set([x, y, ...Array.from({ length: 500 }, (_, i) => `m${i}`)]);
    const source = {
      owner: set,
      members: () => set.keys(),
      has: (m: string) => set.has(m),
      size: set.size,
      compact: false,
      tracksAdds: false,
    };
    let cursor = 0;
    const seen: string[] = [];
    do {
      const [next, got] = scanStep(source, cursor, { count: 1, pattern: null });
      for (const m of got) {
        expect(hash32(m)).toBeGreaterThanOrEqual(cursor);
        if (next !== '0') expect(hash32(m)).toBeLessThan(Number(next));
      }
      if (got.includes(x) || got.includes(y)) expect(got.includes(x) && got.includes(y)).toBe(true);
      seen.push(...got);
      cursor = Number(next);
    } while (cursor !== 0);
    expect(seen.length).toBe(502);
    expect(new Set(seen).size).toBe(502);
  });
});

describe('random commands', () => {
  it('HRANDFIELD: count, negative count, WITHVALUES', async () => {
    reset();
    const fields = Array.from({ length: 50 }, (_, i) => `f${i}`);
    await c.call('HSET', 'h', ...fields.flatMap((f) => [f, `v-${f}`]));
    const one = bulk(await c.call('HRANDFIELD', 'h'));
    expect(fields).toContain(one);
    for (const n of [1, 5, 20, 49]) {
      const got = strs(await c.call('HRANDFIELD', 'h', String(n)));
      expect(got.length).toBe(n);
      expect(new Set(got).size).toBe(n);
      for (const f of got) expect(fields).toContain(f);
    }
    expect(strs(await c.call('HRANDFIELD', 'h', '500')).sort()).toEqual([...fields].sort());
    const rep = strs(await c.call('HRANDFIELD', 'h', '-200'));
    expect(rep.length).toBe(200);
    for (const f of rep) expect(fields).toContain(f);
    const wv = strs(await c.call('HRANDFIELD', 'h', '10', 'WITHVALUES'));
    expect(wv.length).toBe(20);
    for (let i = 0; i < wv.length; i += 2) expect(wv[i + 1]).toBe(`v-${wv[i]}`);
    const wvn = strs(await c.call('HRANDFIELD', 'h', '-30', 'WITHVALUES'));
    expect(wvn.length).toBe(60);
    for (let i = 0; i < wvn.length; i += 2) expect(wvn[i + 1]).toBe(`v-${wvn[i]}`);
  });

  it('SRANDMEMBER: distinct for positive counts, repeats for negative, roughly uniform', async () => {
    reset();
    const members = Array.from({ length: 30 }, (_, i) => `m${i}`);
    await c.call('SADD', 's', ...members);
    for (const n of [1, 2, 9, 10, 29]) {
      const got = strs(await c.call('SRANDMEMBER', 's', String(n)));
      expect(got.length).toBe(n);
      expect(new Set(got).size).toBe(n);
      for (const m of got) expect(members).toContain(m);
    }
    const rep = strs(await c.call('SRANDMEMBER', 's', '-3000'));
    expect(rep.length).toBe(3000);
    const counts = new Map<string, number>();
    for (const m of rep) counts.set(m, (counts.get(m) ?? 0) + 1);
    expect(counts.size).toBe(30);
    for (const n of counts.values()) expect(n).toBeGreaterThan(40); // expectation 100
    expect(await c.call('SCARD', 's')).toEqual({ t: 'int', v: '30' });
  });

  it('random picks follow changes to the set (sampling cache)', async () => {
    reset();
    await c.call('SADD', 's', 'a', 'b', 'c');
    await c.call('SRANDMEMBER', 's', '-10');
    await c.call('SREM', 's', 'c');
    await c.call('SADD', 's', 'd');
    const got = new Set(strs(await c.call('SRANDMEMBER', 's', '-300')));
    expect([...got].sort()).toEqual(['a', 'b', 'd']);
    await c.call('HSET', 'h', 'x', '1');
    await c.call('HRANDFIELD', 'h', '-5');
    await c.call('HDEL', 'h', 'x');
    await c.call('HSET', 'h', 'y', '1', 'z', '2');
    expect(new Set(strs(await c.call('HRANDFIELD', 'h', '-200')))).toEqual(new Set(['y', 'z']));
  });

  it('SPOP: single and counted pops remove distinct members; draining a big set is fast', async () => {
    reset();
    const members = Array.from({ length: 100 }, (_, i) => `m${i}`);
    await c.call('SADD', 's', ...members);
    const popped = new Set<string>();
    const one = bulk(await c.call('SPOP', 's'));
    popped.add(one);
    const r = await c.call('SPOP', 's', '30');
    expect(r.t).toBe('array'); // RESP2: a set is an array
    for (const m of strs(r)) {
      expect(popped.has(m)).toBe(false);
      popped.add(m);
    }
    expect(popped.size).toBe(31);
    expect(await c.call('SCARD', 's')).toEqual({ t: 'int', v: '69' });
    for (const m of popped) expect(await c.call('SISMEMBER', 's', m)).toEqual({ t: 'int', v: '0' });
    const rest = strs(await c.call('SPOP', 's', '1000'));
    expect(rest.length).toBe(69);
    expect(new Set([...popped, ...rest]).size).toBe(100);
    expect(await c.call('SCARD', 's')).toEqual({ t: 'int', v: '0' });

    // 20000 single SPOPs, pipelined: O(1) amortised each.
    const big = Array.from({ length: 20000 }, (_, i) => `b${i}`);
    await c.call('SADD', 'big', ...big);
    const t0 = performance.now();
    const out = new Set<string>();
    const batch = 1000;
    for (let i = 0; i < big.length; i += batch) {
      const replies = await Promise.all(Array.from({ length: batch }, () => c.call('SPOP', 'big')));
      for (const x of replies) out.add(bulk(x));
    }
    expect(out.size).toBe(20000);
    expect(await c.call('SPOP', 'big')).toEqual({ t: 'nullbulk' });
    expect(performance.now() - t0).toBeLessThan(10000);
  });
});

describe('RESP3 reply types', () => {
  it('HGETALL is a map, SMEMBERS a set, HRANDFIELD WITHVALUES nests pairs', async () => {
    reset();
    const r3 = await RawClient.connect(ls.port);
    try {
      expect((await r3.call('HELLO', '3')).t).toBe('map');
      await r3.call('HSET', 'h', 'a', '1', 'b', '2');
      await r3.call('SADD', 's', 'x', 'y');
      expect(await r3.call('HGETALL', 'h')).toEqual({
        t: 'map',
        v: [
          { t: 'bulk', v: 'a' },
          { t: 'bulk', v: '1' },
          { t: 'bulk', v: 'b' },
          { t: 'bulk', v: '2' },
        ],
      });
      const sm = await r3.call('SMEMBERS', 's');
      expect(sm.t).toBe('set');
      expect(strs(sm).sort()).toEqual(['x', 'y']);
      expect((await r3.call('SINTER', 's', 's')).t).toBe('set');
      expect((await r3.call('SPOP', 'nokey', '1')).t).toBe('set');
      expect((await r3.call('HGET', 'h', 'nope')).t).toBe('null');
      const wv = await r3.call('HRANDFIELD', 'h', '-4', 'WITHVALUES');
      expect(wv.t).toBe('array');
      if (wv.t !== 'array') return;
      expect(wv.v.length).toBe(4);
      for (const pair of wv.v) {
        const [f, v] = strs(pair);
        expect(v).toBe(f === 'a' ? '1' : '2');
      }
      // The same commands over RESP2 are flat arrays.
      expect((await c.call('HGETALL', 'h')).t).toBe('array');
      expect((await c.call('SMEMBERS', 's')).t).toBe('array');
      expect(strs(await c.call('HRANDFIELD', 'h', '-4', 'WITHVALUES')).length).toBe(8);
    } finally {
      r3.close();
    }
  });
});

describe('keyspace effects', () => {
  it('STORE commands replace the destination and clear its TTL; in-place writes keep it', async () => {
    reset();
    const db = ls.server.dbs[0];
    await c.call('SADD', 'a', 'x', 'y');
    await c.call('SADD', 'dst', 'old');
    db.setExpire('dst', db.clock.now() + 100000);
    await c.call('SUNIONSTORE', 'dst', 'a');
    expect(db.getExpire('dst')).toBeUndefined();

    await c.call('HSET', 'h', 'f', '1');
    db.setExpire('h', db.clock.now() + 100000);
    await c.call('HSET', 'h', 'g', '2');
    await c.call('HINCRBY', 'h', 'f', '5');
    await c.call('HDEL', 'h', 'g');
    expect(db.getExpire('h')).toBeDefined();
    await c.call('SADD', 'a', 'z');
    db.setExpire('a', db.clock.now() + 100000);
    await c.call('SREM', 'a', 'x');
    await c.call('SPOP', 'a');
    expect(db.getExpire('a')).toBeDefined();
  });

  it('counts changes in server.dirty only when data changes', async () => {
    reset();
    const s = ls.server;
    let d = s.dirty;
    await c.call('HSET', 'h', 'a', '1', 'b', '2');
    expect(s.dirty - d).toBe(2);
    d = s.dirty;
    await c.call('HGET', 'h', 'a');
    await c.call('HDEL', 'h', 'nope');
    await c.call('SREM', 'nokey', 'x');
    await c.call('SPOP', 'nokey');
    await c.call('HSETNX', 'h', 'a', 'x');
    await c.call('SINTERSTORE', 'nothing', 'nokey');
    expect(s.dirty).toBe(d);
    await c.call('SADD', 's', 'a', 'b', 'a');
    expect(s.dirty - d).toBe(2);
    d = s.dirty;
    await c.call('SMOVE', 's', 't', 'a');
    expect(s.dirty).toBeGreaterThan(d);
  });
});
