// Unit tests for the HyperLogLog core (src/keyspace/hll.ts) that need no server: MurmurHash64A
// against values computed by Redis's own MurmurHash64A (hyperloglog.c, compiled as-is with seed
// 0xadc83b19 on x86-64), the header constants and an empty HLL's bytes. The byte-exact behaviour of
// the commands is checked against a real redis-server in test/diff/hll.test.ts.
import { describe, expect, it } from 'vitest';
import { Hll, HLL_DENSE_SIZE, hashHigh, hashLow, hllCount, murmur64a, murmur64aU64, patOf } from '../src/keyspace/hll.js';

describe('MurmurHash64A (seed 0xadc83b19)', () => {
  // [input, hash] from Redis's MurmurHash64A(key, len, 0xadc83b19).
  const known: [string, string][] = [
    ['', '15627466953755236146'],
    ['a', '6039968161137406375'],
    ['ab', '1058018765904626383'],
    ['abc', '8641440865026630914'],
    ['abcdefg', '2521559750367024642'],
    ['abcdefgh', '17556823505701520743'],
    ['abcdefghi', '9461986184442075895'],
    ['hello world, this is murmur', '7688349303232094243'],
    ['\xff\xfe\x80\x00\x01\x7f\xff\xff\xff\xff', '11584023796651097030'],
  ];
  for (const [s, h] of known) {
    it(`hashes ${JSON.stringify(s)} (${s.length} bytes)`, () => {
      expect(murmur64a(s).toString()).toBe(h);
    });
  }
  it('hashes a little-endian uint64 like the 8 bytes of its value (PFSELFTEST elements)', () => {
    murmur64aU64(0x01234567, 0x89abcdef);
    expect(((BigInt(hashHigh()) << 32n) | BigInt(hashLow())).toString()).toBe('11739669899925215955');
    expect(murmur64a('\xef\xcd\xab\x89\x67\x45\x23\x01').toString()).toBe('11739669899925215955');
  });
});

describe('hllPatLen', () => {
  it('takes the register from the low 14 bits and the count from the zero run above them', () => {
    // redis-server: PFADD t a; PFDEBUG DECODE t → "Z:12711 v:2,1 Z:3672".
    expect(patOf('a')).toBe((2 << 14) | 12711);
    expect(patOf('abc')).toBe((1 << 14) | 9474);
    expect(patOf('hello world, this is murmur')).toBe((1 << 14) | 8227);
  });
});

describe('HLL layout', () => {
  it('an empty HLL is the 16-byte header and one XZERO:16384 opcode, counting 0', () => {
    const o = Hll.create();
    expect(o.bytes().toString('latin1')).toBe('HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff');
    expect(hllCount(o.buf, o.len)).toBe(0);
    expect(HLL_DENSE_SIZE).toBe(12304);
  });
});
