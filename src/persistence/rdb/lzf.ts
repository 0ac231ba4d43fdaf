// LZF, the compression of RDB strings (Redis's lzf_c.c / lzf_d.c, liblzf 3.6 as Redis builds it:
// HLOG 16, VERY_FAST, table not initialised — here zeroed, which only ever finds fewer stale
// matches). The compressor is a faithful port: for the same input it produces Redis's bytes except
// where Redis's uninitialised table (stale stack contents) happened to offer extra matches.
//
// Format: 000LLLLL + L+1 literal bytes | LLLooooo oooooooo (back reference of L+2 bytes at offset
// o+1) | 111ooooo LLLLLLLL oooooooo (L+9 bytes). The decompressor checks every bound: a hostile
// stream fails with null instead of reading or writing outside its buffers, and the caller fixes
// the output size in advance, so memory is bounded by what the caller agreed to allocate.

const HLOG = 16;
const HSIZE = 1 << HLOG;
const MAX_LIT = 1 << 5;
const MAX_OFF = 1 << 13;
const MAX_REF = (1 << 8) + (1 << 3);

/** Largest expansion a valid LZF stream can have: a 3-byte back reference yields 264 bytes. */
export const LZF_MAX_RATIO = 88;

let htab: Int32Array | null = null;

/**
 * Compress `input` into at most `outLen` bytes (Redis asks for len - 4). Returns the compressed
 * bytes, or null when they would not fit (incompressible data).
 */
export function lzfCompress(input: Uint8Array, outLen: number): Buffer | null {
  const inLen = input.length;
  if (inLen === 0 || outLen <= 0) return null;
  const tab = (htab ??= new Int32Array(HSIZE));
  tab.fill(0); // positions + 1; 0 = empty (Redis's `ref > in_data` excludes position 0 anyway)
  const out = Buffer.allocUnsafe(outLen + 1);
  const outEnd = outLen;
  let ip = 0;
  let op = 0;
  let lit = 0;
  op++; // start run
  let hval = ((input[0] << 8) | input[1]) >>> 0;
  while (ip < inLen - 2) {
    hval = ((hval << 8) | input[ip + 2]) >>> 0;
    const slot = ((hval >>> (24 - HLOG)) - Math.imul(hval, 5)) & (HSIZE - 1);
    const ref = tab[slot] - 1;
    tab[slot] = ip + 1;
    let off: number;
    if (
      ref > 0 &&
      (off = ip - ref - 1) < MAX_OFF &&
      off >= 0 &&
      ip + 4 < inLen &&
      input[ref] === input[ip] &&
      input[ref + 1] === input[ip + 1] &&
      input[ref + 2] === input[ip + 2]
    ) {
      let len = 2;
      let maxlen = inLen - ip - len;
      if (maxlen > MAX_REF) maxlen = MAX_REF;
      out[op - lit - 1] = lit - 1; // stop run
      if (lit === 0) op--; // undo run if length is zero
      if (op + 3 + 1 >= outEnd) return null;
      // lzf_c.c's loop, unrolled part included: it can run past maxlen by design (see its source).
      let mismatch = false;
      if (maxlen > 16) {
        for (let k = 0; k < 16; k++) {
          len++;
          if (input[ref + len] !== input[ip + len]) {
            mismatch = true;
            break;
          }
        }
      }
      if (!mismatch) {
        do len++;
        while (len < maxlen && input[ref + len] === input[ip + len]);
      }
      len -= 2; // len is now #octets - 1
      ip++;
      if (len < 7) {
        out[op++] = (off >> 8) + (len << 5);
      } else {
        out[op++] = (off >> 8) + (7 << 5);
        out[op++] = len - 7;
      }
      out[op++] = off & 0xff;
      lit = 0;
      op++; // start run
      ip += len + 1;
      if (ip >= inLen - 2) break;
      // VERY_FAST: hash the two positions before ip again.
      ip -= 2;
      hval = ((input[ip] << 8) | input[ip + 1]) >>> 0;
      hval = ((hval << 8) | input[ip + 2]) >>> 0;
      tab[((hval >>> (24 - HLOG)) - Math.imul(hval, 5)) & (HSIZE - 1)] = ip + 1;
      ip++;
      hval = ((hval << 8) | input[ip + 2]) >>> 0;
      tab[((hval >>> (24 - HLOG)) - Math.imul(hval, 5)) & (HSIZE - 1)] = ip + 1;
      ip++;
    } else {
      if (op >= outEnd) return null;
      lit++;
      out[op++] = input[ip++];
      if (lit === MAX_LIT) {
        out[op - lit - 1] = lit - 1;
        lit = 0;
        op++;
      }
    }
  }
  if (op + 3 > outEnd) return null;
  while (ip < inLen) {
    lit++;
    out[op++] = input[ip++];
    if (lit === MAX_LIT) {
      out[op - lit - 1] = lit - 1;
      lit = 0;
      op++;
    }
  }
  out[op - lit - 1] = lit - 1; // end run
  if (lit === 0) op--;
  return out.subarray(0, op);
}

/**
 * Decompress `input[start, end)` into exactly `outLen` bytes. Returns null for a malformed stream
 * or one whose output is not exactly outLen bytes (Redis: "Invalid LZF compressed string").
 */
export function lzfDecompress(input: Uint8Array, start: number, end: number, outLen: number): Buffer | null {
  const out = Buffer.allocUnsafe(outLen);
  let ip = start;
  let op = 0;
  while (ip < end) {
    let ctrl = input[ip++];
    if (ctrl < 1 << 5) {
      ctrl++;
      if (op + ctrl > outLen || ip + ctrl > end) return null;
      for (let k = 0; k < ctrl; k++) out[op++] = input[ip++];
    } else {
      let len = ctrl >> 5;
      let ref = op - ((ctrl & 0x1f) << 8) - 1;
      if (ip >= end) return null;
      if (len === 7) {
        len += input[ip++];
        if (ip >= end) return null;
      }
      ref -= input[ip++];
      if (op + len + 2 > outLen || ref < 0) return null;
      len += 2;
      for (let k = 0; k < len; k++) out[op++] = out[ref++];
    }
  }
  return op === outLen ? out : null;
}
