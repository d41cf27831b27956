import { type RegisterEvent, toEpochDay } from '@register-feeds/register-model';
import { describe, expect, it } from 'vitest';
import { createKeyStore, generateTestKeys } from './keys.ts';
import { applyAgreement, type RecipientRecord } from './minimise.ts';
import { agreement, agreements, sample, sampleEvents } from './sample-events.test-support.ts';

const NOW = Date.parse('2026-09-01T10:00:00Z');
const keys = createKeyStore(generateTestKeys(agreements.map((a) => a.recipient)));
const apply = (event: RegisterEvent, recipient: string, now = NOW) =>
  applyAgreement(event, agreement(recipient), keys.keyFor(recipient), now);
const ENVELOPE = ['eventId', 'eventType', 'occurredAt', 'persoon.pseudonym'];

/** Leaf paths of a record ('inschrijving.brin'), stopping at catalogue values such as persoon.naam and leeftijden. */
function paths(record: Record<string, unknown>): string[] {
  return Object.entries(record).flatMap(([key, value]) =>
    ['persoon', 'inschrijving', 'bpv'].includes(key) && value !== null
      ? Object.keys(value as object).map((leaf) => `${key}.${leaf}`)
      : ['persoon', 'inschrijving', 'bpv'].includes(key)
        ? []
        : [key],
  );
}

/** Every record a recipient gets from the samples. */
const delivered = (recipient: string) =>
  sampleEvents
    .map((event) => [event, apply(event, recipient)] as const)
    .filter((pair): pair is [RegisterEvent, RecipientRecord] => pair[1] !== null);

describe('applyAgreement: exactly the permitted fields, for every agreement and sample', () => {
  it.each(
    agreements.map((a) => [a.recipient]),
  )('given %s and the samples, when applied, then no record holds a field outside its agreement', (recipient) => {
    // given
    const allowed = new Set([...agreement(recipient).fields, ...ENVELOPE]);
    // when
    const records = delivered(recipient);
    // then
    expect(records.length).toBeGreaterThan(0);
    for (const [, result] of records) {
      expect(paths(result.record).filter((path) => !allowed.has(path))).toEqual([]);
      expect(result.fieldsSent.filter((name) => !allowed.has(name))).toEqual([]);
    }
  });

  it.each(
    agreements.map((a) => [a.recipient]),
  )('given %s and the samples, when applied, then only its event types and sectors come through', (recipient) => {
    const a = agreement(recipient);
    for (const event of sampleEvents) {
      const result = apply(event, recipient);
      expect(result !== null).toBe(a.events.includes(event.eventType) && a.sectors.includes(event.sector));
    }
  });
});

describe('S-BB Stagemarkt', () => {
  it('given the BPV life cycle, when applied, then S-BB gets a pseudonym, one age and the BPV status, never the number, name or birth date', () => {
    // when
    const results = ['sample-007', 'sample-008', 'sample-009', 'sample-010'].map((id) => apply(sample(id), 'sbb-stagemarkt')!);
    // then
    expect(results.map((r) => (r.record.bpv as { status: string }).status)).toEqual(['actueel', 'actueel', 'beeindigd', 'verwijderd']);
    for (const result of results) {
      expect(result.key).toMatch(/^v1\./);
      expect(result.key).not.toContain('999999990');
      expect(result.keyVersion).toBe('v1');
      expect(JSON.stringify(result)).not.toContain('999999990');
      expect(JSON.stringify(result)).not.toContain('Voorbeeld');
      expect(result.fieldsSent).not.toContain('persoon.nummer');
      expect(result.fieldsSent).not.toContain('persoon.naam');
      expect(result.fieldsSent).not.toContain('persoon.geboortedatum');
      expect(result.record.persoon).toEqual({ pseudonym: result.key });
    }
    // born 2007-03-21; the BPV was registered on 2026-01-15: 18
    expect(results[0]!.record.leeftijden).toEqual([{ label: 'op-datum-wijziging', peildatum: toEpochDay('2026-01-15'), leeftijd: 18 }]);
  });

  it('given a BpvVerwijderd without details, when applied, then the BPV fields are null and left out of fieldsSent', () => {
    const result = apply(sample('sample-010'), 'sbb-stagemarkt')!;
    expect(result.record.bpv).toMatchObject({ bpvVolgnummer: 1, status: 'verwijderd', leerbedrijf: null, begindatum: null });
    expect(result.fieldsSent).toContain('bpv.status');
    expect(result.fieldsSent).not.toContain('bpv.leerbedrijf');
  });

  it('given an MBO enrolment event, when applied, then the bpv sub-record is null', () => {
    expect(apply(sample('sample-003'), 'sbb-stagemarkt')!.record.bpv).toBeNull();
  });

  it('given a PO event, when applied, then S-BB gets nothing (MBO only)', () => {
    expect(apply(sample('sample-001'), 'sbb-stagemarkt')).toBeNull();
  });
});

describe('the Minister and the Inspectie', () => {
  it('given the same person, when applied for both, then their pseudonyms differ and neither is the BSN', () => {
    const event = sample('sample-003');
    const minister = apply(event, 'ocw-minister')!;
    const inspectie = apply(event, 'inspectie-onderwijs')!;
    expect(minister.key).not.toBe(inspectie.key);
    expect((minister.record.persoon as { pseudonym: string }).pseudonym).toBe(minister.key);
    expect(JSON.stringify([minister, inspectie])).not.toContain(event.persoon.identificatie.nummer);
  });

  it('given the same person in two events, when applied, then the Minister’s pseudonym is the same', () => {
    expect(apply(sample('sample-003'), 'ocw-minister')!.key).toBe(apply(sample('sample-006'), 'ocw-minister')!.key);
  });

  it('given an MBO enrolment in August 2025, when applied, then the Minister gets the ages on 1 Aug, 30 Sep, 1 Oct and 31 Dec 2025', () => {
    // sample-004: born 2005-09-30, event 2025-08-29
    const result = apply(sample('sample-004'), 'ocw-minister')!;
    expect(result.record.leeftijden).toEqual([
      { label: 'op-1-augustus', peildatum: toEpochDay('2025-08-01'), leeftijd: 19 },
      { label: 'op-30-september', peildatum: toEpochDay('2025-09-30'), leeftijd: 20 },
      { label: 'op-1-oktober', peildatum: toEpochDay('2025-10-01'), leeftijd: 20 },
      { label: 'op-31-december', peildatum: toEpochDay('2025-12-31'), leeftijd: 20 },
    ]);
    expect(result.record).not.toHaveProperty('geboortedatum');
    expect(result.record.persoon).not.toHaveProperty('geboortedatum');
  });

  it('given the same event, when applied for the Inspectie, then it gets the ages on the quarter days of study year 2025/26', () => {
    const result = apply(sample('sample-004'), 'inspectie-onderwijs')!;
    expect((result.record.leeftijden as { peildatum: number; leeftijd: number }[]).map((l) => [l.peildatum, l.leeftijd])).toEqual([
      [toEpochDay('2025-08-01'), 19],
      [toEpochDay('2025-11-01'), 20],
      [toEpochDay('2026-02-01'), 20],
      [toEpochDay('2026-05-01'), 20],
    ]);
  });

  it('given a BPV event, when applied, then neither gets it (enrolment events only)', () => {
    expect(apply(sample('sample-007'), 'ocw-minister')).toBeNull();
    expect(apply(sample('sample-007'), 'inspectie-onderwijs')).toBeNull();
  });
});

describe('SVB kostendelersnorm', () => {
  it('given an enrolment, when applied, then the SVB gets the BSN as key and in the record, and no pseudonym', () => {
    const result = apply(sample('sample-011'), 'svb-kostendelersnorm')!;
    expect(result.key).toBe('123456782');
    expect(result.keyVersion).toBeNull();
    expect(result.record).toEqual({
      eventId: 'sample-011',
      eventType: 'InschrijvingBeeindigd',
      occurredAt: Date.parse('2026-07-17T10:00:00Z'),
      sector: 'VO',
      persoon: { nummer: '123456782', soort: 'BSN' },
      inschrijving: {
        brin: '98YB',
        inschrijvingsvolgnummer: '20250001',
        begindatum: toEpochDay('2025-08-25'),
        einddatum: toEpochDay('2026-07-31'),
      },
    });
  });

  it('given a student with an onderwijsnummer, when applied, then soort says so', () => {
    expect(apply(sample('sample-004'), 'svb-kostendelersnorm')!.record.persoon).toEqual({ nummer: '101000012', soort: 'ONDERWIJSNUMMER' });
  });

  it('given no SVB key at all, when applied, then the SVB still gets its record (it needs none)', () => {
    expect(applyAgreement(sample('sample-001'), agreement('svb-kostendelersnorm'), undefined, NOW)?.key).toBe('111222333');
  });
});

describe('GGD jeugdgezondheid', () => {
  const withBirth = (birth: string): RegisterEvent => {
    // an MBO enrolment on 2025-08-28 (Amsterdam)
    const event = sample('sample-003');
    event.persoon.geboortedatum = toEpochDay(birth);
    return event;
  };

  it('given a student who is 17 on the event date, when applied, then the GGD gets the BSN as key and the name', () => {
    const result = apply(withBirth('2007-08-29'), 'ggd-jeugdgezondheid')!;
    expect(result.key).toBe('999999990');
    expect(result.record.persoon).toMatchObject({
      pseudonym: null,
      nummer: '999999990',
      naam: { voornamen: 'Test Jan', voorvoegsel: null, achternaam: 'Voorbeeld' },
    });
    expect(result.fieldsSent).toEqual(expect.arrayContaining(['persoon.nummer', 'persoon.naam']));
    expect(result.fieldsSent).not.toContain('persoon.pseudonym');
  });

  it('given a student who turns 18 on the event date, when applied, then neither BSN nor name is sent, and the key is a GGD pseudonym', () => {
    const result = apply(withBirth('2007-08-28'), 'ggd-jeugdgezondheid')!;
    expect(result.record.persoon).toMatchObject({ nummer: null, naam: null, geboortedatum: toEpochDay('2007-08-28') });
    expect(result.key).toMatch(/^v1\./);
    expect((result.record.persoon as { pseudonym: string }).pseudonym).toBe(result.key);
    expect(result.fieldsSent).not.toContain('persoon.nummer');
    expect(result.fieldsSent).not.toContain('persoon.naam');
    expect(JSON.stringify(result)).not.toContain('999999990');
  });

  it('given an 18-year-old and no GGD key, when applied, then nothing is sent (the BSN must not become the key)', () => {
    expect(applyAgreement(withBirth('2000-01-01'), agreement('ggd-jeugdgezondheid'), undefined, NOW)).toBeNull();
  });

  it('given an MBO student, when applied, then leerjaar and groep are absent and leerweg is there', () => {
    const result = apply(sample('sample-003'), 'ggd-jeugdgezondheid')!;
    expect(result.record.inschrijving).toMatchObject({ leerweg: 'BOL', leerjaar: null, groep: null, locatiecodeMbo: 'LOC01' });
    expect(result.fieldsSent).not.toContain('inschrijving.leerjaar');
  });

  it('given a PO pupil, when applied, then leerjaar and groep are sent', () => {
    const result = apply(sample('sample-001'), 'ggd-jeugdgezondheid')!;
    expect(result.record.inschrijving).toMatchObject({ leerjaar: 3, groep: 3, brinVestiging: '99XA01' });
  });

  it('given a VO pupil with a groep in the data, when applied, then leerjaar is sent and groep is not (PO only)', () => {
    const event = sample('sample-002');
    event.inschrijving.groep = 8;
    const result = apply(event, 'ggd-jeugdgezondheid')!;
    expect(result.record.inschrijving).toMatchObject({ leerjaar: 1, groep: null });
    expect(result.fieldsSent).toContain('inschrijving.leerjaar');
    expect(result.fieldsSent).not.toContain('inschrijving.groep');
  });

  it('given an event at 23:30 UTC on the eve of the 18th birthday (already the birthday in Amsterdam), when applied, then the student counts as 18', () => {
    const event = withBirth('2007-08-01');
    event.occurredAt = Date.parse('2025-07-31T23:30:00Z');
    expect((apply(event, 'ggd-jeugdgezondheid')!.record.persoon as { nummer: string | null }).nummer).toBeNull();
  });
});

describe('term and keys', () => {
  it('given a moment before the term begins, when applied, then nothing is delivered', () => {
    expect(apply(sample('sample-003'), 'ocw-minister', Date.parse('2025-07-31T12:00:00Z'))).toBeNull();
    expect(apply(sample('sample-003'), 'svb-kostendelersnorm', Date.parse('2025-07-31T21:59:59Z'))).toBeNull();
  });

  it('given the first day of the term in Amsterdam (still 31 Jul in UTC), when applied, then it is delivered', () => {
    expect(apply(sample('sample-003'), 'svb-kostendelersnorm', Date.parse('2025-07-31T22:00:00Z'))).not.toBeNull();
  });

  it('given a term that ended, when applied on its last day and the day after, then only the last day delivers', () => {
    const ended = { ...agreement('svb-kostendelersnorm'), term: { from: toEpochDay('2025-08-01'), to: toEpochDay('2026-07-31') } };
    expect(applyAgreement(sample('sample-003'), ended, undefined, Date.parse('2026-07-31T21:59:59Z'))).not.toBeNull();
    expect(applyAgreement(sample('sample-003'), ended, undefined, Date.parse('2026-07-31T22:00:00Z'))).toBeNull();
  });

  it('given a retired (crypto-shredded) recipient, when applied, then nothing is delivered', () => {
    const retired = keys.retire('ocw-minister');
    expect(applyAgreement(sample('sample-003'), agreement('ocw-minister'), retired.keyFor('ocw-minister'), NOW)).toBeNull();
  });

  it('given another recipient’s key, when applied, then it refuses loudly', () => {
    expect(() => applyAgreement(sample('sample-003'), agreement('ocw-minister'), keys.keyFor('inspectie-onderwijs'), NOW)).toThrow(
      /a key of inspectie-onderwijs/,
    );
  });

  it('given the same inputs twice, when applied, then the results are equal (no clock, no randomness)', () => {
    for (const a of agreements) {
      for (const event of sampleEvents) {
        expect(applyAgreement(event, a, keys.keyFor(a.recipient), NOW)).toEqual(
          applyAgreement(structuredClone(event), a, keys.keyFor(a.recipient), NOW),
        );
      }
    }
  });
});
