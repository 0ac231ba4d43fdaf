// Redis Cluster: Lodestone nodes against Redis 7.0.15's own cluster, tools and clients.
// - keyHashSlot against CLUSTER KEYSLOT of a real redis-server on many keys (hash tags included);
// - a fresh Lodestone node and a fresh redis-server node (both --cluster-enabled) answer the same
//   commands identically, errors included;
// - a mixed cluster (two Lodestone processes + one redis-server) made by `redis-cli --cluster
//   create`: `--cluster check` is clean, and MOVED / ASK / TRYAGAIN / CROSSSLOT answers compare with
//   the redis-server node's;
// - three Lodestone processes (from dist/): create, check, ioredis Cluster across slots (pipelines,
//   MULTI on one slot), `--cluster reshard` moving slots with keys (MIGRATE), a killed node is
//   flagged FAIL by the others.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Cluster as IoCluster } from 'ioredis';
import { keyHashSlot, crc16 } from '../src/cluster/slot.js';
import { RawClient } from './helpers/raw-client.js';
import type { RespValue } from './helpers/resp.js';
import { until } from './helpers/poll.js';
import {
  freePort,
  HAVE_REDIS_CLI,
  HAVE_REDIS_SERVER,
  ProcessHandle,
  skipReason,
  startLodestoneProcess,
  startRedis,
} from './helpers/servers.js';

const run = promisify(execFile);
const NEED = !HAVE_REDIS_SERVER || !HAVE_REDIS_CLI;
if (!HAVE_REDIS_SERVER) skipReason('cluster tests against redis-server', 'redis-server');
if (!HAVE_REDIS_CLI) skipReason('cluster tests with redis-cli --cluster', 'redis-cli');

interface Node {
  kind: 'lodestone' | 'redis';
  h: ProcessHandle;
  port: number;
  c: RawClient;
}

async function startNode(kind: 'lodestone' | 'redis', timeoutMs = 3000): Promise<Node> {
  const cport = await freePort();
  const args = ['--cluster-enabled', 'yes', '--cluster-port', String(cport), '--cluster-node-timeout', String(timeoutMs)];
  const h = kind === 'lodestone' ? await startLodestoneProcess(args) : await startRedis(args);
  const c = await RawClient.connect(h.port);
  return { kind, h, port: h.port, c };
}

async function stopAll(nodes: Node[]): Promise<void> {
  for (const n of nodes) {
    n.c.close();
    await n.h.close();
  }
}

function text(v: RespValue): string {
  if (v.t === 'bulk' || v.t === 'status' || v.t === 'error' || v.t === 'verbatim' || v.t === 'int') return v.v;
  throw new Error(`unexpected reply ${JSON.stringify(v)}`);
}

async function cli(args: string[], timeoutMs = 120_000): Promise<string> {
  try {
    const { stdout, stderr } = await run('redis-cli', args, { timeout: timeoutMs });
    return plain(stdout + stderr);
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`redis-cli ${args.join(' ')} failed: ${e.message}\n${plain((e.stdout ?? '') + (e.stderr ?? ''))}`);
  }
}

function plain(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;]*m/g, '');
}

/** `redis-cli --cluster create` over the nodes, then wait until every node says cluster_state:ok. */
async function createCluster(nodes: Node[]): Promise<string> {
  const out = await cli(['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-yes']);
  for (const n of nodes) {
    await until(async () => text(await n.c.call('CLUSTER', 'INFO')).startsWith('cluster_state:ok'), 30_000, `cluster ok on ${n.port}`);
  }
  return out;
}

function expectCheckClean(out: string, nodes: number): void {
  expect(out).toContain('[OK] All nodes agree about slots configuration.');
  expect(out).toContain('[OK] All 16384 slots covered.');
  expect(out).not.toContain('[WARNING]');
  expect(out).not.toContain('[ERR]');
  expect(out.match(/^M: /gm)?.length).toBe(nodes);
}

/** A key (k0, k1, …) whose slot the given node serves, by its CLUSTER NODES view of itself. */
async function keyServedBy(n: Node, prefix = 'k'): Promise<string> {
  const ranges = mySlots(text(await n.c.call('CLUSTER', 'NODES')));
  for (let i = 0; ; i++) {
    const k = `${prefix}${i}`;
    const s = keyHashSlot(k);
    if (ranges.some(([a, b]) => s >= a && s <= b)) return k;
  }
}

function mySlots(nodes: string): [number, number][] {
  const line = nodes.split('\n').find((l) => l.includes('myself'))!;
  return line
    .split(' ')
    .slice(8)
    .filter((s) => !s.startsWith('['))
    .map((s) => {
      const [a, b] = s.split('-').map(Number);
      return [a, b ?? a] as [number, number];
    });
}

describe('hash slots', () => {
  it('CRC16 and hash tags follow Redis (known values)', () => {
    expect(crc16('123456789')).toBe(0x31c3);
    expect(keyHashSlot('foo')).toBe(12182);
    expect(keyHashSlot('{user1000}.following')).toBe(keyHashSlot('{user1000}.followers'));
    expect(keyHashSlot('foo{}{bar}')).toBe(crc16('foo{}{bar}') & 0x3fff);
    expect(keyHashSlot('foo{{bar}}zap')).toBe(crc16('{bar') & 0x3fff);
    expect(keyHashSlot('foo{bar}{zap}')).toBe(crc16('bar') & 0x3fff);
  });

  describe.skipIf(!HAVE_REDIS_SERVER)('against CLUSTER KEYSLOT of redis-server', () => {
    let rs: Node;
    beforeAll(async () => {
      rs = await startNode('redis');
    });
    afterAll(async () => stopAll([rs]));

    it('agrees on 3000 keys, with and without hash tags, binary bytes included', async () => {
      const keys: string[] = ['', '{', '}', '{}', '{a', 'a}', '}{a}', '{{}}', '{a}{b}', 'x{}y{z}'];
      let seed = 12345;
      const rnd = (n: number) => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        return seed % n;
      };
      const alphabet = 'ab{}\x00\xff\x80z';
      while (keys.length < 3000) {
        let k = '';
        const len = rnd(12);
        for (let i = 0; i < len; i++) k += rnd(3) === 0 ? alphabet[rnd(alphabet.length)] : String.fromCharCode(rnd(256));
        keys.push(k);
      }
      for (const k of keys) {
        rs.c.writeRaw(Buffer.concat([Buffer.from(`*3\r\n$7\r\nCLUSTER\r\n$7\r\nKEYSLOT\r\n$${k.length}\r\n`), Buffer.from(k, 'latin1'), Buffer.from('\r\n')]));
      }
      for (const k of keys) {
        const r = await rs.c.read();
        expect({ k, slot: keyHashSlot(k) }).toEqual({ k, slot: Number(text(r)) });
      }
    });
  });
});

describe.skipIf(!HAVE_REDIS_SERVER)('a fresh cluster node: Lodestone vs redis-server', () => {
  let ls: Node;
  let rs: Node;
  beforeAll(async () => {
    [ls, rs] = await Promise.all([startNode('lodestone'), startNode('redis')]);
  });
  afterAll(async () => stopAll([ls, rs]));

  /** Replies must be equal once each node's own id and port are replaced by placeholders. */
  async function same(...cmds: (string | number)[][]): Promise<void> {
    const lid = text(await ls.c.call('CLUSTER', 'MYID'));
    const rid = text(await rs.c.call('CLUSTER', 'MYID'));
    for (const cmd of cmds) {
      const norm = (v: RespValue, id: string, port: number) =>
        JSON.stringify(v).split(id).join('<id>').split(String(port)).join('<port>');
      const a = norm(await ls.c.call(...cmd), lid, ls.port);
      const b = norm(await rs.c.call(...cmd), rid, rs.port);
      expect({ cmd, reply: a }).toEqual({ cmd, reply: b });
    }
  }

  it('answers like Redis before any slot is assigned', async () => {
    await same(
      ['CLUSTER', 'KEYSLOT', '{user1000}.following'],
      ['CLUSTER', 'MYID'],
      ['CLUSTER', 'COUNTKEYSINSLOT', '99999'],
      ['CLUSTER', 'COUNTKEYSINSLOT', 'x'],
      ['CLUSTER', 'COUNTKEYSINSLOT', '5'],
      ['CLUSTER', 'GETKEYSINSLOT', '1', '-1'],
      ['CLUSTER', 'GETKEYSINSLOT', '1', '10'],
      ['CLUSTER', 'ADDSLOTSRANGE', '5', '3'],
      ['CLUSTER', 'ADDSLOTSRANGE', '5'],
      ['CLUSTER', 'ADDSLOTS', '5', '5'],
      ['CLUSTER', 'ADDSLOTS', '16384'],
      ['CLUSTER', 'ADDSLOTS', 'x'],
      ['CLUSTER', 'DELSLOTS', '7'],
      ['CLUSTER', 'DELSLOTSRANGE', '7', '9'],
      ['CLUSTER', 'SETSLOT', '7', 'foo'],
      ['CLUSTER', 'SETSLOT', '7', 'migrating', 'abc'],
      ['CLUSTER', 'SETSLOT', '7', 'node', 'abc'],
      ['CLUSTER', 'SETSLOT', '7', 'importing', 'abc'],
      ['CLUSTER', 'SETSLOT', '99999', 'stable'],
      ['CLUSTER', 'SETSLOT', '7', 'stable', 'x'],
      ['CLUSTER', 'MEET', '1.2.3', '5'],
      ['CLUSTER', 'FORGET', 'abc'],
      ['CLUSTER', 'COUNT-FAILURE-REPORTS', 'x'],
      ['CLUSTER', 'REPLICAS', 'x'],
      ['CLUSTER', 'SET-CONFIG-EPOCH', '-1'],
      ['CLUSTER', 'RESET', 'bad'],
      ['CLUSTER', 'FAILOVER'],
      ['CLUSTER', 'HELP'],
      ['CLUSTER', 'NOPE'],
      ['SELECT', '1'],
      ['SELECT', '0'],
      ['SWAPDB', '0', '1'],
      ['READONLY'],
      ['READWRITE'],
      ['ASKING'],
      ['GET', 'foo'],
      ['MGET', 'a', 'b'],
      ['PING'],
    );
  });

  it('answers like Redis with slots assigned and epochs set', async () => {
    await same(
      ['CLUSTER', 'ADDSLOTSRANGE', '0', '99', '200', '300'],
      ['CLUSTER', 'ADDSLOTS', '150', '151'],
      ['CLUSTER', 'ADDSLOTS', '50'],
      ['CLUSTER', 'DELSLOTS', '151'],
      ['CLUSTER', 'SET-CONFIG-EPOCH', '5'],
      ['CLUSTER', 'SET-CONFIG-EPOCH', '6'],
      ['CLUSTER', 'BUMPEPOCH'],
      ['CLUSTER', 'SETSLOT', '1', 'importing', 'abc'],
      ['CLUSTER', 'SLOTS'],
    );
    for (const n of [ls, rs]) {
      const id = text(await n.c.call('CLUSTER', 'MYID'));
      expect(await n.c.call('CLUSTER', 'FORGET', id)).toEqual({ t: 'error', v: "ERR I tried hard but I can't forget myself..." });
      expect(await n.c.call('CLUSTER', 'SETSLOT', '1', 'IMPORTING', id)).toEqual({ t: 'error', v: "ERR I'm already the owner of hash slot 1" });
    }
    // Lines of CLUSTER NODES: same fields (the redis-server node learned no ip: ":port@cport").
    const ln = text(await ls.c.call('CLUSTER', 'NODES')).split(' ');
    const rn = text(await rs.c.call('CLUSTER', 'NODES')).split(' ');
    expect(ln.slice(2).join(' ')).toBe(rn.slice(2).join(' '));
  });
});

describe.skipIf(NEED)('a mixed cluster: two Lodestone processes and one redis-server', () => {
  let nodes: Node[];
  beforeAll(async () => {
    nodes = [await startNode('lodestone'), await startNode('lodestone'), await startNode('redis')];
    await createCluster(nodes);
  }, 180_000);
  afterAll(async () => stopAll(nodes));

  it('passes redis-cli --cluster check from every node', async () => {
    for (const n of nodes) expectCheckClean(await cli(['--cluster', 'check', `127.0.0.1:${n.port}`]), 3);
  });

  it('redirects like redis-server: MOVED, CROSSSLOT, CLUSTER KEYSLOT', async () => {
    const [a, b, r] = nodes;
    for (const owner of nodes) {
      const key = await keyServedBy(owner);
      const expected = { t: 'error', v: `MOVED ${keyHashSlot(key)} 127.0.0.1:${owner.port}` };
      for (const other of nodes) {
        if (other === owner) expect(await other.c.call('SET', key, 'v')).toEqual({ t: 'status', v: 'OK' });
        else expect(await other.c.call('GET', key)).toEqual(expected);
      }
    }
    const ka = await keyServedBy(a);
    const kr = await keyServedBy(r);
    for (const n of [a, b, r]) {
      expect(await n.c.call('MGET', ka, kr)).toEqual({ t: 'error', v: "CROSSSLOT Keys in request don't hash to the same slot" });
      expect(await n.c.call('EVAL', 'return 1', '2', ka, kr)).toEqual({ t: 'error', v: "CROSSSLOT Keys in request don't hash to the same slot" });
    }
    // A transaction: the redirection aborts it, EXEC answers it, as Redis.
    for (const n of [a, r]) {
      const foreign = n === a ? kr : ka;
      expect(await n.c.call('MULTI')).toEqual({ t: 'status', v: 'OK' });
      const moved = await n.c.call('SET', foreign, '1');
      expect(moved.t).toBe('error');
      expect(text(await n.c.call('EXEC'))).toBe('EXECABORT Transaction discarded because of previous errors.');
    }
  });

  it('ASK and TRYAGAIN while a slot migrates, the same from a Lodestone owner and the redis-server owner', async () => {
    const [a, , r] = nodes;
    const ida = text(await a.c.call('CLUSTER', 'MYID'));
    const idr = text(await r.c.call('CLUSTER', 'MYID'));
    const results: Record<string, string[]> = {};
    for (const [owner, target, targetId, ownerId] of [[a, r, idr, ida], [r, a, ida, idr]] as const) {
      const present = await keyServedBy(owner, `ask-${owner.kind}-`);
      const slot = keyHashSlot(present);
      // A second key of the same slot, absent.
      let missing = '';
      for (let i = 0; ; i++) {
        missing = `{${present}}m${i}`;
        if (keyHashSlot(missing) === slot) break;
      }
      await owner.c.call('SET', present, 'v');
      expect(await target.c.call('CLUSTER', 'SETSLOT', slot, 'IMPORTING', ownerId)).toEqual({ t: 'status', v: 'OK' });
      expect(await owner.c.call('CLUSTER', 'SETSLOT', slot, 'MIGRATING', targetId)).toEqual({ t: 'status', v: 'OK' });
      const out: string[] = [];
      const sub = (v: RespValue) => text(v).replace(String(slot), '<slot>').replace(`:${target.port}`, ':<target>').replace(`:${owner.port}`, ':<owner>');
      out.push(sub(await owner.c.call('GET', present)));
      out.push(sub(await owner.c.call('GET', missing)));
      out.push(sub(await owner.c.call('MGET', present, missing)));
      out.push(sub(await target.c.call('GET', missing)));
      await target.c.call('ASKING');
      out.push(JSON.stringify(await target.c.call('GET', missing)));
      out.push(sub(await target.c.call('GET', missing))); // ASKING lasts one command
      await target.c.call('ASKING');
      out.push(sub(await target.c.call('MGET', missing, `{${present}}other`)));
      // ASKING holds through MULTI … EXEC (the transaction runs on the importing slot) and is gone after.
      await target.c.call('ASKING');
      out.push(JSON.stringify(await target.c.call('MULTI')));
      out.push(JSON.stringify(await target.c.call('SET', missing, 'w')));
      out.push(JSON.stringify(await target.c.call('EXEC')));
      out.push(sub(await target.c.call('GET', missing)));
      results[owner.kind] = out;
      for (const n of [owner, target]) expect(await n.c.call('CLUSTER', 'SETSLOT', slot, 'STABLE')).toEqual({ t: 'status', v: 'OK' });
    }
    expect(results.lodestone).toEqual(results.redis);
    expect(results.lodestone[1]).toBe('ASK <slot> 127.0.0.1:<target>');
  });
});

describe.skipIf(NEED)('three Lodestone processes', () => {
  let nodes: Node[];
  let io: IoCluster;
  beforeAll(async () => {
    nodes = [await startNode('lodestone'), await startNode('lodestone'), await startNode('lodestone')];
  }, 60_000);
  afterAll(async () => {
    io?.disconnect();
    await stopAll(nodes);
  });

  it('redis-cli --cluster create succeeds and check is clean', async () => {
    const out = await createCluster(nodes);
    expect(out).toContain('[OK] All 16384 slots covered.');
    expectCheckClean(await cli(['--cluster', 'check', `127.0.0.1:${nodes[1].port}`]), 3);
  }, 180_000);

  it('ioredis Cluster writes and reads keys across slots, pipelines and MULTI on one slot', async () => {
    io = new IoCluster([{ host: '127.0.0.1', port: nodes[0].port }]);
    for (let i = 0; i < 2000; i += 200) {
      await Promise.all(Array.from({ length: 200 }, (_, j) => io.set(`key:${i + j}`, `v${i + j}`)));
    }
    // ioredis pipelines must stay on one node: one hash tag.
    const p = io.pipeline();
    for (let j = 0; j < 50; j++) p.incr('{pipe}:n');
    expect((await p.exec())!.at(-1)).toEqual([null, 50]);
    const got = await Promise.all(Array.from({ length: 2000 }, (_, i) => io.get(`key:${i}`)));
    expect(got.every((v, i) => v === `v${i}`)).toBe(true);
    const counts = await Promise.all(nodes.map(async (n) => Number(text(await n.c.call('DBSIZE')))));
    expect(counts.reduce((x, y) => x + y, 0)).toBe(2001); // and {pipe}:n
    expect(counts.every((c) => c > 400)).toBe(true);
    expect(await io.multi().set('{user:1}:a', '1').incr('{user:1}:n').get('{user:1}:a').exec()).toEqual([
      [null, 'OK'],
      [null, 1],
      [null, '1'],
    ]);
    // COUNTKEYSINSLOT / GETKEYSINSLOT from the per-slot index agree with where the keys went.
    const slot = keyHashSlot('key:7');
    let total = 0;
    for (const n of nodes) total += Number(text(await n.c.call('CLUSTER', 'COUNTKEYSINSLOT', slot)));
    const expected = Array.from({ length: 2000 }, (_, i) => `key:${i}`).filter((k) => keyHashSlot(k) === slot);
    expect(total).toBe(expected.length);
  });

  it('EVAL, FCALL and WASM.CALL keys spanning slots get CROSSSLOT; PUBLISH reaches every node', async () => {
    const cross = { t: 'error', v: "CROSSSLOT Keys in request don't hash to the same slot" };
    const n = nodes[0];
    const k1 = await keyServedBy(n);
    let k2 = '';
    for (let i = 0; ; i++) {
      k2 = `${k1}x${i}`;
      if (keyHashSlot(k2) !== keyHashSlot(k1) && (await n.c.call('GET', k2)).t === 'error') break;
    }
    expect(await n.c.call('EVAL', 'return 1', '2', k1, k2)).toEqual(cross);
    expect(await n.c.call('FCALL', 'f', '2', k1, k2)).toEqual(cross);
    expect(await n.c.call('WASM.CALL', 'f', 'KEYS', k1, k2)).toEqual(cross);
    expect(await n.c.call('EVAL', 'return 1', '0')).toEqual({ t: 'int', v: '1' });
    const sub = await RawClient.connect(nodes[1].port);
    try {
      await sub.call('SUBSCRIBE', 'news');
      await n.c.call('PUBLISH', 'news', 'hello');
      const msg = await sub.read(10_000);
      expect(msg).toEqual({ t: 'array', v: [{ t: 'bulk', v: 'message' }, { t: 'bulk', v: 'news' }, { t: 'bulk', v: 'hello' }] });
    } finally {
      sub.close();
    }
  });

  it('redis-cli --cluster reshard moves slots with their keys (MIGRATE); clients keep reading', async () => {
    const from = text(await nodes[0].c.call('CLUSTER', 'MYID'));
    const to = text(await nodes[1].c.call('CLUSTER', 'MYID'));
    await cli(['--cluster', 'reshard', `127.0.0.1:${nodes[0].port}`, '--cluster-from', from, '--cluster-to', to, '--cluster-slots', '500', '--cluster-yes']);
    for (const n of nodes) {
      await until(async () => (await cli(['--cluster', 'check', `127.0.0.1:${n.port}`])).includes('[OK] All nodes agree'), 30_000, 'agreement');
    }
    expectCheckClean(await cli(['--cluster', 'check', `127.0.0.1:${nodes[2].port}`]), 3);
    const got = await Promise.all(Array.from({ length: 2000 }, (_, i) => io.get(`key:${i}`)));
    expect(got.every((v, i) => v === `v${i}`)).toBe(true);
    const ranges = mySlots(text(await nodes[1].c.call('CLUSTER', 'NODES')));
    expect(ranges.reduce((s, [x, y]) => s + y - x + 1, 0)).toBe(5462 + 500);
  }, 180_000);

  it('redis-cli --cluster add-node, reshard to it, reshard back and del-node', async () => {
    const extra = await startNode('lodestone');
    try {
      await cli(['--cluster', 'add-node', `127.0.0.1:${extra.port}`, `127.0.0.1:${nodes[0].port}`]);
      const idNew = text(await extra.c.call('CLUSTER', 'MYID'));
      const id0 = text(await nodes[0].c.call('CLUSTER', 'MYID'));
      for (const n of [...nodes, extra]) {
        // Known by its real id (not only as a handshake node): SETSLOT NODE goes to every master.
        await until(async () => text(await n.c.call('CLUSTER', 'NODES')).split('\n').filter((l) => l.startsWith(idNew) && !l.includes('handshake')).length === 1, 30_000, 'new node known');
      }
      await cli(['--cluster', 'reshard', `127.0.0.1:${nodes[0].port}`, '--cluster-from', id0, '--cluster-to', idNew, '--cluster-slots', '200', '--cluster-yes']);
      await until(async () => (await cli(['--cluster', 'check', `127.0.0.1:${extra.port}`])).includes('[OK] All nodes agree'), 30_000, 'agreement');
      expectCheckClean(await cli(['--cluster', 'check', `127.0.0.1:${extra.port}`]), 4);
      expect(Number(text(await extra.c.call('DBSIZE')))).toBeGreaterThan(0);
      const got = await Promise.all(Array.from({ length: 2000 }, (_, i) => io.get(`key:${i}`)));
      expect(got.every((v, i) => v === `v${i}`)).toBe(true);
      await cli(['--cluster', 'reshard', `127.0.0.1:${nodes[0].port}`, '--cluster-from', idNew, '--cluster-to', id0, '--cluster-slots', '200', '--cluster-yes']);
      await until(async () => (await cli(['--cluster', 'check', `127.0.0.1:${nodes[0].port}`])).includes('[OK] All nodes agree'), 30_000, 'agreement');
      await cli(['--cluster', 'del-node', `127.0.0.1:${nodes[0].port}`, idNew]);
      for (const n of nodes) {
        await until(async () => text(await n.c.call('CLUSTER', 'INFO')).includes('cluster_known_nodes:3'), 30_000, 'three nodes known');
      }
      expectCheckClean(await cli(['--cluster', 'check', `127.0.0.1:${nodes[1].port}`]), 3);
      const again = await Promise.all(Array.from({ length: 2000 }, (_, i) => io.get(`key:${i}`)));
      expect(again.every((v, i) => v === `v${i}`)).toBe(true);
    } finally {
      await stopAll([extra]);
    }
  }, 240_000);

  it('a killed node is flagged PFAIL then FAIL by the others, and the cluster goes down', async () => {
    const victim = nodes[2];
    const id = text(await victim.c.call('CLUSTER', 'MYID'));
    victim.c.close();
    await victim.h.close();
    for (const n of nodes.slice(0, 2)) {
      await until(async () => {
        const line = text(await n.c.call('CLUSTER', 'NODES')).split('\n').find((l) => l.startsWith(id)) ?? '';
        return line.split(' ')[2] === 'master,fail';
      }, 60_000, 'FAIL flag');
      await until(async () => text(await n.c.call('CLUSTER', 'INFO')).startsWith('cluster_state:fail'), 30_000, 'cluster down');
    }
    expect(await nodes[0].c.call('GET', await keyServedBy(nodes[0]))).toEqual({ t: 'error', v: 'CLUSTERDOWN The cluster is down' });
    nodes.pop();
  }, 120_000);
});
