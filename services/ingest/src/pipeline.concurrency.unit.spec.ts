import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RegisterEvent } from '@register-feeds/register-model';
import { createLogger, createMemoryBus, createMemoryRegistry, loadConfig, type SchemaRegistryClient } from '@register-feeds/service-kit';
import { describe, expect, it } from 'vitest';
import { settings } from './config.ts';
import { startIngest } from './pipeline.ts';

// Ingest with its raw partitions handled concurrently (EDGE_PARTITIONS_CONCURRENTLY): the raw topic is
// unkeyed, so a repeat of an event may land on another partition and be decided while the first is still
// on its way to its transaction. Exactly one of them is published.

const samples = readFileSync(new URL('../fixtures/sample-events.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '');

const keyFile = join(mkdtempSync(join(tmpdir(), 'ingest-unit-')), 'partition.key');
writeFileSync(keyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
const configWith = (concurrently: string) =>
  loadConfig(settings, {
    RAW_TOPIC: 'raw',
    EVENTS_TOPIC: 'events',
    RAW_DEAD_LETTER_TOPIC: 'raw.dlq',
    INGEST_SEEN_TOPIC: 'seen',
    INGEST_PARTITION_KEY_FILE: keyFile,
    EDGE_PARTITIONS_CONCURRENTLY: concurrently,
    LOG_LEVEL: 'silent',
  });
const logger = createLogger({ service: 'ingest-test', level: 'silent' });

/** encodes only after some event-loop turns: the other partition's batch runs in between, as with a registry that answers over the network */
function slowEncoding(registry: SchemaRegistryClient): SchemaRegistryClient {
  return Object.assign(Object.create(registry) as SchemaRegistryClient, {
    encode: async (...args: Parameters<SchemaRegistryClient['encode']>) => {
      for (let i = 0; i < 50; i++) await new Promise<void>((resolve) => setImmediate(resolve));
      return registry.encode(...args);
    },
  });
}

describe('startIngest with partitions handled concurrently', () => {
  it.each([
    '6',
    '1',
  ])('given the same event on two raw partitions, with EDGE_PARTITIONS_CONCURRENTLY %s, publishes it once and counts one duplicate', async (concurrently) => {
    const config = configWith(concurrently);
    const bus = createMemoryBus();
    const memoryRegistry = createMemoryRegistry();
    const registry = slowEncoding(memoryRegistry);
    const admin = await bus.admin();
    await admin.ensureTopics([{ name: config.rawTopic, partitions: 2, replicationFactor: 1 }]);
    await admin.disconnect();
    const producer = await bus.producer();
    const line = samples[0] as string;
    await producer.send([0, 1].map((partition) => ({ topic: config.rawTopic, partition, key: null, value: line })));
    await producer.disconnect();

    const ingest = await startIngest({ config, bus, registry, logger });
    await bus.settled();

    const events = await Promise.all(bus.read(config.eventsTopic).map((m) => memoryRegistry.decode<RegisterEvent>(m.value as Buffer)));
    expect(events.map((e) => e.eventId)).toEqual([(JSON.parse(line) as { eventId: string }).eventId]);
    expect(bus.read(config.seenTopic)).toHaveLength(1);
    expect(ingest.counters).toMatchObject({ published: 1, duplicates: 1, deadLettered: 0 });
    await ingest.stop();
  });

  it('publishes every event of every partition once (a batch per partition in hand at once)', async () => {
    const config = configWith('6');
    const bus = createMemoryBus({ maxBatchRecords: 2 });
    const memoryRegistry = createMemoryRegistry();
    const admin = await bus.admin();
    await admin.ensureTopics([{ name: config.rawTopic, partitions: 3, replicationFactor: 1 }]);
    await admin.disconnect();
    const producer = await bus.producer();
    // each line twice, the repeat on the next partition
    await producer.send(
      [...samples, ...samples].map((value, i) => ({
        topic: config.rawTopic,
        partition: (i + (i >= samples.length ? 1 : 0)) % 3,
        key: null,
        value,
      })),
    );
    await producer.disconnect();

    const ingest = await startIngest({ config, bus, registry: slowEncoding(memoryRegistry), logger });
    await bus.settled();

    const events = await Promise.all(bus.read(config.eventsTopic).map((m) => memoryRegistry.decode<RegisterEvent>(m.value as Buffer)));
    const expected = samples.map((l) => (JSON.parse(l) as { eventId: string }).eventId).sort();
    expect(events.map((e) => e.eventId).sort()).toEqual(expected);
    expect(ingest.counters).toMatchObject({ published: samples.length, duplicates: samples.length, deadLettered: 0 });
    await ingest.stop();
  });
});
