import { describe, expect, it } from 'vitest';
import { createLogger } from '../log/logger.ts';
import type { Batch } from './bus.ts';
import { createMemoryBus, type MemoryBus } from './memory-bus.ts';
import { type CommitPolicy, startTransactionalPipeline } from './transactional-pipeline.ts';

/**
 * Partitions handled concurrently (RunOptions.partitionsConcurrently) on the twin: batches of several
 * partitions are in eachBatch at once, never two of one partition, every record is handled once; in the
 * transactional pipeline a failure of one partition's transaction touches only that partition.
 */

const logger = createLogger({ service: 'test', level: 'silent' });
const PARTITIONS = 4;

async function busWith(records: number, options: { maxBatchRecords?: number } = {}): Promise<MemoryBus> {
  const bus = createMemoryBus(options);
  const admin = await bus.admin();
  await admin.ensureTopics([
    { name: 'in', partitions: PARTITIONS, replicationFactor: 1 },
    { name: 'out', partitions: 1, replicationFactor: 1 },
  ]);
  const producer = await bus.producer();
  await producer.send(
    Array.from({ length: records }, (_, i) => ({ topic: 'in', partition: i % PARTITIONS, key: null, value: `event-${i}` })),
  );
  return bus;
}

/** lets other batches run in between: a handler that awaits a few event-loop turns, as one awaiting the broker does */
const turns = async (n: number) => {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

/** what a handler sees: the most batches in hand at once, of all partitions and of one, and every record in order */
function watch() {
  const inHand = new Map<number, number>();
  const seen: string[] = [];
  const order = new Map<number, number[]>();
  let most = 0;
  let mostOfOnePartition = 0;
  return {
    seen,
    order,
    most: () => most,
    mostOfOnePartition: () => mostOfOnePartition,
    async around<T>(batch: Batch, work: () => Promise<T>): Promise<T> {
      inHand.set(batch.partition, (inHand.get(batch.partition) ?? 0) + 1);
      most = Math.max(
        most,
        [...inHand.values()].reduce((a, b) => a + b, 0),
      );
      mostOfOnePartition = Math.max(mostOfOnePartition, inHand.get(batch.partition) ?? 0);
      try {
        return await work();
      } finally {
        inHand.set(batch.partition, (inHand.get(batch.partition) ?? 0) - 1);
      }
    },
    record(batch: Batch) {
      for (const m of batch.messages) {
        seen.push(String(m.value));
        order.set(batch.partition, [...(order.get(batch.partition) ?? []), Number(m.offset)]);
      }
    },
  };
}

const inOrder = (offsets: number[] | undefined) => (offsets ?? []).every((o, i, all) => i === 0 || o === (all[i - 1] as number) + 1);

describe('memory bus consumer, partitions handled concurrently', () => {
  it.each([
    1,
    2,
    PARTITIONS,
  ])('with partitionsConcurrently %i, has at most that many batches in hand, one per partition, and hands every record once', async (n) => {
    const bus = await busWith(80, { maxBatchRecords: 3 });
    const seen = watch();
    const consumer = await bus.consumer({ groupId: 'g' });
    await consumer.subscribe(['in']);
    await consumer.run({
      autoCommit: true,
      partitionsConcurrently: n,
      eachBatch: (batch) =>
        seen.around(batch, async () => {
          await turns(20);
          seen.record(batch);
        }),
    });
    await bus.settled();

    expect(seen.most()).toBe(n); // never more, and as many as it may: the test fails if batches take turns
    expect(seen.mostOfOnePartition()).toBe(1);
    expect(seen.seen.sort()).toEqual(Array.from({ length: 80 }, (_, i) => `event-${i}`).sort());
    for (let p = 0; p < PARTITIONS; p++) expect(inOrder(seen.order.get(p))).toBe(true);
    for (let p = 0; p < PARTITIONS; p++) expect(bus.committedOffset('g', 'in', p)).toBe('20');
    await consumer.disconnect();
  });

  it('reads a failed batch again while the other partitions go on, and lets batches in hand finish before a rebalance', async () => {
    const bus = await busWith(40, { maxBatchRecords: 2 });
    const seen = watch();
    let failures = 2;
    const handler = (batch: Batch) =>
      seen.around(batch, async () => {
        await turns(20);
        if (batch.partition === 1 && failures > 0) {
          failures--;
          throw new Error('on purpose');
        }
        seen.record(batch);
      });
    const first = await bus.consumer({ groupId: 'g' });
    await first.subscribe(['in']);
    await first.run({ autoCommit: true, partitionsConcurrently: PARTITIONS, eachBatch: handler });
    await bus.waitUntil(() => seen.seen.length >= 10);
    const second = await bus.consumer({ groupId: 'g' }); // a rebalance while batches are in hand
    await second.subscribe(['in']);
    await second.run({ autoCommit: true, partitionsConcurrently: PARTITIONS, eachBatch: handler });
    await bus.settled();

    expect(failures).toBe(0);
    expect(seen.mostOfOnePartition()).toBe(1); // also across the two members
    expect(seen.seen.sort()).toEqual(Array.from({ length: 40 }, (_, i) => `event-${i}`).sort());
    expect(first.state()).toBe('running');
    await Promise.all([first.disconnect(), second.disconnect()]);
  });
});

const policies: Array<{ name: string; commit: CommitPolicy }> = [
  { name: 'one transaction per batch', commit: { intervalMs: 0, maxRecords: 1 } },
  { name: 'transactions spanning batches', commit: { intervalMs: 60_000, maxRecords: 10_000 } },
];

describe.each(policies)('transactional pipeline with partitions handled concurrently, $name', ({ commit }) => {
  it('has batches of every partition in hand at once, and a failed commit of one partition reads only that partition again', async () => {
    const bus = await busWith(80, { maxBatchRecords: 3 });
    const seen = watch();
    const handled = new Map<number, number>();
    // partition 2's transactions fail twice: once before the commit, once with the commit done and its answer lost
    bus.faults.failNext('commit', { transactionalId: 'pipeline-in-2' });
    bus.faults.failNext('commit', { transactionalId: 'pipeline-in-2', afterEffect: true });
    const pipeline = await startTransactionalPipeline({
      bus,
      groupId: 'pipeline',
      topic: 'in',
      logger,
      commit,
      partitionsConcurrently: PARTITIONS,
      handle: (batch) =>
        seen.around(batch, async () => {
          await turns(20);
          handled.set(batch.partition, (handled.get(batch.partition) ?? 0) + batch.messages.length);
          return { messages: batch.messages.map((m) => ({ topic: 'out', key: null, value: `out-${String(m.value)}` })) };
        }),
    });
    await bus.settled();

    expect(bus.faults.pending()).toBe(0);
    expect(seen.most()).toBe(PARTITIONS);
    expect(seen.mostOfOnePartition()).toBe(1);
    const out = bus.read('out').map((m) => String(m.value));
    expect(out.sort()).toEqual(Array.from({ length: 80 }, (_, i) => `out-event-${i}`).sort()); // each once
    // only partition 2 read records again; the others handled each of their 20 records once
    for (const p of [0, 1, 3]) expect(handled.get(p)).toBe(20);
    expect(handled.get(2)).toBeGreaterThan(20);
    for (let p = 0; p < PARTITIONS; p++) expect(bus.committedOffset('pipeline', 'in', p)).toBe('20');
    await pipeline.stop();
  });
});
