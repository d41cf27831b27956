import { applyAgreement, createKeyStore, generateTestKeys, loadAgreements, type RecipientKey } from '@register-feeds/pseudonymise';
import { type RegisterEvent, toEpochDay } from '@register-feeds/register-model';
import { describe, expect, it } from 'vitest';
import { columnsFor, parsePeildatum, SnapshotError, snapshotAges, snapshotRecord, snapshotRow } from './snapshot.ts';

const agreements = loadAgreements(new URL('../../../agreements/', import.meta.url).pathname);
const minister = agreements.find((a) => a.recipient === 'ocw-minister');
if (minister === undefined) throw new Error('no ocw-minister agreement');
const keys = createKeyStore(generateTestKeys(['ocw-minister', 'inspectie-onderwijs']));
const key = keys.keyFor('ocw-minister') as RecipientKey;

const PEILDATUM = toEpochDay('2026-10-01');
const KNOWN_AT = Date.parse('2026-11-15T00:00:00Z');

function event(overrides: Partial<RegisterEvent> = {}): RegisterEvent {
  return {
    eventId: '6f1c2d3e-0000-4000-8000-000000000001',
    eventType: 'InschrijvingGeregistreerd',
    // June 2026: the study year 2025-2026, so the stream's ages are on 2025's dates
    occurredAt: Date.parse('2026-06-15T09:30:00Z'),
    sector: 'MBO',
    persoon: {
      identificatie: { soort: 'BSN', nummer: '123456782' },
      geboortedatum: toEpochDay('2008-10-01'),
      naam: { voornamen: 'Sanne', voorvoegsel: null, achternaam: 'Jansen' },
    },
    inschrijving: {
      brin: '25LX',
      brinVestiging: null,
      locatiecodeMbo: null,
      inschrijvingsvolgnummer: '1',
      opleidingscode: '25180',
      leerweg: 'BOL',
      niveau: 4,
      leerjaar: null,
      groep: null,
      begindatum: toEpochDay('2026-08-01'),
      einddatum: null,
    },
    bpv: null,
    ...overrides,
  };
}

describe('snapshotRecord', () => {
  it("carries the stream's pseudonym, enrolment pseudonym and record id for the same event and key", () => {
    const e = event();
    const stream = applyAgreement(e, minister, key, KNOWN_AT);
    const snap = snapshotRecord(e, minister, key, { peildatum: PEILDATUM, knownAt: KNOWN_AT });
    expect(stream).not.toBeNull();
    expect(snap?.key).toBe(stream?.key);
    expect(snap?.record.recordId).toBe(stream?.record.recordId);
    expect((snap?.record.persoon as { pseudonym: string }).pseudonym).toBe((stream?.record.persoon as { pseudonym: string }).pseudonym);
    expect((snap?.record.inschrijving as Record<string, unknown>).inschrijvingPseudonym).toBe(
      (stream?.record.inschrijving as Record<string, unknown>).inschrijvingPseudonym,
    );
    expect(snap?.record.order).toBe(stream?.record.order);
  });

  it('takes the ages on the reference dates of the calendar year of the 1 October peildatum, not of the event date', () => {
    const e = event();
    const stream = applyAgreement(e, minister, key, KNOWN_AT)?.record.leeftijden as Array<{
      label: string;
      peildatum: number;
      leeftijd: number;
    }>;
    const snap = snapshotRecord(e, minister, key, { peildatum: PEILDATUM, knownAt: KNOWN_AT })?.record.leeftijden;
    // the stream: the study year of 15 June 2026 is 2025-2026, so 1 Oct 2025 (born 1 Oct 2008: 17)
    expect(stream.find((a) => a.label === 'op-1-oktober')).toEqual({
      label: 'op-1-oktober',
      peildatum: toEpochDay('2025-10-01'),
      leeftijd: 17,
    });
    expect(snap).toEqual([
      { label: 'op-1-augustus', peildatum: toEpochDay('2026-08-01'), leeftijd: 17 },
      { label: 'op-30-september', peildatum: toEpochDay('2026-09-30'), leeftijd: 17 },
      { label: 'op-1-oktober', peildatum: toEpochDay('2026-10-01'), leeftijd: 18 },
      { label: 'op-31-december', peildatum: toEpochDay('2026-12-31'), leeftijd: 18 },
    ]);
  });

  it('is null where the agreement leaves the enrolment out (another sector)', () => {
    expect(snapshotRecord(event({ sector: 'VO' }), minister, key, { peildatum: PEILDATUM, knownAt: KNOWN_AT })).toBeNull();
  });
});

describe('snapshotAges', () => {
  it('is null for a date before the birth date', () => {
    expect(snapshotAges([{ label: 'x', at: { kind: 'month-day', month: 8, day: 1 } }], toEpochDay('2026-09-01'), PEILDATUM)).toEqual([
      { label: 'x', peildatum: toEpochDay('2026-08-01'), leeftijd: null },
    ]);
  });
});

describe('the snapshot table', () => {
  const columns = columnsFor(minister, PEILDATUM, KNOWN_AT);

  it("has the Minister's fields as flat columns with the schema's docs as comments, ages one column each", () => {
    expect(columns.map((c) => `${c.spec.name}:${c.spec.type}`)).toEqual([
      'peildatum:DATE',
      'known_at:VARCHAR',
      'recordId:VARCHAR',
      'eventType:VARCHAR',
      'occurredOn:DATE',
      'order_token:BIGINT',
      'leeftijd_op_1_augustus:INTEGER',
      'leeftijd_op_30_september:INTEGER',
      'leeftijd_op_1_oktober:INTEGER',
      'leeftijd_op_31_december:INTEGER',
      'sector:VARCHAR',
      'persoon_pseudonym:VARCHAR',
      'inschrijving_brin:VARCHAR',
      'inschrijving_inschrijvingPseudonym:VARCHAR',
      'inschrijving_opleidingscode:VARCHAR',
      'inschrijving_leerweg:VARCHAR',
      'inschrijving_niveau:INTEGER',
      'inschrijving_begindatum:DATE',
      'inschrijving_einddatum:DATE',
    ]);
    expect(columns.find((c) => c.spec.name === 'inschrijving_brin')?.spec.comment).toBe('BRIN of the institution.');
    expect(columns.find((c) => c.spec.name === 'leeftijd_op_31_december')?.spec.comment).toContain('2026-12-31');
    expect(columns.every((c) => typeof c.spec.comment === 'string' && c.spec.comment.length > 0)).toBe(true);
  });

  it('flattens a record into a row: dates as YYYY-MM-DD, absent values null, no birth date or person number', () => {
    const made = snapshotRecord(event(), minister, key, { peildatum: PEILDATUM, knownAt: KNOWN_AT });
    const row = snapshotRow(columns, made?.record as Record<string, unknown>);
    expect(row).toMatchObject({
      peildatum: '2026-10-01',
      known_at: '2026-11-15T00:00:00.000Z',
      eventType: 'InschrijvingGeregistreerd',
      occurredOn: '2026-06-15',
      leeftijd_op_1_oktober: 18,
      sector: 'MBO',
      inschrijving_brin: '25LX',
      inschrijving_niveau: 4,
      inschrijving_begindatum: '2026-08-01',
      inschrijving_einddatum: null,
    });
    expect(JSON.stringify(row)).not.toContain('123456782');
    expect(typeof row.order_token).toBe('number');
  });
});

describe('parsePeildatum', () => {
  it('refuses what is not an existing date, with a message rather than a stack', () => {
    expect(() => parsePeildatum('2026-02-30')).toThrow(SnapshotError);
    expect(() => parsePeildatum('1-10-2026')).toThrow(/not an existing date/);
    expect(parsePeildatum('2026-10-01')).toBe(PEILDATUM);
  });
});
