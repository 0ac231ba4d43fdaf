// Shared helpers for command handlers: typed key lookups that raise WRONGTYPE, and argument
// parsing with Redis's error texts. Handlers throw ReplyError; dispatch turns it into the reply.

import { Database, RedisValue } from '../keyspace/db.js';
import type { Context } from './table.js';
import { Deque } from '../keyspace/deque.js';
import { SortedSet } from '../keyspace/zset.js';
import { ERR_NOT_FLOAT, ERR_NOT_INTEGER, ERR_WRONGTYPE, ReplyError } from '../protocol/reply.js';
import { parseDouble, parseIntArg } from '../util/numbers.js';
import { NOTIFY_GENERIC, notifyKeyspaceEvent } from '../server/notify.js';

/** The string at key, null if missing; WRONGTYPE if another type. */
export function getString(db: Database, key: string): string | null {
  const v = db.get(key);
  if (v === undefined) return null;
  if (typeof v !== 'string') throw ERR_WRONGTYPE;
  return v;
}

export function getHash(db: Database, key: string): Map<string, string> | null {
  const v = db.get(key);
  if (v === undefined) return null;
  if (!(v instanceof Map)) throw ERR_WRONGTYPE;
  return v;
}

export function getSet(db: Database, key: string): Set<string> | null {
  const v = db.get(key);
  if (v === undefined) return null;
  if (!(v instanceof Set)) throw ERR_WRONGTYPE;
  return v;
}

export function getList(db: Database, key: string): Deque<string> | null {
  const v = db.get(key);
  if (v === undefined) return null;
  if (!(v instanceof Deque)) throw ERR_WRONGTYPE;
  return v;
}

export function getZSet(db: Database, key: string): SortedSet | null {
  const v = db.get(key);
  if (v === undefined) return null;
  if (!(v instanceof SortedSet)) throw ERR_WRONGTYPE;
  return v;
}

/** Any value, for commands that only need existence or type. */
export function getAny(db: Database, key: string): RedisValue | undefined {
  return db.get(key);
}

/** An integer argument, or `ERR value is not an integer or out of range`. */
export function intArg(s: string, err: ReplyError = ERR_NOT_INTEGER): number {
  const n = parseIntArg(s);
  if (n === null) throw err;
  return n;
}

/** A float argument, or `ERR value is not a valid float`. */
export function floatArg(s: string, err: ReplyError = ERR_NOT_FLOAT): number {
  const n = parseDouble(s);
  if (n === null) throw err;
  return n;
}

/**
 * Case-insensitive option compare: `opt` is an upper-case ASCII word (KEYS, NX, WITHSCORES …), `arg`
 * a latin1 argument. Compared char by char, folding only a-z (no latin1 letter upper-cases into
 * A-Z), so the answer is toUpperCase()'s without the string it would allocate per argument.
 */
export function isOpt(arg: string, opt: string): boolean {
  const n = opt.length;
  if (arg.length !== n) return false;
  for (let i = 0; i < n; i++) {
    const c = arg.charCodeAt(i);
    const o = opt.charCodeAt(i);
    if (c !== o && (c < 0x61 || c > 0x7a || c - 0x20 !== o)) return false;
  }
  return true;
}

/**
 * HDEL / SREM: delete args[from..] from the hash or set stored at `key`, deleting the key once
 * it is empty (Redis never keeps an empty container). Counts the removals as changes; returns them.
 * Publishes `event` (class `type`) when something was removed, then `del` if the key went.
 */
export function removeMembers(
  ctx: Context,
  key: string,
  c: Map<string, string> | Set<string>,
  args: string[],
  from: number,
  type: number,
  event: string,
): number {
  let deleted = 0;
  let keyRemoved = false;
  for (let i = from; i < args.length; i++) {
    if (c.delete(args[i])) {
      deleted++;
      if (c.size === 0) {
        ctx.db.delete(key);
        keyRemoved = true;
        break;
      }
    }
  }
  ctx.server.dirty += deleted;
  if (deleted > 0) {
    notifyKeyspaceEvent(ctx.server, type, event, key, ctx.db.id);
    if (keyRemoved) notifyKeyspaceEvent(ctx.server, NOTIFY_GENERIC, 'del', key, ctx.db.id);
  }
  return deleted;
}

/**
 * Replies that a tiny request can make arbitrarily large: SRANDMEMBER / HRANDFIELD / ZRANDMEMBER
 * with a negative count repeat members as often as asked (`SRANDMEMBER s -2147483648`). Redis streams
 * such a reply into an unbounded output buffer; in V8 an array of 2^31 entries, or a heap past its
 * limit, ends the whole process (a fatal error, not an exception). So Lodestone bounds what one
 * such reply may hold — a deliberate difference from Redis, documented in docs/SECURITY.md.
 */
export const MAX_SAMPLED_REPLY_ELEMENTS = 1 << 24;
export const MAX_SAMPLED_REPLY_BYTES = 512 * 1024 * 1024;
export const ERR_SAMPLED_REPLY_TOO_LARGE = new ReplyError(
  'ERR',
  `reply too large: a negative count may return at most ${MAX_SAMPLED_REPLY_ELEMENTS} elements and ${MAX_SAMPLED_REPLY_BYTES} bytes (see docs/SECURITY.md)`,
);

/** Throw ERR_SAMPLED_REPLY_TOO_LARGE unless `n` repetitions fit the bound. */
export function checkSampledCount(n: number | bigint): void {
  if (n > MAX_SAMPLED_REPLY_ELEMENTS) throw ERR_SAMPLED_REPLY_TOO_LARGE;
}
