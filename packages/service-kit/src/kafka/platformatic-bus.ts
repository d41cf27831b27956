import {
  FetchIsolationLevels,
  FindCoordinatorKeyTypes,
  findErrorBy,
  ListOffsetTimestamps,
  murmur2,
  Admin as PAdmin,
  Consumer as PConsumer,
  Producer as PProducer,
  ProduceAcks,
  type RecordsBatch,
  type RetryDelayGetter,
} from '@platformatic/kafka';
import type { Logger } from '../log/logger.ts';
import {
  type Admin,
  type Batch,
  type ConsumedMessage,
  type Consumer,
  type ConsumerOptions,
  type ConsumerState,
  type OutgoingMessage,
  type PartitionProgress,
  type Producer,
  ProducerFencedError,
  type RunOptions,
  type TopicPartition,
  type TopicPartitionOffset,
  type TransactionalProducer,
} from './bus.ts';
import type { KafkaAuth } from './kafka-auth.ts';
import { type ConsumerFailure, chunkByBytes, type KafkajsBus } from './kafkajs-bus.ts';
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

/**
 * MessageBus on @platformatic/kafka (pure JS). Built for the client comparison of issue 10 (docs/kafka-clients.md);
 * the services still run on kafkajs-bus.ts. What it does differently from the kafkajs bus:
 * - sendOffsets carries the group's generation and member id when a consumer of the same group runs on this bus
 *   (KIP-447): a member that lost its partitions in a rebalance cannot commit their offsets any more;
 * - the consumer is our own fetch loop over the client's group membership and Fetch (the client's own stream
 *   hands out single messages, not per-partition batches with their last offset and high watermark); heartbeats
 *   run on the client's timer, so BatchContext.heartbeat has nothing to do.
 */
export interface PlatformaticBusOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  restartPolicy?: Partial<RestartPolicy>;
  auth?: KafkaAuth;
  /** longest a fetch waits at the broker for data; also how long disconnect() can wait for the fetch in flight */
  maxWaitTimeMs?: number;
}

/** healthy() and onGiveUp() as the kafkajs bus has them: runService takes either */
export type PlatformaticBus = KafkajsBus;

export function createPlatformaticBus({
  brokers,
  clientId,
  logger,
  restartPolicy,
  auth,
  maxWaitTimeMs = 500,
}: PlatformaticBusOptions): PlatformaticBus {
  const log = logger.child({ component: 'platformatic-kafka' });
  const policy: RestartPolicy = { ...defaultRestartPolicy, ...restartPolicy };
  let failure: ConsumerFailure | undefined;
  const giveUpListeners: Array<(failure: ConsumerFailure) => void> = [];
  const gaveUp = (given: ConsumerFailure) => {
    if (failure) return;
    failure = given;
    for (const listener of giveUpListeners.splice(0)) listener(given);
  };
  const base = {
    clientId,
    bootstrapBrokers: brokers,
    // the broker answers back-to-back transactions with CONCURRENT_TRANSACTIONS until the previous one's
    // markers are written (milliseconds): the client's default first retry after 1 s would dominate
    retries: 10,
    retryDelay: retryDelay,
    ...(auth ? { sasl: { mechanism: 'SCRAM-SHA-512' as const, username: auth.username, password: auth.password } } : {}),
    ...(auth?.tls ? { tls: { ca: [auth.tls.ca] } } : {}),
  };
  /**
   * the consumer of each group on this bus: sendOffsets takes the generation it fetched a partition in (KIP-447).
   * One per group, as in the services; a second consumer of the same group on the same bus takes the place.
   */
  const members = new Map<string, GroupMembership>();
  let coordinatorAdmin: PAdmin | undefined;
  const coordinators = new Map<string, number>();
  const coordinatorOf = async (groupId: string): Promise<number> => {
    const known = coordinators.get(groupId);
    if (known !== undefined) return known;
    coordinatorAdmin ??= new PAdmin(base);
    const [found] = await coordinatorAdmin.findCoordinator({ keyType: FindCoordinatorKeyTypes.GROUP, keys: [groupId] });
    if (!found) throw new Error(`no coordinator for group ${groupId}`);
    coordinators.set(groupId, found.nodeId);
    return found.nodeId;
  };

  return {
    healthy: () => failure === undefined,
    onGiveUp(listener) {
      if (failure) listener(failure);
      else giveUpListeners.push(listener);
    },

    async producer({ idempotent = true } = {}) {
      const producer = new PProducer({ ...base, idempotent, acks: ProduceAcks.ALL, partitioner: javaPartitioner() });
      if (idempotent) await producer.initIdempotentProducer({});
      return {
        async send(messages) {
          for (const chunk of chunkByBytes(messages, SEND_CHUNK_BYTES)) await producer.send({ messages: chunk.map(toRecord) });
        },
        disconnect: () => producer.close(),
      } satisfies Producer;
    },

    async transactionalProducer(transactionalId) {
      const producer = new PProducer({ ...base, transactionalId, idempotent: true, acks: ProduceAcks.ALL, partitioner: javaPartitioner() });
      return {
        async transaction() {
          // the first one runs InitProducerId: that fences older producers with this id and ends their open transaction
          // -1/-1 as the Java client sends it: the client's default 0/0 reads to the broker as an older epoch of
          // another producer, and a successor taking over a used id is refused with PRODUCER_FENCED
          const tx = await fencing(producer.beginTransaction({ producerId: -1n, producerEpoch: -1 }));
          return {
            async send(messages) {
              for (const chunk of chunkByBytes(messages, SEND_CHUNK_BYTES)) await fencing(tx.send({ messages: chunk.map(toRecord) }));
            },
            async sendOffsets(groupId, offsets) {
              // the client binds offsets to a consumer's message (AddOffsetsToTxn once, TxnOffsetCommit per offset).
              // KIP-447: an offset goes with the generation its records were fetched in, so a member that lost the
              // partition in a rebalance since is refused (ILLEGAL_GENERATION). Without a member of this bus the
              // broker takes generation -1: no fencing by group, as with kafkajs.
              await fencing(tx.addConsumer({ groupId } as unknown as PConsumer));
              for (const { topic, partition, offset } of offsets) {
                const member = members.get(groupId)?.fetchedBy(topic, partition) ?? {
                  groupId,
                  generationId: -1,
                  memberId: '',
                  coordinatorId: await coordinatorOf(groupId),
                };
                // addOffset commits message.offset + 1
                await fencing(tx.addOffset(offsetMessage(topic, partition, BigInt(offset) - 1n, member)));
              }
            },
            commit: () => fencing(tx.commit()),
            abort: () => fencing(tx.abort()),
          };
        },
        disconnect: () => producer.close(true),
      } satisfies TransactionalProducer;
    },

    async consumer(options: ConsumerOptions) {
      const consumer = new PConsumer({
        ...base,
        groupId: options.groupId,
        sessionTimeout: options.sessionTimeoutMs ?? 30_000,
        heartbeatInterval: options.heartbeatIntervalMs ?? 3_000,
        rebalanceTimeout: options.sessionTimeoutMs ?? 30_000,
        autocommit: false,
        maxWaitTime: options.maxWaitTimeMs ?? maxWaitTimeMs,
        isolationLevel: options.readCommitted === false ? FetchIsolationLevels.READ_UNCOMMITTED : FetchIsolationLevels.READ_COMMITTED,
      });
      const membership: GroupMembership = { fetchedBy: () => undefined };
      members.set(options.groupId, membership);
      return fetchLoopConsumer({
        consumer,
        membership,
        log,
        policy,
        maxWaitTimeMs: options.maxWaitTimeMs ?? maxWaitTimeMs,
        onGiveUp: (error) => gaveUp({ groupId: options.groupId, error }),
        onClosed: () => {
          if (members.get(options.groupId) === membership) members.delete(options.groupId);
        },
      });
    },

    async admin() {
      const admin = new PAdmin(base);
      const listOffsets = async (topic: string, timestamp: bigint) => {
        const metadata = await admin.metadata({ topics: [topic], forceUpdate: true });
        const count = metadata.topics.get(topic)?.partitionsCount ?? 0;
        const [listed] = await admin.listOffsets({
          topics: [{ name: topic, partitions: Array.from({ length: count }, (_, partitionIndex) => ({ partitionIndex, timestamp })) }],
        });
        return new Map((listed?.partitions ?? []).map((p) => [p.partitionIndex, p.offset]));
      };
      return {
        async ensureTopics(topics) {
          const existingNames = new Set(await admin.listTopics());
          const missing = topics.filter((t) => !existingNames.has(t.name));
          for (const t of missing) {
            try {
              await admin.createTopics({
                topics: [t.name],
                partitions: t.partitions,
                replicas: t.replicationFactor,
                configs: Object.entries(t.config ?? {}).map(([name, value]) => ({ name, value })),
              });
            } catch (error) {
              // another service may create the same topic at the same moment: that is fine
              if (!findErrorBy(error as Error, 'apiId', 'TOPIC_ALREADY_EXISTS')) throw error;
            }
          }
          if (missing.length > 0) {
            const names = missing.map((t) => t.name);
            await waitForLeaders(names, allLed(admin, names));
          }
          return {
            created: missing.map((t) => t.name),
            existing: topics.filter((t) => existingNames.has(t.name)).map((t) => t.name),
          };
        },
        deleteTopics: (names) => admin.deleteTopics({ topics: names }),
        listTopics: () => admin.listTopics(),
        async topicOffsets(topic) {
          const [low, high] = [
            await listOffsets(topic, ListOffsetTimestamps.EARLIEST),
            await listOffsets(topic, ListOffsetTimestamps.LATEST),
          ];
          return [...high.keys()]
            .sort((a, b) => a - b)
            .map((partition) => ({ partition, low: String(low.get(partition) ?? 0n), high: String(high.get(partition)) }));
        },
        async groupOffsets(groupId, topic) {
          // asked per partition, as kafkajs does: the broker then answers -1 for a partition without a commit
          const metadata = await admin.metadata({ topics: [topic] });
          const partitionIndexes = Array.from({ length: metadata.topics.get(topic)?.partitionsCount ?? 0 }, (_, i) => i);
          const [group] = await admin.listConsumerGroupOffsets({ groups: [{ groupId, topics: [{ name: topic, partitionIndexes }] }] });
          const entry = group?.topics.find((t) => t.name === topic);
          return (entry?.partitions ?? [])
            .map((p) => ({ topic, partition: p.partitionIndex, offset: String(p.committedOffset) }))
            .sort((a, b) => a.partition - b.partition);
        },
        disconnect: () => admin.close(),
      } satisfies Admin;
    },
  };
}

const SEND_CHUNK_BYTES = 512 * 1024;

const retryDelay: RetryDelayGetter = (_client, _operation, attempt) => {
  const ceiling = Math.min(25 * 2 ** attempt, 5_000); // attempt counts from 1: the first retry after 25-50 ms
  return ceiling / 2 + Math.random() * (ceiling / 2);
};

/**
 * Key to partition as the Java client and kafkajs's DefaultPartitioner do (murmur2 & 0x7fffffff; the client's
 * own default drops the mask), keyless records round-robin (the client's default puts them all on partition 0).
 */
export function javaPartitioner() {
  let next = 0;
  return (message: { partition?: number }, key: Buffer | undefined): number => {
    if (message.partition !== undefined) return message.partition;
    if (key) return murmur2(key) & 0x7fffffff;
    return next++ & 0x7fffffff;
  };
}

function toBuffer(value: Buffer | string): Buffer {
  return typeof value === 'string' ? Buffer.from(value) : value;
}

function toRecord(m: OutgoingMessage) {
  return {
    topic: m.topic,
    key: m.key == null ? undefined : toBuffer(m.key),
    value: m.value == null ? undefined : toBuffer(m.value),
    headers: new Map(Object.entries(m.headers ?? {}).map(([k, v]) => [Buffer.from(k), toBuffer(v)])),
    ...(m.partition !== undefined ? { partition: m.partition } : {}),
    ...(m.timestamp !== undefined ? { timestamp: BigInt(m.timestamp) } : {}),
  };
}

/** the shape Transaction.addOffset reads: where the offset goes and which group member commits it */
function offsetMessage(topic: string, partition: number, offset: bigint, consumer: Member) {
  return { topic, partition, offset, metadata: { consumer } } as unknown as Parameters<
    Awaited<ReturnType<PProducer['beginTransaction']>>['addOffset']
  >[0];
}

/**
 * A fenced producer (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH: a newer producer with the same transactional id,
 * or a transaction the broker expired) becomes a ProducerFencedError, as in the kafkajs bus.
 */
async function fencing<T>(operation: Promise<T>): Promise<T> {
  try {
    return await operation;
  } catch (error) {
    const fenced =
      findErrorBy(error as Error, 'apiId', 'PRODUCER_FENCED') ?? findErrorBy(error as Error, 'apiId', 'INVALID_PRODUCER_EPOCH');
    if (fenced) throw new ProducerFencedError(`producer fenced: ${fenced.message}`, { cause: error });
    throw error;
  }
}

/** whether every partition of the topics has a leader, in fresh metadata (for waitForLeaders) */
const allLed = (admin: PAdmin, names: string[]) => async (): Promise<boolean> => {
  const metadata = await admin.metadata({ topics: names, forceUpdate: true });
  return names.every(
    (n) => (metadata.topics.get(n)?.partitions ?? []).length > 0 && metadata.topics.get(n)?.partitions.every((p) => p.leader >= 0),
  );
};

/** a group member as TxnOffsetCommit names it */
interface Member {
  groupId: string;
  generationId: number;
  memberId: string;
  coordinatorId: number;
}

/** which member of the group (at which generation) handed out a partition's last batch on this bus */
interface GroupMembership {
  fetchedBy(topic: string, partition: number): Member | undefined;
}

const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`;

/**
 * Consumer as a loop: join the group (the client heartbeats on its own timer), read the committed offsets of
 * the assignment, then fetch from each partition leader and hand every partition's records to eachBatch in turn.
 * A paused partition is left out of the fetches until resume(), a rejoin or a crash (Consumer.pause).
 * A rejoin or seek() makes the batch in hand stale (isRunning false). A failing round (broker gone, a batch that
 * throws) is retried from the last handled position after the restart policy's backoff, and given up by it.
 */
function fetchLoopConsumer({
  consumer,
  membership,
  log,
  policy,
  maxWaitTimeMs,
  onGiveUp,
  onClosed,
}: {
  consumer: PConsumer;
  membership: GroupMembership;
  log: Logger;
  policy: RestartPolicy;
  maxWaitTimeMs: number;
  onGiveUp: (error: unknown) => void;
  onClosed: () => void;
}): Consumer {
  const groupId = consumer.groupId;
  let state: ConsumerState = 'starting';
  let topics: string[] = [];
  let fromBeginning = true;
  const progressListeners: Array<(progress: PartitionProgress) => void> = [];
  const assignmentListeners: Array<(assignment: TopicPartition[]) => void> = [];
  let assigned: TopicPartition[] = [];
  /** paused partitions: left out of every fetch until resume(), a rejoin or a crash (Consumer.pause) */
  const paused = new Set<string>();
  /** next offset to fetch per partition; missing: read from the committed offsets first */
  const positions = new Map<string, bigint>();
  /** bumped by a rejoin or a seek of the partition: a batch taken before is stale */
  const epochs = new Map<string, number>();
  let generation = 0;
  let stopping = false;
  let loop: Promise<void> | undefined;
  let streak: CrashStreak | undefined;
  let runningSince = 0;

  /** the client's own rejoin (after a heartbeat saw a rebalance) failed: the loop joins anew after a backoff */
  let rejoinFailed: unknown;
  let needJoin = false;
  // the client emits a failed rejoin as 'error': unheard, that would end the process
  consumer.on('error', (error: unknown) => {
    if (!stopping) rejoinFailed = error;
  });

  consumer.on('consumer:group:join', () => {
    generation++;
    assigned = (consumer.assignments ?? []).flatMap((a) => a.partitions.map((partition) => ({ topic: a.topic, partition })));
    positions.clear();
    paused.clear();
    for (const listener of assignmentListeners) listener(assigned.map((tp) => ({ ...tp })));
  });

  const fetchedBy = new Map<string, Member>();
  membership.fetchedBy = (topic, partition) => fetchedBy.get(partitionKey(topic, partition));

  const bump = (key: string) => epochs.set(key, (epochs.get(key) ?? 0) + 1);

  const startPositions = async () => {
    const missing = assigned.filter((tp) => !positions.has(partitionKey(tp.topic, tp.partition)));
    if (missing.length === 0) return;
    const byTopic = new Map<string, number[]>();
    for (const { topic, partition } of missing) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
    const committed = await consumer.listCommittedOffsets({ topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
    const fallback = await consumer.listOffsets({
      topics: [...byTopic.keys()],
      timestamp: fromBeginning ? ListOffsetTimestamps.EARLIEST : ListOffsetTimestamps.LATEST,
    });
    for (const { topic, partition } of missing) {
      const offset = committed.get(topic)?.[partition];
      const start = offset !== undefined && offset >= 0n ? offset : fallback.get(topic)?.[partition];
      if (start === undefined) throw new Error(`no start offset for ${topic}[${partition}]`);
      positions.set(partitionKey(topic, partition), start);
    }
  };

  const round = async (eachBatch: RunOptions['eachBatch'], autoCommit: boolean) => {
    const roundGeneration = generation;
    const member: Member | undefined =
      consumer.memberId !== null && consumer.coordinatorId !== null
        ? { groupId, generationId: consumer.generationId, memberId: consumer.memberId, coordinatorId: consumer.coordinatorId }
        : undefined;
    await startPositions();
    if (assigned.length === 0) {
      await new Promise((r) => setTimeout(r, 100));
      return;
    }
    const metadata = await consumer.metadata({ topics });
    const byNode = new Map<
      number,
      {
        topicId: string;
        partitions: {
          partition: number;
          fetchOffset: bigint;
          partitionMaxBytes: number;
          currentLeaderEpoch: number;
          lastFetchedEpoch: number;
        }[];
      }[]
    >();
    const topicOfId = new Map<string, string>();
    for (const { topic, partition } of assigned) {
      if (paused.has(partitionKey(topic, partition))) continue;
      const info = metadata.topics.get(topic);
      const fetchOffset = positions.get(partitionKey(topic, partition));
      if (!info || fetchOffset === undefined) continue;
      topicOfId.set(info.id, topic);
      const node = info.partitions[partition]?.leader ?? -1;
      const list = byNode.get(node) ?? [];
      list.push({
        topicId: info.id,
        partitions: [{ partition, fetchOffset, partitionMaxBytes: 1_048_576, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }],
      });
      byNode.set(node, list);
    }
    if (byNode.size === 0) {
      await new Promise((r) => setTimeout(r, 100)); // every partition paused: no busy loop
      return;
    }
    const responses = await Promise.all(
      [...byNode].map(([node, requested]) =>
        consumer.fetch({ node, topics: requested, maxWaitTime: maxWaitTimeMs, maxBytes: 8 * 1_048_576 }),
      ),
    );
    for (const response of responses) {
      for (const topicResponse of response.responses) {
        const topic = topicOfId.get(topicResponse.topicId) ?? topicResponse.topicId;
        for (const p of topicResponse.partitions) {
          if (stopping || generation !== roundGeneration) return;
          const key = partitionKey(topic, p.partitionIndex);
          if (paused.has(key)) continue; // paused by the batch of another partition in this round
          const from = positions.get(key);
          const recordBatches: RecordsBatch[] = p.records ?? [];
          if (from === undefined || recordBatches.length === 0) continue;
          const last = recordBatches[recordBatches.length - 1] as RecordsBatch;
          const lastOffset = last.firstOffset + BigInt(last.lastOffsetDelta);
          if (lastOffset < from) continue;
          const messages = toMessages(topic, p.partitionIndex, recordBatches, from);
          const epoch = epochs.get(key) ?? 0;
          const isRunning = () => !stopping && generation === roundGeneration && (epochs.get(key) ?? 0) === epoch;
          if (messages.length > 0) {
            const batch: Batch = {
              topic,
              partition: p.partitionIndex,
              messages,
              highWatermark: String(p.highWatermark),
              lastOffset: String(lastOffset),
            };
            if (member) fetchedBy.set(key, member);
            await eachBatch(batch, { heartbeat: async () => {}, isRunning });
          }
          // a seek() during the batch set the position itself
          if (!isRunning()) continue;
          positions.set(key, lastOffset + 1n);
          if (autoCommit)
            await consumer.commit({
              offsets: [{ topic, partition: p.partitionIndex, offset: lastOffset + 1n, leaderEpoch: last.partitionLeaderEpoch }],
            });
          const progress: PartitionProgress = {
            topic,
            partition: p.partitionIndex,
            lastOffset: String(lastOffset),
            highWatermark: String(p.highWatermark),
            lag: Number(p.highWatermark - lastOffset - 1n),
          };
          for (const listener of progressListeners) listener(progress);
        }
      }
    }
  };

  const runLoop = async (eachBatch: RunOptions['eachBatch'], autoCommit: boolean) => {
    while (!stopping) {
      try {
        if (rejoinFailed !== undefined) {
          const error = rejoinFailed;
          rejoinFailed = undefined;
          needJoin = true;
          throw error;
        }
        // not while the client is rejoining by itself (isActive() is false then): two joins would race
        if (needJoin || consumer.memberId === null) {
          consumer.topics.trackAll(...topics);
          await consumer.joinGroup({});
          needJoin = false;
          if (state !== 'running' && state !== 'stopped') {
            if (state === 'restarting') log.info({ groupId, crashesInARow: streak?.crashes }, 'consumer restarted: back in its group');
            state = 'running';
            runningSince = Date.now();
          }
        }
        await round(eachBatch, autoCommit);
      } catch (error) {
        if (stopping) return;
        const now = Date.now();
        if (state === 'running' && now - runningSince >= policy.stableAfterMs) streak = undefined;
        const retriable = isRetriableCrash(error) || (error as { canRetry?: unknown }).canRetry === true;
        streak = recordCrash(streak, { at: now, retriable });
        positions.clear();
        paused.clear(); // as a new kafkajs consumer after a crash: read on from the committed offsets
        if (shouldGiveUp(streak, now, policy)) {
          state = 'failed';
          log.fatal({ err: error, groupId, crashesInARow: streak.crashes, retriable }, 'consumer crashed: restarting given up');
          onGiveUp(error);
          return;
        }
        state = 'restarting';
        const delayMs = restartDelayMs(streak.crashes, policy);
        log.warn(
          { err: error, groupId, crashesInARow: streak.crashes, retriable, delayMs },
          'consumer crashed: reading on from the committed offsets',
        );
        await new Promise((r) => setTimeout(r, delayMs));
      }
    }
  };

  return {
    async subscribe(list, options = {}) {
      topics = list;
      fromBeginning = options.fromBeginning ?? true;
    },
    async run({ eachBatch, autoCommit }) {
      consumer.topics.trackAll(...topics);
      await consumer.joinGroup({});
      state = 'running';
      runningSince = Date.now();
      loop = runLoop(eachBatch, autoCommit);
    },
    assignment: () => assigned,
    seek({ topic, partition, offset }: TopicPartitionOffset) {
      const key = partitionKey(topic, partition);
      positions.set(key, BigInt(offset));
      bump(key);
    },
    pause(partitions) {
      for (const { topic, partition } of partitions) paused.add(partitionKey(topic, partition));
    },
    resume(partitions) {
      for (const { topic, partition } of partitions) paused.delete(partitionKey(topic, partition));
    },
    paused: () => assigned.filter(({ topic, partition }) => paused.has(partitionKey(topic, partition))),
    onAssignment(listener) {
      assignmentListeners.push(listener);
    },
    state: () => state,
    onProgress(listener) {
      progressListeners.push(listener);
    },
    async disconnect() {
      stopping = true;
      state = 'stopped';
      // the batch in hand finishes; a fetch or group request in flight is cut short by closing the client
      // (the loop then ends on its error) if it does not end within one fetch wait
      let waited: NodeJS.Timeout | undefined;
      await Promise.race([
        loop,
        new Promise((resolve) => {
          waited = setTimeout(resolve, maxWaitTimeMs + 1_000);
        }),
      ]);
      clearTimeout(waited);
      // a rejoin of the client's own still in flight when it closes throws "Connection pool is closed" from a
      // timer (uncaught): let it settle first, a few seconds at most
      for (const deadline = Date.now() + 5_000; consumer.memberId !== null && !consumer.isActive() && Date.now() < deadline; )
        await new Promise((r) => setTimeout(r, 50));
      onClosed();
      await consumer.close(true); // leaves the group
      await loop;
    },
  };
}

/** the records of a partition's batches from `from` on, control batches left out (aborted ones the client removed) */
function toMessages(topic: string, partition: number, batches: RecordsBatch[], from: bigint): ConsumedMessage[] {
  const out: ConsumedMessage[] = [];
  for (const batch of batches) {
    if (batch.attributes & IS_CONTROL) continue;
    for (const record of batch.records) {
      const offset = batch.firstOffset + BigInt(record.offsetDelta);
      if (offset < from) continue;
      const headers: Record<string, Buffer> = {};
      for (const [k, v] of record.headers) if (k && v) headers[k.toString()] = v;
      out.push({
        topic,
        partition,
        offset: String(offset),
        timestamp: String(batch.firstTimestamp + record.timestampDelta),
        key: record.key ?? null,
        value: record.value ?? null,
        headers,
      });
    }
  }
  return out;
}

const IS_CONTROL = 1 << 5;
