// `npm run bench:throughput`: Lodestone vs a real redis-server, side by side in one run.
//
// redis-benchmark (50 clients, random keys over a 100k keyspace) runs SET GET INCR LPUSH HSET ZADD
// at -P 1 and -P 16 against both servers, alternating server per test so drift on a shared machine
// hits both; then memory per key is measured by loading 1M distinct string keys into each (RSS
// delta), and memory per member of one big collection of each type (hash, set, sorted set, list,
// stream; 1M members, BENCH_MEMBERS) on fresh servers. The Markdown table goes to
// bench/results/throughput.md. BENCH_SKIP_RPS=1 runs only the memory part.
//
// Where taskset exists (and there are two cores) the servers are pinned to core 0 and
// redis-benchmark to core 1, as bench:floor does; BENCH_RUNS (default 3) runs of every cell, the
// ratio is that of the means and the spread is the lowest and highest per-run ratio.

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpus } from 'node:os';
import { BenchResult, have, loadCommands, loadKeys, machineLine, pin, redisBenchmarkFull, resp, requireTools, rssBytes, startLodestone, startNodeScript, startRedis, Srv, writeResult } from './common.js';

const TESTS = ['set', 'get', 'incr', 'lpush', 'hset', 'zadd'];
const N = Number(process.env.BENCH_N ?? 200_000);
const CLIENTS = 50;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const PINNED = have('taskset') && cpus().length >= 2;

function benchmark(port: number, test: string, pipeline: number): BenchResult {
  return redisBenchmarkFull(port, test, pipeline > 1 ? N * 4 : N, CLIENTS, pipeline, PINNED ? 1 : undefined);
}

async function memoryPerKey(srv: Srv, count: number): Promise<number> {
  await new Promise((r) => setTimeout(r, 300));
  const before = rssBytes(srv.pid);
  await loadKeys(srv.port, count);
  await new Promise((r) => setTimeout(r, 1000)); // let the GC settle
  const after = rssBytes(srv.pid);
  return (after - before) / count;
}

/** One collection per type: the i-th member's command and its reply lines. */
const COLLECTIONS: { type: string; make: (i: number) => string; lines: number; what: string }[] = [
  { type: 'hash', make: (i) => resp('HSET', 'h', `field:${i}`, 'xxx'), lines: 1, what: 'HSET h field:<i> xxx' },
  { type: 'set', make: (i) => resp('SADD', 's', `member:${i}`), lines: 1, what: 'SADD s member:<i>' },
  { type: 'zset', make: (i) => resp('ZADD', 'z', String(i), `member:${i}`), lines: 1, what: 'ZADD z <i> member:<i>' },
  { type: 'list', make: (i) => resp('RPUSH', 'l', `item:${i}`), lines: 1, what: 'RPUSH l item:<i>' },
  { type: 'stream', make: () => resp('XADD', 'x', '*', 'f', 'xxx'), lines: 2, what: 'XADD x * f xxx' },
];

/** RSS growth per member of one collection of `count` members on a fresh server. */
async function memoryPerMember(srv: Srv, c: (typeof COLLECTIONS)[number], count: number): Promise<number> {
  await new Promise((r) => setTimeout(r, 300));
  const before = rssBytes(srv.pid);
  await loadCommands(srv.port, count, c.make, c.lines);
  await new Promise((r) => setTimeout(r, 1000));
  return (rssBytes(srv.pid) - before) / count;
}

async function main(): Promise<void> {
  requireTools('redis-server', 'redis-benchmark');
  const redis = await startRedis();
  const lode = await startLodestone();
  if (PINNED) for (const srv of [redis, lode]) pin(srv.pid, 0);
  const rows: string[] = [];
  const summary: string[] = [];
  console.log(`machine: ${machineLine()}; ${PINNED ? 'servers on core 0, redis-benchmark on core 1' : 'not pinned'}; ${RUNS} run(s)`);
  // cells[test -P n] = per run, [redis, lodestone]
  const cells = new Map<string, { t: string; pipeline: number; runs: [BenchResult, BenchResult][] }>();
  try {
    for (let run = 0; run < (process.env.BENCH_SKIP_RPS ? 0 : RUNS); run++) {
      for (const pipeline of [1, 16]) {
        for (const t of TESTS) {
          const key = `${t} -P${pipeline}`;
          if (!cells.has(key)) cells.set(key, { t, pipeline, runs: [] });
          const r = benchmark(redis.port, t, pipeline);
          const l = benchmark(lode.port, t, pipeline);
          cells.get(key)!.runs.push([r, l]);
          console.log(`  run ${run + 1} ${t.toUpperCase()} -P ${pipeline}: redis ${r.rps.toFixed(0)} rps p99 ${r.p99} ms, lodestone ${l.rps.toFixed(0)} rps p99 ${l.p99} ms, ratio ${(l.rps / r.rps).toFixed(2)}`);
        }
      }
    }
  } finally {
    await redis.stop();
    await lode.stop();
  }
  const k = (n: number) => `${(n / 1000).toFixed(0)}k`;
  for (const [key, c] of cells) {
    const mean = (i: 0 | 1) => c.runs.reduce((a, x) => a + x[i].rps, 0) / c.runs.length;
    const ratios = c.runs.map(([r, l]) => l.rps / r.rps);
    const ratio = mean(1) / mean(0);
    const spread = `${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}`;
    const p99r = c.runs.map(([r]) => r.p99.toFixed(2)).join(' / ');
    const p99l = c.runs.map(([, l]) => l.p99.toFixed(2)).join(' / ');
    const p99x = c.runs.reduce((a, [r, l]) => a + l.p99 / r.p99, 0) / c.runs.length;
    rows.push(`| ${c.t.toUpperCase()} | ${c.pipeline} | ${c.runs.map(([r]) => k(r.rps)).join(' / ')} | ${c.runs.map(([, l]) => k(l.rps)).join(' / ')} | ${ratio.toFixed(2)} (${spread}) | ${p99r} | ${p99l} | ${p99x.toFixed(1)}x |`);
    summary.push(`result ${key}: redis ${mean(0).toFixed(0)} rps, lodestone ${mean(1).toFixed(0)} rps, ratio ${ratio.toFixed(2)} (runs ${spread}), p99 ${p99x.toFixed(1)}x redis`);
  }
  // Memory per key on fresh servers.
  const KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000);
  process.stdout.write(`  memory: loading ${KEYS} keys into each ... `);
  const r2 = await startRedis();
  const l2 = await startLodestone();
  // The floor: bench/floor-server.ts keeping the same keys in one Map<string, string>, loaded the
  // same way — what any keyspace of V8 strings in a Map costs in RSS on this machine.
  const f2 = await startNodeScript('bare node + Map', join(dirname(fileURLToPath(import.meta.url)), 'floor-server.js'), ['keyspace']);
  let memR = 0;
  let memL = 0;
  let memF = 0;
  try {
    memR = await memoryPerKey(r2, KEYS);
    memL = await memoryPerKey(l2, KEYS);
    memF = await memoryPerKey(f2, KEYS);
  } finally {
    await r2.stop();
    await l2.stop();
    await f2.stop();
  }
  console.log(`redis ${memR.toFixed(0)} B/key, lodestone ${memL.toFixed(0)} B/key, ratio ${(memL / memR).toFixed(2)}; bare node + Map ${memF.toFixed(0)} B/key (${(memF / memR).toFixed(2)}x Redis)`);
  // Memory per member of big collections, each type on fresh servers.
  const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 1_000_000);
  const memRows: string[] = [];
  for (const c of COLLECTIONS) {
    process.stdout.write(`  memory: ${c.type} of ${MEMBERS} members ... `);
    const r3 = await startRedis();
    const l3 = await startLodestone();
    let r = 0;
    let l = 0;
    try {
      r = await memoryPerMember(r3, c, MEMBERS);
      l = await memoryPerMember(l3, c, MEMBERS);
    } finally {
      await r3.stop();
      await l3.stop();
    }
    console.log(`redis ${r.toFixed(0)} B/member, lodestone ${l.toFixed(0)} B/member, ratio ${(l / r).toFixed(2)}`);
    memRows.push(`| ${c.type} | \`${c.what}\` | ${r.toFixed(0)} | ${l.toFixed(0)} | ${(l / r).toFixed(2)} |`);
    summary.push(`result memory ${c.type}: redis ${r.toFixed(0)} B/member, lodestone ${l.toFixed(0)} B/member, ratio ${(l / r).toFixed(2)}`);
  }
  const md = [
    '# Throughput: Lodestone vs Redis',
    '',
    `Generated by \`npm run bench:throughput\` on ${new Date().toISOString().slice(0, 10)}.`,
    `Machine: ${machineLine()}.`,
    `redis-benchmark, ${CLIENTS} clients, -r 100000, ${N} requests (-P 1) / ${N * 4} (-P 16); both servers on this machine in the same run, ${PINNED ? 'pinned to core 0 with redis-benchmark on core 1 (taskset)' : 'not pinned'}; ${RUNS} run(s) per cell, listed in order. Ratio: of the mean req/s, with the lowest and highest per-run ratio; p99 ratio: mean of the per-run Lodestone / Redis p99.`,
    '',
    '| command | pipeline | Redis req/s | Lodestone req/s | Lodestone / Redis | Redis p99 ms | Lodestone p99 ms | p99 ratio |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `Memory, ${KEYS} string keys (\`key:<10 digits>\` → 3-byte value), RSS growth: Redis ${memR.toFixed(0)} B/key, Lodestone ${memL.toFixed(0)} B/key (ratio ${(memL / memR).toFixed(2)}). The floor, bench/floor-server.ts holding the same keys in one Map<string, string> (no TTLs, no access times, no accounting): ${memF.toFixed(0)} B/key (${(memF / memR).toFixed(2)}x Redis).`,
    '',
    `Memory per member, one collection of ${MEMBERS} members per type, RSS growth on fresh servers:`,
    '',
    '| type | loaded with | Redis B/member | Lodestone B/member | Lodestone / Redis |',
    '|---|---|---|---|---|',
    ...memRows,
    '',
  ].join('\n');
  const path = writeResult('throughput.md', md);
  for (const s of summary) console.log(s);
  console.log(`result memory: redis ${memR.toFixed(0)} B/key, lodestone ${memL.toFixed(0)} B/key, ratio ${(memL / memR).toFixed(2)}`);
  console.log(`result memory floor: bare node + Map ${memF.toFixed(0)} B/key, ratio to redis ${(memF / memR).toFixed(2)}`);
  console.log(`wrote ${path}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
