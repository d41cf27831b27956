import { assertStackReachable, createKafkajsBus, createLogger, loadConfigOrExit, onShutdown } from '@register-feeds/service-kit';
import { settings } from './config.ts';

// Composition root of the deliver service. Its pipeline is not built yet (see the issues): for now it validates
// its configuration, checks that Kafka and the registry answer, and waits for SIGTERM.
const config = loadConfigOrExit('deliver', settings);
const logger = createLogger({ service: 'deliver', level: config.logLevel });
const bus = createKafkajsBus({ brokers: config.kafkaBrokers, clientId: `${config.kafkaClientId}-deliver`, logger });

try {
  await assertStackReachable({ bus, brokers: config.kafkaBrokers, registryUrl: config.schemaRegistryUrl });
  logger.warn('deliver has no pipeline yet: connected, idle until stopped');
  const idle = setInterval(() => {}, 60_000);
  onShutdown(logger, [async () => clearInterval(idle)]);
} catch (err) {
  logger.fatal({ err }, 'deliver could not start');
  logger.flush();
  process.exit(1);
}
