// The DUMP payload (cluster.c createDumpPayload / verifyDumpPayload): one RDB value — type byte
// and encoding (codec.ts) — then the RDB version as 2 bytes little-endian (10 for Redis 7.0) and the
// CRC-64 of everything before it, 8 bytes little-endian. RESTORE accepts a payload whose version is
// at most ours and whose checksum matches; a checksum of all zeroes is NOT accepted (Redis 7.0 only
// skips the check after DEBUG SET-SKIP-CHECKSUM-VALIDATION 1, which Lodestone has too).

import type { RedisValue } from '../../keyspace/db.js';
import { crc64LE } from './crc64.js';
import {
  DEFAULT_DECODE_OPTIONS,
  DEFAULT_ENCODE_OPTIONS,
  DecodeOptions,
  EncodeOptions,
  RDB_VERSION,
  RdbError,
  RdbReader,
  RdbWriter,
  isObjectType,
  writeValue,
  readValue,
} from './codec.js';

/** The DUMP payload of a value. */
export function createDumpPayload(v: RedisValue, opts: EncodeOptions = DEFAULT_ENCODE_OPTIONS): Buffer {
  const w = new RdbWriter();
  writeValue(w, v, opts);
  w.byte(RDB_VERSION & 0xff);
  w.byte((RDB_VERSION >> 8) & 0xff);
  const body = w.finish();
  w.raw(crc64LE(body));
  return w.finish();
}

/**
 * verifyDumpPayload: long enough, a version we know, a matching checksum (not checked with
 * `skipChecksum`: DEBUG SET-SKIP-CHECKSUM-VALIDATION 1).
 */
export function verifyDumpPayload(p: Buffer, skipChecksum = false): boolean {
  if (p.length < 10) return false;
  const footer = p.length - 10;
  const ver = p[footer] | (p[footer + 1] << 8);
  if (ver > RDB_VERSION) return false;
  if (skipChecksum) return true;
  return crc64LE(p, 0, p.length - 8).equals(p.subarray(p.length - 8));
}

/**
 * The value of a verified payload (rdbLoadObjectType + rdbLoadObject). Throws RdbError for anything
 * RESTORE answers "Bad data format" to. Like Redis (rioInitWithBuffer over the whole argument), the
 * value may run into the footer's bytes, and bytes left between the value and the footer are ignored.
 */
export function parseDumpPayload(p: Buffer, opts: DecodeOptions = DEFAULT_DECODE_OPTIONS): RedisValue {
  const r = new RdbReader(p, 0, p.length, opts);
  const type = r.byte();
  if (!isObjectType(type)) throw new RdbError(`not an object type: ${type}`);
  return readValue(r, type);
}
