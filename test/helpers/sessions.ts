// Multi-connection differential sessions, for features whose output reaches other connections than
// the one that sent the command (client-side caching invalidations, pub/sub messages).
//
// A session is a list of steps, each a command sent on one of several connections. A step waits for
// its own reply (the first frame that is not a RESP3 push — in RESP2 any frame), so commands reach
// the server in exactly the script's order; every frame each connection receives — replies, pushes,
// pub/sub messages — goes into that connection's log. The same session runs against Lodestone and a
// real redis-server and the logs must be identical, frame by frame, per connection. That is
// deterministic without timing assumptions: whatever a command sends to other connections is
// written before the server reads the next step's command.
//
// Client ids differ between the servers: `{idN}` in a step is replaced by connection N's id, and
// integers equal to a session connection's id are shown as `{idN}` in frames that carry ids
// (TRACKINGINFO, tracking-redir-broken, GETREDIR — steps flagged `ids`). CLIENT LIST / INFO lines are
// reduced to the fields a step names (`fields`). A step that gets no reply (CLIENT REPLY OFF, a
// command under it or after SKIP, a blocking command that blocks) is flagged `noReply`.

import net from 'node:net';
import { encodeCommand, parseReply, RespValue, show } from './resp.js';

export type SessionStep =
  | [number, ...string[]]
  | { on: number; cmd: string[]; ids?: boolean; fields?: string[]; noReply?: boolean }
  | { sleepMs: number };

interface Conn {
  sock: net.Socket;
  buf: Buffer;
  frames: RespValue[];
  id: string;
  resp3: boolean;
  closed: boolean;
}

async function open(port: number): Promise<Conn> {
  const sock = net.connect({ port, host: '127.0.0.1' });
  await new Promise<void>((r, j) => {
    sock.once('connect', () => r());
    sock.once('error', j);
  });
  const c: Conn = { sock, buf: Buffer.alloc(0), frames: [], id: '', resp3: false, closed: false };
  sock.on('data', (d: Buffer) => {
    c.buf = Buffer.concat([c.buf, d]);
    for (;;) {
      const r = parseReply(c.buf, 0);
      if (!r) break;
      c.frames.push(r[0]);
      c.buf = c.buf.subarray(r[1]);
    }
  });
  sock.on('close', () => (c.closed = true));
  sock.on('error', () => {});
  return c;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Wait for the first frame at or after `from` that is a reply (not a RESP3 push — except for the
 * subscribe family, whose confirmations are pushes); its index.
 */
async function waitReply(c: Conn, from: number, what: string, pushIsReply = false): Promise<number> {
  const end = Date.now() + 10000;
  for (;;) {
    for (let i = from; i < c.frames.length; i++) if (c.frames[i].t !== 'push' || !c.resp3 || pushIsReply) return i;
    if (c.closed) return -1;
    if (Date.now() > end) throw new Error(`no reply to ${what}`);
    await sleep(2);
  }
}

function maskIds(v: RespValue, ids: Map<string, string>): RespValue {
  if (v.t === 'int' && ids.has(v.v)) return { t: 'int', v: ids.get(v.v)! };
  if ('v' in v && Array.isArray(v.v)) return { t: v.t, v: v.v.map((x) => maskIds(x, ids)) } as RespValue;
  return v;
}

/** The frames that always carry client ids: tracking-redir-broken pushes and TRACKINGINFO maps. */
function carriesIds(v: RespValue): boolean {
  if (v.t !== 'push' && v.t !== 'map' && v.t !== 'array') return false;
  const first = v.v[0];
  return first !== undefined && first.t === 'bulk' && (first.v === 'tracking-redir-broken' || first.v === 'flags');
}

function pickFields(v: RespValue, fields: string[], ids: Map<string, string>): RespValue {
  if (v.t !== 'bulk' && v.t !== 'verbatim') return v;
  const lines = v.v.replace(/^txt:/, '').split('\n').filter(Boolean);
  const out = lines.map((line) => {
    const kv = new Map(line.split(' ').map((p) => p.split('=', 2) as [string, string]));
    return fields.map((f) => `${f}=${f === 'redir' || f === 'id' ? (ids.get(kv.get(f) ?? '') ?? kv.get(f)) : kv.get(f)}`).join(' ');
  });
  return { t: 'bulk', v: out.join('\n') };
}

/** Run a session on one server: per connection, its frames as text. */
export async function runSession(port: number, steps: SessionStep[]): Promise<string[][]> {
  const conns: Conn[] = [];
  const ids = new Map<string, string>();
  const get = async (n: number): Promise<Conn> => {
    if (!conns[n]) {
      const c = await open(port);
      c.sock.write(encodeCommand(['CLIENT', 'ID']));
      await waitReply(c, 0, 'CLIENT ID');
      c.id = (c.frames.shift() as { v: string }).v;
      ids.set(c.id, `{id${n}}`);
      conns[n] = c;
    }
    return conns[n];
  };
  const shown: string[][] = [];
  const masked = new Map<string, (v: RespValue) => RespValue>();
  try {
    for (const step of steps) {
      if ('sleepMs' in step) {
        await sleep(step.sleepMs);
        continue;
      }
      const s = Array.isArray(step) ? { on: step[0], cmd: step.slice(1) as string[] } : step;
      const args: string[] = [];
      for (const a of s.cmd) {
        const m = /^\{id(\d)\}$/.exec(a);
        args.push(m ? (await get(Number(m[1]))).id : a);
      }
      const c = await get(s.on);
      const from = c.frames.length;
      c.sock.write(encodeCommand(args));
      if ('noReply' in step && step.noReply) {
        // CLIENT REPLY OFF / SKIP: nothing to wait for. The pause only lets the command reach the
        // server before the next step's (on another connection); what it sends is still compared.
        await sleep(50);
        continue;
      }
      const at = await waitReply(c, from, args.join(' '), /^[sp]?(un)?subscribe$/i.test(args[0]));
      if (at >= 0 && /^hello$/i.test(args[0]) && args[1] === '3') c.resp3 = true;
      if (at >= 0 && 'ids' in s && s.ids) masked.set(`${s.on}:${at}`, (v) => maskIds(v, ids));
      if (at >= 0 && 'fields' in s && s.fields) {
        const f = s.fields;
        masked.set(`${s.on}:${at}`, (v) => pickFields(v, f, ids));
      }
      // A HELLO reply carries the id and server details, compared elsewhere.
      if (at >= 0 && /^hello$/i.test(args[0])) masked.set(`${s.on}:${at}`, () => ({ t: 'status', v: 'HELLO reply' }));
      // What the command sends to others is written before the next command is read; give the
      // loopback a moment to deliver it before the connections are closed at the end.
      await sleep(5);
    }
    await sleep(30);
    for (let n = 0; n < conns.length; n++) {
      const c = conns[n];
      shown.push(
        c
          ? c.frames.map((f, i) => {
              const m = masked.get(`${n}:${i}`);
              const v = m ? m(f) : carriesIds(f) ? maskIds(f, ids) : f;
              return show(v);
            })
          : [],
      );
    }
  } finally {
    for (const c of conns) c?.sock.destroy();
  }
  return shown;
}
