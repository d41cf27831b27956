import type { TopicSpec } from '../kafka/bus.ts';

/**
 * Every topic the system owns, in one place: the README's topic catalogue is generated from (and tested
 * against) this list, `npm run topics:create` creates them, and services take their names from here as
 * defaults. Partitions are sized for one node locally; production sets replication through
 * TOPIC_REPLICATION_FACTOR.
 */
export interface TopicEntry extends Omit<TopicSpec, 'replicationFactor'> {
  /** what the key is, for the catalogue */
  key: string;
  /** the value's format: an Avro schema file in schemas/, or a JSON contract */
  value: string;
  description: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const topics = {
  raw: {
    name: 'register.raw.v1',
    key: 'none (the register writes unkeyed; order is per partition)',
    value: 'JSON, schemas/raw-register-event.schema.json',
    partitions: 6,
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(14 * DAY_MS), 'max.message.bytes': '1048576' },
    description: 'register change events as the register writes them; ingest validates them',
  },
  events: {
    name: 'register.events.v1',
    key: 'sha256 of "<BSN|ONDERWIJSNUMMER>:<number>" (one person, one partition)',
    value: 'Avro nl.onderwijs.register.v1.RegisterEvent (schemas/register-event.avsc)',
    partitions: 6,
    // the event history is the source for snapshots on a peildatum and for rebuilding projections
    config: { 'cleanup.policy': 'delete', 'retention.ms': '-1', 'min.insync.replicas': '1' },
    description: 'canonical, validated register events; everything downstream trusts them',
  },
  rawDeadLetter: {
    name: 'register.raw.dlq.v1',
    key: '"<source topic>/<partition>/<offset>"',
    value: 'Avro nl.onderwijs.register.v1.DeadLetter (schemas/dead-letter.avsc)',
    partitions: 1,
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(30 * DAY_MS) },
    description: 'raw events ingest refused: original bytes, every reason, source topic/partition/offset',
  },
  ingestSeen: {
    name: 'register.ingest.seen.v1',
    key: 'eventId',
    value: 'source "<topic>/<partition>/<offset>" of the first occurrence (string)',
    partitions: 6,
    config: { 'cleanup.policy': 'compact' },
    description: 'event ids ingest has published, written in the same transaction; rebuilt at start to drop repeats',
  },
  eventsDeadLetter: {
    name: 'register.events.dlq.v1',
    key: '"<source topic>/<partition>/<offset>"',
    value: 'Avro nl.onderwijs.register.v1.DeadLetter (schemas/dead-letter.avsc)',
    partitions: 1,
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(30 * DAY_MS) },
    description: 'canonical events pseudonymise could not read (should stay empty: ingest validated them)',
  },
  deliverDeadLetter: {
    name: 'register.deliver.dlq.v1',
    key: '"<source topic>/<partition>/<offset>"',
    value: 'Avro nl.onderwijs.register.v1.DeadLetter (schemas/dead-letter.avsc)',
    partitions: 1,
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(30 * DAY_MS) },
    description: 'recipient records deliver could not read or apply (should stay empty)',
  },
  audit: {
    name: 'audit.deliveries.v1',
    key: 'recipient id',
    value: 'Avro nl.onderwijs.register.v1.audit.Delivery (schemas/audit-delivery.avsc)',
    partitions: 3,
    // accountability must outlive every recipient's retention: kept for 7 years, like other records of processing
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(7 * 365 * DAY_MS) },
    description: 'one record per delivered record: recipient, legal basis, purpose, fields sent, source event, time',
  },
  feedStagemarkt: {
    name: 'feed.sbb-stagemarkt.v1',
    key: 'row key "<pseudonym>|<brin>|<inschrijvingsvolgnummer>|<bpvVolgnummer>"',
    value: 'JSON row of the Stagemarkt projection; null (tombstone) when a row leaves',
    partitions: 3,
    config: { 'cleanup.policy': 'compact' },
    description: 'S-BB feed: the current BPV status rows, upserts and tombstones',
  },
  feedSvb: {
    name: 'feed.svb-kostendelersnorm.v1',
    key: 'BSN',
    value: 'JSON row: the person’s enrolments with dates of enrolment and de-enrolment; null when none is left',
    partitions: 3,
    config: { 'cleanup.policy': 'compact' },
    description: 'SVB feed: enrolment spans per BSN',
  },
  feedGgd: {
    name: 'feed.ggd-jeugdgezondheid.v1',
    key: 'school "<brin>|<brinVestiging>|<locatiecodeMbo>"',
    value: 'JSON row: the school’s students under 18 with their permitted fields; null when none is left',
    partitions: 3,
    config: { 'cleanup.policy': 'compact' },
    description: 'GGD feed: under-18 lists per school',
  },
} as const satisfies Record<string, TopicEntry>;

export type TopicName = (typeof topics)[keyof typeof topics]['name'];

export function topicSpec(entry: TopicEntry, replicationFactor: number): TopicSpec {
  return { name: entry.name, partitions: entry.partitions, replicationFactor, config: { ...entry.config } };
}

export function catalogueMarkdown(): string {
  const rows = Object.values(topics).map((t: TopicEntry) => {
    const cfg = t.config ?? {};
    const retention =
      cfg['retention.ms'] === '-1' ? 'forever' : cfg['retention.ms'] ? `${Number(cfg['retention.ms']) / DAY_MS} days` : 'n/a (compacted)';
    return `| \`${t.name}\` | ${t.key} | ${t.value} | ${t.partitions} | ${cfg['cleanup.policy'] ?? 'delete'} | ${retention} | ${t.description} |`;
  });
  return ['| topic | key | value | partitions | cleanup | retention | what |', '|---|---|---|---|---|---|---|', ...rows].join('\n');
}
