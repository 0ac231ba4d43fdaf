// Whole RDB files (Redis 7.0, RDB version 10): the snapshot Lodestone writes for SAVE / BGSAVE /
// save rules / SHUTDOWN and loads at startup, and the payload of a replication full resync. One
// writer and one loader serve all of them; values go through the DUMP/RESTORE codec (codec.ts).
//
// Writing (RdbSnapshot / writeRdb) follows rdbSaveRio: "REDIS0010"; aux fields redis-ver,
// redis-bits, ctime, used-mem, [repl-stream-db, repl-id, repl-offset], aof-base; one
// "lodestone-wasm" aux field per loaded WASM module (see below); RDB_OPCODE_FUNCTION2 per Lua
// library; per non-empty database SELECTDB + RESIZEDB, then per key [EXPIRETIME_MS] [IDLE | FREQ]
// type key value; EOF and the CRC-64 of everything before it (zero when rdbchecksum is off).
// Output goes to a sink in chunks of about 256 KB, so a big dataset is never one Buffer; a sink
// must not keep the chunk's memory for later reuse by us — every chunk is a fresh buffer.
//
// Time slicing with a consistent result (BGSAVE, full resync): Redis forks and the child writes
// the dataset as it was at the fork. Node cannot fork its heap, so an RdbSnapshot writes keys in
// slices (step(ms)) between client commands and keeps the file equal to the dataset *at the moment
// the snapshot was created* the way copy-on-write does: it registers a before-write hook
// (Server.observeBeforeWrites, called by dispatch call() before every write command's handler,
// including the commands run by EXEC, Lua and WASM functions), and when a command is about to
// change a key that the walk has not written yet, the key's current value is written first (a
// "capture"). A key that did not exist at that moment is remembered as "born" and never written;
// the walk skips captured and born keys. FLUSHDB / FLUSHALL / SWAPDB capture every key not yet
// written of the databases they change, and seal them (the walk is done with them). So keys do not
// come out in one database section each: a capture in another database writes its own SELECTDB;
// Redis and redis-check-rdb accept any number of SELECTDBs (RESIZEDB is only a sizing hint).
// Deletions no command announces (maxmemory eviction, MIGRATE's source keys) are captured through
// Database.beforeDelete. Limits: keys removed by expiry are not (the loader drops expired keys
// anyway), and keys a command writes outside its key positions (the destination of a BLMOVE served
// by a push) are written as they are when the walk reaches them. Memory: the set of keys already walked in the
// current database (one Set entry per key, in Sets of 64K so no rehash pauses the server) plus the
// captured / born keys.
//
// WASM modules in an RDB: one aux field per module, name "lodestone-wasm", value = one line of
// JSON {"name","permissions","sha256","abi"}, "\n", then the module's bytes. Redis skips aux fields
// it does not know (rdbLoadRio logs "Unrecognized RDB AUX field" at debug level), and so does
// redis-check-rdb, so a real redis-server still loads the file; Lodestone loads the modules
// (RdbLoadOptions.wasm) before the keys — they come first in the file.
//
// Loading (RdbLoader / loadRdb / loadRdbFile) reads every opcode Redis 7.0.15 writes and every
// value encoding (codec.ts readValue). It is incremental: push(chunk) parses every complete
// record and applies it, so a file or a replication stream never has to be in memory at once; a
// record cut by a chunk boundary is retried once the buffered bytes have doubled (linear time even
// for one huge value). Refused like Redis: MODULE_AUX and module values (no module system), the
// pre-release FUNCTION opcode, unknown opcodes, a version above 10, a database number outside
// `databases`, duplicate keys, a wrong checksum (a stored checksum of 0 means "not computed").
// Keys already expired are dropped unless keepExpired (a replica keeps them, as Redis does).
// A failed load leaves what was applied so far in place: callers flush (full sync) or exit (startup).
//
// API (replication full resync uses the same calls as persistence.ts):
//   const snap = new RdbSnapshot(server, (chunk) => socket.write(chunk), { repl: { replId, replOffset } });
//   then call snap.step(2) from setImmediate until it returns true (pause while the socket's
//   writableLength is high); snap.stop() abandons it. writeRdb(server, sink) / rdbBuffer(server)
//   write synchronously. snap.bytes is the length so far (a disk-style "$<len>" transfer needs the
//   file first; a diskless "EOF:<mark>" one does not).
//   const l = new RdbLoader(server, { keepExpired: true, allowDuplicates: false, wasm: 'replace',
//   replaceFunctions: true }); l.push(chunk) per chunk (true once the EOF record and checksum are
//   in), l.end() → RdbLoadResult (replId, replOffset, aux, keys …), l.leftover() = bytes after the
//   file. loadRdb(server, buf) / loadRdbFile(server, path) for whole files. Errors: RdbLoadError
//   with the byte offset.

import { performance } from 'node:perf_hooks'; // the module's, not the global getter (~20 ns a read)
import { closeSync, openSync, readSync } from 'node:fs';
import type { Database, RedisValue } from '../../keyspace/db.js';
import { lfuCounter, lfuInit, LFU_INIT_VAL } from '../../keyspace/lfu.js';
import type { Permission } from '../../wasm/abi.js';
import type { Command } from '../../commands/table.js';
import { keyIndexes } from '../../commands/table.js';
import { encodeOptions } from '../../commands/dump.js';
import { hasScripting, scriptingOf } from '../../scripting/eval.js';
import type { Server } from '../../server/server.js';
import { ReplyError } from '../../protocol/reply.js';
import { crc64Update, type Crc64 } from './crc64.js';
import {
  DEFAULT_DECODE_OPTIONS,
  EncodeOptions,
  RDB_TYPE_MODULE_2,
  RDB_TYPE_MODULE_PRE_GA,
  RDB_VERSION,
  RdbError,
  RdbReader,
  RdbShortError,
  RdbWriter,
  isObjectType,
  readValue,
  valueType,
  writeValueBody,
} from './codec.js';

export const RDB_OPCODE_FUNCTION2 = 245;
export const RDB_OPCODE_FUNCTION_PRE_GA = 246;
export const RDB_OPCODE_MODULE_AUX = 247;
export const RDB_OPCODE_IDLE = 248;
export const RDB_OPCODE_FREQ = 249;
export const RDB_OPCODE_AUX = 250;
export const RDB_OPCODE_RESIZEDB = 251;
export const RDB_OPCODE_EXPIRETIME_MS = 252;
export const RDB_OPCODE_EXPIRETIME = 253;
export const RDB_OPCODE_SELECTDB = 254;
export const RDB_OPCODE_EOF = 255;

/** The version Lodestone reports in the redis-ver aux field (the Redis it is compatible with). */
export const RDB_REDIS_VER = '7.0.15';
/** The aux field carrying one WASM module. */
export const WASM_AUX = 'lodestone-wasm';

/** Is this buffer the start of an RDB file ("REDIS" + 4 digits)? */
export function isRdb(head: Buffer): boolean {
  return head.length >= 9 && head.latin1Slice(0, 5) === 'REDIS' && /^\d{4}$/.test(head.latin1Slice(5, 9));
}

// ---- writing ------------------------------------------------------------------------------------

export type RdbSink = (chunk: Buffer) => void;

export interface RdbWriteOptions {
  /** Value encodings and rdbcompression; default: the server's configuration. */
  encode?: EncodeOptions;
  /** Write the CRC-64 (rdbchecksum); false writes 8 zero bytes. Default: the rdbchecksum parameter. */
  checksum?: boolean;
  /** Replication info (repl-stream-db, repl-id, repl-offset aux fields), as for a full resync. */
  repl?: { replId: string; replOffset: number; streamDb?: number };
  /** aof-base aux field: 1 when the file is the base of an AOF. */
  aofBase?: boolean;
  /** Include the WASM modules (default true). */
  wasm?: boolean;
  /**
   * Keep the file consistent as of creation while writes run between steps (before-write
   * captures, see the header). Default true; writeRdb (synchronous) turns it off.
   */
  live?: boolean;
}

/** Bytes gathered before they go to the sink. */
const CHUNK = 256 * 1024;

/**
 * A set of strings spread over many Sets by a cheap hash: one big Set rehashes all its entries at
 * once when it grows (measured: 78 ms at 1M keys — a pause for every client), and parts of ~16K
 * entries rehash in well under a millisecond. `expected` (the database's size) picks the number of
 * parts; a lookup is one hash of the key's last 8 characters and one Set lookup.
 */
class SpreadSet {
  private readonly parts: Set<string>[];
  private readonly mask: number;

  constructor(expected = 0) {
    let n = 1;
    while (n * 16384 < expected && n < 4096) n *= 2;
    this.mask = n - 1;
    this.parts = Array.from({ length: n }, () => new Set<string>());
  }

  private part(k: string): Set<string> {
    if (this.mask === 0) return this.parts[0];
    let h = k.length;
    for (let i = Math.max(0, k.length - 8); i < k.length; i++) h = Math.imul(h ^ k.charCodeAt(i), 0x9e3779b1);
    return this.parts[(h ^ (h >>> 15)) & this.mask];
  }

  add(k: string): void {
    this.part(k).add(k);
  }

  has(k: string): boolean {
    return this.part(k).has(k);
  }
}

interface DbState {
  captured: SpreadSet;
  born: SpreadSet;
}

/**
 * An RDB file being written. The header, aux fields, modules and functions are produced by the
 * constructor (they are part of the moment the snapshot stands for); step() writes keys.
 */
export class RdbSnapshot {
  private w = new RdbWriter(CHUNK + 1024);
  private readonly crc: Crc64 = { lo: 0, hi: 0 };
  private readonly o: EncodeOptions;
  private readonly checksum: boolean;
  private readonly lru: boolean;
  private readonly lfu: boolean;
  private dbIndex = 0;
  private iter: Iterator<[string, RedisValue]> | null = null;
  /** Keys of dbs[dbIndex] the walk has written. */
  private visited = new SpreadSet();
  private readonly states = new Map<number, DbState>();
  private readonly sealed = new Set<number>();
  /** The database the last SELECTDB named. */
  private curDb = -1;
  private unhook: (() => void) | null = null;
  /** Keys written so far (walk and captures). */
  keysDone = 0;
  /** Bytes handed to the sink. */
  bytes = 0;
  done = false;
  /** Database changes (server.dirty) when the snapshot was taken. */
  readonly dirtyAtStart: number;
  readonly startedAt = Date.now();

  constructor(
    private readonly server: Server,
    private readonly sink: RdbSink,
    opts: RdbWriteOptions = {},
  ) {
    this.o = opts.encode ?? fileEncodeOptions(server);
    this.checksum = opts.checksum ?? configBool(server, 'rdbchecksum', true);
    const policy = server.config.getString('maxmemory-policy');
    this.lru = policy.endsWith('-lru');
    this.lfu = policy.endsWith('-lfu');
    this.dirtyAtStart = server.dirty;
    const w = this.w;
    w.raw(Buffer.from(`REDIS${String(RDB_VERSION).padStart(4, '0')}`, 'latin1'));
    this.aux('redis-ver', RDB_REDIS_VER);
    this.aux('redis-bits', '64');
    this.aux('ctime', String(Math.floor(Date.now() / 1000)));
    this.aux('used-mem', String(server.memory.used()));
    if (opts.repl) {
      this.aux('repl-stream-db', String(opts.repl.streamDb ?? 0));
      this.aux('repl-id', opts.repl.replId);
      this.aux('repl-offset', String(opts.repl.replOffset));
    }
    this.aux('aof-base', opts.aofBase ? '1' : '0');
    if (opts.wasm !== false && server.wasm) {
      for (const fn of server.wasm.functions.values()) {
        const meta = JSON.stringify({ name: fn.name, permissions: fn.permissions, sha256: fn.sha256, abi: 1 });
        w.byte(RDB_OPCODE_AUX);
        w.string(WASM_AUX, false);
        w.string(Buffer.concat([Buffer.from(meta + '\n', 'utf8'), fn.bytes]), this.o.compress);
        this.drain(false);
      }
    }
    const sc = hasScripting(server);
    if (sc) {
      for (const code of sc.functions.codes()) {
        w.byte(RDB_OPCODE_FUNCTION2);
        w.string(code, this.o.compress);
        this.drain(false);
      }
    }
    if (opts.live !== false) {
      const off = server.observeBeforeWrites(this.beforeWrite);
      const onDelete = (db: Database, key: string) => {
        if (!this.done) this.capture(db, key);
      };
      for (const db of server.dbs) db.beforeDelete.push(onDelete);
      this.unhook = () => {
        off();
        for (const db of server.dbs) {
          const i = db.beforeDelete.indexOf(onDelete);
          if (i >= 0) db.beforeDelete.splice(i, 1);
        }
      };
    }
  }

  private aux(k: string, v: string): void {
    this.w.byte(RDB_OPCODE_AUX);
    this.w.string(k, this.o.compress);
    this.w.string(v, this.o.compress);
  }

  /** Write keys for about `budgetMs`; true once the file is complete (EOF and checksum written). */
  step(budgetMs: number): boolean {
    if (this.done) return true;
    const t0 = performance.now();
    const dbs = this.server.dbs;
    while (this.dbIndex < dbs.length) {
      const db = dbs[this.dbIndex];
      if (!this.iter) {
        if (db.dict.size === 0 || this.sealed.has(db.id)) {
          this.nextDb();
          continue;
        }
        this.iter = db.dict.entries();
        this.visited = new SpreadSet(db.dict.size);
        this.w.byte(RDB_OPCODE_SELECTDB);
        this.w.len(db.id);
        this.w.byte(RDB_OPCODE_RESIZEDB);
        this.w.len(db.dict.size);
        this.w.len(db.expires.size);
        this.curDb = db.id;
      }
      const st = this.states.get(db.id);
      let n = 0;
      for (;;) {
        if (this.sealed.has(db.id)) break; // a FLUSHDB / SWAPDB captured the rest
        const next = this.iter.next();
        if (next.done) break;
        const k = next.value[0];
        // Skipped: saved before a write changed it, created after the snapshot, or deleted and
        // created again after the walk wrote it (a Map iterator visits re-inserted keys again).
        if ((st && (st.captured.has(k) || st.born.has(k))) || this.visited.has(k)) continue;
        this.visited.add(k);
        this.writeKey(db, k, next.value[1]);
        if (++n % 32 === 0) {
          this.drain(false);
          if (performance.now() - t0 > budgetMs) return false;
        }
      }
      this.nextDb();
    }
    this.w.byte(RDB_OPCODE_EOF);
    this.drain(true);
    const sum = Buffer.alloc(8);
    if (this.checksum) {
      sum.writeUInt32LE(this.crc.lo, 0);
      sum.writeUInt32LE(this.crc.hi, 4);
    }
    this.bytes += 8;
    this.sink(sum);
    this.done = true;
    this.stop();
    return true;
  }

  /** Write the rest at once. */
  runToEnd(): void {
    while (!this.step(Infinity));
  }

  /** Stop observing writes (the snapshot is complete or abandoned). Idempotent. */
  stop(): void {
    this.unhook?.();
    this.unhook = null;
    this.visited = new SpreadSet();
    this.states.clear();
  }

  private nextDb(): void {
    this.iter = null;
    this.visited = new SpreadSet();
    this.states.delete(this.dbIndex);
    this.dbIndex++;
  }

  private writeKey(db: Database, key: string, v: RedisValue): void {
    const w = this.w;
    if (this.curDb !== db.id) {
      w.byte(RDB_OPCODE_SELECTDB);
      w.len(db.id);
      this.curDb = db.id;
    }
    const at = db.expires.get(key);
    if (at !== undefined) {
      w.byte(RDB_OPCODE_EXPIRETIME_MS);
      w.millis(at);
    }
    if (this.lru) {
      const last = db.accessOf(key);
      w.byte(RDB_OPCODE_IDLE);
      w.len(last === undefined ? 0 : Math.max(0, Math.floor(db.lruNow() / 1000) - last));
    } else if (this.lfu) {
      // rdbSaveKeyValuePair: LFUDecrAndReturn, the counter decayed to now.
      const slot = db.accessOf(key);
      w.byte(RDB_OPCODE_FREQ);
      w.byte(slot === undefined || db.lfu === null ? LFU_INIT_VAL : lfuCounter(slot, db.lruNow(), db.lfu));
    }
    const type = valueType(v, this.o);
    w.byte(type);
    w.string(key, this.o.compress);
    writeValueBody(w, v, type, this.o);
    this.keysDone++;
  }

  private state(id: number): DbState {
    let s = this.states.get(id);
    if (!s) this.states.set(id, (s = { captured: new SpreadSet(), born: new SpreadSet() }));
    return s;
  }

  /** Write `key` as it is now, unless the walk already did (or it did not exist at the snapshot). */
  private capture(db: Database, key: string): void {
    const id = db.id;
    if (id < this.dbIndex || this.sealed.has(id)) return;
    if (id === this.dbIndex && this.visited.has(key)) return;
    const st = this.state(id);
    if (st.captured.has(key) || st.born.has(key)) return;
    const v = db.dict.get(key);
    if (v === undefined) {
      st.born.add(key);
      return;
    }
    st.captured.add(key);
    this.writeKey(db, key, v);
    this.drain(false);
  }

  private captureAll(db: Database | undefined): void {
    if (!db || db.id < this.dbIndex || this.sealed.has(db.id)) return;
    for (const k of db.dict.keys()) this.capture(db, k);
    this.sealed.add(db.id);
  }

  /** Server.observeBeforeWrites: a write command is about to run in `db`. */
  private readonly beforeWrite = (db: Database, cmd: Command, args: string[]): void => {
    if (this.done) return;
    const dbs = this.server.dbs;
    const dbAt = (s: string): Database | undefined => {
      const n = Number(s);
      return Number.isInteger(n) && n >= 0 ? dbs[n] : undefined;
    };
    switch (cmd.fullName) {
      case 'flushall':
        for (const d of dbs) this.captureAll(d);
        return;
      case 'flushdb':
        this.captureAll(db);
        return;
      case 'swapdb':
        this.captureAll(dbAt(args[1]));
        this.captureAll(dbAt(args[2]));
        return;
    }
    const c = cmd.sub && args.length > 1 ? (cmd.sub.get(args[1].toLowerCase()) ?? cmd) : cmd;
    const idx = keyIndexes(c, args);
    for (let i = 0; i < idx.length; i++) this.capture(db, args[idx[i]]);
    if (cmd.fullName === 'move') {
      const other = dbAt(args[2]);
      if (other) this.capture(other, args[1]);
    } else if (cmd.fullName === 'copy') {
      for (let j = 3; j + 1 < args.length; j++) {
        if (args[j].toLowerCase() !== 'db') continue;
        const other = dbAt(args[j + 1]);
        if (other) this.capture(other, args[2]);
        j++;
      }
    }
  };

  private drain(force: boolean): void {
    const w = this.w;
    if (w.pos === 0 || (!force && w.pos < CHUNK)) return;
    const out = w.finish();
    if (this.checksum) crc64Update(this.crc, out);
    this.bytes += out.length;
    this.w = new RdbWriter(CHUNK + 1024);
    this.sink(out);
  }
}

/** The whole dataset as an RDB file, synchronously, to `sink`. */
export function writeRdb(server: Server, sink: RdbSink, opts: RdbWriteOptions = {}): void {
  const s = new RdbSnapshot(server, sink, { ...opts, live: false });
  s.runToEnd();
}

/** The whole dataset as one RDB Buffer (tests, small datasets). */
export function rdbBuffer(server: Server, opts: RdbWriteOptions = {}): Buffer {
  const parts: Buffer[] = [];
  writeRdb(server, (b) => parts.push(b), opts);
  return Buffer.concat(parts);
}

/** The DUMP encoder's options plus rdbcompression. */
function fileEncodeOptions(server: Server): EncodeOptions {
  return { ...encodeOptions(server), compress: configBool(server, 'rdbcompression', true) };
}

function configBool(server: Server, name: string, dflt: boolean): boolean {
  try {
    return server.config.getBool(name);
  } catch {
    return dflt;
  }
}


// ---- loading ------------------------------------------------------------------------------------

/** A file or stream that cannot be loaded; `offset` is where the problem is. */
export class RdbLoadError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

export interface RdbLoadOptions {
  /** Keep keys whose expiry has passed (a replica loading its master's file). Default false. */
  keepExpired?: boolean;
  /** A key already present is replaced instead of refused (Redis's RDBFLAGS_ALLOW_DUP). */
  allowDuplicates?: boolean;
  /** Check the CRC-64 at the end (rdbchecksum). Default true. */
  verifyChecksum?: boolean;
  /**
   * WASM modules in the file: 'missing' loads those not loaded yet (the module store stays
   * authoritative: startup), 'replace' loads all of them over same-named ones (full resync),
   * 'ignore' skips them. Default 'missing'.
   */
  wasm?: 'missing' | 'replace' | 'ignore';
  /** Function libraries: replace same-named ones instead of failing. Default false. */
  replaceFunctions?: boolean;
  /** Longest string accepted (proto-max-bulk-len). */
  maxStringBytes?: number;
}

export interface RdbLoadResult {
  version: number;
  /** Keys loaded. */
  keys: number;
  /** Keys dropped because their expiry had passed. */
  expiredSkipped: number;
  functions: string[];
  wasmModules: string[];
  /** Every aux field, latin1 (lodestone-wasm ones excluded). */
  aux: Map<string, string>;
  replId: string | null;
  replOffset: number | null;
  /** Bytes of the file (magic to checksum). */
  bytes: number;
}

/** Redis's moduleTypeNameByID: 9 characters from the top 54 bits of a module type id. */
function moduleName(id: bigint): string {
  const cset = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let name = '';
  let v = id >> 10n;
  for (let i = 0; i < 9; i++) {
    name = cset[Number(v & 63n)] + name;
    v >>= 6n;
  }
  return name;
}

/** Incremental RDB loader: push() chunks, end() when the input is complete. */
export class RdbLoader {
  private chunks: Buffer[] = [];
  private pending = 0;
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Bytes consumed before buf[0]. */
  private base = 0;
  private retryAt = 0;
  private started = false;
  private finished = false;
  private db: Database;
  private expire = -1;
  private idle = -1;
  private freq = -1;
  private readonly crc: Crc64 = { lo: 0, hi: 0 };
  private readonly now: number;
  private readonly decode: { maxStringBytes: number };
  readonly result: RdbLoadResult = {
    version: 0,
    keys: 0,
    expiredSkipped: 0,
    functions: [],
    wasmModules: [],
    aux: new Map(),
    replId: null,
    replOffset: null,
    bytes: 0,
  };

  constructor(
    private readonly server: Server,
    private readonly opts: RdbLoadOptions = {},
  ) {
    this.db = server.dbs[0];
    this.now = Date.now();
    this.decode = { maxStringBytes: opts.maxStringBytes ?? DEFAULT_DECODE_OPTIONS.maxStringBytes };
  }

  /** The EOF record and checksum have been read. */
  get done(): boolean {
    return this.finished;
  }

  /** Feed bytes; returns true once the file is complete (bytes after it: leftover()). */
  push(chunk: Buffer): boolean {
    if (this.finished) {
      this.chunks.push(chunk);
      return true;
    }
    if (chunk.length === 0) return false;
    this.chunks.push(chunk);
    this.pending += chunk.length;
    if (this.buf.length - this.pos + this.pending < this.retryAt) return false;
    this.parse(false);
    return this.finished;
  }

  /** The input is complete: parse what is left; throws RdbLoadError unless the file is whole. */
  end(): RdbLoadResult {
    if (!this.finished) this.parse(true);
    if (!this.finished) throw new RdbLoadError('Unexpected EOF reading RDB file (the file is truncated)', this.base + this.buf.length);
    return this.result;
  }

  /** Bytes pushed after the end of the file (a replication stream continues with commands). */
  leftover(): Buffer {
    return Buffer.concat([this.buf.subarray(this.pos), ...this.chunks]);
  }

  private gather(): void {
    if (this.chunks.length === 0) return;
    const rest = this.buf.subarray(this.pos);
    // The old buffer is never written to again: values may hold views of it.
    this.buf = rest.length === 0 && this.chunks.length === 1 ? this.chunks[0] : Buffer.concat([rest, ...this.chunks]);
    this.base += this.pos;
    this.pos = 0;
    this.chunks = [];
    this.pending = 0;
  }

  private parse(final: boolean): void {
    this.gather();
    for (;;) {
      if (this.finished) return;
      const start = this.pos;
      const r = new RdbReader(this.buf, start, this.buf.length, this.decode);
      let apply: (() => void) | null;
      try {
        if (r.remaining === 0) {
          if (!final) this.retryAt = 1;
          return;
        }
        apply = this.record(r);
      } catch (err) {
        if (err instanceof RdbError || err instanceof RangeError) {
          if (!final) {
            // A record cut by the end of what has arrived: wait for the bytes it declares (or, when
            // a nested structure is short, for twice as much: linear time overall).
            const avail = this.buf.length - start;
            this.retryAt = err instanceof RdbShortError && err.reader === r ? Math.max(err.needEnd - start, avail + 1) : 2 * avail;
            return;
          }
          const short = err instanceof RdbShortError && err.reader === r;
          throw new RdbLoadError(
            short ? 'Unexpected EOF reading RDB file (the file is truncated)' : `Bad RDB data: ${(err as Error).message}`,
            this.base + start,
          );
        }
        if (err instanceof RdbLoadError && err.offset === 0) throw new RdbLoadError(err.message, this.base + start);
        throw err;
      }
      this.retryAt = 0;
      // Checksummed: everything up to and including the EOF opcode (its 8-byte CRC excluded).
      const crcEnd = this.finished && this.result.version >= 5 ? r.pos - 8 : r.pos;
      crc64Update(this.crc, this.buf, start, crcEnd);
      this.pos = r.pos;
      if (this.finished) this.checkSum(this.buf.subarray(crcEnd, r.pos), this.base + crcEnd);
      try {
        apply?.();
      } catch (err) {
        if (err instanceof RdbLoadError) throw err;
        throw new RdbLoadError((err as Error).message, this.base + start);
      }
    }
  }

  private checkSum(stored: Buffer, offset: number): void {
    this.result.bytes = offset + stored.length;
    if (this.opts.verifyChecksum === false || stored.length === 0) return;
    const lo = stored.readUInt32LE(0);
    const hi = stored.readUInt32LE(4);
    if (lo === 0 && hi === 0) return; // written with rdbchecksum no
    if (lo !== this.crc.lo || hi !== this.crc.hi) {
      const hex = (h: number, l: number) => ((BigInt(h) << 32n) | BigInt(l)).toString(16);
      throw new RdbLoadError(`Wrong RDB checksum expected: (${hex(hi, lo)}) got (${hex(this.crc.hi, this.crc.lo)}). Aborting now.`, offset);
    }
  }

  /**
   * Parse one record from `r` (throws RdbError when it is incomplete or malformed) and return
   * what applying it does, run only once the whole record was read.
   */
  private record(r: RdbReader): (() => void) | null {
    if (!this.started) {
      const magic = r.raw(9);
      if (magic.latin1Slice(0, 5) !== 'REDIS') throw new RdbLoadError('Wrong signature trying to load DB from file', 0);
      const ver = Number(magic.latin1Slice(5, 9));
      if (!/^\d{4}$/.test(magic.latin1Slice(5, 9)) || ver < 1 || ver > RDB_VERSION) {
        throw new RdbLoadError(`Can't handle RDB format version ${magic.latin1Slice(5, 9)}`, 5);
      }
      return () => {
        this.started = true;
        this.result.version = ver;
      };
    }
    const type = r.byte();
    switch (type) {
      case RDB_OPCODE_EXPIRETIME: {
        r.need(4);
        const secs = r.buf.readInt32LE(r.pos);
        r.pos += 4;
        return () => (this.expire = secs * 1000);
      }
      case RDB_OPCODE_EXPIRETIME_MS: {
        const ms = r.millis();
        return () => (this.expire = ms);
      }
      case RDB_OPCODE_FREQ: {
        const f = r.byte();
        return () => (this.freq = f);
      }
      case RDB_OPCODE_IDLE: {
        const idle = r.lenBig();
        return () => (this.idle = Number(idle));
      }
      case RDB_OPCODE_EOF: {
        if (this.result.version >= 5) r.raw(8);
        this.finished = true;
        return null;
      }
      case RDB_OPCODE_SELECTDB: {
        const id = r.lenBig();
        return () => {
          if (id >= BigInt(this.server.dbs.length)) {
            throw new Error(`FATAL: Data file was created with a Redis server configured to handle more than ${this.server.dbs.length} databases. Exiting`);
          }
          this.db = this.server.dbs[Number(id)];
        };
      }
      case RDB_OPCODE_RESIZEDB:
        r.lenBig();
        r.lenBig();
        return null;
      case RDB_OPCODE_AUX: {
        const k = r.bytes().latin1Slice();
        const v = r.bytes();
        return () => this.auxField(k, v);
      }
      case RDB_OPCODE_MODULE_AUX: {
        const id = r.lenBig();
        return () => {
          throw new Error(`The RDB file contains AUX module data I can't load: no matching module '${moduleName(id)}'`);
        };
      }
      case RDB_OPCODE_FUNCTION_PRE_GA:
        throw new RdbLoadError('Pre-release function format not supported.', 0);
      case RDB_OPCODE_FUNCTION2: {
        const code = r.bytes().latin1Slice();
        return () => this.loadFunction(code);
      }
    }
    if (type === RDB_TYPE_MODULE_PRE_GA || type === RDB_TYPE_MODULE_2) {
      const id = r.lenBig();
      return () => {
        throw new Error(`The RDB file contains module data I can't load: no matching module type '${moduleName(id)}'`);
      };
    }
    if (!isObjectType(type)) throw new RdbLoadError(`Unknown RDB encoding type ${type}`, 0);
    const key = r.str();
    const value = readValue(r, type);
    return () => this.addKey(key, value);
  }

  private addKey(key: string, value: RedisValue): void {
    const db = this.db;
    const expire = this.expire;
    const idle = this.idle;
    const freq = this.freq;
    this.expire = this.idle = this.freq = -1;
    if (expire !== -1 && expire < this.now && !this.opts.keepExpired) {
      this.result.expiredSkipped++;
      return;
    }
    if (db.dict.has(key) && !this.opts.allowDuplicates) throw new Error(`Duplicate key '${key}' found in RDB file`);
    db.set(key, value);
    if (expire !== -1) db.setExpire(key, expire);
    if (db.lfu !== null) {
      if (freq >= 0) db.setAccess(key, lfuInit(db.lruNow()) - LFU_INIT_VAL + freq);
    } else if (idle >= 0) {
      db.setAccess(key, Math.floor(db.lruNow() / 1000) - idle);
    }
    this.result.keys++;
  }

  private auxField(k: string, v: Buffer): void {
    if (k === WASM_AUX) {
      this.loadWasm(v);
      return;
    }
    const s = v.latin1Slice();
    this.result.aux.set(k, s);
    if (k === 'repl-id') this.result.replId = s;
    else if (k === 'repl-offset') this.result.replOffset = Number(s);
  }

  private loadFunction(code: string): void {
    const r = scriptingOf(this.server).functions.load(code, this.opts.replaceFunctions === true);
    if (r instanceof ReplyError) throw new Error(`Failed loading library: ${r.message}`);
    this.result.functions.push(r);
  }

  private loadWasm(v: Buffer): void {
    const mode = this.opts.wasm ?? 'missing';
    if (mode === 'ignore') return;
    const nl = v.indexOf(10);
    if (nl < 0) throw new Error(`bad ${WASM_AUX} aux field (no metadata line)`);
    let meta: { name?: unknown; permissions?: unknown };
    try {
      meta = JSON.parse(v.subarray(0, nl).toString('utf8')) as typeof meta;
    } catch {
      throw new Error(`bad ${WASM_AUX} aux field (metadata is not JSON)`);
    }
    const name = String(meta.name);
    const reg = this.server.wasm;
    if (!reg) {
      this.server.log.warn(`The RDB file holds WASM module '${name}', but wasm.enabled is off: not loaded`);
      return;
    }
    if (mode === 'missing' && reg.functions.has(name)) return;
    const perms = Array.isArray(meta.permissions) ? (meta.permissions as Permission[]) : null;
    try {
      reg.load(name, Buffer.from(v.subarray(nl + 1)), { replace: true, permissions: perms });
    } catch (err) {
      throw new Error(`Failed loading WASM module '${name}' from the RDB file: ${(err as Error).message}`);
    }
    this.result.wasmModules.push(name);
  }
}

/** Load a whole RDB held in memory. Throws RdbLoadError. */
export function loadRdb(server: Server, data: Buffer, opts: RdbLoadOptions = {}): RdbLoadResult {
  const l = new RdbLoader(server, opts);
  l.push(data);
  return l.end();
}

/** Load an RDB file, reading it in 4 MB chunks. Throws RdbLoadError (and fs errors). */
export function loadRdbFile(server: Server, path: string, opts: RdbLoadOptions = {}): RdbLoadResult {
  const l = new RdbLoader(server, opts);
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const b = Buffer.allocUnsafe(4 << 20);
      const n = readSync(fd, b, 0, b.length, null);
      if (n === 0) break;
      l.push(n === b.length ? b : b.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return l.end();
}
