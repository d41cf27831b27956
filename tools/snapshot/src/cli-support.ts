/**
 * What the snapshot package's commands (snapshot, deliveries, analytics:export) start the same way: each
 * mistake one line on stderr and an exit code (2 usage, 78 configuration: agreements, keys), never a stack
 * trace; a Kafka client that logs only warnings, to stderr (stdout is the summary's); progress while reading
 * a topic to its end. The work itself is in the modules the commands call.
 */

import { parseArgs } from 'node:util';
import { type Agreement, AgreementError, KeyFileError, loadAgreements } from '@register-feeds/pseudonymise';
import { parseIsoDateTime } from '@register-feeds/register-model';
import { createKafkajsBus, createLogger, type KafkaAuthSettings, kafkaAuthOrExit, type Progress } from '@register-feeds/service-kit';
import type { SnapshotFormat } from './snapshot.ts';

type KafkajsBus = ReturnType<typeof createKafkajsBus>;

/** A command line mistake: the command says it with its usage, exit code 2. */
export class UsageError extends Error {}

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

/**
 * The options of a parseArgs command line, or 'help' for --help; a mistake is a UsageError. On its first
 * call `parse` gets the values; the commands check what is theirs to check.
 */
export function parseFlags<T>(
  argv: readonly string[],
  options: NonNullable<Parameters<typeof parseArgs>[0]>['options'],
  parse: (values: Record<string, string | boolean | undefined>) => T,
): T | 'help' {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
    }) as { values: Record<string, string | boolean | undefined> });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  return parse(values);
}

/** The parsed options, or the usage on stdout and exit 0 for --help, or the mistake and the usage and exit 2. */
export function optionsOrExit<T>(tool: CliTool, usage: string, parse: () => T | 'help'): T {
  try {
    const parsed = parse();
    if (parsed === 'help') {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    }
    return parsed;
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return tool.fail(2, `${error.message}\n${usage}`);
  }
}

/** An ISO instant with offset given as --<flag>, in epoch milliseconds. */
export function instantFlag(flag: string, text: string, example: string): number {
  const parsed = parseIsoDateTime(text);
  if (!parsed.ok) throw new UsageError(`--${flag} ${JSON.stringify(text)} is not an ISO instant with offset, e.g. ${example}`);
  return parsed.epochMillis;
}

/** --format: parquet (the default) or jsonl. */
export function formatFlag(value: string | boolean | undefined): SnapshotFormat {
  const format = (value as string | undefined) ?? 'parquet';
  if (format !== 'parquet' && format !== 'jsonl') throw new UsageError(`--format ${JSON.stringify(format)}: parquet or jsonl`);
  return format;
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
