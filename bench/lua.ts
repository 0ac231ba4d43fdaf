// `npm run bench:lua`: Redis Lua scripts vs Lodestone WebAssembly UDFs, the same logic side by side
// (bench/udf/<workload>.lua and bench/udf/<workload>.ts, built by bench/build-udf.mjs).
//
// Servers: a real redis-server (scripts loaded with SCRIPT LOAD, run with EVALSHA; the same scripts also run with EVALSHA on Lodestone's own Lua engine), Lodestone with
// its default config (metered; functions loaded with WASM.LOAD … PERMISSIONS WRITE, run with
// WASM.CALL) and a second Lodestone with `--wasm.metering no` for the cost of metering. Before
// measuring anything every workload is run on all three with the same input and must give the same
// answer (and, where there is one, the answer computed here in JS).
//
// Per workload:
//   server µs/call   CONFIG RESETSTAT, a warm-up, then calls for a fixed time on one pipelined
//                    connection, then INFO commandstats: usec_per_call of cmdstat_evalsha (Redis)
//                    and cmdstat_wasm.call (Lodestone) — the same counter on both, which covers the
//                    script/function and the commands it runs, not the network or RESP parsing.
//   client           50 connections, closed loop, a few seconds: calls/s and p50/p99 latency.
// Then the gateway scenario (../shared/reference/gateway-plugin-spec.md): 1,000 connections each
// calling the fixed-window limiter every 100 ms (open loop, 10,000 checks/s) for 5 s, per server.
//
// Writes bench/results/lua.md and bench/results/lua.svg; ends with one `result <workload>: …` line
// per workload. Environment: BENCH_SECONDS (client run length, default 5), BENCH_SERVER_SECONDS
// (server-µs run length, default 2), BENCH_ONLY (comma-separated workloads and/or `gateway`; the
// result files are then left alone), BENCH_NO_GATEWAY=1, BENCH_LODESTONE_NODE_FLAGS (node flags for
// the metered Lodestone, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"; it is shut down cleanly).
//
// Where taskset exists and there are two cores or more, every server runs on core 0 and this
// process (the load generator) on core 1, as bench:throughput and bench:floor do: the usec_per_call
// both sides report is wall time inside the handler, which a load generator sharing the core
// inflates by whenever it preempts the server.

import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import RedisParser from 'redis-parser';
import { cpus } from 'node:os';
import { cpuSeconds, have, loadavg1, machineLine, pin, requireTools, ROOT, startLodestone, startRedis, Srv, writeResult } from './common.js';

// ------------------------------------------------------------------------------------------------
// A small RESP client: callbacks, pipelining, nothing else.

type Reply = string | number | null | Error | Reply[];
type Callback = (r: Reply) => void;

function encode(args: (string | Buffer)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`, 'latin1')];
  for (const a of args) {
    const b = typeof a === 'string' ? Buffer.from(a, 'latin1') : a;
    parts.push(Buffer.from(`$${b.length}\r\n`, 'latin1'), b, Buffer.from('\r\n', 'latin1'));
  }
  return Buffer.concat(parts);
}

class Conn {
  private queue: (Callback | undefined)[] = [];
  private head = 0;
  private readonly parser: RedisParser;
  private dead: Error | null = null;

  private constructor(private readonly sock: net.Socket) {
    this.parser = new RedisParser({
      returnReply: (r: Reply) => this.deliver(r),
      returnError: (e: Error) => this.deliver(e),
      returnFatalError: (e: Error) => this.fail(e),
    });
    sock.setNoDelay(true);
    sock.on('data', (d: Buffer) => this.parser.execute(d));
    sock.on('error', (e) => this.fail(e));
    sock.on('close', () => this.fail(new Error('connection closed')));
  }

  static open(port: number): Promise<Conn> {
    return new Promise((resolve, reject) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.removeListener('error', reject);
        resolve(new Conn(s));
      });
      s.once('error', reject);
    });
  }

  get pending(): number {
    return this.queue.length - this.head;
  }

  private deliver(r: Reply): void {
    const cb = this.queue[this.head];
    this.queue[this.head++] = undefined;
    if (this.head === this.queue.length) {
      this.queue.length = 0;
      this.head = 0;
    }
    cb?.(r);
  }

  private fail(e: Error): void {
    if (this.dead) return;
    this.dead = e;
    while (this.pending > 0) this.deliver(e);
  }

  send(cmd: Buffer, cb: Callback): void {
    if (this.dead) {
      cb(this.dead);
      return;
    }
    this.queue.push(cb);
    this.sock.write(cmd);
  }

  cmd(...args: (string | Buffer)[]): Promise<Reply> {
    return this.raw(encode(args));
  }

  /** Send an already encoded command. */
  raw(cmd: Buffer): Promise<Reply> {
    return new Promise((r) => this.send(cmd, r));
  }

  /** A command that must not fail. */
  async ok(...args: (string | Buffer)[]): Promise<Reply> {
    const r = await this.cmd(...args);
    if (r instanceof Error) throw new Error(`${String(args[0])} ${typeof args[1] === 'string' ? args[1] : ''}: ${r.message}`);
    return r;
  }

  close(): void {
    this.dead ??= new Error('closed');
    this.sock.destroy();
  }
}

// ------------------------------------------------------------------------------------------------
// Workloads: inputs (made here, deterministic), JS reference answers, how to call each side.

const UDF = join(ROOT, 'bench', 'udf');
const BUILD = join(UDF, 'build');

interface Input {
  keys: string[];
  args: string[];
}

interface Workload {
  name: string;
  /** The issue's target for the server-side speedup Lua/WASM. */
  target: number;
  /** Input of the i-th call of a run (varies the user for the key workloads). */
  input(i: number): Input;
  /** Inputs of the correctness check, run in order on fresh keys. */
  check: Input[];
  /** The answer for check input 0, computed here, where the logic is pure. */
  expected?: Reply;
  /** Make time-dependent replies comparable. */
  normalize?(r: Reply): Reply;
}

/** A ~1 KB order document. */
function makeOrder(): { json: string; cents: number } {
  const names = ['Widget', 'Gadget', 'Sprocket', 'Flange', 'Grommet', 'Doohickey', 'Gizmo', 'Thingamajig'];
  const items: object[] = [];
  let cents = 0;
  for (let i = 0; i < 8; i++) {
    const priceCents = 199 + ((i * 7919) % 9000);
    const qty = 1 + ((i * 3) % 5);
    const item: Record<string, unknown> = {
      sku: `SKU-${String(1000 + i * 37).padStart(5, '0')}`,
      name: `${names[i]} ${i % 2 ? 'Deluxe' : 'Standard'}`,
      price: priceCents / 100,
      tags: i % 3 ? ['hardware', 'metal'] : ['sale'],
      inStock: i % 4 !== 3,
    };
    if (i !== 5) item.qty = qty; // one item relies on the default qty of 1
    cents += priceCents * (i === 5 ? 1 : qty);
    items.push(item);
  }
  const order = {
    id: 'ORD-2024-000123',
    createdAt: '2024-11-23T10:15:00Z',
    customer: { id: 4711, name: 'Ada Lovelace', email: 'ada@example.com', tier: 'gold', address: { city: 'London', zip: 'W1' } },
    currency: 'EUR',
    items,
    note: 'Leave at the door',
  };
  return { json: JSON.stringify(order), cents };
}

/** A ~1 KB comma-separated ASCII string and the JS reference of string.lua / string.ts. */
function makeCsv(): { csv: string; hash: number } {
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];
  const tokens: string[] = [];
  let len = 0;
  for (let i = 0; len < 1000; i++) {
    const t = `${words[i % words.length]}${i}`;
    tokens.push(t);
    len += t.length + 1;
  }
  const csv = tokens.join(',');
  const out = tokens.map((t) => [...t.toUpperCase()].reverse().join('')).join(',');
  let h = 0;
  for (let i = 0; i < out.length; i++) h = (h * 31 + out.charCodeAt(i)) % 2147483648;
  return { csv, hash: h };
}

function numericRef(seed: number): number {
  let x = seed % 2147483648;
  let acc = 0;
  for (let i = 0; i < 10000; i++) {
    x = (x * 1664525 + 1013904223) % 2147483648;
    acc = (acc * 31 + Math.floor(x / 65536)) % 2147483648;
  }
  return acc;
}

const USERS = 10_000;
const rnd = (n: number): number => Math.floor(Math.random() * n);

/** retry_after_ms of a denied 60 s window check: anything in (50 s, 60 s] is "≈60s". */
function normalizeLimiter(r: Reply): Reply {
  if (!Array.isArray(r) || r.length !== 3 || typeof r[2] !== 'number') return r;
  const t = r[2];
  return [r[0], r[1], t > 50_000 && t <= 60_000 ? '≈60000' : t];
}

/** Issue 12's server µs/call speedup targets (Lua µs / WASM µs), reported as `result target …` lines. */
/** Servers on core 0 and the load generator on core 1 (taskset, ≥ 2 cores; BENCH_PIN=0: not pinned). */
const PINNED = process.env.BENCH_PIN !== '0' && have('taskset') && cpus().length >= 2;

const SPEED_TARGETS: Record<string, number> = { keys: 1.5, 'ratelimit-fixed': 2, 'ratelimit-sliding': 1.5, json: 10, string: 20, numeric: 40 };

function workloads(): Workload[] {
  const order = makeOrder();
  const csv = makeCsv();
  const seed = 20241123;
  return [
    { name: 'json', target: SPEED_TARGETS.json, input: () => ({ keys: [], args: [order.json] }), check: [{ keys: [], args: [order.json] }], expected: order.cents },
    { name: 'string', target: SPEED_TARGETS.string, input: () => ({ keys: [], args: [csv.csv] }), check: [{ keys: [], args: [csv.csv] }], expected: csv.hash },
    { name: 'numeric', target: SPEED_TARGETS.numeric, input: () => ({ keys: [], args: [String(seed)] }), check: [{ keys: [], args: [String(seed)] }], expected: numericRef(seed) },
    {
      name: 'keys',
      target: SPEED_TARGETS['keys'],
      input: (i) => {
        const u = i % USERS;
        return { keys: [`kv:${u}:name`, `kv:${u}:visits`, `kv:${u}:seen`], args: [`user-${u}`, String(1_700_000_000_000 + i)] };
      },
      check: [
        { keys: ['check:kv:name', 'check:kv:visits', 'check:kv:seen'], args: ['Ada', '1700000000001'] },
        { keys: ['check:kv:name', 'check:kv:visits', 'check:kv:seen'], args: ['Ada', '1700000000002'] },
      ],
    },
    {
      name: 'ratelimit-fixed',
      target: SPEED_TARGETS['ratelimit-fixed'],
      input: () => ({ keys: [`rl:fixed:user${rnd(USERS)}`], args: ['100', '60'] }),
      check: [0, 1, 2].map(() => ({ keys: ['check:rl:fixed'], args: ['2', '60'] })),
      normalize: normalizeLimiter,
    },
    {
      name: 'ratelimit-sliding',
      target: SPEED_TARGETS['ratelimit-sliding'],
      input: () => ({ keys: [`rl:slide:user${rnd(USERS)}`], args: ['100', '60'] }),
      check: [0, 1, 2].map(() => ({ keys: ['check:rl:slide'], args: ['2', '60'] })),
      normalize: normalizeLimiter,
    },
  ];
}

type Side = 'lua' | 'wasm';

interface Target {
  label: string;
  side: Side;
  srv: Srv;
  conn: Conn;
  /** Script SHA per workload (Redis). */
  sha: Map<string, string>;
  /** The INFO commandstats entry that times one call. */
  stat: string;
}

function command(t: Target, w: string, inp: Input): Buffer {
  if (t.side === 'lua') return encode(['EVALSHA', t.sha.get(w)!, String(inp.keys.length), ...inp.keys, ...inp.args]);
  const a = ['WASM.CALL', w];
  if (inp.keys.length) a.push('KEYS', ...inp.keys);
  if (inp.args.length) a.push('ARGS', ...inp.args);
  return encode(a);
}

/** A per-call command maker: constant inputs are encoded once. */
function commands(t: Target, w: Workload): (i: number) => Buffer {
  if (w.input(0).keys.length === 0) {
    const b = command(t, w.name, w.input(0));
    return () => b;
  }
  return (i) => command(t, w.name, w.input(i));
}

function show(r: Reply): string {
  if (r instanceof Error) return `(error) ${r.message}`;
  return JSON.stringify(r);
}

// ------------------------------------------------------------------------------------------------
// Measurements

const loadavg = loadavg1;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function pct(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Calls for `ms` on one connection with `depth` in flight. */
function pipelined(conn: Conn, make: (i: number) => Buffer, ms: number, depth = 16): Promise<{ calls: number; errors: number; firstError: string }> {
  return new Promise((resolve) => {
    const end = performance.now() + ms;
    let i = 0;
    let done = 0;
    let errors = 0;
    let firstError = '';
    let stopped = false;
    const onReply = (r: Reply): void => {
      done++;
      if (r instanceof Error) {
        errors++;
        firstError ||= r.message;
      }
      if (!stopped && performance.now() >= end) stopped = true;
      if (!stopped) conn.send(make(i++), onReply);
      else if (done === i) resolve({ calls: done, errors, firstError });
    };
    for (; i < depth; ) conn.send(make(i++), onReply);
  });
}

function parseCommandstats(info: Reply, stat: string): { calls: number; usecPerCall: number; failed: number } {
  if (typeof info !== 'string') throw new Error(`INFO commandstats: ${show(info)}`);
  const line = info.split('\r\n').find((l) => l.startsWith(`cmdstat_${stat}:`));
  if (!line) throw new Error(`INFO commandstats has no cmdstat_${stat}`);
  const f = Object.fromEntries(line.slice(line.indexOf(':') + 1).split(',').map((kv) => kv.split('=')));
  return { calls: Number(f.calls), usecPerCall: Number(f.usec_per_call), failed: Number(f.failed_calls ?? 0) };
}

/** Server-side µs per call: warm up, CONFIG RESETSTAT, calls for a fixed time, INFO commandstats. */
async function serverUs(t: Target, w: Workload, ms: number): Promise<{ us: number; calls: number }> {
  const make = commands(t, w);
  const warm = await pipelined(t.conn, make, Math.max(300, ms / 3));
  if (warm.errors) throw new Error(`${t.label} ${w.name}: ${warm.errors} failed calls, e.g. ${warm.firstError}`);
  await t.conn.ok('CONFIG', 'RESETSTAT');
  const run = await pipelined(t.conn, make, ms);
  const s = parseCommandstats(await t.conn.ok('INFO', 'commandstats'), t.stat);
  if (run.errors || s.failed) throw new Error(`${t.label} ${w.name}: ${run.errors || s.failed} failed calls, e.g. ${run.firstError}`);
  if (s.calls !== run.calls) throw new Error(`${t.label} ${w.name}: INFO counted ${s.calls} calls, the client made ${run.calls}`);
  return { us: s.usecPerCall, calls: s.calls };
}

interface ClientResult {
  rps: number;
  p50: number;
  p99: number;
  calls: number;
  errors: number;
  firstError: string;
}

/** `conns` connections, closed loop: warm-up, then `ms` measured. Latencies in ms. */
async function closedLoop(port: number, make: (i: number) => Buffer, conns: number, warmMs: number, ms: number): Promise<ClientResult> {
  const cs = await Promise.all(Array.from({ length: conns }, () => Conn.open(port)));
  const lat: number[] = [];
  let errors = 0;
  let firstError = '';
  let i = 0;
  const t0 = performance.now();
  const start = t0 + warmMs;
  const end = start + ms;
  let measured = 0;
  await Promise.all(
    cs.map(
      (c) =>
        new Promise<void>((resolve) => {
          const fire = (): void => {
            const sent = performance.now();
            if (sent >= end) {
              resolve();
              return;
            }
            c.send(make(i++), (r) => {
              const now = performance.now();
              if (sent >= start) {
                lat.push(now - sent);
                measured++;
                if (r instanceof Error) {
                  errors++;
                  firstError ||= r.message;
                }
              }
              fire();
            });
          };
          fire();
        }),
    ),
  );
  for (const c of cs) c.close();
  const sorted = Float64Array.from(lat).sort();
  return { rps: measured / (ms / 1000), p50: pct(sorted, 50), p99: pct(sorted, 99), calls: measured, errors, firstError };
}

interface GatewayResult {
  label: string;
  checks: number;
  failed: number;
  firstError: string;
  allowed: number;
  rate: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
  serverUs: number;
  maxLagMs: number;
  /** Server CPU time over the measured window, in cores (1 = one core busy). */
  cpu: number;
  /** Checks slower than 2 ms, and in how many of the run's 100 ms windows they fell. */
  slow: number;
  slowWindows: number;
  windows: number;
}

/**
 * The gateway scenario: `clients` connections, each checking its own user's fixed-window limit
 * every `periodMs` (open loop: request k goes out at t0 + k × periodMs / clients whatever the
 * replies, so a slow server cannot slow the arrivals down). The first `warmMs` of checks warm up
 * the new connections and are not counted. Latency runs from the write to the reply of each check.
 */
async function gateway(t: Target, clients: number, periodMs: number, ms: number, warmMs: number): Promise<GatewayResult> {
  const cs: Conn[] = [];
  for (let k = 0; k < clients; k += 100) cs.push(...(await Promise.all(Array.from({ length: Math.min(100, clients - k) }, () => Conn.open(t.srv.port)))));
  const cmds = cs.map((_, u) => command(t, 'ratelimit-fixed', { keys: [`gw:fixed:user${u}`], args: ['100', '60'] }));
  const step = periodMs / clients;
  const warm = Math.round(warmMs / step); // checks of the warm-up second: sent, not counted
  const total = warm + Math.round(ms / step);
  const n = total - warm;
  const lat = new Float64Array(n);
  const sentAt = new Float64Array(n);
  let done = 0;
  let failed = 0;
  let allowed = 0;
  let firstError = '';
  let maxLag = 0;
  let k = 0;
  let tMeasure = 0;
  let cpu0 = 0;
  const t0 = performance.now() + 5;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const now = performance.now();
      while (k < total && t0 + k * step <= now) {
        const idx = k++;
        if (idx === warm) {
          tMeasure = performance.now();
          cpu0 = cpuSeconds(t.srv.pid);
          t.conn.send(encode(['CONFIG', 'RESETSTAT']), () => undefined);
        }
        const sent = performance.now();
        const m = idx - warm;
        if (m >= 0) {
          sentAt[m] = sent - tMeasure;
          maxLag = Math.max(maxLag, sent - (t0 + idx * step));
        }
        cs[idx % clients].send(cmds[idx % clients], (r) => {
          if (m >= 0) {
            lat[m] = performance.now() - sent;
            if (r instanceof Error || !Array.isArray(r)) {
              failed++;
              firstError ||= show(r);
            } else if (r[0] === 1) allowed++;
          } else if (r instanceof Error || !Array.isArray(r)) {
            failed++;
            firstError ||= show(r);
          }
          if (++done === total) resolve();
        });
      }
      if (k < total) setTimeout(tick, 1);
    };
    setTimeout(tick, 5);
  });
  const elapsed = performance.now() - tMeasure;
  const cpu = (cpuSeconds(t.srv.pid) - cpu0) / (elapsed / 1000);
  const s = parseCommandstats(await t.conn.ok('INFO', 'commandstats'), t.stat);
  for (const c of cs) c.close();
  const slowWin = new Set<number>();
  let slow = 0;
  for (let j = 0; j < n; j++) {
    if (lat[j] > 2) {
      slow++;
      slowWin.add(Math.floor(sentAt[j] / 100));
    }
  }
  const sorted = lat.slice().sort();
  return {
    label: t.label,
    checks: n,
    failed,
    firstError,
    allowed,
    rate: n / (elapsed / 1000),
    p50: pct(sorted, 50),
    p99: pct(sorted, 99),
    p999: pct(sorted, 99.9),
    max: sorted[sorted.length - 1],
    serverUs: s.usecPerCall,
    maxLagMs: maxLag,
    cpu,
    slow,
    slowWindows: slowWin.size,
    windows: Math.ceil(ms / 100),
  };
}

// ------------------------------------------------------------------------------------------------
// Output

interface Row {
  w: Workload;
  luaUs: number;
  /** Lodestone's own Lua engine (EVALSHA), same scripts as Redis. */
  lodeLuaUs: number;
  wasmUs: number;
  unmeteredUs: number;
  lua: ClientResult;
  wasm: ClientResult;
}

const f2 = (n: number): string => (n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2));
const ms2 = (n: number): string => n.toFixed(2);
const speed = (r: Row): number => r.luaUs / r.wasmUs;
const meterCost = (r: Row): number => (r.wasmUs / r.unmeteredUs - 1) * 100;

function met(r: Row): { ok: boolean; text: string } {
  const s = speed(r);
  if (r.w.name.startsWith('ratelimit')) {
    const ratio = r.wasm.rps / r.lua.rps;
    return { ok: ratio >= 1, text: `calls/s ≥ Lua: ${ratio.toFixed(2)}x` };
  }
  return { ok: s >= r.w.target, text: `≥ ${r.w.target}x` };
}

function svgChart(rows: Row[]): string {
  const W = 760;
  const H = 420;
  const m = { l: 70, r: 20, t: 56, b: 70 };
  const pw = W - m.l - m.r;
  const ph = H - m.t - m.b;
  const vals = rows.flatMap((r) => [r.luaUs, r.wasmUs]);
  const lo = Math.pow(10, Math.floor(Math.log10(Math.min(...vals))));
  const hi = Math.pow(10, Math.ceil(Math.log10(Math.max(...vals))));
  const y = (v: number): number => m.t + ph - ((Math.log10(v) - Math.log10(lo)) / (Math.log10(hi) - Math.log10(lo))) * ph;
  const gw = pw / rows.length;
  const bw = Math.min(34, gw / 3);
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">Server time per call: Redis Lua (EVALSHA) vs Lodestone WASM (WASM.CALL)</text>`);
  out.push(`<text x="${W / 2}" y="40" text-anchor="middle" fill="#555">µs/call from INFO commandstats, log scale, lower is better; speedup = Lua / WASM</text>`);
  for (let d = lo; d <= hi * 1.0001; d *= 10) {
    const yy = y(d).toFixed(1);
    out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${yy}" y2="${yy}" stroke="#ddd"/>`);
    out.push(`<text x="${m.l - 8}" y="${yy}" dy="4" text-anchor="end" fill="#333">${d >= 1 ? d.toFixed(0) : d.toString()}</text>`);
  }
  out.push(`<text transform="translate(18 ${m.t + ph / 2}) rotate(-90)" text-anchor="middle" fill="#333">µs per call (log)</text>`);
  rows.forEach((r, i) => {
    const cx = m.l + gw * i + gw / 2;
    const bars: [number, string, string][] = [
      [r.luaUs, '#d9534f', 'Lua'],
      [r.wasmUs, '#337ab7', 'WASM'],
    ];
    bars.forEach(([v, color], j) => {
      const x = cx - bw - 2 + j * (bw + 4);
      const top = y(v);
      out.push(`<rect x="${x.toFixed(1)}" y="${top.toFixed(1)}" width="${bw.toFixed(1)}" height="${(m.t + ph - top).toFixed(1)}" fill="${color}"><title>${esc(r.w.name)} ${j ? 'WASM' : 'Lua'}: ${f2(v)} µs</title></rect>`);
      out.push(`<text x="${(x + bw / 2).toFixed(1)}" y="${(top - 4).toFixed(1)}" text-anchor="middle" font-size="10" fill="#333">${f2(v)}</text>`);
    });
    out.push(`<text x="${cx.toFixed(1)}" y="${m.t + ph + 18}" text-anchor="middle" fill="#111">${esc(r.w.name)}</text>`);
    out.push(`<text x="${cx.toFixed(1)}" y="${m.t + ph + 34}" text-anchor="middle" fill="${speed(r) >= 1 ? '#2b7a2b' : '#a33'}" font-weight="bold">${speed(r).toFixed(1)}x</text>`);
  });
  out.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${m.t + ph}" y2="${m.t + ph}" stroke="#333"/>`);
  const ly = H - 16;
  out.push(`<rect x="${W / 2 - 120}" y="${ly - 10}" width="12" height="12" fill="#d9534f"/><text x="${W / 2 - 102}" y="${ly}">Redis 7 Lua (EVALSHA)</text>`);
  out.push(`<rect x="${W / 2 + 40}" y="${ly - 10}" width="12" height="12" fill="#337ab7"/><text x="${W / 2 + 58}" y="${ly}">Lodestone WASM (metered)</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}

function markdown(rows: Row[], gw: GatewayResult[], cfg: { loadBefore: string; clients: number; seconds: number; serverSeconds: number; gwClients: number; gwPeriod: number; gwSeconds: number }): string {
  const date = new Date().toISOString().slice(0, 10);
  const L: string[] = [];
  L.push('# Lua vs WASM: Redis scripts vs Lodestone WebAssembly UDFs');
  L.push('');
  L.push(`Generated by \`npm run bench:lua\` on ${date}.`);
  L.push(`Machine: ${machineLine()}. ${PINNED ? 'Servers pinned to core 0, the load generator (this benchmark) to core 1' : 'Not pinned: all servers and the load generator share the cores'}; load average (1 min) ${cfg.loadBefore} before the run, ${loadavg()} after it.`);
  L.push('');
  L.push('The same logic twice, side by side in `bench/udf/`: `<workload>.lua` run by Redis with EVALSHA, `<workload>.ts` (AssemblyScript with the SDK in `wasm-examples/sdk/`, built by `bench/build-udf.mjs` with the same asc flags as the examples) run by Lodestone with WASM.CALL. Every workload was first run on all three servers with the same input and gave the same answer (and the answer computed in JS where the logic is pure).');
  L.push('');
  L.push(`- **Server µs/call**: \`CONFIG RESETSTAT\`, a warm-up, calls on one pipelined connection for ${cfg.serverSeconds} s, then \`usec_per_call\` of \`cmdstat_evalsha\` (Redis) or \`cmdstat_wasm.call\` (Lodestone) from \`INFO commandstats\`: the script or function including the commands it runs, without network or protocol parsing. **Speedup** = Lua µs / WASM µs.`);
  L.push(`- **Unmetered**: a second Lodestone with \`--wasm.metering no\` (no fuel/depth instrumentation); **metering cost** = metered / unmetered − 1.`);
  L.push(`- **Client**: ${cfg.clients} connections, closed loop, ${cfg.seconds} s after a warm-up; calls/s and p50/p99 latency in ms as the client sees them (the Node load generator has one core, so these are bounded by the client too).`);
  L.push('');
  L.push('| workload | Redis Lua µs/call | Lodestone Lua µs/call | Lodestone WASM µs/call | speedup | WASM unmetered µs/call | metering cost | Lua calls/s | WASM calls/s | Lua p50 / p99 ms | WASM p50 / p99 ms | target | met |');
  L.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|');
  for (const r of rows) {
    const m = met(r);
    L.push(
      `| ${r.w.name} | ${f2(r.luaUs)} | ${f2(r.lodeLuaUs)} | ${f2(r.wasmUs)} | **${speed(r).toFixed(2)}x** | ${f2(r.unmeteredUs)} | ${meterCost(r).toFixed(0)}% | ${r.lua.rps.toFixed(0)} | ${r.wasm.rps.toFixed(0)} | ${ms2(r.lua.p50)} / ${ms2(r.lua.p99)} | ${ms2(r.wasm.p50)} / ${ms2(r.wasm.p99)} | ${r.w.name.startsWith('ratelimit') ? 'calls/s ≥ Lua' : `≥ ${r.w.target}x`} | ${m.ok ? 'yes' : '**no**'}${r.w.name.startsWith('ratelimit') ? ` (${(r.wasm.rps / r.lua.rps).toFixed(2)}x)` : ''} |`,
    );
  }
  L.push('');
  L.push('![Lua vs WASM, server µs per call, log scale](lua.svg)');
  L.push('');
  if (gw.length) {
    L.push('## Gateway scenario');
    L.push('');
    L.push(`${cfg.gwClients} client connections, one per gateway user, each checking its fixed-window limit (\`ratelimit-fixed\`, 100 per 60 s, own key) every ${cfg.gwPeriod} ms — open loop, ${(cfg.gwClients * 1000) / cfg.gwPeriod} checks/s aggregate, measured for ${cfg.gwSeconds} s per server after a 1 s warm-up at the same rate. Latency is from the write of a check to its reply, on the client (spec target SC-001: < 2 ms p99; SC-002: ≥ 1,000 concurrent callers).`);
    L.push('');
    L.push('| server | checks | failed | allowed | achieved checks/s | p50 ms | p99 ms | p99.9 ms | max ms | checks > 2 ms (in how many 100 ms windows) | server µs/check | server CPU (% of a core) | p99 < 2 ms |');
    L.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const g of gw) {
      L.push(`| ${g.label} | ${g.checks} | ${g.failed} | ${g.allowed} | ${g.rate.toFixed(0)} | ${ms2(g.p50)} | ${ms2(g.p99)} | ${ms2(g.p999)} | ${ms2(g.max)} | ${g.slow} (${g.slowWindows} of ${g.windows}) | ${f2(g.serverUs)} | ${(g.cpu * 100).toFixed(0)}% | ${g.p99 < 2 && g.failed === 0 ? 'yes' : '**no**'} |`);
    }
    L.push('');
  }
  L.push(...analysis(rows, gw));
  return L.join('\n') + '\n';
}

// What limits each workload — from `node --cpu-prof` profiles of Lodestone and micro-measurements
// made while writing this benchmark (November 2026, this machine). The numbers quoted in prose are
// from those measurements; the tables above are this run's.
function analysis(rows: Row[], gw: GatewayResult[]): string[] {
  const r = (name: string): Row | undefined => rows.find((x) => x.w.name === name);
  const sp = (name: string): string => {
    const x = r(name);
    return x ? `${speed(x).toFixed(1)}x` : 'n/a';
  };
  const mc = (name: string): string => {
    const x = r(name);
    return x ? `${meterCost(x).toFixed(0)}%` : 'n/a';
  };
  const lode = gw.find((g) => g.label.startsWith('Lodestone'));
  const redis = gw.find((g) => g.label.startsWith('Redis'));
  return [
    '## What limits the results',
    '',
    'From CPU profiles of Lodestone (`node --cpu-prof`, 50–100 µs sampling) under each workload, fuel counts (`WASM.INFO … fuel_last_call`, about one unit per WebAssembly instruction) and small probe functions timed the same way as above. Timings on this 2-core machine move by ±20–30% from run to run when anything else is running (the load generator itself takes most of one core); the metering-cost column is the difference of two such numbers, so values below ~20% (and any negative value) are within that noise.',
    '',
    `- **json (${sp('json')}, target 10x).** The comparison is with C: Redis's \`cjson.decode\` parses the 1 KB document and builds its Lua tables in ${r('json') ? f2(r('json')!.luaUs) : '~13'} µs. The WASM side uses the SDK's pull scanner (\`wasm-examples/sdk/json.ts\`), which costs ~265,000 fuel for this document (~250 instructions per byte): it allocates a string for every key it reads (\`nextKey\` → \`strAt\` → \`__new\`) and compares keys as strings, keeps a \`bool[]\` nesting stack, and its allocations drive AssemblyScript's incremental GC. Its loops are tight, so metering costs ${mc('json')} here. A hand-written, allocation-free scanner tried while profiling (same answer) takes ~65,000 fuel and 5.9 µs metered / 4.5 µs unmetered — about 2x Lua, which is the ceiling with today's call path: 10x would mean ~1.2 µs per call, and an empty \`WASM.CALL\` already costs ~1 µs. The benchmark keeps the SDK scanner because that is what a user writes.`,
    `- **string (${sp('string')}, target ${SPEED_TARGETS.string}x).** In Lua about two thirds of the time is the per-byte hash loop (\`string.byte\` per character) and one third the \`gmatch\` split with \`string.upper\` / \`string.reverse\` / \`table.concat\` (C functions, but one Lua-level call each per token). The AssemblyScript works on the argument's bytes like Lua does. The same function written with AssemblyScript's String API (\`split\` / \`toUpperCase\` / \`join\` on UTF-16 strings) needs ~1,060,000 fuel on this input — over the default \`max_fuel\` of 1,000,000, so it fails with "fuel exhausted": \`toUpperCase\` alone is ~440 instructions per character, \`split\` + \`join\` ~300,000. That is worth a note in the SDK docs. Across the runs made while writing this benchmark the ratio was 13–18x: this workload sits on the target's edge, and its verdict in the table can flip from run to run.`,
    `- **numeric (${sp('numeric')}, target 40x).** Not a Lodestone limit: V8's optimised code runs the loop at ~1.5 ns per iteration, which is the latency of its dependent multiply → add → mask chain (~5 cycles); the function is warmed up (the per-iteration time is that of optimised code, not of V8's baseline tier) and metering costs ${mc('numeric')} in this run, i.e. nothing measurable (one fuel decrement per iteration, off the critical path). Redis's Lua 5.1 interpreter needs ~43 ns per iteration (about ten bytecodes, a \`math.floor\` call and two float divisions for \`%\`). The ratio of the two is what the table shows; a loop with more independent work per iteration would show a larger one, this one is the LCG as specified.`,
    `- **keys (${sp('keys')}) and the rate limiters (fixed ${sp('ratelimit-fixed')}, sliding ${sp('ratelimit-sliding')}; targets ${SPEED_TARGETS.keys}x / ${SPEED_TARGETS['ratelimit-fixed']}x / ${SPEED_TARGETS['ratelimit-sliding']}x and calls/s ≥ Lua).** These are all host calls. Measured per host function (100 calls inside one \`WASM.CALL\`): \`call\` running \`INCR\` through RESP cost 3.0–3.6 µs (2.0 µs after fix 1 below), of which INCR itself is 0.2 µs; \`get_key\` 0.22 µs; \`now_ms\` 0.08 µs; an empty \`WASM.CALL\` 1.0 µs. In Redis a \`redis.call\` costs a few tenths of a µs and KEYS/ARGV are ready-made Lua tables, while the SDK pays two host calls (\`key_len\` + \`key_read\`) plus a copy and a UTF-8 → UTF-16 decode for every key and argument, then encodes every command to RESP, which the host parses, and parses the RESP reply the host encodes. Profiled on \`ratelimit-fixed\` while this benchmark was written, \`encodeReply\` created a new \`Encoder\` per reply, i.e. a fresh 16 KB \`Buffer.allocUnsafe\` (too big for Node's buffer pool): ~9% of all server CPU on its own and most of the 12.7% spent in V8's GC; and every host call read \`performance.now()\` for the \`max_duration_ms\` check (~4.5% of server CPU in \`keys\`, ~22 host calls per call). Both are fixed in the tree this run was made with (see below): the \`call\` host function went from ~3.6 to ~2.0 µs, \`ratelimit-fixed\` from ~10.5 to ~9 µs, GC from 12.7% to 4% of server CPU. What is left, in a profile of the current tree: the \`call\` host function is ~60% of the time inside \`WASM.CALL\` — \`runCommand\` + dispatch ~25% of it, the RESP request parser ~20%, \`encodeReply\` ~17%, the rest copies between guest memory and Buffers/strings — and the guest's SDK code ~20% (~25,600 fuel per check: decoding the key and arguments, \`string[]\` command arrays, \`toString\` for PEXPIRE's argument, a \`RespParser\` per reply). Metering is not the problem here (${mc('ratelimit-fixed')} for the fixed window). For calls/s, Lodestone's per-request network path adds to this (one socket write per reply: \`writeBuffer\` is 24–35% of server CPU in these runs; plain GET/SET run at ~0.65x Redis, see throughput.md).`,
    lode && redis
      ? `- **Gateway.** ${lode.checks} checks over 1,000 connections: Lodestone p99 ${ms2(lode.p99)} ms (${lode.failed} failed) using ${(lode.cpu * 100).toFixed(0)}% of a core, Redis p99 ${ms2(redis.p99)} ms (${redis.failed} failed) using ${(redis.cpu * 100).toFixed(0)}%. At 10,000 checks/s neither server is saturated; the p99 is set by stalls. ${lode.slowWindows > lode.windows / 2 ? `Lodestone's slow checks are spread over ${lode.slowWindows} of ${lode.windows} 100 ms windows: recurring short pauses rather than one long one, which fits V8's young-generation collections (4% of server CPU in the current rate-limiter profile, 12.7% before fix 1 below)` : `Lodestone's slow checks fall in ${lode.slowWindows} of ${lode.windows} 100 ms windows: a few longer pauses (V8 GC, 4% of server CPU in the current rate-limiter profile, or other work on the machine)`}; anything else using the two cores adds to it (the load generator with its 1,000 sockets is one of them). Across runs while writing this benchmark (some on a busy machine) the Lodestone p99 ranged from 1.7 ms to over 10 ms and Redis's from 1 ms to 5 ms (once 26 ms); the median was ~0.5 ms on both. Lodestone also needs ${(lode.cpu / redis.cpu).toFixed(1)}x Redis's CPU per check here, so it has less slack to absorb a stall.`
      : '',
    '',
    '### Optimisations of the WASM call path',
    '',
    'Found with these profiles and measured on a copy of the tree (src/ has its own owner, who applied 1 and 2 while this benchmark was being written; the run above includes them):',
    '',
    '1. `encodeReply` (`src/protocol/encoder.ts`): reuse one `Encoder` per RESP version instead of `new Encoder(resp)` per reply, resetting `pos` first so an encoding error cannot leak half a reply (`take()` already copies small replies out). `call` host function 3.6 → 2.0 µs; far less GC. *Applied.*',
    '2. The `max_duration_ms` check (`src/wasm/host.ts`): read the clock only in host functions that can do unbounded work (`call`, `set_key`, `del_key`, `get_key`), not in `key_len` / `arg_read` / `reply_*` (loops over those spend fuel, and fuel refills check the clock). *Applied.*',
    '3. SDK (`wasm-examples/sdk/lodestone.ts`): KEYS and ARGS without host calls. *Applied, differently:* a module that exports `lodestone_input` gets the whole call frame written into its memory before the call (one copy), and `key(i)` / `arg(i)` / `argInt(i)` read it there.',
    '4. `call` host function: parse the command straight from the guest-memory view instead of copying it into a new Buffer first (`Buffer.from(view)`); the parse is synchronous and the parser turns arguments into strings, so nothing keeps the bytes (an incomplete command already resets the parser). Small (~1–2% of server CPU). *Open.*',
    '5. A host function that runs a command given as an argv of (ptr, len) pairs and returns typed replies: *applied* as `cmd` (docs/ABI.md), with the SDK\'s typed helpers (`incr`, `pexpire`, `pttl`, `zadd`, `zcard`, `zremRangeByScore`, `get` …) and `call` / `callInt` on it; the workloads in bench/udf use the helpers.',
    '',
    '### Issue 12 targets (server µs/call speedup over Redis EVALSHA)',
    '',
    '| workload | speedup | target | met |',
    '|---|---:|---:|---|',
    ...Object.entries(SPEED_TARGETS).map(([name, t]) => {
      const x = r(name);
      return x ? `| ${name} | ${speed(x).toFixed(2)}x | ≥ ${t}x | ${speed(x) >= t ? 'yes' : '**no**'} |` : `| ${name} | n/a | ≥ ${t}x | n/a |`;
    }),
    '',
    'What the fast path changed, and what limits it now (measured in-process: `execute()` of WASM.CALL on a socketless client, `process.cpuUsage` over 100,000 calls, pinned with `taskset -c 0`, on a machine shared with other builds — load average 5–8, so ±20–30%): an empty WASM.CALL went from ~1.0 to ~0.76 µs of CPU (cached `[wasm.limits]`, a reused call context, one clock read); a command from a guest no longer pays RESP encode → parse → encode → parse (the old `call` ~2 µs, `cmd` ≈ the command\'s own `call()` ≈ 0.3 µs plus ~0.2 µs of checks and undo log). What is left: (1) dispatch\'s `call()` per command (stats, latency, slow log, tracking — shared with client commands, owned by another branch); (2) the undo log clones a key\'s whole value before its first write in a call — O(size) for the sliding window\'s sorted set (up to 100 members), which is most of `ratelimit-sliding`\'s time; a journal of inverse operations would make it O(1); (3) AssemblyScript allocations in the guest (~800 instructions of fuel per `__new`; `key(i)` and `get` return strings); (4) json is the SDK\'s pull scanner, unchanged (an allocation-free one is still to write); (5) the 0.3 µs empty-call target is not reached: the outer WASM.CALL dispatch, argument split and pool/stats bookkeeping cost ~0.5 µs.',
    '',
  ].filter((l, i, a) => l !== '' || a[i - 1] !== '');
}

// ------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  requireTools('redis-server');
  const seconds = Number(process.env.BENCH_SECONDS ?? 5);
  const serverSeconds = Number(process.env.BENCH_SERVER_SECONDS ?? 2);
  const CLIENTS = 50;
  const GW = { clients: 1000, period: 100, seconds: 5 };
  const only = process.env.BENCH_ONLY?.split(',').filter(Boolean);
  const ws = workloads().filter((w) => !only || only.includes(w.name));
  for (const w of workloads()) {
    for (const f of [join(UDF, `${w.name}.lua`), join(BUILD, `${w.name}.wasm`)]) {
      if (!existsSync(f)) {
        console.error(`missing ${f}: build the UDFs with  node bench/build-udf.mjs`);
        process.exit(2);
      }
    }
  }
  const loadBefore = loadavg();
  const t0 = performance.now();
  const elapsed = (): string => `${((performance.now() - t0) / 1000).toFixed(0)}s`;
  console.log(`machine: ${machineLine()}; load average ${loadBefore}; ${PINNED ? 'servers on core 0, load generator on core 1' : 'not pinned'}`);
  console.log('starting redis-server, Lodestone (metered), Lodestone (--wasm.metering no) and Lodestone for Lua ...');
  const servers: Srv[] = [];
  const conns: Conn[] = [];
  try {
    const redisSrv = await startRedis();
    servers.push(redisSrv);
    const nodeFlags = process.env.BENCH_LODESTONE_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
    const lodeSrv = await startLodestone([], nodeFlags);
    servers.push(lodeSrv);
    const bareSrv = await startLodestone(['--wasm.metering', 'no']);
    servers.push(bareSrv);
    const mk = async (label: string, side: Side, srv: Srv): Promise<Target> => {
      const conn = await Conn.open(srv.port);
      conns.push(conn);
      return { label, side, srv, conn, sha: new Map(), stat: side === 'lua' ? 'evalsha' : 'wasm.call' };
    };
    const redis = await mk('Redis Lua', 'lua', redisSrv);
    const lode = await mk('Lodestone WASM', 'wasm', lodeSrv);
    const bare = await mk('Lodestone WASM unmetered', 'wasm', bareSrv);
    // The same .lua scripts on Lodestone's own Lua engine (EVALSHA), in a Lodestone of its own so
    // the workloads' keys do not mix with the WASM runs.
    const luaSrv = await startLodestone([]);
    servers.push(luaSrv);
    if (PINNED) {
      for (const s of servers) pin(s.pid, 0);
      pin(process.pid, 1);
    }
    const lodeLua = await mk('Lodestone Lua', 'lua', luaSrv);
    const all = [redis, lodeLua, lode, bare];

    // Load.
    for (const w of workloads()) {
      const sha = await redis.conn.ok('SCRIPT', 'LOAD', readFileSync(join(UDF, `${w.name}.lua`), 'utf8'));
      redis.sha.set(w.name, String(sha));
      const lsha = await lodeLua.conn.ok('SCRIPT', 'LOAD', readFileSync(join(UDF, `${w.name}.lua`), 'utf8'));
      lodeLua.sha.set(w.name, String(lsha));
      const bytes = readFileSync(join(BUILD, `${w.name}.wasm`));
      for (const t of [lode, bare]) await t.conn.ok('WASM.LOAD', w.name, bytes, 'REPLACE', 'PERMISSIONS', 'WRITE');
    }
    console.log(`loaded ${workloads().length} Lua scripts into Redis and ${workloads().length} WASM functions into both Lodestones (${elapsed()})`);

    // Same answers first.
    const mismatches: string[] = [];
    for (const w of ws) {
      const got = new Map<string, string[]>();
      for (const t of all) {
        const replies: string[] = [];
        for (const inp of w.check) {
          const r = await t.conn.raw(command(t, w.name, inp));
          replies.push(show(w.normalize ? w.normalize(r) : r));
        }
        got.set(t.label, replies);
      }
      const ref = got.get(redis.label)!;
      const bad = [...got].filter(([, v]) => v.join(' ') !== ref.join(' '));
      const wrong = w.expected !== undefined && ref[0] !== show(w.expected);
      if (bad.length || wrong || ref.some((s) => s.startsWith('(error)'))) {
        mismatches.push(
          `  ${w.name}:\n${[...got].map(([k, v]) => `    ${k.padEnd(26)} ${v.join(', ')}`).join('\n')}${w.expected !== undefined ? `\n    ${'expected (JS)'.padEnd(26)} ${show(w.expected)}` : ''}`,
        );
      } else {
        console.log(`  check ${w.name.padEnd(18)} same answer on all four: ${ref.join(', ').slice(0, 90)}`);
      }
    }
    if (mismatches.length) {
      console.error(`ABORT: Lua and WASM disagree, nothing was measured:\n${mismatches.join('\n')}`);
      process.exitCode = 1;
      return;
    }

    // Measure.
    const rows: Row[] = [];
    for (const w of ws) {
      process.stdout.write(`[${elapsed()}] ${w.name}: server µs/call ...`);
      const su = new Map<Target, number>();
      for (const t of all) {
        const r = await serverUs(t, w, serverSeconds * 1000);
        su.set(t, r.us);
        process.stdout.write(` ${t === redis ? 'lua' : t === lodeLua ? 'lodestone-lua' : t === lode ? 'wasm' : 'unmetered'} ${f2(r.us)} (${r.calls} calls)`);
      }
      process.stdout.write(`; ${CLIENTS} clients ...`);
      const cl = new Map<Target, ClientResult>();
      for (const t of [redis, lode]) {
        const r = await closedLoop(t.srv.port, commands(t, w), CLIENTS, 500, seconds * 1000);
        if (r.errors) throw new Error(`${t.label} ${w.name}: ${r.errors} failed calls under load, e.g. ${r.firstError}`);
        cl.set(t, r);
        process.stdout.write(` ${t === redis ? 'lua' : 'wasm'} ${r.rps.toFixed(0)}/s p99 ${ms2(r.p99)} ms`);
      }
      const row: Row = { w, luaUs: su.get(redis)!, lodeLuaUs: su.get(lodeLua)!, wasmUs: su.get(lode)!, unmeteredUs: su.get(bare)!, lua: cl.get(redis)!, wasm: cl.get(lode)! };
      rows.push(row);
      console.log(`  → speedup ${speed(row).toFixed(2)}x`);
    }

    // Gateway.
    const gw: GatewayResult[] = [];
    if (process.env.BENCH_NO_GATEWAY !== '1' && (!only || only.includes('gateway'))) {
      for (const t of [lode, redis]) {
        process.stdout.write(`[${elapsed()}] gateway: ${GW.clients} connections × 1 check / ${GW.period} ms for ${GW.seconds} s on ${t.label} ...`);
        const g = await gateway(t, GW.clients, GW.period, GW.seconds * 1000, 1000);
        gw.push(g);
        console.log(` ${g.checks} checks, ${g.failed} failed, p50 ${ms2(g.p50)} ms, p99 ${ms2(g.p99)} ms, max ${ms2(g.max)} ms, server CPU ${(g.cpu * 100).toFixed(0)}% of a core; ${g.slow} checks > 2 ms in ${g.slowWindows} of ${g.windows} 100-ms windows`);
        if (g.failed) console.log(`  first failure: ${g.firstError}`);
      }
    }

    if (only) {
      console.log('BENCH_ONLY is set: bench/results/lua.md and lua.svg are left as they are');
    } else if (rows.length) {
      const md = markdown(rows, gw, { loadBefore, clients: CLIENTS, seconds, serverSeconds, gwClients: GW.clients, gwPeriod: GW.period, gwSeconds: GW.seconds });
      const mdPath = writeResult('lua.md', md);
      const svgPath = writeResult('lua.svg', svgChart(rows));
      console.log(`wrote ${mdPath} and ${svgPath} (${elapsed()})`);
    }
    for (const r of rows) console.log(`result ${r.w.name}: lua ${f2(r.luaUs)} us/call, lodestone-lua ${f2(r.lodeLuaUs)} us/call, wasm ${f2(r.wasmUs)} us/call, speedup ${speed(r).toFixed(2)}`);
    // Issue 12's targets: server µs/call speedup over Redis EVALSHA, one line per target.
    for (const r of rows) {
      const t = SPEED_TARGETS[r.w.name];
      if (t !== undefined) console.log(`result target ${r.w.name}: speedup ${speed(r).toFixed(2)}x, target >= ${t}x, met ${speed(r) >= t ? 'yes' : 'no'}`);
    }
  } finally {
    if (process.env.BENCH_LODESTONE_NODE_FLAGS && conns[1]) {
      // Let the metered Lodestone exit by itself, so --cpu-prof and friends write their files.
      conns[1].send(encode(['SHUTDOWN', 'NOSAVE']), () => undefined);
      await sleep(2000);
    }
    for (const c of conns) c.close();
    for (const s of servers) await s.stop();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
