import { createSecretKey, randomBytes } from 'node:crypto';
import { createPartitionKey, normalise, parseRegisterEvent } from '@register-feeds/ingest';
import type { RegisterEvent } from '@register-feeds/register-model';
import { loadAvroSchema, type MessageBus, type SchemaRegistryClient, valueSubject } from '@register-feeds/service-kit';

// keyed like ingest keys register.events.v1, under a throwaway internal key (test topics only)
const partitionKey = createPartitionKey(createSecretKey(randomBytes(32)));

/** A raw event as ingest would make it canonical; throws with the rules when the raw event is invalid. */
export function canonical(raw: Record<string, unknown>): RegisterEvent {
  const parsed = parseRegisterEvent(JSON.stringify(raw));
  if (!parsed.ok) throw new Error(`invalid test event: ${parsed.reasons.map((r) => `${r.field}:${r.rule}`).join(', ')}`);
  return normalise(parsed.event);
}

/** Publishes canonical events to a (test) events topic the way ingest does: Avro through the registry, keyed by person. */
export async function publishCanonical(
  bus: MessageBus,
  registry: SchemaRegistryClient,
  topic: string,
  events: RegisterEvent[],
): Promise<void> {
  const admin = await bus.admin();
  await admin.ensureTopics([{ name: topic, partitions: 3, replicationFactor: 1 }]);
  await admin.disconnect();
  const schemaId = await registry.register(valueSubject(topic), loadAvroSchema('register-event.avsc'), 'BACKWARD_TRANSITIVE');
  const producer = await bus.producer();
  for (let i = 0; i < events.length; i += 500) {
    const slice = events.slice(i, i + 500);
    await producer.send(
      await Promise.all(slice.map(async (e) => ({ topic, key: partitionKey(e), value: await registry.encode(schemaId, e) }))),
    );
  }
  await producer.disconnect();
}
