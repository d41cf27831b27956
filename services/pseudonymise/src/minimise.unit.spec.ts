import { type RegisterEvent, toEpochDay } from '@register-feeds/register-model';
import { describe, expect, it } from 'vitest';
import { createKeyStore, generateTestKeys } from './keys.ts';
import { applyAgreement, type RecipientRecord } from './minimise.ts';
import { agreement, agreements, sample, sampleEvents } from './sample-events.test-support.ts';

const NOW = Date.parse('2026-09-01T10:00:00Z');
const keys = createKeyStore(generateTestKeys(agreements.map((a) => a.recipient)));
const apply = (event: RegisterEvent, recipient: string, now = NOW) =>
  applyAgreement(event, agreement(recipient), keys.keyFor(recipient), now);
const ENVELOPE = ['recordId', 'eventType', 'occurredOn', 'order', 'persoon.pseudonym'];

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
      // a moment when every sample student is still a minor, so the GGD's recordWhen does not decide
      const result = apply(event, recipient, Date.parse('2025-09-01T10:00:00Z'));
      const minorThen = a.recordWhen === null || event.persoon.geboortedatum > toEpochDay('2007-09-01');
      expect(result !== null).toBe(a.events.includes(event.eventType) && a.sectors.includes(event.sector) && minorThen);
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
    expect(result.keyVersion).toBe('v1');
    expect(result.record).toEqual({
      recordId: expect.stringMatching(/^v1\.[A-Za-z0-9_-]{43}$/),
      eventType: 'InschrijvingBeeindigd',
      occurredOn: toEpochDay('2026-07-17'),
      order: expect.any(Number),
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

  it('given no SVB key (retired or never issued), when applied, then nothing is sent: its record id needs the key', () => {
    expect(applyAgreement(sample('sample-001'), agreement('svb-kostendelersnorm'), undefined, NOW)).toBeNull();
  });
});

describe('GGD jeugdgezondheid', () => {
  const withBirth = (birth: string): RegisterEvent => {
    // an MBO enrolment on 2025-08-28 (Amsterdam)
    const event = sample('sample-003');
    event.persoon.geboortedatum = toEpochDay(birth);
    return event;
  };
  /** delivered the day after the change */
  const DELIVERED = Date.parse('2025-08-29T10:00:00Z');

  it('given a student who is 17 on the event date and on the delivery date, when applied, then the GGD gets the BSN as key and the name', () => {
    const result = apply(withBirth('2007-08-30'), 'ggd-jeugdgezondheid', DELIVERED)!;
    expect(result.key).toBe('999999990');
    expect(result.record.persoon).toEqual({
      nummer: '999999990',
      naam: { voornamen: 'Test Jan', voorvoegsel: null, achternaam: 'Voorbeeld' },
      geboortedatum: toEpochDay('2007-08-30'),
    });
    expect(result.fieldsSent).toEqual(expect.arrayContaining(['persoon.nummer', 'persoon.naam']));
  });

  it('given a student who turns 18 on the event date, when applied, then the GGD gets nothing at all', () => {
    expect(apply(withBirth('2007-08-28'), 'ggd-jeugdgezondheid', DELIVERED)).toBeNull();
  });

  it('given a student who was 17 on the event date but turned 18 before delivery (a replay or backfill), when applied, then the GGD gets nothing', () => {
    // 17 on 2025-08-28, 18 on 2025-08-29
    expect(apply(withBirth('2007-08-29'), 'ggd-jeugdgezondheid', Date.parse('2025-08-28T10:00:00Z'))).not.toBeNull();
    expect(apply(withBirth('2007-08-29'), 'ggd-jeugdgezondheid', DELIVERED)).toBeNull();
    // years later, as a replay of history would deliver it
    expect(apply(withBirth('2010-01-01'), 'ggd-jeugdgezondheid', Date.parse('2030-01-01T10:00:00Z'))).toBeNull();
  });

  it('given no GGD key, when applied, then nothing is sent', () => {
    expect(applyAgreement(withBirth('2010-01-01'), agreement('ggd-jeugdgezondheid'), undefined, DELIVERED)).toBeNull();
  });

  it('given an MBO student, when applied, then leerjaar and groep are absent and leerweg is there', () => {
    const result = apply(withBirth('2009-01-01'), 'ggd-jeugdgezondheid', DELIVERED)!;
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

  it('given an event at 22:30 UTC on the eve of the 18th birthday (already the birthday in Amsterdam), when applied, then the student counts as 18', () => {
    const event = withBirth('2007-09-01');
    event.occurredAt = Date.parse('2025-08-31T22:30:00Z');
    expect(apply(event, 'ggd-jeugdgezondheid', Date.parse('2025-08-31T22:40:00Z'))).toBeNull();
    event.occurredAt = Date.parse('2025-08-31T21:30:00Z');
    expect(apply(event, 'ggd-jeugdgezondheid', Date.parse('2025-08-31T21:40:00Z'))).not.toBeNull();
  });
});

describe('no join key between recipients', () => {
  const all = (event: RegisterEvent) =>
    agreements.map((a) => applyAgreement(event, a, keys.keyFor(a.recipient), NOW)).filter((r): r is RecipientRecord => r !== null);

  it('given one event delivered to several recipients, when applied, then record ids, orders, pseudonyms and keys differ between every two', () => {
    const event = sample('sample-001'); // PO: SVB and GGD
    const mbo = sample('sample-003'); // MBO: S-BB, SVB, Minister, Inspectie (GGD if a minor)
    for (const results of [all(event), all(mbo)]) {
      expect(results.length).toBeGreaterThan(1);
      for (const field of ['recordId', 'order'] as const) {
        expect(new Set(results.map((r) => r.record[field])).size).toBe(results.length);
      }
      const pseudonyms = results.map((r) => (r.record.persoon as { pseudonym?: string }).pseudonym).filter((p) => p !== undefined);
      expect(new Set(pseudonyms).size).toBe(pseudonyms.length);
      // the register's event id and exact time reach no one
      expect(JSON.stringify(results)).not.toContain(event.eventId);
      expect(JSON.stringify(results)).not.toContain(String(event.occurredAt));
    }
  });

  it('given the Minister and the Inspectie, when applied, then each gets its own enrolment pseudonym and no inschrijvingsvolgnummer', () => {
    const event = sample('sample-003');
    const minister = apply(event, 'ocw-minister')!.record.inschrijving as Record<string, unknown>;
    const inspectie = apply(event, 'inspectie-onderwijs')!.record.inschrijving as Record<string, unknown>;
    expect(minister).not.toHaveProperty('inschrijvingsvolgnummer');
    expect(minister.inschrijvingPseudonym).toMatch(/^v1\.[A-Za-z0-9_-]{43}$/);
    expect(minister.inschrijvingPseudonym).not.toBe(inspectie.inschrijvingPseudonym);
    // the same enrolment, a later change: the same pseudonym
    const later = { ...structuredClone(event), eventId: 'later', occurredAt: event.occurredAt + 3_600_000 };
    expect((apply(later, 'ocw-minister')!.record.inschrijving as Record<string, unknown>).inschrijvingPseudonym).toBe(
      minister.inschrijvingPseudonym,
    );
    expect(JSON.stringify([minister, inspectie])).not.toContain(event.inschrijving.inschrijvingsvolgnummer);
  });

  it('given two changes of one day, when applied, then each recipient orders them as they happened, and the date is the Amsterdam date', () => {
    const first = sample('sample-003');
    const second = { ...structuredClone(first), eventId: 'second', occurredAt: first.occurredAt + 1 };
    for (const recipient of ['sbb-stagemarkt', 'ocw-minister', 'svb-kostendelersnorm']) {
      const a = apply(first, recipient)!.record;
      const b = apply(second, recipient)!.record;
      expect(a.occurredOn).toBe(b.occurredOn);
      expect(b.order as number).toBeGreaterThan(a.order as number);
    }
  });

  it('given an agreement asking for the second, when applied, then occurredAt is there, truncated', () => {
    const precise = { ...agreement('svb-kostendelersnorm'), timePrecision: 'second' as const };
    const event = sample('sample-011');
    event.occurredAt += 123;
    const result = applyAgreement(event, precise, keys.keyFor('svb-kostendelersnorm'), NOW)!;
    expect(result.record.occurredAt).toBe(Math.floor(event.occurredAt / 1000) * 1000);
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
    const key = keys.keyFor('svb-kostendelersnorm');
    expect(applyAgreement(sample('sample-003'), ended, key, Date.parse('2026-07-31T21:59:59Z'))).not.toBeNull();
    expect(applyAgreement(sample('sample-003'), ended, key, Date.parse('2026-07-31T22:00:00Z'))).toBeNull();
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
