// Differential tests for MULTI / EXEC / DISCARD / WATCH / UNWATCH: the same scripts run on one
// connection against Lodestone and a real redis-server 7.0, with identical typed replies required.
// Scripts that make EXEC emit out-of-band frames (SUBSCRIBE inside MULTI) are compared as raw bytes,
// since Redis's EXEC array header then does not count every frame that follows it.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffScript, Step } from '../helpers/diff.js';
import { encodeCommand } from '../helpers/resp.js';
import { LodestoneHandle, ProcessHandle, skipReason, startLodestone, startRedis } from '../helpers/servers.js';

/** Send commands one at a time on a fresh connection; return everything received, as latin1. */
async function rawSession(port: number, cmds: string[][], settleMs = 40, pipeline = false): Promise<string> {
  const sock = net.connect({ port, host: '127.0.0.1' });
  await new Promise<void>((r, j) => {
    sock.once('connect', () => r());
    sock.once('error', j);
  });
  let out = '';
  sock.on('data', (d: Buffer) => (out += d.toString('latin1')));
  if (pipeline) {
    sock.write(Buffer.concat(cmds.map((c) => encodeCommand(c))));
    await new Promise((r) => setTimeout(r, settleMs * 3));
  } else {
    for (const c of cmds) {
      sock.write(encodeCommand(c));
      await new Promise((r) => setTimeout(r, settleMs));
    }
  }
  sock.destroy();
  return out;
}

describe.skipIf(skipReason('transactions differential tests', 'redis-server'))('transactions: differential vs redis-server', () => {
  let ls: LodestoneHandle;
  let redis: ProcessHandle;

  beforeAll(async () => {
    [ls, redis] = await Promise.all([startLodestone(), startRedis()]);
  });
  afterAll(async () => {
    await Promise.all([ls?.close(), redis?.close()]);
  });

  async function run(steps: Step[], resp3 = false): Promise<void> {
    for (const db of ls.server.dbs) db.clear();
    await diffScript({ lodestone: ls.port, redis: redis.port }, steps, resp3);
  }

  async function rawBoth(cmds: string[][], pipeline = false): Promise<void> {
    for (const db of ls.server.dbs) db.clear();
    await rawSession(redis.port, [['FLUSHALL']]);
    const [a, b] = await Promise.all([
      rawSession(ls.port, cmds, 40, pipeline),
      rawSession(redis.port, cmds, 40, pipeline),
    ]);
    expect(JSON.stringify(a), `session: ${JSON.stringify(cmds)}`).toBe(JSON.stringify(b));
  }

  it('runs a transaction and returns every reply in order', async () => {
    await run([
      ['MULTI'],
      ['SET', 'a', '1'],
      ['INCR', 'a'],
      ['GET', 'a'],
      ['GET', 'missing'],
      ['EXEC'],
      ['GET', 'a'],
      ['MULTI'],
      ['EXEC'],
    ]);
  });

  it('reports misuse with Redis 7 texts', async () => {
    await run([
      ['EXEC'],
      ['DISCARD'],
      ['MULTI'],
      ['MULTI'],
      ['WATCH', 'a'],
      ['SET', 'a', '1'],
      ['EXEC'],
      ['GET', 'a'],
      ['MULTI', 'extra'],
      ['DISCARD', 'extra'],
      ['UNWATCH', 'extra'],
      ['WATCH'],
      ['EXEC', 'extra'],
      ['MULTI'],
      ['EXEC', 'extra'],
      ['EXEC'],
      ['multi'],
      ['set', 'b', '2'],
      ['exec'],
    ]);
  });

  it('aborts with EXECABORT after a queueing error, leaving data untouched', async () => {
    await run([
      ['SET', 'k', 'v0'],
      ['MULTI'],
      ['SET', 'k', 'v1'],
      ['NOSUCHCOMMAND', 'x', 'y'],
      ['SET', 'k', 'v2'],
      ['EXEC'],
      ['GET', 'k'],
      ['MULTI'],
      ['GET'],
      ['SET', 'k', 'v3'],
      ['EXEC'],
      ['GET', 'k'],
      ['MULTI'],
      ['SET', 'k', 'v4'],
      ['config|get'],
      ['EXEC'],
      ['GET', 'k'],
      // after EXECABORT the connection is out of MULTI again
      ['EXEC'],
      ['DISCARD'],
    ]);
  });

  it('returns runtime errors inside the EXEC array while the other commands run', async () => {
    await run([
      ['MULTI'],
      ['SET', 'a', 'notanumber'],
      ['INCR', 'a'],
      ['LPUSH', 'a', 'x'],
      ['SET', 'b', '2'],
      ['INCRBY', 'b', 'zz'],
      ['HSET', 'h', 'f', 'v'],
      ['GET', 'h'],
      ['EXEC'],
      ['GET', 'a'],
      ['GET', 'b'],
      ['HGET', 'h', 'f'],
    ]);
  });

  it('DISCARD drops the queue and the WATCHes', async () => {
    await run([
      ['SET', 'k', '1'],
      ['MULTI'],
      ['SET', 'k', '2'],
      ['INCR', 'k'],
      ['DISCARD'],
      ['GET', 'k'],
      ['EXEC'],
      ['WATCH', 'k'],
      ['MULTI'],
      ['DISCARD'],
      ['SET', 'k', 'changed'],
      ['MULTI'],
      ['GET', 'k'],
      ['EXEC'],
    ]);
  });

  it('WATCH / UNWATCH on one connection', async () => {
    await run([
      // the watching client's own write invalidates its transaction
      ['WATCH', 'w'],
      ['SET', 'w', '1'],
      ['MULTI'],
      ['GET', 'w'],
      ['EXEC'],
      // EXEC (even a failed one) unwatches everything
      ['SET', 'w', '2'],
      ['MULTI'],
      ['GET', 'w'],
      ['EXEC'],
      // UNWATCH forgets the keys and the dirty state
      ['WATCH', 'w', 'x'],
      ['SET', 'x', '1'],
      ['UNWATCH'],
      ['MULTI'],
      ['GET', 'x'],
      ['EXEC'],
      // watching a key that is not modified: EXEC runs
      ['WATCH', 'untouched'],
      ['WATCH', 'untouched', 'also'],
      ['SET', 'other', '1'],
      ['MULTI'],
      ['GET', 'other'],
      ['EXEC'],
      // a write in another db does not touch the watched key
      ['WATCH', 'w'],
      ['SELECT', '1'],
      ['SET', 'w', 'db1'],
      ['SELECT', '0'],
      ['MULTI'],
      ['GET', 'w'],
      ['EXEC'],
      // a read does not invalidate; a write of the same value does
      ['WATCH', 'w'],
      ['GET', 'w'],
      ['MULTI'],
      ['EXEC'],
      ['WATCH', 'w'],
      ['SET', 'w', '2'],
      ['MULTI'],
      ['EXEC'],
      // a deletion invalidates, deleting a missing key does not
      ['WATCH', 'w', 'gone'],
      ['DEL', 'gone'],
      ['MULTI'],
      ['EXEC'],
      ['WATCH', 'w'],
      ['DEL', 'w'],
      ['MULTI'],
      ['PING'],
      ['EXEC'],
      // WATCH after the transaction is already dirty is accepted
      ['WATCH', 'a'],
      ['SET', 'a', '1'],
      ['WATCH', 'b'],
      ['MULTI'],
      ['EXEC'],
      // UNWATCH queued inside MULTI just answers OK at EXEC
      ['MULTI'],
      ['UNWATCH'],
      ['EXEC'],
    ]);
  });

  it('FLUSHALL / FLUSHDB / SWAPDB invalidate WATCHes of keys that exist, only', async () => {
    await run([
      ['WATCH', 'nokey'],
      ['SET', 'other', '1'],
      ['FLUSHALL'],
      ['MULTI'],
      ['PING'],
      ['EXEC'],
      ['SET', 'k', '1'],
      ['WATCH', 'k'],
      ['FLUSHALL'],
      ['MULTI'],
      ['PING'],
      ['EXEC'],
      ['SET', 'k', '1'],
      ['WATCH', 'k'],
      ['SELECT', '1'],
      ['FLUSHDB'],
      ['SELECT', '0'],
      ['MULTI'],
      ['PING'],
      ['EXEC'],
      ['FLUSHDB'],
      ['MULTI'],
      ['PING'],
      ['EXEC'],
      ['SET', 'k', '1'],
      ['WATCH', 'k'],
      ['SWAPDB', '0', '1'],
      ['MULTI'],
      ['PING'],
      ['EXEC'],
      ['WATCH', 'k'],
      ['SWAPDB', '0', '1'],
      ['MULTI'],
      ['PING'],
      ['EXEC'],
      ['WATCH', 'never'],
      ['SWAPDB', '0', '1'],
      ['MULTI'],
      ['PING'],
      ['EXEC'],
    ]);
  });

  it('a dirty EXEC is a null array in RESP3 too, and errors keep their shape', async () => {
    await run(
      [
        ['WATCH', 'w'],
        ['SET', 'w', '1'],
        ['MULTI'],
        ['GET', 'w'],
        ['EXEC'],
        ['MULTI'],
        ['GET', 'nope'],
        ['HSET', 'h', 'a', '1'],
        ['HGETALL', 'h'],
        ['INCR', 'h'],
        ['EXEC'],
        ['MULTI'],
        ['FOO'],
        ['EXEC'],
      ],
      true,
    );
  });

  it('SELECT inside MULTI applies to the following queued commands', async () => {
    await run([
      ['MULTI'],
      ['SELECT', '3'],
      ['SET', 'q', 'in3'],
      ['SELECT', '99'],
      ['EXEC'],
      ['GET', 'q'],
      ['SELECT', '0'],
      ['GET', 'q'],
    ]);
  });

  it('blocking commands inside EXEC answer at once', async () => {
    await run([
      ['MULTI'],
      ['BLPOP', 'nolist', '0'],
      ['BRPOP', 'nolist', '1'],
      ['RPUSH', 'l', 'a'],
      ['BLPOP', 'l', '0'],
      ['BLMOVE', 'nolist', 'l2', 'LEFT', 'RIGHT', '0'],
      ['EXEC'],
    ]);
  });

  it('pipelined transaction in one write', async () => {
    await rawBoth([['MULTI'], ['SET', 'p', '1'], ['INCR', 'p'], ['NOPE'], ['EXEC'], ['GET', 'p']], true);
    await rawBoth([['WATCH', 'p'], ['MULTI'], ['SET', 'p', '1'], ['INCR', 'p'], ['EXEC'], ['GET', 'p']], true);
  });

  it('SUBSCRIBE inside MULTI: the confirmations land inside the EXEC reply (RESP2)', async () => {
    await rawBoth([
      ['MULTI'],
      ['SUBSCRIBE', 'a', 'b'],
      ['PING'],
      ['PSUBSCRIBE', 'p*'],
      ['EXEC'],
      ['PING', 'x'],
      // (UNSUBSCRIBE without arguments goes through Redis's channel dict in hash order: name them)
      ['UNSUBSCRIBE', 'b', 'a'],
      ['PUNSUBSCRIBE'],
      ['PING'],
    ]);
  });

  it('EXEC rejected in subscribed RESP2 context aborts with EXECABORT', async () => {
    await rawBoth([['SUBSCRIBE', 'a'], ['EXEC'], ['MULTI'], ['UNSUBSCRIBE', 'a'], ['EXEC']]);
  });

  it('SUBSCRIBE inside MULTI in RESP3 and PUBLISH to itself', async () => {
    // HELLO's reply carries the connection id, so start both sessions with HELLO 3 and drop its reply
    const cmds = [
      ['MULTI'],
      ['SUBSCRIBE', 'a'],
      ['PING'],
      ['EXEC'],
      ['GET', 'nokey'],
      ['PUBLISH', 'a', 'hi'],
      ['MULTI'],
      ['PUBLISH', 'a', 'in-multi'],
      ['EXEC'],
    ];
    for (const db of ls.server.dbs) db.clear();
    await rawSession(redis.port, [['FLUSHALL']]);
    const strip = (s: string) => s.slice(s.indexOf('modules\r\n*0\r\n') + 'modules\r\n*0\r\n'.length);
    const [a, b] = await Promise.all([
      rawSession(ls.port, [['HELLO', '3'], ...cmds]),
      rawSession(redis.port, [['HELLO', '3'], ...cmds]),
    ]);
    expect(JSON.stringify(strip(a))).toBe(JSON.stringify(strip(b)));
  });
});
