import type { Logger } from '../log/logger.ts';
import {
  type Batch,
  type BatchContext,
  type Consumer,
  type ConsumerState,
  isProducerFenced,
  type MessageBus,
  type OutgoingMessage,
  type PartitionProgress,
  type TopicPartition,
  type TopicPartitionOffset,
  type Transaction,
  type TransactionalProducer,
} from './bus.ts';

export interface BatchOutcome {
  /** everything the batch produces, sent in the batch's transaction */
  messages: OutgoingMessage[];
  /** runs after the transaction committed (e.g. to update in-memory state that must match what is published) */
  afterCommit?: () => void;
  /**
   * runs when the transaction carrying these messages failed (aborted, or its outcome unknown): whatever the
   * handler prepared for afterCommit is void; the batch is read again
   */
  afterAbort?: () => void;
}

/**
 * What a handler returns to commit nothing and read the batch again from its first record, without an
 * error (the consumer is not told of a failure, so it neither retries with backoff nor crashes): a batch
 * abandoned because the consumer stops or lost the partition mid-outage.
 */
export const HOLD_BATCH = Symbol('hold-batch');

/**
 * What a handler returns to give the batch up and stop its partition (a halted partition): nothing of the
 * batch is committed (the batches before it in the partition's open transaction commit), the partition goes
 * back to the batch's first record and is paused at the consumer (Consumer.pause). The other partitions are
 * fetched as before, at full speed. The partition is read again, from its committed offset, once a rebalance
 * or a restart gives it out again, to this member or another (onAssignment tells who holds what).
 */
export const PAUSE_PARTITION = Symbol('pause-partition');

export interface TransactionalPipeline {
  /** commits every open transaction, stops fetching, lets the batch in hand finish (its transaction commits or aborts), disconnects */
  stop(): Promise<void>;
  /** true while its consumer runs or is being restarted; false once restarting was given up, or after stop() */
  healthy(): boolean;
  state(): ConsumerState;
  /** partitions the consumer holds now (the consumer's own array: a new one after every rebalance) */
  assignment(): TopicPartition[];
}

/** A batch whose transaction failed: read again (kafkajs retries it with backoff instead of crashing the consumer). */
export class BatchTransactionError extends Error {
  readonly retriable = true;
  constructor(message: string, options: { cause: unknown }) {
    super(message, options);
    this.name = 'BatchTransactionError';
  }
}

/** Attempts of one batch on fresh producers after its producer was fenced, before the batch is handed back to be read again. */
const FENCED_ATTEMPTS = 3;

/**
 * When a partition's transaction commits. It stays open across batches and commits at the first of:
 * `intervalMs` since its first batch, `maxRecords` records in it, a batch that reached the end of the
 * partition (nothing more to read now: at low rates each batch still commits at once), and stop(), a lost
 * partition, a held batch, a paused partition or a failure. Larger transactions cost fewer round trips per
 * record (the offsets, the commit and its markers are paid once per transaction); the price is latency
 * under load (a record is visible downstream up to `intervalMs` later) and, on a failure, more batches read
 * again.
 */
export interface CommitPolicy {
  /** the longest a transaction stays open, from its first batch (Kafka Streams: 100 ms under exactly-once); 0: one transaction per batch */
  intervalMs: number;
  /** consumed records after which a transaction commits, however young */
  maxRecords: number;
}

/** One transaction per fetched batch. */
export const COMMIT_PER_BATCH: CommitPolicy = { intervalMs: 0, maxRecords: 1 };

/** A partition's transaction while it is open: the batches in it, and where reading starts again if it fails. */
interface OpenTransaction {
  readonly partition: number;
  readonly producer: TransactionalProducer;
  readonly tx: Transaction;
  /** the first record of its first batch: where the partition is read again if the transaction aborts */
  readonly firstOffset: string;
  /** lastOffset + 1 of its last batch: the offset it commits */
  nextOffset: bigint;
  records: number;
  /** one per batch in it, in order: told when the transaction commits or aborts */
  readonly outcomes: BatchOutcome[];
  readonly began: number;
  timer?: NodeJS.Timeout;
}

/**
 * Exactly-once consume-transform-produce: what `handle` returns for each batch and the consumed offsets
 * are committed in one Kafka transaction, or not at all (then the batch is read again). A transaction may
 * carry several batches of its partition (CommitPolicy): each batch's afterCommit or afterAbort runs when
 * the transaction carrying it ends, and an aborted transaction is read again from its first batch.
 *
 * Zombie fencing. The transactional id is per input partition (`<groupId>-<topic>-<partition>`): kafkajs
 * sends TxnOffsetCommit without the group generation (no KIP-447), so it is the new owner of a partition
 * initialising the same id that fences a zombie that still believes it owns it, and ends the zombie's open
 * transaction (aborted, or committed if it was already committing). So that nothing is processed twice
 * across such a hand-over, every new producer, once its id is initialised, reads the partition's committed
 * offset: a batch that starts before it was already committed by an earlier owner, and the consumer is
 * moved on to the committed offset instead.
 *
 * A fenced producer (the partition went to another instance and came back, or the broker expired the
 * transaction) is discarded and the batch tried again on a new one; any other failed transaction discards
 * the producer too and hands the batch back to be read again. Neither crashes the consumer; a consumer
 * that crashes anyway is restarted by the bus (Consumer.run).
 *
 * A partition's batches and its commits take turns (one lane per partition): the timer that commits an
 * idle partition's transaction waits for a batch in hand, so a producer is never used by two at once.
 */
export async function startTransactionalPipeline({
  bus,
  groupId,
  topic,
  logger,
  handle,
  onProgress,
  onCommitted,
  onAssignment,
  commit = COMMIT_PER_BATCH,
  partitionsConcurrently = 1,
  now = Date.now,
}: {
  bus: MessageBus;
  groupId: string;
  topic: string;
  logger: Logger;
  handle: (batch: Batch, context: BatchContext) => Promise<BatchOutcome | typeof HOLD_BATCH | typeof PAUSE_PARTITION>;
  /** position and lag after every fetched batch (for metrics) */
  onProgress?: (progress: PartitionProgress) => void;
  /** after every committed transaction, with what it carried (for metrics) */
  onCommitted?: (committed: { partition: number; batches: number; records: number }) => void;
  /** the input partitions the consumer holds, each time it takes up an assignment (Consumer.onAssignment); nothing is paused then */
  onAssignment?: (partitions: number[]) => void;
  /** when a transaction commits (default: one per batch) */
  commit?: CommitPolicy;
  /**
   * batches of up to this many partitions handled at once (RunOptions.partitionsConcurrently; default 1):
   * their transactions commit side by side instead of one after another. `handle` must bear it.
   */
  partitionsConcurrently?: number;
  /** the clock of the commit interval; tests move it */
  now?: () => number;
}): Promise<TransactionalPipeline> {
  /**
   * per partition: its producer, whether the committed offset was checked since the producer's id was
   * initialised, and the offset its last transaction committed
   */
  const producers = new Map<number, { producer: TransactionalProducer; checked: boolean; committedTo?: bigint }>();
  const producerFor = async (partition: number) => {
    let entry = producers.get(partition);
    if (!entry) {
      entry = { producer: await bus.transactionalProducer(`${groupId}-${topic}-${partition}`), checked: false };
      producers.set(partition, entry);
    }
    return entry;
  };
  const discard = async (partition: number, producer: TransactionalProducer) => {
    if (producers.get(partition)?.producer === producer) producers.delete(partition);
    await producer.disconnect().catch(() => {});
  };

  const admin = await bus.admin();
  const committedOffset = async (partition: number): Promise<bigint | undefined> => {
    const offset = (await admin.groupOffsets(groupId, topic)).find((o) => o.partition === partition)?.offset;
    return offset === undefined || BigInt(offset) < 0n ? undefined : BigInt(offset);
  };

  const consumer: Consumer = await bus.consumer({ groupId });
  if (onProgress) consumer.onProgress(onProgress);
  if (onAssignment)
    consumer.onAssignment((assignment) => onAssignment(assignment.filter((tp) => tp.topic === topic).map((tp) => tp.partition)));
  await consumer.subscribe([topic], { fromBeginning: true });

  /** open transactions, by partition */
  const opens = new Map<number, OpenTransaction>();
  let stopping = false;

  /** Runs `work` once everything queued before it on the partition's lane has finished. */
  const lanes = new Map<number, Promise<void>>();
  const inLane = <T>(partition: number, work: () => Promise<T>): Promise<T> => {
    const result = (lanes.get(partition) ?? Promise.resolve()).then(work);
    const done = result.then(
      () => {},
      () => {},
    );
    lanes.set(partition, done);
    void done.then(() => {
      if (lanes.get(partition) === done) lanes.delete(partition);
    });
    return result;
  };

  const seekTo = (partition: number, offset: string, why: string) => {
    try {
      consumer.seek({ topic, partition, offset });
    } catch (error) {
      // the partition went to another member, or the consumer stopped: it reads on from the committed offset anyway
      logger.debug({ err: error, partition, offset, type: why }, 'partition no longer here to move');
    }
  };

  /** no more batches of the partition until a rebalance or a restart gives it out again (PAUSE_PARTITION) */
  const pause = (partition: number) => {
    try {
      consumer.pause([{ topic, partition }]);
    } catch (error) {
      // the consumer is being restarted: its successor reads the partition from the committed offset anyway
      logger.debug({ err: error, partition }, 'partition not paused: the consumer is not running');
    }
  };

  /**
   * Ends a transaction that failed: aborted, its producer dropped, each batch in it told (afterAbort).
   * `seekBack`: its batches were handed back as done to the consumer, which must read them again.
   */
  const abandon = async (open: OpenTransaction, seekBack: boolean) => {
    clearTimeout(open.timer);
    if (opens.get(open.partition) === open) opens.delete(open.partition);
    await open.tx.abort().catch(() => {});
    await discard(open.partition, open.producer);
    for (const outcome of open.outcomes) outcome.afterAbort?.();
    if (seekBack) seekTo(open.partition, open.firstOffset, 'failed transaction');
  };

  /** Commits the transaction with the offset after its last batch; afterCommit of each batch, in order. Throws a BatchTransactionError when it fails. */
  const commitOpen = async (open: OpenTransaction, why: string, seekBack: boolean) => {
    clearTimeout(open.timer);
    if (opens.get(open.partition) === open) opens.delete(open.partition);
    try {
      await open.tx.sendOffsets(groupId, [{ topic, partition: open.partition, offset: open.nextOffset.toString() }]);
      await open.tx.commit();
    } catch (error) {
      await abandon(open, seekBack);
      throw new BatchTransactionError('transaction failed', { cause: error });
    }
    const entry = producers.get(open.partition);
    if (entry?.producer === open.producer) entry.committedTo = open.nextOffset;
    logger.trace({ partition: open.partition, batches: open.outcomes.length, records: open.records, type: why }, 'transaction committed');
    for (const outcome of open.outcomes) outcome.afterCommit?.();
    onCommitted?.({ partition: open.partition, batches: open.outcomes.length, records: open.records });
  };

  /**
   * Commits the partition's open transaction in its lane, outside any batch (the interval's timer, a lost
   * partition, stop()): its batches were handed back as done, so a failure reads them again from the first.
   */
  const commitInLane = (open: OpenTransaction, why: string): Promise<void> =>
    inLane(open.partition, async () => {
      if (opens.get(open.partition) === open) await commitOpen(open, why, true);
    }).catch((error: unknown) => {
      const cause = error instanceof BatchTransactionError ? error.cause : error;
      logger.warn(
        { err: cause, partition: open.partition, firstOffset: open.firstOffset, type: why },
        'transaction failed, its batches will be read again',
      );
    });

  /** A partition that is no longer assigned (rebalance, crash) commits now: its new owner may fence the producer any moment. */
  const endLost = () => {
    if (opens.size === 0) return;
    const held = new Set(
      consumer
        .assignment()
        .filter((tp) => tp.topic === topic)
        .map((tp) => tp.partition),
    );
    for (const open of opens.values()) if (!held.has(open.partition)) void commitInLane(open, 'partition lost');
  };

  /** why the transaction commits after this batch, if it does */
  const dueNow = (open: OpenTransaction, batch: Batch, context: BatchContext): string | undefined => {
    if (stopping || !context.isRunning()) return 'stopping';
    if (commit.intervalMs <= 0) return 'per batch';
    if (open.records >= commit.maxRecords) return 'max records';
    // against the last stable offset: while upstream transactions are open, a read_committed batch ends in
    // front of them, short of the high watermark, and would otherwise wait out the interval
    if (BigInt(batch.lastOffset) + 1n >= BigInt(batch.lastStableOffset ?? batch.highWatermark)) return 'caught up';
    if (now() - open.began >= commit.intervalMs) return 'interval';
    return undefined;
  };

  /**
   * One attempt at a batch (none when it turns out to be committed already). A failure of the handler is
   * thrown as it is (the transaction's earlier batches commit first); any other is a BatchTransactionError,
   * and the transaction's producer is discarded.
   */
  const attempt = async (batch: Batch, context: BatchContext): Promise<void> => {
    const first = batch.messages[0]?.offset ?? batch.lastOffset;
    let open = opens.get(batch.partition);
    if (open && BigInt(first) < open.nextOffset) {
      // the consumer went back to the committed offset (a rebalance that kept the partition here, a
      // restarted consumer): the open transaction still holds what it read; commit it and read on after it
      await commitOpen(open, 'consumer moved back', true);
      seekTo(batch.partition, open.nextOffset.toString(), 'read on after the committed transaction');
      return;
    }
    const committedHere = producers.get(batch.partition)?.committedTo;
    if (!open && committedHere !== undefined && BigInt(first) < committedHere) {
      // committed outside a batch (the timer, a lost partition) while the consumer fetched from the group's
      // older committed offset (a rebalance in between): read on from what this producer committed
      seekTo(batch.partition, committedHere.toString(), 'read on after the committed transaction');
      return;
    }
    let begun: { producer: TransactionalProducer; tx: Transaction } | undefined;
    if (!open) {
      const entry = await producerFor(batch.partition).catch((error: unknown) => {
        throw new BatchTransactionError('no transactional producer', { cause: error });
      });
      let tx: Transaction | undefined;
      try {
        tx = await entry.producer.transaction(); // a new producer's first: initialises its transactional id
        if (!entry.checked) {
          const committed = await committedOffset(batch.partition);
          if (committed !== undefined && committed > BigInt(first)) {
            await tx.abort(); // nothing sent: ends only the local transaction
            logger.warn(
              { partition: batch.partition, firstOffset: first, offset: committed.toString() },
              'batch already committed by an earlier owner of the partition: reading on from the committed offset',
            );
            consumer.seek({ topic: batch.topic, partition: batch.partition, offset: committed.toString() });
            return;
          }
          entry.checked = true;
        }
      } catch (error) {
        await tx?.abort().catch(() => {});
        await discard(batch.partition, entry.producer);
        throw new BatchTransactionError('transaction failed', { cause: error });
      }
      begun = { producer: entry.producer, tx };
    }
    /** the batch is not in the transaction: the batches before it commit, a transaction with none ends here */
    const endWithout = async (why: string) => {
      if (open) await commitOpen(open, why, true);
      else await begun?.tx.abort().catch(() => {}); // nothing sent: ends only the local transaction
    };

    let outcome: BatchOutcome | typeof HOLD_BATCH | typeof PAUSE_PARTITION;
    try {
      outcome = await handle(batch, context);
    } catch (error) {
      await endWithout('handler failed');
      throw error;
    }
    if (outcome === HOLD_BATCH || outcome === PAUSE_PARTITION) {
      await endWithout(outcome === HOLD_BATCH ? 'batch held' : 'partition paused');
      seekTo(batch.partition, first, 'held batch');
      if (outcome === PAUSE_PARTITION) pause(batch.partition);
      return;
    }
    const tx = open?.tx ?? (begun as { tx: Transaction }).tx;
    try {
      await tx.send(outcome.messages);
    } catch (error) {
      if (open) {
        open.outcomes.push(outcome); // told after the batches before it
        await abandon(open, true);
      } else if (begun) {
        outcome.afterAbort?.();
        await begun.tx.abort().catch(() => {});
        await discard(batch.partition, begun.producer);
      }
      throw new BatchTransactionError('transaction failed', { cause: error });
    }
    if (!open) {
      open = {
        partition: batch.partition,
        producer: (begun as { producer: TransactionalProducer }).producer,
        tx,
        firstOffset: first,
        nextOffset: 0n,
        records: 0,
        outcomes: [],
        began: now(),
      };
      opens.set(batch.partition, open);
    }
    open.outcomes.push(outcome);
    open.records += batch.messages.length;
    open.nextOffset = BigInt(batch.lastOffset) + 1n;
    const why = dueNow(open, batch, context);
    // with only this batch in it, the consumer reads the batch again on a failure by itself
    if (why) await commitOpen(open, why, open.outcomes.length > 1);
    else if (!open.timer) {
      const idle = open;
      idle.timer = setTimeout(() => void commitInLane(idle, 'interval'), Math.max(0, idle.began + commit.intervalMs - now()));
      idle.timer.unref?.();
    }
  };

  /**
   * Commits the offset after a fetched batch the handler never saw: every record in it was filtered out (an
   * aborted transaction's, markers). Without this a partition that ends in an aborted transaction keeps a
   * committed offset short of its end for good (lag 1 or more), and a restart reads the aborted range again.
   * An open transaction takes the offset and commits now (such a batch mostly ends what there is to read);
   * otherwise a transaction of offsets alone.
   */
  const commitSkipped = async (partition: number, next: bigint): Promise<void> => {
    if (stopping) return;
    const open = opens.get(partition);
    if (open) {
      if (next > open.nextOffset) open.nextOffset = next;
      await commitOpen(open, 'no visible record', true);
      return;
    }
    const entry = await producerFor(partition);
    if (entry.committedTo !== undefined && entry.committedTo >= next) return;
    let tx: Transaction | undefined;
    try {
      tx = await entry.producer.transaction();
      if (!entry.checked) {
        const committed = await committedOffset(partition);
        entry.checked = true;
        if (committed !== undefined && committed >= next) {
          await tx.abort(); // nothing sent: ends only the local transaction
          entry.committedTo = committed;
          return;
        }
      }
      await sendOffsetsRetrying(tx, [{ topic, partition, offset: next.toString() }]);
      await tx.commit();
      entry.committedTo = next;
      logger.trace({ partition, offset: next.toString() }, 'offsets of a batch with no visible record committed');
    } catch (error) {
      await tx?.abort().catch(() => {});
      await discard(partition, entry.producer);
      throw error;
    }
  };

  /**
   * Offsets as the first thing in a transaction, right after the partition's last commit: the coordinator
   * may still be completing that one and answers CONCURRENT_TRANSACTIONS (retriable) until it has. In a
   * batch's transaction the sends come first and give it that time; here it is waited out (50 ms doubling,
   * about 6 s in all).
   */
  const sendOffsetsRetrying = async (tx: Transaction, offsets: TopicPartitionOffset[]) => {
    for (let tries = 1; ; tries++) {
      try {
        return await tx.sendOffsets(groupId, offsets);
      } catch (error) {
        if ((error as { retriable?: unknown }).retriable !== true || tries >= 7 || stopping) throw error;
        await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** (tries - 1)));
      }
    }
  };

  /** per partition: lastOffset + 1 of the last batch handed to the handler, to tell the batches it never saw */
  const handedTo = new Map<number, bigint>();
  consumer.onProgress(({ topic: read, partition, lastOffset }) => {
    const next = BigInt(lastOffset) + 1n;
    if (read !== topic || next <= (handedTo.get(partition) ?? -1n)) return;
    void inLane(partition, () => commitSkipped(partition, next)).catch((error: unknown) => {
      // harmless: the next batch of the partition commits past the range anyway
      logger.warn({ err: error, partition }, 'could not commit the offsets of a batch with no visible record');
    });
  });

  await consumer.run({
    autoCommit: false,
    partitionsConcurrently,
    eachBatch: async (batch, context) => {
      if (batch.messages.length === 0) return; // committed when its progress is reported (commitSkipped)
      handedTo.set(batch.partition, BigInt(batch.lastOffset) + 1n);
      endLost();
      await inLane(batch.partition, async () => {
        for (let tries = 1; ; tries++) {
          try {
            await attempt(batch, context);
            return;
          } catch (error) {
            if (!(error instanceof BatchTransactionError)) throw error; // the handler's own: it says whether it is retriable
            const where = { err: error.cause, partition: batch.partition, firstOffset: batch.messages[0]?.offset };
            if (isProducerFenced(error) && tries < FENCED_ATTEMPTS && context.isRunning()) {
              logger.warn(where, 'producer fenced: trying the batch again on a new one');
              continue;
            }
            // the consumer reads the batch (or the failed transaction's first) again from its position
            // (kafkajs retries with backoff); a new producer checks that position against the committed offset first
            logger.warn(where, 'transaction failed, batch will be read again');
            throw error;
          }
        }
      });
    },
  });

  /** commits every open transaction, each in its partition's lane */
  const commitAll = (why: string) => Promise.all([...opens.values()].map((open) => commitInLane(open, why)));
  return {
    healthy: () => ['starting', 'running', 'restarting'].includes(consumer.state()),
    state: () => consumer.state(),
    assignment: () => consumer.assignment(),
    async stop() {
      stopping = true; // from here every batch commits at once
      await commitAll('stop');
      await consumer.disconnect();
      await commitAll('stop');
      await Promise.allSettled([...producers.values()].map(({ producer }) => producer.disconnect()));
      await admin.disconnect().catch(() => {});
    },
  };
}
