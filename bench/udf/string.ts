// @ts-nocheck -- AssemblyScript (compiled by bench/build-udf.mjs with asc, not by tsc)
//
// string — split a ~1 KB comma-separated string, upper-case and reverse each token, join them
// back with commas, and return a 31-bit polynomial hash of the result. Same logic as string.lua.
//
// Lua strings are bytes and string.upper is byte-wise (C locale), so this works on the argument's
// bytes too: one pass writes each token reversed and upper-cased into the output buffer, with a
// comma between tokens — exactly what gmatch + reverse(upper()) + table.concat produce.
// (Written with AssemblyScript's String API instead — split(","), toUpperCase(), join(",") on
// UTF-16 strings — the same function costs about 1,060,000 fuel on this 1 KB input, over the
// default max_fuel of 1,000,000: AS's toUpperCase alone is ~440 instructions per character.)
//
//   WASM.CALL string ARGS 'alpha0,bravo1,…'   → (integer) hash

import { argBytes } from "../../wasm-examples/sdk/lodestone";
export { lodestone_input } from "../../wasm-examples/sdk/lodestone";

const COMMA: u8 = 44;

/** string.upper of one byte (ASCII letters only, like toupper in the C locale). */
function upper(c: u8): u8 {
  return c >= 97 && c <= 122 ? c - 32 : c;
}

export function main(): i64 {
  const s = argBytes(0);                                  // ARGV[1]
  const src = changetype<usize>(s);
  const n = s.byteLength;
  const out = changetype<usize>(new ArrayBuffer(n));      // the joined result is never longer
  let len = 0;
  let start = 0;
  for (let i = 0; i <= n; i++) {                          // for token in gmatch(ARGV[1], '[^,]+') do
    if (i < n && load<u8>(src + i) != COMMA) continue;
    if (i > start) {                                      //   (a non-empty token s[start, i))
      if (len > 0) store<u8>(out + len++, COMMA);         //   table.concat(parts, ',')
      for (let j = i - 1; j >= start; j--) {              //   string.reverse(string.upper(token))
        store<u8>(out + len++, upper(load<u8>(src + j)));
      }
    }
    start = i + 1;
  }
  let h: u32 = 0;
  for (let i = 0; i < len; i++) {                         // for i = 1, #out do
    h = (h * 31 + <u32>load<u8>(out + i)) & 0x7fffffff;   //   h = (h * 31 + byte) % 2^31
  }
  return <i64>h;
}
