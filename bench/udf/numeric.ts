// @ts-nocheck -- AssemblyScript (compiled by bench/build-udf.mjs with asc, not by tsc)
//
// numeric — a fixed arithmetic loop: 10,000 steps of a 31-bit LCG folded into a 31-bit checksum.
// Same logic as numeric.lua, line for line. The constants keep every Lua intermediate exact in a
// double (x * 1664525 + 1013904223 < 2^53), so both languages compute the same integers; here the
// "% 2^31" is a mask on u32 (wrap-around mod 2^32 keeps the low 31 bits right).
//
//   WASM.CALL numeric ARGS <seed>   → (integer) checksum

import { argInt } from "../../wasm-examples/sdk/lodestone";
export { lodestone_input } from "../../wasm-examples/sdk/lodestone";

export function main(): i64 {
  let x = <u32>(argInt(0) & 0x7fffffff);        // local x = tonumber(ARGV[1]) % 2^31
  let acc: u32 = 0;
  for (let i = 0; i < 10000; i++) {
    x = (x * 1664525 + 1013904223) & 0x7fffffff;  // x = (x * 1664525 + 1013904223) % 2^31
    acc = (acc * 31 + (x >> 16)) & 0x7fffffff;    // acc = (acc * 31 + floor(x / 2^16)) % 2^31
  }
  return <i64>acc;
}
