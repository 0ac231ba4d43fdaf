// Redis 7 functions and the script commands' edge cases against a real redis-server 7.0: the
// `#!lua name=…` first line (split like sdssplitargs, `name=` in any case, each check in Redis's
// order), library names (case-sensitive) and function names (case-insensitive), every
// redis.register_function argument error, the 500 ms load timeout, FCALL / EVAL numkeys errors and
// their order against "Function not found" / NOSCRIPT, FUNCTION LIST options, FLUSH / RESTORE
// argument errors, HELP texts, FUNCTION DUMP / RESTORE policies and payload errors on hand-built
// payloads, SCRIPT DEBUG and the shebang flags of EVAL scripts.
//
// Not compared: SCRIPT KILL / FUNCTION KILL while a script runs (BUSY, UNKILLABLE, the cross-kill
// errors). Lodestone runs a script to completion before it reads another command, so the only
// reachable answer is NOTBUSY, which is compared.
import { describe, expect, it } from 'vitest';
import { diffServers, deepSort, Step } from '../helpers/diff.js';
import { RawClient } from '../helpers/raw-client.js';
import { show } from '../helpers/resp.js';
import { skipReason } from '../helpers/servers.js';
import { crc64LE, RdbWriter } from '../../src/persistence/rdb/index.js';

const load = (code: string, ...opts: string[]): string[] => ['FUNCTION', 'LOAD', ...opts, code];
const lib = (name: string, body: string): string => `#!lua name=${name}\n${body}`;
const reg = (fn: string, ret = '1'): string => `redis.register_function('${fn}', function(keys, args) return ${ret} end)`;
/** Load `body` as library t on an empty function set. */
const tryLoad = (body: string): Step[] => [['FUNCTION', 'FLUSH'], load(lib('t', body))];

/**
 * A FUNCTION DUMP-style payload of the given library codes, with another type byte, or in the 7.0
 * release candidates' layout (name, engine, description flag before the code), or a bad checksum.
 */
function payload(codes: string[], opts: { type?: number; preGa?: boolean; badCrc?: boolean; zeroCrc?: boolean } = {}): string {
  const w = new RdbWriter();
  for (const c of codes) {
    w.byte(opts.type ?? (opts.preGa ? 246 : 245));
    if (opts.preGa) {
      w.string('liba', false);
      w.string('LUA', false);
      w.len(0);
    }
    w.string(c, false);
  }
  w.byte(10);
  w.byte(0);
  const body = Buffer.from(w.finish());
  const crc = opts.zeroCrc ? Buffer.alloc(8) : crc64LE(body);
  if (opts.badCrc) crc[0] ^= 1;
  return Buffer.concat([body, crc]).latin1Slice();
}

describe.skipIf(skipReason('functions differential tests', 'redis-server'))('functions: differential vs redis-server', () => {
  const servers = diffServers();
  const run = (steps: Step[], resp3 = false) => servers.diff([['SCRIPT', 'FLUSH'], ['FUNCTION', 'FLUSH'], ...steps], resp3);

  it('parses the #!lua first line like Redis', async () => {
    const f = reg('f');
    await run([
      load(`#!LUA name=x\n${f}`),
      load(`#!lua name=x\n${f}`),
      load(`#!lua name=y name=z\n${f}`),
      load(`#!lua NAME=up\n${reg('g')}`),
      load(`#!lua  name=sp   \n${reg('g2')}`),
      load(`#!lua\tname=tab\n${reg('g3')}`),
      load(`#!lua name=cr\r\n${reg('g4')}`),
      load(`#!lua name="quoted"\n${reg('g5')}`),
      load(`#!lua name="a b"\n${f}`),
      load(`#!lua name="open\n${f}`),
      load('#!lua name=nonl'),
      load(`#!lua name=q ${f}`),
      load('#!lua name=empty\n'),
      load(`#!\n${f}`),
      load(`#! lua name=x2\n${f}`),
      load(`#!js\n${f}`),
      load(`#!js name=a-b\n${f}`),
      load(`#!js name=ok\n${f}`),
      load(`#!lua name=\n${f}`),
      load(`#!lua name=x foo=bar\n${f}`),
      load(`#!lua foo=bar name=x\n${f}`),
      load(`lua name=x\n${f}`),
      ['FUNCTION', 'LOAD', 'REPLACE'],
      ['FUNCTION', 'LOAD', 'bogus', 'code'],
      ['FUNCTION', 'LOAD', 'REPLACE', 'REPLACE', lib('x', f)],
      { cmd: ['FUNCTION', 'LIST'], mask: deepSort },
    ]);
  });

  it('library names are case-sensitive, function names are not', async () => {
    await run([
      load(lib('x', reg('f'))),
      load(lib('X', reg('F'))),
      load(lib('X', reg('other', "'X'"))),
      ['FCALL', 'f', '0'],
      ['FCALL', 'F', '0'],
      ['FCALL', 'OTHER', '0'],
      ['FCALL_RO', 'F', '0'],
      ['FUNCTION', 'DELETE', 'x'],
      ['FUNCTION', 'DELETE', 'x'],
      ['FCALL', 'f', '0'],
      load(lib('y', reg('F', "'y'"))),
      ['FCALL', 'f', '0'],
      // REPLACE may re-register the library's own functions; another library's still collide.
      load(lib('y', reg('F', "'y2'")), 'REPLACE'),
      ['FCALL', 'f', '0'],
      load(lib('y', reg('Other')), 'replace'),
      ['FCALL', 'f', '0'],
      { cmd: ['FUNCTION', 'LIST'], mask: deepSort },
      ['FUNCTION', 'STATS'],
    ]);
  });

  it('redis.register_function argument errors', async () => {
    const bodies = [
      "redis.register_function{FUNCTION_NAME='a1', CallBack=function() return 1 end}",
      "redis.register_function{function_name='a2', callback=function() return 1 end, flags={'NO-WRITES'}}",
      "redis.register_function('x')",
      'redis.register_function(5, function() end)',
      'redis.register_function{function_name=5, callback=function() return 1 end}',
      "redis.register_function{function_name='a3', callback=function() return 1 end, flags={5}}",
      "redis.register_function{function_name='a3', callback=function() return 1 end, description=5}",
      "redis.register_function('a', 'b', 'c')",
      'redis.register_function()',
      "redis.register_function{[1]='a', callback=function() end}",
      "redis.register_function{function_name='f', callback=function() end, flags={'no-writes', 'no-writes'}}",
      "redis.register_function('f', function() end) redis.register_function('f', function() end)",
      "redis.register_function{function_name='a3', callback=function() return 1 end, flags='no-writes'}",
      "redis.register_function{function_name='a3', callback=5}",
      "redis.register_function{function_name='a3'}",
      'redis.register_function{callback=function() end}',
      "redis.register_function{function_name='a3', callback=function() end, foo=1}",
      "redis.register_function{function_name='a-3', callback=function() end}",
      "redis.register_function('', function() end)",
      "redis.register_function{function_name='d', callback=function() end, description='says d', flags={'allow-oom', 'no-writes', 'allow-stale', 'no-cluster'}}",
      "redis.call('ping')",
      'return redis.setresp(3)',
      "local x = redis.sha1hex('a')",
      "redis.log(redis.LOG_NOTICE, 'loading') redis.register_function('g', function() return redis.REDIS_VERSION end)",
      "error('failed to load')",
      "error({err='MYERR custom'})",
      'local t = nil; t.x = 1',
      'return +',
      'x = 1',
    ];
    const steps: Step[] = [];
    for (const b of bodies) steps.push(...tryLoad(b), { cmd: ['FUNCTION', 'LIST'], mask: deepSort });
    await run(steps);
  });

  it('stops load-time code after Redis 0.5 s load timeout', async () => {
    await run([
      load(lib('loop', 'while true do end')),
      load(lib('loop2', "redis.register_function('f', function() return 1 end) while true do end")),
      load(lib('loop3', "local ok = pcall(function() while true do end end) redis.register_function('f', function() return 1 end)")),
      ['FUNCTION', 'LIST'],
      load(lib('fine', reg('f'))),
      ['FCALL', 'f', '0'],
    ]);
  });

  it('FUNCTION and FCALL inside MULTI; FUNCTION / FCALL refused from scripts', async () => {
    await run([
      ['MULTI'],
      load(lib('m', reg('mf', '7'))),
      ['FCALL', 'mf', '0'],
      ['FCALL', 'nosuch', '0'],
      ['FCALL', 'mf', 'x'],
      ['FUNCTION', 'DELETE', 'm'],
      ['FCALL', 'mf', '0'],
      ['EXEC'],
      load(lib('m', reg('mf', '7'))),
      ['EVAL', "return redis.call('fcall', 'mf', '0')", '0'],
      ['EVAL', "return redis.pcall('function', 'list')", '0'],
      ['EVAL', "return redis.pcall('function', 'load', 'x')", '0'],
      ['EVAL', "return redis.pcall('script', 'load', 'return 1')", '0'],
      ['FCALL', 'mf', '0'],
    ]);
  });

  it('FCALL / FCALL_RO / EVAL* argument errors in Redis order', async () => {
    await run([
      load(lib('l', `${reg('f1')}\nredis.register_function{function_name='ro1', callback=function(k, a) return {k, a} end, flags={'no-writes'}}`)),
      ['SCRIPT', 'LOAD', 'return 1'],
      ['FCALL', 'nosuch', 'x'],
      ['FCALL', 'nosuch', '5'],
      ['FCALL', 'f1', 'x'],
      ['FCALL', 'f1', '1.5'],
      ['FCALL', 'f1', '01'],
      ['FCALL', 'f1', '+1', 'a'],
      ['FCALL', 'f1', '99999999999999999999'],
      ['FCALL', 'f1', '-1'],
      ['FCALL', 'f1', '-99999999999999'],
      ['FCALL', 'f1', '2', 'a'],
      ['FCALL', 'f1', '9223372036854775807'],
      ['FCALL_RO', 'f1', '0'],
      ['FCALL_RO', 'RO1', '1', 'k', 'a'],
      ['FCALL_RO', 'nosuch', 'x'],
      ['FCALL'],
      ['FCALL', 'f1'],
      ['EVAL', 'return 1', 'x'],
      ['EVAL', 'return +', 'x'],
      ['EVAL', 'return +', '0'],
      ['EVAL', 'return 1', '-1'],
      ['EVAL', 'return 1', '-0'],
      ['EVAL', 'return 1', '01', 'a'],
      ['EVAL', 'return 1', '3', 'a'],
      ['EVAL', 'return KEYS', '1', 'a', 'b'],
      ['EVALSHA', 'abc', 'x'],
      ['EVALSHA', 'abc', '3'],
      ['EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', 'x'],
      ['EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '3'],
      ['EVALSHA', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', 'x'],
      ['EVALSHA', 'E0E1F9FABFC9D4800C877A703B823AC0578FF8DB', '0'],
      ['EVALSHA_RO', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db', '0'],
      ['EVALSHA_RO', 'abc', '0'],
      ['EVAL_RO', "return redis.call('set', 'k', 'v')", '0'],
      ['EVAL_RO', "return redis.call('get', 'k')", '1', 'k'],
      ['EVAL_RO', '#!lua\nreturn 1', '0'],
      ['EVAL_RO', '#!lua flags=no-writes\nreturn 1', '0'],
      ['EVAL_RO', 'return 1', '-1'],
    ]);
  });

  it('EVAL shebangs are split like sdssplitargs; SCRIPT edge cases', async () => {
    await run([
      ['SCRIPT', 'LOAD', '#!lua "x\nreturn 1'],
      ['SCRIPT', 'LOAD', '#!lua flags=no-writes,,allow-oom\nreturn 1'],
      ['SCRIPT', 'LOAD', '#!lua flags=no-writes,\nreturn 1'],
      ['SCRIPT', 'LOAD', '#!lua flags=\nreturn 1'],
      ['SCRIPT', 'LOAD', '#!lua\tflags=no-writes\nreturn 1'],
      ['SCRIPT', 'LOAD', '#!lua flags="no-writes"\nreturn 1'],
      ['SCRIPT', 'LOAD', '#!lua flags=no-writes flags=allow-oom\nreturn 1'],
      ['SCRIPT', 'LOAD', '#!lua flags=No-Writes\nreturn 1'],
      ['SCRIPT', 'LOAD', '#!lua FLAGS=no-writes\nreturn 1'],
      ['SCRIPT', 'LOAD', '#!lua name=x\nreturn 1'],
      ['SCRIPT', 'LOAD', '#!\nreturn 1'],
      ['SCRIPT', 'LOAD', '#!lua'],
      ['SCRIPT', 'LOAD', ''],
      ['SCRIPT', 'EXISTS', 'da39a3ee5e6b4b0d3255bfef95601890afd80709', 'DA39A3EE5E6B4B0D3255BFEF95601890AFD80709', 'x'],
      ['SCRIPT', 'LOAD'],
      ['SCRIPT', 'LOAD', 'a', 'b'],
      ['SCRIPT', 'EXISTS'],
      ['SCRIPT', 'FLUSH', 'SYNC', 'ASYNC'],
      ['SCRIPT', 'FLUSH', 'sync'],
      ['SCRIPT', 'FLUSH', 'bogus'],
      ['SCRIPT', 'KILL'],
      ['SCRIPT', 'KILL', 'x'],
      ['SCRIPT', 'DEBUG', 'NO'],
      ['SCRIPT', 'DEBUG', 'no'],
      ['SCRIPT', 'DEBUG', 'maybe'],
      ['SCRIPT', 'DEBUG'],
      ['MULTI'],
      ['SCRIPT', 'DEBUG', 'NO'],
      ['EXEC'],
      ['SCRIPT', 'BOGUS'],
      ['SCRIPT', 'HELP'],
      ['SCRIPT'],
    ]);
  });

  it('FUNCTION LIST / FLUSH / DELETE / STATS / KILL / HELP arguments', async () => {
    await run([
      load(lib('lib1', reg('f1'))),
      load(lib('Lib2', `redis.register_function{function_name='f2', callback=function() return 2 end, description='two', flags={'no-writes', 'allow-oom'}}`)),
      load(lib('other', reg('f3'))),
      { cmd: ['FUNCTION', 'LIST'], mask: deepSort },
      { cmd: ['FUNCTION', 'LIST', 'LIBRARYNAME', 'lib*'], mask: deepSort },
      { cmd: ['FUNCTION', 'LIST', 'libraryname', 'LIB?', 'withcode'], mask: deepSort },
      { cmd: ['FUNCTION', 'LIST', 'WITHCODE', 'LIBRARYNAME', 'oth[e]r'], mask: deepSort },
      ['FUNCTION', 'LIST', 'LIBRARYNAME', 'nomatch'],
      ['FUNCTION', 'LIST', 'WITHCODE', 'WITHCODE'],
      ['FUNCTION', 'LIST', 'LIBRARYNAME', 'a', 'LIBRARYNAME', 'b'],
      ['FUNCTION', 'LIST', 'LIBRARYNAME'],
      ['FUNCTION', 'LIST', 'WITHCODE', 'LIBRARYNAME'],
      ['FUNCTION', 'LIST', 'bogus'],
      ['FUNCTION', 'STATS'],
      ['FUNCTION', 'STATS', 'x'],
      ['FUNCTION', 'DELETE', 'LIB1'],
      ['FUNCTION', 'DELETE', 'lib1'],
      ['FUNCTION', 'DELETE'],
      ['FUNCTION', 'DELETE', 'a', 'b'],
      ['FUNCTION', 'KILL'],
      ['FUNCTION', 'KILL', 'x'],
      ['FUNCTION', 'FLUSH', 'a', 'b'],
      ['FUNCTION', 'flush', 'x', 'y'],
      ['FUNCTION', 'FLUSH', 'bogus'],
      ['FUNCTION', 'FLUSH', 'ASYNC'],
      ['FUNCTION', 'STATS'],
      load(lib('lib1', reg('f1'))),
      ['FUNCTION', 'FLUSH', 'sync'],
      ['FUNCTION', 'FLUSH'],
      ['FUNCTION', 'LIST'],
      ['FUNCTION', 'DUMP', 'x'],
      ['FUNCTION', 'RESTORE'],
      ['FUNCTION', 'RESTORE', 'a', 'b', 'c'],
      ['FUNCTION', 'restore', 'a', 'b', 'c'],
      ['FUNCTION', 'RESTORE', 'a', 'BOGUS'],
      ['FUNCTION', 'RESTORE', 'a'],
      ['FUNCTION', 'HELP'],
      ['FUNCTION', 'HELP', 'x'],
      ['FUNCTION', 'BOGUS'],
      ['FUNCTION'],
    ]);
  });

  it('FUNCTION STATS and LIST in RESP3', async () => {
    await run(
      [
        load(lib('lib1', `redis.register_function{function_name='f2', callback=function() return 2 end, description='two', flags={'no-writes', 'allow-oom'}}`)),
        ['FUNCTION', 'LIST', 'WITHCODE'],
        ['FUNCTION', 'STATS'],
      ],
      true,
    );
  });

  it('FUNCTION RESTORE policies and payload errors', async () => {
    const a = lib('liba', reg('fa', "'a1'"));
    const a2 = lib('liba', reg('fa', "'a2'"));
    const c = lib('libc', reg('FA', "'c'"));
    const list: Step = { cmd: ['FUNCTION', 'LIST', 'WITHCODE'], mask: deepSort };
    await run([
      ['FUNCTION', 'RESTORE', payload([a])],
      ['FCALL', 'fa', '0'],
      ['FUNCTION', 'RESTORE', payload([a2])],
      ['FUNCTION', 'RESTORE', payload([a2]), 'APPEND'],
      ['FCALL', 'fa', '0'],
      ['FUNCTION', 'RESTORE', payload([a2]), 'replace'],
      ['FCALL', 'fa', '0'],
      ['FUNCTION', 'RESTORE', payload([c])],
      ['FUNCTION', 'RESTORE', payload([c]), 'REPLACE'],
      list,
      ['FUNCTION', 'RESTORE', payload([c]), 'FLUSH'],
      ['FCALL', 'fa', '0'],
      list,
      // Within one payload: a library twice, or two libraries with one function name.
      ['FUNCTION', 'RESTORE', payload([a, a2]), 'FLUSH'],
      ['FUNCTION', 'RESTORE', payload([a, lib('libd', reg('FA'))]), 'FLUSH'],
      list,
      // Payload-level errors; nothing changes.
      ['FUNCTION', 'RESTORE', payload([a], { type: 0 }), 'FLUSH'],
      ['FUNCTION', 'RESTORE', payload([a], { type: 246 }), 'FLUSH'],
      ['FUNCTION', 'RESTORE', payload([a], { preGa: true }), 'FLUSH'],
      ['FUNCTION', 'RESTORE', payload([reg('fa', "'pre'")], { preGa: true }), 'FLUSH'],
      ['FCALL', 'fa', '0'],
      list,
      ['FUNCTION', 'RESTORE', payload([a], { badCrc: true }), 'FLUSH'],
      ['FUNCTION', 'RESTORE', payload([a], { zeroCrc: true }), 'FLUSH'],
      ['FUNCTION', 'RESTORE', payload(['no shebang']), 'FLUSH'],
      ['FUNCTION', 'RESTORE', payload([lib('bad', 'return +')]), 'FLUSH'],
      ['FUNCTION', 'RESTORE', payload([lib('bad', 'x = 1')]), 'FLUSH'],
      ['FUNCTION', 'RESTORE', payload([lib('bad-name', reg('q'))]), 'FLUSH'],
      ['FUNCTION', 'RESTORE', payload([a, lib('bad', 'return +')]), 'FLUSH'],
      ['FUNCTION', 'RESTORE', 'short'],
      ['FUNCTION', 'RESTORE', ''],
      list,
      // An empty payload: FLUSH empties, APPEND keeps.
      ['FUNCTION', 'RESTORE', payload([])],
      list,
      ['FUNCTION', 'RESTORE', payload([]), 'FLUSH'],
      list,
    ]);
  });

  it('each server restores the other one\'s FUNCTION DUMP of several libraries', async () => {
    const a = await RawClient.connect(servers.ls.port);
    const b = await RawClient.connect(servers.rs.port);
    try {
      const codes = [
        lib('one', reg('f1')),
        lib('two', `redis.register_function{function_name='f2', callback=function() return 2 end, description='${'long '.repeat(40)}', flags={'no-writes'}}`),
        lib('three', `-- ${'padding that compresses well '.repeat(20)}\n${reg('f3', "'three'")}`),
      ];
      for (const c of [a, b]) {
        await c.call('FUNCTION', 'FLUSH');
        for (const code of codes) expect((await c.call('FUNCTION', 'LOAD', code)).t).toBe('bulk');
      }
      const da = (await a.call('FUNCTION', 'DUMP')) as { t: 'bulk'; v: string };
      const db = (await b.call('FUNCTION', 'DUMP')) as { t: 'bulk'; v: string };
      expect(da.t).toBe('bulk');
      // Same size as Redis's: the code strings are LZF-compressed the same way.
      expect(da.v.length).toBe(db.v.length);
      const listOf = async (c: RawClient): Promise<string> => show(deepSort(await c.call('FUNCTION', 'LIST', 'WITHCODE')));
      const want = await listOf(b);
      for (const [c, p] of [[a, db.v], [b, da.v]] as const) {
        expect(await c.call('FUNCTION', 'RESTORE', p, 'FLUSH')).toEqual({ t: 'status', v: 'OK' });
        expect(await listOf(c)).toBe(want);
        expect(await c.call('FCALL', 'f3', '0')).toEqual({ t: 'bulk', v: 'three' });
        // APPEND over the same libraries fails on one of them (which one is Redis's dict order).
        expect(show(await c.call('FUNCTION', 'RESTORE', p))).toMatch(/^error\("ERR Library (one|two|three) already exists"\)$/);
      }
    } finally {
      a.close();
      b.close();
    }
  });
});
