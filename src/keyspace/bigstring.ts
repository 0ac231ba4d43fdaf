// String values too long to be JS strings.
//
// Keys and string values are latin1 JS strings (db.ts explains why: memory). V8 caps a string at
// MAX_STRING chars (2^29 - 24 in Node 20), a little below Redis's default proto-max-bulk-len
// (512 MB = 2^29) — and proto-max-bulk-len can be raised. A request the limits accept must be
// served, so a string value longer than MAX_STRING is held as a BigString: an immutable Buffer
// wrapper. Only values ever take this form, never keys or collection elements; everything short
// stays a plain string, so the hot path is untouched.
//
// Where they come from: the request parser hands a bulk longer than MAX_STRING over as a Buffer in
// a side channel (RequestParser.bigArgs → Client.bigArgs: argv holds an unguessable placeholder
// token), and APPEND / SETRANGE produce one when a string grows past MAX_STRING. Dispatch refuses
// a big argument for every command but the ones that take it as a value (BIG_VALUE_ARGS below),
// with ERR_BIG_ARG, so no handler ever mistakes a placeholder for data. Replies carry the Buffer
// (a Reply may be a Buffer: written as a bulk without making a string).
//
// A BigString's Buffer is never modified after creation (GETRANGE replies share it, COPY shares
// the value): APPEND and SETRANGE build a new one.

import { MAX_STRING, bigPlaceholder } from '../protocol/parser.js';
import { ReplyError } from '../protocol/reply.js';

export { MAX_STRING };

export class BigString {
  constructor(readonly buf: Buffer) {}

  get length(): number {
    return this.buf.length;
  }
}

/** A string value as stored: a latin1 string, or a BigString past MAX_STRING. */
export type StringValue = string | BigString;

export function isStringValue(v: unknown): v is StringValue {
  return typeof v === 'string' || v instanceof BigString;
}

/** The value as a reply: the string itself, or the BigString's bytes. */
export function valueReply(v: StringValue): string | Buffer {
  return typeof v === 'string' ? v : v.buf;
}

/** The value's bytes (copied for a string). */
export function valueBuffer(v: StringValue): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'latin1') : v.buf;
}

/** A value of these bytes: a string when it can be one, else a BigString owning `b`. */
export function valueOf(b: Buffer): StringValue {
  return b.length <= MAX_STRING ? b.latin1Slice(0, b.length) : new BigString(b);
}

/** Bytes [start, end) of a value, as a reply (a Buffer view for a BigString: no copy). */
export function sliceReply(v: StringValue, start: number, end: number): string | Buffer {
  return typeof v === 'string' ? v.slice(start, end) : v.buf.subarray(start, end);
}

/**
 * `base` with `value` written at `offset` (zero-padded), as SETRANGE and APPEND need: a string
 * while the result fits one, else a BigString.
 */
export function spliceValue(base: StringValue, offset: number, value: StringValue): StringValue {
  const len = Math.max(base.length, offset + value.length);
  if (len <= MAX_STRING && typeof base === 'string' && typeof value === 'string') {
    return base.length <= offset
      ? base + '\0'.repeat(offset - base.length) + value
      : base.slice(0, offset) + value + base.slice(offset + value.length);
  }
  const out = Buffer.alloc(len); // zero-filled: the padding SETRANGE promises
  if (typeof base === 'string') out.latin1Write(base, 0);
  else base.buf.copy(out, 0);
  if (typeof value === 'string') out.latin1Write(value, offset);
  else value.buf.copy(out, offset);
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
