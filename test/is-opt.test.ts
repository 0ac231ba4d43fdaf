// isOpt (src/commands/util.ts), the option matcher every command's argument parsing uses, gives
// toUpperCase()'s answer for latin1 arguments without allocating: every option word with each of
// its characters replaced by each of the 256 latin1 characters, against the toUpperCase() compare.
import { describe, expect, it } from 'vitest';
import { isOpt } from '../src/commands/util.js';

const reference = (arg: string, opt: string): boolean => arg.length === opt.length && arg.toUpperCase() === opt;

describe('isOpt', () => {
  it('matches toUpperCase() on every one-character change of an option', () => {
    for (const opt of ['KEYS', 'ARGS', 'NX', 'WITHSCORES', 'ID', 'X', 'REPLACE', 'FILTER-BY']) {
      expect(isOpt(opt, opt)).toBe(true);
      expect(isOpt(opt.toLowerCase(), opt)).toBe(true);
      for (let i = 0; i < opt.length; i++) {
        for (let c = 0; c < 256; c++) {
          const arg = opt.slice(0, i) + String.fromCharCode(c) + opt.slice(i + 1);
          expect(isOpt(arg, opt), `${JSON.stringify(arg)} vs ${opt}`).toBe(reference(arg, opt));
        }
      }
      expect(isOpt(opt + 'S', opt)).toBe(false);
      expect(isOpt(opt.slice(1), opt)).toBe(false);
    }
  });
});
