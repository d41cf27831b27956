// Publishes a JSON Lines file of raw register events to the raw topic, one record per line, unvalidated
// (ingest validates: bad lines end in its dead-letter topic). Keyed by person so a person's events stay
// in order. Prints progress on long files and a summary at the end.
//
//   npm run publish -- <file.jsonl> [--topic register.raw.v1]
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { rawPersonKey } from '@register-feeds/contracts';
import { createKafkajsBus, createLogger, kafkaAuthOrExit, loadConfigOrExit, type OutgoingMessage } from '@register-feeds/service-kit';
import { settings } from '../config.ts';

const BATCH = 500;

const { values, positionals } = parseArgs({ allowPositionals: true, options: { topic: { type: 'string' } } });
const file = positionals[0];
if (!file) {
  process.stderr.write('usage: npm run publish -- <file.jsonl> [--topic <raw topic>]\n');
  process.exit(2);
}
// the register's side of the raw topic: it needs ingest's topics, never ingest's partition key
const { partitionKey: _partitionKey, ...publishSettings } = settings;
const config = loadConfigOrExit('publish', publishSettings);
const topic = values.topic ?? config.rawTopic;
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

const started = Date.now();
let sent = 0;
let skipped = 0;
let bytes = 0;
let lastReport = started;
const pending: OutgoingMessage[] = [];
const flush = async () => {
  await producer.send(pending.splice(0));
  const now = Date.now();
  if (process.stderr.isTTY && now - lastReport > 500) {
    lastReport = now;
    const pct = size > 0 ? Math.min(100, (bytes / size) * 100) : 100;
    process.stderr.write(`\rpublish: ${sent} sent (${pct.toFixed(0)}%), ${Math.round(sent / ((now - started) / 1000))}/s   `);
  }
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
const seconds = (Date.now() - started) / 1000;
if (process.stderr.isTTY) process.stderr.write('\n');
process.stdout.write(
  `publish: sent ${sent} records from ${file} to ${topic} in ${seconds.toFixed(1)}s${skipped ? ` (${skipped} empty lines skipped)` : ''}\n`,
);
