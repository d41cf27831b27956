import type { Logger } from '../log/logger.ts';
import type { Batch, BatchContext, Consumer, MessageBus, OutgoingMessage, PartitionProgress, TransactionalProducer } from './bus.ts';

export interface BatchOutcome {
  /** everything the batch produces, sent in the batch's transaction */
  messages: OutgoingMessage[];
  /** runs after the transaction committed (e.g. to update in-memory state that must match what is published) */
  afterCommit?: () => void;
}

export interface TransactionalPipeline {
  /** stops fetching, lets the batch in hand finish (its transaction commits or aborts), disconnects */
  stop(): Promise<void>;
}

/**
 * Exactly-once consume-transform-produce: for each batch, what `handle` returns and the consumed offsets
 * are committed in one Kafka transaction, or not at all (then the batch is read again). The transactional
 * id is per input partition (`<groupId>-<topic>-<partition>`): kafkajs sends TxnOffsetCommit without the
 * group generation (no KIP-447), so it is the new owner of a partition initialising the same id that
 * fences a zombie that still believes it owns it.
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
  handle: (batch: Batch, context: BatchContext) => Promise<BatchOutcome>;
  /** position and lag after every fetched batch (for metrics) */
  onProgress?: (progress: PartitionProgress) => void;
}): Promise<TransactionalPipeline> {
  const producers = new Map<number, TransactionalProducer>();
  const producerFor = async (partition: number) => {
    let producer = producers.get(partition);
    if (!producer) {
      producer = await bus.transactionalProducer(`${groupId}-${topic}-${partition}`);
      producers.set(partition, producer);
    }
    return producer;
  };

  const consumer: Consumer = await bus.consumer({ groupId });
  if (onProgress) consumer.onProgress(onProgress);
  await consumer.subscribe([topic], { fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async (batch, context) => {
      if (batch.messages.length === 0) return;
      const outcome = await handle(batch, context);
      const producer = await producerFor(batch.partition);
      const tx = await producer.transaction();
      try {
        await tx.send(outcome.messages);
        await tx.sendOffsets(groupId, [
          { topic: batch.topic, partition: batch.partition, offset: (BigInt(batch.lastOffset) + 1n).toString() },
        ]);
        await tx.commit();
      } catch (error) {
        await tx.abort().catch(() => {});
        // a fenced or broken producer is replaced; the consumer reads the batch again from the committed offset
        producers.delete(batch.partition);
        await producer.disconnect().catch(() => {});
        logger.warn(
          { err: error, partition: batch.partition, firstOffset: batch.messages[0]?.offset },
          'transaction failed, batch will be read again',
        );
        throw error;
      }
      outcome.afterCommit?.();
    },
  });
  return {
    async stop() {
      await consumer.disconnect();
      await Promise.allSettled([...producers.values()].map((p) => p.disconnect()));
    },
  };
}
