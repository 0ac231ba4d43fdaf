// The one path by which script code runs a Redis command — WASM functions (src/wasm/host.ts) and Lua
// scripts (src/scripting/) alike: resolve, arity, the script rules read from the command table's
// flags (noscript, write, readonly, admin — as in Redis 7.0, `blocking` and `pubsub` alone do not
// refuse: BLMPOP and XREAD run without blocking, XREAD BLOCK refuses itself, PUBLISH runs), the caller's restrictions (read-only
// call, function permissions), the undo log that makes a failed call leave no writes, then the
// ordinary dispatch call() so stats, slow log, MONITOR, WATCH invalidation and the write observers
// see the command exactly as if a client had sent it.
//
// The rules are shared; the words are not: each engine passes a ScriptCallPolicy whose `refuse`
// turns a refusal into its own error (a WasmError for WASM, Redis's exact Lua texts for Lua).

import { resolve, call as dispatchCall } from './dispatch.js';
import { arityOk, Command, keyIndexes } from '../commands/table.js';
import { errArity, Reply, ReplyError } from '../protocol/reply.js';
import type { UndoLog } from '../keyspace/undo.js';
import type { Database } from '../keyspace/db.js';
import type { Client } from './client.js';
import type { Server } from './server.js';
import { aclDenial, logDenial, scriptAclMessage } from '../acl/hooks.js';
import type { AclLogContext } from '../acl/acl.js';

/** Why a command was refused. */
export type Refusal =
  | 'unknown' // no such command (the resolve error is passed along)
  | 'arity'
  | 'denied' // never allowed from a script (noscript, blocking, pubsub, connection state, …)
  | 'readonly' // a write from a read-only call (*_RO, no-writes function)
  | 'no-write' // a write without the WRITE permission (WASM)
  | 'no-admin' // an admin command without ADMIN (WASM)
  | 'no-read' // a read without READ (WASM)
  | 'oom' // a denyoom command while over maxmemory
  | 'repl' // refused by replication (-READONLY on a read-only replica, -NOREPLICAS); detail: the error
  | 'acl'; // the calling user's ACL denies the command, a key or a channel (detail: Redis's script text)

/** Commands no script may run: they change connection state or the server, not data. */
export const SCRIPT_DENIED = new Set([
  'multi', 'exec', 'discard', 'watch', 'unwatch',
  'shutdown', 'monitor', 'subscribe', 'psubscribe', 'unsubscribe', 'punsubscribe', 'ssubscribe',
  'sunsubscribe', 'client|pause', 'quit', 'reset', 'hello', 'auth',
]);

const ERR_OTHER_DB = new ReplyError('ERR', "it reaches a database other than the caller's");

export interface ScriptCallPolicy {
  /** Extra commands refused for this engine (WASM also refuses SELECT and WASM.*). */
  extraDenied?: (cmd: Command) => boolean;
  readonly: boolean;
  canWrite: boolean;
  canRead: boolean;
  canAdmin: boolean;
  /** ACL LOG context of a denial: 'lua' for Lua (as Redis), 'module' for WASM functions. */
  aclContext?: AclLogContext;
  /**
   * Confine the script to the caller's database: refuse every command whose CommandSpec.otherDb
   * says it reaches another one (SELECT, MOVE, SWAPDB, FLUSHALL, COPY … DB n). WASM sets it; Lua
   * does not (Redis lets scripts SELECT, MOVE and COPY … DB n).
   */
  sameDbOnly?: boolean;
  /** Refuse writes flagged denyoom while over maxmemory (Lua: Redis's -OOM rule inside scripts). */
  checkOom?: boolean;
  /**
   * Memo of the per-command part of the deny rules (SCRIPT_DENIED, extraDenied, noscript): they
   * depend only on the command, so a policy kept across calls (WASM keeps one per instance)
   * decides each command once.
   */
  deniedMemo?: Map<Command, boolean>;
  /** Turn a refusal into the engine's error: throw it, or return the reply the script gets. */
  refuse(kind: Refusal, cmd: Command | null, detail: ReplyError | null): ReplyError;
}

/** Run one command for a script under `policy`, saving what it writes in `undo`. */
export function runScriptCommand(
  server: Server,
  client: Client,
  args: string[],
  policy: ScriptCallPolicy,
  undo: UndoLog,
): Reply {
  if (args.length === 0) return policy.refuse('unknown', null, new ReplyError('ERR', 'empty command'));
  const cmd = resolve(server, args);
  if (cmd instanceof ReplyError) return policy.refuse('unknown', null, cmd);
  if (!arityOk(cmd.spec.arity, args.length)) return policy.refuse('arity', cmd, errArity(cmd.fullName));
  const flags = cmd.spec.flags;
  // As in Redis 7.0, `pubsub` alone does not refuse: PUBLISH and PUBSUB … run from scripts (write
  // then notify); SUBSCRIBE and friends are noscript.
  const memo = policy.deniedMemo;
  let denied = memo?.get(cmd);
  if (denied === undefined) {
    denied = SCRIPT_DENIED.has(cmd.fullName) || policy.extraDenied?.(cmd) === true || flags.includes('noscript');
    memo?.set(cmd, denied);
  }
  if (denied) return policy.refuse('denied', cmd, null);
  if (policy.sameDbOnly && cmd.spec.otherDb?.(args, client.db) === true) {
    return policy.refuse('denied', cmd, ERR_OTHER_DB);
  }
  // Functions run with the caller's rights (Redis's scriptVerifyACL): every command, key and
  // channel a script touches is checked against the calling client's user.
  if (!client.user.unrestricted) {
    const d = aclDenial(server, client.user, cmd, args);
    if (d) {
      logDenial(server, client, d, args, policy.aclContext ?? 'lua');
      return policy.refuse('acl', cmd, new ReplyError('ERR', `The user executing the script ${scriptAclMessage(d.code)}`));
    }
  }
  if (cmd.isWrite) {
    if (policy.readonly) return policy.refuse('readonly', cmd, null);
    if (!policy.canWrite) return policy.refuse('no-write', cmd, null);
  }
  if (cmd.isAdmin && !policy.canAdmin) return policy.refuse('no-admin', cmd, null);
  // A read-only replica refuses a script's writes as it refuses a client's (Redis's scriptCall).
  if (server.replDeny !== null && cmd.isWrite) {
    const d = server.replDeny(cmd, client);
    if (d) return policy.refuse('repl', cmd, d);
  }
  const idx = keyIndexes(cmd, args);
  // Every command flagged readonly needs READ, not only those with key arguments: KEYS, SCAN,
  // RANDOMKEY and DBSIZE read the keyspace without key positions.
  if (!cmd.isWrite && (idx.length > 0 || cmd.isReadonly) && !policy.canRead) return policy.refuse('no-read', cmd, null);
  if (policy.checkOom && server.memory.maxmemory !== 0 && flags.includes('denyoom')) {
    const oom = server.memory.admit(client, cmd);
    if (oom) return policy.refuse('oom', cmd, oom);
  }
  if (cmd.isWrite) saveForUndo(server, client, cmd, args, idx, undo);
  return dispatchCall(server, client, cmd, args);
}

/**
 * Save, before a write runs, every key it may change — its key positions, and the keys that
 * commands write outside them: COPY … DB n and MOVE (the key in the other database), FLUSHDB and
 * FLUSHALL (every key of the databases they empty), SWAPDB (in both databases every key either
 * holds, so each side can be put back exactly). The last three cost O(keys), as the commands do.
 */
function saveForUndo(server: Server, client: Client, cmd: Command, args: string[], idx: number[], undo: UndoLog): void {
  const db = server.dbs[client.db];
  for (let i = 0; i < idx.length; i++) undo.save(db, args[idx[i]]);
  const dbAt = (s: string) => {
    const n = Number(s);
    return Number.isInteger(n) && n >= 0 && n < server.dbs.length ? server.dbs[n] : null;
  };
  const saveAll = (target: Database, from: Database) => {
    for (const k of from.dict.keys()) undo.save(target, k);
  };
  switch (cmd.fullName) {
    case 'copy':
      for (let j = 3; j + 1 < args.length; j++) {
        if (args[j].toLowerCase() !== 'db') continue;
        const other = dbAt(args[j + 1]);
        if (other) undo.save(other, args[2]);
        j++;
      }
      break;
    case 'move': {
      const other = dbAt(args[2]);
      if (other) undo.save(other, args[1]);
      break;
    }
    case 'flushdb':
      saveAll(db, db);
      break;
    case 'flushall':
      for (const d of server.dbs) saveAll(d, d);
      break;
    case 'swapdb': {
      const a = dbAt(args[1]);
      const b = dbAt(args[2]);
      if (a && b && a !== b) {
        for (const [x, y] of [[a, a], [a, b], [b, a], [b, b]] as const) saveAll(x, y);
      }
      break;
    }
  }
}
