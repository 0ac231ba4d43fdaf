// Reading a whole dataset over the wire, in a form two servers can be compared by: every key of the
// given databases with its type, its full content (sets sorted) and its absolute expiry
// (PEXPIRETIME), as plain JSON. Persistence tests compare a server before and after a restart, and
// Lodestone with a redis-server that loaded Lodestone's AOF.

import { Redis } from 'ioredis';

export type Dataset = Record<string, Record<string, { type: string; value: unknown; expireAt: number }>>;

export async function datasetOf(port: number, dbs: number[] = [0, 1, 2, 3, 4]): Promise<Dataset> {
  const r = new Redis({ port, lazyConnect: true, maxRetriesPerRequest: 0 });
  await r.connect();
  try {
    const out: Dataset = {};
    for (const db of dbs) {
      await r.select(db);
      const keys = (await r.keys('*')).sort();
      if (keys.length === 0) continue;
      // Pipelined: one round trip for the types, one for the contents and expiry times.
      const tp = r.pipeline();
      for (const k of keys) tp.type(k);
      const types = (await tp.exec())!.map(([, t]) => t as string);
      const vp = r.pipeline();
      keys.forEach((k, i) => {
        const t = types[i];
        if (t === 'string') vp.get(k);
        else if (t === 'hash') vp.hgetall(k);
        else if (t === 'set') vp.smembers(k);
        else if (t === 'list') vp.lrange(k, 0, -1);
        else if (t === 'stream') vp.xrange(k, '-', '+');
        else vp.zrange(k, '0', '-1', 'WITHSCORES');
        vp.call('PEXPIRETIME', k);
      });
      const res = (await vp.exec())!.map(([err, v]) => {
        if (err) throw err;
        return v;
      });
      const entries: Dataset[string] = {};
      keys.forEach((k, i) => {
        const type = types[i];
        let value = res[2 * i];
        if (type === 'hash') value = Object.entries(value as Record<string, string>).sort();
        else if (type === 'set') value = (value as string[]).sort();
        entries[k] = { type, value, expireAt: Number(res[2 * i + 1]) };
      });
      out[db] = entries;
    }
    return out;
  } finally {
    r.disconnect();
  }
}

/** Count of keys in a Dataset. */
export function keyCount(d: Dataset): number {
  return Object.values(d).reduce((n, db) => n + Object.keys(db).length, 0);
}
