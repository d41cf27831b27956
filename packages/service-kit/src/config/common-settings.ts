import { asBrokerList, asOneOf, asString, asUrl, type Setting } from './config.ts';

/** Settings every service reads. Service-specific settings are spread next to these in each service's config. */
export const commonSettings = {
  kafkaBrokers: {
    env: 'KAFKA_BROKERS',
    doc: 'Kafka bootstrap servers, comma-separated host:port',
    default: '127.0.0.1:9092',
    parse: asBrokerList,
  } satisfies Setting<string[]>,
  schemaRegistryUrl: {
    env: 'SCHEMA_REGISTRY_URL',
    doc: 'Confluent-compatible schema registry API (Apicurio: .../apis/ccompat/v7)',
    default: 'http://127.0.0.1:8080/apis/ccompat/v7',
    parse: asUrl,
  } satisfies Setting<string>,
  logLevel: {
    env: 'LOG_LEVEL',
    doc: 'pino log level',
    default: 'info',
    parse: asOneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'),
  } satisfies Setting<string>,
  kafkaClientId: {
    env: 'KAFKA_CLIENT_ID',
    doc: 'client id prefix sent to the broker (the service name is appended)',
    default: 'register-feeds',
    parse: asString,
  } satisfies Setting<string>,
};
