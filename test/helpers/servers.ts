// Test fixtures: a Lodestone server started in-process on an ephemeral port, a real redis-server
// started as a child process on a free port (for differential and client tests), and the
// Lodestone CLI as a child process (startup, config and signal tests).

import { spawn, spawnSync, ChildProcess } from 'node:child_process';
import net from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Config } from '../../src/config/config.js';
import { defaultConfigPath } from '../../src/cli/main.js';
import { silentLogger } from '../../src/log.js';
import { Server } from '../../src/server/server.js';
import type { Clock } from '../../src/keyspace/db.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function which(bin: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
}

export const HAVE_REDIS_SERVER = which('redis-server');
export const HAVE_REDIS_CLI = which('redis-cli');
export const HAVE_REDIS_BENCHMARK = which('redis-benchmark');

/** Print once why a suite is skipped (vitest shows skipped tests but not the reason). */
export function skipReason(what: string, need: 'redis-server' | 'redis-cli'): boolean {
  const have = need === 'redis-server' ? HAVE_REDIS_SERVER : HAVE_REDIS_CLI;
  if (!have) {
    // eslint-disable-next-line no-console
    console.log(`[skip] ${what}: ${need} is not installed (apt-get install -y redis-server redis-tools)`);
  }
  return !have;
}

export interface LodestoneHandle {
  port: number;
  server: Server;
  config: Config;
  close(): Promise<void>;
}

/** A fake clock tests can move forward. */
export class FakeClock implements Clock {
  constructor(public t = Date.now()) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

/** Start Lodestone in this process on a free port, with config overrides as `--name value` text. */
export async function startLodestone(overrides: Record<string, string> = {}, clock?: Clock): Promise<LodestoneHandle> {
  const config = new Config();
  config.loadFile(defaultConfigPath());
  // Runs without a config file, as far as the server knows: CONFIG REWRITE must never rewrite the
  // repository's config.toml (Sentinel tests send it on failover).
  config.file = '';
  config.setText('port', '0');
  // Each server gets its own working directory, so persisted files (AOF, WASM modules) never land
  // in the repository or leak between tests.
  config.setText('dir', mkdtempSync(join(tmpdir(), 'lodestone-test-')));
  for (const [k, v] of Object.entries(overrides)) config.setText(k, v);
  const server = new Server({ config, log: silentLogger(), clock });
  const port = await server.listen();
  return { port, server, config, close: () => server.close() };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function waitForPort(port: number, proc: ChildProcess, timeoutMs = 10000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (proc.exitCode !== null) throw new Error(`process exited with code ${proc.exitCode}`);
    const ok = await new Promise<boolean>((r) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => {
        s.destroy();
        r(true);
      });
      s.on('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`port ${port} did not open`);
}

export interface ProcessHandle {
  port: number;
  proc: ChildProcess;
  output: () => string;
  close(): Promise<void>;
}

/** Start a real redis-server (no persistence) on a free port. */
export async function startRedis(extra: string[] = []): Promise<ProcessHandle> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-redis-'));
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extra], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  await waitForPort(port, proc);
  return {
    port,
    proc,
    output: () => out,
    close: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await new Promise((r) => proc.once('exit', r));
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Start the Lodestone CLI (the built dist/) as a child process. `wrap` is bash run first, in the
 * process that then execs node (same pid): `trap '' XFSZ; ulimit -S -f 64` starts it under a limit.
 */
export async function startLodestoneProcess(
  args: string[] = [],
  opts: { port?: number; env?: NodeJS.ProcessEnv; wrap?: string } = {},
): Promise<ProcessHandle> {
  const port = opts.port ?? (await freePort());
  const dirArgs = args.includes('--dir') ? [] : ['--dir', mkdtempSync(join(tmpdir(), 'lodestone-test-'))];
  const argv = [join(ROOT, 'bin/lodestone.js'), '--port', String(port), ...dirArgs, ...args];
  const [cmd, cmdArgs] = opts.wrap ? ['bash', ['-c', `${opts.wrap}\nexec "$@"`, 'bash', process.execPath, ...argv]] : [process.execPath, argv];
  const proc = spawn(cmd, cmdArgs, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  });
  let out = '';
  proc.stdout!.on('data', (d) => (out += d));
  proc.stderr!.on('data', (d) => (out += d));
  await waitForPort(port, proc);
  return {
    port,
    proc,
    output: () => out,
    close: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGKILL');
        await new Promise((r) => proc.once('exit', r));
      }
    },
  };
}
