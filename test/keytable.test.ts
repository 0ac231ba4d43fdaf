// KeyTable (src/keyspace/keytable.ts) is the keyspace's dict: a Map of key → slot with values and
// access slots in parallel arrays. These check the pure piece against a plain Map model under
// random adds, overwrites and deletes (slot reuse, the one-entry lookup memo), iteration order and
// SWAPDB's exchange; the server-level behaviour is covered by every functional test.

import { describe, expect, it } from 'vitest';
import { KeyTable } from '../src/keyspace/keytable.js';

describe('KeyTable', () => {
  it('behaves as a Map under random adds, overwrites and deletes, reusing freed slots', () => {
    const t = new KeyTable<string>();
    const model = new Map<string, string>();
    const access = new Map<string, number>();
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
    for (let i = 0; i < 20000; i++) {
      const k = `k${rnd(500)}`;
      const op = rnd(3);
      if (op === 0) {
        expect(t.delete(k)).toBe(model.delete(k));
        access.delete(k);
      } else {
        const v = `v${i}`;
        const s = t.slot(k);
        if (s < 0) {
          const ns = t.add(k, v);
          t.access[ns] = i;
        } else {
          t.setAt(s, v);
          t.access[s] = i;
        }
        model.set(k, v);
        access.set(k, i);
      }
      // Lookups by another string object with the same content find the same key.
      const probe = `k${rnd(500)}`;
      expect(t.get(probe.slice(0))).toBe(model.get(probe));
      expect(t.has(probe)).toBe(model.has(probe));
    }
    expect(t.size).toBe(model.size);
    expect([...t.keys()]).toEqual([...model.keys()]);
    expect([...t.entries()]).toEqual([...model.entries()]);
    expect([...t.values()]).toEqual([...model.values()]);
    for (const [k, a] of access) expect(t.access[t.slot(k)]).toBe(a);
  });

  it('a deleted key is gone even right after it was looked up (the memo is dropped)', () => {
    const t = new KeyTable<number>();
    t.add('a', 1);
    expect(t.get('a')).toBe(1);
    expect(t.delete('a')).toBe(true);
    expect(t.get('a')).toBeUndefined();
    expect(t.has('a')).toBe(false);
    const s = t.add('b', 2);
    expect(t.slot('a')).toBe(-1);
    expect(t.at(s)).toBe(2);
    expect(t.access[s]).toBe(0);
  });

  it('grows past its initial capacity and clears', () => {
    const t = new KeyTable<number>();
    for (let i = 0; i < 5000; i++) t.access[t.add(`k${i}`, i)] = i + 1;
    for (let i = 0; i < 5000; i += 7) expect(t.access[t.slot(`k${i}`)]).toBe(i + 1);
    t.clear();
    expect(t.size).toBe(0);
    expect(t.get('k1')).toBeUndefined();
    t.add('x', 1);
    expect([...t]).toEqual([['x', 1]]);
  });

  it('swapWith exchanges contents and access slots, and iterators follow the refilled index', () => {
    const a = new KeyTable<string>();
    const b = new KeyTable<string>();
    a.access[a.add('a1', 'x')] = 11;
    a.access[a.add('a2', 'y')] = 12;
    b.access[b.add('b1', 'z')] = 21;
    expect(a.get('a1')).toBe('x'); // memo set on a1
    a.swapWith(b);
    expect(a.get('a1')).toBeUndefined();
    expect([...a]).toEqual([['b1', 'z']]);
    expect([...b]).toEqual([['a1', 'x'], ['a2', 'y']]);
    expect(b.access[b.slot('a2')]).toBe(12);
    expect(a.access[a.slot('b1')]).toBe(21);
  });
});
