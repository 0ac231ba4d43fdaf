// LATENCY (LATEST HISTORY RESET DOCTOR GRAPH HISTOGRAM HELP), LOLWUT and MODULE — Redis 7.0.15's
// replies and error texts. The monitor itself (samples, thresholds, histograms) is
// src/server/latency.ts; the metadata (arity, flags, docs) of these commands comes from Redis's own
// dump (src/commands/meta.ts), the specs here only dispatch.
//
// Where Lodestone differs from Redis 7.0:
//   - LATENCY DOCTOR never gives the transparent-huge-pages advice (it does not read smaps) nor the
//     fork-rate comment (Lodestone does not fork).
//   - LOLWUT draws no art: every version answers Redis's trailer line `Redis ver. 7.0.15`, which is
//     all Redis prints for versions other than 5 and 6 (theirs are random drawings).
//   - MODULE LIST is always empty: Lodestone loads no Redis modules (WASM.* is its extension
//     mechanism). MODULE LOAD / LOADEX / UNLOAD are refused as Redis refuses them while
//     enable-module-command is `no` (the default) or `local` from a remote client; when allowed they
//     fail the way a failed load / unknown module fails in Redis.

import { MapReply, Reply, ReplyError, Status, VerbatimReply, ERR_NOT_INTEGER } from '../protocol/reply.js';
import { REDIS_VERSION } from '../version.js';
import { parseInt64 } from '../util/numbers.js';
import { bucketLabel, HIST_BUCKETS, LatencySeries, latencyEvents } from '../server/latency.js';
import type { Server } from '../server/server.js';
import type { Command, CommandSpec } from './table.js';

function helpReply(name: string, lines: string[]): Reply {
  return [
    new Status(`${name} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:`),
    ...lines.map((l) => new Status(l)),
    new Status('HELP'),
    new Status('    Prints this help.'),
  ];
}

const TS_LEN = 160;

function samplesOf(ts: LatencySeries): [number, number][] {
  const out: [number, number][] = [];
  for (let j = 0; j < TS_LEN; j++) {
    const i = (ts.idx + j) % TS_LEN;
    if (ts.times[i] !== 0) out.push([ts.times[i], ts.lats[i]]);
  }
  return out;
}

// ---- LATENCY GRAPH: sparkline.c ------------------------------------------------------------------

const CHARSET = '_-`';
const CHARSET_FILL = '_o#';

function sparkline(values: number[], labels: string[], columns: number, rows: number): string {
  let out = '';
  let min = 0;
  let max = 0;
  values.forEach((v, i) => {
    if (i === 0) min = max = v;
    else {
      if (v > max) max = v;
      if (v < min) min = v;
    }
  });
  for (let j = 0; j < values.length; j += columns) {
    const len = Math.min(columns, values.length - j);
    if (j !== 0) out += '\n';
    let relmax = max - min;
    if (relmax === 0) relmax = 1;
    const steps = CHARSET.length * rows;
    let row = 0;
    for (let loop = true; loop; ) {
      loop = false;
      const chars = new Array<string>(len).fill(' ');
      for (let c = 0; c < len; c++) {
        const v = values[j + c];
        let step = Math.trunc(Math.trunc((v - min) * steps) / relmax);
        if (step < 0) step = 0;
        if (step >= steps) step = steps - 1;
        if (row < rows) {
          const idx = step - (rows - row - 1) * CHARSET.length;
          loop = true;
          if (idx >= 0 && idx < CHARSET.length) chars[c] = CHARSET_FILL[idx];
          else if (idx >= CHARSET.length) chars[c] = '|';
        } else {
          if (labels.length > 0 && row - rows < 1) {
            loop = true;
            break;
          }
          const label = labels[j + c];
          const at = row - rows - 1;
          if (label.length > at) {
            loop = true;
            chars[c] = label[at];
          }
        }
      }
      if (loop) {
        row++;
        out += chars.join('') + '\n';
      }
    }
  }
  return out;
}

function graph(event: string, ts: LatencySeries): string {
  const samples = samplesOf(ts);
  const now = Math.floor(Date.now() / 1000);
  const values = samples.map((s) => s[1]);
  const labels = samples.map(([t]) => {
    const e = now - t;
    if (e < 60) return `${e}s`;
    if (e < 3600) return `${Math.floor(e / 60)}m`;
    if (e < 86400) return `${Math.floor(e / 3600)}h`;
    return `${Math.floor(e / 86400)}d`;
  });
  const hi = values.length ? Math.max(...values) : 0;
  const lo = values.length ? Math.min(...values) : 0;
  return `${event} - high ${hi} ms, low ${lo} ms (all time high ${ts.max} ms)\n${'-'.repeat(80)}\n${sparkline(values, labels, 80, 4)}`;
}

// ---- LATENCY DOCTOR: createLatencyReport ---------------------------------------------------------

function doctor(server: Server): string {
  const events = latencyEvents(server);
  const threshold = server.config.getInt('latency-monitor-threshold');
  if (events.size === 0 && threshold === 0) {
    return "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";
  }
  const adv = new Set<string>();
  let advices = 0;
  let report = '';
  let n = 0;
  const now = Math.floor(Date.now() / 1000);
  for (const [event, ts] of events) {
    n++;
    if (n === 1) report += "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";
    const samples = samplesOf(ts);
    let sum = 0;
    let oldest = 0;
    for (const [t, l] of samples) {
      sum += l;
      if (oldest === 0 || t < oldest) oldest = t;
    }
    const count = samples.length;
    const avg = count ? Math.floor(sum / count) : 0;
    let period = count ? now - oldest : 0;
    if (count && period === 0) period = 1;
    let dev = 0;
    for (const [, l] of samples) dev += Math.abs(avg - l);
    const mad = count ? Math.floor(dev / count) : 0;
    report += `${n}. ${event}: ${count} latency spikes (average ${avg}ms, mean deviation ${mad}ms, period ${(period / count).toFixed(2)} sec). Worst all time event ${ts.max}ms.`;
    const e = event.toLowerCase();
    const add = (...a: string[]): void => {
      for (const x of a) adv.add(x);
      advices += a.length;
    };
    if (e === 'command') {
      const slower = server.config.getInt('slowlog-log-slower-than');
      if (slower < 0) add('slowlog_enabled');
      else if (Math.trunc(slower / 1000) > threshold) add('slowlog_tuning');
      add('slowlog_inspect', 'large_objects');
    }
    if (e === 'fast-command') add('scheduler');
    if (e === 'aof-write-pending-fsync') add('local_disk', 'disk_contention', 'ssd', 'data_writeback');
    if (e === 'aof-write-active-child') add('no_appendfsync', 'data_writeback', 'ssd');
    if (e === 'aof-write-alone') add('local_disk', 'data_writeback', 'ssd');
    if (e === 'aof-fsync-always') add('relax_fsync_policy');
    if (e === 'aof-fstat' || e === 'rdb-unlink-temp-file') add('disk_contention', 'local_disk');
    if (e === 'aof-rewrite-diff-write' || e === 'aof-rename') add('write_load_info', 'data_writeback', 'ssd', 'local_disk');
    if (e === 'expire-cycle') add('hz', 'large_objects');
    if (e === 'eviction-del') add('large_objects');
    if (e === 'eviction-cycle') add('mass_eviction');
    report += '\n';
  }
  if (n === 0 && advices === 0) {
    return report + 'Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n';
  }
  if (n > 0 && advices === 0) {
    return report + "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n";
  }
  report += '\nI have a few advices for you:\n\n';
  const t1000 = threshold * 1000;
  if (adv.has('slowlog_enabled')) report += `- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than ${t1000}'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n`;
  if (adv.has('slowlog_tuning')) report += `- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than ${t1000}'.\n`;
  if (adv.has('slowlog_inspect')) report += '- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n';
  if (adv.has('scheduler')) {
    report +=
      '- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n' +
      '  1) Lower the system load.\n' +
      '  2) Use a computer / VM just for Redis if you are running other software in the same system.\n' +
      '  3) Check if you have a "noisy neighbour" problem.\n' +
      "  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n" +
      '  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n';
  }
  if (adv.has('local_disk')) report += '- It is strongly advised to use local disks for persistence, especially if you are using AOF. Remote disks provided by platform-as-a-service providers are known to be slow.\n';
  if (adv.has('ssd')) report += '- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF log rewriting (resulting in smaller memory usage and smaller final AOF rewrite buffer flushes). With extremely high write load SSD disks can be a good option. However Redis should perform reasonably with high load using normal disks. Use this advice as a last resort.\n';
  if (adv.has('data_writeback')) report += '- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared to data=ordered, however this mode of operation provides less guarantees, and sometimes it can happen that after a hard crash the AOF file will have a half-written command at the end and will require to be repaired before Redis restarts.\n';
  if (adv.has('disk_contention')) report += '- Try to lower the disk contention. This is often caused by other disk intensive processes running in the same computer (including other Redis instances).\n';
  if (adv.has('no_appendfsync')) report += "- Assuming from the point of view of data safety this is viable in your environment, you could try to enable the 'no-appendfsync-on-rewrite' option, so that fsync will not be performed while there is a child rewriting the AOF file or producing an RDB file (the moment where there is high disk contention).\n";
  if (adv.has('relax_fsync_policy') && server.config.getString('appendfsync') === 'always') report += "- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n";
  if (adv.has('write_load_info')) report += '- Latency during the AOF atomic rename operation or when the final difference is flushed to the AOF file at the end of the rewrite, sometimes is caused by very high write load, causing the AOF buffer to get very large. If possible try to send less commands to accomplish the same work, or use Lua scripts to group multiple operations into a single EVALSHA call.\n';
  if (adv.has('hz') && server.config.getInt('hz') < 100) report += "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n";
  if (adv.has('large_objects')) report += '- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n';
  if (adv.has('mass_eviction')) report += "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n";
  return report;
}

// ---- LATENCY HISTOGRAM ------------------------------------------------------------------------------

function cdf(h: number[]): MapReply {
  let calls = 0;
  for (const n of h) calls += n;
  const flat: Reply[] = [];
  let cum = 0;
  for (let k = 0; k < HIST_BUCKETS; k++) {
    const before = cum;
    cum += h[k];
    if (cum > before) flat.push(bucketLabel(k), cum);
  }
  return new MapReply(['calls', calls, 'histogram_usec', new MapReply(flat)]);
}

function histogram(server: Server, args: string[]): Reply {
  const out: Reply[] = [];
  const emit = (c: Command): void => {
    if (c.latencyHist) out.push(c.fullName, cdf(c.latencyHist));
  };
  if (args.length === 2) {
    for (const c of server.table.all()) emit(c);
  } else {
    for (const name of args.slice(2)) {
      const [top, sub] = name.toLowerCase().split('|', 2);
      const cmd = server.table.lookup(top);
      if (!cmd) continue;
      if (sub !== undefined) {
        const s = cmd.sub?.get(sub);
        if (s) emit(s);
        continue;
      }
      emit(cmd);
      if (cmd.sub) for (const s of cmd.sub.values()) emit(s);
    }
  }
  return new MapReply(out);
}

const LATENCY_HELP = [
  'DOCTOR',
  '    Return a human readable latency analysis report.',
  'GRAPH <event>',
  '    Return an ASCII latency graph for the <event> class.',
  'HISTORY <event>',
  '    Return time-latency samples for the <event> class.',
  'LATEST',
  '    Return the latest latency samples for all events.',
  'RESET [<event> ...]',
  '    Reset latency data of one or more <event> classes.',
  '    (default: reset all data for all event classes)',
  'HISTOGRAM [COMMAND ...]',
  '    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.',
  '    If no commands are specified then all histograms are replied.',
];

/** A subcommand whose metadata (docs, flags …) Redis's dump supplies; arity and flags drive dispatch. */
function sub(name: string, arity: number, flags: CommandSpec['flags'], handler: CommandSpec['handler'], extra: Partial<CommandSpec> = {}): CommandSpec {
  return { name, arity, flags, keys: [0, 0, 0], group: 'server', summary: '', since: '7.0.0', handler, ...extra };
}

const ADMIN_LS: CommandSpec['flags'] = ['admin', 'noscript', 'loading', 'stale'];

const latencyCommand: CommandSpec = {
  name: 'latency',
  arity: -2,
  flags: [],
  keys: [0, 0, 0],
  group: 'server',
  summary: 'A container for latency diagnostics commands',
  since: '2.8.13',
  subcommands: [
    sub('latest', 2, ADMIN_LS, (ctx) => {
      const out: Reply[] = [];
      for (const [event, ts] of latencyEvents(ctx.server)) {
        const last = (ts.idx + TS_LEN - 1) % TS_LEN;
        out.push([event, ts.times[last], ts.lats[last], ts.max]);
      }
      return out;
    }),
    sub('history', 3, ADMIN_LS, (ctx, args) => {
      const ts = latencyEvents(ctx.server).get(args[2]);
      return ts ? samplesOf(ts).map(([t, l]) => [t, l]) : [];
    }),
    sub('graph', 3, ADMIN_LS, (ctx, args) => {
      const ts = latencyEvents(ctx.server).get(args[2]);
      if (!ts) return new ReplyError('ERR', `No samples available for event '${args[2]}'`);
      return new VerbatimReply(graph(args[2], ts));
    }),
    sub('doctor', 2, ADMIN_LS, (ctx) => new VerbatimReply(doctor(ctx.server))),
    sub('reset', -2, ADMIN_LS, (ctx, args) => {
      const events = latencyEvents(ctx.server);
      if (args.length === 2) {
        const n = events.size;
        events.clear();
        return n;
      }
      let n = 0;
      for (const name of args.slice(2)) {
        for (const e of [...events.keys()]) {
          if (e.toLowerCase() === name.toLowerCase()) {
            events.delete(e);
            n++;
          }
        }
      }
      return n;
    }),
    sub('histogram', -2, ADMIN_LS, (ctx, args) => histogram(ctx.server, args)),
    sub('help', 2, ['loading', 'stale'], () => helpReply('LATENCY', LATENCY_HELP)),
  ],
};

// ---- LOLWUT ------------------------------------------------------------------------------------------

const lolwutCommand: CommandSpec = {
  name: 'lolwut',
  arity: -1,
  flags: ['readonly', 'fast'],
  keys: [0, 0, 0],
  group: 'server',
  summary: 'Display some computer art and the Redis version',
  since: '5.0.0',
  handler: (_ctx, args) => {
    if (args.length >= 3 && args[1].toLowerCase() === 'version') {
      // getLongFromObjectOrReply with the generic message.
      if (parseInt64(args[2]) === null) return ERR_NOT_INTEGER;
    }
    return new VerbatimReply(`Redis ver. ${REDIS_VERSION}\n`);
  },
};

// ---- MODULE ------------------------------------------------------------------------------------------

const MODULE_HELP = [
  'LIST',
  '    Return a list of loaded modules.',
  'LOAD <path> [<arg> ...]',
  '    Load a module library from <path>, passing to it any optional arguments.',
  'LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]',
  '    Load a module library from <path>, while passing it module configurations and optional arguments.',
  'UNLOAD <name>',
  '    Unload a module.',
];

const ERR_LOAD = new ReplyError('ERR', 'Error loading the extension. Please check the server logs.');
const MOD = 'enable-module-command';
const MODULE_ADMIN: CommandSpec['flags'] = ['admin', 'noscript'];

const moduleCommand: CommandSpec = {
  name: 'module',
  arity: -2,
  flags: [],
  keys: [0, 0, 0],
  group: 'server',
  summary: 'A container for module commands',
  since: '4.0.0',
  subcommands: [
    sub('list', 2, MODULE_ADMIN, () => []),
    sub('load', -3, MODULE_ADMIN, () => ERR_LOAD, { protectedBy: MOD }),
    sub('loadex', -3, MODULE_ADMIN, () => ERR_LOAD, { protectedBy: MOD }),
    sub('unload', 3, MODULE_ADMIN, () => new ReplyError('ERR', 'Error unloading module: no such module with that name'), { protectedBy: MOD }),
    sub('help', 2, ['loading', 'stale'], () => helpReply('MODULE', MODULE_HELP)),
  ],
};

export const latencyCommands: CommandSpec[] = [latencyCommand, lolwutCommand, moduleCommand];

