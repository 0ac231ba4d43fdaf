// validate — validate-before-write: check a user record, then HSET it, or write nothing.
//
//   WASM.LOAD validate <bytes> PERMISSIONS WRITE
//   WASM.CALL validate KEYS user:1 ARGS name Ada email ada@example.com age 36   → OK
//   WASM.CALL validate KEYS user:2 ARGS name Bob email bob age 36               → (error) INVALID email must contain '@'
//
// ARGS are field/value pairs. Rules: fields are name, email, age (each at most once, name and
// email required); name 1..100 bytes; email has one '@' with text on both sides; age is an integer
// 0..150. Valid → HSET KEYS[0] with the pairs and reply +OK. Invalid → `-INVALID <reason>`.

import { argCount, arg, key, keyCount, call, replyStatus, replyError } from "../sdk/lodestone";
export { lodestone_input, lodestone_abi_version } from "../sdk/lodestone";

function isInt(s: string): bool {
  if (s.length == 0 || s.length > 9) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** Why the record (ARGS, read once into `a`) is invalid, or "" if it is valid. */
function check(a: string[]): string {
  const n = a.length;
  if (n == 0 || n % 2 != 0) return "expected field/value pairs";
  let haveName = false;
  let haveEmail = false;
  let haveAge = false;
  for (let i = 0; i < n; i += 2) {
    const f = a[i];
    const v = a[i + 1];
    if (f == "name") {
      if (haveName) return "duplicate field name";
      haveName = true;
      if (v.length == 0 || String.UTF8.byteLength(v) > 100) return "name must be 1..100 bytes";
    } else if (f == "email") {
      if (haveEmail) return "duplicate field email";
      haveEmail = true;
      const at = v.indexOf("@");
      if (at < 0) return "email must contain '@'";
      if (at == 0 || at == v.length - 1 || v.lastIndexOf("@") != at) return "email must look like user@domain";
    } else if (f == "age") {
      if (haveAge) return "duplicate field age";
      haveAge = true;
      if (!isInt(v) || I32.parseInt(v) > 150) return "age must be an integer 0..150";
    } else {
      return "unknown field '" + f + "'";
    }
  }
  if (!haveName) return "missing field name";
  if (!haveEmail) return "missing field email";
  return "";
}

export function main(): void {
  if (keyCount() != 1) {
    replyError("usage: WASM.CALL validate KEYS <hash key> ARGS field value [field value ...]");
    return;
  }
  const n = argCount();
  const cmd = new Array<string>(n + 2);
  cmd[0] = "HSET";
  cmd[1] = key(0);
  for (let i = 0; i < n; i++) cmd[i + 2] = arg(i);
  const why = check(cmd.slice(2));
  if (why.length > 0) {
    replyError("INVALID " + why);
    return;
  }
  const r = call(cmd);
  if (r.isError()) {
    replyError(r.asString()); // e.g. WRONGTYPE: nothing was written
    return;
  }
  replyStatus("OK");
}
