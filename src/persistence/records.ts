// Reading a file of RESP command records (the AOF, and the body of a snapshot): `*N\r\n` followed by
// N `$len\r\n<bytes>\r\n` bulk strings, exactly what clients send and what Redis writes to its AOF.
//
// Why not reuse the request parser: loading needs what a socket never does — the byte offset where
// every complete record ends (to trim a torn tail), and a clear verdict on the file when a record is
// bad: *truncated* (the file ends inside a record: a crash mid-write, recoverable by trimming) versus
// *corrupt* (a byte that cannot be there: refuse to load rather than silently load part of the data).
// The file is read in 1 MiB chunks, so a multi-gigabyte AOF is never held in memory at once.

import { closeSync, openSync, readSync } from 'node:fs';
import { constants as bufferConstants } from 'node:buffer';
import { MAX_STRING, bigPlaceholder } from '../protocol/parser.js';

const CHUNK = 1 << 20;
/**
 * The largest bulk a file may hold: a value can be as long as proto-max-bulk-len allows, and that
 * can be raised past 512 MB, so only what no Buffer could hold is corruption.
 */
const MAX_BULK = bufferConstants.MAX_LENGTH;
const MAX_ARGS = 1024 * 1024;

export class CorruptFileError extends Error {
  constructor(
    readonly file: string,
    readonly offset: number,
    what: string,
  ) {
    super(`Bad file format reading ${file} at byte ${offset}: ${what}`);
  }
}

export interface ReadResult {
  /** Complete records read. */
  records: number;
  /** Offset just past the last complete record. */
  goodBytes: number;
  /** Total bytes in the file. */
  fileBytes: number;
  /** The file ended inside a record (fileBytes > goodBytes). */
  truncated: boolean;
}

/**
 * Read every complete record of `path`, calling `onRecord(args, endOffset)` for each; `args` are
 * latin1 strings (one char per byte, as everywhere in the server). Throws CorruptFileError for bytes
 * that cannot be a record; a record cut short by the end of the file is reported, not thrown.
 */
export function readRecords(
  path: string,
  onRecord: (args: string[], end: number, big: Map<string, Buffer> | null) => void,
): ReadResult {
  const fd = openSync(path, 'r');
  try {
    let buf = Buffer.alloc(0);
    let base = 0; // file offset of buf[0]
    let eof = false;
    let records = 0;
    let fileBytes = 0;
    let chunk = Buffer.allocUnsafe(CHUNK);
    const fill = (): boolean => {
      if (eof) return false;
      // Read at least as much as is already pending, so a huge record costs O(size), not O(size²).
      if (chunk.length < buf.length) chunk = Buffer.allocUnsafe(buf.length);
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) {
        eof = true;
        return false;
      }
      fileBytes += n;
      buf = buf.length === 0 ? Buffer.from(chunk.subarray(0, n)) : Buffer.concat([buf, chunk.subarray(0, n)]);
      return true;
    };
    for (;;) {
      const r = parseRecord(buf, path, base);
      if (r === null) {
        if (!fill()) break;
        continue;
      }
      records++;
      onRecord(r.args, base + r.end, r.big);
      buf = buf.subarray(r.end);
      base += r.end;
    }
    return { records, goodBytes: base, fileBytes, truncated: buf.length > 0 };
  } finally {
    closeSync(fd);
  }
}

/** Parse one record at the start of `b`; null when `b` ends before the record does. */
function parseRecord(b: Buffer, file: string, base: number): { args: string[]; end: number; big: Map<string, Buffer> | null } | null {
  if (b.length === 0) return null;
  if (b[0] !== 0x2a /* * */) throw new CorruptFileError(file, base, `expected '*', found ${describe(b[0])}`);
  const head = readNumber(b, 1, file, base);
  if (head === null) return null;
  const n = head.value;
  if (n < 1 || n > MAX_ARGS) throw new CorruptFileError(file, base, `bad argument count ${n}`);
  let pos = head.next;
  const args = new Array<string>(n);
  let big: Map<string, Buffer> | null = null;
  for (let i = 0; i < n; i++) {
    if (pos >= b.length) return null;
    if (b[pos] !== 0x24 /* $ */) throw new CorruptFileError(file, base + pos, `expected '$', found ${describe(b[pos])}`);
    const len = readNumber(b, pos + 1, file, base);
    if (len === null) return null;
    if (len.value < 0 || len.value > MAX_BULK) throw new CorruptFileError(file, base + pos, `bad bulk length ${len.value}`);
    const start = len.next;
    const end = start + len.value;
    if (end + 2 > b.length) return null;
    if (b[end] !== 0x0d || b[end + 1] !== 0x0a) throw new CorruptFileError(file, base + end, 'bulk string not followed by CRLF');
    if (end - start <= MAX_STRING) args[i] = b.latin1Slice(start, end);
    else {
      // Too long for a string (a BigString value, keyspace/bigstring.ts): passed on as bytes, the
      // way the request parser does. Copied: `b` is the reader's window, reused as it moves on.
      const ph = bigPlaceholder();
      (big ??= new Map()).set(ph, Buffer.from(b.subarray(start, end)));
      args[i] = ph;
    }
    pos = end + 2;
  }
  return { args, end: pos, big };
}

/** Read `<digits>\r\n` at `i`; null when the buffer ends first. */
function readNumber(b: Buffer, i: number, file: string, base: number): { value: number; next: number } | null {
  let v = 0;
  let digits = 0;
  let neg = false;
  if (i < b.length && b[i] === 0x2d /* - */) {
    neg = true;
    i++;
  }
  for (; i < b.length; i++) {
    const c = b[i];
    if (c >= 0x30 && c <= 0x39) {
      v = v * 10 + (c - 0x30);
      if (++digits > 12) throw new CorruptFileError(file, base + i, 'number too long');
      continue;
    }
    if (c !== 0x0d || digits === 0) throw new CorruptFileError(file, base + i, `expected a digit, found ${describe(c)}`);
    if (i + 1 >= b.length) return null;
    if (b[i + 1] !== 0x0a) throw new CorruptFileError(file, base + i + 1, 'expected LF after CR');
    return { value: neg ? -v : v, next: i + 2 };
  }
  return null;
}

function describe(c: number): string {
  return c >= 0x20 && c < 0x7f ? `'${String.fromCharCode(c)}'` : `byte 0x${c.toString(16).padStart(2, '0')}`;
}
