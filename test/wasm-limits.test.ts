// Issue 12, "limits with no holes": each hole a hostile or careless guest could use to hold the
// server (time, memory, a stalled event loop) or to get more or less than the docs say
// (permissions, pointer checks, imports, logging, rollback) — through the real server, over real
// sockets. Every test here failed on the code before the fix it covers.
//
// Modules are written in WAT and compiled with wabt (devDependency). No test bounds wall-clock time
// tightly (a busy 2-core machine): a runaway guest is one that would take minutes, and the bounds
// checked here are generous.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import wabtInit from 'wabt';
import { Writable } from 'node:stream';
import pino from 'pino';
import { LodestoneHandle, startLodestone } from './helpers/servers.js';
import { RawClient } from './helpers/raw-client.js';
import { show, type RespValue } from './helpers/resp.js';

type Wabt = Awaited<ReturnType<typeof wabtInit>>;
let wabt: Wabt;

const FEATURES = { bulk_memory: true, multi_value: true, sign_extension: true, mutable_globals: true, sat_float_to_int: true, reference_types: true };

function wat(src: string): Buffer {
  const m = wabt.parseWat('t.wat', src, FEATURES);
  try {
    m.resolveNames();
    m.validate();
    return Buffer.from(m.toBinary({}).buffer);
  } finally {
    m.destroy();
  }
}

const errText = (v: RespValue): string => {
  if (v.t !== 'error') throw new Error(`expected an error reply, got ${show(v)}`);
  return v.v;
};
const OK = { t: 'status', v: 'OK' };

let ls: LodestoneHandle;
let c: RawClient;
let other: RawClient;
const logLines: Record<string, unknown>[] = [];

beforeAll(async () => {
  wabt = await wabtInit();
  ls = await startLodestone({ 'enable-protected-configs': 'yes' });
  // Capture the server's JSON log (pino) to check what guests write to it.
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n')) if (line) logLines.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  ls.server.log = pino({ level: 'debug' }, sink) as unknown as typeof ls.server.log;
  c = await RawClient.connect(ls.port);
  other = await RawClient.connect(ls.port);
});

afterAll(async () => {
  c?.close();
  other?.close();
  await ls?.close();
});

const DEFAULTS: Record<string, string> = {
  'wasm.limits.max_fuel': '1000000',
  'wasm.limits.max_duration_ms': '5000',
  'wasm.limits.max_memory': '67108864',
};
afterEach(async () => {
  for (const [k, v] of Object.entries(DEFAULTS)) expect(await c.call('CONFIG', 'SET', k, v)).toEqual(OK);
});

async function load(name: string, bytes: Buffer, ...perms: string[]): Promise<void> {
  const args: (string | Buffer)[] = ['WASM.LOAD', name, bytes, 'REPLACE'];
  if (perms.length) args.push('PERMISSIONS', ...perms);
  const r = await c.call(...args);
  expect(r, show(r)).toEqual(OK);
}

async function loadError(name: string, bytes: Buffer, ...perms: string[]): Promise<string> {
  const args: (string | Buffer)[] = ['WASM.LOAD', name, bytes, 'REPLACE'];
  if (perms.length) args.push('PERMISSIONS', ...perms);
  return errText(await c.call(...args));
}

async function healthy(): Promise<void> {
  expect(await other.call('PING')).toEqual({ t: 'status', v: 'PONG' });
  expect(await c.call('PING')).toEqual({ t: 'status', v: 'PONG' });
}

// ---------------------------------------------------------------------------------------------

describe('time: bulk memory and table instructions are charged by their length', () => {
  const MB64 = 64 * 1024 * 1024;
  const fillLoop = (op: string) =>
    wat(`(module (memory (export "memory") 1024 1024)
      (table 100000 funcref)
      (func (export "main") (result i64)
        (loop $l ${op} (br $l))
        (i64.const 0)))`);

  for (const [what, op] of [
    ['memory.fill over 64 MB', `(memory.fill (i32.const 0) (i32.const 7) (i32.const ${MB64}))`],
    ['memory.copy of 32 MB', `(memory.copy (i32.const 0) (i32.const ${MB64 / 2}) (i32.const ${MB64 / 2}))`],
    ['table.fill of 100000 entries', `(table.fill (i32.const 0) (ref.null func) (i32.const 100000))`],
  ] as const) {
    it(`a loop of ${what} with max_duration_ms 200 and a huge max_fuel stops on the clock`, async () => {
      // Before the fix each iteration cost ~3 units of fuel, so the clock (checked once per
      // million units) was read every ~300,000 fills: the call ran for many minutes.
      await load('bulk', fillLoop(op));
      expect(await c.call('CONFIG', 'SET', 'wasm.limits.max_fuel', '1000000000000000')).toEqual(OK);
      expect(await c.call('CONFIG', 'SET', 'wasm.limits.max_duration_ms', '200')).toEqual(OK);
      const t0 = Date.now();
      expect(errText(await c.call('WASM.CALL', 'bulk'))).toBe("ERR wasm function 'bulk' failed: timed out (max_duration_ms 200) (guest fault)");
      expect(Date.now() - t0).toBeLessThan(15000); // generous: it is ~200 ms; unbounded before
      await healthy();
    }, 60000);
  }

  it('with default limits the fuel runs out (a 64 MB fill costs 1M units (one per 64 bytes), over max_fuel 1M)', async () => {
    await load('bulk', fillLoop(`(memory.fill (i32.const 0) (i32.const 7) (i32.const ${MB64}))`));
    expect(errText(await c.call('WASM.CALL', 'bulk'))).toBe("ERR wasm function 'bulk' failed: fuel exhausted (max_fuel 1000000) (guest fault)");
    const info = (await c.call('WASM.INFO', 'bulk')) as RespValue;
    expect(show(info)).toMatch(/fuel/);
  });
});
