import {
  createKafkajsBus,
  createLogger,
  createSchemaRegistryClient,
  kafkaAuthOrExit,
  loadConfigOrExit,
  onShutdown,
} from '@register-feeds/service-kit';
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
});
const registry = createSchemaRegistryClient({ url: config.schemaRegistryUrl });

// Signals are handled from before the start: a SIGTERM while the service is still starting (waiting for the
// registry or the broker) ends it with 0 at once, not by the signal. The steps are added once it runs.
const steps: Array<() => Promise<void>> = [];
const lifecycle = onShutdown(logger, steps);
try {
  const deliver = await startDeliver({ config, bus, registry, logger });
  steps.push(() => deliver.stop());
  // a consumer that crashed is restarted by the bus; one that gives up ends the service with an error
  bus.onGiveUp(({ error }) => lifecycle.fail(error));
} catch (err) {
  logger.fatal({ err }, 'deliver could not start');
  logger.flush();
  process.exit(1);
}
