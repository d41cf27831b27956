// A recipient topic to a Parquet file, for SQL (DuckDB, pandas, Spark): see docs/analytics.md.
//
//   npm run analytics:export -- --topic recipient.sbb-stagemarkt.v2 --out stagemarkt.parquet
//
// The command line is in cli-options.ts (npm run analytics:export -- --help). Progress goes to stderr; the
// summary (rows, sha256, time, peak RSS) to stdout. Exit codes: 0 done, 1 failed, 2 usage, 3 refused (a topic
// that is not a recipient's: raw and canonical events, dead letters, feeds, bookkeeping; an unknown topic
// without --recipient, or whose schema is not that recipient's), 78 config.

import { type Agreement, settings } from '@register-feeds/pseudonymise';
import { commonSettings, createProgress, createSchemaRegistryClient, loadConfigOrExit, peakRssMb } from '@register-feeds/service-kit';
import { exportCommandLine } from './cli-options.ts';
import { cliTool, commandLineOrExit, readingProgress } from './cli-support.ts';
import { ExportRefused, exportTopic } from './export-topic.ts';

const tool = cliTool('analytics:export', 'analytics-export');
const options = commandLineOrExit(() => exportCommandLine(process.argv.slice(2)));
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
