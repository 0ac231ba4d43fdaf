// Sorted set: a skip list ordered by (score, member) with spans for O(log n) rank queries, plus a
// member → score Map for O(1) ZSCORE — the same two-structure design as Redis's zset.
//
// Members are latin1 strings, compared bytewise (plain JS `<` on one-byte strings is bytewise, which
// matches Redis's memcmp ordering for equal scores and for BYLEX ranges).

const MAX_LEVEL = 32;
const P = 0.25;

export class ZNode {
  readonly next: (ZNode | null)[];
  readonly span: number[];
  prev: ZNode | null = null;
  constructor(
    public member: string,
    public score: number,
    level: number,
  ) {
    this.next = new Array(level).fill(null);
    this.span = new Array(level).fill(0);
  }
}

function less(aScore: number, aMember: string, b: ZNode): boolean {
  return aScore < b.score || (aScore === b.score && aMember < b.member);
}

function randomLevel(): number {
  let l = 1;
  while (l < MAX_LEVEL && Math.random() < P) l++;
  return l;
}

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
  private readonly head = new ZNode('', -Infinity, MAX_LEVEL);
  private tail: ZNode | null = null;
  private level = 1;
  /** Nodes in the skip list. Not `dict.size`: during a score update the member is still in the
   *  dict while its node is out of the list, and the spans must use the list's own length. */
  private length = 0;
  /**
   * V8 bytes of the member strings (16-byte header + chars, 8-aligned, as memsize.stringBytes),
   * kept by add/remove so memory accounting is O(1) per write.
   */
  memberBytes = 0;

  /**
   * A deep copy in O(n): nodes are appended in order, each keeping its source level, so no search
   * and no random levels are needed (the undo log clones sorted sets a function writes to).
   */
  clone(): SortedSet {
    const z = new SortedSet();
    const last: ZNode[] = new Array(MAX_LEVEL).fill(z.head);
    const lastRank: number[] = new Array(MAX_LEVEL).fill(0);
    let rank = 0;
    let prev: ZNode | null = null;
    for (let n = this.head.next[0]; n; n = n.next[0]) {
      rank++;
      const level = n.next.length;
      const node = new ZNode(n.member, n.score, level);
      for (let i = 0; i < level; i++) {
        last[i].next[i] = node;
        last[i].span[i] = rank - lastRank[i];
        last[i] = node;
        lastRank[i] = rank;
      }
      node.prev = prev;
      prev = node;
      z.dict.set(n.member, n.score);
    }
    // Spans of the last node on each level count to the end of the list, as after insertNode.
    for (let i = 0; i < this.level; i++) last[i].span[i] = rank - lastRank[i];
    z.level = this.level;
    z.tail = prev;
    z.length = rank;
    z.memberBytes = this.memberBytes;
    return z;
  }

  get size(): number {
    return this.dict.size;
  }

  score(member: string): number | undefined {
    return this.dict.get(member);
  }

  /** Insert or update. Returns 'added' | 'updated' | 'unchanged'. */
  add(member: string, score: number): 'added' | 'updated' | 'unchanged' {
    const cur = this.dict.get(member);
    if (cur !== undefined) {
      if (cur === score) return 'unchanged';
      this.deleteNode(member, cur);
      this.insertNode(member, score);
      this.dict.set(member, score);
      return 'updated';
    }
    this.insertNode(member, score);
    this.dict.set(member, score);
    this.memberBytes += (23 + member.length) & ~7;
    return 'added';
  }

  remove(member: string): boolean {
    const cur = this.dict.get(member);
    if (cur === undefined) return false;
    this.deleteNode(member, cur);
    this.dict.delete(member);
    this.memberBytes -= (23 + member.length) & ~7;
    return true;
  }

  private insertNode(member: string, score: number): void {
    const update: ZNode[] = new Array(MAX_LEVEL);
    const rank: number[] = new Array(MAX_LEVEL);
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      rank[i] = i === this.level - 1 ? 0 : rank[i + 1];
      let n = x.next[i];
      while (n && (n.score < score || (n.score === score && n.member < member))) {
        rank[i] += x.span[i];
        x = n;
        n = x.next[i];
      }
      update[i] = x;
    }
    const level = randomLevel();
    if (level > this.level) {
      for (let i = this.level; i < level; i++) {
        rank[i] = 0;
        update[i] = this.head;
        update[i].span[i] = this.length;
      }
      this.level = level;
    }
    const node = new ZNode(member, score, level);
    for (let i = 0; i < level; i++) {
      node.next[i] = update[i].next[i];
      update[i].next[i] = node;
      node.span[i] = update[i].span[i] - (rank[0] - rank[i]);
      update[i].span[i] = rank[0] - rank[i] + 1;
    }
    for (let i = level; i < this.level; i++) update[i].span[i]++;
    node.prev = update[0] === this.head ? null : update[0];
    if (node.next[0]) node.next[0].prev = node;
    else this.tail = node;
    this.length++;
  }

  private deleteNode(member: string, score: number): void {
    const update: ZNode[] = new Array(MAX_LEVEL);
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n && (n.score < score || (n.score === score && n.member < member))) {
        x = n;
        n = x.next[i];
      }
      update[i] = x;
    }
    const node = x.next[0];
    if (!node || node.score !== score || node.member !== member) return;
    for (let i = 0; i < this.level; i++) {
      if (update[i].next[i] === node) {
        update[i].span[i] += node.span[i] - 1;
        update[i].next[i] = node.next[i];
      } else {
        update[i].span[i]--;
      }
    }
    if (node.next[0]) node.next[0].prev = node.prev;
    else this.tail = node.prev;
    while (this.level > 1 && this.head.next[this.level - 1] === null) this.level--;
    this.length--;
  }

  /** 0-based rank of a member in ascending order, or undefined. */
  rank(member: string): number | undefined {
    const score = this.dict.get(member);
    if (score === undefined) return undefined;
    let r = 0;
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n && (n.score < score || (n.score === score && n.member <= member))) {
        r += x.span[i];
        x = n;
        n = x.next[i];
      }
      if (x !== this.head && x.member === member) return r - 1;
    }
    return undefined;
  }

  /** Node at 0-based ascending rank, or null. */
  byRank(rank: number): ZNode | null {
    if (rank < 0 || rank >= this.dict.size) return null;
    let traversed = 0;
    let x = this.head;
    const target = rank + 1;
    for (let i = this.level - 1; i >= 0; i--) {
      while (x.next[i] && traversed + x.span[i] <= target) {
        traversed += x.span[i];
        x = x.next[i] as ZNode;
      }
      if (traversed === target) return x;
    }
    return null;
  }

  first(): ZNode | null {
    return this.head.next[0];
  }

  last(): ZNode | null {
    return this.tail;
  }

  /** First node with score inside the range's lower bound, or null. */
  firstInScoreRange(r: ScoreRange): ZNode | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n && (r.minEx ? n.score <= r.min : n.score < r.min)) {
        x = n;
        n = x.next[i];
      }
    }
    const n = x.next[0];
    if (!n || !inScoreMax(n.score, r)) return null;
    return n;
  }

  /** Last node with score inside the range's upper bound, or null. */
  lastInScoreRange(r: ScoreRange): ZNode | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n && (r.maxEx ? n.score < r.max : n.score <= r.max)) {
        x = n;
        n = x.next[i];
      }
    }
    if (x === this.head || !inScoreMin(x.score, r)) return null;
    return x;
  }

  firstInLexRange(r: LexRange): ZNode | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n && !lexGteMin(n.member, r)) {
        x = n;
        n = x.next[i];
      }
    }
    const n = x.next[0];
    if (!n || !lexLteMax(n.member, r)) return null;
    return n;
  }

  lastInLexRange(r: LexRange): ZNode | null {
    let x = this.head;
    for (let i = this.level - 1; i >= 0; i--) {
      let n = x.next[i];
      while (n && lexLteMax(n.member, r)) {
        x = n;
        n = x.next[i];
      }
    }
    if (x === this.head || !lexGteMin(x.member, r)) return null;
    return x;
  }

  /** Ascending iteration over all nodes. */
  *[Symbol.iterator](): IterableIterator<ZNode> {
    for (let n = this.head.next[0]; n; n = n.next[0]) yield n;
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
// Keep `less` exported for tests of ordering.
export { less as zless };
