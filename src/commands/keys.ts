// Generic keyspace commands: DEL UNLINK EXISTS TYPE EXPIRE PEXPIRE EXPIREAT PEXPIREAT TTL PTTL
// EXPIRETIME PEXPIRETIME PERSIST KEYS SCAN RENAME RENAMENX COPY MOVE TOUCH RANDOMKEY and the OBJECT
// container (ENCODING REFCOUNT FREQ IDLETIME HELP) — Redis 7.0's db.c / expire.c / object.c, reply for
// reply (test/diff/keys.test.ts runs them against a real redis-server).
//
// ## SCAN cursors
//
// Redis's guarantee: a full iteration (cursor 0 … cursor 0) returns every key that is present for
// the whole iteration at least once; keys added or removed meanwhile may or may not be returned;
// duplicates are allowed. Redis gets that from its reverse-binary bucket cursor, which is stateless.
// The keyspace here is a JS Map (insertion order, no buckets), and it can hold millions of keys, so
// neither an index into the iteration order (deleting an earlier key shifts every later one) nor a
// sorted snapshot at cursor 0 (O(N log N) in one call) will do. Instead SCAN keeps, per iteration, a
// live Map iterator:
//
//   - ECMAScript specifies Map iterators as robust to mutation: they visit entries in insertion
//     order, skip entries deleted before being reached, visit entries added meanwhile, and survive
//     rehashing and `clear()` (V8 links an obsolete table to its successor so a live iterator
//     transitions). A key present from the first call to the last was in the Map when the iterator
//     started and was never deleted, so the iterator reaches it: the guarantee holds, and in fact
//     such keys are returned exactly once. Each call costs O(COUNT).
//   - A cursor names a stored iterator: `0` starts a new one; every reply hands out a fresh cursor id
//     (a per-server counter from a random start, so ids are never reused and stale ids from a
//     restarted server are unlikely to name anything) and retires the one it was called with. The
//     iterator reads one key ahead, so the last batch comes back with cursor 0, like Redis for a small
//     keyspace.
//   - Cursors are server state, so they are bounded: at most MAX_SCAN_CURSORS live iterations, and
//     iterations idle for SCAN_CURSOR_IDLE_MS are dropped (least recently used first). A cursor we do
//     not know — dropped, already used (a client retrying a call), forged, or from another database —
//     restarts the iteration from the beginning instead of failing: the client sees duplicates but
//     never misses a key, which keeps the guarantee (Redis accepts any cursor value too).
//   - COUNT is the number of keys examined, MATCH and TYPE filter afterwards and expired keys are
//     skipped (and lazily deleted), like Redis, so a call may return fewer keys than COUNT.
//   - SCAN inside MULTI or from a WASM function uses the same state; nothing is tied to a client.

import { Database, RedisValue, typeOf } from '../keyspace/db.js';
import {
  ERR_NOT_INTEGER,
  ERR_NO_SUCH_KEY,
  ERR_SYNTAX,
  OK,
  Reply,
  ReplyError,
  Status,
} from '../protocol/reply.js';
import type { Server } from '../server/server.js';
import { globMatch } from '../util/glob.js';
import { INT64_MAX, parseLongLong } from '../util/numbers.js';
import type { CommandSpec, Context } from './table.js';
import { propagateExpire } from './effects.js';
import { lfuCounter } from '../keyspace/lfu.js';
import { cloneValue } from '../keyspace/undo.js';
import { BigString } from '../keyspace/bigstring.js';
import { NOTIFY_GENERIC, NOTIFY_KEY_MISS, notifyKeyspaceEvent } from '../server/notify.js';
import { encodingOf, forceStringEncoding, stringEncodingOf } from '../keyspace/encoding.js';

const ERR_SAME_OBJECT = new ReplyError('ERR', 'source and destination objects are the same');
const ERR_DB_RANGE = new ReplyError('ERR', 'DB index is out of range');
const ERR_INT_RANGE = new ReplyError('ERR', 'value is out of range, value must between -2147483648 and 2147483647');
const ERR_INVALID_CURSOR = new ReplyError('ERR', 'invalid cursor');
const ERR_EXPIRE_NX = new ReplyError('ERR', 'NX and XX, GT or LT options at the same time are not compatible');
const ERR_EXPIRE_GT_LT = new ReplyError('ERR', 'GT and LT options at the same time are not compatible');
const ERR_NO_LFU = new ReplyError(
  'ERR',
  'An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
);
const ERR_LFU_IDLE = new ReplyError(
  'ERR',
  'An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.',
);

const TYPE_STATUS: Record<string, Status> = {
  none: new Status('none'),
  string: new Status('string'),
  hash: new Status('hash'),
  set: new Status('set'),
  list: new Status('list'),
  zset: new Status('zset'),
  stream: new Status('stream'),
};

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

/** Text of a C string argument as Redis prints it with %s (up to the first NUL byte). */
function cString(s: string): string {
  const i = s.indexOf('\0');
  return i < 0 ? s : s.slice(0, i);
}

/**
 * Redis's lookupKeyReadWithFlags(LOOKUP_NOTOUCH): expires the key if due, counts a keyspace hit or
 * miss, does not update the access time (TTL, TYPE, EXISTS, OBJECT).
 */
function lookupNoTouch(db: Database, key: string, notify = true): RedisValue | undefined {
  const v = db.peek(key);
  if (v === undefined) {
    db.misses++;
    // `keymiss`, except for OBJECT (LOOKUP_NONOTIFY).
    if (notify && db.hooks.notifyFlags & NOTIFY_KEY_MISS) db.hooks.keyMiss(db, key);
  } else db.hits++;
  return v;
}

/** Redis's getIntFromObjectOrReply: a C int, with Redis's two error texts. */
function int32Arg(s: string): number {
  const v = parseLongLong(s);
  if (v === null) throw ERR_NOT_INTEGER;
  if (typeof v !== 'number' || v < -2147483648 || v > 2147483647) throw ERR_INT_RANGE;
  return v;
}

/** The database a DB argument names (MOVE, COPY … DB). */
function dbArg(ctx: Context, s: string): Database {
  const id = int32Arg(s);
  if (id < 0 || id >= ctx.server.dbs.length) throw ERR_DB_RANGE;
  return ctx.server.dbs[id];
}

// ---- DEL / UNLINK / EXISTS / TOUCH ------------------------------------------------------------------

function delGeneric(ctx: Context, args: string[]): Reply {
  const db = ctx.db;
  let n = 0;
  for (let i = 1; i < args.length; i++) {
    if (db.delete(args[i])) {
      n++;
      notifyKeyspaceEvent(ctx.server, NOTIFY_GENERIC, 'del', args[i], db.id);
    }
  }
  ctx.server.dirty += n;
  return n;
}

// ---- EXPIRE family ----------------------------------------------------------------------------------

const invalidExpireErrors = new Map<string, ReplyError>();
function errInvalidExpire(cmd: string): ReplyError {
  let e = invalidExpireErrors.get(cmd);
  if (!e) {
    e = new ReplyError('ERR', `invalid expire time in '${cmd}' command`);
    invalidExpireErrors.set(cmd, e);
  }
  return e;
}

const LLONG_MAX_DIV_1000 = 9223372036854775n;
const LLONG_MIN_DIV_1000 = -9223372036854775n;

/**
 * Redis 7.0's expireGenericCommand. `relative`: EXPIRE/PEXPIRE (basetime = now) vs EXPIREAT/PEXPIREAT
 * (basetime = 0). Options NX XX GT LT; a time at or before now deletes the key (and replies 1).
 */
function expireGeneric(ctx: Context, args: string[], relative: boolean, seconds: boolean, cmd: string): Reply {
  const db = ctx.db;
  const key = args[1];
  let nx = false;
  let xx = false;
  let gt = false;
  let lt = false;
  for (let j = 3; j < args.length; j++) {
    const o = args[j];
    if (optIs(o, 'NX')) nx = true;
    else if (optIs(o, 'XX')) xx = true;
    else if (optIs(o, 'GT')) gt = true;
    else if (optIs(o, 'LT')) lt = true;
    else throw new ReplyError('ERR', `Unsupported option ${cString(o)}`);
  }
  if (nx && (xx || gt || lt)) throw ERR_EXPIRE_NX;
  if (gt && lt) throw ERR_EXPIRE_GT_LT;
  const v = parseLongLong(args[2]);
  if (v === null) throw ERR_NOT_INTEGER;
  const now = db.clock.now();
  const basetime = relative ? now : 0;
  let when: number;
  if (typeof v === 'number' && v < 1e12 && v > -1e12) {
    when = (seconds ? v * 1000 : v) + basetime; // exact in doubles
  } else {
    let w = BigInt(v);
    if (seconds) {
      if (w > LLONG_MAX_DIV_1000 || w < LLONG_MIN_DIV_1000) throw errInvalidExpire(cmd);
      w *= 1000n;
    }
    if (w > INT64_MAX - BigInt(basetime)) throw errInvalidExpire(cmd);
    when = Number(w + BigInt(basetime));
  }
  if (db.peek(key) === undefined) return 0;
  if (nx || xx || gt || lt) {
    const cur = db.getExpire(key);
    if (nx && cur !== undefined) return 0;
    if (xx && cur === undefined) return 0;
    if (gt && (cur === undefined || when <= cur)) return 0;
    if (lt && cur !== undefined && when >= cur) return 0;
  }
  if (when <= now) {
    db.delete(key);
    notifyKeyspaceEvent(ctx.server, NOTIFY_GENERIC, 'del', key, db.id);
  } else {
    db.setExpire(key, when);
    notifyKeyspaceEvent(ctx.server, NOTIFY_GENERIC, 'expire', key, db.id);
  }
  ctx.server.dirty++;
  return 1;
}

/** Redis's ttlGenericCommand: -2 missing, -1 no TTL, else the (relative or absolute) time. */
function ttlGeneric(ctx: Context, key: string, ms: boolean, abs: boolean): Reply {
  const db = ctx.db;
  if (lookupNoTouch(db, key) === undefined) return -2;
  const at = db.getExpire(key);
  if (at === undefined) return -1;
  let ttl = abs ? at : at - db.clock.now();
  if (ttl < 0) ttl = 0;
  return ms ? ttl : Math.floor((ttl + 500) / 1000);
}

// ---- KEYS / SCAN -------------------------------------------------------------------------------------

function keysCommand(ctx: Context, args: string[]): Reply {
  const db = ctx.db;
  const pattern = args[1];
  const all = pattern === '*';
  const out: string[] = [];
  const checkTtl = db.expires.size > 0;
  const now = db.clock.now();
  for (const k of db.dict.keys()) {
    if (all || globMatch(pattern, k)) {
      // Like Redis, skip logically expired keys without deleting them mid-iteration.
      if (checkTtl) {
        const at = db.expires.get(k);
        if (at !== undefined && at <= now) continue;
      }
      out.push(k);
    }
  }
  return out;
}

const MAX_SCAN_CURSORS = 4096;
const SCAN_CURSOR_IDLE_MS = 10 * 60 * 1000;

interface ScanIteration {
  db: Database;
  it: Iterator<string>;
  /** The key read ahead of the last batch, if any. */
  pending: string | undefined;
  /** Wall-clock ms of the last use, for idle expiry. */
  used: number;
}

interface ScanRegistry {
  /** Cursor text → live iteration; Map order is least recently used first. */
  live: Map<string, ScanIteration>;
  nextId: number;
}

const registries = new WeakMap<Server, ScanRegistry>();

function scanRegistry(server: Server): ScanRegistry {
  let r = registries.get(server);
  if (!r) {
    r = { live: new Map(), nextId: 1 + Math.floor(Math.random() * 2 ** 40) };
    registries.set(server, r);
  }
  return r;
}

const TWO64 = 1n << 64n;

/**
 * Redis's parseScanCursorOrReply (strtoul base 10): optional sign, digits only, no leading space,
 * "" is 0, beyond 2^64-1 is an error, a '-' wraps modulo 2^64. Returns the canonical decimal text.
 */
export function parseScanCursorText(s: string): string {
  if (s.length === 0) return '0';
  let i = 0;
  const sign = s.charCodeAt(0);
  if (sign === 43 /* + */ || sign === 45 /* - */) i = 1;
  if (i === s.length) throw ERR_INVALID_CURSOR;
  for (let j = i; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) throw ERR_INVALID_CURSOR;
  }
  let v = BigInt(s.slice(i));
  if (v >= TWO64) throw ERR_INVALID_CURSOR;
  if (sign === 45 && v !== 0n) v = TWO64 - v;
  return v.toString();
}

/** Take up to `count` keys from an iteration; returns the keys and whether the iteration is over. */
function scanTake(st: ScanIteration, count: number): { keys: string[]; done: boolean } {
  const keys: string[] = [];
  if (st.pending !== undefined && count > 0) {
    keys.push(st.pending);
    st.pending = undefined;
  }
  while (keys.length < count) {
    const r = st.it.next();
    if (r.done) return { keys, done: true };
    keys.push(r.value);
  }
  const r = st.it.next();
  if (r.done) return { keys, done: true };
  st.pending = r.value;
  return { keys, done: false };
}

function scanCommand(ctx: Context, args: string[]): Reply {
  const db = ctx.db;
  const cursor = parseScanCursorText(args[1]);
  let count = 10;
  let pattern: string | null = null;
  let typeName: string | null = null;
  for (let i = 2; i < args.length; i += 2) {
    const more = args.length - i >= 2;
    const o = args[i];
    if (optIs(o, 'COUNT') && more) {
      const n = parseLongLong(args[i + 1]);
      if (n === null) throw ERR_NOT_INTEGER;
      if (n < 1) throw ERR_SYNTAX;
      count = Number(n);
    } else if (optIs(o, 'MATCH') && more) {
      const p = args[i + 1];
      pattern = p === '*' ? null : p;
    } else if (optIs(o, 'TYPE') && more) {
      typeName = cString(args[i + 1]).toLowerCase();
    } else {
      throw ERR_SYNTAX;
    }
  }

  const reg = scanRegistry(ctx.server);
  const wall = Date.now();
  let st = cursor === '0' ? undefined : reg.live.get(cursor);
  if (st !== undefined) reg.live.delete(cursor);
  if (st === undefined || st.db !== db) {
    st = { db, it: db.dict.keys(), pending: undefined, used: wall };
  }
  const { keys, done } = scanTake(st, count);
  let next = '0';
  if (!done) {
    next = String(reg.nextId++);
    st.used = wall;
    reg.live.set(next, st);
    // Bound the state: drop the least recently used iterations beyond the cap or idle too long.
    for (const [c, old] of reg.live) {
      if (reg.live.size <= MAX_SCAN_CURSORS && wall - old.used < SCAN_CURSOR_IDLE_MS) break;
      reg.live.delete(c);
    }
  }

  const out: string[] = [];
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i];
    if (pattern !== null && !globMatch(pattern, k)) continue;
    if (typeName !== null) {
      const v = lookupNoTouch(db, k);
      if ((v === undefined ? 'none' : typeOf(v)) !== typeName) continue;
    }
    if (db.expireIfNeeded(k) || !db.dict.has(k)) continue;
    out.push(k);
  }
  return [next, out];
}

// ---- RENAME / MOVE / COPY ----------------------------------------------------------------------------

function renameGeneric(ctx: Context, args: string[], nx: boolean): Reply {
  const db = ctx.db;
  const src = args[1];
  const dst = args[2];
  const v = db.peek(src);
  if (v === undefined) throw ERR_NO_SUCH_KEY;
  if (src === dst) return nx ? 0 : OK;
  const at = db.getExpire(src);
  if (db.peek(dst) !== undefined) {
    if (nx) return 0;
    db.delete(dst);
  }
  const enc = stringEncodingOf(db, src);
  db.delete(src);
  db.set(dst, v);
  forceStringEncoding(db, dst, enc);
  if (at !== undefined) db.setExpire(dst, at);
  ctx.server.dirty++;
  notifyKeyspaceEvent(ctx.server, NOTIFY_GENERIC, 'rename_from', src, db.id);
  notifyKeyspaceEvent(ctx.server, NOTIFY_GENERIC, 'rename_to', dst, db.id);
  return nx ? 1 : OK;
}

function copyCommand(ctx: Context, args: string[]): Reply {
  const src = ctx.db;
  let dst = ctx.db;
  let replace = false;
  for (let j = 3; j < args.length; j++) {
    const more = args.length - j - 1;
    if (optIs(args[j], 'REPLACE')) {
      replace = true;
    } else if (optIs(args[j], 'DB') && more >= 1) {
      dst = dbArg(ctx, args[j + 1]);
      j++;
    } else {
      throw ERR_SYNTAX;
    }
  }
  const key = args[1];
  const newkey = args[2];
  if (src === dst && key === newkey) throw ERR_SAME_OBJECT;
  const v = src.get(key);
  if (v === undefined) {
    src.readMiss(key); // Redis reads the source with lookupKeyRead
    return 0;
  }
  const at = src.getExpire(key);
  if (dst.peek(newkey) !== undefined) {
    if (!replace) return 0;
    dst.delete(newkey);
  }
  dst.set(newkey, cloneValue(v));
  forceStringEncoding(dst, newkey, stringEncodingOf(src, key));
  if (at !== undefined) dst.setExpire(newkey, at);
  // Dispatch marks the key positions in the selected db; the destination db is ours to signal.
  if (dst !== src) ctx.server.keyModified(dst, newkey);
  ctx.server.dirty++;
  notifyKeyspaceEvent(ctx.server, NOTIFY_GENERIC, 'copy_to', newkey, dst.id);
  return 1;
}

function moveCommand(ctx: Context, args: string[]): Reply {
  const src = ctx.db;
  const key = args[1];
  const dst = dbArg(ctx, args[2]);
  if (dst === src) throw ERR_SAME_OBJECT;
  const v = src.peek(key);
  if (v === undefined) return 0;
  const at = src.getExpire(key);
  if (dst.peek(key) !== undefined) return 0;
  dst.set(key, v);
  forceStringEncoding(dst, key, stringEncodingOf(src, key));
  if (at !== undefined) dst.setExpire(key, at);
  src.delete(key);
  ctx.server.keyModified(dst, key);
  ctx.server.dirty++;
  notifyKeyspaceEvent(ctx.server, NOTIFY_GENERIC, 'move_from', key, src.id);
  notifyKeyspaceEvent(ctx.server, NOTIFY_GENERIC, 'move_to', key, dst.id);
  return 1;
}

// ---- OBJECT ------------------------------------------------------------------------------------------

/** Whether Redis would store this string as one of its shared integer objects (OBJ_SHARED_INTEGERS). */
export function isSharedInteger(ctx: Context, v: string): boolean {
  if (v.length > 4 || v.length === 0) return false;
  const n = parseLongLong(v);
  if (n === null || n < 0) return false;
  const cfg = ctx.server.config;
  const policy = cfg.getString('maxmemory-policy');
  return cfg.getInt('maxmemory') === 0 || !(policy.includes('lru') || policy.includes('lfu'));
}

function lfuPolicy(ctx: Context): boolean {
  return ctx.server.config.getString('maxmemory-policy').includes('lfu');
}

/** Seconds since the key was last read or written (Redis's LRU clock has 1 s resolution too). */
function idleSeconds(db: Database, key: string): number {
  const last = db.accessOf(key);
  if (last === undefined) return 0;
  const idle = Math.floor(db.lruNow() / 1000) - last;
  return idle > 0 ? idle : 0;
}

const OBJECT_HELP = [
  'OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'ENCODING <key>',
  '    Return the kind of internal representation used in order to store the value',
  '    associated with a <key>.',
  'FREQ <key>',
  '    Return the access frequency index of the <key>. The returned integer is',
  '    proportional to the logarithm of the recent access frequency of the key.',
  'IDLETIME <key>',
  '    Return the idle time of the <key>, that is the approximated number of',
  '    seconds elapsed since the last access to the key.',
  'REFCOUNT <key>',
  '    Return the number of references of the value associated with the specified',
  '    <key>.',
  'HELP',
  '    Prints this help.',
].map((l) => new Status(l));

// ---- The command table -------------------------------------------------------------------------------

const EXPIRE_OPTS = '[NX | XX | GT | LT]';

/** COPY … DB n with n other than the current database (CommandSpec.otherDb). */
function copyOtherDb(args: string[], db: number): boolean {
  for (let j = 3; j < args.length; j++) {
    if (args[j].toLowerCase() !== 'db' || j + 1 >= args.length) continue;
    if (args[++j] !== String(db)) return true;
  }
  return false;
}

export const keysCommands: CommandSpec[] = [
  {
    name: 'del',
    arity: -2,
    flags: ['write'],
    keys: [1, -1, 1],
    group: 'keyspace',
    summary: 'Delete a key',
    since: '1.0.0',
    complexity:
      'O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).',
    syntax: 'key [key ...]',
    handler: delGeneric,
  },
  {
    name: 'unlink',
    arity: -2,
    flags: ['write', 'fast'],
    keys: [1, -1, 1],
    group: 'keyspace',
    summary: 'Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.',
    since: '4.0.0',
    complexity:
      'O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.',
    syntax: 'key [key ...]',
    handler: delGeneric,
  },
  {
    name: 'exists',
    arity: -2,
    flags: ['readonly', 'fast'],
    keys: [1, -1, 1],
    group: 'keyspace',
    summary: 'Determine if a key exists',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of keys to check.',
    syntax: 'key [key ...]',
    handler: (ctx, args) => {
      let n = 0;
      for (let i = 1; i < args.length; i++) if (lookupNoTouch(ctx.db, args[i]) !== undefined) n++;
      return n;
    },
  },
  {
    name: 'type',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: 'keyspace',
    summary: 'Determine the type stored at key',
    since: '1.0.0',
    complexity: 'O(1)',
    syntax: 'key',
    handler: (ctx, args) => {
      const v = lookupNoTouch(ctx.db, args[1]);
      return TYPE_STATUS[v === undefined ? 'none' : typeOf(v)];
    },
  },
  {
    name: 'expire',
    arity: -3,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    group: 'keyspace',
    summary: "Set a key's time to live in seconds",
    since: '1.0.0',
    complexity: 'O(1)',
    syntax: `key seconds ${EXPIRE_OPTS}`,
    propagate: propagateExpire,
    handler: (ctx, args) => expireGeneric(ctx, args, true, true, 'expire'),
  },
  {
    name: 'pexpire',
    arity: -3,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    group: 'keyspace',
    summary: "Set a key's time to live in milliseconds",
    since: '2.6.0',
    complexity: 'O(1)',
    syntax: `key milliseconds ${EXPIRE_OPTS}`,
    propagate: propagateExpire,
    handler: (ctx, args) => expireGeneric(ctx, args, true, false, 'pexpire'),
  },
  {
    name: 'expireat',
    arity: -3,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    group: 'keyspace',
    summary: 'Set the expiration for a key as a UNIX timestamp',
    since: '1.2.0',
    complexity: 'O(1)',
    syntax: `key unix-time-seconds ${EXPIRE_OPTS}`,
    propagate: propagateExpire,
    handler: (ctx, args) => expireGeneric(ctx, args, false, true, 'expireat'),
  },
  {
    name: 'pexpireat',
    arity: -3,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    group: 'keyspace',
    summary: 'Set the expiration for a key as a UNIX timestamp specified in milliseconds',
    since: '2.6.0',
    complexity: 'O(1)',
    syntax: `key unix-time-milliseconds ${EXPIRE_OPTS}`,
    handler: (ctx, args) => expireGeneric(ctx, args, false, false, 'pexpireat'),
  },
  {
    name: 'ttl',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: 'keyspace',
    summary: 'Get the time to live for a key in seconds',
    since: '1.0.0',
    complexity: 'O(1)',
    syntax: 'key',
    handler: (ctx, args) => ttlGeneric(ctx, args[1], false, false),
  },
  {
    name: 'pttl',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: 'keyspace',
    summary: 'Get the time to live for a key in milliseconds',
    since: '2.6.0',
    complexity: 'O(1)',
    syntax: 'key',
    handler: (ctx, args) => ttlGeneric(ctx, args[1], true, false),
  },
  {
    name: 'expiretime',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: 'keyspace',
    summary: 'Get the expiration Unix timestamp for a key',
    since: '7.0.0',
    complexity: 'O(1)',
    syntax: 'key',
    handler: (ctx, args) => ttlGeneric(ctx, args[1], false, true),
  },
  {
    name: 'pexpiretime',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: 'keyspace',
    summary: 'Get the expiration Unix timestamp for a key in milliseconds',
    since: '7.0.0',
    complexity: 'O(1)',
    syntax: 'key',
    handler: (ctx, args) => ttlGeneric(ctx, args[1], true, true),
  },
  {
    name: 'persist',
    arity: 2,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    group: 'keyspace',
    summary: 'Remove the expiration from a key',
    since: '2.2.0',
    complexity: 'O(1)',
    syntax: 'key',
    handler: (ctx, args) => {
      const db = ctx.db;
      if (db.peek(args[1]) === undefined || !db.persist(args[1])) return 0;
      ctx.server.dirty++;
      notifyKeyspaceEvent(ctx.server, NOTIFY_GENERIC, 'persist', args[1], db.id);
      return 1;
    },
  },
  {
    name: 'keys',
    arity: 2,
    flags: ['readonly'],
    keys: [0, 0, 0],
    group: 'keyspace dangerous',
    summary: 'Find all keys matching the given pattern',
    since: '1.0.0',
    complexity:
      'O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.',
    syntax: 'pattern',
    handler: keysCommand,
  },
  {
    name: 'scan',
    arity: -2,
    flags: ['readonly'],
    keys: [0, 0, 0],
    group: 'keyspace',
    summary: 'Incrementally iterate the keys space',
    since: '2.8.0',
    complexity:
      'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.',
    syntax: 'cursor [MATCH pattern] [COUNT count] [TYPE type]',
    handler: scanCommand,
  },
  {
    name: 'rename',
    arity: 3,
    flags: ['write'],
    keys: [1, 2, 1],
    group: 'keyspace',
    summary: 'Rename a key',
    since: '1.0.0',
    complexity: 'O(1)',
    syntax: 'key newkey',
    handler: (ctx, args) => renameGeneric(ctx, args, false),
  },
  {
    name: 'renamenx',
    arity: 3,
    flags: ['write', 'fast'],
    keys: [1, 2, 1],
    group: 'keyspace',
    summary: 'Rename a key, only if the new key does not exist',
    since: '1.0.0',
    complexity: 'O(1)',
    syntax: 'key newkey',
    handler: (ctx, args) => renameGeneric(ctx, args, true),
  },
  {
    name: 'copy',
    arity: -3,
    flags: ['write', 'denyoom'],
    keys: [1, 2, 1],
    otherDb: copyOtherDb,
    group: 'keyspace',
    summary: 'Copy a key',
    since: '6.2.0',
    complexity: 'O(N) worst case for collections, where N is the number of nested items. O(1) for string values.',
    syntax: 'source destination [DB destination-db] [REPLACE]',
    handler: copyCommand,
  },
  {
    name: 'move',
    arity: 3,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    otherDb: () => true,
    group: 'keyspace',
    summary: 'Move a key to another database',
    since: '1.0.0',
    complexity: 'O(1)',
    syntax: 'key db',
    handler: moveCommand,
  },
  {
    name: 'touch',
    arity: -2,
    flags: ['readonly', 'fast'],
    keys: [1, -1, 1],
    group: 'keyspace',
    summary: 'Alters the last access time of a key(s). Returns the number of existing keys specified.',
    since: '3.2.1',
    complexity: 'O(N) where N is the number of keys that will be touched.',
    syntax: 'key [key ...]',
    handler: (ctx, args) => {
      if (ctx.server.cluster !== null) return new ReplyError('ERR', 'MOVE is not allowed in cluster mode');
      let n = 0;
      for (let i = 1; i < args.length; i++) if (ctx.db.get(args[i]) !== undefined) n++;
      return n;
    },
  },
  {
    name: 'randomkey',
    arity: 1,
    flags: ['readonly'],
    keys: [0, 0, 0],
    group: 'keyspace',
    summary: 'Return a random key from the keyspace',
    since: '1.0.0',
    complexity: 'O(1)',
    handler: (ctx) => ctx.db.randomKey(),
  },
  {
    name: 'object',
    arity: -2,
    flags: [],
    keys: [0, 0, 0],
    group: 'keyspace',
    summary: 'A container for object introspection commands',
    since: '2.2.3',
    complexity: 'Depends on subcommand.',
    subcommands: [
      {
        name: 'encoding',
        arity: 3,
        flags: ['readonly'],
        keys: [2, 2, 1],
        group: 'keyspace',
        summary: 'Inspect the internal encoding of a Redis object',
        since: '2.2.3',
        complexity: 'O(1)',
        syntax: 'key',
        handler: (ctx, args) => {
          const v = lookupNoTouch(ctx.db, args[2], false);
          return v === undefined ? null : encodingOf(ctx.server.config, ctx.db, args[2], v);
        },
      },
      {
        name: 'freq',
        arity: 3,
        flags: ['readonly'],
        keys: [2, 2, 1],
        group: 'keyspace',
        summary: 'Get the logarithmic access frequency counter of a Redis object',
        since: '4.0.0',
        complexity: 'O(1)',
        syntax: 'key',
        handler: (ctx, args) => {
          const v = lookupNoTouch(ctx.db, args[2], false);
          if (v === undefined) return null;
          if (!lfuPolicy(ctx)) throw ERR_NO_LFU;
          return lfuCounter(ctx.db.accessOf(args[2]) ?? 0, ctx.db.lruNow(), ctx.db.lfu!);
        },
      },
      {
        name: 'idletime',
        arity: 3,
        flags: ['readonly'],
        keys: [2, 2, 1],
        group: 'keyspace',
        summary: 'Get the time since a Redis object was last accessed',
        since: '2.2.3',
        complexity: 'O(1)',
        syntax: 'key',
        handler: (ctx, args) => {
          const v = lookupNoTouch(ctx.db, args[2], false);
          if (v === undefined) return null;
          if (lfuPolicy(ctx)) throw ERR_LFU_IDLE;
          return idleSeconds(ctx.db, args[2]);
        },
      },
      {
        name: 'refcount',
        arity: 3,
        flags: ['readonly'],
        keys: [2, 2, 1],
        group: 'keyspace',
        summary: 'Get the number of references to the value of the key',
        since: '2.2.3',
        complexity: 'O(1)',
        syntax: 'key',
        // Values are never shared here, but Redis shares the objects of small integers (0..9999)
        // unless maxmemory is set with an LRU/LFU policy, and reports INT_MAX for them.
        handler: (ctx, args) => {
          const v = lookupNoTouch(ctx.db, args[2], false);
          if (v === undefined) return null;
          return typeof v === 'string' && isSharedInteger(ctx, v) ? 2147483647 : 1;
        },
      },
      {
        name: 'help',
        arity: 2,
        flags: ['loading', 'stale'],
        keys: [0, 0, 0],
        group: 'keyspace',
        summary: 'Show helpful text about the different subcommands',
        since: '6.2.0',
        complexity: 'O(1)',
        handler: () => OBJECT_HELP,
      },
    ],
  },
];
