// Synthetic raw register events for integration tests and benchmarks: valid by construction (elfproef
// BSNs, real dates), deterministic for a seed. Names are obviously fake.

/** A valid test BSN derived from n: eight digits from n, the ninth chosen so the elfproef holds. */
export function testBsn(n: number): string {
  for (let bump = 0; ; bump++) {
    const head = String((n * 7919 + 10_000_000 + bump) % 100_000_000).padStart(8, '0');
    const sum = [...head].reduce((acc, d, i) => acc + Number(d) * (9 - i), 0);
    const d9 = sum % 11; // 9*d1+...+2*d8 - d9 ≡ 0 (mod 11)  =>  d9 = sum mod 11, must be a digit
    if (d9 <= 9 && `${head}${d9}` !== '000000000') return `${head}${d9}`;
  }
}

export interface RawEventOptions {
  persons: number;
  eventsPerPerson: number;
  idPrefix?: string;
}

/** MBO enrolments with a BPV life cycle per person: registered, changed, ..., in order. */
export function rawEvents({ persons, eventsPerPerson, idPrefix = 'e' }: RawEventOptions): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (let p = 0; p < persons; p++) {
    const bsn = testBsn(p + 1);
    for (let i = 0; i < eventsPerPerson; i++) {
      const inschrijving = {
        brin: '25LX',
        inschrijvingsvolgnummer: `${p + 1}`,
        opleidingscode: '25180',
        leerweg: 'BBL',
        niveau: 3,
        begindatum: '2025-08-01',
      };
      const base = {
        eventId: `${idPrefix}-${p}-${i}`,
        occurredAt: new Date(Date.UTC(2025, 8, 1, 8, 0, i)).toISOString(),
        sector: 'MBO',
        persoon: { bsn, geboortedatum: '2007-05-14', naam: { voornamen: 'Test', achternaam: `Persoon ${p}` } },
        inschrijving,
      };
      if (i === 0) out.push({ ...base, eventType: 'InschrijvingGeregistreerd' });
      else
        out.push({
          ...base,
          eventType: i === 1 ? 'BpvGeregistreerd' : 'BpvGewijzigd',
          bpv: {
            bpvVolgnummer: 1,
            leerbedrijf: { id: 'LB1000', naam: 'Leerbedrijf BV' },
            begindatum: '2025-09-01',
            geplandeEinddatum: '2026-06-30',
            omvangUren: 400 + i,
          },
        });
    }
  }
  return out;
}
