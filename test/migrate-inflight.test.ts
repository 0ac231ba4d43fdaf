// MIGRATE runs asynchronously here (Redis blocks its whole event loop while it talks to the target),
// so a command on a key in flight must wait until the transfer settles. Otherwise a write
// acknowledged during the transfer stayed on the source while the target kept the older copy — in
// a cluster reshard an acknowledged write was lost (seen by test/cluster-clients.test.ts's mixed
// cluster). The target here is a fake that answers RESTORE only after a delay, so the transfer is
// certainly in progress when the second client writes; a real ioredis client over a real socket.

import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { LodestoneHandle, startLodestone } from './helpers/servers.js';

/** A target that answers every command with +OK, each reply held back `delayMs`. */
function slowTarget(delayMs: number): Promise<{ port: number; close: () => void; restores: string[] }> {
  const restores: string[] = [];
  const srv = net.createServer((sock) => {
    sock.on('data', (d) => {
      const text = d.toString('latin1');
      // One +OK per command received (SELECT, RESTORE …): count the '*' array headers at line starts.
      const n = (text.match(/(^|\r\n)\*\d+\r\n/g) ?? []).length;
      if (text.includes('RESTORE')) restores.push(text);
      setTimeout(() => sock.write('+OK\r\n'.repeat(n)), delayMs);
    });
    sock.on('error', () => undefined);
  });
  return new Promise((resolve) =>
    srv.listen(0, '127.0.0.1', () => resolve({ port: (srv.address() as net.AddressInfo).port, close: () => srv.close(), restores })),
  );
}

describe('MIGRATE and commands on keys in flight', () => {
  let ls: LodestoneHandle;
  beforeAll(async () => {
    ls = await startLodestone();
  });
  afterAll(async () => {
    await ls.close();
  });

  it('a write to a key being migrated waits for the transfer, and runs after it', async () => {
    const target = await slowTarget(300);
    const a = new Redis(ls.port, '127.0.0.1');
    const b = new Redis(ls.port, '127.0.0.1');
    const c = new Redis(ls.port, '127.0.0.1');
    try {
      await a.set('k', 'old');
      await a.set('other', 'x');
      const order: string[] = [];
      const migrating = a.migrate('127.0.0.1', target.port, 'k', 0, 5000).then((r) => order.push(`migrate ${r}`));
      await new Promise((r) => setTimeout(r, 50)); // the transfer is under way (the target waits 300 ms)
      const write = b.set('k', 'new').then((r) => order.push(`set ${r}`));
      const multi = b.multi().incr('k2').set('k', 'newer').exec();
      // Other keys are served meanwhile.
      expect(await c.get('other')).toBe('x');
      expect(order).toEqual([]);
      await Promise.all([migrating, write, multi]);
      expect(order).toEqual(['migrate OK', 'set OK']);
      // The target received the value from before the write; the source deleted it, then the
      // waiting commands ran on the source: nothing acknowledged is lost.
      expect(target.restores.length).toBe(1);
      expect(await c.get('k')).toBe('newer');
    } finally {
      a.disconnect();
      b.disconnect();
      c.disconnect();
      target.close();
    }
  });
});
