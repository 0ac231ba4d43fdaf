// A Lua scripting engine: one Lua state with Redis's environment (libs/prelude.ts), the JS side of
// redis.call / pcall / sha1hex / log / setresp, the run loop shared by EVAL and FCALL, and the time
// budget. Two instances exist per server, as in Redis: one for EVAL scripts, one for FUNCTION
// libraries (src/scripting/eval.ts, functions.ts).
//
// A run is atomic and all-or-nothing, like a WASM call (src/wasm/executor.ts): commands go through
// the shared script-call path (src/server/script-call.ts) with the undo log, write events are
// captured; when the script fails (runtime error, redis.call error, budget) its writes are rolled
// back and the events dropped; on success the events reach the observers as one MULTI/EXEC group.
//
// Budget: a Lua count hook fires every HOOK_EVERY VM instructions (on every thread: coroutines
// inherit it) and checks the clock and the stop flag; past busy-reply-threshold, or once
// requestScriptStop() was called, it raises an error, and keeps raising on every later hook so a
// script cannot swallow it with pcall (the prelude's pcall/xpcall/coroutine/load wrappers re-raise
// it too). The allocator checks the same condition on big allocations, so one C call building a
// huge string stops too. Redis instead keeps serving other clients with -BUSY and waits for SCRIPT
// KILL; Node cannot serve sockets while a synchronous script runs, so here the threshold is a hard stop.
//
// Memory: while a run (or a compile) is armed, the state's heap may grow by at most lua-memory-limit
// bytes; past it allocations fail and the script fails with a clear error. A run that grew the heap
// by more than GC_AFTER bytes is followed by a full collection, so the heap does not stay at its peak.

import { performance } from 'node:perf_hooks'; // the module's, not the global getter (~20 ns a read)
import { terminationRequested } from '../server/watchdog.js';
import { createHash } from 'node:crypto';
import type { Command } from '../commands/table.js';
import { formatDouble } from '../protocol/encoder.js';
import {
  BooleanReply, DoubleReply, MapReply, NIL_ARRAY, PushReply, Reply, ReplyError, SetReply, Status, VerbatimReply,
} from '../protocol/reply.js';
import { UndoLog } from '../keyspace/undo.js';
import { Refusal, runScriptCommand, ScriptCallPolicy } from '../server/script-call.js';
import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import { REDIS_VERSION } from '../version.js';
import { PRELUDE_LUA } from './libs/prelude.js';
import { DEFAULT_PATTERN_BUDGET } from './libs/pattern.js';
import {
  cstr, LuaVM, LUA_ERRMEM, LUA_MASKCOUNT, LUA_OK, LUA_REGISTRYINDEX, LUA_TBOOLEAN, LUA_TNIL, LUA_TNUMBER,
  LUA_TSTRING, LUA_TTABLE, M,
} from './lua-vm.js';

/** VM instructions between two clock checks (a few µs of work each). */
const HOOK_EVERY = 10000;
/** Heap growth during a run past which a full GC follows it. */
const GC_AFTER = 16 * 1024 * 1024;

/**
 * The stop flag every Lua engine's hook reads (Atomics.load) at each tick, and the allocator on big
 * allocations. Nonzero: the running script — and every later one, until clearScriptStop() — is
 * aborted at its next tick with STOP_MESSAGE, its writes undone. It lives in a SharedArrayBuffer so
 * that a worker thread can set it while the main thread is busy inside a script (a signal handler
 * cannot run then: it waits for the event loop).
 */
export const scriptStopFlag = new Int32Array(new SharedArrayBuffer(4));
/** Make every running or later Lua script abort at its next hook tick (e.g. on SIGTERM). */
export function requestScriptStop(): void {
  Atomics.store(scriptStopFlag, 0, 1);
}
export function clearScriptStop(): void {
  Atomics.store(scriptStopFlag, 0, 0);
}
let patternBudget = DEFAULT_PATTERN_BUDGET;
/**
 * Estimated C pattern-matching steps above which string.find/match/gmatch/gsub run the Lua port
 * (libs/pattern.ts). Read when an engine is created; tests set 0 to run every match in Lua.
 */
export function setPatternBudget(n: number): void {
  patternBudget = n;
}
const STOP_MESSAGE = 'ERR Script killed: the server is shutting down; its writes were undone';

/** What the JS primitives need while a script runs. */
interface Run {
  server: Server;
  client: Client;
  policy: ScriptCallPolicy;
  undo: UndoLog;
  resp3: boolean;
}

export interface RunOptions {
  readonly: boolean;
  /** Name in error messages: the sha for EVAL, the function name for FCALL. */
  name: string;
}

// Interned field names (pushed with lua_pushlstring from a static C string: no staging copy).
const K = (s: string): [number, number] => [cstr(s), s.length];
const F_ERR = K('err');
const F_OK = K('ok');
const F_DOUBLE = K('double');
const F_BIG = K('big_number');
const F_MAP = K('map');
const F_SET = K('set');
const F_SOURCE = K('source');
const F_LINE = K('line');
const F_KEYS = K('KEYS');
const F_ARGV = K('ARGV');
const F_VERBATIM = K('verbatim_string');
const F_FORMAT = K('format');
const F_STRING = K('string');

function versionNum(v: string): number {
  const [a, b, c] = v.split('.').map(Number);
  return (a << 16) | (b << 8) | c;
}

/** Lua numbers as Redis passes them to commands: %.17g. */
export function luaNumberArg(n: number): string {
  return formatDouble(n);
}

export function sha1hex(s: string): string {
  return createHash('sha1').update(Buffer.from(s, 'latin1')).digest('hex');
}

const ERR_TEXT: Record<Exclude<Refusal, 'oom' | 'acl' | 'repl' | 'no-admin' | 'no-read' | 'no-write'>, string> = {
  unknown: 'ERR Unknown Redis command called from script',
  arity: 'ERR Wrong number of args calling Redis command from script',
  denied: 'ERR This Redis command is not allowed from script',
  readonly: 'ERR Write commands are not allowed from read-only scripts.',
};

/** Redis's wording for script-call refusals; returned (not thrown) so redis.pcall can catch them. */
function luaRefusal(kind: Refusal, _cmd: Command | null, detail: ReplyError | null): ReplyError {
  if (kind === 'oom' || kind === 'acl' || kind === 'repl') return detail!;
  if (kind === 'no-admin' || kind === 'no-read' || kind === 'no-write') return ReplyError.fromWire(ERR_TEXT.denied);
  return ReplyError.fromWire(ERR_TEXT[kind]);
}

const luaPolicy = (readonly: boolean): ScriptCallPolicy => ({
  readonly,
  canWrite: true,
  canRead: true,
  canAdmin: true,
  checkOom: true,
  refuse: luaRefusal,
});
const LUA_RW = luaPolicy(false);
const LUA_RO = luaPolicy(true);

export class LuaEngine {
  readonly vm = new LuaVM();
  readonly handlerRef: number;
  /** eval mode: the real globals (KEYS/ARGV go there) and the read-only env scripts run in. */
  private readonly gRef: number = -1;
  private readonly envRef: number = -1;
  /** function mode: makes a library environment; switches `redis` to the load-time API. */
  readonly newEnvRef: number = -1;
  readonly loadingRef: number = -1;
  private run: Run | null = null;
  private deadline = Infinity;
  private killed = false;
  private stopped = false;
  private limitMs = 0;
  private limitMessage: string | null = null;
  private memLimit = 0;
  private usedAtArm = 0;
  private readonly collectRef: number;
  /** The function engine's register_function, set by functions.ts. */
  onRegister: ((L: number) => number) | null = null;
  private readonly undo = new UndoLog();
  /** Is a script running (SCRIPT KILL / FUNCTION KILL ask; always false between commands). */
  get busy(): boolean {
    return this.run !== null;
  }

  constructor(
    private readonly server: Server,
    readonly mode: 'eval' | 'function',
  ) {
    const vm = this.vm;
    const L = vm.L;
    // Arguments of the prelude chunk: NULL, js, version, versionNum, mode, patternBudget.
    if (!vm.load(PRELUDE_LUA, '=prelude')) throw new Error(`lua prelude: ${vm.toString(-1)}`);
    M._lua_pushlightuserdata(L, 0);
    M._lua_createtable(L, 0, 8);
    vm.setFunctionField('call', (l) => this.redisCall(l, true));
    vm.setFunctionField('pcall', (l) => this.redisCall(l, false));
    vm.setFunctionField('sha1hex', (l) => this.sha1(l));
    vm.setFunctionField('log', (l) => this.log(l));
    vm.setFunctionField('setresp', (l) => this.setresp(l));
    vm.setFunctionField('acl_check_cmd', (l) => this.aclCheck(l));
    vm.setFunctionField('killed', (l) => {
      M._lua_pushboolean(l, this.killed ? 1 : 0);
      return 1;
    });
    // Raises the stop (like the hook) when the run is over its budget: libs/pattern.ts calls it.
    vm.setFunctionField('check', (l) => {
      if (this.run !== null || this.deadline !== Infinity) this.hook(l);
      return 0;
    });
    vm.setFunctionField('register_function', (l) => (this.onRegister ? this.onRegister(l) : 0));
    vm.pushString(REDIS_VERSION);
    M._lua_pushinteger(L, BigInt(versionNum(REDIS_VERSION)));
    vm.pushString(mode);
    M._lua_pushnumber(L, patternBudget);
    if (M._lua_pcallk(L, 6, 1, 0, 0, 0) !== LUA_OK) throw new Error(`lua prelude: ${vm.toString(-1)}`);
    const R = M._lua_gettop(L);
    const field = (name: string): number => {
      M._lua_getfield(L, R, cstr(name));
      return vm.ref();
    };
    this.handlerRef = field('handler');
    if (mode === 'eval') {
      this.gRef = field('G');
      this.envRef = field('env');
    } else {
      this.newEnvRef = field('new_env');
      this.loadingRef = field('loading');
    }
    M._lua_getfield(L, R, cstr('collect'));
    this.collectRef = vm.ref();
    M._lua_settop(L, 0);
    const hook = M.addFunction((l: number) => this.hook(l), 'vii');
    M._lua_sethook(L, hook, LUA_MASKCOUNT, HOOK_EVERY);
    vm.interrupt = () => this.mustStop();
  }

  // ---- Budget -----------------------------------------------------------------------------------

  /**
   * Arm the time budget and the memory limit for a run or a library load: busy-reply-threshold,
   * or `limitMs` with its own error text (FUNCTION LOAD's 500 ms "FUNCTION LOAD timeout").
   */
  arm(limitMs?: number, limitMessage?: string): void {
    this.limitMs = limitMs ?? this.server.config.getInt('busy-reply-threshold');
    this.limitMessage = limitMessage ?? null;
    this.deadline = this.limitMs > 0 ? performance.now() + this.limitMs : Infinity;
    this.killed = false;
    this.stopped = false;
    // Asked to stop before the run starts: it is refused even if too short to reach a hook tick.
    if (Atomics.load(scriptStopFlag, 0) !== 0 || terminationRequested()) this.killed = this.stopped = true;
    this.armMemory();
  }

  /** Arm only the memory limit (compiling a script). */
  armMemory(): void {
    const vm = this.vm;
    this.memLimit = this.server.config.getInt('lua-memory-limit');
    this.usedAtArm = vm.used;
    vm.limit = this.memLimit > 0 ? vm.used + this.memLimit : Infinity;
    vm.hitLimit = false;
  }

  disarm(): void {
    this.deadline = Infinity;
    const vm = this.vm;
    vm.limit = Infinity;
    vm.L = vm.main;
    // A run that grew the heap a lot (or hit the limit) is followed by a full collection: what it
    // allocated is unreachable now, and the incremental collector alone would keep it for long.
    if (vm.used - this.usedAtArm > GC_AFTER || vm.hitLimit) {
      const L = vm.main;
      const top = M._lua_gettop(L);
      vm.pushRef(this.collectRef);
      M._lua_pcallk(L, 0, 0, 0, 0, 0);
      M._lua_settop(L, top);
    }
  }

  /** Did the last run fail because it reached lua-memory-limit? */
  get hitMemoryLimit(): boolean {
    return this.vm.hitLimit;
  }

  get memoryMessage(): string {
    return `ERR Script killed: it used more than lua-memory-limit (${this.memLimit} bytes) of Lua memory; its writes were undone`;
  }

  get killMessage(): string {
    if (this.stopped) return STOP_MESSAGE;
    if (this.limitMessage !== null) return this.limitMessage;
    return `ERR Script killed: it ran longer than busy-reply-threshold (${this.limitMs} ms); its writes were undone`;
  }

  /** Is the run over its budget or asked to stop? Marks it killed (the mark is never taken back). */
  private mustStop(): boolean {
    if (this.killed) return true;
    if (Atomics.load(scriptStopFlag, 0) !== 0 || terminationRequested()) this.stopped = true;
    else if (performance.now() <= this.deadline) return false;
    this.killed = true;
    return true;
  }

  /** The count hook, on thread `l` (the main thread or a coroutine). */
  private hook(l: number): void {
    if (!this.mustStop()) return;
    this.vm.L = l;
    this.pushErrorTable(this.killMessage);
    this.vm.raise();
  }

  /** Ask the running script (if any) and every later one to stop at its next hook tick. */
  requestStop(): void {
    requestScriptStop();
  }

  get wasKilled(): boolean {
    return this.killed;
  }

  // ---- Compiling ----------------------------------------------------------------------------------

  /**
   * Compile `code` as chunk `chunkName` and give it the read-only script environment (eval mode) or
   * the environment at the top of the stack (function mode, `envOnStack`). Returns a registry ref,
   * or the Lua error message.
   */
  compile(code: string, chunkName: string, envOnStack = false): number | string {
    const vm = this.vm;
    const L = vm.L;
    this.armMemory();
    const loaded = vm.load(code, chunkName);
    vm.limit = Infinity;
    if (!loaded) {
      const msg = vm.toString(-1) ?? 'unknown error';
      M._lua_settop(L, envOnStack ? -3 : -2);
      return fixSyntaxMessage(msg);
    }
    if (envOnStack) M._lua_pushvalue(L, -2);
    else vm.pushRef(this.envRef);
    M._lua_setupvalue(L, -2, 1); // the chunk's _ENV
    const ref = vm.ref();
    if (envOnStack) M._lua_settop(L, -2);
    return ref;
  }

  // ---- Running ------------------------------------------------------------------------------------

  /**
   * Call the function `fnRef` — an EVAL chunk (KEYS/ARGV set as globals) or a registered function
   * (called with keys, args). Never throws: failures become error replies, with every write undone.
   */
  call(fnRef: number, client: Client, keys: string[], args: string[], opts: RunOptions): Reply {
    const server = this.server;
    const vm = this.vm;
    const L = vm.L;
    // One undo log per engine, emptied after every run: scripts never nest (EVAL and FCALL are
    // noscript), so the hot path allocates none.
    const undo = this.undo;
    const policy = opts.readonly ? LUA_RO : LUA_RW;
    this.run = { server, client, policy, undo, resp3: false };
    const base = M._lua_gettop(L);
    vm.pushRef(this.handlerRef);
    vm.pushRef(fnRef);
    let nargs = 0;
    if (this.mode === 'eval') {
      vm.pushRef(this.gRef);
      M._lua_pushlstring(L, F_KEYS[0], F_KEYS[1]);
      this.pushStringArray(keys);
      M._lua_rawset(L, -3);
      M._lua_pushlstring(L, F_ARGV[0], F_ARGV[1]);
      this.pushStringArray(args);
      M._lua_rawset(L, -3);
      M._lua_settop(L, -2);
    } else {
      this.pushStringArray(keys);
      this.pushStringArray(args);
      nargs = 2;
    }
    const db = client.db;
    const wasInExec = client.inExec;
    client.inExec = true;
    client.inScript = true;
    server.beginCapture();
    this.arm();
    let reply: Reply;
    try {
      const status = M._lua_pcallk(L, nargs, 1, base + 1, 0, 0);
      this.disarm();
      if (status === LUA_OK && !this.killed) {
        reply = this.toReply(-1, 0);
        undo.clear();
        server.endCapture(true);
      } else {
        reply = this.errorReply(status === LUA_OK ? null : -1, opts.name);
        undo.rollback((d, key) => server.keyModified(d, key));
        server.endCapture(false);
      }
    } catch (e) {
      // A JS exception escaped the VM (a bug in a primitive): undo like any failure.
      this.disarm();
      undo.rollback((d, key) => server.keyModified(d, key));
      server.endCapture(false);
      server.log.error({ err: e }, 'lua: internal error');
      reply = new ReplyError('ERR', `internal error running script: ${(e as Error).message}`);
    } finally {
      M._lua_settop(L, base);
      client.db = db;
      client.inExec = wasInExec;
      client.inScript = false;
      this.run = null;
    }
    return reply;
  }

  /** Redis's error text for a failed run: "<err> script: <name>, on <source>:<line>." */
  errorReply(idx: number | null, name: string): ReplyError {
    const L = this.vm.L;
    let err = this.killed ? this.killMessage : null;
    if (err === null && this.vm.hitLimit && idx !== null) {
      const t = M._lua_type(L, idx);
      const msg = t === LUA_TTABLE ? this.rawField(idx < 0 ? M._lua_gettop(L) + idx + 1 : idx, F_ERR) : t === LUA_TSTRING ? this.vm.toString(idx) : null;
      if (msg !== null && msg.includes('not enough memory')) err = this.memoryMessage;
    }
    let where = '';
    if (idx !== null && M._lua_type(L, idx) === LUA_TTABLE) {
      const t = M._lua_gettop(L);
      if (err === null) err = this.rawField(t, F_ERR);
      const source = this.rawField(t, F_SOURCE);
      const line = this.rawField(t, F_LINE);
      if (source !== null && line !== null) where = `, on ${source}:${line}`;
    } else if (err === null) {
      const msg = idx === null ? 'unknown error' : this.vm.toString(idx) ?? 'unknown error';
      return new ReplyError('ERR', `Error running script (call to ${name}): @${msg}`);
    }
    if (err === null) err = 'ERR unknown error';
    err = lua51Message(err);
    return ReplyError.fromWire(`${err.replace(/[\r\n]+/g, ' ')} script: ${name}${where}${where ? '.' : ''}`);
  }

  private rawField(t: number, f: [number, number]): string | null {
    const L = this.vm.L;
    M._lua_pushlstring(L, f[0], f[1]);
    const ty = M._lua_rawget(L, t);
    const v = ty === LUA_TSTRING || ty === LUA_TNUMBER ? this.vm.toString(-1) : null;
    M._lua_settop(L, -2);
    return v;
  }

  // ---- Conversions --------------------------------------------------------------------------------

  private pushStringArray(a: string[]): void {
    const L = this.vm.L;
    M._lua_createtable(L, a.length, 0);
    for (let i = 0; i < a.length; i++) {
      this.vm.pushString(a[i]);
      M._lua_rawseti(L, -2, BigInt(i + 1));
    }
  }

  private pushErrorTable(wire: string): void {
    const L = this.vm.L;
    M._lua_createtable(L, 0, 1);
    this.vm.pushString(wire);
    M._lua_setfield(L, -2, F_ERR[0]);
  }

  /** A reply as the Lua value Redis gives scripts (RESP2 or, after redis.setresp(3), RESP3 rules). */
  pushReply(r: Reply, resp3: boolean): void {
    const vm = this.vm;
    const L = vm.L;
    switch (typeof r) {
      case 'string':
        vm.pushString(r);
        return;
      case 'number':
        if (Number.isInteger(r)) M._lua_pushinteger(L, BigInt(r));
        else M._lua_pushnumber(L, r);
        return;
      case 'bigint':
        M._lua_pushinteger(L, BigInt.asIntN(64, r));
        return;
      case 'symbol':
        if (r === NIL_ARRAY && !resp3) M._lua_pushboolean(L, 0);
        else M._lua_pushnil(L);
        return;
    }
    if (r === null) {
      if (resp3) M._lua_pushnil(L);
      else M._lua_pushboolean(L, 0);
      return;
    }
    M._lua_checkstack(L, 4);
    if (Array.isArray(r) || r instanceof PushReply) {
      const items = Array.isArray(r) ? r : r.items;
      M._lua_createtable(L, items.length, 0);
      for (let i = 0; i < items.length; i++) {
        this.pushReply(items[i], resp3);
        M._lua_rawseti(L, -2, BigInt(i + 1));
      }
    } else if (Buffer.isBuffer(r)) {
      vm.pushBytes(r);
    } else if (r instanceof BooleanReply) {
      // RESP3 boolean → Lua boolean; RESP2 sees 1 / nil, which Lua gets as 1 / false.
      if (resp3) M._lua_pushboolean(L, r.value ? 1 : 0);
      else if (r.value) M._lua_pushinteger(L, 1n);
      else M._lua_pushboolean(L, 0);
    } else if (r instanceof Status) {
      M._lua_createtable(L, 0, 1);
      vm.pushString(r.text);
      M._lua_setfield(L, -2, F_OK[0]);
    } else if (r instanceof ReplyError) {
      this.pushErrorTable(r.wire);
    } else if (r instanceof MapReply) {
      if (!resp3) return this.pushReply(r.flat, false);
      M._lua_createtable(L, 0, 1);
      M._lua_createtable(L, 0, r.flat.length >> 1);
      for (let i = 0; i + 1 < r.flat.length; i += 2) {
        this.pushReply(r.flat[i], true);
        this.pushReply(r.flat[i + 1], true);
        M._lua_rawset(L, -3);
      }
      M._lua_setfield(L, -2, F_MAP[0]);
    } else if (r instanceof SetReply) {
      if (!resp3) return this.pushReply(r.items, false);
      M._lua_createtable(L, 0, 1);
      M._lua_createtable(L, 0, r.items.length);
      for (const m of r.items) {
        this.pushReply(m, true);
        M._lua_pushboolean(L, 1);
        M._lua_rawset(L, -3);
      }
      M._lua_setfield(L, -2, F_SET[0]);
    } else if (r instanceof DoubleReply) {
      if (!resp3) return vm.pushString(r.text ?? formatDouble(r.value));
      M._lua_createtable(L, 0, 1);
      M._lua_pushnumber(L, r.value);
      M._lua_setfield(L, -2, F_DOUBLE[0]);
    } else if (r instanceof VerbatimReply) {
      if (!resp3) return vm.pushString(r.text);
      M._lua_createtable(L, 0, 1);
      M._lua_createtable(L, 0, 2);
      vm.pushString('txt');
      M._lua_setfield(L, -2, F_FORMAT[0]);
      vm.pushString(r.text);
      M._lua_setfield(L, -2, F_STRING[0]);
      M._lua_setfield(L, -2, F_VERBATIM[0]);
    } else {
      M._lua_pushnil(L);
    }
  }

  /** The Lua value at `idx` as a reply, by Redis's Lua → RESP rules. */
  toReply(idx: number, depth: number): Reply {
    const L = this.vm.L;
    const t = M._lua_type(L, idx);
    switch (t) {
      case LUA_TSTRING:
        return this.vm.toString(idx);
      case LUA_TBOOLEAN:
        // Redis 7.0's luaReplyToRedisReply: under redis.setresp(2) (the default) true is 1 and false
        // nil; after redis.setresp(3) a boolean (#t/#f to a RESP3 caller, :1/:0 to a RESP2 one).
        if (this.run?.resp3) return BooleanReply.of(M._lua_toboolean(L, idx) !== 0);
        return M._lua_toboolean(L, idx) ? 1 : null;
      case LUA_TNUMBER: {
        if (M._lua_isinteger(L, idx)) {
          const v = M._lua_tointegerx(L, idx, 0);
          const n = Number(v);
          return Number.isSafeInteger(n) ? n : v;
        }
        const d = M._lua_tonumberx(L, idx, 0);
        if (!Number.isFinite(d)) return Number.isNaN(d) ? -(2 ** 63) : d > 0 ? 2n ** 63n - 1n : -(2n ** 63n);
        const n = Math.trunc(d);
        return Number.isSafeInteger(n) ? n : BigInt(n);
      }
      case LUA_TTABLE:
        return this.tableToReply(idx < 0 ? M._lua_gettop(L) + idx + 1 : idx, depth);
      case LUA_TNIL:
      default:
        return null;
    }
  }

  private tableToReply(abs: number, depth: number): Reply {
    const L = this.vm.L;
    if (depth > 200) return new ReplyError('ERR', 'reached lua stack limit');
    M._lua_checkstack(L, 4);
    const err = this.rawTyped(abs, F_ERR, LUA_TSTRING);
    if (err) {
      const s = this.vm.toString(-1)!;
      M._lua_settop(L, -2);
      return ReplyError.fromWire(s.replace(/[\r\n]+/g, ' '));
    }
    if (this.rawTyped(abs, F_OK, LUA_TSTRING)) {
      const s = this.vm.toString(-1)!;
      M._lua_settop(L, -2);
      return new Status(s.replace(/[\r\n]+/g, ' '));
    }
    if (this.rawTyped(abs, F_DOUBLE, LUA_TNUMBER)) {
      const d = M._lua_tonumberx(L, -1, 0);
      M._lua_settop(L, -2);
      return new DoubleReply(d);
    }
    if (this.rawTyped(abs, F_BIG, LUA_TSTRING)) {
      const s = this.vm.toString(-1)!;
      M._lua_settop(L, -2);
      return s;
    }
    if (this.rawTyped(abs, F_MAP, LUA_TTABLE)) {
      const m = M._lua_gettop(L);
      const flat: Reply[] = [];
      M._lua_pushnil(L);
      while (M._lua_next(L, m) !== 0) {
        const v = this.toReply(-1, depth + 1);
        M._lua_settop(L, -2);
        M._lua_pushvalue(L, -1);
        flat.push(this.toReply(-1, depth + 1), v);
        M._lua_settop(L, -2);
      }
      M._lua_settop(L, -2);
      return new MapReply(flat);
    }
    if (this.rawTyped(abs, F_SET, LUA_TTABLE)) {
      const m = M._lua_gettop(L);
      const items: Reply[] = [];
      M._lua_pushnil(L);
      while (M._lua_next(L, m) !== 0) {
        M._lua_settop(L, -2);
        M._lua_pushvalue(L, -1);
        items.push(this.toReply(-1, depth + 1));
        M._lua_settop(L, -2);
      }
      M._lua_settop(L, -2);
      return new SetReply(items);
    }
    const out: Reply[] = [];
    for (let j = 1; ; j++) {
      if (M._lua_rawgeti(L, abs, BigInt(j)) === LUA_TNIL) {
        M._lua_settop(L, -2);
        break;
      }
      out.push(this.toReply(-1, depth + 1));
      M._lua_settop(L, -2);
    }
    return out;
  }

  /** Push t[f] (raw); true (value left on the stack) when it has type `ty`, else pops it. */
  private rawTyped(t: number, f: [number, number], ty: number): boolean {
    const L = this.vm.L;
    M._lua_pushlstring(L, f[0], f[1]);
    if (M._lua_rawget(L, t) === ty) return true;
    M._lua_settop(L, -2);
    return false;
  }

  // ---- The JS primitives --------------------------------------------------------------------------

  /** Raise {err=wire} (does not return). */
  private fail(wire: string): number {
    this.pushErrorTable(wire);
    return this.vm.raise();
  }

  private redisCall(L: number, raise: boolean): number {
    const run = this.run;
    const vm = this.vm;
    const n = M._lua_gettop(L);
    let err: string | null = null;
    if (!run) err = 'ERR redis.call is not available here';
    else if (n === 0) err = 'ERR Please specify at least one argument for this redis lib call';
    const argv: string[] = new Array(n);
    for (let i = 1; err === null && i <= n; i++) {
      const t = M._lua_type(L, i);
      if (t === LUA_TSTRING) argv[i - 1] = vm.toString(i)!;
      else if (t === LUA_TNUMBER) {
        argv[i - 1] = M._lua_isinteger(L, i) ? String(M._lua_tointegerx(L, i, 0)) : luaNumberArg(M._lua_tonumberx(L, i, 0));
      } else err = 'ERR Lua redis lib command arguments must be strings or integers';
    }
    if (err !== null) {
      if (raise) return this.fail(err);
      this.pushErrorTable(err);
      return 1;
    }
    const reply = runScriptCommand(run!.server, run!.client, argv, run!.policy, run!.undo);
    if (this.killed) return this.fail(this.killMessage);
    if (reply instanceof ReplyError) {
      if (raise) return this.fail(reply.wire);
      this.pushErrorTable(reply.wire);
      return 1;
    }
    M._lua_settop(L, 0);
    this.pushReply(reply, run!.resp3);
    return 1;
  }

  private sha1(L: number): number {
    if (M._lua_gettop(L) !== 1) return this.fail('ERR wrong number of arguments');
    const s = this.vm.toString(1) ?? '';
    M._lua_settop(L, 0);
    this.vm.pushString(sha1hex(s));
    return 1;
  }

  private log(L: number): number {
    const n = M._lua_gettop(L);
    if (n < 2) return this.fail('ERR redis.log() requires two arguments or more.');
    if (M._lua_type(L, 1) !== LUA_TNUMBER) return this.fail('ERR First argument must be a number (log level).');
    const level = Number(M._lua_tonumberx(L, 1, 0));
    if (level < 0 || level > 3) return this.fail('ERR Invalid debug level.');
    const parts: string[] = [];
    for (let i = 2; i <= n; i++) parts.push(this.vm.toString(i) ?? '');
    const msg = Buffer.from(parts.join(' '), 'latin1').toString('utf8');
    const log = this.server.log;
    if (level === 0) log.debug({ lua: true }, msg);
    else if (level === 1) log.info({ lua: true }, msg);
    else if (level === 2) log.info({ lua: true }, msg);
    else log.warn({ lua: true }, msg);
    return 0;
  }

  private setresp(L: number): number {
    if (M._lua_gettop(L) !== 1) return this.fail('ERR redis.setresp() requires one argument.');
    const v = Number(M._lua_tonumberx(L, 1, 0));
    if (v !== 2 && v !== 3) return this.fail('ERR RESP version must be 2 or 3.');
    if (this.run) this.run.resp3 = v === 3;
    return 0;
  }

  private aclCheck(L: number): number {
    const n = M._lua_gettop(L);
    if (n === 0) return this.fail('ERR Please specify at least one argument for this redis lib call');
    const name = this.vm.toString(1) ?? '';
    if (!this.server.table.lookup(name)) return this.fail('ERR Invalid command passed to redis.acl_check_cmd()');
    M._lua_pushboolean(L, 1);
    return 1;
  }
}

/**
 * Lua 5.4 words runtime errors differently from 5.1: "attempt to index a nil value (local 't')" is
 * 5.1's "attempt to index local 't' (a nil value)". Rewritten in error replies (not inside pcall).
 */
export function lua51Message(msg: string): string {
  return msg.replace(
    /attempt to ([a-z ]+?) an? ([a-z]+) value \((local|global|field|upvalue|method|constant) '([^']*)'\)/g,
    "attempt to $1 $3 '$4' (a $2 value)",
  );
}

/** Lua 5.4 quotes `<eof>` differently from 5.1 ("near <eof>" vs "near '<eof>'"). */
export function fixSyntaxMessage(msg: string): string {
  return msg.replace(/near <eof>$/, "near '<eof>'");
}
