// hello — a Lodestone function in plain C (no libc), proving the ABI is language-neutral.
//
//   clang --target=wasm32 -nostdlib -O2 -mbulk-memory -Wl,--no-entry -Wl,--export-dynamic \
//         -o hello.wasm hello.c
//   WASM.LOAD hello <bytes>
//   WASM.CALL hello KEYS world ARGS Hello      → "Hello, world!"
//   WASM.CALL hello                            → "Hello, world!"   (defaults)
//
// It reads KEYS[0] / ARGS[0] with key_read / arg_read into memory from a bump allocator and
// replies with reply_bulk. lodestone_alloc is the same bump allocator (the host would use it for
// a `main(ptr, len)` entry point; this `main` takes no arguments and reads its input itself).

#define IMPORT(name) __attribute__((import_module("lodestone"), import_name(name)))
#define EXPORT(name) __attribute__((export_name(name)))

IMPORT("key_len") int key_len(int i);
IMPORT("key_read") int key_read(int i, void *dst, int cap);
IMPORT("arg_len") int arg_len(int i);
IMPORT("arg_read") int arg_read(int i, void *dst, int cap);
IMPORT("reply_bulk") void reply_bulk(const void *ptr, int len);

extern unsigned char __heap_base;
static unsigned long bump;

// A bump allocator over the memory after the stack and data; reset at the start of every call.
EXPORT("lodestone_alloc") void *lodestone_alloc(int size) {
  if (bump == 0) bump = (unsigned long)&__heap_base;
  unsigned long p = (bump + 7) & ~7ul;
  unsigned long end = p + (unsigned long)size;
  unsigned long have = __builtin_wasm_memory_size(0) * 65536ul;
  if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) == (unsigned long)-1) return 0;
  bump = end;
  return (void *)p;
}

EXPORT("lodestone_abi_version") int lodestone_abi_version(void) { return 1; }

static int append(char *out, int at, const char *s, int n) {
  __builtin_memcpy(out + at, s, n);
  return at + n;
}

EXPORT("main") void hello_main(void) {
  bump = 0; // new call: start the arena again

  int glen = arg_len(0);
  int nlen = key_len(0);
  const char *greeting = "Hello";
  const char *name = "world";
  if (glen >= 0) {
    char *g = lodestone_alloc(glen);
    arg_read(0, g, glen);
    greeting = g;
  } else {
    glen = 5;
  }
  if (nlen >= 0) {
    char *k = lodestone_alloc(nlen);
    key_read(0, k, nlen);
    name = k;
  } else {
    nlen = 5;
  }

  char *out = lodestone_alloc(glen + nlen + 3);
  int n = append(out, 0, greeting, glen);
  n = append(out, n, ", ", 2);
  n = append(out, n, name, nlen);
  n = append(out, n, "!", 1);
  reply_bulk(out, n);
}
