// Free TCP ports for a cluster on one host: each node needs its port and its bus port (port +
// 10000). `lodestone cluster start` checks them before it starts anything, so a port in use is
// reported by number instead of as a node that died; the tests and bench/cluster.ts pick free
// ranges with the same check.

import { readFileSync } from 'node:fs';
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

/** Where the kernel's ephemeral (outgoing connection) ports start: Linux's ip_local_port_range. */
function ephemeralLow(): number {
  try {
    return Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || 32768;
  } catch {
    return 32768;
  }
}

/**
 * A first port such that `count` consecutive ports and their bus ports are free. The bus ports stay
 * below the ephemeral range: there, a port free when checked can become the local end of some
 * outgoing connection (cluster bus links, clients) before the node binds it.
 */
export async function freePortRange(count: number, host = '127.0.0.1'): Promise<number> {
  const low = 10000;
  const span = ephemeralLow() - BUS_OFFSET - count - low;
  if (span <= 0) throw new Error(`no room for ${count} ports and their bus ports below the ephemeral port range`);
  for (let attempt = 0; attempt < 200; attempt++) {
    const base = low + Math.floor(Math.random() * span);
    if ((await portsInUse(host, Array.from({ length: count }, (_, i) => base + i))).length === 0) return base;
  }
  throw new Error(`no ${count} consecutive free ports (with bus ports) found`);
}
