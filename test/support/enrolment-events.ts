import { type EpochMillis, type RegisterEvent, toEpochDay } from '@register-feeds/register-model';

// Hand-made canonical enrolment events for the snapshot tests (test/snapshot.int.spec.ts,
// test/snapshot-vs-stream.int.spec.ts): person n, enrolment (n, 25LX, volgnummer 1) unless overridden.

export const at = (iso: string): EpochMillis => Date.parse(iso);
export const day = (iso: string) => toEpochDay(iso);

/** A BSN that passes the elfproef, different per n. */
export function bsn(n: number): string {
  for (let base = 10_000_000 + n * 97; ; base++) {
    const digits = String(base).padStart(8, '0').split('').map(Number);
    const sum = digits.reduce((s, d, i) => s + d * (9 - i), 0);
    const check = sum % 11;
    if (check < 10) return `${digits.join('')}${check}`;
  }
}

/** Person n's birth date: a few days after 1 Oct 2008 (17 on 1 Oct 2026, 18 on 31 Dec 2026). */
export const geboortedatumOf = (n: number) => day('2008-10-01') + n;

// numbers the events of one test file in the order they are made (each test file has its own module)
let eventNo = 0;
/** An enrolment event of person n; the enrolment is (n, 25LX, volgnummer 1) unless `inschrijving` says otherwise. */
export function enrolmentEvent(
  n: number,
  eventType: RegisterEvent['eventType'],
  occurredAt: string,
  inschrijving: Partial<RegisterEvent['inschrijving']> = {},
  sector: RegisterEvent['sector'] = 'MBO',
): RegisterEvent {
  eventNo++;
  return {
    eventId: `00000000-0000-4000-8000-${String(eventNo).padStart(12, '0')}`,
    eventType,
    occurredAt: at(occurredAt),
    sector,
    persoon: {
      identificatie: { soort: 'BSN', nummer: bsn(n) },
      geboortedatum: geboortedatumOf(n),
      naam: { voornamen: `Voornaam${n}`, voorvoegsel: null, achternaam: `Achternaam${n}` },
    },
    inschrijving: {
      brin: '25LX',
      brinVestiging: null,
      locatiecodeMbo: null,
      inschrijvingsvolgnummer: '1',
      opleidingscode: '25180',
      leerweg: sector === 'MBO' ? 'BOL' : null,
      niveau: sector === 'MBO' ? 4 : null,
      leerjaar: sector === 'MBO' ? null : 3,
      groep: null,
      begindatum: day('2026-08-01'),
      einddatum: null,
      ...inschrijving,
    },
    bpv: null,
  };
}
