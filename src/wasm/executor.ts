// The executor: runs one WASM.CALL on a warm instance under the [wasm.limits].
//
//   fuel      the instrumented module charges a function-local counter per function entry and
//             loop iteration; when a slice runs out it calls the meter's `refill`, which grants
//             the next slice or aborts with "fuel exhausted" once max_fuel is spent.
//   time      refill also checks the wall clock, so max_duration_ms stops an infinite loop on the
//             main thread without threads or signals.
//   memory    the module's memory is a host-created WebAssembly.Memory whose maximum is
//             max_memory, and every memory.grow is rewritten into a call of the meter's
//             memory_grow import, which refuses (returns -1) past max_memory and records that
//             it did (MeterState.growRefused), so the memory-limit error is exact.
//   depth     a depth counter checked at function entry traps past max_call_depth (V8's own stack
//             overflow RangeError is mapped to the same error).
//
// A call is atomic and all-or-nothing: it runs to completion on the main thread, its writes go
// through an undo log and its write events are captured; on any failure the writes are rolled
// back, the events dropped, the instance discarded, and the client gets an error naming the limit
// or fault. On success the captured events are handed to the write observers as one group.

import { performance } from 'node:perf_hooks'; // the module's, not the global getter (~20 ns a read)
import { ReplyError, Reply } from '../protocol/reply.js';
import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import { ALLOC_EXPORT, frameSize, INPUT_EXPORT, writeFrame } from './abi.js';
import { HostTrap, WasmError, WasmErrorKind } from './errors.js';
import { CallContext } from './host.js';
import type { PooledInstance } from './pool.js';
import type { WasmFunction } from './registry.js';

/** Fuel granted per refill: small enough that the wall clock is checked every ~0.1–1 ms of work. */
export const FUEL_SLICE = 1_000_000;

export interface Limits {
  maxFuel: number;
  maxDurationMs: number;
  maxMemory: number;
  maxDepth: number;
  maxReplyBytes: number;
}

/** Limits plus the settings compiled into a module's code (a change recompiles it: registry.refresh). */
export interface CallSettings extends Limits {
  metering: boolean;
  maxTableElements: number;
}

const LIMIT_KEYS = [
  'wasm.limits.max_fuel',
  'wasm.limits.max_duration_ms',
  'wasm.limits.max_memory',
  'wasm.limits.max_call_depth',
  'wasm.limits.max_reply_bytes',
  'wasm.limits.max_table_elements',
  'wasm.metering',
];

const settingsCache = new WeakMap<Server['config'], CallSettings>();

/**
 * The [wasm.limits] in force, read from the config once and again only after one of them changes
 * (CONFIG SET runs the config's change listeners): a call does no config lookups.
 */
export function limitsOf(server: Server): CallSettings {
  const c = server.config;
  let s = settingsCache.get(c);
  if (s === undefined) {
    const fresh = !settingsCache.has(c);
    s = {
      maxFuel: c.getInt('wasm.limits.max_fuel'),
      maxDurationMs: c.getInt('wasm.limits.max_duration_ms'),
      maxMemory: c.getInt('wasm.limits.max_memory'),
      maxDepth: c.getInt('wasm.limits.max_call_depth'),
      maxReplyBytes: c.getInt('wasm.limits.max_reply_bytes'),
      maxTableElements: c.getInt('wasm.limits.max_table_elements'),
      metering: c.getBool('wasm.metering'),
    };
    settingsCache.set(c, s);
    if (fresh && !listening.has(c)) {
      listening.add(c);
      for (const k of LIMIT_KEYS) c.onChange(k, () => settingsCache.delete(c));
    }
  }
  return s;
}
const listening = new WeakSet<Server['config']>();

/** Map anything thrown out of a guest to a WasmError with the right kind and culprit. */
export function classify(e: unknown, inst: PooledInstance | null, limits: Limits): WasmError {
  if (e instanceof WasmError) return e;
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return new WasmError('depth', `call depth limit exceeded (engine stack overflow; max_call_depth ${limits.maxDepth})`);
  }
  const msg = e instanceof Error ? e.message : String(e);
  // A guest whose allocator hits max_memory sees memory.grow return -1 and usually traps or aborts
  // right after. Every memory.grow goes through the meter's memory_grow import (instrument.ts), which
  // sets growRefused exactly when max_memory refused a grow — no guessing from how full memory is.
  if (inst?.meter.growRefused === true) return new WasmError('memory', `memory limit exceeded (${inst.meter.refusal || `max_memory ${limits.maxMemory} bytes`}): ${msg}`);
  if (e instanceof WebAssembly.RuntimeError) return new WasmError('trap', `trap: ${msg}`);
  if (msg.startsWith('abort:')) return new WasmError('abort', msg);
  return new WasmError('internal', `host error: ${msg}`, 'host');
}

function toReply(ret: unknown): Reply {
  if (ret === undefined) return null;
  if (typeof ret === 'bigint') {
    const n = Number(ret);
    return Number.isSafeInteger(n) ? n : ret;
  }
  if (typeof ret === 'number') return Number.isInteger(ret) ? ret : new ReplyError('ERR', 'function returned a float; return an integer or use reply_*');
  return null;
}

/** Prepare an instance's meter and globals for one top-level call under `limits`. */
export function armMeter(inst: PooledInstance, limits: Limits, now = performance.now()): void {
  const m = inst.meter;
  m.granted = limits.maxFuel < FUEL_SLICE ? limits.maxFuel : FUEL_SLICE;
  m.maxFuel = limits.maxFuel;
  m.deadline = now + limits.maxDurationMs;
  m.maxDepth = limits.maxDepth;
  m.maxMemory = limits.maxMemory;
  m.growRefused = false;
  m.refusal = '';
  // Plain writes: the globals' types were read once, when the instance was made.
  if (inst.fuel !== null) inst.fuel.value = inst.fuelI64 ? BigInt(m.granted) : m.granted;
  if (inst.depth !== null) inst.depth.value = inst.depthI64 ? 0n : 0;
}

/** Ask the guest for `size` bytes (alloc) and write the call frame there, straight into its memory. */
function pushFrame(inst: PooledInstance, alloc: (n: number) => number, name: string, size: number, keys: string[], args: string[]): number {
  const ptr = alloc(size) >>> 0;
  const b = inst.binding.buf(name); // after alloc: it may have grown memory
  if (ptr + size > b.length) throw new HostTrap(name, `pointer out of bounds (ptr=${ptr}, len=${size}, memory=${b.length} bytes)`);
  writeFrame(b, ptr, keys, args);
  return ptr;
}

/**
 * The statistics of the WASM.CALL that just returned, recorded by recordCallStats once dispatch
 * has timed the handler (CommandSpec.afterCall): the call reads no clock of its own. Calls run
 * one at a time on the main thread and cannot nest (WASM.* is refused from guests), so one slot is enough.
 */
let pendingFn: WasmFunction | null = null;
let pendingFuel = 0;
let pendingKind: WasmErrorKind | null = null;

function pend(fn: WasmFunction, fuel: number, kind: WasmErrorKind | null): void {
  // A call whose handler was run outside dispatch (never told its time) still counts, as 0 µs.
  if (pendingFn !== null) pendingFn.stats.record(0, pendingFuel, pendingKind);
  pendingFn = fn;
  pendingFuel = fuel;
  pendingKind = kind;
}

/** WASM.CALL's afterCall: record the call's statistics with the time dispatch measured. */
export function recordCallStats(usec: number): void {
  const fn = pendingFn;
  if (fn === null) return;
  pendingFn = null;
  fn.stats.record(usec, pendingFuel, pendingKind);
}

/** Run `fn`'s export `entry` for a client. Never throws: every failure becomes an error reply. */
export function runCall(
  server: Server,
  client: Client,
  fn: WasmFunction,
  entry: string,
  keys: string[],
  args: string[],
  readonly: boolean,
): Reply {
  // The handler's start, as dispatch timed it (no clock read here).
  const t0 = server.handlerStart;
  const sig = fn.entries.get(entry);
  if (!sig) {
    return new ReplyError('ERR', `wasm function '${fn.name}' has no callable export '${entry}' (exports: ${[...fn.entries.keys()].join(', ')})`);
  }
  const limits = limitsOf(server);
  let inst: PooledInstance;
  try {
    const c = fn.compiled;
    if (c.maxDepth !== limits.maxDepth || c.metering !== limits.metering || c.maxTableElements !== limits.maxTableElements) {
      server.wasm?.refresh(fn);
    }
    inst = fn.pool.acquire();
    // An instance made under another max_memory has a memory whose maximum disagrees with the
    // limit now in force (CONFIG SET wasm.limits.max_memory): replace it.
    while (inst.createdMaxMemory !== limits.maxMemory) {
      fn.pool.discard(inst);
      inst = fn.pool.acquire();
    }
  } catch (e) {
    const err = classify(e, null, limits);
    pend(fn, 0, err.kind);
    return err.toReply(fn.name);
  }
  let ctx = inst.binding.reusable;
  if (ctx === null) ctx = inst.binding.reusable = new CallContext(server, client, fn, keys, args, readonly);
  else ctx.reset(server, client, fn, keys, args, readonly);
  ctx.deadline = t0 + limits.maxDurationMs;
  ctx.maxDurationMs = limits.maxDurationMs;
  ctx.maxReplyBytes = limits.maxReplyBytes;
  inst.binding.ctx = ctx;
  const m = inst.meter;
  armMeter(inst, limits, t0);
  const wasInExec = client.inExec;
  client.inExec = true;
  server.beginCapture();
  // Messages it publishes (PUBLISH, keyspace notifications of its writes) go out only if it succeeds.
  const held = server.pubsub.hold();
  let reply: Reply;
  let kind: WasmErrorKind | null = null;
  try {
    const f = inst.exports[entry] as (...a: number[]) => unknown;
    let ret: unknown;
    if (sig.kind === 'frame') {
      const size = frameSize(keys, args);
      const ptr = pushFrame(inst, inst.exports[ALLOC_EXPORT] as (n: number) => number, ALLOC_EXPORT, size, keys, args);
      ret = f(ptr, size);
    } else {
      // A module exporting lodestone_input gets its KEYS and ARGS written into its memory up front.
      const input = inst.input;
      if (input !== null) pushFrame(inst, input, INPUT_EXPORT, frameSize(keys, args), keys, args);
      ret = f();
    }
    if (ctx.stack.length > 0) {
      throw new WasmError('bad_reply', `incomplete reply: an array still expects ${ctx.stack[ctx.stack.length - 1].n - ctx.stack[ctx.stack.length - 1].items.length} more element(s)`);
    }
    reply = ctx.reply !== undefined ? ctx.reply : toReply(ret);
    ctx.undo.clear();
    server.endCapture(true);
    server.pubsub.release(held, true);
    fn.pool.release(inst, t0);
  } catch (e) {
    const err = classify(e, inst, limits);
    kind = err.kind;
    ctx.undo.rollback((db, key) => server.keyModified(db, key));
    server.endCapture(false);
    server.pubsub.release(held, false);
    fn.pool.discard(inst);
    reply = err.toReply(fn.name);
  } finally {
    inst.binding.ctx = null;
    client.inExec = wasInExec;
  }
  let fuelUsed = m.granted;
  if (kind !== 'fuel' && inst.fuel !== null) {
    const left = Number(inst.fuel.value);
    fuelUsed = m.granted - (left > 0 ? left : 0);
  }
  pend(fn, fuelUsed, kind);
  return reply;
}
