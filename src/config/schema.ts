// Configuration parameters: declared once, with Redis's names, types, defaults and whether CONFIG SET
// may change them at run time. config.toml, the `--name value` CLI flags and CONFIG GET/SET all go
// through this table, so a parameter behaves the same wherever it is set.
//
// TOML keys are the Redis names (`proto-max-bulk-len`); the ADR's WASM settings live in TOML tables
// ([wasm], [wasm.limits], [wasm.pool], [wasm.security]) and are addressed as `wasm.limits.max_fuel`
// from CONFIG GET/SET and the CLI.

export type ParamType = 'int' | 'memory' | 'bool' | 'string' | 'enum';
export type ParamValue = number | boolean | string;

export interface ParamSpec {
  name: string;
  type: ParamType;
  default: ParamValue;
  /** May be changed with CONFIG SET. */
  mutable: boolean;
  values?: string[];
  min?: number;
  max?: number;
  /** Accepted for compatibility, has no effect (Redis's encoding tuning knobs). */
  noop?: boolean;
  /**
   * Redis's PROTECTED_CONFIG: CONFIG SET may change it only when `enable-protected-configs` allows
   * it (`yes`, or `local` from a loopback connection); config.toml and flags always may. Set on
   * every parameter that names a path and on every safety net (src/config/paths.ts, docs).
   */
  protected?: boolean;
  /** Extra validation of a parsed value, wherever it comes from; throws Error(message). */
  check?: (v: ParamValue) => void;
  /**
   * A structured string value with its own syntax: turns text (TOML, CLI, CONFIG SET) into the stored
   * value, given the current one (a value may change only part of it); throws Error(message).
   */
  parse?: (raw: string, current: string) => string;
  /** In TOML an array of strings, stored joined with newlines (`user`). */
  list?: boolean;
  /** Not listed by CONFIG GET (it holds secrets Redis does not expose there: `user`). */
  hidden?: boolean;
  doc: string;
}

import { parseNotifyConfig } from '../server/notify.js';
import { DEFAULT_OUTPUT_LIMITS, parseOutputLimits } from './output-limits.js';
import { checkDir, checkFileName, checkPath, PROTECTED_ACTION_VALUES } from './paths.js';

const GB = 1024 * 1024 * 1024;
const INT64_MAX = 9223372036854775807n;
const MB = 1024 * 1024;

/** `replicaof`: "<host> <port>". */
function checkReplicaof(v: ParamValue): void {
  const s = String(v).trim();
  if (s === '') return;
  const parts = s.split(/\s+/);
  if (parts.length !== 2 || !/^\d+$/.test(parts[1]) || Number(parts[1]) > 65535) throw new Error('expected "<host> <port>"');
}

function p(
  name: string,
  type: ParamType,
  def: ParamValue,
  doc: string,
  extra: Partial<ParamSpec> = {},
): ParamSpec {
  return { name, type, default: def, mutable: true, doc, ...extra };
}

export const PARAMS: ParamSpec[] = [
  // Network
  p('port', 'int', 6379, 'TCP port to listen on (0 = pick a free port).', { mutable: false, min: 0, max: 65535 }),
  p('bind', 'string', '127.0.0.1', 'Addresses to listen on, space separated.', { mutable: false }),
  p('protected-mode', 'bool', true, 'Redis 7.0 protected mode: while the default user has no password, only clients from 127.0.0.1 / ::1 are served; others get -DENIED and are closed.'),
  p('timeout', 'int', 0, 'Close a client after this many idle seconds (0 = never).', { min: 0 }),
  p('tcp-keepalive', 'int', 300, 'TCP keepalive interval in seconds (0 = off).', { min: 0 }),
  p('maxclients', 'int', 10000, 'Maximum simultaneous clients; more get "-ERR max number of clients reached".', { min: 1 }),
  // Security
  p('requirepass', 'string', '', "The default user's password (AUTH <password>); empty = the default user needs none (nopass)."),
  p('aclfile', 'string', '', 'ACL file with `user <name> <rules>` lines, loaded at startup and by ACL LOAD, written by ACL SAVE (relative to `dir`); empty = none. Cannot be combined with `user` lines.', { mutable: false, protected: true, check: checkPath }),
  p('user', 'string', '', 'ACL users defined in the configuration: in config.toml an array of strings, each "<name> <rules…>" (e.g. "alice on >secret ~app:* +@read"); one per line when given as text.', { mutable: false, list: true, hidden: true }),
  p('acllog-max-len', 'int', 128, 'Entries kept in the ACL LOG.', { min: 0 }),
  p('acl-pubsub-default', 'enum', 'resetchannels', 'Channel permissions of new users: resetchannels (none, Redis 7 default) or allchannels.', { values: ['resetchannels', 'allchannels'] }),
  // Redis 7.0's protected actions: no | yes | local (local = only from a loopback connection).
  p('enable-protected-configs', 'enum', 'no', 'Whether CONFIG SET may change protected parameters (paths and safety nets): no, yes, or local (from loopback connections only).', { mutable: false, values: PROTECTED_ACTION_VALUES }),
  p('enable-debug-command', 'enum', 'no', 'Whether the DEBUG command is allowed: no, yes, or local (from loopback connections only).', { mutable: false, values: PROTECTED_ACTION_VALUES }),
  p('enable-module-command', 'enum', 'no', 'Whether the MODULE command is allowed: no, yes, or local. Lodestone has no Redis modules (WASM.* is its extension mechanism); kept for redis.conf compatibility.', { mutable: false, values: PROTECTED_ACTION_VALUES }),
  // Protocol limits
  p('proto-max-bulk-len', 'memory', 512 * MB, 'Largest bulk string a client may send.', { min: 1024 * 1024, max: 512 * MB }),
  p('client-query-buffer-limit', 'memory', GB, 'Close a client whose unparsed input exceeds this.', { min: 1024 * 1024 }),
  p('client-output-buffer-limit', 'string', DEFAULT_OUTPUT_LIMITS, 'Per class (normal, replica/slave, pubsub): "<class> <hard> <soft> <soft-seconds>"; close a client whose unsent output reaches hard, or stays at or above soft for soft-seconds (0 = no limit).', {
    parse: parseOutputLimits,
  }),
  // General
  // Redis Cluster (src/cluster, docs/CLUSTER.md)
  p('cluster-enabled', 'bool', false, 'Run as a Redis Cluster node: hash slots, redirections, the cluster bus on cluster-port.', { mutable: false }),
  p('cluster-config-file', 'string', 'nodes.conf', "The node's cluster state in Redis's nodes.conf format, written by the node itself (relative to `dir`).", { mutable: false, protected: true, check: checkPath }),
  p('cluster-port', 'int', 0, 'TCP port of the cluster bus (0 = port + 10000).', { mutable: false, min: 0, max: 65535 }),
  p('cluster-node-timeout', 'int', 15000, 'Milliseconds a node may be unreachable before it is flagged PFAIL.', { min: 1 }),
  p('cluster-require-full-coverage', 'bool', true, 'Refuse queries (CLUSTERDOWN) while some hash slot is not served.'),
  p('cluster-allow-reads-when-down', 'bool', false, 'Serve read commands while the cluster is down.'),
  p('cluster-replica-validity-factor', 'int', 10, 'A replica whose data is older than node-timeout × this (+ the ping period) does not start an automatic failover; 0 = always may.', { min: 0 }),
  p('cluster-replica-no-failover', 'bool', false, 'This replica never starts an automatic failover (manual CLUSTER FAILOVER still works).'),
  p('cluster-allow-replica-migration', 'bool', true, 'A replica whose master lost all its slots follows the node that took them.'),
  p('databases', 'int', 16, 'Number of logical databases (SELECT 0..n-1).', { mutable: false, min: 1, max: 1 << 16 }),
  p('loglevel', 'enum', 'notice', 'Log verbosity.', { values: ['debug', 'verbose', 'notice', 'warning', 'nothing'] }),
  p('logfile', 'string', '', 'Log to this file instead of stdout (empty = stdout).', { mutable: false, protected: true, check: checkPath }),
  p('hz', 'int', 10, 'Background task frequency (active expiry runs hz times per second).', { min: 1, max: 500 }),
  p('dir', 'string', '.', 'Working directory for persistence files (the snapshot, the AOF, their temporary files; relative module_dir).', { protected: true, check: checkDir }),
  // Slow log
  // Scripting (Lua)
  p('busy-reply-threshold', 'int', 5000, 'Milliseconds a Lua script or function may run; past it the script is aborted and its writes undone (Redis answers BUSY to other clients instead; see docs/LUA.md). 0 = no limit. Protected (Redis does not protect it): it is what stops a runaway script.', { min: 0, protected: true }),
  p('lua-time-limit', 'int', 5000, 'Old name of busy-reply-threshold (Redis 7 keeps both); setting either sets both.', { min: 0, protected: true }),
  p('lua-memory-limit', 'memory', 256 * MB, 'Bytes by which a Lua script (or a function library while it loads) may grow its Lua heap; past it the script fails and its writes are undone (see docs/LUA.md). 0 = no limit. Lodestone only.', { min: 0, protected: true }),
  p('slowlog-log-slower-than', 'int', 10000, 'Log commands slower than this many microseconds (-1 = off).', { min: -1 }),
  // Keyspace notifications (src/server/notify.ts): stored in Redis's canonical form (`KEA` → `AKE`).
  p('notify-keyspace-events', 'string', '', "Keyspace events to publish, Redis's classes: K (keyspace) E (keyevent) g $ l s h z x e t m d n, A = g$lshzxetd; empty = off.", {
    parse: (raw) => parseNotifyConfig(raw),
  }),
  p('slowlog-max-len', 'int', 128, 'Entries kept in the slow log.', { min: 0 }),
  // Persistence (used by the persistence subsystem)
  p('appendonly', 'bool', false, 'Append every write to the AOF.'),
  p('appendfsync', 'enum', 'everysec', 'When to fsync the AOF.', { values: ['always', 'everysec', 'no'] }),
  p('appendfilename', 'string', 'appendonly.aof', 'AOF file name inside `dir` (a plain file name, not a path).', { mutable: false, protected: true, check: (v) => checkFileName('appendfilename', String(v)) }),
  p('dbfilename', 'string', 'dump.rdb', 'Snapshot file name inside `dir` (a plain file name, not a path): a Redis 7.0 RDB file (docs/PERSISTENCE.md).', { protected: true, check: (v) => checkFileName('dbfilename', String(v)) }),
  p('rdbcompression', 'bool', true, 'Compress strings in the RDB snapshot with LZF (longer than 20 bytes, when it saves space).'),
  p('rdbchecksum', 'bool', true, 'Write a CRC-64 at the end of the RDB snapshot, and check it when loading (a stored 0 is never checked).'),
  p('save', 'string', '', 'Snapshot rules ("seconds changes" pairs); empty = no automatic snapshots.'),
  p('auto-aof-rewrite-percentage', 'int', 100, 'Rewrite the AOF when it has grown by this percentage over its size after the last rewrite (0 = never).', { min: 0 }),
  p('auto-aof-rewrite-min-size', 'memory', 64 * MB, 'Do not rewrite the AOF automatically while it is smaller than this.', { min: 0 }),
  p('aof-load-truncated', 'bool', true, 'Load an AOF whose last record was cut short (crash mid-write), trimming it; no = refuse to start.'),
  p('stop-writes-on-bgsave-error', 'bool', true, 'Refuse writes (-MISCONF) while the last background snapshot failed and save rules are set.'),
  // Replication (src/replication, docs/REPLICATION.md). The old slave-* names are aliases.
  p('replicaof', 'string', '', 'Start as a replica of "<host> <port>" (REPLICAOF at run time; empty = a master).', { mutable: false, hidden: true, check: checkReplicaof }),
  p('masterauth', 'string', '', 'Password for AUTH to the master (with masteruser: AUTH <masteruser> <masterauth>).'),
  p('masteruser', 'string', '', 'ACL user to authenticate as to the master (empty = AUTH with the password only).'),
  p('replica-read-only', 'bool', true, "A replica refuses writes from clients (-READONLY You can't write against a read only replica.)."),
  p('slave-read-only', 'bool', true, 'Old name of replica-read-only.'),
  p('replica-serve-stale-data', 'bool', true, 'While the link to the master is down, a replica still serves (possibly stale) data; no = -MASTERDOWN for every command without the stale flag.'),
  p('slave-serve-stale-data', 'bool', true, 'Old name of replica-serve-stale-data.'),
  p('repl-backlog-size', 'memory', MB, 'Bytes of the replication stream kept for partial resynchronization (a circular buffer).', { min: 16 * 1024 }),
  p('repl-backlog-ttl', 'int', 3600, 'Accepted for compatibility; the backlog is kept as long as the server runs.', { min: 0, noop: true }),
  p('repl-ping-replica-period', 'int', 10, 'Seconds between the PINGs a master sends into the replication stream.', { min: 1 }),
  p('repl-ping-slave-period', 'int', 10, 'Old name of repl-ping-replica-period.', { min: 1 }),
  p('repl-timeout', 'int', 60, 'Seconds without data after which a replication link (either side) is considered dead.', { min: 1 }),
  p('repl-diskless-sync', 'bool', true, 'Send the RDB of a full resynchronization in the $EOF:<mark> form to replicas that announce capa eof (Lodestone never writes it to disk either way).'),
  p('repl-diskless-sync-delay', 'int', 5, 'Accepted for compatibility; Lodestone produces the RDB at once, without waiting for more replicas.', { min: 0, noop: true }),
  p('repl-diskless-sync-max-replicas', 'int', 0, 'Accepted for compatibility (see repl-diskless-sync-delay).', { min: 0, noop: true }),
  p('repl-diskless-load', 'enum', 'disabled', 'Accepted for compatibility; a replica always receives the RDB into memory and loads it from there.', { values: ['disabled', 'on-empty-db', 'swapdb'], noop: true }),
  p('repl-disable-tcp-nodelay', 'bool', false, 'Accepted for compatibility; the replication socket always uses TCP_NODELAY.', { noop: true }),
  p('min-replicas-to-write', 'int', 0, 'Refuse writes (-NOREPLICAS) unless at least this many replicas acked within min-replicas-max-lag seconds (0 = off).', { min: 0 }),
  p('min-slaves-to-write', 'int', 0, 'Old name of min-replicas-to-write.', { min: 0 }),
  p('min-replicas-max-lag', 'int', 10, 'Seconds since its last ACK for a replica to count for min-replicas-to-write.', { min: 0 }),
  p('min-slaves-max-lag', 'int', 10, 'Old name of min-replicas-max-lag.', { min: 0 }),
  p('replica-priority', 'int', 100, 'Shown in INFO replication (slave_priority) for Sentinel: lower is preferred at failover, 0 = never promote.', { min: 0 }),
  p('slave-priority', 'int', 100, 'Old name of replica-priority.', { min: 0 }),
  p('replica-announced', 'bool', true, 'Shown in INFO replication for Sentinel: whether Sentinel reports this replica.'),
  p('replica-announce-ip', 'string', '', 'IP the replica announces to its master (REPLCONF ip-address); empty = the master sees the connection address.'),
  p('slave-announce-ip', 'string', '', 'Old name of replica-announce-ip.'),
  p('replica-announce-port', 'int', 0, 'Port the replica announces to its master (REPLCONF listening-port); 0 = the port it listens on.', { min: 0, max: 65535 }),
  p('slave-announce-port', 'int', 0, 'Old name of replica-announce-port.', { min: 0, max: 65535 }),
  p('shutdown-timeout', 'int', 10, 'Seconds SHUTDOWN (without NOW) waits, with writes paused, for the replicas to acknowledge everything written (0 = do not wait).', { min: 0 }),
  p('replica-lazy-flush', 'bool', false, 'Accepted for compatibility; the flush before loading a full resynchronization is synchronous.', { noop: true }),
  p('replica-ignore-maxmemory', 'bool', true, 'Accepted for compatibility.', { noop: true }),
  // Memory
  p('maxmemory', 'memory', 0, 'Memory limit in bytes (0 = none).', { min: 0 }),
  p('maxmemory-policy', 'enum', 'noeviction', 'What to do when maxmemory is reached.', {
    values: ['noeviction', 'allkeys-lru', 'volatile-lru', 'allkeys-random', 'volatile-random', 'volatile-ttl', 'allkeys-lfu', 'volatile-lfu'],
  }),
  p('maxmemory-samples', 'int', 5, 'Keys sampled per eviction.', { min: 1, max: 64 }),
  p('lfu-log-factor', 'int', 10, 'LFU counter growth: higher needs more accesses to reach 255 (about 1M at 10).', { min: 0 }),
  p('lfu-decay-time', 'int', 1, 'Minutes after which an idle key\'s LFU counter drops by one (0 = never).', { min: 0 }),
  p('lazyfree-lazy-user-del', 'bool', false, 'Accepted for compatibility; deletes are always synchronous.', { noop: true }),
  p('hll-sparse-max-bytes', 'memory', 3000, 'Largest sparse HyperLogLog value (16-byte header included); past it, or with a register above 32, the HLL becomes the 12 KB dense encoding, as in Redis.', { min: 0 }),
  p('lazyfree-lazy-eviction', 'bool', false, 'Accepted for compatibility; evictions free synchronously.', { noop: true }),
  p('lazyfree-lazy-expire', 'bool', false, 'Accepted for compatibility; expired keys are freed synchronously.', { noop: true }),
  p('lazyfree-lazy-server-del', 'bool', false, 'Accepted for compatibility; implicit deletes are synchronous.', { noop: true }),
  p('lazyfree-lazy-user-flush', 'bool', false, 'Accepted for compatibility; FLUSHALL / FLUSHDB (with or without ASYNC) free synchronously.', { noop: true }),
  // Latency monitor (src/server/latency.ts)
  p('latency-monitor-threshold', 'int', 0, 'LATENCY: record events (command, fast-command, expire-cycle …) that take at least this many milliseconds (0 = off).', { min: 0 }),
  p('tracking-table-max-keys', 'int', 1000000, 'CLIENT TRACKING: keys remembered for default-mode tracking clients; past it the oldest are invalidated (0 = no limit).', { min: 0 }),
  p('latency-tracking', 'bool', true, 'Keep a latency histogram per command (LATENCY HISTOGRAM).'),
  // Encoding knobs: accepted and reported, no effect (Lodestone's structures do not change encoding).
  ...[
    ['hash-max-listpack-entries', 512],
    ['hash-max-listpack-value', 64],
    ['hash-max-ziplist-entries', 512],
    ['hash-max-ziplist-value', 64],
    ['list-max-listpack-size', -2],
    ['list-max-ziplist-size', -2],
    ['list-compress-depth', 0],
    ['set-max-intset-entries', 512],
    ['set-max-listpack-entries', 128],
    ['set-max-listpack-value', 64],
    ['zset-max-listpack-entries', 128],
    ['zset-max-listpack-value', 64],
    ['zset-max-ziplist-entries', 128],
    ['zset-max-ziplist-value', 64],
    ['stream-node-max-bytes', 4096],
    ['stream-node-max-entries', 100],
    ['activerehashing', 1],
  ].map(([n, d]) =>
    p(n as string, 'int', d as number, 'Redis encoding tuning: does not change Lodestone\'s data structures; the hash/set thresholds only decide, as in Redis, which collections report a compact OBJECT ENCODING, keep insertion (or integer) order and are returned whole by HSCAN/SSCAN.', { noop: true }),
  ),
  // WebAssembly UDFs (ADR-0009 [wasm] sections)
  p('wasm.enabled', 'bool', true, 'Enable the WASM.* commands.', { mutable: false }),
  p('wasm.module_dir', 'string', './wasm', 'Directory WASM.LOAD reads module files from (relative = inside `dir`); loaded modules persist in its .loaded/ subdirectory. Symbolic links out of it are not followed.', { mutable: false, protected: true, check: checkPath }),
  p('wasm.metering', 'bool', true, 'Instrument modules for fuel, time and depth limits. Turn off only to measure the cost of metering: without it a runaway guest cannot be stopped.', { protected: true }),
  p('wasm.limits.max_memory', 'memory', 64 * MB, 'Linear memory cap per instance, bytes.', { min: 65536, protected: true }),
  p('wasm.limits.max_total_memory', 'memory', GB, 'Cap on the linear memory of all WASM instances together (warm pools included), bytes; 0 = only maxmemory.', { min: 0, protected: true }),
  p('wasm.limits.max_reply_bytes', 'memory', 64 * MB, 'Largest reply a WASM function may build (reply_* host calls), bytes.', { min: 1024, protected: true }),
  p('wasm.limits.max_module_bytes', 'memory', 32 * MB, 'Largest module WASM.LOAD accepts, bytes.', { min: 8, protected: true }),
  p('wasm.limits.max_table_elements', 'int', 100_000, 'Most table elements (funcref/externref) an instance may hold, all its tables together: initial sizes over it are refused at WASM.LOAD, and table.grow stops at it. Each element counts 40 bytes in used_memory.', { min: 0, protected: true }),
  p('wasm.limits.max_fuel', 'int', 1_000_000, 'Fuel (metered work units) per call.', { min: 1, protected: true }),
  p('wasm.limits.max_duration_ms', 'int', 5000, 'Wall-clock limit per call, milliseconds.', { min: 1, protected: true }),
  p('wasm.limits.max_call_depth', 'int', 1000, 'Maximum guest call depth.', { min: 1, protected: true }),
  p('wasm.pool.min_instances', 'int', 2, 'Warm instances kept per function.', { min: 0 }),
  p('wasm.pool.max_instances', 'int', 16, 'Most instances per function.', { min: 1 }),
  p('wasm.pool.idle_timeout_secs', 'int', 300, 'Idle instances above the minimum are dropped after this.', { min: 0 }),
  p('wasm.security.default_permissions', 'enum', 'readonly', 'Permissions of a module loaded without PERMISSIONS.', {
    values: ['none', 'readonly', 'readwrite'],
  }),
];

export const PARAM_BY_NAME = new Map(PARAMS.map((s) => [s.name, s]));

/** Parse a Redis-style memory value: 1024, 1kb, 64mb, 1gb (case-insensitive; k/m/g are 1000-based). */
export function parseMemory(s: string): number | null {
  const m = /^(-?\d+)(k|kb|m|mb|g|gb|b)?$/i.exec(s.trim());
  if (!m) return null;
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  const mult: Record<string, number> = { '': 1, b: 1, k: 1000, kb: 1024, m: 1e6, mb: MB, g: 1e9, gb: GB };
  return n * mult[unit];
}

/**
 * Convert a text value (CLI, CONFIG SET) to the parameter's type; throws with a message on error.
 * `current` is the value it replaces (for parameters whose text may change only part of it).
 */
export function parseParam(spec: ParamSpec, raw: string, current: ParamValue = spec.default): ParamValue {
  if (spec.parse) return spec.parse(raw, String(current));
  let v: ParamValue;
  switch (spec.type) {
    case 'bool': {
      const l = raw.toLowerCase();
      if (l === 'yes' || l === 'true') v = true;
      else if (l === 'no' || l === 'false') v = false;
      else throw new Error('argument must be \'yes\' or \'no\'');
      break;
    }
    case 'int': {
      // Redis's string2ll: no spaces, sign '+', leading zeros or "-0", and within a signed 64-bit
      // integer (past it Number() would round: 9223372036854775808 must not become a valid limit).
      if (!/^(0|-?[1-9]\d{0,18})$/.test(raw) || BigInt(raw) > INT64_MAX || BigInt(raw) < -INT64_MAX - 1n) {
        throw new Error('argument couldn\'t be parsed into an integer');
      }
      v = Number(raw);
      break;
    }
    case 'memory': {
      const n = parseMemory(raw);
      if (n === null) throw new Error('argument must be a memory value');
      v = n;
      break;
    }
    case 'enum': {
      const l = raw.toLowerCase();
      if (!spec.values!.includes(l)) throw new Error(`argument(s) must be one of the following: ${spec.values!.join(', ')}`);
      v = l;
      break;
    }
    default:
      v = raw;
  }
  checkRange(spec, v);
  spec.check?.(v);
  return v;
}

/** Validate a value coming from TOML (already typed). */
export function checkTomlValue(spec: ParamSpec, v: unknown, current: ParamValue = spec.default): ParamValue {
  if (spec.list && Array.isArray(v)) {
    if (!v.every((x) => typeof x === 'string')) throw new Error('expected an array of strings');
    return v.join('\n');
  }
  if (spec.parse) {
    if (typeof v === 'string') return spec.parse(v, String(current));
    throw new Error('expected a string');
  }
  switch (spec.type) {
    case 'bool':
      if (typeof v === 'boolean') return v;
      if (v === 'yes' || v === 'no') return v === 'yes';
      throw new Error(`expected a boolean (true/false)`);
    case 'int':
      if (typeof v === 'number' && Number.isInteger(v)) return checkRange(spec, v);
      throw new Error(`expected an integer`);
    case 'memory':
      if (typeof v === 'number' && Number.isInteger(v)) return checkRange(spec, v);
      if (typeof v === 'string') return parseParam(spec, v);
      throw new Error(`expected a size in bytes (integer or "64mb")`);
    case 'enum':
      if (typeof v === 'string') return parseParam(spec, v);
      throw new Error(`expected one of ${spec.values!.join(', ')}`);
    default:
      if (typeof v === 'string') {
        spec.check?.(v);
        return v;
      }
      throw new Error(`expected a string`);
  }
}

function checkRange(spec: ParamSpec, v: ParamValue): ParamValue {
  if (typeof v === 'number') {
    if (spec.min !== undefined && v < spec.min) throw new Error(`argument must be between ${spec.min} and ${spec.max ?? 'infinity'} inclusive`);
    if (spec.max !== undefined && v > spec.max) throw new Error(`argument must be between ${spec.min ?? '-infinity'} and ${spec.max} inclusive`);
  }
  return v;
}

/** How CONFIG GET shows a value (Redis prints booleans as yes/no). */
export function formatParam(spec: ParamSpec, v: ParamValue): string {
  if (spec.type === 'bool') return v ? 'yes' : 'no';
  return String(v);
}
