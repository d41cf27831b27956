import { toEpochDay } from '@register-feeds/register-model';
import { describe, expect, it } from 'vitest';
import { apply, checksum, emptyState, type GgdRecord, type GgdState, load, rows, rowsOn, schoolKey, size, sweep } from './ggd.ts';
import { BSN, OTHER_BSN, permutations, type RawOptions, recordFor } from './records.test-support.ts';
import { versionOf } from './version.ts';

const record = (options: RawOptions) => recordFor<GgdRecord>('ggd-jeugdgezondheid', options);
const day = toEpochDay;

const VO_SCHOOL = '25LX|25LX01|';
// born 2008-06-15: 17 on 2026-03-01, 18 on 2026-06-15
const BORN = '2008-06-15';
const listed = record({ eventId: 'g1', eventType: 'InschrijvingGeregistreerd', on: '2026-03-01', sector: 'VO', geboortedatum: BORN });
const changed = record({
  eventId: 'g2',
  eventType: 'InschrijvingGewijzigd',
  on: '2026-04-01',
  sector: 'VO',
  geboortedatum: BORN,
  inschrijving: { leerjaar: 6 },
});
const ended = record({
  eventId: 'g3',
  eventType: 'InschrijvingBeeindigd',
  on: '2026-05-01',
  sector: 'VO',
  geboortedatum: BORN,
  inschrijving: { leerjaar: 6, einddatum: '2026-04-30' },
});
// another student of the same school, born 2010-01-01
const other = record({
  eventId: 'h1',
  eventType: 'InschrijvingGeregistreerd',
  on: '2026-03-02',
  sector: 'VO',
  bsn: OTHER_BSN,
  geboortedatum: '2010-01-01',
  inschrijving: { inschrijvingsvolgnummer: 'V2', leerjaar: 3 },
});

function fold(records: readonly GgdRecord[], state = emptyState()): GgdState {
  for (const r of records) apply(state, r);
  return state;
}

const studentsOf = (state: GgdState) => rows(state).map(([key, row]) => [key, row.students.map((s) => s.nummer)]);

describe('ggd: students under 18 per school', () => {
  it('given a 17-year-old, when enrolled, then the school lists them with the permitted fields', () => {
    // given
    const state = emptyState();
    // when
    const changes = apply(state, listed);
    // then
    expect(changes).toEqual([
      {
        key: VO_SCHOOL,
        row: {
          brin: '25LX',
          brinVestiging: '25LX01',
          locatiecodeMbo: null,
          students: [
            {
              nummer: BSN,
              naam: { voornamen: 'Test', voorvoegsel: null, achternaam: 'Persoon' },
              geboortedatum: day(BORN),
              sector: 'VO',
              leerweg: null,
              leerjaar: 5,
              groep: null,
              version: versionOf(listed),
            },
          ],
        },
      },
    ]);
    expect(VO_SCHOOL).toBe(schoolKey('25LX', '25LX01', null));
  });

  it('given an 18-year-old, when a record is asked for, then the GGD gets none at all (pseudonymise withholds it)', () => {
    expect(() =>
      record({ eventId: 'a1', eventType: 'InschrijvingGeregistreerd', on: '2026-03-01', sector: 'VO', geboortedatum: '2007-06-15' }),
    ).toThrow(/gets no record/);
  });

  it('given a PO and an MBO student, when enrolled, then groep is there for PO and leerweg for MBO, each under its school key', () => {
    // given / when
    const state = fold([
      record({ eventId: 'p1', eventType: 'InschrijvingGeregistreerd', on: '2025-09-01', sector: 'PO', geboortedatum: '2018-05-14' }),
      record({ eventId: 'm1', eventType: 'InschrijvingGeregistreerd', on: '2025-09-01', bsn: OTHER_BSN, geboortedatum: '2009-05-01' }),
    ]);
    // then
    expect(rows(state).map(([key, row]) => [key, row.students[0]?.groep, row.students[0]?.leerweg])).toEqual([
      ['25LX||LOC01', null, 'BBL'],
      ['99XA|99XA01|', 3, null],
    ]);
  });

  it('given two students, when one enrolment ends, then the school lists the other; when the other ends too, the school is a tombstone', () => {
    // given
    const state = fold([listed, other]);
    // when
    const first = apply(state, ended);
    // then
    expect(first.map((c) => c.row?.students.map((s) => s.nummer))).toEqual([[OTHER_BSN]]);
    // when
    const second = apply(
      state,
      record({
        eventId: 'h2',
        eventType: 'InschrijvingVerwijderd',
        on: '2026-05-02',
        sector: 'VO',
        bsn: OTHER_BSN,
        geboortedatum: '2010-01-01',
        inschrijving: { inschrijvingsvolgnummer: 'V2' },
      }),
    );
    // then
    expect(second).toEqual([{ key: VO_SCHOOL, row: null }]);
    expect(size(state)).toBe(0);
  });

  it('given an ended enrolment, when an older change arrives later, then the student stays off the list', () => {
    // given
    const state = fold([listed, ended]);
    // when
    const changes = apply(state, changed);
    // then
    expect(changes).toEqual([]);
    expect(rows(state)).toEqual([]);
  });

  it('given an MBO student, when the enrolment moves to another location, then they leave the old school and join the new one', () => {
    // given
    const base = { bsn: OTHER_BSN, geboortedatum: '2009-05-01' } as const;
    const state = fold([record({ ...base, eventId: 'm1', eventType: 'InschrijvingGeregistreerd', on: '2025-09-01' })]);
    // when
    const changes = apply(
      state,
      record({ ...base, eventId: 'm2', eventType: 'InschrijvingGewijzigd', on: '2025-11-01', inschrijving: { locatiecodeMbo: 'LOC02' } }),
    );
    // then
    expect(changes.map((c) => [c.key, c.row?.students.map((s) => s.nummer) ?? null])).toEqual([
      ['25LX||LOC01', null],
      ['25LX||LOC02', [OTHER_BSN]],
    ]);
  });
});

describe('ggd: turning 18', () => {
  it('given a listed 17-year-old, when swept the day before the 18th birthday, then they stay; on the birthday, they leave', () => {
    // given
    const state = fold([listed]);
    // when / then
    expect(sweep(state, day('2026-06-14'))).toEqual([]);
    expect(studentsOf(state)).toEqual([[VO_SCHOOL, [BSN]]]);
    expect(sweep(state, day('2026-06-15'))).toEqual([{ key: VO_SCHOOL, row: null }]);
    expect(rows(state)).toEqual([]);
  });

  it('given someone born on 29 February, when swept on 28 February and 1 March of the year they turn 18 (no leap year), then they leave on 1 March', () => {
    // given
    const state = fold([
      record({ eventId: 'f1', eventType: 'InschrijvingGeregistreerd', on: '2025-10-01', sector: 'VO', geboortedatum: '2008-02-29' }),
    ]);
    // when / then
    expect(rowsOn(state, day('2026-02-28'))).toHaveLength(1);
    expect(rowsOn(state, day('2026-03-01'))).toEqual([]);
    expect(sweep(state, day('2026-02-28'))).toEqual([]);
    expect(sweep(state, day('2026-03-01'))).toEqual([{ key: VO_SCHOOL, row: null }]);
  });

  it('given a listed student, when a record of someone else comes dated after their 18th birthday, then they leave the list', () => {
    // given
    const state = fold([listed]);
    const younger = record({
      eventId: 'g4',
      eventType: 'InschrijvingGeregistreerd',
      on: '2026-07-01',
      sector: 'VO',
      bsn: OTHER_BSN,
      geboortedatum: '2012-01-01',
    });
    // when
    const changes = apply(state, younger);
    // then
    expect(changes.map((c) => c.row?.students.map((s) => s.nummer))).toEqual([[OTHER_BSN]]);
  });

  it('given a sweep after the 18th birthday, when a record from before it arrives late, then the student is not listed again', () => {
    // given
    const state = emptyState();
    sweep(state, day('2026-06-15'));
    // when
    const changes = apply(state, listed);
    // then
    expect(changes).toEqual([]);
  });

  it('given a date, when swept twice, then the second sweep changes nothing, and an earlier date after it changes nothing either', () => {
    const state = fold([listed, other]);
    expect(sweep(state, day('2026-06-15'))).toHaveLength(1);
    expect(sweep(state, day('2026-06-15'))).toEqual([]);
    expect(sweep(state, day('2026-01-01'))).toEqual([]);
    expect(studentsOf(state)).toEqual([[VO_SCHOOL, [OTHER_BSN]]]);
  });

  it('given a listed student, when read on a date with rowsOn, then the state itself is not changed', () => {
    const state = fold([listed]);
    const before = checksum(state);
    expect(rowsOn(state, day('2026-06-15'))).toEqual([]);
    expect(checksum(state)).toBe(before);
  });
});

describe('ggd: duplicates, order, rebuild', () => {
  // the other student's record on 2026-07-01 shows that date has come: the first student is 18 by then
  const otherLater = record({
    eventId: 'h3',
    eventType: 'InschrijvingGewijzigd',
    on: '2026-07-01',
    sector: 'VO',
    bsn: OTHER_BSN,
    geboortedatum: '2010-01-01',
    inschrijving: { inschrijvingsvolgnummer: 'V2', leerjaar: 4 },
  });

  it('given each record applied, when applied again, then there is no change', () => {
    const state = emptyState();
    for (const r of [listed, other, changed, ended]) {
      apply(state, r);
      const before = checksum(state);
      expect(apply(state, structuredClone(r))).toEqual([]);
      expect(checksum(state)).toBe(before);
    }
  });

  it('given records of two students, when applied in every possible order, then every order ends with the same rows', () => {
    for (const records of [
      [listed, other, changed, ended],
      [listed, changed, other, otherLater],
    ]) {
      const expected = checksum(fold(records));
      expect(new Set(permutations(records).map((order) => checksum(fold(order))))).toEqual(new Set([expected]));
    }
    expect(studentsOf(fold([listed, changed, other, otherLater]))).toEqual([[VO_SCHOOL, [OTHER_BSN]]]);
  });

  it('given the same records in the same order, when replayed into a fresh state, then the checksum is the same', () => {
    const records = [listed, other, changed];
    expect(checksum(fold(records))).toBe(checksum(fold(records)));
  });

  it('given a state, when its rows are loaded into an empty state, then the checksum is identical and versions still hold', () => {
    // given
    const state = fold([listed, other, changed]);
    // when
    const rebuilt = emptyState();
    for (const [key, row] of structuredClone(rows(state))) load(rebuilt, key, row);
    // then
    expect(checksum(rebuilt)).toBe(checksum(state));
    expect(apply(rebuilt, listed)).toEqual([]);
    expect(apply(rebuilt, ended)).toEqual(apply(state, ended));
    expect(sweep(rebuilt, day('2026-06-15'))).toEqual(sweep(state, day('2026-06-15')));
    expect(checksum(rebuilt)).toBe(checksum(state));
  });

  it('given a school read back and then its tombstone, when loaded, then the school and its students are gone', () => {
    const rebuilt = emptyState();
    for (const [key, row] of rows(fold([listed, other]))) load(rebuilt, key, row);
    load(rebuilt, VO_SCHOOL, null);
    expect(rows(rebuilt)).toEqual([]);
    expect(sweep(rebuilt, day('2030-01-01'))).toEqual([]);
  });
});
