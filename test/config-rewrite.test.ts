// CONFIG REWRITE (src/config/rewrite.ts): the TOML file the server was started with is rewritten
// with the running values, keeps its comments, and loads back; REPLICAOF writes `replicaof` and
// REPLICAOF NO ONE removes it (what Redis Sentinel relies on after a failover). Without a config
// file, and when the file cannot be written, the errors are Redis 7.0's.
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RawClient } from './helpers/raw-client.js';
import { freePort, LodestoneHandle, ProcessHandle, startLodestone, startLodestoneProcess } from './helpers/servers.js';

let proc: ProcessHandle | null = null;
let inproc: LodestoneHandle | null = null;
afterEach(async () => {
  await proc?.close();
  proc = null;
  await inproc?.close();
  inproc = null;
});

const OK = { t: 'status', v: 'OK' };
const bulk = (v: string) => ({ t: 'bulk', v });

const FILE = `# Lodestone test configuration
# (a comment that must survive)
maxmemory = "10mb"   # the memory cap
hz = 10
loglevel = "notice"

# WASM settings
[wasm.limits]
# fuel per call
max_fuel = 1000000
max_call_depth = 1000

[wasm.pool]
min_instances = 2
`;

async function configGet(c: RawClient, name: string): Promise<unknown> {
  const r = (await c.call('CONFIG', 'GET', name)) as { v: { v: string }[] };
  return r.v[1]?.v;
}

describe('CONFIG REWRITE', () => {
  it('rewrites the file in place, keeps comments, loads back; REPLICAOF NO ONE removes replicaof', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-rewrite-'));
    const file = join(dir, 'lodestone.toml');
    writeFileSync(file, FILE);
    chmodSync(file, 0o640);
    const port = await freePort();
    const masterPort = await freePort(); // nothing listens there: the replica keeps trying
    const args = ['--config', file, '--dir', dir, '--enable-protected-configs', 'yes'];
    proc = await startLodestoneProcess(args, { port });
    let c = await RawClient.connect(port);
    expect(await c.call('CONFIG', 'SET', 'maxmemory', '20mb', 'hz', '25', 'maxmemory-policy', 'allkeys-lru')).toEqual(OK);
    expect(await c.call('CONFIG', 'SET', 'wasm.limits.max_fuel', '5000', 'wasm.pool.max_instances', '7', 'wasm.pool.min_instances', '3')).toEqual(OK);
    expect(await c.call('CONFIG', 'SET', 'requirepass', 'se"cr\\et')).toEqual(OK);
    expect(await c.call('AUTH', 'se"cr\\et')).toEqual(OK);
    expect(await c.call('REPLICAOF', '127.0.0.1', String(masterPort))).toEqual(OK);
    expect(await c.call('CONFIG', 'REWRITE')).toEqual(OK);
    c.close();

    const text = readFileSync(file, 'utf8');
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(text).toContain('# Lodestone test configuration\n# (a comment that must survive)\n');
    expect(text).toContain('maxmemory = 20971520 # the memory cap\nhz = 25\nloglevel = "notice"\n');
    expect(text).toContain('# WASM settings\n[wasm.limits]\n# fuel per call\nmax_fuel = 5000\nmax_call_depth = 1000\n');
    expect(text).toContain('[wasm.pool]\nmin_instances = 3\nmax_instances = 7\n');
    expect(text).toContain(`replicaof = "127.0.0.1 ${masterPort}"\n`);
    expect(text).toContain('maxmemory-policy = "allkeys-lru"\n');
    expect(text).toContain('requirepass = "se\\"cr\\\\et"\n');
    expect(text).toContain(`port = ${port}\n`);
    // New top-level keys go before the first table, not into [wasm.limits].
    expect(text.indexOf('replicaof =')).toBeLessThan(text.indexOf('[wasm.limits]'));

    // Restart from the rewritten file only (no flags but --config): the values are back.
    await proc.close();
    proc = await startLodestoneProcess(['--config', file, '--dir', dir], { port });
    c = await RawClient.connect(port);
    expect(await c.call('AUTH', 'se"cr\\et')).toEqual(OK);
    expect(await configGet(c, 'maxmemory')).toBe('20971520');
    expect(await configGet(c, 'hz')).toBe('25');
    expect(await configGet(c, 'maxmemory-policy')).toBe('allkeys-lru');
    expect(await configGet(c, 'wasm.limits.max_fuel')).toBe('5000');
    expect(await configGet(c, 'wasm.pool.max_instances')).toBe('7');
    expect(await configGet(c, 'enable-protected-configs')).toBe('yes');
    const role = (await c.call('ROLE')) as { v: { v: unknown }[] };
    expect(role.v[0]).toEqual(bulk('slave'));
    expect(role.v[2]).toEqual({ t: 'int', v: String(masterPort) });

    // A second rewrite with nothing changed leaves the file as it is.
    expect(await c.call('CONFIG', 'REWRITE')).toEqual(OK);
    expect(readFileSync(file, 'utf8')).toBe(text);

    // Back to the default: the line stays with the new value; replicaof goes away.
    expect(await c.call('CONFIG', 'SET', 'hz', '10')).toEqual(OK);
    expect(await c.call('REPLICAOF', 'NO', 'ONE')).toEqual(OK);
    expect(await c.call('CONFIG', 'REWRITE')).toEqual(OK);
    c.close();
    const text2 = readFileSync(file, 'utf8');
    expect(text2).not.toContain('replicaof');
    expect(text2).toContain('maxmemory = 20971520 # the memory cap\nhz = 10\n');

    await proc.close();
    proc = await startLodestoneProcess(['--config', file, '--dir', dir], { port });
    c = await RawClient.connect(port);
    expect(await c.call('AUTH', 'se"cr\\et')).toEqual(OK);
    const role2 = (await c.call('ROLE')) as { v: { v: unknown }[] };
    expect(role2.v[0]).toEqual(bulk('master'));
    expect(await configGet(c, 'hz')).toBe('10');
    c.close();
  }, 60_000);

  it('answers Redis\'s error when the file cannot be written', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lodestone-rewrite-'));
    const confDir = mkdtempSync(join(tmpdir(), 'lodestone-rewrite-conf-'));
    const file = join(confDir, 'lodestone.toml');
    writeFileSync(file, 'hz = 10\n');
    const port = await freePort();
    proc = await startLodestoneProcess(['--config', file, '--dir', dataDir], { port });
    // The file's directory is gone: no temporary file can be created next to it.
    rmSync(confDir, { recursive: true });
    const c = await RawClient.connect(port);
    expect(await c.call('CONFIG', 'SET', 'hz', '11')).toEqual(OK);
    expect(await c.call('CONFIG', 'REWRITE')).toEqual({ t: 'error', v: 'ERR Rewriting config file: No such file or directory' });
    c.close();
  }, 30_000);

  it('answers Redis\'s error without a config file', async () => {
    inproc = await startLodestone();
    const c = await RawClient.connect(inproc.port);
    expect(await c.call('CONFIG', 'REWRITE')).toEqual({ t: 'error', v: 'ERR The server is running without a config file' });
    c.close();
  });
});
