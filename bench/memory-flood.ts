// `npm run bench:memory-flood`: does maxmemory bound what the process really uses under a write
// flood? Redis and Lodestone (the built CLI) in turn, each pinned to CPU 0, get the same
// redis-benchmark load pinned to CPU 1: 50 clients pipelining SETs of random 1 KB values over 10M
// random keys (-d 1024 -r 10000000 -P 16), with maxmemory 100mb and allkeys-lru. RSS is sampled
// from /proc/<pid>/status VmRSS every 50 ms; the table (peak RSS, RSS after the flood, used_memory,
// peak / maxmemory) goes to bench/results/memory-flood.md.
//
//   npm run bench:memory-flood                   # defaults: 2,000,000 requests
//   BENCH_N=500000 node dist/bench/memory-flood.js
//   BENCH_ONLY=lodestone node dist/bench/memory-flood.js   # skip Redis (while tuning)
//
// The servers run one after the other, not side by side, so each gets CPU 0 to itself.

import { spawn, spawnSync } from 'node:child_process';
import net from 'node:net';
import { machineLine, requireTools, rssBytes, startLodestone, startRedis, Srv, writeResult } from './common.js';

const MAXMEMORY = 100 * 1024 * 1024;
const N = Number(process.env.BENCH_N ?? 2_000_000);
const CLIENTS = 50;
const PIPELINE = 16;
const VALUE = 1024;

/** Pin every thread of a process (V8 and libuv threads too) to one CPU. */
function pin(pid: number, cpu: number): void {
  const r = spawnSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) console.error(`taskset failed (${r.stderr.trim()}); running unpinned`);
}

/** One command over a fresh connection; the raw reply text. */
function command(port: number, ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let out = '';
    s.setEncoding('latin1');
    s.on('data', (d: string) => {
      out += d;
      const m = /^\$(\d+)\r\n/.exec(out);
      if ((m && out.length >= m[0].length + Number(m[1]) + 2) || (!m && out.endsWith('\r\n') && out[0] !== '$')) {
        s.destroy();
        resolve(out);
      }
    });
    s.on('error', reject);
    s.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  });
}

async function info(port: number, field: string): Promise<number> {
  const text = await command(port, 'INFO', 'memory');
  const m = new RegExp(`^${field}:(\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

interface Run {
  name: string;
  baseline: number;
  peak: number;
  end: number;
  settled: number;
  usedMemory: number;
  evicted: number;
  seconds: number;
  rps: number;
  /** RSS once a second during the flood. */
  timeline: number[];
}

async function flood(srv: Srv): Promise<Run> {
  pin(srv.pid, 0);
  await command(srv.port, 'CONFIG', 'SET', 'maxmemory', String(MAXMEMORY));
  await command(srv.port, 'CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
  await new Promise((r) => setTimeout(r, 500));
  const baseline = rssBytes(srv.pid);
  let peak = baseline;
  const timeline: number[] = [];
  let ticks = 0;
  const timer = setInterval(() => {
    try {
      const rss = rssBytes(srv.pid);
      peak = Math.max(peak, rss);
      if (++ticks % 20 === 0) timeline.push(rss);
    } catch {
      /* exited */
    }
  }, 50);
  const t0 = Date.now();
  const args = ['-c', '1', 'redis-benchmark', '-p', String(srv.port), '-t', 'set', '-n', String(N), '-c', String(CLIENTS), '-P', String(PIPELINE), '-r', '10000000', '-d', String(VALUE), '-q'];
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn('taskset', args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let o = '';
    p.stdout.on('data', (d) => (o += d));
    p.on('exit', (code) => (code === 0 ? resolve(o) : reject(new Error(`redis-benchmark exited ${code}`))));
  });
  const seconds = (Date.now() - t0) / 1000;
  const end = rssBytes(srv.pid);
  peak = Math.max(peak, end);
  await new Promise((r) => setTimeout(r, 2000));
  clearInterval(timer);
  const settled = rssBytes(srv.pid);
  const usedMemory = await info(srv.port, 'used_memory');
  const stats = await command(srv.port, 'INFO', 'stats');
  const evicted = Number(/^evicted_keys:(\d+)/m.exec(stats)?.[1] ?? NaN);
  const rps = Number(/([\d.]+) requests per second/.exec(out.split('\r').pop() ?? out)?.[1] ?? NaN);
  return { name: srv.name, baseline, peak, end, settled, usedMemory, evicted, seconds, rps, timeline };
}

const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;

async function main(): Promise<void> {
  requireTools('redis-server', 'redis-benchmark', 'taskset');
  const only = process.env.BENCH_ONLY ?? '';
  const runs: Run[] = [];
  console.log(`machine: ${machineLine()}`);
  for (const which of ['redis', 'lodestone']) {
    if (only && only !== which) continue;
    const srv = which === 'redis' ? await startRedis() : await startLodestone();
    try {
      const r = await flood(srv);
      runs.push(r);
      console.log(`${r.name}: RSS each second (MB): ${r.timeline.map((x) => (x / 1048576).toFixed(0)).join(' ')}`);
      console.log(`${r.name}: peak RSS ${mb(r.peak)} (${(r.peak / MAXMEMORY).toFixed(2)}x maxmemory), end ${mb(r.end)}, settled ${mb(r.settled)}, used_memory ${mb(r.usedMemory)}, ${r.rps} req/s`);
    } finally {
      await srv.stop();
    }
  }
  if (only) return;
  const nproc = spawnSync('nproc', { encoding: 'utf8' }).stdout.trim();
  const rows = runs.map(
    (r) =>
      `| ${r.name} | ${mb(r.baseline)} | ${mb(r.peak)} | ${(r.peak / MAXMEMORY).toFixed(2)} | ${mb(r.end)} | ${mb(r.settled)} | ${mb(r.usedMemory)} | ${r.evicted} | ${r.rps} |`,
  );
  const [redis, lode] = runs;
  const md = `# maxmemory under a write flood: RSS of Lodestone vs Redis

Generated by \`npm run bench:memory-flood\` on ${new Date().toISOString().slice(0, 10)}.
Machine: ${machineLine()} (nproc ${nproc}).
maxmemory ${mb(MAXMEMORY)}, allkeys-lru. Load: \`redis-benchmark -t set -n ${N} -c ${CLIENTS} -P ${PIPELINE} -r 10000000 -d ${VALUE}\`
pinned to CPU 1 (\`taskset -c 1\`), each server pinned to CPU 0, one server at a time. RSS is
VmRSS of the server process, sampled every 50 ms; "settled" is 2 s after the load ended.

| server | RSS before | peak RSS | peak / maxmemory | RSS at end | RSS settled | used_memory | evicted_keys | SET req/s |
|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

Peak RSS over maxmemory: Redis ${pct(redis.peak)}, Lodestone ${pct(lode.peak)}; Lodestone's growth over its own
startup RSS: ${(((lode.peak - lode.baseline) * 100) / MAXMEMORY - 100).toFixed(0)}% over maxmemory.

RSS once a second during the flood (MB):
${runs.map((r) => `- ${r.name}: ${r.timeline.map((x) => (x / 1048576).toFixed(0)).join(' ')}`).join('\n')}
`;
  console.log(`wrote ${writeResult('memory-flood.md', md)}`);
}

const pct = (peak: number) => `${(((peak - MAXMEMORY) * 100) / MAXMEMORY).toFixed(0)}%`;

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
