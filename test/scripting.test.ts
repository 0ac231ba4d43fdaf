// Lua scripting behaviour beyond the differential suite: the time budget (a runaway script is
// stopped, the server keeps serving), all-or-nothing scripts (writes before an error are undone,
// and the AOF gets none of them), binary safety of every byte value through ARGV → redis.call →
// return, and function libraries surviving a restart from the AOF, after BGREWRITEAOF, and from a
// snapshot.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { LodestoneHandle, startLodestone } from './helpers/servers.js';
import { until } from './helpers/poll.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

async function start(overrides: Record<string, string> = {}): Promise<{ h: LodestoneHandle; r: Redis; close(): Promise<void> }> {
  const h = await startLodestone(overrides);
  const r = new Redis({ port: h.port, lazyConnect: true, maxRetriesPerRequest: 0 });
  await r.connect();
  const s = {
    h,
    r,
    close: async () => {
      r.disconnect();
      await h.close();
    },
  };
  open.push(s);
  return s;
}

async function stop(s: { close(): Promise<void> }): Promise<void> {
  open.splice(open.indexOf(s), 1);
  await s.close();
}

const LIB = `#!lua name=counter
redis.register_function('bump', function(keys, args) return redis.call('incrby', keys[1], args[1]) end)
redis.register_function{function_name='peek', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}
`;

describe('Lua scripting', () => {
  it('stops a runaway script at busy-reply-threshold and keeps serving', async () => {
    // busy-reply-threshold is a protected config in Lodestone: the operator allows changing it here.
    const s = await start({ 'busy-reply-threshold': '100', 'enable-protected-configs': 'yes' });
    await s.r.set('before', '1');
    await expect(s.r.eval("redis.call('set', 'during', 'x') while true do end", 0)).rejects.toThrow(
      /Script killed: it ran longer than busy-reply-threshold \(100 ms\)/,
    );
    // A script cannot swallow the stop with pcall.
    await expect(s.r.eval('while true do pcall(function() while true do end end) end', 0)).rejects.toThrow(/busy-reply-threshold/);
    // A function library whose body loops is stopped too.
    await expect(s.r.function('LOAD', '#!lua name=spin\nwhile true do end')).rejects.toThrow(/busy-reply-threshold/);
    expect(await s.r.get('during')).toBeNull();
    expect(await s.r.get('before')).toBe('1');
    expect(await s.r.ping()).toBe('PONG');
    expect(await s.r.eval('return 42', 0)).toBe(42);
    // The old name sets the same limit.
    await s.r.config('SET', 'lua-time-limit', '250');
    expect(await s.r.config('GET', 'busy-reply-threshold')).toEqual(['busy-reply-threshold', '250']);
    await expect(s.r.eval('while true do end', 0)).rejects.toThrow(/\(250 ms\)/);
    await expect(s.r.script('KILL')).rejects.toThrow('NOTBUSY No scripts in execution right now.');
  });

  it('undoes every write of a script that fails, and the AOF records none of them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-lua-'));
    const s = await start({ dir, appendonly: 'yes', appendfsync: 'always' });
    await s.r.set('a', 'old');
    await s.r.rpush('l', 'x');
    const script = `
      redis.call('set', 'a', 'new')
      redis.call('set', 'fresh', '1')
      redis.call('rpush', 'l', 'y')
      redis.call('incr', 'a') -- WRONGTYPE-free runtime error: 'new' is not an integer
    `;
    await expect(s.r.eval(script, 0)).rejects.toThrow(/value is not an integer/);
    expect(await s.r.get('a')).toBe('old');
    expect(await s.r.exists('fresh')).toBe(0);
    expect(await s.r.lrange('l', 0, -1)).toEqual(['x']);
    // redis.pcall errors do not abort the script: its writes stay.
    expect(await s.r.eval("redis.call('set', 'b', '1') local e = redis.pcall('incr', 'a') return e.err", 0)).toMatch(/not an integer/);
    expect(await s.r.get('b')).toBe('1');
    // A successful script is one MULTI/EXEC group in the AOF, made of the commands it ran.
    expect(await s.r.eval("redis.call('set', 'c', ARGV[1]) return redis.call('incr', 'n')", 0, 'v')).toBe(1);
    const aof = readFileSync(join(dir, 'appendonly.aof'), 'latin1');
    expect(aof).not.toMatch(/fresh/);
    expect(aof).not.toMatch(/EVAL/i);
    expect(aof).toMatch(/MULTI[^]*\$1\r\nc\r\n\$1\r\nv[^]*incr[^]*EXEC/i);
  });

  it('undoes MOVE, FLUSHDB, FLUSHALL and SWAPDB too when the script fails after them', async () => {
    const s = await start();
    await s.r.set('k0', 'zero');
    await s.r.set('m', 'moved');
    await s.r.select(1);
    await s.r.set('k1', 'one');
    await s.r.select(0);
    const dbs = async () => {
      const out: Record<string, string | null>[] = [];
      for (const db of [0, 1, 2]) {
        await s.r.select(db);
        const keys = (await s.r.keys('*')).sort();
        out.push(Object.fromEntries(await Promise.all(keys.map(async (k) => [k, await s.r.get(k)]))));
      }
      await s.r.select(0);
      return out;
    };
    const before = await dbs();
    expect(before).toEqual([{ k0: 'zero', m: 'moved' }, { k1: 'one' }, {}]);
    for (const body of [
      "redis.call('move', 'm', '2')",
      "redis.call('flushdb')",
      "redis.call('flushall')",
      "redis.call('swapdb', '0', '1')",
      "redis.call('swapdb', '0', '2') redis.call('set', 'new', 'x') redis.call('move', 'new', '1')",
    ]) {
      await expect(s.r.eval(`${body} error('boom')`, 0)).rejects.toThrow(/boom/);
      expect(await dbs()).toEqual(before);
    }
    // And they do run when the script succeeds, as in Redis.
    expect(await s.r.eval("redis.call('move', 'm', '2') redis.call('swapdb', '1', '2') return 1", 0)).toBe(1);
    expect(await dbs()).toEqual([{ k0: 'zero' }, { m: 'moved' }, { k1: 'one' }]);
  });

  it('round-trips all 256 byte values through ARGV, redis.call SET/GET and the reply', async () => {
    const s = await start();
    const all = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) all[i] = i;
    const out = (await s.r.callBuffer('EVAL', 
      "redis.call('set', KEYS[1], ARGV[1]) return {redis.call('get', KEYS[1]), string.len(ARGV[1]), ARGV[1]:byte(129), KEYS[1]}",
      1,
      Buffer.from([0xff, 0x00, 0x80]),
      all,
    )) as [Buffer, number, number, Buffer];
    expect(out[0].equals(all)).toBe(true);
    expect(out[1]).toBe(256);
    expect(out[2]).toBe(128);
    expect(out[3].equals(Buffer.from([0xff, 0x00, 0x80]))).toBe(true);
    expect((await s.r.getBuffer(Buffer.from([0xff, 0x00, 0x80])))!.equals(all)).toBe(true);
    // Through cjson and cmsgpack too (bytes >= 0x80 pass through both unchanged).
    const high = Buffer.from([0xc3, 0xa9, 0xff, 0x01]);
    const back = (await s.r.callBuffer('EVAL', 'return cmsgpack.unpack(cmsgpack.pack(ARGV[1]))', 0, high)) as Buffer;
    expect(back.equals(high)).toBe(true);
  });

  it('keeps function libraries across a restart (AOF), a rewrite and a snapshot', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-lua-'));
    const AOF = { dir, appendonly: 'yes', appendfsync: 'always' };
    let s = await start(AOF);
    expect(await s.r.function('LOAD', LIB)).toBe('counter');
    expect(await s.r.fcall('bump', 1, 'n', 5)).toBe(5);
    await stop(s);
    // 1. Replay of the AOF: FUNCTION LOAD is in it as itself, FCALL as INCRBY.
    s = await start(AOF);
    expect(await s.r.fcall('bump', 1, 'n', 1)).toBe(6);
    expect(await s.r.fcall_ro('peek', 1, 'n')).toBe('6');
    // 2. After BGREWRITEAOF the libraries are in the rewritten file.
    await s.r.function('LOAD', 'REPLACE', LIB.replace("'bump'", "'bump2'"));
    await s.r.bgrewriteaof();
    await until(async () => /aof_rewrites:1/.test(await s.r.info('persistence')), 10000, 'the rewrite');
    await stop(s);
    s = await start(AOF);
    expect(await s.r.fcall('bump2', 1, 'n', 1)).toBe(7);
    await expect(s.r.fcall('bump', 1, 'n', 1)).rejects.toThrow('Function not found');
    await stop(s);
    // 3. A snapshot (SAVE) without AOF.
    const dir2 = mkdtempSync(join(tmpdir(), 'lodestone-lua-'));
    s = await start({ dir: dir2 });
    await s.r.function('LOAD', LIB);
    await s.r.set('n', '10');
    expect(await s.r.save()).toBe('OK');
    await stop(s);
    s = await start({ dir: dir2 });
    expect(await s.r.fcall('bump', 1, 'n', 1)).toBe(11);
    // FUNCTION DELETE / FLUSH persist too.
    await stop(s);
    s = await start(AOF);
    await s.r.function('DELETE', 'counter');
    await stop(s);
    s = await start(AOF);
    expect(await s.r.function('LIST')).toEqual([]);
  });

  it('INFO reports the script cache', async () => {
    const s = await start();
    await s.r.script('LOAD', 'return 1');
    await s.r.script('LOAD', 'return 2');
    const mem = await s.r.info('memory');
    expect(mem).toMatch(/number_of_cached_scripts:2/);
    expect(Number(/used_memory_lua:(\d+)/.exec(mem)![1])).toBeGreaterThan(0);
    await s.r.script('FLUSH');
    expect(await s.r.info('memory')).toMatch(/number_of_cached_scripts:0/);
  });
});
