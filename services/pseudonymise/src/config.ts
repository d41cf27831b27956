import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asInteger, asString, commonSettings, type Setting, topics } from '@register-feeds/service-kit';
import { asTopicPrefix } from './recipient-topics.ts';

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Everything pseudonymise reads from its environment; validated once in main.ts. */
export const settings = {
  ...commonSettings,
  eventsTopic: { env: 'EVENTS_TOPIC', doc: 'topic of canonical Avro register events', default: topics.events.name, parse: asString },
  deadLetterTopic: {
    env: 'EVENTS_DEAD_LETTER_TOPIC',
    doc: 'dead-letter topic for canonical events pseudonymise cannot read',
    default: topics.eventsDeadLetter.name,
    parse: asString,
  },
  auditTopic: {
    env: 'AUDIT_TOPIC',
    doc: 'topic accounting for every delivered event: one entry per event, listing its recipients',
    default: topics.audit.name,
    parse: asString,
  },
  groupId: { env: 'PSEUDONYMISE_GROUP_ID', doc: 'consumer group of the pseudonymise service', default: 'pseudonymise', parse: asString },
  agreementsDir: {
    env: 'AGREEMENTS_DIR',
    doc: 'directory of reviewed agreement files, one per recipient (relative paths from the repository root)',
    default: 'agreements',
    parse: (raw: string) => resolve(REPO_ROOT, raw),
  },
  recipientTopicPrefix: {
    env: 'RECIPIENT_TOPIC_PREFIX',
    doc: 'put before every agreement’s output topic: recipient topics are <prefix>recipient.<id>.v<N> (unset: the agreement’s topic as is). For tests and side-by-side environments on one cluster; deliver and `keys shred` need the same prefix',
    default: '',
    parse: asTopicPrefix,
  },
  keysFile: {
    env: 'PSEUDONYM_KEYS_FILE',
    doc: 'JSON file with every recipient’s secret pseudonym keys (never in the repo; `npm run keys -- generate` makes test keys)',
    parse: asString,
  },
  replicationFactor: {
    env: 'TOPIC_REPLICATION_FACTOR',
    doc: 'replication factor of topics the service creates (1 for the local stack)',
    default: '1',
    parse: asInteger(1, 5),
  },
  healthPort: {
    env: 'PSEUDONYMISE_HEALTH_PORT',
    doc: 'port of /health, /ready (200 once in its group with input partitions assigned and none halted) and /metrics (Prometheus) on 127.0.0.1; 0: none. `npm start` uses 8092; instances sharing a host each need their own',
    default: '0',
    parse: asInteger(0, 65535),
  },
} satisfies Record<string, Setting<unknown>>;
