// Warm instance pool, per function ([wasm.pool] min_instances / max_instances / idle_timeout_secs).
//
// Instantiating a compiled module costs ~70–100 µs, a call on a warm instance ~0.2 µs, so instances
// are reused across calls. Calls run to completion on the main thread (they are atomic, like Redis
// scripts), so at most one instance of a function is busy at any moment: the pool's job is to keep
// warm instances ready, to replace an instance after a trap or limit trip (its heap and shadow stack
// may be half-updated, so it is never reused), to drop instances whose memory grew large, and to
// shrink back to min_instances after idle time. max_instances bounds what the pool keeps.

import type { HostBinding } from './host.js';

export interface PooledInstance {
  instance: WebAssembly.Instance;
  exports: WebAssembly.Exports;
  binding: HostBinding;
  memory: WebAssembly.Memory | null;
  fuel: WebAssembly.Global | null;
  depth: WebAssembly.Global | null;
  /** Bytes of linear memory when created (to spot instances that grew). */
  initialBytes: number;
  /** max_memory when the instance was created (its memory's maximum); see executor.runCall. */
  createdMaxMemory: number;
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
  /** A memory.grow was refused because of max_memory (classifies the trap that usually follows). */
  growRefused: boolean;
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
  created = 0;
  reused = 0;
  evicted = 0;

  constructor(
    private readonly create: () => PooledInstance,
    private readonly config: () => PoolConfig,
  ) {}

  /** Fill the pool up to min_instances (at load time, so the first calls find warm instances). */
  warm(): void {
    const { min, max } = this.config();
    while (this.idle.length < Math.min(min, max)) {
      this.idle.push(this.create());
      this.created++;
    }
  }

  acquire(): PooledInstance {
    const i = this.idle.pop();
    if (i) {
      this.reused++;
      return i;
    }
    this.created++;
    return this.create();
  }

  /** Return an instance after a successful call. */
  release(i: PooledInstance, now: number): void {
    const { max, maxKeepBytes } = this.config();
    const bytes = i.memory ? i.memory.buffer.byteLength : 0;
    if (this.idle.length >= max || (bytes > maxKeepBytes && bytes > i.initialBytes)) {
      this.evicted++;
      return;
    }
    i.lastUsed = now;
    this.idle.push(i);
  }

  /** Throw an instance away (after a trap or a limit trip). */
  discard(_i: PooledInstance): void {
    this.evicted++;
  }

  /** Drop idle instances above min_instances that have not been used for idle_timeout. */
  shrink(now: number): void {
    const { min, idleMs } = this.config();
    for (let k = 0; k < this.idle.length && this.idle.length > min; ) {
      if (now - this.idle[k].lastUsed >= idleMs) {
        this.idle.splice(k, 1);
        this.evicted++;
      } else k++;
    }
  }

  clear(): void {
    this.idle.length = 0;
  }

  stats(): PoolStats {
    return { created: this.created, reused: this.reused, evicted: this.evicted, idle: this.idle.length };
  }
}
