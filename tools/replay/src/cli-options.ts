/** The replay CLI's command line, checked before anything connects; a mistake gives the usage, not a stack. */

import { parseArgs } from 'node:util';
import { parseTimestamp, UsageError } from './context.ts';

export const USAGE = `usage: npm run replay -- <command> [options]

  export       --topic T --out file.jsonl [--decode] [--allow-personal-data] [--rekey]
  import       --file file.jsonl --topic T [--brokers host:port] [--allow-personal-data] [--rekey]
               [--schema-file x.avsc --subject S]   (only for lines exported with --decode from Avro)
  replay       --from-topic A --to-topic B [--from-offset N | --from-timestamp ISO] [--allow-personal-data] [--rekey]
  reset-group  --group G --topic T (--to-earliest | --to-timestamp ISO) [--dry-run]

  Every command takes --brokers host:port[,host:port] (default KAFKA_BROKERS); the registry is SCHEMA_REGISTRY_URL.
  Safe by default: export and replay refuse a topic whose class in the topic catalogue holds person data (raw,
  canonical, dead-letter, recipient, feed, and any topic the catalogue does not know); import refuses a file whose
  records carry person identifiers. Unless --allow-personal-data, or --rekey: throwaway pseudonyms for this run,
  inside bytes too, and the output checked for every person of the source before anything is written.`;

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
  | { command: 'reset-group'; group: string; topic: string; toEarliest: boolean; toTimestamp?: number; dryRun: boolean }
  | { command: 'help' };

export type ParsedCommand = Command & { brokers?: string[] };

const OPTIONS = {
  topic: { type: 'string' },
  out: { type: 'string' },
  file: { type: 'string' },
  'from-topic': { type: 'string' },
  'to-topic': { type: 'string' },
  'from-offset': { type: 'string' },
  'from-timestamp': { type: 'string' },
  group: { type: 'string' },
  'to-earliest': { type: 'boolean' },
  'to-timestamp': { type: 'string' },
  'dry-run': { type: 'boolean' },
  decode: { type: 'boolean' },
  rekey: { type: 'boolean' },
  'allow-personal-data': { type: 'boolean' },
  'schema-file': { type: 'string' },
  subject: { type: 'string' },
  brokers: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

const ALLOWED: Record<string, string[]> = {
  export: ['topic', 'out', 'decode', 'allow-personal-data', 'rekey'],
  import: ['file', 'topic', 'allow-personal-data', 'rekey', 'schema-file', 'subject'],
  replay: ['from-topic', 'to-topic', 'from-offset', 'from-timestamp', 'allow-personal-data', 'rekey'],
  'reset-group': ['group', 'topic', 'to-earliest', 'to-timestamp', 'dry-run'],
};

export function parseCommand(argv: readonly string[]): ParsedCommand {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return { command: 'help' };
  const allowed = ALLOWED[command];
  if (!allowed) throw new UsageError(`unknown command ${command}`);
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: rest, strict: true, allowPositionals: false, options: OPTIONS }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return { command: 'help' };
  for (const name of Object.keys(values)) {
    if (name !== 'brokers' && !allowed.includes(name)) throw new UsageError(`${command} does not take --${name}`);
  }
  const str = (name: string): string | undefined => values[name] as string | undefined;
  const flag = (name: string): boolean => values[name] === true;
  const required = (name: string): string => {
    const v = str(name);
    if (v === undefined || v === '') throw new UsageError(`${command} needs --${name}`);
    return v;
  };
  const brokersRaw = str('brokers');
  const brokers =
    brokersRaw === undefined
      ? {}
      : {
          brokers: brokersRaw
            .split(',')
            .map((b) => b.trim())
            .filter((b) => b !== ''),
        };
  const optional = <K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> =>
    (value === undefined ? {} : { [key]: value }) as Partial<Record<K, V>>;

  switch (command) {
    case 'export':
      return {
        command,
        topic: required('topic'),
        out: required('out'),
        decode: flag('decode'),
        allowPersonalData: flag('allow-personal-data'),
        rekey: flag('rekey'),
        ...brokers,
      };
    case 'import':
      return {
        command,
        file: required('file'),
        topic: required('topic'),
        allowPersonalData: flag('allow-personal-data'),
        rekey: flag('rekey'),
        ...optional('schemaFile', str('schema-file')),
        ...optional('subject', str('subject')),
        ...brokers,
      };
    case 'replay': {
      const offset = str('from-offset');
      const timestamp = str('from-timestamp');
      if (offset !== undefined && timestamp !== undefined) throw new UsageError('give --from-offset or --from-timestamp, not both');
      if (offset !== undefined && !/^\d+$/.test(offset)) throw new UsageError('--from-offset must be a whole number >= 0');
      return {
        command,
        fromTopic: required('from-topic'),
        toTopic: required('to-topic'),
        ...optional('fromOffset', offset === undefined ? undefined : BigInt(offset)),
        ...optional('fromTimestamp', timestamp === undefined ? undefined : parseTimestamp('from-timestamp', timestamp)),
        allowPersonalData: flag('allow-personal-data'),
        rekey: flag('rekey'),
        ...brokers,
      };
    }
    default: {
      const timestamp = str('to-timestamp');
      if (flag('to-earliest') === (timestamp !== undefined))
        throw new UsageError('reset-group needs exactly one of --to-earliest and --to-timestamp');
      return {
        command: 'reset-group',
        group: required('group'),
        topic: required('topic'),
        toEarliest: flag('to-earliest'),
        ...optional('toTimestamp', timestamp === undefined ? undefined : parseTimestamp('to-timestamp', timestamp)),
        dryRun: flag('dry-run'),
        ...brokers,
      };
    }
  }
}
