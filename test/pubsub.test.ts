// Pub/Sub over real sockets: ioredis and node-redis (RESP2 and RESP3) subscribers receiving
// PUBLISHed and pattern messages, RESP3 push frames byte for byte, PUBSUB introspection, cleanup on
// disconnect, PING and the RESP2 subscribed context. The last block compares wire bytes with a real
// redis-server 7.0 (guarded: skipped with a reason when redis-server is absent).
import net from 'node:net';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from './helpers/raw-client.js';
import { encodeCommand } from './helpers/resp.js';
import { LodestoneHandle, ProcessHandle, skipReason, startLodestone, startRedis } from './helpers/servers.js';

let ls: LodestoneHandle;
const cleanup: (() => unknown)[] = [];

function ioredis(): Redis {
  const c = new Redis({ port: ls.port, host: '127.0.0.1', enableReadyCheck: false, disableClientInfo: true });
  cleanup.push(() => c.disconnect());
  return c;
}

async function nodeRedis(resp: 2 | 3) {
  const c = createClient({ socket: { port: ls.port, host: '127.0.0.1', reconnectStrategy: false }, RESP: resp, disableClientInfo: true });
  c.on('error', () => {});
  await c.connect();
  cleanup.push(() => c.destroy());
  return c;
}

/** Read exactly as many bytes as `expected` has and compare them. */
async function expectBytes(c: RawClient, expected: string): Promise<void> {
  expect((await c.readBytes(expected.length)).toString('latin1')).toBe(expected);
}

async function raw(): Promise<RawClient> {
  const c = await RawClient.connect(ls.port);
  cleanup.push(() => c.close());
  return c;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until fn() is true (server-side state settles asynchronously after socket events). */
async function until(fn: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await sleep(5);
  }
}

beforeAll(async () => {
  ls = await startLodestone();
});
afterEach(async () => {
  for (const f of cleanup.splice(0)) await f();
  await until(() => ls.server.pubsub.channels.size === 0 && ls.server.pubsub.patterns.size === 0);
});
afterAll(async () => {
  await ls.close();
});

describe('pub/sub with client libraries', () => {
  it('ioredis subscriber receives channel and pattern messages', async () => {
    const sub = ioredis();
    const pub = ioredis();
    const got: string[] = [];
    sub.on('message', (ch: string, msg: string) => got.push(`message ${ch} ${msg}`));
    sub.on('pmessage', (pat: string, ch: string, msg: string) => got.push(`pmessage ${pat} ${ch} ${msg}`));
    expect(await sub.subscribe('news', 'sport')).toBe(2);
    expect(await sub.psubscribe('n*')).toBe(3);
    expect(await pub.publish('news', 'hello')).toBe(2); // channel + pattern
    expect(await pub.publish('sport', 'goal')).toBe(1);
    expect(await pub.publish('nothing-here', 'x')).toBe(1); // n* matches
    expect(await pub.publish('other', 'x')).toBe(0);
    await until(() => got.length === 4);
    expect(got).toEqual([
      'message news hello',
      'pmessage n* news hello',
      'message sport goal',
      'pmessage n* nothing-here x',
    ]);
    expect(await sub.unsubscribe('news')).toBe(2);
    expect(await pub.publish('news', 'again')).toBe(1); // only the pattern now
  });

  it('binary-safe messages', async () => {
    const sub = ioredis();
    const pub = ioredis();
    const payload = Buffer.from([0, 1, 2, 0xff, 0x0d, 0x0a, 0x80]);
    const got: Buffer[] = [];
    sub.on('messageBuffer', (_ch: Buffer, msg: Buffer) => got.push(msg));
    await sub.subscribe('bin');
    expect(await pub.publish('bin', payload)).toBe(1);
    await until(() => got.length === 1);
    expect(got[0].equals(payload)).toBe(true);
  });

  for (const resp of [2, 3] as const) {
    it(`node-redis (RESP${resp}) subscribe / pSubscribe listeners`, async () => {
      const sub = await nodeRedis(resp);
      const pub = await nodeRedis(resp);
      const got: string[] = [];
      await sub.subscribe('orders', (message, channel) => got.push(`${channel}:${message}`));
      await sub.pSubscribe('ord*', (message, channel) => got.push(`p ${channel}:${message}`));
      expect(await pub.publish('orders', 'o-1')).toBe(2);
      expect(await pub.publish('ordinal', 'o-2')).toBe(1);
      await until(() => got.length === 3);
      expect(got.sort()).toEqual(['orders:o-1', 'p orders:o-1', 'p ordinal:o-2']);
      expect(await pub.pubSubNumSub(['orders', 'ordinal'])).toEqual({ orders: 1, ordinal: 0 });
      expect(await pub.pubSubNumPat()).toBe(1);
      await sub.unsubscribe('orders');
      await sub.pUnsubscribe('ord*');
      expect(await pub.publish('orders', 'o-3')).toBe(0);
    });
  }

  it('a RESP3 client keeps running commands while subscribed (node-redis)', async () => {
    const c = await nodeRedis(3);
    const got: string[] = [];
    await c.subscribe('c3', (m) => got.push(m));
    expect(await c.ping()).toBe('PONG');
    await c.set('k3', 'v');
    expect(await c.get('k3')).toBe('v');
    expect(await c.publish('c3', 'to-myself')).toBe(1);
    await until(() => got.length === 1);
    expect(got).toEqual(['to-myself']);
  });
});

describe('pub/sub wire format', () => {
  it('RESP3: confirmations and messages are push frames, other replies stay normal', async () => {
    const sub = await raw();
    const pub = await raw();
    expect((await sub.call('HELLO', '3')).t).toBe('map');
    sub.writeRaw(encodeCommand(['SUBSCRIBE', 'ch']));
    await expectBytes(sub, '>3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n');
    sub.writeRaw(encodeCommand(['PSUBSCRIBE', 'c?']));
    await expectBytes(sub, '>3\r\n$10\r\npsubscribe\r\n$2\r\nc?\r\n:2\r\n');
    expect(await pub.call('PUBLISH', 'ch', 'hi')).toEqual({ t: 'int', v: '2' });
    const msg = '>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n';
    const pmsg = '>4\r\n$8\r\npmessage\r\n$2\r\nc?\r\n$2\r\nch\r\n$2\r\nhi\r\n';
    await expectBytes(sub, msg + pmsg);
    // any command works while subscribed in RESP3; nulls are RESP3 nulls
    sub.writeRaw(encodeCommand(['GET', 'nokey']));
    await expectBytes(sub, '_\r\n');
    sub.writeRaw(encodeCommand(['PING']));
    await expectBytes(sub, '+PONG\r\n');
    sub.writeRaw(encodeCommand(['UNSUBSCRIBE']));
    await expectBytes(sub, '>3\r\n$11\r\nunsubscribe\r\n$2\r\nch\r\n:1\r\n');
    sub.writeRaw(encodeCommand(['PUNSUBSCRIBE', 'c?', 'zz']));
    const p1 = '>3\r\n$12\r\npunsubscribe\r\n$2\r\nc?\r\n:0\r\n';
    const p2 = '>3\r\n$12\r\npunsubscribe\r\n$2\r\nzz\r\n:0\r\n';
    await expectBytes(sub, p1 + p2);
    sub.writeRaw(encodeCommand(['UNSUBSCRIBE']));
    await expectBytes(sub, '>3\r\n$11\r\nunsubscribe\r\n_\r\n:0\r\n');
  });

  it('RESP2: subscribed context allows only (P)SUBSCRIBE/(P)UNSUBSCRIBE/PING/QUIT/RESET', async () => {
    const c = await raw();
    c.writeRaw(encodeCommand(['SUBSCRIBE', 'a']));
    await expectBytes(c, '*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n');
    expect(await c.call('GET', 'x')).toEqual({
      t: 'error',
      v: "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
    });
    expect(await c.call('PUBSUB', 'NUMPAT')).toEqual({
      t: 'error',
      v: "ERR Can't execute 'pubsub|numpat': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
    });
    c.writeRaw(encodeCommand(['PING']));
    await expectBytes(c, '*2\r\n$4\r\npong\r\n$0\r\n\r\n');
    c.writeRaw(encodeCommand(['PING', 'hey']));
    await expectBytes(c, '*2\r\n$4\r\npong\r\n$3\r\nhey\r\n');
    c.writeRaw(encodeCommand(['UNSUBSCRIBE', 'a']));
    await expectBytes(c, '*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:0\r\n');
    // out of subscribed mode: back to normal replies
    c.writeRaw(encodeCommand(['PING']));
    await expectBytes(c, '+PONG\r\n');
    expect(await c.call('GET', 'x')).toEqual({ t: 'nullbulk' });
    // UNSUBSCRIBE with nothing subscribed: one reply with a null channel
    c.writeRaw(encodeCommand(['UNSUBSCRIBE']));
    await expectBytes(c, '*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n');
  });

  it('RESET leaves subscribed mode', async () => {
    const c = await raw();
    c.writeRaw(encodeCommand(['PSUBSCRIBE', 'x*']));
    await expectBytes(c, '*3\r\n$10\r\npsubscribe\r\n$2\r\nx*\r\n:1\r\n');
    expect(await c.call('RESET')).toEqual({ t: 'status', v: 'RESET' });
    expect(ls.server.pubsub.patterns.size).toBe(0);
    expect(await c.call('GET', 'x')).toEqual({ t: 'nullbulk' });
  });
});

describe('PUBLISH and CLIENT PAUSE', () => {
  it('PUBLISH waits out a CLIENT PAUSE WRITE (Redis: CMD_MAY_REPLICATE)', async () => {
    const o = await raw();
    const c = await raw();
    expect(await o.call('CLIENT', 'PAUSE', '120', 'WRITE')).toEqual({ t: 'status', v: 'OK' });
    c.writeRaw(encodeCommand(['PUBLISH', 'paused', 'x']));
    await sleep(50);
    expect(c.unread.length).toBe(0);
    await expectBytes(c, ':0\r\n');
    // reads are not paused
    expect(await o.call('CLIENT', 'PAUSE', '120', 'WRITE')).toEqual({ t: 'status', v: 'OK' });
    expect(await c.call('PUBSUB', 'NUMPAT')).toEqual({ t: 'int', v: '0' });
    await o.call('CLIENT', 'UNPAUSE');
  });
});

describe('PUBSUB introspection', () => {
  it('CHANNELS / NUMSUB / NUMPAT follow subscriptions and disconnects', async () => {
    const a = ioredis();
    const b = ioredis();
    const q = ioredis();
    await a.subscribe('news.eu', 'news.us', 'sport');
    await b.subscribe('news.eu');
    await b.psubscribe('news.*', 'sp?rt');
    await a.psubscribe('news.*');
    expect((await q.pubsub('CHANNELS')) as string[]).toEqual(expect.arrayContaining(['news.eu', 'news.us', 'sport']));
    expect(((await q.pubsub('CHANNELS', 'news.*')) as string[]).sort()).toEqual(['news.eu', 'news.us']);
    expect(await q.pubsub('CHANNELS', 'nope*')).toEqual([]);
    expect(await q.pubsub('NUMSUB', 'news.eu', 'news.us', 'none')).toEqual(['news.eu', 2, 'news.us', 1, 'none', 0]);
    expect(await q.pubsub('NUMSUB')).toEqual([]);
    expect(await q.pubsub('NUMPAT')).toBe(2); // unique patterns
    expect(await q.publish('news.eu', 'm')).toBe(4); // 2 channel + 2 pattern subscribers

    // a subscriber disconnecting is removed everywhere
    b.disconnect();
    await until(() => (ls.server.pubsub.channels.get('news.eu')?.size ?? 0) === 1);
    expect(await q.pubsub('NUMSUB', 'news.eu')).toEqual(['news.eu', 1]);
    expect(await q.pubsub('NUMPAT')).toBe(1);
    expect(await q.publish('news.eu', 'm')).toBe(2);
    a.disconnect();
    await until(() => ls.server.pubsub.channels.size === 0);
    expect(await q.pubsub('CHANNELS')).toEqual([]);
    expect(await q.pubsub('NUMPAT')).toBe(0);
    expect(await q.publish('news.eu', 'm')).toBe(0);
  });

  it('a client killed mid-subscription (socket destroyed) is removed', async () => {
    const r = await raw();
    r.writeRaw(encodeCommand(['SUBSCRIBE', 'gone']));
    await expectBytes(r, '*3\r\n$9\r\nsubscribe\r\n$4\r\ngone\r\n:1\r\n');
    expect(ls.server.pubsub.channels.get('gone')?.size).toBe(1);
    r.socket.destroy();
    await until(() => !ls.server.pubsub.channels.has('gone'));
    const q = ioredis();
    expect(await q.publish('gone', 'x')).toBe(0);
  });

  it('one message per subscription: channel + matching patterns are delivered separately', async () => {
    const sub = await raw();
    sub.writeRaw(encodeCommand(['SUBSCRIBE', 'a.b']));
    sub.writeRaw(encodeCommand(['PSUBSCRIBE', 'a.*', '*', 'a.b']));
    await expectBytes(sub, '*3\r\n$9\r\nsubscribe\r\n$3\r\na.b\r\n:1\r\n');
    await expectBytes(sub, '*3\r\n$10\r\npsubscribe\r\n$3\r\na.*\r\n:2\r\n');
    await expectBytes(sub, '*3\r\n$10\r\npsubscribe\r\n$1\r\n*\r\n:3\r\n');
    await expectBytes(sub, '*3\r\n$10\r\npsubscribe\r\n$3\r\na.b\r\n:4\r\n');
    const q = ioredis();
    expect(await q.publish('a.b', 'x')).toBe(4);
    expect(await q.publish('zzz', 'y')).toBe(1);
    await expectBytes(sub, '*3\r\n$7\r\nmessage\r\n$3\r\na.b\r\n$1\r\nx\r\n');
    // patterns in subscription order, the literal pattern "a.b" matches too
    await expectBytes(sub, '*4\r\n$8\r\npmessage\r\n$3\r\na.*\r\n$3\r\na.b\r\n$1\r\nx\r\n');
    await expectBytes(sub, '*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$3\r\na.b\r\n$1\r\nx\r\n');
    await expectBytes(sub, '*4\r\n$8\r\npmessage\r\n$3\r\na.b\r\n$3\r\na.b\r\n$1\r\nx\r\n');
    await expectBytes(sub, '*4\r\n$8\r\npmessage\r\n$1\r\n*\r\n$3\r\nzzz\r\n$1\r\ny\r\n');
  });
});

// ---- Against a real redis-server --------------------------------------------------------------

/** A subscriber session and publisher commands; returns [subscriber bytes, publisher bytes]. */
async function pubsubSession(port: number, subCmds: string[][], pubCmds: string[][], tailCmds: string[][] = []): Promise<[string, string]> {
  const open = async () => {
    const s = net.connect({ port, host: '127.0.0.1' });
    await new Promise<void>((r, j) => {
      s.once('connect', () => r());
      s.once('error', j);
    });
    const box = { out: '' };
    s.on('data', (d: Buffer) => (box.out += d.toString('latin1')));
    return { s, box };
  };
  const sub = await open();
  const pub = await open();
  for (const c of subCmds) {
    sub.s.write(encodeCommand(c));
    await sleep(15);
  }
  for (const c of pubCmds) {
    pub.s.write(encodeCommand(c));
    await sleep(15);
  }
  for (const c of tailCmds) {
    sub.s.write(encodeCommand(c));
    await sleep(15);
  }
  await sleep(30);
  sub.s.destroy();
  pub.s.destroy();
  return [sub.box.out, pub.box.out];
}

describe.skipIf(skipReason('pub/sub differential tests', 'redis-server'))('pub/sub: wire bytes vs redis-server', () => {
  let redis: ProcessHandle;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.close();
  });

  async function same(subCmds: string[][], pubCmds: string[][], tail: string[][] = []): Promise<void> {
    const [a, b] = await Promise.all([pubsubSession(ls.port, subCmds, pubCmds, tail), pubsubSession(redis.port, subCmds, pubCmds, tail)]);
    expect(JSON.stringify(a[0]), 'subscriber bytes').toBe(JSON.stringify(b[0]));
    expect(JSON.stringify(a[1]), 'publisher bytes').toBe(JSON.stringify(b[1]));
  }

  it('RESP2 subscribe / publish / pattern / unsubscribe sequence', async () => {
    await same(
      [['SUBSCRIBE', 'c1', 'c2', 'c1'], ['PSUBSCRIBE', 'c*', 'c*', '[ab]?'], ['SUBSCRIBE', 'c3'], ['PING'], ['PING', 'm'], ['SET', 'x', '1'], ['HELLO', '4']],
      [
        ['PUBLISH', 'c1', 'one'],
        ['PUBLISH', 'c3', ''],
        ['PUBLISH', 'ax', 'pattern only'],
        ['PUBLISH', 'none', 'x'],
        ['PUBSUB', 'NUMSUB', 'c1', 'c2', 'c3', 'zz'],
        ['PUBSUB', 'NUMPAT'],
        ['PUBSUB', 'CHANNELS', 'zz*'],
        ['PUBSUB', 'CHANNELS', 'c3'],
      ],
      [['UNSUBSCRIBE', 'c2', 'nope'], ['PUNSUBSCRIBE', '[ab]?', 'c*'], ['PUNSUBSCRIBE'], ['UNSUBSCRIBE', 'c1', 'c3'], ['UNSUBSCRIBE'], ['PING']],
    );
  });

  it('RESP3 push frames and commands while subscribed', async () => {
    // HELLO's reply differs (connection id), so the subscriber switches with HELLO 3 and the
    // comparison starts after its reply.
    const strip = (s: string) => s.slice(s.indexOf('modules\r\n*0\r\n') + 'modules\r\n*0\r\n'.length);
    const subCmds = [['HELLO', '3'], ['SUBSCRIBE', 'r3'], ['PSUBSCRIBE', 'r*'], ['GET', 'nokey'], ['PING'], ['PUBLISH', 'r3', 'self']];
    const pubCmds = [['PUBLISH', 'r3', 'hello'], ['PUBLISH', 'rx', 'p']];
    const tail = [['UNSUBSCRIBE', 'r3'], ['PUNSUBSCRIBE'], ['UNSUBSCRIBE'], ['PING', 'x']];
    const [a, b] = await Promise.all([pubsubSession(ls.port, subCmds, pubCmds, tail), pubsubSession(redis.port, subCmds, pubCmds, tail)]);
    expect(JSON.stringify(strip(a[0]))).toBe(JSON.stringify(strip(b[0])));
    expect(JSON.stringify(a[1])).toBe(JSON.stringify(b[1]));
  });

  it('PUBSUB subcommands, HELP and errors', async () => {
    await same(
      [],
      [
        ['PUBSUB'],
        ['PUBSUB', 'HELP'],
        ['pubsub', 'help'],
        ['PUBSUB', 'help', 'extra'],
        ['PUBSUB', 'NOPE'],
        ['PUBSUB', 'CHANNELS', 'a', 'b'],
        ['PUBSUB', 'channels', 'a', 'b'],
        ['PUBSUB', 'NUMPAT', 'x'],
        ['PUBSUB', 'NUMSUB'],
        ['PUBSUB', 'SHARDCHANNELS'],
        ['PUBSUB', 'SHARDCHANNELS', 'x', 'y'],
        ['PUBSUB', 'SHARDNUMSUB', 'a', 'b'],
        ['PUBLISH'],
        ['PUBLISH', 'a'],
        ['PUBLISH', 'a', 'b', 'c'],
        ['SUBSCRIBE'],
        ['PSUBSCRIBE'],
      ],
    );
  });
});
