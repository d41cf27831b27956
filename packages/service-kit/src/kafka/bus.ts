/**
 * The project's own, small view of Kafka. Services and tests use only these types, so the client behind
 * them (kafkajs today; @confluentinc/kafka-javascript or @platformatic/kafka later) can be swapped and
 * benchmarked without touching a service. Offsets are decimal strings, as Kafka's are 64-bit.
 */

export type HeaderValue = Buffer | string;

export interface OutgoingMessage {
  topic: string;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Record<string, HeaderValue>;
  /** explicit partition; otherwise the key decides (murmur2, like the Java client) */
  partition?: number;
  /**
   * record timestamp, epoch milliseconds as a string; otherwise the producer's clock. Recipient-facing
   * records set it themselves: the production instant is shared by every recipient of one event and
   * would join their records (see README, Privacy guarantees).
   */
  timestamp?: string;
}

export interface ConsumedMessage {
  topic: string;
  partition: number;
  offset: string;
  /** broker or producer time, epoch milliseconds as a string */
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, Buffer>;
}

export interface TopicPartitionOffset {
  topic: string;
  partition: number;
  /** the offset of the next message to read (last processed + 1) */
  offset: string;
}

export interface Producer {
  send(messages: OutgoingMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

/** One Kafka transaction: what is sent and the consumed offsets become visible together, or not at all. */
export interface Transaction {
  send(messages: OutgoingMessage[]): Promise<void>;
  sendOffsets(groupId: string, offsets: TopicPartitionOffset[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
}

export interface TransactionalProducer {
  /**
   * Begins a transaction. The first one of a producer initialises its transactional id: that fences every
   * older producer with the same id and ends (commits or aborts) a transaction it left open.
   */
  transaction(): Promise<Transaction>;
  disconnect(): Promise<void>;
}

/**
 * A newer producer with the same transactional id exists (or the broker expired this one's transaction):
 * this producer can never commit again. Make a new one; what it reads must start from the committed offsets.
 */
export class ProducerFencedError extends Error {
  readonly retriable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProducerFencedError';
  }
}

/** Whether an error, or one of its causes, is a ProducerFencedError. */
export function isProducerFenced(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) if (e instanceof ProducerFencedError) return true;
  return false;
}

export interface Batch {
  topic: string;
  partition: number;
  messages: ConsumedMessage[];
  highWatermark: string;
  /**
   * Where a read_committed consumer can read to now: the first record of a transaction still open, or the
   * high watermark when none is. A batch that ends here is caught up although records of open transactions
   * lie beyond it. Absent for a read_uncommitted consumer, or when the client does not say.
   */
  lastStableOffset?: string;
  /**
   * Offset of the last record fetched, transaction markers and aborted records included: commit
   * lastOffset + 1 so the committed position does not stop in front of a marker (which would read as lag).
   */
  lastOffset: string;
}

export interface BatchContext {
  /** call during long work so the group does not think this member died */
  heartbeat(): Promise<void>;
  /** false once stop() was called or the member lost the partition: finish or abandon the batch */
  isRunning(): boolean;
}

export interface RunOptions {
  eachBatch(batch: Batch, context: BatchContext): Promise<void>;
  /**
   * true: offsets of each handled batch are committed by the consumer (at-least-once).
   * false: the handler commits them itself, e.g. with Transaction.sendOffsets (exactly-once).
   */
  autoCommit: boolean;
  /**
   * Batches of up to this many different partitions are handed to eachBatch at once (default 1: one batch
   * at a time). A partition's own batches still come one after another, each once the one before it
   * returned; what eachBatch shares across partitions must bear being entered again at every await.
   */
  partitionsConcurrently?: number;
}

/**
 * Where a consumer is: `starting` until it first joins its group, `running` once it has, `restarting` after a
 * crash while a new member of the same group is being started (with backoff), `failed` when restarting was
 * given up (the service cannot go on), `stopped` after disconnect().
 */
export type ConsumerState = 'starting' | 'running' | 'restarting' | 'failed' | 'stopped';

export interface Consumer {
  subscribe(topics: string[], options?: { fromBeginning?: boolean }): Promise<void>;
  /**
   * Starts consuming. A consumer that crashes (broker or coordinator gone, a batch that keeps failing) is
   * restarted as a new member of the same group, with backoff and jitter, and reads on from the committed
   * offsets; state() says how that goes.
   */
  run(options: RunOptions): Promise<void>;
  /** partitions currently assigned to this member */
  assignment(): TopicPartition[];
  /** the next fetch of this (assigned) partition starts at `offset`: the batch in hand becomes stale */
  seek(position: TopicPartitionOffset): void;
  /**
   * No batch of these partitions is handed to eachBatch (nor fetched) until resume(), or until the member takes
   * up a new assignment: every rebalance, and every restart of a crashed consumer, ends every pause, and a
   * partition is then read from its committed offset like any other (onAssignment). A batch of a paused
   * partition already in eachBatch finishes. kafkajs itself keeps pauses across rebalances; kafkajs-bus ends
   * them at every join so all buses agree, and a partition paused on one member and given back to it later
   * is not silently left paused.
   */
  pause(partitions: TopicPartition[]): void;
  /** fetching of these paused partitions goes on from their position */
  resume(partitions: TopicPartition[]): void;
  /** the assigned partitions that are paused now */
  paused(): TopicPartition[];
  /**
   * Called each time the member takes up an assignment (it joined its group, the group rebalanced, a crashed
   * consumer's successor joined), before any batch of it, with the partitions it holds now. No partition is
   * paused then.
   */
  onAssignment(listener: (assignment: TopicPartition[]) => void): void;
  state(): ConsumerState;
  /**
   * Called after every fetched batch, also for batches that held only transaction markers, with the
   * position reached: how a reader knows it has caught up with a topic, and what lag metrics read.
   */
  onProgress(listener: (progress: PartitionProgress) => void): void;
  /** stops fetching, lets the batch in hand finish, commits (autoCommit), leaves the group */
  disconnect(): Promise<void>;
}

export interface TopicPartition {
  topic: string;
  partition: number;
}

export interface PartitionProgress {
  topic: string;
  partition: number;
  /** offset of the last record of the batch, transaction markers included */
  lastOffset: string;
  highWatermark: string;
  /** records behind the end of the partition after this batch */
  lag: number;
}

export interface TopicSpec {
  name: string;
  partitions: number;
  replicationFactor: number;
  /** e.g. { 'cleanup.policy': 'compact', 'retention.ms': '604800000' } */
  config?: Record<string, string>;
}

export interface PartitionOffsets {
  partition: number;
  /** earliest available */
  low: string;
  /** next offset to be written */
  high: string;
}

export interface Admin {
  /** creates the missing ones; existing topics are left as they are and reported */
  ensureTopics(topics: TopicSpec[]): Promise<{ created: string[]; existing: string[] }>;
  deleteTopics(names: string[]): Promise<void>;
  listTopics(): Promise<string[]>;
  topicOffsets(topic: string): Promise<PartitionOffsets[]>;
  /** committed offsets of a group on a topic; "-1" where nothing is committed */
  groupOffsets(groupId: string, topic: string): Promise<TopicPartitionOffset[]>;
  disconnect(): Promise<void>;
}

export interface ConsumerOptions {
  groupId: string;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** only committed transactional writes are read (default true) */
  readCommitted?: boolean;
  /**
   * longest a fetch waits for new records (kafkajs bus: 1 s when not given; kafkajs's own default is 5 s).
   * Leaving waits for the fetch in flight, so a reader that stops once caught up (followTopic in a tool)
   * leaves sooner with a short one.
   */
  maxWaitTimeMs?: number;
}

export interface MessageBus {
  producer(options?: { idempotent?: boolean }): Promise<Producer>;
  /** one transactional id per input partition: kafkajs cannot fence zombies by group generation (no KIP-447) */
  transactionalProducer(transactionalId: string): Promise<TransactionalProducer>;
  consumer(options: ConsumerOptions): Promise<Consumer>;
  admin(): Promise<Admin>;
  /**
   * false once a consumer made by this bus has given up restarting (then the service must stop, with an
   * error). A wrapper that delegates to another bus may leave it out.
   */
  healthy?(): boolean;
}
