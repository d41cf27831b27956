/**
 * Which snapshot deliveries are due: pure, from the agreements' delivery moments (agreements/*.yaml,
 * `snapshots`) and an instant passed in, never read from the clock.
 *
 * A peildatum month-day lies in its study year (1 Aug - 31 Jul): August to December in the first calendar year,
 * January to July in the next. Each delivery moment is the first such day after the peildatum. The snapshot
 * of a delivery is the enrolments standing on the peildatum as the register knew them at the start of the
 * delivery day in Europe/Amsterdam (knownAt): everything registered up to the evening before counts, so the
 * same delivery made later gives the same rows.
 */

import {
  amsterdamDayStart,
  amsterdamEpochDay,
  type EpochDay,
  type EpochMillis,
  fromEpochDay,
  toEpochDay,
} from '@register-feeds/register-model';

/** The parts of an agreement a schedule reads; an Agreement of @register-feeds/pseudonymise fits. */
export interface ScheduledAgreement {
  recipient: string;
  term: { from: EpochDay; to: EpochDay | null };
  snapshots: {
    peildata: readonly { peildatum: MonthDay; deliveries: readonly { at: MonthDay; kind: 'provisional' | 'definitive' }[] }[];
    weekly: { weekday: Weekday } | null;
  } | null;
}

interface MonthDay {
  month: number;
  day: number;
}
type Weekday = 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday' | 'sunday';

export type DeliveryKind = 'provisional' | 'definitive' | 'weekly';

export interface ScheduledDelivery {
  /** `<recipient>/<peildatum>/<delivery date>`: the same delivery gets the same id on every run */
  id: string;
  recipient: string;
  /** YYYY-MM-DD: the day the enrolments stood on (valid time) */
  peildatum: string;
  /** YYYY-MM-DD in Europe/Amsterdam: the day of delivery */
  deliveryDate: string;
  /** the start of the delivery day in Europe/Amsterdam (knowledge time): the register as it knew things then */
  knownAt: EpochMillis;
  kind: DeliveryKind;
}

const STUDY_YEAR_FIRST_MONTH = 8;
const MS_PER_DAY = 86_400_000;
const WEEKDAY_NUMBERS: Record<Weekday, number> = {
  sunday: 0,
  monday: 1,
  tuesday: 2,
  wednesday: 3,
  thursday: 4,
  friday: 5,
  saturday: 6,
};

/** 0 = Sunday ... 6 = Saturday; 1970-01-01 was a Thursday. */
const weekdayOf = (day: EpochDay): number => (((day + 4) % 7) + 7) % 7;
const yearOf = (day: EpochDay): number => Number(fromEpochDay(day).slice(0, 4));
/** The start of an Amsterdam calendar day: noon UTC always lies inside it, whatever the offset. */
export const startOfAmsterdamDay = (day: EpochDay): EpochMillis => amsterdamDayStart(day * MS_PER_DAY + MS_PER_DAY / 2);

/** The date of a month-day in the study year that begins on 1 August of `firstYear`. */
function inStudyYear(at: MonthDay, firstYear: number): EpochDay {
  return toEpochDay({ year: at.month >= STUDY_YEAR_FIRST_MONTH ? firstYear : firstYear + 1, month: at.month, day: at.day });
}

/** The first day after `peildatum` that has this month-day (within a year of it). */
function firstAfter(at: MonthDay, peildatum: EpochDay): EpochDay {
  const year = yearOf(peildatum);
  const sameYear = toEpochDay({ year, month: at.month, day: at.day });
  return sameYear > peildatum ? sameYear : toEpochDay({ year: year + 1, month: at.month, day: at.day });
}

function delivery(recipient: string, peildatum: EpochDay, deliveryDay: EpochDay, kind: DeliveryKind): ScheduledDelivery {
  const deliveryDate = fromEpochDay(deliveryDay);
  const peil = fromEpochDay(peildatum);
  return {
    id: `${recipient}/${peil}/${deliveryDate}`,
    recipient,
    peildatum: peil,
    deliveryDate,
    knownAt: startOfAmsterdamDay(deliveryDay),
    kind,
  };
}

/**
 * Every delivery of one agreement whose delivery day lies from `from` to `to` (epoch days, both included) and
 * inside the agreement's term. The term is about when data is delivered: a peildatum before the term's first
 * day is delivered when its delivery day lies in the term.
 */
export function deliveriesBetween(agreement: ScheduledAgreement, from: EpochDay, to: EpochDay): ScheduledDelivery[] {
  const { snapshots, term, recipient } = agreement;
  if (snapshots === null) return [];
  const first = Math.max(from, term.from);
  const last = term.to === null ? to : Math.min(to, term.to);
  if (first > last) return [];
  const out: ScheduledDelivery[] = [];
  // A delivery comes less than a year after its peildatum, so study years from the one a year before `first`.
  for (let studyYear = yearOf(first) - 2; studyYear <= yearOf(last); studyYear++) {
    for (const { peildatum, deliveries } of snapshots.peildata) {
      const peil = inStudyYear(peildatum, studyYear);
      for (const { at, kind } of deliveries) {
        const day = firstAfter(at, peil);
        if (day >= first && day <= last) out.push(delivery(recipient, peil, day, kind));
      }
    }
  }
  if (snapshots.weekly !== null) {
    const wanted = WEEKDAY_NUMBERS[snapshots.weekly.weekday];
    for (let day = first + ((wanted - weekdayOf(first) + 7) % 7); day <= last; day += 7) out.push(delivery(recipient, day, day, 'weekly'));
  }
  return out.sort(byMoment);
}

/** In the order they fall due; on one moment by recipient, then peildatum. */
export function byMoment(a: ScheduledDelivery, b: ScheduledDelivery): number {
  return a.knownAt - b.knownAt || compare(a.recipient, b.recipient) || compare(a.peildatum, b.peildatum);
}
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The deliveries due at `now`: every delivery whose day has begun (knownAt <= now) and lies in its agreement's
 * term, since the term began, oldest first. Nothing at all for an agreement whose term does not hold at `now`:
 * outside the agreement's period nothing is delivered, not even a moment of the term that was missed
 * (DOMAIN.md rule 4). Whether one was delivered already is the ledger's business (deliveries.ts).
 */
export function dueDeliveries(agreements: readonly ScheduledAgreement[], now: EpochMillis): ScheduledDelivery[] {
  const today = amsterdamEpochDay(now);
  return agreements
    .filter(({ term }) => today >= term.from && (term.to === null || today <= term.to))
    .flatMap((agreement) => deliveriesBetween(agreement, agreement.term.from, today))
    .filter((d) => d.knownAt <= now)
    .sort(byMoment);
}
