// The Rust and C SDKs (wasm-examples/rust/lodestone, wasm-examples/c/lodestone.h) end to end: the
// same examples as the AssemblyScript SDK (user_filter, ratelimit) built by wasm-examples/build.mjs,
// loaded through the real redis-cli (`-x WASM.LOAD … < file.wasm`) and called with ioredis, and the
// ADR-0009 Rust example (`main(input_ptr, input_len) -> i64`, ADR's own WASM.LOAD of a file) → 42.
//
// Each language's suites skip, saying why, when its toolchain is absent (the build lists what it
// skipped); without redis-cli the modules are loaded through ioredis instead.

import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { HAVE_REDIS_CLI, LodestoneHandle, ROOT, startLodestone } from './helpers/servers.js';

const BUILD = join(ROOT, 'wasm-examples', 'build');
const wasmPath = (name: string) => join(BUILD, `${name}.wasm`);

// Build before the suites are collected, so what is missing is known when skipIf runs.
const buildLog = execFileSync(process.execPath, [join(ROOT, 'wasm-examples', 'build.mjs')], { encoding: 'utf8', timeout: 300_000 });

const LANGS = [
  { lang: 'Rust', prefix: 'rust_', need: 'rustc with the wasm32-unknown-unknown standard library (apt-get install rustc libstd-rust-dev-wasm32)' },
  { lang: 'C', prefix: 'c_', need: 'clang with the wasm32 target and wasm-ld (apt-get install clang lld)' },
] as const;

for (const l of LANGS) {
  if (!existsSync(wasmPath(`${l.prefix}user_filter`)) || !existsSync(wasmPath(`${l.prefix}ratelimit`))) {
    const why = buildLog.split('\n').find((s) => s.includes('skipped') && s.includes(l.prefix === 'c_' ? '/c/' : '/rust/'));
    // eslint-disable-next-line no-console
    console.log(`[skip] ${l.lang} SDK examples: not built — ${l.need}${why ? ` (build: ${why.trim()})` : ''}`);
  }
}
if (!HAVE_REDIS_CLI) {
  // eslint-disable-next-line no-console
  console.log('[skip] loading through redis-cli: redis-cli is not installed (apt-get install -y redis-tools); loading with ioredis instead');
}

interface Env {
  ls: LodestoneHandle;
  redis: Redis;
}

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

/** A server with the built module `file` loaded as `name` (through redis-cli when installed). */
async function setup(name: string, file: string, perms: string[]): Promise<Env> {
  const ls = await startLodestone();
  const redis = new Redis({ port: ls.port, host: '127.0.0.1', enableReadyCheck: false, disableClientInfo: true, lazyConnect: false });
  const bytes = readFileSync(wasmPath(file));
  if (HAVE_REDIS_CLI) {
    const r = await redisCli(['-p', String(ls.port), '-x', 'WASM.LOAD', name, 'PERMISSIONS', ...perms], bytes);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('OK');
  } else {
    expect(await redis.call('WASM.LOAD', name, bytes, 'PERMISSIONS', ...perms)).toBe('OK');
  }
  return { ls, redis };
}

async function teardown(env: Env | undefined): Promise<void> {
  if (!env) return;
  env.redis.disconnect();
  await env.ls.close();
}

const wcall = (env: Env, ...args: (string | number)[]) => env.redis.call('WASM.CALL', ...args);

for (const l of LANGS) {
  const built = existsSync(wasmPath(`${l.prefix}user_filter`)) && existsSync(wasmPath(`${l.prefix}ratelimit`));

  describe.skipIf(!built)(`${l.lang} SDK: user_filter (main(ptr, len) -> i64, call frame, JSON)`, () => {
    let env: Env;
    beforeAll(async () => {
      env = await setup('user_filter', `${l.prefix}user_filter`, ['READ']);
    });
    afterAll(() => teardown(env));

    it('doubles the value of an active user and gives 0 for an inactive or missing one', async () => {
      await env.redis.set('user:123', '{"value":21,"active":true}');
      await env.redis.set('user:124', '{"active":false,"value":21}');
      expect(await wcall(env, 'user_filter', 'KEYS', 'user:123', 'ARGS', 'filter_active')).toBe(42);
      expect(await wcall(env, 'user_filter', 'KEYS', 'user:124', 'ARGS', 'filter_active')).toBe(0);
      expect(await wcall(env, 'user_filter', 'KEYS', 'user:404', 'ARGS', 'filter_active')).toBe(0);
      expect(await env.redis.call('WASM.CALL_RO', 'user_filter', 'KEYS', 'user:123', 'ARGS', 'filter_active')).toBe(42);
    });

    it('skips unknown fields, including nested ones and escaped strings', async () => {
      await env.redis.set('user:125', ' { "name": "Zo\\u00eb \\"Z\\"", "tags": [1, {"a": null}], "value": -7, "active": true } ');
      expect(await wcall(env, 'user_filter', 'KEYS', 'user:125', 'ARGS', 'filter_active')).toBe(-14);
    });

    it('replies with errors for bad input', async () => {
      await env.redis.set('user:bad', '{"value":21,"active":tru}');
      await expect(wcall(env, 'user_filter', 'KEYS', 'user:bad', 'ARGS', 'filter_active')).rejects.toThrow(/^INVALID user record: expected true or false at offset 21/);
      await expect(wcall(env, 'user_filter', 'KEYS', 'user:123', 'ARGS', 'nope')).rejects.toThrow("ERR unknown filter 'nope'");
      await expect(wcall(env, 'user_filter', 'KEYS', 'user:123')).rejects.toThrow(/usage/);
    });

    it('imports only what it uses: it loads with READ alone and cannot write', async () => {
      const info = (await env.redis.call('WASM.INFO', 'user_filter')) as unknown[];
      expect(info[info.indexOf('permissions') + 1]).toEqual(['read']);
    });
  });

  describe.skipIf(!built)(`${l.lang} SDK: ratelimit (fixed window and sliding log)`, () => {
    let env: Env;
    beforeAll(async () => {
      env = await setup('ratelimit', `${l.prefix}ratelimit`, ['WRITE']);
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
      expect(await wcall(env, 'ratelimit', 'KEYS', 'rl:fixed:bob', 'ARGS', 3, 60)).toEqual([1, 2, 0]);
    });

    it('fixed window: a counter that lost its TTL gets a new window', async () => {
      await env.redis.set('rl:fixed:carol', '10');
      const r = (await wcall(env, 'ratelimit', 'KEYS', 'rl:fixed:carol', 'ARGS', 3, 5)) as number[];
      expect(r[0]).toBe(0);
      expect(r[2]).toBe(5000);
      expect(await env.redis.pttl('rl:fixed:carol')).toBeGreaterThan(0);
    });

    it('sliding log: allows up to the limit, then denies with retry_after; old entries stop counting', async () => {
      const k = 'rl:slide:alice';
      expect(await wcall(env, 'ratelimit.sliding', 'KEYS', k, 'ARGS', 3, 60)).toEqual([1, 2, 0]);
      expect(await wcall(env, 'ratelimit.sliding', 'KEYS', k, 'ARGS', 3, 60)).toEqual([1, 1, 0]);
      expect(await wcall(env, 'ratelimit.sliding', 'KEYS', k, 'ARGS', 3, 60)).toEqual([1, 0, 0]);
      const denied = (await wcall(env, 'ratelimit.sliding', 'KEYS', k, 'ARGS', 3, 60)) as number[];
      expect(denied.slice(0, 2)).toEqual([0, 0]);
      expect(denied[2]).toBeGreaterThan(0);
      expect(denied[2]).toBeLessThanOrEqual(60_000);
      expect(await env.redis.zcard(k)).toBe(3);
      const old = Date.now() - 120_000;
      await env.redis.zadd('rl:slide:bob', old, 'a', old + 1, 'b', old + 2, 'c');
      expect(await wcall(env, 'ratelimit.sliding', 'KEYS', 'rl:slide:bob', 'ARGS', 3, 60)).toEqual([1, 2, 0]);
      expect(await env.redis.zcard('rl:slide:bob')).toBe(1);
    });

    it('rejects bad arguments; a non-integer fails the call through env.abort with the SDK message', async () => {
      await expect(wcall(env, 'ratelimit', 'KEYS', 'k', 'ARGS', 0, 60)).rejects.toThrow(/usage/);
      await expect(wcall(env, 'ratelimit.sliding', 'KEYS', 'k', 'ARGS', 3)).rejects.toThrow(/usage/);
      await expect(wcall(env, 'ratelimit', 'KEYS', 'k', 'ARGS', 'x', 60)).rejects.toThrow(
        /^ERR wasm function 'ratelimit' failed: abort: ARGS\[0\] is not an integer: x at \S+:\d+:\d+ \(guest fault\)$/,
      );
    });

    it('an aborted call (INCR on a non-integer) rolls back nothing it did not do, and the SDK names the error', async () => {
      await env.redis.set('rl:fixed:text', 'abc');
      await expect(wcall(env, 'ratelimit', 'KEYS', 'rl:fixed:text', 'ARGS', 3, 60)).rejects.toThrow(
        /failed: abort: ERR value is not an integer or out of range at /,
      );
      expect(await env.redis.get('rl:fixed:text')).toBe('abc');
      expect(await env.redis.pttl('rl:fixed:text')).toBe(-1);
    });
  });
}

const HAVE_ADR = existsSync(wasmPath('rust_adr_filter'));

describe.skipIf(!HAVE_ADR)("ADR-0009's Rust example, compiled with rustc (docs/ABI.md §8)", () => {
  let ls: LodestoneHandle;
  let redis: Redis;
  beforeAll(async () => {
    ls = await startLodestone();
    redis = new Redis({ port: ls.port, host: '127.0.0.1', enableReadyCheck: false, disableClientInfo: true, lazyConnect: false });
    // The ADR loads a file: put the module in module_dir as myfilter.wasm.
    const dir = ls.server.wasm!.moduleDir;
    mkdirSync(dir, { recursive: true });
    copyFileSync(wasmPath('rust_adr_filter'), join(dir, 'myfilter.wasm'));
  });
  afterAll(async () => {
    redis?.disconnect();
    await ls?.close();
  });

  it('WASM.LOAD myfilter ./myfilter.wasm PERMISSIONS WRITE; WASM.CALL myfilter KEYS user:123 ARGS filter_active → 42', async () => {
    await redis.set('user:123', '{"value":21}');
    expect(await redis.call('WASM.LOAD', 'myfilter', './myfilter.wasm', 'PERMISSIONS', 'WRITE')).toBe('OK');
    expect(await redis.call('WASM.CALL', 'myfilter', 'KEYS', 'user:123', 'ARGS', 'filter_active')).toBe(42);
    const info = (await redis.call('WASM.INFO', 'myfilter')) as unknown[];
    expect(info.slice(0, 4)).toEqual(['name', 'myfilter', 'call_count', 1]);
    expect(info[info.indexOf('permissions') + 1]).toEqual(['write']);
    // the ADR's `unwrap()` on bad JSON panics: the call fails (a trap), nothing else happens
    await redis.set('user:9', 'not json');
    await expect(redis.call('WASM.CALL', 'myfilter', 'KEYS', 'user:9')).rejects.toThrow(/^ERR wasm function 'myfilter' failed: trap: unreachable/);
  });
});
