// sin, cos and asin rounded to the nearest double, for results that must match redis-server's
// bit for bit (the GEO distances, src/keyspace/geohash.ts).
//
// Why not Math.sin: V8 ports fdlibm, whose results are within one ulp but differ from glibc's in
// the last bit for a few percent of arguments (measured: ~3% for sin/cos, ~6% for asin on the
// ranges the haversine uses). glibc's libm — what redis-server links — returns the correctly
// rounded value for all but about one argument in a thousand. Computing each value to ~100 bits
// with double-double arithmetic and rounding once gives the correctly rounded result, and so
// glibc's, except in those rare cases.
//
// Method: reduction by π/2 with a three-part constant (fdlibm's pio2_1/2/3, exact products for
// small quotients), then the Taylor series of sin or cos on |r| ≤ π/4 evaluated by Horner's rule:
// the first six coefficients (which carry the precision) in double-double, the small tail in plain
// doubles. asin takes Math.asin as the first guess and corrects it with one Newton step whose
// residual y − sin(t) is computed in double-double. Cost: about 1 µs a call (V8's: ~0.05 µs). Arguments beyond ±2^19·π/2 (never produced by
// the geo code) fall back to Math.*.

// ---- Double-double arithmetic (results in H, L) -------------------------------------------------

let H = 0;
let L = 0;

const SPLITTER = 134217729; // 2^27 + 1

function twoProd(a: number, b: number): void {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  H = p;
  L = ah * bh - p + ah * bl + al * bh + al * bl;
}

/** (ah, al) · (bh, bl) → H, L. */
function ddMul(ah: number, al: number, bh: number, bl: number): void {
  twoProd(ah, bh);
  const p = H;
  const e = L + (ah * bl + al * bh);
  H = p + e;
  L = e - (H - p);
}

/** (ah, al) + (bh, bl) → H, L. */
function ddAdd(ah: number, al: number, bh: number, bl: number): void {
  let s = ah + bh;
  let bb = s - ah;
  let e = ah - (s - bb) + (bh - bb);
  const t = al + bl;
  bb = t - al;
  const f = al - (t - bb) + (bl - bb);
  e += t;
  let h = s + e;
  e = e - (h - s);
  s = h;
  e += f;
  h = s + e;
  L = e - (h - s);
  H = h;
}

// ---- Coefficients: ±1/n! as double-doubles, from exact rationals ---------------------------------

function factorial(n: number): bigint {
  let f = 1n;
  for (let i = 2n; i <= BigInt(n); i++) f *= i;
  return f;
}

/** 1/n! as [hi, lo]. */
function invFactorial(n: number): [number, number] {
  const SCALE = 2n ** 240n;
  const q = SCALE / factorial(n);
  const hi = Number(q) * 2 ** -240;
  const rest = q - BigInt(hi * 2 ** 240);
  return [hi, Number(rest) * 2 ** -240];
}

const DD_TERMS = 6;
const TAIL_TERMS = 9;
/** sin(r)/r = Σ (-1)^n r^2n / (2n+1)!; cos(r) = Σ (-1)^n r^2n / (2n)!. */
const SIN_HI: number[] = [];
const SIN_LO: number[] = [];
const COS_HI: number[] = [];
const COS_LO: number[] = [];
const SIN_TAIL: number[] = [];
const COS_TAIL: number[] = [];
for (let n = 0; n < DD_TERMS + TAIL_TERMS; n++) {
  const sign = n % 2 === 0 ? 1 : -1;
  const [sh, sl] = invFactorial(2 * n + 1);
  const [ch, cl] = invFactorial(2 * n);
  if (n < DD_TERMS) {
    SIN_HI.push(sign * sh);
    SIN_LO.push(sign * sl);
    COS_HI.push(sign * ch);
    COS_LO.push(sign * cl);
  } else {
    SIN_TAIL.push(sign * sh);
    COS_TAIL.push(sign * ch);
  }
}

/** Σ c_n x^n for the double-double x = (xh, xl), the coefficients split as above → H, L. */
function series(xh: number, xl: number, hi: number[], lo: number[], tail: number[]): void {
  let t = tail[tail.length - 1];
  for (let i = tail.length - 2; i >= 0; i--) t = tail[i] + xh * t;
  // The tail starts at x^DD_TERMS: fold it into the top double-double coefficient.
  ddMul(t, 0, xh, xl);
  ddAdd(hi[DD_TERMS - 1], lo[DD_TERMS - 1], H, L);
  for (let i = DD_TERMS - 2; i >= 0; i--) {
    ddMul(H, L, xh, xl);
    ddAdd(hi[i], lo[i], H, L);
  }
}

// ---- Reduction by π/2 ----------------------------------------------------------------------------

const PIO2_1 = 1.57079632673412561417e0; // first 33 bits of π/2
const PIO2_2 = 6.07710050630396597660e-11; // next 33 bits
const PIO2_3 = 2.02226624871116645580e-21; // next 33 bits
const PIO2_3T = 8.47842766036889956997e-32; // π/2 − (PIO2_1 + PIO2_2 + PIO2_3)
const INV_PIO2 = 6.36619772367581382433e-1;
const MAX_REDUCE = 823549.6; // 2^19 · π/2: k·PIO2_x stays exact below this

let QUAD = 0;
/** x − k·π/2 in double-double (→ H, L) with |result| ≲ π/4; the quadrant k mod 4 in QUAD. */
function reduce(x: number): void {
  const k = Math.round(x * INV_PIO2);
  QUAD = ((k % 4) + 4) % 4;
  if (k === 0) {
    H = x;
    L = 0;
    return;
  }
  const t = x - k * PIO2_1; // exact (Sterbenz)
  ddAdd(t, 0, -k * PIO2_2, 0);
  ddAdd(H, L, -k * PIO2_3, 0);
  ddAdd(H, L, -k * PIO2_3T, 0);
}

/** sin or cos of the reduced argument (H, L), as selected → H, L. */
function kernel(useCos: boolean): void {
  const rh = H;
  const rl = L;
  ddMul(rh, rl, rh, rl);
  const x2h = H;
  const x2l = L;
  if (useCos) series(x2h, x2l, COS_HI, COS_LO, COS_TAIL);
  else {
    series(x2h, x2l, SIN_HI, SIN_LO, SIN_TAIL);
    ddMul(H, L, rh, rl);
  }
}

/** sin(x) in double-double → H, L. */
function ddSin(x: number): void {
  reduce(x);
  const q = QUAD;
  kernel(q === 1 || q === 3);
  if (q >= 2) {
    H = -H;
    L = -L;
  }
}

/** cos(x) in double-double → H, L. */
function ddCos(x: number): void {
  reduce(x);
  const q = QUAD;
  kernel(q === 0 || q === 2);
  if (q === 1 || q === 2) {
    H = -H;
    L = -L;
  }
}

// ---- The functions -------------------------------------------------------------------------------

export function crSin(x: number): number {
  if (!(Math.abs(x) < MAX_REDUCE)) return Math.sin(x);
  if (Math.abs(x) < 1e-8) return Math.sin(x); // sin x = x − x³/6: fdlibm returns x, rounded right
  ddSin(x);
  return H + L;
}

export function crCos(x: number): number {
  if (!(Math.abs(x) < MAX_REDUCE)) return Math.cos(x);
  ddCos(x);
  return H + L;
}

export function crAsin(y: number): number {
  if (!(y > -1 && y < 1) || y === 0) return Math.asin(y); // ±1, 0, NaN, out of range: exact cases
  if (Math.abs(y) < 1e-8) return Math.asin(y);
  const t0 = Math.asin(y);
  ddSin(t0);
  ddAdd(y, 0, -H, -L);
  const residual = H + L;
  // The derivative only scales the tiny correction: V8's cos (within an ulp) is precise enough.
  return t0 + residual / Math.cos(t0);
}
