// Redis 7 functions: `#!lua name=<lib>` libraries loaded with FUNCTION LOAD, whose code calls
// redis.register_function (positional, or the table form with flags and description), run with
// FCALL / FCALL_RO. Libraries live in their own Lua state (as in Redis), each with its own read-only
// environment; while a library loads, `redis` is the load-time API (no redis.call).
//
// Libraries are data: they persist with the dataset (FUNCTION LOAD/DELETE/FLUSH/RESTORE are write
// commands and reach the AOF as themselves; AOF rewrites and snapshots start with FUNCTION LOAD
// REPLACE for every library, persistence/dump.ts). FUNCTION DUMP writes Redis's payload layout
// (FUNCTION2 opcode + RDB string per library, RDB version, CRC64) with uncompressed strings;
// FUNCTION RESTORE reads it, including Redis's LZF-compressed strings.

import { globMatch } from '../util/glob.js';
import { MapReply, Reply, ReplyError, SetReply } from '../protocol/reply.js';
import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import { LuaEngine } from './engine.js';
import { checkScriptFlags, SCRIPT_FLAGS } from './flags.js';
import { LuaVM, LUA_OK, LUA_TFUNCTION, LUA_TNIL, LUA_TSTRING, LUA_TTABLE, M, cstr } from './lua-vm.js';

interface LuaFunction {
  name: string;
  ref: number;
  flags: string[];
  description: string | null;
  lib: Library;
}

interface Library {
  name: string;
  code: string;
  functions: Map<string, LuaFunction>;
}

const NAME_RE = /^[A-Za-z0-9_]+$/;

export class FunctionLibraries {
  private eng: LuaEngine | null = null;
  readonly libraries = new Map<string, Library>();
  readonly functions = new Map<string, LuaFunction>();
  /** Functions registered by the library being loaded. */
  private pending: Map<string, LuaFunction> | null = null;
  private pendingLib: Library | null = null;

  constructor(private readonly server: Server) {}

  get started(): boolean {
    return this.eng !== null;
  }

  private get engine(): LuaEngine {
    if (!this.eng) {
      this.eng = new LuaEngine(this.server, 'function');
      this.eng.onRegister = (L) => this.register(L);
    }
    return this.eng;
  }

  /** FUNCTION LOAD [REPLACE] code: the library name, or Redis's error. */
  load(code: string, replace: boolean): string | ReplyError {
    const md = parseShebang(code);
    if (md instanceof ReplyError) return md;
    const old = this.libraries.get(md.name);
    if (old && !replace) return new ReplyError('ERR', `Library '${md.name}' already exists`);
    const lib: Library = { name: md.name, code, functions: new Map() };
    const made = this.compileLibrary(lib, md.body);
    if (made instanceof ReplyError) return made;
    for (const f of made.values()) {
      const other = this.functions.get(f.name);
      if (other && other.lib.name !== lib.name) {
        this.drop(made);
        return new ReplyError('ERR', `Function ${f.name} already exists`);
      }
    }
    if (old) this.remove(old);
    this.install(lib, made);
    return lib.name;
  }

  private install(lib: Library, fns: Map<string, LuaFunction>): void {
    lib.functions = fns;
    this.libraries.set(lib.name, lib);
    for (const f of fns.values()) this.functions.set(f.name, f);
  }

  private drop(fns: Map<string, LuaFunction>): void {
    for (const f of fns.values()) this.engine.vm.unref(f.ref);
  }

  private remove(lib: Library): void {
    for (const f of lib.functions.values()) {
      this.functions.delete(f.name);
      this.engine.vm.unref(f.ref);
    }
    this.libraries.delete(lib.name);
  }

  delete(name: string): boolean {
    const lib = this.libraries.get(name);
    if (!lib) return false;
    this.remove(lib);
    return true;
  }

  flush(): void {
    for (const lib of [...this.libraries.values()]) this.remove(lib);
  }

  /** Run the library body in a fresh environment, collecting what it registers. */
  private compileLibrary(lib: Library, body: string): Map<string, LuaFunction> | ReplyError {
    const eng = this.engine;
    const vm = eng.vm;
    const L = vm.L;
    const base = M._lua_gettop(L);
    vm.pushRef(eng.newEnvRef);
    M._lua_pcallk(L, 0, 1, 0, 0, 0); // env at the top
    const ref = eng.compile(body, '@user_function', true);
    if (typeof ref === 'string') {
      M._lua_settop(L, base);
      return new ReplyError('ERR', `Error compiling function: ${ref}`);
    }
    M._lua_settop(L, base);
    this.pending = new Map();
    this.pendingLib = lib;
    setLoading(eng, true);
    vm.pushRef(eng.handlerRef);
    vm.pushRef(ref);
    eng.arm();
    let status: number;
    try {
      status = M._lua_pcallk(L, 0, 0, base + 1, 0, 0);
    } finally {
      eng.disarm();
      setLoading(eng, false);
    }
    const fns = this.pending;
    this.pending = null;
    this.pendingLib = null;
    vm.unref(ref);
    if (status !== LUA_OK || eng.wasKilled) {
      const e = eng.errorReply(status === LUA_OK ? null : -1, lib.name);
      M._lua_settop(L, base);
      this.drop(fns);
      // "ERR Error registering functions: <err>" — the err without the "script: …" suffix.
      const wire = e.wire.replace(/ script: [^]*$/, '');
      return new ReplyError('ERR', `Error registering functions: ${wire}`);
    }
    M._lua_settop(L, base);
    if (fns.size === 0) return new ReplyError('ERR', 'No functions registered');
    return fns;
  }

  /** redis.register_function(name, fn) / redis.register_function{function_name=…, callback=…, flags=…, description=…}. */
  private register(L: number): number {
    const eng = this.engine;
    const vm = eng.vm;
    const fail = (msg: string): number => {
      M._lua_settop(L, 0);
      M._lua_createtable(L, 0, 1);
      vm.pushString(msg);
      M._lua_setfield(L, -2, cstr('err'));
      return vm.raise();
    };
    if (!this.pending || !this.pendingLib) return fail('ERR redis.register_function can only be called on FUNCTION LOAD command');
    const n = M._lua_gettop(L);
    let name: string | null = null;
    let flags: string[] = [];
    let description: string | null = null;
    if (n === 1 && M._lua_type(L, 1) === LUA_TTABLE) {
      const t = 1;
      M._lua_pushnil(L);
      let sawCallback = false;
      while (M._lua_next(L, t) !== 0) {
        // key at -2, value at -1
        if (M._lua_type(L, -2) !== LUA_TSTRING) return fail('ERR named argument key given to redis.register_function is not a string');
        const key = vm.toString(-2)!;
        if (key === 'function_name') {
          if (M._lua_type(L, -1) !== LUA_TSTRING) return fail('ERR function_name argument given to redis.register_function must be a string');
          name = vm.toString(-1);
        } else if (key === 'description') {
          if (M._lua_type(L, -1) !== LUA_TSTRING) return fail('ERR description argument given to redis.register_function must be a string');
          description = vm.toString(-1);
        } else if (key === 'callback') {
          if (M._lua_type(L, -1) !== LUA_TFUNCTION) return fail('ERR callback argument given to redis.register_function must be a function');
          sawCallback = true;
        } else if (key === 'flags') {
          if (M._lua_type(L, -1) !== LUA_TTABLE) return fail('ERR flags argument to redis.register_function must be a table representing function flags');
          const parsed = readFlags(vm);
          if (parsed === null) return fail('ERR unknown flag given');
          flags = parsed;
        } else {
          return fail('ERR unknown argument given to redis.register_function');
        }
        M._lua_settop(L, -2);
      }
      if (name === null) return fail('ERR redis.register_function must get a function name argument');
      if (!sawCallback) return fail('ERR redis.register_function must get a callback argument');
      M._lua_getfield(L, 1, cstr('callback'));
    } else if (n === 2) {
      if (M._lua_type(L, 1) !== LUA_TSTRING) return fail('ERR first argument to redis.register_function must be a string');
      if (M._lua_type(L, 2) !== LUA_TFUNCTION) return fail('ERR second argument to redis.register_function must be a function');
      name = vm.toString(1);
      M._lua_pushvalue(L, 2);
    } else {
      return fail('ERR wrong number of arguments to redis.register_function');
    }
    if (!name || !NAME_RE.test(name)) {
      // Redis 7.0 says "Library names" here too.
      return fail('ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long');
    }
    if (this.pending.has(name)) return fail('ERR Function already exists in the library');
    const ref = vm.ref();
    this.pending.set(name, { name, ref, flags, description, lib: this.pendingLib });
    M._lua_settop(L, 0);
    return 0;
  }

  /** FCALL / FCALL_RO. */
  call(client: Client, name: string, keys: string[], args: string[], ro: boolean): Reply {
    const f = this.functions.get(name);
    if (!f) return new ReplyError('ERR', 'Function not found');
    const readonly = checkScriptFlags(this.server, f.flags, ro);
    if (readonly instanceof ReplyError) return readonly;
    return this.engine.call(f.ref, client, keys, args, { readonly, name });
  }

  list(pattern: string | null, withCode: boolean): Reply {
    const out: Reply[] = [];
    for (const lib of this.libraries.values()) {
      if (pattern !== null && !globMatch(pattern, lib.name)) continue;
      const fns: Reply[] = [];
      for (const f of lib.functions.values()) {
        fns.push(new MapReply(['name', f.name, 'description', f.description, 'flags', new SetReply([...f.flags])]));
      }
      const flat: Reply[] = ['library_name', lib.name, 'engine', 'LUA', 'functions', fns];
      if (withCode) flat.push('library_code', lib.code);
      out.push(new MapReply(flat));
    }
    return out;
  }

  stats(): Reply {
    return new MapReply([
      'running_script', null,
      'engines', new MapReply(['LUA', new MapReply(['libraries_count', this.libraries.size, 'functions_count', this.functions.size])]),
    ]);
  }

  /** Every library's code, for dumps (FUNCTION LOAD REPLACE <code>). */
  codes(): string[] {
    return [...this.libraries.values()].map((l) => l.code);
  }

  // ---- FUNCTION DUMP / RESTORE ----------------------------------------------------------------------

  dump(): string {
    const parts: Buffer[] = [];
    for (const lib of this.libraries.values()) {
      parts.push(Buffer.from([RDB_OPCODE_FUNCTION2]), rdbString(Buffer.from(lib.code, 'latin1')));
    }
    const body = Buffer.concat([...parts, Buffer.from([RDB_VERSION & 0xff, RDB_VERSION >> 8])]);
    const crc = Buffer.alloc(8);
    crc.writeBigUInt64LE(crc64(body));
    return Buffer.concat([body, crc]).latin1Slice();
  }

  restore(payload: string, policy: 'APPEND' | 'REPLACE' | 'FLUSH'): Reply {
    const buf = Buffer.from(payload, 'latin1');
    if (buf.length < 10) return ERR_PAYLOAD;
    const version = buf.readUInt16LE(buf.length - 10);
    const crc = buf.readBigUInt64LE(buf.length - 8);
    if (version > RDB_VERSION || (crc !== 0n && crc !== crc64(buf.subarray(0, buf.length - 8)))) return ERR_PAYLOAD;
    const codes: string[] = [];
    let i = 0;
    const end = buf.length - 10;
    try {
      while (i < end) {
        if (buf[i] !== RDB_OPCODE_FUNCTION2) return new ReplyError('ERR', 'given type is not a function');
        const [s, next] = readRdbString(buf, i + 1);
        codes.push(s.latin1Slice());
        i = next;
      }
    } catch {
      return ERR_PAYLOAD;
    }
    // Build the new set of libraries aside; only commit when every library loads.
    const saved = { libs: new Map(this.libraries), fns: new Map(this.functions) };
    if (policy === 'FLUSH') {
      this.libraries.clear();
      this.functions.clear();
    }
    const loaded: Library[] = [];
    for (const code of codes) {
      const md = parseShebang(code);
      if (md instanceof ReplyError) return this.undoRestore(saved, loaded, md);
      if (this.libraries.has(md.name) && policy !== 'REPLACE') {
        return this.undoRestore(saved, loaded, new ReplyError('ERR', `Library ${md.name} already exists`));
      }
      const r = this.load(code, policy === 'REPLACE');
      if (r instanceof ReplyError) return this.undoRestore(saved, loaded, r);
      loaded.push(this.libraries.get(r)!);
    }
    // Refs of libraries the restore replaced are now unreachable; the registry keeps them until flush.
    return null;
  }

  private undoRestore(saved: { libs: Map<string, Library>; fns: Map<string, LuaFunction> }, loaded: Library[], err: ReplyError): ReplyError {
    for (const l of loaded) this.drop(l.functions);
    this.libraries.clear();
    this.functions.clear();
    for (const [k, v] of saved.libs) this.libraries.set(k, v);
    for (const [k, v] of saved.fns) this.functions.set(k, v);
    return err;
  }
}

const ERR_PAYLOAD = new ReplyError('ERR', 'DUMP payload version or checksum are wrong');

function setLoading(eng: LuaEngine, on: boolean): void {
  const L = eng.vm.L;
  eng.vm.pushRef(eng.loadingRef);
  M._lua_pushboolean(L, on ? 1 : 0);
  M._lua_pcallk(L, 1, 0, 0, 0, 0);
}

/** Read the flags table at the top of the stack: null when a flag is unknown. */
function readFlags(vm: LuaVM): string[] | null {
  const L = vm.L;
  const t = M._lua_gettop(L);
  const out: string[] = [];
  for (let j = 1; ; j++) {
    const ty = M._lua_rawgeti(L, t, BigInt(j));
    if (ty === LUA_TNIL) {
      M._lua_settop(L, -2);
      return out;
    }
    const f = ty === LUA_TSTRING ? vm.toString(-1) : null;
    M._lua_settop(L, -2);
    if (f === null || !SCRIPT_FLAGS.includes(f)) return null;
    if (!out.includes(f)) out.push(f);
  }
}

/** `#!lua name=<lib>` — Redis's functionExtractLibMetaData. */
function parseShebang(code: string): { name: string; body: string } | ReplyError {
  if (!code.startsWith('#!')) return new ReplyError('ERR', 'Missing library metadata');
  let nl = code.indexOf('\n');
  if (nl < 0) nl = code.length;
  const parts = code.slice(2, nl).split(' ').filter((p) => p !== '');
  const engine = parts.shift() ?? '';
  let name: string | null = null;
  for (const p of parts) {
    if (!p.startsWith('name=')) return new ReplyError('ERR', `Invalid metadata value given: ${p}`);
    name = p.slice(5);
  }
  if (engine.toLowerCase() !== 'lua') return new ReplyError('ERR', `Engine '${engine}' not found`);
  if (name === null) return new ReplyError('ERR', 'Library name was not given');
  if (!NAME_RE.test(name)) return new ReplyError('ERR', 'Library names can only contain letters, numbers, or underscores(_) and must be at least one character long');
  return { name, body: code.slice(nl) };
}

// ---- RDB bits for FUNCTION DUMP / RESTORE ---------------------------------------------------------

const RDB_OPCODE_FUNCTION2 = 245;
const RDB_VERSION = 10;

function rdbString(b: Buffer): Buffer {
  const n = b.length;
  let hdr: Buffer;
  if (n < 64) hdr = Buffer.from([n]);
  else if (n < 16384) hdr = Buffer.from([0x40 | (n >> 8), n & 0xff]);
  else {
    hdr = Buffer.alloc(5);
    hdr[0] = 0x80;
    hdr.writeUInt32BE(n, 1);
  }
  return Buffer.concat([hdr, b]);
}

function readLen(buf: Buffer, i: number): [len: number, next: number, special: number] {
  const c = buf[i];
  if (c === undefined) throw new Error('short');
  const t = c >> 6;
  if (t === 0) return [c & 0x3f, i + 1, -1];
  if (t === 1) return [((c & 0x3f) << 8) | buf[i + 1], i + 2, -1];
  if (t === 3) return [0, i + 1, c & 0x3f];
  if (c === 0x80) return [buf.readUInt32BE(i + 1), i + 5, -1];
  if (c === 0x81) return [Number(buf.readBigUInt64BE(i + 1)), i + 9, -1];
  throw new Error('bad length');
}

function readRdbString(buf: Buffer, i: number): [Buffer, number] {
  const [len, j, special] = readLen(buf, i);
  if (special < 0) {
    if (j + len > buf.length) throw new Error('short');
    return [buf.subarray(j, j + len), j + len];
  }
  if (special === 3) {
    const [clen, k] = readLen(buf, j);
    const [ulen, m] = readLen(buf, k);
    return [lzfDecompress(buf.subarray(m, m + clen), ulen), m + clen];
  }
  // Integer encodings (0: int8, 1: int16, 2: int32).
  const size = [1, 2, 4][special];
  if (size === undefined) throw new Error('bad encoding');
  const v = size === 1 ? buf.readInt8(j) : size === 2 ? buf.readInt16LE(j) : buf.readInt32LE(j);
  return [Buffer.from(String(v)), j + size];
}

function lzfDecompress(src: Buffer, outLen: number): Buffer {
  const out = Buffer.alloc(outLen);
  let i = 0;
  let o = 0;
  while (i < src.length) {
    const ctrl = src[i++];
    if (ctrl < 32) {
      const n = ctrl + 1;
      src.copy(out, o, i, i + n);
      i += n;
      o += n;
    } else {
      let len = ctrl >> 5;
      if (len === 7) len += src[i++];
      let ref = o - ((ctrl & 0x1f) << 8) - 1 - src[i++];
      if (ref < 0) throw new Error('bad lzf');
      for (let k = 0; k < len + 2; k++) out[o++] = out[ref++];
    }
  }
  if (o !== outLen) throw new Error('bad lzf length');
  return out;
}

let CRC_TABLE: BigUint64Array | null = null;
/** Redis's CRC-64/Jones (reflected, poly 0xad93d23594c935a9, init 0). */
export function crc64(b: Uint8Array): bigint {
  if (!CRC_TABLE) {
    CRC_TABLE = new BigUint64Array(256);
    const poly = 0x95ac9329ac4bc9b5n;
    for (let n = 0; n < 256; n++) {
      let c = BigInt(n);
      for (let k = 0; k < 8; k++) c = c & 1n ? poly ^ (c >> 1n) : c >> 1n;
      CRC_TABLE[n] = c;
    }
  }
  let crc = 0n;
  for (let i = 0; i < b.length; i++) crc = CRC_TABLE[Number((crc ^ BigInt(b[i])) & 0xffn)] ^ (crc >> 8n);
  return crc;
}
