// Redis 7 functions: `#!lua name=<lib>` libraries loaded with FUNCTION LOAD, whose code calls
// redis.register_function (positional, or the table form with flags and description), run with
// FCALL / FCALL_RO. Libraries live in their own Lua state (as in Redis), each with its own read-only
// environment; while a library loads, `redis` is the load-time API (no redis.call).
//
// Names as in Redis: library names are case-sensitive, function names are not (FCALL f finds F;
// two libraries cannot hold f and F). A library's code runs at load time under a 500 ms budget
// (Redis's LOAD_TIMEOUT_MS, "FUNCTION LOAD timeout"; a lower busy-reply-threshold stops it first),
// and sees only the `redis` load-time API as globals (prelude.ts). The AOF replay and FUNCTION
// RESTORE load without the 500 ms timeout, as Redis's RDB load does (busy-reply-threshold still holds).
//
// Libraries are data: they persist with the dataset (FUNCTION LOAD/DELETE/FLUSH/RESTORE are write
// commands and reach the AOF as themselves; AOF rewrites and snapshots start with FUNCTION LOAD
// REPLACE for every library, persistence/dump.ts). FUNCTION DUMP writes Redis's payload (an
// RDB_OPCODE_FUNCTION2 byte + the code as an RDB string, LZF-compressed like Redis's, per library;
// then the RDB version and CRC-64: the DUMP envelope of src/persistence/rdb/). FUNCTION RESTORE
// builds the payload's libraries aside, as Redis does, and only then merges them (FLUSH / APPEND /
// REPLACE) — a failing restore changes nothing.

import { globMatch } from '../util/glob.js';
import { MapReply, Reply, ReplyError, SetReply, Status } from '../protocol/reply.js';
import { splitInline } from '../protocol/parser.js';
import { RDB_VERSION, RdbReader, RdbWriter, crc64LE, verifyDumpPayload } from '../persistence/rdb/index.js';
import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import { LuaEngine } from './engine.js';
import { checkScriptFlags, SCRIPT_FLAGS } from './flags.js';
import { LuaVM, LUA_OK, LUA_TFUNCTION, LUA_TNIL, LUA_TNUMBER, LUA_TSTRING, LUA_TTABLE, M, cstr } from './lua-vm.js';

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
const ERR_NAME = 'Library names can only contain letters, numbers, or underscores(_) and must be at least one character long';
/** Redis's LOAD_TIMEOUT_MS: a library's load-time code must finish within it. */
const LOAD_TIMEOUT_MS = 500;

/** Function names are case-insensitive (Redis's functions dict uses a case-insensitive hash). */
const fnKey = (name: string): string => name.toLowerCase();

export class FunctionLibraries {
  private eng: LuaEngine | null = null;
  readonly libraries = new Map<string, Library>();
  /** By lowercased name. */
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

  /**
   * FUNCTION LOAD [REPLACE] code: the library name, or Redis's error. `timed` applies the 500 ms
   * load budget (not when the AOF is replayed: Redis gives clients it must obey no timeout).
   */
  load(code: string, replace: boolean, timed = true): string | ReplyError {
    const md = parseShebang(code);
    if (md instanceof ReplyError) return md;
    const old = this.libraries.get(md.name);
    if (old && !replace) return new ReplyError('ERR', `Library '${md.name}' already exists`);
    const lib: Library = { name: md.name, code, functions: new Map() };
    const made = this.compileLibrary(lib, md.body, timed);
    if (made instanceof ReplyError) return made;
    for (const f of made.values()) {
      const other = this.functions.get(fnKey(f.name));
      if (other && other.lib !== old) {
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
    // A library may register f and F (its own names are case-sensitive); FCALL finds the first.
    for (const f of fns.values()) if (!this.functions.has(fnKey(f.name))) this.functions.set(fnKey(f.name), f);
  }

  private drop(fns: Map<string, LuaFunction>): void {
    for (const f of fns.values()) this.engine.vm.unref(f.ref);
  }

  /** Take a library out of the maps (its functions' refs stay valid). */
  private unlink(lib: Library): void {
    for (const f of lib.functions.values()) {
      if (this.functions.get(fnKey(f.name)) === f) this.functions.delete(fnKey(f.name));
    }
    this.libraries.delete(lib.name);
  }

  private remove(lib: Library): void {
    this.unlink(lib);
    this.drop(lib.functions);
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
  private compileLibrary(lib: Library, body: string, timed: boolean): Map<string, LuaFunction> | ReplyError {
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
    // Redis's 500 ms load timeout; a lower busy-reply-threshold (Lodestone's hard stop for any
    // script) still applies first.
    const threshold = this.server.config.getInt('busy-reply-threshold');
    if (timed && (threshold <= 0 || threshold >= LOAD_TIMEOUT_MS)) eng.arm(LOAD_TIMEOUT_MS, 'ERR FUNCTION LOAD timeout');
    else eng.arm();
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
    /** lua_isstring: a string or a number. */
    const isLuaString = (idx: number): boolean => {
      const t = M._lua_type(L, idx);
      return t === LUA_TSTRING || t === LUA_TNUMBER;
    };
    let name: string | null = null;
    let flags: string[] = [];
    let description: string | null = null;
    if (n < 1 || n > 2) return fail('ERR wrong number of arguments to redis.register_function');
    if (n === 1) {
      if (M._lua_type(L, 1) !== LUA_TTABLE) {
        return fail('ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).');
      }
      const t = 1;
      M._lua_pushnil(L);
      let sawCallback = false;
      while (M._lua_next(L, t) !== 0) {
        // key at -2, value at -1. Keys and flags compare case-insensitively; numbers pass as
        // strings (lua_isstring), as in Redis.
        if (!isLuaString(-2)) return fail('ERR named argument key given to redis.register_function is not a string');
        const key = luaText(vm, -2).toLowerCase();
        if (key === 'function_name') {
          if (!isLuaString(-1)) return fail('ERR function_name argument given to redis.register_function must be a string');
          name = luaText(vm, -1);
        } else if (key === 'description') {
          if (!isLuaString(-1)) return fail('ERR description argument given to redis.register_function must be a string');
          description = luaText(vm, -1);
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
      // The callback under whatever case its key had.
      M._lua_pushnil(L);
      while (M._lua_next(L, t) !== 0) {
        if (M._lua_type(L, -1) === LUA_TFUNCTION && luaText(vm, -2).toLowerCase() === 'callback') {
          const cb = vm.ref();
          M._lua_settop(L, 1);
          vm.pushRef(cb);
          vm.unref(cb);
          break;
        }
        M._lua_settop(L, -2);
      }
    } else {
      if (!isLuaString(1)) return fail('ERR first argument to redis.register_function must be a string');
      if (M._lua_type(L, 2) !== LUA_TFUNCTION) return fail('ERR second argument to redis.register_function must be a function');
      name = luaText(vm, 1);
      M._lua_pushvalue(L, 2);
    }
    // Redis 7.0 says "Library names" here too.
    if (!name || !NAME_RE.test(name)) return fail(`ERR ${ERR_NAME}`);
    if (this.pending.has(name)) return fail('ERR Function already exists in the library');
    const ref = vm.ref();
    this.pending.set(name, { name, ref, flags, description, lib: this.pendingLib });
    M._lua_settop(L, 0);
    return 0;
  }

  /** FCALL / FCALL_RO. */
  call(client: Client, name: string, keys: string[], args: string[], ro: boolean): Reply {
    const f = this.find(name);
    if (!f) return ERR_NO_FUNCTION;
    const readonly = checkScriptFlags(this.server, f.flags, ro);
    if (readonly instanceof ReplyError) return readonly;
    return this.engine.call(f.ref, client, keys, args, { readonly, name });
  }

  /** A function by name, case-insensitively (no allocation when the name is already lowercase). */
  find(name: string): LuaFunction | undefined {
    const f = this.functions.get(name);
    if (f) return f;
    const k = fnKey(name);
    return k === name ? undefined : this.functions.get(k);
  }

  list(pattern: string | null, withCode: boolean): Reply {
    const out: Reply[] = [];
    for (const lib of this.libraries.values()) {
      if (pattern !== null && !globMatch(pattern, lib.name, true)) continue;
      const fns: Reply[] = [];
      for (const f of lib.functions.values()) {
        // Flags in Redis's table order, as status replies.
        const flags = SCRIPT_FLAGS.filter((x) => f.flags.includes(x)).map((x) => new Status(x));
        fns.push(new MapReply(['name', f.name, 'description', f.description, 'flags', new SetReply(flags)]));
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

  dump(): Buffer {
    const w = new RdbWriter();
    for (const lib of this.libraries.values()) {
      w.byte(RDB_OPCODE_FUNCTION2);
      w.string(lib.code, true);
    }
    w.byte(RDB_VERSION & 0xff);
    w.byte((RDB_VERSION >> 8) & 0xff);
    w.raw(crc64LE(w.finish()));
    return Buffer.from(w.finish());
  }

  /** FUNCTION RESTORE payload [FLUSH | APPEND | REPLACE]: null (OK) or Redis's error. */
  restore(payload: Buffer, policy: 'APPEND' | 'REPLACE' | 'FLUSH'): ReplyError | null {
    if (!verifyDumpPayload(payload, this.server.skipChecksumValidation)) return ERR_PAYLOAD;
    // Build the payload's libraries aside (Redis's temporary functionsLibCtx).
    const staged = new Map<string, Library>();
    const stagedFns = new Map<string, LuaFunction>();
    const fail = (e: ReplyError): ReplyError => {
      for (const l of staged.values()) this.drop(l.functions);
      return e;
    };
    const r = new RdbReader(payload);
    while (payload.length - r.pos > 10) {
      const type = r.byte();
      if (type !== RDB_OPCODE_FUNCTION2 && type !== RDB_OPCODE_FUNCTION_PRE_GA) return fail(new ReplyError('ERR', 'given type is not a function'));
      // Redis's rdbFunctionLoad: the 7.0 release candidates' format has the library name, the
      // engine name and an optional description before a code without its first line, which is
      // rebuilt as `#!<engine> name=<name>`.
      let step = 'library payload';
      let code: string;
      try {
        let head = '';
        if (type === RDB_OPCODE_FUNCTION_PRE_GA) {
          step = 'library name';
          const name = r.bytes().latin1Slice();
          step = 'engine name';
          const engine = r.bytes().latin1Slice();
          step = 'library description indicator';
          const hasDesc = r.lenBig();
          step = 'library description';
          if (hasDesc !== 0n) r.bytes();
          step = 'library payload';
          head = `#!${engine} name=${name}\n`;
        }
        code = head + r.bytes().latin1Slice();
      } catch {
        return fail(new ReplyError('ERR', `Failed loading ${step}`));
      }
      const md = parseShebang(code);
      if (md instanceof ReplyError) return fail(md);
      if (staged.has(md.name)) return fail(new ReplyError('ERR', `Library '${md.name}' already exists`));
      const lib: Library = { name: md.name, code, functions: new Map() };
      // Restores, like RDB loads, run without the load timeout.
      const made = this.compileLibrary(lib, md.body, false);
      if (made instanceof ReplyError) return fail(made);
      lib.functions = made;
      staged.set(lib.name, lib);
      for (const f of made.values()) {
        if (stagedFns.has(fnKey(f.name))) return fail(new ReplyError('ERR', `Function ${f.name} already exists`));
      }
      for (const f of made.values()) stagedFns.set(fnKey(f.name), f);
    }
    if (policy === 'FLUSH') {
      this.flush();
    } else {
      // Redis's libraryJoin: a library name already here fails (APPEND) or replaces it (REPLACE);
      // then no function may collide with one that stays.
      const replaced: Library[] = [];
      for (const lib of staged.values()) {
        const old = this.libraries.get(lib.name);
        if (!old) continue;
        if (policy !== 'REPLACE') return fail(new ReplyError('ERR', `Library ${lib.name} already exists`));
        replaced.push(old);
      }
      for (const f of stagedFns.values()) {
        const other = this.functions.get(fnKey(f.name));
        if (other && !replaced.includes(other.lib)) return fail(new ReplyError('ERR', `Function ${f.name} already exists`));
      }
      for (const old of replaced) this.remove(old);
    }
    for (const lib of staged.values()) this.install(lib, lib.functions);
    return null;
  }
}

const ERR_NO_FUNCTION = new ReplyError('ERR', 'Function not found');
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
    const given = ty === LUA_TSTRING ? vm.toString(-1)!.toLowerCase() : null;
    M._lua_settop(L, -2);
    // Flag names compare case-insensitively (strcasecmp in Redis).
    const f = given === null ? undefined : SCRIPT_FLAGS.find((x) => x === given);
    if (f === undefined) return null;
    if (!out.includes(f)) out.push(f);
  }
}

/**
 * `#!lua name=<lib>` — Redis's functionExtractLibMetaData + the checks functionsCreateWithLibraryCtx
 * makes before compiling: the first line split like sdssplitargs (quotes, any whitespace), `name=`
 * matched case-insensitively, then the name checked, then the engine (case-insensitive).
 */
function parseShebang(code: string): { name: string; body: string } | ReplyError {
  if (!code.startsWith('#!')) return new ReplyError('ERR', 'Missing library metadata');
  const nl = code.indexOf('\n');
  if (nl < 0) return ERR_METADATA;
  const parts = splitInline(code.slice(0, nl));
  if (parts === null || parts.length === 0) return ERR_METADATA;
  const engine = parts[0].slice(2);
  let name: string | null = null;
  for (let i = 1; i < parts.length; i++) {
    const p = parts[i];
    if (p.slice(0, 5).toLowerCase() !== 'name=') return new ReplyError('ERR', `Invalid metadata value given: ${p}`);
    if (name !== null) return new ReplyError('ERR', 'Invalid metadata value, name argument was given multiple times');
    name = p.slice(5);
  }
  if (name === null) return new ReplyError('ERR', 'Library name was not given');
  if (!NAME_RE.test(name)) return new ReplyError('ERR', ERR_NAME);
  if (engine.toUpperCase() !== 'LUA') return new ReplyError('ERR', `Engine '${engine}' not found`);
  return { name, body: code.slice(nl) };
}

const ERR_METADATA = new ReplyError('ERR', 'Invalid library metadata');

/** The string or number at `idx` as text, converting a copy (a key lua_next still needs stays a number). */
function luaText(vm: LuaVM, idx: number): string {
  M._lua_pushvalue(vm.L, idx);
  const s = vm.toString(-1) ?? '';
  M._lua_settop(vm.L, -2);
  return s;
}
// ---- RDB opcodes ----------------------------------------------------------------------------------

const RDB_OPCODE_FUNCTION2 = 245;
const RDB_OPCODE_FUNCTION_PRE_GA = 246;
