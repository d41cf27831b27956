import { readFileSync } from 'node:fs';
import { ingestPartitionKeyFile } from './ingest-key.ts';

/**
 * The environment of an ingest of a test's own, for loadConfig(settings, ...) in-process or a child
 * process: its topics and consumer group named after `id` (a uniqueName), the test partition key.
 */
export function ingestTestEnv({ id, brokers, registryUrl }: { id: string; brokers: readonly string[]; registryUrl: string }) {
  return {
    RAW_TOPIC: `${id}.raw`,
    EVENTS_TOPIC: `${id}.events`,
    RAW_DEAD_LETTER_TOPIC: `${id}.dlq`,
    INGEST_SEEN_TOPIC: `${id}.seen`,
    INGEST_GROUP_ID: `${id}.ingest`,
    INGEST_PARTITION_KEY_FILE: ingestPartitionKeyFile(),
    KAFKA_BROKERS: brokers.join(','),
    SCHEMA_REGISTRY_URL: registryUrl,
    LOG_LEVEL: 'warn',
  };
}

/** The non-empty lines of one of ingest's fixture files (services/ingest/fixtures/), raw events as JSON. */
export function ingestFixture(name: string): string[] {
  return readFileSync(new URL(`../../services/ingest/fixtures/${name}`, import.meta.url), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
}
