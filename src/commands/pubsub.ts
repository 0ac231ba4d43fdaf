// Pub/Sub commands: SUBSCRIBE UNSUBSCRIBE PSUBSCRIBE PUNSUBSCRIBE PUBLISH PUBSUB — Redis 7.0
// semantics (pubsub.c), on the registry in src/server/pubsub.ts.
//
// Subscription confirmations and messages are pushes (RESP3 `>`, arrays in RESP2) written straight
// into the client's output as they happen, which is why the subscribe handlers reply NO_REPLY: a
// SUBSCRIBE of N channels produces N confirmations, and inside EXEC they land in the transaction's
// reply exactly where Redis puts them. The RESP2 "subscribed context" (only (P)SUBSCRIBE,
// (P)UNSUBSCRIBE, PING, QUIT, RESET) is enforced by dispatch; RESP3 clients may run anything while
// subscribed and receive messages interleaved as push frames.
//
// Sharded pub/sub (SSUBSCRIBE SUNSUBSCRIBE SPUBLISH, PUBSUB SHARDCHANNELS / SHARDNUMSUB) as a
// non-cluster Redis 7.0 runs it: one shard, its own channel namespace, `smessage` messages. Shard
// channels are declared in Redis's key specs as not-keys (for cluster routing); Lodestone's specs
// give them no key positions, so ACL key rules and tracking never see them as keys.

import { NO_REPLY, Reply, ReplyError, Status } from '../protocol/reply.js';
import { globMatch } from '../util/glob.js';
import type { CommandFlag, CommandSpec, Context } from './table.js';

const SUB_FLAGS: CommandFlag[] = ['pubsub', 'noscript', 'loading', 'stale'];

/**
 * A client that must get exactly one reply per command (a function call) cannot enter subscribed
 * mode; EXEC is exempt for backward compatibility, like Redis's CLIENT_DENY_BLOCKING check.
 */
function denyBlocking(ctx: Context, name: string): ReplyError | null {
  if (ctx.client.inExec && !ctx.client.multi) {
    return new ReplyError('ERR', `${name} isn't allowed for a DENY BLOCKING client`);
  }
  return null;
}

function subscribe(ctx: Context, args: string[]): Reply {
  const deny = denyBlocking(ctx, 'SUBSCRIBE');
  if (deny) return deny;
  for (let i = 1; i < args.length; i++) ctx.server.pubsub.subscribe(ctx.client, args[i]);
  return NO_REPLY;
}

function psubscribe(ctx: Context, args: string[]): Reply {
  const deny = denyBlocking(ctx, 'PSUBSCRIBE');
  if (deny) return deny;
  for (let i = 1; i < args.length; i++) ctx.server.pubsub.psubscribe(ctx.client, args[i]);
  return NO_REPLY;
}

function ssubscribe(ctx: Context, args: string[]): Reply {
  // Unlike SUBSCRIBE, Redis 7.0 refuses it inside MULTI too (CLIENT_DENY_BLOCKING covers EXEC).
  if (ctx.client.inExec) return new ReplyError('ERR', "SSUBSCRIBE isn't allowed for a DENY BLOCKING client");
  for (let i = 1; i < args.length; i++) ctx.server.pubsub.ssubscribe(ctx.client, args[i]);
  return NO_REPLY;
}

function sunsubscribe(ctx: Context, args: string[]): Reply {
  const ps = ctx.server.pubsub;
  if (args.length === 1) ps.sunsubscribeAllChannels(ctx.client);
  else for (let i = 1; i < args.length; i++) ps.sunsubscribe(ctx.client, args[i]);
  return NO_REPLY;
}

function unsubscribe(ctx: Context, args: string[]): Reply {
  const ps = ctx.server.pubsub;
  if (args.length === 1) ps.unsubscribeAllChannels(ctx.client);
  else for (let i = 1; i < args.length; i++) ps.unsubscribe(ctx.client, args[i]);
  return NO_REPLY;
}

function punsubscribe(ctx: Context, args: string[]): Reply {
  const ps = ctx.server.pubsub;
  if (args.length === 1) ps.punsubscribeAllPatterns(ctx.client);
  else for (let i = 1; i < args.length; i++) ps.punsubscribe(ctx.client, args[i]);
  return NO_REPLY;
}

/** Redis's addReplySubcommandSyntaxError. */
function subcommandSyntaxError(args: string[]): ReplyError {
  return new ReplyError(
    'ERR',
    `unknown subcommand or wrong number of arguments for '${args[1].slice(0, 128)}'. Try ${args[0].toUpperCase()} HELP.`,
  );
}

const HELP_LINES = [
  'CHANNELS [<pattern>]',
  "    Return the currently active channels matching a <pattern> (default: '*').",
  'NUMPAT',
  '    Return number of subscriptions to patterns.',
  'NUMSUB [<channel> ...]',
  '    Return the number of subscribers for the specified channels, excluding',
  '    pattern subscriptions(default: no channels).',
  'SHARDCHANNELS [<pattern>]',
  "    Return the currently active shard level channels matching a <pattern> (default: '*').",
  'SHARDNUMSUB [<shardchannel> ...]',
  '    Return the number of subscribers for the specified shard level channel(s)',
  'HELP',
  '    Prints this help.',
];

const PUBSUB_SUB_FLAGS: CommandFlag[] = ['pubsub', 'loading', 'stale'];

export const pubsubCommands: CommandSpec[] = [
  {
    name: 'subscribe',
    arity: -2,
    flags: SUB_FLAGS,
    keys: [0, 0, 0],
    group: 'pubsub',
    summary: 'Listen for messages published to the given channels',
    since: '2.0.0',
    complexity: 'O(N) where N is the number of channels to subscribe to.',
    syntax: 'channel [channel ...]',
    handler: subscribe,
  },
  {
    name: 'unsubscribe',
    arity: -1,
    flags: SUB_FLAGS,
    keys: [0, 0, 0],
    group: 'pubsub',
    summary: 'Stop listening for messages posted to the given channels',
    since: '2.0.0',
    complexity: 'O(N) where N is the number of clients already subscribed to a channel.',
    syntax: '[channel [channel ...]]',
    handler: unsubscribe,
  },
  {
    name: 'psubscribe',
    arity: -2,
    flags: SUB_FLAGS,
    keys: [0, 0, 0],
    group: 'pubsub',
    summary: 'Listen for messages published to channels matching the given patterns',
    since: '2.0.0',
    complexity: 'O(N) where N is the number of patterns the client is already subscribed to.',
    syntax: 'pattern [pattern ...]',
    handler: psubscribe,
  },
  {
    name: 'punsubscribe',
    arity: -1,
    flags: SUB_FLAGS,
    keys: [0, 0, 0],
    group: 'pubsub',
    summary: 'Stop listening for messages posted to channels matching the given patterns',
    since: '2.0.0',
    complexity:
      'O(N+M) where N is the number of patterns the client is already subscribed and M is the number of total patterns subscribed in the system (by any client).',
    syntax: '[pattern [pattern ...]]',
    handler: punsubscribe,
  },
  {
    name: 'publish',
    arity: 3,
    flags: ['pubsub', 'loading', 'stale', 'fast'],
    keys: [0, 0, 0],
    group: 'pubsub',
    summary: 'Post a message to a channel',
    since: '2.0.0',
    complexity:
      'O(N+M) where N is the number of clients subscribed to the receiving channel and M is the total number of subscribed patterns (by any client).',
    syntax: 'channel message',
    handler: (ctx, args) => {
      const n = ctx.server.pubsub.publish(args[1], args[2]);
      // Redis forces PUBLISH into the replication stream (not the AOF): subscribers of replicas get it.
      ctx.server.replication.propagateCommand(args);
      // Cluster mode: every node's subscribers get it (Redis's clusterPropagatePublish over the bus).
      if (ctx.server.cluster !== null) ctx.server.cluster.broadcastPublish(args[1], args[2]);
      return n;
    },
  },
  {
    name: 'ssubscribe',
    arity: -2,
    flags: SUB_FLAGS,
    keys: [0, 0, 0],
    group: 'pubsub',
    summary: 'Listen for messages published to the given shard channels',
    since: '7.0.0',
    complexity: 'O(N) where N is the number of shard channels to subscribe to.',
    syntax: 'shardchannel [shardchannel ...]',
    handler: ssubscribe,
  },
  {
    name: 'sunsubscribe',
    arity: -1,
    flags: SUB_FLAGS,
    keys: [0, 0, 0],
    group: 'pubsub',
    summary: 'Stop listening for messages posted to the given shard channels',
    since: '7.0.0',
    complexity: 'O(N) where N is the number of clients already subscribed to a shard channel.',
    syntax: '[shardchannel [shardchannel ...]]',
    handler: sunsubscribe,
  },
  {
    name: 'spublish',
    arity: 3,
    flags: ['pubsub', 'loading', 'stale', 'fast'],
    keys: [0, 0, 0],
    group: 'pubsub',
    summary: 'Post a message to a shard channel',
    since: '7.0.0',
    complexity: 'O(N) where N is the number of clients subscribed to the receiving shard channel.',
    syntax: 'shardchannel message',
    handler: (ctx, args) => {
      const n = ctx.server.pubsub.spublish(args[1], args[2]);
      ctx.server.replication.propagateCommand(args); // as PUBLISH: to the replicas, not the AOF
      return n;
    },
  },
  {
    name: 'pubsub',
    arity: -2,
    flags: [],
    keys: [0, 0, 0],
    group: 'pubsub',
    summary: 'A container for Pub/Sub commands',
    since: '2.8.0',
    complexity: 'Depends on subcommand.',
    subcommands: [
      {
        name: 'channels',
        arity: -2,
        flags: PUBSUB_SUB_FLAGS,
        keys: [0, 0, 0],
        group: 'pubsub',
        summary: 'List active channels',
        since: '2.8.0',
        complexity:
          'O(N) where N is the number of active channels, and assuming constant time pattern matching (relatively short channels and patterns)',
        syntax: '[pattern]',
        handler: (ctx, args) => {
          if (args.length > 3) return subcommandSyntaxError(args);
          const pattern = args.length === 3 ? args[2] : null;
          const out: Reply[] = [];
          for (const ch of ctx.server.pubsub.channels.keys()) {
            if (pattern === null || globMatch(pattern, ch)) out.push(ch);
          }
          return out;
        },
      },
      {
        name: 'numsub',
        arity: -2,
        flags: PUBSUB_SUB_FLAGS,
        keys: [0, 0, 0],
        group: 'pubsub',
        summary: 'Get the count of subscribers for channels',
        since: '2.8.0',
        complexity: 'O(N) for the NUMSUB subcommand, where N is the number of requested channels',
        syntax: '[channel [channel ...]]',
        handler: (ctx, args) => {
          const out: Reply[] = [];
          for (let i = 2; i < args.length; i++) {
            out.push(args[i], ctx.server.pubsub.channels.get(args[i])?.size ?? 0);
          }
          return out;
        },
      },
      {
        name: 'numpat',
        arity: 2,
        flags: PUBSUB_SUB_FLAGS,
        keys: [0, 0, 0],
        group: 'pubsub',
        summary: 'Get the count of unique patterns pattern subscriptions',
        since: '2.8.0',
        complexity: 'O(1)',
        handler: (ctx) => ctx.server.pubsub.patternCount,
      },
      {
        name: 'shardchannels',
        arity: -2,
        flags: PUBSUB_SUB_FLAGS,
        keys: [0, 0, 0],
        group: 'pubsub',
        summary: 'List active shard channels',
        since: '7.0.0',
        complexity:
          'O(N) where N is the number of active shard channels, and assuming constant time pattern matching (relatively short shard channels).',
        syntax: '[pattern]',
        handler: (ctx, args) => {
          if (args.length > 3) return subcommandSyntaxError(args);
          const pattern = args.length === 3 ? args[2] : null;
          const out: Reply[] = [];
          for (const ch of ctx.server.pubsub.shardChannels.keys()) {
            if (pattern === null || globMatch(pattern, ch)) out.push(ch);
          }
          return out;
        },
      },
      {
        name: 'shardnumsub',
        arity: -2,
        flags: PUBSUB_SUB_FLAGS,
        keys: [0, 0, 0],
        group: 'pubsub',
        summary: 'Get the count of subscribers for shard channels',
        since: '7.0.0',
        complexity: 'O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels',
        syntax: '[shardchannel [shardchannel ...]]',
        handler: (ctx, args) => {
          const out: Reply[] = [];
          for (let i = 2; i < args.length; i++) {
            out.push(args[i], ctx.server.pubsub.shardChannels.get(args[i])?.size ?? 0);
          }
          return out;
        },
      },
      {
        name: 'help',
        arity: 2,
        flags: ['loading', 'stale'],
        keys: [0, 0, 0],
        group: 'pubsub -pubsub',
        summary: 'Show helpful text about the different subcommands',
        since: '6.2.0',
        complexity: 'O(1)',
        handler: (_ctx, args) => [
          new Status(`${args[0].toUpperCase()} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`),
          ...HELP_LINES.map((l) => new Status(l)),
        ],
      },
    ],
  },
];
