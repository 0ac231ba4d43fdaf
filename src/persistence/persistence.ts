// Persistence: the append-only file, snapshots, and loading them at startup. One object per server,
// attached to the server's single write-observer point (Server.observeWrites), so every executed
// write — a client's command, a transaction, the commands a WASM function ran, an expiry or an
// eviction — reaches the AOF in execution order, already in the deterministic form dispatch gives it
// (SET … PXAT instead of EX, PEXPIREAT instead of EXPIRE, SREM instead of SPOP, the commands a WASM
// call made instead of the call): replay never re-runs guest code or reads the clock.
//
// The durability rule, as in Redis: a reply is sent only after the writes it acknowledges were
// handed to the operating system (write(2)), and with `appendfsync always` only after fsync(2).
// Writes are gathered in memory while the event loop iteration reads and runs what every ready
// client sent; a client whose reply acknowledges a write is not flushed then (Client.flush →
// makeDurable) but queued, and one setImmediate — after the poll phase has served every ready
// socket — writes the buffer once (with `always`, fsyncs once) and then flushes all of them. A
// thousand clients writing in the same iteration cost one write and one fsync, as Redis's
// beforeSleep → flushAppendOnlyFile does. (Flushing from the per-socket microtask instead cost an
// fsync per client: 3,000 writes/s with `always` where Redis does 50,000 — bench:durability.) With `everysec` a background fsync (libuv's thread pool, like
// Redis's bio thread) runs at most once a second; with `no` the OS decides.
//
// When a write to the AOF fails (disk full, file-size limit, I/O error) nothing that depends on it
// is acknowledged: the file is cut back to its last whole record, the pending bytes are kept, the
// replies of the clients whose writes they hold are held back, every new write (and PING, as Redis
// does) is refused with `-MISCONF Errors writing to the AOF file: <strerror>`, and the write is
// retried from the server cron. Once it succeeds the held replies go out and writes resume.
//
// BGREWRITEAOF and BGSAVE run as time-sliced jobs on the main thread; a rewrite (dump.ts) stays
// consistent without fork by a tail of the keys written meanwhile (the dataset as of its end), a
// BGSAVE (an RDB file, rdb/file.ts) by saving each key before a write changes it (the dataset as of
// its start, like a forked child). Both go to a temporary file that is fsynced and renamed over
// the target; after a rewrite the AOF continues in the new file. Only one job runs at a time, as in
// Redis; the other is scheduled. The snapshot is a Redis 7.0 RDB (dbfilename, default dump.rdb);
// Lodestone's earlier snapshot format (dump.lsnap) is still read at startup and converted.
// File formats and guarantees: docs/PERSISTENCE.md.

import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsync, openSync, readdirSync, readSync, truncateSync, unlinkSync, write } from 'node:fs';
import { join } from 'node:path';
import { dataDir, TEMP_REWRITE_RE, TEMP_SNAPSHOT_RE } from '../config/paths.js';
import { Encoder } from '../protocol/encoder.js';
import { ReplyError } from '../protocol/reply.js';
import type { Client } from '../server/client.js';
import type { Server, WriteEvent } from '../server/server.js';
import { publishAofFd } from '../server/watchdog.js';
import { extendInfo, Field } from '../server/info.js';
import { DatasetDump, encodeCommand } from './dump.js';
import { AppendFile, replaceFile, strerror } from './files.js';
import { replayFile } from './loader.js';
import { keyIndexes } from '../commands/table.js';
import { resolve } from '../server/dispatch.js';
import { CorruptFileError } from './records.js';
import { SNAPSHOT_END, SNAPSHOT_MAGIC, verifySnapshot } from './snapshot.js';
import { isRdb, loadRdbFile, RdbLoadError, RdbSnapshot } from './rdb/file.js';

/** The snapshot name before Lodestone wrote RDB (its own format): loaded and converted when no dbfilename exists. */
const LEGACY_SNAPSHOT = 'dump.lsnap';

const ERR_RELOAD = new ReplyError('ERR', 'Error trying to load the RDB dump');

/** A problem that must stop startup (corrupt or truncated files). */
export class PersistenceFatal extends Error {}

type FsyncPolicy = 'always' | 'everysec' | 'no';
type JobKind = 'rewrite' | 'bgsave';

interface Job {
  kind: JobKind;
  /** The AOF rewrite's writer (rewrite jobs). */
  dump: DatasetDump | null;
  /** The RDB writer (bgsave jobs). */
  snap: RdbSnapshot | null;
  file: AppendFile;
  /** A BGSAVE writes through the thread pool (a synchronous write can stall on a busy disk). */
  writer: BackgroundWriter | null;
  tmp: string;
  /** The file the job replaces, fixed when it starts (as Redis's child renames to the name it forked with). */
  target: string;
  started: number;
}

/**
 * Appends chunks to a file with asynchronous writes, in order, one in flight (libuv's thread pool),
 * so a disk that is slow to take them — dirty-page throttling while a big snapshot is written —
 * stalls the background job, not the clients. `queued` is what the job must wait for.
 */
class BackgroundWriter {
  private readonly queue: Buffer[] = [];
  queued = 0;
  private busy = false;
  error: unknown = null;
  private cancelled = false;
  private closeWhenIdle: (() => void) | null = null;
  /** Called after every completed write (and on error). */
  onProgress: (() => void) | null = null;

  constructor(private readonly fd: number) {}

  push(b: Buffer): void {
    if (this.error !== null) return;
    this.queue.push(b);
    this.queued += b.length;
    this.pump();
  }

  /**
   * Stop writing; `close` runs once no write is in flight. The descriptor must stay open until
   * then: closed earlier, its number could be reused by the next file opened (SAVE right after an
   * aborted BGSAVE) and the pending write would land in that file.
   */
  cancel(close: () => void): void {
    this.cancelled = true;
    this.queue.length = 0;
    this.queued = 0;
    if (this.busy) this.closeWhenIdle = close;
    else close();
  }

  get idle(): boolean {
    return !this.busy && this.queue.length === 0;
  }

  private pump(): void {
    if (this.busy || this.queue.length === 0 || this.cancelled) return;
    const b = this.queue[0];
    this.busy = true;
    write(this.fd, b, 0, b.length, null, (err, n) => {
      this.busy = false;
      if (this.cancelled) {
        this.closeWhenIdle?.();
        this.closeWhenIdle = null;
        return;
      }
      if (err) {
        this.error = err;
        this.queue.length = 0;
        this.queued = 0;
      } else {
        this.queued -= n;
        if (n < b.length) this.queue[0] = b.subarray(n);
        else this.queue.shift();
        this.pump();
      }
      this.onProgress?.();
    });
  }
}

/** A BGSAVE stops producing while this much is waiting to be written. */
const WRITER_HIGH_WATER = 8 << 20;

/** How long one slice of a background job may run before clients get their turn, ms. */
const SLICE_MS = 2;
/** Redis's CONFIG_BGSAVE_RETRY_DELAY: after a failed BGSAVE, save rules wait this long, s. */
const BGSAVE_RETRY_DELAY = 5;

const MISCONF_RDB = new ReplyError(
  'MISCONF',
  "Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.",
);

export class Persistence {
  private aof: AppendFile | null = null;
  /** on: appending; wait-rewrite: turned on at run time, the first rewrite creates the file. */
  private aofState: 'off' | 'on' | 'wait-rewrite' = 'off';
  private readonly buf = new Encoder(2);
  private selectedDb = -1;
  /** Write groups appended to the buffer so far; Server.durableSeq trails it. */
  private seq = 0;
  private policy: FsyncPolicy;
  private lastFsync = Date.now();
  private fsyncInFlight = false;
  private fsyncedSize = 0;
  private aofBaseSize = 0;
  private aofWriteError: unknown = null;
  private aofFsyncError: unknown = null;
  /** Files replaced by a rewrite, closed once no background fsync uses them. */
  private retired: AppendFile[] = [];
  /** Clients whose replies wait for their writes to reach the AOF. */
  private readonly held = new Set<Client>();
  /** Clients whose replies wait for this iteration's AOF write (makeDurable → flushWaiting). */
  private readonly waiting = new Set<Client>();
  private flushScheduled = false;
  private job: Job | null = null;
  private rewriteScheduled = false;
  private bgsaveScheduled = false;
  private loading = false;
  private closed = false;
  private dirtyAtLastSave = 0;
  private lastBgsaveTry = 0;
  /** The replication id and offset of the snapshot loaded at startup (replication.ts restores them). */
  loadedRepl: { replId: string; replOffset: number; streamDb: number } | null = null;
  readonly stats = {
    rdbSaves: 0,
    lastBgsaveOk: true,
    lastBgsaveTimeSec: -1,
    aofRewrites: 0,
    lastRewriteOk: true,
    lastRewriteTimeSec: -1,
    rewriteFailures: 0,
    loadedKeys: 0,
    /** Keys of the RDB snapshot dropped at load because their expiry had passed. */
    loadedExpired: 0,
    loadedFrom: 'none' as 'none' | 'aof' | 'snapshot',
    /** The snapshot loaded was in Lodestone's old format (it is rewritten as RDB at startup). */
    loadedLegacy: false,
  };

  constructor(private readonly server: Server) {
    const config = server.config;
    this.policy = config.getString('appendfsync') as FsyncPolicy;
    config.onChange('appendfsync', (v) => {
      this.policy = v as FsyncPolicy;
    });
    config.onChange('appendonly', (v) => (v ? this.startAof() : this.stopAof()));
    config.onChange('stop-writes-on-bgsave-error', () => this.updateDeny());
    this.parseSaveRules();
    config.onChange('save', () => {
      this.parseSaveRules();
      this.updateDeny();
    });
    server.observeWrites((events) => this.observe(events));
    server.shutdownSave = (save) => this.shutdown(save);
    extendInfo(server, 'persistence', () => this.info());
  }

  // ---- Paths ----------------------------------------------------------------------------------

  get dir(): string {
    return dataDir(this.server.config.getString('dir'));
  }

  get aofPath(): string {
    return join(this.dir, this.server.config.getString('appendfilename'));
  }

  get snapshotPath(): string {
    return join(this.dir, this.server.config.getString('dbfilename'));
  }

  // ---- Startup --------------------------------------------------------------------------------

  /**
   * Load the dataset before clients connect. Like Redis: the AOF when appendonly is on and it
   * exists, else the snapshot. With appendonly on and no AOF yet, the AOF is created from what was
   * loaded, so turning the AOF on never drops a snapshot's data. Throws PersistenceFatal.
   */
  load(): void {
    const server = this.server;
    this.removeTempFiles();
    const appendonly = server.config.getBool('appendonly');
    const aofPath = this.aofPath;
    const t0 = Date.now();
    this.loading = true;
    try {
      if (appendonly && existsSync(aofPath)) this.loadAof(aofPath);
      else if (existsSync(this.snapshotPath)) this.loadSnapshot(this.snapshotPath);
      else if (server.config.getString('dbfilename') === 'dump.rdb' && existsSync(join(this.dir, LEGACY_SNAPSHOT))) {
        this.loadSnapshot(join(this.dir, LEGACY_SNAPSHOT));
      }
    } finally {
      this.loading = false;
    }
    this.stats.loadedKeys = server.dbs.reduce((n, db) => n + db.size, 0);
    if (this.stats.loadedFrom !== 'none') {
      server.log.info(
        { keys: this.stats.loadedKeys, ms: Date.now() - t0, from: this.stats.loadedFrom },
        `DB loaded from ${this.stats.loadedFrom === 'aof' ? 'append only file' : 'snapshot'}: ${((Date.now() - t0) / 1000).toFixed(3)} seconds`,
      );
    }
    server.dirty = 0;
    this.dirtyAtLastSave = 0;
    if (this.stats.loadedLegacy) {
      // Convert on load: the dataset is written out as dump.rdb (dbfilename) right away. A
      // differently named old file is left where it is.
      try {
        this.saveSync();
        server.log.info(`Converted the snapshot in Lodestone's old format to RDB: ${this.snapshotPath}`);
      } catch (err) {
        throw new PersistenceFatal(`cannot write the RDB snapshot ${this.snapshotPath} converted from the old snapshot format: ${strerror(err)}`);
      }
    }
    if (appendonly) {
      if (this.stats.loadedFrom !== 'aof') this.writeWholeAof();
      try {
        this.openAof();
      } catch (err) {
        throw new PersistenceFatal(`Can't open the append-only file ${aofPath}: ${strerror(err)}`);
      }
    }
  }

  private loadAof(path: string): void {
    let r;
    try {
      r = replayFile(this.server, path);
    } catch (err) {
      if (err instanceof CorruptFileError) {
        throw new PersistenceFatal(
          `${err.message}. The append only file is corrupt; Lodestone will not start with part of the data. ` +
            `Make a backup of ${path}; if you accept losing everything from byte ${err.offset} on, cut it there (truncate -s ${err.offset} ${path}) and start again.`,
        );
      }
      throw err;
    }
    this.stats.loadedFrom = 'aof';
    if (r.truncated) {
      if (!this.server.config.getBool('aof-load-truncated')) {
        throw new PersistenceFatal(
          `Unexpected end of file reading the append only file ${path}: the last record (bytes ${r.goodBytes}..${r.fileBytes}) is incomplete, probably cut short by a crash. ` +
            `Set aof-load-truncated to true to load it without that record, or trim the file yourself (truncate -s ${r.goodBytes} ${path}).`,
        );
      }
      this.server.log.warn(
        { file: path, goodBytes: r.goodBytes, fileBytes: r.fileBytes },
        `!!! Warning: short read while loading the AOF file ${path}!!! AOF loaded anyway because aof-load-truncated is enabled; ` +
          `the incomplete last record (${r.fileBytes - r.goodBytes} bytes) was trimmed.`,
      );
      truncateSync(path, r.goodBytes);
    }
  }

  /** The snapshot: an RDB file, or one in Lodestone's old format (by its first bytes). */
  private loadSnapshot(path: string): void {
    if (this.isRdbFile(path)) {
      try {
        const r = loadRdbFile(this.server, path, {
          maxStringBytes: this.server.config.getInt('proto-max-bulk-len'),
          verifyChecksum: this.server.config.getBool('rdbchecksum'),
          wasm: 'missing',
        });
        this.stats.loadedExpired = r.expiredSkipped;
        if (r.replId !== null && r.replOffset !== null) {
          this.loadedRepl = { replId: r.replId, replOffset: r.replOffset, streamDb: Number(r.aux.get('repl-stream-db') ?? 0) };
        }
        if (r.expiredSkipped > 0) this.server.log.info(`Done loading RDB, keys loaded: ${r.keys}, keys expired: ${r.expiredSkipped}.`);
      } catch (err) {
        if (err instanceof RdbLoadError) {
          throw new PersistenceFatal(
            `${err.message} (${path}, at byte ${err.offset}). The snapshot is unusable; Lodestone will not start with part of the data. Move ${path} away to start empty.`,
          );
        }
        throw err;
      }
      this.stats.loadedFrom = 'snapshot';
      return;
    }
    try {
      verifySnapshot(path);
      replayFile(this.server, path, (args) => args[0] === SNAPSHOT_MAGIC || args[0] === SNAPSHOT_END);
    } catch (err) {
      if (err instanceof CorruptFileError) {
        throw new PersistenceFatal(`${err.message}. The snapshot is unusable; Lodestone will not start with part of the data. Move ${path} away to start empty.`);
      }
      throw err;
    }
    this.stats.loadedFrom = 'snapshot';
    this.stats.loadedLegacy = true;
  }

  /** Leftovers of a job that a crash interrupted. */
  private removeTempFiles(): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const n of names) {
      if (TEMP_REWRITE_RE.test(n) || TEMP_SNAPSHOT_RE.test(n)) {
        try {
          unlinkSync(join(this.dir, n));
        } catch {
          // not ours to worry about
        }
      }
    }
  }

  private openAof(): void {
    this.aof = new AppendFile(this.aofPath);
    publishAofFd(this.aof.fd); // fsynced by the SIGTERM watchdog before a hard exit
    this.aofBaseSize = this.aof.size;
    this.fsyncedSize = this.aof.size;
    this.selectedDb = -1;
    this.aofState = 'on';
  }

  /** Write the current dataset as a fresh AOF, synchronously (startup, nothing else runs). */
  private writeWholeAof(): void {
    const tmp = this.tempPath('rewrite');
    const file = this.freshFile(tmp);
    const dump = new DatasetDump(this.server, (b) => file.append(b));
    try {
      dump.finish();
      file.fsync();
      file.close();
      replaceFile(tmp, this.aofPath);
    } catch (err) {
      throw new PersistenceFatal(`cannot create the append only file ${this.aofPath}: ${strerror(err)}`);
    }
  }

  // ---- The write path -------------------------------------------------------------------------

  private observe(events: WriteEvent[]): void {
    if (this.loading) return;
    if (this.job?.dump) this.job.dump.observe(events);
    if (this.aofState === 'on') this.append(events);
    // Redis's flushallCommand: with save rules configured, FLUSHALL writes the (now empty) snapshot
    // at once, so a restart does not bring the flushed data back from the last one.
    if (this.saveRules().length > 0) {
      for (let i = 0; i < events.length; i++) {
        if (events[i].cmd.fullName !== 'flushall') continue;
        try {
          this.saveSync();
        } catch (err) {
          this.server.log.warn({ err: strerror(err) }, `Could not save the snapshot after FLUSHALL: ${strerror(err)}`);
        }
        break;
      }
    }
  }

  private append(events: WriteEvent[]): void {
    const enc = this.buf;
    const group = events.length > 1;
    if (group) {
      // SELECT goes before MULTI, as Redis propagates it; later switches stay inside the group.
      if (events[0].db !== this.selectedDb) {
        encodeCommand(enc, ['SELECT', String(events[0].db)]);
        this.selectedDb = events[0].db;
      }
      encodeCommand(enc, ['MULTI']);
    }
    for (let i = 0; i < events.length; i++) {
      const e = events[i];
      if (e.db !== this.selectedDb) {
        encodeCommand(enc, ['SELECT', String(e.db)]);
        this.selectedDb = e.db;
      }
      encodeCommand(enc, e.args, e.big);
    }
    if (group) encodeCommand(enc, ['EXEC']);
    const seq = ++this.seq;
    for (let i = 0; i < events.length; i++) events[i].client.lastWriteSeq = seq;
  }

  /**
   * Called by Client.flush when the client's last write is not yet durable; the client must not be
   * flushed now. It is flushed again once the AOF buffer is written (end of this event-loop
   * iteration), or — while writing fails — held until a retry succeeds.
   */
  makeDurable(client: Client): false {
    if (this.aofWriteError !== null) {
      this.held.add(client);
      return false;
    }
    this.waiting.add(client);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushWaiting);
    }
    return false;
  }

  /** Group commit: one write (and fsync) for every client that wrote in this iteration, then their replies. */
  private readonly flushWaiting = (): void => {
    this.flushScheduled = false;
    this.flushAof();
    const clients = [...this.waiting];
    this.waiting.clear();
    for (const c of clients) c.flush(); // a client still not durable (write failed) moves to `held`
  };

  /**
   * DEBUG LOADAOF: write out what is buffered, empty the dataset (`empty`) and replay the AOF,
   * as Redis does to check that the file holds the dataset. Refused (where Redis would exit) when
   * the AOF is off or cannot be written, and while a rewrite or save job walks the dataset.
   */
  reloadAof(empty: () => void): ReplyError | null {
    if (this.aofState !== 'on') return new ReplyError('ERR', 'DEBUG LOADAOF needs the append only file on (appendonly yes)');
    if (this.job) return new ReplyError('ERR', `DEBUG LOADAOF can not run while a background ${this.job.kind === 'rewrite' ? 'AOF rewrite' : 'save'} is in progress`);
    if (!this.flushAof()) return new ReplyError('ERR', 'DEBUG LOADAOF: the append only file can not be written');
    const server = this.server;
    empty();
    this.loading = true;
    try {
      replayFile(server, this.aofPath);
    } finally {
      this.loading = false;
    }
    server.log.warn('Append Only File loaded by DEBUG LOADAOF');
    return null;
  }

  /** Whether the file at `path` starts with an RDB header (else it is the older dump.lsnap format). */
  private isRdbFile(path: string): boolean {
    const head = Buffer.alloc(9);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, head, 0, 9, 0);
    } finally {
      closeSync(fd);
    }
    return isRdb(head);
  }

  /**
   * DEBUG RELOAD: save the snapshot (unless `save` is false), then replay it into the databases the
   * caller emptied — or, with `merge`, over the data still there, each key in the file replacing the
   * one in memory (Redis's RDBFLAGS_ALLOW_DUP). Neither the AOF nor the dirty count see the replay.
   */
  reloadSnapshot(save: boolean, merge: boolean): ReplyError | null {
    if (this.job) return new ReplyError('ERR', `DEBUG RELOAD can not run while a background ${this.job.kind === 'rewrite' ? 'AOF rewrite' : 'save'} is in progress`);
    if (save) {
      const e = this.save();
      if (e) return e;
    }
    const path = this.snapshotPath;
    if (!existsSync(path)) return ERR_RELOAD;
    const server = this.server;
    const dirty = server.dirty;
    let db = 0;
    const seen = new Set<string>();
    this.loading = true;
    try {
      if (this.isRdbFile(path)) {
        // Redis's rdbLoad, with RDBFLAGS_ALLOW_DUP under MERGE: the file's keys and libraries replace ours.
        loadRdbFile(server, path, {
          allowDuplicates: merge,
          replaceFunctions: merge,
          maxStringBytes: server.config.getInt('proto-max-bulk-len'),
          verifyChecksum: server.config.getBool('rdbchecksum'),
          wasm: 'missing',
        });
      } else {
        verifySnapshot(path);
        replayFile(server, path, (args) => {
          if (args[0] === SNAPSHOT_MAGIC || args[0] === SNAPSHOT_END) return true;
          if (!merge) return false;
          if (args[0].toLowerCase() === 'select') {
            db = Number(args[1]);
            return false;
          }
          const cmd = resolve(server, args);
          if (cmd instanceof ReplyError) return false;
          for (const i of keyIndexes(cmd, args)) {
            const id = `${db}\0${args[i]}`;
            if (seen.has(id)) continue;
            seen.add(id);
            server.dbs[db]?.delete(args[i]);
          }
          return false;
        });
      }
    } catch (err) {
      if (!(err instanceof CorruptFileError) && !(err instanceof RdbLoadError)) throw err;
      server.log.warn({ err: err.message }, 'DEBUG RELOAD: the snapshot is unusable');
      return ERR_RELOAD;
    } finally {
      this.loading = false;
      server.dirty = dirty;
    }
    server.log.warn('DB reloaded by DEBUG RELOAD');
    return null;
  }

  /** Write what is buffered (and fsync with `always`). Returns false while writing fails. */
  flushAof(): boolean {
    const enc = this.buf;
    if (enc.pos > 0) {
      if (!this.aof) {
        enc.pos = 0;
      } else {
        try {
          this.aof.append(enc.buf.subarray(0, enc.pos));
        } catch (err) {
          this.onWriteError(err);
          return false;
        }
        enc.pos = 0;
        if (enc.buf.length > 4 << 20) enc.buf = Buffer.allocUnsafe(16 * 1024);
        if (this.aofWriteError !== null) {
          this.aofWriteError = null;
          this.server.log.warn('AOF write error looks solved, Lodestone can write again.');
          this.updateDeny();
        }
        if (this.policy === 'always') {
          try {
            this.aof.fsync();
            this.fsyncedSize = this.aof.size;
            this.lastFsync = Date.now();
          } catch (err) {
            // Redis exits here: after a failed fsync the kernel may have dropped the dirty pages, so
            // no later fsync can prove the data reached the disk. Nothing of it was acknowledged.
            this.server.log.fatal({ err: strerror(err) }, `Can't persist AOF for fsync error when the AOF fsync policy is 'always': ${strerror(err)}. Exiting...`);
            process.exit(1);
          }
        } else if (this.policy === 'everysec') this.maybeFsync();
      }
    }
    this.server.durableSeq = this.seq;
    return true;
  }

  private onWriteError(err: unknown): void {
    if (this.aofWriteError === null) {
      this.server.log.warn(
        { err: strerror(err), file: this.aof?.path },
        `Error writing to the AOF file: ${strerror(err)}. Writes are refused (-MISCONF) and the replies of the clients that wrote are held until the write succeeds.`,
      );
    }
    this.aofWriteError = err;
    this.updateDeny();
  }

  /** everysec: start a background fsync when the last one is a second old and there is something new. */
  private maybeFsync(): void {
    const aof = this.aof;
    if (!aof || this.fsyncInFlight || aof.size === this.fsyncedSize) return;
    const now = Date.now();
    if (now - this.lastFsync < 1000) return;
    this.fsyncInFlight = true;
    const target = aof.size;
    fsync(aof.fd, (err) => {
      this.fsyncInFlight = false;
      this.lastFsync = Date.now();
      if (err) {
        this.server.log.warn({ err: strerror(err) }, `Error during background AOF fsync: ${strerror(err)}`);
        this.aofFsyncError = err;
      } else {
        if (this.aof === aof) this.fsyncedSize = Math.max(this.fsyncedSize, target);
        if (this.aofFsyncError !== null) {
          this.aofFsyncError = null;
          this.server.log.warn('AOF fsync error looks solved.');
        }
      }
      this.updateDeny();
      this.closeRetired();
    });
  }

  private closeRetired(): void {
    if (this.fsyncInFlight) return;
    for (const f of this.retired) {
      try {
        f.close();
      } catch {
        // already closed
      }
    }
    this.retired.length = 0;
  }

  /** Redis's writeCommandsDeniedByDiskError: the RDB error first, then the AOF write and fsync errors. */
  private updateDeny(): void {
    const c = this.server.config;
    let deny: ReplyError | null = null;
    if (c.getBool('stop-writes-on-bgsave-error') && this.saveRules().length > 0 && !this.stats.lastBgsaveOk) deny = MISCONF_RDB;
    else if (this.aofState !== 'off' && (this.aofWriteError !== null || this.aofFsyncError !== null)) {
      deny = new ReplyError('MISCONF', `Errors writing to the AOF file: ${strerror(this.aofWriteError ?? this.aofFsyncError)}`);
    }
    this.server.writeDenied = deny;
  }

  /** A client went away: stop holding its replies (its writes stay in the buffer, to be retried). */
  forget(client: Client): void {
    this.held.delete(client);
    this.waiting.delete(client);
  }

  private releaseHeld(): void {
    if (this.held.size === 0) return;
    const clients = [...this.held];
    this.held.clear();
    for (const c of clients) c.flush();
  }

  // ---- Cron -----------------------------------------------------------------------------------

  /** Called from serverCron (hz times a second). */
  cron(): void {
    if (this.closed) return;
    if (this.aofWriteError !== null || this.held.size > 0) {
      if (this.flushAof()) this.releaseHeld();
    } else if (this.aofState === 'on') {
      if (this.buf.pos > 0) this.flushAof();
      if (this.policy === 'everysec') this.maybeFsync();
    }
    if (this.job) return;
    if (this.rewriteScheduled) {
      this.startRewrite();
      return;
    }
    if (this.bgsaveScheduled) {
      this.startBgsave();
      return;
    }
    const now = Math.floor(Date.now() / 1000);
    const changes = this.server.dirty - this.dirtyAtLastSave;
    for (const [secs, n] of this.saveRules()) {
      if (changes >= n && now - this.server.lastSave >= secs && (this.stats.lastBgsaveOk || now - this.lastBgsaveTry >= BGSAVE_RETRY_DELAY)) {
        this.server.log.info(`${n} changes in ${secs} seconds. Saving...`);
        this.startBgsave();
        return;
      }
    }
    const pct = this.server.config.getInt('auto-aof-rewrite-percentage');
    const min = this.server.config.getInt('auto-aof-rewrite-min-size');
    if (this.aofState === 'on' && this.aof && pct > 0 && this.aof.size >= min) {
      const base = this.aofBaseSize || 1;
      const growth = ((this.aof.size - base) * 100) / base;
      if (growth >= pct) {
        this.server.log.info(`Starting automatic rewriting of AOF on ${Math.floor(growth)}% growth`);
        this.startRewrite();
      }
    }
  }

  /** The `save` rules as (seconds, changes) pairs, parsed when the parameter changes, not per write. */
  private rules: [number, number][] = [];

  private parseSaveRules(): void {
    const parts = this.server.config.getString('save').split(/\s+/).filter(Boolean).map(Number);
    this.rules = [];
    for (let i = 0; i + 1 < parts.length; i += 2) this.rules.push([parts[i], parts[i + 1]]);
  }

  saveRules(): [number, number][] {
    return this.rules;
  }


  // ---- Background jobs ------------------------------------------------------------------------

  /** BGREWRITEAOF. Returns the status line, or an error. */
  requestRewrite(): string | ReplyError {
    if (this.job?.kind === 'rewrite') return new ReplyError('ERR', 'Background append only file rewriting already in progress');
    if (this.job) {
      this.rewriteScheduled = true;
      return 'Background append only file rewriting scheduled';
    }
    const err = this.startRewrite();
    if (err) return new ReplyError('ERR', `Can't execute an AOF background rewriting. Please check the server logs for more information.`);
    return 'Background append only file rewriting started';
  }

  /** BGSAVE [SCHEDULE]. */
  requestBgsave(schedule: boolean): string | ReplyError {
    if (this.job?.kind === 'bgsave') return new ReplyError('ERR', 'Background save already in progress');
    if (this.job) {
      if (!schedule) {
        return new ReplyError('ERR', "Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.");
      }
      this.bgsaveScheduled = true;
      return 'Background saving scheduled';
    }
    return this.startBgsave() ? new ReplyError('ERR', 'Background save failed to start. Please check the server logs.') : 'Background saving started';
  }

  /** SAVE: the snapshot, synchronously. */
  save(): ReplyError | null {
    if (this.job?.kind === 'bgsave') return new ReplyError('ERR', 'Background save already in progress');
    try {
      this.saveSync();
      return null;
    } catch (err) {
      this.server.log.warn({ err: strerror(err) }, `Failed saving the snapshot: ${strerror(err)}`);
      return new ReplyError('ERR', '');
    }
  }

  /**
   * A new temporary file name inside dir: pid and 64 random bits, so it collides with no other
   * file (dbfilename and appendfilename may not match these names: config/paths.ts).
   */
  private tempPath(kind: JobKind): string {
    const tag = `${process.pid}-${randomBytes(8).toString('hex')}`;
    return join(this.dir, kind === 'rewrite' ? `temp-rewriteaof-${tag}.aof` : `temp-${tag}.rdb`);
  }

  /** Create the temporary file; refuses an existing name or a symbolic link (AppendFile `fresh`). */
  private freshFile(path: string): AppendFile {
    return new AppendFile(path, true);
  }

  /** A job with its temporary file. `live`: a BGSAVE that runs between client commands. */
  private newJob(kind: JobKind, live = true): Job {
    const tmp = this.tempPath(kind);
    const file = this.freshFile(tmp);
    const writer = kind === 'bgsave' && live ? new BackgroundWriter(file.fd) : null;
    const sink = writer ? (b: Buffer) => writer.push(b) : (b: Buffer) => file.append(b);
    const target = kind === 'rewrite' ? this.aofPath : this.snapshotPath;
    try {
      const dump = kind === 'rewrite' ? new DatasetDump(this.server, sink) : null;
      // The RDB writer's constructor already writes the header, modules and functions.
      // Snapshots carry the replication id and offset (Redis's rdbPopulateSaveInfo), so a restarted
      // master or replica can continue its replication with a partial resync.
      const snap = kind === 'bgsave' ? new RdbSnapshot(this.server, sink, { live, repl: this.server.replication.rdbInfo() ?? undefined }) : null;
      return { kind, dump, snap, file, writer, tmp, target, started: Date.now() };
    } catch (err) {
      file.close();
      try {
        unlinkSync(tmp);
      } catch {
        // already gone
      }
      throw err;
    }
  }

  private startRewrite(): unknown {
    this.rewriteScheduled = false;
    return this.startJob('rewrite');
  }

  private startBgsave(): unknown {
    this.bgsaveScheduled = false;
    this.lastBgsaveTry = Math.floor(Date.now() / 1000);
    return this.startJob('bgsave');
  }

  /** Start a background job; returns the error when it could not even start. */
  private startJob(kind: JobKind): unknown {
    try {
      this.job = this.newJob(kind);
    } catch (err) {
      this.jobFailed(kind, err);
      return err;
    }
    this.server.log.info(kind === 'rewrite' ? 'Background append only file rewriting started' : 'Background saving started');
    this.runJob(this.job);
    return null;
  }

  private runJob(job: Job): void {
    const w = job.writer;
    let waiting = false;
    const tick = () => {
      if (this.job !== job) return;
      waiting = false;
      if (w?.error) {
        this.abortJob(job, w.error);
        return;
      }
      if (w && w.queued > WRITER_HIGH_WATER) {
        waiting = true; // the writer calls tick again when a write completes
        return;
      }
      try {
        if (!(job.dump ? job.dump.step(SLICE_MS) : job.snap!.step(SLICE_MS))) {
          setImmediate(tick);
          return;
        }
      } catch (err) {
        this.abortJob(job, err);
        return;
      }
      if (w && !w.idle) {
        w.onProgress = () => {
          if (w.error || w.idle) {
            w.onProgress = null;
            tick();
          }
        };
        return;
      }
      // The base is written: fsync it in the background, then finish in one synchronous step.
      fsync(job.file.fd, (err) => {
        if (this.job !== job) return;
        if (err) this.abortJob(job, err);
        else this.finishJob(job);
      });
    };
    if (w) {
      w.onProgress = () => {
        if (waiting) tick();
      };
    }
    setImmediate(tick);
  }

  /** Write the tail, fsync, rename into place. Synchronous: nothing changes the data meanwhile. */
  private finishJob(job: Job): void {
    try {
      this.complete(job);
    } catch (err) {
      this.abortJob(job, err);
      return;
    }
    this.job = null;
    const secs = Math.round((Date.now() - job.started) / 1000);
    if (job.kind === 'rewrite') {
      this.afterRewrite();
      this.stats.aofRewrites++;
      this.stats.lastRewriteOk = true;
      this.stats.lastRewriteTimeSec = secs;
      this.stats.rewriteFailures = 0;
      this.server.log.info('Background AOF rewrite finished successfully');
    } else {
      this.afterSave(job.snap!.dirtyAtStart);
      this.stats.lastBgsaveTimeSec = secs;
      this.server.log.info('Background saving terminated with success');
    }
    this.updateDeny();
  }

  /** The rest (the rewrite's tail, the snapshot's last keys), fsync, close, rename over the target. Throws on failure. */
  private complete(job: Job): void {
    if (job.dump) job.dump.finish();
    else job.snap!.runToEnd();
    // A BGSAVE's file is complete and was fsynced in the background (runJob).
    if (!job.writer) job.file.fsync();
    job.file.close();
    replaceFile(job.tmp, job.target);
  }

  /** The rewritten file replaced the AOF: continue appending there; everything buffered is in it. */
  private afterRewrite(): void {
    if (this.aofState === 'off') return;
    const old = this.aof;
    this.buf.pos = 0;
    this.aofWriteError = null;
    this.openAof();
    this.server.durableSeq = this.seq;
    if (old) {
      this.retired.push(old);
      this.closeRetired();
    }
    this.releaseHeld();
  }

  /** `dirtyAtStart`: the changes counter when the snapshot was taken (changes made during a BGSAVE are not in it). */
  private afterSave(dirtyAtStart: number): void {
    this.server.lastSave = Math.floor(Date.now() / 1000);
    this.dirtyAtLastSave = dirtyAtStart;
    this.stats.rdbSaves++;
    this.stats.lastBgsaveOk = true;
  }

  private abortJob(job: Job, err: unknown): void {
    if (this.job === job) this.job = null;
    job.snap?.stop();
    const close = () => {
      try {
        job.file.close();
      } catch {
        // already closed
      }
    };
    if (job.writer) job.writer.cancel(close);
    else close();
    try {
      unlinkSync(job.tmp);
    } catch {
      // already gone
    }
    if (err !== null) this.jobFailed(job.kind, err);
  }

  private jobFailed(kind: JobKind, err: unknown): void {
    if (kind === 'rewrite') {
      this.stats.lastRewriteOk = false;
      this.stats.rewriteFailures++;
      this.server.log.warn({ err: strerror(err) }, `Background AOF rewrite failed: ${strerror(err)}`);
      if (this.aofState === 'wait-rewrite') this.rewriteScheduled = true;
    } else {
      this.stats.lastBgsaveOk = false;
      this.server.log.warn({ err: strerror(err) }, `Background saving error: ${strerror(err)}`);
    }
    this.updateDeny();
  }

  /** The snapshot, written at once (SAVE, SHUTDOWN). Throws on failure. */
  saveSync(): void {
    if (this.job?.kind === 'bgsave') this.abortJob(this.job, null);
    const job = this.newJob('bgsave', false);
    try {
      this.complete(job);
    } catch (err) {
      this.abortJob(job, err);
      throw err;
    }
    this.afterSave(this.server.dirty);
    this.updateDeny();
    this.server.log.info('DB saved on disk');
  }

  // ---- Turning the AOF on and off at run time (CONFIG SET appendonly) -----------------------

  private startAof(): void {
    if (this.aofState !== 'off' || this.loading) return;
    this.aofState = 'wait-rewrite';
    if (this.job?.kind === 'rewrite') {
      // A rewrite is already producing the file; it becomes the AOF when it finishes.
      return;
    }
    if (this.job) this.rewriteScheduled = true;
    else this.startRewrite();
  }

  private stopAof(): void {
    if (this.aofState === 'off') return;
    if (this.job?.kind === 'rewrite') this.abortJob(this.job, null);
    try {
      this.closeAof();
    } catch (err) {
      // The buffered writes cannot be written; with the AOF off they are not owed to the disk any
      // more, so the clients waiting for them get their replies.
      this.server.log.warn({ err: strerror(err) }, `AOF turned off with unwritten data: ${strerror(err)}`);
      this.buf.pos = 0;
      this.aofWriteError = null;
      this.server.durableSeq = this.seq;
      this.releaseHeld();
    }
    this.aofState = 'off';
    this.rewriteScheduled = false;
    this.updateDeny();
  }

  /** Flush, fsync and close the AOF. Throws when the buffered writes cannot be written. */
  private closeAof(): void {
    const aof = this.aof;
    if (!aof) return;
    const ok = this.flushAof();
    this.aof = null;
    publishAofFd(-1);
    try {
      if (ok) aof.fsync();
    } finally {
      this.retired.push(aof);
      this.closeRetired();
    }
    if (!ok) throw this.aofWriteError;
    this.releaseHeld();
  }

  // ---- Shutdown -------------------------------------------------------------------------------

  /**
   * SHUTDOWN and SIGTERM/SIGINT: stop background jobs, flush and fsync the AOF, and write the
   * snapshot for SAVE (or, with neither SAVE nor NOSAVE, when save rules are configured). Throws
   * when something could not be saved; SHUTDOWN then answers an error unless FORCE was given.
   */
  shutdown(save: boolean | null): void {
    if (this.job) this.abortJob(this.job, null);
    if (this.aof) {
      if (!this.flushAof()) throw new Error(`cannot write the AOF: ${strerror(this.aofWriteError)}`);
      this.aof.fsync();
      this.server.log.info('Calling fsync() on the AOF file.');
    }
    if (save === true || (save === null && this.saveRules().length > 0)) {
      this.server.log.info('Saving the final snapshot before exiting.');
      this.saveSync();
    }
  }

  /** Server.close(): what is buffered goes to disk, files are closed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.job) this.abortJob(this.job, null);
    try {
      this.closeAof();
    } catch (err) {
      this.server.log.warn({ err: strerror(err) }, 'could not write the AOF while closing');
    }
  }

  // ---- INFO persistence -----------------------------------------------------------------------

  private info(): Field[] {
    const job = this.job;
    const now = Date.now();
    const aofOn = this.aofState !== 'off';
    return [
      ['rdb_changes_since_last_save', this.server.dirty - this.dirtyAtLastSave],
      ['rdb_bgsave_in_progress', job?.kind === 'bgsave' ? 1 : 0],
      ['rdb_last_bgsave_status', this.stats.lastBgsaveOk ? 'ok' : 'err'],
      ['rdb_last_bgsave_time_sec', this.stats.lastBgsaveTimeSec],
      ['rdb_current_bgsave_time_sec', job?.kind === 'bgsave' ? Math.round((now - job.started) / 1000) : -1],
      ['rdb_saves', this.stats.rdbSaves],
      ['rdb_last_load_keys_expired', this.stats.loadedExpired],
      ['rdb_last_load_keys_loaded', this.stats.loadedKeys],
      ['current_save_keys_processed', job ? (job.dump ?? job.snap!).keysDone : 0],
      ['current_save_keys_total', job ? this.server.dbs.reduce((n, db) => n + db.size, 0) : 0],
      ['aof_enabled', aofOn ? 1 : 0],
      ['aof_rewrite_in_progress', job?.kind === 'rewrite' ? 1 : 0],
      ['aof_rewrite_scheduled', this.rewriteScheduled ? 1 : 0],
      ['aof_last_rewrite_time_sec', this.stats.lastRewriteTimeSec],
      ['aof_current_rewrite_time_sec', job?.kind === 'rewrite' ? Math.round((now - job.started) / 1000) : -1],
      ['aof_last_bgrewrite_status', this.stats.lastRewriteOk ? 'ok' : 'err'],
      ['aof_rewrites', this.stats.aofRewrites],
      ['aof_rewrites_consecutive_failures', this.stats.rewriteFailures],
      ['aof_last_write_status', this.aofWriteError === null && this.aofFsyncError === null ? 'ok' : 'err'],
      ...(aofOn
        ? ([
            ['aof_current_size', this.aof?.size ?? 0],
            ['aof_base_size', this.aofBaseSize],
            ['aof_pending_rewrite', this.rewriteScheduled ? 1 : 0],
            ['aof_buffer_length', this.buf.pos],
            ['aof_pending_bio_fsync', this.fsyncInFlight ? 1 : 0],
            // Redis counts writes postponed behind a slow background fsync; Lodestone never postpones.
            ['aof_delayed_fsync', 0],
            // Lodestone's own: bytes of the AOF known to be on disk, and how old the last fsync is.
            ['aof_fsynced_size', this.fsyncedSize],
            ['aof_last_fsync_ms_ago', now - this.lastFsync],
            ['aof_held_clients', this.held.size],
          ] as Field[])
        : []),
    ];
  }
}
