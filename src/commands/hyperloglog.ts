// HyperLogLog commands: PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST — Redis 7.0's hyperloglog.c,
// reply for reply, error for error, and byte for byte in the stored value (src/keyspace/hll.ts
// holds the representation; test/diff/hll.test.ts compares both against a real redis-server).
//
// HLLs are ordinary string values. `loadHll` / `storeHll` below are the only code that knows how
// the bytes are stored (today an immutable latin1 string, copied into a Buffer to work on and back;
// a BigString's Buffer is read in place and copied before any change), so a mutable byte-string
// value can replace them without touching the algorithm.
//
// Side effects as in Redis:
//   - PFADD: `pfadd` event, dirty += changed registers (+1 when it created the key). TTL kept.
//   - PFMERGE: always writes the destination (created when missing), `pfadd` event, dirty++.
//   - PFCOUNT of one key refreshes the cached cardinality in the stored value when it was stale:
//     that changes the value, so like Redis it signals the key (WATCH) and is propagated as the
//     PFCOUNT itself, although the command is read-only (dispatch only propagates writes, so the
//     handler emits it). PFCOUNT of several keys merges into a scratch register array, no write.
//   - PFDEBUG GETREG / TODENSE convert a sparse value to dense in place (dirty++, propagated).

import { ERR_WRONGTYPE, OK, Reply, ReplyError, Status } from '../protocol/reply.js';
import { BigString, StringValue, valueOf } from '../keyspace/bigstring.js';
import type { Database } from '../keyspace/db.js';
import {
  cachedCard,
  cardReply,
  decodeSparse,
  denseGet,
  Hll,
  HLL_DENSE,
  HLL_HDR_SIZE,
  HLL_REGISTERS,
  HLL_SPARSE,
  hllAdd,
  hllCount,
  hllMerge,
  hllSet,
  isHllBytes,
  isHllString,
  rawCount,
  selfTest,
  setCachedCard,
  sparseToDense,
} from '../keyspace/hll.js';
import { NOTIFY_STRING, notifyKeyspaceEvent } from '../server/notify.js';
import type { CommandSpec, Context } from './table.js';

const ERR_NOT_HLL = new ReplyError('WRONGTYPE', 'Key is not a valid HyperLogLog string value.');
const ERR_INVALID_HLL = new ReplyError('INVALIDOBJ', 'Corrupted HLL object detected');
const ERR_NO_KEY = new ReplyError('ERR', 'The specified key does not exist');
const ERR_NOT_SPARSE = new ReplyError('ERR', 'HLL encoding is not sparse');

// ---- Value access --------------------------------------------------------------------------------

/** isHLLObjectOrReply: the string value at `key` if it is a valid HLL, undefined if missing. */
function hllValue(db: Database, key: string, read: boolean): StringValue | undefined {
  const v = read ? db.get(key) : db.peek(key);
  if (v === undefined) {
    if (read) db.readMiss(key); // PFMERGE's sources: lookupKeyRead inside a write
    return undefined;
  }
  if (typeof v === 'string') {
    if (!isHllString(v)) throw ERR_NOT_HLL;
    return v;
  }
  if (!(v instanceof BigString)) throw ERR_WRONGTYPE;
  if (!isHllBytes(v.buf)) throw ERR_NOT_HLL;
  return v;
}

/** The value's bytes for reading only (a copy for a string, the Buffer itself for a BigString). */
function hllBytes(v: StringValue): Buffer {
  return typeof v === 'string' ? Buffer.from(v, 'latin1') : v.buf;
}

/** A private, growable copy of the value's bytes to change. */
function loadHll(v: StringValue): Hll {
  if (typeof v === 'string') {
    const len = v.length;
    const buf = Buffer.allocUnsafe(len + 8);
    buf.latin1Write(v, 0, len);
    buf.fill(0, len);
    return new Hll(buf, len);
  }
  return Hll.from(v.buf);
}

/** Store the HLL's bytes as the key's value, keeping its TTL (Redis changes the value in place). */
function storeHll(db: Database, key: string, o: Hll): void {
  db.set(key, valueOf(o.bytes()), true);
}

function maxSparse(ctx: Context): number {
  return ctx.server.config.getInt('hll-sparse-max-bytes');
}

// ---- Commands ------------------------------------------------------------------------------------

function pfadd(ctx: Context, args: string[]): Reply {
  const db = ctx.db;
  const key = args[1];
  const v = hllValue(db, key, false);
  let updated = 0;
  let o: Hll;
  if (v === undefined) {
    o = Hll.create();
    updated++;
  } else {
    o = loadHll(v);
  }
  const maxBytes = maxSparse(ctx);
  for (let j = 2; j < args.length; j++) {
    const r = hllAdd(o, args[j], maxBytes);
    if (r === 1) updated++;
    else if (r === -1) {
      // Redis changed its value in place up to here (and had already added a new key).
      if (updated > 0) storeHll(db, key, o);
      throw ERR_INVALID_HLL;
    }
  }
  if (updated === 0) return 0;
  o.invalidateCache();
  storeHll(db, key, o);
  notifyKeyspaceEvent(ctx.server, NOTIFY_STRING, 'pfadd', key, db.id);
  ctx.server.dirty += updated;
  return 1;
}

function pfcount(ctx: Context, args: string[]): Reply {
  const db = ctx.db;
  if (args.length > 2) {
    // The cardinality of the union, merged into one byte per register; nothing is written.
    const max = new Uint8Array(HLL_REGISTERS);
    for (let j = 1; j < args.length; j++) {
      const v = hllValue(db, args[j], true);
      if (v === undefined) continue;
      const b = hllBytes(v);
      if (!hllMerge(max, b, b.length)) throw ERR_INVALID_HLL;
    }
    return cardReply(rawCount(max));
  }
  const key = args[1];
  const v = hllValue(db, key, true);
  if (v === undefined) return 0;
  // The cached cardinality, read in place while valid (top bit of byte 15 clear).
  if (typeof v === 'string' ? (v.charCodeAt(15) & 0x80) === 0 : (v.buf[15] & 0x80) === 0) {
    return cachedCard(typeof v === 'string' ? Buffer.from(v.slice(0, HLL_HDR_SIZE), 'latin1') : v.buf);
  }
  const o = loadHll(v);
  const card = hllCount(o.buf, o.len);
  if (card === null) throw ERR_INVALID_HLL;
  setCachedCard(o.buf, card);
  storeHll(db, key, o);
  // The value changed: signal it and propagate the PFCOUNT, as Redis does for this read-only command.
  const server = ctx.server;
  server.dirty++;
  server.keyModified(db, key);
  server.emitWrite({ db: db.id, cmd: server.table.lookup('pfcount')!, args, client: ctx.client });
  return cardReply(card);
}

function pfmerge(ctx: Context, args: string[]): Reply {
  const db = ctx.db;
  const max = new Uint8Array(HLL_REGISTERS);
  let useDense = false;
  // Every key, the destination included, is a source.
  for (let j = 1; j < args.length; j++) {
    const v = hllValue(db, args[j], true);
    if (v === undefined) continue;
    const b = hllBytes(v);
    if (b[4] === HLL_DENSE) useDense = true;
    if (!hllMerge(max, b, b.length)) throw ERR_INVALID_HLL;
  }
  const key = args[1];
  const cur = db.peek(key);
  // The destination was validated as a source above.
  const o = cur === undefined ? Hll.create() : loadHll(cur as StringValue);
  if (useDense && !sparseToDense(o)) throw ERR_INVALID_HLL;
  const maxBytes = maxSparse(ctx);
  for (let j = 0; j < HLL_REGISTERS; j++) if (max[j] !== 0) hllSet(o, j, max[j], maxBytes);
  o.invalidateCache();
  storeHll(db, key, o);
  // Redis emits `pfadd` for PFMERGE: in theory it is a mass-add of elements.
  notifyKeyspaceEvent(ctx.server, NOTIFY_STRING, 'pfadd', key, db.id);
  ctx.server.dirty++;
  return OK;
}

function pfdebug(ctx: Context, args: string[]): Reply {
  const db = ctx.db;
  const sub = args[1];
  const key = args[2];
  const v = hllValue(db, key, false);
  if (v === undefined) throw ERR_NO_KEY;
  switch (sub.toLowerCase()) {
    case 'getreg': {
      let o = loadHll(v);
      if (o.encoding === HLL_SPARSE) {
        o = toDense(ctx, key, o);
      }
      const out: number[] = new Array(HLL_REGISTERS);
      for (let j = 0; j < HLL_REGISTERS; j++) out[j] = denseGet(o.buf, HLL_HDR_SIZE, j);
      return out;
    }
    case 'decode': {
      const b = hllBytes(v);
      if (b[4] !== HLL_SPARSE) throw ERR_NOT_SPARSE;
      return decodeSparse(b, b.length);
    }
    case 'encoding':
      return new Status(hllBytes(v)[4] === HLL_DENSE ? 'dense' : 'sparse');
    case 'todense': {
      const o = loadHll(v);
      if (o.encoding !== HLL_SPARSE) return 0;
      toDense(ctx, key, o);
      return 1;
    }
    default:
      throw new ReplyError('ERR', `Unknown PFDEBUG subcommand '${sub}'`);
  }
}

/** Convert a stored sparse HLL to dense in place (dirty++: the encoding change is propagated). */
function toDense(ctx: Context, key: string, o: Hll): Hll {
  if (!sparseToDense(o)) throw ERR_INVALID_HLL;
  storeHll(ctx.db, key, o);
  ctx.server.dirty++;
  return o;
}

function pfselftest(ctx: Context): Reply {
  const failed = selfTest(maxSparse(ctx));
  if (failed !== null) throw new ReplyError('ERR', failed);
  return OK;
}

export const hyperloglogCommands: CommandSpec[] = [
  {
    name: 'pfadd',
    arity: -2,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: 'hyperloglog',
    summary: 'Adds the specified elements to the specified HyperLogLog.',
    since: '2.8.9',
    complexity: 'O(1) to add every element.',
    syntax: 'key [element [element ...]]',
    handler: pfadd,
  },
  {
    name: 'pfcount',
    arity: -2,
    flags: ['readonly'],
    keys: [1, -1, 1],
    group: 'hyperloglog',
    summary: 'Return the approximated cardinality of the set(s) observed by the HyperLogLog at key(s).',
    since: '2.8.9',
    complexity:
      'O(1) with a very small average constant time when called with a single key. O(N) with N being the number of keys, and much bigger constant times, when called with multiple keys.',
    syntax: 'key [key ...]',
    handler: pfcount,
  },
  {
    name: 'pfmerge',
    arity: -2,
    flags: ['write', 'denyoom'],
    keys: [1, -1, 1],
    group: 'hyperloglog',
    summary: 'Merge N different HyperLogLogs into a single one.',
    since: '2.8.9',
    complexity: 'O(N) to merge N HyperLogLogs, but with high constant times.',
    syntax: 'destkey sourcekey [sourcekey ...]',
    handler: pfmerge,
  },
  {
    name: 'pfdebug',
    arity: 3,
    flags: ['write', 'denyoom', 'admin'],
    keys: [2, 2, 1],
    group: 'hyperloglog',
    summary: 'Internal commands for debugging HyperLogLog values',
    since: '2.8.9',
    complexity: 'N/A',
    syntax: 'subcommand key',
    handler: pfdebug,
  },
  {
    name: 'pfselftest',
    arity: 1,
    flags: ['admin'],
    keys: [0, 0, 0],
    group: 'hyperloglog',
    summary: 'An internal command for testing HyperLogLog values',
    since: '2.8.9',
    complexity: 'N/A',
    syntax: '',
    handler: pfselftest,
  },
];
