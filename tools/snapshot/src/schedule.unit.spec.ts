import { loadAgreements } from '@register-feeds/pseudonymise';
import { toEpochDay } from '@register-feeds/register-model';
import { describe, expect, it } from 'vitest';
import { deliveriesBetween, dueDeliveries, type ScheduledAgreement, startOfAmsterdamDay } from './schedule.ts';

const AGREEMENTS = new URL('../../../agreements/', import.meta.url).pathname;
const reviewed = loadAgreements(AGREEMENTS);
const minister = reviewed.find((a) => a.recipient === 'ocw-minister')!;
const inspectie = reviewed.find((a) => a.recipient === 'inspectie-onderwijs')!;

const at = (iso: string) => Date.parse(iso);
const day = (iso: string) => toEpochDay(iso);
const ids = (list: { id: string }[]) => list.map((d) => d.id);

/** The Minister's reviewed schedule with a term of the test's choosing. */
const ministerWith = (from: string, to: string | null = null): ScheduledAgreement => ({
  ...minister,
  term: { from: day(from), to: to === null ? null : day(to) },
});

describe('the Minister: 1 Oct on 15 Nov, 8 Mar, 8 Jul; 1 Feb on 8 Mar, 8 Jul (Regeling art. 4)', () => {
  it('given the study year 2026-2027, then its five deliveries fall on the days of the Regeling, in the order they come', () => {
    const deliveries = deliveriesBetween(ministerWith('2025-08-01'), day('2026-08-01'), day('2027-07-31'));
    expect(deliveries.map(({ id, kind }) => `${id} ${kind}`)).toEqual([
      'ocw-minister/2026-10-01/2026-11-15 provisional',
      'ocw-minister/2026-10-01/2027-03-08 provisional',
      'ocw-minister/2027-02-01/2027-03-08 provisional',
      'ocw-minister/2026-10-01/2027-07-08 definitive',
      'ocw-minister/2027-02-01/2027-07-08 definitive',
    ]);
  });

  it('given a delivery, then knownAt is the start of its day in Amsterdam: 23:00 UTC in winter, 22:00 UTC in summer', () => {
    const deliveries = deliveriesBetween(ministerWith('2025-08-01'), day('2026-08-01'), day('2027-07-31'));
    expect(new Date(deliveries[0]!.knownAt).toISOString()).toBe('2026-11-14T23:00:00.000Z');
    expect(new Date(deliveries.at(-1)!.knownAt).toISOString()).toBe('2027-07-07T22:00:00.000Z');
    expect(deliveries[0]).toMatchObject({ recipient: 'ocw-minister', peildatum: '2026-10-01', deliveryDate: '2026-11-15' });
  });

  it('given an instant just before and just after the start of 15 Nov (Amsterdam), then the delivery is due only after', () => {
    const agreements = [ministerWith('2026-08-01')];
    expect(dueDeliveries(agreements, at('2026-11-14T22:59:59.999Z'))).toEqual([]);
    expect(ids(dueDeliveries(agreements, at('2026-11-14T23:00:00.000Z')))).toEqual(['ocw-minister/2026-10-01/2026-11-15']);
  });

  it('given a run later in the year, then every moment since the term began is due, oldest first, with the same ids', () => {
    const agreements = [ministerWith('2026-08-01')];
    const march = dueDeliveries(agreements, at('2027-03-08T12:00:00Z'));
    expect(ids(march)).toEqual([
      'ocw-minister/2026-10-01/2026-11-15',
      'ocw-minister/2026-10-01/2027-03-08',
      'ocw-minister/2027-02-01/2027-03-08',
    ]);
    const later = dueDeliveries(agreements, at('2027-06-01T12:00:00Z'));
    expect(later).toEqual(march);
  });
});

describe('the term', () => {
  it('given a term that begins after 1 Oct but before 15 Nov, then the 1 Oct snapshot is delivered: the term is about the delivery', () => {
    expect(ids(dueDeliveries([ministerWith('2026-11-01')], at('2026-12-01T12:00:00Z')))).toEqual(['ocw-minister/2026-10-01/2026-11-15']);
  });

  it('given a term that begins after 15 Nov, then the 15 Nov delivery is not due, the 8 Mar ones are', () => {
    expect(ids(dueDeliveries([ministerWith('2026-11-16')], at('2027-03-09T12:00:00Z')))).toEqual([
      'ocw-minister/2026-10-01/2027-03-08',
      'ocw-minister/2027-02-01/2027-03-08',
    ]);
  });

  it('given a term that ends on 8 Mar (inclusive), then the 8 Mar deliveries are due on that day and nothing after the term', () => {
    const agreements = [ministerWith('2026-08-01', '2027-03-08')];
    expect(dueDeliveries(agreements, at('2027-03-08T12:00:00Z'))).toHaveLength(3);
    // the term is over: nothing is delivered any more, not even a moment of the term that was missed
    expect(dueDeliveries(agreements, at('2027-03-09T12:00:00Z'))).toEqual([]);
  });

  it('given a term not yet begun, then nothing is due', () => {
    expect(dueDeliveries([ministerWith('2027-01-01')], at('2026-12-01T12:00:00Z'))).toEqual([]);
  });
});

describe('recipients without snapshot deliveries, the Inspectie, and weekly', () => {
  it('given the reviewed agreements, then only the Minister and the Inspectie have deliveries due', () => {
    const due = dueDeliveries(reviewed, at('2026-11-26T12:00:00Z'));
    expect(new Set(due.map((d) => d.recipient))).toEqual(new Set(['ocw-minister', 'inspectie-onderwijs']));
  });

  it('given the Inspectie in study year 2026-2027, then each quarter has a provisional delivery six weeks on and a definitive one on 8 Jul', () => {
    const deliveries = deliveriesBetween(
      { ...inspectie, term: { from: day('2025-08-01'), to: null } },
      day('2026-08-01'),
      day('2027-07-31'),
    );
    expect(deliveries.map(({ peildatum, deliveryDate, kind }) => `${peildatum} ${deliveryDate} ${kind}`)).toEqual([
      '2026-08-01 2026-09-15 provisional',
      '2026-11-01 2026-12-15 provisional',
      '2027-02-01 2027-03-15 provisional',
      '2027-05-01 2027-06-15 provisional',
      '2026-08-01 2027-07-08 definitive',
      '2026-11-01 2027-07-08 definitive',
      '2027-02-01 2027-07-08 definitive',
      '2027-05-01 2027-07-08 definitive',
    ]);
  });

  it('given a weekly schedule on Mondays, then every Monday of the term is a delivery of that day, known at its start', () => {
    const po: ScheduledAgreement = {
      recipient: 'po-weekly',
      term: { from: day('2026-11-01'), to: day('2026-11-30') },
      snapshots: { peildata: [], weekly: { weekday: 'monday' } },
    };
    const due = dueDeliveries([po], at('2026-11-26T12:00:00Z'));
    // 2026-11-02 is a Monday
    expect(due.map(({ id, kind }) => `${id} ${kind}`)).toEqual([
      'po-weekly/2026-11-02/2026-11-02 weekly',
      'po-weekly/2026-11-09/2026-11-09 weekly',
      'po-weekly/2026-11-16/2026-11-16 weekly',
      'po-weekly/2026-11-23/2026-11-23 weekly',
    ]);
    expect(due[0]!.knownAt).toBe(startOfAmsterdamDay(day('2026-11-02')));
    expect(deliveriesBetween(po, day('2026-11-01'), day('2026-12-31'))).toHaveLength(5);
  });

  it('given several recipients due at one moment, then they come by recipient, then peildatum', () => {
    const other = { ...ministerWith('2026-08-01'), recipient: 'aaa-first' };
    const due = dueDeliveries([ministerWith('2026-08-01'), other], at('2027-03-08T12:00:00Z'));
    expect(ids(due).slice(2)).toEqual([
      'aaa-first/2026-10-01/2027-03-08',
      'aaa-first/2027-02-01/2027-03-08',
      'ocw-minister/2026-10-01/2027-03-08',
      'ocw-minister/2027-02-01/2027-03-08',
    ]);
  });
});
