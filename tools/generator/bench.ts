// Benchmark of the generator (not a test): generates events, stringifies them and writes them as JSON
// Lines to /dev/null through the same backpressured sink as the CLI, then prints the throughput and
// the peak RSS. Live memory is bounded by the active-person pool, not by the number of events; peak RSS
// is higher than that because V8 lets garbage build up before a major GC when memory is plentiful.
//
//   node tools/generator/bench.ts [--total 1000000] [--active 20000] [--seed 1]
import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { peakRssMb } from '@register-feeds/service-kit';
import { type GeneratorStats, generateRegisterEvents } from './src/index.ts';
import { streamSink } from './src/stream-sink.ts';

const { values } = parseArgs({ options: { total: { type: 'string' }, active: { type: 'string' }, seed: { type: 'string' } } });
const total = Number(values.total ?? 1_000_000);
const maxActivePersons = Number(values.active ?? 20_000);
const seed = Number(values.seed ?? 1);

const sink = streamSink(createWriteStream('/dev/null'), { end: true });
let stats: GeneratorStats | undefined;
let bytes = 0;
let firstOccurredAt = '';
let batch: string[] = [];
const started = performance.now();
for (const event of generateRegisterEvents({
  seed,
  total,
  maxActivePersons,
  onStats: (s) => {
    stats = s;
  },
})) {
  firstOccurredAt ||= event.occurredAt;
  const line = JSON.stringify(event);
  bytes += line.length + 1;
  batch.push(line);
  if (batch.length === 500) {
    await sink.write(batch);
    batch = [];
  }
}
await sink.write(batch);
await sink.close();
const seconds = (performance.now() - started) / 1000;

const report = {
  events: stats?.eventsEmitted,
  persons: stats?.personsEmitted,
  maxActivePersons,
  peakActivePersons: stats?.peakActivePersons,
  simulated: `${firstOccurredAt.slice(0, 10)} .. ${stats?.lastOccurredAt?.slice(0, 10)}`,
  seconds: Number(seconds.toFixed(2)),
  eventsPerSecond: Math.round(total / seconds),
  megabytesPerSecond: Number((bytes / 1e6 / seconds).toFixed(1)),
  peakRssMb: peakRssMb(),
  heapUsedMbAtEnd: Math.round(process.memoryUsage().heapUsed / 1e6),
};
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
