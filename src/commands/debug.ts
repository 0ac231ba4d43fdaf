// DEBUG subcommands that Redis's own test suites and client libraries' tests lean on, with Redis
// 7.0's replies (debug.c): DIGEST / DIGEST-VALUE (Redis's dataset signature, the same hex for the
// same data), ERROR, LOG, LOADAOF (empty the dataset, replay the AOF), RELOAD (save the snapshot,
// empty, load it; MERGE / NOFLUSH / NOSAVE), POPULATE, PROTOCOL (one reply of every RESP type),
// SET-ACTIVE-EXPIRE, SET-SKIP-CHECKSUM-VALIDATION, PAUSE-CRON, CHANGE-REPL-ID, LISTPACK / QUICKLIST
// (the structure goes to the log) and STRINGMATCH-TEST. Emptying clears the function libraries too, as Redis's emptyData does.
// The DEBUG command itself (HELP, SLEEP, OBJECT, the enable-debug-command protection) is declared
// in server.ts, which hands the other subcommands here.
//
// DIGEST: per key, SHA1 mixing of the key, the type number and the value — order-preserving
// ("mix": digest = SHA1(digest xor SHA1(data))) for strings, list elements and stream entries,
// order-free ("xor": digest ^= SHA1(data)) for set members and hash / sorted-set pairs — plus
// "!!expire!!" for a key with a TTL; the keys of a database are xored together after its number.
// Logically expired keys not yet removed count, as in Redis (the dict is read directly).

import { createHash } from 'node:crypto';
import {
  AttributeReply, BigNumberReply, BooleanReply, DoubleReply, MapReply, OK, PushReply, Reply, ReplyError, SetReply, Status,
  VerbatimReply,
} from '../protocol/reply.js';
import { formatDouble } from '../protocol/encoder.js';
import { BigString } from '../keyspace/bigstring.js';
import type { Database, RedisValue } from '../keyspace/db.js';
import { Deque } from '../keyspace/deque.js';
import { Stream, U64MAX } from '../keyspace/stream.js';
import { SortedSet } from '../keyspace/zset.js';
import { parseLongLong } from '../util/numbers.js';
import { encodingOf } from '../keyspace/encoding.js';
import { createDumpPayload, lpDecode, RdbReader } from '../persistence/rdb/index.js';
import { globMatch } from '../util/glob.js';
import { encodeOptions } from './dump.js';
import { isSharedInteger } from './keys.js';
import { changeReplicationId } from '../server/info.js';
import type { Client } from '../server/client.js';
import { hasScripting } from '../scripting/eval.js';
import type { Context } from './table.js';

const sha1 = (b: Uint8Array): Buffer => createHash('sha1').update(b).digest();
const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');

/** digest ^= SHA1(data) */
function xorDigest(digest: Buffer, data: Uint8Array): void {
  const h = sha1(data);
  for (let i = 0; i < 20; i++) digest[i] ^= h[i];
}

/** digest = SHA1(digest ^ SHA1(data)) */
function mixDigest(digest: Buffer, data: Uint8Array): void {
  xorDigest(digest, data);
  sha1(digest).copy(digest);
}

/** Redis's OBJ_* type numbers, as htonl(o->type). */
function typeWord(v: RedisValue): Buffer {
  const t =
    typeof v === 'string' || v instanceof BigString ? 0
    : v instanceof Deque ? 1
    : v instanceof Set ? 2
    : v instanceof SortedSet ? 3
    : v instanceof Map ? 4
    : 6; // stream
  const b = Buffer.alloc(4);
  b.writeUInt32BE(t);
  return b;
}

/** Redis's xorObjectDigest: mix the value of `key` into `digest`. */
function objectDigest(db: Database, key: string, v: RedisValue, digest: Buffer): void {
  mixDigest(digest, typeWord(v));
  if (typeof v === 'string') mixDigest(digest, bytes(v));
  else if (v instanceof BigString) mixDigest(digest, v.view());
  else if (v instanceof Deque) for (const e of v) mixDigest(digest, bytes(e));
  else if (v instanceof Set) for (const m of v) xorDigest(digest, bytes(m));
  else if (v instanceof SortedSet) {
    for (const n of v) {
      const e = Buffer.alloc(20);
      mixDigest(e, bytes(n.member));
      mixDigest(e, bytes(formatDouble(n.score)));
      xorDigest(digest, e);
    }
  } else if (v instanceof Map) {
    for (const [f, val] of v) {
      const e = Buffer.alloc(20);
      mixDigest(e, bytes(f));
      mixDigest(e, bytes(val));
      xorDigest(digest, e);
    }
  } else if (v instanceof Stream) {
    for (const e of v.range(0, 0, U64MAX, U64MAX, 0, false)) {
      mixDigest(digest, bytes(`${e.ms >= U64MAX ? '18446744073709551615' : e.ms}.${e.seq >= U64MAX ? '18446744073709551615' : e.seq}`));
      for (const f of e.fields) mixDigest(digest, bytes(f));
    }
  }
  if (db.expires.has(key)) xorDigest(digest, bytes('!!expire!!'));
}

function datasetDigest(ctx: Context): string {
  const final = Buffer.alloc(20);
  for (const db of ctx.server.dbs) {
    if (db.dict.size === 0) continue;
    const id = Buffer.alloc(4);
    id.writeUInt32BE(db.id);
    mixDigest(final, id);
    for (const [key, v] of db.dict) {
      const d = Buffer.alloc(20);
      mixDigest(d, bytes(key));
      objectDigest(db, key, v, d);
      xorDigest(final, d);
    }
  }
  return final.toString('hex');
}

const ERR_NOT_POSITIVE = new ReplyError('ERR', 'value is out of range, must be positive');

const PROTOCOL_TYPES = 'string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false';

/** DEBUG PROTOCOL <type>: Redis's test value of each type. */
function protocolReply(ctx: Context, type: string): Reply {
  switch (type.toLowerCase()) {
    case 'string':
      return 'Hello World';
    case 'integer':
      return 12345;
    case 'double':
      return new DoubleReply(3.141);
    case 'bignum':
      return new BigNumberReply('1234567999999999999999999999999999999');
    case 'null':
      return null;
    case 'array':
      return [0, 1, 2];
    case 'set':
      return new SetReply([0, 1, 2]);
    case 'map':
      return new MapReply([0, BooleanReply.FALSE, 1, BooleanReply.TRUE, 2, BooleanReply.FALSE]);
    case 'attrib':
      return new AttributeReply(['key-popularity', ['key:123', 90]], 'Some real reply following the attribute');
    case 'push':
      if (ctx.client.enc.resp !== 3) return new ReplyError('ERR', 'RESP2 is not supported by this command');
      ctx.client.write(new PushReply(['server-cpu-usage', 42]));
      return 'Some real reply following the push reply';
    case 'true':
      return BooleanReply.TRUE;
    case 'false':
      return BooleanReply.FALSE;
    case 'verbatim':
      return new VerbatimReply('This is a verbatim\nstring');
    default:
      return new ReplyError('ERR', `Wrong protocol type name. Please use one of the following: ${PROTOCOL_TYPES}`);
  }
}

/** DEBUG POPULATE count [prefix] [size]: keys prefix:N = "value:N" (padded with NULs or cut to size). */
function populate(ctx: Context, args: string[]): Reply {
  // getPositiveLongFromObjectOrReply: one error for "not a number" and "negative".
  const count = parseLongLong(args[2]);
  if (count === null || count < 0) return ERR_NOT_POSITIVE;
  let size = 0;
  if (args.length === 5) {
    const s = parseLongLong(args[4]);
    if (s === null || s < 0) return ERR_NOT_POSITIVE;
    size = Number(s);
  }
  const prefix = args.length >= 4 ? args[3] : 'key';
  const db = ctx.db;
  for (let j = 0; j < count; j++) {
    // snprintf into a 128-byte buffer: at most 127 characters of key.
    const key = `${prefix}:${j}`.slice(0, 127);
    if (db.get(key) !== undefined) continue;
    const text = `value:${j}`;
    const value = size === 0 ? text : size <= text.length ? text.slice(0, size) : text + '\0'.repeat(size - text.length);
    db.set(key, value);
    ctx.server.keyModified(db, key);
  }
  return OK;
}

/**
 * DEBUG OBJECT key: Redis's line — the refcount OBJECT REFCOUNT reports, the encoding, the length
 * of the value's RDB serialization (rdbSavedObjectLen: the DUMP payload less its type byte and
 * footer), the access clock, and for a quicklist its nodes as Redis would build them (the RDB
 * writer's node split). There is no object address: "0x0".
 */
function debugObject(ctx: Context, key: string): Reply {
  const db = ctx.db;
  const v = db.peek(key);
  if (v === undefined) return new ReplyError('ERR', 'no such key');
  const opts = encodeOptions(ctx.server);
  const payload = createDumpPayload(v, opts);
  const refcount = typeof v === 'string' && isSharedInteger(ctx, v) ? 2147483647 : 1;
  const nowSec = Math.floor(db.lruNow() / 1000);
  const lru = db.accessOf(key) ?? nowSec;
  const idle = Math.max(0, nowSec - lru);
  let extra = '';
  if (v instanceof Deque) {
    // Quicklist nodes from the payload: node count, then (container, listpack) per node.
    const r = new RdbReader(payload, 1);
    const nodes = r.count();
    let bytes = 0;
    for (let i = 0; i < nodes; i++) {
      r.lenBig();
      bytes += r.bytes().length;
    }
    const compressed = ctx.server.config.getInt('list-compress-depth') !== 0 ? 1 : 0;
    extra = ` ql_nodes:${nodes} ql_avg_node:${(v.length / nodes).toFixed(2)} ql_listpack_max:${opts.listMaxListpackSize} ql_compressed:${compressed} ql_uncompressed_size:${bytes}`;
  }
  return new Status(
    `Value at:0x0 refcount:${refcount} encoding:${encodingOf(ctx.server.config, db, key, v)} serializedlength:${payload.length - 11} lru:${lru & 0xffffff} lru_seconds_idle:${idle}${extra}`,
  );
}

/**
 * DEBUG LISTPACK / QUICKLIST key: Redis prints the structure on its stdout; here it goes to the log
 * (the entries of a listpack, the nodes of a quicklist, as the RDB serialization lays them out).
 */
function debugStructure(ctx: Context, key: string, kind: 'listpack' | 'quicklist'): Reply {
  const v = ctx.db.peek(key);
  if (v === undefined) return new ReplyError('ERR', 'no such key');
  if (encodingOf(ctx.server.config, ctx.db, key, v) !== kind) return new ReplyError('ERR', `Not a ${kind} encoded object.`);
  const payload = createDumpPayload(v, encodeOptions(ctx.server));
  const r = new RdbReader(payload, 1);
  if (kind === 'listpack') {
    const lp = r.bytes();
    ctx.server.log.warn({ key, bytes: lp.length, entries: lpDecode(lp)?.map(String) }, 'DEBUG LISTPACK');
    return new Status('Listpack structure printed on stdout');
  }
  const nodes: { bytes: number; entries: number }[] = [];
  for (let i = r.count(); i > 0; i--) {
    r.lenBig();
    const lp = r.bytes();
    nodes.push({ bytes: lp.length, entries: lp.readUInt16LE(4) });
  }
  ctx.server.log.warn({ key, nodes }, 'DEBUG QUICKLIST');
  return new Status('Quicklist structure printed on stdout');
}

/** Redis's stringmatchlen_fuzz_test (fewer rounds): random patterns against random strings must not throw. */
function stringmatchFuzz(): void {
  const rnd = (n: number): number => Math.floor(Math.random() * n);
  const text = (len: number): string => String.fromCharCode(...Array.from({ length: len }, () => rnd(128)));
  for (let i = 0; i < 100000; i++) globMatch(text(rnd(32)), text(rnd(32)));
}

/** C's atoi, as Redis reads these switches: anything not starting with a nonzero number is 0. */
const atoi = (s: string): number => parseInt(s, 10) || 0;

const ERR_RELOAD = new ReplyError('ERR', 'Error trying to load the RDB dump');

/** The WATCHers of keys that exist now (Redis's emptyData → signalFlushedDb invalidates them). */
function watchedExisting(ctx: Context): Set<Client>[] {
  const out: Set<Client>[] = [];
  for (const db of ctx.server.dbs) for (const [k, cs] of ctx.server.watchers[db.id] ?? []) if (db.dict.has(k)) out.push(cs);
  return out;
}

/** Redis's emptyData(-1, …): every database and the function libraries. */
function emptyData(ctx: Context): void {
  for (const db of ctx.server.dbs) db.clear();
  hasScripting(ctx.server)?.functions.flush();
}

/**
 * The DEBUG subcommands of this file: the reply, or undefined when `args` is none of them (server.ts
 * then answers Redis's subcommand syntax error).
 */
export function debugExtra(ctx: Context, args: string[]): Reply | undefined {
  const sub = args[1].toUpperCase();
  const n = args.length;
  switch (sub) {
    case 'OBJECT':
      return n === 3 ? debugObject(ctx, args[2]) : undefined;
    case 'LISTPACK':
      return n === 3 ? debugStructure(ctx, args[2], 'listpack') : undefined;
    case 'QUICKLIST':
      return n === 3 || n === 4 ? debugStructure(ctx, args[2], 'quicklist') : undefined;
    case 'STRINGMATCH-TEST':
      if (n !== 2) return undefined;
      stringmatchFuzz();
      return new Status('Apparently Redis did not crash: test passed');
    case 'DIGEST':
      return n === 2 ? new Status(datasetDigest(ctx)) : undefined;
    case 'DIGEST-VALUE': {
      const out: Reply[] = [];
      for (let j = 2; j < n; j++) {
        const d = Buffer.alloc(20);
        const v = ctx.db.dict.get(args[j]);
        if (v !== undefined) objectDigest(ctx.db, args[j], v, d);
        out.push(new Status(d.toString('hex')));
      }
      return out;
    }
    case 'ERROR':
      // addReplyError with the text as given: "-<text>" (no ERR prefix added).
      return n === 3 ? ReplyError.fromWire(args[2]) : undefined;
    case 'LOG':
      if (n !== 3) return undefined;
      ctx.server.log.warn({ debug: true }, `DEBUG LOG: ${args[2]}`);
      return OK;
    case 'POPULATE':
      return n >= 3 && n <= 5 ? populate(ctx, args) : undefined;
    case 'PROTOCOL':
      return n === 3 ? protocolReply(ctx, args[2]) : undefined;
    case 'LOADAOF': {
      if (n !== 2) return undefined;
      const server = ctx.server;
      const dirty = server.dirty;
      const watched = watchedExisting(ctx);
      const err = server.persistence.reloadAof(() => emptyData(ctx));
      if (err) return err;
      for (const cs of watched) for (const c of cs) c.dirtyCas = true;
      // Replaying is not a change to save (Redis zeroes server.dirty).
      server.dirty = dirty;
      return OK;
    }
    case 'RELOAD': {
      let flush = true;
      let save = true;
      let merge = false;
      for (let j = 2; j < n; j++) {
        const o = args[j].toUpperCase();
        if (o === 'MERGE') merge = true;
        else if (o === 'NOFLUSH') flush = false;
        else if (o === 'NOSAVE') save = false;
        else return new ReplyError('ERR', 'DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.');
      }
      const watched = watchedExisting(ctx);
      if (flush) {
        // Saving first (so an empty dataset is not what gets saved), then emptying.
        if (save) {
          const e = ctx.server.persistence.save();
          if (e) return e;
          save = false;
        }
        emptyData(ctx);
      } else if (!merge && (ctx.server.dbs.some((db) => db.dict.size > 0) || (hasScripting(ctx.server)?.functions.libraries.size ?? 0) > 0)) {
        // Redis fails on the first library already loaded (and dies on a duplicate key): refused
        // before anything is loaded.
        return ERR_RELOAD;
      }
      const err = ctx.server.persistence.reloadSnapshot(save, merge);
      if (err) return err;
      for (const cs of watched) for (const c of cs) c.dirtyCas = true;
      return OK;
    }
    case 'CHANGE-REPL-ID':
      if (n !== 2) return undefined;
      changeReplicationId(ctx.server);
      return OK;
    case 'PAUSE-CRON':
      if (n !== 3) return undefined;
      ctx.server.cronPaused = atoi(args[2]) !== 0;
      return OK;
    case 'SET-SKIP-CHECKSUM-VALIDATION':
      if (n !== 3) return undefined;
      ctx.server.skipChecksumValidation = atoi(args[2]) !== 0;
      return OK;
    case 'SET-ACTIVE-EXPIRE':
      if (n !== 3) return undefined;
      ctx.server.activeExpireEnabled = atoi(args[2]) !== 0;
      return OK;
    default:
      return undefined;
  }
}
