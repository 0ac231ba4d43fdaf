// `npm run bench:durability`: what the AOF costs, Lodestone vs a real redis-server with the same
// settings, side by side in one run.
//
// For each mode — AOF off, `appendfsync everysec`, `appendfsync always` — a fresh Redis and a fresh
// Lodestone are started with that setting (each with its own directory on the same disk), and
// redis-benchmark (50 clients, random keys over 100k) runs SET and INCR at -P 1 and -P 16 against
// both, alternating server per test. With `always` both servers fsync once per event-loop turn for
// everything written in it (group commit), so the figure depends on the disk's fsync latency as much
// as on the server. Then the pause a rewrite causes: 1M keys are loaded into each server, a probe
// client sends PINGs one after another while BGREWRITEAOF runs, and the probe's worst and p99
// latency during the rewrite are reported beside the rewrite's duration (Redis forks; Lodestone
// writes in 2 ms slices on the main thread and finishes with one synchronous step). The tables go
// to bench/results/durability.md.

import { spawnSync } from 'node:child_process';
import { infoField, LineClient, loadKeys, machineLine, redisBenchmark, requireTools, startLodestone, startRedis, Srv, writeResult } from './common.js';

const TESTS = ['set', 'incr'];
const N = Number(process.env.BENCH_N ?? 100_000);
const CLIENTS = 50;
const MODES: { name: string; args: string[] }[] = [
  { name: 'AOF off', args: ['--appendonly', 'no'] },
  { name: 'everysec', args: ['--appendonly', 'yes', '--appendfsync', 'everysec'] },
  { name: 'always', args: ['--appendonly', 'yes', '--appendfsync', 'always'] },
];

function benchmark(port: number, test: string, pipeline: number): number {
  return redisBenchmark(port, test, pipeline > 1 ? N * 4 : N, CLIENTS, pipeline);
}

/** fsync latency of this disk, measured with dd (what `always` pays per write batch). */
function fsyncLatencyMs(): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('dd', ['if=/dev/zero', 'of=/tmp/lodestone-fsync-probe', 'bs=512', 'count=200', 'oflag=dsync'], { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  spawnSync('rm', ['-f', '/tmp/lodestone-fsync-probe']);
  return r.status === 0 ? ms / 200 : NaN;
}

interface Pause {
  keys: number;
  rewriteMs: number;
  pings: number;
  p50: number;
  p99: number;
  max: number;
}

/** Load `keys` keys, then PING back to back while one BGREWRITEAOF runs. */
async function rewritePause(srv: Srv, keys: number): Promise<Pause> {
  await loadKeys(srv.port, keys);
  await new Promise((r) => setTimeout(r, 500));
  const admin = await LineClient.connect(srv.port);
  const probe = await LineClient.connect(srv.port);
  const before = infoField(await admin.send('INFO persistence'), 'aof_rewrites');
  const lat: number[] = [];
  let done = false;
  const probing = (async () => {
    while (!done) {
      const t = process.hrtime.bigint();
      await probe.send('PING');
      lat.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  })();
  const t0 = Date.now();
  await admin.send('BGREWRITEAOF');
  for (;;) {
    await new Promise((r) => setTimeout(r, 10));
    const info = await admin.send('INFO persistence');
    if (infoField(info, 'aof_rewrites') > before && infoField(info, 'aof_rewrite_in_progress') === 0) break;
  }
  const rewriteMs = Date.now() - t0;
  done = true;
  await probing;
  admin.close();
  probe.close();
  lat.sort((a, b) => a - b);
  const q = (f: number) => lat[Math.min(lat.length - 1, Math.floor(lat.length * f))];
  return { keys, rewriteMs, pings: lat.length, p50: q(0.5), p99: q(0.99), max: lat[lat.length - 1] };
}

async function main(): Promise<void> {
  requireTools('redis-server', 'redis-benchmark');
  const fsyncMs = fsyncLatencyMs();
  console.log(`machine: ${machineLine()}; one synchronous 512-byte write: ${fsyncMs.toFixed(2)} ms`);
  const rows: string[] = [];
  const summary: string[] = [];
  for (const mode of MODES) {
    const redis = await startRedis(mode.args);
    const lode = await startLodestone(mode.args);
    try {
      for (const pipeline of [1, 16]) {
        for (const t of TESTS) {
          process.stdout.write(`  ${mode.name} ${t.toUpperCase()} -P ${pipeline} ... `);
          const r = benchmark(redis.port, t, pipeline);
          const l = benchmark(lode.port, t, pipeline);
          const ratio = l / r;
          console.log(`redis ${r.toFixed(0)} rps, lodestone ${l.toFixed(0)} rps, ratio ${ratio.toFixed(2)}`);
          rows.push(`| ${mode.name} | ${t.toUpperCase()} | ${pipeline} | ${r.toFixed(0)} | ${l.toFixed(0)} | ${ratio.toFixed(2)} |`);
          summary.push(`result ${mode.name} ${t} -P${pipeline}: redis ${r.toFixed(0)} rps, lodestone ${l.toFixed(0)} rps, ratio ${ratio.toFixed(2)}`);
        }
      }
    } finally {
      await redis.stop();
      await lode.stop();
    }
  }
  const KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000);
  const pauseRows: string[] = [];
  for (const name of ['redis', 'lodestone'] as const) {
    const args = ['--appendonly', 'yes', '--appendfsync', 'everysec'];
    const srv = name === 'redis' ? await startRedis(args) : await startLodestone(args);
    try {
      process.stdout.write(`  BGREWRITEAOF pause, ${name}, ${KEYS} keys ... `);
      const p = await rewritePause(srv, KEYS);
      console.log(`rewrite ${p.rewriteMs} ms, ${p.pings} pings, p50 ${p.p50.toFixed(2)} ms, p99 ${p.p99.toFixed(2)} ms, max ${p.max.toFixed(2)} ms`);
      pauseRows.push(`| ${name === 'redis' ? 'Redis (fork)' : 'Lodestone (time slices)'} | ${p.keys} | ${p.rewriteMs} | ${p.pings} | ${p.p50.toFixed(2)} | ${p.p99.toFixed(2)} | ${p.max.toFixed(2)} |`);
      summary.push(`result rewrite-pause ${name}: ${p.rewriteMs} ms rewrite, ping p99 ${p.p99.toFixed(2)} ms, max ${p.max.toFixed(2)} ms`);
    } finally {
      await srv.stop();
    }
  }
  const md = [
    '# Durability cost: Lodestone vs Redis with the same AOF settings',
    '',
    `Generated by \`npm run bench:durability\` on ${new Date().toISOString().slice(0, 10)}.`,
    `Machine: ${machineLine()}. One synchronous 512-byte write (dd oflag=dsync) took ${fsyncMs.toFixed(2)} ms on this disk.`,
    `redis-benchmark, ${CLIENTS} clients, -r 100000, ${N} requests (-P 1) / ${N * 4} (-P 16); for each mode a fresh Redis and a fresh Lodestone, both on this machine in the same run.`,
    '',
    '| AOF | command | pipeline | Redis req/s | Lodestone req/s | Lodestone / Redis |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    'Both servers write the AOF once per event-loop turn before replying; with `always` they also fsync',
    'once per turn, for every client that wrote in it (group commit).',
    '',
    '## The pause a rewrite causes',
    '',
    `${KEYS} string keys loaded, then one client sends PING after PING (one in flight) while BGREWRITEAOF runs; latency of those pings, from the BGREWRITEAOF to the end of the rewrite.`,
    '',
    '| server | keys | rewrite ms | pings during it | p50 ms | p99 ms | max ms |',
    '|---|---|---|---|---|---|---|',
    ...pauseRows,
    '',
  ].join('\n');
  const path = writeResult('durability.md', md);
  for (const s of summary) console.log(s);
  console.log(`wrote ${path}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
