// Prints the checksum of a projection as its compacted feed holds it, so two builds (e.g. before and
// after a rebuild from scratch) can be compared. Reads the feed to its end; changes nothing.
//   npm run projection:checksum -- <recipient of the projections file> [--feed <topic>]
import { parseArgs } from 'node:util';
import { commonSettings, createKafkajsBus, createLogger, kafkaAuthOrExit, loadConfigOrExit } from '@register-feeds/service-kit';
import { settings } from '../config.ts';
import { restoreProjection } from '../feed-restore.ts';
import { projectionKinds } from '../projections/index.ts';

const { values, positionals } = parseArgs({ allowPositionals: true, options: { feed: { type: 'string' } } });
const config = loadConfigOrExit('checksum', { ...commonSettings, feedPrefix: settings.feedPrefix, projections: settings.projections });
const entry = config.projections.find((p) => p.recipient === positionals[0]);
if (!entry) {
  const recipients = config.projections.map((p) => p.recipient).join('|');
  process.stderr.write(`usage: npm run projection:checksum -- <${recipients}> [--feed <topic>]\n`);
  process.exit(2);
}
const projection = projectionKinds[entry.kind].make(entry.recipient);
const feedTopic = values.feed ?? `${config.feedPrefix}${projection.recipient}.v1`;
const logger = createLogger({ service: 'checksum', level: 'warn', destination: process.stderr as never });
const bus = createKafkajsBus({
  brokers: config.kafkaBrokers,
  clientId: `${config.kafkaClientId}-checksum`,
  logger,
  auth: kafkaAuthOrExit('checksum', config),
});
const admin = await bus.admin();
const { state, rows } = await restoreProjection({ bus, admin, projection, feedTopic, groupPrefix: 'checksum' });
await admin.disconnect();
process.stdout.write(`${projection.checksum(state as never)}  ${feedTopic} (${rows} rows)\n`);
