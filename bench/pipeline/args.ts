// The command line of bench:pipeline, parsed with node:util parseArgs and checked once (pure, unit-tested).
import { parseArgs } from 'node:util';

export const USAGE = `npm run bench:pipeline -- [--events 100000] [--rates 50,1000] [--seconds 20]
  [--commit-interval 0,20,100] [--service-env KEY=VALUE ...] [--skip-broker] [--skip-throughput] [--skip-latency]
  [--perf-records 500000] [--partitions 6] [--seed 7]`;

export interface BenchOptions {
  events: number;
  rates: number[];
  seconds: number;
  /** EDGE_COMMIT_INTERVAL_MS values to run the pipeline at; empty: once, with the services' default */
  commitIntervals: number[];
  serviceEnv: Record<string, string>;
  skipBroker: boolean;
  /** no client passthrough and no end-to-end run (phases 2 and 3) */
  skipThroughput: boolean;
  skipLatency: boolean;
  perfRecords: number;
  partitions: number;
  seed: number;
}

function numbers(name: string, text: string, min: number): number[] {
  const values = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map(Number);
  if (values.some((n) => !Number.isInteger(n) || n < min))
    throw new Error(`--${name}: expected whole numbers ≥ ${min}, comma-separated: ${text}`);
  return values;
}

function one(name: string, text: string, min: number): number {
  const n = Number(text.trim());
  if (text.trim() === '' || !Number.isInteger(n) || n < min) throw new Error(`--${name}: expected one whole number ≥ ${min}: ${text}`);
  return n;
}

export function parseBenchArgs(args: string[]): BenchOptions {
  const { values } = parseArgs({
    args,
    options: {
      events: { type: 'string', default: '100000' },
      rates: { type: 'string', default: '50,1000' },
      seconds: { type: 'string', default: '20' },
      'commit-interval': { type: 'string', default: '' },
      'service-env': { type: 'string', multiple: true, default: [] },
      'skip-broker': { type: 'boolean', default: false },
      'skip-throughput': { type: 'boolean', default: false },
      'skip-latency': { type: 'boolean', default: false },
      'perf-records': { type: 'string', default: '500000' },
      partitions: { type: 'string', default: '6' },
      seed: { type: 'string', default: '7' },
    },
    strict: true,
    allowPositionals: false,
  });
  const serviceEnv: Record<string, string> = {};
  for (const pair of values['service-env']) {
    const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(pair);
    if (!match) throw new Error(`--service-env: expected KEY=VALUE with an upper-case KEY: ${pair}`);
    serviceEnv[match[1] as string] = match[2] as string;
  }
  const rates = numbers('rates', values.rates, 1);
  return {
    events: one('events', values.events, 1),
    rates,
    seconds: one('seconds', values.seconds, 1),
    commitIntervals: numbers('commit-interval', values['commit-interval'], 0),
    serviceEnv,
    skipBroker: values['skip-broker'],
    skipThroughput: values['skip-throughput'],
    skipLatency: values['skip-latency'] || rates.length === 0,
    perfRecords: one('perf-records', values['perf-records'], 1000),
    partitions: one('partitions', values.partitions, 1),
    seed: one('seed', values.seed, 0),
  };
}
