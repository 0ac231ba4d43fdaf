// Making empty cluster nodes into one Redis Cluster without redis-cli, the way `redis-cli --cluster
// create` does it (redis-cli.c, clusterManagerCommandCreate): contiguous even slot ranges with
// CLUSTER ADDSLOTSRANGE, a distinct SET-CONFIG-EPOCH per node so no epoch collision has to be
// resolved, CLUSTER MEET of the first node, CLUSTER REPLICATE once every node knows every other,
// then a wait until every node says cluster_state:ok and all agree on the slots. Shared by
// `lodestone cluster start` / `create` and bench/cluster.ts (which builds a redis-server cluster
// with it too).

import { AdminClient, Endpoint } from './admin-client.js';

export const CLUSTER_SLOTS = 16384;

/**
 * redis-cli's split (clusterManagerCommandCreate): master i gets [first, last] with
 * last = lround(cursor + 16384/n - 1), the last master up to 16383. redis-cli computes in C
 * `float`, so this does too (Math.fround): in doubles the ranges differ from 78 masters on.
 */
export function slotRanges(masters: number): [number, number][] {
  const f = Math.fround;
  const per = f(CLUSTER_SLOTS / masters);
  const out: [number, number][] = [];
  let first = 0;
  let cursor = f(0);
  for (let i = 0; i < masters; i++) {
    let last = Math.round(f(f(cursor + per) - 1)); // lround of a positive value
    if (last > CLUSTER_SLOTS || i === masters - 1) last = CLUSTER_SLOTS - 1;
    if (last < first) last = first;
    out.push([first, last]);
    first = last + 1;
    cursor = f(cursor + per);
  }
  return out;
}

/**
 * Which master each replica follows: `perMaster` replicas each, preferring a master in another
 * group (another core for `cluster start`, another host for `cluster create`), as redis-cli prefers
 * another host. Returns the master's index for each replica, in order.
 */
export function assignReplicas(masterGroups: string[], replicaGroups: string[], perMaster: number): number[] {
  const count = masterGroups.map(() => 0);
  return replicaGroups.map((g) => {
    const open = masterGroups.map((_, i) => i).filter((i) => count[i] < perMaster);
    if (open.length === 0) throw new Error(`more replicas than ${perMaster} per master`);
    // The least served master first, then one in another group, then the lowest index.
    open.sort((a, b) => count[a] - count[b] || Number(masterGroups[a] === g) - Number(masterGroups[b] === g) || a - b);
    count[open[0]]++;
    return open[0];
  });
}

/** One line of CLUSTER NODES. */
export interface NodeLine {
  id: string;
  addr: string;
  flags: string[];
  master: string;
  link: string;
  slots: string[];
}

export function parseNodes(text: string): NodeLine[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const f = l.trim().split(' ');
      return { id: f[0], addr: f[1].split('@')[0].split(',')[0], flags: f[2].split(','), master: f[3], link: f[7], slots: f.slice(8) };
    });
}

export function infoValue(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*?)\\r?$`, 'm').exec(info)?.[1];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Make a cluster of empty nodes: `clients` lists the masters first, then the replicas; `replicaOf[k]`
 * is the index (among the masters) of the master that replica k follows. Returns once every node
 * knows every other and the replicas were told whom to follow (see waitReady for the rest).
 */
export async function createCluster(clients: AdminClient[], masters: number, replicaOf: number[], say: (s: string) => void = () => {}): Promise<void> {
  if (clients.length !== masters + replicaOf.length) throw new Error('createCluster: node count mismatch');
  for (const c of clients) {
    const info = await c.text('CLUSTER', 'INFO');
    const known = Number(infoValue(info, 'cluster_known_nodes'));
    const keys = Number(await c.ok('DBSIZE'));
    if (known !== 1 || Number(infoValue(info, 'cluster_slots_assigned')) !== 0 || keys !== 0) {
      // redis-cli's own words for the same refusal.
      throw new Error(`Node ${c.endpoint.host}:${c.endpoint.port} is not empty. Either the node already knows other nodes (check with CLUSTER NODES) or contains some key in database 0.`);
    }
  }
  const ranges = slotRanges(masters);
  for (let i = 0; i < masters; i++) {
    say(`  ${clients[i].endpoint.host}:${clients[i].endpoint.port}: slots ${ranges[i][0]}-${ranges[i][1]}`);
    await clients[i].ok('CLUSTER', 'ADDSLOTSRANGE', ranges[i][0], ranges[i][1]);
  }
  // Distinct epochs before anyone meets: no collision to resolve, as redis-cli does.
  for (let i = 0; i < clients.length; i++) await clients[i].ok('CLUSTER', 'SET-CONFIG-EPOCH', i + 1);
  const first = clients[0].endpoint;
  for (const c of clients.slice(1)) await c.ok('CLUSTER', 'MEET', first.host, first.port);
  await until(async () => {
    for (const c of clients) {
      const lines = parseNodes(await c.text('CLUSTER', 'NODES'));
      if (lines.length !== clients.length || lines.some((l) => l.flags.includes('handshake') || l.flags.includes('noaddr'))) return false;
    }
    return true;
  }, 60_000, 'every node knowing every other node');
  const ids = await Promise.all(clients.slice(0, masters).map((c) => c.text('CLUSTER', 'MYID')));
  for (let k = 0; k < replicaOf.length; k++) {
    const r = clients[masters + k];
    const m = clients[replicaOf[k]].endpoint;
    say(`  ${r.endpoint.host}:${r.endpoint.port}: replica of ${m.host}:${m.port}`);
    await r.ok('CLUSTER', 'REPLICATE', ids[replicaOf[k]]);
  }
}

/** What waitReady found, for printing. */
export interface NodeState {
  endpoint: Endpoint;
  id: string;
  role: 'master' | 'replica';
  /** The master's id, for a replica. */
  master: string;
  slots: string[];
}

/**
 * Wait until every node says cluster_state:ok, knows all nodes with their links up and no failure
 * flags, every node's view of who serves which slots and who replicates whom is the same, there
 * are `masters` masters with slots, and every replica's link to its master is up.
 */
export async function waitReady(clients: AdminClient[], masters: number, timeoutMs: number, isAlive: () => string | null = () => null): Promise<NodeState[]> {
  let last = '';
  const check = async (): Promise<NodeState[] | null> => {
    let signature: string | null = null;
    const states: NodeState[] = [];
    for (const c of clients) {
      const where = `${c.endpoint.host}:${c.endpoint.port}`;
      const info = await c.text('CLUSTER', 'INFO');
      if (infoValue(info, 'cluster_state') !== 'ok') return fail(`${where} cluster_state:${infoValue(info, 'cluster_state')}`);
      const lines = parseNodes(await c.text('CLUSTER', 'NODES'));
      if (lines.length !== clients.length) return fail(`${where} knows ${lines.length} of ${clients.length} nodes`);
      const bad = lines.find((l) => l.link !== 'connected' || l.flags.some((f) => ['fail', 'fail?', 'handshake', 'noaddr'].includes(f)));
      if (bad) return fail(`${where} sees ${bad.addr} ${bad.flags.join(',')} ${bad.link}`);
      const sig = lines
        .map((l) => `${l.id} ${l.flags.includes('master') ? 'master' : l.master} ${l.slots.filter((s) => !s.startsWith('[')).join(' ')}`)
        .sort()
        .join('\n');
      if (signature !== null && sig !== signature) return fail(`${where} does not agree about the slots yet`);
      signature = sig;
      const me = lines.find((l) => l.flags.includes('myself'))!;
      const role = me.flags.includes('master') ? 'master' : 'replica';
      if (role === 'replica') {
        const link = infoValue(await c.text('INFO', 'replication'), 'master_link_status');
        if (link !== 'up') return fail(`${where} master_link_status:${link}`);
      }
      states.push({ endpoint: c.endpoint, id: me.id, role, master: me.master, slots: me.slots });
    }
    const withSlots = states.filter((s) => s.role === 'master' && s.slots.length > 0).length;
    if (withSlots !== masters) return fail(`${withSlots} masters serve slots, expected ${masters}`);
    return states;
  };
  const fail = (why: string): null => {
    last = why;
    return null;
  };
  const end = Date.now() + timeoutMs;
  for (;;) {
    const dead = isAlive();
    if (dead) throw new Error(dead);
    const s = await check();
    if (s) return s;
    if (Date.now() > end) throw new Error(`the cluster did not become ready within ${timeoutMs / 1000} s: ${last}`);
    await sleep(100);
  }
}

async function until(fn: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The nodes as a table: address, role, id, slots or master, and extra columns (pid, core). */
export function formatNodes(states: NodeState[], extra: (s: NodeState) => string = () => ''): string[] {
  const byId = new Map(states.map((s) => [s.id, s]));
  return states.map((s) => {
    const addr = `${s.endpoint.host}:${s.endpoint.port}`.padEnd(21);
    const what =
      s.role === 'master'
        ? `slots ${s.slots.filter((x) => !x.startsWith('[')).join(',')}`
        : `replica of ${byId.get(s.master) ? `${byId.get(s.master)!.endpoint.host}:${byId.get(s.master)!.endpoint.port}` : s.master}`;
    return `  ${addr} ${s.role.padEnd(7)} ${s.id}  ${what.padEnd(26)} ${extra(s)}`.trimEnd();
  });
}
