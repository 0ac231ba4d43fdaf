// RESP2/RESP3 encoder: turns typed replies (reply.ts) into bytes in a per-connection output buffer.
//
// Why a growable buffer instead of socket.write per reply: with pipelining a single read can carry
// hundreds of commands; encoding them all into one buffer and writing it once per event-loop turn
// (see Client.flush) keeps syscalls and allocations per command near zero. Byte strings are latin1
// JS strings, written straight into the buffer (latin1.ts: a JS loop when short, latin1Write
// otherwise) — no intermediate Buffer.

import {
  AttributeReply,
  BigNumberReply,
  BooleanReply,
  DoubleReply,
  MapReply,
  NIL_ARRAY,
  NO_REPLY,
  PushReply,
  Reply,
  ReplyError,
  SetReply,
  Status,
  VerbatimReply,
} from './reply.js';
import { writeLatin1 } from './latin1.js';

const INITIAL = 16 * 1024;
/** Above this size a flushed buffer is handed to the socket as-is rather than copied. */
const HANDOFF = 64 * 1024;
/** A write at least this large sizes the buffer exactly instead of doubling it. */
const HUGE = 64 * 1024 * 1024;

const CRLF = 0x0a0d; // "\r\n" little-endian for writeUInt16LE
/**
 * Strings up to this length are copied into the buffer by a JS loop: latin1Write is a call into
 * C++ that costs ~150 ns whatever the length (measured: "+OK\r\n" took 230 ns, a 3-byte bulk 415 ns).
 */
const SHORT = 64;

/** Write the decimal digits of a non-negative integer below 1e15 at b[p]; returns how many. */
function writeDigits(b: Buffer, p: number, n: number): number {
  if (n < 10) {
    b[p] = 0x30 + n;
    return 1;
  }
  let len = 1;
  if (n < 2147483648) {
    // Int32 arithmetic: the common case (lengths, counters) without float division.
    for (let t = n; t >= 10; t = (t / 10) | 0) len++;
    for (let i = p + len - 1, v = n; i >= p; i--) {
      const q = (v / 10) | 0;
      b[i] = 0x30 + (v - q * 10);
      v = q;
    }
    return len;
  }
  for (let t = n; t >= 10; t = Math.floor(t / 10)) len++;
  for (let i = p + len - 1; i >= p; i--) {
    const q = Math.floor(n / 10);
    b[i] = 0x30 + (n - q * 10);
    n = q;
  }
  return len;
}

/**
 * Format a double the way Redis 7.0 does for replies (`%.17g`), with `inf`/`-inf`/`nan`.
 * RESP2 sends it as a bulk string (ZSCORE, ZINCRBY), RESP3 as `,`.
 */
export function formatDouble(d: number): string {
  if (Number.isNaN(d)) return 'nan';
  if (d === Infinity) return 'inf';
  if (d === -Infinity) return '-inf';
  if (Number.isInteger(d) && Math.abs(d) < 1e17) return d === 0 && 1 / d < 0 ? '-0' : String(d);
  // %.17g: 17 significant digits, exponent form when exp < -4 or exp >= 17, trailing zeros removed.
  const exp = Math.floor(Math.log10(Math.abs(d)));
  if (exp < -4 || exp >= 17) {
    let [mant, e] = d.toExponential(16).split('e');
    if (mant.includes('.')) mant = mant.replace(/0+$/, '').replace(/\.$/, '');
    const en = Number(e);
    return `${mant}e${en < 0 ? '-' : '+'}${String(Math.abs(en)).padStart(2, '0')}`;
  }
  let s = d.toPrecision(17);
  if (s.includes('e')) s = d.toFixed(Math.max(0, 16 - exp));
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  return s;
}

export class Encoder {
  buf: Buffer = Buffer.allocUnsafe(INITIAL);
  pos = 0;

  constructor(public resp: 2 | 3 = 2) {}

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    let size = Math.max(INITIAL, this.buf.length * 2);
    while (size < this.pos + n) size *= 2;
    // A huge bulk (hundreds of MB) gets what it needs, not the next power of two (up to 2x more).
    if (n >= HUGE) size = this.pos + n + INITIAL;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  /** Take everything encoded so far as one Buffer the caller owns (for socket.write). */
  take(): Buffer | null {
    if (this.pos === 0) return null;
    let out: Buffer;
    if (this.pos >= HANDOFF) {
      out = this.buf.subarray(0, this.pos);
      this.buf = Buffer.allocUnsafe(INITIAL);
    } else {
      out = Buffer.allocUnsafe(this.pos);
      this.buf.copy(out, 0, 0, this.pos);
      if (this.buf.length > HANDOFF) this.buf = Buffer.allocUnsafe(INITIAL); // shrink after a burst
    }
    this.pos = 0;
    return out;
  }

  private header(prefix: number, n: number): void {
    // Lengths and most integers: digits written here. Other numbers (bigints, beyond 2^53) as text.
    if (typeof n === 'number' && n < 1e15 && n > -1e15 && n === Math.floor(n)) {
      this.ensure(20);
      const b = this.buf;
      let p = this.pos;
      b[p++] = prefix;
      if (n < 0) {
        b[p++] = 0x2d; // -
        n = -n;
      }
      p += writeDigits(b, p, n);
      b[p] = 0x0d;
      b[p + 1] = 0x0a;
      this.pos = p + 2;
      return;
    }
    const s = String(n);
    this.ensure(s.length + 3);
    const b = this.buf;
    b[this.pos++] = prefix;
    this.pos += b.latin1Write(s, this.pos);
    b.writeUInt16LE(CRLF, this.pos);
    this.pos += 2;
  }

  /** Write a latin1 string's bytes at pos (room ensured). */
  private latin1(s: string): void {
    writeLatin1(this.buf, this.pos, s, s.length);
    this.pos += s.length;
  }

  private line(prefix: number, s: string): void {
    const n = s.length;
    if (n <= SHORT) {
      // The common case (OK, QUEUED, PONG, short errors): one pass that copies the bytes and
      // stops at anything that needs the general path below (CR/LF, characters beyond latin1).
      this.ensure(n + 3);
      const b = this.buf;
      const p = this.pos;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c === 0x0d || c === 0x0a || c > 0xff) break;
        b[p + 1 + i] = c;
      }
      if (i === n) {
        b[p] = prefix;
        b[p + 1 + n] = 0x0d;
        b[p + 2 + n] = 0x0a;
        this.pos = p + n + 3;
        return;
      }
    }
    // Never CR/LF inside the line: Redis maps them to spaces too.
    if (s.indexOf('\r') >= 0 || s.indexOf('\n') >= 0) s = s.replace(/[\r\n]/g, ' ');
    // Status and error lines are usually byte strings (latin1, one char per byte), and often
    // quote the client's bytes: "unknown command 'ab\xe5c'", "expected '$', got '\xe5'" — Redis
    // sends those bytes back as they came. Only text with characters beyond latin1 (a message
    // written as Unicode) is sent as UTF-8.
    let wide = false;
    for (let i = 0; i < s.length; i++) {
      if (s.charCodeAt(i) > 0xff) {
        wide = true;
        break;
      }
    }
    this.ensure((wide ? Buffer.byteLength(s, 'utf8') : s.length) + 3);
    this.buf[this.pos++] = prefix;
    this.pos += wide ? this.buf.utf8Write(s, this.pos) : this.buf.latin1Write(s, this.pos);
    this.buf.writeUInt16LE(CRLF, this.pos);
    this.pos += 2;
  }

  bulk(s: string): void {
    const len = s.length;
    this.header(0x24 /* $ */, len);
    this.ensure(len + 2);
    this.latin1(s);
    const b = this.buf;
    b[this.pos] = 0x0d;
    b[this.pos + 1] = 0x0a;
    this.pos += 2;
  }

  bulkBuffer(b: Buffer): void {
    this.header(0x24, b.length);
    this.ensure(b.length + 2);
    b.copy(this.buf, this.pos);
    this.pos += b.length;
    this.buf.writeUInt16LE(CRLF, this.pos);
    this.pos += 2;
  }

  integer(n: number | bigint): void {
    this.header(0x3a /* : */, n as number);
  }

  nullBulk(): void {
    if (this.resp === 3) this.raw('_\r\n');
    else this.raw('$-1\r\n');
  }

  nullArray(): void {
    if (this.resp === 3) this.raw('_\r\n');
    else this.raw('*-1\r\n');
  }

  arrayHeader(n: number): void {
    this.header(0x2a /* * */, n);
  }

  status(s: string): void {
    this.line(0x2b /* + */, s);
  }

  error(e: ReplyError): void {
    this.line(0x2d /* - */, e.wire);
  }

  raw(s: string): void {
    this.ensure(s.length);
    this.latin1(s);
  }

  write(r: Reply): void {
    if (typeof r === 'string') return this.bulk(r);
    if (typeof r === 'number' || typeof r === 'bigint') return this.integer(r);
    if (r === null) return this.nullBulk();
    if (Array.isArray(r)) {
      this.arrayHeader(r.length);
      for (let i = 0; i < r.length; i++) this.write(r[i]);
      return;
    }
    if (r instanceof Status) return this.status(r.text);
    if (r instanceof ReplyError) return this.error(r);
    if (Buffer.isBuffer(r)) return this.bulkBuffer(r);
    if (r instanceof MapReply) {
      if (this.resp === 3) this.header(0x25 /* % */, r.flat.length / 2);
      else this.arrayHeader(r.flat.length);
      for (let i = 0; i < r.flat.length; i++) this.write(r.flat[i]);
      return;
    }
    if (r instanceof SetReply) {
      if (this.resp === 3) this.header(0x7e /* ~ */, r.items.length);
      else this.arrayHeader(r.items.length);
      for (let i = 0; i < r.items.length; i++) this.write(r.items[i]);
      return;
    }
    if (r instanceof DoubleReply) {
      const s = r.text ?? formatDouble(r.value);
      if (this.resp === 3) return this.line(0x2c /* , */, s);
      return this.bulk(s);
    }
    if (r instanceof BooleanReply) {
      if (this.resp === 3) this.raw(r.value ? '#t\r\n' : '#f\r\n');
      else this.integer(r.value ? 1 : 0);
      return;
    }
    if (r instanceof VerbatimReply) {
      if (this.resp === 3) {
        const body = 'txt:' + r.text;
        this.header(0x3d /* = */, Buffer.byteLength(body, 'utf8'));
        this.ensure(Buffer.byteLength(body, 'utf8') + 2);
        this.pos += this.buf.utf8Write(body, this.pos);
        this.buf.writeUInt16LE(CRLF, this.pos);
        this.pos += 2;
        return;
      }
      return this.bulkBuffer(Buffer.from(r.text, 'utf8'));
    }
    if (r instanceof PushReply) {
      if (this.resp === 3) this.header(0x3e /* > */, r.items.length);
      else this.arrayHeader(r.items.length);
      for (let i = 0; i < r.items.length; i++) this.write(r.items[i]);
      return;
    }
    if (r === NIL_ARRAY) return this.nullArray();
    if (r === NO_REPLY) return;
    if (r instanceof BigNumberReply) {
      if (this.resp === 3) return this.line(0x28 /* ( */, r.text);
      return this.bulk(r.text);
    }
    if (r instanceof AttributeReply) {
      if (this.resp === 3) {
        this.header(0x7c /* | */, r.attrs.length / 2);
        for (let i = 0; i < r.attrs.length; i++) this.write(r.attrs[i]);
      }
      return this.write(r.reply);
    }
    throw new Error(`cannot encode reply of type ${typeof r}`);
  }
}

/** Encode a reply to a standalone Buffer (used by the WASM `call` host function and tests). */
const shared = { 2: new Encoder(2), 3: new Encoder(3) };

export function encodeReply(r: Reply, resp: 2 | 3 = 2): Buffer {
  // One encoder per protocol version, reused: a fresh Encoder allocates a 16 KB buffer (outside
  // Node's pool) per reply, which dominated the cost of the WASM `call` host function and its GC.
  const e = shared[resp];
  e.pos = 0; // a previous encode that threw must not leak half a reply
  e.write(r);
  return e.take() ?? Buffer.alloc(0);
}
