// A tiny pull-style JSON scanner for Lodestone functions (no dependencies, no DOM built).
//
//   const j = new Json(String.UTF8.encode(text));
//   if (j.enterObject()) {
//     while (j.nextField()) {              // or: for (let k = j.nextKey(); k !== null; k = j.nextKey())
//       if (j.is("value")) v = j.int();    //        if (k == "value") …   (allocates each key)
//       else j.skip();
//     }
//   }
//   if (j.failed) replyError("bad JSON: " + j.error!);
//
// The scanner walks the bytes once and allocates nothing but the strings you ask for (fuel is
// metered per instruction, and every allocation costs GC work later); each read consumes one value. Errors do not throw: the first
// one is kept in `error`, the cursor jumps to the end and later reads return defaults, so check
// `failed` once at the end. Numbers can be read as f64 (num), exact i64 (int) or exact fixed-point
// (fixed(2) reads 2.5 as 250 — money without float rounding).

import { strAt } from "./lodestone";

export enum JsonType { Object, Array, String, Number, True, False, Null, End, Invalid }

export class Json {
  p: usize;
  end: usize;
  error: string | null = null;
  /** Open objects/arrays (at most 64 deep); bit d of `first` is set until container d's first
   * member has been read. Kept in two integers, so scanning allocates nothing. */
  private depth: i32 = 0;
  private first: u64 = 0;
  /** The key read by nextField() (its bytes in the document, escapes not decoded). */
  private keyStart: usize = 0;
  private keyLen: i32 = -1;

  constructor(public buf: ArrayBuffer) {
    this.p = changetype<usize>(buf);
    this.end = this.p + <usize>buf.byteLength;
  }

  get failed(): bool {
    return this.error !== null;
  }

  /** Byte offset of the cursor (for messages). */
  get offset(): i32 {
    return <i32>(this.p - changetype<usize>(this.buf));
  }

  fail(msg: string): void {
    if (this.error === null) this.error = msg + " at offset " + this.offset.toString();
    this.p = this.end;
  }

  private ws(): void {
    while (this.p < this.end) {
      const c = load<u8>(this.p);
      if (c != 32 && c != 9 && c != 10 && c != 13) break;
      this.p++;
    }
  }

  private byteAt(): i32 {
    return this.p < this.end ? <i32>load<u8>(this.p) : -1;
  }

  /** Type of the next value (skips whitespace, consumes nothing). */
  peek(): JsonType {
    this.ws();
    const c = this.byteAt();
    if (c == 123) return JsonType.Object;
    if (c == 91) return JsonType.Array;
    if (c == 34) return JsonType.String;
    if (c == 45 || (c >= 48 && c <= 57)) return JsonType.Number;
    if (c == 116) return JsonType.True;
    if (c == 102) return JsonType.False;
    if (c == 110) return JsonType.Null;
    if (c < 0) return JsonType.End;
    return JsonType.Invalid;
  }

  /** True if only whitespace is left (call after reading the top-level value). */
  atEnd(): bool {
    this.ws();
    return this.p >= this.end;
  }

  private expect(c: i32, what: string): bool {
    this.ws();
    if (this.byteAt() != c) {
      this.fail("expected " + what);
      return false;
    }
    this.p++;
    return true;
  }

  private open(c: i32, what: string): bool {
    if (!this.expect(c, what)) return false;
    if (this.depth == 64) {
      this.fail("nested deeper than 64");
      return false;
    }
    this.first |= (<u64>1) << this.depth;
    this.depth++;
    return true;
  }

  /** Consume '{'. */
  enterObject(): bool {
    return this.open(123, "'{'");
  }

  /** Consume '['. */
  enterArray(): bool {
    return this.open(91, "'['");
  }

  /** Before a member: false (and the closer consumed) at the end of the container. */
  private more(close: i32): bool {
    if (this.failed || this.depth == 0) return false;
    this.ws();
    const c = this.byteAt();
    const bit = (<u64>1) << (this.depth - 1);
    if (c == close) {
      this.p++;
      this.depth--;
      this.first &= ~bit;
      return false;
    }
    if (this.first & bit) {
      this.first &= ~bit;
      return true;
    }
    if (c != 44) {
      this.fail(close == 125 ? "expected ',' or '}'" : "expected ',' or ']'");
      return false;
    }
    this.p++;
    return true;
  }

  /** Next key of the current object (its ':' consumed), or null after its '}'. */
  nextKey(): string | null {
    if (!this.more(125)) return null;
    if (this.peek() != JsonType.String) {
      this.fail("expected a string key");
      return null;
    }
    const k = this.str();
    if (!this.expect(58, "':'")) return null;
    return k;
  }

  /**
   * Allocation-free nextKey: move to the next key of the current object (its ':' consumed) and
   * return true, or false after its '}'. Test the key with is("name"); then read its value.
   */
  nextField(): bool {
    this.keyLen = -1;
    if (!this.more(125)) return false;
    if (this.peek() != JsonType.String) {
      this.fail("expected a string key");
      return false;
    }
    const n = this.plainString();
    if (n >= 0) {
      this.keyStart = this.p - <usize>n - 1;
      this.keyLen = n;
    } else if (n == -1) {
      const b = this.escapedString(); // rare: keep the decoded bytes alive in `keyBuf`
      this.keyBuf = b;
      this.keyStart = changetype<usize>(b);
      this.keyLen = b.byteLength;
    }
    return this.expect(58, "':'");
  }
  private keyBuf: ArrayBuffer | null = null;

  /** Whether the key found by nextField() is `name` (compared as UTF-8, no allocation). */
  is(name: string): bool {
    const n = name.length;
    const src = changetype<usize>(name);
    if (this.keyLen < 0) return false;
    let j = 0;
    for (let i = 0; i < n; i++) {
      const c = <i32>load<u16>(src + (<usize>i << 1));
      if (c >= 0x80) return this.keyLen == String.UTF8.byteLength(name) && memory.compare(this.keyStart, changetype<usize>(String.UTF8.encode(name)), <usize>this.keyLen) == 0;
      if (j >= this.keyLen || <i32>load<u8>(this.keyStart + <usize>j) != c) return false;
      j++;
    }
    return j == this.keyLen;
  }

  /** True if the current array has another element to read; false after its ']'. */
  nextItem(): bool {
    return this.more(93);
  }

  private hex4(): i32 {
    if (this.p + 4 > this.end) {
      this.fail("bad \\u escape");
      return 0;
    }
    let v = 0;
    for (let i = 0; i < 4; i++) {
      const c = <i32>load<u8>(this.p++);
      let d = -1;
      if (c >= 48 && c <= 57) d = c - 48;
      else if (c >= 97 && c <= 102) d = c - 87;
      else if (c >= 65 && c <= 70) d = c - 55;
      if (d < 0) {
        this.fail("bad \\u escape");
        return 0;
      }
      v = (v << 4) | d;
    }
    return v;
  }

  /** Read a string value as raw UTF-8 bytes (escapes decoded). */
  strBytes(): ArrayBuffer {
    const n = this.plainString();
    if (n >= 0) {
      const b = new ArrayBuffer(n);
      memory.copy(changetype<usize>(b), this.p - <usize>n - 1, <usize>n);
      return b;
    }
    return this.escapedString();
  }

  /** Read a string value. */
  str(): string {
    const n = this.plainString();
    if (n >= 0) return strAt(this.p - <usize>n - 1, n);
    return String.UTF8.decode(this.escapedString());
  }

  /**
   * Fast path: a string without escapes. Returns its byte length with the cursor after the closing
   * quote, or -1 with the cursor on the opening quote (use escapedString), or -2 after an error.
   */
  private plainString(): i32 {
    if (!this.expect(34, "a string")) return -2;
    let q = this.p;
    while (q < this.end) {
      const c = load<u8>(q);
      if (c == 34 || c == 92 || c < 32) break;
      q++;
    }
    if (q < this.end && load<u8>(q) == 34) {
      const n = <i32>(q - this.p);
      this.p = q + 1;
      return n;
    }
    this.p--;
    return -1;
  }

  private escapedString(): ArrayBuffer {
    if (this.failed) return new ArrayBuffer(0);
    this.p++; // opening quote
    const out = new Array<u8>();
    while (true) {
      if (this.p >= this.end) {
        this.fail("unterminated string");
        return new ArrayBuffer(0);
      }
      const c = load<u8>(this.p++);
      if (c == 34) break;
      if (c < 32) {
        this.fail("control character in string");
        return new ArrayBuffer(0);
      }
      if (c != 92) {
        out.push(c);
        continue;
      }
      if (this.p >= this.end) {
        this.fail("unterminated string");
        return new ArrayBuffer(0);
      }
      const e = load<u8>(this.p++);
      if (e == 34 || e == 92 || e == 47) out.push(e);
      else if (e == 98) out.push(8);
      else if (e == 102) out.push(12);
      else if (e == 110) out.push(10);
      else if (e == 114) out.push(13);
      else if (e == 116) out.push(9);
      else if (e == 117) {
        let cp = this.hex4();
        if (cp >= 0xd800 && cp <= 0xdbff && this.p + 1 < this.end && load<u8>(this.p) == 92 && load<u8>(this.p + 1) == 117) {
          this.p += 2;
          const lo = this.hex4();
          if (lo >= 0xdc00 && lo <= 0xdfff) cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          else cp = 0xfffd;
        } else if (cp >= 0xd800 && cp <= 0xdfff) {
          cp = 0xfffd;
        }
        if (cp < 0x80) out.push(<u8>cp);
        else if (cp < 0x800) {
          out.push(<u8>(0xc0 | (cp >> 6)));
          out.push(<u8>(0x80 | (cp & 63)));
        } else if (cp < 0x10000) {
          out.push(<u8>(0xe0 | (cp >> 12)));
          out.push(<u8>(0x80 | ((cp >> 6) & 63)));
          out.push(<u8>(0x80 | (cp & 63)));
        } else {
          out.push(<u8>(0xf0 | (cp >> 18)));
          out.push(<u8>(0x80 | ((cp >> 12) & 63)));
          out.push(<u8>(0x80 | ((cp >> 6) & 63)));
          out.push(<u8>(0x80 | (cp & 63)));
        }
      } else {
        this.fail("bad escape");
        return new ArrayBuffer(0);
      }
    }
    const b = new ArrayBuffer(out.length);
    for (let i = 0; i < out.length; i++) store<u8>(changetype<usize>(b) + i, out[i]);
    return b;
  }


  /** Scan a number (JSON grammar) at the cursor; returns its end, or 0 after an error. */
  private scanNumber(): usize {
    this.ws();
    let q = this.p;
    if (q < this.end && load<u8>(q) == 45) q++;
    const intStart = q;
    while (q < this.end && isDigit(load<u8>(q))) q++;
    const intDigits = q - intStart;
    let ok = intDigits > 0 && !(intDigits > 1 && load<u8>(intStart) == 48);
    if (ok && q < this.end && load<u8>(q) == 46) {
      q++;
      const f = q;
      while (q < this.end && isDigit(load<u8>(q))) q++;
      ok = q > f;
    }
    if (ok && q < this.end && (load<u8>(q) | 32) == 101) {
      q++;
      if (q < this.end && (load<u8>(q) == 43 || load<u8>(q) == 45)) q++;
      const e = q;
      while (q < this.end && isDigit(load<u8>(q))) q++;
      ok = q > e;
    }
    if (!ok) {
      this.fail("expected a number");
      return 0;
    }
    return q;
  }

  /** Read a number's text as written. */
  numText(): string {
    const q = this.scanNumber();
    if (q == 0) return "0";
    const s = strAt(this.p, <i32>(q - this.p));
    this.p = q;
    return s;
  }

  /** Read a number as f64. */
  num(): f64 {
    return parseFloat(this.numText());
  }

  /** Read a number that must be an integer (2, -7, 2.0 and 1e3 are; 2.5 is not), exactly. */
  int(): i64 {
    return this.scaled(0, true);
  }

  /**
   * Read a number exactly as a fixed-point integer with `scale` decimals: fixed(2) reads 2.5 as
   * 250 and 1e2 as 10000. Further decimals are rounded half away from zero; overflow fails.
   */
  fixed(scale: i32): i64 {
    return this.scaled(scale, false);
  }

  private scaled(scale: i32, exact: bool): i64 {
    const end = this.scanNumber();
    if (end == 0) return 0;
    let p = this.p;
    this.p = end;
    const neg = load<u8>(p) == 45;
    if (neg) p++;
    // value = mant × 10^exp, with at most 18 significant digits kept in mant
    let mant: u64 = 0;
    let exp = 0;
    let digits = 0;
    let seenDot = false;
    let dropped = false; // a non-zero digit was dropped (beyond 18 digits, or by the scale)
    for (; p < end; p++) {
      const c = <i32>load<u8>(p);
      if (c == 46) {
        seenDot = true;
        continue;
      }
      if ((c | 32) == 101) break;
      const d = <u64>(c - 48);
      if (mant == 0 && d == 0) {
        if (seenDot) exp--;
        continue;
      }
      if (digits >= 18) {
        if (!seenDot) exp++;
        if (d != 0) dropped = true;
        continue;
      }
      mant = mant * 10 + d;
      digits++;
      if (seenDot) exp--;
    }
    if (p < end) {
      p++; // 'e'
      const eneg = load<u8>(p) == 45;
      if (eneg || load<u8>(p) == 43) p++;
      let e = 0;
      for (; p < end && e <= 400; p++) e = e * 10 + (<i32>load<u8>(p) - 48);
      exp += eneg ? -e : e;
    }
    let shift = exp + scale;
    let last: u64 = 0;
    for (; shift < 0; shift++) {
      if (last != 0) dropped = true;
      last = mant % 10;
      mant /= 10;
    }
    if (last != 0) dropped = true;
    if (exact && dropped) {
      this.fail("expected an integer");
      return 0;
    }
    if (last >= 5) mant++;
    for (; shift > 0 && mant != 0; shift--) {
      if (mant > 922337203685477580) {
        this.fail("number out of range");
        return 0;
      }
      mant *= 10;
    }
    if (mant > <u64>i64.MAX_VALUE) {
      this.fail("number out of range");
      return 0;
    }
    return neg ? -(<i64>mant) : <i64>mant;
  }

  /** Read true or false. */
  bool(): bool {
    this.ws();
    if (this.word("true")) return true;
    if (this.word("false")) return false;
    this.fail("expected true or false");
    return false;
  }

  /** Read null (returns false if the next value is not null, consuming nothing). */
  null(): bool {
    this.ws();
    return this.word("null");
  }

  private word(w: string): bool {
    const n = w.length;
    if (this.p + <usize>n > this.end) return false;
    for (let i = 0; i < n; i++) if (<i32>load<u8>(this.p + i) != w.charCodeAt(i)) return false;
    this.p += n;
    return true;
  }

  /** Skip one value of any type. */
  skip(): void {
    const t = this.peek();
    if (t == JsonType.Object) {
      this.enterObject();
      while (this.nextKey() !== null) this.skip();
    } else if (t == JsonType.Array) {
      this.enterArray();
      while (this.nextItem()) this.skip();
    } else if (t == JsonType.String) {
      if (this.plainString() == -1) this.escapedString();
    }
    else if (t == JsonType.Number) {
      const q = this.scanNumber();
      if (q != 0) this.p = q;
    }
    else if (t == JsonType.True || t == JsonType.False) this.bool();
    else if (t == JsonType.Null) this.null();
    else this.fail("expected a value");
  }
}

// @ts-ignore: decorator
@inline function isDigit(c: u8): bool {
  return c >= 48 && c <= 57;
}
