// Fixtures shared by the cluster tests (test/cluster*.test.ts), so that each file does not carry its
// own copy: cluster-enabled Lodestone (dist/ CLI) and redis-server processes on free ports,
// `redis-cli --cluster …` with colours stripped, and readers for CLUSTER NODES / INFO and WASM.LIST
// with polling waits (generous deadlines: the machine may be busy).

import { execFile, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { Cluster as IoCluster, type ClusterOptions } from 'ioredis';
import { keyHashSlot } from '../../src/cluster/slot.js';
import { RawClient } from './raw-client.js';
import type { RespValue } from './resp.js';
import { until } from './poll.js';
import { freePort, ProcessHandle, ROOT, startLodestoneProcess, startRedis } from './servers.js';

const run = promisify(execFile);

export interface ClusterNode {
  kind: 'lodestone' | 'redis';
  h: ProcessHandle;
  port: number;
  /** The cluster bus port. */
  cport: number;
  /** Lodestone's --dir (nodes.conf, module store); '' for redis-server (startRedis owns its dir). */
  dir: string;
  /** The arguments it was started with after --port: a restart with them keeps its nodes.conf. */
  args: string[];
  c: RawClient;
  id: string;
}

/** A cluster-enabled node on a free port and bus port; `nodeTimeout` is cluster-node-timeout (ms). */
export async function startClusterNode(kind: 'lodestone' | 'redis', nodeTimeout = 3000): Promise<ClusterNode> {
  const cport = await freePort();
  const args = ['--cluster-enabled', 'yes', '--cluster-port', String(cport), '--cluster-node-timeout', String(nodeTimeout)];
  const dir = kind === 'lodestone' ? mkdtempSync(join(tmpdir(), 'lodestone-cluster-')) : '';
  if (kind === 'lodestone') args.push('--dir', dir);
  const h = kind === 'lodestone' ? await startLodestoneProcess(args) : await startRedis(args);
  const c = await RawClient.connect(h.port);
  return { kind, h, port: h.port, cport, dir, args, c, id: text(await c.call('CLUSTER', 'MYID')) };
}

/** Start a stopped Lodestone node again: same port, bus port and dir, so it rejoins from nodes.conf. */
export async function restartNode(n: ClusterNode): Promise<void> {
  n.h = await startLodestoneProcess(n.args, { port: n.port });
  n.c = await RawClient.connect(n.port);
}

/** kill -9 (ProcessHandle.close). */
export async function stopNode(n: ClusterNode): Promise<void> {
  n.c.close();
  await n.h.close();
}

export async function stopNodes(nodes: ClusterNode[]): Promise<void> {
  for (const n of nodes) await stopNode(n);
}

export const isAlive = (n: ClusterNode): boolean => n.h.proc.exitCode === null && n.h.proc.signalCode === null;

export function text(v: RespValue): string {
  if (v.t === 'bulk' || v.t === 'status' || v.t === 'error' || v.t === 'verbatim' || v.t === 'int') return v.v;
  throw new Error(`unexpected reply ${JSON.stringify(v)}`);
}

/** A reply as nested arrays of strings (RESP2 maps are flat arrays). */
export function plainOf(v: RespValue): unknown {
  if (v.t === 'array' || v.t === 'map' || v.t === 'set' || v.t === 'push') return v.v.map(plainOf);
  if ('v' in v) return v.v;
  return null;
}

function stripColors(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '');
}

/** redis-cli with these arguments: its stdout + stderr without colours; throws with them if it fails. */
export async function cli(args: string[], timeoutMs = 120_000): Promise<string> {
  try {
    const { stdout, stderr } = await run('redis-cli', args, { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 });
    return stripColors(stdout + stderr);
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`redis-cli ${args.join(' ')} failed: ${e.message}\n${stripColors((e.stdout ?? '') + (e.stderr ?? ''))}`);
  }
}

/** The CLUSTER NODES line a node gives about `id` (itself by default), split in fields. */
export async function nodeLine(n: ClusterNode, id = n.id): Promise<string[]> {
  const lines = text(await n.c.call('CLUSTER', 'NODES')).split('\n');
  return (lines.find((l) => l.startsWith(id)) ?? '').split(' ');
}

/** The slot ranges of a CLUSTER NODES line's fields (migration markers `[…]` left out). */
export function slotRanges(fields: string[]): [number, number][] {
  return fields
    .slice(8)
    .filter((s) => s !== '' && !s.startsWith('['))
    .map((s) => {
      const [a, b] = s.split('-').map(Number);
      return [a, b ?? a] as [number, number];
    });
}

/** A key (prefix0, prefix1, …) whose slot the node serves, by its own CLUSTER NODES line. */
export async function keyServedBy(n: ClusterNode, prefix = 'k'): Promise<string> {
  const ranges = slotRanges(await nodeLine(n));
  for (let i = 0; ; i++) {
    const k = `${prefix}${i}`;
    const s = keyHashSlot(k);
    if (ranges.some(([a, b]) => s >= a && s <= b)) return k;
  }
}

export async function clusterInfo(c: RawClient): Promise<Record<string, string>> {
  const o: Record<string, string> = {};
  for (const l of text(await c.call('CLUSTER', 'INFO')).split('\r\n')) {
    const i = l.indexOf(':');
    if (i > 0) o[l.slice(0, i)] = l.slice(i + 1);
  }
  return o;
}

/** Every node says cluster_state:ok. */
export async function waitOk(nodes: ClusterNode[], ms = 60_000): Promise<void> {
  for (const n of nodes) {
    await until(async () => text(await n.c.call('CLUSTER', 'INFO')).startsWith('cluster_state:ok'), ms, `cluster ok on ${n.port}`);
  }
}

/** `redis-cli --cluster create` over the nodes (more arguments after them), then wait for ok everywhere. */
export async function createCluster(nodes: ClusterNode[], ...more: string[]): Promise<string> {
  const out = await cli(['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), ...more, '--cluster-yes']);
  await waitOk(nodes);
  return out;
}

/** A `--cluster check` output is clean: agreement, full coverage, no warning or error, `masters` masters. */
export function expectCheckClean(out: string, masters: number): void {
  expect(out).toContain('[OK] All nodes agree about slots configuration.');
  expect(out).toContain('[OK] All 16384 slots covered.');
  expect(out).not.toContain('[WARNING]');
  expect(out).not.toContain('[ERR]');
  expect(out.match(/^M: /gm)?.length).toBe(masters);
}

/** `--cluster check` from `n` until every node agrees with `replicas` replicas, then check it is clean. */
export async function checkClean(n: ClusterNode, masters: number, replicas: number): Promise<string> {
  let out = '';
  await until(async () => {
    // A check that finds problems exits non-zero (open slots just after a reshard, a node that has
    // not heard of a change yet): keep polling, the last output goes into the failure message.
    out = await cli(['--cluster', 'check', `127.0.0.1:${n.port}`]).catch((err: Error) => err.message);
    return out.includes('[OK] All nodes agree about slots configuration.') && !out.includes('[ERR]') && !out.includes('[WARNING]') &&
      (out.match(/^S: /gm)?.length ?? 0) === replicas;
  }, 60_000, `clean --cluster check from ${n.port}`).catch((err: Error) => {
    throw new Error(`${err.message}\n${out}`);
  });
  expectCheckClean(out, masters);
  return out;
}

/** name → sha256 of the WASM functions a node has loaded (WASM.LIST). */
export async function wasmFunctions(c: RawClient): Promise<Map<string, string>> {
  const r = await c.call('WASM.LIST');
  if (r.t !== 'array') throw new Error(`WASM.LIST replied ${JSON.stringify(r)}`);
  const out = new Map<string, string>();
  for (const f of r.v) {
    if (f.t !== 'array' && f.t !== 'map') throw new Error(`WASM.LIST entry ${JSON.stringify(f)}`);
    const kv = f.v;
    const get = (k: string): string => text(kv[kv.findIndex((x) => x.t === 'bulk' && x.v === k) + 1]);
    out.set(get('name'), get('sha256'));
  }
  return out;
}

/** Every node has these functions (name → sha256) and not those mapped to undefined. */
export async function waitFunctions(nodes: ClusterNode[], want: Record<string, string | undefined>, what: string): Promise<void> {
  for (const n of nodes) {
    await until(
      async () => {
        const f = await wasmFunctions(n.c);
        return Object.entries(want).every(([name, sha]) => (sha === undefined ? !f.has(name) : f.get(name) === sha));
      },
      60_000,
      `${what} on node ${n.port}`,
    );
  }
}

/** ioredis Cluster with quick retries (redirections, TRYAGAIN, CLUSTERDOWN while the cluster settles). */
export function ioCluster(port: number, options: ClusterOptions = {}): IoCluster {
  return new IoCluster([{ host: '127.0.0.1', port }], {
    slotsRefreshInterval: 500,
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 200,
    maxRedirections: 32,
    clusterRetryStrategy: () => 200,
    redisOptions: { connectTimeout: 1000, maxRetriesPerRequest: 2 },
    ...options,
  });
}

// ---- redis-py RedisCluster (test/fixtures/cluster_client.py) ---------------------------------------

/** The system python3 that has python3-redis (the pyenv python3 on PATH does not). */
export const PYTHON = '/usr/bin/python3';

/** null when `import redis` works with PYTHON, else why the redis-py client is skipped. */
export const PY_REDIS_MISSING: string | null = (() => {
  const r = spawnSync(PYTHON, ['-c', 'import redis; from redis.cluster import RedisCluster'], { encoding: 'utf8' });
  return r.status === 0 ? null : `${PYTHON} cannot import redis (apt-get install -y python3-redis): ${(r.stderr || r.error?.message || '').trim().split('\n').pop()}`;
})();

/** What cluster_client.py saw (its last stdout line). */
export interface PyLoadResult {
  acked: Record<string, string>;
  pending: Record<string, string[]>;
  rl: Record<string, [number, number]>;
  stale: number;
  /** The first stale reads, described. */
  staleSamples?: string[];
  errors: Record<string, number>;
  /** MOVED and ASK replies the client followed. */
  redirects: { MOVED: number; ASK: number };
  rounds: number;
}

export interface PyLoad {
  /** Rounds finished so far. */
  rounds(): number;
  /** Finish after the round that starts next. */
  stop(): void;
  /** kill -9 (cleanup after a failed test). */
  kill(): void;
  result: Promise<PyLoadResult>;
}

/** Run cluster_client.py against the cluster node at `port` (see the script for the arguments). */
export function startPyLoad(port: number, name: string, tags: number, perTag: number, rlFunction = ''): PyLoad {
  const script = join(ROOT, 'test/fixtures/cluster_client.py');
  const proc = spawn(PYTHON, [script, String(port), name, String(tags), String(perTag), rlFunction], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let rounds = 0;
  proc.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    rounds = (out.match(/^round \d+$/gm) ?? []).length;
  });
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const result = new Promise<PyLoadResult>((resolve, reject) => {
    proc.on('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code === 0 && last.startsWith('{')) resolve(JSON.parse(last) as PyLoadResult);
      else reject(new Error(`cluster_client.py exited with ${code}:\n${err.slice(-4000)}`));
    });
  });
  result.catch(() => {}); // awaited by the test; not an unhandled rejection after kill()
  return {
    rounds: () => rounds,
    stop: () => proc.stdin.end('stop\n'),
    kill: () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
    result,
  };
}
