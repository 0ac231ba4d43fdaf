// WASM modules carried by the cluster bus (docs/CLUSTER.md "WASM functions in a cluster").
//
// `WASM.LOAD name … CLUSTER` and `WASM.UNLOAD name CLUSTER` make a function cluster-wide: every
// Lodestone node (masters and replicas) loads it, including nodes that join later or were down.
// The messages are Redis 7.0's CLUSTERMSG_TYPE_MODULE (bus.ts encodeModule) under a fixed module
// id; a redis-server node checks the length, finds no receiver for the id and ignores them (the
// link stays up), so mixed clusters keep working. Only the small DIGEST is ever sent to a node
// not known to be Lodestone; module bytes go only to a node that asked for them.
//
// Consistency: each cluster-wide name has a version (a Lamport clock: one more than the highest
// version this node has seen) and the id of the node that made it; (version, origin) orders two
// versions, so concurrent LOADs of one name on two nodes end with the same winner everywhere
// (last writer wins). UNLOAD … CLUSTER leaves a tombstone with its own version, so a node that
// was down while the function was deleted drops it when it rejoins instead of bringing it back.
//
// Anti-entropy: a node sends its DIGEST (name, version, origin, sha256 or null for a tombstone)
// on every new link once the peer answered a PING, again every DIGEST_INTERVAL_MS, and at once
// to every node after a local change. A node that gets a digest with a newer entry applies a
// tombstone at once or asks the sender (WANT) for the module, which comes back in CHUNKs of at
// most CHUNK_BYTES; a node that has entries newer than the digest's answers with its own digest.
//
// A module from the bus is loaded like a client's WASM.LOAD (WasmRegistry.loadAsync: the same
// max_module_bytes, instrumentation, permission-vs-import checks, memory limits, persistence in
// module_dir/.loaded); its total size is checked against max_module_bytes before anything is
// buffered, chunks must arrive in order, and the assembled bytes must match the announced sha256.
// A module that fails to load is logged and not asked for again for five minutes (or until a newer
// version appears).
// Versions survive restarts in `<cluster-config-file>.wasm.json` next to nodes.conf.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { encodeModule, MSG_MODULE } from './bus.js';
import type { Cluster, ClusterNode, Link } from './cluster.js';
import { NODE_HANDSHAKE, NODE_MYSELF, NODE_NOADDR } from './cluster.js';
import { parsePermission, type Permission } from '../wasm/abi.js';
import { NAME_RE } from '../wasm/registry.js';

/** The module id of Lodestone's messages: the 8 bytes "LdstWASM" (Redis compares them raw). */
export const LODESTONE_MODULE_ID = Buffer.from('LdstWASM', 'latin1');
const T_DIGEST = 1;
const T_WANT = 2;
const T_CHUNK = 3;
/** Largest piece of a module in one message (a peer's reader concatenates TCP reads). */
export const CHUNK_BYTES = 256 * 1024;
const DIGEST_INTERVAL_MS = 5000;
/** A module that failed to load (limits, maxmemory) is asked for again after this long. */
const FAILED_RETRY_MS = 5 * 60_000;
/** Versions above this are ignored, so the clock can always be incremented exactly. */
const MAX_VERSION = 2 ** 52;
/** A fetch with no chunk for this long is abandoned (and asked again at the next digest). */
const FETCH_TIMEOUT_MS = 30_000;

/** A cluster-wide function's version; sha256 null is a tombstone (deleted cluster-wide). */
export interface Entry {
  version: number;
  origin: string;
  sha256: string | null;
  permissions: Permission[];
}

interface Fetch {
  key: string;
  from: ClusterNode;
  entry: Entry;
  total: number;
  got: number;
  buf: Buffer | null;
  last: number;
  loading: boolean;
}

function newer(a: { version: number; origin: string }, b: { version: number; origin: string } | undefined): boolean {
  if (!b) return true;
  return a.version > b.version || (a.version === b.version && a.origin > b.origin);
}

function entryKey(name: string, e: Entry): string {
  return `${name}@${e.version}@${e.origin}`;
}

export class ClusterModules {
  /** Lamport clock: the highest version seen. */
  clock = 0;
  readonly entries = new Map<string, Entry>();
  private readonly fetches = new Map<string, Fetch>();
  /** (name, version, origin) that failed to load here, with the time: not asked for again for FAILED_RETRY_MS. */
  private readonly failed = new Map<string, number>();
  private readonly digested = new WeakSet<Link>();
  private lastDigest = Date.now();
  loadedFromBus = 0;
  deletedFromBus = 0;

  constructor(private readonly cluster: Cluster) {}

  private get server() {
    return this.cluster.server;
  }

  statePath(): string {
    return `${this.cluster.configPath()}.wasm.json`;
  }

  /** Read the versions saved by an earlier run (startup). */
  load(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.statePath(), 'utf8');
    } catch {
      return;
    }
    try {
      const j = JSON.parse(text) as { clock: number; entries: Record<string, Entry> };
      this.clock = Number(j.clock) || 0;
      for (const [name, e] of Object.entries(j.entries ?? {})) {
        if (NAME_RE.test(name) && typeof e.version === 'number' && typeof e.origin === 'string') {
          this.entries.set(name, { version: e.version, origin: e.origin, sha256: e.sha256 ?? null, permissions: (e.permissions ?? []).filter((p) => parsePermission(p)) });
        }
      }
    } catch (err) {
      this.server.log.warn({ err }, `cannot read ${this.statePath()}; cluster-wide WASM versions start empty`);
    }
  }

  private save(): void {
    const file = this.statePath();
    const tmp = `${file}.tmp-${process.pid}`;
    try {
      fs.writeFileSync(tmp, JSON.stringify({ clock: this.clock, entries: Object.fromEntries(this.entries) }) + '\n');
      fs.renameSync(tmp, file);
    } catch (err) {
      this.server.log.warn({ err }, `cannot write ${file}`);
    }
  }

  /** The entry this node really holds: a live entry counts only while the registry has those bytes. */
  effective(name: string): Entry | undefined {
    const e = this.entries.get(name);
    if (!e) return undefined;
    if (e.sha256 === null) return e;
    const fn = this.server.wasm?.functions.get(name);
    return fn && fn.sha256 === e.sha256 ? e : undefined;
  }

  /** Whether a client's plain (non-CLUSTER) WASM.LOAD / UNLOAD of this name must be refused. */
  isClusterWide(name: string): boolean {
    const e = this.entries.get(name);
    return e !== undefined && e.sha256 !== null;
  }

  // ---- local operations (WASM.LOAD … CLUSTER, WASM.UNLOAD … CLUSTER) -------------------------------

  /** A function was loaded here with CLUSTER: give it a new version and tell every node. */
  loadedHere(name: string): void {
    const fn = this.server.wasm?.functions.get(name);
    if (!fn) return;
    this.set(name, { version: ++this.clock, origin: this.cluster.myself.name, sha256: fn.sha256, permissions: [...fn.permissions] });
    this.broadcastDigest();
  }

  /** A function was unloaded here with CLUSTER: a tombstone, sent to every node. */
  unloadedHere(name: string): void {
    this.set(name, { version: ++this.clock, origin: this.cluster.myself.name, sha256: null, permissions: [] });
    this.broadcastDigest();
  }

  private set(name: string, e: Entry): void {
    if (e.version > this.clock) this.clock = e.version;
    this.entries.set(name, e);
    const f = this.fetches.get(name);
    if (f && !f.loading && !newer(f.entry, e)) this.fetches.delete(name);
    this.save();
  }

  // ---- sending ------------------------------------------------------------------------------------

  private send(n: ClusterNode, type: number, payload: Buffer): boolean {
    const link = n.link;
    if (!link || link.socket.destroyed) return false;
    link.send(encodeModule(this.cluster.headerFields(), LODESTONE_MODULE_ID, type, payload));
    this.cluster.sent[MSG_MODULE]++;
    return true;
  }

  private digestPayload(): Buffer {
    const list: [string, number, string, string | null][] = [];
    for (const name of this.entries.keys()) {
      const e = this.effective(name);
      if (e) list.push([name, e.version, e.origin, e.sha256]);
    }
    return Buffer.from(JSON.stringify({ v: 1, clock: this.clock, fns: list }));
  }

  private peers(): ClusterNode[] {
    const out: ClusterNode[] = [];
    for (const n of this.cluster.nodes.values()) {
      if (n.flags & (NODE_MYSELF | NODE_HANDSHAKE | NODE_NOADDR) || !n.link) continue;
      out.push(n);
    }
    return out;
  }

  broadcastDigest(): void {
    if (!this.server.wasm) return;
    const p = this.digestPayload();
    for (const n of this.peers()) this.send(n, T_DIGEST, p);
    this.lastDigest = Date.now();
  }

  /** Called from the cluster cron: digests on new links (once the peer answered) and periodically. */
  cron(now: number): void {
    if (!this.server.wasm) return;
    if (now - this.lastDigest >= DIGEST_INTERVAL_MS) this.broadcastDigest();
    else {
      let p: Buffer | null = null;
      for (const n of this.peers()) {
        const link = n.link!;
        if (this.digested.has(link) || n.pongReceived < link.ctime) continue;
        this.digested.add(link);
        p ??= this.digestPayload();
        this.send(n, T_DIGEST, p);
      }
    }
    for (const [name, f] of this.fetches) if (!f.loading && now - f.last > FETCH_TIMEOUT_MS) this.fetches.delete(name);
    for (const [k, t] of this.failed) if (now - t >= FAILED_RETRY_MS) this.failed.delete(k);
  }

  // ---- receiving ----------------------------------------------------------------------------------

  /** A MODULE message from a known node (cluster.ts process()). Other module ids are ignored, as Redis does. */
  receive(sender: ClusterNode, moduleId: Buffer, type: number, payload: Buffer): void {
    if (!moduleId.equals(LODESTONE_MODULE_ID) || !this.server.wasm) return;
    try {
      if (type === T_DIGEST) this.onDigest(sender, payload);
      else if (type === T_WANT) this.onWant(sender, payload);
      else if (type === T_CHUNK) this.onChunk(sender, payload);
    } catch (err) {
      this.server.log.warn({ err, from: sender.name }, 'malformed WASM module message on the cluster bus, ignored');
    }
  }

  private onDigest(sender: ClusterNode, payload: Buffer): void {
    const j = JSON.parse(payload.toString('utf8')) as { fns: unknown };
    if (!Array.isArray(j.fns)) return;
    const theirs = new Map<string, Entry>();
    const want: string[] = [];
    for (const item of j.fns as unknown[]) {
      if (!Array.isArray(item) || item.length < 4) continue;
      const [name, version, origin, sha] = item as [unknown, unknown, unknown, unknown];
      if (typeof name !== 'string' || !NAME_RE.test(name) || typeof version !== 'number' || !Number.isSafeInteger(version) || version < 0 || version > MAX_VERSION) continue;
      if (typeof origin !== 'string' || origin.length > 40 || (sha !== null && (typeof sha !== 'string' || !/^[0-9a-f]{64}$/.test(sha)))) continue;
      const e: Entry = { version, origin, sha256: sha as string | null, permissions: [] };
      theirs.set(name, e);
      if (version > this.clock) this.clock = version;
      const mine = this.effective(name);
      if (!newer(e, mine)) continue;
      if (e.sha256 === null) {
        this.applyTombstone(name, e);
        continue;
      }
      const failedAt = this.failed.get(entryKey(name, e));
      if (failedAt !== undefined && Date.now() - failedAt < FAILED_RETRY_MS) continue;
      const f = this.fetches.get(name);
      // One fetch per name; a newer version waits until a load in progress is done.
      if (f && (f.loading || !newer(e, f.entry))) continue;
      this.fetches.set(name, { key: entryKey(name, e), from: sender, entry: e, total: -1, got: 0, buf: null, last: Date.now(), loading: false });
      want.push(name);
    }
    if (want.length) this.send(sender, T_WANT, Buffer.from(JSON.stringify({ names: want })));
    // Tell the sender what it lacks or has older.
    for (const name of this.entries.keys()) {
      const mine = this.effective(name);
      if (mine && newer(mine, theirs.get(name))) {
        this.send(sender, T_DIGEST, this.digestPayload());
        break;
      }
    }
  }

  private applyTombstone(name: string, e: Entry): void {
    const reg = this.server.wasm!;
    if (reg.functions.has(name)) {
      reg.unload(name);
      this.deletedFromBus++;
      this.server.log.info(`WASM function '${name}' unloaded: deleted cluster-wide (version ${e.version} from ${e.origin})`);
    }
    this.set(name, e);
  }

  private onWant(sender: ClusterNode, payload: Buffer): void {
    const j = JSON.parse(payload.toString('utf8')) as { names: unknown };
    if (!Array.isArray(j.names)) return;
    const reg = this.server.wasm!;
    for (const name of j.names as unknown[]) {
      if (typeof name !== 'string') continue;
      const e = this.effective(name);
      const fn = reg.functions.get(name);
      if (!e || e.sha256 === null || !fn) continue;
      const bytes = fn.bytes;
      const head = { name, version: e.version, origin: e.origin, sha256: e.sha256, permissions: fn.permissions, total: bytes.length };
      for (let off = 0; off < bytes.length; off += CHUNK_BYTES) {
        const h = Buffer.from(JSON.stringify({ ...head, off }));
        const part = bytes.subarray(off, Math.min(bytes.length, off + CHUNK_BYTES));
        const p = Buffer.allocUnsafe(4 + h.length + part.length);
        p.writeUInt32BE(h.length, 0);
        h.copy(p, 4);
        part.copy(p, 4 + h.length);
        if (!this.send(sender, T_CHUNK, p)) return;
      }
    }
  }

  private onChunk(sender: ClusterNode, payload: Buffer): void {
    const hl = payload.readUInt32BE(0);
    if (hl > 4096 || 4 + hl > payload.length) return;
    const h = JSON.parse(payload.toString('utf8', 4, 4 + hl)) as {
      name: string; version: number; origin: string; sha256: string; permissions: unknown; total: number; off: number;
    };
    const data = payload.subarray(4 + hl);
    const f = this.fetches.get(h.name);
    if (!f || f.from !== sender || f.loading || h.version !== f.entry.version || h.origin !== f.entry.origin || h.sha256 !== f.entry.sha256) return;
    const reg = this.server.wasm!;
    if (f.buf === null) {
      const max = this.server.config.getInt('wasm.limits.max_module_bytes');
      if (!Number.isSafeInteger(h.total) || h.total < 8 || h.total > max || h.off !== 0) {
        this.fail(h.name, f, `module is ${h.total} bytes, over wasm.limits.max_module_bytes (${max})`);
        return;
      }
      f.total = h.total;
      f.buf = Buffer.alloc(h.total);
      f.entry.permissions = Array.isArray(h.permissions)
        ? [...new Set((h.permissions as unknown[]).map((p) => (typeof p === 'string' ? parsePermission(p) : null)).filter((p): p is Permission => p !== null))]
        : [];
    }
    if (h.off !== f.got || h.total !== f.total || f.got + data.length > f.total) {
      this.fetches.delete(h.name); // out of order: asked again at the next digest
      return;
    }
    data.copy(f.buf, f.got);
    f.got += data.length;
    f.last = Date.now();
    if (f.got < f.total) return;
    const bytes = f.buf;
    if (createHash('sha256').update(bytes).digest('hex') !== f.entry.sha256) {
      this.fail(h.name, f, 'sha256 of the received bytes does not match');
      return;
    }
    f.loading = true;
    const name = h.name;
    reg.loadAsync(name, bytes, { replace: true, permissions: f.entry.permissions }).then(
      () => {
        if (this.fetches.get(name) === f) this.fetches.delete(name);
        const cur = this.entries.get(name);
        if (cur && newer(cur, f.entry)) {
          // A newer version arrived meanwhile. A tombstone wins: what was just loaded goes.
          if (cur.sha256 === null) {
            reg.unload(name);
            return;
          }
          // A newer module loaded here (a concurrent WASM.LOAD … CLUSTER) that this load has not
          // replaced wins too. If this load replaced it, the registry now holds these bytes: record
          // them, so the entry describes what is loaded (the other nodes converge on one version).
          if (reg.functions.get(name)?.sha256 === cur.sha256) return;
        }
        this.loadedFromBus++;
        this.set(name, f.entry);
        this.server.log.info(`WASM function '${name}' loaded from the cluster bus (version ${f.entry.version} from ${f.entry.origin})`);
        this.broadcastDigest();
      },
      (e: unknown) => this.fail(name, f, (e as Error).message),
    );
  }

  private fail(name: string, f: Fetch, why: string): void {
    if (this.fetches.get(name) === f) this.fetches.delete(name);
    this.failed.set(f.key, Date.now());
    this.server.log.warn(`WASM function '${name}' from node ${f.from.name} (version ${f.entry.version}) not loaded: ${why}`);
  }
}
