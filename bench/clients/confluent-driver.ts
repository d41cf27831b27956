// @confluentinc/kafka-javascript (librdkafka) for the client benchmark only. It is not a project dependency:
// its install downloads from outside the registries, so it is built from source in a side directory (see
// docs/kafka-clients.md) and loaded from CKJS_PATH. Its KafkaJS-shaped API is used as kafkajs-bus.ts uses
// kafkajs: idempotent acks=all producer, transactions with sendOffsets, eachBatch consumers.
import { createRequire } from 'node:module';
import { type Batch, type OutgoingMessage, ProducerFencedError } from '@register-feeds/service-kit';
import type { ClientDriver } from './driver.ts';

interface CkMessage {
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}
interface CkBatch {
  topic: string;
  partition: number;
  highWatermark: string;
  messages: CkMessage[];
  lastOffset(): string;
}
interface CkSender {
  sendBatch(args: { topicMessages: { topic: string; messages: unknown[] }[] }): Promise<unknown>;
}
interface CkProducer extends CkSender {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  transaction(): Promise<CkTransaction>;
}
interface CkTransaction extends CkSender {
  sendOffsets(args: {
    consumer: CkConsumer;
    topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
  }): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}
interface CkConsumer {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  subscribe(args: { topics: string[] }): Promise<void>;
  run(args: { eachBatchAutoResolve: boolean; eachBatch(payload: { batch: CkBatch }): Promise<void> }): Promise<void>;
}
interface CkKafka {
  producer(config: Record<string, unknown>): CkProducer;
  consumer(config: Record<string, unknown>): CkConsumer;
}
interface CkModule {
  librdkafkaVersion: string;
  KafkaJS: { Kafka: new (config: Record<string, unknown>) => CkKafka; logLevel: { NOTHING: number; ERROR: number } };
}

/** The confluent client from CKJS_PATH (a directory whose node_modules holds it), or why it cannot be loaded. */
export function loadConfluent(ckjsPath: string | undefined): CkModule | string {
  if (!ckjsPath) return 'CKJS_PATH is not set (see docs/kafka-clients.md for the source build)';
  try {
    return createRequire(`${ckjsPath.replace(/\/$/, '')}/`)('@confluentinc/kafka-javascript') as CkModule;
  } catch (error) {
    return `cannot load @confluentinc/kafka-javascript from ${ckjsPath}: ${(error as Error).message.split('\n')[0]}`;
  }
}

export function confluentDriver(ck: CkModule, brokers: string[], clientId: string): ClientDriver {
  const kafka = new ck.KafkaJS.Kafka({ kafkaJS: { brokers, clientId, logLevel: ck.KafkaJS.logLevel.ERROR } });
  // sendOffsets takes the consumer itself (its group metadata: KIP-447); the bench's consumers by group
  const consumers = new Map<string, CkConsumer>();
  return {
    name: 'confluent',
    version: `@confluentinc/kafka-javascript (librdkafka ${ck.librdkafkaVersion})`,
    async producer() {
      // linger.ms 5 as librdkafka's default; each send is awaited as the services await theirs
      const producer = kafka.producer({ kafkaJS: { idempotent: true, acks: -1 } });
      await producer.connect();
      return { send: (messages) => sendAll(producer, messages), disconnect: () => producer.disconnect() };
    },
    async transactionalProducer(transactionalId) {
      const producer = kafka.producer({ kafkaJS: { transactionalId, idempotent: true, maxInFlightRequests: 1 } });
      await producer.connect();
      return {
        async transaction() {
          const tx = await fenced(producer.transaction());
          return {
            send: (messages) => fenced(sendAll(tx, messages)),
            async sendOffsets(groupId, offsets) {
              const consumer = consumers.get(groupId);
              if (!consumer) throw new Error(`confluent driver: no consumer of group ${groupId} to send offsets for`);
              const topics = [...new Set(offsets.map((o) => o.topic))].map((topic) => ({
                topic,
                partitions: offsets.filter((o) => o.topic === topic).map(({ partition, offset }) => ({ partition, offset })),
              }));
              await fenced(tx.sendOffsets({ consumer, topics }));
            },
            commit: () => fenced(tx.commit()),
            abort: () => fenced(tx.abort()),
          };
        },
        disconnect: () => producer.disconnect(),
      };
    },
    async consumer(groupId, { autoCommit }) {
      // eachBatch hands at most 32 records unless raised; 1000 is closer to what kafkajs and platformatic hand out
      const consumer = kafka.consumer({ kafkaJS: { groupId, fromBeginning: true, autoCommit }, 'js.consumer.max.batch.size': 1000 });
      await consumer.connect();
      consumers.set(groupId, consumer);
      return {
        subscribe: (topics) => consumer.subscribe({ topics }),
        run: (eachBatch) => consumer.run({ eachBatchAutoResolve: true, eachBatch: ({ batch }) => eachBatch(toBatch(batch)) }),
        disconnect: async () => {
          consumers.delete(groupId);
          await consumer.disconnect();
        },
      };
    },
  };
}

function toBatch(batch: CkBatch): Batch {
  return {
    topic: batch.topic,
    partition: batch.partition,
    highWatermark: batch.highWatermark,
    lastOffset: batch.lastOffset(),
    messages: batch.messages.map((m) => ({
      topic: batch.topic,
      partition: batch.partition,
      offset: m.offset,
      timestamp: m.timestamp,
      key: m.key,
      value: m.value,
      headers: {},
    })),
  };
}

async function sendAll(sender: CkSender, messages: OutgoingMessage[]): Promise<void> {
  const byTopic = new Map<string, unknown[]>();
  for (const m of messages) {
    const list = byTopic.get(m.topic) ?? [];
    list.push({ key: m.key, value: m.value, headers: m.headers, partition: m.partition, timestamp: m.timestamp });
    byTopic.set(m.topic, list);
  }
  await sender.sendBatch({ topicMessages: [...byTopic].map(([topic, list]) => ({ topic, messages: list })) });
}

/** librdkafka reports a fenced producer as ERR__FENCED (-144) or the broker's PRODUCER_FENCED / INVALID_PRODUCER_EPOCH */
async function fenced<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === -144 || code === 90 || code === 47 || /fenced/i.test(String((error as Error).message)))
      throw new ProducerFencedError(`producer fenced: ${(error as Error).message}`, { cause: error });
    throw error;
  }
}
