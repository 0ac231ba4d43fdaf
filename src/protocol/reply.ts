// Typed replies: what a command handler returns, independent of the wire protocol.
//
// Handlers never write bytes themselves. They return a `Reply` value and the connection encodes it
// as RESP2 or RESP3 (src/protocol/encoder.ts). The same value feeds MULTI/EXEC, the WASM `call`
// host function and, later, Lua — one representation, many consumers (the node-redis model).
//
// Byte strings are latin1 JS strings throughout the server: one char per byte, so they are
// binary-safe and V8 keeps them as compact one-byte strings (measured: ~184 B/key for 1M keys vs
// ~251 B/key with Buffer values; see the comment in src/keyspace/db.ts).
//
//   string          bulk string (latin1 bytes)
//   Buffer          bulk string (raw bytes, used where a Buffer is already at hand)
//   number | bigint integer
//   null            null bulk string (RESP2 `$-1`, RESP3 `_`)
//   Reply[]         array
//   the classes below for the remaining RESP shapes.

/** `+OK` style status reply. */
export class Status {
  constructor(readonly text: string) {}
}

/** A map: RESP3 `%`, a flat array of key/value pairs in RESP2. */
export class MapReply {
  constructor(readonly flat: Reply[]) {}
}

/** A set: RESP3 `~`, an array in RESP2. */
export class SetReply {
  constructor(readonly items: Reply[]) {}
}

/**
 * A double: RESP3 `,`, a bulk string in RESP2 (formatted like Redis does: %.17g). `text`, when
 * given, is sent instead of the %.17g form — addReplyHumanLongDouble's text (GEOPOS coordinates).
 */
export class DoubleReply {
  constructor(
    readonly value: number,
    readonly text?: string,
  ) {}
}

/** A verbatim string (RESP3 `=txt:`), a bulk string in RESP2. Used by INFO and CLIENT INFO. */
export class VerbatimReply {
  constructor(readonly text: string) {}
}

/** A boolean: RESP3 `#t` / `#f`, RESP2 `:1` / `:0` (Redis's addReplyBool). */
export class BooleanReply {
  private constructor(readonly value: boolean) {}
  static readonly TRUE = new BooleanReply(true);
  static readonly FALSE = new BooleanReply(false);
  static of(b: boolean): BooleanReply {
    return b ? BooleanReply.TRUE : BooleanReply.FALSE;
  }
}

/** A big number: RESP3 `(`, a bulk string in RESP2 (Redis's addReplyBigNum; DEBUG PROTOCOL bignum). */
export class BigNumberReply {
  constructor(readonly text: string) {}
}

/**
 * A reply preceded by RESP3 attributes (`|` + a flat key/value list), the reply alone in RESP2
 * (Redis's addReplyAttributeLen; only DEBUG PROTOCOL attrib sends one).
 */
export class AttributeReply {
  constructor(
    readonly attrs: Reply[],
    readonly reply: Reply,
  ) {}
}

/** An out-of-band push (pub/sub messages): RESP3 `>`, an array in RESP2. */
export class PushReply {
  constructor(readonly items: Reply[]) {}
}

/** Null array: RESP2 `*-1` (BLPOP timeout, aborted EXEC), RESP3 `_`. */
export const NIL_ARRAY: unique symbol = Symbol('nil-array');
/** Reply nothing at all (e.g. a client blocked by BLPOP; the reply comes later). */
export const NO_REPLY: unique symbol = Symbol('no-reply');

/**
 * An error reply. The first word of the wire message is the code (`ERR`, `WRONGTYPE`, `NOPERM` …),
 * exactly as Redis sends it, so `new ReplyError('ERR', 'syntax error')` goes out as `-ERR syntax error`.
 */
export class ReplyError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
  /** The full text after the `-`: `CODE message`. */
  get wire(): string {
    return this.message === '' ? this.code : `${this.code} ${this.message}`;
  }
  /** Parse a wire string like `WRONGTYPE Operation against …` back into an error. */
  static fromWire(s: string): ReplyError {
    const sp = s.indexOf(' ');
    return sp < 0 ? new ReplyError(s, '') : new ReplyError(s.slice(0, sp), s.slice(sp + 1));
  }
}

export class WrongTypeError extends ReplyError {
  constructor() {
    super('WRONGTYPE', 'Operation against a key holding the wrong kind of value');
  }
}

export class SyntaxErrorReply extends ReplyError {
  constructor() {
    super('ERR', 'syntax error');
  }
}

export class NoPermError extends ReplyError {
  constructor(message: string) {
    super('NOPERM', message);
  }
}

export class ProtocolError extends ReplyError {
  constructor(message: string) {
    super('ERR', `Protocol error: ${message}`);
  }
}

export type Reply =
  | string
  | Buffer
  | number
  | bigint
  | null
  | Reply[]
  | Status
  | MapReply
  | SetReply
  | DoubleReply
  | VerbatimReply
  | BooleanReply
  | PushReply
  | BigNumberReply
  | AttributeReply
  | ReplyError
  | typeof NIL_ARRAY
  | typeof NO_REPLY;

// Shared instances: the hot path returns these instead of allocating.
export const OK = new Status('OK');
export const PONG = new Status('PONG');
export const QUEUED = new Status('QUEUED');

// Errors used in many places, with Redis 7's exact text.
export const ERR_NOT_INTEGER = new ReplyError('ERR', 'value is not an integer or out of range');
export const ERR_NOT_FLOAT = new ReplyError('ERR', 'value is not a valid float');
export const ERR_SYNTAX = new SyntaxErrorReply();
export const ERR_WRONGTYPE = new WrongTypeError();
export const ERR_NO_SUCH_KEY = new ReplyError('ERR', 'no such key');
export const ERR_OVERFLOW = new ReplyError('ERR', 'increment or decrement would overflow');
export const ERR_INDEX_OUT_OF_RANGE = new ReplyError('ERR', 'index out of range');

export function errArity(name: string): ReplyError {
  return new ReplyError('ERR', `wrong number of arguments for '${name}' command`);
}
