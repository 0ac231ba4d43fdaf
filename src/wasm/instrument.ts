/**
 * WebAssembly instrumentation pass: fuel metering, call-depth limiting and
 * memory capping for guest modules (WASM UDFs), injected at the byte level.
 *
 * V8 has no fuel, so every module is rewritten once at load time. The pass is
 * a single linear decode/re-encode of the module (no IR, no runtime deps);
 * instructions are copied verbatim except where code is inserted or where a
 * function index must be renumbered.
 *
 * ## Fuel
 *
 * - The remaining fuel of the current slice lives in an exported mutable i32
 *   global (`fuelGlobalExport`, default `__lodestone_fuel`).
 * - Functions containing loops keep a local copy `$f`: loaded from the global
 *   at entry, written back before every call / call_indirect / call_ref /
 *   return_call*, before `return`, before the function's final `end`, before
 *   branches that target the function label (br, br_if, br_table,
 *   br_on_null/non_null) and before throw/rethrow/throw_ref; reloaded after
 *   every call (so host imports may charge fuel by lowering the global) and
 *   at the start of legacy `catch`/`catch_all` handlers.
 * - Loop-free functions charge the global directly at entry (nothing to sync).
 * - Charge points: function entry and every `loop` header. A charge is
 *   `$f -= cost; if ($f < 0) $f = refill($f)`. In a loop header the refill
 *   call is moved out of the loop body (see processBody): a possible call
 *   inside a hot loop makes V8 spill registers on every iteration.
 * - Cost rule (a static upper bound of instructions executed): every
 *   instruction belongs to the region of its innermost enclosing `loop`, or
 *   to the function-entry region if there is none. A region's cost is the
 *   number of instructions in it (structural markers block/loop/else/end/try/
 *   catch/catch_all/delegate/try_table are free; both arms of an `if` are
 *   counted), plus the static cost of each leaf function it calls directly.
 *   Each loop iteration is charged its region cost at the header; everything
 *   else in the function is charged once at entry. Minimum cost is 1, maximum
 *   is clamped to 2^30. The total is deterministic and independent of the
 *   slice size.
 * - Bulk instructions do work proportional to a run-time length, so they are
 *   charged by it as well, right before they run: memory.fill / memory.copy /
 *   memory.init 1 unit per 64 bytes (`len >> 6`), table.fill / table.copy /
 *   table.init / table.grow 1 unit per element (capped at 2^28). The length
 *   (on top of the stack) is kept in an added local `$n`. A function with a
 *   bulk instruction is never a leaf. So the host's clock check (in refill)
 *   runs between any two bulk instructions once a slice is spent: the time
 *   between two checks is bounded by one slice of work plus one bulk
 *   instruction (at most the memory's or a table's size).
 * - Leaf functions (bodies containing no loop and no call of any kind) that
 *   are neither exported nor the start function are left uninstrumented:
 *   their cost is bounded by their size and is charged to the caller at
 *   direct `call` sites. A `call_indirect`/`call_ref` (and the return_call
 *   forms) of type T additionally charges the largest cost among the leaves
 *   of T's signature that are referenced from element segments or
 *   global/table initializers (an upper bound; non-leaf targets charge
 *   themselves as well).
 *
 * ## Call depth
 *
 * An exported mutable i32 global (`depthGlobalExport`, default
 * `__lodestone_depth`) counts frames of non-leaf functions. At entry each such
 * function does `$d = ++depth; if ($d > maxDepth) { depthExceeded($d); unreachable }`.
 * After every call returns, the caller restores `depth = $d` (this also
 * repairs the count after re-entrant host calls and caught exceptions);
 * `return_call*` sets `depth = $d - 1` first so tail-call loops do not grow
 * it. Exit paths need no bookkeeping: the host resets the global to 0 before
 * each top-level call, and a trap abandons the instance's state anyway.
 *
 * ## Memory
 *
 * With `memoryImport` (default) a memory defined by the module becomes an
 * import `(import "<meterModule>" "memory" (memory initial max))`, where max
 * is `min(declared max, maxMemoryPages)`; `memory.grow` beyond it returns -1
 * inside the guest. A module that already imports its memory keeps that
 * import; the host supplies a memory whose maximum is <= `maximumPages`.
 * Without `memoryImport`, a defined memory's declared maximum is clamped to
 * `maxMemoryPages` in place. memory64, shared memories and multiple memories
 * are rejected.
 *
 * With `meterMemoryGrow` (default) every `memory.grow` instruction becomes a
 * `call` of the added import `memory_grow` (same stack effect, `(i32) -> i32`),
 * so the host performs the grow itself and knows exactly when a request was
 * refused — the memory-limit error is then exact instead of guessed from how
 * full the memory is. The import is only added when the module contains a
 * `memory.grow`; the call is not a fuel/depth sync point (the host import
 * does not touch the globals or re-enter the guest).
 *
 * ## Tables
 *
 * With `maxTableElements` the tables the module defines may hold that many
 * elements together: their initial sizes must fit (else InstrumentError), and
 * each table's maximum is lowered (in the table section) so that the maxima
 * sum to at most the cap — the room left is given to the tables in order —
 * so `table.grow` beyond it returns -1. When the export section is rewritten
 * (fuel or depth on), every defined table is exported as `__lodestone_table<i>`
 * (`tableExports`), so the host can count its current size.
 *
 * ## What the host must provide (see {@link InstrumentResult})
 *
 * - `meterImports.module`.`refill`: `(remaining: i32) => i32`. Called when the
 *   counter went negative; `remaining` (< 0, minus the overdraft) is the
 *   counter's value. The host checks its total budget and wall clock and
 *   either throws (aborting the guest) or returns the new counter, normally
 *   `remaining + slice`; it must be below 2^30 (values <= 0 just make the
 *   next charge call again). Only imported when `fuel` is on.
 * - `meterImports.module`.`depthExceeded`: `(depth: i32) => void`; should throw.
 *   If it returns, the guest executes `unreachable`. Only imported when
 *   `depth` is on.
 * - `meterImports.module`.`memory_grow`: `(delta: i32) => i32`, with the
 *   semantics of `memory.grow` (delta is unsigned pages; returns the old size
 *   in pages or -1). The host grows the instance's memory (the imported one,
 *   or the exported one when `memoryImport` is off) and returns -1 when
 *   `WebAssembly.Memory.grow` throws. Only imported when `memoryGrowMetered`.
 * - the memory described by `memory` when `memory.imported` is true.
 * - Before each top-level call: set the fuel global to the granted amount
 *   (or 0 to make the first charge ask `refill`) and the depth global to 0.
 *   Fuel used = everything granted (initial value + refills) - final global
 *   value. After a trap the global may lag by up to one region's charge.
 * - A start function runs during instantiation, before the host can touch
 *   the globals (both start at 0), so `refill` must work without the
 *   instance's exports.
 *
 * ## Renumbering
 *
 * The added function imports (refill, depthExceeded, memory_grow — those
 * enabled, in that order) are appended after the existing imports, so
 * every defined function's index shifts by the number of added imports:
 * call, return_call, ref.func (in code, globals, tables and element segments
 * of every form), exports, start and the `name` section's function, local and
 * label maps are rewritten. Export names are unchanged. DWARF (`.debug_*`),
 * `linking` and `reloc.*` custom sections, which refer to code offsets, are
 * dropped; other custom sections are copied. An unparsable `name` section is
 * dropped.
 *
 * ## Input
 *
 * Supported: MVP, sign extension, non-trapping float-to-int, bulk memory and
 * the rest of the 0xFC prefix, reference types, typed function references
 * (call_ref, br_on_null, ...), multi-value, SIMD (0xFD, incl. relaxed),
 * tail calls, exception handling (legacy try/catch/delegate and try_table).
 * Rejected with {@link InstrumentError}: threads/atomics (0xFE), GC (0xFB and
 * rec/sub types), memory64, shared and multiple memories, and anything
 * malformed. Unless `validate: false`, the input is first checked with
 * `WebAssembly.validate`, so semantically invalid input is rejected too.
 *
 * Known limitations: a callee's fuel use is not seen by a caller that catches
 * the exception with `try_table` (the caller's stale counter wins; bounded by
 * one slice per throw; legacy `catch` reloads the counter); frames of leaf
 * functions are not counted for depth; `maxDepth` is baked into the code at
 * instrumentation time; functions with more than 50000 locals are rejected.
 *
 * Cost of the pass: one decode of every body for leaf analysis plus one
 * decode/re-encode; about 0.5 ms for a 24 KB module (plus ~0.3 ms for
 * `WebAssembly.validate`).
 */

import { InstrumentError, Reader, Writer } from './wasm-reader.js';

export { InstrumentError } from './wasm-reader.js';

export interface InstrumentOptions {
  /** Inject fuel metering (default true). */
  fuel?: boolean;
  /** Inject the call-depth limit (default true). */
  depth?: boolean;
  /** Depth above which `depthExceeded` is called (default 1000). */
  maxDepth?: number;
  /** Turn a memory defined by the module into an import (default true). */
  memoryImport?: boolean;
  /** Cap on memory pages (64 KiB each); default: the module's declared maximum. */
  maxMemoryPages?: number;
  /** Module name of the added imports (default "lodestone_meter"). */
  meterModule?: string;
  /**
   * Cap on the elements of each table the module defines: a table whose initial size is larger is
   * rejected, and every table's maximum becomes min(declared maximum, cap), so `table.grow` beyond
   * it returns -1. Default: no cap.
   */
  maxTableElements?: number;
  /** Validate the input with WebAssembly.validate first (default true). */
  validate?: boolean;
  /**
   * Replace every `memory.grow` with a call to the added import `memoryGrow` (default true), so
   * the host sees each grow request and knows exactly when one was refused (memory limit).
   */
  meterMemoryGrow?: boolean;
}

export interface InstrumentResult {
  /** The instrumented module. */
  bytes: Uint8Array;
  /**
   * Names of the host imports (only those enabled are actually imported; `memoryGrow` only when
   * `meterMemoryGrow` is on and the module contains a `memory.grow`).
   */
  meterImports: { module: string; refill: string; depthExceeded: string; memoryGrow: string };
  /** Whether `memoryGrow` is imported (the module had at least one `memory.grow`). */
  memoryGrowMetered: boolean;
  /** The memory the host must supply (imported: true), or the module's own memory (imported: false); null if none. */
  memory: { imported: boolean; module: string; name: string; initialPages: number; maximumPages: number | null } | null;
  /** Export name of the mutable i32 fuel global ("" when fuel is off). */
  fuelGlobalExport: string;
  /** Export name of the mutable i32 depth global ("" when depth is off). */
  depthGlobalExport: string;
  /** Exports of the instrumented module (the original ones, then the added globals). */
  exports: ExportInfo[];
  /** The tables the module defines, after the maxTableElements cap (elements). */
  tables: { initial: number; maximum: number | null }[];
  /**
   * Export names added for the defined tables, in order (so the host can see their current size),
   * or [] when no export section is rewritten (metering off).
   */
  tableExports: string[];
  /** Whether the code contains `table.grow` (a table's size may change during a call). */
  growsTables: boolean;
  /** Total bytes of the data segments. */
  dataBytes: number;
}

export const DEFAULT_MAX_DEPTH = 1000;
/** Name of the added import that replaces `memory.grow` (see `meterMemoryGrow`). */
export const MEMORY_GROW_IMPORT = 'memory_grow';
const MAX_LOCALS = 50000;
const MAX_COST = 0x40000000;

// Section ids and their required order.
const SEC_CUSTOM = 0;
const SEC_TYPE = 1;
const SEC_IMPORT = 2;
const SEC_FUNCTION = 3;
const SEC_TABLE = 4;
const SEC_MEMORY = 5;
const SEC_GLOBAL = 6;
const SEC_EXPORT = 7;
const SEC_START = 8;
const SEC_ELEMENT = 9;
const SEC_CODE = 10;
const SEC_DATA = 11;
const SEC_DATACOUNT = 12;
const SEC_TAG = 13;
const SECTION_RANK: Record<number, number> = { 1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 13: 6, 6: 7, 7: 8, 8: 9, 9: 10, 12: 11, 10: 12, 11: 13 };

interface Section {
  id: number;
  /** content start/end (after the size field) */
  start: number;
  end: number;
  name?: string; // custom sections
}

interface Limits {
  min: number;
  max: number | null;
}

export type ExternKind = 'function' | 'table' | 'memory' | 'global' | 'tag';
const EXTERN_KINDS: ExternKind[] = ['function', 'table', 'memory', 'global', 'tag'];

/** An export of the instrumented module; functions carry their signature. */
export interface ExportInfo {
  name: string;
  kind: ExternKind;
  params?: string[];
  results?: string[];
}

interface ModuleInfo {
  sections: Section[];
  typeParamCounts: number[];
  typeSigs: { params: string[]; results: string[] }[];
  funcImportTypes: number[];
  exports: { name: string; kind: number; index: number }[];
  numImportedFuncs: number;
  numImportedGlobals: number;
  numImportedTables: number;
  /** tables defined by the module: limits, and where the limits sit in the table section */
  tables: { limits: Limits; at: number; end: number }[];
  dataBytes: number;
  importedMemory: { module: string; name: string; limits: Limits } | null;
  definedMemory: Limits | null;
  funcTypeIdx: number[];
  numDefinedGlobals: number;
  exportNames: Set<string>;
  numTags: number;
  bodies: { start: number; end: number }[];
  /** functions referenced from element segments and global/table initializers (possible call_indirect targets) */
  refFuncs: Set<number>;
  startFunc: number;
}

// ---------------------------------------------------------------------------
// Module-level parsing
// ---------------------------------------------------------------------------

function readLimits(r: Reader, what: string, isMemory: boolean): Limits {
  const at = r.pos;
  const flags = r.u8();
  if (isMemory) {
    if (flags & 0x04) throw new InstrumentError(`unsupported: memory64 ${what} (only 32-bit memories are supported)`);
    if (flags & 0x02) throw new InstrumentError(`unsupported: shared ${what} (threads are not supported)`);
    if (flags & 0x08) throw new InstrumentError(`unsupported: custom page sizes on ${what}`);
  } else if (flags & 0x04) {
    throw new InstrumentError(`unsupported: table64 ${what}`);
  }
  if (flags > 0x01) r.fail(`invalid limits flags 0x${flags.toString(16)}`, at);
  const min = r.u32();
  const max = flags & 1 ? r.u32() : null;
  return { min, max };
}

/** Reads a heap type (s33): abstract (negative) or a type index. */
function readHeapType(r: Reader, numTypes: number): void {
  const at = r.pos;
  const v = r.s33();
  if (v >= 0 && v >= numTypes) r.fail(`type index ${v} out of range`, at);
}

const VALTYPE_NAMES: Record<number, string> = {
  0x7f: 'i32', 0x7e: 'i64', 0x7d: 'f32', 0x7c: 'f64', 0x7b: 'v128',
  0x70: 'funcref', 0x6f: 'externref', 0x69: 'exnref',
  0x6e: 'anyref', 0x6d: 'eqref', 0x6c: 'i31ref', 0x6b: 'structref', 0x6a: 'arrayref',
  0x71: 'nullref', 0x72: 'nullexternref', 0x73: 'nullfuncref', 0x74: 'nullexnref',
};

/** Reads a value type and returns its text name ('i32', 'funcref', 'ref', ...). */
function readValType(r: Reader, numTypes: number): string {
  const at = r.pos;
  const b = r.u8();
  switch (b) {
    case 0x7f: case 0x7e: case 0x7d: case 0x7c: case 0x7b: // i32 i64 f32 f64 v128
    case 0x70: case 0x6f: case 0x69: // funcref externref exnref
    case 0x6e: case 0x6d: case 0x6c: case 0x6b: case 0x6a: // any eq i31 struct array
    case 0x71: case 0x72: case 0x73: case 0x74: // none noextern nofunc noexn
      return VALTYPE_NAMES[b]!;
    case 0x63: case 0x64: // (ref null ht) / (ref ht)
      readHeapType(r, numTypes);
      return 'ref';
    default:
      r.fail(`invalid value type 0x${b.toString(16)}`, at);
  }
}

function readTableType(r: Reader, numTypes: number): void {
  readValType(r, numTypes);
  readLimits(r, 'table', false);
}

/**
 * Scans a constant expression (up to and including `end`), calling
 * `onFunc(pos, end, idx)` for every ref.func immediate.
 */
function scanConstExpr(r: Reader, onFunc: ((start: number, end: number, idx: number) => void) | null): void {
  for (;;) {
    const at = r.pos;
    const op = r.u8();
    switch (op) {
      case 0x0b:
        return;
      case 0x41: r.s32(); break;
      case 0x42: r.skipS64(); break;
      case 0x43: r.skip(4); break;
      case 0x44: r.skip(8); break;
      case 0x23: r.u32(); break; // global.get
      case 0xd0: r.s33(); break; // ref.null ht
      case 0xd2: { // ref.func
        const s = r.pos;
        const idx = r.u32();
        if (onFunc) onFunc(s, r.pos, idx);
        break;
      }
      case 0x6a: case 0x6b: case 0x6c: case 0x7c: case 0x7d: case 0x7e: break; // extended-const
      case 0xfd: {
        const sub = r.u32();
        if (sub !== 0x0c) r.fail(`invalid constant expression opcode 0xfd ${sub}`, at);
        r.skip(16);
        break;
      }
      case 0xfb:
        throw new InstrumentError('unsupported: GC instructions (0xFB prefix) in a constant expression');
      default:
        r.fail(`invalid constant expression opcode 0x${op.toString(16)}`, at);
    }
  }
}

function parseModule(buf: Uint8Array): ModuleInfo {
  const r = new Reader(buf);
  if (buf.length < 8) r.fail('too short to be a WebAssembly module', 0);
  if (buf[0] !== 0x00 || buf[1] !== 0x61 || buf[2] !== 0x73 || buf[3] !== 0x6d) r.fail('bad magic number (not a WebAssembly module)', 0);
  if (buf[4] !== 0x01 || buf[5] !== 0x00 || buf[6] !== 0x00 || buf[7] !== 0x00) {
    throw new InstrumentError('unsupported: binary version/layer (only core modules of version 1 are supported, not components)');
  }
  r.pos = 8;

  const info: ModuleInfo = {
    sections: [],
    typeParamCounts: [],
    typeSigs: [],
    funcImportTypes: [],
    exports: [],
    numImportedFuncs: 0,
    numImportedGlobals: 0,
    numImportedTables: 0,
    tables: [],
    dataBytes: 0,
    importedMemory: null,
    definedMemory: null,
    funcTypeIdx: [],
    numDefinedGlobals: 0,
    exportNames: new Set(),
    numTags: 0,
    bodies: [],
    refFuncs: new Set(),
    startFunc: -1,
  };
  const collectRef = (_s: number, _e: number, idx: number): void => {
    info.refFuncs.add(idx);
  };
  let lastRank = 0;
  let numMemories = 0;
  let numFuncDecls = -1;

  while (!r.eof()) {
    const idAt = r.pos;
    const id = r.u8();
    const size = r.u32();
    const start = r.pos;
    if (size > r.end - start) r.fail(`section ${id} extends past the end of the module`, idAt);
    const end = start + size;
    const sec: Section = { id, start, end };
    const s = new Reader(buf, start, end);
    if (id === SEC_CUSTOM) {
      sec.name = s.name();
      info.sections.push(sec);
      r.pos = end;
      continue;
    }
    const rank = SECTION_RANK[id];
    if (rank === undefined) r.fail(`unknown section id ${id}`, idAt);
    if (rank <= lastRank) r.fail(`section ${id} out of order or duplicated`, idAt);
    lastRank = rank;

    switch (id) {
      case SEC_TYPE: {
        const n = s.count();
        for (let i = 0; i < n; i++) {
          const at = s.pos;
          const form = s.u8();
          if (form === 0x4e || form === 0x50 || form === 0x4f || form === 0x5f || form === 0x5e) {
            throw new InstrumentError('unsupported: GC types (rec/sub/struct/array) in the type section');
          }
          if (form !== 0x60) s.fail(`invalid type form 0x${form.toString(16)}`, at);
          const np = s.count();
          // type indices may be forward references within the section; check against the declared count
          const params: string[] = [];
          for (let j = 0; j < np; j++) params.push(readValType(s, n));
          const nr = s.count();
          const results: string[] = [];
          for (let j = 0; j < nr; j++) results.push(readValType(s, n));
          info.typeParamCounts.push(np);
          info.typeSigs.push({ params, results });
        }
        break;
      }
      case SEC_IMPORT: {
        const n = s.count(3);
        const nt = info.typeParamCounts.length;
        for (let i = 0; i < n; i++) {
          const module = s.name();
          const name = s.name();
          const at = s.pos;
          const kind = s.u8();
          switch (kind) {
            case 0: {
              const t = s.u32();
              if (t >= nt) s.fail(`function import type index ${t} out of range`, at);
              info.numImportedFuncs++;
              info.funcImportTypes.push(t);
              break;
            }
            case 1: readTableType(s, nt); info.numImportedTables++; break;
            case 2: {
              const limits = readLimits(s, 'memory', true);
              numMemories++;
              if (numMemories > 1) throw new InstrumentError('unsupported: multiple memories');
              info.importedMemory = { module, name, limits };
              break;
            }
            case 3:
              readValType(s, nt);
              if (s.u8() > 1) s.fail('invalid global mutability', s.pos - 1);
              info.numImportedGlobals++;
              break;
            case 4:
              if (s.u8() !== 0) s.fail('invalid tag attribute', s.pos - 1);
              if (s.u32() >= nt) s.fail('tag type index out of range', at);
              info.numTags++;
              break;
            default:
              s.fail(`invalid import kind ${kind}`, at);
          }
        }
        break;
      }
      case SEC_FUNCTION: {
        const n = s.count();
        const nt = info.typeParamCounts.length;
        for (let i = 0; i < n; i++) {
          const at = s.pos;
          const t = s.u32();
          if (t >= nt) s.fail(`function type index ${t} out of range`, at);
          info.funcTypeIdx.push(t);
        }
        numFuncDecls = n;
        break;
      }
      case SEC_TABLE: {
        const n = s.count();
        const nt = info.typeParamCounts.length;
        for (let i = 0; i < n; i++) {
          const init = s.peek() === 0x40;
          if (init) {
            s.u8();
            if (s.u8() !== 0x00) s.fail('invalid table entry prefix');
          }
          readValType(s, nt);
          const at = s.pos;
          const limits = readLimits(s, 'table', false);
          info.tables.push({ limits, at, end: s.pos });
          if (init) scanConstExpr(s, collectRef);
        }
        break;
      }
      case SEC_MEMORY: {
        const n = s.count();
        for (let i = 0; i < n; i++) {
          const limits = readLimits(s, 'memory', true);
          numMemories++;
          if (numMemories > 1) throw new InstrumentError('unsupported: multiple memories');
          info.definedMemory = limits;
        }
        break;
      }
      case SEC_TAG: {
        const n = s.count(2);
        for (let i = 0; i < n; i++) {
          if (s.u8() !== 0) s.fail('invalid tag attribute', s.pos - 1);
          if (s.u32() >= info.typeParamCounts.length) s.fail('tag type index out of range', s.pos - 1);
        }
        info.numTags += n;
        break;
      }
      case SEC_GLOBAL: {
        const n = s.count(3);
        for (let i = 0; i < n; i++) {
          readValType(s, info.typeParamCounts.length);
          if (s.u8() > 1) s.fail('invalid global mutability', s.pos - 1);
          scanConstExpr(s, collectRef);
        }
        info.numDefinedGlobals = n;
        break;
      }
      case SEC_EXPORT: {
        const n = s.count(3);
        for (let i = 0; i < n; i++) {
          const name = s.name();
          const at = s.pos;
          const kind = s.u8();
          if (kind > 4) s.fail(`invalid export kind ${kind}`, at);
          const index = s.u32();
          info.exportNames.add(name);
          info.exports.push({ name, kind, index });
        }
        break;
      }
      case SEC_START:
        info.startFunc = s.u32();
        break;
      case SEC_ELEMENT: {
        const n = s.count();
        for (let i = 0; i < n; i++) scanElemSegment(s, info.typeParamCounts.length, collectRef);
        break;
      }
      case SEC_DATACOUNT:
        s.u32();
        break;
      case SEC_CODE: {
        const n = s.count(2);
        for (let i = 0; i < n; i++) {
          const bsize = s.u32();
          if (bsize > s.end - s.pos) s.fail('function body extends past the code section');
          if (bsize === 0) s.fail('empty function body');
          info.bodies.push({ start: s.pos, end: s.pos + bsize });
          s.pos += bsize;
        }
        if (n !== Math.max(numFuncDecls, 0)) s.fail('function and code section have inconsistent lengths', start);
        break;
      }
      case SEC_DATA: {
        // copied verbatim; the engine validates the contents. Only the segments' sizes are read.
        const n = s.count();
        for (let i = 0; i < n; i++) {
          const at = s.pos;
          const flags = s.u32();
          if (flags === 2) s.u32();
          else if (flags > 2) s.fail(`invalid data segment flags ${flags}`, at);
          if (flags !== 1) scanConstExpr(s, null);
          const len = s.u32();
          if (len > s.end - s.pos) s.fail('data segment extends past the data section', at);
          info.dataBytes += len;
          s.pos += len;
        }
        break;
      }
    }
    if (s.pos !== end) s.fail(`section ${id} size mismatch`, s.pos);
    info.sections.push(sec);
    r.pos = end;
  }
  if (numFuncDecls > 0 && info.bodies.length !== numFuncDecls) {
    throw new InstrumentError('malformed module: function section without matching code section');
  }
  return info;
}

/** Scans one element segment; `onFunc` sees each function index (vector form and ref.func exprs). */
function scanElemSegment(s: Reader, numTypes: number, onFunc: ((start: number, end: number, idx: number) => void) | null): void {
  const at = s.pos;
  const flags = s.u32();
  if (flags > 7) s.fail(`invalid element segment flags ${flags}`, at);
  const passiveOrDecl = (flags & 1) !== 0;
  const explicitTable = (flags & 2) !== 0;
  const usesExprs = (flags & 4) !== 0;
  if (!passiveOrDecl) {
    if (explicitTable) s.u32();
    scanConstExpr(s, onFunc);
  }
  if (passiveOrDecl || explicitTable) {
    // elemkind (0x00) for the index forms, a reftype for the expression forms
    if (usesExprs) readValType(s, numTypes);
    else if (s.u8() !== 0x00) s.fail('invalid element kind', s.pos - 1);
  }
  const n = s.count();
  for (let j = 0; j < n; j++) {
    if (usesExprs) {
      scanConstExpr(s, onFunc);
    } else {
      const p = s.pos;
      const idx = s.u32();
      if (onFunc) onFunc(p, s.pos, idx);
    }
  }
}

// ---------------------------------------------------------------------------
// Section rewriting helpers
// ---------------------------------------------------------------------------

/** Copies [start,end) of `src` into `out`, replacing each recorded function index with its renumbered value. */
class FuncIndexPatcher {
  private cursor: number;
  constructor(private readonly src: Uint8Array, private readonly out: Writer, start: number, private readonly remap: (i: number) => number) {
    this.cursor = start;
  }
  readonly onFunc = (start: number, end: number, idx: number): void => {
    const n = this.remap(idx);
    if (n === idx) return;
    this.out.bytes(this.src, this.cursor, start);
    this.out.u32(n);
    this.cursor = end;
  };
  finish(end: number): void {
    this.out.bytes(this.src, this.cursor, end);
    this.cursor = end;
  }
  /** Continue copying from `pos` (the bytes before it, from the cursor, were replaced by the caller). */
  skipTo(pos: number): void {
    this.cursor = pos;
  }
}

// ---------------------------------------------------------------------------
// Code
// ---------------------------------------------------------------------------

interface CodeCtx {
  buf: Uint8Array;
  numTypes: number;
  typeParamCounts: number[];
  fuel: boolean;
  depth: boolean;
  maxDepth: number;
  numImportedFuncs: number;
  numAdded: number;
  refillIdx: number;
  depthExceededIdx: number;
  /** function index of the memory_grow import, -1 when memory.grow is left alone */
  memoryGrowIdx: number;
  /** set by the analysis pass when a body contains memory.grow */
  sawMemoryGrow: boolean;
  fuelGlobal: number;
  depthGlobal: number;
  /** static cost of each defined function if it is a leaf, else -1 */
  leafCost: Int32Array;
  /** per type index: extra cost charged at call_indirect/call_ref sites (max cost of a table-referenced leaf of that signature) */
  indirectCost: Int32Array;
  /** set by the analysis pass when a body contains a bulk memory/table instruction (charged by length) */
  sawBulk: boolean;
  /** set by the analysis pass when a body contains table.grow */
  sawTableGrow: boolean;
}

/** Bulk instructions (0xFC prefix) whose work is proportional to their length operand (on top of the stack). */
const BULK_MEMORY_OPS = new Set([8, 10, 11]); // memory.init, memory.copy, memory.fill: 1 unit per 64 bytes
const BULK_TABLE_OPS = new Set([12, 14, 15, 17]); // table.init, table.copy, table.grow, table.fill: 1 unit per element
/** log2 of the bytes a bulk memory instruction does per unit of fuel. */
export const BULK_MEMORY_SHIFT = 6;
/** A table instruction's length charge is capped here (no table can be that long; keeps the i32 counter from wrapping). */
const BULK_TABLE_MAX_CHARGE = 0x10000000;

// control frame kinds
// analysis results for non-leaf functions
const NONLEAF_LOOP = -1;
const NONLEAF_NO_LOOP = -2;

const K_FUNC = 0;
const K_BLOCK = 1;
const K_LOOP = 2;
const K_IF = 3;
const K_TRY = 4;

/** Reads a block type; returns its number of parameters. */
function readBlockType(r: Reader, numTypes: number, typeParamCounts: number[]): number {
  const at = r.pos;
  const v = r.s33();
  if (v >= 0) {
    if (v >= numTypes) r.fail(`block type index ${v} out of range`, at);
    return typeParamCounts[v]!;
  }
  // single-byte shorthands: 0x40 (empty) = -64, value types, (ref null ht) 0x63 = -29, (ref ht) 0x64 = -28
  if (r.pos - at !== 1) r.fail('invalid block type', at);
  if (v === -29 || v === -28) {
    readHeapType(r, numTypes);
    return 0;
  }
  const b = v & 0x7f;
  if (b === 0x40) return 0;
  r.pos = at;
  readValType(r, numTypes);
  return 0;
}

function readMemarg(r: Reader): void {
  const at = r.pos;
  const align = r.u32();
  if (align & 0x40) {
    if (r.u32() !== 0) throw new InstrumentError('unsupported: multiple memories');
  }
  if ((align & ~0x40) >= 32) r.fail('invalid alignment', at);
  r.u32(); // offset (memory64 is rejected at the module level)
}

function readMemIdx(r: Reader): void {
  if (r.u32() !== 0) throw new InstrumentError('unsupported: multiple memories');
}

interface Region {
  patchAt: number; // offset of the padded cost immediate in the body writer (-1 when not emitting)
  cost: number;
  wrapped: boolean; // loop wrapped with an out-of-loop refill path
}

/**
 * Decodes one function body. In analysis mode (`out === null`) it returns
 * the function's leaf cost (static instruction count) or -1 if it contains a
 * loop or a call. In emit mode it writes the instrumented body (without the
 * size prefix) into `out` and returns 0.
 *
 * Loop headers (for loops without parameters) are instrumented as
 *
 *     block bt                 ;; B1: receives the loop's results
 *       loop                   ;; L0: re-entry after a refill
 *         block                ;; B2: the slow path
 *           loop bt            ;; the original loop
 *             $f -= C; br_if B2 ($f < 0)
 *             ...body...
 *           end
 *           br B1
 *         end
 *         $f = refill($f) + C  ;; + C: the header charges again on re-entry
 *         br L0
 *       end
 *       unreachable
 *     end
 *
 * which keeps the `call` out of the loop body (a call inside a hot loop makes
 * V8 spill registers on every iteration: +150% on a tight loop instead of
 * about +25%). Branches crossing the three added labels are renumbered.
 * Loops with parameters (multi-value) keep an in-line `if ... call refill`.
 */
function processBody(ctx: CodeCtx, start: number, end: number, paramCount: number, out: Writer | null, selfLeafCost: number, hasBulk = false): number {
  const buf = ctx.buf;
  const r = new Reader(buf, start, end);
  const { numTypes, numImportedFuncs, numAdded, typeParamCounts } = ctx;

  // locals
  const nDecls = r.count(2);
  const declsStart = r.pos;
  let totalLocals = paramCount;
  for (let i = 0; i < nDecls; i++) {
    const n = r.u32();
    totalLocals += n;
    if (totalLocals > MAX_LOCALS) throw new InstrumentError(`unsupported: function with more than ${MAX_LOCALS} locals`);
    readValType(r, numTypes);
  }
  const localsEnd = r.pos;

  const leafCost = ctx.leafCost;
  const emitting = out !== null;
  const w = out as Writer; // only dereferenced when emitting
  const fuel = ctx.fuel;
  const depth = ctx.depth;
  const instrument = emitting && (fuel || depth) && selfLeafCost < 0;
  // Loop-free functions charge the global directly: no local copy to sync around calls and exits.
  const direct = fuel && selfLeafCost === NONLEAF_NO_LOOP;
  const useLocal = fuel && !direct; // the fuel counter lives in local $f
  let fuelLocal = 0;
  let depthLocal = 0;
  let bulkLocal = 0;
  let cp = localsEnd; // copy cursor into the source (emit mode)

  const remapFunc = (idx: number): number => (idx < numImportedFuncs ? idx : idx + numAdded);

  // emit helpers (only called when instrumenting)
  const flush = (to: number): void => {
    w.bytes(buf, cp, to);
    cp = to;
  };
  const writeBack = (): void => {
    if (!useLocal) return;
    w.u8(0x20); w.u32(fuelLocal); // local.get $f
    w.u8(0x24); w.u32(ctx.fuelGlobal); // global.set $fuel
  };
  const afterCall = (): void => {
    if (useLocal) {
      w.u8(0x23); w.u32(ctx.fuelGlobal); // global.get $fuel
      w.u8(0x21); w.u32(fuelLocal); // local.set $f
    }
    if (depth) {
      w.u8(0x20); w.u32(depthLocal); // local.get $d
      w.u8(0x24); w.u32(ctx.depthGlobal); // global.set $depth
    }
  };
  const beforeTailCall = (): void => {
    writeBack();
    if (depth) {
      w.u8(0x20); w.u32(depthLocal);
      w.u8(0x41); w.u8(0x01);
      w.u8(0x6b); // i32.sub
      w.u8(0x24); w.u32(ctx.depthGlobal);
    }
  };
  /** `$f -= C` (reading the global at entry) followed by `$f < 0` on the stack; returns the patch offset of C. */
  const emitDecrement = (fromGlobal: boolean): number => {
    if (fromGlobal) { w.u8(0x23); w.u32(ctx.fuelGlobal); } else { w.u8(0x20); w.u32(fuelLocal); }
    w.u8(0x41);
    const at = w.s32Padded(1);
    w.u8(0x6b); // i32.sub
    w.u8(0x22); w.u32(fuelLocal); // local.tee $f
    w.u8(0x41); w.u8(0x00);
    w.u8(0x48); // i32.lt_s
    return at;
  };
  /** `$f -= C; if ($f < 0) $f = refill($f)` */
  const emitInlineCharge = (fromGlobal: boolean): number => {
    const at = emitDecrement(fromGlobal);
    w.u8(0x04); w.u8(0x40); // if
    w.u8(0x20); w.u32(fuelLocal);
    w.u8(0x10); w.u32(ctx.refillIdx);
    w.u8(0x21); w.u32(fuelLocal);
    w.u8(0x0b); // end
    return at;
  };

  /**
   * Charge a bulk instruction by its length, which is on top of the stack and stays there:
   * `$n = len; $f -= len >> 6 (memory) | min(len, 2^28) (table); if ($f < 0) $f = refill($f)`.
   * So the wall clock is checked between two bulk instructions whatever their sizes.
   */
  const emitBulkCharge = (table: boolean): void => {
    w.u8(0x22); w.u32(bulkLocal); // local.tee $n
    if (useLocal) { w.u8(0x20); w.u32(fuelLocal); } else { w.u8(0x23); w.u32(ctx.fuelGlobal); }
    w.u8(0x20); w.u32(bulkLocal);
    if (table) {
      w.u8(0x41); w.s32(BULK_TABLE_MAX_CHARGE);
      w.u8(0x20); w.u32(bulkLocal);
      w.u8(0x41); w.s32(BULK_TABLE_MAX_CHARGE);
      w.u8(0x49); // i32.lt_u
      w.u8(0x1b); // select
    } else {
      w.u8(0x41); w.s32(BULK_MEMORY_SHIFT);
      w.u8(0x76); // i32.shr_u
    }
    w.u8(0x6b); // i32.sub
    if (useLocal) {
      w.u8(0x22); w.u32(fuelLocal); // local.tee $f
      w.u8(0x41); w.u8(0x00);
      w.u8(0x48); // i32.lt_s
      w.u8(0x04); w.u8(0x40);
      w.u8(0x20); w.u32(fuelLocal);
      w.u8(0x10); w.u32(ctx.refillIdx);
      w.u8(0x21); w.u32(fuelLocal);
      w.u8(0x0b);
    } else {
      w.u8(0x24); w.u32(ctx.fuelGlobal);
      w.u8(0x23); w.u32(ctx.fuelGlobal);
      w.u8(0x41); w.u8(0x00);
      w.u8(0x48);
      w.u8(0x04); w.u8(0x40);
      w.u8(0x23); w.u32(ctx.fuelGlobal);
      w.u8(0x10); w.u32(ctx.refillIdx);
      w.u8(0x24); w.u32(ctx.fuelGlobal);
      w.u8(0x0b);
    }
  };

  const regions: Region[] = [];
  let region: Region = { patchAt: -1, cost: 0, wrapped: false };

  if (instrument) {
    // locals: append one i32 group for $f, $d and $n (the length of a bulk instruction)
    const added = (useLocal ? 1 : 0) + (depth ? 1 : 0) + (fuel && hasBulk ? 1 : 0);
    if (added) {
      w.u32(nDecls + 1);
      w.bytes(buf, declsStart, localsEnd);
      w.u32(added);
      w.u8(0x7f);
    } else {
      w.bytes(buf, start, localsEnd);
    }
    fuelLocal = totalLocals;
    depthLocal = totalLocals + (useLocal ? 1 : 0);
    bulkLocal = depthLocal + (depth ? 1 : 0);
    if (depth) {
      w.u8(0x23); w.u32(ctx.depthGlobal);
      w.u8(0x41); w.u8(0x01);
      w.u8(0x6a); // i32.add
      w.u8(0x22); w.u32(depthLocal); // local.tee $d
      w.u8(0x24); w.u32(ctx.depthGlobal);
      w.u8(0x20); w.u32(depthLocal);
      w.u8(0x41); w.s32(ctx.maxDepth);
      w.u8(0x4b); // i32.gt_u
      w.u8(0x04); w.u8(0x40);
      w.u8(0x20); w.u32(depthLocal);
      w.u8(0x10); w.u32(ctx.depthExceededIdx);
      w.u8(0x00); // unreachable
      w.u8(0x0b);
    }
    if (direct) {
      // fuel -= C; if (fuel < 0) fuel = refill(fuel)
      w.u8(0x23); w.u32(ctx.fuelGlobal);
      w.u8(0x41);
      region.patchAt = w.s32Padded(1);
      w.u8(0x6b);
      w.u8(0x24); w.u32(ctx.fuelGlobal);
      w.u8(0x23); w.u32(ctx.fuelGlobal);
      w.u8(0x41); w.u8(0x00);
      w.u8(0x48);
      w.u8(0x04); w.u8(0x40);
      w.u8(0x23); w.u32(ctx.fuelGlobal);
      w.u8(0x10); w.u32(ctx.refillIdx);
      w.u8(0x24); w.u32(ctx.fuelGlobal);
      w.u8(0x0b);
    } else if (fuel) {
      region.patchAt = emitInlineCharge(true);
    }
  } else if (emitting) {
    w.bytes(buf, start, localsEnd);
  }

  // Control stack: kinds, and cum[k] = number of wrapper labels inserted outside frames 1..k.
  // A branch of relative depth l from the top frame to frame T = top - l crosses cum[top] - cum[T] added labels.
  const ctl: number[] = [K_FUNC];
  const cum: number[] = [0];
  let hasCall = false;
  let hasLoop = false;
  const relabel = (l: number): number => {
    const top = ctl.length - 1;
    return l + cum[top]! - cum[top - l]!;
  };
  /** rewrites a single label immediate at [s, r.pos) if wrappers shifted it */
  const fixLabel = (s: number, l: number): void => {
    const nl = relabel(l);
    if (nl !== l) {
      flush(s);
      w.u32(nl);
      cp = r.pos;
    }
  };
  const push = (kind: number, extra: number): void => {
    cum.push(cum[cum.length - 1]! + extra);
    ctl.push(kind);
  };
  const pop = (): number => {
    cum.pop();
    return ctl.pop()!;
  };

  while (r.pos < end) {
    const p = r.pos;
    const op = buf[r.pos++]!;
    switch (op) {
      // ---- control ----
      case 0x00: case 0x01: region.cost++; break; // unreachable, nop
      case 0x02: readBlockType(r, numTypes, typeParamCounts); push(K_BLOCK, 0); break;
      case 0x03: { // loop
        const bt = r.pos;
        const nParams = readBlockType(r, numTypes, typeParamCounts);
        if (!emitting) {
          // keep scanning (the analysis also looks for memory.grow); the result is NONLEAF_LOOP
          hasLoop = true;
          push(K_LOOP, 0);
          break;
        }
        regions.push(region);
        region = { patchAt: -1, cost: 0, wrapped: false };
        if (instrument && fuel) {
          if (nParams === 0) {
            flush(p);
            w.u8(0x02); w.bytes(buf, bt, r.pos); // block bt (B1)
            w.u8(0x03); w.u8(0x40); // loop (L0)
            w.u8(0x02); w.u8(0x40); // block (B2)
            w.u8(0x03); w.bytes(buf, bt, r.pos); // the original loop
            cp = r.pos;
            region.patchAt = emitDecrement(false);
            w.u8(0x0d); w.u8(0x01); // br_if B2
            region.wrapped = true;
            push(K_LOOP, 3);
          } else {
            flush(r.pos);
            region.patchAt = emitInlineCharge(false);
            push(K_LOOP, 0);
          }
        } else {
          push(K_LOOP, 0);
        }
        break;
      }
      case 0x04: readBlockType(r, numTypes, typeParamCounts); push(K_IF, 0); region.cost++; break;
      case 0x05: // else
        if (ctl[ctl.length - 1] !== K_IF) r.fail('else without if', p);
        break;
      case 0x06: readBlockType(r, numTypes, typeParamCounts); push(K_TRY, 0); break; // try (legacy EH)
      case 0x07: case 0x19: { // catch tag / catch_all (legacy EH)
        if (op === 0x07) r.u32();
        if (ctl[ctl.length - 1] !== K_TRY) r.fail('catch without try', p);
        if (instrument) { flush(r.pos); afterCall(); }
        break;
      }
      case 0x08: // throw tag
        r.u32(); region.cost++;
        if (instrument) { flush(p); writeBack(); }
        break;
      case 0x09: { // rethrow label
        const s = r.pos;
        const l = r.u32();
        if (l >= ctl.length) r.fail(`rethrow depth ${l} out of range`, s);
        region.cost++;
        if (instrument) { flush(p); writeBack(); fixLabel(s, l); }
        break;
      }
      case 0x0a: // throw_ref
        region.cost++;
        if (instrument) { flush(p); writeBack(); }
        break;
      case 0x0b: { // end
        if (ctl.length === 1) {
          // function end: must be the last byte
          if (r.pos !== end) r.fail('code after the end of the function body', p);
          if (instrument) { flush(p); writeBack(); }
          pop();
          break;
        }
        const k = pop();
        if (k === K_LOOP && emitting) {
          if (instrument && fuel) {
            const cost = clampCost(region.cost);
            w.patchS32Padded(region.patchAt, cost);
            if (region.wrapped) {
              flush(r.pos); // the original loop's end
              w.u8(0x0c); w.u8(0x02); // br B1
              w.u8(0x0b); // end B2
              w.u8(0x20); w.u32(fuelLocal);
              w.u8(0x10); w.u32(ctx.refillIdx);
              w.u8(0x41); w.s32(cost);
              w.u8(0x6a); // i32.add
              w.u8(0x21); w.u32(fuelLocal);
              w.u8(0x0c); w.u8(0x00); // br L0
              w.u8(0x0b); // end L0
              w.u8(0x00); // unreachable
              w.u8(0x0b); // end B1
            }
          }
          region = regions.pop()!;
        }
        break;
      }
      case 0x0c: case 0x0d: case 0xd5: case 0xd6: { // br, br_if, br_on_null, br_on_non_null
        const s = r.pos;
        const l = r.u32();
        if (l >= ctl.length) r.fail(`branch depth ${l} out of range`, s);
        region.cost++;
        if (instrument) {
          if (l === ctl.length - 1) { flush(p); writeBack(); }
          fixLabel(s, l);
        }
        break;
      }
      case 0x0e: { // br_table
        const n = r.count();
        const s = r.pos;
        let leaves = false;
        for (let i = 0; i <= n; i++) {
          const at = r.pos;
          const l = r.u32();
          if (l >= ctl.length) r.fail(`branch depth ${l} out of range`, at);
          if (l === ctl.length - 1) leaves = true;
        }
        region.cost++;
        if (instrument) {
          if (leaves) { flush(p); writeBack(); }
          if (cum[cum.length - 1]! !== 0) {
            // re-encode the labels
            const rr = new Reader(buf, s, r.pos);
            flush(s);
            for (let i = 0; i <= n; i++) w.u32(relabel(rr.u32()));
            cp = r.pos;
          }
        }
        break;
      }
      case 0x0f: // return
        region.cost++;
        if (instrument) { flush(p); writeBack(); }
        break;
      case 0x10: { // call
        const s = r.pos;
        const f = r.u32();
        hasCall = true;
        if (!emitting) break;
        region.cost++;
        const def = f - numImportedFuncs;
        const calleeLeaf = def >= 0 && def < leafCost.length ? leafCost[def]! : -1;
        if (calleeLeaf >= 0) {
          region.cost += calleeLeaf;
          if (numAdded) { flush(s); w.u32(remapFunc(f)); cp = r.pos; }
        } else if (instrument) {
          flush(p);
          writeBack();
          w.u8(0x10); w.u32(remapFunc(f));
          cp = r.pos;
          afterCall();
        } else if (numAdded) {
          flush(s); w.u32(remapFunc(f)); cp = r.pos;
        }
        break;
      }
      case 0x11: case 0x14: { // call_indirect type table, call_ref type
        const at = r.pos;
        const t = r.u32();
        if (t >= numTypes) r.fail('type index out of range', at);
        if (op === 0x11) r.u32();
        hasCall = true;
        if (!emitting) break;
        region.cost += 1 + ctx.indirectCost[t]!;
        if (instrument) { flush(p); writeBack(); flush(r.pos); afterCall(); }
        break;
      }
      case 0x12: { // return_call
        const s = r.pos;
        const f = r.u32();
        hasCall = true;
        if (!emitting) break;
        region.cost++;
        if (instrument) { flush(p); beforeTailCall(); }
        if (numAdded) { flush(s); w.u32(remapFunc(f)); cp = r.pos; }
        break;
      }
      case 0x13: case 0x15: { // return_call_indirect type table, return_call_ref type
        const at = r.pos;
        const t = r.u32();
        if (t >= numTypes) r.fail('type index out of range', at);
        if (op === 0x13) r.u32();
        hasCall = true;
        if (!emitting) break;
        region.cost += 1 + ctx.indirectCost[t]!;
        if (instrument) { flush(p); beforeTailCall(); }
        break;
      }
      case 0x18: { // delegate label (closes a legacy try; the label is resolved outside it)
        if (ctl.length < 2 || ctl[ctl.length - 1] !== K_TRY) r.fail('delegate without try', p);
        pop();
        const s = r.pos;
        const l = r.u32();
        if (l >= ctl.length) r.fail(`delegate depth ${l} out of range`, s);
        if (instrument) fixLabel(s, l);
        break;
      }
      case 0x1f: { // try_table bt vec(catch); catch labels are resolved outside the try_table
        readBlockType(r, numTypes, typeParamCounts);
        const n = r.count(2);
        const relabelHere = instrument && cum[cum.length - 1]! !== 0;
        for (let i = 0; i < n; i++) {
          const at = r.pos;
          const kind = r.u8();
          if (kind === 0x00 || kind === 0x01) r.u32();
          else if (kind !== 0x02 && kind !== 0x03) r.fail(`invalid catch clause kind ${kind}`, at);
          const la = r.pos;
          const l = r.u32();
          if (l >= ctl.length) r.fail('catch label out of range', la);
          if (relabelHere) fixLabel(la, l);
        }
        push(K_BLOCK, 0);
        break;
      }

      // ---- parametric / variables ----
      case 0x1a: case 0x1b: region.cost++; break; // drop, select
      case 0x1c: { // select t*
        const n = r.count();
        for (let i = 0; i < n; i++) readValType(r, numTypes);
        region.cost++;
        break;
      }
      case 0x20: case 0x21: case 0x22: case 0x23: case 0x24: case 0x25: case 0x26:
        r.u32(); region.cost++; break;

      // ---- memory / constants ----
      case 0x3f: readMemIdx(r); region.cost++; break; // memory.size
      case 0x40: { // memory.grow: becomes `call $memory_grow` (same stack effect)
        readMemIdx(r);
        region.cost++;
        if (!emitting) ctx.sawMemoryGrow = true;
        else if (ctx.memoryGrowIdx >= 0) {
          flush(p);
          w.u8(0x10); w.u32(ctx.memoryGrowIdx);
          cp = r.pos;
        }
        break;
      }
      case 0x41: r.s32(); region.cost++; break;
      case 0x42: r.skipS64(); region.cost++; break;
      case 0x43: r.skip(4); region.cost++; break;
      case 0x44: r.skip(8); region.cost++; break;

      // ---- references ----
      case 0xd0: readHeapType(r, numTypes); region.cost++; break; // ref.null
      case 0xd1: case 0xd3: case 0xd4: region.cost++; break; // ref.is_null, ref.as_non_null, ref.eq
      case 0xd2: { // ref.func
        const s = r.pos;
        const f = r.u32();
        region.cost++;
        if (emitting && numAdded) { flush(s); w.u32(remapFunc(f)); cp = r.pos; }
        break;
      }

      // ---- prefixes ----
      case 0xfc: {
        const sub = r.u32();
        if (sub <= 7) { /* saturating truncation */ }
        else if (sub === 8) { r.u32(); readMemIdx(r); } // memory.init data mem
        else if (sub === 9) r.u32(); // data.drop
        else if (sub === 10) { readMemIdx(r); readMemIdx(r); } // memory.copy
        else if (sub === 11) readMemIdx(r); // memory.fill
        else if (sub === 12 || sub === 14) { r.u32(); r.u32(); } // table.init elem table / table.copy
        else if (sub === 13 || (sub >= 15 && sub <= 17)) r.u32(); // elem.drop, table.grow/size/fill
        else r.fail(`unknown 0xFC instruction ${sub}`, p);
        region.cost++;
        if (BULK_MEMORY_OPS.has(sub) || BULK_TABLE_OPS.has(sub)) {
          // work proportional to a run-time length: never a leaf (its cost is not static)
          if (!emitting) { hasCall = true; ctx.sawBulk = true; if (sub === 15) ctx.sawTableGrow = true; }
          else if (instrument && fuel) { flush(p); emitBulkCharge(BULK_TABLE_OPS.has(sub)); }
        }
        break;
      }
      case 0xfd: {
        const sub = r.u32();
        if (sub <= 0x0b || sub === 0x5c || sub === 0x5d) readMemarg(r);
        else if (sub === 0x0c || sub === 0x0d) r.skip(16);
        else if (sub >= 0x15 && sub <= 0x22) r.skip(1);
        else if (sub >= 0x54 && sub <= 0x5b) { readMemarg(r); r.skip(1); }
        else if (sub > 0x113) r.fail(`unknown SIMD instruction ${sub}`, p);
        region.cost++;
        break;
      }
      case 0xfe:
        throw new InstrumentError('unsupported: threads/atomics instructions (0xFE prefix)');
      case 0xfb:
        throw new InstrumentError('unsupported: GC instructions (0xFB prefix)');

      default:
        if (op >= 0x28 && op <= 0x3e) { readMemarg(r); region.cost++; break; } // loads/stores
        if (op >= 0x45 && op <= 0xc4) { region.cost++; break; } // numeric, sign extension
        r.fail(`unknown opcode 0x${op.toString(16)}`, p);
    }
  }
  if (ctl.length !== 0) r.fail('function body not terminated by end', end);

  if (!emitting) return hasLoop ? NONLEAF_LOOP : hasCall ? NONLEAF_NO_LOOP : clampCost(region.cost);
  if (instrument) {
    flush(end);
    if (fuel) w.patchS32Padded(region.patchAt, clampCost(region.cost));
  } else {
    w.bytes(buf, cp, end);
  }
  return 0;
}

function clampCost(c: number): number {
  return c < 1 ? 1 : c > MAX_COST ? MAX_COST : c;
}

// ---------------------------------------------------------------------------
// name section
// ---------------------------------------------------------------------------

function rewriteNameSection(buf: Uint8Array, sec: Section, remap: (i: number) => number): Writer | null {
  try {
    const r = new Reader(buf, sec.start, sec.end);
    r.skipName(); // "name"
    const out = new Writer(sec.end - sec.start + 64);
    out.name('name');
    const sub = new Writer(256);
    while (!r.eof()) {
      const id = r.u8();
      const size = r.u32();
      if (size > r.end - r.pos) return null;
      const s = new Reader(buf, r.pos, r.pos + size);
      r.pos += size;
      if (id === 1 || id === 2 || id === 3) {
        sub.reset();
        const n = s.count(2);
        sub.u32(n);
        for (let i = 0; i < n; i++) {
          sub.u32(remap(s.u32()));
          if (id === 1) {
            const a = s.pos;
            s.skipName();
            sub.bytes(buf, a, s.pos);
          } else {
            const a = s.pos;
            const m = s.count(2);
            for (let j = 0; j < m; j++) { s.u32(); s.skipName(); }
            sub.bytes(buf, a, s.pos);
          }
        }
        if (!s.eof()) return null;
        out.u8(id);
        out.sized(sub);
      } else {
        out.u8(id);
        out.u32(size);
        out.bytes(buf, s.pos, s.end);
      }
    }
    return out;
  } catch (e) {
    if (e instanceof InstrumentError) return null;
    throw e;
  }
}

// ---------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------

function compileError(bytes: Uint8Array): string {
  try {
    new WebAssembly.Module(bytes as Uint8Array<ArrayBuffer>);
    return 'rejected by WebAssembly.validate';
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

function uniqueName(base: string, taken: Set<string>): string {
  let name = base;
  for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
  taken.add(name);
  return name;
}

export function instrument(wasm: Uint8Array, opts: InstrumentOptions = {}): InstrumentResult {
  if (!(wasm instanceof Uint8Array)) throw new InstrumentError('input must be a Uint8Array');
  const fuel = opts.fuel ?? true;
  const depth = opts.depth ?? true;
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_DEPTH;
  const memoryImport = opts.memoryImport ?? true;
  const meterModule = opts.meterModule ?? 'lodestone_meter';
  const cap = opts.maxMemoryPages;
  if (!Number.isInteger(maxDepth) || maxDepth < 0 || maxDepth > 0x7fffffff) throw new InstrumentError('maxDepth must be an integer in [0, 2^31)');
  if (cap !== undefined && (!Number.isInteger(cap) || cap < 0 || cap > 65536)) throw new InstrumentError('maxMemoryPages must be an integer in [0, 65536]');

  const buf = wasm;
  const info = parseModule(buf);
  if (opts.validate ?? true) {
    if (!WebAssembly.validate(buf as Uint8Array<ArrayBuffer>)) throw new InstrumentError(`invalid module: ${compileError(buf)}`);
  }

  const numTypes = info.typeParamCounts.length;
  const numImportedFuncs = info.numImportedFuncs;
  const numGlobals = info.numImportedGlobals + info.numDefinedGlobals;
  const fuelGlobal = numGlobals;
  const depthGlobal = numGlobals + (fuel ? 1 : 0);
  /** added globals (and their exports): fuel, depth */
  const numAddedGlobals = (fuel ? 1 : 0) + (depth ? 1 : 0);

  // ---- memory plan ----
  let memory: InstrumentResult['memory'] = null;
  let convertMemory = false;
  const minMax = (a: number | null, b: number | undefined): number | null =>
    a === null ? (b === undefined ? null : b) : b === undefined ? a : Math.min(a, b);
  if (info.importedMemory) {
    const m = info.importedMemory;
    const maximumPages = minMax(m.limits.max, cap);
    if (maximumPages !== null && m.limits.min > maximumPages) {
      throw new InstrumentError(`memory needs ${m.limits.min} initial pages but the cap is ${maximumPages}`);
    }
    memory = { imported: true, module: m.module, name: m.name, initialPages: m.limits.min, maximumPages };
  } else if (info.definedMemory) {
    const m = info.definedMemory;
    const maximumPages = minMax(m.max, cap);
    if (maximumPages !== null && m.min > maximumPages) {
      throw new InstrumentError(`memory needs ${m.min} initial pages but the cap is ${maximumPages}`);
    }
    convertMemory = memoryImport;
    memory = memoryImport
      ? { imported: true, module: meterModule, name: 'memory', initialPages: m.min, maximumPages }
      : { imported: false, module: '', name: '', initialPages: m.min, maximumPages };
  }

  // ---- table plan ----
  const tableCap = opts.maxTableElements;
  if (tableCap !== undefined && (!Number.isInteger(tableCap) || tableCap < 0)) throw new InstrumentError('maxTableElements must be a non-negative integer');
  // The cap bounds all defined tables together: their initial sizes must fit, and the room left is
  // given to the tables in order as growth room (each maximum lowered so the maxima sum to <= cap).
  let spare = tableCap === undefined ? 0 : tableCap - info.tables.reduce((a, t) => a + t.limits.min, 0);
  if (tableCap !== undefined && spare < 0) {
    throw new InstrumentError(`the tables have ${tableCap - spare} initial elements together, over the cap of ${tableCap}`);
  }
  const tables = info.tables.map((t) => {
    if (tableCap === undefined) return { initial: t.limits.min, maximum: t.limits.max };
    const maximum = Math.min(t.limits.max ?? Infinity, t.limits.min + spare);
    spare -= maximum - t.limits.min;
    return { initial: t.limits.min, maximum };
  });
  const clampTables = tableCap !== undefined && info.tables.some((t, i) => t.limits.max !== tables[i]!.maximum);

  const taken = new Set(info.exportNames);
  const fuelGlobalExport = fuel ? uniqueName('__lodestone_fuel', taken) : '';
  const depthGlobalExport = depth ? uniqueName('__lodestone_depth', taken) : '';
  if (fuelGlobalExport) taken.add(fuelGlobalExport);
  if (depthGlobalExport) taken.add(depthGlobalExport);
  const tableExportNames = info.tables.map((_, i) => {
    const n = uniqueName(`__lodestone_table${i}`, taken);
    taken.add(n);
    return n;
  });

  // ---- code analysis (leaf functions) ----
  const nDefined = info.bodies.length;
  const ctx: CodeCtx = {
    buf, numTypes, typeParamCounts: info.typeParamCounts, fuel, depth, maxDepth, numImportedFuncs, numAdded: 0,
    refillIdx: -1, depthExceededIdx: -1, memoryGrowIdx: -1, sawMemoryGrow: false, fuelGlobal, depthGlobal,
    leafCost: new Int32Array(0),
    indirectCost: new Int32Array(numTypes),
    sawBulk: false,
    sawTableGrow: false,
  };
  const leafCost = new Int32Array(nDefined);
  const bulk = new Uint8Array(nDefined);
  for (let i = 0; i < nDefined; i++) {
    const b = info.bodies[i]!;
    ctx.sawBulk = false;
    leafCost[i] = processBody(ctx, b.start, b.end, info.typeParamCounts[info.funcTypeIdx[i]!]!, null, -1);
    bulk[i] = ctx.sawBulk ? 1 : 0;
  }
  // ---- added function imports (known once the analysis has seen whether memory.grow occurs) ----
  const meterGrow = (opts.meterMemoryGrow ?? true) && ctx.sawMemoryGrow;
  const numAdded = (fuel ? 1 : 0) + (depth ? 1 : 0) + (meterGrow ? 1 : 0);
  const refillIdx = numImportedFuncs;
  const depthExceededIdx = numImportedFuncs + (fuel ? 1 : 0);
  const memoryGrowIdx = meterGrow ? numImportedFuncs + (fuel ? 1 : 0) + (depth ? 1 : 0) : -1;
  const refillType = numTypes;
  const depthType = numTypes + (fuel ? 1 : 0);
  const memoryGrowType = numTypes + (fuel ? 1 : 0) + (depth ? 1 : 0);
  const remap = (i: number): number => (i < numImportedFuncs ? i : i + numAdded);
  ctx.numAdded = numAdded;
  ctx.refillIdx = refillIdx;
  ctx.depthExceededIdx = depthExceededIdx;
  ctx.memoryGrowIdx = memoryGrowIdx;
  // Functions the host can call (exports, start) are always instrumented, so that their work is charged.
  const hostCallable = (f: number): void => {
    const d = f - numImportedFuncs;
    if (d >= 0 && d < nDefined && leafCost[d]! >= 0) leafCost[d] = NONLEAF_NO_LOOP;
  };
  for (const e of info.exports) if (e.kind === 0) hostCallable(e.index);
  if (info.startFunc >= 0) hostCallable(info.startFunc);
  ctx.leafCost = leafCost;
  // Leaves reachable through tables are charged at call_indirect sites (max over the same signature).
  const sigKey = (t: number): string => {
    const sig = info.typeSigs[t]!;
    return `${sig.params.join(',')}:${sig.results.join(',')}`;
  };
  const bySig = new Map<string, number>();
  for (const f of info.refFuncs) {
    const d = f - numImportedFuncs;
    if (d < 0 || d >= nDefined || leafCost[d]! < 0) continue;
    const k = sigKey(info.funcTypeIdx[d]!);
    bySig.set(k, Math.max(bySig.get(k) ?? 0, leafCost[d]!));
  }
  if (bySig.size) for (let t = 0; t < numTypes; t++) ctx.indirectCost[t] = bySig.get(sigKey(t)) ?? 0;

  // ---- emit ----
  const out = new Writer(buf.length + (buf.length >> 2) + 256);
  out.bytes(buf, 0, 8);
  const sec = new Writer(1024);
  const emitSection = (id: number, content: Writer): void => {
    out.u8(id);
    out.sized(content);
  };

  const typeSection = (orig: Section | null): void => {
    sec.reset();
    sec.u32(numTypes + numAdded);
    if (orig) {
      const r = new Reader(buf, orig.start, orig.end);
      r.u32();
      sec.bytes(buf, r.pos, orig.end);
    }
    if (fuel) sec.bytes(Uint8Array.of(0x60, 0x01, 0x7f, 0x01, 0x7f)); // (i32) -> i32
    if (depth) sec.bytes(Uint8Array.of(0x60, 0x01, 0x7f, 0x00)); // (i32) -> ()
    if (meterGrow) sec.bytes(Uint8Array.of(0x60, 0x01, 0x7f, 0x01, 0x7f)); // (i32) -> i32
    emitSection(SEC_TYPE, sec);
  };
  const importSection = (orig: Section | null): void => {
    sec.reset();
    let n = 0;
    let rest = 0;
    if (orig) {
      const r = new Reader(buf, orig.start, orig.end);
      n = r.u32();
      rest = r.pos;
    }
    sec.u32(n + numAdded + (convertMemory ? 1 : 0));
    if (orig) sec.bytes(buf, rest, orig.end);
    if (fuel) { sec.name(meterModule); sec.name('refill'); sec.u8(0x00); sec.u32(refillType); }
    if (depth) { sec.name(meterModule); sec.name('depthExceeded'); sec.u8(0x00); sec.u32(depthType); }
    if (meterGrow) { sec.name(meterModule); sec.name(MEMORY_GROW_IMPORT); sec.u8(0x00); sec.u32(memoryGrowType); }
    if (convertMemory && memory) {
      sec.name(meterModule); sec.name('memory'); sec.u8(0x02);
      if (memory.maximumPages === null) { sec.u8(0x00); sec.u32(memory.initialPages); }
      else { sec.u8(0x01); sec.u32(memory.initialPages); sec.u32(memory.maximumPages); }
    }
    emitSection(SEC_IMPORT, sec);
  };
  const globalSection = (orig: Section | null): void => {
    sec.reset();
    sec.u32(info.numDefinedGlobals + numAddedGlobals);
    if (orig) {
      const r = new Reader(buf, orig.start, orig.end);
      r.u32();
      const p = new FuncIndexPatcher(buf, sec, r.pos, remap);
      const n = info.numDefinedGlobals;
      for (let i = 0; i < n; i++) {
        readValType(r, numTypes);
        r.u8();
        scanConstExpr(r, p.onFunc);
      }
      p.finish(orig.end);
    }
    if (fuel) sec.bytes(Uint8Array.of(0x7f, 0x01, 0x41, 0x00, 0x0b));
    if (depth) sec.bytes(Uint8Array.of(0x7f, 0x01, 0x41, 0x00, 0x0b));
    emitSection(SEC_GLOBAL, sec);
  };
  const exportSection = (orig: Section | null): void => {
    sec.reset();
    let n = 0;
    const r = orig ? new Reader(buf, orig.start, orig.end) : null;
    if (r) n = r.u32();
    sec.u32(n + numAddedGlobals + tableExportNames.length);
    if (r) {
      const p = new FuncIndexPatcher(buf, sec, r.pos, remap);
      for (let i = 0; i < n; i++) {
        r.skipName();
        const kind = r.u8();
        const s = r.pos;
        const idx = r.u32();
        if (kind === 0) p.onFunc(s, r.pos, idx);
      }
      p.finish(r.end);
    }
    for (let i = 0; i < tableExportNames.length; i++) { sec.name(tableExportNames[i]!); sec.u8(0x01); sec.u32(info.numImportedTables + i); }
    if (fuel) { sec.name(fuelGlobalExport); sec.u8(0x03); sec.u32(fuelGlobal); }
    if (depth) { sec.name(depthGlobalExport); sec.u8(0x03); sec.u32(depthGlobal); }
    emitSection(SEC_EXPORT, sec);
  };

  // sections that may have to be created; kept in section order
  const synth = new Map<number, (orig: Section | null) => void>();
  if (numAdded) synth.set(SEC_TYPE, typeSection);
  if (numAdded || convertMemory) synth.set(SEC_IMPORT, importSection);
  if (numAdded) {
    // rewritten even when only memory_grow was added: ref.func in global initializers and
    // function exports need renumbering (an empty section is emitted when there was none)
    synth.set(SEC_GLOBAL, globalSection);
    synth.set(SEC_EXPORT, exportSection);
  }
  const done = new Set<number>();
  const flushSynth = (rank: number): void => {
    for (const [id, fn] of synth) {
      if (!done.has(id) && SECTION_RANK[id]! < rank) {
        done.add(id);
        fn(null);
      }
    }
  };

  for (const s of info.sections) {
    if (s.id === SEC_CUSTOM) {
      const name = s.name!;
      if (name.startsWith('.debug_') || name === 'linking' || name.startsWith('reloc.')) continue;
      if (name === 'name' && numAdded) {
        const nw = rewriteNameSection(buf, s, remap);
        if (nw) emitSection(SEC_CUSTOM, nw);
        continue;
      }
      out.u8(0);
      out.u32(s.end - s.start);
      out.bytes(buf, s.start, s.end);
      continue;
    }
    const rank = SECTION_RANK[s.id]!;
    flushSynth(rank);
    const fn = synth.get(s.id);
    if (fn) {
      done.add(s.id);
      fn(s);
      continue;
    }
    switch (s.id) {
      case SEC_MEMORY: {
        if (convertMemory) continue; // moved to the import section
        if (memory && !memory.imported && cap !== undefined) {
          sec.reset();
          sec.u32(1);
          if (memory.maximumPages === null) { sec.u8(0); sec.u32(memory.initialPages); }
          else { sec.u8(1); sec.u32(memory.initialPages); sec.u32(memory.maximumPages); }
          emitSection(SEC_MEMORY, sec);
          continue;
        }
        break;
      }
      case SEC_TABLE: {
        if (!numAdded && !clampTables) break;
        sec.reset();
        const r = new Reader(buf, s.start, s.end);
        const n = r.u32();
        const p = new FuncIndexPatcher(buf, sec, s.start, remap);
        for (let i = 0; i < n; i++) {
          const init = r.peek() === 0x40;
          if (init) r.skip(2);
          readValType(r, numTypes);
          const t = info.tables[i]!;
          r.pos = t.end;
          if (clampTables) {
            // re-encode the limits with the capped maximum
            p.finish(t.at);
            const m = tables[i]!;
            if (m.maximum === null) { sec.u8(0x00); sec.u32(m.initial); }
            else { sec.u8(0x01); sec.u32(m.initial); sec.u32(m.maximum); }
            p.skipTo(t.end);
          }
          if (init) scanConstExpr(r, p.onFunc);
        }
        p.finish(s.end);
        emitSection(s.id, sec);
        continue;
      }
      case SEC_START: {
        if (!numAdded) break;
        sec.reset();
        sec.u32(remap(new Reader(buf, s.start, s.end).u32()));
        emitSection(s.id, sec);
        continue;
      }
      case SEC_ELEMENT: {
        if (!numAdded) break;
        sec.reset();
        const r = new Reader(buf, s.start, s.end);
        const n = r.u32();
        const p = new FuncIndexPatcher(buf, sec, s.start, remap);
        for (let i = 0; i < n; i++) scanElemSegment(r, numTypes, p.onFunc);
        p.finish(s.end);
        emitSection(s.id, sec);
        continue;
      }
      case SEC_CODE: {
        if (!numAdded) break;
        sec.reset();
        sec.u32(nDefined);
        const body = new Writer(4096);
        for (let i = 0; i < nDefined; i++) {
          const b = info.bodies[i]!;
          body.reset();
          processBody(ctx, b.start, b.end, info.typeParamCounts[info.funcTypeIdx[i]!]!, body, leafCost[i]!, bulk[i] === 1);
          sec.sized(body);
        }
        emitSection(s.id, sec);
        continue;
      }
    }
    // verbatim copy
    out.u8(s.id);
    out.u32(s.end - s.start);
    out.bytes(buf, s.start, s.end);
  }
  flushSynth(Infinity);

  const exports: ExportInfo[] = info.exports.map((e) => {
    const x: ExportInfo = { name: e.name, kind: EXTERN_KINDS[e.kind]! };
    if (e.kind === 0) {
      const t = e.index < numImportedFuncs ? info.funcImportTypes[e.index] : info.funcTypeIdx[e.index - numImportedFuncs];
      const sig = t === undefined ? undefined : info.typeSigs[t];
      if (sig) {
        x.params = sig.params.slice();
        x.results = sig.results.slice();
      }
    }
    return x;
  });
  const tablesExported = synth.has(SEC_EXPORT);
  if (tablesExported) for (const n of tableExportNames) exports.push({ name: n, kind: 'table' });
  if (fuel) exports.push({ name: fuelGlobalExport, kind: 'global' });
  if (depth) exports.push({ name: depthGlobalExport, kind: 'global' });

  return {
    bytes: out.toBytes(),
    exports,
    meterImports: { module: meterModule, refill: 'refill', depthExceeded: 'depthExceeded', memoryGrow: MEMORY_GROW_IMPORT },
    memoryGrowMetered: meterGrow,
    memory,
    fuelGlobalExport,
    depthGlobalExport,
    tables,
    tableExports: tablesExported ? tableExportNames : [],
    growsTables: ctx.sawTableGrow,
    dataBytes: info.dataBytes,
  };
}
