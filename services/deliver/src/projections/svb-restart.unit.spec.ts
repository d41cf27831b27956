import { describe, expect, it } from 'vitest';
import { type SeededRandom, seededRandom } from '../seeded-random.test-support.ts';
import type { Change } from './projection.ts';
import { BSN, OTHER_BSN, type RawOptions, recordFor } from './records.test-support.ts';
import { apply, checksum, emptyState, load, rows, type SvbRecord, type SvbRow, type SvbState } from './svb.ts';

// Issue 12, as a property: the SVB projection's rows and checksum do not depend on whether deliver
// restarted, nor where. A restart rebuilds the state from the feed alone (load), then applies the records
// that come after. Seeded, so a failure is reproduced from its seed and case number:
// SVB_PROPERTY_SEED=<seed> SVB_PROPERTY_CASES=<n> npx vitest run --project unit <this file>

const SEED = Number(process.env.SVB_PROPERTY_SEED ?? 20260612);
const CASES = Number(process.env.SVB_PROPERTY_CASES ?? 400);
const FIRST_DAY = Date.UTC(2025, 7, 1);
const DAY_MS = 86_400_000;

const PERSONS: Pick<RawOptions, 'bsn' | 'onderwijsnummer'>[] = [{ bsn: BSN }, { bsn: OTHER_BSN }, { onderwijsnummer: '101000012' }];
const ENROLMENTS = [
  { brin: '25LX', inschrijvingsvolgnummer: 'A1' },
  { brin: '30AB', inschrijvingsvolgnummer: 'A1' },
  { brin: '25LX', inschrijvingsvolgnummer: 'A2' },
];

const dateOf = (day: number) => new Date(FIRST_DAY + day * DAY_MS).toISOString().slice(0, 10);

/**
 * The life of one case's enrolments in the order it happened: registered, changed, ended, removed,
 * registered again; several changes on one day now and then (ties broken by recordId). span: how many
 * days the case covers (long spans let removals age past what the projection remembers).
 */
function history(r: SeededRandom, caseNo: number, span: number): SvbRecord[] {
  const records: SvbRecord[] = [];
  const persons = r.shuffle(PERSONS).slice(0, 1 + r.int(2));
  for (const person of persons) {
    for (const enrolment of r.shuffle(ENROLMENTS).slice(0, 1 + r.int(3))) {
      let day = r.int(span);
      let removed = false;
      const steps = 1 + r.int(5);
      for (let step = 0; step < steps; step++) {
        const eventType: RawOptions['eventType'] =
          step === 0
            ? r.next() < 0.2
              ? 'InschrijvingVerwijderd' // now and then the removal of an enrolment never registered
              : 'InschrijvingGeregistreerd'
            : removed
              ? 'InschrijvingGeregistreerd' // registered again after its removal
              : r.pick(['InschrijvingGewijzigd', 'InschrijvingBeeindigd', 'InschrijvingVerwijderd', 'InschrijvingVerwijderd']);
        removed = eventType === 'InschrijvingVerwijderd';
        const on = dateOf(day);
        const inschrijving: Record<string, unknown> = { ...enrolment, begindatum: '2025-08-01' };
        if (eventType === 'InschrijvingBeeindigd') inschrijving.einddatum = on;
        records.push(
          recordFor<SvbRecord>('svb-kostendelersnorm', {
            eventId: `c${caseNo}-${records.length}`,
            eventType,
            on,
            ...person,
            inschrijving,
          }),
        );
        day += r.next() < 0.25 ? 0 : 1 + r.int(Math.max(1, Math.floor(span / 4)));
      }
    }
  }
  return records.sort((a, b) => a.occurredOn - b.occurredOn);
}

/** How the records arrive: shuffled, or late older records moved back, and some of them twice. */
function arrival(r: SeededRandom, records: readonly SvbRecord[]): SvbRecord[] {
  let order: SvbRecord[];
  switch (r.int(3)) {
    case 0:
      order = r.shuffle(records);
      break;
    case 1: {
      order = [...records];
      for (let late = r.int(4); late > 0 && order.length > 1; late--) {
        const [record] = order.splice(r.int(order.length - 1), 1);
        order.splice(r.int(order.length + 1), 0, record as SvbRecord);
      }
      break;
    }
    default:
      order = [...records].reverse();
  }
  for (let duplicates = r.int(4); duplicates > 0; duplicates--) order.splice(r.int(order.length + 1), 0, structuredClone(r.pick(records)));
  return order;
}

function fold(records: readonly SvbRecord[], state: SvbState = emptyState()): SvbState {
  for (const record of records) apply(state, record);
  return state;
}

/** What a restart reads back: the rows, through JSON like the feed, loaded into an empty state. */
function restored(state: SvbState): SvbState {
  const rebuilt = emptyState();
  for (const [key, row] of JSON.parse(JSON.stringify(rows(state))) as [string, SvbRow][]) load(rebuilt, key, row);
  return rebuilt;
}

/** The compacted feed: the last change per key, tombstones dropped. */
function feedOf(changes: readonly Change<SvbRow>[]): [string, SvbRow][] {
  const latest = new Map<string, SvbRow>();
  for (const { key, row } of changes) {
    if (row === null) latest.delete(key);
    else latest.set(key, row);
  }
  return [...latest].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

const cases = Array.from({ length: CASES }, (_, caseNo) => {
  const r = seededRandom(SEED + caseNo);
  // half of the cases span years, so removals grow older than the projection remembers them
  const span = r.next() < 1 / 2 ? 1200 : 60;
  const records = history(r, caseNo, span);
  return { caseNo, r, records, order: arrival(r, records), span };
});

describe(`svb: restarts change nothing (seed ${SEED}, ${CASES} cases)`, () => {
  it('given any arrival order, when deliver restarts after any record, then the rows and checksum are those of the run without a restart', () => {
    for (const { caseNo, order } of cases) {
      const uninterrupted = fold(order);
      const expectedRows = rows(uninterrupted);
      const expectedChecksum = checksum(uninterrupted);
      for (let split = 0; split <= order.length; split++) {
        // given: the state rebuilt from the feed after the first `split` records
        const state = restored(fold(order.slice(0, split)));
        // when: the rest arrives
        fold(order.slice(split), state);
        // then
        const where = `case ${caseNo}, restart after ${split} of ${order.length} records`;
        expect(rows(state), where).toEqual(expectedRows);
        expect(checksum(state), where).toBe(expectedChecksum);
      }
    }
  });

  it('given any arrival order, when deliver restarts several times, then the rows are those of the run without a restart', () => {
    for (const { caseNo, r, order } of cases) {
      const expected = checksum(fold(order));
      const restarts = new Set(Array.from({ length: 1 + r.int(4) }, () => r.int(order.length + 1)));
      let state = emptyState();
      order.forEach((record, i) => {
        if (restarts.has(i)) state = restored(state);
        apply(state, record);
      });
      expect(checksum(state), `case ${caseNo}, restarts before records ${[...restarts].sort((a, b) => a - b).join(', ')}`).toBe(expected);
    }
  });

  it('given any arrival order, when the changes are written to a compacted feed, then the feed holds exactly the rows', () => {
    for (const { caseNo, order } of cases) {
      const state = emptyState();
      const changes: Change<SvbRow>[] = [];
      order.forEach((record, i) => {
        changes.push(...structuredClone(apply(state, record)));
        expect(feedOf(changes), `case ${caseNo}, after record ${i + 1} of ${order.length}`).toEqual(rows(state));
      });
    }
  });

  it('given records within a year of each other, when they arrive in any order, then the rows are the same', () => {
    for (const { caseNo, r, records, span } of cases) {
      if (span > 300) continue;
      const expected = checksum(fold(records));
      for (let shuffle = 0; shuffle < 4; shuffle++) {
        expect(checksum(fold(arrival(r, records))), `case ${caseNo}, order ${shuffle}`).toBe(expected);
      }
    }
  });
});
