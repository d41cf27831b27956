// Soak: the three services as separate processes (bench/support/services.ts: node services/<name>/src/main.ts,
// this run's topics and groups, TEST keys in a temporary directory) fed raw events continuously, their RSS
// (/proc/<pid>/status VmRSS) sampled every few seconds. Reports per service the RSS at 10%, 50%, 90% and
// 100% of the run, the peak (VmHWM) and the slope over the second half in MB per million events; "flat" is
// a slope near 0. Prints the table and writes it, with the machine and the curve, to .local/bench/soak-last.md.
//
//   npm run bench:soak -- [--events 10000000] [--rate R] [--persons 50000] [--feed bounded|generator]
//                         [--sample-seconds 5] [--max-lead 20000] [--flat 5] [--service-env KEY=VALUE ...]
//
// Without --rate the feed runs as fast as the pipeline takes it: no consumer group of the three services
// is more than --max-lead records behind, so the samples show the services at work on the events of their
// moment (not on a backlog of millions) and the bench's own memory stays small. A sample's x is the events
// through all three services (estimated from the groups' committed offsets). The feed (bench/soak/feed.ts) is a bounded population by default, so the state the
// services keep stops growing early and a rising RSS is a leak.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { rawPersonKey } from '@register-feeds/contracts';
import { machine, machineLine } from './pipeline/report.ts';
import { type FeedKind, feedLines } from './soak/feed.ts';
import { curvesTable, type RssSample, rssCurves, samplesTable } from './soak/rss-curve.ts';
import { groupPositions, ROOT, removeRunDir, SERVICES, startServices, waitForLagZero } from './support/services.ts';
import { benchStack } from './support.ts';

const USAGE = `npm run bench:soak -- [--events 10000000] [--rate R] [--persons 50000] [--feed bounded|generator]
  [--sample-seconds 5] [--max-lead 20000] [--flat 5] [--service-env KEY=VALUE ...]`;

function options() {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '50000' },
      rate: { type: 'string' },
      persons: { type: 'string', default: '50000' },
      feed: { type: 'string', default: 'bounded' },
      'sample-seconds': { type: 'string', default: '5' },
      'max-lead': { type: 'string', default: '20000' },
      flat: { type: 'string', default: '5' },
      'service-env': { type: 'string', multiple: true, default: [] },
    },
  });
  const whole = (name: string, text: string | undefined, min: number) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number of at least ${min}`);
    return n;
  };
  const feed = values.feed as FeedKind;
  if (feed !== 'bounded' && feed !== 'generator') throw new Error('--feed must be bounded or generator');
  const serviceEnv: Record<string, string> = {};
  for (const pair of values['service-env']) {
    const at = pair.indexOf('=');
    if (at < 1) throw new Error(`--service-env ${pair}: expected KEY=VALUE`);
    serviceEnv[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return {
    events: whole('events', values.events, 1000),
    rate: values.rate === undefined ? undefined : whole('rate', values.rate, 1),
    persons: whole('persons', values.persons, 1),
    feed,
    sampleMs: whole('sample-seconds', values['sample-seconds'], 1) * 1000,
    maxLead: whole('max-lead', values['max-lead'], 1000),
    flat: Number(values.flat),
    serviceEnv,
  };
}

let opts: ReturnType<typeof options>;
try {
  opts = options();
} catch (error) {
  process.stderr.write(`bench:soak: ${(error as Error).message}\n${USAGE}\n`);
  process.exit(2);
}

const started = performance.now();
const seconds = () => (performance.now() - started) / 1000;
const progress = (text: string) => process.stderr.write(`bench:soak [${seconds().toFixed(0)} s] ${text}\n`);
const { base, bus, admin, run } = await benchStack();
const kafkaVersion = /<kafka\.version>([^<]+)</.exec(readFileSync(join(ROOT, 'stack/pom.xml'), 'utf8'))?.[1] ?? 'unknown';

progress(`starting the three services (${opts.feed} feed, ${opts.events.toLocaleString('en-US')} events)`);
const services = await startServices(admin, { brokers: base.kafkaBrokers, registryUrl: base.schemaRegistryUrl, env: opts.serviceEnv });
// a long run stopped by hand still removes its topics (gigabytes after millions of events) and its keys
let stopping = false;
let interrupted = false;
let sampler: NodeJS.Timeout | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    stopping = true;
    clearInterval(sampler);
    progress(`${signal}: stopping the services and deleting the run's topics`);
    void services
      .stop({ deleteTopics: true })
      .catch(() => {})
      .finally(() => {
        removeRunDir(services);
        process.exit(130);
      });
  });
}
const samples: RssSample[] = [];
let fed = 0;
// events ingest has committed (raw records: the raw topic has no transaction markers)
let ingested = 0;
// events through all three services, the samples' x: ingested, times the share of its input pseudonymise
// has committed, times the least share any deliver group has (shares of offsets, markers and all)
let through = 0;
// the most records any group has left to read (markers included): how far the pipeline is behind the feed
let behind = 0;
let failure: Error | undefined;
const track = async () => {
  const positions = await groupPositions(admin, services.groups);
  ingested = positions.find((p) => p.service === 'ingest')?.committed ?? 0;
  behind = Math.max(fed - ingested, ...positions.map((p) => p.end - p.committed));
  const share = (service: string) =>
    Math.min(1, ...positions.filter((p) => p.service === service).map((p) => (p.end === 0 ? 1 : p.committed / p.end)));
  through = Math.round(ingested * share('pseudonymise') * share('deliver'));
};
const sample = async (final = false) => {
  if (stopping) return;
  const gone = services.exited();
  if (Object.keys(gone).length > 0) {
    failure ??= new Error(`a service exited during the run: ${JSON.stringify(gone)} (logs in ${services.dir})`);
    return;
  }
  let rss: ReturnType<typeof services.rss>;
  try {
    rss = services.rss();
  } catch (error) {
    // a process gone between exited() and reading its /proc entry
    failure ??= error as Error;
    return;
  }
  await track().catch(() => {});
  // after lag 0 every event is through (a trailing aborted transaction leaves a share a hair under 1)
  samples.push({ events: final ? fed : through, seconds: seconds(), rssKb: Object.fromEntries(SERVICES.map((s) => [s, rss[s].rssKb])) });
};

let doneAt = Number.NaN;
let feedStart = Number.NaN;
try {
  await sample();
  sampler = setInterval(() => void sample(), opts.sampleMs);
  let lastLine = 0;
  const producer = await bus.producer();
  try {
    feedStart = performance.now();
    let batch: { topic: string; key: string | null; value: string }[] = [];
    let trackedAt = 0;
    for (const line of feedLines(opts.feed, { run, total: opts.events, persons: opts.persons })) {
      batch.push({ topic: services.topics.raw, key: rawPersonKey(line), value: line });
      if (batch.length < 1000) continue;
      await producer.send(batch);
      fed += batch.length;
      batch = [];
      if (failure) throw failure;
      if (opts.rate !== undefined) {
        // --rate: events are due at fed / rate seconds after the start
        const aheadMs = (fed / opts.rate) * 1000 - (performance.now() - feedStart);
        if (aheadMs > 0) await new Promise((r) => setTimeout(r, aheadMs));
      } else {
        // as fast as the pipeline takes it: no group more than maxLead records behind
        for (;;) {
          if (performance.now() - trackedAt > 200) {
            await track();
            trackedAt = performance.now();
          }
          if (behind <= opts.maxLead) break;
          if (failure) throw failure;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      if (performance.now() - lastLine > 30_000) {
        lastLine = performance.now();
        const rss = samples.at(-1)?.rssKb ?? {};
        progress(
          `${fed.toLocaleString('en-US')} fed, RSS ${SERVICES.map((s) => `${s} ${((rss[s] ?? 0) / 1024).toFixed(0)} MB`).join(', ')}`,
        );
      }
    }
    if (batch.length > 0) {
      await producer.send(batch);
      fed += batch.length;
    }
  } finally {
    await producer.disconnect();
  }
  progress(`all ${fed.toLocaleString('en-US')} fed; waiting until every group is at lag 0`);
  doneAt = await waitForLagZero(bus, admin, services.groups, { timeoutMs: 3_600_000 });
  clearInterval(sampler);
  await sample(true);
  if (failure) throw failure;
} catch (error) {
  // stopped by a signal: its handler stops the services and exits
  if (interrupted) await new Promise(() => {});
  stopping = true;
  clearInterval(sampler);
  await services.stop({ deleteTopics: true }).catch(() => {});
  await admin.disconnect();
  process.stderr.write(`bench:soak: ${(error as Error).message} (the services' logs: ${services.dir})\n`);
  process.exit(1);
}

// stopped by a signal as the run ended: its handler stops the services and exits
if (interrupted) await new Promise(() => {});
const usage = services.usage();
const peakKb = Object.fromEntries(SERVICES.map((s) => [s, usage[s].memory.peakRssKb]));
const cpuUs = Object.fromEntries(SERVICES.map((s) => [s, usage[s].cpuUs]));
const codes = await services.stop({ deleteTopics: true });
removeRunDir(services);
await admin.disconnect();

const curves = rssCurves(samples, opts.events, peakKb);
const runSeconds = (doneAt - feedStart) / 1000;
const text = [
  `## bench:soak, ${new Date().toISOString()}`,
  '',
  `Machine: ${machineLine(machine(kafkaVersion))}.`,
  `Feed: ${opts.events.toLocaleString('en-US')} ${opts.feed === 'bounded' ? `events of a bounded population (${opts.persons.toLocaleString('en-US')} students, every event id new)` : 'generated events (tools/generator: persons come and go, deliver’s rows grow with them)'}, ${opts.rate === undefined ? `as fast as the pipeline takes them (no group more than ${opts.maxLead.toLocaleString('en-US')} records behind)` : `at ${opts.rate}/s`}; every group at lag 0 after ${runSeconds.toFixed(0)} s (${(opts.events / runSeconds).toFixed(0)} events/s end to end).`,
  `Samples: ${samples.length}, every ${opts.sampleMs / 1000} s; 100% is the sample after lag 0. Slope: least squares over the samples of the second half; flat: under ${opts.flat} MB per million events.${
    Object.keys(opts.serviceEnv).length > 0
      ? ` Service env: ${Object.entries(opts.serviceEnv)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}.`
      : ''
  }`,
  '',
  curvesTable(curves, opts.flat),
  '',
  `CPU per event: ${SERVICES.map((s) => `${s} ${((cpuUs[s] ?? 0) / opts.events).toFixed(0)} µs`).join(', ')} (all the process used since its start, over the events fed). Exit codes: ${SERVICES.map((s) => `${s} ${codes[s]}`).join(', ')}.`,
  '',
  '<details><summary>the curve</summary>',
  '',
  samplesTable(samples),
  '',
  '</details>',
  '',
].join('\n');
process.stdout.write(`\n${text}`);
mkdirSync(join(ROOT, '.local/bench'), { recursive: true });
writeFileSync(join(ROOT, '.local/bench/soak-last.md'), text);
progress('done; also in .local/bench/soak-last.md');
