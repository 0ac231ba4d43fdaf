// Differential tests of the stream family against a real redis-server 7.0: every command, option and
// error reply, replies compared by exact RESP type and bytes (test/helpers/diff.ts). IDs are explicit
// here (generated ids differ between servers; `*` is covered in test/streams.test.ts), and times
// (idle, seen-time, delivery time) are masked. Blocking is covered over sockets in test/streams.test.ts.
import { describe, it } from 'vitest';
import { diffServers, Step } from '../helpers/diff.js';
import type { RespValue } from '../helpers/resp.js';
import { skipReason } from '../helpers/servers.js';

const T: RespValue = { t: 'int', v: 'T' };

/** Blank out times: values after 'idle' / 'seen-time' keys and integers that look like ms timestamps. */
function maskTimes(v: RespValue): RespValue {
  if (v.t === 'int' && v.v.length >= 12) return T;
  if (v.t === 'array' || v.t === 'map') {
    const out = v.v.map(maskTimes);
    for (let i = 1; i < out.length; i++) {
      const k = v.v[i - 1];
      if (k.t === 'bulk' && (k.v === 'idle' || k.v === 'seen-time')) out[i] = T;
    }
    return { t: v.t, v: out };
  }
  return v;
}

/** XPENDING's extended form: [id, consumer, idle, deliveries] — the idle time masked. */
function maskPendingIdle(v: RespValue): RespValue {
  if (v.t !== 'array') return v;
  return { t: 'array', v: v.v.map((e) => (e.t === 'array' && e.v.length === 4 ? { t: 'array', v: [e.v[0], e.v[1], T, e.v[3]] } : e)) };
}

const masked = (cmd: string[]): Step => ({ cmd, mask: maskTimes });

describe.skipIf(skipReason('stream differential tests', 'redis-server'))('streams vs redis-server', () => {
  const servers = diffServers();
  const { diff } = servers;

  it('XADD ids, options and errors; XLEN; TYPE; OBJECT ENCODING', async () => {
    await diff([
      ['XADD', 's', '1-1', 'a', '1'],
      ['XADD', 's', '1-1', 'a', '1'],
      ['XADD', 's', '1-0', 'a', '1'],
      ['XADD', 's', '1-*', 'b', '2'],
      ['XADD', 's', '5', 'c', '3'],
      ['XADD', 's', '5-*', 'c', '3'],
      ['XADD', 's', '4-*', 'c', '3'],
      ['XADD', 's', '0-0', 'a', 'b'],
      ['XADD', 'new', '0-0', 'a', 'b'],
      ['XADD', 'new', '0-*', 'a', 'b'],
      ['XADD', 's', '6-1', 'a'],
      ['XADD', 's', '6-1', 'a', 'b', 'c'],
      ['XADD', 's', '6-1'],
      ['XADD', 's'],
      ['XADD', 's', 'x-1', 'a', 'b'],
      ['XADD', 's', '1-x', 'a', 'b'],
      ['XADD', 's', '-', 'a', 'b'],
      ['XADD', 's', '+', 'a', 'b'],
      ['XADD', 's', '-1', 'a', 'b'],
      ['XADD', 's', '1-2-3', 'a', 'b'],
      ['XADD', 's', '18446744073709551616-0', 'a', 'b'],
      ['XADD', 's', 'NOMKSTREAM', '7-0', 'f', 'v'],
      ['XADD', 'none', 'NOMKSTREAM', '7-0', 'f', 'v'],
      ['EXISTS', 'none'],
      ['XADD', 'bin', '1-0', '\x00\xff', '', 'f', '\r\n'],
      ['XRANGE', 'bin', '-', '+'],
      ['XLEN', 's'],
      ['XLEN', 'nokey'],
      ['XLEN'],
      ['TYPE', 's'],
      ['OBJECT', 'ENCODING', 's'],
      ['XADD', 'max', '18446744073709551615-18446744073709551615', 'a', 'b'],
      ['XADD', 'max', '*', 'a', 'b'],
      ['XRANGE', 'max', '-', '+'],
      ['XADD', 'max2', '5-18446744073709551615', 'a', 'b'],
      ['XADD', 'max2', '5-*', 'a', 'b'],
      ['SET', 'str', 'x'],
      ['XADD', 'str', '1-1', 'a', 'b'],
      ['XADD', 'str', '0-0', 'a', 'b'],
      ['XLEN', 'str'],
    ]);
  });

  it('XADD / XTRIM trimming: MAXLEN, MINID, = and ~, LIMIT, errors', async () => {
    const steps: Step[] = [];
    for (let i = 1; i <= 350; i++) steps.push({ cmd: ['XADD', 's', `${i}-0`, 'f', String(i)], ignore: true });
    steps.push(
      masked(['XINFO', 'STREAM', 's']),
      ['XTRIM', 's', 'MAXLEN', '~', '120'],
      ['XLEN', 's'],
      ['XTRIM', 's', 'MAXLEN', '~', '120'],
      ['XTRIM', 's', 'MAXLEN', '=', '130'],
      ['XLEN', 's'],
      ['XRANGE', 's', '-', '+', 'COUNT', '2'],
      ['XTRIM', 's', 'MINID', '~', '260'],
      ['XTRIM', 's', 'MINID', '300'],
      ['XLEN', 's'],
      ['XRANGE', 's', '-', '+', 'COUNT', '1'],
      masked(['XINFO', 'STREAM', 's']),
      ['XTRIM', 's', 'MAXLEN', '~', '0', 'LIMIT', '10'],
      ['XTRIM', 's', 'MAXLEN', '~', '0', 'LIMIT', '100'],
      ['XTRIM', 's', 'MAXLEN', '0', 'LIMIT', '100'],
      ['XTRIM', 's', 'LIMIT', '100'],
      ['XTRIM', 's', 'MAXLEN', '-1'],
      ['XTRIM', 's', 'MAXLEN', 'x'],
      ['XTRIM', 's', 'MAXLEN', '~'],
      ['XTRIM', 's', 'MAXLEN', '1', 'MINID', '1'],
      ['XTRIM', 's', 'MAXLEN', '~', '1', 'LIMIT', '-1'],
      ['XTRIM', 's', 'MINID', '-'],
      ['XTRIM', 's', 'FOO', '1'],
      ['XTRIM', 'nokey', 'MAXLEN', '1'],
      ['XTRIM', 's', 'MAXLEN', '0'],
      ['XLEN', 's'],
      ['EXISTS', 's'],
      masked(['XINFO', 'STREAM', 's']),
      ['XADD', 's', '1-0', 'a', 'b'],
      ['XADD', 's', '400-0', 'a', 'b'],
      ['XADD', 's2', 'MAXLEN', '2', '1-0', 'a', 'b'],
      ['XADD', 's2', 'MAXLEN', '2', '2-0', 'a', 'b'],
      ['XADD', 's2', 'MAXLEN', '=', '2', '3-0', 'a', 'b'],
      ['XRANGE', 's2', '-', '+'],
      ['XADD', 's2', 'MINID', '3', '4-0', 'a', 'b'],
      ['XRANGE', 's2', '-', '+'],
      ['XADD', 's2', 'MAXLEN', '~', '1', 'LIMIT', '5', '5-0', 'a', 'b'],
      ['XADD', 's2', 'MAXLEN', '1', 'LIMIT', '5', '6-0', 'a', 'b'],
      ['XADD', 's2', 'LIMIT', '5', '6-0', 'a', 'b'],
      ['XADD', 's2', 'MAXLEN', '1', 'MINID', '5', '6-0', 'a', 'b'],
      ['XADD', 's2', 'MAXLEN', '-5', '6-0', 'a', 'b'],
      ['XADD', 's2', 'NOMKSTREAM', 'MAXLEN', '0', '9-0', 'a', 'b'],
      masked(['XINFO', 'STREAM', 's2']),
      ['SET', 'str', 'x'],
      ['XTRIM', 'str', 'MAXLEN', '1'],
    );
    await diff(steps);
  });

  it('node boundaries follow listpack sizes (big values, mixed fields, integers)', async () => {
    const steps: Step[] = [];
    for (let i = 1; i <= 120; i++) {
      const fields = i % 3 === 0 ? ['f', 'x'.repeat(i * 3)] : i % 3 === 1 ? ['f', String(i * 1000), 'g', '-7'] : ['other', 'y'.repeat(40)];
      steps.push({ cmd: ['XADD', 's', `${i * 1000}-${i}`, ...fields], ignore: true });
    }
    steps.push(
      masked(['XINFO', 'STREAM', 's']),
      ['XDEL', 's', '1000-1', '2000-2', '3000-3'],
      ['XTRIM', 's', 'MAXLEN', '~', '50'],
      ['XLEN', 's'],
      ['XTRIM', 's', 'MAXLEN', '~', '10'],
      ['XLEN', 's'],
      masked(['XINFO', 'STREAM', 's']),
    );
    await diff(steps);
  });

  it('XRANGE / XREVRANGE bounds, exclusive ids, COUNT, errors', async () => {
    const steps: Step[] = [];
    for (const id of ['1-0', '1-1', '2-0', '2-5', '3-0', '10-0', '18446744073709551615-0']) steps.push(['XADD', 's', id, 'f', id]);
    const bounds = ['-', '+', '0', '1', '1-1', '(1-1', '(2', '2', '(3-0', '10', '(18446744073709551615-0', '18446744073709551615'];
    for (const a of bounds) for (const b of bounds) {
      steps.push(['XRANGE', 's', a, b]);
      steps.push(['XREVRANGE', 's', b, a]);
    }
    steps.push(
      ['XRANGE', 's', '-', '+', 'COUNT', '2'],
      ['XREVRANGE', 's', '+', '-', 'COUNT', '2'],
      ['XRANGE', 's', '-', '+', 'COUNT', '0'],
      ['XRANGE', 's', '-', '+', 'COUNT', '-1'],
      ['XRANGE', 's', '-', '+', 'COUNT'],
      ['XRANGE', 's', '-', '+', 'COUNT', 'x'],
      ['XRANGE', 's', '-', '+', 'LIMIT', '1'],
      ['XRANGE', 's', '(-', '+'],
      ['XRANGE', 's', '-', '(+'],
      ['XRANGE', 's', '(0-0', '+'],
      ['XRANGE', 's', '-', '(0-0'],
      ['XRANGE', 's', '(18446744073709551615-18446744073709551615', '+'],
      ['XRANGE', 's', 'x', '+'],
      ['XRANGE', 's', '-', 'y'],
      ['XRANGE', 'nokey', '-', '+'],
      ['XRANGE', 'nokey', 'x', '+'],
      ['XRANGE', 'nokey', '-', '+', 'COUNT', '0'],
      ['XRANGE', 's', '-'],
      ['SET', 'str', 'x'],
      ['XRANGE', 'str', '-', '+'],
      ['XREVRANGE', 'str', '+', '-'],
    );
    await diff(steps);
  });

  it('XDEL, tombstones, first id, max deleted id, XSETID', async () => {
    await diff([
      ['XADD', 's', '1-0', 'a', '1'],
      ['XADD', 's', '2-0', 'a', '2'],
      ['XADD', 's', '3-0', 'a', '3'],
      ['XDEL', 's', '2-0', '2-0', '9-0'],
      ['XDEL', 's', '1'],
      ['XDEL', 's', 'x'],
      ['XDEL', 's', '3-0', 'x'],
      ['XDEL', 's', '-'],
      ['XDEL', 'nokey', '1-0'],
      ['XRANGE', 's', '-', '+'],
      masked(['XINFO', 'STREAM', 's']),
      ['XDEL', 's', '3-0'],
      ['XLEN', 's'],
      ['EXISTS', 's'],
      masked(['XINFO', 'STREAM', 's']),
      ['XADD', 's', '3-0', 'a', 'b'],
      ['XSETID', 's', '2-0'],
      ['XSETID', 's', '5-0'],
      ['XADD', 's', '4-0', 'a', 'b'],
      ['XADD', 's', '5-1', 'a', 'b'],
      ['XSETID', 's', '5-0'],
      ['XSETID', 's', '6-0', 'ENTRIESADDED', '1'],
      ['XSETID', 's', '6-0', 'ENTRIESADDED', '-1'],
      ['XSETID', 's', '6-0', 'ENTRIESADDED', '10', 'MAXDELETEDID', '7-0'],
      ['XSETID', 's', '6-0', 'ENTRIESADDED', '10', 'MAXDELETEDID', '5-5'],
      masked(['XINFO', 'STREAM', 's']),
      ['XSETID', 's', '5-4'],
      ['XSETID', 's', '6-0', 'FOO'],
      ['XSETID', 's', '6-0', 'ENTRIESADDED'],
      ['XSETID', 's', 'x'],
      ['XSETID', 'nokey', '1-0'],
      ['XSETID', 'nokey', 'x'],
      ['XSETID', 's', '+'],
      ['SET', 'str', 'x'],
      ['XSETID', 'str', '1-0'],
      ['XDEL', 'str', '1-0'],
    ]);
  });

  it('XREAD without blocking: ids, $, COUNT, several streams, errors (RESP2 and RESP3)', async () => {
    for (const resp3 of [false, true]) {
      await diff(
        [
          ['XADD', 'a', '1-0', 'f', '1'],
          ['XADD', 'a', '2-0', 'f', '2'],
          ['XADD', 'b', '5-0', 'g', '5'],
          ['XREAD', 'STREAMS', 'a', '0'],
          ['XREAD', 'COUNT', '1', 'STREAMS', 'a', 'b', '0', '0'],
          ['XREAD', 'STREAMS', 'a', 'b', '1-0', '5-0'],
          ['XREAD', 'STREAMS', 'a', 'b', '$', '$'],
          ['XREAD', 'STREAMS', 'a', 'nokey', '0', '0'],
          ['XREAD', 'STREAMS', 'nokey', '$'],
          ['XREAD', 'COUNT', '-5', 'STREAMS', 'a', '0'],
          ['XREAD', 'BLOCK', '-1', 'STREAMS', 'a', '0'],
          ['XREAD', 'BLOCK', 'x', 'STREAMS', 'a', '0'],
          ['XREAD', 'COUNT', 'x', 'STREAMS', 'a', '0'],
          ['XREAD', 'STREAMS', 'a', 'b', '0'],
          ['XREAD', 'STREAMS', 'a', '>'],
          ['XREAD', 'STREAMS', 'a', 'x'],
          ['XREAD', 'GROUP', 'g', 'c', 'STREAMS', 'a', '0'],
          ['XREAD', 'NOACK', 'STREAMS', 'a', '0'],
          ['XREAD', 'FOO', 'STREAMS', 'a', '0'],
          ['XREAD', 'COUNT', '1', 'a', '0'],
          ['XREAD', 'STREAMS'],
          ['SET', 'str', 'x'],
          ['XREAD', 'STREAMS', 'a', 'str', '0', '0'],
          ['MULTI'],
          ['XREAD', 'BLOCK', '0', 'STREAMS', 'a', '$'],
          ['EXEC'],
        ],
        resp3,
      );
    }
  });

  it('XGROUP CREATE / SETID / DESTROY / CREATECONSUMER / DELCONSUMER / HELP', async () => {
    await diff([
      ['XGROUP', 'CREATE', 's', 'g', '$'],
      ['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'],
      ['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM'],
      ['XGROUP', 'CREATE', 's', 'g2', '0', 'ENTRIESREAD', '3'],
      ['XGROUP', 'CREATE', 's', 'g3', '0', 'ENTRIESREAD', '-2'],
      ['XGROUP', 'CREATE', 's', 'g3', '0', 'ENTRIESREAD', 'x'],
      ['XGROUP', 'CREATE', 's', 'g3', '0', 'FOO'],
      ['XGROUP', 'CREATE', 's', 'g3', '-'],
      ['XGROUP', 'CREATE', 's', 'g3', 'x'],
      ['XGROUP', 'CREATE', 's', 'g3', '0', 'MKSTREAM', 'MKSTREAM', 'MKSTREAM', 'MKSTREAM'],
      ['XGROUP', 'CREATE', 's', 'g3'],
      ['XADD', 's', '1-0', 'a', 'b'],
      ['XADD', 's', '2-0', 'a', 'b'],
      ['XGROUP', 'CREATE', 's', 'g4', '$'],
      masked(['XINFO', 'GROUPS', 's']),
      ['XGROUP', 'SETID', 's', 'g', '1-0'],
      ['XGROUP', 'SETID', 's', 'g2', '$', 'ENTRIESREAD', '2'],
      ['XGROUP', 'SETID', 's', 'g4', '-'],
      ['XGROUP', 'SETID', 's', 'nogroup', '0'],
      ['XGROUP', 'SETID', 's', 'g', 'x'],
      ['XGROUP', 'SETID', 's', 'g', '0', 'MKSTREAM'],
      ['XGROUP', 'SETID', 'nokey', 'g', '0'],
      masked(['XINFO', 'GROUPS', 's']),
      ['XGROUP', 'CREATECONSUMER', 's', 'g', 'c1'],
      ['XGROUP', 'CREATECONSUMER', 's', 'g', 'c1'],
      ['XGROUP', 'CREATECONSUMER', 's', 'g', 'c0'],
      ['XGROUP', 'CREATECONSUMER', 's', 'nogroup', 'c1'],
      ['XGROUP', 'CREATECONSUMER', 'nokey', 'g', 'c1'],
      masked(['XINFO', 'CONSUMERS', 's', 'g']),
      ['XGROUP', 'DELCONSUMER', 's', 'g', 'c1'],
      ['XGROUP', 'DELCONSUMER', 's', 'g', 'c1'],
      ['XGROUP', 'DELCONSUMER', 's', 'nogroup', 'c1'],
      masked(['XINFO', 'CONSUMERS', 's', 'g']),
      ['XGROUP', 'DESTROY', 's', 'g'],
      ['XGROUP', 'DESTROY', 's', 'g'],
      ['XGROUP', 'DESTROY', 'nokey', 'g'],
      ['XGROUP', 'DESTROY', 's'],
      ['XGROUP', 'FOO', 's', 'g'],
      ['XGROUP'],
      ['XGROUP', 'HELP'],
      ['XINFO', 'HELP'],
      ['SET', 'str', 'x'],
      ['XGROUP', 'CREATE', 'str', 'g', '$', 'MKSTREAM'],
      ['XGROUP', 'DESTROY', 'str', 'g'],
      masked(['XINFO', 'GROUPS', 's']),
    ]);
  });

  it('XREADGROUP, XACK, XPENDING, lag and entries-read', async () => {
    for (const resp3 of [false, true]) {
      await diff(
        [
          ['XADD', 's', '1-0', 'f', '1'],
          ['XADD', 's', '2-0', 'f', '2'],
          ['XADD', 's', '3-0', 'f', '3'],
          ['XADD', 's', '4-0', 'f', '4'],
          ['XGROUP', 'CREATE', 's', 'g', '0'],
          masked(['XINFO', 'GROUPS', 's']),
          ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '2', 'STREAMS', 's', '>'],
          masked(['XINFO', 'GROUPS', 's']),
          ['XREADGROUP', 'GROUP', 'g', 'bob', 'COUNT', '1', 'STREAMS', 's', '>'],
          ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '0'],
          ['XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '1', 'STREAMS', 's', '1-0'],
          ['XREADGROUP', 'GROUP', 'g', 'carol', 'STREAMS', 's', '0'],
          ['XPENDING', 's', 'g'],
          { cmd: ['XPENDING', 's', 'g', '-', '+', '10'], mask: maskPendingIdle },
          { cmd: ['XPENDING', 's', 'g', '(1-0', '+', '1'], mask: maskPendingIdle },
          { cmd: ['XPENDING', 's', 'g', '-', '+', '10', 'alice'], mask: maskPendingIdle },
          ['XPENDING', 's', 'g', '-', '+', '10', 'nobody'],
          ['XPENDING', 's', 'g', 'IDLE', '100000', '-', '+', '10'],
          ['XPENDING', 's', 'g', '-', '+', '0'],
          ['XPENDING', 's', 'g', '-', '+', 'x'],
          ['XPENDING', 's', 'g', 'IDLE', 'x', '-', '+', '10'],
          ['XPENDING', 's', 'g', 'IDLE', '10', '-', '+'],
          ['XPENDING', 's', 'g', '-', '+'],
          ['XPENDING', 's', 'g', 'x', '+', '10'],
          ['XPENDING', 's', 'nogroup'],
          ['XPENDING', 'nokey', 'g'],
          ['XDEL', 's', '2-0'],
          ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '0'],
          masked(['XINFO', 'GROUPS', 's']),
          ['XACK', 's', 'g', '1-0', '2-0', '9-0'],
          ['XACK', 's', 'g', '1-0'],
          ['XACK', 's', 'g', 'x'],
          ['XACK', 's', 'nogroup', 'x'],
          ['XACK', 'nokey', 'g', '1-0'],
          ['XPENDING', 's', 'g'],
          ['XREADGROUP', 'GROUP', 'g', 'dave', 'NOACK', 'STREAMS', 's', '>'],
          ['XREADGROUP', 'GROUP', 'g', 'dave', 'STREAMS', 's', '>'],
          ['XPENDING', 's', 'g'],
          masked(['XINFO', 'GROUPS', 's']),
          masked(['XINFO', 'CONSUMERS', 's', 'g']),
          ['XREADGROUP', 'GROUP', 'nogroup', 'c', 'STREAMS', 's', '>'],
          ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'nokey', '>'],
          ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', '$'],
          ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's'],
          ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', 's', '>'],
          ['XREADGROUP', 'COUNT', '1', 'STREAMS', 's', '>'],
          ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '1', 'STREAMS', 's', 'x'],
          ['SET', 'str', 'x'],
          ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'str', '>'],
          ['XACK', 'str', 'g', '1-0'],
          ['XPENDING', 'str', 'g'],
        ],
        resp3,
      );
    }
  });

  it('XCLAIM and XAUTOCLAIM', async () => {
    await diff([
      ['XADD', 's', '1-0', 'f', '1'],
      ['XADD', 's', '2-0', 'f', '2'],
      ['XADD', 's', '3-0', 'f', '3'],
      ['XADD', 's', '4-0', 'f', '4'],
      ['XGROUP', 'CREATE', 's', 'g', '0'],
      ['XREADGROUP', 'GROUP', 'g', 'alice', 'STREAMS', 's', '>'],
      ['XCLAIM', 's', 'g', 'bob', '1000000', '1-0'],
      ['XCLAIM', 's', 'g', 'bob', '0', '1-0', '2-0', '9-0'],
      ['XCLAIM', 's', 'g', 'bob', '0', '3-0', 'JUSTID'],
      ['XCLAIM', 's', 'g', 'carol', '0', '3-0', 'TIME', '1000', 'RETRYCOUNT', '7'],
      ['XCLAIM', 's', 'g', 'carol', '0', '4-0', 'IDLE', '5', 'JUSTID', 'LASTID', '10-0'],
      masked(['XINFO', 'STREAM', 's', 'FULL']),
      ['XDEL', 's', '2-0'],
      ['XCLAIM', 's', 'g', 'carol', '0', '2-0'],
      ['XPENDING', 's', 'g'],
      ['XADD', 's', '5-0', 'f', '5'],
      ['XCLAIM', 's', 'g', 'dave', '0', '5-0'],
      ['XCLAIM', 's', 'g', 'dave', '0', '5-0', 'FORCE', 'RETRYCOUNT', '3', 'TIME', '2000'],
      ['XCLAIM', 's', 'g', 'dave', '0', '4-0', 'FORCE'],
      ['XCLAIM', 's', 'g', 'erin', '0', '9-0', 'FORCE'],
      ['XCLAIM', 's', 'g', 'bob', 'x', '1-0'],
      ['XCLAIM', 's', 'g', 'bob', '0', '1-0', 'IDLE', 'x'],
      ['XCLAIM', 's', 'g', 'bob', '0', '1-0', 'TIME', 'x'],
      ['XCLAIM', 's', 'g', 'bob', '0', '1-0', 'RETRYCOUNT', 'x'],
      ['XCLAIM', 's', 'g', 'bob', '0', '1-0', 'LASTID', 'x'],
      ['XCLAIM', 's', 'g', 'bob', '0', '1-0', 'FOO'],
      ['XCLAIM', 's', 'g', 'bob', '0', 'x'],
      ['XCLAIM', 's', 'nogroup', 'bob', '0', '1-0'],
      ['XCLAIM', 'nokey', 'g', 'bob', '0', '1-0'],
      masked(['XINFO', 'STREAM', 's', 'FULL']),
      masked(['XINFO', 'CONSUMERS', 's', 'g']),
      ['XAUTOCLAIM', 's', 'g', 'zed', '0', '0', 'COUNT', '2'],
      ['XAUTOCLAIM', 's', 'g', 'zed', '0', '4-0', 'COUNT', '2', 'JUSTID'],
      ['XAUTOCLAIM', 's', 'g', 'zed', '100000', '0'],
      ['XAUTOCLAIM', 's', 'g', 'zed', '0', '(1-0'],
      ['XDEL', 's', '3-0', '5-0'],
      ['XAUTOCLAIM', 's', 'g', 'yan', '0', '-', 'COUNT', '1'],
      ['XAUTOCLAIM', 's', 'g', 'yan', '0', '-'],
      ['XAUTOCLAIM', 's', 'g', 'yan', '0', '-', 'COUNT', '0'],
      ['XAUTOCLAIM', 's', 'g', 'yan', '0', '-', 'COUNT', 'x'],
      ['XAUTOCLAIM', 's', 'g', 'yan', '0', '-', 'FOO'],
      ['XAUTOCLAIM', 's', 'g', 'yan', 'x', '-'],
      ['XAUTOCLAIM', 's', 'g', 'yan', '0', 'x'],
      ['XAUTOCLAIM', 's', 'nogroup', 'yan', '0', '-'],
      ['XAUTOCLAIM', 'nokey', 'g', 'yan', '0', '-'],
      ['XPENDING', 's', 'g'],
      masked(['XINFO', 'STREAM', 's', 'FULL']),
      ['SET', 'str', 'x'],
      ['XCLAIM', 'str', 'g', 'bob', '0', '1-0'],
      ['XAUTOCLAIM', 'str', 'g', 'bob', '0', '0'],
    ]);
  });

  it('XINFO STREAM / GROUPS / CONSUMERS, FULL and COUNT, errors (RESP2 and RESP3)', async () => {
    for (const resp3 of [false, true]) {
      const steps: Step[] = [];
      for (let i = 1; i <= 15; i++) steps.push(['XADD', 's', `${i}-0`, 'f', String(i)]);
      steps.push(
        ['XGROUP', 'CREATE', 's', 'g1', '0'],
        ['XGROUP', 'CREATE', 's', 'g0', '5-0'],
        ['XREADGROUP', 'GROUP', 'g1', 'c2', 'COUNT', '12', 'STREAMS', 's', '>'],
        ['XREADGROUP', 'GROUP', 'g1', 'c1', 'COUNT', '2', 'STREAMS', 's', '>'],
        masked(['XINFO', 'STREAM', 's']),
        masked(['XINFO', 'STREAM', 's', 'FULL']),
        masked(['XINFO', 'STREAM', 's', 'FULL', 'COUNT', '3']),
        masked(['XINFO', 'STREAM', 's', 'FULL', 'COUNT', '0']),
        masked(['XINFO', 'STREAM', 's', 'FULL', 'COUNT', '-3']),
        masked(['XINFO', 'GROUPS', 's']),
        masked(['XINFO', 'CONSUMERS', 's', 'g1']),
        ['XINFO', 'CONSUMERS', 's', 'nogroup'],
        ['XINFO', 'STREAM', 's', 'FULL', 'COUNT'],
        ['XINFO', 'STREAM', 's', 'FULL', 'COUNT', 'x'],
        ['XINFO', 'STREAM', 's', 'FULL', 'FOO', '1'],
        ['XINFO', 'STREAM', 's', 'FOO'],
        ['XINFO', 'STREAM', 'nokey'],
        ['XINFO', 'GROUPS', 'nokey'],
        ['XINFO', 'CONSUMERS', 'nokey', 'g'],
        ['XINFO', 'STREAM'],
        ['XINFO', 'FOO', 's'],
        ['XGROUP', 'CREATE', 'empty', 'g', '$', 'MKSTREAM'],
        masked(['XINFO', 'STREAM', 'empty']),
        masked(['XINFO', 'STREAM', 'empty', 'FULL']),
        masked(['XINFO', 'GROUPS', 'empty']),
        ['SET', 'str', 'x'],
        ['XINFO', 'STREAM', 'str'],
        ['XINFO', 'GROUPS', 'str'],
      );
      await diff(steps, resp3);
    }
  });

  it('ids are exact unsigned 64-bit integers: XADD, ranges, `(` at the edges, groups, XINFO, XSETID, XTRIM MINID', async () => {
    const BIG = '9999999999999999999';
    const M = '18446744073709551615';
    for (const resp3 of [false, true]) {
      await diff(
        [
          ['XADD', 's', `${BIG}-0`, 'f', 'v'],
          ['XADD', 's', `${BIG}-0`, 'f', 'v'],
          ['XADD', 's', `${BIG}`, 'f', 'v'],
          ['XADD', 's', `${BIG}-*`, 'f', 'v'],
          ['XADD', 's', '*', 'f', 'v'],
          ['XADD', 's', '9999999999999999998-*', 'f', 'v'],
          ['XADD', 's', '5-0', 'f', 'v'],
          ['XRANGE', 's', '-', '+'],
          ['XRANGE', 's', `(${BIG}-0`, '+'],
          ['XRANGE', 's', '-', `(${BIG}-2`],
          ['XRANGE', 's', `${BIG}`, `${BIG}`],
          ['XRANGE', 's', `(${BIG}`, '+'],
          ['XREVRANGE', 's', '+', '-', 'COUNT', '2'],
          ['XREVRANGE', 's', `(${BIG}-2`, `(${BIG}-0`],
          ['XREAD', 'STREAMS', 's', `${BIG}-1`],
          ['XREAD', 'STREAMS', 's', '$'],
          // 2^53 and its neighbours, where a double would round
          ['XADD', 't', '9007199254740993-9007199254740993', 'a', 'b'],
          ['XADD', 't', '9007199254740993-*', 'a', 'b'],
          ['XADD', 't', '9007199254740993-9007199254740994', 'a', 'b'],
          ['XADD', 't', '9007199254740994-0', 'a', 'b'],
          ['XRANGE', 't', '-', '+'],
          ['XRANGE', 't', '9007199254740993-9007199254740995', '9007199254740993'],
          ['XRANGE', 't', '(9007199254740993-9007199254740994', '+'],
          // the top of the id space
          ['XADD', 'm', `${M}-18446744073709551614`, 'f', 'v'],
          ['XADD', 'm', '*', 'f', 'v'],
          ['XADD', 'm', '*', 'f', 'v'],
          ['XADD', 'm', `${M}-*`, 'f', 'v'],
          ['XADD', 'm', `${M}-${M}`, 'f', 'v'],
          ['XADD', 'm', '1-1', 'f', 'v'],
          ['XADD', 'm', 'MAXLEN', '0', '*', 'f', 'v'],
          ['XADD', 'm2', `18446744073709551614-${M}`, 'f', 'v'],
          ['XADD', 'm2', '18446744073709551614-*', 'f', 'v'],
          ['XADD', 'm2', '*', 'f', 'v'],
          ['XADD', 'm2', `${M}-*`, 'f', 'v'],
          ['XADD', 'm2', '18446744073709551616-0', 'f', 'v'],
          ['XADD', 'm2', `${M}-18446744073709551616`, 'f', 'v'],
          ['XRANGE', 'm2', `(18446744073709551614-${M}`, '+'],
          ['XRANGE', 'm2', '-', `(${M}-0`],
          ['XRANGE', 'm2', `(${M}-${M}`, '+'],
          ['XRANGE', 'm2', `(${M}-18446744073709551614`, '+'],
          ['XRANGE', 'm2', `(${M}`, '+'],
          ['XRANGE', 'm2', '-', '(0-0'],
          ['XRANGE', 'm2', '-', '(0'],
          ['XRANGE', 'm2', '(0', '+'],
          ['XRANGE', 'm2', '(0-0', `(${M}-${M}`],
          ['XRANGE', 'm2', `${M}`, `${M}`],
          ['XREVRANGE', 'm2', `(${M}-${M}`, '-'],
          ['XREVRANGE', 'm2', '+', '(0-0'],
          ['XREVRANGE', 'm2', '+', `(${M}-${M}`],
          ['XREAD', 'STREAMS', 'm2', `18446744073709551614-${M}`],
          ['XREAD', 'STREAMS', 'm2', `${M}-${M}`],
          ['XDEL', 'm2', `${M}-0`, `${M}-1`],
          masked(['XINFO', 'STREAM', 'm']),
          masked(['XINFO', 'STREAM', 'm2', 'FULL']),
          // XSETID, entries counters beyond 2^53, groups
          ['XSETID', 's', '10000000000000000000-5', 'ENTRIESADDED', '9007199254740993', 'MAXDELETEDID', `${BIG}-7`],
          ['XSETID', 's', '10000000000000000000-5', 'MAXDELETEDID', '10000000000000000000-6'],
          ['XSETID', 's', `${BIG}-1`],
          ['XSETID', 's', '10000000000000000000-5', 'ENTRIESADDED', '1'],
          masked(['XINFO', 'STREAM', 's']),
          ['XADD', 's', '10000000000000000000-5', 'f', 'v'],
          ['XADD', 's', '10000000000000000000-*', 'f', 'v'],
          ['XGROUP', 'CREATE', 's', 'g', `${BIG}-0`, 'ENTRIESREAD', '9007199254740992'],
          ['XGROUP', 'CREATE', 's', 'h', '$'],
          ['XGROUP', 'CREATE', 's', 'k', '0', 'ENTRIESREAD', '9223372036854775807'],
          masked(['XINFO', 'GROUPS', 's']),
          ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '2', 'STREAMS', 's', '>'],
          ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', `${BIG}`],
          ['XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 's', `${M}-${M}`],
          ['XREADGROUP', 'GROUP', 'k', 'c', 'COUNT', '1', 'STREAMS', 's', '>'],
          masked(['XINFO', 'GROUPS', 's']),
          ['XPENDING', 's', 'g'],
          { cmd: ['XPENDING', 's', 'g', `(${BIG}-1`, '+', '10'], mask: maskPendingIdle },
          { cmd: ['XPENDING', 's', 'g', '-', `(${BIG}-2`, '10'], mask: maskPendingIdle },
          ['XCLAIM', 's', 'g', 'c2', '0', `${BIG}-1`, 'JUSTID', 'LASTID', '10000000000000000000-0'],
          masked(['XINFO', 'GROUPS', 's']),
          ['XAUTOCLAIM', 's', 'g', 'c3', '0', '0-0', 'COUNT', '1', 'JUSTID'],
          ['XAUTOCLAIM', 's', 'g', 'c3', '0', `(${BIG}-1`, 'COUNT', '1', 'JUSTID'],
          ['XAUTOCLAIM', 's', 'g', 'c3', '0', `(${M}-${M}`],
          ['XGROUP', 'SETID', 's', 'g', '10000000000000000000-5', 'ENTRIESREAD', '9007199254740995'],
          ['XGROUP', 'SETID', 's', 'h', `${BIG}`],
          masked(['XINFO', 'GROUPS', 's']),
          masked(['XINFO', 'STREAM', 's', 'FULL']),
          ['XTRIM', 's', 'MINID', `${BIG}-2`],
          ['XRANGE', 's', '-', '+'],
          ['XTRIM', 's', 'MINID', `${M}`],
          ['XDEL', 's', `${BIG}-2`],
          masked(['XINFO', 'STREAM', 's', 'FULL']),
          ['XADD', 'n', 'MINID', `${BIG}`, `${BIG}-5`, 'a', 'b'],
          ['XADD', 'n', 'MINID', `${M}-${M}`, '*', 'a', 'b'],
          masked(['XINFO', 'STREAM', 'n']),
          // 64-bit counters: delivery counts (uint64, replied signed), entries-read / entries-added
          ['XADD', 'c', '1-0', 'f', 'v'],
          ['XGROUP', 'CREATE', 'c', 'g', '0'],
          ['XREADGROUP', 'GROUP', 'g', 'a', 'STREAMS', 'c', '>'],
          ['XCLAIM', 'c', 'g', 'a', '0', '1-0', 'RETRYCOUNT', '9007199254740993', 'JUSTID'],
          { cmd: ['XPENDING', 'c', 'g', '-', '+', '10'], mask: maskPendingIdle },
          ['XCLAIM', 'c', 'g', 'a', '0', '1-0', 'RETRYCOUNT', '9223372036854775807', 'JUSTID'],
          ['XCLAIM', 'c', 'g', 'a', '0', '1-0', 'RETRYCOUNT', '-5', 'JUSTID'],
          { cmd: ['XPENDING', 'c', 'g', '-', '+', '10'], mask: maskPendingIdle },
          ['XREADGROUP', 'GROUP', 'g', 'a', 'STREAMS', 'c', '0'],
          { cmd: ['XPENDING', 'c', 'g', '-', '+', '10'], mask: maskPendingIdle },
          ['XCLAIM', 'c', 'g', 'a', '0', '1-0', 'RETRYCOUNT', '9223372036854775808', 'JUSTID'],
          masked(['XINFO', 'STREAM', 'c', 'FULL']),
          ['XGROUP', 'CREATE', 'c', 'h', '0', 'ENTRIESREAD', '9223372036854775806'],
          ['XREADGROUP', 'GROUP', 'h', 'b', 'STREAMS', 'c', '>'],
          ['XADD', 'c', '2-0', 'f', 'v'],
          ['XREADGROUP', 'GROUP', 'h', 'b', 'STREAMS', 'c', '>'],
          masked(['XINFO', 'GROUPS', 'c']),
          ['XSETID', 'c', '5-0', 'ENTRIESADDED', '9223372036854775807'],
          ['XADD', 'c', '6-0', 'f', 'v'],
          masked(['XINFO', 'STREAM', 'c']),
          masked(['XINFO', 'GROUPS', 'c']),
        ],
        resp3,
      );
    }
  });

  it('COMMAND INFO of the stream commands', async () => {
    const names = ['xadd', 'xtrim', 'xlen', 'xrange', 'xrevrange', 'xdel', 'xsetid', 'xread', 'xreadgroup', 'xgroup', 'xack', 'xpending', 'xclaim', 'xautoclaim', 'xinfo'];
    // Name, arity, flags, key positions, ACL categories, tips (key specs are derived generically).
    const head = (v: RespValue): RespValue =>
      v.t === 'array' ? { t: 'array', v: v.v.map((c) => (c.t === 'array' ? { t: 'array', v: c.v.slice(0, 8) } : c)) } : v;
    await diff(names.map((n) => ({ cmd: ['COMMAND', 'INFO', n], mask: head })));
    await diff([
      ['COMMAND', 'GETKEYS', 'XREAD', 'COUNT', '2', 'STREAMS', 'a', 'b', '0', '0'],
      ['COMMAND', 'GETKEYS', 'XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'a', '>'],
    ]);
  });
});
