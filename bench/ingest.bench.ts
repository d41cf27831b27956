// Ingest throughput on the local stack: N synthetic raw events through the ingest pipeline (validate,
// normalise, Avro, transactions) against a plain kafkajs consume-and-produce passthrough of the same
// records (no validation, no Avro, no transactions), measured in the same run.
//   npm run bench:ingest -- [--events 50000]
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  commonSettings,
  createKafkajsBus,
  createLogger,
  createSchemaRegistryClient,
  loadConfig,
  loadConfigOrExit,
} from '@register-feeds/service-kit';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { settings as ingestSettings } from '../services/ingest/src/config.ts';
import { rawPersonKey } from '../services/ingest/src/partition-key.ts';
import { startIngest } from '../services/ingest/src/pipeline.ts';
import { rawEvents } from '../test/support/raw-events.ts';
import { measure, report } from './support.ts';

const { values } = parseArgs({ options: { events: { type: 'string', default: '50000' } } });
const total = Number(values.events);
const perPerson = 10;
const base = loadConfigOrExit('bench', commonSettings);
const logger = createLogger({ service: 'bench', level: 'warn' });
const bus = createKafkajsBus({ brokers: base.kafkaBrokers, clientId: 'bench', logger });
const registry = createSchemaRegistryClient({ url: base.schemaRegistryUrl });
const admin = await bus.admin();
const run = randomUUID().slice(0, 8);
const rawTopic = `bench-${run}.raw`;
const PARTITIONS = 6;

await admin.ensureTopics([
  { name: rawTopic, partitions: PARTITIONS, replicationFactor: 1 },
  { name: `bench-${run}.passthrough`, partitions: PARTITIONS, replicationFactor: 1 },
]);
process.stderr.write(`bench: publishing ${total} raw events to ${rawTopic}\n`);
const producer = await bus.producer();
const lines = rawEvents({ persons: Math.ceil(total / perPerson), eventsPerPerson: perPerson, idPrefix: run })
  .slice(0, total)
  .map((e) => JSON.stringify(e));
for (let i = 0; i < lines.length; i += 1000) {
  await producer.send(lines.slice(i, i + 1000).map((line) => ({ topic: rawTopic, key: rawPersonKey(line), value: line })));
}
await producer.disconnect();

async function waitForGroup(groupId: string) {
  const ends = await admin.topicOffsets(rawTopic);
  for (;;) {
    const committed = await admin.groupOffsets(groupId, rawTopic);
    if (ends.every((e) => committed.find((c) => c.partition === e.partition)?.offset === e.high)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

// Baseline: plain kafkajs, consume and produce each batch as is, commit after each batch.
const baseline = await measure('kafkajs passthrough', total, async () => {
  const kafka = new Kafka({ clientId: 'bench-passthrough', brokers: base.kafkaBrokers, logLevel: logLevel.NOTHING });
  const out = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const consumer = kafka.consumer({ groupId: `bench-${run}-passthrough` });
  await Promise.all([out.connect(), consumer.connect()]);
  await consumer.subscribe({ topic: rawTopic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      await out.send({ topic: `bench-${run}.passthrough`, messages: batch.messages.map((m) => ({ key: m.key, value: m.value })) });
    },
  });
  await waitForGroup(`bench-${run}-passthrough`);
  await consumer.disconnect();
  await out.disconnect();
});

const config = loadConfig(ingestSettings, {
  ...process.env,
  RAW_TOPIC: rawTopic,
  EVENTS_TOPIC: `bench-${run}.events`,
  RAW_DEAD_LETTER_TOPIC: `bench-${run}.dlq`,
  INGEST_SEEN_TOPIC: `bench-${run}.seen`,
  INGEST_GROUP_ID: `bench-${run}-ingest`,
});
const ingest = await measure('ingest', total, async () => {
  const pipeline = await startIngest({ config, bus, registry, logger });
  await waitForGroup(config.groupId);
  await pipeline.stop();
  if (pipeline.counters.published !== total) throw new Error(`ingest published ${pipeline.counters.published} of ${total}`);
});

await admin.deleteTopics([rawTopic, `bench-${run}.passthrough`, config.eventsTopic, config.deadLetterTopic, config.seenTopic]);
await admin.disconnect();
process.stdout.write(
  `${report(`ingest, ${total} events, ${PARTITIONS} partitions, one process (${process.version})`, baseline, ingest)}\n`,
);
