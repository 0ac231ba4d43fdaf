// The Lua VM binding: one Lua 5.4 state (wasmoon's emscripten build) driven through the raw C API.
//
// Why not wasmoon's LuaEngine: its high-level API moves strings through UTF-8, which corrupts binary
// values, and it is promise-based. Redis values are arbitrary bytes (latin1 JS strings in this
// server, one char per byte), so every string crosses the boundary here with an explicit length:
// lua_pushlstring from a scratch buffer in the wasm heap, lua_tolstring + the returned length read
// straight out of HEAPU8. Everything is synchronous: a script runs to completion on the main thread,
// which is what makes it atomic.
//
// The module is instantiated once per process (top-level await, ~15 ms); each LuaVM owns one
// lua_State. JS functions are exposed to Lua as C closures made with the module's addFunction, once
// per VM (not per call), so the hot path (EVALSHA) makes no new function-table entries.

import { LuaWasm } from 'wasmoon';

// Lua 5.4 constants (lua.h).
export const LUA_TNIL = 0;
export const LUA_TBOOLEAN = 1;
export const LUA_TNUMBER = 3;
export const LUA_TSTRING = 4;
export const LUA_TTABLE = 5;
export const LUA_TFUNCTION = 6;
export const LUA_OK = 0;
export const LUA_ERRMEM = 4;
export const LUA_MASKCOUNT = 8;
const LUAI_MAXSTACK = 1000000;
export const LUA_REGISTRYINDEX = -LUAI_MAXSTACK - 1000;

/** The raw emscripten exports we use (i64 values are BigInt: the build has WASM_BIGINT). */
export interface LuaModule {
  HEAPU8: Uint8Array;
  HEAPU32: Uint32Array;
  _malloc(n: number): number;
  _free(p: number): void;
  addFunction(fn: (...a: number[]) => number | void, sig: string): number;
  _luaL_newstate(): number;
  _luaL_openlibs(L: number): void;
  _lua_close(L: number): void;
  _luaL_loadbufferx(L: number, buf: number, len: number, name: number, mode: number): number;
  _lua_pcallk(L: number, nargs: number, nres: number, errfunc: number, ctx: number, k: number): number;
  _lua_gettop(L: number): number;
  _lua_settop(L: number, i: number): void;
  _lua_pushvalue(L: number, i: number): void;
  _lua_type(L: number, i: number): number;
  _lua_toboolean(L: number, i: number): number;
  _lua_isinteger(L: number, i: number): number;
  _lua_tointegerx(L: number, i: number, isnum: number): bigint;
  _lua_tonumberx(L: number, i: number, isnum: number): number;
  _lua_tolstring(L: number, i: number, len: number): number;
  _lua_pushlstring(L: number, s: number, len: number): number;
  _lua_pushinteger(L: number, n: bigint): void;
  _lua_pushnumber(L: number, n: number): void;
  _lua_pushboolean(L: number, b: number): void;
  _lua_pushnil(L: number): void;
  _lua_pushcclosure(L: number, fn: number, n: number): void;
  _lua_createtable(L: number, narr: number, nrec: number): void;
  _lua_rawseti(L: number, t: number, n: bigint): void;
  _lua_rawgeti(L: number, t: number, n: bigint): number;
  _lua_rawset(L: number, t: number): void;
  _lua_rawget(L: number, t: number): number;
  _lua_getfield(L: number, t: number, k: number): number;
  _lua_setfield(L: number, t: number, k: number): void;
  _lua_next(L: number, t: number): number;
  _lua_error(L: number): number;
  _luaL_ref(L: number, t: number): number;
  _luaL_unref(L: number, t: number, ref: number): void;
  _lua_sethook(L: number, fn: number, mask: number, count: number): void;
  _lua_checkstack(L: number, n: number): number;
  _lua_pushlightuserdata(L: number, p: number): void;
  _lua_setupvalue(L: number, f: number, n: number): number;
  _lua_setallocf(L: number, f: number, ud: number): void;
  _realloc(p: number, n: number): number;
}

/**
 * The module, with its exported C functions replaced by the WebAssembly instance's own exports.
 * wasmoon ships an emscripten build with assertions, in which every `Module._lua_*` is a JS wrapper
 * (`function () { assert(runtimeInitialized); return export.apply(null, arguments) }`): 18% of a
 * cached EVALSHA's time in the profile. The instance's exports are the same functions without the
 * wrapper; they are captured while the module instantiates (emscripten does not hand them out), and
 * everything else (HEAPU8, addFunction, …) is still read from the module itself.
 */
async function instantiate(): Promise<LuaModule> {
  const original = WebAssembly.instantiate;
  let exports: WebAssembly.Exports | null = null;
  WebAssembly.instantiate = (async (...args: Parameters<typeof WebAssembly.instantiate>) => {
    const r = (await (original as (...a: unknown[]) => Promise<unknown>)(...args)) as WebAssembly.WebAssemblyInstantiatedSource | WebAssembly.Instance;
    exports = ('instance' in r ? r.instance : r).exports;
    return r;
  }) as typeof WebAssembly.instantiate;
  let module: LuaModule;
  try {
    module = (await LuaWasm.initialize()).module as unknown as LuaModule;
  } finally {
    WebAssembly.instantiate = original;
  }
  const fast = Object.create(module) as Record<string, unknown>;
  for (const [name, fn] of Object.entries((exports ?? {}) as Record<string, unknown>)) {
    if (typeof fn === 'function' && typeof (module as unknown as Record<string, unknown>)[`_${name}`] === 'function') fast[`_${name}`] = fn;
  }
  return fast as unknown as LuaModule;
}

export const M = await instantiate();

/** A C string in the wasm heap that lives as long as the process (field names, chunk names). */
const cstrings = new Map<string, number>();
export function cstr(s: string): number {
  let p = cstrings.get(s);
  if (p === undefined) {
    const b = Buffer.from(s + '\0', 'latin1');
    p = M._malloc(b.length);
    M.HEAPU8.set(b, p);
    cstrings.set(s, p);
  }
  return p;
}

/** A JS function callable from Lua: reads its arguments off L's stack, returns the number of results. */
export type LuaCFunction = (L: number) => number;

/** Allocations of at least this size check `interrupt` (the clock) every time; smaller ones every 1024th. */
const BIG_ALLOC = 64 * 1024;

export class LuaVM {
  /** The main thread: every top-level call runs on it. */
  readonly main: number;
  /**
   * The thread the current JS entry (a primitive or the hook) was called on: the main thread, or a
   * coroutine. Set by every C closure made with pushFunction (and by the hook), reset to `main`
   * when a top-level call returns; everything that pushes or reads uses it.
   */
  L: number;
  /** Bytes held by this state's allocator: exactly what collectgarbage('count') reports, in bytes. */
  used = 0;
  /** Growth past this many bytes is refused (Lua raises "not enough memory"). */
  limit = Infinity;
  /** Set when an allocation was refused for `limit`; cleared by the caller. */
  hitLimit = false;
  /**
   * Asked by the allocator (big allocations, and every 1024th small one) while a run is armed: true
   * when the run must stop. Allocations of BIG_ALLOC or more are then refused, so a C function that
   * builds a large result (string.rep, table.concat, gsub …) stops at its next allocation even
   * between two count-hook ticks.
   */
  interrupt: (() => boolean) | null = null;
  private allocTick = 0;
  private scratch = 0;
  private scratchCap = 0;
  private readonly lenPtr: number;
  private heapBuf: Buffer;

  constructor() {
    this.main = this.L = M._luaL_newstate();
    if (!this.L) throw new Error('lua: cannot create a state (out of memory)');
    // Our allocator (the same malloc as luaL_newstate's, plus accounting): what the state allocated
    // before the switch is freed through it too, so `used` ends a hair below 0 at close — harmless.
    M._lua_setallocf(this.L, M.addFunction((_ud: number, ptr: number, osize: number, nsize: number) => this.alloc(ptr, osize >>> 0, nsize >>> 0), 'iiiii'), 0);
    M._luaL_openlibs(this.L);
    this.lenPtr = M._malloc(8);
    this.heapBuf = Buffer.from(M.HEAPU8.buffer);
  }

  /** lua_Alloc: realloc/free with a byte count, the per-run limit and the interrupt check. */
  private alloc(ptr: number, osize: number, nsize: number): number {
    const old = ptr ? osize : 0;
    if (nsize === 0) {
      if (ptr) {
        M._free(ptr);
        this.used -= old;
      }
      return 0;
    }
    const delta = nsize - old;
    if (delta > 0) {
      if (this.used + delta > this.limit) {
        this.hitLimit = true;
        return 0;
      }
      if (this.interrupt !== null && (nsize >= BIG_ALLOC || (++this.allocTick & 1023) === 0) && this.interrupt() && nsize >= BIG_ALLOC) return 0;
    }
    const p = M._realloc(ptr, nsize);
    if (p) this.used += delta;
    return p;
  }

  /** A Buffer over the whole wasm heap (re-made when memory grows and the old one detaches). */
  private heap(): Buffer {
    if (this.heapBuf.buffer !== M.HEAPU8.buffer) this.heapBuf = Buffer.from(M.HEAPU8.buffer);
    return this.heapBuf;
  }

  /** Copy a latin1 string into the scratch buffer; returns its address. */
  private stage(s: string): number {
    const n = s.length;
    if (n + 1 > this.scratchCap) {
      if (this.scratch) M._free(this.scratch);
      this.scratchCap = Math.max(256, (n + 1) * 2);
      this.scratch = M._malloc(this.scratchCap);
      if (!this.scratch) throw new Error('lua: out of memory');
    }
    if (n > 0) this.heap().latin1Write(s, this.scratch, n);
    return this.scratch;
  }

  pushString(s: string): void {
    M._lua_pushlstring(this.L, this.stage(s), s.length);
  }

  pushBytes(b: Buffer): void {
    this.pushString(b.latin1Slice(0, b.length));
  }

  /** The string (or number, converted by Lua) at `i` as latin1 bytes, or null when it is neither. */
  toString(i: number): string | null {
    const p = M._lua_tolstring(this.L, i, this.lenPtr);
    if (!p) return null;
    const heap = this.heap();
    const n = M.HEAPU32[this.lenPtr >> 2];
    return heap.latin1Slice(p, p + n);
  }

  /**
   * Compile `code` as a chunk named `name`; leaves the function (or the error message) on the stack.
   * Source text only (mode "t"): Lua does not verify bytecode, so a binary chunk (string.dump
   * output, possibly mutated) could corrupt the heap every later script runs in.
   */
  load(code: string, name: string): boolean {
    const p = this.stage(code);
    return M._luaL_loadbufferx(this.L, p, code.length, cstr(name), cstr('t')) === LUA_OK;
  }

  /** Run Lua source (the prelude) and throw on error. */
  exec(code: string, name: string): void {
    if (!this.load(code, name) || M._lua_pcallk(this.L, 0, 0, 0, 0, 0) !== LUA_OK) {
      const msg = this.toString(-1);
      M._lua_settop(this.L, 0);
      throw new Error(`lua: ${msg}`);
    }
  }

  /** Make a JS function callable from Lua (one function-table slot for the life of the process). */
  pushFunction(fn: LuaCFunction): void {
    const ptr = M.addFunction((l: number) => {
      this.L = l;
      return fn(l);
    }, 'ii');
    M._lua_pushcclosure(this.L, ptr, 0);
  }

  /** Set field `k` of the table at the top of the stack to the JS function. */
  setFunctionField(k: string, fn: LuaCFunction): void {
    this.pushFunction(fn);
    M._lua_setfield(this.L, -2, cstr(k));
  }

  /** Pop the top value into the registry; returns its reference. */
  ref(): number {
    return M._luaL_ref(this.L, LUA_REGISTRYINDEX);
  }

  unref(r: number): void {
    M._luaL_unref(this.L, LUA_REGISTRYINDEX, r);
  }

  pushRef(r: number): void {
    M._lua_rawgeti(this.L, LUA_REGISTRYINDEX, BigInt(r));
  }

  /** Raise a Lua error with the value at the top of the stack (does not return: it unwinds through JS). */
  raise(): number {
    return M._lua_error(this.L);
  }

  /** Bytes of the wasm heap (shared by every Lua state of the process). */
  heapBytes(): number {
    return M.HEAPU8.length;
  }

  close(): void {
    this.interrupt = null;
    this.limit = Infinity;
    M._lua_close(this.main);
  }
}
