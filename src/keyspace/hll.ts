// HyperLogLog with Redis 7.0's own representation (hyperloglog.c), byte for byte, so that a value
// one server writes the other reads, and counts are identical rather than merely close.
//
// Layout (every value is a plain string value; no new type):
//   16-byte header: "HYLL", encoding (0 dense, 1 sparse), 3 unused bytes, the cached cardinality
//   as a 64-bit little-endian integer whose top bit means "stale, recompute".
//   dense:  16384 6-bit registers packed LSB-first, 12288 bytes (12304 with the header).
//   sparse: run-length opcodes — ZERO 00xxxxxx (1..64 zero registers), XZERO 01xxxxxx yyyyyyyy
//           (1..16384 zero registers), VAL 1vvvvvxx (value 1..32 repeated 1..4 times). A value past
//           32, or growing past hll-sparse-max-bytes, promotes the HLL to dense.
// Elements hash with MurmurHash64A (seed 0xadc83b19): low 14 bits pick the register, the run of
// zeros above them (+1) is the candidate value. The estimate is Ertl's improved estimator from the
// register histogram (hllSigma / hllTau), exactly as Redis computes it in doubles.
//
// Why the algorithm works on a mutable `Hll` (a Buffer with a length) rather than on the stored
// string: sparse updates insert and remove bytes in the middle, as Redis does on its sds. The
// command layer (src/commands/hyperloglog.ts) copies the stored string into an Hll and back; that
// copy is the only place that knows how values are stored, so a mutable byte-string value can
// replace it later without touching this file. Every buffer keeps one zero byte past `len`, like
// sds's terminator, because Redis's register and opcode reads may look one byte beyond the end.

export const HLL_P = 14;
export const HLL_Q = 64 - HLL_P;
export const HLL_REGISTERS = 1 << HLL_P;
const HLL_P_MASK = HLL_REGISTERS - 1;
const HLL_REGISTER_MAX = 63;
export const HLL_HDR_SIZE = 16;
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + ((HLL_REGISTERS * 6 + 7) >> 3);
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
const HLL_MAX_ENCODING = 1;
const SPARSE_VAL_MAX_VALUE = 32;
const SPARSE_VAL_MAX_LEN = 4;
const SPARSE_ZERO_MAX_LEN = 64;
const SPARSE_XZERO_MAX_LEN = 16384;
const ALPHA_INF = 0.72134752044448170368; // 0.5 / ln(2)
const SEED = 0xadc83b19;

/** An HLL being worked on: bytes [0, len) of buf; buf[len] is always 0 (the sds terminator). */
export class Hll {
  constructor(
    public buf: Buffer,
    public len: number,
  ) {}

  /** A copy of `bytes` with room to grow by a few bytes. */
  static from(bytes: Uint8Array, len = bytes.length): Hll {
    const buf = Buffer.allocUnsafe(len + 8);
    buf.set(bytes.subarray(0, len), 0);
    buf.fill(0, len);
    return new Hll(buf, len);
  }

  /** Redis's createHLLObject: a sparse HLL of one XZERO:16384 opcode, cache valid at 0. */
  static create(): Hll {
    const buf = Buffer.alloc(HLL_HDR_SIZE + 2 + 8);
    buf.write('HYLL', 0, 'latin1');
    buf[4] = HLL_SPARSE;
    buf[16] = 0x40 | ((SPARSE_XZERO_MAX_LEN - 1) >> 8);
    buf[17] = (SPARSE_XZERO_MAX_LEN - 1) & 0xff;
    return new Hll(buf, HLL_HDR_SIZE + 2);
  }

  get encoding(): number {
    return this.buf[4];
  }

  /** The bytes as stored (a view, valid until the next change). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  /** Make room for `extra` more bytes (plus the terminator). */
  reserve(extra: number): void {
    if (this.len + extra + 1 <= this.buf.length) return;
    const b = Buffer.alloc(Math.max(this.buf.length * 2, this.len + extra + 8));
    b.set(this.buf.subarray(0, this.len), 0);
    this.buf = b;
  }

  invalidateCache(): void {
    this.buf[15] |= 0x80;
  }
}

// ---- Validity (isHLLObjectOrReply) -----------------------------------------------------------------

/** Whether bytes `b` (length `len`) are an HLL Redis accepts: magic, known encoding, dense size. */
export function isHllBytes(b: Uint8Array, len = b.length): boolean {
  if (len < HLL_HDR_SIZE) return false;
  if (b[0] !== 0x48 || b[1] !== 0x59 || b[2] !== 0x4c || b[3] !== 0x4c) return false; // "HYLL"
  if (b[4] > HLL_MAX_ENCODING) return false;
  return b[4] !== HLL_DENSE || len === HLL_DENSE_SIZE;
}

/** The same test on a latin1 string value, without copying it. */
export function isHllString(s: string): boolean {
  const len = s.length;
  if (len < HLL_HDR_SIZE) return false;
  if (s.charCodeAt(0) !== 0x48 || s.charCodeAt(1) !== 0x59 || s.charCodeAt(2) !== 0x4c || s.charCodeAt(3) !== 0x4c) return false;
  const enc = s.charCodeAt(4);
  if (enc > HLL_MAX_ENCODING) return false;
  return enc !== HLL_DENSE || len === HLL_DENSE_SIZE;
}

// ---- MurmurHash64A ---------------------------------------------------------------------------------
//
// 64-bit arithmetic in two 32-bit halves (no BigInt on the hot path): the state lives in two
// module variables (not exported: exported bindings are slower to write), read back through
// hashHigh() / hashLow().

const M_HI = 0xc6a4a793;
const M_LO = 0x5bd1e995;
const M_LO0 = M_LO & 0xffff;
const M_LO1 = M_LO >>> 16;

let hHi = 0;
let hLo = 0;

/** (hi, lo) * m mod 2^64 into (hHi, hLo). */
function mulM(hi: number, lo: number): void {
  const a0 = lo & 0xffff;
  const a1 = lo >>> 16;
  const mid1 = a1 * M_LO0;
  const mid2 = a0 * M_LO1;
  const carry = (((a0 * M_LO0) >>> 16) + (mid1 & 0xffff) + (mid2 & 0xffff)) >>> 16;
  hHi = (a1 * M_LO1 + (mid1 >>> 16) + (mid2 >>> 16) + carry + Math.imul(lo, M_HI) + Math.imul(hi, M_LO)) | 0;
  hLo = Math.imul(lo, M_LO);
}

/** Mix one little-endian 64-bit block (kHi, kLo) into the state (hHi, hLo). */
function block(kHi: number, kLo: number): void {
  const sh = hHi;
  const sl = hLo;
  mulM(kHi, kLo);
  mulM(hHi, hLo ^ (hHi >>> 15)); // k ^= k >> 47; k *= m
  mulM(sh ^ hHi, sl ^ hLo); // h ^= k; h *= m
}

/** h = seed ^ (len * m) */
function init(len: number, seed: number): void {
  mulM(0, len);
  hLo ^= seed;
}

/** h ^= h >> 47; h *= m; h ^= h >> 47 */
function finish(): void {
  mulM(hHi, hLo ^ (hHi >>> 15));
  hLo ^= hHi >>> 15;
}

/** MurmurHash64A of a latin1 string's bytes (read back with hashHigh / hashLow). */
export function murmur64aString(s: string, seed = SEED): void {
  const len = s.length;
  init(len, seed);
  const end = len - (len & 7);
  let i = 0;
  for (; i < end; i += 8) {
    const lo = s.charCodeAt(i) | (s.charCodeAt(i + 1) << 8) | (s.charCodeAt(i + 2) << 16) | (s.charCodeAt(i + 3) << 24);
    const hi = s.charCodeAt(i + 4) | (s.charCodeAt(i + 5) << 8) | (s.charCodeAt(i + 6) << 16) | (s.charCodeAt(i + 7) << 24);
    block(hi, lo);
  }
  const rest = len & 7;
  if (rest !== 0) {
    let lo = 0;
    let hi = 0;
    for (let j = 0; j < rest; j++) {
      const c = s.charCodeAt(i + j);
      if (j < 4) lo |= c << (8 * j);
      else hi |= c << (8 * (j - 4));
    }
    mulM(hHi ^ hi, hLo ^ lo);
  }
  finish();
}

/** MurmurHash64A of the 8 bytes of a little-endian uint64 given as (hi, lo) halves. */
export function murmur64aU64(hi: number, lo: number, seed = SEED): void {
  init(8, seed);
  block(hi | 0, lo | 0);
  finish();
}

/** High / low 32 bits (unsigned) of the last hash. */
export function hashHigh(): number {
  return hHi >>> 0;
}
export function hashLow(): number {
  return hLo >>> 0;
}

/** MurmurHash64A as a bigint (tests, tools). */
export function murmur64a(s: string, seed = SEED): bigint {
  murmur64aString(s, seed);
  return (BigInt(hashHigh()) << 32n) | BigInt(hashLow());
}

/**
 * hllPatLen of the last hash, packed: (count << 14) | register index. The index is the low 14
 * bits; count is 1 + the trailing zeros of the remaining 50 bits (bit 50 forced on, so <= Q + 1).
 */
function patOfHash(): number {
  const index = hLo & HLL_P_MASK;
  const lo = (hLo >>> HLL_P) | (hHi << (32 - HLL_P));
  let count: number;
  if (lo !== 0) count = 32 - Math.clz32(lo & -lo); // trailing zeros + 1
  else {
    const hi = (hHi >>> HLL_P) | (1 << (HLL_Q - 32));
    count = 64 - Math.clz32(hi & -hi); // 32 + trailing zeros + 1
  }
  return (count << HLL_P) | index;
}

/** Redis's hllPatLen for an element, packed as (count << 14) | register index. */
export function patOf(ele: string): number {
  murmur64aString(ele);
  return patOfHash();
}

// ---- Dense registers ------------------------------------------------------------------------------

/** Register `i` of a dense register area starting at `off`. */
export function denseGet(b: Uint8Array, off: number, i: number): number {
  const bit = i * 6;
  const byte = off + (bit >>> 3);
  const fb = bit & 7;
  return ((b[byte] >>> fb) | (b[byte + 1] << (8 - fb))) & HLL_REGISTER_MAX;
}

export function denseSet(b: Uint8Array, off: number, i: number, v: number): void {
  const bit = i * 6;
  const byte = off + (bit >>> 3);
  const fb = bit & 7;
  const fb8 = 8 - fb;
  b[byte] = (b[byte] & ~(HLL_REGISTER_MAX << fb)) | (v << fb);
  b[byte + 1] = (b[byte + 1] & ~(HLL_REGISTER_MAX >>> fb8)) | (v >>> fb8);
}

/** hllDenseSet: raise register `index` to `count`; 1 if it changed. */
function denseRaise(b: Uint8Array, index: number, count: number): number {
  if (count > denseGet(b, HLL_HDR_SIZE, index)) {
    denseSet(b, HLL_HDR_SIZE, index, count);
    return 1;
  }
  return 0;
}

// ---- Sparse representation ------------------------------------------------------------------------

/** hllSparseToDense: false (and `o` unchanged) when the sparse opcodes are corrupt. */
export function sparseToDense(o: Hll): boolean {
  if (o.encoding === HLL_DENSE) return true;
  const d = Buffer.alloc(HLL_DENSE_SIZE + 1);
  o.buf.copy(d, 0, 0, HLL_HDR_SIZE); // magic and cached cardinality
  d[4] = HLL_DENSE;
  const b = o.buf;
  const end = o.len;
  let p = HLL_HDR_SIZE;
  let idx = 0;
  while (p < end) {
    const op = b[p];
    if ((op & 0xc0) === 0) {
      idx += (op & 0x3f) + 1;
      p++;
    } else if ((op & 0x80) === 0) {
      idx += (((op & 0x3f) << 8) | b[p + 1]) + 1;
      p += 2;
    } else {
      let runlen = (op & 3) + 1;
      const val = ((op >>> 2) & 0x1f) + 1;
      if (runlen + idx > HLL_REGISTERS) return false; // a VAL run past the last register
      while (runlen-- > 0) denseSet(d, HLL_HDR_SIZE, idx++, val);
      p++;
    }
  }
  if (idx !== HLL_REGISTERS) return false;
  o.buf = d;
  o.len = HLL_DENSE_SIZE;
  return true;
}

const seq = new Uint8Array(5);

/**
 * hllSparseSet: raise register `index` to `count` in a sparse HLL, splitting the opcode that
 * covers it and merging equal neighbouring VAL opcodes, promoting to dense when the value does not
 * fit a VAL opcode or the value would outgrow `maxBytes`. 1 = changed, 0 = not, -1 = corrupt.
 */
export function sparseSet(o: Hll, index: number, count: number, maxBytes: number): number {
  if (count > SPARSE_VAL_MAX_VALUE) return promote(o, index, count);
  o.reserve(3);
  let b = o.buf;
  let end = o.len;
  let p = HLL_HDR_SIZE;
  let first = 0;
  let prev = -1;
  let span = 0;
  // Step 1: find the opcode covering `index`.
  while (p < end) {
    const op = b[p];
    let oplen = 1;
    if ((op & 0xc0) === 0) span = (op & 0x3f) + 1;
    else if (op & 0x80) span = (op & 3) + 1;
    else {
      span = (((op & 0x3f) << 8) | b[p + 1]) + 1;
      oplen = 2;
    }
    if (index <= first + span - 1) break;
    prev = p;
    p += oplen;
    first += span;
  }
  if (span === 0 || p >= end) return -1;
  const op = b[p];
  const isXzero = (op & 0xc0) === 0x40;
  let next = isXzero ? p + 2 : p + 1;
  if (next >= end) next = -1;
  const isZero = (op & 0xc0) === 0;
  const isVal = (op & 0x80) !== 0;
  const runlen = isZero ? (op & 0x3f) + 1 : isXzero ? (((op & 0x3f) << 8) | b[p + 1]) + 1 : (op & 3) + 1;

  updated: {
    if (isVal) {
      const old = ((op >>> 2) & 0x1f) + 1;
      if (old >= count) return 0; // case A
      if (runlen === 1) {
        b[p] = valOp(count, 1); // case B
        break updated;
      }
    }
    if (isZero && runlen === 1) {
      b[p] = valOp(count, 1); // case C
      break updated;
    }
    // Case D: split the opcode into up to three.
    let n = 0;
    const last = first + span - 1;
    if (isZero || isXzero) {
      if (index !== first) n = zeroRun(n, index - first);
      seq[n++] = valOp(count, 1);
      if (index !== last) n = zeroRun(n, last - index);
    } else {
      const cur = ((op >>> 2) & 0x1f) + 1;
      if (index !== first) seq[n++] = valOp(cur, index - first);
      seq[n++] = valOp(count, 1);
      if (index !== last) seq[n++] = valOp(cur, last - index);
    }
    const oldlen = isXzero ? 2 : 1;
    const delta = n - oldlen;
    if (delta > 0 && o.len + delta > maxBytes) return promote(o, index, count);
    if (delta !== 0 && next !== -1) b.copyWithin(next + delta, next, end);
    o.len += delta;
    b[o.len] = 0;
    b.set(seq.subarray(0, n), p);
    end += delta;
  }

  // Step 4: merge adjacent VAL opcodes of the same value, scanning up to 5 opcodes from prev.
  p = prev >= 0 ? prev : HLL_HDR_SIZE;
  b = o.buf;
  let scan = 5;
  while (p < end && scan-- > 0) {
    const op1 = b[p];
    if ((op1 & 0xc0) === 0x40) {
      p += 2;
      continue;
    }
    if ((op1 & 0xc0) === 0) {
      p++;
      continue;
    }
    if (p + 1 < end && b[p + 1] & 0x80) {
      const op2 = b[p + 1];
      const v1 = ((op1 >>> 2) & 0x1f) + 1;
      const v2 = ((op2 >>> 2) & 0x1f) + 1;
      if (v1 === v2) {
        const len = (op1 & 3) + (op2 & 3) + 2;
        if (len <= SPARSE_VAL_MAX_LEN) {
          b[p + 1] = valOp(v1, len);
          b.copyWithin(p, p + 1, end + 1);
          o.len--;
          b[o.len] = 0;
          end--;
          continue;
        }
      }
    }
    p++;
  }
  o.invalidateCache();
  return 1;
}

function valOp(val: number, len: number): number {
  return 0x80 | ((val - 1) << 2) | (len - 1);
}

/** Write a ZERO or XZERO opcode for `len` zero registers at seq[n]; returns the next position. */
function zeroRun(n: number, len: number): number {
  if (len > SPARSE_ZERO_MAX_LEN) {
    seq[n] = 0x40 | ((len - 1) >> 8);
    seq[n + 1] = (len - 1) & 0xff;
    return n + 2;
  }
  seq[n] = len - 1;
  return n + 1;
}

function promote(o: Hll, index: number, count: number): number {
  if (!sparseToDense(o)) return -1;
  // A promotion always follows a register that needs raising, so this is 1 (Redis asserts it).
  return denseRaise(o.buf, index, count);
}

/** hllAdd: add one element; 1 = a register changed, 0 = not, -1 = corrupt / unknown encoding. */
export function hllAdd(o: Hll, ele: string, maxBytes: number): number {
  const pat = patOf(ele);
  return hllSet(o, pat & HLL_P_MASK, pat >>> HLL_P, maxBytes);
}

/** Raise one register of an HLL of either encoding. */
export function hllSet(o: Hll, index: number, count: number, maxBytes: number): number {
  switch (o.encoding) {
    case HLL_DENSE:
      return denseRaise(o.buf, index, count);
    case HLL_SPARSE:
      return sparseSet(o, index, count, maxBytes);
    default:
      return -1;
  }
}

// ---- Histograms and the estimator -----------------------------------------------------------------

const histo = new Int32Array(64);

function denseHisto(b: Uint8Array, off: number): void {
  for (let j = 0, r = off; j < HLL_REGISTERS / 4; j++, r += 3) {
    const b0 = b[r];
    const b1 = b[r + 1];
    const b2 = b[r + 2];
    histo[b0 & 63]++;
    histo[((b0 >>> 6) | (b1 << 2)) & 63]++;
    histo[((b1 >>> 4) | (b2 << 4)) & 63]++;
    histo[b2 >>> 2]++;
  }
}

/** hllSparseRegHisto; false when the opcodes do not cover exactly 16384 registers. */
function sparseHisto(b: Uint8Array, start: number, end: number): boolean {
  let idx = 0;
  let p = start;
  while (p < end) {
    const op = b[p];
    if ((op & 0xc0) === 0) {
      const run = (op & 0x3f) + 1;
      idx += run;
      histo[0] += run;
      p++;
    } else if ((op & 0x80) === 0) {
      const run = (((op & 0x3f) << 8) | (b[p + 1] ?? 0)) + 1;
      idx += run;
      histo[0] += run;
      p += 2;
    } else {
      const run = (op & 3) + 1;
      idx += run;
      histo[((op >>> 2) & 0x1f) + 1] += run;
      p++;
    }
  }
  return idx === HLL_REGISTERS;
}

function hllSigma(x: number): number {
  if (x === 1) return Infinity;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

function hllTau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1.0;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    const d = 1 - x;
    z -= d * d * y;
  } while (zPrime !== z);
  return z / 3;
}

/** 2^63: what llroundl gives for an estimate out of long long range (Redis replies it as LLONG_MIN). */
const OUT_OF_RANGE = 2n ** 63n;

/** The estimate from the histogram in `histo` (cleared afterwards), as Redis's uint64_t. */
function estimate(): number | bigint {
  const m = HLL_REGISTERS;
  let z = m * hllTau((m - histo[HLL_Q + 1]) / m);
  for (let j = HLL_Q; j >= 1; --j) {
    z += histo[j];
    z *= 0.5;
  }
  z += m * hllSigma(histo[0] / m);
  histo.fill(0);
  const e = Math.round((ALPHA_INF * m * m) / z);
  if (!(e < 2 ** 63)) return OUT_OF_RANGE;
  return e <= Number.MAX_SAFE_INTEGER ? e : BigInt(e);
}

/** hllCount of a dense or sparse HLL's bytes; null when a sparse one is corrupt. */
export function hllCount(b: Uint8Array, len: number): number | bigint | null {
  if (b[4] === HLL_DENSE) denseHisto(b, HLL_HDR_SIZE);
  else if (!sparseHisto(b, HLL_HDR_SIZE, len)) {
    histo.fill(0);
    return null;
  }
  return estimate();
}

/** hllCount of raw registers (one byte each): PFCOUNT of several keys. */
export function rawCount(max: Uint8Array): number | bigint {
  for (let i = 0; i < HLL_REGISTERS; i++) histo[max[i]]++;
  return estimate();
}

/** A uint64 estimate as Redis's addReplyLongLong shows it (2^63 and above wrap negative). */
export function cardReply(card: number | bigint): number | bigint {
  return typeof card === 'bigint' && card >= OUT_OF_RANGE ? card - 2n ** 64n : card;
}

// ---- Cached cardinality ---------------------------------------------------------------------------

/** Whether the header's cached cardinality is valid (top bit clear). */
export function cacheValid(b: Uint8Array): boolean {
  return (b[15] & 0x80) === 0;
}

/** The cached cardinality (a uint64 with the top bit clear). */
export function cachedCard(b: Uint8Array): number | bigint {
  const lo = (b[8] | (b[9] << 8) | (b[10] << 16) | (b[11] << 24)) >>> 0;
  const hi = (b[12] | (b[13] << 8) | (b[14] << 16) | (b[15] << 24)) >>> 0;
  if (hi < 0x200000) return hi * 2 ** 32 + lo;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

export function setCachedCard(b: Uint8Array, card: number | bigint): void {
  let v = BigInt(card);
  for (let i = 8; i < 16; i++) {
    b[i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

// ---- Merge ----------------------------------------------------------------------------------------

/** hllMerge: max[i] = max(max[i], register i); false when a sparse HLL is corrupt. */
export function hllMerge(max: Uint8Array, b: Uint8Array, len: number): boolean {
  if (b[4] === HLL_DENSE) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const v = denseGet(b, HLL_HDR_SIZE, i);
      if (v > max[i]) max[i] = v;
    }
    return true;
  }
  let p = HLL_HDR_SIZE;
  let i = 0;
  while (p < len) {
    const op = b[p];
    if ((op & 0xc0) === 0) {
      i += (op & 0x3f) + 1;
      p++;
    } else if ((op & 0x80) === 0) {
      i += (((op & 0x3f) << 8) | (b[p + 1] ?? 0)) + 1;
      p += 2;
    } else {
      let run = (op & 3) + 1;
      const val = ((op >>> 2) & 0x1f) + 1;
      if (run + i > HLL_REGISTERS) return false; // a VAL run past the last register
      while (run-- > 0) {
        if (val > max[i]) max[i] = val;
        i++;
      }
      p++;
    }
  }
  return i === HLL_REGISTERS;
}

// ---- PFDEBUG DECODE -------------------------------------------------------------------------------

/** The sparse opcodes as PFDEBUG DECODE prints them: `Z:16384`, `z:3`, `v:2,1`, space separated. */
export function decodeSparse(b: Uint8Array, len: number): string {
  const out: string[] = [];
  let p = HLL_HDR_SIZE;
  while (p < len) {
    const op = b[p];
    if ((op & 0xc0) === 0) {
      out.push(`z:${(op & 0x3f) + 1}`);
      p++;
    } else if ((op & 0x80) === 0) {
      out.push(`Z:${(((op & 0x3f) << 8) | (b[p + 1] ?? 0)) + 1}`);
      p += 2;
    } else {
      out.push(`v:${((op >>> 2) & 0x1f) + 1},${(op & 3) + 1}`);
      p++;
    }
  }
  return out.join(' ');
}

// ---- PFSELFTEST -----------------------------------------------------------------------------------

/**
 * Redis's PFSELFTEST: (1) random register writes read back without disturbing neighbours, 1000
 * rounds; (2) 10M distinct 64-bit elements into a dense and a sparse HLL at once: sparse kept while
 * small, both agree at every power of ten, and the error stays within 6 standard errors.
 * Returns null on success, else the TESTFAILED message.
 */
export function selfTest(maxBytes: number, random: () => number = Math.random): string | null {
  const dense = Buffer.alloc(HLL_DENSE_SIZE + 1);
  const bytes = new Uint8Array(HLL_REGISTERS);
  for (let j = 0; j < 1000; j++) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const r = (random() * 64) | 0;
      bytes[i] = r;
      denseSet(dense, HLL_HDR_SIZE, i, r);
    }
    for (let i = 0; i < HLL_REGISTERS; i++) {
      const v = denseGet(dense, HLL_HDR_SIZE, i);
      if (v !== bytes[i]) return `TESTFAILED Register ${i} should be ${bytes[i]} but is ${v}`;
    }
  }
  dense.fill(0, HLL_HDR_SIZE);
  const o = Hll.create();
  const relerr = 1.04 / Math.sqrt(HLL_REGISTERS);
  let checkpoint = 1;
  const seedLo = (random() * 2 ** 32) >>> 0;
  const seedHi = (random() * 2 ** 32) >>> 0;
  for (let j = 1; j <= 10_000_000; j++) {
    murmur64aU64(seedHi, j ^ seedLo);
    const pat = patOfHash();
    const index = pat & HLL_P_MASK;
    const count = pat >>> HLL_P;
    denseRaise(dense, index, count);
    hllSet(o, index, count, maxBytes);
    if (j !== checkpoint) continue;
    if (j < maxBytes / 2 && o.encoding !== HLL_SPARSE) return 'TESTFAILED sparse encoding not used';
    const dc = hllCount(dense, HLL_DENSE_SIZE);
    if (dc !== hllCount(o.buf, o.len)) return 'TESTFAILED dense/sparse disagree';
    const abserr = Math.abs(checkpoint - Number(dc));
    let maxerr = Math.ceil(relerr * 6 * checkpoint);
    if (j === 10) maxerr = 1;
    if (abserr > maxerr) return `TESTFAILED Too big error. card:${checkpoint} abserr:${abserr}`;
    checkpoint *= 10;
  }
  return null;
}
