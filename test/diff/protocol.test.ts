// Differential protocol tests: the same raw bytes go to Lodestone and a real redis-server 7.0 on a
// fresh connection each, and the reply bytes and whether the server closed the connection must be
// identical. Covers request framing quirks (unchecked CRLF after bulk data, string2ll count
// parsing, NUL bytes hiding a line end, inline quoting) and every protocol error text, plus the
// unauthenticated limits and AUTH/HELLO replies with requirepass.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCommand } from '../helpers/resp.js';
import { LodestoneHandle, ProcessHandle, skipReason, startLodestone, startRedis } from '../helpers/servers.js';

interface Exchange {
  data: string;
  closed: boolean;
}

/** Send exact bytes on a fresh connection; collect replies until the server closes or goes quiet. */
async function exchange(port: number, input: string | Buffer, quietMs = 120): Promise<Exchange> {
  const sock = net.connect({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve, reject) => {
    sock.once('connect', () => resolve());
    sock.once('error', reject);
  });
  const chunks: Buffer[] = [];
  let closed = false;
  let last = Date.now();
  sock.on('data', (d: Buffer) => {
    chunks.push(d);
    last = Date.now();
  });
  sock.on('error', () => {});
  const closedP = new Promise<void>((r) => sock.once('close', () => ((closed = true), r())));
  sock.write(typeof input === 'string' ? Buffer.from(input, 'latin1') : input);
  last = Date.now();
  while (!closed && Date.now() - last < quietMs) {
    await Promise.race([closedP, new Promise((r) => setTimeout(r, 10))]);
  }
  sock.destroy();
  return { data: Buffer.concat(chunks).toString('latin1'), closed };
}

const INPUTS: [string, string | Buffer][] = [
  ['pipelined multibulk and inline', '*1\r\n$4\r\nPING\r\nPING\r\nECHO hello\r\n*2\r\n$4\r\nECHO\r\n$3\r\na\r\n\r\n'],
  ['*0, *-1 and blank lines', '*0\r\n\r\n\n  \r\n*-1\r\nPING\r\n'],
  ['*-5 is ignored too', '*-5\r\nPING\r\n'],
  ['bare LF line endings inline', 'PING\nECHO x\n'],
  ['unchecked CRLF after bulk: extra bytes start a new request', '*1\r\n$4\r\nPINGxxPING\r\n'],
  ['unchecked CRLF after bulk: short bulk', '*2\r\n$4\r\nECHO\r\n$1\r\nab\r\n'],
  ['unchecked CRLF after bulk: then garbage where $ is expected', '*3\r\n$3\r\nSET\r\n$1\r\nkX\r\n$1\r\nv\r\n'],
  ['count line: byte after CR is skipped unseen', '*1\rx\n$4\r\nPING\r\n'],
  ['bulk line: byte after CR is skipped unseen', '*1\r\n$4\rxPING\r\n'],
  ['*abc', '*abc\r\n'],
  ['* with nothing', '*\r\n'],
  ['*01', '*01\r\n$4\r\nPING\r\n'],
  ['*+1', '*+1\r\n$4\r\nPING\r\n'],
  ['*-0', '*-0\r\n'],
  ['* over INT_MAX', '*3000000000\r\n'],
  ['* at INT_MAX waits', '*2147483647\r\n'],
  ['* of 21 digits', '*123456789012345678901\r\n'],
  ['* negative 20 chars is ignored', '*-1234567890123456789\r\nPING\r\n'],
  ['$-1 in a request', '*1\r\n$-1\r\n'],
  ['$-5', '*1\r\n$-5\r\n'],
  ['$abc', '*1\r\n$abc\r\n'],
  ['$ with nothing', '*1\r\n$\r\n'],
  ['$04', '*1\r\n$04\r\nPING\r\n'],
  ['$ over proto-max-bulk-len', '*1\r\n$600000000\r\n'],
  ['$ with a high byte', '*1\r\n$\xff\r\n'],
  ["expected '$', got a letter", '*1\r\nfoo\r\n'],
  ["expected '$', got ':'", '*2\r\n$4\r\nECHO\r\n:1\r\n'],
  ['NUL in an inline line hides its end', 'ECHO x\x00y\r\n'],
  ['NUL alone', '\x00\r\n'],
  ['NUL in a count line', '*1\x00\r\n$4\r\nPING\r\n'],
  ['NUL in a bulk count line', '*1\r\n$4\x00\r\nPING\r\n'],
  ['NUL inside bulk data is fine', '*2\r\n$4\r\nECHO\r\n$3\r\na\x00b\r\n'],
  ['inline double quotes and escapes', 'ECHO "a\\x41\\x4g\\n\\r\\t\\b\\a\\q\\\\\\""\r\n'],
  ['inline single quotes', "ECHO 'it\\'s \\n'\r\n"],
  ['inline empty quoted args', 'ECHO ""\r\nECHO \'\'\r\n'],
  ['inline tabs, \\v and \\f', 'ECHO\ta\x0bb\x0c\r\n\x0b\x0cPING\r\n'],
  ['inline NBSP does not separate', 'ECHO a\xa0b\r\n'],
  ['inline quote glued to text opens a quote', 'ECHO a"b c"\r\n'],
  ['unbalanced double quote', 'SET "a b\r\n'],
  ['unbalanced single quote', "ECHO 'a\r\n"],
  ['escaped quote at the end', "ECHO 'a\\'\r\n"],
  ['text after closing quote', 'ECHO "a"b\r\n'],
  ['too big inline request', 'A'.repeat(70000)],
  ['64 KB inline waits', 'A'.repeat(65536)],
  ['too big mbulk count string', '*' + '1'.repeat(70000)],
  ['too big bulk count string', '*1\r\n$' + '1'.repeat(70000)],
  ['commands before the error are answered', 'PING\r\n*1\r\n$4\r\nPING\r\n*x\r\nPING\r\n'],
  ['unknown commands inline and multibulk', 'NOPE a b\r\n*2\r\n$4\r\nnope\r\n$1\r\nc\r\n'],
  ['wrong arity inline', 'GET\r\nSET a\r\n'],
  ['a header-like line is an unknown command', 'FOO: bar\r\n'],
  ['HTTP POST closes at once (cross-protocol attack)', 'POST / HTTP/1.1\r\nHost: x\r\n\r\n'],
  ['Host: closes at once, dropping earlier replies', 'PING\r\nHost: foo\r\nPING\r\n'],
  ['host: as a multibulk', '*1\r\n$5\r\nhost:\r\n'],
  ['lowercase post inline', 'PING\r\npost\r\n'],
];

describe.skipIf(skipReason('protocol differential tests', 'redis-server'))('protocol: raw bytes vs redis-server', () => {
  let ls: LodestoneHandle;
  let redis: ProcessHandle;

  beforeAll(async () => {
    [ls, redis] = await Promise.all([startLodestone(), startRedis()]);
  });
  afterAll(async () => {
    await Promise.all([ls?.close(), redis?.close()]);
  });

  for (const [name, input] of INPUTS) {
    it(name, async () => {
      const [a, b] = await Promise.all([exchange(ls.port, input), exchange(redis.port, input)]);
      expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    });
  }

  it('a 1000-command pipeline in one write', async () => {
    const input = Buffer.concat(Array.from({ length: 1000 }, (_, i) => encodeCommand(['ECHO', `v${i}`])));
    const [a, b] = await Promise.all([exchange(ls.port, input), exchange(redis.port, input)]);
    expect(a.data.length).toBeGreaterThan(9000);
    expect(a).toEqual(b);
  });
});

describe.skipIf(skipReason('auth differential tests', 'redis-server'))('protocol with requirepass: raw bytes vs redis-server', () => {
  let ls: LodestoneHandle;
  let redis: ProcessHandle;

  beforeAll(async () => {
    [ls, redis] = await Promise.all([startLodestone({ requirepass: 'sekret' }), startRedis(['--requirepass', 'sekret'])]);
  });
  afterAll(async () => {
    await Promise.all([ls?.close(), redis?.close()]);
  });

  const AUTH_INPUTS: [string, string][] = [
    ['multibulk > 10 before AUTH', '*11\r\n'],
    ['multibulk = 10 before AUTH waits', '*10\r\n'],
    ['bulk > 16 KB before AUTH', '*1\r\n$16385\r\n'],
    ['bulk = 16 KB before AUTH waits', '*1\r\n$16384\r\n'],
    ['inline is not limited before AUTH', 'ECHO ' + 'x'.repeat(20000) + '\r\n'],
    ['NOAUTH', 'PING\r\nGET x\r\n'],
    ['WRONGPASS variants', 'AUTH x\r\nAUTH default x\r\nAUTH bob sekret\r\nAUTH a b c\r\nAUTH\r\n'],
    ['MULTI / EXEC before AUTH', 'MULTI\r\nEXEC\r\nEXEC x\r\nDISCARD\r\n'],
    ['AUTH lifts the limits within the same packet', 'AUTH sekret\r\n*11\r\n$4\r\nECHO\r\n$1\r\na\r\n'],
    ['AUTH default user', 'AUTH default sekret\r\nPING\r\n'],
    ['HELLO without AUTH', 'HELLO 3\r\nHELLO\r\nHELLO 2 SETNAME x\r\n'],
    ['HELLO with bad AUTH', 'HELLO 3 AUTH default nope\r\nHELLO 2 AUTH default\r\nHELLO 4\r\nHELLO abc\r\n'],
    ['QUIT before AUTH', 'QUIT\r\nPING\r\n'],
  ];

  for (const [name, input] of AUTH_INPUTS) {
    it(name, async () => {
      const [a, b] = await Promise.all([exchange(ls.port, input), exchange(redis.port, input)]);
      expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    });
  }
});
