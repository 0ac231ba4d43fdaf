// @ts-nocheck -- AssemblyScript (compiled by bench/build-udf.mjs with asc, not by tsc)
//
// ratelimit-sliding — the gateway's sliding-window-log limiter, the logic of
// wasm-examples/examples/ratelimit.ts `sliding` (and of ratelimit-sliding.lua): one sorted-set
// member per allowed request, scored by its time in ms. KEYS[0] log (per user), ARGS[0] limit,
// ARGS[1] window in seconds. Reply [allowed (1/0), remaining, retry_after_ms].

import { key, argInt, argCount, keyCount, call, nowMs, zadd, zcard, zremRangeByScore, pexpire, replyArray, replyInt, replyError } from "../../wasm-examples/sdk/lodestone";
export { lodestone_input } from "../../wasm-examples/sdk/lodestone";

function reply(allowed: bool, remaining: i64, retryAfterMs: i64): void {
  replyArray(3);
  replyInt(allowed ? 1 : 0);
  replyInt(remaining);
  replyInt(retryAfterMs);
}

export function main(): void {
  if (keyCount() != 1 || argCount() != 2) {
    replyError("usage: WASM.CALL ratelimit-sliding KEYS <key> ARGS <limit > 0> <window_seconds > 0>");
    return;
  }
  const k = key(0);
  const limit = argInt(0);
  const window = argInt(1);
  if (limit <= 0 || window <= 0) {
    replyError("usage: WASM.CALL ratelimit-sliding KEYS <key> ARGS <limit > 0> <window_seconds > 0>");
    return;
  }
  const windowMs = window * 1000;
  const now = nowMs();
  zremRangeByScore(k, -Infinity, <f64>(now - windowMs));
  const count = zcard(k);
  if (count < limit) {
    // Members must be unique: the time plus the log's size (which only grows within one ms).
    zadd(k, <f64>now, now.toString() + "-" + count.toString());
    pexpire(k, windowMs);
    reply(true, limit - count - 1, 0);
    return;
  }
  // Denied: retry when the oldest entry leaves the window.
  const oldest = call(["ZRANGE", k, "0", "0", "WITHSCORES"]);
  let retry: i64 = windowMs;
  if (oldest.isArray() && oldest.length == 2) retry = oldest.at(1).asInt() + windowMs - now;
  reply(false, 0, retry < 1 ? 1 : retry);
}
