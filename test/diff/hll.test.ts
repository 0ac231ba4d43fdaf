// Differential tests for HyperLogLog (PFADD PFCOUNT PFMERGE PFDEBUG PFSELFTEST) against a real
// redis-server 7.0: every reply and error, and — since Lodestone stores Redis's own representation —
// the exact bytes GET returns after the same commands (sparse, the promotion to dense, dense), the
// counts at many cardinalities, values moved between the servers, corrupted values, keyspace
// events, WATCH and what each server propagates to its AOF.
//
// Element streams are seeded (mulberry32), so a failure reproduces. Commands are pipelined to
// both servers and the replies compared in order; the first difference fails with its command.
import { readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffServers } from '../helpers/diff.js';
import { RawClient } from '../helpers/raw-client.js';
import { RespValue, show } from '../helpers/resp.js';
import { skipReason, startLodestone, startRedis } from '../helpers/servers.js';
import { until } from '../helpers/poll.js';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` distinct elements: mostly text, some binary (every byte value), lengths 0..40. */
function elements(seed: number, n: number, prefix = ''): string[] {
  const r = mulberry32(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 7 === 3) {
      let s = `${prefix}${i}:`;
      const len = (r() * 40) | 0;
      for (let j = 0; j < len; j++) s += String.fromCharCode((r() * 256) | 0);
      out.push(s);
    } else out.push(`${prefix}el-${seed}-${i}-${(r() * 1e9) | 0}`);
  }
  return out;
}

/** Raw HLL bytes as a latin1 string: header + body. */
function hllBytes(encoding: number, body: string | Buffer, card = Buffer.alloc(8)): Buffer {
  return Buffer.concat([Buffer.from('HYLL', 'latin1'), Buffer.from([encoding, 0, 0, 0]), card, Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1')]);
}

describe.skipIf(skipReason('HyperLogLog differential tests', 'redis-server'))('hyperloglog: differential vs redis-server', () => {
  const s = diffServers();

  let a: RawClient;
  let b: RawClient;
  beforeAll(async () => {
    a = await RawClient.connect(s.ls.port);
    b = await RawClient.connect(s.rs.port);
  });
  afterAll(() => {
    a?.close();
    b?.close();
  });

  /** Empty both servers (and restore the default sparse limit). */
  async function reset(): Promise<void> {
    for (const db of s.ls.server.dbs) db.clear();
    await Promise.all([a.call('FLUSHALL'), b.call('FLUSHALL')]);
    await Promise.all([a.call('CONFIG', 'SET', 'hll-sparse-max-bytes', '3000'), b.call('CONFIG', 'SET', 'hll-sparse-max-bytes', '3000')]);
  }

  /** Pipeline `cmds` to both servers; every reply must be identical. Returns Redis's replies. */
  async function same(cmds: (string | Buffer)[][]): Promise<RespValue[]> {
    const [ra, rb] = await Promise.all([Promise.all(cmds.map((c) => a.call(...c))), Promise.all(cmds.map((c) => b.call(...c)))]);
    for (let i = 0; i < cmds.length; i++) {
      const c = cmds[i].map((x) => (typeof x === 'string' && x.length > 60 ? `${JSON.stringify(x.slice(0, 60))}…(${x.length})` : JSON.stringify(x.toString())));
      expect(show(ra[i]), `command #${i}: ${c.join(' ')}`).toBe(show(rb[i]));
    }
    return rb;
  }

  it('PFADD / PFCOUNT / PFMERGE replies and errors', async () => {
    await reset();
    await same([
      ['PFADD'],
      ['PFCOUNT'],
      ['PFMERGE'],
      ['PFADD', 'h'],
      ['GET', 'h'],
      ['PFADD', 'h'],
      ['PFCOUNT', 'h'],
      ['GET', 'h'],
      ['PFADD', 'h', 'a', 'b', 'c'],
      ['PFADD', 'h', 'a', 'b', 'c'],
      ['PFADD', 'h', 'a', 'b', 'c', 'd'],
      ['PFADD', 'h', ''],
      ['GET', 'h'],
      ['PFCOUNT', 'h'],
      ['GET', 'h'],
      ['PFCOUNT', 'h'],
      ['PFCOUNT', 'missing'],
      ['PFCOUNT', 'missing', 'h', 'missing2'],
      ['PFCOUNT', 'h', 'h'],
      ['PFADD', 'h2', 'x', 'y', 'a'],
      ['PFCOUNT', 'h', 'h2'],
      ['PFMERGE', 'dst', 'h', 'h2'],
      ['GET', 'dst'],
      ['PFCOUNT', 'dst'],
      ['PFMERGE', 'dst'],
      ['GET', 'dst'],
      ['PFMERGE', 'new'],
      ['GET', 'new'],
      ['PFMERGE', 'new2', 'nosuch'],
      ['GET', 'new2'],
      ['PFMERGE', 'h', 'h'],
      ['GET', 'h'],
      // Wrong types: another type, and strings that are not HLLs.
      ['RPUSH', 'list', 'a'],
      ['SET', 'str', 'hello'],
      ['SET', 'num', '12345'],
      ['SET', 'magic', 'HYLL'],
      ['PFADD', 'list', 'a'],
      ['PFADD', 'str', 'a'],
      ['PFADD', 'num', 'a'],
      ['PFADD', 'magic'],
      ['PFCOUNT', 'list'],
      ['PFCOUNT', 'str'],
      ['PFCOUNT', 'h', 'str'],
      ['PFCOUNT', 'h', 'list'],
      ['PFMERGE', 'list', 'h'],
      ['PFMERGE', 'h', 'str'],
      ['PFMERGE', 'str', 'h'],
      ['PFMERGE', 'nokey', 'list'],
      ['EXISTS', 'nokey'],
      ['GET', 'str'],
      // TTLs survive the in-place change.
      ['EXPIRE', 'h', '1000'],
      ['PFADD', 'h', 'zzz'],
      ['TTL', 'h'],
      ['PFCOUNT', 'h'],
      ['TTL', 'h'],
      ['PFMERGE', 'h', 'h2'],
      ['TTL', 'h'],
    ]);
  });

  it('PFDEBUG subcommands and errors, PFSELFTEST', async () => {
    await reset();
    await same([
      ['PFDEBUG'],
      ['PFDEBUG', 'ENCODING'],
      ['PFDEBUG', 'ENCODING', 'h', 'x'],
      ['PFDEBUG', 'ENCODING', 'h'],
      ['PFDEBUG', 'NOSUCH', 'h'],
      ['PFADD', 'h', 'a', 'b', 'c', 'foo', 'bar'],
      ['PFDEBUG', 'nosuch', 'h'],
      ['PFDEBUG', 'encoding', 'h'],
      ['PFDEBUG', 'Decode', 'h'],
      ['PFDEBUG', 'DECODE', 'h'],
      ['SET', 'str', 'x'],
      ['RPUSH', 'list', 'x'],
      ['PFDEBUG', 'DECODE', 'str'],
      ['PFDEBUG', 'GETREG', 'list'],
      ['PFDEBUG', 'TODENSE', 'h'],
      ['PFDEBUG', 'ENCODING', 'h'],
      ['PFDEBUG', 'DECODE', 'h'],
      ['PFDEBUG', 'TODENSE', 'h'],
      ['GET', 'h'],
      ['PFCOUNT', 'h'],
      ['PFADD', 'h2', 'q', 'r'],
      ['PFDEBUG', 'GETREG', 'h2'],
      ['PFDEBUG', 'ENCODING', 'h2'],
      ['GET', 'h2'],
      ['PFADD', 'empty'],
      ['PFDEBUG', 'DECODE', 'empty'],
      ['PFDEBUG', 'GETREG', 'empty'],
      ['PFSELFTEST', 'x'],
    ]);
    // A dense HLL's registers, read back.
    await same([['PFADD', 'd', ...elements(7, 3000)], ['PFDEBUG', 'ENCODING', 'd'], ['PFDEBUG', 'GETREG', 'd'], ['GET', 'd']]);
  });

  it('PFSELFTEST answers OK', async () => {
    await same([['PFSELFTEST']]);
  }, 120_000);

  it('GET returns the same bytes after every PFADD, through the sparse → dense promotion', async () => {
    await reset();
    const els = elements(1, 2600);
    const cmds: string[][] = [];
    // One element per PFADD: every intermediate sparse form, the promotion point, dense after it.
    for (const e of els) cmds.push(['PFADD', 'h', e], ['GET', 'h']);
    cmds.push(['PFDEBUG', 'ENCODING', 'h'], ['PFCOUNT', 'h'], ['GET', 'h']);
    const replies = await same(cmds);
    expect(show(replies[replies.length - 3])).toBe(show({ t: 'status', v: 'dense' }));
    // Several elements per PFADD, with repeats.
    const r = mulberry32(2);
    const many: string[][] = [];
    for (let i = 0; i < 60; i++) {
      const batch = elements(100 + i, 1 + ((r() * 60) | 0));
      many.push(['PFADD', 'm', ...batch, ...batch.slice(0, 3)], ['GET', 'm'], ['PFDEBUG', 'ENCODING', 'm']);
    }
    await same(many);
  }, 120_000);

  it('honours hll-sparse-max-bytes (CONFIG SET / GET, early and late promotion)', async () => {
    await reset();
    await same([
      ['CONFIG', 'GET', 'hll-sparse-max-bytes'],
      ['CONFIG', 'SET', 'hll-sparse-max-bytes', '-1'],
      ['CONFIG', 'SET', 'hll-sparse-max-bytes', 'abc'],
      ['CONFIG', 'SET', 'hll-sparse-max-bytes', '1k'],
      ['CONFIG', 'GET', 'hll-sparse-max-bytes'],
      ['CONFIG', 'SET', 'hll-sparse-max-bytes', '30'],
      ...elements(3, 20).flatMap((e) => [
        ['PFADD', 'h', e],
        ['PFDEBUG', 'ENCODING', 'h'],
        ['GET', 'h'],
      ]),
      ['CONFIG', 'SET', 'hll-sparse-max-bytes', '0'],
      ['PFADD', 'z', 'a'],
      ['PFDEBUG', 'ENCODING', 'z'],
      ['PFADD', 'z2'],
      ['PFDEBUG', 'ENCODING', 'z2'],
      ['CONFIG', 'SET', 'hll-sparse-max-bytes', '20000'],
      ['PFADD', 'big', ...elements(4, 6000)],
      ['PFDEBUG', 'ENCODING', 'big'],
      ['GET', 'big'],
      ['PFCOUNT', 'big'],
      ['PFMERGE', 'big2', 'big', 'z'],
      ['PFDEBUG', 'ENCODING', 'big2'],
      ['GET', 'big2'],
    ]);
  });

  it('PFCOUNT is identical at many cardinalities (0 … 100000), single and multi-key', async () => {
    await reset();
    const els = elements(5, 100_000);
    const checkpoints = new Set([0, 1, 10, 100, 1000, 10_000, 100_000]);
    const cmds: string[][] = [['PFCOUNT', 'h'], ['PFADD', 'h']];
    let added = 0;
    const batches: number[] = [];
    for (const c of [...checkpoints].sort((x, y) => x - y)) batches.push(c);
    for (const target of batches) {
      while (added < target) {
        const n = Math.min(1000, target - added);
        cmds.push(['PFADD', 'h', ...els.slice(added, added + n)]);
        // A second key over a shifted range, for multi-key counts.
        cmds.push(['PFADD', 'g', ...els.slice(added, added + n).map((e) => `${e}/g`)]);
        added += n;
        if (added % 5000 === 0 || added < 5000) cmds.push(['PFCOUNT', 'h']);
      }
      cmds.push(['PFCOUNT', 'h'], ['PFCOUNT', 'h'], ['PFCOUNT', 'h', 'g'], ['PFCOUNT', 'g', 'nokey', 'h'], ['GET', 'h'], ['PFDEBUG', 'ENCODING', 'h']);
    }
    const replies = await same(cmds);
    // Sanity: the estimate at 100000 is within 2% (the reply is Redis's, and Lodestone's equals it).
    const last = replies[replies.length - 6];
    expect(Math.abs(Number((last as { v: string }).v) - 100_000)).toBeLessThan(2000);
  }, 120_000);

  it('PFMERGE of sparse and dense values gives the same bytes and counts', async () => {
    await reset();
    await same([
      ['PFADD', 's1', ...elements(10, 50)],
      ['PFADD', 's2', ...elements(11, 300)],
      ['PFADD', 'd1', ...elements(12, 5000)],
      ['PFADD', 'd2', ...elements(13, 20000)],
      ['PFMERGE', 'ss', 's1', 's2'],
      ['PFDEBUG', 'ENCODING', 'ss'],
      ['GET', 'ss'],
      ['PFMERGE', 'sd', 's1', 'd1'],
      ['PFDEBUG', 'ENCODING', 'sd'],
      ['GET', 'sd'],
      ['PFCOUNT', 'sd'],
      ['PFMERGE', 's1', 's2', 'nokey'],
      ['GET', 's1'],
      ['PFMERGE', 's2', 'd2'],
      ['PFDEBUG', 'ENCODING', 's2'],
      ['GET', 's2'],
      ['PFMERGE', 'd1', 's1'],
      ['GET', 'd1'],
      ['PFMERGE', 'all', 's1', 's2', 'd1', 'd2', 'ss', 'sd'],
      ['GET', 'all'],
      ['PFCOUNT', 'all'],
      ['PFCOUNT', 's1', 's2', 'd1', 'd2', 'ss', 'sd'],
      // A merge of sparse inputs whose union outgrows the sparse limit promotes on the way.
      ['PFADD', 'p1', ...elements(14, 900)],
      ['PFADD', 'p2', ...elements(15, 900)],
      ['PFADD', 'p3', ...elements(16, 900)],
      ['PFDEBUG', 'ENCODING', 'p1'],
      ['PFMERGE', 'p', 'p1', 'p2', 'p3'],
      ['PFDEBUG', 'ENCODING', 'p'],
      ['GET', 'p'],
      ['PFCOUNT', 'p'],
    ]);
  });

  it('values move between servers: GET from one, SET into the other, same counts and bytes after', async () => {
    await reset();
    const sets = [elements(20, 5), elements(21, 700), elements(22, 8000)];
    for (let i = 0; i < sets.length; i++) {
      // Redis → Lodestone
      await b.call('PFADD', `r${i}`, ...sets[i]);
      const fromRedis = await b.call('GET', `r${i}`);
      expect(fromRedis.t).toBe('bulk');
      const bytesR = (fromRedis as { v: string }).v;
      expect((await a.call('SET', `r${i}`, bytesR)).t).toBe('status');
      // Lodestone → Redis
      await a.call('PFADD', `l${i}`, ...sets[i].map((e) => `${e}!`));
      const bytesL = ((await a.call('GET', `l${i}`)) as { v: string }).v;
      await b.call('SET', `l${i}`, bytesL);
    }
    const more = elements(23, 400);
    await same([
      ['PFCOUNT', 'r0'],
      ['PFCOUNT', 'r1'],
      ['PFCOUNT', 'r2'],
      ['PFCOUNT', 'l0'],
      ['PFCOUNT', 'l1'],
      ['PFCOUNT', 'l2'],
      ['GET', 'r0'],
      ['GET', 'r1'],
      ['GET', 'l1'],
      ['PFCOUNT', 'r0', 'r1', 'r2', 'l0', 'l1', 'l2'],
      ['PFADD', 'r1', ...more],
      ['PFADD', 'l1', ...more],
      ['GET', 'r1'],
      ['GET', 'l1'],
      ['PFMERGE', 'x', 'r0', 'l2'],
      ['GET', 'x'],
    ]);
  });

  it('corrupted and crafted values: the same errors, counts and bytes', async () => {
    await reset();
    const xzero = (n: number): Buffer => Buffer.from([0x40 | ((n - 1) >> 8), (n - 1) & 0xff]);
    const invalidCard = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0x80]);
    const cases: Record<string, Buffer> = {
      // Sparse opcodes covering fewer / more than 16384 registers.
      short: hllBytes(1, xzero(16000), invalidCard),
      long: hllBytes(1, Buffer.concat([xzero(16384), Buffer.from([0x80])]), invalidCard),
      // A VAL run crossing the end.
      overrun: hllBytes(1, Buffer.concat([xzero(16383), Buffer.from([0x83])]), invalidCard),
      // A truncated XZERO (its second byte missing).
      truncated: hllBytes(1, Buffer.from([0x7f]), invalidCard),
      // No opcodes at all.
      bare: hllBytes(1, '', invalidCard),
      // Valid sparse forms Redis itself would never write: ZERO runs only, VAL:32 runs, XZERO:1.
      zeros: hllBytes(1, Buffer.alloc(256, 0x3f), invalidCard),
      vals: hllBytes(1, Buffer.concat([Buffer.from([0xff, 0xff, 0x80, 0xfc]), xzero(16384 - 10)]), invalidCard),
      xone: hllBytes(1, Buffer.concat([xzero(1), xzero(16383)]), invalidCard),
      // A cached cardinality that is "valid" but wrong: PFCOUNT trusts it.
      cached: hllBytes(1, xzero(16384), Buffer.from([0x39, 0x30, 0, 0, 0, 0, 0, 0])),
      bigcached: hllBytes(1, xzero(16384), Buffer.from([1, 2, 3, 4, 5, 6, 7, 0x7f])),
      // Dense with every register at 63: an estimate beyond 64 bits.
      max63: hllBytes(0, Buffer.alloc(12288, 0xff), invalidCard),
      max63cached: hllBytes(0, Buffer.alloc(12288, 0xff)),
      // Dense registers of assorted values, stale cache.
      noise: hllBytes(0, Buffer.from(Array.from({ length: 12288 }, (_, i) => (i * 37 + (i >> 3)) & 0x7f)), invalidCard),
      // Wrong length for dense, unknown encoding, bad magic, short header.
      denseShort: hllBytes(0, Buffer.alloc(12287)),
      denseLong: hllBytes(0, Buffer.alloc(12289)),
      enc2: hllBytes(2, xzero(16384)),
      magic: Buffer.concat([Buffer.from('HYLX'), hllBytes(1, xzero(16384)).subarray(4)]),
      header: Buffer.from('HYLL\x01\x00\x00\x00\x00\x00\x00', 'latin1'),
    };
    const names = Object.keys(cases);
    const cmds: (string | Buffer)[][] = [];
    for (const n of names) cmds.push(['SET', n, cases[n]]);
    for (const n of names) {
      cmds.push(
        ['PFCOUNT', n],
        ['PFCOUNT', n],
        ['PFCOUNT', n, 'nokey'],
        ['PFDEBUG', 'ENCODING', n],
        ['PFDEBUG', 'DECODE', n],
        ['PFMERGE', `m-${n}`, n],
        ['GET', `m-${n}`],
        ['PFADD', n, 'a', 'b', 'c', 'd', 'e', 'f'],
        ['GET', n],
        ['PFDEBUG', 'TODENSE', n],
        ['GET', n],
        ['PFCOUNT', n],
      );
    }
    await same(cmds);
    // PFADD into a corrupt sparse value changes the registers before the one it fails on.
    await same([['SET', 'part', hllBytes(1, xzero(8000), invalidCard)], ['PFADD', 'part', ...elements(30, 50)], ['GET', 'part'], ['PFDEBUG', 'DECODE', 'part']]);
  });

  it('keyspace events: pfadd for PFADD that changed something and for PFMERGE, none for PFCOUNT', async () => {
    await reset();
    const subs = await Promise.all([RawClient.connect(s.ls.port), RawClient.connect(s.rs.port)]);
    try {
      await same([['CONFIG', 'SET', 'notify-keyspace-events', 'KEA']]);
      for (const c of subs) await c.call('PSUBSCRIBE', '__key*__:*');
      await same([
        ['PFADD', 'h', 'a'],
        ['PFADD', 'h', 'a'],
        ['PFCOUNT', 'h'],
        ['PFADD', 'h'],
        ['PFMERGE', 'h2', 'h'],
        ['PFMERGE', 'h2'],
        ['PFDEBUG', 'TODENSE', 'h2'],
        ['PFCOUNT', 'h', 'h2'],
        ['PFADD', 'done', 'x'],
      ]);
      const got: string[][] = [[], []];
      for (let i = 0; i < 2; i++) {
        for (;;) {
          const m = await subs[i].read();
          const line = show(m);
          got[i].push(line);
          if (line.includes('"done"') && line.includes('__keyevent')) break;
        }
      }
      expect(got[0]).toEqual(got[1]);
      expect(got[1].filter((l) => l.includes('pfadd')).length).toBe(8); // 4 events (PFADD a, 2 × PFMERGE, PFADD done) × (keyspace + keyevent)
    } finally {
      for (const c of subs) c.close();
      await same([['CONFIG', 'SET', 'notify-keyspace-events', '']]);
    }
  });

  it('a PFCOUNT that refreshes the cached cardinality invalidates WATCH; one that reads it does not', async () => {
    await reset();
    const others = await Promise.all([RawClient.connect(s.ls.port), RawClient.connect(s.rs.port)]);
    try {
      const both = async (cmd: string[], onOther = false): Promise<void> => {
        const [x, y] = onOther ? others : [a, b];
        const [rx, ry] = await Promise.all([x.call(...cmd), y.call(...cmd)]);
        expect(show(rx), cmd.join(' ')).toBe(show(ry));
      };
      for (const stale of [true, false]) {
        await both(['PFADD', 'h', 'a', 'b']);
        if (!stale) await both(['PFCOUNT', 'h']);
        await both(['WATCH', 'h']);
        await both(['PFCOUNT', 'h'], true);
        await both(['MULTI']);
        await both(['PING']);
        await both(['EXEC']);
        await both(['DEL', 'h']);
      }
    } finally {
      for (const c of others) c.close();
    }
  });
});

describe.skipIf(skipReason('HyperLogLog propagation test', 'redis-server'))('hyperloglog: what is propagated', () => {
  it('the commands written to the AOF are the same as redis-server 7.0 writes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-hll-aof-'));
    const rs = await startRedis(['--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir]);
    const ls = await startLodestone();
    const seen: string[][] = [];
    const stop = ls.server.observeWrites((events) => {
      for (const e of events) seen.push(e.args.map((x) => x.toLowerCase()));
    });
    const a = await RawClient.connect(ls.port);
    const b = await RawClient.connect(rs.port);
    try {
      const script = [
        ['PFADD', 'h', 'a', 'b', 'c'],
        ['PFADD', 'h', 'a'],
        ['PFCOUNT', 'h'],
        ['PFCOUNT', 'h'],
        ['PFCOUNT', 'h', 'h'],
        ['PFADD', 'h', 'd'],
        ['PFCOUNT', 'h', 'nokey'],
        ['PFDEBUG', 'ENCODING', 'h'],
        ['PFDEBUG', 'GETREG', 'h'],
        ['PFDEBUG', 'TODENSE', 'h'],
        ['PFADD', 'g', 'x'],
        ['PFDEBUG', 'TODENSE', 'g'],
        ['PFMERGE', 'm', 'h'],
        ['PFCOUNT', 'm'],
        ['PFSELFTEST'],
        ['SET', 'end', '1'],
      ];
      for (const c of script) {
        const [x, y] = await Promise.all([a.call(...c), b.call(...c)]);
        expect(show(x), c.join(' ')).toBe(show(y));
      }
      // Redis's AOF: the incremental file's commands after its SELECT.
      const aofDir = join(dir, 'appendonlydir');
      let logged: string[][] = [];
      await until(() => {
        const f = readdirSync(aofDir).find((n) => n.endsWith('.incr.aof'));
        if (!f) return false;
        logged = parseAof(readFileSync(join(aofDir, f)));
        return logged.some((c) => c[0] === 'set');
      });
      expect(seen).toEqual(logged.filter((c) => c[0] !== 'select'));
    } finally {
      stop();
      a.close();
      b.close();
      await Promise.all([ls.close(), rs.close()]);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});

/** The commands of an AOF (RESP multibulks), lowercased. */
function parseAof(buf: Buffer): string[][] {
  const out: string[][] = [];
  let off = 0;
  const line = (): string => {
    const nl = buf.indexOf('\r\n', off);
    const l = buf.latin1Slice(off, nl);
    off = nl + 2;
    return l;
  };
  while (off < buf.length) {
    const n = Number(line().slice(1));
    const cmd: string[] = [];
    for (let i = 0; i < n; i++) {
      const len = Number(line().slice(1));
      cmd.push(buf.latin1Slice(off, off + len).toLowerCase());
      off += len + 2;
    }
    out.push(cmd);
  }
  return out;
}
