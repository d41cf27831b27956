import { asInteger, asString, commonSettings, type Setting, topics } from '@register-feeds/service-kit';
import { readPartitionKeyFile } from './partition-secret.ts';

/** Everything ingest reads from its environment; validated once in main.ts. */
export const settings = {
  ...commonSettings,
  rawTopic: { env: 'RAW_TOPIC', doc: 'topic the register writes raw change events to', default: topics.raw.name, parse: asString },
  eventsTopic: { env: 'EVENTS_TOPIC', doc: 'topic of canonical Avro register events', default: topics.events.name, parse: asString },
  deadLetterTopic: {
    env: 'RAW_DEAD_LETTER_TOPIC',
    doc: 'dead-letter topic for raw events ingest refuses',
    default: topics.rawDeadLetter.name,
    parse: asString,
  },
  seenTopic: {
    env: 'INGEST_SEEN_TOPIC',
    doc: 'compacted topic of event ids already published, kept for INGEST_DEDUP_WINDOW_DAYS',
    default: topics.ingestSeen.name,
    parse: asString,
  },
  // The dedup window: a repeat of an id that left it is published again (README, duplicate detection).
  dedupWindowEvents: {
    env: 'INGEST_DEDUP_WINDOW_EVENTS',
    doc: 'ingest remembers at most this many event ids (the newest by the time recorded with them) to drop repeats; about 40 bytes of memory each',
    default: '1000000',
    parse: asInteger(1, 100_000_000),
  },
  dedupWindowDays: {
    env: 'INGEST_DEDUP_WINDOW_DAYS',
    doc: 'ingest forgets event ids recorded longer ago than this; also the retention of INGEST_SEEN_TOPIC when ingest creates it. Keep it at least the raw topic’s retention (14 days), so reading the raw topic again publishes nothing twice',
    default: '30',
    parse: asInteger(1, 3650),
  },
  groupId: { env: 'INGEST_GROUP_ID', doc: 'consumer group of the ingest service', default: 'ingest', parse: asString },
  maxEventBytes: {
    env: 'INGEST_MAX_EVENT_BYTES',
    doc: 'raw events larger than this go to the dead-letter topic unparsed',
    default: '65536',
    parse: asInteger(1024, 1_000_000),
  },
  // Read at start, so a missing or bad key file stops ingest before it touches Kafka; the value is a KeyObject.
  partitionKey: {
    env: 'INGEST_PARTITION_KEY_FILE',
    doc: 'file with ingest’s internal key for the Kafka key of register.events.v1 (HMAC-SHA-256 of the person number): base64 of 32+ random bytes, made once and kept (another key moves every person to another partition); never in the repo',
    parse: readPartitionKeyFile,
    secret: true,
  },
  replicationFactor: {
    env: 'TOPIC_REPLICATION_FACTOR',
    doc: 'replication factor of topics the service creates (1 for the local stack)',
    default: '1',
    parse: asInteger(1, 5),
  },
  healthPort: {
    env: 'INGEST_HEALTH_PORT',
    doc: 'port of /health, /ready (200 once in its group with input partitions assigned and none halted) and /metrics (Prometheus) on 127.0.0.1; 0: none. `npm start` uses 8091; instances sharing a host each need their own',
    default: '0',
    parse: asInteger(0, 65535),
  },
} satisfies Record<string, Setting<unknown>>;
