import { toEpochDay } from '@register-feeds/register-model';
import { describe, expect, it } from 'vitest';
import type { Change } from './projection.ts';
import { permutations, type RawOptions, recordFor } from './records.test-support.ts';
import {
  apply,
  bpvKey,
  checksum,
  emptyState,
  inschrijvingKey,
  load,
  rows,
  type StagemarktBpvRow,
  type StagemarktRecord,
  type StagemarktRow,
  type StagemarktState,
  size,
} from './stagemarkt.ts';
import { versionOf } from './version.ts';

const record = (options: RawOptions) => recordFor<StagemarktRecord>('sbb-stagemarkt', options);

const registered = record({ eventId: 'e1', eventType: 'InschrijvingGeregistreerd', on: '2025-08-20' });
const bpvRegistered = record({ eventId: 'b1', eventType: 'BpvGeregistreerd', on: '2025-09-01' });
const bpvChanged = record({ eventId: 'b2', eventType: 'BpvGewijzigd', on: '2025-10-01', bpv: { omvangUren: 480, codeKeuzedeel: 'K0125' } });
// from 2025-11-01 the enrolment is another programme at another location; later records carry it
const CHANGED = { opleidingscode: '25181', leerweg: 'BOL', niveau: 4, locatiecodeMbo: 'LOC02' };
const enrolmentChanged = record({ eventId: 'e2', eventType: 'InschrijvingGewijzigd', on: '2025-11-01', inschrijving: CHANGED });
const bpvEnded = record({
  eventId: 'b3',
  eventType: 'BpvBeeindigd',
  on: '2026-02-01',
  inschrijving: CHANGED,
  bpv: { omvangUren: 480, codeKeuzedeel: 'K0125', werkelijkeEinddatum: '2026-01-31' },
});
const bpvRemoved = record({ eventId: 'b4', eventType: 'BpvVerwijderd', on: '2026-03-01', inschrijving: CHANGED });

const pseudonym = registered.persoon.pseudonym;
const BPV_KEY = bpvKey(pseudonym, '25LX', 'A1', 1);
const ENROLMENT_KEY = inschrijvingKey(pseudonym, '25LX', 'A1');

function fold(records: readonly StagemarktRecord[], state = emptyState()): StagemarktState {
  for (const r of records) apply(state, r);
  return state;
}

const bpvOf = (state: StagemarktState, key = BPV_KEY) => rows(state).find(([k]) => k === key)?.[1] as StagemarktBpvRow | undefined;
const keysOf = (changes: Change<StagemarktRow>[]) => changes.map((change) => change.key);

describe('stagemarkt: the life of a BPV', () => {
  it('given an enrolment, when its BPV is registered, changed, ended and removed, then the status is actueel, actueel, beeindigd, verwijderd', () => {
    // given
    const state = fold([registered]);
    // when
    const statuses = [bpvRegistered, bpvChanged, bpvEnded, bpvRemoved].map((r) => {
      const changes = apply(state, r);
      return (changes.find((change) => change.key === BPV_KEY)?.row as StagemarktBpvRow).status;
    });
    // then
    expect(statuses).toEqual(['actueel', 'actueel', 'beeindigd', 'verwijderd']);
  });

  it('given a registered BPV, when read, then the row holds the permitted fields under its key', () => {
    // given / when
    const state = fold([registered, bpvRegistered]);
    // then
    expect(bpvOf(state)).toEqual({
      kind: 'bpv',
      pseudonym,
      leeftijd: 18,
      brin: '25LX',
      inschrijvingsvolgnummer: 'A1',
      opleidingscode: '25180',
      leertraject: 'BBL',
      niveau: 3,
      locatiecodeMbo: 'LOC01',
      bpvVolgnummer: 1,
      leerbedrijf: { id: 'LB1000', naam: 'Leerbedrijf BV' },
      opleidingscodeBpv: null,
      codeKeuzedeel: null,
      begindatum: toEpochDay('2025-09-01'),
      geplandeEinddatum: toEpochDay('2026-06-30'),
      werkelijkeEinddatum: null,
      omvangUren: 400,
      status: 'actueel',
      version: versionOf(bpvRegistered),
      removedVersion: null,
    });
    expect(BPV_KEY).toBe(`${pseudonym}|25LX|A1|1`);
    expect(size(state)).toBe(2);
  });

  it('given an ended BPV, when it is removed without details, then the row stays, verwijderd, with its last known details', () => {
    // given
    const state = fold([registered, bpvRegistered, bpvChanged, bpvEnded]);
    // when
    const changes = apply(state, bpvRemoved);
    // then: the BPV row, and the enrolment row, whose fields are now those of the newest record
    expect(keysOf(changes)).toEqual([ENROLMENT_KEY, BPV_KEY]);
    expect(changes[1]!.row).toMatchObject({
      status: 'verwijderd',
      omvangUren: 480,
      codeKeuzedeel: 'K0125',
      werkelijkeEinddatum: toEpochDay('2026-01-31'),
      leerbedrijf: { id: 'LB1000', naam: 'Leerbedrijf BV' },
      removedVersion: versionOf(bpvRemoved),
    });
  });

  it('given only an enrolment, when applied, then it is an enrolment row and no BPV row', () => {
    // given
    const state = emptyState();
    // when
    const changes = apply(state, registered);
    // then
    expect(changes).toEqual([
      {
        key: ENROLMENT_KEY,
        row: expect.objectContaining({ kind: 'inschrijving', status: 'actueel', opleidingscode: '25180', leertraject: 'BBL' }),
      },
    ]);
    expect(ENROLMENT_KEY).toBe(`inschrijving|${pseudonym}|25LX|A1`);
  });
});

describe('stagemarkt: enrolment changes', () => {
  it('given an enrolment with two BPVs, when the enrolment changes, then both BPV rows show the new enrolment fields', () => {
    // given
    const second = record({ eventId: 'b9', eventType: 'BpvGeregistreerd', on: '2025-09-02', bpv: { bpvVolgnummer: 2 } });
    const state = fold([registered, bpvRegistered, second]);
    // when
    const changes = apply(state, enrolmentChanged);
    // then
    const secondKey = bpvKey(pseudonym, '25LX', 'A1', 2);
    expect(keysOf(changes)).toEqual([ENROLMENT_KEY, BPV_KEY, secondKey]);
    for (const key of [BPV_KEY, secondKey]) {
      expect(bpvOf(state, key)).toMatchObject({
        opleidingscode: '25181',
        leertraject: 'BOL',
        niveau: 4,
        locatiecodeMbo: 'LOC02',
        status: 'actueel',
      });
    }
  });

  it('given an enrolment change, when an older BPV record of it arrives later, then the BPV starts with the remembered enrolment fields', () => {
    // given: the BPV record is from before the change and still names LOC01
    const olderBpv = record({ eventId: 'b0', eventType: 'BpvGeregistreerd', on: '2025-09-15', inschrijving: { locatiecodeMbo: 'LOC01' } });
    const state = fold([registered, enrolmentChanged]);
    // when
    apply(state, olderBpv);
    // then
    expect(bpvOf(state)).toMatchObject({
      locatiecodeMbo: 'LOC02',
      opleidingscode: '25181',
      omvangUren: 400,
      status: 'actueel',
    });
  });

  it('given an enrolment with a BPV, when the enrolment is removed, then the BPV row is verwijderd and an older BPV change arriving later changes nothing', () => {
    // given
    const state = fold([registered, bpvRegistered]);
    const removed = record({ eventId: 'e9', eventType: 'InschrijvingVerwijderd', on: '2025-12-01' });
    // when
    const changes = apply(state, removed);
    const late = apply(state, bpvChanged);
    // then
    expect(keysOf(changes)).toEqual([ENROLMENT_KEY, BPV_KEY]);
    expect(bpvOf(state)?.status).toBe('verwijderd');
    expect(rows(state).find(([key]) => key === ENROLMENT_KEY)?.[1]).toMatchObject({ status: 'verwijderd' });
    // the late change is older than the removal: its details are newer than the row's, but the removal still wins
    expect(late.map((change) => (change.row as StagemarktBpvRow).status)).toEqual(['verwijderd']);
  });

  it('given a removed enrolment, when a BPV record from before the removal arrives, then its row is verwijderd from the start', () => {
    // given
    const state = fold([registered, record({ eventId: 'e9', eventType: 'InschrijvingVerwijderd', on: '2025-12-01' })]);
    // when
    apply(state, bpvRegistered);
    // then
    expect(bpvOf(state)?.status).toBe('verwijderd');
  });
});

describe('stagemarkt: duplicates and order', () => {
  const life = [registered, bpvRegistered, bpvChanged, enrolmentChanged, bpvEnded, bpvRemoved];

  it('given each record applied, when it is applied again, then there is no change and the checksum stays', () => {
    // given
    const state = emptyState();
    for (const r of life) {
      apply(state, r);
      const before = checksum(state);
      // when
      const again = apply(state, structuredClone(r));
      // then
      expect(again).toEqual([]);
      expect(checksum(state)).toBe(before);
    }
  });

  it('given a BPV that ended, when the older change arrives after the end, then it is ignored and the row is the ended one', () => {
    // given
    const state = fold([registered, bpvRegistered, bpvEnded]);
    const inOrder = fold([registered, bpvRegistered, bpvChanged, bpvEnded]);
    // when
    const changes = apply(state, bpvChanged);
    // then
    expect(changes).toEqual([]);
    expect(bpvOf(state)).toMatchObject({ status: 'beeindigd', omvangUren: 480, werkelijkeEinddatum: toEpochDay('2026-01-31') });
    expect(checksum(state)).toBe(checksum(inOrder));
  });

  it('given the records of a life, when applied in every possible order, then every order ends with the same rows', () => {
    // given
    const expected = checksum(fold(life));
    // when
    const checksums = new Set(permutations(life).map((order) => checksum(fold(order))));
    // then
    expect(checksums).toEqual(new Set([expected]));
    expect(bpvOf(fold(life))).toMatchObject({ status: 'verwijderd', omvangUren: 480, locatiecodeMbo: 'LOC02' });
  });

  it('given the same records in the same order, when replayed into a fresh state, then the checksum and changes are the same', () => {
    // given
    const first = emptyState();
    const firstChanges = life.map((r) => apply(first, r));
    // when
    const second = emptyState();
    const secondChanges = life.map((r) => apply(second, r));
    // then
    expect(secondChanges).toEqual(firstChanges);
    expect(checksum(second)).toBe(checksum(first));
  });
});

describe('stagemarkt: rebuild from the feed', () => {
  it('given a state, when its rows are loaded into an empty state, then the checksum is identical and later records act the same', () => {
    // given
    const state = fold([registered, bpvRegistered, bpvChanged, enrolmentChanged]);
    // when
    const rebuilt = emptyState();
    for (const [key, row] of structuredClone(rows(state)).reverse()) load(rebuilt, key, row);
    // then
    expect(checksum(rebuilt)).toBe(checksum(state));
    expect(size(rebuilt)).toBe(size(state));
    expect(apply(rebuilt, bpvChanged)).toEqual([]);
    expect(apply(rebuilt, bpvEnded)).toEqual(apply(state, bpvEnded));
    expect(checksum(rebuilt)).toBe(checksum(state));
  });

  it('given a rebuilt enrolment row only, when its first BPV arrives, then the BPV row starts with the enrolment fields', () => {
    // given
    const state = fold([registered, enrolmentChanged]);
    const rebuilt = emptyState();
    for (const [key, row] of rows(state)) load(rebuilt, key, row);
    // when
    apply(rebuilt, record({ eventId: 'b0', eventType: 'BpvGeregistreerd', on: '2025-09-15' }));
    // then
    expect(bpvOf(rebuilt)).toMatchObject({ locatiecodeMbo: 'LOC02', opleidingscode: '25181' });
  });

  it('given a tombstone read after a row, when loaded, then the key is gone', () => {
    // given
    const state = fold([registered, bpvRegistered]);
    const rebuilt = emptyState();
    for (const [key, row] of rows(state)) load(rebuilt, key, row);
    // when
    load(rebuilt, BPV_KEY, null);
    // then
    expect(rows(rebuilt).map(([key]) => key)).toEqual([ENROLMENT_KEY]);
    expect(apply(rebuilt, enrolmentChanged).map((change) => change.key)).toEqual([ENROLMENT_KEY]);
  });
});
