// Replicas and failover in Redis Cluster, as Redis 7.0's cluster.c does them, on top of the PSYNC 2
// replication of src/replication:
//
// - CLUSTER REPLICATE and the reconfigurations that follow a slot owner change make this node a
//   replica (setMaster, Redis's clusterSetMaster): the NODE_SLAVE flag, `slaveof` in every header
//   and in nodes.conf, and Replication.setMaster() to the master's address.
// - Automatic failover (handleReplicaFailover, Redis's clusterHandleSlaveFailover): when our master
//   is FAIL, wait 500 ms + random(500) + rank × 1000 ms (rank: how many sibling replicas have a
//   larger replication offset), bump currentEpoch, broadcast FAILOVER_AUTH_REQUEST, and with
//   FAILOVER_AUTH_ACK from a majority of the masters that serve slots, take the master's slots with
//   the election's epoch as config epoch (replaceMyMaster): promote the replication, broadcast a
//   PONG. The others learn it from the PONG; the old master's other replicas and the old master
//   itself, once back, follow the new owner of their slots (Cluster.updateSlotsWith).
// - Votes (voteIfNeeded, Redis's clusterSendFailoverAuthIfNeeded): a master serving slots grants at
//   most one vote per epoch, only for a replica of a FAIL master (or one that asks with FORCEACK),
//   at most once per node-timeout × 2 for the same master, and not when a slot the replica claims
//   is served with a newer config epoch.
// - CLUSTER FAILOVER (manual failover): the replica sends MFSTART; its master pauses writes for
//   10 s and pings it with the PAUSED flag and its final offset; once the replica has applied that
//   much, it runs the election at once (no delay) and the masters vote with FORCEACK. FORCE skips
//   the master's part; TAKEOVER skips the election (a new epoch without consensus).
// Replica migration (orphaned masters) is not done.

import type { Reply } from '../protocol/reply.js';
import { ReplyError } from '../protocol/reply.js';
import { CLUSTER_SLOTS } from './slot.js';
import {
  encodeHeaderOnly,
  FLAG0_FORCEACK,
  FLAG0_PAUSED,
  MSG_FAILOVER_AUTH_ACK,
  MSG_FAILOVER_AUTH_REQUEST,
  MSG_MFSTART,
  MSG_PING,
  type BusMessage,
} from './bus.js';
import type { Cluster, ClusterNode, Link } from './cluster.js';

// Flag values of cluster.ts (not imported as values: cluster.ts imports this module).
const NODE_MASTER = 1;
const NODE_SLAVE = 2;
const NODE_FAIL = 8;
const NODE_MIGRATE_TO = 256;
const NODE_NOFAILOVER = 512;

/** Redis's CLUSTER_MF_TIMEOUT and CLUSTER_MF_PAUSE_MULT. */
const MF_TIMEOUT = 5000;
const MF_PAUSE_MULT = 2;

export class Failover {
  // ---- election (replica side): Redis's failover_auth_* ----
  private authTime = 0;
  private authCount = 0;
  private authSent = false;
  private authRank = 0;
  private authEpoch = 0;
  // ---- manual failover (both sides): Redis's mf_* ----
  /** When the manual failover in progress times out (0: none). */
  mfEnd = 0;
  private mfCanStart = false;
  /** Master side: the replica that asked. */
  private mfReplica: ClusterNode | null = null;
  /** Replica side: the paused master's final offset, -1 until it arrives. */
  private mfMasterOffset = -1;
  private soonQueued = false;

  constructor(private readonly cluster: Cluster) {}

  private get me(): ClusterNode {
    return this.cluster.myself;
  }

  private log(level: 'info' | 'warn', msg: string): void {
    this.cluster.server.log[level](msg);
  }

  /** This node's replication offset, as the header carries it (Redis's replicationGetSlaveOffset / master_repl_offset). */
  myOffset(): number {
    const repl = this.cluster.server.replication;
    if (this.mfEnd && this.me.isMaster()) repl.flushStream();
    return repl.offset;
  }

  /** mflags[0] of our headers: PAUSED while a manual failover pauses us as a master. */
  headerFlags(): number {
    return this.mfEnd && this.me.isMaster() ? FLAG0_PAUSED : 0;
  }

  /** Run the failover state machine again before the next cron tick (Redis's CLUSTER_TODO_HANDLE_FAILOVER). */
  private soon(): void {
    if (this.soonQueued) return;
    this.soonQueued = true;
    setImmediate(() => {
      this.soonQueued = false;
      if (this.me.flags & NODE_SLAVE) {
        this.handleManualFailover();
        this.handleReplicaFailover();
      }
    });
  }

  // ---- becoming a replica -----------------------------------------------------------------------

  /** Redis's clusterSetMaster: become a replica of n (this node serves no slot) and replicate it. */
  setMaster(n: ClusterNode): void {
    const cl = this.cluster;
    const me = this.me;
    if (me.isMaster()) {
      me.flags = (me.flags & ~(NODE_MASTER | NODE_MIGRATE_TO)) | NODE_SLAVE;
      cl.closeAllSlots();
    } else if (me.slaveof) {
      removeReplica(me.slaveof, me);
    }
    me.slaveof = n;
    if (!n.replicas.includes(me)) n.replicas.push(me);
    cl.server.replication.setMaster(n.ip, n.port);
    this.resetManualFailover();
    cl.todo();
  }

  /** Redis's clusterFailoverReplaceYourMaster: take the master's slots and tell everyone. */
  private replaceMyMaster(): void {
    const cl = this.cluster;
    const me = this.me;
    const old = me.slaveof;
    if (me.isMaster() || old === null) return;
    cl.setAsMaster(me);
    cl.server.replication.promote();
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if (!old.hasSlot(j)) continue;
      cl.delSlot(j);
      cl.addSlot(me, j);
    }
    cl.updateState();
    cl.save(true);
    cl.broadcastPong();
    this.resetManualFailover();
    // The election is over. Redis keeps its state until the retry time, so late votes could make
    // a manual failover started soon after (as a replica again) "win" with the old epoch at once.
    this.authTime = 0;
    this.authSent = false;
    this.authCount = 0;
  }

  // ---- cron ---------------------------------------------------------------------------------------

  /** The failover part of Redis's clusterCron, every 100 ms. */
  cron(): void {
    const cl = this.cluster;
    const me = this.me;
    const repl = cl.server.replication;
    // clusterUpdateMyselfFlags: cluster-replica-no-failover is announced as NODE_NOFAILOVER.
    const noFailover = cl.server.config.getBool('cluster-replica-no-failover');
    if (noFailover !== ((me.flags & NODE_NOFAILOVER) !== 0)) {
      me.flags ^= NODE_NOFAILOVER;
      cl.todo();
    }
    // A replica whose replication is not running (after a restart: nodes.conf says we are one).
    if (me.flags & NODE_SLAVE && me.slaveof && me.slaveof.ip !== '' && me.slaveof.port !== 0 && !repl.isReplica) {
      repl.setMaster(me.slaveof.ip, me.slaveof.port);
    }
    if (this.mfEnd && this.mfEnd < Date.now()) {
      this.log('warn', 'Manual failover timed out.');
      this.resetManualFailover();
    }
    if (me.flags & NODE_SLAVE) {
      this.handleManualFailover();
      this.handleReplicaFailover();
    } else if (this.mfEnd && this.mfReplica?.link) {
      // The master of a manual failover keeps sending its (paused) offset.
      cl.sendPing(this.mfReplica.link, MSG_PING);
    }
  }

  /** Redis's clusterGetSlaveRank: sibling replicas that may fail over and have more data than us. */
  private rank(): number {
    const master = this.me.slaveof;
    if (!master) return 0;
    const mine = this.myOffset();
    let rank = 0;
    for (const r of master.replicas) {
      if (r !== this.me && (r.flags & NODE_NOFAILOVER) === 0 && r.replOffset > mine) rank++;
    }
    return rank;
  }

  /** Redis's clusterHandleSlaveFailover. */
  private handleReplicaFailover(): void {
    const cl = this.cluster;
    const me = this.me;
    const master = me.slaveof;
    const now = Date.now();
    const timeout = cl.nodeTimeout;
    const config = cl.server.config;
    let dataAge = cl.server.replication.masterDataAge(now);
    // Being cut off while the master was being detected as failing is the baseline.
    if (dataAge > timeout) dataAge -= timeout;
    const authTimeout = Math.max(timeout * 2, 2000);
    const authRetryTime = authTimeout * 2;
    const authAge = now - this.authTime;
    const needed = Math.floor(cl.size / 2) + 1;
    const manual = this.mfEnd !== 0 && this.mfCanStart;

    if (me.isMaster() || master === null || ((master.flags & NODE_FAIL) === 0 && !manual) ||
      (config.getBool('cluster-replica-no-failover') && !manual) || master.numSlots === 0) {
      return;
    }
    const factor = config.getInt('cluster-replica-validity-factor');
    if (factor > 0 && dataAge > config.getInt('repl-ping-replica-period') * 1000 + timeout * factor && !manual) {
      return; // "Disconnected from master for longer than allowed."
    }
    if (authAge > authRetryTime) {
      this.authTime = now + 500 + Math.floor(Math.random() * 500);
      this.authCount = 0;
      this.authSent = false;
      this.authRank = this.rank();
      this.authTime += this.authRank * 1000;
      if (this.mfEnd) {
        this.authTime = now;
        this.authRank = 0;
        this.soon();
      }
      this.log('warn', `Start of election delayed for ${this.authTime - now} milliseconds (rank #${this.authRank}, offset ${this.myOffset()}).`);
      // Sibling replicas learn our offset now, for their own rank.
      cl.broadcastPong(true);
      return;
    }
    if (!this.authSent && this.mfEnd === 0) {
      const rank = this.rank();
      if (rank > this.authRank) {
        const added = (rank - this.authRank) * 1000;
        this.authTime += added;
        this.authRank = rank;
        this.log('warn', `Replica rank updated to #${rank}, added ${added} milliseconds of delay.`);
      }
    }
    if (now < this.authTime) return;
    if (authAge > authTimeout) return; // the election expired; a new one starts after authRetryTime
    if (!this.authSent) {
      cl.currentEpoch++;
      this.authEpoch = cl.currentEpoch;
      this.log('warn', `Starting a failover election for epoch ${this.authEpoch}.`);
      const h = cl.headerFields();
      if (this.mfEnd) h.mflags0 = (h.mflags0 ?? 0) | FLAG0_FORCEACK;
      cl.broadcast(encodeHeaderOnly(MSG_FAILOVER_AUTH_REQUEST, h), MSG_FAILOVER_AUTH_REQUEST);
      this.authSent = true;
      cl.todo();
      return;
    }
    if (this.authCount >= needed) {
      this.log('warn', "Failover election won: I'm the new master.");
      if (me.configEpoch < this.authEpoch) {
        me.configEpoch = this.authEpoch;
        this.log('warn', `configEpoch set to ${me.configEpoch} after successful failover`);
      }
      this.replaceMyMaster();
    }
  }

  // ---- manual failover ------------------------------------------------------------------------------

  /** Redis's resetManualFailover. */
  resetManualFailover(): void {
    if (this.mfEnd && this.mfReplica !== null) this.cluster.server.unpause();
    this.mfEnd = 0;
    this.mfCanStart = false;
    this.mfReplica = null;
    this.mfMasterOffset = -1;
  }

  /** Redis's clusterHandleManualFailover: the replica may start once it has the paused master's stream. */
  private handleManualFailover(): void {
    if (this.mfEnd === 0 || this.mfCanStart || this.mfMasterOffset === -1) return;
    // Redis waits for equality; the master's own PINGs may add a few bytes after the pause.
    if (this.myOffset() >= this.mfMasterOffset) {
      this.mfCanStart = true;
      this.log('warn', 'All master replication stream processed, manual failover can start.');
      this.soon();
    }
  }

  /** CLUSTER FAILOVER [FORCE|TAKEOVER] on this replica. */
  manualFailover(mode: 'default' | 'force' | 'takeover'): Reply | null {
    const cl = this.cluster;
    const me = this.me;
    if (me.isMaster()) return new ReplyError('ERR', 'You should send CLUSTER FAILOVER to a replica');
    if (me.slaveof === null) return new ReplyError('ERR', "I'm a replica but my master is unknown to me");
    if (mode === 'default' && (me.slaveof.flags & NODE_FAIL || me.slaveof.link === null)) {
      return new ReplyError('ERR', 'Master is down or failed, please use CLUSTER FAILOVER FORCE');
    }
    this.resetManualFailover();
    this.mfEnd = Date.now() + MF_TIMEOUT;
    if (mode === 'takeover') {
      // No election: a new config epoch without consensus, then take the slots.
      this.log('warn', 'Taking over the master (user request).');
      cl.bumpEpoch();
      this.replaceMyMaster();
    } else if (mode === 'force') {
      this.log('warn', 'Forced failover user request accepted.');
      this.mfCanStart = true;
      this.soon();
    } else {
      this.log('warn', 'Manual failover user request accepted.');
      const link = me.slaveof.link;
      if (link) cl.sendRaw(link, encodeHeaderOnly(MSG_MFSTART, cl.headerFields()), MSG_MFSTART);
    }
    return null;
  }

  // ---- messages ---------------------------------------------------------------------------------------

  /** Every message from a known node: a paused master's offset starts our manual failover's catch-up. */
  onHeader(sender: ClusterNode, m: BusMessage): void {
    if (this.mfEnd && this.me.flags & NODE_SLAVE && this.me.slaveof === sender && m.mflags0 & FLAG0_PAUSED && this.mfMasterOffset === -1) {
      this.mfMasterOffset = m.offset;
      this.log('warn', `Received replication offset for paused master manual failover: ${m.offset}`);
      this.handleManualFailover();
    }
  }

  /** MFSTART from one of our replicas: pause writes, send it our offset. */
  onMfStart(sender: ClusterNode, link: Link): void {
    if (sender.slaveof !== this.me) return;
    const cl = this.cluster;
    this.resetManualFailover();
    this.mfEnd = Date.now() + MF_TIMEOUT;
    this.mfReplica = sender;
    cl.server.pause(MF_TIMEOUT * MF_PAUSE_MULT, true);
    this.log('warn', `Manual failover requested by replica ${sender.name}.`);
    cl.sendPing(link, MSG_PING);
  }

  /** FAILOVER_AUTH_ACK: a vote for us, if it is for the current election. */
  onAuthAck(sender: ClusterNode, m: BusMessage): void {
    if (sender.isMaster() && sender.numSlots > 0 && m.currentEpoch >= this.authEpoch) {
      this.authCount++;
      this.soon();
    }
  }

  /** Redis's clusterSendFailoverAuthIfNeeded: vote for a replica's election, or stay silent. */
  onAuthRequest(node: ClusterNode, m: BusMessage): void {
    const cl = this.cluster;
    const me = this.me;
    const master = node.slaveof;
    const forceAck = (m.mflags0 & FLAG0_FORCEACK) !== 0;
    // Only masters serving slots vote: they make the cluster size and the quorum.
    if (me.flags & NODE_SLAVE || me.numSlots === 0) return;
    if (m.currentEpoch < cl.currentEpoch) {
      this.log('warn', `Failover auth denied to ${node.name}: reqEpoch (${m.currentEpoch}) < curEpoch(${cl.currentEpoch})`);
      return;
    }
    if (cl.lastVoteEpoch === cl.currentEpoch) {
      this.log('warn', `Failover auth denied to ${node.name}: already voted for epoch ${cl.currentEpoch}`);
      return;
    }
    if (node.isMaster() || master === null || ((master.flags & NODE_FAIL) === 0 && !forceAck)) {
      if (node.isMaster()) this.log('warn', `Failover auth denied to ${node.name}: it is a master node`);
      else if (master === null) this.log('warn', `Failover auth denied to ${node.name}: I don't know its master`);
      else this.log('warn', `Failover auth denied to ${node.name}: its master is up`);
      return;
    }
    const now = Date.now();
    if (now - master.votedTime < cl.nodeTimeout * 2) {
      this.log('warn', `Failover auth denied to ${node.name}: can't vote about this master before ${cl.nodeTimeout * 2 - (now - master.votedTime)} milliseconds`);
      return;
    }
    for (let j = 0; j < CLUSTER_SLOTS; j++) {
      if ((m.slots[j >> 3] & (1 << (j & 7))) === 0) continue;
      const owner = cl.slots[j];
      if (owner === null || owner.configEpoch <= m.configEpoch) continue;
      this.log('warn', `Failover auth denied to ${node.name}: slot ${j} epoch (${owner.configEpoch}) > reqEpoch (${m.configEpoch})`);
      return;
    }
    cl.lastVoteEpoch = cl.currentEpoch;
    master.votedTime = now;
    // The vote is on disk before it is sent (Redis saves and fsyncs nodes.conf before replying).
    try {
      cl.save(true);
    } catch (err) {
      cl.server.log.warn({ err }, 'Could not save the cluster config');
    }
    if (node.link) cl.sendRaw(node.link, encodeHeaderOnly(MSG_FAILOVER_AUTH_ACK, cl.headerFields()), MSG_FAILOVER_AUTH_ACK);
    this.log('warn', `Failover auth granted to ${node.name} for epoch ${cl.currentEpoch}`);
  }
}

export function removeReplica(master: ClusterNode, r: ClusterNode): void {
  const i = master.replicas.indexOf(r);
  if (i >= 0) master.replicas.splice(i, 1);
}
