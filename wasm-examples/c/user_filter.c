// user_filter in C — the AssemblyScript example (wasm-examples/examples/user_filter.ts) with the
// C SDK (lodestone.h): `main(input_ptr, input_len) -> i64` gets KEYS and ARGS in a call frame.
//
//   SET user:123 '{"value":21,"active":true}'
//   WASM.LOAD user_filter <bytes> PERMISSIONS READ
//   WASM.CALL user_filter KEYS user:123 ARGS filter_active     → (integer) 42
//
// The entry point is exported as "main" under another C name (C's own main is the C runtime's).

#include "lodestone.h"

static long long fail_reply(ls_bytes msg) {
  ls_reply_error(msg);
  return 0;
}

LS_EXPORT("main") long long user_filter(int ptr, int len) {
  ls_frame f;
  if (ls_frame_parse(ptr, len, &f) < 0) ls_fail("malformed call frame");
  if (f.nkeys < 1 || f.nargs < 1) return fail_reply(LS_S("usage: WASM.CALL user_filter KEYS <user key> ARGS filter_active"));
  if (!ls_eq(f.args[0], LS_S("filter_active"))) {
    ls_buf m = ls_buf_new(64);
    ls_buf_adds(&m, "unknown filter '");
    ls_buf_add(&m, f.args[0]);
    ls_buf_adds(&m, "'");
    return fail_reply(ls_buf_bytes(&m));
  }
  ls_bytes doc = ls_get(f.keys[0]);
  if (doc.n < 0) return 0;

  ls_bytes v;
  long long value = 0;
  int active = 0;
  int r = ls_json_field(doc, "value", &v);
  if (r == 1) ls_json_int(v, &value);
  if (r >= 0 && ls_json_field(doc, "active", &v) == 1) ls_json_bool(v, &active);
  if (r < 0) {
    ls_buf m = ls_buf_new(64);
    ls_buf_adds(&m, "INVALID user record: ");
    ls_buf_adds(&m, ls_json_error);
    ls_buf_adds(&m, " at offset ");
    ls_buf_addi(&m, ls_json_offset);
    return fail_reply(ls_buf_bytes(&m));
  }
  return active ? value * 2 : 0;
}
