// Every command family's specs, collected for the command table (src/commands/table.ts).
// One module per family; each exports an array of CommandSpec.

import type { CommandSpec } from './table.js';
import { connectionCommands } from './connection.js';
import { stringsCommands } from './strings.js';
import { bitmapsCommands } from './bitmaps.js';
import { keysCommands } from './keys.js';
import { hashesCommands } from './hashes.js';
import { setsCommands } from './sets.js';
import { listsCommands } from './lists.js';
import { zsetsCommands } from './zsets.js';
import { streamsCommands } from './streams.js';
import { transactionsCommands } from './transactions.js';
import { pubsubCommands } from './pubsub.js';
import { serverCommands } from './server.js';
import { wasmCommands } from './wasm.js';
import { persistenceCommands } from './persistence.js';
import { scriptingCommands } from './scripting.js';
import { aclCommands } from './acl.js';
import { hyperloglogCommands } from './hyperloglog.js';
import { sortCommands } from './sort.js';
import { latencyCommands } from './latency.js';
import { dumpCommands } from './dump.js';
import { geoCommands } from './geo.js';
import { replicationCommands } from '../replication/commands.js';
import { clusterCommands } from './cluster.js';

export function allCommands(): CommandSpec[] {
  return [
    ...connectionCommands,
    ...stringsCommands,
    ...bitmapsCommands,
    ...keysCommands,
    ...hashesCommands,
    ...setsCommands,
    ...listsCommands,
    ...zsetsCommands,
    ...streamsCommands,
    ...transactionsCommands,
    ...pubsubCommands,
    ...serverCommands,
    ...persistenceCommands,
    ...wasmCommands,
    ...scriptingCommands,
    ...aclCommands,
    ...hyperloglogCommands,
    ...sortCommands,
    ...latencyCommands,
    ...dumpCommands,
    ...geoCommands,
    ...replicationCommands,
    ...clusterCommands,
  ];
}
