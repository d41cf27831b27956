import { randomUUID } from 'node:crypto';
import type { Admin, Logger, MessageBus } from '@register-feeds/service-kit';

export interface SeenEventIds {
  readonly ids: ReadonlySet<string>;
  /** after a transaction committed: these ids are now published */
  add(ids: Iterable<string>): void;
  stop(): Promise<void>;
}

/**
 * The event ids ingest has published, read from its compacted topic (written in the same transaction as
 * the events, so a committed id always means a published event and an aborted one never counts).
 * Resolves once every partition is read up to its end at start-up, then keeps tailing, so ids that
 * other ingest instances publish become known here too.
 */
export async function loadSeenEventIds({
  bus,
  admin,
  topic,
  logger,
}: {
  bus: MessageBus;
  admin: Admin;
  topic: string;
  logger: Logger;
}): Promise<SeenEventIds> {
  const ids = new Set<string>();
  const ends = await admin.topicOffsets(topic);
  const pending = new Map(ends.filter((p) => p.high !== p.low).map((p) => [p.partition, BigInt(p.high) - 1n]));
  const started = Date.now();
  // a group of its own per process: every instance reads the whole topic, and nothing is committed
  const consumer = await bus.consumer({ groupId: `ingest-seen-${randomUUID()}` });
  let caughtUp!: () => void;
  const loaded = new Promise<void>((resolve) => {
    caughtUp = resolve;
  });
  const check = () => {
    if (pending.size === 0) caughtUp();
  };
  consumer.onProgress(({ partition, lastOffset }) => {
    const end = pending.get(partition);
    if (end !== undefined && BigInt(lastOffset) >= end) {
      pending.delete(partition);
      check();
    }
  });
  await consumer.subscribe([topic], { fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async (batch) => {
      for (const m of batch.messages) {
        const id = m.key?.toString();
        if (!id) continue;
        if (m.value === null) ids.delete(id);
        else ids.add(id);
      }
    },
  });
  check();
  await loaded;
  logger.info({ topic, ids: ids.size, ms: Date.now() - started }, 'seen event ids loaded');
  return {
    ids,
    add(published) {
      for (const id of published) ids.add(id);
    },
    stop: () => consumer.disconnect(),
  };
}
