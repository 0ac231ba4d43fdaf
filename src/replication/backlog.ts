// The replication backlog: the last `repl-backlog-size` bytes of the replication stream, kept in a
// fixed circular buffer, so a replica that lost its link for a moment can continue (PSYNC
// replid offset → +CONTINUE) from the byte it was missing instead of transferring the whole
// dataset again. Offsets are Redis's: the stream's bytes are numbered from 1, `end` is the
// master_repl_offset (the number of the last byte written), `firstByte` the number of the oldest
// byte still held (repl_backlog_first_byte_offset).

export class Backlog {
  private buf: Buffer;
  /** Write position in buf. */
  private idx = 0;
  /** Bytes held (repl_backlog_histlen), at most buf.length. */
  histlen = 0;
  /** master_repl_offset: the offset of the last byte appended. */
  end: number;

  constructor(size: number, offset: number) {
    this.buf = Buffer.alloc(Math.max(1, size));
    this.end = offset;
  }

  get size(): number {
    return this.buf.length;
  }

  /** repl_backlog_first_byte_offset (Redis shows end+1 for an empty backlog). */
  get firstByte(): number {
    return this.end - this.histlen + 1;
  }

  append(b: Uint8Array): void {
    const size = this.buf.length;
    this.end += b.length;
    let src = b;
    if (src.length > size) src = src.subarray(src.length - size);
    const first = Math.min(src.length, size - this.idx);
    this.buf.set(src.subarray(0, first), this.idx);
    if (first < src.length) this.buf.set(src.subarray(first), 0);
    this.idx = (this.idx + src.length) % size;
    this.histlen = Math.min(size, this.histlen + b.length);
  }

  /** Whether the bytes from offset `from` (1-based) to the end are all held. */
  covers(from: number): boolean {
    return from >= this.firstByte && from <= this.end + 1;
  }

  /** The bytes from offset `from` to the end (covers(from) must hold). */
  from(from: number): Buffer {
    const n = this.end + 1 - from;
    const out = Buffer.allocUnsafe(n);
    if (n === 0) return out;
    const size = this.buf.length;
    const start = (this.idx - n + size * 2) % size;
    const first = Math.min(n, size - start);
    this.buf.copy(out, 0, start, start + first);
    if (first < n) this.buf.copy(out, first, 0, n - first);
    return out;
  }

  /** repl-backlog-size changed: keep the newest bytes that fit. */
  resize(size: number): void {
    if (size === this.buf.length) return;
    const keep = Math.min(this.histlen, size);
    const data = this.from(this.end + 1 - keep);
    this.buf = Buffer.alloc(Math.max(1, size));
    this.idx = 0;
    this.histlen = 0;
    const end = this.end;
    this.end -= keep;
    this.append(data);
    this.end = end;
  }
}
