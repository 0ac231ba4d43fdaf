// Free TCP ports for a cluster on one host: each node needs its port and its bus port (port +
// 10000). `lodestone cluster start` checks them before it starts anything, so a port in use is
// reported by number instead of as a node that died; the tests and bench/cluster.ts pick free
// ranges with the same check.

import net from 'node:net';

/** The bus port offset Redis uses when cluster-port is 0. */
export const BUS_OFFSET = 10000;

function free(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, host, () => s.close(() => resolve(true)));
  });
}

/** The ports among `ports` and their bus ports that something listens on now. */
export async function portsInUse(host: string, ports: number[]): Promise<number[]> {
  const busy: number[] = [];
  for (const p of ports) for (const q of [p, p + BUS_OFFSET]) if (!(await free(host, q))) busy.push(q);
  return busy;
}

/** A first port such that `count` consecutive ports and their bus ports are free (ports < 40000). */
export async function freePortRange(count: number, host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = 20000 + Math.floor(Math.random() * (20000 - count));
    if ((await portsInUse(host, Array.from({ length: count }, (_, i) => base + i))).length === 0) return base;
  }
  throw new Error(`no ${count} consecutive free ports (with bus ports) found`);
}
