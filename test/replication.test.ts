// Replication with Redis's own protocol (PSYNC 2), tested against the real binaries both ways:
//   - a real redis-server 7.0.15 replica of a Lodestone master: full sync, the live stream
//     (including a Lua script and a WASM.CALL, which must arrive as MULTI/EXEC effects: the replica
//     never runs EVAL), partial resync after CLIENT KILL TYPE replica, WAIT;
//   - a Lodestone replica of a real redis-server master: full sync of every type (disk-based $len
//     transfer), the live stream, expiry (hidden on the replica until the master's DEL), the
//     read-only error, WAIT on the master counting the Lodestone replica, REPLICAOF NO ONE;
//   - Lodestone ↔ Lodestone: full sync, live stream with WASM, partial resync, a failover where
//     the old master rejoins the promoted replica with +CONTINUE (replid2).
// Datasets are compared with the same commands on both sides. Everything polls with generous
// deadlines; nothing asserts on time.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { LodestoneHandle, ProcessHandle, ROOT, skipReason, startLodestone, startRedis } from './helpers/servers.js';
import { infoFields, sleep, until } from './helpers/poll.js';

const NO_REDIS = skipReason('replication with a real redis-server', 'redis-server');
const COUNTER_WASM = join(ROOT, 'wasm-examples', 'build', 'counter.wasm');
const HAVE_WASM = existsSync(COUNTER_WASM);
if (!HAVE_WASM) {
  // eslint-disable-next-line no-console
  console.log('[skip] WASM.CALL over replication: wasm-examples/build/counter.wasm is not built (npm run build:wasm-examples)');
}

const LONG = 30_000;

function client(port: number): Redis {
  return new Redis({ port, host: '127.0.0.1', enableReadyCheck: false, disableClientInfo: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
}

async function infoOf(r: Redis, section: string): Promise<Record<string, string>> {
  return infoFields(((await r.info(section)) as string).replace(/\r?\n/g, '\r\n'));
}

/** Every key of every non-empty db, with its type, its content and whether it has a TTL. */
async function dataset(r: Redis): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const ks = await infoOf(r, 'keyspace');
  for (const dbName of Object.keys(ks).sort()) {
    const db = Number(dbName.slice(2));
    await r.select(db);
    const keys = ((await r.keys('*')) as string[]).sort();
    for (const k of keys) {
      const type = await r.type(k);
      let v: unknown;
      if (type === 'string') v = await r.get(k);
      else if (type === 'list') v = await r.lrange(k, 0, -1);
      else if (type === 'set') v = ((await r.smembers(k)) as string[]).sort();
      else if (type === 'zset') v = await r.call('ZRANGE', k, '0', '-1', 'WITHSCORES');
      else if (type === 'hash') v = Object.entries(await r.hgetall(k)).sort();
      else if (type === 'stream') {
        const groups = (await r.call('XINFO', 'GROUPS', k)) as unknown[][];
        const pending = [];
        for (const g of groups) pending.push(await r.call('XPENDING', k, g[1] as string, '-', '+', 100));
        v = { entries: await r.xrange(k, '-', '+'), groups: groups.map((g) => [g[1], g[3], g[5], g[7]]), pending: pending.map((p) => (p as unknown[][]).map((e) => [e[0], e[1], e[3]])) };
      }
      const ttl = await r.pttl(k);
      out[`${db}/${k}`] = { type, v, ttl: ttl > 0 };
    }
  }
  await r.select(0);
  return out;
}

/** Poll until the replica's dataset equals the master's; then assert it (a clear diff on failure). */
async function expectSameData(master: Redis, replica: Redis, what: string): Promise<void> {
  let m: Record<string, unknown> = {};
  let s: Record<string, unknown> = {};
  try {
    await until(
      async () => {
        m = await dataset(master);
        s = await dataset(replica);
        return JSON.stringify(m) === JSON.stringify(s);
      },
      LONG,
      what,
    );
  } catch {
    // fall through to the assertion, which shows the difference
  }
  expect(Object.keys(m).length).toBeGreaterThan(10);
  expect(s).toEqual(m);
}

async function linkUp(replica: Redis): Promise<void> {
  await until(async () => (await infoOf(replica, 'replication')).master_link_status === 'up', LONG, 'master_link_status:up');
}

/** Keys of every type, in a few dbs, some with TTLs, some big enough for non-compact encodings. */
async function populate(r: Redis, tag: string): Promise<void> {
  await r.set(`${tag}:s`, 'hello');
  await r.set(`${tag}:int`, '12345');
  await r.set(`${tag}:big`, 'x'.repeat(5000));
  await r.set(`${tag}:ttl`, 'v', 'EX', 1000);
  await r.rpush(`${tag}:list`, 'a', 'b', 'c');
  await r.rpush(`${tag}:biglist`, ...Array.from({ length: 300 }, (_, i) => `item-${i}`));
  await r.sadd(`${tag}:iset`, 1, 2, 3);
  await r.sadd(`${tag}:set`, 'a', 'b', 'c');
  await r.sadd(`${tag}:bigset`, ...Array.from({ length: 200 }, (_, i) => `m${i}`));
  await r.zadd(`${tag}:z`, 1, 'a', 2.5, 'b');
  await r.zadd(`${tag}:bigz`, ...Array.from({ length: 200 }, (_, i) => [i, `z${i}`]).flat());
  await r.hset(`${tag}:h`, 'f1', 'v1', 'f2', 'v2');
  await r.hset(`${tag}:bigh`, Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`f${i}`, `v${i}`])));
  await r.xadd(`${tag}:st`, '1-1', 'a', '1');
  await r.xadd(`${tag}:st`, '2-1', 'b', '2');
  await r.call('XGROUP', 'CREATE', `${tag}:st`, 'g', '0');
  await r.call('XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '1', 'STREAMS', `${tag}:st`, '>');
  await r.select(3);
  await r.set(`${tag}:db3`, 'three');
  await r.select(0);
}

describe.skipIf(NO_REDIS)('a real redis-server replica of a Lodestone master', () => {
  let ls: LodestoneHandle;
  let rs: ProcessHandle;
  let master: Redis;
  let replica: Redis;

  beforeAll(async () => {
    ls = await startLodestone();
    master = client(ls.port);
    await populate(master, 'pre');
    if (HAVE_WASM) expect(await master.call('WASM.LOAD', 'counter', readFileSync(COUNTER_WASM), 'PERMISSIONS', 'WRITE')).toBe('OK');
    rs = await startRedis(['--replicaof', '127.0.0.1', String(ls.port)]);
    replica = client(rs.port);
  }, LONG);

  afterAll(async () => {
    replica?.disconnect();
    master?.disconnect();
    await rs?.close();
    await ls?.close();
  });

  it('full sync: the replica has every key, type and TTL', async () => {
    await linkUp(replica);
    await expectSameData(master, replica, 'full sync');
    const mi = await infoOf(master, 'replication');
    expect(mi.role).toBe('master');
    expect(mi.connected_slaves).toBe('1');
    expect(mi.slave0).toMatch(new RegExp(`^ip=127\\.0\\.0\\.1,port=${rs.port},state=online,offset=\\d+,lag=\\d+$`));
    expect(mi.repl_backlog_active).toBe('1');
    expect((await infoOf(master, 'stats')).sync_full).toBe('1');
    const ri = await infoOf(replica, 'replication');
    expect(ri.master_replid).toBe(mi.master_replid);
  }, LONG);

  it('the live stream: writes, SELECT, a Lua script and a WASM.CALL arrive as their effects', async () => {
    await master.set('live:a', '1');
    await master.incrbyfloat('live:f', 1.5);
    await master.expire('live:a', 500);
    await master.select(5);
    await master.lpush('live:db5', 'x');
    await master.select(0);
    await master.eval("redis.call('SET', KEYS[1], ARGV[1]); redis.call('INCR', KEYS[2]); return 1", 2, 'lua:k', 'lua:n', 'from-lua');
    const m = master.multi();
    m.set('tx:a', 'A');
    m.sadd('tx:s', 'm');
    await m.exec();
    if (HAVE_WASM) {
      expect(await master.call('WASM.CALL', 'counter', 'KEYS', 'hits:bob')).toBe(1);
      expect(await master.call('WASM.CALL', 'counter', 'KEYS', 'hits:bob')).toBe(2);
    }
    await master.spop('pre:set');
    await master.call('FUNCTION', 'LOAD', "#!lua name=lslib\nredis.register_function{function_name='lsget', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}");
    await expectSameData(master, replica, 'live stream');
    await until(async () => JSON.stringify(await replica.call('FUNCTION', 'LIST')).includes('lslib'), LONG, 'the library on the replica');
    expect(await replica.call('FCALL_RO', 'lsget', '1', 'live:a')).toBe('1');
    // The replica applied effects: EXEC groups, never EVAL or WASM.CALL.
    const stats = await infoOf(replica, 'commandstats');
    expect(stats.cmdstat_exec).toBeDefined();
    expect(stats.cmdstat_eval).toBeUndefined();
    expect(stats.cmdstat_spop).toBeUndefined();
    expect(Object.keys(stats).some((k) => k.startsWith('cmdstat_wasm'))).toBe(false);
  }, LONG);

  it('WAIT 1 counts the replica once it has acknowledged the write', async () => {
    await master.set('wait:k', 'v');
    expect(await master.call('WAIT', '1', '20000')).toBe(1);
    expect(await master.call('WAIT', '2', '100')).toBe(1);
    const role = (await master.call('ROLE')) as unknown[];
    expect(role[0]).toBe('master');
    expect((role[2] as string[][])[0][1]).toBe(String(rs.port));
  }, LONG);

  it('partial resync after CLIENT KILL TYPE replica', async () => {
    expect(await master.call('CLIENT', 'KILL', 'TYPE', 'replica')).toBe(1);
    await master.set('after-kill', 'yes');
    await master.hset('pre:h', 'f3', 'v3');
    await until(async () => (await replica.get('after-kill')) === 'yes', LONG, 'the write after the kill on the replica');
    await expectSameData(master, replica, 'after partial resync');
    const st = await infoOf(master, 'stats');
    expect(st.sync_partial_ok).toBe('1');
    expect(st.sync_full).toBe('1');
    expect(rs.output()).toMatch(/Successful partial resynchronization with master/);
  }, LONG);

  it('the replica refuses writes, as a read-only replica', async () => {
    await expect(replica.set('x', 'y')).rejects.toThrow("READONLY You can't write against a read only replica.");
  });
});

describe.skipIf(NO_REDIS)('a Lodestone replica of a real redis-server master', () => {
  let rs: ProcessHandle;
  let ls: LodestoneHandle;
  let master: Redis;
  let replica: Redis;

  beforeAll(async () => {
    // Disk-based sync: the RDB comes as `$<len>` (the Redis-replica test above covers `$EOF:`).
    rs = await startRedis(['--repl-diskless-sync', 'no', '--enable-debug-command', 'yes']);
    master = client(rs.port);
    await populate(master, 'pre');
    await master.call('FUNCTION', 'LOAD', "#!lua name=mylib\nredis.register_function{function_name='myfunc', callback=function(keys, args) return redis.call('GET', keys[1]) end, flags={'no-writes'}}");
    ls = await startLodestone({ replicaof: `127.0.0.1 ${rs.port}` });
    replica = client(ls.port);
  }, LONG);

  afterAll(async () => {
    replica?.disconnect();
    master?.disconnect();
    await ls?.close();
    await rs?.close();
  });

  it('full sync of every type, TTL, db and the function libraries', async () => {
    await linkUp(replica);
    await expectSameData(master, replica, 'full sync from Redis');
    expect(await replica.call('FCALL_RO', 'myfunc', '1', 'pre:s')).toBe('hello');
    const ri = await infoOf(replica, 'replication');
    expect(ri.role).toBe('slave');
    expect(ri.master_host).toBe('127.0.0.1');
    expect(ri.master_port).toBe(String(rs.port));
    expect(ri.master_sync_in_progress).toBe('0');
    expect(ri.slave_read_only).toBe('1');
    expect(ri.master_replid).toBe((await infoOf(master, 'replication')).master_replid);
    const role = (await replica.call('ROLE')) as unknown[];
    expect(role.slice(0, 4)).toEqual(['slave', '127.0.0.1', rs.port, 'connected']);
  }, LONG);

  it('INFO replication of the Lodestone replica has the fields of a redis-server replica, in order', async () => {
    const twin = await startRedis(['--replicaof', '127.0.0.1', String(rs.port)]);
    const tc = client(twin.port);
    try {
      await linkUp(tc);
      await linkUp(replica);
      expect(Object.keys(await infoOf(replica, 'replication'))).toEqual(Object.keys(await infoOf(tc, 'replication')));
      const mi = await infoOf(master, 'replication');
      expect(mi.connected_slaves).toBe('2');
      expect(mi.slave0.replace(/port=\d+/, 'port=P').replace(/offset=\d+,lag=\d+/, '')).toBe(mi.slave1.replace(/port=\d+/, 'port=P').replace(/offset=\d+,lag=\d+/, ''));
    } finally {
      tc.disconnect();
      await twin.close();
    }
  }, LONG);

  it('the live stream: writes, MULTI/EXEC, scripts, other dbs', async () => {
    await master.set('live:a', '1', 'PX', 900000);
    await master.eval("redis.call('SET', 'lua:k', 'v'); return redis.call('INCR', 'lua:n')", 0);
    const m = master.multi();
    m.lpush('tx:l', 'a', 'b');
    m.zincrby('pre:z', 10, 'a');
    await m.exec();
    await master.select(7);
    await master.hset('db7:h', 'f', 'v');
    await master.select(0);
    await master.del('pre:bigset');
    await master.xack('pre:st', 'g', '1-1');
    await master.call('FUNCTION', 'LOAD', "#!lua name=lib2\nredis.register_function{function_name='f2', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}");
    await expectSameData(master, replica, 'live stream from Redis');
    await until(async () => JSON.stringify(await replica.call('FUNCTION', 'LIST')).includes('lib2'), LONG, 'lib2 on the replica');
    expect(await replica.call('FCALL_RO', 'f2', '1', 'lua:k')).toBe('v');
    // The offsets agree once the replica has acknowledged.
    expect(await master.call('WAIT', '1', '20000')).toBe(1);
    const mo = (await infoOf(master, 'replication')).master_repl_offset;
    await until(async () => (await infoOf(replica, 'replication')).slave_repl_offset === mo, LONG, 'replica offset = master offset');
  }, LONG);

  it('expiry: a logically expired key is hidden on the replica until the master sends DEL', async () => {
    await master.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0');
    expect(await master.call('WAIT', '1', '20000')).toBe(1);
    const n0 = await replica.dbsize();
    await master.set('exp:k', 'v', 'PX', 100);
    // DBSIZE counts the key on the replica even once it is logically expired.
    await until(async () => (await replica.dbsize()) === n0 + 1, LONG, 'exp:k on the replica');
    // Past its TTL the key is hidden on the replica, but the replica does not delete it itself.
    await sleep(200);
    expect(await replica.get('exp:k')).toBe(null);
    expect(await replica.exists('exp:k')).toBe(0);
    expect(((await replica.keys('exp:*')) as string[]).length).toBe(0);
    expect(await replica.dbsize()).toBe(n0 + 1);
    // Touching it on the master expires it there; the DEL reaches the replica.
    expect(await master.get('exp:k')).toBe(null);
    await until(async () => (await replica.dbsize()) === n0, LONG, 'the DEL from the master');
    await master.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1');
  }, LONG);

  it('writes get -READONLY; WAIT is refused on a replica', async () => {
    await expect(replica.set('x', 'y')).rejects.toThrow("READONLY You can't write against a read only replica.");
    await expect(replica.call('WAIT', '1', '0')).rejects.toThrow(/^ERR WAIT cannot be used with replica instances/);
    expect(await replica.get('pre:s')).toBe('hello');
  });

  it('REPLICAOF NO ONE promotes the replica: it keeps the data and accepts writes', async () => {
    await linkUp(replica);
    const offset = (await infoOf(replica, 'replication')).master_repl_offset;
    expect(await replica.call('REPLICAOF', 'NO', 'ONE')).toBe('OK');
    const ri = await infoOf(replica, 'replication');
    expect(ri.role).toBe('master');
    expect(ri.master_replid2).toBe((await infoOf(master, 'replication')).master_replid);
    expect(ri.second_repl_offset).toBe(String(Number(offset) + 1));
    expect(await replica.set('promoted', 'yes')).toBe('OK');
    expect(await replica.get('pre:s')).toBe('hello');
    expect(((await replica.call('ROLE')) as unknown[])[0]).toBe('master');
  }, LONG);
});

describe('Lodestone ↔ Lodestone', () => {
  let a: LodestoneHandle;
  let b: LodestoneHandle;
  let ca: Redis;
  let cb: Redis;

  beforeAll(async () => {
    a = await startLodestone({ 'repl-diskless-sync': 'no' });
    b = await startLodestone();
    ca = client(a.port);
    cb = client(b.port);
    await populate(ca, 'pre');
    // 24 MB of values: more than a full resync lets wait in the socket at once (it waits for drain).
    for (let i = 0; i < 24; i++) await ca.set(`mb:${i}`, String.fromCharCode(97 + i).repeat(1 << 20));
    if (HAVE_WASM) expect(await ca.call('WASM.LOAD', 'counter', readFileSync(COUNTER_WASM), 'PERMISSIONS', 'WRITE')).toBe('OK');
  }, LONG);

  afterAll(async () => {
    ca?.disconnect();
    cb?.disconnect();
    await a?.close();
    await b?.close();
  });

  it('REPLICAOF: full sync and the live stream', async () => {
    await cb.set('stale', 'goes away');
    expect(await cb.call('REPLICAOF', '127.0.0.1', String(a.port))).toBe('OK');
    expect(await cb.call('REPLICAOF', '127.0.0.1', String(a.port))).toBe('OK Already connected to specified master');
    await linkUp(cb);
    expect(await cb.get('stale')).toBe(null);
    await ca.set('live', '1');
    await ca.eval("return redis.call('INCRBY', KEYS[1], 5)", 1, 'lua:n');
    if (HAVE_WASM) {
      await ca.call('WASM.CALL', 'counter', 'KEYS', 'hits:w');
      // The module came with the RDB (lodestone-wasm aux): the replica knows the function.
      expect(((await cb.call('WASM.LIST')) as unknown[]).length).toBeGreaterThan(0);
    }
    await expectSameData(ca, cb, 'Lodestone full sync + stream');
    expect(await ca.call('WAIT', '1', '20000')).toBe(1);
  }, LONG);

  it.skipIf(!HAVE_WASM)('a WASM.LOAD after the sync reaches the replica (the module, not only its effects)', async () => {
    expect(await ca.call('WASM.LOAD', 'counter2', readFileSync(COUNTER_WASM), 'PERMISSIONS', 'WRITE')).toBe('OK');
    await ca.call('WASM.CALL', 'counter2', 'KEYS', 'hits:c2');
    const names = async () => JSON.stringify(await cb.call('WASM.LIST'));
    await until(async () => (await names()).includes('counter2'), LONG, 'counter2 on the replica');
    await until(async () => (await cb.get('hits:c2')) === '1', LONG, 'the effect of counter2');
    // The replica never ran it: its effect came as commands.
    expect((await infoOf(cb, 'commandstats'))['cmdstat_wasm.call']).toBeUndefined();
  }, LONG);

  it('a client blocked on the replica (XREAD BLOCK) is served by the master’s XADD', async () => {
    const blocked = client(b.port);
    try {
      const read = blocked.call('XREAD', 'BLOCK', '0', 'STREAMS', 'blk:s', '$');
      await until(async () => (await infoOf(cb, 'clients')).blocked_clients === '1', LONG, 'the XREAD blocked');
      await ca.xadd('blk:s', '5-1', 'f', 'v');
      expect(JSON.stringify(await read)).toContain('"blk:s",[["5-1",["f","v"]]]');
    } finally {
      blocked.disconnect();
    }
  }, LONG);

  it('PUBLISH on the master reaches the subscribers of the replica', async () => {
    const sub = client(b.port);
    try {
      const got = new Promise<[string, string]>((resolve) => sub.on('message', (ch: string, msg: string) => resolve([ch, msg])));
      await sub.subscribe('news');
      await ca.publish('news', 'hello replicas');
      expect(await got).toEqual(['news', 'hello replicas']);
    } finally {
      sub.disconnect();
    }
  }, LONG);

  it('partial resync after the link drops', async () => {
    expect(await ca.call('CLIENT', 'KILL', 'TYPE', 'replica')).toBe(1);
    await ca.set('after', 'kill');
    await until(async () => (await cb.get('after')) === 'kill', LONG, 'write after the kill');
    const st = await infoOf(ca, 'stats');
    expect(st.sync_partial_ok).toBe('1');
    expect(st.sync_full).toBe('1');
    await expectSameData(ca, cb, 'after partial resync');
  }, LONG);

  it('the replica lists its master link in CLIENT LIST (flags=M); CLIENT KILL TYPE master drops it, it comes back', async () => {
    const list = (await cb.call('CLIENT', 'LIST')) as string;
    expect(list).toMatch(new RegExp(`addr=127\\.0\\.0\\.1:${a.port} .*flags=M `));
    const before = Number((await infoOf(ca, 'stats')).sync_partial_ok);
    expect(await cb.call('CLIENT', 'KILL', 'TYPE', 'master')).toBe(1);
    await ca.set('after-master-kill', '1');
    await until(async () => (await cb.get('after-master-kill')) === '1', LONG, 'the link back');
    expect(Number((await infoOf(ca, 'stats')).sync_partial_ok)).toBe(before + 1);
  }, LONG);

  it('min-replicas-to-write refuses writes without enough good replicas', async () => {
    await ca.call('CONFIG', 'SET', 'min-replicas-to-write', '2');
    await expect(ca.set('x', '1')).rejects.toThrow('NOREPLICAS Not enough good replicas to write.');
    expect(await ca.get('live')).toBe('1');
    await ca.call('CONFIG', 'SET', 'min-replicas-to-write', '1');
    await until(async () => (await infoOf(ca, 'replication')).min_slaves_good_slaves === '1', LONG, 'one good replica');
    expect(await ca.set('x', '1')).toBe('OK');
    await ca.call('CONFIG', 'SET', 'min-replicas-to-write', '0');
  }, LONG);

  it('failover: the promoted replica continues the history, the old master rejoins with a partial resync', async () => {
    expect(await ca.call('WAIT', '1', '20000')).toBe(1);
    expect(await cb.call('REPLICAOF', 'NO', 'ONE')).toBe('OK');
    await cb.set('on-new-master', '1');
    expect(await ca.call('REPLICAOF', '127.0.0.1', String(b.port))).toBe('OK');
    await linkUp(ca);
    await until(async () => (await ca.get('on-new-master')) === '1', LONG, 'the new master write on the old master');
    await expectSameData(cb, ca, 'after failover');
    if (HAVE_WASM) {
      // The promoted replica runs the modules its old master had.
      expect(await cb.call('WASM.CALL', 'counter2', 'KEYS', 'hits:c2')).toBe(2);
      await until(async () => (await ca.get('hits:c2')) === '2', LONG, 'counter2 effect on the old master');
    }
    const st = await infoOf(cb, 'stats');
    expect(st.sync_partial_ok).toBe('1');
    expect(st.sync_full).toBe('0');
  }, LONG);
});

describe.skipIf(NO_REDIS)('a full sync while clients keep writing', () => {
  let ls: LodestoneHandle;
  let rs: ProcessHandle | null = null;
  let master: Redis;

  beforeAll(async () => {
    ls = await startLodestone();
    master = client(ls.port);
    const p = master.pipeline();
    for (let i = 0; i < 30000; i++) p.set(`k:${i}`, `v${i}`);
    for (let i = 0; i < 500; i++) p.rpush(`l:${i % 50}`, `e${i}`);
    await p.exec();
  }, LONG);

  afterAll(async () => {
    master?.disconnect();
    await rs?.close();
    await ls?.close();
  });

  it('the replica ends with exactly the master’s data (writes during the RDB arrive after it)', async () => {
    rs = await startRedis(['--replicaof', '127.0.0.1', String(ls.port)]);
    const replica = client(rs.port);
    try {
      // Writes while the replica connects and its RDB is written in slices: changes to keys the
      // walk has not reached yet, deletions, new keys.
      for (let round = 0; round < 20; round++) {
        const p = master.pipeline();
        for (let i = 0; i < 200; i++) {
          const n = (round * 997 + i * 131) % 30000;
          p.set(`k:${n}`, `changed-${round}`);
          p.del(`k:${(n + 7) % 30000}`);
          p.set(`new:${round}:${i}`, 'x');
          p.rpush(`l:${i % 50}`, `r${round}`);
        }
        await p.exec();
        await sleep(5);
      }
      await linkUp(replica);
      expect(await master.call('WAIT', '1', '20000')).toBe(1);
      await until(async () => (await replica.dbsize()) === (await master.dbsize()), LONG, 'same dbsize');
      const sample = Array.from({ length: 30000 }, (_, i) => `k:${i}`);
      expect(await replica.mget(...sample)).toEqual(await master.mget(...sample));
      for (let i = 0; i < 50; i++) expect(await replica.lrange(`l:${i}`, 0, -1)).toEqual(await master.lrange(`l:${i}`, 0, -1));
    } finally {
      replica.disconnect();
    }
  }, 60_000);
});

describe('a replica whose master is down', () => {
  let ls: LodestoneHandle;
  let c: Redis;
  let port: number;

  beforeAll(async () => {
    const { freePort } = await import('./helpers/servers.js');
    port = await freePort(); // nothing listens there
    ls = await startLodestone({ replicaof: `127.0.0.1 ${port}`, 'replica-serve-stale-data': 'no' });
    c = client(ls.port);
  });

  afterAll(async () => {
    c?.disconnect();
    await ls?.close();
  });

  it('answers -MASTERDOWN to commands without the stale flag, and INFO / ROLE still work', async () => {
    await expect(c.get('k')).rejects.toThrow("MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.");
    const ri = await infoOf(c, 'replication');
    expect(ri.role).toBe('slave');
    expect(ri.master_link_status).toBe('down');
    expect(ri.master_link_down_since_seconds).toBe('-1');
    const role = (await c.call('ROLE')) as unknown[];
    expect(role[0]).toBe('slave');
    expect(role[4]).toBe(-1);
    await c.call('CONFIG', 'SET', 'replica-serve-stale-data', 'yes');
    expect(await c.get('k')).toBe(null);
    expect(await c.call('CONFIG', 'GET', 'slave-serve-stale-data')).toEqual(['slave-serve-stale-data', 'yes']);
    await expect(c.set('k', 'v')).rejects.toThrow('READONLY');
    await c.call('CONFIG', 'SET', 'slave-read-only', 'no');
    expect(await c.call('CONFIG', 'GET', 'replica-read-only')).toEqual(['replica-read-only', 'no']);
    expect(await c.set('k', 'v')).toBe('OK');
  });

  it('the commands carry Redis 7.0.15 metadata (COMMAND INFO, ACL categories)', async () => {
    const info = (await c.call('COMMAND', 'INFO', 'replicaof', 'wait', 'replconf', 'psync')) as unknown[][];
    expect(info.map((e) => [e[0], e[1]])).toEqual([
      ['replicaof', 3],
      ['wait', 3],
      ['replconf', -1],
      ['psync', -3],
    ]);
    const dangerous = (await c.call('ACL', 'CAT', 'dangerous')) as string[];
    for (const n of ['replicaof', 'slaveof', 'replconf', 'psync', 'sync']) expect(dangerous).toContain(n);
  });
});

describe('authentication to the master', () => {
  let m: LodestoneHandle;
  let r: LodestoneHandle;
  let cm: Redis;
  let cr: Redis;

  beforeAll(async () => {
    m = await startLodestone({ requirepass: 'sekret' });
    r = await startLodestone();
    cm = new Redis({ port: m.port, host: '127.0.0.1', password: 'sekret', enableReadyCheck: false, disableClientInfo: true });
    cr = client(r.port);
    await cm.set('k', 'v');
  });

  afterAll(async () => {
    cm?.disconnect();
    cr?.disconnect();
    await r?.close();
    await m?.close();
  });

  it('a wrong masterauth keeps the link down; the right one (with masteruser) syncs', async () => {
    await cr.call('CONFIG', 'SET', 'masterauth', 'wrong');
    expect(await cr.call('REPLICAOF', '127.0.0.1', String(m.port))).toBe('OK');
    await sleep(300);
    expect((await infoOf(cr, 'replication')).master_link_status).toBe('down');
    await cr.call('CONFIG', 'SET', 'masteruser', 'default');
    await cr.call('CONFIG', 'SET', 'masterauth', 'sekret');
    await linkUp(cr);
    await until(async () => (await cr.get('k')) === 'v', LONG, 'the key on the replica');
    // The master counts its replica under connected_slaves, not connected_clients.
    const mi = await infoOf(cm, 'clients');
    expect(mi.connected_clients).toBe('1');
    expect((await infoOf(cm, 'replication')).connected_slaves).toBe('1');
    const list = (await cm.call('CLIENT', 'LIST')) as string;
    expect(list).toMatch(/flags=S /);
  }, LONG);

  it('a replication user allowed only +psync +replconf +ping is enough', async () => {
    await cm.call('ACL', 'SETUSER', 'repl', 'on', '>replpw', '+psync', '+replconf', '+ping');
    const r2 = await startLodestone({ masteruser: 'repl', masterauth: 'replpw', replicaof: `127.0.0.1 ${m.port}` });
    const c2 = client(r2.port);
    try {
      await linkUp(c2);
      await cm.set('for-r2', 'yes');
      await until(async () => (await c2.get('for-r2')) === 'yes', LONG, 'the write on the second replica');
    } finally {
      c2.disconnect();
      await r2.close();
    }
  }, LONG);
});

describe('a replica with the AOF on', () => {
  it('writes the full sync and the stream to its own AOF: restarted alone, it has the same data', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-repl-aof-'));
    const m = await startLodestone();
    const cm = client(m.port);
    let r: LodestoneHandle | null = await startLodestone({ dir, appendonly: 'yes' });
    let cr = client(r.port);
    try {
      await populate(cm, 'pre');
      await cr.set('local-before-sync', 'gone after the sync');
      await cr.call('REPLICAOF', '127.0.0.1', String(m.port));
      await linkUp(cr);
      await cm.set('streamed', '1');
      await cm.eval("redis.call('SET', 'lua', 'x'); return 1", 0);
      await expectSameData(cm, cr, 'replica with AOF');
      // The AOF rewrite that follows the full sync, then the streamed writes, reach the file.
      await until(async () => (await infoOf(cr, 'persistence')).aof_rewrite_in_progress === '0', LONG, 'rewrite done');
      expect(await cm.call('WAIT', '1', '20000')).toBe(1);
      cr.disconnect();
      await r.close();
      r = await startLodestone({ dir, appendonly: 'yes' });
      cr = client(r.port);
      await expectSameData(cm, cr, 'the AOF of the replica, loaded alone');
    } finally {
      cr.disconnect();
      cm.disconnect();
      await r?.close();
      await m.close();
    }
  }, LONG);
});

describe('the replica side of the protocol, against a scripted master', () => {
  /**
   * A master speaking the protocol from a script: it answers the handshake, then runs `onPsync`
   * with the PSYNC arguments and the socket. Every command the replica sends is recorded.
   */
  async function fakeMaster(onPsync: (args: string[], sock: import('node:net').Socket, n: number) => void) {
    const net = await import('node:net');
    const { parseReply } = await import('./helpers/resp.js');
    const seen: string[][] = [];
    let psyncs = 0;
    const srv = net.createServer((sock) => {
      let buf = Buffer.alloc(0);
      sock.on('error', () => {});
      sock.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        for (;;) {
          const r = parseReply(buf, 0);
          if (!r) break;
          buf = buf.subarray(r[1]);
          const v = r[0];
          if (v.t !== 'array') continue;
          const args = v.v.map((x) => (x as { v: string }).v);
          seen.push(args);
          const name = args[0].toUpperCase();
          if (name === 'PING') sock.write('+PONG\r\n');
          else if (name === 'REPLCONF' && args[1].toUpperCase() !== 'ACK') sock.write('+OK\r\n');
          else if (name === 'PSYNC') onPsync(args, sock, ++psyncs);
        }
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    return { port: (srv.address() as import('node:net').AddressInfo).port, seen, close: () => new Promise<void>((r) => srv.close(() => r())) };
  }

  const cmd = (...args: string[]) => `*${args.length}\r\n${args.map((a) => `$${a.length}\r\n${a}\r\n`).join('')}`;

  it('a transaction cut by a lost link counts as not applied: the PSYNC asks for it again', async () => {
    const { rdbBuffer } = await import('../src/persistence/rdb/file.js');
    const empty = await startLodestone();
    const rdb = rdbBuffer(empty.server);
    await empty.close();
    const id = 'a'.repeat(40);
    const multi = cmd('MULTI') + cmd('SET', 'a', '1');
    const tx = multi + cmd('INCR', 'n') + cmd('EXEC');
    const fm = await fakeMaster((args, sock, n) => {
      if (n === 1) {
        expect(args).toEqual(['PSYNC', '?', '-1']);
        sock.write(`+FULLRESYNC ${id} 100\r\n$${rdb.length}\r\n`);
        sock.write(rdb);
        sock.write(cmd('SELECT', '0') + cmd('SET', 'before', 'x'));
        // Half a transaction, then the link dies.
        setTimeout(() => {
          sock.write(multi);
          setTimeout(() => sock.destroy(), 200);
        }, 200);
      } else {
        sock.write(`+CONTINUE ${id}\r\n`);
        sock.write(tx);
      }
    });
    const r = await startLodestone({ replicaof: `127.0.0.1 ${fm.port}` });
    const c = client(r.port);
    try {
      await until(async () => (await c.get('a')) === '1', LONG, 'the transaction, sent again, applied');
      const before = 100 + cmd('SELECT', '0').length + cmd('SET', 'before', 'x').length;
      const psyncs = fm.seen.filter((a) => a[0] === 'PSYNC');
      expect(psyncs[1]).toEqual(['PSYNC', id, String(before + 1)]);
      expect(await c.get('n')).toBe('1');
      expect(await c.get('before')).toBe('x');
      await until(async () => (await infoOf(c, 'replication')).master_repl_offset === String(before + tx.length), LONG, 'offset after the transaction');
      // The replica acknowledged with REPLCONF ACK <offset> (every second).
      await until(async () => fm.seen.some((a) => a[0] === 'REPLCONF' && a[1] === 'ACK' && a[2] === String(before + tx.length)), LONG, 'the ACK');
      expect(fm.seen.slice(0, 3)).toEqual([['PING'], ['REPLCONF', 'listening-port', String(r.port)], ['REPLCONF', 'capa', 'eof', 'capa', 'psync2']]);
    } finally {
      c.disconnect();
      await r.close();
      await fm.close();
    }
  }, LONG);

  it('REPLCONF GETACK in the stream is answered with an offset that counts the bytes up to and including it', async () => {
    const { rdbBuffer } = await import('../src/persistence/rdb/file.js');
    const empty = await startLodestone();
    const rdb = rdbBuffer(empty.server);
    await empty.close();
    const id = 'b'.repeat(40);
    const stream = cmd('SET', 'k', 'v') + cmd('REPLCONF', 'GETACK', '*');
    const fm = await fakeMaster((_args, sock) => {
      // The diskless form, as redis-server sends it.
      const mark = 'm'.repeat(40);
      sock.write(`+FULLRESYNC ${id} 0\r\n$EOF:${mark}\r\n`);
      sock.write(rdb);
      sock.write(mark);
      setTimeout(() => sock.write(stream), 100);
    });
    const r = await startLodestone({ replicaof: `127.0.0.1 ${fm.port}` });
    const c = client(r.port);
    try {
      await until(async () => fm.seen.some((a) => a[0] === 'REPLCONF' && a[1] === 'ACK' && a[2] === String(stream.length)), LONG, 'the ACK for GETACK');
      expect(await c.get('k')).toBe('v');
    } finally {
      c.disconnect();
      await r.close();
      await fm.close();
    }
  }, LONG);
});

describe.skipIf(skipReason('redis-cli --rdb from a Lodestone master', 'redis-cli'))('redis-cli --rdb', () => {
  it('fetches the dataset as an RDB over the replication protocol (REPLCONF rdb-only), and redis-check-rdb accepts it', async () => {
    const { execFile } = await import('node:child_process');
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const run = (cmd: string, args: string[]) =>
      new Promise<{ code: number; out: string }>((resolve) => {
        execFile(cmd, args, { timeout: 30_000 }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: stdout + stderr }));
      });
    const ls = await startLodestone();
    const c = client(ls.port);
    try {
      await populate(c, 'pre');
      const file = join(mkdtempSync(join(tmpdir(), 'lodestone-rdb-')), 'out.rdb');
      const r = await run('redis-cli', ['-p', String(ls.port), '--rdb', file]);
      expect(r.out).toMatch(/Transfer finished with success/);
      expect(r.code).toBe(0);
      const check = await run('redis-check-rdb', [file]);
      expect(check.out).toMatch(/RDB looks OK!/);
      // It was not kept as a replica.
      await until(async () => (await infoOf(c, 'replication')).connected_slaves === '0', LONG, 'no replica left');
    } finally {
      c.disconnect();
      await ls.close();
    }
  }, LONG);
});

describe('chained replication (A → B → C)', () => {
  it('C follows B with A’s replid and offsets; B forwards what it applied, across dbs', async () => {
    const a = await startLodestone();
    const b = await startLodestone({ replicaof: '' });
    const c = await startLodestone();
    const ca = client(a.port);
    const cb = client(b.port);
    const cc = client(c.port);
    try {
      await populate(ca, 'pre');
      await cb.call('REPLICAOF', '127.0.0.1', String(a.port));
      await linkUp(cb);
      // The stream has db 3 selected when C syncs from B: C must start in db 3 (repl-stream-db).
      await ca.select(3);
      await ca.set('in3', 'a');
      await until(async () => (await infoOf(cb, 'replication')).master_repl_offset === (await infoOf(ca, 'replication')).master_repl_offset, LONG, 'B caught up');
      await cc.call('REPLICAOF', '127.0.0.1', String(b.port));
      await linkUp(cc);
      await ca.set('in3-after', 'b'); // no SELECT in the stream: still db 3
      await ca.select(0);
      await ca.set('in0', 'c');
      await expectSameData(ca, cc, 'C = A');
      const [ia, ic] = [await infoOf(ca, 'replication'), await infoOf(cc, 'replication')];
      expect(ic.master_replid).toBe(ia.master_replid);
      await until(async () => (await infoOf(cc, 'replication')).master_repl_offset === (await infoOf(ca, 'replication')).master_repl_offset, LONG, 'C offset = A offset');
      expect((await infoOf(cb, 'replication')).connected_slaves).toBe('1');
    } finally {
      for (const x of [ca, cb, cc]) x.disconnect();
      await c.close();
      await b.close();
      await a.close();
    }
  }, LONG);
});

describe.skipIf(NO_REDIS)('SIGTERM to a Lodestone master process with a replica', () => {
  it('waits for the replica to have every write before exiting, as SHUTDOWN does', async () => {
    const { startLodestoneProcess } = await import('./helpers/servers.js');
    const lp = await startLodestoneProcess();
    const rs = await startRedis(['--replicaof', '127.0.0.1', String(lp.port)]);
    const m = client(lp.port);
    m.on('error', () => {});
    const r = client(rs.port);
    try {
      await linkUp(r);
      const big = 'q'.repeat(32 << 20);
      await m.set('big', big);
      const exited = new Promise((res) => lp.proc.once('exit', res));
      lp.proc.kill('SIGTERM');
      await exited;
      await until(async () => (await r.strlen('big')) === big.length, LONG, 'the big value on the replica');
      expect(lp.output()).toMatch(/Waiting for replicas before shutting down/);
    } finally {
      m.disconnect();
      r.disconnect();
      await rs.close();
      await lp.close();
    }
  }, LONG);
});

describe.skipIf(NO_REDIS)('SHUTDOWN on a master with a replica', () => {
  it('waits for the replica to have every write (shutdown-timeout) before closing', async () => {
    const ls = await startLodestone();
    const rs = await startRedis(['--replicaof', '127.0.0.1', String(ls.port)]);
    const m = client(ls.port);
    m.on('error', () => {});
    const r = client(rs.port);
    try {
      await linkUp(r);
      // 32 MB just before SHUTDOWN: still in the socket's buffers when it is asked to close.
      const big = 'z'.repeat(32 << 20);
      await m.set('big', big);
      await m.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
      await until(async () => (await r.strlen('big')) === big.length, LONG, 'the big value on the replica');
    } finally {
      m.disconnect();
      r.disconnect();
      await rs.close();
      await ls.close();
    }
  }, LONG);
});

describe('FAILOVER (coordinated switch, Lodestone ↔ Lodestone)', () => {
  it('the master waits for a replica to catch up, hands over with PSYNC … FAILOVER and becomes its replica', async () => {
    const a = await startLodestone();
    const b = await startLodestone();
    const ca = client(a.port);
    const cb = client(b.port);
    try {
      await populate(ca, 'pre');
      await cb.call('REPLICAOF', '127.0.0.1', String(a.port));
      await linkUp(cb);
      await expect(ca.call('FAILOVER', 'TO', '127.0.0.1', '1')).rejects.toThrow('ERR FAILOVER target HOST and PORT is not a replica.');
      expect(await ca.call('FAILOVER', 'TO', '127.0.0.1', String(b.port))).toBe('OK');
      await until(async () => ((await cb.call('ROLE')) as unknown[])[0] === 'master', LONG, 'B promoted');
      await until(async () => (await infoOf(ca, 'replication')).master_link_status === 'up', LONG, 'A follows B');
      const ia = await infoOf(ca, 'replication');
      expect(ia.role).toBe('slave');
      expect(ia.master_port).toBe(String(b.port));
      expect(ia.master_failover_state).toBe('no-failover');
      // The old master's paused writes are answered (as a replica now: READONLY), B takes writes.
      await expect(ca.set('x', '1')).rejects.toThrow('READONLY');
      expect(await cb.set('on-b', '1')).toBe('OK');
      await until(async () => (await ca.get('on-b')) === '1', LONG, 'the write on B reaches A');
      await expectSameData(cb, ca, 'after FAILOVER');
      const st = await infoOf(cb, 'stats');
      expect(st.sync_partial_ok).toBe('1');
      expect(st.sync_full).toBe('0');
      await expect(ca.call('FAILOVER')).rejects.toThrow('ERR FAILOVER is not valid when server is a replica.');
    } finally {
      ca.disconnect();
      cb.disconnect();
      await b.close();
      await a.close();
    }
  }, LONG);
});

describe.skipIf(NO_REDIS)('FAILOVER with a real redis-server on the other side', () => {
  it('a redis-server master hands over to its Lodestone replica, and a Lodestone master to its redis-server replica', async () => {
    const rs = await startRedis();
    const ls = await startLodestone();
    const cr = client(rs.port);
    const cl = client(ls.port);
    try {
      await cr.set('from-redis', '1');
      await cl.call('REPLICAOF', '127.0.0.1', String(rs.port));
      await linkUp(cl);
      expect(await cr.call('FAILOVER')).toBe('OK');
      await until(async () => ((await cl.call('ROLE')) as unknown[])[0] === 'master', LONG, 'Lodestone promoted by Redis');
      await until(async () => (await infoOf(cr, 'replication')).master_link_status === 'up', LONG, 'Redis follows Lodestone');
      expect(await cl.get('from-redis')).toBe('1');
      await cl.set('from-lodestone', '2');
      await until(async () => (await cr.get('from-lodestone')) === '2', LONG, 'Redis gets the new master’s writes');
      // And back: the Lodestone master hands over to the redis-server replica.
      expect(await cl.call('FAILOVER')).toBe('OK');
      await until(async () => ((await cr.call('ROLE')) as unknown[])[0] === 'master', LONG, 'Redis promoted by Lodestone');
      await until(async () => (await infoOf(cl, 'replication')).master_link_status === 'up', LONG, 'Lodestone follows Redis');
      await cr.set('back', '3');
      await until(async () => (await cl.get('back')) === '3', LONG, 'Lodestone gets Redis’s writes again');
      // Redis served the first sync in full; the handover back to it was a partial resync.
      const st = await infoOf(cr, 'stats');
      expect(st.sync_full).toBe('1');
      expect(st.sync_partial_ok).toBe('1');
    } finally {
      cr.disconnect();
      cl.disconnect();
      await ls.close();
      await rs.close();
    }
  }, LONG);
});

describe('a disconnect longer than the backlog', () => {
  it('falls back to a full resync when the missing bytes left the backlog', async () => {
    const a = await startLodestone({ 'repl-backlog-size': '16kb' });
    const b = await startLodestone();
    const ca = client(a.port);
    const cb = client(b.port);
    try {
      await ca.set('k0', 'v');
      await cb.call('REPLICAOF', '127.0.0.1', String(a.port));
      await linkUp(cb);
      // Stop the replica from reconnecting while the master writes more than its backlog holds.
      await cb.call('CONFIG', 'SET', 'masterauth', 'not-the-password'); // AUTH fails → the link stays down
      await ca.call('CONFIG', 'SET', 'requirepass', 'pw');
      expect(await ca.call('CLIENT', 'KILL', 'TYPE', 'replica')).toBe(1);
      for (let i = 0; i < 100; i++) await ca.set(`fill:${i}`, 'x'.repeat(1000));
      const bl = await infoOf(ca, 'replication');
      expect(Number(bl.repl_backlog_histlen)).toBe(16 * 1024);
      await cb.call('CONFIG', 'SET', 'masterauth', 'pw');
      await linkUp(cb);
      await until(async () => (await cb.dbsize()) === 101, LONG, 'all keys on the replica');
      const st = await infoOf(ca, 'stats');
      // Both syncs were asked as partial ones (the first with b's own history) and both were full.
      expect(st.sync_partial_err).toBe('2');
      expect(st.sync_partial_ok).toBe('0');
      expect(st.sync_full).toBe('2');
      expect(Number(st.total_net_repl_output_bytes)).toBeGreaterThan(0); // the RDBs (LZF makes them small)
      expect(await cb.get('fill:0')).toBe('x'.repeat(1000));
    } finally {
      ca.disconnect();
      cb.disconnect();
      await b.close();
      await a.close();
    }
  }, LONG);
});

describe('restarts continue the replication (the snapshot keeps the replication id and offset)', () => {
  it('a replica restarted from its dump.rdb, and a master restarted from its own, resynchronize partially', async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const mdir = mkdtempSync(join(tmpdir(), 'lodestone-repl-m-'));
    const rdir = mkdtempSync(join(tmpdir(), 'lodestone-repl-r-'));
    let m = await startLodestone({ dir: mdir });
    let cm = client(m.port);
    let r = await startLodestone({ dir: rdir, replicaof: `127.0.0.1 ${m.port}` });
    let cr = client(r.port);
    try {
      await populate(cm, 'pre');
      await linkUp(cr);
      await cm.select(3);
      await cm.set('db3-1', 'x'); // the stream has db 3 selected when the replica saves
      await cm.select(0);
      expect(await cm.call('WAIT', '1', '20000')).toBe(1);
      // The replica saves and stops; the master goes on.
      expect(await cr.call('SAVE')).toBe('OK');
      cr.disconnect();
      await r.close();
      await cm.set('while-down', '1');
      r = await startLodestone({ dir: rdir, replicaof: `127.0.0.1 ${m.port}` });
      cr = client(r.port);
      await linkUp(cr);
      await expectSameData(cm, cr, 'replica after its restart');
      let st = await infoOf(cm, 'stats');
      expect(st.sync_partial_ok).toBe('1');
      expect(st.sync_full).toBe('1');
      // Now the master saves, stops and comes back on the same port; the replica continues.
      expect(await cm.call('WAIT', '1', '20000')).toBe(1);
      expect(await cm.call('SAVE')).toBe('OK');
      const port = m.port;
      cm.disconnect();
      await m.close();
      m = await startLodestone({ dir: mdir, port: String(port) });
      cm = client(m.port);
      await cm.set('after-master-restart', '1');
      await until(async () => (await cr.get('after-master-restart')) === '1', LONG, 'the replica follows the restarted master');
      st = await infoOf(cm, 'stats');
      expect(st.sync_partial_ok).toBe('1');
      expect(st.sync_full).toBe('0');
      await expectSameData(cm, cr, 'after the master restart');
    } finally {
      cm.disconnect();
      cr.disconnect();
      await r.close();
      await m.close();
    }
  }, 60_000);
});
