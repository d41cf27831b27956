import { describe, expect, it } from 'vitest';
import { createLogger } from '../log/logger.ts';
import { type Batch, isProducerFenced, type MessageBus, type TransactionalProducer } from './bus.ts';
import { createMemoryBus, type MemoryBus } from './memory-bus.ts';
import { COMMIT_PER_BATCH, type CommitPolicy, startTransactionalPipeline, type TransactionalPipeline } from './transactional-pipeline.ts';

/**
 * The transactional pipeline on the twin: exactly-once across the failures the real broker showed in
 * issue 12 (a failed commit, a commit whose answer was lost, an instance joining and leaving, a zombie, a
 * crashed consumer), checked on what a read_committed reader sees. Every case runs four times: one
 * transaction per batch, and transactions spanning batches (small fetches, so most transactions carry
 * several), each with one batch in hand at a time and with every partition's at once.
 */

const logger = createLogger({ service: 'test', level: 'silent' });
const PARTITIONS = 4;

const policies: Array<{ name: string; commit: CommitPolicy; maxBatchRecords?: number; partitionsConcurrently?: number }> = [
  { name: 'one transaction per batch', commit: COMMIT_PER_BATCH },
  { name: 'transactions spanning batches', commit: { intervalMs: 60_000, maxRecords: 10_000 }, maxBatchRecords: 3 },
  // every partition's batch in hand at once (EDGE_PARTITIONS_CONCURRENTLY)
  { name: 'one transaction per batch, partitions concurrently', commit: COMMIT_PER_BATCH, partitionsConcurrently: PARTITIONS },
  {
    name: 'transactions spanning batches, partitions concurrently',
    commit: { intervalMs: 60_000, maxRecords: 10_000 },
    maxBatchRecords: 3,
    partitionsConcurrently: PARTITIONS,
  },
];

describe.each(policies)('transactional pipeline on the memory bus, $name', ({ commit, maxBatchRecords, partitionsConcurrently }) => {
  async function setUp(): Promise<{ bus: MemoryBus; fenced: () => number; send: (from: number, to: number) => Promise<void> }> {
    const bus = createMemoryBus({ maxBatchRecords });
    const admin = await bus.admin();
    await admin.ensureTopics([
      { name: 'in', partitions: PARTITIONS, replicationFactor: 1 },
      { name: 'out', partitions: 2, replicationFactor: 1 },
    ]);
    // counts the fenced failures the pipeline met, to show the test went down the path it is about
    let fenced = 0;
    const counted = <T>(p: Promise<T>) =>
      p.catch((error: unknown) => {
        if (isProducerFenced(error)) fenced++;
        throw error;
      });
    const transactionalProducer = bus.transactionalProducer.bind(bus);
    bus.transactionalProducer = async (id): Promise<TransactionalProducer> => {
      const producer = await transactionalProducer(id);
      return {
        disconnect: () => producer.disconnect(),
        transaction: async () => {
          const tx = await counted(producer.transaction());
          return {
            send: (m) => counted(tx.send(m)),
            sendOffsets: (g, o) => counted(tx.sendOffsets(g, o)),
            commit: () => counted(tx.commit()),
            abort: () => counted(tx.abort()),
          };
        },
      };
    };
    const producer = await bus.producer();
    const send = (from: number, to: number) =>
      producer.send(Array.from({ length: to - from }, (_, i) => ({ topic: 'in', key: `key-${from + i}`, value: `event-${from + i}` })));
    return { bus, fenced: () => fenced, send };
  }

  const toOutputs = async (batch: Batch) => ({
    messages: batch.messages.map((m) => ({ topic: 'out', key: m.key, value: `out-${m.value?.toString()}` })),
  });

  const start = (bus: MessageBus, handle = toOutputs): Promise<TransactionalPipeline> =>
    startTransactionalPipeline({ bus, groupId: 'pipeline', topic: 'in', logger, handle, commit, partitionsConcurrently });

  /** every output a read_committed reader sees, and the ones it sees more than once */
  function outputs(bus: MemoryBus): { values: string[]; duplicates: string[] } {
    const values = bus.read('out').map((m) => m.value?.toString() ?? '');
    return { values: [...new Set(values)].sort(), duplicates: values.filter((v, i) => values.indexOf(v) !== i) };
  }

  const expected = (n: number) => Array.from({ length: n }, (_, i) => `out-event-${i}`).sort();

  async function expectCommittedToEnd(bus: MemoryBus) {
    const admin = await bus.admin();
    const ends = await admin.topicOffsets('in');
    expect(await admin.groupOffsets('pipeline', 'in')).toEqual(ends.map((e) => ({ topic: 'in', partition: e.partition, offset: e.high })));
  }

  it('produces every output once and commits the input to its end', async () => {
    const { bus, send } = await setUp();
    const pipeline = await start(bus);
    await send(0, 50);
    await bus.settled();
    expect(outputs(bus)).toEqual({ values: expected(50), duplicates: [] });
    await expectCommittedToEnd(bus);
    expect(pipeline.state()).toBe('running');
    await pipeline.stop();
    expect(pipeline.healthy()).toBe(false);
  });

  it('commits to the end of a partition that ends in an aborted transaction, which the handler never sees', async () => {
    const { bus, send } = await setUp();
    const handled: string[] = [];
    const pipeline = await start(bus, async (batch) => {
      handled.push(...batch.messages.map((m) => m.value?.toString() ?? ''));
      return toOutputs(batch);
    });
    await send(0, 8);
    await bus.settled();
    // the offsets-only transaction comes right after the last commit: the coordinator may still be busy
    bus.faults.failNext('sendOffsets', { times: 2 });
    const upstream = await bus.transactionalProducer('upstream');
    const aborted = await upstream.transaction();
    await aborted.send(
      Array.from({ length: PARTITIONS }, (_, p) => ({ topic: 'in', partition: p, key: `aborted-${p}`, value: 'aborted' })),
    );
    await aborted.abort();
    await bus.settled();
    expect(handled).not.toContain('aborted');
    expect(outputs(bus)).toEqual({ values: expected(8), duplicates: [] });
    // past the aborted records and their markers, once the retried offsets went through (backoff: real time)
    const admin = await bus.admin();
    const ends = async () => (await admin.topicOffsets('in')).map((e) => e.high);
    const committed = async () => (await admin.groupOffsets('pipeline', 'in')).map((o) => o.offset);
    for (let i = 0; i < 150 && String(await committed()) !== String(await ends()); i++) await new Promise((r) => setTimeout(r, 20));
    expect(bus.faults.pending()).toBe(0);
    await expectCommittedToEnd(bus);
    await pipeline.stop();
    await upstream.disconnect();
  });

  it('stays exactly-once across failed commits, also one that took effect while its answer was lost', async () => {
    const { bus, send } = await setUp();
    const pipeline = await start(bus);
    await send(0, 20);
    bus.faults.failNext('commit', { times: 2 });
    bus.faults.failNext('commit', { afterEffect: true });
    bus.faults.failNext('transactionalSend');
    await send(20, 40);
    await bus.settled();
    expect(bus.faults.pending()).toBe(0);
    expect(outputs(bus)).toEqual({ values: expected(40), duplicates: [] });
    // the failed transactions did write: a read_uncommitted reader sees their aborted outputs
    expect(bus.read('out', { readCommitted: false }).length).toBeGreaterThan(40);
    await expectCommittedToEnd(bus);
    expect(pipeline.healthy()).toBe(true);
    await pipeline.stop();
  });

  it('stays exactly-once while a second instance joins (and fences) and then leaves (fenced producers replaced)', async () => {
    const { bus, fenced, send } = await setUp();
    const first = await start(bus);
    await send(0, 40);
    await bus.settled();

    const second = await start(bus); // scale out: takes half the partitions, its producers fence the first's
    await send(40, 80);
    await bus.settled();
    expect(bus.groupMembers('pipeline')).toHaveLength(2);

    await second.stop(); // scale in: the partitions come back to the first, whose cached producers are fenced
    await send(80, 120);
    await bus.settled();
    expect(fenced()).toBeGreaterThan(0);
    expect(outputs(bus)).toEqual({ values: expected(120), duplicates: [] });
    await expectCommittedToEnd(bus);
    expect(first.state()).toBe('running');
    expect(first.healthy()).toBe(true);
    await first.stop();
  });

  it('stays exactly-once when a zombie (evicted mid-batch) finishes its batch after the new owner took the partition', async () => {
    const { bus, fenced, send } = await setUp();
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let holding = true;
    const zombie = await start(bus, async (batch) => {
      if (holding) {
        holding = false;
        await held; // the batch in hand while the group drops this member
      }
      return toOutputs(batch);
    });
    await send(0, 40);
    await bus.waitUntil(() => !holding);
    const [member] = bus.groupMembers('pipeline');
    bus.evictMember('pipeline', member as string);
    const successor = await start(bus);
    await bus.waitUntil(() => outputs(bus).values.length === 40); // the successor took every partition, the held one too
    release();
    await send(40, 60);
    await bus.settled();
    expect(fenced()).toBeGreaterThan(0); // the zombie's transaction was fenced, not committed
    expect(outputs(bus)).toEqual({ values: expected(60), duplicates: [] });
    await expectCommittedToEnd(bus);
    await Promise.all([zombie.stop(), successor.stop()]);
  });

  it('stays exactly-once when a zombie commits after the new owner fetched its batch but before its producer took the id', async () => {
    const { bus, send } = await setUp();
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let heldPartition: number | undefined;
    const zombie = await start(bus, async (batch) => {
      if (heldPartition === undefined) {
        heldPartition = batch.partition;
        await held;
      }
      return toOutputs(batch);
    });
    await send(0, 40);
    await bus.waitUntil(() => heldPartition !== undefined);
    const partition = heldPartition as number;
    const before = bus.committedOffset('pipeline', 'in', partition);
    const [member] = bus.groupMembers('pipeline');
    bus.evictMember('pipeline', member as string);

    // the successor's producers wait at a gate: it has fetched the partition from the old committed offset
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => {
      openGate = resolve;
    });
    let waitingAtGate = 0;
    const successor = await start({
      ...bus,
      transactionalProducer: async (id) => {
        waitingAtGate++;
        await gate;
        return bus.transactionalProducer(id);
      },
    });
    await bus.waitUntil(() => waitingAtGate > 0);
    release(); // the zombie is not fenced yet: its transaction commits
    await bus.waitUntil(() => bus.committedOffset('pipeline', 'in', partition) !== before);
    openGate(); // the successor's batch starts before the committed offset: it must not be produced again
    await send(40, 60);
    await bus.settled();
    expect(outputs(bus)).toEqual({ values: expected(60), duplicates: [] });
    await expectCommittedToEnd(bus);
    await Promise.all([zombie.stop(), successor.stop()]);
  });

  it('stays exactly-once when its consumer crashes mid-stream and is restarted', async () => {
    const { bus, send } = await setUp();
    const pipeline = await start(bus);
    await send(0, 30);
    bus.faults.failNext('fetch', { groupId: 'pipeline', times: 3 });
    await send(30, 60);
    await bus.settled();
    expect(bus.faults.pending()).toBe(0);
    expect(outputs(bus)).toEqual({ values: expected(60), duplicates: [] });
    expect(pipeline.state()).toBe('running');
    await pipeline.stop();
  });
});
