/**
 * Minimal, allocation-light binary reader/writer for WebAssembly modules.
 *
 * Used by the instrumentation pass (`instrument.ts`). Every read is bounds
 * checked against an explicit `end`, and every malformed encoding raises an
 * {@link InstrumentError} (never a RangeError/TypeError), so hostile input
 * cannot crash or hang the process: all loops advance the cursor by at least
 * one byte per iteration and vector counts are checked against the bytes left.
 *
 * LEB128 rules follow the spec exactly: an N-bit integer may use at most
 * ceil(N/7) bytes (over-long but in-range encodings such as `0x80 0x00` are
 * accepted), and the unused bits of the last byte must be zero (unsigned) or
 * a copy of the sign bit (signed).
 */

export class InstrumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InstrumentError';
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

export class Reader {
  readonly buf: Uint8Array;
  pos: number;
  end: number;

  constructor(buf: Uint8Array, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  fail(msg: string, at: number = this.pos): never {
    throw new InstrumentError(`malformed module at byte 0x${at.toString(16)}: ${msg}`);
  }

  eof(): boolean {
    return this.pos >= this.end;
  }

  u8(): number {
    if (this.pos >= this.end) this.fail('unexpected end');
    return this.buf[this.pos++]!;
  }

  peek(): number {
    if (this.pos >= this.end) this.fail('unexpected end');
    return this.buf[this.pos]!;
  }

  skip(n: number): void {
    if (n < 0 || this.pos + n > this.end) this.fail('unexpected end');
    this.pos += n;
  }

  /** Unsigned 32-bit LEB128 (at most 5 bytes). */
  u32(): number {
    const buf = this.buf;
    let pos = this.pos;
    const end = this.end;
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      if (pos >= end) this.fail('unexpected end in LEB128');
      const b = buf[pos++]!;
      if (i === 4) {
        if (b & 0x80) this.fail('LEB128 integer representation too long', pos - 1);
        if (b & 0x70) this.fail('LEB128 integer too large', pos - 1);
        result += b * 0x10000000; // 2^28, avoids int32 overflow
        this.pos = pos;
        return result;
      }
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        this.pos = pos;
        return result >>> 0;
      }
      shift += 7;
    }
    /* c8 ignore next */
    this.fail('unreachable');
  }

  /** Signed LEB128 of `bits` width (32, 33 or 64); returns a JS number (exact for <= 33 bits). */
  private sleb(bits: number): number {
    const buf = this.buf;
    let pos = this.pos;
    const end = this.end;
    const maxBytes = Math.ceil(bits / 7);
    let result = 0;
    let mul = 1;
    for (let i = 0; i < maxBytes; i++) {
      if (pos >= end) this.fail('unexpected end in LEB128');
      const b = buf[pos++]!;
      if (i === maxBytes - 1) {
        if (b & 0x80) this.fail('LEB128 integer representation too long', pos - 1);
        // bits remaining in the last byte that carry value (the top one is the sign)
        const used = bits - 7 * i; // 1..7
        const signBit = (b >> (used - 1)) & 1;
        const extMask = (0x7f >> used) << used; // bits above `used` within the 7 payload bits
        if ((b & extMask) !== (signBit ? extMask : 0)) this.fail('LEB128 integer too large', pos - 1);
        result += (b & ((1 << used) - 1)) * mul;
        if (signBit) result -= 2 ** bits;
        this.pos = pos;
        return result;
      }
      result += (b & 0x7f) * mul;
      if ((b & 0x80) === 0) {
        if (b & 0x40) result -= mul * 128;
        this.pos = pos;
        return result;
      }
      mul *= 128;
    }
    /* c8 ignore next */
    this.fail('unreachable');
  }

  s32(): number {
    return this.sleb(32);
  }

  s33(): number {
    return this.sleb(33);
  }

  /** Validates and skips a signed 64-bit LEB128 (value not needed by the pass). */
  skipS64(): void {
    const buf = this.buf;
    let pos = this.pos;
    const end = this.end;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) this.fail('unexpected end in LEB128');
      const b = buf[pos++]!;
      if (i === 9) {
        if (b & 0x80) this.fail('LEB128 integer representation too long', pos - 1);
        if (b !== 0 && b !== 0x7f) this.fail('LEB128 integer too large', pos - 1);
        break;
      }
      if ((b & 0x80) === 0) break;
    }
    this.pos = pos;
  }

  /** A vector count, sanity-checked against the remaining bytes (each element is >= minElemSize bytes). */
  count(minElemSize = 1): number {
    const at = this.pos;
    const n = this.u32();
    if (n * minElemSize > this.end - this.pos) this.fail(`vector length ${n} exceeds the remaining bytes`, at);
    return n;
  }

  /** A length-prefixed UTF-8 name. */
  name(): string {
    const len = this.u32();
    if (len > this.end - this.pos) this.fail('name extends past end');
    const s = utf8.decode(this.buf.subarray(this.pos, this.pos + len));
    this.pos += len;
    return s;
  }

  /** Skips a length-prefixed name and returns nothing. */
  skipName(): void {
    const len = this.u32();
    this.skip(len);
  }
}

/** Growable byte buffer with LEB128 encoders. */
export class Writer {
  buf: Uint8Array;
  len = 0;

  constructor(initial = 1024) {
    this.buf = new Uint8Array(Math.max(16, initial));
  }

  private grow(need: number): void {
    let cap = this.buf.length * 2;
    while (cap < this.len + need) cap *= 2;
    const nb = new Uint8Array(cap);
    nb.set(this.buf.subarray(0, this.len));
    this.buf = nb;
  }

  reset(): void {
    this.len = 0;
  }

  u8(b: number): void {
    if (this.len + 1 > this.buf.length) this.grow(1);
    this.buf[this.len++] = b;
  }

  bytes(src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start;
    if (n <= 0) return;
    if (this.len + n > this.buf.length) this.grow(n);
    this.buf.set(src.subarray(start, end), this.len);
    this.len += n;
  }

  u32(v: number): void {
    if (this.len + 5 > this.buf.length) this.grow(5);
    const buf = this.buf;
    v = v >>> 0;
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v !== 0) b |= 0x80;
      buf[this.len++] = b;
    } while (v !== 0);
  }

  s32(v: number): void {
    if (this.len + 5 > this.buf.length) this.grow(5);
    const buf = this.buf;
    v = v | 0;
    for (;;) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
        buf[this.len++] = b;
        return;
      }
      buf[this.len++] = b | 0x80;
    }
  }

  /** Fixed-width (5-byte) signed LEB128 for a non-negative i32; returns its offset for later patching. */
  s32Padded(v: number): number {
    const at = this.len;
    if (this.len + 5 > this.buf.length) this.grow(5);
    this.len += 5;
    this.patchS32Padded(at, v);
    return at;
  }

  patchS32Padded(at: number, v: number): void {
    const buf = this.buf;
    buf[at] = (v & 0x7f) | 0x80;
    buf[at + 1] = ((v >>> 7) & 0x7f) | 0x80;
    buf[at + 2] = ((v >>> 14) & 0x7f) | 0x80;
    buf[at + 3] = ((v >>> 21) & 0x7f) | 0x80;
    buf[at + 4] = (v >>> 28) & 0x07; // v < 2^31: sign bit (0x08) and extension bits clear
  }

  name(s: string): void {
    const b = new TextEncoder().encode(s);
    this.u32(b.length);
    this.bytes(b);
  }

  /** Appends `other` prefixed by its u32 length. */
  sized(other: Writer): void {
    this.u32(other.len);
    this.bytes(other.buf, 0, other.len);
  }

  toBytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
