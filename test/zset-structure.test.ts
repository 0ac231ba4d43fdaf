// Unit tests of the sorted-set skip list (src/keyspace/zset.ts) against a naive model: a sorted
// array of (score, member), checked after random insert / update / remove sequences — ranks, nodes by
// rank, both link directions, score and lex range bounds. Plus a 1,000,000-member build with rank and
// range checks (no timing assertions).
import { describe, expect, it } from 'vitest';
import { LexRange, ScoreRange, SortedSet, ZNode } from '../src/keyspace/zset.js';
import { mulberry32 as rng } from './helpers/prng.js';

type Entry = [member: string, score: number];

function cmp(a: Entry, b: Entry): number {
  if (a[1] !== b[1]) return a[1] < b[1] ? -1 : 1;
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

class Model {
  readonly m = new Map<string, number>();
  sorted(): Entry[] {
    return [...this.m].sort(cmp);
  }
}

function inMin(s: number, r: ScoreRange): boolean {
  return r.minEx ? s > r.min : s >= r.min;
}
function inMax(s: number, r: ScoreRange): boolean {
  return r.maxEx ? s < r.max : s <= r.max;
}
function lexMin(m: string, r: LexRange): boolean {
  if (r.minInf === -1) return true;
  if (r.minInf === 1) return false;
  return r.minEx ? m > r.min : m >= r.min;
}
function lexMax(m: string, r: LexRange): boolean {
  if (r.maxInf === 1) return true;
  if (r.maxInf === -1) return false;
  return r.maxEx ? m < r.max : m <= r.max;
}

function nodeEntry(z: SortedSet, n: ZNode): Entry | null {
  return n ? [z.memberAt(n), z.scoreAt(n)] : null;
}

/** Full structural comparison of a SortedSet with the model. */
function checkAgainst(z: SortedSet, model: Model, rand: () => number, scores: number[]): void {
  const want = model.sorted();
  expect(z.size).toBe(want.length);
  // Forward links, backward links, dict.
  expect([...z].map((n) => [n.member, n.score])).toEqual(want);
  const back: Entry[] = [];
  for (let n = z.last(); n; n = z.prev(n)) back.push([z.memberAt(n), z.scoreAt(n)]);
  expect(back.reverse()).toEqual(want);
  expect(nodeEntry(z, z.first())).toEqual(want[0] ?? null);
  expect(nodeEntry(z, z.last())).toEqual(want[want.length - 1] ?? null);
  // Every rank both ways (this is what exercises the spans).
  for (let i = 0; i < want.length; i++) {
    expect(nodeEntry(z, z.byRank(i))).toEqual(want[i]);
    expect(z.rank(want[i][0])).toBe(i);
    expect(z.score(want[i][0])).toBe(want[i][1]);
  }
  expect(z.byRank(-1)).toBe(0);
  expect(z.byRank(want.length)).toBe(0);
  expect(z.rank('not-a-member')).toBeUndefined();
  // Score ranges.
  for (let k = 0; k < 20; k++) {
    const a = scores[Math.floor(rand() * scores.length)];
    const b = scores[Math.floor(rand() * scores.length)];
    const r: ScoreRange = { min: Math.min(a, b), max: Math.max(a, b), minEx: rand() < 0.5, maxEx: rand() < 0.5 };
    const inside = want.filter((e) => inMin(e[1], r) && inMax(e[1], r));
    expect(nodeEntry(z, z.firstInScoreRange(r))).toEqual(inside[0] ?? null);
    expect(nodeEntry(z, z.lastInScoreRange(r))).toEqual(inside[inside.length - 1] ?? null);
  }
}

/** Check every span of every level against node ranks (reads the private arrays and level). */
function checkSpans(z: SortedSet): void {
  const inner = z as unknown as { nodes: Int32Array; level: number };
  const BLOCK = 6; // zset.ts: a node block's header, before its links
  const rankOf = new Map<ZNode, number>();
  let r = 0;
  for (let n = z.first(); n; n = z.next(n)) rankOf.set(n, ++r);
  const len = z.size;
  const HEAD = 0;
  for (let i = 0; i < inner.level; i++) {
    let x: ZNode = HEAD;
    let xr = 0;
    for (;;) {
      const at = x + BLOCK + 2 * i;
      const next = inner.nodes[at];
      // To the successor: its rank minus ours; with no successor: to one past the last node.
      if (next || x !== HEAD) {
        expect(inner.nodes[at + 1], `span at level ${i} from rank ${xr}`).toBe(next ? rankOf.get(next)! - xr : len - xr);
      }
      if (!next) break;
      x = next;
      xr = rankOf.get(x)!;
    }
  }
}

describe('SortedSet skip list vs a sorted-array model', () => {
  it('random inserts, score updates and removals keep ranks, links, spans and ranges right', () => {
    for (let seed = 1; seed <= 30; seed++) {
      const rand = rng(seed);
      const z = new SortedSet();
      const model = new Model();
      const scores = [-Infinity, -3, -1, -0.5, 0, 0.5, 1, 2, 2.5, 3, 10, Infinity];
      const universe = 20 + Math.floor(rand() * 60);
      for (let step = 0; step < 400; step++) {
        const member = `m${Math.floor(rand() * universe)}`;
        const p = rand();
        if (p < 0.55) {
          const score = scores[Math.floor(rand() * scores.length)];
          const had = model.m.get(member);
          const res = z.add(member, score);
          expect(res).toBe(had === undefined ? 'added' : had === score ? 'unchanged' : 'updated');
          model.m.set(member, score);
        } else {
          expect(z.remove(member)).toBe(model.m.delete(member));
        }
        if (step % 25 === 0) {
          checkAgainst(z, model, rand, scores);
          checkSpans(z);
        }
      }
      checkAgainst(z, model, rand, scores);
    }
  });

  it('clone() is an exact, independent copy (the undo log relies on it)', () => {
    for (let seed = 500; seed < 530; seed++) {
      const rand = rng(seed);
      const z = new SortedSet();
      const model = new Model();
      const scores = [-2, -1, 0, 0.5, 1, 3, 7];
      for (let step = 0; step < 300; step++) {
        const member = `m${Math.floor(rand() * 120)}`;
        if (rand() < 0.7) {
          const score = scores[Math.floor(rand() * scores.length)];
          z.add(member, score);
          model.m.set(member, score);
        } else {
          z.remove(member);
          model.m.delete(member);
        }
      }
      const c = z.clone();
      checkSpans(c);
      checkAgainst(c, model, rand, scores);
      // Mutating the copy leaves the original alone, and the copy stays consistent.
      const before = [...z].map((n) => `${n.member}:${n.score}`);
      c.add('new-member', 1.25);
      if (c.first()) c.remove(c.memberAt(c.first()));
      checkSpans(c);
      expect([...z].map((n) => `${n.member}:${n.score}`)).toEqual(before);
    }
  });

  it('keeps every span exact, including spans to the end of the list (regression)', () => {
    // Redis's invariant: a node's span at level i is the rank distance to its successor at that
    // level, or to one past the last node when there is none. Re-scoring a member removes its node
    // and re-inserts it while the member is still in the dict; a new top level created by that
    // re-insert used to take its span from dict.size (one too many) instead of the list length.
    for (let seed = 100; seed < 400; seed++) {
      const rand = rng(seed);
      const z = new SortedSet();
      const model = new Model();
      const n = 1 + Math.floor(rand() * 4);
      for (let i = 0; i < n; i++) {
        z.add(`m${i}`, i);
        model.m.set(`m${i}`, i);
      }
      for (let k = 0; k < 40; k++) {
        const m = `m${Math.floor(rand() * n)}`;
        const s = Math.floor(rand() * 10);
        z.add(m, s);
        model.m.set(m, s);
        if (rand() < 0.3) {
          const extra = `x${k}`;
          z.add(extra, Math.floor(rand() * 10));
          model.m.set(extra, z.score(extra)!);
        }
        checkSpans(z);
        const want = model.sorted();
        for (let i = 0; i < want.length; i++) expect(nodeEntry(z, z.byRank(i))).toEqual(want[i]);
      }
    }
  });

  it('lex ranges on equal scores, with bytewise (latin1) order', () => {
    const rand = rng(7);
    const alphabet = ['', 'a', 'b', 'aa', 'ab', 'b\x00', 'ba', '\xff', 'z', 'za', 'A', '\x00'];
    const z = new SortedSet();
    for (const m of alphabet) z.add(m, 0);
    const sorted = [...alphabet].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    expect([...z].map((n) => n.member)).toEqual(sorted);
    const bounds: { v: string; ex: boolean; inf: -1 | 0 | 1 }[] = [
      { v: '', ex: true, inf: -1 },
      { v: '', ex: true, inf: 1 },
      ...alphabet.flatMap((v) => [
        { v, ex: true, inf: 0 as const },
        { v, ex: false, inf: 0 as const },
      ]),
    ];
    for (let k = 0; k < 500; k++) {
      const a = bounds[Math.floor(rand() * bounds.length)];
      const b = bounds[Math.floor(rand() * bounds.length)];
      const r: LexRange = { min: a.v, minEx: a.ex, minInf: a.inf, max: b.v, maxEx: b.ex, maxInf: b.inf };
      const inside = sorted.filter((m) => lexMin(m, r) && lexMax(m, r));
      expect(nodeEntry(z, z.firstInLexRange(r))?.[0] ?? null).toBe(inside[0] ?? null);
      expect(nodeEntry(z, z.lastInLexRange(r))?.[0] ?? null).toBe(inside[inside.length - 1] ?? null);
    }
  });

  it('builds a 1,000,000-member set and answers ranks and ranges', () => {
    const N = 1_000_000;
    const rand = rng(42);
    const z = new SortedSet();
    const scores = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      const s = Math.floor(rand() * 100_000);
      scores[i] = s;
      z.add(`member:${i}`, s);
    }
    expect(z.size).toBe(N);
    // Reference order: sort indexes by (score, member).
    const idx = Array.from({ length: N }, (_, i) => i);
    const name = (i: number): string => `member:${i}`;
    idx.sort((a, b) => scores[a] - scores[b] || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
    for (const r of [0, 1, 2, 999, 123_456, 500_000, 777_777, N - 2, N - 1]) {
      const node = z.byRank(r);
      expect(z.memberAt(node)).toBe(name(idx[r]));
      expect(z.rank(z.memberAt(node))).toBe(r);
    }
    for (let k = 0; k < 1000; k++) {
      const r = Math.floor(rand() * N);
      expect(z.rank(name(idx[r]))).toBe(r);
    }
    // A range walk from byRank, like ZRANGE start stop.
    let n = z.byRank(400_000);
    for (let r = 400_000; r < 401_000; r++) {
      expect(z.memberAt(n)).toBe(name(idx[r]));
      n = z.next(n);
    }
    // Score range bounds agree with the reference order.
    const range: ScoreRange = { min: 5000, minEx: false, max: 5003, maxEx: true };
    const first = z.firstInScoreRange(range);
    const last = z.lastInScoreRange(range);
    const lo = idx.findIndex((i) => scores[i] >= 5000);
    let hi = lo;
    while (hi < N && scores[idx[hi]] < 5003) hi++;
    expect(z.memberAt(first)).toBe(name(idx[lo]));
    expect(z.memberAt(last)).toBe(name(idx[hi - 1]));
    expect(z.rank(z.memberAt(last))! - z.rank(z.memberAt(first))! + 1).toBe(hi - lo);
    // Removals keep ranks right.
    for (let i = 0; i < 1000; i++) z.remove(name(idx[i]));
    expect(z.size).toBe(N - 1000);
    expect(z.memberAt(z.byRank(0))).toBe(name(idx[1000]));
    expect(z.rank(name(idx[N - 1]))).toBe(N - 1001);
  }, 180_000);
});
