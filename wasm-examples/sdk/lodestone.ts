// Lodestone AssemblyScript SDK — sugar over the guest ABI v1 (docs/ABI.md is the contract).
//
// Import what you need and export your entry points from your own file:
//
//   import { key, argInt, callInt, replyInt } from "../sdk/lodestone";
//   export { lodestone_input, lodestone_alloc, lodestone_abi_version } from "../sdk/lodestone";
//
//   export function main(): i64 {              // WASM.CALL hits KEYS k ARGS 5
//     return callInt(["INCRBY", key(0), argInt(0).toString()]);
//   }
//
// What is here:
//
//   input      keyCount() key(i) keyBytes(i)  argCount() arg(i) argBytes(i) argInt(i) argPtr(i) argLen(i)
//              readFrame(ptr, len) -> Frame   for ADR-0009 style `main(ptr, len)` entry points
//   data       get(key) getBytes(key)  set(key, value) setBytes(key, value)  del(key) delBytes(key)
//              incr decr incrBy exists expire pexpire ttl pttl zadd zcard zremRangeByScore zscore
//              hget hset hincrBy publish   (typed, one `cmd` host call each, no RESP)
//              begin("CMD") pushStr/pushInt/pushScore/pushBytes/pushKey/pushArg  exec() execInt()
//              execString() execReply()   any command on the fast path, allocation-free
//              call(["CMD", ...]) -> Reply    callBytes([...]) callInt([...])  (also on `cmd`)
//              callRaw([...])  the raw RESP reply (through `call`), for replyRaw
//   replies    replyInt replyBulk replyBulkBytes replyStatus replyError replyNil replyArray replyRaw
//   other      log(level, msg) nowMs()
//   exports    lodestone_input (recommended: KEYS/ARGS pushed into memory, read with no host call),
//              lodestone_alloc (needed by `(ptr, len)` entry points), lodestone_abi_version
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
@external("lodestone", "cmd") export declare function host_cmd(argv: usize, argc: i32, dst: usize, cap: i32, out: usize): i32;
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

// When the module re-exports lodestone_input (below), the host writes the call's KEYS and ARGS
// into this module's memory before every `()` entry point runs: the input helpers then read them
// from memory with no host call. Without it they ask the host (key_len / key_read …).

let inBuf: usize = 0;      // the frame (heap memory, reused)
let inCap: i32 = 0;
let inValid = false;       // a frame was pushed for the current call
let inKeys: i32 = 0;
let inArgs: i32 = 0;
let inTab: usize = 0;      // (u32 ptr, u32 len) per key then per arg
let inTabCap: i32 = 0;

/** Called by the host before each `()` entry point: room for the len-byte call frame. Re-export it. */
export function lodestone_input(len: i32): usize {
  if (len > inCap) {
    if (inBuf) heap.free(inBuf);
    inCap = len < 256 ? 256 : len;
    inBuf = heap.alloc(<usize>inCap);
  }
  inValid = false;
  pendingLen = len;
  return inBuf;
}

let pendingLen: i32 = -1;

/** Index the pushed frame (once per call, on first use). */
function input(): bool {
  if (pendingLen < 0) return inValid;
  const end = inBuf + <usize>pendingLen;
  pendingLen = -1;
  let p = inBuf;
  const nk = load<u32>(p);
  p += 4;
  let n: i32 = 0;
  // First pass: count, for the table's size.
  let q = p;
  for (let i: u32 = 0; i < nk; i++) q += 4 + <usize>load<u32>(q);
  const na = load<u32>(q);
  const total = <i32>(nk + na);
  if (total * 8 > inTabCap) {
    if (inTab) heap.free(inTab);
    inTabCap = total * 8 < 64 ? 64 : total * 8;
    inTab = heap.alloc(<usize>inTabCap);
  }
  for (let i: u32 = 0; i < nk; i++, n++) {
    const l = load<u32>(p);
    store<u32>(inTab + (<usize>n << 3), <u32>(p + 4));
    store<u32>(inTab + (<usize>n << 3), l, 4);
    p += 4 + <usize>l;
  }
  p += 4;
  for (let i: u32 = 0; i < na; i++, n++) {
    const l = load<u32>(p);
    store<u32>(inTab + (<usize>n << 3), <u32>(p + 4));
    store<u32>(inTab + (<usize>n << 3), l, 4);
    p += 4 + <usize>l;
  }
  if (p > end) abort("malformed call frame");
  inKeys = <i32>nk;
  inArgs = <i32>na;
  inValid = true;
  return true;
}

// @ts-ignore: decorator
@inline function itemPtr(j: i32): usize { return <usize>load<u32>(inTab + (<usize>j << 3)); }
// @ts-ignore: decorator
@inline function itemLen(j: i32): i32 { return <i32>load<u32>(inTab + (<usize>j << 3), 4); }

export function keyCount(): i32 {
  if (input()) return inKeys;
  return host_key_count();
}

/** KEYS[i] as raw bytes; aborts if out of range. */
export function keyBytes(i: i32): ArrayBuffer {
  if (input()) {
    if (i < 0 || i >= inKeys) abort("KEYS[" + i.toString() + "] is out of range");
    const l = itemLen(i);
    const b = new ArrayBuffer(l);
    memory.copy(ptr(b), itemPtr(i), <usize>l);
    return b;
  }
  const n = host_key_len(i);
  if (n < 0) abort("KEYS[" + i.toString() + "] is out of range");
  const b = new ArrayBuffer(n);
  host_key_read(i, ptr(b), n);
  return b;
}

/** KEYS[i] as a (UTF-8 decoded) string. */
export function key(i: i32): string {
  if (input()) {
    if (i < 0 || i >= inKeys) abort("KEYS[" + i.toString() + "] is out of range");
    return strAt(itemPtr(i), itemLen(i));
  }
  return str(keyBytes(i));
}

export function argCount(): i32 {
  if (input()) return inArgs;
  return host_arg_count();
}

/** ARGS[i] as raw bytes; aborts if out of range. */
export function argBytes(i: i32): ArrayBuffer {
  if (input()) {
    if (i < 0 || i >= inArgs) abort("ARGS[" + i.toString() + "] is out of range");
    const l = itemLen(inKeys + i);
    const b = new ArrayBuffer(l);
    memory.copy(ptr(b), itemPtr(inKeys + i), <usize>l);
    return b;
  }
  const n = host_arg_len(i);
  if (n < 0) abort("ARGS[" + i.toString() + "] is out of range");
  const b = new ArrayBuffer(n);
  host_arg_read(i, ptr(b), n);
  return b;
}

/** ARGS[i] as a (UTF-8 decoded) string. */
export function arg(i: i32): string {
  if (input()) {
    if (i < 0 || i >= inArgs) abort("ARGS[" + i.toString() + "] is out of range");
    return strAt(itemPtr(inKeys + i), itemLen(inKeys + i));
  }
  return str(argBytes(i));
}

/** Pointer to ARGS[i]'s bytes in memory, valid for the current call (needs lodestone_input; 0 without). */
export function argPtr(i: i32): usize {
  if (!input() || i < 0 || i >= inArgs) return 0;
  return itemPtr(inKeys + i);
}

/** Length of ARGS[i] (-1 if out of range). */
export function argLen(i: i32): i32 {
  if (input()) return i < 0 || i >= inArgs ? -1 : itemLen(inKeys + i);
  return host_arg_len(i);
}

function parseIntAt(p: usize, n: i32, what: i32): i64 {
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
  if (!ok) abort("ARGS[" + what.toString() + "] is not an integer: " + strAt(p, n));
  return neg ? -v : v;
}

/** ARGS[i] as an integer; aborts if it is not one. */
export function argInt(i: i32): i64 {
  if (input()) {
    if (i < 0 || i >= inArgs) abort("ARGS[" + i.toString() + "] is out of range");
    return parseIntAt(itemPtr(inKeys + i), itemLen(inKeys + i), i);
  }
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
  inValid = false; // a `(ptr, len)` entry point: no frame pushed through lodestone_input
  pendingLen = -1;
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


// ---------------------------------------------------------------------------------------------
// The command fast path: `cmd` (ABI v1 addition). A command is built as argv (ptr, len) pairs over
// a scratch buffer of plain heap memory, the host runs it without RESP, and the reply comes back
// typed: an integer as an i64, a bulk/status/error payload in the scratch result buffer. Nothing
// is allocated unless a helper returns a string or bytes.
//
//   begin("INCRBY"); pushStr(k); pushInt(5); const n = execInt();
//
// or the typed helpers: incr(k) incrBy(k, n) decr(k) get(k) set(k, v) del(k) exists(k) expire(k, s)
// pexpire(k, ms) ttl(k) pttl(k) zadd(k, score, member) zcard(k) zremRangeByScore(k, min, max)
// hget(k, f) hset(k, f, v) hincrBy(k, f, n) publish(channel, message).

export const CMD_NIL = 0;
export const CMD_INT = 1;
export const CMD_BULK = 2;
export const CMD_STATUS = 3;
export const CMD_ERROR = 4;
/** Arrays and other aggregates: the payload is the reply's RESP2 encoding. */
export const CMD_RESP = 5;

let argvBuf: usize = 0;   // (u32 offset-into-data, u32 len) pairs; offsets become pointers at exec
let argvCap: i32 = 0;     // pairs
let argc: i32 = 0;
let dataBuf: usize = 0;
let dataCap: i32 = 0;
let dataLen: i32 = 0;
let outBuf: usize = 0;    // 8 bytes: the integer or the payload length
let payBuf: usize = 0;    // the reply payload
let payCap: i32 = 0;
let payLen: i32 = 0;

/** Start building a command. */
export function begin(name: string): void {
  if (argvBuf == 0) {
    argvCap = 16;
    argvBuf = heap.alloc(<usize>argvCap << 3);
    dataCap = 512;
    dataBuf = heap.alloc(<usize>dataCap);
    outBuf = heap.alloc(8);
    payCap = 512;
    payBuf = heap.alloc(<usize>payCap);
  }
  argc = 0;
  dataLen = 0;
  pushStr(name);
}

/** Room for n more bytes of argument data; returns where they go. */
function reserve(n: i32): usize {
  const need = dataLen + n;
  if (need > dataCap) {
    let cap = dataCap << 1;
    if (cap < need) cap = need;
    dataBuf = heap.realloc(dataBuf, <usize>cap);
    dataCap = cap;
  }
  return dataBuf + <usize>dataLen;
}

function pushItem(len: i32): void {
  if (argc == argvCap) {
    argvCap <<= 1;
    argvBuf = heap.realloc(argvBuf, <usize>argvCap << 3);
  }
  const e = argvBuf + (<usize>argc << 3);
  store<u32>(e, <u32>dataLen);
  store<u32>(e, <u32>len, 4);
  dataLen += len;
  argc++;
}

/** Append bytes [p, p+n) as the next argument. */
export function pushRaw(p: usize, n: i32): void {
  memory.copy(reserve(n), p, <usize>n);
  pushItem(n);
}

export function pushBytes(b: ArrayBuffer): void {
  pushRaw(ptr(b), b.byteLength);
}

/** Append a string (UTF-8; ASCII without allocating). */
export function pushStr(s: string): void {
  const n = s.length;
  const src = changetype<usize>(s);
  for (let i = 0; i < n; i++) {
    if (load<u16>(src + (<usize>i << 1)) >= 0x80) {
      pushBytes(String.UTF8.encode(s));
      return;
    }
  }
  const d = reserve(n);
  for (let i = 0; i < n; i++) store<u8>(d + <usize>i, <u8>load<u16>(src + (<usize>i << 1)));
  pushItem(n);
}

/** Append an integer in decimal, without allocating. */
export function pushInt(v: i64): void {
  const d = reserve(20);
  let u: u64 = v < 0 ? <u64>(-v) : <u64>v;
  let digits = 1;
  for (let t = u; t >= 10; t /= 10) digits++;
  const neg = v < 0 ? 1 : 0;
  if (neg) store<u8>(d, 45);
  for (let i = digits - 1 + neg; i >= neg; i--) {
    store<u8>(d + <usize>i, <u8>(48 + <i32>(u % 10)));
    u /= 10;
  }
  pushItem(digits + neg);
}

/** Append a score: an integral value as an integer, ±infinity as "+inf" / "-inf". */
export function pushScore(v: f64): void {
  if (v == Infinity) pushStr("+inf");
  else if (v == -Infinity) pushStr("-inf");
  else if (v == Math.floor(v) && Math.abs(v) < 9007199254740992.0) pushInt(<i64>v);
  else pushStr(v.toString());
}

/** Append KEYS[i] (straight from the pushed input frame when there is one). */
export function pushKey(i: i32): void {
  if (input()) {
    if (i < 0 || i >= inKeys) abort("KEYS[" + i.toString() + "] is out of range");
    pushRaw(itemPtr(i), itemLen(i));
  } else pushBytes(keyBytes(i));
}

/** Append ARGS[i]. */
export function pushArg(i: i32): void {
  if (input()) {
    if (i < 0 || i >= inArgs) abort("ARGS[" + i.toString() + "] is out of range");
    pushRaw(itemPtr(inKeys + i), itemLen(inKeys + i));
  } else pushBytes(argBytes(i));
}

/** Run the command built since begin(); returns its reply type (CMD_*). */
export function exec(): i32 {
  for (let i = 0; i < argc; i++) {
    const e = argvBuf + (<usize>i << 3);
    store<u32>(e, <u32>(dataBuf + <usize>load<u32>(e)));
  }
  const t = host_cmd(argvBuf, argc, payBuf, payCap, outBuf);
  if (t != CMD_INT && t != CMD_NIL) {
    const n = <i32>load<i64>(outBuf);
    if (n > payCap) {
      heap.free(payBuf);
      payCap = n;
      payBuf = heap.alloc(<usize>n);
      host_result_read(payBuf, n);
    }
    payLen = n;
  } else payLen = 0;
  return t;
}

/** The integer of the last reply (CMD_INT). */
export function resultInt(): i64 {
  return load<i64>(outBuf);
}

/** The payload of the last reply as a string (bulk/status/error text). */
export function resultString(): string {
  return strAt(payBuf, payLen);
}

export function resultBytes(): ArrayBuffer {
  const b = new ArrayBuffer(payLen);
  memory.copy(ptr(b), payBuf, <usize>payLen);
  return b;
}

/** Pointer and length of the last payload (valid until the next command). */
export function resultPtr(): usize { return payBuf; }
export function resultLen(): i32 { return payLen; }

function failReply(t: i32): void {
  if (t == CMD_ERROR) abort(resultString());
  abort("unexpected reply type " + t.toString());
}

/** exec() for a command that replies with an integer; aborts on an error reply. */
export function execInt(): i64 {
  const t = exec();
  if (t == CMD_INT) return resultInt();
  if (t == CMD_BULK || t == CMD_STATUS) return parseI64(resultString(), "reply");
  failReply(t);
  return 0;
}

/** exec() for a command that replies with a bulk string or nil; aborts on an error reply. */
export function execString(): string | null {
  const t = exec();
  if (t == CMD_NIL) return null;
  if (t == CMD_BULK || t == CMD_STATUS) return resultString();
  if (t == CMD_INT) return resultInt().toString();
  failReply(t);
  return null;
}

/** exec() and the reply as a Reply tree (for arrays and anything else). */
export function execReply(): Reply {
  const t = exec();
  const r = new Reply();
  if (t == CMD_INT) {
    r.kind = ReplyKind.Int;
    r.int = resultInt();
  } else if (t == CMD_BULK) {
    r.kind = ReplyKind.Bulk;
    r.data = resultBytes();
  } else if (t == CMD_STATUS) {
    r.kind = ReplyKind.Status;
    r.data = resultBytes();
  } else if (t == CMD_ERROR) {
    r.kind = ReplyKind.Error;
    r.data = resultBytes();
  } else if (t == CMD_RESP) {
    return new RespParser(payBuf, payLen).value();
  }
  return r;
}

// Typed helpers (each one host call).

export function incr(k: string): i64 { begin("INCR"); pushStr(k); return execInt(); }
export function decr(k: string): i64 { begin("DECR"); pushStr(k); return execInt(); }
export function incrBy(k: string, n: i64): i64 { begin("INCRBY"); pushStr(k); pushInt(n); return execInt(); }
export function exists(k: string): bool { begin("EXISTS"); pushStr(k); return execInt() > 0; }
/** EXPIRE key seconds: true if the timeout was set. */
export function expire(k: string, seconds: i64): bool { begin("EXPIRE"); pushStr(k); pushInt(seconds); return execInt() == 1; }
/** PEXPIRE key ms: true if the timeout was set. */
export function pexpire(k: string, ms: i64): bool { begin("PEXPIRE"); pushStr(k); pushInt(ms); return execInt() == 1; }
/** TTL in seconds; -1 no expiry, -2 no such key. */
export function ttl(k: string): i64 { begin("TTL"); pushStr(k); return execInt(); }
/** PTTL in ms; -1 no expiry, -2 no such key. */
export function pttl(k: string): i64 { begin("PTTL"); pushStr(k); return execInt(); }

/** GET as a string (needs READ): null if the key does not exist; aborts on WRONGTYPE. */
export function get(k: string): string | null { begin("GET"); pushStr(k); return execString(); }

/** GET as bytes. */
export function getBytes(k: ArrayBuffer): ArrayBuffer | null {
  begin("GET");
  pushBytes(k);
  const t = exec();
  if (t == CMD_NIL) return null;
  if (t != CMD_BULK) failReply(t);
  return resultBytes();
}

// SET and DEL go through set_key / del_key (no RESP either): importing them needs WRITE, so a
// module that writes this way is refused at WASM.LOAD without the permission, not at its first call.

/** SET key value (needs WRITE). */
export function set(k: string, v: string): void {
  scratch(k);
  pushStr(v);
  if (host_set_key(dataBuf, itemSize(0), dataBuf + <usize>itemSize(0), itemSize(1)) != 0) abort("set_key failed");
}

export function setBytes(k: ArrayBuffer, v: ArrayBuffer): void {
  if (host_set_key(ptr(k), k.byteLength, ptr(v), v.byteLength) != 0) abort("set_key failed");
}

/** DEL key (needs WRITE): true if the key existed. */
export function del(k: string): bool {
  const n = scratch(k);
  return host_del_key(dataBuf, n) == 1;
}
export function delBytes(k: ArrayBuffer): bool { return host_del_key(ptr(k), k.byteLength) == 1; }

/** Length of item i of the command being built. */
function itemSize(i: i32): i32 { return <i32>load<u32>(argvBuf + (<usize>i << 3), 4); }

/** ZADD key score member: the number of members added (0 when it only updated the score). */
export function zadd(k: string, score: f64, member: string): i64 {
  begin("ZADD"); pushStr(k); pushScore(score); pushStr(member); return execInt();
}
export function zcard(k: string): i64 { begin("ZCARD"); pushStr(k); return execInt(); }
/** ZREMRANGEBYSCORE key min max (inclusive; pass -Infinity / Infinity for open ends). */
export function zremRangeByScore(k: string, min: f64, max: f64): i64 {
  begin("ZREMRANGEBYSCORE"); pushStr(k); pushScore(min); pushScore(max); return execInt();
}
/** ZSCORE key member: NaN when the member (or the key) does not exist. */
export function zscore(k: string, member: string): f64 {
  begin("ZSCORE"); pushStr(k); pushStr(member);
  const s = execString();
  return s === null ? NaN : parseFloat(s);
}

export function hget(k: string, field: string): string | null { begin("HGET"); pushStr(k); pushStr(field); return execString(); }
export function hset(k: string, field: string, v: string): i64 { begin("HSET"); pushStr(k); pushStr(field); pushStr(v); return execInt(); }
export function hincrBy(k: string, field: string, n: i64): i64 { begin("HINCRBY"); pushStr(k); pushStr(field); pushInt(n); return execInt(); }
/** PUBLISH channel message: the number of clients that received it (sent when the call succeeds). */
export function publish(channel: string, message: string): i64 { begin("PUBLISH"); pushStr(channel); pushStr(message); return execInt(); }

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
  if (argv.length == 0) abort("call: empty command");
  begin("");
  argc = 0;
  for (let i = 0; i < argv.length; i++) pushBytes(argv[i]);
  return execReply();
}

/** Run a command (`call(["INCR", "hits"])`) and parse its reply. Command errors come back as
 * error replies (check isError()); permission problems abort the whole call (host side). */
export function call(argv: string[]): Reply {
  if (argv.length == 0) abort("call: empty command");
  begin(argv[0]);
  for (let i = 1; i < argv.length; i++) pushStr(argv[i]);
  return execReply();
}

/** Run a command that replies with an integer (INCR, EXPIRE, DEL …); aborts on an error reply. */
export function callInt(argv: string[]): i64 {
  if (argv.length == 0) abort("call: empty command");
  begin(argv[0]);
  for (let i = 1; i < argv.length; i++) pushStr(argv[i]);
  return execInt();
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

/** Encode s (UTF-8) into the command scratch buffer without allocating (ASCII); returns its length. */
function scratch(s: string): i32 {
  if (argvBuf == 0) begin("");
  argc = 0;
  dataLen = 0;
  pushStr(s);
  return dataLen;
}

export function replyBulk(s: string): void {
  const n = scratch(s);
  host_reply_bulk(dataBuf, n);
}

/** A status reply such as "OK" (sent as +OK). */
export function replyStatus(s: string): void {
  const n = scratch(s);
  host_reply_status(dataBuf, n);
}

/** An error reply; "ERR " is prepended unless the text starts with an upper-case code and a space. */
export function replyError(s: string): void {
  const n = scratch(s);
  host_reply_error(dataBuf, n);
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
  const n = scratch(msg);
  host_log(level, dataBuf, n);
}

/** Server time in milliseconds since the epoch. */
export function nowMs(): i64 {
  return host_now_ms();
}
