// A recipient topic to a Parquet file, for SQL (DuckDB, pandas, Spark): see docs/analytics.md.
//
//   npm run analytics:export -- --topic recipient.sbb-stagemarkt.v2 --out stagemarkt.parquet
//
// Progress goes to stderr; the summary (rows, sha256, time, peak RSS) to stdout. Exit codes: 0 done,
// 1 failed, 2 usage, 3 refused (a topic that is not a recipient's: raw and canonical events, dead letters,
// feeds, bookkeeping; an unknown topic without --recipient, or whose schema is not that recipient's), 78 config.

import { type Agreement, settings } from '@register-feeds/pseudonymise';
import {
  CliExit,
  commaList,
  commonSettings,
  createCli,
  createProgress,
  createSchemaRegistryClient,
  loadConfigOrExit,
  nonEmpty,
  parseCli,
  peakRssMb,
} from '@register-feeds/service-kit';
import { cliTool, readingProgress } from './cli-support.ts';
import { ExportRefused, exportTopic } from './export-topic.ts';

interface Options {
  topic: string;
  out: string;
  recipient?: string;
  brokers?: string[];
  memoryLimit?: string;
  quiet?: boolean;
}

function parseOptionsOrExit(): Options {
  let options: Options | undefined;
  const program = createCli({
    name: 'analytics:export',
    usage: 'npm run analytics:export --',
    description:
      'Exports a recipient topic (recipient.*) to a Parquet file to query with SQL: every record to the end of the topic as ' +
      'it was when the export began, one column per field (sub-records as <group>_<field>), in partition and offset order. ' +
      'Refuses any other topic. Registry SCHEMA_REGISTRY_URL, brokers KAFKA_BROKERS, agreements AGREEMENTS_DIR.',
  })
    .requiredOption('--topic <topic>', 'the recipient topic to export', nonEmpty)
    .requiredOption('--out <file>', 'the Parquet file to write (replaced whole when done)', nonEmpty)
    .option(
      '--recipient <id>',
      "whose records the topic holds: needed for a topic not named recipient.* (a copy), whose schema must then be this recipient's",
      nonEmpty,
    )
    .option('--memory-limit <size>', "DuckDB's memory limit while writing, e.g. 512MB (default 128MB)", nonEmpty)
    .option('--brokers <list>', 'host:port[,host:port] (default KAFKA_BROKERS)', commaList)
    .option('--quiet', 'no progress, only the summary')
    .action((opts) => {
      options = {
        topic: opts.topic,
        out: opts.out,
        ...(opts.recipient === undefined ? {} : { recipient: opts.recipient }),
        ...(opts.brokers === undefined ? {} : { brokers: opts.brokers }),
        ...(opts.memoryLimit === undefined ? {} : { memoryLimit: opts.memoryLimit }),
        quiet: opts.quiet === true,
      };
    });
  try {
    parseCli(program, process.argv.slice(2));
  } catch (error) {
    if (error instanceof CliExit) process.exit(error.exitCode);
    throw error;
  }
  if (options === undefined) process.exit(2);
  return options;
}

const tool = cliTool('analytics:export', 'analytics-export');
const options = parseOptionsOrExit();
const config = loadConfigOrExit('analytics:export', { ...commonSettings, agreementsDir: settings.agreementsDir });

const agreements = tool.loadAgreements(config.agreementsDir);
// the agreement gives the ages' labels: named, or the one whose stream this topic is
const agreement: Agreement | undefined =
  options.recipient === undefined
    ? agreements.find((a) => a.output.topic === options.topic)
    : tool.agreementOf(agreements, options.recipient);

const started = performance.now();
const bus = tool.createBus(config, options.brokers);
const progress = createProgress({ label: 'analytics:export', unit: 'records', quiet: options.quiet === true });

try {
  const admin = await bus.admin();
  const exported = await exportTopic({
    bus,
    admin,
    registry: createSchemaRegistryClient({ url: config.schemaRegistryUrl }),
    registryUrl: config.schemaRegistryUrl,
    topic: options.topic,
    out: options.out,
    ...(agreement === undefined ? {} : { agreement }),
    ...(options.memoryLimit === undefined ? {} : { memoryLimit: options.memoryLimit }),
    onProgress: readingProgress(progress),
  });
  progress.stop();
  const seconds = (performance.now() - started) / 1000;
  tool.printSummary([
    `export of ${options.topic} (${exported.schema}${agreement === undefined ? '' : `, ${agreement.recipient}'s agreement`})`,
    `  rows      ${exported.rows} (${exported.tombstones} tombstones and ${exported.undecodable} undecodable records left out)`,
    `  columns   ${exported.columns.length}`,
    `  file      ${options.out} (${exported.bytes} bytes)`,
    `  sha256    ${exported.sha256}`,
    `  time      ${seconds.toFixed(1)} s, peak RSS ${peakRssMb()} MB`,
  ]);
  await admin.disconnect();
  process.exit(0);
} catch (error) {
  progress.stop();
  if (error instanceof ExportRefused) tool.fail(3, error.message);
  tool.fail(1, `failed: ${(error as Error).message}`);
}
