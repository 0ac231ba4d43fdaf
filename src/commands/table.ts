// The command table: every command declared once, as data, like Redis's commands.def.
//
// A `CommandSpec` carries the name, Redis's arity convention (n > 0: exactly n words including the
// name; n < 0: at least -n), flags, key positions, documentation and the handler. Dispatch
// (src/server/dispatch.ts) checks existence, arity, auth, MULTI queueing and pub/sub context from
// it; COMMAND / COMMAND INFO / COMMAND DOCS render it; the WASM `call` host function and permission
// checks read the same flags. Variants share one worker (SET/SETNX/SETEX → one generic set).
//
// Families register their specs in src/commands/<family>.ts; src/commands/index.ts collects them.

import type { Reply } from '../protocol/reply.js';
import type { Database } from '../keyspace/db.js';
import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import { redisMeta } from './meta.js';

export type CommandFlag =
  | 'write'
  | 'readonly'
  | 'denyoom'
  | 'admin'
  | 'pubsub'
  | 'noscript'
  | 'blocking'
  | 'loading'
  | 'stale'
  | 'fast'
  | 'no_auth'
  | 'no_multi'
  | 'allow_busy'
  | 'skip_monitor'
  | 'skip_slowlog'
  /** Dispatch does not hand this command to the write observers: its effects were observed as the
   *  commands it ran (EXEC, WASM.CALL), so persistence never re-runs guest code. */
  | 'no_propagate';

/** What a handler gets: the server, the calling client, its selected database. */
export interface Context {
  readonly server: Server;
  readonly client: Client;
  readonly db: Database;
}

export type Handler = (ctx: Context, args: string[]) => Reply;

export interface CommandSpec {
  /** Lowercase name; for subcommands the part after the `|` (e.g. `get` for `config|get`). */
  name: string;
  arity: number;
  flags: CommandFlag[];
  /** Key positions as in Redis: first key index, last key index (-1 = last arg), step. 0,0,0 = no keys. */
  keys: [first: number, last: number, step: number];
  /** For variable key layouts (ZUNIONSTORE numkeys, WASM.CALL KEYS …): returns key indexes. */
  getKeys?: (args: string[]) => number[];
  /** ACL categories without the @ (e.g. 'string', 'fast', 'write'); flags add the obvious ones. */
  group: string;
  summary: string;
  since: string;
  complexity?: string;
  /** Argument syntax after the name, as in the Redis docs (`key value [NX | XX]`); rendered for COMMAND DOCS. */
  syntax?: string;
  handler?: Handler;
  /**
   * The commands the write observers see instead of this one, when it changed data (Redis's
   * rewriteClientCommandVector): deterministic forms of TTL-relative or random writes, effects.ts.
   * null = the command as it was given.
   */
  propagate?: (ctx: Context, args: string[], reply: Reply) => string[][] | null;
  /**
   * Told, right after the handler returned, how long it ran as INFO commandstats counts it (µs):
   * WASM.CALL records its function's statistics with it instead of reading the clock again.
   */
  afterCall?: (ctx: Context, usec: number) => void;
  /** Container commands (CONFIG, CLIENT, OBJECT …) dispatch on their first argument. */
  subcommands?: CommandSpec[];
  /**
   * Redis's CMD_PROTECTED: the protected-action parameter that must allow this command for the
   * client ('enable-debug-command' for DEBUG), checked by dispatch right after arity.
   */
  protectedBy?: string;
  /**
   * Whether these arguments reach a database other than `db` (SELECT, MOVE, SWAPDB, FLUSHALL,
   * COPY … DB n): script-call.ts refuses them for engines confined to the caller's database (WASM).
   */
  otherDb?: (args: string[], db: number) => boolean;
}

/** A resolved spec plus derived data the dispatcher uses on every call. */
export interface Command {
  spec: CommandSpec;
  /** `get` or `config|get`. */
  fullName: string;
  parent?: Command;
  sub?: Map<string, Command>;
  isWrite: boolean;
  isReadonly: boolean;
  isAdmin: boolean;
  noPropagate: boolean;
  /** Redis's CMD_WRITE | CMD_MAY_REPLICATE (PUBLISH, EVAL, FCALL …): held by CLIENT PAUSE WRITE. */
  mayReplicate: boolean;
  /** Allowed in RESP2 subscribed context. */
  isPubsubCtx: boolean;
  /**
   * A write whose Redis key specs mark some keys read-only (SUNIONSTORE's sources, COPY's source,
   * SORT … STORE's input): dispatch does not signal those as modified (metaReadOnlyKeyPositions).
   */
  readsSomeKeys: boolean;
  /**
   * False for writes that change only a stream's consumer groups or last id (XACK, XGROUP …):
   * Redis 7.0 does not signal those keys modified, so WATCH and client-side caches ignore them.
   */
  signalsWrites: boolean;
  /**
   * A write that changes data only through commands it runs itself with dispatch's call()
   * (WASM.CALL): those signal the keys they change, so dispatch does not signal its declared keys
   * — a function that only reads a watched key leaves the WATCH intact, as EVAL does in Redis.
   */
  runsCommands: boolean;
  /**
   * Flags the dispatcher tests on every call, read once from spec.flags (a string array) when the
   * table is built.
   */
  noAuth: boolean;
  noMulti: boolean;
  isFast: boolean;
  denyOom: boolean;
  skipMonitor: boolean;
  skipSlowlog: boolean;
  /**
   * The key positions when they do not depend on the argument count (SET: [1], LMOVE: [1, 2]):
   * keyIndexes returns this shared, frozen array instead of building one per call. Null for
   * commands with a getKeys procedure or key ranges running to the end (DEL, MSET).
   */
  fixedKeys: readonly number[] | null;
  /** Index in the ACL command registry (src/acl/acl.ts), assigned when the server starts. */
  aclId: number;
  /** LATENCY HISTOGRAM: calls per power-of-two latency bucket (src/server/latency.ts), once called. */
  latencyHist?: number[];
  /** Statistics for INFO commandstats. */
  calls: number;
  usec: number;
  rejectedCalls: number;
  failedCalls: number;
}

export class CommandTable {
  readonly commands = new Map<string, Command>();

  register(specs: CommandSpec[]): void {
    for (const spec of specs) {
      const cmd = this.make(spec);
      if (this.commands.has(cmd.fullName)) throw new Error(`command ${cmd.fullName} declared twice`);
      this.commands.set(cmd.fullName, cmd);
    }
  }

  private make(spec: CommandSpec, parent?: Command): Command {
    const fullName = parent ? `${parent.fullName}|${spec.name}` : spec.name;
    const cmd: Command = {
      spec,
      fullName,
      parent,
      isWrite: spec.flags.includes('write'),
      isReadonly: spec.flags.includes('readonly'),
      isAdmin: spec.flags.includes('admin'),
      noPropagate: spec.flags.includes('no_propagate'),
      mayReplicate: spec.flags.includes('write') || MAY_REPLICATE.has(fullName),
      isPubsubCtx: PUBSUB_CTX.has(fullName),
      readsSomeKeys: spec.flags.includes('write') && readsSomeKeys(fullName),
      signalsWrites: !GROUP_STATE_WRITES.has(fullName),
      runsCommands: RUNS_COMMANDS.has(fullName),
      noAuth: spec.flags.includes('no_auth'),
      noMulti: spec.flags.includes('no_multi'),
      isFast: spec.flags.includes('fast'),
      denyOom: spec.flags.includes('denyoom'),
      skipMonitor: spec.flags.includes('skip_monitor'),
      skipSlowlog: spec.flags.includes('skip_slowlog'),
      fixedKeys: fixedKeyPositions(spec),
      aclId: -1,
      calls: 0,
      usec: 0,
      rejectedCalls: 0,
      failedCalls: 0,
    };
    if (spec.subcommands) {
      cmd.sub = new Map();
      for (const s of spec.subcommands) cmd.sub.set(s.name, this.make(s, cmd));
    }
    return cmd;
  }

  /**
   * Names as clients spell them (`SET`, `Get`) that were found by lowercasing: remembered so the
   * usual upper-case request costs one map lookup, not a new string. Bounded; the table is only
   * ever added to (register), so an entry never goes stale.
   */
  private readonly spelled = new Map<string, Command>();
  /** The last name found and its command (commands are never removed, so it cannot go stale). */
  private lastName = '';
  private lastCmd: Command | undefined = undefined;

  /** Look up by the first argument (case-insensitive). */
  lookup(name: string): Command | undefined {
    // The parser hands the same name string to consecutive commands of a kind (parser.ts pushArg):
    // then this is a pointer comparison.
    if (name === this.lastName) return this.lastCmd;
    const c = this.commands.get(name) ?? this.spelled.get(name);
    if (c !== undefined) {
      this.lastName = name;
      this.lastCmd = c;
      return c;
    }
    const found = this.commands.get(name.toLowerCase());
    if (found !== undefined && this.spelled.size < 4096) this.spelled.set(name, found);
    return found;
  }

  /** Every command and subcommand, for INFO commandstats and CONFIG RESETSTAT. */
  *all(): IterableIterator<Command> {
    for (const c of this.commands.values()) {
      yield c;
      if (c.sub) yield* c.sub.values();
    }
  }
}

/**
 * Redis 7.0's CMD_MAY_REPLICATE commands. Its COMMAND INFO does not list the flag (so the metadata
 * dump lacks it); the set was checked against redis-server 7.0.15 under CLIENT PAUSE WRITE.
 */
const MAY_REPLICATE = new Set(['eval', 'evalsha', 'fcall', 'publish', 'spublish', 'pfcount']);

/** Commands a RESP2 client may run while subscribed (Redis 7's list). */
const PUBSUB_CTX = new Set([
  'subscribe',
  'unsubscribe',
  'psubscribe',
  'punsubscribe',
  'ssubscribe',
  'sunsubscribe',
  'ping',
  'quit',
  'reset',
]);

/**
 * Stream writes Redis 7.0 does not signalModifiedKey (checked against redis-server with CLIENT
 * TRACKING): they change consumer groups, pending entries or the last id, not the entries. Creating
 * the stream (XGROUP CREATE … MKSTREAM) is still a modification.
 */
const GROUP_STATE_WRITES = new Set([
  'xack', 'xclaim', 'xautoclaim', 'xreadgroup', 'xsetid',
  'xgroup|create', 'xgroup|setid', 'xgroup|destroy', 'xgroup|createconsumer', 'xgroup|delconsumer',
]);

/** Writes whose data changes are the commands they run (Command.runsCommands). */
const RUNS_COMMANDS = new Set(['wasm.call']);

/** Whether a write command has keys it only reads, by Redis's key specs. */
function readsSomeKeys(fullName: string): boolean {
  const meta = redisMeta(fullName);
  return meta !== undefined && meta.keySpecs.some((s) => s.flags.includes('RO'));
}

/** Key indexes of a call, from the spec's key positions or its getKeys. */
/** The key positions of a command whose last key is at a fixed index, or null (see Command.fixedKeys). */
function fixedKeyPositions(spec: CommandSpec): readonly number[] | null {
  if (spec.getKeys) return null;
  const [first, last, step] = spec.keys;
  if (first === 0) return Object.freeze([]);
  if (last < 0) return null;
  const out: number[] = [];
  for (let i = first; i <= last; i += step || 1) out.push(i);
  return Object.freeze(out);
}

/**
 * Key argument positions of a call. The array may be shared between calls (Command.fixedKeys) and
 * is frozen then: callers read it, never change it.
 */
export function keyIndexes(cmd: Command, args: string[]): number[] {
  const spec = cmd.spec;
  if (spec.getKeys) return spec.getKeys(args);
  const fixed = cmd.fixedKeys;
  // A call shorter than the key positions (only before an arity check) takes the general path.
  if (fixed !== null && (fixed.length === 0 || fixed[fixed.length - 1] < args.length)) return fixed as number[];
  const [first, last, step] = spec.keys;
  if (first === 0) return [];
  const end = last < 0 ? args.length + last : last;
  const out: number[] = [];
  for (let i = first; i <= end && i < args.length; i += step || 1) out.push(i);
  return out;
}

/** Check arity the Redis way. */
export function arityOk(arity: number, argc: number): boolean {
  return arity > 0 ? argc === arity : argc >= -arity;
}
