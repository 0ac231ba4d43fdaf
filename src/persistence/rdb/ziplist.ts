// Readers for the encodings Redis 7.0 no longer writes but still loads from RDB files and DUMP
// payloads of older servers: ziplists (lists before 7.0, small hashes and sorted sets before 7.0)
// and zipmaps (small hashes before 2.6), plus intsets (small integer sets, still written by 7.0).
// Each validates as Redis's deep integrity check does and returns null for anything malformed,
// reading only inside the range it is given.
//
// ziplist: <zlbytes u32 LE> <zltail u32 LE> <zllen u16 LE> <entry>... <0xFF>
//   entry = <prevlen: 1 byte < 254, or 0xFE + u32 LE> <encoding> <data>
//   encoding: 00pppppp | 01pppppp qqqqqqqq (BE) | 10______ + u32 BE: string lengths;
//             0xC0 int16, 0xD0 int32, 0xE0 int64, 0xF0 int24, 0xFE int8, 0xF1..0xFD immediate 0..12.
// zipmap:  <zmlen u8> (<len> key <len> <free u8> value <free bytes>)... <0xFF>, len = u8 < 254 or
//          254/255 + u32 LE.
// intset:  <encoding u32 LE: 2|4|8> <length u32 LE> <sorted unique little-endian integers>.

import type { LpValue } from './listpack.js';

const TWO53 = 2 ** 53;

function int64(buf: Buffer, p: number): number | bigint {
  const big = buf.readBigInt64LE(p);
  return big >= -BigInt(TWO53) && big <= BigInt(TWO53) ? Number(big) : big;
}

/** Decode and validate a ziplist in [start, end); null when malformed. */
export function zlDecode(buf: Buffer, start = 0, end = buf.length): LpValue[] | null {
  const size = end - start;
  if (size < 11) return null;
  if (buf.readUInt32LE(start) !== size) return null;
  const tail = buf.readUInt32LE(start + 4);
  const declared = buf.readUInt16LE(start + 8);
  const last = end - 1;
  if (buf[last] !== 0xff) return null;
  const out: LpValue[] = [];
  let p = start + 10;
  let prevSize = 0;
  let lastEntry = -1;
  while (p < last) {
    // prevlen
    let prevlen: number;
    let h: number;
    if (buf[p] < 254) {
      prevlen = buf[p];
      h = 1;
    } else if (buf[p] === 254) {
      if (p + 5 > last) return null;
      prevlen = buf.readUInt32LE(p + 1);
      h = 5;
    } else return null;
    if (prevlen !== prevSize) return null;
    let q = p + h;
    if (q >= last) return null;
    const e = buf[q];
    let v: LpValue;
    let dataLen: number;
    if (e < 0xc0) {
      let len: number;
      if (e < 0x40) {
        len = e & 0x3f;
        q += 1;
      } else if (e < 0x80) {
        if (q + 2 > last) return null;
        len = ((e & 0x3f) << 8) | buf[q + 1];
        q += 2;
      } else {
        if (q + 5 > last) return null;
        len = buf.readUInt32BE(q + 1);
        q += 5;
      }
      if (q + len > last) return null;
      v = buf.latin1Slice(q, q + len);
      dataLen = len;
    } else {
      q += 1;
      if (e === 0xc0) dataLen = 2;
      else if (e === 0xd0) dataLen = 4;
      else if (e === 0xe0) dataLen = 8;
      else if (e === 0xf0) dataLen = 3;
      else if (e === 0xfe) dataLen = 1;
      else if (e >= 0xf1 && e <= 0xfd) dataLen = 0;
      else return null;
      if (q + dataLen > last) return null;
      if (e === 0xc0) v = buf.readInt16LE(q);
      else if (e === 0xd0) v = buf.readInt32LE(q);
      else if (e === 0xe0) v = int64(buf, q);
      else if (e === 0xf0) v = buf.readIntLE(q, 3);
      else if (e === 0xfe) v = buf.readInt8(q);
      else v = (e & 0x0f) - 1;
    }
    const next = q + dataLen;
    out.push(v);
    lastEntry = p;
    prevSize = next - p;
    p = next;
  }
  if (p !== last) return null;
  // zltail: offset of the last entry (of the terminator's position when empty).
  if (tail !== (lastEntry < 0 ? 10 : lastEntry - start)) return null;
  if (declared !== 0xffff && declared !== out.length) return null;
  return out;
}

/** Decode and validate a zipmap; returns field, value, field, value … or null. */
export function zipmapDecode(buf: Buffer, start = 0, end = buf.length): string[] | null {
  const last = end - 1;
  if (end - start < 2 || buf[last] !== 0xff) return null;
  const declared = buf[start];
  const out: string[] = [];
  let p = start + 1;
  const readLen = (): number => {
    if (p >= last) return -1;
    const b = buf[p];
    if (b < 254) {
      p += 1;
      return b;
    }
    if (p + 5 > last) return -1;
    const n = buf.readUInt32LE(p + 1);
    p += 5;
    return n;
  };
  while (p < last) {
    const klen = readLen();
    if (klen < 0 || p + klen > last) return null;
    const k = buf.latin1Slice(p, p + klen);
    p += klen;
    const vlen = readLen();
    if (vlen < 0 || p >= last) return null;
    const free = buf[p++];
    if (p + vlen + free > last) return null;
    out.push(k, buf.latin1Slice(p, p + vlen));
    p += vlen + free;
  }
  if (p !== last) return null;
  if (declared < 254 && declared * 2 !== out.length) return null;
  return out;
}

/** Decode and validate an intset (deep: strictly ascending); integers as decimal strings, or null. */
export function intsetDecode(buf: Buffer, start = 0, end = buf.length): string[] | null {
  const size = end - start;
  if (size < 8) return null;
  const enc = buf.readUInt32LE(start);
  if (enc !== 2 && enc !== 4 && enc !== 8) return null;
  const n = buf.readUInt32LE(start + 4);
  if (n === 0 || 8 + n * enc !== size) return null;
  const out: string[] = [];
  let prev: number | bigint | null = null;
  for (let i = 0; i < n; i++) {
    const p = start + 8 + i * enc;
    const v: number | bigint = enc === 2 ? buf.readInt16LE(p) : enc === 4 ? buf.readInt32LE(p) : int64(buf, p);
    if (prev !== null && !(prev < v)) return null;
    prev = v;
    out.push(String(v));
  }
  return out;
}
