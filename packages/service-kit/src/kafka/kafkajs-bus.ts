import {
  type CompressionTypes,
  type IHeaders,
  Kafka,
  type Consumer as KafkaConsumer,
  logLevel as KafkaLogLevel,
  type Producer as KafkaProducer,
  type LogEntry,
  type Message,
  Partitioners,
} from 'kafkajs';
import type { Logger } from '../log/logger.ts';
import type {
  Admin,
  Batch,
  ConsumedMessage,
  Consumer,
  ConsumerOptions,
  MessageBus,
  OutgoingMessage,
  Producer,
  TopicPartition,
  Transaction,
  TransactionalProducer,
} from './bus.ts';

export interface KafkajsBusOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
}

/** MessageBus on kafkajs 2.2.4. Everything kafkajs-specific in the project lives in this file. */
export function createKafkajsBus({ brokers, clientId, logger }: KafkajsBusOptions): MessageBus {
  const log = logger.child({ component: 'kafkajs' });
  const kafka = new Kafka({
    clientId,
    brokers,
    // retriable broker trouble: exponential backoff with jitter, as kafkajs does, about 50 s in all. A short
    // first step matters: the broker answers back-to-back transactions with CONCURRENT_TRANSACTIONS until
    // the previous one's markers are written, a matter of milliseconds.
    retry: { initialRetryTime: 50, retries: 10, maxRetryTime: 30_000 },
    logLevel: KafkaLogLevel.WARN,
    logCreator: () => (entry: LogEntry) => {
      const { message, timestamp: _timestamp, logger: _logger, ...extra } = entry.log;
      log[kafkajsLevel(entry.level, `${message} ${String(extra.error ?? '')}`)]({ namespace: entry.namespace, ...extra }, message);
    },
  });

  return {
    async producer({ idempotent = true } = {}) {
      const producer = kafka.producer({
        idempotent,
        maxInFlightRequests: idempotent ? 1 : undefined,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      return {
        send: (messages) => sendGrouped(producer, messages),
        disconnect: () => producer.disconnect(),
      } satisfies Producer;
    },

    async transactionalProducer(transactionalId) {
      const producer = kafka.producer({
        transactionalId,
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      return {
        async transaction(): Promise<Transaction> {
          const tx = await producer.transaction();
          return {
            send: (messages) => sendGrouped(tx, messages),
            sendOffsets: (groupId, offsets) =>
              tx.sendOffsets({
                consumerGroupId: groupId,
                topics: groupByTopic(offsets).map(([topic, items]) => ({
                  topic,
                  partitions: items.map(({ partition, offset }) => ({ partition, offset })),
                })),
              }),
            commit: () => tx.commit(),
            abort: () => tx.abort(),
          };
        },
        disconnect: () => producer.disconnect(),
      } satisfies TransactionalProducer;
    },

    async consumer(options: ConsumerOptions) {
      const consumer = kafka.consumer({
        groupId: options.groupId,
        sessionTimeout: options.sessionTimeoutMs ?? 30_000,
        heartbeatInterval: options.heartbeatIntervalMs ?? 3_000,
        readUncommitted: options.readCommitted === false,
        allowAutoTopicCreation: false,
      });
      await consumer.connect();
      return wrapConsumer(consumer);
    },

    async admin() {
      const admin = kafka.admin();
      await admin.connect();
      // A new topic's metadata reaches the broker's cache a moment after creation; under load kafkajs's own
      // waitForLeaders can give up with "does not host this topic-partition". Poll until every partition
      // has a leader, up to 30 s.
      const waitForLeaders = async (names: string[]) => {
        const deadline = Date.now() + 30_000;
        for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
          try {
            const { topics } = await admin.fetchTopicMetadata({ topics: names });
            if (topics.length === names.length && topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)))
              return;
          } catch (error) {
            if (Date.now() > deadline) throw error;
          }
          if (Date.now() > deadline) throw new Error(`topics ${names.join(', ')} have no leader after 30 s`);
          await new Promise((r) => setTimeout(r, delay));
        }
      };
      return {
        async ensureTopics(topics) {
          const existingNames = new Set(await admin.listTopics());
          const missing = topics.filter((t) => !existingNames.has(t.name));
          if (missing.length > 0) {
            // another service may create the same topic at the same moment: that is fine (kafkajs
            // answers false for topics that already exist)
            await admin.createTopics({
              waitForLeaders: false,
              topics: missing.map((t) => ({
                topic: t.name,
                numPartitions: t.partitions,
                replicationFactor: t.replicationFactor,
                configEntries: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
              })),
            });
            await waitForLeaders(missing.map((t) => t.name));
          }
          return {
            created: missing.map((t) => t.name),
            existing: topics.filter((t) => existingNames.has(t.name)).map((t) => t.name),
          };
        },
        deleteTopics: (names) => admin.deleteTopics({ topics: names }),
        listTopics: () => admin.listTopics(),
        async topicOffsets(topic) {
          const offsets = await admin.fetchTopicOffsets(topic);
          return offsets.map((o) => ({ partition: o.partition, low: o.low, high: o.high })).sort((a, b) => a.partition - b.partition);
        },
        async groupOffsets(groupId, topic) {
          const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
          return (entry?.partitions ?? []).map((p) => ({ topic, partition: p.partition, offset: p.offset }));
        },
        disconnect: () => admin.disconnect(),
      } satisfies Admin;
    },
  };
}

/**
 * kafkajs logs a normal rebalance as errors ("The group is rebalancing"), the broker's retriable "wait for
 * the previous transaction to finish" (CONCURRENT_TRANSACTIONS) as errors too, and warns on every
 * idempotent producer because our retries are bounded on purpose (a dead broker must surface as an error,
 * not hang a shutdown). Those become debug; everything else keeps its level.
 */
function kafkajsLevel(level: KafkaLogLevel, message: string): 'error' | 'warn' | 'debug' {
  if (/rebalancing|Limiting retries for the idempotent producer|another concurrent operation on the same transaction/.test(message))
    return 'debug';
  if (level <= KafkaLogLevel.ERROR) return 'error';
  return level === KafkaLogLevel.WARN ? 'warn' : 'debug';
}

function wrapConsumer(consumer: KafkaConsumer): Consumer {
  let assigned: TopicPartition[] = [];
  consumer.on(consumer.events.GROUP_JOIN, (event) => {
    assigned = Object.entries(event.payload.memberAssignment).flatMap(([topic, partitions]) =>
      partitions.map((partition) => ({ topic, partition })),
    );
  });
  return {
    subscribe: (topics, { fromBeginning = true } = {}) => consumer.subscribe({ topics, fromBeginning }),
    async run({ eachBatch, autoCommit }) {
      await consumer.run({
        autoCommit,
        // the whole batch is resolved only when the handler returns; a throw re-delivers it
        eachBatchAutoResolve: true,
        eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
          const ours: Batch = {
            topic: batch.topic,
            partition: batch.partition,
            highWatermark: batch.highWatermark,
            lastOffset: batch.lastOffset(),
            messages: batch.messages.map(
              (m): ConsumedMessage => ({
                topic: batch.topic,
                partition: batch.partition,
                offset: m.offset,
                timestamp: m.timestamp,
                key: m.key,
                value: m.value,
                headers: toHeaders(m.headers),
              }),
            ),
          };
          await eachBatch(ours, { heartbeat, isRunning: () => isRunning() && !isStale() });
        },
      });
    },
    assignment: () => assigned,
    onProgress(listener) {
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        listener({
          topic: payload.topic,
          partition: payload.partition,
          lastOffset: String(payload.lastOffset),
          highWatermark: String(payload.highWatermark),
          lag: Number(payload.offsetLag),
        });
      });
    },
    disconnect: async () => {
      await consumer.stop();
      await consumer.disconnect();
    },
  };
}

interface Sender {
  sendBatch(batch: { topicMessages: { topic: string; messages: Message[] }[]; compression?: CompressionTypes }): Promise<unknown>;
}

/**
 * kafkajs puts everything for one partition in one record batch, and the broker refuses a batch above
 * message.max.bytes (1 MiB by default): a large fan-out would fail forever. So sends go out in chunks of
 * at most SEND_CHUNK_BYTES (record bytes, a safe margin below the limit); inside a transaction several
 * sends are one atomic unit all the same.
 */
const SEND_CHUNK_BYTES = 512 * 1024;

async function sendGrouped(sender: Sender | KafkaProducer, messages: OutgoingMessage[]): Promise<void> {
  for (const chunk of chunkByBytes(messages, SEND_CHUNK_BYTES)) {
    await sender.sendBatch({
      topicMessages: groupByTopic(chunk).map(([topic, items]) => ({
        topic,
        messages: items.map((m) => ({ key: m.key, value: m.value, headers: m.headers, partition: m.partition, timestamp: m.timestamp })),
      })),
    });
  }
}

export function chunkByBytes(messages: OutgoingMessage[], maxBytes: number): OutgoingMessage[][] {
  const chunks: OutgoingMessage[][] = [];
  let current: OutgoingMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size =
      byteLength(m.key) + byteLength(m.value) + Object.entries(m.headers ?? {}).reduce((n, [k, v]) => n + k.length + byteLength(v), 0) + 64;
    if (current.length > 0 && bytes + size > maxBytes) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

const byteLength = (v: Buffer | string | null | undefined): number =>
  v == null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;

function groupByTopic<T extends { topic: string }>(items: T[]): [string, T[]][] {
  const byTopic = new Map<string, T[]>();
  for (const item of items) {
    const list = byTopic.get(item.topic);
    if (list) list.push(item);
    else byTopic.set(item.topic, [item]);
  }
  return [...byTopic.entries()];
}

function toHeaders(headers: IHeaders | undefined): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = Buffer.isBuffer(first) ? first : Buffer.from(first);
  }
  return out;
}
