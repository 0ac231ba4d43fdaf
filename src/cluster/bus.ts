// The cluster bus wire format: Redis 7.0's `clusterMsg` (cluster.h), big-endian, byte for byte, so
// Lodestone and redis-server nodes talk to each other. Header (2256 bytes):
//   0 sig "RCmb" | 4 totlen u32 | 8 ver u16 (1) | 10 port u16 | 12 type u16 | 14 count u16 |
//   16 currentEpoch u64 | 24 configEpoch u64 | 32 offset u64 | 40 sender[40] | 80 myslots[2048] |
//   2128 slaveof[40] | 2168 myip[46] | 2214 extensions u16 | 2216 unused[30] | 2246 pport u16 |
//   2248 cport u16 | 2250 flags u16 | 2252 state u8 | 2253 mflags[3] | 2256 data
// Gossip entries (104 bytes): nodename[40] ping_sent u32 pong_received u32 ip[46] port u16 cport u16
// flags u16 pport u16 unused u16. FAIL data: nodename[40]. UPDATE: configEpoch u64, nodename[40],
// slots[2048]. PUBLISH: channel_len u32, message_len u32, channel, message. Ping extensions (after
// the gossip, when mflags[0] has EXT_DATA): length u32 (whole, 8-aligned), type u16, unused u16,
// data; type 0 is the hostname (NUL-terminated). FAILOVER_AUTH_REQUEST, FAILOVER_AUTH_ACK and MFSTART
// are the header alone; `offset` is the sender's replication offset. MODULE (type 9): module_id u64
// (raw bytes, compared as they are), len u32, type u8, bulk_data[len]; totlen must be exactly
// HEADER_LEN + 13 + len.

export const HEADER_LEN = 2256;
export const GOSSIP_LEN = 104;
export const NULL_NAME = '\0'.repeat(40);

export const MSG_PING = 0;
export const MSG_PONG = 1;
export const MSG_MEET = 2;
export const MSG_FAIL = 3;
export const MSG_PUBLISH = 4;
export const MSG_FAILOVER_AUTH_REQUEST = 5;
export const MSG_FAILOVER_AUTH_ACK = 6;
export const MSG_UPDATE = 7;
export const MSG_MFSTART = 8;
export const MSG_MODULE = 9;
/** CLUSTER INFO's names of the message types, by type number. */
export const MSG_TYPE_NAMES = ['ping', 'pong', 'meet', 'fail', 'publish', 'auth-req', 'auth-ack', 'update', 'mfstart', 'module', 'publishshard'];

/** mflags[0]: the sender is a master paused for a manual failover (its offset is final). */
export const FLAG0_PAUSED = 1;
/** mflags[0] of a FAILOVER_AUTH_REQUEST: vote even though the master is not FAIL (manual failover). */
export const FLAG0_FORCEACK = 2;
const FLAG0_EXT_DATA = 4;
const EXT_HOSTNAME = 0;

export interface GossipEntry {
  name: string;
  pingSent: number;
  pongReceived: number;
  ip: string;
  port: number;
  cport: number;
  flags: number;
  pport: number;
}

export interface HeaderFields {
  port: number;
  cport: number;
  currentEpoch: number;
  configEpoch: number;
  sender: string;
  slots: Uint8Array;
  slaveof: string;
  flags: number;
  state: number;
  /** The replication offset (a master's own, a replica's applied one); 0 when absent. */
  offset?: number;
  /** mflags[0]: FLAG0_PAUSED, FLAG0_FORCEACK. */
  mflags0?: number;
}

export interface BusMessage {
  type: number;
  port: number;
  pport: number;
  cport: number;
  currentEpoch: number;
  configEpoch: number;
  offset: number;
  sender: string;
  slots: Uint8Array;
  slaveof: string;
  myip: string;
  flags: number;
  state: number;
  mflags0: number;
  gossip: GossipEntry[];
  hostname: string | null;
  failing: string | null;
  update: { configEpoch: number; name: string; slots: Uint8Array } | null;
  publish: { channel: string; message: string } | null;
  module: { moduleId: Buffer; type: number; payload: Buffer } | null;
}

function header(b: Buffer, type: number, count: number, h: HeaderFields): void {
  b.write('RCmb', 0, 'latin1');
  b.writeUInt32BE(b.length, 4);
  b.writeUInt16BE(1, 8);
  b.writeUInt16BE(h.port, 10);
  b.writeUInt16BE(type, 12);
  b.writeUInt16BE(count, 14);
  b.writeBigUInt64BE(BigInt(h.currentEpoch), 16);
  b.writeBigUInt64BE(BigInt(h.configEpoch), 24);
  b.writeBigUInt64BE(BigInt(h.offset ?? 0), 32);
  b.write(h.sender, 40, 40, 'latin1');
  b.set(h.slots, 80);
  b.write(h.slaveof, 2128, 40, 'latin1');
  // myip stays zeroed: the receiver takes the address the connection comes from.
  b.writeUInt16BE(0, 2214);
  b.writeUInt16BE(0, 2246);
  b.writeUInt16BE(h.cport, 2248);
  b.writeUInt16BE(h.flags, 2250);
  b.writeUInt8(h.state, 2252);
  b.writeUInt8(h.mflags0 ?? 0, 2253);
}

/**
 * A message that is only the header: FAILOVER_AUTH_REQUEST, FAILOVER_AUTH_ACK, MFSTART (Redis
 * sends them with totlen = sizeof(clusterMsg) - sizeof(union clusterMsgData)).
 */
export function encodeHeaderOnly(type: number, h: HeaderFields): Buffer {
  const b = Buffer.alloc(HEADER_LEN);
  header(b, type, 0, h);
  return b;
}

export function encodePing(type: number, h: HeaderFields, gossip: GossipEntry[]): Buffer {
  const b = Buffer.alloc(HEADER_LEN + gossip.length * GOSSIP_LEN);
  header(b, type, gossip.length, h);
  let o = HEADER_LEN;
  for (const g of gossip) {
    b.write(g.name, o, 40, 'latin1');
    b.writeUInt32BE(g.pingSent >>> 0, o + 40);
    b.writeUInt32BE(g.pongReceived >>> 0, o + 44);
    b.write(g.ip, o + 48, 45, 'latin1');
    b.writeUInt16BE(g.port, o + 94);
    b.writeUInt16BE(g.cport, o + 96);
    b.writeUInt16BE(g.flags & 0xffff, o + 98);
    b.writeUInt16BE(g.pport, o + 100);
    o += GOSSIP_LEN;
  }
  return b;
}

export function encodeFail(h: HeaderFields, name: string): Buffer {
  const b = Buffer.alloc(HEADER_LEN + 40);
  header(b, MSG_FAIL, 0, h);
  b.write(name, HEADER_LEN, 40, 'latin1');
  return b;
}

export function encodeUpdate(h: HeaderFields, name: string, configEpoch: number, slots: Uint8Array): Buffer {
  const b = Buffer.alloc(HEADER_LEN + 8 + 40 + 2048);
  header(b, MSG_UPDATE, 0, h);
  b.writeBigUInt64BE(BigInt(configEpoch), HEADER_LEN);
  b.write(name, HEADER_LEN + 8, 40, 'latin1');
  b.set(slots, HEADER_LEN + 48);
  return b;
}

export function encodePublish(h: HeaderFields, channel: string, message: string): Buffer {
  // Redis sizes it as sizeof(clusterMsg) - sizeof(union) + sizeof(publish) - 8 + lengths.
  const b = Buffer.alloc(HEADER_LEN + 8 + channel.length + message.length);
  header(b, MSG_PUBLISH, 0, h);
  b.writeUInt32BE(channel.length, HEADER_LEN);
  b.writeUInt32BE(message.length, HEADER_LEN + 4);
  b.write(channel, HEADER_LEN + 8, 'latin1');
  b.write(message, HEADER_LEN + 8 + channel.length, 'latin1');
  return b;
}

/** A MODULE message (Redis's clusterSendModule): `moduleId` is 8 raw bytes. */
export function encodeModule(h: HeaderFields, moduleId: Buffer, type: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(HEADER_LEN + 13 + payload.length);
  header(b, MSG_MODULE, 0, h);
  moduleId.copy(b, HEADER_LEN, 0, 8);
  b.writeUInt32BE(payload.length, HEADER_LEN + 8);
  b.writeUInt8(type & 0xff, HEADER_LEN + 12);
  payload.copy(b, HEADER_LEN + 13);
  return b;
}

function cstr(b: Buffer, start: number, len: number): string {
  const end = b.indexOf(0, start);
  return b.toString('latin1', start, end < 0 || end > start + len ? start + len : end);
}

/** Decode one whole message; null when malformed or of a version we do not speak (ignored). */
export function decodeMessage(b: Buffer): BusMessage | null {
  if (b.length < HEADER_LEN) return null;
  if (b.readUInt16BE(8) !== 1) return null;
  const type = b.readUInt16BE(12);
  const count = b.readUInt16BE(14);
  const m: BusMessage = {
    type,
    port: b.readUInt16BE(10),
    pport: b.readUInt16BE(2246),
    cport: b.readUInt16BE(2248),
    currentEpoch: Number(b.readBigUInt64BE(16)),
    configEpoch: Number(b.readBigUInt64BE(24)),
    offset: Number(b.readBigUInt64BE(32)),
    sender: b.toString('latin1', 40, 80),
    slots: new Uint8Array(b.subarray(80, 2128)),
    slaveof: b.toString('latin1', 2128, 2168),
    myip: cstr(b, 2168, 46),
    flags: b.readUInt16BE(2250),
    state: b[2252],
    mflags0: b[2253],
    gossip: [],
    hostname: null,
    failing: null,
    update: null,
    publish: null,
    module: null,
  };
  if (type === MSG_PING || type === MSG_PONG || type === MSG_MEET) {
    let o = HEADER_LEN;
    if (b.length < o + count * GOSSIP_LEN) return null;
    for (let i = 0; i < count; i++, o += GOSSIP_LEN) {
      m.gossip.push({
        name: b.toString('latin1', o, o + 40),
        pingSent: b.readUInt32BE(o + 40),
        pongReceived: b.readUInt32BE(o + 44),
        ip: cstr(b, o + 48, 46),
        port: b.readUInt16BE(o + 94),
        cport: b.readUInt16BE(o + 96),
        flags: b.readUInt16BE(o + 98),
        pport: b.readUInt16BE(o + 100),
      });
    }
    if (b[2253] & FLAG0_EXT_DATA) {
      let exts = b.readUInt16BE(2214);
      m.hostname = '';
      while (exts-- > 0 && o + 8 <= b.length) {
        const len = b.readUInt32BE(o);
        const t = b.readUInt16BE(o + 4);
        if (len < 8 || o + len > b.length) return null;
        if (t === EXT_HOSTNAME) m.hostname = cstr(b, o + 8, len - 8);
        o += len;
      }
    }
  } else if (type === MSG_FAIL) {
    if (b.length < HEADER_LEN + 40) return null;
    m.failing = b.toString('latin1', HEADER_LEN, HEADER_LEN + 40);
  } else if (type === MSG_UPDATE) {
    if (b.length < HEADER_LEN + 2096) return null;
    m.update = {
      configEpoch: Number(b.readBigUInt64BE(HEADER_LEN)),
      name: b.toString('latin1', HEADER_LEN + 8, HEADER_LEN + 48),
      slots: new Uint8Array(b.subarray(HEADER_LEN + 48, HEADER_LEN + 2096)),
    };
  } else if (type === MSG_PUBLISH) {
    if (b.length < HEADER_LEN + 8) return null;
    const cl = b.readUInt32BE(HEADER_LEN);
    const ml = b.readUInt32BE(HEADER_LEN + 4);
    if (b.length < HEADER_LEN + 8 + cl + ml) return null;
    m.publish = {
      channel: b.toString('latin1', HEADER_LEN + 8, HEADER_LEN + 8 + cl),
      message: b.toString('latin1', HEADER_LEN + 8 + cl, HEADER_LEN + 8 + cl + ml),
    };
  } else if (type === MSG_MODULE) {
    // Redis ignores a MODULE message whose length is not exactly this (the link stays up).
    if (b.length < HEADER_LEN + 13) return null;
    const len = b.readUInt32BE(HEADER_LEN + 8);
    if (b.length !== HEADER_LEN + 13 + len) return null;
    m.module = {
      moduleId: b.subarray(HEADER_LEN, HEADER_LEN + 8),
      type: b[HEADER_LEN + 12],
      payload: b.subarray(HEADER_LEN + 13, HEADER_LEN + 13 + len),
    };
  }
  return m;
}
