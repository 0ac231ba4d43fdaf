// Writing the whole dataset as RESP commands that rebuild it: the body of an AOF rewrite (and of
// Lodestone's old snapshot format, which is only read now; snapshots are RDB: rdb/file.ts).
//
// Redis forks and lets the child write a point-in-time copy. Node cannot fork a heap, so a dump
// here runs on the main thread in time slices (`step`, a few ms each, between client commands) and
// reaches a consistent result differently: every key that a write touches while the dump runs is
// marked dirty (the dump is a write observer), and `finish` appends, for each dirty key, `DEL key`
// plus the key's state at that moment — or, for a database that FLUSHDB/SWAPDB replaced wholesale,
// `FLUSHDB` plus the whole database. Replaying base + tail therefore yields exactly the dataset as
// it is when `finish` runs, and `finish` runs synchronously, so nothing can change in between. The
// cost of a write during a dump is one Set insertion; the tail is as long as the churn.
//
// Collections are written in commands of at most 64 elements (Redis's AOF_REWRITE_ITEMS_PER_CMD), so
// a huge key never becomes one giant record. TTLs become `PEXPIREAT key <absolute ms>`.
//
// A stream is rebuilt so that even its node layout replays the same (writeStream): one XADD per
// entry with its explicit id — tombstoned entries still inside a node included, plus a placeholder
// for any pending id whose entry is gone — then the groups (XGROUP CREATE … ENTRIESREAD, XGROUP
// CREATECONSUMER, one XCLAIM … TIME RETRYCOUNT FORCE JUSTID LASTID per pending entry, while every
// pending id still exists), then the tombstones again (XDEL, or XTRIM MINID when only trimming made
// them), and XSETID for the last id, entries-added and max-deleted-id.

import { performance } from 'node:perf_hooks'; // the module's, not the global getter (~20 ns a read)
import { formatDouble, Encoder } from '../protocol/encoder.js';
import { Database, RedisValue } from '../keyspace/db.js';
import { Deque } from '../keyspace/deque.js';
import { BigString } from '../keyspace/bigstring.js';
import { SortedSet } from '../keyspace/zset.js';
import { cmpID, fmtID, Stream, StreamEntry, u64Signed } from '../keyspace/stream.js';
import { keyIndexes } from '../commands/table.js';
import type { Server, WriteEvent } from '../server/server.js';
import { hasScripting } from '../scripting/eval.js';

const ITEMS_PER_CMD = 64;
/** Hand the encoded bytes to the sink once this much has accumulated. */
const FLUSH_AT = 256 * 1024;

export type Sink = (bytes: Buffer) => void;

export class DatasetDump {
  private readonly enc = new Encoder(2);
  private selected = -1;
  private dbIndex = 0;
  private iter: Iterator<[string, RedisValue]> | null = null;
  private readonly dirty = new Map<number, Set<string>>();
  private readonly replaced = new Set<number>();
  /** Commands written so far. */
  records = 0;
  /** Keys written by the base pass (INFO current_save_keys_processed). */
  keysDone = 0;
  baseDone = false;
  private functionsWritten = false;
  /** A FUNCTION LOAD/DELETE/FLUSH/RESTORE ran during the dump: finish re-emits every library. */
  private functionsDirty = false;

  constructor(
    private readonly server: Server,
    private readonly sink: Sink,
  ) {}

  /** Write the base for about `budgetMs`; true once every database has been walked. */
  step(budgetMs: number): boolean {
    const t0 = performance.now();
    const dbs = this.server.dbs;
    const now = this.server.clock.now();
    if (!this.functionsWritten) {
      // Function libraries come first, as in Redis's RDB / AOF rewrite.
      this.functionsWritten = true;
      this.writeFunctions(false);
    }
    while (this.dbIndex < dbs.length) {
      const db = dbs[this.dbIndex];
      if (!this.iter) this.iter = db.dict.entries();
      let n = 0;
      for (;;) {
        const next = this.iter.next();
        if (next.done) break;
        this.writeKey(db, next.value[0], next.value[1], now);
        this.keysDone++;
        if (++n % 64 === 0) {
          this.drain(false);
          if (performance.now() - t0 > budgetMs) return false;
        }
      }
      this.iter = null;
      this.dbIndex++;
    }
    this.drain(true);
    this.baseDone = true;
    return true;
  }

  /** Write everything at once (SAVE, shutdown, startup). */
  runToEnd(): void {
    while (!this.step(Infinity));
  }

  /** Observe a write made while the dump runs: its keys (or whole databases) get rewritten at the end. */
  observe(events: WriteEvent[]): void {
    for (const e of events) {
      const name = e.cmd.fullName;
      const a = e.args;
      if (name.startsWith('function|')) {
        this.functionsDirty = true;
      } else if (name === 'flushall') {
        for (let i = 0; i < this.server.dbs.length; i++) this.replaced.add(i);
      } else if (name === 'flushdb') {
        this.replaced.add(e.db);
      } else if (name === 'swapdb') {
        this.replaced.add(Number(a[1]));
        this.replaced.add(Number(a[2]));
      } else {
        // Container commands (XGROUP …) are observed by their top-level entry: resolve the subcommand.
        const cmd = e.cmd.sub && a.length > 1 ? (e.cmd.sub.get(a[1].toLowerCase()) ?? e.cmd) : e.cmd;
        for (const i of keyIndexes(cmd, a)) this.mark(e.db, a[i]);
        // Keys written outside the command's own database.
        if (name === 'move') this.mark(Number(a[2]), a[1]);
        else if (name === 'copy') {
          for (let i = 3; i < a.length - 1; i++) if (a[i].toLowerCase() === 'db') this.mark(Number(a[i + 1]), a[2]);
        }
      }
    }
  }

  private mark(db: number, key: string): void {
    let s = this.dirty.get(db);
    if (!s) this.dirty.set(db, (s = new Set()));
    s.add(key);
  }

  /** Bring the base up to date: rewrite every database replaced and every key touched meanwhile. */
  finish(): void {
    if (!this.baseDone) this.runToEnd();
    const now = this.server.clock.now();
    if (this.functionsDirty) this.writeFunctions(true);
    for (const id of this.replaced) {
      const db = this.server.dbs[id];
      if (!db) continue;
      this.select(id);
      this.command(['FLUSHDB']);
      for (const [k, v] of db.dict) this.writeKey(db, k, v, now);
      this.drain(false);
    }
    for (const [id, keys] of this.dirty) {
      if (this.replaced.has(id)) continue;
      const db = this.server.dbs[id];
      for (const k of keys) {
        this.select(id);
        this.command(['DEL', k]);
        const v = db.dict.get(k);
        if (v !== undefined) this.writeKey(db, k, v, now);
        if (this.enc.pos >= FLUSH_AT) this.drain(false);
      }
    }
    this.drain(true);
  }

  /** `FUNCTION LOAD REPLACE <code>` per library (after `FUNCTION FLUSH` when re-emitting in the tail). */
  private writeFunctions(flush: boolean): void {
    const sc = hasScripting(this.server);
    if (flush) this.command(['FUNCTION', 'FLUSH']);
    if (!sc) return;
    for (const code of sc.functions.codes()) this.command(['FUNCTION', 'LOAD', 'REPLACE', code]);
  }

  private writeKey(db: Database, key: string, v: RedisValue, now: number): void {
    const at = db.expires.get(key);
    if (at !== undefined && at <= now) return; // already expired: its DEL is on its way
    this.select(db.id);
    if (typeof v === 'string') this.command(['SET', key, v]);
    else if (v instanceof BigString) {
      this.enc.arrayHeader(3);
      this.enc.bulk('SET');
      this.enc.bulk(key);
      this.enc.bulkBuffer(v.view()); // copied into the encoder right away
      this.records++;
    }
    else if (v instanceof Map) this.chunked('HSET', key, v.size * 2, function* () {
      for (const [f, x] of v) {
        yield f;
        yield x;
      }
    });
    else if (v instanceof Set) this.chunked('SADD', key, v.size, () => v.values());
    else if (v instanceof Deque) this.chunked('RPUSH', key, v.length, () => v[Symbol.iterator]());
    else if (v instanceof SortedSet) this.chunked('ZADD', key, v.size * 2, function* () {
      for (const n of v) {
        yield formatDouble(n.score);
        yield n.member;
      }
    });
    else if (v instanceof Stream) this.writeStream(key, v);
    if (at !== undefined) this.command(['PEXPIREAT', key, String(at)]);
  }

  private writeStream(key: string, s: Stream): void {
    const inNodes: StreamEntry[] = [];
    for (const n of s.nodes) for (const e of n.entries) inNodes.push(e);
    // Pending ids whose entries are gone: placeholders, so XCLAIM can recreate the PEL entries.
    const known = new Set(inNodes.map((e) => fmtID(e.ms, e.seq)));
    const ghosts: StreamEntry[] = [];
    for (const g of s.groups.values()) {
      for (const p of g.pel) {
        const id = fmtID(p.ms, p.seq);
        if (known.has(id)) continue;
        known.add(id);
        ghosts.push({ ms: p.ms, seq: p.seq, fields: ['', ''], deleted: true });
      }
    }
    const all = ghosts.length === 0 ? inNodes : [...inNodes, ...ghosts].sort((a, b) => cmpID(a.ms, a.seq, b.ms, b.seq));
    if (all.length === 0) this.command(['XADD', key, 'MAXLEN', '0', '0-1', 'x', 'y']);
    for (const e of all) this.command(['XADD', key, fmtID(e.ms, e.seq), ...e.fields]);
    for (const [name, g] of s.groups) {
      const last = fmtID(g.lastMs, g.lastSeq);
      this.command(['XGROUP', 'CREATE', key, name, last, 'ENTRIESREAD', String(g.entriesRead)]);
      for (const c of g.consumers.keys()) this.command(['XGROUP', 'CREATECONSUMER', key, name, c]);
      for (const p of g.pel) {
        this.command([
          'XCLAIM', key, name, p.consumer.name, '0', fmtID(p.ms, p.seq), 'TIME', String(p.deliveryTime),
          'RETRYCOUNT', String(u64Signed(p.deliveryCount)), 'FORCE', 'JUSTID', 'LASTID', last,
        ]);
      }
    }
    const dead = all.filter((e) => e.deleted);
    if (dead.length > 0) {
      if (s.maxDelMs === 0 && s.maxDelSeq === 0) {
        // Never XDELed: every tombstone comes from trimming and precedes the first live entry.
        const first = s.firstEntry();
        this.command(first ? ['XTRIM', key, 'MINID', fmtID(first.ms, first.seq)] : ['XTRIM', key, 'MAXLEN', '0']);
      } else {
        for (let i = 0; i < dead.length; i += ITEMS_PER_CMD) {
          this.command(['XDEL', key, ...dead.slice(i, i + ITEMS_PER_CMD).map((e) => fmtID(e.ms, e.seq))]);
        }
      }
    }
    const setid = ['XSETID', key, fmtID(s.lastMs, s.lastSeq), 'ENTRIESADDED', String(s.entriesAdded)];
    if (s.maxDelMs !== 0 || s.maxDelSeq !== 0) setid.push('MAXDELETEDID', fmtID(s.maxDelMs, s.maxDelSeq));
    this.command(setid);
  }

  /** `name key item…` in commands of at most ITEMS_PER_CMD elements (pairs count as one for hashes/zsets). */
  private chunked(name: string, key: string, total: number, items: () => Iterator<string>): void {
    const per = name === 'HSET' || name === 'ZADD' ? ITEMS_PER_CMD * 2 : ITEMS_PER_CMD;
    const it = items();
    let left = total;
    while (left > 0) {
      const n = Math.min(per, left);
      this.enc.arrayHeader(n + 2);
      this.enc.bulk(name);
      this.enc.bulk(key);
      for (let i = 0; i < n; i++) this.enc.bulk(it.next().value as string);
      this.records++;
      left -= n;
    }
  }

  private select(id: number): void {
    if (this.selected === id) return;
    this.selected = id;
    this.command(['SELECT', String(id)]);
  }

  private command(args: string[]): void {
    encodeCommand(this.enc, args);
    this.records++;
  }

  private drain(force: boolean): void {
    if (this.enc.pos === 0 || (!force && this.enc.pos < FLUSH_AT)) return;
    const out = this.enc.take();
    if (out) this.sink(out);
  }
}

/**
 * Append `args` to `enc` as a RESP array of bulk strings (the request form, as in an AOF). `big`
 * maps the placeholders of arguments too long for a string to their bytes (keyspace/bigstring.ts).
 */
export function encodeCommand(enc: Encoder, args: string[], big?: Map<string, Buffer> | null): void {
  enc.arrayHeader(args.length);
  for (let i = 0; i < args.length; i++) {
    const b = big ? big.get(args[i]) : undefined;
    if (b !== undefined) enc.bulkBuffer(b);
    else enc.bulk(args[i]);
  }
}
