// `lodestone cluster start` (src/cli/cluster-start.ts), run as users run it: the built CLI from
// dist/ (`npm run build` first) in a temp dir on free ports. It starts 3 masters + 3 replicas and
// makes them a cluster without redis-cli; then Redis's own `redis-cli --cluster check` must be clean
// (skipped with a reason when redis-cli is absent), an ioredis Cluster client writes and reads keys
// across all slots, SIGTERM to the launcher stops every node (no orphan process), and a restart on
// the same --dir reuses the nodes.conf files: same node ids, same slots, the data back (AOF). The
// slot split is checked against what redis-cli printed for the same number of masters.
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { Cluster as IoCluster } from 'ioredis';
import { slotRanges } from '../src/cli/cluster-create.js';
import { freePortRange } from '../src/cli/ports.js';
import { until } from './helpers/poll.js';
import { HAVE_REDIS_CLI, ROOT, skipReason } from './helpers/servers.js';

const run = promisify(execFile);
const BIN = join(ROOT, 'bin/lodestone.js');
const NODES = 6;

interface Launcher {
  proc: ChildProcess;
  out: string;
  exit: Promise<number | null>;
}

function launch(args: string[]): Launcher {
  const proc = spawn(process.execPath, [BIN, 'cluster', 'start', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const l: Launcher = { proc, out: '', exit: new Promise((r) => proc.once('exit', (code) => r(code))) };
  proc.stdout!.on('data', (d: Buffer) => (l.out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (l.out += d.toString()));
  launchers.push(l);
  return l;
}

async function ready(l: Launcher): Promise<void> {
  await until(() => l.out.includes('Lodestone cluster ready') || l.proc.exitCode !== null, 180_000, 'the launcher saying ready');
  if (!l.out.includes('Lodestone cluster ready')) throw new Error(`the launcher exited ${l.proc.exitCode}:\n${l.out}`);
}

/** The node table the launcher prints: port → { id, role, pid }. */
function table(out: string): Map<number, { id: string; role: string; pid: number; slots: string }> {
  const m = new Map<number, { id: string; role: string; pid: number; slots: string }>();
  const last = out.lastIndexOf('Nodes:');
  for (const line of out.slice(last).split('\n')) {
    const f = /^\s+[\d.]+:(\d+)\s+(master|replica)\s+([0-9a-f]{40})\s+(.*?)\s+pid (\d+)/.exec(line);
    if (f) m.set(Number(f[1]), { role: f[2], id: f[3], slots: f[4], pid: Number(f[5]) });
  }
  return m;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const launchers: Launcher[] = [];
const nodePids = new Set<number>();

afterAll(async () => {
  // Only what this file started, by pid.
  for (const l of launchers) if (l.proc.exitCode === null && l.proc.signalCode === null) l.proc.kill('SIGKILL');
  for (const pid of nodePids) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

describe('slot split', () => {
  it("is redis-cli --cluster create's, computed in C float", () => {
    expect(slotRanges(3)).toEqual([
      [0, 5460],
      [5461, 10922],
      [10923, 16383],
    ]);
    // Printed by redis-cli 7.0.15 `--cluster create` for 78 empty redis-server nodes: in doubles
    // the boundary between these two masters would be 14282/14283.
    expect(slotRanges(78).slice(67, 69)).toEqual([
      [14073, 14283],
      [14284, 14493],
    ]);
    for (let n = 1; n <= 300; n++) {
      const r = slotRanges(n);
      expect(r[0][0]).toBe(0);
      expect(r[n - 1][1]).toBe(16383);
      for (let i = 1; i < n; i++) expect(r[i][0]).toBe(r[i - 1][1] + 1);
    }
  });
});

describe('lodestone cluster start', () => {
  it('starts 3 masters + 3 replicas, stops them all on SIGTERM, and restarts the same cluster from --dir', async () => {
    if (!existsSync(join(ROOT, 'dist/src/cli/cluster-start.js'))) throw new Error('dist/ is not built: run npm run build');
    const base = await freePortRange(NODES);
    const dir = join(mkdtempSync(join(tmpdir(), 'lodestone-launcher-')), 'cluster');
    const params = ['--', '--appendonly', 'yes'];
    const first = launch(['--masters', '3', '--replicas', '1', '--port', String(base), '--dir', dir, ...params]);
    await ready(first);
    expect(first.out).toContain('Creating the cluster:');
    // taskset is on this machine's PATH when the log line says so; either way the line is honest.
    expect(first.out).toMatch(/pinned round-robin to cores|taskset not found/);
    const nodes = table(first.out);
    expect([...nodes.keys()].sort()).toEqual(Array.from({ length: NODES }, (_, i) => base + i));
    expect([...nodes.values()].filter((n) => n.role === 'master').map((n) => n.slots)).toEqual(['slots 0-5460', 'slots 5461-10922', 'slots 10923-16383']);
    for (const n of nodes.values()) {
      nodePids.add(n.pid);
      expect(alive(n.pid)).toBe(true);
      // The node process itself (taskset execs node): its command line is lodestone's.
      expect(readFileSync(`/proc/${n.pid}/cmdline`, 'utf8')).toContain('lodestone.js');
    }

    if (skipReason('redis-cli --cluster check of the launched cluster', 'redis-cli') === false) {
      const { stdout } = await run('redis-cli', ['--cluster', 'check', `127.0.0.1:${base}`], { timeout: 60_000 });
      expect(stdout).toContain('[OK] All nodes agree about slots configuration.');
      expect(stdout).toContain('[OK] All 16384 slots covered.');
      expect(stdout).not.toMatch(/\[ERR\]|\[WARNING\]/);
      expect(stdout.match(/1 additional replica\(s\)/g)?.length).toBe(3);
    } else {
      expect(HAVE_REDIS_CLI).toBe(false);
    }

    const io = new IoCluster([{ host: '127.0.0.1', port: base }]);
    try {
      for (let i = 0; i < 300; i++) expect(await io.set(`k${i}`, `v${i}`)).toBe('OK');
      for (let i = 0; i < 300; i++) expect(await io.get(`k${i}`)).toBe(`v${i}`);
      // Wait for the replicas to have the writes, so that the stop below does not hang on them.
      for (const n of io.nodes('master')) expect(await n.call('WAIT', '1', '30000')).toBe(1);
    } finally {
      io.disconnect();
    }

    first.proc.kill('SIGTERM');
    expect(await first.exit).toBe(0);
    expect(first.out).toContain('all nodes stopped');
    for (const n of nodes.values()) expect(alive(n.pid), `node pid ${n.pid} still running`).toBe(false);

    // A layout that does not match the directory is refused before anything is started.
    const wrong = launch(['--replicas', '2', '--port', String(base), '--dir', dir]);
    expect(await wrong.exit).toBe(1);
    expect(wrong.out).toContain('made with --replicas 1');

    // Restart from the directory alone: the layout and nodes.conf files are reused.
    const again = launch(['--dir', dir, ...params]);
    await ready(again);
    expect(again.out).toContain('not creating it again');
    expect(again.out).not.toContain('Creating the cluster:');
    const after = table(again.out);
    for (const [port, n] of nodes) {
      expect(after.get(port)?.id).toBe(n.id);
      expect(after.get(port)?.role).toBe(n.role);
      expect(after.get(port)?.slots).toBe(n.slots);
      nodePids.add(after.get(port)!.pid);
    }
    const io2 = new IoCluster([{ host: '127.0.0.1', port: base + 1 }]);
    try {
      for (let i = 0; i < 300; i++) expect(await io2.get(`k${i}`)).toBe(`v${i}`);
    } finally {
      io2.disconnect();
    }
    again.proc.kill('SIGTERM');
    expect(await again.exit).toBe(0);
    for (const n of after.values()) expect(alive(n.pid), `node pid ${n.pid} still running`).toBe(false);
  }, 600_000);
});
