// Sorted set commands: ZADD ZINCRBY ZREM ZSCORE ZMSCORE ZCARD ZCOUNT ZLEXCOUNT ZRANK ZREVRANK, the
// ZRANGE family (by rank / score / lex, REV, LIMIT, WITHSCORES, ZRANGESTORE), ZREMRANGEBY*,
// ZPOPMIN/ZPOPMAX, ZMPOP and the blocking BZPOPMIN/BZPOPMAX/BZMPOP (blocking machinery shared with
// lists.ts), ZRANDMEMBER, ZSCAN and the set-algebra commands (ZUNIONSTORE ZINTERSTORE ZDIFFSTORE,
// ZUNION ZINTER ZDIFF, ZINTERCARD), with Redis 7.0's argument order, error texts and reply shapes.
//
// Values are SortedSet (src/keyspace/zset.ts): a skip list with spans (ranks in O(log n)) plus a
// member → score Map. Range commands find their first node with a skip-list search and walk the
// level-0 links from there — nothing materialises the whole set.
//
// Doubles follow Redis's parsing exactly: scores and weights go through C `strtod` semantics
// (hex floats, inf/infinity, no NaN, overflow/underflow rejected, no leading space — getDoubleFromObject),
// while range bounds accept whatever `strtod` accepts (zslParseRange: leading spaces, "" = 0, ±inf).
// The strtod emulation here is exported for the list family's timeouts (string2ld).
//
// Reply shapes (checked against redis-server 7.0.15): scores are DoubleReply (RESP2 bulk "%.17g",
// RESP3 `,`); WITHSCORES is a flat [member, score, …] array in RESP2 and an array of [member, score]
// pairs in RESP3; ZPOPMIN/ZPOPMAX with a COUNT nest pairs in RESP3 only.

import { isConverted, settleEncoding, zsetMemberAdded } from '../keyspace/encoding.js';
import type { Database } from '../keyspace/db.js';
import { LexRange, ScoreRange, SortedSet, ZEntry, ZNode } from '../keyspace/zset.js';
import {
  DoubleReply,
  ERR_NOT_FLOAT,
  ERR_NOT_INTEGER,
  ERR_SYNTAX,
  ERR_WRONGTYPE,
  NIL_ARRAY,
  Reply,
  ReplyError,
} from '../protocol/reply.js';
import { formatDouble } from '../protocol/encoder.js';
import { parseInt64 } from '../util/numbers.js';
import { parseScanCursor, parseScanOptions, scanStep } from './scan-util.js';
import type { CommandSpec, Context } from './table.js';
import { checkSampledCount, ERR_SAMPLED_REPLY_TOO_LARGE, getZSet, MAX_SAMPLED_REPLY_BYTES } from './util.js';
// Circular with lists.ts (which uses the number parsers here): only functions cross, never at load time.
import { blockOn, cannotBlock, parseMpop, parseTimeout, propagate } from './lists.js';
import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import { NOTIFY_GENERIC, NOTIFY_ZSET, notifyKeyspaceEvent } from '../server/notify.js';

// ---- C number parsing (strtod / string2ld / string2l) ---------------------------------------------

/** What C's strtod reports: the value, where parsing stopped, and ERANGE conditions. */
export interface StrtodResult {
  value: number;
  /** Index after the last consumed character; equals the start index when nothing was converted. */
  end: number;
  /** The value overflowed a double (strtod returns ±HUGE_VAL with ERANGE). */
  overflow: boolean;
  /** A non-zero literal underflowed to zero (ERANGE with a zero result). */
  underflowZero: boolean;
  /** Decimal exponent of the literal (floor(log10|x|) estimate), for long-double range checks. */
  e10: number;
}

function isSpace(c: number): boolean {
  return c === 32 || (c >= 9 && c <= 13);
}
function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}
function hexVal(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 0x20;
  if (l >= 97 && l <= 102) return l - 87;
  return -1;
}
/** Case-insensitive match of lowercase ASCII `word` at s[i..]. */
function matchCI(s: string, i: number, word: string): boolean {
  if (i + word.length > s.length) return false;
  for (let k = 0; k < word.length; k++) {
    if ((s.charCodeAt(i + k) | 0x20) !== word.charCodeAt(k)) return false;
  }
  return true;
}

/** Read `[+-]digits` at s[i]; returns [exponent (saturated), end] or null when no digit follows. */
function readExponent(s: string, i: number): [number, number] | null {
  let k = i;
  let neg = false;
  if (s[k] === '+' || s[k] === '-') {
    neg = s[k] === '-';
    k++;
  }
  if (!isDigit(s.charCodeAt(k))) return null;
  let e = 0;
  while (isDigit(s.charCodeAt(k))) {
    if (e < 1e9) e = e * 10 + (s.charCodeAt(k) - 48);
    k++;
  }
  return [neg ? -e : e, k];
}

/** x * 2^e without intermediate overflow/underflow. */
function scale2(x: number, e: number): number {
  while (e > 1000) {
    x *= 2 ** 1000;
    e -= 1000;
    if (!Number.isFinite(x)) return x;
  }
  while (e < -1000) {
    x *= 2 ** -1000;
    e += 1000;
    if (x === 0) return x;
  }
  return x * 2 ** e;
}

/**
 * C `strtod(s + start, &end)` in the C locale: leading whitespace, sign, `inf`/`infinity`/`nan[(…)]`
 * (any case), hexadecimal floats (`0x1.8p3`), decimal with optional exponent.
 */
export function strtod(s: string, start = 0): StrtodResult {
  const n = s.length;
  let i = start;
  while (i < n && isSpace(s.charCodeAt(i))) i++;
  let neg = false;
  if (i < n && (s[i] === '+' || s[i] === '-')) {
    neg = s[i] === '-';
    i++;
  }
  const none: StrtodResult = { value: 0, end: start, overflow: false, underflowZero: false, e10: 0 };
  if (i >= n) return none;
  const lc = s.charCodeAt(i) | 0x20;
  if (lc === 0x69 /* i */) {
    const end = matchCI(s, i, 'infinity') ? i + 8 : matchCI(s, i, 'inf') ? i + 3 : -1;
    if (end < 0) return none;
    return { value: neg ? -Infinity : Infinity, end, overflow: false, underflowZero: false, e10: 0 };
  }
  if (lc === 0x6e /* n */) {
    if (!matchCI(s, i, 'nan')) return none;
    let end = i + 3;
    if (s[end] === '(') {
      let k = end + 1;
      while (k < n) {
        const c = s.charCodeAt(k);
        if (isDigit(c) || ((c | 0x20) >= 97 && (c | 0x20) <= 122) || c === 95) k++;
        else break;
      }
      if (s[k] === ')') end = k + 1;
    }
    return { value: NaN, end, overflow: false, underflowZero: false, e10: 0 };
  }
  if (s[i] === '0' && (s[i + 1] === 'x' || s[i + 1] === 'X')) {
    const h = strtodHex(s, i + 2, neg);
    if (h) return h;
    // "0x" without hex digits: strtod converts the "0" alone.
  }
  // Decimal.
  let j = i;
  const intStart = j;
  while (isDigit(s.charCodeAt(j))) j++;
  const intEnd = j;
  let fracStart = j;
  let fracEnd = j;
  if (s[j] === '.') {
    j++;
    fracStart = j;
    while (isDigit(s.charCodeAt(j))) j++;
    fracEnd = j;
  }
  if (intEnd === intStart && fracEnd === fracStart) return none;
  let exp = 0;
  if (s[j] === 'e' || s[j] === 'E') {
    const e = readExponent(s, j + 1);
    if (e) {
      exp = e[0];
      j = e[1];
    }
  }
  const text = i === 0 && j === n ? s : s.slice(i, j);
  let value = Number(text[0] === '-' || text[0] === '+' ? text.slice(1) : text);
  if (neg) value = -value;
  // Decimal exponent of the first significant digit.
  let e10 = -Infinity;
  for (let k = intStart; k < intEnd; k++) {
    if (s.charCodeAt(k) !== 48) {
      e10 = intEnd - k - 1 + exp;
      break;
    }
  }
  if (e10 === -Infinity) {
    for (let k = fracStart; k < fracEnd; k++) {
      if (s.charCodeAt(k) !== 48) {
        e10 = -(k - fracStart + 1) + exp;
        break;
      }
    }
  }
  return {
    value,
    end: j,
    overflow: !Number.isFinite(value),
    underflowZero: value === 0 && e10 !== -Infinity,
    e10,
  };
}

function strtodHex(s: string, i: number, neg: boolean): StrtodResult | null {
  let j = i;
  let mant = 0n;
  let digits = 0;
  let fracDigits = 0;
  let dot = false;
  for (;;) {
    const d = hexVal(s.charCodeAt(j));
    if (d >= 0) {
      mant = mant * 16n + BigInt(d);
      digits++;
      if (dot) fracDigits++;
    } else if (s[j] === '.' && !dot) {
      dot = true;
    } else break;
    j++;
  }
  if (digits === 0) return null;
  let e2 = -4 * fracDigits;
  if (s[j] === 'p' || s[j] === 'P') {
    const e = readExponent(s, j + 1);
    if (e) {
      e2 += e[0];
      j = e[1];
    }
  }
  const bits = mant === 0n ? 0 : mant.toString(2).length;
  if (bits > 64) {
    mant >>= BigInt(bits - 64);
    e2 += bits - 64;
  }
  let value = scale2(Number(mant), e2);
  if (neg) value = -value;
  return {
    value,
    end: j,
    overflow: !Number.isFinite(value),
    underflowZero: value === 0 && mant !== 0n,
    e10: mant === 0n ? -Infinity : Math.floor((bits - 1 + e2) * Math.LOG10E * Math.LN2),
  };
}

/**
 * Redis's getDoubleFromObject (scores, increments, weights): the whole string must convert, no
 * leading space, no overflow or underflow to zero, not NaN.
 */
export function parseStrictDouble(s: string): number | null {
  const n = s.length;
  if (n === 0 || isSpace(s.charCodeAt(0))) return null;
  // Fast path: plain integers are by far the most common scores.
  if (n < 16) {
    let k = s.charCodeAt(0) === 45 ? 1 : 0;
    if (k < n) {
      for (; k < n; k++) if (!isDigit(s.charCodeAt(k))) break;
      if (k === n) return Number(s);
    }
  }
  const r = strtod(s);
  if (r.end !== n || r.overflow || r.underflowZero || Number.isNaN(r.value)) return null;
  return r.value;
}

/**
 * Redis's string2ld (long double; BLPOP timeouts): like parseStrictDouble but with long double range
 * (±1.19e4932), so literals beyond a double's range are accepted and come back as ±Infinity / 0.
 * Strings of 5120 bytes or more are rejected (MAX_LONG_DOUBLE_CHARS).
 */
export function parseLongDouble(s: string): number | null {
  const n = s.length;
  if (n === 0 || n >= 5 * 1024 || isSpace(s.charCodeAt(0))) return null;
  const r = strtod(s);
  if (r.end !== n || Number.isNaN(r.value)) return null;
  if (r.e10 > 4931 || (r.e10 !== -Infinity && r.e10 < -4950)) return null;
  return r.value;
}

/** Redis's getLongFromObjectOrReply (string2l): a strict 64-bit integer, as a JS number. */
function longArg(s: string, err: ReplyError = ERR_NOT_INTEGER): number {
  const v = parseInt64(s);
  if (v === null) throw err;
  return Number(v);
}

/** getPositiveLongFromObjectOrReply: 0..LONG_MAX, else "value is out of range, must be positive". */
const ERR_MUST_BE_POSITIVE = new ReplyError('ERR', 'value is out of range, must be positive');
export function positiveLongArg(s: string, err: ReplyError = ERR_MUST_BE_POSITIVE): number {
  const v = parseInt64(s);
  if (v === null || v < 0n) throw err;
  return Number(v);
}

/** Case-insensitive compare of an argument with a lowercase ASCII option, without allocating. */
export function eqi(arg: string, opt: string): boolean {
  const n = opt.length;
  if (arg.length !== n) return false;
  for (let i = 0; i < n; i++) {
    const c = arg.charCodeAt(i);
    if ((c >= 65 && c <= 90 ? c | 0x20 : c) !== opt.charCodeAt(i)) return false;
  }
  return true;
}

// ---- Errors ----------------------------------------------------------------------------------------

const ERR_MINMAX_FLOAT = new ReplyError('ERR', 'min or max is not a float');
const ERR_MINMAX_LEX = new ReplyError('ERR', 'min or max not valid string range item');
const ERR_NAN = new ReplyError('ERR', 'resulting score is not a number (NaN)');
const ERR_XX_NX = new ReplyError('ERR', 'XX and NX options at the same time are not compatible');
const ERR_GT_LT_NX = new ReplyError('ERR', 'GT, LT, and/or NX options at the same time are not compatible');
const ERR_INCR_PAIR = new ReplyError('ERR', 'INCR option supports a single increment-element pair');
const ERR_LIMIT_RANK = new ReplyError(
  'ERR',
  'syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX',
);
const ERR_WITHSCORES_LEX = new ReplyError('ERR', 'syntax error, WITHSCORES not supported in combination with BYLEX');
const ERR_WEIGHT_FLOAT = new ReplyError('ERR', 'weight value is not a float');
const ERR_LIMIT_NEGATIVE = new ReplyError('ERR', "LIMIT can't be negative");

// ---- Range parsing -------------------------------------------------------------------------------

/** zslParseRange: `(` makes a bound exclusive; the rest goes through strtod (NaN rejected). */
function parseScoreBound(s: string): [number, boolean] | null {
  const ex = s.charCodeAt(0) === 40; /* ( */
  const start = ex ? 1 : 0;
  const r = strtod(s, start);
  // C checks eptr[0] == '\0': parsing may stop at an embedded NUL.
  if (r.end === start && s.length > start) {
    // Nothing converted: valid only if what follows is the end of the C string.
    if (s.charCodeAt(start) !== 0) return null;
  } else if (r.end !== s.length && s.charCodeAt(r.end) !== 0) return null;
  if (Number.isNaN(r.value)) return null;
  return [r.value, ex];
}

export function parseScoreRange(min: string, max: string): ScoreRange {
  const a = parseScoreBound(min);
  const b = parseScoreBound(max);
  if (!a || !b) throw ERR_MINMAX_FLOAT;
  return { min: a[0], minEx: a[1], max: b[0], maxEx: b[1] };
}

/** zslParseLexRangeItem: `+` / `-` (alone), `(x` exclusive, `[x` inclusive. */
function parseLexItem(s: string): [string, boolean, -1 | 0 | 1] | null {
  const c = s.charCodeAt(0);
  const alone = s.length === 1 || s.charCodeAt(1) === 0;
  if (c === 43 /* + */) return alone ? ['', true, 1] : null;
  if (c === 45 /* - */) return alone ? ['', true, -1] : null;
  if (c === 40 /* ( */) return [s.slice(1), true, 0];
  if (c === 91 /* [ */) return [s.slice(1), false, 0];
  return null;
}

export function parseLexRange(min: string, max: string): LexRange {
  const a = parseLexItem(min);
  const b = parseLexItem(max);
  if (!a || !b) throw ERR_MINMAX_LEX;
  return { min: a[0], minEx: a[1], minInf: a[2], max: b[0], maxEx: b[1], maxInf: b[2] };
}

function scoreRangeEmpty(r: ScoreRange): boolean {
  return r.min > r.max || (r.min === r.max && (r.minEx || r.maxEx));
}

// ---- Helpers ---------------------------------------------------------------------------------------

/**
 * Whether Redis would hold this zset as a listpack: not converted yet (encoding.ts tracks Redis's
 * one-way conversion), and `extra`, a member about to be added, would not convert it.
 */
function isCompact(ctx: Context, z: SortedSet, extra?: string): boolean {
  const cfg = ctx.server.config;
  if (isConverted(cfg, z)) return false;
  if (extra !== undefined && z.score(extra) === undefined) {
    if (z.size + 1 > cfg.getInt('zset-max-listpack-entries')) return false;
    if (extra.length > cfg.getInt('zset-max-listpack-value')) return false;
  }
  return true;
}

/**
 * A listpack stores scores as text and reads "-0" back as the integer 0, so a small zset never
 * holds -0 (ZADD z -0 m; ZSCORE z m → "0"); a skip-list encoded one keeps it.
 */
function normaliseZero(ctx: Context, z: SortedSet, score: number, member?: string): number {
  if (score === 0 && 1 / score < 0 && isCompact(ctx, z, member)) return 0;
  return score;
}

/**
 * After members were removed from `key`: the command's notification (zrem, zpopmin …), then the
 * key is deleted (and `del` published) once the sorted set is empty.
 */
function removedFrom(server: Server, db: Database, key: string, z: SortedSet, event: string): void {
  notifyKeyspaceEvent(server, NOTIFY_ZSET, event, key, db.id);
  if (z.size === 0) {
    db.delete(key);
    notifyKeyspaceEvent(server, NOTIFY_GENERIC, 'del', key, db.id);
  }
}

/** Append a member (and its score) to a reply in the WITHSCORES shape for this protocol. */
function pushMember(out: Reply[], member: string, score: number, withScores: boolean, resp3: boolean): void {
  if (!withScores) out.push(member);
  else if (resp3) out.push([member, new DoubleReply(score)]);
  else out.push(member, new DoubleReply(score));
}

// ---- ZADD / ZINCRBY ------------------------------------------------------------------------------

const F_NX = 1;
const F_XX = 2;
const F_GT = 4;
const F_LT = 8;
const F_INCR = 16;

/** zaddGenericCommand: ZADD and ZINCRBY (which is ZADD with INCR preset); GEOADD calls it too. */
export function zaddGeneric(ctx: Context, args: string[], presetFlags: number): Reply {
  let flags = presetFlags;
  let ch = false;
  let scoreIdx = 2;
  const argc = args.length;
  while (scoreIdx < argc) {
    const o = args[scoreIdx];
    if (o.length === 2) {
      if (eqi(o, 'nx')) flags |= F_NX;
      else if (eqi(o, 'xx')) flags |= F_XX;
      else if (eqi(o, 'ch')) ch = true;
      else if (eqi(o, 'gt')) flags |= F_GT;
      else if (eqi(o, 'lt')) flags |= F_LT;
      else break;
    } else if (o.length === 4 && eqi(o, 'incr')) flags |= F_INCR;
    else break;
    scoreIdx++;
  }
  const incr = (flags & F_INCR) !== 0;
  const nx = (flags & F_NX) !== 0;
  const xx = (flags & F_XX) !== 0;
  const gt = (flags & F_GT) !== 0;
  const lt = (flags & F_LT) !== 0;
  let elements = argc - scoreIdx;
  if (elements % 2 !== 0 || elements === 0) throw ERR_SYNTAX;
  elements /= 2;
  if (nx && xx) throw ERR_XX_NX;
  if ((gt && nx) || (lt && nx) || (gt && lt)) throw ERR_GT_LT_NX;
  if (incr && elements > 1) throw ERR_INCR_PAIR;

  const scores = new Array<number>(elements);
  for (let j = 0; j < elements; j++) {
    const v = parseStrictDouble(args[scoreIdx + j * 2]);
    if (v === null) throw ERR_NOT_FLOAT;
    scores[j] = v;
  }

  const db = ctx.db;
  const key = args[1];
  let z = getZSet(db, key);
  let added = 0;
  let updated = 0;
  let processed = 0;
  let score = 0;
  if (z === null) {
    if (xx) return incr ? null : 0;
    z = new SortedSet();
    db.set(key, z);
  }
  for (let j = 0; j < elements; j++) {
    score = scores[j];
    const member = args[scoreIdx + 1 + j * 2];
    const cur = z.score(member);
    if (cur !== undefined) {
      if (nx) continue;
      if (incr) {
        score += cur;
        if (Number.isNaN(score)) {
          ctx.server.dirty += added + updated;
          throw ERR_NAN;
        }
      }
      if ((lt && score >= cur) || (gt && score <= cur)) continue;
      processed++;
      score = normaliseZero(ctx, z, score, member);
      if (score !== cur) {
        z.add(member, score);
        updated++;
      }
    } else if (!xx) {
      score = normaliseZero(ctx, z, score, member);
      z.add(member, score);
      zsetMemberAdded(ctx.server.config, z, member);
      added++;
      processed++;
    }
  }
  ctx.server.dirty += added + updated;
  if (added + updated > 0) notifyKeyspaceEvent(ctx.server, NOTIFY_ZSET, incr ? 'zincr' : 'zadd', key, db.id);
  if (incr) return processed ? new DoubleReply(score) : null;
  return ch ? added + updated : added;
}

// ---- Range commands ------------------------------------------------------------------------------

const enum RangeType {
  Auto,
  Rank,
  Score,
  Lex,
}
const enum Dir {
  Auto,
  Forward,
  Reverse,
}

/** Collects range results: into a reply array or, for ZRANGESTORE, into a new sorted set. */
interface RangeSink {
  add(member: string, score: number): void;
}

/**
 * zrangeGenericCommand: every ZRANGE variant and ZRANGESTORE. `argStart` is the index of the source
 * key; for ZRANGESTORE args[1] is the destination.
 */
function zrangeGeneric(ctx: Context, args: string[], argStart: number, store: boolean, type0: RangeType, dir0: Dir): Reply {
  let type = type0;
  let dir = dir0;
  const key = args[argStart];
  let minIdx = argStart + 1;
  let maxIdx = argStart + 2;
  let withScores = false;
  let offset = 0;
  let limit = -1;
  const argc = args.length;
  for (let j = argStart + 3; j < argc; j++) {
    const a = args[j];
    const left = argc - j - 1;
    if (!store && eqi(a, 'withscores')) withScores = true;
    else if (eqi(a, 'limit') && left >= 2) {
      offset = longArg(args[j + 1]);
      limit = longArg(args[j + 2]);
      j += 2;
    } else if (dir === Dir.Auto && eqi(a, 'rev')) dir = Dir.Reverse;
    else if (type === RangeType.Auto && eqi(a, 'bylex')) type = RangeType.Lex;
    else if (type === RangeType.Auto && eqi(a, 'byscore')) type = RangeType.Score;
    else throw ERR_SYNTAX;
  }
  if (dir === Dir.Auto) dir = Dir.Forward;
  if (type === RangeType.Auto) type = RangeType.Rank;
  if (limit !== -1 && type === RangeType.Rank) throw ERR_LIMIT_RANK;
  if (withScores && type === RangeType.Lex) throw ERR_WITHSCORES_LEX;
  const reverse = dir === Dir.Reverse;
  if (reverse && type !== RangeType.Rank) {
    const t = maxIdx;
    maxIdx = minIdx;
    minIdx = t;
  }
  let start = 0;
  let end = 0;
  let srange: ScoreRange | null = null;
  let lrange: LexRange | null = null;
  if (type === RangeType.Rank) {
    start = longArg(args[minIdx]);
    end = longArg(args[maxIdx]);
  } else if (type === RangeType.Score) {
    srange = parseScoreRange(args[minIdx], args[maxIdx]);
  } else {
    lrange = parseLexRange(args[minIdx], args[maxIdx]);
  }

  const db = ctx.db;
  const z = getZSet(db, key);
  if (z === null && store) db.readMiss(key); // ZRANGESTORE reads with lookupKeyRead
  const resp3 = ctx.client.resp === 3;
  let out: Reply[] | null = null;
  let dst: SortedSet | null = null;
  let sink: RangeSink;
  if (store) {
    const d = new SortedSet();
    dst = d;
    sink = { add: (m, sc) => void d.add(m, sc) };
  } else {
    const o: Reply[] = [];
    out = o;
    sink = { add: (m, sc) => pushMember(o, m, sc, withScores, resp3) };
  }
  if (z !== null) {
    if (type === RangeType.Rank) rangeByRank(z, start, end, reverse, sink);
    else if (type === RangeType.Score) rangeByScore(z, srange!, offset, limit, reverse, sink);
    else rangeByLex(z, lrange!, offset, limit, reverse, sink);
  }
  if (!store) return out!;
  return storeResult(ctx, args[1], dst!, 'zrangestore');
}

/** Store a computed zset at dst (replacing anything there), or delete dst when it is empty. */
function storeResult(ctx: Context, dstKey: string, dst: SortedSet, event: string): Reply {
  const db = ctx.db;
  if (dst.size > 0) {
    settleEncoding(ctx.server.config, dst);
    if (isCompact(ctx, dst)) {
      dst.clearNegativeZeros();
    }
    db.set(dstKey, dst);
    ctx.server.dirty++;
    notifyKeyspaceEvent(ctx.server, NOTIFY_ZSET, event, dstKey, db.id);
    return dst.size;
  }
  if (db.delete(dstKey)) {
    ctx.server.dirty++;
    notifyKeyspaceEvent(ctx.server, NOTIFY_GENERIC, 'del', dstKey, db.id);
  }
  return 0;
}

/** Sanitise Redis-style rank indexes; null when the range is empty. */
function rankRange(len: number, start: number, end: number): [number, number] | null {
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (start > end || start >= len) return null;
  if (end >= len) end = len - 1;
  return [start, end];
}

function rangeByRank(z: SortedSet, start0: number, end0: number, reverse: boolean, sink: RangeSink): void {
  const len = z.size;
  const r = rankRange(len, start0, end0);
  if (!r) return;
  const [start, end] = r;
  let n = reverse ? (start === 0 ? z.last() : z.byRank(len - 1 - start)) : start === 0 ? z.first() : z.byRank(start);
  for (let k = end - start + 1; k > 0 && n; k--) {
    sink.add(z.memberAt(n), z.scoreAt(n));
    n = reverse ? z.prev(n) : z.next(n);
  }
}

/** Move `offset` steps from a node along the walk direction, using ranks (O(log n)). */
function skip(z: SortedSet, n: ZNode, offset: number, reverse: boolean): ZNode {
  if (offset === 0) return n;
  if (offset === 1) return reverse ? z.prev(n) : z.next(n);
  const r = z.rank(z.memberAt(n))!;
  return z.byRank(reverse ? r - offset : r + offset);
}

function rangeByScore(z: SortedSet, range: ScoreRange, offset: number, limit: number, reverse: boolean, sink: RangeSink): void {
  // A negative offset makes Redis walk off the end of the list: nothing is returned.
  if (offset < 0 || (offset > 0 && offset >= z.size) || scoreRangeEmpty(range)) return;
  let n = reverse ? z.lastInScoreRange(range) : z.firstInScoreRange(range);
  if (n) n = skip(z, n, offset, reverse);
  while (n && limit-- !== 0) {
    const score = z.scoreAt(n);
    if (reverse ? !(range.minEx ? score > range.min : score >= range.min) : !(range.maxEx ? score < range.max : score <= range.max)) break;
    sink.add(z.memberAt(n), score);
    n = reverse ? z.prev(n) : z.next(n);
  }
}

function lexInMin(m: string, r: LexRange): boolean {
  if (r.minInf === -1) return true;
  if (r.minInf === 1) return false;
  return r.minEx ? m > r.min : m >= r.min;
}
function lexInMax(m: string, r: LexRange): boolean {
  if (r.maxInf === 1) return true;
  if (r.maxInf === -1) return false;
  return r.maxEx ? m < r.max : m <= r.max;
}
/** zslLexRangeEmpty-style check: ranges that can never match. */
function lexRangeEmpty(r: LexRange): boolean {
  if (r.minInf === 1 || r.maxInf === -1) return true;
  if (r.minInf === -1 || r.maxInf === 1) return false;
  return r.min > r.max || (r.min === r.max && (r.minEx || r.maxEx));
}

function rangeByLex(z: SortedSet, range: LexRange, offset: number, limit: number, reverse: boolean, sink: RangeSink): void {
  if (offset < 0 || (offset > 0 && offset >= z.size) || lexRangeEmpty(range)) return;
  let n = reverse ? z.lastInLexRange(range) : z.firstInLexRange(range);
  if (n) n = skip(z, n, offset, reverse);
  while (n && limit-- !== 0) {
    const member = z.memberAt(n);
    if (reverse ? !lexInMin(member, range) : !lexInMax(member, range)) break;
    sink.add(member, z.scoreAt(n));
    n = reverse ? z.prev(n) : z.next(n);
  }
}

/** Number of members in a score range (ZCOUNT) via ranks. */
function countInScoreRange(z: SortedSet, r: ScoreRange): number {
  if (scoreRangeEmpty(r)) return 0;
  const first = z.firstInScoreRange(r);
  if (!first) return 0;
  const last = z.lastInScoreRange(r)!;
  return z.rank(z.memberAt(last))! - z.rank(z.memberAt(first))! + 1;
}

function countInLexRange(z: SortedSet, r: LexRange): number {
  if (lexRangeEmpty(r)) return 0;
  const first = z.firstInLexRange(r);
  if (!first) return 0;
  const last = z.lastInLexRange(r);
  if (!last) return 0;
  const a = z.rank(z.memberAt(first))!;
  const b = z.rank(z.memberAt(last))!;
  return b >= a ? b - a + 1 : 0;
}

// ---- ZREMRANGEBY* ----------------------------------------------------------------------------------

function zremrangeGeneric(ctx: Context, args: string[], type: RangeType): Reply {
  let start = 0;
  let end = 0;
  let srange: ScoreRange | null = null;
  let lrange: LexRange | null = null;
  if (type === RangeType.Rank) {
    start = longArg(args[2]);
    end = longArg(args[3]);
  } else if (type === RangeType.Score) srange = parseScoreRange(args[2], args[3]);
  else lrange = parseLexRange(args[2], args[3]);
  const db = ctx.db;
  const key = args[1];
  const z = getZSet(db, key);
  if (!z) return 0;
  const victims: string[] = [];
  const sink: RangeSink = { add: (m) => void victims.push(m) };
  if (type === RangeType.Rank) rangeByRank(z, start, end, false, sink);
  else if (type === RangeType.Score) rangeByScore(z, srange!, 0, -1, false, sink);
  else rangeByLex(z, lrange!, 0, -1, false, sink);
  for (const m of victims) z.remove(m);
  if (victims.length > 0) {
    const event = type === RangeType.Rank ? 'zremrangebyrank' : type === RangeType.Score ? 'zremrangebyscore' : 'zremrangebylex';
    removedFrom(ctx.server, db, key, z, event);
  }
  ctx.server.dirty += victims.length;
  return victims.length;
}

// ---- ZPOPMIN / ZPOPMAX ---------------------------------------------------------------------------

function zpopGeneric(ctx: Context, args: string[], max: boolean): Reply {
  if (args.length > 3) throw ERR_SYNTAX;
  let count = -1;
  if (args.length === 3) count = positiveLongArg(args[2]);
  const resp3 = ctx.client.resp === 3;
  const nested = resp3 && count !== -1;
  const db = ctx.db;
  const key = args[1];
  const z = getZSet(db, key);
  if (!z || count === 0) return [];
  if (count === -1) count = 1;
  const out: Reply[] = [];
  let popped = 0;
  while (popped < count) {
    const n = max ? z.last() : z.first();
    if (!n) break;
    const member = z.memberAt(n);
    const score = z.scoreAt(n);
    z.remove(member);
    if (nested) out.push([member, new DoubleReply(score)]);
    else out.push(member, new DoubleReply(score));
    popped++;
  }
  if (popped > 0) removedFrom(ctx.server, db, key, z, max ? 'zpopmax' : 'zpopmin');
  ctx.server.dirty += popped;
  return out;
}

// ---- ZMPOP / BZMPOP / BZPOPMIN / BZPOPMAX ---------------------------------------------------------

function minMaxArg(s: string): boolean {
  if (eqi(s, 'min')) return true;
  if (eqi(s, 'max')) return false;
  throw ERR_SYNTAX;
}

/**
 * Pop from the first non-empty sorted set among `keys`. `single` is the BZPOPMIN/BZPOPMAX shape
 * ([key, member, score]); otherwise the *MPOP shape ([key, [[member, score], …]]). `typeErrors`
 * is false when retrying a blocked client (keys of another type are skipped, like Redis).
 */
function zmpopFrom(
  server: Server,
  client: Client,
  dbId: number,
  keys: string[],
  min: boolean,
  count: number,
  single: boolean,
  typeErrors: boolean,
): Reply | undefined {
  const db = server.dbs[dbId];
  for (const key of keys) {
    const z = typeErrors ? getZSet(db, key) : db.peek(key);
    if (!(z instanceof SortedSet) || z.size === 0) continue;
    const items: Reply[] = [];
    let n = 0;
    for (; n < count; n++) {
      const node = min ? z.first() : z.last();
      if (!node) break;
      const member = z.memberAt(node);
      const score = z.scoreAt(node);
      z.remove(member);
      if (single) items.push(member, new DoubleReply(score));
      else items.push([member, new DoubleReply(score)]);
    }
    removedFrom(server, db, key, z, min ? 'zpopmin' : 'zpopmax');
    server.dirty += n;
    if (!typeErrors) server.keyModified(db, key);
    const name = min ? 'ZPOPMIN' : 'ZPOPMAX';
    propagate(server, client, dbId, single ? [name, key] : [name, key, String(n)]);
    return single ? [key, ...items] : [key, items];
  }
  return undefined;
}

function zmpopCommand(ctx: Context, args: string[], blocking: boolean): Reply {
  const { keys, first, count } = parseMpop(args, blocking ? 2 : 1, minMaxArg);
  const timeout = blocking ? parseTimeout(args[1]) : 0;
  return zpopOrBlock(ctx, args, keys, first, count, false, blocking, timeout);
}

function bzpopCommand(ctx: Context, args: string[], min: boolean): Reply {
  const timeout = parseTimeout(args[args.length - 1]);
  return zpopOrBlock(ctx, args, args.slice(1, -1), min, 1, true, true, timeout);
}

function zpopOrBlock(ctx: Context, args: string[], keys: string[], min: boolean, count: number, single: boolean, blocking: boolean, timeout: number): Reply {
  const { server, client } = ctx;
  const r = zmpopFrom(server, client, client.db, keys, min, count, single, true);
  if (r !== undefined) return r;
  if (!blocking || cannotBlock(client)) return NIL_ARRAY;
  const dbId = client.db;
  return blockOn(ctx, args, keys, timeout, (key) => zmpopFrom(server, client, dbId, [key], min, count, single, false));
}

// ---- ZRANDMEMBER -------------------------------------------------------------------------------

const ERR_RANDMEMBER_RANGE = new ReplyError(
  'ERR',
  'value is out of range, value must between -9223372036854775807 and 9223372036854775807',
);
const ERR_OUT_OF_RANGE = new ReplyError('ERR', 'value is out of range');

function randomRank(size: number): number {
  return Math.floor(Math.random() * size);
}

function zrandmemberCommand(ctx: Context, args: string[]): Reply {
  const resp3 = ctx.client.resp === 3;
  if (args.length >= 3) {
    const v = parseInt64(args[2]);
    if (v === null) throw ERR_NOT_INTEGER;
    if (v < -9223372036854775807n) throw ERR_RANDMEMBER_RANGE;
    let withScores = false;
    if (args.length > 4 || (args.length === 4 && !eqi(args[3], 'withscores'))) throw ERR_SYNTAX;
    if (args.length === 4) {
      withScores = true;
      if (v < -4611686018427387903n || v > 4611686018427387903n) throw ERR_OUT_OF_RANGE;
    }
    const z = getZSet(ctx.db, args[1]);
    if (!z || v === 0n) return [];
    const size = z.size;
    const out: Reply[] = [];
    if (v < 0n || v === 1n) {
      // With repetitions (or a single pick).
      const n = v < 0n ? -v : v;
      checkSampledCount(withScores ? n * 2n : n);
      let bytes = 0;
      for (let i = 0; i < Number(n); i++) {
        const node = z.byRank(randomRank(size));
        const member = z.memberAt(node);
        bytes += member.length + (withScores ? 48 : 16);
        if (bytes > MAX_SAMPLED_REPLY_BYTES) throw ERR_SAMPLED_REPLY_TOO_LARGE;
        pushMember(out, member, z.scoreAt(node), withScores, resp3);
      }
      return out;
    }
    const count = Number(v);
    if (count >= size) {
      // The whole set, highest score first (Redis 7.0 answers with a reverse rank range here).
      for (let n = z.last(); n; n = z.prev(n)) pushMember(out, z.memberAt(n), z.scoreAt(n), withScores, resp3);
      return out;
    }
    // Distinct members: sparse requests draw ranks with rejection, dense ones shuffle all ranks.
    let ranks: number[];
    if (count * 3 <= size) {
      const picked = new Set<number>();
      while (picked.size < count) picked.add(randomRank(size));
      ranks = [...picked];
    } else {
      ranks = Array.from({ length: size }, (_, i) => i);
      for (let i = 0; i < count; i++) {
        const j = i + randomRank(size - i);
        const t = ranks[i];
        ranks[i] = ranks[j];
        ranks[j] = t;
      }
      ranks.length = count;
    }
    for (const r of ranks) {
      const n = z.byRank(r);
      pushMember(out, z.memberAt(n), z.scoreAt(n), withScores, resp3);
    }
    return out;
  }
  const z = getZSet(ctx.db, args[1]);
  if (!z) return null;
  return z.memberAt(z.byRank(randomRank(z.size)));
}

// ---- ZUNION / ZINTER / ZDIFF (+STORE) and ZINTERCARD ------------------------------------------------

const enum SetOp {
  Union,
  Inter,
  Diff,
}
const enum Aggr {
  Sum,
  Min,
  Max,
}

/** An input of the set-algebra commands: a sorted set, or a plain set whose members score 1. */
interface OpSrc {
  z: SortedSet | null;
  s: Set<string> | null;
  weight: number;
}
function srcSize(s: OpSrc): number {
  return s.z ? s.z.size : s.s ? s.s.size : 0;
}
function srcScore(s: OpSrc, m: string): number | undefined {
  if (s.z) return s.z.score(m);
  if (s.s) return s.s.has(m) ? 1 : undefined;
  return undefined;
}
function* srcEntries(s: OpSrc): IterableIterator<[string, number]> {
  if (s.z) for (const n of s.z) yield [n.member, n.score];
  else if (s.s) for (const m of s.s) yield [m, 1];
}

function aggregate(acc: number, v: number, aggr: Aggr): number {
  if (aggr === Aggr.Sum) {
    const r = acc + v;
    return Number.isNaN(r) ? 0 : r;
  }
  if (aggr === Aggr.Min) return v < acc ? v : acc;
  return v > acc ? v : acc;
}

/**
 * zunionInterDiffGenericCommand. `dstKey` is set for the *STORE variants; `numkeysIdx` is where
 * numkeys sits; `cardOnly` is ZINTERCARD.
 */
function zsetOpGeneric(ctx: Context, args: string[], dstKey: string | null, numkeysIdx: number, op: SetOp, cardOnly: boolean): Reply {
  const setnum = longArg(args[numkeysIdx]);
  const name = args[0].toLowerCase();
  if (setnum < 1) throw new ReplyError('ERR', `at least 1 input key is needed for '${name}' command`);
  const argc = args.length;
  if (setnum > argc - (numkeysIdx + 1)) throw ERR_SYNTAX;
  const db = ctx.db;
  const srcs: OpSrc[] = [];
  let j = numkeysIdx + 1;
  for (let i = 0; i < setnum; i++, j++) {
    const v = db.get(args[j]);
    const src: OpSrc = { z: null, s: null, weight: 1 };
    if (v === undefined) {
      if (dstKey !== null) db.readMiss(args[j]); // the sources are read with lookupKeyRead
    } else {
      if (v instanceof SortedSet) src.z = v;
      else if (v instanceof Set) src.s = v;
      else throw ERR_WRONGTYPE;
    }
    srcs.push(src);
  }
  let aggr = Aggr.Sum;
  let withScores = false;
  let limit = 0;
  while (j < argc) {
    const remaining = argc - j;
    const a = args[j];
    if (op !== SetOp.Diff && !cardOnly && remaining >= setnum + 1 && eqi(a, 'weights')) {
      j++;
      for (let i = 0; i < setnum; i++, j++) {
        const w = parseStrictDouble(args[j]);
        if (w === null) throw ERR_WEIGHT_FLOAT;
        srcs[i].weight = w;
      }
    } else if (op !== SetOp.Diff && !cardOnly && remaining >= 2 && eqi(a, 'aggregate')) {
      const g = args[j + 1];
      if (eqi(g, 'sum')) aggr = Aggr.Sum;
      else if (eqi(g, 'min')) aggr = Aggr.Min;
      else if (eqi(g, 'max')) aggr = Aggr.Max;
      else throw ERR_SYNTAX;
      j += 2;
    } else if (remaining >= 1 && dstKey === null && !cardOnly && eqi(a, 'withscores')) {
      j++;
      withScores = true;
    } else if (cardOnly && remaining >= 2 && eqi(a, 'limit')) {
      limit = positiveLongArg(args[j + 1], ERR_LIMIT_NEGATIVE);
      j += 2;
    } else throw ERR_SYNTAX;
  }

  // Like Redis: smallest inputs first (stable), except DIFF whose first input is the minuend.
  const order = op === SetOp.Diff ? srcs : [...srcs].sort((a, b) => srcSize(a) - srcSize(b));
  const result = new SortedSet();
  if (op === SetOp.Inter) {
    const first = order[0];
    if (srcSize(first) > 0) {
      let card = 0;
      for (const [m, s0] of srcEntries(first)) {
        let score = first.weight * s0;
        if (Number.isNaN(score)) score = 0;
        let ok = true;
        for (let i = 1; i < order.length; i++) {
          const other = order[i];
          // The same key given twice: its score is read again, like Redis.
          const v = srcScore(other, m);
          if (v === undefined) {
            ok = false;
            break;
          }
          let w = other.weight * v;
          if (Number.isNaN(w)) w = 0;
          score = aggregate(score, w, aggr);
        }
        if (!ok) continue;
        if (cardOnly) {
          card++;
          if (limit && card >= limit) break;
        } else result.add(m, score);
      }
      if (cardOnly) return card;
    } else if (cardOnly) return 0;
  } else if (op === SetOp.Union) {
    const acc = new Map<string, number>();
    for (const src of order) {
      if (srcSize(src) === 0) continue;
      for (const [m, s0] of srcEntries(src)) {
        let score = src.weight * s0;
        if (Number.isNaN(score)) score = 0;
        const cur = acc.get(m);
        acc.set(m, cur === undefined ? score : aggregate(cur, score, aggr));
      }
    }
    for (const [m, s] of acc) result.add(m, s);
  } else {
    const first = srcs[0];
    for (const [m, s0] of srcEntries(first)) {
      let keep = true;
      for (let i = 1; i < srcs.length; i++) {
        if (srcScore(srcs[i], m) !== undefined) {
          keep = false;
          break;
        }
      }
      if (keep) result.add(m, s0);
    }
  }

  if (dstKey !== null) return storeResult(ctx, dstKey, result, op === SetOp.Union ? 'zunionstore' : op === SetOp.Inter ? 'zinterstore' : 'zdiffstore');
  const resp3 = ctx.client.resp === 3;
  const out: Reply[] = [];
  for (const n of result) pushMember(out, n.member, n.score, withScores, resp3);
  return out;
}

function opKeys(numkeysIdx: number, hasDst: boolean): (args: string[]) => number[] {
  return (args) => {
    const n = Number(args[numkeysIdx]);
    if (!Number.isInteger(n) || n < 1 || n > args.length - numkeysIdx - 1) return [];
    const out: number[] = hasDst ? [1] : [];
    for (let i = 0; i < n; i++) out.push(numkeysIdx + 1 + i);
    return out;
  };
}

// ---- The table ---------------------------------------------------------------------------------

const G = 'sortedset';

export const zsetsCommands: CommandSpec[] = [
  {
    name: 'zadd',
    arity: -4,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Add one or more members to a sorted set, or update its score if it already exists',
    since: '1.2.0',
    complexity: 'O(log(N)) for each item added, where N is the number of elements in the sorted set.',
    syntax: 'key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...]',
    handler: (ctx, args) => zaddGeneric(ctx, args, 0),
  },
  {
    name: 'zincrby',
    arity: 4,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Increment the score of a member in a sorted set',
    since: '1.2.0',
    complexity: 'O(log(N)) where N is the number of elements in the sorted set.',
    syntax: 'key increment member',
    handler: (ctx, args) => zaddGeneric(ctx, args, F_INCR),
  },
  {
    name: 'zrem',
    arity: -3,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Remove one or more members from a sorted set',
    since: '1.2.0',
    complexity: 'O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.',
    syntax: 'key member [member ...]',
    handler: (ctx, args) => {
      const z = getZSet(ctx.db, args[1]);
      if (!z) return 0;
      let removed = 0;
      for (let i = 2; i < args.length; i++) {
        if (z.remove(args[i])) {
          removed++;
          if (z.size === 0) break;
        }
      }
      if (removed > 0) removedFrom(ctx.server, ctx.db, args[1], z, 'zrem');
      ctx.server.dirty += removed;
      return removed;
    },
  },
  {
    name: 'zscore',
    arity: 3,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Get the score associated with the given member in a sorted set',
    since: '1.2.0',
    complexity: 'O(1)',
    syntax: 'key member',
    handler: (ctx, args) => {
      const z = getZSet(ctx.db, args[1]);
      const s = z?.score(args[2]);
      return s === undefined ? null : new DoubleReply(s);
    },
  },
  {
    name: 'zmscore',
    arity: -3,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Get the score associated with the given members in a sorted set',
    since: '6.2.0',
    complexity: 'O(N) where N is the number of members being requested.',
    syntax: 'key member [member ...]',
    handler: (ctx, args) => {
      const z = getZSet(ctx.db, args[1]);
      const out: Reply[] = [];
      for (let i = 2; i < args.length; i++) {
        const s = z?.score(args[i]);
        out.push(s === undefined ? null : new DoubleReply(s));
      }
      return out;
    },
  },
  {
    name: 'zcard',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Get the number of members in a sorted set',
    since: '1.2.0',
    complexity: 'O(1)',
    syntax: 'key',
    handler: (ctx, args) => getZSet(ctx.db, args[1])?.size ?? 0,
  },
  {
    name: 'zcount',
    arity: 4,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Count the members in a sorted set with scores within the given values',
    since: '2.0.0',
    complexity: 'O(log(N)) with N being the number of elements in the sorted set.',
    syntax: 'key min max',
    handler: (ctx, args) => {
      const r = parseScoreRange(args[2], args[3]);
      const z = getZSet(ctx.db, args[1]);
      return z ? countInScoreRange(z, r) : 0;
    },
  },
  {
    name: 'zlexcount',
    arity: 4,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Count the number of members in a sorted set between a given lexicographical range',
    since: '2.8.9',
    complexity: 'O(log(N)) with N being the number of elements in the sorted set.',
    syntax: 'key min max',
    handler: (ctx, args) => {
      const r = parseLexRange(args[2], args[3]);
      const z = getZSet(ctx.db, args[1]);
      return z ? countInLexRange(z, r) : 0;
    },
  },
  {
    name: 'zrank',
    arity: 3,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Determine the index of a member in a sorted set',
    since: '2.0.0',
    complexity: 'O(log(N))',
    syntax: 'key member',
    handler: (ctx, args) => getZSet(ctx.db, args[1])?.rank(args[2]) ?? null,
  },
  {
    name: 'zrevrank',
    arity: 3,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Determine the index of a member in a sorted set, with scores ordered from high to low',
    since: '2.0.0',
    complexity: 'O(log(N))',
    syntax: 'key member',
    handler: (ctx, args) => {
      const z = getZSet(ctx.db, args[1]);
      const r = z?.rank(args[2]);
      return r === undefined ? null : z!.size - 1 - r;
    },
  },
  {
    name: 'zrange',
    arity: -4,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Return a range of members in a sorted set',
    since: '1.2.0',
    complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.',
    syntax: 'key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES]',
    handler: (ctx, args) => zrangeGeneric(ctx, args, 1, false, RangeType.Auto, Dir.Auto),
  },
  {
    name: 'zrangestore',
    arity: -5,
    flags: ['write', 'denyoom'],
    keys: [1, 2, 1],
    group: G,
    summary: 'Store a range of members from sorted set into another key',
    since: '6.2.0',
    complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.',
    syntax: 'dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count]',
    handler: (ctx, args) => zrangeGeneric(ctx, args, 2, true, RangeType.Auto, Dir.Auto),
  },
  {
    name: 'zrevrange',
    arity: -4,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Return a range of members in a sorted set, by index, with scores ordered from high to low',
    since: '1.2.0',
    complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.',
    syntax: 'key start stop [WITHSCORES]',
    handler: (ctx, args) => zrangeGeneric(ctx, args, 1, false, RangeType.Rank, Dir.Reverse),
  },
  {
    name: 'zrangebyscore',
    arity: -4,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Return a range of members in a sorted set, by score',
    since: '1.0.5',
    complexity:
      'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).',
    syntax: 'key min max [WITHSCORES] [LIMIT offset count]',
    handler: (ctx, args) => zrangeGeneric(ctx, args, 1, false, RangeType.Score, Dir.Forward),
  },
  {
    name: 'zrevrangebyscore',
    arity: -4,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Return a range of members in a sorted set, by score, with scores ordered from high to low',
    since: '2.2.0',
    complexity:
      'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).',
    syntax: 'key max min [WITHSCORES] [LIMIT offset count]',
    handler: (ctx, args) => zrangeGeneric(ctx, args, 1, false, RangeType.Score, Dir.Reverse),
  },
  {
    name: 'zrangebylex',
    arity: -4,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Return a range of members in a sorted set, by lexicographical range',
    since: '2.8.9',
    complexity:
      'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).',
    syntax: 'key min max [LIMIT offset count]',
    handler: (ctx, args) => zrangeGeneric(ctx, args, 1, false, RangeType.Lex, Dir.Forward),
  },
  {
    name: 'zrevrangebylex',
    arity: -4,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.',
    since: '2.8.9',
    complexity:
      'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).',
    syntax: 'key max min [LIMIT offset count]',
    handler: (ctx, args) => zrangeGeneric(ctx, args, 1, false, RangeType.Lex, Dir.Reverse),
  },
  {
    name: 'zremrangebyscore',
    arity: 4,
    flags: ['write'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Remove all members in a sorted set within the given scores',
    since: '1.2.0',
    complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.',
    syntax: 'key min max',
    handler: (ctx, args) => zremrangeGeneric(ctx, args, RangeType.Score),
  },
  {
    name: 'zremrangebyrank',
    arity: 4,
    flags: ['write'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Remove all members in a sorted set within the given indexes',
    since: '2.0.0',
    complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.',
    syntax: 'key start stop',
    handler: (ctx, args) => zremrangeGeneric(ctx, args, RangeType.Rank),
  },
  {
    name: 'zremrangebylex',
    arity: 4,
    flags: ['write'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Remove all members in a sorted set between the given lexicographical range',
    since: '2.8.9',
    complexity: 'O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.',
    syntax: 'key min max',
    handler: (ctx, args) => zremrangeGeneric(ctx, args, RangeType.Lex),
  },
  {
    name: 'zpopmin',
    arity: -2,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Remove and return members with the lowest scores in a sorted set',
    since: '5.0.0',
    complexity: 'O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.',
    syntax: 'key [count]',
    handler: (ctx, args) => zpopGeneric(ctx, args, false),
  },
  {
    name: 'zpopmax',
    arity: -2,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Remove and return members with the highest scores in a sorted set',
    since: '5.0.0',
    complexity: 'O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.',
    syntax: 'key [count]',
    handler: (ctx, args) => zpopGeneric(ctx, args, true),
  },
  {
    name: 'zmpop',
    arity: -4,
    flags: ['write', 'no_propagate'],
    keys: [0, 0, 0],
    getKeys: opKeys(1, false),
    group: G,
    summary: 'Remove and return members with scores in a sorted set',
    since: '7.0.0',
    complexity:
      'O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.',
    syntax: 'numkeys key [key ...] <MIN | MAX> [COUNT count]',
    handler: (ctx, args) => zmpopCommand(ctx, args, false),
  },
  {
    name: 'bzmpop',
    arity: -5,
    flags: ['write', 'blocking', 'no_propagate'],
    keys: [0, 0, 0],
    getKeys: opKeys(2, false),
    group: G,
    summary: 'Remove and return members with scores in a sorted set or block until one is available',
    since: '7.0.0',
    complexity:
      'O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.',
    syntax: 'timeout numkeys key [key ...] <MIN | MAX> [COUNT count]',
    handler: (ctx, args) => zmpopCommand(ctx, args, true),
  },
  {
    name: 'bzpopmin',
    arity: -3,
    flags: ['write', 'noscript', 'blocking', 'fast', 'no_propagate'],
    keys: [1, -2, 1],
    group: G,
    summary:
      'Remove and return the member with the lowest score from one or more sorted sets, or block until one is available',
    since: '5.0.0',
    complexity: 'O(log(N)) with N being the number of elements in the sorted set.',
    syntax: 'key [key ...] timeout',
    handler: (ctx, args) => bzpopCommand(ctx, args, true),
  },
  {
    name: 'bzpopmax',
    arity: -3,
    flags: ['write', 'noscript', 'blocking', 'fast', 'no_propagate'],
    keys: [1, -2, 1],
    group: G,
    summary:
      'Remove and return the member with the highest score from one or more sorted sets, or block until one is available',
    since: '5.0.0',
    complexity: 'O(log(N)) with N being the number of elements in the sorted set.',
    syntax: 'key [key ...] timeout',
    handler: (ctx, args) => bzpopCommand(ctx, args, false),
  },
  {
    name: 'zrandmember',
    arity: -2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Get one or multiple random elements from a sorted set',
    since: '6.2.0',
    complexity: 'O(N) where N is the number of elements returned',
    syntax: 'key [count [WITHSCORES]]',
    handler: zrandmemberCommand,
  },
  {
    name: 'zscan',
    arity: -3,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Incrementally iterate sorted sets elements and associated scores',
    since: '2.8.0',
    complexity:
      'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..',
    syntax: 'key cursor [MATCH pattern] [COUNT count]',
    handler: (ctx, args) => {
      const cursor = parseScanCursor(args[2]);
      const z = getZSet(ctx.db, args[1]);
      if (!z) return ['0', []];
      const opts = parseScanOptions(args, 3);
      // Redis keeps zsets of ≤ 128 members of ≤ 64 bytes as a listpack and returns them whole, in
      // score order, with cursor 0.
      const cfg = ctx.server.config;
      let compact = z.size <= cfg.getInt('zset-max-listpack-entries');
      if (compact) {
        const maxLen = cfg.getInt('zset-max-listpack-value');
        for (const m of z.dict.keys()) {
          if (m.length > maxLen) {
            compact = false;
            break;
          }
        }
      }
      const [next, members] = scanStep(
        {
          owner: z,
          compact,
          members: compact ? () => mapIter(z, (n) => n.member) : () => z.dict.keys(),
          has: (m) => z.dict.has(m),
        },
        cursor,
        opts,
      );
      const items: Reply[] = [];
      for (const m of members) items.push(m, formatScore(z.dict.get(m)!));
      return [next, items];
    },
  },
  {
    name: 'zunionstore',
    arity: -4,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    getKeys: opKeys(2, true),
    group: G,
    summary: 'Add multiple sorted sets and store the resulting sorted set in a new key',
    since: '2.0.0',
    complexity:
      'O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.',
    syntax: 'destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>]',
    handler: (ctx, args) => zsetOpGeneric(ctx, args, args[1], 2, SetOp.Union, false),
  },
  {
    name: 'zinterstore',
    arity: -4,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    getKeys: opKeys(2, true),
    group: G,
    summary: 'Intersect multiple sorted sets and store the resulting sorted set in a new key',
    since: '2.0.0',
    complexity:
      'O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.',
    syntax: 'destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>]',
    handler: (ctx, args) => zsetOpGeneric(ctx, args, args[1], 2, SetOp.Inter, false),
  },
  {
    name: 'zdiffstore',
    arity: -4,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    getKeys: opKeys(2, true),
    group: G,
    summary: 'Subtract multiple sorted sets and store the resulting sorted set in a new key',
    since: '6.2.0',
    complexity:
      'O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.',
    syntax: 'destination numkeys key [key ...]',
    handler: (ctx, args) => zsetOpGeneric(ctx, args, args[1], 2, SetOp.Diff, false),
  },
  {
    name: 'zunion',
    arity: -3,
    flags: ['readonly'],
    keys: [0, 0, 0],
    getKeys: opKeys(1, false),
    group: G,
    summary: 'Add multiple sorted sets',
    since: '6.2.0',
    complexity:
      'O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.',
    syntax: 'numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>] [WITHSCORES]',
    handler: (ctx, args) => zsetOpGeneric(ctx, args, null, 1, SetOp.Union, false),
  },
  {
    name: 'zinter',
    arity: -3,
    flags: ['readonly'],
    keys: [0, 0, 0],
    getKeys: opKeys(1, false),
    group: G,
    summary: 'Intersect multiple sorted sets',
    since: '6.2.0',
    complexity:
      'O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.',
    syntax: 'numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>] [WITHSCORES]',
    handler: (ctx, args) => zsetOpGeneric(ctx, args, null, 1, SetOp.Inter, false),
  },
  {
    name: 'zdiff',
    arity: -3,
    flags: ['readonly'],
    keys: [0, 0, 0],
    getKeys: opKeys(1, false),
    group: G,
    summary: 'Subtract multiple sorted sets',
    since: '6.2.0',
    complexity:
      'O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.',
    syntax: 'numkeys key [key ...] [WITHSCORES]',
    handler: (ctx, args) => zsetOpGeneric(ctx, args, null, 1, SetOp.Diff, false),
  },
  {
    name: 'zintercard',
    arity: -3,
    flags: ['readonly'],
    keys: [0, 0, 0],
    getKeys: opKeys(1, false),
    group: G,
    summary: 'Intersect multiple sorted sets and return the cardinality of the result',
    since: '7.0.0',
    complexity: 'O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.',
    syntax: 'numkeys key [key ...] [LIMIT limit]',
    handler: (ctx, args) => zsetOpGeneric(ctx, args, null, 1, SetOp.Inter, true),
  },
];

function* mapIter<T>(z: SortedSet, f: (n: ZEntry) => T): IterableIterator<T> {
  for (const n of z) yield f(n);
}

/** Scores in ZSCAN replies are plain strings, formatted like addReplyDouble's RESP2 text. */
function formatScore(d: number): string {
  return formatDouble(d);
}
