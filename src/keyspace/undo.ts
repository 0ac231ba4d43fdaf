// Undo log for atomic function calls: before a function's first write to a key, the key's value
// and TTL are saved; if the call fails (trap, fuel, timeout, permission …) rollback() restores
// every saved key, so a failed call leaves no trace — stronger than Redis, where a script error
// keeps the writes made before it.

import { copyEncoding, encodingState, restoreEncodingState } from './encoding.js';
import { SortedSet } from './zset.js';
import { Database, RedisValue } from './db.js';
import { Deque } from './deque.js';
import { BigString } from './bigstring.js';

/** Deep copy of a value (strings are immutable and shared). Used by the undo log and COPY. */
export function cloneValue(v: RedisValue): RedisValue {
  if (typeof v === 'string') return v; // immutable
  if (v instanceof BigString) return v.clone(); // copy-on-write: bit writes modify in place
  if (v instanceof Deque) return new Deque(v);
  // The copy keeps the original's OBJECT ENCODING (Redis's dup*Object keeps the encoding).
  const c = v instanceof Map ? new Map(v) : v instanceof Set ? new Set(v) : v.clone(); // SortedSet, Stream
  copyEncoding(v, c);
  return c;
}

interface Saved {
  db: Database | null;
  key: string;
  value: RedisValue | undefined;
  expire: number | undefined;
  /**
   * A sorted set saved as itself, journaling its changes (zset.ts), instead of a copy: copying is
   * O(size) per call (a rate limiter's window, a leaderboard), the journal O(changes). Its
   * encoding state is kept to put back too. null for every other value.
   */
  journaled: SortedSet | null;
  enc: boolean | undefined;
}

/** Up to this many saved keys, "already saved?" is a scan of the records; past it, a Set. */
const SCAN_MAX = 8;

/**
 * Per call, in the usual case of a few keys, saving costs one Map lookup for the value, one for
 * the TTL and a scan of the keys saved so far: the records are reused from call to call (a WASM
 * function or Lua engine keeps its log), and the Set of seen keys is only made for calls that
 * save more than SCAN_MAX keys.
 */
export class UndoLog {
  private readonly saved: Saved[] = [];
  private n = 0;
  /** `${db.id}\0${key}` of every saved key, once more than SCAN_MAX were saved. */
  private seen: Set<string> | null = null;

  get size(): number {
    return this.n;
  }

  /** Remember the key's current state unless it was already saved in this call. */
  save(db: Database, key: string): void {
    const n = this.n;
    if (n < SCAN_MAX) {
      for (let i = 0; i < n; i++) {
        const s = this.saved[i];
        if (s.key === key && s.db === db) return;
      }
    } else {
      if (this.seen === null) {
        this.seen = new Set();
        for (let i = 0; i < n; i++) this.seen.add(`${this.saved[i].db!.id}\0${this.saved[i].key}`);
      }
      const id = `${db.id}\0${key}`;
      if (this.seen.has(id)) return;
      this.seen.add(id);
    }
    const v = db.dict.get(key);
    let value: RedisValue | undefined;
    let journaled: SortedSet | null = null;
    let enc: boolean | undefined;
    if (v instanceof SortedSet && v.journal === null) {
      // (A set already journaled in this call moved here from a saved key: copied, as it is now.)
      v.journal = [];
      journaled = v;
      enc = encodingState(v);
      value = v;
    } else value = v === undefined ? undefined : cloneValue(v);
    const expire = db.expires.size === 0 ? undefined : db.expires.get(key);
    if (n < this.saved.length) {
      const s = this.saved[n];
      s.db = db;
      s.key = key;
      s.value = value;
      s.expire = expire;
      s.journaled = journaled;
      s.enc = enc;
    } else this.saved.push({ db, key, value, expire, journaled, enc });
    this.n = n + 1;
  }

  /** Restore every saved key; `onRestored` is told each key (WATCH invalidation, blocked clients). */
  rollback(onRestored: (db: Database, key: string) => void): void {
    for (let i = this.n - 1; i >= 0; i--) {
      const s = this.saved[i];
      const db = s.db!;
      if (s.journaled !== null) {
        s.journaled.rollBackJournal();
        restoreEncodingState(s.journaled, s.enc);
      }
      // Through the Database's own methods, so its memory accounting follows the restore.
      if (s.value === undefined) {
        db.delete(s.key);
      } else {
        db.set(s.key, s.value);
        if (s.expire !== undefined) db.setExpire(s.key, s.expire);
      }
      onRestored(db, s.key);
    }
    this.clear();
  }

  clear(): void {
    const n = this.n;
    if (n === 0) return;
    // Drop the references (values can be large), keep the records.
    for (let i = 0; i < n; i++) {
      const s = this.saved[i];
      if (s.journaled !== null) {
        s.journaled.journal = null; // committed (or rolled back): stop journaling
        s.journaled = null;
      }
      s.db = null;
      s.value = undefined;
      s.key = '';
    }
    this.n = 0;
    if (this.seen !== null) this.seen = null;
    // A call that saved very many keys does not keep that many records around.
    if (this.saved.length > 64) this.saved.length = 64;
  }
}
