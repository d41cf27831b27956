import { parseArgs } from 'node:util';
import { createKeyStore, generateTestKeys, loadAgreements, settings, startPseudonymise } from '@register-feeds/pseudonymise';
import { type Admin, loadAvroSchema, loadConfig, valueSubject } from '@register-feeds/service-kit';
import { canonical, publishCanonical } from '../test/support/canonical.ts';
import { rawEvents } from '../test/support/raw-events.ts';
import { benchStack } from './support.ts';

/**
 * Pseudonymise at several EDGE_COMMIT_INTERVAL_MS settings, on input that arrives the way a service
 * downstream of another sees it: written while it runs, in small upstream transactions (ingest's). Each
 * setting gets its own topic and group and the same number of events, after a warm-up run that is not
 * counted (so the first setting does not pay the JIT and the registry caches); the first is the baseline.
 * Prints events/s, CPU per event, and batches per transaction (the structural figure: the others are noisy
 * on a shared machine). The upstream writer runs in the same process and paces the input (one transaction
 * after another), so events/s is a floor set by both; bench:pipeline measures the services apart. Input published before the start shows little: kafkajs then fetches ~1 MB per
 * partition and each batch is caught up, so transactions are large whatever the setting.
 *
 *   node bench/commit-interval.bench.ts --events 10000 --intervals 0,100,1000 --upstream 50
 */
const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '10000' },
    intervals: { type: 'string', default: '0,100,1000' },
    upstream: { type: 'string', default: '50' },
  },
});
const total = Number(values.events);
const intervals = values.intervals.split(',').map(Number);
const perTransaction = Number(values.upstream);
const { logger, bus, registry, admin, run } = await benchStack();
const version = Math.floor(Math.random() * 1e9);
const agreements = loadAgreements(new URL('../agreements', import.meta.url).pathname).map((a) => ({
  ...a,
  output: { topic: `recipient.${a.recipient}.v${version}` },
}));
const keys = createKeyStore(generateTestKeys(agreements.map((a) => a.recipient)));

/** every partition committed to its end, the ends read anew each time (the upstream's last markers land a moment after its commit) */
async function caughtUp(a: Admin, groupId: string, topic: string): Promise<void> {
  for (;;) {
    const ends = await a.topicOffsets(topic);
    const committed = await a.groupOffsets(groupId, topic);
    if (ends.every((e) => e.high === e.low || committed.find((c) => c.partition === e.partition)?.offset === e.high)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

const rows: Array<{ interval: number; seconds: number; cpuUs: number; batches: number; transactions: number }> = [];
const made: string[] = [];
// the warm-up: the first setting on a fifth of the events, not counted
for (const [i, interval] of [-1, ...intervals].entries()) {
  const warmUp = i === 0;
  const events = warmUp ? Math.ceil(total / 5) : total;
  const topic = `bench-${run}-${i}.events`;
  made.push(topic, `bench-${run}-${i}.dlq`, `bench-${run}-${i}.audit`);
  await publishCanonical(bus, registry, topic, []); // the topic (3 partitions) and its subject
  const schemaId = await registry.register(valueSubject(topic), loadAvroSchema('register-event.avsc'), 'BACKWARD_TRANSITIVE');
  const encoded = await Promise.all(
    rawEvents({ persons: Math.ceil(events / 10), eventsPerPerson: 10, idPrefix: `${run}-${i}` })
      .slice(0, events)
      .map(canonical)
      .map(async (e) => ({ topic, key: e.eventId, value: await registry.encode(schemaId, e) })),
  );
  const config = loadConfig(settings, {
    ...process.env,
    EVENTS_TOPIC: topic,
    EVENTS_DEAD_LETTER_TOPIC: `bench-${run}-${i}.dlq`,
    AUDIT_TOPIC: `bench-${run}-${i}.audit`,
    PSEUDONYMISE_GROUP_ID: `bench-${run}-${i}-pseudonymise`,
    PSEUDONYM_KEYS_FILE: '/unused',
    EDGE_COMMIT_INTERVAL_MS: String(warmUp ? intervals[0] : interval),
  });
  process.stderr.write(
    `bench: ${warmUp ? 'warm-up' : `EDGE_COMMIT_INTERVAL_MS=${interval}`}: ${events} events in upstream transactions of ${perTransaction}\n`,
  );
  const cpu = process.cpuUsage();
  const started = performance.now();
  const pipeline = await startPseudonymise({ config, agreements, keys, bus, registry, logger });
  const upstream = await bus.transactionalProducer(`bench-${run}-${i}-upstream`);
  for (let from = 0; from < encoded.length; from += perTransaction) {
    const tx = await upstream.transaction();
    await tx.send(encoded.slice(from, from + perTransaction));
    await tx.commit();
  }
  await upstream.disconnect();
  await caughtUp(admin, config.groupId, topic);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  if (!warmUp)
    rows.push({
      interval,
      seconds,
      cpuUs: (used.user + used.system) / total,
      batches: pipeline.metrics.batches,
      transactions: pipeline.metrics.transactions,
    });
  await pipeline.stop();
}
await admin.deleteTopics([...made, ...agreements.map((a) => a.output.topic)]);
await admin.disconnect();

const [base] = rows;
const lines = [
  `pseudonymise, ${total} events each, written while it runs in upstream transactions of ${perTransaction} (3 partitions), one process (${process.version}); CPU includes the upstream writer`,
  '| EDGE_COMMIT_INTERVAL_MS | seconds | events/s | CPU µs/event | batches | transactions | batches/transaction | events/s vs first | CPU vs first |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.interval} | ${r.seconds.toFixed(2)} | ${Math.round(total / r.seconds)} | ${r.cpuUs.toFixed(1)} | ${r.batches} | ${r.transactions} | ${(r.batches / Math.max(1, r.transactions)).toFixed(2)} | ${(base ? base.seconds / r.seconds : 1).toFixed(2)}x | ${(base ? r.cpuUs / base.cpuUs : 1).toFixed(2)}x |`,
  ),
];
process.stdout.write(`${lines.join('\n')}\n`);
process.exit(0); // the bench's kafkajs clients may keep timers
