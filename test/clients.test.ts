// Real client libraries against Lodestone, unchanged: ioredis, node-redis (npm `redis`, RESP2
// and RESP3) and redis-py (Debian's python3-redis). Each drives every family through its own API,
// so a reply-shape mistake that a library would choke on fails here.
import { spawn, spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LodestoneHandle, startLodestone } from './helpers/servers.js';

let ls: LodestoneHandle;
beforeAll(async () => {
  ls = await startLodestone();
});
afterAll(async () => {
  await ls.close();
});

describe('ioredis', () => {
  it('runs every family through its API, pipelined and in transactions', async () => {
    const r = new Redis({ port: ls.port, lazyConnect: true, maxRetriesPerRequest: 0 });
    await r.connect();
    try {
      expect(await r.set('s', 'v', 'EX', 100)).toBe('OK');
      expect(await r.get('s')).toBe('v');
      expect(await r.incrby('n', 5)).toBe(5);
      expect(await r.incrbyfloat('f', '1.5')).toBe('1.5');
      expect(await r.mget('s', 'nope', 'n')).toEqual(['v', null, '5']);
      expect(await r.hset('h', { a: '1', b: '2' })).toBe(2);
      expect(await r.hgetall('h')).toEqual({ a: '1', b: '2' });
      expect(await r.rpush('l', 'x', 'y', 'z')).toBe(3);
      expect(await r.lrange('l', 0, -1)).toEqual(['x', 'y', 'z']);
      expect(await r.sadd('st', 'a', 'b')).toBe(2);
      expect((await r.smembers('st')).sort()).toEqual(['a', 'b']);
      expect(await r.zadd('z', 1, 'one', 2, 'two')).toBe(2);
      expect(await r.zrange('z', '0', '-1', 'WITHSCORES')).toEqual(['one', '1', 'two', '2']);
      expect(await r.zscore('z', 'two')).toBe('2');
      const [cursor, keys] = await r.scan('0', 'COUNT', '100');
      expect(cursor).toBe('0');
      expect(keys.sort()).toEqual(['f', 'h', 'l', 'n', 's', 'st', 'z']);
      const p = await r.pipeline().set('p1', '1').incr('p1').get('p1').exec();
      expect(p!.map(([e, v]) => [e, v])).toEqual([[null, 'OK'], [null, 2], [null, '2']]);
      const m = await r.multi().incr('tx').incr('tx').exec();
      expect(m).toEqual([[null, 1], [null, 2]]);
      await expect(r.lpush('s', 'x')).rejects.toThrow(/WRONGTYPE/);
      const blocked = new Redis({ port: ls.port });
      const pending = blocked.blpop('q', 5);
      await new Promise((res) => setTimeout(res, 50));
      await r.lpush('q', 'job');
      expect(await pending).toEqual(['q', 'job']);
      blocked.disconnect();
      const info = await r.info('server');
      expect(info).toMatch(/redis_version:7\./);
    } finally {
      r.disconnect();
    }
  });
});

describe('node-redis', () => {
  for (const RESP of [2, 3] as const) {
    it(`works over RESP${RESP}`, async () => {
      const c = createClient({ socket: { port: ls.port }, RESP });
      c.on('error', () => {});
      await c.connect();
      try {
        await c.flushDb();
        expect(await c.set('k', 'v')).toBe('OK');
        expect(await c.get('k')).toBe('v');
        expect(await c.hSet('h', { a: '1', b: '2' })).toBe(2);
        const h = await c.hGetAll('h');
        expect({ ...h }).toEqual({ a: '1', b: '2' });
        expect(await c.zAdd('z', [{ score: 1.5, value: 'a' }])).toBe(1);
        expect(Number(await c.zScore('z', 'a'))).toBe(1.5);
        expect(await c.lPush('l', ['1', '2'])).toBe(2);
        expect(await c.sAdd('s', ['a'])).toBe(1);
        expect(await c.exists(['k', 'h', 'nope'])).toBe(2);
        expect(await c.ttl('k')).toBe(-1);
        const tx = await c.multi().incr('c').incr('c').exec();
        expect(tx).toEqual([1, 2]);
        expect(await c.dbSize()).toBe(6);
      } finally {
        await c.quit();
      }
    });
  }
});

const PY = '/usr/bin/python3';
const havePy = spawnSync(PY, ['-c', 'import redis'], { encoding: 'utf8' }).status === 0;
if (!havePy) console.log('[skip] redis-py: /usr/bin/python3 with the redis module is not installed (apt-get install -y python3-redis)');

describe.skipIf(!havePy)('redis-py', () => {
  it('connects and works unchanged', async () => {
    const script = `
import redis, sys
r = redis.Redis(port=int(sys.argv[1]), decode_responses=True)
assert r.ping() is True
assert r.set('py', 'thon', ex=100) is True
assert r.get('py') == 'thon'
assert r.incr('cnt') == 1
r.hset('pyh', mapping={'a': '1', 'b': '2'})
assert r.hgetall('pyh') == {'a': '1', 'b': '2'}
r.rpush('pyl', 1, 2, 3)
assert r.lrange('pyl', 0, -1) == ['1', '2', '3']
r.zadd('pyz', {'x': 1.5, 'y': 2})
assert r.zrange('pyz', 0, -1, withscores=True) == [('x', 1.5), ('y', 2.0)]
p = r.pipeline(transaction=True)
p.incr('cnt'); p.get('cnt')
assert p.execute() == [2, '2']
try:
    r.lpush('py', 'x'); raise SystemExit('expected WRONGTYPE')
except redis.ResponseError as e:
    assert str(e).startswith('WRONGTYPE'), e
assert 'redis_version' in r.info('server')
print('ok')
`;
    // Asynchronous: the server runs in this process, so a synchronous spawn would starve it.
    const child = spawn(PY, ['-c', script, String(ls.port)]);
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((res) => child.on('exit', res));
    expect(err).toBe('');
    expect(out.trim()).toBe('ok');
    expect(code).toBe(0);
  });
});
