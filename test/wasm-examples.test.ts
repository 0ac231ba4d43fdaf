// The example UDFs in wasm-examples/ (AssemblyScript SDK, WAT, C), end to end: built by
// wasm-examples/build.mjs, loaded through the real redis-cli (`-x WASM.LOAD … < file.wasm`, the way
// the README tells users to) and called with ioredis.
//
// Without redis-cli the modules are loaded through ioredis instead, so the rest still runs.

import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { HAVE_REDIS_CLI, LodestoneHandle, ROOT, startLodestone } from './helpers/servers.js';

const BUILD = join(ROOT, 'wasm-examples', 'build');
const wasmPath = (name: string) => join(BUILD, `${name}.wasm`);

// Build before the suites are collected (so an absent c_hello.wasm is known when skipIf runs).
// Cached by content hash: ~50 ms when nothing changed.
execFileSync(process.execPath, [join(ROOT, 'wasm-examples', 'build.mjs')], { stdio: 'pipe', timeout: 300_000 });

if (!HAVE_REDIS_CLI) {
  // eslint-disable-next-line no-console
  console.log('[skip] loading through redis-cli: redis-cli is not installed (apt-get install -y redis-tools); loading with ioredis instead');
}

interface Env {
  ls: LodestoneHandle;
  redis: Redis;
}

/** Run redis-cli with `input` on stdin. Asynchronously: the server runs in this process. */
function redisCli(args: string[], input: Buffer): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('redis-cli', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
    p.stdin.end(input);
  });
}

/** Start a server and load `name` into it; returns what the tests use. */
async function setup(name: string, perms: string[], built = name): Promise<Env> {
  const ls = await startLodestone();
  const redis = new Redis({ port: ls.port, host: '127.0.0.1', enableReadyCheck: false, disableClientInfo: true, lazyConnect: false });
  const file = wasmPath(built);
  if (HAVE_REDIS_CLI) {
    const r = await redisCli(['-p', String(ls.port), '-x', 'WASM.LOAD', name, 'PERMISSIONS', ...perms], readFileSync(file));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('OK');
  } else {
    expect(await redis.call('WASM.LOAD', name, readFileSync(file), 'PERMISSIONS', ...perms)).toBe('OK');
  }
  return { ls, redis };
}

async function teardown(env: Env | undefined): Promise<void> {
  if (!env) return;
  env.redis.disconnect();
  await env.ls.close();
}

const wcall = (env: Env, ...args: (string | number)[]) => env.redis.call('WASM.CALL', ...args);

describe('user_filter (ADR-0009: main(ptr, len) -> i64, call frame, JSON)', () => {
  let env: Env;
  beforeAll(async () => {
    env = await setup('user_filter', ['READ']);
  });
  afterAll(() => teardown(env));

  it('doubles the value of an active user and gives 0 for an inactive one', async () => {
    await env.redis.set('user:123', '{"value":21,"active":true}');
    await env.redis.set('user:124', '{"active":false,"value":21}');
    expect(await wcall(env, 'user_filter', 'KEYS', 'user:123', 'ARGS', 'filter_active')).toBe(42);
    expect(await wcall(env, 'user_filter', 'KEYS', 'user:124', 'ARGS', 'filter_active')).toBe(0);
    expect(await wcall(env, 'user_filter', 'KEYS', 'user:404', 'ARGS', 'filter_active')).toBe(0);
  });

  it('works with WASM.CALL_RO (it only reads)', async () => {
    expect(await env.redis.call('WASM.CALL_RO', 'user_filter', 'KEYS', 'user:123', 'ARGS', 'filter_active')).toBe(42);
  });

  it('skips unknown fields, including nested ones and escaped strings', async () => {
    await env.redis.set('user:125', ' { "name": "Zo\\u00eb \\"Z\\"", "tags": [1, {"a": null}], "value": -7, "active": true } ');
    expect(await wcall(env, 'user_filter', 'KEYS', 'user:125', 'ARGS', 'filter_active')).toBe(-14);
  });

  it('replies with errors for bad input', async () => {
    await env.redis.set('user:bad', '{"value":21,"active":tru}');
    await expect(wcall(env, 'user_filter', 'KEYS', 'user:bad', 'ARGS', 'filter_active')).rejects.toThrow(/^INVALID user record: expected true or false at offset/);
    await expect(wcall(env, 'user_filter', 'KEYS', 'user:123', 'ARGS', 'nope')).rejects.toThrow("ERR unknown filter 'nope'");
    await expect(wcall(env, 'user_filter', 'KEYS', 'user:123')).rejects.toThrow(/usage/);
  });
});

describe('ratelimit (fixed window and sliding log)', () => {
  let env: Env;
  beforeAll(async () => {
    env = await setup('ratelimit', ['WRITE']);
  });
  afterAll(() => teardown(env));

  it('fixed window: allows up to the limit, then denies with retry_after, and sets a TTL', async () => {
    const k = 'rl:fixed:alice';
    expect(await wcall(env, 'ratelimit', 'KEYS', k, 'ARGS', 3, 60)).toEqual([1, 2, 0]);
    const ttl = await env.redis.pttl(k);
    expect(ttl).toBeGreaterThan(59_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    expect(await wcall(env, 'ratelimit', 'KEYS', k, 'ARGS', 3, 60)).toEqual([1, 1, 0]);
    expect(await wcall(env, 'ratelimit', 'KEYS', k, 'ARGS', 3, 60)).toEqual([1, 0, 0]);
    const denied = (await wcall(env, 'ratelimit', 'KEYS', k, 'ARGS', 3, 60)) as number[];
    expect(denied.slice(0, 2)).toEqual([0, 0]);
    expect(denied[2]).toBeGreaterThan(0);
    expect(denied[2]).toBeLessThanOrEqual(60_000);
    expect(await env.redis.get(k)).toBe('4');
    // Other keys are independent.
    expect(await wcall(env, 'ratelimit', 'KEYS', 'rl:fixed:bob', 'ARGS', 3, 60)).toEqual([1, 2, 0]);
  });

  it('fixed window: a counter that lost its TTL gets a new window', async () => {
    await env.redis.set('rl:fixed:carol', '10');
    const r = (await wcall(env, 'ratelimit', 'KEYS', 'rl:fixed:carol', 'ARGS', 3, 5)) as number[];
    expect(r[0]).toBe(0);
    expect(r[2]).toBe(5000);
    expect(await env.redis.pttl('rl:fixed:carol')).toBeGreaterThan(0);
  });

  it('sliding log: allows up to the limit, then denies with retry_after, and sets a TTL', async () => {
    const k = 'rl:slide:alice';
    expect(await wcall(env, 'ratelimit.sliding', 'KEYS', k, 'ARGS', 3, 60)).toEqual([1, 2, 0]);
    expect(await wcall(env, 'ratelimit.sliding', 'KEYS', k, 'ARGS', 3, 60)).toEqual([1, 1, 0]);
    expect(await wcall(env, 'ratelimit.sliding', 'KEYS', k, 'ARGS', 3, 60)).toEqual([1, 0, 0]);
    for (let i = 0; i < 2; i++) {
      const denied = (await wcall(env, 'ratelimit.sliding', 'KEYS', k, 'ARGS', 3, 60)) as number[];
      expect(denied.slice(0, 2)).toEqual([0, 0]);
      expect(denied[2]).toBeGreaterThan(0);
      expect(denied[2]).toBeLessThanOrEqual(60_000);
    }
    expect(await env.redis.zcard(k)).toBe(3); // denied requests are not logged
    const ttl = await env.redis.pttl(k);
    expect(ttl).toBeGreaterThan(59_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('sliding log: entries older than the window stop counting', async () => {
    const k = 'rl:slide:bob';
    const old = Date.now() - 120_000;
    await env.redis.zadd(k, old, 'a', old + 1, 'b', old + 2, 'c');
    expect(await wcall(env, 'ratelimit.sliding', 'KEYS', k, 'ARGS', 3, 60)).toEqual([1, 2, 0]);
    expect(await env.redis.zcard(k)).toBe(1);
  });

  it('rejects bad arguments', async () => {
    await expect(wcall(env, 'ratelimit', 'KEYS', 'k', 'ARGS', 0, 60)).rejects.toThrow(/usage/);
    await expect(wcall(env, 'ratelimit.sliding', 'KEYS', 'k', 'ARGS', 3)).rejects.toThrow(/usage/);
    await expect(wcall(env, 'ratelimit', 'KEYS', 'k', 'ARGS', 'x', 60)).rejects.toThrow(/abort: ARGS\[0\] is not an integer: x/);
  });
});

describe('json_sum (JSON scanner in the guest)', () => {
  let env: Env;
  beforeAll(async () => {
    env = await setup('json_sum', ['READ']);
  });
  afterAll(() => teardown(env));

  it('totals price × qty in exact cents', async () => {
    const doc = { items: [{ price: 2.5, qty: 4 }, { price: 0.99, qty: 3 }, { price: 10, qty: 1 }] };
    expect(await wcall(env, 'json_sum', 'ARGS', JSON.stringify(doc))).toBe(2297);
    // 0.1 and 0.2 are not exact in binary floating point; the scanner reads them as decimal cents.
    expect(await wcall(env, 'json_sum', 'ARGS', '{"items":[{"price":0.1,"qty":3},{"price":0.2,"qty":3}]}')).toBe(90);
    expect(await wcall(env, 'json_sum', 'ARGS', '{"currency":"EUR","items":[{"sku":"a\\u00e9","price":1.999,"qty":2,"meta":{"x":[1,2,{}]}},{"price":1e2}],"note":null}')).toBe(400 + 10000);
    expect(await wcall(env, 'json_sum', 'ARGS', '{"items":[]}')).toBe(0);
  });

  it('replies INVALID for malformed JSON', async () => {
    await expect(wcall(env, 'json_sum', 'ARGS', '{"items":[{"price":2.5,"qty":4}')).rejects.toThrow(/^INVALID expected ',' or '\]' at offset 31/);
    await expect(wcall(env, 'json_sum', 'ARGS', '{"items":[{"price":2.5,"qty":1.5}]}')).rejects.toThrow(/^INVALID expected an integer/);
    await expect(wcall(env, 'json_sum', 'ARGS', '{"items":[]} x')).rejects.toThrow(/^INVALID trailing data/);
    await expect(wcall(env, 'json_sum', 'ARGS', '[1]')).rejects.toThrow(/^INVALID expected '\{'/);
  });
});

describe('validate (validate-before-write)', () => {
  let env: Env;
  beforeAll(async () => {
    env = await setup('validate', ['WRITE']);
  });
  afterAll(() => teardown(env));

  it('writes a valid record with HSET and replies OK', async () => {
    expect(await wcall(env, 'validate', 'KEYS', 'user:1', 'ARGS', 'name', 'Ada', 'email', 'ada@example.com', 'age', '36')).toBe('OK');
    expect(await env.redis.hgetall('user:1')).toEqual({ name: 'Ada', email: 'ada@example.com', age: '36' });
  });

  it('writes nothing for an invalid record and replies INVALID <reason>', async () => {
    const cases: [string[], string][] = [
      [['name', 'Bob', 'email', 'bob', 'age', '36'], "INVALID email must contain '@'"],
      [['name', 'Bob', 'email', 'bob@x', 'age', '151'], 'INVALID age must be an integer 0..150'],
      [['name', 'Bob', 'email', 'bob@x', 'age', '-1'], 'INVALID age must be an integer 0..150'],
      [['name', 'Bob', 'email', 'bob@x', 'role', 'admin'], "INVALID unknown field 'role'"],
      [['name', 'Bob', 'email'], 'INVALID expected field/value pairs'],
      [['email', 'bob@x'], 'INVALID missing field name'],
    ];
    for (const [args, msg] of cases) {
      await expect(wcall(env, 'validate', 'KEYS', 'user:2', 'ARGS', ...args)).rejects.toThrow(msg);
    }
    expect(await env.redis.exists('user:2')).toBe(0);
  });

  it('passes a command error through (WRONGTYPE) and leaves the key alone', async () => {
    await env.redis.set('user:3', 'x');
    await expect(wcall(env, 'validate', 'KEYS', 'user:3', 'ARGS', 'name', 'C', 'email', 'c@d')).rejects.toThrow(/^WRONGTYPE/);
    expect(await env.redis.get('user:3')).toBe('x');
  });
});

describe('keys (get_key / set_key / del_key / call / reply_raw)', () => {
  let env: Env;
  beforeAll(async () => {
    env = await setup('keys', ['WRITE']);
  });
  afterAll(() => teardown(env));

  it('returns the results of its key operations', async () => {
    expect(await wcall(env, 'keys', 'KEYS', 'greeting', 'counter', 'ARGS', 'hello')).toEqual(['hello', 1, 11, 1, null, '11']);
    expect(await wcall(env, 'keys', 'KEYS', 'greeting', 'counter', 'ARGS', 'héllo wörld')).toEqual(['héllo wörld', 12, 22, 1, null, '22']);
    expect(await env.redis.exists('greeting')).toBe(0);
    expect(await env.redis.get('counter')).toBe('22');
  });

  it('imports only what it uses: set_key makes READ-only loading fail', async () => {
    await expect(env.redis.call('WASM.LOAD', 'keys_ro', readFileSync(wasmPath('keys')), 'PERMISSIONS', 'READ')).rejects.toThrow(
      /lodestone\.set_key, which needs the WRITE permission/,
    );
  });

  it('an aborted call (INCR on a non-integer) rolls back its earlier writes', async () => {
    await env.redis.set('counter2', 'abc');
    await env.redis.set('greeting2', 'before');
    await expect(wcall(env, 'keys', 'KEYS', 'greeting2', 'counter2', 'ARGS', 'after')).rejects.toThrow(/abort: ERR value is not an integer/);
    expect(await env.redis.get('greeting2')).toBe('before');
  });
});

describe('counter.wat (hand-written WAT, docs/ABI.md section 7)', () => {
  let env: Env;
  beforeAll(async () => {
    env = await setup('counter', ['WRITE']);
  });
  afterAll(() => teardown(env));

  it('counts and sets a 60 s TTL on the first hit', async () => {
    expect(await wcall(env, 'counter', 'KEYS', 'hits:bob')).toBe(1);
    expect(await wcall(env, 'counter', 'KEYS', 'hits:bob')).toBe(2);
    expect(await env.redis.ttl('hits:bob')).toBe(60);
  });
});

const HAVE_HELLO = existsSync(wasmPath('c_hello'));
if (!HAVE_HELLO) {
  // eslint-disable-next-line no-console
  console.log('[skip] hello.c: not built (clang with the wasm32 target and wasm-ld are needed)');
}

describe.skipIf(!HAVE_HELLO)('hello.c (C, clang --target=wasm32, no libc)', () => {
  let env: Env;
  beforeAll(async () => {
    env = await setup('hello', ['READ'], 'c_hello');
  });
  afterAll(() => teardown(env));

  it('replies with a greeting built from KEYS[0] and ARGS[0]', async () => {
    expect(await wcall(env, 'hello')).toBe('Hello, world!');
    expect(await wcall(env, 'hello', 'KEYS', 'Lodestone', 'ARGS', 'Hi')).toBe('Hi, Lodestone!');
    expect(await wcall(env, 'hello', 'KEYS', 'x'.repeat(100_000))).toBe(`Hello, ${'x'.repeat(100_000)}!`);
  });
});
