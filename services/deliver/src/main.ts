import {
  caughtUpWithStart,
  createKafkajsBus,
  createLogger,
  createSchemaRegistryClient,
  kafkaAuthOrExit,
  loadConfigOrExit,
  runService,
} from '@register-feeds/service-kit';
import { registerDeliverMetrics } from './api/metrics.ts';
import { assertTokensServe, settings } from './config.ts';
import { configuredProjections, startDeliver } from './deliver.ts';

// Composition root of the deliver service: config, logger, Kafka and registry clients, built once.
const config = loadConfigOrExit('deliver', settings);
try {
  // a token for a recipient the projections file does not list is a configuration error like any other
  assertTokensServe(
    config.apiTokens,
    configuredProjections(config).map((p) => p.recipient),
  );
} catch (error) {
  process.stderr.write(`deliver: configuration error: ${(error as Error).message}\n`);
  process.exit(78);
}
const logger = createLogger({ service: 'deliver', level: config.logLevel });
const bus = createKafkajsBus({
  brokers: config.kafkaBrokers,
  clientId: `${config.kafkaClientId}-deliver`,
  logger,
  auth: kafkaAuthOrExit('deliver', config),
  sessionTimeoutMs: config.kafkaSessionTimeoutMs,
});
const registry = createSchemaRegistryClient({ url: config.schemaRegistryUrl });

await runService({
  service: 'deliver',
  logger,
  bus,
  healthPort: config.healthPort,
  start: async () => {
    const deliver = await startDeliver({ config, bus, registry, logger });
    // Ready means caught up: every projection folded its recipient topic up to where the topic ended now,
    // at start (the replicas are restored from the feeds before startDeliver returns). Asked on every
    // /ready and every second until then; once caught up, later lag is a metric, not unreadiness.
    const admin = await bus.admin();
    const checks = configuredProjections(config).map((entry) => ({
      recipient: entry.recipient,
      check: caughtUpWithStart({ admin, groupId: `${config.groupPrefix}-${entry.recipient}`, topic: entry.input }),
    }));
    const caught = new Set<string>();
    const caughtUp = async () => {
      for (const { recipient, check } of checks) if (await check()) caught.add(recipient);
      return caught.size === checks.length;
    };
    const poll = setInterval(() => {
      caughtUp()
        .then((all) => {
          if (!all) return;
          clearInterval(poll);
          logger.info({ recipients: [...caught] }, 'projections caught up with their recipient topics');
        })
        .catch((err: unknown) => logger.warn({ err }, 'could not read the offsets of the recipient topics; asking again'));
    }, 1_000);
    poll.unref();
    const unregister = registerDeliverMetrics({ projections: deliver.projections, caughtUp: (recipient) => caught.has(recipient) });
    return {
      ready: async () => deliver.ready() && (await caughtUp()),
      async stop() {
        clearInterval(poll);
        unregister();
        await deliver.stop();
        await admin.disconnect();
      },
    };
  },
});
