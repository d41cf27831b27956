import { toEpochDay } from '@register-feeds/register-model';
import { describe, expect, it } from 'vitest';
import { createEnrolmentFold, type EnrolmentChange, enrolmentKey, isLaterThan, parseEnrolmentKey, standsOn } from './bitemporal.ts';

const day = (iso: string) => toEpochDay(iso);
const at = (iso: string) => Date.parse(iso);
const PEILDATUM = day('2026-10-01');
const NOV_15 = at('2026-11-15T00:00:00Z');

let offset = 0;
function change(enrolment: string, overrides: Partial<EnrolmentChange> = {}): EnrolmentChange {
  return {
    eventType: 'InschrijvingGeregistreerd',
    occurredAt: at('2026-09-01T10:00:00Z'),
    enrolment,
    begindatum: day('2026-08-01'),
    einddatum: null,
    partition: 0,
    offset: offset++,
    ...overrides,
  };
}

/** The standing enrolments with their kept values, sorted, after adding the changes in this order. */
function standingAfter(changes: EnrolmentChange[], knownAt = NOV_15): Array<[string, string]> {
  const fold = createEnrolmentFold<string>({ peildatum: PEILDATUM, knownAt });
  for (const c of changes) fold.add(c, () => `${c.enrolment}@${c.partition}:${c.offset}`);
  return [...fold.standing()].sort(([a], [b]) => (a < b ? -1 : 1));
}

describe('valid time: standsOn the peildatum', () => {
  it.each([
    ['starting the day before', '2026-09-30', null, true],
    ['starting on the peildatum', '2026-10-01', null, true],
    ['starting the day after', '2026-10-02', null, false],
    ['ended on 30 September', '2026-08-01', '2026-09-30', false],
    ['ended on the peildatum itself', '2026-08-01', '2026-10-01', true],
    ['ending later', '2026-08-01', '2027-07-31', true],
  ])('%s', (_, begin, end, expected) => {
    expect(
      standsOn({ eventType: 'InschrijvingGewijzigd', begindatum: day(begin), einddatum: end === null ? null : day(end) }, PEILDATUM),
    ).toBe(expected);
  });

  it('a removed enrolment never stood, whatever its dates', () => {
    expect(standsOn({ eventType: 'InschrijvingVerwijderd', begindatum: day('2026-08-01'), einddatum: null }, PEILDATUM)).toBe(false);
  });
});

describe('the fold', () => {
  it('given an enrolment registered and later ended before the peildatum, then it is out; registered only, it is in', () => {
    const registered = change('a');
    const ended = change('a', { eventType: 'InschrijvingBeeindigd', occurredAt: at('2026-10-05T09:00:00Z'), einddatum: day('2026-09-30') });
    expect(standingAfter([registered])).toHaveLength(1);
    expect(standingAfter([registered, ended])).toEqual([]);
  });

  it('knowledge time: a change registered after knownAt does not count, one registered before does', () => {
    const registered = change('a');
    const correction = change('a', {
      eventType: 'InschrijvingGewijzigd',
      occurredAt: at('2027-01-10T12:00:00Z'),
      begindatum: day('2026-10-15'),
    });
    // known at 15 Nov: the correction (start moved past the peildatum) is not yet known
    expect(standingAfter([registered, correction], NOV_15).map(([k]) => k)).toEqual(['a']);
    // known at 8 Jul: it is
    expect(standingAfter([registered, correction], at('2027-07-08T00:00:00Z'))).toEqual([]);
  });

  it('a change at exactly knownAt is known', () => {
    expect(standingAfter([change('a', { occurredAt: NOV_15 })], NOV_15)).toHaveLength(1);
    expect(standingAfter([change('a', { occurredAt: NOV_15 + 1 })], NOV_15)).toEqual([]);
  });

  it('a removal means the enrolment never existed; registered again later, it exists', () => {
    const registered = change('a');
    const removed = change('a', { eventType: 'InschrijvingVerwijderd', occurredAt: at('2026-09-10T08:00:00Z') });
    const again = change('a', { occurredAt: at('2026-09-20T08:00:00Z') });
    expect(standingAfter([registered, removed])).toEqual([]);
    expect(standingAfter([registered, removed, again]).map(([, v]) => v)).toEqual([`a@0:${again.offset}`]);
  });

  it('latest is by occurredAt, not by the order read: a later-read older event does not win', () => {
    const newer = change('a', { eventType: 'InschrijvingBeeindigd', occurredAt: at('2026-09-15T08:00:00Z'), einddatum: day('2026-09-14') });
    const older = change('a', { occurredAt: at('2026-09-01T08:00:00Z') });
    expect(standingAfter([newer, older])).toEqual([]);
    expect(standingAfter([older, newer])).toEqual([]);
  });

  it('two changes with the same occurredAt: the later in the topic wins (offset, then partition)', () => {
    const same = at('2026-09-01T10:00:00Z');
    const first = change('a', { occurredAt: same, partition: 1, offset: 10, eventType: 'InschrijvingGewijzigd' });
    const second = change('a', { occurredAt: same, partition: 1, offset: 11, eventType: 'InschrijvingVerwijderd' });
    expect(standingAfter([first, second])).toEqual([]);
    expect(standingAfter([second, first])).toEqual([]);
    const reversed = change('a', { occurredAt: same, partition: 1, offset: 12, eventType: 'InschrijvingGewijzigd' });
    expect(standingAfter([second, reversed, first]).map(([, v]) => v)).toEqual(['a@1:12']);
    expect(isLaterThan({ occurredAt: same, partition: 2, offset: 0 }, { occurredAt: same, partition: 1, offset: 99 })).toBe(true);
  });

  it('BPV events do not change an enrolment', () => {
    const fold = createEnrolmentFold<string>({ peildatum: PEILDATUM, knownAt: NOV_15 });
    expect(fold.add(change('a'), () => 'kept')).toBe('latest');
    const bpv = change('a', { eventType: 'BpvVerwijderd', occurredAt: at('2026-09-20T08:00:00Z') });
    expect(fold.add(bpv, () => 'bpv')).toBe('ignored');
    expect([...fold.standing()]).toEqual([['a', 'kept']]);
  });

  it('keeps a value only while the enrolment stands: value() is not called for an enrolment that is out', () => {
    const fold = createEnrolmentFold<string>({ peildatum: PEILDATUM, knownAt: NOV_15 });
    let made = 0;
    fold.add(change('out', { begindatum: day('2026-11-01') }), () => {
      made++;
      return 'x';
    });
    fold.add(change('old', { occurredAt: at('2026-01-01T00:00:00Z') }), () => 'y');
    expect(made).toBe(0);
    expect(fold.enrolments).toBe(2);
    expect(fold.add(change('old', { occurredAt: at('2025-01-01T00:00:00Z') }), () => 'z')).toBe('older');
  });

  it('the result does not depend on the order the records are read in, nor on reading one twice', () => {
    const changes: EnrolmentChange[] = [];
    for (let i = 0; i < 40; i++) {
      const id = `e${i % 7}`;
      changes.push(
        change(id, {
          eventType: (['InschrijvingGeregistreerd', 'InschrijvingGewijzigd', 'InschrijvingBeeindigd', 'InschrijvingVerwijderd'] as const)[
            i % 4
          ],
          occurredAt: at('2026-09-01T00:00:00Z') + ((i * 7919) % 13) * 3_600_000,
          begindatum: day('2026-08-01') + ((i * 31) % 90),
          einddatum: i % 3 === 0 ? day('2026-09-20') + (i % 20) : null,
          partition: i % 3,
          offset: i,
        }),
      );
    }
    const expected = standingAfter(changes);
    const shuffled = [...changes].reverse();
    expect(standingAfter(shuffled)).toEqual(expected);
    expect(standingAfter([...changes, ...changes.slice(0, 15)])).toEqual(expected);
  });
});

describe('enrolmentKey', () => {
  it('tells a BSN and an equal onderwijsnummer apart, and parses back', () => {
    const inschrijving = { brin: '25LX', inschrijvingsvolgnummer: '7' } as never;
    const bsn = enrolmentKey({ persoon: { identificatie: { soort: 'BSN', nummer: '123456782' } } as never, inschrijving });
    const onr = enrolmentKey({ persoon: { identificatie: { soort: 'ONDERWIJSNUMMER', nummer: '123456782' } } as never, inschrijving });
    expect(bsn).not.toBe(onr);
    expect(parseEnrolmentKey(bsn)).toEqual({ soort: 'BSN', nummer: '123456782', brin: '25LX', volgnummer: '7' });
  });
});
