import {
  createKafkajsBus,
  createLogger,
  createSchemaRegistryClient,
  kafkaAuthOrExit,
  loadConfigOrExit,
  runService,
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

await runService({
  service: 'deliver',
  logger,
  bus,
  start: () => startDeliver({ config, bus, registry, logger }),
});
