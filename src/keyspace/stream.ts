// The stream data type (XADD, XRANGE, consumer groups …): entries ordered by id, plus the consumer
// groups with their pending-entries lists (PEL).
//
// Layout follows Redis's closely enough that its observable quirks come out the same: entries live
// in nodes (Redis's listpacks in a radix tree) that are append-only; a node is closed once it holds
// stream-node-max-entries entries (live + deleted) or its listpack would pass stream-node-max-bytes;
// XDEL and exact trimming only tombstone an entry inside its node, and a node goes away when its
// last live entry does. Approximate trimming (`MAXLEN ~`) removes whole nodes only, so to give the
// same lengths as Redis the node boundaries must be Redis's: `lpBytes` mirrors the listpack
// encoding size of each element (integers and strings, backlen) — a byte count, not a copy.
// XINFO's radix-tree-nodes is computed from the node keys as the canonical compressed trie.
//
// IDs are two exact unsigned 64-bit integers (ms, seq), compared lexicographically. Each component
// is a U64: a JS number while it is a safe integer (< 2^53, every clock-generated id), a bigint
// above that. The form is canonical (a value has exactly one representation), so `===` is exact
// equality, and `<` / `>` compare number and bigint exactly; the common case never allocates.
// Arithmetic goes through u64Inc / u64Dec / u64Sub. Ranges are a binary search over the nodes, then
// over the node's entries.
// The PELs are arrays sorted by id (deliveries arrive in id order, so inserts are appends).

/** An unsigned 64-bit id component (or a 64-bit counter): a safe-integer number, else a bigint. */
export type U64 = number | bigint;

/** UINT64_MAX: the `+` id component and the top of the id space. */
export const U64MAX = 18446744073709551615n;

const SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);

/** The canonical U64 of a bigint: a number when it is a safe integer. */
export function u64(b: bigint): U64 {
  return b <= SAFE_BIG && b >= -SAFE_BIG ? Number(b) : b;
}

/** v + 1 (the caller knows v < UINT64_MAX). */
export function u64Inc(v: U64): U64 {
  return typeof v === 'number' && v < Number.MAX_SAFE_INTEGER ? v + 1 : u64(BigInt(v) + 1n);
}

/** How Redis replies with a uint64_t counter: addReplyLongLong, i.e. as a signed 64-bit value. */
export function u64Signed(v: U64): U64 {
  return typeof v === 'number' ? v : u64(BigInt.asIntN(64, v));
}

/** v - 1 (the caller knows v > 0). */
export function u64Dec(v: U64): U64 {
  return typeof v === 'number' ? v - 1 : u64(v - 1n);
}

/** a - b as C's 64-bit signed arithmetic does it ((long long)a - b): exact, canonical. */
export function u64Sub(a: U64, b: U64): U64 {
  if (typeof a === 'number' && typeof b === 'number') {
    const d = a - b;
    if (Number.isSafeInteger(d)) return d;
  }
  return u64(BigInt.asIntN(64, BigInt(a) - BigInt(b)));
}

export function cmpID(ams: U64, aseq: U64, bms: U64, bseq: U64): number {
  return ams < bms ? -1 : ams > bms ? 1 : aseq < bseq ? -1 : aseq > bseq ? 1 : 0;
}

export function fmtID(ms: U64, seq: U64): string {
  return `${ms}-${seq}`;
}

export interface StreamEntry {
  ms: U64;
  seq: U64;
  /** field, value, field, value … */
  fields: string[];
  deleted: boolean;
}

/** One listpack: entries in id order, tombstones kept until the whole node goes. */
export class StreamNode {
  entries: StreamEntry[] = [];
  live = 0;
  deleted = 0;
  /** Listpack bytes except the live/deleted counters (their size varies with their value). */
  rest: number;
  constructor(
    readonly masterMs: U64,
    readonly masterSeq: U64,
    readonly masterFields: string[],
  ) {
    // header (6) + terminator (1) + num-master-fields + fields + master terminator (0)
    let b = 7 + lpIntBytes(masterFields.length) + lpIntBytes(0);
    for (const f of masterFields) b += lpStrBytes(f);
    this.rest = b;
  }
  get bytes(): number {
    return this.rest + lpIntBytes(this.live) + lpIntBytes(this.deleted);
  }
}

// ---- listpack sizes (Redis's listpack.c) --------------------------------------------------------

function backlen(l: number): number {
  return l <= 127 ? 1 : l < 16383 ? 2 : l < 2097151 ? 3 : l < 268435455 ? 4 : 5;
}

function lpIntBytes(v: number): number {
  let l: number;
  if (v >= 0 && v <= 127) l = 1;
  else if (v >= -4096 && v <= 4095) l = 2;
  else if (v >= -32768 && v <= 32767) l = 3;
  else if (v >= -8388608 && v <= 8388607) l = 4;
  else if (v >= -2147483648 && v <= 2147483647) l = 5;
  else l = 9;
  return l + backlen(l);
}

const INT_RE = /^(0|-?[1-9][0-9]*)$/;

/** Listpack size of an entry's id delta from its master id (stored as a signed 64-bit integer). */
function lpDeltaBytes(v: U64, master: U64): number {
  if (typeof v === 'number' && typeof master === 'number') return lpIntBytes(v - master);
  return lpIntBytes(Number(BigInt.asIntN(64, BigInt(v) - BigInt(master))));
}

function lpStrBytes(s: string): number {
  if (s.length > 0 && s.length <= 20 && INT_RE.test(s)) {
    const n = Number(s);
    if (Number.isSafeInteger(n) || (s.length < 20 && Math.abs(n) < 9.2e18)) return lpIntBytes(n);
  }
  const len = s.length;
  const l = (len < 64 ? 1 : len < 4096 ? 2 : 5) + len;
  return l + backlen(l);
}

// ---- consumer groups ----------------------------------------------------------------------------

export interface PendingEntry {
  ms: U64;
  seq: U64;
  consumer: Consumer;
  deliveryTime: number;
  /** uint64_t in Redis (RETRYCOUNT takes any long long >= 0, deliveries add one). */
  deliveryCount: U64;
}

export class Consumer {
  pel: PendingEntry[] = [];
  constructor(
    readonly name: string,
    public seenTime: number,
  ) {}
}

/** entries_read unknown (SCG_INVALID_ENTRIES_READ). */
export const INVALID_ENTRIES_READ = -1;

export class ConsumerGroup {
  pel: PendingEntry[] = [];
  consumers = new Map<string, Consumer>();
  constructor(
    public lastMs: U64,
    public lastSeq: U64,
    public entriesRead: U64,
  ) {}

  /** Consumers sorted by name bytes (Redis keeps them in a radix tree). */
  sortedConsumers(): Consumer[] {
    return [...this.consumers.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }
}

/** Index of the first PEL entry >= id. */
export function pelSeek(pel: PendingEntry[], ms: U64, seq: U64): number {
  let lo = 0;
  let hi = pel.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cmpID(pel[mid].ms, pel[mid].seq, ms, seq) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function pelFind(pel: PendingEntry[], ms: U64, seq: U64): number {
  const i = pelSeek(pel, ms, seq);
  return i < pel.length && pel[i].ms === ms && pel[i].seq === seq ? i : -1;
}

export function pelInsert(pel: PendingEntry[], e: PendingEntry): void {
  const n = pel.length;
  if (n === 0 || cmpID(pel[n - 1].ms, pel[n - 1].seq, e.ms, e.seq) < 0) pel.push(e);
  else pel.splice(pelSeek(pel, e.ms, e.seq), 0, e);
}

export function pelRemove(pel: PendingEntry[], ms: U64, seq: U64): void {
  const i = pelFind(pel, ms, seq);
  if (i >= 0) pel.splice(i, 1);
}

// ---- the stream ---------------------------------------------------------------------------------

export class Stream {
  nodes: StreamNode[] = [];
  length = 0;
  /**
   * Entries held in the nodes, deleted ones included (the sum of their entries.length), kept by
   * every method that adds or drops entries so memory accounting (memsize.ts) never walks the nodes.
   * Code that builds nodes itself (RDB loading) adds to it.
   */
  stored = 0;
  lastMs: U64 = 0;
  lastSeq: U64 = 0;
  firstMs: U64 = 0;
  firstSeq: U64 = 0;
  maxDelMs: U64 = 0;
  maxDelSeq: U64 = 0;
  entriesAdded: U64 = 0;
  groups = new Map<string, ConsumerGroup>();
  /**
   * Bumped by the changes that signal blocked readers in Redis (XADD, XGROUP DESTROY: its
   * signalKeyAsReady calls); other in-place changes (XSETID, XGROUP SETID …) wake nobody. Not
   * persisted: a blocked reader compares it with what it saw (src/commands/streams.ts).
   */
  wakeups = 0;

  /** Append an entry whose id is greater than lastId (the caller checked). */
  append(ms: U64, seq: U64, fields: string[], maxBytes: number, maxEntries: number): void {
    let node = this.nodes.length > 0 ? this.nodes[this.nodes.length - 1] : null;
    if (node) {
      let total = 0;
      for (const f of fields) total += f.length;
      if (maxBytes <= 0 || maxBytes > 2 ** 30) maxBytes = 2 ** 30;
      if (node.bytes + total >= maxBytes) node = null;
      else if (maxEntries && node.live + node.deleted >= maxEntries) node = null;
    }
    if (!node) {
      const master: string[] = [];
      for (let i = 0; i < fields.length; i += 2) master.push(fields[i]);
      node = new StreamNode(ms, seq, master);
      this.nodes.push(node);
    }
    const n = fields.length / 2;
    let same = n === node.masterFields.length;
    for (let i = 0; same && i < n; i++) if (fields[2 * i] !== node.masterFields[i]) same = false;
    let b = lpIntBytes(same ? 2 : 0) + lpDeltaBytes(ms, node.masterMs) + lpDeltaBytes(seq, node.masterSeq);
    if (!same) b += lpIntBytes(n);
    for (let i = 0; i < fields.length; i += 2) {
      if (!same) b += lpStrBytes(fields[i]);
      b += lpStrBytes(fields[i + 1]);
    }
    b += lpIntBytes(same ? n + 3 : 2 * n + 4);
    node.rest += b;
    node.entries.push({ ms, seq, fields, deleted: false });
    node.live++;
    this.stored++;
    if (this.length === 0) {
      this.firstMs = ms;
      this.firstSeq = seq;
    }
    this.length++;
    this.entriesAdded = u64Inc(this.entriesAdded);
    this.lastMs = ms;
    this.lastSeq = seq;
  }

  /** Index of the last node whose master id is <= id (0 if none). */
  private nodeFor(ms: U64, seq: U64): number {
    let lo = 0;
    let hi = this.nodes.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      const nd = this.nodes[mid];
      if (cmpID(nd.masterMs, nd.masterSeq, ms, seq) <= 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Live entries with start <= id <= end, ascending or descending, at most count (0 = all). */
  range(sms: U64, sseq: U64, ems: U64, eseq: U64, count: number, rev: boolean): StreamEntry[] {
    const out: StreamEntry[] = [];
    if (this.nodes.length === 0 || cmpID(sms, sseq, ems, eseq) > 0) return out;
    if (!rev) {
      // `+` (UINT64_MAX, a bigint) bounds nothing: skip the mixed number/bigint compare per entry.
      const bounded = !(ems === U64MAX && eseq === U64MAX);
      for (let ni = this.nodeFor(sms, sseq); ni < this.nodes.length; ni++) {
        const es = this.nodes[ni].entries;
        for (let i = entrySeek(es, sms, sseq); i < es.length; i++) {
          const e = es[i];
          if (bounded && cmpID(e.ms, e.seq, ems, eseq) > 0) return out;
          if (e.deleted) continue;
          out.push(e);
          if (count && out.length >= count) return out;
        }
      }
    } else {
      for (let ni = this.nodeFor(ems, eseq); ni >= 0; ni--) {
        const es = this.nodes[ni].entries;
        for (let i = entrySeek(es, ems, eseq, true); i >= 0; i--) {
          const e = es[i];
          if (cmpID(e.ms, e.seq, sms, sseq) < 0) return out;
          if (e.deleted) continue;
          out.push(e);
          if (count && out.length >= count) return out;
        }
      }
    }
    return out;
  }

  /** The live entry with this id, or undefined. */
  get(ms: U64, seq: U64): StreamEntry | undefined {
    if (this.nodes.length === 0) return undefined;
    const es = this.nodes[this.nodeFor(ms, seq)].entries;
    const i = entrySeek(es, ms, seq);
    const e = es[i];
    return e && !e.deleted && e.ms === ms && e.seq === seq ? e : undefined;
  }

  /** XDEL one id: true when a live entry was removed. Updates first id / max deleted id. */
  delete(ms: U64, seq: U64): boolean {
    if (this.nodes.length === 0) return false;
    const ni = this.nodeFor(ms, seq);
    const node = this.nodes[ni];
    const i = entrySeek(node.entries, ms, seq);
    const e = node.entries[i];
    if (!e || e.deleted || e.ms !== ms || e.seq !== seq) return false;
    e.deleted = true;
    node.live--;
    node.deleted++;
    if (node.live === 0) {
      this.nodes.splice(ni, 1);
      this.stored -= node.entries.length;
    }
    this.length--;
    if (cmpID(ms, seq, this.maxDelMs, this.maxDelSeq) > 0) {
      this.maxDelMs = ms;
      this.maxDelSeq = seq;
    }
    return true;
  }

  /** Recompute the recorded first id after a removal (0-0 when empty). */
  updateFirst(): void {
    const f = this.firstEntry();
    this.firstMs = f ? f.ms : 0;
    this.firstSeq = f ? f.seq : 0;
  }

  firstEntry(): StreamEntry | undefined {
    for (const n of this.nodes) for (const e of n.entries) if (!e.deleted) return e;
    return undefined;
  }

  lastEntry(): StreamEntry | undefined {
    for (let ni = this.nodes.length - 1; ni >= 0; ni--) {
      const es = this.nodes[ni].entries;
      for (let i = es.length - 1; i >= 0; i--) if (!es[i].deleted) return es[i];
    }
    return undefined;
  }

  /**
   * Redis's streamTrim: MAXLEN (maxlen >= 0) or MINID; `approx` removes whole nodes only;
   * `limit` (0 = none) caps the entries removed. Returns how many were removed.
   */
  trim(maxlen: number, minMs: U64, minSeq: U64, approx: boolean, limit: number): number {
    const byLen = maxlen >= 0;
    let removed = 0;
    while (this.nodes.length > 0) {
      if (byLen && this.length <= maxlen) break;
      const node = this.nodes[0];
      const entries = node.live;
      if (limit && removed + entries > limit) break;
      let whole: boolean;
      if (byLen) whole = this.length - entries >= maxlen;
      else {
        const last = node.entries[node.entries.length - 1];
        whole = cmpID(last.ms, last.seq, minMs, minSeq) < 0;
      }
      if (whole) {
        this.nodes.shift();
        this.stored -= node.entries.length;
        this.length -= entries;
        removed += entries;
        continue;
      }
      if (approx) break;
      for (const e of node.entries) {
        if (byLen ? this.length <= maxlen : cmpID(e.ms, e.seq, minMs, minSeq) >= 0) break;
        if (!e.deleted) {
          e.deleted = true;
          node.live--;
          node.deleted++;
          this.length--;
          removed++;
        }
      }
      break;
    }
    this.updateFirst();
    return removed;
  }

  /** Keys (master ids) of the nodes, and the node count of the radix tree holding them. */
  raxNodes(): number {
    const keys = this.nodes.map((n) => idKey(n.masterMs, n.masterSeq));
    return trieNodes(keys, 0);
  }

  /** streamRangeHasTombstones: does [start, end] hold a deleted id (as far as Redis can tell)? */
  hasTombstones(sms: U64, sseq: U64): boolean {
    if (this.length === 0 || (this.maxDelMs === 0 && this.maxDelSeq === 0)) return false;
    if (cmpID(this.firstMs, this.firstSeq, this.maxDelMs, this.maxDelSeq) > 0) return false;
    return cmpID(sms, sseq, this.maxDelMs, this.maxDelSeq) <= 0;
  }

  /** streamEstimateDistanceFromFirstEverEntry. */
  estimateDistance(ms: U64, seq: U64): U64 {
    if (!this.entriesAdded) return 0;
    if (!this.length && cmpID(ms, seq, this.lastMs, this.lastSeq) < 1) return this.entriesAdded;
    const cl = cmpID(ms, seq, this.lastMs, this.lastSeq);
    if (cl === 0) return this.entriesAdded;
    if (cl > 0) return INVALID_ENTRIES_READ;
    const cf = cmpID(ms, seq, this.firstMs, this.firstSeq);
    const noDel = this.maxDelMs === 0 && this.maxDelSeq === 0;
    if (noDel || cmpID(this.maxDelMs, this.maxDelSeq, this.firstMs, this.firstSeq) < 0) {
      if (cf < 0) return u64Sub(this.entriesAdded, this.length);
      if (cf === 0) return u64Inc(u64Sub(this.entriesAdded, this.length));
    }
    return INVALID_ENTRIES_READ;
  }

  /** Consumer group lag (streamReplyWithCGLag); null when it cannot be known. */
  lag(g: ConsumerGroup): U64 | null {
    if (!this.entriesAdded) return 0;
    if (g.entriesRead !== INVALID_ENTRIES_READ && !this.hasTombstones(g.lastMs, g.lastSeq)) {
      return u64Sub(this.entriesAdded, g.entriesRead);
    }
    const r = this.estimateDistance(g.lastMs, g.lastSeq);
    return r === INVALID_ENTRIES_READ ? null : u64Sub(this.entriesAdded, r);
  }

  /** Groups sorted by name bytes. */
  sortedGroups(): [string, ConsumerGroup][] {
    return [...this.groups].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }

  /** Deep copy (undo log, COPY). */
  clone(): Stream {
    const s = new Stream();
    for (const n of this.nodes) {
      const c = new StreamNode(n.masterMs, n.masterSeq, n.masterFields);
      c.entries = n.entries.map((e) => ({ ...e }));
      c.live = n.live;
      c.deleted = n.deleted;
      c.rest = n.rest;
      s.nodes.push(c);
    }
    s.length = this.length;
    s.stored = this.stored;
    s.lastMs = this.lastMs;
    s.lastSeq = this.lastSeq;
    s.firstMs = this.firstMs;
    s.firstSeq = this.firstSeq;
    s.maxDelMs = this.maxDelMs;
    s.maxDelSeq = this.maxDelSeq;
    s.entriesAdded = this.entriesAdded;
    for (const [name, g] of this.groups) {
      const cg = new ConsumerGroup(g.lastMs, g.lastSeq, g.entriesRead);
      const byName = new Map<Consumer, Consumer>();
      for (const [cn, c] of g.consumers) {
        const cc = new Consumer(cn, c.seenTime);
        byName.set(c, cc);
        cg.consumers.set(cn, cc);
      }
      for (const p of g.pel) {
        const cp: PendingEntry = { ...p, consumer: byName.get(p.consumer)! };
        cg.pel.push(cp);
        cp.consumer.pel.push(cp);
      }
      s.groups.set(name, cg);
    }
    return s;
  }
}

/** First index with id >= (ms, seq); with `last`, the last index with id <= (ms, seq) (may be -1). */
function entrySeek(es: StreamEntry[], ms: U64, seq: U64, last = false): number {
  let lo = 0;
  let hi = es.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = cmpID(es[mid].ms, es[mid].seq, ms, seq);
    if (last ? c <= 0 : c < 0) lo = mid + 1;
    else hi = mid;
  }
  return last ? lo - 1 : lo;
}

/** The 16-byte big-endian radix-tree key of an id, as a latin1 string. */
function idKey(ms: U64, seq: U64): string {
  let s = '';
  for (const v of [ms, seq]) {
    const big = BigInt(v);
    const hi = Number(big >> 32n);
    const lo = Number(big & 0xffffffffn);
    for (const w of [hi, lo]) s += String.fromCharCode((w >>> 24) & 255, (w >>> 16) & 255, (w >>> 8) & 255, w & 255);
  }
  return s;
}

/** Nodes of the canonical compressed radix tree over sorted, distinct, equal-length keys. */
function trieNodes(keys: string[], depth: number): number {
  if (keys.length === 0) return 1;
  if (depth >= keys[0].length) return 1;
  // longest common prefix from depth
  const a = keys[0];
  const b = keys[keys.length - 1];
  let l = depth;
  while (l < a.length && a[l] === b[l]) l++;
  if (l > depth) return 1 + trieNodes(keys, l);
  let total = 1;
  let start = 0;
  for (let i = 1; i <= keys.length; i++) {
    if (i === keys.length || keys[i][depth] !== keys[start][depth]) {
      total += trieNodes(keys.slice(start, i), depth + 1);
      start = i;
    }
  }
  return total;
}
