// keys — key access through get_key / set_key / del_key and through `call`.
//
//   WASM.LOAD keys <bytes> PERMISSIONS WRITE
//   WASM.CALL keys KEYS greeting counter ARGS hello
//   → 1) "hello"   GET greeting after SET greeting hello      (set_key, get_key)
//     2) (integer) 1     INCR counter                        (call)
//     3) (integer) 11    INCRBY counter 10                   (call)
//     4) (integer) 1     DEL greeting → deleted              (del_key)
//     5) (nil)           GET greeting → gone                 (get_key)
//     6) "11"            GET counter, its RESP passed through (call + reply_raw)
//
// (counter is relative: on a second call items 2, 3 and 6 are 12, 22 and "22".)

import { key, arg, keyCount, argCount, get, set, del, callInt, callRaw, replyArray, replyBulk, replyInt, replyNil, replyRaw, replyError } from "../sdk/lodestone";
export { lodestone_input, lodestone_abi_version } from "../sdk/lodestone";

function bulkOrNil(v: string | null): void {
  if (v === null) replyNil();
  else replyBulk(v);
}

export function main(): void {
  if (keyCount() != 2 || argCount() != 1) {
    replyError("usage: WASM.CALL keys KEYS <string key> <counter key> ARGS <value>");
    return;
  }
  const a = key(0);
  const b = key(1);
  set(a, arg(0));
  const got = get(a);
  const incr = callInt(["INCR", b]);
  const incrBy = callInt(["INCRBY", b, "10"]);
  const deleted = del(a);
  const gone = get(a);
  const raw = callRaw(["GET", b]);

  replyArray(6);
  bulkOrNil(got);
  replyInt(incr);
  replyInt(incrBy);
  replyInt(deleted ? 1 : 0);
  bulkOrNil(gone);
  replyRaw(raw);
}
