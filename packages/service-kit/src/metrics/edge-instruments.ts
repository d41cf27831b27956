import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { EdgeMetrics } from '../edge/edge-metrics.ts';
import type { TopicPartition } from '../kafka/bus.ts';
import { METRIC_PREFIX, serviceRegistry } from './service-registry.ts';

/** Seconds, from a millisecond batch on an idle stack to a transaction held open by a slow registry. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** An edge running in this process, read at every scrape (lag, assignment, halted partitions). */
export interface WatchedEdge {
  group: string;
  topic: string;
  metrics: EdgeMetrics;
  assignment(): TopicPartition[];
}

/** What one committed batch adds to the counters. */
export interface CommittedBatch {
  records: number;
  /** messages per output topic, dead letters not included */
  produced: Record<string, number>;
  /** one entry per dead-lettered record: the distinct rules it broke */
  refusedRules: string[][];
  tally: Record<string, number>;
  /** decode, decide and encode of the batch */
  seconds: number;
}

/** The edge's instruments bound to one consumer group and input topic (startEdge makes one). */
export interface EdgeMeter {
  batchCommitted(batch: CommittedBatch): void;
  transactionCommitted(seconds: number): void;
  /** until the returned function is called, the edge's lag, assignment and halted partitions are scraped */
  watch(edge: WatchedEdge): () => void;
}

interface Instruments {
  recordsIn: Counter<'group' | 'topic'>;
  recordsOut: Counter<'group' | 'topic'>;
  deadLettered: Counter<'group' | 'topic'>;
  deadLetterRules: Counter<'group' | 'rule'>;
  decisions: Counter<'group' | 'name'>;
  batches: Counter<'group'>;
  transactions: Counter<'group'>;
  batchSeconds: Histogram<'group'>;
  transactionSeconds: Histogram<'group'>;
  watched: Set<WatchedEdge>;
}

const byRegistry = new WeakMap<Registry, Instruments>();

/**
 * The edge's metrics, the same for every stage (ingest, pseudonymise, each deliver projection), labelled
 * with the consumer group (the stage) and topic. Counters count committed batches only, like EdgeMetrics:
 * an aborted batch is read again and counted then. Labels hold topic names, partitions, rule names and
 * tally names, never anything of a record.
 */
function instrumentsOf(registry: Registry): Instruments {
  const known = byRegistry.get(registry);
  if (known) return known;
  const registers = [registry];
  const p = METRIC_PREFIX;
  const watched = new Set<WatchedEdge>();
  const heldPartitions = (edge: WatchedEdge) =>
    new Set(
      edge
        .assignment()
        .filter((tp) => tp.topic === edge.topic)
        .map((tp) => tp.partition),
    );
  const instruments: Instruments = {
    recordsIn: new Counter({
      name: `${p}records_in_total`,
      help: 'records read from the input topic in committed batches, dead-lettered ones included',
      labelNames: ['group', 'topic'],
      registers,
    }),
    recordsOut: new Counter({
      name: `${p}records_out_total`,
      help: 'records produced per output topic in committed transactions (dead letters not included)',
      labelNames: ['group', 'topic'],
      registers,
    }),
    deadLettered: new Counter({
      name: `${p}dead_lettered_total`,
      help: 'input records sent to the dead-letter topic',
      labelNames: ['group', 'topic'],
      registers,
    }),
    deadLetterRules: new Counter({
      name: `${p}dead_letter_rules_total`,
      help: 'dead-lettered records per rule they broke (a record that broke two rules counts under both)',
      labelNames: ['group', 'rule'],
      registers,
    }),
    decisions: new Counter({
      name: `${p}decisions_total`,
      help: "what the stage's decision counted besides its outputs (ingest: duplicates dropped)",
      labelNames: ['group', 'name'],
      registers,
    }),
    batches: new Counter({ name: `${p}batches_total`, help: 'committed batches', labelNames: ['group'], registers }),
    transactions: new Counter({
      name: `${p}transactions_total`,
      help: 'committed transactions (one per batch, or fewer under load: EDGE_COMMIT_INTERVAL_MS)',
      labelNames: ['group'],
      registers,
    }),
    batchSeconds: new Histogram({
      name: `${p}batch_duration_seconds`,
      help: 'decode, decide and encode of a batch, for committed batches',
      labelNames: ['group'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    transactionSeconds: new Histogram({
      name: `${p}transaction_duration_seconds`,
      help: 'from the first batch of a transaction handed to the stage to its commit',
      labelNames: ['group'],
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    watched,
  };
  new Gauge({
    name: `${p}consumer_lag_records`,
    help: 'records behind the end of the input partition at the last fetch, for the partitions the stage holds now',
    labelNames: ['group', 'topic', 'partition'],
    registers,
    collect() {
      this.reset();
      for (const edge of watched) {
        const held = heldPartitions(edge);
        for (const [partition, lag] of edge.metrics.lag)
          if (held.has(partition)) this.set({ group: edge.group, topic: edge.topic, partition: String(partition) }, lag);
      }
    },
  });
  new Gauge({
    name: `${p}assigned_partitions`,
    help: 'input partitions the stage holds now (0: not in its group yet, or more instances than partitions)',
    labelNames: ['group', 'topic'],
    registers,
    collect() {
      this.reset();
      for (const edge of watched) this.inc({ group: edge.group, topic: edge.topic }, heldPartitions(edge).size);
    },
  });
  new Gauge({
    name: `${p}partition_halted`,
    help: 'partitions stopped at a valid record the stage cannot process (a bug, not dead-lettered), with the offset',
    labelNames: ['group', 'topic', 'partition', 'offset'],
    registers,
    collect() {
      this.reset();
      for (const edge of watched)
        for (const [partition, offset] of edge.metrics.halted)
          this.set({ group: edge.group, topic: edge.topic, partition: String(partition), offset }, 1);
    },
  });
  byRegistry.set(registry, instruments);
  return instruments;
}

/** The edge's meter for one consumer group and input topic, on `registry` (default: the process's). */
export function createEdgeMeter({
  group,
  topic,
  registry = serviceRegistry(),
}: {
  group: string;
  topic: string;
  registry?: Registry;
}): EdgeMeter {
  const m = instrumentsOf(registry);
  // series exist from the start, so a rate over them is 0 rather than absent on a quiet stage
  m.recordsIn.inc({ group, topic }, 0);
  m.deadLettered.inc({ group, topic }, 0);
  m.batches.inc({ group }, 0);
  m.transactions.inc({ group }, 0);
  return {
    batchCommitted({ records, produced, refusedRules, tally, seconds }) {
      m.recordsIn.inc({ group, topic }, records);
      for (const [out, n] of Object.entries(produced)) m.recordsOut.inc({ group, topic: out }, n);
      if (refusedRules.length > 0) m.deadLettered.inc({ group, topic }, refusedRules.length);
      for (const rules of refusedRules) for (const rule of rules) m.deadLetterRules.inc({ group, rule });
      for (const [name, n] of Object.entries(tally)) m.decisions.inc({ group, name }, n);
      m.batches.inc({ group });
      m.batchSeconds.observe({ group }, seconds);
    },
    transactionCommitted(seconds) {
      m.transactions.inc({ group });
      m.transactionSeconds.observe({ group }, seconds);
    },
    watch(edge) {
      m.watched.add(edge);
      return () => void m.watched.delete(edge);
    },
  };
}
