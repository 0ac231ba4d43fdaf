// Loading the RDB of a full resynchronization on a replica, with the shared RDB v10 loader
// (persistence/rdb/file.ts; the master side writes it with RdbSnapshot, replication.ts): what a
// Lodestone replica reads from a real redis-server or Lodestone master. Keys already past their
// TTL are kept (a replica waits for its master's DEL, as Redis does), function libraries and WASM
// modules replace ours (the file is the master's whole state; a Lodestone master's file carries
// its WASM modules as lodestone-wasm aux fields, so a promoted replica can run every function its
// old master had).

import { loadRdb } from '../persistence/rdb/file.js';
import { hasScripting } from '../scripting/eval.js';
import type { Server } from '../server/server.js';

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
