import { assertStackReachable, createKafkajsBus, createLogger, loadConfigOrExit, onShutdown } from '@register-feeds/service-kit';
import { settings } from './config.ts';

// Composition root of the pseudonymise service. Its pipeline is not built yet (see the issues): for now it validates
// its configuration, checks that Kafka and the registry answer, and waits for SIGTERM.
const config = loadConfigOrExit('pseudonymise', settings);
const logger = createLogger({ service: 'pseudonymise', level: config.logLevel });
const bus = createKafkajsBus({ brokers: config.kafkaBrokers, clientId: `${config.kafkaClientId}-pseudonymise`, logger });

try {
  await assertStackReachable({ bus, brokers: config.kafkaBrokers, registryUrl: config.schemaRegistryUrl });
  logger.warn('pseudonymise has no pipeline yet: connected, idle until stopped');
  const idle = setInterval(() => {}, 60_000);
  onShutdown(logger, [async () => clearInterval(idle)]);
} catch (err) {
  logger.fatal({ err }, 'pseudonymise could not start');
  logger.flush();
  process.exit(1);
}
