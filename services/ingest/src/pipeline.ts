import type { ConfigOf } from '@register-feeds/service-kit';
import {
  type Batch,
  type Consumer,
  type Logger,
  loadAvroSchema,
  type MessageBus,
  type OutgoingMessage,
  type SchemaRegistryClient,
  type TransactionalProducer,
  topicSpec,
  topics,
  valueSubject,
} from '@register-feeds/service-kit';
import type { settings } from './config.ts';
import { type Decision, decideBatch, sourceRef } from './decide.ts';
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
 * batch. The transactional id is per input partition, so a new owner of a partition fences an old one
 * (kafkajs has no KIP-447 group fencing).
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
  const deadLetterSchemaId = await registry.register(
    valueSubject(config.deadLetterTopic),
    loadAvroSchema('dead-letter.avsc'),
    'BACKWARD_TRANSITIVE',
  );
  const seen = await loadSeenEventIds({ bus, admin, topic: config.seenTopic, logger: log });
  await admin.disconnect();

  const counters: IngestCounters = { published: 0, deadLettered: 0, duplicates: 0, batches: 0 };
  const producers = new Map<number, TransactionalProducer>();
  const producerFor = async (partition: number) => {
    let producer = producers.get(partition);
    if (!producer) {
      producer = await bus.transactionalProducer(`${config.groupId}-${config.rawTopic}-${partition}`);
      producers.set(partition, producer);
    }
    return producer;
  };

  const toMessages = async (decisions: Decision[]): Promise<OutgoingMessage[]> => {
    const out: OutgoingMessage[] = [];
    for (const d of decisions) {
      if (d.kind === 'publish') {
        out.push({
          topic: config.eventsTopic,
          key: d.key,
          value: await registry.encode(eventSchemaId, d.event),
          headers: { 'event-id': d.event.eventId },
        });
        out.push({ topic: config.seenTopic, key: d.event.eventId, value: sourceRef(d.source) });
      } else if (d.kind === 'dead-letter') {
        out.push({
          topic: config.deadLetterTopic,
          key: sourceRef(d.source),
          value: await registry.encode(deadLetterSchemaId, {
            service: 'ingest',
            sourceTopic: d.source.topic,
            sourcePartition: d.source.partition,
            sourceOffset: Number(d.source.offset),
            sourceTimestamp: Number(d.source.timestamp),
            originalKey: d.source.key,
            originalValue: d.source.value,
            reasons: d.reasons,
            refusedAt: Date.now(),
          }),
        });
      }
    }
    return out;
  };

  const handleBatch = async (batch: Batch) => {
    const decisions = decideBatch(batch.messages, seen.ids, { maxBytes: config.maxEventBytes });
    const messages = await toMessages(decisions);
    const last = batch.messages.at(-1);
    if (!last) return;
    const producer = await producerFor(batch.partition);
    const tx = await producer.transaction();
    try {
      await tx.send(messages);
      await tx.sendOffsets(config.groupId, [
        { topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() },
      ]);
      await tx.commit();
    } catch (error) {
      await tx.abort().catch(() => {});
      // a fenced or broken producer is replaced; kafkajs re-delivers the batch from the committed offset
      producers.delete(batch.partition);
      await producer.disconnect().catch(() => {});
      throw error;
    }
    const publishedIds = decisions.flatMap((d) => (d.kind === 'publish' ? [d.event.eventId] : []));
    seen.add(publishedIds);
    count(decisions);
    logBatch(batch, decisions);
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

  const consumer: Consumer = await bus.consumer({ groupId: config.groupId });
  await consumer.subscribe([config.rawTopic], { fromBeginning: true });
  await consumer.run({ autoCommit: false, eachBatch: (batch) => handleBatch(batch) });
  log.info({ seen: seen.ids.size }, 'ingest running');

  return {
    counters,
    async stop() {
      await consumer.disconnect();
      await seen.stop();
      await Promise.allSettled([...producers.values()].map((p) => p.disconnect()));
    },
  };
}
