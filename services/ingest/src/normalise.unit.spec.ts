import { readFileSync } from 'node:fs';
import type { RawRegisterEvent } from '@register-feeds/contracts';
import { fromEpochDay } from '@register-feeds/register-model';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { normalise, type RegisterEvent } from './normalise.ts';
import { parseRegisterEvent } from './validate/index.ts';

type AvroNode = Record<string, unknown>;
const avsc = JSON.parse(readFileSync(new URL('../../../schemas/register-event.avsc', import.meta.url), 'utf8')) as AvroNode;
const type = avro.Type.forSchema(avsc as avro.Schema);

const samples: RawRegisterEvent[] = readFileSync(new URL('../fixtures/sample-events.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => {
    const result = parseRegisterEvent(line);
    if (!result.ok) throw new Error(`sample does not parse: ${JSON.stringify(result.reasons)}`);
    return result.event;
  });

const byType = (eventType: string): RawRegisterEvent => samples.find((e) => e.eventType === eventType)!;

describe('normalise', () => {
  it('given a BPV event, when normalised, then timestamps are epoch millis, dates epoch days, and absent fields null', () => {
    // given
    const raw = byType('BpvGeregistreerd');
    // when
    const event = normalise(raw);
    // then
    expect(event.occurredAt).toBe(Date.parse(raw.occurredAt));
    expect(event.persoon.identificatie).toEqual({ soort: 'BSN', nummer: raw.persoon.bsn });
    expect(fromEpochDay(event.persoon.geboortedatum)).toBe(raw.persoon.geboortedatum);
    expect(fromEpochDay(event.inschrijving.begindatum)).toBe(raw.inschrijving.begindatum);
    expect(event.inschrijving).toMatchObject({
      brinVestiging: null,
      einddatum: null,
      leerjaar: null,
      groep: null,
      leerweg: 'BOL',
      niveau: 4,
    });
    expect(event.bpv).toEqual({
      bpvVolgnummer: 1,
      leerbedrijf: { id: 'LB100001', naam: 'Test Leerbedrijf BV' },
      opleidingscodeBpv: '25604',
      codeKeuzedeel: 'K0125',
      begindatum: Date.UTC(2026, 1, 2) / 86_400_000,
      geplandeEinddatum: Date.UTC(2026, 5, 26) / 86_400_000,
      werkelijkeEinddatum: null,
      omvangUren: 400,
    });
  });

  it('given a person with an onderwijsnummer, when normalised, then the identificatie says so', () => {
    const raw = samples.find((e) => e.persoon.onderwijsnummer !== undefined)!;
    expect(normalise(raw).persoon.identificatie).toEqual({ soort: 'ONDERWIJSNUMMER', nummer: raw.persoon.onderwijsnummer });
  });

  it('given a BpvVerwijderd with only a bpvVolgnummer, when normalised, then the other BPV fields are null', () => {
    expect(normalise(byType('BpvVerwijderd')).bpv).toEqual({
      bpvVolgnummer: 1,
      leerbedrijf: null,
      opleidingscodeBpv: null,
      codeKeuzedeel: null,
      begindatum: null,
      geplandeEinddatum: null,
      werkelijkeEinddatum: null,
      omvangUren: null,
    });
  });

  it('given an Inschrijving event, when normalised, then bpv is null and a PO event keeps leerjaar and groep', () => {
    const event = normalise(byType('InschrijvingGeregistreerd'));
    expect(event.bpv).toBeNull();
    expect(event.inschrijving).toMatchObject({ leerjaar: 3, groep: 3, brinVestiging: '99XA01' });
  });

  it('given a sub-millisecond fraction, when normalised, then it is cut to milliseconds', () => {
    const raw = { ...byType('InschrijvingGewijzigd'), occurredAt: '2025-10-01T11:00:00.1239+02:00' };
    expect(normalise(raw).occurredAt).toBe(Date.parse('2025-10-01T09:00:00.123Z'));
  });

  it('given the same raw event twice, when normalised, then the results are equal (no clock, no randomness)', () => {
    for (const raw of samples) expect(normalise(raw)).toEqual(normalise(structuredClone(raw)));
  });
});

describe('normalise and schemas/register-event.avsc', () => {
  it.each(
    samples.map((raw) => [raw.eventId, raw.eventType, raw] as const),
  )('given sample %s (%s), when normalised, encoded and decoded with avsc, then the event is unchanged', (_, __, raw) => {
    // given
    const event: RegisterEvent = normalise(raw);
    // when
    const decoded = type.fromBuffer(type.toBuffer(event));
    // then
    expect(type.isValid(event, { noUndeclaredFields: true })).toBe(true);
    expect(decoded).toEqual(event);
  });

  it('given the schema, when read, then it is nl.onderwijs.register.v1.RegisterEvent and every field and named type has a doc', () => {
    expect(`${avsc.namespace}.${avsc.name}`).toBe('nl.onderwijs.register.v1.RegisterEvent');
    const undocumented: string[] = [];
    const visit = (node: unknown, path: string): void => {
      if (Array.isArray(node)) {
        for (const branch of node) visit(branch, path);
        return;
      }
      if (typeof node !== 'object' || node === null) return;
      const named = node as AvroNode;
      if ((named.type === 'record' || named.type === 'enum') && typeof named.doc !== 'string') undocumented.push(`${path} (${named.name})`);
      for (const field of (named.fields as AvroNode[] | undefined) ?? []) {
        if (typeof field.doc !== 'string' || field.doc === '') undocumented.push(`${path}.${field.name}`);
        visit(field.type, `${path}.${field.name}`);
      }
    };
    visit(avsc, 'RegisterEvent');
    expect(undocumented).toEqual([]);
  });

  it('given a normalised event without a required field, when checked by avsc, then it is invalid', () => {
    const event = normalise(byType('InschrijvingGeregistreerd')) as unknown as AvroNode;
    expect(type.isValid({ ...event, eventType: 'Onbekend' })).toBe(false);
    expect(type.isValid({ ...event, occurredAt: '2025-08-20T09:00:00Z' })).toBe(false);
  });
});
