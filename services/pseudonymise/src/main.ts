import {
  createKafkajsBus,
  createLogger,
  createSchemaRegistryClient,
  kafkaAuthOrExit,
  loadConfigOrExit,
  runService,
} from '@register-feeds/service-kit';
import { AgreementError } from './agreement.ts';
import { settings } from './config.ts';
import { keyFileSource } from './key-source.ts';
import { KeyFileError } from './keys.ts';
import { loadAgreements } from './load-agreements.ts';
import { startPseudonymise } from './pipeline.ts';

// Composition root of the pseudonymise service: config, agreements and keys (each validated once, a bad
// one stops the service with one line), logger, Kafka and registry clients.
const config = loadConfigOrExit('pseudonymise', settings);

function loadOrExit<T>(what: string, load: () => T): T {
  try {
    return load();
  } catch (error) {
    if (error instanceof AgreementError || error instanceof KeyFileError) {
      process.stderr.write(`pseudonymise: ${what}: ${error.message}\n`);
      process.exit(78);
    }
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      process.stderr.write(`pseudonymise: ${what}: ${(error as NodeJS.ErrnoException).path} does not exist\n`);
      process.exit(78);
    }
    throw error;
  }
}

const agreements = loadOrExit('agreements', () => loadAgreements(config.agreementsDir));
const logger = createLogger({ service: 'pseudonymise', level: config.logLevel });
// Read again whenever the file changes: a key retired while the service runs is not used from the next batch on.
const keys = keyFileSource({
  path: config.keysFile,
  agreements,
  onLoad: (withKey, retired) => {
    logger.info({ withKey }, 'pseudonym keys loaded');
    if (retired.length > 0)
      logger.warn({ retired }, 'agreements ended: their keys are not used (run `npm run keys -- retire-ended` to shred them)');
  },
});
loadOrExit('keys', () => keys.current());
const bus = createKafkajsBus({
  brokers: config.kafkaBrokers,
  clientId: `${config.kafkaClientId}-pseudonymise`,
  logger,
  auth: kafkaAuthOrExit('pseudonymise', config),
  sessionTimeoutMs: config.kafkaSessionTimeoutMs,
});
const registry = createSchemaRegistryClient({ url: config.schemaRegistryUrl });

await runService({
  service: 'pseudonymise',
  logger,
  bus,
  healthPort: config.healthPort,
  start: () => startPseudonymise({ config, agreements, keys, bus, registry, logger }),
});
