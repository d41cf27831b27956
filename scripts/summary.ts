// Shows what the pipeline made of the register events: waits until ingest has read everything on the raw
// topic, then counts the canonical events by type and sector and lists the dead letters with their
// reasons. Prints no person data (dead-letter reasons never contain any).
//   node scripts/summary.ts [--since-ms <epoch ms>]
import { parseArgs } from 'node:util';
import {
  type ConsumedMessage,
  commonSettings,
  createKafkajsBus,
  createLogger,
  createSchemaRegistryClient,
  followTopic,
  loadConfigOrExit,
} from '@register-feeds/service-kit';
import { settings as ingestSettings } from '../services/ingest/src/config.ts';

const { values } = parseArgs({ options: { 'since-ms': { type: 'string' }, 'timeout-s': { type: 'string', default: '120' } } });
const since = Number(values['since-ms'] ?? 0);
const config = loadConfigOrExit('summary', { ...commonSettings, ...ingestSettings });
const logger = createLogger({ service: 'summary', level: 'warn', destination: process.stderr as never });
const bus = createKafkajsBus({ brokers: config.kafkaBrokers, clientId: `${config.kafkaClientId}-summary`, logger });
const registry = createSchemaRegistryClient({ url: config.schemaRegistryUrl });
const admin = await bus.admin();

const deadline = Date.now() + Number(values['timeout-s']) * 1000;
const lagOf = async () => {
  const ends = await admin.topicOffsets(config.rawTopic);
  const committed = await admin.groupOffsets(config.groupId, config.rawTopic);
  return ends.reduce((lag, end) => {
    const at = committed.find((c) => c.partition === end.partition)?.offset ?? '-1';
    return lag + Number(BigInt(end.high) - (at === '-1' ? BigInt(end.low) : BigInt(at)));
  }, 0);
};
for (let lag = await lagOf(); lag > 0; lag = await lagOf()) {
  if (Date.now() > deadline) {
    process.stderr.write(`summary: ingest is still ${lag} records behind on ${config.rawTopic}\n`);
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 250));
}

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
process.stdout.write(`${out.join('\n')}\n`);
