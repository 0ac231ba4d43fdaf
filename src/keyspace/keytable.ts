// The keyspace's main table: key → value plus, per key, the access slot (LRU second or LFU counter),
// found with one hash lookup.
//
// Why not two Maps (dict and access), as before: every command paid a hash lookup per map — SET
// three (dict.get, dict.set, access.set) and one more when dispatch re-estimated the key's memory
// (refresh) — and on a keyspace larger than the CPU caches each lookup is a cache miss or two
// (bucket, entry, key string). Here a Map holds key → slot number; the value and the access slot
// live in parallel arrays at that slot. A write that looks a key up and then stores it (SET, INCR,
// HSET and the memory refresh after it) finds the slot once: the last slot found is remembered by
// key, and since a live key keeps its slot until it is deleted, that memo is only dropped on delete.
//
// Memory per key: one Map entry (~28 B amortized) + 8 B of value array + 4 B of Uint32Array, against
// two Map entries before (~56 B). Freed slots are reused (a free list), so the arrays stay as long as
// the largest the keyspace has been.
//
// To the rest of the server it is a read-only Map: get, has, size, keys(), entries(), iteration —
// all in the index Map's order (insertion order, as before), and iterators see later changes the
// way a Map iterator does. Writes go through Database (db.ts), which keeps the memory accounting.

export class KeyTable<V> {
  /** key → slot. */
  private readonly index = new Map<string, number>();
  /** Value per slot; undefined for a free slot. */
  private vals: (V | undefined)[] = [];
  /** Access slot (LRU second or LFU counter, db.ts) per slot; 0 for a free slot. */
  access = new Uint32Array(1024);
  /** Free slots, reused before the arrays grow. */
  private free: number[] = [];
  /** The last key found and its slot (see the top of this file). */
  private lastKey: string | null = null;
  private lastSlot = -1;

  get size(): number {
    return this.index.size;
  }

  /** The key's slot, or -1 when it is absent. */
  slot(key: string): number {
    if (key === this.lastKey) return this.lastSlot;
    const s = this.index.get(key);
    if (s === undefined) return -1;
    this.lastKey = key;
    this.lastSlot = s;
    return s;
  }

  /** The value at a slot slot() returned. */
  at(slot: number): V {
    return this.vals[slot] as V;
  }

  /** Replace the value at a live slot. */
  setAt(slot: number, v: V): void {
    this.vals[slot] = v;
  }

  get(key: string): V | undefined {
    const s = this.slot(key);
    return s < 0 ? undefined : this.vals[s];
  }

  has(key: string): boolean {
    return this.slot(key) >= 0;
  }

  /** Add an absent key; returns its slot (its access slot is 0: the caller sets it). */
  add(key: string, v: V): number {
    let s: number;
    if (this.free.length !== 0) {
      s = this.free.pop()!;
      this.vals[s] = v;
    } else {
      s = this.vals.length;
      this.vals.push(v);
      if (s === this.access.length) {
        const a = new Uint32Array(s * 2);
        a.set(this.access);
        this.access = a;
      }
    }
    this.index.set(key, s);
    this.lastKey = key;
    this.lastSlot = s;
    return s;
  }

  /** Remove a key; false when it was absent. */
  delete(key: string): boolean {
    const s = this.slot(key);
    if (s < 0) return false;
    this.index.delete(key);
    this.vals[s] = undefined;
    this.access[s] = 0;
    this.free.push(s);
    this.lastKey = null;
    this.lastSlot = -1;
    return true;
  }

  clear(): void {
    this.index.clear();
    this.vals = [];
    this.access = new Uint32Array(1024);
    this.free.length = 0;
    this.lastKey = null;
    this.lastSlot = -1;
  }

  /**
   * Exchange contents with another table (SWAPDB). The index Maps stay the objects they are and are
   * refilled, so an iterator over one of them goes on over its new contents, as it would over a Map
   * that was cleared and refilled.
   */
  swapWith(o: KeyTable<V>): void {
    const mine = [...this.index];
    const vals = this.vals;
    const access = this.access;
    const free = this.free;
    this.index.clear();
    for (const [k, s] of o.index) this.index.set(k, s);
    this.vals = o.vals;
    this.access = o.access;
    this.free = o.free;
    o.index.clear();
    for (const [k, s] of mine) o.index.set(k, s);
    o.vals = vals;
    o.access = access;
    o.free = free;
    this.lastKey = o.lastKey = null;
    this.lastSlot = o.lastSlot = -1;
  }

  keys(): IterableIterator<string> {
    return this.index.keys();
  }

  *entries(): IterableIterator<[string, V]> {
    for (const [k, s] of this.index) yield [k, this.vals[s] as V];
  }

  *values(): IterableIterator<V> {
    for (const s of this.index.values()) yield this.vals[s] as V;
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }
}
