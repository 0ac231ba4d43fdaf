// Differential tests for the replication commands' replies and errors (REPLCONF, WAIT, REPLICAOF,
// SLAVEOF, ROLE, FAILOVER, PSYNC/SYNC arity) and the INFO replication field names, against a real
// redis-server 7.0 standalone master with no replicas. The replication itself (both ways) is in
// test/replication.test.ts.
import { describe, expect, it } from 'vitest';
import { diffServers } from '../helpers/diff.js';
import { RawClient } from '../helpers/raw-client.js';
import { infoFields } from '../helpers/poll.js';
import { skipReason } from '../helpers/servers.js';

describe.skipIf(skipReason('replication differential tests', 'redis-server'))('replication commands: differential vs redis-server', () => {
  const s = diffServers();

  it('REPLCONF options and errors', async () => {
    await s.diff([
      ['REPLCONF'],
      ['REPLCONF', 'listening-port'],
      ['REPLCONF', 'listening-port', '1234'],
      ['REPLCONF', 'listening-port', 'abc'],
      ['REPLCONF', 'capa', 'eof'],
      ['REPLCONF', 'capa', 'eof', 'capa', 'psync2'],
      ['REPLCONF', 'capa', 'whatever'],
      ['REPLCONF', 'ip-address', '10.0.0.1'],
      ['REPLCONF', 'foo', 'bar'],
      ['REPLCONF', 'FOO', 'bar'],
      ['REPLCONF', 'listening-port', '1', 'foo'],
      ['REPLCONF', 'rdb-only', '2'],
      ['REPLCONF', 'rdb-only', 'x'],
      ['REPLCONF', 'rdb-only', '0'],
      ['REPLCONF', 'rdb-filter-only', 'functions'],
      ['REPLCONF', 'rdb-filter-only', 'xyz'],
      ['PING'],
    ]);
  });

  it('WAIT: argument errors in Redis order, no replicas', async () => {
    await s.diff([
      ['WAIT'],
      ['WAIT', '1'],
      ['WAIT', 'x', '0'],
      ['WAIT', '1', 'x'],
      ['WAIT', 'x', 'y'],
      ['WAIT', '1', '-1'],
      ['WAIT', '0', '0'],
      ['WAIT', '1', '1'],
      ['SET', 'k', 'v'],
      ['WAIT', '0', '100'],
      ['MULTI'],
      ['WAIT', '1', '100'],
      ['EXEC'],
    ]);
  });

  it('REPLICAOF / SLAVEOF argument errors, NO ONE on a master, ROLE', async () => {
    await s.diff([
      ['REPLICAOF'],
      ['REPLICAOF', 'host'],
      ['REPLICAOF', 'host', 'x'],
      ['REPLICAOF', 'host', '-1'],
      ['REPLICAOF', 'host', '65536'],
      ['SLAVEOF', 'host', '99999'],
      ['REPLICAOF', 'no', 'one'],
      ['SLAVEOF', 'NO', 'ONE'],
      ['ROLE'],
      ['ROLE', 'x'],
      ['PSYNC'],
      ['PSYNC', '?'],
      ['SYNC', 'x'],
    ]);
  });

  it('FAILOVER argument and state errors on a master without replicas', async () => {
    await s.diff([
      ['FAILOVER'],
      ['FAILOVER', 'ABORT'],
      ['FAILOVER', 'abort', 'x'],
      ['FAILOVER', 'TIMEOUT', '0'],
      ['FAILOVER', 'TIMEOUT', '-5'],
      ['FAILOVER', 'TIMEOUT', 'x'],
      ['FAILOVER', 'TIMEOUT', '100', 'TIMEOUT', '100'],
      ['FAILOVER', 'FORCE'],
      ['FAILOVER', 'FORCE', 'FORCE'],
      ['FAILOVER', 'TO', 'h'],
      ['FAILOVER', 'TO', 'h', 'x'],
      ['FAILOVER', 'TO', 'h', '1', 'FORCE'],
      ['FAILOVER', 'bogus'],
    ]);
  });

  it('INFO replication has the same fields in the same order', async () => {
    const names = async (port: number) => {
      const c = await RawClient.connect(port);
      try {
        const r = await c.call('INFO', 'replication');
        if (r.t !== 'bulk') throw new Error('INFO did not reply a bulk string');
        return Object.keys(infoFields(r.v));
      } finally {
        c.close();
      }
    };
    expect(await names(s.ls.port)).toEqual(await names(s.rs.port));
  });
});
