// What the client benchmark needs of a Kafka client: the MessageBus subset it measures. kafkajs and
// @platformatic/kafka come as the project's buses; @confluentinc/kafka-javascript, which is not a project
// dependency, as a bench-only driver (confluent-driver.ts) loaded from a side directory.
import type { Batch, Producer, TransactionalProducer } from '@register-feeds/service-kit';

export interface BenchConsumer {
  subscribe(topics: string[]): Promise<void>;
  run(eachBatch: (batch: Batch) => Promise<void>): Promise<void>;
  disconnect(): Promise<void>;
}

export interface ClientDriver {
  name: string;
  producer(): Promise<Producer>;
  transactionalProducer(transactionalId: string): Promise<TransactionalProducer>;
  /** autoCommit false: offsets go with the transactions (sendOffsets) */
  consumer(groupId: string, options: { autoCommit: boolean }): Promise<BenchConsumer>;
  /** the client's own name for the version measured */
  version: string;
}

export const CLIENTS = ['kafkajs', 'platformatic', 'confluent'] as const;
export type ClientName = (typeof CLIENTS)[number];

/** how measure-client.ts marks its line of figures on stdout, which the services' logger shares */
export const FIGURES = 'figures ';
