// Differential tests for client-side caching (CLIENT TRACKING, CACHING, GETREDIR, TRACKINGINFO):
// multi-connection sessions run against Lodestone and a real redis-server 7.0.15, and every frame
// each connection receives — replies, RESP3 `invalidate` pushes, RESP2 `__redis__:invalidate`
// messages of a redirect target, `tracking-redir-broken` — must be identical, in order
// (test/helpers/sessions.ts). Covers default mode, BCAST with prefixes, OPTIN / OPTOUT with CLIENT
// CACHING, NOLOOP, REDIRECT in RESP2 and RESP3, a redirect target that disconnects, FLUSHDB /
// FLUSHALL, expiry, eviction, MULTI/EXEC, Lua and a served blocked command (invalidations after the
// reply), reads inside scripts, the table limit, every error text, TRACKINGINFO, CLIENT REPLY OFF,
// and CLIENT LIST / INFO flags and redir.
// WASM functions (Lodestone only) are checked on Lodestone alone: their invalidations follow the reply.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSession, SessionStep } from '../helpers/sessions.js';
import { RawClient } from '../helpers/raw-client.js';
import { LodestoneHandle, ProcessHandle, ROOT, skipReason, startLodestone, startRedis } from '../helpers/servers.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

describe.skipIf(skipReason('client tracking differential tests', 'redis-server'))('client tracking: differential vs redis-server', () => {
  let ls: LodestoneHandle;
  let redis: ProcessHandle;

  beforeAll(async () => {
    [ls, redis] = await Promise.all([startLodestone(), startRedis()]);
  });
  afterAll(async () => {
    await Promise.all([ls?.close(), redis?.close()]);
  });

  async function both(steps: SessionStep[]): Promise<void> {
    const reset: SessionStep[] = [[0, 'FLUSHALL'], [0, 'CONFIG', 'SET', 'tracking-table-max-keys', '1000000']];
    await Promise.all([runSession(ls.port, reset), runSession(redis.port, reset)]);
    const a = await runSession(ls.port, steps);
    const b = await runSession(redis.port, steps);
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      expect(a[i] ?? [], `connection ${i}`).toEqual(b[i] ?? []);
    }
  }

  const INFO = { fields: ['flags', 'redir', 'sub', 'psub', 'ssub'] };

  it('default mode: a read is remembered, a write by anyone invalidates it once (RESP3 pushes)', async () => {
    await both([
      [0, 'HELLO', '3'],
      [0, 'CLIENT', 'TRACKING', 'ON'],
      [0, 'GET', 'a'],
      [1, 'SET', 'a', '1'],
      [1, 'SET', 'a', '2'], // already invalidated: nothing more
      [0, 'MGET', 'a', 'b', 'c'],
      [1, 'MSET', 'b', '1', 'c', '2'],
      [0, 'HGETALL', 'h'],
      [0, 'SMEMBERS', 's'],
      [0, 'ZRANGE', 'z', '0', '-1'],
      [0, 'LRANGE', 'l', '0', '-1'],
      [1, 'HSET', 'h', 'f', 'v'],
      [1, 'SADD', 's', 'm'],
      [1, 'ZADD', 'z', '1', 'm'],
      [1, 'RPUSH', 'l', 'x'],
      [0, 'EXISTS', 'a'],
      [0, 'STRLEN', 'b'],
      [1, 'DEL', 'a', 'b'],
      // Its own write: the reply first, then the invalidation.
      [0, 'GET', 'own'],
      [0, 'SET', 'own', '1'],
      // A write that changes nothing is no modification.
      [0, 'GET', 'own'],
      [1, 'SETNX', 'own', 'x'],
      [1, 'SET', 'own', 'y'],
      // Only the keys a write changes: the sources of SUNIONSTORE are read, not modified.
      [0, 'MGET', 'src1', 'src2', 'dst'],
      [1, 'SADD', 'src1', 'a'],
      [0, 'SMEMBERS', 'src1'],
      [1, 'SUNIONSTORE', 'dst', 'src1', 'src2'],
      [1, 'COPY', 'src1', 'copy'],
      [1, 'SADD', 'src1', 'b'],
      // DEL of a present and a missing key modifies only the present one; so does LMPOP.
      [1, 'SET', 'd1', 'x'],
      [0, 'MGET', 'd1', 'd2'],
      [1, 'DEL', 'd1', 'd2'],
      [0, 'MGET', 'd1', 'd2'],
      [1, 'SET', 'd2', 'y'],
      [1, 'RPUSH', 'l2', 'a'],
      [0, 'LRANGE', 'l1', '0', '-1'],
      [0, 'LRANGE', 'l2', '0', '-1'],
      [1, 'LMPOP', '2', 'l1', 'l2', 'LEFT'],
      [1, 'RPUSH', 'l1', 'a'],
      // The table is global: a write in another database invalidates the same name.
      [0, 'GET', 'x'],
      [1, 'SELECT', '3'],
      [1, 'SET', 'x', '1'],
      { on: 0, cmd: ['CLIENT', 'INFO'], ...INFO },
      { on: 0, cmd: ['CLIENT', 'TRACKINGINFO'], ids: true },
      { on: 0, cmd: ['CLIENT', 'GETREDIR'], ids: true },
      [0, 'CLIENT', 'TRACKING', 'OFF'],
      [0, 'GET', 'a'],
      [1, 'SET', 'a', '3'],
      { on: 0, cmd: ['CLIENT', 'TRACKINGINFO'], ids: true },
      { on: 0, cmd: ['CLIENT', 'GETREDIR'], ids: true },
    ]);
  });

  it('invalidations caused inside MULTI/EXEC and Lua reach the caller after the reply', async () => {
    await both([
      [0, 'HELLO', '3'],
      [0, 'CLIENT', 'TRACKING', 'ON'],
      [0, 'GET', 'a'],
      [0, 'MULTI'],
      [0, 'SET', 'a', '1'],
      [0, 'GET', 'a'],
      [0, 'INCR', 'n'],
      [0, 'EXEC'],
      [0, 'GET', 'n'],
      [0, 'EVAL', "redis.call('set', KEYS[1], 'x') redis.call('set', 'n', '5') return 1", '1', 'a'],
      [0, 'GET', 'a'],
      [1, 'EVAL', "return redis.call('set', KEYS[1], 'y')", '1', 'a'],
      // A read inside a script tracks the script call's keys (Redis 7.0 tracks the caller's argv).
      [0, 'EVAL', "return redis.call('get', 'inner')", '1', 'declared'],
      [1, 'SET', 'inner', '1'],
      [1, 'SET', 'declared', '1'],
      [0, 'EVAL', "return redis.call('get', KEYS[1])", '1', 'k'],
      [1, 'SET', 'k', '1'],
      // A script that reads nothing tracks nothing, and EVAL_RO itself reads nothing.
      [0, 'EVAL', 'return 1', '1', 'none'],
      [0, 'EVAL_RO', 'return 1', '1', 'none2'],
      [1, 'MSET', 'none', '1', 'none2', '2'],
      [0, 'EVAL_RO', "return redis.call('get', KEYS[1])", '1', 'ro'],
      [1, 'SET', 'ro', '1'],
      [0, 'FUNCTION', 'LOAD', "#!lua name=tlib\nredis.register_function{function_name='tget', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}"],
      [0, 'FCALL_RO', 'tget', '1', 'fk'],
      [1, 'SET', 'fk', '1'],
      [0, 'FUNCTION', 'DELETE', 'tlib'],
      // A blocked command served later: its reply, then what it invalidated for itself.
      [0, 'LRANGE', 'dst', '0', '-1'],
      [0, 'LRANGE', 'src', '0', '-1'],
      { on: 0, cmd: ['BLMOVE', 'src', 'dst', 'LEFT', 'LEFT', '0'], noReply: true },
      [1, 'RPUSH', 'src', 'a'],
      [0, 'PING'],
    ]);
  });

  it('stream consumer-group writes are not modifications; entries and MKSTREAM are', async () => {
    const read: SessionStep = [0, 'XLEN', 'st'];
    await both([
      [0, 'HELLO', '3'],
      [0, 'CLIENT', 'TRACKING', 'ON'],
      [1, 'XADD', 'st', '1-1', 'f', 'v'],
      [1, 'XADD', 'st', '2-1', 'f', 'v'],
      read,
      [1, 'XGROUP', 'CREATE', 'st', 'g', '0'],
      read,
      [1, 'XGROUP', 'CREATECONSUMER', 'st', 'g', 'c2'],
      read,
      [1, 'XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'st', '>'],
      read,
      [1, 'XACK', 'st', 'g', '1-1'],
      read,
      [1, 'XCLAIM', 'st', 'g', 'c2', '0', '2-1'],
      read,
      [1, 'XAUTOCLAIM', 'st', 'g', 'c', '0', '0'],
      read,
      [1, 'XGROUP', 'SETID', 'st', 'g', '0'],
      read,
      [1, 'XGROUP', 'DELCONSUMER', 'st', 'g', 'c2'],
      read,
      [1, 'XGROUP', 'DESTROY', 'st', 'g'],
      read,
      [1, 'XSETID', 'st', '5-0'],
      read,
      [0, 'XLEN', 'st2'],
      [1, 'XGROUP', 'CREATE', 'st2', 'g', '$', 'MKSTREAM'],
      [1, 'XTRIM', 'st', 'MAXLEN', '1'],
      read,
      [1, 'XDEL', 'st', '9-9'],
      [1, 'XDEL', 'st', '2-1'],
      [0, 'PING'],
    ]);
  });

  it('FLUSHDB and FLUSHALL tell every tracking client with a null', async () => {
    await both([
      [0, 'HELLO', '3'],
      [0, 'CLIENT', 'TRACKING', 'ON'],
      [1, 'HELLO', '3'],
      [1, 'CLIENT', 'TRACKING', 'ON', 'BCAST'],
      [2, 'HELLO', '3'],
      [0, 'GET', 'a'],
      [2, 'FLUSHDB'],
      [0, 'FLUSHDB'],
      [2, 'FLUSHALL', 'ASYNC'],
      // The table was emptied: a write now tells only BCAST clients.
      [2, 'SET', 'a', '1'],
      [0, 'CLIENT', 'TRACKING', 'OFF'],
      [2, 'FLUSHALL'],
      [2, 'SWAPDB', '0', '1'],
    ]);
  });

  it('BCAST with prefixes, NOLOOP, overlapping prefixes, and the empty prefix', async () => {
    await both([
      [0, 'HELLO', '3'],
      [0, 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'user:', 'PREFIX', 'obj:', 'NOLOOP'],
      { on: 0, cmd: ['CLIENT', 'TRACKINGINFO'], ids: true },
      { on: 0, cmd: ['CLIENT', 'INFO'], ...INFO },
      [1, 'MSET', 'user:2', 'a', 'obj:1', 'b', 'other', 'c', 'user:1', 'd'],
      [0, 'SET', 'user:3', 'x'], // NOLOOP: its own write is not sent back
      [1, 'SET', 'user:3', 'y'],
      // Keys read do not matter in BCAST mode.
      [0, 'GET', 'other'],
      [1, 'SET', 'other', '1'],
      [1, 'MULTI'],
      [1, 'SET', 'user:9', '1'],
      [1, 'SET', 'user:8', '1'],
      [1, 'DEL', 'user:9'],
      [1, 'EXEC'],
      [0, 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'use'],
      [0, 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'user:x'],
      [0, 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'ab', 'PREFIX', 'abc'],
      [0, 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'abc', 'PREFIX', 'ab'],
      [0, 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'zz'],
      { on: 0, cmd: ['CLIENT', 'TRACKINGINFO'], ids: true },
      [1, 'SET', 'zz1', '1'],
      [0, 'CLIENT', 'TRACKING', 'ON'],
      [0, 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'OPTIN'],
      [0, 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'OPTOUT'],
      [0, 'CLIENT', 'TRACKING', 'OFF'],
      { on: 0, cmd: ['CLIENT', 'TRACKINGINFO'], ids: true },
      [1, 'SET', 'user:1', '2'],
      [0, 'CLIENT', 'TRACKING', 'ON', 'BCAST'],
      { on: 0, cmd: ['CLIENT', 'TRACKINGINFO'], ids: true },
      [1, 'SET', 'q', '1'],
      [0, 'SET', 'q', '2'], // no NOLOOP now: sent back after the reply
      [1, 'DEL', 'q'],
      [2, 'HELLO', '3'],
      [2, 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'q'],
      [1, 'SET', 'q', '3'],
      [2, 'PING'],
    ]);
  });

  it('OPTIN and OPTOUT with CLIENT CACHING, for one command or one transaction', async () => {
    await both([
      [0, 'HELLO', '3'],
      [0, 'CLIENT', 'CACHING', 'YES'],
      [0, 'CLIENT', 'TRACKING', 'ON', 'OPTIN'],
      [0, 'CLIENT', 'CACHING', 'NO'],
      [0, 'CLIENT', 'CACHING', 'maybe'],
      [0, 'GET', 'a'],
      [0, 'CLIENT', 'CACHING', 'YES'],
      { on: 0, cmd: ['CLIENT', 'TRACKINGINFO'], ids: true },
      [0, 'GET', 'b'],
      { on: 0, cmd: ['CLIENT', 'TRACKINGINFO'], ids: true },
      [0, 'GET', 'c'],
      [1, 'MSET', 'a', '1', 'b', '2', 'c', '3'],
      [0, 'CLIENT', 'CACHING', 'YES'],
      [0, 'MULTI'],
      [0, 'GET', 'a'],
      [0, 'GET', 'b'],
      [0, 'EXEC'],
      [0, 'GET', 'c'],
      [1, 'MSET', 'a', '1', 'b', '2', 'c', '3'],
      [0, 'CLIENT', 'TRACKING', 'ON', 'OPTOUT'],
      [0, 'CLIENT', 'TRACKING', 'ON', 'OPTIN', 'OPTOUT'],
      [0, 'CLIENT', 'TRACKING', 'ON', 'OPTIN', 'NOLOOP'],
      { on: 0, cmd: ['CLIENT', 'TRACKINGINFO'], ids: true },
      [0, 'CLIENT', 'TRACKING', 'OFF'],
      [0, 'CLIENT', 'TRACKING', 'ON', 'OPTOUT', 'NOLOOP'],
      [0, 'CLIENT', 'CACHING', 'YES'],
      [0, 'CLIENT', 'CACHING', 'NO'],
      { on: 0, cmd: ['CLIENT', 'TRACKINGINFO'], ids: true },
      [0, 'GET', 'a'],
      [0, 'GET', 'b'],
      [1, 'MSET', 'a', '1', 'b', '2'],
      [0, 'GET', 'own'],
      [0, 'SET', 'own', '1'], // NOLOOP
      [1, 'SET', 'own', '2'],
      [0, 'CLIENT', 'TRACKING', 'ON', 'OPTIN'],
    ]);
  });

  it('REDIRECT to a RESP2 subscriber gets __redis__:invalidate messages; a gone target breaks it', async () => {
    await both([
      [0, 'SUBSCRIBE', '__redis__:invalidate'],
      [1, 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', '{id0}'],
      { on: 1, cmd: ['CLIENT', 'TRACKINGINFO'], ids: true },
      { on: 1, cmd: ['CLIENT', 'GETREDIR'], ids: true },
      { on: 1, cmd: ['CLIENT', 'INFO'], ...INFO },
      [1, 'GET', 'a'],
      [1, 'GET', 'b'],
      [2, 'MSET', 'a', '1', 'b', '2'],
      [1, 'GET', 'a'],
      [1, 'SET', 'a', '3'], // its own write, to the target
      [1, 'FLUSHALL'],
      [1, 'MGET', 'a', 'b'],
      { on: 2, cmd: ['CLIENT', 'LIST'], fields: ['id', 'flags', 'redir', 'sub'] },
      [0, 'QUIT'],
      [2, 'SET', 'a', '2'], // RESP2: nothing can be said, the flag is set
      { on: 1, cmd: ['CLIENT', 'TRACKINGINFO'], ids: true },
      { on: 1, cmd: ['CLIENT', 'INFO'], ...INFO },
      [1, 'HELLO', '3'],
      [2, 'SET', 'b', '1'], // RESP3: tracking-redir-broken
      { on: 1, cmd: ['CLIENT', 'TRACKINGINFO'], ids: true },
      { on: 1, cmd: ['CLIENT', 'GETREDIR'], ids: true },
      // Re-enabling clears the broken flag.
      [1, 'CLIENT', 'TRACKING', 'ON'],
      { on: 1, cmd: ['CLIENT', 'TRACKINGINFO'], ids: true },
    ]);
  });

  it('REDIRECT to a RESP3 client pushes invalidate; to a RESP2 client not subscribed: nothing', async () => {
    await both([
      [0, 'HELLO', '3'],
      [1, 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', '{id0}'],
      [1, 'GET', 'a'],
      [2, 'SET', 'a', '1'],
      [3, 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', '{id4}'],
      [4, 'PING'],
      [3, 'GET', 'b'],
      [2, 'SET', 'b', '1'],
      [4, 'PING'],
      [5, 'HELLO', '3'],
      [5, 'CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'p', 'REDIRECT', '{id0}'],
      [2, 'SET', 'p1', '1'],
      [5, 'PING'],
      // A tracking client in RESP2 without a redirect receives nothing.
      [6, 'CLIENT', 'TRACKING', 'ON'],
      [6, 'GET', 'c'],
      [2, 'SET', 'c', '1'],
      [6, 'PING'],
    ]);
  });

  it('expired and evicted keys invalidate', async () => {
    await both([
      [0, 'HELLO', '3'],
      [0, 'CLIENT', 'TRACKING', 'ON'],
      [1, 'SET', 'e', '1', 'PX', '30'],
      [0, 'GET', 'e'],
      { sleepMs: 80 },
      // Lazily (this read) or actively (the cron), e is gone and client 0 is told once.
      [1, 'GET', 'e'],
      [0, 'PING'],
      [1, 'CONFIG', 'SET', 'maxmemory-policy', 'allkeys-random'],
      [1, 'SET', 'big', 'x'.repeat(100)],
      [0, 'GET', 'big'],
      [1, 'CONFIG', 'SET', 'maxmemory', '1'],
      [1, 'CONFIG', 'SET', 'maxmemory', '0'],
      [1, 'CONFIG', 'SET', 'maxmemory-policy', 'noeviction'],
      [0, 'PING'],
    ]);
  });

  it('error texts and argument checks', async () => {
    await both([
      [0, 'CLIENT', 'TRACKING', 'ON', 'PREFIX', 'x'],
      [0, 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', '99999'],
      [0, 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', '0'],
      [0, 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', 'abc'],
      [0, 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', '-1'],
      [0, 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', '{id1}', 'REDIRECT', '{id1}'],
      [0, 'CLIENT', 'TRACKING', 'ON', 'FOO'],
      [0, 'CLIENT', 'TRACKING', 'MAYBE'],
      [0, 'CLIENT', 'TRACKING', 'MAYBE', 'REDIRECT', '99999'],
      [0, 'CLIENT', 'TRACKING', 'OFF', 'FOO'],
      [0, 'CLIENT', 'TRACKING', 'OFF', 'PREFIX', 'x', 'BCAST', 'OPTIN', 'OPTOUT'],
      [0, 'CLIENT', 'TRACKING', 'ON', 'PREFIX'],
      [0, 'CLIENT', 'TRACKING', 'ON', 'REDIRECT'],
      [0, 'CLIENT', 'TRACKING', 'on', 'bcast', 'prefix', 'a', 'noloop'],
      { on: 0, cmd: ['CLIENT', 'TRACKINGINFO'], ids: true },
      [0, 'CLIENT', 'TRACKING', 'off'],
      // Redirecting to itself is allowed: the messages come back on the same connection.
      [0, 'HELLO', '3'],
      [0, 'CLIENT', 'TRACKING', 'ON', 'REDIRECT', '{id0}'],
      [0, 'GET', 'self'],
      [1, 'SET', 'self', '1'],
      [0, 'CLIENT', 'TRACKING', 'off'],
      [0, 'HELLO', '2'],
      [0, 'CLIENT', 'TRACKING'],
      [0, 'CLIENT', 'CACHING'],
      [0, 'CLIENT', 'CACHING', 'YES', 'x'],
      [0, 'CLIENT', 'TRACKINGINFO', 'x'],
      [0, 'CLIENT', 'GETREDIR', 'x'],
      [0, 'CLIENT', 'CACHING', 'YES'],
      [0, 'CLIENT', 'CACHING', 'NO'],
      [0, 'MULTI'],
      [0, 'CLIENT', 'TRACKING', 'ON'],
      [0, 'EXEC'],
      { on: 0, cmd: ['CLIENT', 'TRACKINGINFO'], ids: true },
      [0, 'EVAL', "return redis.call('client', 'tracking', 'on')", '0'],
      [0, 'RESET'],
      { on: 0, cmd: ['CLIENT', 'TRACKINGINFO'], ids: true },
    ]);
  });

  it('CLIENT HELP has Redis 7.0.15 lines in its order (Lodestone adds the 7.2 SETINFO and NO-TOUCH)', async () => {
    const lines = async (port: number) => {
      const c = await RawClient.connect(port);
      const r = (await c.call('CLIENT', 'HELP')) as { v: { v: string }[] };
      c.close();
      return r.v.map((x) => x.v);
    };
    const ours = await lines(ls.port);
    const theirs = await lines(redis.port);
    const added = new Set(['SETINFO <option> <value>', '    Set client meta attr. Options are:', '    * LIB-NAME: the client lib name.',
      '    * LIB-VER: the client lib version.', 'NO-TOUCH (ON|OFF)', '    Will not touch LRU/LFU stats when this mode is on.']);
    expect(ours.filter((l) => !added.has(l))).toEqual(theirs);
  });

  it('CLIENT REPLY OFF / SKIP silence replies, not pushes (invalidations, pub/sub)', async () => {
    await both([
      [0, 'HELLO', '3'],
      [0, 'CLIENT', 'TRACKING', 'ON'],
      [0, 'GET', 'a'],
      { on: 0, cmd: ['CLIENT', 'REPLY', 'OFF'], noReply: true },
      [1, 'SET', 'a', '1'],
      [0, 'SUBSCRIBE', 'x'],
      [1, 'PUBLISH', 'x', 'm'],
      [0, 'CLIENT', 'REPLY', 'ON'],
      [0, 'GET', 'b'],
      { on: 0, cmd: ['CLIENT', 'REPLY', 'SKIP'], noReply: true },
      { on: 0, cmd: ['SET', 'b', '2'], noReply: true },
      [0, 'PING'],
      { on: 2, cmd: ['CLIENT', 'REPLY', 'OFF'], noReply: true },
      [2, 'SUBSCRIBE', 'y'],
      [1, 'PUBLISH', 'y', 'm'],
      [2, 'UNSUBSCRIBE', 'y'],
      [2, 'CLIENT', 'REPLY', 'ON'],
    ]);
  });

  it('COMMAND INFO and DOCS of the tracking subcommands match', async () => {
    await both([
      [0, 'COMMAND', 'INFO', 'client|tracking', 'client|caching', 'client|getredir', 'client|trackinginfo'],
      [0, 'COMMAND', 'DOCS', 'client|tracking', 'client|caching', 'client|getredir', 'client|trackinginfo'],
      [0, 'CONFIG', 'GET', 'tracking-table-max-keys'],
    ]);
  });

  it('INFO counts tracking clients, keys, items and prefixes', async () => {
    const field = (text: string, name: string) => new RegExp(`^${name}:(\\d+)`, 'm').exec(text)?.[1];
    for (const port of [ls.port, redis.port]) {
      const a = await RawClient.connect(port);
      const b = await RawClient.connect(port);
      await a.call('FLUSHALL');
      await a.call('CLIENT', 'TRACKING', 'ON');
      await b.call('CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'x', 'PREFIX', 'y');
      await a.call('MGET', 'k1', 'k2', 'k3');
      const info = (await a.call('INFO')) as { v: string };
      expect(field(info.v, 'tracking_clients'), String(port)).toBe('2');
      expect(field(info.v, 'tracking_total_keys'), String(port)).toBe('3');
      expect(field(info.v, 'tracking_total_items'), String(port)).toBe('3');
      expect(field(info.v, 'tracking_total_prefixes'), String(port)).toBe('2');
      b.close();
      await a.call('SET', 'k1', 'v');
      await a.call('CLIENT', 'TRACKING', 'OFF');
      // Wait for b's disconnect to be processed (it is asynchronous to this connection).
      let clients = '';
      for (let i = 0; i < 200; i++) {
        clients = field(((await a.call('INFO', 'clients')) as { v: string }).v, 'tracking_clients') ?? '';
        if (clients === '0') break;
        await new Promise((r) => setTimeout(r, 10));
      }
      const after = ((await a.call('INFO')) as { v: string }).v;
      expect(clients, String(port)).toBe('0');
      expect(field(after, 'tracking_total_keys'), String(port)).toBe('2');
      expect(field(after, 'tracking_total_prefixes'), String(port)).toBe('0');
      a.close();
    }
  });

  it('tracking-table-max-keys: past the limit, entries are invalidated as if modified', async () => {
    // Redis evicts random entries, Lodestone the oldest: compare how many, not which.
    const counts: number[][] = [];
    for (const port of [ls.port, redis.port]) {
      const steps: SessionStep[] = [
        [0, 'HELLO', '3'],
        [0, 'CLIENT', 'TRACKING', 'ON'],
        [0, 'MGET', 'k1', 'k2', 'k3', 'k4'],
        [1, 'CONFIG', 'SET', 'tracking-table-max-keys', '2'],
        [0, 'PING'],
        [0, 'GET', 'k5'],
        [0, 'PING'],
        [1, 'CONFIG', 'SET', 'tracking-table-max-keys', '1000000'],
      ];
      await runSession(port, [[0, 'FLUSHALL']]);
      const [log] = await runSession(port, steps);
      counts.push([log.filter((f) => f.startsWith('push[bulk("invalidate")')).length]);
    }
    expect(counts[0]).toEqual(counts[1]);
    expect(counts[0][0]).toBe(3);
  });
});

describe('client tracking: WASM calls (Lodestone only)', () => {
  let ls: LodestoneHandle;
  beforeAll(async () => {
    ls = await startLodestone();
  });
  afterAll(async () => {
    await ls?.close();
  });

  it('an invalidation caused by a WASM function reaches the caller after its reply', async () => {
    const c = await RawClient.connect(ls.port);
    try {
      const wasm = readFileSync(join(ROOT, 'wasm-examples/build/counter.wasm'));
      expect(await c.call('WASM.LOAD', 'counter', wasm, 'PERMISSIONS', 'WRITE')).toEqual({ t: 'status', v: 'OK' });
    } finally {
      c.close();
    }
    const [log, other] = await runSession(ls.port, [
      [0, 'HELLO', '3'],
      [0, 'CLIENT', 'TRACKING', 'ON'],
      [0, 'GET', 'hits:bob'],
      [0, 'WASM.CALL', 'counter', 'KEYS', 'hits:bob'],
      [0, 'GET', 'hits:bob'],
      [1, 'WASM.CALL', 'counter', 'KEYS', 'hits:bob'],
    ]);
    expect(log).toEqual([
      'status("HELLO reply")',
      'status("OK")',
      'null',
      'int("1")',
      'push[bulk("invalidate"), array[bulk("hits:bob")]]',
      'bulk("1")',
      'push[bulk("invalidate"), array[bulk("hits:bob")]]',
    ]);
    expect(other).toEqual(['int("2")']);
  });
});
