// Waiting for server state that settles asynchronously (socket events, closes), and reading INFO.
// Tests poll a condition with a generous deadline instead of asserting on timing.

import type { RawClient } from './raw-client.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until fn() is true; throws naming `what` after `ms`. */
export async function until(fn: () => boolean | Promise<boolean>, ms = 2000, what = 'condition'): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`${what} not reached`);
    await sleep(5);
  }
}

/** INFO text → field map. */
export function infoFields(s: string): Record<string, string> {
  const o: Record<string, string> = {};
  for (const line of s.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) o[line.slice(0, i)] = line.slice(i + 1);
  }
  return o;
}

/** INFO [section] over a raw client, as a field map. */
export async function info(c: RawClient, section = 'default'): Promise<Record<string, string>> {
  const r = await c.call('INFO', section);
  if (r.t !== 'bulk' && r.t !== 'verbatim') throw new Error(`INFO replied ${JSON.stringify(r)}`);
  return infoFields(r.v);
}
