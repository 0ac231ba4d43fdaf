// `client-output-buffer-limit`: Redis's per-class limits on a client's unsent output, in Redis's own
// syntax — `<class> <hard> <soft> <soft-seconds>` groups, classes normal / replica (alias slave) /
// pubsub, sizes in bytes or with units (64mb, 1gb). Setting it changes only the classes named, as
// in Redis; CONFIG GET always shows all three, with Redis's class names and plain byte counts.
//
// The value is stored in Config as that canonical string (so CONFIG GET, config.toml and the CLI need
// nothing special); the server keeps a parsed copy (Server.outputLimits) for the check in
// Client.flush, which must not parse anything.

import { parseMemory } from './schema.js';

export interface OutputLimit {
  /** Close at once when the output reaches this many bytes (0 = no hard limit). */
  hard: number;
  /** Close when the output stays at or above this for more than softSeconds (0 = no soft limit). */
  soft: number;
  softSeconds: number;
}

export interface OutputLimits {
  normal: OutputLimit;
  replica: OutputLimit;
  pubsub: OutputLimit;
}

/** Redis 7's default (redis.conf): normal clients unlimited. */
export const DEFAULT_OUTPUT_LIMITS = 'normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60';

const CLASS_BY_NAME: Record<string, keyof OutputLimits> = { normal: 'normal', slave: 'replica', replica: 'replica', pubsub: 'pubsub' };

/** Parse a canonical (or any valid full) value into limits. */
export function outputLimitsOf(value: string): OutputLimits {
  const t = value.split(/\s+/).filter(Boolean);
  const out: Partial<OutputLimits> = {};
  for (let i = 0; i + 3 < t.length; i += 4) {
    out[CLASS_BY_NAME[t[i].toLowerCase()]] = { hard: Number(t[i + 1]), soft: Number(t[i + 2]), softSeconds: Number(t[i + 3]) };
  }
  const none = { hard: 0, soft: 0, softSeconds: 0 };
  return { normal: out.normal ?? none, replica: out.replica ?? none, pubsub: out.pubsub ?? none };
}

function format(l: OutputLimits): string {
  const g = (name: string, x: OutputLimit) => `${name} ${x.hard} ${x.soft} ${x.softSeconds}`;
  return `${g('normal', l.normal)} ${g('slave', l.replica)} ${g('pubsub', l.pubsub)}`;
}

/**
 * Apply `raw` (any number of class groups) over `current`; returns the new canonical value. Throws
 * with Redis 7's messages (setConfigClientOutputBufferLimitOption): the whole value is checked
 * before any class changes, and an empty value changes nothing.
 */
export function parseOutputLimits(raw: string, current: string): string {
  const t = raw.split(/\s+/).filter(Boolean);
  if (t.length % 4 !== 0) throw new Error('Wrong number of arguments in buffer limit configuration.');
  const limits = outputLimitsOf(current);
  const updates: [keyof OutputLimits, OutputLimit][] = [];
  for (let i = 0; i < t.length; i += 4) {
    const cls = CLASS_BY_NAME[t[i].toLowerCase()];
    // Redis knows a `master` class too but refuses it here.
    if (!cls) throw new Error('Invalid client class specified in buffer limit configuration.');
    const hard = parseMemory(t[i + 1]);
    const soft = parseMemory(t[i + 2]);
    const secs = /^-?\d+$/.test(t[i + 3]) ? Number(t[i + 3]) : -1;
    if (hard === null || hard < 0 || soft === null || soft < 0 || secs < 0) {
      throw new Error('Error in hard, soft or soft_seconds setting in buffer limit configuration.');
    }
    updates.push([cls, { hard, soft, softSeconds: secs }]);
  }
  for (const [cls, l] of updates) limits[cls] = l;
  return format(limits);
}
