// The floor for a Node.js Redis server (issue 11): a bare TCP server that only frames RESP commands
// and answers `+PONG` to PING and `+OK` to everything else, with no keyspace, no dispatch and no
// reply encoder. What redis-benchmark gets from it is what Node's event loop and sockets allow on
// this machine; bench/floor.ts puts it next to Redis and Lodestone.
//
// With `keyspace` it also keeps one Map<string, string>: SET stores its value, GET answers it as a
// bulk string (or a null bulk), with the keys and values as latin1 strings, as Lodestone stores
// them. That is the floor for any V8 keyspace: the same hash lookups on the same kind of heap, and
// nothing else (no dispatch, no TTLs, no accounting, no reply encoder).
//
//   node dist/bench/floor-server.js <port> [keyspace]

import net from 'node:net';

const port = Number(process.argv[2] ?? 6390);
const OK = Buffer.from('+OK\r\n');
const PONG = Buffer.from('+PONG\r\n');
const NIL = Buffer.from('$-1\r\n');
const withKeyspace = process.argv[3] === 'keyspace';
const keyspace = new Map<string, string>();
let commands = 0;

/** Replies of one read are gathered here, then copied out in one socket write. */
let out = Buffer.allocUnsafe(64 * 1024);
let o = 0;

function put(b: Buffer): void {
  if (o + b.length > out.length) grow(b.length);
  b.copy(out, o);
  o += b.length;
}

/** GET's reply for a stored value: `$<len>\r\n<value>\r\n`, bytes copied by a JS loop (short values). */
function putBulk(v: string): void {
  const len = String(v.length);
  if (o + v.length + len.length + 5 > out.length) grow(v.length + len.length + 5);
  out[o++] = 0x24;
  for (let i = 0; i < len.length; i++) out[o++] = len.charCodeAt(i);
  out[o++] = 0x0d;
  out[o++] = 0x0a;
  if (v.length > 64) o += out.latin1Write(v, o);
  else for (let i = 0; i < v.length; i++) out[o++] = v.charCodeAt(i);
  out[o++] = 0x0d;
  out[o++] = 0x0a;
}

function grow(n: number): void {
  const next = Buffer.allocUnsafe(Math.max(out.length * 2, o + n));
  out.copy(next, 0, 0, o);
  out = next;
}

/**
 * Scan complete multibulk commands in buf from `at`; returns the offset after the last complete
 * one and writes the replies. Incomplete input is left for the next read.
 */
function scan(sock: net.Socket, buf: Buffer, at: number): number {
  let pos = at;
  let first: Buffer | null = null; // the only reply so far, unless o > 0
  let count = 0;
  for (;;) {
    if (pos >= buf.length || buf[pos] !== 0x2a) break; // '*'
    let p = pos + 1;
    let n = 0;
    while (p < buf.length && buf[p] !== 0x0d) n = n * 10 + buf[p++] - 48;
    p += 2;
    if (p > buf.length) break;
    let ping = false;
    let ok = true;
    let name = 0; // first letter of the command, lowercased
    let key = '';
    let value: string | undefined;
    let isGet = false;
    for (let i = 0; i < n; i++) {
      if (p >= buf.length || buf[p] !== 0x24) { ok = false; break; } // '$'
      let q = p + 1;
      let len = 0;
      while (q < buf.length && buf[q] !== 0x0d) len = len * 10 + buf[q++] - 48;
      q += 2;
      if (q + len + 2 > buf.length) { ok = false; break; }
      if (i === 0) {
        ping = len === 4 && (buf[q] | 0x20) === 0x70 && (buf[q + 1] | 0x20) === 0x69;
        name = len === 3 ? buf[q] | 0x20 : 0;
      } else if (withKeyspace && i === 1 && name !== 0) {
        key = buf.latin1Slice(q, q + len);
        if (name === 0x67 /* get */) {
          isGet = true;
          value = keyspace.get(key);
        }
      } else if (withKeyspace && i === 2 && name === 0x73 /* set */) {
        keyspace.set(key, buf.latin1Slice(q, q + len));
      }
      p = q + len + 2;
    }
    if (!ok) break;
    commands++;
    const fixed = isGet ? (value === undefined ? NIL : null) : ping ? PONG : OK;
    // One fixed reply (unpipelined SET, PING) is written as it is; anything else is gathered.
    if (count === 0 && fixed !== null) first = fixed;
    else {
      if (first !== null) {
        put(first);
        first = null;
      }
      if (fixed !== null) put(fixed);
      else putBulk(value!);
    }
    count++;
    pos = p;
  }
  if (first !== null) sock.write(first);
  else if (o > 0) {
    const b = Buffer.allocUnsafe(o);
    out.copy(b, 0, 0, o);
    o = 0;
    sock.write(b);
  }
  return pos;
}

const server = net.createServer((sock) => {
  sock.setNoDelay(true);
  let pending: Buffer | null = null;
  sock.on('data', (chunk: Buffer) => {
    const buf = pending ? Buffer.concat([pending, chunk]) : chunk;
    const end = scan(sock, buf, 0);
    pending = end < buf.length ? buf.subarray(end) : null;
  });
  sock.on('error', () => {});
});
server.listen(port, '127.0.0.1');
process.on('SIGTERM', () => {
  process.stderr.write(`floor server: ${commands} commands\n`);
  process.exit(0);
});
