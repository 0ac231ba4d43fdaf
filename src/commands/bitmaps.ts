// Bitmap commands: SETBIT GETBIT BITCOUNT BITPOS BITOP BITFIELD BITFIELD_RO — Redis 7.0.15's
// bitops.c, reply for reply and error for error, including the order in which arguments and the
// key are checked (test/diff/bitmaps.test.ts runs them against a real redis-server).
//
// Bitmaps are string values: bit 0 is the most significant bit of byte 0, and GET/SETRANGE/APPEND
// see the same bytes. Reads work on either string form. Writes (SETBIT, BITFIELD SET/INCRBY) go
// through openBitWrite: a value of at least MUTABLE_MIN bytes becomes a BigString written in place
// (keyspace/bigstring.ts: the representation, its copy-on-write rule and the measurements behind
// the threshold); a smaller one is rebuilt in a scratch Buffer and stored back as a JS string.
//
// Dirty / notifications follow 7.0.15 exactly: SETBIT and BITFIELD notify `setbit` and count a
// change only when the key was created or grew, or a bit actually changed (a failed OVERFLOW FAIL
// write counts nothing); BITOP notifies `set` for a result and `del` when an empty result deletes
// the destination. One deliberate difference: a BITFIELD whose writes all FAIL still creates or
// grows the key in Redis without counting it as a change, so Redis's AOF loses that key; here it
// is counted (propagated, no notification), so a restart restores what clients saw. Every write
// is propagated as given: each is deterministic.

import type { Database } from '../keyspace/db.js';
import { BigString, MAX_STRING, MUTABLE_MIN, StringValue, mutableString } from '../keyspace/bigstring.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX, ERR_WRONGTYPE, Reply, ReplyError } from '../protocol/reply.js';
import { parseLongLong } from '../util/numbers.js';
import { NOTIFY_GENERIC, NOTIFY_STRING, notifyKeyspaceEvent } from '../server/notify.js';
import type { CommandSpec, Context } from './table.js';
import { readString } from './strings.js';

const ERR_BIT_OFFSET = new ReplyError('ERR', 'bit offset is not an integer or out of range');
const ERR_BIT_VALUE = new ReplyError('ERR', 'bit is not an integer or out of range');
const ERR_BITPOS_BIT = new ReplyError('ERR', 'The bit argument must be 1 or 0.');
const ERR_BF_TYPE = new ReplyError(
  'ERR',
  'Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.',
);
const ERR_BF_OVERFLOW = new ReplyError('ERR', 'Invalid OVERFLOW type specified');
const ERR_BF_RO = new ReplyError('ERR', 'BITFIELD_RO only supports the GET subcommand');
const ERR_BITOP_NOT = new ReplyError('ERR', 'BITOP NOT must be called with a single source key.');

/** Set bits per byte value. */
const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1];

/** Redis's strcasecmp against an uppercase name (a C string: anything after a NUL is ignored). */
function optIs(arg: string, upper: string): boolean {
  const n = upper.length;
  if (arg.length !== n && !(arg.length > n && arg.charCodeAt(n) === 0)) return false;
  for (let i = 0; i < n; i++) {
    const c = arg.charCodeAt(i);
    const u = upper.charCodeAt(i);
    if (c !== u && !(u >= 65 && u <= 90 && c === u + 32)) return false;
  }
  return true;
}

// ---- Reading values -------------------------------------------------------------------------------

function byteAt(v: StringValue, i: number): number {
  if (typeof v === 'string') return i < v.length ? v.charCodeAt(i) : 0;
  return v.byteAt(i);
}

let readScratch = Buffer.alloc(MUTABLE_MIN);

/**
 * Bytes [start, end) of a value as a Buffer region for immediate reading: a BigString's own
 * storage, or a string's range copied into a scratch Buffer (reused up to 1 MB).
 */
function readRange(v: StringValue, start: number, end: number): { buf: Buffer; off: number } {
  if (typeof v !== 'string') return { buf: v.view(), off: start };
  const n = end - start;
  let b = readScratch;
  if (n > b.length) {
    b = Buffer.allocUnsafeSlow(n);
    if (n <= 1024 * 1024) readScratch = b;
  }
  b.latin1Write(start === 0 && end === v.length ? v : v.substring(start, end), 0);
  return { buf: b, off: 0 };
}

/** Set bits of b[from, to): 32-bit SWAR over the aligned middle (4x the byte table's speed). */
function popcount(b: Buffer, from: number, to: number): number {
  let n = 0;
  let i = from;
  const base = b.byteOffset;
  while (i < to && (base + i) % 4 !== 0) n += POPCOUNT[b[i++]];
  const words = (to - i) >> 2;
  if (words > 0) {
    const w = new Int32Array(b.buffer, base + i, words);
    for (let k = 0; k < words; k++) {
      let x = w[k];
      x = x - ((x >>> 1) & 0x55555555);
      x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
      n += (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
    }
    i += words * 4;
  }
  for (; i < to; i++) n += POPCOUNT[b[i]];
  return n;
}

// ---- Argument parsing -----------------------------------------------------------------------------

/**
 * Redis's getBitOffsetFromArgument: a non-negative bit offset whose byte is below
 * proto-max-bulk-len (not checked while loading, as Redis trusts its master and AOF). With `bits`
 * (BITFIELD), `#n` means n * bits, multiplied in 64 bits as C does.
 */
function bitOffsetArg(ctx: Context, s: string, bits = 0): number {
  const hash = bits > 0 && s.charCodeAt(0) === 35; /* # */
  let v = parseLongLong(hash ? s.slice(1) : s);
  if (v === null) throw ERR_BIT_OFFSET;
  if (hash) {
    const p = typeof v === 'number' ? v * bits : Number.NaN;
    v = Number.isSafeInteger(p) ? p : BigInt.asIntN(64, BigInt(v) * BigInt(bits));
  }
  if (v < 0) throw ERR_BIT_OFFSET;
  if (!ctx.db.loading) {
    const byte = typeof v === 'number' ? Math.floor(v / 8) : Number((v as bigint) >> 3n);
    if (byte >= ctx.server.config.getInt('proto-max-bulk-len')) throw ERR_BIT_OFFSET;
  }
  return Number(v); // below 2^53 here: bytes < proto-max-bulk-len, or a loaded file's offset
}

function intArg(s: string): number {
  const v = parseLongLong(s);
  if (v === null) throw ERR_NOT_INTEGER;
  return Number(v); // ranges: beyond 2^53 the value only ever clamps to an end
}

// ---- Writing --------------------------------------------------------------------------------------

/** A string value opened for a bit write of at least `len` bytes (openBitWrite). */
interface BitWrite {
  /** The bytes to write: the BigString's storage, or the scratch copy of a small string. */
  buf: Buffer;
  /** Value length after growth. */
  len: number;
  /** The key was created or grew (Redis's `dirty` from lookupStringForBitCommand). */
  grew: boolean;
  /** The BigString written in place, or null when `buf` must be stored back as a string. */
  big: BigString | null;
}

let writeScratch = Buffer.alloc(MUTABLE_MIN);

/**
 * Redis's lookupStringForBitCommand: the string at key (WRONGTYPE otherwise), created or
 * zero-padded to `len` bytes. A BigString (or a string that converts, mutableString) is stored and
 * written in place; a small string is copied into scratch and needs commitBitWrite.
 */
function openBitWrite(db: Database, key: string, len: number): BitWrite {
  const v = db.peek(key);
  if (v !== undefined && typeof v !== 'string' && !(v instanceof BigString)) throw ERR_WRONGTYPE;
  const old = v === undefined ? 0 : v.length;
  const n = Math.max(old, len);
  const grew = v === undefined || n > old;
  const big = mutableString(v ?? null, n);
  if (big !== null) {
    const buf = big.writable(n);
    if (big !== v) db.set(key, big, true);
    return { buf, len: n, grew, big };
  }
  const buf = writeScratch; // n < MUTABLE_MIN here
  buf.fill(0, 0, n);
  if (v !== undefined) buf.latin1Write(v as string, 0);
  return { buf, len: n, grew, big: null };
}

/** Store a small string's new bytes (a BigString was written in place). */
function commitBitWrite(db: Database, key: string, w: BitWrite): void {
  if (w.big === null) db.set(key, w.buf.latin1Slice(0, w.len), true);
}

// ---- SETBIT / GETBIT --------------------------------------------------------------------------------

function setbit(ctx: Context, args: string[]): Reply {
  const db = ctx.db;
  const key = args[1];
  const offset = bitOffsetArg(ctx, args[2]);
  const on = parseLongLong(args[3]);
  if (on !== 0 && on !== 1) throw ERR_BIT_VALUE;
  const byte = Math.floor(offset / 8);
  const mask = 1 << (7 - (offset & 7));
  const v = db.peek(key);
  if (v !== undefined && typeof v !== 'string' && !(v instanceof BigString)) throw ERR_WRONGTYPE;
  // Nothing changes (the bit already has the value, the string is long enough): no write at all.
  if (v !== undefined && byte < v.length) {
    const was = (byteAt(v, byte) & mask) !== 0 ? 1 : 0;
    if (was === on) return was;
  }
  const w = openBitWrite(db, key, byte + 1);
  const cur = w.buf[byte];
  const was = (cur & mask) !== 0 ? 1 : 0;
  w.buf[byte] = on ? cur | mask : cur & ~mask;
  commitBitWrite(db, key, w);
  notifyKeyspaceEvent(ctx.server, NOTIFY_STRING, 'setbit', key, db.id);
  ctx.server.dirty++;
  return was;
}

function getbit(ctx: Context, args: string[]): Reply {
  const offset = bitOffsetArg(ctx, args[2]);
  const v = readString(ctx.db, args[1]);
  if (v === null) return 0;
  const byte = Math.floor(offset / 8);
  if (byte >= v.length) return 0;
  return (byteAt(v, byte) & (1 << (7 - (offset & 7)))) !== 0 ? 1 : 0;
}

// ---- BITCOUNT / BITPOS ------------------------------------------------------------------------------

function bitcount(ctx: Context, args: string[]): Reply {
  const v = readString(ctx.db, args[1]);
  if (v === null) return 0;
  const strlen = v.length;
  let start: number;
  let end: number;
  let firstMask = 0;
  let lastMask = 0;
  if (args.length === 4 || args.length === 5) {
    start = intArg(args[2]);
    end = intArg(args[3]);
    if (start < 0 && end < 0 && start > end) return 0; // before the BYTE | BIT check, as 7.0.15
    let isbit = false;
    if (args.length === 5) {
      if (optIs(args[4], 'BIT')) isbit = true;
      else if (!optIs(args[4], 'BYTE')) throw ERR_SYNTAX;
    }
    const total = isbit ? strlen * 8 : strlen;
    if (start < 0) start = total + start;
    if (end < 0) end = total + end;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= total) end = total - 1;
    if (isbit && start <= end) {
      // Bits of the edge bytes outside the range, subtracted after counting whole bytes.
      firstMask = ~((1 << (8 - (start & 7))) - 1) & 0xff;
      lastMask = (1 << (7 - (end & 7))) - 1;
      start = Math.floor(start / 8);
      end = Math.floor(end / 8);
    }
  } else if (args.length === 2) {
    start = 0;
    end = strlen - 1;
  } else {
    throw ERR_SYNTAX;
  }
  if (start > end) return 0;
  const { buf, off } = readRange(v, start, end + 1);
  let n = popcount(buf, off, off + end - start + 1);
  if (firstMask !== 0) n -= POPCOUNT[buf[off] & firstMask];
  if (lastMask !== 0) n -= POPCOUNT[buf[off + end - start] & lastMask];
  return n;
}

function bitpos(ctx: Context, args: string[]): Reply {
  const bit = parseLongLong(args[2]);
  if (bit === null) throw ERR_NOT_INTEGER;
  if (bit !== 0 && bit !== 1) throw ERR_BITPOS_BIT;
  // A missing key is an infinite run of zeros.
  const v = readString(ctx.db, args[1]);
  if (v === null) return bit ? -1 : 0;
  const strlen = v.length;
  let endGiven = false;
  let startBit: number;
  let endBit: number;
  if (args.length >= 4 && args.length <= 6) {
    let start = intArg(args[3]);
    let isbit = false;
    if (args.length === 6) {
      if (optIs(args[5], 'BIT')) isbit = true;
      else if (!optIs(args[5], 'BYTE')) throw ERR_SYNTAX;
    }
    let end: number;
    if (args.length >= 5) {
      end = intArg(args[4]);
      endGiven = true;
    } else {
      end = strlen - 1;
    }
    const total = isbit ? strlen * 8 : strlen;
    if (start < 0) start = total + start;
    if (end < 0) end = total + end;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= total) end = total - 1;
    if (start > end) return -1;
    startBit = isbit ? start : start * 8;
    endBit = isbit ? end : end * 8 + 7;
  } else if (args.length === 3) {
    if (strlen === 0) return -1;
    startBit = 0;
    endBit = strlen * 8 - 1;
  } else {
    throw ERR_SYNTAX;
  }
  const first = Math.floor(startBit / 8);
  const last = Math.floor(endBit / 8);
  const { buf, off } = readRange(v, first, last + 1);
  const flip = bit === 1 ? 0 : 0xff;
  for (let i = first; i <= last; i++) {
    let b = buf[off + i - first] ^ flip;
    if (b === 0) continue;
    if (i === first) b &= 0xff >> (startBit & 7);
    if (i === last) b &= (0xff << (7 - (endBit & 7))) & 0xff;
    if (b !== 0) return i * 8 + Math.clz32(b) - 24;
  }
  // Not found: no 1 is -1; for a 0 without an explicit end, the string is zero-padded to the right.
  if (bit === 1 || endGiven) return -1;
  return endBit + 1;
}

// ---- BITOP ----------------------------------------------------------------------------------------

function bitop(ctx: Context, args: string[]): Reply {
  const db = ctx.db;
  const opname = args[1];
  let op: 'and' | 'or' | 'xor' | 'not';
  if (optIs(opname, 'AND')) op = 'and';
  else if (optIs(opname, 'OR')) op = 'or';
  else if (optIs(opname, 'XOR')) op = 'xor';
  else if (optIs(opname, 'NOT')) op = 'not';
  else throw ERR_SYNTAX;
  if (op === 'not' && args.length !== 4) throw ERR_BITOP_NOT;
  const dest = args[2];
  const n = args.length - 3;
  const srcs: (Buffer | null)[] = new Array(n);
  let maxlen = 0;
  let minlen = 0;
  for (let j = 0; j < n; j++) {
    const v = db.get(args[j + 3]);
    if (v === undefined) {
      db.readMiss(args[j + 3]); // the sources are read with lookupKeyRead
      srcs[j] = null;
      minlen = 0;
      continue;
    }
    if (typeof v !== 'string' && !(v instanceof BigString)) throw ERR_WRONGTYPE;
    // Copies of strings; a BigString's storage read before anything is written.
    const b = typeof v === 'string' ? Buffer.from(v, 'latin1') : v.view();
    srcs[j] = b;
    if (b.length > maxlen) maxlen = b.length;
    if (j === 0 || b.length < minlen) minlen = b.length;
  }
  if (maxlen === 0) {
    if (db.delete(dest)) {
      notifyKeyspaceEvent(ctx.server, NOTIFY_GENERIC, 'del', dest, db.id);
      ctx.server.dirty++;
    }
    return 0;
  }
  const res = Buffer.alloc(maxlen); // zero: missing and shorter sources read as zero bytes
  const s0 = srcs[0];
  if (s0 !== null) s0.copy(res, 0);
  if (op === 'not') {
    for (let i = 0; i < maxlen; i++) res[i] = ~res[i] & 0xff;
  } else {
    for (let j = 1; j < n; j++) {
      const s = srcs[j];
      const len = s === null ? 0 : s.length;
      if (op === 'and') {
        for (let i = 0; i < len; i++) res[i] &= s![i];
        res.fill(0, len);
      } else if (op === 'or') {
        for (let i = 0; i < len; i++) res[i] |= s![i];
      } else {
        for (let i = 0; i < len; i++) res[i] ^= s![i];
      }
    }
  }
  // A result worth bit-writing later stays a Buffer (no copy into a string).
  db.set(dest, maxlen >= MUTABLE_MIN || maxlen > MAX_STRING ? new BigString(res) : res.latin1Slice(0, maxlen));
  notifyKeyspaceEvent(ctx.server, NOTIFY_STRING, 'set', dest, db.id);
  ctx.server.dirty++;
  return maxlen;
}

// ---- BITFIELD ---------------------------------------------------------------------------------------

const OP_GET = 0;
const OP_SET = 1;
const OP_INCRBY = 2;
const OW_WRAP = 0;
const OW_SAT = 1;
const OW_FAIL = 2;

interface FieldOp {
  op: number;
  ow: number;
  signed: boolean;
  bits: number;
  offset: number;
  /** SET value / INCRBY increment (int64). */
  value: bigint;
}

/** Redis's getBitfieldTypeFromArgument: i1..i64, u1..u63 (the digits read as a C string). */
function bitfieldType(s: string): { signed: boolean; bits: number } {
  const c = s.charCodeAt(0);
  if (c !== 105 /* i */ && c !== 117 /* u */) throw ERR_BF_TYPE;
  const nul = s.indexOf('\0');
  const n = parseLongLong(s.slice(1, nul < 0 ? s.length : nul));
  const signed = c === 105;
  if (n === null || n < 1 || (signed && n > 64) || (!signed && n > 63)) throw ERR_BF_TYPE;
  return { signed, bits: Number(n) };
}

/** The `bits`-wide field at bit `offset` of buf[0, len) (zeros past len), unsigned. */
function getField(buf: Buffer | StringValue, len: number, offset: number, bits: number): bigint {
  const first = Math.floor(offset / 8);
  const last = Math.floor((offset + bits - 1) / 8);
  let acc = 0n;
  for (let i = first; i <= last; i++) {
    const b = i >= len ? 0 : Buffer.isBuffer(buf) ? buf[i] : byteAt(buf, i);
    acc = (acc << 8n) | BigInt(b);
  }
  const shift = (last - first + 1) * 8 - (offset & 7) - bits;
  return (acc >> BigInt(shift)) & ((1n << BigInt(bits)) - 1n);
}

/** Write the low `bits` bits of `value` at bit `offset` (buf is long enough). */
function setField(buf: Buffer, offset: number, bits: number, value: bigint): void {
  const first = Math.floor(offset / 8);
  const last = Math.floor((offset + bits - 1) / 8);
  let acc = 0n;
  for (let i = first; i <= last; i++) acc = (acc << 8n) | BigInt(buf[i]);
  const shift = BigInt((last - first + 1) * 8 - (offset & 7) - bits);
  const mask = ((1n << BigInt(bits)) - 1n) << shift;
  acc = (acc & ~mask) | ((BigInt.asUintN(bits, value) << shift) & mask);
  for (let i = last; i >= first; i--) {
    buf[i] = Number(acc & 0xffn);
    acc >>= 8n;
  }
}

function toSigned(u: bigint, bits: number): bigint {
  return BigInt.asIntN(bits, u);
}

const I64_MAX = (1n << 63n) - 1n;

/**
 * Redis's checkUnsignedBitfieldOverflow: 0, or ±1 with the wrapped/saturated value in `out[0]`.
 * `value` is the uint64 C sees (a SET of -1 is 2^64-1), `incr` an int64.
 */
function checkUnsigned(value: bigint, incr: bigint, bits: number, ow: number, out: bigint[]): number {
  const max = (1n << BigInt(bits)) - 1n;
  const maxincr = BigInt.asIntN(64, max - value);
  const minincr = BigInt.asIntN(64, -value);
  let r = 0;
  if (value > max || (incr > 0n && incr > maxincr)) {
    r = 1;
    if (ow === OW_SAT) out[0] = max;
  } else if (incr < 0n && incr < minincr) {
    r = -1;
    if (ow === OW_SAT) out[0] = 0n;
  } else {
    return 0;
  }
  if (ow === OW_WRAP) out[0] = BigInt.asUintN(64, value + incr) & max;
  return r;
}

/** Redis's checkSignedBitfieldOverflow, 64-bit wraparound included. */
function checkSigned(value: bigint, incr: bigint, bits: number, ow: number, out: bigint[]): number {
  const max = bits === 64 ? I64_MAX : (1n << BigInt(bits - 1)) - 1n;
  const min = -max - 1n;
  const maxincr = BigInt.asIntN(64, max - value);
  const minincr = BigInt.asIntN(64, min - value);
  let r = 0;
  if (value > max || (bits !== 64 && incr > maxincr) || (value >= 0n && incr > 0n && incr > maxincr)) {
    r = 1;
    if (ow === OW_SAT) out[0] = max;
  } else if (value < min || (bits !== 64 && incr < minincr) || (value < 0n && incr < 0n && incr < minincr)) {
    r = -1;
    if (ow === OW_SAT) out[0] = min;
  } else {
    return 0;
  }
  if (ow === OW_WRAP) out[0] = BigInt.asIntN(bits, value + incr);
  return r;
}

function intReply(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

function bitfield(ctx: Context, args: string[], readonlyCmd: boolean): Reply {
  const db = ctx.db;
  const key = args[1];
  const ops: FieldOp[] = [];
  let ow = OW_WRAP;
  let readonly = true;
  let highest = 0; // highest bit written
  for (let j = 2; j < args.length; j++) {
    const rem = args.length - j - 1;
    const sub = args[j];
    let op: number;
    if (optIs(sub, 'GET') && rem >= 2) op = OP_GET;
    else if (optIs(sub, 'SET') && rem >= 3) op = OP_SET;
    else if (optIs(sub, 'INCRBY') && rem >= 3) op = OP_INCRBY;
    else if (optIs(sub, 'OVERFLOW') && rem >= 1) {
      const t = args[++j];
      if (optIs(t, 'WRAP')) ow = OW_WRAP;
      else if (optIs(t, 'SAT')) ow = OW_SAT;
      else if (optIs(t, 'FAIL')) ow = OW_FAIL;
      else throw ERR_BF_OVERFLOW;
      continue;
    } else {
      throw ERR_SYNTAX;
    }
    const { signed, bits } = bitfieldType(args[j + 1]);
    const offset = bitOffsetArg(ctx, args[j + 2], bits);
    let value = 0n;
    if (op !== OP_GET) {
      readonly = false;
      if (highest < offset + bits - 1) highest = offset + bits - 1;
      const v = parseLongLong(args[j + 3]);
      if (v === null) throw ERR_NOT_INTEGER;
      value = BigInt(v);
    }
    ops.push({ op, ow, signed, bits, offset, value });
    j += op === OP_GET ? 2 : 3;
  }

  if (readonly) {
    const v = readString(db, key);
    if (v === null) db.readMiss(key); // only GETs: Redis looks the key up for reading
    const out: Reply[] = new Array(ops.length);
    for (let i = 0; i < ops.length; i++) {
      const o = ops[i];
      const u = v === null ? 0n : getField(v, v.length, o.offset, o.bits);
      out[i] = intReply(o.signed ? toSigned(u, o.bits) : u);
    }
    return out;
  }
  if (readonlyCmd) throw ERR_BF_RO;

  const w = openBitWrite(db, key, Math.floor(highest / 8) + 1);
  const out: Reply[] = new Array(ops.length);
  const lim: bigint[] = [0n];
  let changes = 0;
  for (let i = 0; i < ops.length; i++) {
    const o = ops[i];
    const u = getField(w.buf, w.len, o.offset, o.bits);
    if (o.op === OP_GET) {
      out[i] = intReply(o.signed ? toSigned(u, o.bits) : u);
      continue;
    }
    let oldval: bigint;
    let newval: bigint;
    let retval: bigint;
    let overflow: number;
    if (o.signed) {
      oldval = toSigned(u, o.bits);
      if (o.op === OP_INCRBY) {
        overflow = checkSigned(oldval, o.value, o.bits, o.ow, lim);
        newval = overflow ? lim[0] : oldval + o.value;
        retval = newval;
      } else {
        newval = o.value;
        overflow = checkSigned(newval, 0n, o.bits, o.ow, lim);
        if (overflow) newval = lim[0];
        retval = oldval;
      }
    } else {
      oldval = u;
      if (o.op === OP_INCRBY) {
        newval = BigInt.asUintN(64, oldval + o.value);
        overflow = checkUnsigned(oldval, o.value, o.bits, o.ow, lim);
        if (overflow) newval = lim[0];
        retval = newval;
      } else {
        newval = BigInt.asUintN(64, o.value);
        overflow = checkUnsigned(newval, 0n, o.bits, o.ow, lim);
        if (overflow) newval = lim[0];
        retval = oldval;
      }
    }
    if (overflow && o.ow === OW_FAIL) {
      out[i] = null;
      continue;
    }
    out[i] = intReply(retval);
    setField(w.buf, o.offset, o.bits, newval);
    if (w.grew || oldval !== newval) changes++;
  }
  if (changes > 0 || w.grew) commitBitWrite(db, key, w);
  if (changes > 0) {
    notifyKeyspaceEvent(ctx.server, NOTIFY_STRING, 'setbit', key, db.id);
    ctx.server.dirty += changes;
  } else if (w.grew) {
    ctx.server.dirty++; // created or grown without a counted change: still persisted (head comment)
  }
  return out;
}

// ---- The command table ----------------------------------------------------------------------------

const BITFIELD_SYNTAX =
  'key [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] <SET encoding offset value | INCRBY encoding offset increment> [GET encoding offset | [OVERFLOW <WRAP | SAT | FAIL>] <SET encoding offset value | INCRBY encoding offset increment> ...]]';

export const bitmapsCommands: CommandSpec[] = [
  {
    name: 'setbit',
    arity: 4,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    group: 'bitmap',
    summary: 'Sets or clears the bit at offset in the string value stored at key',
    since: '2.2.0',
    complexity: 'O(1)',
    syntax: 'key offset value',
    handler: setbit,
  },
  {
    name: 'getbit',
    arity: 3,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: 'bitmap',
    summary: 'Returns the bit value at offset in the string value stored at key',
    since: '2.2.0',
    complexity: 'O(1)',
    syntax: 'key offset',
    handler: getbit,
  },
  {
    name: 'bitcount',
    arity: -2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: 'bitmap',
    summary: 'Count set bits in a string',
    since: '2.6.0',
    complexity: 'O(N)',
    syntax: 'key [start end [BYTE | BIT]]',
    handler: bitcount,
  },
  {
    name: 'bitpos',
    arity: -3,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: 'bitmap',
    summary: 'Find first bit set or clear in a string',
    since: '2.8.7',
    complexity: 'O(N)',
    syntax: 'key bit [start [end [BYTE | BIT]]]',
    handler: bitpos,
  },
  {
    name: 'bitop',
    arity: -4,
    flags: ['write', 'denyoom'],
    keys: [2, -1, 1],
    group: 'bitmap',
    summary: 'Perform bitwise operations between strings',
    since: '2.6.0',
    complexity: 'O(N)',
    syntax: 'operation destkey key [key ...]',
    handler: bitop,
  },
  {
    name: 'bitfield',
    arity: -2,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    group: 'bitmap',
    summary: 'Perform arbitrary bitfield integer operations on strings',
    since: '3.2.0',
    complexity: 'O(1) for each subcommand specified',
    syntax: BITFIELD_SYNTAX,
    handler: (ctx, args) => bitfield(ctx, args, false),
  },
  {
    name: 'bitfield_ro',
    arity: -2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: 'bitmap',
    summary: 'Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD',
    since: '6.0.0',
    complexity: 'O(1) for each subcommand specified',
    syntax: 'key [GET encoding offset [GET encoding offset ...]]',
    handler: (ctx, args) => bitfield(ctx, args, true),
  },
];
