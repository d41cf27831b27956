/**
 * A recipient's peildatum snapshot: the enrolments that stood on the peildatum as the register knew them at
 * knownAt (bitemporal.ts), each as the recipient's agreement shapes it, exactly like the stream.
 *
 * The row of an enrolment is applyAgreement (the pseudonymise core) of its latest known event, with the
 * recipient's current key: the pseudonym, the enrolment pseudonym and the record id are the very values the
 * stream delivered for that event, so a recipient can reconcile a snapshot with its feed. Two things differ
 * from the stream, both so the same history gives the same snapshot:
 * - "now" (the agreement's term, the age on the delivery date of a condition) is knownAt, never the clock;
 * - the ages are on the agreement's reference dates resolved against the peildatum, not the event date.
 *   The stream takes the study year of the event's date; a snapshot is about the peildatum, so an enrolment
 *   registered in June 2026 gets its ages on 1 Aug, 30 Sep, 1 Oct and 31 Dec 2026 in the 1 October 2026
 *   snapshot (Regeling art. 3 a: "van het kalenderjaar waarin de peildatum valt"; art. 3 b for the
 *   Inspectie: the quarters of the study year of the peildatum). The same rule as the stream's
 *   (resolveAgeAt), given the peildatum: for a 1 February peildatum the Minister's month-days fall in the
 *   first calendar year of its study year, as in the stream (see agreements/ocw-minister.yaml).
 *
 * Rows are sorted by the recipient's enrolment pseudonym: unique per enrolment and keyed, so the order says
 * nothing about the person numbers (sorting by BSN would leak their rank) and is the same on every run.
 *
 * Memory: the fold keeps per enrolment its latest position, and the latest event's Avro bytes (in one
 * arena, byte-arena.ts) only of the enrolments that stand on the peildatum; rows are made one at a time
 * while the writer takes them in.
 */

import {
  type AgeReference,
  type Agreement,
  ageOn,
  applyAgreement,
  enrolmentPseudonymFor,
  isWithinTerm,
  type RecipientKey,
  type RecipientRecord,
  recipientSchema,
  resolveAgeAt,
} from '@register-feeds/pseudonymise';
import { type EpochDay, type EpochMillis, parseIsoDate, type RegisterEvent, toEpochDay } from '@register-feeds/register-model';
import { type Admin, loadAvroSchema, type MessageBus, type SchemaRegistryClient, topics } from '@register-feeds/service-kit';
import { type BitemporalQuery, changeOf, createEnrolmentFold, parseEnrolmentKey } from './bitemporal.ts';
import { type ByteArena, createByteArena } from './byte-arena.ts';
import { type Column, snapshotColumns, snapshotIdentityColumns } from './columns.ts';
import { type HistoryProgress, type HistoryRead, readHistory } from './history.ts';
import { writeJsonl } from './jsonl.ts';
import { type ColumnSpec, writeParquet } from './parquet.ts';

/** A mistake of the caller (a date that is not one, no key, an agreement not in force): said, not a stack. */
export class SnapshotError extends Error {
  readonly isTrusted = true;
  constructor(message: string) {
    super(message);
    this.name = 'SnapshotError';
  }
}

export interface SnapshotOptions {
  bus: MessageBus;
  admin: Admin;
  registry: SchemaRegistryClient;
  agreement: Agreement;
  /** the recipient's current key (the one the stream uses now) */
  key: RecipientKey | undefined;
  /** 'YYYY-MM-DD' */
  peildatum: string;
  /** knowledge time: changes the register recorded after it do not count */
  knownAt: Date;
  /** default register.events.v1 */
  historyTopic?: string;
  onProgress?: (progress: HistoryProgress) => void;
}

export interface SnapshotCounts {
  /** records of the history read */
  records: number;
  /** records that could not be read (skipped, as the stream dead-lettered them) */
  undecodable: number;
  /** enrolment events known at knownAt */
  knownEvents: number;
  /** enrolment events registered after knownAt (left out) */
  laterEvents: number;
  /** enrolments with at least one known event */
  enrolments: number;
  /** enrolments that stood on the peildatum */
  standing: number;
  /** rows delivered; final once rows have been iterated */
  rows: number;
  /** enrolments that stood but the agreement leaves out (sector, event type, a record condition); final once rows have been iterated */
  withheld: number;
  /** bytes of Avro kept in memory for the standing enrolments (replaced ones included) */
  keptBytes: number;
}

export interface Snapshot {
  columns: ColumnSpec[];
  rows: AsyncIterable<Record<string, unknown>>;
  counts: SnapshotCounts;
  /** what the snapshot is of: for the audit trail and to make it again */
  recipient: string;
  peildatum: string;
  knownAt: string;
  historyTopic: string;
  /** per partition, the end (exclusive) of the history read */
  historyEnds: Array<{ partition: number; offset: string }>;
}

export function parsePeildatum(text: string): EpochDay {
  const parsed = parseIsoDate(text);
  if (!parsed.ok) throw new SnapshotError(`peildatum ${JSON.stringify(text)} is not an existing date YYYY-MM-DD`);
  return toEpochDay(parsed.date);
}

/** The agreement's ages of one person for a snapshot: on its reference dates resolved against the peildatum. */
export function snapshotAges(ages: readonly AgeReference[], geboortedatum: EpochDay, peildatum: EpochDay) {
  return ages.map(({ label, at }) => {
    const day = resolveAgeAt(at, peildatum);
    return { label, peildatum: day, leeftijd: day < geboortedatum ? null : ageOn(geboortedatum, day) };
  });
}

/**
 * The recipient record of an enrolment in a snapshot, pure: applyAgreement of its latest known event at
 * knownAt, its ages moved to the peildatum. Null when the agreement leaves the enrolment out.
 */
export function snapshotRecord(
  event: RegisterEvent,
  agreement: Agreement,
  key: RecipientKey,
  query: BitemporalQuery,
): RecipientRecord | null {
  const made = applyAgreement(event, agreement, key, query.knownAt);
  if (made === null) return null;
  // leeftijden is null when the agreement does not list it (or a condition withheld it): leave it so
  if (made.record.leeftijden !== null && made.record.leeftijden !== undefined) {
    made.record.leeftijden = snapshotAges(agreement.ages, event.persoon.geboortedatum, query.peildatum);
  }
  return made;
}

/** A flat row of the snapshot table from a recipient record. */
export function snapshotRow(columns: readonly Column[], record: Record<string, unknown>): Record<string, unknown> {
  const row: Record<string, unknown> = {};
  for (const column of columns) row[column.spec.name] = column.value(record);
  return row;
}

/** The snapshot table's columns for an agreement, peildatum and knownAt. */
export function columnsFor(agreement: Agreement, peildatum: EpochDay, knownAt: EpochMillis): Column[] {
  const ages = agreement.ages.map(({ label, at }) => ({ label, peildatum: resolveAgeAt(at, peildatum) }));
  return [...snapshotIdentityColumns(peildatum, knownAt), ...snapshotColumns(recipientSchema(agreement), ages)];
}

function checkKnownAt(knownAt: Date): EpochMillis {
  const at = knownAt.getTime();
  if (!Number.isFinite(at)) throw new SnapshotError('known-at is not a valid instant');
  return at;
}

/**
 * The history read and folded: the standing enrolments' arena handles in row order (by the recipient's
 * enrolment pseudonym). A function of its own so that the fold (every enrolment's key and position) is
 * garbage once it returns, not kept alive by the rows' closure while the rows are made.
 */
async function foldHistory(
  options: SnapshotOptions & { historyTopic: string; key: RecipientKey },
  query: BitemporalQuery,
  counts: SnapshotCounts,
): Promise<{ standing: Int32Array; arena: ByteArena; ends: HistoryRead['ends'] }> {
  // per standing enrolment, the handle of its latest event's bytes in the arena
  const fold = createEnrolmentFold<number>(query);
  const arena = createByteArena();
  const read = await readHistory({
    bus: options.bus,
    admin: options.admin,
    registry: options.registry,
    topic: options.historyTopic,
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
    onEvent: (event, position, raw) => {
      // a copy: the record's bytes are a slice of the whole fetched batch, which must not stay alive
      const outcome = fold.add(changeOf(event, position), (previous) =>
        previous === null ? arena.add(raw) : arena.replace(previous, raw),
      );
      if (outcome === 'unknown-yet') counts.laterEvents++;
      else if (outcome !== 'ignored') counts.knownEvents++;
    },
  });
  counts.records = read.records;
  counts.undecodable = read.undecodable;
  counts.enrolments = fold.enrolments;
  counts.keptBytes = arena.bytes;

  const sortKeys: string[] = [];
  const handles: number[] = [];
  for (const [enrolment, handle] of fold.standing()) {
    const { soort, nummer, brin, volgnummer } = parseEnrolmentKey(enrolment);
    sortKeys.push(enrolmentPseudonymFor({ soort, nummer }, brin, volgnummer, options.key));
    handles.push(handle);
  }
  const order = Array.from(sortKeys.keys()).sort((a, b) => {
    const x = sortKeys[a] as string;
    const y = sortKeys[b] as string;
    return x < y ? -1 : x > y ? 1 : 0;
  });
  return { standing: Int32Array.from(order, (i) => handles[i] as number), arena, ends: read.ends };
}

/**
 * Reads the history to its end as of now, folds it, and gives the columns and the rows (made while they are
 * iterated, once). Counts of the read are final when this resolves; rows and withheld once the rows are read.
 */
export async function makeSnapshot(options: SnapshotOptions): Promise<Snapshot> {
  const { agreement, key, registry } = options;
  const query: BitemporalQuery = { peildatum: parsePeildatum(options.peildatum), knownAt: checkKnownAt(options.knownAt) };
  if (key === undefined) throw new SnapshotError(`no key for ${agreement.recipient}: without it nothing about a person goes out`);
  if (key.recipient !== agreement.recipient) throw new SnapshotError(`the key given is ${key.recipient}'s, not ${agreement.recipient}'s`);
  if (!isWithinTerm(agreement.term, query.knownAt)) {
    throw new SnapshotError(`the agreement of ${agreement.recipient} is not in force on ${new Date(query.knownAt).toISOString()}`);
  }
  const historyTopic = options.historyTopic ?? topics.events.name;
  const columns = columnsFor(agreement, query.peildatum, query.knownAt);

  const counts: SnapshotCounts = {
    records: 0,
    undecodable: 0,
    knownEvents: 0,
    laterEvents: 0,
    enrolments: 0,
    standing: 0,
    rows: 0,
    withheld: 0,
    keptBytes: 0,
  };
  const { standing, arena, ends } = await foldHistory({ ...options, historyTopic, key }, query, counts);
  counts.standing = standing.length;

  const readerSchema = loadAvroSchema('register-event.avsc');
  async function* rows(): AsyncGenerator<Record<string, unknown>> {
    for (let i = 0; i < standing.length; i++) {
      const event = await registry.decode<RegisterEvent>(arena.get(standing[i] as number), readerSchema);
      const made = snapshotRecord(event, agreement, key as RecipientKey, query);
      if (made === null) {
        counts.withheld++;
        continue;
      }
      counts.rows++;
      yield snapshotRow(columns, made.record);
    }
  }
  let iterated = false;
  return {
    columns: columns.map((column) => column.spec),
    rows: {
      [Symbol.asyncIterator]() {
        if (iterated) throw new Error('makeSnapshot: the rows can be read once');
        iterated = true;
        return rows();
      },
    },
    counts,
    recipient: agreement.recipient,
    peildatum: options.peildatum,
    knownAt: new Date(query.knownAt).toISOString(),
    historyTopic,
    historyEnds: ends,
  };
}

export type SnapshotFormat = 'parquet' | 'jsonl';

export interface WrittenSnapshot {
  path: string;
  format: SnapshotFormat;
  rows: number;
  sha256: string;
  bytes: number;
  snapshot: Snapshot;
}

/** makeSnapshot, written to a file (Parquet by default). The file appears whole or not at all. */
export async function writeSnapshot(
  options: SnapshotOptions & { out: string; format?: SnapshotFormat; onRows?: (rows: number) => void },
): Promise<WrittenSnapshot> {
  const format = options.format ?? 'parquet';
  const snapshot = await makeSnapshot(options);
  const written =
    format === 'parquet'
      ? await writeParquet(options.out, snapshot.columns, snapshot.rows, {
          ...(options.onRows === undefined ? {} : { onProgress: options.onRows }),
        })
      : await writeJsonl(options.out, snapshot.columns, snapshot.rows);
  return { path: options.out, format, rows: written.rows, sha256: written.sha256, bytes: written.bytes, snapshot };
}
