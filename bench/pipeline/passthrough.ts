// The client's own ceiling: records read from a topic and written unchanged to another, with no decode.
// Transactional is the services' exactly-once shape (service-kit's transactional pipeline over the bus:
// a partition's transaction carries the output and the consumed offsets, under the services' commit
// policy, EDGE_COMMIT_INTERVAL_MS and EDGE_COMMIT_MAX_RECORDS); plain is kafkajs consume-produce with
// auto-commit, for what the transactions cost. The input is produced beforehand; the clock and the CPU
// count run from the moment the consumer has joined its group until the group is at lag 0, so neither
// the join nor the producing of the input is in the figures.
import { type Admin, type CommitPolicy, createLogger, type MessageBus, startTransactionalPipeline } from '@register-feeds/service-kit';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { waitForLagZero } from '../support/services.ts';

export interface PassthroughRun {
  records: number;
  wallMs: number;
  /** CPU of this process (the passthrough runs in it), microseconds */
  cpuUs: number;
}

/** Measures from `joined()` turning true until the group has committed to the end of `from`. */
async function fromJoinToLagZero(
  bus: MessageBus,
  admin: Admin,
  { from, groupId, records }: { from: string; groupId: string; records: number },
  joined: () => boolean,
): Promise<PassthroughRun> {
  while (!joined()) await new Promise((r) => setTimeout(r, 5));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const doneAt = await waitForLagZero(bus, admin, [{ group: groupId, topic: from }], { intervalMs: 50 });
  const cpu = process.cpuUsage(cpu0);
  return { records, wallMs: doneAt - t0, cpuUs: cpu.user + cpu.system };
}

export async function transactionalPassthrough({
  bus,
  admin,
  from,
  to,
  groupId,
  records,
  commit,
}: {
  bus: MessageBus;
  admin: Admin;
  from: string;
  to: string;
  groupId: string;
  records: number;
  /** the services' (EDGE_COMMIT_INTERVAL_MS, EDGE_COMMIT_MAX_RECORDS); default one transaction per batch */
  commit?: CommitPolicy;
}): Promise<PassthroughRun> {
  const pipeline = await startTransactionalPipeline({
    bus,
    groupId,
    topic: from,
    logger: createLogger({ service: 'bench-passthrough', level: 'warn' }),
    handle: async (batch) => ({ messages: batch.messages.map((m) => ({ topic: to, key: m.key, value: m.value })) }),
    ...(commit ? { commit } : {}),
  });
  try {
    return await fromJoinToLagZero(bus, admin, { from, groupId, records }, () => pipeline.assignment().length > 0);
  } finally {
    await pipeline.stop();
  }
}

/** Plain kafkajs: each batch produced as it is, offsets committed by the consumer after each batch. */
export async function plainPassthrough({
  bus,
  brokers,
  admin,
  from,
  to,
  groupId,
  records,
}: {
  bus: MessageBus;
  brokers: string[];
  admin: Admin;
  from: string;
  to: string;
  groupId: string;
  records: number;
}): Promise<PassthroughRun> {
  const kafka = new Kafka({ clientId: 'bench-passthrough', brokers, logLevel: logLevel.NOTHING });
  const out = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const consumer = kafka.consumer({ groupId });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
  });
  await Promise.all([out.connect(), consumer.connect()]);
  try {
    await consumer.subscribe({ topic: from, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        await out.send({ topic: to, messages: batch.messages.map((m) => ({ key: m.key, value: m.value })) });
      },
    });
    return await fromJoinToLagZero(bus, admin, { from, groupId, records }, () => joined);
  } finally {
    await consumer.disconnect();
    await out.disconnect();
  }
}
