// Buffer-backed string values: values too long to be JS strings, and mutable byte strings that
// bit commands (and APPEND / SETRANGE on them) write in place.
//
// Keys and string values are latin1 JS strings (db.ts explains why: memory). Two cases need bytes
// instead:
//   - V8 caps a string at MAX_STRING chars (2^29 - 24 in Node 20), a little below Redis's default
//     proto-max-bulk-len (512 MB = 2^29) — and proto-max-bulk-len can be raised. A request the
//     limits accept must be served, so a string value longer than MAX_STRING is a BigString.
//   - JS strings are immutable: SETBIT on a 1 MB string would copy 1 MB per call. A bit write
//     (SETBIT, BITFIELD; HyperLogLog may use the same) on a value of at least MUTABLE_MIN bytes
//     converts it once to a BigString, which later bit writes, APPEND and SETRANGE modify in place
//     with amortized growth (doubling up to 1 MB, then +1 MB, like Redis's sds). Smaller values stay
//     plain strings (memory: a Buffer costs ~240 B more than a string of the same bytes). Measured
//     (Node 20, 2 shared cores; ~7 µs per pipelined command): rebuilding a string costs 0.2 µs at
//     256 B, 0.4 µs at 4 KB, 1.5 µs at 16 KB, 6.4 µs at 64 KB, hence MUTABLE_MIN = 4096. SETBIT at
//     random offsets of a 1 MB bitmap: ~900 ops/s when each write copies the string (measured as
//     SETRANGE on a 1 MB JS string), ~133k ops/s in place — as fast as SET.
// Every string command accepts both forms (StringValue); everything short and never bit-written
// stays a plain string, so the hot path is untouched.
//
// API (for commands that read or write bytes; the fields are private so that every write goes
// through the copy-on-write check):
//   new BigString(buf[, length])  take ownership of `buf`; bytes [0, length) are the value
//   v.length                      value length in bytes
//   v.view()                      the value's bytes for immediate use only (count, copy, hash):
//                                 valid until the next write to v; never keep or reply with it
//   v.bytes() / v.buf             the value's bytes as a Buffer that stays as it is (a reply, a
//                                 propagated argument): marks the storage shared, so the next
//                                 write to v copies it first
//   v.clone()                     an O(1) copy-on-write copy (COPY, the undo log)
//   v.writable(len)               grow to at least `len` bytes (zero-filled) and return the
//                                 storage to write bytes [0, v.length) in place (unshared first)
//   v.write(offset, value)        SETRANGE / APPEND in place (zero-padded)
//   v.toLatin1()                  the value as a JS string (≤ MAX_STRING bytes only)
//   mutableString(v, len)         the value a bit write should modify: v itself when a BigString,
//                                 a new BigString for a string worth converting, else null
// After writing in place, the command must increment server.dirty: dispatch then signals the key
// (WATCH, blocked clients) and Database.refresh re-accounts its memory (capacity included).
//
// Where they come from: the request parser hands a bulk longer than MAX_STRING over as a Buffer in
// a side channel (RequestParser.bigArgs → Client.bigArgs: argv holds an unguessable placeholder
// token), APPEND / SETRANGE produce one when a string grows past MAX_STRING, and bit writes convert
// as above. Dispatch refuses a big argument for every command but the ones that take it as a value
// (BIG_VALUE_ARGS below), with ERR_BIG_ARG, so no handler ever mistakes a placeholder for data.
// Replies carry a Buffer (a Reply may be a Buffer: written as a bulk without making a string).

import { MAX_STRING, bigPlaceholder } from '../protocol/parser.js';
import { ReplyError } from '../protocol/reply.js';

export { MAX_STRING };

/** Bit writes convert a plain string to a BigString from this length on (see the head comment). */
export const MUTABLE_MIN = 4096;
/** Growth: double up to this, then add this much (Redis's SDS_MAX_PREALLOC). */
const MAX_PREALLOC = 1024 * 1024;

export class BigString {
  private store: Buffer;
  private len: number;
  /** The storage is referenced elsewhere (a reply, a clone): copy before writing. */
  private shared = false;

  constructor(buf: Buffer, length = buf.length) {
    this.store = buf;
    this.len = length;
  }

  get length(): number {
    return this.len;
  }

  /** Bytes of storage, spare capacity included (memory accounting). */
  get capacity(): number {
    return this.store.length;
  }

  /** The value's bytes for immediate use: valid until the next write. */
  view(): Buffer {
    return this.len === this.store.length ? this.store : this.store.subarray(0, this.len);
  }

  /** The value's bytes as a Buffer that never changes afterwards (the next write copies). */
  bytes(): Buffer {
    this.shared = true;
    return this.view();
  }

  /** Same as bytes(): the value's bytes, stable. */
  get buf(): Buffer {
    return this.bytes();
  }

  /** An O(1) copy: both share the storage until either writes. */
  clone(): BigString {
    const c = new BigString(this.store, this.len);
    c.shared = true;
    this.shared = true;
    return c;
  }

  /** Byte `i`, 0 past the end. */
  byteAt(i: number): number {
    return i < this.len ? this.store[i] : 0;
  }

  /** Grow to at least `len` bytes (new bytes zero) and return the storage, unshared, for writes. */
  writable(len: number): Buffer {
    if (len > this.store.length) {
      const cap = len < MAX_PREALLOC ? len * 2 : len + MAX_PREALLOC;
      const next = Buffer.alloc(cap); // zero-filled, never from the shared pool
      this.store.copy(next, 0, 0, this.len);
      this.store = next;
      this.shared = false;
    } else if (this.shared) {
      const next = Buffer.alloc(this.store.length);
      this.store.copy(next, 0, 0, this.len);
      this.store = next;
      this.shared = false;
    }
    if (len > this.len) {
      // Bytes past the old length may hold data of an earlier, longer value: zero them.
      this.store.fill(0, this.len, len);
      this.len = len;
    }
    return this.store;
  }

  /** Write `value` at `offset` in place, zero-padding a gap (SETRANGE, APPEND). */
  write(offset: number, value: StringValue): void {
    const end = offset + value.length;
    const b = this.writable(Math.max(this.len, end));
    if (typeof value === 'string') b.latin1Write(value, offset);
    else value.view().copy(b, offset);
  }

  /** The value as a latin1 JS string (only for length ≤ MAX_STRING). */
  toLatin1(): string {
    return this.store.latin1Slice(0, this.len);
  }
}

/**
 * The BigString a bit write of a value that will be `len` bytes long should modify in place: `v`
 * itself when it is one, a new one holding a string of at least MUTABLE_MIN bytes (the caller
 * stores it), else null (a small string: rebuild it as a string).
 */
export function mutableString(v: StringValue | null, len: number): BigString | null {
  if (v instanceof BigString) return v;
  if (Math.max(len, v === null ? 0 : v.length) < MUTABLE_MIN) return null;
  const s = v ?? '';
  // Exactly the size the write needs (like Redis's first sds allocation); later growth doubles.
  const buf = Buffer.alloc(Math.max(len, s.length));
  buf.latin1Write(s, 0);
  return new BigString(buf, s.length);
}

/** A string value as stored: a latin1 string, or a BigString past MAX_STRING. */
export type StringValue = string | BigString;

export function isStringValue(v: unknown): v is StringValue {
  return typeof v === 'string' || v instanceof BigString;
}

/** The value as a reply: the string itself, or the BigString's bytes. */
export function valueReply(v: StringValue): string | Buffer {
  return typeof v === 'string' ? v : v.bytes();
}

/** The value's bytes (copied for a string; stable for a BigString). */
export function valueBuffer(v: StringValue): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'latin1') : v.bytes();
}

/** A value of these bytes: a string when it can be one, else a BigString owning `b`. */
export function valueOf(b: Buffer): StringValue {
  return b.length <= MAX_STRING ? b.latin1Slice(0, b.length) : new BigString(b);
}

/** Bytes [start, end) of a value, as a reply (a Buffer view for a BigString: no copy). */
export function sliceReply(v: StringValue, start: number, end: number): string | Buffer {
  return typeof v === 'string' ? v.slice(start, end) : v.bytes().subarray(start, end);
}

/**
 * `base` with `value` written at `offset` (zero-padded), as SETRANGE and APPEND need: a BigString
 * base is written in place (and returned); otherwise a string while the result fits one, else a
 * new BigString.
 */
export function spliceValue(base: StringValue, offset: number, value: StringValue): StringValue {
  if (base instanceof BigString) {
    base.write(offset, value);
    return base;
  }
  const len = Math.max(base.length, offset + value.length);
  if (len <= MAX_STRING && typeof base === 'string' && typeof value === 'string') {
    return base.length <= offset
      ? base + '\0'.repeat(offset - base.length) + value
      : base.slice(0, offset) + value + base.slice(offset + value.length);
  }
  const out = Buffer.alloc(len); // zero-filled: the padding SETRANGE promises
  out.latin1Write(base, 0);
  if (typeof value === 'string') out.latin1Write(value, offset);
  else value.view().copy(out, offset);
  return valueOf(out);
}

/**
 * Commands that accept a big argument, and where: only string values. Everything else answers
 * ERR_BIG_ARG (a hash field, a list element, a script argument of that size cannot be stored or
 * passed on here).
 */
const BIG_VALUE_ARGS: Record<string, (i: number) => boolean> = {
  set: (i) => i === 2,
  setnx: (i) => i === 2,
  getset: (i) => i === 2,
  append: (i) => i === 2,
  setex: (i) => i === 3,
  psetex: (i) => i === 3,
  setrange: (i) => i === 3,
  mset: (i) => i >= 2 && i % 2 === 0,
  msetnx: (i) => i >= 2 && i % 2 === 0,
  echo: (i) => i === 1,
};

/**
 * Whether `cmd` may receive these big arguments. Never inside MULTI (the queue holds argv only)
 * and never as a key or an option.
 */
export function bigArgsAllowed(cmd: string, args: string[], big: Map<string, Buffer>, inMulti: boolean): boolean {
  if (inMulti) return false;
  const ok = BIG_VALUE_ARGS[cmd];
  if (!ok) return false;
  for (let i = 0; i < args.length; i++) if (big.has(args[i]) && !ok(i)) return false;
  return true;
}

/**
 * The placeholder standing for `buf` among the client's big arguments, added when missing: for a
 * rewritten command that carries a BigString value to the write observers (SET … EX → SET … PXAT).
 */
export function bigArgFor(client: { bigArgs: Map<string, Buffer> | null }, buf: Buffer): string {
  const big = (client.bigArgs ??= new Map());
  for (const [ph, b] of big) if (b === buf) return ph;
  const ph = bigPlaceholder();
  big.set(ph, buf);
  return ph;
}

export function errBigArg(cmd: string, big: Map<string, Buffer>): ReplyError {
  let n = 0;
  for (const b of big.values()) n = Math.max(n, b.length);
  return new ReplyError(
    'ERR',
    `argument too long for '${cmd}' (${n} bytes): only string values (SET, APPEND, MSET …) may be longer than ${MAX_STRING} bytes`,
  );
}
