/**
 * A projection rebuilt from its recipient topic beside the live one, then switched to at once (issue 10,
 * item 4). The live fold goes through the transactional edge, one transaction per fetched batch; a rebuild
 * need not: nothing it folds is visible until the switch, so it reads the recipient topic from the start
 * with a throwaway consumer (read_committed, a group of its own that commits nothing), decodes each record
 * and folds it with the projection's pure apply into a state in memory, without a transaction.
 *
 * The switch writes to the SAME feed, not a new one: the feed's name, its consumer group and every
 * instance's replica stay as they are, so nothing else has to learn a new name, and a restart after the
 * switch finds the rebuilt rows where it always looks. Only the difference is written: the rows that
 * differ from the feed's (their last value per key then equals what the live path would have written)
 * and a tombstone for each row the rebuilt state does not have, in large transactions; the last one also
 * moves the live group's committed offsets to where the rebuild stopped. A rebuild of an unchanged fold
 * therefore writes almost nothing; a rebuild onto an empty feed writes every row.
 *
 * The steps (rebuildProjection):
 *  1. note the input's end offsets, and read and fold every partition up to them while the live fold
 *     runs on (readers see the live projection, fresh);
 *  2. stop the live fold (its batch in hand commits first); read where it stands: the group's committed
 *     offsets; fold on from the ends of step 1 up to them where the live fold was ahead (records that
 *     came during step 1), so the rebuild and the live fold stand at the same offsets;
 *  3. hold this instance's feed replica (what the read API shows), write the difference and the offsets,
 *     then let the replica serve the rebuilt state itself (one assignment) and release it: readers see
 *     the old rows up to that moment and the rebuilt ones after it;
 *  4. start the live fold again: it reads on from the offsets the rebuild stopped at, and its working
 *     state comes from the feed, so no record is lost or folded twice.
 * Any failure before the last commit leaves the live group where it was; the live fold is started again
 * in every case. A failure between two of the write's transactions leaves part of the difference in the
 * feed (rows of the same records, folded anew): run the rebuild again.
 *
 * A rebuild needs the sole writer of the feed: the holder of a single-writer projection's lease, which it
 * checks before each transaction (`live.mayWrite`), or, for a shared projection, an instance whose
 * consumer holds every input partition (the runner refuses otherwise). Other instances' replicas take the
 * difference as they read it, in the order of its transactions, not at one instant.
 */

import { randomUUID } from 'node:crypto';
import {
  type Admin,
  type AvroSchemaJson,
  type Batch,
  type BatchContext,
  type ConsumedMessage,
  classifyError,
  type DeadLetterWriter,
  type Logger,
  type MessageBus,
  type OutgoingMessage,
  poisonReason,
  type SchemaRegistryClient,
  type TopicPartitionOffset,
} from '@register-feeds/service-kit';
import type { FeedReplica } from './feed-replica.ts';
import { canonicalJson, type Projection } from './projections/index.ts';

/** One feed change: the row's key and the row, or null for a tombstone. */
export type FeedChange = [key: string, row: unknown];

/** The rebuild cannot start or go on here; nothing was switched. */
export class RebuildRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RebuildRefusedError';
  }
}

/** What a rebuild did, with the time of each step (start-up apart from the fold). */
export interface RebuildReport {
  recipient: string;
  /** records folded, up to where the live fold stood at the switch */
  records: number;
  /** of those, folded after the live fold stopped (records that came during the rebuild) */
  caughtUp: number;
  /** records that could not be read (poison); those the live fold had not seen yet were dead-lettered */
  poison: number;
  /** rows of the rebuilt projection */
  rows: number;
  /** upserts and tombstones written to the feed: the difference */
  feedChanges: number;
  /** from the start until the first record was in hand (consumer, group join, first fetch) */
  startupMs: number;
  /** from the first record until every partition was folded to its end offset of the start */
  foldMs: number;
  /** from the end of the fold until readers saw the rebuilt rows (stop, catch-up, difference, write) */
  switchMs: number;
  /** of switchMs: stopping the live fold (its consumer leaves its group) */
  stopMs: number;
  /** of switchMs: writing the difference and the offsets */
  writeMs: number;
  totalMs: number;
  /** per partition, the offset the live fold reads on from */
  offsets: Record<number, string>;
}

/**
 * The feed changes that make a feed holding `current` hold `rebuilt`: every row that is new or differs
 * (by canonical JSON), in key order, then a tombstone for every row only `current` has. Pure.
 */
export function feedDiff(projection: Projection<unknown>, current: unknown, rebuilt: unknown): FeedChange[] {
  const before = new Map(projection.rows(current));
  const changes: FeedChange[] = [];
  for (const [key, row] of projection.rows(rebuilt)) {
    const old = before.get(key);
    before.delete(key);
    if (old === undefined || canonicalJson(old) !== canonicalJson(row)) changes.push([key, row]);
  }
  for (const key of before.keys()) changes.push([key, null]);
  return changes;
}

/** Per partition, the larger of two offsets (a partition in one map only keeps its offset). */
export function furthest(a: ReadonlyMap<number, bigint>, b: ReadonlyMap<number, bigint>): Map<number, bigint> {
  const out = new Map(a);
  for (const [partition, offset] of b) if (offset > (out.get(partition) ?? -1n)) out.set(partition, offset);
  return out;
}

/** A record of the input that could not be read: the live fold dead-letters such records. */
export interface PoisonRecord {
  message: ConsumedMessage;
  reason: { field: string; rule: string; message: string };
}

/** Reads one topic from the start to per-partition targets and hands each decoded record to `fold`. */
export interface InputReader {
  /** resolves once every partition is folded up to its target; rejects when a record cannot be folded */
  reached(): Promise<void>;
  /** moves targets on (never back); records below the new targets are folded on, in offset order */
  raise(targets: ReadonlyMap<number, bigint>): Promise<void>;
  /** records folded, and when the first one was in hand (performance.now()) */
  readonly stats: { records: number; firstRecordAt: number | undefined };
  readonly poison: PoisonRecord[];
  stop(): Promise<void>;
}

const HEARTBEAT_EVERY = 2_000;

/**
 * Reads `topic` from its beginning (read_committed, a throwaway group, nothing committed) and folds every
 * record below its partition's target, in offset order. A record at or past the target is kept aside
 * until the target is raised past it (the consumer must not wait on it: it fetches every partition in
 * turn, and a waiting batch would stop the others); those are the records that arrive during the rebuild.
 * A record re-delivered (a rejoin reads from the beginning again) is skipped: each offset is handled once.
 */
export async function startInputReader({
  bus,
  registry,
  topic,
  groupPrefix,
  from,
  targets,
  readerSchema,
  fold,
}: {
  bus: MessageBus;
  registry: SchemaRegistryClient;
  topic: string;
  groupPrefix: string;
  /** per partition, the first offset there is (the topic's low offsets) */
  from: ReadonlyMap<number, bigint>;
  targets: ReadonlyMap<number, bigint>;
  readerSchema?: AvroSchemaJson;
  /** folds one decoded record; a throw ends the reading with that error */
  fold: (value: unknown, message: ConsumedMessage) => void;
}): Promise<InputReader> {
  /** per partition: everything below it is folded (or was no record: markers, aborted) */
  const position = new Map(from);
  /** per partition: everything below it has been handed over (folded, or kept aside) */
  const fetched = new Map(from);
  const target = new Map(targets);
  const aside = new Map<number, ConsumedMessage[]>();
  const stats = { records: 0, firstRecordAt: undefined as number | undefined };
  const poison: PoisonRecord[] = [];
  let failure: unknown;
  let waiters: Array<{ resolve: () => void; reject: (error: unknown) => void }> = [];
  /** batches and raises take turns, so records are folded in offset order */
  let turn: Promise<unknown> = Promise.resolve();
  const serially = <T>(work: () => Promise<T>): Promise<T> => {
    const next = turn.then(work);
    turn = next.catch(() => {});
    return next;
  };

  const at = (partition: number) => position.get(partition) ?? 0n;
  const until = (partition: number) => target.get(partition) ?? 0n;
  const done = () => [...target].every(([partition, end]) => at(partition) >= end);
  const settle = () => {
    if (failure === undefined && !done()) return;
    for (const w of waiters) failure === undefined ? w.resolve() : w.reject(failure);
    waiters = [];
  };
  const fail = (error: unknown) => {
    failure ??= error;
    settle();
  };
  /** everything below `offset` of the partition was handed over; what is not aside is folded up to the target */
  const passed = (partition: number, offset: bigint) => {
    if (offset > (fetched.get(partition) ?? 0n)) fetched.set(partition, offset);
    if (aside.get(partition)?.some((m) => BigInt(m.offset) < until(partition))) return;
    const next = offset < until(partition) ? offset : until(partition);
    if (next > at(partition)) position.set(partition, next);
  };

  /** decodes and folds one record; false once the reading failed */
  const handle = async (message: ConsumedMessage): Promise<boolean> => {
    const offset = BigInt(message.offset);
    let value: unknown;
    try {
      value = await registry.decode(message.value as Buffer, readerSchema);
    } catch (error) {
      if (classifyError(error) !== 'poison') {
        fail(error); // an outage or a bug: the rebuild fails, nothing switched
        return false;
      }
      poison.push({ message, reason: poisonReason(error, 'projection') });
      position.set(message.partition, offset + 1n);
      return true;
    }
    stats.firstRecordAt ??= performance.now();
    try {
      fold(value, message);
    } catch (error) {
      fail(error);
      return false;
    }
    stats.records++;
    position.set(message.partition, offset + 1n);
    return true;
  };

  const consumer = await bus.consumer({ groupId: `${groupPrefix}-${randomUUID()}`, readCommitted: true });
  // a batch of transaction markers only: the position moves past them
  consumer.onProgress(({ partition, lastOffset }) => {
    if (failure !== undefined) return;
    passed(partition, BigInt(lastOffset) + 1n);
    settle();
  });

  const eachBatch = (batch: Batch, context: BatchContext): Promise<void> =>
    serially(async () => {
      const { partition } = batch;
      let sinceBeat = 0;
      for (const message of batch.messages) {
        if (failure !== undefined) return;
        const offset = BigInt(message.offset);
        if (offset < (fetched.get(partition) ?? 0n)) continue;
        fetched.set(partition, offset + 1n);
        if (offset >= until(partition)) {
          const kept = aside.get(partition);
          if (kept) kept.push(message);
          else aside.set(partition, [message]);
          continue;
        }
        if (++sinceBeat >= HEARTBEAT_EVERY) {
          sinceBeat = 0;
          await context.heartbeat();
        }
        if (!(await handle(message))) return;
      }
      passed(partition, BigInt(batch.lastOffset) + 1n);
      settle();
    });

  await consumer.subscribe([topic], { fromBeginning: true });
  await consumer.run({ autoCommit: false, eachBatch });
  let stopped: Promise<void> | undefined;
  return {
    reached: () =>
      new Promise<void>((resolve, reject) => {
        waiters.push({ resolve, reject });
        settle();
      }),
    raise: (next) =>
      serially(async () => {
        for (const [partition, end] of next) if (end > until(partition)) target.set(partition, end);
        for (const [partition, kept] of aside) {
          const below = kept.filter((m) => BigInt(m.offset) < until(partition));
          aside.set(
            partition,
            kept.filter((m) => BigInt(m.offset) >= until(partition)),
          );
          for (const message of below) if (!(await handle(message))) return;
          passed(partition, fetched.get(partition) ?? 0n);
        }
        for (const partition of target.keys()) passed(partition, fetched.get(partition) ?? 0n);
        settle();
      }),
    stats,
    poison,
    stop() {
      stopped ??= (async () => {
        fail(new RebuildRefusedError('the rebuild was stopped'));
        await consumer.disconnect();
      })();
      return stopped;
    },
  };
}

/** The live fold of the projection, as the rebuild drives it. */
export interface LiveFold {
  /** stops folding; once resolved nothing more is committed to the feed or to the group until start() */
  stop(): Promise<void>;
  /** folds on from the group's committed offsets, with a working state read from the feed */
  start(): Promise<void>;
  /** whether this instance may still write the feed (a single writer: it still holds the writer lease) */
  mayWrite(): boolean;
  /** per partition, the offset the live fold folds next (the group's commit, or this instance's last) */
  position(): Promise<Map<number, bigint>>;
}

export interface RebuildOptions {
  bus: MessageBus;
  admin: Admin;
  registry: SchemaRegistryClient;
  projection: Projection<unknown>;
  inputTopic: string;
  /** the live group: its committed offsets move to where the rebuild stopped */
  groupId: string;
  /** feed messages for the changes, as the live fold writes them */
  feedMessages: (changes: readonly FeedChange[]) => OutgoingMessage[];
  /** makes dead letters of poison records the live fold has not seen yet */
  deadLetter: DeadLetterWriter;
  /** changes of the projection's own after the fold (the GGD sweep), as the live fold makes before a batch */
  housekeeping?: (state: unknown) => unknown;
  readerSchema?: AvroSchemaJson;
  live: LiveFold;
  replica: FeedReplica;
  logger: Logger;
  /** records per transaction of the write (the last one carries the offsets too) */
  transactionRecords?: number;
  /** ends the rebuild (the projection stops): nothing is switched after it */
  signal?: AbortSignal;
}

/** Rebuilds the projection from its input and switches the live one to it; see the top of this file. */
export async function rebuildProjection(options: RebuildOptions): Promise<RebuildReport> {
  const { bus, admin, registry, projection, inputTopic, groupId, live, replica, logger, signal } = options;
  const log = logger.child({ component: 'rebuild', recipient: projection.recipient });
  const begun = performance.now();
  const offsets = await admin.topicOffsets(inputTopic);
  const lows = new Map(offsets.map((p) => [p.partition, BigInt(p.low)]));
  const ends = new Map(offsets.map((p) => [p.partition, BigInt(p.high)]));
  const state = projection.emptyState();
  const reader = await startInputReader({
    bus,
    registry,
    topic: inputTopic,
    groupPrefix: `${groupId}-rebuild`,
    from: lows,
    targets: ends,
    readerSchema: options.readerSchema,
    fold: (value) => projection.apply(state, value),
  });
  let refuse = () => {};
  const aborted = new Promise<never>((_, reject) => {
    refuse = () => reject(new RebuildRefusedError('the rebuild was stopped'));
    if (signal?.aborted) refuse();
    signal?.addEventListener('abort', refuse, { once: true });
  });
  aborted.catch(() => {});
  log.info({ records: sum(ends) - sum(lows) }, 'rebuild started: reading the input to its end offsets beside the live fold');
  try {
    await Promise.race([reader.reached(), aborted]);
    const folded = performance.now();
    const firstRecordAt = reader.stats.firstRecordAt ?? folded;
    const beforeSwitch = reader.stats.records;
    log.info({ records: beforeSwitch, ms: Math.round(folded - begun) }, 'rebuild folded to the end offsets: switching');

    await live.stop();
    const stopped = performance.now();
    let writeMs = 0;
    try {
      const livePosition = await live.position();
      const stopAt = furthest(ends, livePosition);
      await reader.raise(stopAt);
      await Promise.race([reader.reached(), aborted]);
      void reader.stop().catch(() => {}); // its consumer leaves in the background: nothing more is folded
      options.housekeeping?.(state);

      await replica.syncToEnd();
      const release = replica.hold();
      let changes: FeedChange[];
      try {
        changes = feedDiff(projection, replica.state(), state);
        const unseen = reader.poison.filter(({ message }) => BigInt(message.offset) >= (livePosition.get(message.partition) ?? 0n));
        const deadLetters = await Promise.all(unseen.map(({ message, reason }) => options.deadLetter(message, [reason])));
        const writing = performance.now();
        await writeSwitch({
          bus,
          groupId,
          inputTopic,
          changes,
          feedMessages: options.feedMessages,
          deadLetters,
          offsets: stopAt,
          transactionRecords: options.transactionRecords ?? 50_000,
          mayWrite: () => live.mayWrite() && !signal?.aborted,
          transactionalId: `${groupId}-rebuild`,
        });
        writeMs = performance.now() - writing;
        replica.replace(state); // the rebuilt rows are what the feed holds now: served as they are, at once
      } finally {
        release();
      }
      const report: RebuildReport = {
        recipient: projection.recipient,
        records: reader.stats.records,
        caughtUp: reader.stats.records - beforeSwitch,
        poison: reader.poison.length,
        rows: projection.size(state),
        feedChanges: changes.length,
        startupMs: Math.round(firstRecordAt - begun),
        foldMs: Math.round(folded - firstRecordAt),
        switchMs: Math.round(performance.now() - folded),
        stopMs: Math.round(stopped - folded),
        writeMs: Math.round(writeMs),
        totalMs: Math.round(performance.now() - begun),
        offsets: Object.fromEntries([...stopAt].map(([partition, offset]) => [partition, String(offset)])),
      };
      log.info({ ...report, offsets: undefined }, 'rebuild switched: the read API shows the rebuilt projection');
      return report;
    } finally {
      await live.start();
    }
  } finally {
    signal?.removeEventListener('abort', refuse);
    await reader.stop().catch(() => {});
  }
}

const sum = (offsets: ReadonlyMap<number, bigint>) => Number([...offsets.values()].reduce((a, b) => a + b, 0n));

/**
 * Writes the changes (then the dead letters) in transactions of `transactionRecords`, the last one with
 * the group's offsets, so the live fold's position moves with the last of the rebuilt rows; the
 * transactional id fences an older rebuild of the same group that is still writing. Feed messages are
 * made one transaction at a time: a rebuild onto an empty feed writes every row.
 */
async function writeSwitch({
  bus,
  groupId,
  inputTopic,
  changes,
  feedMessages,
  deadLetters,
  offsets,
  transactionRecords,
  mayWrite,
  transactionalId,
}: {
  bus: MessageBus;
  groupId: string;
  inputTopic: string;
  changes: readonly FeedChange[];
  feedMessages: (changes: readonly FeedChange[]) => OutgoingMessage[];
  deadLetters: readonly OutgoingMessage[];
  offsets: ReadonlyMap<number, bigint>;
  transactionRecords: number;
  mayWrite: () => boolean;
  transactionalId: string;
}): Promise<void> {
  const producer = await bus.transactionalProducer(transactionalId);
  const groupOffsets: TopicPartitionOffset[] = [...offsets].map(([partition, offset]) => ({
    topic: inputTopic,
    partition,
    offset: String(offset),
  }));
  try {
    const total = changes.length + deadLetters.length;
    for (let start = 0; start === 0 || start < total; start += transactionRecords) {
      if (!mayWrite()) throw new RebuildRefusedError('this instance may no longer write the feed (writer lease lost, or stopping)');
      const end = start + transactionRecords;
      const chunk = [
        ...feedMessages(changes.slice(start, end)),
        ...deadLetters.slice(Math.max(0, start - changes.length), Math.max(0, end - changes.length)),
      ];
      const tx = await producer.transaction();
      try {
        if (chunk.length > 0) await tx.send(chunk);
        if (end >= total) await tx.sendOffsets(groupId, groupOffsets);
        await tx.commit();
      } catch (error) {
        await tx.abort().catch(() => {});
        throw error;
      }
    }
  } finally {
    await producer.disconnect().catch(() => {});
  }
}
