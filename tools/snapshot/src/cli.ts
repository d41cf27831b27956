// A recipient's peildatum snapshot to a file: the enrolments that stood on the peildatum as the register
// knew them at --known-at (default now), shaped by the recipient's agreement like its stream.
//
//   npm run snapshot -- --recipient ocw-minister --peildatum 2026-10-01 --known-at 2026-11-15T00:00:00Z
//
// Progress goes to stderr; the summary (counts, sha256, time, peak RSS) to stdout. Exit codes: 0 done,
// 1 failed, 2 usage or a snapshot that cannot be made as asked (no key, agreement not in force), 78 config.

import { type Agreement, keyFileSource, settings } from '@register-feeds/pseudonymise';
import { commonSettings, createProgress, createSchemaRegistryClient, loadConfigOrExit, peakRssMb } from '@register-feeds/service-kit';
import { cliTool, formatFlag, instantFlag, optionsOrExit, parseFlags, readingProgress, UsageError } from './cli-support.ts';
import { parsePeildatum, SnapshotError, type SnapshotFormat, writeSnapshot } from './snapshot.ts';

const USAGE = `usage: npm run snapshot -- --recipient R --peildatum YYYY-MM-DD [--known-at ISO-instant] [--out file] [--format parquet|jsonl]
                            [--topic T] [--brokers host:port[,host:port]]

  The enrolments that stood on the peildatum (valid time) as the register knew them at --known-at (knowledge
  time: changes it recorded later do not count; default now), each as the recipient's agreement shapes it in its
  stream (same pseudonyms and record ids). Reads the canonical history (--topic, default EVENTS_TOPIC) to its end.
  --out defaults to snapshot-<recipient>-<peildatum>-known-<instant>.<format> in the current directory.
  Agreements from AGREEMENTS_DIR, keys from PSEUDONYM_KEYS_FILE, registry SCHEMA_REGISTRY_URL.`;

interface Options {
  recipient: string;
  peildatum: string;
  knownAt: Date;
  out: string;
  format: SnapshotFormat;
  topic?: string;
  brokers?: string[];
}

function parseOptions(argv: string[]): Options | 'help' {
  return parseFlags(
    argv,
    {
      recipient: { type: 'string' },
      peildatum: { type: 'string' },
      'known-at': { type: 'string' },
      out: { type: 'string' },
      format: { type: 'string' },
      topic: { type: 'string' },
      brokers: { type: 'string' },
    },
    (values) => {
      const recipient = values.recipient as string | undefined;
      const peildatum = values.peildatum as string | undefined;
      if (!recipient) throw new UsageError('--recipient is required');
      if (!peildatum) throw new UsageError('--peildatum is required');
      try {
        parsePeildatum(peildatum);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const knownAtText = values['known-at'] as string | undefined;
      const knownAt = new Date(knownAtText === undefined ? Date.now() : instantFlag('known-at', knownAtText, '2026-11-15T00:00:00Z'));
      const format = formatFlag(values.format);
      const stamp = knownAt
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, 'Z');
      const out = (values.out as string | undefined) ?? `snapshot-${recipient}-${peildatum}-known-${stamp}.${format}`;
      const brokers = values.brokers as string | undefined;
      return {
        recipient,
        peildatum,
        knownAt,
        out,
        format,
        ...(values.topic === undefined ? {} : { topic: values.topic as string }),
        ...(brokers === undefined ? {} : { brokers: brokers.split(',') }),
      };
    },
  );
}

const tool = cliTool('snapshot');
const options = optionsOrExit(tool, USAGE, () => parseOptions(process.argv.slice(2)));

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
