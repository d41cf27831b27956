/**
 * When a person's events happen. Business dates (begindatum, einddatum, ...) are chosen as days by the
 * life cycle; the clock turns such a day into an occurredAt during office hours, and never earlier than
 * the person's previous event: per person, events must come out in the order they happened.
 */

import { DAY_MS } from './calendar-days.ts';
import type { Random } from './random.ts';

const OFFICE_OPENS_MS = 7 * 3_600_000; // 07:00 UTC, 08:00 or 09:00 in the Netherlands
const OFFICE_HOURS_S = 9 * 3600;

export interface PersonClock {
  /** a moment on this day, after the previous one; when the day is already past, shortly after it */
  on(epochDay: number): number;
  /** the last moment handed out, epoch milliseconds */
  readonly last: number;
  /** the day of the last moment: later business dates of the same person start from here */
  today(): number;
}

// A class, not closures: one clock per active person.
class OfficeClock implements PersonClock {
  readonly #random: Random;
  #last: number;

  constructor(random: Random, notBefore: number) {
    this.#random = random;
    this.#last = notBefore;
  }

  on(epochDay: number): number {
    let moment = epochDay * DAY_MS + OFFICE_OPENS_MS + this.#random.int(0, OFFICE_HOURS_S) * 1000;
    // whole seconds, a minute to two hours after the previous event: the register does not batch a person
    if (moment <= this.#last) moment = this.#last + this.#random.int(60, 7200) * 1000;
    this.#last = moment;
    return moment;
  }

  get last(): number {
    return this.#last;
  }

  today(): number {
    return Math.floor(this.#last / DAY_MS);
  }
}

export function createPersonClock(random: Random, notBefore: number): PersonClock {
  return new OfficeClock(random, notBefore);
}
