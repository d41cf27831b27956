// The raw events bench:soak feeds, made as they are sent (10,000,000 events do not fit in memory as lines):
//  - bounded (default): a fixed population of MBO students, each with an enrolment, then a BPV that keeps
//    changing. Every event id is new, the state the services keep (deliver's rows, one per student) stops
//    growing once every student has had two events, so RSS that keeps rising is memory that leaks.
//  - generator: tools/generator's realistic mix (PO, VO, MBO life cycles). Persons arrive and leave all
//    the time, so deliver's projections hold ever more rows: its RSS rises with them, by design.
import { generateRegisterEvents } from '@register-feeds/generator';
import { testBsn } from '../../test/support/raw-events.ts';

export type FeedKind = 'bounded' | 'generator';

/** Raw event n (0-based) of a bounded population of `persons` students; ids unique per `run`. */
export function boundedEvent(run: string, n: number, bsns: readonly string[]): string {
  const p = n % bsns.length;
  const i = Math.floor(n / bsns.length);
  const inschrijving = {
    brin: '25LX',
    inschrijvingsvolgnummer: `${p + 1}`,
    opleidingscode: '25180',
    leerweg: 'BBL',
    niveau: 3,
    begindatum: '2025-08-01',
  };
  const base = {
    eventId: `soak-${run}-${p}-${i}`,
    // a minute apart per student: every change is newer than the one before, as in the register
    occurredAt: new Date(Date.UTC(2025, 8, 1, 8, 0, 0) + i * 60_000).toISOString(),
    sector: 'MBO',
    persoon: { bsn: bsns[p], geboortedatum: '2007-05-14', naam: { voornamen: 'Soak', achternaam: `Student ${p}` } },
    inschrijving,
  };
  if (i === 0) return JSON.stringify({ ...base, eventType: 'InschrijvingGeregistreerd' });
  return JSON.stringify({
    ...base,
    eventType: i === 1 ? 'BpvGeregistreerd' : 'BpvGewijzigd',
    bpv: {
      bpvVolgnummer: 1,
      leerbedrijf: { id: 'LB1000', naam: 'Leerbedrijf BV' },
      begindatum: '2025-09-01',
      geplandeEinddatum: '2026-06-30',
      omvangUren: 400 + (i % 400),
    },
  });
}

/** The feed as lines, one at a time, `total` in all. */
export function* feedLines(
  kind: FeedKind,
  { run, total, persons, seed = 7 }: { run: string; total: number; persons: number; seed?: number },
) {
  if (kind === 'generator') {
    for (const event of generateRegisterEvents({ seed, total })) yield JSON.stringify(event);
    return;
  }
  const bsns = Array.from({ length: persons }, (_, p) => testBsn(p + 1));
  for (let n = 0; n < total; n++) yield boundedEvent(run, n, bsns);
}
