// The COMMAND DOCS syntax parser (src/commands/docs.ts): Redis docs syntax lines → Redis's argument
// tree, checked through the hint string redis-cli 7 builds from that tree, and against the trees
// the real redis-server 7.0 reports (round trip over every Redis command).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DocArg, parseSyntax, renderHint, renderSyntax } from '../src/commands/docs.js';
import { RawClient } from './helpers/raw-client.js';
import type { RespValue } from './helpers/resp.js';
import { ProcessHandle, skipReason, startRedis } from './helpers/servers.js';

const hint = (s: string) => renderHint(parseSyntax(s));

describe('syntax parser', () => {
  it('parses plain arguments, optional tokens and alternatives', () => {
    const args = parseSyntax('key value [NX | XX] [GET] [EX seconds | PX milliseconds | KEEPTTL]');
    expect(args).toEqual([
      { name: 'key', type: 'key' },
      { name: 'value', type: 'string' },
      {
        name: 'nx_xx',
        type: 'oneof',
        optional: true,
        args: [
          { name: 'nx', type: 'pure-token', token: 'NX' },
          { name: 'xx', type: 'pure-token', token: 'XX' },
        ],
      },
      { name: 'get', type: 'pure-token', token: 'GET', optional: true },
      {
        name: 'seconds_milliseconds_keepttl',
        type: 'oneof',
        optional: true,
        args: [
          { name: 'seconds', type: 'integer', token: 'EX' },
          { name: 'milliseconds', type: 'integer', token: 'PX' },
          { name: 'keepttl', type: 'pure-token', token: 'KEEPTTL' },
        ],
      },
    ]);
    expect(hint('key value [NX | XX] [GET] [EX seconds | PX milliseconds | KEEPTTL]')).toBe(
      'key value [NX|XX] [GET] [EX seconds|PX milliseconds|KEEPTTL]',
    );
  });

  it('folds repetitions, with and without a repeated token', () => {
    expect(parseSyntax('key [key ...]')).toEqual([{ name: 'key', type: 'key', multiple: true }]);
    expect(parseSyntax('[GET pattern [GET pattern ...]]')).toEqual([
      { name: 'pattern', type: 'pattern', token: 'GET', optional: true, multiple: true, multipleToken: true },
    ]);
    expect(hint('key [key ...]')).toBe('key [key ...]');
    expect(hint('[key [key ...]]')).toBe('[key [key ...]]');
    expect(hint('field value [field value ...]')).toBe('field value [field value ...]');
    expect(parseSyntax('field value [field value ...]')[0]).toMatchObject({ type: 'block', multiple: true });
    expect(hint('destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>]')).toBe(
      'destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE SUM|MIN|MAX]',
    );
    expect(hint('[PREFIX prefix [PREFIX prefix ...]]')).toBe('[PREFIX prefix [PREFIX prefix ...]]');
    expect(hint('[rule ...]')).toBe('[rule [rule ...]]');
  });

  it('groups a token with the words after it', () => {
    expect(parseSyntax('[LIMIT offset count]')).toEqual([
      {
        name: 'limit',
        type: 'block',
        token: 'LIMIT',
        optional: true,
        args: [
          { name: 'offset', type: 'integer' },
          { name: 'count', type: 'integer' },
        ],
      },
    ]);
    const xread = parseSyntax('[COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]');
    expect(xread[2]).toMatchObject({ name: 'streams', type: 'block', token: 'STREAMS' });
    expect(hint('[COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]')).toBe(
      '[COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]',
    );
    expect(hint('[TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] [ID client-id [client-id ...]]')).toBe(
      '[TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id [client-id ...]]',
    );
    expect(parseSyntax('[TYPE <NORMAL | MASTER>]')[0]).toMatchObject({ type: 'oneof', token: 'TYPE', optional: true });
  });

  it('handles nesting, quoted empty tokens and symbols', () => {
    expect(hint('[protover [AUTH username password] [SETNAME clientname]]')).toBe(
      '[protover [AUTH username password] [SETNAME clientname]]',
    );
    expect(hint('host port <key | ""> destination-db timeout [COPY] [REPLACE] [[AUTH password] | [AUTH2 username password]] [KEYS key [key ...]]')).toBe(
      'host port key|"" destination-db timeout [COPY] [REPLACE] [[AUTH password]|[AUTH2 username password]] [KEYS key [key ...]]',
    );
    expect(hint('key [NOMKSTREAM] [<MAXLEN | MINID> [= | ~] threshold [LIMIT count]] <* | id> field value [field value ...]')).toBe(
      'key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]',
    );
    expect(hint('key [COUNT count [ANY]]')).toBe('key [COUNT count [ANY]]');
    expect(hint('')).toBe('');
  });

  it('rejects unbalanced brackets', () => {
    expect(() => parseSyntax('key [NX')).toThrow();
    expect(() => parseSyntax('key NX]')).toThrow();
  });

  it('renders back to a docs syntax line', () => {
    const s = 'key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA] [STORE destination]';
    expect(renderSyntax(parseSyntax(s))).toBe(s);
  });
});

// ---- Round trip against every command of the real Redis ---------------------------------------------

function mapOf(v: RespValue): Map<string, RespValue> {
  if (v.t !== 'map' && v.t !== 'array') throw new Error(`not a map: ${v.t}`);
  const m = new Map<string, RespValue>();
  for (let i = 0; i < v.v.length; i += 2) {
    const k = v.v[i];
    m.set(k.t === 'bulk' || k.t === 'status' ? k.v : '?', v.v[i + 1]);
  }
  return m;
}

const str = (v: RespValue | undefined): string | undefined => (v && (v.t === 'bulk' || v.t === 'status') ? v.v : undefined);

/** A COMMAND DOCS argument map → DocArg. */
export function toDocArg(v: RespValue): DocArg {
  const m = mapOf(v);
  const a: DocArg = { name: str(m.get('name'))!, type: str(m.get('type')) as DocArg['type'] };
  const token = str(m.get('token'));
  if (token !== undefined) a.token = token;
  const flags = m.get('flags');
  if (flags && (flags.t === 'set' || flags.t === 'array')) {
    for (const f of flags.v) {
      if (str(f) === 'optional') a.optional = true;
      if (str(f) === 'multiple') a.multiple = true;
      if (str(f) === 'multiple_token') a.multipleToken = true;
    }
  }
  const sub = m.get('arguments');
  if (sub && sub.t === 'array') a.args = sub.v.map(toDocArg);
  return a;
}

describe.skipIf(skipReason('syntax round trip against Redis', 'redis-server'))('syntax round trip over Redis 7 commands', () => {
  let redis: ProcessHandle;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.close();
  });

  it('parses the syntax line of every Redis command back into the same hint', async () => {
    const c = await RawClient.connect(redis.port);
    await c.call('HELLO', '3');
    const docs = mapOf(await c.call('COMMAND', 'DOCS'));
    c.close();
    const entries: [string, DocArg[]][] = [];
    const collect = (name: string, d: RespValue) => {
      const m = mapOf(d);
      const args = m.get('arguments');
      entries.push([name, args && args.t === 'array' ? args.v.map(toDocArg) : []]);
      const subs = m.get('subcommands');
      if (subs) for (const [sn, sd] of mapOf(subs)) collect(sn, sd);
    };
    for (const [name, d] of docs) collect(name, d);
    expect(entries.length).toBeGreaterThan(300);
    const mismatches: string[] = [];
    for (const [name, args] of entries) {
      const syntax = renderSyntax(args);
      const want = renderHint(args);
      let got: string;
      try {
        got = renderHint(parseSyntax(syntax));
      } catch (e) {
        got = `<${(e as Error).message}>`;
      }
      if (got !== want) mismatches.push(`${name}: ${syntax}\n  want ${want}\n  got  ${got}`);
    }
    expect(mismatches).toEqual([]);
  });
});
