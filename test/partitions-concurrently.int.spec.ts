import { type Admin, type Batch, createLogger, startTransactionalPipeline } from '@register-feeds/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopics, groupCaughtUp, readAll, testStack, uniqueName, waitFor } from './support/stack.ts';

// RunOptions.partitionsConcurrently on the real broker (kafkajs's partitionsConsumedConcurrently): the
// transactional pipeline has batches of several partitions in hand at once, never two of one partition,
// and every record is copied exactly once. The unit tests on the twin show the interleavings in detail
// (memory-bus.concurrency.unit.spec.ts); this one shows that kafkajs-bus passes the option on.

const { bus } = testStack();
const logger = createLogger({ service: 'test', level: process.env.TEST_LOG_LEVEL ?? 'fatal' });
let admin: Admin;

beforeAll(async () => {
  admin = await bus.admin();
});
afterAll(async () => {
  await admin.disconnect();
});

describe('partitions handled concurrently on kafkajs', () => {
  it('hands batches of several partitions at once, one per partition, and copies every record once', async () => {
    const id = uniqueName('concurrently');
    const input = `${id}.in`;
    const output = `${id}.out`;
    await createTopics(admin, { name: input, partitions: 3 }, { name: output, partitions: 3 });
    const producer = await bus.producer();
    await producer.send(Array.from({ length: 300 }, (_, i) => ({ topic: input, partition: i % 3, key: `k${i}`, value: `v${i}` })));
    await producer.disconnect();

    const inHand = new Map<number, number>();
    let most = 0;
    let mostOfOnePartition = 0;
    const pipeline = await startTransactionalPipeline({
      bus,
      groupId: `${id}.group`,
      topic: input,
      logger,
      partitionsConcurrently: 3,
      handle: async (batch: Batch) => {
        inHand.set(batch.partition, (inHand.get(batch.partition) ?? 0) + 1);
        most = Math.max(
          most,
          [...inHand.values()].reduce((a, b) => a + b, 0),
        );
        mostOfOnePartition = Math.max(mostOfOnePartition, inHand.get(batch.partition) ?? 0);
        try {
          // gives the other partitions' batches their chance to arrive (bounded: one batch at a time never gets two)
          await waitFor('a second batch in hand', () => most >= 2, { timeoutMs: 2_000, intervalMs: 10 }).catch(() => {});
          return { messages: batch.messages.map((m) => ({ topic: output, key: m.key, value: m.value })) };
        } finally {
          inHand.set(batch.partition, (inHand.get(batch.partition) ?? 0) - 1);
        }
      },
    });
    try {
      await groupCaughtUp(admin, `${id}.group`, input, 60_000);
      const values = (await readAll(bus, admin, output)).map((m) => m.value?.toString());
      expect(values.sort()).toEqual(Array.from({ length: 300 }, (_, i) => `v${i}`).sort());
      expect(most).toBeGreaterThanOrEqual(2);
      expect(mostOfOnePartition).toBe(1);
    } finally {
      await pipeline.stop();
    }
  });
});
