/**
 * The synthetic register: a seeded stream of raw register events, as long as asked, for demos, tests and
 * benchmarks. Pure (no clock, no I/O, no Math.random): the same options give the same events, byte for
 * byte once stringified.
 *
 * Memory stays bounded whatever the total: only persons with events still to come are held, in a pool of
 * at most `maxActivePersons`, ordered by their next event. A person enters the pool when they turn up in
 * the register and leaves it with their last event; new persons arrive at a steady rate, and wait while
 * the pool is full. The output is therefore in time order overall, and strictly so per person.
 */

import { parseIsoDate, type Sector, toEpochDay } from '@register-feeds/register-model';
import { DAY_MS, isoDate } from './calendar-days.ts';
import { createCatalogue } from './catalogue.ts';
import type { Pending } from './event-builders.ts';
import { fakeNaam } from './fake-names.ts';
import { type Entry, type LifeContext, volgnummer } from './life-cycle.ts';
import { createMinHeap } from './min-heap.ts';
import { createPersonClock } from './person-clock.ts';
import { personLife } from './person-life.ts';
import { createPersonNumbers } from './person-numbers.ts';
import { createRandom } from './random.ts';
import type { RawEvent, RawPersoon } from './raw-event.ts';

export interface GenerateOptions {
  seed: number;
  /** distinct persons to create; unlimited when only `total` is given; 1000 when neither is */
  persons?: number;
  /** events to emit at most; without it, until every person's life cycle has ended */
  total?: number;
  /** 'YYYY-MM-DD', the day the first person turns up; fixed by default, never today, so output is repeatable */
  startDate?: string;
  /** the most persons in the middle of their life cycle at once: the memory bound (default 20 000) */
  maxActivePersons?: number;
  /** called every `statsEvery` events and once at the end (also when the consumer stops early) */
  onStats?: (stats: GeneratorStats) => void;
  statsEvery?: number;
}

export interface GeneratorStats {
  eventsEmitted: number;
  /** persons let into the pool; some may not have had an event out yet */
  personsCreated: number;
  /** distinct persons in the output so far */
  personsEmitted: number;
  /** persons in the pool now: started, not yet finished */
  activePersons: number;
  /** the most persons the pool ever held; never more than maxActivePersons */
  peakActivePersons: number;
  maxActivePersons: number;
  /** occurredAt of the last event emitted, or null before the first */
  lastOccurredAt: string | null;
}

export const DEFAULT_START_DATE = '2025-08-01';
export const DEFAULT_MAX_ACTIVE_PERSONS = 20_000;
const DEFAULT_PERSONS_WITHOUT_TOTAL = 1000;

// Share of new persons by the sector they first turn up in; the rest come in through PO -> VO -> MBO.
const FIRST_SECTOR: readonly (readonly [Sector, number])[] = [
  ['PO', 0.35],
  ['VO', 0.3],
  ['MBO', 0.35],
];
const ONDERWIJSNUMMER_SHARE = 0.03;
// Sets the arrival rate: one pool's worth of persons per FILL_DAYS. Persons stay about five years
// (measured: 1900 days, 8.5 events), so arriving somewhat faster fills the pool in three and a half years
// instead of in a burst on the first day, and then keeps it at its bound: later arrivals wait for room.
const FILL_DAYS = 3.5 * 365;
// A small pool and a huge total push simulated time ahead; the contract's dates have four-digit years.
const END_OF_YEAR_9999 = (toEpochDay('9999-12-31') + 1) * DAY_MS;

interface Active {
  /** moment of the next event */
  at: number;
  /** arrival order: ties in time go to the earlier person, so the order is deterministic */
  order: number;
  next: Pending;
  life: Iterator<Pending, void, void>;
  /** has had an event in the output */
  seen: boolean;
}

interface Settings {
  seed: number;
  persons: number;
  total: number;
  startDay: number;
  maxActive: number;
  statsEvery: number;
}

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer`);
  return value;
}

/** Eight digits at most: the seed is part of every eventId, which may not hold nine digits in a row. */
export const MAX_SEED = 99_999_999;

/**
 * gen-<seed>-<n>. Ingest refuses an eventId with nine or more digits in a row (it could carry a person
 * number), so from the 100 000 000th event on the counter gets a hyphen before every last eight digits:
 * gen-1-1-00000000. The seed has at most eight digits, and every group after a counter's first has
 * exactly eight, so no two (seed, n) share an id.
 */
export function generatedEventId(seed: number, n: number): string {
  let digits = String(n);
  let grouped = '';
  while (digits.length > 8) {
    grouped = `-${digits.slice(-8)}${grouped}`;
    digits = digits.slice(0, -8);
  }
  return `gen-${seed}-${digits}${grouped}`;
}

function settingsOf(options: GenerateOptions): Settings {
  const { seed } = options;
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > MAX_SEED) throw new RangeError(`seed must be a whole number from 0 to ${MAX_SEED}`);
  const startDate = options.startDate ?? DEFAULT_START_DATE;
  if (!parseIsoDate(startDate).ok) throw new RangeError('startDate must be an existing YYYY-MM-DD date');
  const unlimited = Number.POSITIVE_INFINITY;
  return {
    seed,
    persons: positiveInteger('persons', options.persons, options.total === undefined ? DEFAULT_PERSONS_WITHOUT_TOTAL : unlimited),
    total: positiveInteger('total', options.total, unlimited),
    startDay: toEpochDay(startDate),
    maxActive: positiveInteger('maxActivePersons', options.maxActivePersons, DEFAULT_MAX_ACTIVE_PERSONS),
    statsEvery: positiveInteger('statsEvery', options.statsEvery, 10_000),
  };
}

export function* generateRegisterEvents(options: GenerateOptions): Generator<RawEvent, void, void> {
  const settings = settingsOf(options);
  const { seed, persons, total, maxActive } = settings;
  const random = createRandom(seed);
  // separate streams: the world and the numbers do not shift when the person logic changes
  const catalogue = createCatalogue(random.fork());
  const numbers = createPersonNumbers(random.fork());
  const arrivals = random.fork();

  const pool = createMinHeap<Active>((a, b) => a.at < b.at || (a.at === b.at && a.order < b.order));
  const targetPool = Math.min(persons, maxActive);
  const meanGapSeconds = (FILL_DAYS * 86_400) / targetPool;
  // whole seconds throughout: occurredAt is written to the second
  const gap = () => Math.max(1, Math.round(meanGapSeconds * (0.5 + arrivals.next()))) * 1000;
  let nextArrival = settings.startDay * DAY_MS + 7 * 3_600_000;
  let now = nextArrival;
  let created = 0;
  let emitted = 0;
  let personsEmitted = 0;
  let peak = 0;
  let lastOccurredAt: string | null = null;

  const stats = (): GeneratorStats => ({
    eventsEmitted: emitted,
    personsCreated: created,
    personsEmitted,
    activePersons: pool.size,
    peakActivePersons: peak,
    maxActivePersons: maxActive,
    lastOccurredAt,
  });

  const admit = (arrival: number): void => {
    const own = random.fork();
    const order = created++;
    let sequence = 0;
    const ctx: LifeContext = {
      random: own,
      catalogue,
      clock: createPersonClock(own, arrival),
      persoon: undefined,
      createPersoon(birthDay): RawPersoon {
        const naam = fakeNaam(own);
        const geboortedatum = isoDate(birthDay);
        return own.chance(ONDERWIJSNUMMER_SHARE)
          ? { onderwijsnummer: numbers.nextOnderwijsnummer(), geboortedatum, naam }
          : { bsn: numbers.nextBsn(), geboortedatum, naam };
      },
      nextVolgnummer: (begindatum) => volgnummer(begindatum, ++sequence),
    };
    const life = personLife(ctx, firstEntry(own.next(), Math.floor(arrival / DAY_MS)));
    const first = life.next();
    if (first.done) return;
    pool.push({ at: first.value.at, order, next: first.value, life, seen: false });
    if (pool.size > peak) peak = pool.size;
  };

  try {
    while (emitted < total) {
      // let in the persons who turned up before the next event, while there is room
      while (created < persons && pool.size < maxActive && nextArrival <= (pool.peek()?.at ?? Number.POSITIVE_INFINITY)) {
        const arrival = Math.max(nextArrival, now);
        admit(arrival);
        // arrivals that waited for room do not pile up behind a full pool
        nextArrival = arrival + gap();
      }
      const person = pool.pop();
      if (person === undefined) break; // every person's life has ended
      if (person.at >= END_OF_YEAR_9999) throw new RangeError('simulated time passed the year 9999: raise maxActivePersons');
      now = person.at;
      emitted += 1;
      if (!person.seen) {
        person.seen = true;
        personsEmitted += 1;
      }
      // written before the life cycle moves on: build() reads the person's state as it is now
      const event = person.next.build();
      lastOccurredAt = event.occurredAt;
      yield { eventId: generatedEventId(seed, emitted), ...event } as RawEvent;
      const step = person.life.next();
      if (!step.done) {
        person.at = step.value.at;
        person.next = step.value;
        pool.push(person);
      }
      if (options.onStats && emitted % settings.statsEvery === 0) options.onStats(stats());
    }
  } finally {
    options.onStats?.(stats());
  }
}

function firstEntry(draw: number, day: number): Entry {
  let sum = 0;
  for (const [sector, share] of FIRST_SECTOR) {
    sum += share;
    if (draw < sum) return { sector, day };
  }
  return { sector: 'MBO', day };
}
