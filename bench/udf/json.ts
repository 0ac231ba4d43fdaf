// @ts-nocheck -- AssemblyScript (compiled by bench/build-udf.mjs with asc, not by tsc)
//
// json — decode an order (~1 KB of JSON in ARGS[0]) and return its total in cents:
// the sum over items of price * qty (qty defaults to 1). Same logic as json.lua.
//
// cjson.decode builds the whole document as Lua tables; the SDK's pull scanner (json.ts) walks
// it once instead, reading the two fields it needs and skipping the rest, and reads prices as
// exact fixed-point cents (fixed(2)) where the Lua rounds price * 100.
//
//   WASM.CALL json ARGS '{"id":"…","customer":{…},"items":[{"sku":"…","price":12.5,"qty":3,…},…]}'
//   → (integer) total in cents

import { argBytes } from "../../wasm-examples/sdk/lodestone";
export { lodestone_input } from "../../wasm-examples/sdk/lodestone";
import { Json } from "../../wasm-examples/sdk/json";

export function main(): i64 {
  const order = new Json(argBytes(0));                   // local order = cjson.decode(ARGV[1])
  let total: i64 = 0;
  if (order.enterObject()) {
    for (let k = order.nextKey(); k !== null; k = order.nextKey()) {
      if (k != "items" || !order.enterArray()) {
        order.skip();
        continue;
      }
      while (order.nextItem()) {                          // for _, item in ipairs(order.items) do
        let cents: i64 = 0;
        let qty: i64 = 1;                                  //   item.qty or 1
        if (!order.enterObject()) break;
        for (let f = order.nextKey(); f !== null; f = order.nextKey()) {
          if (f == "price") cents = order.fixed(2);        //   math.floor(item.price * 100 + 0.5)
          else if (f == "qty") qty = order.int();
          else order.skip();
        }
        total += cents * qty;                             //   total = total + cents * qty
      }
    }
  }
  if (order.failed) abort("bad JSON: " + order.error!);   // cjson.decode raises an error too
  return total;
}
