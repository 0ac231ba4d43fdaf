// Replication with Redis's own protocol (PSYNC 2), so Lodestone and real redis-server 7.0 can be
// each other's master or replica. One object per server, both sides:
//
// Master side. Every executed write reaches the server's write observer point (the same one the
// AOF listens on, Server.observeWrites), already in its deterministic form — effects, not scripts:
// a Lua script or a WASM.CALL arrives as the MULTI/EXEC group of the commands it ran, so replicas
// never run guest code. The observer encodes it as RESP, with a SELECT whenever the database
// changes (as Redis's replicationFeedSlaves does), appends it to the backlog (a circular buffer of
// repl-backlog-size bytes, backlog.ts) and writes it to every online replica. A replica connects
// as an ordinary client: REPLCONF listening-port / capa, then PSYNC replid offset. When the
// backlog still holds everything after `offset` of our history (our replid, or replid2 up to
// second_repl_offset after a promotion) it gets +CONTINUE and the missing bytes; otherwise
// +FULLRESYNC <replid> <offset>, the whole dataset as an RDB file (`$<len>` or, with
// repl-diskless-sync and capa eof, the `$EOF:<mark>` form), then the stream. Lodestone has no fork:
// the RDB is written in 2 ms slices between other clients' commands by RdbSnapshot, which keeps it
// equal to the dataset at the PSYNC's point of the stream (it saves a key before a write changes
// it, as copy-on-write would); the stream produced meanwhile waits for that replica and follows
// the file. The master PINGs its replicas every repl-ping-replica-period seconds (inside the
// stream, counted in the offsets), tracks their REPLCONF ACK offsets for WAIT and
// min-replicas-to-write, and drops a replica silent for repl-timeout seconds. PUBLISH, SPUBLISH
// and WASM.LOAD / WASM.UNLOAD go to the replicas only (propagateCommand), not to the AOF.
//
// Replica side. REPLICAOF host port (or `replicaof` in config.toml) connects to the master and runs
// the handshake Redis's replica runs (PING, AUTH [masteruser] masterauth, REPLCONF listening-port,
// REPLCONF capa eof capa psync2, PSYNC), loads the RDB, then applies the stream through the command
// table like the AOF loader does (handlers via call(), so our own AOF and MONITOR see it), MULTI …
// EXEC groups as one unit. It acks its offset every second and on REPLCONF GETACK. The bytes it
// applied go verbatim into its own backlog and to its own replicas (chained replication keeps the
// top master's replid and offsets, which is what makes PSYNC work again after a failover). After a
// lost link it reconnects every second and asks to continue from its offset. Keys are not expired
// on a replica: the master sends DEL; reads hide logically expired keys (Database.hideExpired).
// Writes from clients get -READONLY (replica-read-only), everything without the `stale` flag gets
// -MASTERDOWN while the link is down and replica-serve-stale-data is off.
//
// FAILOVER (Redis 6.2's coordinated switch) pauses writes, waits for the target to have the whole
// stream, becomes its replica and sends PSYNC … FAILOVER, which makes the target take over.
//
// Snapshots carry our replication id and offset (rdbInfo) and a restart takes them back (start()),
// so restarted servers continue with a partial resync.
//
// Not done: repl-diskless-sync-delay (the transfer starts at once, one RDB per replica),
// writable replicas' local-expiry tracking. See docs/REPLICATION.md.

import net from 'node:net';
import { randomBytes } from 'node:crypto';
import { Encoder } from '../protocol/encoder.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX, NO_REPLY, OK, Reply, ReplyError, Status } from '../protocol/reply.js';
import { parseIntArg } from '../util/numbers.js';
import type { Command } from '../commands/table.js';
import { encodeCommand } from '../persistence/dump.js';
import { call, resolve } from '../server/dispatch.js';
import { Client } from '../server/client.js';
import type { Server, WriteEvent } from '../server/server.js';
import { extendInfo, type Field } from '../server/info.js';
import { PARAM_BY_NAME } from '../config/schema.js';
import { Backlog } from './backlog.js';
import { loadRdbBuffer } from './rdb.js';
import { RdbSnapshot } from '../persistence/rdb/file.js';

/** How long one slice of a full resync's RDB may run before other clients get their turn, ms. */
const SLICE_MS = 2;

const ERR_MASTER_PORT = new ReplyError('ERR', 'Invalid master port');

/** Bytes of RDB a full resync lets wait in the socket before it pauses for the replica to read. */
const TRANSFER_QUEUE = 8 * 1024 * 1024;
const EMPTY = Buffer.alloc(0);

const ZERO_ID = '0000000000000000000000000000000000000000';

export const ERR_READONLY = new ReplyError('READONLY', "You can't write against a read only replica.");
export const ERR_NOREPLICAS = new ReplyError('NOREPLICAS', 'Not enough good replicas to write.');
export const ERR_MASTERDOWN = new ReplyError('MASTERDOWN', "Link with MASTER is down and replica-serve-stale-data is set to 'no'.");

/** A replica connected to us (master side), keyed by its client. */
export interface ReplicaConn {
  client: Client;
  /**
   * send_bulk while its RDB is written; wait_ack after a `$EOF:` transfer until its first ACK (it
   * finds the end of the file by the mark in the last bytes it read, so nothing may follow the
   * mark until it has loaded — Redis's repl_put_online_on_ack); then online.
   */
  state: 'send_bulk' | 'wait_ack' | 'online';
  listeningPort: number;
  ip: string;
  capaEof: boolean;
  capaPsync2: boolean;
  ackOffset: number;
  /** ms of the last REPLCONF ACK (lag). */
  ackTime: number;
  /** Stream bytes produced while its RDB is being written (sent after it). */
  pending: Buffer[];
}

/** Per connection, before and after PSYNC: what REPLCONF told us. */
interface Handshake {
  listeningPort: number;
  ip: string;
  capaEof: boolean;
  capaPsync2: boolean;
  /** REPLCONF rdb-only 1 (redis-cli --rdb): the RDB and nothing after it. */
  rdbOnly: boolean;
}

type LinkState = 'none' | 'connect' | 'connecting' | 'handshake' | 'transfer' | 'connected';

/** A blocked WAIT. */
interface Waiter {
  client: Client;
  offset: number;
  numreplicas: number;
  timer: NodeJS.Timeout | null;
}

export class Replication {
  replid = randomBytes(20).toString('hex');
  replid2 = ZERO_ID;
  secondReplOffset = -1;
  /** master_repl_offset: bytes of the replication stream produced (master) or applied (replica). */
  offset = 0;
  backlog: Backlog | null = null;
  readonly replicas = new Map<Client, ReplicaConn>();
  private readonly handshakes = new WeakMap<Client, Handshake>();
  /** The db the stream last SELECTed (-1: the next write emits SELECT). */
  private streamDb = -1;
  /** Stream bytes encoded (and counted in `offset`) but not yet handed to the backlog and the replicas. */
  private readonly enc = new Encoder(2);
  private flushQueued = false;
  private readonly waiters: Waiter[] = [];
  private getackPending = false;
  private lastPing = Date.now();
  /** Replicas whose ack is within min-replicas-max-lag (refreshed by the cron and on acks). */
  goodReplicas = 0;

  // ---- Replica side state ----
  masterHost = '';
  masterPort = 0;
  linkState: LinkState = 'none';
  private sock: net.Socket | null = null;
  private inbuf: Buffer = Buffer.alloc(0);
  private handshakeStep = 0;
  private masterClient: Client | null = null;
  /** Bytes of the stream fed into masterClient's parser since the sync (plus the sync offset). */
  private readOffset = 0;
  /** Stream bytes received but not yet applied (a command cut by the chunk boundary). */
  private unapplied: Buffer[] = [];
  private group: { cmd: Command; args: string[] }[] | null = null;
  /**
   * Stream offset just before the open MULTI: a transaction counts as applied only at its EXEC,
   * so a link lost in the middle makes the master send the whole transaction again (Redis keeps
   * reploff still while its master client is in MULTI).
   */
  private groupStart = 0;
  private lastIo = 0;
  private linkDownSince = 0;
  /** The replid/offset we can continue from (PSYNC), -1 when we know none. */
  private cachedReplid = '';
  private cachedOffset = -1;
  /** The db the master's stream had selected when the link was lost (the cached master client's). */
  private cachedDb = 0;
  private transfer: { eofMark: string | null; len: number; chunks: Buffer[]; got: number; replid: string; offset: number } | null = null;
  readonly stats = { syncFull: 0, syncPartialOk: 0, syncPartialErr: 0 };
  /** FAILOVER (Redis 6.2's coordinated switch): no-failover, waiting-for-sync, failover-in-progress. */
  failoverState: 'no-failover' | 'waiting-for-sync' | 'failover-in-progress' = 'no-failover';
  private failover: { host: string | null; port: number; end: number; force: boolean } | null = null;

  constructor(private readonly server: Server) {
    const config = server.config;
    syncAliases(server);
    server.observeWrites((events) => this.observe(events));
    config.onChange('repl-backlog-size', (v) => this.backlog?.resize(Number(v)));
    config.onChange('replica-read-only', () => this.updateDeny());
    config.onChange('replica-serve-stale-data', () => this.updateDeny());
    config.onChange('min-replicas-to-write', () => this.refreshGood());
    config.onChange('min-replicas-max-lag', () => this.refreshGood());
    extendInfo(server, 'stats', () => [
      ['sync_full', this.stats.syncFull],
      ['sync_partial_ok', this.stats.syncPartialOk],
      ['sync_partial_err', this.stats.syncPartialErr],
      ['total_net_repl_input_bytes', this.replInputBytes],
      ['total_net_repl_output_bytes', this.replOutputBytes],
    ]);
  }

  /** DEBUG CHANGE-REPL-ID: Redis's changeReplicationId + clearReplicationId2. */
  changeReplicationId(): void {
    this.replid = randomBytes(20).toString('hex');
    this.replid2 = ZERO_ID;
    this.secondReplOffset = -1;
  }

  get isReplica(): boolean {
    return this.masterHost !== '';
  }

  /**
   * How old a replica's data may be, in ms (the data_age of Redis's clusterHandleSlaveFailover):
   * the time since the master's last byte while the link is up, since the link went down
   * otherwise; Infinity when the link never came up (Redis's repl_down_since of 0).
   */
  masterDataAge(now = Date.now()): number {
    if (this.linkState === 'connected') return now - this.lastIo;
    return this.linkDownSince === 0 ? Infinity : now - this.linkDownSince;
  }

  /**
   * At startup, after the dataset was loaded: the replication id and offset of the snapshot (if it
   * had them) become ours, as Redis restores them from its RDB — a restarted master's replicas and a
   * restarted replica continue with a partial resync. Then `replicaof host port` from the
   * configuration starts the link.
   */
  start(): void {
    const saved = this.server.persistence.loadedRepl;
    if (saved && /^[0-9a-f]{40}$/.test(saved.replId) && saved.replOffset >= 0) {
      this.replid = saved.replId;
      this.offset = saved.replOffset;
      this.backlog = new Backlog(this.server.config.getInt('repl-backlog-size'), this.offset);
      this.streamDb = -1;
    }
    const v = this.server.config.getString('replicaof').trim();
    if (!v) return;
    const [host, port] = v.split(/\s+/);
    if (saved) {
      this.server.log.info(`Using the snapshot's replication id and offset to try a partial resynchronization (${saved.replId}:${saved.replOffset + 1}).`);
      this.cachedReplid = this.replid;
      this.cachedOffset = this.offset;
      this.cachedDb = saved.streamDb >= 0 && saved.streamDb < this.server.dbs.length ? saved.streamDb : 0;
    }
    // Without a saved history the first sync is a full one.
    this.setMaster(host, Number(port), false);
  }

  /**
   * The repl-id / repl-offset / repl-stream-db aux fields of a snapshot: on a replica its master's
   * history and the db its stream has selected; on a master with a backlog its own.
   */
  rdbInfo(): { replId: string; replOffset: number; streamDb: number } | null {
    if (this.isReplica) {
      if (this.linkState === 'connected' && this.masterClient) return { replId: this.replid, replOffset: this.offset, streamDb: this.masterClient.db };
      // Link down: the history we would continue from (Redis uses its cached master).
      return this.cachedOffset >= 0 ? { replId: this.cachedReplid, replOffset: this.cachedOffset, streamDb: this.cachedDb } : null;
    }
    if (!this.backlog) return null;
    this.flushStream();
    return { replId: this.replid, replOffset: this.offset, streamDb: this.streamDb < 0 ? 0 : this.streamDb };
  }

  close(): void {
    this.dropLink();
    this.linkState = 'none';
    for (const w of this.waiters) if (w.timer) clearTimeout(w.timer);
  }

  // ==== Master side: the stream ================================================================

  private observe(events: WriteEvent[]): void {
    // A replica's stream is the master's bytes, proxied as applied (applyStream).
    if (this.isReplica || this.backlog === null) return;
    const enc = this.enc;
    const before = enc.pos;
    const group = events.length > 1;
    if (group) {
      if (events[0].db !== this.streamDb) {
        encodeCommand(enc, ['SELECT', String(events[0].db)]);
        this.streamDb = events[0].db;
      }
      encodeCommand(enc, ['MULTI']);
    }
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      if (e.db !== this.streamDb) {
        encodeCommand(enc, ['SELECT', String(e.db)]);
        this.streamDb = e.db;
      }
      encodeCommand(enc, e.args, e.big);
    }
    if (group) encodeCommand(enc, ['EXEC']);
    this.offset += enc.pos - before;
    this.scheduleFlush();
  }

  /**
   * A command for the replicas only, in no db (WASM.LOAD / WASM.UNLOAD: modules are not part of
   * the AOF, they persist in the module store, but a replica must have them to take over).
   */
  propagateCommand(args: string[]): void {
    if (this.isReplica || this.backlog === null) return;
    const enc = this.enc;
    const before = enc.pos;
    encodeCommand(enc, args);
    this.offset += enc.pos - before;
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(this.flushStream);
  }

  /** Hand what was encoded to the backlog and every online replica. */
  readonly flushStream = (): void => {
    this.flushQueued = false;
    const out = this.enc.take();
    if (out === null) return;
    this.feed(out, false);
  };

  /** Bytes that are part of the stream: backlog + replicas. `count`: add them to the offset. */
  private feed(b: Buffer, count: boolean): void {
    if (count) this.offset += b.length;
    this.backlog?.append(b);
    for (const r of this.replicas.values()) {
      if (r.state === 'online') this.writeReplica(r, b);
      else r.pending.push(b);
    }
  }

  /** A command the master itself puts in the stream (PING, REPLCONF GETACK), outside any db. */
  private feedCommand(args: string[]): void {
    this.flushStream();
    const e = new Encoder(2);
    encodeCommand(e, args);
    this.feed(e.take()!, true);
  }

  private writeReplica(r: ReplicaConn, b: Buffer): void {
    const sock = r.client.socket;
    if (!sock || sock.destroyed) return;
    this.server.stats.netOutputBytes += b.length;
    this.replOutputBytes += b.length;
    sock.write(b);
    const l = this.server.outputLimits.replica;
    const unsent = sock.writableLength;
    if (l.hard > 0 && unsent >= l.hard) {
      this.server.stats.outputLimitDisconnections++;
      this.server.log.warn(`Client ${this.server.describeClient(r.client)} scheduled to be closed ASAP for overcoming of output buffer limits.`);
      this.killReplica(r.client);
    }
  }

  replOutputBytes = 0;
  replInputBytes = 0;

  private ensureBacklog(): Backlog {
    if (!this.backlog) {
      this.backlog = new Backlog(this.server.config.getInt('repl-backlog-size'), this.offset);
      this.streamDb = -1;
    }
    return this.backlog;
  }

  // ==== Master side: commands ===================================================================

  /** REPLCONF option value … */
  replconf(client: Client, args: string[]): Reply {
    if (args.length % 2 === 0) return new ReplyError('ERR', 'syntax error');
    const hs = this.handshakeOf(client);
    for (let i = 1; i < args.length; i += 2) {
      const opt = args[i].toLowerCase();
      const val = args[i + 1];
      if (opt === 'listening-port') {
        const p = Number(val);
        if (!/^-?\d+$/.test(val)) return new ReplyError('ERR', 'value is not an integer or out of range');
        hs.listeningPort = p;
      } else if (opt === 'ip-address') {
        hs.ip = val;
      } else if (opt === 'capa') {
        if (val.toLowerCase() === 'eof') hs.capaEof = true;
        else if (val.toLowerCase() === 'psync2') hs.capaPsync2 = true;
      } else if (opt === 'ack') {
        // Replicas send ACKs without expecting a reply; from anyone else it is ignored too.
        const r = this.replicas.get(client);
        if (!r) return NO_REPLY;
        const off = Number(val);
        if (Number.isFinite(off) && off > r.ackOffset) r.ackOffset = off;
        r.ackTime = Date.now();
        if (r.state === 'wait_ack') this.putOnline(r);
        this.checkWaiters();
        this.refreshGood();
        return NO_REPLY;
      } else if (opt === 'getack') {
        // Sent by our master inside the stream; handled by applyCommand. From a client: nothing.
        return NO_REPLY;
      } else if (opt === 'rdb-only') {
        if (!/^-?\d+$/.test(val)) return new ReplyError('ERR', 'value is not an integer or out of range');
        if (val !== '0' && val !== '1') return new ReplyError('ERR', 'value is out of range, value must between 0 and 1');
        hs.rdbOnly = val === '1';
      } else if (opt === 'rdb-filter-only') {
        // redis-cli --functions-rdb: accepted; the whole file is sent (Redis would leave out the keys).
        for (const f of val.split(/\s+/).filter(Boolean)) {
          if (f.toLowerCase() !== 'functions') return new ReplyError('ERR', `Unsupported rdb-filter-only option: ${f}`);
        }
      } else {
        return new ReplyError('ERR', `Unrecognized REPLCONF option: ${args[i]}`);
      }
    }
    return OK;
  }

  private handshakeOf(client: Client): Handshake {
    let hs = this.handshakes.get(client);
    if (!hs) this.handshakes.set(client, (hs = { listeningPort: 0, ip: '', capaEof: false, capaPsync2: false, rdbOnly: false }));
    return hs;
  }

  /** PSYNC replid offset, and SYNC (psync = false). */
  sync(client: Client, args: string[], psync: boolean): Reply {
    if (this.replicas.has(client)) return NO_REPLY; // already a replica: ignore, as Redis does
    if (client.multi || client.inExec) return new ReplyError('ERR', 'Replica can\'t sync while in MULTI');
    // PSYNC replid offset FAILOVER: our master hands over (FAILOVER on its side); we take over
    // when its history is ours, then answer the PSYNC as the new master (+CONTINUE).
    if (psync && args.length > 3 && args[3].toLowerCase() === 'failover') {
      if (args[1] !== this.replid) return new ReplyError('ERR', 'PSYNC FAILOVER replid must match my replid.');
      if (this.isReplica) {
        this.promote();
        this.server.log.info(`MASTER MODE enabled (failover request from '${this.server.describeClient(client)}')`);
      }
    }
    if (this.failoverState !== 'no-failover') return new ReplyError('NOMASTERLINK', "Can't SYNC while failing over");
    if (this.isReplica && this.linkState !== 'connected') {
      return new ReplyError('NOMASTERLINK', "Can't SYNC while not connected with my master");
    }
    this.flushStream();
    const hs = this.handshakeOf(client);
    const sock = client.socket;
    if (!sock) return NO_REPLY;
    // Replies already encoded for this connection (REPLCONF +OK) go out before the raw stream.
    client.flush();
    if (psync) {
      const wantId = args[1];
      const from = Number(args[2]);
      const backlog = this.backlog;
      const ours = wantId === this.replid || (wantId === this.replid2 && from <= this.secondReplOffset);
      if (ours && backlog && Number.isInteger(from) && backlog.covers(from)) {
        sock.write(hs.capaPsync2 ? `+CONTINUE ${this.replid}\r\n` : '+CONTINUE\r\n');
        const missing = backlog.from(from);
        this.stats.syncPartialOk++;
        const r = this.attach(client, hs, 'online', from - 1);
        if (missing.length) this.writeReplica(r, missing);
        this.server.log.info(
          `Partial resynchronization request from ${client.addr} accepted. Sending ${missing.length} bytes of backlog starting from offset ${from}.`,
        );
        return NO_REPLY;
      }
      if (wantId !== '?') {
        this.stats.syncPartialErr++;
        this.server.log.info(`Partial resynchronization not accepted: replid ${wantId} offset ${args[2]} not in our history (${this.replid}:${this.offset})`);
      }
    }
    // Full resynchronization.
    if (!this.backlog && this.replicas.size === 0 && !this.isReplica) {
      // Redis's syncCommand: the first replica of a master without backlog starts a new history.
      this.replid = randomBytes(20).toString('hex');
      this.replid2 = ZERO_ID;
      this.secondReplOffset = -1;
    }
    this.ensureBacklog();
    // The next write selects its db again: the replica starts from db 0 after loading.
    if (!this.isReplica) this.streamDb = -1;
    const offset = this.offset;
    this.stats.syncFull++;
    if (psync) sock.write(`+FULLRESYNC ${this.replid} ${offset}\r\n`);
    this.sendRdb(client, hs, offset, psync && hs.capaEof && this.server.config.getBool('repl-diskless-sync'));
    return NO_REPLY;
  }

  /**
   * Send the dataset as of now: an RDB written in slices of SLICE_MS between other clients'
   * commands (RdbSnapshot keeps it consistent as of its creation, the way a fork's copy-on-write
   * does), streamed as it is produced in the `$EOF:<mark>` form, or gathered and sent as
   * `$<len>`. The stream produced meanwhile waits in the replica's pending list and follows the
   * file, which is what Redis's replica output buffer does during a BGSAVE.
   */
  private sendRdb(client: Client, hs: Handshake, offset: number, diskless: boolean): void {
    const sock = client.socket!;
    const r = this.attach(client, hs, 'send_bulk', offset);
    const t0 = Date.now();
    const mark = diskless ? randomBytes(20).toString('hex') : '';
    const chunks: Buffer[] = [];
    let bytes = 0;
    if (diskless) sock.write(`$EOF:${mark}\r\n`);
    const sink = diskless
      ? (b: Buffer) => {
          bytes += b.length;
          sock.write(b);
        }
      : (b: Buffer) => {
          bytes += b.length;
          chunks.push(b);
        };
    const streamDb = this.isReplica ? (this.masterClient?.db ?? 0) : 0;
    const snap = new RdbSnapshot(this.server, sink, { repl: { replId: this.replid, replOffset: offset, streamDb } });
    const gone = () => this.replicas.get(client) !== r || sock.destroyed;
    /** Continue once the socket has taken most of what was written (the file never piles up in memory). */
    const whenDrained = (fn: () => void) => {
      if (sock.writableLength <= TRANSFER_QUEUE) setImmediate(fn);
      else sock.once('drain', fn);
    };
    const done = () => {
      this.server.stats.netOutputBytes += bytes;
      this.replOutputBytes += bytes;
      if (hs.rdbOnly) {
        // redis-cli --rdb: the file was all it asked for.
        this.replicas.delete(client);
        this.refreshGood();
        sock.end();
        return;
      }
      if (diskless) r.state = 'wait_ack';
      else this.putOnline(r);
      this.server.log.info(
        `Synchronization with replica ${client.addr} succeeded: ${bytes} bytes of RDB (${diskless ? 'diskless' : 'bulk'}) in ${Date.now() - t0} ms, offset ${offset}`,
      );
    };
    // `$<len>`: the length goes first, so the file was gathered; it is written as the socket drains.
    let next = 0;
    const sendChunks = () => {
      if (gone()) return;
      while (next < chunks.length && sock.writableLength <= TRANSFER_QUEUE) {
        sock.write(chunks[next]);
        chunks[next++] = EMPTY;
      }
      if (next < chunks.length) whenDrained(sendChunks);
      else done();
    };
    const tick = () => {
      if (gone()) {
        snap.stop();
        return;
      }
      try {
        if (!snap.step(SLICE_MS)) {
          whenDrained(tick);
          return;
        }
      } catch (err) {
        snap.stop();
        this.server.log.warn(`Full resync of ${client.addr} failed: ${err instanceof Error ? err.message : String(err)}`);
        this.killReplica(client);
        return;
      }
      if (diskless) {
        sock.write(mark);
        done();
      } else {
        sock.write(`$${bytes}\r\n`);
        sendChunks();
      }
    };
    tick();
  }

  private putOnline(r: ReplicaConn): void {
    r.state = 'online';
    const pending = r.pending;
    r.pending = [];
    for (const b of pending) this.writeReplica(r, b);
    this.refreshGood();
  }

  private attach(client: Client, hs: Handshake, state: ReplicaConn['state'], offset: number): ReplicaConn {
    const ip = hs.ip || (client.socket?.remoteAddress ?? '').replace(/^::ffff:/, '');
    const r: ReplicaConn = {
      client,
      state,
      listeningPort: hs.listeningPort,
      ip,
      capaEof: hs.capaEof,
      capaPsync2: hs.capaPsync2,
      ackOffset: offset,
      ackTime: Date.now(),
      pending: [],
    };
    this.replicas.set(client, r);
    client.replRole = 'slave';
    // Nothing but the stream goes to a replica (Redis sends no replies to CLIENT_SLAVE).
    client.replyOff = true;
    client.socket?.once('close', () => this.replicaGone(client));
    this.refreshGood();
    return r;
  }

  /** The connection closed (or was killed): forget the replica. */
  replicaGone(client: Client): void {
    if (!this.replicas.delete(client)) return;
    this.server.log.info(`Connection with replica ${client.addr} lost.`);
    this.refreshGood();
    this.checkWaiters();
  }

  private killReplica(client: Client): void {
    client.closing = true;
    client.socket?.destroy();
    this.replicaGone(client);
  }

  /** Close every replica connection (our history changed: they must PSYNC again). */
  disconnectReplicas(): void {
    for (const c of [...this.replicas.keys()]) this.killReplica(c);
  }

  // ---- FAILOVER ----

  /** FAILOVER [TO host port [FORCE]] [TIMEOUT ms] | FAILOVER ABORT (Redis's failoverCommand). */
  failoverCommand(args: string[]): Reply {
    if (args.length === 2 && args[1].toLowerCase() === 'abort') {
      if (this.failoverState === 'no-failover') return new ReplyError('ERR', 'No failover in progress.');
      this.abortFailover('Failover manually aborted');
      return OK;
    }
    let timeout = 0;
    let force = false;
    let host: string | null = null;
    let port = 0;
    for (let j = 1; j < args.length; j++) {
      const a = args[j].toLowerCase();
      if (a === 'timeout' && j + 1 < args.length && timeout === 0) {
        const t = parseIntArg(args[j + 1]);
        if (t === null) return ERR_NOT_INTEGER;
        if (t <= 0) return new ReplyError('ERR', 'FAILOVER timeout must be greater than 0');
        timeout = t;
        j++;
      } else if (a === 'to' && j + 2 < args.length && host === null) {
        const p = parseIntArg(args[j + 2]);
        if (p === null) return ERR_NOT_INTEGER;
        host = args[j + 1];
        port = p;
        j += 2;
      } else if (a === 'force' && !force) {
        force = true;
      } else {
        return ERR_SYNTAX;
      }
    }
    if (this.failoverState !== 'no-failover') return new ReplyError('ERR', 'FAILOVER already in progress.');
    if (this.isReplica) return new ReplyError('ERR', 'FAILOVER is not valid when server is a replica.');
    if (this.replicas.size === 0) return new ReplyError('ERR', 'FAILOVER requires connected replicas.');
    if (force && (!timeout || host === null)) return new ReplyError('ERR', 'FAILOVER with force option requires both a timeout and target HOST and IP.');
    if (host !== null) {
      const r = this.findReplica(host, port);
      if (!r) return new ReplyError('ERR', 'FAILOVER target HOST and PORT is not a replica.');
      if (r.state !== 'online') return new ReplyError('ERR', 'FAILOVER target replica is not online.');
      this.server.log.info(`FAILOVER requested to ${host}:${port}.`);
    } else {
      this.server.log.info('FAILOVER requested to any replica.');
    }
    this.failover = { host, port, end: timeout ? Date.now() + timeout : 0, force };
    this.failoverState = 'waiting-for-sync';
    // No new writes: the target catches up with a stream that stops growing.
    this.server.pause(8.64e15, true);
    this.flushStream();
    this.feedCommand(['REPLCONF', 'GETACK', '*']);
    return OK;
  }

  private findReplica(host: string, port: number): ReplicaConn | null {
    for (const r of this.replicas.values()) if (r.ip.toLowerCase() === host.toLowerCase() && r.listeningPort === port) return r;
    return null;
  }

  /** Redis's updateFailoverStatus: once the target has the whole stream, become its replica. */
  private updateFailover(now: number): void {
    const f = this.failover;
    if (!f) return;
    this.flushStream();
    if (f.end && f.end <= now) {
      if (f.force && f.host !== null) {
        this.server.log.info(`FAILOVER to ${f.host}:${f.port} time out exceeded, failing over.`);
        this.failoverState = 'failover-in-progress';
        this.setMaster(f.host, f.port);
      } else {
        this.abortFailover('Replica never caught up before timeout');
      }
      return;
    }
    let target: ReplicaConn | null = null;
    if (f.host !== null) target = this.findReplica(f.host, f.port);
    else {
      for (const r of this.replicas.values()) {
        if (r.ackOffset === this.offset) {
          target = r;
          f.host = r.ip;
          f.port = r.listeningPort;
          break;
        }
      }
    }
    if (target && target.ackOffset === this.offset && f.host !== null) {
      this.failoverState = 'failover-in-progress';
      this.server.log.info(`Failover target ${f.host}:${f.port} is synced, failing over.`);
      this.setMaster(f.host, f.port);
    }
  }

  private clearFailover(): void {
    this.failover = null;
    this.failoverState = 'no-failover';
    this.server.unpause();
  }

  private abortFailover(why: string): void {
    if (this.failoverState === 'no-failover') return;
    const f = this.failover;
    this.server.log.info(f?.host ? `FAILOVER to ${f.host}:${f.port} aborted: ${why}` : `FAILOVER to any replica aborted: ${why}`);
    if (this.failoverState === 'failover-in-progress') this.promote();
    this.clearFailover();
  }

  // ---- WAIT ----

  /** WAIT numreplicas timeout. */
  wait(client: Client, numreplicas: number, timeoutMs: number): Reply {
    this.flushStream();
    const target = this.offset;
    const acked = this.ackedAtLeast(target);
    if (acked >= numreplicas || client.multi || client.inExec || client.inScript || !client.socket) return acked;
    const w: Waiter = { client, offset: target, numreplicas, timer: null };
    this.waiters.push(w);
    this.server.blocking.block(
      client,
      { db: client.db, keys: [], retry: () => undefined, timeoutReply: 0, timer: null, cmd: this.server.table.lookup('wait')!, args: ['WAIT'] },
      0,
    );
    if (timeoutMs > 0) {
      w.timer = setTimeout(() => {
        this.releaseWaiter(w);
        this.server.flushPending();
      }, timeoutMs);
    }
    // Ask the replicas for their offset now rather than waiting for their next periodic ACK.
    if (!this.getackPending) {
      this.getackPending = true;
      setImmediate(() => {
        this.getackPending = false;
        if (this.waiters.length > 0 && this.replicas.size > 0) this.feedCommand(['REPLCONF', 'GETACK', '*']);
      });
    }
    return NO_REPLY;
  }

  /**
   * SHUTDOWN without NOW on a master (Redis 7's shutdown-timeout): pause writes and wait, at most
   * shutdown-timeout seconds, until every replica acknowledged the whole stream.
   */
  async waitForReplicasBeforeShutdown(): Promise<void> {
    const secs = this.server.config.getInt('shutdown-timeout');
    if (this.isReplica || this.replicas.size === 0 || secs === 0) return;
    this.flushStream();
    const target = this.offset;
    const lagging = () => [...this.replicas.values()].some((r) => r.ackOffset < target);
    if (!lagging()) return;
    this.server.log.warn('Waiting for replicas before shutting down.');
    this.server.pause(secs * 1000, true);
    this.feedCommand(['REPLCONF', 'GETACK', '*']);
    const end = Date.now() + secs * 1000;
    while (lagging() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
    if (lagging()) this.server.log.warn(`Lagging replicas remain after waiting ${secs} s; shutting down anyway.`);
    else this.server.log.info('All replicas are in sync.');
  }

  private ackedAtLeast(offset: number): number {
    let n = 0;
    for (const r of this.replicas.values()) if (r.state === 'online' && r.ackOffset >= offset) n++;
    return n;
  }

  private releaseWaiter(w: Waiter): void {
    const i = this.waiters.indexOf(w);
    if (i < 0) return;
    this.waiters.splice(i, 1);
    if (w.timer) clearTimeout(w.timer);
    if (w.client.blocked && !w.client.closing) this.server.blocking.unblock(w.client, this.ackedAtLeast(w.offset));
  }

  private checkWaiters(): void {
    if (this.waiters.length === 0) return;
    for (const w of [...this.waiters]) {
      if (!w.client.blocked || w.client.closing) {
        this.releaseWaiter(w);
        continue;
      }
      if (this.ackedAtLeast(w.offset) >= w.numreplicas) this.releaseWaiter(w);
    }
    this.server.flushPending();
  }

  // ---- min-replicas-to-write ----

  private refreshGood(): void {
    const maxLag = this.server.config.getInt('min-replicas-max-lag');
    const now = Date.now();
    let n = 0;
    for (const r of this.replicas.values()) if (r.state === 'online' && (now - r.ackTime) / 1000 <= maxLag) n++;
    this.goodReplicas = n;
    this.updateDeny();
  }

  /**
   * What dispatch must refuse: Server.replDeny is null in the common case (a master without
   * min-replicas-to-write), so the check costs one comparison per command.
   */
  updateDeny(): void {
    const c = this.server.config;
    const server = this.server;
    if (this.isReplica) {
      const ro = c.getBool('replica-read-only');
      const stale = !c.getBool('replica-serve-stale-data') && this.linkState !== 'connected';
      server.replDeny =
        ro || stale
          ? (cmd: Command, client: Client) => {
              if (client.replRole === 'master') return null;
              if (stale && !cmd.spec.flags.includes('stale')) return ERR_MASTERDOWN;
              if (ro && (cmd.isWrite || (cmd.fullName === 'exec' && client.multi?.queue.some((q) => q.cmd.isWrite)))) return ERR_READONLY;
              return null;
            }
          : null;
      return;
    }
    const min = c.getInt('min-replicas-to-write');
    const maxLag = c.getInt('min-replicas-max-lag');
    if (min > 0 && maxLag > 0 && this.goodReplicas < min) {
      server.replDeny = (cmd: Command, client: Client) =>
        cmd.isWrite || (cmd.fullName === 'exec' && client.multi?.queue.some((q) => q.cmd.isWrite)) ? ERR_NOREPLICAS : null;
    } else {
      server.replDeny = null;
    }
  }

  // ==== Cron (every server cron tick; the replication work runs once a second) ====================

  private lastSecond = 0;

  cron(): void {
    const now = Date.now();
    if (this.failoverState === 'waiting-for-sync') this.updateFailover(now);
    if (now - this.lastSecond < 1000) return;
    this.lastSecond = now;
    const config = this.server.config;
    const timeoutMs = config.getInt('repl-timeout') * 1000;
    // Master side: PING the replicas, drop the silent ones.
    if (this.replicas.size > 0 && !this.isReplica) {
      if (now - this.lastPing >= config.getInt('repl-ping-replica-period') * 1000) {
        this.lastPing = now;
        this.feedCommand(['PING']);
      }
    }
    for (const r of [...this.replicas.values()]) {
      if (r.state === 'online' && now - r.ackTime > timeoutMs) {
        this.server.log.warn(`Disconnecting timedout replica (streaming sync): ${r.ip}:${r.listeningPort}`);
        this.killReplica(r.client);
      }
    }
    this.refreshGood();
    // Replica side.
    if (!this.isReplica) return;
    if (this.linkState === 'connect') this.connect();
    else if (this.linkState === 'connected') {
      this.sendAck();
      if (now - this.lastIo > timeoutMs) {
        this.server.log.warn('MASTER timeout: no data nor PING received...');
        this.dropLink();
      }
    } else if (this.linkState !== 'none' && now - this.lastIo > timeoutMs) {
      this.server.log.warn('Timeout connecting to the MASTER...');
      this.dropLink();
    }
  }

  // ==== Replica side ============================================================================

  /** REPLICAOF host port. Returns the reply. */
  replicaof(client: Client, args: string[]): Reply {
    if (client.replRole === 'slave') return new ReplyError('ERR', 'Command is not valid when client is a replica.');
    if (args[1].toLowerCase() === 'no' && args[2].toLowerCase() === 'one') {
      if (this.isReplica) {
        this.promote();
        this.server.log.info(`MASTER MODE enabled (user request from '${this.server.describeClient(client)}')`);
      }
      return OK;
    }
    const port = Number(args[2]);
    if (!/^-?\d+$/.test(args[2]) || !Number.isSafeInteger(port) || port < 0 || port > 65535) return ERR_MASTER_PORT;
    if (this.isReplica && this.masterHost === args[1] && this.masterPort === port) {
      return new Status('OK Already connected to specified master');
    }
    this.setMaster(args[1], port);
    this.server.log.info(`REPLICAOF ${args[1]}:${port} enabled (user request from '${this.server.describeClient(client)}')`);
    return OK;
  }

  /** Become a replica of host:port (replicationSetMaster). */
  setMaster(host: string, port: number, cacheSelf = true): void {
    const wasMaster = !this.isReplica;
    this.dropLink();
    if (wasMaster && cacheSelf) {
      // Our own history is what we ask the new master to continue (replicationCacheMasterUsingMyself).
      this.flushStream();
      this.cachedReplid = this.replid;
      this.cachedOffset = this.offset;
      this.cachedDb = 0; // the new master starts its stream with SELECT
      this.releaseAllWaiters();
    }
    this.masterHost = host;
    this.masterPort = port;
    this.linkState = 'connect';
    // Redis's repl_down_since: 0 (shown as -1) until a link that was up is lost.
    this.linkDownSince = 0;
    for (const db of this.server.dbs) db.hideExpired = true;
    this.disconnectReplicas();
    this.updateDeny();
    this.connect();
  }

  /** REPLICAOF NO ONE: keep the data, start a new history that continues the old one (shiftReplicationId). */
  promote(): void {
    this.dropLink();
    this.masterHost = '';
    this.masterPort = 0;
    this.linkState = 'none';
    this.replid2 = this.replid;
    this.secondReplOffset = this.offset + 1;
    this.replid = randomBytes(20).toString('hex');
    this.cachedReplid = '';
    this.cachedOffset = -1;
    for (const db of this.server.dbs) db.hideExpired = false;
    this.ensureBacklog();
    this.streamDb = -1;
    // Replicas of ours reconnect and continue with +CONTINUE <new id> (replid2 covers their offset).
    this.disconnectReplicas();
    this.updateDeny();
  }

  private releaseAllWaiters(): void {
    for (const w of [...this.waiters]) this.releaseWaiter(w);
  }

  private connect(): void {
    if (this.sock) return;
    this.linkState = 'connecting';
    this.lastIo = Date.now();
    this.inbuf = Buffer.alloc(0);
    const sock = net.connect({ host: this.masterHost, port: this.masterPort });
    this.sock = sock;
    sock.setNoDelay(true);
    sock.on('connect', () => {
      if (this.sock !== sock) return;
      this.server.log.info(`MASTER <-> REPLICA sync started: connected to ${this.masterHost}:${this.masterPort}`);
      this.linkState = 'handshake';
      this.handshakeStep = 0;
      this.lastIo = Date.now();
      this.handshakeNext();
    });
    sock.on('data', (chunk: Buffer) => {
      if (this.sock !== sock) return;
      this.lastIo = Date.now();
      this.replInputBytes += chunk.length;
      this.server.stats.netInputBytes += chunk.length;
      try {
        this.onMasterData(chunk);
      } catch (err) {
        this.server.log.warn({ err: err instanceof Error ? (err.stack ?? err.message) : String(err) }, 'replication link error, reconnecting');
        this.dropLink();
      }
    });
    sock.on('error', (err) => {
      if (this.sock === sock) this.server.log.warn(`Error condition on socket for SYNC: ${err.message}`);
    });
    sock.on('close', () => {
      if (this.sock !== sock) return;
      this.sock = null;
      this.linkLost();
    });
  }

  /** Close the link to the master (it will be retried by the cron while we are a replica). */
  private dropLink(): void {
    const sock = this.sock;
    this.sock = null;
    if (sock) sock.destroy();
    this.linkLost();
  }

  private linkLost(): void {
    const wasUp = this.linkState === 'connected';
    if (wasUp) {
      // Cache what we have applied, to PSYNC from it on reconnect.
      this.cachedReplid = this.replid;
      this.cachedOffset = this.offset;
      this.cachedDb = this.masterClient?.db ?? 0;
      this.server.log.info('Connection with master lost. Caching the disconnected master state.');
    }
    this.transfer = null;
    if (this.masterClient) this.server.disconnect(this.masterClient);
    this.masterClient = null;
    this.group = null;
    this.unapplied = [];
    if (this.linkState !== 'none') {
      this.linkState = this.isReplica ? 'connect' : 'none';
      if (wasUp) this.linkDownSince = Date.now();
    }
    this.updateDeny();
  }

  private send(args: string[]): void {
    const e = new Encoder(2);
    encodeCommand(e, args);
    this.sock?.write(e.take()!);
  }

  /** Send the next handshake command (Redis's syncWithMaster states). */
  private handshakeNext(): void {
    const c = this.server.config;
    for (;;) {
      const step = this.handshakeStep;
      if (step === 0) return this.send(['PING']);
      if (step === 1) {
        const auth = c.getString('masterauth');
        if (!auth) {
          this.handshakeStep++;
          continue;
        }
        const user = c.getString('masteruser');
        return this.send(user ? ['AUTH', user, auth] : ['AUTH', auth]);
      }
      if (step === 2) {
        const port = c.getInt('replica-announce-port') || this.server.port;
        return this.send(['REPLCONF', 'listening-port', String(port)]);
      }
      if (step === 3) {
        const ip = c.getString('replica-announce-ip');
        if (!ip) {
          this.handshakeStep++;
          continue;
        }
        return this.send(['REPLCONF', 'ip-address', ip]);
      }
      if (step === 4) return this.send(['REPLCONF', 'capa', 'eof', 'capa', 'psync2']);
      if (step === 5) {
        const canContinue = this.cachedOffset >= 0 && this.cachedReplid !== '';
        if (canContinue) this.server.log.info(`Trying a partial resynchronization (request ${this.cachedReplid}:${this.cachedOffset + 1}).`);
        const psync = ['PSYNC', canContinue ? this.cachedReplid : '?', canContinue ? String(this.cachedOffset + 1) : '-1'];
        if (this.failoverState === 'failover-in-progress') psync.push('FAILOVER');
        return this.send(psync);
      }
      return;
    }
  }

  private onMasterData(chunk: Buffer): void {
    if (this.linkState === 'connected') {
      this.applyStream(chunk);
      return;
    }
    this.inbuf = this.inbuf.length ? Buffer.concat([this.inbuf, chunk]) : chunk;
    while (this.linkState === 'handshake' || this.linkState === 'transfer') {
      if (this.linkState === 'transfer') {
        if (!this.readTransfer()) return;
        continue;
      }
      const nl = this.inbuf.indexOf('\n');
      if (nl < 0) return;
      const line = this.inbuf.latin1Slice(0, nl).replace(/\r$/, '');
      this.inbuf = this.inbuf.subarray(nl + 1);
      if (line === '') continue; // keepalive newline
      this.handshakeReply(line);
    }
    if ((this.linkState as LinkState) === 'connected' && this.inbuf.length > 0) {
      const rest = this.inbuf;
      this.inbuf = Buffer.alloc(0);
      this.applyStream(rest);
    }
  }

  private handshakeReply(line: string): void {
    const step = this.handshakeStep;
    const err = line.startsWith('-');
    if (step === 0) {
      // -NOAUTH / -NOPERM / -ERR operation not permitted are fine here: AUTH comes next.
      if (err && !/^-(NOAUTH|NOPERM|ERR operation not permitted)/.test(line)) {
        this.server.log.warn(`Error reply to PING from master: '${line}'`);
        return this.dropLink();
      }
    } else if (step === 1) {
      if (err) {
        this.server.log.warn(`Unable to AUTH to MASTER: ${line}`);
        return this.dropLink();
      }
    } else if (step === 2 || step === 3 || step === 4) {
      if (err) this.server.log.info(`(Non critical) Master does not understand REPLCONF: ${line}`);
    } else if (step === 5) {
      return this.psyncReply(line);
    }
    this.handshakeStep++;
    this.handshakeNext();
  }

  private psyncReply(line: string): void {
    if (this.failoverState === 'failover-in-progress') {
      if (line.startsWith('+FULLRESYNC') || line.startsWith('+CONTINUE')) this.clearFailover();
      else {
        this.abortFailover(`Failover target rejected psync request: ${line}`);
        return;
      }
    }
    if (line.startsWith('+FULLRESYNC')) {
      const [, replid, off] = line.split(' ');
      this.server.log.info(`Full resync from master: ${replid}:${off}`);
      this.transfer = { eofMark: null, len: -1, chunks: [], got: 0, replid, offset: Number(off) };
      this.linkState = 'transfer';
      return;
    }
    if (line.startsWith('+CONTINUE')) {
      const newId = line.split(' ')[1];
      this.server.log.info('Successful partial resynchronization with master.');
      if (newId && newId !== this.cachedReplid) {
        // The master's history has a new id (it was promoted): ours is its replid2 now.
        this.replid2 = this.cachedReplid;
        this.secondReplOffset = this.cachedOffset + 1;
        this.replid = newId;
        this.disconnectReplicas();
      }
      this.offset = this.cachedOffset;
      this.ensureBacklog();
      this.linkUp(this.cachedOffset, this.cachedDb);
      return;
    }
    this.server.log.warn(`Unexpected reply to PSYNC from master: ${line}`);
    this.dropLink();
  }

  /** Read the RDB ($len or $EOF:mark). Returns false when more bytes are needed. */
  private readTransfer(): boolean {
    const t = this.transfer!;
    if (t.len < 0 && t.eofMark === null) {
      // Skip the keepalive newlines the master sends while it prepares the RDB.
      let i = 0;
      while (i < this.inbuf.length && this.inbuf[i] === 0x0a) i++;
      this.inbuf = this.inbuf.subarray(i);
      const nl = this.inbuf.indexOf('\n');
      if (nl < 0) return false;
      const line = this.inbuf.latin1Slice(0, nl).replace(/\r$/, '');
      this.inbuf = this.inbuf.subarray(nl + 1);
      if (line.startsWith('-')) throw new Error(`MASTER aborted replication with an error: ${line}`);
      if (!line.startsWith('$')) throw new Error(`Bad protocol from MASTER, the first byte is not '$': ${line}`);
      if (line.startsWith('$EOF:')) t.eofMark = line.slice(5);
      else t.len = Number(line.slice(1));
    }
    if (this.inbuf.length) {
      t.chunks.push(this.inbuf);
      t.got += this.inbuf.length;
      this.inbuf = Buffer.alloc(0);
    }
    let rdb: Buffer;
    let rest: Buffer;
    if (t.eofMark !== null) {
      const ml = t.eofMark.length;
      if (t.got < ml) return false;
      // The mark ends the payload, in the last bytes read (the master sends nothing after it until
      // our first ACK). Only the tail is looked at: the chunks are joined once, at the end.
      if (tailOf(t.chunks, ml) !== t.eofMark) return false;
      const all = t.chunks.length === 1 ? t.chunks[0] : Buffer.concat(t.chunks);
      rdb = all.subarray(0, all.length - ml);
      rest = Buffer.alloc(0);
    } else {
      if (t.got < t.len) return false;
      const all = t.chunks.length === 1 ? t.chunks[0] : Buffer.concat(t.chunks, t.got);
      rdb = all.subarray(0, t.len);
      rest = all.subarray(t.len);
    }
    this.transfer = null;
    this.loadFromMaster(rdb, t.replid, t.offset);
    this.inbuf = rest;
    return true;
  }

  private loadFromMaster(rdb: Buffer, replid: string, offset: number): void {
    const t0 = Date.now();
    const server = this.server;
    this.server.log.info(`MASTER <-> REPLICA sync: receiving ${rdb.length} bytes from master, flushing old data and loading the DB in memory`);
    for (const db of server.dbs) {
      db.clear();
      server.touchAllWatched(db.id);
    }
    const aux = loadRdbBuffer(server, rdb);
    const streamDb = Number(aux.get('repl-stream-db') ?? 0);
    server.dirty++;
    this.replid = replid;
    this.replid2 = ZERO_ID;
    this.secondReplOffset = -1;
    this.offset = offset;
    // A new history: the old backlog does not continue it.
    this.backlog = null;
    this.ensureBacklog();
    this.disconnectReplicas();
    this.server.log.info(`MASTER <-> REPLICA sync: Finished with success (${Date.now() - t0} ms)`);
    // The AOF must describe the new dataset: rewrite it from memory (Redis restarts the AOF).
    if (server.config.getBool('appendonly')) server.persistence.requestRewrite();
    this.linkUp(offset, Number.isInteger(streamDb) && streamDb >= 0 && streamDb < server.dbs.length ? streamDb : 0);
  }

  private linkUp(offset: number, db: number): void {
    this.linkState = 'connected';
    this.linkDownSince = 0;
    this.readOffset = offset;
    // The master's connection as a client, as in Redis: CLIENT LIST shows it (flags=M) and
    // CLIENT KILL TYPE master drops the link. Its replies are off (the stream gets none).
    const mc = new Client(this.server, this.sock, this.server.newClientId());
    mc.authenticated = true;
    mc.replRole = 'master';
    mc.replyOff = true;
    // Like a client inside EXEC (Redis's CLIENT_DENY_BLOCKING): the master's commands never block
    // or wait (WASM.LOAD loads synchronously), whatever the socket says.
    mc.inExec = true;
    mc.db = db;
    this.server.clients.set(mc.id, mc);
    this.masterClient = mc;
    this.group = null;
    this.unapplied = [];
    this.updateDeny();
    this.sendAck();
  }

  private sendAck(offset = this.offset): void {
    if (this.linkState !== 'connected' || !this.sock) return;
    this.send(['REPLCONF', 'ACK', String(offset)]);
  }

  /** Stream bytes from the master: apply every complete command, proxy what was applied. */
  private applyStream(chunk: Buffer): void {
    const mc = this.masterClient!;
    mc.lastInteraction = this.lastIo;
    this.readOffset += chunk.length;
    this.unapplied.push(chunk);
    const dbs = this.server.dbs;
    // The master's commands see keys as they are: no lazy expiry (it sends DEL itself).
    for (const db of dbs) db.loading = true;
    try {
      mc.parser.feed(chunk, this.onMasterCommand);
    } finally {
      for (const db of dbs) db.loading = false;
    }
    // Bytes of whole commands applied: into our backlog and to our replicas, verbatim.
    const applied = this.group ? this.groupStart : this.readOffset - mc.parser.pending;
    const n = applied - this.offset;
    if (n > 0) {
      const all = this.unapplied.length === 1 ? this.unapplied[0] : Buffer.concat(this.unapplied);
      const done = all.subarray(0, n);
      const rest = all.subarray(n);
      this.unapplied = rest.length ? [rest] : [];
      this.feed(done, true);
    }
    this.server.flushPending();
  }

  private readonly onMasterCommand = (args: string[]): boolean => {
    const server = this.server;
    const mc = this.masterClient;
    if (!mc) return false;
    const name = args[0].toLowerCase();
    if (name === 'replconf' && args.length >= 2 && args[1].toLowerCase() === 'getack') {
      // The ack includes the bytes of this GETACK (the parser is past it).
      this.sendAck(this.readOffset - mc.parser.pending);
      return true;
    }
    if (name === 'multi') {
      this.group = [];
      this.groupStart = this.readOffset - mc.parser.pending - respLength(args);
      return true;
    }
    if (name === 'exec') {
      const g = this.group ?? [];
      this.group = null;
      server.beginCapture();
      try {
        for (const q of g) this.run(mc, q.cmd, q.args);
      } finally {
        server.endCapture(true);
      }
      return true;
    }
    if (name === 'discard') {
      this.group = null;
      return true;
    }
    const cmd = resolve(server, args);
    if (cmd instanceof ReplyError) {
      server.log.warn(`Replica could not apply a command from the master: ${cmd.message}`);
      return true;
    }
    mc.bigArgs = mc.parser.bigArgs;
    if (this.group) this.group.push({ cmd, args });
    else this.run(mc, cmd, args);
    mc.bigArgs = null;
    return true;
  };

  private run(mc: Client, cmd: Command, args: string[]): void {
    const r = call(this.server, mc, cmd, args);
    // Clients blocked on the replica (XREAD BLOCK) are served by the master's writes.
    this.server.afterCommand();
    if (r instanceof ReplyError && cmd.isWrite) {
      this.server.log.warn(`== CRITICAL == This replica is sending an error to its master: '${r.message}' after processing the command '${cmd.fullName}'`);
    }
  }

  // ==== INFO replication, ROLE ==================================================================

  infoFields(): Field[] {
    const now = Date.now();
    const c = this.server.config;
    const f: Field[] = [];
    if (this.isReplica) {
      const up = this.linkState === 'connected';
      f.push(
        ['role', 'slave'],
        ['master_host', this.masterHost],
        ['master_port', this.masterPort],
        ['master_link_status', up ? 'up' : 'down'],
        ['master_last_io_seconds_ago', up ? Math.floor((now - this.lastIo) / 1000) : -1],
        ['master_sync_in_progress', this.linkState === 'transfer' ? 1 : 0],
        ['slave_read_repl_offset', up ? this.readOffset : this.offset],
        ['slave_repl_offset', this.offset],
      );
      if (this.linkState === 'transfer' && this.transfer) {
        const t = this.transfer;
        f.push(
          ['master_sync_total_bytes', t.len],
          ['master_sync_read_bytes', t.got],
          ['master_sync_left_bytes', t.len >= 0 ? t.len - t.got : -1],
          ['master_sync_perc', t.len > 0 ? ((t.got * 100) / t.len).toFixed(2) : '0.00'],
          ['master_sync_last_io_seconds_ago', Math.floor((now - this.lastIo) / 1000)],
        );
      }
      if (!up) f.push(['master_link_down_since_seconds', this.linkDownSince ? Math.floor((now - this.linkDownSince) / 1000) : -1]);
      f.push(
        ['slave_priority', c.getInt('replica-priority')],
        ['slave_read_only', c.getBool('replica-read-only') ? 1 : 0],
        ['replica_announced', c.getBool('replica-announced') ? 1 : 0],
      );
    } else {
      f.push(['role', 'master']);
    }
    f.push(['connected_slaves', this.replicas.size]);
    if (c.getInt('min-replicas-to-write') > 0 && c.getInt('min-replicas-max-lag') > 0) f.push(['min_slaves_good_slaves', this.goodReplicas]);
    let i = 0;
    for (const r of this.replicas.values()) {
      const lag = Math.floor((now - r.ackTime) / 1000);
      // Redis shows a replica waiting for its first ACK after a diskless transfer as online.
      const state = r.state === 'wait_ack' ? 'online' : r.state;
      f.push([`slave${i++}`, `ip=${r.ip},port=${r.listeningPort},state=${state},offset=${r.ackOffset},lag=${lag}`]);
    }
    const b = this.backlog;
    f.push(
      ['master_failover_state', this.failoverState],
      ['master_replid', this.replid],
      ['master_replid2', this.replid2],
      ['master_repl_offset', this.offset],
      ['second_repl_offset', this.secondReplOffset],
      ['repl_backlog_active', b ? 1 : 0],
      ['repl_backlog_size', c.getInt('repl-backlog-size')],
      ['repl_backlog_first_byte_offset', b ? b.firstByte : 0],
      ['repl_backlog_histlen', b ? b.histlen : 0],
    );
    return f;
  }

  role(): Reply {
    if (this.isReplica) {
      const ls = this.linkState;
      const up = ls === 'connected';
      const state = up ? 'connected' : ls === 'transfer' ? 'sync' : ls === 'handshake' ? 'handshake' : ls === 'connecting' ? 'connecting' : 'connect';
      return ['slave', this.masterHost, this.masterPort, state, up ? this.offset : -1];
    }
    const list: Reply[] = [];
    for (const r of this.replicas.values()) list.push([r.ip, String(r.listeningPort), String(r.ackOffset)]);
    return ['master', this.offset, list];
  }
}

/** Bytes of `args` as a RESP multibulk (how a master sends a command). */
function respLength(args: string[]): number {
  let n = 1 + String(args.length).length + 2;
  for (const a of args) n += 1 + String(a.length).length + 2 + a.length + 2;
  return n;
}

/** The last `n` bytes of a list of chunks, as latin1. */
function tailOf(chunks: Buffer[], n: number): string {
  let out = '';
  for (let i = chunks.length - 1; i >= 0 && out.length < n; i--) {
    const c = chunks[i];
    const need = n - out.length;
    out = c.latin1Slice(Math.max(0, c.length - need)) + out;
  }
  return out;
}

/** The old names Redis keeps (slave-read-only …): setting either sets both. */
function syncAliases(server: Server): void {
  const c = server.config;
  for (const [a, b] of ALIASES) {
    // An old name set in the file (the new one left at its default) wins.
    if (String(c.get(b)) !== String(paramDefault(b)) && String(c.get(a)) === String(paramDefault(a))) c.set(a, c.get(b));
    c.onChange(a, (v) => {
      if (c.get(b) !== v) c.set(b, v);
    });
    c.onChange(b, (v) => {
      if (c.get(a) !== v) c.set(a, v);
    });
  }
}

function paramDefault(name: string): unknown {
  return PARAM_BY_NAME.get(name)?.default;
}

const ALIASES: [string, string][] = [
  ['replica-read-only', 'slave-read-only'],
  ['replica-serve-stale-data', 'slave-serve-stale-data'],
  ['repl-ping-replica-period', 'repl-ping-slave-period'],
  ['min-replicas-to-write', 'min-slaves-to-write'],
  ['min-replicas-max-lag', 'min-slaves-max-lag'],
  ['replica-priority', 'slave-priority'],
  ['replica-announce-ip', 'slave-announce-ip'],
  ['replica-announce-port', 'slave-announce-port'],
];
