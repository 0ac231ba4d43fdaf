// ACL differential test against a real redis-server 7.0.15: ACL CAT of every category (for the
// commands both servers have), COMMAND INFO's categories per command, and — for a few hundred
// seeded random rule lists — that both servers accept or reject each ACL SETUSER with the same
// reply. Skips, with a reason, when redis-server is not installed.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LodestoneHandle, ProcessHandle, skipReason, startLodestone, startRedis } from '../helpers/servers.js';
import { RawClient } from '../helpers/raw-client.js';
import { show, type RespValue } from '../helpers/resp.js';
import { mulberry32 } from '../helpers/prng.js';
import { randomRules } from './acl-rules.js';

const skip = skipReason('ACL differential tests', 'redis-server');
const strs = (v: RespValue): string[] => (v as { v: RespValue[] }).v.map((x) => (x as { v: string }).v);

describe.skipIf(skip)('ACL vs redis-server', () => {
  let ls: LodestoneHandle;
  let rs: ProcessHandle;
  let l: RawClient;
  let r: RawClient;

  beforeAll(async () => {
    ls = await startLodestone();
    rs = await startRedis();
    l = await RawClient.connect(ls.port);
    r = await RawClient.connect(rs.port);
  });
  afterAll(async () => {
    l?.close();
    r?.close();
    await ls?.close();
    await rs?.close();
  });

  it('ACL CAT lists the same categories, and each the same commands (those both servers have)', async () => {
    const cats = strs(await r.call('ACL', 'CAT'));
    expect(strs(await l.call('ACL', 'CAT'))).toEqual(cats);
    const names = async (c: RawClient) => new Set(strs(await c.call('COMMAND', 'LIST')));
    const lsNames = await names(l);
    const rsNames = await names(r);
    const both = (n: string) => {
      const top = n.split('|')[0];
      return (lsNames.has(n) || lsNames.has(top)) && (rsNames.has(n) || rsNames.has(top));
    };
    for (const cat of cats) {
      const a = strs(await l.call('ACL', 'CAT', cat)).filter(both).sort();
      const b = strs(await r.call('ACL', 'CAT', cat)).filter(both);
      // Subcommands Lodestone does not implement are not in its table.
      const have = new Set(a);
      const bOurs = b.filter((n) => lsNames.has(n)).sort();
      const aOurs = a.filter((n) => rsNames.has(n));
      expect(aOurs, `@${cat}: only Lodestone ${aOurs.filter((n) => !bOurs.includes(n))}, only Redis ${bOurs.filter((n) => !have.has(n))}`).toEqual(bOurs);
    }
  });

  it('error texts of ACL subcommands match', async () => {
    const cases: string[][] = [
      ['ACL', 'GETUSER', 'nobody'],
      ['ACL', 'CAT', 'nope'],
      ['ACL', 'GENPASS', '0'],
      ['ACL', 'GENPASS', 'x'],
      ['ACL', 'DELUSER', 'default'],
      ['ACL', 'DRYRUN', 'nobody', 'get', 'x'],
      ['ACL', 'DRYRUN', 'default', 'nosuch'],
      ['ACL', 'SAVE'],
      ['ACL', 'LOAD'],
      ['ACL', 'SETUSER', 'x y'],
      ['ACL', 'SETUSER', 'u', '(~x'],
      ['ACL', 'NOSUCH'],
      ['ACL', 'LOG', 'x'],
      ['AUTH', 'nobody', 'x'],
      ['AUTH', 'onlypass'],
    ];
    for (const c of cases) expect(show(await l.call(...c)), c.join(' ')).toBe(show(await r.call(...c)));
  });

  it('random rule lists: both servers accept or reject alike, with the same error', async () => {
    const rnd = mulberry32(0x5eed);
    let agreed = 0;
    for (const rules of randomRules(rnd, 300)) {
      const a = await l.call('ACL', 'SETUSER', 'fz', ...rules);
      const b = await r.call('ACL', 'SETUSER', 'fz', ...rules);
      expect(show(a), JSON.stringify(rules)).toBe(show(b));
      if (a.t === 'status') {
        // Flags, passwords, keys and channels describe identically; command rules may list single
        // commands in a different order (Redis walks its hash table), so they are compared as sets.
        const [ga, gb] = [await l.call('ACL', 'GETUSER', 'fz'), await r.call('ACL', 'GETUSER', 'fz')];
        const pick = (v: RespValue) => {
          const o = (v as { v: RespValue[] }).v;
          return [o[1], o[3], o[7], o[9]].map(show).join('\n');
        };
        expect(pick(ga), JSON.stringify(rules)).toBe(pick(gb));
        agreed++;
      }
      await l.call('ACL', 'DELUSER', 'fz');
      await r.call('ACL', 'DELUSER', 'fz');
    }
    expect(agreed).toBeGreaterThan(30);
  });

  it('permission checks agree for a set of users and commands (ACL DRYRUN)', async () => {
    const users: string[][] = [
      ['on', 'nopass', '~k*', '+@read'],
      ['on', 'nopass', '%R~r*', '%W~w*', '+@all'],
      ['on', 'nopass', '~*', '+@all', '-@dangerous', '+config|get'],
      ['on', 'nopass', '&ch*', '+@pubsub'],
      ['on', 'nopass', '-@all', '+select|0', '(~x* +set)'],
    ];
    const cmds: string[][] = [
      ['get', 'k1'], ['get', 'r1'], ['get', 'w1'], ['set', 'k1', 'v'], ['set', 'w1', 'v'], ['set', 'x1', 'v'],
      ['lpush', 'w1', 'v'], ['del', 'r1'], ['copy', 'r1', 'w1'], ['config', 'get', 'x'], ['config', 'set', 'x', 'y'],
      ['keys', '*'], ['flushall'], ['publish', 'ch1', 'm'], ['publish', 'zz', 'm'], ['subscribe', 'ch1', 'zz'],
      ['psubscribe', 'ch*'], ['select', '0'], ['select', '1'], ['mget', 'k1', 'x1'], ['exists', 'w1'],
    ];
    for (let i = 0; i < users.length; i++) {
      await l.call('ACL', 'SETUSER', `d${i}`, ...users[i]);
      await r.call('ACL', 'SETUSER', `d${i}`, ...users[i]);
      for (const c of cmds) {
        const q = ['ACL', 'DRYRUN', `d${i}`, ...c];
        expect(show(await l.call(...q)), `${users[i].join(' ')} :: ${c.join(' ')}`).toBe(show(await r.call(...q)));
      }
    }
  });
});
