// Every command family's specs, collected for the command table (src/commands/table.ts).

import type { CommandSpec } from './table.js';
import { connectionCommands } from './connection.js';

export function allCommands(): CommandSpec[] {
  return [...connectionCommands];
}
