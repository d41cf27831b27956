/**
 * The closed set of conditions an agreement may put on fields (DOMAIN.md rule 3: conditional rules are part
 * of the agreement, data not code). A new kind of predicate is code and review: add it here, to the parser
 * and to the words the register of processing uses.
 */

import type { Sector } from '@register-feeds/register-model';

export type Predicate = { ageBelow: number } | { sectorIn: readonly Sector[] };

export const PREDICATE_KINDS = ['ageBelow', 'sectorIn'] as const;

/** What a predicate is decided on: the event, and the date it is delivered. */
export interface PredicateFacts {
  sector: Sector;
  /** completed years on the event date (Europe/Amsterdam); 0 when the event predates the birth */
  ageOnEventDate: number;
  /** completed years on the delivery date (Europe/Amsterdam); 0 when that predates the birth */
  ageOnDeliveryDate: number;
}

/**
 * ageBelow holds when the student is younger on the date of the change AND on the date of delivery: a
 * replay or backfill of a change from someone's childhood, delivered after their 18th birthday, must not
 * hand out what the agreement allows only about minors (GGD).
 */
export function holds(predicate: Predicate, facts: PredicateFacts): boolean {
  if ('ageBelow' in predicate) return facts.ageOnEventDate < predicate.ageBelow && facts.ageOnDeliveryDate < predicate.ageBelow;
  return predicate.sectorIn.includes(facts.sector);
}

/** The predicate in words, for the register of processing and the schema docs. */
export function describePredicate(predicate: Predicate): string {
  if ('ageBelow' in predicate) {
    return `the student is younger than ${predicate.ageBelow} on the date of the change and on the date of delivery (Europe/Amsterdam)`;
  }
  return `the enrolment is in ${predicate.sectorIn.join(' or ')}`;
}
