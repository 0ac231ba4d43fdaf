// Number parsing and formatting with Redis's rules (string2ll, strtold-style doubles, %.17Lf
// "human" output for INCRBYFLOAT/HINCRBYFLOAT). Byte strings are latin1 JS strings.

export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;

const INT_RE = /^-?[1-9][0-9]*$|^0$/;

/** Strict signed 64-bit integer like Redis's string2ll: no spaces, no '+', no leading zeros. */
export function parseInt64(s: string): bigint | null {
  if (s.length === 0 || s.length > 20 || !INT_RE.test(s)) return null;
  const v = BigInt(s);
  if (v < INT64_MIN || v > INT64_MAX) return null;
  return v;
}

/** Fast path for arguments that must be integers (counts, indexes, TTLs): a JS number or null. */
export function parseIntArg(s: string): number | null {
  if (s.length < 16) {
    if (!INT_RE.test(s)) return null;
    return Number(s);
  }
  const v = parseInt64(s);
  return v === null ? null : Number(v);
}

const FLOAT_RE = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A double like Redis's strtod-based parsing: inf/-inf/+inf accepted, nan and spaces rejected. */
export function parseDouble(s: string): number | null {
  if (FLOAT_RE.test(s)) return Number(s);
  const l = s.toLowerCase();
  if (l === 'inf' || l === '+inf' || l === 'infinity' || l === '+infinity') return Infinity;
  if (l === '-inf' || l === '-infinity') return -Infinity;
  return null;
}


// ---- Exact 64-bit integers without regexes (INCR family hot path) ---------------------------------

const TWO53 = 2 ** 53;

/**
 * Parse a signed 64-bit integer with Redis's string2ll rules (no spaces, no '+', no leading zeros,
 * "-0" rejected, at most 20 characters). Returns a JS number when it is a safe integer, a bigint
 * otherwise, or null. Hand-rolled: no regex, no allocation for the common short case.
 */
export function parseLongLong(s: string): number | bigint | null {
  const len = s.length;
  if (len === 0 || len > 20) return null;
  let i = 0;
  let neg = false;
  if (s.charCodeAt(0) === 45 /* - */) {
    neg = true;
    i = 1;
    if (len === 1) return null;
  }
  let c = s.charCodeAt(i);
  if (c === 48 /* 0 */) return len === 1 ? 0 : null;
  if (c < 49 || c > 57) return null;
  let v = 0;
  for (; i < len; i++) {
    c = s.charCodeAt(i);
    if (c < 48 || c > 57) return null;
    v = v * 10 + (c - 48);
  }
  if (v < TWO53) return neg ? -v : v;
  const b = BigInt(s);
  if (b < INT64_MIN || b > INT64_MAX) return null;
  return b;
}

/** a + b as a signed 64-bit integer (number when safe, bigint otherwise), or null on overflow. */
export function addInt64(a: number | bigint, b: number | bigint): number | bigint | null {
  if (typeof a === 'number' && typeof b === 'number') {
    const r = a + b;
    if (r > -TWO53 && r < TWO53) return r;
  }
  const r = BigInt(a) + BigInt(b);
  if (r < INT64_MIN || r > INT64_MAX) return null;
  return r >= -9007199254740991n && r <= 9007199254740991n ? Number(r) : r;
}

// ---- C `long double` (x87 80-bit extended) emulation for INCRBYFLOAT / HINCRBYFLOAT ---------------
//
// Redis computes INCRBYFLOAT in `long double` (64-bit mantissa on x86-64) and prints the result
// with "%.17Lf", trailing zeros removed. Doubles give different digits (0.1 + 0.2, 1.2345678901234567,
// 1e300 …), so we emulate the format exactly with BigInt arithmetic: strtold-style parsing with
// correct rounding to 64 significant bits, exact addition rounded the same way (round half to
// even), and exact decimal printing. Values are small objects; this is not a hot path.

/** A long double: ±m·2^e with m < 2^64 (m = 0 is zero), or ±infinity. */
export interface LongDouble {
  neg: boolean;
  m: bigint;
  e: number;
  inf: boolean;
}

/** Lowest bit position of an x87 extended subnormal (2^-16445). */
const LD_MIN_EXP = -16445;
/** Values with a bit at or above 2^16384 overflow to infinity. */
const LD_MAX_BITS = 16384;
/** Redis's MAX_LONG_DOUBLE_CHARS: longer inputs are rejected by string2ld. */
const MAX_LONG_DOUBLE_CHARS = 5 * 1024;

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/**
 * Round the exact value ±(m + sticky·ε)·2^e (ε: some positive amount below one unit of m) to the
 * long double grid with round-half-even. `underflow` tells the parser that a non-zero value
 * rounded to zero (strtold's ERANGE).
 */
function ldRound(neg: boolean, m: bigint, e: number, sticky = false): LongDouble & { underflow: boolean } {
  if (m === 0n) return { neg, m: 0n, e: 0, inf: false, underflow: sticky };
  const bl = bitLength(m);
  let shift = Math.max(bl - 64, LD_MIN_EXP - e);
  if (shift > 0) {
    if (shift > bl) return { neg, m: 0n, e: 0, inf: false, underflow: true };
    const sh = BigInt(shift);
    let q = m >> sh;
    const rem = m - (q << sh);
    const half = 1n << (sh - 1n);
    if (rem > half || (rem === half && (sticky || (q & 1n) === 1n))) q += 1n;
    if (q >> 64n) {
      q >>= 1n;
      shift++;
    }
    m = q;
    e += shift;
    if (m === 0n) return { neg, m: 0n, e: 0, inf: false, underflow: true };
  }
  if (e + bitLength(m) > LD_MAX_BITS) return { neg, m: 0n, e: 0, inf: true, underflow: false };
  return { neg, m, e, inf: false, underflow: false };
}

const LD_DEC_RE = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/;
const LD_HEX_RE = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/;
const LD_INF_RE = /^([+-]?)(?:inf|infinity)$/i;

/**
 * Parse like Redis's string2ld (strtold, whole string, no leading space, NaN and out-of-range
 * results rejected). Accepts decimal and hex floats and inf/infinity. Returns null when invalid.
 */
export function parseLongDouble(s: string): LongDouble | null {
  if (s.length === 0 || s.length >= MAX_LONG_DOUBLE_CHARS) return null;
  let r = LD_DEC_RE.exec(s);
  if (r) {
    const intPart = r[2];
    const frac = r[3] ?? '';
    if (intPart.length + frac.length === 0) return null;
    const neg = r[1] === '-';
    let digits = (intPart + frac).replace(/^0+/, '');
    if (digits.length === 0) return { neg, m: 0n, e: 0, inf: false };
    let exp10 = (r[4] === undefined ? 0 : Number(r[4])) - frac.length;
    const tz = digits.length - digits.replace(/0+$/, '').length;
    if (tz > 0) {
      digits = digits.slice(0, digits.length - tz);
      exp10 += tz;
    }
    // Magnitude is in [10^(mag-1), 10^mag): settle hopeless exponents without huge BigInts.
    const mag = digits.length + exp10;
    if (mag > 4934) return null; // overflow: HUGE_VALL, ERANGE
    if (mag < -4952) return null; // underflow to zero, ERANGE
    const d = BigInt(digits);
    let out: LongDouble & { underflow: boolean };
    if (exp10 >= 0) {
      out = ldRound(neg, d * 10n ** BigInt(exp10), 0);
    } else {
      const p = 10n ** BigInt(-exp10);
      const s2 = Math.max(0, 68 + bitLength(p) - bitLength(d));
      const num = d << BigInt(s2);
      const q = num / p;
      out = ldRound(neg, q, -s2, q * p !== num);
    }
    if (out.inf || out.underflow) return null;
    return { neg: out.neg, m: out.m, e: out.e, inf: false };
  }
  r = LD_HEX_RE.exec(s);
  if (r) {
    const intPart = r[2];
    const frac = r[3] ?? '';
    if (intPart.length + frac.length === 0) return null;
    const neg = r[1] === '-';
    const m = BigInt('0x0' + intPart + frac);
    if (m === 0n) return { neg, m: 0n, e: 0, inf: false };
    const p = r[4] === undefined ? 0 : Number(r[4]);
    if (p > 20000) return null;
    if (p < -20000) return null;
    const out = ldRound(neg, m, p - 4 * frac.length);
    if (out.inf || out.underflow) return null;
    return { neg: out.neg, m: out.m, e: out.e, inf: false };
  }
  r = LD_INF_RE.exec(s);
  if (r) return { neg: r[1] === '-', m: 0n, e: 0, inf: true };
  return null;
}

/** a + b rounded to long double; null when the result is NaN (inf + -inf). */
export function addLongDouble(a: LongDouble, b: LongDouble): LongDouble | null {
  if (a.inf || b.inf) {
    if (a.inf && b.inf && a.neg !== b.neg) return null;
    return a.inf ? a : b;
  }
  if (a.m === 0n) return b.m === 0n ? { neg: a.neg && b.neg, m: 0n, e: 0, inf: false } : b;
  if (b.m === 0n) return a;
  const e = Math.min(a.e, b.e);
  const x = (a.neg ? -a.m : a.m) << BigInt(a.e - e);
  const y = (b.neg ? -b.m : b.m) << BigInt(b.e - e);
  const sum = x + y;
  if (sum === 0n) return { neg: false, m: 0n, e: 0, inf: false };
  const r = ldRound(sum < 0n, sum < 0n ? -sum : sum, e);
  return { neg: r.neg, m: r.m, e: r.e, inf: r.inf };
}

/**
 * Redis's ld2string(LD_STR_HUMAN): printf("%.17Lf") (exact decimal expansion, round half to even),
 * then trailing zeros and a trailing '.' removed, and "-0" turned into "0".
 */
export function formatLongDoubleHuman(x: LongDouble): string {
  if (x.inf) return x.neg ? '-inf' : 'inf';
  const SCALE = 10n ** 17n;
  let q: bigint;
  if (x.e >= 0) {
    q = (x.m << BigInt(x.e)) * SCALE;
  } else {
    const num = x.m * SCALE;
    const sh = BigInt(-x.e);
    q = num >> sh;
    const rem = num - (q << sh);
    const half = 1n << (sh - 1n);
    if (rem > half || (rem === half && (q & 1n) === 1n)) q += 1n;
  }
  const ip = q / SCALE;
  const frac = (q % SCALE).toString().padStart(17, '0').replace(/0+$/, '');
  let out = ip.toString();
  if (frac.length > 0) out += '.' + frac;
  if (x.neg && out !== '0') out = '-' + out;
  return out;
}

/**
 * INCRBYFLOAT's arithmetic on stored text: `current` (null when the key is missing, meaning 0) plus
 * `incr`, formatted like Redis. Returns 'notfloat' when either does not parse, 'naninf' when the
 * result is not finite.
 */
export function incrByFloatText(current: string | null, incr: string): string | 'notfloat' | 'naninf' {
  const a = current === null ? { neg: false, m: 0n, e: 0, inf: false } : parseLongDouble(current);
  if (a === null) return 'notfloat';
  const b = parseLongDouble(incr);
  if (b === null) return 'notfloat';
  const sum = addLongDouble(a, b);
  if (sum === null || sum.inf) return 'naninf';
  return formatLongDoubleHuman(sum);
}
