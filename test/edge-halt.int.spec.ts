import {
  type Admin,
  type ConsumedMessage,
  createLogger,
  type DeadLetterWriter,
  type Edge,
  type MessageBus,
  startEdge,
} from '@register-feeds/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopics, groupCaughtUp, readAll, testStack, uniqueName, waitFor } from './support/stack.ts';

// The edge's answer to a bug, on the real broker (kafkajs): a valid record the service throws on halts only
// its partition. Nothing of that partition is committed or dead-lettered; the partition is paused at the
// consumer (its batch handed over once, not fetched again) while the other partitions go on (the twin says
// the same; this proves kafkajs's seek, pause and fetch keep the partition where it stopped); a second
// instance's join ends the pause and the partition's holder halts on it again, the other instance being
// healthy; a fixed service started on the same group then processes the halted records exactly once, and
// nothing of the other partitions twice.

const { bus } = testStack();
const logger = createLogger({ service: 'test', level: process.env.TEST_LOG_LEVEL ?? 'fatal' });
let admin: Admin;

beforeAll(async () => {
  admin = await bus.admin();
});
afterAll(async () => {
  await admin.disconnect();
});

describe('a bug at the edge', () => {
  it('halts only its partition, commits and dead-letters nothing of it, and a fixed service reads on from the record', async () => {
    const id = uniqueName('edge-halt');
    const [input, output, dlq, groupId] = [`${id}.in`, `${id}.out`, `${id}.dlq`, `${id}.group`];
    await createTopics(admin, { name: input, partitions: 2 }, { name: output, partitions: 1 }, { name: dlq, partitions: 1 });
    const producer = await bus.producer();
    const send = (partition: number, values: string[]) =>
      producer.send(values.map((value) => ({ topic: input, partition, key: null, value })));
    await send(0, ['a0', 'a1', 'boom', 'a3']);
    await send(1, ['b0', 'b1']);

    const deadLetter: DeadLetterWriter = async (source) => ({ topic: dlq, key: `${source.partition}/${source.offset}`, value: 'x' });
    const handed = new Map<number, number>();
    const edgeWith = (decode: (m: ConsumedMessage) => string): Promise<Edge> =>
      startEdge<string, string>({
        bus: countingHandOuts(handed),
        groupId,
        topic: input,
        logger,
        deadLetter,
        decode,
        decide: (records) => ({ outputs: records.map((r) => `${r.message.partition}:${r.value}`) }),
        encode: (value) => [{ topic: output, key: null, value }],
      });
    const buggy = await edgeWith((m) => {
      if (String(m.value) === 'boom') throw new TypeError('a bug: cannot read this valid record');
      return String(m.value);
    });
    const outputs = async () => (await readAll(bus, admin, output)).map((m) => String(m.value)).sort();
    try {
      await waitFor(
        'partition 1 processed and partition 0 halted',
        async () => buggy.metrics.halted.has(0) && (await outputs()).length === 2,
      );
      // partition 1 goes on while partition 0 stays halted
      await send(0, ['a4']);
      await send(1, ['b2']);
      await waitFor('partition 1 reads on', async () => (await outputs()).length === 3);
      expect(await outputs()).toEqual(['1:b0', '1:b1', '1:b2']);
      expect(handed.get(0)).toBe(1); // paused: its batch not fetched again, though a4 came in after it
      expect(buggy.metrics.halted).toEqual(new Map([[0, '2']]));
      expect(buggy.healthy()).toBe(false);
      const committed = await admin.groupOffsets(groupId, input);
      expect(committed.find((c) => c.partition === 0)?.offset).toBe('-1');
      expect(committed.find((c) => c.partition === 1)?.offset).toBe('3');

      // a second instance joins: the rebalance ends the pause and partition 0 is read again from its
      // committed offset by whichever instance holds it now, which halts on it; the other one has no halted
      // partition (the halted gauge, summed over instances, counts it once) and is healthy
      const second = await edgeWith((m) => {
        if (String(m.value) === 'boom') throw new TypeError('a bug: cannot read this valid record');
        return String(m.value);
      });
      try {
        const holderOf0 = () => [buggy, second].find((e) => e.assignment().some((tp) => tp.partition === 0));
        const [holder, other] = await waitFor('partition 0 halted again by its holder after the rebalance', () => {
          const h = holderOf0();
          const o = h === buggy ? second : buggy;
          return h?.metrics.halted.get(0) === '2' && o.assignment().length === 1 && o.metrics.halted.size === 0 ? [h, o] : undefined;
        });
        expect(holder.healthy()).toBe(false);
        expect(other.healthy()).toBe(true);
      } finally {
        await second.stop();
      }
      // given back to the first instance: halted there again
      await waitFor(
        'partition 0 halted on the first instance again',
        () => buggy.assignment().length === 2 && buggy.metrics.halted.get(0) === '2',
      );
      expect(await outputs()).toEqual(['1:b0', '1:b1', '1:b2']);
      expect((await admin.groupOffsets(groupId, input)).find((c) => c.partition === 0)?.offset).toBe('-1');
    } finally {
      await buggy.stop();
    }
    expect(await readAll(bus, admin, dlq)).toEqual([]);

    const fixed = await edgeWith((m) => String(m.value));
    try {
      await groupCaughtUp(admin, groupId, input);
      expect(await outputs()).toEqual(['0:a0', '0:a1', '0:a3', '0:a4', '0:boom', '1:b0', '1:b1', '1:b2']);
      expect(fixed.healthy()).toBe(true);
    } finally {
      await fixed.stop();
      await producer.disconnect();
    }
  });
});

/** The test's bus, counting the batches its consumers hand to the edge per partition. */
function countingHandOuts(handed: Map<number, number>): MessageBus {
  return {
    ...bus,
    consumer: async (options) => {
      const consumer = await bus.consumer(options);
      const run = consumer.run.bind(consumer);
      consumer.run = (runOptions) =>
        run({
          ...runOptions,
          eachBatch: (batch, context) => {
            handed.set(batch.partition, (handed.get(batch.partition) ?? 0) + 1);
            return runOptions.eachBatch(batch, context);
          },
        });
      return consumer;
    },
  };
}
