/*
 * lodestone.h — the Lodestone C SDK, one header, no libc: sugar over the guest ABI v1
 * (docs/ABI.md is the contract). Include it in the one .c file of a function and build with
 *
 *   clang --target=wasm32 -nostdlib -O2 -mbulk-memory -Wl,--no-entry -Wl,--export-dynamic \
 *         -o f.wasm f.c
 *
 * Entry points. C's `main` is the C runtime's entry point (clang renames it to __main_argc_argv /
 * __main_void), so do not define `main` itself: give the function any name and export it under
 * the name Lodestone calls with the export_name attribute (LS_EXPORT):
 *
 *   LS_EXPORT("main") long long my_filter(int ptr, int len) { ... }    // WASM.CALL f
 *   LS_EXPORT("sliding") void my_sliding(void) { ... }                 // WASM.CALL f.sliding
 *
 * What is here (everything is `ls_`):
 *
 *   memory   ls_alloc(n): a bump arena, reset by ls_begin() (call it first in an entry point
 *            without arguments) and by the host's call of lodestone_alloc before a (ptr, len)
 *            entry point (which must then not call ls_begin: the frame lives in the arena)
 *   input    ls_key_count() ls_key(i) ls_arg_count() ls_arg(i) ls_arg_int(i)
 *            ls_frame_parse(ptr, len, &frame) for (ptr, len) entry points
 *   data     ls_get(key)  ls_set(key, value)  ls_del(key)
 *            ls_call(argc, argv) -> ls_reply   ls_call_int(argc, argv) -> long long
 *            LS_CALL(...) / LS_CALL_INT(...) take the arguments inline: LS_CALL_INT(LS_S("INCR"), key)
 *   replies  ls_reply_int ls_reply_bulk ls_reply_status ls_reply_error ls_reply_nil ls_reply_array
 *   text     ls_bytes values: LS_S("literal"), ls_cstr(s), ls_int(n) (decimal), ls_eq(a, b);
 *            ls_buf for building messages (ls_buf_new, ls_buf_add, ls_buf_adds, ls_buf_addi)
 *   json     ls_json_field(doc, "name", &value) for a top-level field of an object, then
 *            ls_json_int / ls_json_bool on the value; the whole document is checked
 *   other    ls_log(level, msg) ls_now_ms() ls_fail(msg)
 *
 * Only the host functions a module calls become imports (the linker drops the rest), so a
 * function that never writes loads with PERMISSIONS READ.
 *
 * Failing: ls_fail(msg) (and the SDK's checks: ls_arg_int on a non-integer, ls_call_int on an
 * error reply) fails the call through env.abort — the client gets
 * `ERR wasm function 'f' failed: abort: <msg> at <file>:<line>:0 (guest fault)` and every write of
 * the call is rolled back. ls_reply_error answers with an error and keeps the call's writes.
 */
#ifndef LODESTONE_H
#define LODESTONE_H

#define LS_IMPORT(name) __attribute__((import_module("lodestone"), import_name(name)))
#define LS_EXPORT(name) __attribute__((export_name(name)))
#define LS_API static inline __attribute__((unused))

/* ---- the host imports (ABI v1) ---------------------------------------------------------- */
LS_IMPORT("key_count") int lodestone_key_count(void);
LS_IMPORT("key_len") int lodestone_key_len(int i);
LS_IMPORT("key_read") int lodestone_key_read(int i, void *dst, int cap);
LS_IMPORT("arg_count") int lodestone_arg_count(void);
LS_IMPORT("arg_len") int lodestone_arg_len(int i);
LS_IMPORT("arg_read") int lodestone_arg_read(int i, void *dst, int cap);
LS_IMPORT("get_key") int lodestone_get_key(const void *key, int klen);
LS_IMPORT("set_key") int lodestone_set_key(const void *key, int klen, const void *val, int vlen);
LS_IMPORT("del_key") int lodestone_del_key(const void *key, int klen);
LS_IMPORT("call") int lodestone_call(const void *cmd, int len);
LS_IMPORT("result_read") int lodestone_result_read(void *dst, int cap);
LS_IMPORT("log") void lodestone_log(int level, const void *msg, int len);
LS_IMPORT("now_ms") long long lodestone_now_ms(void);
LS_IMPORT("reply_int") void lodestone_reply_int(long long v);
LS_IMPORT("reply_bulk") void lodestone_reply_bulk(const void *ptr, int len);
LS_IMPORT("reply_status") void lodestone_reply_status(const void *ptr, int len);
LS_IMPORT("reply_error") void lodestone_reply_error(const void *ptr, int len);
LS_IMPORT("reply_nil") void lodestone_reply_nil(void);
LS_IMPORT("reply_array") void lodestone_reply_array(int n);
LS_IMPORT("reply_raw") void lodestone_reply_raw(const void *ptr, int len);
__attribute__((import_module("env"), import_name("abort")))
void lodestone_env_abort(const void *msg, const void *file, unsigned line, unsigned col);

/* ---- memory: a bump arena after the stack and static data ----------------------------- */
extern unsigned char __heap_base;
static unsigned long ls__bump;

LS_API void ls_begin(void) { ls__bump = (unsigned long)&__heap_base; }

LS_API void *ls_alloc(int size) {
  if (ls__bump == 0) ls_begin();
  unsigned long p = (ls__bump + 7) & ~7ul;
  unsigned long end = p + (unsigned long)(size < 0 ? 0 : size);
  unsigned long have = __builtin_wasm_memory_size(0) * 65536ul;
  if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) == (unsigned long)-1) {
    __builtin_trap(); /* memory limit: the host reports max_memory */
  }
  ls__bump = end;
  return (void *)p;
}

/* The host calls this before a (ptr, len) entry point: a new call, so the arena starts again. */
LS_EXPORT("lodestone_alloc") void *lodestone_alloc(int size) {
  ls_begin();
  return ls_alloc(size);
}

LS_EXPORT("lodestone_abi_version") int lodestone_abi_version(void) { return 1; }

/* ---- bytes ------------------------------------------------------------------------------- */
typedef struct {
  const char *p;
  int n; /* length; -1 = nil (ls_get of a missing key), -2 = another type */
} ls_bytes;

#define LS_S(lit) ((ls_bytes){(lit), (int)sizeof(lit) - 1})

LS_API int ls_strlen(const char *s) {
  int n = 0;
  while (s[n]) n++;
  return n;
}
LS_API ls_bytes ls_cstr(const char *s) { return (ls_bytes){s, ls_strlen(s)}; }

LS_API int ls_eq(ls_bytes a, ls_bytes b) {
  if (a.n != b.n) return 0;
  for (int i = 0; i < a.n; i++)
    if (a.p[i] != b.p[i]) return 0;
  return 1;
}

/* A decimal integer as Redis writes them; returns 1 and sets *out, or 0. */
LS_API int ls_parse_int(ls_bytes s, long long *out) {
  int i = 0, neg = 0;
  unsigned long long v = 0;
  if (s.n > 0 && s.p[0] == '-') neg = 1, i = 1;
  if (i >= s.n || s.n - i > 19) return 0;
  for (; i < s.n; i++) {
    if (s.p[i] < '0' || s.p[i] > '9') return 0;
    v = v * 10 + (unsigned)(s.p[i] - '0');
  }
  if (v > (neg ? 9223372036854775808ull : 9223372036854775807ull)) return 0;
  *out = neg ? (long long)(0 - v) : (long long)v;
  return 1;
}

/* n in decimal, in the arena. */
LS_API ls_bytes ls_int(long long n) {
  char *out = ls_alloc(21);
  char tmp[20];
  int len = 0, at = 0;
  unsigned long long v = n < 0 ? 0ull - (unsigned long long)n : (unsigned long long)n;
  do {
    tmp[len++] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  if (n < 0) out[at++] = '-';
  while (len) out[at++] = tmp[--len];
  return (ls_bytes){out, at};
}

/* A growing buffer in the arena, for messages and commands. */
typedef struct {
  char *p;
  int n, cap;
} ls_buf;

LS_API ls_buf ls_buf_new(int cap) { return (ls_buf){ls_alloc(cap), 0, cap}; }
LS_API void ls_buf_add(ls_buf *b, ls_bytes s) {
  if (s.n <= 0) return;
  if (b->n + s.n > b->cap) {
    int cap = (b->n + s.n) * 2;
    char *p = ls_alloc(cap);
    __builtin_memcpy(p, b->p, b->n);
    b->p = p, b->cap = cap;
  }
  __builtin_memcpy(b->p + b->n, s.p, s.n);
  b->n += s.n;
}
LS_API void ls_buf_adds(ls_buf *b, const char *s) { ls_buf_add(b, ls_cstr(s)); }
LS_API void ls_buf_addi(ls_buf *b, long long n) { ls_buf_add(b, ls_int(n)); }
LS_API ls_bytes ls_buf_bytes(const ls_buf *b) { return (ls_bytes){b->p, b->n}; }

/* ---- failing ----------------------------------------------------------------------------- */
/* An AssemblyScript string (u32 byte length, UTF-16LE; bytes are taken as Latin-1). */
LS_API const void *ls__as_string(const char *s, int n) {
  unsigned char *out = ls_alloc(4 + 2 * n);
  unsigned len = 2u * (unsigned)n;
  out[0] = len & 0xff, out[1] = (len >> 8) & 0xff, out[2] = (len >> 16) & 0xff, out[3] = len >> 24;
  for (int i = 0; i < n; i++) out[4 + 2 * i] = (unsigned char)s[i], out[5 + 2 * i] = 0;
  return out + 4;
}

LS_API __attribute__((noreturn)) void ls__fail(ls_bytes msg, const char *file, int line) {
  lodestone_env_abort(ls__as_string(msg.p, msg.n), ls__as_string(file, ls_strlen(file)), (unsigned)line, 0);
  __builtin_trap();
}
/* Fail the whole call with a message (every write of the call is rolled back). */
#define ls_fail(msg) ls__fail(ls_cstr(msg), __FILE__, __LINE__)
#define ls_fail_bytes(msg) ls__fail((msg), __FILE__, __LINE__)

/* ---- input ------------------------------------------------------------------------------- */
LS_API int ls_key_count(void) { return lodestone_key_count(); }
LS_API int ls_arg_count(void) { return lodestone_arg_count(); }

/* KEYS[i] / ARGS[i] in the arena; n = -1 when there is no such key/argument. */
LS_API ls_bytes ls_key(int i) {
  int n = lodestone_key_len(i);
  if (n < 0) return (ls_bytes){0, -1};
  char *p = ls_alloc(n);
  lodestone_key_read(i, p, n);
  return (ls_bytes){p, n};
}
LS_API ls_bytes ls_arg(int i) {
  int n = lodestone_arg_len(i);
  if (n < 0) return (ls_bytes){0, -1};
  char *p = ls_alloc(n);
  lodestone_arg_read(i, p, n);
  return (ls_bytes){p, n};
}

/* ARGS[i] as an integer; fails the call if it is missing or not one. */
#define ls_arg_int(i) ls__arg_int((i), __FILE__, __LINE__)
LS_API long long ls__arg_int(int i, const char *file, int line) {
  ls_bytes a = ls_arg(i);
  long long v;
  if (a.n >= 0 && ls_parse_int(a, &v)) return v;
  ls_buf m = ls_buf_new(64);
  ls_buf_adds(&m, "ARGS[");
  ls_buf_addi(&m, i);
  ls_buf_adds(&m, a.n < 0 ? "] is missing" : "] is not an integer: ");
  if (a.n > 0) ls_buf_add(&m, a);
  ls__fail(ls_buf_bytes(&m), file, line);
}

/* The call frame of a (ptr, len) entry point (docs/ABI.md, "The call frame"). */
typedef struct {
  int nkeys, nargs;
  ls_bytes *keys, *args;
} ls_frame;

LS_API unsigned ls__u32(const unsigned char *p) { return p[0] | (p[1] << 8) | (p[2] << 16) | ((unsigned)p[3] << 24); }

LS_API int ls__frame_list(const unsigned char *p, int len, int *at, int *count, ls_bytes **out) {
  if (*at + 4 > len) return -1;
  unsigned n = ls__u32(p + *at);
  *at += 4;
  if (n > (unsigned)len) return -1;
  *count = (int)n;
  *out = ls_alloc((int)(n * sizeof(ls_bytes)));
  for (unsigned i = 0; i < n; i++) {
    if (*at + 4 > len) return -1;
    unsigned l = ls__u32(p + *at);
    *at += 4;
    if (l > (unsigned)(len - *at)) return -1;
    (*out)[i] = (ls_bytes){(const char *)p + *at, (int)l};
    *at += (int)l;
  }
  return 0;
}

/* Parse the frame; 0 on success, -1 if malformed. */
LS_API int ls_frame_parse(int ptr, int len, ls_frame *f) {
  const unsigned char *p = (const unsigned char *)(unsigned long)ptr;
  int at = 0;
  if (ls__frame_list(p, len, &at, &f->nkeys, &f->keys) < 0) return -1;
  return ls__frame_list(p, len, &at, &f->nargs, &f->args);
}

/* ---- data -------------------------------------------------------------------------------- */
LS_API ls_bytes ls__result(int n) {
  char *p = ls_alloc(n);
  lodestone_result_read(p, n);
  return (ls_bytes){p, n};
}

/* GET key: the value in the arena; n = -1 if the key does not exist, -2 if it holds another type. */
LS_API ls_bytes ls_get(ls_bytes key) {
  int n = lodestone_get_key(key.p, key.n);
  if (n < 0) return (ls_bytes){0, n};
  return ls__result(n);
}
LS_API int ls_set(ls_bytes key, ls_bytes value) { return lodestone_set_key(key.p, key.n, value.p, value.n); }
LS_API int ls_del(ls_bytes key) { return lodestone_del_key(key.p, key.n); }

/* A command's reply, decoded from RESP2 (in the arena). */
typedef struct ls_reply {
  char type;         /* ':' integer, '+' status, '-' error, '$' bulk, '*' array, '_' nil */
  long long integer; /* ':' */
  ls_bytes str;      /* '+', '-', '$' */
  int n;             /* '*': number of items */
  struct ls_reply *items;
} ls_reply;

LS_API ls_bytes ls__line(ls_bytes b, int *at) {
  int s = *at;
  while (*at + 1 < b.n && !(b.p[*at] == '\r' && b.p[*at + 1] == '\n')) (*at)++;
  ls_bytes l = {b.p + s, *at - s};
  *at += 2;
  return l;
}

LS_API ls_reply ls__decode(ls_bytes b, int *at) {
  ls_reply r = {'_', 0, {0, 0}, 0, 0};
  if (*at >= b.n) return r;
  char t = b.p[(*at)++];
  ls_bytes l = ls__line(b, at);
  long long n = 0;
  switch (t) {
    case ':':
      r.type = ':';
      ls_parse_int(l, &r.integer);
      break;
    case '+':
    case '-':
      r.type = t, r.str = l;
      break;
    case '$':
      if (ls_parse_int(l, &n) && n >= 0) {
        r.type = '$', r.str = (ls_bytes){b.p + *at, (int)n};
        *at += (int)n + 2;
      }
      break;
    case '*':
      if (ls_parse_int(l, &n) && n >= 0) {
        r.type = '*', r.n = (int)n;
        r.items = ls_alloc((int)(n * sizeof(ls_reply)));
        for (int i = 0; i < r.n; i++) r.items[i] = ls__decode(b, at);
      }
      break;
  }
  return r;
}

/* Run one command; command errors (WRONGTYPE …) come back as '-' replies. */
LS_API ls_reply ls_call(int argc, const ls_bytes *argv) {
  ls_buf c = ls_buf_new(64);
  ls_buf_adds(&c, "*");
  ls_buf_addi(&c, argc);
  ls_buf_adds(&c, "\r\n");
  for (int i = 0; i < argc; i++) {
    ls_buf_adds(&c, "$");
    ls_buf_addi(&c, argv[i].n);
    ls_buf_adds(&c, "\r\n");
    ls_buf_add(&c, argv[i]);
    ls_buf_adds(&c, "\r\n");
  }
  int n = lodestone_call(c.p, c.n);
  ls_bytes res = ls__result(n);
  int at = 0;
  return ls__decode(res, &at);
}

/* ls_call expecting an integer; fails the call on an error reply or anything else. */
#define ls_call_int(argc, argv) ls__call_int((argc), (argv), __FILE__, __LINE__)
LS_API long long ls__call_int(int argc, const ls_bytes *argv, const char *file, int line) {
  ls_reply r = ls_call(argc, argv);
  long long v;
  if (r.type == ':') return r.integer;
  if (r.type == '-') ls__fail(r.str, file, line);
  if ((r.type == '$' || r.type == '+') && ls_parse_int(r.str, &v)) return v;
  ls_buf m = ls_buf_new(64);
  ls_buf_adds(&m, "expected an integer reply from ");
  ls_buf_add(&m, argv[0]);
  ls__fail(ls_buf_bytes(&m), file, line);
}

#define LS__ARGV(...) ((const ls_bytes[]){__VA_ARGS__})
#define LS__ARGC(...) ((int)(sizeof(LS__ARGV(__VA_ARGS__)) / sizeof(ls_bytes)))
/* LS_CALL(LS_S("ZCARD"), key) — the arguments inline, as ls_bytes. */
#define LS_CALL(...) ls_call(LS__ARGC(__VA_ARGS__), LS__ARGV(__VA_ARGS__))
#define LS_CALL_INT(...) ls_call_int(LS__ARGC(__VA_ARGS__), LS__ARGV(__VA_ARGS__))

/* ---- replies (if an entry point calls none, its integer result is the reply) ----------- */
LS_API void ls_reply_int(long long v) { lodestone_reply_int(v); }
LS_API void ls_reply_bulk(ls_bytes v) { lodestone_reply_bulk(v.p, v.n); }
LS_API void ls_reply_status(const char *s) { lodestone_reply_status(s, ls_strlen(s)); }
/* An error reply ("ERR " prepended unless it starts with an upper-case code); the call still
 * succeeds and keeps its writes. */
LS_API void ls_reply_error(ls_bytes s) { lodestone_reply_error(s.p, s.n); }
LS_API void ls_reply_nil(void) { lodestone_reply_nil(); }
LS_API void ls_reply_array(int n) { lodestone_reply_array(n); }
LS_API void ls_reply_raw(ls_bytes resp) { lodestone_reply_raw(resp.p, resp.n); }

/* ---- other ------------------------------------------------------------------------------- */
LS_API void ls_log(int level, const char *msg) { lodestone_log(level, msg, ls_strlen(msg)); }
LS_API long long ls_now_ms(void) { return lodestone_now_ms(); }

/* ---- json -------------------------------------------------------------------------------- */
/* Why the last ls_json_field failed, and where (byte offset). */
static const char *ls_json_error;
static int ls_json_offset;

LS_API int ls__json_ws(ls_bytes d, int at) {
  while (at < d.n && (d.p[at] == ' ' || d.p[at] == '\t' || d.p[at] == '\n' || d.p[at] == '\r')) at++;
  return at;
}
LS_API int ls__json_err(const char *msg, int at) {
  ls_json_error = msg, ls_json_offset = at;
  return -1;
}
LS_API int ls__json_lit(ls_bytes d, int at, const char *w, const char *msg) {
  for (int i = 0; w[i]; i++)
    if (at + i >= d.n || d.p[at + i] != w[i]) return ls__json_err(msg, at);
  return at + ls_strlen(w);
}
/* Skip one value starting at `at` (no whitespace before it); returns the offset after it or -1. */
LS_API int ls__json_skip(ls_bytes d, int at, int depth) {
  if (depth > 128) return ls__json_err("nested too deeply", at);
  if (at >= d.n) return ls__json_err("unexpected end", at);
  char c = d.p[at];
  if (c == '"') {
    for (at++; at < d.n; at++) {
      if (d.p[at] == '"') return at + 1;
      if (d.p[at] == '\\') at++;
      else if ((unsigned char)d.p[at] < 0x20) return ls__json_err("control character in a string", at);
    }
    return ls__json_err("unterminated string", at);
  }
  if (c == '{' || c == '[') {
    char close = c == '{' ? '}' : ']';
    at = ls__json_ws(d, at + 1);
    if (at < d.n && d.p[at] == close) return at + 1;
    for (;;) {
      if (c == '{') {
        if (at >= d.n || d.p[at] != '"') return ls__json_err("expected a field name", at);
        if ((at = ls__json_skip(d, at, depth + 1)) < 0) return -1;
        at = ls__json_ws(d, at);
        if (at >= d.n || d.p[at] != ':') return ls__json_err("expected ':'", at);
        at = ls__json_ws(d, at + 1);
      }
      if ((at = ls__json_skip(d, at, depth + 1)) < 0) return -1;
      at = ls__json_ws(d, at);
      if (at < d.n && d.p[at] == ',') {
        at = ls__json_ws(d, at + 1);
        continue;
      }
      if (at < d.n && d.p[at] == close) return at + 1;
      return ls__json_err(c == '{' ? "expected ',' or '}'" : "expected ',' or ']'", at);
    }
  }
  if (c == 't') return ls__json_lit(d, at, "true", "expected true or false");
  if (c == 'f') return ls__json_lit(d, at, "false", "expected true or false");
  if (c == 'n') return ls__json_lit(d, at, "null", "expected null");
  if (c == '-' || (c >= '0' && c <= '9')) {
    int s = at;
    if (d.p[at] == '-') at++;
    int digits = at;
    while (at < d.n && ((d.p[at] >= '0' && d.p[at] <= '9') || d.p[at] == '.' || d.p[at] == 'e' || d.p[at] == 'E' || d.p[at] == '+' || d.p[at] == '-')) at++;
    if (at == digits) return ls__json_err("expected a digit", s);
    return at;
  }
  return ls__json_err("unexpected character", at);
}

/*
 * Find the top-level field `name` of the JSON object `doc` (checking the whole document).
 * Returns 1 and sets *value to its raw text, 0 if the document has no such field (or is not an
 * object), -1 if the document is invalid (ls_json_error / ls_json_offset say why and where).
 * Field names are compared as written (no unescaping).
 */
LS_API int ls_json_field(ls_bytes doc, const char *name, ls_bytes *value) {
  ls_bytes want = ls_cstr(name);
  int found = 0;
  int at = ls__json_ws(doc, 0);
  if (at < doc.n && doc.p[at] == '{') {
    at = ls__json_ws(doc, at + 1);
    if (at < doc.n && doc.p[at] == '}') at++;
    else
      for (;;) {
        if (at >= doc.n || doc.p[at] != '"') return ls__json_err("expected a field name", at);
        int ks = at;
        if ((at = ls__json_skip(doc, at, 1)) < 0) return -1;
        ls_bytes key = {doc.p + ks + 1, at - ks - 2};
        at = ls__json_ws(doc, at);
        if (at >= doc.n || doc.p[at] != ':') return ls__json_err("expected ':'", at);
        at = ls__json_ws(doc, at + 1);
        int vs = at;
        if ((at = ls__json_skip(doc, at, 1)) < 0) return -1;
        if (ls_eq(key, want)) *value = (ls_bytes){doc.p + vs, at - vs}, found = 1;
        at = ls__json_ws(doc, at);
        if (at < doc.n && doc.p[at] == ',') {
          at = ls__json_ws(doc, at + 1);
          continue;
        }
        if (at < doc.n && doc.p[at] == '}') {
          at++;
          break;
        }
        return ls__json_err("expected ',' or '}'", at);
      }
  } else if ((at = ls__json_skip(doc, at, 0)) < 0) {
    return -1;
  }
  at = ls__json_ws(doc, at);
  if (at != doc.n) return ls__json_err("unexpected data after the document", at);
  return found;
}

/* A JSON value as an integer (no fraction or exponent); 1 on success. */
LS_API int ls_json_int(ls_bytes v, long long *out) { return ls_parse_int(v, out); }
/* A JSON value as a boolean; 1 on success. */
LS_API int ls_json_bool(ls_bytes v, int *out) {
  if (ls_eq(v, LS_S("true"))) return *out = 1, 1;
  if (ls_eq(v, LS_S("false"))) return *out = 0, 1;
  return 0;
}

#endif /* LODESTONE_H */
