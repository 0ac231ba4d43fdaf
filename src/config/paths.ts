// Path rules for the configuration: every file Lodestone writes (the snapshot, the AOF, their
// temporary files, the WASM module store) stays inside `dir` and is never aimed at another one.
//
// Why this exists: `CONFIG SET dbfilename ../../home/u/.bashrc` + SAVE used to write a file whose
// lines the client controls anywhere the server's user can write, and `CONFIG SET dbfilename
// appendonly.aof` + SAVE replaced the AOF. As in Redis 7.0, `dbfilename` and `appendfilename` must be
// plain file names (Redis's isValidDBfilename / isValidAOFfilename texts) and the path parameters are
// protected configs (schema.ts `protected`); Lodestone also refuses what Redis lets through and what
// would make two of its files one: '', '.', '..', NUL bytes, the names of its temporary files (a
// snapshot named like one would be deleted at the next startup), dbfilename = appendfilename, and a
// snapshot aimed at the configuration file, the log file, the ACL file or module_dir.
// The rules are checked for config.toml, `--name value` flags and CONFIG SET alike.

import { statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { ParamValue } from './schema.js';

/** Values of Redis's protected-action parameters (enable-protected-configs, -debug-, -module-command). */
export const PROTECTED_ACTION_VALUES = ['no', 'yes', 'local'];

/**
 * Temporary files of a snapshot and an AOF rewrite: `temp-<pid>-<random>.rdb` (`.lsnap` before
 * snapshots were RDB; Redis's own `temp-<pid>.rdb` too), `temp-rewriteaof-<pid>-<random>.aof`.
 */
export const TEMP_SNAPSHOT_RE = /^temp-\d+(-[0-9a-f]{16})?\.(lsnap|rdb)$/;
export const TEMP_REWRITE_RE = /^temp-rewriteaof-\d+(-[0-9a-f]{16})?\.aof$/;

/** Longest file name most file systems take (NAME_MAX). */
const NAME_MAX = 255;

/** A path-valued parameter: no NUL byte (the OS would cut the name there; Node throws). */
export function checkPath(v: ParamValue): void {
  if (String(v).includes('\0')) throw new Error("a path can't contain a NUL byte");
}

/** `dbfilename` / `appendfilename`: a plain file name inside `dir`. */
export function checkFileName(param: string, v: string): void {
  if (v === '') throw new Error(`${param} can't be empty`);
  if (v.includes('\0')) throw new Error(`${param} can't contain a NUL byte`);
  // Redis's pathIsBaseName rejects '/' and '\'; '.' and '..' name directories, not files.
  if (v.includes('/') || v.includes('\\') || v === '.' || v === '..') {
    throw new Error(`${param} can't be a path, just a filename`);
  }
  if (Buffer.byteLength(v) > NAME_MAX) throw new Error(`${param} is longer than ${NAME_MAX} bytes`);
  if (TEMP_SNAPSHOT_RE.test(v) || TEMP_REWRITE_RE.test(v)) {
    throw new Error(`${param} can't be the name of a temporary file Lodestone writes and removes`);
  }
}

/** `dir`: an existing directory (Redis chdirs there and answers strerror when it can't). */
export function checkDir(v: ParamValue): void {
  const d = String(v);
  checkPath(d);
  let st;
  try {
    st = statSync(d === '' ? '\0' : d);
  } catch {
    throw new Error('No such file or directory');
  }
  if (!st.isDirectory()) throw new Error('Not a directory');
}

/** The absolute directory persistence files live in. */
export function dataDir(dir: string): string {
  return isAbsolute(dir) ? dir : join(process.cwd(), dir);
}

/**
 * Cross-parameter rules: returns [parameter, message] for the first conflict, or null. `get` reads
 * the values as they would be (the current ones with a CONFIG SET's new values over them);
 * `configFile` is the file the configuration came from ('' when none).
 */
export function fileConflict(get: (name: string) => ParamValue | undefined, configFile: string): [string, string] | null {
  const dir = dataDir(String(get('dir') ?? '.'));
  const db = String(get('dbfilename') ?? '');
  const aof = String(get('appendfilename') ?? '');
  if (db === aof) return ['dbfilename', "dbfilename and appendfilename can't name the same file"];
  const snapshot = join(dir, db);
  const aofPath = join(dir, aof);
  const others: [string, string][] = [];
  if (configFile) others.push(['the configuration file', resolve(configFile)]);
  for (const p of ['logfile', 'aclfile']) {
    const v = get(p);
    if (typeof v === 'string' && v !== '') others.push([p, resolve(v)]);
  }
  const moduleDir = get('wasm.module_dir');
  if (typeof moduleDir === 'string') others.push(['wasm.module_dir', resolve(dir, moduleDir)]);
  for (const [what, path] of others) {
    if (path === snapshot) return ['dbfilename', `dbfilename can't name ${what}`];
    if (path === aofPath) return ['appendfilename', `appendfilename can't name ${what}`];
  }
  return null;
}
