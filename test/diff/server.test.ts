// Differential tests for the server / admin family against a real redis-server 7.0: error replies
// and stable outputs (CONFIG GET/SET, COMMAND INFO/DOCS shapes, DBSIZE/FLUSHDB/SWAPDB, CLIENT,
// SLOWLOG, SHUTDOWN argument checks). Outputs that are live by nature (INFO numbers, CLIENT LIST,
// TIME) are covered by test/server-commands.test.ts instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diffScript, Step } from '../helpers/diff.js';
import { RawClient } from '../helpers/raw-client.js';
import { RespValue, show } from '../helpers/resp.js';
import { LodestoneHandle, ProcessHandle, skipReason, startLodestone, startRedis } from '../helpers/servers.js';
import { DocArg, renderHint } from '../../src/commands/docs.js';
import { PARAM_BY_NAME } from '../../src/config/schema.js';

/** Commands of this family that Redis 7.0 has too (CLIENT SETINFO / NO-TOUCH are 7.2). */
const FAMILY = [
  'command', 'info', 'config', 'client', 'slowlog', 'monitor', 'time', 'lastsave', 'dbsize', 'flushdb',
  'flushall', 'swapdb', 'shutdown', 'debug', 'role',
];

type Arr = { t: 'array' | 'set' | 'map'; v: RespValue[] };
const items = (v: RespValue): RespValue[] => (v as Arr).v;
const s = (v: RespValue): string => (v as { v: string }).v;

function mapOf(v: RespValue): Map<string, RespValue> {
  const m = new Map<string, RespValue>();
  const a = items(v);
  for (let i = 0; i < a.length; i += 2) m.set(s(a[i]), a[i + 1]);
  return m;
}

/** A COMMAND DOCS argument map → DocArg (enough for the redis-cli hint rendering). */
function toDocArg(v: RespValue): DocArg {
  const m = mapOf(v);
  const a: DocArg = { name: s(m.get('name')!), type: s(m.get('type')!) as DocArg['type'] };
  if (m.has('token')) a.token = s(m.get('token')!);
  for (const f of m.has('flags') ? items(m.get('flags')!) : []) {
    if (s(f) === 'optional') a.optional = true;
    if (s(f) === 'multiple') a.multiple = true;
    if (s(f) === 'multiple_token') a.multipleToken = true;
  }
  if (m.has('arguments')) a.args = items(m.get('arguments')!).map(toDocArg);
  return a;
}

/** COMMAND INFO entry with subcommands sorted by name (Redis lists them in dict order). */
function normInfo(v: RespValue, withKeySpecs: boolean): string {
  if (v.t !== 'array') return show(v);
  const e = items(v);
  const subs = e[9].t === 'array' ? [...items(e[9])].map((x) => normInfo(x, withKeySpecs)).sort() : [];
  const head = e.slice(0, withKeySpecs ? 9 : 8).map(show);
  return `[${head.join(', ')}, subs{${subs.join(' ; ')}}]`;
}

describe.skipIf(skipReason('server differential tests', 'redis-server'))('server: differential vs redis-server', () => {
  let ls: LodestoneHandle;
  let redis: ProcessHandle;
  let ports: { lodestone: number; redis: number };
  const has = (name: string) => ls.server.table.lookup(name) !== undefined;

  beforeAll(async () => {
    [ls, redis] = await Promise.all([startLodestone(), startRedis()]);
    ports = { lodestone: ls.port, redis: redis.port };
  });
  afterAll(async () => {
    await Promise.all([ls?.close(), redis?.close()]);
  });

  /** Run a command on both servers (fresh connections), return both replies. */
  async function both(...cmd: string[]): Promise<[RespValue, RespValue]> {
    const a = await RawClient.connect(ls.port);
    const b = await RawClient.connect(redis.port);
    try {
      for (const c of [a, b]) await c.call('HELLO', '3');
      return await Promise.all([a.call(...cmd), b.call(...cmd)]);
    } finally {
      a.close();
      b.close();
    }
  }

  describe('CONFIG', () => {
    it('GET of parameters with the same defaults', async () => {
      const params = [
        'maxmemory', 'maxmemory-policy', 'maxmemory-samples', 'timeout', 'tcp-keepalive', 'maxclients',
        'requirepass', 'proto-max-bulk-len', 'client-query-buffer-limit', 'databases', 'loglevel', 'hz',
        'slowlog-log-slower-than', 'slowlog-max-len', 'appendonly', 'appendfsync', 'appendfilename',
        'dbfilename', 'rdbcompression', 'rdbchecksum', 'save', 'auto-aof-rewrite-percentage', 'auto-aof-rewrite-min-size', 'aof-load-truncated',
        'stop-writes-on-bgsave-error', 'lfu-log-factor', 'lfu-decay-time', 'lazyfree-lazy-user-del', 'list-max-listpack-size', 'list-max-ziplist-size',
        'list-compress-depth', 'set-max-intset-entries', 'zset-max-listpack-entries', 'zset-max-listpack-value',
        'zset-max-ziplist-entries', 'zset-max-ziplist-value', 'hash-max-listpack-value', 'hash-max-ziplist-value',
        'stream-node-max-bytes', 'stream-node-max-entries', 'protected-mode', 'MAXMEMORY', 'nosuch',
      ];
      await diffScript(ports, params.map((p) => ['CONFIG', 'GET', p]));
      await diffScript(ports, params.map((p) => ['CONFIG', 'GET', p]), true);
    });

    it('GET with several patterns (compared as maps)', async () => {
      for (const pats of [['maxmemory*'], ['slowlog*', 'hz', 'hz'], ['*fsync', 'zset-max-*-value'], ['MAXMEM*']]) {
        const [a, b] = await both('CONFIG', 'GET', ...pats);
        expect(a.t).toBe(b.t);
        // Redis has parameters Lodestone does not (maxmemory-clients …): compare the common ones.
        const ours = mapOf(a);
        const theirs = [...mapOf(b)].filter(([k]) => PARAM_BY_NAME.has(k));
        expect(Object.fromEntries(ours), pats.join(' ')).toEqual(Object.fromEntries(theirs));
      }
    });

    it('SET errors, in Redis order', async () => {
      const steps: Step[] = [
        ['CONFIG', 'SET', 'databases', '3'],
        ['CONFIG', 'SET', 'nosuch', '1'],
        ['CONFIG', 'SET', 'hz', '10', 'nosuch', '1'],
        ['CONFIG', 'SET', 'databases', '4', 'nosuch', '1'],
        ['CONFIG', 'SET', 'nosuch', '1', 'databases', '4'],
        ['CONFIG', 'SET', 'hz', '10', 'databases', '4'],
        ['CONFIG', 'SET', 'hz', '5', 'hz', '6'],
        ['CONFIG', 'SET', 'maxmemory', '1', 'MAXMEMORY', '2'],
        ['CONFIG', 'SET', 'hz', 'abc'],
        ['CONFIG', 'SET', 'hz', '1.5'],
        ['CONFIG', 'SET', 'maxmemory', 'abc'],
        ['CONFIG', 'SET', 'maxmemory', '-1'],
        ['CONFIG', 'SET', 'appendfsync', 'bogus'],
        ['CONFIG', 'SET', 'maxmemory-policy', 'bogus'],
        ['CONFIG', 'SET', 'protected-mode', 'maybe'],
        ['CONFIG', 'SET', 'timeout', '-1'],
        ['CONFIG', 'SET', 'tcp-keepalive', '-1'],
        ['CONFIG', 'SET', 'maxclients', '0'],
        ['CONFIG', 'SET', 'slowlog-log-slower-than', '-5'],
        ['CONFIG', 'SET', 'maxmemory-samples', '0'],
        ['CONFIG', 'SET', 'save', '1 2 3'],
        ['CONFIG', 'SET', 'save', '0 1'],
        ['CONFIG', 'SET', 'hz'],
        ['CONFIG', 'SET', 'hz', '10', 'maxmemory'],
        ['CONFIG', 'SET'],
        ['CONFIG', 'GET'],
        ['CONFIG', 'RESETSTAT', 'x'],
        ['CONFIG', 'REWRITE', 'x'],
        ['CONFIG', 'HELP', 'x'],
        ['CONFIG', 'NOPE'],
        ['CONFIG'],
        ['CONFIG', 'HELP'],
      ];
      await diffScript(ports, steps);
    });

    it('SET applies all pairs or none, and values read back the same', async () => {
      const steps: Step[] = [
        ['CONFIG', 'SET', 'hz', '20', 'maxmemory', 'lots'],
        ['CONFIG', 'GET', 'hz'],
        ['CONFIG', 'SET', 'maxmemory', '10mb', 'slowlog-max-len', '64'],
        ['CONFIG', 'GET', 'maxmemory'],
        ['CONFIG', 'GET', 'slowlog-max-len'],
        ['CONFIG', 'SET', 'maxmemory', '1gb'],
        ['CONFIG', 'GET', 'maxmemory'],
        ['CONFIG', 'SET', 'maxmemory', '1k'],
        ['CONFIG', 'GET', 'maxmemory'],
        ['CONFIG', 'SET', 'maxmemory-policy', 'ALLKEYS-LRU'],
        ['CONFIG', 'GET', 'maxmemory-policy'],
        ['CONFIG', 'SET', 'appendfsync', 'No'],
        ['CONFIG', 'GET', 'appendfsync'],
        ['CONFIG', 'SET', 'protected-mode', 'no'],
        ['CONFIG', 'GET', 'protected-mode'],
        ['CONFIG', 'SET', 'hz', '501'],
        ['CONFIG', 'GET', 'hz'],
        ['CONFIG', 'SET', 'hz', '0'],
        ['CONFIG', 'GET', 'hz'],
        ['CONFIG', 'SET', 'save', '100 10 20 0'],
        ['CONFIG', 'GET', 'save'],
        ['CONFIG', 'SET', 'save', ''],
        ['CONFIG', 'GET', 'save'],
        // *-max-listpack-* knobs: accepted (no-ops in Lodestone); ziplist names are aliases.
        ['CONFIG', 'SET', 'zset-max-listpack-entries', '99', 'list-max-ziplist-size', '5'],
        ['CONFIG', 'GET', 'zset-max-ziplist-entries'],
        ['CONFIG', 'GET', 'list-max-listpack-size'],
        ['CONFIG', 'SET', 'hash-max-ziplist-value', '33', 'hash-max-listpack-value', '34'],
        ['CONFIG', 'GET', 'hash-max-ziplist-value'],
        ['CONFIG', 'SET', 'slowlog-log-slower-than', '-1'],
        ['CONFIG', 'GET', 'slowlog-log-slower-than'],
        // Back to the defaults.
        [
          'CONFIG', 'SET', 'hz', '10', 'maxmemory', '0', 'slowlog-max-len', '128', 'maxmemory-policy', 'noeviction',
          'appendfsync', 'everysec', 'protected-mode', 'yes', 'zset-max-listpack-entries', '128',
          'list-max-listpack-size', '-2', 'hash-max-listpack-value', '64', 'slowlog-log-slower-than', '10000',
        ],
      ];
      await diffScript(ports, steps);
    });
  });

  describe('COMMAND', () => {
    it('INFO of this family matches Redis (flags, arity, keys, ACL categories, tips, subcommands)', async () => {
      for (const name of FAMILY) {
        const [a, b] = await both('COMMAND', 'INFO', name);
        let ra = items(a)[0];
        const rb = items(b)[0];
        if (name === 'client' && ra.t === 'array') {
          // Compare the subcommands Redis 7.0 has; Lodestone adds the 7.2 SETINFO/NO-TOUCH.
          const redisSubs = new Set(items(items(rb)[9]).map((x) => s(items(x)[0])));
          const e = [...items(ra)];
          e[9] = { t: 'array', v: items(e[9]).filter((x) => redisSubs.has(s(items(x)[0]))) };
          ra = { t: 'array', v: e };
          const rbE = [...items(rb)];
          const ours = new Set(items(e[9]).map((x) => s(items(x)[0])));
          rbE[9] = { t: 'array', v: items(rbE[9]).filter((x) => ours.has(s(items(x)[0]))) };
          expect(normInfo(ra, true), name).toBe(normInfo({ t: 'array', v: rbE }, true));
          continue;
        }
        expect(normInfo(ra, true), name).toBe(normInfo(rb, true));
      }
    });

    it('INFO of get/set matches where those commands exist', async () => {
      // SET's key spec carries Redis's notes/variable_flags, which Lodestone's derived specs lack.
      for (const [name, withKeySpecs] of [['get', true], ['set', false]] as const) {
        if (!has(name)) continue;
        for (const resp3 of [false, true]) {
          const a = await RawClient.connect(ls.port);
          const b = await RawClient.connect(redis.port);
          if (resp3) await Promise.all([a.call('HELLO', '3'), b.call('HELLO', '3')]);
          const [ra, rb] = await Promise.all([a.call('COMMAND', 'INFO', name), b.call('COMMAND', 'INFO', name)]);
          a.close();
          b.close();
          expect(normInfo(items(ra)[0], withKeySpecs), name).toBe(normInfo(items(rb)[0], withKeySpecs));
        }
      }
    });

    it('DOCS of this family: same summary, group, complexity and the same redis-cli hint', async () => {
      const [a, b] = await both('COMMAND', 'DOCS', ...FAMILY);
      const ma = mapOf(a);
      const mb = mapOf(b);
      const flat = (m: Map<string, RespValue>): Map<string, Map<string, RespValue>> => {
        const out = new Map<string, Map<string, RespValue>>();
        for (const [name, doc] of m) {
          const d = mapOf(doc);
          out.set(name, d);
          if (d.has('subcommands')) for (const [sn, sd] of mapOf(d.get('subcommands')!)) out.set(sn, mapOf(sd));
        }
        return out;
      };
      const fa = flat(ma);
      const fb = flat(mb);
      let compared = 0;
      for (const [name, db] of fb) {
        const da = fa.get(name);
        if (!da) continue;
        compared++;
        for (const k of ['summary', 'since', 'group', 'complexity']) {
          expect(da.has(k) ? s(da.get(k)!) : undefined, `${name} ${k}`).toBe(db.has(k) ? s(db.get(k)!) : undefined);
        }
        const hint = (d: Map<string, RespValue>) => renderHint(d.has('arguments') ? items(d.get('arguments')!).map(toDocArg) : []);
        expect(hint(da), `${name} hint`).toBe(hint(db));
      }
      expect(compared).toBeGreaterThan(40);
    });

    it('DOCS argument maps have the same shape as Redis for CONFIG GET/SET, FLUSHALL, CLIENT PAUSE', async () => {
      const [a, b] = await both('COMMAND', 'DOCS', 'flushall', 'client|pause', 'client|no-evict', 'slowlog|get');
      const strip = (v: RespValue): unknown => {
        // Redis names oneofs semantically ("flush-type"); compare everything but those names.
        if (v.t === 'map') {
          const m = mapOf(v);
          const o: Record<string, unknown> = {};
          for (const [k, x] of m) {
            if (k === 'since' || k === 'history' || k === 'doc_flags') continue;
            o[k] = k === 'name' && s(m.get('type')!) !== 'pure-token' && ['oneof', 'block'].includes(s(m.get('type')!)) ? '*' : strip(x);
          }
          return o;
        }
        if (v.t === 'array' || v.t === 'set') return items(v).map(strip);
        return show(v);
      };
      expect(strip(a)).toEqual(strip(b));
    });

    it('errors and stable replies', async () => {
      const steps: Step[] = [
        ['COMMAND', 'FOO'],
        ['COMMAND', 'COUNT', 'x'],
        ['COMMAND', 'HELP'],
        ['COMMAND', 'HELP', 'x'],
        ['COMMAND', 'INFO', 'nope'],
        ['COMMAND', 'INFO', 'nope', 'config|nope'],
        ['COMMAND', 'DOCS', 'nope'],
        ['COMMAND', 'GETKEYS'],
        ['COMMAND', 'GETKEYS', 'x'],
        ['COMMAND', 'GETKEYS', 'nope', 'a'],
        ['COMMAND', 'GETKEYS', 'config', 'get', 'x'],
        ['COMMAND', 'GETKEYS', 'config', 'foo', 'x'],
        ['COMMAND', 'GETKEYS', 'ping', 'x'],
        ['COMMAND', 'GETKEYSANDFLAGS', 'ping', 'x'],
        ['COMMAND', 'LIST', 'x'],
        ['COMMAND', 'LIST', 'FILTERBY'],
        ['COMMAND', 'LIST', 'FILTERBY', 'foo', 'x'],
        ['COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'x', 'y'],
        ['COMMAND', 'LIST', 'FILTERBY', 'MODULE', 'x'],
        ['COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'nope'],
        { cmd: ['COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'config*'], sort: true },
        { cmd: ['COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'SLOWLOG*'], sort: true },
        { cmd: ['COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'c?nfig|[gs]et'], sort: true },
      ];
      if (has('set') && has('mset')) {
        steps.push(
          ['COMMAND', 'GETKEYS', 'set', 'a', 'b', 'c'],
          ['COMMAND', 'GETKEYS', 'set', 'a'],
          ['COMMAND', 'GETKEYS', 'get', 'a'],
          ['COMMAND', 'GETKEYS', 'GET', 'a', 'b'],
          ['COMMAND', 'GETKEYS', 'mset', 'a', 'b', 'c', 'd'],
          ['COMMAND', 'GETKEYSANDFLAGS', 'get', 'a'],
        );
      }
      await diffScript(ports, steps);
      await diffScript(ports, steps.slice(0, 14), true);
    });
  });

  describe('keyspace-wide commands', () => {
    it('DBSIZE, FLUSHDB, FLUSHALL, SWAPDB', async () => {
      const steps: Step[] = [
        ['DBSIZE'],
        ['DBSIZE', 'x'],
        ['FLUSHDB', 'foo'],
        ['FLUSHDB', 'sync', 'x'],
        ['FLUSHDB', 'async'],
        ['FLUSHDB', 'SYNC'],
        ['FLUSHALL', 'foo'],
        ['FLUSHALL', 'ASYNC'],
        ['SWAPDB', '0'],
        ['SWAPDB', 'a', 'b'],
        ['SWAPDB', '0', 'b'],
        ['SWAPDB', '0', '100'],
        ['SWAPDB', '-1', '0'],
        ['SWAPDB', '0', '16'],
        ['SWAPDB', '99999999999', '0'],
        ['SWAPDB', '0', '0'],
        ['SWAPDB', '0', '1'],
      ];
      if (has('set') && has('get')) {
        steps.push(
          ['SET', 'a', '1'],
          ['SET', 'b', '2'],
          ['SELECT', '1'],
          ['SET', 'c', '3'],
          ['DBSIZE'],
          ['SWAPDB', '0', '1'],
          ['DBSIZE'],
          ['GET', 'a'],
          ['SELECT', '0'],
          ['GET', 'c'],
          ['DBSIZE'],
          ['FLUSHDB'],
          ['DBSIZE'],
          ['SELECT', '1'],
          ['DBSIZE'],
          ['FLUSHALL'],
          ['DBSIZE'],
        );
        if (has('watch') && has('multi')) {
          steps.push(
            ['SELECT', '0'],
            ['SET', 'w', '1'],
            ['WATCH', 'w'],
            ['FLUSHALL'],
            ['MULTI'],
            ['PING'],
            ['EXEC'],
            ['WATCH', 'ghost'],
            ['FLUSHDB'],
            ['MULTI'],
            ['PING'],
            ['EXEC'],
            ['WATCH', 'ghost'],
            ['SWAPDB', '0', '1'],
            ['MULTI'],
            ['PING'],
            ['EXEC'],
          );
        }
      }
      await diffScript(ports, steps);
    });
  });

  describe('CLIENT', () => {
    it('argument errors', async () => {
      const steps: Step[] = [
        ['CLIENT', 'SETNAME', 'a b'],
        ['CLIENT', 'SETNAME', 'a\nb'],
        ['CLIENT', 'SETNAME', ''],
        ['CLIENT', 'GETNAME'],
        ['CLIENT', 'SETNAME', 'lodestone-diff'],
        ['CLIENT', 'GETNAME'],
        ['CLIENT', 'GETNAME', 'x'],
        ['CLIENT', 'SETNAME'],
        ['CLIENT', 'ID', 'x'],
        ['CLIENT', 'INFO', 'x'],
        ['CLIENT', 'LIST', 'TYPE', 'foo'],
        ['CLIENT', 'LIST', 'TYPE', 'master'],
        ['CLIENT', 'LIST', 'TYPE', 'replica'],
        ['CLIENT', 'LIST', 'TYPE', 'pubsub'],
        ['CLIENT', 'LIST', 'ID', 'abc'],
        ['CLIENT', 'LIST', 'ID', '999999', '888888'],
        ['CLIENT', 'LIST', 'ID'],
        ['CLIENT', 'LIST', 'foo'],
        ['CLIENT', 'LIST', 'TYPE', 'normal', 'ID', '1'],
        ['CLIENT', 'KILL', '1.2.3.4:5'],
        ['CLIENT', 'KILL', 'ID', '999999'],
        ['CLIENT', 'KILL', 'ID', 'abc'],
        ['CLIENT', 'KILL', 'ID', '0'],
        ['CLIENT', 'KILL', 'foo', 'bar'],
        ['CLIENT', 'KILL', 'SKIPME', 'maybe'],
        ['CLIENT', 'KILL', 'ADDR', '1.2.3.4:5'],
        ['CLIENT', 'KILL', 'LADDR', '1.2.3.4:5'],
        ['CLIENT', 'KILL', 'TYPE', 'foo'],
        ['CLIENT', 'KILL', 'TYPE', 'master'],
        ['CLIENT', 'KILL', 'USER', 'nobody'],
        ['CLIENT', 'KILL', 'ID', '1', 'TYPE'],
        ['CLIENT', 'KILL', 'ID', '999999', 'SKIPME', 'yes'],
        ['CLIENT', 'KILL'],
        ['CLIENT', 'PAUSE'],
        ['CLIENT', 'PAUSE', 'abc'],
        ['CLIENT', 'PAUSE', '-1'],
        ['CLIENT', 'PAUSE', '10', 'foo'],
        ['CLIENT', 'PAUSE', 'abc', 'foo'],
        ['CLIENT', 'PAUSE', '10', 'write', 'extra'],
        ['CLIENT', 'UNPAUSE', 'x'],
        ['CLIENT', 'UNPAUSE'],
        ['CLIENT', 'NO-EVICT', 'maybe'],
        ['CLIENT', 'NO-EVICT', 'on'],
        ['CLIENT', 'NO-EVICT', 'OFF'],
        ['CLIENT', 'NO-EVICT'],
        ['CLIENT', 'UNBLOCK', 'abc'],
        ['CLIENT', 'UNBLOCK', '1', 'foo'],
        ['CLIENT', 'UNBLOCK', '999999'],
        ['CLIENT', 'UNBLOCK', '999999', 'ERROR'],
        ['CLIENT', 'UNBLOCK', '1', 'timeout', 'x'],
        ['CLIENT', 'GETREDIR'],
        ['CLIENT', 'NOPE'],
        ['CLIENT'],
      ];
      await diffScript(ports, steps);
    });
  });

  describe('SLOWLOG, SHUTDOWN, MONITOR and the rest', () => {
    it('errors and stable replies', async () => {
      const steps: Step[] = [
        ['SLOWLOG', 'GET', 'abc'],
        ['SLOWLOG', 'GET', '-2'],
        ['SLOWLOG', 'GET', '1', '2'],
        ['SLOWLOG', 'LEN', 'x'],
        ['SLOWLOG', 'RESET', 'x'],
        ['SLOWLOG', 'FOO'],
        ['SLOWLOG'],
        ['SLOWLOG', 'HELP'],
        ['SLOWLOG', 'RESET'],
        ['SHUTDOWN', 'ABORT'],
        ['SHUTDOWN', 'ABORT', 'NOW'],
        ['SHUTDOWN', 'SAVE', 'NOSAVE'],
        ['SHUTDOWN', 'FOO'],
        ['MULTI'],
        ['SHUTDOWN'],
        ['MONITOR'],
        ['EXEC'],
        ['MONITOR', 'x'],
        ['TIME', 'x'],
        ['LASTSAVE', 'x'],
        ['ROLE', 'x'],
        ['ROLE'],
        ['INFO', 'nosuchsection'],
        ['INFO', 'keyspace'],
        ['INFO', 'cluster'],
        ['INFO', 'modules'],
        ['CONFIG', 'RESETSTAT'],
        ['INFO', 'errorstats'],
        ['NOSUCHCOMMAND'],
        ['CONFIG', 'SET', 'nosuch', 'x'],
        ['INFO', 'ERRORSTATS'],
      ];
      await diffScript(ports, steps);
      await diffScript(
        ports,
        [
          ['INFO', 'cluster'],
          { cmd: ['INFO', 'server'], check: (v) => expect(v.t).toBe('verbatim') },
          { cmd: ['CLIENT', 'INFO'], check: (v) => expect(v.t).toBe('verbatim') },
        ],
        true,
      );
    });
  });
});
