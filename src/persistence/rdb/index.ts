// Redis 7.0's RDB serialization, as a library: the value codec shared by DUMP / RESTORE / MIGRATE
// (src/commands/dump.ts) and, next, by whole RDB files for replication (issue #14).
//
// API
//   Values (codec.ts) — a value is a RedisValue (src/keyspace/db.ts):
//     writeValue(w: RdbWriter, v, opts?)   type byte + encoding, the encodings Redis 7.0 writes
//     writeValueBody(w, v, type, opts?)    the encoding alone (files write the key after the type)
//     valueType(v, opts?)                  the type byte alone
//     readValue(r: RdbReader, type)        any encoding Redis 7.0 loads; throws RdbError
//     EncodeOptions / DEFAULT_ENCODE_OPTIONS: rdbcompression and the *-max-listpack-* thresholds
//     DecodeOptions: maxStringBytes (largest decompressed string accepted)
//   Primitives for the file format (codec.ts):
//     RdbWriter: byte, raw, len (rdbSaveLen, number | bigint), string (rdbSaveRawString), millis,
//                binaryDouble, finish() → Buffer
//     RdbReader(buf, pos, end, opts): byte, raw(n), lenBig, count (a length bounded by the data
//                left), bytes / str (rdbGenericLoadStringObject), millis, binaryDouble, textDouble
//     RDB_VERSION (10), RDB_TYPE_* constants, isObjectType
//   DUMP payloads (payload.ts): createDumpPayload(v, opts?), verifyDumpPayload(buf),
//     parseDumpPayload(buf, opts?)
//   Checksums and compression: crc64 / crc64LE / crc64Update (crc64.ts, running CRC for files),
//     lzfCompress / lzfDecompress (lzf.ts)
//   Compact encodings: lpDecode / ListpackWriter (listpack.ts), zlDecode / zipmapDecode /
//     intsetDecode (ziplist.ts)
//   Streams go through stream-adapter.ts (streamToRdb / streamFromRdb), the only code that knows
//     the Stream class's id representation.
//
// Whole files are in file.ts (import it directly: it depends on the server and the command table,
// which this value-level index must not): RdbSnapshot / writeRdb / rdbBuffer write a Redis 7.0
// RDB of the whole dataset (time-sliced and consistent as of its start), RdbLoader / loadRdb /
// loadRdbFile load one incrementally.

export * from './codec.js';
export * from './payload.js';
export { crc64, crc64LE, crc64Update } from './crc64.js';
export { lzfCompress, lzfDecompress } from './lzf.js';
export { lpDecode, ListpackWriter } from './listpack.js';
export { zlDecode, zipmapDecode, intsetDecode } from './ziplist.js';
