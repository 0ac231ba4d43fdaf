// The `lodestone` CLI as a user runs it: startup banner, config file selection, flag overrides,
// generic `--name value` parameters, errors that name the bad key, and clean exit on SIGTERM.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RawClient } from './helpers/raw-client.js';
import { freePort, ProcessHandle, ROOT, startLodestoneProcess } from './helpers/servers.js';

const BIN = join(ROOT, 'bin/lodestone.js');
let proc: ProcessHandle | null = null;
afterEach(async () => {
  await proc?.close();
  proc = null;
});

function runFail(args: string[]): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 10000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('lodestone CLI', () => {
  it('starts on the bundled config.toml and logs version, port and config file', async () => {
    proc = await startLodestoneProcess();
    const c = await RawClient.connect(proc.port);
    expect(await c.call('PING')).toEqual({ t: 'status', v: 'PONG' });
    c.close();
    const log = proc.output();
    expect(log).toContain(`"port":${proc.port}`);
    expect(log).toContain('"version":"0.1.0"');
    expect(log).toContain(join(ROOT, 'config.toml'));
  });

  it('applies --name value parameters and named flags over the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-cli-'));
    proc = await startLodestoneProcess(['--dir', dir, '--hz', '20', '--requirepass', 's3cret', '--wasm.limits.max_fuel', '5000000']);
    const c = await RawClient.connect(proc.port);
    expect(await c.call('ECHO', 'x')).toEqual({ t: 'error', v: 'NOAUTH Authentication required.' });
    expect(await c.call('AUTH', 's3cret')).toEqual({ t: 'status', v: 'OK' });
    c.close();
  });

  it('reads another file with --config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-cli-'));
    const port = await freePort();
    const file = join(dir, 'c.toml');
    writeFileSync(file, `port = ${port}\nrequirepass = "pw"\n[wasm.limits]\nmax_fuel = 42\n`);
    proc = await startLodestoneProcess(['--config', file], { port });
    const c = await RawClient.connect(port);
    expect(await c.call('PING')).toEqual({ t: 'error', v: 'NOAUTH Authentication required.' });
    c.close();
    expect(proc.output()).toContain(file);
  });

  it('refuses unknown and ill-typed keys, naming them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-cli-'));
    const bad1 = join(dir, 'bad1.toml');
    writeFileSync(bad1, 'port = 6379\nno-such-key = 1\n');
    let r = runFail(['--config', bad1]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("unknown configuration key 'no-such-key'");
    const bad2 = join(dir, 'bad2.toml');
    writeFileSync(bad2, 'port = "six"\n');
    r = runFail(['--config', bad2]);
    expect(r.code).toBe(1);
    expect(r.out).toContain("'port'");
    const bad3 = join(dir, 'bad3.toml');
    writeFileSync(bad3, '[wasm.limits]\nmax_fuel = "lots"\n');
    r = runFail(['--config', bad3]);
    expect(r.out).toContain("'wasm.limits.max_fuel'");
    r = runFail(['--no-such-param', '1']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('--no-such-param');
    r = runFail(['--appendfsync', 'sometimes']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('appendfsync');
  });

  it('exits cleanly on SIGTERM', async () => {
    proc = await startLodestoneProcess();
    const code = await new Promise<number | null>((resolve) => {
      proc!.proc.once('exit', (c) => resolve(c));
      proc!.proc.kill('SIGTERM');
    });
    expect(code).toBe(0);
  });

  it('passes flags through `npm start --`', async () => {
    const port = await freePort();
    const child = spawn('npm', ['start', '--silent', '--', '--port', String(port)], { cwd: ROOT, stdio: 'ignore', detached: true });
    try {
      let ok = false;
      for (let i = 0; i < 100 && !ok; i++) {
        await new Promise((r) => setTimeout(r, 100));
        try {
          const c = await RawClient.connect(port);
          ok = (await c.call('PING')).t === 'status';
          c.close();
        } catch {
          /* not up yet */
        }
      }
      expect(ok).toBe(true);
    } finally {
      process.kill(-child.pid!, 'SIGKILL');
    }
  });
});
