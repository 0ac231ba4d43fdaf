// Script flags, Redis 7.0's: declared in an EVAL script's `#!lua flags=…` first line or in
// redis.register_function's `flags`, and enforced the same way for both before a script runs
// (Redis's scriptPrepareForRun): `no-writes` makes the run read-only and is what *_RO needs,
// `allow-oom` lets a script that may write start while memory is over maxmemory. `allow-stale`,
// `no-cluster` and `allow-cross-slot-keys` are accepted and listed; they concern replicas and
// cluster mode, which Lodestone does not have. An EVAL script without a shebang keeps Redis's
// compatibility mode: no flags, its commands are checked one by one.

import { ReplyError } from '../protocol/reply.js';
import { splitInline } from '../protocol/parser.js';
import { ERR_OOM } from '../server/memory.js';
import type { Server } from '../server/server.js';

/** Flags Redis 7.0 accepts in a script shebang and in redis.register_function. */
export const SCRIPT_FLAGS = ['no-writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'];

/**
 * Redis 7.0's evalExtractShebangFlags: a body starting `#!` must be `#!<engine> [flags=a,b]` on its
 * first line, engine `lua`. Returns the flags, null without a shebang, or the error Redis gives.
 */
export function shebangFlags(body: string): string[] | null | ReplyError {
  if (!body.startsWith('#!')) return null;
  const nl = body.indexOf('\n');
  if (nl < 0) return new ReplyError('ERR', 'Invalid script shebang');
  // The line is split like sdssplitargs (any whitespace, quotes); the flags like sdssplitlen on ','
  // (so an empty flag between two commas is an unknown one).
  const parts = splitInline(body.slice(0, nl));
  if (parts === null || parts.length === 0) return new ReplyError('ERR', 'Invalid engine in script shebang');
  if (parts[0] !== '#!lua') return new ReplyError('ERR', `Unexpected engine in script shebang: ${parts[0]}`);
  const flags: string[] = [];
  for (const opt of parts.slice(1)) {
    if (!opt.startsWith('flags=')) return new ReplyError('ERR', `Unknown lua shebang option: ${opt}`);
    const list = opt.slice(6);
    for (const f of list === '' ? [] : list.split(',')) {
      if (!SCRIPT_FLAGS.includes(f)) return new ReplyError('ERR', `Unexpected flag in script shebang: ${f}`);
      flags.push(f);
    }
  }
  return flags;
}

/**
 * The run-time rules of script flags (Redis's scriptPrepareForRun), shared by EVAL scripts with a
 * shebang and functions: a script that may write cannot run from *_RO, and one that may write
 * without `allow-oom` is refused while memory is over maxmemory. Returns the effective read-only
 * mode, or the refusal.
 */
export function checkScriptFlags(server: Server, flags: string[], ro: boolean): boolean | ReplyError {
  const noWrites = flags.includes('no-writes');
  if (ro && !noWrites) return ERR_RO_WRITE_FLAG;
  const m = server.memory;
  if (!noWrites && !flags.includes('allow-oom') && m.maxmemory !== 0 && m.used() > m.maxmemory) return ERR_OOM;
  return ro || noWrites;
}

const ERR_RO_WRITE_FLAG = new ReplyError('ERR', 'Can not execute a script with write flag using *_ro command.');
