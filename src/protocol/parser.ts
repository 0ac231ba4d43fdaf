// Incremental request parser: RESP multibulk (`*N $len …`) and inline commands (`PING\r\n` from nc).
//
// Why our own and not redis-parser: redis-parser parses *replies* for clients; it has no inline
// commands, no request limits (proto-max-bulk-len, multibulk count) and it hands out Buffers we would
// convert anyway. This parser yields each argument as a latin1 string (one char per byte, binary-safe)
// straight from the socket bytes, enforces Redis's limits with Redis's error texts, and assembles big
// bulks into one preallocated Buffer instead of re-concatenating. bench/parser.ts measures it against
// redis-parser on the same pipelined input.

import { randomBytes } from 'node:crypto';
import { constants as bufferConstants } from 'node:buffer';
import { ProtocolError } from './reply.js';
import { readLatin1 } from './latin1.js';

/**
 * The longest JS string V8 can make (2^29 - 24 chars in Node 20), a little below Redis's default
 * proto-max-bulk-len (512 MB). A bulk longer than this cannot become a latin1 string: the parser
 * hands it over as a Buffer in the big-argument side channel (RequestParser.bigArgs) instead.
 */
export const MAX_STRING = bufferConstants.MAX_STRING_LENGTH;

/**
 * Heap cost charged per completed argument of a multibulk in progress, on top of its bytes, when
 * the query buffer is measured: `*1000000` followed by tiny bulks costs a string header and an
 * array slot per argument, which must count against client-query-buffer-limit too.
 */
const ARG_OVERHEAD = 32;

/**
 * The argv entry standing for a big argument: an unguessable token (fresh random bytes per
 * argument), so no argument a client sends can be mistaken for one. The token is the key of the
 * argument's Buffer in the command's bigArgs map.
 */
export function bigPlaceholder(): string {
  return `\0big-argument:${randomBytes(12).toString('hex')}`;
}

export interface ParserLimits {
  /** proto-max-bulk-len: the largest bulk string accepted (Redis default 512 MB). */
  maxBulkLen: number;
  /** Before authentication Redis refuses huge frames (multibulk > 10, bulk > 16 KB). */
  unauthenticated: boolean;
}

/** PROTO_INLINE_MAX_SIZE: an inline command, or a `*`/`$` count line, may not exceed 64 KB. */
const INLINE_MAX = 64 * 1024;
/** Redis accepts a multibulk count up to INT_MAX. */
const MAX_MULTIBULK = 2147483647;
const BIG_BULK = 32 * 1024;
/** First allocation for a big bulk; it then doubles (amortised: each byte is copied about twice). */
const BIG_INITIAL = 256 * 1024;

/*
 * Behaviour copied from Redis 7.0's processInlineBuffer / processMultibulkBuffer (networking.c),
 * byte for byte where a client can observe it:
 *   - The CRLF after bulk data is not checked, only skipped: `$4\r\nPINGxx` takes "PING" and drops
 *     "xx"; whatever follows is parsed as the next request.
 *   - `*`/`$` counts are parsed with string2ll: no sign `+`, no leading zeros, no `-0`; a count line
 *     ends at the first `\r` and the byte after it is skipped unseen.
 *   - The `$` check happens only once the whole count line has arrived.
 *   - Line searches use strchr on the NUL-terminated query buffer, so a NUL byte before the line end
 *     hides the line end: Redis keeps waiting (and eventually answers "too big …").
 *   - Error texts, including 7.0.15's "unauthenticated multibulk/bulk length".
 */
export class RequestParser {
  private buf: Buffer = Buffer.alloc(0);
  private off = 0;
  // State of a multibulk in progress.
  private argsLeft = -1; // -1: at the start of a command
  private args: string[] = [];
  /** How many of args are filled. */
  private argi = 0;
  private bulkLen = -1;
  // A large bulk being assembled in place.
  private big: Buffer | null = null;
  private bigFilled = 0;
  /** Size the big bulk will have (data + CRLF); `big` grows towards it as bytes arrive. */
  private bigLen = 0;
  /**
   * Set when onCommand asked to stop (client blocked, paused or closing). Input that arrives
   * meanwhile is only buffered — like Redis, which does not process a blocked client's query
   * buffer — until resume() is called.
   */
  private stalled = false;
  /** Chunks that arrived while stalled, kept as they came (concatenating each would be O(n²)). */
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  /** Bytes (plus ARG_OVERHEAD each) of the arguments already parsed in the multibulk in progress. */
  private argBytes = 0;
  /** Set by discard(): the connection is closing, every later byte is dropped unparsed. */
  private dead = false;
  /** Big arguments of the multibulk in progress (placeholder → bytes). */
  private pendingBig: Map<string, Buffer> | null = null;
  /**
   * The big arguments (longer than MAX_STRING) of the command being delivered to onCommand, by
   * placeholder; null for every ordinary command. Valid only during the onCommand call.
   */
  bigArgs: Map<string, Buffer> | null = null;
  /** The last command name parsed (pushArg reuses it). */
  private lastName = '';

  constructor(private readonly limits: ParserLimits) {}

  /** Bytes received but not yet parsed (for the query-buffer limit and CLIENT LIST qbuf). */
  get pending(): number {
    return this.buf.length - this.off + (this.big ? this.bigFilled : 0) + this.queuedBytes + this.argBytes;
  }

  /** Drop everything buffered and ignore all later input (the connection is being closed). */
  discard(): void {
    this.dead = true;
    this.buf = EMPTY;
    this.off = 0;
    this.big = null;
    this.bigFilled = 0;
    this.args = [];
    this.argsLeft = -1;
    this.queued = [];
    this.queuedBytes = 0;
    this.argBytes = 0;
    this.pendingBig = null;
    this.bigArgs = null;
  }

  /** Hand a complete command to onCommand, with its big arguments in bigArgs meanwhile. */
  private deliver(onCommand: (args: string[]) => boolean | void): boolean {
    const args = this.args;
    this.args = EMPTY_ARGS;
    this.argi = 0;
    this.argsLeft = -1;
    this.argBytes = 0;
    this.bigArgs = this.pendingBig;
    this.pendingBig = null;
    try {
      return onCommand(args) !== false;
    } finally {
      this.bigArgs = null;
    }
  }

  /** A bulk's bytes as an argument: a latin1 string, or a placeholder for a Buffer too long for one. */
  private pushArg(buf: Buffer, start: number, end: number): void {
    const len = end - start;
    this.argBytes += len + ARG_OVERHEAD;
    if (len <= MAX_STRING) {
      // A command name is usually the previous command's (a pipeline of SETs): the same string is
      // reused when the bytes match, sparing a string per command, and the command table's lookup
      // then finds it by identity.
      if (this.argi === 0 && len <= 16) {
        const last = this.lastName;
        if (last.length === len) {
          let i = 0;
          while (i < len && last.charCodeAt(i) === buf[start + i]) i++;
          if (i === len) {
            this.args[this.argi++] = last;
            return;
          }
        }
        this.args[this.argi++] = this.lastName = readLatin1(buf, start, end);
        return;
      }
      this.args[this.argi++] = readLatin1(buf, start, end);
      return;
    }
    const ph = bigPlaceholder();
    (this.pendingBig ??= new Map()).set(ph, start === 0 && end === buf.length ? buf : buf.subarray(start, end));
    this.args[this.argi++] = ph;
  }

  /**
   * Feed a chunk; calls `onCommand` for every complete command in order. Throws ProtocolError on a
   * malformed frame: the connection answers it and closes, as Redis does.
   */
  feed(chunk: Buffer, onCommand: (args: string[]) => boolean | void): void {
    if (this.dead) return;
    if (this.stalled) {
      this.queued.push(chunk);
      this.queuedBytes += chunk.length;
      return;
    }
    this.feedNow(chunk, onCommand);
  }

  private feedNow(chunk: Buffer, onCommand: (args: string[]) => boolean | void): void {
    if (this.big) {
      const n = Math.min(this.bigLen - this.bigFilled, chunk.length);
      this.growBig(this.bigFilled + n);
      chunk.copy(this.big, this.bigFilled, 0, n);
      this.bigFilled += n;
      if (this.bigFilled < this.bigLen) return;
      const big = this.big;
      this.big = null;
      this.bigFilled = 0;
      // The two bytes after the data (normally CRLF) are skipped without looking, like Redis.
      this.pushArg(big, 0, this.bigLen - 2);
      this.bulkLen = -1;
      this.argsLeft--;
      chunk = chunk.subarray(n);
      if (this.argsLeft === 0) {
        if (!this.deliver(onCommand)) {
          this.stalled = true;
          this.buf = chunk;
          this.off = 0;
          return;
        }
      }
    }
    if (this.off < this.buf.length) {
      this.buf = Buffer.concat([this.buf.subarray(this.off), chunk]);
    } else {
      this.buf = chunk;
    }
    this.off = 0;
    if (this.stalled) return;
    this.parseBuffered(onCommand);
  }

  /** Make room in the big bulk buffer for `n` bytes (n <= bigLen). */
  private growBig(n: number): void {
    const big = this.big!;
    if (n <= big.length) return;
    const next = Buffer.allocUnsafe(Math.min(this.bigLen, Math.max(n, big.length * 2)));
    big.copy(next, 0, 0, this.bigFilled);
    this.big = next;
  }

  /** Bytes the parser holds allocated for input (CLIENT LIST qbuf + qbuf-free). */
  get allocated(): number {
    return this.big ? this.big.length : this.buf.length;
  }

  /** Continue parsing what is buffered (after a client paused by a blocking command is released). */
  resume(onCommand: (args: string[]) => boolean | void): void {
    if (this.dead) return;
    this.parseBuffered(onCommand);
    // Then what arrived while stalled, chunk by chunk, until the next stall.
    let i = 0;
    while (!this.stalled && !this.dead && i < this.queued.length) {
      const c = this.queued[i++];
      this.queuedBytes -= c.length;
      this.feedNow(c, onCommand);
    }
    if (i > 0 && !this.dead) this.queued.splice(0, i);
  }

  /** Parse what `buf` holds, until it runs out or onCommand stalls. */
  private parseBuffered(onCommand: (args: string[]) => boolean | void): void {
    this.stalled = false;
    this.parse(onCommand);
    if (this.off >= this.buf.length) {
      this.buf = EMPTY;
      this.off = 0;
    }
  }

  private parse(onCommand: (args: string[]) => boolean | void): void {
    const buf = this.buf;
    const end = buf.length;
    while (this.off < end) {
      if (this.argsLeft === -1) {
        if (buf[this.off] !== 0x2a /* * */) {
          // Inline command: one line, split like sdssplitargs.
          let nl = buf.indexOf(0x0a, this.off);
          if (nl >= 0 && hasNul(buf, this.off, nl)) nl = -1;
          if (nl < 0) {
            if (end - this.off > INLINE_MAX) throw new ProtocolError('too big inline request');
            return;
          }
          let lineEnd = nl;
          if (lineEnd > this.off && buf[lineEnd - 1] === 0x0d) lineEnd--;
          const line = buf.latin1Slice(this.off, lineEnd);
          const args = splitInline(line);
          if (args === null) throw new ProtocolError('unbalanced quotes in request');
          this.off = nl + 1;
          if (args.length === 0) continue;
          if (onCommand(args) === false) {
            this.stalled = true;
            return;
          }
          continue;
        }
        const nl = findCR(buf, this.off, end, true);
        if (nl < 0) {
          if (end - this.off > INLINE_MAX) throw new ProtocolError('too big mbulk count string');
          return;
        }
        if (nl + 1 >= end) return; // the byte after `\r` has not arrived yet
        const n = string2ll(buf, this.off + 1, nl);
        if (n === null || n > MAX_MULTIBULK) throw new ProtocolError('invalid multibulk length');
        if (n > 10 && this.limits.unauthenticated) {
          throw new ProtocolError('unauthenticated multibulk length');
        }
        this.off = nl + 2;
        if (n <= 0) continue; // `*0` / `*-1`: nothing to run, like Redis
        this.argsLeft = n;
        // Sized once from the header: a command's argv costs one array of exactly its length
        // (growing an empty one by push allocated a 17-slot backing store for a 3-word SET).
        // At most 1024 up front, as Redis's processMultibulkBuffer: a header alone must not make
        // the server allocate for a million arguments that may never come; past that it grows.
        this.args = new Array<string>(n <= 1024 ? n : 1024);
        this.argi = 0;
        this.argBytes = 0;
      }
      // Inside a multibulk.
      while (this.argsLeft > 0) {
        if (this.bulkLen === -1) {
          if (this.off >= end) return;
          const nl = findCR(buf, this.off, end, buf[this.off] !== 0x24 /* $ */);
          if (nl < 0) {
            if (end - this.off > INLINE_MAX) throw new ProtocolError('too big bulk count string');
            return;
          }
          if (nl + 1 >= end) return;
          if (buf[this.off] !== 0x24 /* $ */) {
            throw new ProtocolError(`expected '$', got '${String.fromCharCode(buf[this.off])}'`);
          }
          const len = string2ll(buf, this.off + 1, nl);
          if (len === null || len < 0 || len > this.limits.maxBulkLen) {
            if (hasNul(buf, this.off, nl)) {
              // strchr would have stopped at the NUL: Redis is still waiting for the line end.
              if (end - this.off > INLINE_MAX) throw new ProtocolError('too big bulk count string');
              return;
            }
            throw new ProtocolError('invalid bulk length');
          }
          if (len > 16384 && this.limits.unauthenticated) {
            throw new ProtocolError('unauthenticated bulk length');
          }
          this.off = nl + 2;
          this.bulkLen = len;
        }
        const avail = end - this.off;
        if (avail < this.bulkLen + 2) {
          if (this.bulkLen >= BIG_BULK) {
            // Assemble the bulk in one buffer; later chunks are copied straight in. It starts small
            // and doubles as data arrives: Redis 7.0 reserves the whole announced length at once,
            // but here a `$536870912` header alone would then allocate 512 MB, per connection —
            // a few such clients exhaust memory, and a failed allocation throws out of onData.
            this.bigLen = this.bulkLen + 2;
            this.big = Buffer.allocUnsafe(Math.min(this.bigLen, Math.max(BIG_INITIAL, avail * 2)));
            buf.copy(this.big, 0, this.off, end);
            this.bigFilled = avail;
            this.off = end;
          }
          return;
        }
        // The two bytes after the data (normally CRLF) are skipped without looking, like Redis.
        this.pushArg(buf, this.off, this.off + this.bulkLen);
        this.off += this.bulkLen + 2;
        this.bulkLen = -1;
        this.argsLeft--;
      }
      if (!this.deliver(onCommand)) {
        this.stalled = true;
        return;
      }
    }
  }
}

const EMPTY = Buffer.alloc(0);
/** args between commands (never written: a multibulk header makes a new array). */
const EMPTY_ARGS: string[] = [];

/**
 * The index of the first CR in buf[from, end), or -1; with `nulStops`, also -1 when a NUL comes
 * first (Redis finds line ends with strchr, which stops there). Header lines (`*3`, `$16`) are a few
 * bytes: they are scanned here, as a call into C++ (Buffer.indexOf) costs more than the scan; a line
 * longer than that goes on with indexOf.
 */
function findCR(buf: Buffer, from: number, end: number, nulStops: boolean): number {
  const stop = from + 24 < end ? from + 24 : end;
  let i = from;
  for (; i < stop; i++) {
    const c = buf[i];
    if (c === 0x0d) return i;
    if (c === 0 && nulStops) return -1;
  }
  if (i === end) return -1;
  const nl = buf.indexOf(0x0d, i);
  if (nl >= 0 && nulStops && hasNul(buf, i, nl)) return -1;
  return nl;
}

/** Whether buf[start, end) holds a NUL byte. */
function hasNul(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] === 0) return true;
  return false;
}

/**
 * Redis's string2ll on buf[start, end): an optional `-`, then `0` alone or a digit 1-9 followed by
 * digits, at most 20 characters, within the range of a signed 64-bit integer. null when invalid.
 * Values beyond 2^53 lose precision, which is harmless: every caller compares against limits far
 * below that.
 */
function string2ll(buf: Buffer, start: number, end: number): number | null {
  const len = end - start;
  if (len <= 0 || len >= 21) return null;
  if (len === 1 && buf[start] === 0x30) return 0;
  let i = start;
  let neg = false;
  if (buf[i] === 0x2d) {
    neg = true;
    i++;
    if (i === end) return null;
  }
  if (buf[i] < 0x31 || buf[i] > 0x39) return null;
  let n = 0;
  for (; i < end; i++) {
    const c = buf[i] - 0x30;
    if (c < 0 || c > 9) return null;
    n = n * 10 + c;
  }
  if (n >= 9223372036854775807) {
    // Near the 64-bit limit: decide exactly.
    const v = BigInt(buf.latin1Slice(neg ? start + 1 : start, end));
    if (neg ? v > 9223372036854775808n : v > 9223372036854775807n) return null;
  }
  return neg ? -n : n;
}

function isHex(c: string): boolean {
  return /^[0-9a-fA-F]$/.test(c);
}

/** C's isspace in the "C" locale (JS's \s also matches NBSP \xa0, which Redis does not split on). */
function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\v' || c === '\f';
}

/**
 * Split an inline command line like Redis's sdssplitargs: spaces separate arguments, "double quotes"
 * understand \n \r \t \b \a \\ \" and \xHH, 'single quotes' only \'. A closing quote must be followed
 * by a space or the end of the line. Returns null on unbalanced quotes. (A line holding a NUL byte
 * never gets here: the parser treats it as incomplete, like Redis's strchr-based line search.)
 */
export function splitInline(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  while (true) {
    while (i < n && isSpace(line[i])) i++;
    if (i >= n) return out;
    let cur = '';
    let inDq = false;
    let inSq = false;
    let done = false;
    while (!done) {
      const c = line[i];
      if (inDq) {
        if (i >= n) return null;
        if (c === '\\' && line[i + 1] === 'x' && isHex(line[i + 2] ?? '') && isHex(line[i + 3] ?? '')) {
          cur += String.fromCharCode(parseInt(line.slice(i + 2, i + 4), 16));
          i += 3;
        } else if (c === '\\' && i + 1 < n) {
          i++;
          const e = line[i];
          cur += e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === 'b' ? '\b' : e === 'a' ? '\x07' : e;
        } else if (c === '"') {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          done = true;
        } else {
          cur += c;
        }
      } else if (inSq) {
        if (i >= n) return null;
        if (c === '\\' && line[i + 1] === "'") {
          i++;
          cur += "'";
        } else if (c === "'") {
          if (i + 1 < n && !isSpace(line[i + 1])) return null;
          done = true;
        } else {
          cur += c;
        }
      } else {
        if (i >= n || c === ' ' || c === '\n' || c === '\r' || c === '\t' || c === '\0') {
          done = true;
          i--; // do not consume the separator twice
        } else if (c === '"') {
          inDq = true;
        } else if (c === "'") {
          inSq = true;
        } else {
          cur += c;
        }
      }
      i++;
    }
    out.push(cur);
  }
}
