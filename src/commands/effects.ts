// Deterministic forms of non-deterministic writes, for the write observers (AOF, later replicas):
// Redis's rewriteClientCommandVector / alsoPropagate, declared next to each command as its spec's
// `propagate`. Each function runs right after the handler, reads the effect from the keyspace (or
// the reply) and returns the commands that reproduce it exactly, whenever they are replayed:
//
//   SET … EX/PX/EXAT, SETEX, PSETEX   → SET key value [PXAT <absolute ms>]   (DEL if already expired)
//   EXPIRE, PEXPIRE, EXPIREAT, GETEX  → PEXPIREAT key <absolute ms> | PERSIST key | DEL key
//   INCRBYFLOAT                       → SET key <result> KEEPTTL   (Redis 7 does the same)
//   HINCRBYFLOAT                      → HSET key field <result>
//   SPOP                              → SREM key <the members popped>
//
// Without this a replay would restart every TTL from the moment of loading, or pop other members.

import { SetReply, type Reply } from '../protocol/reply.js';
import type { Context } from './table.js';
import { BigString, bigArgFor } from '../keyspace/bigstring.js';

/** SET, SETEX, PSETEX: the key's string value and absolute expiry as they are now. */
export function propagateSet(ctx: Context, args: string[]): string[][] | null {
  if (args.length === 3) return null; // plain SET: deterministic as it is
  const key = args[1];
  const d = ctx.db.dict.get(key);
  let v: string;
  if (d instanceof BigString) v = bigArgFor(ctx.client, d.bytes());
  else if (typeof d === 'string') v = d;
  else return [['DEL', key]];
  const at = ctx.db.expires.get(key);
  return [at === undefined ? ['SET', key, v] : ['SET', key, v, 'PXAT', String(at)]];
}

/** Commands that set or clear a TTL: the key's absolute expiry as it is now. */
export function propagateExpire(ctx: Context, args: string[]): string[][] {
  const key = args[1];
  if (!ctx.db.dict.has(key)) return [['DEL', key]];
  const at = ctx.db.expires.get(key);
  return [at === undefined ? ['PERSIST', key] : ['PEXPIREAT', key, String(at)]];
}

export function propagateIncrByFloat(_ctx: Context, args: string[], reply: Reply): string[][] {
  return [['SET', args[1], reply as string, 'KEEPTTL']];
}

export function propagateHincrByFloat(_ctx: Context, args: string[], reply: Reply): string[][] {
  return [['HSET', args[1], args[2], reply as string]];
}

export function propagateSpop(_ctx: Context, args: string[], reply: Reply): string[][] {
  const members =
    reply instanceof SetReply ? (reply.items as string[]) : Array.isArray(reply) ? (reply as string[]) : typeof reply === 'string' ? [reply] : [];
  return members.length === 0 ? [] : [['SREM', args[1], ...members]];
}
