// Listpacks (Redis's listpack.c): the compact encoding Redis 7.0 uses inside RDB values for small
// hashes and sorted sets, the nodes of lists (quicklist 2) and every stream node.
//
//   <total-bytes u32 LE> <num-elements u16 LE, 65535 = unknown> <entry> ... <0xFF>
//   entry = <encoding + data> <backlen: the size of encoding + data, 1-5 bytes, read backwards>
//
// Integers: 0xxxxxxx (7-bit uint), 110xxxxx + 1 byte (13-bit), 0xF1/F2/F3/F4 + 2/3/4/8 bytes LE.
// Strings: 10xxxxxx (len < 64), 1110xxxx + 1 byte (len < 4096), 0xF0 + 4 bytes LE, then the bytes.
//
// lpDecode validates like Redis's lpValidateIntegrity with deep = 1 (every entry's encoding and
// bounds, every backlen, the element count, the terminator) and never reads outside the range it
// is given, so a hostile blob costs O(its size) and yields null. ListpackWriter encodes like
// lpAppend (a string that is a canonical int64 is stored as an integer, the smallest encoding).

import { parseLongLong } from '../../util/numbers.js';

/** A decoded element: a latin1 string, or an integer (a bigint only outside the safe range). */
export type LpValue = string | number | bigint;

const TWO53 = 2 ** 53;

/** Size of the backlen that follows an entry of `l` bytes. */
export function lpBacklenSize(l: number): number {
  return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

/**
 * Decode and validate listpack bytes [start, end). Returns the elements, or null when the blob is
 * not a valid listpack. `maxElements` bounds the work before anything is allocated per element.
 */
export function lpDecode(buf: Buffer, start = 0, end = buf.length): LpValue[] | null {
  const size = end - start;
  if (size < 7) return null;
  if (buf.readUInt32LE(start) !== size) return null;
  const declared = buf.readUInt16LE(start + 4);
  if (buf[end - 1] !== 0xff) return null;
  const out: LpValue[] = [];
  let p = start + 6;
  const last = end - 1; // the terminator
  while (p < last) {
    const b = buf[p];
    let hdr: number;
    let dataLen: number;
    let v: LpValue;
    if (b < 0x80) {
      hdr = 1;
      dataLen = 0;
      v = b;
    } else if (b < 0xc0) {
      hdr = 1;
      dataLen = b & 0x3f;
      if (p + 1 + dataLen > last) return null;
      v = buf.latin1Slice(p + 1, p + 1 + dataLen);
    } else if (b < 0xe0) {
      hdr = 2;
      dataLen = 0;
      if (p + 2 > last) return null;
      let n = ((b & 0x1f) << 8) | buf[p + 1];
      if (n >= 1 << 12) n -= 1 << 13;
      v = n;
    } else if (b < 0xf0) {
      hdr = 2;
      if (p + 2 > last) return null;
      dataLen = ((b & 0x0f) << 8) | buf[p + 1];
      if (p + 2 + dataLen > last) return null;
      v = buf.latin1Slice(p + 2, p + 2 + dataLen);
    } else if (b === 0xf0) {
      hdr = 5;
      if (p + 5 > last) return null;
      dataLen = buf.readUInt32LE(p + 1);
      if (p + 5 + dataLen > last) return null;
      v = buf.latin1Slice(p + 5, p + 5 + dataLen);
    } else if (b === 0xf1) {
      hdr = 3;
      dataLen = 0;
      if (p + 3 > last) return null;
      v = buf.readInt16LE(p + 1);
    } else if (b === 0xf2) {
      hdr = 4;
      dataLen = 0;
      if (p + 4 > last) return null;
      v = buf.readIntLE(p + 1, 3);
    } else if (b === 0xf3) {
      hdr = 5;
      dataLen = 0;
      if (p + 5 > last) return null;
      v = buf.readInt32LE(p + 1);
    } else if (b === 0xf4) {
      hdr = 9;
      dataLen = 0;
      if (p + 9 > last) return null;
      const big = buf.readBigInt64LE(p + 1);
      v = big >= -BigInt(TWO53) && big <= BigInt(TWO53) ? Number(big) : big;
    } else {
      return null; // 0xF5..0xFE are not encodings; 0xFF before the end is a stray terminator
    }
    const l = hdr + dataLen;
    const bl = lpBacklenSize(l);
    if (p + l + bl > last) return null;
    // The backlen, as lpEncodeBacklen writes it (most significant 7-bit group first).
    const q = p + l;
    if (bl === 1) {
      if (buf[q] !== l) return null;
    } else {
      let dec = buf[q];
      if (dec & 128) return null;
      for (let k = 1; k < bl; k++) {
        const x = buf[q + k];
        if (!(x & 128)) return null;
        dec = dec * 128 + (x & 127);
      }
      if (dec !== l) return null;
    }
    out.push(v);
    p = q + bl;
  }
  if (p !== last) return null;
  if (declared !== 0xffff && declared !== out.length) return null;
  return out;
}

/** An element as a latin1 string (integers in decimal, as Redis's lpGet + ll2string). */
export function lpString(v: LpValue): string {
  return typeof v === 'string' ? v : String(v);
}

/** An element as an integer, accepting a canonical integer string (lpGetIntegerIfValid); else null. */
export function lpInteger(v: LpValue): number | bigint | null {
  if (typeof v !== 'string') return v;
  return parseLongLong(v);
}

/** Builds listpack bytes element by element (lpAppend's encodings). */
export class ListpackWriter {
  private parts: Buffer[] = [];
  private cur: Buffer = Buffer.allocUnsafe(256);
  private pos = 6;
  private total = 0;
  count = 0;

  /** Bytes so far, header and terminator included. */
  get bytes(): number {
    return this.total + this.pos + 1;
  }

  private room(n: number): void {
    if (this.pos + n <= this.cur.length) return;
    this.parts.push(this.cur.subarray(0, this.pos));
    this.total += this.pos;
    this.cur = Buffer.allocUnsafe(Math.max(256, n, this.total));
    this.pos = 0;
  }

  private backlen(l: number): void {
    const c = this.cur;
    let p = this.pos;
    if (l <= 127) c[p++] = l;
    else if (l < 16383) {
      c[p++] = l >>> 7;
      c[p++] = (l & 127) | 128;
    } else if (l < 2097151) {
      c[p++] = l >>> 14;
      c[p++] = ((l >>> 7) & 127) | 128;
      c[p++] = (l & 127) | 128;
    } else if (l < 268435455) {
      c[p++] = l >>> 21;
      c[p++] = ((l >>> 14) & 127) | 128;
      c[p++] = ((l >>> 7) & 127) | 128;
      c[p++] = (l & 127) | 128;
    } else {
      c[p++] = Math.floor(l / 2 ** 28);
      c[p++] = ((l >>> 21) & 127) | 128;
      c[p++] = ((l >>> 14) & 127) | 128;
      c[p++] = ((l >>> 7) & 127) | 128;
      c[p++] = (l & 127) | 128;
    }
    this.pos = p;
  }

  /** Append an integer element (int64 range). */
  int(v: number | bigint): this {
    this.count++;
    this.room(14);
    const c = this.cur;
    const p = this.pos;
    let l: number;
    if (typeof v === 'bigint' && v >= -(2n ** 53n) && v <= 2n ** 53n) v = Number(v);
    if (typeof v === 'bigint') {
      c[p] = 0xf4;
      c.writeBigInt64LE(v, p + 1);
      l = 9;
    } else if (v >= 0 && v <= 127) {
      c[p] = v;
      l = 1;
    } else if (v >= -4096 && v <= 4095) {
      const u = v < 0 ? (1 << 13) + v : v;
      c[p] = (u >> 8) | 0xc0;
      c[p + 1] = u & 0xff;
      l = 2;
    } else if (v >= -32768 && v <= 32767) {
      c[p] = 0xf1;
      c.writeInt16LE(v, p + 1);
      l = 3;
    } else if (v >= -8388608 && v <= 8388607) {
      c[p] = 0xf2;
      c.writeIntLE(v, p + 1, 3);
      l = 4;
    } else if (v >= -2147483648 && v <= 2147483647) {
      c[p] = 0xf3;
      c.writeInt32LE(v, p + 1);
      l = 5;
    } else {
      c[p] = 0xf4;
      c.writeBigInt64LE(BigInt(v), p + 1);
      l = 9;
    }
    this.pos = p + l;
    this.backlen(l);
    return this;
  }

  /** Append a string element; a canonical int64 string is stored as an integer, like lpAppend. */
  str(s: string): this {
    if (s.length > 0 && s.length <= 20) {
      const n = parseLongLong(s);
      if (n !== null) return this.int(n);
    }
    this.count++;
    const len = s.length;
    this.room(len + 10);
    const c = this.cur;
    let p = this.pos;
    let hdr: number;
    if (len < 64) {
      c[p++] = len | 0x80;
      hdr = 1;
    } else if (len < 4096) {
      c[p++] = (len >> 8) | 0xe0;
      c[p++] = len & 0xff;
      hdr = 2;
    } else {
      c[p++] = 0xf0;
      c.writeUInt32LE(len, p);
      p += 4;
      hdr = 5;
    }
    c.latin1Write(s, p, len);
    this.pos = p + len;
    this.backlen(hdr + len);
    return this;
  }

  /** The finished listpack (the writer must not be used afterwards). */
  finish(): Buffer {
    this.room(1);
    this.cur[this.pos++] = 0xff;
    this.parts.push(this.cur.subarray(0, this.pos));
    const out = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts);
    out.writeUInt32LE(out.length, 0);
    out.writeUInt16LE(this.count < 0xffff ? this.count : 0xffff, 4);
    return out;
  }
}
