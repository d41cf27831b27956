import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegisterEvent } from '@register-feeds/register-model';
import { createLogger, createMemoryBus, createMemoryRegistry, loadConfig, type MemoryBus } from '@register-feeds/service-kit';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { settings } from './config.ts';
import { normalise } from './normalise.ts';
import { createPartitionKey } from './partition-key.ts';
import { decideIngest, startIngest } from './pipeline.ts';
import { parseRegisterEvent } from './validate/index.ts';

// Ingest's wiring on the twins (memory bus, memory registry): raw lines in; canonical events (keyed by
// person), seen ids and dead letters with every reason out, in one transaction per batch; repeats dropped,
// also across a restart. Which line is refused for what is the validator's (fixtures.unit.spec.ts); here:
// that the edge carries each decision where it goes.

const lines = (name: string): string[] =>
  readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '');
const samples = lines('sample-events.jsonl');
const bad = lines('bad-events.jsonl');

// the internal partition key is made at test time, never kept in the repo
const keyFile = join(mkdtempSync(join(tmpdir(), 'ingest-unit-')), 'partition.key');
writeFileSync(keyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
const config = loadConfig(settings, {
  RAW_TOPIC: 'raw',
  EVENTS_TOPIC: 'events',
  RAW_DEAD_LETTER_TOPIC: 'raw.dlq',
  INGEST_SEEN_TOPIC: 'seen',
  INGEST_PARTITION_KEY_FILE: keyFile,
  LOG_LEVEL: 'silent',
});
const logger = createLogger({ service: 'ingest-test', level: 'silent' });

async function publishRaw(bus: MemoryBus, values: string[]) {
  const admin = await bus.admin();
  await admin.ensureTopics([{ name: config.rawTopic, partitions: 1, replicationFactor: 1 }]);
  await admin.disconnect();
  const producer = await bus.producer();
  await producer.send(values.map((value) => ({ topic: config.rawTopic, key: null, value })));
  await producer.disconnect();
}

const eventIdOf = (line: string) => (JSON.parse(line) as { eventId: string }).eventId;

describe('startIngest on the twins', () => {
  it('publishes each good line once as a canonical event keyed by person, dead-letters each bad one with its reasons, drops repeats', async () => {
    const bus = createMemoryBus();
    const registry = createMemoryRegistry();
    const raw = [...samples, ...bad, samples[0] as string];
    await publishRaw(bus, raw);
    const ingest = await startIngest({ config, bus, registry, logger });
    await bus.settled();

    const events = bus.read(config.eventsTopic);
    const decoded = await Promise.all(events.map((m) => registry.decode<RegisterEvent>(m.value as Buffer)));
    expect(decoded.map((e) => e.eventId).sort()).toEqual(samples.map(eventIdOf).sort());
    const partitionKey = createPartitionKey(config.partitionKey);
    for (const [i, m] of events.entries()) {
      const event = decoded[i] as RegisterEvent;
      expect(String(m.key)).toBe(partitionKey(event));
      expect(String(m.headers['event-id'])).toBe(event.eventId);
    }
    // the seen ids point back at the raw record each event came from
    const seen = bus.read(config.seenTopic).map((m) => [String(m.key), String(m.value)]);
    expect(seen.sort()).toEqual(samples.map((line, offset) => [eventIdOf(line), `raw/0/${offset}`]).sort());

    const deadLetters = await Promise.all(
      bus
        .read(config.deadLetterTopic)
        .map((m) => registry.decode<{ sourceOffset: number; reasons: Array<{ field: string; rule: string }> }>(m.value as Buffer)),
    );
    expect(deadLetters.map((d) => d.sourceOffset)).toEqual(bad.map((_, i) => samples.length + i));
    for (const [i, d] of deadLetters.entries()) {
      const parsed = parseRegisterEvent(bad[i] as string);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(d.reasons.map((r) => `${r.field}:${r.rule}`)).toEqual(parsed.reasons.map((r) => `${r.field}:${r.rule}`));
    }
    expect(ingest.counters).toMatchObject({ published: samples.length, deadLettered: bad.length, duplicates: 1 });
    expect(ingest.healthy()).toBe(true);
    await ingest.stop();
  });

  it('knows what it published after a restart: the same lines again are repeats', async () => {
    const bus = createMemoryBus();
    const registry = createMemoryRegistry();
    await publishRaw(bus, samples);
    const first = await startIngest({ config, bus, registry, logger });
    await bus.settled();
    await first.stop();

    await publishRaw(bus, samples);
    const second = await startIngest({ config, bus, registry, logger });
    await bus.settled();
    expect(bus.read(config.eventsTopic)).toHaveLength(samples.length);
    expect(second.counters).toMatchObject({ published: 0, duplicates: samples.length, deadLettered: 0 });
    await second.stop();
  });

  it('drops a repeat in a later batch of the same open transaction (EDGE_COMMIT_INTERVAL_MS: transactions span batches)', async () => {
    const bus = createMemoryBus({ maxBatchRecords: 2 }); // small fetches: the repeats come batches after their first
    const registry = createMemoryRegistry();
    await publishRaw(bus, [...samples, ...samples]);
    const ingest = await startIngest({ config, bus, registry, logger });
    await bus.settled();
    expect(bus.read(config.eventsTopic)).toHaveLength(samples.length);
    expect(ingest.counters).toMatchObject({ published: samples.length, duplicates: samples.length, deadLettered: 0 });
    expect(ingest.counters.batches).toBeGreaterThan(2);
    await ingest.stop();
  });
});

describe('decideIngest', () => {
  const canonical = avro.Type.forSchema({
    type: 'record',
    name: 'Narrow',
    fields: [
      { name: 'eventId', type: { type: 'string' } },
      { name: 'notInTheEvent', type: { type: 'string' } },
    ],
  });

  it('refuses, with the paths, an event that passed validation but does not fit the canonical schema (bad input, not a bug)', () => {
    const line = samples[0] as string;
    const message = { topic: 'raw', partition: 0, offset: '7', timestamp: '0', key: null, value: Buffer.from(line), headers: {} };
    const decided = decideIngest([message], new Set(), {
      maxBytes: 65_536,
      partitionKey: createPartitionKey(config.partitionKey),
      canonical,
    });
    expect(decided.outputs).toEqual([]);
    expect(decided.refused).toHaveLength(1);
    expect(decided.refused?.[0]?.source.offset).toBe('7');
    expect(decided.refused?.[0]?.reasons).toEqual([
      { field: 'notInTheEvent', rule: 'canonical-schema', message: 'the normalised event does not fit the canonical Avro schema' },
    ]);
    // the normalised event itself does fit the real schema
    const parsed = parseRegisterEvent(line);
    expect(parsed.ok && normalise(parsed.event).eventId).toBe(eventIdOf(line));
  });
});
