// Shared pieces of the benchmark scripts: a clock for wall time and CPU, and a table printer.
// Benchmarks print figures and ratios against a baseline measured in the same run; they assert nothing.

export interface Measurement {
  label: string;
  events: number;
  wallMs: number;
  cpuUs: number;
}

export async function measure(label: string, events: number, work: () => Promise<void>): Promise<Measurement> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await work();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  return { label, events, wallMs, cpuUs: cpu.user + cpu.system };
}

export function report(title: string, baseline: Measurement, subject: Measurement): string {
  const rate = (m: Measurement) => m.events / (m.wallMs / 1000);
  const cpuPerEvent = (m: Measurement) => m.cpuUs / m.events;
  const row = (m: Measurement) =>
    `| ${m.label} | ${m.events} | ${(m.wallMs / 1000).toFixed(2)} | ${rate(m).toFixed(0)} | ${cpuPerEvent(m).toFixed(1)} |`;
  return [
    `\n${title}`,
    '| run | events | seconds | events/s | CPU µs/event (this process) |',
    '|---|---|---|---|---|',
    row(baseline),
    row(subject),
    `ratio ${subject.label} / ${baseline.label}: throughput ${(rate(subject) / rate(baseline)).toFixed(2)}x, CPU per event ${(cpuPerEvent(subject) / cpuPerEvent(baseline)).toFixed(2)}x`,
  ].join('\n');
}

import { randomUUID } from 'node:crypto';
import {
  type Admin,
  commonSettings,
  createKafkajsBus,
  createLogger,
  createSchemaRegistryClient,
  kafkaAuthOrExit,
  loadConfigOrExit,
} from '@register-feeds/service-kit';
import { Kafka, logLevel, Partitioners } from 'kafkajs';

/** What every benchmark starts from: the stack's config, clients wired as services wire them, and a run id for its topics. */
export async function benchStack() {
  const base = loadConfigOrExit('bench', commonSettings);
  const logger = createLogger({ service: 'bench', level: 'warn' });
  const bus = createKafkajsBus({ brokers: base.kafkaBrokers, clientId: 'bench', logger, auth: kafkaAuthOrExit('bench', base) });
  const registry = createSchemaRegistryClient({ url: base.schemaRegistryUrl });
  const admin = await bus.admin();
  return { base, logger, bus, registry, admin, run: randomUUID().slice(0, 8) };
}

/** Waits until a group has committed to the end of every (non-empty) partition of a topic. */
export async function waitForGroup(admin: Admin, groupId: string, topic: string): Promise<void> {
  const ends = await admin.topicOffsets(topic);
  for (;;) {
    const committed = await admin.groupOffsets(groupId, topic);
    if (ends.every((e) => e.high === e.low || committed.find((c) => c.partition === e.partition)?.offset === e.high)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The baseline: plain kafkajs, consume each batch and produce it unchanged, commit after each batch. */
export async function kafkajsPassthrough({
  brokers,
  admin,
  from,
  to,
  groupId,
}: {
  brokers: string[];
  admin: Admin;
  from: string;
  to: string;
  groupId: string;
}) {
  const kafka = new Kafka({ clientId: 'bench-passthrough', brokers, logLevel: logLevel.NOTHING });
  const out = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const consumer = kafka.consumer({ groupId });
  await Promise.all([out.connect(), consumer.connect()]);
  await consumer.subscribe({ topic: from, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      await out.send({ topic: to, messages: batch.messages.map((m) => ({ key: m.key, value: m.value })) });
    },
  });
  await waitForGroup(admin, groupId, from);
  await consumer.disconnect();
  await out.disconnect();
}
