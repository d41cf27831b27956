// The whole pipeline against the broker's ceiling, in one run on the stack (KAFKA_BROKERS /
// SCHEMA_REGISTRY_URL, default the local stack):
//  1. the broker: Kafka's own ProducerPerformance (transactional, one transaction per 100 ms; and acks=all
//     idempotent) and ConsumerPerformance, 200-byte records, on a throwaway topic;
//  2. the client: a passthrough with no decode, transactional (the services' exactly-once shape) and plain;
//  3. the three services as separate processes, fed N generated raw events produced up front: events/s
//     from the first produce until every group is at lag 0, peak RSS and CPU per event per service;
//  4. latency, raw event -> Stagemarkt row through the read API, at each rate, against a plain consumer.
// Phases 3 and 4 run once per --commit-interval (EDGE_COMMIT_INTERVAL_MS of all three services).
// Prints one markdown table (stdout) and writes it to .local/bench/pipeline-last.md with the machine.
//   npm run bench:pipeline -- [--events 100000] [--rates 50,1000] [--seconds 20] [--commit-interval 0,20,100] [--skip-broker]
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseBenchArgs, USAGE } from './pipeline/args.ts';
import { measureLatency } from './pipeline/latency.ts';
import { plainPassthrough, transactionalPassthrough } from './pipeline/passthrough.ts';
import { type BrokerCeiling, measureBrokerCeiling, perfTools } from './pipeline/perf-tools.ts';
import { count, latencyText, machine, machineLine, markdownTable, percentile, type Row } from './pipeline/report.ts';
import {
  generateRawLines,
  produceRaw,
  ROOT,
  type RunningServices,
  removeRunDir,
  SERVICES,
  startServices,
  waitForLagZero,
} from './support/services.ts';
import { benchStack } from './support.ts';

let options: ReturnType<typeof parseBenchArgs>;
try {
  options = parseBenchArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`bench:pipeline: ${(error as Error).message}\n${USAGE}\n`);
  process.exit(2);
}
const started = performance.now();
const progress = (text: string) =>
  process.stderr.write(`bench:pipeline [${((performance.now() - started) / 1000).toFixed(0)} s] ${text}\n`);
const { base, bus, admin, run } = await benchStack();
const brokers = base.kafkaBrokers;
const kafkaVersion = /<kafka\.version>([^<]+)</.exec(readFileSync(join(ROOT, 'stack/pom.xml'), 'utf8'))?.[1] ?? 'unknown';
const dir = mkdtempSync(join(tmpdir(), `bench-pipeline-${run}-`));
const rows: Row[] = [];
const notes: string[] = [];
const perSec = (records: number, ms: number) => records / (ms / 1000);
const mb = (kb: number) => `${(kb / 1024).toFixed(0)} MB`;

// ---- 1. the broker ----
let ceiling: BrokerCeiling | undefined;
if (!options.skipBroker) {
  progress(`1/4 broker ceiling: Kafka's ProducerPerformance and ConsumerPerformance, ${count(options.perfRecords)} records of 200 bytes`);
  const topic = `bench-${run}.perf`;
  await admin.ensureTopics([{ name: topic, partitions: options.partitions, replicationFactor: 1 }]);
  ceiling = await measureBrokerCeiling({ tools: perfTools(), brokers, topic, records: options.perfRecords, dir });
  await admin.deleteTopics([topic]).catch(() => {});
  rows.push(
    {
      measurement: 'broker: ProducerPerformance, transactional (one transaction per 100 ms)',
      figure: `${count(ceiling.transactional.recordsPerSec)} records/s`,
    },
    { measurement: 'broker: ProducerPerformance, acks=all, idempotent', figure: `${count(ceiling.acksAll.recordsPerSec)} records/s` },
    {
      measurement: 'broker: ConsumerPerformance, read_committed (fetch time, group join excluded)',
      figure: `${count(ceiling.consumer.fetchRecordsPerSec)} records/s`,
    },
  );
}
const txCeiling = ceiling?.transactional.recordsPerSec;

// ---- 2. the client ----
progress(
  `2/4 client passthrough: generating ${count(options.events)} raw events (seed ${options.seed}), producing them, then consume -> produce`,
);
const lines = generateRawLines(options.events, options.seed);
const passIn = `bench-${run}.pass-in`;
await admin.ensureTopics([
  { name: passIn, partitions: options.partitions, replicationFactor: 1 },
  { name: `bench-${run}.pass-tx`, partitions: options.partitions, replicationFactor: 1 },
  { name: `bench-${run}.pass-plain`, partitions: options.partitions, replicationFactor: 1 },
]);
await produceRaw(bus, passIn, lines);
const tx = await transactionalPassthrough({
  bus,
  admin,
  from: passIn,
  to: `bench-${run}.pass-tx`,
  groupId: `bench-${run}.pass-tx`,
  records: lines.length,
});
const plain = await plainPassthrough({
  brokers,
  admin,
  from: passIn,
  to: `bench-${run}.pass-plain`,
  groupId: `bench-${run}.pass-plain`,
  records: lines.length,
});
await admin.deleteTopics([passIn, `bench-${run}.pass-tx`, `bench-${run}.pass-plain`]).catch(() => {});
const txRate = perSec(tx.records, tx.wallMs);
const txCpu = tx.cpuUs / tx.records;
rows.push(
  {
    measurement: 'client: passthrough, transactional (kafkajs via the bus: consume -> produce + sendOffsets per batch, no decode)',
    figure: `${count(txRate)} records/s, ${txCpu.toFixed(1)} µs CPU/record`,
    ...(txCeiling ? { baseline: `broker transactional ${count(txCeiling)}/s`, ratio: txRate / txCeiling } : {}),
  },
  {
    measurement: 'client: passthrough, plain kafkajs (no transaction, auto-commit)',
    figure: `${count(perSec(plain.records, plain.wallMs))} records/s, ${(plain.cpuUs / plain.records).toFixed(1)} µs CPU/record`,
    baseline: `transactional passthrough ${count(txRate)}/s`,
    ratio: perSec(plain.records, plain.wallMs) / txRate,
  },
);

// ---- 3 and 4, once per commit interval ----
const intervals: Array<number | undefined> = options.commitIntervals.length > 0 ? options.commitIntervals : [undefined];
for (const interval of intervals) {
  const env: Record<string, string> = { ...options.serviceEnv };
  if (interval !== undefined) env.EDGE_COMMIT_INTERVAL_MS = String(interval);
  const setting = interval === undefined ? '' : ` [EDGE_COMMIT_INTERVAL_MS=${interval}]`;
  const label = interval === undefined ? 'services’ defaults' : `commit interval ${interval} ms`;

  progress(`3/4 pipeline${setting}: starting ingest, pseudonymise and deliver as processes`);
  let services: RunningServices = await startServices(admin, {
    brokers,
    registryUrl: base.schemaRegistryUrl,
    env,
    rawPartitions: options.partitions,
  });
  const before = services.usage();
  progress(`3/4 pipeline${setting}: producing ${count(lines.length)} raw events, waiting for lag 0 in every group`);
  const t0 = performance.now();
  let lastLine = 0;
  await produceRaw(bus, services.topics.raw, lines);
  const doneAt = await waitForLagZero(bus, admin, services.groups, {
    onPositions: (positions) => {
      if (performance.now() - lastLine < 10_000) return;
      lastLine = performance.now();
      progress(`3/4   ${positions.map((p) => `${p.group.slice(services.runId.length + 1)} ${p.committed}/${p.end}`).join(', ')}`);
    },
  });
  const after = services.usage();
  const exited = services.exited();
  if (Object.keys(exited).length > 0) notes.push(`${label}: services exited during the run: ${JSON.stringify(exited)}`);
  const e2eMs = doneAt - t0;
  const e2eRate = perSec(lines.length, e2eMs);
  rows.push(
    {
      measurement: `pipeline, ${label}: end to end, ${count(lines.length)} events from first produce to lag 0 in every group`,
      figure: `${count(e2eRate)} events/s (${(e2eMs / 1000).toFixed(1)} s)`,
      ...(txCeiling ? { baseline: `broker transactional ${count(txCeiling)}/s`, ratio: e2eRate / txCeiling, target: '≥ 0.10×' } : {}),
    },
    {
      measurement: `pipeline, ${label}: end to end against the client`,
      figure: `${count(e2eRate)} events/s`,
      baseline: `transactional passthrough ${count(txRate)}/s`,
      ratio: e2eRate / txRate,
    },
  );
  for (const service of SERVICES) {
    const cpuPerEvent = (after[service].cpuUs - before[service].cpuUs) / lines.length;
    rows.push({
      measurement: `${service}, ${label}: CPU per raw event, peak RSS`,
      figure: `${cpuPerEvent.toFixed(1)} µs/event, peak RSS ${mb(after[service].memory.peakRssKb)}`,
      baseline: `transactional passthrough ${txCpu.toFixed(1)} µs/record`,
      ratio: cpuPerEvent / txCpu,
    });
  }
  progress(`3/4 pipeline${setting}: ${count(e2eRate)} events/s; stopping the services`);
  await services.stop({ deleteTopics: true });
  removeRunDir(services);

  if (options.skipLatency) continue;
  progress(
    `4/4 latency${setting}: fresh services (an empty projection), then ${options.rates.join(' and ')} events/s for ${options.seconds} s each`,
  );
  services = await startServices(admin, { brokers, registryUrl: base.schemaRegistryUrl, env, rawPartitions: options.partitions });
  try {
    for (const [phase, rate] of options.rates.entries()) {
      progress(`4/4 latency${setting}: ${rate} events/s for ${options.seconds} s`);
      const result = await measureLatency({
        bus,
        brokers,
        rawTopic: services.topics.raw,
        api: services.api,
        rate,
        seconds: options.seconds,
        phase,
        runId: services.runId,
      });
      if (result.missing > 0)
        notes.push(`${label}, ${rate}/s: ${result.missing} of ${result.sent} rows never seen in the API (left out of the percentiles)`);
      const p99 = percentile(result.api, 99);
      const rawP99 = percentile(result.raw, 99);
      rows.push({
        measurement: `latency, ${label}, ${rate} events/s for ${options.seconds} s: raw event -> Stagemarkt row through the API`,
        figure: latencyText(result.api),
        baseline: `plain consumer of the raw topic: ${latencyText(result.raw)}`,
        ratio: p99 / rawP99,
        target: '≤ 10× (p99)',
      });
    }
  } finally {
    await services.stop({ deleteTopics: true });
    removeRunDir(services);
  }
}
await admin.disconnect();
rmSync(dir, { recursive: true, force: true });

const m = machine(kafkaVersion);
const table = markdownTable(rows);
const text = [
  `bench:pipeline, ${new Date().toISOString()}: ${count(options.events)} generated events (seed ${options.seed}), raw topic of ${options.partitions} partitions, broker tools ${count(options.perfRecords)} records`,
  `machine: ${machineLine(m)}`,
  '',
  table,
  ...(notes.length > 0 ? ['', ...notes.map((n) => `- ${n}`)] : []),
  '',
].join('\n');
process.stdout.write(`\n${text}`);
mkdirSync(join(ROOT, '.local/bench'), { recursive: true });
writeFileSync(join(ROOT, '.local/bench/pipeline-last.md'), text);
progress(`done; also in .local/bench/pipeline-last.md`);
process.exit(0);
