// Redis Sentinel (Debian's redis-sentinel, the real binary) monitoring a Lodestone master with two
// Lodestone replicas: when the master dies Sentinel promotes a replica (REPLICAOF NO ONE), points
// the other at it (REPLICAOF inside its MULTI with CONFIG REWRITE and CLIENT KILL), and a client
// that asks Sentinel for the master (ioredis `sentinels:`) carries on against the new one. Writes
// acknowledged with WAIT before the kill are on the new master. The time from the kill to a
// working new master is printed (not asserted: the machine is shared and slow).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { freePort, LodestoneHandle, startLodestone } from './helpers/servers.js';
import { until } from './helpers/poll.js';
import { execFileSync } from 'node:child_process';

function have(bin: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const HAVE_SENTINEL = have('redis-sentinel');
if (!HAVE_SENTINEL) {
  // eslint-disable-next-line no-console
  console.log('[skip] Sentinel failover: redis-sentinel is not installed (apt-get install -y redis-sentinel)');
}

const LONG = 60_000;

function client(port: number): Redis {
  // Reconnects: Sentinel's reconfiguration ends with CLIENT KILL TYPE normal on the servers it touches.
  const r = new Redis({ port, host: '127.0.0.1', enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 1, retryStrategy: () => 100 });
  r.on('error', () => {});
  return r;
}

describe.skipIf(!HAVE_SENTINEL)('Sentinel failover of a Lodestone master', () => {
  let nodes: LodestoneHandle[] = [];
  let sentinel: ChildProcess | null = null;
  let sentinelPort = 0;
  let dir = '';
  let log = '';
  const closed = new Set<number>();

  beforeAll(async () => {
    const master = await startLodestone();
    nodes = [master, await startLodestone({ replicaof: `127.0.0.1 ${master.port}` }), await startLodestone({ replicaof: `127.0.0.1 ${master.port}` })];
    dir = mkdtempSync(join(tmpdir(), 'lodestone-sentinel-'));
    sentinelPort = await freePort();
    const conf = join(dir, 'sentinel.conf');
    writeFileSync(
      conf,
      [
        `port ${sentinelPort}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor mymaster 127.0.0.1 ${master.port} 1`,
        'sentinel down-after-milliseconds mymaster 1000',
        'sentinel failover-timeout mymaster 10000',
        '',
      ].join('\n'),
    );
    sentinel = spawn('redis-sentinel', [conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    sentinel.stdout!.on('data', (d) => (log += d));
    sentinel.stderr!.on('data', (d) => (log += d));
  }, LONG);

  afterAll(async () => {
    if (sentinel && sentinel.exitCode === null) {
      sentinel.kill('SIGKILL');
      await new Promise((r) => sentinel!.once('exit', r));
    }
    for (const n of nodes) if (!closed.has(n.port)) await n.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('promotes a replica; WAIT-acknowledged writes survive; a Sentinel client keeps working', async () => {
    const [master] = nodes;
    const s = new Redis({ port: sentinelPort, host: '127.0.0.1', enableReadyCheck: false, disableClientInfo: true, retryStrategy: () => 50 });
    s.on('error', () => {}); // refused until Sentinel listens
    // Sentinel found the master and, through its INFO, both replicas.
    await until(
      async () => {
        try {
          return ((await s.call('SENTINEL', 'REPLICAS', 'mymaster')) as unknown[]).length === 2;
        } catch {
          return false;
        }
      },
      LONG,
      'Sentinel sees two replicas',
    );
    const app = new Redis({ sentinels: [{ host: '127.0.0.1', port: sentinelPort }], name: 'mymaster', enableReadyCheck: false, disableClientInfo: true });
    app.on('error', () => {}); // the old master refuses connections until ioredis asks Sentinel again
    try {
      for (let i = 0; i < 100; i++) await app.set(`k:${i}`, String(i));
      expect(await app.call('WAIT', '2', '20000')).toBe(2);

      const t0 = Date.now();
      closed.add(master.port);
      await master.close();

      let newPort = 0;
      await until(
        async () => {
          const addr = (await s.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', 'mymaster').catch(() => null)) as string[] | null;
          newPort = addr ? Number(addr[1]) : 0;
          return newPort !== 0 && newPort !== master.port;
        },
        LONG,
        'Sentinel switches the master',
      );
      const promoted = client(newPort);
      // Each probe may meet a server in transition (-LOADING during a resync, a closing link): a
      // failed probe is "not yet", not a failure.
      const probe = (f: () => Promise<boolean>) => () => f().catch(() => false);
      await until(probe(async () => ((await promoted.call('ROLE')) as unknown[])[0] === 'master'), LONG, 'the promoted replica is a master');
      // The client library follows Sentinel to the new master.
      await until(
        async () => {
          try {
            return (await app.set('after-failover', 'yes')) === 'OK';
          } catch {
            return false;
          }
        },
        LONG,
        'a write through the Sentinel client',
      );
      // eslint-disable-next-line no-console
      console.log(`[sentinel] kill → working new master (port ${newPort}): ${Date.now() - t0} ms`);
      for (let i = 0; i < 100; i++) expect(await promoted.get(`k:${i}`)).toBe(String(i));
      expect(await promoted.get('after-failover')).toBe('yes');
      // The other replica follows the new master.
      const other = nodes.find((n) => n.port !== master.port && n.port !== newPort)!;
      const oc = client(other.port);
      await until(probe(async () => (await oc.get('after-failover')) === 'yes'), LONG, 'the other replica follows the new master');
      oc.disconnect();
      promoted.disconnect();
    } catch (err) {
      // eslint-disable-next-line no-console
      console.log(log);
      throw err;
    } finally {
      app.disconnect();
      s.disconnect();
    }
  }, 120_000);
});
