// A minimal RESP client for the CLI's admin work (`lodestone cluster start` / `create` send CLUSTER
// commands to the nodes they set up): one connection, commands answered in order, replies parsed
// by redis-parser. It is not a general client: no reconnects, no pub/sub, no RESP3.

import net from 'node:net';
import RedisParser from 'redis-parser';

export type AdminReply = string | number | null | AdminReply[] | Error;

/** One node's address as the tools print it and as CLUSTER MEET takes it. */
export interface Endpoint {
  host: string;
  port: number;
}

export class AdminClient {
  private readonly waiting: { resolve: (r: AdminReply) => void; reject: (e: Error) => void }[] = [];
  private readonly parser: RedisParser;
  private failure: Error | null = null;

  private constructor(
    readonly endpoint: Endpoint,
    private readonly sock: net.Socket,
  ) {
    this.parser = new RedisParser({
      returnReply: (r: AdminReply) => this.waiting.shift()?.resolve(r),
      returnError: (e: Error) => this.waiting.shift()?.resolve(e),
      returnFatalError: (e: Error) => this.fail(e),
    });
    sock.on('data', (d) => this.parser.execute(d));
    sock.on('error', (e) => this.fail(e));
    sock.on('close', () => this.fail(new Error(`connection to ${endpoint.host}:${endpoint.port} closed`)));
  }

  /** Connect, and AUTH when a password is given. */
  static async connect(endpoint: Endpoint, password = '', timeoutMs = 5000): Promise<AdminClient> {
    const sock = net.connect(endpoint.port, endpoint.host);
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        sock.destroy();
        reject(new Error(`could not connect to ${endpoint.host}:${endpoint.port} within ${timeoutMs} ms`));
      }, timeoutMs);
      sock.once('connect', () => {
        clearTimeout(t);
        resolve();
      });
      sock.once('error', (e) => {
        clearTimeout(t);
        reject(e);
      });
    });
    sock.setNoDelay(true);
    const c = new AdminClient(endpoint, sock);
    if (password !== '') await c.ok('AUTH', password);
    return c;
  }

  private fail(e: Error): void {
    if (this.failure) return;
    this.failure = e;
    for (const w of this.waiting.splice(0)) w.reject(e);
  }

  /** Send a command; a server error comes back as an Error value, not a rejection. */
  call(...args: (string | number)[]): Promise<AdminReply> {
    if (this.failure) return Promise.reject(this.failure);
    let s = `*${args.length}\r\n`;
    for (const a of args) {
      const b = String(a);
      s += `$${Buffer.byteLength(b)}\r\n${b}\r\n`;
    }
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.sock.write(s);
    });
  }

  /** Send a command that must not fail; throws with the node's address and the server's error. */
  async ok(...args: (string | number)[]): Promise<AdminReply> {
    const r = await this.call(...args);
    if (r instanceof Error) throw new Error(`${this.endpoint.host}:${this.endpoint.port}: ${args.slice(0, 2).join(' ')}: ${r.message}`);
    return r;
  }

  /** A command whose reply is text (CLUSTER NODES, INFO, MYID). */
  async text(...args: (string | number)[]): Promise<string> {
    const r = await this.ok(...args);
    if (typeof r !== 'string') throw new Error(`${this.endpoint.host}:${this.endpoint.port}: ${args.join(' ')} did not answer text`);
    return r;
  }

  close(): void {
    this.failure ??= new Error('closed');
    this.sock.destroy();
  }
}
