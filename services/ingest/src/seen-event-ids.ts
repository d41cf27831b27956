import { type Admin, followTopic, type Logger, type MessageBus } from '@register-feeds/service-kit';

export interface SeenEventIds {
  readonly ids: ReadonlySet<string>;
  /** after a transaction committed: these ids are now published */
  add(ids: Iterable<string>): void;
  stop(): Promise<void>;
}

/**
 * The event ids ingest has published, read from its compacted topic (written in the same transaction as
 * the events, so a committed id always means a published event and an aborted one never counts).
 * Resolves once the topic is read up to its end at start-up, then keeps following it, so ids that other
 * ingest instances publish become known here too.
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
  const started = Date.now();
  const followed = await followTopic({
    bus,
    admin,
    topic,
    groupPrefix: 'ingest-seen',
    onMessages: (messages) => {
      for (const m of messages) {
        const id = m.key?.toString();
        if (!id) continue;
        if (m.value === null) ids.delete(id);
        else ids.add(id);
      }
    },
  });
  await followed.caughtUp;
  logger.info({ topic, ids: ids.size, ms: Date.now() - started }, 'seen event ids loaded');
  return {
    ids,
    add(published) {
      for (const id of published) ids.add(id);
    },
    stop: () => followed.stop(),
  };
}
