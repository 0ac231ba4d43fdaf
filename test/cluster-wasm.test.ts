// WASM functions in a Redis Cluster (docs/CLUSTER.md "WASM functions in a cluster"): modules carried
// by the cluster bus in Redis 7.0 MODULE messages (src/cluster/modules.ts), with real Lodestone
// processes (dist/), redis-cli --cluster and ioredis Cluster:
// - `redis-cli --cluster call … WASM.LOAD name file` loads per node (the documented alternative);
// - `WASM.LOAD … CLUSTER` on one node loads the ratelimit example on every node; ioredis Cluster
//   calls it on keys in every node's slots; keys spanning slots get CROSSSLOT; a call without keys
//   runs where it is sent;
// - a node added later with `redis-cli --cluster add-node` gets the module; a redis-server node
//   added too ignores the MODULE messages (its links stay up, `--cluster check` is clean);
// - `WASM.UNLOAD … CLUSTER` unloads it everywhere;
// - a restarted node keeps its modules (module store + versions on disk) and catches up on what
//   changed while it was down (a new module, a deletion).
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster as IoCluster } from 'ioredis';
import { keyHashSlot } from '../src/cluster/slot.js';
import { encodeModule, NULL_NAME } from '../src/cluster/bus.js';
import { CHUNK_BYTES, LODESTONE_MODULE_ID } from '../src/cluster/modules.js';
import { RawClient } from './helpers/raw-client.js';
import { until } from './helpers/poll.js';
import { freePort, HAVE_REDIS_CLI, HAVE_REDIS_SERVER, ProcessHandle, skipReason, startRedis } from './helpers/servers.js';
import {
  cli,
  clusterInfo,
  ClusterNode as Node,
  restartNode,
  startClusterNode,
  stopNode as stop,
  text,
  waitFunctions,
  wasmFunctions as functions,
} from './helpers/cluster.js';

const NEED = !HAVE_REDIS_SERVER || !HAVE_REDIS_CLI;
if (!HAVE_REDIS_SERVER) skipReason('cluster WASM tests (mixed node)', 'redis-server');
if (!HAVE_REDIS_CLI) skipReason('cluster WASM tests with redis-cli --cluster', 'redis-cli');

const RATELIMIT = readFileSync(new URL('../wasm-examples/build/ratelimit.wasm', import.meta.url));
const COUNTER = readFileSync(new URL('../wasm-examples/build/counter.wasm', import.meta.url));

/** `bytes` with a custom section of `size` bytes appended (still a valid module): a module over CHUNK_BYTES. */
function padded(bytes: Buffer, size: number): Buffer {
  const name = Buffer.from('pad');
  const body = Buffer.concat([Buffer.from([name.length]), name, Buffer.alloc(size, 0x5a)]);
  const leb: number[] = [];
  let n = body.length;
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n) b |= 0x80;
    leb.push(b);
  } while (n);
  return Buffer.concat([bytes, Buffer.from([0, ...leb]), body]);
}

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Bus messages as if from a known node (`sender`), over a connection of our own to a node's bus port. */
async function fakePeer(cport: number, sender: string): Promise<{ send: (type: number, payload: Buffer) => void; raw: (b: Buffer) => void; close: () => void }> {
  const sock = net.connect({ host: '127.0.0.1', port: cport });
  await new Promise<void>((resolve, reject) => sock.once('connect', resolve).once('error', reject));
  sock.on('error', () => {});
  const h = { port: 1, cport: 1, currentEpoch: 0, configEpoch: 0, sender, slots: new Uint8Array(2048), slaveof: NULL_NAME, flags: 1, state: 0 };
  return {
    send: (type, payload) => sock.write(encodeModule(h, LODESTONE_MODULE_ID, type, payload)),
    raw: (b) => sock.write(b),
    close: () => sock.destroy(),
  };
}

function chunk(head: object, data: Buffer): Buffer {
  const h = Buffer.from(JSON.stringify(head));
  const p = Buffer.alloc(4 + h.length + data.length);
  p.writeUInt32BE(h.length, 0);
  h.copy(p, 4);
  data.copy(p, 4 + h.length);
  return p;
}

const TIMEOUT = '3000';
const startNode = (): Promise<Node> => startClusterNode('lodestone', Number(TIMEOUT));

describe.skipIf(NEED)('WASM modules carried by the cluster bus', () => {
  const nodes: Node[] = [];
  let redis: ProcessHandle | null = null;
  let redisClient: RawClient | null = null;
  let io: IoCluster | null = null;
  let rlSha = '';

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) nodes.push(await startNode());
  }, 60_000);

  afterAll(async () => {
    io?.disconnect();
    for (const n of nodes) await stop(n);
    redisClient?.close();
    await redis?.close();
  });

  it('WASM.LOAD … CLUSTER on one node loads the module on every node', async () => {
    await cli(['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-yes']);
    for (const n of nodes) {
      await until(async () => (await clusterInfo(n.c)).cluster_state === 'ok', 30_000, `cluster ok on ${n.port}`);
    }
    // The per-node way (docs/CLUSTER.md): redis-cli --cluster call with a file in each module_dir.
    for (const n of nodes) {
      mkdirSync(join(n.dir, 'wasm'), { recursive: true });
      copyFileSync(new URL('../wasm-examples/build/counter.wasm', import.meta.url), join(n.dir, 'wasm', 'counter.wasm'));
    }
    await cli(['--cluster', 'call', `127.0.0.1:${nodes[0].port}`, 'WASM.LOAD', 'percall', 'counter.wasm', 'PERMISSIONS', 'WRITE']);
    await waitFunctions(nodes, { percall: sha(COUNTER) }, 'percall loaded by --cluster call');
    await cli(['--cluster', 'call', `127.0.0.1:${nodes[0].port}`, 'WASM.UNLOAD', 'percall']);
    await waitFunctions(nodes, { percall: undefined }, 'percall unloaded by --cluster call');

    expect(await nodes[0].c.call('WASM.LOAD', 'rl', RATELIMIT, 'PERMISSIONS', 'WRITE', 'CLUSTER')).toEqual({ t: 'status', v: 'OK' });
    rlSha = (await functions(nodes[0].c)).get('rl')!;
    expect(rlSha).toMatch(/^[0-9a-f]{64}$/);
    await waitFunctions(nodes, { rl: rlSha }, 'rl loaded');
    // The permissions travel with the module: WASM.INFO on another node shows WRITE.
    const info = await nodes[2].c.call('WASM.INFO', 'rl');
    expect(JSON.stringify(info)).toContain('"write"');
    // A plain WASM.LOAD / UNLOAD of a cluster-wide name on one node is refused.
    const refused = await nodes[1].c.call('WASM.LOAD', 'rl', COUNTER, 'REPLACE');
    expect(refused.t).toBe('error');
    expect(text(refused)).toContain('cluster-wide');
    expect(text(await nodes[1].c.call('WASM.UNLOAD', 'rl'))).toContain('cluster-wide');
    expect((await functions(nodes[1].c)).get('rl')).toBe(rlSha);
  }, 180_000);

  it('ioredis Cluster calls it on keys in every node\'s slots; CROSSSLOT; no keys runs where sent', async () => {
    io = new IoCluster([{ host: '127.0.0.1', port: nodes[0].port }]);
    const keys = Array.from({ length: 300 }, (_, i) => `rl:user:${i}`);
    const first = await Promise.all(keys.map((k) => io!.call('WASM.CALL', 'rl', 'KEYS', k, 'ARGS', '3', '60')));
    expect(first.every((r) => JSON.stringify(r) === '[1,2,0]')).toBe(true);
    const second = await Promise.all(keys.map((k) => io!.call('WASM.CALL', 'rl', 'KEYS', k, 'ARGS', '3', '60')));
    expect(second.every((r) => JSON.stringify(r) === '[1,1,0]')).toBe(true);
    // Each node ran it on the keys of its own slots.
    const counts = await Promise.all(nodes.map(async (n) => Number(text(await n.c.call('DBSIZE')))));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(300);
    expect(counts.every((c) => c > 50)).toBe(true);
    // Keys in two slots: CROSSSLOT, as for EVAL.
    const k2 = keys.find((k) => keyHashSlot(k) !== keyHashSlot(keys[0]))!;
    expect(await nodes[0].c.call('WASM.CALL', 'rl', 'KEYS', keys[0], k2, 'ARGS', '3', '60')).toEqual({
      t: 'error',
      v: "CROSSSLOT Keys in request don't hash to the same slot",
    });
    // No keys: the node it is sent to runs it (the function's own usage error, not MOVED).
    for (const n of nodes) {
      const r = await n.c.call('WASM.CALL', 'rl', 'ARGS', '3', '60');
      expect(r.t).toBe('error');
      expect(text(r)).toContain('usage: WASM.CALL ratelimit');
    }
  }, 120_000);

  it('a node added with redis-cli --cluster add-node gets the module; a redis-server node ignores the messages', async () => {
    const n4 = await startNode();
    nodes.push(n4);
    expect((await functions(n4.c)).size).toBe(0);
    await cli(['--cluster', 'add-node', `127.0.0.1:${n4.port}`, `127.0.0.1:${nodes[0].port}`]);
    await waitFunctions([n4], { rl: rlSha }, 'rl on the added node');
    expect(text(await n4.c.call('WASM.CALL', 'rl', 'ARGS', '1', '1'))).toContain('usage: WASM.CALL ratelimit');

    const rcport = await freePort();
    redis = await startRedis(['--cluster-enabled', 'yes', '--cluster-port', String(rcport), '--cluster-node-timeout', TIMEOUT]);
    redisClient = await RawClient.connect(redis.port);
    await cli(['--cluster', 'add-node', `127.0.0.1:${redis.port}`, `127.0.0.1:${nodes[1].port}`]);
    // Lodestone nodes send their digests to it too: Redis counts them and drops them.
    await until(async () => Number((await clusterInfo(redisClient!)).cluster_stats_messages_module_received ?? 0) > 0, 60_000, 'redis-server got MODULE messages');
    await until(async () => (await clusterInfo(redisClient!)).cluster_known_nodes === '5', 60_000, 'redis-server knows 5 nodes');
    for (const n of nodes) await until(async () => (await clusterInfo(n.c)).cluster_known_nodes === '5', 60_000, `5 nodes on ${n.port}`);
    await until(
      async () => {
        const out = await cli(['--cluster', 'check', `127.0.0.1:${redis!.port}`]);
        return out.includes('[OK] All nodes agree about slots configuration.') && out.includes('[OK] All 16384 slots covered.') && !out.includes('[ERR]');
      },
      60_000,
      'clean --cluster check with the redis-server node',
    );
    const links = text(await redisClient.call('CLUSTER', 'NODES')).split('\n').filter((l) => l.includes('master'));
    expect(links.length).toBe(5);
    expect(links.every((l) => l.includes(' connected') && !l.includes('fail'))).toBe(true);
  }, 240_000);

  it('a module larger than one bus message travels in chunks', async () => {
    const big = padded(RATELIMIT, 3 * CHUNK_BYTES + 12345);
    expect(big.length).toBeGreaterThan(3 * CHUNK_BYTES);
    expect(await nodes[3].c.call('WASM.LOAD', 'big', big, 'PERMISSIONS', 'WRITE', 'CLUSTER')).toEqual({ t: 'status', v: 'OK' });
    await waitFunctions(nodes, { big: sha(big) }, 'big loaded');
    expect(JSON.stringify(await io!.call('WASM.CALL', 'big', 'KEYS', 'big:1', 'ARGS', '3', '60'))).toBe('[1,2,0]');
    expect(await nodes[0].c.call('WASM.UNLOAD', 'big', 'CLUSTER')).toEqual({ t: 'status', v: 'OK' });
    await waitFunctions(nodes, { big: undefined }, 'big unloaded');
  }, 120_000);

  it('concurrent WASM.LOAD … CLUSTER of one name on two nodes ends with one winner everywhere', async () => {
    const replies = await Promise.all([
      nodes[0].c.call('WASM.LOAD', 'race', RATELIMIT, 'REPLACE', 'PERMISSIONS', 'WRITE', 'CLUSTER'),
      nodes[1].c.call('WASM.LOAD', 'race', COUNTER, 'REPLACE', 'PERMISSIONS', 'WRITE', 'CLUSTER'),
    ]);
    expect(replies).toEqual([{ t: 'status', v: 'OK' }, { t: 'status', v: 'OK' }]);
    const candidates = [sha(RATELIMIT), sha(COUNTER)];
    await until(
      async () => {
        const seen = await Promise.all(nodes.map(async (n) => (await functions(n.c)).get('race')));
        return seen.every((x) => x !== undefined && x === seen[0] && candidates.includes(x));
      },
      60_000,
      'one version of race on every node',
    );
    expect(await nodes[2].c.call('WASM.UNLOAD', 'race', 'CLUSTER')).toEqual({ t: 'status', v: 'OK' });
    await waitFunctions(nodes, { race: undefined }, 'race unloaded');
  }, 120_000);

  it('a hostile or broken peer cannot load a bad module or crash a node', async () => {
    const target = nodes[2];
    const me = text(await nodes[0].c.call('CLUSTER', 'MYID'));
    const peer = await fakePeer(target.cport, me);
    try {
      // Malformed payloads and a MODULE message whose length field lies.
      peer.send(1, Buffer.from('{not json'));
      peer.send(3, Buffer.from([0, 0]));
      const lying = encodeModule({ port: 1, cport: 1, currentEpoch: 0, configEpoch: 0, sender: me, slots: new Uint8Array(2048), slaveof: NULL_NAME, flags: 1, state: 0 }, LODESTONE_MODULE_ID, 1, Buffer.from('{}'));
      lying.writeUInt32BE(999, 2256 + 8);
      peer.raw(lying);
      // A digest announcing three modules, then chunks: bytes that are not a valid module (the
      // sha256 matches), a total over wasm.limits.max_module_bytes, and bytes that do not match
      // the announced sha256.
      const junk = Buffer.concat([Buffer.from('\0asm\x01\0\0\0', 'latin1'), Buffer.alloc(64, 0xff)]);
      const huge = 2 ** 40;
      peer.send(1, Buffer.from(JSON.stringify({ v: 1, fns: [['junk', 1e6, me, sha(junk)], ['huge', 1e6, me, sha(junk)], ['liar', 1e6, me, sha(RATELIMIT)]] })));
      const head = { version: 1e6, origin: me, permissions: ['ADMIN'], off: 0 };
      peer.send(3, chunk({ ...head, name: 'junk', sha256: sha(junk), total: junk.length }, junk));
      peer.send(3, chunk({ ...head, name: 'huge', sha256: sha(junk), total: huge }, junk));
      peer.send(3, chunk({ ...head, name: 'liar', sha256: sha(RATELIMIT), total: junk.length }, junk));
      await until(() => (target.h.output().match(/not loaded:/g) ?? []).length >= 3, 30_000, 'three refusals logged');
      expect(target.h.output()).toContain("WASM function 'junk'");
      expect(target.h.output()).toContain('over wasm.limits.max_module_bytes');
      expect(target.h.output()).toContain('sha256 of the received bytes does not match');
    } finally {
      peer.close();
    }
    expect(await target.c.call('PING')).toEqual({ t: 'status', v: 'PONG' });
    const f = await functions(target.c);
    expect(f.has('junk') || f.has('huge') || f.has('liar')).toBe(false);
    expect(f.get('rl')).toBe(rlSha);
    expect((await clusterInfo(target.c)).cluster_state).toBe('ok');
  }, 120_000);

  it('WASM.UNLOAD … CLUSTER unloads it on every node', async () => {
    expect(await nodes[2].c.call('WASM.UNLOAD', 'rl', 'CLUSTER')).toEqual({ t: 'status', v: 'OK' });
    await waitFunctions(nodes, { rl: undefined }, 'rl unloaded');
    expect(text(await nodes[3].c.call('WASM.CALL', 'rl'))).toContain("no such wasm function 'rl'");
    // The name is free again for a plain, local WASM.LOAD.
    expect(await nodes[1].c.call('WASM.LOAD', 'local', COUNTER)).toEqual({ t: 'status', v: 'OK' });
    expect(await nodes[1].c.call('WASM.UNLOAD', 'local')).toEqual({ t: 'status', v: 'OK' });
  }, 120_000);

  it('a restarted node keeps its modules and catches up on what changed while it was down', async () => {
    io?.disconnect();
    io = null;
    expect(await nodes[0].c.call('WASM.LOAD', 'keep', RATELIMIT, 'PERMISSIONS', 'WRITE', 'CLUSTER')).toEqual({ t: 'status', v: 'OK' });
    expect(await nodes[0].c.call('WASM.LOAD', 'gone', COUNTER, 'PERMISSIONS', 'WRITE', 'CLUSTER')).toEqual({ t: 'status', v: 'OK' });
    const counterSha = (await functions(nodes[0].c)).get('gone')!;
    await waitFunctions(nodes, { keep: rlSha, gone: counterSha }, 'keep and gone loaded');

    const old = nodes[1];
    await stop(old);
    // While it is down: one module is deleted and another one loaded, cluster-wide.
    expect(await nodes[0].c.call('WASM.UNLOAD', 'gone', 'CLUSTER')).toEqual({ t: 'status', v: 'OK' });
    expect(await nodes[2].c.call('WASM.LOAD', 'late', COUNTER, 'PERMISSIONS', 'WRITE', 'CLUSTER')).toEqual({ t: 'status', v: 'OK' });
    await waitFunctions([nodes[0], nodes[2], nodes[3]], { keep: rlSha, gone: undefined, late: counterSha }, 'changes while down');

    await restartNode(old);
    const again = old;
    // From its own module store, before any bus exchange: what it had when it stopped.
    const atStart = await functions(again.c);
    expect(atStart.get('keep')).toBe(rlSha);
    // Then the bus brings it up to date.
    await waitFunctions([again], { keep: rlSha, gone: undefined, late: counterSha }, 'restarted node caught up');
    await until(async () => (await clusterInfo(again.c)).cluster_state === 'ok', 60_000, 'restarted node ok');
  }, 240_000);
});
