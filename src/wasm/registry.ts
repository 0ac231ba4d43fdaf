// The function registry: WASM.LOAD / UNLOAD, metadata, stats, and persistence under module_dir.
//
// Loading = check the load limits (max_module_bytes; tables, data segments: prepare.ts) →
// instrument (fuel, depth, memory and table caps; instrument.ts) → compile → check imports against
// the granted permissions → instantiate the warm pool (which also proves the module links and its
// start function runs) → register atomically. For a client's WASM.LOAD (loadAsync) instrumenting
// runs in a worker thread (prepare-worker.ts) and V8 compiles with WebAssembly.compile, so other
// clients are served meanwhile; inside MULTI and at startup the same steps run synchronously. Compilations are cached by the
// sha256 of the original bytes (lru-cache), so loading identical bytes under another name, or
// re-loading after UNLOAD, reuses the compiled module; imports are resolved once per instance.
//
// Loaded modules persist: the original bytes and a small JSON sidecar (permissions, sha256) are
// written to module_dir atomically (write, fsync, rename) and loaded again at startup.
//
// Symbolic links never lead out of module_dir: a module file is resolved with realpath and must
// still be inside module_dir's real path, and is opened with O_NOFOLLOW; the .loaded/ store must be
// a real directory inside it, its files are read with O_NOFOLLOW, and its temporary files are
// created with O_EXCL | O_NOFOLLOW under unguessable names.
//
// Memory (docs/ABI.md "Memory accounting"): what the registry holds is part of INFO used_memory
// (Memory.used), so maxmemory, eviction and -OOM see it — the linear memory of every live instance
// (warm pool instances and the one in a call), the module bytes of loaded functions, and the
// compiled modules (instrumented bytes plus an estimate of V8's machine code). The linear memory of
// all instances together is capped by wasm.limits.max_total_memory (instantiation and every
// memory.grow, including those of start functions and data segments at WASM.LOAD); with maxmemory
// set and the noeviction policy a grow that would take used_memory past maxmemory is refused too.
// The compile cache only keeps what loaded functions use (UNLOAD drops the rest) and is bounded
// in bytes; restore() loads the module store at startup under the same limits.

import { performance } from 'node:perf_hooks'; // the module's, not the global getter (~20 ns a read)
import { terminationRequested } from '../server/watchdog.js';
import { createHash } from 'node:crypto';
import { setFlagsFromString } from 'node:v8';
import { randomBytes, webcrypto } from 'node:crypto';
import { closeSync, constants, existsSync, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, readSync, realpathSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { promises as fsp } from 'node:fs';
import { isAbsolute, join, relative, resolve as resolvePath } from 'node:path';
import { LRUCache } from 'lru-cache';
import type { Server } from '../server/server.js';
import {
  ALLOC_EXPORT,
  classifyEntry,
  effective,
  ENV_FUNCTIONS,
  EntrySig,
  HOST_FUNCTIONS,
  HOST_MODULE,
  Permission,
  PERMISSIONS,
  VERSION_EXPORT,
  INPUT_EXPORT,
  ABI_VERSION,
  WASI_MODULES,
  wasiRefusal,
  REMOVED_PERMISSIONS,
} from './abi.js';
import { LoadError, WasmError, ERROR_KINDS, WasmErrorKind } from './errors.js';
import { armMeter, classify, FUEL_SLICE, limitsOf } from './executor.js';
import { HostBinding } from './host.js';
import type { InstrumentResult } from './instrument.js';
import type { ExportInfo, ImportInfo } from './describe.js';
import { checkHeader, prepare, Prepared, PrepareSettings } from './prepare.js';
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { InstancePool, MeterState, PoolConfig, PooledInstance, TABLE_ELEMENT_BYTES } from './pool.js';

/** The compiled worker for prepare() (the build's .js next to this file); null when run from .ts sources. */
/** How long the instrumentation worker waits for another load before it stops. */
const WORKER_IDLE_MS = 2000;

const WORKER_FILE: string | null = (() => {
  const u = new URL('./prepare-worker.js', import.meta.url);
  if (u.protocol !== 'file:') return null;
  const f = fileURLToPath(u);
  return existsSync(f) ? f : null;
})();

/** V8's compile error without its "WebAssembly.Module(): " / "WebAssembly.compile(): " prefix. */
function engineMessage(e: unknown): string {
  return (e as Error).message.replace(/^WebAssembly\.(Module|compile)\(\): /, '');
}
const PAGE = 65536;
/**
 * Bytes charged for a compiled module per byte of instrumented WebAssembly: the instrumented bytes
 * the cache holds plus V8's machine code, which is not observable from JavaScript; Liftoff and
 * TurboFan code is a few times the size of the wasm code it comes from, so 4 are charged for it.
 */
const COMPILED_PER_BYTE = 5;
/** The compile cache keeps at most this many bytes (as charged by compiledBytes) of compiled modules. */
const CACHE_MAX_BYTES = 256 * 1024 * 1024;

/** What a compiled module is charged in used_memory (see COMPILED_PER_BYTE). */
function compiledBytes(c: { meta: InstrumentResult }): number {
  return Math.max(1, c.meta.bytes.length * COMPILED_PER_BYTE);
}
export const NAME_RE = /^[A-Za-z0-9_-]{1,64}$/;

export function isWasmBytes(s: string): boolean {
  return s.length >= 8 && s.charCodeAt(0) === 0 && s.startsWith('\0asm');
}

/** Per-function statistics (WASM.INFO, WASM.LIST WITHSTATS, INFO wasm). */
export class FunctionStats {
  calls = 0;
  failed = 0;
  totalUs = 0;
  fuelUsed = 0;
  lastFuel = 0;
  readonly errors = new Map<WasmErrorKind, number>();
  private readonly ring = new Float64Array(1024);
  private ringN = 0;

  record(usec: number, fuel: number, error: WasmErrorKind | null): void {
    this.calls++;
    this.totalUs += usec;
    this.fuelUsed += fuel;
    this.lastFuel = fuel;
    this.ring[this.ringN++ % this.ring.length] = usec;
    if (error) {
      this.failed++;
      this.errors.set(error, (this.errors.get(error) ?? 0) + 1);
    }
  }

  get avgUs(): number {
    return this.calls ? this.totalUs / this.calls : 0;
  }

  /** 99th percentile of the last 1024 call durations, µs. */
  get p99Us(): number {
    const n = Math.min(this.ringN, this.ring.length);
    if (n === 0) return 0;
    const a = Array.from(this.ring.subarray(0, n)).sort((x, y) => x - y);
    return a[Math.min(n - 1, Math.ceil(n * 0.99) - 1)];
  }

  errorCounts(): [WasmErrorKind, number][] {
    return ERROR_KINDS.map((k) => [k, this.errors.get(k) ?? 0]);
  }
}

interface Compiled {
  module: WebAssembly.Module;
  meta: InstrumentResult;
  exports: ExportInfo[];
  /** The guest's own imports (before instrumentation), with function signatures. */
  imports: ImportInfo[];
  /** Settings compiled into the instrumented code (see refresh()). */
  maxDepth: number;
  metering: boolean;
  maxTableElements: number;
  sha256: string;
}

export interface WasmFunction {
  name: string;
  sha256: string;
  size: number;
  bytes: Buffer;
  /** Permissions as granted (shown by WASM.INFO). */
  permissions: Permission[];
  /** Effective permissions (WRITE implies READ). */
  perms: Set<Permission>;
  compiled: Compiled;
  entries: Map<string, EntrySig>;
  exportNames: string[];
  pool: InstancePool;
  stats: FunctionStats;
  loadedAt: number;
}

export interface LoadOptions {
  replace: boolean;
  permissions: Permission[] | null;
  persist?: boolean;
}

/**
 * Eager compilation. V8 (Node 20) compiles a WebAssembly function lazily, on its first call: the
 * first WASM.CALL after a load paid the Liftoff compile of every function it reached (measured
 * 0.5–1.5 ms for bench/udf's keys and ratelimit-fixed on a warm server, up to 12 ms on a cold
 * one). With lazy compilation off, WebAssembly.compile — off the main thread for WASM.LOAD —
 * compiles every function before the load replies, and hot ones still tier up to TurboFan as
 * they run. Set once, before the first module is compiled; process-wide (Lua's wasmoon module is
 * then compiled whole as well, once, at its first use).
 */
let eagerSet = false;
function eagerCompilation(): void {
  if (eagerSet) return;
  eagerSet = true;
  setFlagsFromString('--no-wasm-lazy-compilation');
}

export class WasmRegistry {
  readonly functions = new Map<string, WasmFunction>();
  /**
   * Compiled modules by sha256 + compile settings, for loading the same bytes under another name
   * or again with REPLACE. Bounded by count and bytes; entries no loaded function uses are dropped
   * at UNLOAD and REPLACE (dropUnused), so unloading frees the compiled code.
   */
  private readonly cache = new LRUCache<string, Compiled>({ max: 128, maxSize: CACHE_MAX_BYTES, sizeCalculation: compiledBytes });
  compilations = 0;
  cacheHits = 0;
  /** Cached sums for memory(): recomputed when an instance is created, grows or is dropped, or on LOAD / UNLOAD. */
  private memDirty = true;
  private linearCache = 0;
  private codeCache = 0;
  /** The memory of an instance being instantiated (not in its pool yet; its start function may grow it). */
  private creating: WebAssembly.Memory | null = null;
  /** Functions being loaded: their pools are warm (and counted) before they are registered. */
  private readonly loading = new Set<WasmFunction>();
  /** Stats of unloaded functions still count registry-wide. */
  private retired = { calls: 0, failed: 0, fuel: 0 };

  constructor(private readonly server: Server) {
    eagerCompilation();
    for (const k of ['wasm.pool.min_instances', 'wasm.pool.max_instances', 'wasm.pool.idle_timeout_secs', 'wasm.limits.max_memory']) {
      server.config.onChange(k, () => (this.poolConfig = null));
    }
  }

  /** The [wasm.pool] settings, read once and again after one changes (a pool reads them per call). */
  private poolConfig: PoolConfig | null = null;
  private poolSettings(): PoolConfig {
    if (this.poolConfig !== null) return this.poolConfig;
    const cfg = this.server.config;
    return (this.poolConfig = {
      min: cfg.getInt('wasm.pool.min_instances'),
      max: cfg.getInt('wasm.pool.max_instances'),
      idleMs: cfg.getInt('wasm.pool.idle_timeout_secs') * 1000,
      maxKeepBytes: Math.max(16 * 1024 * 1024, cfg.getInt('wasm.limits.max_memory') / 2),
    });
  }

  get moduleDir(): string {
    const dir = this.server.config.getString('dir');
    return resolvePath(dir, this.server.config.getString('wasm.module_dir'));
  }

  /**
   * Where loaded modules are persisted: a subdirectory of module_dir, so the files users put in
   * module_dir for `WASM.LOAD name file.wasm` are never overwritten or deleted by LOAD/UNLOAD.
   */
  get persistDir(): string {
    return join(this.moduleDir, '.loaded');
  }

  /** Resolve a module file name inside module_dir; refuses anything that would escape it. */
  resolveModuleFile(file: string): string {
    if (file.includes('\0') || isAbsolute(file)) throw new LoadError(`module file must be a name inside module_dir: '${file}'`);
    const base = this.moduleDir;
    const p = resolvePath(base, file);
    const rel = relative(base, p);
    if (rel.startsWith('..') || isAbsolute(rel) || rel === '') throw new LoadError(`module file must be a name inside module_dir: '${file}'`);
    if (!existsSync(p)) throw new LoadError(`no module file '${file}' in module_dir (${base})`);
    // Symbolic links (the file, or a directory on the way) may not lead out of module_dir.
    let real: string;
    try {
      real = realpathSync(p);
      const realRel = relative(realpathSync(base), real);
      if (realRel.startsWith('..') || isAbsolute(realRel) || realRel === '') throw new Error('outside');
    } catch {
      throw new LoadError(`module file '${file}' leads out of module_dir through a symbolic link`);
    }
    return real;
  }

  /**
   * The .loaded/ store, checked: a real directory (not a symbolic link) inside module_dir. `create`
   * makes it when missing (persisting); otherwise null when it does not exist.
   */
  private checkedPersistDir(create: boolean): string | null {
    const dir = this.persistDir;
    if (create) mkdirSync(dir, { recursive: true, mode: 0o700 });
    else if (!existsSync(dir)) return null;
    const st = lstatSync(dir);
    const rel = relative(realpathSync(this.moduleDir), realpathSync(dir));
    if (!st.isDirectory() || st.isSymbolicLink() || rel !== '.loaded') {
      throw new LoadError(`${dir} is not a directory inside module_dir (a symbolic link?); not using it`);
    }
    return dir;
  }

  defaultPermissions(): Permission[] {
    const d = this.server.config.getString('wasm.security.default_permissions');
    return d === 'readwrite' ? ['READ', 'WRITE'] : d === 'readonly' ? ['READ'] : [];
  }

  /** What compilation depends on (compiled into the instrumented code): part of the cache key. */
  private prepareSettings(): PrepareSettings {
    const cfg = this.server.config;
    return {
      maxDepth: cfg.getInt('wasm.limits.max_call_depth'),
      metering: cfg.getBool('wasm.metering'),
      maxTableElements: cfg.getInt('wasm.limits.max_table_elements'),
    };
  }

  private cacheKey(sha256: string, s: PrepareSettings): string {
    return `${sha256}:${s.maxDepth}:${s.metering}:${s.maxTableElements}`;
  }

  private cached(key: string): Compiled | undefined {
    const hit = this.cache.get(key);
    if (hit) this.cacheHits++;
    return hit;
  }

  private store(key: string, p: Prepared, module: WebAssembly.Module, sha256: string, s: PrepareSettings): Compiled {
    this.compilations++;
    const c: Compiled = { module, meta: p.meta, exports: p.exports, imports: p.imports, sha256, maxDepth: s.maxDepth, metering: s.metering, maxTableElements: s.maxTableElements };
    this.cache.set(key, c);
    return c;
  }

  /** Synchronous compilation: for loads that cannot wait (inside MULTI, startup, settings refresh). */
  private compile(bytes: Buffer): Compiled {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const s = this.prepareSettings();
    const key = this.cacheKey(sha256, s);
    const hit = this.cached(key);
    if (hit) return hit;
    checkHeader(bytes);
    if (!WebAssembly.validate(bytes as Uint8Array<ArrayBuffer>)) {
      try {
        new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
      } catch (e) {
        throw new LoadError(`invalid module: ${engineMessage(e)}`);
      }
      throw new LoadError('invalid module');
    }
    let p: Prepared;
    try {
      p = prepare(bytes, s);
    } catch (e) {
      if (e instanceof LoadError) throw e;
      throw new LoadError(`cannot instrument module: ${(e as Error).message}`);
    }
    let module: WebAssembly.Module;
    try {
      module = new WebAssembly.Module(p.meta.bytes as Uint8Array<ArrayBuffer>);
    } catch (e) {
      throw new LoadError(`instrumented module failed to compile (a Lodestone bug): ${(e as Error).message}`);
    }
    return this.store(key, p, module, sha256, s);
  }

  /**
   * Asynchronous compilation for WASM.LOAD: prepare() (describe, limits, instrumentation) runs in a
   * worker thread and V8 compiles with WebAssembly.compile, off the main thread; the main thread
   * keeps serving clients meanwhile. Error messages are the synchronous path's: when preparing or
   * compiling fails, the original bytes are compiled (asynchronously too) to tell an invalid module
   * (V8's message) from one the instrumenter cannot handle.
   */
  private async compileAsync(bytes: Buffer): Promise<Compiled> {
    // WebCrypto's digest runs on libuv's thread pool: hashing 32 MB does not hold the main thread.
    const sha256 = Buffer.from(await webcrypto.subtle.digest('SHA-256', bytes)).toString('hex');
    const s = this.prepareSettings();
    const key = this.cacheKey(sha256, s);
    const hit = this.cached(key);
    if (hit) return hit;
    checkHeader(bytes);
    const invalid = async (): Promise<LoadError | null> => {
      try {
        await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
        return null;
      } catch (e) {
        return new LoadError(`invalid module: ${engineMessage(e)}`);
      }
    };
    let p: Prepared;
    try {
      p = await this.prepareOffThread(bytes, s);
    } catch (e) {
      const bad = await invalid();
      if (bad) throw bad;
      if (e instanceof LoadError) throw e;
      throw new LoadError(`cannot instrument module: ${(e as Error).message}`);
    }
    let module: WebAssembly.Module;
    try {
      module = await WebAssembly.compile(p.meta.bytes as Uint8Array<ArrayBuffer>);
    } catch (e) {
      const bad = await invalid();
      if (bad) throw bad;
      throw new LoadError(`instrumented module failed to compile (a Lodestone bug): ${(e as Error).message}`);
    }
    // Loaded meanwhile by another client (same bytes, same settings): share its compilation.
    const again = this.cache.get(key);
    if (again) return again;
    return this.store(key, p, module, sha256, s);
  }

  private worker: Worker | null = null;
  private workerJobs = new Map<number, { resolve: (p: Prepared) => void; reject: (e: Error) => void }>();
  private workerSeq = 0;
  /**
   * The worker stops once it has had nothing to do for WORKER_IDLE_MS and starts again with the
   * next load: an idle isolate keeps its heap (megabytes after instrumenting a big module) and V8's
   * memory reducer later runs full collections on it — measured at ~12 ms each, on the core the
   * main thread serves clients from when the server is pinned to one.
   */
  private workerIdle: NodeJS.Timeout | null = null;

  /**
   * Run prepare() in the worker thread (prepare-worker.js, next to this file in the build). From
   * the TypeScript sources (the test suite) there is no compiled worker: it runs here, after
   * yielding once to the event loop.
   */
  private prepareOffThread(bytes: Buffer, s: PrepareSettings): Promise<Prepared> {
    if (!WORKER_FILE) {
      return new Promise((resolve, reject) => setImmediate(() => {
        try {
          resolve(prepare(bytes, s));
        } catch (e) {
          reject(e as Error);
        }
      }));
    }
    if (!this.worker) {
      const w = new Worker(WORKER_FILE);
      w.unref(); // never keeps the process alive
      w.on('message', (m: { id: number; ok: boolean; prepared?: Prepared; message?: string; load?: boolean }) => {
        const job = this.workerJobs.get(m.id);
        if (!job) return;
        this.workerJobs.delete(m.id);
        if (this.workerJobs.size === 0) this.stopWorkerWhenIdle(w);
        if (m.ok) job.resolve(m.prepared!);
        else job.reject(m.load ? new LoadError(m.message!) : new Error(m.message));
      });
      const fail = (e: Error): void => {
        // A worker stopped for being idle exits with no jobs; by then new jobs may belong to its successor.
        if (this.worker !== w) return;
        this.worker = null;
        for (const job of this.workerJobs.values()) job.reject(new LoadError(`the instrumentation worker failed: ${e.message}`));
        this.workerJobs.clear();
      };
      w.on('error', fail);
      w.on('exit', (code) => fail(new Error(`exited with code ${code}`)));
      this.worker = w;
    }
    if (this.workerIdle !== null) {
      clearTimeout(this.workerIdle);
      this.workerIdle = null;
    }
    const id = ++this.workerSeq;
    return new Promise((resolve, reject) => {
      this.workerJobs.set(id, { resolve, reject });
      this.worker!.postMessage({ id, bytes, settings: s });
    });
  }

  private stopWorkerWhenIdle(w: Worker): void {
    if (this.workerIdle !== null) clearTimeout(this.workerIdle);
    this.workerIdle = setTimeout(() => {
      this.workerIdle = null;
      if (this.worker !== w || this.workerJobs.size !== 0) return;
      this.worker = null;
      void w.terminate();
    }, WORKER_IDLE_MS);
    this.workerIdle.unref();
  }

  /** Stop the instrumentation worker (server shutdown). */
  close(): void {
    if (this.workerIdle !== null) clearTimeout(this.workerIdle);
    this.workerIdle = null;
    const w = this.worker;
    this.worker = null;
    if (w) void w.terminate();
    for (const job of this.workerJobs.values()) job.reject(new LoadError('the server is shutting down'));
    this.workerJobs.clear();
  }

  /**
   * Reject imports the permissions do not allow; names the offending import.
   *
   * BUG FIX: this used to walk the *instrumented* module's imports and skip the whole meter
   * namespace, so a guest could itself import `lodestone_meter.refill` / `depthExceeded` /
   * `memory_grow` (and call the host's metering hooks directly). It now checks the guest's own
   * imports, read from the original bytes; only the instrumenter's additions are implicit.
   *
   * BUG FIX: host functions are JavaScript functions, which link against any signature, so an
   * import such as `(import "lodestone" "key_count" (func (param i32) (result i64)))` loaded and
   * then failed at call time as a host fault (or silently truncated values). Signatures of
   * `lodestone.*` imports are now checked against the ABI at load.
   */
  private checkImports(c: Compiled, perms: Set<Permission>): void {
    for (const imp of c.imports) {
      const where = `${imp.module}.${imp.name}`;
      // A memory the guest imports as env.memory (AssemblyScript --importMemory, wasm-ld
      // --import-memory) is supplied by the host, capped at max_memory (createInstance). docs/ABI.md
      // lists it; a memory imported under any other name is refused like any unlisted import.
      if (imp.kind === 'memory') {
        if (imp.module === 'env' && imp.name === 'memory') continue;
        throw new LoadError(`module imports its memory as ${where}; import it as env.memory or define it in the module`);
      }
      if (imp.module === HOST_MODULE) {
        const spec = HOST_FUNCTIONS[imp.name];
        if (!spec || imp.kind !== 'function') throw new LoadError(`module imports ${where}, which is not a Lodestone host function (ABI v${ABI_VERSION})`);
        if (spec.needs && !perms.has(spec.needs)) throw new LoadError(`module imports ${where}, which needs the ${spec.needs} permission`);
        const sig = (p: readonly string[], r: readonly string[]) => `(${p.join(', ')}) -> ${r.length === 0 ? '()' : r.join(', ')}`;
        const got = sig(imp.params ?? [], imp.results ?? []);
        const want = sig(spec.params, spec.results);
        if (got !== want) throw new LoadError(`module imports ${where} with signature ${got}, but the host function is ${want}`);
        continue;
      }
      if (imp.module === 'env' && imp.kind === 'function' && ENV_FUNCTIONS.has(imp.name)) continue;
      if (WASI_MODULES.has(imp.module) && imp.kind === 'function') {
        const why = wasiRefusal(imp.name);
        if (why) throw new LoadError(`module imports ${where}, which Lodestone does not provide (${why})`);
        continue;
      }
      throw new LoadError(`module imports ${where}, which Lodestone does not provide`);
    }
  }

  private createInstance(fn: { name: string; compiled: Compiled }): PooledInstance {
    const c = fn.compiled;
    const binding = new HostBinding(fn.name, () => this.server.log);
    const maxMemory = this.server.config.getInt('wasm.limits.max_memory');
    // maxMemory is set again before every call (executor); this value covers the start function.
    const meter: MeterState = { granted: 0, maxFuel: 0, deadline: 0, maxDepth: 0, maxMemory, growRefused: false, refusal: '' };
    const inst = {} as PooledInstance;
    const meterImports: WebAssembly.ModuleImports = {
      [c.meta.meterImports.refill]: (remaining: number | bigint) => {
        const left = Number(remaining); // ≤ 0: what the guest overdrew
        const used = meter.granted - left;
        if (used >= meter.maxFuel) {
          throw new WasmError('fuel', `fuel exhausted (max_fuel ${meter.maxFuel})`);
        }
        if (terminationRequested()) throw new WasmError('timeout', 'stopped: the server is shutting down');
        if (performance.now() > meter.deadline) {
          throw new WasmError('timeout', `timed out (max_duration_ms ${this.server.config.getInt('wasm.limits.max_duration_ms')})`);
        }
        // The next slice starts after the overdraft is paid, however large it is (a bulk
        // instruction charges its whole length at once): the counter is always back above 0, so
        // it never drifts towards the i32 minimum and the next charge point checks again.
        const v = Math.min(FUEL_SLICE, meter.maxFuel - used);
        meter.granted = used + v;
        return typeof remaining === 'bigint' ? BigInt(v) : v;
      },
      [c.meta.meterImports.depthExceeded]: () => {
        throw new WasmError('depth', `call depth limit exceeded (max_call_depth ${meter.maxDepth})`);
      },
      // Every `memory.grow` of the guest lands here (instrument.ts, meterMemoryGrow), so a grow
      // refused because of max_memory is known exactly — no guessing from how full the memory is.
      // The limit is the call's max_memory (MeterState.maxMemory); the executor replaces pooled
      // instances created under another max_memory, whose memory's maximum would disagree.
      [c.meta.meterImports.memoryGrow]: (delta: number) => {
        const mem = binding.memory;
        if (!mem) return -1;
        const pages = delta >>> 0; // memory.grow's operand is unsigned
        const cur = mem.buffer.byteLength / PAGE;
        if ((cur + pages) * PAGE > meter.maxMemory) {
          meter.growRefused = true;
          return -1;
        }
        if (pages > 0) {
          const refusal = this.refuseGrowth(pages * PAGE);
          if (refusal) {
            meter.growRefused = true;
            meter.refusal = refusal;
            return -1;
          }
        }
        try {
          this.memDirty = true;
          return mem.grow(pages);
        } catch (e) {
          // Within max_memory, so this is the module's own declared maximum (or the engine could
          // not allocate): memory.grow's answer, -1, but not the max_memory limit.
          if (e instanceof RangeError) return -1;
          throw e;
        }
      },
    };
    const imports = binding.imports(c.meta.meterImports.module, meterImports);
    let memory: WebAssembly.Memory | null = null;
    const maxPages = Math.floor(maxMemory / PAGE);
    if (c.meta.memory?.imported) {
      const spec = c.meta.memory;
      if (spec.initialPages > maxPages) {
        throw new WasmError('memory', `module needs ${spec.initialPages * PAGE} bytes of memory at start, over max_memory (${maxPages * PAGE})`);
      }
      const maximum = Math.min(spec.maximumPages ?? maxPages, maxPages);
      const refusal = this.refuseGrowth(spec.initialPages * PAGE);
      if (refusal) throw new WasmError('memory', `cannot create an instance with ${spec.initialPages * PAGE} bytes of memory: ${refusal}`);
      memory = new WebAssembly.Memory({ initial: spec.initialPages, maximum });
      this.memDirty = true;
      (imports[spec.module] ??= {})[spec.name] = memory;
      binding.memory = memory; // before instantiation: a start function may already grow it
    }
    // Tables count like linear memory (TABLE_ELEMENT_BYTES per element): refused when they do not fit.
    const tableBytes = c.meta.tables.reduce((a, t) => a + t.initial, 0) * TABLE_ELEMENT_BYTES;
    if (tableBytes > 0) {
      const refusal = this.refuseGrowth(tableBytes + (memory ? memory.buffer.byteLength : 0));
      if (refusal) throw new WasmError('memory', `cannot create an instance with ${tableBytes} bytes of tables: ${refusal}`);
    }
    let instance: WebAssembly.Instance;
    binding.ctx = null;
    // BUG FIX: a start function runs during instantiation and is metered too, but the meter used
    // to be all zeros here (maxFuel 0), so its first charge called refill, which reported
    // "fuel exhausted (max_fuel 0)" and any module with a start function failed to load. The start
    // function now runs under the configured limits, like a call.
    const cfg = this.server.config;
    meter.maxFuel = cfg.getInt('wasm.limits.max_fuel');
    meter.maxDepth = cfg.getInt('wasm.limits.max_call_depth');
    meter.deadline = performance.now() + cfg.getInt('wasm.limits.max_duration_ms');
    meter.granted = 0;
    this.creating = memory;
    try {
      instance = new WebAssembly.Instance(c.module, imports);
    } catch (e) {
      this.creating = null;
      this.memDirty = true;
      if (e instanceof WasmError) throw e;
      if (meter.growRefused) throw new WasmError('memory', `start function: memory limit exceeded (${meter.refusal || `max_memory ${maxMemory} bytes`}): ${(e as Error).message}`);
      throw new WasmError('trap', `instantiation failed: ${(e as Error).message}`);
    }
    this.creating = null;
    this.memDirty = true;
    const exp = instance.exports;
    binding.memory = memory ?? ((exp.memory as WebAssembly.Memory | undefined) ?? null);
    const fuel = (exp[c.meta.fuelGlobalExport] as WebAssembly.Global | undefined) ?? null;
    const depth = (exp[c.meta.depthGlobalExport] as WebAssembly.Global | undefined) ?? null;
    Object.assign(inst, {
      instance,
      exports: exp,
      binding,
      memory: binding.memory,
      fuel,
      depth,
      fuelI64: typeof fuel?.value === 'bigint',
      depthI64: typeof depth?.value === 'bigint',
      input: typeof exp[INPUT_EXPORT] === 'function' ? (exp[INPUT_EXPORT] as (len: number) => number) : null,
      initialBytes: binding.memory ? binding.memory.buffer.byteLength : 0,
      tables: c.meta.tableExports.map((n) => exp[n] as WebAssembly.Table),
      fixedTableBytes: c.meta.tableExports.length > 0 ? 0 : tableBytes,
      growsTables: c.meta.growsTables,
      createdMaxMemory: maxMemory,
      lastUsed: performance.now(),
      meter,
    });
    return inst;
  }

  /** Entry points: exported functions with an ABI signature (see abi.classifyEntry). */
  private entries(c: Compiled): Map<string, EntrySig> {
    const out = new Map<string, EntrySig>();
    for (const e of c.exports) {
      if (e.kind !== 'function' || !e.params || !e.results) continue;
      if (e.name === c.meta.fuelGlobalExport || e.name === c.meta.depthGlobalExport) continue;
      if (e.name === ALLOC_EXPORT || e.name === VERSION_EXPORT || e.name === INPUT_EXPORT || e.name.startsWith('__')) continue;
      const sig = classifyEntry(e.params, e.results);
      if (sig) out.set(e.name, sig);
    }
    return out;
  }

  /** Checks made before anything is compiled (and again before an asynchronous load registers). */
  private precheck(name: string, bytes: Buffer, opts: LoadOptions): Permission[] {
    if (!NAME_RE.test(name)) throw new LoadError(`invalid function name '${name}': use 1-64 letters, digits, '_' or '-'`);
    if (this.functions.has(name) && !opts.replace) throw new LoadError(`function '${name}' already exists (use REPLACE)`);
    const maxBytes = this.server.config.getInt('wasm.limits.max_module_bytes');
    if (bytes.length > maxBytes) throw new LoadError(`module is ${bytes.length} bytes, over wasm.limits.max_module_bytes (${maxBytes})`);
    return opts.permissions ?? this.defaultPermissions();
  }

  /** WASM.LOAD, synchronously (inside MULTI, at startup). Throws LoadError with a message naming the problem. */
  load(name: string, bytes: Buffer, opts: LoadOptions): WasmFunction {
    const granted = this.precheck(name, bytes, opts);
    return this.register(name, bytes, opts, granted, this.compile(bytes));
  }

  /**
   * WASM.LOAD from a client: compiles off the main thread (compileAsync), then checks and
   * registers synchronously, like load(). Rejects with LoadError.
   */
  async loadAsync(name: string, bytes: Buffer, opts: LoadOptions): Promise<WasmFunction> {
    this.precheck(name, bytes, opts);
    const compiled = await this.compileAsync(bytes);
    const granted = this.precheck(name, bytes, opts); // the registry may have changed meanwhile
    const fn = this.build(name, bytes, granted, compiled);
    try {
      // The module store is written (and fsynced) off the main thread too.
      if (opts.persist !== false) await this.persistAsync(fn);
      if (this.functions.has(name) && !opts.replace) throw new LoadError(`function '${name}' already exists (use REPLACE)`);
    } catch (e) {
      this.abandon(fn);
      if (e instanceof LoadError) throw e;
      throw new LoadError(`cannot store the module in ${this.persistDir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    return this.commit(fn);
  }

  private register(name: string, bytes: Buffer, opts: LoadOptions, granted: Permission[], compiled: Compiled): WasmFunction {
    const fn = this.build(name, bytes, granted, compiled);
    try {
      if (opts.persist !== false) this.persist(fn);
    } catch (e) {
      this.abandon(fn);
      throw e;
    }
    return this.commit(fn);
  }

  /** A function that was built but will not be registered: its instances and code go. */
  private abandon(fn: WasmFunction): void {
    fn.pool.clear();
    this.loading.delete(fn);
    this.dropUnused(fn.compiled);
    this.memDirty = true;
  }

  /** Register a built function (replacing one of the same name). */
  private commit(fn: WasmFunction): WasmFunction {
    this.loading.delete(fn);
    const old = this.functions.get(fn.name);
    this.functions.set(fn.name, fn);
    if (old) {
      this.retire(old);
      this.dropUnused(old.compiled);
    }
    this.memDirty = true;
    return fn;
  }

  /** Check a compiled module against the ABI and the permissions, and warm its pool (counted while loading). */
  private build(name: string, bytes: Buffer, granted: Permission[], compiled: Compiled): WasmFunction {
    const perms = effective(new Set(granted));
    const maxMemory = this.server.config.getInt('wasm.limits.max_memory');
    if (compiled.meta.dataBytes > maxMemory) {
      throw new LoadError(`module has ${compiled.meta.dataBytes} bytes of data segments, over wasm.limits.max_memory (${maxMemory})`);
    }
    this.checkImports(compiled, perms);
    const entries = this.entries(compiled);
    if (!entries.has('main')) {
      const has = compiled.exports.some((e) => e.name === 'main');
      throw new LoadError(
        has
          ? "the export 'main' has an unsupported signature: use () -> i64|i32 or (i32 ptr, i32 len) -> i64|i32"
          : "module has no entry point: export a function named 'main'",
      );
    }
    const needsAlloc = [...entries.values()].some((s) => s.kind === 'frame');
    if (needsAlloc && !compiled.exports.some((e) => e.name === ALLOC_EXPORT && e.kind === 'function')) {
      throw new LoadError(`an entry point takes (ptr, len) but the module does not export ${ALLOC_EXPORT}(size) -> ptr`);
    }
    const ordered = PERMISSIONS.filter((p) => granted.includes(p));
    const fn: WasmFunction = {
      name,
      sha256: compiled.sha256,
      size: bytes.length,
      bytes,
      permissions: ordered,
      perms,
      compiled,
      entries,
      exportNames: compiled.exports.filter((e) => e.kind === 'function' && entries.has(e.name)).map((e) => e.name),
      pool: null as unknown as InstancePool,
      stats: new FunctionStats(),
      loadedAt: Date.now(),
    };
    const cfg = this.server.config;
    fn.pool = new InstancePool(
      () => this.createInstance(fn),
      () => this.poolSettings(),
      () => (this.memDirty = true),
    );
    // Instantiate now: proves the module links, runs its start function, and warms the pool.
    this.loading.add(fn);
    try {
      fn.pool.warm();
      if (cfg.getInt('wasm.pool.min_instances') === 0) fn.pool.release(fn.pool.acquire(), performance.now());
      this.checkAbiVersion(fn);
    } catch (e) {
      this.abandon(fn);
      if (e instanceof LoadError) throw e;
      throw new LoadError(e instanceof WasmError ? e.message : `instantiation failed: ${(e as Error).message}`);
    }
    return fn;
  }

  /**
   * BUG FIX: docs/ABI.md says an exported `lodestone_abi_version` "if present must return 1", but
   * it was never called, so a module built for another ABI version loaded and misbehaved later.
   * It is now called once at load (metered, like any call) and must be `() -> i32` returning 1.
   */
  private checkAbiVersion(fn: WasmFunction): void {
    const e = fn.compiled.exports.find((x) => x.name === VERSION_EXPORT);
    if (!e) return;
    if (e.kind !== 'function' || e.params?.length !== 0 || e.results?.length !== 1 || e.results[0] !== 'i32') {
      throw new LoadError(`${VERSION_EXPORT} must be a function () -> i32`);
    }
    const limits = limitsOf(this.server);
    const inst = fn.pool.acquire();
    armMeter(inst, limits);
    let v: number;
    try {
      v = (inst.exports[VERSION_EXPORT] as () => number)();
    } catch (err) {
      fn.pool.discard(inst);
      throw new LoadError(`${VERSION_EXPORT}() failed: ${classify(err, inst, limits).message}`);
    }
    fn.pool.release(inst, performance.now());
    if (v !== ABI_VERSION) {
      throw new LoadError(`module was built for Lodestone ABI version ${v}; this server supports ABI version ${ABI_VERSION}`);
    }
  }

  /**
   * BUG FIX: max_call_depth (and wasm.metering) are compiled into the instrumented code, so a
   * CONFIG SET of either only reached modules loaded afterwards — while the depth error already
   * quoted the new value ("max_call_depth 50" for a guest stopped at 1000). The executor calls this
   * before each call; when the settings changed, the function is recompiled (cached per setting)
   * and its idle instances are dropped.
   */
  refresh(fn: WasmFunction): void {
    const cfg = this.server.config;
    const c = fn.compiled;
    if (
      c.maxDepth === cfg.getInt('wasm.limits.max_call_depth') &&
      c.metering === cfg.getBool('wasm.metering') &&
      c.maxTableElements === cfg.getInt('wasm.limits.max_table_elements')
    ) {
      return;
    }
    fn.compiled = this.compile(fn.bytes);
    fn.pool.clear();
    this.dropUnused(c);
    this.memDirty = true;
  }

  /**
   * Forget a compiled module once no loaded function uses it (UNLOAD, REPLACE, a refresh under new
   * settings), so the compile cache never keeps code of functions that are gone.
   */
  private dropUnused(c: Compiled): void {
    for (const f of this.functions.values()) if (f.compiled === c) return;
    for (const [k, v] of this.cache.entries()) if (v === c) this.cache.delete(k);
    this.memDirty = true;
  }

  /** Why `bytes` more linear memory may not be allocated now ('' when it may). */
  private refuseGrowth(bytes: number): string {
    const total = this.server.config.getInt('wasm.limits.max_total_memory');
    if (total > 0 && this.memory().linear + bytes > total) return `max_total_memory ${total} bytes for all instances`;
    const mem = this.server.memory;
    // memory is undefined while the server is being constructed; restore() runs after that.
    if (mem && mem.maxmemory > 0 && mem.policy === 'noeviction' && mem.used() + bytes > mem.maxmemory) {
      return `used memory would exceed maxmemory ${mem.maxmemory} bytes`;
    }
    return '';
  }

  /**
   * What the registry holds, in bytes: `linear` is the linear memory of every live instance (idle
   * and busy), `code` the module bytes of loaded functions plus the compiled modules they and the
   * cache hold (compiledBytes). Part of used_memory.
   */
  memory(): { linear: number; code: number; total: number } {
    if (this.memDirty || this.creating) {
      this.memDirty = false;
      let linear = 0;
      let code = 0;
      const compiled = new Set<Compiled>();
      for (const f of this.functions.values()) {
        linear += f.pool.memoryBytes();
        code += f.bytes.length;
        compiled.add(f.compiled);
      }
      for (const l of this.loading) {
        linear += l.pool.memoryBytes();
        code += l.bytes.length;
        compiled.add(l.compiled);
      }
      for (const c of this.cache.values()) compiled.add(c);
      for (const c of compiled) code += compiledBytes(c);
      if (this.creating) linear += this.creating.buffer.byteLength;
      this.linearCache = linear;
      this.codeCache = code;
    }
    return { linear: this.linearCache, code: this.codeCache, total: this.linearCache + this.codeCache };
  }

  /** Compile cache entries and the bytes they are charged (WASM.STATS). */
  cacheStats(): { entries: number; bytes: number } {
    return { entries: this.cache.size, bytes: this.cache.calculatedSize };
  }

  /** Live instances of every function (WASM.STATS, INFO wasm). */
  instanceCount(): number {
    let n = 0;
    for (const f of this.functions.values()) n += f.pool.size;
    return n;
  }

  unload(name: string): boolean {
    const fn = this.functions.get(name);
    if (!fn) return false;
    this.functions.delete(name);
    this.retire(fn);
    this.dropUnused(fn.compiled);
    for (const ext of ['.wasm', '.json']) {
      const p = join(this.persistDir, name + ext);
      if (existsSync(p)) unlinkSync(p);
    }
    return true;
  }

  private retire(fn: WasmFunction): void {
    this.retired.calls += fn.stats.calls;
    this.retired.failed += fn.stats.failed;
    this.retired.fuel += fn.stats.fuelUsed;
    fn.pool.clear();
    this.memDirty = true;
  }

  totals(): { calls: number; failed: number; fuel: number } {
    let calls = this.retired.calls;
    let failed = this.retired.failed;
    let fuel = this.retired.fuel;
    for (const f of this.functions.values()) {
      calls += f.stats.calls;
      failed += f.stats.failed;
      fuel += f.stats.fuelUsed;
    }
    return { calls, failed, fuel };
  }

  /** Drop idle instances past idle_timeout (called from the server cron); times are performance.now(). */
  shrinkPools(now = performance.now()): void {
    for (const f of this.functions.values()) f.pool.shrink(now);
  }

  private persist(fn: WasmFunction): void {
    const dir = this.checkedPersistDir(true)!;
    writeAtomic(join(dir, `${fn.name}.wasm`), fn.bytes);
    writeAtomic(join(dir, `${fn.name}.json`), persistMeta(fn));
  }

  /** persist(), with the writes and fsyncs on libuv's thread pool. */
  private async persistAsync(fn: WasmFunction): Promise<void> {
    const dir = this.checkedPersistDir(true)!;
    await writeAtomicAsync(join(dir, `${fn.name}.wasm`), fn.bytes);
    await writeAtomicAsync(join(dir, `${fn.name}.json`), persistMeta(fn));
  }

  /** Load every persisted module (startup). Returns what failed, for the log. */
  restore(): { loaded: string[]; failed: { name: string; error: string }[] } {
    const loaded: string[] = [];
    const failed: { name: string; error: string }[] = [];
    let dir: string | null;
    try {
      dir = this.checkedPersistDir(false);
    } catch (e) {
      return { loaded, failed: [{ name: '.loaded', error: (e as Error).message }] };
    }
    if (dir === null) return { loaded, failed };
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
      const name = f.slice(0, -5);
      try {
        // The store is loaded under the limits a WASM.LOAD meets (max_total_memory, max_memory in
        // createInstance); over maxmemory with noeviction a module is not loaded at all, as WASM.LOAD
        // (denyoom) would get -OOM. What is not loaded stays in the store and is logged.
        const mem = this.server.memory;
        if (mem && mem.maxmemory > 0 && mem.policy === 'noeviction' && mem.used() > mem.maxmemory) {
          throw new LoadError(`used memory (${mem.used()} bytes) is over maxmemory (${mem.maxmemory} bytes)`);
        }
        const meta = JSON.parse(readFileNoFollow(join(dir, f)).toString('utf8')) as { permissions: string[] };
        const bytes = readFileNoFollow(join(dir, `${name}.wasm`));
        // NETWORK and FILESYSTEM, stored by older versions, never granted anything: dropped.
        const permissions = meta.permissions.filter((p) => !(p in REMOVED_PERMISSIONS)) as Permission[];
        this.load(name, bytes, { replace: true, permissions, persist: false });
        loaded.push(name);
      } catch (e) {
        failed.push({ name, error: (e as Error).message });
      }
    }
    return { loaded, failed };
  }
}

/** Read a whole regular file without following a symbolic link at `path` (O_NOFOLLOW: ELOOP). */
export function readFileNoFollow(path: string): Buffer {
  const fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw Object.assign(new Error(`${path} is not a regular file`), { code: 'EISDIR' });
    const out = Buffer.allocUnsafe(st.size);
    let off = 0;
    while (off < out.length) {
      const n = readSync(fd, out, off, out.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return off === out.length ? out : out.subarray(0, off);
  } finally {
    closeSync(fd);
  }
}

function persistMeta(fn: WasmFunction): Buffer {
  return Buffer.from(JSON.stringify({ name: fn.name, permissions: fn.permissions, sha256: fn.sha256, abi: ABI_VERSION }) + '\n');
}

/** writeAtomic with fs/promises (the same flags: O_EXCL | O_NOFOLLOW, fsync, rename). */
async function writeAtomicAsync(path: string, data: Buffer): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(8).toString('hex')}`;
  const fh = await fsp.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fsp.rename(tmp, path);
}

/** Write, fsync, rename; the temporary name is new (O_EXCL) and never a followed link (O_NOFOLLOW). */
function writeAtomic(path: string, data: Buffer): void {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(8).toString('hex')}`;
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
