import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { rawPersonKey } from '@register-feeds/contracts';
import type { SvbRecord } from '@register-feeds/deliver';
import { recordFor } from '@register-feeds/deliver/test-support';
import { settings, startIngest } from '@register-feeds/ingest';
import { loadAgreements, recipientSchema } from '@register-feeds/pseudonymise';
import {
  type Admin,
  caughtUpWithStart,
  createLogger,
  type HealthServer,
  loadConfig,
  startHealthServer,
  valueSubject,
} from '@register-feeds/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverTestEnv, deliverTestTopics } from './support/deliver-env.ts';
import { ingestFixture, ingestTestEnv } from './support/ingest-env.ts';
import { rawEvents, testBsn } from './support/raw-events.ts';
import { createTopics, keepOutput, testStack, uniqueName, waitFor } from './support/stack.ts';

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
    const env = ingestTestEnv({ id, brokers, registryUrl });
    // a backlog before the start: a few thousand good events and the fixtures' bad ones
    const good = rawEvents({ persons: 600, eventsPerPerson: 5, idPrefix: `${id}-e` }).map((e) => JSON.stringify(e));
    const bad = ingestFixture('bad-events.jsonl');
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

  it('deliver (its main.ts) is ready only once every projection folded its recipient topic up to where it ended at start', async () => {
    const id = uniqueName('observability-deliver');
    const SVB = 'svb-kostendelersnorm';
    const topic = deliverTestTopics(id);
    const groupPrefix = `${id}.deliver`;
    await createTopics(admin, { name: topic.stagemarkt }, { name: topic.svb }, { name: topic.ggd });
    const agreement = loadAgreements(new URL('../agreements', import.meta.url).pathname).find((a) => a.recipient === SVB)!;
    const schemaId = await registry.register(valueSubject(topic.svb), recipientSchema(agreement) as never, 'BACKWARD_TRANSITIVE');
    // a backlog on the SVB topic before deliver starts: one enrolment each for 400 people
    const records = Array.from({ length: 400 }, (_, i) =>
      recordFor<SvbRecord>(SVB, {
        eventId: `${id}-${i}`,
        eventType: 'InschrijvingGeregistreerd',
        on: '2026-03-01',
        sector: 'MBO',
        bsn: testBsn(7000 + i),
      }),
    );
    const producer = await bus.producer();
    await producer.send(
      await Promise.all(records.map(async (r) => ({ topic: topic.svb, key: r.persoon.nummer, value: await registry.encode(schemaId, r) }))),
    );
    await producer.disconnect();

    const port = await freePort();
    const token = () => randomBytes(16).toString('hex');
    const child = keepOutput(
      spawn(process.execPath, ['services/deliver/src/main.ts'], {
        env: {
          ...process.env,
          ...deliverTestEnv({ id, brokers, registryUrl }),
          DELIVER_DEAD_LETTER_TOPIC: `${id}.dlq`,
          DELIVER_LEASE_TOPIC: `${id}.writers`,
          DELIVER_HEALTH_PORT: String(port),
          DELIVER_API_TOKENS: `sbb-stagemarkt:${token()},svb-kostendelersnorm:${token()},ggd-jeugdgezondheid:${token()}`,
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
      'deliver',
    );
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const url = (path: string) => `http://127.0.0.1:${port}${path}`;
    const status = (path: string) =>
      fetch(url(path)).then(
        (r) => r.status,
        () => 0, // not listening yet
      );
    try {
      await waitFor('deliver ready', async () => (await status('/ready')) === 200, { timeoutMs: 90_000, intervalMs: 20 });
      const committed = await admin.groupOffsets(`${groupPrefix}-${SVB}`, topic.svb);
      expect(committed.reduce((sum, o) => sum + Math.max(0, Number(o.offset)), 0)).toBe(records.length);
      expect(await status('/health')).toBe(200);

      const text = await (await fetch(url('/metrics'))).text();
      const group = `${groupPrefix}-${SVB}`;
      expect(sample(text, 'register_feeds_records_in_total', { group, topic: topic.svb, service: 'deliver' })).toBe(records.length);
      expect(sample(text, 'register_feeds_records_out_total', { group, topic: `${id}.feed.${SVB}.v1` })).toBeGreaterThan(0);
      expect(sample(text, 'register_feeds_projection_rows', { recipient: SVB })).toBe(records.length);
      for (const recipient of ['sbb-stagemarkt', SVB, 'ggd-jeugdgezondheid'])
        expect(sample(text, 'register_feeds_projection_caught_up', { recipient })).toBe(1);
      expect(text).toMatch(/^process_resident_memory_bytes\{service="deliver"\} \d+/m);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});

/** A port nobody listens on now, for a child process's health server. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
