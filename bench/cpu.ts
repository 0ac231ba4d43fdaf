// Server CPU per command, measured in-process: on a machine shared with other work, throughput from
// redis-benchmark says more about the neighbours than about Lodestone, but the CPU time this process
// spends on N pipelined commands sent through a real socket does not depend on them much.
//
//   node dist/bench/cpu.js [path/to/dist] [N]
//
// `path/to/dist` (default: this build) is the dist/ directory of the build to measure, so two
// builds (main and a branch) can be compared by alternating runs. Each case sends N commands in
// pipelined batches of 1000 and counts reply lines; process.cpuUsage() (user + system) around the
// batch is divided by N (CASES=SET,GET picks cases). The client side only writes prepared buffers and counts newlines, so most
// of the CPU is the server's. Best of 5 runs per case.

import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { EMPTY_WAT, INCR_WAT, watBinary } from './common.js';

const here = dirname(fileURLToPath(import.meta.url));
const dist = resolve(process.argv[2] ?? join(here, '..'));
const N = Number(process.argv[3] ?? 100000);
const BATCH = 1000;
const RUNS = 5;

function cmd(...a: string[]): string {
  return `*${a.length}\r\n${a.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join('')}`;
}

/** A fixed pseudo-random sequence (so two builds get the same commands). */
function scramble(i: number): number {
  return Math.imul(i ^ 0x5bd1e995, 0x9e3779b1) >>> 0;
}

interface Case {
  name: string;
  /** The i-th command. */
  make: (i: number) => string;
  /** Reply lines per command (`+OK` 1, a bulk string 2). */
  lines: number;
  /** Commands sent (unmeasured) before the runs, e.g. to grow a stream first. */
  setup?: { n: number; make: (i: number) => string; lines: number | ((i: number) => number) };
  /** A WASM function loaded first: WASM.LOAD <name> <module> PERMISSIONS WRITE, the module being bench/udf/build/<file>.wasm or the text `wat`. */
  wasm?: { name: string; file?: string; wat?: string };
}

/** A command with one binary argument (latin1 in the string: each char is one byte). */
function cmdBin(...a: string[]): Buffer {
  return Buffer.from(`*${a.length}\r\n${a.map((x) => `$${x.length}\r\n${x}\r\n`).join('')}`, 'latin1');
}

const USERS = 10000;

const CASES: Case[] = [
  { name: 'PING', make: () => cmd('PING'), lines: 1 },
  { name: 'SET', make: (i) => cmd('SET', `key:${i % 10000}`, 'xxx'), lines: 1 },
  { name: 'GET', make: (i) => cmd('GET', `key:${i % 10000}`), lines: 2 },
  { name: 'INCR', make: () => cmd('INCR', 'counter'), lines: 1 },
  { name: 'LPUSH', make: () => cmd('LPUSH', 'list', 'xxx'), lines: 1 },
  { name: 'HSET', make: (i) => cmd('HSET', 'hash', `f${i % 100000}`, 'xxx'), lines: 1 },
  { name: 'SADD', make: (i) => cmd('SADD', 'set', `m${i % 100000}`), lines: 1 },
  { name: 'ZADD', make: (i) => cmd('ZADD', 'zset', String(i % 1000), `m${i % 100000}`), lines: 1 },
  // redis-benchmark's ZADD: a random score for a random one of 100k members, so most calls move an
  // existing member (delete + insert in the skip list).
  {
    name: 'ZADDRAND',
    make: (i) => cmd('ZADD', 'zrand', String(scramble(i) % 100000), `element:${scramble(i + 7) % 100000}`),
    lines: 1,
    setup: { n: 100000, make: (i) => cmd('ZADD', 'zrand', String(i), `element:${i}`), lines: 1 },
  },
  { name: 'XADD', make: () => cmd('XADD', 'stream', '*', 'f', 'v'), lines: 2 },
  // The same on a stream of 300k entries: memory accounting must not walk it (issue 11).
  {
    name: 'XADD300k',
    make: () => cmd('XADD', 'big', '*', 'f', 'v'),
    lines: 2,
    setup: { n: 300000, make: () => cmd('XADD', 'big', '*', 'f', 'v'), lines: 2 },
  },
  // bench:wasm-micro's two probes: a function that does nothing, and one INCR through `cmd`.
  { name: 'WEMPTY', wasm: { name: 'empty', wat: EMPTY_WAT }, make: () => cmd('WASM.CALL', 'empty'), lines: 1 },
  {
    name: 'WINCR',
    wasm: { name: 'incr', wat: INCR_WAT },
    make: (i) => cmd('WASM.CALL', 'incr', 'KEYS', `mi:${i % USERS}`),
    lines: 1,
  },
  // bench:lua's keys and ratelimit-fixed functions (build them first: node bench/build-udf.mjs). The
  // setup makes every user's keys exist, so each call's reply has the same shape (and line count).
  {
    name: 'WKEYS',
    wasm: { name: 'keys', file: 'keys' },
    make: (i) => cmd('WASM.CALL', 'keys', 'KEYS', `kv:${i % USERS}:name`, `kv:${i % USERS}:visits`, `kv:${i % USERS}:seen`, 'ARGS', `user-${i % USERS}`, String(1_700_000_000_000 + i)),
    lines: 6,
    setup: { n: USERS * 2, make: (i) => cmd('WASM.CALL', 'keys', 'KEYS', `kv:${i % USERS}:name`, `kv:${i % USERS}:visits`, `kv:${i % USERS}:seen`, 'ARGS', `user-${i % USERS}`, '1'), lines: (i) => (i < USERS ? 5 : 6) },
  },
  {
    name: 'WRLF',
    wasm: { name: 'rlf', file: 'ratelimit-fixed' },
    make: (i) => cmd('WASM.CALL', 'rlf', 'KEYS', `rl:fixed:user${scramble(i) % USERS}`, 'ARGS', '1000000000', '60'),
    lines: 4,
  },
];

async function main(): Promise<void> {
  const { Config } = await import(join(dist, 'src/config/config.js'));
  const { defaultConfigPath } = await import(join(dist, 'src/cli/main.js'));
  const { silentLogger } = await import(join(dist, 'src/log.js'));
  const { Server } = await import(join(dist, 'src/server/server.js'));
  const config = new Config();
  config.loadFile(defaultConfigPath());
  config.setText('port', '0');
  config.setText('dir', mkdtempSync(join(tmpdir(), 'lodestone-cpu-')));
  const server = new Server({ config, log: silentLogger() });
  const port: number = await server.listen();
  const sock = net.connect(port, '127.0.0.1');
  await new Promise((r) => sock.once('connect', r));
  sock.setNoDelay(true);
  let lines = 0;
  let waiter: (() => void) | null = null;
  let want = 0;
  sock.on('data', (b: Buffer) => {
    for (let i = b.indexOf(10); i !== -1; i = b.indexOf(10, i + 1)) lines++;
    if (waiter && lines >= want) {
      const w = waiter;
      waiter = null;
      w();
    }
  });
  const send = (buf: Buffer, n: number): Promise<void> =>
    new Promise((r) => {
      want = lines + n;
      waiter = r;
      sock.write(buf);
    });

  console.log(`dist ${dist}, N=${N}, batches of ${BATCH}, best of ${RUNS}: µs of process CPU per command`);
  const only = process.env.CASES ? new Set(process.env.CASES.split(',')) : null;
  for (const c of CASES) {
    if (only && !only.has(c.name)) continue;
    if (c.wasm) {
      const w = c.wasm;
      const bytes = (w.wat !== undefined ? await watBinary(w.wat) : readFileSync(join(dist, '..', 'bench', 'udf', 'build', `${w.file}.wasm`))).toString('latin1');
      await send(cmdBin('WASM.LOAD', c.wasm.name, bytes, 'PERMISSIONS', 'WRITE', 'REPLACE'), 1);
    }
    if (c.setup) {
      const st = c.setup;
      for (let i = 0; i < st.n; i += BATCH) {
        let s = '';
        let n = 0;
        for (let j = i; j < i + BATCH && j < st.n; j++) {
          s += st.make(j);
          n += typeof st.lines === 'number' ? st.lines : st.lines(j);
        }
        await send(Buffer.from(s), n);
      }
    }
    // Prepared batches: building them is not measured.
    const batches: Buffer[] = [];
    for (let i = 0; i < N; i += BATCH) {
      let s = '';
      for (let j = i; j < i + BATCH && j < N; j++) s += c.make(j);
      batches.push(Buffer.from(s));
    }
    let best = Infinity;
    for (let run = 0; run < RUNS; run++) {
      const t0 = process.cpuUsage();
      for (const b of batches) await send(b, BATCH * c.lines);
      const d = process.cpuUsage(t0);
      best = Math.min(best, (d.user + d.system) / N);
    }
    console.log(`${c.name.padEnd(6)} ${best.toFixed(2)}`);
  }
  sock.destroy();
  await server.close();
}

void main();
