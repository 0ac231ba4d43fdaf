// A raw-socket test client: sends exact bytes and reads typed replies (resp.ts). Protocol tests use
// it to check reply bytes; the differential harness uses it to compare Lodestone with Redis.

import net from 'node:net';
import { encodeCommand, parseReply, RespValue } from './resp.js';

export class RawClient {
  private buf = Buffer.alloc(0);
  private waiters: { resolve: (v: RespValue) => void; reject: (e: Error) => void }[] = [];
  private closed = false;
  private closeWaiters: (() => void)[] = [];
  readonly socket: net.Socket;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on('data', (d) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.drain();
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters) w.reject(new Error('connection closed'));
      this.waiters = [];
      for (const f of this.closeWaiters) f();
    });
    socket.on('error', () => {});
  }

  static connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const s = net.connect({ port, host }, () => resolve(new RawClient(s)));
      s.once('error', reject);
    });
  }

  private drain(): void {
    while (this.waiters.length > 0) {
      const r = parseReply(this.buf, 0);
      if (!r) return;
      this.buf = this.buf.subarray(r[1]);
      this.waiters.shift()!.resolve(r[0]);
    }
  }

  /** Bytes received and not yet consumed as replies. */
  get unread(): Buffer {
    return this.buf;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Wait until the server closes the connection. */
  waitClose(timeoutMs = 2000): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('connection not closed')), timeoutMs);
      this.closeWaiters.push(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Next reply (in order). */
  read(timeoutMs = 5000): Promise<RespValue> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('timed out waiting for a reply')), timeoutMs);
      this.waiters.push({
        resolve: (v) => {
          clearTimeout(t);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(t);
          reject(e);
        },
      });
      this.drain();
      if (this.closed) this.socket.emit('close');
    });
  }

  writeRaw(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Send a command and wait for its reply. */
  call(...args: (string | Buffer | number)[]): Promise<RespValue> {
    this.socket.write(encodeCommand(args));
    return this.read();
  }

  /** Read raw bytes until at least n bytes are buffered (exact-bytes protocol tests). */
  async readBytes(n: number, timeoutMs = 2000): Promise<Buffer> {
    const end = Date.now() + timeoutMs;
    while (this.buf.length < n) {
      if (this.closed || Date.now() > end) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(out.length);
    return out;
  }

  close(): void {
    this.socket.destroy();
  }
}
