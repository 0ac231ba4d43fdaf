// The floor for a Node.js Redis server (issue 11): a bare TCP server that only frames RESP commands
// and answers `+PONG` to PING and `+OK` to everything else, with no keyspace, no dispatch and no
// reply encoder. What redis-benchmark gets from it is what Node's event loop and sockets allow on
// this machine; bench/floor.ts puts it next to Redis and Lodestone.
//
//   node dist/bench/floor-server.js <port>

import net from 'node:net';

const port = Number(process.argv[2] ?? 6390);
const OK = Buffer.from('+OK\r\n');
const PONG = Buffer.from('+PONG\r\n');
let commands = 0;

/**
 * Scan complete multibulk commands in buf from `at`; returns the offset after the last complete
 * one and writes the replies. Incomplete input is left for the next read.
 */
function scan(sock: net.Socket, buf: Buffer, at: number): number {
  const replies: Buffer[] = [];
  let pos = at;
  for (;;) {
    if (pos >= buf.length || buf[pos] !== 0x2a) break; // '*'
    let p = pos + 1;
    let n = 0;
    while (p < buf.length && buf[p] !== 0x0d) n = n * 10 + buf[p++] - 48;
    p += 2;
    if (p > buf.length) break;
    let ping = false;
    let ok = true;
    for (let i = 0; i < n; i++) {
      if (p >= buf.length || buf[p] !== 0x24) { ok = false; break; } // '$'
      let q = p + 1;
      let len = 0;
      while (q < buf.length && buf[q] !== 0x0d) len = len * 10 + buf[q++] - 48;
      q += 2;
      if (q + len + 2 > buf.length) { ok = false; break; }
      if (i === 0) ping = len === 4 && (buf[q] | 0x20) === 0x70 && (buf[q + 1] | 0x20) === 0x69;
      p = q + len + 2;
    }
    if (!ok) break;
    commands++;
    replies.push(ping ? PONG : OK);
    pos = p;
  }
  if (replies.length === 1) sock.write(replies[0]);
  else if (replies.length > 1) sock.write(Buffer.concat(replies));
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
