// CLIENT TRACKING / CACHING / GETREDIR / TRACKINGINFO: the client-side caching subcommands of
// CLIENT, with Redis 7.0.15's option parsing, check order and error texts (networking.c
// clientCommand). The tracking itself is src/server/tracking.ts; these only change a client's state.

import { ERR_SYNTAX, MapReply, OK, Reply, ReplyError, SetReply } from '../protocol/reply.js';
import { parseInt64 } from '../util/numbers.js';
import {
  byteOrder,
  Tracking,
  TRACKING_BCAST,
  TRACKING_CACHING,
  TRACKING_NOLOOP,
  TRACKING_ON,
  TRACKING_OPTIN,
  TRACKING_OPTOUT,
} from '../server/tracking.js';
import type { CommandSpec, Context } from './table.js';
import { isOpt } from './util.js';

const err = (msg: string) => new ReplyError('ERR', msg);
const ERR_NOT_INTEGER = err('value is not an integer or out of range');

function clientTracking(ctx: Context, args: string[]): Reply {
  const c = ctx.client;
  const server = ctx.server;
  let redirect = 0;
  let options = 0;
  const prefixes: string[] = [];
  for (let j = 3; j < args.length; j++) {
    const more = args.length - 1 - j;
    const opt = args[j];
    if (isOpt(opt, 'REDIRECT') && more > 0) {
      j++;
      if (redirect !== 0) return err('A client can only redirect to a single other client');
      const id = parseInt64(args[j]);
      if (id === null) return ERR_NOT_INTEGER;
      // Required to exist now, though it may disconnect later (then: tracking-redir-broken).
      redirect = Number(id);
      if (!server.clients.has(redirect)) return err('The client ID you want redirect to does not exist');
    } else if (isOpt(opt, 'BCAST')) {
      options |= TRACKING_BCAST;
    } else if (isOpt(opt, 'OPTIN')) {
      options |= TRACKING_OPTIN;
    } else if (isOpt(opt, 'OPTOUT')) {
      options |= TRACKING_OPTOUT;
    } else if (isOpt(opt, 'NOLOOP')) {
      options |= TRACKING_NOLOOP;
    } else if (isOpt(opt, 'PREFIX') && more > 0) {
      prefixes.push(args[++j]);
    } else {
      return ERR_SYNTAX;
    }
  }
  if (isOpt(args[2], 'ON')) {
    if (!(options & TRACKING_BCAST) && prefixes.length > 0) return err('PREFIX option requires BCAST mode to be enabled');
    if (c.tracking & TRACKING_ON && !!(c.tracking & TRACKING_BCAST) !== !!(options & TRACKING_BCAST)) {
      return err(
        "You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.",
      );
    }
    if (options & TRACKING_BCAST && options & (TRACKING_OPTIN | TRACKING_OPTOUT)) {
      return err('OPTIN and OPTOUT are not compatible with BCAST');
    }
    if (options & TRACKING_OPTIN && options & TRACKING_OPTOUT) return err("You can't specify both OPTIN mode and OPTOUT mode");
    if ((options & TRACKING_OPTIN && c.tracking & TRACKING_OPTOUT) || (options & TRACKING_OPTOUT && c.tracking & TRACKING_OPTIN)) {
      return err(
        "You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.",
      );
    }
    if (options & TRACKING_BCAST) {
      const collision = server.tracking.prefixCollision(c, prefixes);
      if (collision !== null) return err(collision);
    }
    server.tracking.enable(c, redirect, options, prefixes);
  } else if (isOpt(args[2], 'OFF')) {
    server.tracking.disable(c);
  } else {
    return ERR_SYNTAX;
  }
  return OK;
}

function clientCaching(ctx: Context, args: string[]): Reply {
  const c = ctx.client;
  if (!(c.tracking & TRACKING_ON)) {
    return err('CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled');
  }
  if (isOpt(args[2], 'YES')) {
    if (!(c.tracking & TRACKING_OPTIN)) return err('CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.');
  } else if (isOpt(args[2], 'NO')) {
    if (!(c.tracking & TRACKING_OPTOUT)) return err('CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.');
  } else {
    return ERR_SYNTAX;
  }
  // Lasts for the next command (or transaction): Tracking.afterCommand clears it.
  c.tracking |= TRACKING_CACHING;
  return OK;
}

function trackingInfo(ctx: Context): Reply {
  const c = ctx.client;
  const on = (c.tracking & TRACKING_ON) !== 0;
  const prefixes = c.trackingPrefixes ? [...c.trackingPrefixes].sort(byteOrder) : [];
  return new MapReply([
    'flags',
    new SetReply(Tracking.flagNames(c)),
    'redirect',
    on ? c.trackingRedirect : -1,
    'prefixes',
    prefixes,
  ]);
}

const FLAGS: CommandSpec['flags'] = ['noscript', 'loading', 'stale'];
const sub = (name: string, arity: number, summary: string, since: string, complexity: string, handler: CommandSpec['handler'], syntax?: string): CommandSpec => ({
  name,
  arity,
  flags: FLAGS,
  keys: [0, 0, 0],
  group: 'connection',
  summary,
  since,
  complexity,
  syntax,
  handler,
});

/** The subcommands, for CLIENT's table entry (src/commands/server.ts). */
export const clientTrackingCommands: CommandSpec[] = [
  sub(
    'tracking', -3, 'Enable or disable server assisted client side caching support', '6.0.0',
    'O(1). Some options may introduce additional complexity.', clientTracking,
    '<ON | OFF> [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]',
  ),
  sub('caching', 3, 'Instruct the server about tracking or not keys in the next request', '6.0.0', 'O(1)', clientCaching, '<YES | NO>'),
  sub('getredir', 2, 'Get tracking notifications redirection client ID if any', '6.0.0', 'O(1)', (ctx) =>
    ctx.client.tracking & TRACKING_ON ? ctx.client.trackingRedirect : -1,
  ),
  sub('trackinginfo', 2, 'Return information about server assisted client side caching for the current connection', '6.2.0', 'O(1)', trackingInfo),
];
