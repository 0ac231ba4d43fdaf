// Lua scripting commands (Redis 7.0): EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT *, FUNCTION *,
// FCALL, FCALL_RO. The engine lives in src/scripting/ (lua-vm, engine, eval, functions, libs).
//
// EVAL/FCALL are flagged no_propagate: their effects reach the AOF as the commands the script ran,
// grouped as MULTI/EXEC (engine.ts captures them), so replay never re-runs Lua. FUNCTION LOAD /
// DELETE / FLUSH / RESTORE change persisted state and propagate as themselves.

import { OK, Reply, ReplyError, ERR_NOT_INTEGER, ERR_SYNTAX } from '../protocol/reply.js';
import { ERR_NOSCRIPT, scriptingOf } from '../scripting/eval.js';

import type { CommandSpec, Context } from './table.js';
import { isOpt } from './util.js';

const GROUP = 'scripting';
const ERR_NOTBUSY = new ReplyError('NOTBUSY', 'No scripts in execution right now.');

/** numkeys of EVAL-style commands: the keys and args, or Redis's error. */
function splitKeys(args: string[]): { keys: string[]; argv: string[] } | ReplyError {
  const s = args[2];
  if (!/^-?\d+$/.test(s) || s.length > 20) return ERR_NOT_INTEGER;
  const n = Number(s);
  if (!Number.isSafeInteger(n)) return ERR_NOT_INTEGER;
  if (n < 0) return new ReplyError('ERR', "Number of keys can't be negative");
  if (n > args.length - 3) return new ReplyError('ERR', "Number of keys can't be greater than number of args");
  return { keys: args.slice(3, 3 + n), argv: args.slice(3 + n) };
}

/** Key positions of EVAL-style commands. */
function evalKeys(args: string[]): number[] {
  const n = Number(args[2]);
  if (!Number.isInteger(n) || n <= 0 || n > args.length - 3) return [];
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(3 + i);
  return out;
}

function evalCommand(bySha: boolean, readonly: boolean) {
  return (ctx: Context, args: string[]): Reply => {
    const parts = splitKeys(args);
    if (parts instanceof ReplyError) return parts;
    const sc = scriptingOf(ctx.server);
    let sha: string;
    if (bySha) {
      sha = args[1].length === 40 ? args[1].toLowerCase() : '';
      if (!sc.scripts.has(sha)) return ERR_NOSCRIPT;
    } else {
      const r = sc.load(args[1]);
      if (r instanceof ReplyError) return r;
      sha = r;
    }
    return sc.run(ctx.client, sha, parts.keys, parts.argv, readonly);
  };
}

function fcallCommand(readonly: boolean) {
  return (ctx: Context, args: string[]): Reply => {
    const parts = splitKeys(args);
    if (parts instanceof ReplyError) return parts;
    return scriptingOf(ctx.server).functions.call(ctx.client, args[1], parts.keys, parts.argv, readonly);
  };
}

function flushMode(args: string[], err: string): ReplyError | null {
  if (args.length === 2) return null;
  if (args.length === 3 && (isOpt(args[2], 'ASYNC') || isOpt(args[2], 'SYNC'))) return null;
  return new ReplyError('ERR', err);
}

const evalSpec = (name: string, bySha: boolean, ro: boolean, summary: string): CommandSpec => ({
  name,
  arity: -3,
  flags: ro ? ['readonly', 'noscript', 'skip_monitor', 'no_propagate', 'stale'] : ['noscript', 'skip_monitor', 'no_propagate', 'stale'],
  keys: [0, 0, 0],
  getKeys: evalKeys,
  group: GROUP,
  summary,
  since: ro ? '7.0.0' : bySha ? '2.6.0' : '2.6.0',
  complexity: 'Depends on the script that is executed.',
  syntax: `${bySha ? 'sha1' : 'script'} numkeys [key [key ...]] [arg [arg ...]]`,
  handler: evalCommand(bySha, ro),
});

const fcallSpec = (name: string, ro: boolean, summary: string): CommandSpec => ({
  name,
  arity: -3,
  flags: ro ? ['readonly', 'noscript', 'skip_monitor', 'no_propagate', 'stale'] : ['noscript', 'skip_monitor', 'no_propagate', 'stale'],
  keys: [0, 0, 0],
  getKeys: evalKeys,
  group: GROUP,
  summary,
  since: '7.0.0',
  complexity: 'Depends on the function that is executed.',
  syntax: 'function numkeys [key [key ...]] [arg [arg ...]]',
  handler: fcallCommand(ro),
});

const sub = (s: Omit<CommandSpec, 'keys' | 'group'> & Partial<Pick<CommandSpec, 'keys'>>): CommandSpec => ({ keys: [0, 0, 0], group: GROUP, ...s });

/** SCRIPT KILL / FUNCTION KILL: a script runs synchronously to completion, so none is ever running
 * when one of these is processed. */
const killSub = (summary: string, since: string): CommandSpec =>
  sub({ name: 'kill', arity: 2, flags: ['noscript', 'allow_busy'], summary, since, complexity: 'O(1)', handler: () => ERR_NOTBUSY });

const helpSub = (since: string, handler: () => Reply): CommandSpec =>
  sub({ name: 'help', arity: 2, flags: ['loading', 'stale'], summary: 'Returns helpful text about the different subcommands.', since, complexity: 'O(1)', handler });

export const scriptingCommands: CommandSpec[] = [
  evalSpec('eval', false, false, 'Executes a server-side Lua script.'),
  evalSpec('evalsha', true, false, 'Executes a server-side Lua script by SHA1 digest.'),
  evalSpec('eval_ro', false, true, 'Executes a read-only server-side Lua script.'),
  evalSpec('evalsha_ro', true, true, 'Executes a read-only server-side Lua script by SHA1 digest.'),
  fcallSpec('fcall', false, 'Invokes a function.'),
  fcallSpec('fcall_ro', true, 'Invokes a read-only function.'),
  {
    name: 'script',
    arity: -2,
    flags: [],
    keys: [0, 0, 0],
    group: GROUP,
    summary: 'A container for Lua scripts management commands.',
    since: '2.6.0',
    subcommands: [
      sub({
        name: 'load',
        arity: 3,
        flags: ['noscript', 'stale'],
        summary: 'Loads a server-side Lua script to the script cache.',
        since: '2.6.0',
        complexity: 'O(N) with N being the length in bytes of the script body.',
        syntax: 'script',
        handler: (ctx, args) => scriptingOf(ctx.server).load(args[2]),
      }),
      sub({
        name: 'exists',
        arity: -3,
        flags: ['noscript', 'stale'],
        summary: 'Determines whether server-side Lua scripts exist in the script cache.',
        since: '2.6.0',
        complexity: 'O(N) with N being the number of scripts to check.',
        syntax: 'sha1 [sha1 ...]',
        handler: (ctx, args) => {
          const sc = scriptingOf(ctx.server);
          return args.slice(2).map((s) => (sc.scripts.has(s.toLowerCase()) ? 1 : 0));
        },
      }),
      sub({
        name: 'flush',
        arity: -2,
        flags: ['noscript', 'stale'],
        summary: 'Removes all server-side Lua scripts from the script cache.',
        since: '2.6.0',
        complexity: 'O(N) with N being the number of scripts in cache',
        syntax: '[ASYNC | SYNC]',
        handler: (ctx, args) => {
          const e = flushMode(args, 'SCRIPT FLUSH only support SYNC|ASYNC option');
          if (e) return e;
          scriptingOf(ctx.server).flush();
          return OK;
        },
      }),
      killSub('Terminates a server-side Lua script during execution.', '2.6.0'),
      helpSub('5.0.0', () => SCRIPT_HELP),
    ],
  },
  {
    name: 'function',
    arity: -2,
    flags: [],
    keys: [0, 0, 0],
    group: GROUP,
    summary: 'A container for function commands.',
    since: '7.0.0',
    subcommands: [
      sub({
        name: 'load',
        arity: -3,
        flags: ['write', 'denyoom', 'noscript'],
        summary: 'Creates a library.',
        since: '7.0.0',
        complexity: 'O(1) (considering compilation time is redundant)',
        syntax: '[REPLACE] function-code',
        handler: (ctx, args) => {
          let replace = false;
          let i = 2;
          for (; i < args.length - 1; i++) {
            if (isOpt(args[i], 'REPLACE')) replace = true;
            else return new ReplyError('ERR', `Unknown option given: ${args[i]}`);
          }
          const r = scriptingOf(ctx.server).functions.load(args[args.length - 1], replace);
          if (typeof r === 'string') ctx.server.dirty++;
          return r;
        },
      }),
      sub({
        name: 'delete',
        arity: 3,
        flags: ['write', 'noscript'],
        summary: 'Deletes a library and its functions.',
        since: '7.0.0',
        complexity: 'O(1)',
        syntax: 'library-name',
        handler: (ctx, args) => {
          if (!scriptingOf(ctx.server).functions.delete(args[2])) return new ReplyError('ERR', 'Library not found');
          ctx.server.dirty++;
          return OK;
        },
      }),
      sub({
        name: 'flush',
        arity: -2,
        flags: ['write', 'noscript'],
        summary: 'Deletes all libraries and functions.',
        since: '7.0.0',
        complexity: 'O(N) where N is the number of functions deleted',
        syntax: '[ASYNC | SYNC]',
        handler: (ctx, args) => {
          const e = flushMode(args, 'FUNCTION FLUSH only supports SYNC|ASYNC option');
          if (e) return e;
          scriptingOf(ctx.server).functions.flush();
          ctx.server.dirty++;
          return OK;
        },
      }),
      sub({
        name: 'list',
        arity: -2,
        flags: ['noscript'],
        summary: 'Returns information about all libraries.',
        since: '7.0.0',
        complexity: 'O(N) where N is the number of functions',
        syntax: '[LIBRARYNAME library-name-pattern] [WITHCODE]',
        handler: (ctx, args) => {
          let pattern: string | null = null;
          let withCode = false;
          for (let i = 2; i < args.length; i++) {
            if (isOpt(args[i], 'WITHCODE')) withCode = true;
            else if (isOpt(args[i], 'LIBRARYNAME')) {
              if (i + 1 >= args.length) return new ReplyError('ERR', 'library name argument was not given');
              pattern = args[++i];
            } else return new ReplyError('ERR', `Unknown argument ${args[i]}`);
          }
          return scriptingOf(ctx.server).functions.list(pattern, withCode);
        },
      }),
      sub({
        name: 'dump',
        arity: 2,
        flags: ['noscript'],
        summary: 'Dumps all libraries into a serialized binary payload.',
        since: '7.0.0',
        complexity: 'O(N) where N is the number of functions',
        handler: (ctx) => scriptingOf(ctx.server).functions.dump(),
      }),
      sub({
        name: 'restore',
        arity: -3,
        flags: ['write', 'denyoom', 'noscript'],
        summary: 'Restores all libraries from a payload.',
        since: '7.0.0',
        complexity: 'O(N) where N is the number of functions on the payload',
        syntax: 'serialized-value [FLUSH | APPEND | REPLACE]',
        handler: (ctx, args) => {
          let policy: 'APPEND' | 'REPLACE' | 'FLUSH' = 'APPEND';
          if (args.length > 4) return ERR_SYNTAX;
          if (args.length === 4) {
            const p = args[3].toUpperCase();
            if (p !== 'APPEND' && p !== 'REPLACE' && p !== 'FLUSH') {
              return new ReplyError('ERR', 'Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.');
            }
            policy = p;
          }
          const r = scriptingOf(ctx.server).functions.restore(args[2], policy);
          if (r instanceof ReplyError) return r;
          ctx.server.dirty++;
          return OK;
        },
      }),
      sub({
        name: 'stats',
        arity: 2,
        flags: ['noscript', 'allow_busy'],
        summary: 'Returns information about a function during execution.',
        since: '7.0.0',
        complexity: 'O(1)',
        handler: (ctx) => scriptingOf(ctx.server).functions.stats(),
      }),
      killSub('Terminates a function during execution.', '7.0.0'),
      helpSub('7.0.0', () => FUNCTION_HELP),
    ],
  },
];

const SCRIPT_HELP = [
  'SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'EXISTS <sha1> [<sha1> ...]',
  '    Return information about the existence of the scripts in the script cache.',
  'FLUSH [ASYNC|SYNC]',
  '    Flush the Lua scripts cache. Very dangerous on replicas.',
  'KILL',
  '    Kill the currently executing Lua script.',
  'LOAD <script>',
  '    Load a script into the scripts cache without executing it.',
  'HELP',
  '    Print this help.',
];

const FUNCTION_HELP = [
  'FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'LOAD [REPLACE] <FUNCTION CODE>',
  'DELETE <LIBRARY NAME>',
  'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
  'FLUSH [ASYNC|SYNC]',
  'DUMP',
  'RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]',
  'STATS',
  'KILL',
  'HELP',
];


