// @ts-nocheck -- AssemblyScript (compiled by bench/build-udf.mjs with asc, not by tsc)
//
// keys — a handful of key reads and writes: touch a user's session.
//   KEYS[0] profile name, KEYS[1] visit counter, KEYS[2] last-seen   ARGS[0] name, ARGS[1] now
// SET the name and read it back, INCR the visits, read the previous last-seen and store the new
// one; reply [name, visits, previous last-seen or nil]. Same logic as keys.lua, with the SDK's
// typed helpers (each one `cmd` host call; KEYS/ARGS arrive in memory through lodestone_input).

import { key, arg, get, set, incr, replyArray, replyBulk, replyInt, replyNil } from "../../wasm-examples/sdk/lodestone";
export { lodestone_input } from "../../wasm-examples/sdk/lodestone";

export function main(): void {
  const profile = key(0);
  const lastSeen = key(2);
  set(profile, arg(0));                        // redis.call('SET', KEYS[1], ARGV[1])
  const name = get(profile);                   // redis.call('GET', KEYS[1])
  const visits = incr(key(1));                 // redis.call('INCR', KEYS[2])
  const last = get(lastSeen);                  // redis.call('GET', KEYS[3])
  set(lastSeen, arg(1));                       // redis.call('SET', KEYS[3], ARGV[2])
  replyArray(3);                               // return { name, visits, last }
  if (name === null) replyNil(); else replyBulk(name);
  replyInt(visits);
  if (last === null) replyNil(); else replyBulk(last);
}
