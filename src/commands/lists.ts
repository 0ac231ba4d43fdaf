// List commands: LPUSH RPUSH LPUSHX RPUSHX LPOP RPOP LLEN LRANGE LINDEX LSET LINSERT LREM LTRIM LPOS
// LMOVE RPOPLPUSH LMPOP, and the blocking BLPOP BRPOP BLMOVE BRPOPLPUSH BLMPOP — Redis 7.0
// semantics, argument order and error texts. The blocking helpers here (parseTimeout, blockOn,
// propagate) also serve the sorted-set family's BZPOPMIN/BZPOPMAX/BZMPOP.
//
// Lists are Deque<string> (src/keyspace/deque.ts): O(1) at both ends and O(1) by index. A list that
// becomes empty is deleted.
//
// Blocking (src/server/blocking.ts): when data is available a blocking command is served at once,
// exactly like its non-blocking twin. Otherwise — unless blocking is not allowed (inside MULTI/EXEC
// or a function call: `client.inExec`; internal clients without a socket, e.g. AOF loading), where the
// reply is the timeout reply right away — the client is parked with a `retry` closure and the
// handler returns NO_REPLY. The server runs `retry(key)` after any command that touched one of the
// keys, with that key, and the client is served from it (not from the first of its keys with data);
// it pops, bumps `dirty`, signals the modified keys and emits the equivalent non-blocking command
// (LPOP / RPOP / LMOVE / RPOPLPUSH) to the write observers, so persistence records what happened.
// The same holds when a blocking command is served at once: the commands are flagged no_propagate
// and emit the non-blocking form themselves (Redis rewrites BLPOP into LPOP for propagation).
// Timeouts reply with a null array (RESP2 `*-1`), as Redis's replyToBlockedClientTimedOut does for
// every list command, BLMOVE included.

import { Deque } from '../keyspace/deque.js';
import type { Database } from '../keyspace/db.js';
import {
  ERR_INDEX_OUT_OF_RANGE,
  ERR_NO_SUCH_KEY,
  ERR_NOT_INTEGER,
  ERR_SYNTAX,
  ERR_WRONGTYPE,
  NIL_ARRAY,
  NO_REPLY,
  OK,
  Reply,
  ReplyError,
} from '../protocol/reply.js';
import type { BlockState, Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import { parseInt64 } from '../util/numbers.js';
import type { CommandSpec, Context } from './table.js';
import { getList } from './util.js';
import { eqi, parseLongDouble, positiveLongArg } from './zsets.js';
import { NOTIFY_GENERIC, NOTIFY_LIST, notifyKeyspaceEvent } from '../server/notify.js';

const ERR_TIMEOUT_FLOAT = new ReplyError('ERR', 'timeout is not a float or out of range');
const ERR_TIMEOUT_NEGATIVE = new ReplyError('ERR', 'timeout is negative');
const ERR_RANK_ZERO = new ReplyError(
  'ERR',
  "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list",
);
const ERR_COUNT_NEGATIVE = new ReplyError('ERR', "COUNT can't be negative");
const ERR_MAXLEN_NEGATIVE = new ReplyError('ERR', "MAXLEN can't be negative");

/** getLongFromObjectOrReply: a strict 64-bit integer (as a JS number). */
function longArg(s: string): number {
  const v = parseInt64(s);
  if (v === null) throw ERR_NOT_INTEGER;
  return Number(v);
}

/** Round num/den to the nearest integer, ties to even (den > 0, num ≥ 0). */
function roundDiv(num: bigint, den: bigint): bigint {
  const q = num / den;
  const r2 = (num % den) * 2n;
  if (r2 > den || (r2 === den && (q & 1n) === 1n)) return q + 1n;
  return q;
}

function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

/** Round m·2^e to a 64-bit mantissa (x87 long double precision), returning [m', e']. */
function toLongDouble(m: bigint, e: number): [bigint, number] {
  const b = bitLength(m);
  if (b <= 64) return [m, e];
  const sh = b - 64;
  return [roundDiv(m, 1n << BigInt(sh)), e + sh];
}

/** num/den (both > 0) rounded once to a 64-bit mantissa: [m, e] with m·2^e ≈ num/den. */
function ratToLongDouble(num: bigint, den: bigint): [bigint, number] {
  let e = bitLength(num) - bitLength(den) - 64;
  for (;;) {
    const n2 = e >= 0 ? num : num << BigInt(-e);
    const d2 = e >= 0 ? den << BigInt(e) : den;
    const bl = bitLength(n2 / d2);
    if (bl < 64) e--;
    else if (bl > 64) e++;
    else {
      const m = roundDiv(n2, d2);
      return m === 1n << 64n ? [1n << 63n, e + 1] : [m, e];
    }
  }
}

/**
 * `(long long)(ftval * 1000.0)` with ftval the long double strtold makes of the decimal literal: the
 * literal is rounded to a 64-bit mantissa, the product rounded again, then truncated — exactly, with
 * BigInts, because Redis's rounding decides edge cases such as "-0.001" (→ 0 ms, not -1 ms) and
 * "0.29" (→ 289 ms). Returns null when the result does not fit in 64 bits (x86 gives LLONG_MIN).
 */
function timeoutMs(s: string, v: number): bigint | null {
  if (!Number.isFinite(v)) return null;
  if (v === 0) return 0n;
  const neg = v < 0;
  const abs = Math.abs(v);
  if (abs >= 1e16) return null; // ≥ 1e19 ms: does not fit
  if (abs < 1e-6) return 0n; // < 0.001 ms
  let m: bigint;
  let e: number;
  const body = s.replace(/^[+-]/, '');
  if (/^0[xX]/.test(body) || /^inf/i.test(body)) {
    // Hex literals are exact doubles here; a double times 1000 is exact in 64 bits.
    let k = 0;
    while (!Number.isInteger(abs * 2 ** k)) k++;
    m = BigInt(abs * 2 ** k);
    e = -k;
  } else {
    const match = /^(\d*)\.?(\d*)(?:[eE]([+-]?\d+))?$/.exec(body);
    if (!match) return null;
    const digits = BigInt((match[1] + match[2]).replace(/^0+(?=\d)/, '') || '0');
    const exp10 = (match[3] ? Number(match[3]) : 0) - match[2].length;
    [m, e] = exp10 >= 0 ? toLongDouble(digits * 10n ** BigInt(exp10), 0) : ratToLongDouble(digits, 10n ** BigInt(-exp10));
  }
  const [pm, pe] = toLongDouble(m * 1000n, e);
  const t = pe >= 0 ? pm << BigInt(pe) : pm >> BigInt(-pe);
  if (t >= 1n << 63n) return null;
  return neg ? -t : t;
}

/**
 * getTimeoutFromObjectOrReply with UNIT_SECONDS: a long double in seconds, truncated to whole
 * milliseconds (so 0.0001 means "forever", like Redis); a conversion that overflows 64 bits yields
 * LLONG_MIN on x86 (hence "timeout is negative" for inf or 1e20).
 */
export function parseTimeout(s: string): number {
  const v = parseLongDouble(s);
  if (v === null) throw ERR_TIMEOUT_FLOAT;
  const t = timeoutMs(s, v);
  if (t === null || t < 0n) throw ERR_TIMEOUT_NEGATIVE;
  // Redis 7.0 adds the current time without an overflow check (7.2 added "timeout is out of
  // range"); a wrapped deadline is never reached, so such a timeout means "forever".
  if (t > (1n << 63n) - 1n - BigInt(Date.now())) return 0;
  return Number(t);
}

/** LEFT / RIGHT (getListPositionFromObjectOrReply). */
function whereArg(s: string): boolean {
  if (eqi(s, 'left')) return true;
  if (eqi(s, 'right')) return false;
  throw ERR_SYNTAX;
}

function popEnd(l: Deque<string>, left: boolean): string {
  return (left ? l.shift() : l.pop()) as string;
}

function pushEnd(l: Deque<string>, v: string, left: boolean): void {
  if (left) l.unshift(v);
  else l.push(v);
}

// ---- Push / pop ----------------------------------------------------------------------------------

/**
 * Redis's listElementsRemoved: after a pop from `key`, the `lpop` / `rpop` notification, then the
 * list is deleted (and `del` published) if it is now empty.
 */
function popped(server: Server, db: Database, key: string, l: Deque<string>, left: boolean): void {
  notifyKeyspaceEvent(server, NOTIFY_LIST, left ? 'lpop' : 'rpop', key, db.id);
  if (l.length === 0) {
    db.delete(key);
    notifyKeyspaceEvent(server, NOTIFY_GENERIC, 'del', key, db.id);
  }
}

function pushGeneric(ctx: Context, args: string[], left: boolean, onlyIfExists: boolean): Reply {
  const db = ctx.db;
  const key = args[1];
  let l = getList(db, key);
  if (l === null) {
    if (onlyIfExists) return 0;
    l = new Deque<string>();
    db.set(key, l);
  }
  const n = args.length;
  if (left) for (let j = 2; j < n; j++) l.unshift(args[j]);
  else for (let j = 2; j < n; j++) l.push(args[j]);
  ctx.server.dirty += n - 2;
  notifyKeyspaceEvent(ctx.server, NOTIFY_LIST, left ? 'lpush' : 'rpush', key, db.id);
  return l.length;
}

function popGeneric(ctx: Context, args: string[], left: boolean): Reply {
  if (args.length > 3) throw new ReplyError('ERR', `wrong number of arguments for '${left ? 'lpop' : 'rpop'}' command`);
  const hasCount = args.length === 3;
  const count = hasCount ? positiveLongArg(args[2]) : 1;
  const db = ctx.db;
  const key = args[1];
  const l = getList(db, key);
  if (l === null) return hasCount ? NIL_ARRAY : null;
  if (!hasCount) {
    const v = popEnd(l, left);
    popped(ctx.server, db, key, l, left);
    ctx.server.dirty++;
    return v;
  }
  if (count === 0) return [];
  const n = Math.min(count, l.length);
  const out: Reply[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = popEnd(l, left);
  popped(ctx.server, db, key, l, left);
  ctx.server.dirty += n;
  return out;
}

// ---- LMOVE and friends ---------------------------------------------------------------------------

/**
 * Pop from src and push to dst (lmoveGenericCommand / lmoveHandlePush). The caller has checked that
 * src is a non-empty list; dst is checked here (WRONGTYPE before anything moves).
 */
function moveOne(server: Server, db: Database, src: Deque<string>, srcKey: string, dstKey: string, from: boolean, to: boolean): string {
  let dst = getList(db, dstKey);
  const v = popEnd(src, from);
  if (dst === null) {
    dst = new Deque<string>();
    db.set(dstKey, dst);
  }
  pushEnd(dst, v, to);
  // Redis's order: the push (lmoveHandlePush), then the pop and the source's deletion.
  notifyKeyspaceEvent(server, NOTIFY_LIST, to ? 'lpush' : 'rpush', dstKey, db.id);
  popped(server, db, srcKey, src, from);
  return v;
}

function lmoveGeneric(ctx: Context, args: string[], from: boolean, to: boolean): Reply {
  const db = ctx.db;
  const src = getList(db, args[1]);
  if (src === null) return null;
  const v = moveOne(ctx.server, db, src, args[1], args[2], from, to);
  ctx.server.dirty++;
  return v;
}

// ---- Blocking ------------------------------------------------------------------------------------

/** Longest delay setTimeout honours; longer timeouts are chained (Node would fire after 1 ms). */
const MAX_TIMER_MS = 2 ** 31 - 1;

function armLongTimeout(server: Server, client: Client, state: BlockState, ms: number): void {
  const step = Math.min(ms, MAX_TIMER_MS);
  state.timer = setTimeout(() => {
    if (client.blocked !== state) return;
    if (ms > step) armLongTimeout(server, client, state, ms - step);
    else {
      server.blocking.unblock(client, state.timeoutReply);
      server.flushPending();
    }
  }, step);
}

/** Park the client on `keys`; `retry` serves it later (undefined = keep waiting). */
export function blockOn(ctx: Context, args: string[], keys: string[], timeoutMs: number, retry: (key: string) => Reply | undefined): Reply {
  const server = ctx.server;
  const client = ctx.client;
  const state: BlockState = {
    db: client.db,
    keys,
    retry,
    timeoutReply: NIL_ARRAY,
    timer: null,
    cmd: server.table.lookup(args[0])!,
    args,
  };
  if (timeoutMs <= MAX_TIMER_MS) server.blocking.block(client, state, timeoutMs);
  else {
    server.blocking.block(client, state, 0);
    armLongTimeout(server, client, state, timeoutMs);
  }
  return NO_REPLY;
}

/**
 * Hand the write observers the non-blocking equivalent of what a blocking command did, like Redis's
 * rewriteClientCommandVector / alsoPropagate (the blocking commands are flagged no_propagate, so
 * dispatch does not emit BLPOP itself).
 */
export function propagate(server: Server, client: Client, db: number, args: string[]): void {
  server.emitWrite({ db, cmd: server.table.lookup(args[0])!, args, client });
}

/** Blocking is refused inside MULTI/EXEC, function calls and for internal clients. */
export function cannotBlock(client: Client): boolean {
  return client.inExec || client.socket === null;
}

function bpopGeneric(ctx: Context, args: string[], left: boolean): Reply {
  const timeout = parseTimeout(args[args.length - 1]);
  const db = ctx.db;
  const last = args.length - 1;
  for (let j = 1; j < last; j++) {
    const l = getList(db, args[j]);
    if (l === null || l.length === 0) continue;
    const v = popEnd(l, left);
    popped(ctx.server, db, args[j], l, left);
    ctx.server.dirty++;
    propagate(ctx.server, ctx.client, ctx.client.db, [left ? 'LPOP' : 'RPOP', args[j]]);
    return [args[j], v];
  }
  if (cannotBlock(ctx.client)) return NIL_ARRAY;
  const server = ctx.server;
  const client = ctx.client;
  const dbId = client.db;
  const keys = args.slice(1, last);
  const popName = left ? 'LPOP' : 'RPOP';
  return blockOn(ctx, args, keys, timeout, (key) => {
    const bdb = server.dbs[dbId];
    const l = bdb.peek(key);
    if (!(l instanceof Deque) || l.length === 0) return undefined;
    const v = popEnd(l, left);
    popped(server, bdb, key, l, left);
    server.dirty++;
    server.keyModified(bdb, key);
    propagate(server, client, dbId, [popName, key]);
    return [key, v];
  });
}

function bmoveGeneric(ctx: Context, args: string[], from: boolean, to: boolean, timeout: number, asRpoplpush: boolean): Reply {
  const db = ctx.db;
  const srcKey = args[1];
  const dstKey = args[2];
  const src = getList(db, srcKey);
  const emitted = asRpoplpush
    ? ['RPOPLPUSH', srcKey, dstKey]
    : ['LMOVE', srcKey, dstKey, from ? 'LEFT' : 'RIGHT', to ? 'LEFT' : 'RIGHT'];
  if (src !== null && src.length > 0) {
    const v = moveOne(ctx.server, db, src, srcKey, dstKey, from, to);
    ctx.server.dirty++;
    propagate(ctx.server, ctx.client, ctx.client.db, emitted);
    return v;
  }
  if (cannotBlock(ctx.client)) return null;
  const server = ctx.server;
  const client = ctx.client;
  const dbId = client.db;
  return blockOn(ctx, args, [srcKey], timeout, () => {
    const bdb = server.dbs[dbId];
    const l = bdb.peek(srcKey);
    if (!(l instanceof Deque) || l.length === 0) return undefined;
    const d = bdb.peek(dstKey);
    // Redis answers WRONGTYPE to the waiter (and unblocks it) when the destination is not a list.
    if (d !== undefined && !(d instanceof Deque)) return ERR_WRONGTYPE;
    const v = moveOne(server, bdb, l, srcKey, dstKey, from, to);
    server.dirty++;
    server.keyModified(bdb, srcKey);
    server.keyModified(bdb, dstKey);
    propagate(server, client, dbId, emitted);
    return v;
  });
}

// ---- LMPOP / BLMPOP ------------------------------------------------------------------------------

const ERR_NUMKEYS = new ReplyError('ERR', 'numkeys should be greater than 0');
const ERR_COUNT_GT0 = new ReplyError('ERR', 'count should be greater than 0');

/** getRangeLongFromObjectOrReply(…, 1, LONG_MAX, msg): the message covers non-integers too. */
export function atLeastOneArg(s: string, err: ReplyError): number {
  const v = parseInt64(s);
  if (v === null || v < 1n) throw err;
  return Number(v);
}

export interface MpopArgs {
  keys: string[];
  /** LEFT / MIN. */
  first: boolean;
  count: number;
}

/**
 * The `numkeys key [key ...] <A | B> [COUNT count]` tail of LMPOP/BLMPOP/ZMPOP/BZMPOP
 * (lmpopGenericCommand / zmpopGenericCommand). `where` parses the direction word.
 */
export function parseMpop(args: string[], numkeysIdx: number, where: (s: string) => boolean): MpopArgs {
  const numkeys = atLeastOneArg(args[numkeysIdx], ERR_NUMKEYS);
  const whereIdx = numkeysIdx + numkeys + 1;
  if (whereIdx >= args.length) throw ERR_SYNTAX;
  const first = where(args[whereIdx]);
  let count = -1;
  for (let j = whereIdx + 1; j < args.length; j++) {
    if (count === -1 && eqi(args[j], 'count') && j + 1 < args.length) {
      count = atLeastOneArg(args[++j], ERR_COUNT_GT0);
    } else throw ERR_SYNTAX;
  }
  return { keys: args.slice(numkeysIdx + 1, whereIdx), first, count: count === -1 ? 1 : count };
}

/** Key positions of the *MPOP commands: numkeys at numkeysIdx, then the keys. */
export function mpopKeys(numkeysIdx: number): (args: string[]) => number[] {
  return (args) => {
    const n = Number(args[numkeysIdx]);
    if (!Number.isInteger(n) || n < 1 || n > args.length - numkeysIdx - 1) return [];
    return Array.from({ length: n }, (_, i) => numkeysIdx + 1 + i);
  };
}

/** Pop up to `count` from the first non-empty list among `keys` in `db`; undefined when none. */
function mpopFrom(server: Server, client: Client, dbId: number, keys: string[], left: boolean, count: number, typeErrors: boolean): Reply | undefined {
  const db = server.dbs[dbId];
  for (const key of keys) {
    const v = typeErrors ? getList(db, key) : db.peek(key);
    if (!(v instanceof Deque) || v.length === 0) continue;
    const n = Math.min(count, v.length);
    const out: Reply[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = popEnd(v, left);
    popped(server, db, key, v, left);
    server.dirty += n;
    if (!typeErrors) server.keyModified(db, key);
    propagate(server, client, dbId, [left ? 'LPOP' : 'RPOP', key, String(n)]);
    return [key, out];
  }
  return undefined;
}

function lmpopCommand(ctx: Context, args: string[], blocking: boolean): Reply {
  const { keys, first, count } = parseMpop(args, blocking ? 2 : 1, whereArg);
  const timeout = blocking ? parseTimeout(args[1]) : 0;
  const { server, client } = ctx;
  const r = mpopFrom(server, client, client.db, keys, first, count, true);
  if (r !== undefined) return r;
  if (!blocking || cannotBlock(client)) return NIL_ARRAY;
  const dbId = client.db;
  return blockOn(ctx, args, keys, timeout, (key) => mpopFrom(server, client, dbId, [key], first, count, false));
}

// ---- Index-based commands ------------------------------------------------------------------------

/** Sanitised [start, end] of a Redis range on a list of length len, or null when empty. */
function listRange(len: number, start: number, end: number): [number, number] | null {
  if (start < 0) start = len + start;
  if (end < 0) end = len + end;
  if (start < 0) start = 0;
  if (start > end || start >= len) return null;
  if (end >= len) end = len - 1;
  return [start, end];
}

function lposCommand(ctx: Context, args: string[]): Reply {
  const ele = args[2];
  let rank = 1;
  let count = -1;
  let maxlen = 0;
  let rankMin = false;
  for (let j = 3; j < args.length; j++) {
    const opt = args[j];
    const more = args.length - 1 - j > 0;
    if (eqi(opt, 'rank') && more) {
      j++;
      const v = parseInt64(args[j]);
      if (v === null) throw ERR_NOT_INTEGER;
      // Redis 7.0 takes LLONG_MIN too; negating it overflows back to LLONG_MIN, so every match
      // counts (as rank -1) and the COUNT test `matches-rank+1 >= count` never holds.
      rankMin = v === -9223372036854775808n;
      rank = rankMin ? -1 : Number(v);
      if (rank === 0) throw ERR_RANK_ZERO;
    } else if (eqi(opt, 'count') && more) {
      j++;
      count = positiveLongArg(args[j], ERR_COUNT_NEGATIVE);
    } else if (eqi(opt, 'maxlen') && more) {
      j++;
      maxlen = positiveLongArg(args[j], ERR_MAXLEN_NEGATIVE);
    } else throw ERR_SYNTAX;
  }
  let fromTail = false;
  if (rank < 0) {
    rank = -rank;
    fromTail = true;
  }
  const l = getList(ctx.db, args[1]);
  if (l === null) return count !== -1 ? [] : null;
  const len = l.length;
  const out: number[] = [];
  let matches = 0;
  const limit = maxlen === 0 ? len : Math.min(maxlen, len);
  for (let index = 0; index < limit; index++) {
    const pos = fromTail ? len - 1 - index : index;
    if (l.get(pos) !== ele) continue;
    matches++;
    if (matches >= rank) {
      if (count === -1) return pos;
      out.push(pos);
      if (count !== 0 && !rankMin && matches - rank + 1 >= count) break;
    }
  }
  return count === -1 ? null : out;
}

function lremCommand(ctx: Context, args: string[]): Reply {
  const toRemove = longArg(args[2]);
  const db = ctx.db;
  const key = args[1];
  const l = getList(db, key);
  if (l === null) return 0;
  const ele = args[3];
  const len = l.length;
  const limit = toRemove === 0 ? Infinity : Math.abs(toRemove);
  let removed = 0;
  if (toRemove >= 0) {
    const kept: string[] = [];
    for (let i = 0; i < len; i++) {
      const v = l.get(i) as string;
      if (removed < limit && v === ele) removed++;
      else kept.push(v);
    }
    if (removed > 0) l.replace(kept);
  } else {
    const keptRev: string[] = [];
    for (let i = len - 1; i >= 0; i--) {
      const v = l.get(i) as string;
      if (removed < limit && v === ele) removed++;
      else keptRev.push(v);
    }
    if (removed > 0) l.replace(keptRev.reverse());
  }
  if (removed > 0) {
    notifyKeyspaceEvent(ctx.server, NOTIFY_LIST, 'lrem', key, db.id);
    if (l.length === 0) {
      db.delete(key);
      notifyKeyspaceEvent(ctx.server, NOTIFY_GENERIC, 'del', key, db.id);
    }
    ctx.server.dirty += removed;
  }
  return removed;
}

// ---- The table -----------------------------------------------------------------------------------

const PUSH_COMPLEXITY =
  'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.';

export const listsCommands: CommandSpec[] = [
  {
    name: 'lpush',
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: 'list',
    summary: 'Prepend one or multiple elements to a list',
    since: '1.0.0',
    complexity: PUSH_COMPLEXITY,
    syntax: 'key element [element ...]',
    handler: (ctx, args) => pushGeneric(ctx, args, true, false),
  },
  {
    name: 'rpush',
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: 'list',
    summary: 'Append one or multiple elements to a list',
    since: '1.0.0',
    complexity: PUSH_COMPLEXITY,
    syntax: 'key element [element ...]',
    handler: (ctx, args) => pushGeneric(ctx, args, false, false),
  },
  {
    name: 'lpushx',
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: 'list',
    summary: 'Prepend an element to a list, only if the list exists',
    since: '2.2.0',
    complexity: PUSH_COMPLEXITY,
    syntax: 'key element [element ...]',
    handler: (ctx, args) => pushGeneric(ctx, args, true, true),
  },
  {
    name: 'rpushx',
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: 'list',
    summary: 'Append an element to a list, only if the list exists',
    since: '2.2.0',
    complexity: PUSH_COMPLEXITY,
    syntax: 'key element [element ...]',
    handler: (ctx, args) => pushGeneric(ctx, args, false, true),
  },
  {
    name: 'lpop',
    arity: -2,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    group: 'list',
    summary: 'Remove and get the first elements in a list',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of elements returned',
    syntax: 'key [count]',
    handler: (ctx, args) => popGeneric(ctx, args, true),
  },
  {
    name: 'rpop',
    arity: -2,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    group: 'list',
    summary: 'Remove and get the last elements in a list',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of elements returned',
    syntax: 'key [count]',
    handler: (ctx, args) => popGeneric(ctx, args, false),
  },
  {
    name: 'llen',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: 'list',
    summary: 'Get the length of a list',
    since: '1.0.0',
    complexity: 'O(1)',
    syntax: 'key',
    handler: (ctx, args) => getList(ctx.db, args[1])?.length ?? 0,
  },
  {
    name: 'lrange',
    arity: 4,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: 'list',
    summary: 'Get a range of elements from a list',
    since: '1.0.0',
    complexity:
      'O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.',
    syntax: 'key start stop',
    handler: (ctx, args) => {
      const start = longArg(args[2]);
      const end = longArg(args[3]);
      const l = getList(ctx.db, args[1]);
      if (l === null) return [];
      const r = listRange(l.length, start, end);
      return r ? l.slice(r[0], r[1] + 1) : [];
    },
  },
  {
    name: 'lindex',
    arity: 3,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: 'list',
    summary: 'Get an element from a list by its index',
    since: '1.0.0',
    complexity:
      'O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).',
    syntax: 'key index',
    handler: (ctx, args) => {
      const l = getList(ctx.db, args[1]);
      if (l === null) return null;
      let i = longArg(args[2]);
      if (i < 0) i += l.length;
      return l.get(i) ?? null;
    },
  },
  {
    name: 'lset',
    arity: 4,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    group: 'list',
    summary: 'Set the value of an element in a list by its index',
    since: '1.0.0',
    complexity: 'O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).',
    syntax: 'key index element',
    handler: (ctx, args) => {
      const l = getList(ctx.db, args[1]);
      if (l === null) throw ERR_NO_SUCH_KEY;
      let i = longArg(args[2]);
      if (i < 0) i += l.length;
      if (i < 0 || i >= l.length) throw ERR_INDEX_OUT_OF_RANGE;
      l.set(i, args[3]);
      ctx.server.dirty++;
      notifyKeyspaceEvent(ctx.server, NOTIFY_LIST, 'lset', args[1], ctx.db.id);
      return OK;
    },
  },
  {
    name: 'linsert',
    arity: 5,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    group: 'list',
    summary: 'Insert an element before or after another element in a list',
    since: '2.2.0',
    complexity:
      'O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).',
    syntax: 'key <BEFORE | AFTER> pivot element',
    handler: (ctx, args) => {
      let after: boolean;
      if (eqi(args[2], 'after')) after = true;
      else if (eqi(args[2], 'before')) after = false;
      else throw ERR_SYNTAX;
      const l = getList(ctx.db, args[1]);
      if (l === null) return 0;
      const pivot = args[3];
      const len = l.length;
      for (let i = 0; i < len; i++) {
        if (l.get(i) === pivot) {
          l.insertAt(after ? i + 1 : i, args[4]);
          ctx.server.dirty++;
          notifyKeyspaceEvent(ctx.server, NOTIFY_LIST, 'linsert', args[1], ctx.db.id);
          return l.length;
        }
      }
      return -1;
    },
  },
  {
    name: 'lrem',
    arity: 4,
    flags: ['write'],
    keys: [1, 1, 1],
    group: 'list',
    summary: 'Remove elements from a list',
    since: '1.0.0',
    complexity: 'O(N+M) where N is the length of the list and M is the number of elements removed.',
    syntax: 'key count element',
    handler: lremCommand,
  },
  {
    name: 'ltrim',
    arity: 4,
    flags: ['write'],
    keys: [1, 1, 1],
    group: 'list',
    summary: 'Trim a list to the specified range',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of elements to be removed by the operation.',
    syntax: 'key start stop',
    handler: (ctx, args) => {
      const start = longArg(args[2]);
      const end = longArg(args[3]);
      const db = ctx.db;
      const key = args[1];
      const l = getList(db, key);
      if (l === null) return OK;
      const len = l.length;
      const r = listRange(len, start, end);
      const ltrim = r ? r[0] : len;
      const rtrim = r ? len - r[1] - 1 : 0;
      l.dropFront(ltrim);
      l.dropBack(rtrim);
      notifyKeyspaceEvent(ctx.server, NOTIFY_LIST, 'ltrim', key, db.id);
      if (l.length === 0) {
        db.delete(key);
        notifyKeyspaceEvent(ctx.server, NOTIFY_GENERIC, 'del', key, db.id);
      }
      if (ltrim + rtrim > 0) ctx.server.dirty += ltrim + rtrim;
      else ctx.server.keyModified(db, key); // Redis signals the key even when nothing was trimmed
      return OK;
    },
  },
  {
    name: 'lpos',
    arity: -3,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: 'list',
    summary: 'Return the index of matching elements on a list',
    since: '6.0.6',
    complexity:
      'O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.',
    syntax: 'key element [RANK rank] [COUNT num-matches] [MAXLEN len]',
    handler: lposCommand,
  },
  {
    name: 'lmove',
    arity: 5,
    flags: ['write', 'denyoom'],
    keys: [1, 2, 1],
    group: 'list',
    summary: 'Pop an element from a list, push it to another list and return it',
    since: '6.2.0',
    complexity: 'O(1)',
    syntax: 'source destination <LEFT | RIGHT> <LEFT | RIGHT>',
    handler: (ctx, args) => {
      const from = whereArg(args[3]);
      const to = whereArg(args[4]);
      return lmoveGeneric(ctx, args, from, to);
    },
  },
  {
    name: 'rpoplpush',
    arity: 3,
    flags: ['write', 'denyoom'],
    keys: [1, 2, 1],
    group: 'list',
    summary: 'Remove the last element in a list, prepend it to another list and return it',
    since: '1.2.0',
    complexity: 'O(1)',
    syntax: 'source destination',
    handler: (ctx, args) => lmoveGeneric(ctx, args, false, true),
  },
  {
    name: 'lmpop',
    arity: -4,
    flags: ['write', 'no_propagate'],
    keys: [0, 0, 0],
    getKeys: mpopKeys(1),
    group: 'list',
    summary: 'Pop elements from a list',
    since: '7.0.0',
    complexity: 'O(N+M) where N is the number of provided keys and M is the number of elements returned.',
    syntax: 'numkeys key [key ...] <LEFT | RIGHT> [COUNT count]',
    handler: (ctx, args) => lmpopCommand(ctx, args, false),
  },
  {
    name: 'blmpop',
    arity: -5,
    flags: ['write', 'blocking', 'no_propagate'],
    keys: [0, 0, 0],
    getKeys: mpopKeys(2),
    group: 'list',
    summary: 'Pop elements from a list, or block until one is available',
    since: '7.0.0',
    complexity: 'O(N+M) where N is the number of provided keys and M is the number of elements returned.',
    syntax: 'timeout numkeys key [key ...] <LEFT | RIGHT> [COUNT count]',
    handler: (ctx, args) => lmpopCommand(ctx, args, true),
  },
  {
    name: 'blpop',
    arity: -3,
    flags: ['write', 'noscript', 'blocking', 'no_propagate'],
    keys: [1, -2, 1],
    group: 'list',
    summary: 'Remove and get the first element in a list, or block until one is available',
    since: '2.0.0',
    complexity: 'O(N) where N is the number of provided keys.',
    syntax: 'key [key ...] timeout',
    handler: (ctx, args) => bpopGeneric(ctx, args, true),
  },
  {
    name: 'brpop',
    arity: -3,
    flags: ['write', 'noscript', 'blocking', 'no_propagate'],
    keys: [1, -2, 1],
    group: 'list',
    summary: 'Remove and get the last element in a list, or block until one is available',
    since: '2.0.0',
    complexity: 'O(N) where N is the number of provided keys.',
    syntax: 'key [key ...] timeout',
    handler: (ctx, args) => bpopGeneric(ctx, args, false),
  },
  {
    name: 'blmove',
    arity: 6,
    flags: ['write', 'denyoom', 'noscript', 'blocking', 'no_propagate'],
    keys: [1, 2, 1],
    group: 'list',
    summary: 'Pop an element from a list, push it to another list and return it; or block until one is available',
    since: '6.2.0',
    complexity: 'O(1)',
    syntax: 'source destination <LEFT | RIGHT> <LEFT | RIGHT> timeout',
    handler: (ctx, args) => {
      const from = whereArg(args[3]);
      const to = whereArg(args[4]);
      const timeout = parseTimeout(args[5]);
      return bmoveGeneric(ctx, args, from, to, timeout, false);
    },
  },
  {
    name: 'brpoplpush',
    arity: 4,
    flags: ['write', 'denyoom', 'noscript', 'blocking', 'no_propagate'],
    keys: [1, 2, 1],
    group: 'list',
    summary: 'Pop an element from a list, push it to another list and return it; or block until one is available',
    since: '2.2.0',
    complexity: 'O(1)',
    syntax: 'source destination timeout',
    handler: (ctx, args) => {
      const timeout = parseTimeout(args[3]);
      return bmoveGeneric(ctx, args, false, true, timeout, true);
    },
  },
];
