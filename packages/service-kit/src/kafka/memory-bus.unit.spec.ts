import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { type Batch, type BatchContext, type Consumer, isProducerFenced, type PartitionProgress, ProducerFencedError } from './bus.ts';
import { createMemoryBus, type MemoryBus, MemoryBusFaultError, UnknownTopicOrPartitionError } from './memory-bus.ts';

const text = (b: Buffer | null) => b?.toString() ?? null;

async function withTopic(partitions = 1, options?: Parameters<typeof createMemoryBus>[0]): Promise<MemoryBus> {
  const bus = createMemoryBus(options);
  const admin = await bus.admin();
  await admin.ensureTopics([{ name: 'in', partitions, replicationFactor: 1 }]);
  return bus;
}

/** a consumer that keeps what its handler saw, the progress it reported, and the contexts of its batches */
async function collect(
  bus: MemoryBus,
  {
    groupId = 'g',
    autoCommit = true,
    readCommitted,
    topic = 'in',
    handler,
  }: {
    groupId?: string;
    autoCommit?: boolean;
    readCommitted?: boolean;
    topic?: string;
    handler?: (batch: Batch, context: BatchContext) => Promise<void>;
  } = {},
) {
  const seen: string[] = [];
  const progress: PartitionProgress[] = [];
  const consumer = await bus.consumer({ groupId, readCommitted });
  consumer.onProgress((p) => progress.push(p));
  await consumer.subscribe([topic], { fromBeginning: true });
  await consumer.run({
    autoCommit,
    eachBatch: async (batch, context) => {
      await handler?.(batch, context);
      for (const m of batch.messages) seen.push(`${m.partition}:${m.offset}:${text(m.value)}`);
    },
  });
  return { consumer, seen, progress, values: () => seen.map((s) => s.split(':')[2]) };
}

describe('memory bus: topics, partitions and offsets', () => {
  it('places a key where kafkajs would (murmur2), an explicit partition where asked, offsets as decimal strings', async () => {
    const bus = await withTopic(6);
    const producer = await bus.producer();
    const keys = ['a', 'b', 'student-1', 'student-2', 'x'];
    await producer.send(keys.map((key) => ({ topic: 'in', key, value: key })));
    await producer.send([
      { topic: 'in', key: 'a', value: 'again' },
      { topic: 'in', key: null, value: 'pinned', partition: 4 },
    ]);

    const kafkajs = Partitioners.DefaultPartitioner();
    const metadata = Array.from({ length: 6 }, (_, partitionId) => ({
      partitionId,
      leader: 0,
      replicas: [0],
      isr: [0],
      partitionErrorCode: 0,
    }));
    const records = bus.read('in');
    for (const key of keys) {
      const expected = kafkajs({ topic: 'in', partitionMetadata: metadata, message: { key, value: key } });
      const partitions = records.filter((r) => text(r.key) === key).map((r) => r.partition);
      expect(new Set(partitions)).toEqual(new Set([expected]));
    }
    const again = records.find((r) => text(r.value) === 'again');
    expect(again?.partition).toBe(records.find((r) => text(r.value) === 'a')?.partition);
    expect(records.find((r) => text(r.value) === 'pinned')?.partition).toBe(4);
    for (const r of records) expect(r.offset).toMatch(/^\d+$/);
    const admin = await bus.admin();
    const offsets = await admin.topicOffsets('in');
    expect(offsets.reduce((n, p) => n + Number(p.high), 0)).toBe(7);
    expect(offsets.every((p) => p.low === '0')).toBe(true);
  });

  it('refuses a topic or partition that does not exist as the broker does, and writes nothing of that send', async () => {
    const bus = await withTopic(2);
    const producer = await bus.producer();
    const missing = producer.send([
      { topic: 'in', key: 'k', value: 'ok' },
      { topic: 'nowhere', key: 'k', value: 'lost' },
    ]);
    await expect(missing).rejects.toThrow(/does not host this topic-partition/);
    await expect(missing).rejects.toBeInstanceOf(UnknownTopicOrPartitionError);
    await expect(producer.send([{ topic: 'in', key: null, value: 'x', partition: 2 }])).rejects.toThrow(
      /does not host this topic-partition/,
    );
    expect(bus.read('in')).toEqual([]);
    const consumer = await bus.consumer({ groupId: 'g' });
    await expect(consumer.subscribe(['nowhere'])).rejects.toThrow(/does not host this topic-partition/);
    const admin = await bus.admin();
    expect(
      await admin.ensureTopics([
        { name: 'in', partitions: 2, replicationFactor: 1 },
        { name: 'out', partitions: 1, replicationFactor: 1 },
      ]),
    ).toEqual({
      created: ['out'],
      existing: ['in'],
    });
  });
});

describe('memory bus: transactions', () => {
  it('hides what a transaction sent from read_committed readers until the commit, and the markers take offsets', async () => {
    const bus = await withTopic(1);
    const committed = await collect(bus, { groupId: 'committed' });
    const uncommitted = await collect(bus, { groupId: 'uncommitted', readCommitted: false });
    const producer = await bus.transactionalProducer('tx-1');

    const tx = await producer.transaction();
    await tx.send([
      { topic: 'in', key: 'k', value: 'one' },
      { topic: 'in', key: 'k', value: 'two' },
    ]);
    await bus.settled();
    expect(committed.seen).toEqual([]);
    expect(uncommitted.values()).toEqual(['one', 'two']);

    await tx.commit();
    await bus.settled();
    expect(committed.seen).toEqual(['0:0:one', '0:1:two']);
    // the commit marker is offset 2: the end of the partition is 3, and the reader's position passes it
    const admin = await bus.admin();
    expect(await admin.topicOffsets('in')).toEqual([{ partition: 0, low: '0', high: '3' }]);
    expect(committed.progress.at(-1)).toEqual({ topic: 'in', partition: 0, lastOffset: '2', highWatermark: '3', lag: 0 });
    expect(await admin.groupOffsets('committed', 'in')).toEqual([{ topic: 'in', partition: 0, offset: '3' }]);
  });

  it('discards an aborted transaction: readers skip its records and its marker, and the offsets sent with it', async () => {
    const bus = await withTopic(1);
    const producer = await bus.transactionalProducer('tx-1');
    const aborted = await producer.transaction();
    await aborted.send([{ topic: 'in', key: 'k', value: 'never' }]);
    await aborted.sendOffsets('g-source', [{ topic: 'in', partition: 0, offset: '42' }]);
    await aborted.abort();
    const kept = await producer.transaction();
    await kept.send([{ topic: 'in', key: 'k', value: 'kept' }]);
    await kept.sendOffsets('g-source', [{ topic: 'in', partition: 0, offset: '7' }]);
    await kept.commit();

    const reader = await collect(bus);
    await bus.settled();
    expect(reader.seen).toEqual(['0:2:kept']); // 0 aborted record, 1 abort marker, 2 kept, 3 commit marker
    expect(bus.read('in', { readCommitted: false }).map((m) => text(m.value))).toEqual(['never', 'kept']);
    expect(bus.committedOffset('g-source', 'in', 0)).toBe('7');
  });

  it('stops read_committed readers at an open transaction, also for records written after it outside any transaction', async () => {
    const bus = await withTopic(1);
    const reader = await collect(bus);
    const tx = await (await bus.transactionalProducer('tx-1')).transaction();
    await tx.send([{ topic: 'in', key: 'k', value: 'in-tx' }]);
    await (await bus.producer()).send([{ topic: 'in', key: 'k', value: 'plain' }]);
    await bus.settled();
    expect(reader.seen).toEqual([]);
    await tx.commit();
    await bus.settled();
    expect(reader.values()).toEqual(['in-tx', 'plain']);
  });

  it('fences the older producer of a transactional id: its open transaction is aborted and it can never commit again', async () => {
    const bus = await withTopic(1);
    const zombie = await bus.transactionalProducer('tx-1');
    const zombieTx = await zombie.transaction();
    await zombieTx.send([{ topic: 'in', key: 'k', value: 'zombie' }]);
    await zombieTx.sendOffsets('g', [{ topic: 'in', partition: 0, offset: '1' }]);

    const successor = await bus.transactionalProducer('tx-1');
    const tx = await successor.transaction(); // initialises the id: fences the zombie
    await tx.send([{ topic: 'in', key: 'k', value: 'successor' }]);
    await tx.commit();

    const commit = zombieTx.commit();
    await expect(commit).rejects.toBeInstanceOf(ProducerFencedError);
    await expect(commit).rejects.toThrow(/old epoch/);
    await expect(zombie.transaction()).rejects.toSatisfy(isProducerFenced);
    expect(bus.read('in').map((m) => text(m.value))).toEqual(['successor']);
    expect(bus.committedOffset('g', 'in', 0)).toBeUndefined();
  });

  it('fails a commit on purpose; with afterEffect the commit happened and only its answer is lost', async () => {
    const bus = await withTopic(1);
    const producer = await bus.transactionalProducer('tx-1');
    bus.faults.failNext('commit');
    const lost = await producer.transaction();
    await lost.send([{ topic: 'in', key: 'k', value: 'lost' }]);
    await expect(lost.commit()).rejects.toBeInstanceOf(MemoryBusFaultError);
    await lost.abort();

    bus.faults.failNext('commit', { afterEffect: true });
    const landed = await producer.transaction();
    await landed.send([{ topic: 'in', key: 'k', value: 'landed' }]);
    await expect(landed.commit()).rejects.toBeInstanceOf(MemoryBusFaultError);
    expect(bus.read('in').map((m) => text(m.value))).toEqual(['landed']);
    expect(bus.faults.pending()).toBe(0);
  });
});

describe('memory bus: consumer groups', () => {
  it('shares partitions among members, rebalances when one joins and when one leaves, and resumes from committed offsets', async () => {
    const bus = await withTopic(4);
    const producer = await bus.producer();
    const send = (from: number, to: number) =>
      producer.send(
        Array.from({ length: to - from }, (_, i) => ({ topic: 'in', key: null, value: `m${from + i}`, partition: (from + i) % 4 })),
      );
    const first = await collect(bus);
    await send(0, 8);
    await bus.settled();
    expect(first.consumer.assignment()).toHaveLength(4);

    const second = await collect(bus);
    await bus.settled();
    expect(first.consumer.assignment()).toHaveLength(2);
    expect(second.consumer.assignment()).toHaveLength(2);
    expect([...first.consumer.assignment(), ...second.consumer.assignment()].map((tp) => tp.partition).sort()).toEqual([0, 1, 2, 3]);
    await send(8, 16);
    await bus.settled();
    expect(second.seen.length).toBe(4); // only what came after the join: the first member had committed the rest

    await second.consumer.disconnect();
    expect(bus.groupMembers('g')).toHaveLength(1);
    await send(16, 20);
    await bus.settled();
    expect(first.consumer.assignment()).toHaveLength(4);
    const all = [...first.values(), ...second.values()].sort();
    expect(all).toEqual(Array.from({ length: 20 }, (_, i) => `m${i}`).sort());

    await first.consumer.disconnect();
    await send(20, 22);
    const resumed = await collect(bus);
    await bus.settled();
    expect(resumed.values().sort()).toEqual(['m20', 'm21']);
  });

  it('lets a member finish the batch in hand before a joining member fetches (eager rebalance): nothing is read twice', async () => {
    const bus = await withTopic(2);
    const producer = await bus.producer();
    await producer.send([0, 1, 2, 3].map((i) => ({ topic: 'in', key: null, value: `m${i}`, partition: i % 2 })));
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let running: boolean[] = [];
    const first = await collect(bus, {
      handler: async (_batch, context) => {
        await held;
        running.push(context.isRunning());
      },
    });
    await new Promise((resolve) => setImmediate(resolve));
    const second = await collect(bus);
    await new Promise((resolve) => setImmediate(resolve));
    expect(second.seen).toEqual([]); // waits for the rebalance, which waits for the first member's batch
    release();
    await bus.settled();
    expect([...first.values(), ...second.values()].sort()).toEqual(['m0', 'm1', 'm2', 'm3']);
    expect(running[0]).toBe(true); // a rebalance alone does not stop a batch
    running = [];
  });

  it('retries a batch whose handler throws, from the same position, then crashes and restarts the consumer', async () => {
    const bus = await withTopic(1, { batchRetries: 2 });
    await (await bus.producer()).send([{ topic: 'in', key: null, value: 'm0' }]);
    let attempts = 0;
    const reader = await collect(bus, {
      handler: async () => {
        attempts++;
        if (attempts <= 4) throw Object.assign(new Error('store away'), { retriable: true });
      },
    });
    await bus.settled();
    // attempts 1-3: one read and two retries, then a crash; the new member's first and second read: 4 fails, 5 succeeds
    expect(attempts).toBe(5);
    expect(reader.values()).toEqual(['m0']);
    expect((reader.consumer as Consumer & { crashes: number }).crashes).toBe(1);
    expect(reader.consumer.state()).toBe('running');
    expect(bus.healthy()).toBe(true);
  });

  it('gives up after the policy has had enough of a consumer crashing: failed, and the bus is unhealthy', async () => {
    const bus = await withTopic(1, { batchRetries: 0, restartPolicy: { nonRetriableRestarts: 2 } });
    await (await bus.producer()).send([{ topic: 'in', key: null, value: 'm0' }]);
    const failures: string[] = [];
    bus.onGiveUp((f) => failures.push(`${f.groupId}: ${(f.error as Error).message}`));
    const reader = await collect(bus, {
      handler: async () => {
        throw new TypeError('a bug');
      },
    });
    await bus.settled();
    expect(reader.consumer.state()).toBe('failed');
    expect(bus.healthy()).toBe(false);
    expect(failures).toEqual(['g: a bug']);
    await reader.consumer.disconnect();
    expect(reader.consumer.state()).toBe('stopped');
  });

  it('restarts retriable crashes for as long as the policy allows (retriableForMs), then gives up', async () => {
    let clock = 0;
    let step = 0;
    const bus = await withTopic(1, {
      now: () => {
        clock += step;
        return clock;
      },
    });
    const reader = await collect(bus);
    await bus.settled();
    // from here every reading of the clock is 31 s later: the second crash comes 62 s after the first
    step = 31_000;
    bus.faults.failNext('fetch', { groupId: 'g', times: 2 });
    await bus.waitUntil(() => reader.consumer.state() === 'failed');
    expect((reader.consumer as Consumer & { crashes: number }).crashes).toBe(2);
    expect(bus.healthy()).toBe(false);
  });

  it('crashes a consumer on purpose (a fetch fault, as a lost coordinator): a new member reads on from the committed offset', async () => {
    const bus = await withTopic(1);
    const producer = await bus.producer();
    await producer.send([{ topic: 'in', key: null, value: 'm0' }]);
    // autoCommit off and nothing committed: what the crashed member read is read again, as on the broker
    const reader = await collect(bus, { autoCommit: false });
    await bus.settled();
    bus.faults.failNext('fetch', { groupId: 'g' });
    await producer.send([{ topic: 'in', key: null, value: 'm1' }]);
    await bus.settled();
    expect(reader.values()).toEqual(['m0', 'm0', 'm1']);
    expect(reader.consumer.state()).toBe('running');
  });

  it('seeks: the batch in hand becomes stale and the next batch starts at the offset sought', async () => {
    const bus = await withTopic(1, { maxBatchRecords: 2 });
    await (await bus.producer()).send([0, 1, 2, 3, 4].map((i) => ({ topic: 'in', key: null, value: `m${i}` })));
    const stale: boolean[] = [];
    let sought = false;
    let consumer!: Consumer;
    const reader = await collect(bus, {
      handler: async (batch, context) => {
        if (!sought) {
          sought = true;
          consumer.seek({ topic: 'in', partition: 0, offset: '4' });
          stale.push(context.isRunning());
        }
        expect(batch.messages.length).toBeLessThanOrEqual(2);
      },
    });
    consumer = reader.consumer;
    await bus.settled();
    expect(stale).toEqual([false]);
    expect(reader.values()).toEqual(['m0', 'm1', 'm4']);
  });

  it('pauses a partition until resume() or the next assignment: the others go on, and onAssignment tells what is held', async () => {
    const bus = await withTopic(2);
    const producer = await bus.producer();
    const send = (partition: number, value: string) => producer.send([{ topic: 'in', key: null, value, partition }]);
    await send(0, 'a0');
    await send(1, 'b0');
    const reader = await collect(bus);
    const assignments: string[] = [];
    reader.consumer.onAssignment((assignment) => {
      assignments.push(assignment.map((tp) => tp.partition).join(','));
      // before any batch of the assignment; a pause from before it (the join) would have ended with it
      if (assignments.length === 1) reader.consumer.pause([{ topic: 'in', partition: 0 }]);
    });
    await bus.settled();
    expect(reader.values().sort()).toEqual(['b0']);
    expect(reader.consumer.paused()).toEqual([{ topic: 'in', partition: 0 }]);

    await send(0, 'a1');
    await send(1, 'b1');
    await bus.settled(); // a paused partition with records to read counts as done
    expect(reader.values().sort()).toEqual(['b0', 'b1']);

    reader.consumer.resume([{ topic: 'in', partition: 0 }]);
    await bus.settled();
    expect(reader.values().sort()).toEqual(['a0', 'a1', 'b0', 'b1']);
    expect(reader.consumer.paused()).toEqual([]);

    // a rebalance ends every pause: the partition is read from its committed offset, here or by the new member
    reader.consumer.pause([
      { topic: 'in', partition: 0 },
      { topic: 'in', partition: 1 },
    ]);
    await send(0, 'a2');
    await send(1, 'b2');
    await bus.settled();
    expect(reader.values()).toHaveLength(4);
    const other = await collect(bus);
    await bus.settled();
    expect(reader.consumer.paused()).toEqual([]);
    expect([...reader.values(), ...other.values()].sort()).toEqual(['a0', 'a1', 'a2', 'b0', 'b1', 'b2']);
    expect(assignments).toEqual(['0,1', '0']);
  });

  it('refuses pause() before run(), as kafkajs does', async () => {
    const bus = await withTopic(1);
    const consumer = await bus.consumer({ groupId: 'g' });
    await consumer.subscribe(['in']);
    expect(() => consumer.pause([{ topic: 'in', partition: 0 }])).toThrow(/run must be called first/);
  });

  it('reports progress and lag after every batch, also after one of markers only', async () => {
    const bus = await withTopic(1, { maxBatchRecords: 2 });
    await (await bus.producer()).send([0, 1, 2].map((i) => ({ topic: 'in', key: null, value: `m${i}` })));
    const tx = await (await bus.transactionalProducer('t')).transaction();
    await tx.send([{ topic: 'in', key: null, value: 'aborted' }]);
    await tx.abort();
    const handled: number[] = [];
    const reader = await collect(bus, { handler: async (batch) => void handled.push(batch.messages.length) });
    await bus.settled();
    expect(reader.progress.map((p) => [p.lastOffset, p.lag])).toEqual([
      ['1', 3],
      ['3', 1],
      ['4', 0],
    ]);
    expect(handled).toEqual([2, 1]); // the batch of the aborted record and its marker never reaches the handler
  });

  it('evicts a member as a session timeout would: its batch goes on with isRunning() false, the others take its partitions', async () => {
    const bus = await withTopic(1);
    await (await bus.producer()).send([{ topic: 'in', key: null, value: 'm0' }]);
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const running: boolean[] = [];
    const zombie = await collect(bus, {
      autoCommit: true,
      handler: async (_b, context) => {
        if (running.length === 0) {
          await held;
          running.push(context.isRunning());
        }
      },
    });
    await new Promise((resolve) => setImmediate(resolve));
    const [member] = bus.groupMembers('g');
    bus.evictMember('g', member as string);
    const other = await collect(bus);
    await new Promise((resolve) => setImmediate(resolve));
    expect(other.values()).toEqual(['m0']); // the partition moved while the zombie still holds its batch
    release();
    await bus.settled();
    expect(running).toEqual([false]);
    expect(bus.groupMembers('g')).toHaveLength(2); // the zombie joined again as a new member
    expect(zombie.consumer.state()).toBe('running');
  });
});
