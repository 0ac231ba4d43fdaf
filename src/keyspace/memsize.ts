// Memory accounting: an estimate, in bytes, of what each key costs in the V8 heap. The Database
// keeps the sum up to date on every write (set, delete, expiry, TTL change, in-place changes of
// collections via Server.keyModified), so reading it is O(number of dbs) and it moves only when
// the data moves. maxmemory eviction and INFO used_memory use this figure.
//
// Why an estimate rather than process.memoryUsage(): heapUsed rises between GCs by whatever garbage
// the last commands left (reply buffers, argv arrays) and falls at each GC, so an eviction decision
// taken from it depends on GC timing — the same command sequence would evict different keys on two
// runs. Redis evicts by its allocator's exact count of live bytes; the closest deterministic thing
// in a garbage-collected runtime is to count the live objects the dataset consists of.
//
// The constants come from V8 on x64 (Node 20, no pointer compression), measured with
// `node --expose-gc` after a full GC (heapUsed + external delta):
//   - a one-byte string of n chars is a 16-byte header plus n, rounded up to 8;
//   - a big Map costs 28 B per slot of a power-of-two table that is 50-100% full; the keyspace's
//     maps (dict, access, expires) are charged the mean, 39 B per entry, so the figure grows
//     smoothly instead of jumping when a table doubles — that is the estimate's main error, +-20%
//     on keyspaces dominated by tiny strings, depending on where the key count sits in its doubling;
//   - a TTL is one more entry plus a heap number: 55 B;
//   - collections are small tables and are charged their real capacity: Map 144 B + 28 B per slot,
//     Set 130 + 20, Deque 150 + 8, SortedSet 900 + 28 per dict slot + 16 per member (the
//     score's heap number) + the bytes of its skip-list arrays (SortedSet.arrayBytes), plus the
//     element strings; a Stream 400 B + 120 B per
//     node + 72 B per entry (object, fields array; 24 B more per id component above 2^53, a heap
//     BigInt) + its field and value strings + 180 B per consumer group, 120 B per consumer and
//     64 B per pending entry (object plus two array slots).
// Lists and sorted sets keep the exact size of their element strings as they change (Deque.strBytes,
// SortedSet.memberBytes), and a stream its entry count (Stream.stored), so their estimate is O(1).
// Hashes and sets (native Map / Set) of more than SAMPLE elements have their strings estimated from
// the first SAMPLE and extrapolated, like Redis's MEMORY USAGE (objectComputeSize samples 5). The
// sample's mean string size is cached per collection and taken again after RESAMPLE_AFTER writes or
// when the size moved by a quarter, so a write to a big hash or set costs a WeakMap lookup, not
// O(SAMPLE): sampling 32 entries cost 0.55-0.72 µs, a third of an HSET's server CPU.
//
// Measured with bench/memory.ts (`node --expose-gc dist/bench/memory.js N`), estimate vs heap growth:
//   100k string keys, 11-byte keys, 3-byte values:          11.3 MB /  10.8 MB  (1.05)
//   1M   string keys, same:                                113.0 MB / 100.0 MB  (1.13, table 95% full)
//   100k string keys, 100-byte values, half with a TTL:     23.6 MB /  22.9 MB  (1.03)
//   10k hashes x 20 fields, 100 hashes x 1000 fields:       21.1 / 21.0 MB, 7.7 / 7.7 MB (1.00)
//   10k sets, lists, sorted sets x 20 members:              13.6 / 13.6, 10.0 / 10.1, 39.2 / 36.7 MB
//   1 sorted set x 200k members (14-byte strings):          27.3 MB /  26.2 MB  (1.04)
// This is the dataset part of used_memory; Memory.used (src/server/memory.ts) adds WASM memory and
// client buffers. The command table and V8's own baseline are left out — see README "Memory limits".

import type { RedisValue } from './db.js';
import { Deque } from './deque.js';
import { BigString } from './bigstring.js';
import { Stream } from './stream.js';

/** Elements whose strings are summed exactly before extrapolating from the first SAMPLE. */
export const SAMPLE = 32;

/**
 * One entry of the keyspace's big maps (dict, access, expires), amortized: V8's OrderedHashMap
 * spends 28 B per slot (3 words + half a bucket) in a power-of-two table that is 50–100% full, so
 * 28–56 B per entry; 39 is the mean over a doubling. (Charging the exact table would make the
 * figure jump by megabytes when a big table doubles.)
 */
const ENTRY = 39;
/** A key's fixed cost besides its string: its dict entry and its value and access slots (keytable.ts). */
export const KEY_ENTRIES = ENTRY + 18;
/** A TTL: one entry in `expires` plus the heap number holding the time. */
export const EXPIRE_BYTES = ENTRY + 16;

// Collections are small tables, charged exactly: object + slots × capacity (a power of two) +
// per-element objects + the element strings.
const MAP_OBJ = 144;
const MAP_SLOT = 28;
const SET_OBJ = 130;
const SET_SLOT = 20;
const LIST_OBJ = 150;
const LIST_SLOT = 8;
const ZSET_OBJ = 900;
/** The score's heap number in the dict (the skip list's arrays are counted by SortedSet.arrayBytes). */
const ZSET_MEMBER = 16;

/** V8 one-byte string: 16-byte header + chars, 8-byte aligned. */
export function stringBytes(len: number): number {
  return (23 + len) & ~7;
}

/** What a key costs besides its value: the key string and its two map entries. */
export function keyBytes(key: string): number {
  return KEY_ENTRIES + stringBytes(key.length);
}

/**
 * A BigString (bigstring.ts): its objects (wrapper, Buffer, ArrayBuffer: 240 B measured with
 * `node --expose-gc`, heapUsed + external) plus its storage, spare capacity included.
 */
export function bigStringBytes(v: BigString): number {
  return 240 + v.capacity;
}

/** A big hash's or set's sampled mean bytes of strings per element, and when it was taken. */
interface Sampled {
  mean: number;
  size: number;
  age: number;
}
const sampled = new WeakMap<object, Sampled>();
/** Estimates served from one sample of a big hash or set before it is taken again. */
const RESAMPLE_AFTER = 64;

/**
 * Estimated bytes of a value (strings exactly, collections' strings sampled past SAMPLE elements).
 * `fresh` (MEMORY USAGE) samples a big hash or set now instead of using the cached mean.
 */
export function valueBytes(v: RedisValue, fresh = false): number {
  if (typeof v === 'string') return stringBytes(v.length);
  if (v instanceof BigString) return bigStringBytes(v);
  if (v instanceof Map) return MAP_OBJ + MAP_SLOT * capacity(v.size, 4) + elementStrings(v, fresh);
  if (v instanceof Set) return SET_OBJ + SET_SLOT * capacity(v.size, 4) + elementStrings(v, fresh);
  if (v instanceof Deque) return LIST_OBJ + LIST_SLOT * capacity(v.length, 8) + v.strBytes;
  if (v instanceof Stream) return streamBytes(v);
  return ZSET_OBJ + MAP_SLOT * capacity(v.size, 4) + ZSET_MEMBER * v.size + v.arrayBytes + v.memberBytes;
}

/** Table capacity V8 (or Deque) holds for n elements: the power of two >= n, at least `min`. */
function capacity(n: number, min: number): number {
  if (n <= min) return min;
  // Next power of two: a shift below 2^30 (2 ** x is a Math.pow call, 2% of HSET's server CPU).
  const bits = 32 - Math.clz32(n - 1);
  return bits <= 30 ? 1 << bits : 2 ** bits;
}

/** Bytes of the strings of a hash (fields and values) or set: exact up to SAMPLE, else sampled. */
function elementStrings(v: Map<string, string> | Set<string>, fresh: boolean): number {
  const size = v.size;
  if (size <= SAMPLE) return sampleSum(v);
  let c = sampled.get(v);
  if (c === undefined) {
    c = { mean: 0, size: 0, age: RESAMPLE_AFTER };
    sampled.set(v, c);
  }
  if (fresh || ++c.age >= RESAMPLE_AFTER || size * 4 > c.size * 5 || size * 5 < c.size * 4) {
    c.mean = sampleSum(v) / SAMPLE;
    c.size = size;
    c.age = 0;
  }
  return Math.round(c.mean * size);
}

/** Bytes of the first SAMPLE elements' strings (all of them when there are fewer). */
function sampleSum(v: Map<string, string> | Set<string>): number {
  let sum = 0;
  let n = 0;
  if (v instanceof Map) {
    // Keys and values walked side by side: no [key, value] pair allocated per entry.
    const vs = v.values();
    for (const f of v.keys()) {
      sum += stringBytes(f.length) + stringBytes((vs.next().value as string).length);
      if (++n === SAMPLE) break;
    }
  } else {
    for (const s of v) {
      sum += stringBytes(s.length);
      if (++n === SAMPLE) break;
    }
  }
  return sum;
}

function extrapolate(sum: number, n: number, size: number): number {
  return n === size || n === 0 ? sum : Math.round((sum / n) * size);
}

const STREAM_OBJ = 400;
const STREAM_NODE = 120;
const STREAM_ENTRY = 72;
/** An id component above 2^53 is a heap BigInt (header + one 64-bit digit) instead of an inline number. */
const STREAM_BIGINT = 24;

/**
 * A stream: nodes, entries (strings sampled from the first SAMPLE entries), groups and PELs. O(SAMPLE
 * + groups): the entry count is Stream.stored, so a write to a long stream never walks its nodes.
 */
function streamBytes(s: Stream): number {
  let b = STREAM_OBJ + STREAM_NODE * s.nodes.length;
  let sum = 0;
  let n = 0;
  for (let ni = 0; ni < s.nodes.length && n < SAMPLE; ni++) {
    const es = s.nodes[ni].entries;
    for (let i = 0; i < es.length && n < SAMPLE; i++, n++) {
      const e = es[i];
      for (const f of e.fields) sum += stringBytes(f.length);
      if (typeof e.ms === 'bigint') sum += STREAM_BIGINT;
      if (typeof e.seq === 'bigint') sum += STREAM_BIGINT;
    }
  }
  b += STREAM_ENTRY * s.stored + extrapolate(sum, n, s.stored);
  for (const g of s.groups.values()) b += 180 + 120 * g.consumers.size + 64 * g.pel.length;
  return b;
}
