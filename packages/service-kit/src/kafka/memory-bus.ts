import type {
  Admin,
  ConsumedMessage,
  ConsumerOptions,
  MessageBus,
  OutgoingMessage,
  Producer,
  Transaction,
  TransactionalProducer,
} from './bus.ts';
import type { ConsumerFailure } from './kafkajs-bus.ts';
import { MemoryConsumer } from './memory-bus-consumer.ts';
import { type FaultContext, MemoryBusFaults, type MemoryBusOperation } from './memory-bus-faults.ts';
import { MemoryGroup } from './memory-bus-group.ts';
import { ChangeSignal, isVisible, type PartitionLog, TopicStore, type TransactionStatus, toConsumed, toStored } from './memory-bus-log.ts';
import { TransactionCoordinator } from './memory-bus-transactions.ts';
import type { RestartPolicy } from './restart-policy.ts';

export { type FaultOptions, MemoryBusFaultError, MemoryBusFaults, type MemoryBusOperation } from './memory-bus-faults.ts';
export { UnknownTopicOrPartitionError } from './memory-bus-log.ts';

export interface MemoryBusOptions {
  /** the clock of record timestamps and of the restart policy (default Date.now) */
  now?: () => number;
  /**
   * how crashed consumers are restarted; the twin's default restarts at once (1-2 ms) and gives up after
   * 5 non-retriable crashes in a row or 60 s of retriable ones
   */
  restartPolicy?: Partial<RestartPolicy>;
  /** records (markers included) per fetched batch (default 100) */
  maxBatchRecords?: number;
  /** failed batches a consumer member reads again before it crashes, in all (default 5, as kafkajs-bus's retrier) */
  batchRetries?: number;
}

export interface MemoryBus extends MessageBus {
  healthy(): boolean;
  /** called once, when the first consumer gives up restarting (at once if one already has), as KafkajsBus.onGiveUp */
  onGiveUp(listener: (failure: ConsumerFailure) => void): void;
  /** faults on purpose: `bus.faults.failNext('commit')` */
  readonly faults: MemoryBusFaults;
  /**
   * Resolves once every consumer of this bus has nothing left to do: every assigned partition read to its
   * end (its last stable offset under read_committed) or paused, no batch in hand, no restart pending, no
   * rebalance under way. How a unit test waits, without timers. Rejects after `timeoutMs` (default 3 s, below vitest's test timeout) of wall time.
   */
  settled(options?: { timeoutMs?: number }): Promise<void>;
  /**
   * Resolves once `condition` holds, checked every event-loop turn; rejects after `timeoutMs` (default 3 s).
   * For what settled() cannot wait for: a handler that holds its batch (an outage waited out), or a moment
   * in the middle of the stream.
   */
  waitUntil(condition: () => boolean, options?: { timeoutMs?: number }): Promise<void>;
  /** every record of a topic a reader would see (read_committed by default), partition by partition in offset order */
  read(topic: string, options?: { readCommitted?: boolean }): ConsumedMessage[];
  /** members of a group now, in join order */
  groupMembers(groupId: string): string[];
  /**
   * The group drops the member at once, as after a missed session timeout: its batch in hand goes on as a
   * zombie (isRunning() false), its partitions go to the others; afterwards it joins again as a new member.
   */
  evictMember(groupId: string, memberId: string): void;
  /** the committed offset of a group on a partition, or undefined */
  committedOffset(groupId: string, topic: string, partition: number): string | undefined;
}

const twinRestartPolicy: RestartPolicy = {
  initialDelayMs: 1,
  maxDelayMs: 2,
  retriableForMs: 60_000,
  nonRetriableRestarts: 5,
  stableAfterMs: 60_000,
};

/**
 * A broker-free MessageBus for unit tests: topics, partitions by key (kafkajs's murmur2 partitioner),
 * decimal-string offsets, consumer groups with eager rebalancing and committed offsets, transactions
 * (read_committed visibility, abort, markers that take offsets, fencing by transactional id), seek,
 * pause and resume (ended by every new assignment, as on kafkajs-bus), progress and lag, supervised consumers with the same restart policy as kafkajs-bus, and fault hooks.
 * Everything happens in this process and without timers except the restart delay of a crashed consumer.
 * It is no substitute for the real-broker tests: it is as faithful as the semantics listed here, no more
 * (memory-bus.parity.int.spec.ts runs one script on both and compares what a service sees). Known
 * differences: markers are written when commit() or abort() returns (the broker writes them a moment
 * later, so another producer's record may land in front of them); a rebalance waits for a batch in hand
 * for as long as it takes (the broker gives up after the rebalance timeout: evictMember does that on
 * purpose); nothing is ever compacted or expired, and open transactions never time out.
 */
export function createMemoryBus(options: MemoryBusOptions = {}): MemoryBus {
  const now = options.now ?? Date.now;
  const policy: RestartPolicy = { ...twinRestartPolicy, ...options.restartPolicy };
  const signal = new ChangeSignal();
  const topics = new TopicStore();
  const faults = new MemoryBusFaults(() => signal.notify());
  const coordinator = new TransactionCoordinator(signal, now);
  const groups = new Map<string, MemoryGroup>();
  const consumers = new Set<MemoryConsumer>();
  let failure: ConsumerFailure | undefined;
  const giveUpListeners: Array<(failure: ConsumerFailure) => void> = [];

  const groupFor = (groupId: string): MemoryGroup => {
    let group = groups.get(groupId);
    if (!group) {
      group = new MemoryGroup(groupId, topics, signal);
      groups.set(groupId, group);
    }
    return group;
  };

  /** throws the armed fault, if any; with afterEffect the caller runs `effect` first */
  const faulty = async <T>(operation: MemoryBusOperation, context: FaultContext, effect: () => T): Promise<T> => {
    const fault = faults.take(operation, context);
    if (!fault) return effect();
    if (fault.afterEffect) effect();
    throw fault.error;
  };

  /** writes the messages (all or none: every topic and partition is checked first), in a transaction if given */
  const append = (messages: OutgoingMessage[], transaction?: TransactionStatus): PartitionLog[] => {
    const placed = topics.place(messages);
    for (const { message, log } of placed) log.append(toStored(message, now, transaction));
    signal.notify();
    return placed.map((p) => p.log);
  };

  const firstTopic = (messages: OutgoingMessage[]) => messages[0]?.topic;

  const bus: MemoryBus = {
    faults,
    healthy: () => failure === undefined,
    onGiveUp(listener) {
      if (failure) listener(failure);
      else giveUpListeners.push(listener);
    },

    async producer() {
      let connected = true;
      return {
        async send(messages) {
          if (!connected) throw new Error('The producer is disconnected');
          await faulty('send', { topic: firstTopic(messages) }, () => append(messages));
        },
        async disconnect() {
          connected = false;
        },
      } satisfies Producer;
    },

    async transactionalProducer(transactionalId) {
      let epoch: number | undefined;
      let connected = true;
      const ready = () => {
        if (!connected) throw new Error('The producer is disconnected');
      };
      return {
        async transaction(): Promise<Transaction> {
          ready();
          const tx = await faulty('transaction', { transactionalId }, () => {
            // the first transaction initialises the id: that fences older producers with it
            if (epoch === undefined) epoch = coordinator.initialise(transactionalId);
            return coordinator.begin(transactionalId, epoch);
          });
          const open = () => {
            ready();
            coordinator.check(transactionalId, tx.epoch);
            if (tx.status.status !== 'open') throw new Error(`the transaction is already ${tx.status.status}`);
          };
          return {
            async send(messages) {
              open();
              await faulty('transactionalSend', { transactionalId, topic: firstTopic(messages) }, () => {
                for (const log of append(messages, tx.status)) tx.partitions.add(log);
              });
            },
            async sendOffsets(groupId, offsets) {
              open();
              await faulty('sendOffsets', { transactionalId, groupId }, () => {
                tx.offsets.push({ group: groupFor(groupId), offsets: offsets.map((o) => ({ ...o })) });
              });
            },
            async commit() {
              open();
              await faulty('commit', { transactionalId }, () => coordinator.end(tx, 'committed'));
            },
            async abort() {
              open();
              await faulty('abort', { transactionalId }, () => coordinator.end(tx, 'aborted'));
            },
          };
        },
        async disconnect() {
          // an open transaction stays open, as on the broker, until a new producer with the id ends it
          connected = false;
        },
      } satisfies TransactionalProducer;
    },

    async consumer({ groupId, readCommitted = true }: ConsumerOptions) {
      const consumer: MemoryConsumer = new MemoryConsumer({
        group: groupFor(groupId),
        topics,
        signal,
        faults,
        readCommitted,
        policy,
        now,
        maxBatchRecords: options.maxBatchRecords ?? 100,
        batchRetries: options.batchRetries ?? 5,
        onGiveUp: (error) => {
          if (failure) return;
          failure = { groupId, error };
          for (const listener of giveUpListeners.splice(0)) listener(failure);
        },
      });
      consumers.add(consumer);
      return consumer;
    },

    async admin() {
      return {
        async ensureTopics(specs) {
          const created: string[] = [];
          const existing: string[] = [];
          for (const spec of specs) (topics.create(spec) ? created : existing).push(spec.name);
          return { created, existing };
        },
        async deleteTopics(names) {
          for (const name of names) {
            topics.topic(name);
            topics.delete(name);
            for (const group of groups.values()) group.forgetTopic(name);
          }
          signal.notify();
        },
        listTopics: async () => topics.names(),
        async topicOffsets(topic) {
          return topics.topic(topic).logs.map((log, partition) => ({ partition, low: '0', high: log.endOffset().toString() }));
        },
        async groupOffsets(groupId, topic) {
          return faulty('groupOffsets', { groupId, topic }, () =>
            topics.topic(topic).logs.map((_, partition) => ({
              topic,
              partition,
              offset: groups.get(groupId)?.committedOffset(topic, partition)?.toString() ?? '-1',
            })),
          );
        },
        async disconnect() {},
      } satisfies Admin;
    },

    async settled({ timeoutMs = 3_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      // quiet twice in a row, an event-loop turn apart: a consumer just woken has had its chance to fetch
      for (let quietTurns = 0; quietTurns < 2; ) {
        quietTurns = [...consumers].every((c) => c.quiet()) ? quietTurns + 1 : 0;
        if (Date.now() > deadline) {
          const busy = [...consumers].filter((c) => !c.quiet()).map((c) => `${c.groupId} (${c.state()})`);
          throw new Error(`the memory bus did not settle within ${timeoutMs} ms: busy consumers ${busy.join(', ')}`);
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    },

    async waitUntil(condition, { timeoutMs = 3_000 } = {}) {
      const deadline = Date.now() + timeoutMs;
      while (!condition()) {
        if (Date.now() > deadline) throw new Error(`the condition did not hold within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    },

    read(topic, { readCommitted = true } = {}) {
      return topics.topic(topic).logs.flatMap((log, partition) =>
        log
          .slice(0n, { readCommitted, maxRecords: Number.MAX_SAFE_INTEGER })
          .filter((r) => isVisible(r, readCommitted))
          .map((r) => toConsumed(r, topic, partition)),
      );
    },

    groupMembers: (groupId) => groups.get(groupId)?.memberIds() ?? [],

    evictMember(groupId, memberId) {
      const consumer = [...consumers].find((c) => c.groupId === groupId && c.memberId() === memberId);
      if (!consumer?.evict()) throw new Error(`group ${groupId} has no member ${memberId}`);
    },

    committedOffset: (groupId, topic, partition) => groups.get(groupId)?.committedOffset(topic, partition)?.toString(),
  };
  return bus;
}
