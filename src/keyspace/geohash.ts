// Geohash math for the GEO commands (src/commands/geo.ts), following Redis 7.0.15's geohash.c and
// geohash_helper.c step for step, because the replies depend on every rounding:
//
//   - A point is stored as a sorted-set score: the 26-bit latitude and longitude cell indexes over
//     [-85.05112878, 85.05112878] × [-180, 180], bit-interleaved (latitude in the even bits) into a
//     52-bit integer. Decoding gives the centre of the cell, clamped to the valid range.
//   - A search (radius or box) picks a cell size from the radius (geohashEstimateStepsByRadius),
//     takes the centre's cell and its 8 neighbours at that size, drops neighbours the bounding box
//     does not reach, and scans the score range of each cell; the points found are then tested
//     exactly (haversine distance, or the box test).
//   - Distances use Redis's haversine with EARTH_RADIUS_IN_METERS 6372797.560856, evaluated with
//     the same operation order. sin/cos/asin are correctly rounded (src/util/crmath.ts) rather
//     than V8's fdlibm ports: glibc's libm, which redis-server uses, is correctly rounded in all but
//     about one call in a thousand, while fdlibm differs from it in the last bit several percent
//     of the time — visible in GEOSEARCHSTORE … STOREDIST scores. The correctly rounded functions
//     cost ~1 µs a call, so searches test, sort and print with V8's (geoDistanceFast) wherever the
//     last bit cannot change the outcome, and compute the exact distance where it can.
//
// A cell is kept as its two indexes plus the step instead of Redis's interleaved uint64: neighbour
// moves are then plain modular increments (what geohash_move_x/y do with masks), and the
// interleaved form is built only for score ranges. Scores of arbitrary values (a ZADD onto a geo
// key) are converted to uint64 the way x86-64 code compiled by gcc does for `(uint64_t)double`.

import { crAsin, crCos, crSin } from '../util/crmath.js';

export const GEO_STEP_MAX = 26;
export const GEO_LAT_MIN = -85.05112878;
export const GEO_LAT_MAX = 85.05112878;
export const GEO_LONG_MIN = -180;
export const GEO_LONG_MAX = 180;
const LAT_SCALE = GEO_LAT_MAX - GEO_LAT_MIN;
const LONG_SCALE = GEO_LONG_MAX - GEO_LONG_MIN;

const D_R = Math.PI / 180.0;
export const EARTH_RADIUS_IN_METERS = 6372797.560856;
const MERCATOR_MAX = 20037726.37;
const TWO_32 = 4294967296;

// ---- Bit interleaving ----------------------------------------------------------------------------

function spread16(v: number): number {
  let x = v & 0xffff;
  x = (x | (x << 8)) & 0x00ff00ff;
  x = (x | (x << 4)) & 0x0f0f0f0f;
  x = (x | (x << 2)) & 0x33333333;
  x = (x | (x << 1)) & 0x55555555;
  return x;
}

function compact16(v: number): number {
  let x = v & 0x55555555;
  x = (x | (x >>> 1)) & 0x33333333;
  x = (x | (x >>> 2)) & 0x0f0f0f0f;
  x = (x | (x >>> 4)) & 0x00ff00ff;
  x = (x | (x >>> 8)) & 0x0000ffff;
  return x;
}

/** interleave64's high and low 32-bit words (latitude bits even, longitude bits odd). */
let IL_HI = 0;
let IL_LO = 0;
function interleave64(lat: number, lon: number): void {
  IL_LO = (spread16(lat) | (spread16(lon) << 1)) >>> 0;
  IL_HI = (spread16(lat >>> 16) | (spread16(lon >>> 16) << 1)) >>> 0;
}

/** The interleaved cell number as a double (exact below 2^53; correctly rounded above). */
function interleaved(lat: number, lon: number): number {
  interleave64(lat, lon);
  return IL_HI * TWO_32 + IL_LO;
}

// ---- Cells ---------------------------------------------------------------------------------------

/** A geohash cell: latitude and longitude indexes at `step` bits each. step 0 = GZERO (unused). */
export interface Cell {
  lat: number;
  lon: number;
  step: number;
}

/** A decoded area (geohashDecode). */
interface Area {
  latMin: number;
  latMax: number;
  lonMin: number;
  lonMax: number;
}

/**
 * geohashEncode's fixed-point conversion: the cell indexes at `step` of a point, over the given
 * ranges, or null outside them (Redis returns 0 and leaves the hash zero).
 */
function encodeCell(lon: number, lat: number, step: number, latMin: number, latMax: number, lonMin: number, lonMax: number): Cell | null {
  if (lon > GEO_LONG_MAX || lon < GEO_LONG_MIN || lat > GEO_LAT_MAX || lat < GEO_LAT_MIN) return null;
  if (lat < latMin || lat > latMax || lon < lonMin || lon > lonMax) return null;
  let latOff = (lat - latMin) / (latMax - latMin);
  let lonOff = (lon - lonMin) / (lonMax - lonMin);
  const scale = 2 ** step;
  latOff *= scale;
  lonOff *= scale;
  // The implicit double → uint32_t conversion truncates (the offsets are in [0, 2^step]).
  return { lat: Math.trunc(latOff) >>> 0, lon: Math.trunc(lonOff) >>> 0, step };
}

function decodeCell(c: Cell): Area {
  const scale = 2 ** c.step;
  return {
    latMin: GEO_LAT_MIN + (c.lat * 1.0 / scale) * LAT_SCALE,
    latMax: GEO_LAT_MIN + (((c.lat + 1) >>> 0) * 1.0 / scale) * LAT_SCALE,
    lonMin: GEO_LONG_MIN + (c.lon * 1.0 / scale) * LONG_SCALE,
    lonMax: GEO_LONG_MIN + (((c.lon + 1) >>> 0) * 1.0 / scale) * LONG_SCALE,
  };
}

// ---- Scores --------------------------------------------------------------------------------------

/**
 * The score GEOADD stores for a valid longitude/latitude: the step-26 cell, interleaved. Returned
 * as the exact decimal integer (the text Redis hands to ZADD, which then parses it as a double).
 */
export function encodeScoreText(lon: number, lat: number): string {
  const c = encodeCell(lon, lat, GEO_STEP_MAX, GEO_LAT_MIN, GEO_LAT_MAX, GEO_LONG_MIN, GEO_LONG_MAX)!;
  interleave64(c.lat, c.lon);
  if (IL_HI < 0x200000) return String(IL_HI * TWO_32 + IL_LO);
  return ((BigInt(IL_HI) << 32n) + BigInt(IL_LO)).toString();
}

let U64_HI = 0;
let U64_LO = 0;
/** `(uint64_t)score` as gcc compiles it for x86-64 (cvttsd2si, with the 2^63 adjustment). */
function toUint64(score: number): void {
  if (score >= 0 && score < 9007199254740992) {
    const t = Math.trunc(score);
    U64_HI = Math.floor(t / TWO_32);
    U64_LO = t - U64_HI * TWO_32;
    return;
  }
  if (Number.isNaN(score) || score >= 18446744073709551616 || score <= -9223372036854775808) {
    // cvttsd2si's "integer indefinite" (2^63), and for the adjusted path 2^63 xor 2^63 = 0.
    U64_HI = score >= 18446744073709551616 ? 0 : 0x80000000;
    U64_LO = 0;
    return;
  }
  let b = BigInt(Math.trunc(score));
  if (b < 0n) b += 1n << 64n;
  U64_HI = Number(b >> 32n);
  U64_LO = Number(b & 0xffffffffn);
}

/** decodeGeohash's result: longitude and latitude of the last decoded score. */
export const XY = new Float64Array(2);

/** decodeGeohash(score, xy): the centre of the score's step-26 cell, clamped, into XY. */
export function decodeScore(score: number): void {
  toUint64(score);
  const hi = U64_HI;
  const lo = U64_LO;
  const ilato = (compact16(lo) | (compact16(hi) << 16)) >>> 0;
  const ilono = (compact16(lo >>> 1) | (compact16(hi >>> 1) << 16)) >>> 0;
  const scale = 67108864; // 2^26
  const latMin = GEO_LAT_MIN + (ilato * 1.0 / scale) * LAT_SCALE;
  const latMax = GEO_LAT_MIN + (((ilato + 1) >>> 0) * 1.0 / scale) * LAT_SCALE;
  const lonMin = GEO_LONG_MIN + (ilono * 1.0 / scale) * LONG_SCALE;
  const lonMax = GEO_LONG_MIN + (((ilono + 1) >>> 0) * 1.0 / scale) * LONG_SCALE;
  let x = (lonMin + lonMax) / 2;
  if (x > GEO_LONG_MAX) x = GEO_LONG_MAX;
  if (x < GEO_LONG_MIN) x = GEO_LONG_MIN;
  let y = (latMin + latMax) / 2;
  if (y > GEO_LAT_MAX) y = GEO_LAT_MAX;
  if (y < GEO_LAT_MIN) y = GEO_LAT_MIN;
  XY[0] = x;
  XY[1] = y;
}

const GEOALPHABET = '0123456789bcdefghjkmnpqrstuvwxyz';

/**
 * GEOHASH's 11-character string for a score: decode, re-encode over the standard [-90, 90]
 * latitude range at step 26, then 5 bits per character (the 11th is always '0').
 */
export function geohashString(score: number): string {
  decodeScore(score);
  const c = encodeCell(XY[0], XY[1], 26, -90, 90, -180, 180);
  // encodeCell cannot fail here: the decoded point is inside both ranges.
  interleave64(c!.lat, c!.lon);
  const bits = (BigInt(IL_HI) << 32n) | BigInt(IL_LO);
  let out = '';
  for (let i = 0; i < 10; i++) out += GEOALPHABET[Number((bits >> BigInt(52 - (i + 1) * 5)) & 0x1fn)];
  return out + '0';
}

// ---- Distances -----------------------------------------------------------------------------------

/** geohashGetDistance: haversine great-circle distance in meters, as redis-server computes it. */
export function geoDistance(lon1d: number, lat1d: number, lon2d: number, lat2d: number): number {
  const lat1r = lat1d * D_R;
  const lon1r = lon1d * D_R;
  const lat2r = lat2d * D_R;
  const lon2r = lon2d * D_R;
  const u = crSin((lat2r - lat1r) / 2);
  const v = crSin((lon2r - lon1r) / 2);
  return 2.0 * EARTH_RADIUS_IN_METERS * crAsin(Math.sqrt(u * u + crCos(lat1r) * crCos(lat2r) * v * v));
}

/**
 * Relative distance between geoDistanceFast and geoDistance beyond which the fast value decides
 * alone (a comparison, an ordering, a rounding). V8's sin/cos/asin are within an ulp, and the
 * fast path defers to the exact one where asin's slope would amplify that (a > 0.99), so the two
 * agree to ~1e-14; 1e-11 leaves a wide margin.
 */
export const FAST_TOLERANCE = 1e-11;

/** geoDistance with V8's Math functions: ~10x faster, within FAST_TOLERANCE of it. */
export function geoDistanceFast(lon1d: number, lat1d: number, lon2d: number, lat2d: number): number {
  const lat1r = lat1d * D_R;
  const lon1r = lon1d * D_R;
  const lat2r = lat2d * D_R;
  const lon2r = lon2d * D_R;
  const u = Math.sin((lat2r - lat1r) / 2);
  const v = Math.sin((lon2r - lon1r) / 2);
  const a = u * u + Math.cos(lat1r) * Math.cos(lat2r) * v * v;
  if (!(a <= 0.99)) return geoDistance(lon1d, lat1d, lon2d, lat2d);
  return 2.0 * EARTH_RADIUS_IN_METERS * Math.asin(Math.sqrt(a));
}

/** Whether the fast distance `d` decides `d > limit` the same way the exact one does. */
export function fastDecides(d: number, limit: number): boolean {
  return Math.abs(d - limit) > FAST_TOLERANCE * Math.abs(limit);
}

// ---- Search areas --------------------------------------------------------------------------------

/** A search shape (Redis's GeoShape): centre, radius or box, and the unit's meters. */
export interface GeoShape {
  lon: number;
  lat: number;
  /** true: a circle of `radius`; false: a `width` × `height` box. In the unit. */
  circle: boolean;
  radius: number;
  width: number;
  height: number;
  conversion: number;
}

export function estimateStepsByRadius(rangeMeters: number, lat: number): number {
  if (rangeMeters === 0) return 26;
  let step = 1;
  let r = rangeMeters;
  while (r < MERCATOR_MAX) {
    r *= 2;
    step++;
  }
  step -= 2;
  if (lat > 66 || lat < -66) {
    step--;
    if (lat > 80 || lat < -80) step--;
  }
  if (step < 1) step = 1;
  if (step > 26) step = 26;
  return step;
}

/** geohashBoundingBox: [minLon, minLat, maxLon, maxLat]. */
function boundingBox(s: GeoShape): [number, number, number, number] {
  const height = s.conversion * (s.circle ? s.radius : s.height / 2);
  const width = s.conversion * (s.circle ? s.radius : s.width / 2);
  const latDelta = height / EARTH_RADIUS_IN_METERS / D_R;
  const lonDeltaTop = width / EARTH_RADIUS_IN_METERS / crCos((s.lat + latDelta) * D_R) / D_R;
  const lonDeltaBottom = width / EARTH_RADIUS_IN_METERS / crCos((s.lat - latDelta) * D_R) / D_R;
  const southern = s.lat < 0;
  return [
    southern ? s.lon - lonDeltaBottom : s.lon - lonDeltaTop,
    s.lat - latDelta,
    southern ? s.lon + lonDeltaBottom : s.lon + lonDeltaTop,
    s.lat + latDelta,
  ];
}

function neighbour(c: Cell, dLon: number, dLat: number): Cell {
  const mask = 2 ** c.step;
  const lon = dLon === 0 ? c.lon : (c.lon + dLon + mask) % mask;
  const lat = dLat === 0 ? c.lat : (c.lat + dLat + mask) % mask;
  return { lat, lon, step: c.step };
}

/** The 9 cells, in Redis's order: centre, N, S, E, W, NE, NW, SE, SW. */
function neighbours(c: Cell): Cell[] {
  return [
    c,
    neighbour(c, 0, 1),
    neighbour(c, 0, -1),
    neighbour(c, 1, 0),
    neighbour(c, -1, 0),
    neighbour(c, 1, 1),
    neighbour(c, -1, 1),
    neighbour(c, 1, -1),
    neighbour(c, -1, -1),
  ];
}

const ZERO: Cell = { lat: 0, lon: 0, step: 0 };

/** geohashCalculateAreasByShapeWGS84: the centre cell and its 8 neighbours (ZERO = skipped). */
export function areasByShape(s: GeoShape): Cell[] {
  const [minLon, minLat, maxLon, maxLat] = boundingBox(s);
  let radiusMeters = s.circle ? s.radius : Math.sqrt((s.width / 2) * (s.width / 2) + (s.height / 2) * (s.height / 2));
  radiusMeters *= s.conversion;
  let steps = estimateStepsByRadius(radiusMeters, s.lat);
  let hash = encodeCell(s.lon, s.lat, steps, GEO_LAT_MIN, GEO_LAT_MAX, GEO_LONG_MIN, GEO_LONG_MAX) ?? { lat: 0, lon: 0, step: steps };
  let n = neighbours(hash);
  let area = decodeCell(hash);
  const north = decodeCell(n[1]);
  const south = decodeCell(n[2]);
  const east = decodeCell(n[3]);
  const west = decodeCell(n[4]);
  const decrease = north.latMax < maxLat || south.latMin > minLat || east.lonMax < maxLon || west.lonMin > minLon;
  if (steps > 1 && decrease) {
    steps--;
    hash = encodeCell(s.lon, s.lat, steps, GEO_LAT_MIN, GEO_LAT_MAX, GEO_LONG_MIN, GEO_LONG_MAX) ?? { lat: 0, lon: 0, step: steps };
    n = neighbours(hash);
    area = decodeCell(hash);
  }
  if (steps >= 2) {
    if (area.latMin < minLat) n[2] = n[8] = n[7] = ZERO; // S SW SE
    if (area.latMax > maxLat) n[1] = n[5] = n[6] = ZERO; // N NE NW
    if (area.lonMin < minLon) n[4] = n[8] = n[6] = ZERO; // W SW NW
    if (area.lonMax > maxLon) n[3] = n[7] = n[5] = ZERO; // E SE NE
  }
  return n;
}

/** scoresOfGeoHashBox: the cell's score range [min, max). */
export function cellScoreRange(c: Cell): [number, number] {
  const shift = 2 ** (52 - c.step * 2);
  const bits = interleaved(c.lat, c.lon);
  return [bits * shift, (bits + 1) * shift];
}

// ---- Result ordering -----------------------------------------------------------------------------

/**
 * Redis's pqsort (NetBSD qsort with partial ranges): sorts enough of `a` that positions lo..hi
 * hold what a full sort would put there. Unstable, and ported as is so that ties among equal
 * distances come out in Redis's order under COUNT.
 */
export function pqsort<T>(a: T[], cmp: (x: T, y: T) => number, lrange: number, rrange: number): void {
  pqsortRange(a, 0, a.length, cmp, lrange, rrange);
}

function med3<T>(arr: T[], a: number, b: number, c: number, cmp: (x: T, y: T) => number): number {
  return cmp(arr[a], arr[b]) < 0
    ? cmp(arr[b], arr[c]) < 0
      ? b
      : cmp(arr[a], arr[c]) < 0
        ? c
        : a
    : cmp(arr[b], arr[c]) > 0
      ? b
      : cmp(arr[a], arr[c]) < 0
        ? a
        : c;
}

function swap<T>(arr: T[], i: number, j: number): void {
  const t = arr[i];
  arr[i] = arr[j];
  arr[j] = t;
}

function vecswap<T>(arr: T[], i: number, j: number, n: number): void {
  for (let k = 0; k < n; k++) swap(arr, i + k, j + k);
}

function pqsortRange<T>(arr: T[], start: number, count: number, cmp: (x: T, y: T) => number, lrange: number, rrange: number): void {
  let a = start;
  let n = count;
  for (;;) {
    if (n < 7) {
      for (let pm = a + 1; pm < a + n; pm++) {
        for (let pl = pm; pl > a && cmp(arr[pl - 1], arr[pl]) > 0; pl--) swap(arr, pl, pl - 1);
      }
      return;
    }
    let pm = a + (n >>> 1);
    if (n > 7) {
      let pl = a;
      let pn = a + n - 1;
      if (n > 40) {
        const d = n >>> 3;
        pl = med3(arr, pl, pl + d, pl + 2 * d, cmp);
        pm = med3(arr, pm - d, pm, pm + d, cmp);
        pn = med3(arr, pn - 2 * d, pn - d, pn, cmp);
      }
      pm = med3(arr, pl, pm, pn, cmp);
    }
    swap(arr, a, pm);
    let pa = a + 1;
    let pb = pa;
    let pc = a + n - 1;
    let pd = pc;
    for (;;) {
      let r: number;
      while (pb <= pc && (r = cmp(arr[pb], arr[a])) <= 0) {
        if (r === 0) {
          swap(arr, pa, pb);
          pa++;
        }
        pb++;
      }
      while (pb <= pc && (r = cmp(arr[pc], arr[a])) >= 0) {
        if (r === 0) {
          swap(arr, pc, pd);
          pd--;
        }
        pc--;
      }
      if (pb > pc) break;
      swap(arr, pb, pc);
      pb++;
      pc--;
    }
    const pn = a + n;
    let r = Math.min(pa - a, pb - pa);
    vecswap(arr, a, pb - r, r);
    r = Math.min(pd - pc, pn - pd - 1);
    vecswap(arr, pb, pn - r, r);
    if ((r = pb - pa) > 1) {
      const l = a;
      const rr = a + r - 1;
      if (!((lrange < l && rrange < l) || (lrange > rr && rrange > rr))) pqsortRange(arr, a, r, cmp, lrange, rrange);
    }
    if ((r = pd - pc) > 1) {
      a = pn - r;
      n = r;
      const l = a;
      const rr = a + r - 1;
      if (!((lrange < l && rrange < l) || (lrange > rr && rrange > rr))) continue;
    }
    return;
  }
}
