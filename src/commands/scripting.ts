// Lua scripting commands (Redis 7.0): EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT *, FUNCTION *,
// FCALL, FCALL_RO. The engine lives in src/scripting/ (lua-vm, engine, eval, functions, libs).
//
// EVAL/FCALL are flagged no_propagate: their effects reach the AOF as the commands the script ran,
// grouped as MULTI/EXEC (engine.ts captures them), so replay never re-runs Lua. FUNCTION LOAD /
// DELETE / FLUSH / RESTORE change persisted state and propagate as themselves.

import { OK, Reply, ReplyError, ERR_NOT_INTEGER, Status } from '../protocol/reply.js';
import { ERR_NOSCRIPT, scriptingOf } from '../scripting/eval.js';
import { parseLongLong } from '../util/numbers.js';

import type { CommandSpec, Context } from './table.js';
import { isOpt } from './util.js';

const GROUP = 'scripting';
const ERR_NOTBUSY = new ReplyError('NOTBUSY', 'No scripts in execution right now.');

const ERR_TOO_MANY_KEYS = new ReplyError('ERR', "Number of keys can't be greater than number of args");
const ERR_NEGATIVE_KEYS = new ReplyError('ERR', "Number of keys can't be negative");
const ERR_BAD_NUMKEYS = new ReplyError('ERR', 'Bad number of keys provided');

/**
 * numkeys of EVAL-style commands (string2ll rules: no '+', no leading zeros): the keys and args, or
 * Redis's error. `notInt` is what a non-integer gets: EVAL's "value is not an integer", FCALL's
 * "Bad number of keys provided".
 */
function splitKeys(args: string[], notInt: ReplyError): { keys: string[]; argv: string[] } | ReplyError {
  const v = parseLongLong(args[2]);
  if (v === null) return notInt;
  if (v > args.length - 3) return ERR_TOO_MANY_KEYS;
  if (v < 0) return ERR_NEGATIVE_KEYS;
  const n = Number(v);
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
    // EVALSHA of something that is not 40 characters long is NOSCRIPT before numkeys is read.
    if (bySha && args[1].length !== 40) return ERR_NOSCRIPT;
    const parts = splitKeys(args, ERR_NOT_INTEGER);
    if (parts instanceof ReplyError) return parts;
    const sc = scriptingOf(ctx.server);
    let sha: string;
    if (bySha) {
      sha = args[1].toLowerCase();
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
    // Redis looks the function up first, then reads numkeys.
    const fns = scriptingOf(ctx.server).functions;
    if (!fns.find(args[1])) return ERR_NO_FUNCTION;
    const parts = splitKeys(args, ERR_BAD_NUMKEYS);
    if (parts instanceof ReplyError) return parts;
    return fns.call(ctx.client, args[1], parts.keys, parts.argv, readonly);
  };
}

const ERR_NO_FUNCTION = new ReplyError('ERR', 'Function not found');

/** Redis's addReplySubcommandSyntaxError. */
function subcommandSyntaxError(args: string[]): ReplyError {
  return new ReplyError('ERR', `unknown subcommand or wrong number of arguments for '${args[1].slice(0, 128)}'. Try ${args[0].toUpperCase()} HELP.`);
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
      sub({
        name: 'debug',
        arity: 3,
        flags: ['noscript'],
        summary: 'Sets the debug mode of server-side Lua scripts.',
        since: '3.2.0',
        complexity: 'O(1)',
        syntax: 'YES | SYNC | NO',
        handler: (ctx, args) => {
          if (ctx.client.inExec || ctx.client.hasPendingReplies) return new ReplyError('ERR', 'SCRIPT DEBUG must be called outside a pipeline');
          const mode = args[2].toUpperCase();
          // Debugging is always off: NO is what every script already runs with.
          if (mode === 'NO') return OK;
          if (mode === 'YES' || mode === 'SYNC') return ERR_NO_LDB;
          return new ReplyError('ERR', 'Use SCRIPT DEBUG YES/SYNC/NO');
        },
      }),
      killSub('Terminates a server-side Lua script during execution.', '2.6.0'),
      helpSub('5.0.0', () => helpReply('SCRIPT', SCRIPT_HELP)),
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
          // The AOF replay (a client without a socket) loads without the 500 ms load timeout.
          const r = scriptingOf(ctx.server).functions.load(args[args.length - 1], replace, ctx.client.socket !== null);
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
          if (args.length > 3) return subcommandSyntaxError(args);
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
            // Each option once: a repeated one is an unknown argument, as in Redis.
            if (!withCode && isOpt(args[i], 'WITHCODE')) withCode = true;
            else if (pattern === null && isOpt(args[i], 'LIBRARYNAME')) {
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
          if (args.length > 4) return subcommandSyntaxError(args);
          if (args.length === 4) {
            const p = args[3].toUpperCase();
            if (p !== 'APPEND' && p !== 'REPLACE' && p !== 'FLUSH') {
              return new ReplyError('ERR', 'Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.');
            }
            policy = p;
          }
          const r = scriptingOf(ctx.server).functions.restore(Buffer.from(args[2], 'latin1'), policy);
          if (r) return r;
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
      helpSub('7.0.0', () => helpReply('FUNCTION', FUNCTION_HELP)),
    ],
  },
];

const ERR_NO_LDB = new ReplyError('ERR', 'SCRIPT DEBUG YES|SYNC: Lodestone has no Lua debugger (scripts run to completion)');

/** A HELP reply: one status line per line of text, like Redis's addReplyHelp. */
function helpReply(name: string, lines: string[]): Reply {
  return [
    new Status(`${name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`),
    ...lines.map((l) => new Status(l)),
    new Status('HELP'),
    new Status('    Prints this help.'),
  ];
}

// Redis 7.0.15's texts (scriptCommand, functionHelpCommand).
const SCRIPT_HELP = [
  'DEBUG (YES|SYNC|NO)',
  '    Set the debug mode for subsequent scripts executed.',
  'EXISTS <sha1> [<sha1> ...]',
  '    Return information about the existence of the scripts in the script cache.',
  'FLUSH [ASYNC|SYNC]',
  '    Flush the Lua scripts cache. Very dangerous on replicas.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the scripts cache.',
  '    * SYNC: Synchronously flush the scripts cache.',
  'KILL',
  '    Kill the currently executing Lua script.',
  'LOAD <script>',
  '    Load a script into the scripts cache without executing it.',
];

const FUNCTION_HELP = [
  'LOAD [REPLACE] <FUNCTION CODE>',
  '    Create a new library with the given library name and code.',
  'DELETE <LIBRARY NAME>',
  '    Delete the given library.',
  'LIST [LIBRARYNAME PATTERN] [WITHCODE]',
  '    Return general information on all the libraries:',
  '    * Library name',
  '    * The engine used to run the Library',
  '    * Library description',
  '    * Functions list',
  '    * Library code (if WITHCODE is given)',
  '    It also possible to get only function that matches a pattern using LIBRARYNAME argument.',
  'STATS',
  '    Return information about the current function running:',
  '    * Function name',
  '    * Command used to run the function',
  '    * Duration in MS that the function is running',
  '    If no function is running, return nil',
  '    In addition, returns a list of available engines.',
  'KILL',
  '    Kill the current running function.',
  'FLUSH [ASYNC|SYNC]',
  '    Delete all the libraries.',
  '    When called without the optional mode argument, the behavior is determined by the',
  '    lazyfree-lazy-user-flush configuration directive. Valid modes are:',
  '    * ASYNC: Asynchronously flush the libraries.',
  '    * SYNC: Synchronously flush the libraries.',
  'DUMP',
  '    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command',
  'RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]',
  '    Restore the libraries represented by the given payload, it is possible to give a restore policy to',
  '    control how to handle existing libraries (default APPEND):',
  '    * FLUSH: delete all existing libraries.',
  '    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.',
  '    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old',
  '      libraries with the new libraries (notice that even on this option there is a chance of failure',
  '      in case of functions name collision with another library).',
];
