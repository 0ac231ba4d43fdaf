// Connection commands over a real socket: PING/ECHO/SELECT/AUTH/HELLO/QUIT/RESET, inline commands,
// unknown-command errors — exact reply bytes where the wire format matters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from './helpers/raw-client.js';
import { LodestoneHandle, startLodestone } from './helpers/servers.js';

let ls: LodestoneHandle;
beforeAll(async () => {
  ls = await startLodestone();
});
afterAll(async () => {
  await ls.close();
});

describe('connection commands', () => {
  it('answers PING and ECHO, inline and multibulk', async () => {
    const c = await RawClient.connect(ls.port);
    c.writeRaw('PING\r\nECHO "a b"\r\n*2\r\n$4\r\nECHO\r\n$3\r\nxyz\r\n');
    expect((await c.readBytes(25)).toString()).toBe('+PONG\r\n$3\r\na b\r\n$3\r\nxyz\r\n');
    c.close();
  });

  it('reports unknown commands with Redis 7 text', async () => {
    const c = await RawClient.connect(ls.port);
    expect(await c.call('NOPE', 'a', 'b')).toEqual({ t: 'error', v: "ERR unknown command 'NOPE', with args beginning with: 'a' 'b' " });
    expect(await c.call('ECHO')).toEqual({ t: 'error', v: "ERR wrong number of arguments for 'echo' command" });
    c.close();
  });

  it('switches to RESP3 with HELLO 3', async () => {
    const c = await RawClient.connect(ls.port);
    const r = await c.call('HELLO', '3');
    expect(r.t).toBe('map');
    c.writeRaw('*1\r\n$4\r\nPING\r\n');
    expect((await c.read())).toEqual({ t: 'status', v: 'PONG' });
    expect(await c.call('HELLO', '4')).toEqual({ t: 'error', v: 'NOPROTO unsupported protocol version' });
    c.close();
  });

  it('closes on QUIT after replying OK', async () => {
    const c = await RawClient.connect(ls.port);
    expect(await c.call('QUIT')).toEqual({ t: 'status', v: 'OK' });
    await c.waitClose();
  });
});
