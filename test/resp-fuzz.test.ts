// Fuzzing the RESP request parser: random frames and mutations of valid ones (flipped, inserted and
// deleted bytes, bogus / huge / negative counts, inline garbage, NULs), split at random points. Fed
// to the parser directly and to a live server over sockets. Bounded: fixed iteration counts and a
// seeded PRNG — the seed is printed, and FUZZ_SEED=<seed> replays a run.
//
// What must hold: the parser throws nothing but ProtocolError and gives the same result however the
// bytes are split; the server answers exactly what the parser predicts (every complete command gets
// a reply; a malformed frame gets `-ERR Protocol error: …` and a close), never crashes or hangs, and
// keeps serving a control client. A sample of the protocol errors is compared with Redis 7's texts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RequestParser } from '../src/protocol/parser.js';
import { ProtocolError } from '../src/protocol/reply.js';
import { mulberry32 as prng } from './helpers/prng.js';
import { RawClient } from './helpers/raw-client.js';
import { encodeCommand, RespValue } from './helpers/resp.js';
import { LodestoneHandle, ProcessHandle, skipReason, startLodestone, startRedis } from './helpers/servers.js';

const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
// eslint-disable-next-line no-console
console.log(`[resp-fuzz] seed ${SEED} (replay with FUZZ_SEED=${SEED})`);

type Rng = () => number;
const int = (r: Rng, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)];

/** Commands the fuzzer builds frames from: harmless, non-blocking, one reply each. */
const SAFE = ['ping', 'echo', 'set', 'get', 'del', 'exists', 'incr', 'rpush', 'lrange', 'hset', 'hget', 'mget', 'strlen', 'type'];

function word(r: Rng): string {
  const n = 1 + int(r, 12);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(r() < 0.9 ? 97 + int(r, 26) : int(r, 256));
  return s;
}

function validCommand(r: Rng): string[] {
  const k = `fz:${int(r, 8)}`;
  switch (pick(r, SAFE)) {
    case 'ping': return ['PING'];
    case 'echo': return ['ECHO', word(r)];
    case 'set': return ['SET', k, word(r)];
    case 'get': return ['GET', k];
    case 'del': return ['DEL', k];
    case 'exists': return ['EXISTS', k, `fz:${int(r, 8)}`];
    case 'incr': return ['INCR', `fz:n${int(r, 3)}`];
    case 'rpush': return ['RPUSH', `fz:l${int(r, 3)}`, word(r), word(r)];
    case 'lrange': return ['LRANGE', `fz:l${int(r, 3)}`, '0', '-1'];
    case 'hset': return ['HSET', `fz:h${int(r, 3)}`, word(r), word(r)];
    case 'hget': return ['HGET', `fz:h${int(r, 3)}`, word(r)];
    case 'mget': return ['MGET', k, `fz:${int(r, 8)}`];
    case 'strlen': return ['STRLEN', k];
    default: return ['TYPE', k];
  }
}

function validFrame(r: Rng): Buffer {
  const args = validCommand(r);
  if (r() < 0.25) return Buffer.from(args.map((a) => (/^[a-z0-9:]+$/.test(a) ? a : `"${a.replace(/[\\"]/g, '')}"`)).join(' ') + '\r\n', 'latin1');
  return encodeCommand(args);
}

const BOGUS = ['-1', '-5', '0', '01', '+3', '-0', '', 'x', '2147483648', '2147483647', '536870913', '9223372036854775808', '99999999999999999999', '3 ', '１'];

function mutate(r: Rng, frame: Buffer): Buffer {
  const b = Buffer.from(frame);
  const at = int(r, b.length + 1);
  switch (int(r, 9)) {
    case 0: // flip a bit
      if (b.length) b[int(r, b.length)] ^= 1 << int(r, 8);
      return b;
    case 1: // insert a random byte
      return Buffer.concat([b.subarray(0, at), Buffer.from([int(r, 256)]), b.subarray(at)]);
    case 2: // delete a run of bytes
      return Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + int(r, 4))]);
    case 3: // truncate
      return b.subarray(0, at);
    case 4: { // replace a `*`/`$` count with a bogus one
      const s = b.toString('latin1');
      const counts = [...s.matchAll(/[*$](-?\d+)\r\n/g)];
      if (!counts.length) return b;
      const m = pick(r, counts);
      const v = pick(r, BOGUS);
      return Buffer.from(s.slice(0, m.index! + 1) + v + s.slice(m.index! + 1 + m[1].length), 'latin1');
    }
    case 5: // a NUL byte
      return Buffer.concat([b.subarray(0, at), Buffer.from([0]), b.subarray(at)]);
    case 6: // inline garbage: unbalanced or badly closed quotes
      return Buffer.from(pick(r, ['SET "abc\r\n', "GET 'x\r\n", 'ECHO "a"b\r\n', "ECHO 'a'b\r\n", '"\\x4\r\n', '   \r\n', '\r\n', '\n']), 'latin1');
    case 7: // a wrong type byte where a bulk header belongs
      return Buffer.from(b.toString('latin1').replace(/\$(\d+)\r\n/, pick(r, [':$1\r\n', '+$1\r\n', '*$1\r\n', '$$1\r\n'])), 'latin1');
    default: // duplicate a piece
      return Buffer.concat([b.subarray(0, at), b.subarray(int(r, b.length + 1)), b.subarray(at)]);
  }
}

function randomFrame(r: Rng): Buffer {
  const n = int(r, 48);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = r() < 0.5 ? int(r, 256) : pick(r, [0x2a, 0x24, 0x0d, 0x0a, 0x30 + int(r, 10), 0x2d, 0x20, 0x22]);
  if (n && r() < 0.3) b[0] = pick(r, [0x2a, 0x24]);
  return Buffer.concat([b, r() < 0.5 ? Buffer.from('\r\n') : Buffer.alloc(0)]);
}

/** A test case: a few frames, valid, mutated or random, back to back. */
function caseBytes(r: Rng): Buffer {
  const parts: Buffer[] = [];
  const n = 1 + int(r, 4);
  for (let i = 0; i < n; i++) {
    const x = r();
    parts.push(x < 0.4 ? validFrame(r) : x < 0.85 ? mutate(r, validFrame(r)) : randomFrame(r));
  }
  return Buffer.concat(parts);
}

/** Split at random points into 1..4 pieces. */
function split(r: Rng, b: Buffer): Buffer[] {
  const cuts = Array.from({ length: int(r, 4) }, () => int(r, b.length + 1)).sort((x, y) => x - y);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...cuts, b.length]) {
    out.push(b.subarray(prev, c));
    prev = c;
  }
  return out;
}

interface Outcome {
  commands: string[][];
  /** The ProtocolError message, or null when the input was accepted (possibly ending mid-frame). */
  error: string | null;
}

/** What a connection's parser makes of these chunks. Anything but a ProtocolError propagates. */
function parse(chunks: Buffer[], unauthenticated = false): Outcome {
  const p = new RequestParser({ maxBulkLen: 512 * 1024 * 1024, unauthenticated });
  const commands: string[][] = [];
  try {
    for (const c of chunks) p.feed(c, (args) => void commands.push(args));
  } catch (e) {
    if (!(e instanceof ProtocolError)) throw e;
    return { commands, error: e.wire.replace(/[\r\n]/g, ' ') }; // as sent: CR/LF become spaces, like Redis
  }
  return { commands, error: null };
}

describe('parser (unit)', () => {
  it('throws only ProtocolError, and the same however the input is split', () => {
    const r = prng(SEED);
    let errors = 0;
    for (let i = 0; i < 20000; i++) {
      const bytes = caseBytes(r);
      const unauth = r() < 0.2;
      let whole: Outcome;
      let pieces: Outcome;
      try {
        whole = parse([bytes], unauth);
        pieces = parse(split(r, bytes), unauth);
      } catch (e) {
        throw new Error(`case ${i} (seed ${SEED}) ${JSON.stringify(bytes.toString('latin1'))}: ${(e as Error).stack}`);
      }
      expect(pieces, `case ${i} (seed ${SEED}) ${JSON.stringify(bytes.toString('latin1'))}`).toEqual(whole);
      if (whole.error) errors++;
    }
    // The generator does reach the error paths (and the accepting ones).
    expect(errors).toBeGreaterThan(1000);
    expect(errors).toBeLessThan(19000);
  });

  it('does not reserve a huge announced bulk before its bytes arrive', () => {
    const p = new RequestParser({ maxBulkLen: 512 * 1024 * 1024, unauthenticated: false });
    p.feed(Buffer.from('*1\r\n$536870000\r\n' + 'x'.repeat(40000)), () => {});
    expect(p.allocated).toBeLessThan(1024 * 1024);
    // …and still assembles a big one correctly as it does arrive.
    const value = Buffer.alloc(3 * 1024 * 1024 + 7, 'v');
    const got: string[][] = [];
    const q = new RequestParser({ maxBulkLen: 512 * 1024 * 1024, unauthenticated: false });
    const frame = encodeCommand(['SET', 'k', value]);
    for (let off = 0; off < frame.length; off += 50000) q.feed(frame.subarray(off, off + 50000), (a) => void got.push(a));
    expect(got.length).toBe(1);
    expect(got[0][2].length).toBe(value.length);
    expect(got[0][2] === value.toString('latin1')).toBe(true);
  });
});

describe('live server', () => {
  let ls: LodestoneHandle;
  beforeAll(async () => {
    ls = await startLodestone();
  });
  afterAll(async () => {
    await ls.close();
  });

  /** Cases whose predicted commands are all harmless (a mutation may spell a real command). */
  function liveCases(r: Rng, n: number): { bytes: Buffer; pieces: Buffer[]; want: Outcome }[] {
    const out: { bytes: Buffer; pieces: Buffer[]; want: Outcome }[] = [];
    while (out.length < n) {
      const bytes = caseBytes(r);
      const want = parse([bytes]);
      const ok = want.commands.every((a) => SAFE.includes(a[0].toLowerCase()) || !ls.server.table.lookup(a[0].toLowerCase()));
      if (ok) out.push({ bytes, pieces: split(r, bytes), want });
    }
    return out;
  }

  it('answers as the parser predicts, closes only on protocol errors, keeps serving others', async () => {
    const r = prng(SEED ^ 0x5eed);
    const control = await RawClient.connect(ls.port);
    const cases = liveCases(r, 300);
    const PARALLEL = 25;
    let closedWithError = 0;
    for (let i = 0; i < cases.length; i += PARALLEL) {
      await Promise.all(
        cases.slice(i, i + PARALLEL).map(async ({ bytes, pieces, want }, j) => {
          const what = `live case ${i + j} (seed ${SEED}) ${JSON.stringify(bytes.toString('latin1'))}`;
          const c = await RawClient.connect(ls.port);
          try {
            for (const piece of pieces) c.writeRaw(piece);
            const replies: RespValue[] = [];
            for (let k = 0; k < want.commands.length; k++) replies.push(await c.read(10000));
            if (want.error) {
              expect(await c.read(10000), what).toEqual({ t: 'error', v: want.error });
              await c.waitClose(10000);
              closedWithError++;
            } else {
              expect(c.isClosed, what).toBe(false);
            }
            for (const rep of replies) expect(rep.t === 'error' ? rep.v : '', what).not.toMatch(/Protocol error/);
          } finally {
            c.close();
          }
        }),
      );
      expect(await control.call('PING')).toEqual({ t: 'status', v: 'PONG' });
    }
    expect(closedWithError).toBeGreaterThan(0);
    expect(await control.call('SET', 'after-storm', 'ok')).toEqual({ t: 'status', v: 'OK' });
    expect(await control.call('GET', 'after-storm')).toEqual({ t: 'bulk', v: 'ok' });
    control.close();
  });

  it('sends the client\'s bytes back in error lines as they came, like Redis', async () => {
    // Found by this fuzzer: non-ASCII bytes in an error line went out UTF-8 encoded (\xe5 as C3 A5).
    const c = await RawClient.connect(ls.port);
    c.writeRaw('ab\xe5c\r\n*1\r\n\xe5\r\n');
    const want = "-ERR unknown command 'ab\xe5c', with args beginning with: \r\n-ERR Protocol error: expected '$', got '\xe5'\r\n";
    expect((await c.readBytes(want.length)).toString('latin1')).toBe(want);
    c.close();
  });

  describe.skipIf(skipReason('protocol error texts against Redis', 'redis-server'))('against Redis 7', () => {
    let redis: ProcessHandle;
    beforeAll(async () => {
      redis = await startRedis();
    });
    afterAll(async () => {
      await redis.close();
    });

    /** Send the bytes whole, wait for the close, return the last line received. */
    async function lastLine(port: number, bytes: Buffer): Promise<string> {
      const c = await RawClient.connect(port);
      c.writeRaw(bytes);
      await c.waitClose(5000);
      const lines = c.unread.toString('latin1').split('\r\n').filter(Boolean);
      return lines[lines.length - 1] ?? '';
    }

    it('a sample of protocol errors has Redis\'s exact text', async () => {
      const r = prng(SEED ^ 0xbeef);
      const sample = liveCases(r, 4000).filter((c) => c.want.error).slice(0, 60);
      expect(sample.length).toBeGreaterThan(20);
      for (const { bytes, want } of sample) {
        const what = `case (seed ${SEED}) ${JSON.stringify(bytes.toString('latin1'))}`;
        const [ours, theirs] = await Promise.all([lastLine(ls.port, bytes), lastLine(redis.port, bytes)]);
        expect(ours, what).toBe(`-${want.error}`);
        expect(ours, what).toBe(theirs);
      }
    });
  });
});
