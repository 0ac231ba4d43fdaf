// ratelimit in Rust — the AssemblyScript example (wasm-examples/examples/ratelimit.ts) with the
// Rust SDK: the API-gateway rate limiter, two algorithms in one module.
//
//   WASM.LOAD ratelimit <bytes> PERMISSIONS WRITE
//   WASM.CALL ratelimit         KEYS rl:fixed:alice   ARGS 100 60   fixed window: 100 per 60 s
//   WASM.CALL ratelimit.sliding KEYS rl:slide:alice   ARGS 100 60   sliding-window log
//
// Both reply [allowed (1/0), remaining, retry_after_ms]. A call is atomic (no other command runs in
// between; a failed call is rolled back), so the command sequences cannot race with other clients.

use lodestone::{arg_count, arg_int, call, call_int, key, key_count, now_ms, reply_array, reply_error, reply_int, Reply};

fn reply(allowed: bool, remaining: i64, retry_after_ms: i64) {
    reply_array(3);
    reply_int(allowed as i64);
    reply_int(remaining.max(0));
    reply_int(retry_after_ms.max(0));
}

fn usage(f: &str) -> bool {
    if key_count() == 1 && arg_count() == 2 && arg_int(0) > 0 && arg_int(1) > 0 {
        return false;
    }
    reply_error(&format!("usage: WASM.CALL {} KEYS <key> ARGS <limit > 0> <window_seconds > 0>", f));
    true
}

/// Fixed window: INCR the counter, start the window's TTL on its first hit.
#[no_mangle]
pub extern "C" fn main() {
    if usage("ratelimit") {
        return;
    }
    let k = key(0);
    let limit = arg_int(0);
    let window_ms = arg_int(1) * 1000;
    let count = call_int!("INCR", k);
    let mut ttl = window_ms;
    if count == 1 {
        call_int!("PEXPIRE", k, window_ms);
    } else {
        ttl = call_int!("PTTL", k);
        if ttl < 0 {
            // The counter lost its TTL (e.g. someone SET it): start a new window.
            call_int!("PEXPIRE", k, window_ms);
            ttl = window_ms;
        }
    }
    let allowed = count <= limit;
    reply(allowed, limit - count, if allowed { 0 } else { ttl });
}

/// Sliding-window log: one sorted-set member per allowed request, scored by its time.
#[no_mangle]
pub extern "C" fn sliding() {
    if usage("ratelimit.sliding") {
        return;
    }
    let k = key(0);
    let limit = arg_int(0);
    let window_ms = arg_int(1) * 1000;
    let now = now_ms();
    call_int!("ZREMRANGEBYSCORE", k, "-inf", now - window_ms);
    let count = call_int!("ZCARD", k);
    if count < limit {
        // Members must be unique: the time plus the log's size (which only grows within one ms).
        call_int!("ZADD", k, now, format!("{}-{}", now, count));
        call_int!("PEXPIRE", k, window_ms);
        reply(true, limit - count - 1, 0);
        return;
    }
    // Denied: retry when the oldest entry leaves the window.
    let mut retry = window_ms;
    if let Reply::Array(items) = call!("ZRANGE", k, "0", "0", "WITHSCORES") {
        if items.len() == 2 {
            if let Some(score) = items[1].as_int() {
                retry = score + window_ms - now;
            }
        }
    }
    reply(false, 0, retry.max(1));
}
