import { amsterdamDayStart } from '@register-feeds/register-model';
import {
  type Admin,
  type AvroSchemaJson,
  type Batch,
  type BatchContext,
  type BatchOutcome,
  type ConsumedMessage,
  type Consumer,
  classifyError,
  createDeadLetterWriter,
  followTopic,
  type Logger,
  type MessageBus,
  type OutgoingMessage,
  poisonReason,
  retryWhileRetriable,
  type SchemaRegistryClient,
  startTransactionalPipeline,
  type TopicEntry,
  type TransactionalPipeline,
  type TransactionalProducer,
  topicSpec,
  waitForTopic,
} from '@register-feeds/service-kit';
import { type FeedRecord, startFeedReplica } from './feed-replica.ts';
import type { Change, Projection, Writers } from './projections/index.ts';
import { startWriterLease, type WriterLease } from './writer-lease.ts';

export interface ProjectionMetrics {
  records: number;
  feedChanges: number;
  deadLettered: number;
  /** records behind the end of the input, per partition, from the last fetch */
  lag: Map<number, number>;
  /**
   * partitions stopped at a valid record the projection throws on (a bug), with that record's offset;
   * always there in a running projection's metrics
   */
  halted?: Map<number, string>;
}

export interface RunningProjection {
  readonly recipient: string;
  readonly projection: Projection<unknown>;
  /**
   * the committed state, what the feed holds: read by the API. The feed's replica (feed-replica.ts): rows
   * any instance committed, as the follower reads them, and this instance's own as soon as they commit.
   */
  state(): unknown;
  readonly metrics: ProjectionMetrics;
  /** whether this instance folds the recipient topic now (a `single` projection: only the lease holder) */
  writing(): boolean;
  /**
   * false while something it needs has stopped: the feed follower, the writer lease, the input consumer
   * (failed, or stopped while this instance should fold), or a partition halted at a record it throws on
   */
  ready(): boolean;
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

/** A single-writer projection held a batch until its consumer had every partition, and the consumer stopped or lost one first. */
export class NotSoleWriterError extends Error {
  readonly retriable = true;
  constructor(partition: number) {
    super(`partition ${partition} not folded: this instance does not hold every partition of a single-writer projection`);
    this.name = 'NotSoleWriterError';
  }
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

/** A projection threw on a valid record: a bug. Its partition stopped there; thrown when the consumer stops. */
export class ProjectionHaltedError extends Error {
  readonly errorClass = 'bug';
  readonly retriable = false;
  constructor(partition: number, offset: string, options: { cause: unknown }) {
    super(`the projection stopped at partition ${partition} offset ${offset}: it throws on a valid record`, options);
    this.name = 'ProjectionHaltedError';
  }
}

/**
 * Keeps one recipient's projection: restores the state from its compacted feed (the feed IS the
 * projection), then folds the recipient topic into it. Each batch's feed upserts/tombstones and the
 * consumed offsets commit in one transaction, so the feed and the position never disagree; a restart
 * resumes where the last commit left off.
 *
 * Two states, so that nothing uncommitted is ever visible: batches (and housekeeping) fold into a working
 * state, and the state the API reads (`state()`) is the feed's read replica (feed-replica.ts), read
 * read_committed, which takes this instance's feed records once their transaction committed. The working
 * state is made anew from the replica, synced to the feed's end, before the first batch, after a
 * transaction that did not commit (the working state may hold changes the feed does not, or miss a batch
 * whose commit succeeded but was reported as failed), and whenever the input consumer's assignment
 * changed (a rebalance: rows of a partition this instance just got were written by another instance).
 *
 * Scale-out (`writers`, from the projection's kind): `shared` projections fold whatever partitions the
 * group gives this instance; every row comes from one input partition, so instances never write the same
 * row. A `single` projection is folded by one instance at a time, the holder of a writer lease
 * (writer-lease.ts, group <groupId>-writer on `leaseTopic`); it folds a batch only while its consumer
 * holds every input partition, so during a hand-over the new writer waits until the old one has left.
 * Every instance, writer or not, serves the whole projection from its replica.
 *
 * What a record can do to it, by classifyError: a registry outage is waited out (retried with backoff
 * and heartbeats, never dead-lettered); a record that can never be read goes to `deadLetterTopic` with its
 * reasons and the projection reads on; a projection that throws on a valid record stops that partition
 * (halt, below). `readerSchema`, when given, is the schema records are decoded to, whatever the writer's.
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
  readerSchema,
  writers = 'shared',
  leaseTopic,
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
  /** the schema records are decoded to; without it, each record's writer schema */
  readerSchema?: AvroSchemaJson;
  /** how instances share the work (kinds.ts); `single` needs `leaseTopic` */
  writers?: Writers;
  /** one-partition topic of the writer lease of a `single` projection (created here) */
  leaseTopic?: string;
  /** today, for feed timestamps; tests move it */
  clock?: () => number;
}): Promise<RunningProjection> {
  const log = logger.child({ component: 'projection', recipient: projection.recipient, topic: inputTopic });
  if (writers === 'single' && leaseTopic === undefined)
    throw new Error(`${projection.recipient}: a single-writer projection needs a lease topic`);
  if (writers === 'shared' && housekeeping)
    throw new Error(`${projection.recipient}: housekeeping touches every row: only a single-writer projection may have it`);
  await admin.ensureTopics([topicSpec(feed, replicationFactor)]);
  await waitForTopic(admin, inputTopic, log);
  const inputPartitions = (await admin.topicOffsets(inputTopic)).length;
  const deadLetter = await createDeadLetterWriter({ registry, topic: deadLetterTopic, service: 'deliver' });

  const started = Date.now();
  const replica = await startFeedReplica({ bus, projection, feedTopic: feed.name, groupPrefix: `${groupId}-replica` });
  log.info({ rows: projection.size(replica.state()), ms: Date.now() - started }, 'feed replica caught up');
  /** where the batch in hand is folded; undefined: to be made anew from the replica before the next fold */
  let working: unknown;
  let uncommitted = false;
  let stopped = false;
  const takeTurn = createTurns();
  const feedRecords = (changes: Map<string, unknown>): OutgoingMessage[] => {
    const timestamp = feedTimestamp(clock());
    return [...changes].map(([key, row]) => ({ topic: feed.name, key, value: row === null ? null : JSON.stringify(row), timestamp }));
  };
  const halted = new Map<number, string>();
  const metrics: ProjectionMetrics = { records: 0, feedChanges: 0, deadLettered: 0, lag: new Map(), halted };

  /** The working state, made anew from the replica once it has read every commit so far (own rows each). */
  async function workingState(why: string): Promise<unknown> {
    if (working !== undefined && !uncommitted) return working;
    const begun = Date.now();
    if (uncommitted) log.warn(`the last transaction did not commit: restoring the projection from its feed before ${why}`);
    await replica.syncToEnd();
    working = replica.snapshot();
    uncommitted = false;
    log.info({ rows: projection.size(working), ms: Date.now() - begun }, 'working state restored from the feed');
    return working;
  }

  /** After a commit: the replica takes the feed records just committed, before the follower reads them back. */
  function publish(records: OutgoingMessage[]): void {
    replica.publish(records.map((r): FeedRecord => ({ key: String(r.key), value: r.value === null ? null : String(r.value) })));
  }

  // The input consumer, to see its assignment: each join of the group gives a new assignment (a new
  // array, also when it names the same partitions, which another instance may have held in between).
  let inputConsumer: Consumer | undefined;
  let seenAssignment: unknown;
  const assignmentChanged = (): boolean => {
    const now = inputConsumer?.assignment();
    if (now === seenAssignment) return false;
    seenAssignment = now;
    return true;
  };
  const holdsEveryPartition = () => (inputConsumer?.assignment() ?? []).filter((p) => p.topic === inputTopic).length >= inputPartitions;

  /**
   * A single-writer projection folds only with every input partition: until then (a new writer while the
   * old one is still in the group) the batch waits, heartbeating; a rebalance ends the wait through the
   * heartbeat (kafkajs joins again), a stop through isRunning.
   */
  async function holdUntilSoleMember(batch: Batch, context: BatchContext): Promise<void> {
    let told = false;
    while (!holdsEveryPartition()) {
      if (!told) log.info({ partition: batch.partition }, 'waiting for every input partition before folding (single writer)');
      told = true;
      if (!context.isRunning()) throw new NotSoleWriterError(batch.partition);
      await new Promise((r) => setTimeout(r, 200));
      await context.heartbeat();
    }
  }

  // the batch's turn, from handle() to its commit (afterCommit) or failure (the wrapped transaction's abort)
  let releaseBatch: (() => void) | undefined;
  const endBatchTurn = () => {
    releaseBatch?.();
    releaseBatch = undefined;
  };

  /**
   * A bug: the projection throws on a record that decoded with its schema, or the reader schema cannot read
   * what the registry accepted. The record is valid data, so it is NOT dead-lettered: a dead letter would
   * drop a change from the recipient's feed for good, and every later record of the same rows would be
   * folded on top of the gap, silently. Nor is the batch thrown back to the consumer, which would retry it,
   * restore from the feed every time, crash and restart the consumer and in the end give the whole
   * service up. The partition stops at the record instead, loudly: an error log, `metrics.halted`, a lag
   * that grows. The batch is held (heartbeats keep the member in its group) until the consumer stops or
   * loses the partition; nothing of it is committed, so the fixed service applies it from there. The
   * working state holds part of the batch: the turn is handed on, and whoever goes next restores it.
   * (kafkajs hands this consumer one batch at a time, so the recipient's other partitions wait too.)
   */
  async function halt(batch: Batch, m: ConsumedMessage, error: unknown, context: BatchContext): Promise<never> {
    if (halted.get(batch.partition) !== m.offset) {
      halted.set(batch.partition, m.offset);
      log.error(
        { err: error, partition: batch.partition, offset: m.offset },
        'projection stopped at a valid record it cannot apply: a bug, not dead-lettered; fix and restart deliver',
      );
    }
    endBatchTurn();
    while (context.isRunning()) {
      await new Promise((r) => setTimeout(r, 1_000));
      await context.heartbeat();
    }
    throw new ProjectionHaltedError(batch.partition, m.offset, { cause: error });
  }

  const handle = async (batch: Batch, context: BatchContext): Promise<BatchOutcome> => {
    if (writers === 'single') await holdUntilSoleMember(batch, context);
    releaseBatch = await takeTurn();
    try {
      if (assignmentChanged()) working = undefined;
      const state = await workingState('reading on');
      uncommitted = true;
      const changes = new Map<string, unknown>(); // the last change per key in this batch is what the feed needs
      const messages: OutgoingMessage[] = [];
      for (const change of housekeeping?.changes(state) ?? []) changes.set(change.key, change.row);
      let deadLettered = 0;
      for (const m of batch.messages) {
        let record: unknown;
        try {
          // a registry outage is waited out here (retryWhileRetriable), never dead-lettered
          record = await retryWhileRetriable(() => registry.decode(m.value as Buffer, readerSchema), {
            isRunning: context.isRunning,
            heartbeat: context.heartbeat,
            onRetry: ({ attempt, delayMs, error }) =>
              log.warn(
                { partition: batch.partition, offset: m.offset, attempt, delayMs, err: error },
                'schema registry unavailable, retrying',
              ),
          });
        } catch (error) {
          const kind = classifyError(error);
          if (kind === 'bug') return await halt(batch, m, error, context);
          if (kind === 'retriable') throw error; // the consumer stops mid-outage: the batch is read again later
          deadLettered += 1;
          messages.push(await deadLetter(m, [poisonReason(error, 'projection')]));
          continue;
        }
        let applied: ReturnType<typeof projection.apply>;
        try {
          applied = projection.apply(state, record);
        } catch (error) {
          return await halt(batch, m, error, context);
        }
        for (const change of applied) changes.set(change.key, change.row);
      }
      const feedMessages = feedRecords(changes);
      messages.push(...feedMessages);
      return {
        messages,
        afterCommit: () => {
          publish(feedMessages);
          uncommitted = false;
          halted.delete(batch.partition);
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
    consumer: async (options) => {
      inputConsumer = await bus.consumer(options);
      seenAssignment = undefined;
      return inputConsumer;
    },
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
      if (stopped || pipeline === undefined) return 0; // only the writer keeps house
      const state = await workingState('housekeeping');
      const changes = new Map<string, unknown>();
      uncommitted = true; // from here the working state may be ahead of the feed until the commit
      for (const change of housekeeping.changes(state)) changes.set(change.key, change.row);
      if (changes.size === 0) {
        uncommitted = false;
        return 0;
      }
      idleProducer ??= await bus.transactionalProducer(`${groupId}-${feed.name}-housekeeping`);
      const tx = await idleProducer.transaction();
      const feedMessages = feedRecords(changes);
      try {
        await tx.send(feedMessages);
        await tx.commit();
      } catch (error) {
        await tx.abort().catch(() => {});
        const broken = idleProducer;
        idleProducer = undefined;
        await broken.disconnect().catch(() => {});
        throw error;
      }
      publish(feedMessages);
      uncommitted = false;
      metrics.feedChanges += changes.size;
      log.info({ feedChanges: changes.size }, 'housekeeping written to the feed');
      return changes.size;
    } finally {
      release();
    }
  };

  let pipeline: TransactionalPipeline | undefined;
  const startFolding = async () => {
    pipeline = await startTransactionalPipeline({
      bus: turnAwareBus,
      groupId,
      topic: inputTopic,
      logger: log,
      handle,
      onProgress: ({ partition, lag }) => metrics.lag.set(partition, lag),
    });
  };
  const stopFolding = async () => {
    const stopping = pipeline;
    pipeline = undefined;
    await stopping?.stop();
    const release = await takeTurn(); // a tick in hand finishes first
    working = undefined; // the next writer, maybe this one again, starts from the feed
    inputConsumer = undefined;
    metrics.lag.clear(); // another instance's lag now
    release();
    await idleProducer?.disconnect().catch(() => {});
    idleProducer = undefined;
  };
  let lease: WriterLease | undefined;
  if (writers === 'single') {
    await admin.ensureTopics([topicSpec(leaseTopicEntry(leaseTopic!), replicationFactor)]);
    lease = await startWriterLease({
      bus,
      topic: leaseTopic!,
      groupId: `${groupId}-writer`,
      logger: log,
      onChange: (held) => (held && !stopped ? startFolding() : stopFolding()),
    });
  } else {
    await startFolding();
  }
  const timer = housekeeping
    ? setInterval(() => {
        tick().catch((error: unknown) => log.warn({ err: error }, 'housekeeping failed; it runs again on the next tick'));
      }, housekeeping.everyMs)
    : undefined;
  timer?.unref();
  log.info({ rows: projection.size(replica.state()), writing: pipeline !== undefined }, 'projection running');
  return {
    recipient: projection.recipient,
    projection,
    state: () => replica.state(),
    metrics,
    writing: () => pipeline !== undefined,
    ready: () => replica.healthy() && (lease?.healthy() ?? true) && (pipeline?.healthy() ?? writers === 'single') && halted.size === 0,
    tick,
    async stop() {
      stopped = true; // a tick that has not had its turn yet does nothing
      clearInterval(timer);
      if (lease) await lease.stop();
      else await stopFolding();
      await replica.stop();
    },
  };
}

/** The lease topic: one partition, so one member of each writer group holds it; nothing is written to it. */
export function leaseTopicEntry(name: string): TopicEntry {
  return {
    name,
    class: 'internal',
    key: 'none (nothing is written)',
    value: 'none (nothing is written)',
    partitions: 1,
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(24 * 60 * 60 * 1000) },
    description: 'writer lease of deliver single-writer projections: the member of <group>-writer assigned its partition folds',
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
  const latest = await readFeed({ bus, admin, feedTopic, groupPrefix });
  return { state: loadState(projection, latest), rows: latest.size };
}

/** The last value of every key of a compacted feed, as JSON text; tombstones dropped. */
async function readFeed({
  bus,
  admin,
  feedTopic,
  groupPrefix,
}: {
  bus: MessageBus;
  admin: Admin;
  feedTopic: string;
  groupPrefix: string;
}): Promise<Map<string, string>> {
  const latest = new Map<string, string>();
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
        else latest.set(key, m.value.toString());
      }
    },
  });
  await followed.caughtUp;
  await followed.stop();
  return latest;
}

/** A state of rows parsed anew, so that no two states share a row object. */
function loadState(projection: Projection<unknown>, rows: Map<string, string>): unknown {
  const state = projection.emptyState();
  for (const [key, row] of rows) projection.load(state, key, JSON.parse(row));
  return state;
}
