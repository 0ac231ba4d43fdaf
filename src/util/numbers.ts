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

/**
 * Format a double the way Redis prints INCRBYFLOAT results (long double, "%.17Lf" with trailing
 * zeros removed). We compute in doubles, so we print 15 significant digits, which reproduces Redis's
 * output for the values people use (0.1 + 0.2 → "0.3"), and exact integers in full.
 */
export function formatHumanDouble(d: number): string {
  if (Number.isInteger(d)) {
    if (Math.abs(d) < 1e21) return BigInt(d).toString();
  }
  let s = d.toPrecision(15);
  if (s.includes('e')) {
    const exp = Number(s.split('e')[1]);
    s = exp < 0 ? d.toFixed(Math.min(100, 17)) : BigInt(Math.round(d)).toString();
  }
  if (s.includes('.')) s = s.replace(/0+$/, '').replace(/\.$/, '');
  if (s === '-0') s = '0';
  return s;
}
