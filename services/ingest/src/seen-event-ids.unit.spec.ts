import { createLogger, createMemoryBus } from '@register-feeds/service-kit';
import { describe, expect, it } from 'vitest';
import { dedupWindow, loadSeenEventIds, seenTopicEntry } from './seen-event-ids.ts';

// The seen ids read back from their topic on the twin: only the window is kept (the newest ids by the
// time of their record, none older than the age window), tombstones forget, and the topic is made with
// a retention of the window's age.

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.UTC(2026, 9, 1);
const logger = createLogger({ service: 'ingest-test', level: 'silent' });

async function seenTopicWith(records: { id: string; at: number; tombstone?: boolean }[]) {
  const bus = createMemoryBus({ now: () => NOW });
  const admin = await bus.admin();
  await admin.ensureTopics([{ name: 'seen', partitions: 3, replicationFactor: 1 }]);
  const producer = await bus.producer();
  await producer.send(
    records.map(({ id, at, tombstone }) => ({ topic: 'seen', key: id, value: tombstone ? null : 'raw/0/0', timestamp: String(at) })),
  );
  await producer.disconnect();
  return { bus, admin };
}

describe('loadSeenEventIds', () => {
  it('given more ids in the topic than the window holds, then a start keeps the newest by record time, none past the age window', async () => {
    const { bus, admin } = await seenTopicWith([
      { id: 'aged-out', at: NOW - 31 * DAY },
      { id: 'oldest', at: NOW - 5 * DAY },
      { id: 'old', at: NOW - 4 * DAY },
      { id: 'newer', at: NOW - 3 * DAY },
      { id: 'newest', at: NOW - 2 * DAY },
    ]);
    const window = dedupWindow({ dedupWindowEvents: 3, dedupWindowDays: 30 });
    const seen = await loadSeenEventIds({ bus, admin, topic: 'seen', window, logger, now: () => NOW });
    try {
      expect(['aged-out', 'oldest', 'old', 'newer', 'newest'].filter((id) => seen.ids.has(id))).toEqual(['old', 'newer', 'newest']);
      expect(seen.ids.size).toBe(3);

      // published after the start: in, and the oldest of the window out
      seen.add(['fresh']);
      expect(['old', 'fresh'].map((id) => seen.ids.has(id))).toEqual([false, true]);
    } finally {
      await seen.stop();
      await admin.disconnect();
    }
  });
});

describe('loadSeenEventIds and tombstones', () => {
  it('given an id and then its tombstone in the topic, then a start does not remember it', async () => {
    const { bus, admin } = await seenTopicWith([
      { id: 'kept', at: NOW - DAY },
      { id: 'gone', at: NOW - DAY },
      { id: 'gone', at: NOW - DAY, tombstone: true },
    ]);
    const window = dedupWindow({ dedupWindowEvents: 10, dedupWindowDays: 30 });
    const seen = await loadSeenEventIds({ bus, admin, topic: 'seen', window, logger, now: () => NOW });
    try {
      expect(['kept', 'gone'].map((id) => seen.ids.has(id))).toEqual([true, false]);
    } finally {
      await seen.stop();
      await admin.disconnect();
    }
  });
});

describe('seenTopicEntry', () => {
  it('given a window of 14 days, then the topic is compacted and deleted after 14 days, in segments of a day', () => {
    const entry = seenTopicEntry('seen', dedupWindow({ dedupWindowEvents: 10, dedupWindowDays: 14 }));
    expect(entry.name).toBe('seen');
    expect(entry.config).toMatchObject({ 'cleanup.policy': 'compact,delete', 'retention.ms': String(14 * DAY), 'segment.ms': String(DAY) });
  });
});
