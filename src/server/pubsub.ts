// Pub/Sub registry: channel, pattern and shard-channel subscriptions and message fan-out.
//
// Messages go out as push replies (RESP3 `>`, arrays in RESP2) through each subscriber's encoder,
// so a PUBLISH to many subscribers costs one encode per subscriber and one flush per turn.
//
// Sharded pub/sub (SSUBSCRIBE / SPUBLISH) is a separate namespace, as in Redis 7.0: SPUBLISH reaches
// only shard subscribers (no patterns), PUBLISH never reaches them, and the counts in the
// confirmations are per kind — (un)subscribe and p(un)subscribe count channels + patterns,
// s(un)subscribe shard channels — while pub/sub mode lasts until all three are empty. A server that
// is not a cluster has one shard, so every shard channel lives here.

import { globMatch } from '../util/glob.js';
import type { Reply } from '../protocol/reply.js';
import type { Client } from './client.js';
import type { Server } from './server.js';

export class PubSub {
  readonly channels = new Map<string, Set<Client>>();
  readonly patterns = new Map<string, Set<Client>>();
  readonly shardChannels = new Map<string, Set<Client>>();

  constructor(private readonly server: Server) {}

  subscribe(c: Client, channel: string): void {
    if (!c.channels.has(channel)) {
      c.channels.add(channel);
      let s = this.channels.get(channel);
      if (!s) this.channels.set(channel, (s = new Set()));
      s.add(c);
    }
    c.push(['subscribe', channel, c.channels.size + c.patterns.size]);
  }

  unsubscribe(c: Client, channel: string, notify = true): void {
    if (c.channels.delete(channel)) {
      const s = this.channels.get(channel);
      s?.delete(c);
      if (s && s.size === 0) this.channels.delete(channel);
    }
    if (notify) c.push(['unsubscribe', channel, c.channels.size + c.patterns.size]);
  }

  psubscribe(c: Client, pattern: string): void {
    if (!c.patterns.has(pattern)) {
      c.patterns.add(pattern);
      let s = this.patterns.get(pattern);
      if (!s) this.patterns.set(pattern, (s = new Set()));
      s.add(c);
    }
    c.push(['psubscribe', pattern, c.channels.size + c.patterns.size]);
  }

  punsubscribe(c: Client, pattern: string, notify = true): void {
    if (c.patterns.delete(pattern)) {
      const s = this.patterns.get(pattern);
      s?.delete(c);
      if (s && s.size === 0) this.patterns.delete(pattern);
    }
    if (notify) c.push(['punsubscribe', pattern, c.channels.size + c.patterns.size]);
  }

  /** UNSUBSCRIBE with no arguments: every channel, or a single null reply when there were none. */
  unsubscribeAllChannels(c: Client): void {
    if (c.channels.size === 0) {
      c.push(['unsubscribe', null, c.patterns.size]);
      return;
    }
    for (const ch of [...c.channels]) this.unsubscribe(c, ch);
  }

  punsubscribeAllPatterns(c: Client): void {
    if (c.patterns.size === 0) {
      c.push(['punsubscribe', null, c.channels.size]);
      return;
    }
    for (const p of [...c.patterns]) this.punsubscribe(c, p);
  }

  ssubscribe(c: Client, channel: string): void {
    if (!c.shardChannels.has(channel)) {
      c.shardChannels.add(channel);
      let s = this.shardChannels.get(channel);
      if (!s) this.shardChannels.set(channel, (s = new Set()));
      s.add(c);
    }
    c.push(['ssubscribe', channel, c.shardChannels.size]);
  }

  sunsubscribe(c: Client, channel: string, notify = true): void {
    if (c.shardChannels.delete(channel)) {
      const s = this.shardChannels.get(channel);
      s?.delete(c);
      if (s && s.size === 0) this.shardChannels.delete(channel);
    }
    if (notify) c.push(['sunsubscribe', channel, c.shardChannels.size]);
  }

  /** SUNSUBSCRIBE with no arguments: every shard channel, or a single null reply when there were none. */
  sunsubscribeAllChannels(c: Client): void {
    if (c.shardChannels.size === 0) {
      c.push(['sunsubscribe', null, 0]);
      return;
    }
    for (const ch of [...c.shardChannels]) this.sunsubscribe(c, ch);
  }

  /** Drop every subscription silently (disconnect, RESET). */
  unsubscribeAll(c: Client): void {
    for (const ch of [...c.channels]) this.unsubscribe(c, ch, false);
    for (const p of [...c.patterns]) this.punsubscribe(c, p, false);
    for (const ch of [...c.shardChannels]) this.sunsubscribe(c, ch, false);
  }

  /** SPUBLISH: shard subscribers only; returns how many received it. */
  spublish(channel: string, message: string): number {
    const subs = this.shardChannels.get(channel);
    if (!subs) return 0;
    for (const c of subs) c.push(['smessage', channel, message]);
    return subs.size;
  }

  /**
   * Messages published while a WASM function runs are held back and delivered when it succeeds, or
   * dropped when it fails (its writes are rolled back, so neither its PUBLISHes nor the keyspace
   * notifications of its writes may escape). Holds nest (holdDepth); the list is made by the first
   * message held, so a call that publishes nothing allocates nothing.
   */
  private held: { channel: string; message: string }[] | null = null;
  private holdDepth = 0;

  /** Start holding messages; returns the mark to pass to release(). */
  hold(): number {
    this.holdDepth++;
    return this.held === null ? 0 : this.held.length;
  }

  /** End a hold: on commit keep its messages (delivered when the outermost hold ends), else drop them. */
  release(mark: number, commit: boolean): void {
    const h = this.held;
    if (h !== null && !commit) h.length = mark;
    if (--this.holdDepth > 0 || h === null) return;
    this.held = null;
    for (let i = 0; i < h.length; i++) this.deliver(h[i].channel, h[i].message);
  }

  /** Publish a message; returns the number of receivers (PUBLISH's reply). */
  publish(channel: string, message: string): number {
    if (this.holdDepth === 0) return this.deliver(channel, message);
    (this.held ??= []).push({ channel, message });
    return this.receivers(channel);
  }

  /** How many clients a message on `channel` reaches now. */
  private receivers(channel: string): number {
    let n = this.channels.get(channel)?.size ?? 0;
    for (const [pattern, clients] of this.patterns) if (globMatch(pattern, channel)) n += clients.size;
    return n;
  }

  private deliver(channel: string, message: string): number {
    let n = 0;
    const subs = this.channels.get(channel);
    if (subs) {
      for (const c of subs) {
        c.push(['message', channel, message]);
        n++;
      }
    }
    for (const [pattern, clients] of this.patterns) {
      if (!globMatch(pattern, channel)) continue;
      for (const c of clients) {
        c.push(['pmessage', pattern, channel, message] as Reply[]);
        n++;
      }
    }
    return n;
  }

  get patternCount(): number {
    return this.patterns.size;
  }
}
