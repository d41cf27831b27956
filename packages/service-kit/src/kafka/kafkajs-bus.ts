import {
  type CompressionTypes,
  type IHeaders,
  Kafka,
  type Consumer as KafkaConsumer,
  logLevel as KafkaLogLevel,
  type Producer as KafkaProducer,
  type LogEntry,
  type Message,
} from 'kafkajs';
import type { Logger } from '../log/logger.ts';
import {
  type Admin,
  type Batch,
  type ConsumedMessage,
  type Consumer,
  type ConsumerOptions,
  type ConsumerState,
  type MessageBus,
  type OutgoingMessage,
  type PartitionProgress,
  type Producer,
  ProducerFencedError,
  type RunOptions,
  type TopicPartition,
  type Transaction,
  type TransactionalProducer,
} from './bus.ts';
import { JavaCompatiblePartitioner } from './java-partitioner.ts';
import type { KafkaAuth } from './kafka-auth.ts';
import {
  type CrashStreak,
  defaultRestartPolicy,
  isRetriableCrash,
  type RestartPolicy,
  recordCrash,
  restartDelayMs,
  shouldGiveUp,
} from './restart-policy.ts';
import { waitForLeaders } from './wait-for-topic.ts';

export interface KafkajsBusOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** how crashed consumers are restarted (restart-policy.ts); tests shorten it */
  restartPolicy?: Partial<RestartPolicy>;
  /** SASL/SCRAM principal (kafkaAuthFromSettings); none: PLAINTEXT, as on the default local stack */
  auth?: KafkaAuth;
  /**
   * consumer group session of this bus's consumers unless a consumer asks for its own (KAFKA_SESSION_TIMEOUT_MS
   * for the services); heartbeats every tenth of it. Default: kafkajs's 30 s.
   */
  sessionTimeoutMs?: number;
}

/** A consumer that gave up restarting: the service cannot go on. */
export interface ConsumerFailure {
  groupId: string;
  error: unknown;
}

export interface KafkajsBus extends MessageBus {
  healthy(): boolean;
  /**
   * Called once, when the first consumer of this bus gives up restarting (at once if one already has): the
   * composition root ends the service with a non-zero exit code.
   */
  onGiveUp(listener: (failure: ConsumerFailure) => void): void;
}

/** MessageBus on kafkajs 2.2.4. Everything kafkajs-specific in the project lives in this file. */
export function createKafkajsBus({
  brokers,
  clientId,
  logger,
  restartPolicy,
  auth,
  sessionTimeoutMs = 30_000,
}: KafkajsBusOptions): KafkajsBus {
  const log = logger.child({ component: 'kafkajs' });
  const policy: RestartPolicy = { ...defaultRestartPolicy, ...restartPolicy };
  let failure: ConsumerFailure | undefined;
  const giveUpListeners: Array<(failure: ConsumerFailure) => void> = [];
  const gaveUp = (given: ConsumerFailure) => {
    if (failure) return;
    failure = given;
    for (const listener of giveUpListeners.splice(0)) listener(given);
  };
  const kafka = new Kafka({
    clientId,
    brokers,
    // the password goes to kafkajs only; kafkajs's own messages name the user, never the password
    ...(auth ? { sasl: { mechanism: auth.mechanism, username: auth.username, password: auth.password } } : {}),
    // TLS verified against the stack's own CA (the broker's certificate and its host name, 127.0.0.1)
    ...(auth?.tls ? { ssl: { ca: [auth.tls.ca] } } : {}),
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
    healthy: () => failure === undefined,
    onGiveUp(listener) {
      if (failure) listener(failure);
      else giveUpListeners.push(listener);
    },

    async producer({ idempotent = true } = {}) {
      const producer = kafka.producer({
        idempotent,
        maxInFlightRequests: idempotent ? 1 : undefined,
        allowAutoTopicCreation: false,
        createPartitioner: JavaCompatiblePartitioner,
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
        createPartitioner: JavaCompatiblePartitioner,
      });
      await producer.connect();
      return {
        async transaction(): Promise<Transaction> {
          const tx = await fencing(producer.transaction());
          return {
            send: (messages) => fencing(sendGrouped(tx, messages)),
            sendOffsets: (groupId, offsets) =>
              fencing(
                tx.sendOffsets({
                  consumerGroupId: groupId,
                  topics: groupByTopic(offsets).map(([topic, items]) => ({
                    topic,
                    partitions: items.map(({ partition, offset }) => ({ partition, offset })),
                  })),
                }),
              ),
            commit: () => fencing(tx.commit()),
            abort: () => fencing(tx.abort()),
          };
        },
        disconnect: () => producer.disconnect(),
      } satisfies TransactionalProducer;
    },

    async consumer(options: ConsumerOptions) {
      const session = options.sessionTimeoutMs ?? sessionTimeoutMs;
      const create = () =>
        kafka.consumer({
          groupId: options.groupId,
          sessionTimeout: session,
          heartbeatInterval: options.heartbeatIntervalMs ?? Math.floor(session / 10),
          readUncommitted: options.readCommitted === false,
          // kafkajs's 5 s was how long every stop took: leaving waits for the fetch in flight, which an idle
          // partition holds for this long (a SIGTERM'd deliver, with a consumer per projection, needed 5 s and
          // more). A fetch returns as soon as records arrive, so this costs no latency; an idle consumer asks
          // once a second instead of every 5 s.
          maxWaitTimeInMs: options.maxWaitTimeMs ?? 1_000,
          allowAutoTopicCreation: false,
          // kafkajs restarts a crashed consumer itself only when it thinks the crash retriable, and never
          // after e.g. "Failed to find group coordinator" (a broker that is back but still loading): the
          // consumer was then gone for good, silently. Every restart is ours instead (superviseConsumer).
          retry: { retries: 5, restartOnFailure: async () => false },
        });
      const consumer = create();
      await consumer.connect();
      return superviseConsumer({
        create,
        first: consumer,
        groupId: options.groupId,
        readCommitted: options.readCommitted !== false,
        log,
        policy,
        onGiveUp: gaveUp,
      });
    },

    async admin() {
      const admin = kafka.admin();
      await admin.connect();
      // kafkajs's own waitForLeaders can give up under load: ours polls (wait-for-topic.ts)
      const allLed = (names: string[]) => async () => {
        const { topics } = await admin.fetchTopicMetadata({ topics: names });
        return topics.length === names.length && topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
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
            const names = missing.map((t) => t.name);
            await waitForLeaders(names, allLed(names));
          }
          return {
            created: missing.map((t) => t.name),
            existing: topics.filter((t) => existingNames.has(t.name)).map((t) => t.name),
          };
        },
        deleteTopics: (names) => admin.deleteTopics({ topics: names }),
        listTopics: () => admin.listTopics(),
        async topicOffsets(topic) {
          const offsets = await freshTopicRetry(() => admin.fetchTopicOffsets(topic));
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
 * Retries a metadata read about a topic that may have been created a moment ago: until every broker knows
 * its leaders, kafkajs answers with "not the leader" or "does not host this topic-partition" (retriable),
 * or, for a partition whose metadata is missing, a TypeError from inside its fetchTopicOffsets. Found by the
 * fault suite: deliver started beside the topic's creation and exited 1. Up to ~20 s, then the error.
 */
async function freshTopicRetry<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 1, delayMs = 100; ; attempt++, delayMs = Math.min(delayMs * 2, 2_000)) {
    try {
      return await read();
    } catch (error) {
      const transient = (error as { retriable?: boolean }).retriable === true || error instanceof TypeError;
      if (!transient || attempt >= 15) throw error;
      await new Promise((resolve) => setTimeout(resolve, delayMs / 2 + Math.random() * (delayMs / 2)));
    }
  }
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

/**
 * A Consumer over kafkajs consumers: when one crashes, a new kafkajs consumer (a new member of the same
 * group) is started after a jittered backoff, subscribed and run as the first was; it reads on from the
 * committed offsets. Restarting is given up by the restart policy (restart-policy.ts): then state() is
 * `failed` and onGiveUp is told.
 */
function superviseConsumer({
  create,
  first,
  groupId,
  readCommitted,
  log,
  policy,
  onGiveUp,
}: {
  create: () => KafkaConsumer;
  first: KafkaConsumer;
  groupId: string;
  /** whether batches carry the last stable offset: only a read_committed consumer stops there */
  readCommitted: boolean;
  log: Logger;
  policy: RestartPolicy;
  onGiveUp: (failure: ConsumerFailure) => void;
}): Consumer {
  let current = first;
  let state: ConsumerState = 'starting';
  let subscription: { topics: string[]; fromBeginning: boolean } | undefined;
  let runConfig: Parameters<KafkaConsumer['run']>[0] | undefined;
  const progressListeners: Array<(progress: PartitionProgress) => void> = [];
  const assignmentListeners: Array<(assignment: TopicPartition[]) => void> = [];
  let assigned: TopicPartition[] = [];
  let joinedAt = 0;
  let streak: CrashStreak | undefined;
  let restartTimer: NodeJS.Timeout | undefined;
  let restarting: Promise<void> | undefined;

  const watch = (consumer: KafkaConsumer) => {
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      if (consumer !== current || state === 'stopped' || state === 'failed') return;
      assigned = Object.entries(event.payload.memberAssignment).flatMap(([topic, partitions]) =>
        partitions.map((partition) => ({ topic, partition })),
      );
      // kafkajs keeps pauses across a rejoin (its subscription state outlives the assignment), also of a
      // partition that went away and came back: every join ends them (Consumer.pause). Emitted after the
      // assignment is in place and before the next fetch, synchronously: no batch of the new generation
      // sees a pause of the old one.
      consumer.resume((subscription?.topics ?? []).map((topic) => ({ topic })));
      if (state === 'restarting') log.info({ groupId, crashesInARow: streak?.crashes }, 'consumer restarted: back in its group');
      state = 'running';
      joinedAt = Date.now();
      for (const listener of assignmentListeners) listener(assigned.map((tp) => ({ ...tp })));
    });
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (consumer !== current) return;
      const progress: PartitionProgress = {
        topic: payload.topic,
        partition: payload.partition,
        lastOffset: String(payload.lastOffset),
        highWatermark: String(payload.highWatermark),
        lag: Number(payload.offsetLag),
      };
      for (const listener of progressListeners) listener(progress);
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (consumer === current) crashed(payload.error);
    });
  };

  const crashed = (error: unknown) => {
    if (state === 'stopped' || state === 'failed') return;
    const now = Date.now();
    if (state === 'running' && now - joinedAt >= policy.stableAfterMs) streak = undefined;
    const retriable = isRetriableCrash(error);
    streak = recordCrash(streak, { at: now, retriable });
    assigned = [];
    if (shouldGiveUp(streak, now, policy)) {
      state = 'failed';
      log.fatal({ err: error, groupId, crashesInARow: streak.crashes, retriable }, 'consumer crashed: restarting given up');
      current.disconnect().catch(() => {});
      onGiveUp({ groupId, error });
      return;
    }
    state = 'restarting';
    const delayMs = restartDelayMs(streak.crashes, policy);
    log.warn({ err: error, groupId, crashesInARow: streak.crashes, retriable, delayMs }, 'consumer crashed: starting a new one');
    clearTimeout(restartTimer);
    restartTimer = setTimeout(() => {
      restartTimer = undefined;
      restarting = restart().finally(() => {
        restarting = undefined;
      });
    }, delayMs);
  };

  const restart = async () => {
    await current.disconnect().catch(() => {}); // kafkajs disconnects a crashed consumer itself; this makes sure
    if (state !== 'restarting' || !subscription || !runConfig) return;
    const next = create();
    current = next;
    watch(next);
    try {
      await next.connect();
      await next.subscribe(subscription);
      // a start that fails (no coordinator yet) comes back as a CRASH event, and so to crashed()
      await next.run(runConfig);
    } catch (error) {
      if (next === current) crashed(error);
    }
  };

  watch(first);
  return {
    async subscribe(topics, { fromBeginning = true } = {}) {
      subscription = { topics, fromBeginning };
      await current.subscribe(subscription);
    },
    async run({ eachBatch, autoCommit, partitionsConcurrently = 1 }: RunOptions) {
      runConfig = {
        autoCommit,
        // kafkajs's workers: up to this many batches, each of another partition, in eachBatch at once
        partitionsConsumedConcurrently: partitionsConcurrently,
        // the whole batch is resolved only when the handler returns; a throw re-delivers it
        eachBatchAutoResolve: true,
        eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
          const ours: Batch = {
            topic: batch.topic,
            partition: batch.partition,
            highWatermark: batch.highWatermark,
            // kept on the batch by patches/kafkajs+2.2.4.patch (kafkajs decodes it, then dropped it); -1 from a
            // broker too old to say
            ...(readCommitted && batch.lastStableOffset !== undefined && BigInt(batch.lastStableOffset) >= 0n
              ? { lastStableOffset: batch.lastStableOffset }
              : {}),
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
      };
      await current.run(runConfig);
    },
    assignment: () => assigned,
    seek: ({ topic, partition, offset }) => current.seek({ topic, partition, offset }),
    pause: (partitions) => current.pause(byTopic(partitions)),
    resume: (partitions) => current.resume(byTopic(partitions)),
    paused: () => current.paused().flatMap(({ topic, partitions }) => partitions.map((partition) => ({ topic, partition }))),
    onAssignment(listener) {
      assignmentListeners.push(listener);
    },
    state: () => state,
    onProgress(listener) {
      progressListeners.push(listener);
    },
    disconnect: async () => {
      const wasFailed = state === 'failed';
      state = 'stopped';
      clearTimeout(restartTimer);
      await restarting;
      if (wasFailed) return current.disconnect().catch(() => {});
      await current.stop();
      await current.disconnect();
    },
  };
}

/**
 * kafkajs reports a fenced producer (INVALID_PRODUCER_EPOCH, PRODUCER_FENCED: a newer producer with the same
 * transactional id, or a transaction the broker expired) as a protocol error, possibly wrapped: it becomes
 * a ProducerFencedError, so the pipeline can tell it from other failures without knowing kafkajs.
 */
async function fencing<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    for (let e: unknown = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
      const type = (e as { type?: unknown }).type;
      if (type === 'INVALID_PRODUCER_EPOCH' || type === 'PRODUCER_FENCED')
        throw new ProducerFencedError(`producer fenced: ${(e as Error).message}`, { cause: error });
    }
    throw error;
  }
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

/** kafkajs's shape of a partition list: per topic */
function byTopic(partitions: TopicPartition[]): Array<{ topic: string; partitions: number[] }> {
  return groupByTopic(partitions).map(([topic, items]) => ({ topic, partitions: items.map((tp) => tp.partition) }));
}

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
