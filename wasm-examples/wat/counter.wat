(module
  (import "lodestone" "key_read" (func $key_read (param i32 i32 i32) (result i32)))
  (import "lodestone" "call" (func $call (param i32 i32) (result i32)))
  (import "lodestone" "result_read" (func $result_read (param i32 i32) (result i32)))
  (import "lodestone" "reply_int" (func $reply_int (param i64)))
  (memory (export "memory") 1)
  ;; scratch areas: 256 = command buffer, 1024 = reply buffer
  (data (i32.const 0) "*2\r\n$4\r\nINCR\r\n$")   ;; 15 bytes; key length and key follow
  (data (i32.const 64) "*3\r\n$6\r\nEXPIRE\r\n$")  ;; 17 bytes
  (func $copy (param $dst i32) (param $src i32) (param $n i32)
    (memory.copy (local.get $dst) (local.get $src) (local.get $n)))
  ;; write "<len>\r\n<key>\r\n" at $p (key length < 10), return the end
  (func $put_key (param $p i32) (result i32) (local $len i32)
    (local.set $len (call $key_read (i32.const 0) (i32.add (local.get $p) (i32.const 3)) (i32.const 9)))
    (i32.store8 (local.get $p) (i32.add (i32.const 48) (local.get $len)))
    (i32.store16 (i32.add (local.get $p) (i32.const 1)) (i32.const 0x0a0d))
    (i32.store16 (i32.add (i32.add (local.get $p) (i32.const 3)) (local.get $len)) (i32.const 0x0a0d))
    (i32.add (i32.add (local.get $p) (i32.const 5)) (local.get $len)))
  ;; parse ":<digits>\r\n" at 1024
  (func $parse_int (result i64) (local $i i32) (local $v i64) (local $c i32)
    (local.set $i (i32.const 1025))
    (block $done (loop $next
      (local.set $c (i32.load8_u (local.get $i)))
      (br_if $done (i32.lt_u (local.get $c) (i32.const 48)))
      (local.set $v (i64.add (i64.mul (local.get $v) (i64.const 10)) (i64.extend_i32_u (i32.sub (local.get $c) (i32.const 48)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $v))
  (func (export "main") (result i64) (local $end i32) (local $count i64)
    ;; INCR key
    (call $copy (i32.const 256) (i32.const 0) (i32.const 15))
    (local.set $end (call $put_key (i32.const 271)))
    (drop (call $call (i32.const 256) (i32.sub (local.get $end) (i32.const 256))))
    (drop (call $result_read (i32.const 1024) (i32.const 64)))
    (local.set $count (call $parse_int))
    ;; first hit in the window: EXPIRE key 60
    (if (i64.eq (local.get $count) (i64.const 1)) (then
      (call $copy (i32.const 256) (i32.const 64) (i32.const 17))
      (local.set $end (call $put_key (i32.const 273)))
      (call $copy (local.get $end) (i32.const 128) (i32.const 8))
      (drop (call $call (i32.const 256) (i32.sub (i32.add (local.get $end) (i32.const 8)) (i32.const 256))))))
    (call $reply_int (local.get $count))
    (i64.const 0))
  (data (i32.const 128) "$2\r\n60\r\n"))
