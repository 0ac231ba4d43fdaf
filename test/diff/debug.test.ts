// DEBUG subcommands against a real redis-server 7.0 (both with enable-debug-command yes): DIGEST
// and DIGEST-VALUE give Redis's hex signature for the same data (every type, both encodings of
// sorted sets and hashes, TTLs, several databases), POPULATE makes Redis's keys and values,
// PROTOCOL answers one reply of each RESP type in RESP2 and RESP3 (the RESP3 attribute compared as
// raw bytes: the test reader has no attribute type), ERROR / LOG, SET-ACTIVE-EXPIRE, PAUSE-CRON,
// SET-SKIP-CHECKSUM-VALIDATION, CHANGE-REPL-ID, LISTPACK / QUICKLIST / STRINGMATCH-TEST, the argument
// errors, LOADAOF (same digest before and after the replay, on both servers) and RELOAD with its
// MERGE / NOFLUSH / NOSAVE options (function libraries included).
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffScript, Step } from '../helpers/diff.js';
import { RawClient } from '../helpers/raw-client.js';
import { until, sleep } from '../helpers/poll.js';
import { RespValue, show } from '../helpers/resp.js';
import { LodestoneHandle, ProcessHandle, skipReason, startLodestone, startRedis } from '../helpers/servers.js';
import { crc64LE } from '../../src/persistence/rdb/index.js';

/** Send one command on a fresh socket (after `pre`), return the raw bytes of the last reply. */
async function rawReply(port: number, pre: string[][], cmd: string[], want: number): Promise<string> {
  const enc = (a: string[]): string => `*${a.length}\r\n${a.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join('')}`;
  const s = net.connect(port, '127.0.0.1');
  let got = '';
  s.on('data', (d) => (got += d.toString('latin1')));
  await new Promise((r) => s.once('connect', r));
  for (const p of pre) s.write(enc(p));
  await sleep(50);
  got = '';
  s.write(enc(cmd));
  await until(() => got.length >= want, 5000, 'reply');
  s.destroy();
  return got;
}

describe.skipIf(skipReason('DEBUG differential tests', 'redis-server'))('DEBUG: differential vs redis-server', () => {
  let ls: LodestoneHandle;
  let rs: ProcessHandle;
  beforeAll(async () => {
    [ls, rs] = await Promise.all([startLodestone({ 'enable-debug-command': 'yes' }), startRedis(['--enable-debug-command', 'yes'])]);
  });
  afterAll(async () => {
    await Promise.all([ls?.close(), rs?.close()]);
  });
  const run = async (steps: Step[], resp3 = false): Promise<void> => {
    for (const db of ls.server.dbs) db.clear();
    await diffScript({ lodestone: ls.port, redis: rs.port }, [['FLUSHALL'], ...steps], resp3);
  };

  it('DIGEST and DIGEST-VALUE match Redis for every type', async () => {
    const many = (n: number, f: (i: number) => string[]): string[] => Array.from({ length: n }, (_, i) => f(i)).flat();
    await run([
      ['DEBUG', 'DIGEST'],
      ['DEBUG', 'DIGEST-VALUE', 'nokey'],
      ['DEBUG', 'DIGEST-VALUE'],
      ['SET', 's', 'hello'],
      ['SET', 'int', '12345'],
      ['SET', 'neg', '-7'],
      ['SET', 'empty', ''],
      ['SET', 'ttl', 'x', 'EX', '1000'],
      ['RPUSH', 'list', 'a', 'b', '3', 'c'],
      ['SADD', 'iset', '1', '2', '300'],
      ['SADD', 'set', 'x', 'y', 'z'],
      ['ZADD', 'zs', '1', 'a', '2.5', 'b', '-3', '10', 'inf', 'big'],
      ['ZADD', 'zbig', ...many(200, (i) => [String(i / 3), `m${i}`])],
      ['HSET', 'h', 'f1', 'v1', 'f2', '2'],
      ['HSET', 'hbig', ...many(200, (i) => [`f${i}`, 'v'.repeat(i % 70)])],
      ['XADD', 'st', '1-1', 'a', '1', 'b', '2'],
      ['XADD', 'st', '2-5', 'c', '3'],
      ['XADD', 'st', '3-0', 'a', '1', 'b', '2'],
      ['XDEL', 'st', '2-5'],
      ['XGROUP', 'CREATE', 'st', 'g', '0'],
      ['DEBUG', 'DIGEST'],
      ['DEBUG', 'DIGEST-VALUE', 's', 'int', 'neg', 'empty', 'ttl', 'list', 'iset', 'set', 'zs', 'zbig', 'h', 'hbig', 'st', 'nokey'],
      ['SELECT', '3'],
      ['SET', 's', 'hello'],
      ['DEBUG', 'DIGEST'],
      ['PERSIST', 's'],
      ['EXPIRE', 's', '100'],
      ['DEBUG', 'DIGEST'],
      ['DEBUG', 'DIGEST-VALUE', 's'],
      ['SELECT', '0'],
      ['DEBUG', 'DIGEST', 'x'],
    ]);
  });

  it('OBJECT shows Redis\'s refcount, encoding, serialized length and quicklist layout', async () => {
    // The address and the access clock are masked.
    const mask = (v: RespValue): RespValue =>
      v.t === 'status' ? { t: 'status', v: v.v.replace(/^Value at:0x[0-9a-f]+ /, 'Value at:? ').replace(/ lru:\d+ lru_seconds_idle:\d+/, ' lru:?') } : v;
    const obj = (k: string): Step => ({ cmd: ['DEBUG', 'OBJECT', k], mask });
    const many = (n: number, f: (i: number) => string[]): string[] => Array.from({ length: n }, (_, i) => f(i)).flat();
    const keys = ['s', 'int', 'bigint', 'raw', 'lzf', 'l', 'lbig', 'iset', 'lpset', 'hset', 'h', 'hbig', 'z', 'zbig', 'st'];
    await run([
      ['SET', 's', 'hello'],
      ['SET', 'int', '123'],
      ['SET', 'bigint', '12345678901'],
      ['SET', 'raw', 'r'.repeat(45)],
      ['SET', 'lzf', 'abc'.repeat(40)],
      ['RPUSH', 'l', 'a', 'b', 'c'],
      ['RPUSH', 'lbig', ...many(1000, (i) => [`element-${i}`])],
      ['SADD', 'iset', '1', '2', '3'],
      ['SADD', 'lpset', 'a', 'b'],
      ['SADD', 'hset', ...many(600, (i) => [`m${i}`])],
      ['HSET', 'h', 'f', 'v'],
      ['HSET', 'hbig', ...many(200, (i) => [`f${i}`, `v${i}`])],
      ['ZADD', 'z', '1', 'a', '2', 'b'],
      ['ZADD', 'zbig', ...many(200, (i) => [String(i * 1.5), `m${i}`])],
      ['XADD', 'st', '1-1', 'a', '1'],
      ['XADD', 'st', '2-1', 'a', '2', 'b', '3'],
      ...keys.map(obj),
      // Lodestone lays a list's nodes out by the current list-max-listpack-size (Redis keeps the
      // fill a list was created with): shown while the setting is unchanged.
      ['CONFIG', 'SET', 'list-max-listpack-size', '5'],
      ['RPUSH', 'l5', ...many(23, (i) => [String(i)])],
      obj('l5'),
      ['CONFIG', 'SET', 'list-max-listpack-size', '-2'],
      ['CONFIG', 'SET', 'list-compress-depth', '1'],
      ['RPUSH', 'lc', 'a', 'b'],
      obj('lc'),
      ['CONFIG', 'SET', 'list-compress-depth', '0'],
      obj('nokey'),
      ['DEBUG', 'OBJECT'],
    ]);
  });

  it('LISTPACK / QUICKLIST check the encoding; STRINGMATCH-TEST passes', async () => {
    await run([
      ['HSET', 'h', 'f', 'v'],
      ['ZADD', 'z', '1', 'a'],
      ['RPUSH', 'l', 'a', 'b'],
      ['SADD', 's', 'a'],
      ['DEBUG', 'LISTPACK', 'h'],
      ['DEBUG', 'LISTPACK', 'z'],
      ['DEBUG', 'LISTPACK', 'l'],
      ['DEBUG', 'LISTPACK', 's'],
      ['DEBUG', 'LISTPACK', 'nokey'],
      ['DEBUG', 'LISTPACK', 'h', 'x'],
      ['DEBUG', 'QUICKLIST', 'l'],
      ['DEBUG', 'QUICKLIST', 'l', '1'],
      ['DEBUG', 'QUICKLIST', 'h'],
      ['DEBUG', 'QUICKLIST', 'nokey'],
      ['DEBUG', 'QUICKLIST'],
      ['DEBUG', 'STRINGMATCH-TEST', 'x'],
    ]);
    // Redis's own run takes seconds (10 million rounds): Lodestone's alone.
    const c = await RawClient.connect(ls.port);
    try {
      expect(await c.call('DEBUG', 'STRINGMATCH-TEST')).toEqual({ t: 'status', v: 'Apparently Redis did not crash: test passed' });
    } finally {
      c.close();
    }
  });

  it('POPULATE makes the keys and values Redis makes', async () => {
    await run([
      ['SET', 'key:1', 'mine'],
      ['DEBUG', 'POPULATE', '5'],
      ['DBSIZE'],
      ['MGET', 'key:0', 'key:1', 'key:4', 'key:5'],
      ['DEBUG', 'POPULATE', '3', 'p'],
      ['MGET', 'p:0', 'p:2'],
      ['DEBUG', 'POPULATE', '3', 'sz', '3'],
      ['DEBUG', 'POPULATE', '3', 'pad', '12'],
      ['MGET', 'sz:0', 'pad:1'],
      ['STRLEN', 'pad:2'],
      ['DEBUG', 'POPULATE', '2', 'x'.repeat(150)],
      ['DBSIZE'],
      ['DEBUG', 'POPULATE', '0'],
      ['DEBUG', 'POPULATE', '-1'],
      ['DEBUG', 'POPULATE', 'x'],
      ['DEBUG', 'POPULATE', '1', 'q', '-1'],
      ['DEBUG', 'POPULATE', '1', 'q', 'x'],
      ['DEBUG', 'POPULATE'],
      ['DEBUG', 'POPULATE', '1', 'a', '1', 'extra'],
      ['DEBUG', 'DIGEST'],
    ]);
  });

  it('PROTOCOL replies of every type, ERROR, LOG, argument errors', async () => {
    const types = ['string', 'integer', 'double', 'bignum', 'null', 'array', 'set', 'map', 'push', 'verbatim', 'true', 'false', 'BOGUS'];
    const steps: Step[] = [
      ...types.map((t) => ['DEBUG', 'PROTOCOL', t]),
      ['DEBUG', 'PROTOCOL', 'attrib'],
      ['DEBUG', 'PROTOCOL'],
      ['DEBUG', 'ERROR', 'foo bar'],
      ['DEBUG', 'ERROR', 'MYERR custom'],
      ['DEBUG', 'ERROR', '-DASH x'],
      ['DEBUG', 'ERROR', ''],
      ['DEBUG', 'ERROR'],
      ['DEBUG', 'LOG', 'hello from the test'],
      ['DEBUG', 'LOG'],
      ['DEBUG', 'SET-ACTIVE-EXPIRE'],
      ['DEBUG', 'BOGUS'],
      ['DEBUG', 'bogus', 'x'],
      ['DEBUG', 'SLEEP', '0'],
    ];
    await run(steps);
    await run(steps.filter((s) => !(Array.isArray(s) && s[2] === 'attrib')).concat([['DEBUG', 'PROTOCOL', 'push']]), true);
    const [a, b] = await Promise.all(
      [ls.port, rs.port].map((p) => rawReply(p, [['HELLO', '3']], ['DEBUG', 'PROTOCOL', 'attrib'], 90)),
    );
    expect(a).toBe(b);
    expect(a.startsWith('|1\r\n')).toBe(true);
  });

  it('SET-SKIP-CHECKSUM-VALIDATION lets RESTORE and FUNCTION RESTORE take a payload with a wrong CRC', async () => {
    // A string "hello" payload and a one-library functions payload, each with its CRC's first byte flipped.
    const withBadCrc = (body: Buffer): string => {
      const crc = crc64LE(body);
      crc[0] ^= 0xff;
      return Buffer.concat([body, crc]).latin1Slice();
    };
    const str = withBadCrc(Buffer.from([0, 5, ...Buffer.from('hello'), 10, 0]));
    const code = "#!lua name=lib\nredis.register_function('f', function() return 'f' end)";
    const fn = withBadCrc(Buffer.concat([Buffer.from([245, code.length]), Buffer.from(code, 'latin1'), Buffer.from([10, 0])]));
    const junk = withBadCrc(Buffer.from([0, 50, 1, 2, 10, 0]));
    await run([
      ['RESTORE', 'k', '0', str],
      ['FUNCTION', 'RESTORE', fn],
      ['DEBUG', 'SET-SKIP-CHECKSUM-VALIDATION', '1'],
      ['RESTORE', 'k', '0', str],
      ['GET', 'k'],
      ['RESTORE', 'j', '0', junk],
      ['FUNCTION', 'RESTORE', fn, 'FLUSH'],
      ['FCALL', 'f', '0'],
      ['DEBUG', 'SET-SKIP-CHECKSUM-VALIDATION', 'x'],
      ['RESTORE', 'k2', '0', str],
      ['DEBUG', 'SET-SKIP-CHECKSUM-VALIDATION'],
      ['FUNCTION', 'FLUSH'],
    ]);
  });

  it('CHANGE-REPL-ID gives a new master_replid', async () => {
    for (const port of [ls.port, rs.port]) {
      const c = await RawClient.connect(port);
      try {
        const replid = async (): Promise<string> => /master_replid:([0-9a-f]{40})/.exec(((await c.call('INFO', 'replication')) as { v: string }).v)![1];
        const before = await replid();
        expect(await c.call('DEBUG', 'CHANGE-REPL-ID')).toEqual({ t: 'status', v: 'OK' });
        expect(await replid()).not.toBe(before);
        expect((await c.call('DEBUG', 'CHANGE-REPL-ID', 'x')).t).toBe('error');
      } finally {
        c.close();
      }
    }
  });

  it('PAUSE-CRON 1 stops the cron: no active expiry until PAUSE-CRON 0', async () => {
    const counts: string[][] = [];
    for (const port of [ls.port, rs.port]) {
      const c = await RawClient.connect(port);
      try {
        await c.call('FLUSHALL');
        expect(await c.call('DEBUG', 'PAUSE-CRON', '1')).toEqual({ t: 'status', v: 'OK' });
        await c.call('SET', 'k', 'v', 'PX', '20');
        await sleep(400);
        const seen = [((await c.call('DBSIZE')) as { v: string }).v];
        expect(await c.call('DEBUG', 'PAUSE-CRON', '0')).toEqual({ t: 'status', v: 'OK' });
        await until(async () => ((await c.call('DBSIZE')) as { v: string }).v === '0', 10000, 'cron back on');
        seen.push(show(await c.call('DEBUG', 'PAUSE-CRON')));
        counts.push(seen);
      } finally {
        c.close();
      }
    }
    expect(counts[0][0]).toBe('1');
    expect(counts[0]).toEqual(counts[1]);
  });

  it('SET-ACTIVE-EXPIRE 0 leaves expired keys until they are accessed', async () => {
    const counts: string[][] = [];
    for (const port of [ls.port, rs.port]) {
      const c = await RawClient.connect(port);
      try {
        await c.call('FLUSHALL');
        expect(await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '0')).toEqual({ t: 'status', v: 'OK' });
        await c.call('SET', 'k', 'v', 'PX', '20');
        await c.call('SET', 'k2', 'v', 'PX', '20');
        // Several active-expiry cycles (hz 10) would have removed them.
        await sleep(400);
        const seen = [(await c.call('DBSIZE')) as { v: string }];
        seen.push((await c.call('EXISTS', 'k')) as { v: string });
        seen.push((await c.call('DBSIZE')) as { v: string });
        expect(await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', 'x')).toEqual({ t: 'status', v: 'OK' });
        expect(await c.call('DEBUG', 'SET-ACTIVE-EXPIRE', '1')).toEqual({ t: 'status', v: 'OK' });
        await until(async () => ((await c.call('DBSIZE')) as { v: string }).v === '0', 10000, 'active expiry back on');
        counts.push(seen.map((x) => x.v));
      } finally {
        c.close();
      }
    }
    expect(counts[0]).toEqual(['2', '0', '1']);
    expect(counts[0]).toEqual(counts[1]);
  });
});

describe.skipIf(skipReason('DEBUG LOADAOF differential test', 'redis-server'))('DEBUG LOADAOF: differential vs redis-server', () => {
  it('replays the AOF into an emptied dataset: the same digest before and after, on both servers', async () => {
    const [ls, rs] = await Promise.all([
      startLodestone({ 'enable-debug-command': 'yes', appendonly: 'yes' }),
      startRedis(['--enable-debug-command', 'yes', '--appendonly', 'yes']),
    ]);
    const digests: string[][] = [];
    try {
      for (const port of [ls.port, rs.port]) {
        const c = await RawClient.connect(port);
        const w = await RawClient.connect(port);
        try {
          const d: string[] = [];
          const digest = async (): Promise<void> => {
            d.push(((await c.call('DEBUG', 'DIGEST')) as { v: string }).v);
          };
          for (const cmd of [
            ['SET', 's', 'v', 'EX', '1000'],
            ['INCRBYFLOAT', 'f', '1.5'],
            ['RPUSH', 'l', 'a', 'b', 'c'],
            ['LPOP', 'l'],
            ['SADD', 'set', 'x', 'y', 'z'],
            ['SPOP', 'set'],
            ['ZADD', 'z', '1', 'a', '2', 'b'],
            ['HSET', 'h', 'f', 'v'],
            ['XADD', 'st', '1-1', 'a', '1'],
            ['SELECT', '2'],
            ['SET', 'other', 'db'],
            ['SELECT', '0'],
          ]) {
            await c.call(...cmd);
          }
          // SPOP picks at random: make the set's content the same on both servers.
          await c.call('DEL', 'set');
          await c.call('SADD', 'set', 'p', 'q');
          await digest();
          await w.call('WATCH', 's');
          expect(await c.call('DEBUG', 'LOADAOF')).toEqual({ t: 'status', v: 'OK' });
          await digest();
          await w.call('MULTI');
          await w.call('PING');
          // The reload invalidated the WATCH of an existing key.
          expect((await w.call('EXEC')).t).toBe('nullarray');
          expect(await c.call('GET', 'f')).toEqual({ t: 'bulk', v: '1.5' });
          expect(await c.call('LRANGE', 'l', '0', '-1')).toEqual({ t: 'array', v: [{ t: 'bulk', v: 'b' }, { t: 'bulk', v: 'c' }] });
          d.push(String(d[0] === d[1]));
          digests.push(d);
        } finally {
          c.close();
          w.close();
        }
      }
    } finally {
      await Promise.all([ls.close(), rs.close()]);
    }
    expect(digests[0][2]).toBe('true');
    expect(digests[0]).toEqual(digests[1]);
  });

  it('is refused when the AOF is off (Redis would exit)', async () => {
    const ls = await startLodestone({ 'enable-debug-command': 'yes' });
    const c = await RawClient.connect(ls.port);
    try {
      await c.call('SET', 'k', 'v');
      expect((await c.call('DEBUG', 'LOADAOF')).t).toBe('error');
      expect(await c.call('GET', 'k')).toEqual({ t: 'bulk', v: 'v' });
    } finally {
      c.close();
      await ls.close();
    }
  });
});

describe.skipIf(skipReason('DEBUG RELOAD differential test', 'redis-server'))('DEBUG RELOAD: differential vs redis-server', () => {
  let ls: LodestoneHandle;
  let rs: ProcessHandle;
  beforeAll(async () => {
    [ls, rs] = await Promise.all([startLodestone({ 'enable-debug-command': 'yes' }), startRedis(['--enable-debug-command', 'yes'])]);
  });
  afterAll(async () => {
    await Promise.all([ls?.close(), rs?.close()]);
  });

  it('saves and reloads (MERGE, NOFLUSH, NOSAVE), functions included', async () => {
    const digest = { cmd: ['DEBUG', 'DIGEST'] };
    await diffScript({ lodestone: ls.port, redis: rs.port }, [
      ['FUNCTION', 'FLUSH'],
      ['SET', 's', 'v', 'EX', '1000'],
      ['RPUSH', 'l', 'a', 'b'],
      ['ZADD', 'z', '1', 'a', '2.5', 'b'],
      ['HSET', 'h', 'f', 'v'],
      ['SADD', 'set', '1', '2'],
      ['XADD', 'st', '1-1', 'a', '1'],
      ['SELECT', '1'],
      ['SET', 'other', 'db'],
      ['SELECT', '0'],
      ['FUNCTION', 'LOAD', "#!lua name=lib\nredis.register_function('f', function() return 'from lib' end)"],
      digest,
      ['DEBUG', 'RELOAD'],
      digest,
      ['FCALL', 'f', '0'],
      ['TTL', 's'],
      ['OBJECT', 'ENCODING', 'set'],
      // NOSAVE brings back the saved state.
      ['SET', 'later', '1'],
      ['DEL', 'l'],
      ['DEBUG', 'RELOAD', 'NOSAVE'],
      ['EXISTS', 'later', 'l'],
      digest,
      // NOFLUSH without MERGE fails on what is there; with MERGE the file's keys replace ours.
      ['DEBUG', 'RELOAD', 'NOFLUSH'],
      ['SET', 'later', '2'],
      ['RPUSH', 'l', 'x'],
      ['DEBUG', 'RELOAD', 'NOSAVE', 'NOFLUSH', 'MERGE'],
      ['GET', 'later'],
      ['LRANGE', 'l', '0', '-1'],
      ['FCALL', 'f', '0'],
      digest,
      ['DEBUG', 'RELOAD', 'BOGUS'],
      ['DEBUG', 'RELOAD', 'merge', 'x'],
      ['FUNCTION', 'FLUSH'],
      ['FLUSHALL'],
      ['DEBUG', 'RELOAD'],
      ['DBSIZE'],
    ]);
  });
});
