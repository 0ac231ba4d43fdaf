// EVAL / EVALSHA / EVAL_RO / EVALSHA_RO and the script cache (SCRIPT LOAD / EXISTS / FLUSH).
//
// Like Redis, a script body is compiled once and cached under its SHA1; EVALSHA of a cached script
// is a Map lookup plus the run (engine.ts). The cache lives only in memory: it is not persisted and
// SCRIPT FLUSH empties it (Redis's semantics). A Lua state is created on first use, so a server that
// never runs a script pays nothing for it.

import { ReplyError, Reply } from '../protocol/reply.js';
import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import { LuaEngine, sha1hex } from './engine.js';
import { FunctionLibraries } from './functions.js';
import { bytesToHuman, extendInfo } from '../server/info.js';
import { checkScriptFlags, shebangFlags } from './flags.js';

interface CachedScript {
  ref: number;
  bytes: number;
  /** Flags from a `#!lua flags=…` first line; null for a script without one (Redis's compat mode). */
  flags: string[] | null;
}

/** The scripting subsystem of one server: the EVAL engine + cache, and the function libraries. */
export class Scripting {
  private evalEngine: LuaEngine | null = null;
  readonly scripts = new Map<string, CachedScript>();
  scriptBytes = 0;
  readonly functions: FunctionLibraries;

  constructor(readonly server: Server) {
    this.functions = new FunctionLibraries(server);
    syncAlias(server);
    extendInfo(server, 'memory', () => {
      const vm = this.memoryBytes();
      const fns = this.functions;
      let fnBytes = 0;
      for (const c of fns.codes()) fnBytes += c.length;
      return [
        ['used_memory_lua', vm],
        ['used_memory_vm_eval', this.evalEngine ? vm : 0],
        ['used_memory_lua_human', bytesToHuman(vm)],
        ['used_memory_scripts_eval', this.scriptBytes],
        ['number_of_cached_scripts', this.scripts.size],
        ['number_of_functions', fns.functions.size],
        ['number_of_libraries', fns.libraries.size],
        ['used_memory_vm_functions', fns.started ? vm : 0],
        ['used_memory_vm_total', vm],
        ['used_memory_vm_total_human', bytesToHuman(vm)],
        ['used_memory_functions', fnBytes],
        ['used_memory_scripts', this.scriptBytes + fnBytes],
        ['used_memory_scripts_human', bytesToHuman(this.scriptBytes + fnBytes)],
      ];
    });
  }

  get engine(): LuaEngine {
    return (this.evalEngine ??= new LuaEngine(this.server, 'eval'));
  }

  /** Compile and cache a script body; returns its sha or a compile error. */
  load(body: string): string | ReplyError {
    const sha = sha1hex(body);
    if (this.scripts.has(sha)) return sha;
    const flags = shebangFlags(body);
    if (flags instanceof ReplyError) return flags;
    // The shebang line becomes a Lua comment, so line numbers in errors stay Redis's (it is line 1).
    const ref = this.engine.compile(flags === null ? body : `--${body.slice(2)}`, '@user_script');
    if (typeof ref === 'string') return new ReplyError('ERR', `Error compiling script (new function): ${ref}`);
    this.scripts.set(sha, { ref, bytes: body.length, flags });
    this.scriptBytes += body.length;
    return sha;
  }

  flush(): void {
    if (this.evalEngine) {
      for (const s of this.scripts.values()) this.evalEngine.vm.unref(s.ref);
    }
    this.scripts.clear();
    this.scriptBytes = 0;
  }

  run(client: Client, sha: string, keys: string[], args: string[], readonly: boolean): Reply {
    const s = this.scripts.get(sha);
    if (!s) return ERR_NOSCRIPT;
    if (s.flags !== null) {
      const ro = checkScriptFlags(this.server, s.flags, readonly);
      if (ro instanceof ReplyError) return ro;
      readonly = ro;
    }
    return this.engine.call(s.ref, client, keys, args, { readonly, name: sha });
  }

  /** Lua heap bytes (both engines share one wasm heap). */
  memoryBytes(): number {
    return this.evalEngine || this.functions.started ? this.engine.vm.heapBytes() : 0;
  }
}

export const ERR_NOSCRIPT = new ReplyError('NOSCRIPT', 'No matching script. Please use EVAL.');

const bySrv = new WeakMap<Server, Scripting>();

/** The server's scripting subsystem (made on first use). */
export function scriptingOf(server: Server): Scripting {
  let s = bySrv.get(server);
  if (!s) bySrv.set(server, (s = new Scripting(server)));
  return s;
}

/** Is the scripting subsystem already made (dump.ts: skip functions when nothing was ever loaded). */
export function hasScripting(server: Server): Scripting | undefined {
  return bySrv.get(server);
}

/** busy-reply-threshold and its old name lua-time-limit are one setting. */
function syncAlias(server: Server): void {
  const c = server.config;
  const a = 'busy-reply-threshold';
  const b = 'lua-time-limit';
  if (c.getInt(b) !== 5000 && c.getInt(a) === 5000) c.setText(a, String(c.getInt(b)));
  c.onChange(a, (v) => {
    if (c.getInt(b) !== Number(v)) c.setText(b, String(v));
  });
  c.onChange(b, (v) => {
    if (c.getInt(a) !== Number(v)) c.setText(a, String(v));
  });
}
