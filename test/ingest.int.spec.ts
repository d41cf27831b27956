import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rawPersonKey } from '@register-feeds/contracts';
import { settings, startIngest } from '@register-feeds/ingest';
import { type Admin, createLogger, loadConfig } from '@register-feeds/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestFixture, ingestTestEnv } from './support/ingest-env.ts';
import { ingestPartitionKeyFile } from './support/ingest-key.ts';
import { rawEvents } from './support/raw-events.ts';
import { groupCaughtUp, keepOutput, readAll as readAllFrom, testStack, uniqueName, waitFor } from './support/stack.ts';

// Ingest on the real stack: good events come out once, in order per person, as Avro readable through the
// registry; bad ones are dead-lettered with their reasons; nothing is missing; a killed ingest loses and
// repeats nothing. The events' Kafka key is the HMAC of the person under ingest's internal key, the same
// across restarts.

const { bus, registry, brokers, registryUrl } = testStack();
let admin: Admin;

beforeAll(async () => {
  admin = await bus.admin();
});
afterAll(async () => {
  await admin.disconnect();
});

function topicsFor(prefix: string) {
  const id = uniqueName(prefix);
  return ingestTestEnv({ id, brokers, registryUrl });
}

async function publishLines(topic: string, lines: string[]) {
  await admin.ensureTopics([{ name: topic, partitions: 3, replicationFactor: 1 }]);
  const producer = await bus.producer();
  for (let i = 0; i < lines.length; i += 500) {
    await producer.send(lines.slice(i, i + 500).map((line) => ({ topic, key: rawPersonKey(line), value: line })));
  }
  await producer.disconnect();
}

const readAll = (topic: string) => readAllFrom(bus, admin, topic);
const internalKey = Buffer.from(readFileSync(ingestPartitionKeyFile(), 'utf8').trim(), 'base64');
/** The key ingest must give a person's events: HMAC-SHA-256 of "<soort>:<nummer>" under the internal key. */
const expectedKey = (persoon: { bsn?: string; onderwijsnummer?: string }) =>
  createHmac('sha256', internalKey)
    .update(persoon.bsn === undefined ? `ONDERWIJSNUMMER:${persoon.onderwijsnummer}` : `BSN:${persoon.bsn}`)
    .digest('hex');
const ingestCaughtUp = (env: ReturnType<typeof topicsFor>) => groupCaughtUp(admin, env.INGEST_GROUP_ID, env.RAW_TOPIC);

describe('ingest', () => {
  it('publishes every good event once, in order per person, and dead-letters every bad one with its reasons', async () => {
    const env = topicsFor('ingest');
    const good = ingestFixture('sample-events.jsonl');
    const bad = ingestFixture('bad-events.jsonl');
    const repeated = good[0]!; // the register sending an event twice: published once
    const lines = [...good.slice(0, 4), ...bad.slice(0, 3), repeated, ...good.slice(4), ...bad.slice(3)];
    await publishLines(env.RAW_TOPIC, lines);

    const config = loadConfig(settings, env);
    const pipeline = await startIngest({
      config,
      bus,
      registry,
      logger: createLogger({ service: 'ingest-test', level: process.env.TEST_LOG_LEVEL ?? 'warn' }),
    });
    try {
      await ingestCaughtUp(env);
    } finally {
      await pipeline.stop();
    }
    expect(pipeline.counters).toMatchObject({ published: good.length, deadLettered: bad.length, duplicates: 1 });

    const events = await readAll(env.EVENTS_TOPIC);
    const decoded = await Promise.all(events.map((m) => registry.decode<{ eventId: string; eventType: string }>(m.value!)));
    const goodIds = good.map((l) => (JSON.parse(l) as { eventId: string }).eventId);
    expect(decoded.map((e) => e.eventId).sort()).toEqual([...goodIds].sort());

    // in order per person: per key, event ids appear in input order
    const inputOrder = new Map(goodIds.map((id, i) => [id, i]));
    const byKey = new Map<string, number[]>();
    events.forEach((m, i) => {
      const key = m.key!.toString();
      byKey.set(key, [...(byKey.get(key) ?? []), inputOrder.get(decoded[i]?.eventId ?? '') ?? -1]);
    });
    for (const order of byKey.values()) expect(order).toEqual([...order].sort((a, b) => a - b));
    // the key is the keyed hash of the person: it never shows a person number
    const personOf = new Map(
      good.map((l) => JSON.parse(l) as { eventId: string; persoon: { bsn?: string } }).map((e) => [e.eventId, e.persoon]),
    );
    events.forEach((m, i) => {
      expect(m.key!.toString()).toMatch(/^[0-9a-f]{64}$/);
      expect(m.key!.toString()).toBe(expectedKey(personOf.get(decoded[i]?.eventId ?? '') ?? {}));
    });

    const deadLetters = await readAll(env.RAW_DEAD_LETTER_TOPIC);
    const letters = await Promise.all(
      deadLetters.map((m) =>
        registry.decode<{ originalValue: Buffer; reasons: { rule: string }[]; sourceTopic: string; sourceOffset: number }>(m.value!),
      ),
    );
    expect(letters.map((l) => l.originalValue.toString()).sort()).toEqual([...bad].sort());
    for (const letter of letters) {
      expect(letter.reasons.length).toBeGreaterThan(0);
      expect(letter.sourceTopic).toBe(env.RAW_TOPIC);
    }
    // an event id that could carry a person number is refused for that, and the reason does not repeat it
    const fromBsnId = letters.find((l) => l.originalValue.toString().includes('"eventId":"leerling-111222333-001"'))!;
    expect(fromBsnId.reasons).toEqual([expect.objectContaining({ field: 'eventId', rule: 'event-id-digits' })]);
    expect(JSON.stringify(fromBsnId.reasons)).not.toContain('111222333');
  });

  it('loses nothing and publishes nothing twice when killed mid-stream and started again', async () => {
    const env = topicsFor('ingest-kill');
    const lines = rawEvents({ persons: 1000, eventsPerPerson: 10, idPrefix: 'kill' }).map((e) => JSON.stringify(e));
    // A third before the start, a third while it runs (the kill comes after it), a third after the kill:
    // however fast ingest is, the kill lands while it is working and the restart has events it never saw.
    // (All published up front, large transactions made the first commit take in everything at once.)
    const third = Math.floor(lines.length / 3);
    await publishLines(env.RAW_TOPIC, lines.slice(0, third));

    const startProcess = (): ChildProcess =>
      keepOutput(
        spawn(process.execPath, ['services/ingest/src/main.ts'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }),
        'ingest',
      );

    // first run: killed hard (no shutdown, no commit) once some output is committed
    const first = startProcess();
    await waitFor(
      'some committed progress before the kill',
      async () => {
        const committed = await admin.groupOffsets(env.INGEST_GROUP_ID, env.RAW_TOPIC);
        return committed.some((c) => Number(c.offset) > 0);
      },
      { timeoutMs: 90_000, intervalMs: 20 },
    );
    await publishLines(env.RAW_TOPIC, lines.slice(third, 2 * third));
    first.kill('SIGKILL');
    await new Promise((resolve) => first.once('exit', resolve));
    const committedAtKill = (await admin.groupOffsets(env.INGEST_GROUP_ID, env.RAW_TOPIC)).reduce(
      (n, c) => n + Math.max(0, Number(c.offset)),
      0,
    );
    expect(committedAtKill).toBeGreaterThan(0);
    await publishLines(env.RAW_TOPIC, lines.slice(2 * third));

    // second run: finishes the job and stops gracefully on SIGTERM
    const second = startProcess();
    try {
      await ingestCaughtUp(env);
    } finally {
      second.kill('SIGTERM');
    }
    const exitCode = await new Promise((resolve) => second.once('exit', resolve));
    expect(exitCode).toBe(0);

    const events = await readAll(env.EVENTS_TOPIC);
    const ids = await Promise.all(events.map(async (m) => (await registry.decode<{ eventId: string }>(m.value!)).eventId));
    expect(ids.length).toBe(lines.length);
    expect(new Set(ids).size).toBe(lines.length);
    // both runs keyed every person alike: one key per person, the keyed hash of the person
    const persons = new Map(
      lines.map((l) => JSON.parse(l) as { eventId: string; persoon: { bsn: string } }).map((e) => [e.eventId, e.persoon]),
    );
    const keysByPerson = new Map<string, Set<string>>();
    events.forEach((m, i) => {
      const persoon = persons.get(ids[i] ?? '') ?? { bsn: '' };
      keysByPerson.set(persoon.bsn, (keysByPerson.get(persoon.bsn) ?? new Set()).add(m.key!.toString()));
      expect(m.key!.toString()).toBe(expectedKey(persoon));
    });
    expect([...keysByPerson.values()].every((keys) => keys.size === 1)).toBe(true);
  });
});
