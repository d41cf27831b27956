/**
 * An agreement (overeenkomst) between DUO and one recipient, as read from agreements/<recipient>.yaml:
 * who, under which legal basis, for which purpose, in which period, which events and fields, on which
 * conditions, keyed how, kept how long. Loaded and validated once at start (parse-agreement.ts, by the
 * schema of agreement-schema.ts, whose parsed type is this Agreement less `source`).
 */

import type { EpochDay, EventType, Sector } from '@register-feeds/register-model';
import type { AgeReference } from './ages.ts';
import type { OutputFieldName } from './output-fields.ts';
import type { Predicate } from './predicates.ts';

/** bsn: the recipient may receive the BSN or onderwijsnummer; pseudonym: only a pseudonym of its own. */
export type Identity = 'bsn' | 'pseudonym';
export const IDENTITIES = ['bsn', 'pseudonym'] as const satisfies readonly Identity[];

/**
 * How precisely a recipient learns when a change happened. date (the default): the calendar date in
 * Europe/Amsterdam, with an order token for changes on one day (order-token.ts); second and millisecond add
 * the instant, truncated. Finer than the date is a join key between recipients that both get it, so an
 * agreement asks for it only when its purpose needs it.
 */
export type TimePrecision = 'date' | 'second' | 'millisecond';
export const TIME_PRECISIONS = ['date', 'second', 'millisecond'] as const satisfies readonly TimePrecision[];

export interface Condition {
  fields: readonly OutputFieldName[];
  when: Predicate;
}

/** A day that comes every year (02-29 is refused): a peildatum or a delivery moment of an agreement. */
export interface MonthDay {
  month: number;
  day: number;
}

/**
 * provisional: institutions may still correct the enrolments, a later delivery of the same peildatum follows;
 * definitive: the last delivery of the peildatum (Regeling art. 4 lid 1 onder e: after the accountant's check).
 */
export type SnapshotKind = 'provisional' | 'definitive';
export const SNAPSHOT_KINDS = ['provisional', 'definitive'] as const satisfies readonly SnapshotKind[];

export type Weekday = 'monday' | 'tuesday' | 'wednesday' | 'thursday' | 'friday' | 'saturday' | 'sunday';
export const WEEKDAYS = [
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
  'sunday',
] as const satisfies readonly Weekday[];

/**
 * One peildatum of the study year and the moments its snapshot is delivered. The peildatum lies in the study
 * year (1 Aug - 31 Jul): August to December in its first calendar year, January to July in the next. Each
 * delivery moment is the first such day after the peildatum, so 1 Oct -> 15 Nov, 8 Mar, 8 Jul of one study
 * year. A delivery is the snapshot as the register knew it at the start of that day (Europe/Amsterdam).
 */
export interface PeildatumDeliveries {
  peildatum: MonthDay;
  /** in the order they come after the peildatum; at most one definitive, and it is the last */
  deliveries: readonly { at: MonthDay; kind: SnapshotKind }[];
}

/** When an agreement's snapshots (the enrolments standing on a peildatum) are delivered. */
export interface SnapshotDeliveries {
  peildata: readonly PeildatumDeliveries[];
  /** every week on this day, the enrolments standing on that day as known at its start (PO and WEC: Regeling art. 7, "wekelijks") */
  weekly: { weekday: Weekday } | null;
}

export interface Agreement {
  /** kebab-case id, equal to the file name */
  recipient: string;
  name: string;
  legalBasis: string;
  purpose: string;
  /** inclusive calendar days in Europe/Amsterdam; to null means open-ended */
  term: { from: EpochDay; to: EpochDay | null };
  identity: Identity;
  events: readonly EventType[];
  sectors: readonly Sector[];
  fields: readonly OutputFieldName[];
  /** a field listed in several conditions is sent only when all of them hold */
  conditions: readonly Condition[];
  /** the whole record is delivered only when this holds (GGD: only about minors); null: always */
  recordWhen: Predicate | null;
  timePrecision: TimePrecision;
  ages: readonly AgeReference[];
  retention: { days: number };
  output: { topic: string };
  /** snapshot deliveries on peildata; null: this recipient gets only its stream (S-BB, SVB, GGD) */
  snapshots: SnapshotDeliveries | null;
  /** the file it was read from, for error messages and the register of processing */
  source: string;
}

/** A trusted configuration error: the named agreement file must be fixed before the service can start. */
export class AgreementError extends Error {
  readonly isTrusted = true;
  readonly fileName: string;
  readonly problems: readonly string[];
  constructor(fileName: string, problems: readonly string[], options?: { cause?: unknown }) {
    super(`${fileName}: ${problems.join('; ')}`, options);
    this.name = 'AgreementError';
    this.fileName = fileName;
    this.problems = problems;
  }
}
