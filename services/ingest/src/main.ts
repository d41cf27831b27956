import {
  createKafkajsBus,
  createLogger,
  createSchemaRegistryClient,
  kafkaAuthOrExit,
  loadConfigOrExit,
  onShutdown,
  startHealthServer,
} from '@register-feeds/service-kit';
import { settings } from './config.ts';
import { startIngest } from './pipeline.ts';

// Composition root of the ingest service: config, logger, Kafka and registry clients, built once.
const config = loadConfigOrExit('ingest', settings);
const logger = createLogger({ service: 'ingest', level: config.logLevel });
const bus = createKafkajsBus({
  brokers: config.kafkaBrokers,
  clientId: `${config.kafkaClientId}-ingest`,
  logger,
  auth: kafkaAuthOrExit('ingest', config),
});
const registry = createSchemaRegistryClient({ url: config.schemaRegistryUrl });

// Signals are handled from before the start: a SIGTERM while the service is still starting (waiting for the
// registry or the broker) ends it with 0 at once, not by the signal. The steps are added once it runs.
const steps: Array<() => Promise<void>> = [];
const lifecycle = onShutdown(logger, steps);
try {
  const pipeline = await startIngest({ config, bus, registry, logger });
  const health =
    config.healthPort > 0
      ? await startHealthServer({
          port: config.healthPort,
          service: 'ingest',
          ready: () => pipeline.healthy() && bus.healthy(),
          metrics: () => pipeline.metrics,
          logger,
        })
      : undefined;
  steps.push(
    () => pipeline.stop(),
    async () => health?.close(),
  );
  // a consumer that crashed is restarted by the bus; one that gives up ends the service with an error
  bus.onGiveUp(({ error }) => lifecycle.fail(error));
} catch (err) {
  logger.fatal({ err }, 'ingest could not start');
  logger.flush();
  process.exit(1);
}
