// Persistence through the real server over real sockets, in process: the AOF (what is recorded and
// how — deterministic forms, MULTI groups, WASM.CALL effects), replay after restart, torn and corrupt
// files, BGREWRITEAOF (compaction, and writes made while it runs), snapshots (SAVE, BGSAVE, save
// rules, checksum), which file wins at startup, turning the AOF on and off at run time, SHUTDOWN,
// and — against a real redis-server — that Redis itself loads a Lodestone AOF to the same dataset.
// Crash (kill -9), full-disk and signal tests of the server *process* live in durability.test.ts.

import { spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock, LodestoneHandle, ProcessHandle, ROOT, skipReason, startLodestone, startRedis } from './helpers/servers.js';
import { datasetOf, keyCount } from './helpers/dataset.js';
import { infoFields, until } from './helpers/poll.js';
import type { Clock } from '../src/keyspace/db.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'lodestone-persist-'));
}

async function start(dir: string, overrides: Record<string, string> = {}, clock?: Clock): Promise<{ h: LodestoneHandle; r: Redis }> {
  const h = await startLodestone({ dir, ...overrides }, clock);
  const r = new Redis({ port: h.port, lazyConnect: true, maxRetriesPerRequest: 0 });
  await r.connect();
  const handle = {
    h,
    r,
    close: async () => {
      r.disconnect();
      await h.close();
    },
  };
  open.push(handle);
  return handle;
}

async function stop(s: { h: LodestoneHandle; r: Redis }): Promise<void> {
  const i = open.findIndex((o) => (o as unknown as { h: LodestoneHandle }).h === s.h);
  if (i >= 0) open.splice(i, 1);
  s.r.disconnect();
  await s.h.close();
}

/** One INFO persistence field. */
async function info(r: Redis, field: string): Promise<string> {
  const v = infoFields(await r.info('persistence'))[field];
  if (v === undefined) throw new Error(`no ${field} in INFO persistence`);
  return v;
}

const AOF = { appendonly: 'yes', appendfsync: 'always' };

/** A bit of everything: every type, TTLs, several dbs, transactions, non-deterministic commands. */
async function populate(r: Redis): Promise<void> {
  await r.set('str', 'hello');
  await r.set('bin', Buffer.from([0, 1, 2, 255, 13, 10]));
  await r.set('ttl:ex', 'v', 'EX', 1000);
  await r.setex('ttl:setex', 500, 'v');
  await r.psetex('ttl:psetex', 700000, 'v');
  await r.set('ttl:expire', 'v');
  await r.expire('ttl:expire', 900);
  await r.set('ttl:getex', 'v');
  await r.getex('ttl:getex', 'PX', 123456);
  await r.set('ttl:persisted', 'v', 'EX', 100);
  await r.persist('ttl:persisted');
  await r.set('gone', 'v');
  await r.pexpire('gone', -1);
  await r.incrbyfloat('float', '10.5');
  await r.incrbyfloat('float', '0.1');
  await r.hset('hash', 'a', '1', 'b', '2');
  await r.hincrbyfloat('hash', 'f', '1.25');
  await r.sadd('set', ...Array.from({ length: 200 }, (_, i) => `m${i}`));
  await r.spop('set', 7);
  await r.spop('set');
  await r.rpush('list', ...Array.from({ length: 150 }, (_, i) => `e${i}`));
  await r.lpop('list');
  await r.zadd('zset', '1.5', 'a', '-inf', 'lo', 'inf', 'hi', '0.1', 'tenth', '3', 'b');
  await r.zincrby('zset', '0.2', 'tenth');
  await r.multi().incr('tx:a').incr('tx:b').exec();
  await r.select(1);
  await r.set('db1', 'x');
  await r.rpush('db1:list', 'a', 'b');
  await r.move('db1', 2);
  await r.copy('db1:list', 'copied', 'DB', 3);
  await r.select(0);
  await r.rename('str', 'str:renamed');
}

describe('AOF: record and replay', () => {
  it('every type, database and TTL is the same after a restart (TTLs as absolute times)', async () => {
    const dir = tempDir();
    const a = await start(dir, AOF);
    await populate(a.r);
    const before = await datasetOf(a.h.port);
    expect(keyCount(before)).toBeGreaterThan(15);
    expect(before[0]['gone']).toBeUndefined();
    await stop(a);
    const b = await start(dir, { appendonly: 'yes' });
    expect(await datasetOf(b.h.port)).toEqual(before);
  });

  it('writes the deterministic forms: PXAT / PEXPIREAT, SET KEEPTTL, SREM for SPOP', async () => {
    const dir = tempDir();
    const a = await start(dir, AOF);
    await a.r.set('k', 'v', 'EX', 100);
    await a.r.expire('k', 200);
    await a.r.incrbyfloat('f', '1.5');
    await a.r.sadd('s', 'x');
    await a.r.spop('s');
    const at = Number(await a.r.call('PEXPIRETIME', 'k'));
    await stop(a);
    const text = readFileSync(join(dir, 'appendonly.aof'), 'latin1');
    expect(text).toContain(`PXAT\r\n$13\r\n`);
    expect(text).toContain(`$9\r\nPEXPIREAT\r\n$1\r\nk\r\n$13\r\n${at}\r\n`);
    expect(text).toContain('$3\r\nSET\r\n$1\r\nf\r\n$3\r\n1.5\r\n$7\r\nKEEPTTL\r\n');
    expect(text).toContain('$4\r\nSREM\r\n$1\r\ns\r\n$1\r\nx\r\n');
    expect(text).not.toMatch(/\$6\r\nexpire\r\n/i);
    expect(text).not.toMatch(/spop/i);
  });

  it('a TTL keeps running while the server is down: gone when replayed after it, intact before', async () => {
    const dir = tempDir();
    const clock = new FakeClock();
    const a = await start(dir, AOF, clock);
    await a.r.set('short', 'v', 'EX', 10);
    await a.r.set('long', 'v', 'EX', 1000);
    await a.r.set('n', '5', 'EX', 10);
    await a.r.incr('n'); // replayed after 'n' expired, INCR must not resurrect it without a TTL
    const atLong = Number(await a.r.call('PEXPIRETIME', 'long'));
    await stop(a);
    const b = await start(dir, { appendonly: 'yes' }, new FakeClock(clock.t + 60_000));
    expect(await b.r.exists('short', 'n')).toBe(0);
    expect(Number(await b.r.call('PEXPIRETIME', 'long'))).toBe(atLong);
    expect(await b.r.pttl('long')).toBe(atLong - (clock.t + 60_000));
  });

  it('records a transaction as MULTI … EXEC and a WASM.CALL as the commands it ran', async () => {
    const dir = tempDir();
    const a = await start(dir, AOF);
    await a.r.multi().set('x', '1').incr('x').exec();
    const wasm = readFileSync(join(ROOT, 'wasm-examples/build/ratelimit.wasm'));
    await a.r.call('WASM.LOAD', 'ratelimit', wasm, 'PERMISSIONS', 'WRITE');
    expect(await a.r.call('WASM.CALL', 'ratelimit', 'KEYS', 'rl:a', 'ARGS', '10', '60')).toEqual([1, 9, 0]);
    expect(await a.r.call('WASM.CALL', 'ratelimit', 'KEYS', 'rl:a', 'ARGS', '10', '60')).toEqual([1, 8, 0]);
    const pttl = await a.r.pttl('rl:a');
    await stop(a);
    const text = readFileSync(join(dir, 'appendonly.aof'), 'latin1');
    expect(text).not.toMatch(/wasm/i);
    expect(text).toMatch(/\$5\r\nMULTI\r\n\*3\r\n\$3\r\nset\r\n\$1\r\nx\r\n\$1\r\n1\r\n\*2\r\n\$4\r\nincr\r\n\$1\r\nx\r\n\*1\r\n\$4\r\nEXEC\r\n/);
    // The function's first call made two writes (INCR + PEXPIRE): one MULTI group, PEXPIRE made absolute.
    expect(text).toMatch(/MULTI\r\n\*2\r\n\$4\r\nINCR\r\n\$4\r\nrl:a\r\n\*3\r\n\$9\r\nPEXPIREAT\r\n\$4\r\nrl:a\r\n\$13\r\n\d{13}\r\n\*1\r\n\$4\r\nEXEC/i);
    const b = await start(dir, { appendonly: 'yes' });
    expect(await b.r.get('x')).toBe('2');
    expect(await b.r.get('rl:a')).toBe('2');
    expect(Math.abs((await b.r.pttl('rl:a')) - pttl)).toBeLessThan(5000);
  });

  it('a torn last record is trimmed on load and the AOF goes on cleanly after it', async () => {
    const dir = tempDir();
    const a = await start(dir, AOF);
    await a.r.set('a', '1');
    await a.r.set('b', '2');
    await stop(a);
    const path = join(dir, 'appendonly.aof');
    const good = statSync(path).size;
    appendFileSync(path, '*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1');
    const b = await start(dir, AOF);
    expect(statSync(path).size).toBe(good);
    expect(await b.r.mget('a', 'b', 'c')).toEqual(['1', '2', null]);
    await b.r.set('d', '4');
    await stop(b);
    const c = await start(dir, AOF);
    expect(await c.r.mget('a', 'b', 'c', 'd')).toEqual(['1', '2', null, '4']);
  });

  it('a transaction cut short at the end of the file is dropped whole', async () => {
    const dir = tempDir();
    const a = await start(dir, AOF);
    await a.r.set('a', '1');
    await stop(a);
    const path = join(dir, 'appendonly.aof');
    const good = statSync(path).size;
    appendFileSync(path, '*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$1\r\nb\r\n$1\r\n2\r\n*3\r\n$3\r\nSET\r\n$1\r\nc\r\n$1\r\n3\r\n');
    const b = await start(dir, AOF);
    expect(await b.r.mget('a', 'b', 'c')).toEqual(['1', null, null]);
    expect(statSync(path).size).toBe(good);
  });

  it('aof-load-truncated no: a torn file stops startup with a clear message and is left as it is', async () => {
    const dir = tempDir();
    const a = await start(dir, AOF);
    await a.r.set('a', '1');
    await stop(a);
    const path = join(dir, 'appendonly.aof');
    appendFileSync(path, '*2\r\n$3\r\nDEL');
    const bytes = readFileSync(path);
    await expect(startLodestone({ dir, ...AOF, 'aof-load-truncated': 'no' })).rejects.toThrow(
      /Unexpected end of file reading the append only file .*appendonly\.aof: the last record \(bytes \d+\.\.\d+\) is incomplete/,
    );
    expect(readFileSync(path).equals(bytes)).toBe(true);
  });

  it('corruption stops startup with the byte offset; the file is not touched', async () => {
    const dir = tempDir();
    const a = await start(dir, AOF);
    await a.r.set('a', '1');
    await a.r.set('b', '2');
    await a.r.set('c', '3');
    await stop(a);
    const path = join(dir, 'appendonly.aof');
    const bytes = readFileSync(path);
    const at = bytes.indexOf('*3\r\n$3\r\nset\r\n$1\r\nb');
    bytes[at] = 0x3f; // '?'
    writeFileSync(path, bytes);
    await expect(startLodestone({ dir, ...AOF })).rejects.toThrow(
      new RegExp(`Bad file format reading .*appendonly\\.aof at byte ${at}: expected '\\*', found '\\?'`),
    );
    expect(readFileSync(path).equals(bytes)).toBe(true);
    // An unknown command is corruption too, not something to skip.
    writeFileSync(path, '*2\r\n$6\r\nNOSUCH\r\n$1\r\nx\r\n');
    await expect(startLodestone({ dir, ...AOF })).rejects.toThrow(/at byte 0: unknown command 'NOSUCH' in the file/);
  });
});

describe('BGREWRITEAOF', () => {
  it('compacts the file; the dataset is the same after a restart', async () => {
    const dir = tempDir();
    const a = await start(dir, AOF);
    const p = a.r.pipeline();
    for (let i = 0; i < 2000; i++) p.incr('counter');
    for (let i = 0; i < 500; i++) p.set(`k${i % 10}`, `v${i}`);
    await p.exec();
    await populate(a.r);
    const path = join(dir, 'appendonly.aof');
    const before = statSync(path).size;
    expect(await a.r.bgrewriteaof()).toBe('Background append only file rewriting started');
    await until(async () => (await info(a.r, 'aof_rewrites')) === '1', 10000, 'the rewrite');
    expect(await info(a.r, 'aof_last_bgrewrite_status')).toBe('ok');
    expect(statSync(path).size).toBeLessThan(before / 10);
    await a.r.set('after', 'rewrite');
    const live = await datasetOf(a.h.port);
    await stop(a);
    const b = await start(dir, AOF);
    expect(await datasetOf(b.h.port)).toEqual(live);
  });

  it('keeps every write made while it runs, FLUSHDB and SWAPDB included', async () => {
    const dir = tempDir();
    const a = await start(dir, AOF);
    // Enough keys that the rewrite takes many time slices, with writes landing between them.
    for (let db = 0; db < 5; db++) {
      await a.r.select(db);
      const p = a.r.pipeline();
      for (let i = 0; i < 20000; i++) p.set(`k${i}`, `v${i}`);
      p.rpush('list', 'a', 'b');
      await p.exec();
    }
    await a.r.select(0);
    // Writes pipelined behind BGREWRITEAOF run before the job's first slice: they are certainly
    // made while it runs, whatever the machine's speed. More rounds follow while it is in progress.
    const p = a.r.pipeline();
    p.bgrewriteaof();
    p.set('k1', 'changed').del('k2').set('fresh', 'x').rpush('list', 'c').incr('during');
    p.select(2).flushdb().set('after-flush', '1');
    p.swapdb(3, 4);
    p.select(1).expire('k1', 1000).move('k3', 4);
    p.select(0);
    const replies = await p.exec();
    expect(replies![0]).toEqual([null, 'Background append only file rewriting started']);
    await expect(a.r.bgrewriteaof()).rejects.toThrow('ERR Background append only file rewriting already in progress');
    for (let round = 0; (await info(a.r, 'aof_rewrite_in_progress')) === '1' && round < 1000; round++) {
      await a.r.pipeline().set(`k${round + 100}`, `r${round}`).del(`k${round + 5000}`).rpush('list', `r${round}`).incr('during').exec();
    }
    await until(async () => (await info(a.r, 'aof_rewrites')) === '1', 10000, 'the rewrite');
    const live = await datasetOf(a.h.port);
    expect(live[2]).toEqual({ 'after-flush': { type: 'string', value: '1', expireAt: -1 } });
    await stop(a);
    const b = await start(dir, AOF);
    expect(await datasetOf(b.h.port)).toEqual(live);
  }, 60000);

  it('is scheduled behind a running BGSAVE, and starts by itself on growth', async () => {
    const dir = tempDir();
    const a = await start(dir, { ...AOF, 'auto-aof-rewrite-min-size': '0', 'auto-aof-rewrite-percentage': '0' });
    const p = a.r.pipeline();
    for (let i = 0; i < 200; i++) p.set(`k${i}`, 'v');
    await p.exec();
    const both = await a.r.pipeline().bgsave().bgrewriteaof().exec();
    expect(both).toEqual([
      [null, 'Background saving started'],
      [null, 'Background append only file rewriting scheduled'],
    ]);
    await until(async () => (await info(a.r, 'aof_rewrites')) === '1', 10000, 'the scheduled rewrite');
    expect(await info(a.r, 'rdb_saves')).toBe('1');
    // Growth: a rewrite starts once the file doubled since the last one.
    await a.r.config('SET', 'auto-aof-rewrite-percentage', '100');
    const base = Number(await info(a.r, 'aof_base_size'));
    const q = a.r.pipeline();
    for (let i = 0; i < 2000; i++) q.incr('c');
    await q.exec();
    expect(Number(await info(a.r, 'aof_current_size'))).toBeGreaterThan(2 * base);
    await until(async () => (await info(a.r, 'aof_rewrites')) === '2', 10000, 'the automatic rewrite');
    expect(Number(await info(a.r, 'aof_current_size'))).toBeLessThan(2 * base);
  }, 30000);
});

describe('snapshots', () => {
  it('SAVE writes a snapshot that a restart loads; LASTSAVE moves', async () => {
    const dir = tempDir();
    const a = await start(dir);
    await populate(a.r);
    const before = await datasetOf(a.h.port);
    const last = await a.r.lastsave();
    await new Promise((res) => setTimeout(res, 1100));
    expect(await a.r.save()).toBe('OK');
    expect(await a.r.lastsave()).toBeGreaterThan(last);
    expect(await info(a.r, 'rdb_changes_since_last_save')).toBe('0');
    expect(readFileSync(join(dir, 'dump.rdb'), 'latin1')).toMatch(/^REDIS0010\xfa/);
    await stop(a);
    const b = await start(dir);
    expect(await datasetOf(b.h.port)).toEqual(before);
  });

  it('BGSAVE: replies as Redis does, saves the dataset as it was when it started (writes meanwhile are not in it)', async () => {
    const dir = tempDir();
    const a = await start(dir);
    const p = a.r.pipeline();
    for (let i = 0; i < 50000; i++) p.set(`k${i}`, `v${i}`);
    await p.exec();
    const before = await datasetOf(a.h.port);
    const q = a.r.pipeline();
    q.bgsave();
    q.bgsave();
    q.save();
    q.set('k1', 'changed').del('k2').set('new', 'x').flushdb().set('only', 'this');
    const r = await q.exec();
    expect(r![0]).toEqual([null, 'Background saving started']);
    expect((r![1][0] as Error).message).toBe('ERR Background save already in progress');
    expect((r![2][0] as Error).message).toBe('ERR Background save already in progress');
    await until(async () => (await info(a.r, 'rdb_saves')) === '1', 10000, 'the save');
    expect(await info(a.r, 'rdb_last_bgsave_status')).toBe('ok');
    // As after Redis's fork: the changes made while the save ran are still unsaved.
    expect(Number(await info(a.r, 'rdb_changes_since_last_save'))).toBeGreaterThan(0);
    await stop(a);
    const b = await start(dir);
    expect(await datasetOf(b.h.port)).toEqual(before);
  }, 30000);

  it('save rules start a BGSAVE by themselves', async () => {
    const dir = tempDir();
    const a = await start(dir, { save: '1 1' });
    await a.r.set('k', 'v');
    await until(async () => (await info(a.r, 'rdb_saves')) === '1', 5000, 'the rule');
    expect(existsSync(join(dir, 'dump.rdb'))).toBe(true);
  });

  it('FLUSHALL with save rules writes the empty snapshot at once, as Redis does', async () => {
    const dir = tempDir();
    const a = await start(dir, { save: '3600 1' });
    await a.r.set('k', 'v');
    await a.r.save();
    await a.r.flushall();
    await stop(a);
    const b = await start(dir);
    expect(await b.r.dbsize()).toBe(0);
  });

  it('a damaged or cut snapshot stops startup; the AOF wins when both exist', async () => {
    const dir = tempDir();
    const a = await start(dir);
    await a.r.set('from', 'snapshot');
    await a.r.save();
    await stop(a);
    const path = join(dir, 'dump.rdb');
    const good = readFileSync(path);
    const bad = Buffer.from(good);
    bad[bad.indexOf('snapshot')] ^= 0x20;
    writeFileSync(path, bad);
    await expect(startLodestone({ dir })).rejects.toThrow(/Wrong RDB checksum.*The snapshot is unusable/);
    writeFileSync(path, good.subarray(0, good.length - 10));
    await expect(startLodestone({ dir })).rejects.toThrow(/Unexpected EOF reading RDB file/);
    writeFileSync(path, good);
    // appendonly on, no AOF yet: the snapshot is loaded and becomes the AOF's first content.
    const b = await start(dir, AOF);
    expect(await b.r.get('from')).toBe('snapshot');
    await b.r.set('from', 'aof');
    await stop(b);
    expect(readFileSync(join(dir, 'appendonly.aof'), 'latin1')).toContain('snapshot');
    const c = await start(dir, AOF);
    expect(await c.r.get('from')).toBe('aof');
    await stop(c);
    // AOF off: the snapshot is what there is.
    const d = await start(dir);
    expect(await d.r.get('from')).toBe('snapshot');
  });
});

describe('run-time switches and SHUTDOWN', () => {
  it('CONFIG SET appendonly yes creates the AOF from the dataset; no stops appending', async () => {
    const dir = tempDir();
    const a = await start(dir);
    await a.r.set('before', '1');
    await a.r.config('SET', 'appendonly', 'yes');
    await until(async () => (await info(a.r, 'aof_rewrites')) === '1', 10000, 'the AOF');
    await a.r.set('while-on', '2');
    await a.r.config('SET', 'appendonly', 'no');
    expect(await info(a.r, 'aof_enabled')).toBe('0');
    await a.r.set('after-off', '3');
    await stop(a);
    const b = await start(dir, AOF);
    expect(await b.r.mget('before', 'while-on', 'after-off')).toEqual(['1', '2', null]);
  });

  it('SHUTDOWN SAVE writes the snapshot; SHUTDOWN NOSAVE still flushes the AOF', async () => {
    const dir = tempDir();
    const a = await start(dir, { appendonly: 'yes', appendfsync: 'no' });
    await a.r.set('k', 'v');
    await a.r.call('SHUTDOWN', 'SAVE').catch(() => undefined);
    await until(async () => existsSync(join(dir, 'dump.rdb')), 10000, 'the snapshot');
    await stop(a);
    const b = await start(dir);
    expect(await b.r.get('k')).toBe('v');
    await stop(b);
    const c = await start(dir, { appendonly: 'yes', appendfsync: 'no' });
    await c.r.set('k2', 'v2');
    await c.r.call('SHUTDOWN', 'NOSAVE').catch(() => undefined);
    await stop(c);
    const d = await start(dir, { appendonly: 'yes' });
    expect(await d.r.mget('k', 'k2')).toEqual(['v', 'v2']);
  });
});

const HAVE_CHECK_AOF = spawnSync('sh', ['-c', 'command -v redis-check-aof']).status === 0;
if (!HAVE_CHECK_AOF) console.log('[skip] redis-check-aof on a Lodestone AOF: redis-check-aof is not installed (apt-get install -y redis-tools)');

describe.skipIf(!HAVE_CHECK_AOF)('redis-check-aof on a Lodestone AOF', () => {
  it('finds it valid, and agrees with Lodestone on where a torn tail starts', async () => {
    const dir = tempDir();
    const a = await start(dir, AOF);
    await populate(a.r);
    await stop(a);
    const path = join(dir, 'appendonly.aof');
    const check = () => spawnSync('redis-check-aof', [path], { encoding: 'utf8' }).stdout;
    expect(check()).toContain('is valid');
    const good = statSync(path).size;
    appendFileSync(path, '*3\r\n$3\r\nSET\r\n$1\r\nz\r\n$5\r\nabc');
    const out = check();
    expect(out).toContain('is not valid');
    expect(out).toContain(`ok_up_to=${good},`);
    // Lodestone trims at the same byte.
    const b = await start(dir, AOF);
    expect(statSync(path).size).toBe(good);
    expect(await b.r.exists('z')).toBe(0);
  });
});

describe.skipIf(skipReason('persistence: redis-server loads a Lodestone AOF', 'redis-server'))('differential: redis-server loads a Lodestone AOF', () => {
  let redis: ProcessHandle | null = null;
  afterEach(async () => {
    await redis?.close();
    redis = null;
  });

  it('to the same dataset', async () => {
    const dir = tempDir();
    const a = await start(dir, AOF);
    await populate(a.r);
    await stop(a);
    const b = await start(dir, AOF);
    const ours = await datasetOf(b.h.port);
    await stop(b);
    const rdir = tempDir();
    copyFileSync(join(dir, 'appendonly.aof'), join(rdir, 'appendonly.aof'));
    redis = await startRedis(['--dir', rdir, '--appendonly', 'yes']);
    expect(redis.output()).toMatch(/DB loaded from (base file|append only file)/);
    expect(await datasetOf(redis.port)).toEqual(ours);
  });
});
