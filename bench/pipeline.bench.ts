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
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  commitPolicyFrom,
  commonSettings,
  createKafkajsBus,
  createLogger,
  kafkaAuthOrExit,
  loadConfigOrExit,
} from '@register-feeds/service-kit';
import { parseBenchArgs, USAGE } from './pipeline/args.ts';
import { measureLatency } from './pipeline/latency.ts';
import { plainPassthrough, transactionalPassthrough } from './pipeline/passthrough.ts';
import { type BrokerCeiling, measureBrokerCeiling, perfTools } from './pipeline/perf-tools.ts';
import { count, latencyText, machine, machineLine, markdownTable, percentile, type Row } from './pipeline/report.ts';
import {
  generateRawLines,
  produceRaw,
  ROOT,
  removeRunDir,
  SERVICES,
  startServices,
  topicReplicationFactor,
  waitForLagZero,
} from './support/services.ts';

let options: ReturnType<typeof parseBenchArgs>;
if (process.argv.includes('--help')) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
try {
  options = parseBenchArgs(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`bench:pipeline: ${(error as Error).message}\n${USAGE}\n`);
  process.exit(2);
}
const started = performance.now();
const progress = (text: string) =>
  process.stderr.write(`bench:pipeline [${((performance.now() - started) / 1000).toFixed(0)} s] ${text}\n`);
// kafkajs logs every retried metadata request at error level (a topic created a moment ago): errors that
// matter reach the benchmark as exceptions, so its logger stays quiet and stderr keeps to the progress lines
const base = loadConfigOrExit('bench', commonSettings);
const bus = createKafkajsBus({
  brokers: base.kafkaBrokers,
  clientId: 'bench-pipeline',
  logger: createLogger({ service: 'bench', level: 'fatal' }),
  auth: kafkaAuthOrExit('bench', base),
});
const admin = await bus.admin();
const run = randomBytes(4).toString('hex');
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
  await admin.ensureTopics([{ name: topic, partitions: options.partitions, replicationFactor: topicReplicationFactor() }]);
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
let txRate = Number.NaN;
let txCpu = Number.NaN;
const lines = options.skipThroughput ? [] : generateRawLines(options.events, options.seed);
async function clientPassthrough(): Promise<void> {
  progress(`2/4 client passthrough: ${count(lines.length)} generated raw events (seed ${options.seed}) produced, then consume -> produce`);
  const passIn = `bench-${run}.pass-in`;
  const passTx = `bench-${run}.pass-tx`;
  const passPlain = `bench-${run}.pass-plain`;
  await admin.ensureTopics(
    [passIn, passTx, passPlain].map((name) => ({ name, partitions: options.partitions, replicationFactor: topicReplicationFactor() })),
  );
  await produceRaw(bus, passIn, lines);
  const tx = await transactionalPassthrough({
    bus,
    admin,
    from: passIn,
    to: passTx,
    groupId: passTx,
    records: lines.length,
    commit: commitPolicyFrom(base),
  });
  const plain = await plainPassthrough({ bus, brokers, admin, from: passIn, to: passPlain, groupId: passPlain, records: lines.length });
  await admin.deleteTopics([passIn, passTx, passPlain]).catch(() => {});
  txRate = perSec(tx.records, tx.wallMs);
  txCpu = tx.cpuUs / tx.records;
  const plainRate = perSec(plain.records, plain.wallMs);
  rows.push(
    {
      measurement: `client: passthrough, transactional, commit interval ${base.edgeCommitIntervalMs} ms (kafkajs via the bus: consume -> produce + sendOffsets, no decode; group join to lag 0)`,
      figure: `${count(txRate)} records/s, ${txCpu.toFixed(1)} µs CPU/record`,
      ...(txCeiling ? { baseline: `broker transactional ${count(txCeiling)}/s`, ratio: txRate / txCeiling } : {}),
    },
    {
      measurement: 'client: passthrough, plain kafkajs (no transaction, auto-commit; group join to lag 0)',
      figure: `${count(plainRate)} records/s, ${(plain.cpuUs / plain.records).toFixed(1)} µs CPU/record`,
      baseline: `transactional passthrough ${count(txRate)}/s`,
      ratio: plainRate / txRate,
    },
  );
}
if (!options.skipThroughput) await clientPassthrough();

// ---- 3. the pipeline, end to end ----
async function endToEnd(env: Record<string, string>, label: string, setting: string): Promise<void> {
  progress(`3/4 pipeline${setting}: starting ingest, pseudonymise and deliver as processes`);
  const services = await startServices(admin, { brokers, registryUrl: base.schemaRegistryUrl, env, rawPartitions: options.partitions });
  try {
    const before = services.usage();
    progress(`3/4 pipeline${setting}: producing ${count(lines.length)} raw events, waiting for lag 0 in every group`);
    const t0 = performance.now();
    let lastLine = 0;
    await produceRaw(bus, services.topics.raw, lines);
    const doneAt = await waitForLagZero(bus, admin, services.groups, {
      intervalMs: 200, // 10 admin requests a poll: asked more often, the watching would load the broker it measures
      onProbe: (g, left) =>
        notes.push(
          `${label}: ${g.group} stopped at ${g.committed} of ${g.end} (offsets); ${left} committed records were left${left === 0 ? ': counted as at lag 0' : ''}`,
        ),
      onPositions: (positions) => {
        if (performance.now() - lastLine < 10_000) return;
        lastLine = performance.now();
        progress(`3/4   ${positions.map((p) => `${p.group.slice(services.runId.length + 1)} ${p.committed}/${p.end}`).join(', ')}`);
      },
    });
    const after = services.usage();
    const exited = services.exited();
    if (Object.keys(exited).length > 0) notes.push(`${label}: services exited during the run: ${JSON.stringify(exited)}`);
    // generated events are valid: dead letters would mean the run measured something else than the happy path
    for (const topic of [`${services.runId}.raw-dlq`, `${services.runId}.events-dlq`, `${services.runId}.deliver-dlq`]) {
      const end = await admin.topicOffsets(topic).then(
        (offsets) => offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0),
        () => 0,
      );
      if (end > 0) notes.push(`${label}: ${topic} holds ~${end} records (dead letters, transaction markers included)`);
    }
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
    let allCpu = 0;
    for (const service of SERVICES) {
      const cpuPerEvent = (after[service].cpuUs - before[service].cpuUs) / lines.length;
      allCpu += cpuPerEvent;
      rows.push({
        measurement: `${service}, ${label}: CPU per raw event, peak RSS`,
        figure: `${cpuPerEvent.toFixed(1)} µs/event, peak RSS ${mb(after[service].memory.peakRssKb)}`,
        baseline: `transactional passthrough ${txCpu.toFixed(1)} µs/record`,
        ratio: cpuPerEvent / txCpu,
      });
    }
    rows.push({
      measurement: `all three services, ${label}: CPU per raw event`,
      figure: `${allCpu.toFixed(1)} µs/event`,
      baseline: `transactional passthrough ${txCpu.toFixed(1)} µs/record`,
      ratio: allCpu / txCpu,
    });
    progress(`3/4 pipeline${setting}: ${count(e2eRate)} events/s; stopping the services`);
  } finally {
    await services.stop({ deleteTopics: true });
    removeRunDir(services);
  }
}

// ---- 4. latency ----
async function latency(env: Record<string, string>, label: string, setting: string): Promise<void> {
  progress(
    `4/4 latency${setting}: fresh services (an empty projection), then ${options.rates.join(' and ')} events/s for ${options.seconds} s each`,
  );
  const services = await startServices(admin, { brokers, registryUrl: base.schemaRegistryUrl, env, rawPartitions: options.partitions });
  const measure = (rate: number, seconds: number, phase: number) =>
    measureLatency({ bus, brokers, rawTopic: services.topics.raw, api: services.api, rate, seconds, phase, runId: services.runId });
  try {
    // warm-up, not counted: the first records of fresh services pay for producers, schemas and group joins
    progress(`4/4 latency${setting}: warm-up, 60 events at 20/s (not counted)`);
    await measure(20, 3, 9);
    for (const [phase, rate] of options.rates.entries()) {
      progress(`4/4 latency${setting}: ${rate} events/s for ${options.seconds} s`);
      const result = await measure(rate, options.seconds, phase);
      if (result.missing > 0)
        notes.push(`${label}, ${rate}/s: ${result.missing} of ${result.sent} rows never seen in the API (left out of the percentiles)`);
      rows.push({
        measurement: `latency, ${label}, ${rate} events/s for ${options.seconds} s: raw event -> Stagemarkt row through the API`,
        figure: latencyText(result.api),
        baseline: `plain consumer of the raw topic: ${latencyText(result.raw)}`,
        ratio: percentile(result.api, 99) / percentile(result.raw, 99),
        target: '≤ 10× (p99)',
      });
    }
  } finally {
    await services.stop({ deleteTopics: true });
    removeRunDir(services);
  }
}

// phases 3 and 4 once per commit interval (EDGE_COMMIT_INTERVAL_MS of all three services), or once with their defaults
const intervals: Array<number | undefined> = options.commitIntervals.length > 0 ? options.commitIntervals : [undefined];
for (const interval of intervals) {
  const env: Record<string, string> = { ...options.serviceEnv };
  if (interval !== undefined) env.EDGE_COMMIT_INTERVAL_MS = String(interval);
  const setting = interval === undefined ? '' : ` [EDGE_COMMIT_INTERVAL_MS=${interval}]`;
  const label = interval === undefined ? 'services’ defaults' : `commit interval ${interval} ms`;
  if (!options.skipThroughput) await endToEnd(env, label, setting);
  if (!options.skipLatency) await latency(env, label, setting);
}
await admin.disconnect();
rmSync(dir, { recursive: true, force: true });

const m = machine(kafkaVersion);
const table = markdownTable(rows);
const text = [
  `bench:pipeline, ${new Date().toISOString()}: ${[
    options.skipThroughput ? undefined : `${count(options.events)} generated events (seed ${options.seed})`,
    `topics of ${options.partitions} partitions`,
    options.skipBroker ? undefined : `broker tools ${count(options.perfRecords)} records`,
    options.skipLatency ? undefined : `latency ${options.rates.join(' and ')} events/s for ${options.seconds} s each`,
    Object.keys(options.serviceEnv).length > 0
      ? `service env ${Object.entries(options.serviceEnv)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ')}`
      : undefined,
  ]
    .filter(Boolean)
    .join(', ')}`,
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
