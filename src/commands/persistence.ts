// Persistence commands: SAVE, BGSAVE [SCHEDULE], BGREWRITEAOF — Redis 7.0's replies and error texts.
// (LASTSAVE lives with the server commands.) The work itself is src/persistence/persistence.ts;
// these specs only parse arguments and translate its results into replies.

import { ERR_SYNTAX, OK, Status } from '../protocol/reply.js';
import type { CommandSpec } from './table.js';

export const persistenceCommands: CommandSpec[] = [
  {
    name: 'save',
    arity: 1,
    flags: ['admin', 'noscript', 'no_multi'],
    keys: [0, 0, 0],
    group: 'server dangerous',
    summary: 'Synchronously save the dataset to disk',
    since: '1.0.0',
    complexity: 'O(N) where N is the total number of keys in all databases',
    handler: (ctx) => ctx.server.persistence.save() ?? OK,
  },
  {
    name: 'bgsave',
    arity: -1,
    flags: ['admin', 'noscript'],
    keys: [0, 0, 0],
    group: 'server dangerous',
    summary: 'Asynchronously save the dataset to disk',
    since: '1.0.0',
    complexity: 'O(1)',
    syntax: '[SCHEDULE]',
    handler: (ctx, args) => {
      if (args.length > 2 || (args.length === 2 && args[1].toLowerCase() !== 'schedule')) return ERR_SYNTAX;
      const r = ctx.server.persistence.requestBgsave(args.length === 2);
      return typeof r === 'string' ? new Status(r) : r;
    },
  },
  {
    name: 'bgrewriteaof',
    arity: 1,
    flags: ['admin', 'noscript'],
    keys: [0, 0, 0],
    group: 'server dangerous',
    summary: 'Asynchronously rewrite the append-only file',
    since: '1.0.0',
    complexity: 'O(1)',
    handler: (ctx) => {
      const r = ctx.server.persistence.requestRewrite();
      return typeof r === 'string' ? new Status(r) : r;
    },
  },
];
