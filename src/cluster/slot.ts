// Hash slots of Redis Cluster: CRC16 (XMODEM, the polynomial 0x1021 Redis's crc16.c uses) of the key,
// or of its hash tag — the part between the first `{` and the next `}` when non-empty — modulo
// 16384, exactly as cluster.c's keyHashSlot. Keys are latin1 strings (one char per byte), so the
// bytes hashed are the key's own. Also the per-slot key index a cluster node keeps for CLUSTER
// COUNTKEYSINSLOT / GETKEYSINSLOT (Database.slots, null outside cluster mode).

export const CLUSTER_SLOTS = 16384;

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let j = 0; j < 8; j++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

/** CRC16-XMODEM of s.slice(start, end) (latin1 chars as bytes). */
export function crc16(s: string, start = 0, end = s.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ s.charCodeAt(i)) & 0xff];
  return crc;
}

/** Redis's keyHashSlot. */
export function keyHashSlot(key: string): number {
  const s = key.indexOf('{');
  if (s < 0) return crc16(key) & 0x3fff;
  const e = key.indexOf('}', s + 1);
  if (e < 0 || e === s + 1) return crc16(key) & 0x3fff;
  return crc16(key, s + 1, e) & 0x3fff;
}

/** The keys of a database by slot, maintained by Database.set/remove while cluster mode is on. */
export class SlotIndex {
  private readonly sets: (Set<string> | undefined)[] = new Array(CLUSTER_SLOTS);

  add(key: string): void {
    const slot = keyHashSlot(key);
    let s = this.sets[slot];
    if (s === undefined) this.sets[slot] = s = new Set();
    s.add(key);
  }

  delete(key: string): void {
    const slot = keyHashSlot(key);
    const s = this.sets[slot];
    if (s === undefined) return;
    s.delete(key);
    if (s.size === 0) this.sets[slot] = undefined;
  }

  count(slot: number): number {
    return this.sets[slot]?.size ?? 0;
  }

  /** Up to `max` keys of the slot. */
  keys(slot: number, max: number): string[] {
    const out: string[] = [];
    const s = this.sets[slot];
    if (s === undefined) return out;
    for (const k of s) {
      if (out.length >= max) break;
      out.push(k);
    }
    return out;
  }

  clear(): void {
    this.sets.fill(undefined);
  }
}
