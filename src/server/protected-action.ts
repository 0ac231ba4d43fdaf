// Redis 7.0's protected actions (allowProtectedAction): enable-protected-configs, enable-debug-command
// and enable-module-command are `no` (never from a client), `yes`, or `local` — only from a
// connection whose peer is a loopback address (127.0.0.0/8, ::1, IPv4-mapped 127.x), as Redis's
// islocalClient. They are immutable at run time, so a client can never widen them.

import type { Client } from './client.js';
import type { Server } from './server.js';

/** Whether `client` may do what the protected-action parameter `param` guards. */
export function allowProtectedAction(server: Server, client: Client, param: string): boolean {
  const v = server.config.getString(param);
  if (v === 'yes') return true;
  return v === 'local' && isLocalClient(client);
}

/** Redis's islocalClient: the peer is a loopback address; the server's own internal client is local. */
export function isLocalClient(client: Client): boolean {
  if (!client.socket) return true;
  return isLoopbackAddress(client.socket.remoteAddress ?? '');
}

export function isLoopbackAddress(ip: string): boolean {
  if (ip.startsWith('::ffff:')) ip = ip.slice(7);
  return ip.startsWith('127.') || ip === '::1';
}
