import { rawPersonKey } from '@register-feeds/contracts';
import { dedupWindow, loadSeenEventIds, settings, startIngest } from '@register-feeds/ingest';
import { type Admin, createLogger, loadConfig } from '@register-feeds/service-kit';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestTestEnv } from './support/ingest-env.ts';
import { rawEvents } from './support/raw-events.ts';
import { groupCaughtUp, readAll, testStack, uniqueName } from './support/stack.ts';

// Ingest's dedup window on the real stack: the seen topic is made with the window's age as retention; a
// restart reads the topic and keeps only the window (the newest INGEST_DEDUP_WINDOW_EVENTS ids by the
// time recorded with them, none older than INGEST_DEDUP_WINDOW_DAYS); a repeat of an id beyond the window
// is published again, a repeat within it is dropped.

const DAY = 24 * 60 * 60 * 1000;
const { bus, registry, brokers, registryUrl } = testStack();
const logger = createLogger({ service: 'ingest-test', level: process.env.TEST_LOG_LEVEL ?? 'warn' });
let admin: Admin;
const inspector = new kafkajs.Kafka({ brokers, clientId: 'dedup-window-test', logLevel: kafkajs.logLevel.NOTHING }).admin();

beforeAll(async () => {
  admin = await bus.admin();
  await inspector.connect();
});
afterAll(async () => {
  await admin.disconnect();
  await inspector.disconnect();
});

async function publish(topic: string, events: Array<Record<string, unknown>>) {
  const producer = await bus.producer();
  await producer.send(events.map((e) => JSON.stringify(e)).map((line) => ({ topic, key: rawPersonKey(line), value: line })));
  await producer.disconnect();
}

describe('ingest dedup window', () => {
  it('keeps the newest ids across a restart: an older repeat is published again, a newer one dropped', async () => {
    const id = uniqueName('dedup');
    const env = {
      ...ingestTestEnv({ id, brokers, registryUrl }),
      INGEST_DEDUP_WINDOW_EVENTS: '5',
      INGEST_DEDUP_WINDOW_DAYS: '14',
    };
    const config = loadConfig(settings, env);
    const older = rawEvents({ persons: 5, eventsPerPerson: 1, idPrefix: 'older' });
    const newer = rawEvents({ persons: 5, eventsPerPerson: 1, idPrefix: 'newer' });
    const idOf = (e: Record<string, unknown>) => e.eventId as string;

    // the older five are published and recorded first, then the newer five: ten ids for a window of five
    const first = await startIngest({ config, bus, registry, logger });
    try {
      await publish(config.rawTopic, older);
      await groupCaughtUp(admin, config.groupId, config.rawTopic);
      await publish(config.rawTopic, newer);
      await groupCaughtUp(admin, config.groupId, config.rawTopic);
    } finally {
      await first.stop();
    }

    // the topic ingest made: compacted, and deleted once past the window's age
    const { resources } = await inspector.describeConfigs({
      resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: config.seenTopic, configNames: ['cleanup.policy', 'retention.ms'] }],
      includeSynonyms: false,
    });
    const topicConfig = Object.fromEntries(resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
    expect(topicConfig).toEqual({ 'cleanup.policy': 'compact,delete', 'retention.ms': String(14 * DAY) });

    // a start loads only the window: all ten ids are in the topic, the newer five are kept
    expect((await readAll(bus, admin, config.seenTopic)).length).toBe(10);
    const loaded = await loadSeenEventIds({ bus, admin, topic: config.seenTopic, window: dedupWindow(config), logger });
    try {
      expect(loaded.ids.size).toBe(5);
      expect(older.filter((e) => loaded.ids.has(idOf(e)))).toEqual([]);
      expect(newer.every((e) => loaded.ids.has(idOf(e)))).toBe(true);
    } finally {
      await loaded.stop();
    }
    // ... and by the time recorded with them: fifteen days on, none is left
    const later = await loadSeenEventIds({
      bus,
      admin,
      topic: config.seenTopic,
      window: dedupWindow(config),
      logger,
      now: () => Date.now() + 15 * DAY,
    });
    try {
      expect(later.ids.size).toBe(0);
    } finally {
      await later.stop();
    }

    // restarted: the register sends an older event and a newer one again
    const restarted = await startIngest({ config, bus, registry, logger });
    try {
      await publish(config.rawTopic, [older[0]!, newer[0]!]);
      await groupCaughtUp(admin, config.groupId, config.rawTopic);
      expect(restarted.counters.duplicates).toBe(1);
      expect(restarted.counters.published).toBe(1);
    } finally {
      await restarted.stop();
    }
    const published = (await readAll(bus, admin, config.eventsTopic)).map((m) => m.headers['event-id']?.toString());
    expect(published.filter((e) => e === idOf(older[0]!))).toHaveLength(2);
    expect(published.filter((e) => e === idOf(newer[0]!))).toHaveLength(1);
    expect(published).toHaveLength(11);
  });
});
