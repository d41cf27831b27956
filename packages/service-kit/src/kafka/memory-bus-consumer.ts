import type {
  Batch,
  BatchContext,
  Consumer,
  ConsumerState,
  PartitionProgress,
  RunOptions,
  TopicPartition,
  TopicPartitionOffset,
} from './bus.ts';
import type { MemoryBusFaults } from './memory-bus-faults.ts';
import { type GroupMember, type MemoryGroup, partitionKey } from './memory-bus-group.ts';
import { type ChangeSignal, isVisible, type TopicStore, toConsumed } from './memory-bus-log.ts';
import { type CrashStreak, isRetriableCrash, type RestartPolicy, recordCrash, restartDelayMs, shouldGiveUp } from './restart-policy.ts';

export interface MemoryConsumerDeps {
  group: MemoryGroup;
  topics: TopicStore;
  signal: ChangeSignal;
  faults: MemoryBusFaults;
  readCommitted: boolean;
  policy: RestartPolicy;
  now: () => number;
  maxBatchRecords: number;
  /** failed batches a member reads again before it crashes, in all (kafkajs-bus: retry.retries) */
  batchRetries: number;
  onGiveUp: (error: unknown) => void;
}

/** Lets timers and I/O run between batches: a twin made only of resolved promises would starve them. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A consumer of the twin, supervised like kafkajs-bus's: one group member at a time fetches batches of its
 * assigned partitions, in turn, and hands each to eachBatch: one at a time, or with
 * RunOptions.partitionsConcurrently up to that many at once, each of another partition (a partition's next
 * batch is fetched once its batch in hand returned), as kafkajs's workers do.
 *
 * A paused partition is not fetched until resume() or the next assignment taken up (Consumer.pause).
 *
 * As kafkajs does: a batch of markers and aborted records only is not handed over, but moves the position
 * and is reported through onProgress; a handler that throws gets the same batch again (from the position),
 * and after batchRetries such retries (in all, as kafkajs's retrier counts) the member crashes; a crash (also a fetch fault) makes it leave the group,
 * and a new member joins after the restart policy's delay and reads on from the committed offsets; when the
 * policy gives up the state is `failed` and the bus is told. A member evicted by the group (a session
 * timeout) finishes its batch as a zombie, with isRunning() false, then joins again.
 */
export class MemoryConsumer implements Consumer {
  private current: ConsumerState = 'starting';
  private subscription?: { topics: string[]; fromBeginning: boolean };
  private runOptions?: RunOptions;
  private member?: GroupMember;
  private readonly positions = new Map<string, bigint>();
  /** seeks per partition: a batch is stale once its partition was sought after it was fetched */
  private readonly seeks = new Map<string, number>();
  private readonly listeners: Array<(progress: PartitionProgress) => void> = [];
  private readonly assignmentListeners: Array<(assignment: TopicPartition[]) => void> = [];
  /** paused partitions (assigned or not, as kafkajs keeps them), until resumed or the next assignment is taken up */
  private readonly pausedKeys = new Set<string>();
  private loop: Promise<void> = Promise.resolve();
  private stopping = false;
  /** batches handed to eachBatch and not returned yet, by partition */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** an assignment taken up whose positions are read once the group has settled */
  private unpositioned?: TopicPartition[];
  private waiting = false;
  private cursor = 0;
  private streak?: CrashStreak;
  private joinedAt = 0;
  private restartTimer?: NodeJS.Timeout;
  /** crashes so far, for tests */
  crashes = 0;

  private readonly deps: MemoryConsumerDeps;

  constructor(deps: MemoryConsumerDeps) {
    this.deps = deps;
  }

  get groupId(): string {
    return this.deps.group.groupId;
  }

  async subscribe(topics: string[], { fromBeginning = true } = {}): Promise<void> {
    for (const topic of topics) this.deps.topics.topic(topic); // a missing topic fails as on the broker
    this.subscription = { topics: [...topics], fromBeginning };
  }

  async run(options: RunOptions): Promise<void> {
    if (!this.subscription) throw new Error('subscribe before run');
    if (this.runOptions) throw new Error('the consumer is already running');
    this.runOptions = options;
    this.start();
  }

  assignment(): TopicPartition[] {
    return this.member?.inGroup ? this.member.assignment.map((tp) => ({ ...tp })) : [];
  }

  seek({ topic, partition, offset }: TopicPartitionOffset): void {
    const key = partitionKey(topic, partition);
    this.positions.set(key, BigInt(offset));
    this.seeks.set(key, (this.seeks.get(key) ?? 0) + 1);
    this.deps.signal.notify();
  }

  pause(partitions: TopicPartition[]): void {
    if (!this.runOptions) throw new Error('consumer#run must be called first'); // as kafkajs
    for (const { topic, partition } of partitions) this.pausedKeys.add(partitionKey(topic, partition));
  }

  resume(partitions: TopicPartition[]): void {
    if (!this.runOptions) throw new Error('consumer#run must be called first');
    for (const { topic, partition } of partitions) this.pausedKeys.delete(partitionKey(topic, partition));
    this.deps.signal.notify();
  }

  paused(): TopicPartition[] {
    return this.assignment().filter(({ topic, partition }) => this.pausedKeys.has(partitionKey(topic, partition)));
  }

  onAssignment(listener: (assignment: TopicPartition[]) => void): void {
    this.assignmentListeners.push(listener);
  }

  state(): ConsumerState {
    return this.current;
  }

  onProgress(listener: (progress: PartitionProgress) => void): void {
    this.listeners.push(listener);
  }

  async disconnect(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    this.deps.signal.notify();
    await this.loop;
    if (this.member) this.deps.group.leave(this.member);
    this.member = undefined;
    this.current = 'stopped';
  }

  /** nothing to do now: stopped or failed, or waiting with every assigned partition read to its (stable) end */
  quiet(): boolean {
    if (this.current === 'stopped' || this.current === 'failed') return true;
    if (!this.runOptions) return true; // never run: nothing it would do
    if (!this.member || this.inFlight.size > 0 || this.unpositioned || !this.waiting || !this.deps.group.settled()) return false;
    return this.nextBatch(this.member, { peek: true }) === undefined;
  }

  /** the group drops this consumer's member at once, as after a missed session timeout (the bus's evictMember) */
  evict(): boolean {
    if (!this.member?.inGroup) return false;
    this.deps.group.leave(this.member);
    return true;
  }

  memberId(): string | undefined {
    return this.member?.inGroup ? this.member.memberId : undefined;
  }

  private start(): void {
    if (!this.subscription) return;
    const member = this.deps.group.join(this.subscription.topics);
    this.member = member;
    this.loop = this.runLoop(member);
  }

  private async runLoop(first: GroupMember): Promise<void> {
    const { group, signal, faults } = this.deps;
    const concurrency = Math.max(1, this.runOptions?.partitionsConcurrently ?? 1);
    let member = first;
    let failures = 0;
    /** the failure past batchRetries: the member crashes once its other batches in hand have returned */
    let fatal: { error: unknown } | undefined;
    await yieldToEventLoop(); // run() returns before the first batch is handled, as kafkajs's does
    while (!this.stopping && this.member === member) {
      if (fatal) {
        await this.drain();
        this.crash(member, fatal.error);
        return;
      }
      if (!member.inGroup) {
        // evicted: kafkajs answers UNKNOWN_MEMBER_ID by joining again, as a new member, once its batches in hand returned
        await this.drain();
        if (this.stopping || this.member !== member) break;
        member = group.join(this.subscription?.topics ?? []);
        this.member = member;
        failures = 0;
      }
      const wake = signal.next();
      // a new generation is taken up only with no batch in hand (eager rebalancing: they finish first)
      if (member.generation !== group.generation && this.inFlight.size > 0) {
        await this.waitFor(wake);
        continue;
      }
      const taken = group.takeUp(member);
      if (taken) this.tookUp(taken);
      if (!group.settled() || this.inFlight.size >= concurrency) {
        await this.waitFor(wake);
        continue;
      }
      if (this.unpositioned) this.startPositions(this.unpositioned);
      const fault = faults.take('fetch', { groupId: group.groupId });
      if (fault) {
        await this.drain();
        this.crash(member, fault.error);
        return;
      }
      const batch = this.nextBatch(member, { peek: false });
      if (!batch) {
        await this.waitFor(wake);
        continue;
      }
      if (batch.messages.length === 0) {
        this.finished(member, batch); // markers or aborted records only: no handler, as kafkajs
      } else {
        const key = partitionKey(batch.topic, batch.partition);
        const handled = this.handle(member, batch).then((error) => {
          this.inFlight.delete(key);
          // kafkajs's retrier counts every failure of a member's run, not only failures in a row
          if (error !== undefined && ++failures > this.deps.batchRetries) fatal ??= { error };
          signal.notify(); // after the bookkeeping: the loop may be waiting for a free slot
        });
        this.inFlight.set(key, handled);
        if (concurrency === 1) await handled;
      }
      await yieldToEventLoop();
    }
    await this.drain(); // disconnect() lets the batches in hand finish
  }

  /** waits until every batch in hand has returned */
  private async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight.values());
  }

  private async waitFor(wake: Promise<void>): Promise<void> {
    this.waiting = true;
    await wake;
    this.waiting = false;
  }

  /**
   * a new generation's assignment: every position from the committed offset, as kafkajs after a rejoin
   * (startPositions), and no partition paused, as kafkajs-bus after every join
   */
  private tookUp(assignment: TopicPartition[]): void {
    this.positions.clear();
    this.pausedKeys.clear();
    // the positions are read once every member has taken the generation up (kafkajs: after SyncGroup), so
    // that they include what the others committed while finishing their batches in hand
    this.unpositioned = assignment;
    this.cursor = 0;
    if (this.current === 'starting' || this.current === 'restarting') {
      this.current = 'running';
      this.joinedAt = this.deps.now();
    }
    for (const listener of this.assignmentListeners) listener(assignment.map((tp) => ({ ...tp })));
  }

  /** every position from the committed offset */
  private startPositions(assignment: TopicPartition[]): void {
    const { group, topics } = this.deps;
    this.unpositioned = undefined;
    for (const { topic, partition } of assignment) {
      const committed = group.committedOffset(topic, partition);
      const start = committed ?? (this.subscription?.fromBeginning ? 0n : topics.log(topic, partition).endOffset());
      this.positions.set(partitionKey(topic, partition), start);
    }
  }

  /** the next partition with something to read, no batch in hand and not paused, in turn; the records from its position */
  private nextBatch(member: GroupMember, { peek }: { peek: boolean }): Batch | undefined {
    const { topics, readCommitted, maxBatchRecords } = this.deps;
    const count = member.assignment.length;
    for (let i = 0; i < count; i++) {
      const index = (this.cursor + i) % count;
      const { topic, partition } = member.assignment[index] as TopicPartition;
      const key = partitionKey(topic, partition);
      const position = this.positions.get(key);
      if (position === undefined || this.inFlight.has(key) || this.pausedKeys.has(key) || !topics.has(topic)) continue;
      const log = topics.log(topic, partition);
      const records = log.slice(position, { readCommitted, maxRecords: peek ? 1 : maxBatchRecords });
      const last = records.at(-1);
      if (!last) continue;
      if (!peek) this.cursor = index + 1;
      return {
        topic,
        partition,
        messages: records.filter((r) => isVisible(r, readCommitted)).map((r) => toConsumed(r, topic, partition)),
        highWatermark: log.endOffset().toString(),
        ...(readCommitted ? { lastStableOffset: log.lastStableOffset().toString() } : {}),
        lastOffset: last.offset.toString(),
      };
    }
    return undefined;
  }

  /** runs the handler; the error it threw, if it did */
  private async handle(member: GroupMember, batch: Batch): Promise<unknown> {
    const key = partitionKey(batch.topic, batch.partition);
    const seekMark = this.seeks.get(key) ?? 0;
    const context: BatchContext = {
      heartbeat: async () => {},
      isRunning: () => !this.stopping && this.member === member && member.inGroup && (this.seeks.get(key) ?? 0) === seekMark,
    };
    try {
      await this.runOptions?.eachBatch(batch, context);
    } catch (error) {
      return error ?? new Error('eachBatch threw undefined');
    } finally {
      this.deps.signal.notify(); // a rebalance may be waiting for this batch to end
    }
    if ((this.seeks.get(key) ?? 0) === seekMark) this.finished(member, batch);
    else this.report(batch);
    return undefined;
  }

  /** the position moves past the batch (markers included), autoCommit commits it, progress is reported */
  private finished(member: GroupMember, batch: Batch): void {
    const next = BigInt(batch.lastOffset) + 1n;
    this.positions.set(partitionKey(batch.topic, batch.partition), next);
    // a member the group dropped meanwhile cannot commit (the broker answers UNKNOWN_MEMBER_ID)
    if (this.runOptions?.autoCommit && member.inGroup) this.deps.group.commit(batch.topic, batch.partition, next);
    this.report(batch);
  }

  private report(batch: Batch): void {
    const progress: PartitionProgress = {
      topic: batch.topic,
      partition: batch.partition,
      lastOffset: batch.lastOffset,
      highWatermark: batch.highWatermark,
      lag: Number(BigInt(batch.highWatermark) - 1n - BigInt(batch.lastOffset)),
    };
    for (const listener of this.listeners) listener(progress);
  }

  /** the member leaves its group; a new one is started after the policy's delay, or restarting is given up */
  private crash(member: GroupMember, error: unknown): void {
    if (this.member !== member) return;
    const { group, policy, now } = this.deps;
    this.crashes++;
    this.member = undefined;
    group.leave(member);
    const at = now();
    if (this.current === 'running' && at - this.joinedAt >= policy.stableAfterMs) this.streak = undefined;
    this.streak = recordCrash(this.streak, { at, retriable: isRetriableCrash(error) });
    if (shouldGiveUp(this.streak, at, policy)) {
      this.current = 'failed';
      this.deps.onGiveUp(error);
      return;
    }
    this.current = 'restarting';
    this.restartTimer = setTimeout(
      () => {
        this.restartTimer = undefined;
        if (this.current === 'restarting' && !this.stopping) this.start();
      },
      restartDelayMs(this.streak.crashes, policy),
    );
  }
}
