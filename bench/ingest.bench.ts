import { parseArgs } from 'node:util';
import { rawPersonKey } from '@register-feeds/contracts';
import { settings as ingestSettings, startIngest } from '@register-feeds/ingest';
import { loadConfig } from '@register-feeds/service-kit';
import { ingestPartitionKeyFile } from '../test/support/ingest-key.ts';
import { rawEvents } from '../test/support/raw-events.ts';
import { profiled } from './cpu-profile.ts';
import { benchStack, kafkajsPassthrough, measure, report, waitForGroup } from './support.ts';

const { values } = parseArgs({ options: { events: { type: 'string', default: '50000' } } });
const total = Number(values.events);
const perPerson = 10;
const { base, logger, bus, registry, admin, run } = await benchStack();
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

// Baseline: plain kafkajs, consume and produce each batch as is, commit after each batch.
const baseline = await measure('kafkajs passthrough', total, () =>
  kafkajsPassthrough({
    brokers: base.kafkaBrokers,
    admin,
    from: rawTopic,
    to: `bench-${run}.passthrough`,
    groupId: `bench-${run}-passthrough`,
  }),
);

const config = loadConfig(ingestSettings, {
  ...process.env,
  RAW_TOPIC: rawTopic,
  EVENTS_TOPIC: `bench-${run}.events`,
  RAW_DEAD_LETTER_TOPIC: `bench-${run}.dlq`,
  INGEST_SEEN_TOPIC: `bench-${run}.seen`,
  INGEST_GROUP_ID: `bench-${run}-ingest`,
  INGEST_PARTITION_KEY_FILE: ingestPartitionKeyFile(),
});
const ingest = await measure('ingest', total, () =>
  profiled('ingest', async () => {
    const pipeline = await startIngest({ config, bus, registry, logger });
    await waitForGroup(admin, config.groupId, rawTopic);
    await pipeline.stop();
    if (pipeline.counters.published !== total) throw new Error(`ingest published ${pipeline.counters.published} of ${total}`);
  }),
);

await admin.deleteTopics([rawTopic, `bench-${run}.passthrough`, config.eventsTopic, config.deadLetterTopic, config.seenTopic]);
await admin.disconnect();
process.stdout.write(
  `${report(`ingest, ${total} events, ${PARTITIONS} partitions, one process (${process.version})`, baseline, ingest)}\n`,
);
