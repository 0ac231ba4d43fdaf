// The GEO commands — GEOADD GEODIST GEOHASH GEOPOS GEORADIUS GEORADIUSBYMEMBER (and their _RO
// forms) GEOSEARCH GEOSEARCHSTORE — as Redis 7.0.15's geo.c has them, reply for reply
// (test/diff/geo.test.ts compares both servers, including a randomized cross-check).
//
// A geo key is a plain sorted set whose scores are 52-bit geohashes (src/keyspace/geohash.ts):
//   - GEOADD parses and validates every coordinate, then runs ZADD with the encoded scores (Redis
//     rewrites the command into a ZADD and calls zaddCommand, so options, errors, encodings and
//     replies are ZADD's).
//   - The searches test the centre's cell and its neighbours: each cell is one score range of the
//     sorted set, walked from its first node; every point in it is decoded and tested exactly. ANY
//     stops at COUNT matches; otherwise COUNT sorts by distance first (Redis's partial pqsort, ported,
//     so ties come out the same), ASC/DESC sort everything (a stable sort, like glibc's qsort).
//   - Options parse left to right with Redis's checks in Redis's order: the key's type first, then
//     the centre and radius of GEORADIUS*, then each option (a bad number answers at once), then the
//     combination rules (STORE with WITH*, FROM*/BY* missing, ANY without COUNT), then a missing key.
//   - Distances are sent as "%.4f" bulk strings; coordinates as addReplyHumanLongDouble does
//     ("%.17Lf" without trailing zeros: a bulk string in RESP2, a `,` double in RESP3); hashes as
//     integers.
//   - STORE / STOREDIST / GEOSEARCHSTORE write a new sorted set (replacing the destination, TTL
//     cleared, encoding by the listpack limits), notify `georadiusstore` / `geosearchstore`, or
//     delete the destination when nothing matched (notifying `del`). GEOADD's event is ZADD's
//     (`zadd`), emitted wherever the sorted-set family emits it.
//
// Known difference: a distance is computed with correctly rounded sin/cos/asin, and glibc's — which
// redis-server uses — are not correctly rounded for about one argument in a thousand. Replies never
// show it (4 decimals), but a STOREDIST score is the full double: measured, ~0.3% of stored
// distances differ from Redis's in the last bit or two (with V8's Math functions it was ~3%).

import { SortedSet } from '../keyspace/zset.js';
import { settleEncoding } from '../keyspace/encoding.js';
import {
  areasByShape,
  cellScoreRange,
  decodeScore,
  encodeScoreText,
  FAST_TOLERANCE,
  fastDecides,
  GEO_LAT_MAX,
  GEO_LAT_MIN,
  GEO_LONG_MAX,
  GEO_LONG_MIN,
  geoDistance,
  geoDistanceFast,
  geohashString,
  GeoShape,
  pqsort,
  XY,
} from '../keyspace/geohash.js';
import { formatLongDoubleHuman, parseInt64 } from '../util/numbers.js';
import { DoubleReply, ERR_NOT_FLOAT, ERR_NOT_INTEGER, ERR_SYNTAX, NIL_ARRAY, Reply, ReplyError } from '../protocol/reply.js';
import { notifyKeyspaceEvent, NOTIFY_GENERIC, NOTIFY_ZSET } from '../server/notify.js';
import { parseStrictDouble, zaddGeneric } from './zsets.js';
import type { CommandSpec, Context } from './table.js';
import { getZSet } from './util.js';

// ---- Argument helpers ----------------------------------------------------------------------------

/** strcasecmp against a lowercase option: the argument as a C string (up to a NUL byte). */
function optIs(arg: string, lower: string): boolean {
  const n = lower.length;
  if (arg.length !== n && !(arg.length > n && arg.charCodeAt(n) === 0)) return false;
  for (let i = 0; i < n; i++) {
    const c = arg.charCodeAt(i);
    if ((c >= 65 && c <= 90 ? c | 0x20 : c) !== lower.charCodeAt(i)) return false;
  }
  return true;
}

/** getDoubleFromObjectOrReply, with its default or a custom message. */
function doubleArg(s: string, err: ReplyError = ERR_NOT_FLOAT): number {
  const v = parseStrictDouble(s);
  if (v === null) throw err;
  return v;
}

/** printf("%f"): six decimals, exact expansion, round half to even (only used in errors). */
function printfF(x: number): string {
  if (Number.isNaN(x)) return x < 0 ? '-nan' : 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  return fixedDigits(x, 6);
}

/** %.<digits>f of a finite double, exactly as glibc prints it. */
function fixedDigits(x: number, digits: number): string {
  const neg = x < 0 || (x === 0 && 1 / x < 0);
  const a = Math.abs(x);
  // toFixed rounds the exact value, ties away from zero; glibc rounds ties to even. A tie needs
  // a·2^(digits+1) to be an odd integer (the only dyadic values halfway between two outputs).
  const t = a * 2 ** (digits + 1);
  let s: string;
  if (a < 1e21 && !(Number.isInteger(t) && t % 2 === 1)) s = a.toFixed(digits);
  else s = exactFixed(a, digits);
  return neg ? '-' + s : s;
}

/** Exact %.<digits>f of a non-negative finite double with BigInt arithmetic. */
function exactFixed(a: number, digits: number): string {
  const [m, e] = decompose(a);
  const scale = 10n ** BigInt(digits);
  let q: bigint;
  if (e >= 0) q = (m << BigInt(e)) * scale;
  else {
    const num = m * scale;
    const sh = BigInt(-e);
    q = num >> sh;
    const rem = num - (q << sh);
    const half = 1n << (sh - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  }
  const ip = (q / scale).toString();
  if (digits === 0) return ip;
  return ip + '.' + (q % scale).toString().padStart(digits, '0');
}

/** A finite non-negative double as m·2^e with integer m. */
function decompose(a: number): [bigint, number] {
  if (a === 0) return [0n, 0];
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, a);
  const hi = buf.getUint32(0);
  const lo = buf.getUint32(4);
  const exp = (hi >>> 20) & 0x7ff;
  const mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (exp === 0) return [mant, -1074];
  return [mant | (1n << 52n), exp - 1075];
}

/** addReplyDoubleDistance: "%.4f" as a bulk string. */
function distanceReply(d: number): string {
  if (!Number.isFinite(d)) return printfF(d);
  return fixedDigits(d, 4);
}

/** addReplyHumanLongDouble: "%.17Lf" of the value, trailing zeros and '.' dropped, "-0" → "0". */
function coordReply(d: number): DoubleReply {
  const a = Math.abs(d);
  let s: string;
  const t = a * 262144; // 2^18: ties at the 17th decimal are odd multiples of 2^-18
  if (Number.isInteger(t) && t % 2 === 1) {
    const [m, e] = decompose(a);
    s = formatLongDoubleHuman({ neg: false, m, e, inf: false });
  } else {
    s = a.toFixed(17);
    let end = s.length;
    while (s.charCodeAt(end - 1) === 48) end--;
    if (s.charCodeAt(end - 1) === 46) end--;
    s = s.slice(0, end);
  }
  if (d < 0 && s !== '0') s = '-' + s;
  return new DoubleReply(d, s);
}

/** addReplyLongLong(score): the score converted to long long as x86-64 does (INT64_MIN if out of range). */
function hashReply(score: number): number | bigint {
  if (score >= -9223372036854775808 && score < 9223372036854775808) {
    const t = Math.trunc(score);
    return Number.isSafeInteger(t) ? t + 0 : BigInt(t);
  }
  return -9223372036854775808n;
}

/** extractLongLatOrReply: longitude and latitude at args[i], args[i + 1]. */
function lonLatArg(args: string[], i: number): [number, number] {
  const lon = doubleArg(args[i]);
  const lat = doubleArg(args[i + 1]);
  if (lon < GEO_LONG_MIN || lon > GEO_LONG_MAX || lat < GEO_LAT_MIN || lat > GEO_LAT_MAX) {
    throw new ReplyError('ERR', `invalid longitude,latitude pair ${printfF(lon)},${printfF(lat)}`);
  }
  return [lon, lat];
}

const ERR_UNIT = new ReplyError('ERR', 'unsupported unit provided. please use M, KM, FT, MI');
const ERR_NEED_RADIUS = new ReplyError('ERR', 'need numeric radius');
const ERR_RADIUS_NEGATIVE = new ReplyError('ERR', 'radius cannot be negative');
const ERR_NEED_WIDTH = new ReplyError('ERR', 'need numeric width');
const ERR_NEED_HEIGHT = new ReplyError('ERR', 'need numeric height');
const ERR_BOX_NEGATIVE = new ReplyError('ERR', 'height or width cannot be negative');
const ERR_DECODE_MEMBER = new ReplyError('ERR', 'could not decode requested zset member');
const ERR_COUNT = new ReplyError('ERR', 'COUNT must be > 0');
const ERR_ANY = new ReplyError('ERR', 'the ANY argument requires COUNT argument');

/** extractUnitOrReply: meters per unit. */
function unitArg(s: string): number {
  if (optIs(s, 'm')) return 1;
  if (optIs(s, 'km')) return 1000;
  if (optIs(s, 'ft')) return 0.3048;
  if (optIs(s, 'mi')) return 1609.34;
  throw ERR_UNIT;
}

// ---- GEOADD GEODIST GEOHASH GEOPOS ---------------------------------------------------------------

function geoadd(ctx: Context, args: string[]): Reply {
  let nx = false;
  let xx = false;
  let longidx = 2;
  const argc = args.length;
  while (longidx < argc) {
    const o = args[longidx];
    if (optIs(o, 'nx')) nx = true;
    else if (optIs(o, 'xx')) xx = true;
    else if (!optIs(o, 'ch')) break;
    longidx++;
  }
  if ((argc - longidx) % 3 !== 0 || (xx && nx)) throw ERR_SYNTAX;
  const elements = (argc - longidx) / 3;
  const zargs = new Array<string>(longidx + elements * 2);
  zargs[0] = 'zadd';
  zargs[1] = args[1];
  // The options as ZADD spells them (strcasecmp also let "nx\0…" through here).
  for (let i = 2; i < longidx; i++) zargs[i] = optIs(args[i], 'nx') ? 'nx' : optIs(args[i], 'xx') ? 'xx' : 'ch';
  for (let i = 0; i < elements; i++) {
    const [lon, lat] = lonLatArg(args, longidx + i * 3);
    zargs[longidx + i * 2] = encodeScoreText(lon, lat);
    zargs[longidx + i * 2 + 1] = args[longidx + i * 3 + 2];
  }
  return zaddGeneric(ctx, zargs, 0);
}

function geodist(ctx: Context, args: string[]): Reply {
  let toMeter = 1;
  if (args.length === 5) toMeter = unitArg(args[4]);
  else if (args.length > 5) throw ERR_SYNTAX;
  const z = getZSet(ctx.db, args[1]);
  if (z === null) return null;
  const s1 = z.score(args[2]);
  const s2 = z.score(args[3]);
  if (s1 === undefined || s2 === undefined) return null;
  decodeScore(s1);
  const x1 = XY[0];
  const y1 = XY[1];
  decodeScore(s2);
  return distanceReply(geoDistance(x1, y1, XY[0], XY[1]) / toMeter);
}

function geohash(ctx: Context, args: string[]): Reply {
  const z = getZSet(ctx.db, args[1]);
  const out: Reply[] = new Array(args.length - 2);
  for (let j = 2; j < args.length; j++) {
    const s = z === null ? undefined : z.score(args[j]);
    out[j - 2] = s === undefined ? null : geohashString(s);
  }
  return out;
}

function geopos(ctx: Context, args: string[]): Reply {
  const z = getZSet(ctx.db, args[1]);
  const out: Reply[] = new Array(args.length - 2);
  for (let j = 2; j < args.length; j++) {
    const s = z === null ? undefined : z.score(args[j]);
    if (s === undefined) out[j - 2] = NIL_ARRAY;
    else {
      decodeScore(s);
      out[j - 2] = [coordReply(XY[0]), coordReply(XY[1])];
    }
  }
  return out;
}

// ---- The searches (georadiusGeneric) -------------------------------------------------------------

const RADIUS_COORDS = 1;
const RADIUS_MEMBER = 2;
const RADIUS_NOSTORE = 4;
const GEOSEARCH = 8;
const GEOSEARCHSTORE = 16;

const SORT_NONE = 0;
const SORT_ASC = 1;
const SORT_DESC = 2;

interface GeoPoint {
  lon: number;
  lat: number;
  /** Distance to the centre in meters: geoDistanceFast's, or the exact one once `exact`. */
  dist: number;
  exact: boolean;
  score: number;
  member: string;
}

/** The centre of the search running now (one at a time: handlers do not interleave). */
let CENTRE_LON = 0;
let CENTRE_LAT = 0;

/** The point's distance as redis-server computes it (cached in the point). */
function exactDist(p: GeoPoint): number {
  if (!p.exact) {
    p.dist = geoDistance(CENTRE_LON, CENTRE_LAT, p.lon, p.lat);
    p.exact = true;
  }
  return p.dist;
}

/** sort_gp_asc on the exact distances; the fast ones decide when they are far enough apart. */
function sortAsc(a: GeoPoint, b: GeoPoint): number {
  let da = a.dist;
  let db = b.dist;
  if (!(a.exact && b.exact) && Math.abs(da - db) <= FAST_TOLERANCE * Math.max(da, db)) {
    da = exactDist(a);
    db = exactDist(b);
  }
  if (da > db) return 1;
  if (da === db) return 0;
  return -1;
}
function sortDesc(a: GeoPoint, b: GeoPoint): number {
  return -sortAsc(a, b);
}

/** geoAppendIfWithinShape: the point if it is inside the shape. */
function withinShape(s: GeoShape, score: number, member: string): GeoPoint | null {
  decodeScore(score);
  const x = XY[0];
  const y = XY[1];
  let dist: number;
  let exact = false;
  if (s.circle) {
    const limit = s.radius * s.conversion;
    dist = geoDistanceFast(s.lon, s.lat, x, y);
    if (!fastDecides(dist, limit)) {
      dist = geoDistance(s.lon, s.lat, x, y);
      exact = true;
    }
    if (dist > limit) return null;
  } else {
    // geohashGetDistanceIfInRectangle (7.0): the point's distance from the centre's meridian along
    // its own parallel, and from the centre's parallel along its meridian.
    const halfW = (s.width * s.conversion) / 2;
    const halfH = (s.height * s.conversion) / 2;
    let lonD = geoDistanceFast(x, y, s.lon, y);
    if (!fastDecides(lonD, halfW)) lonD = geoDistance(x, y, s.lon, y);
    let latD = geoDistanceFast(x, y, x, s.lat);
    if (!fastDecides(latD, halfH)) latD = geoDistance(x, y, x, s.lat);
    if (lonD > halfW || latD > halfH) return null;
    dist = geoDistanceFast(s.lon, s.lat, x, y);
  }
  return { lon: x, lat: y, dist, exact, score, member };
}

/** The WITHDIST text: from the fast distance when the exact one cannot round differently. */
function distText(p: GeoPoint, conversion: number): string {
  if (!p.exact) {
    const d = p.dist / conversion;
    const lo = distanceReply(d * (1 - FAST_TOLERANCE));
    if (lo === distanceReply(d * (1 + FAST_TOLERANCE))) return lo;
  }
  return distanceReply(exactDist(p) / conversion);
}

/** membersOfAllNeighbors: every point of the 9 cells inside the shape (at most `limit` if > 0). */
function collect(z: SortedSet, s: GeoShape, limit: number): GeoPoint[] {
  CENTRE_LON = s.lon;
  CENTRE_LAT = s.lat;
  const cells = areasByShape(s);
  const out: GeoPoint[] = [];
  let last = 0;
  for (let i = 0; i < cells.length; i++) {
    const c = cells[i];
    if (c.step === 0 && c.lat === 0 && c.lon === 0) continue;
    if (last && c.lat === cells[last].lat && c.lon === cells[last].lon && c.step === cells[last].step) continue;
    if (out.length && limit && out.length >= limit) break;
    const [min, max] = cellScoreRange(c);
    for (let n = z.firstInScoreRange({ min, minEx: false, max, maxEx: true }); n && z.scoreAt(n) < max; n = z.next(n)) {
      const p = withinShape(s, z.scoreAt(n), z.memberAt(n));
      if (p) out.push(p);
      if (out.length && limit && out.length >= limit) break;
    }
    last = i;
  }
  return out;
}

function georadiusGeneric(ctx: Context, args: string[], srcKeyIndex: number, flags: number): Reply {
  const db = ctx.db;
  const argc = args.length;
  let storekey: string | null = null;
  let storedist = false;
  const z = getZSet(db, args[srcKeyIndex]);
  const shape: GeoShape = { lon: 0, lat: 0, circle: true, radius: 0, width: 0, height: 0, conversion: 0 };
  let baseArgs: number;
  if (flags & RADIUS_COORDS) {
    baseArgs = 6;
    [shape.lon, shape.lat] = lonLatArg(args, 2);
    distanceArgs(args, baseArgs - 2, shape);
  } else if (flags & RADIUS_MEMBER && z === null) {
    baseArgs = 5;
  } else if (flags & RADIUS_MEMBER) {
    baseArgs = 5;
    memberCentre(z!, args[2], shape);
    distanceArgs(args, baseArgs - 2, shape);
  } else {
    baseArgs = 2;
    if (flags & GEOSEARCHSTORE) {
      baseArgs = 3;
      storekey = args[1];
    }
  }

  let withdist = false;
  let withhash = false;
  let withcoords = false;
  let frommember = false;
  let fromloc = false;
  let byradius = false;
  let bybox = false;
  let sort = SORT_NONE;
  let any = false;
  let count = 0;
  const remaining = argc - baseArgs;
  for (let i = 0; i < remaining; i++) {
    const a = args[baseArgs + i];
    if (optIs(a, 'withdist')) withdist = true;
    else if (optIs(a, 'withhash')) withhash = true;
    else if (optIs(a, 'withcoord')) withcoords = true;
    else if (optIs(a, 'any')) any = true;
    else if (optIs(a, 'asc')) sort = SORT_ASC;
    else if (optIs(a, 'desc')) sort = SORT_DESC;
    else if (optIs(a, 'count') && i + 1 < remaining) {
      const v = parseInt64(args[baseArgs + i + 1]);
      if (v === null) throw ERR_NOT_INTEGER;
      if (v <= 0n) throw ERR_COUNT;
      count = v > 9007199254740991n ? Number.MAX_SAFE_INTEGER : Number(v);
      i++;
    } else if (optIs(a, 'store') && i + 1 < remaining && !(flags & RADIUS_NOSTORE) && !(flags & GEOSEARCH)) {
      storekey = args[baseArgs + i + 1];
      storedist = false;
      i++;
    } else if (optIs(a, 'storedist') && i + 1 < remaining && !(flags & RADIUS_NOSTORE) && !(flags & GEOSEARCH)) {
      storekey = args[baseArgs + i + 1];
      storedist = true;
      i++;
    } else if (optIs(a, 'storedist') && flags & GEOSEARCH && flags & GEOSEARCHSTORE) {
      storedist = true;
    } else if (optIs(a, 'frommember') && i + 1 < remaining && flags & GEOSEARCH && !fromloc) {
      if (z !== null) memberCentre(z, args[baseArgs + i + 1], shape);
      frommember = true;
      i++;
    } else if (optIs(a, 'fromlonlat') && i + 2 < remaining && flags & GEOSEARCH && !frommember) {
      [shape.lon, shape.lat] = lonLatArg(args, baseArgs + i + 1);
      fromloc = true;
      i += 2;
    } else if (optIs(a, 'byradius') && i + 2 < remaining && flags & GEOSEARCH && !bybox) {
      distanceArgs(args, baseArgs + i + 1, shape);
      shape.circle = true;
      byradius = true;
      i += 2;
    } else if (optIs(a, 'bybox') && i + 3 < remaining && flags & GEOSEARCH && !byradius) {
      boxArgs(args, baseArgs + i + 1, shape);
      shape.circle = false;
      bybox = true;
      i += 3;
    } else throw ERR_SYNTAX;
  }

  if (storekey !== null && (withdist || withhash || withcoords)) {
    const what = flags & GEOSEARCHSTORE ? 'GEOSEARCHSTORE' : 'STORE option in GEORADIUS';
    throw new ReplyError('ERR', `${what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options`);
  }
  if (flags & GEOSEARCH && !(frommember || fromloc)) {
    throw new ReplyError('ERR', `exactly one of FROMMEMBER or FROMLONLAT can be specified for ${cName(args[0])}`);
  }
  if (flags & GEOSEARCH && !(byradius || bybox)) {
    throw new ReplyError('ERR', `exactly one of BYRADIUS and BYBOX can be specified for ${cName(args[0])}`);
  }
  if (any && !count) throw ERR_ANY;

  if (z === null) {
    if (storekey !== null) {
      if (db.delete(storekey)) {
        notifyKeyspaceEvent(ctx.server, NOTIFY_GENERIC, 'del', storekey, db.id);
        ctx.server.dirty++;
      }
      return 0;
    }
    return [];
  }

  if (count !== 0 && sort === SORT_NONE && !any) sort = SORT_ASC;
  const ga = collect(z, shape, any ? count : 0);
  if (ga.length === 0 && storekey === null) return [];
  const resultLength = ga.length;
  const returned = count === 0 || resultLength < count ? resultLength : count;
  if (sort !== SORT_NONE) {
    const cmp = sort === SORT_ASC ? sortAsc : sortDesc;
    if (returned === resultLength) ga.sort(cmp);
    else pqsort(ga, cmp, 0, returned - 1);
  }

  if (storekey === null) {
    const nopts = (withdist ? 1 : 0) + (withcoords ? 1 : 0) + (withhash ? 1 : 0);
    const out: Reply[] = new Array(returned);
    for (let i = 0; i < returned; i++) {
      const gp = ga[i];
      if (nopts === 0) {
        out[i] = gp.member;
        continue;
      }
      const item: Reply[] = [gp.member];
      if (withdist) item.push(distText(gp, shape.conversion));
      if (withhash) item.push(hashReply(gp.score));
      if (withcoords) item.push([coordReply(gp.lon), coordReply(gp.lat)]);
      out[i] = item;
    }
    return out;
  }

  if (returned > 0) {
    const dst = new SortedSet();
    for (let i = 0; i < returned; i++) {
      const gp = ga[i];
      dst.add(gp.member, storedist ? exactDist(gp) / shape.conversion : gp.score);
    }
    settleEncoding(ctx.server.config, dst);
    db.set(storekey, dst);
    notifyKeyspaceEvent(ctx.server, NOTIFY_ZSET, flags & GEOSEARCH ? 'geosearchstore' : 'georadiusstore', storekey, db.id);
    ctx.server.dirty += returned;
  } else if (db.delete(storekey)) {
    notifyKeyspaceEvent(ctx.server, NOTIFY_GENERIC, 'del', storekey, db.id);
    ctx.server.dirty++;
  }
  return returned;
}

/** The command name as Redis's %s prints argv[0] (a C string). */
function cName(s: string): string {
  const i = s.indexOf('\0');
  return i < 0 ? s : s.slice(0, i);
}

/** longLatFromMember, or "could not decode requested zset member". */
function memberCentre(z: SortedSet, member: string, shape: GeoShape): void {
  const s = z.score(member);
  if (s === undefined) throw ERR_DECODE_MEMBER;
  decodeScore(s);
  shape.lon = XY[0];
  shape.lat = XY[1];
}

/** extractDistanceOrReply: radius and unit at args[i], args[i + 1]. */
function distanceArgs(args: string[], i: number, shape: GeoShape): void {
  const d = doubleArg(args[i], ERR_NEED_RADIUS);
  if (d < 0) throw ERR_RADIUS_NEGATIVE;
  shape.radius = d;
  shape.conversion = unitArg(args[i + 1]);
}

/** extractBoxOrReply: width, height and unit at args[i..i + 2]. */
function boxArgs(args: string[], i: number, shape: GeoShape): void {
  const w = doubleArg(args[i], ERR_NEED_WIDTH);
  const h = doubleArg(args[i + 1], ERR_NEED_HEIGHT);
  if (h < 0 || w < 0) throw ERR_BOX_NEGATIVE;
  shape.width = w;
  shape.height = h;
  shape.conversion = unitArg(args[i + 2]);
}

/** georadiusGetKeys: the source key and the STORE / STOREDIST destination, if any. */
function georadiusKeys(args: string[]): number[] {
  let stored = -1;
  for (let i = 5; i < args.length; i++) {
    if ((optIs(args[i], 'store') || optIs(args[i], 'storedist')) && i + 1 < args.length) {
      stored = i + 1;
      i++;
    }
  }
  return stored < 0 ? [1] : [1, stored];
}

// ---- The table -----------------------------------------------------------------------------------

const G = 'geo';
const SEARCH_COMPLEXITY =
  'O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape';
const RADIUS_COMPLEXITY =
  'O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.';

export const geoCommands: CommandSpec[] = [
  {
    name: 'geoadd',
    arity: -5,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Add one or more geospatial items in the geospatial index represented using a sorted set',
    since: '3.2.0',
    complexity: 'O(log(N)) for each item added, where N is the number of elements in the sorted set.',
    syntax: 'key [NX | XX] [CH] longitude latitude member [longitude latitude member ...]',
    handler: geoadd,
  },
  {
    name: 'geodist',
    arity: -4,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Returns the distance between two members of a geospatial index',
    since: '3.2.0',
    complexity: 'O(log(N))',
    syntax: 'key member1 member2 [M | KM | FT | MI]',
    handler: geodist,
  },
  {
    name: 'geohash',
    arity: -2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Returns members of a geospatial index as standard geohash strings',
    since: '3.2.0',
    complexity: 'O(log(N)) for each member requested, where N is the number of elements in the sorted set.',
    syntax: 'key [member [member ...]]',
    handler: geohash,
  },
  {
    name: 'geopos',
    arity: -2,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Returns longitude and latitude of members of a geospatial index',
    since: '3.2.0',
    complexity: 'O(N) where N is the number of members requested.',
    syntax: 'key [member [member ...]]',
    handler: geopos,
  },
  {
    name: 'georadius',
    arity: -6,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    getKeys: georadiusKeys,
    group: G,
    summary:
      'Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point',
    since: '3.2.0',
    complexity: RADIUS_COMPLEXITY,
    syntax:
      'key longitude latitude radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC] [STORE key] [STOREDIST key]',
    handler: (ctx, args) => georadiusGeneric(ctx, args, 1, RADIUS_COORDS),
  },
  {
    name: 'georadiusbymember',
    arity: -5,
    flags: ['write', 'denyoom'],
    keys: [1, 1, 1],
    getKeys: georadiusKeys,
    group: G,
    summary:
      'Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member',
    since: '3.2.0',
    complexity: 'O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.',
    syntax:
      'key member radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC] [STORE key] [STOREDIST key]',
    handler: (ctx, args) => georadiusGeneric(ctx, args, 1, RADIUS_MEMBER),
  },
  {
    name: 'georadius_ro',
    arity: -6,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: G,
    summary: 'A read-only variant for GEORADIUS',
    since: '3.2.10',
    complexity: RADIUS_COMPLEXITY,
    syntax: 'key longitude latitude radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC]',
    handler: (ctx, args) => georadiusGeneric(ctx, args, 1, RADIUS_COORDS | RADIUS_NOSTORE),
  },
  {
    name: 'georadiusbymember_ro',
    arity: -5,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: G,
    summary: 'A read-only variant for GEORADIUSBYMEMBER',
    since: '3.2.10',
    complexity: RADIUS_COMPLEXITY,
    syntax: 'key member radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC]',
    handler: (ctx, args) => georadiusGeneric(ctx, args, 1, RADIUS_MEMBER | RADIUS_NOSTORE),
  },
  {
    name: 'geosearch',
    arity: -7,
    flags: ['readonly'],
    keys: [1, 1, 1],
    group: G,
    summary: 'Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.',
    since: '6.2.0',
    complexity: SEARCH_COMPLEXITY,
    syntax:
      'key <FROMMEMBER member | FROMLONLAT longitude latitude> <BYRADIUS radius <M | KM | FT | MI> | BYBOX width height <M | KM | FT | MI>> [ASC | DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]',
    handler: (ctx, args) => georadiusGeneric(ctx, args, 1, GEOSEARCH),
  },
  {
    name: 'geosearchstore',
    arity: -8,
    flags: ['write', 'denyoom'],
    keys: [1, 2, 1],
    group: G,
    summary:
      'Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.',
    since: '6.2.0',
    complexity: SEARCH_COMPLEXITY,
    syntax:
      'destination source <FROMMEMBER member | FROMLONLAT longitude latitude> <BYRADIUS radius <M | KM | FT | MI> | BYBOX width height <M | KM | FT | MI>> [ASC | DESC] [COUNT count [ANY]] [STOREDIST]',
    handler: (ctx, args) => georadiusGeneric(ctx, args, 2, GEOSEARCH | GEOSEARCHSTORE),
  },
];
