// Transactions over real sockets with two ioredis clients: WATCH invalidation by another
// connection's write, by expiry (FakeClock: lazy at EXEC, and by the active expiry cycle), by
// FLUSHALL / FLUSHDB / SWAPDB; ioredis's multi().exec() API; EXEC atomicity against other clients;
// WATCH bookkeeping on disconnect. Behaviour that can be compared with redis-server is in
// test/diff/transactions.test.ts.
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from './helpers/raw-client.js';
import { FakeClock, LodestoneHandle, startLodestone } from './helpers/servers.js';

let ls: LodestoneHandle;
const clock = new FakeClock();
const clients: Redis[] = [];

function client(): Redis {
  const c = new Redis({
    port: ls.port,
    host: '127.0.0.1',
    enableReadyCheck: false,
    disableClientInfo: true,
    maxRetriesPerRequest: 0,
    lazyConnect: false,
  });
  clients.push(c);
  return c;
}

beforeAll(async () => {
  ls = await startLodestone({}, clock);
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  for (const db of ls.server.dbs) db.clear();
});
afterAll(async () => {
  await ls.close();
});

describe('transactions with ioredis', () => {
  it('multi().exec() returns [error, result] pairs, runtime errors included', async () => {
    const r = client();
    const res = await r.multi().set('a', '1').incr('a').get('a').lpush('a', 'x').set('b', 'B').exec();
    expect(res).not.toBeNull();
    expect(res!.map(([e]) => e?.message ?? null)).toEqual([
      null,
      null,
      null,
      'WRONGTYPE Operation against a key holding the wrong kind of value',
      null,
    ]);
    expect(res!.map(([, v]) => v)).toEqual(['OK', 2, '2', undefined, 'OK']);
    expect(await r.get('b')).toBe('B');
  });

  it('a queueing error makes exec() reject with EXECABORT and nothing runs', async () => {
    const r = client();
    await r.set('k', 'before');
    const p = r.multi().set('k', 'after').call('NOSUCHCOMMAND', 'x').exec();
    await expect(p).rejects.toThrow(/EXECABORT Transaction discarded because of previous errors/);
    expect(await r.get('k')).toBe('before');
  });

  it('WATCH is invalidated by a write on another connection', async () => {
    const a = client();
    const b = client();
    await a.set('balance', '10');
    await a.watch('balance');
    const v = Number(await a.get('balance'));
    await b.incrby('balance', 5); // concurrent writer
    const res = await a.multi().set('balance', String(v - 3)).exec();
    expect(res).toBeNull();
    expect(await a.get('balance')).toBe('15');
    // the failed EXEC unwatched: the retry goes through
    await a.watch('balance');
    const v2 = Number(await a.get('balance'));
    const res2 = await a.multi().set('balance', String(v2 - 3)).exec();
    expect(res2).toEqual([[null, 'OK']]);
    expect(await b.get('balance')).toBe('12');
  });

  it('writes by other clients to unrelated keys, other dbs, or reads do not invalidate', async () => {
    const a = client();
    const b = client();
    await a.watch('w1', 'w2');
    await b.set('unrelated', '1');
    await b.get('w1');
    await b.select(1);
    await b.set('w1', 'db1');
    await b.del('w2'); // deleting a missing key is no modification
    const res = await a.multi().ping().exec();
    expect(res).toEqual([[null, 'PONG']]);
  });

  it('every kind of write invalidates: DEL, EXPIRE, HSET, LPUSH on a watched key', async () => {
    const a = client();
    const b = client();
    const writes: [string, (string | number)[]][] = [
      ['DEL', ['k']],
      ['EXPIRE', ['k', 100]],
      ['HSET', ['h', 'f', 'v']],
      ['LPUSH', ['l', 'x']],
      ['APPEND', ['k', 'x']],
      ['RENAME', ['k', 'k2']],
    ];
    for (const [cmd, args] of writes) {
      await b.set('k', 'v');
      const key = String(args[0]);
      await a.watch(key);
      await b.call(cmd, ...args);
      const res = await a.multi().ping().exec();
      expect(res, `${cmd} should invalidate WATCH ${key}`).toBeNull();
      await b.del('k', 'k2', 'h', 'l');
    }
  });

  it('RENAME invalidates a WATCH on the destination key', async () => {
    const a = client();
    const b = client();
    await b.set('src', '1');
    await a.watch('dst');
    await b.rename('src', 'dst');
    expect(await a.multi().ping().exec()).toBeNull();
  });

  it('a watched key whose TTL passes before EXEC invalidates it (lazy check at EXEC)', async () => {
    const a = client();
    const b = client();
    await b.set('t', 'v', 'PX', 100);
    await a.watch('t');
    clock.advance(150); // nobody touches the key: it is only logically expired
    expect(ls.server.dbs[0].dict.has('t')).toBe(true);
    const res = await a.multi().ping().exec();
    expect(res).toBeNull();
    expect(ls.server.dbs[0].dict.has('t')).toBe(false);
  });

  it('a watched key removed by the active expiry cycle invalidates it', async () => {
    const a = client();
    const b = client();
    await b.set('t', 'v', 'PX', 100);
    await a.watch('t');
    clock.advance(150);
    ls.server.activeExpireCycle();
    expect(ls.server.dbs[0].dict.has('t')).toBe(false);
    expect(await a.multi().ping().exec()).toBeNull();
  });

  it('a key still alive at EXEC does not invalidate', async () => {
    const a = client();
    const b = client();
    await b.set('t', 'v', 'PX', 1000);
    await a.watch('t');
    clock.advance(500);
    expect(await a.multi().get('t').exec()).toEqual([[null, 'v']]);
  });

  it('a key already expired when WATCHed is just a missing key (Redis 7.0: wk->expired)', async () => {
    const a = client();
    const b = client();
    await b.set('t', 'v', 'PX', 10);
    clock.advance(50);
    await a.watch('t');
    await b.get('t'); // lazy deletion of the already-expired key is not a change
    ls.server.activeExpireCycle();
    expect(await a.multi().ping().exec()).toEqual([[null, 'PONG']]);
    // but re-creating it is
    await a.watch('t');
    await b.set('t', 'again');
    expect(await a.multi().ping().exec()).toBeNull();
  });

  it('works with real time too: PX 30, wait, EXEC fails', async () => {
    // The FakeClock drives the keyspace; move it along with real time for this one.
    const a = client();
    const b = client();
    await b.set('rt', 'v', 'PX', 30);
    await a.watch('rt');
    await new Promise((r) => setTimeout(r, 50));
    clock.advance(50);
    expect(await a.multi().ping().exec()).toBeNull();
  });

  it('FLUSHALL and FLUSHDB invalidate watchers of existing keys', async () => {
    const a = client();
    const b = client();
    await a.watch('missing');
    await b.set('other', '1');
    await b.flushall();
    expect(await a.multi().ping().exec()).toEqual([[null, 'PONG']]);

    await b.set('f', '1');
    await a.watch('f');
    await b.flushall();
    expect(await a.multi().ping().exec()).toBeNull();

    await b.set('f', '1');
    await a.watch('f');
    await b.flushdb();
    expect(await a.multi().ping().exec()).toBeNull();
  });

  it('SWAPDB invalidates watchers of the swapped databases', async () => {
    const a = client();
    const b = client();
    await b.set('s', '1');
    await a.watch('s');
    await b.swapdb(0, 1);
    expect(await a.multi().ping().exec()).toBeNull();
  });

  it('EXEC runs atomically: another client never sees a partial transaction', async () => {
    const a = client();
    const b = client();
    const raw = await RawClient.connect(ls.port);
    // One write carrying the whole transaction and a concurrent reader on another connection.
    const cmds = ['MULTI', ...Array.from({ length: 200 }, (_, i) => `INCR counter${i % 2}`), 'EXEC', ''].join('\r\n');
    raw.writeRaw(cmds);
    const seen = await Promise.all(Array.from({ length: 20 }, () => b.mget('counter0', 'counter1')));
    for (const [c0, c1] of seen) expect(c0).toBe(c1);
    await new Promise((r) => setTimeout(r, 50));
    expect(await a.mget('counter0', 'counter1')).toEqual(['100', '100']);
    raw.close();
  });

  it('blocking commands inside EXEC do not block', async () => {
    const a = client();
    const res = await a.multi().blpop('empty', 0).rpush('l', 'x').brpop('l', 0).exec();
    expect(res).toEqual([
      [null, null],
      [null, 1],
      [null, ['l', 'x']],
    ]);
  });

  it('MULTI state and WATCHes are dropped when a client disconnects or RESETs', async () => {
    const a = client();
    await a.watch('x', 'y');
    expect(ls.server.watchers[0].get('x')?.size).toBe(1);
    a.disconnect();
    await new Promise((r) => setTimeout(r, 50));
    expect(ls.server.watchers[0].has('x')).toBe(false);
    expect(ls.server.watchers[0].has('y')).toBe(false);

    const c = await RawClient.connect(ls.port);
    expect(await c.call('WATCH', 'z')).toEqual({ t: 'status', v: 'OK' });
    expect(await c.call('MULTI')).toEqual({ t: 'status', v: 'OK' });
    expect(await c.call('SET', 'z', '1')).toEqual({ t: 'status', v: 'QUEUED' });
    expect(await c.call('RESET')).toEqual({ t: 'status', v: 'RESET' });
    expect(ls.server.watchers[0].has('z')).toBe(false);
    expect(await c.call('EXEC')).toEqual({ t: 'error', v: 'ERR EXEC without MULTI' });
    expect(await c.call('GET', 'z')).toEqual({ t: 'nullbulk' });
    c.close();
  });

  it('CLIENT PAUSE WRITE postpones queueing a write and an EXEC with writes, like Redis', async () => {
    const a = await RawClient.connect(ls.port);
    const o = await RawClient.connect(ls.port);
    expect(await a.call('MULTI')).toEqual({ t: 'status', v: 'OK' });
    expect(await a.call('GET', 'px')).toEqual({ t: 'status', v: 'QUEUED' });
    expect(await o.call('CLIENT', 'PAUSE', '150', 'WRITE')).toEqual({ t: 'status', v: 'OK' });
    // a read is queued at once, a write waits for the pause to end (no QUEUED meanwhile)
    a.writeRaw('SET px 1\r\nGET px\r\n');
    await new Promise((r) => setTimeout(r, 60));
    expect(a.unread.length).toBe(0);
    expect(await a.read()).toEqual({ t: 'status', v: 'QUEUED' });
    expect(await a.read()).toEqual({ t: 'status', v: 'QUEUED' });
    // an EXEC without writes runs during a write pause; one with writes waits
    expect(await o.call('CLIENT', 'PAUSE', '150', 'WRITE')).toEqual({ t: 'status', v: 'OK' });
    a.writeRaw('EXEC\r\n');
    await new Promise((r) => setTimeout(r, 60));
    expect(a.unread.length).toBe(0);
    expect(await a.read()).toEqual({ t: 'array', v: [{ t: 'nullbulk' }, { t: 'status', v: 'OK' }, { t: 'bulk', v: '1' }] });
    expect(await a.call('MULTI')).toEqual({ t: 'status', v: 'OK' });
    expect(await a.call('GET', 'px')).toEqual({ t: 'status', v: 'QUEUED' });
    expect(await o.call('CLIENT', 'PAUSE', '150', 'WRITE')).toEqual({ t: 'status', v: 'OK' });
    expect(await a.call('EXEC')).toEqual({ t: 'array', v: [{ t: 'bulk', v: '1' }] });
    await o.call('CLIENT', 'UNPAUSE');
    a.close();
    o.close();
  });

  it('QUIT inside MULTI closes without running the queue', async () => {
    const c = await RawClient.connect(ls.port);
    c.writeRaw('MULTI\r\nSET q 1\r\nQUIT\r\nEXEC\r\n');
    expect((await c.readBytes(20)).toString()).toBe('+OK\r\n+QUEUED\r\n+OK\r\n');
    await c.waitClose();
    const b = client();
    expect(await b.get('q')).toBeNull();
  });
});
