import type { Registry } from 'prom-client';
import type { Batch, BatchContext, ConsumedMessage, ConsumerState, MessageBus, OutgoingMessage, TopicPartition } from '../kafka/bus.ts';
import {
  type BatchOutcome,
  type CommitPolicy,
  HOLD_BATCH,
  PAUSE_PARTITION,
  startTransactionalPipeline,
} from '../kafka/transactional-pipeline.ts';
import type { Logger } from '../log/logger.ts';
import { createEdgeMeter } from '../metrics/edge-instruments.ts';
import type { DeadLetterReason, DeadLetterWriter } from '../registry/dead-letter.ts';
import { classifyError, poisonReason } from '../registry/errors.ts';
import { type Backoff, retryWhileRetriable } from '../registry/retry.ts';
import { addCount, createEdgeMetrics, type EdgeMetrics } from './edge-metrics.ts';

/** A record that decoded, with where it came from. */
export interface EdgeRecord<In> {
  message: ConsumedMessage;
  value: In;
}

/** What decide and encode know of the batch: its partition and the instant it is processed (the clock is read once, here). */
export interface BatchInfo {
  topic: string;
  partition: number;
  now: number;
}

/** A record decide refuses for good (poison found by the service's own rules): dead-lettered with its reasons. */
export interface Refusal {
  source: ConsumedMessage;
  reasons: DeadLetterReason[];
}

/** decide's answer for a batch. */
export interface Decided<Out> {
  /** each encoded to messages by `encode`, all produced in the batch's transaction */
  outputs: Out[];
  refused?: Refusal[];
  /** what else decide wants counted (metrics.tally), e.g. `{ duplicates: 1 }` */
  tally?: Record<string, number>;
}

/**
 * For an edge whose decide is a stateful fold (deliver's projections). For every batch that reaches
 * beforeBatch, exactly one of afterCommit and afterAbort follows; a halted partition is paused, and its
 * batches come again only once a rebalance or a restart gives the partition out again.
 *
 * With a commit policy that keeps a transaction open across batches (EdgeOptions.commit), afterCommit and
 * afterAbort run when the transaction carrying the batch ends: the next batches of the partition (and of
 * other partitions) may be decided before that. A fold whose decide reads state that afterCommit updates
 * must then see the batches still in an open transaction too (`decided`: ingest's ids), or take its turn
 * per transaction; until it does, it keeps the default, one transaction per batch, where hooks run before
 * the next batch starts.
 */
export interface EdgeHooks<Out> {
  /** before the batch is decoded, inside its turn (e.g. restore a state that is ahead of what was committed) */
  beforeBatch?(batch: Batch, context: BatchContext): Promise<void>;
  /**
   * the batch is decided (called right after decide, with no await in between) and goes into its
   * partition's open transaction: what later batches' decide, of this partition or (partitionsConcurrently)
   * of another, must count as done although not committed yet (afterCommit or afterAbort of this batch
   * follows, afterAbort also when encoding fails)
   */
  decided?(batch: Batch, decided: Decided<Out>): void;
  /** the batch's transaction committed: what decide folded in is now published */
  afterCommit?(batch: Batch, decided: Decided<Out>): void;
  /** nothing of the batch was committed (halted, abandoned, or its transaction failed): it is read again */
  afterAbort?(batch: Batch): void;
}

export interface EdgeOptions<In, Out> {
  bus: MessageBus;
  groupId: string;
  topic: string;
  logger: Logger;
  /** the service's dead-letter topic (createDeadLetterWriter) */
  deadLetter: DeadLetterWriter;
  /**
   * Bytes to the service's input type, e.g. registry.decode with the service's reader schema. Throws
   * what classifyError can read: an outage is retried, poison dead-lettered, anything else halts.
   */
  decode(message: ConsumedMessage): Promise<In> | In;
  /** the dead-letter rule and text for a record decode refuses (the error's own rule wins when it has one) */
  decodeFailure?: { rule: string; message: string };
  /** the service's judgement over the decoded batch; pure for ingest and pseudonymise */
  decide(records: EdgeRecord<In>[], info: BatchInfo): Decided<Out>;
  encode(output: Out, info: BatchInfo): Promise<OutgoingMessage[]> | OutgoingMessage[];
  hooks?: EdgeHooks<Out>;
  /** the instant handed to decide and encode; tests move it */
  clock?: () => number;
  /** backoff of the retries of an outage; tests shorten it */
  retry?: Backoff;
  /**
   * when a partition's transaction commits (commitPolicyFrom(config): EDGE_COMMIT_INTERVAL_MS,
   * EDGE_COMMIT_MAX_RECORDS); default one transaction per batch. See EdgeHooks for what it changes for a fold.
   */
  commit?: CommitPolicy;
  /**
   * batches of up to this many partitions decided and committed at once (EDGE_PARTITIONS_CONCURRENTLY;
   * default 1). decide, encode and the hooks then run for several partitions interleaved at every await:
   * state they share across partitions must be read and marked without an await in between.
   */
  partitionsConcurrently?: number;
  /** where the edge's Prometheus metrics go (default: the process's registry, serviceRegistry()); tests give their own */
  metricsRegistry?: Registry;
}

export interface Edge {
  readonly metrics: EdgeMetrics;
  /** false while a partition this instance holds is halted, once the consumer gave up restarting, and after stop() */
  healthy(): boolean;
  /** healthy, in its group (running) and holding at least one partition of its input: what /ready asks */
  ready(): boolean;
  state(): ConsumerState;
  /** partitions the consumer holds now (a new array after every rebalance: a fold can tell its state may be stale) */
  assignment(): TopicPartition[];
  /** stops fetching, lets the batch in hand finish (its transaction commits or aborts), disconnects */
  stop(): Promise<void>;
}

/** A valid record the service cannot process: its partition stops there. */
class PartitionHalt extends Error {
  readonly offset: string;
  readonly stage: 'decode' | 'decide' | 'encode' | 'dead-letter';
  constructor(offset: string, stage: PartitionHalt['stage'], options: { cause: unknown }) {
    super(`${stage} failed at offset ${offset}`, options);
    this.name = 'PartitionHalt';
    this.offset = offset;
    this.stage = stage;
  }
}

/**
 * The one pipeline edge of every service: decode each record, decide over the decoded batch, encode, and
 * produce it all with the consumed offsets in one Kafka transaction (startTransactionalPipeline): one per
 * batch, or one per partition spanning batches until the commit policy says commit (`commit`).
 *
 * The one error policy (classifyError decides, nothing else does):
 * - retriable (registry, broker or network not there now, a coordinator that moved): decode, encode and
 *   dead-letter writes are retried with backoff and jitter, with heartbeats, for as long as the consumer
 *   runs; never dead-lettered. A batch whose outage outlasts the consumer (stop, partition lost) is held:
 *   nothing committed, it is read again. A failed transaction is read again too (the pipeline).
 * - poison (a record that can never be processed: decode says so, or decide refuses it): written to the
 *   dead-letter topic with its reasons and source coordinates, in the batch's transaction; the rest of the
 *   batch goes on.
 * - bug (anything else: a valid record on which decode's schema resolution, decide or encode throws): the
 *   partition halts. It is NOT dead-lettered, because the record is valid data: a dead letter would drop
 *   a change from a recipient's feed for good, and every later change of the same person or row would be
 *   applied on top of the gap, silently. Nor is the error thrown to the consumer, which would retry the
 *   batch, crash, restart and in the end give the whole service up. Instead nothing of the batch is
 *   committed, the partition is moved back to the batch's start and paused at the consumer
 *   (PAUSE_PARTITION: it is not fetched any more, so the other partitions go on at full speed), an error
 *   is logged once, `metrics.halted` holds the partition and offset, and healthy() turns false. The fixed
 *   service, once restarted, reads on from the record that halted.
 *
 *   A rebalance (or a restart of the consumer) ends the pause: the partition is read again from its
 *   committed offset, by whichever member holds it now. Still here, it halts again at the same record
 *   (logged once, `metrics.halted` unchanged), or, should the record now go through (a fold whose state
 *   was rebuilt), leaves `metrics.halted` once a commit has passed it. Gone to another member, it leaves
 *   `metrics.halted` of this one (a warning says so): the new holder halts on it, loudly, and reports it
 *   itself. So `metrics.halted` (and register_feeds_partition_halted, and health) is about the partitions
 *   this instance holds, and summed over the instances counts every halted partition once.
 *
 * A service that cannot go on (its consumer gave up restarting, after retriable crashes were retried for
 * the restart policy's time) is told by the bus (onGiveUp) and exits 1 from its main.ts.
 */
export async function startEdge<In, Out>(options: EdgeOptions<In, Out>): Promise<Edge> {
  const {
    bus,
    groupId,
    topic,
    logger,
    deadLetter,
    decode,
    decide,
    encode,
    hooks,
    clock = Date.now,
    retry,
    commit,
    partitionsConcurrently,
    metricsRegistry,
    decodeFailure = { rule: 'undecodable', message: 'the record cannot be read' },
  } = options;
  const log = logger; // the service's own, bound to its component and input topic already
  const metrics = createEdgeMetrics();
  const meter = createEdgeMeter({ group: groupId, topic, registry: metricsRegistry });
  /** per partition, when the first batch of its open transaction was handed in (transaction latency) */
  const transactionBegan = new Map<number, number>();

  const processBatch = async (batch: Batch, context: BatchContext, info: BatchInfo) => {
    const retrying = <T>(what: string, offset: string | undefined, operation: () => Promise<T> | T): Promise<T> =>
      retryWhileRetriable(async () => operation(), {
        ...retry,
        isRunning: context.isRunning,
        heartbeat: context.heartbeat,
        onRetry: ({ attempt, delayMs, error }) =>
          log.warn(
            { partition: batch.partition, offset, type: what, attempt, delayMs, err: error },
            'not available now (an outage): retrying',
          ),
      });
    const firstOffset = batch.messages[0]?.offset ?? batch.lastOffset;

    const records: EdgeRecord<In>[] = [];
    const refused: Refusal[] = [];
    for (const [i, message] of batch.messages.entries()) {
      if (i > 0 && i % 500 === 0) await context.heartbeat(); // a long batch on a slow registry keeps its group
      try {
        records.push({ message, value: await retrying('decode', message.offset, () => decode(message)) });
      } catch (error) {
        const kind = classifyError(error);
        if (kind === 'retriable') throw error; // the consumer stops mid-outage: the batch is held
        if (kind === 'bug') throw new PartitionHalt(message.offset, 'decode', { cause: error });
        const reason = poisonReason(error, decodeFailure.rule);
        refused.push({ source: message, reasons: [{ ...reason, message: `${decodeFailure.message}: ${reason.message}` }] });
      }
    }

    let decided: Decided<Out>;
    try {
      decided = decide(records, info);
    } catch (error) {
      throw new PartitionHalt(firstOffset, 'decide', { cause: error });
    }
    refused.push(...(decided.refused ?? []));
    // told at once, before the first await: with partitions handled concurrently, another partition's
    // decide may run at any await, and must already count this batch's outputs as taken (ingest's ids)
    hooks?.decided?.(batch, { ...decided, refused });

    // what the service itself writes must fit: only an outage is retried, anything else is a bug
    const stage = async <T>(what: 'encode' | 'dead-letter', operation: () => Promise<T> | T): Promise<T> => {
      try {
        return await retrying(what, undefined, operation);
      } catch (error) {
        if (classifyError(error) === 'retriable') throw error;
        throw new PartitionHalt(firstOffset, what, { cause: error });
      }
    };
    const produced: Record<string, number> = {};
    const messages: OutgoingMessage[] = [];
    for (const output of decided.outputs) {
      for (const m of await stage('encode', () => encode(output, info))) {
        messages.push(m);
        addCount(produced, m.topic);
      }
    }
    for (const r of refused) messages.push(await stage('dead-letter', () => deadLetter(r.source, r.reasons)));
    return { messages, decided: { ...decided, refused }, produced };
  };

  const committed = (batch: Batch, decided: Decided<Out>, produced: Record<string, number>, seconds: number) => {
    const haltedAt = metrics.halted.get(batch.partition);
    if (haltedAt !== undefined && BigInt(batch.lastOffset) >= BigInt(haltedAt)) {
      metrics.halted.delete(batch.partition);
      log.warn({ partition: batch.partition, offset: haltedAt }, 'halted partition read again past the record it halted at: going on');
    }
    metrics.records += batch.messages.length;
    metrics.batches += 1;
    metrics.deadLettered += decided.refused?.length ?? 0;
    for (const [t, n] of Object.entries(produced)) addCount(metrics.produced, t, n);
    for (const [name, n] of Object.entries(decided.tally ?? {})) addCount(metrics.tally, name, n);
    meter.batchCommitted({
      records: batch.messages.length,
      produced,
      refusedRules: (decided.refused ?? []).map((r) => [...new Set(r.reasons.map((x) => x.rule))]),
      tally: decided.tally ?? {},
      seconds,
    });
    for (const r of decided.refused ?? []) {
      // rules and coordinates only: the reasons' messages are ours, the record's bytes never logged
      log.warn(
        { partition: batch.partition, offset: r.source.offset, rules: r.reasons.map((x) => `${x.field}:${x.rule}`) },
        'record dead-lettered',
      );
    }
    log.debug({ partition: batch.partition, records: batch.messages.length, lastOffset: batch.lastOffset }, 'batch committed');
  };

  const halt = (batch: Batch, h: PartitionHalt) => {
    if (metrics.halted.get(batch.partition) === h.offset) return; // read again after a rebalance that left it here: said already
    metrics.halted.set(batch.partition, h.offset);
    log.error(
      { err: h.cause, partition: batch.partition, offset: h.offset, type: h.stage },
      'partition halted at a valid record the service cannot process: a bug, not dead-lettered; fix and restart the service',
    );
  };

  /** a new assignment: a halted partition this member no longer holds is its new holder's to report */
  const assigned = (partitions: number[]) => {
    const held = new Set(partitions);
    for (const [partition, offset] of metrics.halted) {
      if (held.has(partition)) continue;
      metrics.halted.delete(partition);
      log.warn(
        { partition, offset },
        'halted partition went to another member: it reads it again from the committed offset (and halts there too while the bug is there)',
      );
    }
  };

  const handle = async (batch: Batch, context: BatchContext): Promise<BatchOutcome | typeof HOLD_BATCH | typeof PAUSE_PARTITION> => {
    const info: BatchInfo = { topic: batch.topic, partition: batch.partition, now: clock() };
    // the batch opens its partition's transaction unless one is open; undone if the batch goes no further
    const opensTransaction = !transactionBegan.has(batch.partition);
    if (opensTransaction) transactionBegan.set(batch.partition, performance.now());
    try {
      await hooks?.beforeBatch?.(batch, context);
      const began = performance.now();
      const { messages, decided, produced } = await processBatch(batch, context, info);
      const seconds = (performance.now() - began) / 1000;
      return {
        messages,
        afterCommit: () => {
          committed(batch, decided, produced, seconds);
          hooks?.afterCommit?.(batch, decided);
        },
        afterAbort: () => {
          transactionBegan.delete(batch.partition);
          hooks?.afterAbort?.(batch);
        },
      };
    } catch (error) {
      if (opensTransaction) transactionBegan.delete(batch.partition);
      hooks?.afterAbort?.(batch);
      if (error instanceof PartitionHalt) {
        halt(batch, error);
        return PAUSE_PARTITION;
      }
      if (classifyError(error) === 'retriable' && !context.isRunning()) return HOLD_BATCH;
      throw error; // beforeBatch's own failure, or an outage past a deadline: the consumer reads the batch again
    }
  };

  const pipeline = await startTransactionalPipeline({
    bus,
    groupId,
    topic,
    logger: log,
    handle,
    onProgress: ({ partition, lag }) => metrics.lag.set(partition, lag),
    onAssignment: assigned,
    onCommitted: ({ partition }) => {
      metrics.transactions++;
      const began = transactionBegan.get(partition);
      transactionBegan.delete(partition);
      meter.transactionCommitted(began === undefined ? 0 : (performance.now() - began) / 1000);
    },
    commit,
    partitionsConcurrently,
  });
  const unwatch = meter.watch({ group: groupId, topic, metrics, assignment: () => pipeline.assignment() });
  const healthy = () => pipeline.healthy() && metrics.halted.size === 0;
  return {
    metrics,
    healthy,
    ready: () => healthy() && pipeline.state() === 'running' && pipeline.assignment().some((tp) => tp.topic === topic),
    state: () => pipeline.state(),
    assignment: () => pipeline.assignment(),
    stop: async () => {
      try {
        await pipeline.stop();
      } finally {
        unwatch();
      }
    },
  };
}
