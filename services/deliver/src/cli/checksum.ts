// Prints the checksum of a projection as its compacted feed holds it, so two builds (e.g. before and
// after a rebuild from scratch) can be compared. Reads the feed to its end; changes nothing.
//   npm run projection:checksum -- <recipient of the projections file> [--feed <topic>]
import {
  Argument,
  commonSettings,
  createCli,
  createKafkajsBus,
  createLogger,
  kafkaAuthOrExit,
  loadConfigOrExit,
  nonEmpty,
  parseOrExit,
} from '@register-feeds/service-kit';
import { settings } from '../config.ts';
import { restoreProjection } from '../feed-restore.ts';
import { projectionKinds } from '../projections/index.ts';

// the recipients come from the projections file, so the configuration is read before the command line
const config = loadConfigOrExit('checksum', { ...commonSettings, feedPrefix: settings.feedPrefix, projections: settings.projections });
let recipient = '';
const program = createCli({
  name: 'checksum',
  usage: 'npm run projection:checksum --',
  description: 'Prints the checksum of a projection as its compacted feed holds it (reads the feed to its end; changes nothing).',
})
  .addArgument(new Argument('<recipient>', 'a recipient of the projections file').choices(config.projections.map((p) => p.recipient)))
  .option('--feed <topic>', 'the feed topic (default <FEED_TOPIC_PREFIX><recipient>.v1)', nonEmpty)
  .action((name) => {
    recipient = name;
  });
parseOrExit(program);
const entry = config.projections.find((p) => p.recipient === recipient);
if (!entry) throw new Error(`checksum: ${recipient} passed the choices but has no projection`); // unreachable
const projection = projectionKinds[entry.kind].make(entry.recipient);
const feedTopic = program.opts().feed ?? `${config.feedPrefix}${projection.recipient}.v1`;
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
