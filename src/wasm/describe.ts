// Read a module's exports with their function signatures (and its imports) straight from the
// binary. V8 does not expose export types to JavaScript (the type-reflection proposal is not
// shipped in Node 20), and the loader needs them to tell entry points — `() -> i64`,
// `(ptr, len) -> i64` … — from other exports before anything is instantiated.

import { Reader } from './wasm-reader.js';

/** An import of the original (guest) module; functions carry their signature. */
export interface ImportInfo {
  module: string;
  name: string;
  kind: 'function' | 'table' | 'memory' | 'global' | 'tag';
  params?: string[];
  results?: string[];
}

export interface ExportInfo {
  name: string;
  kind: 'function' | 'table' | 'memory' | 'global' | 'tag';
  /** Function exports only: parameter and result types (i32, i64, f32, f64, v128, ref). */
  params?: string[];
  results?: string[];
}

const KINDS = ['function', 'table', 'memory', 'global', 'tag'] as const;

function valtype(r: Reader): string {
  const b = r.u8();
  switch (b) {
    case 0x7f:
      return 'i32';
    case 0x7e:
      return 'i64';
    case 0x7d:
      return 'f32';
    case 0x7c:
      return 'f64';
    case 0x7b:
      return 'v128';
    case 0x63:
    case 0x64:
      r.s33();
      return 'ref';
    default:
      if (b >= 0x69 && b <= 0x74) return 'ref';
      return r.fail(`unknown value type 0x${b.toString(16)}`);
  }
}

function limits(r: Reader): { min: number; max: number | null } {
  const flag = r.u8();
  if (flag & 4) {
    r.skipS64();
    if (flag & 1) r.skipS64();
    return { min: Infinity, max: null }; // 64-bit: refused later (instrument.ts)
  }
  const min = r.u32();
  const max = flag & 1 ? r.u32() : null;
  return { min, max };
}

/** Skip a constant expression (data segment offsets): MVP and extended-const opcodes. */
function constExpr(r: Reader): void {
  for (;;) {
    const op = r.u8();
    if (op === 0x0b) return;
    if (op === 0x41) r.s33();
    else if (op === 0x42) r.skipS64();
    else if (op === 0x23 || op === 0xd2) r.u32();
    else if (op === 0xd0) r.s33();
    else if (op === 0x43) r.pos += 4;
    else if (op === 0x44) r.pos += 8;
    else if (op !== 0x6a && op !== 0x6b && op !== 0x6c && op !== 0x7c && op !== 0x7d && op !== 0x7e) r.fail(`unsupported constant expression opcode 0x${op.toString(16)}`);
  }
}

/** What a module would hold at instantiation, read at load to refuse modules over the limits. */
export interface ModuleSizes {
  /** Initial elements of each table the module defines (imported tables are refused anyway). */
  tableElements: number[];
  /** Bytes of all data segments together. */
  dataBytes: number;
}

export function describeExports(bytes: Uint8Array): ExportInfo[] {
  return describeModule(bytes).exports;
}

/** Exports and imports of a module, with function signatures. */
export function describeModule(bytes: Uint8Array): { exports: ExportInfo[]; imports: ImportInfo[]; sizes: ModuleSizes } {
  const r = new Reader(bytes, 8);
  const sizes: ModuleSizes = { tableElements: [], dataBytes: 0 };
  const imports: ImportInfo[] = [];
  const types: { params: string[]; results: string[] }[] = [];
  const funcTypes: number[] = []; // type index per function index (imports first)
  const out: ExportInfo[] = [];
  while (!r.eof()) {
    const id = r.u8();
    const size = r.u32();
    const end = r.pos + size;
    if (end > r.end) r.fail('section runs past the end');
    const s = new Reader(bytes, r.pos, end);
    if (id === 1) {
      for (let n = s.count(); n > 0; n--) {
        const form = s.u8();
        if (form !== 0x60) s.fail('unsupported type form (GC types are not supported)');
        const params = Array.from({ length: s.count() }, () => valtype(s));
        const results = Array.from({ length: s.count() }, () => valtype(s));
        types.push({ params, results });
      }
    } else if (id === 2) {
      for (let n = s.count(); n > 0; n--) {
        const module = s.name();
        const name = s.name();
        const kind = s.u8();
        const k = KINDS[kind];
        if (k) imports.push({ module, name, kind: k });
        if (kind === 0) {
          const t = s.u32();
          funcTypes.push(t);
          const sig = types[t];
          if (!sig) s.fail(`import ${module}.${name} refers to an unknown type`);
          imports[imports.length - 1].params = sig.params;
          imports[imports.length - 1].results = sig.results;
        } else if (kind === 1) {
          valtype(s);
          limits(s);
        } else if (kind === 2) limits(s);
        else if (kind === 3) {
          valtype(s);
          s.u8();
        } else if (kind === 4) {
          s.u8();
          s.u32();
        } else s.fail(`unknown import kind ${kind}`);
      }
    } else if (id === 3) {
      for (let n = s.count(); n > 0; n--) funcTypes.push(s.u32());
    } else if (id === 4) {
      for (let n = s.count(); n > 0; n--) {
        const init = s.peek() === 0x40;
        if (init) s.pos += 2;
        valtype(s);
        sizes.tableElements.push(limits(s).min);
        if (init) constExpr(s);
      }
    } else if (id === 11) {
      for (let n = s.count(); n > 0; n--) {
        const flags = s.u32();
        if (flags === 2) s.u32();
        if (flags !== 1) constExpr(s);
        const len = s.u32();
        sizes.dataBytes += len;
        s.pos += len;
      }
    } else if (id === 7) {
      for (let n = s.count(); n > 0; n--) {
        const name = s.name();
        const kind = s.u8();
        const index = s.u32();
        const k = KINDS[kind];
        if (!k) s.fail(`unknown export kind ${kind}`);
        const info: ExportInfo = { name, kind: k };
        if (k === 'function') {
          const t = types[funcTypes[index] ?? -1];
          if (!t) s.fail(`export '${name}' refers to an unknown function`);
          info.params = t.params;
          info.results = t.results;
        }
        out.push(info);
      }
    }
    r.pos = end;
  }
  return { exports: out, imports, sizes };
}
