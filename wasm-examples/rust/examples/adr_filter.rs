// ADR-0009's own example (docs/adr-0009 "Example WASM function"), compiled from Rust with the
// fewest changes Lodestone's ABI v1 allows; docs/ABI.md §8 shows it and says what changed and why.
//
//   SET user:123 '{"value":21}'
//   WASM.LOAD myfilter myfilter.wasm PERMISSIONS WRITE       (a file in module_dir, or -x bytes)
//   WASM.CALL myfilter KEYS user:123 ARGS filter_active      → (integer) 42
//
// Changes from the ADR: `serde_json` becomes the SDK's dependency-free `lodestone::json` (no
// crates registry is needed), and the input at (input_ptr, input_len) is the call frame (KEYS and
// ARGS), so the JSON document is read from the value of KEYS[0] (two lines marked CHANGED).

use lodestone::json::Value;

#[no_mangle]
pub extern "C" fn main(input_ptr: i32, input_len: i32) -> i64 {
    // Read input from host memory
    let input = unsafe {
        std::slice::from_raw_parts(input_ptr as *const u8, input_len as usize)
    };

    // CHANGED: the input is the call frame; the JSON is the value of KEYS[0]
    let input = lodestone::get(lodestone::Frame::parse(input).key(0)).unwrap_or_default();

    // Parse JSON input (CHANGED: lodestone::json instead of serde_json)
    let data: Value = lodestone::json::from_slice(&input).unwrap();

    // Apply filter logic
    let result = data["value"].as_i64().unwrap_or(0) * 2;

    result
}
