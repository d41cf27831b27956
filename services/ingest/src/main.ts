import {
  createKafkajsBus,
  createLogger,
  createSchemaRegistryClient,
  kafkaAuthOrExit,
  loadConfigOrExit,
  runService,
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
  sessionTimeoutMs: config.kafkaSessionTimeoutMs,
});
const registry = createSchemaRegistryClient({ url: config.schemaRegistryUrl });

await runService({
  service: 'ingest',
  logger,
  bus,
  healthPort: config.healthPort,
  start: () => startIngest({ config, bus, registry, logger }),
});
