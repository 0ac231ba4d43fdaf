// Blocking list commands over real sockets: BLPOP/BRPOP/BLMOVE/BRPOPLPUSH waiting and being served
// by other clients' writes, timeouts, FIFO fairness, multi-key waits, MULTI/EXEC and internal
// clients (never block), disconnect cleanup, and what the write observers (persistence) see.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RawClient } from './helpers/raw-client.js';
import { LodestoneHandle, startLodestone } from './helpers/servers.js';
import { Client } from '../src/server/client.js';
import type { RespValue } from './helpers/resp.js';
import { encodeCommand } from './helpers/resp.js';

let ls: LodestoneHandle;
const clients: RawClient[] = [];

beforeAll(async () => {
  ls = await startLodestone();
});
afterAll(async () => {
  for (const c of clients) c.close();
  await ls.close();
});
beforeEach(() => {
  for (const db of ls.server.dbs) db.clear();
});

async function connect(): Promise<RawClient> {
  const c = await RawClient.connect(ls.port);
  clients.push(c);
  return c;
}

/** Send a command without waiting for its reply; the returned promise resolves with it. */
function send(c: RawClient, ...args: string[]): Promise<RespValue> {
  c.socket.write(encodeCommand(args));
  return c.read(10_000);
}

/** Wait until the server has `n` clients blocked on key (db 0). */
async function waitersOn(key: string, n: number, db = 0): Promise<void> {
  const end = Date.now() + 2000;
  while (ls.server.blocking.waiters(db, key) !== n) {
    if (Date.now() > end) throw new Error(`expected ${n} waiters on ${key}, have ${ls.server.blocking.waiters(db, key)}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

const bulk = (v: string): RespValue => ({ t: 'bulk', v });
const arr = (...v: string[]): RespValue => ({ t: 'array', v: v.map(bulk) });

describe('blocking list commands', () => {
  it('BLPOP is served by a later LPUSH from another client', async () => {
    const a = await connect();
    const b = await connect();
    const pending = send(a, 'BLPOP', 'q', '0');
    await waitersOn('q', 1);
    expect(await b.call('LPUSH', 'q', 'hello')).toEqual({ t: 'int', v: '1' });
    expect(await pending).toEqual(arr('q', 'hello'));
    // The element was consumed and the empty list deleted.
    expect(await b.call('LLEN', 'q')).toEqual({ t: 'int', v: '0' });
    expect(ls.server.dbs[0].has('q')).toBe(false);
    expect(ls.server.blocking.count).toBe(0);
  });

  it('BRPOP pops from the tail; an RPUSH of several elements serves one and leaves the rest', async () => {
    const a = await connect();
    const b = await connect();
    const pending = send(a, 'BRPOP', 'q', '5');
    await waitersOn('q', 1);
    await b.call('RPUSH', 'q', 'x', 'y', 'z');
    expect(await pending).toEqual(arr('q', 'z'));
    expect(await b.call('LRANGE', 'q', '0', '-1')).toEqual(arr('x', 'y'));
  });

  it('times out with a null array after roughly the timeout', async () => {
    const a = await connect();
    const t0 = Date.now();
    const r = await send(a, 'BLPOP', 'nothing', '0.2');
    const took = Date.now() - t0;
    expect(r).toEqual({ t: 'nullarray' });
    expect(took).toBeGreaterThanOrEqual(190);
    expect(took).toBeLessThan(2000);
    expect(ls.server.blocking.waiters(0, 'nothing')).toBe(0);
    // BLMOVE's timeout reply is a null array too (not a null bulk), like Redis.
    expect(await send(a, 'BLMOVE', 'nothing', 'd', 'LEFT', 'LEFT', '0.05')).toEqual({ t: 'nullarray' });
    expect(await send(a, 'BRPOPLPUSH', 'nothing', 'd', '0.05')).toEqual({ t: 'nullarray' });
    // RESP3: the null type.
    await a.call('HELLO', '3');
    expect(await send(a, 'BRPOP', 'nothing', '0.05')).toEqual({ t: 'null' });
  });

  it('serves waiters on the same key in FIFO order', async () => {
    const a = await connect();
    const b = await connect();
    const c = await connect();
    const first = send(a, 'BLPOP', 'q', '0');
    await waitersOn('q', 1);
    const second = send(b, 'BLPOP', 'q', '0');
    await waitersOn('q', 2);
    await c.call('RPUSH', 'q', 'one');
    expect(await first).toEqual(arr('q', 'one'));
    await waitersOn('q', 1);
    await c.call('RPUSH', 'q', 'two', 'three');
    expect(await second).toEqual(arr('q', 'two'));
    expect(await c.call('LRANGE', 'q', '0', '-1')).toEqual(arr('three'));
  });

  it('one push of several elements serves several waiters, oldest first', async () => {
    const ws = [await connect(), await connect(), await connect()];
    const feeder = await connect();
    const replies: Promise<RespValue>[] = [];
    for (let i = 0; i < ws.length; i++) {
      replies.push(send(ws[i], 'BLPOP', 'q', '0'));
      await waitersOn('q', i + 1);
    }
    await feeder.call('RPUSH', 'q', 'e1', 'e2', 'e3', 'e4');
    expect(await Promise.all(replies)).toEqual([arr('q', 'e1'), arr('q', 'e2'), arr('q', 'e3')]);
    expect(await feeder.call('LRANGE', 'q', '0', '-1')).toEqual(arr('e4'));
  });

  it('a client blocked on several keys is served by the first that gets data, and only once', async () => {
    const a = await connect();
    const b = await connect();
    const pending = send(a, 'BLPOP', 'k1', 'k2', 'k3', '0');
    await waitersOn('k2', 1);
    await b.call('RPUSH', 'k3', 'from-k3');
    expect(await pending).toEqual(arr('k3', 'from-k3'));
    for (const k of ['k1', 'k2', 'k3']) expect(ls.server.blocking.waiters(0, k)).toBe(0);
    await b.call('RPUSH', 'k1', 'stays');
    expect(await b.call('LRANGE', 'k1', '0', '-1')).toEqual(arr('stays'));
  });

  it('BLMOVE waits, then moves the element and returns it', async () => {
    const a = await connect();
    const b = await connect();
    await b.call('RPUSH', 'dst', 'old');
    const pending = send(a, 'BLMOVE', 'src', 'dst', 'RIGHT', 'LEFT', '0');
    await waitersOn('src', 1);
    await b.call('RPUSH', 'src', 'p', 'q');
    expect(await pending).toEqual(bulk('q'));
    expect(await b.call('LRANGE', 'src', '0', '-1')).toEqual(arr('p'));
    expect(await b.call('LRANGE', 'dst', '0', '-1')).toEqual(arr('q', 'old'));
  });

  it('BRPOPLPUSH into a key another client waits on wakes that client too', async () => {
    const a = await connect();
    const b = await connect();
    const c = await connect();
    const mover = send(a, 'BRPOPLPUSH', 'src', 'mid', '0');
    await waitersOn('src', 1);
    const popper = send(b, 'BLPOP', 'mid', '0');
    await waitersOn('mid', 1);
    await c.call('LPUSH', 'src', 'item');
    expect(await mover).toEqual(bulk('item'));
    expect(await popper).toEqual(arr('mid', 'item'));
    expect(ls.server.dbs[0].has('mid')).toBe(false);
  });

  it('a BLMOVE waiter whose destination holds another type gets WRONGTYPE', async () => {
    const a = await connect();
    const b = await connect();
    await b.call('ZADD', 'dst', '1', 'm');
    const pending = send(a, 'BLMOVE', 'src', 'dst', 'LEFT', 'LEFT', '0');
    await waitersOn('src', 1);
    await b.call('RPUSH', 'src', 'v');
    expect(await pending).toEqual({ t: 'error', v: 'WRONGTYPE Operation against a key holding the wrong kind of value' });
    expect(await b.call('LRANGE', 'src', '0', '-1')).toEqual(arr('v'));
  });

  it('a waiter ignores a key that becomes another type, and keeps waiting', async () => {
    const a = await connect();
    const b = await connect();
    const pending = send(a, 'BLPOP', 'k', '0');
    await waitersOn('k', 1);
    await b.call('ZADD', 'k', '1', 'm');
    await new Promise((r) => setTimeout(r, 30));
    expect(ls.server.blocking.waiters(0, 'k')).toBe(1);
    await b.call('ZREM', 'k', 'm');
    await b.call('RPUSH', 'k', 'now');
    expect(await pending).toEqual(arr('k', 'now'));
  });

  it('a blocked client does not delay other clients', async () => {
    const a = await connect();
    const b = await connect();
    const pending = send(a, 'BLPOP', 'never', '0');
    await waitersOn('never', 1);
    const t0 = Date.now();
    for (let i = 0; i < 50; i++) expect(await b.call('RPUSH', 'other', String(i))).toEqual({ t: 'int', v: String(i + 1) });
    expect(await b.call('PING')).toEqual({ t: 'status', v: 'PONG' });
    expect(Date.now() - t0).toBeLessThan(2000);
    await b.call('RPUSH', 'never', 'done');
    expect(await pending).toEqual(arr('never', 'done'));
  });

  it('commands pipelined behind a blocking command run after it is served', async () => {
    const a = await connect();
    const b = await connect();
    a.writeRaw(Buffer.concat([encodeCommand(['BLPOP', 'q', '0']), encodeCommand(['LLEN', 'q']), encodeCommand(['PING'])]));
    await waitersOn('q', 1);
    await b.call('RPUSH', 'q', 'a', 'b');
    expect(await a.read()).toEqual(arr('q', 'a'));
    expect(await a.read()).toEqual({ t: 'int', v: '1' });
    expect(await a.read()).toEqual({ t: 'status', v: 'PONG' });
  });

  it('BLPOP inside MULTI does not block: EXEC answers at once (null array / null bulk, or the data)', async () => {
    const a = await connect();
    await a.call('MULTI');
    await a.call('BLPOP', 'empty', '0');
    await a.call('BLMOVE', 'empty', 'd', 'LEFT', 'LEFT', '0');
    await a.call('RPUSH', 'full', 'x');
    await a.call('BRPOP', 'full', '0');
    const t0 = Date.now();
    expect(await a.call('EXEC')).toEqual({
      t: 'array',
      v: [{ t: 'nullarray' }, { t: 'nullbulk' }, { t: 'int', v: '1' }, arr('full', 'x')],
    });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(ls.server.blocking.count).toBe(0);
  });

  it('never blocks a client whose commands run inside EXEC or a function call (inExec)', async () => {
    const a = await connect();
    const srvClient = [...ls.server.clients.values()].at(-1)!;
    srvClient.inExec = true;
    try {
      expect(await a.call('BLPOP', 'empty', '0')).toEqual({ t: 'nullarray' });
      expect(await a.call('BRPOPLPUSH', 'empty', 'd', '0')).toEqual({ t: 'nullbulk' });
    } finally {
      srvClient.inExec = false;
    }
  });

  it('never blocks an internal client (no socket)', () => {
    const internal = new Client(ls.server, null, 9999);
    expect(ls.server.execute(internal, ['BLPOP', 'empty', '0'])).toBeTypeOf('symbol');
    expect(ls.server.blocking.count).toBe(0);
    expect(ls.server.execute(internal, ['BLMOVE', 'empty', 'd', 'LEFT', 'LEFT', '0'])).toBeNull();
    ls.server.execute(internal, ['RPUSH', 'l', 'v']);
    expect(ls.server.execute(internal, ['BLPOP', 'l', '0'])).toEqual(['l', 'v']);
  });

  it('cleans up a client that disconnects while blocked', async () => {
    const a = await connect();
    const b = await connect();
    void send(a, 'BLPOP', 'q', 'q2', '0').catch(() => {});
    await waitersOn('q', 1);
    expect(ls.server.blocking.count).toBe(1);
    a.close();
    await waitersOn('q', 0);
    expect(ls.server.blocking.waiters(0, 'q2')).toBe(0);
    expect(ls.server.blocking.count).toBe(0);
    // Nobody takes the element any more.
    await b.call('RPUSH', 'q', 'kept');
    expect(await b.call('LRANGE', 'q', '0', '-1')).toEqual(arr('kept'));
  });

  it('a timeout beyond setTimeout’s range does not fire early', async () => {
    const a = await connect();
    const b = await connect();
    const pending = send(a, 'BLPOP', 'q', '3000000'); // 3e9 ms > 2^31 - 1
    await waitersOn('q', 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(ls.server.blocking.waiters(0, 'q')).toBe(1);
    await b.call('RPUSH', 'q', 'v');
    expect(await pending).toEqual(arr('q', 'v'));
  });

  it('records what really happened for the write observers (LPOP / LMOVE, not the blocking form)', async () => {
    const seen: string[][] = [];
    const stop = ls.server.observeWrites((events) => {
      for (const e of events) seen.push([e.cmd.fullName, ...e.args]);
    });
    try {
      const a = await connect();
      const b = await connect();
      const p1 = send(a, 'BLPOP', 'x', 'q', '0');
      await waitersOn('q', 1);
      await b.call('RPUSH', 'q', 'v1');
      await p1;
      const p2 = send(a, 'BLMOVE', 's', 'd', 'LEFT', 'RIGHT', '0');
      await waitersOn('s', 1);
      await b.call('RPUSH', 's', 'v2');
      await p2;
      const p3 = send(a, 'BRPOPLPUSH', 's2', 'd', '0');
      await waitersOn('s2', 1);
      await b.call('RPUSH', 's2', 'v3');
      await p3;
      // Served at once: the same rewriting.
      await b.call('RPUSH', 'now', 'a', 'b', 'c');
      await a.call('BRPOP', 'none', 'now', '0');
      await a.call('BLMOVE', 'now', 'd', 'RIGHT', 'LEFT', '0');
      await a.call('BRPOPLPUSH', 'now', 'd', '0');
      await a.call('BLPOP', 'none', '0.01'); // times out: nothing recorded
      expect(seen).toEqual([
        ['rpush', 'RPUSH', 'q', 'v1'],
        ['lpop', 'LPOP', 'q'],
        ['rpush', 'RPUSH', 's', 'v2'],
        ['lmove', 'LMOVE', 's', 'd', 'LEFT', 'RIGHT'],
        ['rpush', 'RPUSH', 's2', 'v3'],
        ['rpoplpush', 'RPOPLPUSH', 's2', 'd'],
        ['rpush', 'RPUSH', 'now', 'a', 'b', 'c'],
        ['rpop', 'RPOP', 'now'],
        ['lmove', 'LMOVE', 'now', 'd', 'RIGHT', 'LEFT'],
        ['rpoplpush', 'RPOPLPUSH', 'now', 'd'],
      ]);
    } finally {
      stop();
    }
  });

  it('BLMPOP waits and pops up to COUNT from the first list that gets data', async () => {
    const a = await connect();
    const b = await connect();
    const pending = send(a, 'BLMPOP', '0', '2', 'k1', 'k2', 'RIGHT', 'COUNT', '2');
    await waitersOn('k2', 1);
    await b.call('RPUSH', 'k2', 'x', 'y', 'z');
    expect(await pending).toEqual({ t: 'array', v: [bulk('k2'), arr('z', 'y')] });
    expect(await b.call('LRANGE', 'k2', '0', '-1')).toEqual(arr('x'));
    expect(await send(a, 'BLMPOP', '0.05', '1', 'none', 'LEFT')).toEqual({ t: 'nullarray' });
  });

  it('BZPOPMIN / BZPOPMAX / BZMPOP wait for ZADD', async () => {
    const a = await connect();
    const b = await connect();
    const p1 = send(a, 'BZPOPMIN', 'z1', 'z2', '0');
    await waitersOn('z2', 1);
    await b.call('ZADD', 'z2', '5', 'five', '1', 'one');
    expect(await p1).toEqual(arr('z2', 'one', '1'));
    const p2 = send(a, 'BZPOPMAX', 'z3', '0');
    await waitersOn('z3', 1);
    await b.call('ZADD', 'z3', '1.5', 'x', '2.5', 'y');
    expect(await p2).toEqual(arr('z3', 'y', '2.5'));
    const p3 = send(a, 'BZMPOP', '0', '1', 'z4', 'MIN', 'COUNT', '2');
    await waitersOn('z4', 1);
    await b.call('ZADD', 'z4', '3', 'c', '1', 'a', '2', 'b');
    expect(await p3).toEqual({ t: 'array', v: [bulk('z4'), { t: 'array', v: [arr('a', '1'), arr('b', '2')] }] });
    expect(await send(a, 'BZPOPMIN', 'none', '0.05')).toEqual({ t: 'nullarray' });
    // A waiter on a sorted set ignores a list pushed to that key.
    const p4 = send(a, 'BZPOPMIN', 'k', '0');
    await waitersOn('k', 1);
    await b.call('RPUSH', 'k', 'v');
    await new Promise((r) => setTimeout(r, 20));
    expect(ls.server.blocking.waiters(0, 'k')).toBe(1);
    await b.call('LPOP', 'k');
    await b.call('ZADD', 'k', '7', 'm');
    expect(await p4).toEqual(arr('k', 'm', '7'));
  });

  it('records ZPOPMIN / LPOP with counts for the blocking multi-pop commands', async () => {
    const seen: string[][] = [];
    const stop = ls.server.observeWrites((events) => {
      for (const e of events) seen.push(e.args);
    });
    try {
      const a = await connect();
      const b = await connect();
      const p1 = send(a, 'BZPOPMAX', 'z', '0');
      await waitersOn('z', 1);
      await b.call('ZADD', 'z', '1', 'm');
      await p1;
      const p2 = send(a, 'BLMPOP', '0', '1', 'l', 'LEFT', 'COUNT', '5');
      await waitersOn('l', 1);
      await b.call('RPUSH', 'l', 'a', 'b');
      await p2;
      await b.call('ZADD', 'z', '1', 'a', '2', 'b');
      await a.call('ZMPOP', '1', 'z', 'MIN', 'COUNT', '3');
      expect(seen).toEqual([
        ['ZADD', 'z', '1', 'm'],
        ['ZPOPMAX', 'z'],
        ['RPUSH', 'l', 'a', 'b'],
        ['LPOP', 'l', '2'],
        ['ZADD', 'z', '1', 'a', '2', 'b'],
        ['ZPOPMIN', 'z', '2'],
      ]);
    } finally {
      stop();
    }
  });
});
