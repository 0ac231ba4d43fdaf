// Stream commands: XADD XLEN XRANGE XREVRANGE XDEL XTRIM XSETID XREAD XREADGROUP XGROUP XACK
// XPENDING XCLAIM XAUTOCLAIM XINFO — Redis 7.0 semantics, argument order and error texts, ported
// from t_stream.c's parsing order (so the same malformed call gets the same error first).
//
// The data type is src/keyspace/stream.ts. Unlike the other containers, an empty stream is kept
// (Redis never deletes a stream because XDEL/XTRIM emptied it: its last id must survive).
//
// Persistence: the write observers see deterministic commands only (Redis's propagation rules):
//   XADD with `*` / `<ms>-*`         → the same XADD with the id that was generated
//   XADD / XTRIM with `~` trimming    → `=` with the threshold that reproduces the result (the
//                                       stream's length, or its first id for MINID), without LIMIT
//   XREADGROUP, XCLAIM, XAUTOCLAIM    → XCLAIM key group consumer 0 id TIME t RETRYCOUNT n FORCE
//                                       JUSTID LASTID id per entry they changed, XGROUP SETID … ENTRIESREAD
//                                       for the group's position, XGROUP CREATECONSUMER for new
//                                       consumers (these three are flagged no_propagate and emit
//                                       the effects themselves through the lists' `propagate`).
// Blocking XREAD / XREADGROUP use the lists' blockOn: the retry closure serves the client from the
// key that became ready if it has entries beyond the id the client waits for (XREADGROUP emits its
// effects then). Like Redis, only XADD, XGROUP DESTROY and the key's creation or deletion make a
// stream ready for its readers (Stream.wakeups); a group reader whose stream is gone gets
// -UNBLOCKED, one whose group is gone -NOGROUP.

import { Database } from '../keyspace/db.js';
import {
  cmpID,
  Consumer,
  ConsumerGroup,
  fmtID,
  INVALID_ENTRIES_READ,
  pelFind,
  pelInsert,
  pelRemove,
  pelSeek,
  PendingEntry,
  Stream,
  StreamEntry,
  U64,
  u64,
  u64Dec,
  u64Inc,
  U64MAX,
  u64Signed,
} from '../keyspace/stream.js';
import {
  errArity,
  ERR_NOT_INTEGER,
  ERR_SYNTAX,
  ERR_WRONGTYPE,
  MapReply,
  NIL_ARRAY,
  OK,
  Reply,
  ReplyError,
  Status,
} from '../protocol/reply.js';
import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import { parseInt64 } from '../util/numbers.js';
import { eqi } from './zsets.js';
import { blockOn, cannotBlock, propagate } from './lists.js';
import type { CommandSpec, Context } from './table.js';
import { NOTIFY_KEY_MISS, NOTIFY_STREAM, notifyKeyspaceEvent } from '../server/notify.js';

const ERR_INVALID_ID = new ReplyError('ERR', 'Invalid stream ID specified as stream command argument');
const ERR_ID_ZERO = new ReplyError('ERR', 'The ID specified in XADD must be greater than 0-0');
const ERR_ID_SMALL = new ReplyError('ERR', 'The ID specified in XADD is equal or smaller than the target stream top item');
const ERR_EXHAUSTED = new ReplyError('ERR', 'The stream has exhausted the last possible ID, unable to add more items');
const ERR_BAD_START = new ReplyError('ERR', 'invalid start ID for the interval');
const ERR_BAD_END = new ReplyError('ERR', 'invalid end ID for the interval');
const ERR_NO_KEY = new ReplyError('ERR', 'no such key');

// ---- argument parsing ---------------------------------------------------------------------------

/** string2ull: a non-negative integer up to UINT64_MAX (strtoull also takes leading spaces and '+'). */
function parseU64(s: string): U64 | null {
  const n = s.length;
  if (n > 0 && n <= 15) {
    // Fast path: plain digits below 10^15 are exact numbers.
    let v = 0;
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i) - 48;
      if (c < 0 || c > 9) break;
      v = v * 10 + c;
    }
    if (i === n) return v;
  }
  if (!/^[ \t\n\v\f\r]*\+?[0-9]+$/.test(s)) return null;
  const v = BigInt(s.trim());
  return v > U64MAX ? null : u64(v);
}

interface ParsedID {
  ms: U64;
  seq: U64;
  seqGiven: boolean;
}

/** streamGenericParseIDOrReply. `seqStar` allows `<ms>-*` (XADD). */
function parseID(s: string, strict: boolean, missingSeq: U64, seqStar = false): ParsedID {
  if (s.length > 127) throw ERR_INVALID_ID;
  const nul = s.indexOf('\0');
  if (nul >= 0) s = s.slice(0, nul);
  if (s === '-' || s === '+') {
    if (strict) throw ERR_INVALID_ID;
    return s === '-' ? { ms: 0, seq: 0, seqGiven: true } : { ms: U64MAX, seq: U64MAX, seqGiven: true };
  }
  const dash = s.indexOf('-');
  const ms = parseU64(dash < 0 ? s : s.slice(0, dash));
  if (ms === null) throw ERR_INVALID_ID;
  if (dash < 0) return { ms, seq: missingSeq, seqGiven: true };
  const rest = s.slice(dash + 1);
  if (seqStar && rest === '*') return { ms, seq: 0, seqGiven: false };
  const seq = parseU64(rest);
  if (seq === null) throw ERR_INVALID_ID;
  return { ms, seq, seqGiven: true };
}

function strictID(s: string): ParsedID {
  return parseID(s, true, 0);
}

/** A 64-bit signed integer argument (getLongLongFromObjectOrReply). */
function llArg(s: string, err: ReplyError = ERR_NOT_INTEGER): number {
  const v = parseInt64(s);
  if (v === null) throw err;
  return Number(v);
}

/** The same, exact (a counter that may pass 2^53: ENTRIESADDED, ENTRIESREAD, RETRYCOUNT). */
function llArgExact(s: string, err: ReplyError = ERR_NOT_INTEGER): U64 {
  const v = parseInt64(s);
  if (v === null) throw err;
  return u64(v);
}

/** Next / previous id (streamIncrID / streamDecrID); null on overflow. */
function incrID(ms: U64, seq: U64): [U64, U64] | null {
  if (seq === U64MAX) return ms === U64MAX ? null : [u64Inc(ms), 0];
  return [ms, u64Inc(seq)];
}
function decrID(ms: U64, seq: U64): [U64, U64] | null {
  if (seq === 0) return ms === 0 ? null : [u64Dec(ms), U64MAX];
  return [ms, u64Dec(seq)];
}

/** streamParseIntervalIDOrReply + the `(` exclusive adjustment of XRANGE / XPENDING / XAUTOCLAIM. */
function intervalStart(s: string): [U64, U64] {
  if (s.length > 1 && s[0] === '(') {
    const id = strictID(s.slice(1));
    const r = incrID(id.ms, id.seq);
    if (!r) throw ERR_BAD_START;
    return r;
  }
  const id = parseID(s, false, 0);
  return [id.ms, id.seq];
}
function intervalEnd(s: string): [U64, U64] {
  if (s.length > 1 && s[0] === '(') {
    const id = parseID(s.slice(1), true, U64MAX);
    const r = decrID(id.ms, id.seq);
    if (!r) throw ERR_BAD_END;
    return r;
  }
  const id = parseID(s, false, U64MAX);
  return [id.ms, id.seq];
}

export function getStream(db: Database, key: string): Stream | null {
  const v = db.get(key);
  if (v === undefined) return null;
  if (!(v instanceof Stream)) throw ERR_WRONGTYPE;
  return v;
}

function entryReply(e: StreamEntry): Reply {
  return [fmtID(e.ms, e.seq), e.fields];
}

function entriesReply(es: StreamEntry[]): Reply[] {
  return es.map(entryReply);
}

function noGroupKey(key: string, group: string, tail = ''): ReplyError {
  return new ReplyError('NOGROUP', `No such key '${key}' or consumer group '${group}'${tail}`);
}
function noGroupName(group: string, key: string): ReplyError {
  return new ReplyError('NOGROUP', `No such consumer group '${group}' for key name '${key}'`);
}
function subcommandSyntax(args: string[]): ReplyError {
  return new ReplyError(
    'ERR',
    `unknown subcommand or wrong number of arguments for '${args[1].slice(0, 128)}'. Try ${args[0].toUpperCase()} HELP.`,
  );
}

// ---- XADD / XTRIM -------------------------------------------------------------------------------

interface AddTrim {
  strategy: 'none' | 'maxlen' | 'minid';
  approx: boolean;
  maxlen: number;
  minMs: U64;
  minSeq: U64;
  limit: number;
  /** Index of the threshold argument, of the `~`/`=` before it (-1 if none), of LIMIT (-1). */
  argIdx: number;
  markIdx: number;
  limitIdx: number;
  noMkStream: boolean;
  id: ParsedID | null;
  idPos: number;
}

/** streamParseAddOrTrimArgsOrReply. */
function parseAddTrim(ctx: Context, args: string[], xadd: boolean): AddTrim {
  const r: AddTrim = {
    strategy: 'none',
    approx: false,
    maxlen: -1,
    minMs: 0,
    minSeq: 0,
    limit: 0,
    argIdx: -1,
    markIdx: -1,
    limitIdx: -1,
    noMkStream: false,
    id: null,
    idPos: args.length,
  };
  let limitGiven = false;
  let i = 2;
  for (; i < args.length; i++) {
    const more = args.length - 1 - i;
    const opt = args[i];
    if (xadd && opt === '*') break;
    const isMaxlen = eqi(opt, 'maxlen');
    if ((isMaxlen || eqi(opt, 'minid')) && more) {
      if (r.strategy !== 'none') {
        throw new ReplyError('ERR', 'syntax error, MAXLEN and MINID options at the same time are not compatible');
      }
      r.approx = false;
      r.markIdx = -1;
      const next = args[i + 1];
      if (more >= 2 && (next === '~' || next === '=')) {
        r.approx = next === '~';
        r.markIdx = ++i;
      }
      if (isMaxlen) {
        r.maxlen = llArg(args[i + 1]);
        if (r.maxlen < 0) throw new ReplyError('ERR', 'The MAXLEN argument must be >= 0.');
        r.strategy = 'maxlen';
      } else {
        const id = strictID(args[i + 1]);
        r.minMs = id.ms;
        r.minSeq = id.seq;
        r.strategy = 'minid';
      }
      r.argIdx = ++i;
    } else if (eqi(opt, 'limit') && more) {
      r.limit = llArg(args[i + 1]);
      if (r.limit < 0) throw new ReplyError('ERR', 'The LIMIT argument must be >= 0.');
      limitGiven = true;
      r.limitIdx = i++;
    } else if (xadd && eqi(opt, 'nomkstream')) {
      r.noMkStream = true;
    } else if (xadd) {
      r.id = parseID(opt, true, 0, true);
      break;
    } else throw ERR_SYNTAX;
  }
  r.idPos = i;
  if (r.limit && r.strategy === 'none') {
    throw new ReplyError('ERR', 'syntax error, LIMIT cannot be used without specifying a trimming strategy');
  }
  if (!xadd && r.strategy === 'none') throw new ReplyError('ERR', 'syntax error, XTRIM must be called with a trimming strategy');
  if (limitGiven) {
    if (!r.approx) throw new ReplyError('ERR', 'syntax error, LIMIT cannot be used without the special ~ option');
  } else if (r.approx) {
    const n = 100 * ctx.server.config.getInt('stream-node-max-entries');
    r.limit = n <= 0 || n > 10000 ? 10000 : n;
  } else r.limit = 0;
  return r;
}

function trimStream(s: Stream, t: AddTrim): number {
  if (t.strategy === 'none') return 0;
  return s.trim(t.strategy === 'maxlen' ? t.maxlen : -1, t.minMs, t.minSeq, t.approx, t.limit);
}

/** The args with `~` trimming made exact: `=`, the threshold that reproduces the result, no LIMIT. */
function exactTrimArgs(s: Stream, args: string[], t: AddTrim): string[] {
  const out = args.slice();
  out[t.markIdx] = '=';
  if (t.strategy === 'maxlen') out[t.argIdx] = String(s.length);
  else {
    const f = s.firstEntry();
    out[t.argIdx] = f ? fmtID(f.ms, f.seq) : fmtID(s.lastMs, s.lastSeq);
  }
  if (t.limitIdx >= 0) out.splice(t.limitIdx, 2);
  return out;
}

function streamConfig(ctx: Context): [number, number] {
  const cfg = ctx.server.config;
  return [cfg.getInt('stream-node-max-bytes'), cfg.getInt('stream-node-max-entries')];
}

function xadd(ctx: Context, args: string[]): Reply {
  const t = parseAddTrim(ctx, args, true);
  const fieldPos = t.idPos + 1;
  const nf = args.length - fieldPos;
  if (nf < 2 || nf % 2 === 1) return errArity('xadd');
  if (t.id && t.id.seqGiven && t.id.ms === 0 && t.id.seq === 0) return ERR_ID_ZERO;
  const db = ctx.db;
  let s = getStream(db, args[1]);
  if (s === null) {
    if (t.noMkStream) return null;
    s = new Stream();
    db.set(args[1], s);
  }
  if (s.lastMs === U64MAX && s.lastSeq === U64MAX) return ERR_EXHAUSTED;
  let ms: U64;
  let seq: U64;
  if (t.id) {
    ms = t.id.ms;
    seq = t.id.seq;
    if (!t.id.seqGiven && s.lastMs === ms) {
      // 7.0 reports this overflow with the wrong errno, hence the odd text.
      if (s.lastSeq === U64MAX) return new ReplyError('ERR', 'Elements are too large to be stored');
      seq = u64Inc(s.lastSeq);
    }
  } else {
    const now = db.clock.now();
    if (now > s.lastMs) {
      ms = now;
      seq = 0;
    } else {
      const r = incrID(s.lastMs, s.lastSeq)!;
      [ms, seq] = r;
    }
  }
  if (cmpID(ms, seq, s.lastMs, s.lastSeq) <= 0) return ERR_ID_SMALL;
  const [maxBytes, maxEntries] = streamConfig(ctx);
  s.append(ms, seq, args.slice(fieldPos), maxBytes, maxEntries);
  s.wakeups++;
  ctx.server.dirty++;
  notifyKeyspaceEvent(ctx.server, NOTIFY_STREAM, 'xadd', args[1], db.id);
  if (trimStream(s, t) > 0) notifyKeyspaceEvent(ctx.server, NOTIFY_STREAM, 'xtrim', args[1], db.id);
  return fmtID(ms, seq);
}

function propagateXadd(ctx: Context, args: string[], reply: Reply): string[][] | null {
  if (typeof reply !== 'string') return null;
  const t = parseAddTrim(ctx, args, true);
  const out = args.slice();
  if (!t.id || !t.id.seqGiven) out[t.idPos] = reply;
  return [t.approx ? exactTrimArgs(ctx.db.dict.get(args[1]) as Stream, out, t) : out];
}

function xtrim(ctx: Context, args: string[]): Reply {
  const t = parseAddTrim(ctx, args, false);
  const s = getStream(ctx.db, args[1]);
  if (s === null) return 0;
  const n = trimStream(s, t);
  ctx.server.dirty += n;
  if (n > 0) notifyKeyspaceEvent(ctx.server, NOTIFY_STREAM, 'xtrim', args[1], ctx.db.id);
  return n;
}

function propagateXtrim(ctx: Context, args: string[]): string[][] | null {
  const t = parseAddTrim(ctx, args, false);
  return t.approx ? [exactTrimArgs(ctx.db.dict.get(args[1]) as Stream, args, t)] : null;
}

// ---- XRANGE / XLEN / XDEL / XSETID --------------------------------------------------------------

function xrange(ctx: Context, args: string[], rev: boolean): Reply {
  const [sms, sseq] = intervalStart(rev ? args[3] : args[2]);
  const [ems, eseq] = intervalEnd(rev ? args[2] : args[3]);
  let count = -1;
  for (let j = 4; j < args.length; j++) {
    if (eqi(args[j], 'count') && j + 1 < args.length) {
      count = llArg(args[++j]);
      if (count < 0) count = 0;
    } else throw ERR_SYNTAX;
  }
  const s = getStream(ctx.db, args[1]);
  if (s === null) return [];
  if (count === 0) return NIL_ARRAY;
  return entriesReply(s.range(sms, sseq, ems, eseq, count === -1 ? 0 : count, rev));
}

function xdel(ctx: Context, args: string[]): Reply {
  const s = getStream(ctx.db, args[1]);
  if (s === null) return 0;
  const ids = args.slice(2).map(strictID);
  let deleted = 0;
  for (const id of ids) if (s.delete(id.ms, id.seq)) deleted++;
  if (deleted) {
    s.updateFirst();
    ctx.server.dirty += deleted;
    notifyKeyspaceEvent(ctx.server, NOTIFY_STREAM, 'xdel', args[1], ctx.db.id);
  }
  return deleted;
}

function xsetid(ctx: Context, args: string[]): Reply {
  const id = strictID(args[2]);
  let entriesAdded: U64 = -1;
  let maxDel: ParsedID = { ms: 0, seq: 0, seqGiven: true };
  for (let i = 3; i < args.length; i++) {
    const more = args.length - 1 - i;
    if (eqi(args[i], 'entriesadded') && more) {
      entriesAdded = llArgExact(args[++i]);
      if (entriesAdded < 0) throw new ReplyError('ERR', 'entries_added must be positive');
    } else if (eqi(args[i], 'maxdeletedid') && more) {
      maxDel = strictID(args[++i]);
      if (cmpID(id.ms, id.seq, maxDel.ms, maxDel.seq) < 0) {
        throw new ReplyError('ERR', 'The ID specified in XSETID is smaller than the provided max_deleted_entry_id');
      }
    } else throw ERR_SYNTAX;
  }
  const s = getStream(ctx.db, args[1]);
  if (s === null) return ERR_NO_KEY;
  if (s.length > 0) {
    const last = s.lastEntry()!;
    if (cmpID(id.ms, id.seq, last.ms, last.seq) < 0) {
      return new ReplyError('ERR', 'The ID specified in XSETID is smaller than the target stream top item');
    }
    if (entriesAdded !== -1 && s.length > entriesAdded) {
      return new ReplyError('ERR', 'The entries_added specified in XSETID is smaller than the target stream length');
    }
  }
  s.lastMs = id.ms;
  s.lastSeq = id.seq;
  if (entriesAdded !== -1) s.entriesAdded = entriesAdded;
  if (maxDel.ms !== 0 || maxDel.seq !== 0) {
    s.maxDelMs = maxDel.ms;
    s.maxDelSeq = maxDel.seq;
  }
  ctx.server.dirty++;
  notifyKeyspaceEvent(ctx.server, NOTIFY_STREAM, 'xsetid', args[1], ctx.db.id);
  return OK;
}

// ---- consumer-group effects, shared by XREADGROUP, XCLAIM, XAUTOCLAIM ---------------------------

/** Where a group operation's effects go: the commands that reproduce them, emitted at the end. */
interface Effects {
  server: Server;
  client: Client;
  db: number;
  key: string;
  group: string;
  out: string[][];
}

function emitEffects(fx: Effects): void {
  for (const a of fx.out) propagate(fx.server, fx.client, fx.db, a);
}

function xclaimEffect(fx: Effects, g: ConsumerGroup, id: string, p: PendingEntry): void {
  fx.out.push([
    'XCLAIM', fx.key, fx.group, p.consumer.name, '0', id, 'TIME', String(p.deliveryTime),
    'RETRYCOUNT', String(u64Signed(p.deliveryCount)), 'FORCE', 'JUSTID', 'LASTID', fmtID(g.lastMs, g.lastSeq),
  ]);
}

function setidEffect(fx: Effects, g: ConsumerGroup): void {
  fx.out.push(['XGROUP', 'SETID', fx.key, fx.group, fmtID(g.lastMs, g.lastSeq), 'ENTRIESREAD', String(g.entriesRead)]);
}

/** streamLookupConsumer + streamCreateConsumer (counted as a change, propagated). */
function consumerFor(server: Server, g: ConsumerGroup, name: string, now: number, fx: Effects | null, key: string, dbid: number): Consumer {
  let c = g.consumers.get(name);
  if (!c) {
    c = new Consumer(name, now);
    g.consumers.set(name, c);
    server.dirty++;
    notifyKeyspaceEvent(server, NOTIFY_STREAM, 'xgroup-createconsumer', key, dbid);
    fx?.out.push(['XGROUP', 'CREATECONSUMER', fx.key, fx.group, name]);
  }
  return c;
}

/** Move (or give) a pending entry to `c`. */
function assignPending(g: ConsumerGroup, p: PendingEntry, c: Consumer): void {
  if (p.consumer === c) return;
  pelRemove(p.consumer.pel, p.ms, p.seq);
  p.consumer = c;
  pelInsert(c.pel, p);
}

/**
 * streamReplyWithRange for a group reading new entries (`>`): entries after the group's last id,
 * advancing it and (unless NOACK) adding them to the PELs.
 */
function deliverNew(s: Stream, g: ConsumerGroup, c: Consumer, count: number, noack: boolean, now: number, fx: Effects): Reply[] {
  const start = incrID(g.lastMs, g.lastSeq);
  const es = start ? s.range(start[0], start[1], U64MAX, U64MAX, count, false) : [];
  let moved = false;
  for (const e of es) {
    if (cmpID(e.ms, e.seq, g.lastMs, g.lastSeq) > 0) {
      if (g.entriesRead !== INVALID_ENTRIES_READ && !s.hasTombstones(e.ms, e.seq)) g.entriesRead = u64Inc(g.entriesRead);
      else if (s.entriesAdded) g.entriesRead = s.estimateDistance(e.ms, e.seq);
      g.lastMs = e.ms;
      g.lastSeq = e.seq;
      moved = true;
    }
    if (!noack) {
      const i = pelFind(g.pel, e.ms, e.seq);
      let p: PendingEntry;
      if (i < 0) {
        p = { ms: e.ms, seq: e.seq, consumer: c, deliveryTime: now, deliveryCount: 1 };
        pelInsert(g.pel, p);
        pelInsert(c.pel, p);
      } else {
        p = g.pel[i];
        assignPending(g, p, c);
        p.deliveryTime = now;
        p.deliveryCount = 1;
      }
      xclaimEffect(fx, g, fmtID(e.ms, e.seq), p);
    }
  }
  if (moved) setidEffect(fx, g);
  return entriesReply(es);
}

/** streamReplyWithRangeFromConsumerPEL: the consumer's own pending entries from `start`. */
function deliverHistory(s: Stream, c: Consumer, sms: U64, sseq: U64, count: number, now: number): Reply[] {
  const out: Reply[] = [];
  for (let i = pelSeek(c.pel, sms, sseq); i < c.pel.length && (!count || out.length < count); i++) {
    const p = c.pel[i];
    const e = s.get(p.ms, p.seq);
    if (!e) out.push([fmtID(p.ms, p.seq), NIL_ARRAY]);
    else {
      p.deliveryTime = now;
      p.deliveryCount = u64Inc(p.deliveryCount);
      out.push(entryReply(e));
    }
  }
  return out;
}

// ---- XREAD / XREADGROUP -------------------------------------------------------------------------

const XREAD_BLOCKED_DEFAULT_COUNT = 1000;

/** The reply of XREAD: RESP2 an array of [key, entries], RESP3 a map. */
function readReply(client: Client, items: [string, Reply][]): Reply {
  if (client.resp === 3) return new MapReply(items.flat());
  return items;
}

function xread(ctx: Context, args: string[], grouped: boolean): Reply {
  let timeout = -1;
  let count = 0;
  let streamsArg = 0;
  let noack = false;
  let groupName: string | null = null;
  let consumerName = '';
  for (let i = 1; i < args.length; i++) {
    const more = args.length - i - 1;
    const o = args[i];
    if (eqi(o, 'block') && more) {
      const t = llArg(args[++i], new ReplyError('ERR', 'timeout is not an integer or out of range'));
      if (t < 0) throw new ReplyError('ERR', 'timeout is negative');
      // Redis 7.0: scripts may read streams, but not with BLOCK.
      if (ctx.client.inScript) throw new ReplyError('ERR', `${grouped ? 'xreadgroup' : 'xread'} command is not allowed with BLOCK option from scripts`);
      timeout = t;
    } else if (eqi(o, 'count') && more) {
      count = llArg(args[++i]);
      if (count < 0) count = 0;
    } else if (eqi(o, 'streams') && more) {
      streamsArg = i + 1;
      if ((args.length - streamsArg) % 2 !== 0) {
        // 7.0's text names XREAD and `$` for XREADGROUP too.
        throw new ReplyError('ERR', "Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.");
      }
      break;
    } else if (eqi(o, 'group') && more >= 2) {
      if (!grouped) throw new ReplyError('ERR', 'The GROUP option is only supported by XREADGROUP. You called XREAD instead.');
      groupName = args[i + 1];
      consumerName = args[i + 2];
      i += 2;
    } else if (eqi(o, 'noack')) {
      if (!grouped) throw new ReplyError('ERR', 'The NOACK option is only supported by XREADGROUP. You called XREAD instead.');
      noack = true;
    } else throw ERR_SYNTAX;
  }
  if (streamsArg === 0) throw ERR_SYNTAX;
  if (grouped && groupName === null) throw new ReplyError('ERR', 'Missing GROUP option for XREADGROUP');
  const n = (args.length - streamsArg) / 2;
  const keys = args.slice(streamsArg, streamsArg + n);
  const db = ctx.db;
  // Per stream: the id to read after; `>` is U64MAX-U64MAX (resolved against the group later).
  const ids: [U64, U64][] = [];
  const groups: (ConsumerGroup | null)[] = [];
  for (let k = 0; k < n; k++) {
    const key = keys[k];
    const idArg = args[streamsArg + n + k];
    const v = db.get(key);
    if (v === undefined) db.readMiss(key); // XREADGROUP too reads with lookupKeyRead
    if (v !== undefined && !(v instanceof Stream)) throw ERR_WRONGTYPE;
    let g: ConsumerGroup | null = null;
    if (groupName !== null) {
      g = v?.groups.get(groupName) ?? null;
      if (!g) throw noGroupKey(key, groupName, ' in XREADGROUP with GROUP option');
    }
    groups.push(g);
    if (idArg === '$') {
      if (grouped) {
        throw new ReplyError(
          'ERR',
          'The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.',
        );
      }
      ids.push(v ? [v.lastMs, v.lastSeq] : [0, 0]);
    } else if (idArg === '>') {
      if (!grouped) {
        throw new ReplyError('ERR', 'The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.');
      }
      ids.push([U64MAX, U64MAX]);
    } else {
      const id = strictID(idArg);
      ids.push([id.ms, id.seq]);
    }
  }
  const { server, client } = ctx;
  const now = db.clock.now();
  const items: [string, Reply][] = [];
  const fxs: Effects[] = [];
  for (let k = 0; k < n; k++) {
    const s = db.peek(keys[k]) as Stream | undefined;
    if (s === undefined) {
      // Redis looks every key up (lookupKeyRead) a second time here: a second `keymiss`.
      if (db.hooks.notifyFlags & NOTIFY_KEY_MISS) db.hooks.keyMiss(db, keys[k]);
      continue;
    }
    const [gms, gseq] = ids[k];
    const g = groups[k];
    if (g) {
      const history = !(gms === U64MAX && gseq === U64MAX);
      if (!history) {
        const last = s.lastEntry();
        if (!last || cmpID(last.ms, last.seq, g.lastMs, g.lastSeq) <= 0) continue;
      }
      const fx: Effects = { server, client, db: client.db, key: keys[k], group: groupName!, out: [] };
      const c = consumerFor(server, g, consumerName, now, fx, keys[k], client.db);
      c.seenTime = now;
      let entries: Reply[];
      if (history) {
        const start = incrID(gms, gseq);
        entries = start ? deliverHistory(s, c, start[0], start[1], count, now) : [];
      } else entries = deliverNew(s, g, c, count, noack, now, fx);
      items.push([keys[k], entries]);
      fxs.push(fx);
      server.dirty++;
    } else {
      const last = s.lastEntry();
      if (!last || cmpID(last.ms, last.seq, gms, gseq) <= 0) continue;
      const start = incrID(gms, gseq)!;
      items.push([keys[k], entriesReply(s.range(start[0], start[1], U64MAX, U64MAX, count, false))]);
    }
  }
  for (const fx of fxs) emitEffects(fx);
  if (items.length > 0) return readReply(client, items);
  if (timeout === -1 || cannotBlock(client)) return NIL_ARRAY;
  const dbId = client.db;
  const bcount = count || XREAD_BLOCKED_DEFAULT_COUNT;
  // What each key held when the client blocked, and its wakeup count then: a retry finding the same
  // stream with the same count was woken by a change Redis does not signal (XSETID, XGROUP SETID,
  // XDEL …) and must not serve (Redis would serve at the next XADD, from the state then).
  const seen: (Stream | undefined)[] = keys.map((key) => db.peek(key) as Stream | undefined);
  const seenWakeups = seen.map((s) => (s ? s.wakeups : 0));
  return blockOn(ctx, args, keys, timeout, (key) => {
    const bdb = server.dbs[dbId];
    for (let k = 0; k < n; k++) {
      if (keys[k] !== key) continue; // served from the key that became ready
      const s = bdb.peek(keys[k]);
      if (!(s instanceof Stream)) {
        // Redis 7.0: a group reader whose stream was deleted (it existed: the group did) is
        // released — by DEL, a type change, RENAME / MOVE away, FLUSHDB / FLUSHALL, SWAPDB.
        if (groupName !== null) return ERR_UNBLOCKED_NOKEY;
        seen[k] = undefined;
        continue;
      }
      if (s === seen[k] && s.wakeups === seenWakeups[k]) continue;
      seen[k] = s;
      seenWakeups[k] = s.wakeups;
      let [gms, gseq] = ids[k];
      let g: ConsumerGroup | undefined;
      if (groupName !== null) {
        g = s.groups.get(groupName);
        if (!g) return new ReplyError('NOGROUP', 'the consumer group this client was blocked on no longer exists');
        gms = g.lastMs;
        gseq = g.lastSeq;
      }
      if (cmpID(s.lastMs, s.lastSeq, gms, gseq) <= 0) continue;
      let entries: Reply[];
      if (g) {
        const bnow = bdb.clock.now();
        const fx: Effects = { server, client, db: dbId, key: keys[k], group: groupName!, out: [] };
        const c = consumerFor(server, g, consumerName, bnow, fx, keys[k], dbId);
        c.seenTime = bnow;
        entries = deliverNew(s, g, c, bcount, noack, bnow, fx);
        server.dirty++;
        server.keyModified(bdb, keys[k]);
        emitEffects(fx);
      } else {
        const start = incrID(gms, gseq)!;
        entries = entriesReply(s.range(start[0], start[1], U64MAX, U64MAX, bcount, false));
      }
      return readReply(client, [[keys[k], entries]]);
    }
    return undefined;
  });
}

const ERR_UNBLOCKED_NOKEY = new ReplyError('UNBLOCKED', 'the stream key no longer exists');

/** Key positions of XREAD / XREADGROUP: the keys after STREAMS (first half of what follows). */
function xreadKeys(args: string[]): number[] {
  for (let i = 1; i < args.length; i++) {
    if (eqi(args[i], 'streams')) {
      const n = Math.floor((args.length - i - 1) / 2);
      return Array.from({ length: n }, (_, j) => i + 1 + j);
    }
  }
  return [];
}

// ---- XGROUP -------------------------------------------------------------------------------------

const ERR_XGROUP_NOKEY = new ReplyError(
  'ERR',
  'The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.',
);

interface GroupArgs {
  s: Stream | null;
  g: ConsumerGroup | undefined;
  mkstream: boolean;
  entriesRead: U64;
}

/** The common front of xgroupCommand: options, key and group lookup, in Redis's order. */
function xgroupPrelude(ctx: Context, args: string[], sub: string): GroupArgs {
  let mkstream = false;
  let entriesRead: U64 = INVALID_ENTRIES_READ;
  if (sub === 'create' || sub === 'setid') {
    for (let i = 5; i < args.length; ) {
      if (sub === 'create' && eqi(args[i], 'mkstream')) {
        mkstream = true;
        i++;
      } else if (args.length - i > 1 && eqi(args[i], 'entriesread')) {
        entriesRead = llArgExact(args[i + 1]);
        if (entriesRead < 0 && entriesRead !== INVALID_ENTRIES_READ) {
          throw new ReplyError('ERR', 'value for ENTRIESREAD must be positive or -1');
        }
        i += 2;
      } else throw subcommandSyntax(args);
    }
  }
  const v = ctx.db.get(args[2]);
  if (v !== undefined && !(v instanceof Stream)) throw ERR_WRONGTYPE;
  const s = v ?? null;
  const g = s?.groups.get(args[3]);
  if (!mkstream) {
    if (s === null) throw ERR_XGROUP_NOKEY;
    if (!g && sub !== 'create' && sub !== 'destroy') throw noGroupName(args[3], args[2]);
  }
  return { s, g, mkstream, entriesRead };
}

function xgroupCreate(ctx: Context, args: string[]): Reply {
  const p = xgroupPrelude(ctx, args, 'create');
  if (args.length > 8) return subcommandSyntax(args);
  let ms: U64;
  let seq: U64;
  if (args[4] === '$') [ms, seq] = p.s ? [p.s.lastMs, p.s.lastSeq] : [0, 0];
  else ({ ms, seq } = strictID(args[4]));
  let s = p.s;
  if (s === null) {
    s = new Stream();
    ctx.db.set(args[2], s);
    ctx.server.dirty++;
  }
  if (s.groups.has(args[3])) return new ReplyError('BUSYGROUP', 'Consumer Group name already exists');
  s.groups.set(args[3], new ConsumerGroup(ms, seq, p.entriesRead));
  ctx.server.dirty++;
  notifyKeyspaceEvent(ctx.server, NOTIFY_STREAM, 'xgroup-create', args[2], ctx.db.id);
  return OK;
}

function xgroupSetid(ctx: Context, args: string[]): Reply {
  const p = xgroupPrelude(ctx, args, 'setid');
  if (args.length !== 5 && args.length !== 7) return subcommandSyntax(args);
  const s = p.s!;
  const g = p.g!;
  if (args[4] === '$') {
    g.lastMs = s.lastMs;
    g.lastSeq = s.lastSeq;
  } else {
    const id = parseID(args[4], false, 0);
    g.lastMs = id.ms;
    g.lastSeq = id.seq;
  }
  g.entriesRead = p.entriesRead;
  ctx.server.dirty++;
  notifyKeyspaceEvent(ctx.server, NOTIFY_STREAM, 'xgroup-setid', args[2], ctx.db.id);
  return OK;
}

function xgroupDestroy(ctx: Context, args: string[]): Reply {
  const p = xgroupPrelude(ctx, args, 'destroy');
  if (!p.g) return 0;
  p.s!.groups.delete(args[3]);
  p.s!.wakeups++; // XREADGROUP clients blocked on it get -NOGROUP
  ctx.server.dirty++;
  notifyKeyspaceEvent(ctx.server, NOTIFY_STREAM, 'xgroup-destroy', args[2], ctx.db.id);
  return 1;
}

function xgroupCreateConsumer(ctx: Context, args: string[]): Reply {
  const p = xgroupPrelude(ctx, args, 'createconsumer');
  if (p.g!.consumers.has(args[4])) return 0;
  consumerFor(ctx.server, p.g!, args[4], ctx.db.clock.now(), null, args[2], ctx.db.id);
  return 1;
}

function xgroupDelConsumer(ctx: Context, args: string[]): Reply {
  const p = xgroupPrelude(ctx, args, 'delconsumer');
  const g = p.g!;
  const c = g.consumers.get(args[4]);
  if (!c) return 0;
  const pending = c.pel.length;
  for (const e of c.pel) pelRemove(g.pel, e.ms, e.seq);
  g.consumers.delete(args[4]);
  ctx.server.dirty++;
  notifyKeyspaceEvent(ctx.server, NOTIFY_STREAM, 'xgroup-delconsumer', args[2], ctx.db.id);
  return pending;
}

// ---- XACK / XPENDING / XCLAIM / XAUTOCLAIM ------------------------------------------------------

/** XACK / XCLAIM / XAUTOCLAIM: writes that look the stream up with lookupKeyRead (a miss is a `keymiss`). */
function readStream(ctx: Context, key: string): Stream | null {
  const s = getStream(ctx.db, key);
  if (s === null) ctx.db.readMiss(key);
  return s;
}

function xack(ctx: Context, args: string[]): Reply {
  const s = readStream(ctx, args[1]);
  const g = s?.groups.get(args[2]);
  if (!g) return 0;
  const ids = args.slice(3).map(strictID);
  let acked = 0;
  for (const id of ids) {
    const i = pelFind(g.pel, id.ms, id.seq);
    if (i < 0) continue;
    const p = g.pel[i];
    g.pel.splice(i, 1);
    pelRemove(p.consumer.pel, id.ms, id.seq);
    acked++;
  }
  ctx.server.dirty += acked;
  return acked;
}

function xpending(ctx: Context, args: string[]): Reply {
  const argc = args.length;
  if (argc !== 3 && (argc < 6 || argc > 9)) throw ERR_SYNTAX;
  let minIdle = 0;
  let count = 0;
  let start: [U64, U64] = [0, 0];
  let end: [U64, U64] = [0, 0];
  let consumerName: string | null = null;
  if (argc >= 6) {
    let si = 3;
    if (eqi(args[3], 'idle')) {
      minIdle = llArg(args[4]);
      if (argc < 8) throw ERR_SYNTAX;
      si += 2;
    }
    count = llArg(args[si + 2]);
    if (count < 0) count = 0;
    start = intervalStart(args[si]);
    end = intervalEnd(args[si + 1]);
    if (si + 3 < argc) consumerName = args[si + 3];
  }
  const s = getStream(ctx.db, args[1]);
  const g = s?.groups.get(args[2]);
  if (!g) throw noGroupKey(args[1], args[2]);
  if (argc === 3) {
    if (g.pel.length === 0) return [0, null, null, NIL_ARRAY];
    const first = g.pel[0];
    const last = g.pel[g.pel.length - 1];
    const per: Reply[] = [];
    for (const c of g.sortedConsumers()) if (c.pel.length) per.push([c.name, String(c.pel.length)]);
    return [g.pel.length, fmtID(first.ms, first.seq), fmtID(last.ms, last.seq), per];
  }
  let pel = g.pel;
  if (consumerName !== null) {
    const c = g.consumers.get(consumerName);
    if (!c) return [];
    pel = c.pel;
  }
  const now = ctx.db.clock.now();
  const out: Reply[] = [];
  for (let i = pelSeek(pel, start[0], start[1]); count && i < pel.length; i++) {
    const p = pel[i];
    if (cmpID(p.ms, p.seq, end[0], end[1]) > 0) break;
    if (minIdle && now - p.deliveryTime < minIdle) continue;
    count--;
    out.push([fmtID(p.ms, p.seq), p.consumer.name, Math.max(0, now - p.deliveryTime), u64Signed(p.deliveryCount)]);
  }
  return out;
}

function groupOrError(ctx: Context, args: string[]): [Stream, ConsumerGroup] {
  const s = readStream(ctx, args[1]);
  const g = s?.groups.get(args[2]);
  if (!g) throw noGroupKey(args[1], args[2]);
  return [s!, g];
}

function effectsOf(ctx: Context, args: string[]): Effects {
  return { server: ctx.server, client: ctx.client, db: ctx.client.db, key: args[1], group: args[2], out: [] };
}

/** Drop a pending entry whose stream entry is gone (propagated, like Redis, as an XCLAIM). */
function dropPending(ctx: Context, fx: Effects, g: ConsumerGroup, i: number): void {
  const p = g.pel[i];
  xclaimEffect(fx, g, fmtID(p.ms, p.seq), p);
  g.pel.splice(i, 1);
  pelRemove(p.consumer.pel, p.ms, p.seq);
  ctx.server.dirty++;
}

function xclaim(ctx: Context, args: string[]): Reply {
  const [s, g] = groupOrError(ctx, args);
  let minIdle = llArg(args[4], new ReplyError('ERR', 'Invalid min-idle-time argument for XCLAIM'));
  if (minIdle < 0) minIdle = 0;
  const ids: ParsedID[] = [];
  let j = 5;
  for (; j < args.length; j++) {
    try {
      ids.push(strictID(args[j]));
    } catch {
      break;
    }
  }
  const now = ctx.db.clock.now();
  let force = false;
  let justid = false;
  let deliveryTime = -1;
  let retryCount: U64 = -1;
  let lastId: ParsedID = { ms: 0, seq: 0, seqGiven: true };
  for (; j < args.length; j++) {
    const more = args.length - 1 - j;
    const opt = args[j];
    if (eqi(opt, 'force')) force = true;
    else if (eqi(opt, 'justid')) justid = true;
    else if (eqi(opt, 'idle') && more) {
      deliveryTime = now - llArg(args[++j], new ReplyError('ERR', 'Invalid IDLE option argument for XCLAIM'));
    } else if (eqi(opt, 'time') && more) {
      deliveryTime = llArg(args[++j], new ReplyError('ERR', 'Invalid TIME option argument for XCLAIM'));
    } else if (eqi(opt, 'retrycount') && more) {
      retryCount = llArgExact(args[++j], new ReplyError('ERR', 'Invalid RETRYCOUNT option argument for XCLAIM'));
    } else if (eqi(opt, 'lastid') && more) {
      lastId = strictID(args[++j]);
    } else throw new ReplyError('ERR', `Unrecognized XCLAIM option '${opt}'`);
  }
  const fx = effectsOf(ctx, args);
  let propagateLast = false;
  if (cmpID(lastId.ms, lastId.seq, g.lastMs, g.lastSeq) > 0) {
    g.lastMs = lastId.ms;
    g.lastSeq = lastId.seq;
    propagateLast = true;
  }
  if (deliveryTime === -1 || deliveryTime < 0 || deliveryTime > now) deliveryTime = now;
  let consumer: Consumer | null = null;
  const out: Reply[] = [];
  for (const id of ids) {
    let i = pelFind(g.pel, id.ms, id.seq);
    const e = s.get(id.ms, id.seq);
    if (!e) {
      if (i >= 0) {
        dropPending(ctx, fx, g, i);
        propagateLast = false;
      }
      continue;
    }
    let p: PendingEntry | null = i >= 0 ? g.pel[i] : null;
    let fresh = false;
    if (force && !p) {
      fresh = true;
      consumer ??= consumerFor(ctx.server, g, args[3], now, fx, args[1], ctx.db.id);
      p = { ms: id.ms, seq: id.seq, consumer, deliveryTime: now, deliveryCount: 1 };
      pelInsert(g.pel, p);
      i = pelFind(g.pel, id.ms, id.seq);
    }
    if (!p) continue;
    if (!fresh && minIdle && now - p.deliveryTime < minIdle) continue;
    consumer ??= consumerFor(ctx.server, g, args[3], now, fx, args[1], ctx.db.id);
    if (fresh) pelInsert(consumer.pel, p);
    else assignPending(g, p, consumer);
    p.deliveryTime = deliveryTime;
    if (retryCount >= 0) p.deliveryCount = retryCount;
    else if (!justid) p.deliveryCount = u64Inc(p.deliveryCount);
    out.push(justid ? fmtID(id.ms, id.seq) : entryReply(e));
    xclaimEffect(fx, g, fmtID(id.ms, id.seq), p);
    propagateLast = false;
    ctx.server.dirty++;
  }
  if (propagateLast) {
    setidEffect(fx, g);
    ctx.server.dirty++;
  }
  emitEffects(fx);
  return out;
}

function xautoclaim(ctx: Context, args: string[]): Reply {
  let minIdle = llArg(args[4], new ReplyError('ERR', 'Invalid min-idle-time argument for XAUTOCLAIM'));
  if (minIdle < 0) minIdle = 0;
  const [sms, sseq] = intervalStart(args[5]);
  let count = 100;
  let justid = false;
  for (let j = 6; j < args.length; j++) {
    const more = args.length - 1 - j;
    if (eqi(args[j], 'count') && more) {
      const v = parseInt64(args[j + 1]);
      if (v === null || v < 1n || v > 922337203685477580n) throw new ReplyError('ERR', 'COUNT must be > 0');
      count = Number(v);
      j++;
    } else if (eqi(args[j], 'justid')) justid = true;
    else throw ERR_SYNTAX;
  }
  const [s, g] = groupOrError(ctx, args);
  const fx = effectsOf(ctx, args);
  let attempts = count * 10;
  const now = ctx.db.clock.now();
  let consumer: Consumer | null = null;
  const out: Reply[] = [];
  const deleted: Reply[] = [];
  let i = pelSeek(g.pel, sms, sseq);
  while (attempts-- > 0 && count > 0 && i < g.pel.length) {
    const p = g.pel[i];
    const e = s.get(p.ms, p.seq);
    if (!e) {
      deleted.push(fmtID(p.ms, p.seq));
      dropPending(ctx, fx, g, i);
      count--;
      continue;
    }
    i++;
    if (minIdle && now - p.deliveryTime < minIdle) continue;
    consumer ??= consumerFor(ctx.server, g, args[3], now, fx, args[1], ctx.db.id);
    assignPending(g, p, consumer);
    p.deliveryTime = now;
    if (!justid) p.deliveryCount = u64Inc(p.deliveryCount);
    out.push(justid ? fmtID(p.ms, p.seq) : entryReply(e));
    count--;
    xclaimEffect(fx, g, fmtID(p.ms, p.seq), p);
    ctx.server.dirty++;
  }
  const cursor = i < g.pel.length ? fmtID(g.pel[i].ms, g.pel[i].seq) : '0-0';
  emitEffects(fx);
  return [cursor, out, deleted];
}

// ---- XINFO --------------------------------------------------------------------------------------

function streamForInfo(ctx: Context, args: string[]): Stream {
  const s = getStream(ctx.db, args[2]);
  if (s === null) throw ERR_NO_KEY;
  return s;
}

function idOrNull(ms: U64, seq: U64): string {
  return fmtID(ms, seq);
}

function xinfoStream(ctx: Context, args: string[]): Reply {
  const s = streamForInfo(ctx, args);
  let full = false;
  let count = 10;
  if (args.length > 3) {
    if (!eqi(args[3], 'full')) return subcommandSyntax(args);
    full = true;
    if (args.length === 6 && eqi(args[4], 'count')) {
      count = llArg(args[5]);
      if (count < 0) count = 10;
    } else if (args.length !== 4) return subcommandSyntax(args);
  }
  const head: Reply[] = [
    'length', s.length,
    'radix-tree-keys', s.nodes.length,
    'radix-tree-nodes', s.raxNodes(),
    'last-generated-id', fmtID(s.lastMs, s.lastSeq),
    'max-deleted-entry-id', fmtID(s.maxDelMs, s.maxDelSeq),
    'entries-added', u64Signed(s.entriesAdded),
    'recorded-first-entry-id', idOrNull(s.firstMs, s.firstSeq),
  ];
  if (!full) {
    const f = s.firstEntry();
    const l = s.lastEntry();
    head.push('groups', s.groups.size, 'first-entry', f ? entryReply(f) : null, 'last-entry', l ? entryReply(l) : null);
    return new MapReply(head);
  }
  head.push('entries', entriesReply(s.range(0, 0, U64MAX, U64MAX, count, false)));
  const groups: Reply[] = [];
  for (const [name, g] of s.sortedGroups()) {
    const pel = (count ? g.pel.slice(0, count) : g.pel).map((p) => [fmtID(p.ms, p.seq), p.consumer.name, p.deliveryTime, u64Signed(p.deliveryCount)]);
    const consumers = g.sortedConsumers().map(
      (c) =>
        new MapReply([
          'name', c.name,
          'seen-time', c.seenTime,
          'pel-count', c.pel.length,
          'pending', (count ? c.pel.slice(0, count) : c.pel).map((p) => [fmtID(p.ms, p.seq), p.deliveryTime, u64Signed(p.deliveryCount)]),
        ]),
    );
    groups.push(
      new MapReply([
        'name', name,
        'last-delivered-id', fmtID(g.lastMs, g.lastSeq),
        'entries-read', g.entriesRead === INVALID_ENTRIES_READ ? null : u64Signed(g.entriesRead),
        'lag', s.lag(g),
        'pel-count', g.pel.length,
        'pending', pel,
        'consumers', consumers,
      ]),
    );
  }
  head.push('groups', groups);
  return new MapReply(head);
}

function xinfoGroups(ctx: Context, args: string[]): Reply {
  const s = streamForInfo(ctx, args);
  return s.sortedGroups().map(
    ([name, g]) =>
      new MapReply([
        'name', name,
        'consumers', g.consumers.size,
        'pending', g.pel.length,
        'last-delivered-id', fmtID(g.lastMs, g.lastSeq),
        'entries-read', g.entriesRead === INVALID_ENTRIES_READ ? null : u64Signed(g.entriesRead),
        'lag', s.lag(g),
      ]),
  );
}

function xinfoConsumers(ctx: Context, args: string[]): Reply {
  const s = streamForInfo(ctx, args);
  const g = s.groups.get(args[3]);
  if (!g) return noGroupName(args[3], args[2]);
  const now = ctx.db.clock.now();
  return g.sortedConsumers().map((c) => new MapReply(['name', c.name, 'pending', c.pel.length, 'idle', Math.max(0, now - c.seenTime)]));
}

// ---- the table ----------------------------------------------------------------------------------

function helpSpec(lines: string[]): CommandSpec {
  return {
    name: 'help',
    arity: 2,
    flags: ['loading', 'stale'],
    keys: [0, 0, 0],
    group: 'stream',
    summary: 'Show helpful text about the different subcommands',
    since: '5.0.0',
    complexity: 'O(1)',
    handler: (_ctx, args) => [
      new Status(`${args[0].toUpperCase()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`),
      ...lines.map((l) => new Status(l)),
    ],
  };
}

const XGROUP_HELP = [
  'CREATE <key> <groupname> <id|$> [option]',
  '    Create a new consumer group. Options are:',
  '    * MKSTREAM',
  '      Create the empty stream if it does not exist.',
  '    * ENTRIESREAD entries_read',
  "      Set the group's entries_read counter (internal use).",
  'CREATECONSUMER <key> <groupname> <consumer>',
  '    Create a new consumer in the specified group.',
  'DELCONSUMER <key> <groupname> <consumer>',
  '    Remove the specified consumer.',
  'DESTROY <key> <groupname>',
  '    Remove the specified group.',
  'SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]',
  '    Set the current group ID and entries_read counter.',
  'HELP',
  '    Prints this help.',
];

const XINFO_HELP = [
  'CONSUMERS <key> <groupname>',
  '    Show consumers of <groupname>.',
  'GROUPS <key>',
  '    Show the stream consumer groups.',
  'STREAM <key> [FULL [COUNT <count>]',
  '    Show information about the stream.',
  'HELP',
  '    Prints this help.',
];

/** One XGROUP subcommand (key at 2). */
function groupSub(name: string, arity: number, flags: CommandSpec['flags'], summary: string, syntax: string, handler: CommandSpec['handler'], since = '5.0.0'): CommandSpec {
  return { name, arity, flags, keys: [2, 2, 1], group: 'stream', summary, since, complexity: 'O(1)', syntax, handler };
}

export const streamsCommands: CommandSpec[] = [
  {
    name: 'xadd',
    arity: -5,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: 'stream',
    summary: 'Appends a new entry to a stream',
    since: '5.0.0',
    complexity: 'O(1) when adding a new entry, O(N) when trimming where N being the number of entries evicted.',
    syntax: 'key [NOMKSTREAM] [<MAXLEN | MINID> [= | ~] threshold [LIMIT count]] <* | id> field value [field value ...]',
    handler: xadd,
    propagate: propagateXadd,
  },
  {
    name: 'xtrim',
    arity: -4,
    flags: ['write'],
    keys: [1, 1, 1],
    group: 'stream',
    summary: 'Trims the stream to (approximately if \'~\' is passed) a certain size',
    since: '5.0.0',
    complexity: 'O(N), with N being the number of evicted entries. Constant times are very small however, since entries are organized in macro nodes containing multiple entries that can be released with a single deallocation.',
    syntax: 'key <MAXLEN | MINID> [= | ~] threshold [LIMIT count]',
    handler: xtrim,
    propagate: propagateXtrim,
  },
  {
    name: 'xlen',
    arity: 2,
    flags: ['readonly', 'fast'],
    keys: [1, 1, 1],
    group: 'stream',
    summary: 'Return the number of entries in a stream',
    since: '5.0.0',
    complexity: 'O(1)',
    syntax: 'key',
    handler: (ctx, args) => getStream(ctx.db, args[1])?.length ?? 0,
  },
  {
    name: 'xrange',
    arity: -4,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: 'stream',
    summary: 'Return a range of elements in a stream, with IDs matching the specified IDs interval',
    since: '5.0.0',
    complexity: 'O(N) with N being the number of elements being returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).',
    syntax: 'key start end [COUNT count]',
    handler: (ctx, args) => xrange(ctx, args, false),
  },
  {
    name: 'xrevrange',
    arity: -4,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: 'stream',
    summary: 'Return a range of elements in a stream, with IDs matching the specified IDs interval, in reverse order (from greater to smaller IDs) compared to XRANGE',
    since: '5.0.0',
    complexity: 'O(N) with N being the number of elements returned. If N is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1).',
    syntax: 'key end start [COUNT count]',
    handler: (ctx, args) => xrange(ctx, args, true),
  },
  {
    name: 'xdel',
    arity: -3,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    group: 'stream',
    summary: 'Removes the specified entries from the stream. Returns the number of items actually deleted, that may be different from the number of IDs passed in case certain IDs do not exist.',
    since: '5.0.0',
    complexity: 'O(1) for each single item to delete in the stream, regardless of the stream size.',
    syntax: 'key id [id ...]',
    handler: xdel,
  },
  {
    name: 'xsetid',
    arity: -3,
    flags: ['write', 'denyoom', 'fast'],
    keys: [1, 1, 1],
    group: 'stream',
    summary: 'An internal command for replicating stream values',
    since: '5.0.0',
    complexity: 'O(1)',
    syntax: 'key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]',
    handler: xsetid,
  },
  {
    name: 'xread',
    arity: -4,
    flags: ['readonly', 'blocking'],
    keys: [0, 0, 0],
    getKeys: xreadKeys,
    group: 'stream',
    summary: 'Return never seen elements in multiple streams, with IDs greater than the ones reported by the caller for each stream. Can block.',
    since: '5.0.0',
    complexity: 'For each stream mentioned: O(N) with N being the number of elements being returned, it means that XREAD-ing with a fixed COUNT is O(1). Note that when the BLOCK option is used, XADD will pay O(M) time in order to serve the M clients blocked on the stream getting new data.',
    syntax: '[COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]',
    handler: (ctx, args) => xread(ctx, args, false),
  },
  {
    name: 'xreadgroup',
    arity: -7,
    flags: ['write', 'blocking', 'no_propagate'],
    keys: [0, 0, 0],
    getKeys: xreadKeys,
    group: 'stream',
    summary: 'Return new entries from a stream using a consumer group, or access the history of the pending entries for a given consumer. Can block.',
    since: '5.0.0',
    complexity: 'For each stream mentioned: O(M) with M being the number of elements returned. If M is constant (e.g. always asking for the first 10 elements with COUNT), you can consider it O(1). On the other side when XREADGROUP blocks, XADD will pay the O(N) time in order to serve the N clients blocked on the stream getting new data.',
    syntax: 'GROUP group consumer [COUNT count] [BLOCK milliseconds] [NOACK] STREAMS key [key ...] id [id ...]',
    handler: (ctx, args) => xread(ctx, args, true),
  },
  {
    name: 'xgroup',
    arity: -2,
    flags: [],
    keys: [0, 0, 0],
    group: 'stream',
    summary: 'A container for consumer groups commands',
    since: '5.0.0',
    complexity: 'Depends on subcommand.',
    subcommands: [
      groupSub('create', -5, ['write', 'denyoom'], 'Create a consumer group.', 'key group <id | $> [MKSTREAM] [ENTRIESREAD entries-read]', xgroupCreate),
      groupSub('setid', -5, ['write'], 'Set a consumer group to an arbitrary last delivered ID value.', 'key group <id | $> [ENTRIESREAD entries-read]', xgroupSetid),
      groupSub('destroy', 4, ['write'], 'Destroy a consumer group.', 'key group', xgroupDestroy),
      groupSub('createconsumer', 5, ['write', 'denyoom'], 'Create a consumer in a consumer group.', 'key group consumer', xgroupCreateConsumer, '6.2.0'),
      groupSub('delconsumer', 5, ['write'], 'Delete a consumer from a consumer group.', 'key group consumer', xgroupDelConsumer),
      helpSpec(XGROUP_HELP),
    ],
  },
  {
    name: 'xack',
    arity: -4,
    flags: ['write', 'fast'],
    keys: [1, 1, 1],
    group: 'stream',
    summary: 'Marks a pending message as correctly processed, effectively removing it from the pending entries list of the consumer group. Return value of the command is the number of messages successfully acknowledged, that is, the IDs we were actually able to resolve in the PEL.',
    since: '5.0.0',
    complexity: 'O(1) for each message ID processed.',
    syntax: 'key group id [id ...]',
    handler: xack,
  },
  {
    name: 'xpending',
    arity: -3,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: 'stream',
    summary: 'Return information and entries from a stream consumer group pending entries list, that are messages fetched but never acknowledged.',
    since: '5.0.0',
    complexity: 'O(N) with N being the number of elements returned, so asking for a small fixed number of entries per call is O(1). O(M), where M is the total number of entries scanned when used with the IDLE filter. When the command returns just the summary and the list of consumers is small, it runs in O(1) time; otherwise, an additional O(N) time for iterating every consumer.',
    syntax: 'key group [[IDLE min-idle-time] start end count [consumer]]',
    handler: xpending,
  },
  {
    name: 'xclaim',
    arity: -6,
    flags: ['write', 'fast', 'no_propagate'],
    keys: [1, 1, 1],
    group: 'stream',
    summary: 'Changes (or acquires) ownership of a message in a consumer group, as if the message was delivered to the specified consumer.',
    since: '5.0.0',
    complexity: 'O(log N) with N being the number of messages in the PEL of the consumer group.',
    syntax: 'key group consumer min-idle-time id [id ...] [IDLE ms] [TIME unix-time-milliseconds] [RETRYCOUNT count] [FORCE] [JUSTID] [LASTID lastid]',
    handler: xclaim,
  },
  {
    name: 'xautoclaim',
    arity: -6,
    flags: ['write', 'fast', 'no_propagate'],
    keys: [1, 1, 1],
    group: 'stream',
    summary: 'Changes (or acquires) ownership of messages in a consumer group, as if the messages were delivered to the specified consumer.',
    since: '6.2.0',
    complexity: 'O(1) if COUNT is small.',
    syntax: 'key group consumer min-idle-time start [COUNT count] [JUSTID]',
    handler: xautoclaim,
  },
  {
    name: 'xinfo',
    arity: -2,
    flags: [],
    keys: [0, 0, 0],
    group: 'stream',
    summary: 'A container for stream introspection commands',
    since: '5.0.0',
    complexity: 'Depends on subcommand.',
    subcommands: [
      {
        name: 'stream',
        arity: -3,
        flags: ['readonly'],
        keys: [2, 2, 1],
        group: 'stream',
        summary: 'Get information about a stream',
        since: '5.0.0',
        complexity: 'O(1)',
        syntax: 'key [FULL [COUNT count]]',
        handler: xinfoStream,
      },
      {
        name: 'groups',
        arity: 3,
        flags: ['readonly'],
        keys: [2, 2, 1],
        group: 'stream',
        summary: 'List the consumer groups of a stream',
        since: '5.0.0',
        complexity: 'O(1)',
        syntax: 'key',
        handler: xinfoGroups,
      },
      {
        name: 'consumers',
        arity: 4,
        flags: ['readonly'],
        keys: [2, 2, 1],
        group: 'stream',
        summary: 'List the consumers in a consumer group',
        since: '5.0.0',
        complexity: 'O(1)',
        syntax: 'key group',
        handler: xinfoConsumers,
      },
      helpSpec(XINFO_HELP),
    ],
  },
];
