// Sorted set: a skip list ordered by (score, member) with spans for O(log n) rank queries, plus a
// member → score Map for O(1) ZSCORE — the same two-structure design as Redis's zset.
//
// Why one flat typed array instead of one object per node: a skip-list search is a chain of
// dependent loads, and with a node object + a `next` array + a `span` array + a boxed score per node
// every hop missed the cache four or five times (a ZADD that moves a member on a 100k-member set:
// 13-23 µs). Then the fields went into parallel typed arrays (scores, a meta array with the link
// offset, the links), which still cost three misses per hop (meta, links, score): 4-5 µs. Now a
// node is one block of an Int32Array, its handle the block's offset, and its score sits in the same
// block (read through a Float64Array over the same memory), so a hop reads the next handle from the
// current block and the next node's score from its block: one or two cache lines per hop.
// Block layout at offset n (even, so the score is 8-byte aligned), in int32 units:
//   n, n+1: score (f64[n >> 1])   n+2: previous node   n+3: level   n+4: member id   n+5: unused
//   n+6+2i: next node at level i   n+7+2i: span at level i
// The head is the block at offset 0 (so 0 is both the head and "no node"). Members are in a JS
// array by member id. Freed blocks (by level) and member ids are reused, so the arrays only grow to
// the peak size.
//
// Members are latin1 strings, compared bytewise (plain JS `<` on one-byte strings is bytewise, which
// matches Redis's memcmp ordering for equal scores and for BYLEX ranges).

const MAX_LEVEL = 32;
const P = 0.25;
const HEAD = 0;
/** Block fields (int32 offsets from the node's handle), see the top of this file. */
const PREV = 2;
const LEVEL = 3;
const MEMBER = 4;
/** Where the links start: the block header's size. */
const BLOCK = 6;

/** A node handle: an index into the set's arrays; 0 means "no node". Valid until the next write. */
export type ZNode = number;

/** One member with its score, as iteration yields it. */
export interface ZEntry {
  member: string;
  score: number;
}

function randomLevel(): number {
  let l = 1;
  while (l < MAX_LEVEL && Math.random() < P) l++;
  return l;
}

// Search scratch shared by every set: the server is single-threaded and no search re-enters another.
const UPDATE = new Int32Array(MAX_LEVEL);
const RANK = new Float64Array(MAX_LEVEL);

/** A score range bound: value plus exclusivity (`(1.5` in ZRANGEBYSCORE). */
export interface ScoreRange {
  min: number;
  minEx: boolean;
  max: number;
  maxEx: boolean;
}

/** A lex range bound: `[a`, `(a`, `-`, `+`. `null` member with inf = ±1 means unbounded. */
export interface LexRange {
  min: string;
  minEx: boolean;
  minInf: -1 | 0 | 1;
  max: string;
  maxEx: boolean;
  maxInf: -1 | 0 | 1;
}

export class SortedSet {
  readonly dict = new Map<string, number>();
  private nodes: Int32Array;
  private f64: Float64Array;
  private top = 0;
  /** Free blocks by level (index = level), created on first use. */
  private freeBlocks: (number[] | undefined)[] = [];
  private members: string[] = [];
  private freeIds: number[] = [];
  private tail: ZNode = 0;
  private level = 1;
  /** Nodes in the skip list (equals dict.size between calls). */
  private length = 0;
  /**
   * V8 bytes of the member strings (16-byte header + chars, 8-aligned, as memsize.stringBytes),
   * kept by add/remove so memory accounting is O(1) per write.
   */
  memberBytes = 0;
  /**
   * While a function call that may be rolled back has written this set (undo.ts): the inverse of
   * every change, as (member, score before) pairs — NaN for "was absent". The undo log keeps the
   * set itself instead of a copy, so saving a big set costs O(1) and a write O(1) more, and a
   * rollback replays these backwards. null otherwise.
   */
  journal: (string | number)[] | null = null;

  constructor() {
    this.nodes = new Int32Array(BLOCK + 2 * MAX_LEVEL + 64);
    this.f64 = new Float64Array(this.nodes.buffer);
    const h = this.allocBlock(MAX_LEVEL); // 0: the head
    this.nodes[h + LEVEL] = MAX_LEVEL;
    this.f64[h >> 1] = -Infinity;
  }

  /** A deep copy in O(n): the arrays are copied as they are (the undo log clones sets a function writes). */
  clone(): SortedSet {
    const z = new SortedSet();
    for (const [m, s] of this.dict) z.dict.set(m, s);
    z.nodes = this.nodes.slice();
    z.f64 = new Float64Array(z.nodes.buffer);
    z.top = this.top;
    z.freeBlocks = this.freeBlocks.map((f) => (f ? f.slice() : f));
    z.members = this.members.slice();
    z.freeIds = this.freeIds.slice();
    z.tail = this.tail;
    z.level = this.level;
    z.length = this.length;
    z.memberBytes = this.memberBytes;
    return z;
  }

  get size(): number {
    return this.dict.size;
  }

  score(member: string): number | undefined {
    return this.dict.get(member);
  }

  /** Bytes the node arrays hold (memory accounting): grows only when the set reaches a new peak. */
  get arrayBytes(): number {
    return this.nodes.byteLength + 8 * this.members.length;
  }

  // ---- node accessors --------------------------------------------------------------------------

  memberAt(n: ZNode): string {
    return this.members[this.nodes[n + MEMBER]];
  }
  scoreAt(n: ZNode): number {
    return this.f64[n >> 1];
  }
  /** The node after n in ascending order, or 0. */
  next(n: ZNode): ZNode {
    return this.nodes[n + BLOCK];
  }
  /** The node before n, or 0. */
  prev(n: ZNode): ZNode {
    return this.nodes[n + PREV];
  }

  /** Insert or update. Returns 'added' | 'updated' | 'unchanged'. */
  add(member: string, score: number): 'added' | 'updated' | 'unchanged' {
    const cur = this.dict.get(member);
    if (this.journal !== null && cur !== score) this.journal.push(member, cur === undefined ? NaN : cur);
    if (cur !== undefined) {
      if (cur === score) return 'unchanged';
      this.updateScore(member, cur, score);
      this.dict.set(member, score);
      return 'updated';
    }
    this.link(this.newNode(member, score, randomLevel()), member, score);
    this.dict.set(member, score);
    this.memberBytes += (23 + member.length) & ~7;
    return 'added';
  }

  remove(member: string): boolean {
    const cur = this.dict.get(member);
    if (cur === undefined) return false;
    if (this.journal !== null) this.journal.push(member, cur);
    const n = this.unlink(member, cur);
    if (n !== 0) this.freeNode(n);
    this.dict.delete(member);
    this.memberBytes -= (23 + member.length) & ~7;
    return true;
  }

  /**
   * Set -0 scores to 0 in place (the listpack encoding stores no sign of zero). The node keeps its
   * position: -0 and 0 compare equal.
   */
  clearNegativeZeros(): void {
    for (let n = this.next(HEAD); n !== 0; n = this.next(n)) {
      const s = this.f64[n >> 1];
      if (s === 0 && 1 / s < 0) {
        if (this.journal !== null) this.journal.push(this.memberAt(n), -0);
        this.f64[n >> 1] = 0;
        this.dict.set(this.memberAt(n), 0);
      }
    }
  }

  /** Undo the journal's changes (newest first) and stop journaling (undo.ts rollback). */
  rollBackJournal(): void {
    const j = this.journal;
    this.journal = null;
    if (j === null) return;
    for (let i = j.length - 2; i >= 0; i -= 2) {
      const member = j[i] as string;
      const before = j[i + 1] as number;
      this.remove(member);
      if (!Number.isNaN(before)) this.add(member, before);
    }
  }

  // ---- storage ---------------------------------------------------------------------------------

  /** A block for a node of `level` levels (its links zeroed), reused or at the end of the array. */
  private allocBlock(level: number): number {
    const size = BLOCK + 2 * level;
    const free = this.freeBlocks[level];
    let off: number;
    if (free !== undefined && free.length > 0) off = free.pop()!;
    else {
      off = this.top;
      const need = off + size;
      if (need > this.nodes.length) {
        const grown = new Int32Array(Math.max(need, this.nodes.length * 2));
        grown.set(this.nodes);
        this.nodes = grown;
        this.f64 = new Float64Array(grown.buffer);
      }
      this.top = need;
    }
    this.nodes.fill(0, off, off + size);
    return off;
  }

  private newNode(member: string, score: number, level: number): ZNode {
    const n = this.allocBlock(level);
    let id = this.freeIds.pop();
    if (id === undefined) {
      id = this.members.length;
      this.members.push(member);
    } else this.members[id] = member;
    const nodes = this.nodes;
    this.f64[n >> 1] = score;
    nodes[n + LEVEL] = level;
    nodes[n + MEMBER] = id;
    return n;
  }

  private freeNode(n: ZNode): void {
    const nodes = this.nodes;
    const id = nodes[n + MEMBER];
    this.members[id] = '';
    this.freeIds.push(id);
    (this.freeBlocks[nodes[n + LEVEL]] ??= []).push(n);
  }

  // ---- the skip list ---------------------------------------------------------------------------

  /** Whether node n sorts before (score, member): by score, then bytewise by member. */
  private before(n: ZNode, score: number, member: string): boolean {
    const s = this.f64[n >> 1];
    return s < score || (s === score && this.members[this.nodes[n + MEMBER]] < member);
  }

  /**
   * Fill UPDATE (and RANK when `ranks`) with the last node before (score, member) on every level;
   * returns the level-0 predecessor.
   */
  private search(member: string, score: number, ranks: boolean): ZNode {
    const nodes = this.nodes;
    const f64 = this.f64;
    let x = HEAD;
    for (let i = this.level - 1; i >= 0; i--) {
      if (ranks) RANK[i] = i === this.level - 1 ? 0 : RANK[i + 1];
      let at = x + BLOCK + 2 * i;
      let n = nodes[at];
      while (n !== 0) {
        const s = f64[n >> 1];
        if (!(s < score || (s === score && this.members[nodes[n + MEMBER]] < member))) break;
        if (ranks) RANK[i] += nodes[at + 1];
        x = n;
        at = x + BLOCK + 2 * i;
        n = nodes[at];
      }
      UPDATE[i] = x;
    }
    return x;
  }

  /** Put node n (already holding member, score and its level) into the list. */
  private link(n: ZNode, member: string, score: number): void {
    this.search(member, score, true);
    const nodes = this.nodes;
    const level = nodes[n + LEVEL];
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        RANK[i] = 0;
        UPDATE[i] = HEAD;
        nodes[HEAD + BLOCK + 2 * i + 1] = this.length;
      }
      this.level = level;
    }
    const off = n + BLOCK;
    const r0 = RANK[0];
    for (let i = 0; i < level; i++) {
      const u = UPDATE[i] + BLOCK + 2 * i;
      nodes[off + 2 * i] = nodes[u];
      nodes[u] = n;
      nodes[off + 2 * i + 1] = nodes[u + 1] - (r0 - RANK[i]);
      nodes[u + 1] = r0 - RANK[i] + 1;
    }
    for (let i = level; i < this.level; i++) nodes[UPDATE[i] + BLOCK + 2 * i + 1]++;
    nodes[n + PREV] = UPDATE[0];
    const after = nodes[off];
    if (after !== 0) nodes[after + PREV] = n;
    else this.tail = n;
    this.length++;
  }

  /** Take (score, member)'s node out of the list; returns it (its storage kept), or 0 if absent. */
  private unlink(member: string, score: number): ZNode {
    this.search(member, score, false);
    return this.unlinkFound(member, score);
  }

  /** unlink after `search` filled UPDATE. */
  private unlinkFound(member: string, score: number): ZNode {
    const nodes = this.nodes;
    const n = nodes[UPDATE[0] + BLOCK];
    if (n === 0 || this.f64[n >> 1] !== score || this.memberAt(n) !== member) return 0;
    const off = n + BLOCK;
    for (let i = 0; i < this.level; i++) {
      const u = UPDATE[i] + BLOCK + 2 * i;
      if (nodes[u] === n) {
        nodes[u + 1] += nodes[off + 2 * i + 1] - 1;
        nodes[u] = nodes[off + 2 * i];
      } else {
        nodes[u + 1]--;
      }
    }
    const after = nodes[off];
    if (after !== 0) nodes[after + PREV] = nodes[n + PREV];
    else this.tail = nodes[n + PREV];
    while (this.level > 1 && nodes[HEAD + BLOCK + 2 * (this.level - 1)] === 0) this.level--;
    this.length--;
    return n;
  }

  /**
   * zslUpdateScore: when the new score keeps the node between its neighbours, change it in place;
   * otherwise move the same node (no free + allocate).
   */
  private updateScore(member: string, cur: number, score: number): void {
    const before = this.search(member, cur, false);
    const nodes = this.nodes;
    const n = nodes[before + BLOCK];
    if (n === 0 || this.f64[n >> 1] !== cur || this.memberAt(n) !== member) return;
    const after = nodes[n + BLOCK];
    if ((before === HEAD || this.before(before, score, member)) && (after === 0 || !this.before(after, score, member))) {
      // (after sorts after (score, member): members are distinct, so "not before" is "after".)
      this.f64[n >> 1] = score;
      return;
    }
    this.unlinkFound(member, cur);
    this.f64[n >> 1] = score;
    this.link(n, member, score);
  }

  /** 0-based rank of a member in ascending order, or undefined. */
  rank(member: string): number | undefined {
    const score = this.dict.get(member);
    if (score === undefined) return undefined;
    const nodes = this.nodes;
    const f64 = this.f64;
    let r = 0;
    let x = HEAD;
    for (let i = this.level - 1; i >= 0; i--) {
      let at = x + BLOCK + 2 * i;
      let n = nodes[at];
      while (n !== 0 && (f64[n >> 1] < score || (f64[n >> 1] === score && this.memberAt(n) <= member))) {
        r += nodes[at + 1];
        x = n;
        at = x + BLOCK + 2 * i;
        n = nodes[at];
      }
      if (x !== HEAD && this.memberAt(x) === member) return r - 1;
    }
    return undefined;
  }

  /** Node at 0-based ascending rank, or 0. */
  byRank(rank: number): ZNode {
    if (rank < 0 || rank >= this.length) return 0;
    const nodes = this.nodes;
    let traversed = 0;
    let x = HEAD;
    const target = rank + 1;
    for (let i = this.level - 1; i >= 0; i--) {
      let at = x + BLOCK + 2 * i;
      while (nodes[at] !== 0 && traversed + nodes[at + 1] <= target) {
        traversed += nodes[at + 1];
        x = nodes[at];
        at = x + BLOCK + 2 * i;
      }
      if (traversed === target) return x;
    }
    return 0;
  }

  first(): ZNode {
    return this.next(HEAD);
  }

  last(): ZNode {
    return this.tail;
  }

  /** The last node for which `pred` holds, walking the levels top-down (HEAD when none does); `pred` must hold for a prefix of the order. */
  private lastWhere(pred: (n: ZNode) => boolean): ZNode {
    const nodes = this.nodes;
    let x = HEAD;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = nodes[x + BLOCK + 2 * i];
      while (n !== 0 && pred(n)) {
        x = n;
        n = nodes[x + BLOCK + 2 * i];
      }
    }
    return x;
  }

  /** First node with score inside the range's lower bound, or 0. */
  firstInScoreRange(r: ScoreRange): ZNode {
    const s = this.f64;
    const x = this.lastWhere((n) => (r.minEx ? s[n >> 1] <= r.min : s[n >> 1] < r.min));
    const n = this.next(x);
    if (n === 0 || !inScoreMax(s[n >> 1], r)) return 0;
    return n;
  }

  /** Last node with score inside the range's upper bound, or 0. */
  lastInScoreRange(r: ScoreRange): ZNode {
    const s = this.f64;
    const x = this.lastWhere((n) => (r.maxEx ? s[n >> 1] < r.max : s[n >> 1] <= r.max));
    if (x === HEAD || !inScoreMin(s[x >> 1], r)) return 0;
    return x;
  }

  firstInLexRange(r: LexRange): ZNode {
    const x = this.lastWhere((n) => !lexGteMin(this.memberAt(n), r));
    const n = this.next(x);
    if (n === 0 || !lexLteMax(this.memberAt(n), r)) return 0;
    return n;
  }

  lastInLexRange(r: LexRange): ZNode {
    const x = this.lastWhere((n) => lexLteMax(this.memberAt(n), r));
    if (x === HEAD || !lexGteMin(this.memberAt(x), r)) return 0;
    return x;
  }

  /** Ascending iteration over all members with their scores (an entry object per member). */
  *[Symbol.iterator](): IterableIterator<ZEntry> {
    for (let n = this.next(HEAD); n !== 0; n = this.next(n)) yield { member: this.memberAt(n), score: this.f64[n >> 1] };
  }
}

export function inScoreMin(score: number, r: ScoreRange): boolean {
  return r.minEx ? score > r.min : score >= r.min;
}
export function inScoreMax(score: number, r: ScoreRange): boolean {
  return r.maxEx ? score < r.max : score <= r.max;
}
export function lexGteMin(m: string, r: LexRange): boolean {
  if (r.minInf === -1) return true;
  if (r.minInf === 1) return false;
  return r.minEx ? m > r.min : m >= r.min;
}
export function lexLteMax(m: string, r: LexRange): boolean {
  if (r.maxInf === 1) return true;
  if (r.maxInf === -1) return false;
  return r.maxEx ? m < r.max : m <= r.max;
}
