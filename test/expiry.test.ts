// Expiry and iteration behaviour Redis can't be diffed on because it depends on time passing or on
// interleaving: lazy and active expiry, TTL/PTTL arithmetic with millisecond precision, TTL carried
// or cleared by writes, and SCAN's guarantee under concurrent modification. Time is a FakeClock.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RawClient } from './helpers/raw-client.js';
import type { RespValue } from './helpers/resp.js';
import { FakeClock, LodestoneHandle, startLodestone } from './helpers/servers.js';
import type { Database } from '../src/keyspace/db.js';

const int = (n: number): RespValue => ({ t: 'int', v: String(n) });
const bulk = (s: string): RespValue => ({ t: 'bulk', v: s });
const nil: RespValue = { t: 'nullbulk' };
const ok: RespValue = { t: 'status', v: 'OK' };

/** A SCAN reply as [cursor, keys]. */
function scanReply(r: RespValue): { cursor: string; keys: string[] } {
  if (r.t !== 'array' || r.v.length !== 2) throw new Error(`unexpected SCAN reply ${JSON.stringify(r)}`);
  const [cur, items] = r.v;
  if (cur.t !== 'bulk' || items.t !== 'array') throw new Error(`unexpected SCAN reply ${JSON.stringify(r)}`);
  return { cursor: cur.v, keys: items.v.map((x) => (x as { v: string }).v) };
}

let ls: LodestoneHandle;
let clock: FakeClock;
let c: RawClient;
let db0: Database;

beforeAll(async () => {
  clock = new FakeClock(1_700_000_000_000);
  ls = await startLodestone({}, clock);
  db0 = ls.server.dbs[0];
});
afterAll(async () => {
  await ls.close();
});
beforeEach(async () => {
  for (const db of ls.server.dbs) db.clear();
  c?.close();
  c = await RawClient.connect(ls.port);
});

describe('lazy expiry', () => {
  it('a key disappears exactly when its millisecond TTL is reached', async () => {
    expect(await c.call('SET', 'k', 'v', 'PX', '1500')).toEqual(ok);
    clock.advance(1499);
    expect(await c.call('GET', 'k')).toEqual(bulk('v'));
    expect(await c.call('PTTL', 'k')).toEqual(int(1));
    clock.advance(1);
    expect(await c.call('GET', 'k')).toEqual(nil);
    expect(await c.call('EXISTS', 'k')).toEqual(int(0));
    expect(await c.call('TTL', 'k')).toEqual(int(-2));
    expect(db0.dict.has('k')).toBe(false);
    expect(db0.expires.has('k')).toBe(false);
  });

  it('every read and write path sees the key as gone', async () => {
    const cmds: [string[], RespValue][] = [
      [['GET', 'k'], nil],
      [['STRLEN', 'k'], int(0)],
      [['TYPE', 'k'], { t: 'status', v: 'none' }],
      [['EXISTS', 'k'], int(0)],
      [['PTTL', 'k'], int(-2)],
      [['EXPIRETIME', 'k'], int(-2)],
      [['PERSIST', 'k'], int(0)],
      [['EXPIRE', 'k', '100'], int(0)],
      [['SET', 'k', 'new', 'XX'], nil],
      [['SETNX', 'k', 'new'], int(1)],
      [['INCR', 'n'], int(1)],
      [['APPEND', 'a', 'x'], int(1)],
      [['RENAME', 'r', 'r2'], { t: 'error', v: 'ERR no such key' }],
      [['MOVE', 'm', '1'], int(0)],
      [['COPY', 'cp', 'cp2'], int(0)],
      [['GETEX', 'g', 'PERSIST'], nil],
      [['OBJECT', 'ENCODING', 'o'], nil],
      [['TOUCH', 't'], int(0)],
      [['DEL', 'd'], int(0)],
    ];
    for (const [cmd, want] of cmds) {
      for (const k of ['k', 'n', 'a', 'r', 'm', 'cp', 'g', 'o', 't', 'd']) {
        await c.call('SET', k, k === 'n' ? '41' : 'old', 'PX', '10');
      }
      clock.advance(10);
      expect(await c.call(...cmd), cmd.join(' ')).toEqual(want);
    }
  });

  it('KEYS, SCAN, RANDOMKEY and DBSIZE-like counts skip expired keys', async () => {
    await c.call('SET', 'live', 'v');
    for (let i = 0; i < 20; i++) await c.call('SET', `dead${i}`, 'v', 'PX', '5');
    clock.advance(5);
    expect(await c.call('KEYS', '*')).toEqual({ t: 'array', v: [bulk('live')] });
    expect(await c.call('SCAN', '0', 'COUNT', '100')).toEqual({ t: 'array', v: [bulk('0'), { t: 'array', v: [bulk('live')] }] });
    for (let i = 0; i < 5; i++) expect(await c.call('RANDOMKEY')).toEqual(bulk('live'));
  });

  it('RANDOMKEY reaches every key of a large keyspace, not only the first ones', async () => {
    // 5,000 keys by pipeline; 300 picks must be spread over the keyspace (a walk from the start of
    // the dict would only ever return the first ~64 keys), and nearly all distinct.
    await Promise.all(Array.from({ length: 5000 }, (_, i) => c.call('SET', `rk${i}`, 'v')));
    const seen = new Set<string>();
    let late = 0;
    for (let i = 0; i < 300; i++) {
      const r = await c.call('RANDOMKEY');
      const k = (r as { v: string }).v;
      seen.add(k);
      if (k.startsWith('rk') && Number(k.slice(2)) > 2500) late++;
    }
    expect(seen.size).toBeGreaterThan(250);
    expect(late).toBeGreaterThan(50);
  });
});

describe('active expiry', () => {
  it('activeExpireCycle removes due keys without any access', async () => {
    for (let i = 0; i < 500; i++) await c.call('SET', `k${i}`, 'v', 'PX', String(100 + (i % 2) * 100_000));
    await c.call('SET', 'forever', 'v');
    expect(db0.dict.size).toBe(501);
    const before = db0.expiredKeys;
    clock.advance(100);
    // The cron also runs on its own timer; drive it explicitly until the due half is gone.
    for (let i = 0; i < 50 && db0.dict.size > 251; i++) ls.server.activeExpireCycle();
    expect(db0.dict.size).toBe(251);
    expect(db0.expiredKeys - before).toBe(250);
    expect(db0.dict.has('forever')).toBe(true);
    expect(db0.expires.size).toBe(250);
    clock.advance(100_000);
    for (let i = 0; i < 50 && db0.dict.size > 1; i++) ls.server.activeExpireCycle();
    expect([...db0.dict.keys()]).toEqual(['forever']);
  });

  it('the server cron expires keys in every database', async () => {
    await c.call('SET', 'a', 'v', 'PX', '50');
    await c.call('SELECT', '3');
    await c.call('SET', 'b', 'v', 'PX', '50');
    clock.advance(50);
    ls.server.serverCron();
    expect(ls.server.dbs[0].dict.size).toBe(0);
    expect(ls.server.dbs[3].dict.size).toBe(0);
  });
});

describe('TTL arithmetic and TTL-preserving writes', () => {
  it('TTL rounds to the nearest second, PTTL and the *EXPIRETIME commands are exact', async () => {
    const now = clock.now();
    await c.call('SET', 'k', 'v', 'EX', '10');
    expect(await c.call('PTTL', 'k')).toEqual(int(10_000));
    expect(await c.call('TTL', 'k')).toEqual(int(10));
    expect(await c.call('PEXPIRETIME', 'k')).toEqual(int(now + 10_000));
    clock.advance(1_234);
    expect(await c.call('PTTL', 'k')).toEqual(int(8_766));
    expect(await c.call('TTL', 'k')).toEqual(int(9));
    clock.advance(266); // 8500 ms left: rounds up
    expect(await c.call('TTL', 'k')).toEqual(int(9));
    clock.advance(1); // 8499 ms left: rounds down
    expect(await c.call('TTL', 'k')).toEqual(int(8));
    await c.call('PEXPIREAT', 'k', String(now + 20_499));
    expect(await c.call('EXPIRETIME', 'k')).toEqual(int(Math.floor((now + 20_499 + 500) / 1000)));
    expect(await c.call('PEXPIRETIME', 'k')).toEqual(int(now + 20_499));
  });

  it('EXPIRE family options compare against the absolute expire time', async () => {
    await c.call('SET', 'k', 'v');
    expect(await c.call('PEXPIRE', 'k', '1000', 'GT')).toEqual(int(0));
    expect(await c.call('PEXPIRE', 'k', '1000', 'LT')).toEqual(int(1));
    clock.advance(10);
    // Same relative value, 10 ms later: a greater absolute time.
    expect(await c.call('PEXPIRE', 'k', '1000', 'LT')).toEqual(int(0));
    expect(await c.call('PEXPIRE', 'k', '1000', 'GT')).toEqual(int(1));
    expect(await c.call('PTTL', 'k')).toEqual(int(1000));
    expect(await c.call('PEXPIRE', 'k', '1000', 'GT')).toEqual(int(0));
  });

  it('SET clears the TTL unless KEEPTTL; in-place updates keep it', async () => {
    await c.call('SET', 'k', 'v', 'PX', '5000');
    await c.call('SET', 'k', 'w', 'KEEPTTL');
    expect(await c.call('PTTL', 'k')).toEqual(int(5000));
    await c.call('SET', 'k', 'x', 'KEEPTTL', 'GET', 'XX');
    expect(await c.call('PTTL', 'k')).toEqual(int(5000));
    for (const cmd of [
      ['INCR', 'n'],
      ['INCRBY', 'n', '5'],
      ['DECR', 'n'],
      ['INCRBYFLOAT', 'n', '1.5'],
      ['APPEND', 'n', '0'],
      ['SETRANGE', 'n', '0', '9'],
    ]) {
      await c.call('SET', 'n', '1', 'PX', '5000');
      await c.call(...cmd);
      expect(await c.call('PTTL', 'n'), cmd.join(' ')).toEqual(int(5000));
    }
    for (const cmd of [['SET', 'k', 'y'], ['GETSET', 'k', 'z'], ['MSET', 'k', 'm'], ['SETEX', 'k', '100', 'v'], ['PSETEX', 'k', '1', 'v']]) {
      await c.call('SET', 'k', 'v', 'PX', '5000');
      await c.call(...cmd);
      const want = cmd[0] === 'SETEX' ? 100_000 : cmd[0] === 'PSETEX' ? 1 : -1;
      expect(await c.call('PTTL', 'k'), cmd.join(' ')).toEqual(int(want));
    }
  });

  it('GETEX sets, replaces and removes TTLs; a past EXAT deletes', async () => {
    const now = clock.now();
    await c.call('SET', 'k', 'v');
    expect(await c.call('GETEX', 'k', 'PX', '2500')).toEqual(bulk('v'));
    expect(await c.call('PTTL', 'k')).toEqual(int(2500));
    expect(await c.call('GETEX', 'k', 'PXAT', String(now + 7777))).toEqual(bulk('v'));
    expect(await c.call('PTTL', 'k')).toEqual(int(7777));
    expect(await c.call('GETEX', 'k')).toEqual(bulk('v'));
    expect(await c.call('PTTL', 'k')).toEqual(int(7777));
    expect(await c.call('GETEX', 'k', 'PERSIST')).toEqual(bulk('v'));
    expect(await c.call('PTTL', 'k')).toEqual(int(-1));
    expect(await c.call('GETEX', 'k', 'PXAT', String(now))).toEqual(bulk('v'));
    expect(db0.dict.has('k')).toBe(false);
  });

  it('SET with a past EXAT/PXAT stores a key that is already expired', async () => {
    expect(await c.call('SET', 'k', 'v', 'PXAT', String(clock.now()))).toEqual(ok);
    expect(await c.call('GET', 'k')).toEqual(nil);
    expect(await c.call('SET', 'k', 'v', 'PXAT', String(clock.now() + 1))).toEqual(ok);
    expect(await c.call('GET', 'k')).toEqual(bulk('v'));
  });

  it('EXPIRE with a time not after now deletes at once, to the millisecond', async () => {
    await c.call('SET', 'k', 'v');
    expect(await c.call('PEXPIREAT', 'k', String(clock.now() + 1))).toEqual(int(1));
    expect(await c.call('EXISTS', 'k')).toEqual(int(1));
    expect(await c.call('PEXPIREAT', 'k', String(clock.now()))).toEqual(int(1));
    expect(db0.dict.has('k')).toBe(false);
  });

  it('RENAME, MOVE and COPY carry the absolute expire time', async () => {
    await c.call('SET', 'k', 'v', 'PX', '3000');
    clock.advance(1000);
    await c.call('RENAME', 'k', 'k2');
    expect(await c.call('PTTL', 'k2')).toEqual(int(2000));
    await c.call('COPY', 'k2', 'k3', 'DB', '1');
    await c.call('MOVE', 'k2', '2');
    clock.advance(500);
    await c.call('SELECT', '1');
    expect(await c.call('PTTL', 'k3')).toEqual(int(1500));
    await c.call('SELECT', '2');
    expect(await c.call('PTTL', 'k2')).toEqual(int(1500));
    clock.advance(1500);
    expect(await c.call('GET', 'k2')).toEqual(nil);
  });

  it('MOVE and COPY … DB signal the destination key as modified', async () => {
    const seen: string[] = [];
    const orig = ls.server.keyModified.bind(ls.server);
    ls.server.keyModified = (db, key) => {
      seen.push(`${db.id}:${key}`);
      orig(db, key);
    };
    try {
      await c.call('SET', 'k', 'v');
      await c.call('COPY', 'k', 'c', 'DB', '4');
      await c.call('MOVE', 'k', '5');
      expect(seen).toContain('4:c');
      expect(seen).toContain('5:k');
      expect(seen).toContain('0:k');
    } finally {
      ls.server.keyModified = orig;
    }
  });

  it('COPY makes an independent deep copy of containers', async () => {
    const { Deque } = await import('../src/keyspace/deque.js');
    const { SortedSet } = await import('../src/keyspace/zset.js');
    const z = new SortedSet();
    z.add('a', 1);
    db0.set('l', new Deque(['x']));
    db0.set('h', new Map([['f', 'v']]));
    db0.set('s', new Set(['m']));
    db0.set('z', z);
    for (const k of ['l', 'h', 's', 'z']) expect(await c.call('COPY', k, `${k}2`)).toEqual(int(1));
    (db0.dict.get('l2') as InstanceType<typeof Deque<string>>).push('y');
    (db0.dict.get('h2') as Map<string, string>).set('g', 'w');
    (db0.dict.get('s2') as Set<string>).add('n');
    (db0.dict.get('z2') as InstanceType<typeof SortedSet>).add('b', 2);
    expect((db0.dict.get('l') as InstanceType<typeof Deque<string>>).toArray()).toEqual(['x']);
    expect([...(db0.dict.get('h') as Map<string, string>).keys()]).toEqual(['f']);
    expect([...(db0.dict.get('s') as Set<string>)]).toEqual(['m']);
    expect((db0.dict.get('z') as InstanceType<typeof SortedSet>).size).toBe(1);
    expect((db0.dict.get('z2') as InstanceType<typeof SortedSet>).rank('b')).toBe(1);
  });
});

describe('SCAN under concurrent modification', () => {
  async function scanAll(
    client: RawClient,
    opts: { count?: number; onStep?: (step: number) => Promise<void> } = {},
  ): Promise<{ keys: string[]; calls: number }> {
    const keys: string[] = [];
    let cursor = '0';
    let calls = 0;
    do {
      const r = scanReply(await client.call('SCAN', cursor, 'COUNT', String(opts.count ?? 10)));
      cursor = r.cursor;
      keys.push(...r.keys);
      calls++;
      if (opts.onStep) await opts.onStep(calls);
    } while (cursor !== '0' && calls < 1_000_000);
    return { keys, calls };
  }

  it('returns every stable key while others are added and removed', async () => {
    const stable = Array.from({ length: 3000 }, (_, i) => `stable:${i}`);
    const volatile = Array.from({ length: 3000 }, (_, i) => `vol:${i}`);
    for (let i = 0; i < stable.length; i += 500) {
      await c.call('MSET', ...stable.slice(i, i + 500).flatMap((k) => [k, 'v']));
      await c.call('MSET', ...volatile.slice(i, i + 500).flatMap((k) => [k, 'v']));
    }
    const other = await RawClient.connect(ls.port);
    let added = 0;
    try {
      const { keys } = await scanAll(c, {
        count: 37,
        onStep: async (step) => {
          // Delete volatile keys all over the iteration order, add new ones, and delete-and-re-add
          // some (which moves them to the end of the Map's order).
          await other.call('DEL', volatile[(step * 7) % volatile.length], volatile[(step * 13 + 5) % volatile.length]);
          await other.call('SET', `new:${added++}`, 'v');
          if (step % 5 === 0) {
            const k = volatile[(step * 31) % volatile.length];
            await other.call('DEL', k);
            await other.call('SET', k, 'again');
          }
        },
      });
      const seen = new Set(keys);
      for (const k of stable) expect(seen.has(k), k).toBe(true);
      // Keys present throughout are returned exactly once.
      expect(keys.filter((k) => k.startsWith('stable:')).length).toBe(stable.length);
    } finally {
      other.close();
    }
  });

  it('survives the keyspace being flushed and refilled mid-iteration', async () => {
    for (let i = 0; i < 100; i++) await c.call('SET', `a${i}`, 'v');
    const { cursor } = scanReply(await c.call('SCAN', '0', 'COUNT', '10'));
    db0.clear();
    await c.call('MSET', 'x', '1', 'y', '2');
    const keys: string[] = [];
    let cur = cursor;
    do {
      const rr = scanReply(await c.call('SCAN', cur));
      cur = rr.cursor;
      keys.push(...rr.keys);
    } while (cur !== '0');
    expect(keys.sort()).toEqual(['x', 'y']);
  });

  it('many interleaved iterations, retried and unknown cursors all complete without missing keys', async () => {
    const all = Array.from({ length: 1000 }, (_, i) => `k${i}`);
    await c.call('MSET', ...all.flatMap((k) => [k, 'v']));
    // 50 iterations advanced in lockstep.
    const cursors = Array.from({ length: 50 }, () => '0');
    const seen = cursors.map(() => new Set<string>());
    const done = cursors.map(() => false);
    let started = false;
    while (!started || done.some((d) => !d)) {
      started = true;
      for (let i = 0; i < cursors.length; i++) {
        if (done[i]) continue;
        const r = scanReply(await c.call('SCAN', cursors[i], 'COUNT', '25'));
        for (const k of r.keys) seen[i].add(k);
        cursors[i] = r.cursor;
        if (cursors[i] === '0') done[i] = true;
      }
    }
    for (const s of seen) expect(s.size).toBe(all.length);
    // Retrying a cursor (a client resending after a timeout) or sending a made-up one restarts: duplicates, no misses.
    const first = scanReply(await c.call('SCAN', '0', 'COUNT', '100'));
    const c1 = first.cursor;
    await c.call('SCAN', c1, 'COUNT', '100');
    for (const start of [c1, '12345', '18446744073709551615']) {
      const keys = new Set(first.keys);
      let cur = start;
      do {
        const r = scanReply(await c.call('SCAN', cur, 'COUNT', '100'));
        for (const k of r.keys) keys.add(k);
        cur = r.cursor;
      } while (cur !== '0');
      expect(keys.size).toBe(all.length);
    }
  });

  it('a cursor from another database restarts in the current one', async () => {
    await c.call('MSET', ...Array.from({ length: 30 }, (_, i) => [`a${i}`, 'v']).flat());
    const r = scanReply(await c.call('SCAN', '0', 'COUNT', '5'));
    await c.call('SELECT', '1');
    await c.call('MSET', 'b1', 'v', 'b2', 'v');
    const keys: string[] = [];
    let cur = r.cursor;
    do {
      const rr = scanReply(await c.call('SCAN', cur));
      keys.push(...rr.keys);
      cur = rr.cursor;
    } while (cur !== '0');
    expect(keys.sort()).toEqual(['b1', 'b2']);
  });

  it('COUNT bounds the work per call and the last batch returns cursor 0', async () => {
    await c.call('MSET', ...Array.from({ length: 25 }, (_, i) => [`k${i}`, 'v']).flat());
    const sizes: number[] = [];
    let cur = '0';
    do {
      const r = scanReply(await c.call('SCAN', cur, 'COUNT', '10'));
      sizes.push(r.keys.length);
      cur = r.cursor;
    } while (cur !== '0');
    expect(sizes).toEqual([10, 10, 5]);
    const exact = scanReply(await c.call('SCAN', '0', 'COUNT', '25'));
    expect(exact.cursor).toBe('0');
    expect(exact.keys.length).toBe(25);
  });
});
