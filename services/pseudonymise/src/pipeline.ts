import type { RegisterEvent } from '@register-feeds/register-model';
import {
  type Batch,
  type BatchContext,
  type BatchOutcome,
  type ConfigOf,
  classifyError,
  createDeadLetterWriter,
  type Logger,
  loadAvroSchema,
  type MessageBus,
  type OutgoingMessage,
  poisonReason,
  retryWhileRetriable,
  type SchemaRegistryClient,
  startTransactionalPipeline,
  topicSpec,
  topics,
  valueSubject,
} from '@register-feeds/service-kit';
import type { Agreement } from './agreement.ts';
import type { settings } from './config.ts';
import { deliveriesFor } from './deliveries.ts';
import { fixedKeys, type KeySource } from './key-source.ts';
import type { KeyStore } from './keys.ts';
import { recordTimestamp } from './minimise.ts';
import { recipientSchema } from './output-schema.ts';

export type PseudonymiseConfig = ConfigOf<typeof settings>;

const DAY_MS = 86_400_000;

export interface PseudonymiseCounters {
  events: number;
  delivered: Record<string, number>;
  deadLettered: number;
}

export interface PseudonymisePipeline {
  readonly counters: PseudonymiseCounters;
  stop(): Promise<void>;
}

/**
 * The thin Kafka edge of pseudonymise: decode each canonical event with the schema this service owns,
 * fan it out to every recipient its agreement allows (deliveries.ts, pure), and produce the recipient
 * records and their audit entries together with the consumed offsets in one transaction per batch.
 * An event that can never be decoded (classifyError: poison) goes to the dead-letter topic; a registry
 * outage is waited out and dead-letters nothing; nothing is skipped silently.
 */
export async function startPseudonymise({
  config,
  agreements,
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

  const counters: PseudonymiseCounters = {
    events: 0,
    delivered: Object.fromEntries(agreements.map((a) => [a.recipient, 0])),
    deadLettered: 0,
  };

  const handle = async (batch: Batch, context: BatchContext): Promise<BatchOutcome> => {
    const now = clock();
    // read per batch, so a retired key stops deliveries at the next batch (crypto-shredding)
    const keyStore = keySource.current();
    const timestamp = recordTimestamp(now);
    const messages: OutgoingMessage[] = [];
    const delivered: string[] = [];
    let deadLettered = 0;
    for (const message of batch.messages) {
      let event: RegisterEvent;
      try {
        // a registry outage is waited out here, with backoff, heartbeats and an eye on stop (retryWhileRetriable)
        event = await retryWhileRetriable(() => registry.decode<RegisterEvent>(message.value as Buffer, eventSchema), {
          isRunning: context.isRunning,
          heartbeat: context.heartbeat,
          onRetry: ({ attempt, delayMs, error }) =>
            log.warn(
              { partition: batch.partition, offset: message.offset, attempt, delayMs, err: error },
              'schema registry unavailable, retrying',
            ),
        });
      } catch (error) {
        // One policy (classifyError): only a record that can never be read is dead-lettered. An outage that
        // outlasted the batch (the consumer stops) and a bug end the batch uncommitted: it is read again.
        if (classifyError(error) !== 'poison') throw error;
        deadLettered += 1;
        const reason = poisonReason(error, 'canonical-decode');
        messages.push(await deadLetter(message, [{ ...reason, message: `not a readable canonical event: ${reason.message}` }]));
        continue;
      }
      const { deliveries, audit } = deliveriesFor(event, message, agreements, keyStore, now);
      for (const d of deliveries) {
        const schemaId = recipientSchemaIds.get(d.agreement.recipient) as number;
        messages.push({
          topic: d.agreement.output.topic,
          key: d.key,
          value: await registry.encode(schemaId, d.record),
          headers: { recipient: d.agreement.recipient },
          timestamp,
        });
        delivered.push(d.agreement.recipient);
      }
      if (audit !== null)
        messages.push({ topic: config.auditTopic, key: audit.eventId, value: await registry.encode(auditSchemaId, audit) });
    }
    return {
      messages,
      afterCommit: () => {
        counters.events += batch.messages.length;
        counters.deadLettered += deadLettered;
        for (const recipient of delivered) counters.delivered[recipient] = (counters.delivered[recipient] ?? 0) + 1;
        if (deadLettered > 0) log.warn({ partition: batch.partition, deadLettered }, 'unreadable canonical events dead-lettered');
      },
    };
  };

  const pipeline = await startTransactionalPipeline({ bus, groupId: config.groupId, topic: config.eventsTopic, logger: log, handle });
  log.info({ recipients: agreements.map((a) => a.recipient), withKey: keySource.current().recipients() }, 'pseudonymise running');
  return { counters, stop: () => pipeline.stop() };
}
