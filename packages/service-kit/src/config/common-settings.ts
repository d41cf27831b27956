import { asBrokerList, asInteger, asOneOf, asString, asUrl, type Setting } from './config.ts';

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
  topicMinInsyncReplicas: {
    env: 'TOPIC_MIN_INSYNC_REPLICAS',
    doc: 'min.insync.replicas of topics the service creates; auto: 2 when TOPIC_REPLICATION_FACTOR is 3 or more, else 1',
    default: 'auto',
    parse: (raw: string): number | undefined => (raw === 'auto' ? undefined : asInteger(1, 16)(raw)),
  } satisfies Setting<number | undefined>,
  kafkaSaslMechanism: {
    env: 'KAFKA_SASL_MECHANISM',
    doc: 'how the service authenticates to Kafka: none, or scram-sha-512 (with KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD_FILE)',
    default: 'none',
    parse: asOneOf('none', 'scram-sha-512'),
  } satisfies Setting<'none' | 'scram-sha-512'>,
  kafkaSaslUsername: {
    env: 'KAFKA_SASL_USERNAME',
    doc: 'the service’s Kafka principal (User:<name>), one per service (stack/acls.ts)',
    default: '',
    parse: asString,
  } satisfies Setting<string>,
  kafkaSaslPasswordFile: {
    env: 'KAFKA_SASL_PASSWORD_FILE',
    doc: 'file holding the principal’s password (mode 0600; read at start, never logged)',
    default: '',
    parse: asString,
  } satisfies Setting<string>,
  kafkaSslCaFile: {
    env: 'KAFKA_SSL_CA_FILE',
    doc: 'CA certificate (PEM) the brokers’ certificates are verified against, host name included; set: TLS (SASL_SSL, needs KAFKA_SASL_MECHANISM), empty: no TLS. The secured local stack’s: stack/stack.sh env',
    default: '',
    parse: asString,
  } satisfies Setting<string>,
  kafkaSessionTimeoutMs: {
    env: 'KAFKA_SESSION_TIMEOUT_MS',
    doc: 'consumer group session (ms): how long the group waits for a member that stopped heartbeating (a kill -9, a lost host) before its partitions go to another; heartbeats every tenth of it',
    // The time to recover from a crashed instance is this wait: a restarted instance is a new member and
    // gets the partitions only once the dead one is dropped. kafkajs's 30 s made every kill -9 a 30 s stall;
    // 10 s (Kafka's own default before 3.0) still leaves room for a batch between heartbeats, and the
    // edge heartbeats through its retries. The broker accepts 6 s to 30 min (group.min/max.session.timeout.ms).
    default: '10000',
    parse: asInteger(6_000, 1_800_000),
  } satisfies Setting<number>,
  edgeCommitIntervalMs: {
    env: 'EDGE_COMMIT_INTERVAL_MS',
    doc: 'ingest and pseudonymise: longest a partition’s transaction stays open across fetched batches (ms); it commits sooner once the partition is caught up or at EDGE_COMMIT_MAX_RECORDS; 0: one transaction per batch (deliver: always, for now)',
    default: '100',
    // far below the producer's transaction timeout (kafkajs: 60 s), past which the broker aborts it
    parse: asInteger(0, 10_000),
  } satisfies Setting<number>,
  edgeCommitMaxRecords: {
    env: 'EDGE_COMMIT_MAX_RECORDS',
    doc: 'ingest and pseudonymise: consumed records after which a partition’s transaction commits, however young',
    default: '10000',
    parse: asInteger(1, 1_000_000),
  } satisfies Setting<number>,
  edgePartitionsConcurrently: {
    env: 'EDGE_PARTITIONS_CONCURRENTLY',
    doc: 'ingest and pseudonymise: input partitions whose batches are handled and committed at once (each partition’s own batches stay in order); 1: one batch at a time. Deliver: always 1 (its fold takes turns)',
    // 1 for now, by measurement: with several of ingest's transactions open at once, pseudonymise's batches
    // seldom reach the high watermark (open transactions lie beyond what read_committed hands over), so its
    // transactions wait for EDGE_COMMIT_INTERVAL_MS instead of committing when caught up; p50 latency rose
    // about 3x at 50 events/s. Raise it once "caught up" is judged against the last stable offset.
    default: '1',
    parse: asInteger(1, 64),
  } satisfies Setting<number>,
};
