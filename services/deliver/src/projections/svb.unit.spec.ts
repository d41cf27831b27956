import { loadAgreements } from '@register-feeds/pseudonymise';
import { toEpochDay } from '@register-feeds/register-model';
import { describe, expect, it } from 'vitest';
import { BSN, OTHER_BSN, permutations, type RawOptions, recordFor } from './records.test-support.ts';
import { apply, checksum, emptyState, load, REMOVAL_MEMORY_DAYS, rows, type SvbRecord, type SvbState, size } from './svb.ts';
import { versionOf } from './version.ts';

const record = (options: RawOptions) => recordFor<SvbRecord>('svb-kostendelersnorm', options);

const voRegistered = record({ eventId: 'v1', eventType: 'InschrijvingGeregistreerd', on: '2025-08-20', sector: 'VO' });
const voChanged = record({
  eventId: 'v2',
  eventType: 'InschrijvingGewijzigd',
  on: '2025-10-01',
  sector: 'VO',
  inschrijving: { leerjaar: 6 },
});
const voEnded = record({
  eventId: 'v3',
  eventType: 'InschrijvingBeeindigd',
  on: '2026-07-20',
  sector: 'VO',
  inschrijving: { einddatum: '2026-07-17' },
});
const mboRegistered = record({
  eventId: 'm1',
  eventType: 'InschrijvingGeregistreerd',
  on: '2026-07-25',
  inschrijving: { brin: '30AB', begindatum: '2026-08-01' },
});
const mboRemoved = record({
  eventId: 'm2',
  eventType: 'InschrijvingVerwijderd',
  on: '2026-08-10',
  inschrijving: { brin: '30AB', begindatum: '2026-08-01' },
});

function fold(records: readonly SvbRecord[], state = emptyState()): SvbState {
  for (const r of records) apply(state, r);
  return state;
}

const rowFor = (state: SvbState, key: string) => rows(state).find(([k]) => k === key)?.[1];

/** A restart: the state rebuilt from its rows as the feed holds them. */
function rebuilt(state: SvbState): SvbState {
  const restored = emptyState();
  for (const [key, row] of structuredClone(rows(state))) load(restored, key, row);
  return restored;
}

const spans = (state: SvbState) =>
  rows(state).flatMap(([, row]) => row.enrolments.map((e) => [e.brin, e.inschrijvingsvolgnummer, e.begindatum, e.einddatum]));

describe('svb: enrolments with their span', () => {
  it('given a registered enrolment, when it ends, then the row has its begin and end date', () => {
    // given
    const state = fold([voRegistered]);
    expect(spans(state)).toEqual([['25LX', 'V1', toEpochDay('2025-08-01'), null]]);
    // when
    const changes = apply(state, voEnded);
    // then
    expect(changes).toEqual([
      {
        key: BSN,
        row: {
          nummer: BSN,
          soort: 'BSN',
          enrolments: [
            {
              brin: '25LX',
              inschrijvingsvolgnummer: 'V1',
              sector: 'VO',
              begindatum: toEpochDay('2025-08-01'),
              einddatum: toEpochDay('2026-07-17'),
              version: versionOf(voEnded),
            },
          ],
          verwijderd: [],
        },
      },
    ]);
  });

  it('given a past and a current enrolment, when read, then both are in the row, sorted', () => {
    // given / when
    const state = fold([mboRegistered, voRegistered, voEnded]);
    // then
    expect(spans(state)).toEqual([
      ['25LX', 'V1', toEpochDay('2025-08-01'), toEpochDay('2026-07-17')],
      ['30AB', 'A1', toEpochDay('2026-08-01'), null],
    ]);
    expect(size(state)).toBe(1);
  });

  it('given a student with an onderwijsnummer, when applied, then the row is keyed by it and says so', () => {
    // given / when
    const state = fold([record({ eventId: 'o1', eventType: 'InschrijvingGeregistreerd', on: '2025-08-20', onderwijsnummer: '101000012' })]);
    // then
    expect(rows(state).map(([key, row]) => [key, row.soort])).toEqual([['101000012', 'ONDERWIJSNUMMER']]);
  });
});

describe('svb: removal', () => {
  it('given two enrolments, when one is removed, then the other stays and an older record of the removed one changes nothing', () => {
    // given
    const state = fold([voRegistered, mboRegistered]);
    // when
    const changes = apply(state, mboRemoved);
    const late = apply(state, mboRegistered);
    // then
    expect(changes).toHaveLength(1);
    expect(changes[0]!.row?.enrolments.map((e) => e.brin)).toEqual(['25LX']);
    expect(changes[0]!.row?.verwijderd).toEqual([{ brin: '30AB', inschrijvingsvolgnummer: 'A1', version: versionOf(mboRemoved) }]);
    expect(late).toEqual([]);
  });

  // Changed for issue 12: the removal of a person's last enrolment stays in their row (enrolments empty), so
  // it holds after a rebuild from the feed as well; it used to make a tombstone and live in memory only.
  it('given a single enrolment, when it is removed, then the row keeps only the removal and a late older record does not bring it back', () => {
    // given
    const state = fold([mboRegistered]);
    // when
    const changes = apply(state, mboRemoved);
    const late = apply(state, mboRegistered);
    // then
    expect(changes).toEqual([
      {
        key: BSN,
        row: {
          nummer: BSN,
          soort: 'BSN',
          enrolments: [],
          verwijderd: [{ brin: '30AB', inschrijvingsvolgnummer: 'A1', version: versionOf(mboRemoved) }],
        },
      },
    ]);
    expect(late).toEqual([]);
    expect(size(state)).toBe(1);
  });

  it('given a removal that left a person without enrolments, when deliver restarts before a late older record, then the rows are those without the restart', () => {
    // given
    const uninterrupted = fold([mboRegistered, mboRemoved, mboRegistered]);
    // when
    const restarted = rebuilt(fold([mboRegistered, mboRemoved]));
    const late = apply(restarted, mboRegistered);
    // then
    expect(late).toEqual([]);
    expect(rows(restarted)).toEqual(rows(uninterrupted));
    expect(checksum(restarted)).toBe(checksum(uninterrupted));
  });

  // Changed for issue 12: a removal that arrives before the registration it removes (ingest can publish them
  // in that order) must refuse it after a restart too, so it is in the feed; it used to be in memory only.
  it('given a removal of an enrolment never seen, when applied, then the row holds only the removal and the older registration changes nothing', () => {
    // given
    const state = emptyState();
    // when
    const changes = apply(state, mboRemoved);
    // then
    expect(changes.map((c) => [c.key, c.row?.enrolments, c.row?.verwijderd.map((r) => r.brin)])).toEqual([[BSN, [], ['30AB']]]);
    expect(apply(state, mboRegistered)).toEqual([]);
    expect(apply(rebuilt(state), mboRegistered)).toEqual([]);
  });

  it('given a removed enrolment, when registered again later, then it is back', () => {
    // given
    const state = fold([voRegistered, mboRegistered, mboRemoved]);
    // when
    apply(state, record({ eventId: 'm3', eventType: 'InschrijvingGeregistreerd', on: '2026-08-20', inschrijving: { brin: '30AB' } }));
    // then
    expect(rows(state)[0]![1]).toMatchObject({ enrolments: [{ brin: '25LX' }, { brin: '30AB' }], verwijderd: [] });
  });
});

describe('svb: duplicates, order, rebuild', () => {
  const all = [voRegistered, voChanged, voEnded, mboRegistered, mboRemoved];

  it('given each record applied, when applied again, then there is no change', () => {
    const state = emptyState();
    for (const r of all) {
      apply(state, r);
      const before = checksum(state);
      expect(apply(state, structuredClone(r))).toEqual([]);
      expect(checksum(state)).toBe(before);
    }
  });

  it('given an ended enrolment, when the older change arrives after the end, then the end date stays', () => {
    // given
    const state = fold([voRegistered, voEnded]);
    // when
    const changes = apply(state, voChanged);
    // then
    expect(changes).toEqual([]);
    expect(spans(state)).toEqual([['25LX', 'V1', toEpochDay('2025-08-01'), toEpochDay('2026-07-17')]]);
  });

  it('given the records, when applied in every possible order, then every order ends with the same rows', () => {
    const expected = checksum(fold(all));
    expect(new Set(permutations(all).map((order) => checksum(fold(order))))).toEqual(new Set([expected]));
  });

  it('given the same records in the same order, when replayed into a fresh state, then the checksum is the same', () => {
    expect(checksum(fold(all))).toBe(checksum(fold(all)));
  });

  it('given a state, when its rows are loaded into an empty state, then the checksum is identical and removals still hold', () => {
    // given
    const state = fold(all);
    // when
    const rebuilt = emptyState();
    for (const [key, row] of structuredClone(rows(state))) load(rebuilt, key, row);
    // then
    expect(checksum(rebuilt)).toBe(checksum(state));
    expect(apply(rebuilt, mboRegistered)).toEqual([]);
    expect(apply(rebuilt, voChanged)).toEqual([]);
  });

  it('given a row read back and then its tombstone, when loaded, then the person is gone', () => {
    const rebuilt = emptyState();
    for (const [key, row] of rows(fold(all))) load(rebuilt, key, row);
    load(rebuilt, BSN, null);
    expect(rows(rebuilt)).toEqual([]);
  });
});

describe('svb: how long a removal is remembered', () => {
  const otherOn = (on: string) => record({ eventId: `x-${on}`, eventType: 'InschrijvingGeregistreerd', on, bsn: OTHER_BSN });
  // mboRemoved happened on 2026-08-10: REMOVAL_MEMORY_DAYS (365) later is 2027-08-10

  it('given the agreement, when its retention is read, then a removal is remembered no longer than DUO keeps its record', () => {
    const agreements = loadAgreements(new URL('../../../../agreements', import.meta.url).pathname);
    const svbAgreement = agreements.find((a) => a.recipient === 'svb-kostendelersnorm');
    expect(REMOVAL_MEMORY_DAYS).toBeLessThanOrEqual(svbAgreement!.retention.days);
  });

  it('given a removal, when the newest record is a day short of a year later, then the removal still holds', () => {
    // given
    const state = fold([mboRegistered, mboRemoved]);
    // when
    const changes = apply(state, otherOn('2027-08-09'));
    // then
    expect(changes.map((c) => c.key)).toEqual([OTHER_BSN]);
    expect(apply(state, mboRegistered)).toEqual([]);
  });

  it('given a removal that left nothing else, when the newest record is a year later, then the row is a tombstone in the same change list', () => {
    // given
    const state = fold([mboRegistered, mboRemoved]);
    // when
    const changes = apply(state, otherOn('2027-08-10'));
    // then
    expect(changes.map((c) => c.key)).toEqual([BSN, OTHER_BSN].sort());
    expect(changes).toContainEqual({ key: BSN, row: null });
    expect(rows(state).map(([key]) => key)).toEqual([OTHER_BSN]);
  });

  it('given a removal beside a current enrolment, when a year has passed, then it leaves verwijderd and the enrolment stays', () => {
    // given
    const state = fold([voRegistered, mboRegistered, mboRemoved]);
    // when
    apply(state, otherOn('2027-08-10'));
    // then
    expect(rowFor(state, BSN)).toMatchObject({ enrolments: [{ brin: '25LX' }], verwijderd: [] });
  });

  it('given a forgotten removal, when an older record of it arrives, then it is back, with or without a restart (the limit of the window)', () => {
    // given
    const state = fold([mboRegistered, mboRemoved, otherOn('2027-08-10')]);
    const restarted = rebuilt(state);
    // when
    apply(state, mboRegistered);
    apply(restarted, mboRegistered);
    // then
    expect(rowFor(state, BSN)?.enrolments.map((e) => e.brin)).toEqual(['30AB']);
    expect(checksum(restarted)).toBe(checksum(state));
  });

  it('given a removal already a year older than the newest record, when applied, then it is not remembered', () => {
    // given
    const state = fold([otherOn('2027-08-10')]);
    // when
    const changes = apply(state, mboRemoved);
    // then
    expect(changes).toEqual([]);
    expect(rows(state).map(([key]) => key)).toEqual([OTHER_BSN]);
  });
});
