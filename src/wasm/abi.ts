// The guest ABI, version 1 (documented for guest authors in docs/ABI.md): which imports a module
// may use, what each needs permission for, which export signatures are entry points, and the
// binary "call frame" that carries KEYS and ARGS into `main(ptr, len)`.
//
// Kept as data so the loader (registry.ts) can reject a module whose imports its permissions do
// not allow, and host.ts can build the import object from the same table.

export const ABI_VERSION = 1;
/** Import namespace of the host API. */
export const HOST_MODULE = 'lodestone';
/** Optional guest export: the buffer allocator the host uses for `main(ptr, len)` input. */
export const ALLOC_EXPORT = 'lodestone_alloc';
/**
 * Optional guest export `lodestone_input(len) -> ptr`: before a `()` entry point runs, the host
 * asks it for `len` bytes and writes the call frame (KEYS and ARGS, the format of `main(ptr, len)`)
 * there, so the guest reads all its input with no host call at all.
 */
export const INPUT_EXPORT = 'lodestone_input';
/** Optional guest export: returns the ABI version the guest was built for. */
export const VERSION_EXPORT = 'lodestone_abi_version';

export type Permission = 'READ' | 'WRITE' | 'ADMIN';
export const PERMISSIONS: Permission[] = ['READ', 'WRITE', 'ADMIN'];
/**
 * Permissions that were once accepted and granted nothing (WASI file and socket calls answered
 * ENOTCAPABLE): refused by name, with the reason, rather than silently meaning nothing.
 */
export const REMOVED_PERMISSIONS: Record<string, string> = {
  NETWORK: 'the NETWORK permission does not exist: a WASM function has no network access (docs/ABI.md, Permissions)',
  FILESYSTEM: 'the FILESYSTEM permission does not exist: a WASM function has no file access (docs/ABI.md, Permissions)',
};

export function parsePermission(s: string): Permission | null {
  const u = s.toUpperCase();
  return (PERMISSIONS as string[]).includes(u) ? (u as Permission) : null;
}

/** Effective permissions: WRITE implies READ (a write such as INCR reads what it changes). */
export function effective(perms: Set<Permission>): Set<Permission> {
  const e = new Set(perms);
  if (e.has('WRITE')) e.add('READ');
  return e;
}

type V = 'i32' | 'i64';
export interface HostFnSpec {
  params: V[];
  results: V[];
  /** Permission needed to import it; null = always allowed. */
  needs: Permission | null;
  doc: string;
}

/** The host API. Pointers are offsets into the guest's exported memory; lengths are bytes. */
export const HOST_FUNCTIONS: Record<string, HostFnSpec> = {
  key_count: { params: [], results: ['i32'], needs: null, doc: 'number of KEYS' },
  key_len: { params: ['i32'], results: ['i32'], needs: null, doc: 'length of KEYS[i], -1 if out of range' },
  key_read: { params: ['i32', 'i32', 'i32'], results: ['i32'], needs: null, doc: '(i, dst, cap): copy KEYS[i], return its full length' },
  arg_count: { params: [], results: ['i32'], needs: null, doc: 'number of ARGS' },
  arg_len: { params: ['i32'], results: ['i32'], needs: null, doc: 'length of ARGS[i], -1 if out of range' },
  arg_read: { params: ['i32', 'i32', 'i32'], results: ['i32'], needs: null, doc: '(i, dst, cap): copy ARGS[i], return its full length' },
  get_key: { params: ['i32', 'i32'], results: ['i32'], needs: 'READ', doc: '(key, klen): value length into the result buffer; -1 nil; -2 not a string' },
  set_key: { params: ['i32', 'i32', 'i32', 'i32'], results: ['i32'], needs: 'WRITE', doc: '(key, klen, val, vlen): SET; 0 on success' },
  del_key: { params: ['i32', 'i32'], results: ['i32'], needs: 'WRITE', doc: '(key, klen): DEL; 1 deleted, 0 absent' },
  cmd: {
    params: ['i32', 'i32', 'i32', 'i32', 'i32'],
    results: ['i32'],
    needs: null,
    doc: '(argv, argc, dst, cap, out): run the command whose argc arguments are (u32 ptr, u32 len) pairs at argv; returns the reply type (CMD_*); an integer reply is written to out as i64, a bulk/status/error payload goes to dst (up to cap bytes) and the result buffer, its full length to out',
  },
  call: { params: ['i32', 'i32'], results: ['i32'], needs: null, doc: '(cmd, len): run a RESP-encoded command; RESP reply into the result buffer; returns its length' },
  result_read: { params: ['i32', 'i32'], results: ['i32'], needs: null, doc: '(dst, cap): copy the result buffer, return its full length' },
  log: { params: ['i32', 'i32', 'i32'], results: [], needs: null, doc: '(level 0..3, msg, len): write to the server log' },
  now_ms: { params: [], results: ['i64'], needs: null, doc: 'server time, ms since the epoch' },
  reply_int: { params: ['i64'], results: [], needs: null, doc: 'integer reply' },
  reply_bulk: { params: ['i32', 'i32'], results: [], needs: null, doc: 'bulk string reply' },
  reply_status: { params: ['i32', 'i32'], results: [], needs: null, doc: 'status reply (+OK)' },
  reply_error: { params: ['i32', 'i32'], results: [], needs: null, doc: 'error reply; "ERR " is prefixed unless the text starts with an upper-case code' },
  reply_nil: { params: [], results: [], needs: null, doc: 'nil reply' },
  reply_array: { params: ['i32'], results: [], needs: null, doc: 'array of n elements; the next n reply_* calls fill it' },
  reply_raw: { params: ['i32', 'i32'], results: [], needs: null, doc: 'a complete RESP reply (e.g. one returned by call)' },
};

/** Reply types returned by the `cmd` host function. */
export const CMD_NIL = 0;
export const CMD_INT = 1;
export const CMD_BULK = 2;
export const CMD_STATUS = 3;
export const CMD_ERROR = 4;
/** Any other reply (arrays, maps, doubles): its RESP2 encoding is the payload. */
export const CMD_RESP = 5;

/** AssemblyScript's runtime imports; harmless, always allowed. */
export const ENV_FUNCTIONS = new Set(['abort', 'trace', 'seed']);
/** The only WASI imports provided: none grants a capability (printing goes to the log). */
export const WASI_HARMLESS = new Set([
  'fd_write',
  'proc_exit',
  'random_get',
  'clock_time_get',
  'clock_res_get',
  'environ_get',
  'environ_sizes_get',
  'args_get',
  'args_sizes_get',
  'sched_yield',
  'fd_fdstat_get',
  'fd_close',
  'fd_seek',
  'fd_prestat_get',
  'fd_prestat_dir_name',
]);
export const WASI_MODULES = new Set(['wasi_snapshot_preview1', 'wasi_unstable']);

/** Why a WASI import is refused at load ('' when it is one of the harmless ones provided). */
export function wasiRefusal(name: string): string {
  if (WASI_HARMLESS.has(name)) return '';
  return name.startsWith('sock_')
    ? 'a socket call: WASM functions have no network access'
    : 'a filesystem call: WASM functions have no file access (only fd_write to stdout/stderr, which goes to the log)';
}

/** How an exported function is called, from its signature. */
export type EntryKind = 'noargs' | 'frame';
export interface EntrySig {
  kind: EntryKind;
  result: 'i64' | 'i32' | 'none';
}

/**
 * Classify an export's type (as reported by the instrumenter's decoder) as an entry point:
 * `() -> i64|i32|()` or `(i32 ptr, i32 len) -> i64|i32|()`. Anything else is not callable.
 */
export function classifyEntry(params: string[], results: string[]): EntrySig | null {
  let result: EntrySig['result'];
  if (results.length === 0) result = 'none';
  else if (results.length === 1 && (results[0] === 'i64' || results[0] === 'i32')) result = results[0];
  else return null;
  if (params.length === 0) return { kind: 'noargs', result };
  if (params.length === 2 && params[0] === 'i32' && params[1] === 'i32') return { kind: 'frame', result };
  return null;
}

/**
 * The call frame passed to `main(ptr, len)`: little-endian
 *   u32 nkeys, nkeys × (u32 len, bytes), u32 nargs, nargs × (u32 len, bytes)
 */
export function encodeFrame(keys: string[], args: string[]): Buffer {
  let size = 8;
  for (const k of keys) size += 4 + k.length;
  for (const a of args) size += 4 + a.length;
  const b = Buffer.allocUnsafe(size);
  let o = 0;
  b.writeUInt32LE(keys.length, o);
  o += 4;
  for (const k of keys) {
    b.writeUInt32LE(k.length, o);
    o += 4;
    o += b.latin1Write(k, o);
  }
  b.writeUInt32LE(args.length, o);
  o += 4;
  for (const a of args) {
    b.writeUInt32LE(a.length, o);
    o += 4;
    o += b.latin1Write(a, o);
  }
  return b;
}

/** Size in bytes of the call frame of `keys` and `args`. */
export function frameSize(keys: string[], args: string[]): number {
  let size = 8 + 4 * (keys.length + args.length);
  for (let i = 0; i < keys.length; i++) size += keys[i].length;
  for (let i = 0; i < args.length; i++) size += args[i].length;
  return size;
}

/** Write the call frame at `o` of `b` (guest memory; the caller checked the bounds), no allocation. */
export function writeFrame(b: Buffer, o: number, keys: string[], args: string[]): void {
  o = writeStrings(b, o, keys);
  writeStrings(b, o, args);
}

/** u32 count, then (u32 len, latin1 bytes) per string; returns the offset after them. */
function writeStrings(b: Buffer, o: number, list: string[]): number {
  u32(b, o, list.length);
  o += 4;
  for (let i = 0; i < list.length; i++) {
    const s = list[i];
    const l = s.length;
    u32(b, o, l);
    o += 4;
    // Short strings (keys, numbers) by hand: cheaper than a call into latin1Write's binding.
    if (l <= 32) {
      for (let j = 0; j < l; j++) b[o + j] = s.charCodeAt(j);
      o += l;
    } else o += b.latin1Write(s, o);
  }
  return o;
}

function u32(b: Buffer, o: number, v: number): void {
  b[o] = v;
  b[o + 1] = v >>> 8;
  b[o + 2] = v >>> 16;
  b[o + 3] = v >>> 24;
}
