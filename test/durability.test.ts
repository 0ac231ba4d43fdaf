// The fault tests of persistence (issue 5), driven through the real server process: the built CLI
// is started as a child, loaded from several clients, killed with SIGKILL (or starved of disk, or
// given damaged files) and started again on the same --dir. What is checked is the durability rule
// of src/persistence/persistence.ts as a client sees it:
//
//   - kill -9 under load with `appendfsync always` (and `everysec`): every write whose reply arrived
//     is there after the restart, nothing is half-applied — MULTI/EXEC pairs and the two keys a WASM
//     function writes stay equal — and each counter lies between what was acknowledged and that plus
//     what was in flight. With everysec the figures (lost writes; the not-yet-fsynced window a power
//     loss would have cost, from INFO persistence) are printed.
//   - a torn last record is trimmed with a warning (or, with aof-load-truncated no, refused once with
//     exit code 1); a MULTI group without EXEC is dropped whole; corrupt bytes in the AOF, or a
//     damaged or short snapshot, refuse startup naming the offset and leave the file as it was.
//   - a full disk (file-size limit, tmpfs): writes get -MISCONF, reads still work, the reply of the
//     write that could not be stored is held until the cron retry succeeds, and afterwards exactly
//     the acknowledged writes survive a kill -9.
//   - SIGTERM flushes the AOF (appendfsync no) or writes the snapshot (save rules) and exits 0.
//
// Why through a process: SIGKILL, rlimits and mounts act on a process; an in-process server shares
// the test's event loop and file descriptors and would survive none of them honestly. The in-process
// unit tests of the same code are test/persistence.test.ts. Assertions are on data, never on time.

import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import wabtInit from 'wabt';
import { RawClient } from './helpers/raw-client.js';
import { encodeCommand, show, type RespValue } from './helpers/resp.js';
import { ProcessHandle, ROOT, startLodestoneProcess } from './helpers/servers.js';
import { infoFields as parseInfo, sleep } from './helpers/poll.js';

const BIN = join(ROOT, 'bin/lodestone.js');
const AOF = 'appendonly.aof';
const SNAPSHOT = 'dump.rdb';

const procs: ProcessHandle[] = [];
const conns: RawClient[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const c of conns.splice(0)) c.close();
  for (const p of procs.splice(0)) await p.close();
});

afterAll(() => {
  for (const d of dirs) {
    try {
      rmSync(d, { recursive: true, force: true });
    } catch {
      // a mount point still busy: leave it
    }
  }
});

function newDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'lodestone-dur-'));
  dirs.push(d);
  return d;
}

async function start(dir: string, args: string[] = [], wrap?: string): Promise<ProcessHandle> {
  const p = await startLodestoneProcess(['--dir', dir, ...args], { wrap });
  procs.push(p);
  return p;
}

async function connect(p: ProcessHandle): Promise<RawClient> {
  const c = await RawClient.connect(p.port);
  conns.push(c);
  return c;
}

function exited(p: ProcessHandle): Promise<{ code: number | null; signal: string | null }> {
  const { proc } = p;
  if (proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve({ code: proc.exitCode, signal: proc.signalCode });
  return new Promise((r) => proc.once('exit', (code, signal) => r({ code, signal })));
}

async function kill9(p: ProcessHandle): Promise<void> {
  p.proc.kill('SIGKILL');
  await exited(p);
}

/** Start the CLI once and wait for it to exit (startup that must fail). */
function runOnce(dir: string, args: string[] = []): { status: number | null; stderr: string; stdout: string } {
  const r = spawnSync(process.execPath, [BIN, '--port', '0', '--dir', dir, ...args], { encoding: 'utf8', timeout: 15000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

const text = (v: RespValue): string => (v as { v: string }).v;

function infoFields(v: RespValue): Record<string, string> {
  return parseInfo(text(v));
}

async function mustOk(c: RawClient, ...args: (string | Buffer)[]): Promise<void> {
  const r = await c.call(...args);
  expect(r, show(r)).toEqual({ t: 'status', v: 'OK' });
}

/** Pipeline SET key value for every pair and check each answered OK. */
async function setMany(c: RawClient, pairs: [string, string][]): Promise<void> {
  const rs = await Promise.all(pairs.map(([k, v]) => c.call('SET', k, v)));
  for (const r of rs) expect(r, show(r)).toEqual({ t: 'status', v: 'OK' });
}

/** Keys (of `want`) whose value is not the wanted one. */
async function wrongValues(c: RawClient, want: Map<string, string | null>): Promise<string[]> {
  const bad: string[] = [];
  const keys = [...want.keys()];
  for (let i = 0; i < keys.length; i += 500) {
    const part = keys.slice(i, i + 500);
    const r = await c.call('MGET', ...part);
    if (r.t !== 'array') throw new Error(show(r));
    r.v.forEach((x, j) => {
      const got = x.t === 'bulk' ? x.v : null;
      if (got !== want.get(part[j])) bad.push(`${part[j]}=${got} (want ${want.get(part[j])})`);
    });
  }
  return bad;
}

// ---- WASM: a function that writes two keys in one atomic call ----------------------------------

const resp = (...args: string[]) => encodeCommand(args);
const watBytes = (b: Buffer) => '"' + [...b].map((x) => '\\' + x.toString(16).padStart(2, '0')).join('') + '"';
let PAIR_WASM: Buffer;

beforeAll(async () => {
  const wabt = await wabtInit();
  const a = resp('INCR', 'wasm:a');
  const b = resp('INCR', 'wasm:b');
  const m = wabt.parseWat(
    'pair.wat',
    `(module
      (import "lodestone" "call" (func $call (param i32 i32) (result i32)))
      (memory (export "memory") 1)
      (data (i32.const 0) ${watBytes(a)})
      (data (i32.const 256) ${watBytes(b)})
      (func (export "main") (result i64)
        (drop (call $call (i32.const 0) (i32.const ${a.length})))
        (drop (call $call (i32.const 256) (i32.const ${b.length})))
        (i64.const 1)))`,
  );
  try {
    m.resolveNames();
    m.validate();
    PAIR_WASM = Buffer.from(m.toBinary({}).buffer);
  } finally {
    m.destroy();
  }
});

// ---- Load: several pipelining clients; every reply is recorded client-side ------------------------

interface Counter {
  /** Keys that must all end up equal to each other. */
  keys: string[];
  acked: number;
  /** Sent, no reply yet. */
  inflight: number;
}

class Load {
  /** SETs whose OK arrived: key → value. */
  readonly sets = new Map<string, string>();
  readonly counters = new Map<string, Counter>();
  readonly errors: string[] = [];
  stopped = false;
  private readonly workers: Promise<void>[] = [];

  counter(name: string, keys: string[]): Counter {
    let c = this.counters.get(name);
    if (!c) this.counters.set(name, (c = { keys, acked: 0, inflight: 0 }));
    return c;
  }

  get acked(): number {
    let n = this.sets.size;
    for (const c of this.counters.values()) n += c.acked;
    return n;
  }

  get inflight(): number {
    let n = 0;
    for (const c of this.counters.values()) n += c.inflight;
    return n;
  }

  start(cs: RawClient[], wasm: boolean): void {
    cs.forEach((c, id) => this.workers.push(this.run(c, id, wasm)));
  }

  /** Wait for the workers, which stop when their connection closes. */
  async done(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.workers);
  }

  private run = async (c: RawClient, id: number, wasm: boolean): Promise<void> => {
    const cnt = this.counter(`incr:${id}`, [`cnt:${id}`]);
    const tx = this.counter(`multi:${id}`, [`tx:${id}:a`, `tx:${id}:b`]);
    const pair = this.counter('wasm', ['wasm:a', 'wasm:b']);
    const track = (ctr: Counter, p: Promise<RespValue>, ok: (r: RespValue) => boolean) => {
      ctr.inflight++;
      return p.then((r) => {
        ctr.inflight--;
        if (ok(r)) ctr.acked++;
        else this.errors.push(show(r));
      });
    };
    const isInt = (r: RespValue) => r.t === 'int';
    let i = 0;
    while (!this.stopped) {
      const batch: Promise<unknown>[] = [];
      for (let j = 0; j < 8; j++, i++) {
        switch (i % 4) {
          case 0: {
            const k = `k:${id}:${i}`;
            const v = `v${i}:${'x'.repeat(i % 40)}`;
            batch.push(
              c.call('SET', k, v).then((r) => {
                if (r.t === 'status' && r.v === 'OK') this.sets.set(k, v);
                else this.errors.push(show(r));
              }),
            );
            break;
          }
          case 1:
            batch.push(track(cnt, c.call('INCR', `cnt:${id}`), isInt));
            break;
          case 2:
            batch.push(c.call('MULTI'), c.call('INCR', `tx:${id}:a`), c.call('INCR', `tx:${id}:b`));
            batch.push(track(tx, c.call('EXEC'), (r) => r.t === 'array' && r.v.length === 2 && r.v.every(isInt)));
            break;
          default:
            if (wasm) batch.push(track(pair, c.call('WASM.CALL', 'pair'), isInt));
            else batch.push(track(cnt, c.call('INCR', `cnt:${id}`), isInt));
        }
      }
      try {
        await Promise.all(batch);
      } catch {
        return; // the server went away
      }
    }
  };

  /**
   * Compare with the restarted server: `lost` counts acknowledged writes that are missing (a SET
   * absent, a counter below its acknowledged count); `violations` lists what may never happen
   * (a wrong value, a counter above acknowledged + in flight, a pair that differs).
   */
  async verify(c: RawClient): Promise<{ lost: number; violations: string[] }> {
    const violations: string[] = [];
    let lost = 0;
    const want = new Map<string, string | null>(this.sets);
    for (const bad of await wrongValues(c, want)) {
      if (bad.includes('=null ')) lost++;
      else violations.push(`wrong value ${bad}`);
    }
    for (const [name, ctr] of this.counters) {
      const vals: number[] = [];
      for (const k of ctr.keys) {
        const r = await c.call('GET', k);
        vals.push(r.t === 'bulk' ? Number(r.v) : 0);
      }
      if (vals.some((v) => v !== vals[0])) violations.push(`${name}: half-applied, ${ctr.keys.join('/')} = ${vals.join('/')}`);
      const v = vals[0];
      if (v < ctr.acked) lost += ctr.acked - v;
      if (v > ctr.acked + ctr.inflight) violations.push(`${name}: ${v} > acknowledged ${ctr.acked} + in flight ${ctr.inflight}`);
    }
    return { lost, violations };
  }
}

/** A server with the AOF on (`fsync` policy) and the `pair` function loaded, in a fresh dir. */
async function startWithPair(fsync: string): Promise<{ dir: string; args: string[]; p: ProcessHandle; admin: RawClient }> {
  const dir = newDir();
  const args = ['--appendonly', 'yes', '--appendfsync', fsync];
  const p = await start(dir, args);
  const admin = await connect(p);
  await mustOk(admin, 'WASM.LOAD', 'pair', 'PERMISSIONS', 'WRITE', PAIR_WASM);
  return { dir, args, p, admin };
}

/** Start load from `n` clients, let it run ~`ms`, then kill -9 the server while writes are in flight. */
async function loadAndKill(p: ProcessHandle, n: number, ms: number, wasm: boolean, during?: () => Promise<void>): Promise<Load> {
  const cs: RawClient[] = [];
  for (let i = 0; i < n; i++) cs.push(await connect(p));
  const load = new Load();
  load.start(cs, wasm);
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (during) await during();
    else await sleep(100);
  }
  p.proc.kill('SIGKILL');
  const inflightAtKill = load.inflight;
  await exited(p);
  await load.done();
  expect(load.errors).toEqual([]);
  expect(inflightAtKill).toBeGreaterThan(0); // the kill did land mid-load
  return load;
}

// ---------------------------------------------------------------------------------------------

describe('kill -9 under load', () => {
  it('appendfsync always: every acknowledged write is there, none half-applied (SET, INCR, MULTI/EXEC, WASM.CALL)', async () => {
    const { dir, args, p, admin } = await startWithPair('always');
    const load = await loadAndKill(p, 5, 1500, true);
    const p2 = await start(dir, args);
    const c = await connect(p2);
    const { lost, violations } = await load.verify(c);
    // eslint-disable-next-line no-console
    console.log(
      `always kill -9: ${lost} of ${load.acked} acknowledged writes lost (${load.sets.size} SET, ` +
        `${[...load.counters.values()].reduce((n, x) => n + x.acked, 0)} INCR/MULTI/WASM.CALL; ${load.counters.get('wasm')!.acked} WASM.CALL)`,
    );
    expect(violations).toEqual([]);
    expect(lost).toBe(0);
    expect(load.counters.get('wasm')!.acked).toBeGreaterThan(0);
    // The module itself survived the crash (module_dir/.loaded) and still writes both keys.
    const list = await c.call('WASM.LIST');
    expect(show(list)).toContain('pair');
    const before = Number(text(await c.call('GET', 'wasm:a')));
    expect(await c.call('WASM.CALL', 'pair')).toEqual({ t: 'int', v: '1' });
    expect(await c.call('MGET', 'wasm:a', 'wasm:b')).toEqual({
      t: 'array',
      v: [
        { t: 'bulk', v: String(before + 1) },
        { t: 'bulk', v: String(before + 1) },
      ],
    });
  }, 30000);

  it('appendfsync everysec: kill -9 loses nothing acknowledged; the unfsynced window stays under ~1 s', async () => {
    const { dir, args, p, admin } = await startWithPair('everysec');
    const samples: Record<string, string>[] = [];
    let load!: Load;
    const sample = async () => {
      samples.push(infoFields(await admin.call('INFO', 'persistence')));
      await sleep(150);
    };
    // The sampler runs inside loadAndKill, so its last sample is taken just before the kill.
    load = await loadAndKill(p, 4, 1800, true, sample);
    const p2 = await start(dir, args);
    const c = await connect(p2);
    const { lost, violations } = await load.verify(c);
    expect(violations).toEqual([]);
    const last = samples[samples.length - 1];
    const size = Number(last.aof_current_size);
    const unsynced = size - Number(last.aof_fsynced_size);
    const perOp = size / Math.max(1, load.acked);
    const ages = samples.map((s) => Number(s.aof_last_fsync_ms_ago));
    // eslint-disable-next-line no-console
    console.log(
      `everysec kill -9: ${lost} of ${load.acked} acknowledged writes lost. ` +
        `Power loss at the last sample (${samples.length} samples) would have lost ${unsynced} of ${size} AOF bytes ` +
        `(≈${Math.round(unsynced / perOp)} client writes at ~${perOp.toFixed(0)} bytes each); ` +
        `aof_last_fsync_ms_ago over the run: max ${Math.max(...ages)} ms, last ${ages[ages.length - 1]} ms`,
    );
    // A process crash loses nothing: every reply went out after its write(2).
    expect(lost).toBe(0);
    expect(samples.length).toBeGreaterThanOrEqual(3);
    for (const s of samples) {
      expect(s.aof_last_write_status).toBe('ok');
      expect(Number(s.aof_last_fsync_ms_ago)).toBeLessThan(2000);
      expect(Number(s.aof_fsynced_size)).toBeLessThanOrEqual(Number(s.aof_current_size));
    }
  }, 30000);

  it('kill -9 while BGREWRITEAOF runs under load: the rewritten AOF holds every acknowledged write', async () => {
    const { dir, args, p, admin } = await startWithPair('always');
    // A base dataset, so that a rewrite takes a while (it is time-sliced) and the kill can land in one.
    const base = new Map<string, string | null>();
    for (let i = 0; i < 100; i++) {
      const kv: string[] = [];
      for (let j = 0; j < 1000; j++) {
        const k = `base:${i}:${j}`;
        base.set(k, `b${j}`);
        kv.push(k, `b${j}`);
      }
      await mustOk(admin, 'MSET', ...kv);
    }
    let rewrites = 0;
    // A rewrite is requested just before the kill: the sampler sleeps first.
    const load = await loadAndKill(p, 4, 1500, true, async () => {
      await sleep(100);
      const r = await admin.call('BGREWRITEAOF');
      if (r.t === 'status') rewrites++;
    });
    // A rewrite's temporary file left behind means the kill landed inside that rewrite.
    const midRewrite = readdirSync(dir).some((n) => n.startsWith('temp-rewriteaof-'));
    const p2 = await start(dir, args);
    const c = await connect(p2);
    const { lost, violations } = await load.verify(c);
    expect(await wrongValues(c, base)).toEqual([]);
    const done = infoFields(await c.call('INFO', 'persistence'));
    const finished = p.output().split('Background AOF rewrite finished successfully').length - 1;
    // eslint-disable-next-line no-console
    console.log(
      `rewrite + kill -9: ${lost} of ${load.acked} acknowledged writes lost; ${rewrites} BGREWRITEAOF accepted, ` +
        `${finished}+ finished before the kill, ${midRewrite ? 'killed during a rewrite' : 'killed between rewrites'}`,
    );
    expect(finished).toBeGreaterThan(0);
    expect(readdirSync(dir).filter((n) => n.startsWith('temp-'))).toEqual([]);
    expect(violations).toEqual([]);
    expect(lost).toBe(0);
    expect(rewrites).toBeGreaterThan(0);
    expect(done.aof_last_write_status).toBe('ok');
  }, 30000);
});

// ---------------------------------------------------------------------------------------------

const PARTIAL = '*3\r\n$3\r\nSET\r\n$1\r\nk';

/** A fresh dir with an AOF holding keys a:0..a:(n-1), the server killed. Returns the dir. */
async function aofWithData(n = 200): Promise<{ dir: string; want: Map<string, string | null> }> {
  const dir = newDir();
  const p = await start(dir, ['--appendonly', 'yes']);
  const c = await connect(p);
  const pairs: [string, string][] = [];
  for (let i = 0; i < n; i++) pairs.push([`a:${i}`, `value-${i}`]);
  await setMany(c, pairs);
  await c.call('INCR', 'a:count');
  await kill9(p);
  const want = new Map<string, string | null>(pairs);
  want.set('a:count', '1');
  return { dir, want };
}

describe('truncated AOF', () => {
  it('a torn last record is trimmed with a warning; new writes append cleanly and survive', async () => {
    const { dir, want } = await aofWithData();
    const file = join(dir, AOF);
    const good = statSync(file).size;
    appendFileSync(file, PARTIAL, 'latin1');
    const p = await start(dir, ['--appendonly', 'yes']);
    const c = await connect(p);
    expect(await wrongValues(c, want)).toEqual([]);
    expect(await c.call('EXISTS', 'k')).toEqual({ t: 'int', v: '0' });
    expect(p.output()).toContain('short read while loading the AOF file');
    expect(statSync(file).size).toBe(good);
    await setMany(c, [
      ['after', 'trim'],
      ['k', 'whole'],
    ]);
    want.set('after', 'trim').set('k', 'whole');
    await kill9(p);
    const p2 = await start(dir, ['--appendonly', 'yes']);
    const c2 = await connect(p2);
    expect(await wrongValues(c2, want)).toEqual([]);
    expect(p2.output()).not.toContain('short read');
  }, 20000);

  it('with aof-load-truncated no, startup is refused once (exit 1, clear message) and the file is left as it is', async () => {
    const { dir } = await aofWithData(20);
    const file = join(dir, AOF);
    appendFileSync(file, PARTIAL, 'latin1');
    const bytes = readFileSync(file);
    const r = runOnce(dir, ['--appendonly', 'yes', '--aof-load-truncated', 'no']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('lodestone: could not load the data: Unexpected end of file reading the append only file');
    expect(r.stderr).toContain(`bytes ${bytes.length - PARTIAL.length}..${bytes.length}`);
    expect(readFileSync(file).equals(bytes)).toBe(true);
    // The default (true) then loads it.
    const p = await start(dir, ['--appendonly', 'yes']);
    const c = await connect(p);
    expect(await c.call('GET', 'a:19')).toEqual({ t: 'bulk', v: 'value-19' });
  }, 20000);

  it('a trailing MULTI group without EXEC is dropped as a whole', async () => {
    const { dir, want } = await aofWithData(20);
    const file = join(dir, AOF);
    const good = statSync(file).size;
    // Whole records, but the group never got its EXEC: a crash between them.
    appendFileSync(file, Buffer.concat([resp('MULTI'), resp('SET', 'mx', '1'), resp('INCR', 'a:count')]));
    const p = await start(dir, ['--appendonly', 'yes']);
    const c = await connect(p);
    expect(await wrongValues(c, want.set('mx', null))).toEqual([]);
    expect(p.output()).toContain('short read while loading the AOF file');
    expect(statSync(file).size).toBe(good);
  }, 20000);
});

describe('corrupt files refuse startup and are left untouched', () => {
  it('AOF: a bad record start and a bad length are reported at their byte offset', async () => {
    const { dir } = await aofWithData(50);
    const file = join(dir, AOF);
    const orig = readFileSync(file);
    const mid = orig.indexOf('\r\n*', orig.length >> 1, 'latin1') + 2;
    const cases: [number, string, RegExp][] = [
      [mid, 'X', /expected '\*', found 'X'/],
      // the `3` of a `$3\r\nSET`: a length that is not a number
      [orig.indexOf('$3\r\nSET', mid, 'latin1') + 1, 'q', /expected a digit, found 'q'/],
    ];
    for (const [off, ch, why] of cases) {
      const bad = Buffer.from(orig);
      bad[off] = ch.charCodeAt(0);
      writeFileSync(file, bad);
      const r = runOnce(dir, ['--appendonly', 'yes']);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('lodestone: could not load the data: Bad file format reading');
      expect(r.stderr).toContain(`at byte ${off}:`);
      expect(r.stderr).toMatch(why);
      expect(r.stderr).toContain(`truncate -s ${off}`);
      expect(readFileSync(file).equals(bad)).toBe(true);
    }
  }, 20000);

  it('snapshot: a flipped byte or a cut-short file refuses startup', async () => {
    const dir = newDir();
    const p = await start(dir);
    const c = await connect(p);
    await setMany(c, [
      ['s1', 'one'],
      ['s2', 'two'],
    ]);
    await mustOk(c, 'SAVE');
    await kill9(p);
    const file = join(dir, SNAPSHOT);
    const orig = readFileSync(file);
    const flipped = Buffer.from(orig);
    const at = orig.indexOf('one', 0, 'latin1');
    flipped[at] ^= 0x01; // still a valid RDB: only the checksum can tell
    const short = orig.subarray(0, orig.length - 7);
    for (const [bytes, why] of [
      [flipped, /Wrong RDB checksum/],
      [short, /Unexpected EOF reading RDB file/],
    ] as [Buffer, RegExp][]) {
      writeFileSync(file, bytes);
      const r = runOnce(dir);
      expect(r.status).toBe(1);
      expect(r.stderr).toContain('lodestone: could not load the data: ');
      expect(r.stderr).toContain('The snapshot is unusable');
      expect(r.stderr).toMatch(why);
      expect(readFileSync(file).equals(bytes)).toBe(true);
    }
    // The undamaged snapshot loads.
    writeFileSync(file, orig);
    const p2 = await start(dir);
    const c2 = await connect(p2);
    expect(await c2.call('MGET', 's1', 's2')).toEqual({
      t: 'array',
      v: [
        { t: 'bulk', v: 'one' },
        { t: 'bulk', v: 'two' },
      ],
    });
  }, 20000);
});

// ---------------------------------------------------------------------------------------------

/**
 * Write 1 KiB values from `a` until one SET gets no reply because its AOF write failed (the server
 * holds it). Returns the acknowledged pairs and the held key with its pending reply.
 */
async function writeUntilHeld(
  a: RawClient,
  probe: RawClient,
  maxWrites: number,
): Promise<{ acked: Map<string, string | null>; heldKey: string; heldValue: string; held: Promise<RespValue> }> {
  const acked = new Map<string, string | null>();
  for (let i = 0; i < maxWrites; i++) {
    const k = `big:${i}`;
    const v = `${i}:`.padEnd(1024, 'z');
    const reply = a.call('SET', k, v);
    let answered: RespValue | null = null;
    void reply.then((r) => (answered = r)).catch(() => {});
    for (;;) {
      await sleep(5);
      if (answered) break;
      const info = infoFields(await probe.call('INFO', 'persistence'));
      if (answered) break;
      if (Number(info.aof_held_clients) > 0) return { acked, heldKey: k, heldValue: v, held: reply };
    }
    expect(answered).toEqual({ t: 'status', v: 'OK' });
    acked.set(k, v);
  }
  throw new Error(`no AOF write failed in ${maxWrites} writes`);
}

/** The full-disk scenario once the limit is hit; `relieve` lifts it. */
async function fullDisk(p: ProcessHandle, dir: string, expectErr: string, relieve: () => void, args: string[]): Promise<void> {
  const a = await connect(p);
  const b = await connect(p);
  const t = await connect(p);
  // A transaction queued before the disk fills, executed after.
  await mustOk(t, 'MULTI');
  expect(await t.call('SET', 'refused:tx', 'x')).toEqual({ t: 'status', v: 'QUEUED' });
  const { acked, heldKey, heldValue, held } = await writeUntilHeld(a, b, 2000);
  let heldReply: RespValue | null = null;
  void held.then((r) => (heldReply = r)).catch(() => {});
  const misconf = { t: 'error', v: `MISCONF Errors writing to the AOF file: ${expectErr}` };
  // Writes and PING are refused; reads work; the held reply does not come.
  expect(await b.call('SET', 'refused', 'x')).toEqual(misconf);
  expect(await b.call('INCR', 'refused:n')).toEqual(misconf);
  expect(await b.call('PING')).toEqual(misconf);
  // EXEC of queued writes is a write (Redis's is_write_command for EXEC): refused as a whole.
  expect(await t.call('EXEC')).toEqual({ t: 'error', v: `EXECABORT Transaction discarded because of: ${misconf.v}` });
  await mustOk(t, 'MULTI');
  expect(await t.call('SET', 'refused:tx2', 'x')).toEqual(misconf);
  expect(await t.call('EXEC')).toEqual({ t: 'error', v: 'EXECABORT Transaction discarded because of previous errors.' });
  expect(await b.call('WASM.CALL', 'nosuch')).toEqual(misconf);
  const [k0, v0] = [...acked][0];
  expect(await b.call('GET', k0)).toEqual({ t: 'bulk', v: v0 });
  expect(await b.call('GET', heldKey)).toEqual({ t: 'bulk', v: heldValue }); // executed, just not yet durable
  let info = infoFields(await b.call('INFO', 'persistence'));
  expect(info.aof_last_write_status).toBe('err');
  expect(info.aof_held_clients).toBe('1');
  // Several cron retries (hz 10) fail meanwhile; the reply stays held and the process keeps running.
  await sleep(400);
  expect(heldReply).toBe(null);
  expect(p.proc.exitCode).toBe(null);
  // The AOF on disk ends on a whole record (the failed write was cut back).
  expect(p.output()).toContain(`Error writing to the AOF file: ${expectErr}`);
  // SIGTERM cannot flush the AOF now: like Redis, the server refuses to exit and keeps serving.
  p.proc.kill('SIGTERM');
  await sleep(300);
  expect(p.proc.exitCode).toBe(null);
  expect(p.output()).toContain('Errors trying to shut down the server');
  expect(await b.call('GET', k0)).toEqual({ t: 'bulk', v: v0 });
  expect(heldReply).toBe(null);

  relieve();
  expect(await held).toEqual({ t: 'status', v: 'OK' });
  acked.set(heldKey, heldValue);
  info = infoFields(await b.call('INFO', 'persistence'));
  expect(info.aof_last_write_status).toBe('ok');
  expect(info.aof_held_clients).toBe('0');
  expect(await b.call('PING')).toEqual({ t: 'status', v: 'PONG' });
  await setMany(b, [['after', 'relief']]);
  acked.set('after', 'relief');
  expect(p.output()).toContain('AOF write error looks solved');

  await kill9(p);
  const p2 = await start(dir, args);
  const c = await connect(p2);
  const refused = ['refused', 'refused:n', 'refused:tx', 'refused:tx2'];
  const n = acked.size;
  for (const k of refused) acked.set(k, null);
  expect(await wrongValues(c, acked)).toEqual([]);
  expect(p2.output()).not.toContain('short read');
  // eslint-disable-next-line no-console
  console.log(`full disk (${expectErr}): ${n} acknowledged writes all present after kill -9, ${refused.length} refused writes absent`);
}

describe('full disk', () => {
  const havePrlimit = spawnSync('sh', ['-c', 'command -v prlimit && command -v bash']).status === 0;

  it.skipIf(!havePrlimit)('file-size limit: -MISCONF, reads work, the held reply arrives once the limit is raised', async () => {
    const dir = newDir();
    const args = ['--appendonly', 'yes', '--appendfsync', 'always'];
    // Soft limit only, so an unprivileged prlimit can raise it again.
    const p = await start(dir, args, `trap '' XFSZ; ulimit -S -f 64`);
    await fullDisk(
      p,
      dir,
      'File too large',
      () => {
        const r = spawnSync('prlimit', ['--pid', String(p.proc.pid), '--fsize=unlimited'], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
      },
      args,
    );
  }, 30000);

  it('small tmpfs: -MISCONF No space left on device until space is freed', async (ctx) => {
    const mnt = newDir();
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', mnt], { encoding: 'utf8' });
    if (m.status !== 0) {
      // eslint-disable-next-line no-console
      console.log(`[skip] tmpfs full-disk test: mount -t tmpfs failed here (${(m.stderr || m.error?.message || '').trim()})`);
      ctx.skip();
      return;
    }
    try {
      const dir = join(mnt, 'data');
      mkdirSync(dir);
      // A filler the "operator" deletes to free space.
      writeFileSync(join(mnt, 'filler'), Buffer.alloc(128 * 1024, 1));
      const args = ['--appendonly', 'yes', '--appendfsync', 'always'];
      const p = await start(dir, args);
      await fullDisk(p, dir, 'No space left on device', () => rmSync(join(mnt, 'filler')), args);
    } finally {
      for (const c of conns.splice(0)) c.close();
      for (const x of procs.splice(0)) await x.close();
      spawnSync('umount', [mnt]);
    }
  }, 30000);
});

// ---------------------------------------------------------------------------------------------

describe('the disk fills up during BGREWRITEAOF and BGSAVE', () => {
  it('a failed rewrite or save leaves the AOF and the data as they were; a failed save stops writes until one succeeds', async (ctx) => {
    const mnt = newDir();
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=768k', 'tmpfs', mnt], { encoding: 'utf8' });
    if (m.status !== 0) {
      // eslint-disable-next-line no-console
      console.log(`[skip] full disk during rewrite/save: mount -t tmpfs failed here (${(m.stderr || m.error?.message || '').trim()})`);
      ctx.skip();
      return;
    }
    try {
      const dir = join(mnt, 'data');
      mkdirSync(dir);
      const args = ['--appendonly', 'yes', '--appendfsync', 'always', '--save', '3600 1'];
      const p = await start(dir, args);
      const c = await connect(p);
      // ~400 KB of distinct keys: a rewrite or a snapshot needs about as much again, which the
      // 768 KB file system does not have once a filler takes most of the rest.
      const want = new Map<string, string | null>();
      const pairs: [string, string][] = [];
      // Incompressible values: the RDB snapshot LZF-compresses strings (rdbcompression yes).
      for (let i = 0; i < 380; i++) pairs.push([`k:${i}`, `${i}:${randomBytes(750).toString('base64')}`.slice(0, 1000)]);
      await setMany(c, pairs);
      for (const [k, v] of pairs) want.set(k, v);
      const aof = join(dir, 'appendonly.aof');
      writeFileSync(join(mnt, 'filler'), Buffer.alloc(200 * 1024, 1));
      const aofBefore = readFileSync(aof);

      // The rewrite runs out of space: reported, its temporary file removed, the AOF untouched.
      expect(await c.call('BGREWRITEAOF')).toEqual({ t: 'status', v: 'Background append only file rewriting started' });
      let info: Record<string, string> = {};
      for (let i = 0; i < 200; i++) {
        info = infoFields(await c.call('INFO', 'persistence'));
        if (info.aof_rewrite_in_progress === '0') break;
        await sleep(20);
      }
      expect(info.aof_last_bgrewrite_status).toBe('err');
      expect(info.aof_rewrites_consecutive_failures).toBe('1');
      expect(readdirSync(dir).filter((f) => f.startsWith('temp-'))).toEqual([]);
      expect(readFileSync(aof).equals(aofBefore)).toBe(true);
      for (let i = 0; i < 100 && !p.output().includes('Background AOF rewrite failed'); i++) await sleep(20);
      expect(p.output()).toContain('Background AOF rewrite failed: No space left on device');
      // Writes still go to the AOF (there is room for small ones).
      await setMany(c, [['after:rewrite', 'x']]);
      want.set('after:rewrite', 'x');

      // The snapshot runs out of space too: with save rules set, writes are refused (Redis's
      // stop-writes-on-bgsave-error) — reads and the data are fine.
      expect(await c.call('BGSAVE')).toEqual({ t: 'status', v: 'Background saving started' });
      for (let i = 0; i < 200; i++) {
        info = infoFields(await c.call('INFO', 'persistence'));
        if (info.rdb_bgsave_in_progress === '0') break;
        await sleep(20);
      }
      expect(info.rdb_last_bgsave_status).toBe('err');
      const refused = await c.call('SET', 'refused', 'x');
      expect(refused.t).toBe('error');
      expect(text(refused)).toMatch(/^MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk/);
      want.set('refused', null);
      expect(await c.call('GET', 'k:0')).toEqual({ t: 'bulk', v: want.get('k:0') });

      // Space comes back: the next save succeeds and writes are accepted again.
      rmSync(join(mnt, 'filler'));
      expect(await c.call('BGSAVE')).toEqual({ t: 'status', v: 'Background saving started' });
      for (let i = 0; i < 200; i++) {
        info = infoFields(await c.call('INFO', 'persistence'));
        if (info.rdb_bgsave_in_progress === '0') break;
        await sleep(20);
      }
      expect(info.rdb_last_bgsave_status).toBe('ok');
      await setMany(c, [['after:save', 'y']]);
      want.set('after:save', 'y');

      await kill9(p);
      const p2 = await start(dir, args);
      const c2 = await connect(p2);
      expect(await wrongValues(c2, want)).toEqual([]);
    } finally {
      for (const c of conns.splice(0)) c.close();
      for (const x of procs.splice(0)) await x.close();
      spawnSync('umount', [mnt]);
    }
  }, 30000);
});

describe('SIGTERM', () => {
  it('appendfsync no: the AOF is flushed and fsynced, exit code 0, the data is there after restart', async () => {
    const dir = newDir();
    const args = ['--appendonly', 'yes', '--appendfsync', 'no'];
    const p = await start(dir, args);
    const c = await connect(p);
    const want = new Map<string, string | null>();
    for (let i = 0; i < 300; i++) want.set(`t:${i}`, `v${i}`);
    await setMany(c, [...want] as [string, string][]);
    p.proc.kill('SIGTERM');
    expect(await exited(p)).toEqual({ code: 0, signal: null });
    const p2 = await start(dir, args);
    expect(await wrongValues(await connect(p2), want)).toEqual([]);
  }, 20000);

  it('save rules without AOF: SIGTERM writes the snapshot, exit code 0, the data is there after restart', async () => {
    const dir = newDir();
    const args = ['--save', '3600 1'];
    const p = await start(dir, args);
    const c = await connect(p);
    const want = new Map<string, string | null>([
      ['snap:a', '1'],
      ['snap:b', '2'],
    ]);
    await setMany(c, [...want] as [string, string][]);
    expect(existsSync(join(dir, SNAPSHOT))).toBe(false);
    p.proc.kill('SIGTERM');
    expect(await exited(p)).toEqual({ code: 0, signal: null });
    expect(existsSync(join(dir, SNAPSHOT))).toBe(true);
    expect(p.output()).toContain('DB saved on disk');
    const p2 = await start(dir, args);
    expect(await wrongValues(await connect(p2), want)).toEqual([]);
  }, 20000);
});
