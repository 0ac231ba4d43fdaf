// Which of Redis 7.0.15's commands Lodestone lacks: COMMAND LIST (commands and subcommands) of a
// real redis-server against Lodestone's. Every command must exist (none is left out any more:
// replication and cluster have landed); the failure message lists the missing ones. The commands
// only Lodestone has are listed too (a rename on either side shows up as a pair), and COMMAND COUNT
// must be Redis's 240 plus those.
import { describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/raw-client.js';
import { RespValue } from '../helpers/resp.js';
import { skipReason, startLodestone, startRedis } from '../helpers/servers.js';

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
      const missing = theirs.filter((n) => !mine.includes(n));
      expect(missing, `Redis 7.0.15 commands Lodestone lacks: ${missing.join(' ')}`).toEqual([]);
      const extra = mine.filter((n) => !theirs.includes(n));
      expect(extra).toEqual(LODESTONE_ONLY);
      // COMMAND COUNT counts top-level commands, like COMMAND LIST's entries without a '|'.
      expect(await a.call('COMMAND', 'COUNT')).toEqual({ t: 'int', v: String(mine.filter((n) => !n.includes('|')).length) });
      const redisCount = theirs.filter((n) => !n.includes('|')).length;
      expect(await b.call('COMMAND', 'COUNT')).toEqual({ t: 'int', v: String(redisCount) });
      expect(await a.call('COMMAND', 'COUNT')).toEqual({ t: 'int', v: String(redisCount + LODESTONE_ONLY.filter((n) => !n.includes('|')).length) });
    } finally {
      a.close();
      b.close();
      await Promise.all([ls.close(), rs.close()]);
    }
  });
});
