// Command dispatch: Redis's processCommand + call(), driven entirely by the command table.
//
// execute() is what a client's request goes through: lookup (with Redis's exact "unknown command" /
// "unknown subcommand" texts), arity, authentication, maxmemory (eviction, -OOM), the RESP2
// subscribed-context rule, CLIENT PAUSE, MULTI queueing. call() runs a handler and does the
// bookkeeping every execution needs: command stats, slow log, MONITOR feed, and — for write commands
// that changed data — the write observers (persistence, WASM effect capture). EXEC and the WASM
// `call` host function use call() too, so there is exactly one place where executed writes are
// observed.

import { performance } from 'node:perf_hooks'; // the module's, not the global getter (~20 ns a read)
import { arityOk, Command, Context, keyIndexes } from '../commands/table.js';
import {
  errArity,
  NO_REPLY,
  QUEUED,
  Reply,
  ReplyError,
  Status,
} from '../protocol/reply.js';
import type { Client } from './client.js';
import { allowProtectedAction } from './protected-action.js';
import { bigArgsAllowed, errBigArg } from '../keyspace/bigstring.js';
import type { Server } from './server.js';
import { aclCheck } from '../acl/hooks.js';
import { mayReplicateCall } from './pause.js';
import { recordCommandLatency } from './latency.js';
import { metaReadOnlyKeyPositions, redisMeta } from '../commands/meta.js';
import { routeCommand } from '../cluster/route.js';

const ERR_NOAUTH = new ReplyError('NOAUTH', 'Authentication required.');

/** Redis's "unknown command" text: the name and the first arguments, each quoted. */
export function unknownCommandError(args: string[]): ReplyError {
  let rest = '';
  for (let i = 1; i < args.length && rest.length < 128; i++) {
    rest += `'${args[i].slice(0, 128 - rest.length)}' `;
  }
  return new ReplyError('ERR', `unknown command '${args[0].slice(0, 128)}', with args beginning with: ${rest}`);
}

/** Resolve argv to a command (and subcommand), or the error Redis would give. */
export function resolve(server: Server, args: string[]): Command | ReplyError {
  const cmd = server.table.lookup(args[0]);
  if (!cmd) return unknownCommandError(args);
  if (cmd.sub) {
    if (args.length === 1) return errArity(cmd.fullName);
    const sub = cmd.sub.get(args[1].toLowerCase());
    if (!sub) {
      return new ReplyError(
        'ERR',
        `unknown subcommand '${args[1].slice(0, 128)}'. Try ${cmd.spec.name.toUpperCase()} HELP.`,
      );
    }
    return sub;
  }
  return cmd;
}

export function execute(server: Server, client: Client, args: string[]): Reply {
  client.totalCommands++;
  // Redis's processCommand keeps the tracking table within tracking-table-max-keys before each
  // command; what it invalidates goes out at once, before this command's reply.
  if (server.tracking.clients !== 0) server.tracking.limitUsedSlots();
  server.currentClient = client; // cleared by Server.afterCommand, once the reply is written
  const n0 = args[0].length;
  if ((n0 === 4 || n0 === 5) && client.socket && isCrossProtocolAttack(args[0])) {
    // Redis's securityWarningCommand: an HTTP request (`POST …`, `Host: …`) sent to the port is a
    // cross-protocol scripting attempt. Close at once, dropping replies not yet written and the
    // rest of the pipeline, as Redis does.
    server.log.warn(
      { client: client.id, addr: client.addr },
      'Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. Connection aborted.',
    );
    client.closing = true;
    client.socket.destroy();
    return NO_REPLY;
  }
  const resolved = resolve(server, args);
  if (resolved instanceof ReplyError) {
    if (client.multi) client.multi.aborted = true;
    server.countError(resolved);
    return resolved;
  }
  const cmd = resolved;
  // An argument too long for a JS string reached only the commands that store it as a value.
  if (client.bigArgs !== null && !bigArgsAllowed(cmd.fullName, args, client.bigArgs, client.multi !== null)) {
    return reject(server, client, cmd, errBigArg(cmd.fullName, client.bigArgs));
  }
  // The checks below run in the order of Redis 7.0's processCommand, and every rejection goes
  // through reject() (Redis's rejectCommand): it flags an open transaction, and a rejected EXEC
  // itself answers EXECABORT.
  if (!arityOk(cmd.spec.arity, args.length)) return reject(server, client, cmd, errArity(cmd.fullName));
  const guard = cmd.spec.protectedBy ?? cmd.parent?.spec.protectedBy; // MODULE LOAD, not MODULE LIST
  if (guard !== undefined && !allowProtectedAction(server, client, guard)) {
    return reject(server, client, cmd, protectedCommandError(cmd, guard));
  }
  if (!client.authenticated && !cmd.noAuth) {
    return reject(server, client, cmd, ERR_NOAUTH);
  }
  if (client.multi && cmd.noMulti) {
    return reject(server, client, cmd, ERR_NO_MULTI);
  }
  // ACL (Redis 7.0: after auth and no_multi, before OOM). Users allowed everything skip it.
  if (!client.user.unrestricted) {
    const denied = aclCheck(server, client, cmd, args);
    if (denied) return reject(server, client, cmd, denied);
  }
  // Cluster redirection (Redis: after ACL, before OOM): -MOVED, -ASK, -CROSSSLOT … (cluster/route.ts).
  if (server.cluster !== null) {
    const redir = routeCommand(server, server.cluster, client, cmd, args);
    if (redir !== null) {
      cmd.rejectedCalls++;
      if (cmd.fullName === 'exec') {
        // Redis's discardTransaction: the redirection itself is the answer, not EXECABORT.
        client.multi = null;
        server.unwatchAll(client);
      } else if (client.multi) client.multi.aborted = true;
      server.countError(redir);
      return redir;
    }
  }
  // maxmemory (Redis's performEvictions + OOM rejection, src/server/memory.ts).
  if (server.memory.maxmemory !== 0) {
    const oom = server.memory.admit(client, cmd);
    if (oom) return reject(server, client, cmd, oom);
  }
  // Redis's writeCommandsDeniedByDiskError: while the AOF (or, with stop-writes-on-bgsave-error,
  // the last background save) fails, writes are refused — and PING too, as Redis does on a master,
  // and an EXEC whose queue holds a write (Redis's is_write_command), which answers EXECABORT.
  if (server.writeDenied && (cmd.isWrite || cmd.fullName === 'ping' || (cmd.fullName === 'exec' && queuesWrite(client)))) {
    return reject(server, client, cmd, server.writeDenied);
  }
  // Replication (src/replication): -NOREPLICAS (min-replicas-to-write), -READONLY on a read-only
  // replica, -MASTERDOWN while its link is down. null unless one of them can apply.
  if (server.replDeny !== null) {
    const denied = server.replDeny(cmd, client);
    if (denied) return reject(server, client, cmd, denied);
  }
  if (client.resp === 2 && client.subscriptionCount > 0 && !cmd.isPubsubCtx) {
    return reject(
      server,
      client,
      cmd,
      new ReplyError(
        'ERR',
        `Can't execute '${cmd.fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`,
      ),
    );
  }
  // CLIENT PAUSE comes before MULTI queueing in Redis: a paused client does not even get QUEUED,
  // and EXEC counts as a write when the transaction queued one (is_may_replicate_command).
  if (server.pauseUntil && client.socket && isPaused(server, client, cmd, args)) {
    client.paused = args;
    server.pausedClients.add(client);
    return NO_REPLY;
  }
  if (client.multi && !QUEUE_BYPASS.has(cmd.fullName)) {
    client.multi.queue.push({ cmd, args });
    return QUEUED;
  }
  // A key a MIGRATE is transferring: wait until the transfer settles (Server.inFlightKeys).
  if (server.inFlightKeys.length !== 0 && client.socket && touchesInFlight(server, client, cmd, args)) {
    client.paused = args;
    server.migrationWaiters.add(client);
    return NO_REPLY;
  }
  return call(server, client, cmd, args);
}

/** Whether the command (an EXEC: any queued one) names a key in flight in the client's db. */
function touchesInFlight(server: Server, client: Client, cmd: Command, args: string[]): boolean {
  const set = server.inFlightKeys[client.db];
  if (!set) return false;
  if (cmd.fullName === 'exec') {
    if (!client.multi) return false;
    for (const q of client.multi.queue) if (namesAny(set, q.cmd, q.args)) return true;
    return false;
  }
  return namesAny(set, cmd, args);
}

function namesAny(set: Set<string>, cmd: Command, args: string[]): boolean {
  const idx = keyIndexes(cmd, args);
  for (let i = 0; i < idx.length; i++) if (set.has(args[idx[i]])) return true;
  return false;
}

/** `post` or `host:` in any case, without allocating (INCR, HSET, LPUSH … have the same lengths). */
function isCrossProtocolAttack(s: string): boolean {
  if (s.length === 4) return lc(s, 0) === 0x70 && lc(s, 1) === 0x6f && lc(s, 2) === 0x73 && lc(s, 3) === 0x74; // post
  return lc(s, 0) === 0x68 && lc(s, 1) === 0x6f && lc(s, 2) === 0x73 && lc(s, 3) === 0x74 && s.charCodeAt(4) === 0x3a; // host:
}

/** Char code with ASCII letters folded to lowercase (b | 0x20 merges exactly a letter's two cases). */
function lc(s: string, i: number): number {
  return s.charCodeAt(i) | 0x20;
}

const ERR_NO_MULTI = new ReplyError('ERR', 'Command not allowed inside a transaction');

/** Redis's text for a CMD_PROTECTED command its enable-*-command parameter does not allow. */
function protectedCommandError(cmd: Command, param: string): ReplyError {
  const name = (cmd.parent ?? cmd).spec.name.toUpperCase();
  return new ReplyError(
    'ERR',
    `${name} command not allowed. If the ${param} option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`,
  );
}

/**
 * Redis's rejectCommand: count the rejection, flag the open transaction (EXEC will answer
 * EXECABORT), and when the rejected command is EXEC itself abort the transaction right away with
 * "EXECABORT Transaction discarded because of: <error>" — Redis does this even without MULTI, e.g.
 * `EXEC x` answers EXECABORT … wrong number of arguments for 'exec' command. The embedded error
 * keeps its code unless it is the generic ERR (rejectCommandFormat messages carry none).
 */
function reject(server: Server, client: Client, cmd: Command, err: ReplyError): Reply {
  cmd.rejectedCalls++;
  if (client.multi) client.multi.aborted = true;
  if (cmd.fullName === 'exec') {
    client.multi = null;
    server.unwatchAll(client);
    err = new ReplyError('EXECABORT', `Transaction discarded because of: ${err.code === 'ERR' ? err.message : err.wire}`);
  }
  server.countError(err);
  return err;
}

/**
 * Redis's pause test (is_may_replicate_command): writes, commands flagged CMD_MAY_REPLICATE
 * (PUBLISH, EVAL …, judged by a script's declared flags: pause.ts), and an EXEC whose queue holds
 * either.
 */
function isPaused(server: Server, client: Client, cmd: Command, args: string[]): boolean {
  if (server.isPausedFor(mayReplicateCall(server, cmd, args) ? AS_WRITE : cmd)) return true;
  if (cmd.fullName !== 'exec' || !client.multi) return false;
  for (const q of client.multi.queue) if (mayReplicateCall(server, q.cmd, q.args)) return server.isPausedFor(AS_WRITE);
  return false;
}

/** An open transaction with a write command queued (Redis's `c->mstate.cmd_flags & CMD_WRITE`). */
function queuesWrite(client: Client): boolean {
  return client.multi !== null && client.multi.queue.some((q) => q.cmd.isWrite);
}

/** Stand-in for "some write command" when asking Server.isPausedFor (it only reads isWrite). */
const AS_WRITE = { isWrite: true } as Command;
const NO_KEYS: readonly number[] = [];

/** Commands that run immediately even inside MULTI. */
const QUEUE_BYPASS = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);

/**
 * Run a resolved command for a client: the handler, then stats, slow log, MONITOR and write
 * observation. Used by execute(), EXEC and the WASM `call` host function.
 */
export function call(server: Server, client: Client, cmd: Command, args: string[]): Reply {
  const ctx: Context = { server, client, db: server.dbs[client.db] };
  const dirtyBefore = server.dirty;
  // A multi-key write modifies only some of its keys at times (DEL of a missing key, LMPOP's empty
  // lists): a key absent before and after was not modified and is not signalled (bit i: idx[i]).
  let idx: number[] | null = null;
  let absent = 0;
  // WASM.CALL's keys are signalled by the commands it runs, not here (Command.runsCommands).
  const signalKeys = cmd.isWrite && !cmd.runsCommands;
  if (signalKeys) {
    idx = keyIndexes(cmd, args);
    if ((idx.length > 1 || !cmd.signalsWrites) && idx.length <= 30) {
      const d = ctx.db.dict;
      for (let i = 0; i < idx.length; i++) if (!d.has(args[idx[i]])) absent |= 1 << i;
    }
  }
  const t0 = performance.now();
  server.handlerStart = t0;
  client.redacted = null;
  // The call this one runs inside (EXEC, a script), for tracking a script's reads (tracking.ts).
  const tracking = server.tracking;
  const parentCmd = tracking.runningCmd;
  const parentArgs = tracking.runningArgs;
  tracking.runningCmd = cmd;
  tracking.runningArgs = args;
  if (cmd.isWrite && server.beforeWriteObservers.length !== 0) {
    for (const fn of server.beforeWriteObservers) fn(ctx.db, cmd, args);
  }
  let reply: Reply;
  const writeLookups = server.writeLookups; // nested: a script's or WASM function's calls
  server.writeLookups = cmd.isWrite;
  try {
    reply = cmd.spec.handler!(ctx, args);
  } catch (err) {
    if (err instanceof ReplyError) reply = err;
    else {
      server.log.error({ err, command: cmd.fullName }, 'command handler crashed');
      reply = new ReplyError('ERR', `internal error in '${cmd.fullName}': ${(err as Error).message}`);
    }
  }
  server.writeLookups = writeLookups;
  tracking.runningCmd = parentCmd;
  tracking.runningArgs = parentArgs;
  // Client-side caching: a tracking client's read-only command remembers the keys it read.
  if (client.tracking !== 0 && cmd.isReadonly) tracking.afterRead(client, cmd, args, parentCmd, parentArgs);
  const usec = (performance.now() - t0) * 1000;
  if (cmd.spec.afterCall !== undefined) cmd.spec.afterCall(ctx, usec);
  cmd.calls++;
  cmd.usec += usec;
  server.stats.commandsProcessed++;
  client.lastCmd = cmd.fullName;
  if (reply instanceof ReplyError) {
    cmd.failedCalls++;
    server.countError(reply);
  }
  if (server.dirty !== dirtyBefore && cmd.isWrite) {
    // The command changed data: its keys are modified (WATCH invalidation, blocked clients),
    // then the write observers see it. Commands that touch keys outside their key positions
    // (MOVE, COPY DB, FLUSHALL) signal those themselves.
    // Keys the command only read (SUNIONSTORE's sources …) are not modified, as in Redis, nor
    // keys whose consumer groups alone changed (cmd.signalsWrites).
    const db = ctx.db;
    const keys = signalKeys ? idx! : NO_KEYS;
    const readOnly = cmd.readsSomeKeys ? metaReadOnlyKeyPositions(redisMeta(cmd.fullName)!, args) : null;
    for (let i = 0; i < keys.length; i++) {
      const key = args[keys[i]];
      const existed = (absent & (1 << i)) === 0;
      if (!existed && !db.dict.has(key)) continue;
      // Consumer-group changes: blocked readers may be served, nobody is told of a modification.
      if (!cmd.signalsWrites && existed) server.keyStateChanged(db, key);
      else if (readOnly === null || !readOnly.includes(keys[i])) server.keyModified(db, key);
    }
    if (cmd.noPropagate) {
      // The command emitted its effects itself (EXEC, WASM.CALL, blocking pops).
    } else {
      const rewritten = cmd.spec.propagate ? cmd.spec.propagate(ctx, args, reply) : null;
      const big = client.bigArgs;
      if (rewritten === null) server.emitWrite({ db: client.db, cmd, args, client, big });
      else for (const a of rewritten) server.emitWrite({ db: ctx.db.id, cmd: server.table.lookup(a[0])!, args: a, client, big: client.bigArgs });
    }
  }
  if (!client.blocked) recordCommandLatency(server, cmd, usec, cmd.isFast);
  // A command that blocked is logged when it is served (blocking.ts), as in Redis 7.0.
  if (!client.blocked) slowlogPush(server, client, cmd, client.redacted ? redactArgs(args, client.redacted) : args, usec);
  if (server.monitors.size > 0 && !cmd.skipMonitor && !cmd.isAdmin) {
    feedMonitors(server, client, client.redacted ? redactArgs(args, client.redacted) : args);
  }
  client.redacted = null;
  return reply;
}

/** The arguments as SLOWLOG and MONITOR show them: the redacted ones as `(redacted)`. */
function redactArgs(args: string[], idx: number[]): string[] {
  const out = args.slice();
  for (const i of idx) if (i < out.length) out[i] = '(redacted)';
  return out;
}

/** Redis's slowlogPushCurrentCommand: log the command if it took at least slowlog-log-slower-than µs. */
export function slowlogPush(server: Server, client: Client, cmd: Command, args: string[], usec: number): void {
  const slower = server.config.hot.slowlogSlowerThan;
  if (slower < 0 || usec < slower || cmd.skipSlowlog) return;
  const max = server.config.hot.slowlogMaxLen;
  if (max === 0) {
    // Redis pushes, then trims to the length: with 0 the log empties.
    server.slowlog.length = 0;
    return;
  }
  // Like Redis: at most 32 arguments, each at most 128 bytes, with a note about what was cut.
  const shown = args.slice(0, args.length > 32 ? 31 : 32).map((a) =>
    a.length > 128 ? `${a.slice(0, 128)}... (${a.length - 128} more bytes)` : a,
  );
  if (args.length > 32) shown.push(`... (${args.length - 31} more arguments)`);
  server.slowlog.unshift({
    id: server.slowlogNextId++,
    time: Math.floor(Date.now() / 1000),
    usec: Math.round(usec),
    args: shown,
    // A command a Lua script ran is logged as Redis's script client's: no address, no name.
    addr: client.inScript ? '?:0' : client.addr,
    name: client.inScript ? '' : client.name,
  });
  if (server.slowlog.length > max) server.slowlog.length = max;
}

/** MONITOR line: `+1339518083.107412 [0 127.0.0.1:60866] "keys" "*"`. */
function feedMonitors(server: Server, client: Client, args: string[]): void {
  const now = Date.now();
  const ts = `${Math.floor(now / 1000)}.${String((now % 1000) * 1000).padStart(6, '0')}`;
  const src = client.socket ? client.addr : 'lua';
  const line = `${ts} [${client.db} ${src}] ${args.map(quoteMonitorArg).join(' ')}`;
  for (const m of server.monitors) {
    if (m !== client) m.write(new Status(line));
  }
}

/** Quote like Redis's sdscatrepr: printable bytes as-is, others as \xHH, and \n \r \t \a \b. */
export function quoteMonitorArg(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i];
    if (ch === '\\' || ch === '"') out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c === 7) out += '\\a';
    else if (c === 8) out += '\\b';
    else if (c < 32 || c > 126) out += '\\x' + c.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + '"';
}
