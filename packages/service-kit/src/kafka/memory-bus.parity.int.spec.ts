import { describe, expect, inject, it } from 'vitest';
import { createLogger } from '../log/logger.ts';
import { observe, observePause } from './bus-parity.test-support.ts';
import { createKafkajsBus } from './kafkajs-bus.ts';
import { createMemoryBus } from './memory-bus.ts';

/**
 * The twin against the real broker: one script of sends, transactions, an abort, a fencing and a group
 * that reads to the end, run on both; everything a service could observe of it must be the same (key to
 * partition, offsets with their markers, what read_committed shows, committed offsets, progress, the
 * fenced commit). What the twin's unit tests prove holds on Kafka only as far as this does.
 */

describe('memory bus parity with the real broker', () => {
  it('shows a service the same partitions, offsets, markers, visibility, committed offsets, progress and fencing', async () => {
    const brokers = inject('kafkaBrokers').split(',');
    const real = createKafkajsBus({ brokers, clientId: 'twin-parity', logger: createLogger({ service: 'test', level: 'silent' }) });
    const onBroker = await observe(real);
    const onTwin = await observe(createMemoryBus());

    // the script did what it is about on the broker: markers took offsets, the zombie was fenced
    expect(onBroker.zombieCommit).toBe('fenced');
    const visibleOn0 = onBroker.readCommitted.filter((s) => s.startsWith('0:')).length;
    expect(Number(onBroker.ends.find((e) => e.partition === 0)?.high) - visibleOn0).toBe(3); // commit marker, aborted record, abort marker
    expect(onTwin).toEqual(onBroker);
  });

  it('pauses and resumes a partition as kafkajs-bus does, and ends every pause at a rebalance', async () => {
    const brokers = inject('kafkaBrokers').split(',');
    const real = createKafkajsBus({ brokers, clientId: 'twin-parity', logger: createLogger({ service: 'test', level: 'silent' }) });
    const onBroker = await observePause(real);
    const onTwin = await observePause(createMemoryBus());

    expect(onBroker.whilePaused).toEqual({ partition0: [], paused: [0] });
    expect(onBroker.afterRebalance).toMatchObject({ paused: [], held: [1, 1], firstTookUpMoreThanOnce: true });
    expect(onTwin).toEqual(onBroker);
  });
});
