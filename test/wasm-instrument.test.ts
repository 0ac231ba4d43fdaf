// Tests for the WebAssembly instrumentation pass (src/wasm/instrument.ts).
//
// Modules are written in WAT and compiled with wabt (devDependency), built byte
// by byte (LEB128 edge cases), taken from the AssemblyScript fixtures in
// test/fixtures/wasm/ or compiled from C with clang when it is installed.

import { describe, it, expect, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';
import { instrument, InstrumentError, type InstrumentOptions, type InstrumentResult } from '../src/wasm/instrument.js';
import { Reader } from '../src/wasm/wasm-reader.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'wasm');

type Wabt = Awaited<ReturnType<typeof wabtInit>>;
let wabt: Wabt;
beforeAll(async () => {
  wabt = await wabtInit();
});

const FEATURES = {
  exceptions: true,
  simd: true,
  multi_value: true,
  tail_call: true,
  bulk_memory: true,
  reference_types: true,
  sat_float_to_int: true,
  sign_extension: true,
  mutable_globals: true,
};

function wat(src: string, features: Record<string, boolean> = FEATURES, check = true): Uint8Array {
  const m = wabt.parseWat('test.wat', src, features);
  try {
    m.resolveNames();
    if (check) m.validate();
    return new Uint8Array(m.toBinary({ write_debug_names: true }).buffer);
  } finally {
    m.destroy();
  }
}

function bytesOf(b: Uint8Array): Uint8Array<ArrayBuffer> {
  return b as Uint8Array<ArrayBuffer>;
}

// ---------------------------------------------------------------------------
// host side
// ---------------------------------------------------------------------------

class FuelExhausted extends Error {}
class DeadlineExceeded extends Error {}
class DepthExceeded extends Error {
  constructor(readonly depth: number) {
    super(`depth ${depth}`);
  }
}

type Imports = Record<string, Record<string, WebAssembly.ImportValue>>;

interface HostOpts {
  slice?: number;
  maxSlices?: number;
  deadlineMs?: number;
  imports?: Imports;
}

interface Metered {
  res: InstrumentResult;
  instance: WebAssembly.Instance;
  exports: Record<string, any>;
  memory: WebAssembly.Memory | null;
  state: { granted: number; refills: number; depthCalls: number[]; deadline: number };
  /** Calls an export the way the host does: reset the globals, grant nothing up front. */
  call(name: string, ...args: unknown[]): any;
  fuelUsed(): number;
}

function meter(bytes: Uint8Array, opts: InstrumentOptions = {}, host: HostOpts = {}): Metered {
  const res = instrument(bytes, opts);
  expect(WebAssembly.validate(bytesOf(res.bytes))).toBe(true);
  const slice = host.slice ?? 1_000_000;
  const state = { granted: 0, refills: 0, depthCalls: [] as number[], deadline: Infinity };
  const imports: Imports = { ...(host.imports ?? {}) };
  let memory: WebAssembly.Memory | null = null;
  let instance: WebAssembly.Instance;
  imports[res.meterImports.module] = {
    ...(imports[res.meterImports.module] ?? {}),
    [res.meterImports.refill]: (remaining: number) => {
      state.refills++;
      if (host.maxSlices !== undefined && state.refills > host.maxSlices) throw new FuelExhausted('fuel exhausted');
      if (performance.now() > state.deadline) throw new DeadlineExceeded('deadline');
      state.granted += slice;
      return remaining + slice;
    },
    [res.meterImports.depthExceeded]: (d: number) => {
      state.depthCalls.push(d);
      throw new DepthExceeded(d);
    },
    // memory.grow is rewritten into this import (meterMemoryGrow); grow the instance's memory
    [res.meterImports.memoryGrow]: (delta: number) => {
      const mem = memory ?? (Object.values(instance.exports).find((x) => x instanceof WebAssembly.Memory) as WebAssembly.Memory);
      try {
        return mem.grow(delta >>> 0);
      } catch {
        return -1;
      }
    },
  };
  if (res.memory?.imported) {
    const desc: WebAssembly.MemoryDescriptor = { initial: res.memory.initialPages };
    if (res.memory.maximumPages !== null) desc.maximum = res.memory.maximumPages;
    memory = new WebAssembly.Memory(desc);
    imports[res.memory.module] = { ...(imports[res.memory.module] ?? {}), [res.memory.name]: memory };
  }
  // eslint-disable-next-line prefer-const
  instance = new WebAssembly.Instance(new WebAssembly.Module(bytesOf(res.bytes)), imports);
  const exports = instance.exports as Record<string, any>;
  const fuelG = res.fuelGlobalExport ? (exports[res.fuelGlobalExport] as WebAssembly.Global) : null;
  const depthG = res.depthGlobalExport ? (exports[res.depthGlobalExport] as WebAssembly.Global) : null;
  return {
    res,
    instance,
    exports,
    memory,
    state,
    call(name, ...args) {
      state.granted = 0;
      state.refills = 0;
      state.depthCalls = [];
      state.deadline = host.deadlineMs !== undefined ? performance.now() + host.deadlineMs : Infinity;
      if (fuelG) fuelG.value = 0;
      if (depthG) depthG.value = 0;
      return (exports[name] as (...a: unknown[]) => unknown)(...args);
    },
    fuelUsed() {
      return state.granted - (fuelG ? (fuelG.value as number) : 0);
    },
  };
}

function plain(bytes: Uint8Array, imports: Imports = {}): Record<string, any> {
  return new WebAssembly.Instance(new WebAssembly.Module(bytesOf(bytes)), imports).exports as Record<string, any>;
}

function expectInstrumentError(fn: () => unknown, re?: RegExp): void {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(InstrumentError);
  if (re) expect((err as Error).message).toMatch(re);
}

// ---------------------------------------------------------------------------
// modules
// ---------------------------------------------------------------------------

const COMPUTE_WAT = `
(module
  (func $fib (export "fib") (param $n i32) (result i32)
    (if (result i32) (i32.lt_s (local.get $n) (i32.const 2))
      (then (local.get $n))
      (else (i32.add (call $fib (i32.sub (local.get $n) (i32.const 1)))
                     (call $fib (i32.sub (local.get $n) (i32.const 2)))))))
  (func $sum (export "sum") (param $n i32) (result i64) (local $i i32) (local $acc i64)
    (block $done
      (loop $l
        (br_if $done (i32.gt_s (local.get $i) (local.get $n)))
        (local.set $acc (i64.add (local.get $acc) (i64.extend_i32_s (local.get $i))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $acc))
  (func $sq (param $x i32) (result i32) (i32.mul (local.get $x) (local.get $x)))
  (func $sumsq (export "sumsq") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (loop $l
      (local.set $acc (i32.add (local.get $acc) (call $sq (local.get $i))))
      (br_if $l (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $acc))
  (func $nested (export "nested") (param $n i32) (result i32) (local $i i32) (local $j i32) (local $acc i32)
    (loop $outer
      (local.set $j (i32.const 0))
      (loop $inner
        (local.set $acc (i32.add (local.get $acc) (i32.xor (local.get $i) (local.get $j))))
        (br_if $inner (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $n))))
      (br_if $outer (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (local.get $acc))
)`;

const FEATURES_WAT = `
(module
  (import "env" "log" (func $log (param i32)))
  (import "env" "charge" (func $charge))
  (type $bin (func (param i32 i32) (result i32)))
  (memory (export "mem") 1 10)
  (table $t (export "tab") 4 funcref)
  (elem (table $t) (i32.const 0) func $add $sub $mulrec)
  (elem $passive func $sub $add)
  (elem declare func $neg)
  (global $counter (export "counter") (mut i32) (i32.const 5))
  (global $gref (mut funcref) (ref.func $add))
  (global $started (export "started") (mut i32) (i32.const 0))
  (tag $exc (param i32))
  (start $init)
  (func $init (global.set $started (i32.const 42)))
  (func $add (type $bin) (i32.add (local.get 0) (local.get 1)))
  (func $sub (type $bin) (i32.sub (local.get 0) (local.get 1)))
  (func $mulrec (type $bin)
    (if (result i32) (i32.eqz (local.get 1)) (then (i32.const 0))
      (else (i32.add (local.get 0) (call $mulrec (local.get 0) (i32.sub (local.get 1) (i32.const 1)))))))
  (func $neg (param i32) (result i32) (i32.sub (i32.const 0) (local.get 0)))
  (func (export "apply") (param $op i32) (param $a i32) (param $b i32) (result i32)
    (call_indirect (type $bin) (local.get $a) (local.get $b) (local.get $op)))
  (func (export "applyGlobalRef") (param $a i32) (param $b i32) (result i32)
    (table.set $t (i32.const 3) (global.get $gref))
    (call_indirect (type $bin) (local.get $a) (local.get $b) (i32.const 3)))
  (func (export "tableInit") (param $a i32) (param $b i32) (result i32)
    (table.init $t $passive (i32.const 2) (i32.const 0) (i32.const 2))
    (call_indirect (type $bin) (local.get $a) (local.get $b) (i32.const 2)))
  (func (export "callRef") (param i32) (result i32)
    (table.set $t (i32.const 3) (ref.func $neg))
    (ref.is_null (table.get $t (i32.const 3)))
    (drop)
    (call $neg (local.get 0)))
  (func (export "bump") (result i32)
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (global.get $counter))
  (func $swap (export "swap") (param i32 i32) (result i32 i32) (local.get 1) (local.get 0))
  (func (export "mvblock") (param i32) (result i32)
    (block (result i32 i32) (call $swap (local.get 0) (i32.const 3)))
    (i32.sub))
  (func (export "mvloop") (param $n i32) (result i32) (local $c i32)
    (i32.const 0) (local.get $n)
    (loop $l (param i32 i32) (result i32 i32)
      (local.set $c)
      (i32.add (local.get $c))
      (i32.sub (local.get $c) (i32.const 1))
      (local.tee $c)
      (br_if $l (local.get $c)))
    (drop))
  (func (export "brtable") (param i32) (result i32)
    (block $a (result i32)
      (block $b (result i32)
        (i32.const 10)
        (local.get 0)
        (br_table $b $a 2))
      (i32.add (i32.const 1)))
    (i32.add (i32.const 100)))
  (func (export "brifout") (param i32) (result i32) (local $i i32)
    (loop $l
      (drop (br_if 1 (i32.const 77) (i32.ge_s (local.get $i) (local.get 0))))
      (call $log (local.get $i))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l))
    (i32.const -1))
  (func (export "earlyReturn") (param i32) (result i32) (local $i i32)
    (loop $l
      (if (i32.eq (local.get $i) (local.get 0)) (then (return (i32.mul (local.get $i) (i32.const 2)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l))
    (unreachable))
  (func (export "hostCharge") (param $n i32) (local $i i32)
    (loop $l
      (call $charge)
      (br_if $l (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n)))))
  (func $thrower (param i32)
    (if (i32.gt_s (local.get 0) (i32.const 0)) (then (call $thrower (i32.sub (local.get 0) (i32.const 1)))))
    (throw $exc (local.get 0)))
  (func (export "tryCatch") (param i32) (result i32)
    (try (result i32)
      (do (call $thrower (local.get 0)) (i32.const -1))
      (catch $exc (i32.add (i32.const 1000)))))
  (func (export "ehLoops") (param $n i32) (result i32) (local $i i32) (local $acc i32)
    (try $outer
      (do
        (loop $l
          (try (do (call $thrower (i32.add (local.get $i) (i32.const 3)))) (delegate $outer))
          (br $l)))
      (catch $exc (local.set $acc)))
    (try (result i32)
      (do
        (try
          (do (call $thrower (i32.const 2)))
          (catch $exc
            (drop)
            (loop $l2
              (local.set $i (i32.add (local.get $i) (i32.const 1)))
              (br_if $l2 (i32.lt_s (local.get $i) (local.get $n)))
              (rethrow 1))))
        (i32.const -1))
      (catch $exc (drop) (i32.add (local.get $acc) (i32.mul (local.get $i) (i32.const 100))))))
  (func (export "bulk") (param $n i32) (result i32) (local $i i32) (local $s i32)
    (memory.fill (i32.const 0) (i32.const 7) (local.get $n))
    (memory.copy (i32.const 1000) (i32.const 0) (local.get $n))
    (loop $l
      (local.set $s (i32.add (local.get $s) (i32.load8_u offset=1000 (local.get $i))))
      (br_if $l (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (i32.add (local.get $s) (i32.extend8_s (i32.const 0xff))))
  (func (export "satTrunc") (param f64) (result i32) (i32.trunc_sat_f64_s (local.get 0)))
  (func $boom (export "boom") (unreachable))
  (func (export "callBoom") (call $boom))
  (func (export "simd") (param $n i32) (result i32) (local $v v128) (local $i i32)
    (local.set $v (v128.const i32x4 1 2 3 4))
    (loop $l
      (local.set $v (i32x4.add (local.get $v) (i8x16.shuffle 4 5 6 7 8 9 10 11 12 13 14 15 0 1 2 3 (local.get $v) (local.get $v))))
      (v128.store offset=16 (i32.const 0) (local.get $v))
      (local.set $v (v128.load32_lane 1 (i32.const 16) (local.get $v)))
      (br_if $l (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 1))) (local.get $n))))
    (i32.add (i32x4.extract_lane 0 (local.get $v)) (i32x4.extract_lane 3 (local.get $v))))
  (func $even (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 1)) (else (return_call $odd (i32.sub (local.get 0) (i32.const 1))))))
  (func $odd (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0)) (else (return_call $even (i32.sub (local.get 0) (i32.const 1))))))
  (func (export "isEven") (param i32) (result i32) (call $even (local.get 0)))
  (func $rec (export "rec") (param i32) (result i32)
    (if (result i32) (i32.eqz (local.get 0)) (then (i32.const 0))
      (else (i32.add (i32.const 1) (call $rec (i32.sub (local.get 0) (i32.const 1)))))))
  (func (export "tailIndirect") (param i32) (result i32)
    (return_call_indirect (type $bin) (local.get 0) (i32.const 1) (i32.const 1)))
)`;

function featuresImports(log: number[] = [], charge: () => void = () => {}): Imports {
  return { env: { log: (x: number) => void log.push(x), charge } };
}

// ---------------------------------------------------------------------------
// tests
// ---------------------------------------------------------------------------

describe('instrument: fuel', () => {
  it('stops an infinite loop when refill throws after N slices', () => {
    const bytes = wat(`(module (func (export "spin") (loop $l (br $l))))`);
    const m = meter(bytes, {}, { slice: 1000, maxSlices: 5 });
    expect(() => m.call('spin')).toThrow(FuelExhausted);
    expect(m.state.refills).toBe(6);
    expect(m.state.granted).toBe(5000);
  });

  it('stops infinite loops containing calls, and infinite tail-call recursion', () => {
    const bytes = wat(`(module
      (func $f (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
      (func $g (param i32) (result i32) (local.get 0) (loop (br 0)) (unreachable))
      (func (export "spinCall") (local $x i32) (loop $l (local.set $x (call $f (local.get $x))) (br $l)))
      (func $tail (export "tail") (param i32) (result i32) (return_call $tail (i32.add (local.get 0) (i32.const 1))))
      (func $ind (export "ind") (param i32) (result i32) (return_call_indirect (param i32) (result i32) (local.get 0) (i32.const 0)))
      (table 1 funcref) (elem (i32.const 0) $ind))`);
    const m = meter(bytes, {}, { slice: 10_000, maxSlices: 3 });
    expect(() => m.call('spinCall')).toThrow(FuelExhausted);
    expect(() => m.call('tail', 0)).toThrow(FuelExhausted);
    expect(m.state.depthCalls).toEqual([]);
    expect(() => m.call('ind', 0)).toThrow(FuelExhausted);
  });

  it('stops an infinite loop shortly after a wall-clock deadline', () => {
    const bytes = wat(`(module (func (export "spin") (local $x i32) (loop $l (local.set $x (i32.add (local.get $x) (i32.const 1))) (br $l))))`);
    const m = meter(bytes, {}, { slice: 100_000, deadlineMs: 10 });
    const t0 = performance.now();
    expect(() => m.call('spin')).toThrow(DeadlineExceeded);
    const elapsed = performance.now() - t0;
    console.log(`[wasm-instrument] infinite loop with a 10 ms deadline stopped after ${elapsed.toFixed(2)} ms (${m.state.refills} slices)`);
    expect(elapsed).toBeGreaterThanOrEqual(10);
    expect(elapsed).toBeLessThan(200);
  });

  it('gives the same results metered and unmetered, and fuel grows with n', () => {
    const bytes = wat(COMPUTE_WAT);
    const u = plain(bytes);
    const m = meter(bytes);
    const fuel: Record<string, number[]> = {};
    for (const [fn, ns] of [
      ['sum', [0, 1, 10, 1000, 10_000, 100_000]],
      ['fib', [1, 2, 10, 15, 20]],
      ['sumsq', [1, 10, 1000, 10_000]],
      ['nested', [1, 10, 100, 300]],
    ] as const) {
      fuel[fn] = [];
      for (const n of ns) {
        expect(m.call(fn, n)).toEqual(u[fn](n));
        fuel[fn]!.push(m.fuelUsed());
      }
      for (let i = 1; i < fuel[fn]!.length; i++) expect(fuel[fn]![i]!).toBeGreaterThan(fuel[fn]![i - 1]!);
    }
    // sum: a loop iteration is ~13 instructions; fuel is linear in n
    const [, , , f1k, f10k, f100k] = fuel.sum!;
    expect(f100k! / f10k!).toBeGreaterThan(9);
    expect(f100k! / f10k!).toBeLessThan(11);
    expect(f1k! / 1000).toBeGreaterThan(5);
    expect(f1k! / 1000).toBeLessThan(30);
    // nested loops: quadratic
    expect(fuel.nested![3]! / fuel.nested![2]!).toBeGreaterThan(8);
    // the cost of the leaf $sq is charged at the call site
    const sumsqPerIter = fuel.sumsq![3]! / 10_000;
    expect(sumsqPerIter).toBeGreaterThan(12);
  });

  it('counts fuel across refills exactly like a single big slice', () => {
    const bytes = wat(COMPUTE_WAT);
    const big = meter(bytes, {}, { slice: 1e9 });
    const small = meter(bytes, {}, { slice: 997 });
    big.call('sum', 50_000);
    small.call('sum', 50_000);
    expect(small.state.refills).toBeGreaterThan(100);
    expect(small.fuelUsed()).toBe(big.fuelUsed());
    big.call('fib', 18);
    small.call('fib', 18);
    expect(small.fuelUsed()).toBe(big.fuelUsed());
  });

  it('lets host imports charge fuel through the global (reloaded after calls)', () => {
    const bytes = wat(FEATURES_WAT);
    let fuelG: WebAssembly.Global | null = null;
    const m = meter(bytes, {}, { imports: featuresImports([], () => { fuelG!.value = (fuelG!.value as number) - 1000; }) });
    fuelG = m.exports[m.res.fuelGlobalExport] as WebAssembly.Global;
    m.call('hostCharge', 10);
    const used10 = m.fuelUsed();
    m.call('hostCharge', 20);
    const used20 = m.fuelUsed();
    expect(used10).toBeGreaterThan(10_000);
    expect(used20 - used10).toBeGreaterThan(10_000);
    expect(used20 - used10).toBeLessThan(12_000);
  });

  it('writes the counter back on every way out of a function', () => {
    const bytes = wat(FEATURES_WAT);
    const m = meter(bytes, {}, { imports: featuresImports() });
    // br_table / br_if / return out of the function: the fuel used must be > 0 and grow with the work done
    m.call('brifout', 10);
    const a = m.fuelUsed();
    m.call('brifout', 100);
    const b = m.fuelUsed();
    expect(a).toBeGreaterThan(10);
    expect(b).toBeGreaterThan(a * 5);
    m.call('earlyReturn', 100);
    expect(m.fuelUsed()).toBeGreaterThan(500);
    m.call('brtable', 2);
    expect(m.fuelUsed()).toBeGreaterThan(0);
  });

  it('charges bulk instructions by their length (1 per 64 bytes, 1 per table element), in loop-free and looping functions', () => {
    const m = meter(
      wat(`(module (memory 16) (table 1000 funcref)
        (func $leafish (param $n i32) (memory.fill (i32.const 0) (i32.const 1) (local.get $n)))
        (func (export "direct") (param $n i32) (call $leafish (local.get $n)))
        (func (export "looped") (param $n i32) (param $k i32)
          (loop $l
            (memory.copy (i32.const 0) (i32.const 100) (local.get $n))
            (br_if $l (local.tee $k (i32.sub (local.get $k) (i32.const 1))))))
        (func (export "tab") (param $n i32) (table.fill (i32.const 0) (ref.null func) (local.get $n))))`),
    );
    const cost = (name: string, ...args: number[]): number => {
      m.call(name, ...args);
      return m.fuelUsed();
    };
    // same structure, different lengths: the difference is exactly the length charge
    expect(cost('direct', 64_000) - cost('direct', 0)).toBe(1000);
    expect(cost('direct', 63) - cost('direct', 0)).toBe(0);
    expect(cost('looped', 6400, 10) - cost('looped', 0, 10)).toBe(10 * 100);
    expect(cost('tab', 1000) - cost('tab', 0)).toBe(1000);
    // a helper with a bulk instruction is never a leaf: it is instrumented itself
    expect(cost('direct', 640_000 - 1)).toBeGreaterThan(9999);
  });

  it('caps the tables at maxTableElements: initial sizes must fit, table.grow stops at the cap, tables are exported', () => {
    expectInstrumentError(() => instrument(wat('(module (table 200 funcref))'), { maxTableElements: 100 }), /200 initial elements together, over the cap of 100/);
    const m = meter(
      wat(`(module (table $a 10 funcref) (table $b 5 20 externref)
        (func (export "growA") (param i32) (result i32) (table.grow $a (ref.null func) (local.get 0)))
        (func (export "growB") (param i32) (result i32) (table.grow $b (ref.null extern) (local.get 0))))`),
      { maxTableElements: 100 },
    );
    expect(m.res.tables).toEqual([{ initial: 10, maximum: 95 }, { initial: 5, maximum: 5 }]);
    expect(m.res.tableExports).toEqual(['__lodestone_table0', '__lodestone_table1']);
    expect(m.call('growB', 1)).toBe(-1);
    expect(m.call('growA', 86)).toBe(-1);
    expect(m.call('growA', 85)).toBe(10);
    expect((m.exports.__lodestone_table0 as WebAssembly.Table).length).toBe(95);
  });
});

describe('instrument: call depth', () => {
  it('calls depthExceeded beyond the limit, and not within it', () => {
    const bytes = wat(FEATURES_WAT);
    const m = meter(bytes, { maxDepth: 100 }, { imports: featuresImports() });
    expect(m.call('rec', 98)).toBe(98);
    expect(m.state.depthCalls).toEqual([]);
    expect(() => m.call('rec', 100)).toThrow(DepthExceeded);
    expect(m.state.depthCalls).toEqual([101]);
    // the host resets the depth before the next call; the instance keeps working
    expect(m.call('rec', 50)).toBe(50);
    // 200 sequential (non-nested) calls in a loop do not accumulate depth
    expect(m.call('mvloop', 200)).toBe((200 * 201) / 2);
    expect(m.call('brifout', 300)).toBe(77);
  });

  it('does not grow the depth on tail calls', () => {
    const bytes = wat(FEATURES_WAT);
    const m = meter(bytes, { maxDepth: 10 }, { imports: featuresImports() });
    expect(m.call('isEven', 100_001)).toBe(0);
    expect(m.call('isEven', 100_000)).toBe(1);
    expect(m.state.depthCalls).toEqual([]);
  });

  it('turns unbounded recursion into a deterministic depth error', () => {
    const bytes = wat(`(module (func $r (export "r") (param i32) (result i32) (i32.add (i32.const 1) (call $r (local.get 0)))))`);
    const m = meter(bytes, { maxDepth: 500 });
    for (let i = 0; i < 3; i++) {
      expect(() => m.call('r', 0)).toThrow(DepthExceeded);
      expect(m.state.depthCalls).toEqual([501]);
    }
  });

  it('traps even if depthExceeded returns', () => {
    const bytes = wat(`(module (func $r (export "r") (param i32) (result i32) (i32.add (i32.const 1) (call $r (local.get 0)))))`);
    const res = instrument(bytes, { maxDepth: 5 });
    let calls = 0;
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytesOf(res.bytes)), {
      lodestone_meter: { refill: (r: number) => r + 1e6, depthExceeded: () => void calls++ },
    });
    expect(() => (inst.exports.r as (x: number) => number)(0)).toThrow(WebAssembly.RuntimeError);
    expect(calls).toBe(1);
  });
});

describe('instrument: memory', () => {
  const MEM_WAT = `(module (memory (export "mem") 1 100)
    (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
    (func (export "size") (result i32) (memory.size))
    (func (export "poke") (param i32 i32) (i32.store (local.get 0) (local.get 1))))`;

  it('turns the module memory into a capped import; memory.grow past the cap returns -1', () => {
    const bytes = wat(MEM_WAT);
    const m = meter(bytes, { maxMemoryPages: 4 });
    expect(m.res.memory).toEqual({ imported: true, module: 'lodestone_meter', name: 'memory', initialPages: 1, maximumPages: 4 });
    expect(m.exports.mem).toBe(m.memory);
    expect(m.call('grow', 2)).toBe(1);
    expect(m.call('grow', 1)).toBe(3);
    expect(m.call('grow', 1)).toBe(-1);
    expect(m.call('grow', 100)).toBe(-1);
    expect(m.call('size')).toBe(4);
    m.call('poke', 4 * 65536 - 4, 0x01020304);
    expect(new DataView(m.memory!.buffer).getUint32(4 * 65536 - 4, true)).toBe(0x01020304);
    // unmetered, the same module can grow further
    expect(plain(bytes).grow(10)).toBe(1);
  });

  it('keeps the declared maximum when there is no cap', () => {
    const m = meter(wat(MEM_WAT));
    expect(m.res.memory).toEqual({ imported: true, module: 'lodestone_meter', name: 'memory', initialPages: 1, maximumPages: 100 });
    const noMax = instrument(wat(`(module (memory 2))`));
    expect(noMax.memory).toEqual({ imported: true, module: 'lodestone_meter', name: 'memory', initialPages: 2, maximumPages: null });
  });

  it('keeps an imported memory imported and reports the capped maximum', () => {
    const bytes = wat(`(module (import "env" "mem" (memory 1))
      (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))`);
    const m = meter(bytes, { maxMemoryPages: 3 });
    expect(m.res.memory).toEqual({ imported: true, module: 'env', name: 'mem', initialPages: 1, maximumPages: 3 });
    expect(m.call('grow', 2)).toBe(1);
    expect(m.call('grow', 1)).toBe(-1);
    const imports = WebAssembly.Module.imports(new WebAssembly.Module(bytesOf(m.res.bytes)));
    expect(imports.filter((i) => i.kind === 'memory')).toEqual([{ module: 'env', name: 'mem', kind: 'memory' }]);
  });

  it('can clamp a defined memory in place instead of importing it', () => {
    const bytes = wat(MEM_WAT);
    const m = meter(bytes, { maxMemoryPages: 2, memoryImport: false });
    expect(m.res.memory).toEqual({ imported: false, module: '', name: '', initialPages: 1, maximumPages: 2 });
    expect(m.memory).toBeNull();
    expect(m.call('grow', 1)).toBe(1);
    expect(m.call('grow', 1)).toBe(-1);
  });

  it('rejects a cap below the initial size, memory64, shared and multiple memories', () => {
    expectInstrumentError(() => instrument(wat(`(module (memory 5))`), { maxMemoryPages: 4 }), /initial pages/);
    expectInstrumentError(() => instrument(wat(`(module (memory i64 1))`, { memory64: true }, false)), /memory64/);
    expectInstrumentError(() => instrument(wat(`(module (memory 1) (memory 1))`, { multi_memory: true }, false)), /multiple memories/);
    expectInstrumentError(
      () => instrument(wat(`(module (import "a" "m" (memory 1)) (memory 1))`, { multi_memory: true }, false)),
      /multiple memories/,
    );
    expectInstrumentError(() => instrument(wat(`(module (memory 1 1 shared))`, { threads: true }, false)), /shared/);
    expectInstrumentError(
      () => instrument(wat(`(module (memory 1 1) (func (result i32) (i32.atomic.load (i32.const 0))))`, { threads: true }, false)),
      /atomics/,
    );
  });
});

describe('instrument: features and renumbering', () => {
  it('keeps exports, tables, element segments, globals, start, multi-value, exceptions and SIMD working', () => {
    const bytes = wat(FEATURES_WAT);
    const logU: number[] = [];
    const logM: number[] = [];
    const u = plain(bytes, featuresImports(logU));
    const m = meter(bytes, {}, { imports: featuresImports(logM) });
    const e = m.exports;
    // export names unchanged (plus the defined table, so the host can count its size, and the two globals)
    const names = WebAssembly.Module.exports(new WebAssembly.Module(bytesOf(bytes))).map((x) => x.name);
    const mnames = WebAssembly.Module.exports(new WebAssembly.Module(bytesOf(m.res.bytes))).map((x) => x.name);
    expect(mnames).toEqual([...names, '__lodestone_table0', '__lodestone_fuel', '__lodestone_depth']);
    expect(m.res.tableExports).toEqual(['__lodestone_table0']);
    expect(m.res.exports.map((x) => x.name)).toEqual(mnames);
    expect(m.res.exports.find((x) => x.name === 'apply')).toEqual({ name: 'apply', kind: 'function', params: ['i32', 'i32', 'i32'], results: ['i32'] });
    // start function ran (index renumbered)
    expect(e.started.value).toBe(42);
    expect(u.started.value).toBe(42);
    // globals
    expect(e.counter.value).toBe(5);
    expect(m.call('bump')).toBe(6);
    expect(e.counter.value).toBe(6);
    expect(e.tab).toBeInstanceOf(WebAssembly.Table);
    expect(e.mem).toBeInstanceOf(WebAssembly.Memory);
    const cases: [string, unknown[]][] = [
      ['apply', [0, 7, 5]],
      ['apply', [1, 7, 5]],
      ['apply', [2, 7, 5]],
      ['applyGlobalRef', [3, 4]],
      ['tableInit', [9, 4]],
      ['callRef', [12]],
      ['swap', [1, 2]],
      ['mvblock', [10]],
      ['mvloop', [10]],
      ['brtable', [0]],
      ['brtable', [1]],
      ['brtable', [2]],
      ['brtable', [9]],
      ['brifout', [5]],
      ['earlyReturn', [17]],
      ['tryCatch', [0]],
      ['tryCatch', [5]],
      ['ehLoops', [7]],
      ['bulk', [100]],
      ['satTrunc', [1e20]],
      ['satTrunc', [-3.7]],
      ['simd', [100]],
      ['isEven', [1001]],
      ['rec', [30]],
      ['tailIndirect', [9]],
    ];
    for (const [fn, args] of cases) {
      expect([fn, m.call(fn, ...args)]).toEqual([fn, u[fn](...args)]);
    }
    expect(logM).toEqual(logU);
    // a function exported from the table works when called from JS
    expect((e.tab as WebAssembly.Table).get(0)(2, 3)).toBe(5);
  });

  it('renumbers the name section (function names survive in stack traces)', () => {
    const bytes = wat(FEATURES_WAT);
    const m = meter(bytes, {}, { imports: featuresImports() });
    let stack = '';
    try {
      m.call('callBoom');
    } catch (err) {
      stack = (err as Error).stack ?? '';
    }
    expect(stack).toMatch(/at boom /);
    const mod = wabt.readWasm(m.res.bytes, { readDebugNames: true, ...FEATURES });
    try {
      mod.applyNames();
      const text = mod.toText({});
      expect(text).toMatch(/\(func \$boom /);
      expect(text).toMatch(/call \$boom/);
      expect(text).toMatch(/call \$mulrec/);
      expect(text).toMatch(/return_call \$odd/);
    } finally {
      mod.destroy();
    }
  });

  it('picks fresh export names for the globals when the defaults are taken', () => {
    const bytes = wat(`(module (global (export "__lodestone_fuel") i32 (i32.const 1)) (func (export "f") (loop)))`);
    const m = meter(bytes);
    expect(m.res.fuelGlobalExport).toBe('__lodestone_fuel_1');
    expect(m.exports.__lodestone_fuel.value).toBe(1);
    m.call('f');
    expect(m.fuelUsed()).toBeGreaterThan(0);
  });

  it('honours the fuel/depth switches', () => {
    const bytes = wat(COMPUTE_WAT);
    const importsOf = (r: InstrumentResult) => WebAssembly.Module.imports(new WebAssembly.Module(bytesOf(r.bytes))).map((i) => i.name);
    const noFuel = instrument(bytes, { fuel: false });
    expect(importsOf(noFuel)).toEqual(['depthExceeded']);
    expect(noFuel.fuelGlobalExport).toBe('');
    const noDepth = instrument(bytes, { depth: false });
    expect(importsOf(noDepth)).toEqual(['refill']);
    expect(noDepth.depthGlobalExport).toBe('');
    for (const r of [noFuel, noDepth]) {
      const inst = new WebAssembly.Instance(new WebAssembly.Module(bytesOf(r.bytes)), {
        lodestone_meter: { refill: (x: number) => x + 1e6, depthExceeded: () => { throw new Error('depth'); } },
      });
      expect((inst.exports.fib as (n: number) => number)(15)).toBe(610);
    }
    const none = instrument(bytes, { fuel: false, depth: false });
    expect(none.bytes).toEqual(bytes);
  });
});

// ---------------------------------------------------------------------------
// random structured programs (differential)
// ---------------------------------------------------------------------------

function makeRng(seed: number): (n: number) => number {
  let x = seed | 0 || 1;
  return (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

/**
 * Generates a module of (i32) -> i32 functions with random nesting of
 * block/loop/if, branches to outer labels (br, br_if, br_table, return),
 * direct, indirect and tail calls to earlier functions. Every loop iteration
 * decrements a global budget, so programs always terminate.
 */
function randomProgram(seed: number): string {
  const rnd = makeRng(seed);
  const nFuncs = 2 + rnd(5);
  const funcs: string[] = [];
  for (let fi = 0; fi < nFuncs; fi++) {
    const lines: string[] = [];
    // frames: 'b' block/if (empty type), 'l' loop, 'f' function (result i32)
    const frames: string[] = ['f'];
    let counters = 0;
    const emitUpdate = () => {
      const op = ['i32.add', 'i32.xor', 'i32.mul', 'i32.sub'][rnd(4)];
      lines.push(`local.get $acc i32.const ${1 + rnd(1000)} ${op} local.get $p i32.add local.set $acc`);
    };
    const exitTargets = () => {
      const t: number[] = [];
      for (let i = frames.length - 1; i >= 0; i--) if (frames[i] === 'b') t.push(frames.length - 1 - i);
      return t;
    };
    const stmts = (depth: number) => {
      const n = 1 + rnd(4);
      for (let k = 0; k < n; k++) {
        const choice = rnd(depth >= 4 ? 6 : 11);
        switch (choice) {
          case 0: case 1: emitUpdate(); break;
          case 2: { // br_if to an enclosing block
            const t = exitTargets();
            if (!t.length) { emitUpdate(); break; }
            lines.push(`local.get $acc i32.const ${1 + rnd(7)} i32.and i32.eqz br_if ${t[rnd(t.length)]}`);
            break;
          }
          case 3: { // call / call_indirect / conditional return
            if (fi > 0 && rnd(3) > 0) {
              const callee = rnd(fi);
              if (rnd(2)) lines.push(`local.get $acc call $f${callee} local.get $acc i32.add local.set $acc`);
              else lines.push(`local.get $acc i32.const ${callee} call_indirect (type $sig) local.get $acc i32.xor local.set $acc`);
            } else {
              lines.push(`local.get $acc i32.const 15 i32.and i32.eqz if local.get $acc return end`);
            }
            break;
          }
          case 4: { // br_table inside a fresh block
            frames.push('b');
            lines.push('block');
            const t = exitTargets();
            const m = 1 + rnd(4);
            const targets = Array.from({ length: m + 1 }, () => t[rnd(t.length)]);
            lines.push(`local.get $acc i32.const ${m + 2} i32.rem_u br_table ${targets.join(' ')}`);
            lines.push('end');
            frames.pop();
            break;
          }
          case 5: { // br_if out of the function with a value
            lines.push(`local.get $acc local.get $acc i32.const ${3 + rnd(60)} i32.rem_u i32.eqz br_if ${frames.length - 1} drop`);
            break;
          }
          case 6: case 7: { // loop
            const c = `$c${counters++ % 8}`;
            const withResult = rnd(4) === 0;
            lines.push(`i32.const ${1 + rnd(4)} local.set ${c}`);
            lines.push(withResult ? 'loop (result i32)' : 'loop');
            frames.push('l');
            stmts(depth + 1);
            // back edge: while (--c > 0 && --budget > 0)
            lines.push(`global.get $budget i32.const 1 i32.sub global.set $budget`);
            if (withResult) lines.push('local.get $acc');
            lines.push(`local.get ${c} i32.const 1 i32.sub local.tee ${c} i32.const 0 i32.gt_s global.get $budget i32.const 0 i32.gt_s i32.and br_if 0`);
            frames.pop();
            lines.push('end');
            if (withResult) lines.push('local.get $acc i32.add local.set $acc');
            break;
          }
          case 8: { // block
            lines.push('block');
            frames.push('b');
            stmts(depth + 1);
            frames.pop();
            lines.push('end');
            break;
          }
          case 9: { // if / else
            lines.push(`local.get $acc i32.const ${1 << rnd(4)} i32.and if`);
            frames.push('b');
            stmts(depth + 1);
            if (rnd(2)) {
              lines.push('else');
              stmts(depth + 1);
            }
            frames.pop();
            lines.push('end');
            break;
          }
          case 10: { // tail call (rare, ends this path)
            if (fi > 0 && rnd(3) === 0) {
              lines.push(`local.get $acc i32.const 3 i32.and i32.eqz if local.get $acc return_call $f${rnd(fi)} end`);
            } else {
              emitUpdate();
            }
            break;
          }
        }
      }
    };
    stmts(0);
    const locals = Array.from({ length: 8 }, (_, i) => `(local $c${i} i32)`).join(' ');
    funcs.push(`(func $f${fi} (type $sig) (param $p i32) (result i32) (local $acc i32) ${locals}
      local.get $p local.set $acc
      ${lines.join('\n      ')}
      local.get $acc)`);
  }
  const names = Array.from({ length: nFuncs }, (_, i) => `$f${i}`).join(' ');
  return `(module
    (type $sig (func (param i32) (result i32)))
    (global $budget (mut i32) (i32.const 0))
    (table ${nFuncs} funcref) (elem (i32.const 0) ${names})
    ${funcs.join('\n    ')}
    (func (export "run") (param i32) (result i32)
      (global.set $budget (i32.const 5000))
      (call $f${nFuncs - 1} (local.get 0))))`;
}

describe('instrument: random structured programs', () => {
  it('metered and unmetered agree, and fuel is independent of the slice size', () => {
    let loops = 0;
    const t0 = performance.now();
    let n = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const src = randomProgram(seed * 7919);
      const bytes = wat(src);
      loops += (src.match(/\bloop\b/g) ?? []).length;
      const u = plain(bytes);
      const big = meter(bytes, {}, { slice: 1e9 });
      const small = meter(bytes, {}, { slice: 7 });
      for (const arg of [0, 1, 12345, -77]) {
        const expected = u.run(arg);
        expect([seed, arg, big.call('run', arg)]).toEqual([seed, arg, expected]);
        expect([seed, arg, small.call('run', arg)]).toEqual([seed, arg, expected]);
        expect([seed, arg, small.fuelUsed()]).toEqual([seed, arg, big.fuelUsed()]);
        expect(big.fuelUsed()).toBeGreaterThan(0);
      }
      n++;
    }
    console.log(`[wasm-instrument] ${n} random programs (${loops} loops) agree metered vs unmetered in ${(performance.now() - t0).toFixed(0)} ms`);
  });
});

// ---------------------------------------------------------------------------
// LEB128 and malformed input
// ---------------------------------------------------------------------------

/** Tiny binary builder for hand-made modules. */
function section(id: number, content: number[], padSize = false): number[] {
  const size = padSize ? [(content.length & 0x7f) | 0x80, (content.length >> 7) | 0x80, 0x80, 0x80, 0x00] : uleb(content.length);
  return [id, ...size, ...content];
}
function uleb(v: number): number[] {
  const out: number[] = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v) b |= 0x80;
    out.push(b);
  } while (v);
  return out;
}
const HEADER = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];

describe('instrument: LEB128 and malformed input', () => {
  it('decodes LEB128 edge cases', () => {
    const r = (b: number[]) => new Reader(Uint8Array.from(b));
    expect(r([0x85, 0x80, 0x00]).u32()).toBe(5); // over-long but valid
    expect(r([0xff, 0xff, 0xff, 0xff, 0x0f]).u32()).toBe(0xffffffff);
    expect(() => r([0xff, 0xff, 0xff, 0xff, 0x1f]).u32()).toThrow(InstrumentError);
    expect(() => r([0x80, 0x80, 0x80, 0x80, 0x80, 0x00]).u32()).toThrow(InstrumentError);
    expect(() => r([0x80, 0x80]).u32()).toThrow(InstrumentError);
    expect(r([0x7f]).s32()).toBe(-1);
    expect(r([0xff, 0x7f]).s32()).toBe(-1);
    expect(r([0x3f]).s32()).toBe(63);
    expect(r([0xc0, 0x00]).s32()).toBe(64);
    expect(r([0x40]).s32()).toBe(-64);
    expect(r([0xff, 0xff, 0xff, 0xff, 0x07]).s32()).toBe(0x7fffffff);
    expect(r([0x80, 0x80, 0x80, 0x80, 0x78]).s32()).toBe(-0x80000000);
    expect(r([0xff, 0xff, 0xff, 0xff, 0x7f]).s32()).toBe(-1);
    expect(() => r([0xff, 0xff, 0xff, 0xff, 0x0f]).s32()).toThrow(InstrumentError); // 2^32-1 does not fit
    expect(() => r([0x80, 0x80, 0x80, 0x80, 0x70]).s32()).toThrow(InstrumentError);
    expect(r([0xff, 0xff, 0xff, 0xff, 0x0f]).s33()).toBe(0xffffffff);
    expect(r([0x80, 0x80, 0x80, 0x80, 0x70]).s33()).toBe(-0x100000000);
    const s64 = (b: number[]) => {
      const x = r(b);
      x.skipS64();
      return x.pos;
    };
    expect(s64([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f])).toBe(10);
    expect(s64([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00])).toBe(10);
    expect(() => s64([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])).toThrow(InstrumentError);
    expect(() => s64([0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00])).toThrow(InstrumentError);
  });

  it('instruments a hand-made module with over-long LEB128 encodings everywhere', () => {
    // type 0: (i32) -> i32 ; func 0 = $dbl (leaf), func 1 = $f (loop + call); export "f" = func 1
    const type = section(1, [0x81, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f], true);
    const func = section(3, [0x82, 0x80, 0x00, 0x80, 0x00, 0x80, 0x80, 0x00]);
    const exp = section(7, [0x01, 0x01, 0x66, 0x00, 0x81, 0x80, 0x80, 0x80, 0x00]);
    const dbl = [0x00, 0x20, 0x00, 0x41, 0x82, 0x80, 0x80, 0x80, 0x00, 0x6c, 0x0b]; // local.get 0; i32.const 2 (5 bytes); i32.mul
    const f = [
      0x81, 0x80, 0x00, 0x82, 0x80, 0x80, 0x80, 0x00, 0x7f, // 1 decl: 2 x i32 (locals 1, 2)
      0x03, 0x40, // loop
      0x20, 0x81, 0x80, 0x00, // local.get 1
      0x10, 0x80, 0x80, 0x80, 0x80, 0x00, // call 0 (padded)
      0x20, 0x00, 0x6a, 0x21, 0x81, 0x00, // local.get 0; i32.add; local.set 1
      0x20, 0x02, 0x41, 0x01, 0x6a, 0x22, 0x02, // local.get 2; i32.const 1; i32.add; local.tee 2
      0x41, 0xe4, 0x80, 0x80, 0x80, 0x00, 0x48, 0x0d, 0x80, 0x00, // i32.const 100 (5-byte LEB); i32.lt_s; br_if 0 (padded)
      0x0b, 0x20, 0x01, 0x0b, // end; local.get 1; end
    ];
    const code = section(10, [0x02, ...uleb(dbl.length), ...dbl, ...uleb(f.length), ...f]);
    const bytes = Uint8Array.from([...HEADER, ...type, ...func, ...exp, ...code]);
    expect(WebAssembly.validate(bytesOf(bytes))).toBe(true);
    const u = plain(bytes);
    const m = meter(bytes);
    expect(m.call('f', 3)).toBe(u.f(3));
    expect(m.fuelUsed()).toBeGreaterThan(100 * 10);
  });

  it('rejects malformed, truncated and unsupported input with InstrumentError', () => {
    expectInstrumentError(() => instrument(new Uint8Array(0)), /too short/);
    expectInstrumentError(() => instrument(Uint8Array.from([1, 2, 3, 4, 1, 0, 0, 0])), /magic/);
    expectInstrumentError(() => instrument(Uint8Array.from([0, 0x61, 0x73, 0x6d, 0x0d, 0, 1, 0])), /component/);
    expectInstrumentError(() => instrument('nope' as unknown as Uint8Array), /Uint8Array/);
    // GC types
    expectInstrumentError(() => instrument(Uint8Array.from([...HEADER, ...section(1, [0x01, 0x5f, 0x00])])), /GC/);
    // semantically invalid (type error): caught by validation
    const bad = wat(`(module (func (export "f") (result i32) (i32.const 1)))`);
    const i = bad.findIndex((b, k) => b === 0x41 && bad[k + 1] === 0x01 && bad[k + 2] === 0x0b);
    const typeErr = bad.slice();
    typeErr[i] = 0x42; // i64.const
    expectInstrumentError(() => instrument(typeErr), /invalid module/);
    // every truncation of a real module
    const full = wat(FEATURES_WAT);
    for (let n = 0; n < full.length; n++) {
      const cut = full.subarray(0, n);
      let ok = false;
      try {
        const r = instrument(cut, { validate: false });
        ok = WebAssembly.validate(bytesOf(r.bytes)); // only possible when the cut falls between sections
      } catch (e) {
        if (!(e instanceof InstrumentError)) throw e;
        ok = true;
      }
      expect(ok).toBe(true);
    }
  });

  it('survives fuzzing: mutated modules either throw InstrumentError or instrument to a valid module', () => {
    const corpus = [
      wat(FEATURES_WAT),
      wat(COMPUTE_WAT),
      readFileSync(join(FIXTURES, 'as-sample.wasm')),
      wat(randomProgram(11)),
      wat(randomProgram(23)),
      wat(`(module (memory 1) (data (i32.const 0) "abc") (func (export "f") (param i32) (result i32)
        (block (loop (br_table 0 1 (local.get 0)))) (i32.load8_u (local.get 0))))`),
    ].map((b) => new Uint8Array(b));
    let seed = 0x12345678;
    const rnd = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const mutate = (src: Uint8Array): Uint8Array => {
      const b = Array.from(src);
      const k = 1 + rnd(4);
      for (let j = 0; j < k; j++) {
        const pos = rnd(b.length);
        switch (rnd(6)) {
          case 0: b[pos] = rnd(256); break;
          case 1: b[pos] = b[pos]! ^ (1 << rnd(8)); break;
          case 2: b.splice(pos, 1); break;
          case 3: b.splice(pos, 0, rnd(256)); break;
          case 4: b[pos] = [0x80, 0xff, 0x00, 0x7f, 0x0b, 0x03, 0x10, 0x0c][rnd(8)]!; break;
          case 5: b.length = Math.max(8, pos); break;
        }
      }
      return Uint8Array.from(b);
    };
    const deadline = performance.now() + 2000;
    const stats = { runs: 0, rejected: 0, instrumented: 0, unvalidated: 0 };
    let worst = 0;
    while (performance.now() < deadline) {
      const input = mutate(corpus[rnd(corpus.length)]!);
      stats.runs++;
      const t0 = performance.now();
      try {
        const r = instrument(input);
        stats.instrumented++;
        if (!WebAssembly.validate(bytesOf(r.bytes))) {
          throw new Error(`invalid output for mutated input ${Buffer.from(input).toString('base64')}`);
        }
      } catch (e) {
        if (!(e instanceof InstrumentError)) throw e;
        stats.rejected++;
      }
      // without input validation the decoder alone must still fail cleanly
      try {
        instrument(input, { validate: false });
        stats.unvalidated++;
      } catch (e) {
        if (!(e instanceof InstrumentError)) throw e;
      }
      worst = Math.max(worst, performance.now() - t0);
    }
    console.log(`[wasm-instrument] fuzz: ${JSON.stringify(stats)}, slowest case ${worst.toFixed(1)} ms`);
    expect(stats.runs).toBeGreaterThan(200);
    expect(stats.instrumented).toBeGreaterThan(0);
    expect(stats.rejected).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------
// compiler output
// ---------------------------------------------------------------------------

function asImports(): Imports {
  return {
    env: {
      abort: () => {
        throw new Error('abort');
      },
      seed: () => 42,
    },
  };
}

describe('instrument: AssemblyScript output', () => {
  for (const file of ['as-sample.wasm', 'as-sample.debug.wasm']) {
    it(`${file}: same results metered and unmetered`, () => {
      const bytes = new Uint8Array(readFileSync(join(FIXTURES, file)));
      const u = plain(bytes, asImports());
      const m = meter(bytes, { maxMemoryPages: 256 }, { imports: asImports() });
      const cases: [string, unknown[]][] = [
        ['fib', [20]],
        ['sumArray', [10_000]],
        ['sortChecksum', [2000, 7]],
        ['stringWork', [500]],
        ['mapWork', [2000]],
        ['ackermann', [2, 3]],
        ['floatWork', [1000]],
        ['switchWork', [1000]],
      ];
      for (const [fn, args] of cases) {
        const expected = u[fn](...args);
        expect([fn, m.call(fn, ...args)]).toEqual([fn, expected]);
        expect(m.fuelUsed()).toBeGreaterThan(0);
      }
      const sm = meter(bytes, { maxMemoryPages: 256 }, { imports: asImports(), slice: 10_000, maxSlices: 20 });
      expect(() => sm.call('spin')).toThrow(FuelExhausted);
      // memory cap applies to the AssemblyScript allocator too: a huge array aborts instead of growing
      const capped = meter(bytes, { maxMemoryPages: 2 }, { imports: asImports() });
      expect(() => capped.call('sumArray', 1_000_000)).toThrow();
    });
  }
});

function findClang(): string | null {
  try {
    execFileSync('clang', ['--version'], { stdio: 'ignore' });
    execFileSync('wasm-ld', ['--version'], { stdio: 'ignore' });
    return 'clang';
  } catch {
    return null;
  }
}

describe('instrument: clang (wasm32) output', () => {
  const clang = findClang();
  if (!clang) console.log('[wasm-instrument] skipping the C test: clang --target=wasm32 with wasm-ld is not installed');
  it.skipIf(!clang)('C module: same results metered and unmetered (-O0 and -O2)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-wasm-'));
    try {
      for (const opt of ['-O0', '-O2']) {
        const out = join(dir, `c${opt}.wasm`);
        try {
          execFileSync(clang!, ['--target=wasm32', opt, '-nostdlib', '-Wl,--no-entry', '-Wl,--export-all', '-o', out, join(FIXTURES, 'c-sample.c')], {
            stdio: 'pipe',
          });
        } catch (e) {
          console.log(`[wasm-instrument] skipping the C test: clang failed: ${(e as Error).message}`);
          return;
        }
        const bytes = new Uint8Array(readFileSync(out));
        const u = plain(bytes);
        const m = meter(bytes, { maxMemoryPages: 64 });
        const cases: [string, unknown[]][] = [
          ['fib', [20]],
          ['sort_checksum', [500, 3, 0]],
          ['sort_checksum', [500, 3, 1]],
          ['crc32', [5000]],
          ['switch_work', [1000]],
          ['collatz_total', [2000]],
          ['newton_sqrt_sum', [500]],
          ['recurse', [200]],
        ];
        for (const [fn, args] of cases) {
          expect([opt, fn, m.call(fn, ...args)]).toEqual([opt, fn, u[fn](...args)]);
          expect(m.fuelUsed()).toBeGreaterThan(0);
        }
        if (opt === '-O0') {
          expect(() => m.call('recurse', 5000)).toThrow(DepthExceeded);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('instrument: performance', () => {
  it('instruments a ~20 KB module in a few milliseconds and keeps the metering overhead low', () => {
    const bytes = new Uint8Array(readFileSync(join(FIXTURES, 'as-sample.debug.wasm')));
    expect(bytes.length).toBeGreaterThan(20_000);
    for (let i = 0; i < 20; i++) instrument(bytes); // warm up
    const times: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      instrument(bytes);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const median = times[times.length >> 1]!;
    const noValidate: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      instrument(bytes, { validate: false });
      noValidate.push(performance.now() - t0);
    }
    noValidate.sort((a, b) => a - b);
    const out = instrument(bytes).bytes.length;
    console.log(
      `[wasm-instrument] ${bytes.length} B module -> ${out} B: median ${median.toFixed(3)} ms ` +
        `(${noValidate[noValidate.length >> 1]!.toFixed(3)} ms without input validation)`,
    );
    expect(median).toBeLessThan(50);

    // overhead on compute loops (informative; loose bound only)
    const c = wat(COMPUTE_WAT);
    const u = plain(c);
    const m = meter(c);
    const time = (f: () => void) => {
      let best = Infinity;
      for (let i = 0; i < 5; i++) {
        const t0 = performance.now();
        f();
        best = Math.min(best, performance.now() - t0);
      }
      return best;
    };
    const rows: string[] = [];
    for (const [fn, n] of [['sum', 20_000_000], ['nested', 3000], ['sumsq', 20_000_000], ['fib', 27]] as const) {
      const tu = time(() => u[fn](n));
      const tm = time(() => m.call(fn, n));
      rows.push(`${fn}(${n}) ${tu.toFixed(1)} ms -> ${tm.toFixed(1)} ms (${(((tm - tu) / tu) * 100).toFixed(0)}%)`);
    }
    console.log(`[wasm-instrument] metering overhead: ${rows.join('; ')}`);
  });
});
