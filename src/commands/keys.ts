// keys commands — to be filled in (see src/commands/table.ts for the spec format).
import type { CommandSpec } from './table.js';

export const keysCommands: CommandSpec[] = [];
