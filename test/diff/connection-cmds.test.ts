// Connection and server commands against a real redis-server 7.0: CLIENT REPLY / NO-EVICT / UNBLOCK /
// PAUSE / SETNAME argument checks and errors, CLIENT LIST / INFO field names and order, CONFIG SET
// with several parameters (all or none) and CONFIG GET with several patterns, LATENCY, LOLWUT,
// MODULE, SWAPDB / FLUSHALL / FLUSHDB ASYNC|SYNC, lazyfree-* configs and SCAN's cursor edges — plus
// behaviour over raw sockets: CLIENT REPLY OFF/SKIP, CLIENT UNBLOCK of a BLPOP, CLIENT PAUSE WRITE
// (reads pass; writes, PUBLISH, EVAL, EXEC of a queued write wait; EVAL with no-writes passes) and
// LATENCY with a low threshold and DEBUG SLEEP.
import { describe, expect, it } from 'vitest';
import { diffServers, Step } from '../helpers/diff.js';
import { RawClient } from '../helpers/raw-client.js';
import { RespValue, show } from '../helpers/resp.js';
import { skipReason, startLodestone } from '../helpers/servers.js';
import { until } from '../helpers/poll.js';

const str = (v: RespValue): string => (v as { v: string }).v;
const fieldNames = (line: string): string[] => line.trim().split(' ').map((kv) => kv.slice(0, kv.indexOf('=')));

describe.skipIf(skipReason('connection command differential tests', 'redis-server'))('connection/server commands: differential vs redis-server', () => {
  const d = diffServers();

  it('CLIENT REPLY / NO-EVICT / UNBLOCK / PAUSE / SETNAME errors', async () => {
    const steps: Step[] = [
      ['CLIENT', 'REPLY'], ['CLIENT', 'REPLY', 'maybe'], ['CLIENT', 'REPLY', 'on'], ['CLIENT', 'REPLY', 'ON', 'x'],
      ['CLIENT', 'NO-EVICT'], ['CLIENT', 'NO-EVICT', 'maybe'], ['CLIENT', 'NO-EVICT', 'on'], ['CLIENT', 'NO-EVICT', 'OFF'],
      ['CLIENT', 'UNBLOCK'], ['CLIENT', 'UNBLOCK', 'x'], ['CLIENT', 'UNBLOCK', '99999'], ['CLIENT', 'UNBLOCK', '99999', 'TIMEOUT'],
      ['CLIENT', 'UNBLOCK', '99999', 'error'], ['CLIENT', 'UNBLOCK', '99999', 'bogus'], ['CLIENT', 'UNBLOCK', 'x', 'bogus'],
      ['CLIENT', 'UNBLOCK', '1', '2', '3'],
      ['CLIENT', 'PAUSE'], ['CLIENT', 'PAUSE', 'x'], ['CLIENT', 'PAUSE', '-1'], ['CLIENT', 'PAUSE', '1', 'bogus'],
      ['CLIENT', 'PAUSE', 'x', 'bogus'], ['CLIENT', 'PAUSE', '9223372036854775808'], ['CLIENT', 'PAUSE', '1.5'],
      ['CLIENT', 'PAUSE', '1', 'WRITE', 'x'],
      ['CLIENT', 'PAUSE', '9223372036854775807'], ['SET', 'after-huge-pause', '1'],
      ['CLIENT', 'PAUSE', '0', 'write'], ['CLIENT', 'UNPAUSE'],
      ['CLIENT', 'SETNAME', 'a b'], ['CLIENT', 'SETNAME', 'a\nb'], ['CLIENT', 'SETNAME', 'é'], ['CLIENT', 'SETNAME', 'ok-name'],
      ['CLIENT', 'GETNAME'], ['CLIENT', 'SETNAME', ''], ['CLIENT', 'GETNAME'],
    ];
    await d.diff(steps);
  });

  it('CLIENT LIST / CLIENT INFO carry Redis 7.0.15 fields in its order', async () => {
    const a = await RawClient.connect(d.ls.port);
    const b = await RawClient.connect(d.rs.port);
    try {
      for (const cmd of [['CLIENT', 'INFO'], ['CLIENT', 'LIST']]) {
        const [x, y] = await Promise.all([a.call(...cmd), b.call(...cmd)]);
        expect(fieldNames(str(x).split('\n')[0]), cmd.join(' ')).toEqual(fieldNames(str(y).split('\n')[0]));
      }
    } finally {
      a.close();
      b.close();
    }
  });

  it('CONFIG SET several parameters: all or none, Redis errors; CONFIG GET several patterns', async () => {
    await d.diff([
      ['CONFIG', 'SET', 'maxmemory-samples', '7', 'lfu-log-factor', '12'],
      { cmd: ['CONFIG', 'GET', 'maxmemory-samples', 'lfu-log-factor'], sort: true },
      ['CONFIG', 'SET', 'maxmemory-samples', '9', 'lfu-log-factor', 'notanumber'],
      { cmd: ['CONFIG', 'GET', 'maxmemory-samples', 'lfu-log-factor'], sort: true },
      ['CONFIG', 'SET', 'maxmemory-samples', '9', 'nosuchparam', '1'],
      ['CONFIG', 'SET', 'maxmemory-samples', '9', 'maxmemory-samples', '10'],
      ['CONFIG', 'SET', 'maxmemory-samples', '9', 'MAXMEMORY-SAMPLES', '10'],
      ['CONFIG', 'SET', 'maxmemory-samples'],
      ['CONFIG', 'SET', 'maxmemory-samples', '1', 'lfu-log-factor'],
      ['CONFIG', 'SET', 'databases', '3', 'maxmemory-samples', '3'],
      ['CONFIG', 'SET', 'maxmemory-samples', '3', 'databases', '3'],
      { cmd: ['CONFIG', 'GET', 'maxmemory-samples'] },
      ['CONFIG', 'SET', 'maxmemory-samples', '5', 'lfu-log-factor', '10'],
      { cmd: ['CONFIG', 'GET', 'lazyfree-*'], sort: true },
      ['CONFIG', 'SET', 'lazyfree-lazy-user-flush', 'yes', 'lazyfree-lazy-expire', 'yes', 'lazyfree-lazy-eviction', 'yes', 'lazyfree-lazy-server-del', 'yes', 'lazyfree-lazy-user-del', 'yes'],
      { cmd: ['CONFIG', 'GET', 'lazyfree-*'], sort: true },
      ['CONFIG', 'SET', 'lazyfree-lazy-user-flush', 'no', 'lazyfree-lazy-expire', 'no', 'lazyfree-lazy-eviction', 'no', 'lazyfree-lazy-server-del', 'no', 'lazyfree-lazy-user-del', 'no'],
      ['CONFIG', 'SET', 'lazyfree-lazy-user-flush', 'maybe'],
      { cmd: ['CONFIG', 'GET', 'latency-monitor-threshold', 'latency-tracking'], sort: true },
      ['CONFIG', 'SET', 'latency-monitor-threshold', '-1'],
      ['CONFIG', 'SET', 'latency-monitor-threshold', 'x'],
    ]);
  });

  it('SWAPDB / FLUSHALL / FLUSHDB with ASYNC and SYNC', async () => {
    await d.diff([
      ['SET', 'a', '1'], ['SWAPDB', '0', '1'], ['GET', 'a'], ['SELECT', '1'], ['GET', 'a'], ['SWAPDB', '0', '1'], ['SELECT', '0'],
      ['SWAPDB', '0'], ['SWAPDB', 'x', '1'], ['SWAPDB', '0', '99'], ['SWAPDB', '-1', '0'],
      ['FLUSHDB', 'ASYNC'], ['DBSIZE'], ['SET', 'a', '1'], ['FLUSHDB', 'sync'], ['DBSIZE'], ['FLUSHDB', 'bogus'], ['FLUSHDB', 'ASYNC', 'x'],
      ['SET', 'a', '1'], ['FLUSHALL', 'ASYNC'], ['DBSIZE'], ['FLUSHALL', 'SYNC'], ['FLUSHALL', 'bogus'], ['FLUSHALL', 'SYNC', 'x'],
    ]);
  });

  it('SCAN cursor edges: 2^64-1, 2^64 and beyond, negative, junk', async () => {
    await d.diff([
      ['SET', 'a', '1'],
      // 2^64-1 is a valid cursor: Redis answers cursor 0 with the keys of its last hash bucket, a
      // subset that depends on its per-process random hash seed; the reply shape and cursor agree.
      { cmd: ['SCAN', '18446744073709551615'], mask: (v) => ({ t: 'array', v: [(v as { v: RespValue[] }).v[0]] }) },
      ['SCAN', '18446744073709551616'], ['SCAN', '99999999999999999999'],
      { cmd: ['SCAN', '-1'], mask: (v) => ({ t: 'array', v: [(v as { v: RespValue[] }).v[0]] }) },
      ['SCAN', '1x'], ['SCAN', ' 1'], ['SCAN', '00'],
      ['SADD', 's', 'x'], ['SSCAN', 's', '18446744073709551616'], ['HSET', 'h', 'f', 'v'], ['HSCAN', 'h', '18446744073709551616'],
      ['ZADD', 'z', '1', 'm'], ['ZSCAN', 'z', '18446744073709551616'],
    ]);
  });

  it('LATENCY, LOLWUT and MODULE replies and errors', async () => {
    await d.diff([
      ['LATENCY', 'RESET'], ['LATENCY', 'LATEST'], ['LATENCY', 'HISTORY', 'command'], ['LATENCY', 'GRAPH', 'command'],
      ['LATENCY', 'DOCTOR'], ['LATENCY', 'HELP'], ['LATENCY', 'BOGUS'], ['LATENCY'], ['LATENCY', 'HISTORY'], ['LATENCY', 'LATEST', 'x'],
      ['LATENCY', 'RESET', 'command', 'fast-command'], ['LATENCY', 'HISTOGRAM', 'nosuchcommand'],
      ['CONFIG', 'SET', 'latency-monitor-threshold', '100'], ['LATENCY', 'DOCTOR'], ['CONFIG', 'SET', 'latency-monitor-threshold', '0'],
      ['LOLWUT'], ['LOLWUT', 'VERSION', 'x'], ['LOLWUT', 'VERSION', '7'], ['LOLWUT', 'VERSION', '99'], ['LOLWUT', 'foo'],
      ['MODULE', 'LIST'], ['MODULE', 'HELP'], ['MODULE', 'LOAD', '/nonexistent.so'], ['MODULE', 'LOADEX', '/x.so', 'ARGS', 'a'],
      ['MODULE', 'UNLOAD', 'x'], ['MODULE'], ['MODULE', 'BOGUS'], ['MODULE', 'LOAD'], ['MODULE', 'LIST', 'x'],
    ]);
    await d.diff([['LATENCY', 'LATEST'], ['LOLWUT'], ['MODULE', 'LIST'], ['LATENCY', 'HELP']], true);
  });

  it('LATENCY HISTOGRAM lists called commands with calls and cumulative power-of-two buckets', async () => {
    const c = await RawClient.connect(d.ls.port);
    try {
      for (let i = 0; i < 5; i++) await c.call('SET', 'hk', String(i));
      await c.call('CONFIG', 'GET', 'port');
      const r = await c.call('LATENCY', 'HISTOGRAM', 'set', 'config');
      const s = show(r);
      expect(s).toMatch(/^array\[bulk\("set"\), array\[bulk\("calls"\), int\("\d+"\), bulk\("histogram_usec"\), array\[int\("\d+"\), int\("\d+"\)/);
      expect(s).toContain('bulk("config|get")');
    } finally {
      c.close();
    }
  });
});

describe('connection commands: behaviour over raw sockets', () => {
  it('CLIENT REPLY OFF sends nothing until ON; SKIP drops exactly the next reply', async () => {
    const ls = await startLodestone();
    const c = await RawClient.connect(ls.port);
    try {
      const got: Buffer[] = [];
      c.socket.on('data', (b) => got.push(b));
      c.socket.write('*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$3\r\nOFF\r\n*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\nx\r\n*1\r\n$5\r\nBOGUS\r\n');
      c.socket.write('*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$2\r\nON\r\n*2\r\n$4\r\nECHO\r\n$1\r\na\r\n');
      c.socket.write('*3\r\n$6\r\nCLIENT\r\n$5\r\nREPLY\r\n$4\r\nSKIP\r\n*2\r\n$4\r\nECHO\r\n$1\r\nb\r\n*2\r\n$4\r\nECHO\r\n$1\r\nc\r\n');
      await until(() => Buffer.concat(got).toString().includes('$1\r\nc\r\n'), 10_000);
      expect(Buffer.concat(got).toString()).toBe('+OK\r\n$1\r\na\r\n$1\r\nc\r\n');
    } finally {
      c.close();
      await ls.close();
    }
  });

  it('CLIENT UNBLOCK wakes a BLPOP with a timeout reply or -UNBLOCKED', async () => {
    const ls = await startLodestone();
    const a = await RawClient.connect(ls.port);
    const b = await RawClient.connect(ls.port);
    try {
      const id = str(await a.call('CLIENT', 'ID'));
      const p1 = a.call('BLPOP', 'nokey', '0');
      await until(async () => str(await b.call('CLIENT', 'UNBLOCK', id)) === '1', 10_000);
      expect(show(await p1)).toBe('nullarray');
      const p2 = a.call('BLPOP', 'nokey', '0');
      await until(async () => str(await b.call('CLIENT', 'UNBLOCK', id, 'ERROR')) === '1', 10_000);
      expect(show(await p2)).toBe('error("UNBLOCKED client unblocked via CLIENT UNBLOCK")');
      expect(show(await b.call('CLIENT', 'UNBLOCK', id))).toBe('int("0")');
    } finally {
      a.close();
      b.close();
      await ls.close();
    }
  });

  it('CLIENT PAUSE WRITE: reads and no-writes scripts run; writes, PUBLISH, EVAL and EXEC of a write wait', async () => {
    const ls = await startLodestone();
    const admin = await RawClient.connect(ls.port);
    const c = await RawClient.connect(ls.port);
    try {
      await c.call('SET', 'k', 'v');
      // Queued before the pause: during it a write inside MULTI is held before it is QUEUED, as in Redis.
      const m = await RawClient.connect(ls.port);
      await m.call('MULTI');
      await m.call('SET', 'k', 'x');
      expect(show(await admin.call('CLIENT', 'PAUSE', '100000', 'WRITE'))).toBe('status("OK")');
      expect(show(await c.call('GET', 'k'))).toBe('bulk("v")');
      expect(show(await c.call('EVAL', "#!lua flags=no-writes\nreturn redis.call('get', KEYS[1])", '1', 'k'))).toBe('bulk("v")');
      expect(show(await c.call('EVAL_RO', "return redis.call('get', KEYS[1])", '1', 'k'))).toBe('bulk("v")');
      expect(show(await c.call('SCRIPT', 'FLUSH'))).toBe('status("OK")');
      expect(show(await c.call('MULTI'))).toBe('status("OK")');
      expect(show(await c.call('GET', 'k'))).toBe('status("QUEUED")');
      expect(show(await c.call('EXEC'))).toBe('array[bulk("v")]');
      const held: { name: string; p: Promise<RespValue> }[] = [];
      for (const [name, cmd] of [
        ['set', ['SET', 'k', 'w']],
        ['publish', ['PUBLISH', 'ch', 'm']],
        ['evalsha-unknown', ['EVALSHA', '0000000000000000000000000000000000000000', '0']],
        ['eval', ['EVAL', 'return 1', '0']],
        ['eval-flags', ['EVAL', '#!lua\nreturn 1', '0']],
      ] as [string, string[]][]) {
        const x = await RawClient.connect(ls.port);
        held.push({ name, p: x.call(...cmd).finally(() => x.close()) });
        await until(() => ls.server.pausedClients.size === held.length, 10_000, `${name} held`);
      }
      held.push({ name: 'exec', p: m.call('EXEC').finally(() => m.close()) });
      let settled = 0;
      for (const h of held) void h.p.then(() => settled++);
      await until(() => ls.server.pausedClients.size === held.length, 10_000);
      expect(settled).toBe(0);
      expect(show(await c.call('GET', 'k'))).toBe('bulk("v")');
      await admin.call('CLIENT', 'UNPAUSE');
      const res = await Promise.all(held.map((h) => h.p));
      expect(res.map(show)).toEqual([
        'status("OK")', 'int("0")', 'error("NOSCRIPT No matching script. Please use EVAL.")', 'int("1")', 'int("1")',
        'array[status("OK")]',
      ]);
      expect(show(await c.call('GET', 'k'))).toBe('bulk("x")');
    } finally {
      admin.close();
      c.close();
      await ls.close();
    }
  });

  it('CLIENT PAUSE: ALL is not weakened by a later WRITE pause; a wrapped huge timeout pauses nothing', async () => {
    const ls = await startLodestone();
    const admin = await RawClient.connect(ls.port);
    try {
      // An ALL pause holds CLIENT commands too (Redis postpones every command), so the second pause
      // goes through the server API the handler uses.
      await admin.call('CLIENT', 'PAUSE', '100000', 'WRITE');
      ls.server.pause(100, false);
      expect(ls.server.pauseWritesOnly).toBe(false);
      ls.server.pause(10, true);
      expect(ls.server.pauseWritesOnly).toBe(false);
      const until0 = ls.server.pauseUntil;
      ls.server.pause(1, true);
      expect(ls.server.pauseUntil).toBe(until0);
      ls.server.unpause();
      expect(show(await admin.call('CLIENT', 'PAUSE', '9223372036854775807'))).toBe('status("OK")');
      expect(ls.server.pauseUntil).toBe(0);
    } finally {
      admin.close();
      await ls.close();
    }
  });

  it('LATENCY records command events over latency-monitor-threshold (DEBUG SLEEP)', async () => {
    const ls = await startLodestone({ 'enable-debug-command': 'yes' });
    const c = await RawClient.connect(ls.port);
    try {
      expect(show(await c.call('CONFIG', 'SET', 'latency-monitor-threshold', '10'))).toBe('status("OK")');
      await c.call('DEBUG', 'SLEEP', '0.05');
      const latest = await c.call('LATENCY', 'LATEST');
      expect(show(latest)).toMatch(/^array\[array\[bulk\("command"\), int\("\d+"\), int\("(\d+)"\), int\("\d+"\)\]\]$/);
      const ms = Number(/int\("(\d+)"\), int\("\d+"\)\]\]$/.exec(show(latest))![1]);
      expect(ms).toBeGreaterThanOrEqual(50);
      expect(show(await c.call('LATENCY', 'HISTORY', 'command'))).toMatch(/^array\[array\[int\("\d+"\), int\("\d+"\)\]\]$/);
      const g = str(await c.call('LATENCY', 'GRAPH', 'command'));
      expect(g).toMatch(/^command - high \d+ ms, low \d+ ms \(all time high \d+ ms\)\n-{80}\n/);
      // One sample: the lowest step on the last of 4 rows, then a blank row and the `0s` label
      // written downwards (the same bytes redis-server 7.0.15 sends for one 50 ms spike).
      expect(g.slice(g.indexOf('\n', 82) + 1)).toMatch(/^ \n \n \n_\n \n\ds?\ns?\n?/);
      const doc = str(await c.call('LATENCY', 'DOCTOR'));
      expect(doc).toContain("Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?");
      expect(doc).toMatch(/1\. command: 1 latency spikes \(average \d+ms, mean deviation 0ms, period 1\.00 sec\)\. Worst all time event \d+ms\./);
      expect(show(await c.call('LATENCY', 'RESET'))).toBe('int("1")');
      expect(show(await c.call('LATENCY', 'LATEST'))).toBe('array[]');
      // Below the threshold nothing is recorded.
      await c.call('DEBUG', 'SLEEP', '0');
      expect(show(await c.call('LATENCY', 'LATEST'))).toBe('array[]');
    } finally {
      c.close();
      await ls.close();
    }
  });
});
