// Which of Redis 7.0.15's commands Lodestone lacks: COMMAND LIST (commands and subcommands) of a
// real redis-server against Lodestone's, less the families Lodestone leaves out on purpose —
// replication (REPLICAOF, SLAVEOF, SYNC, PSYNC, REPLCONF, WAIT, FAILOVER) — and the ones being built elsewhere right now (GEO*, client-side
// caching: CLIENT TRACKING / TRACKINGINFO / CACHING, sharded pub/sub: SSUBSCRIBE / SUNSUBSCRIBE /
// SPUBLISH). Every other command must exist; the failure message lists the missing ones. The
// commands only Lodestone has are listed too (a rename on either side shows up as a pair).
import { describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/raw-client.js';
import { RespValue } from '../helpers/resp.js';
import { skipReason, startLodestone, startRedis } from '../helpers/servers.js';

const LEFT_OUT = new Set([
  'replicaof', 'slaveof', 'sync', 'psync', 'replconf', 'wait', 'failover',
  'client|tracking', 'client|trackinginfo', 'client|caching',
  'ssubscribe', 'sunsubscribe', 'spublish',
]);
const leftOut = (name: string): boolean => LEFT_OUT.has(name) || LEFT_OUT.has(name.split('|')[0]) || name.startsWith('geo');

/** Lodestone's own commands and subcommands (Redis 7.2's CLIENT SETINFO / NO-TOUCH, WASM.*). */
const LODESTONE_ONLY = ['client|no-touch', 'client|setinfo', 'wasm.call', 'wasm.call_ro', 'wasm.info', 'wasm.list', 'wasm.load', 'wasm.stats', 'wasm.unload'];

const names = (v: RespValue): string[] => (v as { v: { v: string }[] }).v.map((x) => x.v).sort();

describe.skipIf(skipReason('command coverage test', 'redis-server'))('COMMAND LIST coverage vs redis-server 7.0.15', () => {
  it('has every Redis command and subcommand outside the left-out families', async () => {
    const [ls, rs] = await Promise.all([startLodestone(), startRedis()]);
    const a = await RawClient.connect(ls.port);
    const b = await RawClient.connect(rs.port);
    try {
      const mine = names(await a.call('COMMAND', 'LIST'));
      const theirs = names(await b.call('COMMAND', 'LIST'));
      expect(theirs.length).toBeGreaterThan(300);
      const missing = theirs.filter((n) => !mine.includes(n) && !leftOut(n));
      expect(missing, `Redis 7.0.15 commands Lodestone lacks: ${missing.join(' ')}`).toEqual([]);
      const extra = mine.filter((n) => !theirs.includes(n) && !leftOut(n));
      expect(extra).toEqual(LODESTONE_ONLY);
      // COMMAND COUNT counts top-level commands, like COMMAND LIST's entries without a '|'.
      expect(await a.call('COMMAND', 'COUNT')).toEqual({ t: 'int', v: String(mine.filter((n) => !n.includes('|')).length) });
    } finally {
      a.close();
      b.close();
      await Promise.all([ls.close(), rs.close()]);
    }
  });
});
