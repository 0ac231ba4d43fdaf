// readLatin1 / writeLatin1 (src/protocol/latin1.ts) against Node's own latin1 codec: every length
// across the JS/C++ cut-overs, every byte value (0x80-0xff included: keys are binary-safe), and
// offsets inside a larger buffer.
import { describe, expect, it } from 'vitest';
import { readLatin1, writeLatin1 } from '../src/protocol/latin1.js';

describe('latin1', () => {
  it('readLatin1 makes the string latin1Slice makes, for every length and byte value', () => {
    const buf = Buffer.alloc(300);
    for (let i = 0; i < buf.length; i++) buf[i] = (i * 167 + 13) & 0xff;
    for (let len = 0; len <= 80; len++) {
      for (const at of [0, 1, 7, 200]) {
        const got = readLatin1(buf, at, at + len);
        expect(got).toBe(buf.latin1Slice(at, at + len));
        expect(got.length).toBe(len);
      }
    }
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    for (let p = 0; p + 16 <= 256; p++) expect(readLatin1(all, p, p + 16)).toBe(all.latin1Slice(p, p + 16));
  });

  it('writeLatin1 writes the low byte of each char, short and long', () => {
    for (const len of [0, 1, 5, 16, 63, 64, 65, 200]) {
      const s = Array.from({ length: len }, (_, i) => String.fromCharCode((i * 31 + 7) & 0xff)).join('');
      const b = Buffer.alloc(len + 4, 0xaa);
      writeLatin1(b, 2, s, len);
      expect(b.latin1Slice(2, 2 + len)).toBe(s);
      expect(b[0]).toBe(0xaa);
      expect(b[len + 2]).toBe(0xaa);
    }
  });
});
