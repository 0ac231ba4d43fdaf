// How honest is the memory estimate (src/keyspace/memsize.ts)? Fill a Database with typical shapes
// and compare its usedBytes with what the V8 heap actually grew by after a full GC. Not a test and
// not a throughput benchmark: a few seconds of work, figures go into memsize.ts's header.
//
//   npm run build && node --expose-gc dist/bench/memory.js [1000000]

import { Database, RedisValue } from '../src/keyspace/db.js';
import { Deque } from '../src/keyspace/deque.js';
import { SortedSet } from '../src/keyspace/zset.js';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  console.error('run with node --expose-gc');
  process.exit(1);
}

function heap(): number {
  gc!();
  gc!();
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

/** A flat one-byte string, as the RESP parser produces (concatenation would make cons strings). */
function flat(s: string): string {
  return Buffer.from(s, 'latin1').toString('latin1');
}

const hooks = { keyModified: () => {}, keyExpired: () => {}, notifyFlags: 0, keyEvent: () => {}, keyMiss: () => {} };
const clock = { now: () => Date.now() };
const pad = (i: number, n = 7) => String(i).padStart(n, '0');

interface Shape {
  name: string;
  fill(db: Database): void;
}

function shapes(big: number): Shape[] {
  const str = (n: number, vlen: number, ttlEvery = 0): Shape => ({
    name: `${n / 1000}k string keys, 11-byte keys, ${vlen}-byte values${ttlEvery ? `, 1/${ttlEvery} with a TTL` : ''}`,
    fill: (db) => {
      const base = 'v'.repeat(vlen);
      for (let i = 0; i < n; i++) {
        const k = flat(`key:${pad(i)}`);
        db.set(k, flat(base.slice(0, vlen - 3) + pad(i % 1000, 3)));
        if (ttlEvery && i % ttlEvery === 0) db.setExpire(k, Date.now() + 3_600_000 + i);
      }
    },
  });
  const coll = (kind: string, n: number, per: number, make: () => RedisValue, add: (v: RedisValue, i: number) => void): Shape => ({
    name: `${n >= 1000 ? `${n / 1000}k` : n} ${kind} × ${per} elements (${per > 99_999 ? '14' : '6'}-byte strings)`,
    fill: (db) => {
      for (let i = 0; i < n; i++) {
        const k = flat(`key:${pad(i)}`);
        const v = make();
        db.set(k, v);
        // Grow in place like HSET/SADD/RPUSH/ZADD do, re-estimating after each write (keyModified).
        for (let j = 0; j < per; j++) {
          add(v, i * per + j);
          db.refresh(k);
        }
      }
    },
  });
  const e = (i: number) => flat(`e${pad(i, 5)}`.slice(-6));
  return [
    str(100_000, 3),
    str(big, 3),
    str(100_000, 100, 2),
    coll('hashes', 10_000, 20, () => new Map(), (v, i) => (v as Map<string, string>).set(flat(`f${pad(i % 20, 5)}`), e(i))),
    coll('hashes', 100, 1000, () => new Map(), (v, i) => (v as Map<string, string>).set(flat(`f${pad(i % 1000, 5)}`), e(i))),
    coll('sets', 10_000, 20, () => new Set(), (v, i) => (v as Set<string>).add(e(i))),
    coll('lists', 10_000, 20, () => new Deque<string>(), (v, i) => (v as Deque<string>).push(e(i))),
    coll('sorted sets', 10_000, 20, () => new SortedSet(), (v, i) => void (v as SortedSet).add(e(i), i * 1.5)),
    coll('sorted sets', 1, 200_000, () => new SortedSet(), (v, i) => void (v as SortedSet).add(flat(`member:${pad(i)}`), i * 1.5)),
  ];
}

const big = Number(process.argv[2] ?? 1_000_000);
const mb = (n: number) => (n / 1e6).toFixed(1).padStart(7) + ' MB';
console.log('shape'.padEnd(62), 'estimate', '    heap growth', ' ratio');
for (const s of shapes(big)) {
  const db = new Database(0, clock, hooks);
  const before = heap();
  s.fill(db);
  const grown = heap() - before;
  console.log(s.name.padEnd(62), mb(db.usedBytes), mb(grown), (db.usedBytes / grown).toFixed(2).padStart(6));
  db.clear();
}
