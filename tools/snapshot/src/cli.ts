// A recipient's peildatum snapshot to a file: the enrolments that stood on the peildatum as the register
// knew them at --known-at (default now), shaped by the recipient's agreement like its stream.
//
//   npm run snapshot -- --recipient ocw-minister --peildatum 2026-10-01 --known-at 2026-11-15T00:00:00Z
//
// Progress goes to stderr; the summary (counts, sha256, time, peak RSS) to stdout. Exit codes: 0 done,
// 1 failed, 2 usage or a snapshot that cannot be made as asked (no key, agreement not in force), 78 config.

import { parseArgs } from 'node:util';
import { type Agreement, AgreementError, KeyFileError, keyFileSource, loadAgreements, settings } from '@register-feeds/pseudonymise';
import { parseIsoDateTime } from '@register-feeds/register-model';
import {
  commonSettings,
  createKafkajsBus,
  createLogger,
  createProgress,
  createSchemaRegistryClient,
  kafkaAuthOrExit,
  loadConfigOrExit,
  peakRssMb,
} from '@register-feeds/service-kit';
import { parsePeildatum, SnapshotError, type SnapshotFormat, writeSnapshot } from './snapshot.ts';

const USAGE = `usage: npm run snapshot -- --recipient R --peildatum YYYY-MM-DD [--known-at ISO-instant] [--out file] [--format parquet|jsonl]
                            [--topic T] [--brokers host:port[,host:port]]

  The enrolments that stood on the peildatum (valid time) as the register knew them at --known-at (knowledge
  time: changes it recorded later do not count; default now), each as the recipient's agreement shapes it in its
  stream (same pseudonyms and record ids). Reads the canonical history (--topic, default EVENTS_TOPIC) to its end.
  --out defaults to snapshot-<recipient>-<peildatum>-known-<instant>.<format> in the current directory.
  Agreements from AGREEMENTS_DIR, keys from PSEUDONYM_KEYS_FILE, registry SCHEMA_REGISTRY_URL.`;

class UsageError extends Error {}

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
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        recipient: { type: 'string' },
        peildatum: { type: 'string' },
        'known-at': { type: 'string' },
        out: { type: 'string' },
        format: { type: 'string' },
        topic: { type: 'string' },
        brokers: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const recipient = values.recipient as string | undefined;
  const peildatum = values.peildatum as string | undefined;
  if (!recipient) throw new UsageError('--recipient is required');
  if (!peildatum) throw new UsageError('--peildatum is required');
  try {
    parsePeildatum(peildatum);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  let knownAt = new Date();
  const knownAtText = values['known-at'] as string | undefined;
  if (knownAtText !== undefined) {
    const parsed = parseIsoDateTime(knownAtText);
    if (!parsed.ok)
      throw new UsageError(`--known-at ${JSON.stringify(knownAtText)} is not an ISO instant with offset, e.g. 2026-11-15T00:00:00Z`);
    knownAt = new Date(parsed.epochMillis);
  }
  const format = (values.format as string | undefined) ?? 'parquet';
  if (format !== 'parquet' && format !== 'jsonl') throw new UsageError(`--format ${JSON.stringify(format)}: parquet or jsonl`);
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
}

function fail(code: number, message: string): never {
  process.stderr.write(`snapshot: ${message}\n`);
  process.exit(code);
}

let options: Options;
try {
  const parsed = parseOptions(process.argv.slice(2));
  if (parsed === 'help') {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  options = parsed;
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  fail(2, `${error.message}\n${USAGE}`);
}

const config = loadConfigOrExit('snapshot', {
  ...commonSettings,
  eventsTopic: settings.eventsTopic,
  agreementsDir: settings.agreementsDir,
  keysFile: settings.keysFile,
});

let agreement: Agreement;
let agreements: Agreement[];
try {
  agreements = loadAgreements(config.agreementsDir);
} catch (error) {
  if (error instanceof AgreementError) fail(78, `agreement error: ${error.message}`);
  throw error;
}
{
  const found = agreements.find((a) => a.recipient === options.recipient);
  if (found === undefined) fail(2, `no agreement for ${options.recipient}; recipients: ${agreements.map((a) => a.recipient).join(', ')}`);
  agreement = found;
}
let key: ReturnType<ReturnType<ReturnType<typeof keyFileSource>['current']>['keyFor']>;
try {
  key = keyFileSource({ path: config.keysFile, agreements }).current().keyFor(agreement.recipient);
} catch (error) {
  if (error instanceof KeyFileError) fail(78, error.message);
  throw error;
}

const started = performance.now();
const logger = createLogger({ service: 'snapshot', level: 'warn', destination: process.stderr as never });
const bus = createKafkajsBus({
  brokers: options.brokers ?? config.kafkaBrokers,
  clientId: `${config.kafkaClientId}-snapshot`,
  logger,
  auth: kafkaAuthOrExit('snapshot', config),
});
const registry = createSchemaRegistryClient({ url: config.schemaRegistryUrl });
const admin = await bus.admin();
const reading = createProgress({ label: 'snapshot: reading the history', unit: 'records' });
let writing: ReturnType<typeof createProgress> | undefined;
let totalKnown = false;

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
    onProgress: ({ records, total }) => {
      if (!totalKnown) reading.setTotal(total);
      totalKnown = true;
      reading.update(records);
    },
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
  process.stdout.write(
    [
      `snapshot of ${agreement.recipient}: peildatum ${options.peildatum}, as known at ${knownAt}`,
      `  history   ${historyTopic}: ${counts.records} records read (${counts.undecodable} undecodable, skipped), ${counts.knownEvents} enrolment events known, ${counts.laterEvents} registered later (left out)`,
      `  rows      ${written.rows} (of ${counts.enrolments} enrolments, ${counts.standing} stood on the peildatum, ${counts.withheld} left out by the agreement)`,
      `  file      ${written.path} (${written.format}, ${written.bytes} bytes)`,
      `  sha256    ${written.sha256}`,
      `  time      ${seconds.toFixed(1)} s (${Math.round(counts.records / Math.max(seconds, 0.001))} records/s), peak RSS ${peakRssMb()} MB`,
      '',
    ].join('\n'),
  );
  await admin.disconnect();
  process.exit(0);
} catch (error) {
  reading.stop();
  writing?.stop();
  if (error instanceof SnapshotError) fail(2, error.message);
  fail(1, `failed: ${(error as Error).message}`);
}
