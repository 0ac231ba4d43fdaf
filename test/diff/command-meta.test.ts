// Command metadata against a real redis-server 7.0: COMMAND INFO and COMMAND DOCS of every command
// and subcommand both servers have (RESP2 and RESP3 bytes), COMMAND LIST FILTERBY, and COMMAND
// GETKEYS / GETKEYSANDFLAGS for generated invocations of every command with keys (every arity from
// the minimum up, so range, keynum and keyword specs all run) plus hand-written samples of the
// movable-keys and variable-flags commands (SET … GET, BITFIELD, SORT … STORE, MIGRATE … KEYS,
// GEORADIUS … STORE, XREAD STREAMS, EVAL numkeys …), error replies included.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/raw-client.js';
import { RespValue, show } from '../helpers/resp.js';
import { LodestoneHandle, ProcessHandle, skipReason, startLodestone, startRedis } from '../helpers/servers.js';

type Arr = { t: 'array' | 'set' | 'map'; v: RespValue[] };
const items = (v: RespValue): RespValue[] => (v as Arr).v;
const str = (v: RespValue): string => (v as { v: string }).v;

/** An INFO entry with its subcommand list dropped (element 10); subcommands are compared one by one. */
function infoHead(v: RespValue): string {
  if (v.t !== 'array') return show(v);
  return show({ t: 'array', v: items(v).slice(0, 9) });
}
function subNames(v: RespValue): string[] {
  const e = items(v);
  return e[9].t === 'array' ? items(e[9]).map((x) => str(items(x)[0])) : [];
}
/** A DOCS map entry without its `subcommands` key. */
function docsHead(v: RespValue): string {
  if (v.t !== 'map' && v.t !== 'array') return show(v);
  const a = items(v);
  const out: RespValue[] = [];
  for (let i = 0; i < a.length; i += 2) if (str(a[i]) !== 'subcommands') out.push(a[i], a[i + 1]);
  return show({ t: v.t, v: out });
}

/** Invocations whose keys depend on the arguments (movable keys, variable flags). */
const SAMPLES: string[][] = [
  ['set', 'k', 'v'], ['set', 'k', 'v', 'GET'], ['set', 'k', 'v', 'get'], ['set', 'k', 'v', 'EX', '10', 'GET'],
  ['set', 'k', 'v', 'NX'], ['set', 'k', 'v', 'EX', 'get'],
  ['bitfield', 'k'], ['bitfield', 'k', 'GET', 'u8', '0'], ['bitfield', 'k', 'SET', 'u8', '0', '1'],
  ['bitfield', 'k', 'INCRBY', 'u8', '0', '1'], ['bitfield', 'k', 'OVERFLOW', 'SAT', 'GET', 'u8', '0'],
  ['bitfield', 'k', 'GET', 'u8'], ['bitfield', 'k', 'bogus'], ['bitfield_ro', 'k', 'GET', 'u8', '0'],
  ['sort', 'k'], ['sort', 'k', 'STORE', 'd'], ['sort', 'k', 'BY', 'w_*', 'GET', '#', 'STORE', 'd'],
  ['sort', 'k', 'LIMIT', '0', '10', 'STORE', 'd', 'STORE', 'e'], ['sort', 'k', 'STORE'], ['sort', 'k', 'GET', 'STORE', 'x'],
  ['sort_ro', 'k', 'BY', 'x'],
  ['migrate', 'h', '1', 'k', '0', '10'], ['migrate', 'h', '1', '', '0', '10', 'KEYS', 'a', 'b'],
  ['migrate', 'h', '1', '', '0', '10', 'COPY', 'REPLACE', 'AUTH', 'p', 'KEYS', 'a'],
  ['migrate', 'h', '1', '', '0', '10', 'AUTH2', 'u', 'p', 'KEYS', 'a', 'b', 'c'],
  ['migrate', 'h', '1', 'k', '0', '10', 'KEYS', 'a'],
  ['georadius', 'k', '1', '2', '3', 'm'], ['georadius', 'k', '1', '2', '3', 'm', 'STORE', 'd'],
  ['georadius', 'k', '1', '2', '3', 'm', 'STOREDIST', 'd'], ['georadius', 'k', '1', '2', '3', 'm', 'STORE', 'd', 'STOREDIST', 'e'],
  ['georadius', 'k', '1', '2', '3', 'm', 'STORE'],
  ['georadiusbymember', 'k', 'm', '3', 'km', 'STORE', 'd'], ['georadius_ro', 'k', '1', '2', '3', 'm'],
  ['geosearchstore', 'd', 's', 'FROMMEMBER', 'm', 'BYRADIUS', '1', 'km'],
  ['xread', 'STREAMS', 'a', '0'], ['xread', 'COUNT', '2', 'BLOCK', '0', 'STREAMS', 'a', 'b', '0', '0'],
  ['xread', 'STREAMS', 'a', 'b', '0'], ['xread', 'COUNT', '2', 'a'], ['xread', 'streams', 'streams', 'streams', '0', '0'],
  ['xreadgroup', 'GROUP', 'g', 'c', 'STREAMS', 'a', '>'], ['xreadgroup', 'GROUP', 'g', 'c', 'NOACK', 'STREAMS', 'a', 'b', '>', '>'],
  ['eval', 's', '0'], ['eval', 's', '2', 'a', 'b', 'c'], ['eval', 's', '3', 'a'], ['eval', 's', 'x', 'a'], ['eval', 's', '-1', 'a'],
  ['evalsha', 's', '1', 'a'], ['eval_ro', 's', '1', 'a'], ['evalsha_ro', 's', '1', 'a'],
  ['fcall', 'f', '0'], ['fcall', 'f', '2', 'a', 'b'], ['fcall_ro', 'f', '1', 'a', 'b'],
  ['zunionstore', 'd', '2', 'a', 'b'], ['zunionstore', 'd', '3', 'a', 'b'], ['zunionstore', 'd', '0', 'a'],
  ['zinterstore', 'd', '1', 'a', 'WEIGHTS', '1'], ['zdiffstore', 'd', '2', 'a', 'b'],
  ['zunion', '2', 'a', 'b'], ['zinter', '1', 'a', 'WITHSCORES'], ['zdiff', '2', 'a', 'b'], ['zintercard', '2', 'a', 'b', 'LIMIT', '1'],
  ['zunion', 'x', 'a'], ['sintercard', '2', 'a', 'b'], ['sintercard', '3', 'a', 'b'],
  ['lmpop', '2', 'a', 'b', 'LEFT'], ['lmpop', '1', 'a', 'LEFT', 'COUNT', '2'], ['blmpop', '0', '2', 'a', 'b', 'LEFT'],
  ['zmpop', '1', 'a', 'MIN'], ['bzmpop', '0', '1', 'a', 'MAX'], ['lmpop', '5', 'a', 'LEFT'],
  ['lmove', 's', 'd', 'LEFT', 'RIGHT'], ['blmove', 's', 'd', 'LEFT', 'RIGHT', '0'], ['rpoplpush', 's', 'd'],
  ['copy', 's', 'd'], ['copy', 's', 'd', 'DB', '1'], ['rename', 's', 'd'], ['smove', 's', 'd', 'm'],
  ['mset', 'a', '1', 'b', '2'], ['msetnx', 'a', '1', 'b', '2'], ['mset', 'a', '1', 'b'], ['del', 'a', 'b', 'c'],
  ['object', 'encoding', 'k'], ['memory', 'usage', 'k'], ['memory', 'usage', 'k', 'SAMPLES', '5'],
  ['xinfo', 'stream', 'k'], ['xinfo', 'groups', 'k'], ['xgroup', 'create', 'k', 'g', '$'], ['xgroup', 'destroy', 'k', 'g'],
  ['bitop', 'AND', 'd', 'a', 'b'], ['pfmerge', 'd', 'a', 'b'], ['pfcount', 'a', 'b'],
  ['get'], ['get', 'a', 'b'], ['nosuchcommand', 'a'], ['ping', 'x'], ['config', 'get', 'x'], ['object', 'nosuch', 'k'],
  ['publish', 'c', 'm'], ['spublish', 'c', 'm'], ['ssubscribe', 'c'], ['subscribe', 'c'],
];

describe.skipIf(skipReason('command metadata differential tests', 'redis-server'))('COMMAND metadata: differential vs redis-server', () => {
  let ls: LodestoneHandle;
  let redis: ProcessHandle;
  let a: RawClient;
  let b: RawClient;
  /** Commands (top level) both servers have. */
  let common: string[] = [];
  /** Lodestone's subcommands per container. */
  const lsSubs = new Map<string, string[]>();

  const both = async (...cmd: string[]): Promise<[RespValue, RespValue]> => Promise.all([a.call(...cmd), b.call(...cmd)]);

  beforeAll(async () => {
    [ls, redis] = await Promise.all([startLodestone(), startRedis()]);
    a = await RawClient.connect(ls.port);
    b = await RawClient.connect(redis.port);
    const [la, rb] = await both('COMMAND', 'LIST');
    const rset = new Set(items(rb).map(str));
    common = items(la).map(str).filter((n) => !n.includes('|') && rset.has(n)).sort();
    for (const n of items(la).map(str)) {
      const bar = n.indexOf('|');
      if (bar > 0 && rset.has(n)) {
        const top = n.slice(0, bar);
        lsSubs.set(top, [...(lsSubs.get(top) ?? []), n]);
      }
    }
  });
  afterAll(async () => {
    a?.close();
    b?.close();
    await Promise.all([ls?.close(), redis?.close()]);
  });

  it('covers most of Redis 7.0.15 (sanity: the comparison is not vacuous)', () => {
    expect(common.length).toBeGreaterThan(180);
    expect(common).toContain('lmove');
  });

  for (const resp3 of [false, true]) {
    it(`COMMAND INFO of every command and subcommand both have (${resp3 ? 'RESP3' : 'RESP2'})`, async () => {
      await both('HELLO', resp3 ? '3' : '2');
      const diffs: string[] = [];
      for (const name of common) {
        const [x, y] = await both('COMMAND', 'INFO', name);
        const ex = items(x)[0];
        const ey = items(y)[0];
        if (infoHead(ex) !== infoHead(ey)) diffs.push(`${name}:\n  lodestone ${infoHead(ex)}\n  redis     ${infoHead(ey)}`);
        // Lodestone lists only subcommands it has; each is Redis's.
        const extra = subNames(ex).filter((s) => !subNames(ey).includes(s) && !['client|setinfo', 'client|no-touch'].includes(s));
        if (extra.length) diffs.push(`${name}: subcommands Redis lacks: ${extra}`);
      }
      for (const subs of lsSubs.values()) {
        for (const sub of subs) {
          const [x, y] = await both('COMMAND', 'INFO', sub);
          if (show(x) !== show(y)) diffs.push(`${sub}:\n  lodestone ${show(x)}\n  redis     ${show(y)}`);
        }
      }
      expect(diffs.join('\n')).toBe('');
    });

    it(`COMMAND DOCS of every command and subcommand both have (${resp3 ? 'RESP3' : 'RESP2'})`, async () => {
      await both('HELLO', resp3 ? '3' : '2');
      const diffs: string[] = [];
      for (const name of common) {
        const [x, y] = await both('COMMAND', 'DOCS', name);
        const dx = items(x)[1];
        const dy = items(y)[1];
        if (docsHead(dx) !== docsHead(dy)) diffs.push(`${name}:\n  lodestone ${docsHead(dx)}\n  redis     ${docsHead(dy)}`);
      }
      for (const subs of lsSubs.values()) {
        for (const sub of subs) {
          const [x, y] = await both('COMMAND', 'DOCS', sub);
          if (show(x) !== show(y)) diffs.push(`${sub}:\n  lodestone ${show(x)}\n  redis     ${show(y)}`);
        }
      }
      expect(diffs.join('\n')).toBe('');
    });
  }

  it('COMMAND INFO / DOCS with several names, unknown names and a container|sub name', async () => {
    await both('HELLO', '2');
    for (const cmd of [
      ['COMMAND', 'INFO', 'get', 'nosuch', 'SET'],
      ['COMMAND', 'INFO', 'config|get'],
      ['COMMAND', 'INFO', 'config|nosuch'],
      ['COMMAND', 'DOCS', 'get', 'nosuch', 'lmove'],
      ['COMMAND', 'DOCS', 'nosuch'],
      ['COMMAND', 'DOCS', 'CONFIG|SET'],
      ['COMMAND', 'COUNT', 'x'],
      ['COMMAND', 'GETKEYS'],
      ['COMMAND', 'LIST', 'FILTERBY'],
      ['COMMAND', 'LIST', 'FILTERBY', 'ACLCAT'],
      ['COMMAND', 'LIST', 'FILTERBY', 'BOGUS', 'x'],
      ['COMMAND', 'LIST', 'FILTERBY', 'MODULE', 'x'],
      ['COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'nosuchcat'],
      ['COMMAND', 'NOSUCH'],
    ]) {
      const [x, y] = await both(...cmd);
      expect(show(x), cmd.join(' ')).toBe(show(y));
    }
  });

  it('COMMAND LIST FILTERBY ACLCAT / PATTERN: Lodestone lists what Redis lists, minus what it lacks', async () => {
    const [cats] = await both('ACL', 'CAT');
    const lsAll = new Set(items((await a.call('COMMAND', 'LIST'))).map(str));
    const rsAll = new Set(items((await b.call('COMMAND', 'LIST'))).map(str));
    const filters = [...items(cats).map((c) => ['ACLCAT', str(c)]), ['PATTERN', 'x*'], ['PATTERN', 'CONFIG|*'], ['PATTERN', '*get*']];
    for (const f of filters) {
      const [x, y] = await both('COMMAND', 'LIST', 'FILTERBY', ...f);
      const got = items(x).map(str).filter((n) => rsAll.has(n)).sort();
      const want = items(y).map(str).filter((n) => lsAll.has(n)).sort();
      expect(got, f.join(' ')).toEqual(want);
    }
  });

  it('COMMAND GETKEYS / GETKEYSANDFLAGS for every command with keys, at several argument counts', async () => {
    await both('HELLO', '2');
    const [infos] = await both('COMMAND', 'INFO', ...common);
    const calls: string[][] = [];
    const addFor = (entry: RespValue, prefix: string[]): void => {
      const e = items(entry);
      const arity = Number(str(e[1]));
      const hasSpecs = items(e[8]).length > 0;
      if (hasSpecs) {
        const min = Math.abs(arity);
        for (let n = Math.max(min - 1, prefix.length + 1); n <= min + 4; n++) {
          if (arity > 0 && n > min + 1) break;
          const argv = [...prefix];
          for (let i = argv.length; i < n; i++) argv.push(`x${i}`);
          calls.push(argv);
        }
      }
    };
    for (const entry of items(infos)) {
      const name = str(items(entry)[0]);
      addFor(entry, [name]);
      for (const sub of lsSubs.get(name) ?? []) {
        const [si] = items(await b.call('COMMAND', 'INFO', sub));
        addFor(si, sub.split('|'));
      }
    }
    calls.push(...SAMPLES);
    expect(calls.length).toBeGreaterThan(400);
    const diffs: string[] = [];
    for (const argv of calls) {
      for (const sub of ['GETKEYS', 'GETKEYSANDFLAGS']) {
        if (!ls.server.table.lookup(argv[0]) && argv[0] !== 'nosuchcommand') continue;
        const [x, y] = await both('COMMAND', sub, ...argv);
        if (show(x) !== show(y)) diffs.push(`COMMAND ${sub} ${argv.join(' ')}:\n  lodestone ${show(x)}\n  redis     ${show(y)}`);
      }
    }
    expect(diffs.join('\n')).toBe('');
  });

  it('Lodestone-only commands keep their own key positions (WASM.CALL KEYS …)', async () => {
    await a.call('HELLO', '2');
    expect(show(await a.call('COMMAND', 'GETKEYS', 'wasm.call', 'f', 'KEYS', 'a', 'b', 'ARGS', 'x'))).toBe('array[bulk("a"), bulk("b")]');
    expect(show(await a.call('COMMAND', 'GETKEYSANDFLAGS', 'wasm.call_ro', 'f', 'KEYS', 'a'))).toBe(
      'array[array[bulk("a"), array[status("RO"), status("access")]]]',
    );
    expect(show(await a.call('COMMAND', 'GETKEYS', 'wasm.call', 'f'))).toBe('error("ERR Invalid arguments specified for command")');
  });

  it('GETKEYSANDFLAGS reports the access Redis reports: LMOVE source RW access delete, SET OW update', async () => {
    await a.call('HELLO', '2');
    const r = await a.call('COMMAND', 'GETKEYSANDFLAGS', 'lmove', 's', 'd', 'LEFT', 'RIGHT');
    expect(show(r)).toBe(
      'array[array[bulk("s"), array[status("RW"), status("access"), status("delete")]], array[bulk("d"), array[status("RW"), status("insert")]]]',
    );
    const s = await a.call('COMMAND', 'GETKEYSANDFLAGS', 'set', 'k', 'v');
    expect(show(s)).toBe('array[array[bulk("k"), array[status("OW"), status("update")]]]');
  });
});
