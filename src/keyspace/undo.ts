// Undo log for atomic function calls: before a function's first write to a key, the key's value
// and TTL are saved; if the call fails (trap, fuel, timeout, permission …) rollback() restores
// every saved key, so a failed call leaves no trace — stronger than Redis, where a script error
// keeps the writes made before it.

import { copyEncoding } from './encoding.js';
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
  db: Database;
  key: string;
  value: RedisValue | undefined;
  expire: number | undefined;
}

export class UndoLog {
  private readonly saved: Saved[] = [];
  private readonly seen = new Set<string>();

  get size(): number {
    return this.saved.length;
  }

  /** Remember the key's current state unless it was already saved in this call. */
  save(db: Database, key: string): void {
    const id = `${db.id}\0${key}`;
    if (this.seen.has(id)) return;
    this.seen.add(id);
    const v = db.dict.get(key);
    this.saved.push({ db, key, value: v === undefined ? undefined : cloneValue(v), expire: db.expires.get(key) });
  }

  /** Restore every saved key; `onRestored` is told each key (WATCH invalidation, blocked clients). */
  rollback(onRestored: (db: Database, key: string) => void): void {
    for (let i = this.saved.length - 1; i >= 0; i--) {
      const s = this.saved[i];
      // Through the Database's own methods, so its memory accounting follows the restore.
      if (s.value === undefined) {
        s.db.delete(s.key);
      } else {
        s.db.set(s.key, s.value);
        if (s.expire !== undefined) s.db.setExpire(s.key, s.expire);
      }
      onRestored(s.db, s.key);
    }
    this.clear();
  }

  clear(): void {
    if (this.saved.length === 0) return;
    this.saved.length = 0;
    this.seen.clear();
  }
}
