/** The generator's command line, checked before anything starts; a mistake gives the usage, not a stack. */

import { parseArgs } from 'node:util';
import { parseIsoDate } from '@register-feeds/register-model';
import { MAX_SEED } from './generate.ts';

export const USAGE = `usage: npm run generate -- [--seed N] [--total N] [--persons N] [--active N] [--start YYYY-MM-DD]
                        [--out file.jsonl | --topic register.raw.v1] [--rate events/s]

  --seed     seed of the generator, 0 to 99999999; the same seed gives the same events (default 1)
  --total    events to generate (default: until every person's life cycle has ended)
  --persons  distinct persons (default: as many as --total needs; 1000 when neither is given)
  --active   most persons in the middle of their life cycle at once: the memory bound (default 20000);
             more active persons make the stream denser in simulated time
  --start    day the first person turns up (default 2025-08-01)
  --out      write JSON Lines to this file (default: stdout)
  --topic    send to this Kafka topic instead (KAFKA_BROKERS, KAFKA_CLIENT_ID), keyed per person
  --rate     at most this many events per second`;

export interface CliOptions {
  seed: number;
  total?: number;
  persons?: number;
  active?: number;
  start?: string;
  out?: string;
  topic?: string;
  rate?: number;
  help: boolean;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

function integer(name: string, raw: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(
      max === Number.MAX_SAFE_INTEGER
        ? `--${name} must be a whole number >= ${min}`
        : `--${name} must be a whole number from ${min} to ${max}`,
    );
  }
  return value;
}

export function parseCliOptions(argv: readonly string[]): CliOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        seed: { type: 'string' },
        total: { type: 'string' },
        persons: { type: 'string' },
        active: { type: 'string' },
        start: { type: 'string' },
        out: { type: 'string' },
        topic: { type: 'string' },
        rate: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const text = (name: string) => values[name] as string | undefined;
  if (text('out') !== undefined && text('topic') !== undefined) throw new UsageError('give --out or --topic, not both');
  const start = text('start');
  if (start !== undefined && !parseIsoDate(start).ok) throw new UsageError('--start must be an existing date, YYYY-MM-DD');
  // at most eight digits: the seed is part of every eventId, and ingest refuses nine digits in a row there
  const options: CliOptions = { seed: integer('seed', text('seed'), 0, MAX_SEED) ?? 1, help: values.help === true };
  const total = integer('total', text('total'), 1);
  const persons = integer('persons', text('persons'), 1);
  const active = integer('active', text('active'), 1);
  const rate = integer('rate', text('rate'), 1);
  if (total !== undefined) options.total = total;
  if (persons !== undefined) options.persons = persons;
  if (active !== undefined) options.active = active;
  if (start !== undefined) options.start = start;
  if (text('out') !== undefined) options.out = text('out');
  if (text('topic') !== undefined) options.topic = text('topic');
  if (rate !== undefined) options.rate = rate;
  return options;
}
