// json_sum — parse a JSON order given as ARGS[0] and return its total in cents, exactly.
//
//   WASM.LOAD json_sum <bytes> PERMISSIONS READ
//   WASM.CALL json_sum ARGS '{"items":[{"price":2.5,"qty":4},{"price":0.99,"qty":3}]}'
//   → (integer) 1297
//
// Prices are read as fixed-point cents (no float rounding); qty defaults to 1; other fields are
// skipped. Malformed input replies `-INVALID <what> at offset <n>`.

import { argBytes, argCount, replyError, replyInt } from "../sdk/lodestone";
import { Json } from "../sdk/json";
export { lodestone_input, lodestone_abi_version } from "../sdk/lodestone";

export function main(): void {
  if (argCount() != 1) {
    replyError("usage: WASM.CALL json_sum ARGS <json>");
    return;
  }
  const j = new Json(argBytes(0));
  let total: i64 = 0;
  let items = 0;
  if (j.enterObject()) {
    while (j.nextField()) {
      if (!j.is("items")) {
        j.skip();
        continue;
      }
      if (!j.enterArray()) break;
      while (j.nextItem()) {
        let price: i64 = 0;
        let qty: i64 = 1;
        if (!j.enterObject()) break;
        while (j.nextField()) {
          if (j.is("price")) price = j.fixed(2);
          else if (j.is("qty")) qty = j.int();
          else j.skip();
        }
        total += price * qty;
        items++;
      }
    }
  }
  if (!j.failed && !j.atEnd()) j.fail("trailing data");
  if (j.failed) {
    replyError("INVALID " + j.error!);
    return;
  }
  replyInt(total);
}

