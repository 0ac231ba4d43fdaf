// Incremental request parser: RESP multibulk (`*N $len …`) and inline commands (`PING\r\n` from nc).
//
// Why our own and not redis-parser: redis-parser parses *replies* for clients; it has no inline
// commands, no request limits (proto-max-bulk-len, multibulk count) and it hands out Buffers we would
// convert anyway. This parser yields each argument as a latin1 string (one char per byte, binary-safe)
// straight from the socket bytes, enforces Redis's limits with Redis's error texts, and assembles big
// bulks into one preallocated Buffer instead of re-concatenating. bench/parser.ts measures it against
// redis-parser on the same pipelined input.

import { ProtocolError } from './reply.js';

export interface ParserLimits {
  /** proto-max-bulk-len: the largest bulk string accepted (Redis default 512 MB). */
  maxBulkLen: number;
  /** Before authentication Redis refuses huge frames (multibulk > 10, bulk > 16 KB). */
  unauthenticated: boolean;
}

const INLINE_MAX = 64 * 1024;
const MAX_MULTIBULK = 1024 * 1024 * 1024; // Redis 7 allows up to INT_MAX; we cap at 1G elements
const BIG_BULK = 32 * 1024;

export class RequestParser {
  private buf: Buffer = Buffer.alloc(0);
  private off = 0;
  // State of a multibulk in progress.
  private argsLeft = -1; // -1: at the start of a command
  private args: string[] = [];
  private bulkLen = -1;
  // A large bulk being assembled in place.
  private big: Buffer | null = null;
  private bigFilled = 0;

  constructor(private readonly limits: ParserLimits) {}

  /** Bytes received but not yet parsed (for the query-buffer limit and CLIENT LIST qbuf). */
  get pending(): number {
    return this.buf.length - this.off + (this.big ? this.bigFilled : 0);
  }

  /**
   * Feed a chunk; calls `onCommand` for every complete command in order. Throws ProtocolError on a
   * malformed frame: the connection answers it and closes, as Redis does.
   */
  feed(chunk: Buffer, onCommand: (args: string[]) => boolean | void): void {
    if (this.big) {
      const need = this.big.length - this.bigFilled;
      const n = Math.min(need, chunk.length);
      chunk.copy(this.big, this.bigFilled, 0, n);
      this.bigFilled += n;
      if (this.bigFilled < this.big.length) return;
      const big = this.big;
      this.big = null;
      if (big[big.length - 2] !== 0x0d || big[big.length - 1] !== 0x0a) {
        throw new ProtocolError("expected '\\r\\n' after bulk data");
      }
      this.args.push(big.latin1Slice(0, big.length - 2));
      this.bulkLen = -1;
      this.argsLeft--;
      chunk = chunk.subarray(n);
      if (this.argsLeft === 0) {
        const args = this.args;
        this.args = [];
        this.argsLeft = -1;
        if (onCommand(args) === false) {
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
    this.resume(onCommand);
  }

  /** Continue parsing what is buffered (after a client paused by a blocking command is released). */
  resume(onCommand: (args: string[]) => boolean | void): void {
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
          const nl = buf.indexOf(0x0a, this.off);
          if (nl < 0) {
            if (end - this.off > INLINE_MAX) throw new ProtocolError('too big inline request');
            return;
          }
          let lineEnd = nl;
          if (lineEnd > this.off && buf[lineEnd - 1] === 0x0d) lineEnd--;
          const line = buf.latin1Slice(this.off, lineEnd);
          this.off = nl + 1;
          const args = splitInline(line);
          if (args === null) throw new ProtocolError('unbalanced quotes in request');
          if (args.length === 0) continue;
          if (onCommand(args) === false) return;
          continue;
        }
        const nl = buf.indexOf(0x0d, this.off);
        if (nl < 0 || nl + 1 >= end) {
          if (end - this.off > INLINE_MAX) throw new ProtocolError('too big mbulk count string');
          return;
        }
        const n = parseIntStrict(buf, this.off + 1, nl);
        if (n === null || n > MAX_MULTIBULK || (this.limits.unauthenticated && n > 10)) {
          throw new ProtocolError('invalid multibulk length');
        }
        this.off = nl + 2;
        if (n <= 0) continue; // `*0` / `*-1`: nothing to run, like Redis
        this.argsLeft = n;
        this.args = [];
      }
      // Inside a multibulk.
      while (this.argsLeft > 0) {
        if (this.bulkLen === -1) {
          if (this.off >= end) return;
          if (buf[this.off] !== 0x24 /* $ */) {
            throw new ProtocolError(`expected '$', got '${String.fromCharCode(buf[this.off])}'`);
          }
          const nl = buf.indexOf(0x0d, this.off);
          if (nl < 0 || nl + 1 >= end) {
            if (end - this.off > INLINE_MAX) throw new ProtocolError('too big bulk count string');
            return;
          }
          const len = parseIntStrict(buf, this.off + 1, nl);
          if (
            len === null ||
            len < 0 ||
            len > this.limits.maxBulkLen ||
            (this.limits.unauthenticated && len > 16384)
          ) {
            throw new ProtocolError('invalid bulk length');
          }
          this.off = nl + 2;
          this.bulkLen = len;
        }
        const avail = end - this.off;
        if (avail < this.bulkLen + 2) {
          if (this.bulkLen >= BIG_BULK) {
            // Assemble the bulk in one preallocated buffer; later chunks are copied straight in.
            this.big = Buffer.allocUnsafe(this.bulkLen + 2);
            buf.copy(this.big, 0, this.off, end);
            this.bigFilled = avail;
            this.off = end;
          }
          return;
        }
        if (buf[this.off + this.bulkLen] !== 0x0d || buf[this.off + this.bulkLen + 1] !== 0x0a) {
          throw new ProtocolError("expected '\\r\\n' after bulk data");
        }
        this.args.push(buf.latin1Slice(this.off, this.off + this.bulkLen));
        this.off += this.bulkLen + 2;
        this.bulkLen = -1;
        this.argsLeft--;
      }
      const args = this.args;
      this.args = [];
      this.argsLeft = -1;
      if (onCommand(args) === false) return;
    }
  }
}

const EMPTY = Buffer.alloc(0);

/** Parse a signed decimal integer in buf[start, end); null when it is not one. */
function parseIntStrict(buf: Buffer, start: number, end: number): number | null {
  if (start >= end || end - start > 18) return null;
  let neg = false;
  let i = start;
  if (buf[i] === 0x2d) {
    neg = true;
    i++;
    if (i === end) return null;
  }
  let n = 0;
  for (; i < end; i++) {
    const c = buf[i] - 0x30;
    if (c < 0 || c > 9) return null;
    n = n * 10 + c;
  }
  return neg ? -n : n;
}

function isHex(c: string): boolean {
  return /^[0-9a-fA-F]$/.test(c);
}

/**
 * Split an inline command line like Redis's sdssplitargs: spaces separate arguments, "double quotes"
 * understand \n \r \t \b \a \\ \" and \xHH, 'single quotes' only \'. A closing quote must be followed
 * by a space or the end of the line. Returns null on unbalanced quotes.
 */
export function splitInline(line: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  while (true) {
    while (i < n && /\s/.test(line[i])) i++;
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
          if (i + 1 < n && !/\s/.test(line[i + 1])) return null;
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
          if (i + 1 < n && !/\s/.test(line[i + 1])) return null;
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
