// Memory accounting of streams stays O(1) per write (issue 11): the estimate of a stream must not
// walk its nodes (XADD on a 300k-entry stream used to cost 10x an XADD on an empty one), yet must
// equal what a full walk gives. Counted, not timed: the nodes array is wrapped in a Proxy that
// counts element reads.

import { describe, expect, it, afterAll, beforeAll } from 'vitest';
import { Stream } from '../src/keyspace/stream.js';
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
