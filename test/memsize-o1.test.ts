// Memory accounting stays O(1) per write (issue 11): the estimate of a stream must not walk its
// nodes (XADD on a 300k-entry stream used to cost 10x an XADD on an empty one), yet must equal what
// a full walk gives; lists and sorted sets keep their strings' size as they change, and it must
// equal a recount after any mix of edits. Counted, not timed: the stream's nodes array is wrapped
// in a Proxy that counts element reads. Big hashes and sets are sampled once per 64 estimates.

import { describe, expect, it, afterAll, beforeAll } from 'vitest';
import { Stream } from '../src/keyspace/stream.js';
import { Deque } from '../src/keyspace/deque.js';
import { SortedSet } from '../src/keyspace/zset.js';
import { SAMPLE, stringBytes, valueBytes } from '../src/keyspace/memsize.js';
import { LodestoneHandle, startLodestone } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';

/** The estimate computed the slow way: every node walked for the entry count. */
function walkedBytes(s: Stream): number {
  let entries = 0;
  let sum = 0;
  let n = 0;
  for (const node of s.nodes) {
    entries += node.entries.length;
    for (const e of node.entries) {
      if (n === SAMPLE) break;
      for (const f of e.fields) sum += stringBytes(f.length);
      n++;
    }
  }
  let b = 400 + 120 * s.nodes.length + 72 * entries + (n === entries || n === 0 ? sum : Math.round((sum / n) * entries));
  for (const g of s.groups.values()) b += 180 + 120 * g.consumers.size + 64 * g.pel.length;
  return b;
}

/** Wrap s.nodes so element reads are counted. */
function countReads(s: Stream): { reads: number } {
  const counter = { reads: 0 };
  s.nodes = new Proxy(s.nodes, {
    get(t, p, r) {
      if (typeof p === 'string' && /^\d+$/.test(p)) counter.reads++;
      return Reflect.get(t, p, r);
    },
  });
  return counter;
}

describe('stream memory estimate', () => {
  it('does not walk the nodes of a long stream', () => {
    const s = new Stream();
    // Small nodes (10 entries) so the stream has thousands of them.
    for (let i = 1; i <= 20000; i++) s.append(i, 0, ['field', `value-${i % 97}`], 4096, 10);
    expect(s.nodes.length).toBe(2000);
    const expected = walkedBytes(s);
    const c = countReads(s);
    expect(valueBytes(s)).toBe(expected);
    // The sample touches the first few nodes only (SAMPLE entries, 10 per node).
    expect(c.reads).toBeLessThanOrEqual(SAMPLE / 10 + 2);
  });

  it('keeps the count right through XDEL, trimming and clone', () => {
    const s = new Stream();
    for (let i = 1; i <= 5000; i++) s.append(i, 0, ['f', `v${i}`], 4096, 10);
    for (let i = 1; i <= 5000; i += 3) s.delete(i, 0); // tombstones, and whole nodes dropped
    expect(valueBytes(s)).toBe(walkedBytes(s));
    s.trim(3000, 0, 0, false, 0); // whole nodes shifted, then entries of one node marked deleted
    expect(valueBytes(s)).toBe(walkedBytes(s));
    s.trim(1000, 0, 0, true, 0);
    expect(valueBytes(s)).toBe(walkedBytes(s));
    const c = s.clone();
    expect(valueBytes(c)).toBe(walkedBytes(c));
    expect(c.stored).toBe(s.stored);
  });
});

describe('list and sorted set string sizes', () => {
  const recount = (items: Iterable<string>): number => {
    let b = 0;
    for (const x of items) b += stringBytes(x.length);
    return b;
  };

  it('Deque.strBytes equals a recount after pushes, pops, sets, inserts, drops and replace', () => {
    const d = new Deque<string>(['a', 'bb', 'x'.repeat(40)]);
    expect(d.strBytes).toBe(recount(d));
    for (let i = 0; i < 300; i++) (i % 2 ? d.push : d.unshift).call(d, 'v'.repeat(i % 37));
    expect(d.strBytes).toBe(recount(d));
    d.pop();
    d.shift();
    d.set(5, 'y'.repeat(100));
    d.insertAt(3, 'inserted-near-head');
    d.insertAt(d.length - 2, 'inserted-near-tail-' + 'z'.repeat(30));
    expect(d.strBytes).toBe(recount(d));
    d.dropFront(10);
    d.dropBack(7);
    expect(d.strBytes).toBe(recount(d));
    d.replace(d.toArray().filter((x) => x.length % 2 === 0));
    expect(d.strBytes).toBe(recount(d));
    while (d.length) d.pop();
    expect(d.strBytes).toBe(0);
  });

  it('SortedSet.memberBytes equals a recount after adds, updates, removes and clone', () => {
    const z = new SortedSet();
    for (let i = 0; i < 500; i++) z.add(`member:${i}`.repeat(1 + (i % 3)), i);
    for (let i = 0; i < 500; i += 2) z.add(`member:${i}`.repeat(1 + (i % 3)), -i); // updates
    for (let i = 0; i < 500; i += 3) z.remove(`member:${i}`.repeat(1 + (i % 3)));
    z.remove('absent');
    expect(z.memberBytes).toBe(recount(z.dict.keys()));
    const c = z.clone();
    expect(c.memberBytes).toBe(recount(c.dict.keys()));
  });
});

describe('big hash and set estimates', () => {
  it('sample a big hash or set once per 64 estimates, and stay near a fresh sample', () => {
    const h = new Map<string, string>();
    const set = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      h.set(`field:${i}`, 'v'.repeat(i % 7));
      set.add(`member:${i}`);
    }
    const walks = { h: 0, s: 0 };
    const hKeys = h.keys.bind(h);
    const sIter = set[Symbol.iterator].bind(set);
    Object.assign(h, { keys: () => (walks.h++, hKeys()) });
    Object.assign(set, { [Symbol.iterator]: () => (walks.s++, sIter()) });
    for (let i = 0; i < 640; i++) {
      h.set(`extra:${i}`, 'xyz');
      set.add(`extra:${i}`);
      valueBytes(h);
      valueBytes(set);
    }
    // 640 estimates: the first samples, then once per 64 (no size jump of a quarter happened).
    expect(walks.h).toBeLessThanOrEqual(11);
    expect(walks.s).toBeLessThanOrEqual(11);
    expect(Math.abs(valueBytes(h) - valueBytes(h, true)) / valueBytes(h, true)).toBeLessThan(0.02);
    // Growing by more than a quarter takes a new sample at once.
    const before = walks.s;
    for (let i = 0; i < 4000; i++) set.add(`more:${i}`);
    valueBytes(set);
    expect(walks.s).toBe(before + 1);
  });
});

describe('stream memory through the server', () => {
  let ls: LodestoneHandle;
  beforeAll(async () => {
    ls = await startLodestone();
  });
  afterAll(async () => {
    await ls.close();
  });

  it('XADD on a long stream reads a bounded number of nodes, and used memory matches a full walk', async () => {
    const c = await RawClient.connect(ls.port);
    try {
      for (let i = 0; i < 20; i++) {
        const replies: Promise<unknown>[] = [];
        for (let j = 0; j < 500; j++) replies.push(c.call('XADD', 's', '*', 'f', 'v', 'g', `x${j}`));
        await Promise.all(replies);
      }
      const db = ls.server.dbs[0];
      const s = db.dict.get('s') as Stream;
      expect(s.length).toBe(10000);
      const counter = countReads(s);
      await c.call('XADD', 's', '*', 'f', 'v');
      await c.call('XDEL', 's', String(s.nodes[0].entries[0].ms) + '-' + String(s.nodes[0].entries[0].seq));
      // XADD reads the last node, XDEL binary-searches; the estimate reads at most a few more.
      expect(counter.reads).toBeLessThan(64);
      // MEMORY USAGE (a full re-estimate) agrees with the incrementally kept figure.
      const before = db.usedBytes;
      db.refresh('s');
      expect(db.usedBytes).toBe(before);
      expect(valueBytes(s)).toBe(walkedBytes(s));
    } finally {
      c.close();
    }
  });
});
