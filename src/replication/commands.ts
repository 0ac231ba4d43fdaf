// The replication commands, declared as data like every family (COMMAND INFO / DOCS and the ACL
// categories come from Redis 7.0.15's metadata, redis-meta.generated.ts): REPLCONF, PSYNC, SYNC
// (a replica's side of the handshake, answered by the master), REPLICAOF / SLAVEOF, WAIT,
// FAILOVER. ROLE
// and INFO replication read the same state (replication.ts).

import { ERR_NOT_INTEGER, Reply, ReplyError } from '../protocol/reply.js';
import type { CommandSpec, Context } from '../commands/table.js';
import { parseIntArg } from '../util/numbers.js';

// In cluster mode a node's master is chosen by CLUSTER REPLICATE and failovers (src/cluster).
const ERR_REPLICAOF_CLUSTER = new ReplyError('ERR', 'REPLICAOF not allowed in cluster mode.');
const ERR_FAILOVER_CLUSTER = new ReplyError('ERR', 'FAILOVER not allowed in cluster mode. Use CLUSTER FAILOVER command instead.');

function replicaof(ctx: Context, args: string[]): Reply {
  if (ctx.server.cluster !== null) return ERR_REPLICAOF_CLUSTER;
  return ctx.server.replication.replicaof(ctx.client, args);
}

/** WAIT numreplicas timeout: checked in Redis's order (replica, count, timeout). */
function waitCmd(ctx: Context, args: string[]): Reply {
  const repl = ctx.server.replication;
  if (repl.isReplica) return ERR_WAIT_REPLICA;
  const n = parseIntArg(args[1]);
  if (n === null) return ERR_NOT_INTEGER;
  const t = parseIntArg(args[2]);
  if (t === null) return new ReplyError('ERR', 'timeout is not an integer or out of range');
  if (t < 0) return new ReplyError('ERR', 'timeout is negative');
  return repl.wait(ctx.client, n, t);
}

const ERR_WAIT_REPLICA = new ReplyError(
  'ERR',
  'WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.',
);

export const replicationCommands: CommandSpec[] = [
  {
    name: 'replconf',
    arity: -1,
    flags: ['admin', 'noscript', 'loading', 'stale', 'allow_busy'],
    keys: [0, 0, 0],
    group: 'server',
    summary: 'An internal command for configuring the replication stream',
    since: '3.0.0',
    complexity: 'O(1)',
    handler: (ctx, args) => ctx.server.replication.replconf(ctx.client, args),
  },
  {
    name: 'psync',
    arity: -3,
    flags: ['admin', 'noscript', 'no_multi'],
    keys: [0, 0, 0],
    group: 'server',
    summary: 'Internal command used for replication',
    since: '2.8.0',
    syntax: 'replicationid offset',
    handler: (ctx, args) => ctx.server.replication.sync(ctx.client, args, true),
  },
  {
    name: 'sync',
    arity: 1,
    flags: ['admin', 'noscript', 'no_multi'],
    keys: [0, 0, 0],
    group: 'server',
    summary: 'Internal command used for replication',
    since: '1.0.0',
    handler: (ctx, args) => ctx.server.replication.sync(ctx.client, args, false),
  },
  {
    name: 'replicaof',
    arity: 3,
    flags: ['admin', 'noscript', 'stale'],
    keys: [0, 0, 0],
    group: 'server',
    summary: 'Make the server a replica of another instance, or promote it as master.',
    since: '5.0.0',
    complexity: 'O(1)',
    syntax: 'host port',
    handler: replicaof,
  },
  {
    name: 'slaveof',
    arity: 3,
    flags: ['admin', 'noscript', 'stale'],
    keys: [0, 0, 0],
    group: 'server',
    summary: 'Make the server a replica of another instance, or promote it as master.',
    since: '1.0.0',
    complexity: 'O(1)',
    syntax: 'host port',
    handler: replicaof,
  },
  {
    name: 'failover',
    arity: -1,
    flags: ['admin', 'noscript', 'stale'],
    keys: [0, 0, 0],
    group: 'server',
    summary: 'Start a coordinated failover between this server and one of its replicas.',
    since: '6.2.0',
    complexity: 'O(1)',
    syntax: '[TO host port [FORCE]] [ABORT] [TIMEOUT milliseconds]',
    handler: (ctx, args) => (ctx.server.cluster !== null ? ERR_FAILOVER_CLUSTER : ctx.server.replication.failoverCommand(args)),
  },
  {
    name: 'wait',
    arity: 3,
    flags: ['noscript'],
    keys: [0, 0, 0],
    group: 'generic',
    summary: 'Wait for the synchronous replication of all the write commands sent in the context of the current connection',
    since: '3.0.0',
    complexity: 'O(1)',
    syntax: 'numreplicas timeout',
    handler: waitCmd,
  },
];
