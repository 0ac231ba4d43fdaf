// Warm instance pool, per function ([wasm.pool] min_instances / max_instances / idle_timeout_secs).
//
// Instantiating a compiled module costs ~70–100 µs, a call on a warm instance ~0.2 µs, so instances
// are reused across calls. Calls run to completion on the main thread (they are atomic, like Redis
// scripts), so at most one instance of a function is busy at any moment: the pool's job is to keep
// warm instances ready, to replace an instance after a trap or limit trip (its heap and shadow stack
// may be half-updated, so it is never reused), to drop instances whose memory grew large, and to
// shrink back to min_instances after idle time. max_instances bounds what the pool keeps.
//
// The pool also knows every instance it handed out and has not got back (`busy`), so the registry
// can count the linear memory of all live instances (idle and in a call) in used_memory and hold
// it to wasm.limits.max_total_memory (registry.ts). An instance discarded or dropped is no longer
// counted: its memory is garbage, freed at V8's next GC.

import { performance } from 'node:perf_hooks'; // the module's, not the global getter (~20 ns a read)
import type { HostBinding } from './host.js';

export interface PooledInstance {
  instance: WebAssembly.Instance;
  exports: WebAssembly.Exports;
  binding: HostBinding;
  memory: WebAssembly.Memory | null;
  fuel: WebAssembly.Global | null;
  depth: WebAssembly.Global | null;
  /** The fuel / depth global holds an i64 (a BigInt in JS); the instrumenter makes i32 ones. */
  fuelI64: boolean;
  depthI64: boolean;
  /** The guest's lodestone_input export, if any (looked up once, not per call). */
  input: ((len: number) => number) | null;
  /** Bytes of linear memory when created (to spot instances that grew). */
  initialBytes: number;
  /** The instance's tables (exported by the instrumenter), whose current sizes are counted. */
  tables: WebAssembly.Table[];
  /** Bytes charged for tables that cannot be seen (metering off: not exported): their initial size. */
  fixedTableBytes: number;
  /** The code has table.grow: the tables' sizes may change in a call. */
  growsTables: boolean;
  /** max_memory when the instance was created (its memory's maximum); see executor.runCall. */
  createdMaxMemory: number;
  /** performance.now() of the last call's start (idle_timeout). */
  lastUsed: number;
  /** Set by the meter when memory.grow was refused (memory limit), for error classification. */
  meter: MeterState;
}

/** Per-call metering state the instrumented module's host imports read and update. */
export interface MeterState {
  /** Fuel granted so far in this call (slices). */
  granted: number;
  /** The call's fuel budget. */
  maxFuel: number;
  /** performance.now() deadline. */
  deadline: number;
  maxDepth: number;
  /** The call's max_memory in bytes (checked by the memory_grow meter import on every grow). */
  maxMemory: number;
  /** A memory.grow was refused because of a memory limit (classifies the trap that usually follows). */
  growRefused: boolean;
  /** Which limit refused it when it was not max_memory (max_total_memory, maxmemory); '' otherwise. */
  refusal: string;
}

/**
 * Bytes charged per table element: V8 keeps a funcref table as an array of references plus a
 * dispatch table for call_indirect (signature, target, instance) — about 40 bytes an element
 * (a 10-million-element table took 414 MB).
 */
export const TABLE_ELEMENT_BYTES = 40;

/** What one instance holds: its linear memory and its tables. */
export function instanceBytes(i: PooledInstance): number {
  let n = i.memory ? i.memory.buffer.byteLength : 0;
  for (const t of i.tables) n += t.length * TABLE_ELEMENT_BYTES;
  return n + i.fixedTableBytes;
}

export interface PoolConfig {
  min: number;
  max: number;
  idleMs: number;
  /** Instances whose memory grew beyond this many bytes are not kept. */
  maxKeepBytes: number;
}

export interface PoolStats {
  created: number;
  reused: number;
  evicted: number;
  idle: number;
}

export class InstancePool {
  private readonly idle: PooledInstance[] = [];
  /**
   * Instances handed out by acquire() and not yet released or discarded: almost always none or
   * one (calls do not nest), so an array (push, swap-remove) rather than a Set.
   */
  private readonly busy: PooledInstance[] = [];
  created = 0;
  reused = 0;
  evicted = 0;

  constructor(
    private readonly create: () => PooledInstance,
    private readonly config: () => PoolConfig,
    /** Called when the set of live instances changes (the registry's memory figure). */
    private readonly changed: () => void = () => {},
  ) {}

  /** Fill the pool up to min_instances (at load time, so the first calls find warm instances). */
  warm(): void {
    const { min, max } = this.config();
    while (this.idle.length < Math.min(min, max)) {
      this.idle.push(this.create());
      this.created++;
      this.changed();
    }
  }

  acquire(): PooledInstance {
    let i = this.idle.pop();
    if (i) {
      this.reused++;
    } else {
      i = this.create();
      this.created++;
      this.changed();
    }
    this.busy.push(i);
    return i;
  }

  /** Return an instance after a successful call. */
  release(i: PooledInstance, now: number): void {
    this.unbusy(i);
    if (i.growsTables) this.changed(); // its tables may have grown: recount
    const { max, maxKeepBytes } = this.config();
    const bytes = i.memory ? i.memory.buffer.byteLength : 0;
    if (this.idle.length >= max || (bytes > maxKeepBytes && bytes > i.initialBytes)) {
      this.evicted++;
      this.changed();
      return;
    }
    i.lastUsed = now;
    this.idle.push(i);
  }

  /** Throw an instance away (after a trap or a limit trip). */
  discard(i: PooledInstance): void {
    this.unbusy(i);
    this.evicted++;
    this.changed();
  }

  private unbusy(i: PooledInstance): void {
    const b = this.busy;
    const k = b.lastIndexOf(i);
    if (k < 0) return;
    b[k] = b[b.length - 1];
    b.pop();
  }

  /** Drop idle instances above min_instances that have not been used for idle_timeout. */
  shrink(now: number): void {
    const { min, idleMs } = this.config();
    for (let k = 0; k < this.idle.length && this.idle.length > min; ) {
      if (now - this.idle[k].lastUsed >= idleMs) {
        this.idle.splice(k, 1);
        this.evicted++;
        this.changed();
      } else k++;
    }
  }

  clear(): void {
    this.idle.length = 0;
    this.busy.length = 0;
    this.changed();
  }

  /** Linear memory and tables of the live instances (idle and busy), bytes. */
  memoryBytes(): number {
    let n = 0;
    for (const i of this.idle) n += instanceBytes(i);
    for (const i of this.busy) n += instanceBytes(i);
    return n;
  }

  /** Live instances (idle and busy). */
  get size(): number {
    return this.idle.length + this.busy.length;
  }

  stats(): PoolStats {
    return { created: this.created, reused: this.reused, evicted: this.evicted, idle: this.idle.length };
  }
}
