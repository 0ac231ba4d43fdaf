// maxclients against the process's open-file limit, as Redis's adjustOpenFilesLimit: every client
// is a file descriptor, and Redis keeps CONFIG_MIN_RESERVED_FDS (32) for itself (the AOF, snapshot
// and module files, the listening sockets). Without this, maxclients 10000 under `ulimit -n 1024`
// let accept(2) fail with EMFILE, and libuv then closes the pending connection without a word: the
// client saw a silent close instead of "-ERR max number of clients reached".
//
// Redis first raises RLIMIT_NOFILE towards maxclients + 32. Node.js has no setrlimit, but it raises
// the soft limit to the hard limit itself at startup (node.cc PlatformInit), so the soft limit read
// here is already the most this process can get; past it maxclients is lowered with Redis's log lines,
// and at 32 or less the server refuses to start, as Redis does (in practice Node.js itself cannot
// load its modules under so low a limit). CONFIG SET maxclients above the limit
// answers Redis's "The operating system is not able to handle the specified number of clients".

import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import type { Config } from '../config/config.js';
import type { Logger } from 'pino';
import type { Server } from './server.js';

/** Redis's CONFIG_MIN_RESERVED_FDS. */
export const MIN_RESERVED_FDS = 32;

/** Startup cannot go on (Redis exits with the same text). */
export class OpenFilesLimitFatal extends Error {}

/** The soft and hard RLIMIT_NOFILE of this process (Infinity = unlimited), or null if unknown. */
export function readOpenFilesLimit(): { soft: number; hard: number } | null {
  const num = (s: string) => (s === 'unlimited' ? Infinity : Number(s));
  try {
    const m = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync('/proc/self/limits', 'latin1'));
    if (m) return { soft: num(m[1]), hard: num(m[2]) };
  } catch {
    // not Linux: ask the shell, which inherits this process's limits
  }
  const soft = spawnSync('sh', ['-c', 'ulimit -Sn'], { encoding: 'latin1' });
  const hard = spawnSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'latin1' });
  const s = num(String(soft.stdout ?? '').trim());
  const h = num(String(hard.stdout ?? '').trim());
  return Number.isFinite(s) || s === Infinity ? { soft: s, hard: Number.isNaN(h) ? s : h } : null;
}

/** The three warnings Redis logs when the limit is lower than maxclients needs. */
function logLowered(log: Logger, requested: number, limit: { soft: number; hard: number }): void {
  const maxfiles = requested + MIN_RESERVED_FDS;
  log.warn(`You requested maxclients of ${requested} requiring at least ${maxfiles} max file descriptors.`);
  const why =
    maxfiles > limit.hard
      ? 'Operation not permitted'
      : `Node.js cannot call setrlimit (raise the soft limit with 'ulimit -n' before starting)`;
  log.warn(`Server can't set maximum open files to ${maxfiles} because of OS error: ${why}.`);
  log.warn(
    `Current maximum open files is ${limit.soft}. maxclients has been reduced to ${limit.soft - MIN_RESERVED_FDS} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.`,
  );
}

/**
 * At startup: lower maxclients to the open-file limit minus the reserve. Returns the limit (0 when
 * unknown or unlimited). Throws OpenFilesLimitFatal when the limit leaves no room for any client.
 */
export function adjustOpenFilesLimit(config: Config, log: Logger, limit = readOpenFilesLimit()): number {
  const requested = config.getInt('maxclients');
  if (!limit) {
    log.warn('Unable to obtain the current NOFILE limit, assuming 1024 and setting the max clients configuration accordingly.');
    config.set('maxclients', 1024 - MIN_RESERVED_FDS);
    return 1024;
  }
  if (limit.soft === Infinity) return 0;
  const maxfiles = requested + MIN_RESERVED_FDS;
  if (limit.soft >= maxfiles) return limit.soft;
  if (limit.soft <= MIN_RESERVED_FDS) {
    throw new OpenFilesLimitFatal(
      `Your current 'ulimit -n' of ${limit.soft} is not enough for the server to start. Please increase your open file limit to at least ${maxfiles}. Exiting.`,
    );
  }
  logLowered(log, requested, limit);
  config.set('maxclients', limit.soft - MIN_RESERVED_FDS);
  return limit.soft;
}

/** CONFIG SET maxclients: Redis's error when the open-file limit cannot hold that many; null = fine. */
export function checkMaxclients(server: Server, n: number): string | null {
  const limit = server.openFilesLimit;
  if (limit === 0 || n + MIN_RESERVED_FDS <= limit) return null;
  logLowered(server.log, n, { soft: limit, hard: limit });
  server.log.warn('Failed applying new configuration. Possibly related to new maxclients setting. Restoring previous settings.');
  return `The operating system is not able to handle the specified number of clients, try with ${limit - MIN_RESERVED_FDS}`;
}
