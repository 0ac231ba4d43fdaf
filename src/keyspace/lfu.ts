// LFU access counters, Redis's (evict.c): per key, 16 bits of "last decrement time" in minutes and
// an 8-bit logarithmic (Morris) counter, kept in the same per-key slot as the LRU access second
// (Database.accessOf) while an LFU maxmemory-policy is selected.
//
//   - a new key starts at LFU_INIT_VAL (5), so it is not evicted before it had a chance to be used;
//   - each access first decays the counter by one per `lfu-decay-time` minutes elapsed, then
//     increments it with probability 1 / ((counter - 5) * lfu-log-factor + 1), so with the default
//     factor 10 about a million accesses saturate it at 255;
//   - OBJECT FREQ and the eviction pool read the decayed counter without changing it.
// Switching policy at run time reinterprets the stored numbers, as in Redis ("LRU and LFU data will
// take some time to adjust").

export const LFU_INIT_VAL = 5;

export interface LfuParams {
  logFactor: number;
  decayTime: number;
}

/** Minutes, modulo 2^16 (Redis's LFUGetTimeInMinutes). */
function minutes(nowMs: number): number {
  return Math.floor(nowMs / 60000) & 0xffff;
}

/** A new key's slot value. */
export function lfuInit(nowMs: number): number {
  return minutes(nowMs) * 256 + LFU_INIT_VAL;
}

/** The counter decayed to now (LFUDecrAndReturn); the slot is not changed. */
export function lfuCounter(slot: number, nowMs: number, p: LfuParams): number {
  const ldt = Math.floor(slot / 256) & 0xffff;
  const counter = slot & 255;
  if (p.decayTime === 0) return counter;
  const now = minutes(nowMs);
  const elapsed = now >= ldt ? now - ldt : 65535 - ldt + now;
  const periods = Math.floor(elapsed / p.decayTime);
  return periods > counter ? 0 : counter - periods;
}

/** Record one access (updateLFU): decay, then the logarithmic increment. */
export function lfuTouch(slot: number | undefined, nowMs: number, p: LfuParams): number {
  if (slot === undefined) return lfuInit(nowMs);
  let counter = lfuCounter(slot, nowMs, p);
  if (counter < 255) {
    const base = Math.max(0, counter - LFU_INIT_VAL);
    if (Math.random() < 1 / (base * p.logFactor + 1)) counter++;
  }
  return minutes(nowMs) * 256 + counter;
}
