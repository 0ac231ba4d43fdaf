// CLUSTER and its subcommands, READONLY, READWRITE, ASKING (Redis 7.0's clusterCommand), on the
// node state of src/cluster/cluster.ts. Texts and reply shapes are Redis 7.0.15's. Outside cluster
// mode every one answers "This instance has cluster support disabled", as Redis does.

import { MapReply, OK, Reply, ReplyError, Status, VerbatimReply, ERR_SYNTAX } from '../protocol/reply.js';
import type { CommandSpec, Context } from './table.js';
import { CLUSTER_SLOTS, keyHashSlot } from '../cluster/slot.js';
import {
  Cluster,
  ClusterNode,
  NODE_FAIL,
  NODE_MASTER,
  NODE_MYSELF,
  NODE_PFAIL,
  NODE_SLAVE,
  randomName,
} from '../cluster/cluster.js';
import { MSG_TYPE_NAMES } from '../cluster/bus.js';

const ERR_DISABLED = new ReplyError('ERR', 'This instance has cluster support disabled');
const ERR_BAD_SLOT = new ReplyError('ERR', 'Invalid or out of range slot');

type ClusterHandler = (cl: Cluster, ctx: Context, args: string[]) => Reply;

function sub(name: string, arity: number, flags: CommandSpec['flags'], fn: ClusterHandler): CommandSpec {
  return {
    name,
    arity,
    flags,
    keys: [0, 0, 0],
    group: 'cluster',
    summary: '',
    since: '3.0.0',
    handler: (ctx, args) => (ctx.server.cluster === null ? ERR_DISABLED : fn(ctx.server.cluster, ctx, args)),
  };
}

const ADMIN: CommandSpec['flags'] = ['admin', 'stale'];

/** Redis's getSlotOrReply. */
function slotOf(s: string): number | ReplyError {
  if (!/^-?\d+$/.test(s)) return ERR_BAD_SLOT;
  const n = Number(s);
  return n < 0 || n >= CLUSTER_SLOTS ? ERR_BAD_SLOT : n;
}

/** An integer argument the way getLongLongFromObjectOrReply reads it, or null. */
function intArg(s: string): number | null {
  return /^-?\d+$/.test(s) ? Number(s) : null;
}
const ERR_NOT_INT = new ReplyError('ERR', 'value is not an integer or out of range');

function infoText(cl: Cluster): string {
  let assigned = 0;
  let pfail = 0;
  let fail = 0;
  for (let j = 0; j < CLUSTER_SLOTS; j++) {
    const n = cl.slots[j];
    if (n === null) continue;
    assigned++;
    if (n.flags & NODE_FAIL) fail++;
    else if (n.flags & NODE_PFAIL) pfail++;
  }
  const me = cl.myself;
  const myEpoch = me.flags & NODE_SLAVE && me.slaveof ? me.slaveof.configEpoch : me.configEpoch;
  const lines = [
    `cluster_state:${cl.ok ? 'ok' : 'fail'}`,
    `cluster_slots_assigned:${assigned}`,
    `cluster_slots_ok:${assigned - pfail - fail}`,
    `cluster_slots_pfail:${pfail}`,
    `cluster_slots_fail:${fail}`,
    `cluster_known_nodes:${cl.nodes.size}`,
    `cluster_size:${cl.size}`,
    `cluster_current_epoch:${cl.currentEpoch}`,
    `cluster_my_epoch:${myEpoch}`,
  ];
  let sent = 0;
  for (let t = 0; t < MSG_TYPE_NAMES.length; t++) {
    if (cl.sent[t] === 0) continue;
    sent += cl.sent[t];
    lines.push(`cluster_stats_messages_${MSG_TYPE_NAMES[t]}_sent:${cl.sent[t]}`);
  }
  lines.push(`cluster_stats_messages_sent:${sent}`);
  let received = 0;
  for (let t = 0; t < MSG_TYPE_NAMES.length; t++) {
    if (cl.received[t] === 0) continue;
    received += cl.received[t];
    lines.push(`cluster_stats_messages_${MSG_TYPE_NAMES[t]}_received:${cl.received[t]}`);
  }
  lines.push(`cluster_stats_messages_received:${received}`);
  lines.push('total_cluster_links_buffer_limit_exceeded:0');
  return lines.join('\r\n') + '\r\n';
}

/** A node as CLUSTER SLOTS lists it: ip, port, id, and the (empty unless hostname) metadata map. */
function slotsNode(n: ClusterNode): Reply {
  return [n.ip, n.port, n.name, new MapReply(n.hostname ? ['hostname', n.hostname] : [])];
}

function slotRanges(n: ClusterNode): [number, number][] {
  const out: [number, number][] = [];
  let start = -1;
  for (let j = 0; j <= CLUSTER_SLOTS; j++) {
    const has = j < CLUSTER_SLOTS && n.hasSlot(j);
    if (has && start < 0) start = j;
    if (!has && start >= 0) {
      out.push([start, j - 1]);
      start = -1;
    }
  }
  return out;
}

function shardNode(n: ClusterNode): Reply {
  const flat: Reply[] = ['id', n.name, 'port', n.port, 'ip', n.ip, 'endpoint', n.ip];
  if (n.hostname) flat.push('hostname', n.hostname);
  flat.push('role', n.flags & NODE_SLAVE ? 'replica' : 'master', 'replication-offset', n.replOffset);
  flat.push('health', n.flags & NODE_FAIL ? 'fail' : n.flags & NODE_SLAVE && n.replOffset === 0 ? 'loading' : 'online');
  return new MapReply(flat);
}

/** ADDSLOTS / DELSLOTS / their RANGE forms: all slots validated first, then applied. */
function slotsChange(cl: Cluster, args: string[], add: boolean, range: boolean, ctxName: string): Reply {
  const wanted = new Uint8Array(CLUSTER_SLOTS);
  const list: number[] = [];
  if (range) {
    if (args.length % 2 === 1) return new ReplyError('ERR', `wrong number of arguments for '${ctxName}' command`);
    for (let i = 2; i < args.length; i += 2) {
      const a = slotOf(args[i]);
      if (a instanceof ReplyError) return a;
      const b = slotOf(args[i + 1]);
      if (b instanceof ReplyError) return b;
      if (a > b) return new ReplyError('ERR', `start slot number ${a} is greater than end slot number ${b}`);
      for (let j = a; j <= b; j++) list.push(j);
    }
  } else {
    for (let i = 2; i < args.length; i++) {
      const a = slotOf(args[i]);
      if (a instanceof ReplyError) return a;
      list.push(a);
    }
  }
  for (const j of list) {
    if (add && cl.slots[j] !== null) return new ReplyError('ERR', `Slot ${j} is already busy`);
    if (!add && cl.slots[j] === null) return new ReplyError('ERR', `Slot ${j} is already unassigned`);
    if (wanted[j]++ === 1) return new ReplyError('ERR', `Slot ${j} specified multiple times`);
  }
  for (const j of list) {
    if (add) {
      cl.importingFrom[j] = null;
      cl.addSlot(cl.myself, j);
    } else cl.delSlot(j);
  }
  cl.todo();
  return OK;
}

const HELP = [
  'ADDSLOTS <slot> [<slot> ...]',
  '    Assign slots to current node.',
  'ADDSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]',
  '    Assign slots which are between <start-slot> and <end-slot> to current node.',
  'BUMPEPOCH',
  '    Advance the cluster config epoch.',
  'COUNT-FAILURE-REPORTS <node-id>',
  '    Return number of failure reports for <node-id>.',
  'COUNTKEYSINSLOT <slot>',
  '    Return the number of keys in <slot>.',
  'DELSLOTS <slot> [<slot> ...]',
  '    Delete slots information from current node.',
  'DELSLOTSRANGE <start slot> <end slot> [<start slot> <end slot> ...]',
  '    Delete slots information which are between <start-slot> and <end-slot> from current node.',
  'FAILOVER [FORCE|TAKEOVER]',
  '    Promote current replica node to being a master.',
  'FORGET <node-id>',
  '    Remove a node from the cluster.',
  'GETKEYSINSLOT <slot> <count>',
  '    Return key names stored by current node in a slot.',
  'FLUSHSLOTS',
  '    Delete current node own slots information.',
  'INFO',
  '    Return information about the cluster.',
  'KEYSLOT <key>',
  '    Return the hash slot for <key>.',
  'MEET <ip> <port> [<bus-port>]',
  '    Connect nodes into a working cluster.',
  'MYID',
  '    Return the node id.',
  'NODES',
  '    Return cluster configuration seen by node. Output format:',
  '    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...',
  'REPLICATE <node-id>',
  '    Configure current node as replica to <node-id>.',
  'RESET [HARD|SOFT]',
  '    Reset current node (default: soft).',
  'SET-CONFIG-EPOCH <epoch>',
  '    Set config epoch of current node.',
  'SETSLOT <slot> (IMPORTING <node-id>|MIGRATING <node-id>|STABLE|NODE <node-id>)',
  '    Set slot state.',
  'REPLICAS <node-id>',
  '    Return <node-id> replicas.',
  'SAVECONFIG',
  '    Force saving cluster configuration on disk.',
  'SLOTS',
  '    Return information about slots range mappings. Each range is made of:',
  '    start, end, master and replicas IP addresses, ports and ids',
  'SHARDS',
  '    Return information about slot range mappings and the nodes associated with them.',
  'LINKS',
  '    Return information about all network links between this node and its peers.',
  '    Output format is an array where each array element is a map containing attributes of a link',
];

function replicasOf(cl: Cluster, args: string[]): Reply {
  const n = cl.lookup(args[2]);
  if (!n) return new ReplyError('ERR', `Unknown node ${args[2]}`);
  if (n.flags & NODE_SLAVE) return new ReplyError('ERR', 'The specified node is not a master');
  return n.replicas.map((r) => cl.nodeLine(r) + '\n');
}

const clusterCommand: CommandSpec = {
  name: 'cluster',
  arity: -2,
  flags: [],
  keys: [0, 0, 0],
  group: 'cluster',
  summary: 'A container for cluster commands',
  since: '3.0.0',
  subcommands: [
    sub('help', 2, ['loading', 'stale'], () => [
      new Status('CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:'),
      ...HELP.map((l) => new Status(l)),
      new Status('HELP'),
      new Status('    Prints this help.'),
    ]),
    sub('info', 2, ['stale'], (cl) => new VerbatimReply(infoText(cl))),
    sub('myid', 2, ['stale'], (cl) => cl.myself.name),
    sub('nodes', 2, ['stale'], (cl) => new VerbatimReply(cl.nodesText())),
    sub('keyslot', 3, ['stale'], (_cl, _ctx, args) => keyHashSlot(args[2])),
    sub('countkeysinslot', 3, ['stale'], (cl, _ctx, args) => {
      const n = intArg(args[2]);
      if (n === null) return ERR_NOT_INT;
      if (n < 0 || n >= CLUSTER_SLOTS) return new ReplyError('ERR', 'Invalid slot');
      return cl.countKeysInSlot(n);
    }),
    sub('getkeysinslot', 4, ['stale'], (cl, _ctx, args) => {
      const slot = intArg(args[2]);
      const max = intArg(args[3]);
      if (slot === null || max === null) return ERR_NOT_INT;
      if (max < 0 || slot < 0 || slot >= CLUSTER_SLOTS) return new ReplyError('ERR', 'Invalid slot or number of keys');
      return cl.slotIndex.keys(slot, max);
    }),
    sub('slots', 2, ['stale'], (cl) => {
      const out: Reply[] = [];
      for (const n of cl.nodes.values()) {
        if (!n.isMaster() || n.numSlots === 0) continue;
        const reps = n.replicas.filter((r) => (r.flags & NODE_FAIL) === 0);
        for (const [a, b] of slotRanges(n)) out.push([a, b, slotsNode(n), ...reps.map(slotsNode)]);
      }
      return out;
    }),
    sub('shards', 2, ['stale'], (cl) => {
      const out: Reply[] = [];
      for (const n of cl.nodes.values()) {
        if (!n.isMaster()) continue;
        const slots: Reply[] = [];
        for (const [a, b] of slotRanges(n)) slots.push(a, b);
        out.push(new MapReply(['slots', slots, 'nodes', [shardNode(n), ...n.replicas.map((r) => shardNode(r))]]));
      }
      return out;
    }),
    sub('links', 2, ['stale'], (cl) => {
      const out: Reply[] = [];
      for (const n of cl.nodes.values()) {
        for (const [link, dir] of [[n.link, 'to'], [n.inboundLink, 'from']] as const) {
          if (!link) continue;
          out.push(new MapReply([
            'direction', dir, 'node', n.name, 'create-time', link.ctime,
            'events', dir === 'to' ? 'rw' : 'r', 'send-buffer-allocated', 0, 'send-buffer-used', link.socket.writableLength,
          ]));
        }
      }
      return out;
    }),
    sub('addslots', -3, ADMIN, (cl, _ctx, args) => slotsChange(cl, args, true, false, 'cluster|addslots')),
    sub('addslotsrange', -4, ADMIN, (cl, _ctx, args) => slotsChange(cl, args, true, true, 'cluster|addslotsrange')),
    sub('delslots', -3, ADMIN, (cl, _ctx, args) => slotsChange(cl, args, false, false, 'cluster|delslots')),
    sub('delslotsrange', -4, ADMIN, (cl, _ctx, args) => slotsChange(cl, args, false, true, 'cluster|delslotsrange')),
    sub('flushslots', 2, ADMIN, (cl, ctx) => {
      if (ctx.server.dbs[0].size !== 0) return new ReplyError('ERR', 'DB must be empty to perform CLUSTER FLUSHSLOTS.');
      for (let j = 0; j < CLUSTER_SLOTS; j++) if (cl.slots[j] === cl.myself) cl.delSlot(j);
      cl.todo();
      return OK;
    }),
    sub('setslot', -4, ADMIN, (cl, ctx, args) => {
      if (cl.myself.flags & NODE_SLAVE) return new ReplyError('ERR', 'Please use SETSLOT only with masters.');
      const slot = slotOf(args[2]);
      if (slot instanceof ReplyError) return slot;
      const action = args[3].toLowerCase();
      const errInvalid = new ReplyError('ERR', 'Invalid CLUSTER SETSLOT action or number of arguments. Try CLUSTER HELP');
      if (action === 'stable') {
        if (args.length !== 4) return errInvalid;
        cl.importingFrom[slot] = null;
        cl.migratingTo[slot] = null;
      } else if (action === 'migrating' || action === 'importing' || action === 'node') {
        if (args.length !== 5) return errInvalid;
        const n = cl.lookup(args[4]);
        if (action === 'migrating') {
          if (cl.slots[slot] !== cl.myself) return new ReplyError('ERR', `I'm not the owner of hash slot ${slot}`);
          if (!n) return new ReplyError('ERR', `I don't know about node ${args[4]}`);
          if (n.flags & NODE_SLAVE) return new ReplyError('ERR', 'Target node is not a master');
          cl.migratingTo[slot] = n;
        } else if (action === 'importing') {
          if (cl.slots[slot] === cl.myself) return new ReplyError('ERR', `I'm already the owner of hash slot ${slot}`);
          if (!n) return new ReplyError('ERR', `I don't know about node ${args[4]}`);
          if (n.flags & NODE_SLAVE) return new ReplyError('ERR', 'Target node is not a master');
          cl.importingFrom[slot] = n;
        } else {
          if (!n) return new ReplyError('ERR', `Unknown node ${args[4]}`);
          if (n.flags & NODE_SLAVE) return new ReplyError('ERR', 'Target node is not a master');
          if (cl.slots[slot] === cl.myself && n !== cl.myself) {
            if (cl.countKeysInSlot(slot) !== 0) {
              return new ReplyError('ERR', `Can't assign hashslot ${slot} to a different node while I still hold keys for this hash slot.`);
            }
          }
          if (cl.countKeysInSlot(slot) === 0 && cl.migratingTo[slot] !== null) cl.migratingTo[slot] = null;
          let bump = false;
          if (n === cl.myself && cl.importingFrom[slot] !== null) {
            cl.importingFrom[slot] = null;
            bump = true;
          }
          cl.delSlot(slot);
          cl.addSlot(n, slot);
          if (bump && cl.bumpEpoch()) {
            ctx.server.log.warn(`configEpoch updated after importing slot ${slot}`);
          }
          cl.broadcastPong();
        }
      } else return errInvalid;
      cl.todo();
      return OK;
    }),
    sub('meet', -4, ADMIN, (cl, _ctx, args) => {
      if (args.length > 5) return ERR_SYNTAX;
      const port = intArg(args[3]);
      if (port === null) return new ReplyError('ERR', `Invalid TCP base port specified: ${args[3]}`);
      let cport = port + 10000;
      if (args.length === 5) {
        const c = intArg(args[4]);
        if (c === null) return new ReplyError('ERR', `Invalid TCP bus port specified: ${args[4]}`);
        cport = c;
      }
      if (!cl.startHandshake(args[2], port, cport)) {
        return new ReplyError('ERR', `Invalid node address specified: ${args[2]}:${args[3]}`);
      }
      return OK;
    }),
    sub('forget', 3, ADMIN, (cl, _ctx, args) => {
      const n = cl.lookup(args[2]);
      if (!n) return new ReplyError('ERR', `Unknown node ${args[2]}`);
      if (n === cl.myself) return new ReplyError('ERR', "I tried hard but I can't forget myself...");
      if (cl.myself.flags & NODE_SLAVE && cl.myself.slaveof === n) return new ReplyError('ERR', "Can't forget my master!");
      cl.blacklist.set(n.name, Date.now() + 60_000);
      cl.delNode(n);
      return OK;
    }),
    sub('replicate', 3, ADMIN, (cl, ctx, args) => {
      const n = cl.lookup(args[2]);
      if (!n) return new ReplyError('ERR', `Unknown node ${args[2]}`);
      if (n === cl.myself) return new ReplyError('ERR', "Can't replicate myself");
      if (n.flags & NODE_SLAVE) return new ReplyError('ERR', 'I can only replicate a master, not a replica.');
      // A master must be empty; a replica may switch to another master.
      if (cl.myself.isMaster() && (cl.myself.numSlots !== 0 || ctx.server.dbs[0].size !== 0)) {
        return new ReplyError('ERR', 'To set a master the node must be empty and without assigned slots.');
      }
      cl.failover.setMaster(n);
      return OK;
    }),
    sub('replicas', 3, ADMIN, (cl, _ctx, args) => replicasOf(cl, args)),
    sub('slaves', 3, ADMIN, (cl, _ctx, args) => replicasOf(cl, args)),
    sub('failover', -2, ADMIN, (cl, _ctx, args) => {
      // Redis's clusterCommand takes FAILOVER with 2 or 3 arguments; others fall to its generic error.
      if (args.length > 3) return new ReplyError('ERR', `unknown subcommand or wrong number of arguments for '${args[1].slice(0, 128)}'. Try CLUSTER HELP.`);
      if (args.length === 3 && !['force', 'takeover'].includes(args[2].toLowerCase())) return ERR_SYNTAX;
      const mode = args.length === 3 ? (args[2].toLowerCase() as 'force' | 'takeover') : 'default';
      return cl.failover.manualFailover(mode) ?? OK;
    }),
    sub('reset', -2, ['admin', 'noscript', 'stale'], (cl, ctx, args) => {
      if (args.length > 3) return ERR_SYNTAX;
      let hard = false;
      if (args.length === 3) {
        const a = args[2].toLowerCase();
        if (a === 'hard') hard = true;
        else if (a !== 'soft') return ERR_SYNTAX;
      }
      if (cl.myself.isMaster() && ctx.server.dbs[0].size !== 0) {
        return new ReplyError('ERR', "CLUSTER RESET can't be called with master nodes containing keys");
      }
      for (let j = 0; j < CLUSTER_SLOTS; j++) {
        cl.importingFrom[j] = null;
        cl.migratingTo[j] = null;
        if (cl.slots[j] !== null) cl.delSlot(j);
      }
      // Redis's clusterReset: a replica becomes an empty master.
      if (cl.myself.flags & NODE_SLAVE) {
        cl.setAsMaster(cl.myself);
        ctx.server.replication.promote();
        for (const db of ctx.server.dbs) db.clear();
      }
      cl.failover.resetManualFailover();
      for (const n of [...cl.nodes.values()]) if (n !== cl.myself) cl.delNode(n);
      cl.myself.flags = NODE_MYSELF | NODE_MASTER;
      cl.myself.slaveof = null;
      if (hard) {
        cl.currentEpoch = 0;
        cl.lastVoteEpoch = 0;
        cl.myself.configEpoch = 0;
        cl.nodes.delete(cl.myself.name);
        cl.myself.name = randomName();
        cl.nodes.set(cl.myself.name, cl.myself);
      }
      cl.todo();
      return OK;
    }),
    sub('saveconfig', 2, ADMIN, (cl) => {
      try {
        cl.save(true);
      } catch (err) {
        return new ReplyError('ERR', `error saving the cluster node config: ${(err as Error).message}`);
      }
      return OK;
    }),
    sub('bumpepoch', 2, ADMIN, (cl) => {
      const bumped = cl.bumpEpoch();
      return new Status(`${bumped ? 'BUMPED' : 'STILL'} ${cl.myself.configEpoch}`);
    }),
    sub('set-config-epoch', 3, ADMIN, (cl, _ctx, args) => {
      const e = intArg(args[2]);
      if (e === null) return ERR_NOT_INT;
      if (e < 0) return new ReplyError('ERR', `Invalid config epoch specified: ${e}`);
      if (cl.nodes.size > 1) return new ReplyError('ERR', 'The user can assign a config epoch only when the node does not know any other node.');
      if (cl.myself.configEpoch !== 0) return new ReplyError('ERR', 'Node config epoch is already non-zero');
      cl.myself.configEpoch = e;
      if (cl.currentEpoch < e) cl.currentEpoch = e;
      cl.todo();
      return OK;
    }),
    sub('count-failure-reports', 3, ADMIN, (cl, _ctx, args) => {
      const n = cl.lookup(args[2]);
      if (!n) return new ReplyError('ERR', `Unknown node ${args[2]}`);
      return cl.failureReports(n);
    }),
  ],
};

function connectionFlag(name: string, fn: (ctx: Context) => void): CommandSpec {
  return {
    name,
    arity: 1,
    flags: name === 'asking' ? ['fast'] : ['loading', 'stale', 'fast'],
    keys: [0, 0, 0],
    group: 'cluster',
    summary: '',
    since: '3.0.0',
    handler: (ctx) => {
      if (ctx.server.cluster === null) return ERR_DISABLED;
      fn(ctx);
      return OK;
    },
  };
}

export const clusterCommands: CommandSpec[] = [
  clusterCommand,
  connectionFlag('readonly', (ctx) => (ctx.client.readonlyCluster = true)),
  connectionFlag('readwrite', (ctx) => (ctx.client.readonlyCluster = false)),
  connectionFlag('asking', (ctx) => (ctx.client.asking = true)),
];
