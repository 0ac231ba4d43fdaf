// ratelimit — the API-gateway rate limiter, two algorithms in one module.
//
//   WASM.LOAD ratelimit <bytes> PERMISSIONS WRITE
//   WASM.CALL ratelimit         KEYS rl:fixed:alice   ARGS 100 60   fixed window: 100 per 60 s
//   WASM.CALL ratelimit.sliding KEYS rl:slide:alice   ARGS 100 60   sliding-window log
//
// Both reply [allowed (1/0), remaining, retry_after_ms]. Each call is atomic (Lodestone runs a
// function with no other command in between and rolls back on failure), so INCR + EXPIRE or the
// ZREMRANGEBYSCORE/ZCARD/ZADD/PEXPIRE sequence can't race with another client.

import { key, argInt, call, callInt, nowMs, replyArray, replyInt, replyError, argCount, keyCount } from "../sdk/lodestone";
export { lodestone_input } from "../sdk/lodestone";

function reply(allowed: bool, remaining: i64, retryAfterMs: i64): void {
  replyArray(3);
  replyInt(allowed ? 1 : 0);
  replyInt(remaining < 0 ? 0 : remaining);
  replyInt(retryAfterMs < 0 ? 0 : retryAfterMs);
}

function usage(fn: string): bool {
  if (keyCount() == 1 && argCount() == 2 && argInt(0) > 0 && argInt(1) > 0) return false;
  replyError("usage: WASM.CALL " + fn + " KEYS <key> ARGS <limit > 0> <window_seconds > 0>");
  return true;
}

/** Fixed window: INCR the counter, start the window's TTL on its first hit. */
export function main(): void {
  if (usage("ratelimit")) return;
  const k = key(0);
  const limit = argInt(0);
  const windowMs = argInt(1) * 1000;
  const count = callInt(["INCR", k]);
  let ttl: i64 = windowMs;
  if (count == 1) {
    callInt(["PEXPIRE", k, windowMs.toString()]);
  } else {
    ttl = callInt(["PTTL", k]);
    if (ttl < 0) {
      // The counter lost its TTL (e.g. someone SET it): start a new window instead of blocking forever.
      callInt(["PEXPIRE", k, windowMs.toString()]);
      ttl = windowMs;
    }
  }
  const allowed = count <= limit;
  reply(allowed, limit - count, allowed ? 0 : ttl);
}

/** Sliding-window log: one sorted-set member per allowed request, scored by its time. */
export function sliding(): void {
  if (usage("ratelimit.sliding")) return;
  const k = key(0);
  const limit = argInt(0);
  const windowMs = argInt(1) * 1000;
  const now = nowMs();
  callInt(["ZREMRANGEBYSCORE", k, "-inf", (now - windowMs).toString()]);
  const count = callInt(["ZCARD", k]);
  if (count < limit) {
    // Members must be unique: the time plus the log's size (which only grows within one ms).
    callInt(["ZADD", k, now.toString(), now.toString() + "-" + count.toString()]);
    callInt(["PEXPIRE", k, windowMs.toString()]);
    reply(true, limit - count - 1, 0);
    return;
  }
  // Denied: retry when the oldest entry leaves the window.
  const oldest = call(["ZRANGE", k, "0", "0", "WITHSCORES"]);
  let retry: i64 = windowMs;
  if (oldest.isArray() && oldest.length == 2) retry = oldest.at(1).asInt() + windowMs - now;
  reply(false, 0, retry < 1 ? 1 : retry);
}
