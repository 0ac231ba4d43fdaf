// The one place the RDB codec touches Lodestone's stream internals (src/keyspace/stream.ts).
//
// The codec works on a neutral form (RdbStream: ids as exact unsigned 64-bit bigints, nodes with
// their tombstones, groups with PELs and consumers), and these two functions convert between it and
// the Stream class. When the Stream's id representation changes (today a U64 per component: a
// number below 2^53, a bigint above, both exact), only this file changes.

import { Consumer, ConsumerGroup, PendingEntry, Stream, StreamNode, U64, u64 } from '../../keyspace/stream.js';
import { lpBacklenSize } from './listpack.js';


export interface RdbStreamEntry {
  ms: bigint;
  seq: bigint;
  /** field, value, field, value … */
  fields: string[];
  deleted: boolean;
}

export interface RdbStreamNode {
  ms: bigint;
  seq: bigint;
  masterFields: string[];
  entries: RdbStreamEntry[];
  /** Listpack bytes as stored (0 when unknown): node-size accounting for later appends. */
  lpBytes: number;
}

export interface RdbPending {
  ms: bigint;
  seq: bigint;
  deliveryTime: number;
  deliveryCount: bigint;
}

export interface RdbConsumer {
  name: string;
  seenTime: number;
  /** Ids of the group's PEL entries this consumer owns, ascending. */
  pel: { ms: bigint; seq: bigint }[];
}

export interface RdbGroup {
  name: string;
  lastMs: bigint;
  lastSeq: bigint;
  /** -1 = unknown (SCG_INVALID_ENTRIES_READ). */
  entriesRead: bigint;
  pel: RdbPending[];
  consumers: RdbConsumer[];
}

export interface RdbStream {
  nodes: RdbStreamNode[];
  length: bigint;
  lastMs: bigint;
  lastSeq: bigint;
  firstMs: bigint;
  firstSeq: bigint;
  maxDelMs: bigint;
  maxDelSeq: bigint;
  entriesAdded: bigint;
  groups: RdbGroup[];
}

function toBig(n: U64): bigint {
  return BigInt(n);
}

const toNum = u64;

/** Lodestone stream → neutral form (for writing). */
export function streamToRdb(s: Stream): RdbStream {
  const nodes: RdbStreamNode[] = s.nodes.map((n) => ({
    ms: toBig(n.masterMs),
    seq: toBig(n.masterSeq),
    masterFields: n.masterFields,
    entries: n.entries.map((e) => ({ ms: toBig(e.ms), seq: toBig(e.seq), fields: e.fields, deleted: e.deleted })),
    lpBytes: 0,
  }));
  const groups: RdbGroup[] = s.sortedGroups().map(([name, g]) => ({
    name,
    lastMs: toBig(g.lastMs),
    lastSeq: toBig(g.lastSeq),
    entriesRead: BigInt(g.entriesRead),
    pel: g.pel.map((p) => ({ ms: toBig(p.ms), seq: toBig(p.seq), deliveryTime: p.deliveryTime, deliveryCount: toBig(p.deliveryCount) })),
    consumers: g.sortedConsumers().map((c) => ({
      name: c.name,
      seenTime: c.seenTime,
      pel: c.pel.map((p) => ({ ms: toBig(p.ms), seq: toBig(p.seq) })),
    })),
  }));
  return {
    nodes,
    length: BigInt(s.length),
    lastMs: toBig(s.lastMs),
    lastSeq: toBig(s.lastSeq),
    firstMs: toBig(s.firstMs),
    firstSeq: toBig(s.firstSeq),
    maxDelMs: toBig(s.maxDelMs),
    maxDelSeq: toBig(s.maxDelSeq),
    entriesAdded: toBig(s.entriesAdded),
    groups,
  };
}

/** Listpack size of an integer element with its backlen (for StreamNode.bytes). */
function lpIntBytes(v: number): number {
  const l = v >= 0 && v <= 127 ? 1 : v >= -4096 && v <= 4095 ? 2 : v >= -32768 && v <= 32767 ? 3 : v >= -8388608 && v <= 8388607 ? 4 : v >= -2147483648 && v <= 2147483647 ? 5 : 9;
  return l + lpBacklenSize(l);
}

/**
 * Neutral form → Lodestone stream (for loading). The codec has validated the structure (ordering,
 * counts, PEL ownership).
 */
export function streamFromRdb(r: RdbStream): Stream {
  const s = new Stream();
  for (const n of r.nodes) {
    let live = 0;
    let deleted = 0;
    for (const e of n.entries) e.deleted ? deleted++ : live++;
    if (live === 0) continue; // Redis never keeps a node without live entries
    const node = new StreamNode(toNum(n.ms), toNum(n.seq), n.masterFields);
    node.entries = n.entries.map((e) => ({ ms: toNum(e.ms), seq: toNum(e.seq), fields: e.fields, deleted: e.deleted }));
    node.live = live;
    node.deleted = deleted;
    if (n.lpBytes > 0) node.rest = n.lpBytes - lpIntBytes(live) - lpIntBytes(deleted);
    s.nodes.push(node);
    s.stored += node.entries.length;
  }
  s.length = Number(r.length);
  s.lastMs = toNum(r.lastMs);
  s.lastSeq = toNum(r.lastSeq);
  s.firstMs = toNum(r.firstMs);
  s.firstSeq = toNum(r.firstSeq);
  s.maxDelMs = toNum(r.maxDelMs);
  s.maxDelSeq = toNum(r.maxDelSeq);
  s.entriesAdded = toNum(r.entriesAdded);
  for (const g of r.groups) {
    const cg = new ConsumerGroup(toNum(g.lastMs), toNum(g.lastSeq), g.entriesRead < 0n ? -1 : toNum(g.entriesRead));
    const byId = new Map<string, PendingEntry>();
    const owner = new Map<string, Consumer>();
    const consumers: Consumer[] = [];
    for (const c of g.consumers) {
      const cc = new Consumer(c.name, c.seenTime);
      cg.consumers.set(c.name, cc);
      consumers.push(cc);
      for (const id of c.pel) owner.set(`${id.ms}-${id.seq}`, cc);
    }
    for (const p of g.pel) {
      const k = `${p.ms}-${p.seq}`;
      const e: PendingEntry = { ms: toNum(p.ms), seq: toNum(p.seq), consumer: owner.get(k)!, deliveryTime: p.deliveryTime, deliveryCount: toNum(p.deliveryCount) };
      byId.set(k, e);
      cg.pel.push(e);
    }
    for (let i = 0; i < g.consumers.length; i++) {
      for (const id of g.consumers[i].pel) consumers[i].pel.push(byId.get(`${id.ms}-${id.seq}`)!);
    }
    s.groups.set(g.name, cg);
  }
  return s;
}
