// SORT and SORT_RO — Redis 7.0.15's sort.c, reply for reply (test/diff/sort.test.ts compares both
// servers, including a seeded randomized cross-check).
//
// What Redis does, and so what this does:
//   - Options are parsed left to right and the first bad one answers (LIMIT's integers with
//     getLongFromObjectOrReply's text, anything unknown — and STORE in SORT_RO — a syntax error);
//     the sorted key's type is checked only afterwards.
//   - BY without `*` ("nosort" or any constant) means "don't sort": lists and sorted sets keep their
//     own order (DESC walks it backwards, LIMIT takes the range directly), sets come in their
//     iteration order — except with STORE or inside a script, where Redis forces an ALPHA sort so
//     that the result replicates deterministically.
//   - Patterns: `#` is the element; otherwise the first `*` is replaced by the element, and a `->`
//     after it (with something after the arrow) makes the rest a hash field name. A missing key,
//     the wrong type or a missing field gives no value (score 0 / sorted first for BY, nil for GET,
//     "" for GET with STORE). A pattern without `*` never names a key.
//   - Numeric sorting parses each weight like C's strtod (leading spaces, hex floats, inf, parsing
//     stops at a NUL byte) and fails the whole command with "One or more scores can't be converted
//     into double" on trailing junk, NaN, overflow or underflow; equal scores are ordered by the
//     elements' bytes (Redis 7.0 also reads a stale errno: after one ERANGE weight, later SORTs
//     fail until some other call clears errno — not reproduced). ALPHA compares bytes; without STORE Redis uses strcoll, which stops at a NUL
//     byte (the C/C.UTF-8 collation is byte order, which is what this implements).
//   - A sorted set is converted to a skiplist first (OBJECT ENCODING shows it afterwards).
//   - BY and GET with patterns need full key access (a selector allowing the command with `*`
//     readable keys): Redis 7.0's ACL rule, with its two error texts. Even `GET #` needs it.
//   - STORE writes a list (replacing any value, clearing its TTL) and notifies `sortstore`, or, when
//     the result is empty, deletes the destination and notifies `del`.
//
// Cost: one object per element holding its precomputed score or comparison key, then one
// Array.prototype.sort (TimSort: O(n log n), stable like glibc's merge-sort qsort for ties of ALPHA
// BY weights; Redis's partial pqsort under LIMIT is unstable, so ties may differ there). Comparisons
// allocate nothing. Redis puts no limit on the size either.

import { Deque } from '../keyspace/deque.js';
import { SortedSet } from '../keyspace/zset.js';
import { BigString } from '../keyspace/bigstring.js';
import type { Database } from '../keyspace/db.js';
import { isConverted, markConverted } from '../keyspace/encoding.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX, ERR_WRONGTYPE, Reply, ReplyError } from '../protocol/reply.js';
import { notifyKeyspaceEvent, NOTIFY_GENERIC, NOTIFY_LIST } from '../server/notify.js';
import { ACL_OK, PERM_READ } from '../acl/acl.js';
import { parseLongLong } from '../util/numbers.js';
import type { CommandSpec, Context } from './table.js';

const ERR_SCORES = new ReplyError('ERR', "One or more scores can't be converted into double");
const ERR_BY_ACL = new ReplyError('ERR', 'BY option of SORT denied due to insufficient ACL permissions.');
const ERR_GET_ACL = new ReplyError('ERR', 'GET option of SORT denied due to insufficient ACL permissions.');

/** One element being sorted: its precomputed numeric score or comparison key. */
interface Item {
  el: string;
  score: number;
  /** ALPHA: the bytes compared (BY weight or element); null = no BY weight (sorts first). */
  key: string | null;
}

/** strcasecmp on a C string: the option word, ignoring anything after a NUL byte. */
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

/** The C string (up to the first NUL byte), as strchr/strcoll/strtod see it. */
function cString(s: string): string {
  const i = s.indexOf('\0');
  return i < 0 ? s : s.slice(0, i);
}

/** getLongFromObjectOrReply: a signed 64-bit integer (as a double: it is only clamped). */
function longArg(s: string): number {
  const v = parseLongLong(s);
  if (v === null) throw ERR_NOT_INTEGER;
  return Number(v);
}

const DEC_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX_RE = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const INF_RE = /^[+-]?inf(?:inity)?$/i;
const MIN_NORMAL = 2.2250738585072014e-308;

/**
 * C's strtod with Redis's SORT checks (`eptr[0] != '\0' || errno == ERANGE || isnan`): the number,
 * or null when SORT reports a conversion error. "" is 0 (strtod converts nothing, and stops at the end).
 */
export function sortScore(raw: string): number | null {
  // Fast path: a plain decimal integer of up to 15 digits is exact as a double.
  const n = raw.length;
  if (n > 0 && n <= 15) {
    let i = raw.charCodeAt(0) === 45 /* - */ && n > 1 ? 1 : 0;
    let v = 0;
    for (; i < n; i++) {
      const c = raw.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
    }
    if (i === n) return raw.charCodeAt(0) === 45 ? -v : v;
  }
  const s = cString(raw);
  if (s.length === 0) return 0;
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 32 || (c >= 9 && c <= 13)) i++;
    else break;
  }
  const t = i === 0 ? s : s.slice(i);
  let v: number;
  if (DEC_RE.test(t)) {
    v = Number(t);
    if (!Number.isFinite(v)) return null; // overflow: ERANGE
    if (v !== 0 ? Math.abs(v) < MIN_NORMAL : /[1-9]/.test(t.replace(/[eE].*$/, ''))) return null; // underflow
    return v;
  }
  if (INF_RE.test(t)) return t.charCodeAt(0) === 45 ? -Infinity : Infinity;
  const m = HEX_RE.exec(t);
  if (m !== null && (m[2].length > 0 || (m[3] ?? '').length > 0)) {
    const digits = m[2] + (m[3] ?? '');
    let mant = 0;
    for (let k = 0; k < digits.length; k++) mant = mant * 16 + parseInt(digits[k], 16);
    const exp = (m[4] === undefined ? 0 : Number(m[4])) - 4 * (m[3] ?? '').length;
    v = mant * Math.pow(2, exp);
    if (m[1] === '-') v = -v;
    if (!Number.isFinite(v)) return null;
    if (v !== 0 && Math.abs(v) < MIN_NORMAL) return null;
    return v;
  }
  return null; // junk, NaN, nothing to convert
}

/** lookupKeyByPattern: the value a BY/GET pattern names for an element, or null. */
function lookupByPattern(db: Database, pattern: string, el: string): string | Buffer | null {
  if (pattern.length >= 1 && pattern.charCodeAt(0) === 35 /* # */ && (pattern.length === 1 || pattern.charCodeAt(1) === 0)) {
    return el;
  }
  const c = cString(pattern);
  const p = c.indexOf('*');
  if (p < 0) return null;
  let keyEnd = pattern.length;
  let field: string | null = null;
  const f = c.indexOf('->', p + 1);
  if (f >= 0 && f + 2 < c.length) {
    field = pattern.slice(f + 2);
    keyEnd = f;
  }
  const key = pattern.slice(0, p) + el + pattern.slice(p + 1, keyEnd);
  const v = db.get(key);
  if (v === undefined) {
    db.readMiss(key); // lookupKeyRead, also under SORT … STORE
    return null;
  }
  if (field !== null) return v instanceof Map ? (v.get(field) ?? null) : null;
  if (typeof v === 'string') return v;
  if (v instanceof BigString) return v.buf;
  return null;
}

/** Byte order of latin1 strings (memcmp, then length), as compareStringObjects. */
function bytesCmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Redis 7.0's ACLUserCheckCmdWithUnrestrictedKeyAccess: some selector of the user allows this call
 * and can read every key (allkeys, or a readable `*` pattern).
 */
function hasFullKeyAccess(ctx: Context, args: string[]): boolean {
  const user = ctx.client.user;
  if (user.unrestricted) return true;
  const cmd = ctx.server.table.lookup(args[0]);
  if (cmd === undefined) return false;
  const acmd = ctx.server.acl.reg.ofCall(cmd, args);
  const keys = ctx.server.acl.reg.keysOf(acmd, args);
  const pos = { i: 0 };
  for (const s of user.selectors) {
    if (s.checkCmd(acmd, args, keys, pos) !== ACL_OK) continue;
    if (s.allKeys) return true;
    for (const p of s.patterns) if (p.pattern === '*' && (p.flags & PERM_READ) !== 0) return true;
  }
  return false;
}

/** Iteration order of a set where Redis's is defined: an intset ascends numerically. */
function setMembers(ctx: Context, s: Set<string>): string[] {
  const arr = Array.from(s);
  if (arr.length > 1 && !isConverted(ctx.server.config, s)) {
    arr.sort((a, b) => {
      const x = parseLongLong(a)!;
      const y = parseLongLong(b)!;
      return x < y ? -1 : x > y ? 1 : 0;
    });
  }
  return arr;
}

function sortGeneric(ctx: Context, args: string[], readonly: boolean): Reply {
  let desc = false;
  let alpha = false;
  let limitStart = 0;
  let limitCount = -1;
  let dontsort = false;
  let sortby: string | null = null;
  let storekey: string | null = null;
  const gets: string[] = [];
  let fullAccess: boolean | null = null;
  const full = (): boolean => (fullAccess ??= hasFullKeyAccess(ctx, args));

  for (let j = 2; j < args.length; j++) {
    const a = args[j];
    const left = args.length - j - 1;
    if (optIs(a, 'ASC')) desc = false;
    else if (optIs(a, 'DESC')) desc = true;
    else if (optIs(a, 'ALPHA')) alpha = true;
    else if (optIs(a, 'LIMIT') && left >= 2) {
      limitStart = longArg(args[j + 1]);
      limitCount = longArg(args[j + 2]);
      j += 2;
    } else if (!readonly && optIs(a, 'STORE') && left >= 1) {
      storekey = args[++j];
    } else if (optIs(a, 'BY') && left >= 1) {
      sortby = args[++j];
      // A constant BY sets dontsort for good: a later BY with a pattern does not clear it (7.0).
      if (cString(sortby).indexOf('*') < 0) dontsort = true;
      else if (!full()) throw ERR_BY_ACL;
    } else if (optIs(a, 'GET') && left >= 1) {
      if (!full()) throw ERR_GET_ACL;
      gets.push(args[++j]);
    } else {
      throw ERR_SYNTAX;
    }
  }

  const db = ctx.db;
  const v = db.get(args[1]);
  if (v === undefined) db.readMiss(args[1]); // SORT is a write command that reads with lookupKeyRead
  if (v !== undefined && !(v instanceof Set || v instanceof Deque || v instanceof SortedSet)) throw ERR_WRONGTYPE;

  if (dontsort && v instanceof Set && (storekey !== null || ctx.client.inScript)) {
    dontsort = false;
    alpha = true;
    sortby = null;
  }
  if (v instanceof SortedSet) markConverted(v); // zsetConvert(sortval, OBJ_ENCODING_SKIPLIST)

  let vectorlen = v === undefined ? 0 : v instanceof Deque ? v.length : v.size;
  let start = Math.min(Math.max(limitStart, 0), vectorlen);
  limitCount = Math.min(Math.max(limitCount, -1), vectorlen);
  let end = limitCount < 0 ? vectorlen - 1 : start + limitCount - 1;
  if (start >= vectorlen) {
    start = vectorlen - 1;
    end = vectorlen - 2;
  }
  if (end >= vectorlen) end = vectorlen - 1;

  // Load the elements; lists and sorted sets that need no sorting load just the LIMIT range.
  let els: string[];
  if (v === undefined) els = [];
  else if (dontsort && (v instanceof Deque || v instanceof SortedSet)) {
    vectorlen = end - start + 1;
    els = new Array<string>(vectorlen);
    if (v instanceof Deque) {
      const len = v.length;
      for (let k = 0; k < vectorlen; k++) els[k] = v.get(desc ? len - start - 1 - k : start + k)!;
    } else {
      let n = desc ? v.byRank(v.size - 1 - start) : v.byRank(start);
      for (let k = 0; k < vectorlen && n !== 0; k++) {
        els[k] = v.memberAt(n);
        n = desc ? v.prev(n) : v.next(n);
      }
    }
    end -= start;
    start = 0;
  } else if (v instanceof Deque) els = v.toArray();
  else if (v instanceof Set) els = setMembers(ctx, v);
  else els = Array.from((v as SortedSet).dict.keys());

  let convError = false;
  if (!dontsort && alpha && sortby === null && (storekey !== null || !els.some((e) => e.indexOf('\0') >= 0))) {
    // Elements compared as bytes: the built-in string order (UTF-16 code units = latin1 bytes) is the
    // fastest sort V8 has; equal elements are identical, so reversing gives DESC.
    els.sort();
    if (desc) els.reverse();
  } else if (!dontsort) {
    const items: Item[] = new Array(els.length);
    for (let k = 0; k < els.length; k++) {
      const el = els[k];
      const it: Item = { el, score: 0, key: null };
      items[k] = it;
      let byval: string | Buffer | null = el;
      if (sortby !== null) {
        byval = lookupByPattern(db, sortby, el);
        if (byval === null) continue;
      }
      if (alpha) {
        if (sortby !== null) {
          // A value beyond V8's string limit (BigString) is compared by a prefix it cannot exceed.
          const s = typeof byval === 'string' ? byval : byval.toString('latin1', 0, Math.min(byval.length, 1 << 28));
          it.key = storekey !== null ? s : cString(s);
        }
      } else {
        const sc = typeof byval === 'string' ? sortScore(byval) : null;
        if (sc === null) convError = true;
        else it.score = sc;
      }
    }
    let cmp: (a: Item, b: Item) => number;
    if (!alpha) {
      cmp = (a, b) => (a.score > b.score ? 1 : a.score < b.score ? -1 : bytesCmp(a.el, b.el));
    } else if (sortby !== null) {
      cmp = (a, b) => {
        const x = a.key;
        const y = b.key;
        if (x === null || y === null) return x === y ? 0 : x === null ? -1 : 1;
        return bytesCmp(x, y);
      };
    } else if (storekey !== null) {
      cmp = (a, b) => bytesCmp(a.el, b.el);
    } else {
      for (const it of items) it.key = cString(it.el);
      cmp = (a, b) => bytesCmp(a.key!, b.key!);
    }
    items.sort(desc ? (a, b) => -cmp(a, b) : cmp);
    for (let k = 0; k < items.length; k++) els[k] = items[k].el;
  }

  const count = end - start + 1;
  const outputlen = gets.length > 0 ? gets.length * count : count;
  if (convError) throw ERR_SCORES;
  if (storekey === null) {
    const out: Reply[] = new Array(outputlen);
    let o = 0;
    for (let k = start; k <= end; k++) {
      if (gets.length === 0) out[o++] = els[k];
      for (const g of gets) out[o++] = lookupByPattern(db, g, els[k]);
    }
    return out;
  }
  const list = new Deque<string>();
  for (let k = start; k <= end; k++) {
    if (gets.length === 0) list.push(els[k]);
    for (const g of gets) {
      const val = lookupByPattern(db, g, els[k]);
      list.push(val === null ? '' : typeof val === 'string' ? val : val.toString('latin1'));
    }
  }
  if (outputlen > 0) {
    db.set(storekey, list);
    notifyKeyspaceEvent(ctx.server, NOTIFY_LIST, 'sortstore', storekey, db.id);
    ctx.server.dirty += outputlen;
  } else if (db.delete(storekey)) {
    notifyKeyspaceEvent(ctx.server, NOTIFY_GENERIC, 'del', storekey, db.id);
    ctx.server.dirty++;
  }
  return outputlen;
}

/** sortGetKeys: the sorted key, and the destination of the last STORE (LIMIT/GET/BY arguments skipped). */
function sortKeys(args: string[]): number[] {
  const out = [1];
  let store = -1;
  for (let i = 2; i < args.length; i++) {
    const a = args[i];
    if (optIs(a, 'LIMIT')) i += 2;
    else if (optIs(a, 'GET') || optIs(a, 'BY')) i += 1;
    else if (optIs(a, 'STORE') && i + 1 < args.length) store = i + 1;
  }
  if (store >= 0) out.push(store);
  return out;
}

const SORT_COMPLEXITY =
  'O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of returned elements. When the elements are not sorted, complexity is O(N).';

export const sortCommands: CommandSpec[] = [
  {
    name: 'sort',
    arity: -2,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    getKeys: sortKeys,
    group: 'generic set sortedset list dangerous -keyspace',
    summary: 'Sort the elements in a list, set or sorted set',
    since: '1.0.0',
    complexity: SORT_COMPLEXITY,
    syntax: 'key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA] [STORE destination]',
    handler: (ctx, args) => sortGeneric(ctx, args, false),
  },
  {
    name: 'sort_ro',
    arity: -2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    getKeys: () => [1],
    group: 'generic set sortedset list dangerous -keyspace',
    summary: 'Sort the elements in a list, set or sorted set. Read-only variant of SORT.',
    since: '7.0.0',
    complexity: SORT_COMPLEXITY,
    syntax: 'key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA]',
    handler: (ctx, args) => sortGeneric(ctx, args, true),
  },
];
