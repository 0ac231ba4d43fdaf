// CLIENT PAUSE WRITE's test of a call (Redis 7.0's is_may_replicate_command in processCommand, fed
// by getCommandFlags): a command is held when it is a write or may replicate (PUBLISH, PFCOUNT,
// EVAL, FCALL … — CMD_MAY_REPLICATE, Command.mayReplicate in table.ts), except that a script
// that declares flags is judged by them (scriptFlagsToCmdFlags): `#!lua flags=no-writes` or a
// function registered with no-writes runs during the pause, a script with flags but without
// no-writes is a write. EVAL without a shebang (compatibility mode) and an EVALSHA or FCALL of an
// unknown script or function keep the command's own flags, as in Redis.

import { createHash } from 'node:crypto';
import type { Command } from '../commands/table.js';
import { hasScripting } from '../scripting/eval.js';
import { shebangFlags } from '../scripting/flags.js';
import type { Server } from './server.js';

/** The flags a script call declared (EVAL*, FCALL*), or null where the command's flags apply. */
function declaredScriptFlags(server: Server, cmd: Command, args: string[]): string[] | null {
  const name = cmd.fullName;
  const isEval = name === 'eval' || name === 'eval_ro';
  const isSha = name === 'evalsha' || name === 'evalsha_ro';
  const isFcall = name === 'fcall' || name === 'fcall_ro';
  if ((!isEval && !isSha && !isFcall) || args.length < 2) return null;
  const scripting = hasScripting(server);
  if (isFcall) return scripting?.functions.find(args[1])?.flags ?? null;
  if (isSha && args[1].length !== 40) return null;
  const sha = isSha ? args[1].toLowerCase() : createHash('sha1').update(Buffer.from(args[1], 'latin1')).digest('hex');
  const cached = scripting?.scripts.get(sha);
  if (cached) return cached.flags;
  if (isSha) return null;
  const f = shebangFlags(args[1]);
  return Array.isArray(f) ? f : null;
}

/** Whether CLIENT PAUSE WRITE holds this call. */
export function mayReplicateCall(server: Server, cmd: Command, args: string[]): boolean {
  const declared = declaredScriptFlags(server, cmd, args);
  if (declared !== null) return !declared.includes('no-writes');
  return cmd.mayReplicate;
}
