// Server-assisted client-side caching: CLIENT TRACKING, as Redis 7.0's tracking.c.
//
// Default mode: every key a tracking client reads with a read-only command is remembered in one
// table (key → ids of the clients that may cache it; one table for all databases, as Redis). When
// the key is modified (Server.keyModified: writes, expiry, eviction) each of those clients gets one
// invalidation and the entry is forgotten, so a client hears about a key once per read. BCAST mode
// remembers nothing per client: clients subscribe to key prefixes, the keys modified under each
// prefix are collected and sent once per event-loop turn (Redis does it in beforeSleep), sorted.
// OPTIN / OPTOUT make remembering depend on CLIENT CACHING YES / NO for the next command (or the
// next transaction); NOLOOP drops invalidations caused by the client itself.
//
// Messages: RESP3 `>2 invalidate [keys]` on the client's own connection, or with REDIRECT on the
// target's — a RESP2 target gets them as pub/sub messages of `__redis__:invalidate` if it is in
// pub/sub mode; a target gone is reported as `>2 tracking-redir-broken <id>` (RESP3) and the `R`
// flag. FLUSHDB / FLUSHALL send a null instead of keys. An invalidation for the client whose command
// causes it is held until that command has replied (Redis 7.0's tracking_pending_keys), so a
// transaction, a Lua script or a WASM call replies first; clients are told in command order.
//
// The table is bounded by tracking-table-max-keys, checked before each command and by the cron as
// Redis does: past it, the oldest entries are invalidated as if modified (Redis picks random ones),
// with Redis's effort rule.
//
// Cost when nobody tracks: keyModified checks two Map sizes; the read path checks one client field.

import type { Command } from '../commands/table.js';
import { keyIndexes } from '../commands/table.js';
import { metaGetKeys, redisMeta } from '../commands/meta.js';
import type { Reply } from '../protocol/reply.js';
import type { Client } from './client.js';
import type { Server } from './server.js';

/** Client.tracking bits (Redis's CLIENT_TRACKING_* flags). */
export const TRACKING_ON = 1 << 0;
export const TRACKING_BCAST = 1 << 1;
export const TRACKING_OPTIN = 1 << 2;
export const TRACKING_OPTOUT = 1 << 3;
/** CLIENT CACHING YES (optin) / NO (optout) given for the next command. */
export const TRACKING_CACHING = 1 << 4;
export const TRACKING_NOLOOP = 1 << 5;
export const TRACKING_BROKEN_REDIR = 1 << 6;

const CHANNEL = '__redis__:invalidate';

interface BcastState {
  /** Keys modified this turn under the prefix → the client that modified each last (null: the server). */
  keys: Map<string, Client | null>;
  clients: Set<Client>;
}

export class Tracking {
  /** Key → ids of the clients that read it (Redis's TrackingTable). */
  readonly table = new Map<string, Set<number>>();
  /** Ids across the whole table (INFO tracking_total_items). */
  totalItems = 0;
  /** BCAST prefix → its state (Redis's PrefixTable). */
  readonly prefixes = new Map<string, BcastState>();
  /** Prefixes in byte order, rebuilt when the set changes (the order Redis's radix tree walks). */
  private sortedPrefixes: string[] | null = null;
  /** Clients with tracking on (INFO tracking_clients). */
  clients = 0;
  /** Invalidations for the client whose command is running: keys, null = everything (a flush). */
  private readonly pending: (string | null)[] = [];
  private bcastScheduled = false;
  /** Runs of the table limit that could not get under it (Redis's timeout_counter). */
  private limitRuns = 0;
  /**
   * The command call() is running and its arguments: a read inside a script remembers the keys
   * of the call that ran the script (EVAL … numkeys keys), as Redis 7.0 does (it tracks the caller's
   * argv), not the keys the script's own commands name.
   */
  runningCmd: Command | null = null;
  runningArgs: string[] | null = null;

  constructor(private readonly server: Server) {}

  // ---- Enabling (CLIENT TRACKING) ---------------------------------------------------------------

  /** enableTracking: flags replaced (CACHING kept), redirect set, BCAST prefixes added. */
  enable(c: Client, redirect: number, options: number, prefixes: string[]): void {
    if (!(c.tracking & TRACKING_ON)) this.clients++;
    c.tracking =
      (c.tracking | TRACKING_ON) & ~(TRACKING_BROKEN_REDIR | TRACKING_BCAST | TRACKING_OPTIN | TRACKING_OPTOUT | TRACKING_NOLOOP);
    c.trackingRedirect = redirect;
    if (options & TRACKING_BCAST) {
      c.tracking |= TRACKING_BCAST;
      if (prefixes.length === 0) this.addPrefix(c, '');
      for (const p of prefixes) this.addPrefix(c, p);
    }
    c.tracking |= options & (TRACKING_OPTIN | TRACKING_OPTOUT | TRACKING_NOLOOP);
  }

  private addPrefix(c: Client, prefix: string): void {
    let bs = this.prefixes.get(prefix);
    if (!bs) {
      this.prefixes.set(prefix, (bs = { keys: new Map(), clients: new Set() }));
      this.sortedPrefixes = null;
    }
    if (!bs.clients.has(c)) {
      bs.clients.add(c);
      (c.trackingPrefixes ??= new Set()).add(prefix);
    }
  }

  /**
   * disableTracking (CLIENT TRACKING OFF, RESET, disconnect): the client leaves its prefixes; its
   * ids in the table are dropped lazily, when their keys are invalidated.
   */
  disable(c: Client): void {
    if (c.tracking & TRACKING_BCAST && c.trackingPrefixes) {
      for (const p of c.trackingPrefixes) {
        const bs = this.prefixes.get(p);
        if (!bs) continue;
        bs.clients.delete(c);
        if (bs.clients.size === 0) {
          this.prefixes.delete(p);
          this.sortedPrefixes = null;
        }
      }
      c.trackingPrefixes = null;
    }
    if (c.tracking & TRACKING_ON) {
      this.clients--;
      c.tracking = 0;
    }
  }

  /**
   * checkPrefixCollisionsOrReply: the error text when a prefix overlaps one the client has or
   * another one given (one being a prefix of the other), else null.
   */
  prefixCollision(c: Client, prefixes: string[]): string | null {
    const overlap = (a: string, b: string) => (a.length <= b.length ? b.startsWith(a) : a.startsWith(b));
    for (let i = 0; i < prefixes.length; i++) {
      if (c.trackingPrefixes) {
        for (const have of [...c.trackingPrefixes].sort(byteOrder)) {
          if (overlap(have, prefixes[i])) {
            return `Prefix '${prefixes[i]}' overlaps with an existing prefix '${have}'. Prefixes for a single client must not overlap.`;
          }
        }
      }
      for (let j = i + 1; j < prefixes.length; j++) {
        if (overlap(prefixes[i], prefixes[j])) {
          return `Prefix '${prefixes[i]}' overlaps with another provided prefix '${prefixes[j]}'. Prefixes for a single client must not overlap.`;
        }
      }
    }
    return null;
  }

  // ---- Remembering reads ------------------------------------------------------------------------

  /**
   * After a read-only command of a tracking client (dispatch call()): remember the keys it read.
   * `parent` is the call that ran this one (EXEC, a script), or null at top level.
   */
  afterRead(c: Client, cmd: Command, args: string[], parentCmd: Command | null, parentArgs: string[] | null): void {
    const f = c.tracking;
    if (!(f & TRACKING_ON) || f & TRACKING_BCAST) return;
    // The script runners (EVAL_RO, FCALL_RO, WASM.CALL_RO) are read-only but read nothing themselves:
    // the commands their code runs do (Redis excludes evalRo/evalShaRo/fcallro the same way).
    if (cmd.noPropagate) return;
    if ((f & TRACKING_OPTIN && !(f & TRACKING_CACHING)) || (f & TRACKING_OPTOUT && f & TRACKING_CACHING)) return;
    if (parentCmd !== null && parentArgs !== null && parentCmd.fullName !== 'exec') {
      cmd = parentCmd;
      args = parentArgs;
    }
    const meta = redisMeta(cmd.fullName);
    if (meta) {
      for (const k of metaGetKeys(meta, args)) this.remember(c, args[k.pos]);
    } else {
      const idx = keyIndexes(cmd, args);
      for (let i = 0; i < idx.length; i++) this.remember(c, args[idx[i]]);
    }
  }

  private remember(c: Client, key: string): void {
    let ids = this.table.get(key);
    if (!ids) this.table.set(key, (ids = new Set()));
    if (!ids.has(c.id)) {
      ids.add(c.id);
      this.totalItems++;
    }
  }

  /**
   * trackingLimitUsedSlots: while over tracking-table-max-keys, invalidate entries (the oldest
   * first) as if their keys had changed, spending more effort each run that did not get under.
   */
  limitUsedSlots(): void {
    if (this.table.size === 0 && this.limitRuns === 0) return;
    const max = this.server.config.getInt('tracking-table-max-keys');
    if (max === 0 || this.table.size <= max) {
      this.limitRuns = 0;
      return;
    }
    let effort = 100 * (this.limitRuns + 1);
    while (effort-- > 0) {
      const first = this.table.keys().next();
      if (first.done) break;
      this.invalidateKey(first.value, null, false);
      if (this.table.size <= max) {
        this.limitRuns = 0;
        return;
      }
    }
    this.limitRuns++;
  }

  // ---- Invalidation -------------------------------------------------------------------------------

  /**
   * trackingInvalidateKey: `key` changed (modified by `by`, null for the server itself: expiry,
   * eviction). Tells the clients that read it, and queues it for the BCAST prefixes it falls under.
   */
  invalidateKey(key: string, by: Client | null, bcast = true): void {
    if (bcast && this.prefixes.size !== 0) this.rememberToBroadcast(key, by);
    const ids = this.table.get(key);
    if (ids === undefined) return;
    this.table.delete(key);
    this.totalItems -= ids.size;
    const current = this.server.currentClient;
    for (const id of ids) {
      const target = this.server.clients.get(id);
      if (!target || !(target.tracking & TRACKING_ON) || target.tracking & TRACKING_BCAST) continue;
      if (target === current) {
        if (!(target.tracking & TRACKING_NOLOOP)) this.pending.push(key);
      } else {
        this.send(target, [key]);
      }
    }
  }

  /** trackingInvalidateKeysOnFlush: every tracking client is told "everything" (a null); the table is emptied. */
  invalidateAll(): void {
    if (this.clients > 0) {
      const current = this.server.currentClient;
      for (const c of this.server.clients.values()) {
        if (!(c.tracking & TRACKING_ON)) continue;
        if (c === current) this.pending.push(null);
        else this.send(c, null);
      }
    }
    this.table.clear();
    this.totalItems = 0;
  }

  private rememberToBroadcast(key: string, by: Client | null): void {
    for (const [prefix, bs] of this.prefixes) {
      if (prefix.length !== 0 && !key.startsWith(prefix)) continue;
      // Re-set moves nothing in a Map but updates who modified it last (raxInsert overwrites).
      bs.keys.set(key, by);
      if (!this.bcastScheduled) {
        this.bcastScheduled = true;
        queueMicrotask(this.broadcast);
      }
    }
  }

  /** trackingBroadcastInvalidationMessages: per prefix, the keys modified this turn, to its clients. */
  readonly broadcast = (): void => {
    this.bcastScheduled = false;
    if (this.sortedPrefixes === null) this.sortedPrefixes = [...this.prefixes.keys()].sort(byteOrder);
    for (const prefix of this.sortedPrefixes) {
      const bs = this.prefixes.get(prefix);
      if (!bs || bs.keys.size === 0) continue;
      const keys = [...bs.keys.keys()].sort(byteOrder);
      for (const c of bs.clients) {
        if (c.tracking & TRACKING_NOLOOP) {
          const own = keys.filter((k) => bs.keys.get(k) !== c);
          if (own.length !== 0) this.send(c, own);
        } else {
          this.send(c, keys);
        }
      }
      bs.keys.clear();
    }
  };

  /** The held invalidations, to the client they were held for (after its reply). */
  sendPending(c: Client): void {
    if (this.pending.length === 0) return;
    if (!c.closing) for (const k of this.pending) this.send(c, k === null ? null : [k]);
    this.pending.length = 0;
  }

  get hasPending(): boolean {
    return this.pending.length !== 0;
  }

  /** After a top-level command has replied: its held invalidations, and CLIENT CACHING expiry. */
  afterCommand(c: Client): void {
    this.sendPending(c);
    // Like Redis's resetClient: CACHING lasts for the next command, or the whole transaction, and
    // survives CLIENT subcommands (CLIENT CACHING YES then CLIENT TRACKINGINFO shows it).
    if (c.tracking & TRACKING_CACHING && c.multi === null && !c.lastCmd.startsWith('client|')) {
      c.tracking &= ~TRACKING_CACHING;
    }
  }

  /**
   * sendTrackingMessage: keys (or null for a flush) to the client, or to its redirect target.
   * The null is encoded for the connection that receives it; Redis 7.0 encodes it for the tracking
   * client, so a RESP3 tracker redirecting to a RESP2 subscriber makes Redis send RESP3's `_` on a
   * RESP2 connection (which RESP2 parsers reject) — Lodestone sends that subscriber `$-1`.
   */
  private send(c: Client, keys: string[] | null): void {
    const value: Reply = keys;
    const redir = c.trackingRedirect;
    if (redir === 0) {
      if (c.resp === 3) c.push(['invalidate', value]);
      return;
    }
    const to = this.server.clients.get(redir);
    if (!to) {
      c.tracking |= TRACKING_BROKEN_REDIR;
      if (c.resp === 3) c.push(['tracking-redir-broken', redir]);
      return;
    }
    if (to.resp === 3) to.push(['invalidate', value]);
    else if (to.subscriptionCount > 0) to.push(['message', CHANNEL, value]);
  }

  /** CLIENT TRACKINGINFO's flags, in Redis's order. */
  static flagNames(c: Client): string[] {
    const f = c.tracking;
    const out = [f & TRACKING_ON ? 'on' : 'off'];
    if (f & TRACKING_BCAST) out.push('bcast');
    if (f & TRACKING_OPTIN) {
      out.push('optin');
      if (f & TRACKING_CACHING) out.push('caching-yes');
    }
    if (f & TRACKING_OPTOUT) {
      out.push('optout');
      if (f & TRACKING_CACHING) out.push('caching-no');
    }
    if (f & TRACKING_NOLOOP) out.push('noloop');
    if (f & TRACKING_BROKEN_REDIR) out.push('broken_redirect');
    return out;
  }
}

/** Byte order of latin1 strings (one char per byte): the order of Redis's radix trees. */
export function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
