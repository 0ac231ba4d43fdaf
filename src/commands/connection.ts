// Connection commands: PING ECHO HELLO AUTH SELECT QUIT RESET — per-connection state only.

import { timingSafeEqual, createHash } from 'node:crypto';
import { MapReply, NO_REPLY, OK, PONG, ReplyError, Status } from '../protocol/reply.js';
import { REDIS_VERSION } from '../version.js';
import type { CommandSpec, Context } from './table.js';
import { isOpt } from './util.js';
import type { Client } from '../server/client.js';

const ERR_WRONGPASS = new ReplyError('WRONGPASS', 'invalid username-password pair or user is disabled.');

function passwordMatches(ctx: Context, user: string, pass: string): boolean {
  const required = ctx.server.config.getString('requirepass');
  if (user !== 'default') return false;
  if (required === '') return true;
  // Compare digests so the comparison time does not depend on where the strings differ.
  const a = createHash('sha256').update(pass, 'latin1').digest();
  const b = createHash('sha256').update(required, 'latin1').digest();
  return timingSafeEqual(a, b);
}

/** Return a client to its freshly connected state (RESET). */
export function resetClient(ctx: Context, c: Client): void {
  c.multi = null;
  ctx.server.unwatchAll(c);
  ctx.server.pubsub.unsubscribeAll(c);
  ctx.server.monitors.delete(c);
  c.monitor = false;
  c.db = 0;
  c.enc.resp = 2;
  c.name = '';
  c.authenticated = ctx.server.config.getString('requirepass') === '';
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
    group: 'connection',
    summary: 'Changes the selected database.',
    since: '1.0.0',
    complexity: 'O(1)',
    syntax: 'index',
    handler: (ctx, args) => {
      if (!/^-?\d+$/.test(args[1])) return new ReplyError('ERR', 'value is not an integer or out of range');
      const n = Number(args[1]);
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
      const user = args.length === 3 ? args[1] : 'default';
      const pass = args[args.length - 1];
      if (args.length === 2 && ctx.server.config.getString('requirepass') === '') {
        return new ReplyError(
          'ERR',
          'AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?',
        );
      }
      if (!passwordMatches(ctx, user, pass)) return ERR_WRONGPASS;
      ctx.client.authenticated = true;
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
      let authed = false;
      for (; i < args.length; i++) {
        const more = args.length - i - 1;
        if (isOpt(args[i], 'AUTH') && more >= 2) {
          if (!passwordMatches(ctx, args[i + 1], args[i + 2])) return ERR_WRONGPASS;
          authed = true;
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
      if (!c.authenticated && !authed) {
        return new ReplyError(
          'NOAUTH',
          'HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time',
        );
      }
      if (authed) c.authenticated = true;
      if (setName !== null) c.name = setName;
      c.enc.resp = proto;
      return new MapReply([
        'server', 'redis',
        'version', REDIS_VERSION,
        'proto', proto,
        'id', c.id,
        'mode', 'standalone',
        'role', 'master',
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
