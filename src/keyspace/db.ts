// One logical database (SELECT 0..15): the key → value dictionary, its expiry index and the hooks
// that let the rest of the server react to changes (WATCH, blocked clients, keyspace stats).
//
// Representation, chosen by measurement (1M keys, 3-byte values, RSS per key):
//   - keys and string values are latin1 JS strings (one char per byte, binary-safe). V8 stores them
//     as one-byte strings: ~184 B/key, against ~251 B/key with Buffer values and ~110 B/key in
//     Redis 7 — Buffers would miss the "within 2x of Redis" memory target.
//   - hashes are Map<string,string>, sets Set<string>, lists a Deque, sorted sets a SortedSet
//     (skip list + dict), streams a Stream (stream.ts); `typeOf` tells them apart with instanceof,
//     no wrapper per key.
//   - the dict is a KeyTable (keytable.ts): one hash lookup finds a key's value and its access slot
//     (LRU second / LFU counter), and a command that reads then writes a key finds it once.
//   - expiry times live in a Map (absolute ms), like Redis's `expires` dict, so keys without a TTL
//     pay nothing for the feature.
// Expiry is lazy (every lookup checks the TTL) plus an active cycle (activeExpireCycle) that walks the
// expires map with a resumable iterator, like Redis's sampling, with a time budget per run.
// `usedBytes` is the estimated heap cost of the data (memsize.ts), kept current by every method
// that changes dict/expires, plus `refresh` for collections changed in place; maxmemory evicts by it.

import { Deque } from './deque.js';
import { SortedSet } from './zset.js';
import { Stream } from './stream.js';
import { LfuParams, lfuTouch } from './lfu.js';
import { BigString } from './bigstring.js';
import { EXPIRE_BYTES, KEY_ENTRIES, keyBytes, stringBytes, valueBytes } from './memsize.js';
import type { SlotIndex } from '../cluster/slot.js';
import { KeyTable } from './keytable.js';
import { NOTIFY_EXPIRED, NOTIFY_KEY_MISS, NOTIFY_NEW } from '../server/notify.js';

export type RedisValue = string | BigString | Map<string, string> | Set<string> | Deque<string> | SortedSet | Stream;
export type TypeName = 'string' | 'hash' | 'set' | 'list' | 'zset' | 'stream';

export function typeOf(v: RedisValue): TypeName {
  if (typeof v === 'string' || v instanceof BigString) return 'string';
  if (v instanceof Map) return 'hash';
  if (v instanceof Set) return 'set';
  if (v instanceof Deque) return 'list';
  if (v instanceof Stream) return 'stream';
  return 'zset';
}

/** Time source; tests inject a fake one to move time without sleeping. */
export interface Clock {
  now(): number;
  /**
   * The LRU clock, in ms: the time a key access records (OBJECT IDLETIME, LRU/LFU eviction). Like
   * Redis's LRU_CLOCK, which serverCron refreshes, it may lag by up to 100 ms; clocks without it
   * use now(). It spares every key access a clock read (~60 ns on a VM, two per SET).
   */
  lruNow?(): number;
}

let lruMs = Date.now();
let lruTimer: NodeJS.Timeout | null = null;
/** Date.now() refreshed every 100 ms by an unref'd timer, started on first use. */
function cachedNow(): number {
  if (lruTimer === null) {
    lruMs = Date.now();
    lruTimer = setInterval(() => {
      lruMs = Date.now();
    }, 100);
    lruTimer.unref();
  }
  return lruMs;
}
export const systemClock: Clock = { now: () => Date.now(), lruNow: cachedNow };

export interface KeyspaceHooks {
  /**
   * A key was modified (written, deleted, expired): invalidates WATCH and client-side caches, wakes
   * blocked clients. `by` null: the server changed it itself (expiry), not the running command.
   */
  keyModified(db: Database, key: string, by?: null): void;
  /** A key was removed by expiry (lazy or active). */
  keyExpired(db: Database, key: string): void;
  /** notify-keyspace-events as a mask (server/notify.ts): tested before any keyEvent call. */
  readonly notifyFlags: number;
  /** Publish a keyspace notification (`new`, `expired`) — only called when its class is enabled. */
  keyEvent(type: number, event: string, key: string, dbid: number): void;
  /**
   * A read lookup missed (Redis's `keymiss`) — only called when the m class is enabled. `inWrite`:
   * reported by a write command whose Redis lookup is lookupKeyRead (Database.readMiss).
   */
  keyMiss(db: Database, key: string, inWrite?: boolean): void;
}

export class Database {
  /** key → value, with each key's access slot (accessOf / setAccess). */
  readonly dict = new KeyTable<RedisValue>();
  readonly expires = new Map<string, number>();
  /** Counters for INFO stats. */
  expiredKeys = 0;
  hits = 0;
  misses = 0;
  /** Estimated bytes of this db's keys, values and TTLs (memsize.ts). */
  usedBytes = 0;
  /** The estimate each collection value was last accounted at (strings are measured from the value). */
  private readonly collBytes = new Map<string, number>();
  private sweep: Iterator<[string, number]> | null = null;
  /** String encodings a write forced (APPEND/SETRANGE: raw, INCRBYFLOAT: not int), per key (encoding.ts). */
  readonly stringEnc = new Map<string, number>();
  /** LFU parameters while an LFU maxmemory-policy is selected (access then holds LFU counters). */
  lfu: LfuParams | null = null;
  /** Set while the AOF or a snapshot is replayed: keys are not expired lazily meanwhile (Redis's `server.loading`). */
  loading = false;
  /**
   * Set on a replica: keys are not expired here (the master sends DEL), but reads treat a key past
   * its TTL as absent (Redis's expireIfNeeded on a replica). The master's own commands run with
   * `loading` set, so they see such keys as they are.
   */
  hideExpired = false;
  /**
   * Called before delete() removes a key — the deletions no command's key positions announce
   * (maxmemory eviction, MIGRATE's source keys): a time-sliced RDB snapshot saves the key first.
   */
  readonly beforeDelete: ((db: Database, key: string) => void)[] = [];
  /** Keys by hash slot (CLUSTER COUNTKEYSINSLOT / GETKEYSINSLOT): only in cluster mode, else null. */
  slots: SlotIndex | null = null;

  constructor(
    readonly id: number,
    readonly clock: Clock,
    readonly hooks: KeyspaceHooks,
  ) {}

  get size(): number {
    return this.dict.size;
  }

  /** Delete the key if its TTL has passed. Returns true when it was expired. */
  expireIfNeeded(key: string, now = this.clock.now()): boolean {
    if (this.expires.size === 0 || this.loading) return false;
    const at = this.expires.get(key);
    if (at === undefined || at > now) return false;
    if (this.hideExpired) return true;
    const v = this.dict.get(key);
    if (v !== undefined) this.remove(key, v);
    else if (this.expires.delete(key)) this.usedBytes -= EXPIRE_BYTES; // a TTL without a key: never set by the commands
    this.expiredKeys++;
    if (this.hooks.notifyFlags & NOTIFY_EXPIRED) this.hooks.keyEvent(NOTIFY_EXPIRED, 'expired', key, this.id);
    this.hooks.keyExpired(this, key);
    this.hooks.keyModified(this, key, null);
    return true;
  }

  /** Look a key up for reading: expires it if due, records the access. */
  get(key: string): RedisValue | undefined {
    if (this.expires.size !== 0 && this.expireIfNeeded(key) && this.hideExpired) {
      this.misses++;
      return undefined;
    }
    const d = this.dict;
    const s = d.slot(key);
    if (s >= 0) {
      this.touchSlot(s);
      this.hits++;
      return d.at(s);
    }
    this.misses++;
    if (this.hooks.notifyFlags & NOTIFY_KEY_MISS) this.hooks.keyMiss(this, key);
    return undefined;
  }

  /**
   * A write command's lookup that Redis does with lookupKeyRead missed (SORT, BITOP and PFMERGE
   * sources, the *STORE sources …): `keymiss`, which the write's plain lookups do not publish.
   * Harmless from a read-only twin (SORT_RO …): there get() already reported it.
   */
  readMiss(key: string): void {
    if (this.hooks.notifyFlags & NOTIFY_KEY_MISS) this.hooks.keyMiss(this, key, true);
  }

  /** Look a key up without touching hit/miss stats or access time (internal use: TYPE, EXISTS, SCAN). */
  peek(key: string): RedisValue | undefined {
    if (this.expires.size !== 0 && this.expireIfNeeded(key) && this.hideExpired) return undefined;
    return this.dict.get(key);
  }

  has(key: string): boolean {
    return this.peek(key) !== undefined;
  }

  /**
   * Store a value. Clears the TTL unless keepTtl (SET KEEPTTL, in-place updates). Creating the key
   * is Redis's dbAdd, which publishes the `new` notification (not while loading: dbAddRDBLoad).
   */
  set(key: string, value: RedisValue, keepTtl = false): void {
    const d = this.dict;
    let s = d.slot(key);
    if (s < 0) {
      this.usedBytes += keyBytes(key);
      if (this.slots !== null) this.slots.add(key);
      if (this.hooks.notifyFlags & NOTIFY_NEW && !this.loading) this.hooks.keyEvent(NOTIFY_NEW, 'new', key, this.id);
      s = d.add(key, value);
      this.touchNew(s);
    } else {
      this.usedBytes -= this.unaccount(key, d.at(s));
      d.setAt(s, value);
      this.touchSlot(s);
    }
    if (this.stringEnc.size !== 0) this.stringEnc.delete(key);
    this.usedBytes += this.account(key, value);
    if (!keepTtl && this.expires.size !== 0 && this.expires.delete(key)) this.usedBytes -= EXPIRE_BYTES;
  }

  /**
   * Record an access to a key: its last access second (LRU, OBJECT IDLETIME), or — while an LFU
   * maxmemory-policy is selected (`lfu` set by Memory) — its LFU counter (lfu.ts). An overwritten
   * key keeps and bumps its counter, as Redis's dbSetValue keeps the old object's LFU.
   */
  touch(key: string): void {
    const s = this.dict.slot(key);
    if (s >= 0) this.touchSlot(s);
  }

  private touchSlot(s: number): void {
    const now = this.lruNow();
    const a = this.dict.access;
    if (this.lfu === null) a[s] = (now / 1000) | 0;
    else a[s] = lfuTouch(a[s], now, this.lfu);
  }

  /** A new key's access slot: now, or a new LFU counter. */
  private touchNew(s: number): void {
    const now = this.lruNow();
    this.dict.access[s] = this.lfu === null ? (now / 1000) | 0 : lfuTouch(undefined, now, this.lfu);
  }

  /**
   * The time an access records: the clock's LRU clock when it has one (Clock.lruNow). Whatever
   * compares against an access slot (idle time, LFU decay) reads this clock too, as Redis's
   * estimateObjectIdleTime reads LRU_CLOCK(): with now() an access recorded by a lagging LRU clock
   * just before a second boundary would already read as one second idle.
   */
  lruNow(): number {
    const clock = this.clock;
    return clock.lruNow !== undefined ? clock.lruNow() : clock.now();
  }

  /**
   * The key's access slot (LRU: last access in seconds; LFU: lfu.ts's packed counter), undefined
   * when the key is absent. Reading it is not an access.
   */
  accessOf(key: string): number | undefined {
    const s = this.dict.slot(key);
    return s < 0 ? undefined : this.dict.access[s];
  }

  /** Set a present key's access slot (RESTORE IDLETIME/FREQ, an RDB's LRU/LFU fields); clamped to 0 … 2^32-1. */
  setAccess(key: string, v: number): void {
    const s = this.dict.slot(key);
    if (s >= 0) this.dict.access[s] = v <= 0 ? 0 : v >= 0xffffffff ? 0xffffffff : v;
  }

  delete(key: string): boolean {
    if (this.expires.size !== 0 && this.expireIfNeeded(key) && this.hideExpired) return false;
    const v = this.dict.get(key);
    if (v === undefined) return false;
    if (this.beforeDelete.length !== 0) for (const fn of this.beforeDelete) fn(this, key);
    this.remove(key, v);
    return true;
  }

  /**
   * Delete without the expiry check: maxmemory eviction (evict.c deletes the chosen key as it is,
   * so a key past its TTL but not yet reaped is `evicted`, not `expired`). False when absent.
   */
  evict(key: string): boolean {
    const v = this.dict.get(key);
    if (v === undefined) return false;
    if (this.beforeDelete.length !== 0) for (const fn of this.beforeDelete) fn(this, key);
    this.remove(key, v);
    return true;
  }

  /** The map-entry part of usedBytes (dict, access and TTL entries), for INFO used_memory_overhead. */
  overheadBytes(): number {
    return this.dict.size * KEY_ENTRIES + this.expires.size * EXPIRE_BYTES;
  }

  /** Re-estimate a collection or BigString changed in place (called for every key a write modified). */
  refresh(key: string): void {
    const v = this.dict.get(key);
    if (v === undefined || typeof v === 'string') return;
    this.usedBytes -= this.collBytes.get(key) ?? 0;
    this.usedBytes += this.account(key, v);
  }

  private remove(key: string, v: RedisValue): void {
    this.dict.delete(key);
    if (this.slots !== null) this.slots.delete(key);
    if (this.stringEnc.size !== 0) this.stringEnc.delete(key);
    this.usedBytes -= keyBytes(key) + this.unaccount(key, v);
    if (this.expires.size !== 0 && this.expires.delete(key)) this.usedBytes -= EXPIRE_BYTES;
  }

  /**
   * The value's estimate, remembered for collections and BigStrings (their contents change without
   * a set()).
   */
  private account(key: string, v: RedisValue): number {
    if (typeof v === 'string') return stringBytes(v.length);
    const b = valueBytes(v);
    this.collBytes.set(key, b);
    return b;
  }

  /** The estimate the value was accounted at, forgotten. */
  private unaccount(key: string, v: RedisValue): number {
    if (typeof v === 'string') return stringBytes(v.length);
    const b = this.collBytes.get(key) ?? 0;
    this.collBytes.delete(key);
    return b;
  }

  /** Absolute expiry in ms, or undefined when the key has no TTL. */
  getExpire(key: string): number | undefined {
    return this.expires.get(key);
  }

  setExpire(key: string, atMs: number): void {
    const n = this.expires.size;
    this.expires.set(key, atMs);
    if (this.expires.size !== n) this.usedBytes += EXPIRE_BYTES;
  }

  persist(key: string): boolean {
    if (!this.expires.delete(key)) return false;
    this.usedBytes -= EXPIRE_BYTES;
    return true;
  }

  clear(): void {
    this.dict.clear();
    this.expires.clear();
    this.collBytes.clear();
    this.stringEnc.clear();
    if (this.slots !== null) this.slots.clear();
    this.usedBytes = 0;
    this.sweep = null;
  }

  /** Swap contents with another database (SWAPDB). */
  swapWith(other: Database): void {
    this.dict.swapWith(other.dict);
    const tmpE = new Map(this.expires);
    const tmpC = new Map(this.collBytes);
    const tmpS = new Map(this.stringEnc);
    for (const [m, src] of [
      [this.expires, other.expires],
      [this.collBytes, other.collBytes],
      [this.stringEnc, other.stringEnc],
    ] as [Map<string, unknown>, Map<string, unknown>][]) {
      m.clear();
      for (const [k, v] of src) m.set(k, v);
    }
    other.expires.clear();
    other.collBytes.clear();
    other.stringEnc.clear();
    for (const [k, v] of tmpS) other.stringEnc.set(k, v);
    for (const [k, v] of tmpE) other.expires.set(k, v);
    for (const [k, v] of tmpC) other.collBytes.set(k, v);
    [this.usedBytes, other.usedBytes] = [other.usedBytes, this.usedBytes];
    this.sweep = null;
    other.sweep = null;
  }

  /**
   * A random live key, or null (RANDOMKEY). O(1) per try, as Redis's dictGetFairRandomKey is: a
   * cursor over the dict that wraps around skips a random 0..63 keys (a Map has no random access;
   * a uniform pick would walk half the keyspace). Every key is reachable and the start moves on
   * each call, which is what RANDOMKEY's users (sampling, redis-cli tools) need.
   */
  randomKey(): string | null {
    for (let tries = 0; tries < 100 && this.dict.size > 0; tries++) {
      let k = this.nextRandomCursor();
      for (let skip = Math.floor(Math.random() * Math.min(64, this.dict.size)); skip > 0; skip--) k = this.nextRandomCursor();
      if (!this.expireIfNeeded(k)) return k;
    }
    return null;
  }

  private randomCursor: Iterator<string> | null = null;
  private nextRandomCursor(): string {
    let r = this.randomCursor?.next();
    if (!r || r.done) {
      this.randomCursor = this.dict.keys();
      r = this.randomCursor.next();
    }
    return r.value as string;
  }

  /**
   * Active expiry: examine up to `budget` keys with a TTL, continuing where the last run stopped,
   * and delete those that are due. Returns how many were examined and expired, so the caller can
   * repeat while a large share keeps expiring (Redis's 25% rule).
   */
  activeExpire(budget: number, now = this.clock.now()): { examined: number; expired: number } {
    let examined = 0;
    let expired = 0;
    if (this.expires.size === 0) return { examined, expired };
    if (!this.sweep) this.sweep = this.expires.entries();
    while (examined < budget) {
      const next = this.sweep.next();
      if (next.done) {
        this.sweep = null;
        break;
      }
      examined++;
      const [key, at] = next.value;
      if (at <= now && this.expireIfNeeded(key, now)) expired++;
    }
    return { examined, expired };
  }
}
