import { describe, expect, inject, it } from 'vitest';
import { createLogger } from '../log/logger.ts';
import { observe } from './bus-parity.test-support.ts';
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
