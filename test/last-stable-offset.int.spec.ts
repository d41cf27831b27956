import type { Admin, Batch } from '@register-feeds/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopics, testStack, uniqueName, waitFor } from './support/stack.ts';

// The edge commits a partition's transaction as soon as a batch reaches what a read_committed consumer can
// read now (transactional-pipeline.ts, "caught up"). While an upstream transaction is open that is its
// first record, the last stable offset, short of the high watermark; kafkajs decodes it from the fetch
// response but dropped it (patches/kafkajs+2.2.4.patch keeps it on its Batch). Here on the real broker:
// the bus hands it on.

const { bus } = testStack();
let admin: Admin;

beforeAll(async () => {
  admin = await bus.admin();
});
afterAll(async () => {
  await admin.disconnect();
});

describe('a read_committed batch on kafkajs', () => {
  it('carries the last stable offset: the first record of a transaction still open, below the high watermark', async () => {
    const id = uniqueName('lso');
    const topic = `${id}.in`;
    await createTopics(admin, { name: topic, partitions: 1 });
    const producer = await bus.producer();
    await producer.send(Array.from({ length: 5 }, (_, i) => ({ topic, partition: 0, key: `k${i}`, value: `v${i}` })));
    await producer.disconnect();
    const upstream = await bus.transactionalProducer(`${id}.upstream`);
    const open = await upstream.transaction();
    await open.send([{ topic, partition: 0, key: 'k5', value: 'not yet committed' }]);

    const batches: Batch[] = [];
    const consumer = await bus.consumer({ groupId: `${id}.group` });
    await consumer.subscribe([topic], { fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async (batch) => {
        batches.push(batch);
      },
    });
    try {
      await waitFor('the committed records', () => batches.flatMap((b) => b.messages).length >= 5);
      const last = batches.at(-1)!;
      expect(batches.flatMap((b) => b.messages.map((m) => m.value?.toString()))).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
      expect(last.lastOffset).toBe('4');
      expect(last.lastStableOffset).toBe('5'); // the open transaction's record
      expect(BigInt(last.highWatermark)).toBeGreaterThan(5n);
    } finally {
      await consumer.disconnect();
      await open.abort();
      await upstream.disconnect();
    }
  });
});
