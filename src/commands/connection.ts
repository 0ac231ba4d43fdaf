// Connection commands: PING ECHO HELLO AUTH SELECT QUIT RESET — per-connection state only.

import { MapReply, NO_REPLY, OK, PONG, ReplyError, Status } from '../protocol/reply.js';
import { REDIS_VERSION } from '../version.js';
import type { CommandSpec, Context } from './table.js';
import { isOpt } from './util.js';
import type { Client } from '../server/client.js';
import { authenticate, ERR_WRONGPASS, initialAuth } from '../acl/hooks.js';

/** Return a client to its freshly connected state (RESET). */
export function resetClient(ctx: Context, c: Client): void {
  c.multi = null;
  ctx.server.unwatchAll(c);
  ctx.server.pubsub.unsubscribeAll(c);
  ctx.server.tracking.disable(c);
  ctx.server.monitors.delete(c);
  c.monitor = false;
  c.db = 0;
  c.enc.resp = 2;
  c.name = '';
  initialAuth(ctx.server, c);
}

export const connectionCommands: CommandSpec[] = [
  {
    name: 'ping',
    arity: -1,
    flags: ['fast'],
    keys: [0, 0, 0],
    group: 'connection',
    summary: 'Returns the server\'s liveliness response.',
    since: '1.0.0',
    complexity: 'O(1)',
    syntax: '[message]',
    handler: (ctx, args) => {
      if (args.length > 2) return new ReplyError('ERR', "wrong number of arguments for 'ping' command");
      if (ctx.client.resp === 2 && ctx.client.subscriptionCount > 0) return ['pong', args[1] ?? ''];
      return args.length === 2 ? args[1] : PONG;
    },
  },
  {
    name: 'echo',
    arity: 2,
    flags: ['fast', 'loading', 'stale'],
    keys: [0, 0, 0],
    group: 'connection',
    summary: 'Returns the given string.',
    since: '1.0.0',
    complexity: 'O(1)',
    syntax: 'message',
    // A message too long for a string comes back as the bytes it arrived as (keyspace/bigstring.ts).
    handler: (ctx, args) => ctx.client.bigArgs?.get(args[1]) ?? args[1],
  },
  {
    name: 'select',
    arity: 2,
    flags: ['fast', 'stale', 'loading'],
    keys: [0, 0, 0],
    otherDb: () => true,
    group: 'connection',
    summary: 'Changes the selected database.',
    since: '1.0.0',
    complexity: 'O(1)',
    syntax: 'index',
    handler: (ctx, args) => {
      if (!/^-?\d+$/.test(args[1])) return new ReplyError('ERR', 'value is not an integer or out of range');
      const n = Number(args[1]);
      if (ctx.server.cluster !== null && n !== 0) return new ReplyError('ERR', 'SELECT is not allowed in cluster mode');
      if (n < 0 || n >= ctx.server.dbs.length) return new ReplyError('ERR', 'DB index is out of range');
      ctx.client.db = n;
      return OK;
    },
  },
  {
    name: 'auth',
    arity: -2,
    flags: ['no_auth', 'fast', 'stale', 'loading', 'noscript', 'allow_busy'],
    keys: [0, 0, 0],
    group: 'connection',
    summary: 'Authenticates the connection.',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of passwords defined for the user',
    syntax: '[username] password',
    handler: (ctx, args) => {
      if (args.length > 3) return new ReplyError('ERR', 'syntax error');
      // Redis redacts the password (and the username) in SLOWLOG and MONITOR, even on failure.
      ctx.client.redact(1);
      if (args.length === 3) ctx.client.redact(2);
      const user = args.length === 3 ? args[1] : 'default';
      const pass = args[args.length - 1];
      if (args.length === 2 && ctx.server.acl.defaultUser.nopass) {
        return new ReplyError(
          'ERR',
          'AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
        );
      }
      if (!authenticate(ctx.server, ctx.client, user, pass, args[0])) return ERR_WRONGPASS;
      return OK;
    },
  },
  {
    name: 'hello',
    arity: -1,
    flags: ['no_auth', 'fast', 'stale', 'loading', 'noscript', 'allow_busy'],
    keys: [0, 0, 0],
    group: 'connection',
    summary: 'Handshakes with the Redis server.',
    since: '6.0.0',
    complexity: 'O(1)',
    syntax: '[protover [AUTH username password] [SETNAME clientname]]',
    handler: (ctx, args) => {
      const c = ctx.client;
      let proto: 2 | 3 = c.resp;
      let i = 1;
      if (args.length >= 2) {
        if (!/^-?\d+$/.test(args[1])) {
          return new ReplyError('ERR', 'Protocol version is not an integer or out of range');
        }
        const v = Number(args[1]);
        if (v !== 2 && v !== 3) return new ReplyError('NOPROTO', 'unsupported protocol version');
        proto = v;
        i = 2;
      }
      let setName: string | null = null;
      let authUser: string | null = null;
      let authPass = '';
      for (; i < args.length; i++) {
        const more = args.length - i - 1;
        if (isOpt(args[i], 'AUTH') && more >= 2) {
          ctx.client.redact(i + 1);
          ctx.client.redact(i + 2);
          authUser = args[i + 1];
          authPass = args[i + 2];
          i += 2;
        } else if (isOpt(args[i], 'SETNAME') && more >= 1) {
          setName = args[i + 1];
          if (/[\s]/.test(setName) || /[^\x21-\x7e]/.test(setName)) {
            return new ReplyError('ERR', 'Client names cannot contain spaces, newlines or special characters.');
          }
          i += 1;
        } else {
          return new ReplyError('ERR', `Syntax error in HELLO option '${args[i]}'`);
        }
      }
      // Redis authenticates once every option parsed (a later syntax error leaves the client as it was).
      const authed = authUser !== null;
      if (authed && !authenticate(ctx.server, c, authUser!, authPass, args[0])) return ERR_WRONGPASS;
      if (!c.authenticated && !authed) {
        return new ReplyError(
          'NOAUTH',
          'HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
        );
      }
      if (setName !== null) c.name = setName;
      c.enc.resp = proto;
      return new MapReply([
        'server', 'redis',
        'version', REDIS_VERSION,
        'proto', proto,
        'id', c.id,
        'mode', 'standalone',
        'role', ctx.server.replication.isReplica ? 'replica' : 'master',
        'modules', [],
      ]);
    },
  },
  {
    name: 'quit',
    arity: -1,
    flags: ['no_auth', 'fast', 'stale', 'loading', 'noscript', 'allow_busy'],
    keys: [0, 0, 0],
    group: 'connection',
    summary: 'Closes the connection.',
    since: '1.0.0',
    complexity: 'O(1)',
    handler: (ctx) => {
      // Reply first, then close once it is flushed; later pipelined commands are not run.
      ctx.client.write(OK);
      ctx.client.closeAfterReply();
      return NO_REPLY;
    },
  },
  {
    name: 'reset',
    arity: 1,
    flags: ['no_auth', 'fast', 'stale', 'loading', 'noscript', 'allow_busy'],
    keys: [0, 0, 0],
    group: 'connection',
    summary: 'Resets the connection.',
    since: '6.2.0',
    complexity: 'O(1)',
    handler: (ctx) => {
      if (ctx.client.blocked) ctx.server.blocking.unblock(ctx.client, undefined);
      resetClient(ctx, ctx.client);
      return new Status('RESET');
    },
  },
];
