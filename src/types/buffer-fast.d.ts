// Node's Buffer has encoding-specific fast paths (used by buf.write/toString internally) that
// @types/node does not declare. They skip encoding dispatch on the hot path of the RESP parser
// and encoder; both exist in every Node.js release we support (>= 20).
declare global {
  interface Buffer {
    latin1Write(s: string, offset?: number, length?: number): number;
    utf8Write(s: string, offset?: number, length?: number): number;
    latin1Slice(start?: number, end?: number): string;
  }
}
export {};
