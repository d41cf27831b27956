import type { RegisterEvent } from '@register-feeds/register-model';
import {
  type ConfigOf,
  commitPolicyFrom,
  createDeadLetterWriter,
  type Decided,
  type EdgeMetrics,
  type EdgeRecord,
  type Logger,
  loadAvroSchema,
  type MessageBus,
  type SchemaRegistryClient,
  startEdge,
  topicSpec,
  topics,
  valueSubject,
} from '@register-feeds/service-kit';
import type { Agreement } from './agreement.ts';
import type { settings } from './config.ts';
import { type AuditEntry, type Delivery, deliveriesFor } from './deliveries.ts';
import { fixedKeys, type KeySource } from './key-source.ts';
import type { KeyStore } from './keys.ts';
import { recordTimestamp } from './minimise.ts';
import { recipientSchema } from './output-schema.ts';
import { underTopicPrefix } from './recipient-topics.ts';

export type PseudonymiseConfig = ConfigOf<typeof settings>;

const DAY_MS = 86_400_000;

export interface PseudonymiseCounters {
  /** canonical events read (dead-lettered ones included) */
  readonly events: number;
  /** recipient records produced, per recipient */
  readonly delivered: Readonly<Record<string, number>>;
  readonly deadLettered: number;
}

export interface PseudonymisePipeline {
  /** read from the edge's metrics: committed batches only */
  readonly counters: PseudonymiseCounters;
  readonly metrics: EdgeMetrics;
  /** false once a partition halted (a bug) or the consumer gave up */
  healthy(): boolean;
  /** /ready: healthy, in its group and holding input partitions (the edge's ready()) */
  ready(): boolean;
  stop(): Promise<void>;
}

/** One message pseudonymise produces: a recipient's record, or the audit entry of an event. */
export type Output = { kind: 'delivery'; delivery: Delivery } | { kind: 'audit'; audit: AuditEntry };

/** The fan-out of a decoded batch, pure: every event to every recipient its agreement allows, plus its audit entry. */
export function fanOut(
  records: EdgeRecord<RegisterEvent>[],
  agreements: readonly Agreement[],
  keys: KeyStore,
  now: number,
): Decided<Output> {
  const outputs: Output[] = [];
  for (const { message, value } of records) {
    const { deliveries, audit } = deliveriesFor(value, message, agreements, keys, now);
    for (const delivery of deliveries) outputs.push({ kind: 'delivery', delivery });
    if (audit !== null) outputs.push({ kind: 'audit', audit });
  }
  return { outputs };
}

/**
 * Pseudonymise's wiring over the one edge (startEdge): each canonical event is decoded with the schema
 * this service owns, fanned out to every recipient its agreement allows (fanOut, pure), and the recipient
 * records and audit entries are produced with the consumed offsets in one transaction per batch. The
 * edge's policy: a registry outage is waited out, an event that can never be read is dead-lettered, a
 * valid event the service throws on halts its partition.
 */
export async function startPseudonymise({
  config,
  agreements: reviewed,
  keys,
  bus,
  registry,
  logger,
  clock = Date.now,
}: {
  config: PseudonymiseConfig;
  agreements: readonly Agreement[];
  /** a fixed store, or the key file read again when it changes (key-source.ts) */
  keys: KeyStore | KeySource;
  bus: MessageBus;
  registry: SchemaRegistryClient;
  logger: Logger;
  /** the instant of delivery, checked against each agreement's term; a parameter so tests can move it */
  clock?: () => number;
}): Promise<PseudonymisePipeline> {
  const log = logger.child({ component: 'pseudonymise', topic: config.eventsTopic });
  // where each recipient's records go: the agreement's topic, behind RECIPIENT_TOPIC_PREFIX if one is set
  const agreements = underTopicPrefix(reviewed, config.recipientTopicPrefix);
  const keySource: KeySource = 'current' in keys ? keys : fixedKeys(keys);
  const admin = await bus.admin();
  await admin.ensureTopics([
    topicSpec({ ...topics.events, name: config.eventsTopic }, config.replicationFactor),
    topicSpec({ ...topics.eventsDeadLetter, name: config.deadLetterTopic }, config.replicationFactor),
    topicSpec({ ...topics.audit, name: config.auditTopic }, config.replicationFactor),
    // each recipient topic keeps records as long as its agreement allows, no longer
    ...agreements.map((a) => ({
      name: a.output.topic,
      partitions: 6,
      replicationFactor: config.replicationFactor,
      config: { 'cleanup.policy': 'delete', 'retention.ms': String(a.retention.days * DAY_MS) },
    })),
  ]);
  await admin.disconnect();

  const eventSchema = loadAvroSchema('register-event.avsc');
  const auditSchemaId = await registry.register(valueSubject(config.auditTopic), loadAvroSchema('audit-event.avsc'), 'BACKWARD_TRANSITIVE');
  const deadLetter = await createDeadLetterWriter({ registry, topic: config.deadLetterTopic, service: 'pseudonymise', clock });
  const recipientSchemaIds = new Map<string, number>();
  for (const agreement of agreements) {
    const id = await registry.register(valueSubject(agreement.output.topic), recipientSchema(agreement) as never, 'BACKWARD_TRANSITIVE');
    recipientSchemaIds.set(agreement.recipient, id);
  }

  // The keys are read per batch, so a retired key stops deliveries at the next batch (crypto-shredding).
  // They are read before the batch, not in decide: a key file that cannot be read is not a bug of the
  // record (which decide's failures are, halting the partition) but a reason to try the batch again.
  const batchKeys = new Map<number, KeyStore>();
  const edge = await startEdge<RegisterEvent, Output>({
    bus,
    groupId: config.groupId,
    topic: config.eventsTopic,
    logger: log,
    deadLetter,
    clock,
    commit: commitPolicyFrom(config),
    partitionsConcurrently: config.edgePartitionsConcurrently,
    decode: (message) => registry.decode<RegisterEvent>(message.value as Buffer, eventSchema),
    decodeFailure: { rule: 'canonical-decode', message: 'not a readable canonical event' },
    hooks: {
      beforeBatch: async (batch) => void batchKeys.set(batch.partition, keySource.current()),
    },
    decide: (records, { partition, now }) => fanOut(records, agreements, batchKeys.get(partition) as KeyStore, now),
    encode: async (output, { now }) =>
      output.kind === 'audit'
        ? [{ topic: config.auditTopic, key: output.audit.eventId, value: await registry.encode(auditSchemaId, output.audit) }]
        : [
            {
              topic: output.delivery.agreement.output.topic,
              key: output.delivery.key,
              value: await registry.encode(recipientSchemaIds.get(output.delivery.agreement.recipient) as number, output.delivery.record),
              headers: { recipient: output.delivery.agreement.recipient },
              timestamp: recordTimestamp(now),
            },
          ],
  });
  log.info({ recipients: agreements.map((a) => a.recipient), withKey: keySource.current().recipients() }, 'pseudonymise running');

  const { metrics } = edge;
  return {
    metrics,
    counters: {
      get events() {
        return metrics.records;
      },
      get delivered() {
        return Object.fromEntries(agreements.map((a) => [a.recipient, metrics.produced[a.output.topic] ?? 0]));
      },
      get deadLettered() {
        return metrics.deadLettered;
      },
    },
    healthy: () => edge.healthy(),
    ready: () => edge.ready(),
    stop: () => edge.stop(),
  };
}
