// The analytics export (tools/snapshot/src/export-topic.ts) on the local stack, beside a plain consume of the
// same topic: time, records/s and peak RSS (issue 11, item 4).
//  1. produce N S-BB recipient records (Avro with the agreement's schema via the registry, made the way
//     pseudonymise makes them) to a topic of 6 partitions named as a copy (bench-<run>.stagemarkt), in batches;
//  2. baseline: a plain consume of the topic to its end (the bus's consumer, read_committed, nothing decoded);
//  3. the export to a Parquet file in a temporary folder, by the command line in a process of its own (its
//     summary gives its peak RSS): start-up, decode, flatten, DuckDB, sort, write.
// Prints the figures; the topic and the file are removed at the end. It asserts nothing.
//   node bench/analytics-export.bench.ts [--records 200000] [--memory-limit 128MB]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { recordFor } from '@register-feeds/deliver/test-support';
import { loadAgreements, recipientSchema } from '@register-feeds/pseudonymise';
import { followTopic, type OutgoingMessage, valueSubject } from '@register-feeds/service-kit';
import { testBsn } from '../test/support/raw-events.ts';
import { benchStack, measure } from './support.ts';

const { values } = parseArgs({ options: { records: { type: 'string', default: '200000' }, 'memory-limit': { type: 'string' } } });
const N = Number(values.records);
const { base, bus, registry, admin, run } = await benchStack();
const topic = `bench-${run}.stagemarkt`;
const dir = mkdtempSync(join(tmpdir(), 'bench-analytics-'));
const agreement = loadAgreements(new URL('../agreements', import.meta.url).pathname).find((a) => a.recipient === 'sbb-stagemarkt')!;

try {
  await admin.ensureTopics([{ name: topic, partitions: 6, replicationFactor: 1 }]);
  const schemaId = await registry.register(valueSubject(topic), recipientSchema(agreement) as never, 'BACKWARD_TRANSITIVE');
  const producer = await bus.producer();
  const CHUNK = 10_000;
  for (let start = 0; start < N; start += CHUNK) {
    const messages: OutgoingMessage[] = [];
    for (let i = start; i < Math.min(N, start + CHUNK); i++) {
      const person = Math.floor(i / 2);
      const record = recordFor<{ persoon: { pseudonym: string } }>('sbb-stagemarkt', {
        eventId: `bench-${run}-${i}`,
        eventType: i % 2 === 0 ? 'BpvGeregistreerd' : 'BpvGewijzigd',
        on: '2026-02-02',
        bsn: testBsn(person + 1),
        inschrijving: { inschrijvingsvolgnummer: `B${person}` },
        bpv: { leerbedrijf: { id: `LB${person % 500}`, naam: `Leerbedrijf ${person % 500}` }, omvangUren: 300 + (i % 2) },
      });
      messages.push({ topic, key: record.persoon.pseudonym, value: await registry.encode(schemaId, record) });
    }
    await producer.send(messages);
  }
  await producer.disconnect();
  process.stderr.write(`produced ${N} records to ${topic}\n`);

  const consume = await measure('plain consume', N, async () => {
    let seen = 0;
    const followed = await followTopic({
      bus,
      admin,
      topic,
      groupPrefix: `bench-${run}-plain`,
      onMessages: (m) => {
        seen += m.length;
      },
    });
    await followed.caughtUp;
    await followed.stop();
    if (seen < N) throw new Error(`plain consume saw ${seen} of ${N}`);
  });
  // in a process of its own, the command line as an analyst runs it: its peak RSS is the export's alone
  let summary = '';
  const exported = await measure('export to Parquet (CLI)', N, async () => {
    const args = [
      'tools/snapshot/src/export-cli.ts',
      '--topic',
      topic,
      '--recipient',
      'sbb-stagemarkt',
      '--out',
      join(dir, 'export.parquet'),
      '--quiet',
    ];
    if (values['memory-limit'] !== undefined) args.push('--memory-limit', values['memory-limit']);
    const child = spawnSync(process.execPath, args, {
      cwd: new URL('..', import.meta.url).pathname,
      env: { ...process.env, KAFKA_BROKERS: base.kafkaBrokers.join(','), SCHEMA_REGISTRY_URL: base.schemaRegistryUrl },
      encoding: 'utf8',
    });
    if (child.status !== 0) throw new Error(`the export failed: ${child.stderr}`);
    summary = child.stdout;
  });
  const rate = (m: { events: number; wallMs: number }) => Math.round(m.events / (m.wallMs / 1000));
  process.stdout.write(
    [
      `analytics export of ${N} S-BB records (6 partitions), memory limit ${values['memory-limit'] ?? '128MB (default)'}`,
      `| run | seconds | records/s |`,
      `|---|---|---|`,
      `| ${consume.label} | ${(consume.wallMs / 1000).toFixed(2)} | ${rate(consume)} |`,
      `| ${exported.label} | ${(exported.wallMs / 1000).toFixed(2)} | ${rate(exported)} |`,
      'the export says:',
      summary.trimEnd(),
      '',
    ].join('\n'),
  );
} finally {
  await admin.deleteTopics([topic]).catch(() => {});
  await admin.disconnect();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(0);
