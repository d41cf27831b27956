import {
  type Admin,
  type Batch,
  createKafkajsBus,
  createLogger,
  type MessageBus,
  startTransactionalPipeline,
  type TransactionalPipeline,
} from '@register-feeds/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopics, groupCaughtUp, readAll, testStack, uniqueName, waitFor } from './support/stack.ts';

// A crashed consumer is restarted (issue 12, part 1), on the shared stack and without killing it: the crash
// is the one kafkajs reports after "Failed to find group coordinator" (a broker that is back but still
// loading), made to happen by a handler that fails once with that error. kafkajs does not restart a consumer
// after it (restart: false), so before the fix the pipeline stopped for good, its process alive but idle.
// test/broker-restart.int.spec.ts kills a real broker instead.

const { bus, brokers } = testStack();
const logger = createLogger({ service: 'test', level: process.env.TEST_LOG_LEVEL ?? 'fatal' });
let admin: Admin;

beforeAll(async () => {
  admin = await bus.admin();
});
afterAll(async () => {
  await admin.disconnect();
});

/** what kafkajs throws when no broker can tell it the group coordinator: non-retriable */
const coordinatorNotFound = () =>
  Object.assign(new Error('Failed to find group coordinator'), { name: 'KafkaJSGroupCoordinatorNotFound', retriable: false });

async function copyPipeline(pipelineBus: MessageBus, id: string, handleFirst: (batch: Batch) => void) {
  const input = `${id}.in`;
  const output = `${id}.out`;
  await createTopics(admin, { name: input, partitions: 3 }, { name: output, partitions: 3 });
  const producer = await bus.producer();
  await producer.send(Array.from({ length: 300 }, (_, i) => ({ topic: input, key: `k${i % 17}`, value: `v${i}` })));
  await producer.disconnect();
  const pipeline = await startTransactionalPipeline({
    bus: pipelineBus,
    groupId: `${id}.group`,
    topic: input,
    logger,
    handle: async (batch) => {
      handleFirst(batch);
      return { messages: batch.messages.map((m) => ({ topic: output, key: m.key, value: m.value })) };
    },
  });
  return { pipeline, input, output, groupId: `${id}.group` };
}

describe('a consumer that crashes', () => {
  it('is restarted as a new member of its group and processes every record once', async () => {
    let crashes = 0;
    const { pipeline, input, output, groupId } = await copyPipeline(bus, uniqueName('restart'), () => {
      if (crashes++ === 0) throw coordinatorNotFound();
    });
    try {
      await groupCaughtUp(admin, groupId, input, 45_000);
      const values = (await readAll(bus, admin, output)).map((m) => m.value?.toString());
      expect(values.sort()).toEqual(Array.from({ length: 300 }, (_, i) => `v${i}`).sort());
      expect(crashes).toBeGreaterThan(1);
      expect((pipeline as Partial<TransactionalPipeline>).healthy?.()).toBe(true);
    } finally {
      await pipeline.stop();
    }
  });

  it('is given up after restarts that do not help: the pipeline and the bus say so, and the service is told to stop', async () => {
    const failing = createKafkajsBus({
      brokers,
      clientId: 'test-give-up',
      logger,
      restartPolicy: { initialDelayMs: 50, maxDelayMs: 200, nonRetriableRestarts: 2 },
    });
    const gaveUp: string[] = [];
    failing.onGiveUp(({ groupId }) => gaveUp.push(groupId));
    let calls = 0;
    const { pipeline, groupId } = await copyPipeline(failing, uniqueName('give-up'), () => {
      calls += 1;
      throw new TypeError('a bug: every batch fails the same way');
    });
    try {
      expect(pipeline.healthy()).toBe(true);
      await waitFor('the pipeline to give up', () => pipeline.state() === 'failed', { timeoutMs: 60_000 });
      expect(pipeline.healthy()).toBe(false);
      expect(failing.healthy()).toBe(false);
      expect(gaveUp).toEqual([groupId]);
      // the first run and two restarts, each failing on the batches it was given (up to one per partition)
      expect(calls).toBeGreaterThan(3);
      expect(calls).toBeLessThanOrEqual(9);
      expect(await admin.groupOffsets(groupId, `${groupId.replace(/\.group$/, '')}.in`)).toSatisfy((offsets: { offset: string }[]) =>
        offsets.every((o) => o.offset === '-1'),
      );
    } finally {
      await pipeline.stop();
    }
  });
});
