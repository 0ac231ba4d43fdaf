// A typed RESP2/RESP3 reply reader for tests. Unlike client libraries it keeps the wire type of
// every reply (status vs bulk, null bulk vs null array, map vs array), so the differential harness
// can require Lodestone's replies to be *identical* to Redis's, not merely equal after decoding.

export type RespValue =
  | { t: 'status'; v: string }
  | { t: 'error'; v: string }
  | { t: 'int'; v: string }
  | { t: 'bulk'; v: string } // latin1
  | { t: 'nullbulk' }
  | { t: 'nullarray' }
  | { t: 'null' } // RESP3 `_`
  | { t: 'array'; v: RespValue[] }
  | { t: 'map'; v: RespValue[] }
  | { t: 'set'; v: RespValue[] }
  | { t: 'push'; v: RespValue[] }
  | { t: 'double'; v: string }
  | { t: 'bool'; v: boolean }
  | { t: 'verbatim'; v: string }
  | { t: 'bignum'; v: string };

/** Parse one reply from buf at off; returns [value, nextOffset] or null when incomplete. */
export function parseReply(buf: Buffer, off: number): [RespValue, number] | null {
  if (off >= buf.length) return null;
  const nl = buf.indexOf('\r\n', off, 'latin1');
  if (nl < 0) return null;
  const type = String.fromCharCode(buf[off]);
  const line = buf.latin1Slice(off + 1, nl);
  const next = nl + 2;
  switch (type) {
    case '+':
      return [{ t: 'status', v: line }, next];
    case '-':
      return [{ t: 'error', v: line }, next];
    case ':':
      return [{ t: 'int', v: line }, next];
    case ',':
      return [{ t: 'double', v: line }, next];
    case '#':
      return [{ t: 'bool', v: line === 't' }, next];
    case '(':
      return [{ t: 'bignum', v: line }, next];
    case '_':
      return [{ t: 'null' }, next];
    case '$':
    case '=': {
      const len = Number(line);
      if (len < 0) return [{ t: 'nullbulk' }, next];
      if (buf.length < next + len + 2) return null;
      const s = buf.latin1Slice(next, next + len);
      return [type === '$' ? { t: 'bulk', v: s } : { t: 'verbatim', v: s }, next + len + 2];
    }
    case '*':
    case '%':
    case '~':
    case '>': {
      const n = Number(line);
      if (n < 0) return [{ t: 'nullarray' }, next];
      const count = type === '%' ? n * 2 : n;
      const items: RespValue[] = [];
      let o = next;
      for (let i = 0; i < count; i++) {
        const r = parseReply(buf, o);
        if (!r) return null;
        items.push(r[0]);
        o = r[1];
      }
      const t = type === '*' ? 'array' : type === '%' ? 'map' : type === '~' ? 'set' : 'push';
      return [{ t, v: items }, o];
    }
    default:
      throw new Error(`bad RESP type byte ${JSON.stringify(type)} at ${off}: ${JSON.stringify(buf.latin1Slice(off, off + 40))}`);
  }
}

/** Encode a command as a RESP multibulk (args are latin1 strings or Buffers). */
export function encodeCommand(args: (string | Buffer | number)[]): Buffer {
  const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
  for (const a of args) {
    const b = Buffer.isBuffer(a) ? a : Buffer.from(String(a), 'latin1');
    parts.push(Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n'));
  }
  return Buffer.concat(parts);
}

/** Short human form of a reply for assertion messages. */
export function show(v: RespValue): string {
  switch (v.t) {
    case 'array':
    case 'map':
    case 'set':
    case 'push':
      return `${v.t}[${v.v.map(show).join(', ')}]`;
    case 'nullbulk':
    case 'nullarray':
    case 'null':
      return v.t;
    default:
      return `${v.t}(${JSON.stringify(v.v)})`;
  }
}
