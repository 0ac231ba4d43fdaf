// Differential tests of when blocked clients wake (and with what) as their key is pushed to,
// deleted, changes type, is renamed / moved / restored / copied / sorted into place, or its
// database is flushed or swapped — against a real redis-server 7.0.
//
// Each case runs on both servers with two connections: one blocks (timeout 0, forever), the other
// acts. Redis serves ready keys right after the acting command, before its reply, and so does
// Lodestone; so once the actor has its replies, a CLIENT UNBLOCK of the blocked connection tells
// whether it is still blocked (1) or was answered (0), and releases it (its reply is then the
// timeout reply). What the blocked client received, the UNBLOCK result and the state afterwards
// must be identical. Nothing here measures time: waiting for the client to block polls INFO.
import { describe, expect, it } from 'vitest';
import { diffServers } from '../helpers/diff.js';
import { info, until } from '../helpers/poll.js';
import { RawClient } from '../helpers/raw-client.js';
import { encodeCommand, show } from '../helpers/resp.js';
import { skipReason } from '../helpers/servers.js';

type Cmd = string[];

interface Case {
  name: string;
  setup?: Cmd[];
  block: Cmd;
  /** Run by the acting client once the other is blocked. `['RESTORE-FROM', src, dst]` restores
   *  DUMP src into dst (each server its own payload); `['WAIT-REPLY']` sends nothing and waits
   *  (up to a minute) for the blocked client's reply — for what the server does by itself. */
  act: Cmd[];
  /** Read after the release (in db 0). */
  after?: Cmd[];
}

async function run(port: number, c: Case): Promise<string[]> {
  const actor = await RawClient.connect(port);
  const blocked = await RawClient.connect(port);
  const out: string[] = [];
  try {
    await actor.call('FLUSHALL');
    for (const cmd of c.setup ?? []) out.push(`setup ${cmd.join(' ')} -> ${show(await actor.call(...cmd))}`);
    const id = await blocked.call('CLIENT', 'ID');
    if (id.t !== 'int') throw new Error('CLIENT ID');
    blocked.socket.write(encodeCommand(c.block));
    const reply = blocked.read(60000).then(show, (e: Error) => `no reply: ${e.message}`);
    await until(async () => (await info(actor, 'clients')).blocked_clients === '1', 30000, 'client blocked');
    for (const cmd of c.act) {
      if (cmd[0] === 'WAIT-REPLY') {
        out.push(`waited for: ${await reply}`);
      } else if (cmd[0] === 'RESTORE-FROM') {
        const dump = await actor.call('DUMP', cmd[1]);
        if (dump.t !== 'bulk') throw new Error(`DUMP ${cmd[1]}: ${show(dump)}`);
        out.push(`act RESTORE ${cmd[2]} -> ${show(await actor.call('RESTORE', cmd[2], '0', Buffer.from(dump.v, 'latin1'), 'REPLACE'))}`);
      } else out.push(`act ${cmd.join(' ')} -> ${show(await actor.call(...cmd))}`);
    }
    await actor.call('SELECT', '0');
    out.push(`still blocked: ${show(await actor.call('CLIENT', 'UNBLOCK', id.v))}`);
    out.push(`blocked client got: ${await reply}`);
    for (const cmd of c.after ?? []) out.push(`after ${cmd.join(' ')} -> ${show(await actor.call(...cmd))}`);
    out.push(`blocked client then: ${show(await blocked.call('PING'))}`);
  } finally {
    actor.close();
    blocked.close();
  }
  return out;
}

// ---- the cases -----------------------------------------------------------------------------------

const LIST_BLOCKERS: Cmd[] = [
  ['BLPOP', 'l', '0'],
  ['BRPOP', 'l', '0'],
  ['BLMOVE', 'l', 'dst', 'LEFT', 'RIGHT', '0'],
  ['BRPOPLPUSH', 'l', 'dst', '0'],
  ['BLMPOP', '0', '1', 'l', 'LEFT'],
];
const ZSET_BLOCKERS: Cmd[] = [
  ['BZPOPMIN', 'l', '0'],
  ['BZPOPMAX', 'l', '0'],
  ['BZMPOP', '0', '1', 'l', 'MIN'],
];

/** The ways a value can arrive at (or leave) key `l`; `mk` builds a value of the blockers' type at a key. */
function keyCases(kind: string, blockers: Cmd[], mk: (key: string) => Cmd, other: (key: string) => Cmd): Case[] {
  const after: Cmd[] = [['TYPE', 'l'], ['DUMP', 'dst'], ['SELECT', '1'], ['TYPE', 'l'], ['SELECT', '0']];
  const cases: Omit<Case, 'block'>[] = [
    { name: 'value added', act: [mk('l')] },
    { name: 'becomes a string', act: [['SET', 'l', 'str']] },
    { name: 'becomes a string, deleted, then added', act: [['SET', 'l', 'str'], ['DEL', 'l'], mk('l')] },
    { name: 'another type arrives', act: [other('l')] },
    { name: 'renamed into place', setup: [mk('src')], act: [['RENAME', 'src', 'l']] },
    { name: 'RENAMENX into place', setup: [mk('src')], act: [['RENAMENX', 'src', 'l']] },
    { name: 'another type renamed into place', setup: [other('src')], act: [['RENAME', 'src', 'l']] },
    { name: 'moved in from db 1', setup: [['SELECT', '1'], mk('l'), ['SELECT', '0']], act: [['SELECT', '1'], ['MOVE', 'l', '0']] },
    { name: 'SWAPDB brings it', setup: [['SELECT', '1'], mk('l'), ['SELECT', '0']], act: [['SWAPDB', '0', '1']] },
    { name: 'SWAPDB, then added in the other db', act: [['SWAPDB', '0', '1'], ['SELECT', '1'], mk('l')] },
    { name: 'SWAPDB, then added in its own db', act: [['SWAPDB', '1', '0'], mk('l')] },
    { name: 'FLUSHDB', act: [['FLUSHDB']] },
    { name: 'FLUSHALL', act: [['FLUSHALL']] },
    { name: 'FLUSHDB, then added', act: [['FLUSHDB'], mk('l')] },
    { name: 'RESTORE', setup: [mk('src')], act: [['RESTORE-FROM', 'src', 'l']] },
    { name: 'COPY', setup: [mk('src')], act: [['COPY', 'src', 'l']] },
    { name: 'COPY from db 1', setup: [['SELECT', '1'], mk('src'), ['SELECT', '0']], act: [['SELECT', '1'], ['COPY', 'src', 'l', 'DB', '0']] },
    { name: 'added and deleted in MULTI', act: [['MULTI'], mk('l'), ['DEL', 'l'], ['EXEC']] },
    { name: 'added and made a string in MULTI', act: [['MULTI'], mk('l'), ['SET', 'l', 'str'], ['EXEC']] },
  ];
  const out: Case[] = [];
  for (const b of blockers) {
    for (const c of cases) out.push({ ...c, name: `${kind} ${b[0]}: ${c.name}`, block: b, after });
  }
  return out;
}

const LIST_CASES: Case[] = [
  ...keyCases('list', LIST_BLOCKERS, (k) => ['RPUSH', k, 'a', 'b'], (k) => ['ZADD', k, '1', 'm']),
  ...LIST_BLOCKERS.map((b) => ({
    name: `list ${b[0]}: SORT … STORE into place`,
    setup: [['RPUSH', 'src', '3', '1', '2']],
    block: b,
    act: [['SORT', 'src', 'STORE', 'l']],
    after: [['LRANGE', 'l', '0', '-1'], ['LRANGE', 'dst', '0', '-1']],
  })),
  // the other commands that create a list at a key
  ...([
    ['LMOVE', 'src', 'l', 'LEFT', 'RIGHT'],
    ['RPOPLPUSH', 'src', 'l'],
    ['LPUSHX', 'l', 'x'],
    ['LINSERT', 'l', 'BEFORE', 'a', 'x'],
    ['SORT', 'src', 'ALPHA', 'STORE', 'l'],
    ['SORT', 'nosuchkey', 'STORE', 'l'],
  ] as Cmd[]).flatMap((cmd) =>
    [['BLPOP', 'l', '0'], ['BLMOVE', 'l', 'l', 'LEFT', 'RIGHT', '0']].map((b) => ({
      name: `list ${b[0]}: ${cmd.join(' ')}`,
      setup: [['RPUSH', 'src', 'a', 'b']],
      block: b,
      act: [cmd],
      after: [['LRANGE', 'l', '0', '-1'], ['LRANGE', 'src', '0', '-1']],
    })),
  ),
  ...[['BLMOVE', 'l', 'dst', 'LEFT', 'RIGHT', '0'], ['BRPOPLPUSH', 'l', 'dst', '0']].map((b) => ({
    name: `list ${b[0]}: destination is a string when served`,
    setup: [['SET', 'dst', 'str']],
    block: b,
    act: [['RPUSH', 'l', 'a']],
    after: [['LRANGE', 'l', '0', '-1'], ['GET', 'dst']],
  })),
  ...[['BLMOVE', 'l', 'dst', 'LEFT', 'RIGHT', '0'], ['BRPOPLPUSH', 'l', 'dst', '0']].map((b) => ({
    name: `list ${b[0]}: destination becomes a string while blocked`,
    block: b,
    act: [['SET', 'dst', 'str'], ['RPUSH', 'l', 'a']],
    after: [['LRANGE', 'l', '0', '-1'], ['GET', 'dst']],
  })),
];

// Several keys ready at once: Redis serves the key signalled first, not the first key named.
const MULTI_KEY_CASES: Case[] = [
  { name: 'BLPOP a b: b then a pushed in MULTI', block: ['BLPOP', 'a', 'b', '0'], act: [['MULTI'], ['RPUSH', 'b', 'x'], ['RPUSH', 'a', 'y'], ['EXEC']], after: [['LRANGE', 'a', '0', '-1'], ['LRANGE', 'b', '0', '-1']] },
  { name: 'BLMPOP a b: b then a pushed in MULTI', block: ['BLMPOP', '0', '2', 'a', 'b', 'LEFT'], act: [['MULTI'], ['RPUSH', 'b', 'x'], ['RPUSH', 'a', 'y'], ['EXEC']], after: [['LRANGE', 'a', '0', '-1'], ['LRANGE', 'b', '0', '-1']] },
  { name: 'BZPOPMIN a b: b then a added in MULTI', block: ['BZPOPMIN', 'a', 'b', '0'], act: [['MULTI'], ['ZADD', 'b', '1', 'x'], ['ZADD', 'a', '1', 'y'], ['EXEC']], after: [['ZRANGE', 'a', '0', '-1'], ['ZRANGE', 'b', '0', '-1']] },
  { name: 'BZMPOP a b: b then a added in MULTI', block: ['BZMPOP', '0', '2', 'a', 'b', 'MIN'], act: [['MULTI'], ['ZADD', 'b', '1', 'x'], ['ZADD', 'a', '1', 'y'], ['EXEC']], after: [['ZRANGE', 'a', '0', '-1'], ['ZRANGE', 'b', '0', '-1']] },
  { name: 'BLPOP a b: MSET-like RENAMEs in MULTI', setup: [['RPUSH', 'x', '1'], ['RPUSH', 'y', '2']], block: ['BLPOP', 'a', 'b', '0'], act: [['MULTI'], ['RENAME', 'y', 'b'], ['RENAME', 'x', 'a'], ['EXEC']], after: [['LRANGE', 'a', '0', '-1'], ['LRANGE', 'b', '0', '-1']] },
  { name: 'XREAD a b: b then a added in MULTI', block: ['XREAD', 'BLOCK', '0', 'STREAMS', 'a', 'b', '$', '$'], act: [['MULTI'], ['XADD', 'b', '1-0', 'f', 'x'], ['XADD', 'a', '1-0', 'f', 'y'], ['EXEC']] },
  {
    name: 'XREADGROUP a b: b then a added in MULTI',
    setup: [['XGROUP', 'CREATE', 'a', 'g', '$', 'MKSTREAM'], ['XGROUP', 'CREATE', 'b', 'g', '$', 'MKSTREAM']],
    block: ['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 'a', 'b', '>', '>'],
    act: [['MULTI'], ['XADD', 'b', '1-0', 'f', 'x'], ['XADD', 'a', '1-0', 'f', 'y'], ['EXEC']],
    after: [['XPENDING', 'a', 'g'], ['XPENDING', 'b', 'g']],
  },
];

const ZSET_CASES: Case[] = [
  ...keyCases('zset', ZSET_BLOCKERS, (k) => ['ZADD', k, '1', 'a', '2', 'b'], (k) => ['RPUSH', k, 'x']),
  // the other commands that create a sorted set at a key
  ...([
    ['ZINCRBY', 'l', '2', 'm'],
    ['ZADD', 'l', 'INCR', '3', 'm'],
    ['ZADD', 'l', 'XX', '1', 'm'],
    ['ZUNIONSTORE', 'l', '1', 'src'],
    ['ZINTERSTORE', 'l', '1', 'src'],
    ['ZDIFFSTORE', 'l', '1', 'src'],
    ['ZRANGESTORE', 'l', 'src', '0', '-1'],
    ['ZRANGESTORE', 'l', 'src', '5', '6'],
  ] as Cmd[]).map((cmd) => ({
    name: `zset BZPOPMIN: ${cmd.join(' ')}`,
    setup: [['ZADD', 'src', '1', 'a', '2', 'b']],
    block: ['BZPOPMIN', 'l', '0'],
    act: [cmd],
    after: [['ZRANGE', 'l', '0', '-1', 'WITHSCORES']],
  })),
];

const XREAD: Cmd = ['XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'];
const XREADGROUP: Cmd = ['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', '>'];
const STREAM_AFTER: Cmd[] = [['TYPE', 's'], ['XRANGE', 's', '-', '+'], ['XPENDING', 's', 'g'], ['SELECT', '1'], ['TYPE', 's'], ['SELECT', '0']];
const withGroup: Cmd[] = [['XADD', 's', '1-0', 'f', 'old'], ['XGROUP', 'CREATE', 's', 'g', '$']];

const STREAM_CASES: Case[] = [
  // XREAD $ on a missing key (reads after 0-0) and on a stream (after its last id)
  { name: 'XREAD: entry added', block: XREAD, act: [['XADD', 's', '5-0', 'f', 'v']] },
  { name: 'XREAD: stream deleted', setup: [['XADD', 's', '3-0', 'f', 'v']], block: XREAD, act: [['DEL', 's']] },
  { name: 'XREAD: stream deleted, re-created below the old last id', setup: [['XADD', 's', '3-0', 'f', 'v']], block: XREAD, act: [['DEL', 's'], ['XADD', 's', '2-0', 'f', 'v']] },
  { name: 'XREAD: stream deleted, re-created above the old last id', setup: [['XADD', 's', '3-0', 'f', 'v']], block: XREAD, act: [['DEL', 's'], ['XADD', 's', '4-0', 'f', 'v']] },
  { name: 'XREAD: becomes a string', setup: [['XADD', 's', '3-0', 'f', 'v']], block: XREAD, act: [['DEL', 's'], ['SET', 's', 'str']] },
  { name: 'XREAD: becomes a string (missing key)', block: XREAD, act: [['SET', 's', 'str']] },
  { name: 'XREAD: a list arrives', block: XREAD, act: [['RPUSH', 's', 'x']] },
  { name: 'XREAD: stream renamed into place', setup: [['XADD', 'src', '1-0', 'f', 'v'], ['XADD', 'src', '9-0', 'f', 'w']], block: XREAD, act: [['RENAME', 'src', 's']] },
  { name: 'XREAD: renamed over by a shorter stream', setup: [['XADD', 's', '5-0', 'f', 'v'], ['XADD', 'src', '1-0', 'f', 'v']], block: XREAD, act: [['RENAME', 'src', 's']] },
  { name: 'XREAD: renamed away', setup: [['XADD', 's', '5-0', 'f', 'v']], block: XREAD, act: [['RENAME', 's', 'other']] },
  { name: 'XREAD: moved in from db 1', setup: [['SELECT', '1'], ['XADD', 's', '1-0', 'f', 'v'], ['SELECT', '0']], block: XREAD, act: [['SELECT', '1'], ['MOVE', 's', '0']] },
  { name: 'XREAD: moved away', setup: [['XADD', 's', '5-0', 'f', 'v']], block: XREAD, act: [['MOVE', 's', '1']] },
  { name: 'XREAD: SWAPDB brings a stream', setup: [['SELECT', '1'], ['XADD', 's', '1-0', 'f', 'v'], ['SELECT', '0']], block: XREAD, act: [['SWAPDB', '0', '1']] },
  { name: 'XREAD: SWAPDB takes it away', setup: [['XADD', 's', '5-0', 'f', 'v']], block: XREAD, act: [['SWAPDB', '0', '1']] },
  { name: 'XREAD: FLUSHDB', setup: [['XADD', 's', '5-0', 'f', 'v']], block: XREAD, act: [['FLUSHDB']] },
  { name: 'XREAD: FLUSHALL, then added', setup: [['XADD', 's', '5-0', 'f', 'v']], block: XREAD, act: [['FLUSHALL'], ['XADD', 's', '1-0', 'f', 'v']] },
  { name: 'XREAD: RESTORE', setup: [['XADD', 'src', '1-0', 'f', 'v']], block: XREAD, act: [['RESTORE-FROM', 'src', 's']] },
  { name: 'XREAD: COPY', setup: [['XADD', 'src', '1-0', 'f', 'v']], block: XREAD, act: [['COPY', 'src', 's']] },
  { name: 'XREAD: XGROUP CREATE MKSTREAM creates it', block: XREAD, act: [['XGROUP', 'CREATE', 's', 'g', '$', 'MKSTREAM']] },
  { name: 'XREAD: XADD NOMKSTREAM', block: XREAD, act: [['XADD', 's', 'NOMKSTREAM', '1-0', 'f', 'v']] },
  { name: 'XREAD: XADD with MAXLEN 0', block: XREAD, act: [['XADD', 's', 'MAXLEN', '0', '1-0', 'f', 'v']] },
  { name: 'XREAD: XADD rejected', setup: [['XADD', 's', '5-0', 'f', 'v']], block: XREAD, act: [['XADD', 's', '5-0', 'f', 'v']] },
  { name: 'XREAD: XADD to another key', block: XREAD, act: [['XADD', 'other', '1-0', 'f', 'v']] },
  { name: 'XREAD: XADD and DEL in MULTI', block: XREAD, act: [['MULTI'], ['XADD', 's', '1-0', 'f', 'v'], ['DEL', 's'], ['EXEC']] },
  // changes in place that Redis does not signal (only XADD, XGROUP DESTROY and key creation / deletion do)
  { name: 'XREAD: XSETID raises the last id', setup: [['XADD', 's', '3-0', 'f', 'v']], block: XREAD, act: [['XSETID', 's', '10-0']] },
  { name: 'XREAD: XSETID, then XADD', setup: [['XADD', 's', '3-0', 'f', 'v']], block: XREAD, act: [['XSETID', 's', '10-0'], ['XADD', 's', '11-0', 'f', 'w']] },
  {
    name: 'XREAD on two streams: XSETID on the first, XADD to the second',
    setup: [['XADD', 's', '3-0', 'f', 'v'], ['XADD', 't', '3-0', 'f', 'v']],
    block: ['XREAD', 'BLOCK', '0', 'STREAMS', 's', 't', '$', '$'],
    act: [['XSETID', 's', '10-0'], ['XADD', 't', '4-0', 'f', 'w']],
  },
  { name: 'XREAD: XDEL and XTRIM', setup: [['XADD', 's', '3-0', 'f', 'v'], ['XADD', 's', '4-0', 'f', 'v']], block: XREAD, act: [['XDEL', 's', '4-0'], ['XTRIM', 's', 'MAXLEN', '0']] },
  // XREADGROUP > on a stream with group g
  { name: 'XREADGROUP: entry added', setup: withGroup, block: XREADGROUP, act: [['XADD', 's', '5-0', 'f', 'v']] },
  { name: 'XREADGROUP: stream deleted', setup: withGroup, block: XREADGROUP, act: [['DEL', 's']] },
  { name: 'XREADGROUP: UNLINK', setup: withGroup, block: XREADGROUP, act: [['UNLINK', 's']] },
  { name: 'XREADGROUP: the stream expires (active expiry, no command after it)', setup: withGroup, block: XREADGROUP, act: [['PEXPIRE', 's', '1'], ['WAIT-REPLY']] },
  { name: 'XREADGROUP: deleted and re-created in MULTI', setup: withGroup, block: XREADGROUP, act: [['MULTI'], ['DEL', 's'], ['XADD', 's', '5-0', 'f', 'v'], ['EXEC']] },
  { name: 'XREADGROUP: becomes a string (MULTI DEL + SET)', setup: withGroup, block: XREADGROUP, act: [['MULTI'], ['DEL', 's'], ['SET', 's', 'str'], ['EXEC']] },
  { name: 'XREADGROUP: SET over it', setup: withGroup, block: XREADGROUP, act: [['SET', 's', 'str']] },
  { name: 'XREADGROUP: FLUSHDB', setup: withGroup, block: XREADGROUP, act: [['FLUSHDB']] },
  { name: 'XREADGROUP: FLUSHALL', setup: withGroup, block: XREADGROUP, act: [['FLUSHALL']] },
  { name: 'XREADGROUP: FLUSHDB of another db', setup: withGroup, block: XREADGROUP, act: [['SELECT', '1'], ['FLUSHDB']] },
  { name: 'XREADGROUP: SWAPDB takes it away', setup: withGroup, block: XREADGROUP, act: [['SWAPDB', '0', '1']] },
  {
    name: 'XREADGROUP: SWAPDB brings one without the group',
    setup: [...withGroup, ['SELECT', '1'], ['XADD', 's', '7-0', 'f', 'v'], ['SELECT', '0']],
    block: XREADGROUP,
    act: [['SWAPDB', '0', '1']],
  },
  {
    name: 'XREADGROUP: SWAPDB brings one with the group and new entries',
    setup: [...withGroup, ['SELECT', '1'], ['XADD', 's', '7-0', 'f', 'v'], ['XGROUP', 'CREATE', 's', 'g', '0'], ['SELECT', '0']],
    block: XREADGROUP,
    act: [['SWAPDB', '0', '1']],
  },
  { name: 'XREADGROUP: renamed away', setup: withGroup, block: XREADGROUP, act: [['RENAME', 's', 'other']] },
  { name: 'XREADGROUP: renamed over by a stream without the group', setup: [...withGroup, ['XADD', 'src', '9-0', 'f', 'v']], block: XREADGROUP, act: [['RENAME', 'src', 's']] },
  {
    name: 'XREADGROUP: renamed over by a stream with the group',
    setup: [...withGroup, ['XADD', 'src', '9-0', 'f', 'v'], ['XGROUP', 'CREATE', 'src', 'g', '0']],
    block: XREADGROUP,
    act: [['RENAME', 'src', 's']],
  },
  { name: 'XREADGROUP: moved away', setup: withGroup, block: XREADGROUP, act: [['MOVE', 's', '1']] },
  { name: 'XREADGROUP: RESTORE REPLACE without the group', setup: [...withGroup, ['XADD', 'src', '9-0', 'f', 'v']], block: XREADGROUP, act: [['RESTORE-FROM', 'src', 's']] },
  { name: 'XREADGROUP: COPY REPLACE without the group', setup: [...withGroup, ['XADD', 'src', '9-0', 'f', 'v']], block: XREADGROUP, act: [['COPY', 'src', 's', 'REPLACE']] },
  { name: 'XREADGROUP: group destroyed', setup: withGroup, block: XREADGROUP, act: [['XGROUP', 'DESTROY', 's', 'g']] },
  { name: 'XREADGROUP: group destroyed and re-created', setup: withGroup, block: XREADGROUP, act: [['MULTI'], ['XGROUP', 'DESTROY', 's', 'g'], ['XGROUP', 'CREATE', 's', 'g', '0'], ['EXEC']] },
  { name: 'XREADGROUP: group SETID back', setup: withGroup, block: XREADGROUP, act: [['XGROUP', 'SETID', 's', 'g', '0']] },
  { name: 'XREADGROUP: group SETID back, then XADD', setup: withGroup, block: XREADGROUP, act: [['XGROUP', 'SETID', 's', 'g', '0'], ['XADD', 's', '2-0', 'f', 'v']] },
  {
    name: 'XREADGROUP: group SETID ahead, XADD below it, SETID back',
    setup: withGroup,
    block: XREADGROUP,
    act: [['XGROUP', 'SETID', 's', 'g', '10-0'], ['XADD', 's', '2-0', 'f', 'v'], ['XGROUP', 'SETID', 's', 'g', '0']],
  },
  { name: 'XREADGROUP: XSETID, consumer created, another group', setup: withGroup, block: XREADGROUP, act: [['XSETID', 's', '10-0'], ['XGROUP', 'CREATECONSUMER', 's', 'g', 'x'], ['XGROUP', 'CREATE', 's', 'h', '0']] },
  {
    name: 'XREADGROUP on two streams: the second one deleted',
    setup: [...withGroup, ['XADD', 't', '1-0', 'f', 'v'], ['XGROUP', 'CREATE', 't', 'g', '$']],
    block: ['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', 't', '>', '>'],
    act: [['DEL', 't']],
  },
  {
    name: 'XREADGROUP on two streams: both flushed',
    setup: [...withGroup, ['XADD', 't', '1-0', 'f', 'v'], ['XGROUP', 'CREATE', 't', 'g', '$']],
    block: ['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '0', 'STREAMS', 's', 't', '>', '>'],
    act: [['FLUSHDB']],
  },
  { name: 'XREADGROUP: entry deleted', setup: withGroup, block: XREADGROUP, act: [['XDEL', 's', '1-0']] },
  { name: 'XREADGROUP: trimmed to nothing', setup: withGroup, block: XREADGROUP, act: [['XTRIM', 's', 'MAXLEN', '0']] },
].map((c) => ({ ...c, after: STREAM_AFTER }));

describe.skipIf(skipReason('blocking wake-up differential tests', 'redis-server'))('blocked clients wake as in redis-server', () => {
  const servers = diffServers();

  for (const group of [
    { name: 'lists', cases: LIST_CASES },
    { name: 'sorted sets', cases: ZSET_CASES },
    { name: 'streams', cases: STREAM_CASES },
    { name: 'several keys', cases: MULTI_KEY_CASES },
  ]) {
    it(`${group.name}: ${group.cases.length} cases`, { timeout: 600_000 }, async () => {
      // Every case runs; the failures are reported together (Lodestone's transcript, then Redis's).
      const failures: string[] = [];
      for (const c of group.cases) {
        for (const db of servers.ls.server.dbs) db.clear();
        const [a, b] = await Promise.all([run(servers.ls.port, c), run(servers.rs.port, c)]);
        if (a.join('\n') !== b.join('\n')) failures.push(`${c.name}\n  lodestone:\n    ${a.join('\n    ')}\n  redis:\n    ${b.join('\n    ')}`);
      }
      expect(failures.join('\n\n')).toBe('');
    });
  }
});
