import { Partitioners } from 'kafkajs';
import type { ConsumedMessage, HeaderValue, OutgoingMessage, TopicSpec } from './bus.ts';

/**
 * The twin's topics: partition logs with Kafka's offsets and transaction visibility. Offsets are indexes
 * (nothing is ever deleted or compacted away, which Kafka also allows: compaction is lazy), and every
 * transaction marker takes an offset of its own, as on the broker.
 */

/** Shared by every record (and marker) one transaction wrote: read_committed readers look at its status. */
export interface TransactionStatus {
  status: 'open' | 'committed' | 'aborted';
}

export interface StoredRecord {
  offset: bigint;
  /** a transaction marker (commit or abort): takes an offset, never reaches a handler */
  control: boolean;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
  timestamp: string;
  transaction?: TransactionStatus;
}

/**
 * What kafkajs reports for a topic or partition the broker does not have (UNKNOWN_TOPIC_OR_PARTITION). The
 * broker calls it retriable (metadata may be late), so a producer to a topic nobody creates retries forever:
 * the twin fails the same way, with the same words.
 */
export class UnknownTopicOrPartitionError extends Error {
  readonly type = 'UNKNOWN_TOPIC_OR_PARTITION';
  readonly code = 3;
  readonly retriable = true;
  readonly topic: string;
  constructor(topic: string, partition?: number) {
    super(`This server does not host this topic-partition (${topic}${partition === undefined ? '' : `/${partition}`})`);
    this.name = 'KafkaJSProtocolError';
    this.topic = topic;
  }
}

export class PartitionLog {
  private readonly records: StoredRecord[] = [];
  /** open transactions with records here, and the offset of their first one (the last stable offset is the lowest) */
  private readonly open = new Map<TransactionStatus, bigint>();

  /** the next offset to be written (the high watermark: the twin has no replicas to wait for) */
  endOffset(): bigint {
    return BigInt(this.records.length);
  }

  /** read_committed readers stop here: at the first record of a transaction still open */
  lastStableOffset(): bigint {
    let lso = this.endOffset();
    for (const first of this.open.values()) if (first < lso) lso = first;
    return lso;
  }

  append(record: Omit<StoredRecord, 'offset'>): bigint {
    const offset = this.endOffset();
    this.records.push({ ...record, offset });
    const tx = record.transaction;
    if (tx && !record.control && tx.status === 'open' && !this.open.has(tx)) this.open.set(tx, offset);
    return offset;
  }

  /** writes the transaction's marker here, once its status is final: the stable offset moves past it */
  endTransaction(tx: TransactionStatus, timestamp: string): void {
    this.append({ control: true, key: null, value: null, headers: {}, timestamp, transaction: tx });
    this.open.delete(tx);
  }

  /**
   * Up to `maxRecords` stored records (markers and aborted records included) from `from`, below the high
   * watermark, or below the last stable offset for a read_committed reader.
   */
  slice(from: bigint, { readCommitted, maxRecords }: { readCommitted: boolean; maxRecords: number }): StoredRecord[] {
    const upper = readCommitted ? this.lastStableOffset() : this.endOffset();
    if (from >= upper || from < 0n) return [];
    const end = from + BigInt(maxRecords) < upper ? from + BigInt(maxRecords) : upper;
    return this.records.slice(Number(from), Number(end));
  }
}

export interface MemoryTopic {
  spec: TopicSpec;
  logs: PartitionLog[];
}

export const toBuffer = (v: HeaderValue | null | undefined): Buffer | null => (v == null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v));

export class TopicStore {
  private readonly topics = new Map<string, MemoryTopic>();
  // kafkajs's own default partitioner (murmur2 of the key, like the Java client): a key lands on the same
  // partition in the twin as on the broker
  private readonly partitioner = Partitioners.DefaultPartitioner();

  has(name: string): boolean {
    return this.topics.has(name);
  }

  names(): string[] {
    return [...this.topics.keys()];
  }

  create(spec: TopicSpec): boolean {
    if (this.topics.has(spec.name)) return false;
    if (!Number.isInteger(spec.partitions) || spec.partitions < 1)
      throw new Error(`topic ${spec.name}: partitions must be a positive integer`);
    this.topics.set(spec.name, { spec, logs: Array.from({ length: spec.partitions }, () => new PartitionLog()) });
    return true;
  }

  delete(name: string): void {
    this.topics.delete(name);
  }

  topic(name: string): MemoryTopic {
    const topic = this.topics.get(name);
    if (!topic) throw new UnknownTopicOrPartitionError(name);
    return topic;
  }

  log(name: string, partition: number): PartitionLog {
    const log = this.topic(name).logs[partition];
    if (!log) throw new UnknownTopicOrPartitionError(name, partition);
    return log;
  }

  /** the partition a message goes to: its own, else the key's (murmur2), else round robin */
  partitionFor(message: OutgoingMessage): number {
    const topic = this.topic(message.topic);
    const partition = this.partitioner({
      topic: message.topic,
      partitionMetadata: topic.logs.map((_, partitionId) => ({ partitionId, leader: 0, replicas: [0], isr: [0], partitionErrorCode: 0 })),
      message: { key: message.key, value: message.value, partition: message.partition },
    });
    this.log(message.topic, partition); // an explicit partition the topic does not have fails like on the broker
    return partition;
  }

  /** checks every message's topic and partition first, so a failing send writes nothing */
  place(messages: OutgoingMessage[]): Array<{ message: OutgoingMessage; log: PartitionLog }> {
    return messages.map((message) => ({ message, log: this.log(message.topic, this.partitionFor(message)) }));
  }
}

export function toStored(message: OutgoingMessage, now: () => number, transaction?: TransactionStatus): Omit<StoredRecord, 'offset'> {
  const headers: Record<string, Buffer> = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = toBuffer(value) as Buffer;
  return {
    control: false,
    key: toBuffer(message.key),
    value: toBuffer(message.value),
    headers,
    timestamp: message.timestamp ?? String(now()),
    transaction,
  };
}

/** Wakes whoever waits for the cluster to change (a write, a transaction's end, a rebalance, a seek, a stop): the twin needs no timers. */
export class ChangeSignal {
  private waiters: Array<() => void> = [];
  next(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  notify(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}

/** Whether a reader sees a stored record: never a marker; under read_committed only what a committed transaction (or none) wrote. */
export const isVisible = (record: StoredRecord, readCommitted: boolean): boolean =>
  !record.control && (!readCommitted || record.transaction === undefined || record.transaction.status === 'committed');

export const toConsumed = (record: StoredRecord, topic: string, partition: number): ConsumedMessage => ({
  topic,
  partition,
  offset: record.offset.toString(),
  timestamp: record.timestamp,
  key: record.key,
  value: record.value,
  headers: { ...record.headers },
});
