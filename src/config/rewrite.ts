// CONFIG REWRITE for Lodestone's TOML configuration file (Redis 7.0's rewriteConfig, adapted to TOML).
// Redis Sentinel sends CONFIG REWRITE inside its failover MULTI to persist `replicaof`, so the file
// the server was started with must be rewritten so that it loads back with the running values.
//
// The rule: a parameter the file mentions is updated in place when its running value differs from
// what the file says (the line keeps its position and its trailing comment); a parameter the file
// does not mention is added, in its [table] section, when its value differs from the default.
// `replicaof` is removed when the server is a master again (REPLICAOF NO ONE), as Redis does.
// Comments, blank lines and everything else are kept. `user` lines are left alone (ACL SAVE is a
// separate matter). Old names (slave-*, lua-time-limit, *-ziplist-*) are updated only where the
// file uses them; otherwise the current name is written. The new text is parsed back before it is
// written, then written atomically: a temporary file in the same directory, fsync, the original
// file's mode, rename, fsync of the directory.

import { closeSync, fchmodSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { checkTomlValue, PARAM_BY_NAME, PARAMS, ParamSpec, ParamValue } from './schema.js';
import { fsyncDir, strerror } from '../persistence/files.js';

/** Old name → current name: only one of each pair is written when the file has neither. */
const OLD_NAMES: Record<string, string> = {
  'slave-read-only': 'replica-read-only',
  'slave-serve-stale-data': 'replica-serve-stale-data',
  'repl-ping-slave-period': 'repl-ping-replica-period',
  'min-slaves-to-write': 'min-replicas-to-write',
  'min-slaves-max-lag': 'min-replicas-max-lag',
  'slave-priority': 'replica-priority',
  'slave-announce-ip': 'replica-announce-ip',
  'slave-announce-port': 'replica-announce-port',
  'lua-time-limit': 'busy-reply-threshold',
  'hash-max-ziplist-entries': 'hash-max-listpack-entries',
  'hash-max-ziplist-value': 'hash-max-listpack-value',
  'zset-max-ziplist-entries': 'zset-max-listpack-entries',
  'zset-max-ziplist-value': 'zset-max-listpack-value',
  'list-max-ziplist-size': 'list-max-listpack-size',
};

/** A failure Redis reports as "ERR Rewriting config file: <text>". */
export class RewriteError extends Error {}

/** One `key = value` entry of the file. */
interface Entry {
  /** Full parameter name (table prefix + key). */
  name: string;
  /** The key as written on the line, with its dotted prefix inside the table (`limits.max_fuel`). */
  key: string;
  /** The table header it is under ('' = the root). */
  table: string;
  first: number;
  last: number;
  /** The trailing comment of a one-line entry, and the column it started at. */
  comment: string;
  commentCol: number;
  indent: string;
}

function tryParse(text: string): Record<string, unknown> | null {
  try {
    return parseToml(text) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** A TOML key part: bare when it can be, else a basic string. */
function keyPart(k: string): string {
  return /^[A-Za-z0-9_-]+$/.test(k) ? k : tomlString(k);
}

function tomlString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += '\\u' + c.toString(16).padStart(4, '0');
    else out += ch;
  }
  return out + '"';
}

/** The TOML text of a value, as checkTomlValue reads it back. */
export function tomlValue(spec: ParamSpec, v: ParamValue): string {
  if (spec.list) return '[' + String(v).split('\n').filter((x) => x !== '').map(tomlString).join(', ') + ']';
  if (spec.type === 'bool') return v ? 'true' : 'false';
  if ((spec.type === 'int' || spec.type === 'memory') && typeof v === 'number') return String(v);
  return tomlString(String(v));
}

/** The names a TOML document defines, flattened like Config.loadToml does (inline tables included). */
function flatten(doc: Record<string, unknown>, prefix: string, out: Map<string, unknown>): void {
  for (const [k, v] of Object.entries(doc)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Date)) flatten(v as Record<string, unknown>, prefix + k + '.', out);
    else out.set(prefix + k, v);
  }
}

/** Parse a table header `[a."b".c]` into its name, or null for anything else. */
function headerName(inner: string): string | null {
  const doc = tryParse(`${inner} = 0`);
  if (!doc) return null;
  const m = new Map<string, unknown>();
  flatten(doc, '', m);
  return m.size === 1 ? [...m.keys()][0] : null;
}

/** Find the entries and table headers of the file, line by line. */
function scan(lines: string[]): { entries: Entry[]; headers: Map<string, number>; firstHeader: number } {
  const entries: Entry[] = [];
  const headers = new Map<string, number>();
  let firstHeader = -1;
  let table = '';
  for (let i = 0; i < lines.length; i++) {
    const t = lines[i].trim();
    if (t === '' || t.startsWith('#')) continue;
    if (t.startsWith('[')) {
      // [[array of tables]] is not used by Lodestone's configuration; its entries are not ours.
      const h = t.startsWith('[[') ? null : /^\[([^\]]*)\]\s*(#.*)?$/.exec(t);
      table = h ? (headerName(h[1]) ?? '\0') : '\0';
      if (h && table !== '\0') headers.set(table, i);
      if (firstHeader < 0) firstHeader = i;
      continue;
    }
    // A key/value entry: the shortest run of lines that parses alone.
    let j = i;
    let doc: Record<string, unknown> | null = null;
    for (; j < lines.length; j++) {
      doc = tryParse(lines.slice(i, j + 1).join('\n'));
      if (doc) break;
    }
    if (!doc) break; // the file loaded, so this does not happen; stop rather than guess
    const flat = new Map<string, unknown>();
    flatten(doc, '', flat);
    const eq = lines[i].indexOf('=');
    const written = lines[i].slice(0, eq).trim();
    // The key as written names the parameter itself (not an inline table holding it).
    const key = flat.size === 1 && headerName(written) === [...flat.keys()][0] ? written : '';
    let comment = '';
    let commentCol = 0;
    if (i === j) {
      for (let p = lines[i].indexOf('#', eq); p >= 0; p = lines[i].indexOf('#', p + 1)) {
        if (tryParse(lines[i].slice(0, p))) {
          comment = lines[i].slice(p);
          commentCol = p;
          break;
        }
      }
    }
    const indent = lines[i].slice(0, lines[i].length - lines[i].trimStart().length);
    if (table !== '\0') {
      for (const name of flat.keys()) {
        entries.push({ name: table ? `${table}.${name}` : name, key, table, first: i, last: j, comment, commentCol, indent });
      }
    }
    i = j;
  }
  return { entries, headers, firstHeader };
}

/**
 * The new text of the file `text`, given the running value of every parameter. Throws RewriteError
 * when the result would not load back.
 */
export function rewriteToml(text: string, current: (name: string) => ParamValue): string {
  const doc = tryParse(text) ?? {};
  const inFile = new Map<string, unknown>();
  flatten(doc, '', inFile);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text === '' ? [] : text.split(/\r?\n/);
  const trailingNewline = text.endsWith('\n');
  if (trailingNewline) lines.pop();
  const { entries, headers, firstHeader } = scan(lines);

  /** Line index → replacement lines (null = removed); insertions after a line index. */
  const replace = new Map<number, string[] | null>();
  const insertAfter = new Map<number, string[]>();
  const appendTables = new Map<string, string[]>();
  const topLevel: string[] = [];
  const add = (m: Map<number, string[]>, at: number, s: string) => {
    const l = m.get(at) ?? [];
    l.push(s);
    m.set(at, l);
  };

  // Entries on lines shared with other parameters (inline tables) are rewritten as dotted keys.
  const byLine = new Map<number, Entry[]>();
  for (const e of entries) {
    const l = byLine.get(e.first) ?? [];
    l.push(e);
    byLine.set(e.first, l);
  }

  const fileValue = (spec: ParamSpec): ParamValue | undefined => {
    if (!inFile.has(spec.name)) return undefined;
    try {
      return checkTomlValue(spec, inFile.get(spec.name), spec.default);
    } catch {
      return undefined;
    }
  };

  const changed = new Set<string>();
  for (const spec of PARAMS) {
    if (spec.list) continue; // `user`: ACL users are not rewritten here
    const v = current(spec.name);
    if (inFile.has(spec.name)) {
      if (spec.name === 'replicaof' && v === '') changed.add(spec.name);
      else if (fileValue(spec) !== v) changed.add(spec.name);
      continue;
    }
    if (v === spec.default) continue;
    const canon = OLD_NAMES[spec.name];
    if (canon !== undefined) continue; // the current name is written instead
    const old = Object.keys(OLD_NAMES).find((o) => OLD_NAMES[o] === spec.name);
    if (old !== undefined && inFile.has(old)) continue; // the file's old-name line carries it
    // A new line: after the last entry of the same table, else in its section, else a new section.
    const dot = spec.name.lastIndexOf('.');
    const parent = dot < 0 ? '' : spec.name.slice(0, dot);
    const leaf = spec.name.slice(dot + 1);
    const siblings = entries.filter((e) => e.name.slice(0, Math.max(0, e.name.lastIndexOf('.'))) === parent && e.key !== '');
    if (siblings.length > 0) {
      const s = siblings[siblings.length - 1];
      const prefix = s.key.includes('.') ? s.key.slice(0, s.key.lastIndexOf('.') + 1) : '';
      add(insertAfter, s.last, `${s.indent}${prefix}${keyPart(leaf)} = ${tomlValue(spec, v)}`);
    } else if (parent === '') {
      topLevel.push(`${keyPart(leaf)} = ${tomlValue(spec, v)}`);
    } else if (headers.has(parent)) {
      add(insertAfter, headers.get(parent)!, `${keyPart(leaf)} = ${tomlValue(spec, v)}`);
    } else {
      const l = appendTables.get(parent) ?? [];
      l.push(`${keyPart(leaf)} = ${tomlValue(spec, v)}`);
      appendTables.set(parent, l);
    }
  }

  for (const [line, es] of byLine) {
    if (!es.some((e) => changed.has(e.name))) continue;
    const out: string[] = [];
    for (const e of es) {
      const spec = PARAM_BY_NAME.get(e.name);
      if (spec && spec.name === 'replicaof' && current(spec.name) === '') continue;
      const rel = e.table ? e.name.slice(e.table.length + 1) : e.name;
      const key = e.key !== '' ? e.key : rel.split('.').map(keyPart).join('.');
      const value = spec ? tomlValue(spec, current(spec.name)) : null;
      if (value === null) {
        // Not a parameter (the file would not have loaded); keep the original text.
        out.push(...lines.slice(e.first, e.last + 1));
        break;
      }
      const line = `${e.indent}${key} = ${value}`;
      // The comment stays in its column when the new value leaves room for it.
      if (es.length === 1 && e.comment !== '') out.push(line + ' '.repeat(Math.max(1, e.commentCol - line.length)) + e.comment);
      else out.push(line);
    }
    replace.set(line, out.length ? out : null);
    for (let k = line + 1; k <= es[0].last; k++) replace.set(k, []);
  }

  const result: string[] = [];
  const generated = '# Generated by CONFIG REWRITE';
  const insertTop = firstHeader < 0 ? lines.length : backOverComments(lines, firstHeader);
  for (let i = 0; i <= lines.length; i++) {
    if (i === insertTop && topLevel.length > 0) {
      result.push(generated, ...topLevel);
      if (i < lines.length) result.push('');
    }
    if (i === lines.length) break;
    const r = replace.get(i);
    if (r === undefined) result.push(lines[i]);
    else if (r !== null) result.push(...r);
    const ins = insertAfter.get(i);
    if (ins) result.push(...ins);
  }
  for (const [table, ls] of appendTables) {
    result.push('', generated, `[${table.split('.').map(keyPart).join('.')}]`, ...ls);
  }
  const out = result.join(eol) + (trailingNewline || result.length > 0 ? eol : '');
  if (tryParse(out) === null) throw new RewriteError('the rewritten file would not parse');
  return out;
}

/** Where to insert before line `i`: above the comment block that introduces it. */
function backOverComments(lines: string[], i: number): number {
  while (i > 0 && lines[i - 1].trim().startsWith('#')) i--;
  return i;
}

/** Rewrite `file` (Redis's rewriteConfig + rewriteConfigOverwriteFile). Throws RewriteError(strerror). */
export function rewriteConfigFile(file: string, current: (name: string) => ParamValue): void {
  let text = '';
  let mode = 0o644;
  try {
    text = readFileSync(file, 'utf8');
    mode = statSync(file).mode & 0o7777;
  } catch (e) {
    // A missing file is created, as Redis does; any other error is reported.
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new RewriteError(strerror(e));
  }
  const out = rewriteToml(text, current);
  const tmp = join(dirname(file), `${basename(file)}.tmp-${process.pid}-${Date.now()}`);
  let fd = -1;
  try {
    fd = openSync(tmp, 'w', mode);
    fchmodSync(fd, mode); // the original file's mode, whatever the umask
    writeSync(fd, out);
    fsyncSync(fd);
    closeSync(fd);
    fd = -1;
    renameSync(tmp, file);
    fsyncDir(file);
  } catch (e) {
    if (fd >= 0) closeSync(fd);
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
    throw new RewriteError(strerror(e));
  }
}
