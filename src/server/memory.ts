// maxmemory: Redis 7's performEvictions and the OOM rejection of processCommand, in one place.
//
// Used memory is the dataset estimate the databases keep incrementally (src/keyspace/memsize.ts),
// not process.memoryUsage(): it is cheap to read before every command and deterministic, so the same
// commands evict the same keys. To it are added, as Redis counts them in used_memory too, what the
// WASM registry holds (instances' linear memory, module and compiled code; registry.memory()) and
// the clients' query and output buffers (recomputed by cron(), 10 times a second at hz 10). INFO
// used_memory reports this sum.
//
// What the process really uses is more than what it holds live: V8 frees garbage only at its next
// major GC, and by default lets the old generation grow to up to 4x the live heap first, so under a
// write flood that evicts (every SET of a new key turns an evicted value into garbage) RSS reached 6x
// maxmemory (bench/results/memory-flood.md). Two things bound it while maxmemory is set:
//   - V8 is told to grow its heap by at most HEAP_GROWING_PERCENT before a major GC and to keep its
//     young generation small (SEMI_SPACE_MB), so garbage is collected while it is a fraction of the
//     live heap (v8.setFlagsFromString; these flags are read by V8 at each GC, and restored to V8's
//     defaults when maxmemory goes back to 0);
//   - cron() compares RSS with startup RSS + maxmemory x (1 + RSS_MARGIN); while it is above, the
//     eviction target is lowered below maxmemory (up to MAX_SQUEEZE of it), so the dataset - and
//     with it the garbage it churns - shrinks until RSS is back within the margin. noeviction never
//     evicts, so it only gets the GC flags; nor does a maxmemory under RSS_FEEDBACK_MIN (32 MB).
//
// Eviction follows evict.c:
//   - before each command (when maxmemory is set), while used > maxmemory, evict one key per policy;
//   - LRU / TTL policies sample `maxmemory-samples` keys per database per round into a 16-entry
//     eviction pool kept sorted by score (idle seconds from Database.accessOf, or for volatile-ttl the
//     nearness of the expiry), and evict the best-scored key left in the pool (evictionPoolPopulate);
//   - random policies take one key from a database chosen round-robin;
//   - volatile-* consider only keys with a TTL; when nothing can be evicted (noeviction, or no key
//     qualifies) the result is "fail" and commands flagged denyoom are rejected with -OOM.
// Differences, on purpose:
//   - Samples are consecutive keys from a resumable cursor over the dict/expires Map (random access
//     into a JS Map is O(n)); Redis's dictGetSomeKeys also takes neighbouring buckets from a random
//     start. The cursor walks the whole keyspace over successive rounds. Random policies advance it
//     by a random stride, so they are random-ish rather than uniform.
//   - A pool entry whose key was touched (or whose TTL changed) since it was sampled is dropped
//     instead of evicted on stale data (Redis evicts on the stale idle time).
//   - allkeys-lfu / volatile-lfu score by Redis's LFU counter (src/keyspace/lfu.ts: 16-bit minutes +
//     8-bit Morris counter, lfu-log-factor, lfu-decay-time), kept in the per-key access slot while
//     such a policy is selected: the lower the decayed counter, the better the candidate.
//   - The time budget per call is 5 ms after at least 64 evictions (Redis: 500 µs at
//     maxmemory-eviction-tenacity 10); the rest continues on setImmediate, like Redis's
//     evictionTimeProc, and the command meanwhile is not rejected (EVICT_RUNNING).
//   - mem_not_counted_for_evict is 0: the estimate holds no replication or AOF buffers.

import { performance } from 'node:perf_hooks'; // the module's, not the global getter (~20 ns a read)
import { addLatencySample } from './latency.js';
import v8 from 'node:v8';
import type { Command } from '../commands/table.js';
import type { Database } from '../keyspace/db.js';
import { lfuCounter, type LfuParams } from '../keyspace/lfu.js';
import { ReplyError } from '../protocol/reply.js';
import type { Client } from './client.js';
import type { Server } from './server.js';
import { NOTIFY_EVICTED, notifyKeyspaceEvent } from './notify.js';

/** What eviction samples keys from: a db's dict (all keys) or its expires map (keys with a TTL). */
interface KeyedTable {
  readonly size: number;
  keys(): Iterator<string>;
  has(key: string): boolean;
}

export const ERR_OOM = new ReplyError('OOM', "command not allowed when used memory > 'maxmemory'.");

const POOL_SIZE = 16;
const BUDGET_MS = 5;
const MIN_PER_CALL = 64;
/** Commands Redis still runs inside MULTI under OOM (processCommand's reject_cmd_on_oom). */
const MULTI_OOM_EXEMPT = new Set(['exec', 'discard', 'quit', 'reset']);
/** An encoder's initial buffer (protocol/encoder.ts INITIAL): not counted per client. */
const ENCODER_INITIAL = 16 * 1024;
/** RSS allowed above startup RSS, as a fraction of maxmemory, before eviction is pushed below maxmemory. */
export const RSS_MARGIN = 0.5;
/**
 * The RSS feedback applies from this maxmemory up: below it, what the runtime itself moves by (JIT
 * code, socket buffers, V8's page pools: tens of MB) dwarfs the data, and evicting cannot bound it.
 */
const RSS_FEEDBACK_MIN = 32 * 1024 * 1024;
/** The eviction target never goes lower than maxmemory x (1 - MAX_SQUEEZE). */
const MAX_SQUEEZE = 0.5;
/** V8 heap growth before a major GC while maxmemory is set (V8's own default is dynamic, up to 300%). */
const HEAP_GROWING_PERCENT = 15;
/** V8 semi-space size while maxmemory is set (V8's default grows to 16 MB, a 48 MB young generation). */
const SEMI_SPACE_MB = 4;

/** Tell V8 to collect garbage early (maxmemory set) or go back to its defaults. */
function tuneGc(bounded: boolean): void {
  try {
    v8.setFlagsFromString(`--heap-growing-percent=${bounded ? HEAP_GROWING_PERCENT : 0}`);
    v8.setFlagsFromString(`--max-semi-space-size=${bounded ? SEMI_SPACE_MB : 16}`);
  } catch {
    // an engine without these flags: the RSS feedback in cron() still bounds the process
  }
}

type Result = 'ok' | 'running' | 'fail';

interface PoolEntry {
  db: number;
  key: string;
  /** Higher is evicted first: idle seconds, or (volatile-ttl) MAX_SAFE_INTEGER - expiry. */
  score: number;
  /** The access time / expiry the score was computed from; a different value now means stale. */
  stamp: number;
}

export class Memory {
  maxmemory = 0;
  policy = 'noeviction';
  samples = 5;
  /** INFO stats evicted_keys. */
  evictedKeys = 0;
  private readonly pool: PoolEntry[] = [];
  /** Sampling cursor per map (a db's dict or its expires). */
  private readonly cursors = new WeakMap<KeyedTable, Iterator<string>>();
  private nextDb = 0;
  private continuing = false;
  /** Client query + output buffers, bytes (cron()). */
  clientBytes = 0;
  /** RSS when the server was created, before any data: the process's own baseline. */
  readonly baselineRss = process.memoryUsage.rss();
  /** Bytes the eviction target is currently lowered below maxmemory because RSS is over its margin. */
  squeeze = 0;
  private gcTuned = false;

  constructor(private readonly server: Server) {
    const cfg = server.config;
    const load = () => {
      this.maxmemory = cfg.getInt('maxmemory');
      const policy = cfg.getString('maxmemory-policy');
      // Volatile and all-keys candidates live in different maps, and scores differ per policy.
      if (policy !== this.policy) this.pool.length = 0;
      this.policy = policy;
      this.samples = cfg.getInt('maxmemory-samples');
      if ((this.maxmemory > 0) !== this.gcTuned) {
        this.gcTuned = this.maxmemory > 0;
        tuneGc(this.gcTuned);
      }
      if (this.maxmemory === 0) this.squeeze = 0;
      const lfu: LfuParams | null = policy.endsWith('-lfu')
        ? { logFactor: cfg.getInt('lfu-log-factor'), decayTime: cfg.getInt('lfu-decay-time') }
        : null;
      for (const db of server.dbs) db.lfu = lfu;
    };
    load();
    cfg.onChange('maxmemory-policy', load);
    cfg.onChange('lfu-log-factor', load);
    cfg.onChange('lfu-decay-time', load);
    cfg.onChange('maxmemory-samples', load);
    cfg.onChange('maxmemory', () => {
      load();
      // Redis's updateMaxmemory: warn, then start evicting in the background (startEvictionTimeProc).
      const used = this.used();
      if (this.maxmemory !== 0 && used > this.maxmemory) {
        server.log.warn(
          `WARNING: the new maxmemory value set via CONFIG SET (${this.maxmemory}) is smaller than the current memory usage (${used}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.`,
        );
        this.continueLater();
      }
    });
  }

  /**
   * The figure maxmemory is compared with (INFO used_memory): the dataset estimate of every db,
   * plus WASM (instances, code) and client buffers.
   */
  used(): number {
    let n = this.clientBytes;
    for (const db of this.server.dbs) n += db.usedBytes;
    const w = this.server.wasm;
    if (w) n += w.memory().total;
    return n;
  }

  /** What eviction brings used memory down to: maxmemory, lowered while RSS is over its margin. */
  target(): number {
    return this.maxmemory - this.squeeze;
  }

  /**
   * Recompute clientBytes: every client's query buffer (unparsed input), output not yet taken by the
   * kernel, and its encoder buffer when it grew past its initial size (the fixed 16 KB every
   * connection starts with is left out, as Redis leaves out its startup memory). A client that is
   * reading its replies holds none of it between commands.
   */
  refreshClients(): number {
    let n = 0;
    for (const c of this.server.clients.values()) {
      const enc = c.enc.buf.length;
      n += c.parser.pending + c.outputPending + (enc > ENCODER_INITIAL ? enc : 0);
    }
    this.clientBytes = n;
    return n;
  }

  /**
   * serverCron's memory step: refresh the client-buffer figure, then the RSS feedback (see the top
   * of this file): squeeze grows by half the excess per tick while RSS is over
   * baselineRss + maxmemory x (1 + RSS_MARGIN), and relaxes by 1% of maxmemory per tick once RSS is
   * 5% of maxmemory under it; eviction runs whenever used memory is over the target.
   */
  cron(): void {
    this.refreshClients();
    if (this.maxmemory === 0) return;
    if (this.policy !== 'noeviction' && this.maxmemory >= RSS_FEEDBACK_MIN) {
      const rss = process.memoryUsage.rss();
      const allowed = this.baselineRss + this.maxmemory * (1 + RSS_MARGIN);
      if (rss > allowed) this.squeeze = Math.min(this.maxmemory * MAX_SQUEEZE, this.squeeze + (rss - allowed) / 2);
      else if (rss < allowed - this.maxmemory * 0.05) this.squeeze = Math.max(0, this.squeeze - this.maxmemory * 0.01);
    } else {
      this.squeeze = 0;
    }
    if (this.used() > this.target()) this.performEvictions();
  }

  /**
   * processCommand's maxmemory step (call only when maxmemory is set): evict as needed, then the
   * OOM error when memory could not be freed and Redis would reject this command, else null.
   */
  admit(client: Client, cmd: Command): ReplyError | null {
    // The server's own replays (internal client, no socket) are exempt, like Redis's loading.
    if (!client.socket) return null;
    if (this.performEvictions() !== 'fail') return null;
    return rejectOnOom(client, cmd) ? ERR_OOM : null;
  }

  /** Evict until used <= maxmemory. "fail" when over the limit and nothing can be evicted. */
  performEvictions(): Result {
    if (this.maxmemory === 0 || !this.safe()) return 'ok';
    const target = this.target();
    if (this.used() <= target) return 'ok';
    if (this.policy === 'noeviction') return 'fail';
    const t0 = performance.now();
    let n = 0;
    try {
      while (this.used() > target) {
        // Nothing left to evict: an error only when over maxmemory itself (not just the RSS squeeze).
        if (!this.evictOne()) return this.used() > this.maxmemory ? 'fail' : 'ok';
        if (++n >= MIN_PER_CALL && performance.now() - t0 > BUDGET_MS) {
          this.continueLater();
          return 'running';
        }
      }
      return 'ok';
    } finally {
      // Redis: latencyAddSampleIfNeeded("eviction-cycle", …) for the whole loop.
      addLatencySample(this.server, 'eviction-cycle', Math.floor(performance.now() - t0));
    }
  }

  /** Redis's isSafeToPerformEvictions: not while clients are paused (the dataset must stay static). */
  private safe(): boolean {
    const until = this.server.pauseUntil;
    return until === 0 || Date.now() >= until;
  }

  private continueLater(): void {
    if (this.continuing) return;
    this.continuing = true;
    setImmediate(() => {
      this.continuing = false;
      this.performEvictions();
    });
  }

  private get volatile(): boolean {
    return this.policy.startsWith('volatile-');
  }

  /** One eviction; false when no key qualifies. */
  private evictOne(): boolean {
    const dbs = this.server.dbs;
    const volatile = this.volatile;
    if (this.policy.endsWith('-random')) {
      for (let i = 0; i < dbs.length; i++) {
        const db = dbs[(this.nextDb = (this.nextDb + 1) % dbs.length)];
        const m = volatile ? db.expires : db.dict;
        if (m.size === 0) continue;
        let key = this.nextKey(m);
        for (let skip = Math.floor(Math.random() * this.samples); skip > 0; skip--) key = this.nextKey(m);
        this.evict(db, key);
        return true;
      }
      return false;
    }
    for (;;) {
      let total = 0;
      for (const db of dbs) {
        const m = volatile ? db.expires : db.dict;
        if (m.size === 0) continue;
        this.populate(db, m);
        total += m.size;
      }
      if (total === 0) return false;
      // Best candidate first; entries whose key is gone or changed since sampling are dropped.
      while (this.pool.length > 0) {
        const e = this.pool.pop()!;
        const db = dbs[e.db];
        if ((volatile ? db.expires : db.dict).has(e.key) && this.stampOf(db, e.key) === e.stamp) {
          this.evict(db, e.key);
          return true;
        }
      }
    }
  }

  /** evictionPoolPopulate: sample keys of one db into the pool, kept ascending by score. */
  private populate(db: Database, m: KeyedTable): void {
    const count = Math.min(this.samples, m.size);
    const ttl = this.policy === 'volatile-ttl';
    const lfu = db.lfu;
    const nowMs = db.lruNow();
    const nowSec = (nowMs / 1000) | 0;
    const pool = this.pool;
    for (let i = 0; i < count; i++) {
      const key = this.nextKey(m);
      const stamp = this.stampOf(db, key);
      const score = ttl ? Number.MAX_SAFE_INTEGER - stamp : lfu ? 255 - lfuCounter(stamp, nowMs, lfu) : nowSec - stamp;
      const dup = pool.findIndex((e) => e.db === db.id && e.key === key);
      if (dup >= 0) pool.splice(dup, 1);
      let k = 0;
      while (k < pool.length && pool[k].score < score) k++;
      if (k === 0 && pool.length === POOL_SIZE) continue; // no better than the worst of a full pool
      pool.splice(k, 0, { db: db.id, key, score, stamp });
      if (pool.length > POOL_SIZE) pool.shift();
    }
  }

  /** Access second (LRU), LFU slot (LFU) or expiry (volatile-ttl) the key is scored by. */
  private stampOf(db: Database, key: string): number {
    return (this.policy === 'volatile-ttl' ? db.expires.get(key) : db.accessOf(key)) ?? 0;
  }

  /** The next key of a dict or expires map (not empty), from a cursor that wraps around. */
  private nextKey(m: KeyedTable): string {
    let r = this.cursors.get(m)?.next();
    if (!r || r.done) {
      const it = m.keys();
      this.cursors.set(m, it);
      r = it.next();
    }
    return r.value as string;
  }

  /**
   * Delete like any other delete: WATCH invalidation and blocked clients (keyModified), and the
   * write observers see a DEL from the internal client, as for an expired key, so the AOF and
   * replicas drop it too (Redis's propagateDeletion).
   */
  private evict(db: Database, key: string): void {
    // Even a key whose TTL has passed is evicted (and published as such), as in Redis.
    if (!db.evict(key)) return;
    this.evictedKeys++;
    this.server.keyModified(db, key, null);
    notifyKeyspaceEvent(this.server, NOTIFY_EVICTED, 'evicted', key, db.id);
    this.server.propagateDeletion(db, key);
  }
}

/** Redis 7.0's reject_cmd_on_oom: denyoom commands, EXEC of such, and anything queued into MULTI. */
function rejectOnOom(client: Client, cmd: Command): boolean {
  if (cmd.denyOom) return true;
  if (!client.multi) return false;
  if (cmd.fullName === 'exec') return client.multi.queue.some((q) => q.cmd.denyOom);
  return !MULTI_OOM_EXEMPT.has(cmd.fullName);
}
