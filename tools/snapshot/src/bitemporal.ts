/**
 * The bitemporal fold of the canonical history, pure: which enrolments stood on a peildatum (valid time),
 * as the register knew them at an instant (knowledge time).
 *
 * Valid time is the enrolment's own begindatum / einddatum (EpochDay). Knowledge time is the event's
 * occurredAt: the canonical schema documents it as "when the change happened in the register", i.e. when
 * the register recorded the change, which is what "as the register knew it on 15 November" asks about. The
 * Kafka timestamp is not used: it is when ingest wrote the record, and it changes when a topic is rebuilt
 * or replayed, while occurredAt travels with the event, so the same history gives the same snapshot.
 *
 * An enrolment (person + BRIN + inschrijvingsvolgnummer) is in the snapshot when its latest known
 * enrolment event (occurredAt <= knownAt; ties broken by topic order: partition, then offset) is not a
 * removal and has begindatum <= peildatum and no einddatum or einddatum >= peildatum. The einddatum is
 * the last day enrolled: an enrolment ended on 30 September is out on 1 October, one ended on 1 October is
 * in. A Verwijderd means the enrolment never existed (a registration made in error), so it is out whatever
 * its dates; a later Geregistreerd of the same enrolment brings it back.
 *
 * Only Inschrijving* events make an enrolment's state: a BPV event is about the internship and its
 * enrolment block is context, not a change of the enrolment.
 *
 * Memory: the fold keeps per enrolment only its latest known event, and the event's bytes only while that
 * event puts the enrolment in the snapshot; an enrolment whose latest event puts it out (ended before the
 * peildatum, starting after it, removed) keeps just its position, enough to tell whether a later-read event
 * is newer. Picking the latest is a maximum, so the order in which partitions are read does not matter, and
 * reading a record twice (a consumer restart) changes nothing.
 */

import type { EpochDay, EpochMillis, EventType, RegisterEvent } from '@register-feeds/register-model';

/** Where an event is in the topic: the tie-break for two changes with the same occurredAt. */
export interface TopicPosition {
  partition: number;
  offset: number;
}

/** What the fold needs of one event: its times, its enrolment and its position. */
export interface EnrolmentChange extends TopicPosition {
  eventType: EventType;
  occurredAt: EpochMillis;
  /** enrolmentKey(event) */
  enrolment: string;
  begindatum: EpochDay;
  einddatum: EpochDay | null;
}

export interface BitemporalQuery {
  /** valid time: the reference date */
  peildatum: EpochDay;
  /** knowledge time: only changes with occurredAt <= knownAt count */
  knownAt: EpochMillis;
}

/** The latest known change of one enrolment; value only while that change puts it in the snapshot. */
export interface Latest<V> {
  occurredAt: EpochMillis;
  partition: number;
  offset: number;
  value: V | null;
}

export function isEnrolmentEvent(eventType: EventType): boolean {
  return eventType.startsWith('Inschrijving');
}

/**
 * The enrolment's identity: person (soort and number, so a BSN and an equal onderwijsnummer stay apart),
 * institution and the institution's sequence number. Holds a person number: it stays in memory, never in a
 * log, an error message or the output.
 */
export function enrolmentKey(event: Pick<RegisterEvent, 'persoon' | 'inschrijving'>): string {
  const { soort, nummer } = event.persoon.identificatie;
  return `${soort}|${nummer}|${event.inschrijving.brin}|${event.inschrijving.inschrijvingsvolgnummer}`;
}

/** The parts of an enrolmentKey again (for the recipient's enrolment pseudonym). */
export function parseEnrolmentKey(key: string): { soort: 'BSN' | 'ONDERWIJSNUMMER'; nummer: string; brin: string; volgnummer: string } {
  const [soort, nummer, brin, volgnummer] = key.split('|') as [string, string, string, string];
  return { soort: soort as 'BSN' | 'ONDERWIJSNUMMER', nummer, brin, volgnummer };
}

export function changeOf(event: RegisterEvent, position: TopicPosition): EnrolmentChange {
  return {
    eventType: event.eventType,
    occurredAt: event.occurredAt,
    enrolment: enrolmentKey(event),
    begindatum: event.inschrijving.begindatum,
    einddatum: event.inschrijving.einddatum,
    partition: position.partition,
    offset: position.offset,
  };
}

/** Whether the register knew of the change at knownAt. */
export function isKnownAt(change: Pick<EnrolmentChange, 'occurredAt'>, knownAt: EpochMillis): boolean {
  return change.occurredAt <= knownAt;
}

/** Whether an enrolment in this state stood on the peildatum (removed: never). */
export function standsOn(change: Pick<EnrolmentChange, 'eventType' | 'begindatum' | 'einddatum'>, peildatum: EpochDay): boolean {
  if (change.eventType === 'InschrijvingVerwijderd') return false;
  return change.begindatum <= peildatum && (change.einddatum === null || change.einddatum >= peildatum);
}

/** Whether change a comes after b: later occurredAt, then later in the topic (partition, then offset). */
export function isLaterThan(a: Omit<Latest<unknown>, 'value'>, b: Omit<Latest<unknown>, 'value'>): boolean {
  if (a.occurredAt !== b.occurredAt) return a.occurredAt > b.occurredAt;
  if (a.partition !== b.partition) return a.partition > b.partition;
  return a.offset > b.offset;
}

export interface EnrolmentFold<V> {
  /**
   * Takes one event's change; value() gives what to keep when the change is the enrolment's latest and
   * puts it in the snapshot (called only then), given what was kept for the change it replaces, if any.
   * Returns how the change counted.
   */
  add(change: EnrolmentChange, value: (previous: V | null) => V): 'ignored' | 'unknown-yet' | 'older' | 'latest';
  /** enrolments seen (with at least one change known at knownAt) */
  readonly enrolments: number;
  /** the enrolments that stand on the peildatum, each with its kept value, in no particular order */
  standing(): Iterable<[enrolment: string, value: V]>;
}

const flat = (text: string): string => Buffer.from(text, 'utf8').toString('utf8');

/** Room for this many enrolments at first; doubled when full. */
const INITIAL_CAPACITY = 1 << 16;

/**
 * A fold over the history. Per enrolment one slot: its key in a Map to the slot number, and the slot's
 * latest change in typed arrays (occurredAt, partition, offset) beside a plain array of kept values, so an
 * enrolment costs its key, a Map entry and some 30 bytes, not an object per enrolment (1,000,000 persons'
 * enrolments are in memory at once: bench:snapshot).
 */
export function createEnrolmentFold<V>(query: BitemporalQuery): EnrolmentFold<V> {
  const slots = new Map<string, number>();
  let occurredAt = new Float64Array(INITIAL_CAPACITY);
  let offsets = new Float64Array(INITIAL_CAPACITY);
  let partitions = new Int32Array(INITIAL_CAPACITY);
  const values: Array<V | null> = [];
  const grow = () => {
    const bigger = <T extends Float64Array | Int32Array>(old: T, make: (n: number) => T): T => {
      const next = make(old.length * 2);
      next.set(old);
      return next;
    };
    occurredAt = bigger(occurredAt, (n) => new Float64Array(n));
    offsets = bigger(offsets, (n) => new Float64Array(n));
    partitions = bigger(partitions, (n) => new Int32Array(n));
  };
  return {
    add(change, value) {
      if (!isEnrolmentEvent(change.eventType)) return 'ignored';
      if (!isKnownAt(change, query.knownAt)) return 'unknown-yet';
      let slot = slots.get(change.enrolment);
      if (slot === undefined) {
        slot = values.length;
        if (slot === occurredAt.length) grow();
        // a flat copy of the key: the template string is a rope of its parts, which would stay alive with it
        slots.set(flat(change.enrolment), slot);
        values.push(null);
      } else {
        const before = { occurredAt: occurredAt[slot] as number, partition: partitions[slot] as number, offset: offsets[slot] as number };
        if (!isLaterThan(change, before)) return 'older';
      }
      occurredAt[slot] = change.occurredAt;
      partitions[slot] = change.partition;
      offsets[slot] = change.offset;
      values[slot] = standsOn(change, query.peildatum) ? value(values[slot] ?? null) : null;
      return 'latest';
    },
    get enrolments() {
      return slots.size;
    },
    *standing() {
      for (const [enrolment, slot] of slots) {
        const kept = values[slot];
        if (kept !== null && kept !== undefined) yield [enrolment, kept];
      }
    },
  };
}
