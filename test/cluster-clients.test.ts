// Three third-party cluster clients against real Lodestone processes (dist/) while Redis 7.0.15's
// redis-cli moves slots under them (issue 15):
// - six Lodestone nodes made 3 masters + 3 replicas by `redis-cli --cluster create
//   --cluster-replicas 1`; cluster_state:ok everywhere and a clean `--cluster check`;
// - one `WASM.LOAD … CLUSTER` loads the rate limiter on every node, replicas included;
// - ioredis Cluster, node-redis createCluster and redis-py RedisCluster (test/fixtures/
//   cluster_client.py) each write and read 10,000 keys under hash tags with single SETs,
//   pipelines and MULTI/EXEC on one slot, and call the rate limiter with WASM.CALL, while
//   `redis-cli --cluster reshard` moves 2000 slots between masters; afterwards every key is read
//   back: no acknowledged write is lost, the rate limiters counted every acknowledged call, each
//   client followed MOVED/ASK redirects (its own count, and the nodes' errorstats), the replicas
//   hold what their masters hold, and `--cluster check` is clean again;
// - a mixed cluster (Lodestone and redis-server masters, each with a replica of the other kind)
//   made by `--cluster create` passes `--cluster check` and serves the three clients through a
//   reshard from a Lodestone master to a redis-server master (MIGRATE between implementations).
// The machine may be busy: waits poll with generous deadlines, and nothing is timed.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster as IoCluster } from 'ioredis';
import {
  checkClean,
  ClusterNode,
  createCluster,
  cli,
  ioCluster,
  isAlive,
  nodeLine,
  PY_REDIS_MISSING,
  PyLoad,
  startClusterNode,
  startPyLoad,
  stopNodes,
  text,
  waitFunctions,
  waitOk,
  wasmFunctions,
} from './helpers/cluster.js';
import { ioredisLoadClient, Load, LoadClient, LoadResult, NODE_REDIS_MISSING, nodeRedisLoadClient, readBack } from './helpers/cluster-load.js';
import { info, sleep, until } from './helpers/poll.js';
import { HAVE_REDIS_CLI, HAVE_REDIS_SERVER, skipReason } from './helpers/servers.js';

/* eslint-disable no-console */
skipReason('cluster client tests', 'redis-cli');
skipReason('the mixed Lodestone / redis-server cluster', 'redis-server');
if (PY_REDIS_MISSING) console.log(`[skip] the redis-py RedisCluster client: ${PY_REDIS_MISSING}`);
if (NODE_REDIS_MISSING) console.log(`[skip] the node-redis createCluster client: ${NODE_REDIS_MISSING}`);

const RATELIMIT = readFileSync(new URL('../wasm-examples/build/ratelimit.wasm', import.meta.url));
/** cluster-node-timeout: long enough that a busy machine does not flag nodes PFAIL. */
const NODE_TIMEOUT = 5000;

/** One client's load: the Node ones in this process, redis-py as a child process. */
interface Running {
  name: string;
  rounds(): number;
  stop(): void;
  abort(): void;
  result(): Promise<LoadResult>;
  close(): Promise<void>;
}

function nodeLoad(client: LoadClient, prefix: string, tags: number, perTag: number, rl: string): Running {
  const l = new Load(client, prefix, tags, perTag, rl);
  return {
    name: client.name,
    rounds: () => l.rounds,
    stop: () => l.stop(),
    abort: () => l.abort(),
    result: () => l.result(),
    close: () => client.close(),
  };
}

function pyLoad(port: number, prefix: string, tags: number, perTag: number, rl: string): Running {
  const p: PyLoad = startPyLoad(port, prefix, tags, perTag, rl);
  return { name: 'redis-py', rounds: p.rounds, stop: p.stop, abort: p.kill, result: () => p.result, close: async () => p.kill() };
}

/** Start the three clients' loads (those available) on `port`, `tags` × `perTag` keys each. */
async function startLoads(port: number, tags: number, perTag: number, rl: string): Promise<Running[]> {
  const loads = [nodeLoad(ioredisLoadClient(port), 'io', tags, perTag, rl)];
  if (!NODE_REDIS_MISSING) loads.push(nodeLoad(await nodeRedisLoadClient(port), 'nr', tags, perTag, rl));
  if (!PY_REDIS_MISSING) loads.push(pyLoad(port, 'py', tags, perTag, rl));
  return loads;
}

/** MOVED + ASK error replies the nodes counted (INFO errorstats). */
async function redirectErrors(nodes: ClusterNode[]): Promise<{ MOVED: number; ASK: number }> {
  const out = { MOVED: 0, ASK: 0 };
  for (const n of nodes) {
    const e = await info(n.c, 'errorstats');
    for (const code of ['MOVED', 'ASK'] as const) out[code] += Number(/count=(\d+)/.exec(e[`errorstat_${code}`] ?? '')?.[1] ?? 0);
  }
  return out;
}

/** The masters with their replicas, by each node's own line in its CLUSTER NODES (its own role). */
async function shards(nodes: ClusterNode[]): Promise<{ master: ClusterNode; replicas: ClusterNode[] }[]> {
  const own = await Promise.all(nodes.map(async (n) => ({ n, f: await nodeLine(n) })));
  return own
    .filter(({ f }) => f[2].split(',').includes('master'))
    .map(({ n }) => ({ master: n, replicas: own.filter(({ f }) => f[3] === n.id).map((r) => r.n) }));
}

/** The number of slots a node serves, by its own CLUSTER NODES line. */
async function slotCount(n: ClusterNode): Promise<number> {
  return (await nodeLine(n))
    .slice(8)
    .filter((s) => s !== '' && !s.startsWith('['))
    .reduce((sum, s) => {
      const [a, b] = s.split('-').map(Number);
      return sum + (b ?? a) - a + 1;
    }, 0);
}

/** Every replica applied its master's stream and holds as many keys. */
async function waitReplicasSynced(nodes: ClusterNode[]): Promise<void> {
  for (const { master, replicas } of await shards(nodes)) {
    for (const r of replicas) {
      await until(
        async () => {
          const [m, s] = await Promise.all([info(master.c, 'replication'), info(r.c, 'replication')]);
          return s.master_link_status === 'up' && s.slave_repl_offset === m.master_repl_offset;
        },
        120_000,
        `${r.kind} replica ${r.port} caught up with ${master.kind} master ${master.port}`,
      );
      expect(text(await r.c.call('DBSIZE'))).toBe(text(await master.c.call('DBSIZE')));
    }
  }
}

/**
 * The clients' loads on `nodes` while `reshard` runs: every load has done a round before it
 * starts, and each does one more round after it ends. Then every key is read back.
 */
async function underLoad(
  nodes: ClusterNode[],
  loads: Running[],
  reshard: () => Promise<void>,
  keysPerClient: number,
): Promise<Map<string, LoadResult>> {
  const before = await redirectErrors(nodes);
  await until(() => loads.every((l) => l.rounds() >= 1), 600_000, 'a first round of every client');
  await reshard();
  const roundsAtEnd = loads.map((l) => l.rounds());
  for (const l of loads) l.stop();
  const results = new Map<string, LoadResult>();
  for (const l of loads) results.set(l.name, await l.result());
  const after = await redirectErrors(nodes);
  const checker = ioCluster(nodes[0].port);
  try {
    for (const [i, l] of loads.entries()) {
      const res = results.get(l.name)!;
      const report = await readBack(checker, res);
      console.log(
        `${l.name}: ${res.rounds} rounds (${roundsAtEnd[i]} when the reshard ended), ${report.acked} keys acknowledged, ` +
          `redirects ${JSON.stringify(res.redirects)}, errors ${JSON.stringify(res.errors)}`,
      );
      expect(res.rounds).toBeGreaterThan(roundsAtEnd[i]);
      expect(report.lost, `${l.name} lost acknowledged writes`).toEqual([]);
      expect(report.rlBad, `${l.name}: rate-limiter counters`).toEqual([]);
      expect(res.stale, `${l.name}: stale reads ${JSON.stringify(res.staleSamples ?? [])}`).toBe(0);
      // The last round ran after the reshard: every key ends acknowledged.
      expect(report.acked).toBe(keysPerClient);
      expect(res.redirects.MOVED + res.redirects.ASK, `${l.name} followed no MOVED/ASK`).toBeGreaterThan(0);
    }
  } finally {
    checker.disconnect();
  }
  console.log(`nodes' errorstats: MOVED +${after.MOVED - before.MOVED}, ASK +${after.ASK - before.ASK}`);
  expect(after.MOVED + after.ASK - before.MOVED - before.ASK).toBeGreaterThan(0);
  return results;
}

/** Cleanup after the loads, passed or failed. */
async function closeLoads(loads: Running[]): Promise<void> {
  for (const l of loads) {
    l.abort();
    await Promise.race([l.result().catch(() => undefined), sleep(30_000)]);
    await l.close().catch(() => undefined);
  }
}

describe.skipIf(!HAVE_REDIS_CLI)('six Lodestone nodes, three cluster clients, a reshard under load', () => {
  const nodes: ClusterNode[] = [];
  let loads: Running[] = [];
  let io: IoCluster | null = null;
  let rlSha = '';

  beforeAll(async () => {
    for (let i = 0; i < 6; i++) nodes.push(await startClusterNode('lodestone', NODE_TIMEOUT));
  }, 120_000);
  afterAll(async () => {
    await closeLoads(loads);
    io?.disconnect();
    await stopNodes(nodes.filter(isAlive));
  }, 120_000);

  it('redis-cli --cluster create --cluster-replicas 1: ok on every node, check is clean', async () => {
    const out = await createCluster(nodes, '--cluster-replicas', '1');
    expect(out).toContain('[OK] All 16384 slots covered.');
    await checkClean(nodes[0], 3, 3);
    const s = await shards(nodes);
    expect(s.map((x) => x.replicas.length)).toEqual([1, 1, 1]);
  }, 180_000);

  it('one WASM.LOAD … CLUSTER loads the rate limiter on every master and replica', async () => {
    const master = (await shards(nodes))[0].master;
    expect(await master.c.call('WASM.LOAD', 'rl', RATELIMIT, 'PERMISSIONS', 'WRITE', 'CLUSTER')).toEqual({ t: 'status', v: 'OK' });
    rlSha = (await wasmFunctions(master.c)).get('rl')!;
    expect(rlSha).toMatch(/^[0-9a-f]{64}$/);
    await waitFunctions(nodes, { rl: rlSha }, 'rl loaded');
    // The replicas have it (from the bus): the same module, with its WRITE permission.
    const replicas = (await shards(nodes)).flatMap((x) => x.replicas);
    expect(replicas.length).toBe(3);
    for (const r of replicas) {
      expect((await wasmFunctions(r.c)).get('rl')).toBe(rlSha);
      expect(JSON.stringify(await r.c.call('WASM.INFO', 'rl'))).toContain('"write"');
    }
    io = ioCluster(nodes[0].port);
    expect(JSON.stringify(await io.call('WASM.CALL', 'rl', 'KEYS', 'rl:probe', 'ARGS', '3', '60'))).toBe('[1,2,0]');
  }, 180_000);

  it('ioredis, node-redis and redis-py: 10,000 keys each, pipelines, MULTI and WASM.CALL while reshard moves 2000 slots; nothing acknowledged is lost', async () => {
    const s = await shards(nodes);
    const [a, b, to] = s.map((x) => x.master);
    const slotsBefore = await slotCount(to);
    loads = await startLoads(nodes[0].port, 500, 20, 'rl');
    await underLoad(
      nodes,
      loads,
      async () => {
        const out = await cli(
          ['--cluster', 'reshard', `127.0.0.1:${nodes[0].port}`, '--cluster-from', `${a.id},${b.id}`, '--cluster-to', to.id, '--cluster-slots', '2000', '--cluster-yes'],
          1_200_000,
        );
        expect(out).not.toContain('[ERR]');
      },
      10_000,
    );
    expect(await slotCount(to)).toBe(slotsBefore + 2000);
    await checkClean(nodes[0], 3, 3);
    await waitReplicasSynced(nodes);
    // The replicas got the moved keys too: a READONLY read of the moved slots on the new owner's replica.
    const r = s.find((x) => x.master === to)!.replicas[0];
    expect(Number(text(await r.c.call('DBSIZE')))).toBe(Number(text(await to.c.call('DBSIZE'))));
  }, 1_800_000);
});

describe.skipIf(!HAVE_REDIS_CLI || !HAVE_REDIS_SERVER)('a mixed cluster: 3 Lodestone and 3 redis-server nodes', () => {
  const nodes: ClusterNode[] = [];
  let loads: Running[] = [];

  beforeAll(async () => {
    // Masters are the first three (one host): Lodestone, redis-server, Lodestone; the replicas are of the other kind.
    for (const kind of ['lodestone', 'redis', 'lodestone', 'redis', 'lodestone', 'redis'] as const) nodes.push(await startClusterNode(kind, NODE_TIMEOUT));
  }, 120_000);
  afterAll(async () => {
    await closeLoads(loads);
    await stopNodes(nodes.filter(isAlive));
  }, 120_000);

  it('redis-cli --cluster create --cluster-replicas 1 over both kinds: check is clean from every node', async () => {
    await createCluster(nodes, '--cluster-replicas', '1');
    for (const n of nodes) await checkClean(n, 3, 3);
    let s = await shards(nodes);
    expect(s.map((x) => x.master.kind).sort()).toEqual(['lodestone', 'lodestone', 'redis']);
    expect(s.every((x) => x.replicas.length === 1)).toBe(true);
    console.log(`--cluster create paired ${s.map((x) => `${x.master.kind} master / ${x.replicas[0].kind} replica`).join(', ')}`);
    // redis-cli shuffles the replicas of one host (anti-affinity); with 2 + 1 masters of each kind
    // and 1 + 2 replicas, some Lodestone master always has a redis-server replica. If the
    // redis-server master got one of its own kind, swap it with the Lodestone replica of a
    // Lodestone master (CLUSTER REPLICATE), so that replication runs both ways.
    const rm = s.find((x) => x.master.kind === 'redis')!;
    if (rm.replicas[0].kind === 'redis') {
      const lm = s.find((x) => x.master.kind === 'lodestone' && x.replicas[0].kind === 'lodestone')!;
      const [r, l] = [rm.replicas[0], lm.replicas[0]];
      expect(await l.c.call('CLUSTER', 'REPLICATE', rm.master.id)).toEqual({ t: 'status', v: 'OK' });
      expect(await r.c.call('CLUSTER', 'REPLICATE', lm.master.id)).toEqual({ t: 'status', v: 'OK' });
      await until(async () => {
        s = await shards(nodes);
        return s.every((x) => x.replicas.length === 1 && x.replicas[0].kind !== x.master.kind);
      }, 60_000, 'replicas swapped');
      await waitOk(nodes);
      for (const n of nodes) await checkClean(n, 3, 3);
    }
    expect(s.every((x) => x.replicas[0].kind !== x.master.kind)).toBe(true);
    await waitReplicasSynced(nodes);
  }, 240_000);

  it('ioredis, node-redis and redis-py keep their writes through a reshard from a Lodestone master to the redis-server master and back', async () => {
    const s = await shards(nodes);
    const lodestone = s.find((x) => x.master.kind === 'lodestone')!.master;
    const redis = s.find((x) => x.master.kind === 'redis')!.master;
    loads = await startLoads(nodes[0].port, 250, 4, '');
    const reshard = async (from: ClusterNode, to: ClusterNode): Promise<void> => {
      const out = await cli(
        ['--cluster', 'reshard', `127.0.0.1:${nodes[0].port}`, '--cluster-from', from.id, '--cluster-to', to.id, '--cluster-slots', '500', '--cluster-yes'],
        1_200_000,
      );
      expect(out).not.toContain('[ERR]');
      await checkClean(nodes[0], 3, 3);
    };
    await underLoad(
      nodes,
      loads,
      async () => {
        await reshard(lodestone, redis);
        await reshard(redis, lodestone);
      },
      1000,
    );
    for (const n of nodes) await checkClean(n, 3, 3);
    await waitReplicasSynced(nodes);
  }, 1_800_000);
});
