// Preparing a module for loading, as a pure function of its bytes and the load settings: read its
// exports, imports and sizes (describe.ts), refuse tables over the load limit, and instrument it
// (instrument.ts). Pure so that it can run in a worker thread (prepare-worker.ts) while the main thread keeps serving clients; registry.ts runs it there for
// WASM.LOAD, or on the main thread where a load must be synchronous (MULTI, startup).

import { describeModule, ExportInfo, ImportInfo, ModuleSizes } from './describe.js';
import { LoadError } from './errors.js';
import { instrument, InstrumentResult } from './instrument.js';

export interface PrepareSettings {
  maxDepth: number;
  metering: boolean;
  /** wasm.limits.max_table_elements: all tables of an instance together. */
  maxTableElements: number;
}

export interface Prepared {
  meta: InstrumentResult;
  exports: ExportInfo[];
  imports: ImportInfo[];
  sizes: ModuleSizes;
}

/** The header checks every load starts with (cheap; before anything is parsed). */
export function checkHeader(bytes: Uint8Array): void {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new LoadError('invalid module: missing the \\0asm magic number');
  }
  const version = bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! << 24);
  if (version !== 1) throw new LoadError(`invalid module: unsupported binary version ${version >>> 0}`);
}

/**
 * Describe, check against the load limits and instrument. Throws LoadError for a module over a
 * limit, and the instrumenter's error (InstrumentError) for one it cannot handle.
 */
export function prepare(bytes: Uint8Array, s: PrepareSettings): Prepared {
  checkHeader(bytes);
  const { exports, imports, sizes } = describeModule(bytes);
  const tableElements = sizes.tableElements.reduce((a, n) => a + n, 0);
  if (tableElements > s.maxTableElements) {
    const what = sizes.tableElements.length === 1 ? `a table of ${tableElements} elements` : `tables of ${tableElements} elements together`;
    throw new LoadError(`module declares ${what}, over wasm.limits.max_table_elements (${s.maxTableElements})`);
  }
  const meta = instrument(bytes, {
    maxDepth: s.maxDepth,
    validate: false,
    fuel: s.metering,
    depth: s.metering,
    maxTableElements: s.maxTableElements,
  });
  return { meta, exports, imports, sizes };
}
