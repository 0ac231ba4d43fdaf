// RESP2/RESP3 encoder: turns typed replies (reply.ts) into bytes in a per-connection output buffer.
//
// Why a growable buffer instead of socket.write per reply: with pipelining a single read can carry
// hundreds of commands; encoding them all into one buffer and writing it once per event-loop turn
// (see Client.flush) keeps syscalls and allocations per command near zero. Byte strings are latin1
// JS strings, written with `latin1Write` straight into the buffer — no intermediate Buffer.

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

const INITIAL = 16 * 1024;
/** Above this size a flushed buffer is handed to the socket as-is rather than copied. */
const HANDOFF = 64 * 1024;
/** A write at least this large sizes the buffer exactly instead of doubling it. */
const HUGE = 64 * 1024 * 1024;

const CRLF = 0x0a0d; // "\r\n" little-endian for writeUInt16LE

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
    const s = String(n);
    this.ensure(s.length + 3);
    const b = this.buf;
    b[this.pos++] = prefix;
    this.pos += b.latin1Write(s, this.pos);
    b.writeUInt16LE(CRLF, this.pos);
    this.pos += 2;
  }

  private line(prefix: number, s: string): void {
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
    this.pos += this.buf.latin1Write(s, this.pos);
    this.buf.writeUInt16LE(CRLF, this.pos);
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
    this.pos += this.buf.latin1Write(s, this.pos);
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
