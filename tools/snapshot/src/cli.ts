// A recipient's peildatum snapshot to a file: the enrolments that stood on the peildatum as the register
// knew them at --known-at (default now), shaped by the recipient's agreement like its stream.
//
//   npm run snapshot -- --recipient ocw-minister --peildatum 2026-10-01 --known-at 2026-11-15T00:00:00Z
//
// The command line is in cli-options.ts (npm run snapshot -- --help). Progress goes to stderr; the summary
// (counts, sha256, time, peak RSS) to stdout. Exit codes: 0 done, 1 failed, 2 usage or a snapshot that cannot
// be made as asked (no key, agreement not in force), 78 config.

import { type Agreement, keyFileSource, settings } from '@register-feeds/pseudonymise';
import { commonSettings, createProgress, createSchemaRegistryClient, loadConfigOrExit, peakRssMb } from '@register-feeds/service-kit';
import { snapshotCommandLine } from './cli-options.ts';
import { cliTool, commandLineOrExit, readingProgress } from './cli-support.ts';
import { SnapshotError, writeSnapshot } from './snapshot.ts';

const tool = cliTool('snapshot');
const options = commandLineOrExit(() => snapshotCommandLine(process.argv.slice(2)));

const config = loadConfigOrExit('snapshot', {
  ...commonSettings,
  eventsTopic: settings.eventsTopic,
  agreementsDir: settings.agreementsDir,
  keysFile: settings.keysFile,
});

const agreements = tool.loadAgreements(config.agreementsDir);
const agreement: Agreement = tool.agreementOf(agreements, options.recipient);
const key = tool.loadKeys(() => keyFileSource({ path: config.keysFile, agreements }).current().keyFor(agreement.recipient));

const started = performance.now();
const bus = tool.createBus(config, options.brokers);
const registry = createSchemaRegistryClient({ url: config.schemaRegistryUrl });
const admin = await bus.admin();
const reading = createProgress({ label: 'snapshot: reading the history', unit: 'records' });
let writing: ReturnType<typeof createProgress> | undefined;

try {
  const written = await writeSnapshot({
    bus,
    admin,
    registry,
    agreement,
    key,
    peildatum: options.peildatum,
    knownAt: options.knownAt,
    historyTopic: options.topic ?? config.eventsTopic,
    out: options.out,
    format: options.format,
    onProgress: readingProgress(reading),
    onRows: (rows) => {
      if (writing === undefined) {
        reading.stop();
        writing = createProgress({ label: 'snapshot: writing rows', unit: 'rows' });
      }
      writing.update(rows);
    },
  });
  reading.stop();
  writing?.stop();
  const { counts, historyTopic, knownAt } = written.snapshot;
  const seconds = (performance.now() - started) / 1000;
  tool.printSummary([
    `snapshot of ${agreement.recipient}: peildatum ${options.peildatum}, as known at ${knownAt}`,
    `  history   ${historyTopic}: ${counts.records} records read (${counts.undecodable} undecodable, skipped), ${counts.knownEvents} enrolment events known, ${counts.laterEvents} registered later (left out)`,
    `  rows      ${written.rows} (of ${counts.enrolments} enrolments, ${counts.standing} stood on the peildatum, ${counts.withheld} left out by the agreement)`,
    `  file      ${written.path} (${written.format}, ${written.bytes} bytes)`,
    `  sha256    ${written.sha256}`,
    `  time      ${seconds.toFixed(1)} s (${Math.round(counts.records / Math.max(seconds, 0.001))} records/s), peak RSS ${peakRssMb()} MB`,
  ]);
  await admin.disconnect();
  process.exit(0);
} catch (error) {
  reading.stop();
  writing?.stop();
  if (error instanceof SnapshotError) tool.fail(2, error.message);
  tool.fail(1, `failed: ${(error as Error).message}`);
}
