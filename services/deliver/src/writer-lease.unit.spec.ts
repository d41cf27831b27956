import { createLogger, createMemoryBus } from '@register-feeds/service-kit';
import { describe, expect, it, vi } from 'vitest';
import { leaseTopicEntry, startWriterLease } from './writer-lease.ts';

const logger = createLogger({ service: 'deliver-test', level: (process.env.TEST_LOG_LEVEL ?? 'silent') as 'silent' });
const LEASE = 'deliver.writers.test';

/** A lease on a topic of its own, on the twin, recording every onChange (which `fail` may make throw). */
async function startLease(fail: (held: boolean) => boolean = () => false) {
  const bus = createMemoryBus();
  const admin = await bus.admin();
  await admin.ensureTopics([{ ...leaseTopicEntry(LEASE), replicationFactor: 1, config: {} }]);
  const changes: boolean[] = [];
  const lease = await startWriterLease({
    bus,
    topic: LEASE,
    groupId: 'g-writer',
    logger,
    onChange: async (held) => {
      changes.push(held);
      if (fail(held)) throw new Error('the broker is away for a moment');
    },
  });
  return { lease, changes };
}

describe('the writer lease', () => {
  it('takes the lease up again when the fold did not start, until it starts', async () => {
    let failuresLeft = 2;
    const { lease, changes } = await startLease((held) => held && failuresLeft-- > 0);
    expect(changes).toEqual([true]);
    expect(lease.held()).toBe(true); // held, not folding: the runner's ready() says so
    await vi.waitFor(() => expect(changes).toEqual([true, true, true]), { timeout: 5_000, interval: 50 });
    expect(lease.held()).toBe(true);
    await new Promise((r) => setTimeout(r, 600)); // a started fold is not started again
    expect(changes).toEqual([true, true, true]);
    await lease.stop();
    expect(changes).toEqual([true, true, true, false]);
  });

  it('tells a lone member it holds the lease, and lets it go at stop', async () => {
    const { lease, changes } = await startLease();
    expect(lease.held()).toBe(true);
    await lease.stop();
    expect(changes).toEqual([true, false]);
  });
});
