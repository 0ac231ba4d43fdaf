// Host functions: the `lodestone` import namespace a guest calls (ABI v1, see abi.ts and
// docs/ABI.md), plus the harmless parts of AssemblyScript's `env` and of WASI.
//
// Like Extism's plugin context, the import object is built once per instance and closes over a
// `HostBinding`; the executor points the binding at the current call's `CallContext` before
// entering the guest and clears it afterwards. Every pointer and length a guest passes is checked
// against its memory; a bad one throws HostTrap, which unwinds the guest (never the server).
//
// Commands run from a guest (`call`, `set_key`, `del_key`) go through the same command table and
// `call()` as client commands, so stats, slow log, MONITOR, WATCH invalidation and the write
// observers see them. Permission checks and the undo log (for rollback on failure) sit in front.

import { performance } from 'node:perf_hooks'; // the module's, not the global getter (~20 ns a read)
import { runScriptCommand, Refusal, ScriptCallPolicy } from '../server/script-call.js';
import { DENIED_KEY, PERM_READ } from '../acl/acl.js';
import { clientInfoLine } from '../commands/server.js';
import type { Command } from '../commands/table.js';
import { encodeReply } from '../protocol/encoder.js';
import { readLatin1, writeLatin1 } from '../protocol/latin1.js';
import { RequestParser } from '../protocol/parser.js';
import { decodeReply, ReplyDecodeError } from '../protocol/reply-decode.js';
import { NIL_ARRAY, Reply, ReplyError, Status } from '../protocol/reply.js';
import { UndoLog } from '../keyspace/undo.js';
import { BigString } from '../keyspace/bigstring.js';
import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import type { Logger } from 'pino';
import { CMD_BULK, CMD_ERROR, CMD_INT, CMD_NIL, CMD_RESP, CMD_STATUS, HOST_MODULE, Permission } from './abi.js';
import { terminationRequested } from '../server/watchdog.js';
import { HostTrap, WasmError } from './errors.js';

/**
 * WASM functions are key-scoped plugins: besides what no script may run, they may not reach another
 * database (SELECT, MOVE, SWAPDB, COPY … DB n: the policy's sameDbOnly, read from the command
 * table's otherDb) or touch whole databases (FLUSHALL, FLUSHDB), nor manage WASM functions, nor run
 * blocking commands (Lua may run those Redis allows in scripts — BLMPOP, XREAD without BLOCK).
 */
const WASM_DENIED = new Set(['flushall', 'flushdb']);
const wasmDenied = (cmd: Command): boolean =>
  WASM_DENIED.has(cmd.fullName) ||
  cmd.fullName.startsWith('wasm.') ||
  cmd.spec.flags.includes('blocking'); // PUBLISH / SPUBLISH allowed, as Redis allows them in scripts

export interface FunctionIdentity {
  name: string;
  perms: Set<Permission>;
}

/** Everything one WASM.CALL needs while the guest runs. */
export class CallContext {
  /** Result buffer filled by get_key / call, read by result_read. */
  result: Buffer | string | null = null;
  /** The reply built with reply_* calls, once complete. */
  reply: Reply | undefined = undefined;
  readonly stack: { items: Reply[]; n: number }[] = [];
  readonly undo = new UndoLog();
  hostCalls = 0;
  /** performance.now() deadline of the call (max_duration_ms), checked on every host call. */
  deadline = Infinity;
  maxDurationMs = 0;
  /** wasm.limits.max_reply_bytes, and what the reply built so far is charged (about its RESP size). */
  maxReplyBytes = Infinity;
  replyBytes = 0;

  constructor(
    public server: Server,
    public client: Client,
    public fn: FunctionIdentity,
    public keys: string[],
    public args: string[],
    public readonly: boolean,
  ) {}

  /**
   * Point this context at a new call. The executor keeps one context per instance (HostBinding)
   * and resets it per call instead of allocating one: a call allocates no context, stack or undo log.
   */
  reset(server: Server, client: Client, fn: FunctionIdentity, keys: string[], args: string[], readonly: boolean): void {
    if (this.fn !== fn || this.readonly !== readonly || this.server !== server) this.policy = null;
    this.server = server;
    this.client = client;
    this.fn = fn;
    this.keys = keys;
    this.args = args;
    this.readonly = readonly;
    this.result = null;
    this.reply = undefined;
    if (this.stack.length !== 0) this.stack.length = 0; // setting length costs even when it is 0
    this.hostCalls = 0;
    this.replyBytes = 0;
  }

  /**
   * Charge `bytes` to the reply being built, before anything is allocated for it: a guest can build
   * replies far larger than its own memory (the same 64 MB bulk many times in an array), and every
   * byte of it is held in the heap until the client reads it, so the whole reply is bounded.
   */
  chargeReply(fnName: string, bytes: number): void {
    this.replyBytes += bytes;
    if (this.replyBytes > this.maxReplyBytes) {
      throw new WasmError('memory', `reply too large: ${fnName} takes it to ${this.replyBytes} bytes, over max_reply_bytes (${this.maxReplyBytes})`);
    }
  }

  /** Append a reply value (reply_* host functions). */
  addReply(fnName: string, r: Reply): void {
    if (this.reply !== undefined && this.stack.length === 0) throw new HostTrap(fnName, 'the reply is already complete');
    let v = r;
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (!top) {
        this.reply = v;
        return;
      }
      top.items.push(v);
      if (top.items.length < top.n) return;
      this.stack.pop();
      v = top.items;
    }
  }

  /** The shared script rules (src/server/script-call.ts) with this call's permissions and WASM wording. */
  private policy: ScriptCallPolicy | null = null;

  /** Run a command for the guest: deny list, permissions, undo log, then the normal call path. */
  runCommand(args: string[]): Reply {
    this.policy ??= {
      extraDenied: wasmDenied,
      sameDbOnly: true,
      readonly: this.readonly,
      canWrite: this.fn.perms.has('WRITE'),
      canRead: this.fn.perms.has('READ'),
      canAdmin: this.fn.perms.has('ADMIN'),
      aclContext: 'module',
      refuse: wasmRefusal,
      deniedMemo: new Map(),
    };
    return runScriptCommand(this.server, this.client, args, this.policy, this.undo);
  }
}

function wasmRefusal(kind: Refusal, cmd: Command | null, detail: ReplyError | null): ReplyError {
  const name = cmd?.fullName ?? '';
  switch (kind) {
    case 'unknown':
    case 'arity':
    case 'oom':
    case 'repl':
      return detail!;
    case 'denied':
      throw new WasmError('permission', `command '${name}' is not allowed from a WASM function${detail ? `: ${detail.message}` : ''}`);
    case 'readonly':
      throw new WasmError('permission', `write command '${name}' is not allowed in WASM.CALL_RO`);
    case 'no-write':
      throw new WasmError('permission', `write command '${name}' needs the WRITE permission`);
    case 'no-admin':
      throw new WasmError('permission', `admin command '${name}' needs the ADMIN permission`);
    case 'no-read':
      throw new WasmError('permission', `command '${name}' reads keys and needs the READ permission`);
    case 'acl':
      // The caller's ACL bounds the function: a module permission never widens it.
      throw new WasmError('permission', `${detail!.message.replace('The user executing the script', 'the user calling the function')} ('${name}')`);
  }
}

const EMPTY_BUF = Buffer.alloc(0);

/** Whether guest bytes [p, p+l) are the latin1 string s. */
function sameBytes(b: Buffer, p: number, l: number, s: string): boolean {
  if (s.length !== l) return false;
  for (let j = 0; j < l; j++) if (b[p + j] !== s.charCodeAt(j)) return false;
  return true;
}

/** Per-instance link between the guest's imports and the current call. */
export class HostBinding {
  ctx: CallContext | null = null;
  private mem_: WebAssembly.Memory | null = null;
  get memory(): WebAssembly.Memory | null {
    return this.mem_;
  }
  set memory(m: WebAssembly.Memory | null) {
    if (m !== this.mem_) {
      this.mem_ = m;
      this.memAB = null;
      this.memBuf = EMPTY_BUF;
    }
  }
  private parser = new RequestParser({ maxBulkLen: 512 * 1024 * 1024, unauthenticated: false });

  /** `fnName` and `log` serve the imports that may run outside a call (a start function's trace). */
  constructor(
    private readonly fnName = '',
    private readonly log: () => Logger | null = () => null,
  ) {}

  /**
   * An AssemblyScript string (UTF-16; its byte length in the 4 bytes before `ptr`), bounds-checked,
   * for env.abort / env.trace. A null pointer is "null"; a bad one is a guest fault.
   */
  private asString(fn: string, ptr: number): string {
    const p = ptr >>> 0;
    if (p === 0) return 'null';
    if (p < 4) throw new HostTrap(fn, `pointer out of bounds (ptr=${p})`);
    const head = this.view(fn, p - 4, 4);
    const len = Buffer.from(head.buffer, head.byteOffset, 4).readUInt32LE(0) & ~1;
    const v = this.view(fn, p, Math.min(len, 64 * 1024)); // a message is cut at 32K characters
    return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('utf16le');
  }

  private current(fn: string, heavy = false): CallContext {
    if (!this.ctx) throw new HostTrap(fn, 'called outside of a function call (e.g. from the start function)');
    this.ctx.hostCalls++;
    // BUG FIX: the wall clock was only checked when the guest's fuel slice ran out (refill), and
    // host calls cost no fuel, so a guest looping over an expensive host call (e.g. `call` KEYS *
    // on a large keyspace) used little fuel per iteration and ran far past max_duration_ms.
    // Only host functions that can do unbounded work ("heavy") read the clock; a loop over cheap
    // ones (key_len, reply_*) spends fuel, and fuel refills check the clock.
    // Read every 4th heavy call: the time between two reads is bounded by four such calls.
    if (heavy && (++this.heavyCalls & 3) === 0 && performance.now() > this.ctx.deadline) {
      throw new WasmError('timeout', `timed out (max_duration_ms ${this.ctx.maxDurationMs})`);
    }
    return this.ctx;
  }

  /** The context reused by every call on this instance (executor.runCall resets it). */
  reusable: CallContext | null = null;

  /** A Buffer over the whole of guest memory, remade only when memory grows (its buffer changes). */
  private memAB: ArrayBuffer | null = null;
  private memBuf: Buffer = EMPTY_BUF;

  /**
   * Guest memory as a Buffer (cached: no allocation per host call, and no read of memory.buffer,
   * an engine call, while the cached one is attached: growing a memory detaches its old buffer,
   * whose views then have length 0, so a grown memory is noticed here without asking).
   */
  buf(fn: string): Buffer {
    if (this.memBuf.length !== 0) return this.memBuf;
    const m = this.memory;
    if (!m) throw new HostTrap(fn, 'the module has no memory');
    const ab = m.buffer;
    if (ab !== this.memAB) {
      this.memAB = ab;
      this.memBuf = Buffer.from(ab);
    }
    return this.memBuf;
  }

  private mem(fn: string): Uint8Array {
    return this.buf(fn);
  }

  /** Check that [ptr, ptr+len) lies in guest memory; returns ptr as an unsigned offset. */
  private check(fn: string, b: Buffer, ptr: number, len: number): number {
    const p = ptr >>> 0;
    const l = len >>> 0;
    if (p + l > b.length) throw new HostTrap(fn, `pointer out of bounds (ptr=${p}, len=${l}, memory=${b.length} bytes)`);
    return p;
  }

  /**
   * The `cmd` fast path's payload: copy up to cap bytes of `src` to dst, keep it as the result
   * buffer (result_read gets the rest when it did not fit), write its full length to out.
   */
  private payload(b: Buffer, ctx: CallContext, src: string | Buffer, dst: number, cap: number, out: number): void {
    const len = src.length;
    const n = len < cap ? len : cap;
    this.charge(len);
    if (n > 0) {
      if (typeof src === 'string') writeLatin1(b, dst, src, n);
      else src.copy(b, dst, 0, n);
    }
    ctx.result = src;
    b.writeUInt32LE(len, out);
    b.writeUInt32LE(0, out + 4);
  }

  /**
   * Command names a guest sent through `cmd`, as strings: a guest runs the same few commands over
   * and over, so its name bytes are compared with these (a few byte compares) instead of making a
   * new string per command — and the string found already has its hash for the table lookup.
   */
  private readonly names: string[] = [];

  private commandName(b: Buffer, p: number, l: number): string {
    const names = this.names;
    if (l <= 24) {
      for (let k = 0; k < names.length; k++) if (sameBytes(b, p, l, names[k])) return names[k];
    }
    const s = readLatin1(b, p, p + l);
    if (l <= 24 && names.length < 16) names.push(s);
    return s;
  }

  /**
   * A command argument: the call's own KEYS or ARGS string when the bytes are one of them (guests
   * mostly pass their keys on), else a new string. The call's strings are made once per call and
   * keep their hash across the commands that use them.
   */
  private argString(ctx: CallContext, b: Buffer, p: number, l: number): string {
    if (l <= 128) {
      const keys = ctx.keys;
      for (let k = 0; k < keys.length && k < 8; k++) if (sameBytes(b, p, l, keys[k])) return keys[k];
      const args = ctx.args;
      for (let k = 0; k < args.length && k < 8; k++) if (sameBytes(b, p, l, args[k])) return args[k];
    }
    return readLatin1(b, p, p + l);
  }

  /** Heavy host calls made (the clock is read on every 4th). */
  private heavyCalls = 0;

  /** Bytes host functions touched since the wall clock was last read in this call. */
  private hostBytes = 0;

  /**
   * Count `bytes` of host work (copying, decoding). Host functions cost the guest little fuel, so
   * a loop over one that copies a lot (log, result_read, reply_bulk, fd_write …) would otherwise
   * go a long time between two reads of the clock: every 1 MB of host work reads it here.
   */
  private charge(bytes: number): void {
    this.hostBytes += bytes;
    if (this.hostBytes < 1 << 20) return;
    this.hostBytes = 0;
    const ctx = this.ctx;
    if (ctx && performance.now() > ctx.deadline) throw new WasmError('timeout', `timed out (max_duration_ms ${ctx.maxDurationMs})`);
    if (terminationRequested()) throw new WasmError('timeout', 'stopped: the server is shutting down');
  }

  /** A checked view of guest memory [ptr, ptr+len); `charged` bytes are charged as host work. */
  view(fn: string, ptr: number, len: number, charged = true): Uint8Array {
    const m = this.mem(fn);
    const p = ptr >>> 0;
    const l = len >>> 0;
    if (p + l > m.length) {
      throw new HostTrap(fn, `pointer out of bounds (ptr=${p}, len=${l}, memory=${m.length} bytes)`);
    }
    if (charged) this.charge(l);
    return m.subarray(p, p + l);
  }

  /** Guest bytes as a command argument (bounds-checked; the call's own string if they are one: argString). */
  private argStr(fn: string, ctx: CallContext, ptr: number, len: number): string {
    const b = this.buf(fn);
    const p = this.check(fn, b, ptr, len);
    const l = len >>> 0;
    this.charge(l);
    return this.argString(ctx, b, p, l);
  }

  /** Guest bytes as a latin1 string (keys, values, commands). */
  str(fn: string, ptr: number, len: number): string {
    const b = this.buf(fn);
    const p = this.check(fn, b, ptr, len);
    const l = len >>> 0;
    this.charge(l);
    return readLatin1(b, p, p + l);
  }

  /**
   * Copy bytes into guest memory at dst (at most cap bytes); returns the full length. The whole
   * buffer [dst, dst+cap) must lie in memory, as docs/ABI.md says of every pointer/length pair —
   * whatever the data's length: a negative (as u32: huge) or oversized cap is refused even when
   * the data would fit.
   */
  private copyOut(fn: string, src: string | Buffer, dst: number, cap: number): number {
    const len = src.length;
    const whole = this.view(fn, dst, cap, false);
    const n = Math.min(len, whole.length);
    this.charge(n);
    if (n > 0) {
      const v = whole;
      const out = Buffer.from(v.buffer, v.byteOffset, n);
      if (typeof src === 'string') out.latin1Write(src, 0, n);
      else src.copy(out, 0, 0, n);
    }
    return len;
  }

  /** The import object for one instance (resolved once; reads the current call through `this`). */
  imports(meterModule: string, meter: WebAssembly.ModuleImports): WebAssembly.Imports {
    const h: WebAssembly.ModuleImports = {
      key_count: () => this.current('key_count').keys.length,
      key_len: (i: number) => {
        const k = this.current('key_len').keys[i];
        return k === undefined ? -1 : k.length;
      },
      key_read: (i: number, dst: number, cap: number) => {
        const k = this.current('key_read').keys[i];
        this.view('key_read', dst, cap, false); // the buffer is checked whatever i is
        return k === undefined ? -1 : this.copyOut('key_read', k, dst, cap);
      },
      arg_count: () => this.current('arg_count').args.length,
      arg_len: (i: number) => {
        const a = this.current('arg_len').args[i];
        return a === undefined ? -1 : a.length;
      },
      arg_read: (i: number, dst: number, cap: number) => {
        const a = this.current('arg_read').args[i];
        this.view('arg_read', dst, cap, false); // the buffer is checked whatever i is
        return a === undefined ? -1 : this.copyOut('arg_read', a, dst, cap);
      },
      get_key: (kp: number, kl: number) => {
        const ctx = this.current('get_key', true);
        if (!ctx.fn.perms.has('READ')) throw new WasmError('permission', 'get_key needs the READ permission');
        const key = this.argStr('get_key', ctx, kp, kl);
        const user = ctx.client.user;
        if (!user.unrestricted && !user.checkKey(key, PERM_READ)) {
          ctx.server.acl.addLog(DENIED_KEY, 'module', key, user.name, clientInfoLine(ctx.client));
          throw new WasmError('permission', `the user calling the function can't access at least one of the keys mentioned in the command arguments ('get_key')`);
        }
        const v = ctx.server.dbs[ctx.client.db].get(key);
        if (v === undefined) {
          ctx.result = null;
          return -1;
        }
        if (v instanceof BigString) {
          ctx.result = v.bytes(); // stable: a later write copies first
          return v.length;
        }
        if (typeof v !== 'string') {
          ctx.result = null;
          return -2;
        }
        ctx.result = v; // copied out as latin1 by result_read
        return v.length;
      },
      set_key: (kp: number, kl: number, vp: number, vl: number) => {
        const ctx = this.current('set_key', true);
        const r = ctx.runCommand(['SET', this.argStr('set_key', ctx, kp, kl), this.argStr('set_key', ctx, vp, vl)]);
        return r instanceof ReplyError ? -1 : 0;
      },
      del_key: (kp: number, kl: number) => {
        const ctx = this.current('del_key', true);
        const r = ctx.runCommand(['DEL', this.argStr('del_key', ctx, kp, kl)]);
        return typeof r === 'number' ? r : -1;
      },
      call: (cp: number, cl: number) => {
        const ctx = this.current('call', true);
        const bytes = Buffer.from(this.view('call', cp, cl)); // copy: the guest may reuse its buffer
        let argv: string[] | null = null;
        let count = 0;
        let big = false;
        try {
          this.parser.feed(bytes, (a) => {
            count++;
            argv = a;
            // An argument too long for a JS string arrives as a placeholder (parser.ts): refuse it
            // rather than let a command take the placeholder for data.
            if (this.parser.bigArgs !== null) big = true;
          });
        } catch (e) {
          this.resetParser();
          throw new HostTrap('call', `malformed command: ${(e as Error).message}`);
        }
        if (count !== 1 || this.parser.pending !== 0) {
          this.resetParser();
          throw new HostTrap('call', 'the buffer must hold exactly one complete RESP command');
        }
        if (big) throw new HostTrap('call', 'argument too long (longer than a string can be)');
        const reply = ctx.runCommand(argv!);
        ctx.result = encodeReply(reply, 2);
        this.charge(ctx.result.length);
        return ctx.result.length;
      },
      cmd: (argv: number, argc: number, dst: number, cap: number, out: number) => {
        const ctx = this.current('cmd', true);
        const b = this.buf('cmd');
        const n = argc >>> 0;
        if (n === 0 || n > 1 << 20) throw new HostTrap('cmd', `argc must be 1 to ${1 << 20} (got ${n})`);
        let pa = this.check('cmd', b, argv, n * 8);
        const d = this.check('cmd', b, dst, cap);
        const o = this.check('cmd', b, out, 8);
        // A fresh argv per command (it is the command's own data: the AOF capture, the slow log and
        // MONITOR may keep it); the strings are read straight out of guest memory.
        const args = new Array<string>(n);
        for (let i = 0; i < n; i++, pa += 8) {
          const p = b.readUInt32LE(pa);
          const l = b.readUInt32LE(pa + 4);
          if (p + l > b.length) throw new HostTrap('cmd', `argument ${i} out of bounds (ptr=${p}, len=${l}, memory=${b.length} bytes)`);
          this.charge(l);
          args[i] = i === 0 ? this.commandName(b, p, l) : this.argString(ctx, b, p, l);
        }
        const r = ctx.runCommand(args);
        // The command may have grown nothing in guest memory, but a refusal may have thrown; the
        // Buffer is the same one (guest memory only grows from guest code).
        if (typeof r === 'number') {
          if (Number.isInteger(r)) {
            const hi = Math.floor(r / 4294967296);
            b.writeUInt32LE(r - hi * 4294967296, o);
            b.writeInt32LE(hi, o + 4);
            ctx.result = null;
            return CMD_INT;
          }
        } else if (typeof r === 'string') {
          this.payload(b, ctx, r, d, cap >>> 0, o);
          return CMD_BULK;
        } else if (r === null) {
          ctx.result = null;
          b.writeUInt32LE(0, o);
          b.writeUInt32LE(0, o + 4);
          return CMD_NIL;
        } else if (r instanceof Status) {
          this.payload(b, ctx, r.text, d, cap >>> 0, o);
          return CMD_STATUS;
        } else if (r instanceof ReplyError) {
          this.payload(b, ctx, r.wire, d, cap >>> 0, o);
          return CMD_ERROR;
        } else if (Buffer.isBuffer(r)) {
          this.payload(b, ctx, r, d, cap >>> 0, o);
          return CMD_BULK;
        } else if (typeof r === 'bigint') {
          b.writeBigInt64LE(r, o);
          ctx.result = null;
          return CMD_INT;
        }
        // Arrays, maps, doubles …: their RESP2 encoding, as `call` returns it.
        this.payload(b, ctx, encodeReply(r, 2), d, cap >>> 0, o);
        return CMD_RESP;
      },
      result_read: (dst: number, cap: number) => {
        const ctx = this.current('result_read');
        this.view('result_read', dst, cap, false); // the buffer is checked even when there is no result
        if (!ctx.result) return -1;
        return this.copyOut('result_read', ctx.result, dst, cap);
      },
      log: (level: number, p: number, l: number) => {
        const ctx = this.current('log');
        const msg = Buffer.from(this.view('log', p, l)).toString('utf8');
        const log = ctx.server.log;
        const fields = { wasm: ctx.fn.name };
        if (level <= 0) log.debug(fields, msg);
        else if (level === 1) log.info(fields, msg);
        else if (level === 2) log.warn(fields, msg);
        else log.error(fields, msg);
      },
      now_ms: () => {
        this.current('now_ms');
        return BigInt(Date.now());
      },
      reply_int: (v: bigint) => {
        const n = Number(v);
        const ctx = this.current('reply_int');
        ctx.chargeReply('reply_int', 24);
        ctx.addReply('reply_int', Number.isSafeInteger(n) ? n : v);
      },
      reply_bulk: (p: number, l: number) => {
        const ctx = this.current('reply_bulk');
        this.view('reply_bulk', p, l, false); // bounds first: a bad pointer is reported as such
        ctx.chargeReply('reply_bulk', (l >>> 0) + 16);
        ctx.addReply('reply_bulk', this.str('reply_bulk', p, l));
      },
      reply_status: (p: number, l: number) => {
        const ctx = this.current('reply_status');
        this.view('reply_status', p, l, false); // bounds first: a bad pointer is reported as such
        ctx.chargeReply('reply_status', (l >>> 0) + 3);
        const s = this.str('reply_status', p, l);
        if (/[\r\n]/.test(s)) throw new HostTrap('reply_status', 'status text contains CR or LF');
        ctx.addReply('reply_status', new Status(s));
      },
      reply_error: (p: number, l: number) => {
        const ctx = this.current('reply_error');
        this.view('reply_error', p, l, false); // bounds first: a bad pointer is reported as such
        ctx.chargeReply('reply_error', (l >>> 0) + 3);
        const s = this.str('reply_error', p, l).replace(/[\r\n]+/g, ' ');
        const e = /^[A-Z][A-Z0-9_]+ /.test(s) ? ReplyError.fromWire(s) : new ReplyError('ERR', s);
        ctx.addReply('reply_error', e);
      },
      reply_nil: () => {
        const ctx = this.current('reply_nil');
        ctx.chargeReply('reply_nil', 5);
        ctx.addReply('reply_nil', null);
      },
      reply_array: (n: number) => {
        const ctx = this.current('reply_array');
        ctx.chargeReply('reply_array', 16);
        if (n < 0) return ctx.addReply('reply_array', NIL_ARRAY);
        if (n === 0) return ctx.addReply('reply_array', []);
        if (ctx.reply !== undefined && ctx.stack.length === 0) throw new HostTrap('reply_array', 'the reply is already complete');
        if (ctx.stack.length >= 64) throw new HostTrap('reply_array', 'arrays nested deeper than 64');
        ctx.stack.push({ items: [], n });
      },
      reply_raw: (p: number, l: number) => {
        const ctx = this.current('reply_raw');
        this.view('reply_raw', p, l, false);
        ctx.chargeReply('reply_raw', l >>> 0);
        let r: Reply;
        try {
          r = decodeReply(Buffer.from(this.view('reply_raw', p, l)));
        } catch (e) {
          if (e instanceof ReplyDecodeError) throw new HostTrap('reply_raw', `invalid RESP: ${e.message}`);
          throw e;
        }
        ctx.addReply('reply_raw', r);
      },
    };
    const wasi: WebAssembly.ModuleImports = {
      fd_write: (fd: number, iovs: number, iovsLen: number, nwritten: number) => {
        // stdout/stderr go to the log; other descriptors are not capabilities we grant.
        const ctx = this.current('fd_write');
        if (fd !== 1 && fd !== 2) return 8; // EBADF
        const m = this.mem('fd_write');
        const dv = new DataView(m.buffer);
        let total = 0;
        let text = '';
        for (let i = 0; i < iovsLen; i++) {
          const base = (iovs >>> 0) + i * 8;
          this.view('fd_write', base, 8);
          const ptr = dv.getUint32(base, true);
          const len = dv.getUint32(base + 4, true);
          text += Buffer.from(this.view('fd_write', ptr, len)).toString('utf8');
          total += len;
        }
        this.view('fd_write', nwritten, 4);
        dv.setUint32(nwritten >>> 0, total, true);
        ctx.server.log.info({ wasm: ctx.fn.name, fd }, text.replace(/\n$/, ''));
        return 0;
      },
      proc_exit: (code: number) => {
        throw new WasmError('trap', `guest called proc_exit(${code})`);
      },
      random_get: (buf: number, len: number) => {
        const v = this.view('random_get', buf, len);
        for (let o = 0; o < v.length; o += 65536) crypto.getRandomValues(v.subarray(o, Math.min(v.length, o + 65536)));
        return 0;
      },
      clock_time_get: (_id: number, _prec: bigint, out: number) => {
        const v = this.view('clock_time_get', out, 8);
        new DataView(v.buffer, v.byteOffset, 8).setBigUint64(0, BigInt(Date.now()) * 1_000_000n, true);
        return 0;
      },
      clock_res_get: (_id: number, out: number) => {
        const v = this.view('clock_res_get', out, 8);
        new DataView(v.buffer, v.byteOffset, 8).setBigUint64(0, 1_000_000n, true);
        return 0;
      },
      environ_get: () => 0,
      environ_sizes_get: (a: number, b: number) => this.zero2('environ_sizes_get', a, b),
      args_get: () => 0,
      args_sizes_get: (a: number, b: number) => this.zero2('args_sizes_get', a, b),
      sched_yield: () => 0,
      fd_fdstat_get: () => 8,
      fd_close: () => 8,
      fd_seek: () => 8,
      fd_prestat_get: () => 8, // EBADF: no preopened directories
      fd_prestat_dir_name: () => 8,
    };
    // AssemblyScript's runtime imports (docs/ABI.md "Other"), supplied here rather than by a loader:
    // abort is a guest fault with the message, trace goes to the server's JSON log like `log`.
    const env: WebAssembly.ModuleImports = {
      abort: (msg: number, file: number, line: number, col: number) => {
        throw new WasmError('abort', `abort: ${this.asString('abort', msg)} at ${this.asString('abort', file)}:${line >>> 0}:${col >>> 0}`);
      },
      trace: (msg: number, n: number, ...vals: number[]) => {
        const text = `trace: ${this.asString('trace', msg)}${n > 0 ? ' ' + vals.slice(0, Math.min(n, 5)).join(', ') : ''}`;
        const log = this.ctx?.server.log ?? this.log();
        log?.info({ wasm: this.ctx?.fn.name ?? this.fnName }, text);
      },
      seed: () => Date.now(),
    };
    return {
      [HOST_MODULE]: h,
      [meterModule]: meter,
      env,
      // Only the harmless subset: a module importing any other WASI call is refused at load.
      wasi_snapshot_preview1: wasi,
      wasi_unstable: wasi,
    };
  }

  private zero2(fn: string, a: number, b: number): number {
    const va = this.view(fn, a, 4);
    const vb = this.view(fn, b, 4);
    va.fill(0);
    vb.fill(0);
    return 0;
  }

  private resetParser(): void {
    this.parser = new RequestParser({ maxBulkLen: 512 * 1024 * 1024, unauthenticated: false });
  }
}
