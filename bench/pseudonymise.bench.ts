import { parseArgs } from 'node:util';
import { createKeyStore, generateTestKeys, loadAgreements, settings, startPseudonymise } from '@register-feeds/pseudonymise';
import { loadConfig } from '@register-feeds/service-kit';
import { canonical, publishCanonical } from '../test/support/canonical.ts';
import { rawEvents } from '../test/support/raw-events.ts';
import { profiled } from './cpu-profile.ts';
import { benchStack, kafkajsPassthrough, measure, report, waitForGroup } from './support.ts';

const { values } = parseArgs({ options: { events: { type: 'string', default: '20000' } } });
const total = Number(values.events);
const { base, logger, bus, registry, admin, run } = await benchStack();
const eventsTopic = `bench-${run}.events`;
const version = Math.floor(Math.random() * 1e9);
const agreements = loadAgreements(new URL('../agreements', import.meta.url).pathname).map((a) => ({
  ...a,
  output: { topic: `recipient.${a.recipient}.v${version}` },
}));
const keys = createKeyStore(generateTestKeys(agreements.map((a) => a.recipient)));

process.stderr.write(`bench: publishing ${total} canonical events to ${eventsTopic}\n`);
// 2 enrolment + 8 BPV events per person: S-BB gets all, the four others the enrolment events
const events = rawEvents({ persons: Math.ceil(total / 10), eventsPerPerson: 10, idPrefix: run })
  .slice(0, total)
  .map(canonical);
await publishCanonical(bus, registry, eventsTopic, events);
await admin.ensureTopics([{ name: `bench-${run}.passthrough`, partitions: 3, replicationFactor: 1 }]);

process.stderr.write('bench: passthrough baseline\n');
const baseline = await measure('kafkajs passthrough', total, () =>
  kafkajsPassthrough({
    brokers: base.kafkaBrokers,
    admin,
    from: eventsTopic,
    to: `bench-${run}.passthrough`,
    groupId: `bench-${run}-passthrough`,
  }),
);
const config = loadConfig(settings, {
  ...process.env,
  EVENTS_TOPIC: eventsTopic,
  EVENTS_DEAD_LETTER_TOPIC: `bench-${run}.dlq`,
  AUDIT_TOPIC: `bench-${run}.audit`,
  PSEUDONYMISE_GROUP_ID: `bench-${run}-pseudonymise`,
  PSEUDONYM_KEYS_FILE: '/unused',
});
process.stderr.write('bench: pseudonymise\n');
let delivered = 0;
const subject = await measure('pseudonymise', total, () =>
  profiled('pseudonymise', async () => {
    const pipeline = await startPseudonymise({ config, agreements, keys, bus, registry, logger });
    await waitForGroup(admin, config.groupId, eventsTopic);
    await pipeline.stop();
    delivered = Object.values(pipeline.counters.delivered).reduce((a, b) => a + b, 0);
  }),
);

await admin.deleteTopics([
  eventsTopic,
  `bench-${run}.passthrough`,
  config.deadLetterTopic,
  config.auditTopic,
  ...agreements.map((a) => a.output.topic),
]);
await admin.disconnect();
process.stdout.write(
  `${report(`pseudonymise, ${total} events, ${delivered} recipient records (+ one audit entry per event), one process (${process.version})`, baseline, subject)}\n`,
);
