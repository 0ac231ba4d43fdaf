// INFO: Redis 7.0's sections and field names, so `redis-cli info`, `redis-cli --stat`, Prometheus
// exporters and client libraries that parse INFO find what they expect.
//
// Fields Lodestone has a real value for are computed (clients, command and error statistics,
// keyspace; memory: used_memory is the dataset estimate maxmemory evicts by — see memory.ts — and
// the rss / allocator_* fields come from process.memoryUsage()); fields for machinery Lodestone does not have (forks,
// replication backlog, defrag, io threads) are reported with the value an idle standalone Redis
// shows, so parsers that expect them keep working. Sections come out in Redis's fixed order
// whatever order they were asked in. Other subsystems (persistence) can contribute fields with
// `extendInfo`.

import { performance } from 'node:perf_hooks'; // the module's, not the global getter (~20 ns a read)
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Server } from './server.js';
import { REDIS_VERSION, LODESTONE_VERSION } from '../version.js';

export type Field = [name: string, value: string | number];

/** Sections in Redis's order, and which of them `default` / `all` / `everything` include. */
const SECTIONS = [
  'server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules',
  'commandstats', 'errorstats', 'latencystats', 'cluster', 'keyspace', 'wasm',
] as const;
type Section = (typeof SECTIONS)[number];
const DEFAULT: ReadonlySet<Section> = new Set<Section>([
  'server', 'clients', 'memory', 'persistence', 'stats', 'replication', 'cpu', 'modules', 'errorstats',
  'cluster', 'keyspace', 'wasm',
]);
const ALL: ReadonlySet<Section> = new Set<Section>(SECTIONS);
const TITLES: Record<Section, string> = {
  server: 'Server', clients: 'Clients', memory: 'Memory', persistence: 'Persistence', stats: 'Stats',
  replication: 'Replication', cpu: 'CPU', modules: 'Modules', commandstats: 'Commandstats',
  errorstats: 'Errorstats', latencystats: 'Latencystats', cluster: 'Cluster', keyspace: 'Keyspace',
  wasm: 'Wasm',
};

// ---- Instantaneous metrics (Redis's trackInstantaneousMetric) -----------------------------------------

const SAMPLES = 16;

/** A ring of per-interval rates; the reported value is their mean, like Redis's STATS_METRIC_SAMPLES. */
class RateSampler {
  private readonly ring = new Float64Array(SAMPLES);
  private idx = 0;
  private lastTime = 0;
  private lastValue = 0;

  sample(now: number, value: number): void {
    if (this.lastTime !== 0 && now > this.lastTime) {
      this.ring[this.idx] = ((value - this.lastValue) * 1000) / (now - this.lastTime);
      this.idx = (this.idx + 1) % SAMPLES;
    }
    this.lastTime = now;
    this.lastValue = value;
  }

  get mean(): number {
    let sum = 0;
    for (let i = 0; i < SAMPLES; i++) sum += this.ring[i];
    return sum / SAMPLES;
  }

  reset(value: number): void {
    this.ring.fill(0);
    this.lastValue = value;
  }
}

/**
 * Samples commands processed and network bytes every 100 ms from Server.serverCron, for
 * instantaneous_ops_per_sec and instantaneous_input/output_kbps. Also tracks the memory peak.
 */
export class InstantMetrics {
  readonly ops = new RateSampler();
  readonly netIn = new RateSampler();
  readonly netOut = new RateSampler();
  peakMemory = 0;
  private last = 0;

  /** Called from serverCron; takes a sample at most every 100 ms. */
  tick(server: Server, now = Date.now()): void {
    if (now - this.last < 100) return;
    this.last = now;
    this.ops.sample(now, server.stats.commandsProcessed);
    this.netIn.sample(now, server.stats.netInputBytes);
    this.netOut.sample(now, server.stats.netOutputBytes);
    this.notePeak(server.memory.used());
  }

  notePeak(used: number): void {
    if (used > this.peakMemory) this.peakMemory = used;
  }

  reset(server: Server): void {
    this.ops.reset(server.stats.commandsProcessed);
    this.netIn.reset(server.stats.netInputBytes);
    this.netOut.reset(server.stats.netOutputBytes);
  }
}

// ---- Extensions ----------------------------------------------------------------------------------------

const extensions = new WeakMap<Server, Map<string, (() => Field[])[]>>();

/**
 * Let a subsystem contribute fields to a section (e.g. persistence → `persistence`). A field whose
 * name is already present replaces the built-in value in place; new names are appended.
 */
export function extendInfo(server: Server, section: string, fn: () => Field[]): void {
  let m = extensions.get(server);
  if (!m) extensions.set(server, (m = new Map()));
  const list = m.get(section) ?? [];
  list.push(fn);
  m.set(section, list);
}

function applyExtensions(server: Server, section: string, fields: Field[]): Field[] {
  const fns = extensions.get(server)?.get(section);
  if (!fns) return fields;
  for (const fn of fns) {
    for (const [k, v] of fn()) {
      const i = fields.findIndex((f) => f[0] === k);
      if (i >= 0) fields[i] = [k, v];
      else fields.push([k, v]);
    }
  }
  return fields;
}

// ---- Helpers -------------------------------------------------------------------------------------------

/** Redis's bytesToHuman: 1023B, 1015.38K, 6.89M, 23.54G. */
export function bytesToHuman(n: number): string {
  if (n < 1024) return `${n}B`;
  const units = ['K', 'M', 'G', 'T', 'P'];
  let d = n / 1024;
  let u = 0;
  while (d >= 1024 && u < units.length - 1) {
    d /= 1024;
    u++;
  }
  return `${d.toFixed(2)}${units[u]}`;
}

const runIds = new WeakMap<Server, { runId: string; replId: string }>();
function ids(server: Server): { runId: string; replId: string } {
  let v = runIds.get(server);
  if (!v) runIds.set(server, (v = { runId: randomBytes(20).toString('hex'), replId: randomBytes(20).toString('hex') }));
  return v;
}

/** DEBUG CHANGE-REPL-ID: a new random replication id (INFO replication master_replid). */
export function changeReplicationId(server: Server): void {
  ids(server).replId = randomBytes(20).toString('hex');
  server.replication?.changeReplicationId();
}

/** The run id (INFO server run_id), random per server start. */
export function runId(server: Server): string {
  return ids(server).runId;
}

// ---- Sections ------------------------------------------------------------------------------------------

function serverSection(server: Server): Field[] {
  const now = Date.now();
  const uptime = Math.floor((now - server.startTime) / 1000);
  const hz = server.config.getInt('hz');
  return [
    ['redis_version', REDIS_VERSION],
    ['redis_git_sha1', '00000000'],
    ['redis_git_dirty', 0],
    ['redis_build_id', '0'],
    ['redis_mode', 'standalone'],
    ['os', `${os.type()} ${os.release()} ${os.machine()}`],
    ['arch_bits', process.arch.endsWith('64') ? 64 : 32],
    ['monotonic_clock', 'POSIX clock_gettime'],
    ['multiplexing_api', process.platform === 'linux' ? 'epoll' : process.platform === 'win32' ? 'iocp' : 'kqueue'],
    ['atomicvar_api', 'c11-builtin'],
    ['gcc_version', '0.0.0'],
    ['process_id', process.pid],
    ['process_supervised', 'no'],
    ['run_id', runId(server)],
    ['tcp_port', server.port],
    ['server_time_usec', Math.floor((performance.timeOrigin + performance.now()) * 1000)],
    ['uptime_in_seconds', uptime],
    ['uptime_in_days', Math.floor(uptime / 86400)],
    ['hz', hz],
    ['configured_hz', hz],
    ['lru_clock', Math.floor(now / 1000) & 0xffffff],
    ['executable', process.argv[1] ?? process.execPath],
    ['config_file', server.config.file],
    ['io_threads_active', 0],
    ['lodestone_version', LODESTONE_VERSION],
    ['node_version', process.versions.node],
  ];
}

function clientsSection(server: Server): Field[] {
  let maxIn = 0;
  let maxOut = 0;
  let blocked = 0;
  let inTimeout = 0;
  for (const c of server.clients.values()) {
    if (c.parser.pending > maxIn) maxIn = c.parser.pending;
    const out = c.enc.pos + c.outputPending;
    if (out > maxOut) maxOut = out;
    if (c.blocked) {
      blocked++;
      if (c.blocked.timer) inTimeout++;
    }
  }
  return [
    // Redis counts its replicas apart (connected_slaves), not as clients.
    ['connected_clients', server.clients.size - (server.replication?.replicas.size ?? 0)],
    ['cluster_connections', 0],
    ['maxclients', server.config.getInt('maxclients')],
    ['client_recent_max_input_buffer', maxIn],
    ['client_recent_max_output_buffer', maxOut],
    ['blocked_clients', blocked],
    ['tracking_clients', server.tracking.clients],
    ['clients_in_timeout_table', inTimeout],
  ];
}

/**
 * used_memory is Memory.used(), the estimate eviction compares with maxmemory (keys, values, TTLs);
 * used_memory_overhead is its map-entry part (dict, access time, TTL), used_memory_dataset the
 * key and value contents, client buffers (mem_clients_normal) and WASM (used_memory_wasm) are overhead
 * too. Nothing is counted for startup (used_memory_startup 0). What the process really holds is in
 * used_memory_rss, allocator_allocated (V8 heapUsed), allocator_active (heapTotal) and
 * used_memory_process (heapUsed + external, a Lodestone field).
 */
function memorySection(server: Server): Field[] {
  const m = process.memoryUsage();
  server.memory.refreshClients();
  const used = server.memory.used();
  server.metrics.notePeak(used);
  const peak = server.metrics.peakMemory;
  const total = os.totalmem();
  const maxmemory = server.memory.maxmemory;
  // used_memory counts client buffers and WASM memory (Memory.used); like Redis, both are overhead.
  const clientsMem = server.memory.clientBytes;
  const wasm = server.wasm?.memory() ?? { linear: 0, code: 0, total: 0 };
  let overhead = clientsMem + wasm.total;
  for (const db of server.dbs) overhead += db.overheadBytes();
  const dataset = Math.max(0, used - overhead);
  const pct = (a: number, b: number) => (b > 0 ? ((a * 100) / b).toFixed(2) : '0.00');
  const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : '0.00');
  return [
    ['used_memory', used],
    ['used_memory_human', bytesToHuman(used)],
    ['used_memory_rss', m.rss],
    ['used_memory_rss_human', bytesToHuman(m.rss)],
    ['used_memory_peak', peak],
    ['used_memory_peak_human', bytesToHuman(peak)],
    ['used_memory_peak_perc', `${pct(used, peak)}%`],
    ['used_memory_overhead', overhead],
    ['used_memory_startup', 0],
    ['used_memory_dataset', dataset],
    ['used_memory_dataset_perc', `${pct(dataset, used)}%`],
    ['allocator_allocated', m.heapUsed],
    ['allocator_active', m.heapTotal],
    ['allocator_resident', m.rss],
    ['total_system_memory', total],
    ['total_system_memory_human', bytesToHuman(total)],
    ['used_memory_lua', 0],
    ['used_memory_vm_eval', 0],
    ['used_memory_lua_human', '0B'],
    ['used_memory_scripts_eval', 0],
    ['number_of_cached_scripts', 0],
    ['number_of_functions', 0],
    ['number_of_libraries', 0],
    ['used_memory_vm_functions', 0],
    ['used_memory_vm_total', 0],
    ['used_memory_vm_total_human', '0B'],
    ['used_memory_functions', 0],
    ['used_memory_scripts', 0],
    ['used_memory_scripts_human', '0B'],
    ['used_memory_wasm', wasm.total],
    ['used_memory_wasm_human', bytesToHuman(wasm.total)],
    ['used_memory_wasm_instances', wasm.linear],
    ['used_memory_wasm_code', wasm.code],
    ['maxmemory', maxmemory],
    ['maxmemory_human', bytesToHuman(maxmemory)],
    ['maxmemory_policy', server.memory.policy],
    ['allocator_frag_ratio', ratio(m.heapTotal, m.heapUsed)],
    ['allocator_frag_bytes', Math.max(0, m.heapTotal - m.heapUsed)],
    ['allocator_rss_ratio', ratio(m.rss, m.heapTotal)],
    ['allocator_rss_bytes', m.rss - m.heapTotal],
    ['rss_overhead_ratio', '1.00'],
    ['rss_overhead_bytes', 0],
    ['mem_fragmentation_ratio', ratio(m.rss, used)],
    ['mem_fragmentation_bytes', m.rss - used],
    ['mem_not_counted_for_evict', 0],
    ['mem_replication_backlog', 0],
    ['mem_total_replication_buffers', 0],
    ['mem_clients_slaves', 0],
    ['mem_clients_normal', clientsMem],
    ['mem_cluster_links', 0],
    ['mem_aof_buffer', 0],
    ['mem_allocator', `v8-${process.versions.v8}`],
    ['used_memory_process', m.heapUsed + m.external],
    ['active_defrag_running', 0],
    ['lazyfree_pending_objects', 0],
    ['lazyfreed_objects', 0],
  ];
}

function persistenceSection(server: Server): Field[] {
  return [
    ['loading', 0],
    ['async_loading', 0],
    ['current_cow_peak', 0],
    ['current_cow_size', 0],
    ['current_cow_size_age', 0],
    ['current_fork_perc', '0.00'],
    ['current_save_keys_processed', 0],
    ['current_save_keys_total', 0],
    ['rdb_changes_since_last_save', server.dirty],
    ['rdb_bgsave_in_progress', 0],
    ['rdb_last_save_time', server.lastSave],
    ['rdb_last_bgsave_status', 'ok'],
    ['rdb_last_bgsave_time_sec', -1],
    ['rdb_current_bgsave_time_sec', -1],
    ['rdb_saves', 0],
    ['rdb_last_cow_size', 0],
    ['rdb_last_load_keys_expired', 0],
    ['rdb_last_load_keys_loaded', 0],
    ['aof_enabled', server.config.getBool('appendonly') ? 1 : 0],
    ['aof_rewrite_in_progress', 0],
    ['aof_rewrite_scheduled', 0],
    ['aof_last_rewrite_time_sec', -1],
    ['aof_current_rewrite_time_sec', -1],
    ['aof_last_bgrewrite_status', 'ok'],
    ['aof_rewrites', 0],
    ['aof_rewrites_consecutive_failures', 0],
    ['aof_last_write_status', 'ok'],
    ['aof_last_cow_size', 0],
    ['module_fork_in_progress', 0],
    ['module_fork_last_cow_size', 0],
  ];
}

function statsSection(server: Server): Field[] {
  const s = server.stats;
  let expired = 0;
  let hits = 0;
  let misses = 0;
  for (const db of server.dbs) {
    expired += db.expiredKeys;
    hits += db.hits;
    misses += db.misses;
  }
  return [
    ['total_connections_received', s.connectionsReceived],
    ['total_commands_processed', s.commandsProcessed],
    ['instantaneous_ops_per_sec', Math.round(server.metrics.ops.mean)],
    ['total_net_input_bytes', s.netInputBytes],
    ['total_net_output_bytes', s.netOutputBytes],
    ['total_net_repl_input_bytes', 0],
    ['total_net_repl_output_bytes', 0],
    ['instantaneous_input_kbps', (server.metrics.netIn.mean / 1024).toFixed(2)],
    ['instantaneous_output_kbps', (server.metrics.netOut.mean / 1024).toFixed(2)],
    ['instantaneous_input_repl_kbps', '0.00'],
    ['instantaneous_output_repl_kbps', '0.00'],
    ['rejected_connections', s.rejectedConnections],
    ['sync_full', 0],
    ['sync_partial_ok', 0],
    ['sync_partial_err', 0],
    ['expired_keys', expired],
    ['expired_stale_perc', '0.00'],
    ['expired_time_cap_reached_count', 0],
    ['expire_cycle_cpu_milliseconds', 0],
    ['evicted_keys', server.memory.evictedKeys],
    ['evicted_clients', 0],
    ['total_eviction_exceeded_time', 0],
    ['current_eviction_exceeded_time', 0],
    ['keyspace_hits', hits],
    ['keyspace_misses', misses],
    ['pubsub_channels', server.pubsub.channels.size],
    ['pubsub_patterns', server.pubsub.patterns.size],
    ['pubsubshard_channels', server.pubsub.shardChannels.size],
    ['latest_fork_usec', 0],
    ['total_forks', 0],
    ['migrate_cached_sockets', 0],
    ['slave_expires_tracked_keys', 0],
    ['active_defrag_hits', 0],
    ['active_defrag_misses', 0],
    ['active_defrag_key_hits', 0],
    ['active_defrag_key_misses', 0],
    ['total_active_defrag_time', 0],
    ['current_active_defrag_time', 0],
    ['tracking_total_keys', server.tracking.table.size],
    ['tracking_total_items', server.tracking.totalItems],
    ['tracking_total_prefixes', server.tracking.prefixes.size],
    ['unexpected_error_replies', 0],
    ['total_error_replies', s.errorReplies],
    ['dump_payload_sanitizations', 0],
    ['total_reads_processed', s.commandsProcessed],
    ['total_writes_processed', s.commandsProcessed],
    ['io_threaded_reads_processed', 0],
    ['io_threaded_writes_processed', 0],
    ['client_query_buffer_limit_disconnections', s.queryLimitDisconnections],
    ['client_output_buffer_limit_disconnections', s.outputLimitDisconnections],
    ['reply_buffer_shrinks', 0],
    ['reply_buffer_expands', 0],
  ];
}

function replicationSection(server: Server): Field[] {
  if (server.replication) return server.replication.infoFields();
  return [
    ['role', 'master'],
    ['connected_slaves', 0],
    ['master_failover_state', 'no-failover'],
    ['master_replid', ids(server).replId],
    ['master_replid2', '0000000000000000000000000000000000000000'],
    ['master_repl_offset', 0],
    ['second_repl_offset', -1],
    ['repl_backlog_active', 0],
    ['repl_backlog_size', 1048576],
    ['repl_backlog_first_byte_offset', 0],
    ['repl_backlog_histlen', 0],
  ];
}

function cpuSection(): Field[] {
  const u = process.cpuUsage();
  const sys = (u.system / 1e6).toFixed(6);
  const user = (u.user / 1e6).toFixed(6);
  return [
    ['used_cpu_sys', sys],
    ['used_cpu_user', user],
    ['used_cpu_sys_children', '0.000000'],
    ['used_cpu_user_children', '0.000000'],
    ['used_cpu_sys_main_thread', sys],
    ['used_cpu_user_main_thread', user],
  ];
}

/** `cmdstat_get:calls=2,usec=15,usec_per_call=7.50,rejected_calls=0,failed_calls=0`. */
function commandstatsSection(server: Server): Field[] {
  const out: Field[] = [];
  for (const c of server.table.all()) {
    if (!c.calls && !c.rejectedCalls && !c.failedCalls) continue;
    const usec = Math.round(c.usec);
    const per = c.calls ? (c.usec / c.calls).toFixed(2) : '0.00';
    out.push([
      `cmdstat_${c.fullName}`,
      `calls=${c.calls},usec=${usec},usec_per_call=${per},rejected_calls=${c.rejectedCalls},failed_calls=${c.failedCalls}`,
    ]);
  }
  return out;
}

/** `errorstat_ERR:count=3`, codes in lexicographic order like Redis's rax. */
function errorstatsSection(server: Server): Field[] {
  return [...server.stats.errorCodes.entries()]
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([code, n]): Field => [`errorstat_${code}`, `count=${n}`]);
}

/** Mean remaining TTL in ms over (a sample of) the keys with one; 0 when none. */
function avgTtl(db: Server['dbs'][number]): number {
  if (db.expires.size === 0) return 0;
  const now = db.clock.now();
  let sum = 0;
  let n = 0;
  for (const at of db.expires.values()) {
    if (at > now) {
      sum += at - now;
      n++;
    }
    if (n >= 1000) break;
  }
  return n ? Math.round(sum / n) : 0;
}

function keyspaceSection(server: Server): Field[] {
  const out: Field[] = [];
  for (const db of server.dbs) {
    if (db.size === 0) continue;
    out.push([`db${db.id}`, `keys=${db.size},expires=${db.expires.size},avg_ttl=${avgTtl(db)}`]);
  }
  return out;
}

/** Lodestone's own section: the WASM function registry (WASM.STATS in INFO form). */
function wasmSection(server: Server): Field[] {
  const reg = server.wasm;
  if (!reg) return [['wasm_enabled', 0]];
  const t = reg.totals();
  const errors = new Map<string, number>();
  let idle = 0;
  for (const f of reg.functions.values()) {
    idle += f.pool.stats().idle;
    for (const [k, n] of f.stats.errorCounts()) errors.set(k, (errors.get(k) ?? 0) + n);
  }
  const fields: Field[] = [
    ['wasm_enabled', 1],
    ['wasm_functions', reg.functions.size],
    ['wasm_calls', t.calls],
    ['wasm_failed_calls', t.failed],
    ['wasm_fuel_used', t.fuel],
    ['wasm_compilations', reg.compilations],
    ['wasm_compile_cache_hits', reg.cacheHits],
    ['wasm_instances_idle', idle],
    ['wasm_instances', reg.instanceCount()],
    ['wasm_compile_cache_entries', reg.cacheStats().entries],
    ['wasm_compile_cache_bytes', reg.cacheStats().bytes],
    ['wasm_used_memory', reg.memory().total],
  ];
  for (const [k, n] of errors) fields.push([`wasm_errors_${k}`, n]);
  return fields;
}

function sectionFields(server: Server, s: Section): Field[] {
  switch (s) {
    case 'server':
      return serverSection(server);
    case 'clients':
      return clientsSection(server);
    case 'memory':
      return memorySection(server);
    case 'persistence':
      return persistenceSection(server);
    case 'stats':
      return statsSection(server);
    case 'replication':
      return replicationSection(server);
    case 'cpu':
      return cpuSection();
    case 'commandstats':
      return commandstatsSection(server);
    case 'errorstats':
      return errorstatsSection(server);
    case 'cluster':
      return [['cluster_enabled', server.cluster ? 1 : 0]];
    case 'keyspace':
      return keyspaceSection(server);
    case 'wasm':
      return wasmSection(server);
    case 'modules':
    case 'latencystats':
      return [];
  }
}

/**
 * Which sections INFO with these arguments shows (case-insensitive): none → default; `all`,
 * `everything`, `default` expand; unknown names select nothing.
 */
export function selectSections(args: string[]): Set<Section> {
  if (args.length === 0) return new Set(DEFAULT);
  const out = new Set<Section>();
  for (const raw of args) {
    const a = raw.toLowerCase();
    if (a === 'all' || a === 'everything') for (const s of ALL) out.add(s);
    else if (a === 'default') for (const s of DEFAULT) out.add(s);
    else if ((SECTIONS as readonly string[]).includes(a)) out.add(a as Section);
  }
  return out;
}

/** The INFO text: `# Server\r\nredis_version:7.0.15\r\n…`, sections separated by a blank line. */
export function genInfo(server: Server, args: string[]): string {
  const want = selectSections(args);
  const parts: string[] = [];
  for (const s of SECTIONS) {
    if (!want.has(s)) continue;
    if (s === 'latencystats') continue; // latency percentiles are not tracked
    const fields = applyExtensions(server, s, sectionFields(server, s));
    let text = `# ${TITLES[s]}\r\n`;
    for (const [k, v] of fields) text += `${k}:${v}\r\n`;
    parts.push(text);
  }
  return parts.join('\r\n');
}
