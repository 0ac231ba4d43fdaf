// The dispatcher's precomputed command data (issue 11) must say exactly what the command table's
// strings say: the flag booleans match spec.flags, the shared key-position arrays match the
// positions computed from the key spec for every argument count, and lookups of any spelling
// find the same command.

import { describe, expect, it } from 'vitest';
import { CommandTable, keyIndexes, Command } from '../src/commands/table.js';
import { allCommands } from '../src/commands/index.js';

const table = new CommandTable();
table.register(allCommands());
const all: Command[] = [...table.all()];

/** Key positions from the key spec, the slow way. */
function positions(cmd: Command, args: string[]): number[] {
  const [first, last, step] = cmd.spec.keys;
  if (first === 0) return [];
  const end = last < 0 ? args.length + last : last;
  const out: number[] = [];
  for (let i = first; i <= end && i < args.length; i += step || 1) out.push(i);
  return out;
}

describe('precomputed command data', () => {
  it('flag booleans match spec.flags', () => {
    expect(all.length).toBeGreaterThan(200);
    for (const c of all) {
      const f = c.spec.flags;
      expect([c.fullName, c.noAuth, c.noMulti, c.isFast, c.denyOom, c.skipMonitor, c.skipSlowlog]).toEqual([
        c.fullName, f.includes('no_auth'), f.includes('no_multi'), f.includes('fast'), f.includes('denyoom'),
        f.includes('skip_monitor'), f.includes('skip_slowlog'),
      ]);
    }
  });

  it('keyIndexes gives the key spec positions for argument counts 1..12, sharing frozen arrays', () => {
    let shared = 0;
    for (const c of all) {
      if (c.spec.getKeys) continue;
      for (let n = 1; n <= 12; n++) {
        const args = Array.from({ length: n }, (_, i) => `a${i}`);
        const got = keyIndexes(c, args);
        expect([c.fullName, n, [...got]]).toEqual([c.fullName, n, positions(c, args)]);
        if (got === c.fixedKeys) {
          shared++;
          expect(Object.isFrozen(got)).toBe(true);
        }
      }
    }
    expect(shared).toBeGreaterThan(100);
    expect(keyIndexes(table.lookup('set')!, ['SET', 'k', 'v'])).toBe(keyIndexes(table.lookup('set')!, ['SET', 'j', 'w']));
  });

  it('lookup finds a command in any spelling, repeatedly', () => {
    const set = table.lookup('set');
    expect(set).toBeDefined();
    for (const name of ['SET', 'Set', 'sEt', 'SET', 'set']) expect(table.lookup(name)).toBe(set);
    expect(table.lookup('NOSUCHCOMMAND')).toBeUndefined();
    expect(table.lookup('NOSUCHCOMMAND')).toBeUndefined();
  });
});
