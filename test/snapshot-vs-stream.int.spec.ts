import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Agreement,
  createKeyStore,
  enrolmentPseudonymFor,
  generateTestKeys,
  loadAgreements,
  type RecipientKey,
  recordIdFor,
  resolveAgeAt,
  settings,
  startPseudonymise,
} from '@register-feeds/pseudonymise';
import { fromEpochDay, type RegisterEvent, toEpochDay } from '@register-feeds/register-model';
import { type Admin, createLogger, loadConfig } from '@register-feeds/service-kit';
import { ageColumnName, columnsFor, snapshotRow, type WrittenSnapshot, writeSnapshot } from '@register-feeds/snapshot';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recipientTopicOf } from './support/agreements.ts';
import { publishCanonical } from './support/canonical.ts';
import { bsn, day, enrolmentEvent } from './support/enrolment-events.ts';
import { readJsonl } from './support/jsonl.ts';
import { pseudonymiseTestEnv } from './support/pseudonymise-env.ts';
import { groupCaughtUp, readAll, testLogLevel, testStack, uniqueName } from './support/stack.ts';

// Issue 11: "the snapshot pseudonyms equal the stream's for the same person and recipient". A hand-made
// canonical history goes through the REAL pseudonymise pipeline (in-process, its own topics behind
// RECIPIENT_TOPIC_PREFIX), and through the snapshot tool, with the same Minister's key; each snapshot row must
// be, pseudonyms, record id and fields, the record the stream published for the enrolment's latest event.
// test/snapshot.int.spec.ts compares rows with applyAgreement; this one with what the service actually sent.

const { bus, registry, brokers, registryUrl } = testStack();
const minister = loadAgreements(new URL('../agreements/', import.meta.url).pathname).find(
  (a) => a.recipient === 'ocw-minister',
) as Agreement;
const keys = createKeyStore(generateTestKeys(['ocw-minister']));
const key = keys.keyFor('ocw-minister') as RecipientKey;
const PEILDATUM = '2026-10-01';
const KNOWN_AT = new Date('2026-11-20T00:00:00Z'); // after every event of the history: the definitive view

// Persons, each with enrolment (n, 25LX, 1) unless said otherwise; all MBO, so the Minister gets every event.
const TWICE_ONE_DAY = 1; // registered 10 Aug; niveau 3 at 10:00 and niveau 2 at 14:00 on 20 Sep: in, as the 14:00 change
const CORRECTED = 2; // registered to start 10 Oct; a correction on 20 Oct moves the start to 1 Sep: in, as the correction
const REMOVED = 3; // registered, then removed (Verwijderd): never existed, out; the stream sent both
const ENDED = 4; // ended on 30 September: out
const TWO_ENROLMENTS = 5; // (5, 25LX, 1) registered on 1 July 2026, in the previous study year; (5, 30AB, 2) changed 5 Oct: both in
const LATE_START = 6; // starts 2 Oct: out
const CHANGED_AFTER = 7; // leerweg BBL from 10 Nov (after the peildatum, before the knowledge time): in, as that change

const history: RegisterEvent[] = [
  enrolmentEvent(TWICE_ONE_DAY, 'InschrijvingGeregistreerd', '2026-08-10T08:00:00Z'),
  enrolmentEvent(TWICE_ONE_DAY, 'InschrijvingGewijzigd', '2026-09-20T08:00:00Z', { niveau: 3 }),
  enrolmentEvent(TWICE_ONE_DAY, 'InschrijvingGewijzigd', '2026-09-20T12:00:00Z', { niveau: 2 }),
  enrolmentEvent(CORRECTED, 'InschrijvingGeregistreerd', '2026-09-01T08:00:00Z', { begindatum: day('2026-10-10') }),
  enrolmentEvent(CORRECTED, 'InschrijvingGewijzigd', '2026-10-20T10:00:00Z', { begindatum: day('2026-09-01') }),
  enrolmentEvent(REMOVED, 'InschrijvingGeregistreerd', '2026-08-10T08:00:00Z'),
  enrolmentEvent(REMOVED, 'InschrijvingVerwijderd', '2026-09-15T08:00:00Z'),
  enrolmentEvent(ENDED, 'InschrijvingGeregistreerd', '2026-08-02T08:00:00Z'),
  enrolmentEvent(ENDED, 'InschrijvingBeeindigd', '2026-10-03T08:00:00Z', { einddatum: day('2026-09-30') }),
  enrolmentEvent(TWO_ENROLMENTS, 'InschrijvingGeregistreerd', '2026-07-01T08:00:00Z'),
  enrolmentEvent(TWO_ENROLMENTS, 'InschrijvingGeregistreerd', '2026-09-01T08:00:00Z', {
    brin: '30AB',
    inschrijvingsvolgnummer: '2',
    begindatum: day('2026-09-01'),
  }),
  enrolmentEvent(TWO_ENROLMENTS, 'InschrijvingGewijzigd', '2026-10-05T08:00:00Z', {
    brin: '30AB',
    inschrijvingsvolgnummer: '2',
    begindatum: day('2026-09-01'),
    opleidingscode: '25190',
  }),
  enrolmentEvent(LATE_START, 'InschrijvingGeregistreerd', '2026-09-29T08:00:00Z', { begindatum: day('2026-10-02') }),
  enrolmentEvent(CHANGED_AFTER, 'InschrijvingGeregistreerd', '2026-08-12T08:00:00Z'),
  enrolmentEvent(CHANGED_AFTER, 'InschrijvingGewijzigd', '2026-11-10T08:00:00Z', { leerweg: 'BBL' }),
];

interface Enrolment {
  n: number;
  brin: string;
  volgnummer: string;
}
const PERSONS = [TWICE_ONE_DAY, CORRECTED, REMOVED, ENDED, TWO_ENROLMENTS, LATE_START, CHANGED_AFTER];
const enrolmentOfEvent = (e: RegisterEvent): Enrolment => ({
  n: PERSONS.find((n) => bsn(n) === e.persoon.identificatie.nummer) as number,
  brin: e.inschrijving.brin,
  volgnummer: e.inschrijving.inschrijvingsvolgnummer,
});
const sameEnrolment = (a: Enrolment, b: Enrolment) => a.n === b.n && a.brin === b.brin && a.volgnummer === b.volgnummer;
/** The recipient's pseudonym of an enrolment: how a snapshot row is told apart. */
const enrolmentPseudonym = (e: Enrolment) => enrolmentPseudonymFor({ soort: 'BSN', nummer: bsn(e.n) }, e.brin, e.volgnummer, key);
/** The enrolment's last event known at KNOWN_AT (the history is in the register's order per enrolment). */
const latestOf = (e: Enrolment) =>
  history.filter((x) => sameEnrolment(enrolmentOfEvent(x), e) && x.occurredAt <= KNOWN_AT.getTime()).at(-1) as RegisterEvent;

const STANDING: Enrolment[] = [
  { n: TWICE_ONE_DAY, brin: '25LX', volgnummer: '1' },
  { n: CORRECTED, brin: '25LX', volgnummer: '1' },
  { n: TWO_ENROLMENTS, brin: '25LX', volgnummer: '1' },
  { n: TWO_ENROLMENTS, brin: '30AB', volgnummer: '2' },
  { n: CHANGED_AFTER, brin: '25LX', volgnummer: '1' },
];

interface StreamRecord {
  recordId: string;
  eventType: string;
  persoon: { pseudonym: string };
  inschrijving: Record<string, unknown> & { inschrijvingPseudonym: string };
  leeftijden: Array<{ label: string; peildatum: number; leeftijd: number | null }>;
  [field: string]: unknown;
}

const id = uniqueName('snapshot-stream');
const config = loadConfig(settings, pseudonymiseTestEnv({ id, brokers, registryUrl })); // the keys are handed over in-process
const recipientTopic = recipientTopicOf(config.recipientTopicPrefix, minister);

let admin: Admin;
let dir: string;
let stream: StreamRecord[];
let snapshot: WrittenSnapshot;
let rows: Array<Record<string, unknown>>;

beforeAll(async () => {
  admin = await bus.admin();
  dir = mkdtempSync(join(tmpdir(), 'snapshot-stream-'));
  await publishCanonical(bus, registry, config.eventsTopic, history);

  // the service as it runs, with only the Minister's agreement: the other recipients change nothing of its records
  const pipeline = await startPseudonymise({
    config,
    agreements: [minister],
    keys,
    bus,
    registry,
    logger: createLogger({ service: 'test', level: testLogLevel() }),
  });
  try {
    await groupCaughtUp(admin, config.groupId, config.eventsTopic);
  } finally {
    await pipeline.stop();
  }
  stream = await Promise.all((await readAll(bus, admin, recipientTopic)).map((m) => registry.decode<StreamRecord>(m.value!)));

  snapshot = await writeSnapshot({
    bus,
    admin,
    registry,
    agreement: minister,
    key,
    peildatum: PEILDATUM,
    knownAt: KNOWN_AT,
    historyTopic: config.eventsTopic,
    out: join(dir, 'minister.jsonl'),
    format: 'jsonl',
  });
  rows = readJsonl(snapshot.path);
}, 60_000);

afterAll(async () => {
  await admin.deleteTopics([config.eventsTopic, config.deadLetterTopic, config.auditTopic, recipientTopic]).catch(() => {});
  await admin.disconnect();
  rmSync(dir, { recursive: true, force: true });
});

describe("the Minister's 1 October snapshot beside the records the pseudonymise service published", () => {
  const recordOf = (recordId: unknown) => stream.find((r) => r.recordId === recordId);
  const eventOfRecord = (r: StreamRecord) => history.find((e) => recordIdFor(e.eventId, key) === r.recordId);
  const standingOf = (row: Record<string, unknown>) =>
    STANDING.find((e) => enrolmentPseudonym(e) === row.inschrijving_inschrijvingPseudonym) as Enrolment;

  it('the stream has one record per event, the snapshot one row per standing enrolment', () => {
    // every event is MBO and of a type the Minister receives: the removed, ended and late enrolments too
    expect(stream).toHaveLength(history.length);
    expect(new Set(stream.map(eventOfRecord))).toEqual(new Set(history));
    expect(snapshot.snapshot.counts).toMatchObject({ records: history.length, undecodable: 0, laterEvents: 0, rows: STANDING.length });
    expect(rows.map((row) => row.inschrijving_inschrijvingPseudonym).sort()).toEqual(STANDING.map(enrolmentPseudonym).sort());
  });

  it("each row is the stream's record of the enrolment's latest event: record id, pseudonyms, every field but the ages", () => {
    const peildatum = toEpochDay(PEILDATUM);
    // the stream record in the snapshot's columns, so values are compared column by column (dates as ISO text)
    const columns = columnsFor(minister, peildatum, KNOWN_AT.getTime());
    // Not comparable: the ages (a snapshot takes them on the reference dates of the peildatum's year, the stream
    // on those of the event's study year; compared in the next test), and peildatum and known_at, which say which
    // snapshot a row is of and are not in the stream.
    const comparable = columns
      .map((c) => c.spec.name)
      .filter((name) => !name.startsWith('leeftijd_') && name !== 'peildatum' && name !== 'known_at');
    expect(comparable).toEqual(
      expect.arrayContaining([
        'recordId',
        'eventType',
        'occurredOn',
        'order_token',
        'persoon_pseudonym',
        'inschrijving_brin',
        'inschrijving_inschrijvingPseudonym',
        'inschrijving_begindatum',
      ]),
    );
    for (const row of rows) {
      const enrolment = standingOf(row);
      const latest = latestOf(enrolment);
      const record = recordOf(row.recordId);
      // the record id occurs in the stream, on the record of the enrolment's latest known event
      expect(record, `row of person ${enrolment.n}`).toBeDefined();
      expect(eventOfRecord(record as StreamRecord)).toBe(latest);
      expect(row.persoon_pseudonym).toBe(record?.persoon.pseudonym);
      expect(row.inschrijving_inschrijvingPseudonym).toBe(record?.inschrijving.inschrijvingPseudonym);
      expect(row.inschrijving_begindatum).toBe(fromEpochDay(record?.inschrijving.begindatum as number));
      const streamRow = snapshotRow(columns, record as StreamRecord);
      for (const name of comparable) expect([name, row[name]]).toEqual([name, streamRow[name]]);
    }
    // the cases the history was made for: the later of two changes on one day, the late correction, the change after the peildatum
    const rowOf = (n: number) => rows.find((row) => standingOf(row).n === n);
    expect(rowOf(TWICE_ONE_DAY)).toMatchObject({ inschrijving_niveau: 2, occurredOn: '2026-09-20' });
    expect(rowOf(CORRECTED)).toMatchObject({ inschrijving_begindatum: '2026-09-01', eventType: 'InschrijvingGewijzigd' });
    expect(rowOf(CHANGED_AFTER)).toMatchObject({ inschrijving_leerweg: 'BBL', occurredOn: '2026-11-10' });
  });

  it('ages: equal where the stream took them on the same dates; the enrolment of the previous study year has them a year earlier', () => {
    const peildatum = toEpochDay(PEILDATUM);
    let sameDates = 0;
    for (const row of rows) {
      const record = recordOf(row.recordId) as StreamRecord;
      const snapshotAges = minister.ages.map(({ label }) => row[ageColumnName(label)]);
      // born a few days after 1 Oct 2008: 17 on 1 Aug, 30 Sep and 1 Oct 2026, 18 on 31 Dec 2026
      expect(snapshotAges).toEqual([17, 17, 17, 18]);
      const streamDates = record.leeftijden.map((a) => a.peildatum);
      const snapshotDates = minister.ages.map(({ at }) => resolveAgeAt(at, peildatum));
      if (streamDates.join() === snapshotDates.join()) {
        sameDates++;
        expect(record.leeftijden.map((a) => a.leeftijd)).toEqual(snapshotAges);
      } else {
        // only (5, 25LX, 1), registered on 1 July 2026: the stream gave its ages on the dates of 2025
        expect(standingOf(row)).toEqual({ n: TWO_ENROLMENTS, brin: '25LX', volgnummer: '1' });
        expect(streamDates.map(fromEpochDay)).toEqual(['2025-08-01', '2025-09-30', '2025-10-01', '2025-12-31']);
        expect(record.leeftijden.map((a) => a.leeftijd)).toEqual([16, 16, 16, 17]);
      }
    }
    expect(sameDates).toBe(rows.length - 1);
  });

  it('a person in the snapshot has one pseudonym across all their stream records and rows', () => {
    for (const n of new Set(STANDING.map((e) => e.n))) {
      const records = stream.filter((r) => eventOfRecord(r)?.persoon.identificatie.nummer === bsn(n));
      expect(records).toHaveLength(history.filter((e) => e.persoon.identificatie.nummer === bsn(n)).length);
      const personRows = rows.filter((row) => standingOf(row).n === n);
      expect(personRows.length).toBeGreaterThan(0);
      const pseudonyms = new Set([...records.map((r) => r.persoon.pseudonym), ...personRows.map((row) => row.persoon_pseudonym)]);
      expect(pseudonyms.size, `person ${n}`).toBe(1);
    }
    // and different persons have different pseudonyms: the five rows are of four persons
    expect(new Set(rows.map((row) => row.persoon_pseudonym)).size).toBe(4);
  });

  it('the removed, the ended and the late enrolment are in the stream and not in the snapshot', () => {
    for (const n of [REMOVED, ENDED, LATE_START]) {
      const pseudonym = stream.find((r) => eventOfRecord(r)?.persoon.identificatie.nummer === bsn(n))?.persoon.pseudonym;
      expect(pseudonym, `person ${n}`).toMatch(/^v1\./);
      expect(rows.map((row) => row.persoon_pseudonym)).not.toContain(pseudonym);
    }
  });
});
