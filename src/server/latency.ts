// The latency monitor (Redis 7.0's latency.c) and per-command latency histograms (LATENCY
// HISTOGRAM, Redis's hdr_histogram per command).
//
// Events: a time series of 160 samples per event name, one per second (a second sample in the same
// second keeps the larger latency), plus the all-time maximum. Samples are added only when
// `latency-monitor-threshold` is non-zero and the latency reaches it (latencyAddSampleIfNeeded).
// Dispatch records `command` / `fast-command` after every call; the expire cycle records
// `expire-cycle`, eviction `eviction-cycle`, persistence its `aof-*` events through addLatencySample.
//
// Histograms: Redis iterates its hdr histogram (1 ns … 1 s, 2 significant digits) in powers of two
// from 1024 ns and reports each bucket's highest equivalent value in µs with the cumulative count;
// bucket k covers up to 1024·2^k ns and is labelled ⌊(1024·2^k + 2^(k+3) − 1) / 1000⌋ µs (1, 2, 4,
// 8, 16, 33, 66 …), the same labels Redis prints. Recording is one Math.clz32 and an increment.

import type { Server } from './server.js';
import type { Command } from '../commands/table.js';

const TS_LEN = 160;

export interface LatencySeries {
  /** Ring of samples: time in seconds (0 = empty slot) and latency in ms. */
  times: number[];
  lats: number[];
  idx: number;
  max: number;
}

const byServer = new WeakMap<Server, Map<string, LatencySeries>>();

/** The server's event series (insertion order: the order LATENCY LATEST lists them). */
export function latencyEvents(server: Server): Map<string, LatencySeries> {
  let m = byServer.get(server);
  if (!m) byServer.set(server, (m = new Map()));
  return m;
}

/** latencyAddSample. */
export function latencyAddSample(server: Server, event: string, ms: number): void {
  const events = latencyEvents(server);
  let ts = events.get(event);
  if (!ts) {
    ts = { times: new Array<number>(TS_LEN).fill(0), lats: new Array<number>(TS_LEN).fill(0), idx: 0, max: 0 };
    events.set(event, ts);
  }
  const now = Math.floor(Date.now() / 1000);
  if (ms > ts.max) ts.max = ms;
  const prev = (ts.idx + TS_LEN - 1) % TS_LEN;
  if (ts.times[prev] === now) {
    if (ms > ts.lats[prev]) ts.lats[prev] = ms;
    return;
  }
  ts.times[ts.idx] = now;
  ts.lats[ts.idx] = ms;
  ts.idx = (ts.idx + 1) % TS_LEN;
}

/** latencyAddSampleIfNeeded: only at or above latency-monitor-threshold (0 = off). */
export function addLatencySample(server: Server, event: string, ms: number): void {
  const threshold = server.config.getInt('latency-monitor-threshold');
  if (threshold !== 0 && ms >= threshold) latencyAddSample(server, event, Math.floor(ms));
}

/** Buckets of a command histogram: up to 1 s = 1024·2^20 ns. */
export const HIST_BUCKETS = 21;

/** Record one call of `usec` µs into the command's histogram and the latency monitor. */
export function recordCommandLatency(server: Server, cmd: Command, usec: number, fast: boolean): void {
  const ms = Math.floor(usec / 1000);
  if (ms !== 0) addLatencySample(server, fast ? 'fast-command' : 'command', ms);
  if (!server.config.hot.latencyTracking) return;
  let ns = Math.round(usec * 1000);
  if (ns < 1) ns = 1;
  else if (ns > 1e9) ns = 1e9;
  // Smallest k with ns <= 1024·2^k.
  const q = Math.ceil(ns / 1024);
  let k = q <= 1 ? 0 : 32 - Math.clz32(q - 1);
  if (k >= HIST_BUCKETS) k = HIST_BUCKETS - 1;
  const h = (cmd.latencyHist ??= new Array<number>(HIST_BUCKETS).fill(0));
  h[k]++;
}

/** The µs label of histogram bucket k (hdr's highest equivalent value of 1024·2^k ns). */
export function bucketLabel(k: number): number {
  return Math.floor((1024 * 2 ** k + 2 ** (k + 3) - 1) / 1000);
}
