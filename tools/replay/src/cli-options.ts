/**
 * The replay CLI's command line (commander, through service-kit's house rules), checked before anything
 * connects: a mistake is one line and exit code 2, --help is generated from the definitions below.
 */

import {
  bigWholeNumber,
  type CliOutput,
  commaList,
  createCli,
  isoTimestamp,
  nonEmpty,
  Option,
  parseCli,
  usageError,
} from '@register-feeds/service-kit';

const SAFETY = `
Every command takes --brokers host:port[,host:port] (default KAFKA_BROKERS); the registry is SCHEMA_REGISTRY_URL.
Safe by default: export and replay refuse a topic whose class in the topic catalogue holds person data (raw,
canonical, dead-letter, recipient, feed, and any topic the catalogue does not know); import refuses a file whose
records carry person identifiers. Unless --allow-personal-data, or --rekey: throwaway pseudonyms for this run,
inside bytes too, and the output checked for every person of the source before anything is written.
Exit codes: 0 done, 1 failed, 2 usage, 3 refused. Progress goes to stderr (--quiet: none).`;

export type Command =
  | { command: 'export'; topic: string; out: string; decode: boolean; allowPersonalData: boolean; rekey: boolean }
  | { command: 'import'; file: string; topic: string; allowPersonalData: boolean; rekey: boolean; schemaFile?: string; subject?: string }
  | {
      command: 'replay';
      fromTopic: string;
      toTopic: string;
      fromOffset?: bigint;
      fromTimestamp?: number;
      allowPersonalData: boolean;
      rekey: boolean;
    }
  | { command: 'reset-group'; group: string; topic: string; toEarliest: boolean; toTimestamp?: number; dryRun: boolean };

export type ParsedCommand = Command & { brokers?: string[]; quiet?: boolean };

const optional = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> =>
  (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

const personDataOptions = {
  allow: ['--allow-personal-data', 'copy person data as it is (the topic or file holds it; you answer for where it goes)'],
  rekey: ['--rekey', 'throwaway pseudonyms for this run, the output checked for every person of the source'],
} as const;

/** The program, its subcommands and their options; `onParsed` gets what was asked. */
export function replayProgram(onParsed: (parsed: ParsedCommand) => void, output?: CliOutput) {
  const program = createCli({
    name: 'replay',
    usage: 'npm run replay --',
    description: 'Export a topic to JSON Lines, import such a file, replay one topic into another, reset a consumer group.',
    ...(output ? { output } : {}),
  })
    .option('--brokers <host:port,...>', 'Kafka bootstrap brokers (default KAFKA_BROKERS)', commaList)
    .option('-q, --quiet', 'no progress and no summary on stderr')
    .addHelpText('after', SAFETY);
  const globals = () => {
    const { brokers, quiet } = program.opts();
    return { ...optional('brokers', brokers), ...(quiet ? { quiet } : {}) };
  };

  program
    .command('export')
    .description('a topic, from its beginning to its end as of the start, into a JSON Lines file')
    .requiredOption('--topic <topic>', 'the topic to read', nonEmpty)
    .requiredOption('--out <file>', 'the JSON Lines file to write (renamed into place when complete)', nonEmpty)
    .option('--decode', 'values as JSON: Avro through the registry, JSON parsed')
    .option(...personDataOptions.allow)
    .option(...personDataOptions.rekey)
    .action((o) => {
      onParsed({
        command: 'export',
        topic: o.topic,
        out: o.out,
        decode: o.decode === true,
        allowPersonalData: o.allowPersonalData === true,
        rekey: o.rekey === true,
        ...globals(),
      });
    });

  program
    .command('import')
    .description('a JSON Lines export into a topic: the same partitions, keys, headers and order per partition')
    .requiredOption('--file <file>', 'the JSON Lines file to read', nonEmpty)
    .requiredOption('--topic <topic>', 'the topic to write (made with the partitions the file needs)', nonEmpty)
    .option(...personDataOptions.allow)
    .option(...personDataOptions.rekey)
    .option('--schema-file <x.avsc>', 'for lines exported with --decode from Avro: the schema to encode them with', nonEmpty)
    .option('--subject <subject>', 'the subject to register that schema under (default <topic>-value)', nonEmpty)
    .action((o) => {
      onParsed({
        command: 'import',
        file: o.file,
        topic: o.topic,
        allowPersonalData: o.allowPersonalData === true,
        rekey: o.rekey === true,
        ...optional('schemaFile', o.schemaFile),
        ...optional('subject', o.subject),
        ...globals(),
      });
    });

  program
    .command('replay')
    .description("copies a topic's records into another topic, each to the same partition, keys, headers and order kept")
    .requiredOption('--from-topic <topic>', 'the topic to read', nonEmpty)
    .requiredOption('--to-topic <topic>', 'the topic to write', nonEmpty)
    .addOption(
      new Option('--from-offset <n>', 'start at this offset on every partition').argParser(bigWholeNumber).conflicts('fromTimestamp'),
    )
    .addOption(new Option('--from-timestamp <iso>', 'start at the first record at or after this time').argParser(isoTimestamp))
    .option(...personDataOptions.allow)
    .option(...personDataOptions.rekey)
    .action((o) => {
      onParsed({
        command: 'replay',
        fromTopic: o.fromTopic,
        toTopic: o.toTopic,
        ...optional('fromOffset', o.fromOffset),
        ...optional('fromTimestamp', o.fromTimestamp),
        allowPersonalData: o.allowPersonalData === true,
        rekey: o.rekey === true,
        ...globals(),
      });
    });

  const resetGroup = program
    .command('reset-group')
    .description("moves a consumer group's committed offsets on one topic (only while the group has no members)")
    .requiredOption('--group <group>', 'the consumer group', nonEmpty)
    .requiredOption('--topic <topic>', 'the topic', nonEmpty)
    .addOption(new Option('--to-earliest', 'to the earliest records').conflicts('toTimestamp'))
    .addOption(new Option('--to-timestamp <iso>', 'to the first records at or after this time').argParser(isoTimestamp))
    .option('--dry-run', 'show the committed and the new offsets, change nothing');
  resetGroup.action((o) => {
    if (o.toEarliest !== true && o.toTimestamp === undefined) {
      usageError(resetGroup, 'reset-group needs exactly one of --to-earliest and --to-timestamp');
    }
    onParsed({
      command: 'reset-group',
      group: o.group,
      topic: o.topic,
      toEarliest: o.toEarliest === true,
      ...optional('toTimestamp', o.toTimestamp),
      dryRun: o.dryRun === true,
      ...globals(),
    });
  });
  return program;
}

/** What the command line asks for; CliExit (help shown, or a usage error written) otherwise. */
export function parseCommand(argv: readonly string[], output?: CliOutput): ParsedCommand {
  let parsed: ParsedCommand | undefined;
  const program = replayProgram((p) => {
    parsed = p;
  }, output);
  // no command at all: the help, as `help` gives it
  parseCli(program, argv.length === 0 ? ['help'] : argv);
  if (parsed === undefined) throw new Error('replay: no command was parsed'); // unreachable: every command has an action
  return parsed;
}
