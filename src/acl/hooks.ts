// Where the ACL meets the rest of the server: the permission check dispatch, EXEC and the script
// paths call (with Redis 7.0's error texts and ACL LOG entries), authentication (AUTH, HELLO AUTH),
// what happens to connected clients when their user changes or goes away, protected mode, and
// loading users from config.toml `user` lines or the `aclfile`.

import { resolve as resolvePath } from 'node:path';
import type { Command } from '../commands/table.js';
import { clientInfoLine } from '../commands/server.js';
import { NoPermError, ReplyError } from '../protocol/reply.js';
import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import { Acl, AclCommand, AclLogContext, AclRuleError, AclUser, ACL_OK, DENIED_AUTH, DENIED_CHANNEL, DENIED_CMD, DENIED_KEY, mergeSelectorArgs } from './acl.js';

export const ERR_WRONGPASS = new ReplyError('WRONGPASS', 'invalid username-password pair or user is disabled.');

const NOPERM_KEYS = new NoPermError('this user has no permissions to access one of the keys used as arguments');
const NOPERM_CHANNELS = new NoPermError('this user has no permissions to access one of the channels used as arguments');

/** The result of a denied check: Redis's ACL_DENIED_* code, the command, the offending argument. */
export interface AclDenial {
  code: number;
  acmd: AclCommand;
  pos: number;
}

const scratch = { i: 0 };

/**
 * Check a command for a client's user; null when allowed. Dispatch calls it only for users that are
 * not `unrestricted`, so the default user pays nothing.
 */
export function aclDenial(server: Server, user: AclUser, cmd: Command, args: string[]): AclDenial | null {
  const acmd = server.acl.reg.ofCall(cmd, args);
  scratch.i = 0;
  const r = user.check(acmd, args, scratch);
  if (r === ACL_OK) return null;
  return { code: r, acmd, pos: scratch.i };
}

/** Add the ACL LOG entry for a denial (addACLLogEntry). */
export function logDenial(server: Server, client: Client, d: AclDenial, args: string[], context: AclLogContext): void {
  const object = d.code === DENIED_CMD ? d.acmd.fullName : args[d.pos];
  server.acl.addLog(d.code, context, object, client.user.name, clientInfoLine(client, { args, cmd: d.acmd.fullName }));
}

/** The -NOPERM error a client gets for a denied command (processCommand). */
export function noPermError(d: AclDenial): ReplyError {
  if (d.code === DENIED_KEY) return NOPERM_KEYS;
  if (d.code === DENIED_CHANNEL) return NOPERM_CHANNELS;
  return new NoPermError(`this user has no permissions to run the '${d.acmd.fullName}' command`);
}

/**
 * The dispatch hook (Redis 7.0 processCommand, after authentication and before OOM): null when the
 * client's user may run the command, else the NOPERM error, with the ACL LOG entry added.
 */
export function aclCheck(server: Server, client: Client, cmd: Command, args: string[]): ReplyError | null {
  const d = aclDenial(server, client.user, cmd, args);
  if (!d) return null;
  logDenial(server, client, d, args, client.multi ? 'multi' : 'toplevel');
  return noPermError(d);
}

/** EXEC re-checks every queued command: the rules may have changed since it was queued. */
export function aclCheckQueued(server: Server, client: Client, cmd: Command, args: string[]): ReplyError | null {
  if (client.user.unrestricted) return null;
  const d = aclDenial(server, client.user, cmd, args);
  if (!d) return null;
  logDenial(server, client, d, args, 'multi');
  const reason =
    d.code === DENIED_CMD
      ? 'no permission to execute the command or subcommand'
      : d.code === DENIED_KEY
        ? 'no permission to touch the specified keys'
        : 'no permission to access one of the channels used as arguments';
  return new NoPermError(
    `ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: ${reason}`,
  );
}

/** Redis's getAclErrorMessage: the words after "The user executing the script " for scripts. */
export function scriptAclMessage(code: number): string {
  switch (code) {
    case DENIED_CMD:
      return "can't run this command or subcommand";
    case DENIED_KEY:
      return "can't access at least one of the keys mentioned in the command arguments";
    case DENIED_CHANNEL:
      return "can't publish to the channel mentioned in the command";
    default:
      return 'lacking the permissions for the command';
  }
}

/**
 * AUTH / HELLO AUTH: authenticate `client` as `name`. On failure the ACL LOG gets an `auth` entry
 * (object: the command name, as Redis logs argv[0]) and the caller answers WRONGPASS.
 */
export function authenticate(server: Server, client: Client, name: string, pass: string, cmdName: string): boolean {
  const u = server.acl.authenticate(name, pass);
  if (u) {
    client.user = u;
    client.authenticated = true;
    return true;
  }
  server.acl.addLog(DENIED_AUTH, client.multi ? 'multi' : 'toplevel', cmdName, name, clientInfoLine(client, { args: [cmdName], cmd: cmdName.toLowerCase() }));
  return false;
}

/** A new connection's state (createClient): the default user, authenticated when it needs no password. */
export function initialAuth(server: Server, client: Client): void {
  const d = server.acl.defaultUser;
  client.user = d;
  client.authenticated = d.nopass && d.enabled;
}

/** ACL DELUSER / ACL LOAD: the user's clients are put back to the default user, unauthenticated, and closed. */
export function killClientsOf(server: Server, u: AclUser, current: Client | null): void {
  for (const c of [...server.clients.values()]) {
    if (c.user !== u) continue;
    c.user = server.acl.defaultUser;
    c.authenticated = false;
    if (c === current) c.closeAfterCommand = true;
    else {
      server.disconnect(c);
      c.socket?.destroy();
    }
  }
}

/**
 * ACLKillPubsubClientsIfNeeded, simplified: after a user's rules changed, close its subscribed
 * clients whose channels or patterns the new rules no longer allow.
 */
export function killPubsubClientsIfNeeded(server: Server, u: AclUser): void {
  if (u.selectors.some((s) => s.allChannels)) return;
  const allowed = u.selectors.flatMap((s) => s.channels);
  for (const c of [...server.clients.values()]) {
    if (c.user !== u || c.subscriptionCount === 0) continue;
    let kill = false;
    for (const p of c.patterns) if (!allowed.includes(p)) kill = true;
    if (!kill) {
      for (const ch of [...c.channels, ...c.shardChannels]) {
        if (!u.selectors.some((s) => s.checkChannel(ch, false))) kill = true;
      }
    }
    if (kill) {
      server.disconnect(c);
      c.socket?.destroy();
    }
  }
}

/**
 * Users at startup (ACLLoadUsersAtStartup): `requirepass`, then the `user` lines of config.toml, then
 * the aclfile. Both user lines and an aclfile is a configuration error, as in Redis. Throws Error
 * with the message to print.
 */
export function loadUsersAtStartup(server: Server): void {
  const acl = server.acl;
  acl.pubsubAllDefault = server.config.getString('acl-pubsub-default') === 'allchannels';
  acl.logMaxLen = server.config.getInt('acllog-max-len');
  const pass = server.config.getString('requirepass');
  if (pass !== '') acl.setDefaultPassword(pass);
  const lines = server.config.getString('user').split('\n').filter((l) => l.trim() !== '');
  const file = server.config.getString('aclfile');
  if (file !== '' && lines.length > 0) {
    throw new Error(
      'Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both.',
    );
  }
  const seen = new Set<string>();
  for (const line of lines) {
    const argv = line.trim().split(/\s+/);
    const name = argv[0];
    if (seen.has(name)) throw new Error(`Error in user declaration '${line}': Duplicate user found. A user can only be defined once in config files`);
    seen.add(name);
    const merged = mergeSelectorArgs(argv.slice(1));
    if (!merged.ok) throw new Error(`Error in user declaration '${line}': Unmatched parenthesis in acl selector starting at '${argv[1 + merged.at]}'.`);
    let u = acl.users.get(name);
    if (u) u.apply('reset');
    else {
      u = acl.newUser(name);
      acl.users.set(name, u);
    }
    for (const r of merged.args) {
      try {
        u.apply(r);
      } catch (e) {
        throw new Error(`Error loading ACL rule '${r}' for the user named '${name}': ${Acl.ruleErrorText(e)}`);
      }
    }
    if (!u.enabled) {
      server.log.info(`The user '${name}' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error.`);
    }
  }
  if (file !== '') {
    try {
      acl.replaceUsers(acl.loadFile(aclPath(server)));
    } catch (e) {
      if (e instanceof AclRuleError) throw new Error(`Aborting Redis startup because of ACL errors: ${e.message}`);
      throw e;
    }
  }
}

/** The aclfile path: relative paths are relative to `dir`, like every file Lodestone reads or writes. */
export function aclPath(server: Server): string {
  return resolvePath(server.config.getString('dir'), server.config.getString('aclfile'));
}

/** ACL LOAD: replace every user from the file, closing the clients of users that are gone. */
export function aclLoad(server: Server): void {
  const users = server.acl.loadFile(aclPath(server));
  const removed = server.acl.replaceUsers(users);
  for (const u of removed) killClientsOf(server, u, null);
}

/**
 * Protected mode (Redis 7.0 clientAcceptHandler): with protected-mode on and a default user that
 * needs no password, only clients from 127.0.0.1 or ::1 are served; any other source address —
 * 127.0.0.2 too, exactly as Redis compares the text — gets -DENIED and is closed.
 */
export function protectedModeDenies(server: Server, remoteAddress: string | undefined): boolean {
  if (!server.config.getBool('protected-mode')) return false;
  if (!server.acl.defaultUser.nopass) return false;
  const ip = remoteAddress ?? '';
  return !(ip === '127.0.0.1' || ip === '::1' || ip === '::ffff:127.0.0.1');
}

export const DENIED_PROTECTED =
  "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n";
