import { describe, expect, it } from 'vitest';
import { projectionKinds } from './kinds.ts';
import type { Projection } from './projection.ts';
import { BSN, OTHER_BSN, type RawOptions, recordFor } from './records.test-support.ts';

// Whether instances may split a projection's input partitions (`writers: shared`) follows from where its
// rows come from: every row a record changes must be a row only that record's person (the recipient
// topic's key) ever changes. Otherwise two instances folding different partitions write the same row from
// different states, and the last write drops the other's change (`writers: single`).

const student = (bsn: string, extra: Partial<RawOptions> = {}): RawOptions => ({
  eventId: `kinds-${bsn === BSN ? 'a' : 'b'}-${extra.eventType ?? 'reg'}-${extra.on ?? 'x'}`,
  eventType: 'InschrijvingGeregistreerd',
  on: '2026-02-02',
  sector: 'MBO',
  bsn,
  geboortedatum: '2010-05-14',
  inschrijving: { inschrijvingsvolgnummer: bsn === BSN ? 'A1' : 'B1' },
  ...extra,
});

/** the Kafka key pseudonymise gives the record: the pseudonym, else the number */
const keyOf = (record: unknown) => {
  const persoon = (record as { persoon: { pseudonym?: string; nummer?: string } }).persoon;
  return persoon.pseudonym ?? persoon.nummer!;
};

/** Applies one person's records, then the other's; the row keys the second person's records changed that the first one's made. */
function rowsTakenOver(projection: Projection<unknown>, first: RawOptions[], second: RawOptions[]): string[] {
  const state = projection.emptyState();
  const madeByFirst = new Set<string>();
  for (const options of first)
    for (const change of projection.apply(state, recordFor(projection.recipient, options))) madeByFirst.add(change.key);
  const taken: string[] = [];
  for (const options of second) {
    const record = recordFor(projection.recipient, options);
    expect(keyOf(record)).not.toBe(keyOf(recordFor(projection.recipient, first[0]!)));
    for (const change of projection.apply(state, record)) if (madeByFirst.has(change.key)) taken.push(change.key);
  }
  return taken;
}

describe('which projections instances may share', () => {
  it('stagemarkt is shared: no record changes a row another person’s records made', () => {
    const projection = projectionKinds.stagemarkt.make('sbb-stagemarkt');
    const bpv = (bsn: string, on: string) => student(bsn, { eventType: 'BpvGeregistreerd', on });
    expect(projectionKinds.stagemarkt.writers).toBe('shared');
    expect(rowsTakenOver(projection, [student(BSN), bpv(BSN, '2026-02-10')], [student(OTHER_BSN), bpv(OTHER_BSN, '2026-02-11')])).toEqual(
      [],
    );
  });

  it('svb is single: a record more than a year later ages out another person’s removal, in that person’s row', () => {
    const projection = projectionKinds.svb.make('svb-kostendelersnorm');
    const removed = [student(BSN), student(BSN, { eventType: 'InschrijvingVerwijderd', on: '2026-03-02' })];
    expect(rowsTakenOver(projection, removed, [student(OTHER_BSN, { on: '2027-05-03' })])).toEqual([BSN]);
    expect(projectionKinds.svb.writers).toBe('single');
  });

  it('ggd is single: two students of one school share its row', () => {
    const projection = projectionKinds.ggd.make('ggd-jeugdgezondheid');
    const taken = rowsTakenOver(projection, [student(BSN)], [student(OTHER_BSN)]);
    expect(taken).toHaveLength(1);
    expect(projectionKinds.ggd.writers).toBe('single');
  });

  it('only a single-writer kind keeps house (housekeeping touches rows of every partition)', () => {
    for (const kind of Object.values(projectionKinds)) {
      if ('housekeeping' in kind) expect(kind.writers).toBe('single');
    }
  });

  it('makes a projection under the recipient id it is given, for a second recipient of a kind', () => {
    const projection = projectionKinds.stagemarkt.make('sbb-regio-noord');
    expect(projection.recipient).toBe('sbb-regio-noord');
    expect(projectionKinds.stagemarkt.make('sbb-stagemarkt').recipient).toBe('sbb-stagemarkt');
  });
});
