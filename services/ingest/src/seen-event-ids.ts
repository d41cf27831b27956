import { type Admin, followTopic, type Logger, type MessageBus, type TopicEntry, topics } from '@register-feeds/service-kit';
import { type DedupWindow, EventIdWindow } from './event-id-window.ts';

export interface SeenEventIds {
  /** whether an id is in the dedup window: published, not pushed out by newer ids, not too old */
  readonly ids: { has(eventId: string): boolean; readonly size: number };
  /** after a transaction committed: these ids are now published */
  add(ids: Iterable<string>): void;
  stop(): Promise<void>;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** The dedup window from ingest's settings. */
export const dedupWindow = (config: { dedupWindowEvents: number; dedupWindowDays: number }): DedupWindow => ({
  maxIds: config.dedupWindowEvents,
  maxAgeMs: config.dedupWindowDays * DAY_MS,
});

/**
 * The seen topic's entry with a retention of the window's age: the broker deletes what has left the
 * window by time, so the topic does not grow forever and a start reads about one window. Retention and
 * not tombstones, because it costs the hot path nothing (a tombstone per id would double the seen-topic
 * writes, from every instance) and needs no bookkeeping of what was tombstoned. Kafka deletes a segment
 * only when its newest record is older than retention.ms, so every id within the window stays; a segment
 * a day (segment.ms) keeps at most a day more than the window. Compaction stays: an id published again
 * after leaving the window is written again, and only its last record is kept. The count window is not a
 * topic setting: a start reads the ids of the last days and keeps the newest maxIds of them.
 */
export function seenTopicEntry(name: string, window: DedupWindow): TopicEntry {
  return {
    ...topics.ingestSeen,
    name,
    // compact,delete and a segment a day come from the catalogue
    config: { ...topics.ingestSeen.config, 'retention.ms': String(window.maxAgeMs) },
  };
}

/**
 * The event ids ingest has published within its dedup window (event-id-window.ts), read from its seen
 * topic (written in the same transaction as the events, so a committed id always means a published event
 * and an aborted one never counts). Each record's timestamp is the time recorded with the id. Resolves
 * once the topic is read up to its end at start-up, keeping only the window while it reads, then keeps
 * following it, so ids that other ingest instances publish become known here too.
 */
export async function loadSeenEventIds({
  bus,
  admin,
  topic,
  window,
  logger,
  now = Date.now,
}: {
  bus: MessageBus;
  admin: Admin;
  topic: string;
  window: DedupWindow;
  logger: Logger;
  /** the clock, for tests */
  now?: () => number;
}): Promise<SeenEventIds> {
  const ids = new EventIdWindow(window, now);
  const started = Date.now();
  let read = 0;
  const followed = await followTopic({
    bus,
    admin,
    topic,
    groupPrefix: 'ingest-seen',
    onMessages: (messages) => {
      read += messages.length;
      for (const m of messages) {
        const id = m.key?.toString();
        if (!id) continue;
        if (m.value === null) ids.forget(id);
        else ids.remember(id, Number(m.timestamp));
      }
    },
  });
  await followed.caughtUp;
  logger.info(
    { topic, ids: ids.size, read, windowIds: window.maxIds, windowDays: window.maxAgeMs / DAY_MS, ms: Date.now() - started },
    'seen event ids loaded',
  );
  return {
    ids,
    add(published) {
      const at = now();
      for (const id of published) ids.remember(id, at);
    },
    stop: () => followed.stop(),
  };
}
