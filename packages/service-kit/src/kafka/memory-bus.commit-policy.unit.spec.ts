import { describe, expect, it } from 'vitest';
import { createLogger } from '../log/logger.ts';
import { type Batch, isProducerFenced, type TransactionalProducer } from './bus.ts';
import { interceptBatches } from './intercept-batches.test-support.ts';
import { createMemoryBus, type MemoryBus } from './memory-bus.ts';
import { type BatchOutcome, type CommitPolicy, HOLD_BATCH, startTransactionalPipeline } from './transactional-pipeline.ts';

/**
 * Transactions bounded by time, not by fetch: a partition's transaction carries batches until the
 * interval has passed, enough records went in, the partition is caught up, or something ends it (stop, a
 * held batch, a failure, a lost partition). On the twin, with small fetches (3 records), one partition.
 */

const logger = createLogger({ service: 'test', level: 'silent' });
const GROUP = 'pipeline';
const LONG: CommitPolicy = { intervalMs: 60_000, maxRecords: 10_000 };

interface Harness {
  bus: MemoryBus;
  /** what happened, in order: `handle 0-2`, `commit 0-2`, `abort 0-2` (a batch's offsets), `tx` (a transaction committed) */
  events: string[];
  /** failures the pipeline met because its producer was fenced */
  fenced: () => number;
  send: (from: number, to: number) => Promise<void>;
}

async function setUp(): Promise<Harness> {
  const bus = createMemoryBus({ maxBatchRecords: 3 });
  const admin = await bus.admin();
  await admin.ensureTopics([
    { name: 'in', partitions: 1, replicationFactor: 1 },
    { name: 'out', partitions: 1, replicationFactor: 1 },
  ]);
  const events: string[] = [];
  let fenced = 0;
  const counted = <T>(p: Promise<T>) =>
    p.catch((error: unknown) => {
      if (isProducerFenced(error)) fenced++;
      throw error;
    });
  const transactionalProducer = bus.transactionalProducer.bind(bus);
  bus.transactionalProducer = async (id): Promise<TransactionalProducer> => {
    const producer = await transactionalProducer(id);
    return {
      disconnect: () => producer.disconnect(),
      transaction: async () => {
        const tx = await counted(producer.transaction());
        return {
          send: (m) => counted(tx.send(m)),
          sendOffsets: (g, o) => counted(tx.sendOffsets(g, o)),
          commit: async () => {
            await counted(tx.commit());
            events.push('tx');
          },
          abort: () => counted(tx.abort()),
        };
      },
    };
  };
  const producer = await bus.producer();
  const send = (from: number, to: number) =>
    producer.send(Array.from({ length: to - from }, (_, i) => ({ topic: 'in', key: null, value: `event-${from + i}` })));
  return { bus, events, fenced: () => fenced, send };
}

const span = (batch: Batch) => `${batch.messages[0]?.offset}-${batch.messages.at(-1)?.offset}`;

/** a handler that maps every record to one output and writes down what happens to each batch */
function recording(events: string[], before?: (batch: Batch) => Promise<void> | void) {
  return async (batch: Batch): Promise<BatchOutcome> => {
    await before?.(batch);
    events.push(`handle ${span(batch)}`);
    return {
      messages: batch.messages.map((m) => ({ topic: 'out', key: null, value: `out-${m.value?.toString()}` })),
      afterCommit: () => events.push(`commit ${span(batch)}`),
      afterAbort: () => events.push(`abort ${span(batch)}`),
    };
  };
}

function start(h: Harness, commit: CommitPolicy, handle = recording(h.events), now?: () => number) {
  return startTransactionalPipeline({ bus: h.bus, groupId: GROUP, topic: 'in', logger, handle, commit, now });
}

/** every output a read_committed reader sees, and the ones it sees more than once */
function outputs(bus: MemoryBus): { values: string[]; duplicates: string[] } {
  const values = bus.read('out').map((m) => m.value?.toString() ?? '');
  return { values: [...new Set(values)].sort(), duplicates: values.filter((v, i) => values.indexOf(v) !== i) };
}
const expected = (n: number) => Array.from({ length: n }, (_, i) => `out-event-${i}`).sort();

/** An upstream transaction left open after the records: a read_committed reader stops in front of it. */
async function openUpstreamTransaction(bus: MemoryBus): Promise<void> {
  const upstream = await bus.transactionalProducer('upstream');
  const tx = await upstream.transaction();
  await tx.send([{ topic: 'in', key: null, value: 'not-yet-committed' }]);
}

/** Every batch looks as if more lay beyond it (its partition's end far off): no commit for being caught up. */
function neverCaughtUp(bus: MemoryBus): void {
  interceptBatches(bus, (batch, context, next) => next({ ...batch, highWatermark: '1000000', lastStableOffset: '1000000' }, context));
}

describe('transactions bounded by time, not by fetch', () => {
  it('carries several batches in one transaction; each batch hears of the commit, in order, once it happened', async () => {
    const h = await setUp();
    await h.send(0, 10);
    const pipeline = await start(h, LONG);
    await h.bus.settled();
    // the last batch reached the end of the partition: caught up, so the transaction committed at once
    expect(h.events).toEqual([
      'handle 0-2',
      'handle 3-5',
      'handle 6-8',
      'handle 9-9',
      'tx',
      'commit 0-2',
      'commit 3-5',
      'commit 6-8',
      'commit 9-9',
    ]);
    expect(outputs(h.bus)).toEqual({ values: expected(10), duplicates: [] });
    expect(h.bus.committedOffset(GROUP, 'in', 0)).toBe('10');
    await pipeline.stop();
  });

  it('counts a batch that ends in front of an open upstream transaction as caught up (the last stable offset, not the high watermark)', async () => {
    const h = await setUp();
    await h.send(0, 5);
    await openUpstreamTransaction(h.bus); // read_committed stops at 5; the high watermark is 6
    const pipeline = await start(h, LONG);
    await h.bus.waitUntil(() => h.events.includes('tx'));
    // committed after the batch that reached offset 5, not after the interval (a minute) nor on stop
    expect(h.events).toEqual(['handle 0-2', 'handle 3-4', 'tx', 'commit 0-2', 'commit 3-4']);
    expect(h.bus.committedOffset(GROUP, 'in', 0)).toBe('5');
    await pipeline.stop();
  });

  it('with interval 0 commits every batch in its own transaction', async () => {
    const h = await setUp();
    await h.send(0, 6);
    const pipeline = await start(h, { intervalMs: 0, maxRecords: 10_000 });
    await h.bus.settled();
    expect(h.events).toEqual(['handle 0-2', 'tx', 'commit 0-2', 'handle 3-5', 'tx', 'commit 3-5']);
    await pipeline.stop();
  });

  it('commits once the transaction holds the most records it may', async () => {
    const h = await setUp();
    await h.send(0, 12);
    const pipeline = await start(h, { intervalMs: 60_000, maxRecords: 6 });
    await h.bus.settled();
    expect(h.events.filter((e) => !e.startsWith('commit'))).toEqual(['handle 0-2', 'handle 3-5', 'tx', 'handle 6-8', 'handle 9-11', 'tx']);
    expect(outputs(h.bus)).toEqual({ values: expected(12), duplicates: [] });
    await pipeline.stop();
  });

  it('commits after a batch once the interval has passed since the transaction began', async () => {
    const h = await setUp();
    await h.send(0, 12);
    let clock = 1_000;
    // the second batch of each transaction takes the whole interval
    const handle = recording(h.events, (batch) => {
      if (batch.messages[0]?.offset === '3' || batch.messages[0]?.offset === '9') clock += LONG.intervalMs;
    });
    const pipeline = await start(h, LONG, handle, () => clock);
    await h.bus.settled();
    expect(h.events.filter((e) => !e.startsWith('commit'))).toEqual(['handle 0-2', 'handle 3-5', 'tx', 'handle 6-8', 'handle 9-11', 'tx']);
    await pipeline.stop();
  });

  it('commits an idle partition’s open transaction on its timer, when no batch comes', async () => {
    const h = await setUp();
    await h.send(0, 5);
    neverCaughtUp(h.bus); // no commit for being caught up
    const pipeline = await start(h, { intervalMs: 20, maxRecords: 10_000 });
    await h.bus.waitUntil(() => h.events.includes('tx'));
    expect(h.events).toEqual(['handle 0-2', 'handle 3-4', 'tx', 'commit 0-2', 'commit 3-4']);
    expect(h.bus.committedOffset(GROUP, 'in', 0)).toBe('5');
    await pipeline.stop();
  });

  it('commits the open transaction on stop()', async () => {
    const h = await setUp();
    await h.send(0, 5);
    neverCaughtUp(h.bus);
    const pipeline = await start(h, LONG);
    await h.bus.waitUntil(() => h.events.length === 2);
    expect(h.bus.committedOffset(GROUP, 'in', 0)).toBeUndefined(); // open: not caught up, interval far off
    expect(outputs(h.bus).values).toEqual([]);
    await pipeline.stop();
    expect(h.events).toEqual(['handle 0-2', 'handle 3-4', 'tx', 'commit 0-2', 'commit 3-4']);
    expect(h.bus.committedOffset(GROUP, 'in', 0)).toBe('5');
    expect(outputs(h.bus)).toEqual({ values: expected(5), duplicates: [] });
  });

  it('reads every batch of an aborted transaction once more, and publishes nothing twice', async () => {
    const h = await setUp();
    await h.send(0, 10);
    h.bus.faults.failNext('commit');
    const pipeline = await start(h, LONG);
    await h.bus.settled();
    expect(h.bus.faults.pending()).toBe(0);
    expect(h.events).toEqual([
      'handle 0-2',
      'handle 3-5',
      'handle 6-8',
      'handle 9-9',
      'abort 0-2',
      'abort 3-5',
      'abort 6-8',
      'abort 9-9',
      'handle 0-2',
      'handle 3-5',
      'handle 6-8',
      'handle 9-9',
      'tx',
      'commit 0-2',
      'commit 3-5',
      'commit 6-8',
      'commit 9-9',
    ]);
    expect(outputs(h.bus)).toEqual({ values: expected(10), duplicates: [] });
    expect(h.bus.read('out', { readCommitted: false })).toHaveLength(20); // the aborted outputs are in the log
    expect(h.bus.committedOffset(GROUP, 'in', 0)).toBe('10');
    await pipeline.stop();
  });

  it('reads every batch again when its timer’s commit fails (the batches were already handed back as done)', async () => {
    const h = await setUp();
    await h.send(0, 5);
    neverCaughtUp(h.bus);
    h.bus.faults.failNext('commit');
    const pipeline = await start(h, { intervalMs: 20, maxRecords: 10_000 });
    await h.bus.waitUntil(() => h.events.includes('tx'));
    expect(h.events).toEqual([
      'handle 0-2',
      'handle 3-4',
      'abort 0-2',
      'abort 3-4',
      'handle 0-2',
      'handle 3-4',
      'tx',
      'commit 0-2',
      'commit 3-4',
    ]);
    expect(outputs(h.bus)).toEqual({ values: expected(5), duplicates: [] });
    await pipeline.stop();
  });

  it('stays exactly-once when the producer is fenced mid-transaction (a new producer took the id)', async () => {
    const h = await setUp();
    await h.send(0, 9);
    let rivalled = false;
    const handle = recording(h.events, async (batch) => {
      if (!rivalled && batch.messages[0]?.offset === '3') {
        rivalled = true;
        await (await h.bus.transactionalProducer(`${GROUP}-in-0`)).transaction(); // fences the pipeline's producer
      }
    });
    const pipeline = await start(h, LONG, handle);
    await h.bus.settled();
    expect(h.fenced()).toBeGreaterThan(0);
    // the first batch was in the fenced transaction too: both are read again, on a new producer
    expect(h.events).toEqual([
      'handle 0-2',
      'handle 3-5',
      'abort 0-2',
      'abort 3-5',
      'handle 0-2',
      'handle 3-5',
      'handle 6-8',
      'tx',
      'commit 0-2',
      'commit 3-5',
      'commit 6-8',
    ]);
    expect(outputs(h.bus)).toEqual({ values: expected(9), duplicates: [] });
    expect(h.bus.committedOffset(GROUP, 'in', 0)).toBe('9');
    await pipeline.stop();
  });

  it('commits the batches before one the handler throws on, and reads that one again', async () => {
    const h = await setUp();
    await h.send(0, 9);
    let thrown = false;
    const handle = recording(h.events, (batch) => {
      if (!thrown && batch.messages[0]?.offset === '6') {
        thrown = true;
        throw Object.assign(new Error('the registry is away'), { retriable: true });
      }
    });
    const pipeline = await start(h, LONG, handle);
    await h.bus.settled();
    expect(h.events).toEqual(['handle 0-2', 'handle 3-5', 'tx', 'commit 0-2', 'commit 3-5', 'handle 6-8', 'tx', 'commit 6-8']);
    expect(outputs(h.bus)).toEqual({ values: expected(9), duplicates: [] });
    await pipeline.stop();
  });

  it('commits the batches before a held one (a halted partition), and reads the held one again', async () => {
    const h = await setUp();
    await h.send(0, 9);
    let held = false;
    const record = recording(h.events);
    const pipeline = await startTransactionalPipeline({
      bus: h.bus,
      groupId: GROUP,
      topic: 'in',
      logger,
      commit: LONG,
      handle: async (batch) => {
        if (!held && batch.messages[0]?.offset === '3') {
          held = true;
          return HOLD_BATCH;
        }
        return record(batch);
      },
    });
    await h.bus.settled();
    expect(h.events).toEqual(['handle 0-2', 'tx', 'commit 0-2', 'handle 3-5', 'handle 6-8', 'tx', 'commit 3-5', 'commit 6-8']);
    expect(outputs(h.bus)).toEqual({ values: expected(9), duplicates: [] });
    await pipeline.stop();
  });

  it('stays exactly-once when the member loses its partition with a transaction open and joins again', async () => {
    const h = await setUp();
    await h.send(0, 5);
    neverCaughtUp(h.bus);
    const pipeline = await start(h, LONG);
    await h.bus.waitUntil(() => h.events.length === 2);
    const [member] = h.bus.groupMembers(GROUP);
    h.bus.evictMember(GROUP, member as string); // it joins again and reads from the committed offset
    await h.send(5, 8);
    await h.bus.waitUntil(() => h.bus.committedOffset(GROUP, 'in', 0) === '5');
    expect(outputs(h.bus)).toEqual({ values: expected(5), duplicates: [] });
    await pipeline.stop();
    expect(outputs(h.bus).duplicates).toEqual([]);
    expect(h.events.filter((e) => e.startsWith('handle 0-'))).toHaveLength(1); // the open transaction was committed, not read again
  });

  it('does not process again a batch fetched from before what its timer committed (a rebalance between the group’s offsets and the commit)', async () => {
    const h = await setUp();
    await h.send(0, 5);
    await openUpstreamTransaction(h.bus); // what comes later waits behind it
    neverCaughtUp(h.bus);
    // the consumer hands over, once, its first batch again: as kafkajs does when it fetched the group's
    // committed offset for a rebalance just before the timer's commit moved it
    let first: Batch | undefined;
    let replay = false;
    interceptBatches(h.bus, async (batch, context, next) => {
      first ??= batch;
      if (replay) {
        replay = false;
        await next(first, context);
      }
      await next(batch, context);
    });
    const pipeline = await start(h, { intervalMs: 20, maxRecords: 10_000 });
    await h.bus.waitUntil(() => h.events.includes('tx'));
    replay = true;
    await h.send(5, 6); // behind the upstream transaction: read once it aborts
    const upstream = await h.bus.transactionalProducer('upstream'); // fences the open one: aborts it
    await upstream.transaction();
    await h.bus.waitUntil(() => h.bus.committedOffset(GROUP, 'in', 0) === '8');
    expect(replay).toBe(false);
    expect(h.events.filter((e) => e.startsWith('handle'))).toEqual(['handle 0-2', 'handle 3-4', 'handle 6-6']);
    expect(outputs(h.bus)).toEqual({ values: [...expected(5), 'out-event-5'].sort(), duplicates: [] });
    await pipeline.stop();
  });
});
