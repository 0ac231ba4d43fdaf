// Transactions: MULTI EXEC DISCARD WATCH UNWATCH — Redis 7.0 semantics (multi.c).
//
// Queueing itself happens in dispatch (src/server/dispatch.ts): while `client.multi` is set, every
// command except EXEC/DISCARD/MULTI/WATCH/QUIT/RESET is checked (existence, arity, auth, no_multi)
// and queued; a rejected one sets `multi.aborted` (Redis's CLIENT_DIRTY_EXEC), so EXEC answers
// EXECABORT. EXEC runs the queue through call() — the same bookkeeping as a normal command (stats,
// slow log, MONITOR, write observers, WATCH invalidation of other clients, blocked-client wake-ups)
// — with `client.inExec` set so blocking commands answer as if their timeout expired at once.
//
// WATCH registers (db, key) in Server.watchers; any write to the key (on any connection, including
// this one), its expiry, FLUSHALL/FLUSHDB/SWAPDB of a db holding it set `client.dirtyCas`, and
// EXEC then answers a null array. Expiry follows Redis 7.0: a key that is already logically expired
// when WATCHed counts as absent (it is expired right away, so its later removal is no change), and a
// watched key whose TTL passes before EXEC invalidates the transaction even if nobody touched it
// (isWatchedKeyExpired) — EXEC expires each watched key through db.expireIfNeeded, whose
// keyModified hook marks the watchers dirty.

import { aclCheckQueued } from '../acl/hooks.js';
import { call } from '../server/dispatch.js';
import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import { NIL_ARRAY, NO_REPLY, OK, Reply, ReplyError } from '../protocol/reply.js';
import type { CommandSpec, Context } from './table.js';

const ERR_NESTED = new ReplyError('ERR', 'MULTI calls can not be nested');
const ERR_EXEC_WITHOUT_MULTI = new ReplyError('ERR', 'EXEC without MULTI');
const ERR_DISCARD_WITHOUT_MULTI = new ReplyError('ERR', 'DISCARD without MULTI');
const ERR_WATCH_IN_MULTI = new ReplyError('ERR', 'WATCH inside MULTI is not allowed');
export const ERR_EXECABORT = new ReplyError('EXECABORT', 'Transaction discarded because of previous errors.');

/** Redis's discardTransaction: forget the queue and every WATCHed key. */
export function discardTransaction(server: Server, c: Client): void {
  c.multi = null;
  server.unwatchAll(c);
}

/** Redis's watchForKey. */
function watchKey(ctx: Context, key: string): void {
  const { server, client, db } = ctx;
  let set = server.watchers[db.id].get(key);
  if (set?.has(client)) return;
  // A key already past its TTL is logically absent: remove it now, before registering, so that
  // removing it later is not a modification (Redis 7.0 records wk->expired for the same effect).
  db.expireIfNeeded(key);
  if (!set) server.watchers[db.id].set(key, (set = new Set()));
  set.add(client);
  client.watched.push({ db: db.id, key });
}

function exec(ctx: Context): Reply {
  const { server, client: c } = ctx;
  const m = c.multi;
  if (!m) return ERR_EXEC_WITHOUT_MULTI;
  if (!m.aborted && !c.dirtyCas && c.watched.length > 0) {
    // isWatchedKeyExpired: a watched key whose TTL has passed invalidates the transaction even
    // though nothing deleted it yet. Expiring it fires keyModified, which sets dirtyCas.
    for (let i = 0; i < c.watched.length && !c.dirtyCas; i++) {
      const w = c.watched[i];
      server.dbs[w.db].expireIfNeeded(w.key);
    }
  }
  if (m.aborted || c.dirtyCas) {
    discardTransaction(server, c);
    return m.aborted ? ERR_EXECABORT : NIL_ARRAY;
  }
  // Unwatch before running, like Redis: the transaction's own writes must not mark it dirty.
  server.unwatchAll(c);
  const queue = m.queue;
  const wasInExec = c.inExec;
  c.inExec = true;
  // Replies go out one by one, in order, after the array header — exactly like Redis, whose EXEC
  // emits the header and then each command's reply as it runs. That keeps out-of-band output that
  // a queued command writes itself (SUBSCRIBE confirmations, a message PUBLISHed to this very
  // client in RESP3, HELLO switching the protocol mid-transaction) in the same place as in Redis.
  const direct = c.socket !== null;
  const collected: Reply[] = [];
  // The write observers get the transaction's writes as one group, to be applied atomically.
  server.beginCapture();
  try {
    if (direct) {
      if (queue.length === 0) c.write(collected);
      else c.enc.arrayHeader(queue.length);
    }
    for (let i = 0; i < queue.length; i++) {
      // The rules may have changed since the command was queued (Redis's execCommand re-check).
      const denied = aclCheckQueued(server, c, queue[i].cmd, queue[i].args);
      const r = denied ?? call(server, c, queue[i].cmd, queue[i].args);
      if (denied) server.countError(denied);
      if (direct) c.write(r);
      else collected.push(r);
    }
  } finally {
    server.endCapture(true);
    c.inExec = wasInExec;
    // The header went into the encoder directly; make sure this turn flushes it even when no
    // queued command produced a reply of its own.
    if (direct && queue.length > 0) server.markPending(c);
    discardTransaction(server, c);
  }
  return direct ? NO_REPLY : collected;
}

const TX_FLAGS: CommandSpec['flags'] = ['noscript', 'loading', 'stale', 'fast', 'allow_busy'];

export const transactionsCommands: CommandSpec[] = [
  {
    name: 'multi',
    arity: 1,
    flags: TX_FLAGS,
    keys: [0, 0, 0],
    group: 'transaction',
    summary: 'Mark the start of a transaction block',
    since: '1.2.0',
    complexity: 'O(1)',
    handler: (ctx) => {
      if (ctx.client.multi) return ERR_NESTED;
      ctx.client.multi = { queue: [], aborted: false };
      return OK;
    },
  },
  {
    name: 'exec',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'skip_slowlog'],
    keys: [0, 0, 0],
    group: 'transaction',
    summary: 'Execute all commands issued after MULTI',
    since: '1.2.0',
    complexity: 'Depends on commands in the transaction',
    handler: (ctx) => exec(ctx),
  },
  {
    name: 'discard',
    arity: 1,
    flags: TX_FLAGS,
    keys: [0, 0, 0],
    group: 'transaction',
    summary: 'Discard all commands issued after MULTI',
    since: '2.0.0',
    complexity: 'O(N), when N is the number of queued commands',
    handler: (ctx) => {
      if (!ctx.client.multi) return ERR_DISCARD_WITHOUT_MULTI;
      discardTransaction(ctx.server, ctx.client);
      return OK;
    },
  },
  {
    name: 'watch',
    arity: -2,
    flags: TX_FLAGS,
    keys: [1, -1, 1],
    group: 'transaction',
    summary: 'Watch the given keys to determine execution of the MULTI/EXEC block',
    since: '2.2.0',
    complexity: 'O(1) for every key.',
    syntax: 'key [key ...]',
    handler: (ctx, args) => {
      if (ctx.client.multi) return ERR_WATCH_IN_MULTI;
      // No point in watching more once the transaction is already doomed (Redis does the same).
      if (ctx.client.dirtyCas) return OK;
      for (let i = 1; i < args.length; i++) watchKey(ctx, args[i]);
      return OK;
    },
  },
  {
    name: 'unwatch',
    arity: 1,
    flags: TX_FLAGS,
    keys: [0, 0, 0],
    group: 'transaction',
    summary: 'Forget about all watched keys',
    since: '2.2.0',
    complexity: 'O(1)',
    handler: (ctx) => {
      ctx.server.unwatchAll(ctx.client);
      return OK;
    },
  },
];
