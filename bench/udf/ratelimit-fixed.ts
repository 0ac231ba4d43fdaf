// @ts-nocheck -- AssemblyScript (compiled by bench/build-udf.mjs with asc, not by tsc)
//
// ratelimit-fixed — the gateway's fixed-window limiter, the logic of
// wasm-examples/examples/ratelimit.ts `main` (and of ratelimit-fixed.lua): INCR the window's
// counter, start its TTL on the first hit. KEYS[0] counter (per user), ARGS[0] limit,
// ARGS[1] window in seconds. Reply [allowed (1/0), remaining, retry_after_ms].

import { key, argInt, argCount, keyCount, incr, pexpire, pttl, replyArray, replyInt, replyError } from "../../wasm-examples/sdk/lodestone";
export { lodestone_input } from "../../wasm-examples/sdk/lodestone";

export function main(): void {
  if (keyCount() != 1 || argCount() != 2) {
    replyError("usage: WASM.CALL ratelimit-fixed KEYS <key> ARGS <limit > 0> <window_seconds > 0>");
    return;
  }
  const k = key(0);
  const limit = argInt(0);
  const window = argInt(1);
  if (limit <= 0 || window <= 0) {
    replyError("usage: WASM.CALL ratelimit-fixed KEYS <key> ARGS <limit > 0> <window_seconds > 0>");
    return;
  }
  const windowMs = window * 1000;
  const count = incr(k);
  let ttl: i64 = windowMs;
  if (count == 1) {
    pexpire(k, windowMs);
  } else {
    ttl = pttl(k);
    if (ttl < 0) {
      // The counter lost its TTL (e.g. someone SET it): start a new window instead of blocking forever.
      pexpire(k, windowMs);
      ttl = windowMs;
    }
  }
  const allowed = count <= limit;
  replyArray(3);
  replyInt(allowed ? 1 : 0);
  replyInt(limit - count > 0 ? limit - count : 0);
  replyInt(allowed ? 0 : (ttl > 0 ? ttl : 0));
}
