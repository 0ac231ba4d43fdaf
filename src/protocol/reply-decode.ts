// Decode one RESP2/RESP3 reply from bytes into a typed Reply. Used where a guest hands the host a
// ready-made reply (the WASM `reply_raw` host function, e.g. passing on what `call` returned).

import { DoubleReply, MapReply, NIL_ARRAY, Reply, ReplyError, SetReply, Status } from './reply.js';

export class ReplyDecodeError extends Error {}

/** Decode exactly one reply occupying all of `buf`. */
export function decodeReply(buf: Buffer): Reply {
  const [r, end] = decodeAt(buf, 0, 0);
  if (end !== buf.length) throw new ReplyDecodeError(`trailing bytes after reply (${buf.length - end})`);
  return r;
}

function line(buf: Buffer, off: number): [string, number] {
  const nl = buf.indexOf('\r\n', off, 'latin1');
  if (nl < 0) throw new ReplyDecodeError('truncated reply');
  return [buf.latin1Slice(off, nl), nl + 2];
}

function decodeAt(buf: Buffer, off: number, depth: number): [Reply, number] {
  if (depth > 64) throw new ReplyDecodeError('reply nested too deeply');
  if (off >= buf.length) throw new ReplyDecodeError('truncated reply');
  const t = buf[off];
  const [text, next] = line(buf, off + 1);
  switch (t) {
    case 0x2b: // +
      return [new Status(text), next];
    case 0x2d: // -
      return [ReplyError.fromWire(text), next];
    case 0x3a: {
      // :
      if (!/^-?\d+$/.test(text)) throw new ReplyDecodeError('bad integer');
      const n = BigInt(text);
      return [n >= BigInt(Number.MIN_SAFE_INTEGER) && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n, next];
    }
    case 0x2c: // ,
      return [new DoubleReply(Number(text === 'inf' ? Infinity : text === '-inf' ? -Infinity : text)), next];
    case 0x5f: // _
      return [null, next];
    case 0x24: {
      // $
      const len = Number(text);
      if (!Number.isInteger(len) || len < -1) throw new ReplyDecodeError('bad bulk length');
      if (len === -1) return [null, next];
      if (next + len + 2 > buf.length) throw new ReplyDecodeError('truncated bulk');
      return [buf.latin1Slice(next, next + len), next + len + 2];
    }
    case 0x2a: // *
    case 0x25: // %
    case 0x7e: {
      // ~
      const n = Number(text);
      if (!Number.isInteger(n) || n < -1) throw new ReplyDecodeError('bad aggregate length');
      if (n === -1) return [NIL_ARRAY, next];
      const count = t === 0x25 ? n * 2 : n;
      const items: Reply[] = [];
      let o = next;
      for (let i = 0; i < count; i++) {
        const [r, e] = decodeAt(buf, o, depth + 1);
        items.push(r);
        o = e;
      }
      return [t === 0x25 ? new MapReply(items) : t === 0x7e ? new SetReply(items) : items, o];
    }
    default:
      throw new ReplyDecodeError(`unknown reply type byte 0x${t.toString(16)}`);
  }
}
