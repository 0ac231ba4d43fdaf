// Sorted set: a skip list ordered by (score, member) with spans for O(log n) rank queries, plus a
// member → score Map for O(1) ZSCORE — the same two-structure design as Redis's zset.
//
// Why typed arrays instead of one object per node: a skip-list search is a chain of dependent
// loads, and with a node object + a `next` array + a `span` array + a boxed score per node every
// hop missed the cache four or five times. On a 100k-member set a ZADD that moves a member (delete +
// insert) cost 13-23 µs that way; with the nodes' fields in flat typed arrays it costs 4-5 µs
// (measured with a 300k-update microbenchmark, `bench:cpu` ZADDRAND), and there is no node garbage.
// Layout: a node is a small integer handle (0 = none / the head). `scores[n]`, `members[n]`,
// `meta[3n]` = offset of its links in `links`, `meta[3n+1]` = previous node, `meta[3n+2]` = level;
// `links[off + 2i]` = next node at level i, `links[off + 2i + 1]` = span at level i. Freed handles
// and link blocks are reused (link blocks by level), so the arrays only grow to the peak size.
//
// Members are latin1 strings, compared bytewise (plain JS `<` on one-byte strings is bytewise, which
// matches Redis's memcmp ordering for equal scores and for BYLEX ranges).

const MAX_LEVEL = 32;
const P = 0.25;
const HEAD = 0;

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
  private scores = new Float64Array(4);
  private members: string[] = ['', '', '', ''];
  private meta = new Int32Array(12);
  private links: Int32Array;
  private linksTop = 0;
  /** Free link blocks by level (index = level), created on first use. */
  private freeLinks: (number[] | undefined)[] = [];
  private freeNodes: number[] = [];
  private nextNode = 1;
  private tail: ZNode = 0;
  private level = 1;
  /** Nodes in the skip list (equals dict.size between calls). */
  private length = 0;
  /**
   * V8 bytes of the member strings (16-byte header + chars, 8-aligned, as memsize.stringBytes),
   * kept by add/remove so memory accounting is O(1) per write.
   */
  memberBytes = 0;

  constructor() {
    this.links = new Int32Array(2 * MAX_LEVEL + 8);
    this.meta[0] = this.allocLinks(MAX_LEVEL);
    this.meta[2] = MAX_LEVEL;
    this.scores[0] = -Infinity;
  }

  /** A deep copy in O(n): the arrays are copied as they are (the undo log clones sets a function writes). */
  clone(): SortedSet {
    const z = new SortedSet();
    for (const [m, s] of this.dict) z.dict.set(m, s);
    z.scores = this.scores.slice();
    z.members = this.members.slice();
    z.meta = this.meta.slice();
    z.links = this.links.slice();
    z.linksTop = this.linksTop;
    z.freeLinks = this.freeLinks.map((f) => (f ? f.slice() : f));
    z.freeNodes = this.freeNodes.slice();
    z.nextNode = this.nextNode;
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
    return this.scores.byteLength + 8 * this.members.length + this.meta.byteLength + this.links.byteLength;
  }

  // ---- node accessors --------------------------------------------------------------------------

  memberAt(n: ZNode): string {
    return this.members[n];
  }
  scoreAt(n: ZNode): number {
    return this.scores[n];
  }
  /** The node after n in ascending order, or 0. */
  next(n: ZNode): ZNode {
    return this.links[this.meta[3 * n]];
  }
  /** The node before n, or 0. */
  prev(n: ZNode): ZNode {
    return this.meta[3 * n + 1];
  }

  /** Insert or update. Returns 'added' | 'updated' | 'unchanged'. */
  add(member: string, score: number): 'added' | 'updated' | 'unchanged' {
    const cur = this.dict.get(member);
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
      const s = this.scores[n];
      if (s === 0 && 1 / s < 0) {
        this.scores[n] = 0;
        this.dict.set(this.members[n], 0);
      }
    }
  }

  // ---- storage ---------------------------------------------------------------------------------

  private allocLinks(level: number): number {
    const free = this.freeLinks[level];
    if (free !== undefined && free.length > 0) return free.pop()!;
    const off = this.linksTop;
    const need = off + 2 * level;
    if (need > this.links.length) {
      const grown = new Int32Array(Math.max(need, this.links.length * 2));
      grown.set(this.links);
      this.links = grown;
    }
    this.linksTop = need;
    return off;
  }

  private newNode(member: string, score: number, level: number): ZNode {
    let n = this.freeNodes.pop();
    if (n === undefined) {
      n = this.nextNode++;
      if (n >= this.scores.length) this.growNodes();
    }
    this.members[n] = member;
    this.scores[n] = score;
    this.meta[3 * n] = this.allocLinks(level);
    this.meta[3 * n + 2] = level;
    return n;
  }

  private growNodes(): void {
    const cap = this.scores.length * 2;
    const s = new Float64Array(cap);
    s.set(this.scores);
    this.scores = s;
    const m = new Int32Array(3 * cap);
    m.set(this.meta);
    this.meta = m;
    for (let i = this.members.length; i < cap; i++) this.members.push('');
  }

  private freeNode(n: ZNode): void {
    const level = this.meta[3 * n + 2];
    (this.freeLinks[level] ??= []).push(this.meta[3 * n]);
    this.members[n] = '';
    this.freeNodes.push(n);
  }

  // ---- the skip list ---------------------------------------------------------------------------

  /**
   * Fill UPDATE (and RANK when `ranks`) with the last node before (score, member) on every level;
   * returns the level-0 predecessor.
   */
  private search(member: string, score: number, ranks: boolean): ZNode {
    const links = this.links;
    const meta = this.meta;
    const scores = this.scores;
    const members = this.members;
    let x = HEAD;
    for (let i = this.level - 1; i >= 0; i--) {
      if (ranks) RANK[i] = i === this.level - 1 ? 0 : RANK[i + 1];
      let at = meta[3 * x] + 2 * i;
      let n = links[at];
      while (n !== 0 && (scores[n] < score || (scores[n] === score && members[n] < member))) {
        if (ranks) RANK[i] += links[at + 1];
        x = n;
        at = meta[3 * x] + 2 * i;
        n = links[at];
      }
      UPDATE[i] = x;
    }
    return x;
  }

  /** Put node n (already holding member, score and its level's links) into the list. */
  private link(n: ZNode, member: string, score: number): void {
    this.search(member, score, true);
    const level = this.meta[3 * n + 2];
    const links = this.links;
    if (level > this.level) {
      const headOff = this.meta[0];
      for (let i = this.level; i < level; i++) {
        RANK[i] = 0;
        UPDATE[i] = HEAD;
        links[headOff + 2 * i + 1] = this.length;
      }
      this.level = level;
    }
    const off = this.meta[3 * n];
    const r0 = RANK[0];
    for (let i = 0; i < level; i++) {
      const u = this.meta[3 * UPDATE[i]] + 2 * i;
      links[off + 2 * i] = links[u];
      links[u] = n;
      links[off + 2 * i + 1] = links[u + 1] - (r0 - RANK[i]);
      links[u + 1] = r0 - RANK[i] + 1;
    }
    for (let i = level; i < this.level; i++) links[this.meta[3 * UPDATE[i]] + 2 * i + 1]++;
    this.meta[3 * n + 1] = UPDATE[0];
    const after = links[off];
    if (after !== 0) this.meta[3 * after + 1] = n;
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
    const links = this.links;
    const meta = this.meta;
    const n = links[meta[3 * UPDATE[0]]];
    if (n === 0 || this.scores[n] !== score || this.members[n] !== member) return 0;
    const off = meta[3 * n];
    for (let i = 0; i < this.level; i++) {
      const u = meta[3 * UPDATE[i]] + 2 * i;
      if (links[u] === n) {
        links[u + 1] += links[off + 2 * i + 1] - 1;
        links[u] = links[off + 2 * i];
      } else {
        links[u + 1]--;
      }
    }
    const after = links[off];
    if (after !== 0) meta[3 * after + 1] = meta[3 * n + 1];
    else this.tail = meta[3 * n + 1];
    const headOff = meta[0];
    while (this.level > 1 && links[headOff + 2 * (this.level - 1)] === 0) this.level--;
    this.length--;
    return n;
  }

  /**
   * zslUpdateScore: when the new score keeps the node between its neighbours, change it in place;
   * otherwise move the same node (no free + allocate).
   */
  private updateScore(member: string, cur: number, score: number): void {
    const before = this.search(member, cur, false);
    const n = this.links[this.meta[3 * before]];
    if (n === 0 || this.scores[n] !== cur || this.members[n] !== member) return;
    const after = this.links[this.meta[3 * n]];
    const scores = this.scores;
    const members = this.members;
    if (
      (before === HEAD || scores[before] < score || (scores[before] === score && members[before] < member)) &&
      (after === 0 || scores[after] > score || (scores[after] === score && members[after] > member))
    ) {
      scores[n] = score;
      return;
    }
    this.unlinkFound(member, cur);
    scores[n] = score;
    this.link(n, member, score);
  }

  /** 0-based rank of a member in ascending order, or undefined. */
  rank(member: string): number | undefined {
    const score = this.dict.get(member);
    if (score === undefined) return undefined;
    const links = this.links;
    const meta = this.meta;
    const scores = this.scores;
    const members = this.members;
    let r = 0;
    let x = HEAD;
    for (let i = this.level - 1; i >= 0; i--) {
      let at = meta[3 * x] + 2 * i;
      let n = links[at];
      while (n !== 0 && (scores[n] < score || (scores[n] === score && members[n] <= member))) {
        r += links[at + 1];
        x = n;
        at = meta[3 * x] + 2 * i;
        n = links[at];
      }
      if (x !== HEAD && members[x] === member) return r - 1;
    }
    return undefined;
  }

  /** Node at 0-based ascending rank, or 0. */
  byRank(rank: number): ZNode {
    if (rank < 0 || rank >= this.length) return 0;
    const links = this.links;
    const meta = this.meta;
    let traversed = 0;
    let x = HEAD;
    const target = rank + 1;
    for (let i = this.level - 1; i >= 0; i--) {
      let at = meta[3 * x] + 2 * i;
      while (links[at] !== 0 && traversed + links[at + 1] <= target) {
        traversed += links[at + 1];
        x = links[at];
        at = meta[3 * x] + 2 * i;
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
    const links = this.links;
    const meta = this.meta;
    let x = HEAD;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = links[meta[3 * x] + 2 * i];
      while (n !== 0 && pred(n)) {
        x = n;
        n = links[meta[3 * x] + 2 * i];
      }
    }
    return x;
  }

  /** First node with score inside the range's lower bound, or 0. */
  firstInScoreRange(r: ScoreRange): ZNode {
    const s = this.scores;
    const x = this.lastWhere((n) => (r.minEx ? s[n] <= r.min : s[n] < r.min));
    const n = this.next(x);
    if (n === 0 || !inScoreMax(s[n], r)) return 0;
    return n;
  }

  /** Last node with score inside the range's upper bound, or 0. */
  lastInScoreRange(r: ScoreRange): ZNode {
    const s = this.scores;
    const x = this.lastWhere((n) => (r.maxEx ? s[n] < r.max : s[n] <= r.max));
    if (x === HEAD || !inScoreMin(s[x], r)) return 0;
    return x;
  }

  firstInLexRange(r: LexRange): ZNode {
    const m = this.members;
    const x = this.lastWhere((n) => !lexGteMin(m[n], r));
    const n = this.next(x);
    if (n === 0 || !lexLteMax(m[n], r)) return 0;
    return n;
  }

  lastInLexRange(r: LexRange): ZNode {
    const m = this.members;
    const x = this.lastWhere((n) => lexLteMax(m[n], r));
    if (x === HEAD || !lexGteMin(m[x], r)) return 0;
    return x;
  }

  /** Ascending iteration over all members with their scores (an entry object per member). */
  *[Symbol.iterator](): IterableIterator<ZEntry> {
    for (let n = this.next(HEAD); n !== 0; n = this.next(n)) yield { member: this.members[n], score: this.scores[n] };
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
