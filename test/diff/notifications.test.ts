// Differential tests for keyspace notifications (notify-keyspace-events): the same command script
// runs on Lodestone and on a real redis-server 7.0.15 while a subscriber on each holds
// PSUBSCRIBE '__key*@*__:*', and the complete ordered sequence of pmessages must be identical —
// every family's event names and classes, `new` (n), `keymiss` (m), `expired` (lazy and active),
// `evicted`, the del that follows a container emptied by a write, and events from MULTI/EXEC, EVAL,
// FCALL, blocked clients being served, and (Lodestone side) WASM.CALL compared with an equivalent
// EVAL on Redis. The replies are compared too, so a diverging command is named before its events,
// and a marker after each command (published on a plain channel) shows whose events differ.
// Asynchronous events (active expiry, eviction) are waited for by polling, never by timing. Last,
// an in-process check with a fake clock: a key past its TTL chosen for eviction is `evicted`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import wabtInit from 'wabt';
import { RawClient } from '../helpers/raw-client.js';
import { encodeCommand, RespValue, show } from '../helpers/resp.js';
import { until } from '../helpers/poll.js';
import { FakeClock, LodestoneHandle, ProcessHandle, skipReason, startLodestone, startRedis } from '../helpers/servers.js';

type Step =
  | string[]
  /** Different commands per server (WASM.CALL on Lodestone, the equivalent EVAL on Redis). */
  | { ls: string[]; rs: string[] }
  /** DUMP `from` then RESTORE the payload at `to` (each server restores its own dump), + options. */
  | { dumpRestore: [string, string, ...string[]] }
  /** Sent on a second connection without waiting: a blocking command that blocks. */
  | { block: string[] }
  /** Wait for the blocked connection's reply (after the command that serves it). */
  | { unblocked: true }
  /** Wait until `count` events with this message or channel have arrived (active expiry, timers). */
  | { waitEvent: string; count?: number }
  /** Sleep (real time), e.g. to let a PX key pass its TTL before a lazy lookup. */
  | { sleep: number };

interface Observed {
  events: string[];
  replies: string[];
}

const END = 'notifications-test-end';

function bulkParts(m: RespValue): string[] {
  return (m as { v: RespValue[] }).v.map((x) => (x as { v: string }).v);
}

async function observe(port: number, flags: string, steps: Step[], inproc?: LodestoneHandle, side: 'ls' | 'rs' = 'ls'): Promise<Observed> {
  if (inproc) for (const db of inproc.server.dbs) db.clear();
  const c = await RawClient.connect(port);
  const sub = await RawClient.connect(port);
  const blk = await RawClient.connect(port);
  const events: string[] = [];
  const replies: string[] = [];
  let done = false;
  try {
    await c.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    await c.call('CONFIG', 'SET', 'maxmemory', '0');
    await c.call('FLUSHALL');
    await c.call('SCRIPT', 'FLUSH');
    await c.call('FUNCTION', 'FLUSH');
    await c.call('CONFIG', 'SET', 'notify-keyspace-events', flags);
    await sub.call('PSUBSCRIBE', '__key*@*__:*');
    await sub.call('SUBSCRIBE', END);
    // Read every message as it comes, so steps can wait for asynchronous ones (active expiry).
    const reader = (async () => {
      for (;;) {
        let m: RespValue;
        try {
          m = await sub.read(60000);
        } catch {
          return; // the connection closed after a failed step
        }
        const parts = bulkParts(m);
        if (parts[0] === 'message') {
          if (parts[2] === 'end') {
            done = true;
            return;
          }
          events.push(parts[2]); // the step marker
        } else events.push(parts.slice(2).join(' '));
      }
    })();
    let pending: Promise<RespValue> | null = null;
    // After each command a marker (published on END, not a keyspace channel) goes into the event
    // list, so a difference shows which command's events differ.
    const mark = (what: string) => c.call('PUBLISH', END, `> ${what}`);
    for (const step of steps) {
      if (Array.isArray(step)) {
        replies.push(`${step.join(' ')} -> ${show(await c.call(...step))}`);
        await mark(step.join(' ').slice(0, 60));
      } else if ('ls' in step) {
        replies.push(`${step.ls[0]} -> ${show(await c.call(...step[side]))}`);
        await mark(step.ls[0]);
      } else if ('dumpRestore' in step) {
        const d = (await c.call('DUMP', step.dumpRestore[0])) as { v: string };
        const payload = Buffer.from(d.v, 'latin1');
        const [, to, ...opts] = step.dumpRestore;
        replies.push(`RESTORE -> ${show(await c.call('RESTORE', to, '0', payload, ...opts))}`);
        await mark(`RESTORE ${to} ${opts.join(' ')}`);
      } else if ('block' in step) {
        blk.socket.write(encodeCommand(step.block));
        pending = blk.read(30000);
        await until(async () => {
          const v = (await c.call('INFO', 'clients')) as { v: string };
          return /blocked_clients:1\r\n/.test(v.v);
        }, 10000, 'client blocked');
      } else if ('unblocked' in step) {
        replies.push(`(unblocked) -> ${show(await pending!)}`);
        pending = null;
      } else if ('waitEvent' in step) {
        const n = step.count ?? 1;
        await until(() => events.filter((e) => e.startsWith('__') && (e.endsWith(` ${step.waitEvent}`) || e.includes(`:${step.waitEvent} `))).length >= n, 15000, `event ${step.waitEvent}`);
      } else {
        await new Promise((r) => setTimeout(r, step.sleep));
      }
    }
    await c.call('PUBLISH', END, 'end');
    await reader;
    await c.call('CONFIG', 'SET', 'notify-keyspace-events', '');
    await c.call('CONFIG', 'SET', 'maxmemory', '0');
    return { events, replies };
  } finally {
    if (!done) sub.close();
    c.close();
    sub.close();
    blk.close();
  }
}

describe.skipIf(skipReason('keyspace notification differential tests', 'redis-server'))('keyspace notifications: differential vs redis-server', () => {
  let ls: LodestoneHandle;
  let rs: ProcessHandle;

  beforeAll(async () => {
    [ls, rs] = await Promise.all([startLodestone({ 'enable-debug-command': 'yes' }), startRedis(['--enable-debug-command', 'yes'])]);
  });
  afterAll(async () => {
    await Promise.all([ls?.close(), rs?.close()]);
  });

  async function same(flags: string, steps: Step[]): Promise<Observed> {
    const theirs = await observe(rs.port, flags, steps, undefined, 'rs');
    const mine = await observe(ls.port, flags, steps, ls, 'ls');
    expect(mine.replies).toEqual(theirs.replies);
    expect(mine.events).toEqual(theirs.events);
    return theirs;
  }

  const STRINGS: Step[] = [
    // Canonical text, as 7.0.15 shows it (`KEAnm` reads back as `AKEm`, yet n stays on).
    ['CONFIG', 'GET', 'notify-keyspace-events'],
    ['SET', 's', 'v'],
    ['SET', 's', 'w'],
    ['SET', 's', 'x', 'NX'],
    ['SET', 's', 'x', 'XX'],
    ['SET', 'nx', 'x', 'XX'],
    ['SET', 's', 'y', 'EX', '100'],
    ['SET', 's', 'y', 'PX', '100000', 'GET'],
    ['SET', 's', 'z', 'KEEPTTL'],
    ['SET', 'g', 'v', 'GET'],
    ['SETNX', 's', 'a'],
    ['SETNX', 'n1', 'a'],
    ['SETEX', 'n2', '100', 'a'],
    ['PSETEX', 'n3', '100000', 'a'],
    ['GETSET', 'n1', 'b'],
    ['GETSET', 'n4', 'b'],
    ['MSET', 'm1', 'a', 'm2', 'b', 'm1', 'c'],
    ['MSETNX', 'm1', 'a', 'm9', 'b'],
    ['MSETNX', 'm8', 'a', 'm9', 'b'],
    ['INCR', 'i'],
    ['INCRBY', 'i', '5'],
    ['DECR', 'i'],
    ['DECRBY', 'i', '2'],
    ['DECRBY', 'j', '2'],
    ['INCR', 's'],
    ['INCRBYFLOAT', 'f', '1.5'],
    ['INCRBYFLOAT', 'f', '1.5'],
    ['INCRBYFLOAT', 's', '1'],
    ['APPEND', 'a', 'x'],
    ['APPEND', 'a', 'yz'],
    ['SETRANGE', 'a', '1', 'Q'],
    ['SETRANGE', 'a', '1', ''],
    ['SETRANGE', 'r', '0', ''],
    ['SETRANGE', 'r', '2', 'abc'],
    ['GETDEL', 'r'],
    ['GETDEL', 'r'],
    ['GETEX', 'a'],
    ['GETEX', 'a', 'EX', '100'],
    ['GETEX', 'a', 'PX', '100000'],
    ['GETEX', 'a', 'PERSIST'],
    ['GETEX', 'a', 'PERSIST'],
    ['GETEX', 'a', 'PXAT', '1'],
    ['GETEX', 'missing', 'EX', '10'],
    ['SET', 'p', 'v', 'PXAT', '1'],
    ['EXISTS', 'p'],
    ['GET', 's'],
    ['MGET', 's', 'a', 'i'],
    ['LCS', 's', 'i'],
    ['STRLEN', 's'],
    ['GETRANGE', 's', '0', '1'],
  ];

  it('strings (KEA)', async () => {
    await same('KEA', STRINGS);
  });

  it('strings with new and keymiss (KEAnm)', async () => {
    await same('KEAnm', STRINGS);
  });

  const KEYS: Step[] = [
    ['SET', 'a', '1'],
    ['SET', 'b', '2'],
    ['DEL', 'a', 'b', 'c'],
    ['SET', 'a', '1'],
    ['UNLINK', 'a', 'nokey'],
    ['SET', 'a', '1'],
    ['RENAME', 'a', 'b'],
    ['SET', 'c', '3'],
    ['RENAME', 'b', 'c'],
    ['RENAME', 'c', 'c'],
    ['RENAME', 'nokey', 'x'],
    ['RENAMENX', 'c', 'd'],
    ['SET', 'e', '1'],
    ['RENAMENX', 'd', 'e'],
    ['MOVE', 'd', '1'],
    ['MOVE', 'e', '1'],
    ['SELECT', '1'],
    ['MOVE', 'd', '0'],
    ['SELECT', '0'],
    ['COPY', 'd', 'd2'],
    ['COPY', 'd', 'd2'],
    ['COPY', 'd', 'd2', 'REPLACE'],
    ['COPY', 'd', 'd3', 'DB', '2'],
    ['COPY', 'nokey', 'd4'],
    ['EXPIRE', 'd', '100'],
    ['EXPIRE', 'd', '100', 'NX'],
    ['PEXPIRE', 'd', '100000', 'XX'],
    ['EXPIREAT', 'd', '99999999999'],
    ['PEXPIREAT', 'd', '99999999999000'],
    ['EXPIRE', 'nokey', '100'],
    ['EXPIRETIME', 'd'],
    ['PERSIST', 'd'],
    ['PERSIST', 'd'],
    ['EXPIRE', 'd', '-1'],
    ['SET', 'd', '1'],
    ['PEXPIREAT', 'd', '1'],
    ['SET', 'd', '1'],
    ['EXPIRE', 'd', '0'],
    ['SET', 'k', 'v'],
    ['TYPE', 'k'],
    ['TYPE', 'nokey'],
    ['EXISTS', 'k', 'nokey'],
    ['TOUCH', 'k', 'nokey'],
    ['TTL', 'nokey'],
    ['OBJECT', 'ENCODING', 'nokey'],
    ['DUMP', 'nokey'],
    ['SET', 'r', 'v'],
    { dumpRestore: ['r', 'r2'] },
  ];

  it('keys (KEAnm)', async () => {
    await same('KEAnm', [
      ...KEYS,
      ['SET', 'x', '1'],
      ['SET', 'y', '1'],
      ['FLUSHDB'],
      ['SET', 'x', '1'],
      ['SWAPDB', '0', '1'],
      ['FLUSHALL'],
    ]);
  });

  const LISTS: Step[] = [
    ['LPUSH', 'l', 'a', 'b'],
    ['RPUSH', 'l', 'c'],
    ['LPUSHX', 'l', 'd'],
    ['RPUSHX', 'l', 'e'],
    ['LPUSHX', 'nol', 'd'],
    ['RPUSHX', 'nol', 'e'],
    ['LINSERT', 'l', 'BEFORE', 'a', 'x'],
    ['LINSERT', 'l', 'AFTER', 'zz', 'x'],
    ['LINSERT', 'nol', 'AFTER', 'a', 'x'],
    ['LSET', 'l', '0', 'y'],
    ['LSET', 'l', '99', 'y'],
    ['LREM', 'l', '0', 'x'],
    ['LREM', 'l', '0', 'nothere'],
    ['LTRIM', 'l', '0', '2'],
    ['LTRIM', 'l', '0', '-1'],
    ['LPOP', 'l'],
    ['RPOP', 'l'],
    ['LPOP', 'l', '5'],
    ['LPOP', 'l'],
    ['RPUSH', 'l', 'a', 'b', 'c'],
    ['LTRIM', 'l', '5', '10'],
    ['RPUSH', 'l', 'a', 'b', 'c'],
    ['LREM', 'l', '0', 'a'],
    ['LREM', 'l', '0', 'b'],
    ['LREM', 'l', '0', 'c'],
    ['RPUSH', 'src', 'a', 'b'],
    ['LMOVE', 'src', 'dst', 'LEFT', 'RIGHT'],
    ['RPOPLPUSH', 'src', 'dst'],
    ['RPOPLPUSH', 'src', 'dst'],
    ['LMOVE', 'dst', 'dst', 'LEFT', 'LEFT'],
    ['LMPOP', '2', 'nol', 'dst', 'LEFT', 'COUNT', '1'],
    ['LMPOP', '2', 'nol', 'dst', 'RIGHT', 'COUNT', '5'],
    ['LPOP', 'nol'],
    ['LRANGE', 'nol', '0', '-1'],
    ['LLEN', 'nol'],
    ['LINDEX', 'nol', '0'],
    ['LPOS', 'nol', 'a'],
    ['RPUSH', 'q', 'only'],
    ['BLPOP', 'q', '0'],
    ['BRPOP', 'q', '0.01'],
    { block: ['BLPOP', 'q', '0'] },
    ['RPUSH', 'q', 'x'],
    { unblocked: true },
    { block: ['BRPOP', 'q', '0'] },
    ['RPUSH', 'q2', 'z'],
    ['RPOPLPUSH', 'q2', 'q'],
    { unblocked: true },
    { block: ['BLMOVE', 'q3', 'q4', 'RIGHT', 'LEFT', '0'] },
    ['LPUSH', 'q3', 'm'],
    { unblocked: true },
    { block: ['BRPOPLPUSH', 'q5', 'q5', '0'] },
    ['LPUSH', 'q5', 'm'],
    { unblocked: true },
    { block: ['BLMPOP', '0', '1', 'q6', 'LEFT', 'COUNT', '3'] },
    ['RPUSH', 'q6', 'a', 'b'],
    { unblocked: true },
    ['RPUSH', 'q7', 'a', 'b'],
    ['BLMPOP', '0', '1', 'q7', 'RIGHT', 'COUNT', '3'],
    ['BLMOVE', 'q4', 'q7', 'LEFT', 'RIGHT', '0'],
  ];

  it('lists, including blocked clients being served (KEAnm)', async () => {
    await same('KEAnm', LISTS);
  });

  it('lists with subsets of classes (Kl, Eg$)', async () => {
    await same('Kl', LISTS);
    await same('Eg$', [...LISTS, ...STRINGS]);
  });

  const SETS: Step[] = [
    ['SADD', 's', 'a', 'b', 'c'],
    ['SADD', 's', 'a'],
    ['SADD', 's', 'a', 'd'],
    ['SREM', 's', 'nothere'],
    ['SREM', 's', 'a'],
    ['SREM', 'nos', 'a'],
    ['SMOVE', 's', 't', 'b'],
    ['SMOVE', 's', 't', 'nothere'],
    ['SADD', 't', 'c'],
    ['SMOVE', 's', 't', 'c'],
    ['SMOVE', 's', 't', 'd'],
    ['SMOVE', 't', 't', 'd'],
    ['SMOVE', 'nos', 't', 'd'],
    ['SREM', 't', 'b', 'c'],
    ['SPOP', 't', '10'],
    ['SADD', 's', 'x'],
    ['SPOP', 's'],
    ['SPOP', 's'],
    ['SADD', 's', 'x', 'y'],
    ['SPOP', 's', '0'],
    ['SADD', 'u', 'y', 'z'],
    ['SINTERSTORE', 'd', 's', 'u'],
    ['SINTERSTORE', 'd', 's', 'u'],
    ['SINTERSTORE', 'd', 's', 'nos'],
    ['SINTERSTORE', 'd', 's', 'nos'],
    ['SUNIONSTORE', 'd', 's', 'u'],
    ['SUNIONSTORE', 'd', 'nos'],
    ['SDIFFSTORE', 'd', 's', 'u'],
    ['SDIFFSTORE', 'd', 's', 's'],
    ['SDIFFSTORE', 'd', 'u', 's'],
    ['SINTERCARD', '2', 's', 'u'],
    ['SISMEMBER', 'nos', 'a'],
    ['SMEMBERS', 'nos'],
    ['SCARD', 'nos'],
    ['SINTER', 'nos', 's'],
    ['SUNION', 'nos', 'nos2'],
  ];

  it('sets (KEAnm)', async () => {
    await same('KEAnm', SETS);
  });

  const HASHES: Step[] = [
    ['HSET', 'h', 'a', '1', 'b', '2'],
    ['HSET', 'h', 'a', '1'],
    ['HMSET', 'h', 'c', '3'],
    ['HSETNX', 'h', 'a', '9'],
    ['HSETNX', 'h', 'z', '9'],
    ['HSETNX', 'h2', 'z', '9'],
    ['HDEL', 'h', 'nothere'],
    ['HDEL', 'h', 'a', 'b'],
    ['HINCRBY', 'h', 'c', '2'],
    ['HINCRBY', 'h3', 'c', '2'],
    ['HINCRBY', 'h', 'z', '2'],
    ['HINCRBYFLOAT', 'h', 'c', '1.5'],
    ['HINCRBYFLOAT', 'h4', 'c', '1.5'],
    ['HDEL', 'h', 'c', 'z'],
    ['HDEL', 'h2', 'z'],
    ['HGET', 'nohash', 'a'],
    ['HGETALL', 'nohash'],
    ['HMGET', 'nohash', 'a'],
    ['HLEN', 'nohash'],
    ['HEXISTS', 'nohash', 'a'],
  ];

  it('hashes (KEAnm)', async () => {
    await same('KEAnm', HASHES);
  });

  const ZSETS: Step[] = [
    ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
    ['ZADD', 'z', '1', 'a'],
    ['ZADD', 'z', '5', 'a'],
    ['ZADD', 'z', 'NX', '5', 'a'],
    ['ZADD', 'z', 'XX', '6', 'a'],
    ['ZADD', 'nz', 'XX', '6', 'a'],
    ['ZADD', 'z', 'INCR', '1', 'a'],
    ['ZADD', 'z', 'GT', '1', 'a'],
    ['ZADD', 'z', 'CH', '8', 'a'],
    ['ZINCRBY', 'z', '1', 'b'],
    ['ZINCRBY', 'z2', '1', 'b'],
    ['ZREM', 'z', 'nothere'],
    ['ZREM', 'z', 'a'],
    ['ZREM', 'z2', 'b'],
    ['ZADD', 'z', '1', 'a', '2', 'd', '4', 'e', '5', 'f'],
    ['ZREMRANGEBYSCORE', 'z', '100', '200'],
    ['ZREMRANGEBYSCORE', 'z', '1', '1'],
    ['ZREMRANGEBYRANK', 'z', '0', '0'],
    ['ZREMRANGEBYRANK', 'z', '50', '60'],
    ['ZADD', 'lex', '0', 'a', '0', 'b', '0', 'c'],
    ['ZREMRANGEBYLEX', 'lex', '[a', '[a'],
    ['ZREMRANGEBYLEX', 'lex', '[x', '[y'],
    ['ZREMRANGEBYLEX', 'lex', '-', '+'],
    ['ZPOPMIN', 'z'],
    ['ZPOPMAX', 'z'],
    ['ZPOPMIN', 'z', '0'],
    ['ZPOPMAX', 'z', '10'],
    ['ZPOPMIN', 'z'],
    ['ZADD', 'z', '1', 'a', '2', 'b', '3', 'c'],
    ['ZADD', 'y', '1', 'b', '2', 'c', '3', 'd'],
    ['ZRANGESTORE', 'dst', 'z', '0', '1'],
    ['ZRANGESTORE', 'dst', 'z', '10', '11'],
    ['ZRANGESTORE', 'dst', 'z', '10', '11'],
    ['ZRANGESTORE', 'dst', 'nz', '0', '1'],
    ['ZUNIONSTORE', 'dst', '2', 'nz', 'nz2'],
    ['ZUNIONSTORE', 'dst', '2', 'z', 'y'],
    ['ZINTERSTORE', 'dst', '2', 'z', 'y'],
    ['ZINTERSTORE', 'dst', '2', 'z', 'nz'],
    ['ZDIFFSTORE', 'dst', '2', 'z', 'y'],
    ['ZDIFFSTORE', 'dst', '2', 'z', 'z'],
    ['ZMPOP', '2', 'nz', 'z', 'MIN', 'COUNT', '5'],
    ['BZPOPMIN', 'y', '0'],
    ['BZPOPMAX', 'y', '0'],
    ['BZMPOP', '0', '1', 'y', 'MAX'],
    { block: ['BZPOPMIN', 'bz', '0'] },
    ['ZADD', 'bz', '1', 'a'],
    { unblocked: true },
    { block: ['BZMPOP', '0', '1', 'bz', 'MIN', 'COUNT', '3'] },
    ['ZADD', 'bz', '3', 'c'],
    { unblocked: true },
    ['ZSCORE', 'nz', 'a'],
    ['ZRANGE', 'nz', '0', '-1'],
    ['ZCARD', 'nz'],
    ['ZRANK', 'nz', 'a'],
  ];

  it('sorted sets (KEAnm)', async () => {
    await same('KEAnm', ZSETS);
  });

  const STREAMS: Step[] = [
    ['XADD', 'x', '1-1', 'f', 'v'],
    ['XADD', 'x', '2-1', 'f', 'v'],
    ['XADD', 'x', 'MAXLEN', '1', '3-1', 'f', 'v'],
    ['XADD', 'nx', 'NOMKSTREAM', '3-1', 'f', 'v'],
    ['XADD', 'x', '1-1', 'f', 'v'],
    ['XTRIM', 'x', 'MAXLEN', '5'],
    ['XADD', 'x', '4-1', 'f', 'v'],
    ['XTRIM', 'x', 'MAXLEN', '1'],
    ['XDEL', 'x', '9-9'],
    ['XADD', 'x', '5-1', 'f', 'v'],
    ['XDEL', 'x', '4-1', '9-9'],
    ['XSETID', 'x', '10-1'],
    ['XGROUP', 'CREATE', 'x', 'g', '0'],
    ['XGROUP', 'CREATE', 'x', 'g', '0'],
    ['XGROUP', 'CREATE', 'ns', 'g', '0', 'MKSTREAM'],
    ['XGROUP', 'CREATECONSUMER', 'x', 'g', 'c1'],
    ['XGROUP', 'CREATECONSUMER', 'x', 'g', 'c1'],
    ['XGROUP', 'SETID', 'x', 'g', '0'],
    ['XREADGROUP', 'GROUP', 'g', 'c2', 'COUNT', '5', 'STREAMS', 'x', '>'],
    ['XREADGROUP', 'GROUP', 'g', 'c2', 'COUNT', '5', 'STREAMS', 'x', '>'],
    ['XACK', 'x', 'g', '5-1'],
    ['XADD', 'x', '11-1', 'f', 'v'],
    ['XREADGROUP', 'GROUP', 'g', 'c2', 'STREAMS', 'x', '>'],
    ['XCLAIM', 'x', 'g', 'c3', '0', '11-1'],
    ['XCLAIM', 'x', 'g', 'c3', '0', '99-1'],
    ['XAUTOCLAIM', 'x', 'g', 'c4', '0', '0-0'],
    ['XGROUP', 'DELCONSUMER', 'x', 'g', 'c4'],
    ['XGROUP', 'DELCONSUMER', 'x', 'g', 'nobody'],
    ['XGROUP', 'DESTROY', 'x', 'g'],
    ['XGROUP', 'DESTROY', 'x', 'g'],
    { block: ['XREAD', 'BLOCK', '0', 'STREAMS', 'bs', '$'] },
    ['XADD', 'bs', '1-1', 'f', 'v'],
    { unblocked: true },
    ['XGROUP', 'CREATE', 'bs', 'bg', '$'],
    { block: ['XREADGROUP', 'GROUP', 'bg', 'newc', 'BLOCK', '0', 'STREAMS', 'bs', '>'] },
    ['XADD', 'bs', '2-1', 'f', 'v'],
    { unblocked: true },
    { block: ['XREADGROUP', 'GROUP', 'bg', 'newc2', 'BLOCK', '0', 'STREAMS', 'bs', '>'] },
    ['XGROUP', 'DESTROY', 'bs', 'bg'],
    { unblocked: true },
    ['XLEN', 'nox'],
    ['XRANGE', 'nox', '-', '+'],
    ['XREAD', 'STREAMS', 'nox', '0'],
    ['XINFO', 'STREAM', 'nox'],
  ];

  it('streams (KEAnm)', async () => {
    await same('KEAnm', STREAMS);
  });

  it('keymiss: write commands that read with lookupKeyRead, and those that do not (m)', async () => {
    await same('Km', [
      ['SORT', 'nokey'],
      ['SORT_RO', 'nokey'],
      ['RPUSH', 'l', '2', '1'],
      ['SORT', 'l', 'BY', 'w_*', 'GET', 'o_*', 'GET', '#'],
      ['SORT', 'l', 'BY', 'nosort', 'GET', 'o_*', 'STORE', 'dst'],
      ['PFCOUNT', 'nokey'],
      ['PFCOUNT', 'nokey', 'nokey2'],
      ['PFADD', 'hll', 'a'],
      ['PFMERGE', 'hll', 'nokey'],
      ['BITOP', 'AND', 'd', 'nokey', 'nokey2'],
      ['BITFIELD', 'nokey', 'GET', 'u8', '0'],
      ['BITFIELD_RO', 'nokey', 'GET', 'u8', '0'],
      ['BITFIELD', 'nokey', 'SET', 'u8', '0', '1'],
      ['BITCOUNT', 'nokey'],
      ['GETBIT', 'nokey', '0'],
      ['SETBIT', 'nokey3', '0', '1'],
      ['LMOVE', 'nokey', 'x', 'LEFT', 'LEFT'],
      ['RPOPLPUSH', 'nokey', 'x'],
      ['SMOVE', 'nokey', 'x', 'm'],
      ['LPOP', 'nokey'],
      ['SPOP', 'nokey'],
      ['ZPOPMIN', 'nokey'],
      ['HDEL', 'nokey', 'f'],
      ['INCR', 'nokey4'],
      ['APPEND', 'nokey5', 'x'],
      ['EXPIRE', 'nokey', '10'],
      ['PERSIST', 'nokey'],
      ['RENAME', 'nokey', 'x'],
      ['MOVE', 'nokey', '1'],
      ['XADD', 'nokey', 'NOMKSTREAM', '*', 'f', 'v'],
      ['XINFO', 'STREAM', 'nokey'],
      ['OBJECT', 'FREQ', 'nokey'],
      ['MEMORY', 'USAGE', 'nokey'],
      ['DEL', 'nokey'],
      ['EXISTS', 'nokey'],
      ['TYPE', 'nokey'],
      ['PTTL', 'nokey'],
      ['EXPIRETIME', 'nokey'],
      ['SINTERCARD', '1', 'nokey'],
      ['ZINTERCARD', '1', 'nokey'],
      ['ZUNION', '1', 'nokey'],
      ['LCS', 'nokey', 'nokey2'],
      ['HRANDFIELD', 'nokey'],
      ['SRANDMEMBER', 'nokey'],
      ['ZRANDMEMBER', 'nokey'],
      ['LPOS', 'nokey', 'a'],
      ['HSCAN', 'nokey', '0'],
      ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'nokey', '>'],
      ['XPENDING', 'nokey', 'g'],
      ['XRANGE', 'nokey', '-', '+'],
      ['XREVRANGE', 'nokey', '+', '-'],
      ['XCLAIM', 'nokey', 'g', 'c', '0', '1-1'],
      ['XAUTOCLAIM', 'nokey', 'g', 'c', '0', '0'],
      ['XACK', 'nokey', 'g', '1-1'],
      ['XSETID', 'nokey', '1-1'],
      ['XTRIM', 'nokey', 'MAXLEN', '0'],
      ['XDEL', 'nokey', '1-1'],
      ['XGROUP', 'CREATE', 'nokey', 'g', '0'],
      ['XGROUP', 'CREATECONSUMER', 'nokey', 'g', 'c'],
      ['LINSERT', 'nokey', 'BEFORE', 'a', 'b'],
      ['LSET', 'nokey', '0', 'a'],
      ['LREM', 'nokey', '0', 'a'],
      ['LTRIM', 'nokey', '0', '1'],
      ['LPUSHX', 'nokey', 'a'],
      ['LMPOP', '1', 'nokey', 'LEFT'],
      ['SREM', 'nokey', 'a'],
      ['ZREM', 'nokey', 'a'],
      ['ZREMRANGEBYRANK', 'nokey', '0', '1'],
      ['ZMPOP', '1', 'nokey', 'MIN'],
      ['ZADD', 'nokey', 'XX', '1', 'a'],
      ['HSETNX', 'nk1', 'f', 'v'],
      ['HINCRBYFLOAT', 'nk2', 'f', '1'],
      ['ZINCRBY', 'nk3', '1', 'a'],
      ['MSETNX', 'nk4', 'a', 'nk5', 'b'],
      ['RENAMENX', 'nokey', 'x'],
      ['GETSET', 'nk6', 'v'],
      ['SET', 'nk7', 'v', 'NX', 'GET'],
      ['BLPOP', 'nokey', '0.01'],
      ['BZPOPMIN', 'nokey', '0.01'],
      ['XREAD', 'BLOCK', '10', 'STREAMS', 'nokey', '$'],
      ['XINFO', 'GROUPS', 'nokey'],
      ['XINFO', 'CONSUMERS', 'nokey', 'g'],
      ['SMISMEMBER', 'nokey', 'a'],
      ['SDIFF', 'nokey', 'nokey2'],
      ['SSCAN', 'nokey', '0'],
      ['HKEYS', 'nokey'],
      ['HVALS', 'nokey'],
      ['HSTRLEN', 'nokey', 'f'],
      ['ZMSCORE', 'nokey', 'a'],
      ['ZCOUNT', 'nokey', '0', '1'],
      ['ZLEXCOUNT', 'nokey', '-', '+'],
      ['ZREVRANK', 'nokey', 'a'],
      ['ZRANGEBYSCORE', 'nokey', '0', '1'],
      ['ZREVRANGEBYLEX', 'nokey', '+', '-'],
      ['ZREVRANGE', 'nokey', '0', '1'],
      ['ZINTER', '2', 'nokey', 'nokey2'],
      ['ZDIFF', '2', 'nokey', 'nokey2'],
      ['ZSCAN', 'nokey', '0'],
      ['BITPOS', 'nokey', '1'],
      ['SUBSTR', 'nokey', '0', '1'],
      ['EVAL_RO', "return redis.call('get', KEYS[1])", '1', 'nokey'],
      ['OBJECT', 'IDLETIME', 'nokey'],
    ]);
  });

  it('one class at a time, keyspace or keyevent channels only', async () => {
    await same('Ks', SETS);
    await same('Eh', HASHES);
    await same('Kz', ZSETS);
    await same('Et', STREAMS);
    await same('Kg', [...KEYS, ...SETS]);
    await same('Em', [...STRINGS, ...ZSETS]);
    await same('Kn', [...LISTS, ...HASHES]);
  });

  // Whether the active cycle or the next lookup expires a key, the sequence is the same: `expired`
  // comes before what the lookup's command publishes (keymiss, or new + lpush for a recreated list).
  it('expiry: active and lazy (KEAnm)', async () => {
    await same('KEAnm', [
      ['SET', 'a', 'v', 'PX', '30'],
      { waitEvent: 'expired' },
      ['SET', 'b', 'v', 'PX', '1'],
      { sleep: 30 },
      ['GET', 'b'],
      ['RPUSH', 'l', 'a'],
      ['PEXPIRE', 'l', '1'],
      { sleep: 30 },
      ['LPUSH', 'l', 'b'],
      ['SET', 's', 'v', 'PX', '1'],
      { sleep: 30 },
      ['SET', 's', 'w'],
      ['HSET', 'h', 'f', 'v'],
      ['PEXPIRE', 'h', '20'],
      { waitEvent: 'expired', count: 5 },
    ]);
  });

  it('overwrites and re-creations: new only where Redis adds the key (KEAn)', async () => {
    await same('KEAn', [
      ['RPUSH', 'l', 'c', 'a', 'b'],
      ['LPOP', 'l', '0'],
      ['RPOP', 'l', '0'],
      ['SORT', 'l', 'ALPHA', 'STORE', 'dst'],
      ['SORT', 'l', 'ALPHA', 'STORE', 'dst'],
      ['SORT', 'nol', 'STORE', 'dst'],
      ['SET', 'b1', 'x'],
      ['BITOP', 'NOT', 'b2', 'b1'],
      ['BITOP', 'NOT', 'b2', 'b1'],
      ['BITOP', 'NOT', 'b2', 'nokey'],
      ['PFADD', 'h1', 'a'],
      ['PFMERGE', 'h2', 'h1'],
      ['PFMERGE', 'h2', 'h1'],
      ['PFADD', 'h1', 'a'],
      ['PFADD', 'h1', 'b'],
      ['SET', 'r', 'v'],
      { dumpRestore: ['r', 'r'] },
      { dumpRestore: ['r', 'r', 'REPLACE'] },
      { dumpRestore: ['r', 'r3', 'REPLACE', 'ABSTTL'] },
      ['MSET', 'r', 'w', 'r2', 'x'],
      ['SET', 'x', 'v', 'PX', '1'],
      { sleep: 20 },
      ['MSET', 'x', 'w'],
      ['SETRANGE', 'x', '0', 'z'],
      ['SETBIT', 'sb', '3', '1'],
      ['BITFIELD', 'bf', 'SET', 'u8', '0', '1'],
      ['HSET', 'hh', 'f', 'v'],
      ['HSETNX', 'hh', 'f', 'v'],
      ['HINCRBY', 'hh', 'f', '1'],
      ['ZADD', 'zz', 'NX', '1', 'a'],
      ['ZADD', 'zz', 'NX', '1', 'a'],
      ['ZINCRBY', 'zz', '1', 'a'],
      ['XADD', 'xx', 'MAXLEN', '0', '1-1', 'f', 'v'],
      ['XTRIM', 'xx', 'MAXLEN', '0'],
    ]);
  });

  it('eviction under maxmemory with allkeys-lru', async () => {
    await same('Ee', [
      ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru'],
      ['SET', 'victim', 'v'],
      ['CONFIG', 'SET', 'maxmemory', '1'],
      ['EXISTS', 'victim'],
      { waitEvent: 'evicted' },
      ['CONFIG', 'SET', 'maxmemory', '0'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'noeviction'],
    ]);
    await same('KEA', [
      ['CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru'],
      ['SET', 'victim', 'v'],
      ['CONFIG', 'SET', 'maxmemory', '1'],
      // Any command runs performEvictions first (a read: whether a write would then be refused
      // depends on each server's own memory figure).
      ['EXISTS', 'victim'],
      { waitEvent: 'evicted' },
      ['CONFIG', 'SET', 'maxmemory', '0'],
      ['CONFIG', 'SET', 'maxmemory-policy', 'noeviction'],
    ]);
  });

  it('MULTI / EXEC, EVAL and FCALL', async () => {
    await same('KEAnm', [
      ['MULTI'],
      ['SET', 'a', '1'],
      ['LPUSH', 'l', 'x'],
      ['INCR', 'a'],
      ['LPOP', 'l'],
      ['GET', 'missing'],
      ['EXEC'],
      ['EVAL', "redis.call('set', KEYS[1], 'v'); redis.call('hset', KEYS[2], 'f', 'v'); redis.call('get', 'nokey'); return redis.call('del', KEYS[1], KEYS[2])", '2', 'e1', 'e2'],
      ['FUNCTION', 'LOAD', "#!lua name=nlib\nredis.register_function('nf', function(keys, args) redis.call('sadd', keys[1], 'm'); return redis.call('spop', keys[1]) end)"],
      ['FCALL', 'nf', '1', 'fs'],
      // Writes inside scripts and transactions look keys up for writing too: no keymiss.
      ['EVAL', "redis.call('lpush', KEYS[1], 'a'); redis.call('zadd', KEYS[2], 1, 'a'); redis.call('xadd', KEYS[3], '1-1', 'f', 'v'); return redis.call('lpop', KEYS[1])", '3', 'sl', 'sz', 'sx'],
      ['MULTI'],
      ['LPUSH', 'ml', 'a'],
      ['SADD', 'ms', 'a'],
      ['SINTERSTORE', 'md', 'ms', 'nokey'],
      ['EXEC'],
      ['FCALL_RO', 'nf', '1', 'fs'],
    ]);
  });

  it('notifications off: no messages at all', async () => {
    // The scripts above minus the blocking steps (nothing would serve them here). In-process, the
    // publish path is not even entered: no channel string is built.
    const pubsub = ls.server.pubsub;
    const publish = pubsub.publish;
    let keyspaceCalls = 0;
    pubsub.publish = function (this: typeof pubsub, channel: string, message: string) {
      if (channel.startsWith('__key')) keyspaceCalls++;
      return publish.call(this, channel, message);
    } as typeof publish;
    try {
      const o = await same('', [...STRINGS, ...LISTS.filter((s) => Array.isArray(s) && !s[0].startsWith('B'))]);
      expect(o.events.filter((e) => !e.startsWith('> '))).toEqual([]);
    } finally {
      pubsub.publish = publish;
    }
    expect(keyspaceCalls).toBe(0);
  });
});

describe.skipIf(skipReason('keyspace notification differential tests (WASM)', 'redis-server'))('keyspace notifications from WASM.CALL', () => {
  let ls: LodestoneHandle;
  let rs: ProcessHandle;

  beforeAll(async () => {
    [ls, rs] = await Promise.all([startLodestone(), startRedis()]);
  });
  afterAll(async () => {
    await Promise.all([ls?.close(), rs?.close()]);
  });

  it('a WASM function writing through `call` emits what an equivalent EVAL emits on Redis', async () => {
    const wabt = await wabtInit();
    const cmds = [
      ['SET', 'w', '1'],
      ['INCR', 'w'],
      ['RPUSH', 'wl', 'a'],
      ['LPOP', 'wl'],
      ['GET', 'nokey'],
      ['DEL', 'w'],
    ];
    const resp = (args: string[]) => `*${args.length}\r\n` + args.map((a) => `$${a.length}\r\n${a}\r\n`).join('');
    const hex = (s: string) => '"' + [...Buffer.from(s, 'latin1')].map((b) => '\\' + b.toString(16).padStart(2, '0')).join('') + '"';
    let off = 1024;
    const data: string[] = [];
    const calls: string[] = [];
    for (const c of cmds) {
      const r = resp(c);
      data.push(`(data (i32.const ${off}) ${hex(r)})`);
      calls.push(`(drop (call $call (i32.const ${off}) (i32.const ${r.length})))`);
      off += 256;
    }
    const m = wabt.parseWat(
      'n.wat',
      `(module (import "lodestone" "call" (func $call (param i32 i32) (result i32))) (memory (export "memory") 1)
        ${data.join('\n')} (func (export "main") (result i64) ${calls.join('\n')} (i64.const 0)))`,
      { bulk_memory: true, multi_value: true, sign_extension: true, mutable_globals: true },
    );
    m.resolveNames();
    m.validate();
    const bin = Buffer.from(m.toBinary({}).buffer);
    m.destroy();
    const c = await RawClient.connect(ls.port);
    try {
      expect(show(await c.call('WASM.LOAD', 'nmod', 'PERMISSIONS', 'READ', 'WRITE', bin))).toBe(show({ t: 'status', v: 'OK' }));
    } finally {
      c.close();
    }
    const lua = cmds.map((a) => `redis.call(${a.map((x) => `'${x}'`).join(', ')})`).join('; ') + '; return 0';
    const steps: Step[] = [{ ls: ['WASM.CALL', 'nmod'], rs: ['EVAL', lua, '0'] }];
    const theirs = await observe(rs.port, 'KEAnm', steps, undefined, 'rs');
    const mine = await observe(ls.port, 'KEAnm', steps, ls, 'ls');
    expect(theirs.events.filter((e) => !e.startsWith('> ')).length).toBeGreaterThan(5);
    expect(mine.events).toEqual(theirs.events);
  });
});

describe('keyspace notifications: eviction of a key past its TTL', () => {
  it('is published as evicted, not expired, like evict.c deleting the chosen key as it is', async () => {
    const clock = new FakeClock();
    const ls = await startLodestone({}, clock);
    const c = await RawClient.connect(ls.port);
    const sub = await RawClient.connect(ls.port);
    try {
      await c.call('CONFIG', 'SET', 'notify-keyspace-events', 'Exe');
      await c.call('CONFIG', 'SET', 'maxmemory-policy', 'volatile-ttl');
      await sub.call('PSUBSCRIBE', '__key*@*__:*');
      await c.call('SET', 'k', 'v', 'PX', '100');
      // Past the TTL by the (fake) clock, with no lookup or active cycle in between: evict now.
      clock.advance(1000);
      ls.config.set('maxmemory', 1);
      expect(ls.server.memory.performEvictions()).toBe('ok');
      ls.config.set('maxmemory', 0);
      const m = bulkParts(await sub.read());
      expect(m.slice(2)).toEqual(['__keyevent@0__:evicted', 'k']);
      expect(await c.call('DBSIZE')).toEqual({ t: 'int', v: '0' });
    } finally {
      c.close();
      sub.close();
      await ls.close();
    }
  });
});
