// The cluster clients' workload (test/cluster-clients.test.ts), one implementation for ioredis
// Cluster and node-redis createCluster behind a small adapter, the same as
// test/fixtures/cluster_client.py does with redis-py: rounds over hash tags of keys, each tag
// written with single SETs, one pipeline or MULTI/EXEC (by turns), retried while the cluster
// moves slots; one WASM.CALL of the rate limiter per tag; one GET checked against the last
// acknowledged value. It records what was acknowledged so that the test can read every key back
// after a reshard and find any acknowledged write that was lost.

import { channel } from 'node:diagnostics_channel';
import { createRequire } from 'node:module';
import { Cluster as IoCluster } from 'ioredis';
import { keyHashSlot } from '../../src/cluster/slot.js';
import { sleep } from './poll.js';
import { ioCluster, type PyLoadResult } from './cluster.js';

/** What one client does against the cluster; every write answers true only when acknowledged. */
export interface LoadClient {
  name: string;
  set(k: string, v: string): Promise<boolean>;
  get(k: string): Promise<string | null>;
  /** One pipeline of SETs: acknowledged or not, per command. */
  pipelineSet(kvs: [string, string][]): Promise<boolean[]>;
  /** MULTI, SETs, EXEC: true when EXEC applied them all. */
  multiSet(kvs: [string, string][]): Promise<boolean>;
  wasmCall(fn: string, key: string, args: string[]): Promise<unknown>;
  /** MOVED and ASK replies the client followed so far. */
  redirects(): { MOVED: number; ASK: number };
  close(): Promise<void>;
}

export type LoadResult = PyLoadResult;

const ATTEMPTS = 8;

/** Runs rounds over `tags` tags × `perTag` keys until stopped; tags run `concurrency` at a time. */
export class Load {
  readonly acked = new Map<string, string>();
  readonly pending = new Map<string, string[]>();
  readonly rl = new Map<string, [number, number]>();
  readonly errors = new Map<string, number>();
  stale = 0;
  /** The first stale reads: key, value read, last acknowledged value, round. */
  readonly staleSamples: string[] = [];
  rounds = 0;
  private stopping = false;
  private aborted = false;
  readonly done: Promise<void>;

  constructor(
    readonly client: LoadClient,
    readonly prefix: string,
    readonly tags: number,
    readonly perTag: number,
    readonly rlFunction = '',
    readonly concurrency = 8,
  ) {
    this.done = this.run();
  }

  /** Finish after the round that starts next. */
  stop(): void {
    this.stopping = true;
  }

  /** Stop at once (cleanup after a failed test). */
  abort(): void {
    this.aborted = true;
  }

  async result(): Promise<LoadResult> {
    await this.done;
    return {
      acked: Object.fromEntries(this.acked),
      pending: Object.fromEntries(this.pending),
      rl: Object.fromEntries(this.rl),
      stale: this.stale,
      staleSamples: this.staleSamples,
      errors: Object.fromEntries(this.errors),
      redirects: this.client.redirects(),
      rounds: this.rounds,
    };
  }

  private countError(e: unknown): void {
    const msg = e instanceof Error ? e.message : String(e);
    const k = `${e instanceof Error ? e.constructor.name : typeof e}: ${msg.split(' ')[0]}`;
    this.errors.set(k, (this.errors.get(k) ?? 0) + 1);
  }

  private ack(k: string, v: string): void {
    this.acked.set(k, v);
    this.pending.delete(k);
  }

  /** Write with `mode` (0 single SETs, 1 pipeline, 2 MULTI); the pairs not acknowledged. */
  private async write(mode: number, kvs: [string, string][]): Promise<[string, string][]> {
    const c = this.client;
    const left: [string, string][] = [];
    if (mode === 0) {
      for (const [k, v] of kvs) {
        const ok = await c.set(k, v).catch((e: unknown) => (this.countError(e), false));
        if (ok) this.ack(k, v);
        else left.push([k, v]);
      }
    } else if (mode === 1) {
      const res = await c.pipelineSet(kvs).catch((e: unknown) => (this.countError(e), kvs.map(() => false)));
      kvs.forEach(([k, v], i) => (res[i] ? this.ack(k, v) : left.push([k, v])));
    } else {
      const ok = await c.multiSet(kvs).catch((e: unknown) => (this.countError(e), false));
      if (ok) for (const [k, v] of kvs) this.ack(k, v);
      else left.push(...kvs);
    }
    return left;
  }

  private async tag(t: number, round: number): Promise<void> {
    const tag = `{${this.prefix}${t}}`;
    const kvs: [string, string][] = Array.from({ length: this.perTag }, (_, j) => [`${tag}:${j}`, `r${round}:${tag}:${j}`]);
    for (const [k, v] of kvs) {
      const p = this.pending.get(k) ?? [];
      if (!p.includes(v)) p.push(v);
      this.pending.set(k, p);
    }
    let left = kvs;
    for (let i = 0; i < ATTEMPTS && left.length > 0 && !this.aborted; i++) {
      if (i > 0) await sleep(50 * i);
      left = await this.write((t + round) % 3, left);
    }
    if (this.rlFunction) {
      const c = this.rl.get(tag) ?? [0, 0];
      this.rl.set(tag, c);
      try {
        const r = await this.client.wasmCall(this.rlFunction, `${tag}:rl`, ['1000000000', '3600']);
        if (Array.isArray(r) && r.length === 3 && Number(r[0]) === 1) c[0]++;
        else c[1]++;
      } catch (e) {
        c[1]++;
        this.countError(e);
      }
    }
    const k = kvs[round % this.perTag][0];
    try {
      const got = await this.client.get(k);
      const want = this.acked.get(k);
      if (want !== undefined && got !== want && !(this.pending.get(k) ?? []).includes(got ?? '')) {
        this.stale++;
        if (this.staleSamples.length < 10) this.staleSamples.push(`${k}: read ${got}, acknowledged ${want}, round ${round}, mode ${(t + round) % 3}`);
      }
    } catch (e) {
      this.countError(e);
    }
  }

  private async run(): Promise<void> {
    for (;;) {
      const last = this.stopping;
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < this.tags && !this.aborted) await this.tag(next++, this.rounds);
      };
      await Promise.all(Array.from({ length: this.concurrency }, worker));
      this.rounds++;
      if (last || this.aborted) return;
    }
  }
}

// ---- adapters ---------------------------------------------------------------------------------

/** MOVED/ASK handled by ioredis Cluster: counted in its handleError (commands and pipelines). */
let ioRedirects = { MOVED: 0, ASK: 0 };
{
  const proto = IoCluster.prototype as unknown as { handleError: (e: Error, ...rest: unknown[]) => unknown };
  const orig = proto.handleError;
  proto.handleError = function (this: unknown, e: Error, ...rest: unknown[]) {
    const code = String(e?.message ?? '').split(' ')[0];
    if (code === 'MOVED' || code === 'ASK') ioRedirects[code]++;
    return orig.call(this, e, ...rest);
  };
}

export function ioredisLoadClient(port: number): LoadClient {
  ioRedirects = { MOVED: 0, ASK: 0 };
  const io = ioCluster(port, {
    slotsRefreshInterval: 2000,
    // CLUSTER SLOTS can take over the default 1 s on a busy machine ("Failed to refresh slots cache").
    slotsRefreshTimeout: 10_000,
    retryDelayOnFailover: 100,
    retryDelayOnTryAgain: 100,
    redisOptions: { connectTimeout: 5000, maxRetriesPerRequest: 3 },
  });
  // Refresh failures are retried by ioredis; the commands' own errors are what the load counts.
  io.on('error', () => {});
  return {
    name: 'ioredis',
    set: async (k, v) => (await io.set(k, v)) === 'OK',
    get: (k) => io.get(k),
    pipelineSet: async (kvs) => {
      const res = (await io.pipeline(kvs.map(([k, v]) => ['set', k, v])).exec()) ?? [];
      return kvs.map((_, i) => res[i]?.[0] === null && res[i]?.[1] === 'OK');
    },
    multiSet: async (kvs) => {
      const res = await io.multi(kvs.map(([k, v]) => ['set', k, v])).exec();
      return res !== null && res.length === kvs.length && res.every(([e, r]) => e === null && r === 'OK');
    },
    // ioredis does not know WASM.CALL's keys (it is not in @ioredis/commands) and sends it to a
    // random node, which answers MOVED two times in three: send it to the slot's owner by
    // ioredis's own slot map, as an application would, and let io.call follow a redirect.
    wasmCall: async (fn, key, args) => {
      const owner = io.slots[keyHashSlot(key)]?.[0];
      const node = io.nodes('master').find((r) => `${r.options.host}:${r.options.port}` === owner);
      const cmd = ['WASM.CALL', fn, 'KEYS', key, 'ARGS', ...args] as const;
      if (node) {
        try {
          return await node.call(...cmd);
        } catch (e) {
          if (!/^(MOVED|ASK) /.test((e as Error).message)) throw e;
        }
      }
      return io.call(...cmd);
    },
    redirects: () => ({ ...ioRedirects }),
    close: async () => {
      io.disconnect();
    },
  };
}

/** null when node-redis (`redis`) is in node_modules, else why its client is skipped. */
export const NODE_REDIS_MISSING: string | null = (() => {
  try {
    createRequire(import.meta.url).resolve('redis');
    return null;
  } catch {
    return 'node-redis (the `redis` package) is not in node_modules';
  }
})();

/** node-redis publishes the MOVED/ASK it follows on its diagnostics channel. */
let nrRedirects = { MOVED: 0, ASK: 0 };
channel('node-redis:error').subscribe((m) => {
  const msg = m as { error?: Error; origin?: string };
  const code = String(msg.error?.message ?? '').split(' ')[0];
  if (msg.origin === 'cluster' && (code === 'MOVED' || code === 'ASK')) nrRedirects[code]++;
});

export async function nodeRedisLoadClient(port: number): Promise<LoadClient> {
  nrRedirects = { MOVED: 0, ASK: 0 };
  const { createCluster } = await import('redis');
  const nc = createCluster({
    rootNodes: [{ url: `redis://127.0.0.1:${port}` }],
    defaults: { socket: { connectTimeout: 5000, reconnectStrategy: () => 200 } },
    maxCommandRedirections: 32,
  });
  nc.on('error', () => {});
  await nc.connect();
  /** A pipeline's or transaction's replies; a failed one (MultiErrorReply) carries them too. */
  const replies = async (p: Promise<unknown[]>): Promise<unknown[]> => {
    try {
      return await p;
    } catch (e) {
      const r = (e as { replies?: unknown[] }).replies;
      if (Array.isArray(r)) return r;
      throw e;
    }
  };
  const batch = (kvs: [string, string][]) => {
    const m = nc.multi();
    for (const [k, v] of kvs) m.set(k, v);
    return m;
  };
  return {
    name: 'node-redis',
    set: async (k, v) => (await nc.set(k, v)) === 'OK',
    get: async (k) => {
      const r = await nc.get(k);
      return r === null ? null : String(r);
    },
    pipelineSet: async (kvs) => {
      const res = await replies(batch(kvs).execAsPipeline() as Promise<unknown[]>);
      return kvs.map((_, i) => res[i] === 'OK');
    },
    multiSet: async (kvs) => {
      const res: unknown[] = await batch(kvs).exec();
      return res.length === kvs.length && res.every((r) => r === 'OK');
    },
    wasmCall: (fn, key, args) => nc.sendCommand(key, false, ['WASM.CALL', fn, 'KEYS', key, 'ARGS', ...args]),
    redirects: () => ({ ...nrRedirects }),
    close: async () => {
      await nc.close().catch(() => nc.destroy());
    },
  };
}

// ---- checking what a load saw -----------------------------------------------------------------

/** Keys by hash tag (`{tag}:j`), so that each group can be read with one MGET. */
function byTag(keys: string[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const k of keys) {
    const tag = k.slice(0, k.indexOf('}') + 1);
    const g = m.get(tag) ?? [];
    g.push(k);
    m.set(tag, g);
  }
  return m;
}

export interface LossReport {
  /** Keys ever acknowledged. */
  acked: number;
  /** Acknowledged keys whose value now is neither the last acknowledged one nor a later attempt. */
  lost: string[];
  /** Tags whose rate-limiter counter is below its acknowledged calls or above all calls. */
  rlBad: string[];
}

/**
 * Read back every key a load wrote (MGET per tag, with a cluster client of the test's own) and
 * every rate-limiter counter (GET `{tag}:rl`, which the function INCRs once per call).
 */
export async function readBack(io: IoCluster, res: LoadResult): Promise<LossReport> {
  const keys = [...new Set([...Object.keys(res.acked), ...Object.keys(res.pending)])];
  const lost: string[] = [];
  for (const [, group] of byTag(keys)) {
    const got = await io.mget(...group);
    group.forEach((k, i) => {
      const want = res.acked[k];
      const g = got[i];
      if (want === undefined) return; // never acknowledged: any attempt or nothing
      if (g !== want && !(res.pending[k] ?? []).includes(g ?? '')) lost.push(`${k}: ${g} (acknowledged ${want})`);
    });
  }
  const rlBad: string[] = [];
  for (const [tag, [ok, failed]] of Object.entries(res.rl)) {
    const n = Number((await io.get(`${tag}:rl`)) ?? 0);
    if (n < ok || n > ok + failed) rlBad.push(`${tag}: counter ${n}, ${ok} acknowledged + ${failed} failed calls`);
  }
  return { acked: Object.keys(res.acked).length, lost, rlBad };
}
