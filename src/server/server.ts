// The server: owns the listening socket, the clients, the databases and the shared registries
// (pub/sub, WATCH, blocked clients), and runs the periodic tasks (active expiry, idle timeouts,
// CLIENT PAUSE expiry). Command execution itself lives in dispatch.ts.
//
// Everything runs on the Node.js main thread, like Redis's single-threaded command loop: a command
// runs to completion before the next starts, which is what makes MULTI/EXEC and function calls
// atomic without locks.

import { performance } from 'node:perf_hooks'; // the module's, not the global getter (~20 ns a read)
import { Cluster } from '../cluster/cluster.js';
import { addLatencySample } from './latency.js';
import net from 'node:net';
import type { Logger } from 'pino';
import { CommandTable, Command } from '../commands/table.js';
import { allCommands } from '../commands/index.js';
import { Config } from '../config/config.js';
import { Clock, Database, KeyspaceHooks, systemClock } from '../keyspace/db.js';
import { Reply, ReplyError } from '../protocol/reply.js';
import { Client } from './client.js';
import { execute } from './dispatch.js';
import { PubSub } from './pubsub.js';
import { Tracking } from './tracking.js';
import { Blocking } from './blocking.js';
import { VERSION } from '../version.js';
import { InstantMetrics } from './info.js';
import { WasmRegistry } from '../wasm/registry.js';
import { Persistence } from '../persistence/persistence.js';
import { OutputLimits, outputLimitsOf } from '../config/output-limits.js';
import { clientInfoLine } from '../commands/server.js';
import { Memory } from './memory.js';
import { flagsOfConfig, NOTIFY_KEY_MISS, notifyKeyspaceEvent } from './notify.js';
import { Acl, AclUser } from '../acl/acl.js';
import { aclLoad, aclPath, DENIED_PROTECTED, killClientsOf, killPubsubClientsIfNeeded, loadUsersAtStartup, protectedModeDenies } from '../acl/hooks.js';
import { adjustOpenFilesLimit } from './fd-limit.js';
import { Replication } from '../replication/replication.js';

/** What the write observers see for every executed write command (persistence, replication, WASM). */
export interface WriteEvent {
  db: number;
  cmd: Command;
  /** The command as executed (argv[0] is the name). Observers must not mutate it. */
  args: string[];
  client: Client;
  /** Bytes of the arguments in `args` too long for a string, by placeholder (keyspace/bigstring.ts). */
  big?: Map<string, Buffer> | null;
}

export interface SlowlogEntry {
  id: number;
  time: number;
  usec: number;
  args: string[];
  addr: string;
  name: string;
}

export interface ServerOptions {
  config: Config;
  log: Logger;
  clock?: Clock;
}

export class Server implements KeyspaceHooks {
  readonly config: Config;
  readonly log: Logger;
  readonly clock: Clock;
  readonly table = new CommandTable();
  readonly dbs: Database[];
  readonly clients = new Map<number, Client>();
  readonly pubsub = new PubSub(this);
  /** CLIENT TRACKING: the invalidation table and BCAST prefixes (tracking.ts). */
  readonly tracking = new Tracking(this);
  /**
   * The client whose top-level command is executing (Redis's server.current_client): set by
   * dispatch's execute(), cleared by afterCommand. Tracking holds its invalidations until its reply.
   */
  currentClient: Client | null = null;
  /** notify-keyspace-events as a mask (src/server/notify.ts); 0 = off, the default. */
  notifyFlags = 0;
  /**
   * Set by call() while a write command runs: its lookups are Redis's lookupKeyWrite, which never
   * publishes `keymiss` (the write commands that read with lookupKeyRead report their misses
   * themselves: Database.readMiss).
   */
  writeLookups = false;
  readonly blocking = new Blocking(this);
  readonly monitors = new Set<Client>();
  /** The WASM function registry, or null when wasm.enabled = false. */
  readonly wasm: WasmRegistry | null;
  readonly startTime = Date.now();
  /** Per db: key → clients WATCHing it. */
  readonly watchers: Map<string, Set<Client>>[];
  /** Changes since the last save (Redis's server.dirty). Handlers add to it when they modify data. */
  dirty = 0;
  lastSave = Math.floor(Date.now() / 1000);
  slowlog: SlowlogEntry[] = [];
  slowlogNextId = 0;
  /** CLIENT PAUSE: until (ms) and whether only writes are paused. */
  pauseUntil = 0;
  pauseWritesOnly = false;
  readonly pausedClients = new Set<Client>();
  /**
   * Keys a MIGRATE is transferring, per db (null: none). Redis's MIGRATE blocks the whole server
   * while it talks to the target, so nothing touches its keys meanwhile; ours runs asynchronously,
   * so a command on an in-flight key waits (like a paused client) until the transfer is settled —
   * otherwise a write acknowledged meanwhile could stay behind on the source while the target kept
   * the older copy.
   */
  inFlightKeys: (Set<string> | null)[] = [];
  /** Clients waiting for an in-flight key, re-run by migrationSettled(). */
  readonly migrationWaiters = new Set<Client>();
  readonly stats = {
    connectionsReceived: 0,
    rejectedConnections: 0,
    commandsProcessed: 0,
    protocolErrors: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
    errorReplies: 0,
    errorCodes: new Map<string, number>(),
    /** Clients closed by client-query-buffer-limit / client-output-buffer-limit (Redis 7.2's INFO fields). */
    queryLimitDisconnections: 0,
    outputLimitDisconnections: 0,
  };
  /** client-output-buffer-limit, parsed once per change for the check in Client.flush. */
  outputLimits: OutputLimits;
  private readonly writeObservers: ((events: WriteEvent[]) => void)[] = [];
  /** Called before a write command's handler runs (RDB snapshots: persistence/rdb/file.ts). */
  readonly beforeWriteObservers: ((db: Database, cmd: Command, args: string[]) => void)[] = [];
  private readonly captures: WriteEvent[][] = [];
  /**
   * performance.now() when the running command's handler started (dispatch's call() sets it, for
   * INFO commandstats): a handler that needs its own start time (WASM.CALL's deadline) reads it
   * here rather than the clock again. Nested calls overwrite it, so read it on entry.
   */
  handlerStart = 0;
  private readonly pending: Client[] = [];
  private flushScheduled = false;
  private nextClientId = 1;

  /** An id for a client the server did not accept itself (a replica's link to its master). */
  newClientId(): number {
    return this.nextClientId++;
  }
  private netServers: net.Server[] = [];
  private cron: NodeJS.Timeout | null = null;
  private shuttingDown = false;
  /** Called once the server has shut down (SHUTDOWN command). */
  onShutdown: (() => void) | null = null;
  /**
   * SHUTDOWN's persistence hook, for the persistence subsystem to fill in: save the dataset before
   * exiting. `save` is true for SHUTDOWN SAVE, false for NOSAVE, null when neither was given (save
   * if save points / AOF are configured). Throwing aborts the shutdown unless FORCE was given.
   */
  shutdownSave: ((save: boolean | null) => Promise<void> | void) | null = null;
  /** Persistence (AOF, snapshots). Created with the server; load() runs in listen(). */
  readonly persistence: Persistence;
  /**
   * The write sequence number up to which writes are durable (Persistence, see Client.lastWriteSeq):
   * a client whose last write is newer has its replies held until Persistence.makeDurable.
   */
  durableSeq = 0;
  /** Set while writes must be refused because persisting failed (-MISCONF), checked by dispatch. */
  writeDenied: ReplyError | null = null;
  /** Set by replication when it may refuse commands (-READONLY, -NOREPLICAS, -MASTERDOWN), checked by dispatch. */
  replDeny: ((cmd: Command, client: Client) => ReplyError | null) | null = null;
  /** PSYNC 2 replication, master and replica side (src/replication). */
  readonly replication: Replication;
  /** The TCP port actually listened on (INFO tcp_port; differs from the config when it is 0). */
  port = 0;
  /** RLIMIT_NOFILE found at listen() (fd-limit.ts; 0 = unknown or unlimited): bounds maxclients. */
  openFilesLimit = 0;
  /** Sampled rates for INFO (instantaneous_ops_per_sec …), fed by serverCron. */
  readonly metrics = new InstantMetrics();
  /** maxmemory: used-memory figure, eviction, OOM rejection (memory.ts). */
  readonly memory: Memory;
  /** ACL users, rules and log (src/acl). */
  readonly acl: Acl;
  /** Redis Cluster state and bus (src/cluster) when cluster-enabled, else null: dispatch tests only this. */
  readonly cluster: Cluster | null;

  constructor(opts: ServerOptions) {
    this.config = opts.config;
    this.log = opts.log;
    this.clock = opts.clock ?? systemClock;
    const n = this.config.getInt('databases');
    this.dbs = Array.from({ length: n }, (_, i) => new Database(i, this.clock, this));
    this.watchers = Array.from({ length: n }, () => new Map());
    this.table.register(allCommands());
    this.acl = new Acl(this.table.commands.values());
    loadUsersAtStartup(this);
    this.config.onChange('requirepass', (v) => this.acl.setDefaultPassword(String(v)));
    this.config.onChange('acllog-max-len', (v) => (this.acl.logMaxLen = Number(v)));
    this.config.onChange('acl-pubsub-default', (v) => (this.acl.pubsubAllDefault = v === 'allchannels'));
    this.outputLimits = outputLimitsOf(this.config.getString('client-output-buffer-limit'));
    this.config.onChange('client-output-buffer-limit', (v) => (this.outputLimits = outputLimitsOf(String(v))));
    this.notifyFlags = flagsOfConfig(this.config.getString('notify-keyspace-events'));
    this.config.onChange('notify-keyspace-events', (v) => (this.notifyFlags = flagsOfConfig(String(v))));
    this.internalClient = new Client(this, null, 0);
    this.wasm = this.config.getBool('wasm.enabled') ? new WasmRegistry(this) : null;
    this.persistence = new Persistence(this);
    this.replication = new Replication(this);
    this.memory = new Memory(this);
    this.cluster = this.config.getBool('cluster-enabled') ? new Cluster(this) : null;
  }

  /** Load persisted state that must exist before clients connect (WASM modules). */
  restore(): void {
    if (!this.wasm) return;
    const { loaded, failed } = this.wasm.restore();
    if (loaded.length) this.log.info({ functions: loaded }, `loaded ${loaded.length} WASM function(s) from ${this.wasm.moduleDir}`);
    for (const f of failed) this.log.error({ function: f.name, err: f.error }, 'could not load persisted WASM function');
  }

  // ---- Keyspace hooks -------------------------------------------------------------------------

  /**
   * Redis's signalModifiedKey. `by` is the client that changed the key: omitted, the running
   * command's client; null for the server itself (expiry, eviction) — BCAST NOLOOP compares it.
   */
  keyModified(db: Database, key: string, by?: Client | null): void {
    db.refresh(key); // a collection changed in place: re-estimate its memory
    const w = this.watchers[db.id].get(key);
    if (w) for (const c of w) c.dirtyCas = true;
    this.blocking.keyTouched(db.id, key);
    const t = this.tracking;
    if (t.table.size !== 0 || t.prefixes.size !== 0) {
      // A Lua script's writes come from Redis's script client, not the caller (BCAST NOLOOP).
      const c = by === undefined ? this.currentClient : by;
      t.invalidateKey(key, c !== null && c.inScript ? null : c);
    }
  }

  /**
   * A key's stream consumer groups changed (XACK, XGROUP …): its memory estimate and blocked readers
   * are updated, but it is not a modification for WATCH or client-side caches (Redis 7.0).
   */
  keyStateChanged(db: Database, key: string): void {
    db.refresh(key);
    this.blocking.keyTouched(db.id, key);
  }

  /** FLUSHDB / FLUSHALL (Redis's signalFlushedDb): tracking clients are told every key changed. */
  keyspaceFlushed(): void {
    this.tracking.invalidateAll();
  }

  keyEvent(type: number, event: string, key: string, dbid: number): void {
    notifyKeyspaceEvent(this, type, event, key, dbid);
  }

  keyMiss(db: Database, key: string, inWrite = false): void {
    if (this.writeLookups === inWrite) notifyKeyspaceEvent(this, NOTIFY_KEY_MISS, 'keymiss', key, db.id);
  }

  keyExpired(db: Database, key: string): void {
    // Expiry is itself a write for observers (persistence writes a DEL), like Redis propagating DEL.
    this.propagateDeletion(db, key);
  }

  /** Every db's WATCHers are invalidated (FLUSHALL, SWAPDB). */
  touchAllWatched(dbId: number): void {
    for (const set of this.watchers[dbId].values()) for (const c of set) c.dirtyCas = true;
  }

  // ---- Write observation: the one place every executed write passes --------------------------

  /**
   * Register an observer of executed writes (AOF, replication …). Events arrive in execution order,
   * as arrays: one event for a plain command, several for a group that must be applied atomically
   * (EXEC, a WASM function call) — replay them as one unit.
   */
  observeWrites(fn: (events: WriteEvent[]) => void): () => void {
    this.writeObservers.push(fn);
    return () => {
      const i = this.writeObservers.indexOf(fn);
      if (i >= 0) this.writeObservers.splice(i, 1);
    };
  }

  /**
   * Register a hook run before every write command executes (dispatch call(): client commands,
   * EXEC's queue, Lua and WASM calls), with the database it runs in. A time-sliced snapshot uses it
   * to save a key before it changes, as a forked child's copy-on-write would keep it.
   */
  observeBeforeWrites(fn: (db: Database, cmd: Command, args: string[]) => void): () => void {
    this.beforeWriteObservers.push(fn);
    return () => {
      const i = this.beforeWriteObservers.indexOf(fn);
      if (i >= 0) this.beforeWriteObservers.splice(i, 1);
    };
  }

  emitWrite(e: WriteEvent): void {
    const top = this.captures.length;
    if (top > 0) {
      this.captures[top - 1].push(e);
      return;
    }
    if (this.writeObservers.length > 0) this.deliver([e]);
  }

  private deliver(events: WriteEvent[]): void {
    for (let i = 0; i < this.writeObservers.length; i++) this.writeObservers[i](events);
  }

  /** Start grouping write events (EXEC, function calls); groups nest. */
  beginCapture(): void {
    this.captures.push(this.freeCaptures.pop() ?? []);
  }

  /** Capture groups that ended empty, reused by the next beginCapture (a read-only call allocates none). */
  private readonly freeCaptures: WriteEvent[][] = [];

  /** End the innermost group: commit passes its events on (to the outer group or the observers), abort drops them. */
  endCapture(commit: boolean): void {
    let events = this.captures.pop();
    if (!events) return;
    if (events.length === 0) {
      if (this.freeCaptures.length < 8) this.freeCaptures.push(events);
      return;
    }
    // An aborted group still passes on what the server did by itself meanwhile: a key the group
    // found expired was really deleted, and persistence must record that DEL.
    if (!commit) events = events.filter((e) => e.client === this.internalClient);
    if (events.length === 0) return;
    const top = this.captures.length;
    if (top > 0) this.captures[top - 1].push(...events);
    else if (this.writeObservers.length > 0) this.deliver(events);
  }

  private delEventCmd: Command | undefined;
  /**
   * A key the server removed by itself (expiry, eviction) reaches the write observers as a DEL from
   * the internal client, like Redis's propagateDeletion.
   */
  propagateDeletion(db: Database, key: string): void {
    if (this.writeObservers.length === 0) return;
    this.delEventCmd ??= this.table.lookup('del');
    const internal = this.internalClient;
    this.emitWrite({ db: db.id, cmd: this.delEventCmd!, args: ['DEL', key], client: internal });
  }

  /** A client with no socket, for writes the server makes itself (expiry, loading). */
  readonly internalClient: Client;

  // ---- Execution ------------------------------------------------------------------------------

  execute(client: Client, args: string[]): Reply {
    return execute(this, client, args);
  }

  /** After every command: serve clients blocked on keys that became ready. */
  afterCommand(): void {
    const c = this.currentClient;
    if (c !== null) {
      this.currentClient = null;
      if (c.tracking !== 0 || this.tracking.hasPending) this.tracking.afterCommand(c);
    }
    if (this.blocking.hasReady()) this.blocking.serveReady();
  }

  // ---- ACL ------------------------------------------------------------------------------------

  /** ACL SETUSER changed `u`: close its subscribed clients whose channels are no longer allowed. */
  aclUserChanged(u: AclUser): void {
    killPubsubClientsIfNeeded(this, u);
  }

  /** ACL DELUSER removed `u`: its clients are closed (`current`, the caller, after its reply). */
  aclUserDeleted(u: AclUser, current: Client | null): void {
    killClientsOf(this, u, current);
  }

  aclPath(): string {
    return aclPath(this);
  }

  aclLoad(): void {
    aclLoad(this);
  }

  /** A client as Redis's log lines show it (catClientInfoString: the CLIENT LIST line). */
  describeClient(c: Client): string {
    return clientInfoLine(c);
  }

  countError(e: ReplyError): void {
    this.stats.errorReplies++;
    this.stats.errorCodes.set(e.code, (this.stats.errorCodes.get(e.code) ?? 0) + 1);
  }

  // ---- Output ---------------------------------------------------------------------------------

  /**
   * Queue a client's replies for the end of this event-loop iteration. setImmediate runs after the
   * poll phase has read every ready socket, so all replies go out together, as Redis's beforeSleep →
   * handleClientsWithPendingWrites does. A microtask per socket (the old way) wrote each reply right
   * after its read: the client woke, answered and slept again between two of our writes, and every
   * write paid a cross-core wake-up (an IPI, costly in a VM) — 41% of server CPU at -P 16 in perf;
   * SET -P 16 went 160k → 265k req/s, GET 152k → 353k (pinned, 2-core Xeon VM).
   */
  markPending(c: Client): void {
    this.pending.push(c);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushPending);
    }
  }

  readonly flushPending = (): void => {
    this.flushScheduled = false;
    const list = this.pending;
    for (let i = 0; i < list.length; i++) {
      // A microtask that throws would end the process: one client's failure closes that client.
      try {
        list[i].flush();
      } catch (err) {
        list[i].abort(err);
      }
    }
    list.length = 0;
  };

  // ---- Connections ----------------------------------------------------------------------------

  async listen(): Promise<number> {
    this.openFilesLimit = adjustOpenFilesLimit(this.config, this.log);
    this.restore();
    // The dataset is loaded before the port opens, so no client ever sees a half-loaded server.
    this.persistence.load();
    const port = this.config.getInt('port');
    const binds = this.config.getString('bind').split(/\s+/).filter(Boolean);
    let actualPort = port;
    for (const host of binds.length ? binds : ['127.0.0.1']) {
      const srv = net.createServer({ noDelay: true }, (sock) => this.accept(sock));
      srv.maxConnections = Infinity;
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen({ port: actualPort, host: host.replace(/^-/, '') }, () => {
          srv.off('error', reject);
          resolve();
        });
      });
      actualPort = (srv.address() as net.AddressInfo).port;
      this.netServers.push(srv);
    }
    this.port = actualPort;
    if (this.cluster) await this.cluster.start(actualPort);
    this.startCron();
    this.replication.start();
    return actualPort;
  }

  private accept(sock: net.Socket): void {
    this.stats.connectionsReceived++;
    if (this.clients.size >= this.config.getInt('maxclients')) {
      this.stats.rejectedConnections++;
      // Reply and close; destroySoon also discards whatever the client already sent, so a rejected
      // client cannot stay half-open.
      sock.on('error', () => {});
      sock.write('-ERR max number of clients reached\r\n');
      sock.destroySoon();
      return;
    }
    if (protectedModeDenies(this, sock.remoteAddress)) {
      this.stats.rejectedConnections++;
      sock.on('error', () => {});
      sock.end(DENIED_PROTECTED);
      sock.destroySoon();
      return;
    }
    const keepalive = this.config.getInt('tcp-keepalive');
    if (keepalive > 0) sock.setKeepAlive(true, keepalive * 1000);
    const client = new Client(this, sock, this.nextClientId++);
    this.clients.set(client.id, client);
    sock.on('data', (chunk: Buffer) => {
      this.stats.netInputBytes += chunk.length;
      // onData catches what it knows; this is the backstop for everything else it reaches (flushes,
      // blocked clients served by this command …): one client's request never ends the process.
      try {
        client.onData(chunk);
      } catch (err) {
        client.abort(err);
      }
    });
    sock.on('error', (err) => this.log.debug({ client: client.id, err: err.message }, 'client socket error'));
    sock.on('close', () => this.disconnect(client));
  }

  /** Forget a client: subscriptions, WATCHes, blocking, monitors. */
  disconnect(client: Client): void {
    if (!this.clients.delete(client.id)) return;
    client.closing = true;
    this.pubsub.unsubscribeAll(client);
    this.tracking.disable(client);
    this.unwatchAll(client);
    this.blocking.unblock(client, undefined);
    this.monitors.delete(client);
    this.pausedClients.delete(client);
    this.migrationWaiters.delete(client);
    this.persistence.forget(client);
  }

  unwatchAll(client: Client): void {
    for (const { db, key } of client.watched) {
      const set = this.watchers[db].get(key);
      if (set) {
        set.delete(client);
        if (set.size === 0) this.watchers[db].delete(key);
      }
    }
    client.watched.length = 0;
    client.dirtyCas = false;
  }

  // ---- Periodic tasks (Redis's serverCron) ----------------------------------------------------

  private startCron(): void {
    const hz = this.config.getInt('hz');
    this.cron = setInterval(() => {
      try {
        this.serverCron();
      } catch (err) {
        this.log.error({ err: err instanceof Error ? (err.stack ?? err.message) : String(err) }, 'serverCron failed');
      }
    }, Math.max(1, Math.floor(1000 / hz)));
    this.cron.unref();
  }

  /** DEBUG SET-ACTIVE-EXPIRE 0 turns the active expiry cycle off (keys then expire on access only). */
  activeExpireEnabled = true;
  /** DEBUG PAUSE-CRON 1 stops the periodic cron (expiry, memory, persistence timers, timeouts). */
  cronPaused = false;
  /** DEBUG SET-SKIP-CHECKSUM-VALIDATION 1: RESTORE / FUNCTION RESTORE do not check the CRC-64. */
  skipChecksumValidation = false;

  serverCron(): void {
    if (this.cronPaused) return;
    // A replica does not expire keys itself: its master sends the DELs.
    if (this.activeExpireEnabled && !this.replication.isReplica) this.activeExpireCycle();
    if (this.tracking.table.size !== 0) this.tracking.limitUsedSlots();
    this.replication.cron();
    this.wasm?.shrinkPools();
    this.memory.cron();
    this.persistence.cron();
    const timeout = this.config.getInt('timeout');
    if (timeout > 0) {
      const cutoff = Date.now() - timeout * 1000;
      for (const c of this.clients.values()) {
        if (c.lastInteraction < cutoff && !c.blocked && c.subscriptionCount === 0 && !c.monitor && c.replRole === '') {
          c.closeAfterReply();
        }
      }
    }
    if (this.pauseUntil && Date.now() >= this.pauseUntil) this.unpause();
    this.metrics.tick(this);
    // Keys the cron deleted (active expiry, eviction) release their blocked group readers now, not
    // at the next command (Redis serves ready keys in beforeSleep).
    this.afterCommand();
    this.flushPending();
  }

  /**
   * Active expiry, like Redis's activeExpireCycle: per db, examine keys with a TTL (20 per step)
   * and repeat while more than 25% of those examined had expired, within a 25 ms budget per run.
   */
  activeExpireCycle(budgetMs = 25): void {
    const start = performance.now();
    try {
      for (const db of this.dbs) {
        if (db.expires.size === 0) continue;
        for (;;) {
          const { examined, expired } = db.activeExpire(20);
          if (examined === 0 || expired * 4 <= examined) break;
          if (performance.now() - start > budgetMs) return;
        }
      }
    } finally {
      addLatencySample(this, 'expire-cycle', Math.floor(performance.now() - start));
    }
  }

  // ---- CLIENT PAUSE ---------------------------------------------------------------------------

  pause(ms: number, writesOnly: boolean): void {
    // Redis's pauseClients: a pause already in force keeps the stronger type (ALL over WRITE) and
    // the later end.
    const now = Date.now();
    const active = this.pauseUntil !== 0 && now < this.pauseUntil;
    this.pauseWritesOnly = active ? this.pauseWritesOnly && writesOnly : writesOnly;
    this.pauseUntil = Math.max(this.pauseUntil, Math.min(now + ms, 8.64e15));
  }

  isPausedFor(cmd: Command): boolean {
    if (!this.pauseUntil) return false;
    if (Date.now() >= this.pauseUntil) {
      this.unpause();
      return false;
    }
    return !this.pauseWritesOnly || cmd.isWrite;
  }

  unpause(): void {
    this.pauseUntil = 0;
    const clients = [...this.pausedClients];
    this.pausedClients.clear();
    this.rerun(clients);
  }

  /** A MIGRATE settled: its keys are no longer in flight; re-run the clients that waited for them. */
  migrationSettled(db: number, keys: string[]): void {
    const set = this.inFlightKeys[db];
    if (set) {
      for (const k of keys) set.delete(k);
      if (set.size === 0) this.inFlightKeys[db] = null;
    }
    if (this.migrationWaiters.size === 0) return;
    const clients = [...this.migrationWaiters];
    this.migrationWaiters.clear();
    this.rerun(clients);
  }

  /** Run again the command each postponed client (paused or waiting) was stopped at. */
  private rerun(clients: Client[]): void {
    for (const c of clients) {
      const args = c.paused;
      c.paused = null;
      if (args && !c.closing) {
        try {
          c.write(this.execute(c, args));
          if (!c.paused) c.commandDone();
          c.bigArgs = null;
          this.afterCommand();
          c.resume();
        } catch (err) {
          c.abort(err);
        }
      }
    }
    this.flushPending();
  }

  // ---- Shutdown -------------------------------------------------------------------------------

  async close(): Promise<void> {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    if (this.cron) clearInterval(this.cron);
    this.cluster?.close();
    this.blocking.clearAll();
    this.replication.close();
    this.persistence.close();
    this.wasm?.close();
    for (const c of this.clients.values()) {
      c.flush();
      c.socket?.destroy();
    }
    await Promise.all(this.netServers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    this.netServers = [];
    this.onShutdown?.();
  }

  get version(): string {
    return VERSION;
  }
}
