import { describe, expect, it } from 'vitest';
import { parseRegisterEvent } from './parse-register-event.ts';
import { type Reason, RULE, type Rule } from './reason.ts';

// Distinctive person values, so the privacy checks below can search every reason for them.
const BSN = '111222333';
const ONDERWIJSNUMMER = '101000012';
const GEBOORTEDATUM = '2012-11-02';
const VOORNAMEN = 'Testvoornaam';
const ACHTERNAAM = 'Testachternaam';

type Json = Record<string, unknown>;
type Edit = readonly [path: string, value: unknown];

const persoon = (): Json => ({
  bsn: BSN,
  geboortedatum: GEBOORTEDATUM,
  naam: { voornamen: VOORNAMEN, voorvoegsel: 'van der', achternaam: ACHTERNAAM },
});

const BASES = {
  PO: (): Json => ({
    eventId: 'po-1',
    eventType: 'InschrijvingGeregistreerd',
    occurredAt: '2025-08-20T09:00:00+02:00',
    sector: 'PO',
    persoon: persoon(),
    inschrijving: {
      brin: '25LX',
      brinVestiging: '25LX01',
      inschrijvingsvolgnummer: '1',
      opleidingscode: '1000',
      leerjaar: 3,
      groep: 3,
      begindatum: '2025-08-25',
    },
  }),
  VO: (): Json => ({
    eventId: 'vo-1',
    eventType: 'InschrijvingGeregistreerd',
    occurredAt: '2025-08-20T09:00:00+02:00',
    sector: 'VO',
    persoon: persoon(),
    inschrijving: { brin: '25LX', inschrijvingsvolgnummer: '2', opleidingscode: '2790', leerjaar: 1, begindatum: '2025-08-25' },
  }),
  MBO: (): Json => ({
    eventId: 'mbo-1',
    eventType: 'InschrijvingGeregistreerd',
    occurredAt: '2025-08-20T09:00:00+02:00',
    sector: 'MBO',
    persoon: persoon(),
    inschrijving: {
      brin: '25LX',
      locatiecodeMbo: 'LOC01',
      inschrijvingsvolgnummer: 'A1',
      opleidingscode: '25604',
      leerweg: 'BOL',
      niveau: 4,
      begindatum: '2025-09-01',
    },
  }),
  BPV: (): Json => ({
    ...BASES.MBO(),
    eventId: 'bpv-1',
    eventType: 'BpvGeregistreerd',
    occurredAt: '2026-01-15T13:45:00+01:00',
    bpv: {
      bpvVolgnummer: 1,
      leerbedrijf: { id: 'LB1', naam: 'Test Leerbedrijf' },
      opleidingscodeBpv: '25604',
      codeKeuzedeel: 'K0125',
      begindatum: '2026-02-02',
      geplandeEinddatum: '2026-06-26',
      omvangUren: 400,
    },
  }),
};
type Base = keyof typeof BASES;

/** Sets (or, with undefined, removes) the field at a dotted path of a fresh copy. */
function edited(base: Base, edits: readonly Edit[]): Json {
  const event = structuredClone(BASES[base]());
  for (const [path, value] of edits) {
    const names = path.split('.');
    const last = names.pop()!;
    let target = event;
    for (const name of names) target = target[name] as Json;
    if (value === undefined) delete target[last];
    else target[last] = value;
  }
  return event;
}

const parse = (event: Json) => parseRegisterEvent(JSON.stringify(event));
const reasonsOf = (event: Json): Reason[] => {
  const result = parse(event);
  return result.ok ? [] : result.reasons;
};

/** No reason may quote a person's number, birth date or name: reasons end up in a dead-letter topic and in logs. */
function expectNoPersonalData(reasons: readonly Reason[], ...values: string[]): void {
  const text = JSON.stringify(reasons);
  for (const value of [BSN, ONDERWIJSNUMMER, GEBOORTEDATUM, VOORNAMEN, ACHTERNAAM, ...values]) expect(text).not.toContain(value);
}

describe('parseRegisterEvent: well-formed events', () => {
  it.each(Object.keys(BASES) as Base[])('given a valid %s event, when parsed, then it is accepted unchanged', (base) => {
    const event = BASES[base]();
    const result = parse(event);
    expect(result).toEqual({ ok: true, event });
  });

  it('given a Buffer, when parsed, then it is decoded as UTF-8', () => {
    const result = parseRegisterEvent(Buffer.from(JSON.stringify(edited('PO', [['persoon.naam.achternaam', 'Tëst']]))));
    expect(result.ok && result.event.persoon.naam.achternaam).toBe('Tëst');
  });
});

describe('parseRegisterEvent: the payload as a whole', () => {
  it('given a payload over maxBytes, when parsed, then it is refused before parsing', () => {
    // given a payload that is not even JSON, so a parse would give another rule
    const payload = `{${'x'.repeat(100)}`;
    // when
    const result = parseRegisterEvent(payload, { maxBytes: 100 });
    // then
    expect(result).toEqual({ ok: false, reasons: [expect.objectContaining({ field: '$', rule: RULE.tooLarge })] });
  });

  it('given a payload of exactly maxBytes, when parsed, then its size is accepted', () => {
    const payload = JSON.stringify(BASES.PO());
    expect(parseRegisterEvent(payload, { maxBytes: Buffer.byteLength(payload) }).ok).toBe(true);
  });

  it('given no maxBytes, when a payload over 64 KiB is parsed, then it is refused', () => {
    const payload = JSON.stringify(edited('PO', [['eventId', 'x'.repeat(65 * 1024)]]));
    expect(reasonsOf(JSON.parse(payload)).map((r) => r.rule)).toEqual([RULE.tooLarge]);
  });

  it('given multi-byte characters, when the size is measured, then bytes count, not characters', () => {
    expect(parseRegisterEvent('"ëëëëë"', { maxBytes: 8 })).toMatchObject({ ok: false, reasons: [{ rule: RULE.tooLarge }] });
  });

  it('given bytes that are not UTF-8, when parsed, then it is refused as not-utf8', () => {
    expect(parseRegisterEvent(Buffer.from([0x7b, 0xff, 0x7d]))).toMatchObject({ ok: false, reasons: [{ rule: RULE.notUtf8 }] });
  });

  it('given text that is not JSON and holds a BSN, when parsed, then it is refused as not-json without quoting the text', () => {
    const result = parseRegisterEvent(`{"persoon": {"bsn": "${BSN}", "geboortedatum": "${GEBOORTEDATUM}"`);
    expect(result).toEqual({ ok: false, reasons: [{ field: '$', rule: RULE.notJson, message: 'payload is not valid JSON' }] });
  });

  it.each([['[]'], ['null'], ['42'], ['"text"']])('given JSON %s, when parsed, then it is refused as not-object', (payload) => {
    expect(parseRegisterEvent(payload)).toMatchObject({ ok: false, reasons: [{ field: '$', rule: RULE.notObject }] });
  });

  it('given many problems at once, when parsed, then every one is reported', () => {
    // given
    const event = edited('VO', [
      ['eventId', ''],
      ['sector', 'HBO'],
      ['persoon.bsn', '123456789'],
      ['inschrijving.brin', '2X5L'],
      ['inschrijving.begindatum', '2026-02-30'],
      ['extra', true],
    ]);
    // when
    const rules = reasonsOf(event).map((r) => r.rule);
    // then
    expect(rules).toEqual(
      expect.arrayContaining([RULE.length, RULE.enum, RULE.bsnElfproef, RULE.brinFormat, RULE.dateExists, RULE.unknownField]),
    );
  });

  it('given a malformed field, when parsed, then the cross-field rules do not pile on more reasons for it', () => {
    const event = edited('VO', [['inschrijving.einddatum', '2025-13-01']]);
    expect(reasonsOf(event).map((r) => r.rule)).toEqual([RULE.dateExists]);
  });
});

interface RuleCase {
  rule: Rule;
  field: string;
  why: string;
  base: Base;
  failing: readonly Edit[];
  passing: readonly Edit[];
}

// Each rule with an event that breaks it and a nearby event that keeps it.
const CASES: RuleCase[] = [
  { rule: RULE.required, field: 'eventId', why: 'eventId missing', base: 'PO', failing: [['eventId', undefined]], passing: [] },
  {
    rule: RULE.required,
    field: 'persoon.naam.achternaam',
    why: 'achternaam missing',
    base: 'PO',
    failing: [['persoon.naam.achternaam', undefined]],
    passing: [['persoon.naam.voorvoegsel', undefined]],
  },
  {
    rule: RULE.required,
    field: 'inschrijving',
    why: 'inschrijving missing',
    base: 'VO',
    failing: [['inschrijving', undefined]],
    passing: [],
  },
  {
    rule: RULE.required,
    field: 'bpv.bpvVolgnummer',
    why: 'bpvVolgnummer missing',
    base: 'BPV',
    failing: [['bpv.bpvVolgnummer', undefined]],
    passing: [],
  },
  {
    rule: RULE.type,
    field: 'inschrijving.niveau',
    why: 'niveau as a string',
    base: 'MBO',
    failing: [['inschrijving.niveau', '4']],
    passing: [['inschrijving.niveau', 4]],
  },
  {
    rule: RULE.type,
    field: 'inschrijving.leerjaar',
    why: 'leerjaar a fraction',
    base: 'VO',
    failing: [['inschrijving.leerjaar', 1.5]],
    passing: [['inschrijving.leerjaar', 2]],
  },
  { rule: RULE.type, field: 'persoon.bsn', why: 'bsn as a number', base: 'PO', failing: [['persoon.bsn', 111222333]], passing: [] },
  { rule: RULE.type, field: 'persoon.naam', why: 'naam as a string', base: 'PO', failing: [['persoon.naam', 'Test Persoon']], passing: [] },
  {
    rule: RULE.type,
    field: 'persoon.naam.voorvoegsel',
    why: 'null instead of leaving it out',
    base: 'PO',
    failing: [['persoon.naam.voorvoegsel', null]],
    passing: [['persoon.naam.voorvoegsel', undefined]],
  },
  { rule: RULE.unknownField, field: 'geslacht', why: 'an unknown top-level field', base: 'PO', failing: [['geslacht', 'X']], passing: [] },
  {
    rule: RULE.unknownField,
    field: 'persoon.naam.roepnaam',
    why: 'an unknown nested field',
    base: 'PO',
    failing: [['persoon.naam.roepnaam', 'Test']],
    passing: [],
  },
  {
    rule: RULE.unknownField,
    field: 'bpv.leerbedrijf.kvk',
    why: 'an unknown field two levels down',
    base: 'BPV',
    failing: [['bpv.leerbedrijf.kvk', '1']],
    passing: [],
  },
  {
    rule: RULE.enum,
    field: 'eventType',
    why: 'an unknown event type',
    base: 'PO',
    failing: [['eventType', 'InschrijvingVerhuisd']],
    passing: [['eventType', 'InschrijvingGewijzigd']],
  },
  { rule: RULE.enum, field: 'sector', why: 'an unknown sector', base: 'VO', failing: [['sector', 'HBO']], passing: [] },
  {
    rule: RULE.enum,
    field: 'inschrijving.leerweg',
    why: 'an unknown leerweg',
    base: 'MBO',
    failing: [['inschrijving.leerweg', 'bol']],
    passing: [['inschrijving.leerweg', 'BBL']],
  },
  { rule: RULE.length, field: 'eventId', why: 'an empty eventId', base: 'PO', failing: [['eventId', '']], passing: [['eventId', 'x']] },
  {
    rule: RULE.length,
    field: 'eventId',
    why: 'an eventId of 65 characters',
    base: 'PO',
    failing: [['eventId', 'x'.repeat(65)]],
    passing: [['eventId', 'x'.repeat(64)]],
  },
  {
    rule: RULE.eventIdFormat,
    field: 'eventId',
    why: 'an eventId with an underscore',
    base: 'PO',
    failing: [['eventId', 'po_1']],
    passing: [['eventId', 'po-1']],
  },
  {
    rule: RULE.eventIdFormat,
    field: 'eventId',
    why: 'an eventId with a space',
    base: 'PO',
    failing: [['eventId', 'po 1']],
    passing: [['eventId', 'PO1']],
  },
  {
    rule: RULE.eventIdDigits,
    field: 'eventId',
    why: 'an eventId built from a BSN',
    base: 'PO',
    failing: [['eventId', `evt-${BSN}-1`]],
    passing: [['eventId', 'evt-11122233-3-1']],
  },
  {
    rule: RULE.eventIdDigits,
    field: 'eventId',
    why: 'an eventId of epoch seconds (ten digits)',
    base: 'PO',
    failing: [['eventId', 'run-1760000000-sample-001']],
    passing: [['eventId', 'run-mgbkhq2o-sample-001']],
  },
  {
    rule: RULE.eventIdDigits,
    field: 'eventId',
    why: 'nine digits that are also outside the format',
    base: 'PO',
    failing: [['eventId', `evt_${ONDERWIJSNUMMER}`]],
    passing: [['eventId', '550e8400-e29b-41d4-a716-44665544abcd']],
  },
  {
    rule: RULE.length,
    field: 'persoon.naam.voornamen',
    why: 'empty voornamen',
    base: 'PO',
    failing: [['persoon.naam.voornamen', '']],
    passing: [],
  },
  {
    rule: RULE.range,
    field: 'inschrijving.niveau',
    why: 'niveau 5',
    base: 'MBO',
    failing: [['inschrijving.niveau', 5]],
    passing: [['inschrijving.niveau', 1]],
  },
  {
    rule: RULE.range,
    field: 'inschrijving.groep',
    why: 'groep 0',
    base: 'PO',
    failing: [['inschrijving.groep', 0]],
    passing: [['inschrijving.groep', 8]],
  },
  {
    rule: RULE.range,
    field: 'inschrijving.leerjaar',
    why: 'PO leerjaar 9',
    base: 'PO',
    failing: [['inschrijving.leerjaar', 9]],
    passing: [['inschrijving.leerjaar', 8]],
  },
  {
    rule: RULE.range,
    field: 'inschrijving.leerjaar',
    why: 'VO leerjaar 7',
    base: 'VO',
    failing: [['inschrijving.leerjaar', 7]],
    passing: [['inschrijving.leerjaar', 6]],
  },
  {
    rule: RULE.range,
    field: 'bpv.omvangUren',
    why: 'omvangUren 10001',
    base: 'BPV',
    failing: [['bpv.omvangUren', 10_001]],
    passing: [['bpv.omvangUren', 10_000]],
  },
  {
    rule: RULE.range,
    field: 'bpv.omvangUren',
    why: 'omvangUren 0',
    base: 'BPV',
    failing: [['bpv.omvangUren', 0]],
    passing: [['bpv.omvangUren', 1]],
  },
  {
    rule: RULE.range,
    field: 'bpv.bpvVolgnummer',
    why: 'bpvVolgnummer 0',
    base: 'BPV',
    failing: [['bpv.bpvVolgnummer', 0]],
    passing: [['bpv.bpvVolgnummer', 2]],
  },
  {
    rule: RULE.format,
    field: 'inschrijving.inschrijvingsvolgnummer',
    why: 'a dash in inschrijvingsvolgnummer',
    base: 'PO',
    failing: [['inschrijving.inschrijvingsvolgnummer', 'A-1']],
    passing: [['inschrijving.inschrijvingsvolgnummer', 'A1']],
  },
  {
    rule: RULE.format,
    field: 'inschrijving.locatiecodeMbo',
    why: 'locatiecodeMbo of 11 characters',
    base: 'MBO',
    failing: [['inschrijving.locatiecodeMbo', 'L1234567890']],
    passing: [['inschrijving.locatiecodeMbo', 'L123456789']],
  },
  {
    rule: RULE.format,
    field: 'bpv.leerbedrijf.id',
    why: 'leerbedrijf id of 21 characters',
    base: 'BPV',
    failing: [['bpv.leerbedrijf.id', 'L'.repeat(21)]],
    passing: [['bpv.leerbedrijf.id', 'L'.repeat(20)]],
  },
  {
    rule: RULE.format,
    field: 'bpv.codeKeuzedeel',
    why: 'codeKeuzedeel with a space',
    base: 'BPV',
    failing: [['bpv.codeKeuzedeel', 'K 01']],
    passing: [['bpv.codeKeuzedeel', 'K01']],
  },
  {
    rule: RULE.bsnFormat,
    field: 'persoon.bsn',
    why: 'a bsn of 8 digits',
    base: 'PO',
    failing: [['persoon.bsn', '12345678']],
    passing: [['persoon.bsn', '123456782']],
  },
  {
    rule: RULE.bsnElfproef,
    field: 'persoon.bsn',
    why: 'a bsn failing the elfproef',
    base: 'PO',
    failing: [['persoon.bsn', '123456789']],
    passing: [['persoon.bsn', '999999990']],
  },
  {
    rule: RULE.bsnElfproef,
    field: 'persoon.bsn',
    why: 'bsn 000000000',
    base: 'PO',
    failing: [['persoon.bsn', '000000000']],
    passing: [['persoon.bsn', '012345672']],
  },
  {
    rule: RULE.onderwijsnummerFormat,
    field: 'persoon.onderwijsnummer',
    why: 'an onderwijsnummer with a letter',
    base: 'PO',
    failing: [
      ['persoon.bsn', undefined],
      ['persoon.onderwijsnummer', '10100001x'],
    ],
    passing: [
      ['persoon.bsn', undefined],
      ['persoon.onderwijsnummer', ONDERWIJSNUMMER],
    ],
  },
  {
    rule: RULE.onderwijsnummerCheck,
    field: 'persoon.onderwijsnummer',
    why: 'a BSN given as onderwijsnummer',
    base: 'PO',
    failing: [
      ['persoon.bsn', undefined],
      ['persoon.onderwijsnummer', BSN],
    ],
    passing: [
      ['persoon.bsn', undefined],
      ['persoon.onderwijsnummer', ONDERWIJSNUMMER],
    ],
  },
  {
    rule: RULE.oneIdentifier,
    field: 'persoon',
    why: 'both bsn and onderwijsnummer',
    base: 'PO',
    failing: [['persoon.onderwijsnummer', ONDERWIJSNUMMER]],
    passing: [],
  },
  {
    rule: RULE.oneIdentifier,
    field: 'persoon',
    why: 'neither bsn nor onderwijsnummer',
    base: 'PO',
    failing: [['persoon.bsn', undefined]],
    passing: [],
  },
  {
    rule: RULE.brinFormat,
    field: 'inschrijving.brin',
    why: 'a BRIN with letters first',
    base: 'VO',
    failing: [['inschrijving.brin', '2X5L']],
    passing: [['inschrijving.brin', '00AA']],
  },
  {
    rule: RULE.brinFormat,
    field: 'inschrijving.brin',
    why: 'a BRIN in lower case',
    base: 'VO',
    failing: [['inschrijving.brin', '25lx']],
    passing: [],
  },
  {
    rule: RULE.brinVestigingFormat,
    field: 'inschrijving.brinVestiging',
    why: 'a vestiging of one digit',
    base: 'PO',
    failing: [['inschrijving.brinVestiging', '25LX1']],
    passing: [['inschrijving.brinVestiging', '25LX99']],
  },
  {
    rule: RULE.brinVestigingPrefix,
    field: 'inschrijving.brinVestiging',
    why: 'a vestiging of another BRIN',
    base: 'PO',
    failing: [['inschrijving.brinVestiging', '26LX01']],
    passing: [],
  },
  {
    rule: RULE.opleidingscodeFormat,
    field: 'inschrijving.opleidingscode',
    why: 'PO code of 3 digits',
    base: 'PO',
    failing: [['inschrijving.opleidingscode', '100']],
    passing: [['inschrijving.opleidingscode', '10000']],
  },
  {
    rule: RULE.opleidingscodeFormat,
    field: 'inschrijving.opleidingscode',
    why: 'MBO code of 4 digits',
    base: 'MBO',
    failing: [['inschrijving.opleidingscode', '2560']],
    passing: [['inschrijving.opleidingscode', '25180']],
  },
  {
    rule: RULE.opleidingscodeFormat,
    field: 'bpv.opleidingscodeBpv',
    why: 'opleidingscodeBpv of 4 digits',
    base: 'BPV',
    failing: [['bpv.opleidingscodeBpv', '2560']],
    passing: [['bpv.opleidingscodeBpv', undefined]],
  },
  {
    rule: RULE.dateFormat,
    field: 'inschrijving.begindatum',
    why: 'a date without leading zeros',
    base: 'VO',
    failing: [['inschrijving.begindatum', '2025-8-25']],
    passing: [],
  },
  {
    rule: RULE.dateExists,
    field: 'inschrijving.begindatum',
    why: '2026-02-30',
    base: 'VO',
    failing: [['inschrijving.begindatum', '2026-02-30']],
    passing: [['inschrijving.begindatum', '2024-02-29']],
  },
  {
    rule: RULE.dateExists,
    field: 'bpv.geplandeEinddatum',
    why: '2026-06-31',
    base: 'BPV',
    failing: [['bpv.geplandeEinddatum', '2026-06-31']],
    passing: [['bpv.geplandeEinddatum', '2026-06-30']],
  },
  {
    rule: RULE.dateTimeFormat,
    field: 'occurredAt',
    why: 'a date-time without offset',
    base: 'PO',
    failing: [['occurredAt', '2025-08-20T09:00:00']],
    passing: [['occurredAt', '2025-08-20T07:00:00Z']],
  },
  {
    rule: RULE.dateExists,
    field: 'occurredAt',
    why: 'hour 24',
    base: 'PO',
    failing: [['occurredAt', '2025-08-20T24:00:00Z']],
    passing: [['occurredAt', '2025-08-20T23:59:59.999Z']],
  },
  {
    rule: RULE.dateOrder,
    field: 'inschrijving.einddatum',
    why: 'einddatum before begindatum',
    base: 'VO',
    failing: [['inschrijving.einddatum', '2025-08-24']],
    passing: [['inschrijving.einddatum', '2025-08-25']],
  },
  {
    rule: RULE.dateOrder,
    field: 'bpv.geplandeEinddatum',
    why: 'geplandeEinddatum before the BPV begindatum',
    base: 'BPV',
    failing: [['bpv.geplandeEinddatum', '2026-02-01']],
    passing: [['bpv.geplandeEinddatum', '2026-02-02']],
  },
  {
    rule: RULE.dateOrder,
    field: 'bpv.werkelijkeEinddatum',
    why: 'werkelijkeEinddatum before the BPV begindatum',
    base: 'BPV',
    failing: [['bpv.werkelijkeEinddatum', '2026-01-31']],
    passing: [['bpv.werkelijkeEinddatum', '2026-03-31']],
  },
  {
    rule: RULE.geboortedatumAfterEvent,
    field: 'persoon.geboortedatum',
    why: 'born after the event',
    base: 'PO',
    failing: [['persoon.geboortedatum', '2025-08-21']],
    passing: [['persoon.geboortedatum', '2025-08-20']],
  },
  // 00:30 at +02:00 is still the 19th in UTC; the register's own calendar date counts.
  {
    rule: RULE.geboortedatumAfterEvent,
    field: 'persoon.geboortedatum',
    why: 'born the day after the local date',
    base: 'PO',
    failing: [
      ['occurredAt', '2025-08-20T00:30:00+02:00'],
      ['persoon.geboortedatum', '2025-08-21'],
    ],
    passing: [
      ['occurredAt', '2025-08-20T00:30:00+02:00'],
      ['persoon.geboortedatum', '2025-08-20'],
    ],
  },
  {
    rule: RULE.sectorField,
    field: 'inschrijving.groep',
    why: 'groep on VO',
    base: 'VO',
    failing: [['inschrijving.groep', 1]],
    passing: [],
  },
  {
    rule: RULE.sectorField,
    field: 'inschrijving.groep',
    why: 'groep on MBO',
    base: 'MBO',
    failing: [['inschrijving.groep', 1]],
    passing: [],
  },
  {
    rule: RULE.sectorField,
    field: 'inschrijving.leerjaar',
    why: 'leerjaar on MBO',
    base: 'MBO',
    failing: [['inschrijving.leerjaar', 1]],
    passing: [],
  },
  {
    rule: RULE.sectorField,
    field: 'inschrijving.leerweg',
    why: 'leerweg on PO',
    base: 'PO',
    failing: [['inschrijving.leerweg', 'BOL']],
    passing: [],
  },
  {
    rule: RULE.sectorField,
    field: 'inschrijving.niveau',
    why: 'niveau on VO',
    base: 'VO',
    failing: [['inschrijving.niveau', 2]],
    passing: [],
  },
  {
    rule: RULE.sectorField,
    field: 'inschrijving.locatiecodeMbo',
    why: 'locatiecodeMbo on PO',
    base: 'PO',
    failing: [['inschrijving.locatiecodeMbo', 'LOC01']],
    passing: [],
  },
  {
    rule: RULE.eventRequires,
    field: 'inschrijving.einddatum',
    why: 'InschrijvingBeeindigd without einddatum',
    base: 'VO',
    failing: [['eventType', 'InschrijvingBeeindigd']],
    passing: [
      ['eventType', 'InschrijvingBeeindigd'],
      ['inschrijving.einddatum', '2026-07-31'],
    ],
  },
  {
    rule: RULE.eventRequires,
    field: 'inschrijving.leerweg',
    why: 'MBO InschrijvingGeregistreerd without leerweg',
    base: 'MBO',
    failing: [['inschrijving.leerweg', undefined]],
    passing: [
      ['eventType', 'InschrijvingGewijzigd'],
      ['inschrijving.leerweg', undefined],
    ],
  },
  {
    rule: RULE.eventRequires,
    field: 'inschrijving.niveau',
    why: 'MBO InschrijvingGeregistreerd without niveau',
    base: 'MBO',
    failing: [['inschrijving.niveau', undefined]],
    passing: [
      ['eventType', 'InschrijvingVerwijderd'],
      ['inschrijving.niveau', undefined],
    ],
  },
  { rule: RULE.eventRequires, field: 'bpv', why: 'BpvGeregistreerd without bpv', base: 'BPV', failing: [['bpv', undefined]], passing: [] },
  {
    rule: RULE.eventRequires,
    field: 'bpv',
    why: 'BpvVerwijderd without bpv',
    base: 'BPV',
    failing: [
      ['eventType', 'BpvVerwijderd'],
      ['bpv', undefined],
    ],
    passing: [
      ['eventType', 'BpvVerwijderd'],
      ['bpv', { bpvVolgnummer: 1 }],
    ],
  },
  {
    rule: RULE.eventRequires,
    field: 'bpv.leerbedrijf',
    why: 'BpvGeregistreerd without leerbedrijf',
    base: 'BPV',
    failing: [['bpv.leerbedrijf', undefined]],
    passing: [
      ['eventType', 'BpvVerwijderd'],
      ['bpv.leerbedrijf', undefined],
    ],
  },
  {
    rule: RULE.eventRequires,
    field: 'bpv.begindatum',
    why: 'BpvGewijzigd without begindatum',
    base: 'BPV',
    failing: [
      ['eventType', 'BpvGewijzigd'],
      ['bpv.begindatum', undefined],
    ],
    passing: [['eventType', 'BpvGewijzigd']],
  },
  {
    rule: RULE.eventRequires,
    field: 'bpv.geplandeEinddatum',
    why: 'BpvGeregistreerd without geplandeEinddatum',
    base: 'BPV',
    failing: [['bpv.geplandeEinddatum', undefined]],
    passing: [],
  },
  {
    rule: RULE.eventRequires,
    field: 'bpv.omvangUren',
    why: 'BpvGewijzigd without omvangUren',
    base: 'BPV',
    failing: [
      ['eventType', 'BpvGewijzigd'],
      ['bpv.omvangUren', undefined],
    ],
    passing: [['eventType', 'BpvGewijzigd']],
  },
  {
    rule: RULE.eventRequires,
    field: 'bpv.werkelijkeEinddatum',
    why: 'BpvBeeindigd without werkelijkeEinddatum',
    base: 'BPV',
    failing: [['eventType', 'BpvBeeindigd']],
    passing: [
      ['eventType', 'BpvBeeindigd'],
      ['bpv.werkelijkeEinddatum', '2026-06-26'],
    ],
  },
  {
    rule: RULE.eventForbids,
    field: 'bpv',
    why: 'an Inschrijving event with a bpv',
    base: 'BPV',
    failing: [['eventType', 'InschrijvingGewijzigd']],
    passing: [
      ['eventType', 'InschrijvingGewijzigd'],
      ['bpv', undefined],
    ],
  },
  {
    rule: RULE.eventSector,
    field: 'sector',
    why: 'a Bpv event on VO',
    base: 'VO',
    failing: [
      ['eventType', 'BpvVerwijderd'],
      ['bpv', { bpvVolgnummer: 1 }],
    ],
    passing: [],
  },
];

describe('parseRegisterEvent: each rule', () => {
  it.each(CASES)('given $why, when parsed, then it fails $rule on $field', ({ base, failing, rule, field }) => {
    // when
    const reasons = reasonsOf(edited(base, failing));
    // then: exactly this rule on this field, and nothing personal in the reasons
    expect(reasons.map((r) => [r.rule, r.field])).toEqual([[rule, field]]);
    expect(reasons[0]!.message.startsWith(`${field} `)).toBe(true);
    expectNoPersonalData(reasons);
  });

  it.each(CASES)('given the fix for $why, when parsed, then the event is accepted', ({ base, passing }) => {
    expect(reasonsOf(edited(base, passing))).toEqual([]);
  });
});

describe('parseRegisterEvent: reasons never carry personal data', () => {
  it('given every person field wrong at once, when parsed, then no message quotes a value', () => {
    // given
    const values = ['123456789', '12345678', '2030-01-01', 'Q'.repeat(201), 'Zzzvoorvoegselzzz'.repeat(3)];
    const event = edited('PO', [
      ['persoon.bsn', values[0]],
      ['persoon.onderwijsnummer', values[1]],
      ['persoon.geboortedatum', values[2]],
      ['persoon.naam.voornamen', values[3]],
      ['persoon.naam.voorvoegsel', values[4]],
    ]);
    // when
    const reasons = reasonsOf(event);
    // then
    expect(reasons.length).toBeGreaterThanOrEqual(5);
    expectNoPersonalData(reasons, ...values);
  });

  it('given an eventId that carries a BSN, when parsed, then the reason names the rule and never the id', () => {
    const id = `leerling-${BSN}-inschrijving-${ONDERWIJSNUMMER}`;
    const reasons = reasonsOf(edited('PO', [['eventId', id]]));
    expect(reasons.map((r) => [r.field, r.rule])).toEqual([['eventId', RULE.eventIdDigits]]);
    expectNoPersonalData(reasons, id);
  });

  it('given an eventId too long and holding a person number, when parsed, then both reasons are given, neither quoting it', () => {
    const id = `${BSN}${'x'.repeat(100)}`;
    const reasons = reasonsOf(edited('PO', [['eventId', id]]));
    expect(reasons.map((r) => r.rule)).toEqual([RULE.length, RULE.eventIdDigits]);
    expectNoPersonalData(reasons, id);
  });

  it('given an unknown key that is itself a BSN or a date, when parsed, then the key is redacted in field and message', () => {
    const reasons = reasonsOf(
      edited('PO', [
        [`persoon.${BSN}`, true],
        [GEBOORTEDATUM, 1],
      ]),
    );
    expect(reasons.map((r) => r.field).sort()).toEqual(['[redacted]', 'persoon.[redacted]']);
    expectNoPersonalData(reasons);
  });
});
