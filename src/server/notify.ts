// Keyspace notifications (Redis 7.0's notify.c): `notify-keyspace-events` as a bit mask, and
// notifyKeyspaceEvent, which commands call where Redis's do — after the change, with Redis's event
// name — to publish `__keyspace@<db>__:<key>` → event and `__keyevent@<db>__:<event>` → key.
//
// Where the events come from, as in Redis:
//   - each command family (src/commands/*.ts) publishes its own events, and `del` after a write
//     that emptied a container;
//   - the database (keyspace/db.ts): `new` when set() creates a key (Redis's dbAdd), `expired` when
//     a lazy lookup or the active cycle deletes a key, `keymiss` when a read lookup misses;
//   - maxmemory eviction (memory.ts): `evicted`.
// `keymiss` follows Redis's lookupKeyRead / lookupKeyWrite split: dispatch's call() sets
// Server.writeLookups for the duration of a write command (blocked waiters being served count as
// writes), whose misses stay silent; the writes that Redis reads with lookupKeyRead (GETDEL, SORT,
// the *STORE sources …) report theirs with Database.readMiss.
// Scripts, MULTI/EXEC and WASM functions run their commands through the same call(), so they
// publish exactly what the commands do from a client (test/diff/notifications.test.ts).
//
// Why a mask parsed once: the call sits on every write's path, so with notifications off (the
// default) it costs one AND against a number, no string work.

import type { Server } from './server.js';

export const NOTIFY_KEYSPACE = 1 << 0; // K
export const NOTIFY_KEYEVENT = 1 << 1; // E
export const NOTIFY_GENERIC = 1 << 2; // g
export const NOTIFY_STRING = 1 << 3; // $
export const NOTIFY_LIST = 1 << 4; // l
export const NOTIFY_SET = 1 << 5; // s
export const NOTIFY_HASH = 1 << 6; // h
export const NOTIFY_ZSET = 1 << 7; // z
export const NOTIFY_EXPIRED = 1 << 8; // x
export const NOTIFY_EVICTED = 1 << 9; // e
export const NOTIFY_STREAM = 1 << 10; // t
export const NOTIFY_KEY_MISS = 1 << 11; // m
export const NOTIFY_LOADED = 1 << 12; // module only
export const NOTIFY_MODULE = 1 << 13; // d
export const NOTIFY_NEW = 1 << 14; // n
/** 'A': every class but m and n (Redis's NOTIFY_ALL). */
export const NOTIFY_ALL =
  NOTIFY_GENERIC | NOTIFY_STRING | NOTIFY_LIST | NOTIFY_SET | NOTIFY_HASH | NOTIFY_ZSET | NOTIFY_EXPIRED | NOTIFY_EVICTED | NOTIFY_STREAM | NOTIFY_MODULE;

const CHAR_FLAGS: Record<string, number> = {
  A: NOTIFY_ALL,
  g: NOTIFY_GENERIC,
  $: NOTIFY_STRING,
  l: NOTIFY_LIST,
  s: NOTIFY_SET,
  h: NOTIFY_HASH,
  z: NOTIFY_ZSET,
  x: NOTIFY_EXPIRED,
  e: NOTIFY_EVICTED,
  K: NOTIFY_KEYSPACE,
  E: NOTIFY_KEYEVENT,
  t: NOTIFY_STREAM,
  m: NOTIFY_KEY_MISS,
  d: NOTIFY_MODULE,
  n: NOTIFY_NEW,
};

/** keyspaceEventsStringToFlags: the mask, or -1 for a character Redis does not know. */
export function parseNotifyFlags(s: string): number {
  let flags = 0;
  for (const ch of s) {
    const f = CHAR_FLAGS[ch];
    if (f === undefined) return -1;
    flags |= f;
  }
  return flags;
}

/**
 * The config text stored for notify-keyspace-events is the canonical form CONFIG GET shows, which
 * in 7.0.15 drops `n` when `A` is present (`KEAn` reads back as `AKE`) — yet Redis keeps the flags
 * themselves, `n` included. The config's parse records the flags it read here, and the server
 * takes them from flagsOfConfig for the text it is then handed.
 */
let lastParsed: { text: string; flags: number } | null = null;

/** The config parse: the canonical text (or throws), remembering the flags behind it. */
export function parseNotifyConfig(raw: string): string {
  const flags = parseNotifyFlags(raw);
  if (flags < 0) throw new Error("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
  const text = notifyFlagsToString(flags);
  lastParsed = { text, flags };
  return text;
}

/** The flags for the config's current text: the ones just parsed, `n` and all. */
export function flagsOfConfig(text: string): number {
  return lastParsed !== null && lastParsed.text === text ? lastParsed.flags : parseNotifyFlags(text);
}

/** keyspaceEventsFlagsToString: the canonical text CONFIG GET shows (7.0.15: `Kmnd` → `dnKm`). */
export function notifyFlagsToString(flags: number): string {
  let res = '';
  if ((flags & NOTIFY_ALL) === NOTIFY_ALL) res += 'A';
  else {
    if (flags & NOTIFY_GENERIC) res += 'g';
    if (flags & NOTIFY_STRING) res += '$';
    if (flags & NOTIFY_LIST) res += 'l';
    if (flags & NOTIFY_SET) res += 's';
    if (flags & NOTIFY_HASH) res += 'h';
    if (flags & NOTIFY_ZSET) res += 'z';
    if (flags & NOTIFY_EXPIRED) res += 'x';
    if (flags & NOTIFY_EVICTED) res += 'e';
    if (flags & NOTIFY_STREAM) res += 't';
    if (flags & NOTIFY_MODULE) res += 'd';
    // Inside the else, as in 7.0.15: `AKEn` reads back as `AKE`.
    if (flags & NOTIFY_NEW) res += 'n';
  }
  if (flags & NOTIFY_KEYSPACE) res += 'K';
  if (flags & NOTIFY_KEYEVENT) res += 'E';
  if (flags & NOTIFY_KEY_MISS) res += 'm';
  return res;
}

/**
 * Redis's notifyKeyspaceEvent(type, event, key, dbid). `server.notifyFlags` is the parsed config;
 * nothing is published unless the class is enabled and K or E is set.
 */
export function notifyKeyspaceEvent(server: Server, type: number, event: string, key: string, dbid: number): void {
  const flags = server.notifyFlags;
  if ((flags & type) === 0) return;
  if (flags & NOTIFY_KEYSPACE) server.pubsub.publish(`__keyspace@${dbid}__:${key}`, event);
  if (flags & NOTIFY_KEYEVENT) server.pubsub.publish(`__keyevent@${dbid}__:${event}`, key);
}

