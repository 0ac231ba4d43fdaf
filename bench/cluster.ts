// `npm run bench:cluster`: does running one Lodestone process per core as a Redis Cluster use more
// of the machine than one process? redis-benchmark (`--cluster` for clusters; -t set,get; -P 1 and
// -P 16; -c 50; random keys over 100k) runs against
//   - a 3-master Lodestone cluster started by `lodestone cluster start` (the launcher, which pins
//     the nodes round-robin to cores with taskset),
//   - one Lodestone process (cluster mode off), pinned to one core,
//   - a 3-master redis-server cluster of the same shape and pinning, made by
//     `redis-cli --cluster create --cluster-yes`, and one redis-server, for reference.
// Besides the total req/s it records, for every server process, the commands it ran
// (total_commands_processed) and the CPU time it used (/proc/<pid>/stat), so the table shows the
// per-node throughput and the CPU cost per operation; the last is what carries over to a quiet or
// larger machine (ops per core-second), where the req/s of a shared 2-core machine do not.
// Writes bench/results/cluster.md. BENCH_N (requests at -P 1, ×4 at -P 16), BENCH_ROUNDS (median of, 3).

import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminClient } from '../src/cli/admin-client.js';
import { infoValue, waitReady } from '../src/cli/cluster-create.js';
import { freePortRange } from '../src/cli/ports.js';
import { have, machineLine, requireTools, ROOT, writeResult } from './common.js';

const N = Number(process.env.BENCH_N ?? 200_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const WARMUP = 200_000;
const IDLE_S = 10;
const CLIENTS = 50;
const MASTERS = 3;
const TESTS = ['set', 'get'];
const PIPELINES = [1, 16];
const HOST = '127.0.0.1';
const CORES = cpus().length;
const TASKSET = have('taskset');
const TIME = have('/usr/bin/time');
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

interface Target {
  name: string;
  cluster: boolean;
  /** Every server process: its port and pid. */
  nodes: { port: number; pid: number; core: number | null }[];
  stop(): Promise<void>;
}

/** user + system CPU seconds of a process so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime, stime (fields 14 and 15)
}

async function infoOf(port: number, section: string): Promise<string> {
  const c = await AdminClient.connect({ host: HOST, port });
  try {
    return await c.text('INFO', section);
  } finally {
    c.close();
  }
}

const pinned = (core: number | null, cmd: string, args: string[]): [string, string[]] => (core === null ? [cmd, args] : ['taskset', ['-c', String(core), cmd, ...args]]);

function exited(p: ChildProcess): Promise<void> {
  return p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', () => r()));
}

async function waitPort(port: number, p: ChildProcess): Promise<void> {
  for (let i = 0; ; i++) {
    if (p.exitCode !== null) throw new Error(`server on ${port} exited (${p.exitCode})`);
    try {
      (await AdminClient.connect({ host: HOST, port }, '', 1000)).close();
      return;
    } catch (e) {
      if (i > 200) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

async function single(name: string, cmd: string, args: (port: number, dir: string) => string[]): Promise<Target> {
  const port = await freePortRange(1);
  const dir = mkdtempSync(join(tmpdir(), `bench-cluster-${name}-`));
  const core = TASKSET ? 0 : null;
  const [c, a] = pinned(core, cmd, args(port, dir));
  const p = spawn(c, a, { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitPort(port, p).catch((e: Error) => {
    p.kill('SIGKILL');
    throw e;
  });
  return {
    name,
    cluster: false,
    nodes: [{ port, pid: p.pid!, core }],
    stop: async () => {
      p.kill('SIGKILL');
      await exited(p);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `lodestone cluster start --masters 3` (the launcher, as a user runs it), in the foreground. */
async function lodestoneCluster(): Promise<Target> {
  const base = await freePortRange(MASTERS);
  const dir = mkdtempSync(join(tmpdir(), 'bench-cluster-lodestone-'));
  const args = [join(ROOT, 'bin/lodestone.js'), 'cluster', 'start', '--masters', String(MASTERS), '--port', String(base), '--dir', join(dir, 'c'), ...(TASKSET ? [] : ['--no-pin'])];
  const p = spawn(process.execPath, [...args, '--', '--loglevel', 'warning'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    p.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Lodestone cluster ready')) resolve();
    });
    p.once('exit', (code) => reject(new Error(`lodestone cluster start exited ${code}:\n${out}`)));
  });
  for (const line of out.split('\n')) if (/pinned|taskset/.test(line)) console.log(`  launcher: ${line.trim()}`);
  const nodes = await Promise.all(
    Array.from({ length: MASTERS }, async (_, i) => {
      const port = base + i;
      const core = new RegExp(`:${port}\\s.*core (\\d+)`).exec(out)?.[1];
      return { port, pid: Number(infoValue(await infoOf(port, 'server'), 'process_id')), core: core === undefined ? null : Number(core) };
    }),
  );
  return {
    name: 'lodestone cluster',
    cluster: true,
    nodes,
    stop: async () => {
      p.kill('SIGTERM');
      await exited(p);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Three cluster-enabled redis-servers, pinned like the launcher pins, made one cluster by redis-cli. */
async function redisCluster(): Promise<Target> {
  const base = await freePortRange(MASTERS);
  const dir = mkdtempSync(join(tmpdir(), 'bench-cluster-redis-'));
  const procs: ChildProcess[] = [];
  const nodes: Target['nodes'] = [];
  const stop = async () => {
    for (const p of procs) p.kill('SIGKILL');
    await Promise.all(procs.map(exited));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await startRedisNodes(base, dir, procs, nodes);
  } catch (e) {
    await stop(); // none left behind when one of them could not start
    throw e;
  }
  return { name: 'redis cluster', cluster: true, nodes, stop };
}

async function startRedisNodes(base: number, dir: string, procs: ChildProcess[], nodes: Target['nodes']): Promise<void> {
  for (let i = 0; i < MASTERS; i++) {
    const port = base + i;
    const core = TASKSET ? i % CORES : null;
    const [c, a] = pinned(core, 'redis-server', ['--port', String(port), '--bind', HOST, '--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--dir', dir, '--save', '', '--appendonly', 'no']);
    const p = spawn(c, a, { stdio: 'ignore' });
    procs.push(p);
    await waitPort(port, p);
    nodes.push({ port, pid: p.pid!, core });
  }
  const create = spawnSync('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `${HOST}:${n.port}`), '--cluster-yes'], { encoding: 'utf8', timeout: 120_000 });
  if (create.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${create.stdout}${create.stderr}`);
  const clients = await Promise.all(nodes.map((n) => AdminClient.connect({ host: HOST, port: n.port })));
  try {
    await waitReady(clients, MASTERS, 60_000);
  } finally {
    for (const c of clients) c.close();
  }
}

interface Run {
  rps: number;
  p99: number;
  /** Per server process: req/s (its share of the commands × the total) and CPU µs per command. */
  perNode: { rps: number; usPerOp: number; cpu: number }[];
  /** All server processes: CPU seconds per second of the run (1.0 = one core busy). */
  serverCores: number;
  /** redis-benchmark's own CPU, in cores (NaN without /usr/bin/time). */
  clientCores: number;
  usPerOp: number;
}

async function runOnce(t: Target, test: string, pipeline: number, requests = pipeline > 1 ? N * 4 : N): Promise<Run> {
  const stats = () => Promise.all(t.nodes.map(async (n) => ({ cmds: Number(infoValue(await infoOf(n.port, 'stats'), 'total_commands_processed')), cpu: cpuSeconds(n.pid) })));
  const before = await stats();
  const args = [...(t.cluster ? ['--cluster'] : []), '-h', HOST, '-p', String(t.nodes[0].port), '-t', test, '-n', String(requests), '-c', String(CLIENTS), '-P', String(pipeline), '-r', '100000', '--csv'];
  const timeFile = join(tmpdir(), `bench-cluster-time-${process.pid}`);
  const t0 = process.hrtime.bigint();
  const r = TIME ? spawnSync('/usr/bin/time', ['-f', '%U %S', '-o', timeFile, 'redis-benchmark', ...args], { encoding: 'utf8', timeout: 600_000 }) : spawnSync('redis-benchmark', args, { encoding: 'utf8', timeout: 600_000 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`redis-benchmark failed (${t.name}): ${r.stderr}${r.stdout}`);
  const after = await stats();
  const line = r.stdout.split('\n').find((l) => l.startsWith('"') && !l.startsWith('"test"'));
  if (!line) throw new Error(`no result in: ${r.stdout}`);
  const cols = JSON.parse(`[${line}]`) as string[];
  const rps = Number(cols[1]);
  const d = after.map((a, i) => ({ cmds: a.cmds - before[i].cmds, cpu: a.cpu - before[i].cpu }));
  const cmds = d.reduce((s, x) => s + x.cmds, 0);
  const cpu = d.reduce((s, x) => s + x.cpu, 0);
  let clientCores = NaN;
  if (TIME) {
    const [u, s] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    clientCores = (u + s) / wall;
    rmSync(timeFile, { force: true });
  }
  return {
    rps,
    p99: Number(cols[6]),
    perNode: d.map((x) => ({ rps: (rps * x.cmds) / cmds, usPerOp: (x.cpu * 1e6) / x.cmds, cpu: x.cpu / wall })),
    serverCores: cpu / wall,
    clientCores,
    usPerOp: (cpu * 1e6) / cmds,
  };
}

function median(runs: Run[]): Run {
  return [...runs].sort((a, b) => a.rps - b.rps)[Math.floor((runs.length - 1) / 2)];
}

const f0 = (x: number) => (Number.isFinite(x) ? x.toFixed(0) : '—');
const f1 = (x: number) => (Number.isFinite(x) ? x.toFixed(1) : '—');
const f2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '—');

async function main(): Promise<void> {
  requireTools('redis-server', 'redis-cli', 'redis-benchmark');
  const load0 = loadavg();
  console.log(`machine: ${machineLine()}`);
  console.log(`cores (os.cpus()): ${CORES}; taskset: ${TASKSET ? 'yes, servers pinned' : 'absent, nothing pinned'}; load average ${load0.map((x) => x.toFixed(2)).join(' ')}`);
  const targets: Target[] = [];
  const results = new Map<string, Run>();
  const idle = new Map<string, number>();
  try {
    targets.push(await lodestoneCluster());
    targets.push(await single('lodestone', process.execPath, (port, dir) => [join(ROOT, 'bin/lodestone.js'), '--port', String(port), '--bind', HOST, '--loglevel', 'warning', '--dir', dir]));
    targets.push(await redisCluster());
    targets.push(await single('redis', 'redis-server', (port, dir) => ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir]));
    for (const t of targets) console.log(`  ${t.name}: ${t.nodes.map((n) => `${n.port} pid ${n.pid}${n.core === null ? '' : ` core ${n.core}`}`).join(', ')}`);
    // Warm-up, not measured: every Lodestone process JIT-compiles its own hot paths, and a cluster
    // node only sees its share of the requests (without this, short runs charge the cluster 2-4x
    // the CPU per command of one process).
    for (const t of targets) for (const test of TESTS) await runOnce(t, test, 16, WARMUP);
    // What a node costs doing nothing (cluster bus pings, cron), over the same idle seconds for all.
    const idle0 = targets.map((t) => t.nodes.map((n) => cpuSeconds(n.pid)));
    await new Promise((r) => setTimeout(r, IDLE_S * 1000));
    targets.forEach((t, i) => idle.set(t.name, Math.max(...t.nodes.map((n, j) => (cpuSeconds(n.pid) - idle0[i][j]) / IDLE_S))));
    for (const t of targets) console.log(`  idle: ${t.name} ${f1(idle.get(t.name)! * 100)}% of a core per node at most`);
    for (const pipeline of PIPELINES) {
      for (const test of TESTS) {
        // Every target in turn for one test, so drift on a shared machine hits them all.
        const runs = new Map<string, Run[]>(targets.map((t) => [t.name, []]));
        for (let round = 0; round < ROUNDS; round++) for (const t of targets) runs.get(t.name)!.push(await runOnce(t, test, pipeline));
        for (const t of targets) {
          const r = median(runs.get(t.name)!);
          results.set(`${t.name} ${test} ${pipeline}`, r);
          console.log(
            `  ${test.toUpperCase()} -P ${pipeline} ${t.name.padEnd(17)} ${f0(r.rps).padStart(7)} req/s  per node ${r.perNode.map((n) => f0(n.rps)).join(' / ')}  ` +
              `server CPU ${f2(r.serverCores)} cores, ${f1(r.usPerOp)} µs/op; redis-benchmark ${f2(r.clientCores)} cores`,
          );
        }
      }
    }
  } finally {
    for (const t of targets) await t.stop();
  }
  const load1 = loadavg();
  const get = (t: string, test: string, p: number) => results.get(`${t} ${test} ${p}`)!;
  const rows: string[] = [];
  const summary: string[] = [];
  for (const pipeline of PIPELINES) {
    for (const test of TESTS) {
      for (const t of targets) {
        const r = get(t.name, test, pipeline);
        rows.push(
          `| ${test.toUpperCase()} | ${pipeline} | ${t.name} | ${f0(r.rps)} | ${r.perNode.length > 1 ? r.perNode.map((n) => f0(n.rps)).join(' / ') : '—'} | ${f2(r.p99)} | ${f2(r.serverCores)} | ${f1(r.usPerOp)} | ${f0(1e6 / r.usPerOp)} | ${f2(r.clientCores)} |`,
        );
      }
      const lc = get('lodestone cluster', test, pipeline);
      const l1 = get('lodestone', test, pipeline);
      const rc = get('redis cluster', test, pipeline);
      summary.push(
        `result ${test} -P${pipeline}: lodestone cluster ${f0(lc.rps)} rps (${f2(lc.rps / l1.rps)}x one process), one lodestone ${f0(l1.rps)} rps, redis cluster ${f0(rc.rps)} rps; ` +
          `lodestone ${f1(lc.usPerOp)} µs CPU/op in the cluster vs ${f1(l1.usPerOp)} alone`,
      );
    }
  }
  // The figure that scales: commands per CPU-second of one Lodestone cluster node.
  const perCore = (test: string, p: number) => 1e6 / get('lodestone cluster', test, p).usPerOp;
  const costRatios = (server: string) =>
    PIPELINES.flatMap((p) => TESTS.map((t) => `${f2(get(`${server} cluster`, t, p).usPerOp / get(server, t, p).usPerOp)}x (${t.toUpperCase()} -P ${p})`)).join(', ');
  const md = [
    '# Cluster on one machine: Lodestone processes per core vs one process vs redis-server',
    '',
    `Generated by \`npm run bench:cluster\` on ${new Date().toISOString().slice(0, 10)}.`,
    `Machine: ${machineLine()}. **${CORES} cores** (os.cpus()).`,
    `Load average ${load0.map((x) => x.toFixed(2)).join(' ')} at the start, ${load1.map((x) => x.toFixed(2)).join(' ')} at the end` +
      (load0[0] > CORES * 0.5 ? ': **the machine was shared with other work, so req/s are noisy**; the CPU µs/op columns are the steadier figure.' : '.'),
    '',
    `redis-benchmark -t set,get -c ${CLIENTS} -r 100000, ${N} requests at -P 1 and ${N * 4} at -P 16 (\`--cluster\` for the clusters), median of ${ROUNDS} round(s) after an unmeasured warm-up of ${WARMUP} requests per command and target, ` +
      `targets alternated per test. Clusters: ${MASTERS} masters, no replicas; the Lodestone one started by \`lodestone cluster start --masters ${MASTERS}\`, ` +
      `the Redis one by \`redis-cli --cluster create --cluster-yes\`. ` +
      (TASKSET
        ? `Servers pinned with taskset: cluster nodes round-robin to cores ${Array.from({ length: MASTERS }, (_, i) => i % CORES).join(',')}, single processes to core 0; redis-benchmark is not pinned.`
        : 'taskset was absent: nothing pinned.'),
    '',
    'Per node: each process\'s share of the commands (total_commands_processed) × the total req/s. Server CPU: all server processes\' user+system CPU seconds ' +
      '(/proc/<pid>/stat) per second of the run, in cores. CPU µs/op: server CPU time per command; ops/CPU-s is its inverse, what one core running one node can serve.',
    '',
    '| command | pipeline | target | req/s total | req/s per node | p99 ms | server CPU (cores) | CPU µs/op | ops per CPU-s | redis-benchmark CPU (cores) |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    `Idle, over ${IDLE_S} s before the runs, the busiest node of each target used: ${targets.map((t) => `${t.name} ${f1(idle.get(t.name)! * 100)}%`).join(', ')} of a core ` +
      '(cluster bus pings and cron; the machine\'s other work does not count, this is each process\'s own CPU time).',
    '',
    '## What this machine can and cannot show',
    '',
    `This machine has ${CORES} cores. ${MASTERS} processes on ${CORES} cores cannot scale beyond ${CORES}x one process: two of the nodes share a core, and ` +
      'redis-benchmark, which has to generate and parse every request and reply, runs on the same cores (its CPU is in the last column). ' +
      (CORES <= 2
        ? 'So here the cluster can at best approach 2x one process, and in practice less, because the client competes for the same two cores; a ratio near or below 1x ' +
          'at -P 16 means the cores are saturated by servers and client together, not that the cluster does not scale. '
        : '') +
      'What does carry over is the CPU cost per command. A cluster node does not pay for the other nodes (single-key commands go straight to the node that owns ' +
      'the key; the cluster bus is a few pings a second, see the idle figures), so the cluster grows with the cores as long as a node\'s CPU per command stays ' +
      `near one process's. Here a Lodestone cluster node used ${costRatios('lodestone')} one Lodestone process's CPU per command ` +
      `(redis-server: ${costRatios('redis')}). Two things this bench does not separate add to it: each node gets a third of the clients, so fewer commands ` +
      'share each read and write system call (most visible at -P 16), and two of the nodes time-share one core; cluster mode\'s own work per command ' +
      '(the key\'s slot and the routing check) is part of it too.',
    '',
    `Per-core figures of a Lodestone cluster node measured here: SET ${f0(perCore('set', 1))} / GET ${f0(perCore('get', 1))} commands per CPU-second at -P 1, ` +
      `SET ${f0(perCore('set', 16))} / GET ${f0(perCore('get', 16))} at -P 16. A quiet machine with C cores for C nodes and cores of its own for the clients ` +
      `should serve about C × those figures: for 8 nodes, about ${f0(8 * perCore('set', 1))} SET / ${f0(8 * perCore('get', 1))} GET per second unpipelined ` +
      `and ${f0(8 * perCore('set', 16))} / ${f0(8 * perCore('get', 16))} at -P 16 — an estimate to check there, not a measurement.`,
    '',
  ].join('\n');
  const path = writeResult('cluster.md', md);
  for (const s of summary) console.log(s);
  console.log(`wrote ${path}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
