// Client-side caching with real client libraries, unchanged: node-redis's own cache (npm `redis`,
// RESP3 `clientSideCache`, which turns CLIENT TRACKING on and drops entries on `invalidate` pushes),
// node-redis's `emitInvalidate`, and redis-py 4.x in RESP2 redirect mode (a tracking connection
// that sends its invalidations to a `__redis__:invalidate` subscriber). Each test shows a cached
// read served without the server, then invalidated after another client writes.
//
// The same tests also run against a real redis-server when one is installed, so they check the
// libraries' expectations, not only Lodestone's own reading of them.
import { spawn, spawnSync } from 'node:child_process';
import { BasicClientSideCache, createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_REDIS_SERVER, LodestoneHandle, ProcessHandle, startLodestone, startRedis } from './helpers/servers.js';
import { until } from './helpers/poll.js';

let ls: LodestoneHandle;
let redis: ProcessHandle | null = null;
beforeAll(async () => {
  ls = await startLodestone();
  if (HAVE_REDIS_SERVER) redis = await startRedis();
});
afterAll(async () => {
  await Promise.all([ls?.close(), redis?.close()]);
});

if (!HAVE_REDIS_SERVER) console.log('[skip] tracking clients against redis-server: redis-server is not installed (Lodestone only)');

const targets = (): [string, number][] => {
  const out: [string, number][] = [['lodestone', ls.port]];
  if (redis) out.push(['redis-server', redis.port]);
  return out;
};

/** Commands the server executed so far (INFO commandstats), for "served from the cache" checks. */
async function calls(c: { info(section: string): Promise<unknown> }, cmd: string): Promise<number> {
  const info = String(await c.info('commandstats'));
  const m = new RegExp(`^cmdstat_${cmd}:calls=(\\d+)`, 'm').exec(info);
  return m ? Number(m[1]) : 0;
}

describe('node-redis clientSideCache (RESP3)', () => {
  it('serves repeated reads from the cache until another client writes', async () => {
    for (const [name, port] of targets()) {
      const cache = new BasicClientSideCache({ ttl: 0, maxEntries: 0 });
      const cached = createClient({ socket: { port }, RESP: 3, clientSideCache: cache });
      const writer = createClient({ socket: { port } });
      await Promise.all([cached.connect(), writer.connect()]);
      try {
        await writer.flushAll();
        await writer.configResetStat();
        await writer.set('csc:k', 'v1');
        await writer.hSet('csc:h', { f: '1' });
        expect(await cached.get('csc:k'), name).toBe('v1');
        expect(await cached.get('csc:k'), name).toBe('v1');
        expect(await cached.hGetAll('csc:h'), name).toEqual({ f: '1' });
        expect(await cached.hGetAll('csc:h'), name).toEqual({ f: '1' });
        // Two GETs and two HGETALLs asked, one of each reached the server.
        expect(await calls(writer, 'get'), name).toBe(1);
        expect(await calls(writer, 'hgetall'), name).toBe(1);
        expect(cache.stats().hitCount, name).toBe(2);
        expect(cache.size(), name).toBe(2);

        const invalidated = new Promise<unknown>((res) => cache.once('invalidate', res));
        await writer.set('csc:k', 'v2');
        expect(await invalidated, name).toEqual(Buffer.from('csc:k'));
        expect(cache.size(), name).toBe(1);
        expect(await cached.get('csc:k'), name).toBe('v2');
        expect(await calls(writer, 'get'), name).toBe(2);
        // Re-read: cached again, and the hash entry was never dropped.
        expect(await cached.get('csc:k'), name).toBe('v2');
        expect(await cached.hGetAll('csc:h'), name).toEqual({ f: '1' });
        expect(await calls(writer, 'get'), name).toBe(2);
        expect(await calls(writer, 'hgetall'), name).toBe(1);

        // An expiring key is dropped from the cache when the server expires it.
        await writer.set('csc:ttl', 'soon', { PX: 50 });
        expect(await cached.get('csc:ttl'), name).toBe('soon');
        const expired = new Promise<unknown>((res) => cache.once('invalidate', res));
        await until(async () => (await writer.exists('csc:ttl')) === 0, 5000, 'csc:ttl expired');
        expect(await expired, name).toEqual(Buffer.from('csc:ttl'));
        expect(await cached.get('csc:ttl'), name).toBeNull();

        // FLUSHALL: the server says "everything" and the whole cache goes.
        const all = new Promise<unknown>((res) => cache.once('invalidate', res));
        await writer.flushAll();
        expect(await all, name).toBeNull();
        expect(cache.size(), name).toBe(0);
        expect(await cached.get('csc:k'), name).toBeNull();
      } finally {
        await Promise.all([cached.quit(), writer.quit()]);
      }
    }
  });
});

describe('node-redis emitInvalidate (RESP3)', () => {
  it('emits each invalidated key, then null for FLUSHDB', async () => {
    for (const [name, port] of targets()) {
      const c = createClient({ socket: { port }, RESP: 3, emitInvalidate: true });
      const writer = createClient({ socket: { port } });
      const seen: (string | null)[] = [];
      c.on('invalidate', (k: Buffer | null) => seen.push(k === null ? null : k.toString()));
      await writer.connect();
      await writer.flushAll(); // before c tracks: that flush would be an invalidation too
      await c.connect();
      try {
        await c.mGet(['e:a', 'e:b']);
        await writer.mSet({ 'e:a': '1', 'e:b': '2' });
        await until(() => seen.length >= 2, 5000, 'two invalidations');
        await writer.flushDb();
        await until(() => seen.length >= 3, 5000, 'the flush invalidation');
        expect(seen, name).toEqual(['e:a', 'e:b', null]);
      } finally {
        await Promise.all([c.quit(), writer.quit()]);
      }
    }
  });
});

const PY = '/usr/bin/python3';
const pyVersion = spawnSync(PY, ['-c', 'import redis; print(redis.__version__)'], { encoding: 'utf8' });
const havePy = pyVersion.status === 0;
if (!havePy) console.log('[skip] redis-py tracking: /usr/bin/python3 with the redis module is not installed (apt-get install -y python3-redis)');
else if (!/^(5\.[1-9]|[6-9])/.test(pyVersion.stdout.trim())) {
  // redis-py's own client-side cache needs RESP3 (redis-py 5.1+); 4.x has CLIENT TRACKING and
  // pub/sub only, which the RESP2 redirect test below drives.
  console.log(`[skip] redis-py client-side cache: redis-py ${pyVersion.stdout.trim()} has none (added in 5.1, RESP3); testing RESP2 REDIRECT instead`);
}

describe.skipIf(!havePy)('redis-py 4.x: RESP2 tracking with REDIRECT to a __redis__:invalidate subscriber', () => {
  it('gets the invalidated keys as pub/sub messages after another client writes', async () => {
    const script = `
import redis, sys, time
port = int(sys.argv[1])
writer = redis.Redis(port=port)
writer.flushall()
p = redis.Redis(port=port).pubsub()
p.subscribe('__redis__:invalidate')
m = p.get_message(timeout=5)
assert m['type'] == 'subscribe', m
subs = writer.client_list(_type='pubsub')
assert len(subs) == 1, subs
sub_id = int(subs[0]['id'])
reader = redis.Redis(port=port, single_connection_client=True)
writer.set('py:k', 'v1')
assert reader.client_tracking_on(clientid=sub_id) in (True, b'OK'), 'tracking'
info = reader.execute_command('CLIENT', 'TRACKINGINFO')
assert info[0] == b'flags' and info[1] == [b'on'] and info[3] == sub_id, info
assert reader.get('py:k') == b'v1'
writer.set('py:k', 'v2')
m = None
end = time.time() + 5
while m is None and time.time() < end:
    m = p.get_message(timeout=1)
assert m is not None and m['type'] == 'message', m
assert m['channel'] == b'__redis__:invalidate' and m['data'] == [b'py:k'], m
assert reader.get('py:k') == b'v2'
writer.flushall()
m = None
end = time.time() + 5
while m is None and time.time() < end:
    m = p.get_message(timeout=1)
assert m is not None and m['data'] is None, m
print('ok')
`;
    for (const [name, port] of targets()) {
      // Asynchronous: the Lodestone server runs in this process, a synchronous spawn would starve it.
      const child = spawn(PY, ['-c', script, String(port)]);
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const code = await new Promise<number | null>((res) => child.on('exit', res));
      expect(err, name).toBe('');
      expect(out.trim(), name).toBe('ok');
      expect(code, name).toBe(0);
    }
  });
});
