// `lodestone cluster start` and `lodestone cluster create`: one Node.js process uses one core, so
// a machine's cores are used by running one Lodestone process per core as one Redis Cluster.
// `start` launches the processes (each pinned to a core with taskset when it exists), makes them a
// cluster the first time (src/cli/cluster-create.ts, no redis-cli needed), reuses the nodes.conf
// files when started again on the same --dir, waits until every node is ok, and stays in the
// foreground: SIGINT/SIGTERM stop every node, and a node that dies on its own is reported.
// `create` makes nodes already running elsewhere into a cluster, like `redis-cli --cluster create`.

import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { lookup } from 'node:dns/promises';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { Config } from '../config/config.js';
import { AdminClient, Endpoint } from './admin-client.js';
import { assignReplicas, createCluster, formatNodes, infoValue, NodeLine, NodeState, parseNodes, waitReady } from './cluster-create.js';
import { defaultConfigPath, parseArgs } from './main.js';
import { BUS_OFFSET, portsInUse } from './ports.js';

/** Parameters the launcher sets for each node itself. */
const OWNED = ['port', 'dir', 'bind', 'cluster-enabled', 'cluster-port', 'logfile'];

/** The layout a --dir was created with, so a restart starts the same nodes. */
interface Layout {
  masters: number;
  replicas: number;
  port: number;
  host: string;
}
const LAYOUT_FILE = 'lodestone-cluster.json';

/** The cores this process may run on (Linux's Cpus_allowed_list), else 0..cpus-1. */
export function allowedCores(): number[] {
  try {
    const m = /^Cpus_allowed_list:\s*(.+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return parseCpuList(m[1]);
  } catch {
    // not Linux
  }
  return cpus().map((_, i) => i);
}

/** taskset's list syntax: "0-3,6,8-9". */
export function parseCpuList(s: string): number[] {
  const out: number[] = [];
  for (const part of s.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) throw new Error(`bad cpu list '${s}' (expected e.g. 0-3,6)`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new Error(`bad cpu list '${s}'`);
    for (let i = a; i <= b; i++) out.push(i);
  }
  return out;
}

export function haveTaskset(): boolean {
  return spawnSync('sh', ['-c', 'command -v taskset'], { stdio: 'ignore' }).status === 0;
}

function bin(): string {
  return resolve(dirname(defaultConfigPath()), 'bin/lodestone.js');
}

function int(name: string, min: number, max = Number.MAX_SAFE_INTEGER): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer from ${min} to ${max}, got '${v}'`);
    return n;
  };
}

interface StartOptions {
  masters?: number;
  replicas?: number;
  port?: number;
  host?: string;
  dir: string;
  config?: string;
  cpus?: string;
  pin: boolean;
  timeout: number;
}

interface Child {
  endpoint: Endpoint;
  dir: string;
  log: string;
  core: number | null;
  proc: ChildProcess;
  tail: string;
  exited: { code: number | null; signal: string | null } | null;
}

/** The launcher's node config: the file and the parameters after `--`, checked like `lodestone` does. */
function nodeConfig(file: string | undefined, params: string[]): Config {
  const { overrides } = parseArgs(['node', 'lodestone', ...params]);
  for (const [name] of overrides) {
    if (OWNED.includes(name)) throw new Error(`--${name} is set by 'lodestone cluster start' for each node; use its own options (--port, --host, --dir)`);
  }
  const config = new Config();
  config.loadFile(file ? resolve(file) : defaultConfigPath());
  for (const [name, value] of overrides) config.setText(name, value);
  return config;
}

async function start(o: StartOptions, params: string[], cmd: Command): Promise<void> {
  const given = (k: string) => cmd.getOptionValueSource(k) === 'cli';
  const dir = resolve(o.dir);
  const layoutPath = join(dir, LAYOUT_FILE);
  let layout: Layout;
  const host = (await lookup(o.host ?? '127.0.0.1')).address;
  const cores = o.cpus !== undefined ? parseCpuList(o.cpus) : allowedCores();
  if (existsSync(layoutPath)) {
    layout = JSON.parse(readFileSync(layoutPath, 'utf8')) as Layout;
    for (const k of ['masters', 'replicas', 'port'] as const) {
      if (given(k) && o[k] !== layout[k]) throw new Error(`${dir} holds a cluster made with --${k} ${layout[k]}; start it with the same value, or use another --dir`);
    }
    if (given('host') && host !== layout.host) throw new Error(`${dir} holds a cluster on ${layout.host}; start it with the same --host, or use another --dir`);
  } else {
    layout = { masters: o.masters ?? 3, replicas: o.replicas ?? 0, port: o.port ?? 7000, host };
  }
  const total = layout.masters * (1 + layout.replicas);
  if (layout.port + total - 1 + 10000 > 65535) throw new Error(`ports ${layout.port}-${layout.port + total - 1} leave no room for the bus ports (port + 10000 must be <= 65535)`);
  const config = nodeConfig(o.config, params);
  const password = config.getString('requirepass');
  const nodesConf = config.getString('cluster-config-file');
  const extra = [...(o.config ? ['--config', resolve(o.config)] : []), ...params];
  // Replicas authenticate to their masters with the same password unless told otherwise.
  if (password !== '' && config.getString('masterauth') === '') extra.push('--masterauth', password);
  const pin = o.pin && haveTaskset();
  if (o.pin && !pin) say('taskset not found: the nodes are not pinned to cores');

  const nodes = Array.from({ length: total }, (_, i) => {
    const endpoint = { host, port: layout.port + i };
    const d = join(dir, String(endpoint.port));
    return { endpoint, dir: d, core: pin ? cores[i % cores.length] : null };
  });
  const existing = nodes.filter((n) => existsSync(join(n.dir, nodesConf)));
  if (existing.length > 0 && existing.length < nodes.length) {
    const missing = nodes.filter((n) => !existing.includes(n)).map((n) => n.dir);
    throw new Error(`some nodes of ${dir} have a ${nodesConf} and others not (${missing.join(', ')}): remove the directory to start a new cluster`);
  }
  const restart = existing.length === nodes.length;
  const busy = await portsInUse(host, nodes.map((n) => n.endpoint.port));
  if (busy.length > 0) throw new Error(`port${busy.length === 1 ? '' : 's'} ${busy.join(', ')} on ${host} already in use (each node needs its port and port + ${BUS_OFFSET})`);
  mkdirSync(dir, { recursive: true });
  for (const n of nodes) mkdirSync(n.dir, { recursive: true });
  if (!restart) writeFileSync(layoutPath, JSON.stringify(layout, null, 2) + '\n');

  say(
    `${restart ? 'Restarting' : 'Starting'} ${total} Lodestone nodes (${layout.masters} masters, ${layout.replicas} replica${layout.replicas === 1 ? '' : 's'} each) in ${dir}` +
      (pin ? `, pinned round-robin to cores ${cores.join(',')}` : ''),
  );
  const children: Child[] = [];
  let stopping = false;
  let ready = false;
  const clients: AdminClient[] = [];
  const closeClients = () => {
    for (const c of clients.splice(0)) c.close();
  };

  const stopAll = async (why: string): Promise<number> => {
    if (stopping) return 1;
    stopping = true;
    closeClients();
    const running = children.filter((c) => c.exited === null);
    if (running.length > 0) say(`${why}: stopping ${running.length} node${running.length === 1 ? '' : 's'}`);
    for (const c of running) c.proc.kill('SIGTERM');
    // A master waits up to shutdown-timeout for its replicas (as Redis does on SIGTERM), so allow it.
    const graceMs = (config.getInt('shutdown-timeout') + 5) * 1000;
    const killer = setTimeout(() => {
      for (const c of children) {
        if (c.exited === null) {
          say(`  ${c.endpoint.port} (pid ${c.proc.pid}) did not stop within ${graceMs / 1000} s: SIGKILL`);
          c.proc.kill('SIGKILL');
        }
      }
    }, graceMs);
    await Promise.all(children.map((c) => (c.exited ? null : new Promise((r) => c.proc.once('exit', r)))));
    clearTimeout(killer);
    const bad = children.filter((c) => c.exited && c.exited.code !== 0);
    say(`all nodes stopped${bad.length ? ` (${bad.length} with an error: ${bad.map((c) => `${c.endpoint.port} ${describe(c)}`).join(', ')})` : ''}`);
    return bad.length ? 1 : 0;
  };
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signals++ > 0) {
      say(`${sig} again: killing the nodes`);
      for (const c of children) if (c.exited === null) c.proc.kill('SIGKILL');
      return;
    }
    void stopAll(`${sig}`).then((code) => process.exit(code));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // The nodes run in their own process group (a terminal's Ctrl-C reaches only this process, which
  // then stops each node once); if this process ends some other way, they are not left running.
  process.on('exit', () => {
    for (const c of children) if (c.exited === null) c.proc.kill('SIGTERM');
  });

  for (const n of nodes) {
    const log = join(n.dir, 'lodestone.log');
    const args = [bin(), ...extra, '--port', String(n.endpoint.port), '--bind', host, '--dir', n.dir, '--logfile', log, '--cluster-enabled', 'yes'];
    const how = { stdio: ['ignore', 'pipe', 'pipe'] as ('ignore' | 'pipe')[], detached: true };
    // taskset execs node, so the child's pid is the node's.
    const proc = n.core === null ? spawn(process.execPath, args, how) : spawn('taskset', ['-c', String(n.core), process.execPath, ...args], how);
    const child: Child = { ...n, log, proc, tail: '', exited: null };
    const keep = (d: Buffer) => (child.tail = (child.tail + d.toString()).slice(-2000));
    proc.stdout!.on('data', keep);
    proc.stderr!.on('data', keep);
    proc.on('exit', (code, signal) => {
      child.exited = { code, signal };
      if (stopping) return;
      say(`node ${n.endpoint.host}:${n.endpoint.port} (pid ${proc.pid}) exited unexpectedly: ${describe(child)}; log ${log}${child.tail ? `\n${indent(child.tail)}` : ''}`);
      if (ready && children.every((c) => c.exited)) void stopAll('every node has exited').then(() => process.exit(1));
    });
    proc.on('error', (e) => {
      child.exited = { code: null, signal: null };
      child.tail += e.message;
    });
    children.push(child);
  }
  const deadChild = () => {
    const d = children.find((c) => c.exited);
    return d ? `node ${d.endpoint.port} exited during startup (${describe(d)}); log ${d.log}${d.tail ? `\n${indent(d.tail)}` : ''}` : null;
  };

  try {
    for (const c of children) clients.push(await connectRetry(c.endpoint, password, o.timeout * 1000, deadChild));
    // A nodes.conf that only knows its own node (a first start that was stopped before the cluster
    // was made) is a fresh node: make the cluster. Nodes that know each other keep their cluster.
    const fresh = await Promise.all(clients.map(async (c) => isFresh(await c.text('CLUSTER', 'INFO'))));
    if (fresh.some((f) => f) && !fresh.every((f) => f)) {
      const which = clients.filter((_, i) => fresh[i]).map((c) => c.endpoint.port);
      throw new Error(`nodes ${which.join(', ')} of ${dir} are not part of the cluster the other nodes know: remove the directory to start a new cluster`);
    }
    if (restart && !fresh[0]) say('Every node already knows its cluster (from its nodes.conf): not creating it again');
    if (fresh[0]) {
      const masterCores = children.slice(0, layout.masters).map((c) => String(c.core));
      const replicaCores = children.slice(layout.masters).map((c) => String(c.core));
      say('Creating the cluster:');
      await createCluster(clients, layout.masters, assignReplicas(masterCores, replicaCores, layout.replicas), say);
    }
    const states = await waitReady(clients, layout.masters, o.timeout * 1000, deadChild);
    say('Nodes:');
    printTable(states, new Map());
  } catch (e) {
    say(`cannot start the cluster: ${(e as Error).message}`);
    process.exit(await stopAll('startup failed').then(() => 1));
  }
  closeClients();
  ready = true;
  const last = layout.port + total - 1;
  say(
    `Lodestone cluster ready: ${layout.masters} masters, ${layout.masters * layout.replicas} replicas on ${host}:${layout.port}-${last}, cluster_state:ok on every node ` +
      `(redis-cli -c -h ${host} -p ${layout.port}). Ctrl-C stops all nodes.`,
  );
  void watch();

  function printTable(states: NodeState[], flags: Map<string, string[]>): void {
    const byPort = new Map(children.map((c) => [c.endpoint.port, c]));
    for (const line of formatNodes(states, (s: NodeState) => {
      const c = byPort.get(s.endpoint.port);
      const bad = (flags.get(s.id) ?? []).filter((f) => f === 'fail' || f === 'fail?');
      return [c ? `pid ${c.proc.pid}` : '', c?.core != null ? `core ${c.core}` : '', c?.exited ? 'exited' : '', ...bad].filter((x) => x !== '').join('  ');
    })) say(line);
  }

  /** While in the foreground: print the table again when roles, slots or failure flags change (a failover). */
  async function watch(): Promise<void> {
    let seen = '';
    let client: AdminClient | null = null;
    while (!stopping) {
      await new Promise((r) => setTimeout(r, WATCH_MS));
      if (stopping) break;
      try {
        if (client === null) {
          const live = children.find((c) => c.exited === null);
          if (!live) break;
          client = await AdminClient.connect(live.endpoint, password, 2000);
          clients.push(client);
        }
        const lines = parseNodes(await client.text('CLUSTER', 'NODES'));
        const sig = lines
          .map((l) => `${l.addr} ${l.flags.filter((f) => f !== 'myself').join(',')} ${l.master} ${l.slots.join(' ')}`)
          .sort()
          .join('\n');
        if (seen !== '' && sig !== seen) {
          say(`Cluster changed (as ${client.endpoint.host}:${client.endpoint.port} sees it):`);
          printTable(lines.map(toState).sort((a, b) => a.endpoint.port - b.endpoint.port), new Map(lines.map((l) => [l.id, l.flags])));
        }
        seen = sig;
      } catch {
        // That node went away: ask another one next time.
        client?.close();
        client = null;
      }
    }
  }
}

const WATCH_MS = 2000;

/** A CLUSTER NODES line as the table shows it. */
function toState(l: NodeLine): NodeState {
  const i = l.addr.lastIndexOf(':');
  return {
    endpoint: { host: l.addr.slice(0, i), port: Number(l.addr.slice(i + 1)) },
    id: l.id,
    role: l.flags.includes('master') ? 'master' : 'replica',
    master: l.master,
    slots: l.slots,
  };
}

/** A node that knows no other node and serves no slot (CLUSTER INFO). */
function isFresh(info: string): boolean {
  return infoValue(info, 'cluster_known_nodes') === '1' && infoValue(info, 'cluster_slots_assigned') === '0';
}

function describe(c: Child): string {
  if (!c.exited) return 'running';
  return c.exited.signal ? `killed by ${c.exited.signal}` : `exit code ${c.exited.code}`;
}

function indent(s: string): string {
  return s
    .trimEnd()
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

function say(s: string): void {
  process.stdout.write(`${s}\n`);
}

async function connectRetry(e: Endpoint, password: string, timeoutMs: number, dead: () => string | null): Promise<AdminClient> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const d = dead();
    if (d) throw new Error(d);
    try {
      return await AdminClient.connect(e, password, 2000);
    } catch (err) {
      if (Date.now() > end) throw new Error(`${e.host}:${e.port} did not accept connections within ${timeoutMs / 1000} s: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** `lodestone cluster create host:port ...`: nodes started elsewhere, made one cluster. */
async function create(addrs: string[], o: { replicas: number; password: string; timeout: number }): Promise<void> {
  const endpoints: Endpoint[] = [];
  for (const a of addrs) {
    const i = a.lastIndexOf(':');
    const port = Number(a.slice(i + 1));
    if (i <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`bad node address '${a}' (expected host:port)`);
    endpoints.push({ host: (await lookup(a.slice(0, i))).address, port });
  }
  const masters = Math.floor(endpoints.length / (1 + o.replicas));
  if (masters < 1 || masters * (1 + o.replicas) !== endpoints.length) {
    throw new Error(`${endpoints.length} nodes cannot be split into masters with ${o.replicas} replica(s) each`);
  }
  const clients: AdminClient[] = [];
  try {
    for (const e of endpoints) clients.push(await AdminClient.connect(e, o.password));
    const hosts = endpoints.map((e) => e.host);
    await createCluster(clients, masters, assignReplicas(hosts.slice(0, masters), hosts.slice(masters), o.replicas), say);
    const states = await waitReady(clients, masters, o.timeout * 1000);
    say('Nodes:');
    for (const line of formatNodes(states)) say(line);
    say(`Lodestone cluster ready: ${masters} masters, ${endpoints.length - masters} replicas, cluster_state:ok on every node.`);
  } finally {
    for (const c of clients) c.close();
  }
}

/** `lodestone cluster …` (argv as process.argv). */
export async function clusterMain(argv: string[]): Promise<void> {
  const program = new Command('lodestone cluster').description('Run or create a Redis Cluster of Lodestone nodes').exitOverride();
  program
    .command('start')
    .description('start N Lodestone processes on this host as one Redis Cluster and stay in the foreground')
    .addOption(new Option('--masters <n>', 'masters').argParser(int('masters', 1, 16384)).default(3))
    .addOption(new Option('--replicas <n>', 'replicas per master').argParser(int('replicas', 0, 100)).default(0))
    .addOption(new Option('--port <port>', 'first node port; the others follow, bus port = port + 10000').argParser(int('port', 1, 55535)).default(7000))
    .option('--host <ip>', 'address the nodes listen on and meet each other at', '127.0.0.1')
    .option('--dir <dir>', 'directory holding one sub-directory per node (nodes.conf, data, lodestone.log)', './cluster-data')
    .option('-c, --config <file>', 'configuration file given to every node (default: the bundled config.toml)')
    .option('--cpus <list>', 'cores to pin the nodes to, round-robin, taskset syntax (default: every core this process may use)')
    .option('--no-pin', 'do not pin the nodes to cores')
    .addOption(new Option('--timeout <seconds>', 'how long to wait for cluster_state:ok').argParser(int('timeout', 1)).default(60))
    .argument('[params...]', 'node configuration parameters after --, e.g. -- --appendonly yes --cluster-node-timeout 5000')
    .action(async (params: string[], opts: StartOptions, cmd: Command) => start(opts, params, cmd));
  program
    .command('create')
    .description('make running, empty cluster-enabled nodes one cluster (like redis-cli --cluster create)')
    .argument('<host:port...>', 'the nodes; with --replicas, the first ones become masters')
    .addOption(new Option('--replicas <n>', 'replicas per master').argParser(int('replicas', 0, 100)).default(0))
    .option('-a, --password <pw>', 'AUTH password', '')
    .addOption(new Option('--timeout <seconds>', 'how long to wait for cluster_state:ok').argParser(int('timeout', 1)).default(60))
    .action(async (addrs: string[], opts: { replicas: number; password: string; timeout: number }) => create(addrs, opts));
  try {
    await program.parseAsync(argv.slice(3), { from: 'user' });
  } catch (e) {
    const err = e as Error & { code?: string; exitCode?: number };
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.help' || err.code === 'commander.version') process.exit(0);
    if (err.code?.startsWith('commander.')) process.exit(err.exitCode ?? 1);
    process.stderr.write(`lodestone cluster: ${err.message}\n`);
    process.exit(1);
  }
}
