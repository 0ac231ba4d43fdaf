// One connected client: its socket, request parser, reply encoder and per-connection state
// (selected db, protocol version, auth, MULTI queue, WATCHed keys, subscriptions, blocking state).
//
// Data flows frame → parse → dispatch → reply: `onData` feeds the parser, every complete command goes
// to Server.execute, replies are encoded into the client's Encoder and flushed once per event-loop
// turn (Server.flushPending), so a pipeline of N commands costs one socket write.
//
// Output that the kernel has not accepted yet waits in Node's socket buffer (socket.writableLength).
// Two things keep it bounded, both checked in flush — once per write, never per command:
//   - client-output-buffer-limit, as in Redis: a client whose unsent output reaches its class's hard
//     limit (or stays over the soft limit too long) is closed, counted and logged like Redis.
//   - Backpressure on the client's own input, which Redis does not have: Redis keeps executing a
//     client's pipeline however much output piles up (normal clients are unlimited by default), so
//     one client that never reads can grow the server's memory without bound. Lodestone stops
//     reading and parsing that client's input once OUTPUT_PAUSE bytes are waiting, and resumes when
//     the socket drains. Its replies are unchanged, only later; other clients are unaffected. It
//     cannot bound output the client does not cause itself (pub/sub messages, MONITOR): that is
//     what the pubsub limit is for. Also, a pipeline stops after REPLY_BATCH bytes of replies
//     within one event-loop turn and continues on the next, so one client's huge pipeline cannot
//     hold the loop (and memory) while the others wait.

import type { Socket } from 'node:net';
import { Encoder } from '../protocol/encoder.js';
import { RequestParser } from '../protocol/parser.js';
import { NO_REPLY, ProtocolError, PushReply, Reply } from '../protocol/reply.js';
import type { Command } from '../commands/table.js';
import type { AclUser } from '../acl/acl.js';
import type { Server } from './server.js';

/** Unsent output (bytes) at which the client's input is paused until its socket drains. */
export const OUTPUT_PAUSE = 8 * 1024 * 1024;
/** Reply bytes one client may produce in one event-loop turn before its pipeline yields. */
export const REPLY_BATCH = 1024 * 1024;
/**
 * Both of the above for a client that has not authenticated (requirepass set): it can only get
 * -NOAUTH and the few no_auth commands, so it gets little room — a crowd of them that pipeline and
 * never read must not cost the server 8 MB each.
 */
export const UNAUTH_OUTPUT_PAUSE = 64 * 1024;
/** How long a closing connection may take to accept its last reply before it is dropped anyway. */
export const CLOSE_GRACE_MS = 2000;

export interface BlockState {
  /** db id and keys the client waits on. */
  db: number;
  keys: string[];
  /**
   * Try to serve the client from `key`, one of its keys that became ready; returns the reply, or
   * undefined to keep waiting. Like Redis, a client is served from the key signalled first, not
   * from the first of its keys that has data.
   */
  retry: (key: string) => Reply | undefined;
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
  /** The ACL user the connection is authenticated as (the default user until AUTH). */
  user: AclUser;
  /**
   * Redis's redactClientCommandArgument: set by a handler (AUTH, HELLO AUTH, CONFIG SET requirepass,
   * ACL SETUSER) to the argument indexes that SLOWLOG and MONITOR show as `(redacted)`; dispatch
   * clears it before every command, so it costs one assignment per call.
   */
  redacted: number[] | null = null;
  /** Close once the current command's reply is written (the client's own user was deleted). */
  closeAfterCommand = false;
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
  /** SSUBSCRIBE channels (sharded pub/sub). */
  readonly shardChannels = new Set<string>();
  /** CLIENT TRACKING state: TRACKING_* bits (src/server/tracking.ts), 0 while off. */
  tracking = 0;
  /** CLIENT TRACKING … REDIRECT id (0: none). */
  trackingRedirect = 0;
  /** BCAST prefixes, null when none. */
  trackingPrefixes: Set<string> | null = null;
  blocked: BlockState | null = null;
  /** Args held back while CLIENT PAUSE is in effect. */
  paused: string[] | null = null;
  monitor = false;
  /** Replication: 'slave' for a replica connected to us (it gets the stream, no replies), 'master' for our master's stream. */
  replRole: '' | 'slave' | 'master' = '';
  /** CLIENT NO-EVICT / NO-TOUCH (accepted; shown in CLIENT LIST flags as `e` / `T`). */
  noEvict = false;
  noTouch = false;
  closing = false;
  /** Cluster mode: ASKING was sent (the next command may use an importing slot), READONLY is on. */
  asking = false;
  readonlyCluster = false;
  /**
   * The big arguments (longer than a JS string can be, see parser.ts) of the command being
   * executed, by their placeholder in argv; null for ordinary commands. Dispatch refuses them for
   * commands that do not read them (commands/bigstring.ts).
   */
  bigArgs: Map<string, Buffer> | null = null;
  /** True while this client's commands run inside EXEC or a function call (blocking ops don't block). */
  inExec = false;
  /** True while a Lua script runs for this client (Redis's CLIENT_SCRIPT): XREAD BLOCK refuses. */
  inScript = false;
  private pendingFlush = false;
  totalCommands = 0;
  /** Sequence number of this client's last write group in the AOF buffer (see Server.durableSeq). */
  lastWriteSeq = 0;
  /** Socket writes not yet completed (CLIENT LIST oll). */
  writesPending = 0;
  /** When the output first reached the soft limit (ms), 0 while below it. */
  private softLimitSince = 0;
  /**
   * Input held back for the output (see the top of this file): 'batch' when a pipeline has
   * produced REPLY_BATCH bytes this turn, 'resuming' once a resume is scheduled, 'drain' while the
   * socket is paused waiting for the client to read.
   */
  private throttle: '' | 'batch' | 'resuming' | 'drain' = '';

  constructor(
    readonly server: Server,
    readonly socket: Socket | null,
    id: number,
  ) {
    this.id = id;
    this.addr = socket ? `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}` : 'internal';
    this.laddr = socket ? `${socket.localAddress ?? '?'}:${socket.localPort ?? 0}` : 'internal';
    // createClient: the default user, authenticated when it needs no password and is enabled.
    const d = server.acl.defaultUser;
    this.user = d;
    this.authenticated = d.nopass && d.enabled;
    // Before AUTH, Redis refuses large frames; the getter reads the live auth state.
    const client = this;
    this.parser = new RequestParser({
      maxBulkLen: server.config.get('proto-max-bulk-len') as number,
      get unauthenticated() {
        return !client.authenticated;
      },
    });
  }

  /** All subscriptions, shard channels included: non-zero is Redis's CLIENT_PUBSUB (pub/sub mode). */
  get subscriptionCount(): number {
    return this.channels.size + this.patterns.size + this.shardChannels.size;
  }

  get resp(): 2 | 3 {
    return this.enc.resp;
  }

  /** CLIENT REPLY OFF: nothing is sent (Redis's CLIENT_REPLY_OFF). */
  replyOff = false;
  /** CLIENT REPLY SKIP: the command running now gets no reply (CLIENT_REPLY_SKIP) … */
  replySkip = false;
  /** … set by CLIENT REPLY SKIP for the command after it (CLIENT_REPLY_SKIP_NEXT). */
  replySkipNext = false;

  /** Replies written but not sent yet (Redis's clientHasPendingReplies: an earlier command of a pipeline). */
  get hasPendingReplies(): boolean {
    return this.pendingFlush;
  }

  /** Encode a reply for this client; it goes out at the end of the event-loop turn. */
  write(r: Reply): void {
    if (this.replyOff || this.replySkip) return;
    this.emit(r);
  }

  private emit(r: Reply): void {
    if (r === NO_REPLY || this.closing || !this.socket) return;
    this.enc.write(r);
    if (!this.pendingFlush) {
      this.pendingFlush = true;
      this.server.markPending(this);
    }
  }

  /** Redact arguments `from` … argc-1 in SLOWLOG and MONITOR (ACL SETUSER). */
  redactFrom(from: number, argc: number): void {
    const r = (this.redacted ??= []);
    for (let i = from; i < argc; i++) r.push(i);
  }

  /** Redact one argument in SLOWLOG and MONITOR (redactClientCommandArgument). */
  redact(i: number): void {
    (this.redacted ??= []).push(i);
  }

  /**
   * Send a pub/sub style push (RESP3 `>`, RESP2 array): subscription confirmations, messages,
   * tracking invalidations. Like Redis's CLIENT_PUSHING, they go out even under CLIENT REPLY OFF / SKIP.
   */
  push(items: Reply[]): void {
    this.emit(new PushReply(items));
  }

  flush(): void {
    this.pendingFlush = false;
    const sock = this.socket;
    if (!sock || sock.destroyed) return;
    // Nothing is acknowledged before the writes it confirms are in the AOF: the client waits for the
    // iteration's one write (and with appendfsync always one fsync), see Persistence.makeDurable.
    if (this.lastWriteSeq > this.server.durableSeq && !this.server.persistence.makeDurable(this)) return;
    const out = this.enc.take();
    if (out) {
      this.server.stats.netOutputBytes += out.length;
      this.writesPending++;
      sock.write(out, this.onWritten);
    }
    // What the kernel did not take stays in Node's buffer. enc.pos is normally 0 right after take();
    // it is counted so the measure stays "everything not yet sent" wherever flush is called from.
    const unsent = sock.writableLength + this.enc.pos;
    if (unsent === 0) {
      this.softLimitSince = 0;
    } else if (this.overOutputLimit(unsent)) {
      this.closeForOutputLimit();
      return;
    }
    const pauseAt = this.authenticated ? OUTPUT_PAUSE : UNAUTH_OUTPUT_PAUSE;
    if (this.throttle === 'batch' || (this.throttle === '' && unsent >= pauseAt)) {
      if (unsent >= pauseAt) {
        this.throttle = 'drain';
        sock.pause();
        sock.once('drain', this.unthrottle);
      } else {
        this.throttle = 'resuming';
        setImmediate(this.unthrottle);
      }
    }
  }

  private readonly onWritten = (): void => {
    this.writesPending--;
  };

  /** Redis's checkClientOutputBufferLimits: the class is pubsub while subscribed, else normal. */
  private overOutputLimit(unsent: number): boolean {
    const limits = this.server.outputLimits;
    const l = this.subscriptionCount > 0 ? limits.pubsub : limits.normal;
    if (l.hard > 0 && unsent >= l.hard) return true;
    if (l.soft > 0 && unsent >= l.soft) {
      const now = Date.now();
      if (this.softLimitSince === 0) {
        this.softLimitSince = now;
        return false;
      }
      // Redis compares whole seconds (server.unixtime); milliseconds here.
      return now - this.softLimitSince > l.softSeconds * 1000;
    }
    this.softLimitSince = 0;
    return false;
  }

  /** Like Redis's freeClientAsync for output limits: drop what is unsent, close, count, log. */
  private closeForOutputLimit(): void {
    this.server.stats.outputLimitDisconnections++;
    this.server.log.warn(
      { client: this.id, omem: this.socket!.writableLength },
      `Client ${this.server.describeClient(this)} scheduled to be closed ASAP for overcoming of output buffer limits.`,
    );
    this.closing = true;
    this.socket!.destroy();
  }

  /** Take input again once the output has gone out (or on the next turn, after a batch). */
  private readonly unthrottle = (): void => {
    if (this.throttle === '') return;
    const wasPaused = this.throttle === 'drain';
    this.throttle = '';
    if (this.closing || !this.socket || this.socket.destroyed) return;
    if (wasPaused) this.socket.resume();
    this.resume();
  };

  /** Socket data: parse and execute every complete command in it. */
  onData(chunk: Buffer): void {
    // A closing connection is not read any more (closeAfterReply paused it); a chunk already on
    // its way is dropped unparsed.
    if (this.closing) return;
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
      // Nothing a client sends may throw out of the event loop: close this client, keep serving.
      this.abort(err);
      return;
    }
    const limit = this.server.config.get('client-query-buffer-limit') as number;
    if (this.parser.pending > limit) {
      this.server.stats.queryLimitDisconnections++;
      this.server.log.warn({ client: this.id, qbuf: this.parser.pending }, 'closing client that reached max query buffer length');
      this.closeAfterReply();
    }
  }

  /** Called by the parser per command; returning false pauses parsing (blocked, paused, closing). */
  readonly onCommand = (args: string[]): boolean => {
    if (this.closing) return false;
    this.bigArgs = this.parser.bigArgs;
    const r = this.server.execute(this, args);
    // A command held by CLIENT PAUSE keeps its big arguments until it runs (Server.unpause).
    if (!this.paused) this.bigArgs = null;
    this.write(r);
    if (!this.paused) this.commandDone();
    if (this.closeAfterCommand) this.closeAfterReply();
    this.server.afterCommand();
    if (this.enc.pos >= (this.authenticated ? REPLY_BATCH : UNAUTH_OUTPUT_PAUSE) && this.throttle === '') {
      this.throttle = 'batch';
    }
    return !this.blocked && !this.paused && !this.closing && this.throttle === '';
  };

  /** After a command's reply (Redis's resetClient): CLIENT REPLY SKIP takes effect for the next one. */
  commandDone(): void {
    if (!this.replySkip && !this.replySkipNext) return;
    this.replySkip = this.replySkipNext;
    this.replySkipNext = false;
  }

  /** Output waiting in Node's socket buffer (CLIENT LIST omem, INFO clients). */
  get outputPending(): number {
    return this.socket ? this.socket.writableLength : 0;
  }

  /** Resume a client that was blocked or paused: run what it sent meanwhile. */
  resume(): void {
    if (this.blocked || this.paused || this.closing || this.throttle !== '') return;
    try {
      this.parser.resume(this.onCommand);
    } catch (err) {
      if (err instanceof ProtocolError) {
        this.server.stats.protocolErrors++;
        this.write(err);
        this.closeAfterReply();
        return;
      }
      this.abort(err);
    }
  }

  /**
   * Flush what is pending, then close (QUIT, protocol errors, CLIENT KILL, query buffer limit).
   * Like Redis's CLIENT_CLOSE_AFTER_REPLY, nothing more is read or parsed: the socket is paused,
   * the parser's buffers are dropped, and the connection is destroyed as soon as the last reply is
   * handed to the kernel — or after CLOSE_GRACE_MS if the peer does not read it.
   */
  closeAfterReply(): void {
    if (this.closing) return;
    // The reply goes out now, so the writes it acknowledges must be in the AOF now (QUIT after SET).
    if (this.lastWriteSeq > this.server.durableSeq) this.server.persistence.flushAof();
    this.flush();
    this.closing = true;
    this.bigArgs = null;
    this.parser.discard();
    const sock = this.socket;
    if (!sock || sock.destroyed) return;
    sock.pause();
    sock.once('finish', () => sock.destroy());
    const t = setTimeout(() => sock.destroy(), CLOSE_GRACE_MS);
    t.unref();
    sock.once('close', () => clearTimeout(t));
    sock.end();
  }

  /** Close at once after an unexpected exception while serving this client (see Server.accept). */
  abort(err: unknown): void {
    this.server.log.error(
      { client: this.id, err: err instanceof Error ? (err.stack ?? err.message) : String(err) },
      'unexpected error while serving a client, closing it',
    );
    this.closing = true;
    this.bigArgs = null;
    this.parser.discard();
    this.socket?.destroy();
  }
}
