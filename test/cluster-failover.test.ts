// Redis Cluster replicas and failover, with real processes (dist/ CLI), Redis 7.0.15's own tools
// and a cluster-aware client:
// - six Lodestone nodes made into 3 masters + 3 replicas by `redis-cli --cluster create
//   --cluster-replicas 1`; `--cluster check` is clean; the replicas have the data (READONLY GET)
//   and redirect writes with MOVED to their master;
// - kill -9 of a master: its replica wins the election and takes the slots, ioredis keeps writing
//   and reading, and no write that WAIT 1 acknowledged is lost;
// - the old master restarted from its nodes.conf rejoins as a replica of the new master;
// - CLUSTER FAILOVER (default, FORCE, TAKEOVER) on a replica swaps the roles;
// - a mixed cluster: a redis-server replica of a Lodestone master is elected by Lodestone masters,
//   and a Lodestone replica is elected by redis-server masters;
// - a Lodestone node next to a redis-server node answers the replica commands the same way, and
//   CLUSTER FAILOVER (default form) swaps a Lodestone replica with its redis-server master, and back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Cluster as IoCluster } from 'ioredis';
import { keyHashSlot } from '../src/cluster/slot.js';
import type { RespValue } from './helpers/resp.js';
import { info, sleep, until } from './helpers/poll.js';
import { HAVE_REDIS_CLI, HAVE_REDIS_SERVER, skipReason } from './helpers/servers.js';
import {
  checkClean,
  cli,
  ClusterNode as Node,
  ioCluster,
  isAlive,
  keyServedBy,
  nodeLine,
  plainOf,
  restartNode as restart,
  startClusterNode,
  stopNode as kill,
  stopNodes as stopAll,
  text,
  waitOk,
} from './helpers/cluster.js';

const NEED = !HAVE_REDIS_SERVER || !HAVE_REDIS_CLI;
if (!HAVE_REDIS_SERVER) skipReason('cluster failover tests', 'redis-server');
if (!HAVE_REDIS_CLI) skipReason('cluster failover tests with redis-cli --cluster', 'redis-cli');

const NODE_TIMEOUT = 1500;

const startNode = (kind: 'lodestone' | 'redis'): Promise<Node> => startClusterNode(kind, NODE_TIMEOUT);

/** Every live node agrees that `replica` replicates `master`, and the replica's link is up. */
async function waitReplicaOf(live: Node[], replica: Node, master: Node, what: string): Promise<void> {
  for (const n of live) {
    await until(async () => {
      const l = await nodeLine(n, replica.id);
      return l[2]?.split(',').includes('slave') === true && l[3] === master.id;
    }, 60_000, `${what}: ${n.port} sees ${replica.port} as a replica of ${master.port}`);
  }
  await until(async () => (await info(replica.c, 'replication')).master_link_status === 'up', 60_000, `${what}: link up`);
}

/** Every live node agrees that `master` is a master serving slots. */
async function waitMaster(live: Node[], master: Node, what: string): Promise<void> {
  for (const n of live) {
    await until(async () => {
      const l = await nodeLine(n, master.id);
      return l[2]?.split(',').includes('master') === true && l.length > 8 && !l[2].includes('fail');
    }, 60_000, `${what}: ${n.port} sees ${master.port} as a master with slots`);
  }
}

/** The replica applied its master's whole stream. */
async function waitSynced(replica: Node, master: Node): Promise<void> {
  await until(async () => (await info(replica.c, 'replication')).slave_repl_offset === (await info(master.c, 'replication')).master_repl_offset, 30_000, `${replica.port} synced with ${master.port}`);
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  return Promise.race([p, sleep(ms).then(() => 'timeout' as const)]);
}

describe.skipIf(NEED)('six Lodestone processes: 3 masters + 3 replicas', () => {
  let nodes: Node[];
  let io: IoCluster;
  const acked = new Map<string, string>();
  let victim: Node; // the master killed
  let heir: Node; // its replica

  const live = () => nodes.filter(isAlive);

  beforeAll(async () => {
    nodes = [];
    for (let i = 0; i < 6; i++) nodes.push(await startNode('lodestone'));
  }, 60_000);
  afterAll(async () => {
    io?.disconnect();
    await stopAll(live());
  });

  it('redis-cli --cluster create --cluster-replicas 1: every master gets a replica, check is clean', async () => {
    const out = await cli(['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes']);
    expect(out).toContain('[OK] All 16384 slots covered.');
    await waitOk(nodes);
    const masters: Node[] = [];
    for (const n of nodes) {
      const l = await nodeLine(n);
      if (l[2] === 'myself,master') masters.push(n);
    }
    expect(masters.length).toBe(3);
    for (const m of masters) {
      let reps: unknown[] = [];
      await until(async () => (reps = plainOf(await m.c.call('CLUSTER', 'REPLICAS', m.id)) as unknown[]).length === 1, 30_000, 'CLUSTER REPLICAS');
      const rid = String(reps[0]).split(' ')[0];
      const r = nodes.find((n) => n.id === rid)!;
      await waitReplicaOf(nodes, r, m, 'create');
      const rinfo = await info(r.c, 'replication');
      expect(rinfo.role).toBe('slave');
      expect(Number(rinfo.master_port)).toBe(m.port);
      // CLUSTER SLOTS lists the replica after its master; SHARDS gives its role and offset.
      const slots = plainOf(await m.c.call('CLUSTER', 'SLOTS')) as unknown[][];
      const mine = slots.find((e) => (e[2] as unknown[])[1] === String(m.port))!;
      expect(mine.length).toBe(4);
      expect(mine[3]).toEqual(['127.0.0.1', String(r.port), r.id, []]);
      const shards = plainOf(await r.c.call('CLUSTER', 'SHARDS')) as unknown[][];
      const shard = shards.find((sh) => (sh[3] as unknown[][]).some((n) => n[1] === m.id))!;
      const entry = (shard[3] as unknown[][]).find((n) => n[1] === r.id)!;
      expect(entry[entry.indexOf('role') + 1]).toBe('replica');
    }
    const check = await checkClean(nodes[0], 3, 3);
    expect(check.match(/1 additional replica\(s\)/g)?.length).toBe(3);
  }, 180_000);

  it('replicas have the data: READONLY reads are served, writes are redirected to the master', async () => {
    io = ioCluster(nodes[0].port);
    for (let i = 0; i < 300; i++) {
      await io.set(`key:${i}`, `v${i}`);
      acked.set(`key:${i}`, `v${i}`);
    }
    for (const r of nodes) {
      const l = await nodeLine(r);
      if (!l[2].includes('slave')) continue;
      const master = nodes.find((n) => n.id === l[3])!;
      const k = await keyServedBy(master, 'key:');
      const slot = keyHashSlot(k);
      expect(await r.c.call('GET', k)).toEqual({ t: 'error', v: `MOVED ${slot} 127.0.0.1:${master.port}` });
      expect(await r.c.call('READONLY')).toEqual({ t: 'status', v: 'OK' });
      await until(async () => text(await r.c.call('GET', k)) === acked.get(k), 30_000, 'replica has the key');
      expect(await r.c.call('SET', k, 'x')).toEqual({ t: 'error', v: `MOVED ${slot} 127.0.0.1:${master.port}` });
      expect(await r.c.call('READWRITE')).toEqual({ t: 'status', v: 'OK' });
      await waitSynced(r, master);
    }
  }, 120_000);

  it('kill -9 of a master: its replica is elected and takes the slots; no write acknowledged by WAIT 1 is lost', async () => {
    // The victim: the master of key:0's slot.
    const slot0 = keyHashSlot('key:0');
    for (const n of nodes) {
      const l = await nodeLine(n);
      if (l[2] === 'myself,master' && l.slice(8).some((s) => {
        const [a, b] = s.split('-').map(Number);
        return slot0 >= a && slot0 <= (b ?? a);
      })) victim = n;
    }
    const reps = (await victim.c.call('CLUSTER', 'REPLICAS', victim.id)) as { t: 'array'; v: RespValue[] };
    heir = nodes.find((n) => n.id === text(reps.v[0]).split(' ')[0])!;

    let stop = false;
    let i = 0;
    let ackedAfter = 0;
    let promoted = false;
    let failed = 0;
    const writer = (async () => {
      while (!stop) {
        const k = `w:${i++}`;
        const v = `x${i}`;
        // Before the kill a write counts once a replica has it (WAIT 1 on the same connection);
        // after the failover the new master has no replica yet, and its OK is the acknowledgement.
        const p = promoted ? io.pipeline().set(k, v) : io.pipeline().set(k, v).wait(1, 500);
        const r = await withTimeout(p.exec(), 5000).catch(() => null);
        if (r === null || r === 'timeout' || r.some(([err]) => err)) {
          failed++;
          await sleep(20);
          continue;
        }
        if (promoted || r[1][1] === 1) {
          acked.set(k, v);
          if (promoted) ackedAfter++;
        }
      }
    })();
    await until(() => acked.size >= 400, 60_000, 'writes before the kill');
    await kill(victim);
    const others = nodes.filter((n) => n !== victim);
    await waitMaster(others, heir, 'failover');
    await waitOk(others);
    expect((await nodeLine(heir))[2]).toBe('myself,master');
    expect((await info(heir.c, 'replication')).role).toBe('master');
    promoted = true;
    // Writes continue, to the slots the heir took over as well.
    await until(() => ackedAfter >= 300, 120_000, 'writes after the failover');
    const k0 = await keyServedBy(heir, 'after:');
    await io.set(k0, 'yes');
    expect(await io.get(k0)).toBe('yes');
    stop = true;
    await writer;
    // Every acknowledged write is there.
    const keys = [...acked.keys()];
    const got = await Promise.all(keys.map((k) => io.get(k)));
    const lost = keys.filter((k, j) => got[j] !== acked.get(k));
    expect(lost).toEqual([]);
    console.log(`failover: ${acked.size} acknowledged writes, ${failed} failed or timed out around the kill`);
  }, 300_000);

  it('the old master restarted from its nodes.conf rejoins as a replica of the new master', async () => {
    await restart(victim);
    await waitReplicaOf(live(), victim, heir, 'rejoin');
    expect((await nodeLine(victim))[2]).toBe('myself,slave');
    // It has the new master's data, writes made after the failover included.
    await victim.c.call('READONLY');
    const k = await keyServedBy(heir, 'w:');
    await until(async () => text(await victim.c.call('GET', k)) === acked.get(k), 30_000, 'old master has the data');
    await victim.c.call('READWRITE');
    const reps = (await heir.c.call('CLUSTER', 'REPLICAS', heir.id)) as { t: 'array'; v: RespValue[] };
    expect(reps.v.map((r) => text(r).split(' ')[0])).toEqual([victim.id]);
    await checkClean(heir, 3, 3);
  }, 180_000);

  it('CLUSTER FAILOVER (default, FORCE, TAKEOVER) on a replica swaps the roles', async () => {
    expect(await heir.c.call('CLUSTER', 'FAILOVER')).toEqual({ t: 'error', v: 'ERR You should send CLUSTER FAILOVER to a replica' });
    let [master, replica] = [heir, victim];
    for (const form of [[], ['FORCE'], ['TAKEOVER']]) {
      await waitReplicaOf(live(), replica, master, `before FAILOVER ${form.join('')}`);
      await io.set('swap', form.join('') || 'default');
      // FORCE and TAKEOVER do not wait for the replica: let it catch up first.
      await waitSynced(replica, master);
      // As in Redis, a replica that ran an election less than 4 × node-timeout ago waits for that
      // long before the next one, so a manual failover can time out (5 s): ask again then.
      for (let attempt = 0; ; attempt++) {
        expect(await replica.c.call('CLUSTER', 'FAILOVER', ...form)).toEqual({ t: 'status', v: 'OK' });
        const ok = await until(async () => (await nodeLine(replica))[2] === 'myself,master', 8000, 'promoted').then(() => true, () => false);
        if (ok) break;
        console.log(`CLUSTER FAILOVER ${form.join('')}: not done after attempt ${attempt + 1}, asking again`);
        if (attempt === 3) throw new Error(`CLUSTER FAILOVER ${form.join('')} never completed`);
      }
      await waitMaster(live(), replica, `FAILOVER ${form.join('')}`);
      await waitReplicaOf(live(), master, replica, `FAILOVER ${form.join('')}: the old master follows`);
      expect((await info(replica.c, 'replication')).role).toBe('master');
      [master, replica] = [replica, master];
      // Clients follow: the new master serves the slots, the data is complete.
      await waitOk(live());
      expect(await io.get('swap')).toBe(form.join('') || 'default');
    }
    const keys = [...acked.keys()];
    const got = await Promise.all(keys.map((k) => io.get(k)));
    expect(keys.filter((k, j) => got[j] !== acked.get(k))).toEqual([]);
    await checkClean(master, 3, 3);
  }, 300_000);
});

describe.skipIf(NEED)('mixed cluster: Lodestone and redis-server replicas and masters vote for each other', () => {
  let l1: Node;
  let l2: Node;
  let r3: Node;
  let rr: Node; // redis-server replica of l1
  let l4: Node; // Lodestone replica of l2
  let all: Node[];
  let io: IoCluster;
  const alive = () => all.filter(isAlive);

  beforeAll(async () => {
    l1 = await startNode('lodestone');
    l2 = await startNode('lodestone');
    r3 = await startNode('redis');
    rr = await startNode('redis');
    l4 = await startNode('lodestone');
    all = [l1, l2, r3, rr, l4];
  }, 60_000);
  afterAll(async () => {
    io?.disconnect();
    await stopAll(alive());
  });

  it('add-node --cluster-slave makes a redis-server replica of a Lodestone master and the reverse', async () => {
    await cli(['--cluster', 'create', ...[l1, l2, r3].map((n) => `127.0.0.1:${n.port}`), '--cluster-yes']);
    await waitOk([l1, l2, r3]);
    await cli(['--cluster', 'add-node', `127.0.0.1:${rr.port}`, `127.0.0.1:${l1.port}`, '--cluster-slave', '--cluster-master-id', l1.id]);
    await cli(['--cluster', 'add-node', `127.0.0.1:${l4.port}`, `127.0.0.1:${r3.port}`, '--cluster-slave', '--cluster-master-id', l2.id]);
    await waitReplicaOf(all, rr, l1, 'redis-server replica');
    await waitReplicaOf(all, l4, l2, 'Lodestone replica');
    await checkClean(r3, 3, 2);
    io = ioCluster(l1.port);
    for (let i = 0; i < 200; i++) await io.set(`m:${i}`, `v${i}`);
    const k1 = await keyServedBy(l1, 'm:');
    await rr.c.call('READONLY');
    await until(async () => text(await rr.c.call('GET', k1)) === k1.replace('m:', 'v'), 30_000, 'redis-server replica has the data');
  }, 180_000);

  it('Lodestone masters elect the redis-server replica of a killed Lodestone master', async () => {
    const k1 = await keyServedBy(l1, 'm:');
    await waitSynced(rr, l1);
    await waitSynced(l4, l2);
    await kill(l1);
    await waitMaster([l2, r3, l4], rr, 'redis-server replica promoted');
    await waitOk([l2, r3, rr, l4]);
    expect(await io.get(k1)).toBe(k1.replace('m:', 'v'));
    expect(l2.h.output() + l4.h.output()).toMatch(/Failover auth granted to [0-9a-f]{40}/);
  }, 180_000);

  it('redis-server masters elect the Lodestone replica of a killed Lodestone master', async () => {
    // Masters left after this kill: r3 and rr, both redis-server; quorum 2 of 3.
    const k2 = await keyServedBy(l2, 'm:');
    await kill(l2);
    await waitMaster([r3, rr, l4], l4, 'Lodestone replica promoted');
    await waitOk([r3, rr, l4]);
    expect(l4.h.output()).toContain("Failover election won: I'm the new master.");
    expect(await io.get(k2)).toBe(k2.replace('m:', 'v'));
    await io.set(k2, 'after');
    expect(await io.get(k2)).toBe('after');
    const got = await Promise.all(Array.from({ length: 200 }, (_, i) => io.get(`m:${i}`)));
    expect(got.filter((v, i) => v !== (`m:${i}` === k2 ? 'after' : `v${i}`))).toEqual([]);
  }, 180_000);
});

describe.skipIf(NEED)('a Lodestone node and a redis-server node: replica commands compared, manual failover across both', () => {
  let ls: Node;
  let rs: Node;
  beforeAll(async () => {
    ls = await startNode('lodestone');
    rs = await startNode('redis');
    await ls.c.call('CLUSTER', 'MEET', '127.0.0.1', String(rs.port), rs.args[rs.args.indexOf('--cluster-port') + 1]);
    for (const [a, b] of [[ls, rs], [rs, ls]]) {
      await until(async () => (await nodeLine(a, b.id)).length > 2 && !(await nodeLine(a, b.id))[2].includes('handshake'), 30_000, 'met');
    }
    await ls.c.call('CLUSTER', 'ADDSLOTSRANGE', '0', '8191');
    await rs.c.call('CLUSTER', 'ADDSLOTSRANGE', '8192', '16383');
    await waitOk([ls, rs]);
  }, 60_000);
  afterAll(async () => stopAll([ls, rs]));

  it('answers the replica commands like Redis', async () => {
    const out: Record<string, string[]> = {};
    for (const [n, other] of [[ls, rs], [rs, ls]]) {
      const cmds = [
        ['CLUSTER', 'REPLICATE', 'abc'],
        ['CLUSTER', 'REPLICATE', n.id],
        ['CLUSTER', 'REPLICATE', other.id],
        ['CLUSTER', 'FAILOVER'],
        ['CLUSTER', 'FAILOVER', 'FORCE'],
        ['CLUSTER', 'FAILOVER', 'TAKEOVER'],
        ['CLUSTER', 'FAILOVER', 'bad'],
        ['CLUSTER', 'FAILOVER', 'FORCE', 'x'],
        ['REPLICAOF', '127.0.0.1', '1'],
        ['SLAVEOF', 'NO', 'ONE'],
        ['FAILOVER'],
      ];
      out[n.kind] = [];
      for (const c of cmds) out[n.kind].push(JSON.stringify(await n.c.call(...c)).replace(n.id, '<me>').replace(other.id, '<other>'));
    }
    expect(out.lodestone).toEqual(out.redis);
    expect(out.lodestone[2]).toContain('To set a master the node must be empty');
  });

  it('a Lodestone replica of a redis-server master: CLUSTER FAILOVER (MFSTART, the paused offset, the vote) swaps them', async () => {
    // DELSLOTS is not propagated (as in Redis): both forget the owner, then rs takes the slots.
    expect(await ls.c.call('CLUSTER', 'DELSLOTSRANGE', '0', '8191')).toEqual({ t: 'status', v: 'OK' });
    expect(await rs.c.call('CLUSTER', 'DELSLOTSRANGE', '0', '8191')).toEqual({ t: 'status', v: 'OK' });
    expect(await rs.c.call('CLUSTER', 'ADDSLOTSRANGE', '0', '8191')).toEqual({ t: 'status', v: 'OK' });
    await until(async () => (await nodeLine(ls, rs.id))[8] === '0-16383', 30_000, 'slots moved');
    expect(await ls.c.call('CLUSTER', 'REPLICATE', rs.id)).toEqual({ t: 'status', v: 'OK' });
    await waitReplicaOf([ls, rs], ls, rs, 'Lodestone replica of redis-server');
    expect(text(await rs.c.call('CLUSTER', 'REPLICATE', ls.id))).toBe('ERR I can only replicate a master, not a replica.');
    for (let i = 0; i < 100; i++) {
      const k = `{t}${i}`;
      await rs.c.call('SET', k, `v${i}`);
    }
    await ls.c.call('READONLY');
    await until(async () => JSON.stringify(await ls.c.call('GET', '{t}99')) === JSON.stringify({ t: 'bulk', v: 'v99' }), 30_000, 'replicated');
    expect(await ls.c.call('CLUSTER', 'FAILOVER')).toEqual({ t: 'status', v: 'OK' });
    await waitMaster([ls, rs], ls, 'manual failover to Lodestone');
    await waitReplicaOf([ls, rs], rs, ls, 'redis-server follows');
    expect(rs.h.output()).toContain('Manual failover requested by replica');
    expect(ls.h.output()).toContain('Received replication offset for paused master manual failover');
    for (let i = 0; i < 100; i++) expect(text(await ls.c.call('GET', `{t}${i}`))).toBe(`v${i}`);
    await ls.c.call('SET', '{t}new', 'x');
    await rs.c.call('READONLY');
    await until(async () => (await rs.c.call('GET', '{t}new')).t === 'bulk', 30_000, 'redis-server replica gets the new write');
    // And back: a manual failover on the redis-server replica of the Lodestone master.
    for (let attempt = 0; ; attempt++) {
      expect(await rs.c.call('CLUSTER', 'FAILOVER')).toEqual({ t: 'status', v: 'OK' });
      if (await until(async () => (await nodeLine(rs))[2] === 'myself,master', 8000, 'back').then(() => true, () => false)) break;
      if (attempt === 3) throw new Error('the redis-server replica never took over');
    }
    await waitReplicaOf([ls, rs], ls, rs, 'Lodestone follows again');
    expect(ls.h.output()).toContain('Manual failover requested by replica');
  }, 180_000);
});
