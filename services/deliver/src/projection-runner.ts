import { amsterdamDayStart } from '@register-feeds/register-model';
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
  type TransactionalProducer,
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
  /**
   * Runs the housekeeping now, between batches, and writes its changes to the feed in one transaction of
   * its own; resolves with the number of feed changes written. What the timer calls; tests call it too.
   */
  tick(): Promise<number>;
  stop(): Promise<void>;
}

/** Changes a projection makes of its own, not from a record (the GGD sweep: students who turned 18 leave). */
export interface Housekeeping {
  changes: (state: unknown) => Change<unknown>[];
  /** how often it runs on its own timer, also when no record arrives */
  everyMs: number;
}

/** The timestamp every feed record carries: the start of the clock's day in Europe/Amsterdam (see amsterdamDayStart). */
export function feedTimestamp(epochMillis: number): string {
  return String(amsterdamDayStart(epochMillis));
}

/**
 * Batches and housekeeping take turns: one turn at a time, from reading the state to the end of its
 * transaction. A sweep between a batch's reading and its commit would otherwise be overwritten in the
 * feed by the older rows the batch had taken. `take` waits for the turn in hand and gives a release.
 */
function createTurns() {
  let last: Promise<void> = Promise.resolve();
  return async (): Promise<() => void> => {
    const previous = last;
    let release!: () => void;
    last = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    return release;
  };
}

/**
 * Keeps one recipient's projection: restores the state from its compacted feed (the feed IS the
 * projection), then folds the recipient topic into it. Each batch's feed upserts/tombstones and the
 * consumed offsets commit in one transaction, so the feed and the position never disagree; a restart
 * resumes where the last commit left off. If a transaction fails, the in-memory state may hold changes
 * the feed does not: the state is then restored from the feed again before anything else is done.
 * `housekeeping` adds changes of the projection's own (the GGD sweep): before every batch, in its
 * transaction, and on a timer of its own between batches (`tick`), so they happen when no record comes.
 * Every feed record is stamped with the start of the clock's day (feedTimestamp).
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
  housekeeping,
  clock = Date.now,
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
  housekeeping?: Housekeeping;
  /** today, for feed timestamps; tests move it */
  clock?: () => number;
}): Promise<RunningProjection> {
  const log = logger.child({ component: 'projection', recipient: projection.recipient, topic: inputTopic });
  await admin.ensureTopics([topicSpec(feed, replicationFactor)]);
  await waitForTopic(admin, inputTopic, log);
  const deadLetter = await createDeadLetterWriter({ registry, topic: deadLetterTopic, service: 'deliver' });

  let state = await restoreFromFeed();
  let uncommitted = false;
  let stopped = false;
  const takeTurn = createTurns();
  const feedRecords = (changes: Map<string, unknown>): OutgoingMessage[] => {
    const timestamp = feedTimestamp(clock());
    return [...changes].map(([key, row]) => ({ topic: feed.name, key, value: row === null ? null : JSON.stringify(row), timestamp }));
  };
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

  // the batch's turn, from handle() to its commit (afterCommit) or failure (the wrapped transaction's abort)
  let releaseBatch: (() => void) | undefined;
  const endBatchTurn = () => {
    releaseBatch?.();
    releaseBatch = undefined;
  };

  const handle = async (batch: Batch): Promise<BatchOutcome> => {
    releaseBatch = await takeTurn();
    try {
      if (uncommitted) {
        log.warn('the last transaction did not commit: restoring the projection from its feed before reading on');
        state = await restoreFromFeed();
      }
      uncommitted = true;
      const changes = new Map<string, unknown>(); // the last change per key in this batch is what the feed needs
      const messages: OutgoingMessage[] = [];
      for (const change of housekeeping?.changes(state) ?? []) changes.set(change.key, change.row);
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
      messages.push(...feedRecords(changes));
      return {
        messages,
        afterCommit: () => {
          uncommitted = false;
          metrics.records += batch.messages.length;
          metrics.feedChanges += changes.size;
          metrics.deadLettered += deadLettered;
          if (deadLettered > 0) log.warn({ partition: batch.partition, deadLettered }, 'unreadable recipient records dead-lettered');
          endBatchTurn();
        },
      };
    } catch (error) {
      endBatchTurn();
      throw error;
    }
  };

  // The pipeline owns the batch's transaction; the turn ends when it fails too, seen here as its abort
  // (or as a producer or transaction that could not be made).
  const turnAwareBus: MessageBus = {
    producer: (options) => bus.producer(options),
    consumer: (options) => bus.consumer(options),
    admin: () => bus.admin(),
    transactionalProducer: async (id) => {
      const producer = await bus.transactionalProducer(id).catch((error: unknown) => {
        endBatchTurn();
        throw error;
      });
      return {
        disconnect: () => producer.disconnect(),
        transaction: async () => {
          const tx = await producer.transaction().catch((error: unknown) => {
            endBatchTurn();
            throw error;
          });
          return {
            send: (messages) => tx.send(messages),
            sendOffsets: (groupId, offsets) => tx.sendOffsets(groupId, offsets),
            commit: () => tx.commit(),
            abort: () => tx.abort().finally(endBatchTurn),
          };
        },
      };
    },
  };

  // Housekeeping between batches writes with a transactional producer of its own (its id names the feed).
  let idleProducer: TransactionalProducer | undefined;
  const tick = async (): Promise<number> => {
    if (!housekeeping) return 0;
    const release = await takeTurn();
    try {
      if (stopped) return 0;
      if (uncommitted) {
        log.warn('the last transaction did not commit: restoring the projection from its feed before housekeeping');
        state = await restoreFromFeed();
        uncommitted = false;
      }
      const changes = new Map<string, unknown>();
      uncommitted = true; // from here the state may be ahead of the feed until the commit
      for (const change of housekeeping.changes(state)) changes.set(change.key, change.row);
      if (changes.size === 0) {
        uncommitted = false;
        return 0;
      }
      idleProducer ??= await bus.transactionalProducer(`${groupId}-${feed.name}-housekeeping`);
      const tx = await idleProducer.transaction();
      try {
        await tx.send(feedRecords(changes));
        await tx.commit();
      } catch (error) {
        await tx.abort().catch(() => {});
        const broken = idleProducer;
        idleProducer = undefined;
        await broken.disconnect().catch(() => {});
        throw error;
      }
      uncommitted = false;
      metrics.feedChanges += changes.size;
      log.info({ feedChanges: changes.size }, 'housekeeping written to the feed');
      return changes.size;
    } finally {
      release();
    }
  };

  const pipeline = await startTransactionalPipeline({
    bus: turnAwareBus,
    groupId,
    topic: inputTopic,
    logger: log,
    handle,
    onProgress: ({ partition, lag }) => metrics.lag.set(partition, lag),
  });
  const timer = housekeeping
    ? setInterval(() => {
        tick().catch((error: unknown) => log.warn({ err: error }, 'housekeeping failed; it runs again on the next tick'));
      }, housekeeping.everyMs)
    : undefined;
  timer?.unref();
  log.info({ rows: projection.size(state) }, 'projection running');
  return {
    recipient: projection.recipient,
    projection,
    state: () => state,
    metrics,
    tick,
    async stop() {
      stopped = true; // a tick that has not had its turn yet does nothing
      clearInterval(timer);
      await pipeline.stop();
      const release = await takeTurn(); // a tick in hand finishes first
      release();
      await idleProducer?.disconnect().catch(() => {});
    },
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
