// SIGTERM stops the server within a bounded time whatever the main thread is doing, and what was
// written before is there after a restart (src/server/watchdog.ts).
//
// Runs the built CLI (dist/: `npm run build` first) as a child process, because signals and exit
// are about the process. Each case: SET a key, start a command that never ends on its own (limits
// as high as the config allows), SIGTERM, the process must exit; restart on the same dir and read
// the key back.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import wabtInit from 'wabt';
import { RawClient } from '../helpers/raw-client.js';
import { ProcessHandle, startLodestoneProcess } from '../helpers/servers.js';
import { sleep } from '../helpers/poll.js';

let wabt: Awaited<ReturnType<typeof wabtInit>>;
const SPIN = '(module (func (export "main") (result i64) (loop $l (br $l)) (i64.const 0)))';

function wasmSpin(): Buffer {
  const m = wabt.parseWat('spin.wat', SPIN, {});
  try {
    m.resolveNames();
    m.validate();
    return Buffer.from(m.toBinary({}).buffer);
  } finally {
    m.destroy();
  }
}

let procs: ProcessHandle[] = [];
afterEach(async () => {
  for (const p of procs) await p.close();
  procs = [];
});

async function start(dir: string, extra: string[] = []): Promise<ProcessHandle> {
  const p = await startLodestoneProcess(['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'everysec', ...extra]);
  procs.push(p);
  return p;
}

/** SIGTERM the process while `busy` keeps its main thread looping; returns ms until it exited. */
async function termWhileBusy(p: ProcessHandle, busy: (c: RawClient) => void): Promise<number> {
  const c = await RawClient.connect(p.port);
  expect(await c.call('SET', 'before', 'kept')).toEqual({ t: 'status', v: 'OK' });
  busy(c);
  await sleep(500); // the command is running now
  const t0 = Date.now();
  const exited = new Promise<void>((resolve) => p.proc.once('exit', () => resolve()));
  p.proc.kill('SIGTERM');
  await Promise.race([exited, sleep(20_000)]);
  c.close();
  expect(p.proc.exitCode !== null || p.proc.signalCode !== null, `still running 20 s after SIGTERM:\n${p.output()}`).toBe(true);
  return Date.now() - t0;
}

async function readBack(dir: string): Promise<void> {
  const p = await start(dir);
  const c = await RawClient.connect(p.port);
  expect(await c.call('GET', 'before')).toEqual({ t: 'bulk', v: 'kept' });
  c.close();
}

describe('SIGTERM while the main thread is busy', () => {
  beforeAll(async () => {
    wabt = await wabtInit();
  });

  it('a Lua script in an endless loop with no time limit: the script is stopped, the server shuts down', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-sigterm-'));
    const p = await start(dir, ['--busy-reply-threshold', '0']);
    const ms = await termWhileBusy(p, (c) => c.writeRaw('*3\r\n$4\r\nEVAL\r\n$17\r\nwhile true do end\r\n$1\r\n0\r\n'));
    expect(p.proc.exitCode).toBe(0); // the ordinary shutdown ran
    expect(ms).toBeLessThan(20_000);
    await readBack(dir);
  }, 60_000);

  it('a WASM function in an endless loop with huge fuel and time limits: stopped, clean shutdown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-sigterm-'));
    const p = await start(dir, ['--wasm.limits.max_fuel', '1000000000000000', '--wasm.limits.max_duration_ms', '1000000000']);
    const c = await RawClient.connect(p.port);
    expect(await c.call('WASM.LOAD', 'spin', wasmSpin())).toEqual({ t: 'status', v: 'OK' });
    c.close();
    await termWhileBusy(p, (c2) => void c2.call('WASM.CALL', 'spin', 'KEYS').catch(() => {}));
    expect(p.proc.exitCode).toBe(0);
    await readBack(dir);
  }, 60_000);

  it('a loop no interrupt reaches (WASM without metering): the watchdog exits the process after its grace period', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-sigterm-'));
    const p = await start(dir, ['--wasm.metering', 'no']);
    const c = await RawClient.connect(p.port);
    expect(await c.call('WASM.LOAD', 'spin', wasmSpin())).toEqual({ t: 'status', v: 'OK' });
    c.close();
    await termWhileBusy(p, (c2) => void c2.call('WASM.CALL', 'spin', 'KEYS').catch(() => {}));
    expect(p.proc.signalCode).toBe('SIGKILL');
    expect(p.output()).toMatch(/main thread has been busy/);
    await readBack(dir);
  }, 60_000);
});
