// Set commands: SADD SREM SMEMBERS SISMEMBER SMISMEMBER SCARD SPOP SRANDMEMBER SMOVE SINTER SUNION
// SDIFF SINTERSTORE SUNIONSTORE SDIFFSTORE SINTERCARD SSCAN — Redis 7.0 semantics and error texts
// (t_set.c).
//
// A set is a Set<string> (latin1 members). Reply order: Redis 7.0 keeps a set of at most
// set-max-intset-entries integers as an intset, which iterates in ascending numeric order, and every
// other set as a hash table (arbitrary order). We reproduce the intset order for such sets
// (`ordered`), and use insertion order otherwise — any order is valid for a hash-table set, and
// clients/tests must not depend on it. An emptied set is deleted.

import type { Database } from '../keyspace/db.js';
import {
  ERR_SYNTAX,
  ERR_WRONGTYPE,
  Reply,
  ReplyError,
  SetReply,
} from '../protocol/reply.js';
import { parseInt64 } from '../util/numbers.js';
import { parseRandCount } from './hashes.js';
import {
  membersAdded,
  parseScanCursor,
  parseScanOptions,
  randomDistinct,
  randomMember,
  scanStep,
} from './scan-util.js';
import { setArgsAdded, setMemberAdded, settleEncoding } from '../keyspace/encoding.js';
import type { CommandSpec, Context } from './table.js';
import { propagateSpop } from './effects.js';
import { NOTIFY_GENERIC, NOTIFY_SET, notifyKeyspaceEvent } from '../server/notify.js';
import { checkSampledCount, ERR_SAMPLED_REPLY_TOO_LARGE, getSet, MAX_SAMPLED_REPLY_BYTES, removeMembers } from './util.js';

const ERR_NOT_POSITIVE = new ReplyError('ERR', 'value is out of range, must be positive');
const ERR_NUMKEYS = new ReplyError('ERR', 'numkeys should be greater than 0');
const ERR_NUMKEYS_ARGS = new ReplyError('ERR', "Number of keys can't be greater than number of args");
const ERR_LIMIT_NEGATIVE = new ReplyError('ERR', "LIMIT can't be negative");

/** Redis's lookupKeyWrite for a set: no hit/miss accounting, access time refreshed; WRONGTYPE. */
function setForWrite(db: Database, key: string): Set<string> | null {
  const v = db.peek(key);
  if (v === undefined) return null;
  if (!(v instanceof Set)) throw ERR_WRONGTYPE;
  db.touch(key);
  return v;
}

/** Redis's lookupKeyRead for a set that may be absent (counts as empty); WRONGTYPE otherwise. */
function setForRead(db: Database, key: string): Set<string> | null {
  return getSet(db, key);
}

const INT_RE = /^-?[1-9][0-9]*$|^0$/;

/** Whether s is a canonical signed 64-bit integer (Redis's string2ll / intset member test). */
function isInt64(s: string): boolean {
  if (s.length > 20 || !INT_RE.test(s)) return false;
  return s.length < 19 || parseInt64(s) !== null;
}

/**
 * The members in Redis 7.0's reply order: ascending numeric order when Redis would hold them as an
 * intset (all integers, at most set-max-intset-entries), otherwise insertion order.
 */
function ordered(ctx: Context, members: Iterable<string>, size: number): string[] {
  const arr = Array.from(members);
  if (size <= 1 || size > ctx.server.config.getInt('set-max-intset-entries')) return arr;
  let short = true;
  for (let i = 0; i < arr.length; i++) {
    const m = arr[i];
    if (!isInt64(m)) return arr;
    if (m.length > 15) short = false;
  }
  if (short) arr.sort((a, b) => Number(a) - Number(b));
  else arr.sort((a, b) => {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return arr;
}

function isIntset(ctx: Context, s: Set<string>): boolean {
  if (s.size > ctx.server.config.getInt('set-max-intset-entries')) return false;
  for (const m of s) if (!isInt64(m)) return false;
  return true;
}

/**
 * Store a computed set at dst (replacing any value, clearing its TTL) or delete dst when empty;
 * `event` is the command's notification (sinterstore, sunionstore, sdiffstore).
 */
function storeResult(ctx: Context, dst: string, result: Set<string>, event: string): number {
  if (result.size > 0) {
    settleEncoding(ctx.server.config, result);
    ctx.db.set(dst, result);
    ctx.server.dirty++;
    notifyKeyspaceEvent(ctx.server, NOTIFY_SET, event, dst, ctx.db.id);
    return result.size;
  }
  if (ctx.db.delete(dst)) {
    ctx.server.dirty++;
    notifyKeyspaceEvent(ctx.server, NOTIFY_GENERIC, 'del', dst, ctx.db.id);
  }
  return 0;
}

/** A source set of a *STORE command: Redis's lookupKeyRead, so a miss is a `keymiss`. */
function storeSource(ctx: Context, key: string): Set<string> | null {
  const s = setForRead(ctx.db, key);
  if (s === null) ctx.db.readMiss(key);
  return s;
}

/**
 * SINTER / SINTERSTORE / SINTERCARD / SMEMBERS. Every key is looked up (and type-checked) before
 * anything else; a missing key makes the result empty.
 */
function sinterGeneric(
  ctx: Context,
  keys: string[],
  dst: string | null,
  cardOnly: boolean,
  limit: number,
): Reply {
  const sets: Set<string>[] = [];
  let empty = false;
  for (const k of keys) {
    const s = dst !== null ? storeSource(ctx, k) : setForRead(ctx.db, k);
    if (s === null) empty = true;
    else sets.push(s);
  }
  if (empty) {
    if (dst !== null) return storeResult(ctx, dst, new Set(), 'sinterstore');
    return cardOnly ? 0 : new SetReply([]);
  }
  sets.sort((a, b) => a.size - b.size);
  const [first, ...rest] = sets;
  if (cardOnly) {
    let card = 0;
    outer: for (const m of first) {
      for (const s of rest) if (!s.has(m)) continue outer;
      card++;
      if (limit !== 0 && card === limit) break;
    }
    return card;
  }
  const result = new Set<string>();
  outer: for (const m of first) {
    for (const s of rest) if (!s.has(m)) continue outer;
    result.add(m);
  }
  if (dst !== null) return storeResult(ctx, dst, result, 'sinterstore');
  return new SetReply(ordered(ctx, result, result.size));
}

/** SUNION / SDIFF and their STORE variants. */
function sunionDiffGeneric(ctx: Context, keys: string[], dst: string | null, diff: boolean): Reply {
  const sets: (Set<string> | null)[] = [];
  for (const k of keys) sets.push(dst !== null ? storeSource(ctx, k) : setForRead(ctx.db, k));
  const result = new Set<string>();
  if (!diff) {
    for (const s of sets) if (s !== null) for (const m of s) result.add(m);
  } else if (sets[0] !== null) {
    const others = sets.slice(1).filter((s): s is Set<string> => s !== null && s.size > 0);
    outer: for (const m of sets[0]) {
      for (const s of others) if (s.has(m)) continue outer;
      result.add(m);
    }
  }
  if (dst !== null) return storeResult(ctx, dst, result, diff ? 'sdiffstore' : 'sunionstore');
  return new SetReply(ordered(ctx, result, result.size));
}

/**
 * A non-negative count (SPOP): Redis's getPositiveLongFromObjectOrReply, whose message is also used
 * for non-integers.
 */
function positiveCount(s: string): number {
  const v = parseInt64(s);
  if (v === null) throw ERR_NOT_POSITIVE;
  if (v < 0n) throw ERR_NOT_POSITIVE;
  return Number(v);
}

function spopWithCount(ctx: Context, args: string[]): Reply {
  const count = positiveCount(args[2]);
  const key = args[1];
  const s = setForWrite(ctx.db, key);
  if (s === null || count === 0) return new SetReply([]);
  if (count >= s.size) {
    // The whole set: reply with it and delete the key.
    const all = ordered(ctx, s, s.size);
    ctx.db.delete(key);
    ctx.server.dirty += all.length;
    notifyKeyspaceEvent(ctx.server, NOTIFY_SET, 'spop', key, ctx.db.id);
    notifyKeyspaceEvent(ctx.server, NOTIFY_GENERIC, 'del', key, ctx.db.id);
    return new SetReply(all);
  }
  const out: Reply[] = new Array(count);
  for (let i = 0; i < count; i++) {
    const m = randomMember(s, true);
    s.delete(m);
    out[i] = m;
  }
  // Redis 7.0 rebuilds the set from the few remaining members (SPOP_MOVE_STRATEGY_MUL = 5).
  if (s.size * 5 <= count) settleEncoding(ctx.server.config, s);
  ctx.server.dirty += count;
  notifyKeyspaceEvent(ctx.server, NOTIFY_SET, 'spop', key, ctx.db.id);
  return new SetReply(out);
}

function srandmemberWithCount(ctx: Context, args: string[]): Reply {
  const l = Number(parseRandCount(args[2]));
  const s = setForRead(ctx.db, args[1]);
  if (s === null || l === 0) return [];
  // CASE 1: negative count (or 1): sampling with repetitions.
  if (l < 0 || l === 1) {
    const n = l < 0 ? -l : 1;
    checkSampledCount(n);
    const out: Reply[] = [];
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const m = randomMember(s);
      bytes += m.length + 16;
      if (bytes > MAX_SAMPLED_REPLY_BYTES) throw ERR_SAMPLED_REPLY_TOO_LARGE;
      out.push(m);
    }
    return out;
  }
  // CASE 2: the whole set.
  if (l >= s.size) return ordered(ctx, s, s.size);
  // CASE 3/4: distinct members.
  return randomDistinct(s, l);
}

function keysFrom(args: string[], start: number): string[] {
  return args.slice(start);
}

export const setsCommands: CommandSpec[] = [
  {
    name: 'sadd',
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: 'set',
    summary: 'Add one or more members to a set',
    since: '1.0.0',
    complexity:
      'O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.',
    syntax: 'key member [member ...]',
    handler: (ctx, args) => {
      const db = ctx.db;
      let s = setForWrite(db, args[1]);
      if (s === null) {
        s = new Set();
        db.set(args[1], s);
      }
      const before = s.size;
      for (let i = 2; i < args.length; i++) s.add(args[i]);
      const added = s.size - before;
      if (added > 0) {
        setArgsAdded(ctx.server.config, s, args, 2);
        membersAdded(s);
        ctx.server.dirty += added;
        notifyKeyspaceEvent(ctx.server, NOTIFY_SET, 'sadd', args[1], db.id);
      }
      return added;
    },
  },
  {
    name: 'srem',
    arity: -3,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    group: 'set',
    summary: 'Remove one or more members from a set',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of members to be removed.',
    syntax: 'key member [member ...]',
    handler: (ctx, args) => {
      const s = setForWrite(ctx.db, args[1]);
      return s === null ? 0 : removeMembers(ctx, args[1], s, args, 2, NOTIFY_SET, 'srem');
    },
  },
  {
    name: 'smembers',
    arity: 2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: 'set',
    summary: 'Get all the members in a set',
    since: '1.0.0',
    complexity: 'O(N) where N is the set cardinality.',
    syntax: 'key',
    handler: (ctx, args) => {
      const s = setForRead(ctx.db, args[1]);
      if (s === null) return new SetReply([]);
      return new SetReply(ordered(ctx, s, s.size));
    },
  },
  {
    name: 'sismember',
    arity: 3,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: 'set',
    summary: 'Determine if a given value is a member of a set',
    since: '1.0.0',
    complexity: 'O(1)',
    syntax: 'key member',
    handler: (ctx, args) => (setForRead(ctx.db, args[1])?.has(args[2]) ? 1 : 0),
  },
  {
    name: 'smismember',
    arity: -3,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: 'set',
    summary: 'Returns the membership associated with the given elements for a set',
    since: '6.2.0',
    complexity: 'O(N) where N is the number of elements being checked for membership',
    syntax: 'key member [member ...]',
    handler: (ctx, args) => {
      const s = setForRead(ctx.db, args[1]);
      const out: Reply[] = new Array(args.length - 2);
      for (let i = 2; i < args.length; i++) out[i - 2] = s !== null && s.has(args[i]) ? 1 : 0;
      return out;
    },
  },
  {
    name: 'scard',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: 'set',
    summary: 'Get the number of members in a set',
    since: '1.0.0',
    complexity: 'O(1)',
    syntax: 'key',
    handler: (ctx, args) => setForRead(ctx.db, args[1])?.size ?? 0,
  },
  {
    name: 'spop',
    arity: -2,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    group: 'set',
    summary: 'Remove and return one or multiple random members from a set',
    since: '1.0.0',
    complexity: 'Without the count argument O(1), otherwise O(N) where N is the value of the passed count.',
    syntax: 'key [count]',
    propagate: propagateSpop,
    handler: (ctx, args) => {
      if (args.length === 3) return spopWithCount(ctx, args);
      if (args.length > 3) throw ERR_SYNTAX;
      const s = setForWrite(ctx.db, args[1]);
      if (s === null) return null;
      const m = randomMember(s, true);
      s.delete(m);
      notifyKeyspaceEvent(ctx.server, NOTIFY_SET, 'spop', args[1], ctx.db.id);
      if (s.size === 0) {
        ctx.db.delete(args[1]);
        notifyKeyspaceEvent(ctx.server, NOTIFY_GENERIC, 'del', args[1], ctx.db.id);
      }
      ctx.server.dirty++;
      return m;
    },
  },
  {
    name: 'srandmember',
    arity: -2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: 'set',
    summary: 'Get one or multiple random members from a set',
    since: '1.0.0',
    complexity:
      'Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.',
    syntax: 'key [count]',
    handler: (ctx, args) => {
      if (args.length === 3) return srandmemberWithCount(ctx, args);
      if (args.length > 3) throw ERR_SYNTAX;
      const s = setForRead(ctx.db, args[1]);
      if (s === null) return null;
      return randomMember(s);
    },
  },
  {
    name: 'smove',
    arity: 4,
    flags: ['write', 'fast'],
    keys: [1, 2, 1],
    group: 'set',
    summary: 'Move a member from one set to another',
    since: '1.0.0',
    complexity: 'O(1)',
    syntax: 'source destination member',
    handler: (ctx, args) => {
      const db = ctx.db;
      const srcVal = db.peek(args[1]);
      const dstVal = db.peek(args[2]);
      const member = args[3];
      if (srcVal === undefined) return 0;
      if (!(srcVal instanceof Set)) throw ERR_WRONGTYPE;
      if (dstVal !== undefined && !(dstVal instanceof Set)) throw ERR_WRONGTYPE;
      const src = setForWrite(db, args[1])!;
      let dst = dstVal === undefined ? null : setForWrite(db, args[2]);
      if (src === dst) return src.has(member) ? 1 : 0;
      if (!src.delete(member)) return 0;
      notifyKeyspaceEvent(ctx.server, NOTIFY_SET, 'srem', args[1], db.id);
      if (src.size === 0) {
        db.delete(args[1]);
        notifyKeyspaceEvent(ctx.server, NOTIFY_GENERIC, 'del', args[1], db.id);
      }
      if (dst === null) {
        dst = new Set();
        db.set(args[2], dst);
      }
      ctx.server.dirty++;
      if (!dst.has(member)) {
        dst.add(member);
        setMemberAdded(ctx.server.config, dst, member);
        membersAdded(dst);
        ctx.server.dirty++;
        notifyKeyspaceEvent(ctx.server, NOTIFY_SET, 'sadd', args[2], db.id);
      }
      return 1;
    },
  },
  {
    name: 'sinter',
    arity: -2,
    flags: ['readonly'],
    keys: [1, -1, 1],
    group: 'set',
    summary: 'Intersect multiple sets',
    since: '1.0.0',
    complexity: 'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.',
    syntax: 'key [key ...]',
    handler: (ctx, args) => sinterGeneric(ctx, keysFrom(args, 1), null, false, 0),
  },
  {
    name: 'sinterstore',
    arity: -3,
    flags: ['write', 'denyoom'],
    keys: [1, -1, 1],
    group: 'set',
    summary: 'Intersect multiple sets and store the resulting set in a key',
    since: '1.0.0',
    complexity: 'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.',
    syntax: 'destination key [key ...]',
    handler: (ctx, args) => sinterGeneric(ctx, keysFrom(args, 2), args[1], false, 0),
  },
  {
    name: 'sintercard',
    arity: -3,
    flags: ['readonly'],
    keys: [0, 0, 0],
    getKeys: (args) => {
      const n = parseInt64(args[1] ?? '');
      const out: number[] = [];
      if (n === null || n < 1n) return out;
      const end = Math.min(args.length, 2 + Number(n));
      for (let i = 2; i < end; i++) out.push(i);
      return out;
    },
    group: 'set',
    summary: 'Intersect multiple sets and return the cardinality of the result',
    since: '7.0.0',
    complexity: 'O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.',
    syntax: 'numkeys key [key ...] [LIMIT limit]',
    handler: (ctx, args) => {
      // getRangeLongFromObjectOrReply(1, LONG_MAX, "numkeys should be greater than 0"): the message
      // is used for non-integers too.
      const nk = parseInt64(args[1]);
      if (nk === null || nk < 1n) throw ERR_NUMKEYS;
      if (nk > BigInt(args.length - 2)) throw ERR_NUMKEYS_ARGS;
      const numkeys = Number(nk);
      let limit = 0;
      for (let j = 2 + numkeys; j < args.length; j++) {
        const more = args.length - 1 - j;
        if (args[j].toUpperCase() === 'LIMIT' && more > 0) {
          j++;
          const v = parseInt64(args[j]);
          if (v === null || v < 0n) throw ERR_LIMIT_NEGATIVE;
          limit = Number(v);
        } else {
          throw ERR_SYNTAX;
        }
      }
      return sinterGeneric(ctx, args.slice(2, 2 + numkeys), null, true, limit);
    },
  },
  {
    name: 'sunion',
    arity: -2,
    flags: ['readonly'],
    keys: [1, -1, 1],
    group: 'set',
    summary: 'Add multiple sets',
    since: '1.0.0',
    complexity: 'O(N) where N is the total number of elements in all given sets.',
    syntax: 'key [key ...]',
    handler: (ctx, args) => sunionDiffGeneric(ctx, keysFrom(args, 1), null, false),
  },
  {
    name: 'sunionstore',
    arity: -3,
    flags: ['write', 'denyoom'],
    keys: [1, -1, 1],
    group: 'set',
    summary: 'Add multiple sets and store the resulting set in a key',
    since: '1.0.0',
    complexity: 'O(N) where N is the total number of elements in all given sets.',
    syntax: 'destination key [key ...]',
    handler: (ctx, args) => sunionDiffGeneric(ctx, keysFrom(args, 2), args[1], false),
  },
  {
    name: 'sdiff',
    arity: -2,
    flags: ['readonly'],
    keys: [1, -1, 1],
    group: 'set',
    summary: 'Subtract multiple sets',
    since: '1.0.0',
    complexity: 'O(N) where N is the total number of elements in all given sets.',
    syntax: 'key [key ...]',
    handler: (ctx, args) => sunionDiffGeneric(ctx, keysFrom(args, 1), null, true),
  },
  {
    name: 'sdiffstore',
    arity: -3,
    flags: ['write', 'denyoom'],
    keys: [1, -1, 1],
    group: 'set',
    summary: 'Subtract multiple sets and store the resulting set in a key',
    since: '1.0.0',
    complexity: 'O(N) where N is the total number of elements in all given sets.',
    syntax: 'destination key [key ...]',
    handler: (ctx, args) => sunionDiffGeneric(ctx, keysFrom(args, 2), args[1], true),
  },
  {
    name: 'sscan',
    arity: -3,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: 'set',
    summary: 'Incrementally iterate Set elements',
    since: '2.8.0',
    complexity:
      'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..',
    syntax: 'key cursor [MATCH pattern] [COUNT count]',
    handler: (ctx, args) => {
      const cursor = parseScanCursor(args[2]);
      const s = setForRead(ctx.db, args[1]);
      if (s === null) return ['0', []];
      const opts = parseScanOptions(args, 3);
      const compact = isIntset(ctx, s);
      const [next, members] = scanStep(
        {
          owner: s,
          members: () => (compact ? ordered(ctx, s, s.size) : s.keys()),
          has: (m) => s.has(m),
          size: s.size,
          compact,
          tracksAdds: true,
        },
        cursor,
        opts,
      );
      return [next, members];
    },
  },
];
