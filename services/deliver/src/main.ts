import { createKafkajsBus, createLogger, createSchemaRegistryClient, loadConfigOrExit, onShutdown } from '@register-feeds/service-kit';
import { settings } from './config.ts';
import { startDeliver } from './deliver.ts';

// Composition root of the deliver service: config, logger, Kafka and registry clients, built once.
const config = loadConfigOrExit('deliver', settings);
const logger = createLogger({ service: 'deliver', level: config.logLevel });
const bus = createKafkajsBus({ brokers: config.kafkaBrokers, clientId: `${config.kafkaClientId}-deliver`, logger });
const registry = createSchemaRegistryClient({ url: config.schemaRegistryUrl });

try {
  const deliver = await startDeliver({ config, bus, registry, logger });
  const lifecycle = onShutdown(logger, [() => deliver.stop()]);
  // a consumer that crashed is restarted by the bus; one that gives up ends the service with an error
  bus.onGiveUp(({ error }) => lifecycle.fail(error));
} catch (err) {
  logger.fatal({ err }, 'deliver could not start');
  logger.flush();
  process.exit(1);
}
