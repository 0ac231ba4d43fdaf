// WASM.* commands (ADR-0009's command interface): LOAD, UNLOAD, CALL, CALL_RO, LIST, INFO, STATS.
// The subsystem itself lives in src/wasm/ (registry, instrument, executor, pool, host, abi).

import { MapReply, NO_REPLY, OK, Reply, ReplyError } from '../protocol/reply.js';
import type { BlockState } from '../server/client.js';
import { parsePermission, Permission, REMOVED_PERMISSIONS } from '../wasm/abi.js';
import { LoadError } from '../wasm/errors.js';
import { recordCallStats, runCall } from '../wasm/executor.js';
import { isWasmBytes, readFileNoFollow, WasmFunction, WasmRegistry } from '../wasm/registry.js';
import type { CommandSpec, Context } from './table.js';
import { isOpt } from './util.js';

function registry(ctx: Context): WasmRegistry {
  const r = ctx.server.wasm;
  if (!r) throw new ReplyError('ERR', 'WASM functions are disabled (wasm.enabled = false)');
  return r;
}

/** `WASM.LOAD name <module> [REPLACE] [PERMISSIONS p …]`; the bytes may also come last (redis-cli -x). */
function load(ctx: Context, args: string[]): Reply {
  const reg = registry(ctx);
  const name = args[1];
  let moduleArg: string | null = null;
  let replace = false;
  let clusterWide = false;
  let perms: Permission[] | null = null;
  for (let i = 2; i < args.length; i++) {
    const a = args[i];
    if (isWasmBytes(a)) {
      if (moduleArg !== null) return new ReplyError('ERR', 'more than one module given');
      moduleArg = a;
    } else if (isOpt(a, 'REPLACE')) {
      replace = true;
    } else if (isOpt(a, 'CLUSTER')) {
      clusterWide = true;
    } else if (isOpt(a, 'PERMISSIONS')) {
      perms = [];
      while (i + 1 < args.length && (parsePermission(args[i + 1]) || REMOVED_PERMISSIONS[args[i + 1].toUpperCase()])) {
        const removed = REMOVED_PERMISSIONS[args[++i].toUpperCase()];
        if (removed) return new ReplyError('ERR', `WASM.LOAD ${name}: ${removed}`);
        const p = parsePermission(args[i])!;
        if (!perms.includes(p)) perms.push(p);
      }
      if (perms.length === 0) {
        const bad = args[i + 1];
        return new ReplyError('ERR', bad === undefined ? 'PERMISSIONS needs at least one of READ WRITE ADMIN' : `unknown permission '${bad}' (use READ WRITE ADMIN)`);
      }
    } else if (moduleArg === null) {
      moduleArg = a; // a file name inside module_dir
    } else {
      return new ReplyError('ERR', `syntax error near '${a.slice(0, 64)}'`);
    }
  }
  if (moduleArg === null) return new ReplyError('ERR', 'missing module: pass the module bytes or a file name inside module_dir');
  const refused = clusterCheck(ctx, 'WASM.LOAD', name, clusterWide);
  if (refused) return refused;
  const loadError = (e: unknown): ReplyError => {
    if (e instanceof LoadError) return new ReplyError('ERR', `WASM.LOAD ${name}: ${e.message}`);
    throw e;
  };
  let bytes: Buffer;
  try {
    bytes = isWasmBytes(moduleArg) ? Buffer.from(moduleArg, 'latin1') : readModuleFile(reg, moduleArg);
  } catch (e) {
    return loadError(e);
  }
  const opts = { replace, permissions: perms };
  const client = ctx.client;
  const server = ctx.server;
  // Replicas get the module itself (bytes, not a file name only this server has), so after a
  // failover the new master can run it (docs/REPLICATION.md).
  const propagate = (): void => {
    const fn = reg.functions.get(name);
    if (!fn) return;
    // CLUSTER: every node of the cluster gets it over the bus (src/cluster/modules.ts).
    if (clusterWide) server.cluster?.modules.loadedHere(name);
    const perm = fn.permissions.length ? ['PERMISSIONS', ...fn.permissions] : [];
    server.replication.propagateCommand(['WASM.LOAD', name, fn.bytes.latin1Slice(0, fn.bytes.length), 'REPLACE', ...perm]);
  };
  // Inside MULTI/EXEC, a script or an internal client (the AOF loader, a replica's master link)
  // nothing may wait: load synchronously.
  if (client.inExec || client.socket === null) {
    try {
      reg.load(name, bytes, opts);
    } catch (e) {
      return loadError(e);
    }
    propagate();
    return OK;
  }
  // Otherwise the client waits (like a blocked client) while the module is instrumented in a worker
  // thread and compiled by V8 off the main thread; other clients are served meanwhile. The reply
  // comes when the function is registered (or refused).
  const state: BlockState = { db: client.db, keys: [], retry: () => undefined, timeoutReply: null, timer: null, cmd: server.table.lookup('wasm.load')!, args };
  server.blocking.block(client, state, 0);
  void reg.loadAsync(name, bytes, opts).then(
    () => {
      propagate();
      finish(OK);
    },
    (e: unknown) => {
      if (e instanceof LoadError) return finish(loadError(e));
      server.log.error({ err: e }, 'WASM.LOAD failed');
      finish(new ReplyError('ERR', `WASM.LOAD ${name}: internal error: ${(e as Error).message}`));
    },
  );
  function finish(reply: Reply): void {
    if (client.blocked === state) server.blocking.unblock(client, reply);
    server.afterCommand();
    server.flushPending();
  }
  return NO_REPLY;
}

/**
 * The CLUSTER option needs cluster mode; without it, a client may not change one node's copy of a
 * cluster-wide function (the next digest exchange would undo it). Internal clients (a master's
 * replication stream, the AOF) are not refused.
 */
function clusterCheck(ctx: Context, cmd: string, name: string, clusterWide: boolean): ReplyError | null {
  const cluster = ctx.server.cluster;
  if (clusterWide) return cluster ? null : new ReplyError('ERR', 'This instance has cluster support disabled');
  if (cluster && ctx.client.socket !== null && cluster.modules.isClusterWide(name)) {
    return new ReplyError('ERR', `${cmd} ${name}: function '${name}' is loaded cluster-wide: add CLUSTER to change it on every node`);
  }
  return null;
}

/**
 * Read a module file inside module_dir.
 *
 * BUG FIX: a read failure (a directory such as `WASM.LOAD x sub`, a file without read permission)
 * escaped the handler as a non-LoadError and came back as "internal error in 'wasm.load': EISDIR …"
 * (logged as a handler crash); it is now an ordinary WASM.LOAD error.
 */
function readModuleFile(reg: WasmRegistry, file: string): Buffer {
  const path = reg.resolveModuleFile(file);
  try {
    return readFileNoFollow(path);
  } catch (e) {
    throw new LoadError(`cannot read module file '${file}': ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** KEYS or ARGS of a call that has none: shared (the executor and guests never change them). */
const NONE: string[] = [];
Object.freeze(NONE);

/** Split `WASM.CALL name [KEYS k …] [ARGS a …]`: returns [keys, args] or an error. */
export function parseCallArgs(args: string[]): { keys: string[]; argv: string[] } | ReplyError {
  let keys = NONE;
  let i = 2;
  if (i < args.length && isOpt(args[i], 'KEYS')) {
    const from = ++i;
    while (i < args.length && !isOpt(args[i], 'ARGS')) i++;
    if (i > from) keys = args.slice(from, i);
  }
  let argv = NONE;
  if (i < args.length) {
    if (!isOpt(args[i], 'ARGS')) return new ReplyError('ERR', `syntax error: expected KEYS or ARGS, got '${args[i].slice(0, 64)}'`);
    if (i + 1 < args.length) argv = args.slice(i + 1);
  }
  return { keys, argv };
}

/** Key positions of a WASM.CALL: the words between KEYS and ARGS. */
function callKeys(args: string[]): number[] {
  const out: number[] = [];
  if (args.length > 2 && isOpt(args[2], 'KEYS')) {
    for (let i = 3; i < args.length && !isOpt(args[i], 'ARGS'); i++) out.push(i);
  }
  return out;
}

function callCommand(readonly: boolean) {
  return (ctx: Context, args: string[]): Reply => {
    const reg = registry(ctx);
    const target = args[1];
    const dot = target.indexOf('.');
    const name = dot < 0 ? target : target.slice(0, dot);
    const entry = dot < 0 ? 'main' : target.slice(dot + 1);
    const fn = reg.functions.get(name);
    if (!fn) return new ReplyError('ERR', `no such wasm function '${name}'`);
    const parsed = parseCallArgs(args);
    if (parsed instanceof ReplyError) return parsed;
    return runCall(ctx.server, ctx.client, fn, entry, parsed.keys, parsed.argv, readonly);
  };
}

function statsMap(fn: WasmFunction): MapReply {
  const s = fn.stats;
  const p = fn.pool.stats();
  return new MapReply([
    'calls', s.calls,
    'failed_calls', s.failed,
    'errors', new MapReply(s.errorCounts().flatMap(([k, n]) => [k, n])),
    'total_us', Math.round(s.totalUs),
    'avg_us', s.avgUs.toFixed(2),
    'p99_us', s.p99Us.toFixed(2),
    'fuel_used', s.fuelUsed,
    'fuel_last_call', s.lastFuel,
    'instances_created', p.created,
    'instances_reused', p.reused,
    'instances_evicted', p.evicted,
    'instances_idle', p.idle,
  ]);
}

function describe(fn: WasmFunction, withStats: boolean): MapReply {
  const flat: Reply[] = [
    'name', fn.name,
    'call_count', fn.stats.calls,
    'permissions', fn.permissions.map((p) => p.toLowerCase()),
    'exports', fn.exportNames,
    'size', fn.size,
    'sha256', fn.sha256,
  ];
  if (withStats) flat.push('stats', statsMap(fn));
  return new MapReply(flat);
}

const WASM_GROUP = 'wasm';

export const wasmCommands: CommandSpec[] = [
  {
    name: 'wasm.load',
    arity: -3,
    flags: ['write', 'denyoom', 'noscript', 'no_propagate'],
    keys: [0, 0, 0],
    group: `${WASM_GROUP} scripting admin dangerous`,
    summary: 'Loads a WebAssembly module as a user-defined function.',
    since: '0.1.0',
    complexity: 'O(N) in the size of the module (validation, instrumentation, compilation).',
    syntax: 'name module [REPLACE] [PERMISSIONS permission [permission ...]] [CLUSTER]',
    handler: load,
  },
  {
    name: 'wasm.unload',
    arity: -2,
    flags: ['write', 'noscript', 'no_propagate'],
    keys: [0, 0, 0],
    group: `${WASM_GROUP} scripting admin dangerous`,
    summary: 'Unloads a user-defined function (CLUSTER: on every node of the cluster).',
    since: '0.1.0',
    complexity: 'O(1)',
    syntax: 'name [CLUSTER]',
    handler: (ctx, args) => {
      const reg = registry(ctx);
      const name = args[1];
      if (args.length > 3 || (args.length === 3 && !isOpt(args[2], 'CLUSTER'))) return new ReplyError('ERR', 'syntax error');
      const clusterWide = args.length === 3;
      const refused = clusterCheck(ctx, 'WASM.UNLOAD', name, clusterWide);
      if (refused) return refused;
      const modules = ctx.server.cluster?.modules;
      const known = clusterWide && modules !== undefined && modules.isClusterWide(name);
      if (!reg.unload(name) && !known) return new ReplyError('ERR', `no such wasm function '${name}'`);
      if (clusterWide) modules?.unloadedHere(name);
      ctx.server.replication.propagateCommand(['WASM.UNLOAD', name]);
      return OK;
    },
  },
  {
    name: 'wasm.call',
    arity: -2,
    flags: ['write', 'denyoom', 'noscript', 'no_propagate', 'skip_monitor'],
    keys: [0, 0, 0],
    getKeys: callKeys,
    group: `${WASM_GROUP} scripting -write`,
    summary: 'Calls a user-defined function (name runs main, name.fn runs the export fn).',
    since: '0.1.0',
    complexity: 'Depends on the function.',
    syntax: 'function [KEYS key [key ...]] [ARGS arg [arg ...]]',
    handler: callCommand(false),
    afterCall: (_ctx, usec) => recordCallStats(usec),
  },
  {
    name: 'wasm.call_ro',
    arity: -2,
    flags: ['readonly', 'noscript', 'no_propagate', 'skip_monitor'],
    keys: [0, 0, 0],
    getKeys: callKeys,
    group: `${WASM_GROUP} scripting -write`,
    summary: 'Calls a user-defined function that may not write.',
    since: '0.1.0',
    complexity: 'Depends on the function.',
    syntax: 'function [KEYS key [key ...]] [ARGS arg [arg ...]]',
    handler: callCommand(true),
    afterCall: (_ctx, usec) => recordCallStats(usec),
  },
  {
    name: 'wasm.list',
    arity: -1,
    flags: ['readonly', 'noscript'],
    keys: [0, 0, 0],
    group: `${WASM_GROUP} scripting`,
    summary: 'Lists the loaded user-defined functions.',
    since: '0.1.0',
    complexity: 'O(N) in the number of functions.',
    syntax: '[WITHSTATS]',
    handler: (ctx, args) => {
      const reg = registry(ctx);
      let withStats = false;
      for (let i = 1; i < args.length; i++) {
        if (isOpt(args[i], 'WITHSTATS')) withStats = true;
        else return new ReplyError('ERR', 'syntax error');
      }
      return [...reg.functions.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((f) => describe(f, withStats));
    },
  },
  {
    name: 'wasm.info',
    arity: 2,
    flags: ['readonly', 'noscript'],
    keys: [0, 0, 0],
    group: `${WASM_GROUP} scripting`,
    summary: 'Shows a user-defined function: permissions, exports, size, sha256, calls and stats.',
    since: '0.1.0',
    complexity: 'O(1)',
    syntax: 'name',
    handler: (ctx, args) => {
      const fn = registry(ctx).functions.get(args[1]);
      if (!fn) return new ReplyError('ERR', `no such wasm function '${args[1]}'`);
      return describe(fn, true);
    },
  },
  {
    name: 'wasm.stats',
    arity: 1,
    flags: ['readonly', 'noscript'],
    keys: [0, 0, 0],
    group: `${WASM_GROUP} scripting`,
    summary: 'Registry-wide statistics of user-defined functions.',
    since: '0.1.0',
    complexity: 'O(N) in the number of functions.',
    handler: (ctx) => {
      const reg = registry(ctx);
      const t = reg.totals();
      const errors = new Map<string, number>();
      for (const f of reg.functions.values()) for (const [k, n] of f.stats.errorCounts()) errors.set(k, (errors.get(k) ?? 0) + n);
      return new MapReply([
        'functions', reg.functions.size,
        'calls', t.calls,
        'failed_calls', t.failed,
        'fuel_used', t.fuel,
        'compilations', reg.compilations,
        'compile_cache_hits', reg.cacheHits,
        'compile_cache_entries', reg.cacheStats().entries,
        'compile_cache_bytes', reg.cacheStats().bytes,
        'instances', reg.instanceCount(),
        'used_memory', reg.memory().total,
        'errors', new MapReply([...errors].flatMap(([k, n]) => [k, n])),
      ]);
    },
  },
];
