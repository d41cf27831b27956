import { describe, expect, it } from 'vitest';
import type { OutgoingMessage } from '../kafka/bus.ts';
import { createMemoryBus, type MemoryBus } from '../kafka/memory-bus.ts';
import { createLogger } from '../log/logger.ts';
import type { DeadLetterWriter } from '../registry/dead-letter.ts';
import { startEdge } from './start-edge.ts';

// The edge with partitions handled concurrently (EDGE_PARTITIONS_CONCURRENTLY) on the twin: a partition
// that halted is paused without holding up the others, and decide sees every batch of every partition once.

const IN = 'in';
const OUT = 'out';
const GROUP = 'edge-concurrency';
const logger = createLogger({ service: 'edge-test', level: 'silent' });
const deadLetter: DeadLetterWriter = async (source) => ({ topic: OUT, key: null, value: `dead ${source.offset}` });

async function given(records: Record<number, string[]>): Promise<MemoryBus> {
  const bus = createMemoryBus({ maxBatchRecords: 2 });
  const admin = await bus.admin();
  await admin.ensureTopics([
    { name: IN, partitions: 3, replicationFactor: 1 },
    { name: OUT, partitions: 1, replicationFactor: 1 },
  ]);
  const producer = await bus.producer();
  await producer.send(
    Object.entries(records).flatMap(([partition, values]) =>
      values.map((value): OutgoingMessage => ({ topic: IN, partition: Number(partition), key: null, value })),
    ),
  );
  return bus;
}

const outputs = (bus: MemoryBus) => bus.read(OUT).map((m) => String(m.value));

describe('startEdge with partitions handled concurrently', () => {
  it('goes on with the other partitions while a halted one is paused', async () => {
    // partitions 1 and 2 have batches left after partition 0's halt: they come while it is paused
    const many = (p: number) => Array.from({ length: 10 }, (_, i) => `p${p}-${i}`);
    const bus = await given({ 0: ['a', 'b', 'boom', 'c'], 1: many(1), 2: many(2) });
    const edge = await startEdge<string, string>({
      bus,
      groupId: GROUP,
      topic: IN,
      logger,
      deadLetter,
      decode: (m) => String(m.value),
      decide: (records) => {
        if (records.some((r) => r.value === 'boom')) throw new TypeError('a bug');
        return { outputs: records.map((r) => r.value.toUpperCase()) };
      },
      encode: (value) => [{ topic: OUT, key: null, value }],
      partitionsConcurrently: 3,
    });
    await bus.settled(); // a paused partition has nothing to do

    expect(outputs(bus).sort()).toEqual(['A', 'B', ...many(1), ...many(2)].map((v) => v.toUpperCase()).sort());
    expect(edge.metrics.halted).toEqual(new Map([[0, '2']]));
    expect(bus.committedOffset(GROUP, IN, 1)).toBe('10');
    expect(bus.committedOffset(GROUP, IN, 2)).toBe('10');
    expect(edge.healthy()).toBe(false);
    await edge.stop();
  });

  it('decides every batch of every partition once, with several in hand at once', async () => {
    const values = (p: number) => Array.from({ length: 9 }, (_, i) => `p${p}-${i}`);
    const bus = await given({ 0: values(0), 1: values(1), 2: values(2) });
    let inHand = 0;
    let most = 0;
    const decided: string[] = [];
    const edge = await startEdge<string, string>({
      bus,
      groupId: GROUP,
      topic: IN,
      logger,
      deadLetter,
      decode: async (m) => {
        // an await per record, as a registry decode: the other partitions' batches run in between
        await new Promise<void>((resolve) => setImmediate(resolve));
        return String(m.value);
      },
      hooks: {
        beforeBatch: async () => {
          inHand++;
          most = Math.max(most, inHand);
        },
        afterCommit: () => void inHand--,
        afterAbort: () => void inHand--,
      },
      decide: (records) => {
        decided.push(...records.map((r) => r.value));
        return { outputs: records.map((r) => r.value.toUpperCase()) };
      },
      encode: (value) => [{ topic: OUT, key: null, value }],
      partitionsConcurrently: 3,
    });
    await bus.settled();

    const all = [0, 1, 2].flatMap(values);
    expect(decided.sort()).toEqual([...all].sort());
    expect(outputs(bus).sort()).toEqual(all.map((v) => v.toUpperCase()).sort());
    expect(most).toBe(3);
    await edge.stop();
  });
});
