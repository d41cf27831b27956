// Rebuild rate of the Stagemarkt projection on the local stack (issue 10, item 4), start-up reported apart:
//  1. produce N S-BB recipient records (Avro, the agreement's schema via the registry; made the way
//     pseudonymise makes them, without running the pipeline) to a recipient topic of 6 partitions, in
//     transactions of 10,000 as pseudonymise writes;
//  2. baseline: a plain consume of the topic to its end (the bus's kafkajs consumer, throwaway group,
//     read_committed, records counted, nothing decoded);
//  3. the rebuild beside the live projection (services/deliver/src/rebuild.ts), on a projection whose
//     feed is empty and whose group is at the end (a lost feed: every row is written): start-up (start to
//     first record), fold (first record to the end offsets: decode and pure fold), switch (diff, write of
//     every row in large transactions, publish);
//  4. the old path: a projection started wiped (new feed, new group) folds the topic through the
//     transactional edge; timed until it has folded --old records (default: up to 20,000), start-up apart.
// Prints a table with ratios against the plain consume and writes it to .local/bench/rebuild-last.md.
//   npm run bench:rebuild -- [--records 20000] [--old 20000]
import { mkdirSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { projectionKinds, type RebuildReport, type RunningProjection, startProjection } from '@register-feeds/deliver';
import { recordFor } from '@register-feeds/deliver/test-support';
import { loadAgreements, recipientSchema } from '@register-feeds/pseudonymise';
import { followTopic, type OutgoingMessage, topicSpec, topics, valueSubject } from '@register-feeds/service-kit';
import { testBsn } from '../test/support/raw-events.ts';
import { benchStack } from './support.ts';

const { values } = parseArgs({ options: { records: { type: 'string', default: '20000' }, old: { type: 'string' } } });
const N = Number(values.records);
const OLD = Math.min(N, Number(values.old ?? 20_000));
const RECIPIENT = 'sbb-stagemarkt';
const PARTITIONS = 6;
const REPLICATION = 1; // the local stack: one broker
const { logger, bus, registry, admin, run } = await benchStack();
const input = `recipient.${RECIPIENT}.bench-${run}`;
const deadLetters = `bench-${run}.deliver-dlq`;
const made: string[] = [input, deadLetters];
const seconds = (ms: number) => (ms / 1000).toFixed(2);
const rate = (records: number, ms: number) => (ms > 0 ? Math.round(records / (ms / 1000)) : 0);

// 1. the recipient topic: per person an enrolment, a BPV, and changes of the BPV (4 records, 2 rows)
await admin.ensureTopics([
  { name: input, partitions: PARTITIONS, replicationFactor: REPLICATION },
  topicSpec({ ...topics.deliverDeadLetter, name: deadLetters }, REPLICATION),
]);
const agreement = loadAgreements(new URL('../agreements', import.meta.url).pathname).find((a) => a.recipient === RECIPIENT)!;
const schemaId = await registry.register(valueSubject(input), recipientSchema(agreement) as never, 'BACKWARD_TRANSITIVE');
const produced = performance.now();
// in transactions, as pseudonymise writes: the topic holds transaction markers between the records
const producer = await bus.transactionalProducer(`bench-${run}-produce`);
const CHUNK = 10_000;
for (let start = 0; start < N; start += CHUNK) {
  const messages: OutgoingMessage[] = [];
  for (let i = start; i < Math.min(N, start + CHUNK); i++) {
    const person = Math.floor(i / 4);
    const step = i % 4;
    const record = recordFor<{ persoon: { pseudonym: string } }>(RECIPIENT, {
      eventId: `rebuild-${run}-${i}`,
      eventType: step === 0 ? 'InschrijvingGeregistreerd' : step === 1 ? 'BpvGeregistreerd' : 'BpvGewijzigd',
      on: `2026-02-0${2 + step}`,
      sector: 'MBO',
      bsn: testBsn(person + 1),
      inschrijving: { inschrijvingsvolgnummer: `B${person}` },
      bpv: step >= 2 ? { omvangUren: 300 + step } : undefined,
    });
    messages.push({ topic: input, key: record.persoon.pseudonym, value: await registry.encode(schemaId, record) });
  }
  const tx = await producer.transaction();
  await tx.send(messages);
  await tx.commit();
}
await producer.disconnect();
const producedMs = performance.now() - produced;
process.stdout.write(`produced ${N} records in ${seconds(producedMs)} s\n`);

// 2. baseline: a plain consume to the end
const plain = await (async () => {
  const begun = performance.now();
  let first: number | undefined;
  let count = 0;
  const followed = await followTopic({
    bus,
    admin,
    topic: input,
    groupPrefix: `bench-${run}-plain`,
    onMessages: (messages) => {
      first ??= performance.now();
      count += messages.length;
    },
  });
  await followed.caughtUp;
  const end = performance.now();
  await followed.stop();
  return { records: count, startupMs: (first ?? end) - begun, foldMs: end - (first ?? end), totalMs: end - begun };
})();

const feed = (name: string) => ({ ...projectionKinds.stagemarkt.feed, name: `bench-${run}.${name}.feed` });
const project = (name: string, groupId: string): Promise<RunningProjection> => {
  made.push(`bench-${run}.${name}.feed`);
  return startProjection({
    bus,
    admin,
    registry,
    projection: projectionKinds.stagemarkt.make(RECIPIENT),
    inputTopic: input,
    feed: feed(name),
    groupId,
    deadLetterTopic: deadLetters,
    replicationFactor: REPLICATION,
    logger,
  });
};

// 3. the rebuild, on a projection whose feed was lost: an empty feed, its group at the end of the input
const rebuilt: RebuildReport = await (async () => {
  const groupId = `bench-${run}.rebuild`;
  const ends = await admin.topicOffsets(input);
  const seed = await bus.transactionalProducer(`${groupId}-seed`);
  const tx = await seed.transaction();
  await tx.sendOffsets(
    groupId,
    ends.map((p) => ({ topic: input, partition: p.partition, offset: p.high })),
  );
  await tx.commit();
  await seed.disconnect();
  const running = await project('rebuild', groupId);
  try {
    return await running.rebuild();
  } finally {
    await running.stop();
  }
})();

// 4. the old path: a wiped projection folds the topic through the edge, until it has folded OLD records
const old = await (async () => {
  const begun = performance.now();
  const running = await project('old', `bench-${run}.old`);
  let first: number | undefined;
  for (;;) {
    const records = running.metrics.records;
    if (records > 0) first ??= performance.now();
    if (records >= OLD) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const end = performance.now();
  const records = running.metrics.records;
  await running.stop();
  return { records, startupMs: (first ?? end) - begun, foldMs: end - (first ?? end), totalMs: end - begun };
})();

const plainRate = rate(plain.records, plain.foldMs);
const row = (label: string, records: number, startupMs: number, workMs: number, totalMs: number) => {
  const r = rate(records, workMs);
  return `| ${label} | ${records} | ${seconds(startupMs)} | ${seconds(workMs)} | ${r} | ${(r / plainRate).toFixed(2)}x | ${rate(records, totalMs)} |`;
};
const table = [
  `# Rebuild benchmark (bench:rebuild), ${new Date().toISOString()}`,
  '',
  `${N} S-BB Stagemarkt recipient records (${PARTITIONS} partitions, ${rebuilt.rows} rows); produced in ${seconds(producedMs)} s.`,
  'Start-up: from the start until the first record is in hand. Rate: records per second after start-up. Ratio: against the plain consume.',
  '',
  '| run | records | start-up s | work s | records/s (start-up apart) | ratio | records/s (with start-up) |',
  '|---|---|---|---|---|---|---|',
  row('plain consume (baseline)', plain.records, plain.startupMs, plain.foldMs, plain.totalMs),
  row('rebuild: read and fold', rebuilt.records, rebuilt.startupMs, rebuilt.foldMs, rebuilt.startupMs + rebuilt.foldMs),
  row(
    `rebuild: fold and switch (${rebuilt.feedChanges} feed rows written)`,
    rebuilt.records,
    rebuilt.startupMs,
    rebuilt.foldMs + rebuilt.switchMs,
    rebuilt.totalMs,
  ),
  row('old path: wiped deliver on the edge', old.records, old.startupMs, old.foldMs, old.totalMs),
  '',
  `The rebuild's switch: ${seconds(rebuilt.switchMs)} s, of which stopping the live fold ${seconds(rebuilt.stopMs)} s and writing ${rebuilt.feedChanges} rows with the offsets ${seconds(rebuilt.writeMs)} s (${rate(rebuilt.feedChanges, rebuilt.writeMs)} rows/s).`,
  `Target (issue 10): the rebuild's fold at least 0.5x the plain consume, start-up apart: ${(rate(rebuilt.records, rebuilt.foldMs) / plainRate).toFixed(2)}x.`,
  `Peak RSS of this process (the rebuilt state, and everything else the benchmark holds): ${Math.round(process.resourceUsage().maxRSS / 1024)} MB.`,
  `Rebuild (fold and switch) / old path, start-up apart: ${(rate(rebuilt.records, rebuilt.foldMs + rebuilt.switchMs) / rate(old.records, old.foldMs)).toFixed(2)}x; fold alone / old path: ${(rate(rebuilt.records, rebuilt.foldMs) / rate(old.records, old.foldMs)).toFixed(2)}x.`,
  '',
].join('\n');
process.stdout.write(`\n${table}\n`);
mkdirSync('.local/bench', { recursive: true });
writeFileSync('.local/bench/rebuild-last.md', table);
process.stdout.write('written to .local/bench/rebuild-last.md\n');

await admin.deleteTopics(made).catch(() => {}); // a 1M-record topic is not left behind
await admin.disconnect();
process.exit(0);
