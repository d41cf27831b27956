// The project's buses (kafkajs-bus.ts, platformatic-bus.ts) as benchmark drivers: measured through the same
// MessageBus the services use, so the figures include what the bus adds.
import type { MessageBus } from '@register-feeds/service-kit';
import type { ClientDriver } from './driver.ts';

export function busDriver(name: string, version: string, bus: MessageBus): ClientDriver {
  return {
    name,
    version,
    producer: () => bus.producer({ idempotent: true }),
    transactionalProducer: (id) => bus.transactionalProducer(id),
    async consumer(groupId, { autoCommit }) {
      const consumer = await bus.consumer({ groupId });
      return {
        subscribe: (topics) => consumer.subscribe(topics, { fromBeginning: true }),
        run: (eachBatch) => consumer.run({ autoCommit, eachBatch: (batch) => eachBatch(batch) }),
        disconnect: () => consumer.disconnect(),
      };
    },
  };
}
