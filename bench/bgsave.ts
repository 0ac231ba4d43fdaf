// `npm run bench:bgsave`: what a BGSAVE costs the other clients, Lodestone vs a real redis-server
// in the same run (issue #14: "keep the latency of other clients' commands during a BGSAVE of 1M
// keys bounded and report the p99").
//
// For each server: 1M string keys (BENCH_KEYS) are loaded, then two probe clients run back to back
// (one request in flight each) while one BGSAVE runs: one sends PING, the other SETs existing keys
// at random — the writes Lodestone's snapshot must save before they change a key (its
// copy-on-write, src/persistence/rdb/file.ts), as Redis's forked child gets them from the kernel.
// Reported: the BGSAVE's duration (BGSAVE reply to rdb_bgsave_in_progress:0), the file size, and
// p50 / p99 / max latency of each probe during it. Redis forks a child that writes the file;
// Lodestone writes it on the main thread in 2 ms slices between client commands. The table goes to
// bench/results/bgsave.md. BENCH_NODE_FLAGS passes flags to Lodestone's node (e.g. --trace-gc).

import net from 'node:net';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadKeys, machineLine, requireTools, startLodestone, startRedis, Srv, writeResult } from './common.js';

const KEYS = Number(process.env.BENCH_KEYS ?? 1_000_000);

/** One connection, one inline command at a time; resolves with the raw reply. */
class LineClient {
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

function infoField(text: string, name: string): number {
  const m = new RegExp(`^${name}:(\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

interface Stats {
  n: number;
  p50: number;
  p99: number;
  max: number;
}

function stats(lat: number[]): Stats {
  lat.sort((a, b) => a - b);
  const q = (f: number) => lat[Math.min(lat.length - 1, Math.floor(lat.length * f))] ?? NaN;
  return { n: lat.length, p50: q(0.5), p99: q(0.99), max: lat[lat.length - 1] ?? NaN };
}

interface Result {
  saveMs: number;
  fileBytes: number;
  ping: Stats;
  set: Stats;
}

async function bgsaveUnderLoad(srv: Srv, dir: string): Promise<Result> {
  await loadKeys(srv.port, KEYS);
  await new Promise((r) => setTimeout(r, 500));
  const admin = await LineClient.connect(srv.port);
  const pinger = await LineClient.connect(srv.port);
  const setter = await LineClient.connect(srv.port);
  const before = infoField(await admin.send('INFO persistence'), 'rdb_saves');
  let done = false;
  const pings: number[] = [];
  const sets: number[] = [];
  let x = 12345;
  const probe = async (c: LineClient, lat: number[], cmd: () => string) => {
    while (!done) {
      const line = cmd();
      const t = process.hrtime.bigint();
      await c.send(line);
      lat.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  };
  const running = [
    probe(pinger, pings, () => 'PING'),
    probe(setter, sets, () => {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      return `SET key:${String(x % KEYS).padStart(10, '0')} changed`;
    }),
  ];
  const t0 = Date.now();
  const reply = await admin.send('BGSAVE');
  if (!reply.startsWith('+')) throw new Error(`BGSAVE replied ${reply.trim()}`);
  for (;;) {
    await new Promise((r) => setTimeout(r, 10));
    const info = await admin.send('INFO persistence');
    // rdb_saves is Lodestone's; Redis's counter of the same name also counts BGSAVE.
    if (infoField(info, 'rdb_bgsave_in_progress') === 0 && (infoField(info, 'rdb_saves') > before || Number.isNaN(before))) break;
  }
  const saveMs = Date.now() - t0;
  done = true;
  await Promise.all(running);
  for (const c of [admin, pinger, setter]) c.close();
  return { saveMs, fileBytes: statSync(join(dir, 'dump.rdb')).size, ping: stats(pings), set: stats(sets) };
}

async function main(): Promise<void> {
  requireTools('redis-server');
  console.log(`machine: ${machineLine()}`);
  const rows: string[] = [];
  const summary: string[] = [];
  for (const name of ['redis', 'lodestone'] as const) {
    const dir = mkdtempSync(join(tmpdir(), `bench-bgsave-${name}-`));
    const args = ['--dir', dir, '--dbfilename', 'dump.rdb'];
    const srv = name === 'redis' ? await startRedis(args) : await startLodestone(args, process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : []);
    try {
      process.stdout.write(`  BGSAVE, ${name}, ${KEYS} keys ... `);
      const r = await bgsaveUnderLoad(srv, dir);
      const f = (s: Stats) => `${s.n} | ${s.p50.toFixed(2)} | ${s.p99.toFixed(2)} | ${s.max.toFixed(2)}`;
      console.log(`${r.saveMs} ms, ${(r.fileBytes / 1e6).toFixed(1)} MB; PING p99 ${r.ping.p99.toFixed(2)} ms max ${r.ping.max.toFixed(2)}; SET p99 ${r.set.p99.toFixed(2)} ms max ${r.set.max.toFixed(2)}`);
      rows.push(`| ${name === 'redis' ? 'Redis 7.0 (fork)' : 'Lodestone (2 ms slices, copy-on-write by key)'} | ${KEYS} | ${r.saveMs} | ${(r.fileBytes / 1e6).toFixed(1)} | ${f(r.ping)} | ${f(r.set)} |`);
      summary.push(`result bgsave ${name}: ${r.saveMs} ms, PING p99 ${r.ping.p99.toFixed(2)} ms, SET p99 ${r.set.p99.toFixed(2)} ms`);
    } finally {
      await srv.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const md = [
    '# BGSAVE: the latency other clients see while a snapshot is written',
    '',
    `Generated by \`npm run bench:bgsave\` on ${new Date().toISOString().slice(0, 10)}.`,
    `Machine: ${machineLine()}; load average ${loadavg().map((x) => x.toFixed(1)).join(' ')} when it finished (other work on the machine shows in both servers' figures). Both servers in the same run, one after the other, each with its own directory on the same disk.`,
    '',
    `${KEYS} string keys loaded, then BGSAVE while two clients send commands back to back (one in flight each): PING, and SET of a random existing key (each first write of a key during the save makes Lodestone write that key first). Latency of those commands from the BGSAVE to the end of the save.`,
    '',
    '| server | keys | BGSAVE ms | file MB | PINGs | PING p50 ms | PING p99 ms | PING max ms | SETs | SET p50 ms | SET p99 ms | SET max ms |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    "Lodestone writes the file between commands in slices of about 2 ms, so a command that arrives during a slice waits for the rest of it (p50 ≈ one slice); Redis's forked child writes it in another process. The tail (p99, max) grows with whatever else the machine runs.",
    '',
  ].join('\n');
  const path = writeResult('bgsave.md', md);
  for (const s of summary) console.log(s);
  console.log(`wrote ${path}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
