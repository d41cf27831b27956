// Shows what the pipeline made of the register events: waits until ingest has read everything on the raw
// topic, then counts the canonical events by type and sector and lists the dead letters with their
// reasons. Prints no person data (dead-letter reasons never contain any).
//   node scripts/summary.ts [--since-ms <epoch ms>]
import { parseArgs } from 'node:util';
import { settings as ingestSettings } from '@register-feeds/ingest';
import { settings as pseudonymiseSettings } from '@register-feeds/pseudonymise';
import {
  type ConsumedMessage,
  commonSettings,
  createKafkajsBus,
  createLogger,
  createSchemaRegistryClient,
  followTopic,
  kafkaAuthOrExit,
  loadConfigOrExit,
} from '@register-feeds/service-kit';

const { values } = parseArgs({ options: { 'since-ms': { type: 'string' }, 'timeout-s': { type: 'string', default: '120' } } });
const since = Number(values['since-ms'] ?? 0);
// ingest's topics and group, not its partition key: the summary reads, it never keys anything
const { partitionKey: _partitionKey, ...ingestTopics } = ingestSettings;
const config = loadConfigOrExit('summary', {
  ...commonSettings,
  ...ingestTopics,
  auditTopic: pseudonymiseSettings.auditTopic,
  pseudonymiseGroupId: pseudonymiseSettings.groupId,
});
const logger = createLogger({ service: 'summary', level: 'warn', destination: process.stderr as never });
const bus = createKafkajsBus({
  brokers: config.kafkaBrokers,
  clientId: `${config.kafkaClientId}-summary`,
  logger,
  auth: kafkaAuthOrExit('summary', config),
});
const registry = createSchemaRegistryClient({ url: config.schemaRegistryUrl });
const admin = await bus.admin();

const deadline = Date.now() + Number(values['timeout-s']) * 1000;
const lagOf = async (groupId: string, topic: string) => {
  const ends = await admin.topicOffsets(topic);
  const committed = await admin.groupOffsets(groupId, topic);
  return ends.reduce((lag, end) => {
    const at = committed.find((c) => c.partition === end.partition)?.offset ?? '-1';
    return lag + Number(BigInt(end.high) - (at === '-1' ? BigInt(end.low) : BigInt(at)));
  }, 0);
};
/** Waits until a service's group has read its input topic to the end. */
async function caughtUp(service: string, groupId: string, topic: string) {
  for (let lag = await lagOf(groupId, topic); lag > 0; lag = await lagOf(groupId, topic)) {
    if (Date.now() > deadline) {
      process.stderr.write(`summary: ${service} is still ${lag} records behind on ${topic}\n`);
      process.exit(1);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}
await caughtUp('ingest', config.groupId, config.rawTopic);
await caughtUp('pseudonymise', config.pseudonymiseGroupId, config.eventsTopic);

async function readAll(topic: string): Promise<ConsumedMessage[]> {
  const read: ConsumedMessage[] = [];
  const followed = await followTopic({ bus, admin, topic, groupPrefix: 'summary', onMessages: (m) => void read.push(...m) });
  await followed.caughtUp;
  await followed.stop();
  return read.filter((m) => Number(m.timestamp) >= since);
}

const events =
  (await Promise.all((await readAll(config.eventsTopic)).map((m) => registry.decode<{ eventType: string; sector: string }>(m.value!)))) ??
  [];
const deadLetters = await Promise.all(
  (await readAll(config.deadLetterTopic)).map((m) =>
    registry.decode<{ sourcePartition: number; sourceOffset: number; reasons: { field: string; rule: string; message: string }[] }>(
      m.value!,
    ),
  ),
);
// one audit entry per event, listing every recipient that got a record of it
const audited = await Promise.all(
  (await readAll(config.auditTopic)).map((m) =>
    registry.decode<{ deliveries: { recipient: string; legalBasis: string; outputTopic: string }[] }>(m.value!),
  ),
);
const deliveries = audited.flatMap((entry) => entry.deliveries);
await admin.disconnect();

const byType = new Map<string, number>();
for (const e of events) byType.set(`${e.eventType} (${e.sector})`, (byType.get(`${e.eventType} (${e.sector})`) ?? 0) + 1);
const out = [`\n${config.eventsTopic}: ${events.length} canonical events`];
for (const [type, n] of [...byType.entries()].sort()) out.push(`  ${String(n).padStart(5)}  ${type}`);
out.push(`${config.deadLetterTopic}: ${deadLetters.length} refused`);
for (const d of deadLetters) {
  out.push(
    `  partition ${d.sourcePartition} offset ${d.sourceOffset}: ${d.reasons.map((r) => `${r.field || '(record)'} ${r.rule}`).join('; ')}`,
  );
}
const perRecipient = new Map<string, { n: number; topic: string; legalBasis: string }>();
for (const d of deliveries) {
  const entry = perRecipient.get(d.recipient) ?? { n: 0, topic: d.outputTopic, legalBasis: d.legalBasis };
  entry.n += 1;
  perRecipient.set(d.recipient, entry);
}
out.push(`${config.auditTopic}: ${deliveries.length} records delivered (${audited.length} events)`);
for (const [recipient, d] of [...perRecipient.entries()].sort()) {
  out.push(`  ${String(d.n).padStart(5)}  ${recipient} -> ${d.topic} (${d.legalBasis})`);
}
process.stdout.write(`${out.join('\n')}\n`);
