// Server / admin commands: COMMAND, INFO, CONFIG, CLIENT, SLOWLOG, MONITOR, TIME, LASTSAVE, DBSIZE,
// FLUSHDB, FLUSHALL, SWAPDB, SHUTDOWN, DEBUG, ROLE — Redis 7.0's replies and error texts.
//
// COMMAND INFO/DOCS are generated from the command table by src/commands/docs.ts; INFO's text comes
// from src/server/info.ts. CONFIG GET/SET go through the parameter table (src/config/schema.ts) with
// Redis's validation order and messages (unknown → immutable → duplicate, then every value parsed
// before any is applied, so a failing CONFIG SET changes nothing).
//
// Where Lodestone deliberately differs from Redis 7.0:
//   - COMMAND is dispatched as a plain command that handles its own subcommands (dispatch requires a
//     subcommand for containers, but bare COMMAND is valid); COMMAND INFO/DOCS still list them.
//   - CONFIG REWRITE rewrites the TOML file in place (src/config/rewrite.ts): comments are kept,
//     values are updated where the file has them, and new keys go into their [table].
//   - DEBUG has SLEEP, OBJECT and HELP only; as in Redis 7.0 it is refused unless
//     enable-debug-command allows it (dispatch, CommandSpec.protectedBy).
//   - CLIENT SETINFO and CLIENT NO-TOUCH (Redis 7.2) are accepted, since node-redis 4.7+/5 send
//     SETINFO on connect.

import { performance } from 'node:perf_hooks'; // the module's, not the global getter (~20 ns a read)
import { encodingOf } from '../keyspace/encoding.js';
import { resolve as resolvePath } from 'node:path';
import {
  DoubleReply,
  errArity,
  ERR_NOT_INTEGER,
  ERR_SYNTAX,
  MapReply,
  NO_REPLY,
  OK,
  Reply,
  ReplyError,
  SetReply,
  Status,
  VerbatimReply,
} from '../protocol/reply.js';
import type { AclUser } from '../acl/acl.js';
import { PARAM_BY_NAME, PARAMS, ParamSpec, ParamValue, parseMemory, parseParam } from '../config/schema.js';
import { globMatch } from '../util/glob.js';
import { rewriteConfigFile, RewriteError } from '../config/rewrite.js';
import { fileConflict } from '../config/paths.js';
import { allowProtectedAction } from '../server/protected-action.js';
import { checkMaxclients } from '../server/fd-limit.js';
import { parseDouble, parseInt64, parseIntArg } from '../util/numbers.js';
import { EXPIRE_BYTES, KEY_ENTRIES, keyBytes, stringBytes, valueBytes } from '../keyspace/memsize.js';
import { pinoLevel } from '../log.js';
import { genInfo } from '../server/info.js';
import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import type { Database } from '../keyspace/db.js';
import { Deque } from '../keyspace/deque.js';
import { BigString } from '../keyspace/bigstring.js';
import { Stream } from '../keyspace/stream.js';
import { arityOk, Command, CommandSpec, Context, keyIndexes } from './table.js';
import {
  aclCategories,
  CommandView,
  commandDocsReply,
  commandInfoReply,
  hasKeys,
  keyFlags,
  SelfDispatchingSpec,
  viewOf,
  walkViews,
} from './docs.js';
import { isOpt } from './util.js';
import { debugExtra } from './debug.js';
import { KeyRef, metaGetKeys, metaHasKeys, redisMeta } from './meta.js';
import { clientTrackingCommands } from './tracking.js';
import { TRACKING_BCAST, TRACKING_BROKEN_REDIR, TRACKING_ON } from '../server/tracking.js';

// ---- Helpers -----------------------------------------------------------------------------------

/** A HELP reply: one status line per line of text, like Redis's addReplyHelp. */
function helpReply(name: string, lines: string[]): Reply {
  return [
    new Status(`${name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`),
    ...lines.map((l) => new Status(l)),
    new Status('HELP'),
    new Status('    Prints this help.'),
  ];
}

/** Redis's addReplySubcommandSyntaxError. */
function subcommandSyntaxError(args: string[]): ReplyError {
  return new ReplyError(
    'ERR',
    `unknown subcommand or wrong number of arguments for '${args[1].slice(0, 128)}'. Try ${args[0].toUpperCase()} HELP.`,
  );
}

/** An integer argument within [min, max], or the given error text. */
function rangeInt(s: string, min: number, max: number, msg: string): number {
  const n = parseIntArg(s);
  if (n === null || n < min || n > max) throw new ReplyError('ERR', msg);
  return n;
}

function viewsOf(server: Server): CommandView[] {
  return [...server.table.commands.values()].map(viewOf);
}

/** Find a command or subcommand by `name` or `container|sub` (COMMAND INFO/DOCS). */
function findView(server: Server, name: string): CommandView | undefined {
  const [top, sub] = name.toLowerCase().split('|', 2);
  const cmd = server.table.lookup(top);
  if (!cmd) return undefined;
  const v = viewOf(cmd);
  if (sub === undefined) return v;
  return v.subs.find((s) => s.spec.name === sub);
}

// ---- COMMAND -----------------------------------------------------------------------------------

const COMMAND_HELP = [
  '(no subcommand)',
  '    Return details about all Redis commands.',
  'COUNT',
  '    Return the total number of commands in this Redis server.',
  'LIST',
  '    Return a list of all commands in this Redis server.',
  'INFO [<command-name> ...]',
  '    Return details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'DOCS [<command-name> ...]',
  '    Return documentation details about multiple Redis commands.',
  '    If no command names are given, documentation details for all',
  '    commands are returned.',
  'GETKEYS <full-command>',
  '    Return the keys from a full Redis command.',
  'GETKEYSANDFLAGS <full-command>',
  '    Return the keys and the access flags from a full Redis command.',
];

/**
 * COMMAND GETKEYS / GETKEYSANDFLAGS (getKeysSubcommandImpl): the keys of the call in args[2…] with
 * their key-spec flags — Redis's key specs and getkeys procs (meta.ts) for the commands Redis has,
 * the spec's key positions for Lodestone's own.
 */
function getKeysOf(server: Server, args: string[]): Reply[] | ReplyError {
  const argv = args.slice(2);
  const top = server.table.lookup(argv[0]);
  let cmd: Command | undefined = top;
  if (top?.sub && argv.length >= 2) cmd = top.sub.get(argv[1].toLowerCase());
  if (!cmd) return new ReplyError('ERR', 'Invalid command specified');
  const meta = redisMeta(cmd.fullName);
  if (!(meta ? metaHasKeys(meta) : hasKeys(cmd.spec))) return new ReplyError('ERR', 'The command has no key arguments');
  if (!arityOk(cmd.spec.arity, argv.length)) {
    return new ReplyError('ERR', 'Invalid number of arguments specified for command');
  }
  let keys: KeyRef[];
  if (meta) keys = metaGetKeys(meta, argv);
  else {
    const flags = keyFlags(cmd.spec);
    try {
      keys = keyIndexes(cmd, argv).filter((i) => i < argv.length).map((pos) => ({ pos, flags }));
    } catch {
      keys = [];
    }
  }
  if (keys.length === 0) {
    if (meta?.flags.has('no_mandatory_keys')) return [];
    return new ReplyError('ERR', 'Invalid arguments specified for command');
  }
  return keys.map((k) => [argv[k.pos], k.flags]);
}

const commandSubcommands: CommandSpec[] = [
  {
    name: 'count',
    arity: 2,
    flags: ['loading', 'stale'],
    keys: [0, 0, 0],
    group: 'server connection',
    summary: 'Get total number of Redis commands',
    since: '2.8.13',
    complexity: 'O(1)',
    handler: (ctx) => ctx.server.table.commands.size,
  },
  {
    name: 'list',
    arity: -2,
    flags: ['loading', 'stale'],
    keys: [0, 0, 0],
    group: 'server connection',
    summary: 'Get an array of Redis command names',
    since: '7.0.0',
    complexity: 'O(N) where N is the total number of Redis commands',
    syntax: '[FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>]',
    handler: (ctx, args) => {
      let filter: ((v: CommandView) => boolean) | null = null;
      for (let i = 2; i < args.length; i++) {
        const more = args.length - 1 - i;
        if (isOpt(args[i], 'FILTERBY') && more === 2) {
          const type = args[i + 1].toUpperCase();
          const arg = args[i + 2];
          if (type === 'MODULE') filter = () => false;
          else if (type === 'ACLCAT') {
            const cat = arg.toLowerCase();
            filter = (v) => aclCategories(v.spec, v.fullName).includes(cat);
          } else if (type === 'PATTERN') filter = (v) => globMatch(arg, v.fullName, true);
          else return ERR_SYNTAX;
          i += 2;
        } else {
          return ERR_SYNTAX;
        }
      }
      const out: Reply[] = [];
      for (const v of walkViews(viewsOf(ctx.server))) if (!filter || filter(v)) out.push(v.fullName);
      return out;
    },
  },
  {
    name: 'info',
    arity: -2,
    flags: ['loading', 'stale'],
    keys: [0, 0, 0],
    group: 'server connection',
    summary: 'Get array of specific Redis command details, or all when no argument is given.',
    since: '2.8.13',
    complexity: 'O(N) where N is the number of commands to look up',
    syntax: '[command-name [command-name ...]]',
    handler: (ctx, args) => {
      if (args.length === 2) return viewsOf(ctx.server).map(commandInfoReply);
      return args.slice(2).map((name) => {
        const v = findView(ctx.server, name);
        return v ? commandInfoReply(v) : null;
      });
    },
  },
  {
    name: 'docs',
    arity: -2,
    flags: ['loading', 'stale'],
    keys: [0, 0, 0],
    group: 'server connection',
    summary: 'Get array of specific Redis command documentation',
    since: '7.0.0',
    complexity: 'O(N) where N is the number of commands to look up',
    syntax: '[command-name [command-name ...]]',
    handler: (ctx, args) => {
      const out: Reply[] = [];
      if (args.length === 2) {
        for (const v of viewsOf(ctx.server)) out.push(v.fullName, commandDocsReply(v));
      } else {
        for (const name of args.slice(2)) {
          const v = findView(ctx.server, name);
          if (v) out.push(v.fullName, commandDocsReply(v));
        }
      }
      return new MapReply(out);
    },
  },
  {
    name: 'getkeys',
    arity: -4,
    flags: ['loading', 'stale'],
    keys: [0, 0, 0],
    group: 'server connection',
    summary: 'Extract keys given a full Redis command',
    since: '2.8.13',
    complexity: 'O(N) where N is the number of arguments to the command',
    handler: (ctx, args) => {
      const r = getKeysOf(ctx.server, args);
      return r instanceof ReplyError ? r : r.map((k) => (k as Reply[])[0]);
    },
  },
  {
    name: 'getkeysandflags',
    arity: -4,
    flags: ['loading', 'stale'],
    keys: [0, 0, 0],
    group: 'server connection',
    summary: 'Extract keys and access flags given a full Redis command',
    since: '7.0.0',
    complexity: 'O(N) where N is the number of arguments to the command',
    handler: (ctx, args) => {
      const r = getKeysOf(ctx.server, args);
      if (r instanceof ReplyError) return r;
      return r.map((k) => {
        const [key, flags] = k as [string, string[]];
        return [key, new SetReply(flags.map((f) => new Status(f)))];
      });
    },
  },
  {
    name: 'help',
    arity: 2,
    flags: ['loading', 'stale'],
    keys: [0, 0, 0],
    group: 'server connection',
    summary: 'Show helpful text about the different subcommands',
    since: '5.0.0',
    complexity: 'O(1)',
    handler: () => helpReply('COMMAND', COMMAND_HELP),
  },
];

const commandSubByName = new Map(commandSubcommands.map((s) => [s.name, s]));

const commandSpec: SelfDispatchingSpec = {
  name: 'command',
  arity: -1,
  flags: ['loading', 'stale'],
  keys: [0, 0, 0],
  group: 'server connection',
  summary: 'Get array of Redis command details',
  since: '2.8.13',
  complexity: 'O(N) where N is the total number of Redis commands',
  docSubcommands: commandSubcommands,
  handler: (ctx, args) => {
    if (args.length === 1) return viewsOf(ctx.server).map(commandInfoReply);
    const sub = commandSubByName.get(args[1].toLowerCase());
    if (!sub) {
      return new ReplyError('ERR', `unknown subcommand '${args[1].slice(0, 128)}'. Try COMMAND HELP.`);
    }
    if (!arityOk(sub.arity, args.length)) return errArity(`command|${sub.name}`);
    return sub.handler!(ctx, args);
  },
};

// ---- CONFIG ------------------------------------------------------------------------------------

/** Redis 7.0 keeps these pairs as one parameter under two names; setting one sets both. */
const CONFIG_ALIASES: Record<string, string> = {
  'hash-max-ziplist-entries': 'hash-max-listpack-entries',
  'hash-max-ziplist-value': 'hash-max-listpack-value',
  'zset-max-ziplist-entries': 'zset-max-listpack-entries',
  'zset-max-ziplist-value': 'zset-max-listpack-value',
  'list-max-ziplist-size': 'list-max-listpack-size',
};
for (const [a, b] of Object.entries(CONFIG_ALIASES)) CONFIG_ALIASES[b] = a;

const INT_MAX = '2147483647';
const LLONG_MAX = '9223372036854775807';
/** Redis 7.0's bounds, for its "argument must be between" text when a value is outside them. */
const INT_MIN = '-2147483648';
const REDIS_RANGE: Record<string, [string, string]> = {
  timeout: ['0', INT_MAX],
  'tcp-keepalive': ['0', INT_MAX],
  maxclients: ['1', '4294967295'],
  'maxmemory-samples': ['1', INT_MAX],
  'slowlog-log-slower-than': ['-1', LLONG_MAX],
  'slowlog-max-len': ['0', LLONG_MAX],
  'proto-max-bulk-len': ['1048576', LLONG_MAX],
  'client-query-buffer-limit': ['1048576', LLONG_MAX],
  maxmemory: ['0', '18446744073709551615'],
  'auto-aof-rewrite-percentage': ['0', INT_MAX],
  'lfu-log-factor': ['0', INT_MAX],
  'lfu-decay-time': ['0', INT_MAX],
  'busy-reply-threshold': ['0', LLONG_MAX],
  'lua-time-limit': ['0', LLONG_MAX],
  'list-max-listpack-size': [INT_MIN, INT_MAX],
  'list-max-ziplist-size': [INT_MIN, INT_MAX],
  'list-compress-depth': ['0', INT_MAX],
  'hash-max-listpack-entries': ['0', LLONG_MAX],
  'hash-max-ziplist-entries': ['0', LLONG_MAX],
  'set-max-intset-entries': ['0', LLONG_MAX],
  'set-max-listpack-entries': ['0', LLONG_MAX],
  'zset-max-listpack-entries': ['0', LLONG_MAX],
  'zset-max-ziplist-entries': ['0', LLONG_MAX],
  'stream-node-max-entries': ['0', LLONG_MAX],
};
/** Enum values in the order Redis lists them in its error text. */
const REDIS_ENUM_ORDER: Record<string, string> = {
  appendfsync: 'everysec, always, no',
  'maxmemory-policy':
    'volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction',
};

/** Parse a CONFIG SET value with Redis's messages; throws Error(message). */
function parseConfigValue(spec: ParamSpec, raw: string, current: ParamValue): ParamValue {
  if (spec.name === 'hz') {
    // Redis accepts any non-negative int and clamps it to 1..500.
    if (!/^(0|-?[1-9]\d{0,18})$/.test(raw) || BigInt(raw) > 9223372036854775807n || BigInt(raw) < -9223372036854775808n) {
      throw new Error("argument couldn't be parsed into an integer");
    }
    const n = Number(raw);
    if (n < 0 || BigInt(raw) > 2147483647n) throw new Error('argument must be between 0 and 2147483647 inclusive');
    return Math.min(500, Math.max(1, n));
  }
  if (spec.name === 'save') {
    const parts = raw.split(/\s+/).filter(Boolean);
    const ok =
      parts.length % 2 === 0 &&
      parts.every((p, i) => /^-?\d+$/.test(p) && (i % 2 === 0 ? Number(p) >= 1 : Number(p) >= 0));
    if (!ok) throw new Error('Invalid save parameters');
    return parts.join(' ');
  }
  if (spec.type === 'memory' && raw.trim().startsWith('-')) throw new Error('argument must be a memory value');
  try {
    const v = parseParam(spec, raw, current);
    // Redis's own bounds bind even where Lodestone's table has none (timeout 4294967296, -1 entries).
    const range = REDIS_RANGE[spec.name];
    const big = typeof v !== 'number' ? 0n : /^-?\d+$/.test(raw) ? BigInt(raw) : BigInt(Math.trunc(v));
    if (range && typeof v === 'number' && (big < BigInt(range[0]) || big > BigInt(range[1]))) {
      throw new Error(`argument must be between ${range[0]} and ${range[1]} inclusive`);
    }
    return v;
  } catch (e) {
    let msg = (e as Error).message;
    const range = REDIS_RANGE[spec.name];
    if (msg.startsWith('argument must be between')) {
      // Outside Redis's own bounds: Redis's text. Inside them but outside Lodestone's: ours.
      const n = spec.type === 'memory' ? (parseMemory(raw) ?? 0) : Number(raw);
      if (range && (n < Number(range[0]) || n > Number(range[1]))) {
        msg = `argument must be between ${range[0]} and ${range[1]} inclusive`;
      } else {
        msg = msg.replace('-infinity', '-9223372036854775808').replace('infinity', LLONG_MAX);
      }
    }
    if (msg.startsWith('argument(s) must be one of') && REDIS_ENUM_ORDER[spec.name]) {
      msg = `argument(s) must be one of the following: ${REDIS_ENUM_ORDER[spec.name]}`;
    }
    throw new Error(msg);
  }
}

/** Parameters whose change is checked against the other files (paths.ts fileConflict). */
const PATH_PARAMS = new Set(['dir', 'dbfilename', 'appendfilename', 'logfile', 'aclfile', 'wasm.module_dir']);

function configGet(ctx: Context, args: string[]): Reply {
  const seen = new Set<string>();
  const out: Reply[] = [];
  // Like Redis, an exact name is echoed as given (`MAXMEMORY`), a pattern yields canonical names;
  // each parameter appears once.
  const add = (name: string, shown: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const v = name === 'dir' ? resolvePath(ctx.server.config.getString('dir')) : ctx.server.config.format(name);
    out.push(shown, v);
  };
  for (let i = 2; i < args.length; i++) {
    const pat = args[i];
    if (!/[*?[]/.test(pat)) {
      const spec = PARAM_BY_NAME.get(pat.toLowerCase());
      if (spec && !spec.hidden) add(spec.name, pat);
      continue;
    }
    for (const p of PARAMS) if (!p.hidden && globMatch(pat, p.name, true)) add(p.name, p.name);
  }
  return new MapReply(out);
}

const SENSITIVE_CONFIGS = new Set(['requirepass', 'masterauth']);

function configSet(ctx: Context, args: string[]): Reply {
  if (args.length < 4 || args.length % 2 !== 0) return ERR_SYNTAX;
  const specs: ParamSpec[] = [];
  const raws: string[] = [];
  let unknown: string | null = null;
  let errArg: string | null = null;
  let errStr: string | null = null;
  let invalid = false;
  for (let i = 2; i < args.length; i += 2) {
    const name = args[i];
    const spec = PARAM_BY_NAME.get(name.toLowerCase());
    // Redis's SENSITIVE_CONFIG: the value never shows in SLOWLOG or MONITOR (masterauth's neither,
    // though Lodestone, without replication, refuses it).
    if (SENSITIVE_CONFIGS.has(spec ? spec.name : name.toLowerCase())) ctx.client.redact(i + 1);
    if (!spec) {
      if (!invalid) {
        unknown = name;
        invalid = true;
      }
      continue;
    }
    if (invalid) continue;
    // Redis's order: immutable first, then protected (enable-protected-configs, schema `protected`).
    if (!spec.mutable || (spec.protected && !allowProtectedAction(ctx.server, ctx.client, 'enable-protected-configs'))) {
      errStr = spec.mutable ? "can't set protected config" : "can't set immutable config";
      errArg = name;
      invalid = true;
      continue;
    }
    if (specs.includes(spec)) {
      errStr = 'duplicate parameter';
      errArg = name;
      invalid = true;
    }
    specs.push(spec);
    raws.push(args[i + 1]);
  }
  if (!invalid) {
    // Parse every value before applying any: CONFIG SET is all or nothing.
    const values: ParamValue[] = [];
    for (let i = 0; i < specs.length; i++) {
      try {
        values.push(parseConfigValue(specs[i], raws[i], ctx.server.config.get(specs[i].name)));
      } catch (e) {
        errArg = specs[i].name;
        errStr = (e as Error).message;
        invalid = true;
        break;
      }
    }
    if (!invalid) {
      // Rules across parameters (src/config/paths.ts) and maxclients against the open-file limit,
      // on the values as they would be after this CONFIG SET: still nothing applied.
      const after = (n: string): ParamValue | undefined => {
        const i = specs.findIndex((s) => s.name === n || CONFIG_ALIASES[s.name] === n);
        return i >= 0 ? values[i] : PARAM_BY_NAME.has(n) ? ctx.server.config.get(n) : undefined;
      };
      const conflict = specs.some((s) => PATH_PARAMS.has(s.name)) ? fileConflict(after, ctx.server.config.file) : null;
      const mi = specs.findIndex((s) => s.name === 'maxclients');
      if (conflict) {
        [errArg, errStr] = conflict;
        invalid = true;
      } else if (mi >= 0) {
        const err = checkMaxclients(ctx.server, values[mi] as number);
        if (err) {
          errArg = specs[mi].name;
          errStr = err;
          invalid = true;
        }
      }
    }
    if (!invalid) {
      const config = ctx.server.config;
      for (let i = 0; i < specs.length; i++) {
        const name = specs[i].name;
        config.set(name, values[i]);
        const alias = CONFIG_ALIASES[name];
        if (alias && PARAM_BY_NAME.has(alias)) config.set(alias, values[i]);
        if (name === 'loglevel') ctx.server.log.level = pinoLevel(String(values[i]));
      }
      return OK;
    }
  }
  if (unknown !== null) {
    return new ReplyError('ERR', `Unknown option or number of arguments for CONFIG SET - '${unknown}'`);
  }
  return new ReplyError('ERR', `CONFIG SET failed (possibly related to argument '${errArg}') - ${errStr}`);
}

/** CONFIG RESETSTAT: what Redis's resetServerStats + resetCommandTableStats + resetErrorTableStats clear. */
export function resetStats(server: Server): void {
  const s = server.stats;
  s.connectionsReceived = 0;
  s.rejectedConnections = 0;
  s.commandsProcessed = 0;
  s.protocolErrors = 0;
  s.queryLimitDisconnections = 0;
  s.outputLimitDisconnections = 0;
  s.netInputBytes = 0;
  s.netOutputBytes = 0;
  s.errorReplies = 0;
  s.errorCodes.clear();
  server.memory.evictedKeys = 0;
  for (const c of server.table.all()) {
    c.calls = 0;
    c.usec = 0;
    c.rejectedCalls = 0;
    c.failedCalls = 0;
  }
  for (const db of server.dbs) {
    db.expiredKeys = 0;
    db.hits = 0;
    db.misses = 0;
  }
  server.metrics.reset(server);
  server.metrics.peakMemory = 0;
}

/** CONFIG REWRITE: the file the server was started with, updated to the running values. */
function configRewrite(ctx: Context): Reply {
  const server = ctx.server;
  const file = server.config.file;
  if (file === '') return new ReplyError('ERR', 'The server is running without a config file');
  const repl = server.replication;
  const current = (name: string): ParamValue =>
    name === 'replicaof' ? (repl.isReplica ? `${repl.masterHost} ${repl.masterPort}` : '') : server.config.get(name);
  try {
    rewriteConfigFile(file, current);
  } catch (e) {
    if (!(e instanceof RewriteError)) throw e;
    server.log.warn(`CONFIG REWRITE failed: ${e.message}`);
    return new ReplyError('ERR', `Rewriting config file: ${e.message}`);
  }
  server.log.info('CONFIG REWRITE executed with success.');
  return OK;
}

const CONFIG_HELP = [
  'GET <pattern>',
  '    Return parameters matching the glob-like <pattern> and their values.',
  'SET <directive> <value>',
  '    Set the configuration <directive> to <value>.',
  'RESETSTAT',
  '    Reset statistics reported by the INFO command.',
  'REWRITE',
  '    Rewrite the configuration file.',
];

const configCommand: CommandSpec = {
  name: 'config',
  arity: -2,
  flags: [],
  keys: [0, 0, 0],
  group: 'server',
  summary: 'A container for server configuration commands',
  since: '2.0.0',
  complexity: 'Depends on subcommand.',
  subcommands: [
    {
      name: 'get',
      arity: -3,
      flags: ['admin', 'noscript', 'loading', 'stale'],
      keys: [0, 0, 0],
      group: 'server',
      summary: 'Get the values of configuration parameters',
      since: '2.0.0',
      complexity: 'O(N) when N is the number of configuration parameters provided',
      syntax: 'parameter [parameter ...]',
      handler: configGet,
    },
    {
      name: 'set',
      arity: -4,
      flags: ['admin', 'noscript', 'loading', 'stale'],
      keys: [0, 0, 0],
      group: 'server',
      summary: 'Set configuration parameters to the given values',
      since: '2.0.0',
      complexity: 'O(N) when N is the number of configuration parameters provided',
      syntax: 'parameter value [parameter value ...]',
      handler: configSet,
    },
    {
      name: 'resetstat',
      arity: 2,
      flags: ['admin', 'noscript', 'loading', 'stale'],
      keys: [0, 0, 0],
      group: 'server',
      summary: 'Reset the stats returned by INFO',
      since: '2.0.0',
      complexity: 'O(1)',
      handler: (ctx) => {
        resetStats(ctx.server);
        return OK;
      },
    },
    {
      name: 'rewrite',
      arity: 2,
      flags: ['admin', 'noscript', 'loading', 'stale'],
      keys: [0, 0, 0],
      group: 'server',
      summary: 'Rewrite the configuration file with the in memory configuration',
      since: '2.8.0',
      complexity: 'O(1)',
      handler: configRewrite,
    },
    {
      name: 'help',
      arity: 2,
      flags: ['loading', 'stale'],
      keys: [0, 0, 0],
      group: 'server',
      summary: 'Show helpful text about the different subcommands',
      since: '5.0.0',
      complexity: 'O(1)',
      handler: () => helpReply('CONFIG', CONFIG_HELP),
    },
  ],
};

// ---- CLIENT ------------------------------------------------------------------------------------

type ClientType = 'normal' | 'master' | 'slave' | 'pubsub';

function clientTypeByName(name: string): ClientType | null {
  switch (name.toLowerCase()) {
    case 'normal':
      return 'normal';
    case 'slave':
    case 'replica':
      return 'slave';
    case 'master':
      return 'master';
    case 'pubsub':
      return 'pubsub';
    default:
      return null;
  }
}

function clientType(c: Client): ClientType {
  if (c.replRole !== '') return c.replRole;
  return c.subscriptionCount > 0 ? 'pubsub' : 'normal';
}

function clientFlags(c: Client): string {
  let f = '';
  if (c.replRole === 'slave') f += 'S';
  if (c.replRole === 'master') f += 'M';
  if (c.monitor) f += 'O';
  if (c.subscriptionCount > 0) f += 'P';
  if (c.multi) f += 'x';
  if (c.blocked) f += 'b';
  if (c.tracking & TRACKING_ON) f += 't';
  if (c.tracking & TRACKING_BROKEN_REDIR) f += 'R';
  if (c.tracking & TRACKING_BCAST) f += 'B';
  if (c.dirtyCas) f += 'd';
  if (c.closing) f += 'c';
  if (c.noEvict) f += 'e';
  if (c.noTouch) f += 'T';
  return f || 'N';
}

function socketFd(c: Client): number {
  const h = (c.socket as unknown as { _handle?: { fd?: number } } | null)?._handle;
  return typeof h?.fd === 'number' ? h.fd : -1;
}

/** One CLIENT LIST / CLIENT INFO line (without the newline), Redis 7.0's fields and order. */
export function clientInfoLine(c: Client, current?: { args: string[]; cmd: string }): string {
  const now = Date.now();
  let argvMem = 0;
  if (current) for (const a of current.args) argvMem += a.length;
  let multiMem = 0;
  if (c.multi) for (const q of c.multi.queue) for (const a of q.args) multiMem += a.length;
  const qbuf = c.parser.pending;
  const rbs = c.enc.buf.length;
  // obl: encoded, not yet handed to the socket (Redis's reply buffer); oll / omem: socket writes
  // not yet completed and their bytes still in Node's buffer (Redis's reply list).
  const obl = c.enc.pos;
  const oll = c.writesPending;
  const omem = c.outputPending;
  const totMem = rbs + qbuf + argvMem + multiMem + omem + 1024;
  return (
    `id=${c.id} addr=${c.addr} laddr=${c.laddr} fd=${socketFd(c)} name=${c.name} ` +
    `age=${Math.floor((now - c.createdAt) / 1000)} idle=${Math.floor((now - c.lastInteraction) / 1000)} ` +
    `flags=${clientFlags(c)} db=${c.db} sub=${c.channels.size} psub=${c.patterns.size} ssub=${c.shardChannels.size} ` +
    `multi=${c.multi ? c.multi.queue.length : -1} qbuf=${qbuf} qbuf-free=${Math.max(0, c.parser.allocated - qbuf)} argv-mem=${argvMem} ` +
    `multi-mem=${multiMem} rbs=${rbs} rbp=${rbs} obl=${obl} oll=${oll} omem=${omem} tot-mem=${totMem} ` +
    `events=${obl + omem > 0 ? 'rw' : 'r'} cmd=${current ? current.cmd : c.lastCmd} user=${c.user.name} redir=${c.tracking & TRACKING_ON ? c.trackingRedirect : -1} resp=${c.resp}`
  );
}

function infoLineFor(ctx: Context, c: Client, args: string[], self: string): string {
  return c === ctx.client ? clientInfoLine(c, { args, cmd: self }) : clientInfoLine(c);
}

/** Close a client: the caller's own connection after its reply, others at once. */
function killClient(server: Server, c: Client): void {
  c.closeAfterReply();
  server.disconnect(c);
  c.socket?.destroySoon();
}

function validName(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    if (ch < 33 || ch > 126) return false;
  }
  return true;
}

function clientKill(ctx: Context, args: string[]): Reply {
  const server = ctx.server;
  let addr: string | null = null;
  let laddr: string | null = null;
  let id = 0;
  let type: ClientType | null = null;
  let skipme = true;
  let user: AclUser | null = null;
  if (args.length === 3) {
    addr = args[2];
    skipme = false; // with the old form a client may kill itself
  } else if (args.length > 3 && args.length % 2 === 0) {
    for (let i = 2; i < args.length; i += 2) {
      const opt = args[i].toUpperCase();
      const val = args[i + 1];
      if (opt === 'ID') {
        id = rangeInt(val, 1, Number.MAX_SAFE_INTEGER, 'client-id should be greater than 0');
      } else if (opt === 'TYPE') {
        type = clientTypeByName(val);
        if (!type) return new ReplyError('ERR', `Unknown client type '${val}'`);
      } else if (opt === 'ADDR') {
        addr = val;
      } else if (opt === 'LADDR') {
        laddr = val;
      } else if (opt === 'USER') {
        user = ctx.server.acl.users.get(val) ?? null;
        if (!user) return new ReplyError('ERR', `No such user '${val}'`);
      } else if (opt === 'SKIPME') {
        if (isOpt(val, 'YES')) skipme = true;
        else if (isOpt(val, 'NO')) skipme = false;
        else return ERR_SYNTAX;
      } else {
        return ERR_SYNTAX;
      }
    }
  } else {
    return ERR_SYNTAX;
  }
  let killed = 0;
  let killSelf = false;
  for (const c of [...server.clients.values()]) {
    if (addr !== null && c.addr !== addr) continue;
    if (laddr !== null && c.laddr !== laddr) continue;
    if (type !== null && clientType(c) !== type) continue;
    if (id !== 0 && c.id !== id) continue;
    if (user !== null && c.user !== user) continue;
    if (c === ctx.client && skipme) continue;
    if (c === ctx.client) killSelf = true;
    else killClient(server, c);
    killed++;
  }
  let reply: Reply;
  if (args.length === 3) reply = killed === 0 ? new ReplyError('ERR', 'No such client') : OK;
  else reply = killed;
  if (!killSelf) return reply;
  // Reply first, then close once it is flushed (like QUIT).
  ctx.client.write(reply);
  if (reply instanceof ReplyError) server.countError(reply);
  ctx.client.closeAfterReply();
  return NO_REPLY;
}

function onOff(args: string[], set: (on: boolean) => void): Reply {
  if (isOpt(args[2], 'ON')) set(true);
  else if (isOpt(args[2], 'OFF')) set(false);
  else return ERR_SYNTAX;
  return OK;
}

const CLIENT_HELP = [
  'CACHING (YES|NO)',
  '    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.',
  'GETREDIR',
  '    Return the client ID we are redirecting to when tracking is enabled.',
  'GETNAME',
  '    Return the name of the current connection.',
  'ID',
  '    Return the ID of the current connection.',
  'INFO',
  '    Return information about the current client connection.',
  'KILL <ip:port>',
  '    Kill connection made from <ip:port>.',
  'KILL <option> <value> [<option> <value> [...]]',
  '    Kill connections. Options are:',
  '    * ADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made from the specified address',
  '    * LADDR (<ip:port>|<unixsocket>:0)',
  '      Kill connections made to specified local address',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Kill connections by type.',
  '    * USER <username>',
  '      Kill connections authenticated by <username>.',
  '    * SKIPME (YES|NO)',
  '      Skip killing current connection (default: yes).',
  'LIST [options ...]',
  '    Return information about client connections. Options:',
  '    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)',
  '      Return clients of specified type.',
  'UNPAUSE',
  '    Stop the current client pause, resuming traffic.',
  'PAUSE <timeout> [WRITE|ALL]',
  '    Suspend all, or just write, clients for <timeout> milliseconds.',
  'REPLY (ON|OFF|SKIP)',
  '    Control the replies sent to the current connection.',
  'SETNAME <name>',
  '    Assign the name <name> to the current connection.',
  'SETINFO <option> <value>',
  '    Set client meta attr. Options are:',
  '    * LIB-NAME: the client lib name.',
  '    * LIB-VER: the client lib version.',
  'UNBLOCK <clientid> [TIMEOUT|ERROR]',
  '    Unblock the specified blocked client.',
  'TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]',
  '         [OPTIN] [OPTOUT] [NOLOOP]',
  '    Control server assisted client side caching.',
  'TRACKINGINFO',
  '    Report tracking status for the current connection.',
  'NO-EVICT (ON|OFF)',
  '    Protect current client connection from eviction.',
  'NO-TOUCH (ON|OFF)',
  '    Will not touch LRU/LFU stats when this mode is on.',
];

const clientSub = (
  name: string,
  arity: number,
  flags: CommandSpec['flags'],
  summary: string,
  since: string,
  complexity: string,
  handler: CommandSpec['handler'],
  syntax?: string,
): CommandSpec => ({ name, arity, flags, keys: [0, 0, 0], group: 'connection', summary, since, complexity, syntax, handler });

const ADMIN: CommandSpec['flags'] = ['admin', 'noscript', 'loading', 'stale'];
const CONN: CommandSpec['flags'] = ['noscript', 'loading', 'stale'];

const clientCommand: CommandSpec = {
  name: 'client',
  arity: -2,
  flags: [],
  keys: [0, 0, 0],
  group: 'connection',
  summary: 'A container for client connection commands',
  since: '2.4.0',
  complexity: 'Depends on subcommand.',
  subcommands: [
    clientSub('id', 2, CONN, 'Returns the client ID for the current connection', '5.0.0', 'O(1)', (ctx) => ctx.client.id),
    clientSub(
      'setname', 3, CONN, 'Set the current connection name', '2.6.9', 'O(1)',
      (ctx, args) => {
        if (!validName(args[2])) {
          return new ReplyError('ERR', 'Client names cannot contain spaces, newlines or special characters.');
        }
        ctx.client.name = args[2];
        return OK;
      },
      'connection-name',
    ),
    clientSub('getname', 2, CONN, 'Get the current connection name', '2.6.9', 'O(1)', (ctx) => ctx.client.name || null),
    clientSub(
      'setinfo', 4, CONN, 'Set client or connection specific info', '7.2.0', 'O(1)',
      (ctx, args) => {
        const attr = args[2].toLowerCase();
        if (attr !== 'lib-name' && attr !== 'lib-ver') {
          return new ReplyError('ERR', `Unrecognized option '${args[2]}'`);
        }
        if (!validName(args[3])) {
          return new ReplyError('ERR', `${args[2]} cannot contain spaces, newlines or special characters.`);
        }
        if (attr === 'lib-name') ctx.client.libName = args[3];
        else ctx.client.libVer = args[3];
        return OK;
      },
      '<LIB-NAME libname | LIB-VER libver>',
    ),
    clientSub(
      'list', -2, ADMIN, 'Get the list of client connections', '2.4.0', 'O(N) where N is the number of client connections',
      (ctx, args) => {
        const server = ctx.server;
        let clients: Client[];
        if (args.length === 4 && isOpt(args[2], 'TYPE')) {
          const type = clientTypeByName(args[3]);
          if (!type) return new ReplyError('ERR', `Unknown client type '${args[3]}'`);
          clients = [...server.clients.values()].filter((c) => clientType(c) === type);
        } else if (args.length > 3 && isOpt(args[2], 'ID')) {
          clients = [];
          for (let i = 3; i < args.length; i++) {
            const id = parseIntArg(args[i]);
            if (id === null) return new ReplyError('ERR', 'Invalid client ID');
            const c = server.clients.get(id);
            if (c) clients.push(c);
          }
        } else if (args.length !== 2) {
          return ERR_SYNTAX;
        } else {
          clients = [...server.clients.values()];
        }
        let text = '';
        for (const c of clients) text += infoLineFor(ctx, c, args, 'client|list') + '\n';
        return new VerbatimReply(text);
      },
      '[TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] [ID client-id [client-id ...]]',
    ),
    clientSub('info', 2, CONN, 'Returns information about the current client connection.', '6.2.0', 'O(1)', (ctx, args) =>
      new VerbatimReply(clientInfoLine(ctx.client, { args, cmd: 'client|info' }) + '\n'),
    ),
    clientSub(
      'kill', -3, ADMIN, 'Kill the connection of a client', '2.4.0', 'O(N) where N is the number of client connections',
      clientKill,
      '<ip:port | <[ID client-id] | [TYPE <NORMAL | MASTER | SLAVE | REPLICA | PUBSUB>] | [USER username] | [ADDR ip:port] | [LADDR ip:port] | [SKIPME yes/no]> [<[ID client-id] | [TYPE <NORMAL | MASTER | SLAVE | REPLICA | PUBSUB>] | [USER username] | [ADDR ip:port] | [LADDR ip:port] | [SKIPME yes/no]> ...]>',
    ),
    clientSub(
      'pause', -3, ADMIN, 'Stop processing commands from clients for some time', '2.9.50', 'O(1)',
      (ctx, args) => {
        if (args.length > 4) return subcommandSyntaxError(args);
        let writesOnly = false;
        if (args.length === 4) {
          if (isOpt(args[3], 'WRITE')) writesOnly = true;
          else if (!isOpt(args[3], 'ALL')) return new ReplyError('ERR', 'CLIENT PAUSE mode must be WRITE or ALL');
        }
        // getTimeoutFromObjectOrReply (UNIT_MILLISECONDS): a long long, not negative. Redis 7.0.15
        // then adds the time: an end past LLONG_MAX wraps negative there, so the call answers OK
        // and pauses nothing (it does not pause forever); ends up to LLONG_MAX pause until then.
        const ms = parseInt64(args[2]);
        if (ms === null) return new ReplyError('ERR', 'timeout is not an integer or out of range');
        if (ms < 0n) return new ReplyError('ERR', 'timeout is negative');
        if (ms > 9223372036854775807n - BigInt(Date.now())) return OK;
        ctx.server.pause(Number(ms), writesOnly);
        return OK;
      },
      'timeout [WRITE | ALL]',
    ),
    clientSub('unpause', 2, ADMIN, 'Resume processing of clients that were paused', '6.2.0', 'O(N) Where N is the number of paused clients', (ctx) => {
      ctx.server.unpause();
      return OK;
    }),
    clientSub(
      'unblock', -3, ADMIN, 'Unblock a client blocked in a blocking command from a different connection', '5.0.0',
      'O(log N) where N is the number of client connections',
      (ctx, args) => {
        if (args.length > 4) return subcommandSyntaxError(args);
        let asError = false;
        if (args.length === 4) {
          if (isOpt(args[3], 'ERROR')) asError = true;
          else if (!isOpt(args[3], 'TIMEOUT')) return new ReplyError('ERR', 'CLIENT UNBLOCK reason should be TIMEOUT or ERROR');
        }
        const id = parseIntArg(args[2]);
        if (id === null) return ERR_NOT_INTEGER;
        const target = ctx.server.clients.get(id);
        if (!target?.blocked) return 0;
        const reply = asError
          ? new ReplyError('UNBLOCKED', 'client unblocked via CLIENT UNBLOCK')
          : target.blocked.timeoutReply;
        ctx.server.blocking.unblock(target, reply);
        return 1;
      },
      'client-id [TIMEOUT | ERROR]',
    ),
    clientSub(
      'reply', 3, CONN, 'Instruct the server whether to reply to commands', '3.2.0', 'O(1)',
      (ctx, args) => {
        // Redis's CLIENT_REPLY_OFF / CLIENT_REPLY_SKIP_NEXT (client.ts: Client.write, commandDone).
        const c = ctx.client;
        if (isOpt(args[2], 'ON')) {
          c.replyOff = false;
          c.replySkip = false;
          return OK;
        }
        if (isOpt(args[2], 'OFF')) {
          c.replyOff = true;
          return NO_REPLY;
        }
        if (isOpt(args[2], 'SKIP')) {
          if (!c.replyOff) c.replySkipNext = true;
          return NO_REPLY;
        }
        return ERR_SYNTAX;
      },
      '<ON | OFF | SKIP>',
    ),
    ...clientTrackingCommands,
    clientSub(
      'no-evict', 3, ADMIN, 'Set client eviction mode for the current connection', '7.0.0', 'O(1)',
      (ctx, args) => onOff(args, (on) => (ctx.client.noEvict = on)),
      '<ON | OFF>',
    ),
    clientSub(
      'no-touch', 3, CONN, 'Controls whether commands sent by the client will alter the LRU/LFU of the keys they access.', '7.2.0', 'O(1)',
      (ctx, args) => onOff(args, (on) => (ctx.client.noTouch = on)),
      '<ON | OFF>',
    ),
    clientSub('help', 2, ['loading', 'stale'], 'Show helpful text about the different subcommands', '5.0.0', 'O(1)', () =>
      helpReply('CLIENT', CLIENT_HELP),
    ),
  ],
};

// ---- SLOWLOG -----------------------------------------------------------------------------------

const SLOWLOG_HELP = [
  'GET [<count>]',
  '    Return top <count> entries from the slowlog (default: 10, -1 mean all).',
  '    Entries are made of:',
  '    id, timestamp, time in microseconds, arguments array, client IP and port,',
  '    client name',
  'LEN',
  '    Return the length of the slowlog.',
  'RESET',
  '    Reset the slowlog.',
];

const slowlogCommand: CommandSpec = {
  name: 'slowlog',
  arity: -2,
  flags: [],
  keys: [0, 0, 0],
  group: 'server',
  summary: 'A container for slow log commands',
  since: '2.2.12',
  complexity: 'Depends on subcommand.',
  subcommands: [
    {
      name: 'get',
      arity: -2,
      flags: ['admin', 'loading', 'stale'],
      keys: [0, 0, 0],
      group: 'server',
      summary: "Get the slow log's entries",
      since: '2.2.12',
      complexity: 'O(N) where N is the number of entries returned',
      syntax: '[count]',
      handler: (ctx, args) => {
        if (args.length > 3) return subcommandSyntaxError(args);
        const log = ctx.server.slowlog;
        let count = 10;
        if (args.length === 3) {
          // Redis takes any long >= -1 (SLOWLOG GET 9223372036854775807 lists everything).
          const v = parseInt64(args[2]);
          if (v === null || v < -1n) throw new ReplyError('ERR', 'count should be greater than or equal to -1');
          count = v === -1n || v > BigInt(log.length) ? log.length : Number(v);
        }
        return log.slice(0, count).map((e) => [e.id, e.time, e.usec, e.args.slice(), e.addr, e.name]);
      },
    },
    {
      name: 'len',
      arity: 2,
      flags: ['admin', 'loading', 'stale'],
      keys: [0, 0, 0],
      group: 'server',
      summary: "Get the slow log's length",
      since: '2.2.12',
      complexity: 'O(1)',
      handler: (ctx) => ctx.server.slowlog.length,
    },
    {
      name: 'reset',
      arity: 2,
      flags: ['admin', 'loading', 'stale'],
      keys: [0, 0, 0],
      group: 'server',
      summary: 'Clear all entries from the slow log',
      since: '2.2.12',
      complexity: 'O(N) where N is the number of entries in the slowlog',
      handler: (ctx) => {
        ctx.server.slowlog.length = 0;
        return OK;
      },
    },
    {
      name: 'help',
      arity: 2,
      flags: ['loading', 'stale'],
      keys: [0, 0, 0],
      group: 'server',
      summary: 'Show helpful text about the different subcommands',
      since: '6.2.0',
      complexity: 'O(1)',
      handler: () => helpReply('SLOWLOG', SLOWLOG_HELP),
    },
  ],
};

// ---- Keyspace-wide: FLUSHDB, FLUSHALL, SWAPDB ----------------------------------------------------

/**
 * Redis's touchAllWatchedKeysInDb: WATCHers of keys that exist in `emptied` (or in `replacedWith`,
 * for SWAPDB) see their transaction fail. Must run before the db is cleared or swapped.
 */
function touchWatchedInDb(server: Server, emptied: Database, replacedWith?: Database): void {
  const watchers = server.watchers[emptied.id];
  if (!watchers || watchers.size === 0) return;
  for (const [key, clients] of watchers) {
    if (emptied.dict.has(key) || (replacedWith !== undefined && replacedWith.dict.has(key))) {
      for (const c of clients) c.dirtyCas = true;
    }
  }
}

/** FLUSHDB/FLUSHALL's optional ASYNC|SYNC (both are synchronous here). */
function flushFlags(args: string[]): ReplyError | null {
  if (args.length === 1) return null;
  if (args.length > 2) return ERR_SYNTAX;
  if (isOpt(args[1], 'ASYNC') || isOpt(args[1], 'SYNC')) return null;
  return ERR_SYNTAX;
}

function flushDb(server: Server, db: Database): number {
  touchWatchedInDb(server, db);
  const removed = db.size;
  db.clear();
  // Group readers blocked on a stream of this db are released (Redis 7.0's signalFlushedDb).
  server.blocking.touchDb(db.id);
  return removed;
}

// ---- DEBUG ----------------------------------------------------------------------------------------

/** Block the event loop like Redis's DEBUG SLEEP (the whole server stops). */
function sleepSync(ms: number): void {
  if (ms <= 0) return;
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// The subcommands Lodestone has, in Redis's words (debug.c).
const DEBUG_HELP = [
  'DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:',
  'CHANGE-REPL-ID',
  '    Change the replication IDs of the instance.',
  '    Dangerous: should be used only for testing the replication subsystem.',
  'DIGEST',
  '    Output a hex signature representing the current DB content.',
  'DIGEST-VALUE <key> [<key> ...]',
  '    Output a hex signature of the values of all the specified keys.',
  'ERROR <string>',
  '    Return a Redis protocol error with <string> as message. Useful for clients',
  '    unit tests to simulate Redis errors.',
  'LOG <message>',
  '    Write <message> to the server log.',
  'LOADAOF',
  '    Flush the AOF buffers on disk and reload the AOF in memory.',
  'OBJECT <key>',
  '    Show low-level info about the `key` and associated value.',
  'POPULATE <count> [<prefix>] [<size>]',
  "    Create <count> string keys named key:<num>. If <prefix> is specified then",
  "    it is used instead of the 'key' prefix. These are not propagated to",
  '    replicas. Cluster slots are not respected so keys not belonging to the',
  '    current node can be created in cluster mode.',
  'PROTOCOL <type>',
  '    Reply with a test value of the specified type. <type> can be: string,',
  '    integer, double, bignum, null, array, set, map, attrib, push, verbatim,',
  '    true, false.',
  'RELOAD [option ...]',
  '    Save the RDB on disk and reload it back to memory. Valid <option> values:',
  '    * MERGE: conflicting keys will be loaded from RDB.',
  '    * NOFLUSH: the existing database will not be removed before load, but',
  '      conflicting keys will generate an exception and kill the server.',
  '    * NOSAVE: the database will be loaded from an existing RDB file.',
  '    Examples:',
  '    * DEBUG RELOAD: verify that the server is able to persist, flush and reload',
  '      the database.',
  '    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an',
  '      existing RDB file.',
  '    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB',
  '      file to the database.',
  'SET-ACTIVE-EXPIRE <0|1>',
  '    Setting it to 0 disables expiring keys in background when they are not',
  '    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the',
  '    default.',
  'SET-SKIP-CHECKSUM-VALIDATION <0|1>',
  '    Enables or disables checksum checks for RDB files and RESTORE\'s payload.',
  'SLEEP <seconds>',
  '    Stop the server for <seconds>. Decimals allowed.',
  'STRINGMATCH-TEST',
  '    Run a fuzz tester against the stringmatchlen() function.',
  'LISTPACK <key>',
  '    Show low level info about the listpack encoding of <key>.',
  'QUICKLIST <key> [<0|1>]',
  '    Show low level info about the quicklist encoding of <key>.',
  '    The optional argument (0 by default) sets the level of detail',
  'PAUSE-CRON <0|1>',
  '    Stop periodic cron job processing.',
  'HELP',
  '    Prints this help.',
];

// ---- The family ----------------------------------------------------------------------------------

export const serverCommands: CommandSpec[] = [
  commandSpec,
  {
    name: 'info',
    arity: -1,
    flags: ['loading', 'stale'],
    keys: [0, 0, 0],
    group: 'server dangerous',
    summary: 'Get information and statistics about the server',
    since: '1.0.0',
    complexity: 'O(1)',
    syntax: '[section [section ...]]',
    handler: (ctx, args) => new VerbatimReply(genInfo(ctx.server, args.slice(1))),
  },
  configCommand,
  clientCommand,
  slowlogCommand,
  {
    name: 'monitor',
    arity: 1,
    flags: ['admin', 'noscript', 'loading', 'stale'],
    keys: [0, 0, 0],
    group: 'server',
    summary: 'Listen for all requests received by the server in real time',
    since: '1.0.0',
    handler: (ctx) => {
      const c = ctx.client;
      if (c.inExec) return new ReplyError('ERR', "MONITOR isn't allowed for DENY BLOCKING client");
      if (c.monitor) return NO_REPLY; // already monitoring: Redis ignores it without a reply
      c.monitor = true;
      ctx.server.monitors.add(c);
      return OK;
    },
  },
  {
    name: 'time',
    arity: 1,
    flags: ['loading', 'stale', 'fast'],
    keys: [0, 0, 0],
    group: 'server',
    summary: 'Return the current server time',
    since: '2.6.0',
    complexity: 'O(1)',
    handler: () => {
      const us = Math.floor((performance.timeOrigin + performance.now()) * 1000);
      return [String(Math.floor(us / 1e6)), String(us % 1e6)];
    },
  },
  {
    name: 'lastsave',
    arity: 1,
    flags: ['loading', 'stale', 'fast'],
    keys: [0, 0, 0],
    group: 'server admin dangerous',
    summary: 'Get the UNIX time stamp of the last successful save to disk',
    since: '1.0.0',
    complexity: 'O(1)',
    handler: (ctx) => ctx.server.lastSave,
  },
  {
    name: 'dbsize',
    arity: 1,
    flags: ['readonly', 'fast'],
    keys: [0, 0, 0],
    group: 'server keyspace',
    summary: 'Return the number of keys in the selected database',
    since: '1.0.0',
    complexity: 'O(1)',
    handler: (ctx) => ctx.db.size,
  },
  {
    name: 'flushdb',
    arity: -1,
    flags: ['write'],
    keys: [0, 0, 0],
    group: 'server keyspace dangerous',
    summary: 'Remove all keys from the current database',
    since: '1.0.0',
    complexity: 'O(N) where N is the number of keys in the selected database',
    syntax: '[ASYNC | SYNC]',
    handler: (ctx, args) => {
      const err = flushFlags(args);
      if (err) return err;
      const removed = flushDb(ctx.server, ctx.db);
      ctx.server.keyspaceFlushed();
      // Like Redis's forceCommandPropagation: an empty FLUSHDB still reaches the write observers.
      ctx.server.dirty += Math.max(removed, 1);
      return OK;
    },
  },
  {
    name: 'flushall',
    arity: -1,
    flags: ['write'],
    keys: [0, 0, 0],
    otherDb: () => true,
    group: 'server keyspace dangerous',
    summary: 'Remove all keys from all databases',
    since: '1.0.0',
    complexity: 'O(N) where N is the total number of keys in all databases',
    syntax: '[ASYNC | SYNC]',
    handler: (ctx, args) => {
      const err = flushFlags(args);
      if (err) return err;
      let removed = 0;
      for (const db of ctx.server.dbs) removed += flushDb(ctx.server, db);
      ctx.server.keyspaceFlushed();
      // Persistence hook point: Redis saves an empty RDB here when save points are configured.
      ctx.server.dirty += removed + 1;
      return OK;
    },
  },
  {
    name: 'swapdb',
    arity: 3,
    flags: ['write', 'fast'],
    keys: [0, 0, 0],
    otherDb: () => true,
    group: 'server keyspace dangerous',
    summary: 'Swaps two Redis databases',
    since: '4.0.0',
    complexity: 'O(N) where N is the count of clients watching or blocking on keys from both databases.',
    syntax: 'index1 index2',
    handler: (ctx, args) => {
      if (ctx.server.cluster !== null) return new ReplyError('ERR', 'SWAPDB is not allowed in cluster mode');
      const server = ctx.server;
      const a = parseIntArg(args[1]);
      if (a === null || a < -2147483648 || a > 2147483647) return new ReplyError('ERR', 'invalid first DB index');
      const b = parseIntArg(args[2]);
      if (b === null || b < -2147483648 || b > 2147483647) return new ReplyError('ERR', 'invalid second DB index');
      const n = server.dbs.length;
      if (a < 0 || a >= n || b < 0 || b >= n) return new ReplyError('ERR', 'DB index is out of range');
      if (a !== b) {
        const da = server.dbs[a];
        const dbb = server.dbs[b];
        touchWatchedInDb(server, da, dbb);
        touchWatchedInDb(server, dbb, da);
        da.swapWith(dbb);
        // Keys that now exist serve their waiters, streams that went away release group readers.
        server.blocking.touchDb(a);
        server.blocking.touchDb(b);
      }
      server.dirty++;
      return OK;
    },
  },
  {
    name: 'shutdown',
    arity: -1,
    flags: ['admin', 'noscript', 'loading', 'stale', 'no_multi', 'allow_busy'],
    keys: [0, 0, 0],
    group: 'server',
    summary: 'Synchronously save the dataset to disk and then shut down the server',
    since: '1.0.0',
    complexity: 'O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)',
    syntax: '[NOSAVE | SAVE] [NOW] [FORCE] [ABORT]',
    handler: (ctx, args) => {
      let nosave = false;
      let save = false;
      let now = false;
      let force = false;
      let abort = false;
      for (let i = 1; i < args.length; i++) {
        const a = args[i].toUpperCase();
        if (a === 'NOSAVE') nosave = true;
        else if (a === 'SAVE') save = true;
        else if (a === 'NOW') now = true;
        else if (a === 'FORCE') force = true;
        else if (a === 'ABORT') abort = true;
        else return ERR_SYNTAX;
      }
      if ((abort && (nosave || save || now || force)) || (nosave && save)) return ERR_SYNTAX;
      if (abort) return new ReplyError('ERR', 'No shutdown in progress.');
      if (!now && ctx.client.inExec) {
        return new ReplyError('ERR', "SHUTDOWN without NOW or ABORT isn't allowed for DENY BLOCKING client");
      }
      const server = ctx.server;
      const client = ctx.client;
      void (async () => {
        // Redis 7's shutdown-timeout: give lagging replicas the last writes before going away.
        if (!now) await server.replication.waitForReplicasBeforeShutdown();
        try {
          // Persistence hook: Server.shutdownSave is filled in by the persistence subsystem.
          if (server.shutdownSave) await server.shutdownSave(nosave ? false : save ? true : null);
        } catch (err) {
          server.log.warn({ err }, 'error saving before shutdown');
          if (!force) {
            const e = new ReplyError('ERR', 'Errors trying to SHUTDOWN. Check logs.');
            server.countError(e);
            client.write(e);
            if (server.pauseUntil) server.unpause(); // the writes paused while waiting for replicas
            server.flushPending();
            return;
          }
        }
        server.log.warn('User requested shutdown...');
        await server.close();
      })();
      return NO_REPLY;
    },
  },
  {
    name: 'memory',
    arity: -2,
    flags: [],
    keys: [0, 0, 0],
    group: 'server',
    summary: 'A container for memory diagnostics commands',
    since: '4.0.0',
    complexity: 'Depends on subcommand.',
    subcommands: [
      {
        name: 'usage',
        arity: -3,
        flags: ['readonly'],
        keys: [2, 2, 1],
        group: 'server',
        summary: 'Estimate the memory usage of a key',
        since: '4.0.0',
        complexity: 'O(N) where N is the number of samples.',
        syntax: 'key [SAMPLES count]',
        // The figure is the same per-key estimate maxmemory and INFO used_memory count
        // (src/keyspace/memsize.ts): key, value, map entries, TTL. Collections beyond 32 elements
        // are extrapolated from a sample, whatever SAMPLES says (it is parsed and checked as in
        // Redis, so redis-cli --memkeys and scripts passing it keep working).
        handler: (ctx, args) => {
          for (let i = 3; i < args.length; i += 2) {
            if (args[i].toLowerCase() !== 'samples' || i + 1 >= args.length) return ERR_SYNTAX;
            const n = parseInt64(args[i + 1]);
            if (n === null) return ERR_NOT_INTEGER;
            if (n < 0n) return ERR_SYNTAX;
          }
          const db = ctx.db;
          const v = db.peek(args[2]);
          if (v === undefined) return null;
          const value = typeof v === 'string' ? stringBytes(v.length) : valueBytes(v, true);
          return keyBytes(args[2]) + value + (db.expires.has(args[2]) ? EXPIRE_BYTES : 0);
        },
      },
      {
        name: 'stats',
        arity: 2,
        flags: [],
        keys: [0, 0, 0],
        group: 'server',
        summary: 'Show memory usage details',
        since: '4.0.0',
        complexity: 'O(1)',
        // Redis 7.0's fields, filled from the same figures as INFO memory: the dataset estimate for
        // the allocated/overhead/dataset parts, V8's heap for allocator.*, the process RSS.
        handler: (ctx) => {
          const server = ctx.server;
          const m = process.memoryUsage();
          const used = server.memory.used();
          server.metrics.notePeak(used);
          const peak = server.metrics.peakMemory;
          let overhead = 0;
          let keys = 0;
          let clients = 0;
          for (const c of server.clients.values()) clients += c.enc.buf.length + c.parser.pending + c.outputPending;
          const flat: Reply[] = [
            'peak.allocated', peak,
            'total.allocated', used,
            'startup.allocated', 0,
            'replication.backlog', 0,
            'clients.slaves', 0,
            'clients.normal', clients,
            'cluster.links', 0,
            'aof.buffer', 0,
            'lua.caches', 0,
            'functions.caches', 0,
          ];
          for (const db of server.dbs) {
            if (db.size === 0) continue;
            const main = db.size * KEY_ENTRIES;
            const exp = db.expires.size * EXPIRE_BYTES;
            overhead += main + exp;
            keys += db.size;
            flat.push(`db.${db.id}`, new MapReply(['overhead.hashtable.main', main, 'overhead.hashtable.expires', exp, 'overhead.hashtable.slot-to-keys', 0]));
          }
          const dataset = Math.max(0, used - overhead);
          const ratio = (a: number, b: number) => new DoubleReply(b > 0 ? a / b : 0);
          flat.push(
            'overhead.total', overhead,
            'keys.count', keys,
            'keys.bytes-per-key', keys > 0 ? Math.floor(used / keys) : 0,
            'dataset.bytes', dataset,
            'dataset.percentage', new DoubleReply(used > 0 ? (dataset * 100) / used : 0),
            'peak.percentage', new DoubleReply(peak > 0 ? (used * 100) / peak : 0),
            'allocator.allocated', m.heapUsed,
            'allocator.active', m.heapTotal,
            'allocator.resident', m.rss,
            'allocator-fragmentation.ratio', ratio(m.heapTotal, m.heapUsed),
            'allocator-fragmentation.bytes', Math.max(0, m.heapTotal - m.heapUsed),
            'allocator-rss.ratio', ratio(m.rss, m.heapTotal),
            'allocator-rss.bytes', m.rss - m.heapTotal,
            'rss-overhead.ratio', new DoubleReply(1),
            'rss-overhead.bytes', 0,
            'fragmentation', ratio(m.rss, used),
            'fragmentation.bytes', m.rss - used,
          );
          return new MapReply(flat);
        },
      },
      {
        name: 'doctor',
        arity: 2,
        flags: [],
        keys: [0, 0, 0],
        group: 'server',
        summary: 'Outputs memory problems report',
        since: '4.0.0',
        complexity: 'O(1)',
        handler: (ctx) =>
          new VerbatimReply(
            ctx.server.memory.used() < 5 * 1024 * 1024
              ? "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n"
              : "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n",
          ),
      },
      {
        name: 'purge',
        arity: 2,
        flags: [],
        keys: [0, 0, 0],
        group: 'server',
        summary: 'Ask the allocator to release memory',
        since: '4.0.0',
        complexity: 'Depends on how much memory is allocated, could be slow',
        handler: () => OK,
      },
      {
        name: 'malloc-stats',
        arity: 2,
        flags: [],
        keys: [0, 0, 0],
        group: 'server',
        summary: 'Show allocator internal stats',
        since: '4.0.0',
        complexity: 'Depends on how much memory is allocated, could be slow',
        handler: () => new VerbatimReply('Stats not supported for the current allocator'),
      },
      {
        name: 'help',
        arity: 2,
        flags: ['loading', 'stale'],
        keys: [0, 0, 0],
        group: 'server',
        summary: 'Show helpful text about the different subcommands',
        since: '4.0.0',
        complexity: 'O(1)',
        handler: () =>
          helpReply('MEMORY', [
            'DOCTOR',
            '    Return memory problems reports.',
            'MALLOC-STATS',
            '    Return internal statistics report from the memory allocator.',
            'PURGE',
            '    Attempt to purge dirty pages for reclamation by the allocator.',
            'STATS',
            '    Return information about the memory usage of the server.',
            'USAGE <key> [SAMPLES <count>]',
            '    Return memory in bytes used by <key> and its value. Nested values are',
            '    sampled up to <count> times (default: 5, 0 means sample all).',
          ]),
      },
    ],
  },
  {
    name: 'debug',
    arity: -2,
    flags: ['admin', 'noscript', 'loading', 'stale'],
    protectedBy: 'enable-debug-command',
    keys: [0, 0, 0],
    group: 'server',
    summary: 'A container for debugging commands',
    since: '1.0.0',
    complexity: 'Depends on subcommand.',
    handler: (ctx, args) => {
      const sub = args[1].toUpperCase();
      if (sub === 'HELP' && args.length === 2) return DEBUG_HELP.map((l) => new Status(l));
      if (sub === 'SLEEP' && args.length === 3) {
        const secs = parseDouble(args[2]);
        if (secs === null) return new ReplyError('ERR', 'value is not a valid float');
        sleepSync(secs * 1000);
        return OK;
      }
      const r = debugExtra(ctx, args);
      return r === undefined ? subcommandSyntaxError(args) : r;
    },
  },
  {
    name: 'role',
    arity: 1,
    flags: ['noscript', 'loading', 'stale', 'fast'],
    keys: [0, 0, 0],
    group: 'server admin dangerous',
    summary: 'Return the role of the instance in the context of replication',
    since: '2.8.12',
    complexity: 'O(1)',
    handler: (ctx) => ctx.server.replication.role(),
  },
];
