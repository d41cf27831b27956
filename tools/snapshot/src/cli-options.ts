/**
 * The command lines of snapshot, deliveries and analytics:export (commander, through service-kit's house
 * rules), checked before anything connects: --help is generated from the definitions below and written to
 * stdout with exit code 0; a mistake is one line on stderr and exit code 2 (both as CliExit, so tests see
 * them; the entry points end the process with commandLineOrExit).
 */

import { type CliOutput, commaList, createCli, nonEmpty, Option, parseCli, usageError } from '@register-feeds/service-kit';
import { existingDate, formatOption, isoInstant } from './cli-support.ts';
import type { SnapshotFormat } from './snapshot.ts';

export interface CommandLineContext {
  /** where help and mistakes go (default stdout and stderr) */
  output?: CliOutput;
  /** the instant when none is given (default Date.now) */
  clock?: () => number;
}

const optional = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

const brokersOption = () => new Option('--brokers <host:port,...>', 'Kafka bootstrap brokers (default KAFKA_BROKERS)').argParser(commaList);

/** The program, with the output a test collects. */
const program = (name: string, description: string, output: CliOutput | undefined) =>
  createCli({ name, usage: `npm run ${name} --`, description, ...(output ? { output } : {}) });

// ---- npm run snapshot ----

export interface SnapshotCommand {
  recipient: string;
  peildatum: string;
  knownAt: Date;
  out: string;
  format: SnapshotFormat;
  topic?: string;
  brokers?: string[];
}

/** The instant as it goes into a file name: 20261115T000000Z. */
const fileStamp = (at: Date) =>
  at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');

export function snapshotCommandLine(argv: readonly string[], { output, clock = Date.now }: CommandLineContext = {}): SnapshotCommand {
  const cli = program(
    'snapshot',
    "A recipient's peildatum snapshot to a file: the enrolments that stood on the peildatum (valid time) as the register " +
      'knew them at --known-at (knowledge time: changes it recorded later do not count), each as the recipient’s agreement ' +
      'shapes it in its stream (same pseudonyms and record ids). Reads the canonical history to its end.',
    output,
  )
    .requiredOption('--recipient <recipient>', 'whose agreement shapes the rows', nonEmpty)
    .requiredOption('--peildatum <YYYY-MM-DD>', 'the day the enrolments stood on', existingDate)
    .addOption(
      new Option('--known-at <instant>', 'as the register knew it then, an ISO instant with offset (default now)').argParser(
        isoInstant('2026-11-15T00:00:00Z'),
      ),
    )
    .option('--out <file>', 'the file to write (default snapshot-<recipient>-<peildatum>-known-<instant>.<format> here)', nonEmpty)
    .addOption(formatOption())
    .option('--topic <topic>', 'the canonical history to read (default EVENTS_TOPIC)', nonEmpty)
    .addOption(brokersOption())
    .addHelpText(
      'after',
      `
Agreements from AGREEMENTS_DIR, keys from PSEUDONYM_KEYS_FILE, registry SCHEMA_REGISTRY_URL.
Progress goes to stderr, the summary (counts, sha256, time, peak RSS) to stdout.
Exit codes: 0 done, 1 failed, 2 usage or a snapshot that cannot be made as asked (no key, agreement not in
force), 78 configuration.`,
    );
  parseCli(cli, argv);
  const o = cli.opts();
  const knownAt = new Date(o.knownAt ?? clock());
  return {
    recipient: o.recipient,
    peildatum: o.peildatum,
    knownAt,
    out: o.out ?? `snapshot-${o.recipient}-${o.peildatum}-known-${fileStamp(knownAt)}.${o.format}`,
    format: o.format,
    ...optional('topic', o.topic),
    ...optional('brokers', o.brokers),
  };
}

// ---- npm run deliveries ----

export interface DeliveriesCommand {
  mode: 'due' | 'run';
  now: number;
  out?: string;
  format: SnapshotFormat;
  topics: boolean;
  brokers?: string[];
}

/**
 * Two flags rather than subcommands: cron lines and the README call `npm run deliveries -- --due` and
 * `-- --run`, and the two share every option but the ones only --run takes.
 */
export function deliveriesCommandLine(argv: readonly string[], { output, clock = Date.now }: CommandLineContext = {}): DeliveriesCommand {
  const runOnly = ['out', 'format', 'topics'];
  const cli = program(
    'deliveries',
    'The snapshot deliveries the agreements’ moments make due (AGREEMENTS_DIR, their `snapshots`): --due lists those ' +
      'not yet delivered, --run makes them, each once. A command a cron calls, e.g. hourly.',
    output,
  )
    .addOption(new Option('--due', 'list the deliveries due at --now that are not yet delivered').conflicts(['run', ...runOnly]))
    .addOption(
      new Option(
        '--run',
        'make them, oldest first, each once: the file <out>/<recipient>/<peildatum>/<delivery date>.<format> and its ' +
          'audit entry on SNAPSHOT_AUDIT_TOPIC (the ledger: what is there is never delivered again)',
      ),
    )
    .addOption(
      new Option('--now <instant>', 'the moment to judge by, an ISO instant with offset (default now)').argParser(
        isoInstant('2026-11-15T06:00:00Z'),
      ),
    )
    .option('--out <dir>', '--run: directory of the deliveries (default SNAPSHOT_DELIVERIES_DIR)', nonEmpty)
    .addOption(formatOption('--run: the files’ format'))
    .option('--topics', '--run: also write each snapshot’s rows to its own topic, snapshot.<recipient>.<peildatum>.<delivery date>')
    .addOption(brokersOption())
    .addHelpText(
      'after',
      `
Keys from PSEUDONYM_KEYS_FILE (needed for --run), the history from EVENTS_TOPIC, the registry from SCHEMA_REGISTRY_URL.
Progress goes to stderr, the list and the outcomes to stdout (one line per delivery, no person data).
Exit codes: 0 done, 1 a delivery failed (the others were still made), 2 usage, 78 configuration.`,
    );
  parseCli(cli, argv);
  const o = cli.opts();
  if (o.due !== true && o.run !== true) usageError(cli, 'give either --due or --run');
  return {
    mode: o.due === true ? 'due' : 'run',
    now: o.now ?? clock(),
    format: o.format,
    topics: o.topics === true,
    ...optional('out', o.out),
    ...optional('brokers', o.brokers),
  };
}

// ---- npm run analytics:export ----

export interface ExportCommand {
  topic: string;
  out: string;
  recipient?: string;
  brokers?: string[];
  memoryLimit?: string;
  quiet: boolean;
}

export function exportCommandLine(argv: readonly string[], { output }: CommandLineContext = {}): ExportCommand {
  const cli = program(
    'analytics:export',
    'Exports a recipient topic (recipient.*) to a Parquet file to query with SQL: every record to the end of the topic as ' +
      'it was when the export began, one column per field (sub-records as <group>_<field>), in partition and offset order. ' +
      'Refuses any other topic. Registry SCHEMA_REGISTRY_URL, brokers KAFKA_BROKERS, agreements AGREEMENTS_DIR.',
    output,
  )
    .requiredOption('--topic <topic>', 'the recipient topic to export', nonEmpty)
    .requiredOption('--out <file>', 'the Parquet file to write (replaced whole when done)', nonEmpty)
    .option(
      '--recipient <id>',
      "whose records the topic holds: needed for a topic not named recipient.* (a copy), whose schema must then be this recipient's",
      nonEmpty,
    )
    .option('--memory-limit <size>', "DuckDB's memory limit while writing, e.g. 512MB (default 128MB)", nonEmpty)
    .addOption(brokersOption())
    .option('--quiet', 'no progress, only the summary')
    .addHelpText(
      'after',
      `
Progress goes to stderr, the summary (rows, sha256, time, peak RSS) to stdout.
Exit codes: 0 done, 1 failed, 2 usage, 3 refused (a topic that is not a recipient's), 78 configuration.`,
    );
  parseCli(cli, argv);
  const o = cli.opts();
  return {
    topic: o.topic,
    out: o.out,
    ...optional('recipient', o.recipient),
    ...optional('brokers', o.brokers),
    ...optional('memoryLimit', o.memoryLimit),
    quiet: o.quiet === true,
  };
}
