// The differential harness: run the same command scripts against Lodestone and a real
// redis-server and require identical replies — same RESP type and same bytes — for every command.
//
// A script is a list of commands run in order on one fresh connection per server, after FLUSHALL.
// Replies that legitimately differ (random members, timestamps, run ids) are compared through a
// normaliser (`sortArray`, `ignore`) attached to that one command, never by loosening the rest.

import { afterAll, beforeAll, expect } from 'vitest';
import { LodestoneHandle, ProcessHandle, startLodestone, startRedis } from './servers.js';
import { RawClient } from './raw-client.js';
import { RespValue, show } from './resp.js';

export type Step =
  | string[]
  | {
      cmd: string[];
      sort?: boolean;
      ignore?: boolean;
      check?: (v: RespValue) => void;
      resp3?: boolean;
      /** Applied to both replies before comparing (e.g. blank out idle times). */
      mask?: (v: RespValue) => RespValue;
    };

export interface DiffTarget {
  lodestone: number;
  redis: number;
}

function normalise(v: RespValue, sort: boolean): RespValue {
  if (!sort) return v;
  if (v.t === 'array' || v.t === 'set') {
    return { t: v.t, v: [...v.v].sort((a, b) => (show(a) < show(b) ? -1 : show(a) > show(b) ? 1 : 0)) };
  }
  return v;
}

/** Run one script on both servers; fail with the first differing command. */
export async function diffScript(ports: DiffTarget, steps: Step[], resp3 = false): Promise<void> {
  const a = await RawClient.connect(ports.lodestone);
  const b = await RawClient.connect(ports.redis);
  try {
    for (const c of [a, b]) {
      await c.call('FLUSHALL');
      if (resp3) await c.call('HELLO', '3');
    }
    for (const step of steps) {
      const s = Array.isArray(step) ? { cmd: step } : step;
      const [ra, rb] = await Promise.all([a.call(...s.cmd), b.call(...s.cmd)]);
      if (s.ignore) continue;
      if (s.check) {
        s.check(ra);
        continue;
      }
      const na = normalise(s.mask ? s.mask(ra) : ra, !!s.sort);
      const nb = normalise(s.mask ? s.mask(rb) : rb, !!s.sort);
      expect(show(na), `command: ${s.cmd.map((x) => JSON.stringify(x)).join(' ')}`).toBe(show(nb));
    }
  } finally {
    a.close();
    b.close();
  }
}

/** Sort every array/set level of a reply (for replies whose order Redis leaves unspecified). */
export function deepSort(v: RespValue): RespValue {
  if (v.t === 'array' || v.t === 'set') {
    return { t: v.t, v: v.v.map(deepSort).sort((a, b) => (show(a) < show(b) ? -1 : show(a) > show(b) ? 1 : 0)) };
  }
  return v;
}

/** Like diffScript, but `setup` runs unchecked and `cmds` are compared after deepSort. */
export async function diffDeep(ports: DiffTarget, setup: string[][], cmds: string[][], resp3 = false): Promise<void> {
  const a = await RawClient.connect(ports.lodestone);
  const b = await RawClient.connect(ports.redis);
  try {
    for (const c of [a, b]) {
      await c.call('FLUSHALL');
      if (resp3) await c.call('HELLO', '3');
      for (const s of setup) await c.call(...s);
    }
    for (const cmd of cmds) {
      const [ra, rb] = await Promise.all([a.call(...cmd), b.call(...cmd)]);
      expect(show(deepSort(ra)), `command: ${cmd.join(' ')}`).toBe(show(deepSort(rb)));
    }
  } finally {
    a.close();
    b.close();
  }
}

/**
 * A differential suite's servers: a Lodestone and a redis-server started once for the enclosing
 * describe block (beforeAll/afterAll), and `diff`, which empties Lodestone's databases (diffScript
 * FLUSHALLs its connections only) and runs the steps on both.
 */
export function diffServers(): { readonly ls: LodestoneHandle; readonly rs: ProcessHandle; diff: (steps: Step[], resp3?: boolean) => Promise<void> } {
  let ls: LodestoneHandle;
  let rs: ProcessHandle;
  beforeAll(async () => {
    [ls, rs] = await Promise.all([startLodestone(), startRedis()]);
  });
  afterAll(async () => {
    await Promise.all([ls?.close(), rs?.close()]);
  });
  return {
    get ls() {
      return ls;
    },
    get rs() {
      return rs;
    },
    diff: async (steps: Step[], resp3 = false): Promise<void> => {
      for (const db of ls.server.dbs) db.clear();
      await diffScript({ lodestone: ls.port, redis: rs.port }, steps, resp3);
    },
  };
}
