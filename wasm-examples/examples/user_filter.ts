// user_filter — ADR-0009's example: `main(input_ptr, input_len) -> i64` gets KEYS and ARGS in a
// call frame in its own memory and returns an integer reply.
//
//   SET user:123 '{"value":21,"active":true}'
//   WASM.LOAD user_filter <bytes> PERMISSIONS READ
//   WASM.CALL user_filter KEYS user:123 ARGS filter_active     → (integer) 42
//
// KEYS[0] holds a JSON user record; with ARGS[0] = filter_active the reply is value*2 for an
// active user and 0 for an inactive (or missing) one.

import { readFrame, getBytes, replyError } from "../sdk/lodestone";
import { Json } from "../sdk/json";
export { lodestone_input, lodestone_alloc, lodestone_abi_version } from "../sdk/lodestone";

export function main(ptr: i32, len: i32): i64 {
  const f = readFrame(ptr, len);
  if (f.keyCount < 1 || f.argCount < 1) {
    replyError("usage: WASM.CALL user_filter KEYS <user key> ARGS filter_active");
    return 0;
  }
  const filter = f.arg(0);
  if (filter != "filter_active") {
    replyError("unknown filter '" + filter + "'");
    return 0;
  }
  const doc = getBytes(f.keyBytes(0));
  if (doc === null) return 0;

  let value: i64 = 0;
  let active = false;
  const j = new Json(doc);
  if (j.enterObject()) {
    while (j.nextField()) {
      if (j.is("value")) value = j.int();
      else if (j.is("active")) active = j.bool();
      else j.skip();
    }
  }
  if (j.failed) {
    replyError("INVALID user record: " + j.error!);
    return 0;
  }
  return active ? value * 2 : 0;
}
