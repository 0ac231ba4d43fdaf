// Latin1 strings to and from Buffers, short ones in JS. Every argument the server reads becomes a
// latin1 string (one char per byte) and every short reply is copied back out of one; the Buffer
// methods for both (latin1Slice, latin1Write) are C++ calls that cost ~120-150 ns whatever the
// length, several times what a short key or value costs done in JS. One place for both directions,
// used by the request parser, the encoder and the WASM host functions.

/** Up to this many bytes are copied by the JS loop in writeLatin1 (longer: latin1Write). */
const SHORT_WRITE = 64;

/**
 * Write the first n chars of a latin1 string at b[at] (room checked by the caller): short strings
 * by a JS loop, long ones by latin1Write. Both keep the low byte of a wider char.
 */
export function writeLatin1(b: Buffer, at: number, s: string, n: number): void {
  if (n > SHORT_WRITE) b.latin1Write(s, at, n);
  else for (let i = 0; i < n; i++) b[at + i] = s.charCodeAt(i) & 0xff;
}

const f = String.fromCharCode;

/**
 * b[p, e) as a latin1 string, the same string latin1Slice makes (a flat one-byte string). Up to 16
 * bytes by String.fromCharCode with the bytes as arguments: a V8 builtin that needs no call into
 * C++ (~35-50 ns instead of ~130 ns, measured on Node 20). A loop of += would build the same text,
 * but from 13 chars on as a rope V8 flattens again when the string is hashed; each length has its
 * own call so every string is made in one step.
 */
export function readLatin1(b: Buffer, p: number, e: number): string {
  switch (e - p) {
    case 0:
      return '';
    case 1:
      return f(b[p]);
    case 2:
      return f(b[p], b[p + 1]);
    case 3:
      return f(b[p], b[p + 1], b[p + 2]);
    case 4:
      return f(b[p], b[p + 1], b[p + 2], b[p + 3]);
    case 5:
      return f(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4]);
    case 6:
      return f(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5]);
    case 7:
      return f(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6]);
    case 8:
      return f(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6], b[p + 7]);
    case 9:
      return f(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6], b[p + 7], b[p + 8]);
    case 10:
      return f(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6], b[p + 7], b[p + 8], b[p + 9]);
    case 11:
      return f(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6], b[p + 7], b[p + 8], b[p + 9], b[p + 10]);
    case 12:
      return f(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6], b[p + 7], b[p + 8], b[p + 9], b[p + 10], b[p + 11]);
    case 13:
      return f(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6], b[p + 7], b[p + 8], b[p + 9], b[p + 10], b[p + 11], b[p + 12]);
    case 14:
      return f(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6], b[p + 7], b[p + 8], b[p + 9], b[p + 10], b[p + 11], b[p + 12], b[p + 13]);
    case 15:
      return f(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6], b[p + 7], b[p + 8], b[p + 9], b[p + 10], b[p + 11], b[p + 12], b[p + 13], b[p + 14]);
    case 16:
      return f(b[p], b[p + 1], b[p + 2], b[p + 3], b[p + 4], b[p + 5], b[p + 6], b[p + 7], b[p + 8], b[p + 9], b[p + 10], b[p + 11], b[p + 12], b[p + 13], b[p + 14], b[p + 15]);
    default:
      return b.latin1Slice(p, e);
  }
}
