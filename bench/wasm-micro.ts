// `npm run bench:wasm-micro`: what one WASM.CALL costs the server, in CPU time — the figure issue 12
// sets a target for (an empty call ≤ 0.3 µs of server time) and the one that says where the
// per-call overhead goes. On this shared 2-core machine throughput and wall-clock latencies move
// with the neighbours; the CPU the server process spends on N calls does much less.
//
// One Lodestone (the built CLI, default config: metered) in its own process, one pipelined
// connection (batches of BATCH commands written at once, the next batch after all replies). Per
// case: a warm-up, then RUNS runs of N calls; the server's CPU time (all its threads' run time from
// /proc/<pid>/task/*/schedstat, in ns) around each run, divided by N. Reported: the best run and the median, the same
// minus PING's (what the call costs beyond reading a request and writing a reply), and
// usec_per_call of INFO commandstats (wall time inside the handler — includes time the server
// was descheduled, so noisy here).
//
// Cases: PING (the floor); `empty` (a module whose main does nothing); `cmd-incr` (one INCR through
// the `cmd` host function); `keys` and `ratelimit-fixed` (bench/udf, as bench:lua runs them, same
// inputs: run `node bench/build-udf.mjs` first — npm run bench:wasm-micro does).
//
// Then first calls: a module made unique with a custom section (so neither the compile cache nor
// V8's code for an earlier load helps) is loaded and called; the server time of call 1, call 2 and
// the mean of calls 3..1000 come from WASM.INFO's avg_us (exact to 0.01 µs), the round trip of
// each from the client.
//
// Writes bench/results/wasm-micro.md (unless BENCH_ONLY is set) and ends with `result …` lines.
// Environment: BENCH_N (calls per run, default 100000), BENCH_RUNS (default 5), BENCH_ONLY
// (comma-separated case names and/or `first`).

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import RedisParser from 'redis-parser';
import { EMPTY_WAT, INCR_WAT, loadavg1, machineLine, ROOT, startLodestone, writeResult, watBinary } from './common.js';

const N = Number(process.env.BENCH_N ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const BATCH = 500;
const ONLY = process.env.BENCH_ONLY ? new Set(process.env.BENCH_ONLY.split(',')) : null;
const BUILD = join(ROOT, 'bench', 'udf', 'build');

type Reply = string | number | null | Error | Reply[];

function encode(args: string[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${Buffer.byteLength(a, 'latin1')}\r\n${a}\r\n`;
  return s;
}

/** One pipelined connection that counts replies (and keeps the last one). */
class Pipe {
  private waiting = 0;
  private done: (() => void) | null = null;
  last: Reply = null;
  errors = 0;
  firstError = '';
  private readonly parser: RedisParser;

  private constructor(private readonly sock: net.Socket) {
    const got = (r: Reply): void => {
      this.last = r;
      if (r instanceof Error) {
        this.errors++;
        this.firstError ||= r.message;
      }
      if (--this.waiting === 0 && this.done) {
        const d = this.done;
        this.done = null;
        d();
      }
    };
    this.parser = new RedisParser({ returnReply: got, returnError: got, returnFatalError: (e: Error) => sock.destroy(e) });
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => this.parser.execute(d));
  }

  static open(port: number): Promise<Pipe> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1', () => resolve(new Pipe(s)));
      s.once('error', reject);
    });
  }

  /** Send `buf` holding `n` commands; resolves when all n replies are in. */
  send(buf: Buffer, n: number): Promise<void> {
    return new Promise((r) => {
      this.waiting = n;
      this.done = r;
      this.sock.write(buf);
    });
  }

  async cmd(...args: string[]): Promise<Reply> {
    await this.send(Buffer.from(encode(args), 'latin1'), 1);
    return this.last;
  }

  async ok(...args: string[]): Promise<Reply> {
    const r = await this.cmd(...args);
    if (r instanceof Error) throw new Error(`${args[0]} ${args[1] ?? ''}: ${r.message}`);
    return r;
  }

  close(): void {
    this.sock.destroy();
  }
}

interface Case {
  name: string;
  what: string;
  make: (i: number) => string[];
}

const USERS = 10_000;

/** bench/lua.ts's inputs for the same workloads. */
const CASES: Case[] = [
  { name: 'PING', what: 'PING (the request/reply floor)', make: () => ['PING'] },
  { name: 'empty', what: 'WASM.CALL of a main that does nothing', make: () => ['WASM.CALL', 'm_empty'] },
  { name: 'cmd-incr', what: 'one INCR through the `cmd` host function', make: (i) => ['WASM.CALL', 'm_incr', 'KEYS', `mi:${i % USERS}`] },
  {
    name: 'keys',
    what: 'bench/udf/keys.ts: SET, GET, INCR, GET, SET on 3 keys',
    make: (i) => {
      const u = i % USERS;
      return ['WASM.CALL', 'm_keys', 'KEYS', `kv:${u}:name`, `kv:${u}:visits`, `kv:${u}:seen`, 'ARGS', `user-${u}`, String(1_700_000_000_000 + i)];
    },
  },
  {
    name: 'ratelimit-fixed',
    what: 'bench/udf/ratelimit-fixed.ts: INCR, PTTL (PEXPIRE on the first hit)',
    make: (i) => ['WASM.CALL', 'm_rlf', 'KEYS', `rl:fixed:user${(i * 7919) % USERS}`, 'ARGS', '100', '60'],
  },
];

/** `main` runs `INCR KEYS[0]` with `cmd`, its argv pointing into the frame lodestone_input received. */
/** The module with a custom section holding `tag`: other bytes, so nothing compiled before is reused. */
function unique(bytes: Buffer, tag: string): Buffer {
  const name = Buffer.from('lodestone-bench', 'latin1');
  const body = Buffer.concat([Buffer.from([name.length]), name, Buffer.from(tag, 'latin1')]);
  if (body.length > 127) throw new Error('tag too long');
  return Buffer.concat([bytes, Buffer.from([0, body.length]), body]);
}

/**
 * CPU seconds the process has run, summed over its threads (/proc/<pid>/task/<tid>/schedstat: ns
 * on CPU): exact, where /proc/<pid>/stat counts 10 ms ticks. GC and compiler threads included.
 */
function cpuSeconds(pid: number): number {
  let ns = 0;
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // a thread that ended meanwhile
    }
  }
  return ns / 1e9;
}

const median = (a: number[]): number => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

interface Row {
  c: Case;
  best: number;
  med: number;
  usecPerCall: number;
  last: Reply;
}

async function measure(pipe: Pipe, pid: number, c: Case): Promise<Row> {
  const batches: { buf: Buffer; n: number }[] = [];
  for (let i = 0; i < N; i += BATCH) {
    let s = '';
    const n = Math.min(BATCH, N - i);
    for (let j = i; j < i + n; j++) s += encode(c.make(j));
    batches.push({ buf: Buffer.from(s, 'latin1'), n });
  }
  for (let k = 0; k < 40; k++) await pipe.send(batches[k % batches.length].buf, batches[k % batches.length].n); // warm-up
  await pipe.ok('CONFIG', 'RESETSTAT');
  pipe.errors = 0;
  const per: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    const c0 = cpuSeconds(pid);
    for (const b of batches) await pipe.send(b.buf, b.n);
    per.push(((cpuSeconds(pid) - c0) * 1e6) / N);
  }
  if (pipe.errors > 0) throw new Error(`${c.name}: ${pipe.errors} error replies, first: ${pipe.firstError}`);
  const last = pipe.last;
  const info = String(await pipe.ok('INFO', 'commandstats'));
  const stat = c.name === 'PING' ? 'ping' : 'wasm.call';
  const m = new RegExp(`cmdstat_${stat.replace('.', '\\.')}:.*usec_per_call=([0-9.]+)`).exec(info);
  return { c, best: Math.min(...per), med: median(per), usecPerCall: m ? Number(m[1]) : NaN, last };
}

interface First {
  name: string;
  loadMs: number;
  call1: number;
  call2: number;
  rest: number;
  rtt1: number;
  rtt2: number;
  rttRest: number;
}

function avgUs(info: Reply): number {
  // WASM.INFO name → [..., 'stats', [k, v, …]] (RESP2)
  const flat = info as Reply[];
  const stats = flat[flat.indexOf('stats') + 1] as Reply[];
  return Number(stats[stats.indexOf('avg_us') + 1]);
}

async function firstCalls(pipe: Pipe, label: string, bytes: Buffer, make: (i: number) => string[]): Promise<First> {
  const name = `first_${label.replace(/[^A-Za-z0-9]/g, '_')}_${process.pid}_${Date.now()}`;
  const b = unique(bytes, name);
  const t = performance.now();
  await pipe.ok('WASM.LOAD', name, b.toString('latin1'), 'PERMISSIONS', 'WRITE');
  const loadMs = performance.now() - t;
  const call = async (i: number): Promise<number> => {
    const a = make(i);
    a[1] = name;
    const t0 = performance.now();
    await pipe.ok(...a);
    return (performance.now() - t0) * 1000;
  };
  const rtt1 = await call(0);
  const a1 = avgUs(await pipe.ok('WASM.INFO', name));
  const rtt2 = await call(1);
  const a2 = avgUs(await pipe.ok('WASM.INFO', name));
  const rtts: number[] = [];
  for (let i = 2; i < 1000; i++) rtts.push(await call(i));
  const a3 = avgUs(await pipe.ok('WASM.INFO', name));
  await pipe.ok('WASM.UNLOAD', name);
  return { name: label, loadMs, call1: a1, call2: 2 * a2 - a1, rest: (1000 * a3 - 2 * a2) / 998, rtt1, rtt2, rttRest: median(rtts) };
}

async function main(): Promise<void> {
  for (const f of ['keys', 'ratelimit-fixed']) {
    if (!existsSync(join(BUILD, `${f}.wasm`))) {
      console.error(`bench/udf/build/${f}.wasm is missing: run  node bench/build-udf.mjs`);
      process.exit(2);
    }
  }
  const modules: Record<string, Buffer> = {
    m_empty: await watBinary(EMPTY_WAT),
    m_incr: await watBinary(INCR_WAT),
    m_keys: readFileSync(join(BUILD, 'keys.wasm')),
    m_rlf: readFileSync(join(BUILD, 'ratelimit-fixed.wasm')),
  };
  const loadBefore = loadavg1();
  console.log(`machine: ${machineLine()}; load average ${loadBefore}; N=${N}, best of ${RUNS} runs, batches of ${BATCH}`);
  const srv = await startLodestone();
  const pipe = await Pipe.open(srv.port);
  const rows: Row[] = [];
  const firsts: First[] = [];
  try {
    for (const [name, b] of Object.entries(modules)) await pipe.ok('WASM.LOAD', name, b.toString('latin1'), 'PERMISSIONS', 'WRITE');
    for (const c of CASES) {
      if (ONLY && !ONLY.has(c.name)) continue;
      const row = await measure(pipe, srv.pid, c);
      rows.push(row);
      console.log(`${c.name.padEnd(16)} server CPU ${row.best.toFixed(3)} µs/call (median ${row.med.toFixed(3)}), commandstats ${row.usecPerCall.toFixed(2)} µs/call; last reply ${JSON.stringify(row.last)}`);
    }
    if (!ONLY || ONLY.has('first')) {
      firsts.push(await firstCalls(pipe, 'keys', modules.m_keys, CASES[3].make));
      firsts.push(await firstCalls(pipe, 'ratelimit-fixed', modules.m_rlf, CASES[4].make));
      for (const f of firsts) {
        console.log(`first calls ${f.name}: WASM.LOAD ${f.loadMs.toFixed(1)} ms; server µs call 1 ${f.call1.toFixed(1)}, call 2 ${f.call2.toFixed(1)}, calls 3..1000 ${f.rest.toFixed(2)}; round trip µs ${f.rtt1.toFixed(0)} / ${f.rtt2.toFixed(0)} / median ${f.rttRest.toFixed(0)}`);
      }
    }
  } finally {
    pipe.close();
    await srv.stop();
  }
  const ping = rows.find((r) => r.c.name === 'PING');
  const beyond = (r: Row): string => (ping && r !== ping ? (r.best - ping.best).toFixed(3) : '');
  if (!ONLY) {
    const L: string[] = [];
    L.push('# WASM.CALL per-call cost: server CPU µs per call', '');
    L.push(`Generated by \`npm run bench:wasm-micro\` on ${new Date().toISOString().slice(0, 10)}.`);
    L.push(`Machine: ${machineLine()}; shared with other work (load average ${loadBefore} before, ${loadavg1()} after), so wall-clock numbers here are noisy; CPU time per call much less so (still ±10–20% between runs).`, '');
    L.push(`One Lodestone process (default config, metered), one pipelined connection, ${N} calls per run in batches of ${BATCH}, ${RUNS} runs per case after a warm-up. **Server CPU** = the server process's CPU time over a run (all threads, /proc/<pid>/task/*/schedstat) / N: everything the server does for a call, reading the request and writing the reply included. **Beyond PING** = that minus PING's, i.e. what the call costs on top of the cheapest command. **commandstats** = usec_per_call of INFO commandstats (wall time inside the handler; it counts time the process was descheduled, so on this machine it is the noisiest column).`, '');
    L.push('| case | what | server CPU µs/call (best) | median | beyond PING | commandstats µs/call |', '|---|---|---:|---:|---:|---:|');
    for (const r of rows) L.push(`| ${r.c.name} | ${r.c.what} | ${r.best.toFixed(3)} | ${r.med.toFixed(3)} | ${beyond(r)} | ${r.usecPerCall.toFixed(2)} |`);
    if (firsts.length) {
      L.push('', '## First calls after WASM.LOAD', '');
      L.push('A module made unique with a custom section (no compile-cache hit), loaded, then called 1000 times one at a time. Server µs from WASM.INFO avg_us; round trips from the client.', '');
      L.push('| module | WASM.LOAD ms | server µs call 1 | call 2 | calls 3..1000 (mean) | round trip µs call 1 | call 2 | calls 3..1000 (median) |', '|---|---:|---:|---:|---:|---:|---:|---:|');
      for (const f of firsts) L.push(`| ${f.name} | ${f.loadMs.toFixed(1)} | ${f.call1.toFixed(1)} | ${f.call2.toFixed(1)} | ${f.rest.toFixed(2)} | ${f.rtt1.toFixed(0)} | ${f.rtt2.toFixed(0)} | ${f.rttRest.toFixed(0)} |`);
    }
    console.log(`wrote ${writeResult('wasm-micro.md', L.join('\n') + '\n')}`);
  }
  for (const r of rows) console.log(`result ${r.c.name}: server cpu ${r.best.toFixed(3)} us/call, beyond ping ${beyond(r) || '0'} us, commandstats ${r.usecPerCall.toFixed(2)} us/call`);
  for (const f of firsts) console.log(`result first ${f.name}: call1 ${f.call1.toFixed(1)} us, call2 ${f.call2.toFixed(1)} us, rest ${f.rest.toFixed(2)} us`);
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
