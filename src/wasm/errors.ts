// Errors of the WASM subsystem. Each carries the limit or fault kind (counted per function in the
// stats) and says who is at fault — the guest (trap, bad pointer, limit reached) or the host — the
// way wasmtime and Extism separate guest traps from host errors. All reach the client as `-ERR …`
// (or `-NOPERM …` for permissions) and never take the server down.

import { ReplyError } from '../protocol/reply.js';

export type WasmErrorKind =
  | 'fuel'
  | 'timeout'
  | 'memory'
  | 'depth'
  | 'trap'
  | 'abort'
  | 'host_call'
  | 'permission'
  | 'bad_reply'
  | 'internal';

export const ERROR_KINDS: WasmErrorKind[] = ['fuel', 'timeout', 'memory', 'depth', 'trap', 'abort', 'host_call', 'permission', 'bad_reply', 'internal'];

export class WasmError extends Error {
  constructor(
    readonly kind: WasmErrorKind,
    message: string,
    readonly fault: 'guest' | 'host' = 'guest',
  ) {
    super(message);
  }

  toReply(fn: string): ReplyError {
    if (this.kind === 'permission') return new ReplyError('NOPERM', `wasm function '${fn}': ${this.message}`);
    return new ReplyError('ERR', `wasm function '${fn}' failed: ${this.message} (${this.fault} fault)`);
  }
}

/** Thrown by a host function to unwind the guest: the message names the function and the problem. */
export class HostTrap extends WasmError {
  constructor(fn: string, problem: string) {
    super('host_call', `host function ${fn}: ${problem}`, 'guest');
  }
}

/** Errors at WASM.LOAD time (invalid module, missing entry point, import not permitted). */
export class LoadError extends Error {}
