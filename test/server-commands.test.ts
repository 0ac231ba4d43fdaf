// Server / admin commands over a real socket: CONFIG, CLIENT, SLOWLOG, MONITOR, INFO, FLUSHALL,
// SWAPDB, COMMAND, SHUTDOWN — the behaviour the differential suite cannot check (pausing, other
// connections, live statistics, process state).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from './helpers/raw-client.js';
import type { RespValue } from './helpers/resp.js';
import { LodestoneHandle, startLodestone } from './helpers/servers.js';

let ls: LodestoneHandle;
beforeAll(async () => {
  // DEBUG SLEEP / OBJECT are tested here: DEBUG is refused unless enable-debug-command allows it.
  ls = await startLodestone({ 'enable-debug-command': 'yes' });
});
afterAll(async () => {
  await ls.close();
});

const bulk = (v: string): RespValue => ({ t: 'bulk', v });
const status = (v: string): RespValue => ({ t: 'status', v });
const int = (n: number): RespValue => ({ t: 'int', v: String(n) });
const err = (v: string): RespValue => ({ t: 'error', v });

/** A flat key/value array or map reply → object. */
function pairs(r: RespValue): Record<string, string> {
  if (r.t !== 'array' && r.t !== 'map') throw new Error(`expected pairs, got ${r.t}`);
  const o: Record<string, string> = {};
  for (let i = 0; i < r.v.length; i += 2) o[(r.v[i] as { v: string }).v] = (r.v[i + 1] as { v: string }).v;
  return o;
}

function text(r: RespValue): string {
  if (r.t !== 'bulk' && r.t !== 'verbatim') throw new Error(`expected text, got ${JSON.stringify(r)}`);
  return r.v;
}

/** INFO text → field map. */
function infoFields(s: string): Record<string, string> {
  const o: Record<string, string> = {};
  for (const line of s.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) o[line.slice(0, i)] = line.slice(i + 1);
  }
  return o;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function connect(): Promise<RawClient> {
  return RawClient.connect(ls.port);
}

describe('CONFIG', () => {
  it('round-trips GET and SET, several pairs at once, patterns', async () => {
    const c = await connect();
    expect(await c.call('CONFIG', 'SET', 'maxmemory', '10mb', 'slowlog-max-len', '64')).toEqual(status('OK'));
    expect(pairs(await c.call('CONFIG', 'GET', 'maxmemory', 'slowlog-max-len'))).toEqual({
      maxmemory: '10485760',
      'slowlog-max-len': '64',
    });
    expect(pairs(await c.call('CONFIG', 'GET', 'maxmemory*'))).toEqual({
      maxmemory: '10485760',
      'maxmemory-policy': 'noeviction',
      'maxmemory-samples': '5',
    });
    // Exact names are case-insensitive and echoed as given (like Redis); duplicates are reported once.
    expect(pairs(await c.call('CONFIG', 'GET', 'MAXMEMORY', 'maxmemory'))).toEqual({ MAXMEMORY: '10485760' });
    expect(await c.call('CONFIG', 'GET', 'nope')).toEqual({ t: 'array', v: [] });
    expect(await c.call('CONFIG', 'SET', 'maxmemory', '0', 'slowlog-max-len', '128')).toEqual(status('OK'));
    // Booleans and enums.
    expect(await c.call('CONFIG', 'SET', 'appendfsync', 'ALWAYS')).toEqual(status('OK'));
    expect(pairs(await c.call('CONFIG', 'GET', 'appendfsync'))).toEqual({ appendfsync: 'always' });
    expect(await c.call('CONFIG', 'SET', 'appendfsync', 'everysec')).toEqual(status('OK'));
    expect(pairs(await c.call('CONFIG', 'GET', 'protected-mode'))).toEqual({ 'protected-mode': 'yes' });
    c.close();
  });

  it('reaches every parameter of the schema', async () => {
    const c = await connect();
    const all = pairs(await c.call('CONFIG', 'GET', '*'));
    const { PARAMS } = await import('../src/config/schema.js');
    // Hidden parameters (`user`: ACL users with their passwords) are not listed, as in Redis.
    const shown = PARAMS.filter((p) => !p.hidden);
    for (const p of shown) expect(all, p.name).toHaveProperty([p.name]);
    expect(Object.keys(all).length).toBe(shown.length);
    c.close();
  });

  it('accepts the *-max-listpack-* knobs as no-ops, keeping ziplist aliases in step', async () => {
    const c = await connect();
    expect(await c.call('CONFIG', 'SET', 'hash-max-listpack-entries', '256', 'zset-max-listpack-value', '32')).toEqual(status('OK'));
    expect(pairs(await c.call('CONFIG', 'GET', 'hash-max-*-entries', 'zset-max-listpack-value'))).toEqual({
      'hash-max-listpack-entries': '256',
      'hash-max-ziplist-entries': '256',
      'zset-max-listpack-value': '32',
    });
    expect(await c.call('CONFIG', 'SET', 'set-max-listpack-entries', '7')).toEqual(status('OK'));
    expect(pairs(await c.call('CONFIG', 'GET', 'set-max-listpack-entries'))).toEqual({ 'set-max-listpack-entries': '7' });
    c.close();
  });

  it('rejects immutable, unknown, duplicate and ill-typed parameters with Redis text, atomically', async () => {
    const c = await connect();
    expect(await c.call('CONFIG', 'SET', 'databases', '4')).toEqual(
      err("ERR CONFIG SET failed (possibly related to argument 'databases') - can't set immutable config"),
    );
    expect(await c.call('CONFIG', 'SET', 'nope', '1')).toEqual(err("ERR Unknown option or number of arguments for CONFIG SET - 'nope'"));
    expect(await c.call('CONFIG', 'SET', 'hz', '5', 'HZ', '6')).toEqual(
      err("ERR CONFIG SET failed (possibly related to argument 'HZ') - duplicate parameter"),
    );
    expect(await c.call('CONFIG', 'SET', 'hz', '20', 'maxmemory', 'lots')).toEqual(
      err("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"),
    );
    // Nothing was applied: hz is still the default.
    expect(pairs(await c.call('CONFIG', 'GET', 'hz'))).toEqual({ hz: '10' });
    expect(await c.call('CONFIG', 'SET', 'timeout', '-1')).toEqual(
      err("ERR CONFIG SET failed (possibly related to argument 'timeout') - argument must be between 0 and 2147483647 inclusive"),
    );
    expect(await c.call('CONFIG', 'SET', 'hz', '10', 'port')).toEqual(err('ERR syntax error'));
    expect(await c.call('CONFIG', 'GET')).toEqual(err("ERR wrong number of arguments for 'config|get' command"));
    // hz is clamped like Redis does.
    expect(await c.call('CONFIG', 'SET', 'hz', '1000')).toEqual(status('OK'));
    expect(pairs(await c.call('CONFIG', 'GET', 'hz'))).toEqual({ hz: '500' });
    expect(await c.call('CONFIG', 'SET', 'hz', '10')).toEqual(status('OK'));
    expect(await c.call('CONFIG', 'REWRITE')).toEqual(err('ERR The server is running without a config file'));
    c.close();
  });

  it('answers a map in RESP3', async () => {
    const c = await connect();
    await c.call('HELLO', '3');
    expect(await c.call('CONFIG', 'GET', 'maxmemory')).toEqual({ t: 'map', v: [bulk('maxmemory'), bulk('0')] });
    c.close();
  });

  it('RESETSTAT clears command and error statistics', async () => {
    const c = await connect();
    await c.call('PING');
    await c.call('NOPE');
    let info = infoFields(text(await c.call('INFO', 'all')));
    expect(info.cmdstat_ping).toMatch(/^calls=\d+,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0$/);
    expect(Number(info.total_error_replies)).toBeGreaterThan(0);
    expect(await c.call('CONFIG', 'RESETSTAT')).toEqual(status('OK'));
    info = infoFields(text(await c.call('INFO', 'all')));
    expect(info.cmdstat_ping).toBeUndefined();
    expect(info.errorstat_ERR).toBeUndefined();
    expect(info.total_error_replies).toBe('0');
    expect(info.cmdstat_info).toBeUndefined(); // INFO counts itself only after it has run
    c.close();
  });
});

describe('CLIENT', () => {
  it('ID, SETNAME, GETNAME, INFO and LIST', async () => {
    const a = await connect();
    const b = await connect();
    const idA = await a.call('CLIENT', 'ID');
    expect(idA.t).toBe('int');
    expect(await a.call('CLIENT', 'GETNAME')).toEqual({ t: 'nullbulk' });
    expect(await a.call('CLIENT', 'SETNAME', 'alpha')).toEqual(status('OK'));
    expect(await a.call('CLIENT', 'GETNAME')).toEqual(bulk('alpha'));
    expect(await a.call('CLIENT', 'SETNAME', 'a b')).toEqual(
      err('ERR Client names cannot contain spaces, newlines or special characters.'),
    );
    const list = text(await b.call('CLIENT', 'LIST'));
    const lines = list.split('\n').filter(Boolean);
    expect(list.endsWith('\n')).toBe(true);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    const line =
      /^id=\d+ addr=\S+:\d+ laddr=\S+:\d+ fd=-?\d+ name=\S* age=\d+ idle=\d+ flags=\w+ db=\d+ sub=\d+ psub=\d+ ssub=0 multi=-?\d+ qbuf=\d+ qbuf-free=\d+ argv-mem=\d+ multi-mem=\d+ rbs=\d+ rbp=\d+ obl=\d+ oll=0 omem=0 tot-mem=\d+ events=rw? cmd=\S+ user=default redir=-1 resp=[23]$/;
    for (const l of lines) expect(l).toMatch(line);
    const mine = lines.find((l) => l.includes(`id=${(idA as { v: string }).v} `))!;
    expect(mine).toContain(' name=alpha ');
    expect(mine).toContain(' cmd=client|setname ');
    const own = lines.find((l) => l.includes(' cmd=client|list '))!;
    expect(own).toContain(' argv-mem=10 ');
    const info = text(await a.call('CLIENT', 'INFO'));
    expect(info).toMatch(new RegExp(line.source.slice(0, -1) + '\\n$'));
    expect(info).toContain(' cmd=client|info ');
    // Filters.
    const byId = text(await b.call('CLIENT', 'LIST', 'ID', (idA as { v: string }).v, '999999'));
    expect(byId.split('\n').filter(Boolean)).toHaveLength(1);
    expect(byId).toContain('name=alpha');
    expect(text(await b.call('CLIENT', 'LIST', 'TYPE', 'normal')).split('\n').filter(Boolean).length).toBeGreaterThanOrEqual(2);
    expect(await b.call('CLIENT', 'LIST', 'TYPE', 'pubsub')).toEqual(bulk(''));
    expect(await b.call('CLIENT', 'LIST', 'TYPE', 'foo')).toEqual(err("ERR Unknown client type 'foo'"));
    expect(await b.call('CLIENT', 'LIST', 'ID', 'x')).toEqual(err('ERR Invalid client ID'));
    expect(await b.call('CLIENT', 'LIST', 'foo')).toEqual(err('ERR syntax error'));
    // RESP3: verbatim.
    await b.call('HELLO', '3');
    expect((await b.call('CLIENT', 'INFO')).t).toBe('verbatim');
    a.close();
    b.close();
  });

  it('shows MULTI and pub/sub state in flags', async () => {
    const a = await connect();
    const b = await connect();
    const id = (await a.call('CLIENT', 'ID')) as { v: string };
    await a.call('MULTI');
    await a.call('PING');
    let l = text(await b.call('CLIENT', 'LIST', 'ID', id.v));
    expect(l).toContain(' flags=x ');
    expect(l).toContain(' multi=1 ');
    await a.call('DISCARD');
    await a.call('SUBSCRIBE', 'ch');
    l = text(await b.call('CLIENT', 'LIST', 'ID', id.v));
    expect(l).toContain(' flags=P ');
    expect(l).toContain(' sub=1 ');
    expect(text(await b.call('CLIENT', 'LIST', 'TYPE', 'pubsub'))).toContain(`id=${id.v} `);
    a.close();
    b.close();
  });

  it('KILL by ID, by ADDR, old form, SKIPME', async () => {
    const a = await connect();
    const b = await connect();
    const idB = (await b.call('CLIENT', 'ID')) as { v: string };
    expect(await a.call('CLIENT', 'KILL', 'ID', idB.v)).toEqual(int(1));
    await b.waitClose();
    expect(text(await a.call('CLIENT', 'LIST'))).not.toContain(`id=${idB.v} `);
    expect(await a.call('CLIENT', 'KILL', 'ID', '999999')).toEqual(int(0));
    expect(await a.call('CLIENT', 'KILL', 'ID', 'abc')).toEqual(err('ERR client-id should be greater than 0'));
    expect(await a.call('CLIENT', 'KILL', 'TYPE', 'foo')).toEqual(err("ERR Unknown client type 'foo'"));
    expect(await a.call('CLIENT', 'KILL', 'SKIPME', 'maybe')).toEqual(err('ERR syntax error'));
    expect(await a.call('CLIENT', 'KILL', '1.2.3.4:5')).toEqual(err('ERR No such client'));
    // Old form with the address of another client.
    const c = await connect();
    const addrC = /addr=(\S+)/.exec(text(await c.call('CLIENT', 'INFO')))![1];
    expect(await a.call('CLIENT', 'KILL', addrC)).toEqual(status('OK'));
    await c.waitClose();
    // ADDR form; SKIPME yes (default) protects the caller, SKIPME no kills it after the reply.
    const myAddr = /addr=(\S+)/.exec(text(await a.call('CLIENT', 'INFO')))![1];
    expect(await a.call('CLIENT', 'KILL', 'ADDR', myAddr)).toEqual(int(0));
    expect(await a.call('CLIENT', 'KILL', 'ADDR', myAddr, 'SKIPME', 'no')).toEqual(int(1));
    await a.waitClose();
  });

  it('PAUSE WRITE delays writes until UNPAUSE while reads proceed', async () => {
    const admin = await connect();
    const w = await connect();
    expect(await w.call('SET', 'pk', 'v1')).toEqual(status('OK'));
    expect(await admin.call('CLIENT', 'PAUSE', '10000', 'WRITE')).toEqual(status('OK'));
    expect(await w.call('GET', 'pk')).toEqual(bulk('v1'));
    let done = false;
    const pending = w.call('SET', 'pk', 'v2').then((r) => {
      done = true;
      return r;
    });
    await sleep(150);
    expect(done).toBe(false);
    // Another client's read still runs while the write waits.
    expect(await admin.call('GET', 'pk')).toEqual(bulk('v1'));
    expect(await admin.call('CLIENT', 'UNPAUSE')).toEqual(status('OK'));
    expect(await pending).toEqual(status('OK'));
    expect(await admin.call('GET', 'pk')).toEqual(bulk('v2'));
    admin.close();
    w.close();
  });

  it('PAUSE ALL delays reads too, and expires by itself', async () => {
    const admin = await connect();
    const r = await connect();
    expect(await admin.call('CLIENT', 'PAUSE', '200')).toEqual(status('OK'));
    const t0 = Date.now();
    expect(await r.call('PING')).toEqual(status('PONG'));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(150);
    expect(await admin.call('CLIENT', 'PAUSE', 'abc')).toEqual(err('ERR timeout is not an integer or out of range'));
    expect(await admin.call('CLIENT', 'PAUSE', '-1')).toEqual(err('ERR timeout is negative'));
    expect(await admin.call('CLIENT', 'PAUSE', '10', 'foo')).toEqual(err('ERR CLIENT PAUSE mode must be WRITE or ALL'));
    admin.close();
    r.close();
  });

  it('SETINFO, NO-EVICT, NO-TOUCH, GETREDIR, HELP', async () => {
    const c = await connect();
    expect(await c.call('CLIENT', 'SETINFO', 'LIB-NAME', 'node-redis')).toEqual(status('OK'));
    expect(await c.call('CLIENT', 'SETINFO', 'lib-ver', '5.0.0')).toEqual(status('OK'));
    expect(await c.call('CLIENT', 'SETINFO', 'foo', 'x')).toEqual(err("ERR Unrecognized option 'foo'"));
    expect(await c.call('CLIENT', 'SETINFO', 'lib-name', 'a b')).toEqual(
      err('ERR lib-name cannot contain spaces, newlines or special characters.'),
    );
    expect(await c.call('CLIENT', 'NO-EVICT', 'on')).toEqual(status('OK'));
    expect(await c.call('CLIENT', 'NO-TOUCH', 'on')).toEqual(status('OK'));
    expect(text(await c.call('CLIENT', 'INFO'))).toContain(' flags=eT ');
    expect(await c.call('CLIENT', 'NO-EVICT', 'maybe')).toEqual(err('ERR syntax error'));
    expect(await c.call('CLIENT', 'GETREDIR')).toEqual(int(-1));
    const help = await c.call('CLIENT', 'HELP');
    expect(help.t).toBe('array');
    expect((help as { v: RespValue[] }).v[0]).toEqual(status('CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:'));
    expect(await c.call('CLIENT', 'NOPE')).toEqual(err("ERR unknown subcommand 'NOPE'. Try CLIENT HELP."));
    c.close();
  });

  it('UNBLOCK releases a blocked client with its timeout reply or an error', async () => {
    if (!ls.server.table.lookup('blpop')) return; // lists not registered in this build
    const a = await connect();
    const b = await connect();
    const idB = (await b.call('CLIENT', 'ID')) as { v: string };
    const blocked = b.call('BLPOP', 'nolist', '0');
    await sleep(50);
    expect(await a.call('CLIENT', 'UNBLOCK', idB.v)).toEqual(int(1));
    expect(await blocked).toEqual({ t: 'nullarray' });
    const blocked2 = b.call('BLPOP', 'nolist', '0');
    await sleep(50);
    expect(await a.call('CLIENT', 'UNBLOCK', idB.v, 'ERROR')).toEqual(int(1));
    expect(await blocked2).toEqual(err('UNBLOCKED client unblocked via CLIENT UNBLOCK'));
    expect(await a.call('CLIENT', 'UNBLOCK', idB.v)).toEqual(int(0));
    a.close();
    b.close();
  });
});

describe('SLOWLOG', () => {
  it('records every command with slowlog-log-slower-than 0', async () => {
    const c = await connect();
    await c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '0');
    expect(await c.call('SLOWLOG', 'RESET')).toEqual(status('OK'));
    await c.call('CLIENT', 'SETNAME', 'slowpoke');
    await c.call('ECHO', 'hello');
    const r = await c.call('SLOWLOG', 'GET');
    expect(r.t).toBe('array');
    const entries = (r as { v: RespValue[] }).v;
    // Newest first: ECHO, CLIENT SETNAME, SLOWLOG RESET (RESET is logged after it ran).
    expect(entries.length).toBe(3);
    const [id, time, usec, args, addr, name] = (entries[0] as { v: RespValue[] }).v;
    expect(id.t).toBe('int');
    expect(Math.abs(Number((time as { v: string }).v) - Date.now() / 1000)).toBeLessThan(5);
    expect(usec.t).toBe('int');
    expect(args).toEqual({ t: 'array', v: [bulk('ECHO'), bulk('hello')] });
    expect((addr as { v: string }).v).toMatch(/:\d+$/);
    expect(name).toEqual(bulk('slowpoke'));
    expect(Number((id as { v: string }).v)).toBeGreaterThan(Number(((entries[1] as { v: RespValue[] }).v[0] as { v: string }).v));
    expect(await c.call('SLOWLOG', 'LEN')).toEqual(int(4));
    expect(((await c.call('SLOWLOG', 'GET', '1')) as { v: RespValue[] }).v).toHaveLength(1);
    expect(((await c.call('SLOWLOG', 'GET', '-1')) as { v: RespValue[] }).v.length).toBeGreaterThanOrEqual(5);
    expect(await c.call('SLOWLOG', 'GET', '-2')).toEqual(err('ERR count should be greater than or equal to -1'));
    await c.call('CONFIG', 'SET', 'slowlog-log-slower-than', '10000');
    expect(await c.call('SLOWLOG', 'RESET')).toEqual(status('OK'));
    expect(await c.call('SLOWLOG', 'LEN')).toEqual(int(0));
    c.close();
  });

  it('catches a genuinely slow command (DEBUG SLEEP)', async () => {
    const c = await connect();
    await c.call('SLOWLOG', 'RESET');
    expect(await c.call('DEBUG', 'SLEEP', '0.03')).toEqual(status('OK'));
    const entries = ((await c.call('SLOWLOG', 'GET')) as { v: RespValue[] }).v;
    expect(entries).toHaveLength(1);
    const e = (entries[0] as { v: RespValue[] }).v;
    expect(Number((e[2] as { v: string }).v)).toBeGreaterThanOrEqual(25000);
    c.close();
  });
});

describe('MONITOR', () => {
  it("streams another client's commands", async () => {
    const m = await connect();
    const c = await connect();
    expect(await m.call('MONITOR')).toEqual(status('OK'));
    await c.call('SELECT', '2');
    await c.call('ECHO', 'a b"c');
    const l1 = await m.read();
    const l2 = await m.read();
    expect(l1.t).toBe('status');
    expect((l1 as { v: string }).v).toMatch(/^\d+\.\d{6} \[2 127\.0\.0\.1:\d+\] "SELECT" "2"$/); // after the switch, like Redis 7
    expect((l2 as { v: string }).v).toMatch(/^\d+\.\d{6} \[2 127\.0\.0\.1:\d+\] "ECHO" "a b\\"c"$/);
    expect(text(await c.call('CLIENT', 'LIST'))).toMatch(/flags=O /);
    m.close();
    c.close();
  });
});

describe('INFO', () => {
  it('has the fields tools read, in Redis format', async () => {
    const c = await connect();
    await c.call('SELECT', '0');
    await c.call('SET', 'info:k', 'v');
    await c.call('NOPE');
    const raw = text(await c.call('INFO'));
    expect(raw.startsWith('# Server\r\nredis_version:7.0.15\r\n')).toBe(true);
    expect(raw.endsWith('\r\n')).toBe(true);
    expect(raw).toContain('\r\n\r\n# Clients\r\n');
    const f = infoFields(raw);
    for (const k of [
      'redis_version', 'redis_mode', 'os', 'arch_bits', 'process_id', 'tcp_port', 'uptime_in_seconds', 'run_id',
      'connected_clients', 'blocked_clients', 'used_memory', 'used_memory_human', 'used_memory_rss', 'maxmemory',
      'total_connections_received', 'total_commands_processed', 'instantaneous_ops_per_sec', 'keyspace_hits',
      'keyspace_misses', 'expired_keys', 'rejected_connections', 'role', 'connected_slaves', 'used_cpu_sys',
      'rdb_changes_since_last_save', 'aof_enabled', 'total_net_input_bytes', 'total_net_output_bytes',
      'errorstat_ERR', 'cluster_enabled', 'db0',
    ]) {
      expect(f, k).toHaveProperty([k]);
    }
    expect(f.redis_mode).toBe('standalone');
    expect(f.role).toBe('master');
    expect(f.connected_slaves).toBe('0');
    expect(f.tcp_port).toBe(String(ls.port));
    expect(f.process_id).toBe(String(process.pid));
    expect(f.used_memory_human).toMatch(/^\d+(\.\d\d[KMGTP])?B?$/);
    expect(Number(f.used_memory)).toBeGreaterThan(0);
    expect(f.run_id).toMatch(/^[0-9a-f]{40}$/);
    expect(f.db0).toMatch(/^keys=\d+,expires=\d+,avg_ttl=\d+$/);
    expect(f.errorstat_ERR).toMatch(/^count=\d+$/);
    expect(f.cmdstat_set).toBeUndefined(); // commandstats is not a default section
    expect(Number(f.total_net_output_bytes)).toBeGreaterThan(0);
    c.close();
  });

  it('selects sections, in Redis order, case-insensitively', async () => {
    const c = await connect();
    const r = text(await c.call('INFO', 'cpu', 'CLIENTS'));
    expect(r.match(/^# \w+/gm)).toEqual(['# Clients', '# CPU']);
    expect(text(await c.call('INFO', 'commandstats'))).toMatch(/^# Commandstats\r\n(cmdstat_[^:]+:calls=\d+,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=\d+,failed_calls=\d+\r\n)+$/);
    const all = text(await c.call('INFO', 'everything'));
    expect(all.match(/^# \w+/gm)).toEqual([
      '# Server', '# Clients', '# Memory', '# Persistence', '# Stats', '# Replication', '# CPU', '# Modules',
      '# Commandstats', '# Errorstats', '# Cluster', '# Keyspace', '# Wasm',
    ]);
    expect(await c.call('INFO', 'nosuchsection')).toEqual(bulk(''));
    await c.call('HELLO', '3');
    expect((await c.call('INFO', 'server')).t).toBe('verbatim');
    c.close();
  });

  it('counts connections, hits, misses and samples ops/sec', async () => {
    const c = await connect();
    await c.call('CONFIG', 'RESETSTAT');
    await c.call('SET', 'hm', '1');
    await c.call('GET', 'hm');
    await c.call('GET', 'missing');
    const f = infoFields(text(await c.call('INFO', 'stats')));
    expect(f.keyspace_hits).toBe('1');
    expect(f.keyspace_misses).toBe('1');
    expect(f.total_commands_processed).toBe('4');
    // Drive some load and let serverCron sample it.
    const burst = async () => {
      for (let i = 0; i < 20; i++) await Promise.all(Array.from({ length: 50 }, () => c.call('PING')));
    };
    await burst();
    await sleep(250);
    await burst();
    await sleep(150);
    const g = infoFields(text(await c.call('INFO', 'stats')));
    expect(Number(g.instantaneous_ops_per_sec)).toBeGreaterThan(0);
    c.close();
  });
});

describe('keyspace-wide commands', () => {
  it('DBSIZE, FLUSHDB, FLUSHALL, SWAPDB', async () => {
    const c = await connect();
    await c.call('FLUSHALL');
    await c.call('SET', 'a', '1');
    await c.call('SET', 'b', '2');
    await c.call('SELECT', '1');
    await c.call('SET', 'c', '3');
    expect(await c.call('DBSIZE')).toEqual(int(1));
    expect(await c.call('SWAPDB', '0', '1')).toEqual(status('OK'));
    expect(await c.call('DBSIZE')).toEqual(int(2));
    expect(await c.call('GET', 'a')).toEqual(bulk('1'));
    expect(await c.call('SWAPDB', '0', '99')).toEqual(err('ERR DB index is out of range'));
    expect(await c.call('SWAPDB', 'x', '1')).toEqual(err('ERR invalid first DB index'));
    expect(await c.call('FLUSHDB', 'ASYNC')).toEqual(status('OK'));
    expect(await c.call('DBSIZE')).toEqual(int(0));
    await c.call('SELECT', '0');
    expect(await c.call('DBSIZE')).toEqual(int(1));
    expect(await c.call('FLUSHALL', 'SYNC')).toEqual(status('OK'));
    expect(await c.call('DBSIZE')).toEqual(int(0));
    expect(await c.call('FLUSHALL', 'LATER')).toEqual(err('ERR syntax error'));
    c.close();
  });

  it('FLUSHALL and SWAPDB fail the transactions of clients WATCHing existing keys', async () => {
    const a = await connect();
    const b = await connect();
    await a.call('FLUSHALL');
    await a.call('SET', 'w', '1');
    await a.call('WATCH', 'w');
    await b.call('FLUSHALL');
    await a.call('MULTI');
    await a.call('PING');
    expect(await a.call('EXEC')).toEqual({ t: 'nullarray' });
    // Watching a key that exists in neither db: SWAPDB leaves the transaction alone.
    await a.call('WATCH', 'ghost');
    await b.call('SWAPDB', '0', '1');
    await a.call('MULTI');
    await a.call('PING');
    expect(await a.call('EXEC')).toEqual({ t: 'array', v: [status('PONG')] });
    // The key appears in db 0 through the swap: the transaction fails.
    await b.call('SELECT', '1');
    await b.call('SET', 'w2', 'x');
    await a.call('WATCH', 'w2');
    await b.call('SWAPDB', '0', '1');
    await a.call('MULTI');
    await a.call('PING');
    expect(await a.call('EXEC')).toEqual({ t: 'nullarray' });
    await a.call('FLUSHALL');
    a.close();
    b.close();
  });

  it('FLUSHALL counts as a write (dirty) even on an empty keyspace', async () => {
    const c = await connect();
    await c.call('FLUSHALL');
    const before = ls.server.dirty;
    await c.call('FLUSHALL');
    expect(ls.server.dirty).toBeGreaterThan(before);
    c.close();
  });
});

describe('COMMAND', () => {
  it('COUNT, LIST, INFO, DOCS, GETKEYS', async () => {
    const c = await connect();
    const count = await c.call('COMMAND', 'COUNT');
    expect(count).toEqual(int(ls.server.table.commands.size));
    const all = await c.call('COMMAND');
    expect((all as { v: RespValue[] }).v).toHaveLength(ls.server.table.commands.size);
    const list = (await c.call('COMMAND', 'LIST')) as { v: RespValue[] };
    expect(list.v).toContainEqual(bulk('config|get'));
    expect(list.v).toContainEqual(bulk('command|docs'));
    expect(await c.call('COMMAND', 'LIST', 'FILTERBY', 'PATTERN', 'slowlog*')).toEqual({
      t: 'array',
      v: ['slowlog', 'slowlog|get', 'slowlog|len', 'slowlog|reset', 'slowlog|help'].map(bulk),
    });
    const admin = (await c.call('COMMAND', 'LIST', 'FILTERBY', 'ACLCAT', 'admin')) as { v: RespValue[] };
    expect(admin.v).toContainEqual(bulk('config|set'));
    expect(admin.v).not.toContainEqual(bulk('ping'));
    expect(await c.call('COMMAND', 'LIST', 'FILTERBY', 'MODULE', 'x')).toEqual({ t: 'array', v: [] });
    expect(await c.call('COMMAND', 'LIST', 'FILTERBY', 'foo', 'x')).toEqual(err('ERR syntax error'));
    const info = (await c.call('COMMAND', 'INFO', 'config', 'nope', 'client|kill')) as { v: RespValue[] };
    expect(info.v[1]).toEqual({ t: 'nullbulk' });
    expect((info.v[2] as { v: RespValue[] }).v[0]).toEqual(bulk('client|kill'));
    const cmdInfo = (await c.call('COMMAND', 'INFO', 'command')) as { v: RespValue[] };
    const subs = ((cmdInfo.v[0] as { v: RespValue[] }).v[9] as { v: RespValue[] }).v;
    expect(subs.map((s) => ((s as { v: RespValue[] }).v[0] as { v: string }).v)).toContain('command|getkeys');
    const docs = await c.call('COMMAND', 'DOCS', 'config|set', 'nope');
    expect(docs.t).toBe('array');
    expect((docs as { v: RespValue[] }).v[0]).toEqual(bulk('config|set'));
    if (ls.server.table.lookup('set')) {
      expect(await c.call('COMMAND', 'GETKEYS', 'SET', 'k', 'v')).toEqual({ t: 'array', v: [bulk('k')] });
      expect(await c.call('COMMAND', 'GETKEYSANDFLAGS', 'SET', 'k', 'v')).toEqual({
        t: 'array',
        v: [{ t: 'array', v: [bulk('k'), { t: 'array', v: [status('OW'), status('update')] }] }],
      });
      // With GET, SET reads the old value too (Redis's setGetKeys).
      expect(await c.call('COMMAND', 'GETKEYSANDFLAGS', 'SET', 'k', 'v', 'GET')).toEqual({
        t: 'array',
        v: [{ t: 'array', v: [bulk('k'), { t: 'array', v: [status('RW'), status('access'), status('update')] }] }],
      });
      expect(await c.call('COMMAND', 'GETKEYS', 'SET', 'k')).toEqual(err('ERR Invalid number of arguments specified for command'));
    }
    expect(await c.call('COMMAND', 'GETKEYS', 'nope', 'x')).toEqual(err('ERR Invalid command specified'));
    expect(await c.call('COMMAND', 'GETKEYS', 'config', 'get', 'x')).toEqual(err('ERR The command has no key arguments'));
    expect(await c.call('COMMAND', 'GETKEYS', 'x')).toEqual(err("ERR wrong number of arguments for 'command|getkeys' command"));
    expect(await c.call('COMMAND', 'FOO')).toEqual(err("ERR unknown subcommand 'FOO'. Try COMMAND HELP."));
    expect(await c.call('COMMAND', 'COUNT', 'x')).toEqual(err("ERR wrong number of arguments for 'command|count' command"));
    c.close();
  });

  it('renders every registered syntax string into COMMAND DOCS arguments', async () => {
    const { specArgs } = await import('../src/commands/docs.js');
    const { parseSyntax } = await import('../src/commands/docs.js');
    const bad: string[] = [];
    for (const cmd of ls.server.table.all()) {
      const s = cmd.spec.syntax;
      if (!s) continue;
      try {
        parseSyntax(s);
      } catch (e) {
        bad.push(`${cmd.fullName}: ${(e as Error).message}`);
      }
      expect(specArgs(cmd.spec).length, cmd.fullName).toBeGreaterThan(0);
    }
    expect(bad).toEqual([]);
  });
});

describe('misc', () => {
  it('TIME, LASTSAVE, ROLE, DEBUG OBJECT', async () => {
    const c = await connect();
    const t = (await c.call('TIME')) as { v: RespValue[] };
    expect(t.v).toHaveLength(2);
    expect(Math.abs(Number((t.v[0] as { v: string }).v) - Date.now() / 1000)).toBeLessThan(5);
    expect(Number((t.v[1] as { v: string }).v)).toBeLessThan(1e6);
    expect((await c.call('LASTSAVE')).t).toBe('int');
    expect(await c.call('ROLE')).toEqual({ t: 'array', v: [bulk('master'), int(0), { t: 'array', v: [] }] });
    if (ls.server.table.lookup('set')) {
      await c.call('SET', 'dbg', '12345');
      expect((await c.call('DEBUG', 'OBJECT', 'dbg')) as { v: string }).toMatchObject({ t: 'status' });
      expect(((await c.call('DEBUG', 'OBJECT', 'dbg')) as { v: string }).v).toContain('encoding:int');
    }
    expect(await c.call('DEBUG', 'OBJECT', 'nokey')).toEqual(err('ERR no such key'));
    expect(await c.call('DEBUG', 'NOPE')).toEqual(err("ERR unknown subcommand or wrong number of arguments for 'NOPE'. Try DEBUG HELP."));
    c.close();
  });

  it('SHUTDOWN closes the server', async () => {
    const other = await startLodestone();
    let shut = false;
    other.server.onShutdown = () => {
      shut = true;
    };
    const c = await RawClient.connect(other.port);
    expect(await c.call('SHUTDOWN', 'ABORT')).toEqual(err('ERR No shutdown in progress.'));
    expect(await c.call('SHUTDOWN', 'SAVE', 'NOSAVE')).toEqual(err('ERR syntax error'));
    expect(await c.call('SHUTDOWN', 'LATER')).toEqual(err('ERR syntax error'));
    c.writeRaw('*2\r\n$8\r\nSHUTDOWN\r\n$6\r\nNOSAVE\r\n');
    await c.waitClose();
    for (let i = 0; i < 50 && !shut; i++) await sleep(10);
    expect(shut).toBe(true);
    await expect(RawClient.connect(other.port)).rejects.toThrow();
  });

  it('SHUTDOWN calls the persistence hook, and a failing save aborts it unless FORCE', async () => {
    const other = await startLodestone();
    const calls: (boolean | null)[] = [];
    other.server.shutdownSave = (save) => {
      calls.push(save);
      throw new Error('disk full');
    };
    const c = await RawClient.connect(other.port);
    expect(await c.call('SHUTDOWN')).toEqual(err('ERR Errors trying to SHUTDOWN. Check logs.'));
    expect(await c.call('PING')).toEqual(status('PONG'));
    c.writeRaw('*3\r\n$8\r\nSHUTDOWN\r\n$4\r\nSAVE\r\n$5\r\nFORCE\r\n');
    await c.waitClose();
    expect(calls).toEqual([null, true]);
    await other.close();
  });
});
