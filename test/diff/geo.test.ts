// Differential tests for the GEO family (GEOADD GEODIST GEOHASH GEOPOS GEORADIUS GEORADIUS_RO
// GEORADIUSBYMEMBER GEORADIUSBYMEMBER_RO GEOSEARCH GEOSEARCHSTORE) against a real redis-server
// 7.0.15: every option and error reply (and the order in which Redis checks them), RESP2 and RESP3
// reply shapes (coordinates are `,` doubles in RESP3, distances bulk strings in both), scores of
// points at the edges of the map and of arbitrary ZADD scores read as geohashes, ties under COUNT
// (Redis's partial pqsort), the store semantics with their keyspace events and change counts,
// COMMAND GETKEYS for the movable STORE keys, and a seeded randomized cross-check of random points
// and random radius / box queries: replies compared byte for byte, the matches also checked against
// a brute-force haversine filter over every point. Also: geo writes survive an AOF restart.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffServers, Step } from '../helpers/diff.js';
import { mulberry32 } from '../helpers/prng.js';
import { RawClient } from '../helpers/raw-client.js';
import { RespValue, show } from '../helpers/resp.js';
import { skipReason, startLodestone } from '../helpers/servers.js';

const SICILY = ['13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania'];

const str = (v: RespValue): string => (v as { v: string }).v;
const items = (v: RespValue): RespValue[] => (v.t === 'array' || v.t === 'map' || v.t === 'set' ? v.v : []);

/** Haversine as Redis computes it (with V8's Math functions: for filtering, not for bytes). */
function haversine(lon1: number, lat1: number, lon2: number, lat2: number): number {
  const r = Math.PI / 180;
  const u = Math.sin(((lat2 - lat1) * r) / 2);
  const v = Math.sin(((lon2 - lon1) * r) / 2);
  return 2 * 6372797.560856 * Math.asin(Math.sqrt(u * u + Math.cos(lat1 * r) * Math.cos(lat2 * r) * v * v));
}

describe.skipIf(skipReason('GEO differential tests', 'redis-server'))('GEO: differential vs redis-server', () => {
  const s = diffServers();

  it('GEOADD: NX XX CH, replies, scores, argument errors and their order', async () => {
    await s.diff([
      ['GEOADD', 'k', ...SICILY],
      ['ZRANGE', 'k', '0', '-1', 'WITHSCORES'],
      ['GEOADD', 'k', ...SICILY],
      ['GEOADD', 'k', 'CH', '13.361389', '38.115557', 'Palermo', '1', '1', 'new'],
      ['GEOADD', 'k', 'NX', 'CH', '1', '2', 'Palermo', '3', '4', 'nx1'],
      ['GEOADD', 'k', 'XX', '5', '6', 'Palermo', '7', '8', 'xx1'],
      ['GEOADD', 'k', 'XX', 'CH', '5', '7', 'Palermo', '7', '8', 'xx2'],
      ['GEOADD', 'k', 'ch', 'nx', 'ch', '9', '9', 'lower'],
      ['GEOADD', 'k', 'ch\0junk', 'xx\0', '9', '10', 'lower', '9', '10', 'nul'], // options compare as C strings
      ['ZRANGE', 'k', '0', '-1', 'WITHSCORES'],
      ['GEOADD', 'nokey', 'XX', '1', '1', 'a'],
      ['EXISTS', 'nokey'],
      ['GEOADD', 'k', 'NX', 'XX', '1', '2', 'm'],
      ['GEOADD', 'k', '1', '2', 'm', '3'],
      ['GEOADD', 'k', '1', '2', 'm', '3', '4'],
      ['GEOADD', 'k', 'CH', 'CH', 'CH'],
      ['GEOADD', 'k', 'NX', 'CH', 'XX'],
      ['GEOADD', 'k', 'GT', '1', '2', 'm'],
      ['GEOADD', 'k', '1', '2'],
      ['GEOADD', 'k'],
      ['GEOADD', 'k', '200', '10', 'm'],
      ['GEOADD', 'k', '-180.000001', '10', 'm'],
      ['GEOADD', 'k', '10', '85.05112879', 'm'],
      ['GEOADD', 'k', '10', '-85.05112879', 'm'],
      ['GEOADD', 'k', '1e300', '100', 'm'],
      ['GEOADD', 'k', '-1e300', '1e-300', 'm'],
      ['GEOADD', 'k', 'inf', '1', 'm'],
      ['GEOADD', 'k', '1', '-inf', 'm'],
      ['GEOADD', 'k', 'nan', '1', 'm'],
      ['GEOADD', 'k', 'abc', '1', 'm'],
      ['GEOADD', 'k', '1', ' 1', 'm'],
      ['GEOADD', 'k', '1', '1 ', 'm'],
      ['GEOADD', 'k', '', '1', 'm'],
      ['GEOADD', 'k', '1', '1', 'ok', '200', '1', 'bad'], // nothing added: all coordinates are checked first
      ['ZCARD', 'k'],
      ['GEOADD', 'k', '0x10', '1e1', 'hex', '-0', '-0.0', 'negzero', '+5.5', '.5', 'plus'],
      ['GEOADD', 'k', '180', '85.05112878', 'ne', '-180', '-85.05112878', 'sw', '180', '-85.05112878', 'se', '-180', '85.05112878', 'nw'],
      ['GEOADD', 'k', '0', '0', 'origin', '179.9999999', '0.0000001', 'tiny', '-0.0000001', '-0.0000001', 'tinyneg'],
      ['ZRANGE', 'k', '0', '-1', 'WITHSCORES'],
      ['OBJECT', 'ENCODING', 'k'],
      ['SET', 'str', 'x'],
      ['GEOADD', 'str', '1', '1', 'm'],
      ['GEOADD', 'str', '1', '100', 'm'], // the coordinates are checked before the type
      ['GEOADD', 'str', 'XX', 'NX', '1', '100', 'm'],
      ['RPUSH', 'list', 'a'],
      ['GEOADD', 'list', 'CH', '1', '1', 'm'],
    ]);
  });

  it('GEOADD: encodings follow the zset listpack limits, and GEOADD onto a plain sorted set', async () => {
    const many: string[] = [];
    for (let i = 0; i < 130; i++) many.push(String((i % 360) - 179.5), String((i % 170) - 84.5), `m${i}`);
    await s.diff([
      ['GEOADD', 'small', '1', '1', 'a'],
      ['OBJECT', 'ENCODING', 'small'],
      ['GEOADD', 'small', '1', '1', 'x'.repeat(65)],
      ['OBJECT', 'ENCODING', 'small'],
      ['GEOADD', 'big', ...many],
      ['OBJECT', 'ENCODING', 'big'],
      ['ZCARD', 'big'],
      ['ZADD', 'z', '1', 'one', '-5', 'neg'],
      ['GEOADD', 'z', '2', '3', 'geo'],
      ['ZRANGE', 'z', '0', '-1', 'WITHSCORES'],
      ['GEOPOS', 'z', 'one', 'neg', 'geo'],
    ]);
  });

  it('GEOPOS / GEOHASH / GEODIST: replies, units, missing keys and members, errors (RESP2 and RESP3)', async () => {
    const steps: Step[] = [
      ['GEOADD', 'k', ...SICILY, '-73.9454966', '40.747533', 'nyc', '0', '0', 'origin', '180', '85.05112878', 'ne', '-180', '-85.05112878', 'sw'],
      ['GEOPOS', 'k', 'Palermo', 'Catania', 'nope', 'nyc', 'origin', 'ne', 'sw'],
      ['GEOPOS', 'k'],
      ['GEOPOS', 'nokey', 'a', 'b'],
      ['GEOPOS', 'nokey'],
      ['GEOHASH', 'k', 'Palermo', 'Catania', 'nope', 'nyc', 'origin', 'ne', 'sw'],
      ['GEOHASH', 'k'],
      ['GEOHASH', 'nokey', 'a'],
      ['GEODIST', 'k', 'Palermo', 'Catania'],
      ['GEODIST', 'k', 'Palermo', 'Catania', 'm'],
      ['GEODIST', 'k', 'Palermo', 'Catania', 'KM'],
      ['GEODIST', 'k', 'Palermo', 'Catania', 'ft'],
      ['GEODIST', 'k', 'Palermo', 'Catania', 'Mi'],
      ['GEODIST', 'k', 'Palermo', 'nyc', 'km'],
      ['GEODIST', 'k', 'ne', 'sw'],
      ['GEODIST', 'k', 'origin', 'origin'],
      ['GEODIST', 'k', 'Palermo', 'Palermo', 'km'],
      ['GEODIST', 'k', 'Palermo', 'nope'],
      ['GEODIST', 'k', 'nope', 'Palermo', 'km'],
      ['GEODIST', 'nokey', 'a', 'b'],
      ['GEODIST', 'nokey', 'a', 'b', 'yards'], // the unit is checked before the key
      ['GEODIST', 'k', 'Palermo', 'Catania', 'yards'],
      ['GEODIST', 'k', 'Palermo', 'Catania', 'km', 'extra'],
      ['GEODIST', 'k', 'Palermo', 'Catania', 'kms'],
      ['GEODIST', 'k', 'Palermo', 'Catania', ''],
      ['GEODIST', 'k', 'Palermo', 'Catania', 'km\0x'],
      ['GEODIST', 'k', 'Palermo'],
      ['SET', 'str', 'x'],
      ['GEOPOS', 'str', 'a'],
      ['GEOHASH', 'str', 'a'],
      ['GEODIST', 'str', 'a', 'b'],
      ['GEODIST', 'str', 'a', 'b', 'bad'],
      ['GEOPOS', 'str'],
    ];
    await s.diff(steps);
    await s.diff(steps, true);
  });

  it('scores that GEOADD never writes, read as geohashes (ZADD onto a geo key)', async () => {
    const scores = ['0', '1', '-1', '-0.5', '0.5', '3.7', '4503599627370495', '4503599627370496', '4503599627370497',
      '9007199254740992', '18014398509481984', '9223372036854775807', '9223372036854775808', '1.8446744073709552e19',
      '1e30', '-1e30', '-9223372036854775808', '-1e19', 'inf', '-inf', '3479099956230698', '1e-300'];
    const steps: Step[] = [];
    scores.forEach((sc, i) => steps.push(['ZADD', 'w', sc, `s${i}`]));
    const names = scores.map((_, i) => `s${i}`);
    steps.push(['GEOPOS', 'w', ...names], ['GEOHASH', 'w', ...names]);
    for (let i = 0; i < names.length; i += 3) {
      steps.push(['GEODIST', 'w', names[i], names[(i + 5) % names.length], 'km']);
      steps.push(['GEOSEARCH', 'w', 'FROMMEMBER', names[i], 'BYRADIUS', '20000', 'km', 'ASC', 'WITHCOORD', 'WITHDIST', 'WITHHASH']);
      steps.push(['GEORADIUSBYMEMBER', 'w', names[i], '100', 'km', 'WITHDIST']);
    }
    steps.push(['GEOSEARCH', 'w', 'FROMLONLAT', '0', '0', 'BYBOX', '40000', '40000', 'km', 'DESC', 'WITHHASH']);
    await s.diff(steps);
    await s.diff(steps, true);
  });

  it('GEORADIUS / GEORADIUSBYMEMBER and the _RO forms: options, STORE / STOREDIST, errors and their order', async () => {
    const steps: Step[] = [
      ['GEOADD', 'k', ...SICILY, '12.758489', '38.788135', 'edge1', '17.241510', '38.788135', 'edge2'],
      ['GEORADIUS', 'k', '15', '37', '200', 'km'],
      ['GEORADIUS', 'k', '15', '37', '200', 'km', 'ASC'],
      ['GEORADIUS', 'k', '15', '37', '200', 'km', 'DESC'],
      ['GEORADIUS', 'k', '15', '37', '200', 'km', 'WITHDIST', 'WITHCOORD', 'WITHHASH', 'ASC'],
      ['GEORADIUS', 'k', '15', '37', '200', 'km', 'withhash', 'withcoord'],
      ['GEORADIUS', 'k', '15', '37', '200', 'km', 'WITHDIST', 'WITHDIST', 'DESC', 'ASC'],
      ['GEORADIUS', 'k', '15', '37', '300', 'km', 'COUNT', '1'],
      ['GEORADIUS', 'k', '15', '37', '300', 'km', 'COUNT', '2', 'DESC', 'WITHDIST'],
      ['GEORADIUS', 'k', '15', '37', '300', 'km', 'COUNT', '3', 'ANY'],
      ['GEORADIUS', 'k', '15', '37', '300', 'km', 'COUNT', '1', 'ANY', 'ASC', 'WITHDIST'],
      ['GEORADIUS', 'k', '15', '37', '300', 'km', 'COUNT', '100'],
      ['GEORADIUS', 'k', '15', '37', '300', 'km', 'COUNT', '9223372036854775807'],
      ['GEORADIUS', 'k', '15', '37', '200000', 'm', 'WITHDIST'],
      ['GEORADIUS', 'k', '15', '37', '656168', 'ft', 'WITHDIST'],
      ['GEORADIUS', 'k', '15', '37', '124.3', 'MI', 'WITHDIST'],
      ['GEORADIUS', 'k', '15', '37', '0', 'km'],
      ['GEORADIUS', 'k', '13.361389', '38.115556', '0', 'm', 'WITHDIST'],
      ['GEORADIUS', 'k', '15', '37', '1', 'km'],
      ['GEORADIUS', 'k', '15', '37', '50000', 'km', 'WITHDIST'],
      ['GEORADIUS', 'k', '15', '37', '1e300', 'km', 'WITHDIST'],
      ['GEORADIUS', 'k', '15', '37', 'inf', 'km', 'WITHDIST'],
      ['GEORADIUS', 'k', '15', '37', '0x10', 'km'],
      // errors, in the order Redis checks them
      ['GEORADIUS', 'k', '200', '37', '-1', 'bad'],
      ['GEORADIUS', 'k', 'x', '37', '1', 'km'],
      ['GEORADIUS', 'k', '15', '37', 'x', 'bad'],
      ['GEORADIUS', 'k', '15', '37', '-1', 'bad'],
      ['GEORADIUS', 'k', '15', '37', '-0', 'km'],
      ['GEORADIUS', 'k', '15', '37', '1', 'bad'],
      ['GEORADIUS', 'k', '15', '37', '1', 'km', 'bogus'],
      ['GEORADIUS', 'k', '15', '37', '1', 'km', 'COUNT'],
      ['GEORADIUS', 'k', '15', '37', '1', 'km', 'COUNT', '0'],
      ['GEORADIUS', 'k', '15', '37', '1', 'km', 'COUNT', '-3'],
      ['GEORADIUS', 'k', '15', '37', '1', 'km', 'COUNT', 'x'],
      ['GEORADIUS', 'k', '15', '37', '1', 'km', 'COUNT', '1.5'],
      ['GEORADIUS', 'k', '15', '37', '1', 'km', 'COUNT', '99999999999999999999'],
      ['GEORADIUS', 'k', '15', '37', '300', 'km', 'COUNT', '+2'],
      ['GEORADIUS', 'k', '15', '37', '300', 'km', 'COUNT', '02'],
      ['GEORADIUS', 'k', '15', '37', '300', 'km', 'COUNT', ' 2'],
      ['GEORADIUS', 'k', '15', '37', '300', 'km', 'COUNT', '-0'],
      ['GEORADIUS', 'k', '15', '37', '300', 'km', 'COUNT', '9223372036854775808'],
      ['GEORADIUS', 'k', '15', '37', '1', 'km', 'COUNT', '0', 'bogus'],
      ['GEORADIUS', 'k', '15', '37', '1', 'km', 'bogus', 'COUNT', '0'],
      ['GEORADIUS', 'k', '15', '37', '1', 'km', 'ANY'],
      ['GEORADIUS', 'k', '15', '37', '1', 'km', 'ANY', 'WITHDIST', 'STORE', 'x'],
      ['GEORADIUS', 'k', '15', '37', '1', 'km', 'STORE'],
      ['GEORADIUS', 'k', '15', '37', '1', 'km', 'STORE', 'd', 'WITHDIST'],
      ['GEORADIUS', 'k', '15', '37', '1', 'km', 'WITHHASH', 'STOREDIST', 'd'],
      ['GEORADIUS', 'k', '15', '37', '1', 'km', 'FROMMEMBER', 'Palermo'],
      ['GEORADIUS', 'k', '15', '37', '1', 'km', 'BYRADIUS', '1', 'km'],
      ['GEORADIUS', 'k', '15', '37', '1', 'km', 'STOREDIST'],
      ['GEORADIUS_RO', 'k', '15', '37', '200', 'km', 'STORE', 'd'],
      ['GEORADIUS_RO', 'k', '15', '37', '200', 'km', 'STOREDIST', 'd'],
      ['GEORADIUS_RO', 'k', '15', '37', '200', 'km', 'WITHDIST', 'WITHCOORD', 'ASC', 'COUNT', '2'],
      ['GEORADIUS', 'k', '15', '37', '200'],
      ['GEORADIUS_RO', 'k', '15', '37'],
      // STORE / STOREDIST
      ['GEORADIUS', 'k', '15', '37', '200', 'km', 'STORE', 'dst'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['OBJECT', 'ENCODING', 'dst'],
      ['GEORADIUS', 'k', '15', '37', '200', 'km', 'STOREDIST', 'dst'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['GEORADIUS', 'k', '15', '37', '200', 'km', 'STORE', 'd1', 'STOREDIST', 'd2'],
      ['EXISTS', 'd1', 'd2'],
      ['ZRANGE', 'd2', '0', '-1', 'WITHSCORES'],
      ['GEORADIUS', 'k', '15', '37', '200', 'km', 'STOREDIST', 'd3', 'STORE', 'd4'],
      ['EXISTS', 'd3', 'd4'],
      ['ZRANGE', 'd4', '0', '-1', 'WITHSCORES'],
      ['GEORADIUS', 'k', '15', '37', '300', 'km', 'COUNT', '2', 'DESC', 'STOREDIST', 'dst'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['GEORADIUS', 'k', '15', '37', '300', 'mi', 'ASC', 'COUNT', '3', 'ANY', 'STORE', 'dst'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['SET', 'strdst', 'x', 'EX', '100'],
      ['GEORADIUS', 'k', '15', '37', '200', 'km', 'STORE', 'strdst'],
      ['TYPE', 'strdst'],
      ['TTL', 'strdst'],
      ['GEORADIUS', 'k', '15', '37', '1', 'km', 'STORE', 'strdst'],
      ['EXISTS', 'strdst'],
      ['GEORADIUS', 'nokey', '15', '37', '1', 'km', 'STORE', 'dst'],
      ['EXISTS', 'dst'],
      ['GEORADIUS', 'nokey', '15', '37', '1', 'km'],
      ['GEORADIUS', 'nokey', '15', '37', '1', 'km', 'STORE', 'dst', 'WITHDIST'],
      ['GEORADIUS', 'nokey', '15', '37', '1', 'km', 'ANY'],
      ['GEORADIUS', 'nokey', '200', '37', '1', 'km'],
      // BYMEMBER
      ['GEORADIUSBYMEMBER', 'k', 'Palermo', '200', 'km', 'WITHDIST', 'WITHCOORD', 'WITHHASH'],
      ['GEORADIUSBYMEMBER', 'k', 'Palermo', '200', 'km', 'DESC', 'COUNT', '2'],
      ['GEORADIUSBYMEMBER', 'k', 'edge1', '50', 'mi', 'WITHDIST'],
      ['GEORADIUSBYMEMBER', 'k', 'nope', '200', 'km'],
      ['GEORADIUSBYMEMBER', 'k', 'nope', 'x', 'bad'],
      ['GEORADIUSBYMEMBER', 'k', 'Palermo', 'x', 'km'],
      ['GEORADIUSBYMEMBER', 'k', 'Palermo', '1', 'bad'],
      ['GEORADIUSBYMEMBER', 'k', 'Palermo', '200', 'km', 'STORE', 'dst'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['GEORADIUSBYMEMBER', 'k', 'Palermo', '200', 'km', 'STOREDIST', 'dst', 'COUNT', '1'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['GEORADIUSBYMEMBER', 'nokey', 'm', '1', 'km', 'STORE', 'dst'],
      ['EXISTS', 'dst'],
      ['GEORADIUSBYMEMBER', 'nokey', 'm', 'x', 'bad'], // no key: the radius is not even parsed
      ['GEORADIUSBYMEMBER', 'nokey', 'm', '1', 'km', 'bogus'],
      ['GEORADIUSBYMEMBER', 'nokey', 'm', '1', 'km', 'WITHDIST', 'STORE', 'x'],
      ['GEORADIUSBYMEMBER_RO', 'k', 'Palermo', '200', 'km', 'WITHDIST', 'ASC'],
      ['GEORADIUSBYMEMBER_RO', 'k', 'Palermo', '200', 'km', 'STORE', 'dst'],
      ['GEORADIUSBYMEMBER_RO', 'nokey', 'Palermo', '200', 'km'],
      ['GEORADIUSBYMEMBER', 'k', 'Palermo', '200'],
      ['SET', 'str', 'x'],
      ['GEORADIUS', 'str', '200', '37', '1', 'km'], // the type is checked first
      ['GEORADIUSBYMEMBER', 'str', 'm', '1', 'km'],
      ['GEORADIUS_RO', 'str', '15', '37', '1', 'km', 'bogus'],
    ];
    await s.diff(steps);
    await s.diff(steps, true);
  });

  it('GEOSEARCH / GEOSEARCHSTORE: FROM* and BY* options, STOREDIST, errors and their order', async () => {
    const steps: Step[] = [
      ['GEOADD', 'k', ...SICILY, '12.758489', '38.788135', 'edge1', '17.241510', '38.788135', 'edge2'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'ASC'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'ASC', 'WITHCOORD', 'WITHDIST', 'WITHHASH'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '15', '37', 'BYBOX', '200', '400', 'km', 'DESC', 'WITHDIST'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '100', 'km', 'DESC', 'WITHDIST'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '15', '37', 'BYBOX', '0', '0', 'km'],
      ['GEOSEARCH', 'k', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '200', 'km', 'WITHDIST'],
      ['GEOSEARCH', 'k', 'FROMMEMBER', 'Palermo', 'BYBOX', '1000', '1000', 'mi', 'COUNT', '2', 'WITHDIST'],
      ['GEOSEARCH', 'k', 'FROMMEMBER', 'Palermo', 'BYBOX', '1000', '1000', 'ft', 'WITHDIST'],
      ['GEOSEARCH', 'k', 'BYRADIUS', '500', 'km', 'FROMMEMBER', 'Catania', 'DESC', 'COUNT', '3', 'ANY'],
      ['GEOSEARCH', 'k', 'frommember', 'edge2', 'byradius', '300', 'KM', 'withdist', 'withcoord', 'count', '4'],
      // errors
      ['GEOSEARCH', 'k', 'FROMMEMBER', 'nope', 'BYRADIUS', '1', 'km'],
      ['GEOSEARCH', 'k', 'FROMMEMBER', 'nope', 'BYRADIUS', 'x', 'bad'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '200', '1', 'BYRADIUS', '1', 'km'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', 'x', '1', 'BYRADIUS', '1', 'km'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '1', '1', 'BYRADIUS', '-1', 'km'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '1', '1', 'BYRADIUS', 'x', 'km'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '1', '1', 'BYRADIUS', '1', 'kilometers'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '1', '1', 'BYBOX', '-1', '1', 'km'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '1', '1', 'BYBOX', '1', '-1', 'km'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '1', '1', 'BYBOX', 'x', '-1', 'km'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '1', '1', 'BYBOX', '-1', 'y', 'km'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '1', '1', 'BYBOX', '1', '1', 'yd'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '1', '1', 'BYBOX', '1', '1'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '1', '1', 'BYRADIUS', '1'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '1', 'BYRADIUS', '1', 'km'],
      ['GEOSEARCH', 'k', 'FROMMEMBER', 'Palermo', 'FROMLONLAT', '1', '1', 'BYRADIUS', '1', 'km'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '1', '1', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '1', 'km'],
      ['GEOSEARCH', 'k', 'FROMMEMBER', 'Palermo', 'FROMMEMBER', 'Catania', 'BYRADIUS', '100', 'km', 'WITHDIST'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '1', '1', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'BYBOX', '1', '1', 'km'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '15', '37', 'BYBOX', '1', '1', 'km', 'BYRADIUS', '1', 'km'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'BYRADIUS', '300', 'km'],
      ['GEOSEARCH', 'k', 'BYRADIUS', '1', 'km', 'WITHDIST', 'ASC'],
      ['geosearch', 'k', 'BYRADIUS', '1', 'km', 'WITHDIST', 'ASC'],
      ['GeoSearch', 'k', 'FROMLONLAT', '15', '37', 'WITHDIST', 'ASC'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'ANY'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'COUNT', '0'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'STORE', 'x'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'STOREDIST'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km', 'STOREDIST', 'x'],
      ['GEOSEARCH', 'nokey', 'FROMMEMBER', 'm', 'BYRADIUS', '1', 'km'],
      ['GEOSEARCH', 'nokey', 'FROMMEMBER', 'm', 'BYBOX', '1', '1', 'km', 'WITHDIST'],
      ['GEOSEARCH', 'nokey', 'FROMMEMBER', 'm'],
      ['GEOSEARCH', 'nokey', 'FROMLONLAT', '500', '0', 'BYRADIUS', '1', 'km'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '15', '37', 'BYRADIUS', '1'],
      // GEOSEARCHSTORE
      ['GEOSEARCHSTORE', 'dst', 'k', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'ASC', 'COUNT', '3'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['GEOSEARCH', 'dst', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'ASC', 'WITHCOORD', 'WITHDIST', 'WITHHASH'],
      ['GEOSEARCHSTORE', 'dst', 'k', 'FROMLONLAT', '15', '37', 'BYBOX', '400', '400', 'km', 'ASC', 'COUNT', '3', 'STOREDIST'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['GEOSEARCHSTORE', 'dst', 'k', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '200', 'mi', 'STOREDIST', 'STOREDIST'],
      ['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'],
      ['GEOSEARCHSTORE', 'k', 'k', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '100', 'km'],
      ['ZRANGE', 'k', '0', '-1', 'WITHSCORES'],
      ['GEOADD', 'k', ...SICILY, '12.758489', '38.788135', 'edge1', '17.241510', '38.788135', 'edge2'],
      ['GEOSEARCHSTORE', 'dst', 'k', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km'],
      ['EXISTS', 'dst'],
      ['GEOSEARCHSTORE', 'dst', 'nokey', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km'],
      ['GEOSEARCHSTORE', 'dst', 'k', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'WITHDIST'],
      ['GEOSEARCHSTORE', 'dst', 'k', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'WITHHASH', 'STOREDIST'],
      ['GEOSEARCHSTORE', 'dst', 'k', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'STORE', 'x'],
      ['GEOSEARCHSTORE', 'dst', 'k', 'BYRADIUS', '200', 'km'],
      ['geosearchSTORE', 'dst', 'k', 'FROMLONLAT', '15', '37', 'STOREDIST'],
      ['GEOSEARCHSTORE', 'dst', 'k', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'ANY'],
      ['GEOSEARCHSTORE', 'dst', 'k', 'FROMMEMBER', 'nope', 'BYRADIUS', '200', 'km'],
      ['GEOSEARCHSTORE', 'dst', 'nokey', 'FROMMEMBER', 'nope', 'BYRADIUS', '200', 'km'],
      ['GEOSEARCHSTORE', 'dst', 'k', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200'],
      ['SET', 'str', 'x'],
      ['GEOSEARCH', 'str', 'bogus'],
      ['GEOSEARCHSTORE', 'dst', 'str', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
      ['GEOSEARCHSTORE', 'str', 'k', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
      ['TYPE', 'str'],
    ];
    await s.diff(steps);
    await s.diff(steps, true);
  });

  it('equal distances under COUNT, ASC and DESC come out in Redis order (pqsort and the stable sort)', async () => {
    const steps: Step[] = [];
    const args: string[] = [];
    // 60 members on 4 points: many ties, more than 40 so every pqsort branch runs.
    for (let i = 0; i < 60; i++) args.push(String(10 + (i % 4) * 0.01), String(20 + (i % 4) * 0.01), `m${String((i * 37) % 60).padStart(2, '0')}`);
    steps.push(['GEOADD', 'tie', ...args]);
    for (const count of ['1', '2', '3', '5', '7', '8', '15', '16', '30', '41', '59', '60']) {
      steps.push(['GEOSEARCH', 'tie', 'FROMLONLAT', '10', '20', 'BYRADIUS', '100', 'km', 'COUNT', count]);
      steps.push(['GEOSEARCH', 'tie', 'FROMLONLAT', '10.03', '20.03', 'BYRADIUS', '100', 'km', 'COUNT', count, 'DESC']);
      steps.push(['GEORADIUS', 'tie', '10.01', '20.01', '100', 'km', 'COUNT', count, 'ASC', 'WITHDIST']);
    }
    steps.push(['GEOSEARCH', 'tie', 'FROMLONLAT', '10', '20', 'BYRADIUS', '100', 'km', 'ASC']);
    steps.push(['GEOSEARCH', 'tie', 'FROMLONLAT', '10', '20', 'BYRADIUS', '100', 'km', 'DESC']);
    steps.push(['GEOSEARCH', 'tie', 'FROMLONLAT', '10', '20', 'BYRADIUS', '100', 'km']);
    steps.push(['GEOSEARCH', 'tie', 'FROMLONLAT', '10', '20', 'BYRADIUS', '100', 'km', 'COUNT', '10', 'ANY']);
    // A small set (listpack) with ties, fewer than 7 results (insertion sort).
    steps.push(['GEOADD', 'few', '1', '1', 'a', '1', '1', 'b', '2', '2', 'c', '1', '1', 'd', '0', '0', 'e']);
    for (const count of ['1', '2', '3', '4', '5']) {
      steps.push(['GEORADIUS', 'few', '1', '1', '500', 'km', 'COUNT', count]);
      steps.push(['GEORADIUS', 'few', '1', '1', '500', 'km', 'COUNT', count, 'DESC']);
    }
    await s.diff(steps);
  });

  it('maps edges: poles, the antimeridian, huge and zero radii', async () => {
    const pts: string[] = [];
    const spots: [number, number][] = [[180, 0], [-180, 0], [179.99, 1], [-179.99, -1], [0, 85.05], [0, -85.05], [90, 85.05112878], [-90, -85.05112878], [0, 0], [0.0001, 0.0001], [45, 80.5], [-45, -80.5], [170, 70], [-170, -70]];
    spots.forEach(([lo, la], i) => pts.push(String(lo), String(la), `p${i}`));
    const steps: Step[] = [['GEOADD', 'e', ...pts]];
    for (const [lo, la] of spots) {
      for (const r of ['0', '1', '500', '5000', '10000', '20000', '30000']) {
        steps.push(['GEOSEARCH', 'e', 'FROMLONLAT', String(lo), String(la), 'BYRADIUS', r, 'km', 'ASC', 'WITHDIST']);
        steps.push(['GEOSEARCH', 'e', 'FROMLONLAT', String(lo), String(la), 'BYBOX', r, String(Number(r) / 2), 'km', 'DESC', 'WITHDIST']);
      }
    }
    steps.push(['GEORADIUS', 'e', '180', '85.05112878', '100', 'km', 'WITHCOORD']);
    steps.push(['GEORADIUS', 'e', '-180', '-85.05112878', '40000', 'km', 'WITHCOORD', 'ASC']);
    steps.push(['GEOSEARCHSTORE', 'd', 'e', 'FROMLONLAT', '0', '0', 'BYRADIUS', '25000', 'km', 'STOREDIST']);
    steps.push(['ZRANGE', 'd', '0', '-1', 'WITHSCORES']);
    await s.diff(steps);
  });

  it('COMMAND GETKEYS: the STORE / STOREDIST destinations of GEORADIUS* and GEOSEARCHSTORE', async () => {
    await s.diff([
      ['COMMAND', 'GETKEYS', 'GEORADIUS', 'k', '1', '2', '3', 'km'],
      ['COMMAND', 'GETKEYS', 'GEORADIUS', 'k', '1', '2', '3', 'km', 'STORE', 'd'],
      ['COMMAND', 'GETKEYS', 'GEORADIUS', 'k', '1', '2', '3', 'km', 'STOREDIST', 'd', 'STORE', 'e'],
      ['COMMAND', 'GETKEYS', 'GEORADIUSBYMEMBER', 'k', 'm', '3', 'km', 'STORE', 'd'],
      ['COMMAND', 'GETKEYS', 'GEORADIUSBYMEMBER', 'k', 'm', '3', 'STORE', 'd'],
      ['COMMAND', 'GETKEYS', 'GEORADIUS_RO', 'k', '1', '2', '3', 'km', 'STORE', 'd'],
      ['COMMAND', 'GETKEYS', 'GEOSEARCHSTORE', 'd', 's', 'FROMLONLAT', '1', '2', 'BYRADIUS', '1', 'km'],
      ['COMMAND', 'GETKEYS', 'GEOADD', 'k', '1', '2', 'm'],
      ['COMMAND', 'INFO', 'GEORADIUS', 'GEOSEARCHSTORE', 'GEOADD', 'GEOPOS'],
    ]);
  });

  it('MULTI and Lua see the same replies (GEOPOS doubles through scripts in RESP2 and RESP3)', async () => {
    const steps: Step[] = [
      ['GEOADD', 'k', ...SICILY],
      ['MULTI'],
      ['GEOPOS', 'k', 'Palermo', 'nope'],
      ['GEOSEARCH', 'k', 'FROMMEMBER', 'Palermo', 'BYRADIUS', '200', 'km', 'WITHCOORD', 'WITHDIST', 'ASC'],
      ['GEOHASH', 'k', 'Catania'],
      ['EXEC'],
      ['EVAL', "return redis.call('GEOPOS', KEYS[1], 'Palermo', 'nope')", '1', 'k'],
      ['EVAL', "redis.setresp(3); local r = redis.call('GEOPOS', KEYS[1], 'Palermo'); return r[1][1]['double']", '1', 'k'],
      ['EVAL', "return redis.call('GEODIST', KEYS[1], 'Palermo', 'Catania', 'km')", '1', 'k'],
      ['EVAL', "return redis.call('GEOSEARCH', KEYS[1], 'FROMMEMBER', 'Palermo', 'BYRADIUS', '200', 'km', 'WITHCOORD', 'WITHDIST', 'WITHHASH')", '1', 'k'],
    ];
    await s.diff(steps);
    await s.diff(steps, true);
  });

  it('store commands: keyspace events and change counts', async () => {
    const script: string[][] = [
      ['GEOADD', 'k', ...SICILY],
      ['GEOSEARCHSTORE', 'dst', 'k', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
      ['GEOSEARCHSTORE', 'dst', 'k', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'STOREDIST'],
      ['GEORADIUS', 'k', '15', '37', '200', 'km', 'STORE', 'dst2'],
      ['GEORADIUSBYMEMBER', 'k', 'Palermo', '1', 'km', 'STOREDIST', 'dst3'],
      ['GEORADIUS', 'k', '0', '0', '1', 'km', 'STORE', 'dst2'],
      ['GEORADIUS', 'k', '0', '0', '1', 'km', 'STORE', 'dst2'],
      ['GEOSEARCHSTORE', 'dst', 'nokey', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
      ['GEOSEARCHSTORE', 'dst', 'nokey', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
      ['GEORADIUSBYMEMBER', 'nokey', 'x', '1', 'km', 'STORE', 'dst3'],
      ['GEOSEARCH', 'k', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
      ['GEORADIUS', 'k', '15', '37', '200', 'km'],
      ['GEOSEARCHSTORE', 'dst', 'k', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'WITHDIST'],
    ];
    async function observe(port: number, clear: boolean): Promise<{ events: string[]; changes: number[] }> {
      if (clear) for (const db of s.ls.server.dbs) db.clear();
      const c = await RawClient.connect(port);
      const sub = await RawClient.connect(port);
      try {
        await c.call('FLUSHALL');
        await c.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEA');
        // GEOADD's own event is ZADD's ("zadd"), which comes from the sorted-set family.
        for (const ev of ['georadiusstore', 'geosearchstore', 'del']) await sub.call('SUBSCRIBE', `__keyevent@0__:${ev}`);
        await sub.call('PSUBSCRIBE', '__keyspace@0__:dst*');
        await sub.call('SUBSCRIBE', 'geo-test-end');
        const changes: number[] = [];
        const dirty = async (): Promise<number> => {
          const v = await c.call('INFO', 'persistence');
          return Number(/rdb_changes_since_last_save:(\d+)/.exec(str(v))![1]);
        };
        let before = await dirty();
        for (const cmd of script) {
          await c.call(...cmd);
          const now = await dirty();
          changes.push(now - before);
          before = now;
        }
        await c.call('PUBLISH', 'geo-test-end', 'x');
        const events: string[] = [];
        for (;;) {
          const m = (await sub.read()) as { v: RespValue[] };
          const parts = m.v.map((x) => str(x));
          if (parts[0] === 'message' && parts[1] === 'geo-test-end') break;
          events.push(parts.slice(1).join(' '));
        }
        await c.call('CONFIG', 'SET', 'notify-keyspace-events', '');
        return { events, changes };
      } finally {
        c.close();
        sub.close();
      }
    }
    const mine = await observe(s.ls.port, true);
    const theirs = await observe(s.rs.port, false);
    expect(theirs.events.length).toBeGreaterThan(5);
    expect(mine.events).toEqual(theirs.events);
    expect(mine.changes).toEqual(theirs.changes);
  });

  it('GEOADD and GEOSEARCHSTORE wake clients blocked on the sorted set', async () => {
    async function run(port: number, clear: boolean): Promise<string[]> {
      if (clear) for (const db of s.ls.server.dbs) db.clear();
      const c = await RawClient.connect(port);
      const w1 = await RawClient.connect(port);
      const w2 = await RawClient.connect(port);
      try {
        await c.call('FLUSHALL');
        await c.call('GEOADD', 'src', ...SICILY);
        const p1 = w1.call('BZPOPMIN', 'b1', '10');
        const p2 = w2.call('BZPOPMAX', 'b2', '10');
        // Both are blocked once CLIENT LIST shows them so (polled, no fixed sleep).
        for (let i = 0; i < 200; i++) {
          const list = str(await c.call('CLIENT', 'LIST'));
          if ((list.match(/cmd=bz/g) ?? []).length === 2) break;
          await new Promise((r) => setTimeout(r, 10));
        }
        await c.call('GEOADD', 'b1', '1', '2', 'm');
        await c.call('GEOSEARCHSTORE', 'b2', 'src', 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'STOREDIST');
        return [show(await p1), show(await p2), show(await c.call('ZRANGE', 'b2', '0', '-1', 'WITHSCORES'))];
      } finally {
        c.close();
        w1.close();
        w2.close();
      }
    }
    expect(await run(s.ls.port, true)).toEqual(await run(s.rs.port, false));
  });

  it('randomized option lists: every command, words drawn from the options, numbers and junk', async () => {
    const rnd = mulberry32(4242);
    const words = ['WITHDIST', 'withcoord', 'WITHHASH', 'ASC', 'desc', 'COUNT', 'ANY', 'STORE', 'STOREDIST', 'FROMMEMBER',
      'FROMLONLAT', 'BYRADIUS', 'BYBOX', 'km', 'M', 'ft', 'mi', 'yd', 'Palermo', 'Catania', 'nope', 'dst', '0', '1', '-1',
      '2', '15', '37', '200', '300', '1e3', 'x', '', '200.5', '-85.06', 'NX', 'XX', 'CH', 'inf'];
    const pick = (): string => words[Math.floor(rnd() * words.length)];
    const cmds = ['GEOADD', 'GEODIST', 'GEOHASH', 'GEOPOS', 'GEORADIUS', 'GEORADIUS_RO', 'GEORADIUSBYMEMBER', 'GEORADIUSBYMEMBER_RO', 'GEOSEARCH', 'GEOSEARCHSTORE'];
    const steps: Step[] = [['GEOADD', 'k', ...SICILY], ['SET', 'str', 'x']];
    for (let i = 0; i < 1500; i++) {
      const cmd = cmds[Math.floor(rnd() * cmds.length)];
      const key = rnd() < 0.85 ? 'k' : rnd() < 0.5 ? 'nokey' : 'str';
      const args = [cmd, ...(cmd === 'GEOSEARCHSTORE' ? ['dst'] : []), key];
      const n = Math.floor(rnd() * 12);
      for (let j = 0; j < n; j++) args.push(pick());
      steps.push(args);
      if (i % 50 === 0) steps.push(['ZRANGE', 'dst', '0', '-1', 'WITHSCORES'], ['ZRANGE', 'k', '0', '-1', 'WITHSCORES']);
    }
    await s.diff(steps);
    await s.diff(steps.slice(0, 400), true);
  });

  it('randomized: random points, random radius and box queries — byte-identical replies, brute-force haversine agreement', async () => {
    const a = await RawClient.connect(s.ls.port);
    const b = await RawClient.connect(s.rs.port);
    for (const db of s.ls.server.dbs) db.clear();
    let storedScores = 0;
    let lastBitDiffs = 0;
    let queries = 0;
    let bruteChecked = 0;
    try {
      for (const seed of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) {
        const rnd = mulberry32(seed * 7919);
        const resp3 = seed % 2 === 0;
        for (const c of [a, b]) {
          await c.call('FLUSHALL');
          await c.call('HELLO', resp3 ? '3' : '2');
        }
        // Points around a random centre (one seed near a pole, one on the antimeridian).
        const cx = seed === 3 ? 179 : (rnd() * 2 - 1) * 175;
        const cy = seed === 4 ? 82 : (rnd() * 2 - 1) * 75;
        const spread = 1 + rnd() * 25;
        const n = 150 + Math.floor(rnd() * 150);
        const args: string[] = [];
        const names: string[] = [];
        for (let i = 0; i < n; i++) {
          let lon = cx + (rnd() * 2 - 1) * spread;
          if (lon > 180) lon -= 360;
          if (lon < -180) lon += 360;
          const lat = Math.max(-85.05, Math.min(85.05, cy + (rnd() * 2 - 1) * spread * 0.6));
          names.push(`p${i}`);
          args.push(lon.toFixed(1 + Math.floor(rnd() * 8)), lat.toFixed(1 + Math.floor(rnd() * 8)), `p${i}`);
        }
        const [ra, rb] = await Promise.all([a.call('GEOADD', 'g', ...args), b.call('GEOADD', 'g', ...args)]);
        expect(show(ra)).toBe(show(rb));
        // Decoded positions, for the brute-force filter.
        const posReply = await b.call('GEOPOS', 'g', ...names);
        const pos = items(posReply).map((p) => items(p).map((x) => Number(str(x))));
        const check = async (cmd: string[]): Promise<RespValue> => {
          const [x, y] = await Promise.all([a.call(...cmd), b.call(...cmd)]);
          expect(show(x), `seed ${seed} command: ${cmd.join(' ')}`).toBe(show(y));
          queries++;
          return y;
        };
        const units: [string, number][] = [['m', 1], ['km', 1000], ['ft', 0.3048], ['mi', 1609.34]];
        for (let q = 0; q < 60; q++) {
          const [unit, conv] = units[Math.floor(rnd() * units.length)];
          const fromMember = rnd() < 0.3;
          const member = names[Math.floor(rnd() * n)];
          let lon = cx + (rnd() * 2 - 1) * spread * 1.2;
          if (lon > 180) lon -= 360;
          if (lon < -180) lon += 360;
          const lat = Math.max(-85, Math.min(85, cy + (rnd() * 2 - 1) * spread * 0.7));
          const lonS = lon.toFixed(5);
          const latS = lat.toFixed(5);
          const meters = Math.exp(rnd() * Math.log(3e6)) ;
          const radius = String(Number((meters / conv).toPrecision(6)));
          const width = String(Number(((meters * (0.5 + rnd() * 2)) / conv).toPrecision(5)));
          const height = String(Number(((meters * (0.5 + rnd() * 2)) / conv).toPrecision(5)));
          const from = fromMember ? ['FROMMEMBER', member] : ['FROMLONLAT', lonS, latS];
          const box = rnd() < 0.5;
          const by = box ? ['BYBOX', width, height, unit] : ['BYRADIUS', radius, unit];
          const opts: string[] = [];
          const order = rnd();
          if (order < 0.35) opts.push('ASC');
          else if (order < 0.6) opts.push('DESC');
          if (rnd() < 0.3) {
            opts.push('COUNT', String(1 + Math.floor(rnd() * 20)));
            if (rnd() < 0.3) opts.push('ANY');
          }
          const withs = ['WITHDIST', 'WITHCOORD', 'WITHHASH'].filter(() => rnd() < 0.5);
          const reply = await check(['GEOSEARCH', 'g', ...from, ...by, ...opts, ...withs]);
          // The GEORADIUS forms of the same circle.
          if (!box) {
            if (fromMember) await check(['GEORADIUSBYMEMBER', 'g', member, radius, unit, ...opts, ...withs]);
            else await check(['GEORADIUS_RO', 'g', lonS, latS, radius, unit, ...opts, ...withs]);
          }
          // Brute force: without COUNT, the members are exactly the points inside the shape
          // (points within a hair of the border, where the last bit decides, are not counted).
          if (!opts.includes('COUNT')) {
            const centre = fromMember ? pos[names.indexOf(member)] : [Number(lonS), Number(latS)];
            const got = new Set(items(reply).map((e) => (e.t === 'array' ? str(items(e)[0]) : str(e))));
            for (let i = 0; i < n; i++) {
              const [x, y] = pos[i];
              let inside: boolean;
              let margin: number;
              if (box) {
                const lonD = haversine(x, y, centre[0], y);
                const latD = haversine(x, y, x, centre[1]);
                const hw = (Number(width) * conv) / 2;
                const hh = (Number(height) * conv) / 2;
                inside = lonD <= hw && latD <= hh;
                margin = Math.min(Math.abs(lonD - hw) / hw, Math.abs(latD - hh) / hh);
              } else {
                const d = haversine(centre[0], centre[1], x, y);
                const lim = Number(radius) * conv;
                inside = d <= lim;
                margin = Math.abs(d - lim) / lim;
              }
              if (margin < 1e-9) continue;
              bruteChecked++;
              expect(got.has(names[i]), `seed ${seed} ${from.join(' ')} ${by.join(' ')}: ${names[i]} at ${x},${y}`).toBe(inside);
            }
          }
          // Stores: the same members and scores (STOREDIST scores: see below).
          if (rnd() < 0.9) {
            const storedist = rnd() < 0.8;
            const st = ['GEOSEARCHSTORE', 'dst', 'g', ...from, ...by, ...opts, ...(storedist ? ['STOREDIST'] : [])];
            await check(st);
            const [x, y] = await Promise.all([a.call('ZRANGE', 'dst', '0', '-1', 'WITHSCORES'), b.call('ZRANGE', 'dst', '0', '-1', 'WITHSCORES')]);
            const flat = (v: RespValue): string[] => items(v).flatMap((e) => (e.t === 'array' ? items(e).map(str) : [str(e)]));
            const fx = flat(x);
            const fy = flat(y);
            expect(fx.length).toBe(fy.length);
            const [ea, eb] = await Promise.all([a.call('OBJECT', 'ENCODING', 'dst'), b.call('OBJECT', 'ENCODING', 'dst')]);
            expect(show(ea)).toBe(show(eb));
            for (let i = 0; i < fx.length; i += 2) {
              // Members in the same order; scores identical, except that a STOREDIST distance
              // may differ in its last bits where glibc's sin/cos/asin are not correctly rounded
              // (about one call in a thousand; src/util/crmath.ts).
              expect(fx[i]).toBe(fy[i]);
              if (!storedist) expect(fx[i + 1]).toBe(fy[i + 1]);
              else {
                storedScores++;
                if (fx[i + 1] !== fy[i + 1]) {
                  lastBitDiffs++;
                  const [p, r] = [Number(fx[i + 1]), Number(fy[i + 1])];
                  expect(Math.abs(p - r), `seed ${seed} ${fx[i]}: ${fx[i + 1]} vs ${fy[i + 1]}`).toBeLessThanOrEqual(Math.abs(r) * 1e-14);
                }
              }
            }
          }
        }
      }
    } finally {
      a.close();
      b.close();
    }
    expect(queries).toBeGreaterThan(300);
    expect(bruteChecked).toBeGreaterThan(10000);
    expect(storedScores).toBeGreaterThan(100);
    // With V8's own Math.sin/cos/asin about 3% of these differ; the correctly rounded ones leave
    // glibc's own rounding errors, well under 1%.
    expect(lastBitDiffs).toBeLessThanOrEqual(Math.ceil(storedScores * 0.01));
  }, 120000);
});

describe('GEO: AOF restart', () => {
  it('geo keys written by GEOADD, GEORADIUS STORE and GEOSEARCHSTORE are the same after a restart', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lodestone-geo-'));
    const cmds: string[][] = [
      ['GEOADD', 'k', ...SICILY, '12.758489', '38.788135', 'edge1'],
      ['GEOADD', 'k', 'XX', 'CH', '13.5', '38', 'Palermo', '1', '1', 'ignored'],
      ['GEOADD', 'k', 'NX', '13.6', '38', 'Palermo', '2', '2', 'added'],
      ['GEORADIUS', 'k', '15', '37', '300', 'km', 'STORE', 'r1'],
      ['GEORADIUSBYMEMBER', 'k', 'Catania', '300', 'km', 'COUNT', '2', 'STOREDIST', 'r2'],
      ['GEOSEARCHSTORE', 's1', 'k', 'FROMLONLAT', '15', '37', 'BYBOX', '500', '500', 'km', 'STOREDIST'],
      ['GEOSEARCHSTORE', 's2', 'k', 'FROMMEMBER', 'edge1', 'BYRADIUS', '100', 'mi'],
      ['GEOSEARCHSTORE', 'gone', 'k', 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km'],
    ];
    const keys = ['k', 'r1', 'r2', 's1', 's2', 'gone'];
    const a = await startLodestone({ dir, appendonly: 'yes', appendfsync: 'always' });
    const before: string[] = [];
    try {
      const c = await RawClient.connect(a.port);
      await c.call('SET', 'gone', 'x');
      for (const cmd of cmds) {
        const r = await c.call(...cmd);
        expect(r.t, cmd.join(' ')).not.toBe('error');
      }
      for (const k of keys) before.push(show(await c.call('ZRANGE', k, '0', '-1', 'WITHSCORES')) + show(await c.call('TYPE', k)));
      c.close();
    } finally {
      await a.close();
    }
    expect(before[5]).toBe('array[]status("none")');
    const b = await startLodestone({ dir, appendonly: 'yes' });
    try {
      const c = await RawClient.connect(b.port);
      for (let i = 0; i < keys.length; i++) {
        expect(show(await c.call('ZRANGE', keys[i], '0', '-1', 'WITHSCORES')) + show(await c.call('TYPE', keys[i])), keys[i]).toBe(before[i]);
      }
      c.close();
    } finally {
      await b.close();
    }
  });
});
