import type { RegisterEvent } from '@register-feeds/register-model';
import {
  createLogger,
  createMemoryBus,
  createMemoryRegistry,
  loadAvroSchema,
  loadConfig,
  type MemoryBus,
  type MemoryRegistry,
  valueSubject,
} from '@register-feeds/service-kit';
import { afterEach, describe, expect, it } from 'vitest';
import { settings } from './config.ts';
import { deliveriesFor } from './deliveries.ts';
import { createKeyStore, generateTestKeys, type KeyStore } from './keys.ts';
import { recordTimestamp } from './minimise.ts';
import { type PseudonymisePipeline, startPseudonymise } from './pipeline.ts';
import { agreements, sampleEvents } from './sample-events.test-support.ts';

// Pseudonymise's wiring on the twins (memory bus, memory registry): canonical events in, every recipient's
// records and one audit entry per event out, unreadable events dead-lettered with their reasons and
// coordinates, and a registry outage waited out without a dead letter. What each record holds is the pure
// core's (deliveries.unit tests and the real-broker tests); here: that the edge carries it where it goes.

const config = loadConfig(settings, {
  EVENTS_TOPIC: 'events',
  EVENTS_DEAD_LETTER_TOPIC: 'events.dlq',
  AUDIT_TOPIC: 'audit',
  PSEUDONYMISE_GROUP_ID: 'pseudonymise',
  PSEUDONYM_KEYS_FILE: '/nonexistent/keys.json', // unread here: the keys are handed in
  LOG_LEVEL: 'silent',
});
const NOW = Date.UTC(2026, 0, 15, 10);
const logger = createLogger({ service: 'pseudonymise-test', level: 'silent' });

let running: PseudonymisePipeline | undefined;
afterEach(async () => {
  await running?.stop();
  running = undefined;
});

/**
 * given: a publisher (ingest, a registry client with caches of its own) that has registered the canonical
 * schema; publish() puts the events on the events topic and two records no one can read
 */
async function publisher(bus: MemoryBus, registry: MemoryRegistry) {
  const admin = await bus.admin();
  await admin.ensureTopics([{ name: config.eventsTopic, partitions: 3, replicationFactor: 1 }]);
  await admin.disconnect();
  const client = registry.client();
  const schemaId = await client.register(valueSubject(config.eventsTopic), loadAvroSchema('register-event.avsc'), 'BACKWARD_TRANSITIVE');
  return async (events: RegisterEvent[]) => {
    const producer = await bus.producer();
    await producer.send(
      await Promise.all(events.map(async (e) => ({ topic: config.eventsTopic, key: e.eventId, value: await client.encode(schemaId, e) }))),
    );
    const unknownId = Buffer.from([0, 0, 0, 0x7f, 0x7f, 2, 4]);
    await producer.send([
      { topic: config.eventsTopic, partition: 0, key: 'poison-1', value: 'not avro at all' },
      { topic: config.eventsTopic, partition: 0, key: 'poison-2', value: unknownId },
    ]);
    await producer.disconnect();
  };
}

async function start(bus: MemoryBus, registry: MemoryRegistry, keys: KeyStore) {
  running = await startPseudonymise({ config, agreements, keys, bus, registry, logger, clock: () => NOW });
  return running;
}

/** the recipient records the pure core makes of the sample events, per output topic */
function expectedDeliveries(keys: KeyStore) {
  const byTopic = new Map<string, unknown[]>();
  let audits = 0;
  for (const event of sampleEvents) {
    const { deliveries, audit } = deliveriesFor(event, { topic: config.eventsTopic, partition: 0, offset: '0' }, agreements, keys, NOW);
    for (const d of deliveries) byTopic.set(d.agreement.output.topic, [...(byTopic.get(d.agreement.output.topic) ?? []), d.record]);
    if (audit) audits += 1;
  }
  return { byTopic, audits };
}

interface DeadLetter {
  service: string;
  reasons: Array<{ rule: string; message: string }>;
}

const byRecordId = (a: unknown, b: unknown) =>
  String((a as { recordId: string }).recordId).localeCompare(String((b as { recordId: string }).recordId));

describe('startPseudonymise on the twins', () => {
  it('delivers every sample event to each recipient its agreement allows, audits each, and dead-letters what cannot be read', async () => {
    const bus = createMemoryBus();
    const registry = createMemoryRegistry();
    const keys = createKeyStore(generateTestKeys(agreements.map((a) => a.recipient)));
    const publish = await publisher(bus, registry);
    const pipeline = await start(bus, registry, keys);
    await publish(sampleEvents);
    await bus.settled();

    const { byTopic, audits } = expectedDeliveries(keys);
    expect(byTopic.size).toBeGreaterThan(1); // the samples reach several recipients
    for (const agreement of agreements) {
      const topic = agreement.output.topic;
      const read = bus.read(topic);
      const values = await Promise.all(read.map((m) => registry.decode(m.value as Buffer)));
      expect(values.sort(byRecordId), topic).toEqual([...(byTopic.get(topic) ?? [])].sort(byRecordId));
      for (const m of read) {
        expect(String(m.headers.recipient)).toBe(agreement.recipient);
        expect(m.timestamp).toBe(recordTimestamp(NOW));
      }
      expect(pipeline.counters.delivered[agreement.recipient]).toBe(read.length);
    }
    expect(bus.read(config.auditTopic)).toHaveLength(audits);

    const deadLetters = await Promise.all(
      bus
        .read(config.deadLetterTopic)
        .map(async (m) => ({ key: String(m.key), ...(await registry.decode<DeadLetter>(m.value as Buffer)) })),
    );
    expect(deadLetters.map((d) => ({ key: d.key, service: d.service, rules: d.reasons.map((r) => r.rule) }))).toEqual([
      { key: expect.stringMatching(/^events\/0\/\d+$/), service: 'pseudonymise', rules: ['unknown-magic-byte'] },
      { key: expect.stringMatching(/^events\/0\/\d+$/), service: 'pseudonymise', rules: ['unknown-schema'] },
    ]);
    expect(deadLetters[0]?.reasons[0]?.message).toMatch(/^not a readable canonical event: /);
    expect(pipeline.counters).toMatchObject({ events: sampleEvents.length + 2, deadLettered: 2 });
    expect(pipeline.healthy()).toBe(true);
  });

  it('waits out a registry outage and then delivers everything, dead-lettering only what can never be read', async () => {
    const bus = createMemoryBus();
    const registry = createMemoryRegistry();
    const keys = createKeyStore(generateTestKeys(agreements.map((a) => a.recipient)));
    const publish = await publisher(bus, registry);
    const pipeline = await start(bus, registry, keys);
    registry.setAvailable(false);
    await publish(sampleEvents);
    const before = registry.requests();
    // the writer schema is not in pseudonymise's cache: every decode asks the registry, and is refused, a few times
    await bus.waitUntil(() => registry.requests() >= before + 3);
    expect(bus.read(config.deadLetterTopic)).toEqual([]);
    expect(pipeline.counters.events).toBe(0);

    registry.setAvailable(true);
    await bus.settled();
    const { byTopic } = expectedDeliveries(keys);
    for (const agreement of agreements)
      expect(bus.read(agreement.output.topic)).toHaveLength(byTopic.get(agreement.output.topic)?.length ?? 0);
    expect(bus.read(config.deadLetterTopic)).toHaveLength(2);
    expect(pipeline.counters.deadLettered).toBe(2);
  });
});
