// OBJECT ENCODING as Redis 7.0.15 would report it for the same value and the same history.
//
// Lodestone keeps one structure per type (Map, Set, Deque, SortedSet), so Redis's encodings are not
// real here; this module tracks what they would be, for OBJECT ENCODING and DEBUG OBJECT, cheaply:
//
//   - Hashes, sets, sorted sets: Redis converts listpack → hashtable, intset → hashtable and
//     listpack → skiplist once a write crosses a threshold, and never back (HDEL/SREM/ZREM do not
//     convert). A WeakMap from the collection object to its state (false = compact, true =
//     converted) follows the value through RENAME, MOVE and SWAPDB. The write paths call the
//     O(1) hooks below with the element they wrote, exactly where Redis checks (t_hash.c
//     hashTypeSet, t_set.c setTypeAdd, t_zset.c zsetAdd). A value whose state is not known yet
//     (created by a store command, the snapshot loader, another module) is classified from its
//     contents the first time a hook or OBJECT ENCODING sees it: a size check first, then a scan that
//     only runs while the size is within the limit, so it costs O(min(n, limit)) once.
//   - Lists are always `quicklist` in 7.0 (listpack lists came in 7.2), streams `stream`.
//   - Strings are computed from the value (int when a canonical integer in long range — Redis's
//     string2l — embstr up to 44 bytes, raw above), except that APPEND and SETRANGE leave Redis a
//     raw string and INCRBYFLOAT an embstr that is never int-encoded; Database.stringEnc remembers
//     those per key (cleared by every overwrite, carried by RENAME/MOVE/COPY).
//
// Thresholds are the config parameters (aliases: *-ziplist-* set the same values, server.ts).

import type { Config } from '../config/config.js';
import { BigString } from './bigstring.js';
import type { Database, RedisValue } from './db.js';
import { Deque } from './deque.js';
import { Stream } from './stream.js';
import type { SortedSet } from './zset.js';
import { parseLongLong } from '../util/numbers.js';

/** Collection → converted (hashtable / skiplist) or still compact (listpack / intset). */
const state = new WeakMap<object, boolean>();

/** Per-key string encodings a write forced (Database.stringEnc values). */
export const STR_RAW = 1;
/** INCRBYFLOAT: embstr or raw by length, never int. */
export const STR_NOINT = 2;

/** Redis's string2ll on a set member (isSdsRepresentableAsLongLong). */
function isInteger(s: string): boolean {
  return s.length <= 20 && parseLongLong(s) !== null;
}

function classifyHash(cfg: Config, h: Map<string, string>): boolean {
  if (h.size > cfg.getInt('hash-max-listpack-entries')) return true;
  const max = cfg.getInt('hash-max-listpack-value');
  for (const [f, v] of h) if (f.length > max || v.length > max) return true;
  return false;
}

function classifySet(cfg: Config, s: Set<string>): boolean {
  if (s.size > cfg.getInt('set-max-intset-entries')) return true;
  for (const m of s) if (!isInteger(m)) return true;
  return false;
}

function classifyZset(cfg: Config, z: SortedSet): boolean {
  if (z.size > cfg.getInt('zset-max-listpack-entries')) return true;
  const max = cfg.getInt('zset-max-listpack-value');
  for (const m of z.dict.keys()) if (m.length > max) return true;
  return false;
}

function classify(cfg: Config, v: object): boolean {
  if (v instanceof Map) return classifyHash(cfg, v as Map<string, string>);
  if (v instanceof Set) return classifySet(cfg, v as Set<string>);
  return classifyZset(cfg, v as SortedSet);
}

/** Whether the hash / set / sorted set is (would be) converted; classifies it on first sight. */
export function isConverted(cfg: Config, v: Map<string, string> | Set<string> | SortedSet): boolean {
  let s = state.get(v);
  if (s === undefined) {
    s = classify(cfg, v);
    state.set(v, s);
  }
  return s;
}

/**
 * Classify a collection a store command (SUNIONSTORE, ZUNIONSTORE …) just built, by the limits in
 * force now, as Redis does when it builds the result.
 */
export function settleEncoding(cfg: Config, v: Map<string, string> | Set<string> | SortedSet): void {
  state.set(v, classify(cfg, v));
}

/** The copy keeps the original's encoding (COPY, the undo log), like Redis's dup*Object. */
export function copyEncoding(from: object, to: object): void {
  const s = state.get(from);
  if (s !== undefined) state.set(to, s);
}

/** A collection's encoding state (undefined: not classified yet), for the undo log to put back. */
export function encodingState(v: object): boolean | undefined {
  return state.get(v);
}

/** Put back a state encodingState() returned (a rolled-back call may have converted the value). */
export function restoreEncodingState(v: object, s: boolean | undefined): void {
  if (s === undefined) state.delete(v);
  else state.set(v, s);
}

/** Force the big encoding (SORT converts a sorted set to a skiplist before sorting it). */
export function markConverted(v: object): void {
  state.set(v, true);
}

/** A field was set in a hash (HSET, HMSET, HSETNX, HINCRBY, HINCRBYFLOAT): hashTypeSet's checks. */
export function hashFieldSet(cfg: Config, h: Map<string, string>, field: string, value: string): void {
  const s = state.get(h);
  if (s === true) return;
  if (s === undefined) {
    state.set(h, classifyHash(cfg, h));
    return;
  }
  const max = cfg.getInt('hash-max-listpack-value');
  if (field.length > max || value.length > max || h.size > cfg.getInt('hash-max-listpack-entries')) {
    state.set(h, true);
  }
}

/** HSET / HMSET wrote the field-value pairs args[from..]: hashTypeTryConversion, then the size check. */
export function hashPairsSet(cfg: Config, h: Map<string, string>, args: string[], from: number): void {
  const s = state.get(h);
  if (s === true) return;
  if (s === undefined) {
    state.set(h, classifyHash(cfg, h));
    return;
  }
  if (h.size > cfg.getInt('hash-max-listpack-entries')) {
    state.set(h, true);
    return;
  }
  const max = cfg.getInt('hash-max-listpack-value');
  for (let i = from; i < args.length; i++) {
    if (args[i].length > max) {
      state.set(h, true);
      return;
    }
  }
}

/** A new member was added to a set (SADD, SMOVE): setTypeAdd's intset checks. */
export function setMemberAdded(cfg: Config, set: Set<string>, member: string): void {
  const s = state.get(set);
  if (s === true) return;
  if (s === undefined) {
    state.set(set, classifySet(cfg, set));
    return;
  }
  if (!isInteger(member) || set.size > cfg.getInt('set-max-intset-entries')) state.set(set, true);
}

/** SADD added members from args[from..] (a non-integer argument is always new to an intset). */
export function setArgsAdded(cfg: Config, set: Set<string>, args: string[], from: number): void {
  const s = state.get(set);
  if (s === true) return;
  if (s === undefined || set.size > cfg.getInt('set-max-intset-entries')) {
    state.set(set, s === undefined ? classifySet(cfg, set) : true);
    return;
  }
  for (let i = from; i < args.length; i++) {
    if (!isInteger(args[i])) {
      state.set(set, true);
      return;
    }
  }
}

/** A new member was inserted into a sorted set (ZADD, ZINCRBY, GEOADD): zsetAdd's listpack checks. */
export function zsetMemberAdded(cfg: Config, z: SortedSet, member: string): void {
  const s = state.get(z);
  if (s === true) return;
  if (s === undefined) {
    state.set(z, classifyZset(cfg, z));
    return;
  }
  if (member.length > cfg.getInt('zset-max-listpack-value') || z.size > cfg.getInt('zset-max-listpack-entries')) {
    state.set(z, true);
  }
}

/** Redis's encoding name for a string value stored at `key` of `db`. */
function stringEncoding(db: Database, key: string, v: string | BigString): string {
  if (v instanceof BigString) return 'raw';
  const forced = db.stringEnc.size === 0 ? undefined : db.stringEnc.get(key);
  if (forced === STR_RAW) return 'raw';
  // tryObjectEncoding: string2l on values up to 20 bytes, then embstr up to 44 bytes.
  if (forced === undefined && v.length <= 20 && parseLongLong(v) !== null) return 'int';
  return v.length <= 44 ? 'embstr' : 'raw';
}

/** OBJECT ENCODING's answer for the value stored at key. */
export function encodingOf(cfg: Config, db: Database, key: string, v: RedisValue): string {
  if (typeof v === 'string' || v instanceof BigString) return stringEncoding(db, key, v);
  if (v instanceof Deque) return 'quicklist';
  if (v instanceof Stream) return 'stream';
  if (v instanceof Map) return isConverted(cfg, v) ? 'hashtable' : 'listpack';
  if (v instanceof Set) return isConverted(cfg, v) ? 'hashtable' : 'intset';
  return isConverted(cfg, v) ? 'skiplist' : 'listpack';
}

/** A key's forced string encoding, to carry to where its value moves (RENAME, MOVE, COPY). */
export function stringEncodingOf(db: Database, key: string): number | undefined {
  return db.stringEnc.size === 0 ? undefined : db.stringEnc.get(key);
}

/** Record a forced string encoding (after the db.set that stored the value, which clears it). */
export function forceStringEncoding(db: Database, key: string, e: number | undefined): void {
  if (e !== undefined) db.stringEnc.set(key, e);
}
