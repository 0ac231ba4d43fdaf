// Lodestone AssemblyScript SDK — sugar over the guest ABI v1 (docs/ABI.md is the contract).
//
// Import what you need and export your entry points from your own file:
//
//   import { key, argInt, callInt, replyInt } from "../sdk/lodestone";
//   export { lodestone_alloc, lodestone_abi_version } from "../sdk/lodestone";
//
//   export function main(): i64 {              // WASM.CALL hits KEYS k ARGS 5
//     return callInt(["INCRBY", key(0), argInt(0).toString()]);
//   }
//
// What is here:
//
//   input      keyCount() key(i) keyBytes(i)  argCount() arg(i) argBytes(i) argInt(i)
//              readFrame(ptr, len) -> Frame   for ADR-0009 style `main(ptr, len)` entry points
//   data       get(key) getBytes(key)  set(key, value) setBytes(key, value)  del(key) delBytes(key)
//              call(["CMD", ...]) -> Reply    callBytes([...]) callRaw([...])  callInt([...])
//   replies    replyInt replyBulk replyBulkBytes replyStatus replyError replyNil replyArray replyRaw
//   other      log(level, msg) nowMs()
//   exports    lodestone_alloc (needed by `(ptr, len)` entry points), lodestone_abi_version
//
// Strings are UTF-8 on the wire (String.UTF8); use the *Bytes variants for binary-safe data.
// Only the host functions a module actually uses end up as imports (asc drops unused ones), so a
// function that never writes loads with PERMISSIONS READ.
//
// Failing: `abort()` / `throw` (and the SDK's own checks: argInt on a non-integer, callInt on an
// error reply, get on a non-string) fail the whole call — the client gets
// `ERR wasm function 'f' failed: abort: <message> ...` and every write of the call is rolled back.
// To answer with an error but keep the call "successful", use replyError.

// ---------------------------------------------------------------------------------------------
// Raw host imports (module "lodestone", ABI v1). Exported for code that wants the bare ABI.

// @ts-ignore: decorator
@external("lodestone", "key_count") export declare function host_key_count(): i32;
// @ts-ignore: decorator
@external("lodestone", "key_len") export declare function host_key_len(i: i32): i32;
// @ts-ignore: decorator
@external("lodestone", "key_read") export declare function host_key_read(i: i32, dst: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("lodestone", "arg_count") export declare function host_arg_count(): i32;
// @ts-ignore: decorator
@external("lodestone", "arg_len") export declare function host_arg_len(i: i32): i32;
// @ts-ignore: decorator
@external("lodestone", "arg_read") export declare function host_arg_read(i: i32, dst: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("lodestone", "get_key") export declare function host_get_key(key: usize, klen: i32): i32;
// @ts-ignore: decorator
@external("lodestone", "set_key") export declare function host_set_key(key: usize, klen: i32, val: usize, vlen: i32): i32;
// @ts-ignore: decorator
@external("lodestone", "del_key") export declare function host_del_key(key: usize, klen: i32): i32;
// @ts-ignore: decorator
@external("lodestone", "call") export declare function host_call(cmd: usize, len: i32): i32;
// @ts-ignore: decorator
@external("lodestone", "result_read") export declare function host_result_read(dst: usize, cap: i32): i32;
// @ts-ignore: decorator
@external("lodestone", "log") export declare function host_log(level: i32, msg: usize, len: i32): void;
// @ts-ignore: decorator
@external("lodestone", "now_ms") export declare function host_now_ms(): i64;
// @ts-ignore: decorator
@external("lodestone", "reply_int") export declare function host_reply_int(v: i64): void;
// @ts-ignore: decorator
@external("lodestone", "reply_bulk") export declare function host_reply_bulk(ptr: usize, len: i32): void;
// @ts-ignore: decorator
@external("lodestone", "reply_status") export declare function host_reply_status(ptr: usize, len: i32): void;
// @ts-ignore: decorator
@external("lodestone", "reply_error") export declare function host_reply_error(ptr: usize, len: i32): void;
// @ts-ignore: decorator
@external("lodestone", "reply_nil") export declare function host_reply_nil(): void;
// @ts-ignore: decorator
@external("lodestone", "reply_array") export declare function host_reply_array(n: i32): void;
// @ts-ignore: decorator
@external("lodestone", "reply_raw") export declare function host_reply_raw(ptr: usize, len: i32): void;

// ---------------------------------------------------------------------------------------------
// Helpers

// @ts-ignore: decorator
@inline function ptr(b: ArrayBuffer): usize {
  return changetype<usize>(b);
}

// Keys, command names and numbers are nearly always ASCII: these take a tight loop for ASCII and
// fall back to the general UTF-8 codec otherwise (fuel is metered per instruction, and the general
// codec's loop is several times larger).

/** UTF-8 bytes of a string (no terminator). */
export function utf8(s: string): ArrayBuffer {
  const n = s.length;
  const src = changetype<usize>(s);
  for (let i = 0; i < n; i++) {
    if (load<u16>(src + (<usize>i << 1)) >= 0x80) return String.UTF8.encode(s);
  }
  const b = new ArrayBuffer(n);
  const dst = changetype<usize>(b);
  for (let i = 0; i < n; i++) store<u8>(dst + i, <u8>load<u16>(src + (<usize>i << 1)));
  return b;
}

/** A string from `len` UTF-8 bytes at `p` (invalid sequences become U+FFFD). */
export function strAt(p: usize, len: i32): string {
  for (let i = 0; i < len; i++) {
    if (load<u8>(p + i) >= 0x80) return String.UTF8.decodeUnsafe(p, <usize>len);
  }
  const s = changetype<string>(__new(<usize>len << 1, idof<string>()));
  const dst = changetype<usize>(s);
  for (let i = 0; i < len; i++) store<u16>(dst + (<usize>i << 1), <u16>load<u8>(p + i));
  return s;
}

/** A string from UTF-8 bytes. */
export function str(b: ArrayBuffer): string {
  return strAt(changetype<usize>(b), b.byteLength);
}

/** Parse a base-10 signed 64-bit integer; aborts unless the whole text is one. */
export function parseI64(s: string, what: string = "value"): i64 {
  const n = s.length;
  let i = 0;
  let neg = false;
  if (n > 0 && (s.charCodeAt(0) == 45 || s.charCodeAt(0) == 43)) {
    neg = s.charCodeAt(0) == 45;
    i = 1;
  }
  if (i >= n || n - i > 19) abort(what + " is not an integer: " + s);
  let v: i64 = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9 || v > (i64.MAX_VALUE - c) / 10) abort(what + " is not an integer: " + s);
    v = v * 10 + <i64>c;
  }
  return neg ? -v : v;
}

// ---------------------------------------------------------------------------------------------
// Input: KEYS and ARGS (through the host; works for every entry point signature)

export function keyCount(): i32 {
  return host_key_count();
}

/** KEYS[i] as raw bytes; aborts if out of range. */
export function keyBytes(i: i32): ArrayBuffer {
  const n = host_key_len(i);
  if (n < 0) abort("KEYS[" + i.toString() + "] is out of range");
  const b = new ArrayBuffer(n);
  host_key_read(i, ptr(b), n);
  return b;
}

/** KEYS[i] as a (UTF-8 decoded) string. */
export function key(i: i32): string {
  return str(keyBytes(i));
}

export function argCount(): i32 {
  return host_arg_count();
}

/** ARGS[i] as raw bytes; aborts if out of range. */
export function argBytes(i: i32): ArrayBuffer {
  const n = host_arg_len(i);
  if (n < 0) abort("ARGS[" + i.toString() + "] is out of range");
  const b = new ArrayBuffer(n);
  host_arg_read(i, ptr(b), n);
  return b;
}

/** ARGS[i] as a (UTF-8 decoded) string. */
export function arg(i: i32): string {
  return str(argBytes(i));
}

/** ARGS[i] as an integer; aborts if it is not one. */
export function argInt(i: i32): i64 {
  const n = host_arg_len(i);
  if (n < 0) abort("ARGS[" + i.toString() + "] is out of range");
  if (n > 20) return parseI64(arg(i), "ARGS[" + i.toString() + "]"); // aborts with the message
  // Parse in place in the (idle) reply scratch buffer: no allocation.
  const p = ptr(resBuf());
  host_arg_read(i, p, n);
  let q: i32 = 0;
  const neg = n > 0 && load<u8>(p) == 45;
  if (neg || (n > 0 && load<u8>(p) == 43)) q = 1;
  let v: i64 = 0;
  let ok = q < n && n - q <= 19;
  for (; ok && q < n; q++) {
    const d = <i32>load<u8>(p + <usize>q) - 48;
    if (d < 0 || d > 9 || v > (i64.MAX_VALUE - d) / 10) ok = false;
    else v = v * 10 + <i64>d;
  }
  if (!ok) abort("ARGS[" + i.toString() + "] is not an integer: " + strAt(p, n));
  return neg ? -v : v;
}

// ---------------------------------------------------------------------------------------------
// The call frame of `main(ptr: i32, len: i32)` entry points:
//   u32 nkeys, nkeys × (u32 len, bytes), u32 nargs, nargs × (u32 len, bytes)   (little-endian)

export class Frame {
  keys: ArrayBuffer[] = [];
  args: ArrayBuffer[] = [];

  get keyCount(): i32 { return this.keys.length; }
  get argCount(): i32 { return this.args.length; }
  keyBytes(i: i32): ArrayBuffer { return this.keys[i]; }
  argBytes(i: i32): ArrayBuffer { return this.args[i]; }
  key(i: i32): string { return str(this.keys[i]); }
  arg(i: i32): string { return str(this.args[i]); }
  argInt(i: i32): i64 { return parseI64(this.arg(i), "ARGS[" + i.toString() + "]"); }
}

function readList(p: usize, end: usize, out: ArrayBuffer[]): usize {
  if (p + 4 > end) abort("malformed call frame");
  const n = load<u32>(p);
  p += 4;
  for (let i: u32 = 0; i < n; i++) {
    if (p + 4 > end) abort("malformed call frame");
    const len = load<u32>(p);
    p += 4;
    if (<u64>p + <u64>len > <u64>end) abort("malformed call frame");
    const b = new ArrayBuffer(<i32>len);
    memory.copy(ptr(b), p, len);
    out.push(b);
    p += len;
  }
  return p;
}

/** Parse the call frame the host wrote at `ptr` (see lodestone_alloc). */
export function readFrame(p: i32, len: i32): Frame {
  const f = new Frame();
  const start = <usize>p;
  const end = start + <usize>len;
  readList(readList(start, end, f.keys), end, f.args);
  return f;
}

// The frame buffer is plain (non-GC) heap memory, reused from call to call.
let frameBuf: usize = 0;
let frameCap: i32 = 0;

/** The allocator the host calls before a `(ptr, len)` entry point. Re-export it from your module. */
export function lodestone_alloc(size: i32): usize {
  if (size > frameCap) {
    if (frameBuf) heap.free(frameBuf);
    frameCap = size < 256 ? 256 : size;
    frameBuf = heap.alloc(<usize>frameCap);
  }
  return frameBuf;
}

/** ABI version this SDK implements. Re-export it from your module (optional). */
export function lodestone_abi_version(): i32 {
  return 1;
}

// ---------------------------------------------------------------------------------------------
// Data access

/** Copy the call's result buffer out (after get_key). */
function readResult(n: i32): ArrayBuffer {
  const b = new ArrayBuffer(n);
  if (n > 0) host_result_read(ptr(b), n);
  return b;
}

/** GET as bytes: null if the key does not exist; aborts with WRONGTYPE if it is not a string. */
export function getBytes(k: ArrayBuffer): ArrayBuffer | null {
  const n = host_get_key(ptr(k), k.byteLength);
  if (n == -1) return null;
  if (n == -2) abort("WRONGTYPE Operation against a key holding the wrong kind of value");
  return readResult(n);
}

/** GET as a string (needs READ): null if the key does not exist. */
export function get(k: string): string | null {
  const b = getBytes(utf8(k));
  return b === null ? null : str(b);
}

/** SET key value (needs WRITE). */
export function setBytes(k: ArrayBuffer, v: ArrayBuffer): void {
  if (host_set_key(ptr(k), k.byteLength, ptr(v), v.byteLength) != 0) abort("set_key failed");
}

export function set(k: string, v: string): void {
  setBytes(utf8(k), utf8(v));
}

/** DEL key (needs WRITE): true if the key existed. */
export function delBytes(k: ArrayBuffer): bool {
  return host_del_key(ptr(k), k.byteLength) == 1;
}

export function del(k: string): bool {
  return delBytes(utf8(k));
}

// Commands are built in, and replies read into, scratch buffers reused from call to call, so a
// `call` allocates nothing but what it returns (fewer allocations = less GC work = less fuel).
// Allocated on first use, so instantiating a module (its start function) allocates nothing.
let cmdBuf_: ArrayBuffer | null = null;
let resBuf_: ArrayBuffer | null = null;

function cmdBuf(): ArrayBuffer {
  let b = cmdBuf_;
  if (b === null) cmdBuf_ = b = new ArrayBuffer(256);
  return b;
}

function resBuf(): ArrayBuffer {
  let b = resBuf_;
  if (b === null) resBuf_ = b = new ArrayBuffer(256);
  return b;
}

/** Make room for n bytes at offset `at` of the command buffer (keeping what is before). */
function cmdReserve(at: i32, n: i32): usize {
  const need = at + n;
  let b = cmdBuf();
  if (need > b.byteLength) {
    let cap = b.byteLength << 1;
    if (cap < need) cap = need;
    const nb = new ArrayBuffer(cap);
    memory.copy(ptr(nb), ptr(b), <usize>at);
    cmdBuf_ = b = nb;
  }
  return ptr(b) + <usize>at;
}

/** Write "<c><n>\r\n" (a RESP header) at `at`; returns the new offset. */
function cmdHeader(at: i32, c: i32, n: i32): i32 {
  let digits = 1;
  for (let t = n; t >= 10; t /= 10) digits++;
  const p = cmdReserve(at, digits + 3);
  store<u8>(p, <u8>c);
  for (let i = digits, t = n; i > 0; i--, t /= 10) store<u8>(p + <usize>i, <u8>(48 + t % 10));
  store<u16>(p + 1 + <usize>digits, 0x0a0d);
  return at + digits + 3;
}

function cmdBytes(at: i32, src: usize, n: i32): i32 {
  at = cmdHeader(at, 36, n);
  const p = cmdReserve(at, n + 2);
  memory.copy(p, src, <usize>n);
  store<u16>(p + <usize>n, 0x0a0d);
  return at + n + 2;
}

function cmdString(at: i32, s: string): i32 {
  const n = s.length;
  const src = changetype<usize>(s);
  let ascii = true;
  for (let i = 0; i < n; i++) {
    if (load<u16>(src + (<usize>i << 1)) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (!ascii) {
    const b = String.UTF8.encode(s);
    return cmdBytes(at, ptr(b), b.byteLength);
  }
  at = cmdHeader(at, 36, n);
  const p = cmdReserve(at, n + 2);
  for (let i = 0; i < n; i++) store<u8>(p + <usize>i, <u8>load<u16>(src + (<usize>i << 1)));
  store<u16>(p + <usize>n, 0x0a0d);
  return at + n + 2;
}

/** Run the command in cmdBuf[0, len); returns the reply's length, the reply is in resBuf. */
function runCommand(len: i32): i32 {
  const n = host_call(ptr(cmdBuf()), len);
  let r = resBuf();
  if (n > r.byteLength) resBuf_ = r = new ArrayBuffer(n > 2 * r.byteLength ? n : 2 * r.byteLength);
  host_result_read(ptr(r), n);
  return n;
}

function runStrings(argv: string[]): i32 {
  let at = cmdHeader(0, 42, argv.length);
  for (let i = 0; i < argv.length; i++) at = cmdString(at, argv[i]);
  return runCommand(at);
}

function runBytes(argv: ArrayBuffer[]): i32 {
  let at = cmdHeader(0, 42, argv.length);
  for (let i = 0; i < argv.length; i++) at = cmdBytes(at, ptr(argv[i]), argv[i].byteLength);
  return runCommand(at);
}

function copyResult(n: i32): ArrayBuffer {
  const b = new ArrayBuffer(n);
  memory.copy(ptr(b), ptr(resBuf()), <usize>n);
  return b;
}

/** Run a command given as byte strings; returns the raw RESP2 reply. */
export function callRawBytes(argv: ArrayBuffer[]): ArrayBuffer {
  return copyResult(runBytes(argv));
}

/** Run a command; returns its raw RESP2 reply (pass it on with replyRaw). */
export function callRaw(argv: string[]): ArrayBuffer {
  return copyResult(runStrings(argv));
}

/** Run a command given as byte strings and parse its reply. */
export function callBytes(argv: ArrayBuffer[]): Reply {
  const n = runBytes(argv);
  return new RespParser(ptr(resBuf()), n).value();
}

/** Run a command (`call(["INCR", "hits"])`) and parse its reply. Command errors come back as
 * error replies (check isError()); permission problems abort the whole call (host side). */
export function call(argv: string[]): Reply {
  const n = runStrings(argv);
  return new RespParser(ptr(resBuf()), n).value();
}

/** Run a command that replies with an integer (INCR, EXPIRE, DEL …); aborts on an error reply. */
export function callInt(argv: string[]): i64 {
  const n = runStrings(argv);
  const r = new RespParser(ptr(resBuf()), n);
  if (n > 0 && load<u8>(ptr(resBuf())) == 58) { // ':' — the common case, no Reply object
    r.p++;
    return r.int();
  }
  const v = r.value();
  if (v.isError()) abort(v.asString());
  return v.asInt();
}

// ---------------------------------------------------------------------------------------------
// Replies from `call`: RESP2 parsed into a small tree

export enum ReplyKind { Int, Bulk, Status, Error, Nil, Array }

export class Reply {
  kind: ReplyKind = ReplyKind.Nil;
  int: i64 = 0;
  /** Bulk / status / error payload. */
  data: ArrayBuffer | null = null;
  items: Reply[] | null = null;

  isError(): bool { return this.kind == ReplyKind.Error; }
  isNil(): bool { return this.kind == ReplyKind.Nil; }
  isInt(): bool { return this.kind == ReplyKind.Int; }
  isArray(): bool { return this.kind == ReplyKind.Array; }
  /** Number of elements of an array reply (0 otherwise). */
  get length(): i32 { const it = this.items; return it === null ? 0 : it.length; }
  /** Element i of an array reply. */
  at(i: i32): Reply { return this.items![i]; }

  /** Integer value: an integer reply, or a bulk/status holding one (aborts otherwise). */
  asInt(): i64 {
    if (this.kind == ReplyKind.Int) return this.int;
    if (this.kind == ReplyKind.Bulk || this.kind == ReplyKind.Status) return parseI64(this.asString(), "reply");
    abort("reply is not an integer: " + this.asString());
    return 0;
  }

  /** Text of a bulk/status/error, digits of an integer, "" for nil and arrays. */
  asString(): string {
    if (this.kind == ReplyKind.Int) return this.int.toString();
    const d = this.data;
    return d === null ? "" : str(d);
  }

  asBytes(): ArrayBuffer | null { return this.data; }
}

class RespParser {
  end: usize;
  constructor(public p: usize, len: i32) {
    this.end = p + <usize>len;
  }

  /** Find the CRLF ending the current line; returns its position. */
  eol(): usize {
    let q = this.p;
    while (q < this.end && load<u8>(q) != 13) q++;
    if (q + 1 >= this.end || load<u8>(q + 1) != 10) abort("malformed RESP reply");
    return q;
  }

  /** The rest of the line as bytes; advances past CRLF. */
  line(): ArrayBuffer {
    const q = this.eol();
    const b = new ArrayBuffer(<i32>(q - this.p));
    memory.copy(ptr(b), this.p, q - this.p);
    this.p = q + 2;
    return b;
  }

  /** The rest of the line as an integer; advances past CRLF. */
  int(): i64 {
    const q = this.eol();
    let p = this.p;
    const neg = p < q && load<u8>(p) == 45;
    if (neg) p++;
    if (p == q) abort("malformed RESP integer");
    let v: i64 = 0;
    for (; p < q; p++) {
      const d = <i32>load<u8>(p) - 48;
      if (d < 0 || d > 9) abort("malformed RESP integer");
      v = v * 10 + <i64>d;
    }
    this.p = q + 2;
    return neg ? -v : v;
  }

  value(): Reply {
    if (this.p >= this.end) abort("malformed RESP reply");
    const t = load<u8>(this.p++);
    const r = new Reply();
    if (t == 58) { // ':'
      r.kind = ReplyKind.Int;
      r.int = this.int();
    } else if (t == 43) { // '+'
      r.kind = ReplyKind.Status;
      r.data = this.line();
    } else if (t == 45) { // '-'
      r.kind = ReplyKind.Error;
      r.data = this.line();
    } else if (t == 36) { // '$'
      const n = <i32>this.int();
      if (n >= 0) {
        if (this.p + <usize>n + 2 > this.end) abort("malformed RESP reply");
        const b = new ArrayBuffer(n);
        memory.copy(ptr(b), this.p, n);
        this.p += <usize>n + 2;
        r.kind = ReplyKind.Bulk;
        r.data = b;
      }
    } else if (t == 42) { // '*'
      const n = <i32>this.int();
      if (n >= 0) {
        r.kind = ReplyKind.Array;
        const items = new Array<Reply>(n);
        for (let i = 0; i < n; i++) items[i] = this.value();
        r.items = items;
      }
    } else {
      abort("unsupported RESP type byte " + t.toString());
    }
    return r;
  }
}

/** Parse one RESP2 reply. */
export function parseReply(b: ArrayBuffer): Reply {
  return new RespParser(ptr(b), b.byteLength).value();
}

// ---------------------------------------------------------------------------------------------
// Building the function's reply (if none is built, the entry point's integer result is the reply)

export function replyInt(v: i64): void {
  host_reply_int(v);
}

export function replyBulkBytes(b: ArrayBuffer): void {
  host_reply_bulk(ptr(b), b.byteLength);
}

export function replyBulk(s: string): void {
  replyBulkBytes(utf8(s));
}

/** A status reply such as "OK" (sent as +OK). */
export function replyStatus(s: string): void {
  const b = utf8(s);
  host_reply_status(ptr(b), b.byteLength);
}

/** An error reply; "ERR " is prepended unless the text starts with an upper-case code and a space. */
export function replyError(s: string): void {
  const b = utf8(s);
  host_reply_error(ptr(b), b.byteLength);
}

export function replyNil(): void {
  host_reply_nil();
}

/** Start an array of n elements: the next n reply* calls fill it (arrays nest). */
export function replyArray(n: i32): void {
  host_reply_array(n);
}

/** One complete RESP reply, e.g. from callRaw. */
export function replyRaw(resp: ArrayBuffer): void {
  host_reply_raw(ptr(resp), resp.byteLength);
}

// ---------------------------------------------------------------------------------------------
// Other

export const LOG_DEBUG = 0;
export const LOG_INFO = 1;
export const LOG_WARN = 2;
export const LOG_ERROR = 3;

/** Write a message to the server log (level LOG_DEBUG..LOG_ERROR). */
export function log(level: i32, msg: string): void {
  const b = utf8(msg);
  host_log(level, ptr(b), b.byteLength);
}

/** Server time in milliseconds since the epoch. */
export function nowMs(): i64 {
  return host_now_ms();
}
