// Generates synthetic register events and writes them as JSON Lines to stdout or a file, or sends them to
// a raw Kafka topic. Progress and a summary go to stderr, so stdout can be piped.
//
//   npm run generate -- --seed 42 --total 100000 [--persons N] [--out file.jsonl | --topic register.raw.v1] [--rate 500]
import { createWriteStream } from 'node:fs';
import { CliExit, createProgress, peakRssMb } from '@register-feeds/service-kit';
import { type CliOptions, parseCliOptions } from './cli-options.ts';
import { type GenerateOptions, generateRegisterEvents } from './generate.ts';
import { kafkaSink } from './kafka-sink.ts';
import { type LineSink, streamSink } from './stream-sink.ts';
import { summaryLine } from './summary.ts';
import { batchSize, createThrottle } from './throttle.ts';

function optionsOrExit(): CliOptions {
  try {
    return parseCliOptions(process.argv.slice(2));
  } catch (error) {
    // help shown (0) or a usage error written (2)
    if (error instanceof CliExit) process.exit(error.exitCode);
    throw error;
  }
}

function openSink(options: CliOptions): Promise<LineSink> | LineSink {
  if (options.topic !== undefined) return kafkaSink(options.topic);
  if (options.out !== undefined) return streamSink(createWriteStream(options.out), { end: true });
  return streamSink(process.stdout, { end: false });
}

const options = optionsOrExit();
const sink = await openSink(options);
let persons = 0;
const generatorOptions: GenerateOptions = {
  seed: options.seed,
  statsEvery: 1000,
  onStats: (stats) => {
    persons = stats.personsEmitted;
  },
};
if (options.total !== undefined) generatorOptions.total = options.total;
if (options.persons !== undefined) generatorOptions.persons = options.persons;
if (options.active !== undefined) generatorOptions.maxActivePersons = options.active;
if (options.start !== undefined) generatorOptions.startDate = options.start;

// Ctrl-C stops after the batch in hand: what was generated is flushed and summarised
let stopping = false;
process.once('SIGINT', () => {
  stopping = true;
});

const progress = createProgress({ label: 'generate', unit: 'events', total: options.total, quiet: options.quiet === true });
const throttle = createThrottle(options.rate);
const size = batchSize(options.rate);
let sent = 0;
let batch: string[] = [];
const flush = async () => {
  await sink.write(batch);
  sent += batch.length;
  batch = [];
  progress.update(sent, { persons });
  await throttle.wait(sent);
};

try {
  for (const event of generateRegisterEvents(generatorOptions)) {
    batch.push(JSON.stringify(event));
    if (batch.length >= size) {
      await flush();
      if (stopping) break;
    }
  }
  await flush();
  await sink.close();
} catch (error) {
  // the reader of a pipe went away (`| head`): not an error of the generator
  if ((error as NodeJS.ErrnoException).code !== 'EPIPE') throw error;
}
const { seconds } = progress.stop(sent);
if (!options.quiet) process.stderr.write(`${summaryLine({ events: sent, persons, seconds, peakRssMb: peakRssMb() })}\n`);
