import { testTopicPrefix } from './agreements.ts';

/**
 * The environment of a pseudonymise of a test's own, for loadConfig(settings, ...) in-process or a child
 * process: the history, dead letters, audit and consumer group named after `id` (a uniqueName), and its
 * recipient topics behind RECIPIENT_TOPIC_PREFIX=testTopicPrefix(id). `keysFile` is '/unused' where the
 * keys are handed over in-process.
 */
export function pseudonymiseTestEnv({
  id,
  brokers,
  registryUrl,
  keysFile = '/unused',
}: {
  id: string;
  brokers: readonly string[];
  registryUrl: string;
  keysFile?: string;
}) {
  return {
    KAFKA_BROKERS: brokers.join(','),
    SCHEMA_REGISTRY_URL: registryUrl,
    EVENTS_TOPIC: `${id}.events`,
    EVENTS_DEAD_LETTER_TOPIC: `${id}.dlq`,
    AUDIT_TOPIC: `${id}.audit`,
    PSEUDONYMISE_GROUP_ID: `${id}.group`,
    PSEUDONYM_KEYS_FILE: keysFile,
    RECIPIENT_TOPIC_PREFIX: testTopicPrefix(id),
  };
}
