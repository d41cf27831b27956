import type { Batch, BatchContext, MessageBus } from './bus.ts';

type EachBatch = (batch: Batch, context: BatchContext) => Promise<void>;

/**
 * For tests: puts `through` between every consumer the bus makes from now on and its eachBatch handler, so
 * a test can count, change or repeat the batches a consumer hands over; `next` hands one to the handler.
 */
export function interceptBatches(bus: MessageBus, through: (batch: Batch, context: BatchContext, next: EachBatch) => Promise<void>): void {
  const consumer = bus.consumer.bind(bus);
  bus.consumer = async (options) => {
    const c = await consumer(options);
    const run = c.run.bind(c);
    c.run = (runOptions) => run({ ...runOptions, eachBatch: (batch, context) => through(batch, context, runOptions.eachBatch) });
    return c;
  };
}
