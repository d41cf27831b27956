import { readFileSync } from 'node:fs';
import { rawPersonKey } from '@register-feeds/contracts';
import { settings, startIngest } from '@register-feeds/ingest';
import { type Admin, caughtUpWithStart, createLogger, type HealthServer, loadConfig, startHealthServer } from '@register-feeds/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestPartitionKeyFile } from './support/ingest-key.ts';
import { rawEvents } from './support/raw-events.ts';
import { testStack, uniqueName, waitFor } from './support/stack.ts';

// A service's /ready and /metrics on the real broker: ready only once its consumer is in the group with
// partitions assigned and has read its input up to where it ended at start; /metrics counts what the
// committed batches took in, put out and dead-lettered (by rule).

const { bus, registry, brokers, registryUrl } = testStack();
let admin: Admin;
beforeAll(async () => {
  admin = await bus.admin();
});
afterAll(async () => {
  await admin.disconnect();
});

const fixture = (name: string) =>
  readFileSync(new URL(`../services/ingest/fixtures/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');

/** the value of one sample of the Prometheus text (labels in any order), or undefined */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = new Map([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(match[3]);
  }
  return undefined;
}

describe('/ready and /metrics', () => {
  it('ingest is ready only once assigned and caught up with its input, and its metrics count what it did', async () => {
    const id = uniqueName('observability');
    const env = {
      RAW_TOPIC: `${id}.raw`,
      EVENTS_TOPIC: `${id}.events`,
      RAW_DEAD_LETTER_TOPIC: `${id}.dlq`,
      INGEST_SEEN_TOPIC: `${id}.seen`,
      INGEST_GROUP_ID: `${id}.ingest`,
      INGEST_PARTITION_KEY_FILE: ingestPartitionKeyFile(),
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      LOG_LEVEL: 'warn',
    };
    // a backlog before the start: a few thousand good events and the fixtures' bad ones
    const good = rawEvents({ persons: 600, eventsPerPerson: 5, idPrefix: `${id}-e` }).map((e) => JSON.stringify(e));
    const bad = fixture('bad-events.jsonl');
    const lines = [...good, ...bad];
    await admin.ensureTopics([{ name: env.RAW_TOPIC, partitions: 3, replicationFactor: 1 }]);
    const producer = await bus.producer();
    for (let i = 0; i < lines.length; i += 500)
      await producer.send(lines.slice(i, i + 500).map((line) => ({ topic: env.RAW_TOPIC, key: rawPersonKey(line), value: line })));
    await producer.disconnect();

    const logger = createLogger({ service: 'observability-test', level: 'silent' });
    const caughtUp = caughtUpWithStart({ admin, groupId: env.INGEST_GROUP_ID, topic: env.RAW_TOPIC });
    expect(await caughtUp()).toBe(false); // the ends are read now, before the start
    let pipeline: Awaited<ReturnType<typeof startIngest>> | undefined;
    const health: HealthServer = await startHealthServer({
      port: 0,
      ready: async () => (pipeline?.ready() ?? false) && (await caughtUp()),
      logger,
    });
    const url = (path: string) => `http://127.0.0.1:${health.port}${path}`;
    try {
      expect((await fetch(url('/health'))).status).toBe(200);
      expect((await fetch(url('/ready'))).status).toBe(503);

      pipeline = await startIngest({ config: loadConfig(settings, env), bus, registry, logger });
      const started = pipeline;
      // the first 200 comes only with the group's committed offsets at the ends seen before the start
      await waitFor('ingest ready', async () => (await fetch(url('/ready'))).status === 200, { timeoutMs: 90_000, intervalMs: 20 });
      const committed = await admin.groupOffsets(env.INGEST_GROUP_ID, env.RAW_TOPIC);
      expect(committed.reduce((sum, o) => sum + Math.max(0, Number(o.offset)), 0)).toBe(lines.length);
      expect(started.ready()).toBe(true);

      const text = await (await fetch(url('/metrics'))).text();
      const group = env.INGEST_GROUP_ID;
      expect(sample(text, 'register_feeds_records_in_total', { group, topic: env.RAW_TOPIC })).toBe(lines.length);
      expect(sample(text, 'register_feeds_records_out_total', { group, topic: env.EVENTS_TOPIC })).toBe(good.length);
      expect(sample(text, 'register_feeds_records_out_total', { group, topic: env.INGEST_SEEN_TOPIC })).toBe(good.length);
      expect(sample(text, 'register_feeds_dead_lettered_total', { group, topic: env.RAW_TOPIC })).toBe(bad.length);
      expect(sample(text, 'register_feeds_dead_letter_rules_total', { group, rule: 'event-id-digits' })).toBeGreaterThanOrEqual(1);
      expect(sample(text, 'register_feeds_assigned_partitions', { group, topic: env.RAW_TOPIC })).toBe(3);
      expect(sample(text, 'register_feeds_transaction_duration_seconds_count', { group })).toBeGreaterThan(0);
      for (const partition of ['0', '1', '2'])
        expect(sample(text, 'register_feeds_consumer_lag_records', { group, topic: env.RAW_TOPIC, partition })).toBe(0);
      expect(text).toMatch(/^process_resident_memory_bytes(\{[^}]*\})? \d+/m);

      await started.stop();
      expect(started.ready()).toBe(false);
      expect((await fetch(url('/ready'))).status).toBe(503);
    } finally {
      await pipeline?.stop().catch(() => {});
      await health.close();
    }
  });
});
