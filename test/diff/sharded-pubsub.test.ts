// Differential tests for sharded pub/sub (SSUBSCRIBE SUNSUBSCRIBE SPUBLISH, PUBSUB SHARDCHANNELS /
// SHARDNUMSUB) as a non-cluster redis-server 7.0.15 runs it: multi-connection sessions
// (test/helpers/sessions.ts) where every frame each connection receives — confirmations with their
// per-kind counts, `smessage` messages, RESP3 pushes, the RESP2 subscribed-context errors — must be
// identical on Lodestone and Redis.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runSession, SessionStep } from '../helpers/sessions.js';
import { LodestoneHandle, ProcessHandle, skipReason, startLodestone, startRedis } from '../helpers/servers.js';

describe.skipIf(skipReason('sharded pub/sub differential tests', 'redis-server'))('sharded pub/sub: differential vs redis-server', () => {
  let ls: LodestoneHandle;
  let redis: ProcessHandle;

  beforeAll(async () => {
    [ls, redis] = await Promise.all([startLodestone(), startRedis()]);
  });
  afterAll(async () => {
    await Promise.all([ls?.close(), redis?.close()]);
  });

  async function both(steps: SessionStep[]): Promise<void> {
    const a = await runSession(ls.port, steps);
    const b = await runSession(redis.port, steps);
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      expect(a[i] ?? [], `connection ${i}`).toEqual(b[i] ?? []);
    }
  }

  const INFO = { fields: ['flags', 'sub', 'psub', 'ssub'] };

  it('RESP2: confirmations, smessage, separate namespaces and counts, subscribed context', async () => {
    await both([
      [0, 'SSUBSCRIBE', 'a', 'b', 'a'],
      [1, 'SPUBLISH', 'a', 'hello'],
      [1, 'SPUBLISH', 'nobody', 'hello'],
      [1, 'PUBLISH', 'a', 'not for shard subscribers'],
      [1, 'PUBSUB', 'SHARDCHANNELS', 'a*'],
      [1, 'PUBSUB', 'SHARDCHANNELS', 'zz*'],
      [1, 'PUBSUB', 'SHARDNUMSUB', 'a', 'b', 'c'],
      [1, 'PUBSUB', 'SHARDNUMSUB'],
      [1, 'PUBSUB', 'CHANNELS'],
      [1, 'PUBSUB', 'NUMSUB', 'a'],
      [1, 'PUBSUB', 'SHARDCHANNELS', 'a', 'b'],
      [0, 'GET', 'x'],
      [0, 'SUBSCRIBE', 'c'],
      [0, 'PSUBSCRIBE', 'p*'],
      [1, 'PUBLISH', 'c', 'm1'],
      [1, 'SPUBLISH', 'b', 'm2'],
      [0, 'PING'],
      { on: 1, cmd: ['CLIENT', 'LIST'], fields: ['id', 'flags', 'sub', 'psub', 'ssub'] },
      [0, 'SUNSUBSCRIBE', 'a', 'zz'],
      [0, 'UNSUBSCRIBE'],
      [0, 'PUNSUBSCRIBE'],
      // Shard channels alone keep the connection in pub/sub mode.
      [0, 'GET', 'x'],
      [0, 'SUNSUBSCRIBE'],
      [0, 'SUNSUBSCRIBE'],
      [0, 'PING'],
      [0, 'GET', 'x'],
      [1, 'PUBSUB', 'SHARDCHANNELS'],
    ]);
  });

  it('RESP3: pushes, with other commands allowed meanwhile', async () => {
    await both([
      [0, 'HELLO', '3'],
      [0, 'SSUBSCRIBE', 'q'],
      [0, 'PSUBSCRIBE', 'q*'],
      [1, 'SPUBLISH', 'q', 'm'],
      [1, 'PUBLISH', 'q', 'n'],
      [0, 'SET', 'x', '1'],
      { on: 0, cmd: ['CLIENT', 'INFO'], ...INFO },
      [0, 'SUNSUBSCRIBE'],
      [0, 'SUNSUBSCRIBE'],
      [1, 'SPUBLISH', 'q', 'm'],
      [0, 'SSUBSCRIBE', 'q', 'r'],
      [2, 'SSUBSCRIBE', 'r'],
      [1, 'SPUBLISH', 'r', 'to two'],
      [1, 'PUBSUB', 'SHARDNUMSUB', 'q', 'r'],
      [2, 'QUIT'],
      [1, 'PUBSUB', 'SHARDNUMSUB', 'r'],
      [0, 'RESET'],
      [1, 'PUBSUB', 'SHARDNUMSUB', 'q', 'r'],
      [1, 'SPUBLISH', 'r', 'after reset'],
    ]);
  });

  it('errors, MULTI, scripts', async () => {
    await both([
      [1, 'SSUBSCRIBE'],
      [1, 'SPUBLISH', 'q'],
      [1, 'SPUBLISH', 'q', 'm', 'x'],
      [0, 'SSUBSCRIBE', 's'],
      [1, 'MULTI'],
      [1, 'SSUBSCRIBE', 'm'],
      [1, 'SPUBLISH', 's', 'from exec'],
      [1, 'EXEC'],
      [1, 'EVAL', "return redis.call('spublish', KEYS[1], 'from lua')", '1', 's'],
      [1, 'EVAL', "return redis.call('publish', 'c', 'from lua')", '0'],
      [1, 'EVAL', "return redis.call('ssubscribe', 'x')", '0'],
      [1, 'EVAL', "return redis.call('pubsub', 'shardnumsub', 's')", '0'],
      [1, 'COMMAND', 'INFO', 'ssubscribe', 'sunsubscribe', 'spublish'],
      [1, 'COMMAND', 'GETKEYS', 'SPUBLISH', 'ch', 'msg'],
      [1, 'COMMAND', 'GETKEYS', 'SSUBSCRIBE', 'a', 'b'],
    ]);
  });

  it('ACL channel rules apply to shard channels', async () => {
    await both([
      [0, 'ACL', 'SETUSER', 'shard', 'on', 'nopass', 'resetchannels', '&ok*', '+@all', '~*'],
      [1, 'AUTH', 'shard', 'x'],
      [1, 'SPUBLISH', 'denied', 'm'],
      [1, 'SPUBLISH', 'ok1', 'm'],
      [1, 'SSUBSCRIBE', 'ok1', 'denied'],
      [1, 'SSUBSCRIBE', 'ok1', 'ok2'],
      [2, 'SPUBLISH', 'ok2', 'hi'],
      [0, 'ACL', 'DELUSER', 'shard'],
    ]);
  });
});
