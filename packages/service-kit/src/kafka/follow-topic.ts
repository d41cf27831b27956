import { randomUUID } from 'node:crypto';
import type { Admin, ConsumedMessage, MessageBus } from './bus.ts';

export interface FollowedTopic {
  /** resolves once every partition is read up to where it ended when following began */
  caughtUp: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Reads a whole topic from the beginning and keeps following it, outside any shared consumer group
 * (a throwaway group per call, nothing committed). `caughtUp` tells when the state as of the start has
 * been read: the way to load a compacted topic into memory, or to read a topic to its end in a tool.
 * Transaction markers count as read (kafkajs reports them through progress), so a topic written in
 * transactions is caught up too.
 */
export async function followTopic({
  bus,
  admin,
  topic,
  groupPrefix = 'follow',
  maxWaitTimeMs,
  onMessages,
}: {
  bus: MessageBus;
  admin: Admin;
  topic: string;
  groupPrefix?: string;
  /** ConsumerOptions.maxWaitTimeMs: short for a reader that stops once caught up, so stop() is quick */
  maxWaitTimeMs?: number;
  onMessages: (messages: ConsumedMessage[]) => void | Promise<void>;
}): Promise<FollowedTopic> {
  const ends = await admin.topicOffsets(topic);
  const pending = new Map(ends.filter((p) => p.high !== p.low).map((p) => [p.partition, BigInt(p.high) - 1n]));
  let markCaughtUp!: () => void;
  const caughtUp = new Promise<void>((resolve) => {
    markCaughtUp = resolve;
  });
  const settle = () => {
    if (pending.size === 0) markCaughtUp();
  };
  const consumer = await bus.consumer({
    groupId: `${groupPrefix}-${randomUUID()}`,
    ...(maxWaitTimeMs === undefined ? {} : { maxWaitTimeMs }),
  });
  consumer.onProgress(({ partition, lastOffset }) => {
    const end = pending.get(partition);
    if (end !== undefined && BigInt(lastOffset) >= end) {
      pending.delete(partition);
      settle();
    }
  });
  await consumer.subscribe([topic], { fromBeginning: true });
  await consumer.run({ autoCommit: false, eachBatch: (batch) => Promise.resolve(onMessages(batch.messages)) });
  settle();
  return { caughtUp, stop: () => consumer.disconnect() };
}
