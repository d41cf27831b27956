import { createMemoryBus } from '@register-feeds/service-kit';
import { describe, expect, it } from 'vitest';
import { startFeedReplica } from './feed-replica.ts';
import type { Projection } from './projections/index.ts';

/** The least a replica needs of a projection: rows by key. */
const keyValue = {
  emptyState: () => new Map<string, unknown>(),
  load: (state: Map<string, unknown>, key: string, row: unknown) => {
    if (row === null) state.delete(key);
    else state.set(key, row);
  },
  rows: (state: Map<string, unknown>) => [...state].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
} as unknown as Projection<unknown>;

const FEED = 'feed.test.v1';

async function setUp() {
  const bus = createMemoryBus();
  const admin = await bus.admin();
  await admin.ensureTopics([{ name: FEED, partitions: 1, replicationFactor: 1, config: { 'cleanup.policy': 'compact' } }]);
  const producer = await bus.producer();
  const write = (key: string, row: unknown) => producer.send([{ topic: FEED, key, value: row === null ? null : JSON.stringify(row) }]);
  const replica = await startFeedReplica({ bus, projection: keyValue, feedTopic: FEED, groupPrefix: 'replica' });
  const rowOf = (key: string) => (replica.state() as Map<string, unknown>).get(key);
  return { bus, write, replica, rowOf };
}

describe('the feed replica', () => {
  it('shows its own commit at once, and an older value of another instance still on its way does not take it back', async () => {
    const { bus, write, replica, rowOf } = await setUp();
    replica.publish([{ key: 'k', value: JSON.stringify({ v: 2 }) }]); // committed here, not yet read back
    expect(rowOf('k')).toEqual({ v: 2 });
    await write('k', { v: 1 }); // another instance's older write, in the feed before ours
    await write('k', { v: 2 }); // ours, read back
    await bus.settled();
    expect(rowOf('k')).toEqual({ v: 2 });
    await replica.stop();
  });

  it('takes later writes of another instance when it read its own commit back before publishing it', async () => {
    const { bus, write, replica, rowOf } = await setUp();
    await write('k', { v: 1 }); // this instance's commit, read by the follower before...
    await bus.settled();
    replica.publish([{ key: 'k', value: JSON.stringify({ v: 1 }) }]); // ...its publish runs
    await write('k', { v: 2 }); // then another instance writes the key
    await bus.settled();
    expect(rowOf('k')).toEqual({ v: 2 });
    await replica.stop();
  });
});
