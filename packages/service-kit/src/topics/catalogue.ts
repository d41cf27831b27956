import type { TopicSpec } from '../kafka/bus.ts';

/**
 * Every topic the system owns, in one place: the README's topic catalogue is generated from (and tested
 * against) this list, `npm run topics:create` creates them, and services take their names from here as
 * defaults. Partitions are sized for one node locally; production sets replication through
 * TOPIC_REPLICATION_FACTOR.
 */
export interface TopicEntry extends Omit<TopicSpec, 'replicationFactor'> {
  /** what kind of data it holds, which decides whether it holds person data (TOPIC_CLASSES) */
  class: TopicClass;
  /** what the key is, for the catalogue */
  key: string;
  /** the value's format: an Avro schema file in schemas/, or a JSON contract */
  value: string;
  description: string;
}

/**
 * The kinds of topic, by what their records hold. Whether a topic holds person data is decided here, per
 * class, not by looking for field names in its records: a record can carry a BSN in a field of any name, in
 * a Kafka key, or inside bytes (a dead letter's original), and a reader that guesses from field names
 * misses exactly those. Tools that copy topics (tools/replay) ask topicClass() and refuse what holds
 * person data unless told otherwise.
 */
export type TopicClass = 'raw' | 'canonical' | 'dead-letter' | 'recipient' | 'feed' | 'audit' | 'internal';

export const TOPIC_CLASSES: Readonly<Record<TopicClass, { personData: boolean; holds: string }>> = {
  raw: { personData: true, holds: 'register events as JSON: BSN or onderwijsnummer, name, birth date' },
  canonical: { personData: true, holds: 'validated register events as Avro: BSN or onderwijsnummer, name, birth date' },
  'dead-letter': {
    personData: true,
    holds: 'refused records with their original key and value as bytes (raw JSON, canonical Avro or recipient Avro), person data and all',
  },
  recipient: {
    personData: true,
    holds: 'one recipient’s records: its pseudonyms, record ids and enrolment pseudonyms, or (GGD, SVB) BSN, name and birth date',
  },
  feed: { personData: true, holds: 'projection rows: pseudonyms or BSNs in keys and rows, GGD names and birth dates' },
  audit: { personData: false, holds: 'which recipients got which fields of which event: event ids and field names, no person identifier' },
  internal: { personData: false, holds: 'the services’ own bookkeeping: event ids and topic positions' },
};

/** Recipient topics are not catalogue entries: each agreement names its own (agreements/*.yaml). */
export const RECIPIENT_TOPIC_PREFIX = 'recipient.';

/**
 * Snapshot topics, one per snapshot delivery when `npm run deliveries` is asked to write them too:
 * `snapshot.<recipient>.<peildatum>.<delivery date>`, the snapshot's rows (JSON, keyed by the recipient's enrolment
 * pseudonym) in one partition, in the file's order. They hold one recipient's records, like its recipient topic
 * (class recipient), but are not shaped like it: a snapshot is a table on a date, not a stream of changes.
 */
export const SNAPSHOT_TOPIC_PREFIX = 'snapshot.';

const DAY_MS = 24 * 60 * 60 * 1000;

export const topics = {
  raw: {
    name: 'register.raw.v1',
    class: 'raw',
    key: 'none (the register writes unkeyed; order is per partition)',
    value: 'JSON, schemas/raw-register-event.schema.json',
    partitions: 6,
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(14 * DAY_MS), 'max.message.bytes': '1048576' },
    description: 'register change events as the register writes them; ingest validates them',
  },
  events: {
    name: 'register.events.v1',
    class: 'canonical',
    key: 'HMAC-SHA-256 (hex) of "<BSN|ONDERWIJSNUMMER>:<number>" under ingest’s internal key, INGEST_PARTITION_KEY_FILE (one person, one partition; not reversible without the key)',
    value: 'Avro nl.onderwijs.register.v1.RegisterEvent (schemas/register-event.avsc)',
    partitions: 6,
    // the event history is the source for snapshots on a peildatum and for rebuilding projections
    // min.insync.replicas comes from topicSpec (TOPIC_MIN_INSYNC_REPLICAS), like every topic's
    config: { 'cleanup.policy': 'delete', 'retention.ms': '-1' },
    description: 'canonical, validated register events; everything downstream trusts them',
  },
  rawDeadLetter: {
    name: 'register.raw.dlq.v1',
    class: 'dead-letter',
    key: '"<source topic>/<partition>/<offset>"',
    value: 'Avro nl.onderwijs.register.v1.DeadLetter (schemas/dead-letter.avsc)',
    partitions: 1,
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(30 * DAY_MS) },
    description: 'raw events ingest refused: original bytes, every reason, source topic/partition/offset',
  },
  ingestSeen: {
    name: 'register.ingest.seen.v1',
    class: 'internal',
    key: 'eventId',
    value: 'source "<topic>/<partition>/<offset>" of the first occurrence (string)',
    partitions: 6,
    // ingest's dedup window: kept as long as INGEST_DEDUP_WINDOW_DAYS (its default here; ingest sets its own)
    config: { 'cleanup.policy': 'compact,delete', 'retention.ms': String(30 * DAY_MS), 'segment.ms': String(DAY_MS) },
    description:
      'event ids ingest has published, written in the same transaction; read at start for the dedup window (INGEST_DEDUP_WINDOW_*) to drop repeats',
  },
  eventsDeadLetter: {
    name: 'register.events.dlq.v1',
    class: 'dead-letter',
    key: '"<source topic>/<partition>/<offset>"',
    value: 'Avro nl.onderwijs.register.v1.DeadLetter (schemas/dead-letter.avsc)',
    partitions: 1,
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(30 * DAY_MS) },
    description: 'canonical events pseudonymise could not read (should stay empty: ingest validated them)',
  },
  deliverDeadLetter: {
    name: 'register.deliver.dlq.v1',
    class: 'dead-letter',
    key: '"<source topic>/<partition>/<offset>"',
    value: 'Avro nl.onderwijs.register.v1.DeadLetter (schemas/dead-letter.avsc)',
    partitions: 1,
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(30 * DAY_MS) },
    description: 'recipient records deliver could not read or apply (should stay empty)',
  },
  audit: {
    // v2: one entry per canonical event instead of one per delivered record (incompatible with v1)
    name: 'audit.deliveries.v2',
    class: 'audit',
    key: 'eventId of the canonical event',
    value: 'Avro nl.onderwijs.register.v2.audit.EventDeliveries (schemas/audit-event.avsc)',
    partitions: 3,
    // accountability must outlive every recipient's retention: kept for 7 years, like other records of processing
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(7 * 365 * DAY_MS) },
    description:
      'one entry per delivered canonical event: its eventId and, per recipient, legal basis, purpose, fields sent, time; no person identifier',
  },
  snapshotDeliveries: {
    name: 'audit.snapshot-deliveries.v1',
    class: 'audit',
    key: 'delivery id "<recipient>/<peildatum>/<delivery date>"',
    value: 'Avro nl.onderwijs.register.v1.audit.SnapshotDelivery (schemas/audit-snapshot-delivery.avsc)',
    partitions: 1,
    // both the audit of snapshot deliveries and their ledger: an id found here is never delivered again, so each
    // entry is kept (compacted, one per id) instead of deleted after some years
    config: { 'cleanup.policy': 'compact' },
    description:
      'one entry per snapshot delivery (npm run deliveries): recipient, legal basis, purpose, peildatum, knowledge time, rows, checksum, fields; no person identifier',
  },
  feedStagemarkt: {
    name: 'feed.sbb-stagemarkt.v1',
    class: 'feed',
    key: 'row key "<pseudonym>|<brin>|<inschrijvingsvolgnummer>|<bpvVolgnummer>"',
    value: 'JSON row of the Stagemarkt projection; null (tombstone) when a row leaves',
    partitions: 3,
    config: { 'cleanup.policy': 'compact' },
    description: 'S-BB feed: the current BPV status rows, upserts and tombstones',
  },
  feedSvb: {
    name: 'feed.svb-kostendelersnorm.v1',
    class: 'feed',
    key: 'BSN',
    value:
      'JSON row: the person’s enrolments with dates of enrolment and de-enrolment, and removals kept up to 365 days so a late older record cannot bring one back (enrolments may be empty); null when neither is left',
    partitions: 3,
    config: { 'cleanup.policy': 'compact' },
    description: 'SVB feed: enrolment spans per BSN',
  },
  feedGgd: {
    name: 'feed.ggd-jeugdgezondheid.v1',
    class: 'feed',
    key: 'school "<brin>|<brinVestiging>|<locatiecodeMbo>"',
    value: 'JSON row: the school’s students under 18 with their permitted fields; null when none is left',
    partitions: 3,
    config: { 'cleanup.policy': 'compact' },
    description: 'GGD feed: under-18 lists per school',
  },
} as const satisfies Record<string, TopicEntry>;

export type TopicName = (typeof topics)[keyof typeof topics]['name'];

const classByName = new Map<string, TopicClass>(Object.values(topics).map((t: TopicEntry) => [t.name, t.class]));

/**
 * The class of a topic by its name: a catalogue entry's, `recipient` for any `recipient.*` or `snapshot.*` topic, and
 * `unknown` for anything else (a renamed copy, another team's topic): a caller must treat that as holding
 * person data, because nothing says it does not.
 */
export function topicClass(name: string): TopicClass | 'unknown' {
  const known = classByName.get(name);
  if (known !== undefined) return known;
  for (const prefix of [RECIPIENT_TOPIC_PREFIX, SNAPSHOT_TOPIC_PREFIX]) {
    if (name.startsWith(prefix) && name.length > prefix.length) return 'recipient';
  }
  return 'unknown';
}

/** Whether a topic of this class holds person data; an unknown topic does, until shown otherwise. */
export const holdsPersonData = (cls: TopicClass | 'unknown'): boolean => cls === 'unknown' || TOPIC_CLASSES[cls].personData;

/**
 * How many replicas must have a write before it counts, when nothing says otherwise: 2 once there are 3 or
 * more replicas (one broker may be lost without losing a write or stopping writes), else 1 (a single node
 * has nothing more to give).
 */
export function defaultMinInsyncReplicas(replicationFactor: number): number {
  return replicationFactor >= 3 ? 2 : 1;
}

/**
 * The spec a topic is created with. min.insync.replicas is set on every topic (TOPIC_MIN_INSYNC_REPLICAS,
 * or the default above), so a topic never depends on the broker's default: with acks=all (the idempotent
 * and transactional producers) a write then waits for that many replicas.
 */
export function topicSpec(
  entry: TopicEntry,
  replicationFactor: number,
  minInsyncReplicas: number = defaultMinInsyncReplicas(replicationFactor),
): TopicSpec {
  if (!Number.isInteger(minInsyncReplicas) || minInsyncReplicas < 1 || minInsyncReplicas > replicationFactor) {
    throw new Error(
      `topic ${entry.name}: min.insync.replicas ${minInsyncReplicas} must be from 1 to its replication factor ${replicationFactor}`,
    );
  }
  return {
    name: entry.name,
    partitions: entry.partitions,
    replicationFactor,
    config: { ...entry.config, 'min.insync.replicas': String(minInsyncReplicas) },
  };
}

export function catalogueMarkdown(): string {
  const rows = Object.values(topics).map((t: TopicEntry) => {
    const cfg = t.config ?? {};
    const retention =
      cfg['retention.ms'] === '-1' ? 'forever' : cfg['retention.ms'] ? `${Number(cfg['retention.ms']) / DAY_MS} days` : 'n/a (compacted)';
    return `| \`${t.name}\` | ${t.class} | ${t.key} | ${t.value} | ${t.partitions} | ${cfg['cleanup.policy'] ?? 'delete'} | ${retention} | ${t.description} |`;
  });
  return ['| topic | class | key | value | partitions | cleanup | retention | what |', '|---|---|---|---|---|---|---|---|', ...rows].join(
    '\n',
  );
}
