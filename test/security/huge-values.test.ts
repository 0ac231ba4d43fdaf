// Values as long as proto-max-bulk-len allows (512 MB by default) are served, not fatal.
//
// V8 cannot make a string longer than 536870888 chars, 24 less than the default
// proto-max-bulk-len: such a SET used to throw out of the parser and end the process. These values
// are now BigStrings (src/keyspace/bigstring.ts). The tests move half-gigabyte payloads, so they
// keep at most two of them alive at a time, delete them after use, and read replies with a
// streaming reader instead of concatenating 512 MB.

import net from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Config } from '../../src/config/config.js';
import { defaultConfigPath } from '../../src/cli/main.js';
import { silentLogger } from '../../src/log.js';
import { Server } from '../../src/server/server.js';
import { RawClient } from '../helpers/raw-client.js';

const V8_MAX = 536870888;
const PROTO_MAX = 536870912;

/** A client that streams replies: counts a bulk's bytes and keeps only its first and last bytes. */
class BigClient {
  private chunks: Buffer[] = [];
  private have = 0;
  private wait: (() => void) | null = null;
  closed = false;
  private constructor(readonly sock: net.Socket) {
    sock.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.have += d.length;
      this.wait?.();
    });
    sock.on('close', () => {
      this.closed = true;
      this.wait?.();
    });
    sock.on('error', () => {});
  }
  static connect(port: number): Promise<BigClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host: '127.0.0.1' }, () => resolve(new BigClient(s)));
      s.once('error', reject);
    });
  }
  /** Send a command whose last argument is `big` (written without copying it into a frame). */
  sendBig(args: string[], big: Buffer): void {
    let head = `*${args.length + 1}\r\n`;
    for (const a of args) head += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
    head += `$${big.length}\r\n`;
    this.sock.write(head);
    this.sock.write(big);
    this.sock.write('\r\n');
  }
  send(...args: string[]): void {
    let s = `*${args.length}\r\n`;
    for (const a of args) s += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
    this.sock.write(s);
  }
  private async need(n: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.have < n) {
      if (this.closed) throw new Error('connection closed');
      if (Date.now() > deadline) throw new Error('timed out');
      await new Promise<void>((r) => {
        this.wait = r;
        setTimeout(r, 200);
      });
      this.wait = null;
    }
  }
  /** Take exactly n bytes (n small). */
  private async take(n: number, timeoutMs: number): Promise<Buffer> {
    await this.need(n, timeoutMs);
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const out = Buffer.from(all.subarray(0, n));
    const rest = all.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.have = rest.length;
    return out;
  }
  /** Read one line reply (`+OK`, `:5`, `-ERR …`, `$len`). */
  async line(timeoutMs = 60000): Promise<string> {
    for (;;) {
      const all = Buffer.concat(this.chunks);
      this.chunks = all.length ? [all] : [];
      const i = all.indexOf('\r\n');
      if (i >= 0) return (await this.take(i + 2, timeoutMs)).latin1Slice(0, i);
      await this.need(this.have + 1, timeoutMs);
    }
  }
  /** Read a bulk reply of any size: its length and a few sampled bytes. */
  async bulk(sample: number[], timeoutMs = 120000): Promise<{ len: number; bytes: Map<number, number> }> {
    const head = await this.line(timeoutMs);
    expect(head[0]).toBe('$');
    const len = Number(head.slice(1));
    const want = new Set(sample.map((i) => (i < 0 ? len + i : i)));
    const bytes = new Map<number, number>();
    let pos = 0;
    while (pos < len + 2) {
      await this.need(1, timeoutMs);
      const c = this.chunks.shift()!;
      this.have -= c.length;
      const n = Math.min(c.length, len + 2 - pos);
      for (const i of want) if (i >= pos && i < pos + n) bytes.set(i, c[i - pos]);
      pos += n;
      if (n < c.length) {
        this.chunks.unshift(c.subarray(n));
        this.have += c.length - n;
      }
    }
    return { len, bytes };
  }
  close(): void {
    this.sock.destroy();
  }
}

/** A payload whose byte i is 'a' + i % 26, so any sampled byte can be checked. */
function payload(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  b.fill('abcdefghijklmnopqrstuvwxyz');
  return b;
}
const expected = (i: number) => 0x61 + (i % 26);

function newConfig(dir: string, extra: Record<string, string> = {}): Config {
  const config = new Config();
  config.loadFile(defaultConfigPath());
  config.setText('port', '0');
  config.setText('dir', dir);
  for (const [k, v] of Object.entries(extra)) config.setText(k, v);
  return config;
}

describe('values longer than a JS string can be', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lodestone-huge-'));
  let server: Server;
  let port: number;
  let c: BigClient;

  beforeAll(async () => {
    server = new Server({ config: newConfig(dir, { appendonly: 'yes', appendfsync: 'no' }), log: silentLogger() });
    port = await server.listen();
    c = await BigClient.connect(port);
  });
  afterAll(async () => {
    c?.close();
    await server?.close();
  });

  it('SET of 536870900 bytes: STRLEN, GETRANGE of the tail, GET, other commands refuse it, AOF restart keeps it', async () => {
    const n = V8_MAX + 12;
    c.sendBig(['SET', 'big'], payload(n));
    expect(await c.line()).toBe('+OK');
    c.send('STRLEN', 'big');
    expect(await c.line()).toBe(`:${n}`);
    c.send('GETRANGE', 'big', '-5', '-1');
    const tail = await c.bulk([0, 1, 2, 3, 4]);
    expect(tail.len).toBe(5);
    for (let i = 0; i < 5; i++) expect(tail.bytes.get(i)).toBe(expected(n - 5 + i));
    c.send('TYPE', 'big');
    expect(await c.line()).toBe('+string');
    c.send('OBJECT', 'ENCODING', 'big');
    const enc = await c.bulk([0, 1, 2]);
    expect(enc.len).toBe(3); // "raw"
    c.send('GET', 'big');
    const got = await c.bulk([0, 1, 25, 26, 1_000_003, V8_MAX, -1]);
    expect(got.len).toBe(n);
    for (const [i, b] of got.bytes) expect(b).toBe(expected(i));
    // Commands that cannot hold such an argument say so, and the connection keeps working.
    c.sendBig(['HSET', 'h', 'f'], payload(V8_MAX + 1));
    expect(await c.line()).toMatch(/^-ERR argument too long for 'hset'/);
    c.send('EXISTS', 'h');
    expect(await c.line()).toBe(':0');

    // Restart from the AOF: the value is there, byte for byte where sampled.
    c.close();
    await server.close();
    server = new Server({ config: newConfig(dir, { appendonly: 'yes', appendfsync: 'no' }), log: silentLogger() });
    port = await server.listen();
    c = await BigClient.connect(port);
    c.send('STRLEN', 'big');
    expect(await c.line()).toBe(`:${n}`);
    c.send('GETRANGE', 'big', String(V8_MAX - 1), String(V8_MAX + 1));
    const mid = await c.bulk([0, 1, 2]);
    for (let i = 0; i < 3; i++) expect(mid.bytes.get(i)).toBe(expected(V8_MAX - 1 + i));
    c.send('DEL', 'big');
    expect(await c.line()).toBe(':1');
  }, 300_000);

  it('SET of exactly proto-max-bulk-len bytes; APPEND past the limit is refused; APPEND grows a string past the V8 limit', async () => {
    c.sendBig(['SET', 'max'], payload(PROTO_MAX));
    expect(await c.line()).toBe('+OK');
    c.send('STRLEN', 'max');
    expect(await c.line()).toBe(`:${PROTO_MAX}`);
    c.send('APPEND', 'max', 'x');
    expect(await c.line()).toBe('-ERR string exceeds maximum allowed size (proto-max-bulk-len)');
    c.send('DEL', 'max');
    expect(await c.line()).toBe(':1');

    // A plain string just under V8's limit, then APPEND crosses it.
    c.sendBig(['SET', 'grow'], payload(V8_MAX - 4));
    expect(await c.line()).toBe('+OK');
    c.send('APPEND', 'grow', '0123456789');
    expect(await c.line()).toBe(`:${V8_MAX + 6}`);
    c.send('GETRANGE', 'grow', '-12', '-1');
    const t = await c.bulk(Array.from({ length: 12 }, (_, i) => i));
    expect(Buffer.from([...t.bytes.values()]).latin1Slice()).toBe(
      String.fromCharCode(expected(V8_MAX - 6), expected(V8_MAX - 5)) + '0123456789',
    );
    c.send('SETRANGE', 'grow', '0', 'ZZ');
    expect(await c.line()).toBe(`:${V8_MAX + 6}`);
    c.send('GETRANGE', 'grow', '0', '2');
    const h = await c.bulk([0, 1, 2]);
    expect([h.bytes.get(0), h.bytes.get(1), h.bytes.get(2)]).toEqual([0x5a, 0x5a, expected(2)]);
    c.send('DEL', 'grow');
    expect(await c.line()).toBe(':1');
  }, 300_000);

  it('a bulk of proto-max-bulk-len + 1 bytes is a protocol error, as in Redis', async () => {
    const r = await RawClient.connect(port);
    r.socket.write(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${PROTO_MAX + 1}\r\n`);
    expect(await r.read()).toEqual({ t: 'error', v: 'ERR Protocol error: invalid bulk length' });
    await r.waitClose();
    const p = await RawClient.connect(port);
    expect(await p.call('PING')).toEqual({ t: 'status', v: 'PONG' });
    p.close();
  });
});
