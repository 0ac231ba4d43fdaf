// The RDB file a full resynchronization transfers, on top of the shared RDB v10 writer and loader
// (persistence/rdb/file.ts): what a real redis-server replica loads from a Lodestone master and
// what a Lodestone replica reads from a real redis-server master. Replication adds the aux fields
// repl-stream-db (the db the stream has selected at the file's point, so a chained replica starts
// in the right db), repl-id and repl-offset, keeps keys already past their TTL (a replica waits for
// its master's DEL, as Redis does), replaces same-named function libraries and WASM modules (the
// file is the master's whole state), and carries the master's WASM modules (lodestone-wasm aux
// fields), so a promoted replica can run every function its old master had.

import { loadRdb, rdbBuffer } from '../persistence/rdb/file.js';
import { hasScripting } from '../scripting/eval.js';
import type { Server } from '../server/server.js';

export interface ReplInfo {
  replid: string;
  offset: number;
  streamDb: number;
}

/** The dataset as an RDB file, now (synchronously: consistent at this point of the stream). */
export function snapshotRdb(server: Server, info: ReplInfo): Buffer {
  return rdbBuffer(server, { repl: { replId: info.replid, replOffset: info.offset, streamDb: info.streamDb } });
}

/**
 * Load the master's RDB into the (already emptied) databases, after dropping our function
 * libraries (the file holds the master's). Returns the aux fields. Throws RdbLoadError.
 */
export function loadRdbBuffer(server: Server, buf: Buffer): Map<string, string> {
  hasScripting(server)?.functions.flush();
  const r = loadRdb(server, buf, {
    keepExpired: true,
    wasm: 'replace',
    replaceFunctions: true,
    maxStringBytes: server.config.getInt('proto-max-bulk-len'),
  });
  return r.aux;
}
