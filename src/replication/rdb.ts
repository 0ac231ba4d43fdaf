// The RDB file a full resynchronization transfers: the whole dataset as Redis 7.0's RDB version 10
// (header, aux fields, function libraries, per db SELECTDB / RESIZEDB / keys with their expiry,
// EOF, CRC64), with the value bodies from the shared codec (persistence/rdb/codec.ts). It is what
// a real redis-server replica loads from a Lodestone master and what a Lodestone replica reads from
// a real redis-server master. The aux fields carry what replication needs: repl-stream-db (the db
// the stream has selected at the RDB's point, so a chained replica starts in the right db),
// repl-id and repl-offset.
//
// Reading accepts every opcode Redis 7.0.15 writes into a replication RDB (AUX, RESIZEDB,
// EXPIRETIME(_MS), IDLE, FREQ, FUNCTION2, SELECTDB, EOF); a module value or aux field is refused
// (Lodestone has no modules). Values are decoded with full validation (RdbError on bad input).

import { crc64LE } from '../persistence/rdb/crc64.js';
import { isObjectType, RdbError, RdbReader, RdbWriter, readValue, valueType, writeValueBody } from '../persistence/rdb/codec.js';
import type { RedisValue } from '../keyspace/db.js';
import { hasScripting, scriptingOf } from '../scripting/eval.js';
import type { Server } from '../server/server.js';
import { REDIS_VERSION } from '../version.js';

const OP_FUNCTION2 = 0xf5;
const OP_MODULE_AUX = 0xf7;
const OP_IDLE = 0xf8;
const OP_FREQ = 0xf9;
const OP_AUX = 0xfa;
const OP_RESIZEDB = 0xfb;
const OP_EXPIRETIME_MS = 0xfc;
const OP_EXPIRETIME = 0xfd;
const OP_SELECTDB = 0xfe;
const OP_EOF = 0xff;

export interface ReplInfo {
  replid: string;
  offset: number;
  streamDb: number;
}

/** The dataset as an RDB file, now (synchronously: consistent at this point of the stream). */
export function snapshotRdb(server: Server, info: ReplInfo): Buffer {
  const w = new RdbWriter(64 * 1024);
  w.raw(Buffer.from('REDIS0010', 'latin1'));
  const aux = (k: string, v: string) => {
    w.byte(OP_AUX);
    w.string(k, false);
    w.string(v, false);
  };
  aux('redis-ver', REDIS_VERSION);
  aux('redis-bits', '64');
  aux('ctime', String(Math.floor(Date.now() / 1000)));
  aux('used-mem', String(process.memoryUsage().heapUsed));
  aux('repl-stream-db', String(info.streamDb));
  aux('repl-id', info.replid);
  aux('repl-offset', String(info.offset));
  aux('aof-base', '0');
  const sc = hasScripting(server);
  if (sc) {
    for (const code of sc.functions.codes()) {
      w.byte(OP_FUNCTION2);
      w.string(code, false);
    }
  }
  for (const db of server.dbs) {
    if (db.dict.size === 0) continue;
    w.byte(OP_SELECTDB);
    w.len(db.id);
    w.byte(OP_RESIZEDB);
    w.len(db.dict.size);
    w.len(db.expires.size);
    for (const [key, v] of db.dict) {
      const at = db.expires.get(key);
      if (at !== undefined) {
        // Already expired keys are written too: their DEL follows in the stream (Redis does the same).
        w.byte(OP_EXPIRETIME_MS);
        w.millis(at);
      }
      writeValueWithKey(w, key, v);
    }
  }
  w.byte(OP_EOF);
  const body = w.finish();
  return Buffer.concat([body, crc64LE(body)]);
}

function writeValueWithKey(w: RdbWriter, key: string, v: RedisValue): void {
  const type = valueType(v);
  w.byte(type);
  w.string(key, false);
  writeValueBody(w, v, type);
}

/**
 * Load an RDB file into the (empty) databases. Returns the aux fields. Throws RdbError on bad
 * input; keys loaded before the error stay (the caller drops the link and syncs again).
 */
export function loadRdbBuffer(server: Server, buf: Buffer): Map<string, string> {
  if (buf.length < 9 || buf.latin1Slice(0, 5) !== 'REDIS') throw new RdbError('Wrong signature trying to load DB from the master');
  const version = Number(buf.latin1Slice(5, 9));
  if (!(version >= 1 && version <= 10)) throw new RdbError(`Can't handle RDB format version ${buf.latin1Slice(5, 9)}`);
  const r = new RdbReader(buf, 9);
  const aux = new Map<string, string>();
  let db = server.dbs[0];
  let expireAt = -1;
  for (;;) {
    const type = r.byte();
    if (type === OP_EOF) {
      if (version >= 5) {
        const end = r.pos;
        const sum = r.raw(8);
        if (!sum.equals(Buffer.alloc(8)) && !sum.equals(crc64LE(buf, 0, end))) throw new RdbError('Wrong RDB checksum');
      }
      break;
    }
    if (type === OP_AUX) {
      const k = r.str();
      aux.set(k, r.str());
      continue;
    }
    if (type === OP_SELECTDB) {
      const id = Number(r.lenBig());
      if (id >= server.dbs.length) throw new RdbError(`FATAL: Data file was created with a Redis server configured to handle more than ${server.dbs.length} databases. Exiting`);
      db = server.dbs[id];
      continue;
    }
    if (type === OP_RESIZEDB) {
      r.lenBig();
      r.lenBig();
      continue;
    }
    if (type === OP_EXPIRETIME_MS) {
      expireAt = r.millis();
      continue;
    }
    if (type === OP_EXPIRETIME) {
      r.need(4);
      expireAt = r.buf.readInt32LE(r.pos) * 1000;
      r.pos += 4;
      continue;
    }
    if (type === OP_IDLE) {
      r.lenBig();
      continue;
    }
    if (type === OP_FREQ) {
      r.byte();
      continue;
    }
    if (type === OP_FUNCTION2) {
      const code = r.str();
      const res = scriptingOf(server).functions.load(code, true);
      if (typeof res !== 'string') throw new RdbError(`Failed loading a function library from the RDB: ${res.message}`);
      continue;
    }
    if (type === OP_MODULE_AUX) throw new RdbError('The RDB holds module data; Lodestone has no Redis modules');
    if (!isObjectType(type)) throw new RdbError(`Unknown RDB type or opcode ${type}`);
    const key = r.str();
    const value = readValue(r, type);
    db.set(key, value);
    if (expireAt >= 0) db.setExpire(key, expireAt);
    expireAt = -1;
  }
  return aux;
}
