// The client's own ceiling: records read from a topic and written unchanged to another, with no decode.
// Transactional is the services' exactly-once shape (service-kit's transactional pipeline over the bus:
// one transaction per fetched batch carrying the output and the consumed offsets); plain is kafkajs
// consume-produce with auto-commit (bench/support.ts), for what the transactions cost.
import { type Admin, createLogger, type MessageBus, startTransactionalPipeline } from '@register-feeds/service-kit';
import { waitForLagZero } from '../support/services.ts';
import { kafkajsPassthrough } from '../support.ts';

export interface PassthroughRun {
  records: number;
  wallMs: number;
  /** CPU of this process (the passthrough runs in it), microseconds */
  cpuUs: number;
}

async function timed(records: number, work: () => Promise<void>): Promise<PassthroughRun> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await work();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { records, wallMs, cpuUs: cpu.user + cpu.system };
}

export function transactionalPassthrough({
  bus,
  admin,
  from,
  to,
  groupId,
  records,
}: {
  bus: MessageBus;
  admin: Admin;
  from: string;
  to: string;
  groupId: string;
  records: number;
}): Promise<PassthroughRun> {
  const logger = createLogger({ service: 'bench-passthrough', level: 'warn' });
  return timed(records, async () => {
    const pipeline = await startTransactionalPipeline({
      bus,
      groupId,
      topic: from,
      logger,
      handle: async (batch) => ({ messages: batch.messages.map((m) => ({ topic: to, key: m.key, value: m.value })) }),
    });
    await waitForLagZero(bus, admin, [{ group: groupId, topic: from }], { intervalMs: 50 });
    await pipeline.stop();
  });
}

export function plainPassthrough({
  brokers,
  admin,
  from,
  to,
  groupId,
  records,
}: {
  brokers: string[];
  admin: Admin;
  from: string;
  to: string;
  groupId: string;
  records: number;
}): Promise<PassthroughRun> {
  return timed(records, () => kafkajsPassthrough({ brokers, admin, from, to, groupId }));
}
