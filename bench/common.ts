// Shared benchmark plumbing: start Lodestone (the built CLI) and a real redis-server side by side
// on free ports, read their memory, and write result tables to bench/results/.

import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

/** Package root (bench/ is compiled to dist/bench/). */
export const ROOT = (() => {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    try {
      readFileSync(join(d, 'package.json'));
      return d;
    } catch {
      d = resolve(d, '..');
    }
  }
  throw new Error('package root not found');
})();

export const RESULTS = join(ROOT, 'bench', 'results');

export function have(bin: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
}

export function requireTools(...bins: string[]): void {
  const missing = bins.filter((b) => !have(b));
  if (missing.length) {
    console.error(`missing ${missing.join(', ')}: install with  apt-get install -y redis-server redis-tools`);
    process.exit(2);
  }
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => res(p));
    });
    s.on('error', rej);
  });
}

async function waitPort(port: number, proc: ChildProcess): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (proc.exitCode !== null) throw new Error(`server exited (${proc.exitCode})`);
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} never opened`);
}

export interface Srv {
  name: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export async function startRedis(extra: string[] = []): Promise<Srv> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bench-redis-'));
  const proc = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no', '--dir', dir, ...extra], { stdio: 'ignore' });
  await waitPort(port, proc);
  return { name: 'redis', port, pid: proc.pid!, stop: () => kill(proc) };
}

export async function startLodestone(extra: string[] = [], nodeFlags: string[] = []): Promise<Srv> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'bench-lodestone-'));
  const proc = spawn(process.execPath, [...nodeFlags, join(ROOT, 'bin/lodestone.js'), '--port', String(port), '--loglevel', 'warning', '--dir', dir, ...extra], {
    // With node flags (BENCH_LODESTONE_NODE_FLAGS="--trace-gc" …) the server's stdout is shown: V8 traces go there.
    stdio: ['ignore', nodeFlags.length ? 'inherit' : 'ignore', 'inherit'],
  });
  await waitPort(port, proc);
  return { name: 'lodestone', port, pid: proc.pid!, stop: () => kill(proc) };
}

function kill(proc: ChildProcess): Promise<void> {
  if (proc.exitCode !== null) return Promise.resolve();
  return new Promise((r) => {
    proc.once('exit', () => r());
    proc.kill('SIGKILL');
  });
}

/** CPU seconds (user + system) a process has used (Linux /proc; 10 ms resolution). */
export function cpuSeconds(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return (Number(rest[11]) + Number(rest[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

/** 1-minute load average (other work on the machine skews every number). */
export function loadavg1(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
}

/** Resident set size of a process in bytes (Linux /proc). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

export function writeResult(name: string, content: string): string {
  mkdirSync(RESULTS, { recursive: true });
  const p = join(RESULTS, name);
  writeFileSync(p, content);
  return p;
}

export function machineLine(): string {
  const cpu = /model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown cpu';
  const redis = spawnSync('redis-server', ['--version']).stdout?.toString().trim().split(' ').slice(0, 3).join(' ') ?? '';
  return `${cpu}, ${cpus().length} cores, Node ${process.version}, ${redis}`;
}

export interface BenchResult {
  rps: number;
  /** 99th percentile latency in ms (redis-benchmark's p99_latency_ms). */
  p99: number;
}

/**
 * One redis-benchmark run (`-t test`, random keys over 100k) with its percentiles; `cpu` pins
 * redis-benchmark to that core with taskset.
 */
export function redisBenchmarkFull(port: number, test: string, requests: number, clients: number, pipeline: number, cpu?: number): BenchResult {
  const args = ['-p', String(port), '-t', test, '-n', String(requests), '-c', String(clients), '-P', String(pipeline), '-r', '100000', '--csv'];
  const r = cpu === undefined
    ? spawnSync('redis-benchmark', args, { encoding: 'utf8', timeout: 600_000 })
    : spawnSync('taskset', ['-c', String(cpu), 'redis-benchmark', ...args], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`redis-benchmark failed: ${r.stderr}`);
  // CSV: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms",...
  const line = r.stdout.split('\n').find((l) => l.startsWith('"') && !l.startsWith('"test"'));
  if (!line) throw new Error(`no result in: ${r.stdout}`);
  const cols = JSON.parse(`[${line}]`) as string[];
  return { rps: Number(cols[1]), p99: Number(cols[6]) };
}

/** One redis-benchmark run (`-t test`, random keys over 100k); returns requests per second. */
export function redisBenchmark(port: number, test: string, requests: number, clients: number, pipeline: number): number {
  return redisBenchmarkFull(port, test, requests, clients, pipeline).rps;
}

/** Pin a running process, all its threads, to one core (no-op without taskset). */
export function pin(pid: number, cpu: number): boolean {
  if (!have('taskset')) return false;
  return spawnSync('taskset', ['-a', '-pc', String(cpu), String(pid)], { stdio: 'ignore' }).status === 0;
}

/** Start a Node.js script (compiled bench file) as a server process on a free port: `node file port`. */
export async function startNodeScript(name: string, file: string, args: string[] = []): Promise<Srv> {
  const port = await freePort();
  const proc = spawn(process.execPath, [file, String(port), ...args], { stdio: ['ignore', 'ignore', 'inherit'] });
  await waitPort(port, proc);
  return { name, port, pid: proc.pid!, stop: () => kill(proc) };
}

/** Load `count` distinct keys `key:<n>` with 3-byte values through one pipelined connection. */
export async function loadKeys(port: number, count: number): Promise<void> {
  await loadCommands(port, count, (i) => {
    const k = `key:${String(i).padStart(10, '0')}`;
    return `*3\r\n$3\r\nSET\r\n$${k.length}\r\n${k}\r\n$3\r\nxxx\r\n`;
  });
}

/**
 * Send `count` commands (`make(i)` gives the i-th, RESP-encoded) through one pipelined connection
 * and wait for every reply. Replies are counted by CRLF, so each must be one line or a bulk string
 * (`lines` lines per reply).
 */
export async function loadCommands(port: number, count: number, make: (i: number) => string, lines = 1): Promise<void> {
  const sock = net.connect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  let pendingLines = 0;
  let sent = 0;
  sock.setEncoding('latin1');
  const done = new Promise<void>((resolve) => {
    sock.on('data', (d: string) => {
      for (let i = d.indexOf('\n'); i !== -1; i = d.indexOf('\n', i + 1)) pendingLines--;
      if (pendingLines === 0 && sent >= count) resolve();
    });
  });
  const BATCH = 10_000;
  while (sent < count) {
    let chunk = '';
    const end = Math.min(count, sent + BATCH);
    for (let i = sent; i < end; i++) chunk += make(i);
    pendingLines += (end - sent) * lines;
    sent = end;
    if (!sock.write(chunk, 'latin1')) await new Promise((r) => sock.once('drain', r));
    while (pendingLines > 50_000 * lines) await new Promise((r) => setTimeout(r, 5));
  }
  await done;
  sock.destroy();
}

/** RESP encoding of one command (ASCII arguments). */
export function resp(...a: string[]): string {
  let s = `*${a.length}\r\n`;
  for (const x of a) s += `$${x.length}\r\n${x}\r\n`;
  return s;
}

/** One connection, one inline command at a time; resolves with the raw reply. */
export class LineClient {
  private buf = '';
  private waiting: ((s: string) => void) | null = null;
  private constructor(private readonly sock: net.Socket) {
    sock.setEncoding('latin1');
    sock.on('data', (d: string) => {
      this.buf += d;
      this.tryResolve();
    });
  }
  static async connect(port: number): Promise<LineClient> {
    const sock = net.connect(port, '127.0.0.1');
    await new Promise((r) => sock.once('connect', r));
    sock.setNoDelay(true);
    return new LineClient(sock);
  }
  private tryResolve(): void {
    if (!this.waiting) return;
    const eol = this.buf.indexOf('\r\n');
    if (eol < 0) return;
    let end = eol + 2;
    if (this.buf[0] === '$') {
      const len = Number(this.buf.slice(1, eol));
      if (len >= 0) {
        if (this.buf.length < end + len + 2) return;
        end += len + 2;
      }
    }
    const reply = this.buf.slice(0, end);
    this.buf = this.buf.slice(end);
    const w = this.waiting;
    this.waiting = null;
    w(reply);
  }
  send(line: string): Promise<string> {
    return new Promise((resolve) => {
      this.waiting = resolve;
      this.sock.write(line + '\r\n');
    });
  }
  close(): void {
    this.sock.destroy();
  }
}

/** A numeric INFO field, NaN when absent. */
export function infoField(text: string, name: string): number {
  const m = new RegExp(`^${name}:(\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

// Probe modules of bench:wasm-micro and bench:cpu: main() runs INCR KEYS[0] through the `cmd` host
// function and returns the count; a main that does nothing.
export const INCR_WAT = `(module
  (import "lodestone" "cmd" (func $cmd (param i32 i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "INCR")
  (func (export "lodestone_input") (param i32) (result i32) (i32.const 1024))
  (func (export "main") (result i64)
    (i32.store (i32.const 256) (i32.const 16))
    (i32.store (i32.const 260) (i32.const 4))
    (i32.store (i32.const 264) (i32.const 1032))
    (i32.store (i32.const 268) (i32.load (i32.const 1028)))
    (drop (call $cmd (i32.const 256) (i32.const 2) (i32.const 512) (i32.const 64) (i32.const 600)))
    (i64.load (i32.const 600))))`;

export const EMPTY_WAT = '(module (memory (export "memory") 1) (func (export "main")))';

export async function watBinary(src: string): Promise<Buffer> {
  const wabt = await wabtInit();
  const m = wabt.parseWat('m.wat', src);
  try {
    return Buffer.from(m.toBinary({}).buffer);
  } finally {
    m.destroy();
  }
}
