// DUMP, RESTORE, RESTORE-ASKING and MIGRATE (Redis 7.0's cluster.c), on the RDB value codec in
// src/persistence/rdb/ (payloads interchangeable with redis-server 7.0 in both directions).
//
// MIGRATE is synchronous in Redis: it blocks the whole server while it connects, sends and waits.
// Here the calling client is blocked (Blocking, like BLPOP, with no keys and no timeout of its
// own) while the transfer runs on a Node socket, so the event loop keeps serving everyone else.
// The payloads are built when the command runs (a consistent snapshot), and the keys are WATCHed
// by a private internal client for the duration: when the target acknowledges a key, the source
// copy is deleted (no COPY) only if nothing wrote to it meanwhile. A key written during the
// transfer is kept — deleting it would lose that write — and MIGRATE then answers an error naming
// it (the target holds the version that was sent). The rest follows migrateCommand: AUTH / AUTH2
// and SELECT first (a fresh connection per call, so SELECT is always sent: Redis's cached socket
// would skip it on reuse), one RESTORE (REPLACE) per key with its remaining TTL (at least 1 ms;
// keys that expire meanwhile are skipped), each reply read as one line, the first error from the
// target reported as `ERR Target instance replied with error: …`, a retry on a socket error
// before the first reply (not on a timeout), `IOERR error or timeout connecting to the client`,
// `IOERR error or timeout writing|reading to target instance`, and DEL propagated for the keys
// that were moved. MIGRATE inside MULTI or a script (where a client cannot block) is refused.

import net from 'node:net';
import type { Database, RedisValue } from '../keyspace/db.js';
import { lfuInit, LFU_INIT_VAL } from '../keyspace/lfu.js';
import { createDumpPayload, DEFAULT_ENCODE_OPTIONS, EncodeOptions, parseDumpPayload, RdbError, verifyDumpPayload } from '../persistence/rdb/index.js';
import { ERR_NOT_INTEGER, ERR_SYNTAX, NO_REPLY, OK, Reply, ReplyError, Status } from '../protocol/reply.js';
import { Client, type BlockState } from '../server/client.js';
import { NOTIFY_GENERIC, notifyKeyspaceEvent } from '../server/notify.js';
import type { Server } from '../server/server.js';
import { parseLongLong } from '../util/numbers.js';
import type { CommandSpec, Context } from './table.js';

const ERR_BUSYKEY = new ReplyError('BUSYKEY', 'Target key name already exists.');
const ERR_BAD_TTL = new ReplyError('ERR', 'Invalid TTL value, must be >= 0');
const ERR_BAD_IDLE = new ReplyError('ERR', 'Invalid IDLETIME value, must be >= 0');
const ERR_BAD_FREQ = new ReplyError('ERR', 'Invalid FREQ value, must be >= 0 and <= 255');
const ERR_PAYLOAD = new ReplyError('ERR', 'DUMP payload version or checksum are wrong');
const ERR_BAD_DATA = new ReplyError('ERR', 'Bad data format');
const ERR_KEYS_EMPTY = new ReplyError('ERR', 'When using MIGRATE KEYS option, the key argument must be set to the empty string');
const ERR_MIGRATE_CONNECT = new ReplyError('IOERR', 'error or timeout connecting to the client');
const ERR_MIGRATE_MULTI = new ReplyError('ERR', 'MIGRATE cannot run inside MULTI/EXEC or a script on this server');
const NOKEY = new Status('NOKEY');

/** strcasecmp against an uppercase option name. */
function optIs(arg: string, upper: string): boolean {
  return arg.length === upper.length && arg.toUpperCase() === upper;
}

/** getLongLongFromObjectOrReply. */
function longLong(s: string): number | bigint {
  const v = parseLongLong(s);
  if (v === null) throw ERR_NOT_INTEGER;
  return v;
}

/** The encoding thresholds as configured (rdbcompression is always on, Redis's default). */
export function encodeOptions(server: Server): EncodeOptions {
  const c = server.config;
  const num = (k: string, d: number): number => {
    try {
      return c.getInt(k);
    } catch {
      return d;
    }
  };
  return {
    ...DEFAULT_ENCODE_OPTIONS,
    hashMaxListpackEntries: num('hash-max-listpack-entries', 128),
    hashMaxListpackValue: num('hash-max-listpack-value', 64),
    zsetMaxListpackEntries: num('zset-max-listpack-entries', 128),
    zsetMaxListpackValue: num('zset-max-listpack-value', 64),
    setMaxIntsetEntries: num('set-max-intset-entries', 512),
    listMaxListpackSize: num('list-max-listpack-size', -2),
  };
}

function dumpOf(ctx: Context, v: RedisValue): Buffer {
  return createDumpPayload(v, encodeOptions(ctx.server));
}

function dumpCommand(ctx: Context, args: string[]): Reply {
  const v = ctx.db.get(args[1]);
  if (v === undefined) return null;
  return dumpOf(ctx, v);
}

// ---- RESTORE --------------------------------------------------------------------------------------

const LRU_CLOCK_MAX = (1 << 24) - 1;

/**
 * The idle time OBJECT IDLETIME shows after RESTORE … IDLETIME n (objectSetLRUOrLFU then
 * estimateObjectIdleTime on Redis's 24-bit seconds clock, wrap-around included).
 */
function restoredIdle(nowMs: number, idle: bigint): number {
  const clock = BigInt(Math.floor(nowMs / 1000) & LRU_CLOCK_MAX);
  let abs = clock - idle;
  if (abs < 0n) abs += BigInt(LRU_CLOCK_MAX);
  const lru = BigInt.asUintN(24, abs);
  return Number(clock >= lru ? clock - lru : clock + (BigInt(LRU_CLOCK_MAX) - lru));
}

function restoreCommand(ctx: Context, args: string[]): Reply {
  const { db, server } = ctx;
  let replace = false;
  let absttl = false;
  let freq = -1;
  let idle: bigint = -1n;
  for (let j = 4; j < args.length; j++) {
    const additional = args.length - j - 1;
    const a = args[j];
    if (optIs(a, 'REPLACE')) replace = true;
    else if (optIs(a, 'ABSTTL')) absttl = true;
    else if (optIs(a, 'IDLETIME') && additional >= 1 && freq === -1) {
      idle = BigInt(longLong(args[j + 1]));
      if (idle < 0n) throw ERR_BAD_IDLE;
      j++;
    } else if (optIs(a, 'FREQ') && additional >= 1 && idle === -1n) {
      const f = longLong(args[j + 1]);
      if (f < 0 || f > 255) throw ERR_BAD_FREQ;
      freq = Number(f);
      j++;
    } else throw ERR_SYNTAX;
  }
  const key = args[1];
  if (!replace && db.peek(key) !== undefined) throw ERR_BUSYKEY;
  const ttl = longLong(args[2]);
  if (ttl < 0) throw ERR_BAD_TTL;
  const payload = Buffer.from(args[3], 'latin1');
  if (!verifyDumpPayload(payload, server.skipChecksumValidation)) throw ERR_PAYLOAD;
  let value: RedisValue;
  try {
    value = parseDumpPayload(payload, { maxStringBytes: server.config.getInt('proto-max-bulk-len') });
  } catch (err) {
    if (err instanceof RdbError || err instanceof RangeError) throw ERR_BAD_DATA;
    throw err;
  }
  const deleted = replace && db.delete(key);
  const now = db.clock.now();
  let at = 0;
  if (ttl) at = Number(ttl) + (absttl ? 0 : now);
  if (ttl && at <= now && !db.loading) {
    // checkAlreadyExpired: the key is not created; an overwritten one is gone (propagated as DEL).
    if (deleted) {
      notifyKeyspaceEvent(server, NOTIFY_GENERIC, 'del', key, db.id);
      server.dirty++;
    }
    return OK;
  }
  db.set(key, value);
  if (ttl) db.setExpire(key, at);
  // The access slot is stamped on the LRU clock, which OBJECT IDLETIME / FREQ read back.
  const lruNow = db.lruNow();
  if (db.lfu !== null) {
    if (freq >= 0) db.setAccess(key, lfuInit(lruNow) - LFU_INIT_VAL + freq);
  } else if (idle >= 0n) {
    db.setAccess(key, Math.floor(lruNow / 1000) - restoredIdle(lruNow, idle));
  }
  notifyKeyspaceEvent(server, NOTIFY_GENERIC, 'restore', key, db.id);
  server.dirty++;
  return OK;
}

/** RESTORE as persisted: a relative TTL becomes absolute (… ABSTTL); an expired restore is DEL. */
function propagateRestore(ctx: Context, args: string[]): string[][] | null {
  const key = args[1];
  if (!ctx.db.dict.has(key)) return [['DEL', key]];
  const at = ctx.db.expires.get(key);
  if (at === undefined) return null;
  for (let j = 4; j < args.length; j++) if (optIs(args[j], 'ABSTTL')) return null;
  const out = args.slice();
  out[2] = String(at);
  out.push('ABSTTL');
  return [out];
}

// ---- MIGRATE --------------------------------------------------------------------------------------

/** RESP multibulk of latin1 strings / buffers. */
function resp(parts: (string | Buffer)[]): Buffer {
  const chunks: Buffer[] = [Buffer.from(`*${parts.length}\r\n`, 'latin1')];
  for (const p of parts) {
    const b = typeof p === 'string' ? Buffer.from(p, 'latin1') : p;
    chunks.push(Buffer.from(`$${b.length}\r\n`, 'latin1'), b, Buffer.from('\r\n', 'latin1'));
  }
  return Buffer.concat(chunks);
}

interface MigratePlan {
  host: string;
  port: number;
  timeout: number;
  dbid: number;
  copy: boolean;
  replace: boolean;
  username: string | null;
  password: string | null;
  keys: string[];
  payloads: Buffer[];
  ttls: number[];
  /** Cluster mode: RESTORE-ASKING, so the target accepts keys of a slot it is importing (as Redis). */
  asking: boolean;
}

function migrateCommand(ctx: Context, args: string[]): Reply {
  const { server, client, db } = ctx;
  let copy = false;
  let replace = false;
  let username: string | null = null;
  let password: string | null = null;
  let firstKey = 3;
  let numKeys = 1;
  for (let j = 6; j < args.length; j++) {
    const more = args.length - 1 - j;
    const a = args[j];
    if (optIs(a, 'COPY')) copy = true;
    else if (optIs(a, 'REPLACE')) replace = true;
    else if (optIs(a, 'AUTH')) {
      if (!more) throw ERR_SYNTAX;
      j++;
      password = args[j];
      client.redact(j);
    } else if (optIs(a, 'AUTH2')) {
      if (more < 2) throw ERR_SYNTAX;
      username = args[++j];
      client.redact(j);
      password = args[++j];
      client.redact(j);
    } else if (optIs(a, 'KEYS')) {
      if (args[3].length !== 0) throw ERR_KEYS_EMPTY;
      firstKey = j + 1;
      numKeys = args.length - j - 1;
      break;
    } else throw ERR_SYNTAX;
  }
  let timeout = Number(longLong(args[5]));
  const dbid = Number(longLong(args[4]));
  if (timeout <= 0) timeout = 1000;
  const present: string[] = [];
  for (let j = 0; j < numKeys; j++) {
    const k = args[firstKey + j];
    if (db.get(k) !== undefined) present.push(k);
  }
  if (present.length === 0) return NOKEY;
  if (client.inExec || client.inScript || client.socket === null) throw ERR_MIGRATE_MULTI;

  // The snapshot: payloads and remaining TTLs now (keys that expire in between are skipped).
  const now = db.clock.now();
  const plan: MigratePlan = {
    asking: ctx.server.cluster !== null,
    host: args[1],
    port: Number(args[2]),
    timeout,
    dbid,
    copy,
    replace,
    username,
    password,
    keys: [],
    payloads: [],
    ttls: [],
  };
  const opts = encodeOptions(server);
  for (const k of present) {
    const v = db.peek(k);
    if (v === undefined) continue;
    let ttl = 0;
    const at = db.getExpire(k);
    if (at !== undefined) {
      ttl = at - now;
      if (ttl < 0) continue;
      if (ttl < 1) ttl = 1;
    }
    plan.keys.push(k);
    plan.ttls.push(ttl);
    plan.payloads.push(createDumpPayload(v, opts));
  }
  // Watch the keys (a private client in Server.watchers): a write meanwhile marks it dirty.
  const watches = plan.keys.map((k) => {
    const w = new Client(server, null, 0);
    let set = server.watchers[db.id].get(k);
    if (!set) server.watchers[db.id].set(k, (set = new Set()));
    set.add(w);
    w.watched.push({ db: db.id, key: k });
    return w;
  });
  const state: BlockState = {
    db: db.id,
    keys: [],
    retry: () => undefined,
    timeoutReply: null,
    timer: null,
    cmd: server.table.lookup('migrate')!,
    args,
  };
  server.blocking.block(client, state, 0);
  const inFlight = (server.inFlightKeys[db.id] ??= new Set());
  for (const k of plan.keys) inFlight.add(k);
  void runMigrate(plan, true).then((outcome) => {
    try {
      for (const w of watches) server.unwatchAll(w);
      const reply = finishMigrate(server, client, db, plan, outcome, watches);
      if (client.blocked === state) server.blocking.unblock(client, reply);
      server.afterCommand();
      server.migrationSettled(db.id, plan.keys);
      server.flushPending();
    } catch (err) {
      server.log.error({ err }, 'MIGRATE completion failed');
      if (client.blocked === state) server.blocking.unblock(client, new ReplyError('ERR', 'internal error in MIGRATE'));
      server.migrationSettled(db.id, plan.keys);
      server.flushPending();
    }
  });
  return NO_REPLY;
}

interface MigrateOutcome {
  /** The IOERR to answer, if the transfer failed at the socket level. */
  ioError: ReplyError | null;
  /** Reply lines received: AUTH (if sent), SELECT, then one per RESTORE. */
  lines: string[];
}

/** Connect, send, read the replies (one retry on a non-timeout socket error before any reply). */
async function runMigrate(plan: MigratePlan, mayRetry: boolean): Promise<MigrateOutcome> {
  const parts: Buffer[] = [];
  if (plan.password !== null) parts.push(resp(plan.username !== null ? ['AUTH', plan.username, plan.password] : ['AUTH', plan.password]));
  parts.push(resp(['SELECT', String(plan.dbid)]));
  for (let i = 0; i < plan.keys.length; i++) {
    const cmd: (string | Buffer)[] = [plan.asking ? 'RESTORE-ASKING' : 'RESTORE', plan.keys[i], String(plan.ttls[i]), plan.payloads[i]];
    if (plan.replace) cmd.push('REPLACE');
    parts.push(resp(cmd));
  }
  const expected = (plan.password !== null ? 1 : 0) + 1 + plan.keys.length;
  const r = await transfer(plan, Buffer.concat(parts), expected);
  if (r.kind === 'connect') return { ioError: ERR_MIGRATE_CONNECT, lines: [] };
  if (r.kind === 'ok') return { ioError: null, lines: r.lines };
  // socket error or timeout
  const restoreReplies = r.lines.length - (expected - plan.keys.length);
  if (r.kind === 'error' && mayRetry && restoreReplies <= 0) return runMigrate(plan, false);
  return {
    ioError: new ReplyError('IOERR', `error or timeout ${r.writing ? 'writing' : 'reading'} to target instance`),
    lines: r.lines,
  };
}

type TransferResult =
  | { kind: 'connect' }
  | { kind: 'ok'; lines: string[] }
  | { kind: 'error' | 'timeout'; lines: string[]; writing: boolean };

function transfer(plan: MigratePlan, data: Buffer, expected: number): Promise<TransferResult> {
  return new Promise((resolve) => {
    let done = false;
    let connected = false;
    let writing = true;
    const lines: string[] = [];
    let buf: Buffer = Buffer.alloc(0);
    const sock = net.connect({ host: plan.host, port: plan.port });
    const finish = (r: TransferResult): void => {
      if (done) return;
      done = true;
      clearTimeout(connectTimer);
      sock.destroy();
      resolve(r);
    };
    const connectTimer = setTimeout(() => finish({ kind: 'connect' }), plan.timeout);
    sock.setNoDelay(true);
    sock.on('connect', () => {
      connected = true;
      clearTimeout(connectTimer);
      sock.setTimeout(plan.timeout);
      sock.write(data, () => (writing = false));
    });
    sock.on('timeout', () => finish({ kind: 'timeout', lines, writing }));
    sock.on('error', () => finish(connected ? { kind: 'error', lines, writing } : { kind: 'connect' }));
    sock.on('close', () => finish(connected ? { kind: 'error', lines, writing: false } : { kind: 'connect' }));
    sock.on('data', (d: Buffer) => {
      writing = false;
      buf = buf.length === 0 ? d : Buffer.concat([buf, d]);
      for (;;) {
        const nl = buf.indexOf('\n');
        if (nl < 0) {
          if (buf.length > 1024 * 1024) finish({ kind: 'error', lines, writing: false });
          return;
        }
        let line = buf.latin1Slice(0, nl);
        if (line.endsWith('\r')) line = line.slice(0, -1);
        buf = buf.subarray(nl + 1);
        lines.push(line.slice(0, 1023)); // connSyncReadLine into a 1024-byte buffer
        if (lines.length === expected) return finish({ kind: 'ok', lines });
      }
    });
  });
}

/** Apply the target's answers: delete acknowledged keys (unless COPY or written meanwhile), reply. */
function finishMigrate(server: Server, client: Client, db: Database, plan: MigratePlan, o: MigrateOutcome, watches: Client[]): Reply {
  if (o.ioError && o.lines.length === 0) return o.ioError;
  const pre = (plan.password !== null ? 1 : 0) + 1;
  const authLine = plan.password !== null ? o.lines[0] : undefined;
  const selectLine = o.lines[pre - 1];
  let error: ReplyError | null = null;
  const moved: string[] = [];
  const kept: string[] = [];
  for (let j = 0; j < plan.keys.length; j++) {
    const line = o.lines[pre + j];
    if (line === undefined) break;
    const bad = (authLine !== undefined && authLine[0] === '-') || (selectLine !== undefined && selectLine[0] === '-') || line[0] === '-';
    if (bad) {
      if (!error) {
        const src = authLine !== undefined && authLine[0] === '-' ? authLine : selectLine !== undefined && selectLine[0] === '-' ? selectLine : line;
        error = new ReplyError('ERR', `Target instance replied with error: ${src.slice(1)}`);
      }
      continue;
    }
    if (plan.copy) continue;
    const k = plan.keys[j];
    if (watches[j].dirtyCas) {
      kept.push(k);
      continue;
    }
    if (db.delete(k)) {
      server.keyModified(db, k);
      notifyKeyspaceEvent(server, NOTIFY_GENERIC, 'del', k, db.id);
      server.dirty++;
      moved.push(k);
    }
  }
  if (moved.length > 0) {
    const del = server.table.lookup('del')!;
    server.emitWrite({ db: db.id, cmd: del, args: ['DEL', ...moved], client });
  }
  if (error) return error;
  if (o.ioError) return o.ioError;
  if (kept.length > 0) {
    return new ReplyError('ERR', `MIGRATE: ${kept.length === 1 ? 'key' : 'keys'} ${kept.join(', ')} written during the transfer, kept here (the target has the version sent)`);
  }
  return OK;
}

/** MIGRATE's keys: argument 3, or everything after KEYS (movable keys). */
function migrateKeys(args: string[]): number[] {
  for (let j = 6; j < args.length; j++) {
    const a = args[j];
    if (optIs(a, 'AUTH')) j++;
    else if (optIs(a, 'AUTH2')) j += 2;
    else if (optIs(a, 'KEYS')) {
      const out: number[] = [];
      for (let i = j + 1; i < args.length; i++) out.push(i);
      return out;
    }
  }
  return args.length > 3 && args[3].length > 0 ? [3] : [];
}

const RESTORE_COMPLEXITY =
  'O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).';
const RESTORE_SYNTAX = 'key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]';

export const dumpCommands: CommandSpec[] = [
  {
    name: 'dump',
    arity: 2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: 'keyspace',
    summary: 'Return a serialized version of the value stored at the specified key.',
    since: '2.6.0',
    complexity:
      'O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).',
    syntax: 'key',
    handler: dumpCommand,
  },
  {
    name: 'restore',
    arity: -4,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    group: 'keyspace dangerous',
    summary: 'Create a key using the provided serialized value, previously obtained using DUMP.',
    since: '2.6.0',
    complexity: RESTORE_COMPLEXITY,
    syntax: RESTORE_SYNTAX,
    handler: restoreCommand,
    propagate: propagateRestore,
  },
  {
    name: 'restore-asking',
    arity: -4,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    group: 'server keyspace dangerous',
    summary: 'An internal command for migrating keys in a cluster',
    since: '3.0.0',
    complexity: RESTORE_COMPLEXITY,
    syntax: RESTORE_SYNTAX,
    handler: restoreCommand,
    propagate: propagateRestore,
  },
  {
    name: 'migrate',
    arity: -6,
    flags: ['write'],
    keys: [3, 3, 1],
    getKeys: migrateKeys,
    group: 'keyspace dangerous',
    summary: 'Atomically transfer a key from a Redis instance to another one.',
    since: '2.6.0',
    complexity:
      'This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.',
    syntax: 'host port <key | ""> destination-db timeout [COPY] [REPLACE] [AUTH password | AUTH2 username password] [KEYS key [key ...]]',
    handler: migrateCommand,
  },
];

