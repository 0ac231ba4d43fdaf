// Replaying a command file into the keyspace at startup: the AOF, or a snapshot's body.
//
// Each record runs through the same command table and handlers as a client's command (resolve +
// call), from a client without a socket, so replay cannot drift from live behaviour. While loading,
// keys are not expired lazily (Database.loading, like Redis's `server.loading` check in
// expireIfNeeded): a `SET k v PXAT <past>` followed by `INCR k` must replay to what happened then,
// not to what the clock says now; the active expiry cycle removes what is due once the server runs.
//
// MULTI … EXEC groups (transactions and WASM.CALL effects) are held until their EXEC and then run as
// a unit; a group still open at the end of the file was cut short by a crash, and is dropped with
// the torn tail — so a transaction is either wholly in the dataset or not at all.

import { readRecords, CorruptFileError } from './records.js';
import { resolve } from '../server/dispatch.js';
import { arityOk, Command } from '../commands/table.js';
import { Client } from '../server/client.js';
import { ReplyError } from '../protocol/reply.js';
import { bigArgsAllowed } from '../keyspace/bigstring.js';
import type { Server } from '../server/server.js';

export interface LoadResult {
  /** Commands applied (MULTI/EXEC markers not counted). */
  commands: number;
  /** Offset just past the last record that was applied (a torn tail starts here). */
  goodBytes: number;
  fileBytes: number;
  /** The file ended inside a record or inside a MULTI group. */
  truncated: boolean;
}

/**
 * Apply every complete record of `path`. `skip(args)` lets the caller pass over format records
 * (the snapshot header and trailer). Throws CorruptFileError for bytes that are not records and for
 * records that are not commands.
 */
export function replayFile(server: Server, path: string, skip?: (args: string[]) => boolean): LoadResult {
  const client = new Client(server, null, 0);
  client.authenticated = true;
  let commands = 0;
  let group: { cmd: Command; args: string[]; big: Map<string, Buffer> | null }[] | null = null;
  let groupStart = 0;
  let lastEnd = 0;
  for (const db of server.dbs) db.loading = true;
  try {
    const r = readRecords(path, (args, end, big) => {
      const start = lastEnd;
      lastEnd = end;
      if (skip?.(args)) return;
      const name = args[0].toLowerCase();
      if (name === 'multi') {
        if (group) throw new CorruptFileError(path, start, 'MULTI inside MULTI');
        group = [];
        groupStart = start;
        return;
      }
      if (name === 'exec') {
        if (!group) throw new CorruptFileError(path, start, 'EXEC without MULTI');
        for (const q of group) apply(server, client, q.cmd, q.args, q.big);
        commands += group.length;
        group = null;
        return;
      }
      const cmd = resolve(server, args);
      if (cmd instanceof ReplyError) throw new CorruptFileError(path, start, `${cmd.message.split(',')[0]} in the file`);
      if (!arityOk(cmd.spec.arity, args.length)) throw new CorruptFileError(path, start, `wrong number of arguments for '${cmd.fullName}'`);
      if (big && !bigArgsAllowed(cmd.fullName, args, big, false)) {
        throw new CorruptFileError(path, start, `an argument of '${cmd.fullName}' too long for a string`);
      }
      if (group) group.push({ cmd, args, big });
      else {
        apply(server, client, cmd, args, big);
        commands++;
      }
    });
    const openGroup = group !== null;
    const goodBytes = openGroup ? groupStart : r.goodBytes;
    return { commands, goodBytes, fileBytes: r.fileBytes, truncated: r.truncated || openGroup };
  } finally {
    for (const db of server.dbs) db.loading = false;
  }
}

function apply(server: Server, client: Client, cmd: Command, args: string[], big: Map<string, Buffer> | null): void {
  // The handler itself, as Redis's loader calls cmd->proc: no command stats, slow log or MONITOR
  // for loading. Replies are discarded: an error here (say WRONGTYPE) is what the command answered
  // when it first ran, and it changed nothing then either.
  // Arguments too long for a string reach the handler as Client.bigArgs, as from a socket.
  client.bigArgs = big;
  try {
    cmd.spec.handler!({ server, client, db: server.dbs[client.db] }, args);
  } catch (err) {
    if (!(err instanceof ReplyError)) throw err;
  } finally {
    client.bigArgs = null;
  }
}
