/**
 * The generator's command line (commander, through service-kit's house rules), checked before anything
 * starts: a mistake is one line and exit code 2, --help is generated from the definitions below.
 */

import { parseIsoDate } from '@register-feeds/register-model';
import { type CliOutput, createCli, InvalidArgumentError, nonEmpty, Option, parseCli, wholeNumber } from '@register-feeds/service-kit';
import { MAX_SEED } from './generate.ts';

export interface CliOptions {
  seed: number;
  total?: number;
  persons?: number;
  active?: number;
  start?: string;
  out?: string;
  topic?: string;
  rate?: number;
  /** no progress and no summary on stderr */
  quiet?: boolean;
}

function existingDate(raw: string): string {
  if (!parseIsoDate(raw).ok) throw new InvalidArgumentError('must be an existing date, YYYY-MM-DD');
  return raw;
}

export function generatorProgram(output?: CliOutput) {
  return (
    createCli({
      name: 'generate',
      usage: 'npm run generate --',
      description:
        'Seeded synthetic register events (the raw contract) as JSON Lines to stdout or a file, or to a raw Kafka topic.\n' +
        'Progress and a summary go to stderr, so stdout can be piped.',
      ...(output ? { output } : {}),
    })
      // at most eight digits: the seed is part of every eventId, and ingest refuses nine digits in a row there
      .option('--seed <n>', 'seed of the generator; the same seed gives the same events', wholeNumber(0, MAX_SEED), 1)
      .option('--total <n>', 'events to generate (default: until every person’s life cycle has ended)', wholeNumber(1))
      .option('--persons <n>', 'distinct persons (default: as many as --total needs; 1000 when neither is given)', wholeNumber(1))
      .option(
        '--active <n>',
        'most persons in the middle of their life cycle at once: the memory bound (default 20000); more make the stream denser in simulated time',
        wholeNumber(1),
      )
      .option('--start <YYYY-MM-DD>', 'day the first person turns up (default 2025-08-01)', existingDate)
      .addOption(new Option('--out <file.jsonl>', 'write JSON Lines to this file (default: stdout)').argParser(nonEmpty).conflicts('topic'))
      .option('--topic <topic>', 'send to this Kafka topic instead (KAFKA_BROKERS, KAFKA_CLIENT_ID), keyed per person', nonEmpty)
      .option('--rate <events/s>', 'at most this many events per second', wholeNumber(1))
      .option('-q, --quiet', 'no progress and no summary on stderr')
  );
}

/** What the command line asks for; CliExit (help shown, or a usage error written) otherwise. */
export function parseCliOptions(argv: readonly string[], output?: CliOutput): CliOptions {
  const program = generatorProgram(output);
  parseCli(program, argv);
  const { seed, quiet, ...rest } = program.opts();
  const options: CliOptions = { seed };
  for (const [name, value] of Object.entries(rest)) if (value !== undefined) Object.assign(options, { [name]: value });
  if (quiet === true) options.quiet = true;
  return options;
}
