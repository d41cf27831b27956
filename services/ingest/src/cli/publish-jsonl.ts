// Publishes a JSON Lines file of raw register events to the raw topic, one record per line, unvalidated
// (ingest validates: bad lines end in its dead-letter topic). Keyed by person so a person's events stay
// in order. Progress on stderr during long files (service-kit's createProgress), a summary at the end.
//
//   npm run publish -- <file.jsonl> [--topic register.raw.v1] [--quiet]
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { rawPersonKey } from '@register-feeds/contracts';
import {
  createCli,
  createKafkajsBus,
  createLogger,
  createProgress,
  kafkaAuthOrExit,
  loadConfigOrExit,
  nonEmpty,
  type OutgoingMessage,
  parseOrExit,
} from '@register-feeds/service-kit';
import { settings } from '../config.ts';

const BATCH = 500;

let file = '';
const program = createCli({
  name: 'publish',
  usage: 'npm run publish --',
  description: 'Publishes a JSON Lines file of raw register events to the raw topic, keyed per person, unvalidated (ingest validates).',
})
  .argument('<file.jsonl>', 'the raw events, one JSON object a line')
  .option('--topic <topic>', 'the raw topic (default RAW_TOPIC, register.raw.v1)', nonEmpty)
  .option('-q, --quiet', 'no progress on stderr')
  .action((path) => {
    file = path;
  });
parseOrExit(program);
const options = program.opts();

// the register's side of the raw topic: it needs ingest's topics, never ingest's partition key
const { partitionKey: _partitionKey, ...publishSettings } = settings;
const config = loadConfigOrExit('publish', publishSettings);
const topic = options.topic ?? config.rawTopic;
const size = await stat(file).then(
  (s) => s.size,
  () => {
    process.stderr.write(`publish: cannot read ${file}\n`);
    process.exit(2);
  },
);
const logger = createLogger({ service: 'publish', level: 'warn', destination: process.stderr as never });
const bus = createKafkajsBus({
  brokers: config.kafkaBrokers,
  clientId: `${config.kafkaClientId}-publish`,
  logger,
  auth: kafkaAuthOrExit('publish', config),
});
const producer = await bus.producer();

// the file's size is known, its lines are not: the total is estimated from the bytes read so far
const progress = createProgress({ label: 'publish', quiet: options.quiet === true });
let sent = 0;
let skipped = 0;
let bytes = 0;
const pending: OutgoingMessage[] = [];
const flush = async () => {
  await producer.send(pending.splice(0));
  if (bytes > 0) progress.setTotal(Math.max(sent, Math.round((sent * size) / bytes)));
  progress.update(sent);
};

const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
for await (const line of lines) {
  bytes += Buffer.byteLength(line) + 1;
  if (line.trim() === '') {
    skipped += 1;
    continue;
  }
  pending.push({ topic, key: rawPersonKey(line), value: line });
  sent += 1;
  if (pending.length >= BATCH) await flush();
}
await flush();
await producer.disconnect();
const { seconds } = progress.stop(sent);
process.stdout.write(
  `publish: sent ${sent} records from ${file} to ${topic} in ${seconds.toFixed(1)}s${skipped ? ` (${skipped} empty lines skipped)` : ''}\n`,
);
