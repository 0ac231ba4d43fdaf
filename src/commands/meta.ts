// Redis 7.0.15's own command metadata, read from the generated dump (redis-meta.generated.ts, made
// by test/diff/gen-redis-meta.mjs from a real redis-server) instead of being re-typed in every
// family's spec.
//
// For every command and subcommand Redis has, COMMAND INFO / COMMAND DOCS render Redis's entry as
// it was sent (src/commands/docs.ts), COMMAND LIST FILTERBY ACLCAT and the ACL registry use its ACL
// categories, and COMMAND GETKEYS / GETKEYSANDFLAGS run Redis's key-spec algorithm over its key
// specs (getKeysUsingKeySpecs in db.c), falling back to ports of its getkeys procs (SET, BITFIELD,
// SORT, MIGRATE, GEORADIUS, XREAD and the numkeys family) where Redis does. Commands only Lodestone
// has (WASM.*, CLIENT SETINFO …) keep their hand-written specs (docs.ts derives their entries).
//
// The dump is parsed lazily, once per command, and the Reply trees are cached: COMMAND INFO without
// arguments renders ~380 entries and must not re-walk JSON each time.

import { MapReply, Reply, SetReply, Status } from '../protocol/reply.js';
import { MetaNode, REDIS_META } from './redis-meta.generated.js';

export interface KeySpec {
  flags: string[];
  bs: { type: 'index'; pos: number } | { type: 'keyword'; keyword: string; startfrom: number } | { type: 'unknown' };
  fk:
    | { type: 'range'; lastkey: number; keystep: number; limit: number }
    | { type: 'keynum'; keynumidx: number; firstkey: number; keystep: number }
    | { type: 'unknown' };
}

export interface RedisMeta {
  fullName: string;
  arity: number;
  flags: Set<string>;
  aclCategories: string[];
  keySpecs: KeySpec[];
  /** COMMAND INFO entry without its subcommands element (element 10), as Replies. */
  infoHead: Reply[];
  /** COMMAND DOCS map entries without `subcommands`, as a flat key/value list of Replies. */
  docsFlat: Reply[];
  /** Subcommand full names in the order Redis lists them. */
  subOrder: string[];
}

/** A RESP3 tree from the dump → the Reply Lodestone's encoder sends (the same bytes in RESP2 and 3). */
export function toReply(n: MetaNode): Reply {
  if (n === null || typeof n === 'string' || typeof n === 'number') return n;
  if (Array.isArray(n)) return n.map(toReply);
  if ('+' in n) return new Status(n['+']);
  if ('~' in n) return new SetReply(n['~'].map(toReply));
  return new MapReply(n['%'].map(toReply));
}

function mapOf(n: MetaNode): Map<string, MetaNode> {
  const m = new Map<string, MetaNode>();
  if (n && typeof n === 'object' && '%' in n) {
    const f = n['%'];
    for (let i = 0; i < f.length; i += 2) m.set(f[i] as string, f[i + 1]);
  }
  return m;
}

function words(n: MetaNode): string[] {
  if (n && typeof n === 'object' && '~' in n) return n['~'].map((x) => (x as { '+': string })['+']);
  return [];
}

/** The items of a set node (key specs are a RESP3 set) or of an array. */
function setItems(n: MetaNode): MetaNode[] {
  if (Array.isArray(n)) return n;
  if (n && typeof n === 'object' && '~' in n) return n['~'];
  return [];
}

function num(n: MetaNode | undefined): number {
  return typeof n === 'number' ? n : 0;
}

function parseKeySpec(n: MetaNode): KeySpec {
  const m = mapOf(n);
  const bs = mapOf(m.get('begin_search') ?? null);
  const bsSpec = mapOf(bs.get('spec') ?? null);
  const fk = mapOf(m.get('find_keys') ?? null);
  const fkSpec = mapOf(fk.get('spec') ?? null);
  let b: KeySpec['bs'] = { type: 'unknown' };
  if (bs.get('type') === 'index') b = { type: 'index', pos: num(bsSpec.get('index')) };
  else if (bs.get('type') === 'keyword') {
    b = { type: 'keyword', keyword: String(bsSpec.get('keyword')), startfrom: num(bsSpec.get('startfrom')) };
  }
  let f: KeySpec['fk'] = { type: 'unknown' };
  if (fk.get('type') === 'range') {
    f = { type: 'range', lastkey: num(fkSpec.get('lastkey')), keystep: num(fkSpec.get('keystep')), limit: num(fkSpec.get('limit')) };
  } else if (fk.get('type') === 'keynum') {
    f = { type: 'keynum', keynumidx: num(fkSpec.get('keynumidx')), firstkey: num(fkSpec.get('firstkey')), keystep: num(fkSpec.get('keystep')) };
  }
  return { flags: words(m.get('flags') ?? null), bs: b, fk: f };
}

const cache = new Map<string, RedisMeta | null>();

function build(info: MetaNode[], docs: MetaNode): RedisMeta {
  const subs = Array.isArray(info[9]) ? (info[9] as MetaNode[][]) : [];
  const docsFlat: Reply[] = [];
  const d = docs && typeof docs === 'object' && '%' in docs ? docs['%'] : [];
  for (let i = 0; i < d.length; i += 2) {
    if (d[i] === 'subcommands') continue;
    docsFlat.push(toReply(d[i]), toReply(d[i + 1]));
  }
  return {
    fullName: info[0] as string,
    arity: info[1] as number,
    flags: new Set(words(info[2])),
    aclCategories: words(info[6]).map((c) => c.slice(1)),
    keySpecs: setItems(info[8]).map(parseKeySpec),
    infoHead: info.slice(0, 9).map(toReply),
    docsFlat,
    subOrder: subs.map((s) => s[0] as string),
  };
}

/** Redis 7.0.15's metadata of a command or subcommand (`get`, `config|get`), or undefined. */
export function redisMeta(fullName: string): RedisMeta | undefined {
  const hit = cache.get(fullName);
  if (hit !== undefined) return hit ?? undefined;
  let out: RedisMeta | null = null;
  const bar = fullName.indexOf('|');
  if (bar < 0) {
    const e = Object.prototype.hasOwnProperty.call(REDIS_META, fullName) ? REDIS_META[fullName] : undefined;
    if (e) out = build(e.info, e.docs);
  } else {
    const top = fullName.slice(0, bar);
    const e = Object.prototype.hasOwnProperty.call(REDIS_META, top) ? REDIS_META[top] : undefined;
    if (e && Array.isArray(e.info[9])) {
      const info = (e.info[9] as MetaNode[][]).find((s) => s[0] === fullName);
      const docs = mapOf(mapOf(e.docs).get('subcommands') ?? null).get(fullName);
      if (info && docs !== undefined) out = build(info, docs);
    }
  }
  cache.set(fullName, out);
  return out ?? undefined;
}

/** Every command name in the dump (top level only). */
export function redisCommandNames(): string[] {
  return Object.keys(REDIS_META);
}

// ---- Key extraction (db.c) ----------------------------------------------------------------------

/** A key found in a call: its argument index and the key-spec flags Redis reports for it. */
export interface KeyRef {
  pos: number;
  flags: string[];
}

const eqi = (a: string, b: string): boolean => a.length === b.length && a.toLowerCase() === b.toLowerCase();

/** strtoll-like `string2ll`: a canonical 64-bit decimal, or null. */
function string2ll(s: string): number | null {
  if (!/^(0|-?[1-9][0-9]*)$/.test(s) || s.length > 20) return null;
  const b = BigInt(s);
  if (b > 9223372036854775807n || b < -9223372036854775808n) return null;
  return Number(b);
}

/** C atoi: leading whitespace, optional sign, digits; 0 when none. */
function atoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?[0-9]+)/.exec(s);
  if (!m) return 0;
  const n = Number(m[1]);
  return Math.max(-2147483648, Math.min(2147483647, n));
}

/** getKeysUsingKeySpecs: the keys, or null where Redis returns -1 (invalid or incomplete spec). */
function keysFromSpecs(meta: RedisMeta, argv: string[]): KeyRef[] | null {
  const argc = argv.length;
  const out: KeyRef[] = [];
  for (const spec of meta.keySpecs) {
    if (spec.flags.includes('not_key')) continue;
    let first = 0;
    if (spec.bs.type === 'index') first = spec.bs.pos;
    else if (spec.bs.type === 'keyword') {
      const { keyword, startfrom } = spec.bs;
      const start = startfrom > 0 ? startfrom : argc + startfrom;
      const end = startfrom > 0 ? argc - 1 : 1;
      for (let i = start; i !== end; i = start <= end ? i + 1 : i - 1) {
        if (i >= argc || i < 1) break;
        if (eqi(argv[i], keyword)) {
          first = i + 1;
          break;
        }
      }
      if (!first) continue;
    } else return null;
    let last: number;
    let step: number;
    if (spec.fk.type === 'range') {
      step = spec.fk.keystep;
      if (spec.fk.lastkey >= 0) last = first + spec.fk.lastkey;
      else if (!spec.fk.limit) last = argc + spec.fk.lastkey;
      else last = first + (Math.trunc((argc - first) / spec.fk.limit) + spec.fk.lastkey);
    } else if (spec.fk.type === 'keynum') {
      step = spec.fk.keystep;
      if (spec.fk.keynumidx >= argc) return null;
      const s = argv[first + spec.fk.keynumidx];
      const n = s === undefined ? null : string2ll(s);
      if (n === null || n < 0) return null;
      first += spec.fk.firstkey;
      last = first + n - 1;
    } else return null;
    if (last >= argc || last < first || first >= argc) return null;
    for (let i = first; i <= last; i += step) out.push({ pos: i, flags: spec.flags });
    if (spec.flags.includes('incomplete')) return null;
  }
  return out;
}

const RO_ACCESS = ['RO', 'access'];
const RW_ACCESS_UPDATE = ['RW', 'access', 'update'];
const OW_UPDATE = ['OW', 'update'];
const RW_ACCESS_DELETE = ['RW', 'access', 'delete'];
const NONE: string[] = [];

/** genericGetKeys: [destkey] numkeys key … (flags 0: the specs are complete for these). */
function genericGetKeys(store: number, countAt: number, firstAt: number, argv: string[]): KeyRef[] {
  const n = atoi(argv[countAt] ?? '');
  if (n < 1 || n > argv.length - firstAt) return [];
  const out: KeyRef[] = [];
  for (let i = 0; i < n; i++) out.push({ pos: firstAt + i, flags: NONE });
  if (store) out.push({ pos: store, flags: NONE });
  return out;
}

/** Redis's getkeys_proc of each command that has one (commands.c), ported. */
const GETKEYS_PROCS: Record<string, (argv: string[]) => KeyRef[]> = {
  set: (argv) => {
    for (let i = 3; i < argv.length; i++) if (eqi(argv[i], 'get')) return [{ pos: 1, flags: RW_ACCESS_UPDATE }];
    return [{ pos: 1, flags: OW_UPDATE }];
  },
  bitfield: (argv) => {
    let readonly = true;
    for (let i = 2; i < argv.length; i++) {
      const rem = argv.length - i - 1;
      const a = argv[i];
      if (eqi(a, 'get') && rem >= 2) i += 2;
      else if ((eqi(a, 'set') || eqi(a, 'incrby')) && rem >= 3) {
        readonly = false;
        break;
      } else if (eqi(a, 'overflow') && rem >= 1) i += 1;
      else {
        readonly = false;
        break;
      }
    }
    return [{ pos: 1, flags: readonly ? RO_ACCESS : RW_ACCESS_UPDATE }];
  },
  sort_ro: () => [{ pos: 1, flags: RO_ACCESS }],
  sort: (argv) => {
    const out: KeyRef[] = [{ pos: 1, flags: RO_ACCESS }];
    let store: KeyRef | null = null;
    const skip: [string, number][] = [['limit', 2], ['get', 1], ['by', 1]];
    for (let i = 2; i < argv.length; i++) {
      for (const [name, n] of skip) {
        if (eqi(argv[i], name)) {
          i += n;
          break;
        } else if (eqi(argv[i], 'store') && i + 1 < argv.length) {
          store = { pos: i + 1, flags: OW_UPDATE };
          break;
        }
      }
    }
    if (store) out.push(store);
    return out;
  },
  migrate: (argv) => {
    let first = 3;
    let n = 1;
    const skip: [string, number][] = [['copy', 0], ['replace', 0], ['auth', 1], ['auth2', 2]];
    if (argv.length > 6) {
      for (let i = 6; i < argv.length; i++) {
        if (eqi(argv[i], 'keys')) {
          if (argv[3].length > 0) n = 0;
          else {
            first = i + 1;
            n = argv.length - first;
          }
          break;
        }
        for (const [name, k] of skip) {
          if (eqi(argv[i], name)) {
            i += k;
            break;
          }
        }
      }
    }
    const out: KeyRef[] = [];
    for (let i = 0; i < n; i++) out.push({ pos: first + i, flags: RW_ACCESS_DELETE });
    return out;
  },
  georadius: georadiusKeys,
  georadiusbymember: georadiusKeys,
  xread: xreadKeys,
  xreadgroup: xreadKeys,
  sintercard: (a) => genericGetKeys(0, 1, 2, a),
  zunion: (a) => genericGetKeys(0, 1, 2, a),
  zinter: (a) => genericGetKeys(0, 1, 2, a),
  zdiff: (a) => genericGetKeys(0, 1, 2, a),
  zintercard: (a) => genericGetKeys(0, 1, 2, a),
  zunionstore: (a) => genericGetKeys(1, 2, 3, a),
  zinterstore: (a) => genericGetKeys(1, 2, 3, a),
  zdiffstore: (a) => genericGetKeys(1, 2, 3, a),
  eval: (a) => genericGetKeys(0, 2, 3, a),
  evalsha: (a) => genericGetKeys(0, 2, 3, a),
  eval_ro: (a) => genericGetKeys(0, 2, 3, a),
  evalsha_ro: (a) => genericGetKeys(0, 2, 3, a),
  fcall: (a) => genericGetKeys(0, 2, 3, a),
  fcall_ro: (a) => genericGetKeys(0, 2, 3, a),
  lmpop: (a) => genericGetKeys(0, 1, 2, a),
  zmpop: (a) => genericGetKeys(0, 1, 2, a),
  blmpop: (a) => genericGetKeys(0, 2, 3, a),
  bzmpop: (a) => genericGetKeys(0, 2, 3, a),
};

function georadiusKeys(argv: string[]): KeyRef[] {
  let stored = -1;
  for (let i = 5; i < argv.length; i++) {
    if ((eqi(argv[i], 'store') || eqi(argv[i], 'storedist')) && i + 1 < argv.length) {
      stored = i + 1;
      i++;
    }
  }
  const out: KeyRef[] = [{ pos: 1, flags: NONE }];
  if (stored >= 0) out.push({ pos: stored, flags: NONE });
  return out;
}

function xreadKeys(argv: string[]): KeyRef[] {
  let streams = -1;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i];
    if (eqi(a, 'block') || eqi(a, 'count')) i++;
    else if (eqi(a, 'group')) i += 2;
    else if (eqi(a, 'noack')) continue;
    else if (eqi(a, 'streams')) {
      streams = i;
      break;
    } else break;
  }
  const n = streams < 0 ? 0 : argv.length - streams - 1;
  if (streams < 0 || n === 0 || n % 2 !== 0) return [];
  const out: KeyRef[] = [];
  for (let i = streams + 1; i < argv.length - n / 2; i++) out.push({ pos: i, flags: NONE });
  return out;
}

/** doesCommandHaveKeys. */
export function metaHasKeys(meta: RedisMeta): boolean {
  const name = meta.fullName;
  return name in GETKEYS_PROCS || meta.keySpecs.some((s) => !s.flags.includes('not_key'));
}

/** getKeysFromCommandWithSpecs (argv[0] is the command name; subcommands at argv[1]). */
export function metaGetKeys(meta: RedisMeta, argv: string[]): KeyRef[] {
  const hasKeySpec = meta.keySpecs.some((s) => !s.flags.includes('not_key'));
  const varFlags = meta.keySpecs.some((s) => s.flags.includes('variable_flags'));
  if (hasKeySpec && !varFlags) {
    const r = keysFromSpecs(meta, argv);
    if (r !== null) return r;
  }
  const proc = GETKEYS_PROCS[meta.fullName];
  return proc ? proc(argv) : [];
}

/** Argument positions of the keys a call only reads (key specs flagged RO), for signalModifiedKey. */
export function metaReadOnlyKeyPositions(meta: RedisMeta, argv: string[]): number[] {
  const out: number[] = [];
  for (const k of metaGetKeys(meta, argv)) if (k.flags.includes('RO')) out.push(k.pos);
  return out;
}
