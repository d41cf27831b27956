import {
  type Admin,
  type Batch,
  type BatchOutcome,
  type CommitPolicy,
  createLogger,
  type MessageBus,
  startTransactionalPipeline,
  type TransactionalPipeline,
} from '@register-feeds/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopics, readAll, testStack, uniqueName, waitFor } from './support/stack.ts';

// Transactions bounded by time, not by fetch, on the real broker (kafkajs): a partition's transaction
// carries several fetched batches, commits on its timer when no batch comes, commits on stop(), and a
// producer fenced mid-transaction has every batch of it read again (kafkajs's seek, then its retry), with
// every record produced exactly once. An upstream transaction left open, with the batches' last stable
// offset withheld from the pipeline, keeps the partition from ever looking caught up (the high watermark
// is past what read_committed may read), so only the interval, stop() or a failure end the transaction.
// (test/last-stable-offset.int.spec.ts shows the bus hands that offset on.) About 3 MB of records: kafkajs fetches at most 1 MB per partition.

const { bus } = testStack();
const logger = createLogger({ service: 'test', level: process.env.TEST_LOG_LEVEL ?? 'fatal' });
const RECORDS = 3_000;
const padding = 'x'.repeat(1_000);
let admin: Admin;

beforeAll(async () => {
  admin = await bus.admin();
});
afterAll(async () => {
  await admin.disconnect();
});

interface Run {
  pipeline: TransactionalPipeline;
  input: string;
  output: string;
  groupId: string;
  /** batches handled (every attempt) and transactions committed */
  counts: { batches: number; records: number; commits: number; aborts: number };
  /** ends the upstream transaction: the partition can be caught up again */
  endUpstream: () => Promise<void>;
}

async function run(prefix: string, commit: CommitPolicy, before?: (batch: Batch, run: Run) => Promise<void>): Promise<Run> {
  const id = uniqueName(prefix);
  const [input, output, groupId] = [`${id}.in`, `${id}.out`, `${id}.group`];
  await createTopics(admin, { name: input, partitions: 1 }, { name: output, partitions: 1 });
  const producer = await bus.producer();
  for (let from = 0; from < RECORDS; from += 500)
    await producer.send(Array.from({ length: 500 }, (_, i) => ({ topic: input, key: null, value: `${from + i} ${padding}` })));
  await producer.disconnect();
  const upstream = await bus.transactionalProducer(`${id}-upstream`);
  const open = await upstream.transaction();
  await open.send([{ topic: input, key: null, value: 'late' }]);

  const counts = { batches: 0, records: 0, commits: 0, aborts: 0 };
  const self = { input, output, groupId, counts } as Run;
  self.endUpstream = async () => {
    await open.commit();
    await upstream.disconnect();
  };
  // counts the commits of the pipeline's transactions; batches come without their last stable offset
  const counting: MessageBus = {
    ...bus,
    consumer: async (options) => {
      const consumer = await bus.consumer(options);
      const run = consumer.run.bind(consumer);
      consumer.run = (runOptions) =>
        run({ ...runOptions, eachBatch: ({ lastStableOffset: _, ...batch }, context) => runOptions.eachBatch(batch, context) });
      return consumer;
    },
    transactionalProducer: async (transactionalId) => {
      const producer = await bus.transactionalProducer(transactionalId);
      return {
        disconnect: () => producer.disconnect(),
        transaction: async () => {
          const tx = await producer.transaction();
          return {
            ...tx,
            commit: async () => {
              await tx.commit();
              counts.commits++;
            },
          };
        },
      };
    },
  };
  self.pipeline = await startTransactionalPipeline({
    bus: counting,
    groupId,
    topic: input,
    logger,
    commit,
    handle: async (batch): Promise<BatchOutcome> => {
      await before?.(batch, self);
      counts.batches++;
      counts.records += batch.messages.length;
      return {
        messages: batch.messages.map((m) => ({ topic: output, key: null, value: String(m.value).split(' ')[0] ?? '' })),
        afterAbort: () => void counts.aborts++,
      };
    },
  });
  return self;
}

const committedOffset = async (groupId: string, topic: string) => (await admin.groupOffsets(groupId, topic))[0]?.offset;

/** the outputs, each once, and any seen more than once */
async function outputs(topic: string): Promise<{ distinct: number; duplicates: number }> {
  const values = (await readAll(bus, admin, topic)).map((m) => String(m.value));
  return { distinct: new Set(values).size, duplicates: values.length - new Set(values).size };
}

describe('transactions bounded by time, not by fetch (kafkajs)', () => {
  it('carries several fetched batches in one transaction, commits it on its timer when no batch comes, and at once when caught up', async () => {
    const r = await run('commit-interval', { intervalMs: 3_000, maxRecords: 1_000_000 });
    try {
      await waitFor(
        'the timer to commit the open transaction',
        async () => (await committedOffset(r.groupId, r.input)) === String(RECORDS),
      );
      expect(r.counts.batches).toBeGreaterThan(1); // kafkajs fetched the 3 MB in several batches...
      expect(r.counts.aborts).toBe(0);
      expect(await outputs(r.output)).toEqual({ distinct: RECORDS, duplicates: 0 });
      // ...and they went into fewer transactions than batches (each later batch joined the open one)
      expect(r.counts.commits).toBeLessThan(r.counts.batches);

      await r.endUpstream(); // the late record and the marker: the batch reaches the end, and commits at once
      await waitFor('the late record committed', async () => (await committedOffset(r.groupId, r.input)) === String(RECORDS + 2));
      expect(await outputs(r.output)).toEqual({ distinct: RECORDS + 1, duplicates: 0 });
    } finally {
      await r.pipeline.stop();
    }
  });

  it('commits the open transaction on stop()', async () => {
    const r = await run('commit-stop', { intervalMs: 10_000, maxRecords: 1_000_000 });
    try {
      await waitFor('every record handled', () => r.counts.records === RECORDS);
      expect(await committedOffset(r.groupId, r.input)).toBe('-1'); // open: not caught up, the interval far off
    } finally {
      await r.pipeline.stop();
    }
    expect(await committedOffset(r.groupId, r.input)).toBe(String(RECORDS));
    expect(await outputs(r.output)).toEqual({ distinct: RECORDS, duplicates: 0 });
    await r.endUpstream();
  });

  it('reads every batch of a transaction fenced mid-way again, and produces each record once', async () => {
    let rivalled = false;
    const r = await run('commit-fenced', { intervalMs: 10_000, maxRecords: 1_000_000 }, async (batch, self) => {
      if (!rivalled && Number(batch.messages[0]?.offset) > 0) {
        rivalled = true; // the second batch: a new producer with the pipeline's transactional id fences it
        const rival = await bus.transactionalProducer(`${self.groupId}-${self.input}-0`);
        await (await rival.transaction()).abort();
        await rival.disconnect();
      }
    });
    try {
      await waitFor('every record handled after the fencing', () => rivalled && r.counts.aborts > 0 && r.counts.records >= RECORDS + 1);
      await r.endUpstream();
      await waitFor('everything committed', async () => (await committedOffset(r.groupId, r.input)) === String(RECORDS + 2), {
        timeoutMs: 60_000,
      });
      expect(r.counts.aborts).toBeGreaterThanOrEqual(2); // the first batch was in the fenced transaction too
      expect(await outputs(r.output)).toEqual({ distinct: RECORDS + 1, duplicates: 0 });
    } finally {
      await r.pipeline.stop();
    }
  });
});
