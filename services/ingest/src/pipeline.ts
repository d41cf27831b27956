import type { ConfigOf } from '@register-feeds/service-kit';
import {
  type Batch,
  type BatchOutcome,
  createDeadLetterWriter,
  type Logger,
  loadAvroSchema,
  type MessageBus,
  type OutgoingMessage,
  RecordInvalidError,
  type SchemaRegistryClient,
  startTransactionalPipeline,
  topicSpec,
  topics,
  valueSubject,
} from '@register-feeds/service-kit';
import type { settings } from './config.ts';
import { type Decision, decideBatch, sourceRef } from './decide.ts';
import { createPartitionKey } from './partition-key.ts';
import { loadSeenEventIds } from './seen-event-ids.ts';

export type IngestConfig = ConfigOf<typeof settings>;

export interface IngestCounters {
  published: number;
  deadLettered: number;
  duplicates: number;
  batches: number;
}

export interface IngestPipeline {
  readonly counters: IngestCounters;
  /** stops fetching, lets the batch in hand finish (its transaction commits or aborts), disconnects */
  stop(): Promise<void>;
}

/**
 * The thin Kafka edge of ingest: consume raw records, decide (pure), encode, and produce the canonical
 * events, the dead letters and the seen ids together with the consumed offsets in one transaction per
 * batch (startTransactionalPipeline).
 */
export async function startIngest({
  config,
  bus,
  registry,
  logger,
}: {
  config: IngestConfig;
  bus: MessageBus;
  registry: SchemaRegistryClient;
  logger: Logger;
}): Promise<IngestPipeline> {
  const log = logger.child({ component: 'ingest', topic: config.rawTopic });
  const admin = await bus.admin();
  await admin.ensureTopics([
    topicSpec({ ...topics.raw, name: config.rawTopic }, config.replicationFactor),
    topicSpec({ ...topics.events, name: config.eventsTopic }, config.replicationFactor),
    topicSpec({ ...topics.rawDeadLetter, name: config.deadLetterTopic }, config.replicationFactor),
    topicSpec({ ...topics.ingestSeen, name: config.seenTopic }, config.replicationFactor),
  ]);
  // BACKWARD_TRANSITIVE: consumers upgrade first and read every older version (see README, schemas)
  const eventSchemaId = await registry.register(
    valueSubject(config.eventsTopic),
    loadAvroSchema('register-event.avsc'),
    'BACKWARD_TRANSITIVE',
  );
  const deadLetter = await createDeadLetterWriter({ registry, topic: config.deadLetterTopic, service: 'ingest' });
  const seen = await loadSeenEventIds({ bus, admin, topic: config.seenTopic, logger: log });
  await admin.disconnect();

  const counters: IngestCounters = { published: 0, deadLettered: 0, duplicates: 0, batches: 0 };
  const decideOptions = { maxBytes: config.maxEventBytes, partitionKey: createPartitionKey(config.partitionKey) };
  /** Encodes the decisions; an event that does not fit the canonical schema becomes a dead letter itself. */
  const toMessages = async (decisions: Decision[]): Promise<{ messages: OutgoingMessage[]; final: Decision[] }> => {
    const messages: OutgoingMessage[] = [];
    const final: Decision[] = [];
    for (const d of decisions) {
      if (d.kind === 'publish') {
        let value: Buffer;
        try {
          value = await registry.encode(eventSchemaId, d.event);
        } catch (error) {
          if (!(error instanceof RecordInvalidError)) throw error;
          const reasons = [
            {
              field: error.paths.join(','),
              rule: 'canonical-schema',
              message: 'the normalised event does not fit the canonical Avro schema',
            },
          ];
          messages.push(await deadLetter(d.source, reasons));
          final.push({ kind: 'dead-letter', reasons, source: d.source });
          continue;
        }
        messages.push({ topic: config.eventsTopic, key: d.key, value, headers: { 'event-id': d.event.eventId } });
        messages.push({ topic: config.seenTopic, key: d.event.eventId, value: sourceRef(d.source) });
      } else if (d.kind === 'dead-letter') {
        messages.push(await deadLetter(d.source, d.reasons));
      }
      final.push(d);
    }
    return { messages, final };
  };

  const handleBatch = async (batch: Batch): Promise<BatchOutcome> => {
    const { messages, final: decisions } = await toMessages(decideBatch(batch.messages, seen.ids, decideOptions));
    return {
      messages,
      afterCommit: () => {
        seen.add(decisions.flatMap((d) => (d.kind === 'publish' ? [d.event.eventId] : [])));
        count(decisions);
        logBatch(batch, decisions);
      },
    };
  };

  const count = (decisions: Decision[]) => {
    counters.batches += 1;
    for (const d of decisions) {
      if (d.kind === 'publish') counters.published += 1;
      else if (d.kind === 'dead-letter') counters.deadLettered += 1;
      else counters.duplicates += 1;
    }
  };

  const logBatch = (batch: Batch, decisions: Decision[]) => {
    for (const d of decisions) {
      if (d.kind === 'dead-letter') {
        log.warn(
          { partition: batch.partition, offset: d.source.offset, rules: d.reasons.map((r) => `${r.field}:${r.rule}`) },
          'raw event refused',
        );
      } else if (d.kind === 'duplicate') {
        log.info({ partition: batch.partition, offset: d.source.offset, eventId: d.eventId }, 'repeated event id dropped');
      }
    }
    log.debug({ partition: batch.partition, records: batch.messages.length, lastOffset: batch.messages.at(-1)?.offset }, 'batch committed');
  };

  const pipeline = await startTransactionalPipeline({
    bus,
    groupId: config.groupId,
    topic: config.rawTopic,
    logger: log,
    handle: handleBatch,
  });
  log.info({ seen: seen.ids.size }, 'ingest running');

  return {
    counters,
    async stop() {
      await pipeline.stop();
      await seen.stop();
    },
  };
}
