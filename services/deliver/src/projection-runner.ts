import {
  type Admin,
  type Batch,
  type BatchOutcome,
  createDeadLetterWriter,
  followTopic,
  type Logger,
  type MessageBus,
  type OutgoingMessage,
  type SchemaRegistryClient,
  startTransactionalPipeline,
  type TopicEntry,
  topicSpec,
  waitForTopic,
} from '@register-feeds/service-kit';
import type { Change, Projection } from './projections/index.ts';

export interface ProjectionMetrics {
  records: number;
  feedChanges: number;
  deadLettered: number;
  /** records behind the end of the input, per partition, from the last fetch */
  lag: Map<number, number>;
}

export interface RunningProjection {
  readonly recipient: string;
  readonly projection: Projection<unknown>;
  /** the live state: read by the API, changed only by this runner */
  state(): unknown;
  readonly metrics: ProjectionMetrics;
  stop(): Promise<void>;
}

/**
 * Keeps one recipient's projection: restores the state from its compacted feed (the feed IS the
 * projection), then folds the recipient topic into it. Each batch's feed upserts/tombstones and the
 * consumed offsets commit in one transaction, so the feed and the position never disagree; a restart
 * resumes where the last commit left off. If a transaction fails, the in-memory state may hold changes
 * the feed does not: the state is then restored from the feed again before the batch is read again.
 * `beforeBatch` lets a projection add changes of its own in the same transaction (the GGD sweep).
 */
export async function startProjection({
  bus,
  admin,
  registry,
  projection,
  inputTopic,
  feed,
  groupId,
  deadLetterTopic,
  replicationFactor,
  logger,
  beforeBatch,
}: {
  bus: MessageBus;
  admin: Admin;
  registry: SchemaRegistryClient;
  projection: Projection<unknown>;
  inputTopic: string;
  feed: TopicEntry;
  groupId: string;
  deadLetterTopic: string;
  replicationFactor: number;
  logger: Logger;
  beforeBatch?: (state: unknown) => Change<unknown>[];
}): Promise<RunningProjection> {
  const log = logger.child({ component: 'projection', recipient: projection.recipient, topic: inputTopic });
  await admin.ensureTopics([topicSpec(feed, replicationFactor)]);
  await waitForTopic(admin, inputTopic, log);
  const deadLetter = await createDeadLetterWriter({ registry, topic: deadLetterTopic, service: 'deliver' });

  let state = await restoreFromFeed();
  let uncommitted = false;
  const metrics: ProjectionMetrics = { records: 0, feedChanges: 0, deadLettered: 0, lag: new Map() };

  async function restoreFromFeed(): Promise<unknown> {
    const started = Date.now();
    const { state: restored, rows } = await restoreProjection({
      bus,
      admin,
      projection,
      feedTopic: feed.name,
      groupPrefix: `${groupId}-restore`,
    });
    log.info({ rows, ms: Date.now() - started }, 'projection restored from its feed');
    return restored;
  }

  const handle = async (batch: Batch): Promise<BatchOutcome> => {
    if (uncommitted) {
      log.warn('the last batch did not commit: restoring the projection from its feed before reading it again');
      state = await restoreFromFeed();
    }
    uncommitted = true;
    const changes = new Map<string, unknown>(); // the last change per key in this batch is what the feed needs
    const messages: OutgoingMessage[] = [];
    for (const change of beforeBatch?.(state) ?? []) changes.set(change.key, change.row);
    let deadLettered = 0;
    for (const m of batch.messages) {
      let record: unknown;
      try {
        record = await registry.decode(m.value as Buffer);
        for (const change of projection.apply(state, record)) changes.set(change.key, change.row);
      } catch (error) {
        deadLettered += 1;
        messages.push(
          await deadLetter(m, [{ field: '', rule: 'projection', message: `cannot read or apply the record: ${(error as Error).name}` }]),
        );
      }
    }
    for (const [key, row] of changes) messages.push({ topic: feed.name, key, value: row === null ? null : JSON.stringify(row) });
    return {
      messages,
      afterCommit: () => {
        uncommitted = false;
        metrics.records += batch.messages.length;
        metrics.feedChanges += changes.size;
        metrics.deadLettered += deadLettered;
        if (deadLettered > 0) log.warn({ partition: batch.partition, deadLettered }, 'unreadable recipient records dead-lettered');
      },
    };
  };

  const pipeline = await startTransactionalPipeline({
    bus,
    groupId,
    topic: inputTopic,
    logger: log,
    handle,
    onProgress: ({ partition, lag }) => metrics.lag.set(partition, lag),
  });
  log.info({ rows: projection.size(state) }, 'projection running');
  return {
    recipient: projection.recipient,
    projection,
    state: () => state,
    metrics,
    stop: () => pipeline.stop(),
  };
}

/** A projection's state read back from its compacted feed: the last value per key, tombstones dropped. */
export async function restoreProjection({
  bus,
  admin,
  projection,
  feedTopic,
  groupPrefix,
}: {
  bus: MessageBus;
  admin: Admin;
  projection: Projection<unknown>;
  feedTopic: string;
  groupPrefix: string;
}): Promise<{ state: unknown; rows: number }> {
  const latest = new Map<string, unknown>();
  const followed = await followTopic({
    bus,
    admin,
    topic: feedTopic,
    groupPrefix,
    onMessages: (messages) => {
      for (const m of messages) {
        const key = m.key?.toString();
        if (key === undefined) continue;
        if (m.value === null) latest.delete(key);
        else latest.set(key, JSON.parse(m.value.toString()));
      }
    },
  });
  await followed.caughtUp;
  await followed.stop();
  const state = projection.emptyState();
  for (const [key, row] of latest) projection.load(state, key, row);
  return { state, rows: latest.size };
}
