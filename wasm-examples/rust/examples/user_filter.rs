// user_filter in Rust — the AssemblyScript example (wasm-examples/examples/user_filter.ts) with
// the Rust SDK: `main(input_ptr, input_len) -> i64` gets KEYS and ARGS in a call frame.
//
//   SET user:123 '{"value":21,"active":true}'
//   WASM.LOAD user_filter <bytes> PERMISSIONS READ
//   WASM.CALL user_filter KEYS user:123 ARGS filter_active     → (integer) 42
//
// KEYS[0] holds a JSON user record; with ARGS[0] = filter_active the reply is value*2 for an
// active user and 0 for an inactive (or missing) one.

use lodestone::{json, reply_error, Frame};

#[no_mangle]
pub extern "C" fn main(ptr: i32, len: i32) -> i64 {
    let input = unsafe { std::slice::from_raw_parts(ptr as *const u8, len as usize) };
    let f = Frame::parse(input);
    if f.keys.is_empty() || f.args.is_empty() {
        reply_error("usage: WASM.CALL user_filter KEYS <user key> ARGS filter_active");
        return 0;
    }
    let filter = String::from_utf8_lossy(f.arg(0));
    if filter != "filter_active" {
        reply_error(&format!("unknown filter '{}'", filter));
        return 0;
    }
    let doc = match lodestone::get(f.key(0)) {
        Some(d) => d,
        None => return 0,
    };
    let user = match json::from_slice(&doc) {
        Ok(v) => v,
        Err(e) => {
            reply_error(&format!("INVALID user record: {}", e));
            return 0;
        }
    };
    let value = user["value"].as_i64().unwrap_or(0);
    let active = user["active"].as_bool().unwrap_or(false);
    if active {
        value * 2
    } else {
        0
    }
}
