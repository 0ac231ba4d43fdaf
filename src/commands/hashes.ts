// Hash commands: HSET HSETNX HGET HMGET HMSET HDEL HEXISTS HLEN HKEYS HVALS HGETALL HINCRBY
// HINCRBYFLOAT HSTRLEN HSCAN HRANDFIELD — Redis 7.0 semantics and error texts (t_hash.c).
//
// A hash is a Map<string,string> (field → value, latin1). Map iteration is insertion order and an
// update keeps a field's position, which is exactly the order of Redis's listpack encoding (used for
// hashes up to hash-max-listpack-entries fields of at most hash-max-listpack-value bytes): HGETALL,
// HKEYS, HSCAN and "whole hash" HRANDFIELD replies come out in the same order as Redis's for small
// hashes. An emptied hash is deleted.

import type { Database } from '../keyspace/db.js';
import {
  ERR_NOT_FLOAT,
  ERR_NOT_INTEGER,
  ERR_OVERFLOW,
  ERR_SYNTAX,
  ERR_WRONGTYPE,
  errArity,
  MapReply,
  OK,
  Reply,
  ReplyError,
} from '../protocol/reply.js';
import { incrByFloatText, INT64_MAX, INT64_MIN, parseDouble, parseInt64 } from '../util/numbers.js';
import {
  membersAdded,
  parseScanCursor,
  parseScanOptions,
  randomDistinct,
  randomMember,
  scanStep,
} from './scan-util.js';
import type { CommandSpec, Context } from './table.js';
import { propagateHincrByFloat } from './effects.js';
import { NOTIFY_HASH, notifyKeyspaceEvent } from '../server/notify.js';
import { checkSampledCount, ERR_SAMPLED_REPLY_TOO_LARGE, getHash, MAX_SAMPLED_REPLY_BYTES, removeMembers } from './util.js';
import { hashFieldSet, hashPairsSet } from '../keyspace/encoding.js';

const ERR_HASH_NOT_INT = new ReplyError('ERR', 'hash value is not an integer');
const ERR_HASH_NOT_FLOAT = new ReplyError('ERR', 'hash value is not a float');
const ERR_INCR_NAN_INF = new ReplyError('ERR', 'value is NaN or Infinity');
const ERR_RESULT_NAN_INF = new ReplyError('ERR', 'increment would produce NaN or Infinity');
const ERR_OUT_OF_RANGE = new ReplyError('ERR', 'value is out of range');
/** getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX) in Redis 7.0 (sic: "value must between"). */
export const ERR_COUNT_RANGE = new ReplyError(
  'ERR',
  'value is out of range, value must between -9223372036854775807 and 9223372036854775807',
);

/**
 * Look a hash up for writing (Redis's lookupKeyWrite): no keyspace hit/miss accounting, but the
 * access time is refreshed. WRONGTYPE for another type.
 */
function hashForWrite(db: Database, key: string): Map<string, string> | null {
  const v = db.peek(key);
  if (v === undefined) return null;
  if (!(v instanceof Map)) throw ERR_WRONGTYPE;
  db.touch(key);
  return v;
}

/** The hash at key for writing, created (empty, stored) when missing. */
function hashForWriteOrCreate(db: Database, key: string): Map<string, string> {
  let h = hashForWrite(db, key);
  if (h === null) {
    h = new Map();
    db.set(key, h);
  }
  return h;
}

// HSET / HMSET — one worker, the reply differs.
function hsetGeneric(ctx: Context, args: string[], isHmset: boolean): Reply {
  if ((args.length & 1) === 1) return errArity(isHmset ? 'hmset' : 'hset');
  const h = hashForWriteOrCreate(ctx.db, args[1]);
  const before = h.size;
  for (let i = 2; i < args.length; i += 2) h.set(args[i], args[i + 1]);
  hashPairsSet(ctx.server.config, h, args, 2);
  const created = h.size - before;
  if (created > 0) membersAdded(h);
  ctx.server.dirty += (args.length - 2) / 2;
  notifyKeyspaceEvent(ctx.server, NOTIFY_HASH, 'hset', args[1], ctx.db.id);
  return isHmset ? OK : created;
}

const HEX_FLOAT_RE = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const NUMERIC_RE = /^[+-]?(\d|\.\d)/;

/**
 * A long double the way Redis's string2ld reads it (strtold): decimal and hexadecimal floats, inf /
 * infinity; no spaces, no trailing bytes, no nan; overflow (ERANGE) is rejected. We compute in
 * doubles, so a finite decimal beyond the double range is rejected too (Redis's long double would
 * accept up to ~1.19e4932).
 */
function parseLongDouble(s: string): number | null {
  const d = parseDouble(s);
  if (d !== null) {
    if (!Number.isFinite(d) && NUMERIC_RE.test(s)) return null; // numeric text that overflowed
    return d;
  }
  const m = HEX_FLOAT_RE.exec(s);
  if (m === null || (m[2] === '' && (m[3] ?? '') === '')) return null;
  const int = m[2];
  const frac = m[3] ?? '';
  let v = 0;
  for (const ch of int + frac) v = v * 16 + parseInt(ch, 16);
  v *= 2 ** (Number(m[4] ?? '0') - 4 * frac.length);
  if (!Number.isFinite(v)) return null;
  return m[1] === '-' ? -v : v;
}

/** A count argument of HRANDFIELD / SRANDMEMBER: a long in [-LONG_MAX, LONG_MAX]. */
export function parseRandCount(s: string): bigint {
  const v = parseInt64(s);
  if (v === null) throw ERR_NOT_INTEGER;
  if (v === INT64_MIN) throw ERR_COUNT_RANGE;
  return v;
}

const HALF_LONG_MAX = INT64_MAX / 2n;

function hrandfieldWithCount(ctx: Context, h: Map<string, string> | null, l: number, withvalues: boolean): Reply {
  if (h === null) return [];
  if (l === 0) return [];
  const nested = withvalues && ctx.client.resp === 3;
  const out: Reply[] = [];
  const push = (f: string): void => {
    if (!withvalues) out.push(f);
    else if (nested) out.push([f, h.get(f)!]);
    else out.push(f, h.get(f)!);
  };
  // CASE 1: negative count — sampling with repetitions, in random order.
  if (l < 0 || l === 1) {
    const n = l < 0 ? -l : 1;
    checkSampledCount(withvalues ? n * 2 : n);
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const f = randomMember(h);
      bytes += f.length + 16 + (withvalues ? h.get(f)!.length + 16 : 0);
      if (bytes > MAX_SAMPLED_REPLY_BYTES) throw ERR_SAMPLED_REPLY_TOO_LARGE;
      push(f);
    }
    return out;
  }
  // CASE 2: the whole hash, in hash order.
  if (l >= h.size) {
    for (const f of h.keys()) push(f);
    return out;
  }
  // CASE 3/4: distinct random fields.
  for (const f of randomDistinct(h, l)) push(f);
  return out;
}

export const hashesCommands: CommandSpec[] = [
  {
    name: 'hset',
    arity: -4,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: 'hash',
    summary: 'Set the string value of a hash field',
    since: '2.0.0',
    complexity:
      'O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.',
    syntax: 'key field value [field value ...]',
    handler: (ctx, args) => hsetGeneric(ctx, args, false),
  },
  {
    name: 'hmset',
    arity: -4,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: 'hash',
    summary: 'Set multiple hash fields to multiple values',
    since: '2.0.0',
    complexity: 'O(N) where N is the number of fields being set.',
    syntax: 'key field value [field value ...]',
    handler: (ctx, args) => hsetGeneric(ctx, args, true),
  },
  {
    name: 'hsetnx',
    arity: 4,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: 'hash',
    summary: 'Set the value of a hash field, only if the field does not exist',
    since: '2.0.0',
    complexity: 'O(1)',
    syntax: 'key field value',
    handler: (ctx, args) => {
      const h = hashForWrite(ctx.db, args[1]);
      if (h !== null && h.has(args[2])) return 0;
      const t = h ?? hashForWriteOrCreate(ctx.db, args[1]);
      t.set(args[2], args[3]);
      hashFieldSet(ctx.server.config, t, args[2], args[3]);
      membersAdded(t);
      ctx.server.dirty++;
      notifyKeyspaceEvent(ctx.server, NOTIFY_HASH, 'hset', args[1], ctx.db.id);
      return 1;
    },
  },
  {
    name: 'hget',
    arity: 3,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: 'hash',
    summary: 'Get the value of a hash field',
    since: '2.0.0',
    complexity: 'O(1)',
    syntax: 'key field',
    handler: (ctx, args) => {
      const h = getHash(ctx.db, args[1]);
      if (h === null) return null;
      return h.get(args[2]) ?? null;
    },
  },
  {
    name: 'hmget',
    arity: -3,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: 'hash',
    summary: 'Get the values of all the given hash fields',
    since: '2.0.0',
    complexity: 'O(N) where N is the number of fields being requested.',
    syntax: 'key field [field ...]',
    handler: (ctx, args) => {
      const h = getHash(ctx.db, args[1]);
      const out: Reply[] = new Array(args.length - 2);
      for (let i = 2; i < args.length; i++) out[i - 2] = h === null ? null : (h.get(args[i]) ?? null);
      return out;
    },
  },
  {
    name: 'hdel',
    arity: -3,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    group: 'hash',
    summary: 'Delete one or more hash fields',
    since: '2.0.0',
    complexity: 'O(N) where N is the number of fields to be removed.',
    syntax: 'key field [field ...]',
    handler: (ctx, args) => {
      const h = hashForWrite(ctx.db, args[1]);
      return h === null ? 0 : removeMembers(ctx, args[1], h, args, 2, NOTIFY_HASH, 'hdel');
    },
  },
  {
    name: 'hexists',
    arity: 3,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: 'hash',
    summary: 'Determine if a hash field exists',
    since: '2.0.0',
    complexity: 'O(1)',
    syntax: 'key field',
    handler: (ctx, args) => {
      const h = getHash(ctx.db, args[1]);
      return h !== null && h.has(args[2]) ? 1 : 0;
    },
  },
  {
    name: 'hlen',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: 'hash',
    summary: 'Get the number of fields in a hash',
    since: '2.0.0',
    complexity: 'O(1)',
    syntax: 'key',
    handler: (ctx, args) => getHash(ctx.db, args[1])?.size ?? 0,
  },
  {
    name: 'hstrlen',
    arity: 3,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: 'hash',
    summary: 'Get the length of the value of a hash field',
    since: '3.2.0',
    complexity: 'O(1)',
    syntax: 'key field',
    handler: (ctx, args) => getHash(ctx.db, args[1])?.get(args[2])?.length ?? 0,
  },
  {
    name: 'hkeys',
    arity: 2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: 'hash',
    summary: 'Get all the fields in a hash',
    since: '2.0.0',
    complexity: 'O(N) where N is the size of the hash.',
    syntax: 'key',
    handler: (ctx, args) => {
      const h = getHash(ctx.db, args[1]);
      return h === null ? [] : Array.from(h.keys());
    },
  },
  {
    name: 'hvals',
    arity: 2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: 'hash',
    summary: 'Get all the values in a hash',
    since: '2.0.0',
    complexity: 'O(N) where N is the size of the hash.',
    syntax: 'key',
    handler: (ctx, args) => {
      const h = getHash(ctx.db, args[1]);
      return h === null ? [] : Array.from(h.values());
    },
  },
  {
    name: 'hgetall',
    arity: 2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: 'hash',
    summary: 'Get all the fields and values in a hash',
    since: '2.0.0',
    complexity: 'O(N) where N is the size of the hash.',
    syntax: 'key',
    handler: (ctx, args) => {
      const h = getHash(ctx.db, args[1]);
      if (h === null) return new MapReply([]);
      const flat: Reply[] = new Array(h.size * 2);
      let i = 0;
      for (const [f, v] of h) {
        flat[i++] = f;
        flat[i++] = v;
      }
      return new MapReply(flat);
    },
  },
  {
    name: 'hincrby',
    arity: 4,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: 'hash',
    summary: 'Increment the integer value of a hash field by the given number',
    since: '2.0.0',
    complexity: 'O(1)',
    syntax: 'key field increment',
    handler: (ctx, args) => {
      const incr = parseInt64(args[3]);
      if (incr === null) throw ERR_NOT_INTEGER;
      const h = hashForWrite(ctx.db, args[1]);
      const cur = h?.get(args[2]);
      let value = 0n;
      if (cur !== undefined) {
        const v = parseInt64(cur);
        if (v === null) throw ERR_HASH_NOT_INT;
        value = v;
      }
      const sum = value + incr;
      if (sum > INT64_MAX || sum < INT64_MIN) throw ERR_OVERFLOW;
      const t = h ?? hashForWriteOrCreate(ctx.db, args[1]);
      const text = sum.toString();
      t.set(args[2], text);
      hashFieldSet(ctx.server.config, t, args[2], text);
      if (cur === undefined) membersAdded(t);
      ctx.server.dirty++;
      notifyKeyspaceEvent(ctx.server, NOTIFY_HASH, 'hincrby', args[1], ctx.db.id);
      return sum >= -9007199254740991n && sum <= 9007199254740991n ? Number(sum) : sum;
    },
  },
  {
    name: 'hincrbyfloat',
    arity: 4,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: 'hash',
    summary: 'Increment the float value of a hash field by the given amount',
    since: '2.6.0',
    complexity: 'O(1)',
    syntax: 'key field increment',
    propagate: propagateHincrByFloat,
    handler: (ctx, args) => {
      const incr = parseLongDouble(args[3]);
      if (incr === null) throw ERR_NOT_FLOAT;
      if (!Number.isFinite(incr)) throw ERR_INCR_NAN_INF;
      const h = hashForWrite(ctx.db, args[1]);
      const cur = h?.get(args[2]);
      let value = 0;
      if (cur !== undefined) {
        const v = parseLongDouble(cur);
        if (v === null) throw ERR_HASH_NOT_FLOAT;
        value = v;
      }
      if (!Number.isFinite(value + incr)) throw ERR_RESULT_NAN_INF;
      // Same long-double arithmetic and %.17Lf output as INCRBYFLOAT (src/util/numbers.ts).
      const text = incrByFloatText(cur ?? null, args[3]);
      if (text === 'notfloat') throw ERR_HASH_NOT_FLOAT;
      if (text === 'naninf') throw ERR_RESULT_NAN_INF;
      const t = h ?? hashForWriteOrCreate(ctx.db, args[1]);
      t.set(args[2], text);
      hashFieldSet(ctx.server.config, t, args[2], text);
      if (cur === undefined) membersAdded(t);
      ctx.server.dirty++;
      notifyKeyspaceEvent(ctx.server, NOTIFY_HASH, 'hincrbyfloat', args[1], ctx.db.id);
      return text;
    },
  },
  {
    name: 'hscan',
    arity: -3,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: 'hash',
    summary: 'Incrementally iterate hash fields and associated values',
    since: '2.8.0',
    complexity:
      'O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..',
    syntax: 'key cursor [MATCH pattern] [COUNT count]',
    handler: (ctx, args) => {
      const cursor = parseScanCursor(args[2]);
      const h = getHash(ctx.db, args[1]);
      if (h === null) return ['0', []];
      const opts = parseScanOptions(args, 3);
      const [next, fields] = scanStep(
        {
          owner: h,
          members: () => h.keys(),
          has: (f) => h.has(f),
          size: h.size,
          compact: isCompactHash(ctx, h),
          tracksAdds: true,
        },
        cursor,
        opts,
      );
      const items: Reply[] = new Array(fields.length * 2);
      for (let i = 0; i < fields.length; i++) {
        items[2 * i] = fields[i];
        items[2 * i + 1] = h.get(fields[i])!;
      }
      return [next, items];
    },
  },
  {
    name: 'hrandfield',
    arity: -2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: 'hash',
    summary: 'Get one or multiple random fields from a hash',
    since: '6.2.0',
    complexity: 'O(N) where N is the number of fields returned',
    syntax: 'key [count [WITHVALUES]]',
    handler: (ctx, args) => {
      if (args.length >= 3) {
        const l = parseRandCount(args[2]);
        let withvalues = false;
        if (args.length > 4 || (args.length === 4 && args[3].toLowerCase() !== 'withvalues')) throw ERR_SYNTAX;
        if (args.length === 4) {
          withvalues = true;
          if (l < -HALF_LONG_MAX || l > HALF_LONG_MAX) throw ERR_OUT_OF_RANGE;
        }
        return hrandfieldWithCount(ctx, getHash(ctx.db, args[1]), Number(l), withvalues);
      }
      const h = getHash(ctx.db, args[1]);
      if (h === null) return null;
      return randomMember(h);
    },
  },
];

/** Whether Redis 7.0 would keep this hash as a listpack (HSCAN then returns it whole). */
function isCompactHash(ctx: Context, h: Map<string, string>): boolean {
  const cfg = ctx.server.config;
  if (h.size > cfg.getInt('hash-max-listpack-entries')) return false;
  const maxLen = cfg.getInt('hash-max-listpack-value');
  for (const [f, v] of h) if (f.length > maxLen || v.length > maxLen) return false;
  return true;
}
