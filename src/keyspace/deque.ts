// Double-ended queue for Redis lists: a growable ring buffer, O(1) push/pop at both ends and O(1)
// index access (LINDEX, LRANGE). Middle edits (LINSERT, LREM, LSET is O(1)) rebuild the buffer,
// which is O(n) just like Redis's quicklist edits.
// For string elements it keeps `strBytes`, their V8 size, so memory accounting of a list is O(1)
// per write (memsize.ts).

export class Deque<T> {
  private buf: (T | undefined)[];
  private head = 0;
  private len = 0;
  /**
   * Bytes of the string elements: V8's 16-byte header + chars, 8-aligned (memsize.stringBytes,
   * not imported: memsize imports this file). Every method that stores or drops an element
   * updates it.
   */
  strBytes = 0;

  constructor(items?: Iterable<T>) {
    this.buf = new Array(8);
    if (items) for (const x of items) this.push(x);
  }

  get length(): number {
    return this.len;
  }

  private grow(): void {
    const old = this.buf;
    const n = old.length;
    const next = new Array<T | undefined>(n * 2);
    for (let i = 0; i < this.len; i++) next[i] = old[(this.head + i) & (n - 1)];
    this.buf = next;
    this.head = 0;
  }

  push(x: T): void {
    if (this.len === this.buf.length) this.grow();
    this.buf[(this.head + this.len) & (this.buf.length - 1)] = x;
    this.len++;
    this.strBytes += size(x);
  }

  unshift(x: T): void {
    if (this.len === this.buf.length) this.grow();
    this.head = (this.head - 1) & (this.buf.length - 1);
    this.buf[this.head] = x;
    this.len++;
    this.strBytes += size(x);
  }

  pop(): T | undefined {
    if (this.len === 0) return undefined;
    this.len--;
    const i = (this.head + this.len) & (this.buf.length - 1);
    const x = this.buf[i];
    this.buf[i] = undefined;
    this.strBytes -= size(x);
    return x;
  }

  shift(): T | undefined {
    if (this.len === 0) return undefined;
    const x = this.buf[this.head];
    this.buf[this.head] = undefined;
    this.head = (this.head + 1) & (this.buf.length - 1);
    this.len--;
    this.strBytes -= size(x);
    return x;
  }

  /** Element at index i (0 ≤ i < length); undefined outside. */
  get(i: number): T | undefined {
    if (i < 0 || i >= this.len) return undefined;
    return this.buf[(this.head + i) & (this.buf.length - 1)];
  }

  set(i: number, x: T): void {
    if (i < 0 || i >= this.len) throw new RangeError('deque index out of range');
    const j = (this.head + i) & (this.buf.length - 1);
    this.strBytes += size(x) - size(this.buf[j]);
    this.buf[j] = x;
  }

  /** Insert x at index i (0 ≤ i ≤ length), moving the shorter side: O(min(i, length - i)). */
  insertAt(i: number, x: T): void {
    if (i < 0 || i > this.len) throw new RangeError('deque index out of range');
    if (i < this.len >> 1) {
      this.unshift(x);
      for (let k = 0; k < i; k++) this.set(k, this.get(k + 1) as T);
      this.set(i, x);
    } else {
      this.push(x);
      for (let k = this.len - 1; k > i; k--) this.set(k, this.get(k - 1) as T);
      this.set(i, x);
    }
  }

  /** Remove n elements from the head (LTRIM): O(n). */
  dropFront(n: number): void {
    for (let k = 0; k < n && this.len > 0; k++) this.shift();
  }

  /** Remove n elements from the tail (LTRIM): O(n). */
  dropBack(n: number): void {
    for (let k = 0; k < n && this.len > 0; k++) this.pop();
  }

  /** Elements [start, end) as an array. */
  slice(start = 0, end = this.len): T[] {
    start = Math.max(0, start);
    end = Math.min(this.len, end);
    const out: T[] = [];
    for (let i = start; i < end; i++) out.push(this.buf[(this.head + i) & (this.buf.length - 1)] as T);
    return out;
  }

  toArray(): T[] {
    return this.slice(0, this.len);
  }

  /** Replace the whole content (used by middle edits: LINSERT, LREM, LTRIM). */
  replace(items: T[]): void {
    let cap = 8;
    while (cap < items.length) cap *= 2;
    this.buf = new Array(cap);
    let b = 0;
    for (let i = 0; i < items.length; i++) {
      this.buf[i] = items[i];
      b += size(items[i]);
    }
    this.strBytes = b;
    this.head = 0;
    this.len = items.length;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.len; i++) yield this.buf[(this.head + i) & (this.buf.length - 1)] as T;
  }
}

/** V8 size of a one-byte string element; 0 for anything else. */
function size(x: unknown): number {
  return typeof x === 'string' ? (23 + x.length) & ~7 : 0;
}
