import { describe, expect, inject, it } from 'vitest';
import { createLogger } from '../log/logger.ts';
import { observe, observePause } from './bus-parity.test-support.ts';
import { createMemoryBus } from './memory-bus.ts';
import { createPlatformaticBus } from './platformatic-bus.ts';

/**
 * The @platformatic/kafka bus on the real broker runs the twin's parity script (bus-parity.test-support.ts):
 * a service must see on it what it sees on kafkajs and on the twin, exactly-once visibility and the fencing of
 * a zombie's commit included.
 */
describe('platformatic bus parity with the twin (and so with kafkajs)', () => {
  it('shows a service the same partitions, offsets, markers, visibility, committed offsets, progress and fencing', async () => {
    const brokers = inject('kafkaBrokers').split(',');
    const bus = createPlatformaticBus({
      brokers,
      clientId: 'platformatic-parity',
      logger: createLogger({ service: 'test', level: 'silent' }),
    });
    const onBroker = await observe(bus);
    const onTwin = await observe(createMemoryBus());

    expect(onBroker.zombieCommit).toBe('fenced');
    const visibleOn0 = onBroker.readCommitted.filter((s) => s.startsWith('0:')).length;
    expect(Number(onBroker.ends.find((e) => e.partition === 0)?.high) - visibleOn0).toBe(3); // commit marker, aborted record, abort marker
    expect(onBroker).toEqual(onTwin);
  });
});

describe('platformatic bus: pause as on the twin (and so as on kafkajs)', () => {
  it('pauses and resumes a partition, and ends every pause at a rebalance', async () => {
    const brokers = inject('kafkaBrokers').split(',');
    const bus = createPlatformaticBus({
      brokers,
      clientId: 'platformatic-parity',
      logger: createLogger({ service: 'test', level: 'silent' }),
    });
    const onBroker = await observePause(bus);
    const onTwin = await observePause(createMemoryBus());

    expect(onBroker.whilePaused.partition0).toEqual([]);
    expect(onBroker.afterRebalance).toMatchObject({ paused: [], held: [1, 1] });
    expect(onBroker).toEqual(onTwin);
  });
});

describe('platformatic bus: offsets go with the generation their records were fetched in (KIP-447)', () => {
  it('refuses the offsets of a batch fetched before a rebalance took its partition away', async () => {
    const brokers = inject('kafkaBrokers').split(',');
    const bus = createPlatformaticBus({
      brokers,
      clientId: 'platformatic-kip447',
      logger: createLogger({ service: 'test', level: 'silent' }),
    });
    const suffix = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const topic = `kip447-${suffix}`;
    const group = `kip447-group-${suffix}`;
    const admin = await bus.admin();
    await admin.ensureTopics([{ name: topic, partitions: 2, replicationFactor: 1 }]);
    const producer = await bus.producer();
    await producer.send([0, 1].map((partition) => ({ topic, key: null, value: `p${partition}`, partition })));

    // the first member holds its first batch until a second member has joined and the group has rebalanced
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let held: { partition: number; lastOffset: string } | undefined;
    const first = await bus.consumer({ groupId: group, heartbeatIntervalMs: 100, sessionTimeoutMs: 10_000 });
    await first.subscribe([topic]);
    await first.run({
      autoCommit: false,
      eachBatch: async (batch) => {
        if (held) return;
        held = { partition: batch.partition, lastOffset: batch.lastOffset };
        await released;
      },
    });
    await until(() => held !== undefined);
    // another instance of the service: a bus of its own
    const other = createPlatformaticBus({
      brokers,
      clientId: 'platformatic-kip447',
      logger: createLogger({ service: 'test', level: 'silent' }),
    });
    const second = await other.consumer({ groupId: group, heartbeatIntervalMs: 100, sessionTimeoutMs: 10_000 });
    await second.subscribe([topic]);
    await second.run({ autoCommit: false, eachBatch: async () => {} });
    await until(() => first.assignment().length === 1 && second.assignment().length === 1);

    const txProducer = await bus.transactionalProducer(`kip447-tx-${suffix}`);
    const tx = await txProducer.transaction();
    const { partition, lastOffset } = held as { partition: number; lastOffset: string };
    const outcome = await tx.sendOffsets(group, [{ topic, partition, offset: (BigInt(lastOffset) + 1n).toString() }]).then(
      () => 'accepted',
      (error: unknown) => `refused: ${String(error)}`,
    );
    await tx.abort().catch(() => {});
    release();
    expect(outcome).toMatch(/^refused: .*generation/i);
    expect((await admin.groupOffsets(group, topic)).find((o) => o.partition === partition)?.offset).toBe('-1');

    await Promise.allSettled([first.disconnect(), second.disconnect(), producer.disconnect(), txProducer.disconnect()]);
    await admin.deleteTopics([topic]).catch(() => {});
    await admin.disconnect();
  });
});

async function until(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
