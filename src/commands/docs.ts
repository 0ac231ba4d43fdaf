// COMMAND INFO / COMMAND DOCS rendering, generated from the command table (src/commands/table.ts).
//
// Everything a client or tool learns about a command comes from its CommandSpec: name, arity, flags,
// key positions, group, summary and the `syntax` string. This module turns those into Redis 7.0's
// reply shapes:
//   - COMMAND INFO entry: [name, arity, flags, first, last, step, acl categories, tips, key specs,
//     subcommands] — flags in Redis's order, ACL categories derived the way Redis's
//     setImplicitACLCategories does, tips from Redis 7.0's table, a range key spec from the key
//     positions;
//   - COMMAND DOCS entry: summary, since, group, complexity, arguments, subcommands — the arguments
//     parsed from the spec's `syntax` string into Redis's argument tree (name, type, token, flags,
//     nested arguments). redis-cli 7 builds its command-line hints from exactly this tree
//     (cliInitHelp → COMMAND DOCS), so every command with a syntax string gets a hint.
//
// The syntax grammar is the one of the Redis docs:
//   word        lowercase name: an argument (`key`, `seconds`, `ip:port`, `yes/no`)
//   TOKEN       uppercase word or symbol (`NX`, `LIB-NAME`, `*`, `~`, `""`): a literal
//   [ … ]       optional group            < … > or ( … )  required group (used for alternatives)
//   a | b       alternatives inside a group (a `oneof`)
//   x [x ...]   repetition (`multiple`); `[GET pattern [GET pattern ...]]` repeats the token too
//               (`multiple_token`)
// A token followed by words forms one argument: `EX seconds` → {name: seconds, token: EX},
// `LIMIT offset count` → block {token: LIMIT, arguments: [offset, count]}. Argument types are
// inferred from names (key, pattern, unix-time-…, count/seconds/… → integer, …) since the syntax
// line carries no types; hints only depend on names, tokens and structure.

import { MapReply, Reply, SetReply, Status } from '../protocol/reply.js';
import type { Command, CommandFlag, CommandSpec } from './table.js';
import { redisMeta } from './meta.js';

// ---- Syntax parsing ---------------------------------------------------------------------------

export type DocArgType =
  | 'key'
  | 'string'
  | 'integer'
  | 'double'
  | 'pattern'
  | 'unix-time'
  | 'pure-token'
  | 'oneof'
  | 'block';

export interface DocArg {
  name: string;
  type: DocArgType;
  token?: string;
  optional?: boolean;
  multiple?: boolean;
  multipleToken?: boolean;
  args?: DocArg[];
}

type Node =
  | { k: 'name'; text: string }
  | { k: 'token'; text: string }
  | { k: 'group'; optional: boolean; alts: Node[][] }
  | { k: 'rep'; items: Node[]; multipleToken: boolean }
  | { k: 'ellipsis' };

export class SyntaxParseError extends Error {}

function tokenize(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i];
    if (c === ' ' || c === '\t' || c === '\n') {
      i++;
    } else if ('[]<>()|'.includes(c)) {
      out.push(c);
      i++;
    } else if (s.startsWith('...', i)) {
      out.push('...');
      i += 3;
    } else if (c === '"') {
      const end = s.indexOf('"', i + 1);
      if (end < 0) throw new SyntaxParseError(`unterminated quote in ${JSON.stringify(s)}`);
      out.push(s.slice(i, end + 1));
      i = end + 1;
    } else {
      let j = i;
      while (j < s.length && !' \t\n[]<>()|'.includes(s[j]) && !s.startsWith('...', j)) j++;
      out.push(s.slice(i, j));
      i = j;
    }
  }
  return out;
}

function isTokenWord(w: string): boolean {
  if (w.startsWith('"')) return true; // `""`: an empty-string literal
  if (/[a-z]/.test(w)) return false;
  return true; // uppercase words, digits and symbols (`NX`, `LIB-NAME`, `*`, `=`, `~`, `$`)
}

/** Parse a syntax string into the flat node list of the top-level sequence. */
function parseNodes(syntax: string): Node[] {
  const toks = tokenize(syntax);
  let pos = 0;
  const closer: Record<string, string> = { '[': ']', '<': '>', '(': ')' };

  function parseAlts(end: string | null): Node[][] {
    const alts: Node[][] = [[]];
    for (;;) {
      if (pos >= toks.length) {
        if (end !== null) throw new SyntaxParseError(`missing '${end}' in ${JSON.stringify(syntax)}`);
        return alts;
      }
      const t = toks[pos++];
      if (t === end) return alts;
      if (t === '|') {
        alts.push([]);
        continue;
      }
      const cur = alts[alts.length - 1];
      if (t in closer) {
        cur.push({ k: 'group', optional: t === '[', alts: parseAlts(closer[t]) });
      } else if (t === ']' || t === '>' || t === ')') {
        throw new SyntaxParseError(`unexpected '${t}' in ${JSON.stringify(syntax)}`);
      } else if (t === '...') {
        cur.push({ k: 'ellipsis' });
      } else if (isTokenWord(t)) {
        cur.push({ k: 'token', text: t.startsWith('"') ? t.slice(1, -1) : t });
      } else {
        cur.push({ k: 'name', text: t });
      }
    }
  }

  const alts = parseAlts(null);
  if (alts.length > 1) return [{ k: 'group', optional: false, alts }];
  return alts[0];
}

function sameNode(a: Node, b: Node): boolean {
  if (a.k !== b.k) return false;
  switch (a.k) {
    case 'name':
    case 'token':
      return a.text === (b as typeof a).text;
    case 'ellipsis':
      return true;
    case 'rep': {
      const o = b as typeof a;
      return o.multipleToken === a.multipleToken && sameSeq(a.items, o.items);
    }
    case 'group': {
      const o = b as typeof a;
      return (
        a.optional === o.optional &&
        a.alts.length === o.alts.length &&
        a.alts.every((alt, i) => sameSeq(alt, o.alts[i]))
      );
    }
  }
}

function sameSeq(a: Node[], b: Node[]): boolean {
  return a.length === b.length && a.every((n, i) => sameNode(n, b[i]));
}

/**
 * Fold repetitions: `x [x ...]` → rep(x); `[x ...]` with no preceding copy → optional rep(x);
 * a bare `x ...` → rep(x). A trailing `...` inside a group repeats the whole group body.
 */
function foldSeq(seq: Node[]): Node[] {
  const out: Node[] = [];
  for (const raw of seq) {
    if (raw.k === 'ellipsis') {
      const prev = out.pop();
      if (prev) out.push(prev.k === 'rep' ? prev : { k: 'rep', items: [prev], multipleToken: false });
      continue;
    }
    if (raw.k === 'group' && raw.optional && raw.alts.length === 1) {
      const body = raw.alts[0];
      if (body.length > 1 && body[body.length - 1].k === 'ellipsis') {
        const items = foldSeq(body.slice(0, -1));
        const k = items.length;
        if (out.length >= k && sameSeq(out.slice(out.length - k), items)) {
          out.splice(out.length - k, k);
          out.push({ k: 'rep', items, multipleToken: items[0].k === 'token' });
        } else {
          out.push({ k: 'group', optional: true, alts: [[{ k: 'rep', items, multipleToken: false }]] });
        }
        continue;
      }
    }
    out.push(raw.k === 'group' ? { ...raw, alts: raw.alts.map(foldSeq) } : raw);
  }
  return out;
}

const INTEGER_NAMES = new Set([
  'count', 'numkeys', 'index', 'index1', 'index2', 'offset', 'seconds', 'milliseconds', 'start', 'end',
  'stop', 'db', 'destination-db', 'numreplicas', 'port', 'decrement', 'bit', 'rank', 'len', 'limit',
  'client-id', 'cursor', 'timeout', 'ttl', 'num-matches', 'numsubs', 'numpat', 'protover', 'slot',
  'min-idle-time', 'ms', 'threshold-count', 'entries-read', 'frequency', 'maxlen', 'numkeys-count',
]);
const DOUBLE_NAMES = new Set(['longitude', 'latitude', 'radius', 'width', 'height', 'score', 'weight-double']);
const KEY_NAMES = new Set(['key', 'destination', 'source', 'newkey', 'dst', 'src', 'destkey', 'srckey']);

/** Redis's argument type for a name (the syntax line has no types; this is a best guess). */
export function inferType(name: string): DocArgType {
  if (KEY_NAMES.has(name) || /^key\d*$/.test(name)) return 'key';
  if (name === 'pattern' || name.endsWith('-pattern')) return 'pattern';
  if (name.startsWith('unix-time')) return 'unix-time';
  if (INTEGER_NAMES.has(name)) return 'integer';
  if (DOUBLE_NAMES.has(name)) return 'double';
  return 'string';
}

function argName(a: DocArg): string {
  return a.name;
}

/** Convert one alternative / group body (a sequence) into arguments. */
function convertSeq(seq: Node[], inGroup: boolean): DocArg[] {
  if (inGroup && seq.length > 1 && seq[0].k === 'token') {
    // A group that starts with a token is one argument: the token and everything after it.
    return [withToken(seq[0].text, convertItems(seq.slice(1)))];
  }
  return convertItems(seq);
}

/** Items of a sequence; a token takes the plain (non-optional) items that follow it. */
function convertItems(seq: Node[]): DocArg[] {
  const out: DocArg[] = [];
  for (let i = 0; i < seq.length; i++) {
    const n = seq[i];
    if (n.k === 'token') {
      let j = i + 1;
      while (j < seq.length && isPlain(seq[j])) j++;
      out.push(withToken(n.text, convertItems(seq.slice(i + 1, j))));
      i = j - 1;
    } else {
      out.push(convertNode(n));
    }
  }
  return out;
}

function isPlain(n: Node): boolean {
  return n.k === 'name' || (n.k === 'group' && !n.optional) || (n.k === 'rep' && n.items[0].k !== 'token');
}

function withToken(token: string, rest: DocArg[]): DocArg {
  if (rest.length === 0) return { name: tokenName(token), type: 'pure-token', token };
  if (rest.length === 1 && rest[0].token === undefined && !rest[0].optional) return { ...rest[0], token };
  return { name: tokenName(token), type: 'block', token, args: rest };
}

function tokenName(token: string): string {
  if (token === '') return 'empty-string';
  const t = token.toLowerCase();
  if (/^[a-z0-9_-]+$/.test(t)) return t;
  const symbols: Record<string, string> = { '*': 'auto-id', '$': 'last-id', '=': 'equal', '~': 'approximately', '+': 'plus', '-': 'minus' };
  return symbols[token] ?? 'token';
}

function convertNode(n: Node): DocArg {
  switch (n.k) {
    case 'name':
      return { name: n.text, type: inferType(n.text) };
    case 'token':
      return { name: tokenName(n.text), type: 'pure-token', token: n.text };
    case 'ellipsis':
      throw new SyntaxParseError('stray ...');
    case 'rep': {
      const inner = convertSeq(n.items, true);
      const a: DocArg =
        inner.length === 1 && !inner[0].multiple
          ? { ...inner[0] }
          : { name: 'data', type: 'block', args: inner };
      a.multiple = true;
      if (n.multipleToken && a.token !== undefined) a.multipleToken = true;
      return a;
    }
    case 'group': {
      let a: DocArg;
      if (n.alts.length > 1) {
        const args = n.alts.map((alt) => {
          const items = convertSeq(alt, true);
          return items.length === 1 ? items[0] : blockOf(items);
        });
        a = { name: args.map(argName).join('_'), type: 'oneof', args };
      } else {
        const items = convertSeq(n.alts[0], true);
        if (items.length === 0) throw new SyntaxParseError('empty group');
        a = items.length === 1 ? { ...items[0] } : blockOf(items);
      }
      if (n.optional) {
        if (a.optional) a = { name: a.name, type: 'block', optional: true, args: [a] };
        else a.optional = true;
      }
      return a;
    }
  }
}

function blockOf(items: DocArg[]): DocArg {
  return { name: items.map(argName).join('_'), type: 'block', args: items };
}

/** Parse a Redis docs syntax string (`key value [NX | XX] …`) into Redis's argument tree. */
export function parseSyntax(syntax: string): DocArg[] {
  const nodes = foldSeq(parseNodes(syntax));
  return convertItems(nodes);
}

// ---- Rendering ---------------------------------------------------------------------------------

/**
 * The parameter string redis-cli builds from COMMAND DOCS for its hints (cliAddArgument in
 * redis-cli.c, Redis 7.0): `key value [NX|XX] [GET] [EX seconds|PX milliseconds|…]`.
 */
export function renderHint(args: DocArg[]): string {
  return args.map(hintOne).join(' ');
}

function orEmpty(s: string): string {
  return s === '' ? '""' : s;
}

function hintOne(a: DocArg): string {
  let tokenPart = a.token !== undefined ? orEmpty(a.token) : '';
  let repeat = '';
  if (a.type === 'oneof') repeat = (a.args ?? []).map(hintOne).join('|');
  else if (a.type === 'block') repeat = (a.args ?? []).map(hintOne).join(' ');
  else if (a.type !== 'pure-token') repeat = orEmpty(a.name);
  if (tokenPart !== '' && a.type !== 'pure-token') tokenPart += ' ';
  let s = '';
  if (a.optional) s += '[';
  s += tokenPart + repeat;
  if (a.multiple) s += ` [${a.multipleToken ? tokenPart : ''}${repeat} ...]`;
  if (a.optional) s += ']';
  return s;
}

/** Back to a docs-style syntax line (`[NX | XX]`, `<A | B>`): used by tests for round trips. */
export function renderSyntax(args: DocArg[]): string {
  return args.map((a) => syntaxOne(a)).join(' ');
}

function syntaxOne(a: DocArg): string {
  let core: string;
  if (a.type === 'pure-token') core = a.token === '' ? '""' : a.token!;
  else if (a.type === 'oneof') {
    core = (a.args ?? []).map(syntaxOne).join(' | ');
    if (!a.optional || a.token !== undefined || a.multiple) core = `<${core}>`;
  } else if (a.type === 'block') core = (a.args ?? []).map(syntaxOne).join(' ');
  else core = a.name;
  const tok = a.token !== undefined && a.type !== 'pure-token' ? `${a.token === '' ? '""' : a.token} ` : '';
  let s = tok + core;
  if (a.multiple) s = `${s} [${a.multipleToken ? tok : ''}${core} ...]`;
  if (a.optional) s = `[${s}]`;
  return s;
}

// ---- Metadata derived from a spec -----------------------------------------------------------------

/** Redis's flag words, in the order COMMAND INFO lists them (addReplyFlagsForCommand). */
const FLAG_ORDER: (CommandFlag | 'movablekeys')[] = [
  'write', 'readonly', 'denyoom', 'admin', 'pubsub', 'noscript', 'blocking', 'loading', 'stale',
  'skip_monitor', 'skip_slowlog', 'fast', 'no_auth', 'no_multi', 'movablekeys', 'allow_busy',
];

/** Redis's ACL categories in its table order (the order COMMAND INFO lists them). */
export const ACL_CATEGORIES = [
  'keyspace', 'read', 'write', 'set', 'sortedset', 'list', 'hash', 'string', 'bitmap', 'hyperloglog',
  'geo', 'stream', 'pubsub', 'admin', 'fast', 'slow', 'blocking', 'dangerous', 'connection',
  'transaction', 'scripting',
];
const ACL_SET = new Set(ACL_CATEGORIES);

/** Group words as written in specs → ACL category (generic → keyspace, sorted_set → sortedset …). */
const CATEGORY_ALIASES: Record<string, string> = {
  generic: 'keyspace',
  keys: 'keyspace',
  sorted_set: 'sortedset',
  zset: 'sortedset',
  strings: 'string',
  hashes: 'hash',
  lists: 'list',
  sets: 'set',
  transactions: 'transaction',
};
/** ACL category → the docs group name Redis uses (COMMAND DOCS `group`). */
const DOCS_GROUP: Record<string, string> = {
  keyspace: 'generic',
  keys: 'generic',
  sortedset: 'sorted_set',
  zset: 'sorted_set',
  transaction: 'transactions',
  strings: 'string',
  hashes: 'hash',
  lists: 'list',
  sets: 'set',
};

function groupWords(spec: CommandSpec): string[] {
  return spec.group.split(/[\s,]+/).filter(Boolean).map((w) => w.replace(/^@/, '').toLowerCase());
}

/** Group words that name categories to add, without the `-cat` removals (docsGroup reads the first). */
function firstGroupWord(spec: CommandSpec): string | undefined {
  return groupWords(spec).find((w) => w[0] !== '-');
}

/** The COMMAND DOCS group: the first word of the spec's group, in Redis's naming. */
export function docsGroup(spec: CommandSpec): string {
  const w = firstGroupWord(spec) ?? 'server';
  return DOCS_GROUP[w] ?? w;
}

export function isMovable(spec: CommandSpec): boolean {
  return spec.getKeys !== undefined;
}

export function flagWords(spec: CommandSpec): string[] {
  const have = new Set<string>(spec.flags);
  if (isMovable(spec)) have.add('movablekeys');
  return FLAG_ORDER.filter((f) => have.has(f));
}

/**
 * ACL categories (without `@`): Redis 7.0.15's own for the commands it has (meta.ts); for the
 * others, explicit ones from the group and implicit ones from the flags.
 */
export function aclCategories(spec: CommandSpec, fullName?: string): string[] {
  const meta = fullName !== undefined ? redisMeta(fullName) : undefined;
  if (meta) return meta.aclCategories;
  const cats = new Set<string>();
  // A group word `-cat` removes a category the flags would add (WASM.CALL writes, yet is in
  // @scripting only, like EVAL), or the family's (PUBSUB HELP is in @slow only).
  const removed = new Set<string>();
  // Containers (CONFIG, CLIENT …) carry no categories of their own in Redis, only @slow.
  if (!spec.subcommands) {
    for (const w of groupWords(spec)) {
      if (w[0] === '-') removed.add(w.slice(1));
      else {
        const c = CATEGORY_ALIASES[w] ?? w;
        if (ACL_SET.has(c)) cats.add(c);
      }
    }
  }
  const f = new Set<string>(spec.flags);
  if (f.has('write')) cats.add('write');
  if (f.has('readonly') && !cats.has('scripting')) cats.add('read');
  if (f.has('admin')) {
    cats.add('admin');
    cats.add('dangerous');
  }
  if (f.has('pubsub')) cats.add('pubsub');
  if (f.has('fast')) cats.add('fast');
  if (f.has('blocking')) cats.add('blocking');
  if (!cats.has('fast')) cats.add('slow');
  return ACL_CATEGORIES.filter((c) => cats.has(c) && !removed.has(c));
}

/** Command tips of Redis 7.0 (COMMAND INFO element 8), by full name. */
const TIPS: Record<string, string[]> = {
  hscan: ['nondeterministic_output'],
  'latency|graph': ['nondeterministic_output', 'request_policy:all_nodes', 'response_policy:special'],
  'latency|doctor': ['nondeterministic_output', 'request_policy:all_nodes', 'response_policy:special'],
  'latency|histogram': ['nondeterministic_output', 'request_policy:all_nodes', 'response_policy:special'],
  'latency|latest': ['nondeterministic_output', 'request_policy:all_nodes', 'response_policy:special'],
  'latency|reset': ['request_policy:all_nodes', 'response_policy:all_succeeded'],
  'latency|history': ['nondeterministic_output', 'request_policy:all_nodes', 'response_policy:special'],
  'function|list': ['nondeterministic_output_order'],
  'function|flush': ['request_policy:all_shards', 'response_policy:all_succeeded'],
  'function|delete': ['request_policy:all_shards', 'response_policy:all_succeeded'],
  'function|kill': ['request_policy:all_shards', 'response_policy:one_succeeded'],
  'function|restore': ['request_policy:all_shards', 'response_policy:all_succeeded'],
  'function|load': ['request_policy:all_shards', 'response_policy:all_succeeded'],
  'function|stats': ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'],
  time: ['nondeterministic_output'],
  sunion: ['nondeterministic_output_order'],
  zscan: ['nondeterministic_output'],
  hgetall: ['nondeterministic_output_order'],
  mget: ['request_policy:multi_shard'],
  'xinfo|consumers': ['nondeterministic_output'],
  'memory|malloc-stats': ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'],
  'memory|doctor': ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'],
  'memory|purge': ['request_policy:all_shards', 'response_policy:all_succeeded'],
  'memory|stats': ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'],
  ttl: ['nondeterministic_output'],
  xclaim: ['nondeterministic_output'],
  spop: ['nondeterministic_output'],
  ping: ['request_policy:all_shards', 'response_policy:all_succeeded'],
  randomkey: ['request_policy:all_shards', 'nondeterministic_output'],
  command: ['nondeterministic_output_order'],
  'command|list': ['nondeterministic_output_order'],
  'command|info': ['nondeterministic_output_order'],
  'command|docs': ['nondeterministic_output_order'],
  flushdb: ['request_policy:all_shards', 'response_policy:all_succeeded'],
  flushall: ['request_policy:all_shards', 'response_policy:all_succeeded'],
  sscan: ['nondeterministic_output'],
  xadd: ['nondeterministic_output'],
  info: ['nondeterministic_output', 'request_policy:all_shards', 'response_policy:special'],
  lastsave: ['nondeterministic_output'],
  'module|list': ['nondeterministic_output_order'],
  unlink: ['request_policy:multi_shard', 'response_policy:agg_sum'],
  'object|refcount': ['nondeterministic_output'],
  'object|encoding': ['nondeterministic_output'],
  'object|freq': ['nondeterministic_output'],
  'object|idletime': ['nondeterministic_output'],
  sdiff: ['nondeterministic_output_order'],
  touch: ['request_policy:multi_shard', 'response_policy:agg_sum'],
  dbsize: ['request_policy:all_shards', 'response_policy:agg_sum'],
  del: ['request_policy:multi_shard', 'response_policy:agg_sum'],
  srandmember: ['nondeterministic_output'],
  hkeys: ['nondeterministic_output_order'],
  'client|list': ['nondeterministic_output'],
  'client|info': ['nondeterministic_output'],
  'slowlog|get': ['request_policy:all_nodes', 'nondeterministic_output'],
  'slowlog|reset': ['request_policy:all_nodes', 'response_policy:all_succeeded'],
  'slowlog|len': ['request_policy:all_nodes', 'response_policy:agg_sum', 'nondeterministic_output'],
  xtrim: ['nondeterministic_output'],
  wait: ['request_policy:all_shards', 'response_policy:agg_min'],
  hrandfield: ['nondeterministic_output'],
  msetnx: ['request_policy:multi_shard', 'response_policy:agg_min'],
  zrandmember: ['nondeterministic_output'],
  xautoclaim: ['nondeterministic_output'],
  exists: ['request_policy:multi_shard', 'response_policy:agg_sum'],
  'script|exists': ['request_policy:all_shards', 'response_policy:agg_logical_and'],
  'script|flush': ['request_policy:all_nodes', 'response_policy:all_succeeded'],
  'script|kill': ['request_policy:all_shards', 'response_policy:one_succeeded'],
  'script|load': ['request_policy:all_nodes', 'response_policy:all_succeeded'],
  pttl: ['nondeterministic_output'],
  sinter: ['nondeterministic_output_order'],
  keys: ['request_policy:all_shards', 'nondeterministic_output_order'],
  migrate: ['nondeterministic_output'],
  smembers: ['nondeterministic_output_order'],
  'config|set': ['request_policy:all_nodes', 'response_policy:all_succeeded'],
  xpending: ['nondeterministic_output'],
  mset: ['request_policy:multi_shard', 'response_policy:all_succeeded'],
  hvals: ['nondeterministic_output_order'],
  scan: ['nondeterministic_output', 'request_policy:special'],
  dump: ['nondeterministic_output'],
};

export function tips(fullName: string): string[] {
  return TIPS[fullName] ?? [];
}

/** Key-spec access flags for a command's keys (COMMAND GETKEYSANDFLAGS, key specs). */
export function keyFlags(spec: CommandSpec): string[] {
  if (spec.flags.includes('write')) return ['RW', 'access', 'update'];
  return ['RO', 'access'];
}

/**
 * Key specs (COMMAND INFO element 9), derived from the key positions: one `index` + `range` spec
 * for fixed positions; `unknown` for commands whose keys only getKeys can find.
 */
export function keySpecs(spec: CommandSpec): MapReply[] {
  const [first, last, step] = spec.keys;
  const flags = new SetReply(keyFlags(spec).map((f) => new Status(f)));
  if (first > 0) {
    return [
      new MapReply([
        'flags', flags,
        'begin_search', new MapReply(['type', 'index', 'spec', new MapReply(['index', first])]),
        'find_keys', new MapReply([
          'type', 'range',
          'spec', new MapReply(['lastkey', last < 0 ? last : last - first, 'keystep', step, 'limit', 0]),
        ]),
      ]),
    ];
  }
  if (spec.getKeys) {
    return [
      new MapReply([
        'flags', flags,
        'begin_search', new MapReply(['type', 'unknown', 'spec', new MapReply([])]),
        'find_keys', new MapReply(['type', 'unknown', 'spec', new MapReply([])]),
      ]),
    ];
  }
  return [];
}

/** Whether a command takes keys at all (COMMAND GETKEYS). */
export function hasKeys(spec: CommandSpec): boolean {
  return spec.getKeys !== undefined || spec.keys[0] > 0;
}

// ---- A command as COMMAND sees it --------------------------------------------------------------------

/**
 * A command or subcommand for COMMAND INFO/DOCS/LIST: the table's Command, or a spec that is
 * documented as a subcommand without being dispatched as one (COMMAND's own subcommands, see
 * `docSubcommands`).
 */
export interface CommandView {
  spec: CommandSpec;
  fullName: string;
  subs: CommandView[];
}

/** A spec that dispatches its subcommands itself but documents them (COMMAND). */
export interface SelfDispatchingSpec extends CommandSpec {
  docSubcommands?: CommandSpec[];
}

export function viewOf(cmd: Command): CommandView {
  const docSubs = (cmd.spec as SelfDispatchingSpec).docSubcommands;
  let subs: CommandView[] = [];
  if (cmd.sub) subs = [...cmd.sub.values()].map(viewOf);
  else if (docSubs) subs = docSubs.map((s) => ({ spec: s, fullName: `${cmd.fullName}|${s.name}`, subs: [] }));
  return { spec: cmd.spec, fullName: cmd.fullName, subs };
}

/** Every command and subcommand, depth first (COMMAND LIST). */
export function* walkViews(views: Iterable<CommandView>): IterableIterator<CommandView> {
  for (const v of views) {
    yield v;
    yield* walkViews(v.subs);
  }
}

const statuses = (words: string[]): SetReply => new SetReply(words.map((w) => new Status(w)));

/** Subcommands in the order Redis lists them (those Redis lacks last). */
function orderedSubs(v: CommandView, order: string[] | undefined): CommandView[] {
  if (!order || v.subs.length < 2) return v.subs;
  const rank = (s: CommandView): number => {
    const i = order.indexOf(s.fullName);
    return i < 0 ? order.length : i;
  };
  return [...v.subs].sort((a, b) => rank(a) - rank(b));
}

/** One COMMAND INFO entry (10 elements, like Redis 7.0): Redis's own where it has the command. */
export function commandInfoReply(v: CommandView): Reply {
  const spec = v.spec;
  const meta = redisMeta(v.fullName);
  if (meta) {
    const subs = orderedSubs(v, meta.subOrder);
    return [...meta.infoHead, subs.length > 0 ? subs.map(commandInfoReply) : new SetReply([])];
  }
  return [
    v.fullName,
    spec.arity,
    statuses(flagWords(spec)),
    spec.keys[0],
    spec.keys[1],
    spec.keys[2],
    statuses(aclCategories(spec).map((c) => `@${c}`)),
    new SetReply(tips(v.fullName)),
    new SetReply(keySpecs(spec)),
    v.subs.length > 0 ? v.subs.map(commandInfoReply) : new SetReply([]),
  ];
}

const parsedCache = new WeakMap<CommandSpec, DocArg[]>();

/** The spec's arguments, parsed once; an unparsable syntax string yields no arguments. */
export function specArgs(spec: CommandSpec): DocArg[] {
  let args = parsedCache.get(spec);
  if (args === undefined) {
    try {
      args = spec.syntax ? parseSyntax(spec.syntax) : [];
    } catch {
      args = [];
    }
    parsedCache.set(spec, args);
  }
  return args;
}

function argReply(a: DocArg, hasKeySpec: boolean): MapReply {
  const m: Reply[] = ['name', a.name, 'type', a.type];
  if (a.type === 'key' && hasKeySpec) m.push('key_spec_index', 0);
  if (a.token !== undefined) m.push('token', a.token);
  const flags: string[] = [];
  if (a.optional) flags.push('optional');
  if (a.multiple) flags.push('multiple');
  if (a.multipleToken) flags.push('multiple_token');
  if (flags.length) m.push('flags', statuses(flags));
  if (a.type === 'oneof' || a.type === 'block') m.push('arguments', (a.args ?? []).map((x) => argReply(x, hasKeySpec)));
  return new MapReply(m);
}

/** One COMMAND DOCS entry (the value; the caller pairs it with the name). */
export function commandDocsReply(v: CommandView): MapReply {
  const spec = v.spec;
  const meta = redisMeta(v.fullName);
  if (meta) {
    const m: Reply[] = [...meta.docsFlat];
    const subs = orderedSubs(v, meta.subOrder);
    if (subs.length > 0) {
      const flat: Reply[] = [];
      for (const s of subs) flat.push(s.fullName, commandDocsReply(s));
      m.push('subcommands', new MapReply(flat));
    }
    return new MapReply(m);
  }
  const m: Reply[] = ['summary', spec.summary, 'since', spec.since, 'group', docsGroup(spec)];
  if (spec.complexity !== undefined) m.push('complexity', spec.complexity);
  const args = specArgs(spec);
  const hasKeySpec = keySpecs(spec).length > 0;
  if (args.length > 0) m.push('arguments', args.map((a) => argReply(a, hasKeySpec)));
  if (v.subs.length > 0) {
    const subs: Reply[] = [];
    for (const s of v.subs) subs.push(s.fullName, commandDocsReply(s));
    m.push('subcommands', new MapReply(subs));
  }
  return new MapReply(m);
}
