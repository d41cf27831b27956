import { amsterdamDayStart } from '@register-feeds/register-model';
import {
  type Admin,
  type AvroSchemaJson,
  type Batch,
  type BatchContext,
  createDeadLetterWriter,
  type Decided,
  type Edge,
  type EdgeRecord,
  type Logger,
  type MessageBus,
  type OutgoingMessage,
  type SchemaRegistryClient,
  startEdge,
  type TopicEntry,
  type TransactionalProducer,
  topicSpec,
  waitForTopic,
} from '@register-feeds/service-kit';
import { type FeedRecord, startFeedReplica } from './feed-replica.ts';
import { encodeFeedValue } from './feed-value.ts';
import type { Change, Projection, Writers } from './projections/index.ts';
import { furthest, RebuildRefusedError, type RebuildReport, rebuildProjection } from './rebuild.ts';
import { createTurns } from './turns.ts';
import { leaseTopicEntry, startWriterLease, type WriterLease } from './writer-lease.ts';

/**
 * What a projection has done, read from its edge's metrics (EdgeMetrics, committed batches only), summed
 * over every time this instance folded it (a single-writer projection folds again after each lease it
 * takes), plus what housekeeping wrote.
 */
export interface ProjectionMetrics {
  readonly records: number;
  /** upserts and tombstones written to the feed: the edge's produced count of the feed, and housekeeping's */
  readonly feedChanges: number;
  readonly deadLettered: number;
  /** records behind the end of the input, per partition, from the last fetch (empty while not folding) */
  readonly lag: ReadonlyMap<number, number>;
  /** partitions stopped at a valid record the projection throws on (a bug), with the offset their batch starts at */
  readonly halted: ReadonlyMap<number, string>;
}

export interface RunningProjection {
  readonly recipient: string;
  readonly projection: Projection<unknown>;
  /**
   * the committed state, what the feed holds: read by the API. The feed's replica (feed-replica.ts): rows
   * any instance committed, as the follower reads them, and this instance's own as soon as they commit.
   */
  state(): unknown;
  /** changes whenever state() may have (the replica's): the API keeps its sorted rows while it stays */
  version?(): number;
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
  /**
   * Rebuilds the projection from its recipient topic beside the live fold and switches to it (rebuild.ts);
   * resolves with what it did. Throws RebuildRefusedError at once (not a rejection) while one runs, or when
   * this instance is not the sole writer of the feed.
   */
  rebuild(): Promise<RebuildReport>;
  /** the last rebuild started by this instance: under way, done (with its report) or failed (why) */
  rebuildStatus(): RebuildStatus | undefined;
  stop(): Promise<void>;
}

export type RebuildStatus =
  | { state: 'running'; startedAt: string }
  | { state: 'done'; startedAt: string; report: RebuildReport }
  | { state: 'failed'; startedAt: string; error: string };

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

/**
 * The projection threw on a valid record: a bug (the edge halts the partition). It names the record's
 * coordinates, which the edge's halt (at the batch's first offset) does not; never the record.
 */
export class ProjectionApplyError extends Error {
  readonly errorClass = 'bug';
  readonly retriable = false;
  constructor(partition: number, offset: string, options: { cause: unknown }) {
    super(`the projection throws on the record at partition ${partition} offset ${offset}`, options);
    this.name = 'ProjectionApplyError';
  }
}

/** The timestamp every feed record carries: the start of the clock's day in Europe/Amsterdam (see amsterdamDayStart). */
export function feedTimestamp(epochMillis: number): string {
  return String(amsterdamDayStart(epochMillis));
}

/** One feed change: the row's key and the row, or null for a tombstone. */
type FeedChange = [key: string, row: unknown];

/**
 * Keeps one recipient's projection: restores the state from its compacted feed (the feed IS the
 * projection), then folds the recipient topic into it on the shared edge (startEdge): each batch's feed
 * upserts/tombstones and the consumed offsets commit in one transaction, so the feed and the position
 * never disagree; a restart resumes where the last commit left off. The edge's one error policy applies:
 * a registry outage is waited out (never dead-lettered); a record that can never be read goes to
 * `deadLetterTopic` with its reasons and the projection reads on; a projection that throws on a valid
 * record halts that partition (nothing of its batch committed, metrics.halted, ready() false) and the
 * others go on. Its counters and lag are the edge's.
 *
 * Two states, so that nothing uncommitted is ever visible: batches (and housekeeping) fold into a working
 * state, and the state the API reads (`state()`) is the feed's read replica (feed-replica.ts), read
 * read_committed, which takes this instance's feed records once their transaction committed. The working
 * state is made anew from the replica, synced to the feed's end, before the first batch, after a batch or
 * housekeeping whose transaction did not commit (the working state may hold changes the feed does not, or
 * miss a batch whose commit succeeded but was reported as failed), and whenever another instance has
 * committed the batch's partition since this one last folded it (a rebalance): rows it wrote are newer in
 * the feed than in the working state. That test reads offsets (where the batch starts; the group's
 * committed offset only when that leaves a gap), not the consumer's assignment, so it holds however a
 * client reports rebalances.
 *
 * Scale-out (`writers`, from the projection's kind): `shared` projections fold whatever partitions the
 * group gives this instance; every row comes from one input partition, so instances never write the same
 * row. A `single` projection is folded by one instance at a time, the holder of a writer lease
 * (writer-lease.ts, group <groupId>-writer on `leaseTopic`); it folds a batch only while its consumer
 * holds every input partition, so during a hand-over the new writer waits until the old one has left.
 * Every instance, writer or not, serves the whole projection from its replica.
 *
 * `readerSchema`, when given, is the schema records are decoded to, whatever the writer's.
 * `housekeeping` adds changes of the projection's own (the GGD sweep): before every batch, in its
 * transaction, and on a timer of its own between batches (`tick`), so they happen when no record comes.
 * Every feed record is stamped with the start of the clock's day (feedTimestamp).
 *
 * `rebuild` folds the recipient topic anew beside the live fold and switches to it (rebuild.ts): the live
 * fold is stopped only for the switch, readers are served (and the projection ready) all along.
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
  const offsetsAdmin = await bus.admin(); // the caller's admin may be gone once the projection runs

  const started = Date.now();
  const replica = await startFeedReplica({ bus, projection, feedTopic: feed.name, groupPrefix: `${groupId}-replica` });
  log.info({ rows: projection.size(replica.state()), ms: Date.now() - started }, 'feed replica caught up');
  /** where the batch in hand is folded; undefined: to be made anew from the replica before the next fold */
  let working: unknown;
  let uncommitted = false;
  let stopped = false;
  /**
   * Per input partition, the offset the working state has folded it to: where the group's commit stood
   * when the working state was restored, then the end of each batch this instance committed. A batch that
   * starts anywhere else follows someone else's commit, or a gap no batch commits (foldedHereOnly).
   */
  const foldedTo = new Map<number, bigint>();
  const takeTurn = createTurns();
  const feedMessage = ([key, row]: FeedChange, now: number): OutgoingMessage => ({
    topic: feed.name,
    key,
    value: row === null ? null : encodeFeedValue(projection, row),
    timestamp: feedTimestamp(now),
  });

  /** The group's committed offset of each input partition, as foldedTo keeps it (nothing committed: 0). */
  const committedOffsets = async (): Promise<Map<number, bigint>> =>
    new Map(
      (await offsetsAdmin.groupOffsets(groupId, inputTopic)).map((o) => [o.partition, BigInt(o.offset) < 0n ? 0n : BigInt(o.offset)]),
    );

  /** The working state, made anew from the replica once it has read every commit so far (own rows each). */
  async function workingState(why: string): Promise<unknown> {
    if (working !== undefined && !uncommitted) return working;
    const begun = Date.now();
    if (uncommitted) log.warn({ type: why }, 'the last transaction did not commit: restoring the projection from its feed');
    // the group's offsets before the feed's end: every commit they include is in the feed synced to below
    const committed = await committedOffsets();
    await replica.syncToEnd();
    working = replica.snapshot();
    uncommitted = false;
    foldedTo.clear();
    for (const [partition, offset] of committed) foldedTo.set(partition, offset);
    log.info({ rows: projection.size(working), ms: Date.now() - begun, type: why }, 'working state restored from the feed');
    return working;
  }

  /**
   * Whether the working state has every commit of the batch's partition: the batch starts where it was
   * folded to, or (a gap of transaction markers or aborted records, which no batch commits) nobody has
   * committed the partition since. Only a gap costs a look at the group's offsets.
   */
  async function foldedHereOnly(batch: Batch): Promise<boolean> {
    const folded = foldedTo.get(batch.partition);
    if (folded === undefined) return false;
    if (folded === BigInt(batch.messages[0]?.offset ?? batch.lastOffset)) return true;
    return (await committedOffsets()).get(batch.partition) === folded;
  }

  /** After a commit: the replica takes the feed changes just committed, before the follower reads them back. */
  function publish(changes: Iterable<FeedChange>): void {
    replica.publish([...changes].map(([key, row]): FeedRecord => ({ key, value: row === null ? null : encodeFeedValue(projection, row) })));
  }

  let edge: Edge | undefined;
  const holdsEveryPartition = () => (edge?.assignment() ?? []).filter((p) => p.topic === inputTopic).length >= inputPartitions;

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

  // the batch's turn, from beforeBatch to its commit (afterCommit) or anything else (afterAbort)
  let releaseBatch: (() => void) | undefined;
  const endBatchTurn = () => {
    releaseBatch?.();
    releaseBatch = undefined;
  };

  /**
   * The fold, for the edge's decide: housekeeping first, then every record of the batch into the working
   * state; the feed needs the last change per key. A throw is a bug: the edge halts the partition at the
   * batch's first offset and commits nothing; the working state holds part of the batch, so the batch's
   * turn ends in afterAbort with `uncommitted` still set, and whoever goes next restores it.
   */
  const fold = (records: EdgeRecord<unknown>[]): Decided<FeedChange> => {
    const changes = new Map<string, unknown>();
    for (const change of housekeeping?.changes(working) ?? []) changes.set(change.key, change.row);
    for (const { message, value } of records) {
      let applied: Change<unknown>[];
      try {
        applied = projection.apply(working, value);
      } catch (error) {
        throw new ProjectionApplyError(message.partition, message.offset, { cause: error });
      }
      for (const change of applied) changes.set(change.key, change.row);
    }
    return { outputs: [...changes] };
  };

  // Housekeeping between batches writes with a transactional producer of its own (its id names the feed).
  let idleProducer: TransactionalProducer | undefined;
  const housekept = { feedChanges: 0 };
  const tick = async (): Promise<number> => {
    if (!housekeeping) return 0;
    const release = await takeTurn();
    try {
      if (stopped || edge === undefined) return 0; // only the writer keeps house
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
      const now = clock();
      const feedMessages = [...changes].map((change) => feedMessage(change, now));
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
      publish(changes);
      uncommitted = false;
      housekept.feedChanges += changes.size;
      log.info({ feedChanges: changes.size }, 'housekeeping written to the feed');
      return changes.size;
    } finally {
      release();
    }
  };

  /** counts of the edges stopped before (a single writer folds anew after each lease it takes) */
  const past = { records: 0, produced: 0, deadLettered: 0 };
  /** the edge being stopped: its batch in hand may still commit, and is counted */
  let retiring: Edge | undefined;
  const counted = () => (edge ?? retiring)?.metrics;
  const metrics: ProjectionMetrics = {
    get records() {
      return past.records + (counted()?.records ?? 0);
    },
    get feedChanges() {
      return past.produced + (counted()?.produced[feed.name] ?? 0) + housekept.feedChanges;
    },
    get deadLettered() {
      return past.deadLettered + (counted()?.deadLettered ?? 0);
    },
    get lag() {
      return edge?.metrics.lag ?? new Map<number, number>(); // another instance's lag while not folding
    },
    get halted() {
      return edge?.metrics.halted ?? new Map<number, string>();
    },
  };

  const startFolding = async () => {
    edge = await startEdge<unknown, FeedChange>({
      bus,
      groupId,
      topic: inputTopic,
      logger: log,
      deadLetter,
      clock,
      decode: (m) => registry.decode(m.value as Buffer, readerSchema),
      decodeFailure: { rule: 'projection', message: 'not a readable recipient record' },
      hooks: {
        async beforeBatch(batch, context) {
          if (writers === 'single') await holdUntilSoleMember(batch, context);
          releaseBatch = await takeTurn();
          if (!(await foldedHereOnly(batch))) working = undefined; // someone else folded the partition meanwhile
          await workingState('reading on');
          uncommitted = true;
        },
        afterCommit(batch, decided) {
          publish(decided.outputs);
          uncommitted = false;
          foldedTo.set(batch.partition, BigInt(batch.lastOffset) + 1n);
          endBatchTurn();
        },
        afterAbort: endBatchTurn,
      },
      decide: (records) => fold(records),
      encode: (change, { now }) => [feedMessage(change, now)],
    });
  };
  const stopFolding = async () => {
    // not writing from here: no tick starts, and readiness no longer asks an edge that is going away
    const stopping = edge;
    edge = undefined;
    retiring = stopping;
    await stopping?.stop();
    const release = await takeTurn(); // a tick in hand finishes first
    if (stopping) {
      past.records += stopping.metrics.records;
      past.produced += stopping.metrics.produced[feed.name] ?? 0;
      past.deadLettered += stopping.metrics.deadLettered;
    }
    retiring = undefined;
    working = undefined; // the next writer, maybe this one again, starts from the feed
    release();
    await idleProducer?.disconnect().catch(() => {});
    idleProducer = undefined;
  };
  let rebuilding: Promise<RebuildReport> | undefined;
  let rebuildStatus: RebuildStatus | undefined;
  const rebuildAbort = new AbortController();
  /** whether this instance may write the feed: not stopping, and a single writer still holds the lease */
  const mayWrite = () => !stopped && (lease?.held() ?? true);
  const rebuild = (): Promise<RebuildReport> => {
    // refusals are thrown at once, so a caller (the admin endpoint) can answer before the rebuild runs
    if (stopped) throw new RebuildRefusedError('the projection is stopping');
    if (rebuilding) throw new RebuildRefusedError('a rebuild of this projection is under way');
    if (edge === undefined) throw new RebuildRefusedError('this instance does not fold the projection (another holds its writer lease)');
    if (!holdsEveryPartition())
      throw new RebuildRefusedError('this instance does not hold every input partition: a rebuild needs the sole folding instance');
    const startedAt = new Date().toISOString();
    rebuildStatus = { state: 'running', startedAt };
    const run = rebuildProjection({
      bus,
      admin: offsetsAdmin,
      registry,
      projection,
      inputTopic,
      groupId,
      readerSchema,
      deadLetter,
      housekeeping: housekeeping && ((state) => housekeeping.changes(state)),
      feedMessages: (changes) => {
        const now = clock();
        return changes.map((change) => feedMessage(change, now));
      },
      replica,
      logger: log,
      signal: rebuildAbort.signal,
      live: {
        stop: stopFolding,
        start: async () => {
          if (mayWrite()) await startFolding();
        },
        mayWrite,
        // what the group committed, or this instance's own last commit if the group's read lags it
        position: async () => furthest(await committedOffsets(), foldedTo),
      },
    });
    rebuilding = run;
    run.then(
      (report) => {
        rebuildStatus = { state: 'done', startedAt, report };
      },
      (error: unknown) => {
        rebuildStatus = { state: 'failed', startedAt, error: (error as Error).message };
        log.error({ err: error }, 'rebuild failed: the live projection is unchanged, or partly rebuilt if the write failed midway');
      },
    );
    return run.finally(() => {
      rebuilding = undefined;
    });
  };

  let lease: WriterLease | undefined;
  if (writers === 'single') {
    await admin.ensureTopics([topicSpec(leaseTopicEntry(leaseTopic!), replicationFactor)]);
    lease = await startWriterLease({
      bus,
      topic: leaseTopic!,
      groupId: `${groupId}-writer`,
      logger: log,
      // during a rebuild the rebuild starts folding again when it ends (if the lease is still held)
      onChange: (held) => (held && !stopped ? (rebuilding ? Promise.resolve() : startFolding()) : stopFolding()),
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
  log.info({ rows: projection.size(replica.state()), writing: edge !== undefined }, 'projection running');
  return {
    recipient: projection.recipient,
    projection,
    state: () => replica.state(),
    version: () => replica.version(),
    metrics,
    writing: () => edge !== undefined,
    // not folding is ready only for a single-writer projection whose lease another instance holds, or
    // while a rebuild's switch has stopped the fold (readers are served all along): a writer whose edge
    // did not start (or a shared projection without one) leaves records unfolded
    ready: () =>
      replica.healthy() && (lease?.healthy() ?? true) && (edge?.healthy() ?? (lease?.held() === false || rebuilding !== undefined)),
    tick,
    rebuild,
    rebuildStatus: () => rebuildStatus,
    async stop() {
      stopped = true; // a tick that has not had its turn yet does nothing
      clearInterval(timer);
      rebuildAbort.abort();
      await rebuilding?.catch(() => {});
      if (lease) await lease.stop();
      else await stopFolding();
      await replica.stop();
      await offsetsAdmin.disconnect().catch(() => {});
    },
  };
}
