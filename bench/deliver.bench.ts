// End-to-end latency and rebuild rate on the local stack, all three services in this process:
//  1. latency: raw register events produced at a steady rate, each a new BPV; the time until its row is
//     visible through the Stagemarkt read API (polled every 10 ms), p50/p95/p99; baseline: the time until
//     a plain kafkajs consumer sees the same raw record on the raw topic, in the same run;
//  2. rebuild: deliver restarted with its state wiped replays the S-BB recipient topic; records/s against a
//     plain kafkajs consumer reading the same topic to its end.
//   npm run bench:deliver -- [--rate 50] [--seconds 20]
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { rawPersonKey } from '@register-feeds/contracts';
import { settings as deliverSettings, startDeliver } from '@register-feeds/deliver';
import { settings as ingestSettings, startIngest } from '@register-feeds/ingest';
import {
  createKeyStore,
  generateTestKeys,
  loadAgreements,
  settings as pseudonymiseSettings,
  startPseudonymise,
} from '@register-feeds/pseudonymise';
import { loadConfig } from '@register-feeds/service-kit';
import { Kafka, logLevel } from 'kafkajs';
import { ingestPartitionKeyFile } from '../test/support/ingest-key.ts';
import { testBsn } from '../test/support/raw-events.ts';
import { benchStack } from './support.ts';

const { values } = parseArgs({ options: { rate: { type: 'string', default: '50' }, seconds: { type: 'string', default: '20' } } });
const rate = Number(values.rate);
const total = rate * Number(values.seconds);
const { base, logger, bus, registry, admin, run } = await benchStack();
const version = Math.floor(Math.random() * 1e9);
const env = { KAFKA_BROKERS: base.kafkaBrokers.join(','), SCHEMA_REGISTRY_URL: base.schemaRegistryUrl, LOG_LEVEL: 'warn' };
const dir = mkdtempSync(join(tmpdir(), 'bench-agreements-'));
cpSync(new URL('../agreements', import.meta.url).pathname, dir, { recursive: true });
for (const file of readdirSync(dir)) {
  writeFileSync(
    join(dir, file),
    readFileSync(join(dir, file), 'utf8').replace(/topic: recipient\.([a-z-]+)\.v\d+/, `topic: recipient.$1.v${version}`),
  );
}
const agreements = loadAgreements(dir);
const token = randomBytes(16).toString('hex');
const rawTopic = `bench-${run}.raw`;
const stagemarktTopic = `recipient.sbb-stagemarkt.v${version}`;
const deliverConfig = (prefix: string) =>
  loadConfig(deliverSettings, {
    ...env,
    STAGEMARKT_TOPIC: stagemarktTopic,
    SVB_TOPIC: `recipient.svb-kostendelersnorm.v${version}`,
    GGD_TOPIC: `recipient.ggd-jeugdgezondheid.v${version}`,
    FEED_TOPIC_PREFIX: `bench-${run}.${prefix}.`,
    DELIVER_GROUP_PREFIX: `bench-${run}.${prefix}`,
    DELIVER_HTTP_PORT: '0',
    DELIVER_API_TOKENS: `sbb-stagemarkt:${token}`,
  });

const ingest = await startIngest({
  config: loadConfig(ingestSettings, {
    ...env,
    RAW_TOPIC: rawTopic,
    EVENTS_TOPIC: `bench-${run}.events`,
    RAW_DEAD_LETTER_TOPIC: `bench-${run}.dlq`,
    INGEST_SEEN_TOPIC: `bench-${run}.seen`,
    INGEST_GROUP_ID: `bench-${run}.ingest`,
    INGEST_PARTITION_KEY_FILE: ingestPartitionKeyFile(),
  }),
  bus,
  registry,
  logger,
});
const pseudonymise = await startPseudonymise({
  config: loadConfig(pseudonymiseSettings, {
    ...env,
    EVENTS_TOPIC: `bench-${run}.events`,
    EVENTS_DEAD_LETTER_TOPIC: `bench-${run}.events-dlq`,
    AUDIT_TOPIC: `bench-${run}.audit`,
    PSEUDONYMISE_GROUP_ID: `bench-${run}.pseudonymise`,
    PSEUDONYM_KEYS_FILE: '/unused',
  }),
  agreements,
  keys: createKeyStore(generateTestKeys(agreements.map((a) => a.recipient))),
  bus,
  registry,
  logger,
});
let deliver = await startDeliver({ config: deliverConfig('feed'), bus, registry, logger });

// baseline watcher: a plain kafkajs consumer on the raw topic
const kafka = new Kafka({ clientId: 'bench-baseline', brokers: base.kafkaBrokers, logLevel: logLevel.NOTHING });
const seenRaw = new Map<string, number>();
const rawWatcher = kafka.consumer({ groupId: `bench-${run}-raw-watcher` });
await rawWatcher.connect();
await rawWatcher.subscribe({ topic: rawTopic, fromBeginning: true });
await rawWatcher.run({
  eachMessage: async ({ message }) => {
    const id = (JSON.parse(String(message.value)) as { eventId: string }).eventId;
    if (!seenRaw.has(id)) seenRaw.set(id, performance.now());
  },
});

// API watcher: polls the Stagemarkt rows; a row's bpv key carries the inschrijvingsvolgnummer = event number
const seenApi = new Map<string, number>();
let polling = true;
const poll = (async () => {
  while (polling) {
    let cursor: string | undefined;
    do {
      const response = await fetch(
        `${deliver.url}/v1/sbb-stagemarkt/rows?kind=bpv&limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        {
          headers: { authorization: `Bearer ${token}` },
        },
      );
      const page = (await response.json()) as { rows: Array<{ row: { inschrijvingsvolgnummer: string } }>; next?: string };
      const now = performance.now();
      for (const { row } of page.rows) if (!seenApi.has(row.inschrijvingsvolgnummer)) seenApi.set(row.inschrijvingsvolgnummer, now);
      cursor = page.next;
    } while (cursor);
    await new Promise((r) => setTimeout(r, 10));
  }
})();

process.stderr.write(`bench: ${total} BPV events at ${rate}/s\n`);
const producer = await bus.producer();
const sentAt = new Map<string, number>();
const started = performance.now();
for (let i = 0; i < total; i++) {
  const due = started + (i * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const persoon = { bsn: testBsn(10_000 + i), geboortedatum: '2007-01-01', naam: { voornamen: 'Test', achternaam: `Bench ${i}` } };
  const inschrijving = {
    brin: '40CD',
    inschrijvingsvolgnummer: `B${i}`,
    opleidingscode: '25180',
    leerweg: 'BBL',
    niveau: 2,
    begindatum: '2025-08-01',
  };
  const event = {
    eventId: `${run}-${i}`,
    eventType: 'BpvGeregistreerd',
    occurredAt: '2025-09-01T08:00:00Z',
    sector: 'MBO',
    persoon,
    inschrijving,
    bpv: {
      bpvVolgnummer: 1,
      leerbedrijf: { id: 'LB1', naam: 'Bench BV' },
      begindatum: '2025-09-01',
      geplandeEinddatum: '2026-06-30',
      omvangUren: 400,
    },
  };
  const line = JSON.stringify(event);
  sentAt.set(`B${i}`, performance.now());
  await producer.send([{ topic: rawTopic, key: rawPersonKey(line), value: line }]);
}
await producer.disconnect();
const waitStarted = performance.now();
while (seenApi.size < total || seenRaw.size < total) {
  if (performance.now() - waitStarted > 120_000) {
    process.stderr.write(
      `bench: after 120 s, ${seenApi.size} of ${total} rows visible in the API, ${seenRaw.size} seen on the raw topic\n`,
    );
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 50));
}
polling = false;
await poll;
await rawWatcher.disconnect();

const percentiles = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (p: number) => s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
  return `p50 ${at(50).toFixed(0)} ms, p95 ${at(95).toFixed(0)} ms, p99 ${at(99).toFixed(0)} ms`;
};
const apiLatency = [...sentAt].map(([k, t]) => (seenApi.get(k) as number) - t);
const rawLatency = [...sentAt.values()].map((t, i) => (seenRaw.get(`${run}-${i}`) as number) - t);

// rebuild: wipe deliver's state (new feeds, new groups) and replay the S-BB topic; baseline: plain kafkajs read of that topic
const ends = await admin.topicOffsets(stagemarktTopic);
const rows = deliver.projections.get('sbb-stagemarkt')!;
const target = rows.projection.checksum(rows.state());
await deliver.stop();
const t0 = performance.now();
deliver = await startDeliver({ config: deliverConfig('rebuild'), bus, registry, logger });
const rebuilt = deliver.projections.get('sbb-stagemarkt')!;
while (rebuilt.projection.checksum(rebuilt.state()) !== target) await new Promise((r) => setTimeout(r, 20));
const rebuildMs = performance.now() - t0;
const t1 = performance.now();
let records = 0;
const reader = kafka.consumer({ groupId: `bench-${run}-reader` });
await reader.connect();
// the end of each partition is its high watermark at the start; transaction markers count as read
const pending = new Set(ends.filter((p) => p.high !== p.low).map((p) => p.partition));
reader.on(reader.events.END_BATCH_PROCESS, ({ payload }) => {
  const end = ends.find((p) => p.partition === payload.partition);
  if (end && BigInt(payload.lastOffset) >= BigInt(end.high) - 1n) pending.delete(payload.partition);
});
await reader.subscribe({ topic: stagemarktTopic, fromBeginning: true });
await reader.run({
  eachBatch: async ({ batch }) => {
    records += batch.messages.length;
  },
});
while (pending.size > 0) await new Promise((r) => setTimeout(r, 5));
const readMs = performance.now() - t1;
await reader.disconnect();

await deliver.stop();
await pseudonymise.stop();
await ingest.stop();
await admin.disconnect();
process.stdout.write(
  `${[
    `\nend-to-end latency, ${total} BPV events at ${rate}/s (${process.version}, one process, API polled every 10 ms):`,
    `  raw event -> Stagemarkt row visible through the API: ${percentiles(apiLatency)}`,
    `  baseline, raw event -> seen by a plain kafkajs consumer of the raw topic: ${percentiles(rawLatency)}`,
    `rebuild of the Stagemarkt projection from ${records} S-BB records (deliver start included):`,
    `  deliver: ${(rebuildMs / 1000).toFixed(2)} s, ${(records / (rebuildMs / 1000)).toFixed(0)} records/s`,
    `  baseline, plain kafkajs consumer reading the same topic: ${(readMs / 1000).toFixed(2)} s, ${(records / (readMs / 1000)).toFixed(0)} records/s`,
  ].join('\n')}\n`,
);
process.exit(0);
