// The RDB value encoding of Redis 7.0 (rdb.c: rdbSaveObject / rdbLoadObject), shared by DUMP /
// RESTORE / MIGRATE (payload.ts) and by whole RDB files (replication, issue #14).
//
// Writing (writeValue) uses the encodings Redis 7.0.15 itself picks for the same value, by the
// same thresholds (OBJECT ENCODING): strings as integers (≤ 11 chars, int32), LZF-compressed
// (> 20 bytes, when it saves at least 4 bytes) or raw; lists as quicklist 2 of listpack nodes split
// like Redis's list-max-listpack-size; sets as intset or a plain member list; hashes and sorted sets
// as one listpack under the *-max-listpack-* limits, else a plain list (sorted sets with binary
// doubles, highest score first); streams as STREAM_LISTPACKS_2. For small hashes, sorted sets, sets
// and strings the bytes are Redis's own.
//
// Reading (readValue) accepts every value encoding Redis 7.0 loads: the above plus plain lists,
// ziplist and quicklist-of-ziplist lists, zipmap and ziplist hashes, ziplist sorted sets, string
// doubles, and STREAM_LISTPACKS (version 1). It validates deeply — like sanitize-dump-payload yes,
// plus what Lodestone's structures rely on (stream ids ascending, counts consistent, every pending
// entry owned by one consumer) — and every length is checked against the bytes actually present
// before anything is allocated, so a hostile input costs O(its size) time and memory (a compressed
// string at most LZF's 88x expansion, capped by `maxStringBytes`) and ends in RdbError, never in an
// exception of another kind or a partly built value.

import { Deque } from '../../keyspace/deque.js';
import { SortedSet } from '../../keyspace/zset.js';
import { Stream } from '../../keyspace/stream.js';
import { BigString, MAX_STRING } from '../../keyspace/bigstring.js';
import type { RedisValue } from '../../keyspace/db.js';
import { parseDouble, parseLongLong } from '../../util/numbers.js';
import { formatDouble } from '../../protocol/encoder.js';
import { LZF_MAX_RATIO, lzfCompress, lzfDecompress } from './lzf.js';
import { ListpackWriter, LpValue, lpDecode, lpInteger, lpString } from './listpack.js';
import { intsetDecode, zipmapDecode, zlDecode } from './ziplist.js';
import { RdbGroup, RdbStream, RdbStreamEntry, RdbStreamNode, streamFromRdb, streamToRdb } from './stream-adapter.js';

export const RDB_VERSION = 10;

export const RDB_TYPE_STRING = 0;
export const RDB_TYPE_LIST = 1;
export const RDB_TYPE_SET = 2;
export const RDB_TYPE_ZSET = 3;
export const RDB_TYPE_HASH = 4;
export const RDB_TYPE_ZSET_2 = 5;
export const RDB_TYPE_MODULE_PRE_GA = 6;
export const RDB_TYPE_MODULE_2 = 7;
export const RDB_TYPE_HASH_ZIPMAP = 9;
export const RDB_TYPE_LIST_ZIPLIST = 10;
export const RDB_TYPE_SET_INTSET = 11;
export const RDB_TYPE_ZSET_ZIPLIST = 12;
export const RDB_TYPE_HASH_ZIPLIST = 13;
export const RDB_TYPE_LIST_QUICKLIST = 14;
export const RDB_TYPE_STREAM_LISTPACKS = 15;
export const RDB_TYPE_HASH_LISTPACK = 16;
export const RDB_TYPE_ZSET_LISTPACK = 17;
export const RDB_TYPE_LIST_QUICKLIST_2 = 18;
export const RDB_TYPE_STREAM_LISTPACKS_2 = 19;

/** rdbIsObjectType in Redis 7.0. */
export function isObjectType(t: number): boolean {
  return (t >= 0 && t <= 7) || (t >= 9 && t <= 19);
}

/** A malformed or unloadable input (RESTORE answers "Bad data format"). */
export class RdbError extends Error {}

/**
 * The input ends before what it declares: `needEnd` is the buffer offset the reader needed to
 * reach. An incremental loader (file.ts) waits for that many bytes instead of failing.
 */
export class RdbShortError extends RdbError {
  constructor(
    why: string,
    readonly reader: RdbReader,
    readonly needEnd: number,
  ) {
    super(why);
  }
}

function fail(why: string): never {
  throw new RdbError(why);
}

/** Encoding thresholds (Redis's config parameters of the same names). */
export interface EncodeOptions {
  compress: boolean;
  hashMaxListpackEntries: number;
  hashMaxListpackValue: number;
  zsetMaxListpackEntries: number;
  zsetMaxListpackValue: number;
  setMaxIntsetEntries: number;
  /** list-max-listpack-size: > 0 entries per node, -1..-5 = 4..64 KB per node. */
  listMaxListpackSize: number;
}

export const DEFAULT_ENCODE_OPTIONS: EncodeOptions = {
  compress: true,
  hashMaxListpackEntries: 128,
  hashMaxListpackValue: 64,
  zsetMaxListpackEntries: 128,
  zsetMaxListpackValue: 64,
  setMaxIntsetEntries: 512,
  listMaxListpackSize: -2,
};

export interface DecodeOptions {
  /** Longest string (decompressed) accepted; a top-level string value beyond MAX_STRING is a BigString. */
  maxStringBytes: number;
}

export const DEFAULT_DECODE_OPTIONS: DecodeOptions = { maxStringBytes: 512 * 1024 * 1024 };

// ---- writing ------------------------------------------------------------------------------------

/** An append-only byte buffer with the RDB primitive encodings. */
export class RdbWriter {
  buf: Buffer;
  pos = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.pos + n) cap *= 2;
    const b = Buffer.allocUnsafe(cap);
    this.buf.copy(b, 0, 0, this.pos);
    this.buf = b;
  }

  byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }

  raw(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.pos);
    this.pos += b.length;
  }

  /** rdbSaveLen (6/14/32/64-bit big-endian forms). */
  len(n: number | bigint): void {
    this.room(9);
    const b = this.buf;
    if (typeof n === 'number' && n < 64) b[this.pos++] = n;
    else if (typeof n === 'number' && n < 16384) {
      b[this.pos++] = 0x40 | (n >> 8);
      b[this.pos++] = n & 0xff;
    } else if (typeof n === 'number' && n <= 0xffffffff) {
      b[this.pos++] = 0x80;
      b.writeUInt32BE(n, this.pos);
      this.pos += 4;
    } else {
      const v = BigInt(n);
      if (v < 2n ** 32n) return this.len(Number(v));
      b[this.pos++] = 0x81;
      b.writeBigUInt64BE(BigInt.asUintN(64, v), this.pos);
      this.pos += 8;
    }
  }

  /** rdbSaveMillisecondTime: int64 little-endian. */
  millis(t: number): void {
    this.room(8);
    this.buf.writeBigInt64LE(BigInt(Math.trunc(t)), this.pos);
    this.pos += 8;
  }

  binaryDouble(d: number): void {
    this.room(8);
    this.buf.writeDoubleLE(d, this.pos);
    this.pos += 8;
  }

  /** rdbSaveRawString: integer encoding, then LZF, then verbatim. `s` is latin1 or bytes. */
  string(s: string | Buffer, compress: boolean): void {
    const len = s.length;
    if (len <= 11 && len > 0) {
      const n = parseLongLong(typeof s === 'string' ? s : s.latin1Slice(0, len));
      if (typeof n === 'number' && n >= -2147483648 && n <= 2147483647) {
        this.room(5);
        const b = this.buf;
        if (n >= -128 && n <= 127) {
          b[this.pos++] = 0xc0;
          b.writeInt8(n, this.pos++);
        } else if (n >= -32768 && n <= 32767) {
          b[this.pos++] = 0xc1;
          b.writeInt16LE(n, this.pos);
          this.pos += 2;
        } else {
          b[this.pos++] = 0xc2;
          b.writeInt32LE(n, this.pos);
          this.pos += 4;
        }
        return;
      }
    }
    const bytes = typeof s === 'string' ? null : s;
    if (compress && len > 20) {
      const input = bytes ?? Buffer.from(s as string, 'latin1');
      const c = lzfCompress(input, len - 4);
      if (c !== null) {
        this.byte(0xc3);
        this.len(c.length);
        this.len(len);
        this.raw(c);
        return;
      }
    }
    this.len(len);
    this.room(len);
    if (bytes) bytes.copy(this.buf, this.pos);
    else this.buf.latin1Write(s as string, this.pos, len);
    this.pos += len;
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

/** Redis's isSdsRepresentableAsLongLong for intset membership. */
function asInt64(s: string): number | bigint | null {
  return s.length <= 20 ? parseLongLong(s) : null;
}

function intsetBlob(members: Set<string>): Buffer | null {
  const vals: (number | bigint)[] = [];
  let enc = 2;
  for (const m of members) {
    const v = asInt64(m);
    if (v === null) return null;
    vals.push(v);
    if (v < -2147483648 || v > 2147483647) enc = 8;
    else if ((v < -32768 || v > 32767) && enc < 4) enc = 4;
  }
  vals.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const out = Buffer.allocUnsafe(8 + vals.length * enc);
  out.writeUInt32LE(enc, 0);
  out.writeUInt32LE(vals.length, 4);
  for (let i = 0; i < vals.length; i++) {
    const p = 8 + i * enc;
    const v = vals[i];
    if (enc === 2) out.writeInt16LE(Number(v), p);
    else if (enc === 4) out.writeInt32LE(Number(v), p);
    else out.writeBigInt64LE(BigInt(v), p);
  }
  return out;
}

/** The RDB type byte Redis 7.0 would write for this value (rdbSaveObjectType). */
export function valueType(v: RedisValue, o: EncodeOptions = DEFAULT_ENCODE_OPTIONS): number {
  if (typeof v === 'string' || v instanceof BigString) return RDB_TYPE_STRING;
  if (v instanceof Deque) return RDB_TYPE_LIST_QUICKLIST_2;
  if (v instanceof Stream) return RDB_TYPE_STREAM_LISTPACKS_2;
  if (v instanceof Set) {
    if (v.size > o.setMaxIntsetEntries) return RDB_TYPE_SET;
    for (const m of v) if (asInt64(m) === null) return RDB_TYPE_SET;
    return RDB_TYPE_SET_INTSET;
  }
  if (v instanceof Map) {
    if (v.size > o.hashMaxListpackEntries) return RDB_TYPE_HASH;
    for (const [f, x] of v) if (f.length > o.hashMaxListpackValue || x.length > o.hashMaxListpackValue) return RDB_TYPE_HASH;
    return RDB_TYPE_HASH_LISTPACK;
  }
  const z = v as SortedSet;
  if (z.size > o.zsetMaxListpackEntries) return RDB_TYPE_ZSET_2;
  for (const m of z.dict.keys()) if (m.length > o.zsetMaxListpackValue) return RDB_TYPE_ZSET_2;
  return RDB_TYPE_ZSET_LISTPACK;
}

const LIST_SIZE_LIMITS = [4096, 8192, 16384, 32768, 65536];
const SIZE_SAFETY_LIMIT = 8192;
const SIZE_ESTIMATE_OVERHEAD = 8;

/** Write the type byte and the value (rdbSaveObjectType + rdbSaveObject). */
export function writeValue(w: RdbWriter, v: RedisValue, o: EncodeOptions = DEFAULT_ENCODE_OPTIONS): void {
  const type = valueType(v, o);
  w.byte(type);
  writeValueBody(w, v, type, o);
}

/** The encoding alone, for a type from valueType (RDB files put the key between the two). */
export function writeValueBody(w: RdbWriter, v: RedisValue, type: number, o: EncodeOptions = DEFAULT_ENCODE_OPTIONS): void {
  switch (type) {
    case RDB_TYPE_STRING:
      w.string(typeof v === 'string' ? v : (v as BigString).buf, o.compress);
      return;
    case RDB_TYPE_LIST_QUICKLIST_2:
      return writeList(w, v as Deque<string>, o);
    case RDB_TYPE_SET_INTSET:
      w.string(intsetBlob(v as Set<string>)!, o.compress);
      return;
    case RDB_TYPE_SET:
      w.len((v as Set<string>).size);
      for (const m of v as Set<string>) w.string(m, o.compress);
      return;
    case RDB_TYPE_HASH_LISTPACK: {
      const lp = new ListpackWriter();
      for (const [f, x] of v as Map<string, string>) lp.str(f).str(x);
      w.string(lp.finish(), o.compress);
      return;
    }
    case RDB_TYPE_HASH:
      w.len((v as Map<string, string>).size);
      for (const [f, x] of v as Map<string, string>) {
        w.string(f, o.compress);
        w.string(x, o.compress);
      }
      return;
    case RDB_TYPE_ZSET_LISTPACK: {
      const lp = new ListpackWriter();
      for (const n of v as SortedSet) {
        lp.str(n.member);
        // zzlInsertAt: the score as d2string text, stored as an integer when it is one.
        lp.str(scoreText(n.score));
      }
      w.string(lp.finish(), o.compress);
      return;
    }
    case RDB_TYPE_ZSET_2: {
      const z = v as SortedSet;
      w.len(z.size);
      for (let n = z.last(); n; n = z.prev(n)) {
        w.string(z.memberAt(n), o.compress);
        w.binaryDouble(z.scoreAt(n));
      }
      return;
    }
    case RDB_TYPE_STREAM_LISTPACKS_2:
      return writeStream(w, streamToRdb(v as Stream), o);
  }
}

/** d2string for listpack scores: integral values in decimal, else %.17g (inf/-inf). */
function scoreText(d: number): string {
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (d === 0) return 1 / d < 0 ? '-0' : '0';
  if (Number.isInteger(d) && d > -4503599627370495 && d < 4503599627370496) return String(d);
  // %.17g, the reply formatter's (the integral cases above are the only ones where they differ).
  return formatDouble(d);
}

function writeList(w: RdbWriter, l: Deque<string>, o: EncodeOptions): void {
  const fill = o.listMaxListpackSize;
  const sizeLimit = fill < 0 ? LIST_SIZE_LIMITS[Math.min(-fill, 5) - 1] : 0;
  const nodes: Buffer[] = [];
  let lp: ListpackWriter | null = null;
  for (const x of l) {
    if (lp) {
      const newSz = lp.bytes + x.length + SIZE_ESTIMATE_OVERHEAD;
      const ok = fill < 0 ? newSz <= sizeLimit : newSz <= SIZE_SAFETY_LIMIT && lp.count < fill;
      if (!ok) {
        nodes.push(lp.finish());
        lp = null;
      }
    }
    lp ??= new ListpackWriter();
    lp.str(x);
  }
  if (lp) nodes.push(lp.finish());
  w.len(nodes.length);
  for (const n of nodes) {
    w.len(2); // QUICKLIST_NODE_CONTAINER_PACKED
    w.string(n, o.compress);
  }
}

const STREAM_ITEM_FLAG_DELETED = 1;
const STREAM_ITEM_FLAG_SAMEFIELDS = 2;

function idKey(ms: bigint, seq: bigint): Buffer {
  const b = Buffer.allocUnsafe(16);
  b.writeBigUInt64BE(ms, 0);
  b.writeBigUInt64BE(seq, 8);
  return b;
}

function streamNodeListpack(n: RdbStreamNode): Buffer {
  const lp = new ListpackWriter();
  let live = 0;
  for (const e of n.entries) if (!e.deleted) live++;
  lp.int(live).int(n.entries.length - live).int(n.masterFields.length);
  for (const f of n.masterFields) lp.str(f);
  lp.int(0);
  const mf = n.masterFields;
  for (const e of n.entries) {
    const nf = e.fields.length / 2;
    let same = nf === mf.length;
    for (let i = 0; same && i < nf; i++) if (e.fields[2 * i] !== mf[i]) same = false;
    lp.int((e.deleted ? STREAM_ITEM_FLAG_DELETED : 0) | (same ? STREAM_ITEM_FLAG_SAMEFIELDS : 0));
    lp.int(BigInt.asIntN(64, e.ms - n.ms));
    lp.int(BigInt.asIntN(64, e.seq - n.seq));
    if (same) {
      for (let i = 1; i < e.fields.length; i += 2) lp.str(e.fields[i]);
      lp.int(nf + 3);
    } else {
      lp.int(nf);
      for (const f of e.fields) lp.str(f);
      lp.int(2 * nf + 4);
    }
  }
  return lp.finish();
}

function writeStream(w: RdbWriter, s: RdbStream, o: EncodeOptions): void {
  w.len(s.nodes.length);
  for (const n of s.nodes) {
    w.string(idKey(n.ms, n.seq), o.compress);
    w.string(streamNodeListpack(n), o.compress);
  }
  w.len(s.length);
  w.len(s.lastMs);
  w.len(s.lastSeq);
  w.len(s.firstMs);
  w.len(s.firstSeq);
  w.len(s.maxDelMs);
  w.len(s.maxDelSeq);
  w.len(s.entriesAdded);
  w.len(s.groups.length);
  for (const g of s.groups) {
    w.string(g.name, o.compress);
    w.len(g.lastMs);
    w.len(g.lastSeq);
    w.len(BigInt.asUintN(64, g.entriesRead));
    w.len(g.pel.length);
    for (const p of g.pel) {
      w.raw(idKey(p.ms, p.seq));
      w.millis(p.deliveryTime);
      w.len(p.deliveryCount);
    }
    w.len(g.consumers.length);
    for (const c of g.consumers) {
      w.string(c.name, o.compress);
      w.millis(c.seenTime);
      w.len(c.pel.length);
      for (const id of c.pel) w.raw(idKey(id.ms, id.seq));
    }
  }
}

// ---- reading ------------------------------------------------------------------------------------

/** A bounds-checked cursor over [pos, end) of a buffer. */
export class RdbReader {
  constructor(
    readonly buf: Buffer,
    public pos = 0,
    readonly end = buf.length,
    readonly opts: DecodeOptions = DEFAULT_DECODE_OPTIONS,
  ) {}

  get remaining(): number {
    return this.end - this.pos;
  }

  need(n: number): void {
    if (n > this.end - this.pos) throw new RdbShortError('unexpected end of data', this, this.pos + n);
  }

  byte(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  raw(n: number): Buffer {
    this.need(n);
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  /** rdbLoadLenByRef: { len, encoded } with len as a bigint. */
  private lenRaw(): { v: bigint | number; enc: boolean } {
    const b = this.byte();
    const t = b >> 6;
    if (t === 3) return { v: b & 0x3f, enc: true };
    if (t === 0) return { v: b & 0x3f, enc: false };
    if (t === 1) return { v: ((b & 0x3f) << 8) | this.byte(), enc: false };
    if (b === 0x80) {
      this.need(4);
      const v = this.buf.readUInt32BE(this.pos);
      this.pos += 4;
      return { v, enc: false };
    }
    if (b === 0x81) {
      this.need(8);
      const v = this.buf.readBigUInt64BE(this.pos);
      this.pos += 8;
      return { v, enc: false };
    }
    fail('unknown length encoding');
  }

  /** A plain length as an exact unsigned 64-bit bigint. */
  lenBig(): bigint {
    const { v, enc } = this.lenRaw();
    if (enc) fail('encoded value where a length was expected');
    return BigInt(v);
  }

  /** A plain length that must be a count of things in this input (bounded by the bytes left). */
  count(): number {
    const { v, enc } = this.lenRaw();
    if (enc) fail('encoded value where a length was expected');
    if (v > this.remaining) throw new RdbShortError('declared count larger than the data', this, this.pos + Number(v));
    return Number(v);
  }

  millis(): number {
    this.need(8);
    const v = this.buf.readBigInt64LE(this.pos);
    this.pos += 8;
    return Number(v);
  }

  binaryDouble(): number {
    this.need(8);
    const d = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return d;
  }

  /** rdbGenericLoadStringObject: the bytes (a view for raw strings, a new buffer for LZF / ints). */
  bytes(): Buffer {
    const { v, enc } = this.lenRaw();
    if (enc) {
      if (v === 0) {
        this.need(1);
        return Buffer.from(String(this.buf.readInt8(this.pos++)), 'latin1');
      }
      if (v === 1) {
        this.need(2);
        const n = this.buf.readInt16LE(this.pos);
        this.pos += 2;
        return Buffer.from(String(n), 'latin1');
      }
      if (v === 2) {
        this.need(4);
        const n = this.buf.readInt32LE(this.pos);
        this.pos += 4;
        return Buffer.from(String(n), 'latin1');
      }
      if (v === 3) {
        const clen = this.lenBig();
        const len = this.lenBig();
        if (clen > BigInt(this.remaining)) throw new RdbShortError('compressed length larger than the data', this, this.pos + Number(clen));
        const c = Number(clen);
        if (len === 0n) {
          // lzf_decompress into 0 bytes "succeeds" with 0 whatever the data: Redis loads "".
          this.pos += c;
          return Buffer.alloc(0);
        }
        if (len > BigInt(c) * BigInt(LZF_MAX_RATIO) || len > BigInt(this.opts.maxStringBytes)) fail('implausible uncompressed length');
        const out = lzfDecompress(this.buf, this.pos, this.pos + c, Number(len));
        if (out === null) fail('invalid LZF compressed string');
        this.pos += c;
        return out;
      }
      fail('unknown string encoding');
    }
    if (v > this.remaining) throw new RdbShortError('string longer than the data', this, this.pos + Number(v));
    return this.raw(Number(v));
  }

  /** A string element as a latin1 JS string (collection members, names). */
  str(): string {
    const b = this.bytes();
    if (b.length > MAX_STRING) fail('element too long');
    return b.latin1Slice(0, b.length);
  }

  /** rdbLoadDoubleValue: the old length-prefixed text form. */
  textDouble(): number {
    const len = this.byte();
    if (len === 255) return -Infinity;
    if (len === 254) return Infinity;
    if (len === 253) return NaN;
    const s = this.raw(len).latin1Slice(0, len);
    const d = parseDouble(s);
    if (d === null) {
      if (s.toLowerCase() === 'nan' || s.toLowerCase() === '-nan') return NaN;
      fail('bad double');
    }
    return d;
  }
}

/** Read one value of RDB type `type` (the type byte already consumed). Throws RdbError. */
export function readValue(r: RdbReader, type: number): RedisValue {
  switch (type) {
    case RDB_TYPE_STRING: {
      const b = r.bytes();
      return b.length <= MAX_STRING ? b.latin1Slice(0, b.length) : new BigString(Buffer.from(b));
    }
    case RDB_TYPE_LIST: {
      const n = r.count();
      if (n === 0) fail('empty key');
      const l = new Deque<string>();
      for (let i = 0; i < n; i++) l.push(r.str());
      return l;
    }
    case RDB_TYPE_LIST_QUICKLIST:
    case RDB_TYPE_LIST_QUICKLIST_2: {
      const n = r.count();
      if (n === 0) fail('empty key');
      const l = new Deque<string>();
      for (let i = 0; i < n; i++) {
        let container = 2;
        if (type === RDB_TYPE_LIST_QUICKLIST_2) {
          const c = r.lenBig();
          if (c !== 1n && c !== 2n) fail('Quicklist integrity check failed.');
          container = Number(c);
        }
        const blob = r.bytes();
        if (blob.length === 0) fail('empty quicklist node');
        if (container === 1) {
          if (blob.length > MAX_STRING) fail('element too long');
          l.push(blob.latin1Slice(0, blob.length));
          continue;
        }
        const items = type === RDB_TYPE_LIST_QUICKLIST_2 ? lpDecode(blob) : zlDecode(blob);
        if (items === null) fail('Listpack integrity check failed.');
        for (const x of items) l.push(lpString(x));
      }
      if (l.length === 0) fail('empty key');
      return l;
    }
    case RDB_TYPE_LIST_ZIPLIST: {
      const items = zlDecode(r.bytes());
      if (items === null) fail('List ziplist integrity check failed.');
      if (items.length === 0) fail('empty key');
      return new Deque(items.map(lpString));
    }
    case RDB_TYPE_SET: {
      const n = r.count();
      if (n === 0) fail('empty key');
      const s = new Set<string>();
      for (let i = 0; i < n; i++) {
        const m = r.str();
        if (s.has(m)) fail('Duplicate set members detected');
        s.add(m);
      }
      return s;
    }
    case RDB_TYPE_SET_INTSET: {
      const items = intsetDecode(r.bytes());
      if (items === null) fail('Intset integrity check failed.');
      return new Set(items);
    }
    case RDB_TYPE_HASH: {
      const n = r.count();
      if (n === 0) fail('empty key');
      const h = new Map<string, string>();
      for (let i = 0; i < n; i++) {
        const f = r.str();
        const v = r.str();
        if (h.has(f)) fail('Duplicate hash fields detected');
        h.set(f, v);
      }
      return h;
    }
    case RDB_TYPE_HASH_ZIPMAP: {
      const items = zipmapDecode(r.bytes());
      if (items === null) fail('Zipmap integrity check failed.');
      return pairsToHash(items);
    }
    case RDB_TYPE_HASH_ZIPLIST:
    case RDB_TYPE_HASH_LISTPACK: {
      const b = r.bytes();
      const items = type === RDB_TYPE_HASH_LISTPACK ? lpDecode(b) : zlDecode(b);
      if (items === null) fail('Hash listpack integrity check failed.');
      return pairsToHash(items.map(lpString));
    }
    case RDB_TYPE_ZSET:
    case RDB_TYPE_ZSET_2: {
      const n = r.count();
      if (n === 0) fail('empty key');
      const z = new SortedSet();
      for (let i = 0; i < n; i++) {
        const m = r.str();
        const d = type === RDB_TYPE_ZSET_2 ? r.binaryDouble() : r.textDouble();
        if (Number.isNaN(d)) fail('Zset with NAN score detected');
        if (z.dict.has(m)) fail('Duplicate zset fields detected');
        z.add(m, d);
      }
      return z;
    }
    case RDB_TYPE_ZSET_ZIPLIST:
    case RDB_TYPE_ZSET_LISTPACK: {
      const b = r.bytes();
      const items = type === RDB_TYPE_ZSET_LISTPACK ? lpDecode(b) : zlDecode(b);
      if (items === null || items.length % 2 !== 0) fail('Zset listpack integrity check failed.');
      if (items.length === 0) fail('empty key');
      const z = new SortedSet();
      for (let i = 0; i < items.length; i += 2) {
        const m = lpString(items[i]);
        const d = lpScore(items[i + 1]);
        if (z.dict.has(m)) fail('Duplicate zset fields detected');
        z.add(m, d);
      }
      return z;
    }
    case RDB_TYPE_STREAM_LISTPACKS:
    case RDB_TYPE_STREAM_LISTPACKS_2:
      return streamFromRdb(readStream(r, type));
    case RDB_TYPE_MODULE_PRE_GA:
    case RDB_TYPE_MODULE_2:
      fail("The RDB file contains module data I can't load");
    default:
      fail(`Unknown RDB encoding type ${type}`);
  }
}

function pairsToHash(items: string[]): Map<string, string> {
  if (items.length % 2 !== 0) fail('odd number of hash elements');
  if (items.length === 0) fail('empty key');
  const h = new Map<string, string>();
  for (let i = 0; i < items.length; i += 2) {
    if (h.has(items[i])) fail('Hash with dup elements');
    h.set(items[i], items[i + 1]);
  }
  return h;
}

function lpScore(v: LpValue): number {
  if (typeof v !== 'string') return Number(v);
  const d = parseDouble(v);
  if (d === null) fail('bad zset score');
  return d;
}

function cmpId(ams: bigint, aseq: bigint, bms: bigint, bseq: bigint): number {
  return ams < bms ? -1 : ams > bms ? 1 : aseq < bseq ? -1 : aseq > bseq ? 1 : 0;
}

function int64Of(v: LpValue | undefined): bigint {
  if (v === undefined) fail('Stream listpack integrity check failed.');
  const n = lpInteger(v);
  if (n === null) fail('Stream listpack integrity check failed.');
  return BigInt(n);
}

function smallInt(v: LpValue | undefined, max: number): number {
  const n = int64Of(v);
  if (n < 0n || n > BigInt(max)) fail('Stream listpack integrity check failed.');
  return Number(n);
}

/** One stream node's listpack (streamValidateListpackIntegrity, deep) into entries. */
function readStreamNode(key: Buffer, lp: Buffer): RdbStreamNode {
  const items = lpDecode(lp);
  if (items === null) fail('Stream listpack integrity check failed.');
  const ms = key.readBigUInt64BE(0);
  const seq = key.readBigUInt64BE(8);
  let i = 0;
  const liveCount = smallInt(items[i++], items.length);
  const deletedCount = smallInt(items[i++], items.length);
  const nmf = smallInt(items[i++], items.length);
  if (i + nmf + 1 > items.length) fail('Stream listpack integrity check failed.');
  const masterFields: string[] = [];
  for (let k = 0; k < nmf; k++) masterFields.push(lpString(items[i++]));
  if (int64Of(items[i++]) !== 0n) fail('Stream listpack integrity check failed.');
  const entries: RdbStreamEntry[] = [];
  let live = 0;
  const total = liveCount + deletedCount;
  for (let k = 0; k < total; k++) {
    const flags = smallInt(items[i++], 3);
    const ems = BigInt.asUintN(64, ms + int64Of(items[i++]));
    const eseq = BigInt.asUintN(64, seq + int64Of(items[i++]));
    const fields: string[] = [];
    let expectCount: number;
    if (flags & STREAM_ITEM_FLAG_SAMEFIELDS) {
      if (i + nmf > items.length) fail('Stream listpack integrity check failed.');
      for (let f = 0; f < nmf; f++) fields.push(masterFields[f], lpString(items[i++]));
      expectCount = nmf + 3;
    } else {
      const nf = smallInt(items[i++], items.length);
      if (i + 2 * nf > items.length) fail('Stream listpack integrity check failed.');
      for (let f = 0; f < 2 * nf; f++) fields.push(lpString(items[i++]));
      expectCount = 2 * nf + 4;
    }
    if (int64Of(items[i++]) !== BigInt(expectCount)) fail('Stream listpack integrity check failed.');
    const deleted = (flags & STREAM_ITEM_FLAG_DELETED) !== 0;
    if (!deleted) live++;
    entries.push({ ms: ems, seq: eseq, fields, deleted });
  }
  if (i !== items.length) fail('Stream listpack integrity check failed.');
  if (live !== liveCount) fail('Stream listpack counts disagree with the entry flags');
  if (entries.length === 0) fail('Empty listpack inside stream');
  return { ms, seq, masterFields, entries, lpBytes: lp.length };
}

function readStream(r: RdbReader, type: number): RdbStream {
  const nNodes = r.count();
  const nodes: RdbStreamNode[] = [];
  for (let i = 0; i < nNodes; i++) {
    const key = r.bytes();
    if (key.length !== 16) fail('Stream node key entry is not the size of a stream ID');
    const keyCopy = Buffer.from(key);
    nodes.push(readStreamNode(keyCopy, r.bytes()));
  }
  // Nodes in id order (the radix tree would sort them), every entry after the previous one and
  // inside its node's key range.
  nodes.sort((a, b) => cmpId(a.ms, a.seq, b.ms, b.seq));
  let pms = -1n;
  let pseq = 0n;
  let liveTotal = 0n;
  for (let ni = 0; ni < nodes.length; ni++) {
    const n = nodes[ni];
    const next = nodes[ni + 1];
    if (next && cmpId(n.ms, n.seq, next.ms, next.seq) === 0) fail('Listpack re-added with existing key');
    for (const e of n.entries) {
      if (cmpId(e.ms, e.seq, n.ms, n.seq) < 0) fail('stream entry before its node');
      if (next && cmpId(e.ms, e.seq, next.ms, next.seq) >= 0) fail('stream entry after the next node');
      if (pms >= 0n && cmpId(e.ms, e.seq, pms, pseq) <= 0) fail('stream entries out of order');
      pms = e.ms;
      pseq = e.seq;
      if (!e.deleted) liveTotal++;
    }
  }
  const length = r.lenBig();
  const lastMs = r.lenBig();
  const lastSeq = r.lenBig();
  let firstMs = 0n;
  let firstSeq = 0n;
  let maxDelMs = 0n;
  let maxDelSeq = 0n;
  let entriesAdded: bigint;
  if (type === RDB_TYPE_STREAM_LISTPACKS_2) {
    firstMs = r.lenBig();
    firstSeq = r.lenBig();
    maxDelMs = r.lenBig();
    maxDelSeq = r.lenBig();
    entriesAdded = r.lenBig();
  } else {
    entriesAdded = length;
    outer: for (const n of nodes)
      for (const e of n.entries)
        if (!e.deleted) {
          firstMs = e.ms;
          firstSeq = e.seq;
          break outer;
        }
  }
  if (length !== liveTotal) fail('stream length disagrees with its entries');
  if (pms >= 0n && cmpId(lastMs, lastSeq, pms, pseq) < 0) fail('stream last id before its last entry');
  const s: RdbStream = { nodes, length, lastMs, lastSeq, firstMs, firstSeq, maxDelMs, maxDelSeq, entriesAdded, groups: [] };
  const nGroups = r.count();
  const names = new Set<string>();
  for (let gi = 0; gi < nGroups; gi++) {
    const name = r.str();
    if (names.has(name)) fail('Duplicated consumer group name');
    names.add(name);
    const gms = r.lenBig();
    const gseq = r.lenBig();
    let entriesRead: bigint;
    if (type === RDB_TYPE_STREAM_LISTPACKS_2) entriesRead = BigInt.asIntN(64, r.lenBig());
    else entriesRead = estimateDistance(s, gms, gseq);
    if (entriesRead < -1n) fail('bad entries_read');
    const g: RdbGroup = { name, lastMs: gms, lastSeq: gseq, entriesRead, pel: [], consumers: [] };
    const nPel = r.count();
    const pelIds = new Map<string, number>();
    for (let k = 0; k < nPel; k++) {
      const id = r.raw(16);
      const ms = id.readBigUInt64BE(0);
      const seq = id.readBigUInt64BE(8);
      const deliveryTime = r.millis();
      const deliveryCount = r.lenBig();
      const prev = g.pel[g.pel.length - 1];
      if (prev && cmpId(prev.ms, prev.seq, ms, seq) >= 0) fail('Duplicated global PEL entry loading stream consumer group');
      pelIds.set(`${ms}-${seq}`, 0);
      g.pel.push({ ms, seq, deliveryTime, deliveryCount });
    }
    const nCons = r.count();
    const cnames = new Set<string>();
    for (let k = 0; k < nCons; k++) {
      const cname = r.str();
      if (cnames.has(cname)) fail('Duplicate stream consumer detected.');
      cnames.add(cname);
      const seenTime = r.millis();
      const n = r.count();
      const pel: { ms: bigint; seq: bigint }[] = [];
      for (let q = 0; q < n; q++) {
        const id = r.raw(16);
        const ms = id.readBigUInt64BE(0);
        const seq = id.readBigUInt64BE(8);
        const k2 = `${ms}-${seq}`;
        const owners = pelIds.get(k2);
        if (owners === undefined) fail('Consumer entry not found in group global PEL');
        if (owners !== 0) fail('Duplicated consumer PEL entry loading a stream consumer group');
        pelIds.set(k2, 1);
        const prev = pel[pel.length - 1];
        if (prev && cmpId(prev.ms, prev.seq, ms, seq) >= 0) fail('consumer PEL out of order');
        pel.push({ ms, seq });
      }
      g.consumers.push({ name: cname, seenTime, pel });
    }
    for (const owners of pelIds.values()) if (owners !== 1) fail('Stream CG PEL entry without consumer');
    s.groups.push(g);
  }
  return s;
}

/** streamEstimateDistanceFromFirstEverEntry for version-1 streams (entries_added = length, no tombstones). */
function estimateDistance(s: RdbStream, ms: bigint, seq: bigint): bigint {
  if (s.entriesAdded === 0n) return 0n;
  const cl = cmpId(ms, seq, s.lastMs, s.lastSeq);
  if (s.length === 0n && cl < 1) return s.entriesAdded;
  if (cl === 0) return s.entriesAdded;
  if (cl > 0) return -1n;
  const cf = cmpId(ms, seq, s.firstMs, s.firstSeq);
  if (cf < 0) return s.entriesAdded - s.length;
  if (cf === 0) return s.entriesAdded - s.length + 1n;
  return -1n;
}
