import { type Admin, createLogger, startTransactionalPipeline } from '@register-feeds/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopics, groupCaughtUp, readAll, testStack, uniqueName } from './support/stack.ts';

// A partition that ends in an aborted transaction: kafkajs (read_committed) never hands the pipeline that
// fetch (every record in it is filtered out), so the pipeline commits its offsets when the consumer reports
// it. Before, the committed offset stayed in front of the aborted records for good: the group's lag never
// reached 0, and waits for "committed to the end" (tests, operators) never ended (CI, 2026-11-26).

const { bus } = testStack();
const logger = createLogger({ service: 'test', level: process.env.TEST_LOG_LEVEL ?? 'fatal' });
let admin: Admin;

beforeAll(async () => {
  admin = await bus.admin();
});
afterAll(async () => {
  await admin.disconnect();
});

describe.each([
  { name: 'one transaction per batch', commit: { intervalMs: 0, maxRecords: 1 } },
  { name: 'transactions spanning batches', commit: { intervalMs: 60_000, maxRecords: 10_000 } },
])('the transactional pipeline on kafkajs, $name', ({ commit }) => {
  it('commits to the end of a partition whose last transaction was aborted, and hands on no aborted record', async () => {
    const id = uniqueName('trailing-abort');
    const input = `${id}.in`;
    const output = `${id}.out`;
    const groupId = `${id}.group`;
    await createTopics(admin, { name: input, partitions: 2 }, { name: output });
    const producer = await bus.producer();
    await producer.send(Array.from({ length: 10 }, (_, i) => ({ topic: input, partition: i % 2, key: `k${i}`, value: `v${i}` })));
    await producer.disconnect();

    // the aborted transaction is written while the first batch is in hand: the fetch after that batch's
    // commit holds the aborted records alone, and its offsets-only transaction follows that commit at once
    // (the coordinator may still be completing it: CONCURRENT_TRANSACTIONS, waited out)
    let abortedWritten!: () => void;
    const gate = new Promise<void>((resolve) => {
      abortedWritten = resolve;
    });
    let firstInHand!: () => void;
    const inHand = new Promise<void>((resolve) => {
      firstInHand = resolve;
    });
    const handled: string[] = [];
    const pipeline = await startTransactionalPipeline({
      bus,
      groupId,
      topic: input,
      logger,
      commit,
      handle: async (batch) => {
        firstInHand();
        await gate;
        handled.push(...batch.messages.map((m) => m.value?.toString() ?? ''));
        return { messages: batch.messages.map((m) => ({ topic: output, key: m.key, value: m.value })) };
      },
    });
    try {
      await inHand;
      const upstream = await bus.transactionalProducer(`${id}.upstream`);
      const aborted = await upstream.transaction();
      await aborted.send([0, 1].map((partition) => ({ topic: input, partition, key: 'aborted', value: 'aborted' })));
      await aborted.abort();
      await upstream.disconnect();
      abortedWritten();
      // committed == high watermark on both partitions: past the aborted records and their markers
      await groupCaughtUp(admin, groupId, input, 30_000);
      expect(handled).not.toContain('aborted');
      const values = (await readAll(bus, admin, output)).map((m) => m.value?.toString());
      expect(values.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `v${i}`).sort());
    } finally {
      await pipeline.stop();
    }
  });
});
