// Redis glob matching (stringmatchlen): `*`, `?`, `[abc]`, `[^a]`, `[a-z]`, `\x` escapes.
// Used by KEYS, SCAN/HSCAN/SSCAN/ZSCAN MATCH, PSUBSCRIBE, PUBSUB CHANNELS and CONFIG GET.
//
// A faithful port of Redis 7.0's stringmatchlen_impl, quirks included (checked against redis-server
// 7.0.15 in test/diff/keys.test.ts):
//   - an empty string never matches a non-empty pattern, not even "*" (KEYS and SCAN special-case the
//     exact pattern "*" before calling the matcher, which is why `KEYS *` still lists the key "");
//   - an unterminated class (`[abc`) ends at the end of the pattern and still matches;
//   - `[a-]` is the range a..']' (the closing bracket is taken as the range end);
//   - ranges compare bytes as C's signed `char`, so `[\x00-\xff]` is the range -1..0 (only \x00 and
//     \xff), and `[a-\x80]` covers everything from -128 up to 'a';
//   - inside a class an escaped character (`\]`) is compared case-sensitively even with nocase;
//   - recursion deeper than 1000 `*` levels is a non-match, and once the tail after a `*` failed to
//     match anywhere, outer `*`s give up early (skipLongerMatches) — an optimisation only.

export function globMatch(pattern: string, str: string, nocase = false): boolean {
  const skip = { longer: false };
  return match(pattern, 0, str, 0, nocase, skip, 0);
}

function signedChar(c: number): number {
  return c >= 128 ? c - 256 : c;
}

function lower(c: number): number {
  return c >= 65 && c <= 90 ? c + 32 : c;
}

function match(
  p: string,
  pi: number,
  s: string,
  si: number,
  nocase: boolean,
  skip: { longer: boolean },
  nesting: number,
): boolean {
  if (nesting > 1000) return false;
  const plen = p.length;
  const slen = s.length;
  while (pi < plen && si < slen) {
    const pc = p.charCodeAt(pi);
    if (pc === 42 /* * */) {
      while (pi + 1 < plen && p.charCodeAt(pi + 1) === 42) pi++;
      if (pi + 1 === plen) return true;
      while (si < slen) {
        if (match(p, pi + 1, s, si, nocase, skip, nesting + 1)) return true;
        if (skip.longer) return false;
        si++;
      }
      skip.longer = true;
      return false;
    } else if (pc === 63 /* ? */) {
      si++;
    } else if (pc === 91 /* [ */) {
      pi++;
      const not = pi < plen && p.charCodeAt(pi) === 94; /* ^ */
      if (not) pi++;
      let matched = false;
      const sc = s.charCodeAt(si);
      for (;;) {
        if (pi < plen && p.charCodeAt(pi) === 92 /* \ */ && plen - pi >= 2) {
          pi++;
          if (p.charCodeAt(pi) === sc) matched = true;
        } else if (pi < plen && p.charCodeAt(pi) === 93 /* ] */) {
          break;
        } else if (pi >= plen) {
          pi--; // unterminated class: stop on the last pattern character
          break;
        } else if (plen - pi >= 3 && p.charCodeAt(pi + 1) === 45 /* - */) {
          // C `char` is signed on x86-64: bytes ≥ 0x80 compare as negative numbers in ranges.
          let start = signedChar(p.charCodeAt(pi));
          let end = signedChar(p.charCodeAt(pi + 2));
          let c = signedChar(sc);
          if (start > end) {
            const t = start;
            start = end;
            end = t;
          }
          if (nocase) {
            start = lower(start);
            end = lower(end);
            c = lower(c);
          }
          pi += 2;
          if (c >= start && c <= end) matched = true;
        } else if (nocase ? lower(p.charCodeAt(pi)) === lower(sc) : p.charCodeAt(pi) === sc) {
          matched = true;
        }
        pi++;
      }
      if (not) matched = !matched;
      if (!matched) return false;
      si++;
    } else {
      if (pc === 92 /* \ */ && plen - pi >= 2) pi++;
      const a = p.charCodeAt(pi);
      const b = s.charCodeAt(si);
      if (nocase ? lower(a) !== lower(b) : a !== b) return false;
      si++;
    }
    pi++;
    if (si === slen) {
      while (pi < plen && p.charCodeAt(pi) === 42) pi++;
      break;
    }
  }
  return pi >= plen && si === slen;
}
