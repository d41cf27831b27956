/**
 * What the snapshot package's commands (snapshot, deliveries, analytics:export) start the same way: each
 * mistake one line on stderr and an exit code (2 usage, 78 configuration: agreements, keys), never a stack
 * trace; the value parsers of their options (their command lines are in cli-options.ts, on service-kit's
 * house rules); a Kafka client that logs only warnings, to stderr (stdout is the summary's); progress while
 * reading a topic to its end. The work itself is in the modules the commands call.
 */

import { type Agreement, AgreementError, KeyFileError, loadAgreements } from '@register-feeds/pseudonymise';
import { parseIsoDate, parseIsoDateTime } from '@register-feeds/register-model';
import {
  CliExit,
  createKafkajsBus,
  createLogger,
  InvalidArgumentError,
  type KafkaAuthSettings,
  kafkaAuthOrExit,
  Option,
  type Progress,
} from '@register-feeds/service-kit';
import type { SnapshotFormat } from './snapshot.ts';

const SNAPSHOT_FORMATS = ['parquet', 'jsonl'] as const satisfies readonly SnapshotFormat[];

type KafkajsBus = ReturnType<typeof createKafkajsBus>;

export interface CliTool {
  /** `<name>: message` on stderr, and exit with the code. */
  fail(code: number, message: string): never;
  /** The agreements, or exit 78 on one that is not right. */
  loadAgreements(dir: string): Agreement[];
  /** The recipient's agreement, or exit 2 naming the recipients there are. */
  agreementOf(agreements: readonly Agreement[], recipient: string): Agreement;
  /** The keys `load` reads, or exit 78 on a key file that is not right. */
  loadKeys<T>(load: () => T): T;
  /** The Kafka client of the command (client id <KAFKA_CLIENT_ID>-<service>), --brokers before KAFKA_BROKERS. */
  createBus(config: KafkaAuthSettings & { kafkaBrokers: string[]; kafkaClientId: string }, brokers?: string[]): KafkajsBus;
  /** The summary on stdout, a line each. */
  printSummary(lines: readonly string[]): void;
}

/** `name` starts its messages ("analytics:export"); `service` names its logger and Kafka client ("analytics-export"). */
export function cliTool(name: string, service: string = name): CliTool {
  const fail = (code: number, message: string): never => {
    process.stderr.write(`${name}: ${message}\n`);
    process.exit(code);
  };
  return {
    fail,
    loadAgreements: (dir) => {
      try {
        return loadAgreements(dir);
      } catch (error) {
        if (error instanceof AgreementError) fail(78, `agreement error: ${error.message}`);
        throw error;
      }
    },
    agreementOf: (agreements, recipient) => {
      const found = agreements.find((a) => a.recipient === recipient);
      if (found === undefined) fail(2, `no agreement for ${recipient}; recipients: ${agreements.map((a) => a.recipient).join(', ')}`);
      return found as Agreement;
    },
    loadKeys: (load) => {
      try {
        return load();
      } catch (error) {
        if (error instanceof KeyFileError) fail(78, error.message);
        throw error;
      }
    },
    createBus: (config, brokers) =>
      createKafkajsBus({
        brokers: brokers ?? config.kafkaBrokers,
        clientId: `${config.kafkaClientId}-${service}`,
        logger: createLogger({ service, level: 'warn', destination: process.stderr as never }),
        auth: kafkaAuthOrExit(name, config),
      }),
    printSummary: (lines) => {
      process.stdout.write([...lines, ''].join('\n'));
    },
  };
}

/** The options a command line asks for, or the process ends: exit 0 after help, 2 after a usage error (written already). */
export function commandLineOrExit<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof CliExit) process.exit(error.exitCode);
    throw error;
  }
}

// ---- value parsers of the commands' options: each throws InvalidArgumentError saying what fits ----

/** An ISO instant with offset (--known-at, --now) in epoch milliseconds: without its offset it would be ambiguous. */
export function isoInstant(example: string): (raw: string) => number {
  return (raw) => {
    const parsed = parseIsoDateTime(raw);
    if (!parsed.ok) throw new InvalidArgumentError(`must be an ISO instant with offset, e.g. ${example}`);
    return parsed.epochMillis;
  };
}

/** A peildatum: a date that exists, YYYY-MM-DD, kept as given. */
export function existingDate(raw: string): string {
  if (!parseIsoDate(raw).ok) throw new InvalidArgumentError('must be an existing date YYYY-MM-DD');
  return raw;
}

/** --format: parquet (the default) or jsonl. */
export function formatOption(description = 'the file format') {
  return new Option('--format <format>', description).choices(SNAPSHOT_FORMATS).default<SnapshotFormat>('parquet');
}

/** A reading's progress callback: the total the first report brings, then the records read. */
export function readingProgress(progress: Progress): (reading: { records: number; total: number }) => void {
  let totalKnown = false;
  return ({ records, total }) => {
    if (!totalKnown) progress.setTotal(total);
    totalKnown = true;
    progress.update(records);
  };
}
