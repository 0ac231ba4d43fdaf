// Differential tests for Lua scripting (EVAL*, SCRIPT, FUNCTION, FCALL*) against a real
// redis-server 7.0: conversions both ways, Redis 7's error texts (with their "script: …, on
// @user_script:N." suffixes), read-only scripts, the script cache, functions, and the bundled
// libraries (cjson, cmsgpack, bit, struct), redis.sha1hex and RESP3 after redis.setresp(3).
import { describe, expect, it } from 'vitest';
import { diffServers, Step } from '../helpers/diff.js';
import { RawClient } from '../helpers/raw-client.js';
import { skipReason } from '../helpers/servers.js';

const ev = (script: string, ...rest: string[]): string[] => ['EVAL', script, ...(rest.length ? rest : ['0'])];

const LIB = `#!lua name=mylib
redis.register_function('incr_by', function(keys, args) return redis.call('incrby', keys[1], args[1]) end)
redis.register_function{function_name='echo_ro', callback=function(keys, args) return args end, flags={'no-writes'}}
redis.register_function('boom', function(keys, args) error('bad thing') end)
redis.register_function{function_name='write_ro', callback=function(keys, args) return redis.call('set', keys[1], 'v') end, flags={'no-writes'}}
`;
const LIB2 = `#!lua name=lib2
redis.register_function{function_name='only', callback=function(keys, args) return 'hi' end, description='says hi'}
`;

describe.skipIf(skipReason('scripting differential tests', 'redis-server'))('scripting: differential vs redis-server', () => {
  const servers = diffServers();
  const run = (steps: Step[], resp3 = false) => servers.diff([['SCRIPT', 'FLUSH'], ['FUNCTION', 'FLUSH'], ...steps], resp3);

  it('converts Lua values to replies', async () => {
    await run([
      ev('return 1'),
      ev('return -42'),
      ev('return 3.99'),
      ev('return -3.99'),
      ev("return 'hello'"),
      ev('return true'),
      ev('return false'),
      ev('return nil'),
      ev('return {1, 2, 3, nil, 4}'),
      ev("return {1, 'two', {3, {4, 'x'}}, true, false}"),
      ev("return {ok='FINE'}"),
      ev("return {err='My error'}"),
      ev("return {err='x'}"),
      ev("return redis.status_reply('PONG')"),
      ev("return redis.error_reply('My err')"),
      ev("return redis.error_reply('-WRONG thing')"),
      ev("return redis.error_reply('x')"),
      ev('return {}'),
      ev('return 10/2'),
      ev('return 2^53'),
      ev("return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}", '2', 'k1', 'k2', 'a1', 'a2'),
      ev("return {double=3.5}"),
    ]);
  });

  it('converts replies to Lua values', async () => {
    await run([
      ['SET', 's', 'abc'],
      ['RPUSH', 'l', 'a', 'b'],
      ['HSET', 'h', 'f', 'v'],
      ev("return redis.call('get', 's')"),
      ev("return type(redis.call('get', 'nokey'))"),
      ev("return tostring(redis.call('get', 'nokey'))"),
      ev("return redis.call('incr', 'n')"),
      ev("return type(redis.call('incr', 'n2'))"),
      ev("return redis.call('lrange', 'l', 0, -1)"),
      ev("local r = redis.call('set', 'x', 'y') return type(r) .. ':' .. r.ok"),
      ev("return redis.call('set', 'x', 'y')"),
      ev("local r = redis.pcall('incr', 's') return type(r) .. ':' .. r.err"),
      ev("return redis.pcall('incr', 's')"),
      ev("return redis.call('hgetall', 'h')"),
      ev("return redis.call('set', 'num', 3.5)"),
      ev("return redis.call('get', 'num')"),
      ev("return redis.call('set', 'num', 7)"),
      ev("return redis.call('get', 'num')"),
      ev("return redis.call('exists', 's', 'l', 'nope')"),
      ev("return type(redis.call('blpop', 'l', 0))"),
    ]);
  });

  it('reports errors with Redis 7 texts', async () => {
    await run([
      ['SET', 's', 'abc'],
      ev('x = 1'),
      ev('return undefined_global'),
      ev('_G.y = 1'),
      ev('redis.foo = 1'),
      ev('string.foo = 1'),
      ev('return 1 +'),
      ev("error('boom')"),
      ev("error({err='CUSTOM failure'})"),
      ev("local t = nil\nreturn t.x"),
      ev("return redis.call('incr', 's')"),
      ev("\n\nreturn redis.call('nosuchcommand')"),
      ev("return redis.call('get')"),
      ev('return redis.call()'),
      ev('return redis.call({})'),
      ev("return redis.call('multi')"),
      ev("return redis.call('eval', 'return 1', 0)"),
      ev("return redis.call('subscribe', 'c')"),
      ev("return redis.pcall('nosuchcommand')"),
      ev("local ok, e = pcall(function() redis.call('incr', 's') end) return e.err"),
      ev("return loadstring"),
      ev("return os.time()"),
      ev("return type(load)"),
      ['EVAL', 'return 1'],
      ['EVAL', 'return 1', 'x'],
      ['EVAL', 'return 1', '-1'],
      ['EVAL', 'return 1', '2', 'a'],
    ]);
  });

  it('refuses writes from read-only scripts', async () => {
    await run([
      ['SET', 'k', 'v'],
      ['EVAL_RO', "return redis.call('get', KEYS[1])", '1', 'k'],
      ['EVAL_RO', "return redis.call('set', KEYS[1], 'x')", '1', 'k'],
      ['EVAL_RO', "return redis.pcall('del', KEYS[1])", '1', 'k'],
      ['GET', 'k'],
      ['SCRIPT', 'LOAD', "return redis.call('set', KEYS[1], ARGV[1])"],
      ['EVALSHA_RO', 'cf0b2b8c6b5c1aac22bbb7e9ec1c9ed8d1f2e4a2', '1', 'k', 'x'],
    ]);
  });

  it('honours #!lua shebang flags in EVAL scripts (no-writes, allow-oom), and their errors', async () => {
    await run([
      ['SET', 'k', 'v'],
      ev("#!lua flags=no-writes\nreturn redis.call('get', 'k')"),
      ev("#!lua flags=no-writes\nreturn redis.call('set', 'k', 'x')"),
      ['EVAL_RO', '#!lua\nreturn 1', '0'],
      ['EVAL_RO', '#!lua flags=no-writes\nreturn 1', '0'],
      ev('#!python\nreturn 1'),
      ev('#!lua flags=bogus\nreturn 1'),
      ev('#!lua name=x\nreturn 1'),
      ev('#!lua'),
      ev("#!lua\nerror('x')"),
      ev('#!lua\nreturn nosuch.x'),
      ev('#!lua flags=no-writes,allow-oom\nreturn 2'),
      ev('#!lua flags=\nreturn 3'),
      ev('#!lua  flags=no-writes  \nreturn 4'),
      ['SCRIPT', 'LOAD', '#!lua flags=nope\nreturn 1'],
      ['GET', 'k'],
      ['FUNCTION', 'LOAD', "#!lua name=oomlib\nredis.register_function('w', function() return 1 end)\nredis.register_function{function_name='r', callback=function() return 2 end, flags={'no-writes'}}\nredis.register_function{function_name='o', callback=function() return 3 end, flags={'allow-oom'}}"],
      // Over maxmemory: a shebang script that may write needs allow-oom; no-writes and legacy
      // scripts (no shebang) run.
      ['CONFIG', 'SET', 'maxmemory', '1'],
      ev('#!lua\nreturn 5'),
      ev('#!lua flags=allow-oom\nreturn 6'),
      ev('#!lua flags=no-writes\nreturn 7'),
      ev('return 8'),
      ev('#!lua flags=no-cluster,allow-stale,allow-cross-slot-keys\nreturn 9'),
      ['FCALL', 'w', '0'],
      ['FCALL', 'r', '0'],
      ['FCALL', 'o', '0'],
      ['CONFIG', 'SET', 'maxmemory', '0'],
      ['FCALL', 'w', '0'],
    ]);
  });

  it('runs blocking commands the way Redis 7.0 allows them in scripts', async () => {
    await run([
      ['RPUSH', 'l', 'a'],
      ['XADD', 's', '1-1', 'f', 'v'],
      ['XGROUP', 'CREATE', 's', 'g', '0'],
      ev("return redis.call('blpop', 'l', 0)"),
      ev("return redis.call('bzpopmin', 'z', 0)"),
      ev("return redis.call('blmpop', '0', '1', 'l', 'left')"),
      ev("return redis.call('blmpop', '0', '1', 'nokey', 'left')"),
      ev("return redis.call('bzmpop', '0', '1', 'nokey', 'min')"),
      ev("return redis.call('xread', 'count', '1', 'streams', 's', '0')"),
      ev("return redis.call('xread', 'block', '0', 'streams', 's', '$')"),
      ev("return redis.call('xreadgroup', 'group', 'g', 'c', 'block', '0', 'streams', 's', '>')"),
      ev("return redis.call('xreadgroup', 'group', 'g', 'c', 'streams', 's', '>')"),
      ['LLEN', 'l'],
    ]);
  });

  it('caches scripts: SCRIPT LOAD / EXISTS / FLUSH, EVALSHA, NOSCRIPT', async () => {
    await run([
      ['SCRIPT', 'LOAD', 'return ARGV[1]'],
      ['EVALSHA', '098e0f0d1448c0a81dafe820f66d460eb09263da', '0', 'hi'],
      ['EVALSHA', '098E0F0D1448C0A81DAFE820F66D460EB09263DA', '0', 'hi'],
      ['SCRIPT', 'EXISTS', '098e0f0d1448c0a81dafe820f66d460eb09263da', 'ffffffffffffffffffffffffffffffffffffffff'],
      ['EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '0'],
      ['EVALSHA', 'short', '0'],
      ['SCRIPT', 'LOAD', 'return +'],
      ['SCRIPT', 'FLUSH'],
      ['SCRIPT', 'EXISTS', '098e0f0d1448c0a81dafe820f66d460eb09263da'],
      ['SCRIPT', 'FLUSH', 'ASYNC'],
      ['SCRIPT', 'FLUSH', 'BAD'],
      ['SCRIPT', 'KILL'],
      ['FUNCTION', 'KILL'],
      ev("return 1"),
      ['SCRIPT', 'EXISTS', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db'],
    ]);
  });

  it('runs functions: FUNCTION LOAD / LIST / DELETE / FCALL / FCALL_RO', async () => {
    await run([
      ['FUNCTION', 'LOAD', LIB2],
      ['FUNCTION', 'LIST'],
      ['FUNCTION', 'LIST', 'WITHCODE'],
      ['FUNCTION', 'LIST', 'LIBRARYNAME', 'lib*'],
      ['FUNCTION', 'LIST', 'LIBRARYNAME', 'nomatch'],
      ['FUNCTION', 'LOAD', LIB2],
      ['FUNCTION', 'LOAD', 'REPLACE', LIB2],
      ['FCALL', 'only', '0'],
      ['FCALL_RO', 'only', '0'],
      ['FUNCTION', 'LOAD', LIB],
      ['FCALL', 'incr_by', '1', 'n', '5'],
      ['FCALL', 'incr_by', '1', 'n', 'x'],
      ['FCALL', 'echo_ro', '0', 'a', 'b'],
      ['FCALL_RO', 'echo_ro', '0', 'a', 'b'],
      ['FCALL_RO', 'incr_by', '1', 'n', '1'],
      ['FCALL', 'write_ro', '1', 'k'],
      ['FCALL', 'boom', '0'],
      ['FCALL', 'nosuch', '0'],
      ['FUNCTION', 'STATS'],
      ['FUNCTION', 'DELETE', 'mylib'],
      ['FUNCTION', 'DELETE', 'mylib'],
      ['FCALL', 'incr_by', '1', 'n', '5'],
      ['FUNCTION', 'LOAD', 'return 1'],
      ['FUNCTION', 'LOAD', '#!lua\nreturn 1'],
      ['FUNCTION', 'LOAD', '#!lua name=bad-name\nreturn 1'],
      ['FUNCTION', 'LOAD', '#!nope name=x\nreturn 1'],
      ['FUNCTION', 'LOAD', '#!lua name=x foo=bar\nreturn 1'],
      ['FUNCTION', 'LOAD', '#!lua name=x\nreturn 1'],
      ['FUNCTION', 'LOAD', "#!lua name=x\nredis.call('ping')"],
      ['FUNCTION', 'LOAD', '#!lua name=x\nx = 1'],
      ['FUNCTION', 'LOAD', "#!lua name=x\nredis.register_function('only', function() end)"],
      ['FUNCTION', 'LOAD', "#!lua name=x\nredis.register_function('a b', function() end)"],
      ['FUNCTION', 'LOAD', "#!lua name=x\nredis.register_function{function_name='f', callback=function() end, flags={'bogus'}}"],
      ['FUNCTION', 'LOAD', '#!lua name=x\nreturn +'],
      ['FUNCTION', 'FLUSH'],
      ['FUNCTION', 'LIST'],
    ]);
  });

  it('dumps and restores functions', async () => {
    // The payloads differ (Redis compresses with LZF); each server must restore its own dump, and
    // Lodestone must restore Redis's.
    const a = await RawClient.connect(servers.ls.port);
    const b = await RawClient.connect(servers.rs.port);
    try {
      for (const c of [a, b]) {
        await c.call('FUNCTION', 'FLUSH');
        await c.call('FUNCTION', 'LOAD', LIB2);
      }
      const da = await a.call('FUNCTION', 'DUMP');
      const db = await b.call('FUNCTION', 'DUMP');
      expect(da.t).toBe('bulk');
      for (const c of [a, b]) await c.call('FUNCTION', 'FLUSH');
      const payloadOf = (v: typeof da): string => (v as { v: string }).v;
      expect(await a.call('FUNCTION', 'RESTORE', payloadOf(da))).toEqual(await b.call('FUNCTION', 'RESTORE', payloadOf(db)));
      expect(await a.call('FCALL', 'only', '0')).toEqual(await b.call('FCALL', 'only', '0'));
      expect(await a.call('FUNCTION', 'RESTORE', payloadOf(da))).toEqual(await b.call('FUNCTION', 'RESTORE', payloadOf(db)));
      expect(await a.call('FUNCTION', 'RESTORE', payloadOf(da), 'REPLACE')).toEqual(await b.call('FUNCTION', 'RESTORE', payloadOf(db), 'REPLACE'));
      expect(await a.call('FUNCTION', 'RESTORE', payloadOf(da), 'BOGUS')).toEqual(await b.call('FUNCTION', 'RESTORE', payloadOf(db), 'BOGUS'));
      expect(await a.call('FUNCTION', 'RESTORE', 'garbage')).toEqual(await b.call('FUNCTION', 'RESTORE', 'garbage'));
      // Redis's (compressed) payload restores on Lodestone.
      await a.call('FUNCTION', 'FLUSH');
      expect(await a.call('FUNCTION', 'RESTORE', payloadOf(db))).toEqual({ t: 'status', v: 'OK' });
      expect(await a.call('FCALL', 'only', '0')).toEqual(await b.call('FCALL', 'only', '0'));
      // And Redis restores Lodestone's.
      await b.call('FUNCTION', 'FLUSH');
      expect(await b.call('FUNCTION', 'RESTORE', payloadOf(da))).toEqual({ t: 'status', v: 'OK' });
    } finally {
      a.close();
      b.close();
    }
  });

  it('cjson behaves like lua-cjson', async () => {
    await run([
      ev('return cjson.encode({})'),
      ev("return cjson.encode({1, 2, 'three', true, false})"),
      ev("return cjson.encode({a = {b = 'c/d'}})"),
      ev('return cjson.encode(3.14159265358979)'),
      ev('return cjson.encode(1e20)'),
      ev('return cjson.encode(10)'),
      ev("return cjson.encode('tab\\tquote\"nl\\n\\1')"),
      ev('return cjson.encode({1, nil, 3})'),
      ev('return cjson.encode(cjson.null)'),
      ev("return cjson.decode('[1,2,3]')"),
      ev("return cjson.decode('{\"a\":[1,\"x\",{\"b\":2}]}').a[3].b"),
      ev("return cjson.decode('\"\\\\u00e9\\\\n\"')"),
      ev("return tostring(cjson.decode('null') == cjson.null)"),
      ev("return type(cjson.decode('{\"a\":null}').a)"),
      ev("return cjson.decode('3.5') * 2"),
      ev("return cjson.encode(cjson.decode('{\"k\":[true,false,null,1.5]}'))"),
      ev("local ok, e = pcall(cjson.decode, '{bad') return tostring(ok)"),
      ev("local ok = pcall(cjson.encode, {[{}] = 1}) return tostring(ok)"),
    ]);
  });

  it('cmsgpack, bit and struct give the same bytes and numbers', async () => {
    await run([
      ev("return cmsgpack.pack({1, 2, 3})"),
      ev("return cmsgpack.pack({a = 1})"),
      ev("return cmsgpack.pack('hello', 300, -5, -200, 70000, 5000000000, true, false)"),
      ev('return cmsgpack.pack(1.5)'),
      ev('return cmsgpack.pack(0.1)'),
      ev("return cmsgpack.pack(string.rep('x', 40))"),
      ev('return cmsgpack.pack({})'),
      ev("return {cmsgpack.unpack(cmsgpack.pack(1, 'two', {3, 4}))}"),
      ev("local t = cmsgpack.unpack(cmsgpack.pack({x = 'y'})) return t.x"),
      ev('return bit.tobit(0xffffffff)'),
      ev('return bit.tobit(2^32 + 5)'),
      ev('return bit.bnot(0)'),
      ev('return bit.band(0xff00, 0x0ff0, 0x00f0)'),
      ev('return bit.bor(1, 2, 4)'),
      ev('return bit.bxor(0xf0, 0xff)'),
      ev('return bit.lshift(1, 31)'),
      ev('return bit.lshift(1, 33)'),
      ev('return bit.rshift(-1, 28)'),
      ev('return bit.arshift(-256, 4)'),
      ev('return bit.rol(0x12345678, 8)'),
      ev('return bit.ror(0x12345678, 8)'),
      ev('return bit.bswap(0x12345678)'),
      ev('return bit.tohex(255)'),
      ev('return bit.tohex(-1, -4)'),
      ev('return bit.tohex(0x1234, 2)'),
      ev("return struct.pack('>I2', 258)"),
      ev("return struct.pack('<i4', -2)"),
      ev("return struct.pack('bBhH', -1, 255, -2, 65535)"),
      ev("return {struct.unpack('>I2I2', '\\1\\2\\3\\4')}"),
      ev("return struct.size('>i4h')"),
      ev("return struct.pack('s', 'abc')"),
      ev("return {struct.unpack('s', 'abc\\0def')}"),
    ]);
  });

  it('redis.sha1hex, redis.log, version fields', async () => {
    await run([
      ev("return redis.sha1hex('')"),
      ev("return redis.sha1hex('hello world')"),
      ev("redis.log(redis.LOG_WARNING, 'from a test') return 1"),
      ev('return redis.LOG_DEBUG + redis.LOG_VERBOSE + redis.LOG_NOTICE + redis.LOG_WARNING'),
      ev('return redis.REDIS_VERSION'),
      ev('return redis.REDIS_VERSION_NUM'),
      ev("return redis.sha1hex()"),
    ]);
  });

  it('RESP3 conversions after redis.setresp(3)', async () => {
    const steps: Step[] = [
      ['HSET', 'h', 'f', 'v'],
      ['SADD', 'st', 'm'],
      ['ZADD', 'z', '1.5', 'a'],
      ev("redis.setresp(3) local r = redis.call('hgetall', 'h') return r.map.f"),
      ev("redis.setresp(3) return redis.call('hgetall', 'h')"),
      ev("redis.setresp(3) local r = redis.call('smembers', 'st') return tostring(r.set.m)"),
      ev("redis.setresp(3) local r = redis.call('zscore', 'z', 'a') return tostring(r.double)"),
      ev("redis.setresp(3) return type(redis.call('get', 'nokey'))"),
      ev("redis.setresp(2) return type(redis.call('get', 'nokey'))"),
      ev("return redis.setresp(4)"),
      ev("return {map={a=1}}"),
      ev("return {set={a=true}}"),
      ev("return {double=1.5}"),
      // Lua booleans: 1 / nil by default; after setresp(3) #t / #f to RESP3 callers, :1 / :0 to RESP2.
      ev('return true'),
      ev('return false'),
      ev('return {true, false, 1}'),
      ev('redis.setresp(3) return true'),
      ev('redis.setresp(3) return false'),
      ev('redis.setresp(3) return {true, false, 1}'),
      ev("redis.setresp(3) return {map={f=false}}"),
    ];
    await run(steps);
    await run(steps, true);
  });
});
