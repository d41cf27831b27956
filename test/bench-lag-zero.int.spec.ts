import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordsBetween, waitForLagZero } from '../bench/support/services.ts';
import { createTopics, testStack, uniqueName, waitFor } from './support/stack.ts';

// The benchmarks' "lag 0" (bench/support/services.ts) on a real broker: a partition that ends in an
// aborted transaction is never committed to its very end by a consumer that only commits the records it
// gets, so a group stopped short is read again: nothing committed left is lag 0, anything left is not.

const { bus } = testStack();
const admin = await bus.admin();
const topic = uniqueName('bench-lag');
const done = uniqueName('bench-lag-done');
const behind = uniqueName('bench-lag-behind');

beforeAll(async () => {
  await createTopics(admin, { name: topic });
  // offsets 0-4 committed records, 5 their marker; 6-8 aborted records, 9 their marker: the end is 10
  const producer = await bus.transactionalProducer(`${topic}-writer`);
  const committed = await producer.transaction();
  await committed.send([0, 1, 2, 3, 4].map((i) => ({ topic, key: `k${i}`, value: `v${i}` })));
  await committed.commit();
  const aborted = await producer.transaction();
  await aborted.send([5, 6, 7].map((i) => ({ topic, key: `k${i}`, value: `aborted ${i}` })));
  await aborted.abort();
  await producer.disconnect();
  // the coordinator writes the abort marker after answering: the end is 10 once it has
  await waitFor('the abort marker', async () => (await admin.topicOffsets(topic))[0]?.high === '10');
  // one group past everything committed (as a service that read the first transaction), one in the middle
  // (a producer of their own: the writer's id may still be busy ending its aborted transaction)
  const committer = await bus.transactionalProducer(`${topic}-offsets`);
  const offsets = await committer.transaction();
  await offsets.sendOffsets(done, [{ topic, partition: 0, offset: '6' }]);
  await offsets.sendOffsets(behind, [{ topic, partition: 0, offset: '2' }]);
  await offsets.commit();
  await committer.disconnect();
});

afterAll(async () => {
  await admin.deleteTopics([topic]).catch(() => {});
  await admin.disconnect();
});

describe('lag 0 for benchmarks', () => {
  it('given a range of aborted records and markers, then no committed record is counted in it; given committed ones, then each is', async () => {
    expect(await recordsBetween(bus, topic, [{ partition: 0, from: 6n, to: 10n }])).toBe(0);
    expect(await recordsBetween(bus, topic, [{ partition: 0, from: 2n, to: 10n }])).toBe(3);
  });

  it('given a group stopped in front of a trailing aborted transaction, then it is at lag 0; given one with records left, then it is not', async () => {
    const probes: Array<[string, number]> = [];
    const at = await waitForLagZero(bus, admin, [{ group: done, topic }], {
      stallMs: 300,
      timeoutMs: 60_000,
      onProbe: (g, left) => void probes.push([g.group, left]),
    });
    expect(at).toBeLessThanOrEqual(performance.now());
    expect(probes).toEqual([[done, 0]]);

    await expect(waitForLagZero(bus, admin, [{ group: behind, topic }], { stallMs: 300, timeoutMs: 8_000 })).rejects.toThrow(
      new RegExp(`${behind} 2/10`),
    );
  });
});
