// Clients blocked on keys (BLPOP, BRPOP, BLMOVE, and later any blocking command).
//
// A blocked client stops parsing its input (Client.onCommand returns false) and is queued, FIFO per
// key, like Redis's c->bstate. When a write touches a key someone waits on (Server.keyModified), the
// key is marked ready; after the current command finishes (and after each serverCron, whose
// expiry and eviction delete keys), serveReady() takes the ready keys in the order they were
// signalled and retries each waiter of a key, in arrival order, on that key (Redis's
// handleClientsBlockedOnKeys). FLUSHDB / FLUSHALL / SWAPDB make every waited key of the db ready
// (touchDb). A waiter's timeout replies with its timeoutReply. Nothing here blocks the event loop.

import { performance } from 'node:perf_hooks'; // the module's, not the global getter (~20 ns a read)
import type { Reply } from '../protocol/reply.js';
import type { BlockState, Client } from './client.js';
import type { Server } from './server.js';
import { slowlogPush } from './dispatch.js';

export class Blocking {
  private readonly byKey: Map<string, Client[]>[] = [];
  private readonly ready: { db: number; key: string }[] = [];
  private readonly readySet = new Set<string>();
  /** Number of blocked clients (INFO clients blocked_clients). */
  count = 0;

  constructor(private readonly server: Server) {}

  private keysOf(db: number): Map<string, Client[]> {
    let m = this.byKey[db];
    if (!m) m = this.byKey[db] = new Map();
    return m;
  }

  /** Park a client. timeoutMs 0 = wait forever. */
  block(client: Client, state: BlockState, timeoutMs: number): void {
    client.blocked = state;
    this.count++;
    const m = this.keysOf(state.db);
    for (const k of state.keys) {
      const q = m.get(k);
      if (q) {
        if (!q.includes(client)) q.push(client);
      } else m.set(k, [client]);
    }
    if (timeoutMs > 0) {
      state.timer = setTimeout(() => {
        if (client.blocked !== state) return;
        try {
          this.unblock(client, state.timeoutReply);
          this.server.flushPending();
        } catch (err) {
          client.abort(err); // a timer callback that throws would end the process
        }
      }, timeoutMs);
    }
  }

  /**
   * Release a client; with a reply it is sent and the client resumes reading (after `afterReply`,
   * which serveReady uses to send what the served command holds for it).
   */
  unblock(client: Client, reply: Reply | undefined, afterReply?: () => void): void {
    const state = client.blocked;
    if (!state) return;
    if (state.timer) clearTimeout(state.timer);
    const m = this.keysOf(state.db);
    for (const k of state.keys) {
      const q = m.get(k);
      if (!q) continue;
      const i = q.indexOf(client);
      if (i >= 0) q.splice(i, 1);
      if (q.length === 0) m.delete(k);
    }
    client.blocked = null;
    this.count--;
    if (reply !== undefined) {
      client.write(reply);
      afterReply?.();
      client.resume();
    }
  }

  keyTouched(db: number, key: string): void {
    const m = this.byKey[db];
    if (!m || !m.has(key)) return;
    const id = `${db}\0${key}`;
    if (this.readySet.has(id)) return;
    this.readySet.add(id);
    this.ready.push({ db, key });
  }

  /**
   * Every key of a db that someone waits on is ready (FLUSHDB, FLUSHALL, SWAPDB: Redis's
   * scanDatabaseForReadyKeys and scanDatabaseForDeletedStreams). Each waiter's retry decides: a
   * key that now holds what it waits for serves it, a stream a group reader waited on that is gone
   * releases it with an error, anything else leaves it blocked.
   */
  touchDb(db: number): void {
    const m = this.byKey[db];
    if (m) for (const key of m.keys()) this.keyTouched(db, key);
  }

  hasReady(): boolean {
    return this.ready.length > 0;
  }

  /** Serve waiters of ready keys in FIFO order; serving one may make more keys ready. */
  serveReady(): void {
    while (this.ready.length > 0) {
      const { db, key } = this.ready.shift()!;
      this.readySet.delete(`${db}\0${key}`);
      const q = this.byKey[db]?.get(key);
      if (!q) continue;
      for (const client of [...q]) {
        const state = client.blocked;
        if (!state) continue;
        // A served waiter is a write command: its lookups publish no `keymiss`. It runs as the
        // current client, as in Redis: invalidations its command causes for itself
        // (client-side caching) follow its reply.
        const server = this.server;
        const writeLookups = server.writeLookups;
        const outer = server.currentClient;
        server.writeLookups = true;
        server.currentClient = client;
        const t0 = performance.now();
        let r: Reply | undefined;
        try {
          r = state.retry(key);
        } finally {
          server.writeLookups = writeLookups;
          server.currentClient = outer;
        }
        if (r !== undefined) {
          this.unblock(client, r, () => server.tracking.sendPending(client));
          // Redis 7.0 logs a blocked command when it is served (not when it blocks or times out).
          slowlogPush(server, client, state.cmd, state.args, (performance.now() - t0) * 1000);
        } else server.tracking.sendPending(client);
      }
    }
  }

  /** Blocked clients waiting on a key (for tests and CLIENT LIST). */
  waiters(db: number, key: string): number {
    return this.byKey[db]?.get(key)?.length ?? 0;
  }

  clearAll(): void {
    for (const m of this.byKey) {
      if (!m) continue;
      for (const q of m.values()) for (const c of q) if (c.blocked?.timer) clearTimeout(c.blocked.timer);
    }
  }
}
