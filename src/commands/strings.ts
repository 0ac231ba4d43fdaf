// String commands: GET SET SETNX SETEX PSETEX GETSET GETDEL GETEX MGET MSET MSETNX INCR DECR INCRBY
// DECRBY INCRBYFLOAT APPEND STRLEN GETRANGE SUBSTR SETRANGE LCS — Redis 7.0's t_string.c, reply for
// reply and error for error (test/diff/strings.test.ts runs them against a real redis-server).
//
// Values are latin1 JS strings. SET and its variants (SETNX SETEX PSETEX MSET MSETNX) share
// setGeneric, GETSET/GETDEL/GETEX share the string lookup, INCR/DECR/INCRBY/DECRBY share incrDecr
// (64-bit semantics: numbers while safe, bigint beyond 2^53). INCRBYFLOAT runs in emulated C
// `long double` (src/util/numbers.ts) because Redis's replies depend on its 64-bit mantissa.

import { forceStringEncoding, STR_NOINT, STR_RAW } from '../keyspace/encoding.js';
import type { Database } from '../keyspace/db.js';
import {
  ERR_NOT_FLOAT,
  ERR_NOT_INTEGER,
  ERR_OVERFLOW,
  ERR_SYNTAX,
  ERR_WRONGTYPE,
  MapReply,
  OK,
  Reply,
  ReplyError,
  errArity,
} from '../protocol/reply.js';
import { INT64_MAX, INT64_MIN, addInt64, incrByFloatText, parseLongLong } from '../util/numbers.js';
import type { CommandSpec, Context } from './table.js';
import { propagateExpire, propagateIncrByFloat, propagateSet } from './effects.js';
import { BigString, MAX_STRING, StringValue, sliceReply, spliceValue, valueReply } from '../keyspace/bigstring.js';
import { NOTIFY_GENERIC, NOTIFY_STRING, notifyKeyspaceEvent } from '../server/notify.js';

/**
 * Argument `i` as a string value: a BigString when the client sent it longer than a JS string can
 * be (the parser's side channel, keyspace/bigstring.ts), else the argument itself. Dispatch only
 * lets big arguments reach the value positions of the commands that call this.
 */
function valueArg(ctx: Context, args: string[], i: number): StringValue {
  const big = ctx.client.bigArgs;
  if (big !== null) {
    const b = big.get(args[i]);
    if (b !== undefined) return new BigString(b);
  }
  return args[i];
}

const ERR_STRING_TOO_LONG = new ReplyError('ERR', 'string exceeds maximum allowed size (proto-max-bulk-len)');
const ERR_OFFSET_RANGE = new ReplyError('ERR', 'offset is out of range');
const ERR_NAN_INF = new ReplyError('ERR', 'increment would produce NaN or Infinity');
const ERR_DECR_OVERFLOW = new ReplyError('ERR', 'decrement would overflow');
const ERR_LCS_TYPE = new ReplyError('ERR', 'The specified keys must contain string values');
const ERR_LCS_IDX_LEN = new ReplyError('ERR', 'If you want both the length and indexes, please just use IDX.');
const ERR_LCS_MEM = new ReplyError(
  'ERR',
  'Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len',
);
const ONE = 1;
const ZERO = 0;

const invalidExpireErrors = new Map<string, ReplyError>();
/** `ERR invalid expire time in '<cmd>' command` (cached per command name). */
function errInvalidExpire(cmd: string): ReplyError {
  let e = invalidExpireErrors.get(cmd);
  if (!e) {
    e = new ReplyError('ERR', `invalid expire time in '${cmd}' command`);
    invalidExpireErrors.set(cmd, e);
  }
  return e;
}

// ---- SET / GETEX option parsing (Redis's parseExtendedStringArgumentsOrReply) --------------------

const F_NX = 1;
const F_XX = 2;
const F_EX = 4;
const F_PX = 8;
const F_KEEPTTL = 16;
const F_GET = 32;
const F_EXAT = 64;
const F_PXAT = 128;
const F_PERSIST = 256;
const F_ANY_EXPIRE = F_EX | F_PX | F_EXAT | F_PXAT;

/**
 * ASCII case-insensitive equality with an uppercase option name, no allocation. Like Redis's
 * strcasecmp on C strings, anything after a NUL byte is ignored ("NX\0junk" is NX).
 */
function optIs(arg: string, upper: string): boolean {
  const n = upper.length;
  if (arg.length !== n && !(arg.length > n && arg.charCodeAt(n) === 0)) return false;
  for (let i = 0; i < n; i++) {
    const c = arg.charCodeAt(i);
    const u = upper.charCodeAt(i);
    if (c !== u && c !== u + 32) return false;
  }
  return true;
}

interface ExtendedArgs {
  flags: number;
  /** The expire argument (EX/PX/EXAT/PXAT value), or null. */
  expire: string | null;
  /** The expire argument is in seconds (EX, EXAT) rather than milliseconds. */
  seconds: boolean;
}

/**
 * Parse SET's (isSet) or GETEX's options exactly like Redis 7.0: options repeat freely, an option
 * conflicting with one already given, or an expire option without a value, is a syntax error.
 */
function parseExtended(args: string[], isSet: boolean): ExtendedArgs {
  let flags = 0;
  let expire: string | null = null;
  let seconds = true;
  for (let j = isSet ? 3 : 2; j < args.length; j++) {
    const opt = args[j];
    const hasNext = j < args.length - 1;
    if (isSet && optIs(opt, 'NX') && !(flags & F_XX)) {
      flags |= F_NX;
    } else if (isSet && optIs(opt, 'XX') && !(flags & F_NX)) {
      flags |= F_XX;
    } else if (isSet && optIs(opt, 'GET')) {
      flags |= F_GET;
    } else if (isSet && optIs(opt, 'KEEPTTL') && !(flags & (F_PERSIST | F_ANY_EXPIRE))) {
      flags |= F_KEEPTTL;
    } else if (!isSet && optIs(opt, 'PERSIST') && !(flags & (F_ANY_EXPIRE | F_KEEPTTL))) {
      flags |= F_PERSIST;
    } else if (optIs(opt, 'EX') && !(flags & (F_KEEPTTL | F_PERSIST | F_EXAT | F_PX | F_PXAT)) && hasNext) {
      flags |= F_EX;
      expire = args[++j];
      seconds = true;
    } else if (optIs(opt, 'PX') && !(flags & (F_KEEPTTL | F_PERSIST | F_EX | F_EXAT | F_PXAT)) && hasNext) {
      flags |= F_PX;
      expire = args[++j];
      seconds = false;
    } else if (optIs(opt, 'EXAT') && !(flags & (F_KEEPTTL | F_PERSIST | F_EX | F_PX | F_PXAT)) && hasNext) {
      flags |= F_EXAT;
      expire = args[++j];
      seconds = true;
    } else if (optIs(opt, 'PXAT') && !(flags & (F_KEEPTTL | F_PERSIST | F_EX | F_EXAT | F_PX)) && hasNext) {
      flags |= F_PXAT;
      expire = args[++j];
      seconds = false;
    } else {
      throw ERR_SYNTAX;
    }
  }
  return { flags, expire, seconds };
}

const LLONG_MAX_DIV_1000 = 9223372036854775; // LLONG_MAX / 1000

/**
 * Redis's getExpireMillisecondsOrReply: the absolute expire time in ms for an EX/PX (relative) or
 * EXAT/PXAT (absolute) argument. Non-positive values and 64-bit overflow are
 * `ERR invalid expire time in '<cmd>' command`.
 */
function expireArgToMs(s: string, seconds: boolean, relative: boolean, now: number, cmd: string): number {
  const v = parseLongLong(s);
  if (v === null) throw ERR_NOT_INTEGER;
  if (v <= 0 || (seconds && v > LLONG_MAX_DIV_1000)) throw errInvalidExpire(cmd);
  if (typeof v === 'number' && v < 1e12) {
    // Fast path: exact in doubles (< 1e15 + now).
    return (seconds ? v * 1000 : v) + (relative ? now : 0);
  }
  let ms = BigInt(v) * (seconds ? 1000n : 1n);
  if (relative) ms += BigInt(now);
  if (ms > INT64_MAX) throw errInvalidExpire(cmd); // the C addition would overflow negative
  return Number(ms);
}

// ---- The generic set worker -----------------------------------------------------------------------

/**
 * Redis's setGenericCommand: SET and its variants. `expire` is validated first, then GET's old value
 * (WRONGTYPE aborts everything), then NX/XX decide whether to write.
 */
function setGeneric(
  ctx: Context,
  flags: number,
  key: string,
  value: StringValue,
  expire: string | null,
  seconds: boolean,
  cmd: string,
  okReply: Reply,
  abortReply: Reply,
): Reply {
  const db = ctx.db;
  let when = 0;
  if (expire !== null) {
    when = expireArgToMs(expire, seconds, (flags & (F_EX | F_PX)) !== 0, db.clock.now(), cmd);
  }
  let old: string | Buffer | null = null;
  if (flags & F_GET) {
    const o = readStringForWrite(ctx, key);
    old = o === null ? null : valueReply(o);
  }
  // lookupKeyWrite: an expired key is deleted (and `expired` published) before the write.
  const found = db.peek(key) !== undefined;
  if ((flags & F_NX && found) || (flags & F_XX && !found)) {
    return flags & F_GET ? old : abortReply;
  }
  db.set(key, value, (flags & F_KEEPTTL) !== 0);
  ctx.server.dirty++;
  notifyKeyspaceEvent(ctx.server, NOTIFY_STRING, 'set', key, db.id);
  if (expire !== null) {
    db.setExpire(key, when);
    notifyKeyspaceEvent(ctx.server, NOTIFY_GENERIC, 'expire', key, db.id);
  }
  return flags & F_GET ? old : okReply;
}

/** The string at key for reading (counts a hit/miss), null if missing, WRONGTYPE otherwise. */
export function readString(db: Database, key: string): StringValue | null {
  const v = db.get(key);
  if (v === undefined) return null;
  if (typeof v !== 'string' && !(v instanceof BigString)) throw ERR_WRONGTYPE;
  return v;
}

/**
 * readString in a write command whose Redis lookup is lookupKeyRead (GETDEL, GETEX, SET … GET):
 * a miss publishes `keymiss`.
 */
function readStringForWrite(ctx: Context, key: string): StringValue | null {
  const v = readString(ctx.db, key);
  if (v === null) ctx.db.readMiss(key);
  return v;
}

/** The string at key for writing (no stats), null if missing, WRONGTYPE otherwise. */
function writeString(db: Database, key: string): StringValue | null {
  const v = db.peek(key);
  if (v === undefined) return null;
  if (typeof v !== 'string' && !(v instanceof BigString)) throw ERR_WRONGTYPE;
  return v;
}

/**
 * A string that can hold a number (INCRBYFLOAT): a BigString only when short (a bitmap converted
 * by a bit write, keyspace/bigstring.ts); Redis's parsers reject anything over 5 KB anyway.
 */
function numericString(v: StringValue | null, err: ReplyError): string | null {
  if (v instanceof BigString) {
    if (v.length > 8192) throw err;
    return v.toLatin1();
  }
  return v;
}

function maxBulkLen(ctx: Context): number {
  return ctx.server.config.getInt('proto-max-bulk-len');
}

// ---- INCR family ----------------------------------------------------------------------------------

/** Redis's incrDecrCommand: 64-bit add with overflow detection, TTL kept. */
function incrDecr(ctx: Context, key: string, incr: number | bigint): Reply {
  const db = ctx.db;
  const v = db.peek(key);
  let cur: number | bigint = 0;
  if (v !== undefined) {
    if (v instanceof BigString && v.length > 20) throw ERR_NOT_INTEGER;
    if (typeof v !== 'string' && !(v instanceof BigString)) throw ERR_WRONGTYPE;
    const p = parseLongLong(typeof v === 'string' ? v : v.toLatin1());
    if (p === null) throw ERR_NOT_INTEGER;
    cur = p;
  }
  const r = addInt64(cur, incr);
  if (r === null) throw ERR_OVERFLOW;
  db.set(key, String(r), true);
  ctx.server.dirty++;
  notifyKeyspaceEvent(ctx.server, NOTIFY_STRING, 'incrby', key, db.id);
  return r;
}

function int64Arg(s: string): number | bigint {
  const v = parseLongLong(s);
  if (v === null) throw ERR_NOT_INTEGER;
  return v;
}

// ---- GETRANGE / SETRANGE --------------------------------------------------------------------------

function getrange(ctx: Context, args: string[]): Reply {
  let start = Number(int64Arg(args[2]));
  let end = Number(int64Arg(args[3]));
  const s = readString(ctx.db, args[1]);
  if (s === null) return '';
  const len = s.length;
  if (start < 0 && end < 0 && start > end) return '';
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (end < 0) end = 0;
  if (end >= len) end = len - 1;
  if (start > end || len === 0) return '';
  return sliceReply(s, start, end + 1);
}

function setrange(ctx: Context, args: string[]): Reply {
  const db = ctx.db;
  const key = args[1];
  const value = valueArg(ctx, args, 3);
  const offset = Number(int64Arg(args[2]));
  if (offset < 0) throw ERR_OFFSET_RANGE;
  const old = writeString(db, key);
  if (old === null) {
    if (value.length === 0) return ZERO;
  } else if (value.length === 0) {
    return old.length;
  }
  if (offset + value.length > maxBulkLen(ctx)) throw ERR_STRING_TOO_LONG;
  // Past V8's string length limit (a little below 512 MB) the result becomes a BigString.
  const next = spliceValue(old ?? '', offset, value);
  db.set(key, next, true);
  forceStringEncoding(db, key, STR_RAW); // Redis edits a raw copy in place
  ctx.server.dirty++;
  notifyKeyspaceEvent(ctx.server, NOTIFY_STRING, 'setrange', key, db.id);
  return next.length;
}

// ---- LCS ------------------------------------------------------------------------------------------

/** Redis 7.0's lcsCommand: the DP table, then the backward walk emitting LCS text or match ranges. */
function lcs(ctx: Context, args: string[]): Reply {
  const db = ctx.db;
  let oa = db.get(args[1]);
  let ob = db.get(args[2]);
  // A BigString past MAX_STRING: its DP table would exceed any proto-max-bulk-len, Redis answers
  // the memory error. A shorter one (a bitmap converted by a bit write) is read as a string.
  if ((oa instanceof BigString && oa.length > MAX_STRING) || (ob instanceof BigString && ob.length > MAX_STRING)) throw ERR_LCS_MEM;
  if (oa instanceof BigString) oa = oa.toLatin1();
  if (ob instanceof BigString) ob = ob.toLatin1();
  if ((oa !== undefined && typeof oa !== 'string') || (ob !== undefined && typeof ob !== 'string')) {
    throw ERR_LCS_TYPE;
  }
  const a = (oa as string | undefined) ?? '';
  const b = (ob as string | undefined) ?? '';
  let getlen = false;
  let getidx = false;
  let withmatchlen = false;
  let minmatchlen = 0;
  for (let j = 3; j < args.length; j++) {
    const opt = args[j];
    const more = args.length - 1 - j;
    if (optIs(opt, 'IDX')) getidx = true;
    else if (optIs(opt, 'LEN')) getlen = true;
    else if (optIs(opt, 'WITHMATCHLEN')) withmatchlen = true;
    else if (optIs(opt, 'MINMATCHLEN') && more > 0) {
      const n = Number(int64Arg(args[j + 1]));
      minmatchlen = n < 0 ? 0 : n;
      j++;
    } else {
      throw ERR_SYNTAX;
    }
  }
  if (getidx && getlen) throw ERR_LCS_IDX_LEN;
  const alen = a.length;
  const blen = b.length;
  const w = blen + 1;
  if ((alen + 1) * w * 4 > maxBulkLen(ctx)) throw ERR_LCS_MEM;
  const t = new Uint32Array((alen + 1) * w);
  for (let i = 1; i <= alen; i++) {
    const ca = a.charCodeAt(i - 1);
    const row = i * w;
    const prev = row - w;
    for (let j = 1; j <= blen; j++) {
      if (ca === b.charCodeAt(j - 1)) t[row + j] = t[prev + j - 1] + 1;
      else {
        const l1 = t[prev + j];
        const l2 = t[row + j - 1];
        t[row + j] = l1 > l2 ? l1 : l2;
      }
    }
  }
  const total = t[alen * w + blen];
  const computelcs = getidx || !getlen;
  if (!computelcs) return total;
  const chars: string[] = new Array(total);
  let idx = total;
  const matches: Reply[] = [];
  let aStart = alen;
  let aEnd = 0;
  let bStart = 0;
  let bEnd = 0;
  let i = alen;
  let j = blen;
  while (i > 0 && j > 0) {
    let emit = false;
    if (a.charCodeAt(i - 1) === b.charCodeAt(j - 1)) {
      chars[idx - 1] = a[i - 1];
      if (aStart === alen) {
        aStart = i - 1;
        aEnd = i - 1;
        bStart = j - 1;
        bEnd = j - 1;
      } else if (aStart === i && bStart === j) {
        aStart--;
        bStart--;
      } else {
        emit = true;
      }
      if (aStart === 0 || bStart === 0) emit = true;
      idx--;
      i--;
      j--;
    } else {
      if (t[(i - 1) * w + j] > t[i * w + j - 1]) i--;
      else j--;
      if (aStart !== alen) emit = true;
    }
    const matchLen = aEnd - aStart + 1;
    if (emit) {
      if (getidx && (minmatchlen === 0 || matchLen >= minmatchlen)) {
        const m: Reply[] = [
          [aStart, aEnd],
          [bStart, bEnd],
        ];
        if (withmatchlen) m.push(matchLen);
        matches.push(m);
      }
      aStart = alen;
    }
  }
  if (getidx) return new MapReply(['matches', matches, 'len', total]);
  return chars.join('');
}

// ---- The command table ----------------------------------------------------------------------------

const EXPIRE_SYNTAX = 'EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds';

export const stringsCommands: CommandSpec[] = [
  {
    name: 'get',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: 'string',
    summary: 'Get the value of a key',
    since: '1.0.0',
    complexity: 'O(1)',
    syntax: 'key',
    handler: (ctx, args) => {
      const v = ctx.db.get(args[1]);
      if (v === undefined) return null;
      if (typeof v !== 'string') {
        if (v instanceof BigString) return v.bytes();
        throw ERR_WRONGTYPE;
      }
      return v;
    },
  },
  {
    name: 'set',
    arity: -3,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    group: 'string',
    summary: 'Set the string value of a key',
    since: '1.0.0',
    complexity: 'O(1)',
    syntax: `key value [NX | XX] [GET] [${EXPIRE_SYNTAX} | KEEPTTL]`,
    propagate: propagateSet,
    handler: (ctx, args) => {
      if (args.length === 3) {
        // Hot path: plain SET (an expired key goes first, as lookupKeyWrite does).
        const db = ctx.db;
        if (db.expires.size !== 0) db.expireIfNeeded(args[1]);
        db.set(args[1], ctx.client.bigArgs === null ? args[2] : valueArg(ctx, args, 2));
        ctx.server.dirty++;
        notifyKeyspaceEvent(ctx.server, NOTIFY_STRING, 'set', args[1], db.id);
        return OK;
      }
      const o = parseExtended(args, true);
      return setGeneric(ctx, o.flags, args[1], valueArg(ctx, args, 2), o.expire, o.seconds, 'set', OK, null);
    },
  },
  {
    name: 'setnx',
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: 'string',
    summary: 'Set the value of a key, only if the key does not exist',
    since: '1.0.0',
    complexity: 'O(1)',
    syntax: 'key value',
    handler: (ctx, args) => setGeneric(ctx, F_NX, args[1], valueArg(ctx, args, 2), null, true, 'setnx', ONE, ZERO),
  },
  {
    name: 'setex',
    arity: 4,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    group: 'string',
    summary: 'Set the value and expiration of a key',
    since: '2.0.0',
    complexity: 'O(1)',
    syntax: 'key seconds value',
    propagate: propagateSet,
    handler: (ctx, args) => setGeneric(ctx, F_EX, args[1], valueArg(ctx, args, 3), args[2], true, 'setex', OK, null),
  },
  {
    name: 'psetex',
    arity: 4,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    group: 'string',
    summary: 'Set the value and expiration in milliseconds of a key',
    since: '2.6.0',
    complexity: 'O(1)',
    syntax: 'key milliseconds value',
    propagate: propagateSet,
    handler: (ctx, args) => setGeneric(ctx, F_PX, args[1], valueArg(ctx, args, 3), args[2], false, 'psetex', OK, null),
  },
  {
    name: 'getset',
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: 'string',
    summary: 'Set the string value of a key and return its old value',
    since: '1.0.0',
    complexity: 'O(1)',
    syntax: 'key value',
    // Redis's getsetCommand is GET followed by an unconditional set that clears the TTL.
    handler: (ctx, args) => setGeneric(ctx, F_GET, args[1], valueArg(ctx, args, 2), null, true, 'getset', OK, null),
  },
  {
    name: 'getdel',
    arity: 2,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    group: 'string',
    summary: 'Get the value of a key and delete the key',
    since: '6.2.0',
    complexity: 'O(1)',
    syntax: 'key',
    handler: (ctx, args) => {
      const v = readStringForWrite(ctx, args[1]);
      if (v !== null && ctx.db.delete(args[1])) {
        ctx.server.dirty++;
        notifyKeyspaceEvent(ctx.server, NOTIFY_GENERIC, 'del', args[1], ctx.db.id);
      }
      return v === null ? null : valueReply(v);
    },
  },
  {
    name: 'getex',
    arity: -2,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    group: 'string',
    summary: 'Get the value of a key and optionally set its expiration',
    since: '6.2.0',
    complexity: 'O(1)',
    syntax: `key [${EXPIRE_SYNTAX} | PERSIST]`,
    propagate: propagateExpire,
    handler: (ctx, args) => {
      const db = ctx.db;
      const key = args[1];
      const o = parseExtended(args, false);
      const v = readStringForWrite(ctx, key);
      if (v === null) return null;
      const now = db.clock.now();
      if (o.expire !== null) {
        const when = expireArgToMs(o.expire, o.seconds, (o.flags & (F_EX | F_PX)) !== 0, now, 'getex');
        if (o.flags & (F_EXAT | F_PXAT) && when <= now) {
          db.delete(key);
          notifyKeyspaceEvent(ctx.server, NOTIFY_GENERIC, 'del', key, db.id);
        } else {
          db.setExpire(key, when);
          notifyKeyspaceEvent(ctx.server, NOTIFY_GENERIC, 'expire', key, db.id);
        }
        ctx.server.dirty++;
      } else if (o.flags & F_PERSIST) {
        if (db.persist(key)) {
          ctx.server.dirty++;
          notifyKeyspaceEvent(ctx.server, NOTIFY_GENERIC, 'persist', key, db.id);
        }
      }
      return valueReply(v);
    },
  },
  {
    name: 'mget',
    arity: -2,
    flags: ['readonly', 'fast'],
    keys: [1, -1, 1],
    group: 'string',
    summary: 'Get the values of all the given keys',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of keys to retrieve.',
    syntax: 'key [key ...]',
    handler: (ctx, args) => {
      const db = ctx.db;
      const out: Reply[] = new Array(args.length - 1);
      for (let i = 1; i < args.length; i++) {
        const v = db.get(args[i]);
        out[i - 1] = typeof v === 'string' ? v : v instanceof BigString ? v.bytes() : null;
      }
      return out;
    },
  },
  {
    name: 'mset',
    arity: -3,
    flags: ['write', 'denyoom'],
    keys: [1, -1, 2],
    group: 'string',
    summary: 'Set multiple keys to multiple values',
    since: '1.0.1',
    complexity: 'O(N) where N is the number of keys to set.',
    syntax: 'key value [key value ...]',
    handler: (ctx, args) => msetGeneric(ctx, args, false),
  },
  {
    name: 'msetnx',
    arity: -3,
    flags: ['write', 'denyoom'],
    keys: [1, -1, 2],
    group: 'string',
    summary: 'Set multiple keys to multiple values, only if none of the keys exist',
    since: '1.0.1',
    complexity: 'O(N) where N is the number of keys to set.',
    syntax: 'key value [key value ...]',
    handler: (ctx, args) => msetGeneric(ctx, args, true),
  },
  {
    name: 'incr',
    arity: 2,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: 'string',
    summary: 'Increment the integer value of a key by one',
    since: '1.0.0',
    complexity: 'O(1)',
    syntax: 'key',
    handler: (ctx, args) => incrDecr(ctx, args[1], 1),
  },
  {
    name: 'decr',
    arity: 2,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: 'string',
    summary: 'Decrement the integer value of a key by one',
    since: '1.0.0',
    complexity: 'O(1)',
    syntax: 'key',
    handler: (ctx, args) => incrDecr(ctx, args[1], -1),
  },
  {
    name: 'incrby',
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: 'string',
    summary: 'Increment the integer value of a key by the given amount',
    since: '1.0.0',
    complexity: 'O(1)',
    syntax: 'key increment',
    handler: (ctx, args) => incrDecr(ctx, args[1], int64Arg(args[2])),
  },
  {
    name: 'decrby',
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: 'string',
    summary: 'Decrement the integer value of a key by the given number',
    since: '1.0.0',
    complexity: 'O(1)',
    syntax: 'key decrement',
    handler: (ctx, args) => {
      const d = int64Arg(args[2]);
      if (d === INT64_MIN) throw ERR_DECR_OVERFLOW;
      return incrDecr(ctx, args[1], typeof d === 'number' ? -d : -(d as bigint));
    },
  },
  {
    name: 'incrbyfloat',
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: 'string',
    summary: 'Increment the float value of a key by the given amount',
    since: '2.6.0',
    complexity: 'O(1)',
    syntax: 'key increment',
    propagate: propagateIncrByFloat,
    handler: (ctx, args) => {
      const db = ctx.db;
      const cur = numericString(writeString(db, args[1]), ERR_NOT_FLOAT);
      const r = incrByFloatText(cur, args[2]);
      if (r === 'notfloat') throw ERR_NOT_FLOAT;
      if (r === 'naninf') throw ERR_NAN_INF;
      db.set(args[1], r, true);
      forceStringEncoding(db, args[1], STR_NOINT); // createStringObjectFromLongDouble: no int encoding
      ctx.server.dirty++;
      notifyKeyspaceEvent(ctx.server, NOTIFY_STRING, 'incrbyfloat', args[1], db.id);
      return r;
    },
  },
  {
    name: 'append',
    arity: 3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: 'string',
    summary: 'Append a value to a key',
    since: '2.0.0',
    complexity:
      'O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.',
    syntax: 'key value',
    handler: (ctx, args) => {
      const db = ctx.db;
      const old = writeString(db, args[1]);
      const value = valueArg(ctx, args, 2);
      let next: StringValue;
      if (old === null) {
        next = value;
      } else {
        if (old.length + value.length > maxBulkLen(ctx)) throw ERR_STRING_TOO_LONG;
        // Past V8's string length limit (a little below 512 MB) the result becomes a BigString.
        next = spliceValue(old, old.length, value);
      }
      db.set(args[1], next, true);
      if (old !== null) forceStringEncoding(db, args[1], STR_RAW); // appended to a raw copy
      ctx.server.dirty++;
      notifyKeyspaceEvent(ctx.server, NOTIFY_STRING, 'append', args[1], db.id);
      return next.length;
    },
  },
  {
    name: 'strlen',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: 'string',
    summary: 'Get the length of the value stored in a key',
    since: '2.2.0',
    complexity: 'O(1)',
    syntax: 'key',
    handler: (ctx, args) => {
      const v = readString(ctx.db, args[1]);
      return v === null ? 0 : v.length;
    },
  },
  {
    name: 'getrange',
    arity: 4,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: 'string',
    summary: 'Get a substring of the string stored at a key',
    since: '2.4.0',
    complexity:
      'O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.',
    syntax: 'key start end',
    handler: getrange,
  },
  {
    name: 'substr',
    arity: 4,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: 'string',
    summary: 'Get a substring of the string stored at a key',
    since: '1.0.0',
    complexity:
      'O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.',
    syntax: 'key start end',
    handler: getrange,
  },
  {
    name: 'setrange',
    arity: 4,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    group: 'string',
    summary: 'Overwrite part of a string at key starting at the specified offset',
    since: '2.2.0',
    complexity:
      'O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.',
    syntax: 'key offset value',
    handler: setrange,
  },
  {
    name: 'lcs',
    arity: -3,
    flags: ['readonly'],
    keys: [1, 2, 1],
    group: 'string',
    summary: 'Find longest common substring',
    since: '7.0.0',
    complexity: 'O(N*M) where N and M are the lengths of s1 and s2, respectively',
    syntax: 'key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN]',
    handler: lcs,
  },
];

/** Redis's msetGenericCommand: MSETNX writes nothing if any key exists. */
function msetGeneric(ctx: Context, args: string[], nx: boolean): Reply {
  if (args.length % 2 === 0) return errArity(nx ? 'msetnx' : 'mset');
  const db = ctx.db;
  if (nx) {
    for (let j = 1; j < args.length; j += 2) if (db.peek(args[j]) !== undefined) return ZERO;
  }
  for (let j = 1; j < args.length; j += 2) {
    if (db.expires.size !== 0) db.expireIfNeeded(args[j]); // setKey's lookupKeyWrite
    db.set(args[j], valueArg(ctx, args, j + 1));
    notifyKeyspaceEvent(ctx.server, NOTIFY_STRING, 'set', args[j], db.id);
  }
  ctx.server.dirty += (args.length - 1) / 2;
  return nx ? ONE : OK;
}
