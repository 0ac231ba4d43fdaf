// Redis glob matching (stringmatchlen): `*`, `?`, `[abc]`, `[^a]`, `[a-z]`, `\x` escapes.
// Used by KEYS, SCAN/HSCAN/SSCAN/ZSCAN MATCH, PSUBSCRIBE, PUBSUB CHANNELS and CONFIG GET.

export function globMatch(pattern: string, str: string, nocase = false): boolean {
  return match(pattern, 0, str, 0, nocase, 0);
}

function eq(a: string, b: string, nocase: boolean): boolean {
  return nocase ? a.toLowerCase() === b.toLowerCase() : a === b;
}

function match(p: string, pi: number, s: string, si: number, nocase: boolean, depth: number): boolean {
  if (depth > 1000) return false; // like Redis's nesting cap against pathological patterns
  const plen = p.length;
  const slen = s.length;
  while (pi < plen && si <= slen) {
    const c = p[pi];
    if (c === '*') {
      while (pi + 1 < plen && p[pi + 1] === '*') pi++;
      if (pi + 1 === plen) return true;
      for (let k = si; k <= slen; k++) {
        if (match(p, pi + 1, s, k, nocase, depth + 1)) return true;
      }
      return false;
    }
    if (si >= slen) return false;
    if (c === '?') {
      si++;
      pi++;
      continue;
    }
    if (c === '[') {
      pi++;
      const not = p[pi] === '^';
      if (not) pi++;
      let matched = false;
      while (pi < plen && p[pi] !== ']') {
        if (p[pi] === '\\' && pi + 1 < plen) {
          pi++;
          if (eq(p[pi], s[si], nocase)) matched = true;
        } else if (pi + 2 < plen && p[pi + 1] === '-') {
          let lo = p[pi];
          let hi = p[pi + 2];
          let ch = s[si];
          if (lo > hi) [lo, hi] = [hi, lo];
          if (nocase) {
            lo = lo.toLowerCase();
            hi = hi.toLowerCase();
            ch = ch.toLowerCase();
          }
          if (ch >= lo && ch <= hi) matched = true;
          pi += 2;
        } else if (eq(p[pi], s[si], nocase)) {
          matched = true;
        }
        pi++;
      }
      if (not) matched = !matched;
      if (!matched) return false;
      pi++; // skip ']'
      si++;
      continue;
    }
    if (c === '\\' && pi + 1 < plen) pi++;
    if (!eq(p[pi], s[si], nocase)) return false;
    pi++;
    si++;
  }
  while (pi < plen && p[pi] === '*') pi++;
  return pi === plen && si === slen;
}
