// Stream behaviour that cannot be diffed against Redis: generated ids (`*`, `<ms>-*`) against a fake
// clock, blocking XREAD / XREADGROUP served by a later XADD (and by XGROUP DESTROY), timeouts, `$`;
// what the write observers see (deterministic forms in the AOF); the AOF and AOF-rewrite round trip
// of streams with groups, consumers, pending entries and tombstones; and BullMQ's event stream
// (QueueEventsProducer's XADD MAXLEN ~, QueueEvents' XREAD BLOCK … $, Queue.trimEvents' XTRIM).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueEvents, QueueEventsProducer } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { until } from './helpers/poll.js';
import { RawClient } from './helpers/raw-client.js';
import { RespValue, show } from './helpers/resp.js';
import { FakeClock, LodestoneHandle, startLodestone } from './helpers/servers.js';

const open: { close(): unknown }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function server(overrides: Record<string, string> = {}, clock?: FakeClock): Promise<LodestoneHandle> {
  const h = await startLodestone(overrides, clock);
  open.push(h);
  return h;
}
async function client(h: LodestoneHandle): Promise<RawClient> {
  const c = await RawClient.connect(h.port);
  open.push(c);
  return c;
}
const bulk = (v: string): RespValue => ({ t: 'bulk', v });

describe('generated ids', () => {
  it('XADD * uses the clock, then the sequence; <ms>-* continues the sequence', async () => {
    const clock = new FakeClock(1_000_000);
    const h = await server({}, clock);
    const c = await client(h);
    expect(await c.call('XADD', 's', '*', 'a', '1')).toEqual(bulk('1000000-0'));
    expect(await c.call('XADD', 's', '*', 'a', '2')).toEqual(bulk('1000000-1'));
    clock.t = 999_000; // the clock going back never makes ids go back
    expect(await c.call('XADD', 's', '*', 'a', '3')).toEqual(bulk('1000000-2'));
    clock.t = 1_000_005;
    expect(await c.call('XADD', 's', '*', 'a', '4')).toEqual(bulk('1000005-0'));
    expect(await c.call('XADD', 's', '1000005-*', 'a', '5')).toEqual(bulk('1000005-1'));
    expect(await c.call('XADD', 's', '2000000-*', 'a', '6')).toEqual(bulk('2000000-0'));
    expect(await c.call('XADD', 's', 'MAXLEN', '~', '1000', '*', 'a', '7')).toEqual(bulk('2000000-1'));
    expect(await c.call('XLEN', 's')).toEqual({ t: 'int', v: '7' });
  });
});

describe('blocking', () => {
  it('XREAD BLOCK … $ is served by a later XADD, with only the new entry', async () => {
    const h = await server();
    const [a, b] = [await client(h), await client(h)];
    await b.call('XADD', 's', '1-0', 'old', 'x');
    const pending = a.call('XREAD', 'BLOCK', '0', 'STREAMS', 'other', 's', '0', '$');
    await until(() => h.server.blocking.waiters(0, 's') === 1, 5000, 'client blocked');
    await b.call('XADD', 's', '2-0', 'new', 'y');
    expect(show(await pending)).toBe(show({ t: 'array', v: [{ t: 'array', v: [bulk('s'), { t: 'array', v: [{ t: 'array', v: [bulk('2-0'), { t: 'array', v: [bulk('new'), bulk('y')] }] }] }] }] }));
    expect(h.server.blocking.waiters(0, 's')).toBe(0);
  });

  it('XREAD BLOCK times out with a null array; XADD to another key does not wake it', async () => {
    const h = await server();
    const [a, b] = [await client(h), await client(h)];
    const pending = a.call('XREAD', 'BLOCK', '100', 'STREAMS', 's', '$');
    await until(() => h.server.blocking.waiters(0, 's') === 1, 5000, 'client blocked');
    await b.call('XADD', 'elsewhere', '1-0', 'a', 'b');
    expect(await pending).toEqual({ t: 'nullarray' });
  });

  it('XREADGROUP BLOCK is served by XADD: PEL updated, effects in the AOF; DESTROY wakes with NOGROUP', async () => {
    const h = await server({ appendonly: 'yes', appendfsync: 'always' });
    const [a, b] = [await client(h), await client(h)];
    await b.call('XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM');
    const pending = a.call('XREADGROUP', 'GROUP', 'g', 'alice', 'BLOCK', '0', 'STREAMS', 's', '>');
    await until(() => h.server.blocking.waiters(0, 's') === 1, 5000, 'client blocked');
    await b.call('XADD', 's', '5-0', 'f', 'v');
    const r = await pending;
    expect(show(r)).toContain('bulk("5-0")');
    const summary = await b.call('XPENDING', 's', 'g');
    expect(show(summary)).toBe(show({ t: 'array', v: [{ t: 'int', v: '1' }, bulk('5-0'), bulk('5-0'), { t: 'array', v: [{ t: 'array', v: [bulk('alice'), bulk('1')] }] }] }));
    const aof = readFileSync(join(h.config.getString('dir'), 'appendonly.aof'), 'latin1');
    expect(aof).toContain('XCLAIM');
    expect(aof).toContain('CREATECONSUMER');
    expect(aof).not.toContain('XREADGROUP');

    const again = a.call('XREADGROUP', 'GROUP', 'g', 'alice', 'BLOCK', '0', 'STREAMS', 's', '>');
    await until(() => h.server.blocking.waiters(0, 's') === 1, 5000, 'client blocked again');
    await b.call('XGROUP', 'DESTROY', 's', 'g');
    expect(await again).toEqual({ t: 'error', v: 'NOGROUP the consumer group this client was blocked on no longer exists' });

    // Deleting the stream releases a blocked group reader too (Redis 7.0's UNBLOCKED); a plain
    // XREAD on it keeps waiting.
    await b.call('XGROUP', 'CREATE', 's', 'g2', '$');
    const third = a.call('XREADGROUP', 'GROUP', 'g2', 'bob', 'BLOCK', '0', 'STREAMS', 's', '>');
    const c = await client(h);
    const plain = c.call('XREAD', 'BLOCK', '0', 'STREAMS', 's', '$');
    await until(() => h.server.blocking.waiters(0, 's') === 2, 5000, 'both blocked');
    await b.call('DEL', 's');
    expect(await third).toEqual({ t: 'error', v: 'UNBLOCKED the stream key no longer exists' });
    expect(h.server.blocking.waiters(0, 's')).toBe(1);
    await b.call('XADD', 's', '9-0', 'f', 'v');
    expect(show(await plain)).toContain('bulk("9-0")');
  });

  it('inside MULTI, XREAD BLOCK answers a null array at once', async () => {
    const h = await server();
    const c = await client(h);
    await c.call('MULTI');
    await c.call('XREAD', 'BLOCK', '0', 'STREAMS', 's', '$');
    expect(await c.call('EXEC')).toEqual({ t: 'array', v: [{ t: 'nullarray' }] });
  });
});

describe('persistence', () => {
  /** Streams with groups, consumers, pending entries (one of a deleted entry), tombstones, trims. */
  async function build(c: RawClient): Promise<void> {
    for (let i = 1; i <= 250; i++) await c.call('XADD', 's', 'MAXLEN', '~', '200', '*', 'n', String(i), 'pad', 'x'.repeat(i % 7));
    await c.call('XGROUP', 'CREATE', 's', 'g', '0');
    await c.call('XGROUP', 'CREATE', 's', 'late', '$', 'ENTRIESREAD', '3');
    await c.call('XREADGROUP', 'GROUP', 'g', 'alice', 'COUNT', '5', 'STREAMS', 's', '>');
    await c.call('XREADGROUP', 'GROUP', 'g', 'bob', 'COUNT', '3', 'STREAMS', 's', '>');
    await c.call('XGROUP', 'CREATECONSUMER', 's', 'g', 'idle');
    const first = await c.call('XRANGE', 's', '-', '+', 'COUNT', '2');
    const ids = first.t === 'array' ? first.v.map((e) => (e.t === 'array' && e.v[0].t === 'bulk' ? e.v[0].v : '')) : [];
    await c.call('XCLAIM', 's', 'g', 'bob', '0', ids[1]);
    await c.call('XDEL', 's', ids[0]);
    await c.call('XTRIM', 's', 'MAXLEN', '=', '150');
    await c.call('XADD', 't', '1-1', 'a', 'b');
    await c.call('XADD', 't', '2-1', 'a', 'c');
    await c.call('XDEL', 't', '2-1');
    await c.call('XGROUP', 'CREATE', 'empty', 'g', '$', 'MKSTREAM');
    await c.call('XSETID', 't', '9-9', 'ENTRIESADDED', '20', 'MAXDELETEDID', '3-0');
    // ids and counters beyond 2^53 (exact u64), generated ones included
    await c.call('XADD', 'u', '9999999999999999999-0', 'a', '1');
    await c.call('XADD', 'u', '9999999999999999999-*', 'a', '2');
    await c.call('XADD', 'u', '18446744073709551615-18446744073709551614', 'a', '3');
    await c.call('XADD', 'u', 'MAXLEN', '~', '1', '*', 'a', '4');
    await c.call('XGROUP', 'CREATE', 'u', 'g', '9007199254740993-0', 'ENTRIESREAD', '9007199254740993');
    await c.call('XREADGROUP', 'GROUP', 'g', 'carol', 'COUNT', '2', 'STREAMS', 'u', '>');
    await c.call('XDEL', 'u', '9999999999999999999-1');
    await c.call('XSETID', 'u', '18446744073709551615-18446744073709551615', 'ENTRIESADDED', '9007199254740995', 'MAXDELETEDID', '9999999999999999999-1');
  }
  async function state(c: RawClient): Promise<string> {
    const out: string[] = [];
    for (const k of ['s', 't', 'empty', 'u']) {
      out.push(show(await c.call('XINFO', 'STREAM', k, 'FULL', 'COUNT', '0')));
      out.push(show(await c.call('XINFO', 'GROUPS', k)));
    }
    return out.join('\n');
  }

  it('AOF replay and BGREWRITEAOF reproduce streams exactly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-streams-'));
    const clock = new FakeClock(1_700_000_000_000);
    const a = await startLodestone({ dir, appendonly: 'yes', appendfsync: 'always' }, clock);
    const ca = await RawClient.connect(a.port);
    await build(ca);
    const before = await state(ca);
    expect(before).toContain('pel-count');
    expect(before).toContain('bulk("18446744073709551615-18446744073709551615")');
    expect(before).toContain('int("9007199254740995")');
    const aof = readFileSync(join(dir, 'appendonly.aof'), 'latin1');
    expect(aof).not.toMatch(/\r\n~\r\n/); // approximate trimming was propagated exactly
    ca.close();
    await a.close();

    const b = await startLodestone({ dir, appendonly: 'yes', appendfsync: 'always' }, clock);
    const cb = await RawClient.connect(b.port);
    expect(await state(cb)).toBe(before);
    expect(await cb.call('BGREWRITEAOF')).toEqual({ t: 'status', v: 'Background append only file rewriting started' });
    await until(async () => (await cb.call('INFO', 'persistence')).t === 'bulk' && /aof_rewrites:1/.test(show(await cb.call('INFO', 'persistence'))), 10000, 'rewrite done');
    cb.close();
    await b.close();

    const c = await startLodestone({ dir, appendonly: 'yes', appendfsync: 'always' }, clock);
    open.push(c);
    const cc = await client(c);
    expect(await state(cc)).toBe(before);
    const rewritten = readFileSync(join(dir, 'appendonly.aof'), 'latin1');
    expect(rewritten).toContain('XSETID');
  });
});

describe('BullMQ event streams', () => {
  it('QueueEvents receives what QueueEventsProducer publishes (XADD MAXLEN ~ *, XREAD BLOCK $)', async () => {
    const h = await server();
    const connection = { host: '127.0.0.1', port: h.port, maxRetriesPerRequest: null };
    const events = new QueueEvents('q', { connection, blockingTimeout: 200 });
    open.push(events);
    await events.waitUntilReady();
    const producer = new QueueEventsProducer('q', { connection });
    open.push(producer);
    const got = new Promise<unknown>((resolve) => (events as unknown as NodeJS.EventEmitter).on('custom-event', resolve));
    // QueueEvents starts reading at `$`: publish once it is blocked on the events stream.
    await until(() => h.server.blocking.waiters(0, 'bull:q:events') === 1, 5000, 'QueueEvents blocked');
    await producer.publishEvent({ eventName: 'custom-event', payload: 'hello' } as never);
    expect(await got).toMatchObject({ payload: 'hello' });
    const r = new Redis({ port: h.port });
    open.push({ close: () => r.disconnect() });
    expect(await r.xlen('bull:q:events')).toBe(1);
    for (let i = 0; i < 30; i++) await r.xadd('bull:q:events', 'MAXLEN', '~', '10', '*', 'event', 'x');
    expect(await r.xtrim('bull:q:events', 'MAXLEN', '~', 10)).toBe(0);
    expect(await r.xlen('bull:q:events')).toBe(31); // one node of 100 entries: nothing to drop whole
  });
});
