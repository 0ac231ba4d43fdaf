// Guests shared by the WASM tests, in WAT: PROXY (ARGS -> one command through `call` -> its reply
// passed through with reply_raw; `fail` runs it and then traps), and a generator of large modules.

/** ARGS → one RESP command → `call` → the reply passed through (`main`), or then a trap (`fail`). */
export const PROXY_WAT = `(module
  (import "lodestone" "arg_count" (func $argc (result i32)))
  (import "lodestone" "arg_len" (func $arglen (param i32) (result i32)))
  (import "lodestone" "arg_read" (func $argread (param i32 i32 i32) (result i32)))
  (import "lodestone" "call" (func $call (param i32 i32) (result i32)))
  (import "lodestone" "result_read" (func $rr (param i32 i32) (result i32)))
  (import "lodestone" "reply_raw" (func $raw (param i32 i32)))
  (memory (export "memory") 4)
  (func $itoa (param $p i32) (param $n i32) (result i32) (local $len i32) (local $t i32) (local $i i32)
    (local.set $t (local.get $n))
    (local.set $len (i32.const 1))
    (block $d (loop $l
      (br_if $d (i32.lt_u (local.get $t) (i32.const 10)))
      (local.set $t (i32.div_u (local.get $t) (i32.const 10)))
      (local.set $len (i32.add (local.get $len) (i32.const 1)))
      (br $l)))
    (local.set $i (local.get $len))
    (loop $w
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 (i32.add (local.get $p) (local.get $i)) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $w (i32.gt_u (local.get $i) (i32.const 0))))
    (i32.add (local.get $p) (local.get $len)))
  (func $crlf (param $p i32) (result i32)
    (i32.store16 (local.get $p) (i32.const 0x0a0d))
    (i32.add (local.get $p) (i32.const 2)))
  (func $run (result i32) (local $p i32) (local $n i32) (local $i i32) (local $len i32) (local $rlen i32)
    (local.set $n (call $argc))
    (i32.store8 (i32.const 0) (i32.const 42))
    (local.set $p (call $crlf (call $itoa (i32.const 1) (local.get $n))))
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $len (call $arglen (local.get $i)))
      (i32.store8 (local.get $p) (i32.const 36))
      (local.set $p (call $crlf (call $itoa (i32.add (local.get $p) (i32.const 1)) (local.get $len))))
      (drop (call $argread (local.get $i) (local.get $p) (local.get $len)))
      (local.set $p (call $crlf (i32.add (local.get $p) (local.get $len))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (local.set $rlen (call $call (i32.const 0) (local.get $p)))
    (drop (call $rr (i32.const 131072) (local.get $rlen)))
    (local.get $rlen))
  (func (export "main") (call $raw (i32.const 131072) (call $run)))
  (func (export "fail") (drop (call $run)) unreachable))`;


/**
 * A valid module of about `mb` megabytes of code: `n` functions `() -> i64` of straight-line
 * arithmetic, the first exported as `main` (returns 1000 × reps). Big enough that compiling and
 * instrumenting it takes a while, to see that other clients are served meanwhile.
 */
export function bigModule(mb: number): Buffer {
  const reps = 1000;
  const n = Math.max(1, Math.round((mb * 1024 * 1024) / (reps * 7 + 8)));
  const u32 = (v: number): number[] => {
    const out: number[] = [];
    do {
      let b = v & 0x7f;
      v >>>= 7;
      if (v) b |= 0x80;
      out.push(b);
    } while (v);
    return out;
  };
  const section = (id: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([id, ...u32(body.length)]), body]);
  const body = Buffer.alloc(reps * 7 + 6);
  let o = 0;
  body[o++] = 1; // one local group
  body[o++] = 1;
  body[o++] = 0x7e; // i64
  for (let i = 0; i < reps; i++) {
    body.set([0x20, 0x00, 0x42, 0x01, 0x7c, 0x21, 0x00], o); // local.get 0; i64.const 1; i64.add; local.set 0
    o += 7;
  }
  body[o++] = 0x20; // local.get 0
  body[o++] = 0x00;
  body.writeUInt8(0x0b, o); // end
  const sized = Buffer.concat([Buffer.from(u32(body.length)), body]);
  const code = Buffer.concat([Buffer.from(u32(n)), ...Array.from({ length: n }, () => sized)]);
  return Buffer.concat([
    Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]),
    section(1, Buffer.from([0x01, 0x60, 0x00, 0x01, 0x7e])),
    section(3, Buffer.concat([Buffer.from(u32(n)), Buffer.alloc(n, 0)])),
    section(7, Buffer.from([0x01, 0x04, ...Buffer.from('main'), 0x00, 0x00])),
    section(10, code),
  ]);
}
