// Iteration and sampling helpers shared by the collection families: the cursor design behind
// HSCAN / SSCAN (and ZSCAN), and O(1)-amortised random picks for SPOP / SRANDMEMBER / HRANDFIELD.
//
// ## The SCAN cursor design
//
// Redis's guarantee for SCAN-style commands: every element present in the collection for the whole
// duration of a full iteration (cursor 0 … cursor 0) is returned at least once; elements added or
// removed meanwhile may or may not be returned. Redis gets it from its reverse-binary dict cursor.
// Our collections are JS `Map`/`Set`s (insertion order, no bucket structure), so an index into the
// iteration order would skip elements whenever an earlier one is deleted. Instead:
//
//   - Every member has a fixed 32-bit hash (`hash32`, FNV-1a + murmur3 finaliser). A cursor `c` means
//     "every member whose hash is < c has been covered". Cursor 0 starts (and ends) an iteration; the
//     next cursor is always `last returned hash + 1`, so cursors only grow during an iteration.
//   - Each call returns the next COUNT present members in hash order, never splitting a group of
//     members with equal hashes across calls. The hash ranges of successive calls are disjoint and
//     together cover [0, 2^32), so a member present all along is returned exactly once — a stronger
//     guarantee than Redis's (which may repeat elements after a rehash).
//   - Walking hash order needs the members sorted by hash. That sorted snapshot is cached per
//     collection object (WeakMap, so it dies with the collection); calls skip snapshot entries that
//     have been deleted since (`has`). The cached snapshot is only used while it is a superset of
//     the members that may still matter:
//       * a cursor-0 call builds a fresh snapshot (every member present from then on is in it) —
//         unless the source `tracksAdds`: every command that adds members to it calls
//         `membersAdded(owner)`, which drops the snapshot, so a cached one is a superset of the
//         current members and a cursor-0 call can reuse it (hashes and sets do this);
//       * a non-zero-cursor call reuses the cached snapshot: it was built at or after the start of
//         this iteration, or with no add since, so it holds every member present throughout.
//     Without a usable snapshot (collection replaced, members added, cache dropped) one is built on
//     the spot from the current members, which again holds everything present throughout. The
//     cache is dropped when an iteration completes, so idle collections carry no extra memory.
//   - A cursor's meaning does not depend on server state (it is a hash threshold), so stale, foreign
//     or forged cursors are harmless: a cursor beyond every hash simply ends the iteration.
//   - Small collections that Redis stores compactly (listpack hashes/zsets, intsets) are returned in
//     one reply with cursor 0 whatever the cursor and COUNT, exactly like Redis; the caller decides
//     `compact` with Redis's thresholds and passes the members in Redis's order for that encoding.
//   - COUNT is the amount of work (members examined), MATCH filters afterwards, so like Redis a call
//     may return fewer members than COUNT, or none, with a non-zero cursor. At most COUNT*10 deleted
//     snapshot entries are skipped per call, bounding the work like Redis's `maxiterations`.
//
// Cost: building a snapshot is O(N log N) (≈0.4 s for 1M members), a step with a cached snapshot is
// O(COUNT + log N).

import { ERR_NOT_INTEGER, ERR_SYNTAX, ReplyError } from '../protocol/reply.js';
import { globMatch } from '../util/glob.js';
import { parseIntArg } from '../util/numbers.js';

export const ERR_INVALID_CURSOR = new ReplyError('ERR', 'invalid cursor');

const TWO_64 = 1n << 64n;
const TWO_32 = 2 ** 32;

/**
 * Parse a cursor like Redis's parseScanCursorOrReply (`strtoul(s, &end, 10)`): optional sign, digits,
 * nothing else; no leading space; values beyond 2^64-1 are an error; a '-' wraps modulo 2^64; the
 * empty string is cursor 0. Returns the cursor as a number (our cursors are ≤ 2^32; larger values
 * only need to compare as "past the end").
 */
export function parseScanCursor(s: string): number {
  let i = 0;
  let neg = false;
  if (s.length > 0 && (s[0] === '+' || s[0] === '-')) {
    neg = s[0] === '-';
    i = 1;
  }
  if (s.length === 0) return 0;
  if (i === s.length) throw ERR_INVALID_CURSOR;
  for (let j = i; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c < 48 || c > 57) throw ERR_INVALID_CURSOR;
  }
  if (s.length - i < 16) {
    const v = Number(s.slice(i));
    if (!neg || v === 0) return v;
  }
  let v = BigInt(s.slice(i));
  if (v >= TWO_64) throw ERR_INVALID_CURSOR;
  if (neg && v !== 0n) v = TWO_64 - v;
  return Number(v);
}

export interface ScanOptions {
  /** Members examined per call (COUNT, default 10). */
  count: number;
  /** MATCH pattern, or null when absent or `*`. */
  pattern: string | null;
}

/**
 * Parse `[MATCH pattern] [COUNT count]` from args[start..] like Redis's scanGenericCommand: options
 * in any order and repeatable (last wins), COUNT must be an integer ≥ 1 (`ERR value is not an
 * integer or out of range` / `ERR syntax error`), anything else is a syntax error.
 */
export function parseScanOptions(args: string[], start: number): ScanOptions {
  let count = 10;
  let pattern: string | null = null;
  for (let i = start; i < args.length; i += 2) {
    const opt = args[i];
    const more = args.length - i >= 2;
    const up = opt.length === 5 ? opt.toUpperCase() : '';
    if (up === 'COUNT' && more) {
      const n = parseIntArg(args[i + 1]);
      if (n === null) throw ERR_NOT_INTEGER;
      if (n < 1) throw ERR_SYNTAX;
      count = n;
    } else if (up === 'MATCH' && more) {
      const p = args[i + 1];
      pattern = p === '*' ? null : p;
    } else {
      throw ERR_SYNTAX;
    }
  }
  return { count, pattern };
}

/** What scanStep iterates: one collection, seen through its members. */
export interface ScanSource {
  /** The collection object (Map, Set, SortedSet): the snapshot cache key. */
  owner: object;
  /** Current members; for a compact source, in the order Redis would return them. */
  members(): Iterable<string>;
  /** Whether a member is (still) present. */
  has(member: string): boolean;
  /** Small collection Redis keeps in a compact encoding: return everything at once, cursor 0. */
  compact: boolean;
  /** Current number of members (optional: lets a snapshot bloated by deletions be rebuilt). */
  size?: number;
  /**
   * Set only if every command adding members to this collection calls membersAdded(owner): cursor-0
   * calls may then reuse the cached snapshot instead of rebuilding it (see above). Default false.
   */
  tracksAdds?: boolean;
}

/** One iteration step: the next cursor (decimal text, "0" when done) and the members to return. */
export type ScanResult = [cursor: string, members: string[]];

interface Snapshot {
  /** Members sorted by hash. */
  members: string[];
  /** Their hashes, ascending. */
  hashes: Uint32Array;
}

const snapshots = new WeakMap<object, Snapshot>();

/** A fixed 32-bit hash of a latin1 string (FNV-1a, then murmur3's fmix32 for avalanche). */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function buildSnapshot(source: ScanSource): Snapshot {
  const list: string[] = [];
  for (const m of source.members()) list.push(m);
  const n = list.length;
  const hs = new Uint32Array(n);
  for (let i = 0; i < n; i++) hs[i] = hash32(list[i]);
  const members = new Array<string>(n);
  const hashes = new Uint32Array(n);
  if (n < 2 ** 21) {
    // Pack hash and index into one exactly representable double (32 + 21 bits) and let the native
    // typed-array sort do the work: no comparator calls.
    const keys = new Float64Array(n);
    for (let i = 0; i < n; i++) keys[i] = hs[i] * 2 ** 21 + i;
    keys.sort();
    for (let k = 0; k < n; k++) {
      const i = keys[k] % 2 ** 21;
      members[k] = list[i];
      hashes[k] = hs[i];
    }
  } else {
    const idx = Array.from({ length: n }, (_, i) => i);
    idx.sort((a, b) => hs[a] - hs[b]);
    for (let k = 0; k < n; k++) {
      members[k] = list[idx[k]];
      hashes[k] = hs[idx[k]];
    }
  }
  const snap = { members, hashes };
  snapshots.set(source.owner, snap);
  cachesUsed = true;
  return snap;
}

/** First index whose hash is ≥ h. */
function lowerBound(hashes: Uint32Array, h: number): number {
  let lo = 0;
  let hi = hashes.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (hashes[mid] < h) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Run one SCAN step over a collection (see the design notes at the top of this file). MATCH is
 * applied to the members; the caller turns members into reply items (HSCAN adds values, ZSCAN scores).
 */
export function scanStep(source: ScanSource, cursor: number, opts: ScanOptions): ScanResult {
  const pattern = opts.pattern;
  if (source.compact) {
    const out: string[] = [];
    for (const m of source.members()) if (pattern === null || globMatch(pattern, m)) out.push(m);
    return ['0', out];
  }
  if (cursor >= TWO_32 + 1) return ['0', []];
  let snap = cursor !== 0 || source.tracksAdds === true ? snapshots.get(source.owner) : undefined;
  // Rebuild when deleted entries dominate, to keep steps cheap.
  if (snap === undefined || (source.size !== undefined && snap.members.length > 2 * source.size + 64)) {
    snap = buildSnapshot(source);
  }
  const { members, hashes } = snap;
  const n = members.length;
  let i = cursor === 0 ? 0 : lowerBound(hashes, cursor);
  const out: string[] = [];
  let taken = 0;
  let budget = opts.count * 10;
  while (i < n && taken < opts.count && budget > 0) {
    const m = members[i++];
    if (source.has(m)) {
      taken++;
      if (pattern === null || globMatch(pattern, m)) out.push(m);
    } else {
      budget--;
    }
  }
  // Never split a group of equal hashes: the next cursor must be past the whole group.
  while (i > 0 && i < n && hashes[i] === hashes[i - 1]) {
    const m = members[i++];
    if (source.has(m) && (pattern === null || globMatch(pattern, m))) out.push(m);
  }
  if (i >= n) {
    snapshots.delete(source.owner);
    return ['0', out];
  }
  return [String(hashes[i - 1] + 1), out];
}

// ## Random sampling
//
// JS Maps and Sets have no O(1) random access. `randomMember` keeps, per collection, a cached array
// that is a superset of its current members (no duplicates) and samples it with rejection: a pick
// that is no longer present is swap-removed and the draw repeated, which stays uniform over the
// present members. The invariant holds because every command that *adds* members to a hash or set
// calls `membersAdded` (the next pick rebuilds in O(N)); deletions only leave stale entries, which
// picks discard. Draining a set with SPOP is therefore O(1) amortised per pop instead of O(N).

interface Sample {
  arr: string[];
}

const samples = new WeakMap<object, Sample>();
/**
 * Whether either cache ever held an entry: until a SCAN-family or random-member command has run,
 * membersAdded (on every HSET / SADD that adds) has nothing to drop and skips two WeakMap deletes.
 */
let cachesUsed = false;

/**
 * Members were added to a collection: drop its sampling cache and scan snapshot, which must stay
 * supersets of its members. Every command that adds fields/members to a hash or set calls this.
 */
export function membersAdded(owner: object): void {
  if (!cachesUsed) return;
  samples.delete(owner);
  snapshots.delete(owner);
}

function sampleOf(owner: Map<string, unknown> | Set<string>): Sample {
  let s = samples.get(owner);
  // Rebuild when it cannot be a superset any more, or when stale entries dominate.
  if (!s || s.arr.length < owner.size || s.arr.length > 2 * owner.size + 32) {
    s = { arr: Array.from(owner.keys()) };
    samples.set(owner, s);
    cachesUsed = true;
  }
  return s;
}

/** A uniformly random member (key) of a non-empty Map or Set; `remove` also drops it from the cache. */
export function randomMember(owner: Map<string, unknown> | Set<string>, remove = false): string {
  const s = sampleOf(owner);
  const arr = s.arr;
  for (;;) {
    const i = Math.floor(Math.random() * arr.length);
    const m = arr[i];
    if (owner.has(m)) {
      if (remove) {
        arr[i] = arr[arr.length - 1];
        arr.pop();
      }
      return m;
    }
    arr[i] = arr[arr.length - 1];
    arr.pop();
    if (arr.length < owner.size) return randomMember(owner, remove); // defensive: rebuilds
  }
}

/**
 * `count` distinct random members of a Map or Set with count < size (order random). Sparse requests
 * draw with rejection; dense ones shuffle a copy partially (Fisher–Yates).
 */
export function randomDistinct(owner: Map<string, unknown> | Set<string>, count: number): string[] {
  if (count * 3 <= owner.size) {
    const picked = new Set<string>();
    while (picked.size < count) picked.add(randomMember(owner));
    return Array.from(picked);
  }
  const arr = Array.from(owner.keys());
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(Math.random() * (arr.length - i));
    const t = arr[i];
    arr[i] = arr[j];
    arr[j] = t;
  }
  arr.length = count;
  return arr;
}
