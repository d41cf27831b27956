import { describe, expect, it } from 'vitest';
import { startEdge } from '../edge/start-edge.ts';
import type { OutgoingMessage } from '../kafka/bus.ts';
import { createMemoryBus } from '../kafka/memory-bus.ts';
import { createLogger } from '../log/logger.ts';
import type { DeadLetterWriter } from '../registry/dead-letter.ts';
import { createServiceRegistry } from './service-registry.ts';

// The edge's Prometheus metrics on the broker-free twin: what one stage counts after its batches commit
// (records in, out per topic, dead letters by rule, what decide tallied, batches, transactions, latency),
// and readiness: in the group and holding partitions.

const IN = 'in';
const OUT = 'out';
const DLQ = 'dlq';
const deadLetter: DeadLetterWriter = async (source) => ({ topic: DLQ, key: null, value: String(source.offset) });

/** the value of one sample line (labels in any order), or undefined */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = new Map([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) return Number(match[3]);
  }
  return undefined;
}

describe('the edge’s metrics', () => {
  it('count committed batches per stage: in, out, dead letters by rule, tallies, batches, transactions and their latency', async () => {
    const bus = createMemoryBus();
    const admin = await bus.admin();
    await admin.ensureTopics([IN, OUT, DLQ].map((name) => ({ name, partitions: 2, replicationFactor: 1 })));
    await admin.disconnect();
    const producer = await bus.producer();
    const values = ['a', 'bad', 'b', 'c', 'repeat', 'worse'];
    await producer.send(values.map((value, i): OutgoingMessage => ({ topic: IN, partition: i % 2, key: null, value })));
    await producer.disconnect();

    const registry = createServiceRegistry();
    const edge = await startEdge<string, string>({
      bus,
      groupId: 'stage-a',
      topic: IN,
      logger: createLogger({ service: 'metrics-test', level: 'silent' }),
      deadLetter,
      decode: (m) => String(m.value),
      decide: (records) => ({
        outputs: records.filter((r) => ['a', 'b', 'c'].includes(r.value)).map((r) => r.value.toUpperCase()),
        refused: records
          .filter((r) => r.value === 'bad' || r.value === 'worse')
          .map((r) => ({
            source: r.message,
            reasons:
              r.value === 'bad'
                ? [{ field: 'x', rule: 'too-short', message: 'too short' }]
                : [
                    { field: 'x', rule: 'too-short', message: 'too short' },
                    { field: 'y', rule: 'elfproef', message: 'fails the elfproef' },
                    { field: 'z', rule: 'elfproef', message: 'fails the elfproef' },
                  ],
          })),
        tally: { repeats: records.filter((r) => r.value === 'repeat').length },
      }),
      encode: (value) => [{ topic: OUT, key: null, value }],
      metricsRegistry: registry,
    });
    await bus.settled();
    expect(edge.ready()).toBe(true);
    const text = await registry.metrics();
    await edge.stop();

    const group = 'stage-a';
    expect(sample(text, 'register_feeds_records_in_total', { group, topic: IN })).toBe(6);
    expect(sample(text, 'register_feeds_records_out_total', { group, topic: OUT })).toBe(3);
    expect(sample(text, 'register_feeds_dead_lettered_total', { group, topic: IN })).toBe(2);
    // by rule: a record counts once under each rule it broke
    expect(sample(text, 'register_feeds_dead_letter_rules_total', { group, rule: 'too-short' })).toBe(2);
    expect(sample(text, 'register_feeds_dead_letter_rules_total', { group, rule: 'elfproef' })).toBe(1);
    expect(sample(text, 'register_feeds_decisions_total', { group, name: 'repeats' })).toBe(1);
    const batches = sample(text, 'register_feeds_batches_total', { group }) ?? 0;
    const transactions = sample(text, 'register_feeds_transactions_total', { group }) ?? 0;
    expect(batches).toBeGreaterThanOrEqual(2); // one partition or more per batch, two partitions
    expect(transactions).toBe(batches); // the default commit policy: one transaction per batch
    expect(sample(text, 'register_feeds_batch_duration_seconds_count', { group })).toBe(batches);
    expect(sample(text, 'register_feeds_transaction_duration_seconds_count', { group })).toBe(transactions);
    expect(sample(text, 'register_feeds_assigned_partitions', { group, topic: IN })).toBe(2);
    expect(sample(text, 'register_feeds_consumer_lag_records', { group, topic: IN, partition: '0' })).toBe(0);

    // a stopped edge is no longer scraped, and is not ready
    expect(edge.ready()).toBe(false);
    const after = await registry.metrics();
    expect(sample(after, 'register_feeds_assigned_partitions', { group, topic: IN })).toBeUndefined();
    expect(sample(after, 'register_feeds_records_in_total', { group, topic: IN })).toBe(6); // counters stay
  });

  it('is not ready before its consumer holds a partition of its input', async () => {
    const bus = createMemoryBus();
    const admin = await bus.admin();
    await admin.ensureTopics([IN, OUT, DLQ].map((name) => ({ name, partitions: 1, replicationFactor: 1 })));
    await admin.disconnect();
    const options = {
      bus,
      topic: IN,
      logger: createLogger({ service: 'metrics-test', level: 'silent' }),
      deadLetter,
      decode: (m: { value: Buffer | null }) => String(m.value),
      decide: () => ({ outputs: [] }),
      encode: () => [],
      metricsRegistry: createServiceRegistry(),
    };
    const first = await startEdge<string, string>({ ...options, groupId: 'stage-b' });
    await bus.settled();
    // a second member of the same group: one partition, held by the first
    const second = await startEdge<string, string>({ ...options, groupId: 'stage-b' });
    await bus.settled();
    const ready = [first.ready(), second.ready()];
    await second.stop();
    await first.stop();
    expect(ready.filter(Boolean)).toHaveLength(1);
  });
});
