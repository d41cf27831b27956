// The broker's ceiling measured with Kafka's own tools (org.apache.kafka:kafka-tools, fetched by
// `stack/stack.sh tools-env` through stack/pom-tools.xml): ProducerPerformance, transactional and acks=all,
// and ConsumerPerformance, against a throwaway topic. Their summary lines are parsed here (pure, unit-tested).
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../support/services.ts';

export interface ProducerSummary {
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  avgLatencyMs: number;
  maxLatencyMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

/**
 * The final line of ProducerPerformance, e.g. "200000 records sent, 28260.6 records/sec (5.39 MB/sec),
 * 211.11 ms avg latency, 757.00 ms max latency, 122 ms 50th, 550 ms 95th, 680 ms 99th, 742 ms 99.9th."
 * (the progress lines before it carry no percentiles).
 */
export function parseProducerSummary(output: string): ProducerSummary {
  const pattern =
    /^(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, ([\d.]+) ms 50th, ([\d.]+) ms 95th, ([\d.]+) ms 99th/;
  const line = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => pattern.test(l))
    .at(-1);
  if (line === undefined) throw new Error(`no ProducerPerformance summary line in:\n${output.slice(-1000)}`);
  const [, records, rate, mb, avg, max, p50, p95, p99] = (pattern.exec(line) as RegExpExecArray).map(Number);
  return {
    records: records as number,
    recordsPerSec: rate as number,
    mbPerSec: mb as number,
    avgLatencyMs: avg as number,
    maxLatencyMs: max as number,
    p50Ms: p50 as number,
    p95Ms: p95 as number,
    p99Ms: p99 as number,
  };
}

export interface ConsumerSummary {
  records: number;
  /** records over the whole run, group join included */
  recordsPerSec: number;
  /** records over the fetch time only (rebalance excluded): the figure quoted as the ceiling */
  fetchRecordsPerSec: number;
  rebalanceMs: number;
  fetchMs: number;
}

/**
 * ConsumerPerformance's header and value lines, e.g.
 * "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec"
 * "2026-11-26 00:42:05:201, 2026-11-26 00:42:07:160, 76.2939, 38.9454, 400000, 204185.8091, 653, 1306, 58.4180, 306278.7136"
 */
export function parseConsumerSummary(output: string): ConsumerSummary {
  const lines = output.split('\n').map((l) => l.trim());
  const at = lines.findIndex((l) => l.startsWith('start.time,'));
  const values = at < 0 ? undefined : lines[at + 1];
  if (at < 0 || !values) throw new Error(`no ConsumerPerformance summary in:\n${output.slice(-1000)}`);
  const names = (lines[at] as string).split(',').map((s) => s.trim());
  const cells = values.split(',').map((s) => s.trim());
  const field = (name: string): number => {
    const value = Number(cells[names.indexOf(name)]);
    if (names.indexOf(name) < 0 || !Number.isFinite(value)) throw new Error(`ConsumerPerformance: no ${name} in "${values}"`);
    return value;
  };
  return {
    records: field('data.consumed.in.nMsg'),
    recordsPerSec: field('nMsg.sec'),
    fetchRecordsPerSec: field('fetch.nMsg.sec'),
    rebalanceMs: field('rebalance.time.ms'),
    fetchMs: field('fetch.time.ms'),
  };
}

export interface PerfTools {
  java: string;
  classpath: string;
}

/** The java and classpath of Kafka's tools (fetched through Maven on first use). */
export function perfTools(): PerfTools {
  const out = execFileSync('bash', [join(ROOT, 'stack/stack.sh'), 'tools-env'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const value = (name: string) => {
    const match = new RegExp(`^${name}=(.*)$`, 'm').exec(out);
    if (!match) throw new Error(`stack/stack.sh tools-env printed no ${name}`);
    return match[1] as string;
  };
  return { java: value('KAFKA_TOOLS_JAVA'), classpath: value('KAFKA_TOOLS_CLASSPATH') };
}

/** Client properties for the tools: the stack's SASL and TLS settings when the bench has them (KAFKA_SASL_*, KAFKA_SSL_CA_FILE), read_committed. */
function clientProperties(dir: string): string {
  const file = join(dir, `perf-client-${randomBytes(4).toString('hex')}.properties`);
  const lines = ['isolation.level=read_committed'];
  if ((process.env.KAFKA_SASL_MECHANISM ?? 'none') === 'scram-sha-512') {
    const password = readFileSync(process.env.KAFKA_SASL_PASSWORD_FILE ?? '', 'utf8').trim();
    lines.push(
      'sasl.mechanism=SCRAM-SHA-512',
      `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="${process.env.KAFKA_SASL_USERNAME}" password="${password}";`,
    );
    // TLS to the secured stack, verified against its CA (KAFKA_SSL_CA_FILE), as the services' clients do
    if (process.env.KAFKA_SSL_CA_FILE)
      lines.push('security.protocol=SASL_SSL', 'ssl.truststore.type=PEM', `ssl.truststore.location=${process.env.KAFKA_SSL_CA_FILE}`);
    else lines.push('security.protocol=SASL_PLAINTEXT');
  }
  writeFileSync(file, `${lines.join('\n')}\n`, { mode: 0o600 });
  return file;
}

async function runJava(tools: PerfTools, main: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(tools.java, ['-Xmx512m', '-cp', tools.classpath, main, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${main} exited ${code}:\n${out.slice(-2000)}`))));
  });
}

export interface BrokerCeiling {
  transactional: ProducerSummary;
  acksAll: ProducerSummary;
  consumer: ConsumerSummary;
}

/**
 * The three measurements on a topic of their own (deleted afterwards): `records` 200-byte records each,
 * unthrottled; the transactional producer commits every 100 ms; the consumer reads what both wrote (read_committed).
 */
export async function measureBrokerCeiling({
  tools,
  brokers,
  topic,
  records,
  dir,
}: {
  tools: PerfTools;
  brokers: string[];
  topic: string;
  records: number;
  dir: string;
}): Promise<BrokerCeiling> {
  const config = clientProperties(dir);
  try {
    const producer = (extra: string[]) =>
      runJava(tools, 'org.apache.kafka.tools.ProducerPerformance', [
        '--topic',
        topic,
        '--num-records',
        String(records),
        '--record-size',
        '200',
        '--throughput',
        '-1',
        '--producer.config',
        config,
        '--producer-props',
        `bootstrap.servers=${brokers.join(',')}`,
        ...extra,
      ]).then(parseProducerSummary);
    const transactional = await producer(['--transaction-duration-ms', '100']);
    const acksAll = await producer(['acks=all', 'enable.idempotence=true']);
    const consumer = parseConsumerSummary(
      await runJava(tools, 'org.apache.kafka.tools.ConsumerPerformance', [
        '--bootstrap-server',
        brokers.join(','),
        '--topic',
        topic,
        '--messages',
        String(2 * records),
        '--consumer.config',
        config,
        '--timeout',
        '60000',
        '--group',
        `${topic}-perf`,
      ]),
    );
    return { transactional, acksAll, consumer };
  } finally {
    rmSync(config, { force: true });
  }
}
