// The real `redis-cli` against Lodestone: one-shot commands, INFO, `--stat`, and the interactive
// prompt's argument hints, which redis-cli 7 builds from COMMAND DOCS at start-up (so they only
// appear when Lodestone's COMMAND DOCS has Redis's shape — a malformed reply makes redis-cli abort).
import { spawn, spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_REDIS_CLI, LodestoneHandle, skipReason, startLodestone } from './helpers/servers.js';

const HAVE_SCRIPT = spawnSync('sh', ['-c', 'command -v script']).status === 0;
const HAVE_STDBUF = spawnSync('sh', ['-c', 'command -v stdbuf']).status === 0;

/** Run redis-cli with arguments; resolves with its output once it exits (or is killed at timeoutMs). */
function cli(args: string[], timeoutMs = 10000): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    // Line-buffered stdout, so what --stat printed before it is stopped is not lost in a buffer.
    const p = HAVE_STDBUF
      ? spawn('stdbuf', ['-oL', 'redis-cli', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('redis-cli', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const t = setTimeout(() => p.kill('SIGINT'), timeoutMs);
    p.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, out, err });
    });
  });
}

/** Drop ANSI escape sequences from terminal output. */
function plain(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '');
}

/**
 * Type `typed` at redis-cli's interactive prompt (inside a pseudo-terminal made by `script`) and
 * return what the terminal showed, escape sequences removed.
 */
function interactive(port: number, typed: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // The pty `script` creates has no window size; linenoise then probes the cursor position and
    // waits for an answer no one sends. stty gives it a size.
    const p = spawn('script', ['-qfc', `stty cols 200 rows 50; redis-cli -p ${port}`, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, TERM: 'xterm', HOME: process.env.HOME ?? '/tmp', REDISCLI_HISTFILE: '/dev/null', REDISCLI_RCFILE: '/dev/null' },
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (out += d));
    p.on('error', reject);
    let sent = false;
    const waitPrompt = setInterval(() => {
      if (!sent && out.includes(`127.0.0.1:${port}>`)) {
        sent = true;
        // Type one character at a time, as a person would: hints refresh on each key.
        let i = 0;
        const type = setInterval(() => {
          if (i < typed.length) p.stdin.write(typed[i++]);
          else {
            clearInterval(type);
            setTimeout(() => {
              const shown = out;
              p.stdin.write('\x15quit\r'); // ^U clears the line
              setTimeout(() => p.kill('SIGKILL'), 500);
              resolve(plain(shown));
            }, 400);
          }
        }, 15);
      }
    }, 20);
    setTimeout(() => {
      clearInterval(waitPrompt);
      if (!sent) {
        p.kill('SIGKILL');
        reject(new Error(`no prompt; terminal showed: ${JSON.stringify(plain(out))}`));
      }
    }, 8000);
  });
}

describe.skipIf(skipReason('redis-cli compatibility', 'redis-cli'))('redis-cli against Lodestone', () => {
  let ls: LodestoneHandle;
  beforeAll(async () => {
    ls = await startLodestone();
  });
  afterAll(async () => {
    await ls?.close();
  });

  it('runs one-shot commands', async () => {
    const p = String(ls.port);
    expect((await cli(['-p', p, 'ping'])).out).toBe('PONG\n');
    if (ls.server.table.lookup('set')) {
      expect((await cli(['-p', p, 'set', 'cli:k', 'hello world'])).out).toBe('OK\n');
      expect((await cli(['-p', p, 'get', 'cli:k'])).out).toBe('hello world\n');
      expect((await cli(['-p', p, '--raw', 'dbsize'])).out).toMatch(/^\d+\n$/);
    }
    const cfg = await cli(['-p', p, 'config', 'get', 'maxmemory']);
    expect(cfg.out).toBe('maxmemory\n0\n');
    const err = await cli(['-p', p, 'config', 'set', 'databases', '2']);
    expect(err.out).toContain("can't set immutable config");
  });

  it('finds hot keys with --hotkeys under an LFU policy (OBJECT FREQ)', async () => {
    const p = String(ls.port);
    await cli(['-p', p, 'config', 'set', 'maxmemory-policy', 'allkeys-lfu']);
    try {
      await cli(['-p', p, 'select', '0']);
      for (const k of ['hk:hot', 'hk:cold']) await cli(['-p', p, 'set', k, 'v']);
      for (let i = 0; i < 30; i++) await cli(['-p', p, 'get', 'hk:hot']);
      const r = await cli(['-p', p, '--hotkeys']);
      expect(r.code).toBe(0);
      const hot = Number(/hot key found with counter: (\d+)\tkeyname: "hk:hot"/.exec(r.out)?.[1]);
      const cold = Number(/hot key found with counter: (\d+)\tkeyname: "hk:cold"/.exec(r.out)?.[1]);
      expect(cold).toBe(5);
      expect(hot).toBeGreaterThan(cold);
    } finally {
      await cli(['-p', p, 'config', 'set', 'maxmemory-policy', 'noeviction']);
    }
  });

  it('sizes keys with --memkeys (MEMORY USAGE)', async () => {
    const p = String(ls.port);
    await cli(['-p', p, 'set', 'mk:big', 'x'.repeat(5000)]);
    await cli(['-p', p, 'set', 'mk:small', 'x']);
    const r = await cli(['-p', p, '--memkeys']);
    expect(r.code).toBe(0);
    const m = /Biggest string found '"mk:big"' has (\d+) bytes/.exec(r.out);
    expect(m, r.out).not.toBeNull();
    const bytes = Number(m![1]);
    expect(bytes).toBeGreaterThan(5000);
  });

  it('prints INFO server', async () => {
    const r = await cli(['-p', String(ls.port), 'info', 'server']);
    expect(r.code).toBe(0);
    r.out = r.out.replace(/\r\n/g, '\n'); // INFO lines end in CRLF, as in Redis
    expect(r.out).toMatch(/^# Server\n/);
    expect(r.out).toContain('redis_version:7.0.15\n');
    expect(r.out).toContain(`tcp_port:${ls.port}\n`);
    expect(r.out).toContain('redis_mode:standalone\n');
  });

  it.skipIf(!HAVE_STDBUF)('runs --stat for a few iterations', async () => {
    const r = await cli(['-p', String(ls.port), '--stat', '-i', '0.2'], 1300);
    expect(r.err).not.toMatch(/error|ERR/i);
    const lines = r.out.split('\n');
    const header = lines.findIndex((l) => /keys\s+mem\s+clients\s+blocked\s+requests\s+connections/.test(l));
    expect(header, r.out).toBeGreaterThanOrEqual(0);
    // At least two data rows after the header: "<keys> <mem> <clients> <blocked> <requests> …".
    const rows = lines.slice(header + 1).filter((l) => /^\d+\s+\S+\s+\d+\s+\d+\s+\d+/.test(l));
    expect(rows.length, r.out).toBeGreaterThanOrEqual(2);
  });

  it.skipIf(!HAVE_SCRIPT)('shows argument hints from COMMAND DOCS at the interactive prompt', async () => {
    const shown = await interactive(ls.port, 'config set ');
    expect(shown).toContain('parameter value [parameter value ...]');
    // CLIENT SETINFO is not in redis-cli 7.0's own tables: this hint can only come from Lodestone.
    const setinfo = await interactive(ls.port, 'client setinfo ');
    expect(setinfo).toContain('LIB-NAME libname|LIB-VER libver');
    if (ls.server.table.lookup('set')) {
      const set = await interactive(ls.port, 'SET k ');
      expect(set).toMatch(/value \[NX\|XX\] \[GET\] \[EX seconds\|PX milliseconds/);
    }
  });

  it('answers COMMAND DOCS in the shape redis-cli reads', async () => {
    const r = await cli(['-p', String(ls.port), 'command', 'docs', 'client|pause']);
    expect(r.out).toContain('client|pause\n');
    expect(r.out).toContain('arguments\n');
    expect(r.out).toContain('pure-token\n');
  });
});

if (!HAVE_REDIS_CLI) {
  describe('redis-cli against Lodestone', () => {
    it.skip('redis-cli is not installed', () => {});
  });
}
