import { parseRegisterEvent } from '@register-feeds/ingest';
import { parseIsoDateTime, toEpochDay } from '@register-feeds/register-model';
import { describe, expect, it } from 'vitest';
import { ageOn } from './calendar-days.ts';
import { type GenerateOptions, type GeneratorStats, generatedEventId, generateRegisterEvents, MAX_SEED } from './generate.ts';
import type { RawEvent } from './raw-event.ts';

const take = (options: GenerateOptions, n: number): RawEvent[] => {
  const out: RawEvent[] = [];
  for (const event of generateRegisterEvents({ ...options, total: n })) out.push(event);
  return out;
};
const lines = (events: RawEvent[]) => events.map((e) => JSON.stringify(e));
const personOf = (e: RawEvent) => (e.persoon.bsn !== undefined ? `BSN:${e.persoon.bsn}` : `ONR:${e.persoon.onderwijsnummer}`);
const epochMillis = (occurredAt: string) => {
  const parsed = parseIsoDateTime(occurredAt);
  if (!parsed.ok) throw new Error('occurredAt does not parse');
  return parsed.epochMillis;
};
const byPerson = (events: RawEvent[]): Map<string, RawEvent[]> => {
  const map = new Map<string, RawEvent[]>();
  for (const e of events) map.set(personOf(e), [...(map.get(personOf(e)) ?? []), e]);
  return map;
};

// 20 000 events from several seeds, shared by the checks below; a smaller pool than the default so the
// sample holds many complete life cycles (about 4 years of simulated time per seed)
const SEEDS = [1, 2, 3, 42];
const SAMPLE = SEEDS.flatMap((seed) => take({ seed, maxActivePersons: 800 }, 5000));
const SAMPLE_BY_SEED = SEEDS.map((_, i) => SAMPLE.slice(i * 5000, (i + 1) * 5000));

describe('generateRegisterEvents: repeatable', () => {
  it('given the same seed, when generated twice, then the first 1000 events are byte-identical', () => {
    expect(lines(take({ seed: 42 }, 1000))).toEqual(lines(take({ seed: 42 }, 1000)));
  });

  it('given a larger total, when generated, then it starts with the same events: the total only says where to stop', () => {
    expect(lines(take({ seed: 7 }, 3000)).slice(0, 1000)).toEqual(lines(take({ seed: 7 }, 1000)));
  });

  it('given different seeds, when generated, then the events and the persons differ', () => {
    const a = take({ seed: 1 }, 1000);
    const b = take({ seed: 2 }, 1000);
    expect(lines(a)).not.toEqual(lines(b));
    const personsA = new Set(a.map(personOf));
    expect(b.filter((e) => personsA.has(personOf(e)))).toEqual([]);
  });

  it('given a seed, when generated, then eventIds are gen-<seed>-<n>, unique and in output order', () => {
    const events = SAMPLE_BY_SEED[3]!;
    expect(events.map((e) => e.eventId)).toEqual(events.map((_, i) => `gen-42-${i + 1}`));
  });

  it('given the largest seed and counters past eight digits, when an eventId is made, then it never holds nine digits in a row', () => {
    const ids = [1, 99_999_999, 100_000_000, 123_456_789, 9_007_199_254_740_991].map((n) => generatedEventId(MAX_SEED, n));
    expect(ids).toEqual([
      'gen-99999999-1',
      'gen-99999999-99999999',
      'gen-99999999-1-00000000',
      'gen-99999999-1-23456789',
      'gen-99999999-90071992-54740991',
    ]);
    for (const id of ids) expect(id).not.toMatch(/[0-9]{9}/);
  });
});

describe('generateRegisterEvents: valid per the raw input contract', () => {
  it('given 20 000 events from four seeds, when each is validated by ingest, then every one passes', () => {
    const failures: { eventId: string; eventType: string; rules: string[] }[] = [];
    for (const event of SAMPLE) {
      const result = parseRegisterEvent(JSON.stringify(event));
      if (!result.ok)
        failures.push({ eventId: event.eventId, eventType: event.eventType, rules: result.reasons.map((r) => `${r.field}:${r.rule}`) });
    }
    expect(failures, `refused: ${JSON.stringify(failures.slice(0, 20))}`).toEqual([]);
  });

  it('given the events of each person, when ordered as emitted, then occurredAt increases per person and never goes back overall', () => {
    const problems: string[] = [];
    for (const events of SAMPLE_BY_SEED) {
      let previous = Number.NEGATIVE_INFINITY;
      for (const e of events) {
        const at = epochMillis(e.occurredAt);
        if (at < previous) problems.push(`${e.eventId} goes back in time overall`);
        previous = at;
      }
      for (const [, personEvents] of byPerson(events)) {
        const times = personEvents.map((e) => epochMillis(e.occurredAt));
        times.forEach((t, i) => {
          if (i > 0 && t <= times[i - 1]!) problems.push(`${personEvents[i]!.eventId} is not after its person's previous event`);
        });
      }
    }
    expect(problems).toEqual([]);
  });

  it('given every person, when their events are compared, then the person is the same in all of them (numbers are never shared)', () => {
    const problems: string[] = [];
    for (const events of SAMPLE_BY_SEED) {
      for (const [person, personEvents] of byPerson(events)) {
        const shapes = new Set(personEvents.map((e) => JSON.stringify(e.persoon)));
        if (shapes.size !== 1) problems.push(`${person} appears with ${shapes.size} different persoon blocks`);
      }
    }
    expect(problems).toEqual([]);
  });
});

/**
 * Replays each person's events as a register would hold them: an enrolment is changed, ended or
 * removed only while it runs, a BPV only while it runs and only under a running enrolment, a person has
 * one running enrolment at a time, and an enrolment ends only after its BPVs did.
 */
function lifeCycleProblems(events: RawEvent[]): string[] {
  const problems: string[] = [];
  for (const [person, personEvents] of byPerson(events)) {
    const enrolments = new Map<string, 'running' | 'closed'>();
    const bpvs = new Map<string, 'running' | 'closed'>();
    for (const e of personEvents) {
      const enrolment = `${e.inschrijving.brin}/${e.inschrijving.inschrijvingsvolgnummer}`;
      const state = enrolments.get(enrolment);
      const say = (what: string) => problems.push(`${person} ${e.eventId} ${e.eventType}: ${what}`);
      switch (e.eventType) {
        case 'InschrijvingGeregistreerd':
          if (state !== undefined) say('enrolment registered twice');
          if ([...enrolments.values()].includes('running')) say('a second enrolment while one runs');
          enrolments.set(enrolment, 'running');
          break;
        case 'InschrijvingGewijzigd':
          if (state !== 'running') say('enrolment not running');
          break;
        case 'InschrijvingBeeindigd':
        case 'InschrijvingVerwijderd':
          if (state !== 'running') say('enrolment not running');
          if ([...bpvs].some(([key, s]) => key.startsWith(`${enrolment}#`) && s === 'running')) say('enrolment closed with a BPV running');
          enrolments.set(enrolment, 'closed');
          break;
        default: {
          const bpv = `${enrolment}#${e.bpv!.bpvVolgnummer}`;
          if (state !== 'running') say('BPV event outside a running enrolment');
          if (e.eventType === 'BpvGeregistreerd') {
            if (bpvs.has(bpv)) say('BPV registered twice');
            bpvs.set(bpv, 'running');
          } else {
            if (bpvs.get(bpv) !== 'running') say('BPV not running');
            if (e.eventType !== 'BpvGewijzigd') bpvs.set(bpv, 'closed');
          }
        }
      }
    }
  }
  return problems;
}

describe('generateRegisterEvents: realistic life cycles', () => {
  it('given the sample, when each person is replayed, then their events tell a consistent story', () => {
    const problems = SAMPLE_BY_SEED.flatMap(lifeCycleProblems);
    expect(problems.slice(0, 20)).toEqual([]);
  });

  it('given the sample, when counted, then every event type and every sector occurs', () => {
    expect(new Set(SAMPLE.map((e) => e.eventType))).toEqual(
      new Set([
        'InschrijvingGeregistreerd',
        'InschrijvingGewijzigd',
        'InschrijvingBeeindigd',
        'InschrijvingVerwijderd',
        'BpvGeregistreerd',
        'BpvGewijzigd',
        'BpvBeeindigd',
        'BpvVerwijderd',
      ]),
    );
    expect(new Set(SAMPLE.map((e) => e.sector))).toEqual(new Set(['PO', 'VO', 'MBO']));
  });

  it('given the sample, when persons are counted, then about 3% have an onderwijsnummer instead of a BSN', () => {
    const persons = new Map(SAMPLE.map((e) => [personOf(e), e.persoon.onderwijsnummer !== undefined]));
    const share = [...persons.values()].filter(Boolean).length / persons.size;
    expect(share).toBeGreaterThan(0.01);
    expect(share).toBeLessThan(0.06);
  });

  it('given the sample, when a person changes school, then the enrolment ends at one BRIN and a new one starts the next day at another', () => {
    let changes = 0;
    for (const [, events] of byPerson(SAMPLE)) {
      const enrolmentEvents = events.filter((e) => e.eventType.startsWith('Inschrijving'));
      enrolmentEvents.forEach((ended, i) => {
        const next = enrolmentEvents[i + 1];
        if (ended.eventType !== 'InschrijvingBeeindigd' || next?.eventType !== 'InschrijvingGeregistreerd') return;
        if (next.sector !== ended.sector || next.inschrijving.brin === ended.inschrijving.brin) return;
        if (toEpochDay(next.inschrijving.begindatum) !== toEpochDay(ended.inschrijving.einddatum!) + 1) return;
        expect(next.inschrijving.inschrijvingsvolgnummer).not.toBe(ended.inschrijving.inschrijvingsvolgnummer);
        changes += 1;
      });
    }
    expect(changes).toBeGreaterThan(0);
  });

  it('given each person new in the register, when first enrolled, then their age fits the sector (PO 4-12, VO 12-18, MBO 16-25)', () => {
    const range = { PO: [4, 12], VO: [12, 18], MBO: [16, 25] } as const;
    const problems: string[] = [];
    for (const [person, events] of byPerson(SAMPLE)) {
      const first = events[0]!;
      if (first.eventType !== 'InschrijvingGeregistreerd') continue; // the person began before the sample did
      const age = ageOn(toEpochDay(first.persoon.geboortedatum), toEpochDay(first.inschrijving.begindatum));
      const [min, max] = range[first.sector];
      if (age < min || age > max) problems.push(`${person}: ${first.sector} at ${age}`);
    }
    expect(problems).toEqual([]);
  });

  it('given the sample, when BPVs are looked at, then MBO students have them with a leerbedrijf, and removed ones name only their number', () => {
    const bpvEvents = SAMPLE.filter((e) => e.bpv !== undefined);
    expect(bpvEvents.every((e) => e.sector === 'MBO')).toBe(true);
    for (const e of bpvEvents) {
      if (e.eventType === 'BpvVerwijderd') expect(Object.keys(e.bpv!)).toEqual(['bpvVolgnummer']);
      else expect(e.bpv!.leerbedrijf?.id).toMatch(/^LB\d{6}$/);
    }
  });
});

describe('generateRegisterEvents: bounded memory and options', () => {
  it('given 300 000 events and a pool of 2000, when generated, then the active persons never exceed the pool, which is recycled', () => {
    const reports: GeneratorStats[] = [];
    let count = 0;
    for (const _ of generateRegisterEvents({
      seed: 5,
      total: 300_000,
      maxActivePersons: 2000,
      statsEvery: 1000,
      onStats: (s) => reports.push(s),
    })) {
      count += 1;
    }
    const final = reports.at(-1)!;
    expect(count).toBe(300_000);
    expect(reports.every((s) => s.activePersons <= 2000 && s.peakActivePersons <= 2000)).toBe(true);
    expect(final.peakActivePersons).toBe(2000);
    // far more persons went through than the pool holds: their state was let go when they finished
    expect(final.personsCreated).toBeGreaterThan(10 * 2000);
    expect(final.eventsEmitted).toBe(300_000);
  }, 60_000);

  it('given a number of persons and no total, when generated to the end, then exactly those persons appear and every life cycle ends', () => {
    let stats: GeneratorStats | undefined;
    const events = [
      ...generateRegisterEvents({
        seed: 9,
        persons: 60,
        onStats: (s) => {
          stats = s;
        },
      }),
    ];
    expect(byPerson(events).size).toBe(60);
    expect(stats).toMatchObject({ personsCreated: 60, personsEmitted: 60, activePersons: 0 });
    for (const [, personEvents] of byPerson(events)) {
      expect(['InschrijvingBeeindigd', 'InschrijvingVerwijderd']).toContain(personEvents.at(-1)!.eventType);
    }
  });

  it('given a consumer that stops early, when it breaks off, then the stats still arrive once at the end', () => {
    const reports: GeneratorStats[] = [];
    for (const event of generateRegisterEvents({ seed: 1, total: 1000, onStats: (s) => reports.push(s) })) {
      if (event.eventId === 'gen-1-10') break;
    }
    expect(reports).toHaveLength(1);
    expect(reports[0]!.eventsEmitted).toBe(10);
  });

  it('given a start date, when generated, then the first event happens in the week from that day', () => {
    const [first] = take({ seed: 1, startDate: '2030-01-15' }, 1);
    expect(first!.occurredAt.slice(0, 10) >= '2030-01-15' && first!.occurredAt.slice(0, 10) <= '2030-01-22').toBe(true);
  });

  it('given invalid options, when the generator starts, then it refuses them', () => {
    const start = (options: GenerateOptions) => () => generateRegisterEvents(options).next();
    expect(start({ seed: -1 })).toThrow(RangeError);
    expect(start({ seed: 1.5 })).toThrow(RangeError);
    expect(start({ seed: 1, total: 0 })).toThrow(RangeError);
    expect(start({ seed: 1, persons: 2.5 })).toThrow(RangeError);
    expect(start({ seed: 1, startDate: '2025-02-30' })).toThrow(RangeError);
    expect(start({ seed: 1, maxActivePersons: 0 })).toThrow(RangeError);
  });
});
