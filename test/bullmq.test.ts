// BullMQ (npm `bullmq`), unchanged, end to end against Lodestone: a queue, a worker and queue events
// process 1,000 jobs, some failing and retried with backoff, some delayed, one with priority —
// BullMQ's whole protocol is Lua scripts (EVALSHA with cmsgpack/cjson inside), sorted sets, lists,
// streams (job events, XADD/XREAD BLOCK) and BZPOPMIN markers, so this is the compatibility test
// that real queue software runs. The same scenario runs against a real redis-server when one is
// installed, so a failure here can be told apart from a test that is wrong.

import { Queue, QueueEvents, Worker, type Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LodestoneHandle, ProcessHandle, skipReason, startLodestone, startRedis, HAVE_REDIS_SERVER } from './helpers/servers.js';

const JOBS = 1000;

interface Outcome {
  completed: number;
  failedForGood: number;
  retried: number;
  delayedRanLate: boolean;
  priorityFirst: boolean;
  eventsCompleted: number;
  results: Map<string, unknown>;
}

async function scenario(port: number, name: string): Promise<Outcome> {
  const connection = { host: '127.0.0.1', port, maxRetriesPerRequest: null };
  const queue = new Queue(name, { connection });
  const events = new QueueEvents(name, { connection });
  await events.waitUntilReady();
  const attemptsSeen = new Map<string, number>();
  const results = new Map<string, unknown>();
  let eventsCompleted = 0;
  events.on('completed', () => eventsCompleted++);
  let delayedAddedAt = 0;
  let delayedProcessedAt = 0;
  const order: string[] = [];
  // The worker starts only once every job is queued (autorun: false), so the order is BullMQ's.
  const worker: Worker = new Worker(
    name,
    async (job: Job) => {
      order.push(job.name);
      attemptsSeen.set(job.id!, (attemptsSeen.get(job.id!) ?? 0) + 1);
      if (job.name === 'delayed') delayedProcessedAt = Date.now();
      if (job.name === 'always-fails') throw new Error('nope');
      // Every 10th job fails on its first attempt and succeeds on the retry.
      if (job.data.i % 10 === 0 && job.attemptsMade === 0) throw new Error(`transient ${job.data.i}`);
      return { doubled: job.data.i * 2 };
    },
    { connection, concurrency: 8, autorun: false },
  );
  const done = new Promise<void>((resolve) => {
    let finished = 0;
    const check = () => {
      if (++finished === JOBS + 4) resolve(); // 1,003 completions and one final failure
    };
    worker.on('completed', check);
    worker.on('failed', (job) => {
      if (job && job.attemptsMade >= (job.opts.attempts ?? 1)) check();
    });
  });
  worker.on('completed', (job, ret) => results.set(job.id!, ret));
  try {
    const bulk = Array.from({ length: JOBS }, (_, i) => ({
      name: 'work',
      data: { i },
      opts: { attempts: 3, backoff: { type: 'fixed', delay: 20 }, removeOnComplete: false },
    }));
    await queue.addBulk(bulk);
    // Prioritized jobs wait behind jobs without a priority (BullMQ's rule); among them, 1 goes first.
    await queue.add('low', { i: -2 }, { priority: 50 });
    await queue.add('urgent', { i: -1 }, { priority: 1 });
    delayedAddedAt = Date.now();
    await queue.add('delayed', { i: 1001 }, { delay: 300 });
    await queue.add('always-fails', { i: 1002 }, { attempts: 2, backoff: { type: 'fixed', delay: 10 } });
    void worker.run();
    await done;
    const counts = await queue.getJobCounts('completed', 'failed', 'delayed', 'wait', 'active');
    const failed = await queue.getFailed();
    // Give the event stream a moment to deliver the last completions (XREAD BLOCK).
    for (let i = 0; i < 100 && eventsCompleted < counts.completed; i++) await new Promise((r) => setTimeout(r, 20));
    let retried = 0;
    for (const n of attemptsSeen.values()) if (n > 1) retried++;
    return {
      completed: counts.completed,
      failedForGood: failed.length,
      retried,
      delayedRanLate: delayedProcessedAt - delayedAddedAt >= 300,
      priorityFirst: order.indexOf('urgent') >= 0 && order.indexOf('urgent') < order.indexOf('low'),
      eventsCompleted,
      results,
    };
  } finally {
    await worker.close();
    await events.close();
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
  }
}

function check(o: Outcome): void {
  expect(o.completed).toBe(JOBS + 3); // the bulk, two prioritized jobs, the delayed job
  expect(o.failedForGood).toBe(1); // always-fails, after its 2 attempts
  expect(o.retried).toBe(JOBS / 10 + 1); // every 10th job once, plus always-fails
  expect(o.delayedRanLate).toBe(true);
  expect(o.priorityFirst).toBe(true);
  expect(o.eventsCompleted).toBe(JOBS + 3);
  expect([...o.results.values()].filter((r) => (r as { doubled: number }).doubled !== undefined).length).toBe(JOBS + 3);
}

describe('BullMQ against Lodestone', () => {
  let ls: LodestoneHandle;
  beforeAll(async () => {
    ls = await startLodestone();
  });
  afterAll(async () => {
    await ls?.close();
  });

  it('processes 1,000 jobs with retries, a delayed job, a priority job and a permanent failure', async () => {
    check(await scenario(ls.port, 'lodestone-q'));
  }, 120000);
});

describe.skipIf(skipReason('BullMQ reference run', 'redis-server'))('BullMQ against redis-server (the same scenario, as a reference)', () => {
  let redis: ProcessHandle;
  beforeAll(async () => {
    if (HAVE_REDIS_SERVER) redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.close();
  });

  it('gives the same outcome', async () => {
    check(await scenario(redis.port, 'redis-q'));
  }, 120000);
});
