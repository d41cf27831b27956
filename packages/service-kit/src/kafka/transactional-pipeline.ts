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
 * error (the consumer is not told of a failure, so it neither retries with backoff nor crashes): a halted
 * partition, or a batch abandoned because the consumer stops or lost the partition mid-outage.
 */
export const HOLD_BATCH = Symbol('hold-batch');

export interface TransactionalPipeline {
  /** stops fetching, lets the batch in hand finish (its transaction commits or aborts), disconnects */
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
 * Exactly-once consume-transform-produce: for each batch, what `handle` returns and the consumed offsets
 * are committed in one Kafka transaction, or not at all (then the batch is read again).
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
 */
export async function startTransactionalPipeline({
  bus,
  groupId,
  topic,
  logger,
  handle,
  onProgress,
}: {
  bus: MessageBus;
  groupId: string;
  topic: string;
  logger: Logger;
  handle: (batch: Batch, context: BatchContext) => Promise<BatchOutcome | typeof HOLD_BATCH>;
  /** position and lag after every fetched batch (for metrics) */
  onProgress?: (progress: PartitionProgress) => void;
}): Promise<TransactionalPipeline> {
  /** per partition: its producer, and whether the committed offset was checked since the producer's id was initialised */
  const producers = new Map<number, { producer: TransactionalProducer; checked: boolean }>();
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
  await consumer.subscribe([topic], { fromBeginning: true });

  /**
   * One attempt at a batch (none when it turns out to be committed already). A failure of the handler is
   * thrown as it is; any other is a BatchTransactionError, and its producer is discarded.
   */
  const attempt = async (batch: Batch, context: BatchContext): Promise<void> => {
    const entry = await producerFor(batch.partition).catch((error: unknown) => {
      throw new BatchTransactionError('no transactional producer', { cause: error });
    });
    const failed = async (error: unknown, tx?: Transaction): Promise<never> => {
      await tx?.abort().catch(() => {});
      await discard(batch.partition, entry.producer);
      throw new BatchTransactionError('transaction failed', { cause: error });
    };
    let tx: Transaction | undefined;
    try {
      tx = await entry.producer.transaction(); // a new producer's first: initialises its transactional id
      if (!entry.checked) {
        const committed = await committedOffset(batch.partition);
        const first = BigInt(batch.messages[0]?.offset ?? batch.lastOffset);
        if (committed !== undefined && committed > first) {
          await tx.abort(); // nothing sent: ends only the local transaction
          logger.warn(
            { partition: batch.partition, firstOffset: first.toString(), offset: committed.toString() },
            'batch already committed by an earlier owner of the partition: reading on from the committed offset',
          );
          consumer.seek({ topic: batch.topic, partition: batch.partition, offset: committed.toString() });
          return;
        }
        entry.checked = true;
      }
    } catch (error) {
      return failed(error, tx);
    }
    let outcome: BatchOutcome | typeof HOLD_BATCH;
    try {
      outcome = await handle(batch, context);
    } catch (error) {
      await tx.abort().catch(() => {}); // nothing sent yet: the producer is fine
      throw error;
    }
    if (outcome === HOLD_BATCH) {
      await tx.abort().catch(() => {}); // nothing sent: ends only the local transaction
      const first = batch.messages[0]?.offset ?? batch.lastOffset;
      try {
        consumer.seek({ topic: batch.topic, partition: batch.partition, offset: first });
      } catch (error) {
        // the partition went to another member meanwhile: it reads on from the committed offset anyway
        logger.debug({ err: error, partition: batch.partition }, 'held batch: partition no longer here to move back');
      }
      return;
    }
    try {
      await tx.send(outcome.messages);
      await tx.sendOffsets(groupId, [
        { topic: batch.topic, partition: batch.partition, offset: (BigInt(batch.lastOffset) + 1n).toString() },
      ]);
      await tx.commit();
    } catch (error) {
      outcome.afterAbort?.();
      return failed(error, tx);
    }
    outcome.afterCommit?.();
  };

  await consumer.run({
    autoCommit: false,
    eachBatch: async (batch, context) => {
      if (batch.messages.length === 0) return;
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
          // the consumer reads the batch again from its position (kafkajs retries with backoff); a new
          // producer checks that position against the committed offset first
          logger.warn(where, 'transaction failed, batch will be read again');
          throw error;
        }
      }
    },
  });
  return {
    healthy: () => ['starting', 'running', 'restarting'].includes(consumer.state()),
    state: () => consumer.state(),
    assignment: () => consumer.assignment(),
    async stop() {
      await consumer.disconnect();
      await Promise.allSettled([...producers.values()].map(({ producer }) => producer.disconnect()));
      await admin.disconnect().catch(() => {});
    },
  };
}
