// Requests that are small but ask for a huge reply. Before the bound, `SRANDMEMBER s -2147483648`
// ended the process with a V8 fatal error (a 2^31-slot array is a dictionary whose table cannot
// grow that far): no exception, no log line, every client gone. The three sampling commands now
// answer an error past MAX_SAMPLED_REPLY_ELEMENTS / _BYTES and the server keeps serving.
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LodestoneHandle, startLodestone } from '../helpers/servers.js';
import { MAX_SAMPLED_REPLY_ELEMENTS } from '../../src/commands/util.js';

describe('replies a small request could make huge', () => {
  let ls: LodestoneHandle;
  let c: Redis;
  beforeAll(async () => {
    ls = await startLodestone();
    c = new Redis(ls.port, { maxRetriesPerRequest: 0 });
    await c.sadd('s', 'a', 'b', 'c');
    await c.hset('h', 'a', '1', 'b', '2');
    await c.zadd('z', 1, 'a', 2, 'b');
  });
  afterAll(async () => {
    c?.disconnect();
    await ls?.close();
  });

  it('negative counts past the bound get an error and the server stays up', async () => {
    const attacks: string[][] = [
      ['SRANDMEMBER', 's', '-2147483648'],
      ['SRANDMEMBER', 's', '-9223372036854775807'],
      ['HRANDFIELD', 'h', '-2147483648'],
      ['HRANDFIELD', 'h', String(-(MAX_SAMPLED_REPLY_ELEMENTS / 2 + 1)), 'WITHVALUES'],
      ['ZRANDMEMBER', 'z', '-2147483648'],
      ['ZRANDMEMBER', 'z', '-2147483648', 'WITHSCORES'],
    ];
    for (const a of attacks) {
      await expect(c.call(a[0], ...a.slice(1)), a.join(' ')).rejects.toThrow(/reply too large/);
      expect(await c.ping()).toBe('PONG');
    }
  });

  it('the byte bound applies to big members too', async () => {
    await c.sadd('big', 'x'.repeat(1 << 20));
    // 1,000 copies of a 1 MB member is 1 GB of reply.
    await expect(c.call('SRANDMEMBER', 'big', '-1000')).rejects.toThrow(/reply too large/);
    expect(((await c.call('SRANDMEMBER', 'big', '-3')) as string[]).length).toBe(3);
  });

  it('counts within the bound behave as in Redis', async () => {
    expect(((await c.call('SRANDMEMBER', 's', '-1000')) as string[]).length).toBe(1000);
    // ioredis may pair field/value replies up: count the flattened elements.
    expect(((await c.call('HRANDFIELD', 'h', '-500', 'WITHVALUES')) as unknown[]).flat().length).toBe(1000);
    expect(((await c.call('ZRANDMEMBER', 'z', '-500', 'WITHSCORES')) as unknown[]).flat().length).toBe(1000);
  });

  it('SLOWLOG GET takes any count up to LONG_MAX, as Redis', async () => {
    expect(Array.isArray(await c.call('SLOWLOG', 'GET', '9223372036854775807'))).toBe(true);
    await expect(c.call('SLOWLOG', 'GET', '-2')).rejects.toThrow('count should be greater than or equal to -1');
  });
});
