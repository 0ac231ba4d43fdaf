// ratelimit in C — the AssemblyScript example (wasm-examples/examples/ratelimit.ts) with the C SDK
// (lodestone.h): the API-gateway rate limiter, two algorithms in one module.
//
//   WASM.LOAD ratelimit <bytes> PERMISSIONS WRITE
//   WASM.CALL ratelimit         KEYS rl:fixed:alice   ARGS 100 60   fixed window: 100 per 60 s
//   WASM.CALL ratelimit.sliding KEYS rl:slide:alice   ARGS 100 60   sliding-window log
//
// Both reply [allowed (1/0), remaining, retry_after_ms]. A call is atomic (no other command runs in
// between; a failed call is rolled back), so the command sequences cannot race with other clients.

#include "lodestone.h"

static void reply(int allowed, long long remaining, long long retry_after_ms) {
  ls_reply_array(3);
  ls_reply_int(allowed ? 1 : 0);
  ls_reply_int(remaining < 0 ? 0 : remaining);
  ls_reply_int(retry_after_ms < 0 ? 0 : retry_after_ms);
}

static int usage(const char *fn) {
  if (ls_key_count() == 1 && ls_arg_count() == 2 && ls_arg_int(0) > 0 && ls_arg_int(1) > 0) return 0;
  ls_buf m = ls_buf_new(96);
  ls_buf_adds(&m, "usage: WASM.CALL ");
  ls_buf_adds(&m, fn);
  ls_buf_adds(&m, " KEYS <key> ARGS <limit > 0> <window_seconds > 0>");
  ls_reply_error(ls_buf_bytes(&m));
  return 1;
}

/* Fixed window: INCR the counter, start the window's TTL on its first hit. */
LS_EXPORT("main") void fixed_window(void) {
  ls_begin();
  if (usage("ratelimit")) return;
  ls_bytes k = ls_key(0);
  long long limit = ls_arg_int(0);
  long long window_ms = ls_arg_int(1) * 1000;
  long long count = LS_CALL_INT(LS_S("INCR"), k);
  long long ttl = window_ms;
  if (count == 1) {
    LS_CALL_INT(LS_S("PEXPIRE"), k, ls_int(window_ms));
  } else {
    ttl = LS_CALL_INT(LS_S("PTTL"), k);
    if (ttl < 0) {
      /* The counter lost its TTL (e.g. someone SET it): start a new window. */
      LS_CALL_INT(LS_S("PEXPIRE"), k, ls_int(window_ms));
      ttl = window_ms;
    }
  }
  int allowed = count <= limit;
  reply(allowed, limit - count, allowed ? 0 : ttl);
}

/* Sliding-window log: one sorted-set member per allowed request, scored by its time. */
LS_EXPORT("sliding") void sliding_window(void) {
  ls_begin();
  if (usage("ratelimit.sliding")) return;
  ls_bytes k = ls_key(0);
  long long limit = ls_arg_int(0);
  long long window_ms = ls_arg_int(1) * 1000;
  long long now = ls_now_ms();
  LS_CALL_INT(LS_S("ZREMRANGEBYSCORE"), k, LS_S("-inf"), ls_int(now - window_ms));
  long long count = LS_CALL_INT(LS_S("ZCARD"), k);
  if (count < limit) {
    /* Members must be unique: the time plus the log's size (which only grows within one ms). */
    ls_buf member = ls_buf_new(48);
    ls_buf_addi(&member, now);
    ls_buf_adds(&member, "-");
    ls_buf_addi(&member, count);
    LS_CALL_INT(LS_S("ZADD"), k, ls_int(now), ls_buf_bytes(&member));
    LS_CALL_INT(LS_S("PEXPIRE"), k, ls_int(window_ms));
    reply(1, limit - count - 1, 0);
    return;
  }
  /* Denied: retry when the oldest entry leaves the window. */
  ls_reply oldest = LS_CALL(LS_S("ZRANGE"), k, LS_S("0"), LS_S("0"), LS_S("WITHSCORES"));
  long long retry = window_ms, score;
  if (oldest.type == '*' && oldest.n == 2 && ls_parse_int(oldest.items[1].str, &score)) retry = score + window_ms - now;
  reply(0, 0, retry < 1 ? 1 : retry);
}
