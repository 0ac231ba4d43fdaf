// Redis Cluster node state and the cluster bus (Redis 7.0's cluster.c, reimplemented): the known
// nodes, who serves each of the 16384 hash slots, config epochs, slots being migrated or imported,
// failure detection (PFAIL → FAIL by a majority of masters), nodes.conf, and the binary bus on
// cluster-port speaking Redis's `clusterMsg` (bus.ts encodes and decodes it) so Lodestone nodes and
// redis-server 7.0 nodes form one cluster, and redis-cli --cluster drives either.
//
// Replicas, elections and failovers are in failover.ts; the data is replicated by src/replication.

import * as net from 'node:net';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Server } from '../server/server.js';
import { CLUSTER_SLOTS, SlotIndex } from './slot.js';
import { Failover, removeReplica } from './failover.js';
import {
  decodeMessage,
  encodeFail,
  encodePing,
  encodeUpdate,
  GossipEntry,
  MSG_FAIL,
  MSG_FAILOVER_AUTH_ACK,
  MSG_FAILOVER_AUTH_REQUEST,
  MSG_MEET,
  MSG_MFSTART,
  MSG_PING,
  MSG_PONG,
  MSG_PUBLISH,
  MSG_UPDATE,
  MSG_MODULE,
  MSG_TYPE_NAMES,
  NULL_NAME,
  BusMessage,
  encodePublish,
  HeaderFields,
} from './bus.js';
import { ClusterModules } from './modules.js';

export const NODE_MASTER = 1;
export const NODE_SLAVE = 2;
export const NODE_PFAIL = 4;
export const NODE_FAIL = 8;
export const NODE_MYSELF = 16;
export const NODE_HANDSHAKE = 32;
export const NODE_NOADDR = 64;
export const NODE_MEET = 128;
export const NODE_MIGRATE_TO = 256;
export const NODE_NOFAILOVER = 512;

const FLAG_NAMES: [number, string][] = [
  [NODE_MYSELF, 'myself'],
  [NODE_MASTER, 'master'],
  [NODE_SLAVE, 'slave'],
  [NODE_PFAIL, 'fail?'],
  [NODE_FAIL, 'fail'],
  [NODE_HANDSHAKE, 'handshake'],
  [NODE_NOADDR, 'noaddr'],
  [NODE_NOFAILOVER, 'nofailover'],
];

/** Redis's CLUSTER_FAIL_REPORT_VALIDITY_MULT and CLUSTER_FAIL_UNDO_TIME_MULT. */
const FAIL_REPORT_VALIDITY_MULT = 2;
const FAIL_UNDO_TIME_MULT = 2;
const BLACKLIST_TTL = 60_000;

export class ClusterNode {
  flags: number;
  ip = '';
  port = 0;
  cport = 0;
  pport = 0;
  hostname = '';
  configEpoch = 0;
  readonly slots = new Uint8Array(CLUSTER_SLOTS / 8);
  numSlots = 0;
  slaveof: ClusterNode | null = null;
  readonly replicas: ClusterNode[] = [];
  pingSent = 0;
  pongReceived = 0;
  dataReceived = 0;
  failTime = 0;
  readonly ctime = Date.now();
  replOffset = 0;
  /** When this node (a master) voted for one of its replicas' elections (Redis's voted_time). */
  votedTime = 0;
  /** Masters that reported this node PFAIL/FAIL, with the report time. */
  readonly failReports = new Map<ClusterNode, number>();
  link: Link | null = null;
  inboundLink: Link | null = null;

  constructor(
    public name: string,
    flags: number,
  ) {
    this.flags = flags;
  }

  hasSlot(slot: number): boolean {
    return (this.slots[slot >> 3] & (1 << (slot & 7))) !== 0;
  }

  isMaster(): boolean {
    return (this.flags & NODE_MASTER) !== 0;
  }
}

/** One TCP connection of the bus; outbound links know their node. */
export class Link {
  buf: Buffer = Buffer.alloc(0);
  readonly ctime = Date.now();

  constructor(
    readonly socket: net.Socket,
    /** The node this link was opened to (outbound), or the sender once known (inbound). */
    public node: ClusterNode | null,
    readonly inbound: boolean,
  ) {}

  send(b: Buffer): void {
    if (!this.socket.destroyed) this.socket.write(b);
  }
}

export function randomName(): string {
  return randomBytes(20).toString('hex');
}

export class Cluster {
  myself: ClusterNode;
  readonly nodes = new Map<string, ClusterNode>();
  /** Owner of each slot, or null. */
  readonly slots: (ClusterNode | null)[] = new Array(CLUSTER_SLOTS).fill(null);
  readonly migratingTo: (ClusterNode | null)[] = new Array(CLUSTER_SLOTS).fill(null);
  readonly importingFrom: (ClusterNode | null)[] = new Array(CLUSTER_SLOTS).fill(null);
  currentEpoch = 0;
  lastVoteEpoch = 0;
  ok = false;
  size = 0;
  readonly sent = new Array<number>(MSG_TYPE_NAMES.length).fill(0);
  readonly received = new Array<number>(MSG_TYPE_NAMES.length).fill(0);
  readonly blacklist = new Map<string, number>();
  readonly slotIndex: SlotIndex;
  private busServers: net.Server[] = [];
  private timer: NodeJS.Timeout | null = null;
  private iteration = 0;
  private saveNeeded = false;
  private stateNeeded = false;
  private closed = false;
  busPort = 0;
  readonly inbound = new Set<Link>();
  readonly failover: Failover;
  /** WASM modules carried by the bus (modules.ts). */
  readonly modules: ClusterModules = new ClusterModules(this);

  constructor(readonly server: Server) {
    this.myself = new ClusterNode(randomName(), NODE_MYSELF | NODE_MASTER);
    this.nodes.set(this.myself.name, this.myself);
    this.slotIndex = new SlotIndex();
    server.dbs[0].slots = this.slotIndex;
    this.failover = new Failover(this);
  }

  get nodeTimeout(): number {
    return this.server.config.getInt('cluster-node-timeout');
  }

  configPath(): string {
    return path.resolve(this.server.config.getString('dir'), this.server.config.getString('cluster-config-file'));
  }

  // ---- startup / shutdown ----------------------------------------------------------------------

  async start(port: number): Promise<void> {
    this.myself.port = port;
    const cp = this.server.config.getInt('cluster-port');
    this.busPort = cp !== 0 ? cp : port + 10000;
    this.myself.cport = this.busPort;
    this.load();
    this.modules.load();
    this.myself.port = port;
    this.myself.cport = this.busPort;
    const binds = this.server.config.getString('bind').split(/\s+/).filter(Boolean);
    for (const host of binds.length ? binds : ['127.0.0.1']) {
      const srv = net.createServer({ noDelay: true }, (sock) => this.acceptBus(sock));
      await new Promise<void>((resolve, reject) => {
        srv.once('error', reject);
        srv.listen({ port: this.busPort, host: host.replace(/^-/, '') }, () => {
          srv.off('error', reject);
          resolve();
        });
      });
      this.busServers.push(srv);
    }
    this.updateState();
    this.save(true);
    this.timer = setInterval(() => {
      try {
        this.cron();
      } catch (err) {
        this.server.log.error({ err }, 'cluster cron failed');
      }
    }, 100);
    this.timer.unref();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    for (const s of this.busServers) s.close();
    for (const n of this.nodes.values()) {
      n.link?.socket.destroy();
      n.inboundLink?.socket.destroy();
    }
    for (const l of this.inbound) l.socket.destroy();
    if (this.saveNeeded) this.trySave();
  }

  // ---- nodes.conf --------------------------------------------------------------------------------

  /** Read nodes.conf if it exists (Redis's clusterLoadConfig); otherwise this is a new node. */
  private load(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.configPath(), 'latin1');
    } catch {
      return;
    }
    const lines = text.split('\n').map((l) => l.trim()).filter((l) => l !== '');
    if (lines.length === 0) return;
    this.nodes.clear();
    const masters = new Map<ClusterNode, string>();
    for (const line of lines) {
      const w = line.split(' ');
      if (w[0] === 'vars') {
        for (let i = 1; i + 1 < w.length; i += 2) {
          if (w[i] === 'currentEpoch') this.currentEpoch = Number(w[i + 1]);
          else if (w[i] === 'lastVoteEpoch') this.lastVoteEpoch = Number(w[i + 1]);
        }
        continue;
      }
      if (w.length < 8) throw new Error(`Unrecoverable error: corrupted cluster config file "${line}".`);
      let n = this.nodes.get(w[0]);
      if (!n) {
        n = new ClusterNode(w[0], 0);
        this.nodes.set(n.name, n);
      }
      const addr = w[1];
      const comma = addr.indexOf(',');
      const hostPart = comma < 0 ? addr : addr.slice(0, comma);
      if (comma >= 0) n.hostname = addr.slice(comma + 1);
      const at = hostPart.lastIndexOf('@');
      const colon = hostPart.lastIndexOf(':', at < 0 ? undefined : at);
      n.ip = hostPart.slice(0, colon);
      n.port = Number(hostPart.slice(colon + 1, at < 0 ? undefined : at));
      n.cport = at < 0 ? n.port + 10000 : Number(hostPart.slice(at + 1));
      n.flags = 0;
      for (const f of w[2].split(',')) {
        const fl = FLAG_NAMES.find(([, name]) => name === f);
        if (fl) n.flags |= fl[0];
      }
      if (n.flags & NODE_MYSELF) this.myself = n;
      if (w[3] !== '-') masters.set(n, w[3]);
      n.configEpoch = Number(w[6]);
      for (let i = 8; i < w.length; i++) {
        const s = w[i];
        if (s.startsWith('[')) {
          const m = /^\[(\d+)-([<>])-([0-9a-f]{40})\]$/.exec(s);
          if (m) {
            let other = this.nodes.get(m[3]);
            if (!other) {
              other = new ClusterNode(m[3], 0);
              this.nodes.set(other.name, other);
            }
            if (m[2] === '>') this.migratingTo[Number(m[1])] = other;
            else this.importingFrom[Number(m[1])] = other;
          }
          continue;
        }
        const dash = s.indexOf('-');
        const a = Number(dash < 0 ? s : s.slice(0, dash));
        const b = dash < 0 ? a : Number(s.slice(dash + 1));
        for (let j = a; j <= b; j++) this.addSlot(n, j);
      }
    }
    for (const [n, m] of masters) {
      let master = this.nodes.get(m);
      if (!master) {
        master = new ClusterNode(m, NODE_MASTER);
        this.nodes.set(m, master);
      }
      n.slaveof = master;
      master.replicas.push(n);
    }
    if (!this.nodes.has(this.myself.name)) throw new Error('Unrecoverable error: nodes.conf has no myself line.');
    this.server.log.info({ id: this.myself.name }, 'Node configuration loaded, I\'m ' + this.myself.name);
  }

  /** The nodes.conf text: the CLUSTER NODES lines (no handshake nodes) and the vars line. */
  configText(): string {
    return `${this.nodesText(NODE_HANDSHAKE)}vars currentEpoch ${this.currentEpoch} lastVoteEpoch ${this.lastVoteEpoch}\n`;
  }

  /**
   * Write nodes.conf now, as Redis 7.0's clusterSaveConfig does: in place, the text padded with
   * newlines to the old length and then truncated (a crash mid-way leaves blank lines, not the
   * old tail), fsync'd when `fsync` (a vote, a won election, CLUSTER SAVECONFIG). A temporary
   * file renamed over nodes.conf cost ~1 ms per save on ext4 (the rename flushes the data), and a
   * reshard saves on every node for every slot: it made `redis-cli --cluster reshard` 7-18 times
   * slower than with redis-server nodes. Throws on failure.
   */
  save(fsync = false): void {
    const text = Buffer.from(this.configText(), 'latin1');
    const fd = fs.openSync(this.configPath(), fs.constants.O_WRONLY | fs.constants.O_CREAT, 0o644);
    try {
      const old = fs.fstatSync(fd).size;
      const buf = old > text.length ? Buffer.concat([text, Buffer.alloc(old - text.length, 0x0a)]) : text;
      for (let off = 0; off < buf.length; ) off += fs.writeSync(fd, buf, off, buf.length - off, off);
      if (fsync) fs.fsyncSync(fd);
      if (buf.length !== text.length) fs.ftruncateSync(fd, text.length);
    } finally {
      fs.closeSync(fd);
    }
    this.saveNeeded = false;
  }

  private trySave(): void {
    try {
      this.save();
    } catch (err) {
      this.server.log.warn({ err }, 'Could not save the cluster config');
    }
  }

  /** Ask for nodes.conf to be written and the state recomputed before the next event loop turn. */
  todo(saveConfig = true): void {
    if (saveConfig) this.saveNeeded = true;
    if (this.stateNeeded) return;
    this.stateNeeded = true;
    setImmediate(() => {
      this.stateNeeded = false;
      this.updateState();
      if (this.saveNeeded) this.trySave();
    });
  }

  // ---- slots ---------------------------------------------------------------------------------------

  addSlot(n: ClusterNode, slot: number): boolean {
    if (this.slots[slot] !== null) return false;
    n.slots[slot >> 3] |= 1 << (slot & 7);
    n.numSlots++;
    this.slots[slot] = n;
    return true;
  }

  delSlot(slot: number): boolean {
    const n = this.slots[slot];
    if (n === null) return false;
    n.slots[slot >> 3] &= ~(1 << (slot & 7));
    n.numSlots--;
    this.slots[slot] = null;
    return true;
  }

  /** Redis's clusterCloseAllSlots: no slot is migrating or importing any more. */
  closeAllSlots(): void {
    this.migratingTo.fill(null);
    this.importingFrom.fill(null);
  }

  /** Keys stored in a slot (db 0: cluster mode has one database). */
  countKeysInSlot(slot: number): number {
    return this.slotIndex.count(slot);
  }

  // ---- nodes ---------------------------------------------------------------------------------------

  lookup(name: string): ClusterNode | undefined {
    return this.nodes.get(name.toLowerCase());
  }

  delNode(n: ClusterNode): void {
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if (this.importingFrom[j] === n) this.importingFrom[j] = null;
      if (this.migratingTo[j] === n) this.migratingTo[j] = null;
      if (this.slots[j] === n) this.delSlot(j);
    }
    for (const other of this.nodes.values()) other.failReports.delete(n);
    if (n.slaveof) {
      const i = n.slaveof.replicas.indexOf(n);
      if (i >= 0) n.slaveof.replicas.splice(i, 1);
    }
    for (const r of n.replicas) r.slaveof = null;
    this.nodes.delete(n.name);
    this.freeLink(n.link);
    if (n.inboundLink) n.inboundLink.socket.destroy();
    this.todo();
  }

  private renameNode(n: ClusterNode, name: string): void {
    this.nodes.delete(n.name);
    n.name = name;
    this.nodes.set(name, n);
  }

  /** Redis's clusterStartHandshake: false when the address is invalid. */
  startHandshake(ip: string, port: number, cport: number): boolean {
    if (net.isIP(ip) === 0) return false;
    if (port <= 0 || port > 65535 || cport <= 0 || cport > 65535) return false;
    if (ip.startsWith('::ffff:') && net.isIPv4(ip.slice(7))) ip = ip.slice(7);
    for (const n of this.nodes.values()) {
      if (n.flags & NODE_HANDSHAKE && n.ip === ip && n.port === port && n.cport === cport) return true;
    }
    const n = new ClusterNode(randomName(), NODE_HANDSHAKE | NODE_MEET);
    n.ip = ip;
    n.port = port;
    n.cport = cport;
    this.nodes.set(n.name, n);
    return true;
  }

  // ---- state -----------------------------------------------------------------------------------------

  /** Redis's clusterUpdateState: ok unless a slot is unserved (with full coverage) or no majority. */
  updateState(): void {
    let ok = true;
    if (this.server.config.getBool('cluster-require-full-coverage')) {
      for (let j = 0; j < CLUSTER_SLOTS; j++) {
        const n = this.slots[j];
        if (n === null || n.flags & NODE_FAIL) {
          ok = false;
          break;
        }
      }
    }
    let size = 0;
    let reachable = 0;
    for (const n of this.nodes.values()) {
      if (n.isMaster() && n.numSlots > 0) {
        size++;
        if ((n.flags & (NODE_FAIL | NODE_PFAIL)) === 0) reachable++;
      }
    }
    this.size = size;
    const quorum = Math.floor(size / 2) + 1;
    if (reachable < quorum) ok = false;
    if (ok !== this.ok) {
      this.ok = ok;
      this.server.log.warn(`Cluster state changed: ${ok ? 'ok' : 'fail'}`);
    }
  }

  /** Redis's clusterGetMaxEpoch. */
  maxEpoch(): number {
    let max = 0;
    for (const n of this.nodes.values()) if (n.configEpoch > max) max = n.configEpoch;
    return Math.max(max, this.currentEpoch);
  }

  /** Redis's clusterBumpConfigEpochWithoutConsensus: true when the epoch changed. */
  bumpEpoch(): boolean {
    const max = this.maxEpoch();
    if (this.myself.configEpoch === 0 || this.myself.configEpoch !== max) {
      this.currentEpoch++;
      this.myself.configEpoch = this.currentEpoch;
      this.todo();
      return true;
    }
    return false;
  }

  // ---- CLUSTER NODES ---------------------------------------------------------------------------------

  flagsText(n: ClusterNode): string {
    const out: string[] = [];
    for (const [f, name] of FLAG_NAMES) if (n.flags & f) out.push(name);
    return out.length ? out.join(',') : 'noflags';
  }

  /** One CLUSTER NODES line (Redis's clusterGenNodeDescription), without the newline. */
  nodeLine(n: ClusterNode): string {
    let s = `${n.name} ${n.ip}:${n.port}@${n.cport}${n.hostname ? ',' + n.hostname : ''} ${this.flagsText(n)} `;
    s += n.slaveof ? n.slaveof.name : '-';
    const linked = n.link !== null || (n.flags & NODE_MYSELF) !== 0;
    // A replica shows its master's config epoch (Redis's nodeEpoch).
    const epoch = n.flags & NODE_SLAVE && n.slaveof ? n.slaveof.configEpoch : n.configEpoch;
    s += ` ${n.pingSent} ${n.pongReceived} ${epoch} ${linked ? 'connected' : 'disconnected'}`;
    if (n.numSlots > 0) {
      let start = -1;
      for (let j = 0; j <= CLUSTER_SLOTS; j++) {
        const has = j < CLUSTER_SLOTS && n.hasSlot(j);
        if (has && start < 0) start = j;
        if (!has && start >= 0) {
          s += start === j - 1 ? ` ${start}` : ` ${start}-${j - 1}`;
          start = -1;
        }
      }
    }
    if (n.flags & NODE_MYSELF) {
      for (let j = 0; j < CLUSTER_SLOTS; j++) {
        const m = this.migratingTo[j];
        if (m) s += ` [${j}->-${m.name}]`;
        else {
          const i = this.importingFrom[j];
          if (i) s += ` [${j}-<-${i.name}]`;
        }
      }
    }
    return s;
  }

  nodesText(filter = 0): string {
    let out = '';
    for (const n of this.nodes.values()) {
      if (n.flags & filter) continue;
      out += this.nodeLine(n) + '\n';
    }
    return out;
  }

  // ---- the bus ---------------------------------------------------------------------------------------

  private acceptBus(sock: net.Socket): void {
    const link = new Link(sock, null, true);
    this.inbound.add(link);
    this.wireLink(link);
  }

  private wireLink(link: Link): void {
    const sock = link.socket;
    sock.setNoDelay(true);
    sock.on('data', (chunk: Buffer) => {
      link.buf = link.buf.length === 0 ? chunk : Buffer.concat([link.buf, chunk]);
      this.readLink(link);
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      this.inbound.delete(link);
      if (link.node) {
        if (link.node.link === link) link.node.link = null;
        if (link.node.inboundLink === link) link.node.inboundLink = null;
      }
    });
  }

  private readLink(link: Link): void {
    while (link.buf.length >= 8) {
      const b = link.buf;
      if (b.toString('latin1', 0, 4) !== 'RCmb') {
        this.freeLink(link);
        return;
      }
      const totlen = b.readUInt32BE(4);
      if (totlen < 8 || totlen > 1 << 30) {
        this.freeLink(link);
        return;
      }
      if (b.length < totlen) return;
      const msg = b.subarray(0, totlen);
      link.buf = b.length === totlen ? Buffer.alloc(0) : b.subarray(totlen);
      const decoded = decodeMessage(msg);
      if (decoded === null) continue;
      try {
        this.process(link, decoded);
      } catch (err) {
        this.server.log.error({ err }, 'cluster bus message processing failed');
      }
      if (link.socket.destroyed) return;
    }
  }

  freeLink(link: Link | null): void {
    if (!link) return;
    if (link.node) {
      if (link.node.link === link) link.node.link = null;
      if (link.node.inboundLink === link) link.node.inboundLink = null;
    }
    this.inbound.delete(link);
    link.socket.destroy();
  }

  private connect(n: ClusterNode): void {
    const sock = net.connect({ host: n.ip, port: n.cport });
    const link = new Link(sock, n, false);
    n.link = link;
    this.wireLink(link);
    sock.once('connect', () => {
      if (n.link !== link) return;
      const oldPing = n.pingSent;
      this.sendPing(link, n.flags & NODE_MEET ? MSG_MEET : MSG_PING);
      if (oldPing) n.pingSent = oldPing;
      n.flags &= ~NODE_MEET;
    });
    sock.once('error', () => this.freeLink(link));
  }

  /** Our header fields, shared by every message. */
  headerFields(): HeaderFields {
    const me = this.myself;
    const master = me.flags & NODE_SLAVE && me.slaveof ? me.slaveof : me;
    me.replOffset = this.failover.myOffset();
    return {
      port: me.port,
      cport: this.busPort,
      currentEpoch: this.currentEpoch,
      configEpoch: master.configEpoch,
      sender: me.name,
      slots: master.slots,
      slaveof: me.slaveof ? me.slaveof.name : NULL_NAME,
      flags: me.flags,
      state: this.ok ? 0 : 1,
      offset: me.replOffset,
      mflags0: this.failover.headerFlags(),
    };
  }

  /** Redis's clusterSendPing: a PING, PONG or MEET with gossip about some other nodes. */
  sendPing(link: Link, type: number): void {
    const now = Date.now();
    const candidates: ClusterNode[] = [];
    const pfail: ClusterNode[] = [];
    for (const n of this.nodes.values()) {
      if (n === this.myself || n.flags & (NODE_HANDSHAKE | NODE_NOADDR)) continue;
      if (n.flags & NODE_PFAIL) pfail.push(n);
      if (n.link === null && n.numSlots === 0) continue;
      candidates.push(n);
    }
    const freshNodes = this.nodes.size - 2;
    let wanted = Math.max(3, Math.floor(this.nodes.size / 10));
    if (wanted > freshNodes) wanted = freshNodes;
    // Fisher-Yates partial shuffle: `wanted` random distinct candidates.
    const chosen: ClusterNode[] = [];
    for (let i = 0; i < candidates.length && chosen.length < wanted; i++) {
      const j = i + Math.floor(Math.random() * (candidates.length - i));
      [candidates[i], candidates[j]] = [candidates[j], candidates[i]];
      if (candidates[i] === link.node && candidates.length > wanted) continue;
      chosen.push(candidates[i]);
    }
    for (const n of pfail) if (!chosen.includes(n)) chosen.push(n);
    const gossip: GossipEntry[] = chosen.map((n) => ({
      name: n.name,
      pingSent: Math.floor(n.pingSent / 1000),
      pongReceived: Math.floor(n.pongReceived / 1000),
      ip: n.ip,
      port: n.port,
      cport: n.cport,
      flags: n.flags,
      pport: n.pport,
    }));
    if (link.node && type === MSG_PING) link.node.pingSent = now;
    link.send(encodePing(type, this.headerFields(), gossip));
    this.sent[type]++;
  }

  broadcast(b: Buffer, type: number): void {
    for (const n of this.nodes.values()) {
      if (n === this.myself || n.flags & (NODE_HANDSHAKE | NODE_NOADDR) || !n.link) continue;
      n.link.send(b);
      this.sent[type]++;
    }
  }

  /**
   * Send a PONG to every node: announce a configuration change at once (slots, epoch). With
   * localReplicas, only to our replicas and our master's (Redis's CLUSTER_BROADCAST_LOCAL_SLAVES).
   */
  broadcastPong(localReplicas = false): void {
    const me = this.myself;
    for (const n of this.nodes.values()) {
      if (n === me || n.flags & (NODE_HANDSHAKE | NODE_NOADDR) || !n.link) continue;
      if (localReplicas && !(n.flags & NODE_SLAVE && n.slaveof && (n.slaveof === me || n.slaveof === me.slaveof))) continue;
      this.sendPing(n.link, MSG_PONG);
    }
  }

  sendRaw(link: Link, b: Buffer, type: number): void {
    link.send(b);
    this.sent[type]++;
  }

  broadcastPublish(channel: string, message: string): void {
    this.broadcast(encodePublish(this.headerFields(), channel, message), MSG_PUBLISH);
  }

  // ---- processing --------------------------------------------------------------------------------

  private process(link: Link, m: BusMessage): void {
    const now = Date.now();
    const type = m.type;
    if (type < this.received.length) this.received[type]++;
    let sender = this.nodes.get(m.sender);
    if (sender && sender.flags & NODE_HANDSHAKE) sender = undefined;
    if (sender && link.inbound && !link.node) {
      link.node = sender;
      sender.inboundLink = link;
    }
    if (sender) sender.dataReceived = now;
    if (sender) {
      if (m.currentEpoch > this.currentEpoch) {
        this.currentEpoch = m.currentEpoch;
        this.todo();
      }
      if (m.configEpoch > sender.configEpoch) {
        sender.configEpoch = m.configEpoch;
        this.todo();
      }
      sender.replOffset = m.offset;
      this.failover.onHeader(sender, m);
    }

    if (type === MSG_PING || type === MSG_MEET) {
      if ((type === MSG_MEET || this.myself.ip === '') && link.socket.localAddress) {
        let ip = link.socket.localAddress;
        if (ip.startsWith('::ffff:')) ip = ip.slice(7);
        if (ip !== this.myself.ip) {
          this.myself.ip = ip;
          this.server.log.warn(`IP address for this node updated to ${ip}`);
          this.todo();
        }
      }
      if (!sender && type === MSG_MEET) {
        const n = new ClusterNode(randomName(), NODE_HANDSHAKE);
        n.ip = m.myip !== '' ? m.myip : normalizeIp(link.socket.remoteAddress ?? '');
        n.port = m.port;
        n.pport = m.pport;
        n.cport = m.cport;
        this.nodes.set(n.name, n);
        this.todo();
        this.processGossip(m, undefined);
      }
      this.sendPing(link, MSG_PONG);
    }

    if (type === MSG_PING || type === MSG_PONG || type === MSG_MEET) {
      if (!link.inbound && link.node) {
        const ln = link.node;
        if (ln.flags & NODE_HANDSHAKE) {
          if (sender) {
            // We already know this node under its real name: drop the handshake one.
            this.delNode(ln);
            return;
          }
          if (this.nodes.has(m.sender)) {
            this.delNode(ln);
            return;
          }
          this.renameNode(ln, m.sender);
          ln.flags &= ~NODE_HANDSHAKE;
          ln.flags |= m.flags & (NODE_MASTER | NODE_SLAVE);
          this.todo();
        } else if (ln.name !== m.sender) {
          ln.flags |= NODE_NOADDR;
          ln.ip = '';
          ln.port = 0;
          ln.cport = 0;
          this.freeLink(link);
          this.todo();
          return;
        }
      }
      if (sender) {
        sender.flags = (sender.flags & ~NODE_NOFAILOVER) | (m.flags & NODE_NOFAILOVER);
      }
      if (!link.inbound && link.node && type === MSG_PONG) {
        const ln = link.node;
        ln.pongReceived = now;
        ln.pingSent = 0;
        if (ln.flags & NODE_PFAIL) {
          ln.flags &= ~NODE_PFAIL;
          this.todo();
        } else if (ln.flags & NODE_FAIL) this.clearFailureIfNeeded(ln);
      }
      const target = sender ?? (!link.inbound && link.node && link.node.name === m.sender ? link.node : undefined);
      if (target) this.updateRole(target, m);
      if (target) {
        const master = target.isMaster() ? target : target.slaveof;
        const dirty = master !== null && !equalBitmap(master.slots, m.slots);
        if (target.isMaster() && dirty) this.updateSlotsWith(target, m.configEpoch, m.slots);
        if (dirty && target.link) {
          for (let j = 0; j < CLUSTER_SLOTS; j++) {
            if ((m.slots[j >> 3] & (1 << (j & 7))) === 0) continue;
            const owner = this.slots[j];
            if (owner === target || owner === null) continue;
            if (owner.configEpoch > m.configEpoch) {
              target.link.send(encodeUpdate(this.headerFields(), owner.name, owner.configEpoch, owner.slots));
              this.sent[MSG_UPDATE]++;
              break;
            }
          }
        }
        if (target.isMaster() && this.myself.isMaster() && m.configEpoch === this.myself.configEpoch && target !== this.myself) {
          this.handleEpochCollision(target);
        }
        this.processGossip(m, target);
        if (m.hostname !== null && m.hostname !== target.hostname) {
          target.hostname = m.hostname;
          this.todo();
        }
      }
    } else if (type === MSG_FAIL) {
      if (sender && m.failing) {
        const f = this.nodes.get(m.failing);
        if (f && (f.flags & (NODE_FAIL | NODE_MYSELF)) === 0) {
          this.server.log.info(`FAIL message received from ${sender.name} about ${f.name}`);
          f.flags |= NODE_FAIL;
          f.failTime = now;
          f.flags &= ~NODE_PFAIL;
          this.todo();
        }
      }
    } else if (type === MSG_UPDATE) {
      if (sender && m.update) {
        const n = this.nodes.get(m.update.name);
        if (n && n.configEpoch < m.update.configEpoch) {
          if (n.flags & NODE_SLAVE) this.setAsMaster(n);
          n.configEpoch = m.update.configEpoch;
          this.updateSlotsWith(n, m.update.configEpoch, m.update.slots);
          this.todo();
        }
      }
    } else if (type === MSG_PUBLISH) {
      if (sender && m.publish) this.server.pubsub.publish(m.publish.channel, m.publish.message);
    } else if (type === MSG_FAILOVER_AUTH_REQUEST) {
      if (sender) this.failover.onAuthRequest(sender, m);
    } else if (type === MSG_FAILOVER_AUTH_ACK) {
      if (sender) this.failover.onAuthAck(sender, m);
    } else if (type === MSG_MFSTART) {
      if (sender) this.failover.onMfStart(sender, link);
    } else if (type === MSG_MODULE) {
      // As Redis: only from known nodes; other module ids are ignored.
      if (sender && m.module) this.modules.receive(sender, m.module.moduleId, m.module.type, m.module.payload);
    }
  }

  private updateRole(n: ClusterNode, m: BusMessage): void {
    if (m.slaveof === NULL_NAME) {
      this.setAsMaster(n);
      return;
    }
    if (n.isMaster()) {
      for (let j = 0; j < CLUSTER_SLOTS; j++) if (this.slots[j] === n) this.delSlot(j);
      n.flags = (n.flags & ~(NODE_MASTER | NODE_MIGRATE_TO)) | NODE_SLAVE;
      this.todo();
    }
    const master = this.nodes.get(m.slaveof);
    if (master && n.slaveof !== master) {
      if (n.slaveof) removeReplica(n.slaveof, n);
      master.replicas.push(n);
      n.slaveof = master;
      this.todo();
    }
  }

  /** Redis's clusterSetNodeAsMaster. */
  setAsMaster(n: ClusterNode): void {
    if (n.isMaster()) return;
    if (n.slaveof) {
      removeReplica(n.slaveof, n);
      if (n !== this.myself) n.flags |= NODE_MIGRATE_TO;
    }
    n.flags = (n.flags & ~NODE_SLAVE) | NODE_MASTER;
    n.slaveof = null;
    this.todo();
  }

  /**
   * Redis's clusterUpdateSlotsConfigWith: claimed slots go to a sender with a newer config epoch.
   * When that takes every slot of our master (or ours), we become the sender's replica: the old
   * master's other replicas follow the winner of a failover, and an old master that comes back
   * rejoins as a replica.
   */
  private updateSlotsWith(sender: ClusterNode, epoch: number, slots: Uint8Array): void {
    if (sender === this.myself) return;
    const me = this.myself;
    const curMaster = me.isMaster() ? me : me.slaveof;
    const dirty: number[] = [];
    let changed = false;
    let newMaster: ClusterNode | null = null;
    let senderSlots = 0;
    let migratedOurs = 0;
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if ((slots[j >> 3] & (1 << (j & 7))) === 0) continue;
      senderSlots++;
      const owner = this.slots[j];
      if (owner === sender) continue;
      if (this.importingFrom[j] !== null) continue;
      if (owner === null || owner.configEpoch < epoch) {
        if (owner === me && this.countKeysInSlot(j) > 0) dirty.push(j);
        if (owner === me && this.migratingTo[j] !== null) this.migratingTo[j] = null;
        if (owner !== null && owner === curMaster) {
          newMaster = sender;
          migratedOurs++;
        }
        this.delSlot(j);
        this.addSlot(sender, j);
        changed = true;
      }
    }
    if (changed) this.todo();
    if (newMaster && curMaster && curMaster.numSlots === 0 &&
      (this.server.config.getBool('cluster-allow-replica-migration') || senderSlots === migratedOurs)) {
      this.server.log.warn(`Configuration change detected. Reconfiguring myself as a replica of ${sender.name}`);
      this.failover.setMaster(sender);
      return;
    }
    if (me.slaveof && me.slaveof.slaveof && me.slaveof.slaveof !== me) {
      this.server.log.info(`I'm a sub-replica! Reconfiguring myself as a replica of grandmaster ${me.slaveof.slaveof.name}`);
      this.failover.setMaster(me.slaveof.slaveof);
      return;
    }
    // Keys of slots this node lost while still holding them are deleted (Redis does the same).
    if (dirty.length) {
      const db = this.server.dbs[0];
      for (const j of dirty) for (const k of this.slotIndex.keys(j, Infinity)) db.delete(k);
    }
  }

  /** Redis's clusterHandleConfigEpochCollision. */
  private handleEpochCollision(sender: ClusterNode): void {
    if (sender.name <= this.myself.name) return;
    this.currentEpoch++;
    this.myself.configEpoch = this.currentEpoch;
    this.todo();
    this.server.log.warn(`WARNING: configEpoch collision with node ${sender.name}. configEpoch set to ${this.myself.configEpoch}`);
  }

  private processGossip(m: BusMessage, sender: ClusterNode | undefined): void {
    const now = Date.now();
    for (const g of m.gossip) {
      const n = this.nodes.get(g.name);
      if (n) {
        if (sender && sender.isMaster() && n !== this.myself) {
          if (g.flags & (NODE_FAIL | NODE_PFAIL)) {
            if (!n.failReports.has(sender)) this.server.log.debug(`Node ${sender.name} reported node ${n.name} as not reachable.`);
            n.failReports.set(sender, now);
            this.markFailingIfNeeded(n);
          } else if (n.failReports.delete(sender)) {
            // report withdrawn
          }
        }
        if (n !== this.myself && (g.flags & (NODE_FAIL | NODE_PFAIL)) === 0 && n.pingSent === 0 && n.failReports.size === 0) {
          const pong = g.pongReceived * 1000;
          if (pong <= now + 500 && pong > n.pongReceived) n.pongReceived = pong;
        }
        if (n.flags & (NODE_FAIL | NODE_NOADDR) && (g.flags & NODE_NOADDR) === 0 && g.ip !== '' &&
          (n.ip !== g.ip || n.port !== g.port || n.cport !== g.cport)) {
          this.freeLink(n.link);
          n.ip = g.ip;
          n.port = g.port;
          n.cport = g.cport;
          n.pport = g.pport;
          n.flags &= ~NODE_NOADDR;
          this.todo();
        }
      } else if (sender && (g.flags & NODE_NOADDR) === 0 && !this.blacklisted(g.name) && g.ip !== '') {
        this.startHandshake(g.ip, g.port, g.cport);
      }
    }
  }

  blacklisted(name: string): boolean {
    const until = this.blacklist.get(name);
    if (until === undefined) return false;
    if (until < Date.now()) {
      this.blacklist.delete(name);
      return false;
    }
    return true;
  }

  /** Valid failure reports about a node (older ones are forgotten). */
  failureReports(n: ClusterNode): number {
    const maxAge = this.nodeTimeout * FAIL_REPORT_VALIDITY_MULT;
    const now = Date.now();
    for (const [by, t] of n.failReports) if (now - t > maxAge) n.failReports.delete(by);
    return n.failReports.size;
  }

  /** Redis's markNodeAsFailingIfNeeded: PFAIL becomes FAIL with a majority of masters agreeing. */
  private markFailingIfNeeded(n: ClusterNode): void {
    const quorum = Math.floor(this.size / 2) + 1;
    if ((n.flags & NODE_PFAIL) === 0 || n.flags & NODE_FAIL) return;
    let failures = this.failureReports(n);
    if (this.myself.isMaster()) failures++;
    if (failures < quorum) return;
    this.server.log.warn(`Marking node ${n.name} as failing (quorum reached).`);
    n.flags &= ~NODE_PFAIL;
    n.flags |= NODE_FAIL;
    n.failTime = Date.now();
    this.broadcast(encodeFail(this.headerFields(), n.name), MSG_FAIL);
    this.todo();
  }

  /** Redis's clearNodeFailureIfNeeded. */
  private clearFailureIfNeeded(n: ClusterNode): void {
    const now = Date.now();
    if (n.flags & NODE_SLAVE || n.numSlots === 0 || now - n.failTime > this.nodeTimeout * FAIL_UNDO_TIME_MULT) {
      n.flags &= ~NODE_FAIL;
      this.todo();
    }
  }

  // ---- cron ------------------------------------------------------------------------------------------

  /** Redis's clusterCron, 10 times a second. */
  private cron(): void {
    const now = Date.now();
    const timeout = this.nodeTimeout;
    const handshakeTimeout = Math.max(timeout, 1000);
    this.iteration++;
    for (const n of [...this.nodes.values()]) {
      if (n === this.myself || n.flags & NODE_NOADDR) continue;
      if (n.flags & NODE_PFAIL) this.markFailingIfNeeded(n);
      if (n.flags & NODE_HANDSHAKE && now - n.ctime > handshakeTimeout) {
        this.delNode(n);
        continue;
      }
      if (n.link === null && n.ip !== '') this.connect(n);
    }
    if (this.iteration % 10 === 0) {
      // Ping the node with the oldest PONG among five random ones.
      const list = [...this.nodes.values()];
      let minPong = Infinity;
      let target: ClusterNode | null = null;
      for (let i = 0; i < 5 && list.length > 0; i++) {
        const n = list[Math.floor(Math.random() * list.length)];
        if (n.link === null || n.pingSent !== 0 || n.flags & (NODE_MYSELF | NODE_HANDSHAKE)) continue;
        if (n.pongReceived < minPong) {
          minPong = n.pongReceived;
          target = n;
        }
      }
      if (target && target.link) this.sendPing(target.link, MSG_PING);
    }
    for (const n of this.nodes.values()) {
      if (n.flags & (NODE_MYSELF | NODE_NOADDR | NODE_HANDSHAKE)) continue;
      const link = n.link;
      if (link && now - link.ctime > timeout && n.pingSent && now - n.pingSent > timeout / 2 && now - n.dataReceived > timeout / 2) {
        this.freeLink(link); // reconnect next time
      }
      if (n.link && n.pingSent === 0 && now - n.pongReceived > timeout / 2) {
        this.sendPing(n.link, MSG_PING);
        continue;
      }
      if (n.pingSent === 0) continue;
      const delay = Math.min(now - n.pingSent, now - n.dataReceived);
      if (delay > timeout && (n.flags & (NODE_PFAIL | NODE_FAIL)) === 0) {
        this.server.log.debug(`*** NODE ${n.name} possibly failing`);
        n.flags |= NODE_PFAIL;
        this.todo(false);
      }
    }
    this.failover.cron();
    this.modules.cron(now);
    this.updateState();
    if (this.saveNeeded) this.trySave();
  }
}

function equalBitmap(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function normalizeIp(ip: string): string {
  return ip.startsWith('::ffff:') && net.isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

