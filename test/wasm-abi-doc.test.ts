// docs/ABI.md section 7 is a complete WAT example with a redis-cli transcript. This test compiles
// the doc's ```wat block with wabt, loads it the way the transcript does, replays every
// `$ redis-cli …` line and compares the reply with the line(s) the doc shows under it — so the
// doc's example can't rot. It also keeps wasm-examples/wat/counter.wat a verbatim copy.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from './helpers/raw-client.js';
import type { RespValue } from './helpers/resp.js';
import { LodestoneHandle, ROOT, startLodestone } from './helpers/servers.js';

const DOC = readFileSync(join(ROOT, 'docs', 'ABI.md'), 'utf8');

/** Section 7 of the doc: from its heading to the next `## ` heading (or the end). */
function section7(): string {
  const start = DOC.search(/^## 7\. /m);
  expect(start, 'docs/ABI.md has a "## 7." section').toBeGreaterThanOrEqual(0);
  const rest = DOC.slice(start + 1);
  const end = rest.search(/^## /m);
  return end < 0 ? rest : rest.slice(0, end);
}

/** The ```wat block and the plain ``` transcript block that follows it. */
function blocks(): { wat: string; transcript: string } {
  const s = section7();
  const wat = /```wat\n([\s\S]*?)```/.exec(s);
  expect(wat, 'section 7 has a ```wat block').not.toBeNull();
  const after = s.slice(wat!.index + wat![0].length);
  const tr = /```\n([\s\S]*?)```/.exec(after);
  expect(tr, 'section 7 has a transcript block after the WAT').not.toBeNull();
  return { wat: wat![1], transcript: tr![1] };
}

/** A reply the way redis-cli prints it (the forms the doc uses). */
function cliFormat(v: RespValue): string {
  switch (v.t) {
    case 'int':
      return `(integer) ${v.v}`;
    case 'status':
      return v.v;
    case 'error':
      return `(error) ${v.v}`;
    case 'bulk':
      return JSON.stringify(v.v);
    case 'nullbulk':
    case 'nullarray':
    case 'null':
      return '(nil)';
    default:
      return JSON.stringify(v);
  }
}

async function compileWat(text: string): Promise<Buffer> {
  const wabt = await (await import('wabt')).default();
  const mod = wabt.parseWat('counter.wat', text);
  try {
    mod.validate();
    return Buffer.from(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
}

describe('docs/ABI.md section 7 (WAT example)', () => {
  let ls: LodestoneHandle;
  let c: RawClient;
  beforeAll(async () => {
    ls = await startLodestone();
    c = await RawClient.connect(ls.port);
  });
  afterAll(async () => {
    c?.close();
    await ls?.close();
  });

  it('wasm-examples/wat/counter.wat is a verbatim copy of the doc', () => {
    expect(readFileSync(join(ROOT, 'wasm-examples', 'wat', 'counter.wat'), 'utf8')).toBe(blocks().wat);
  });

  it('compiles, loads and answers exactly as the transcript shows', async () => {
    const { wat, transcript } = blocks();
    const bytes = await compileWat(wat);

    // Split the transcript into commands (`$ …`) and the output lines under each.
    const steps: { cmd: string; out: string[] }[] = [];
    for (const line of transcript.split('\n')) {
      if (line.startsWith('$ ')) steps.push({ cmd: line.slice(2).trim(), out: [] });
      else if (line.trim() !== '' && steps.length > 0) steps[steps.length - 1].out.push(line.trim());
    }
    expect(steps.length).toBeGreaterThanOrEqual(4);
    expect(steps[0].cmd).toMatch(/^wat2wasm counter\.wat/);

    let loaded = false;
    let calls = 0;
    for (const step of steps.slice(1)) {
      const words = step.cmd.split(/\s+/);
      expect(words[0], `transcript line: ${step.cmd}`).toBe('redis-cli');
      let argv = words.slice(1);
      let reply: RespValue;
      if (argv[0] === '-x') {
        // `redis-cli -x WASM.LOAD counter PERMISSIONS WRITE < counter.wasm`: stdin becomes the last argument.
        const lt = argv.indexOf('<');
        argv = argv.slice(1, lt < 0 ? undefined : lt);
        expect(argv[0].toUpperCase()).toBe('WASM.LOAD');
        reply = await c.call(...argv, bytes);
        loaded = true;
      } else {
        reply = await c.call(...argv);
        if (argv[0].toUpperCase() === 'WASM.CALL') calls++;
      }
      expect(cliFormat(reply), `reply to: ${step.cmd}`).toBe(step.out.join('\n'));
    }
    expect(loaded).toBe(true);
    expect(calls).toBeGreaterThanOrEqual(2);
  });

  it('loads with the bytes after PERMISSIONS too, and counts 1, 2 with TTL 60 (another key)', async () => {
    const bytes = await compileWat(blocks().wat);
    expect(await c.call('WASM.LOAD', 'counter2', 'PERMISSIONS', 'WRITE', bytes)).toEqual({ t: 'status', v: 'OK' });
    expect(await c.call('WASM.CALL', 'counter2', 'KEYS', 'hits:eve')).toEqual({ t: 'int', v: '1' });
    expect(await c.call('WASM.CALL', 'counter2', 'KEYS', 'hits:eve')).toEqual({ t: 'int', v: '2' });
    expect(await c.call('TTL', 'hits:eve')).toEqual({ t: 'int', v: '60' });
  });
});
