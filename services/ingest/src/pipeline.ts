import {
  type ConfigOf,
  type ConsumedMessage,
  commitPolicyFrom,
  createDeadLetterWriter,
  type Decided,
  type Edge,
  type EdgeMetrics,
  type Logger,
  loadAvroSchema,
  type MessageBus,
  type SchemaRegistryClient,
  startEdge,
  topicSpec,
  topics,
  valueSubject,
} from '@register-feeds/service-kit';
import avro from 'avsc';
import type { settings } from './config.ts';
import { type Decision, decideBatch, sourceRef } from './decide.ts';
import { createPartitionKey } from './partition-key.ts';
import { PendingEventIds } from './pending-event-ids.ts';
import { dedupWindow, loadSeenEventIds, seenTopicEntry } from './seen-event-ids.ts';

export type IngestConfig = ConfigOf<typeof settings>;

export interface IngestCounters {
  readonly published: number;
  readonly deadLettered: number;
  readonly duplicates: number;
  readonly batches: number;
}

export interface IngestPipeline {
  /** read from the edge's metrics: committed batches only */
  readonly counters: IngestCounters;
  readonly metrics: EdgeMetrics;
  /** false once a partition halted (a bug) or the consumer gave up */
  healthy(): boolean;
  /** /ready: healthy, in its group and holding input partitions (the edge's ready()) */
  ready(): boolean;
  /** stops fetching, lets the batch in hand finish (its transaction commits or aborts), disconnects */
  stop(): Promise<void>;
}

type Publish = Extract<Decision, { kind: 'publish' }>;

/**
 * Ingest's decision over a batch, pure: decideBatch (validate, dedupe, normalise, key), then every event
 * checked against the canonical schema. An event that passed validation but does not fit the schema is
 * the raw record's fault (outside input our rules let through), so it is refused with the paths, not a
 * bug that halts the partition: bad input never stops ingest.
 */
export function decideIngest(
  messages: ConsumedMessage[],
  seen: Parameters<typeof decideBatch>[1],
  options: Parameters<typeof decideBatch>[2] & { canonical: avro.Type },
): Decided<Publish> {
  const decided: Required<Decided<Publish>> = { outputs: [], refused: [], tally: { duplicates: 0 } };
  for (const d of decideBatch(messages, seen, options)) {
    if (d.kind === 'duplicate') decided.tally.duplicates = (decided.tally.duplicates ?? 0) + 1;
    else if (d.kind === 'dead-letter') decided.refused.push({ source: asMessage(d.source), reasons: d.reasons });
    else {
      const paths: string[] = [];
      options.canonical.isValid(d.event, { errorHook: (path) => paths.push(path.join('.')) });
      if (paths.length === 0) decided.outputs.push(d);
      else
        decided.refused.push({
          source: asMessage(d.source),
          reasons: [
            { field: paths.join(','), rule: 'canonical-schema', message: 'the normalised event does not fit the canonical Avro schema' },
          ],
        });
    }
  }
  return decided;
}

const asMessage = (source: Decision['source']): ConsumedMessage => ({ ...source, headers: {} });

/**
 * Ingest's wiring over the one edge (startEdge): raw records in, canonical events, seen ids and dead
 * letters out, in one transaction per batch. The raw JSON is not decoded apart: parsing and validating
 * are part of the pure decision, whose refusals carry every reason.
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
  const window = dedupWindow(config);
  const admin = await bus.admin();
  await admin.ensureTopics([
    topicSpec({ ...topics.raw, name: config.rawTopic }, config.replicationFactor),
    topicSpec({ ...topics.events, name: config.eventsTopic }, config.replicationFactor),
    topicSpec({ ...topics.rawDeadLetter, name: config.deadLetterTopic }, config.replicationFactor),
    topicSpec(seenTopicEntry(config.seenTopic, window), config.replicationFactor),
  ]);
  const eventSchema = loadAvroSchema('register-event.avsc');
  // BACKWARD_TRANSITIVE: consumers upgrade first and read every older version (see README, schemas)
  const eventSchemaId = await registry.register(valueSubject(config.eventsTopic), eventSchema, 'BACKWARD_TRANSITIVE');
  const deadLetter = await createDeadLetterWriter({ registry, topic: config.deadLetterTopic, service: 'ingest' });
  const seen = await loadSeenEventIds({ bus, admin, topic: config.seenTopic, window, logger: log });
  await admin.disconnect();

  const options = {
    maxBytes: config.maxEventBytes,
    partitionKey: createPartitionKey(config.partitionKey),
    canonical: avro.Type.forSchema(eventSchema as avro.Schema),
  };
  let edge: Edge;
  try {
    const pending = new PendingEventIds();
    const eventIds = (decided: Decided<Publish>) => decided.outputs.map((d) => d.event.eventId);
    edge = await startEdge<ConsumedMessage, Publish>({
      bus,
      groupId: config.groupId,
      topic: config.rawTopic,
      logger: log,
      deadLetter,
      decode: (message) => message,
      decide: (records) =>
        decideIngest(
          records.map((r) => r.value),
          pending.orSeen(seen.ids),
          options,
        ),
      encode: async (d) => [
        {
          topic: config.eventsTopic,
          key: d.key,
          value: await registry.encode(eventSchemaId, d.event),
          headers: { 'event-id': d.event.eventId },
        },
        { topic: config.seenTopic, key: d.event.eventId, value: sourceRef(d.source) },
      ],
      commit: commitPolicyFrom(config),
      partitionsConcurrently: config.edgePartitionsConcurrently,
      // the ids are known as published once their transaction committed, not before; until then (a
      // transaction spanning batches) they are pending, and a repeat in a later batch is a duplicate too
      hooks: {
        decided: (batch, decided) => pending.hold(batch, eventIds(decided)),
        afterCommit: (batch, decided) => {
          seen.add(eventIds(decided));
          pending.release(batch);
        },
        afterAbort: (batch) => pending.release(batch),
      },
    });
  } catch (error) {
    await seen.stop();
    throw error;
  }
  log.info({ seen: seen.ids.size }, 'ingest running');

  const { metrics } = edge;
  return {
    metrics,
    counters: {
      get published() {
        return metrics.produced[config.eventsTopic] ?? 0;
      },
      get deadLettered() {
        return metrics.deadLettered;
      },
      get duplicates() {
        return metrics.tally.duplicates ?? 0;
      },
      get batches() {
        return metrics.batches;
      },
    },
    healthy: () => edge.healthy(),
    ready: () => edge.ready(),
    async stop() {
      await edge.stop();
      await seen.stop();
    },
  };
}
