// Clients blocked on keys (BLPOP, BRPOP, BLMOVE, and later any blocking command).
//
// A blocked client stops parsing its input (Client.onCommand returns false) and is queued, FIFO per
// key, like Redis's c->bstate. When a write touches a key someone waits on (Server.keyModified), the
// key is marked ready; after the current command finishes, serveReady() retries each waiter in
// arrival order. A waiter's timeout replies with its timeoutReply. Nothing here blocks the event loop.

import type { Reply } from '../protocol/reply.js';
import type { BlockState, Client } from './client.js';
import type { Server } from './server.js';

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
        // The served client runs as the current client, as in Redis: invalidations its command
        // causes for itself (client-side caching) follow its reply.
        const server = this.server;
        const outer = server.currentClient;
        server.currentClient = client;
        let r: Reply | undefined;
        try {
          r = state.retry();
        } finally {
          server.currentClient = outer;
        }
        if (r !== undefined) this.unblock(client, r, () => server.tracking.sendPending(client));
        else server.tracking.sendPending(client);
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
