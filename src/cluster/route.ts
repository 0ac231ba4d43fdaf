// Cluster redirection (Redis 7.0's getNodeByQuery + clusterRedirectClient): which node serves a
// command, from its key positions (the command table's key specs / getKeys, EXEC's queued
// commands), and the -MOVED / -ASK / -CROSSSLOT / -TRYAGAIN / -CLUSTERDOWN answer when it is not
// this one. Called by dispatch only while cluster mode is on.

import { keyIndexes, type Command } from '../commands/table.js';
import { ReplyError } from '../protocol/reply.js';
import type { Client } from '../server/client.js';
import type { Server } from '../server/server.js';
import { keyHashSlot } from './slot.js';
import type { Cluster, ClusterNode } from './cluster.js';
import { NODE_SLAVE } from './cluster.js';

const ERR_CROSSSLOT = new ReplyError('CROSSSLOT', "Keys in request don't hash to the same slot");
const ERR_TRYAGAIN = new ReplyError('TRYAGAIN', 'Multiple keys request during rehashing of slot');
const ERR_DOWN = new ReplyError('CLUSTERDOWN', 'The cluster is down');
const ERR_DOWN_RO = new ReplyError('CLUSTERDOWN', 'The cluster is down and only accepts read commands');
const ERR_UNBOUND = new ReplyError('CLUSTERDOWN', 'Hash slot not served');

function redirect(kind: 'MOVED' | 'ASK', slot: number, n: ClusterNode): ReplyError {
  return new ReplyError(kind, `${slot} ${n.ip}:${n.port}`);
}

/** null when this node serves the command; otherwise the error to answer. */
export function routeCommand(server: Server, cluster: Cluster, client: Client, cmd: Command, args: string[]): ReplyError | null {
  const asking = client.asking;
  const isExec = cmd.fullName === 'exec';
  // Redis's resetClient clears CLIENT_ASKING after every command but ASKING itself, except while
  // the client is in MULTI (the flag set by MULTI counts): ASKING, MULTI, …, EXEC run the
  // transaction as asking, and the flag is gone after EXEC / DISCARD.
  const inMulti = cmd.fullName === 'multi' || (client.multi !== null && !isExec && cmd.fullName !== 'discard');
  if (!inMulti && cmd.fullName !== 'asking') client.asking = false;
  if (!isExec && cmd.spec.keys[0] === 0 && !cmd.spec.getKeys) return null;
  let calls: { cmd: Command; args: string[] }[];
  if (isExec) {
    if (client.multi === null) return null;
    calls = client.multi.queue;
  } else calls = [{ cmd, args }];
  let firstKey: string | null = null;
  let slot = -1;
  let n: ClusterNode | null = null;
  let migrating = false;
  let importing = false;
  let multipleKeys = false;
  let missing = 0;
  let isWrite = cmd.isWrite;
  const db = server.dbs[0];
  for (const c of calls) {
    if (c.cmd.isWrite) isWrite = true;
    const idx = keyIndexes(c.cmd, c.args);
    for (let i = 0; i < idx.length; i++) {
      const key = c.args[idx[i]];
      const s = keyHashSlot(key);
      if (firstKey === null) {
        firstKey = key;
        slot = s;
        n = cluster.slots[s];
        if (n === null) return ERR_UNBOUND;
        if (n === cluster.myself && cluster.migratingTo[s] !== null) migrating = true;
        else if (cluster.importingFrom[s] !== null) importing = true;
      } else if (key !== firstKey) {
        if (s !== slot) return ERR_CROSSSLOT;
        multipleKeys = true;
      }
      if ((migrating || importing) && !db.dict.has(key)) missing++;
    }
  }
  if (n === null) return null;
  if (!cluster.ok) {
    if (!server.config.getBool('cluster-allow-reads-when-down')) return ERR_DOWN;
    if (isWrite) return ERR_DOWN_RO;
  }
  if ((migrating || importing) && cmd.fullName === 'migrate') return null;
  if (migrating && missing > 0) {
    if (multipleKeys) return ERR_TRYAGAIN;
    return redirect('ASK', slot, cluster.migratingTo[slot]!);
  }
  if (importing && (asking || cmd.fullName === 'restore-asking')) {
    if (multipleKeys && missing > 0) return ERR_TRYAGAIN;
    return null;
  }
  const me = cluster.myself;
  if (client.readonlyCluster && !isWrite && me.flags & NODE_SLAVE && me.slaveof === n) return null;
  if (n !== me) return redirect('MOVED', slot, n);
  return null;
}
