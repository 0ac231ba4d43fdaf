// One connected client: its socket, request parser, reply encoder and per-connection state
// (selected db, protocol version, auth, MULTI queue, WATCHed keys, subscriptions, blocking state).
//
// Data flows frame → parse → dispatch → reply: `onData` feeds the parser, every complete command goes
// to Server.execute, replies are encoded into the client's Encoder and flushed once per event-loop
// turn (Server.flushPending), so a pipeline of N commands costs one socket write.

import type { Socket } from 'node:net';
import { Encoder } from '../protocol/encoder.js';
import { RequestParser } from '../protocol/parser.js';
import { NO_REPLY, ProtocolError, PushReply, Reply } from '../protocol/reply.js';
import type { Command } from '../commands/table.js';
import type { Server } from './server.js';

export interface BlockState {
  /** db id and keys the client waits on. */
  db: number;
  keys: string[];
  /** Try to serve the client now; returns the reply, or undefined to keep waiting. */
  retry: () => Reply | undefined;
  /** Reply sent on timeout. */
  timeoutReply: Reply;
  timer: NodeJS.Timeout | null;
  /** The command that blocked (for stats and the write observer). */
  cmd: Command;
  args: string[];
}

export interface MultiState {
  queue: { cmd: Command; args: string[] }[];
  /** A queued command was rejected (unknown, arity…): EXEC answers EXECABORT. */
  aborted: boolean;
}

export class Client {
  readonly id: number;
  readonly enc = new Encoder(2);
  readonly parser: RequestParser;
  readonly createdAt = Date.now();
  readonly addr: string;
  readonly laddr: string;
  db = 0;
  authenticated: boolean;
  name = '';
  libName = '';
  libVer = '';
  lastInteraction = Date.now();
  lastCmd = 'NULL';
  multi: MultiState | null = null;
  /** Set when a WATCHed key was modified: EXEC fails with a null reply. */
  dirtyCas = false;
  /** WATCHed keys as (db, key) pairs. */
  readonly watched: { db: number; key: string }[] = [];
  readonly channels = new Set<string>();
  readonly patterns = new Set<string>();
  blocked: BlockState | null = null;
  /** Args held back while CLIENT PAUSE is in effect. */
  paused: string[] | null = null;
  monitor = false;
  /** CLIENT NO-EVICT / NO-TOUCH (accepted; shown in CLIENT LIST flags as `e` / `T`). */
  noEvict = false;
  noTouch = false;
  closing = false;
  /** True while this client's commands run inside EXEC or a function call (blocking ops don't block). */
  inExec = false;
  private pendingFlush = false;
  totalCommands = 0;
  /** Sequence number of this client's last write group in the AOF buffer (see Server.durableSeq). */
  lastWriteSeq = 0;

  constructor(
    readonly server: Server,
    readonly socket: Socket | null,
    id: number,
  ) {
    this.id = id;
    this.addr = socket ? `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}` : 'internal';
    this.laddr = socket ? `${socket.localAddress ?? '?'}:${socket.localPort ?? 0}` : 'internal';
    this.authenticated = server.config.get('requirepass') === '';
    // Before AUTH, Redis refuses large frames; the getter reads the live auth state.
    const client = this;
    this.parser = new RequestParser({
      maxBulkLen: server.config.get('proto-max-bulk-len') as number,
      get unauthenticated() {
        return !client.authenticated;
      },
    });
  }

  get subscriptionCount(): number {
    return this.channels.size + this.patterns.size;
  }

  get resp(): 2 | 3 {
    return this.enc.resp;
  }

  /** Encode a reply for this client; it goes out at the end of the event-loop turn. */
  write(r: Reply): void {
    if (r === NO_REPLY || this.closing || !this.socket) return;
    this.enc.write(r);
    if (!this.pendingFlush) {
      this.pendingFlush = true;
      this.server.markPending(this);
    }
  }

  /** Send a pub/sub style push (RESP3 `>`, RESP2 array). */
  push(items: Reply[]): void {
    this.write(new PushReply(items));
  }

  flush(): void {
    this.pendingFlush = false;
    if (!this.socket || this.socket.destroyed) return;
    // Nothing is acknowledged before the writes it confirms are in the AOF (one write, and with
    // appendfsync always one fsync, for everything this event-loop turn wrote).
    if (this.lastWriteSeq > this.server.durableSeq && !this.server.persistence.makeDurable(this)) return;
    const out = this.enc.take();
    if (out) {
      this.server.stats.netOutputBytes += out.length;
      this.socket.write(out);
    }
  }

  /** Socket data: parse and execute every complete command in it. */
  onData(chunk: Buffer): void {
    this.lastInteraction = Date.now();
    try {
      this.parser.feed(chunk, this.onCommand);
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.server.stats.protocolErrors++;
        this.server.log.debug({ client: this.id, err: err.message }, 'protocol error, closing client');
        this.write(err);
        this.closeAfterReply();
        return;
      }
      throw err;
    }
    const limit = this.server.config.get('client-query-buffer-limit') as number;
    if (this.parser.pending > limit) {
      this.server.log.warn({ client: this.id, qbuf: this.parser.pending }, 'closing client that reached max query buffer length');
      this.closeAfterReply();
    }
  }

  /** Called by the parser per command; returning false pauses parsing (blocked, paused, closing). */
  readonly onCommand = (args: string[]): boolean => {
    if (this.closing) return false;
    const r = this.server.execute(this, args);
    this.write(r);
    this.server.afterCommand();
    return !this.blocked && !this.paused && !this.closing;
  };

  /** Resume a client that was blocked or paused: run what it sent meanwhile. */
  resume(): void {
    if (this.blocked || this.paused || this.closing) return;
    try {
      this.parser.resume(this.onCommand);
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.write(err);
        this.closeAfterReply();
        return;
      }
      throw err;
    }
  }

  /** Flush what is pending, then close (QUIT, protocol errors, CLIENT KILL). */
  closeAfterReply(): void {
    if (this.closing) return;
    this.flush();
    this.closing = true;
    this.socket?.end();
  }
}
