// bench:snapshot — a peildatum snapshot over a canonical history of N persons, beside a plain consume of the
// same topic as the baseline. Prints figures; asserts nothing.
//
//   npm run bench:snapshot -- --persons 1000000 [--partitions 6] [--seed 7] [--keep-topic]
//
// 1. A history on a temporary topic (bench-snapshot-history-<run>; never a production name), made per person
//    with a seeded random: an enrolment registered in June-October 2026 starting around 1 October, changed
//    (40%), ended (15%) or removed (2%), and for 60% an earlier enrolment of 2024-2025 that ended. Avro
//    encoded here once (wire format with the registered schema id) and produced in big batches, streamed
//    (the history is never held whole in this process).
// 2. Baseline: a plain consume of the whole topic to its end (followTopic, nothing decoded), in a child process.
// 3. The snapshot: `npm run snapshot` (tools/snapshot/src/cli.ts) of ocw-minister on 2026-10-01 as known on
//    2026-11-15, to Parquet, in a child process of its own, so its peak RSS is the snapshot's alone.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { generateTestKeys } from '@register-feeds/pseudonymise';
import type { RegisterEvent } from '@register-feeds/register-model';
import { toEpochDay } from '@register-feeds/register-model';
import { followTopic, loadAvroSchema, type OutgoingMessage, valueSubject } from '@register-feeds/service-kit';
import avro from 'avsc';
import { benchStack } from './support.ts';

// The baseline in a process of its own (so its peak RSS is comparable): `--consume <topic>` reads the topic
// to its end, decoding nothing, and prints its figures as one JSON line.
const consumeAt = process.argv.indexOf('--consume');
if (consumeAt !== -1) {
  const consumeTopic = process.argv[consumeAt + 1] as string;
  const { bus, admin } = await benchStack();
  let records = 0;
  const c0 = performance.now();
  const followed = await followTopic({
    bus,
    admin,
    topic: consumeTopic,
    groupPrefix: 'bench-snapshot-baseline',
    onMessages: (messages) => {
      records += messages.length;
    },
  });
  await followed.caughtUp;
  await followed.stop();
  const seconds = (performance.now() - c0) / 1000;
  await admin.disconnect();
  process.stdout.write(`${JSON.stringify({ records, seconds, peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024) })}\n`);
  process.exit(0);
}

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    persons: { type: 'string', default: '100000' },
    partitions: { type: 'string', default: '6' },
    seed: { type: 'string', default: '7' },
    'keep-topic': { type: 'boolean', default: false },
  },
  strict: true,
  allowPositionals: false,
});
const persons = Number(values.persons);
const partitions = Number(values.partitions);
const seed = Number(values.seed);
if (!Number.isInteger(persons) || persons < 1) throw new Error('--persons: a whole number ≥ 1');
if (!Number.isInteger(partitions) || partitions < 1) throw new Error('--partitions: a whole number ≥ 1');

const { base, bus, registry, admin, run } = await benchStack();
const topic = `bench-snapshot-history-${run}`;
const dir = mkdtempSync(join(tmpdir(), 'bench-snapshot-'));
const mb = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MB`;

/** mulberry32: a small seeded random, so the same --seed gives the same history. */
function random(seedValue: number): () => number {
  let a = seedValue >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A 9-digit number passing the elfproef, one per person index. */
function bsnOf(i: number): string {
  for (let base8 = 10_000_000 + i * 11; ; base8++) {
    const digits = String(base8).padStart(8, '0');
    let sum = 0;
    for (let d = 0; d < 8; d++) sum += Number(digits[d]) * (9 - d);
    if (sum % 11 < 10) return `${digits}${sum % 11}`;
  }
}

const DAY_MS = 86_400_000;
const dayMs = (iso: string) => toEpochDay(iso) * DAY_MS;
let eventCounter = 0;

function historyOf(i: number, rnd: () => number): RegisterEvent[] {
  const nummer = bsnOf(i);
  const brin = `${String(10 + (i % 90)).padStart(2, '0')}AB`;
  const person = {
    identificatie: { soort: 'BSN' as const, nummer },
    geboortedatum: toEpochDay('2004-01-01') + Math.floor(rnd() * 365 * 6),
    naam: { voornamen: 'Bench', voorvoegsel: null, achternaam: `Persoon${i}` },
  };
  const event = (
    eventType: RegisterEvent['eventType'],
    occurredAt: number,
    inschrijving: Partial<RegisterEvent['inschrijving']>,
  ): RegisterEvent => ({
    eventId: `00000000-0000-4000-8000-${(eventCounter++).toString(16).padStart(12, '0')}`,
    eventType,
    occurredAt,
    sector: 'MBO',
    persoon: person,
    inschrijving: {
      brin,
      brinVestiging: null,
      locatiecodeMbo: null,
      inschrijvingsvolgnummer: '1',
      opleidingscode: String(25000 + (i % 500)),
      leerweg: i % 3 === 0 ? 'BBL' : 'BOL',
      niveau: 1 + (i % 4),
      leerjaar: null,
      groep: null,
      begindatum: toEpochDay('2026-08-01'),
      einddatum: null,
      ...inschrijving,
    },
    bpv: null,
  });
  const events: RegisterEvent[] = [];
  if (rnd() < 0.6) {
    const earlier = { inschrijvingsvolgnummer: '0', begindatum: toEpochDay('2024-08-01') };
    events.push(event('InschrijvingGeregistreerd', dayMs('2024-07-01') + Math.floor(rnd() * 30 * DAY_MS), earlier));
    events.push(
      event('InschrijvingBeeindigd', dayMs('2025-07-31') + Math.floor(rnd() * 10 * DAY_MS), {
        ...earlier,
        einddatum: toEpochDay('2025-07-31'),
      }),
    );
  }
  let at = dayMs('2026-06-01') + Math.floor(rnd() * 140 * DAY_MS);
  const current = { begindatum: toEpochDay('2026-09-01') + Math.floor(rnd() * 60) - 30 };
  events.push(event('InschrijvingGeregistreerd', at, current));
  if (rnd() < 0.4) {
    at += Math.floor(rnd() * 60 * DAY_MS);
    events.push(event('InschrijvingGewijzigd', at, { ...current, niveau: 1 + Math.floor(rnd() * 4) }));
  }
  const fate = rnd();
  if (fate < 0.15) {
    at += Math.floor(rnd() * 90 * DAY_MS);
    events.push(event('InschrijvingBeeindigd', at, { ...current, einddatum: toEpochDay('2026-09-01') + Math.floor(rnd() * 300) }));
  } else if (fate < 0.17) {
    at += Math.floor(rnd() * 30 * DAY_MS);
    events.push(event('InschrijvingVerwijderd', at, current));
  }
  return events;
}

// ---- 1. the history ----
await admin.ensureTopics([{ name: topic, partitions, replicationFactor: 1 }]);
const schema = loadAvroSchema('register-event.avsc');
const schemaId = await registry.register(valueSubject(topic), schema, 'BACKWARD_TRANSITIVE');
const type = avro.Type.forSchema(schema as avro.Schema);
const header = Buffer.alloc(5);
header.writeUInt32BE(schemaId, 1);
const producer = await bus.producer();
const rnd = random(seed);
let produced = 0;
let producedBytes = 0;
const t0 = performance.now();
const BATCH = 20_000;
let batch: OutgoingMessage[] = [];
for (let i = 0; i < persons; i++) {
  for (const e of historyOf(i, rnd)) {
    const value = Buffer.concat([header, type.toBuffer(e)]);
    producedBytes += value.length;
    batch.push({ topic, key: `person-${i}`, value });
  }
  if (batch.length >= BATCH || i === persons - 1) {
    await producer.send(batch);
    produced += batch.length;
    batch = [];
  }
  if (i % 100_000 === 99_999) process.stderr.write(`bench:snapshot: history of ${i + 1} persons, ${produced} events produced\n`);
}
await producer.disconnect();
const produceSeconds = (performance.now() - t0) / 1000;
process.stderr.write(
  `bench:snapshot: ${produced} events (${mb(producedBytes)}) for ${persons} persons in ${produceSeconds.toFixed(1)} s\n`,
);

// ---- 2. baseline: plain consume, in a process of its own ----
const baselineRun = spawnSync(process.execPath, ['bench/snapshot.bench.ts', '--consume', topic], {
  encoding: 'utf8',
  env: process.env,
  stdio: ['ignore', 'pipe', 'inherit'],
});
if (baselineRun.status !== 0) throw new Error(`the baseline consume failed (exit ${baselineRun.status})`);
const baseline = JSON.parse(baselineRun.stdout.trim().split('\n').at(-1) as string) as {
  records: number;
  seconds: number;
  peakRssMb: number;
};

// ---- 3. the snapshot, in a process of its own ----
const keysPath = join(dir, 'keys.json');
writeFileSync(keysPath, JSON.stringify(generateTestKeys(['ocw-minister'])), { mode: 0o600 });
const out = join(dir, 'snapshot.parquet');
const s0 = performance.now();
const child = spawn(
  process.execPath,
  [
    'tools/snapshot/src/cli.ts',
    '--recipient',
    'ocw-minister',
    '--peildatum',
    '2026-10-01',
    '--known-at',
    '2026-11-15T00:00:00Z',
    '--out',
    out,
  ],
  {
    env: {
      ...process.env,
      KAFKA_BROKERS: base.kafkaBrokers.join(','),
      SCHEMA_REGISTRY_URL: base.schemaRegistryUrl,
      EVENTS_TOPIC: topic,
      PSEUDONYM_KEYS_FILE: keysPath,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
let stdout = '';
child.stdout.on('data', (chunk: Buffer) => {
  stdout += chunk.toString('utf8');
});
const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
const snapshotSeconds = (performance.now() - s0) / 1000;
if (code !== 0) throw new Error(`the snapshot failed (exit ${code})`);
process.stderr.write(stdout);
const rows = Number(/rows +(\d+)/.exec(stdout)?.[1]);
const peak = /peak RSS (\d+) MB/.exec(stdout)?.[1];
const inner = Number(/time +([\d.]+) s/.exec(stdout)?.[1]);

process.stdout.write(
  [
    `\nbench:snapshot — ${persons} persons, ${produced} canonical events (${mb(producedBytes)} of Avro), ${partitions} partitions`,
    '| run | records | seconds | records/s | rows | rows/s | peak RSS |',
    '|---|---|---|---|---|---|---|',
    `| plain consume (baseline, followTopic, own process) | ${baseline.records} | ${baseline.seconds.toFixed(1)} | ${Math.round(baseline.records / baseline.seconds)} | | | ${baseline.peakRssMb} MB |`,
    `| snapshot to Parquet (CLI, as timed inside) | ${produced} | ${inner.toFixed(1)} | ${Math.round(produced / inner)} | ${rows} | ${Math.round(rows / inner)} | ${peak} MB |`,
    `| snapshot to Parquet (process, with Node start) | ${produced} | ${snapshotSeconds.toFixed(1)} | ${Math.round(produced / snapshotSeconds)} | ${rows} | ${Math.round(rows / snapshotSeconds)} | |`,
    `snapshot / plain consume: ${(inner / baseline.seconds).toFixed(2)}x the time; Parquet file ${mb(statSync(out).size)}`,
    '',
  ].join('\n'),
);

if (!values['keep-topic']) await admin.deleteTopics([topic]);
await admin.disconnect();
rmSync(dir, { recursive: true, force: true });
