// SLOWLOG against a real redis-server 7.0, with slowlog-log-slower-than 0 so every command is
// logged: the entries' shape (the arguments as the client sent them — not the rewritten form the
// AOF gets —, the 32-argument and 128-byte truncation notes, the client name), what is and is not
// logged (EXEC's queued commands are, EXEC is not, a script's commands are — as its own client's —,
// AUTH's password is redacted), SLOWLOG GET counts, LEN, RESET, and slowlog-max-len / slowlog-log-slower-than -1.
// Ids, timestamps and durations are masked; the client address is checked to be the caller's own.
import { describe, expect, it } from 'vitest';
import { diffServers, Step } from '../helpers/diff.js';
import { RawClient } from '../helpers/raw-client.js';
import { info, until } from '../helpers/poll.js';
import { RespValue, show } from '../helpers/resp.js';
import { skipReason } from '../helpers/servers.js';

type Arr = { t: 'array'; v: RespValue[] };

/** An entry is [id, time, usec, args, addr, name]: blank id/time/usec, and addr down to its host. */
function maskEntries(v: RespValue): RespValue {
  if (v.t !== 'array') return v;
  return {
    t: 'array',
    v: v.v.map((e) => {
      if (e.t !== 'array' || e.v.length !== 6) return e;
      const [id, time, usec, args, addr, name] = e.v;
      for (const n of [id, time, usec]) expect(n.t).toBe('int');
      expect(addr.t).toBe('bulk');
      const a = (addr as { v: string }).v;
      // A script's commands are logged as Redis's script client's: address "?:0".
      expect(a).toMatch(/^(127\.0\.0\.1:\d+|\?:0)$/);
      const host = a === '?:0' ? a : '127.0.0.1';
      return { t: 'array', v: [{ t: 'int', v: '0' }, { t: 'int', v: '0' }, { t: 'int', v: '0' }, args, { t: 'bulk', v: host }, name] } as Arr;
    }),
  };
}

const get = (...n: string[]): Step => ({ cmd: ['SLOWLOG', 'GET', ...n], mask: maskEntries });
const setup: Step[] = [
  ['CONFIG', 'SET', 'slowlog-log-slower-than', '0'],
  ['CONFIG', 'SET', 'slowlog-max-len', '128'],
  ['SLOWLOG', 'RESET'],
];

describe.skipIf(skipReason('SLOWLOG differential tests', 'redis-server'))('SLOWLOG: differential vs redis-server', () => {
  const servers = diffServers();
  const run = (steps: Step[], resp3 = false) => servers.diff([...setup, ...steps, ['CONFIG', 'SET', 'slowlog-log-slower-than', '10000']], resp3);

  it('logs commands as the client sent them', async () => {
    const many = Array.from({ length: 40 }, (_, i) => String(i));
    await run([
      ['SET', 'foo', 'bar', 'EX', '100'],
      ['SETEX', 'k2', '100', 'v'],
      ['EXPIRE', 'foo', '200'],
      ['GETEX', 'foo', 'PX', '100000'],
      ['INCRBYFLOAT', 'f', '1.5'],
      ['SADD', 's', 'a'],
      ['SPOP', 's'],
      ['RPUSH', 'l', ...many],
      ['RPUSH', 'l2', ...many.slice(0, 31)],
      ['RPUSH', 'l3', ...many.slice(0, 30)],
      ['SET', 'big', 'x'.repeat(200)],
      ['SET', 'edge', 'y'.repeat(128)],
      ['SET', 'edge2', 'z'.repeat(129)],
      ['LPOP', 'nokey'],
      ['INCR', 'foo'],
      get(),
      ['SLOWLOG', 'LEN'],
    ]);
  });

  it('records the client name, EXEC and its queue, script calls as the script client\'s, redacted AUTH', async () => {
    await run([
      ['CLIENT', 'SETNAME', 'myname'],
      ['PING'],
      ['MULTI'],
      ['INCR', 'a'],
      ['SET', 'b', 'c', 'PX', '5000'],
      ['EXEC'],
      ['EVAL', "redis.call('set', 'x', 'y') return redis.call('get', 'x')", '0'],
      ['FUNCTION', 'LOAD', 'REPLACE', "#!lua name=sl\nredis.register_function('slf', function() return redis.call('set', 'fa', 'b') end)"],
      ['FCALL', 'slf', '0'],
      ['AUTH', 'wrongpass'],
      ['AUTH', 'someuser', 'wrongpass'],
      { cmd: ['HELLO', '2', 'AUTH', 'default', 'wrongpass'], ignore: true }, // (the reply holds the client id)
      ['CONFIG', 'SET', 'requirepass', ''],
      ['MIGRATE', '127.0.0.1', '1', 'k', '0', '10', 'AUTH', 'secret'],
      ['MIGRATE', '127.0.0.1', '1', 'k', '0', '10', 'AUTH2', 'user', 'secret'],
      ['ACL', 'SETUSER', 'slowlogtest', 'on', '>pw1', '<pw1', 'resetpass'],
      ['ACL', 'DELUSER', 'slowlogtest'],
      ['CLIENT', 'SETNAME', ''],
      ['ECHO', 'after'],
      get('-1'),
    ]);
  });

  it('the same entries in RESP3', async () => {
    await run([['CLIENT', 'SETNAME', 'r3'], ['SET', 'k', 'v', 'PX', '100000'], ['RPUSH', 'l', ...Array.from({ length: 40 }, (_, i) => String(i))], get('-1'), ['SLOWLOG', 'LEN']], true);
  });

  it('SLOWLOG GET counts, LEN, RESET, errors', async () => {
    await run([
      ['PING'],
      ['ECHO', 'one'],
      ['ECHO', 'two'],
      get('2'),
      get('0'),
      get('1'),
      get('-1'),
      get('-2'),
      get('x'),
      get('1', '2'),
      ['SLOWLOG', 'LEN'],
      ['SLOWLOG', 'RESET'],
      ['SLOWLOG', 'LEN'],
      get(),
      ['SLOWLOG', 'LEN', 'x'],
      ['SLOWLOG', 'RESET', 'x'],
      ['SLOWLOG', 'BOGUS'],
      ['SLOWLOG', 'HELP'],
      ['SLOWLOG', 'help', 'x'],
    ]);
  });

  it('honours slowlog-max-len and slowlog-log-slower-than -1', async () => {
    await run([
      ['ECHO', '1'],
      ['ECHO', '2'],
      ['ECHO', '3'],
      ['CONFIG', 'SET', 'slowlog-max-len', '2'],
      // Trimmed at the next push, as in Redis.
      ['SLOWLOG', 'LEN'],
      ['ECHO', '4'],
      ['SLOWLOG', 'LEN'],
      get('-1'),
      ['CONFIG', 'SET', 'slowlog-log-slower-than', '-1'],
      ['SLOWLOG', 'RESET'],
      ['ECHO', '5'],
      ['SLOWLOG', 'LEN'],
      ['CONFIG', 'SET', 'slowlog-log-slower-than', '0'],
      ['CONFIG', 'SET', 'slowlog-max-len', '0'],
      ['ECHO', '6'],
      ['SLOWLOG', 'LEN'],
      ['CONFIG', 'SET', 'slowlog-max-len', '128'],
      ['CONFIG', 'SET', 'slowlog-log-slower-than', '100000000'],
      ['SLOWLOG', 'RESET'],
      ['ECHO', '7'],
      ['SLOWLOG', 'LEN'],
    ]);
  });

  it('logs a blocked command when it is served, after the command that served it; not on timeout', async () => {
    const argsOf = (v: RespValue): string => show({ t: 'array', v: (v as Arr).v.map((e) => (e as Arr).v[3]) });
    const logs: string[] = [];
    for (const port of [servers.ls.port, servers.rs.port]) {
      const a = await RawClient.connect(port);
      const b = await RawClient.connect(port);
      try {
        await a.call('DEL', 'q', 'q2');
        await a.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
        await a.call('SLOWLOG', 'RESET');
        const popped = a.call('BLPOP', 'q', '0');
        await until(async () => (await info(b, 'clients')).blocked_clients === '1', 5000, 'BLPOP blocked');
        await b.call('RPUSH', 'q', 'x');
        expect(show(await popped)).toBe(show({ t: 'array', v: [{ t: 'bulk', v: 'q' }, { t: 'bulk', v: 'x' }] }));
        expect((await b.call('BLPOP', 'q2', '0.01')).t).toBe('nullarray');
        logs.push(argsOf(await b.call('SLOWLOG', 'GET', '-1')));
        await a.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
      } finally {
        a.close();
        b.close();
      }
    }
    expect(logs[0]).toBe(logs[1]);
  });
});
