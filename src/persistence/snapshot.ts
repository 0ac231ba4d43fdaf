// Lodestone's earlier snapshot format, now only READ: startup loads a `dump.lsnap` (or a
// dbfilename holding this format) and converts it to RDB (persistence.ts; snapshots are RDB files
// since issue #14, rdb/file.ts). Documented in docs/PERSISTENCE.md; summary:
//
//   *4 LODESTONE-SNAPSHOT <format version> <unix ms when started> <server version>   header record
//   … RESP commands that rebuild the dataset (SELECT, SET, RPUSH, HSET, SADD, ZADD, PEXPIREAT,
//     and for a background save a tail of DEL/FLUSHDB + state: see dump.ts) …
//   *3 LODESTONE-END <crc32 of every byte before this record, 8 hex> <record count, 16 digits>
//
// The trailer has a fixed length, so a reader finds it without scanning, and a file that was cut
// short, or damaged anywhere, is refused as a whole before anything is loaded. The header and
// trailer writers stay for tests that build such files.

import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { Encoder } from '../protocol/encoder.js';
import { encodeCommand } from './dump.js';
import { CorruptFileError } from './records.js';

export const SNAPSHOT_MAGIC = 'LODESTONE-SNAPSHOT';
export const SNAPSHOT_END = 'LODESTONE-END';
export const SNAPSHOT_VERSION = '1';

export function snapshotHeader(serverVersion: string): Buffer {
  const enc = new Encoder(2);
  encodeCommand(enc, [SNAPSHOT_MAGIC, SNAPSHOT_VERSION, String(Date.now()), serverVersion]);
  return enc.take()!;
}

export function snapshotTrailer(crc: number, records: number): Buffer {
  const enc = new Encoder(2);
  encodeCommand(enc, [SNAPSHOT_END, crc.toString(16).padStart(8, '0'), String(records).padStart(16, '0')]);
  return enc.take()!;
}

/** Length of every trailer: the record has fixed-width fields. */
export const TRAILER_LEN = snapshotTrailer(0, 0).length;

/** Running CRC-32 over what is written (zlib's, the same polynomial as gzip). */
export class Checksum {
  value = 0;
  update(b: Buffer): void {
    this.value = crc32(b, this.value);
  }
}

/**
 * Check a snapshot before anything of it is loaded: header record, trailer record, checksum.
 * Returns the number of body records the trailer promises. Throws CorruptFileError.
 */
export function verifySnapshot(path: string): { records: number; bodyEnd: number } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const head = Buffer.alloc(Math.min(size, 64));
    readSync(fd, head, 0, head.length, 0);
    if (!head.latin1Slice(0, head.length).includes(SNAPSHOT_MAGIC)) {
      throw new CorruptFileError(path, 0, `not a Lodestone snapshot (no ${SNAPSHOT_MAGIC} header)`);
    }
    if (size < TRAILER_LEN) throw new CorruptFileError(path, size, 'file too short: no end record (truncated?)');
    const bodyEnd = size - TRAILER_LEN;
    const tail = Buffer.alloc(TRAILER_LEN);
    readSync(fd, tail, 0, TRAILER_LEN, bodyEnd);
    const m = /^\*3\r\n\$13\r\nLODESTONE-END\r\n\$8\r\n([0-9a-f]{8})\r\n\$16\r\n(\d{16})\r\n$/.exec(tail.latin1Slice(0, TRAILER_LEN));
    if (!m) throw new CorruptFileError(path, bodyEnd, 'no end record (file truncated or damaged)');
    const sum = new Checksum();
    const chunk = Buffer.allocUnsafe(1 << 20);
    for (let off = 0; off < bodyEnd; ) {
      const n = readSync(fd, chunk, 0, Math.min(chunk.length, bodyEnd - off), off);
      if (n === 0) break;
      sum.update(chunk.subarray(0, n));
      off += n;
    }
    const want = parseInt(m[1], 16);
    if (sum.value !== want) {
      throw new CorruptFileError(path, 0, `checksum mismatch (file says ${m[1]}, content gives ${sum.value.toString(16).padStart(8, '0')})`);
    }
    return { records: Number(m[2]), bodyEnd };
  } finally {
    closeSync(fd);
  }
}
