import { createHash, randomBytes } from 'node:crypto';
import { loadAvroSchema } from '@register-feeds/service-kit';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import { rawEvents, testBsn } from '../../../test/support/raw-events.ts';
import { isPseudonym } from './identifiers.ts';
import { LeakFound } from './leak-scan.ts';
import { type AvroCodec, openTree } from './opened.ts';
import { personNumbersIn } from './person-data.ts';
import { base32, createRekeyer, yearOnly } from './rekey.ts';
import { createRekeyRun, type SourceRecord } from './rekey-run.ts';
import { tracesOf } from './traces.ts';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const events = rawEvents({ persons: 5, eventsPerPerson: 3 }) as Array<{
  eventId: string;
  persoon: { bsn: string; geboortedatum: string; naam: { voornamen: string; achternaam: string } };
}>;
const pseudonym = (seed: string) => `v1.${createHash('sha256').update(seed).digest('base64url')}`;

/** The registry's wire format over avsc, with fixed ids: what registryCodec does, without a registry. */
function fakeCodec(schemas: Record<number, string>): AvroCodec & { type(id: number): avro.Type } {
  const types = new Map(Object.entries(schemas).map(([id, file]) => [Number(id), avro.Type.forSchema(loadAvroSchema(file) as never)]));
  const type = (id: number) => types.get(id) as avro.Type;
  return {
    type,
    async decode(bytes) {
      const id = bytes.readInt32BE(1);
      if (!types.has(id)) return undefined;
      return { schemaId: id, value: type(id).fromBuffer(bytes.subarray(5)) };
    },
    async encode(id, value) {
      if (!types.has(id) || !type(id).isValid(value)) return undefined;
      const head = Buffer.alloc(5);
      head.writeInt32BE(id, 1);
      return Buffer.concat([head, type(id).toBuffer(value)]);
    },
  };
}
const DEAD_LETTER = 1;
const REGISTER_EVENT = 2;
const codec = fakeCodec({ [DEAD_LETTER]: 'dead-letter.avsc', [REGISTER_EVENT]: 'register-event.avsc' });

/** Traces every record, then rekeys each: what the commands do. */
async function rekeyAll(records: SourceRecord[], run = createRekeyRun({ codec })) {
  for (const r of records) await run.trace(r);
  const out = [];
  for (const [i, r] of records.entries()) out.push(await run.rekey(r, `record ${i}`));
  return out;
}

async function rekeyOne(record: SourceRecord, run = createRekeyRun({ codec })) {
  return (await rekeyAll([record], run))[0] as { record: SourceRecord; dropped: number };
}

const rawRecord = (event: (typeof events)[number]): SourceRecord => ({
  key: Buffer.from(sha(`BSN:${event.persoon.bsn}`)),
  value: Buffer.from(JSON.stringify(event)),
  headers: { source: Buffer.from(`register ${event.persoon.bsn}`) },
});

const textOf = (r: SourceRecord) =>
  Buffer.concat([r.key ?? Buffer.alloc(0), ...Object.values(r.headers), r.value as Buffer]).toString('latin1');

describe('rekeying raw events', () => {
  it('given raw events, then the output holds none of the numbers, names or birth dates', async () => {
    const out = await rekeyAll(events.map(rawRecord));
    for (const [i, { record }] of out.entries()) {
      const { persoon } = events[i]!;
      const text = textOf(record);
      expect(text).not.toContain(persoon.bsn);
      expect(text).not.toContain(persoon.naam.achternaam);
      expect(text).not.toContain(persoon.geboortedatum);
      // a sha256 hex key can hold nine digits that pass the elfproef by chance (a few percent of keys); it is
      // a hash of the run's token, not a number of anyone's, so only the rest is searched
      expect(personNumbersIn(text.replace(/[0-9a-f]{64}/g, ''))).toEqual([]);
      const value = JSON.parse((record.value as Buffer).toString()) as { persoon: Record<string, unknown> };
      expect(value.persoon.geboortedatum).toBe('2007-07-01');
      expect(value.persoon.naam).toEqual({ voornamen: '[removed]', achternaam: '[removed]' });
    }
  });

  it('is consistent within a run: the same person gets the same token and key', async () => {
    const out = await rekeyAll([rawRecord(events[0]!), rawRecord(events[1]!), rawRecord(events[3]!)]);
    const bsnOf = (r: SourceRecord) => (JSON.parse((r.value as Buffer).toString()) as { persoon: { bsn: string } }).persoon.bsn;
    const [a, b, other] = out.map((o) => o.record) as [SourceRecord, SourceRecord, SourceRecord];
    expect(bsnOf(a!)).toMatch(/^anon-[a-z2-7]{26}$/);
    expect(bsnOf(a!)).toBe(bsnOf(b!));
    expect(a.key!.toString()).toBe(b.key!.toString());
    expect(a.key!.toString()).toBe(sha(`ANON:${bsnOf(a!)}`));
    expect(bsnOf(other!)).not.toBe(bsnOf(a!));
    expect(other.headers.source!.toString()).toBe(`register ${bsnOf(other!)}`);
  });

  it('differs across runs', () => {
    const bsn = testBsn(7);
    expect(createRekeyer(randomBytes(32)).token(bsn)).not.toBe(createRekeyer(randomBytes(32)).token(bsn));
  });

  it('given a number field that fails the elfproef (why it was dead-lettered), then it and its hashed key are rekeyed all the same', async () => {
    const raw = { eventId: 'bad-3', persoon: { bsn: '123456789', naam: { achternaam: 'Proefpersoon' } } };
    const { record } = await rekeyOne({ key: Buffer.from(sha('BSN:123456789')), headers: {}, value: Buffer.from(JSON.stringify(raw)) });
    expect(textOf(record)).not.toContain('123456789');
    expect(record.key!.toString()).not.toBe(sha('BSN:123456789'));
  });
});

describe('rekeying pseudonyms, record ids and feed keys', () => {
  const p1 = pseudonym('person 1');
  const p2 = pseudonym('person 2');
  const recordId = pseudonym('record 1');

  it('given strings of the pseudonym shape, then each becomes another of the same shape, the same within the run', async () => {
    const recipientRecord = (id: string, p: string): SourceRecord => ({
      key: Buffer.from(p),
      headers: { recipient: Buffer.from('ocw-minister') },
      value: Buffer.from(
        JSON.stringify({ recordId: id, persoon: { pseudonym: p }, inschrijving: { inschrijvingPseudonym: pseudonym(`${p}|25LX|1`) } }),
      ),
    });
    const out = await rekeyAll([
      recipientRecord(recordId, p1),
      recipientRecord(pseudonym('record 2'), p1),
      recipientRecord(pseudonym('record 3'), p2),
    ]);
    const values = out.map(
      (o) => JSON.parse((o.record.value as Buffer).toString()) as { recordId: string; persoon: { pseudonym: string } },
    );
    for (const v of values) {
      expect(isPseudonym(v.recordId)).toBe(true);
      expect(isPseudonym(v.persoon.pseudonym)).toBe(true);
      expect(v.persoon.pseudonym.startsWith('v1.')).toBe(true);
    }
    expect(values[0]!.persoon.pseudonym).not.toBe(p1);
    expect(values[0]!.recordId).not.toBe(recordId);
    expect(values[0]!.persoon.pseudonym).toBe(values[1]!.persoon.pseudonym);
    expect(values[2]!.persoon.pseudonym).not.toBe(values[0]!.persoon.pseudonym);
    expect(out[0]?.record.key?.toString()).toBe(values[0]?.persoon.pseudonym);
    for (const o of out) for (const original of [p1, p2, recordId]) expect(textOf(o.record)).not.toContain(original);
  });

  it('given feed keys holding a pseudonym or a BSN, then the identifier part is rekeyed and the rest kept', async () => {
    const bsn = testBsn(3);
    const out = await rekeyAll([
      {
        key: Buffer.from(`${p1}|25LX|1|1`),
        headers: {},
        value: Buffer.from(JSON.stringify({ pseudonym: p1, brin: '25LX', status: 'actueel' })),
      },
      { key: Buffer.from(bsn), headers: {}, value: Buffer.from(JSON.stringify({ nummer: bsn, enrolments: [] })) },
    ]);
    const [stagemarkt, svb] = out.map((o) => o.record) as [SourceRecord, SourceRecord];
    expect(stagemarkt.key!.toString()).toMatch(/^v1\.[A-Za-z0-9_-]{43}\|25LX\|1\|1$/);
    expect(stagemarkt.key!.toString().split('|')[0]).toBe(JSON.parse((stagemarkt!.value as Buffer).toString()).pseudonym);
    expect(svb.key!.toString()).toBe(JSON.parse((svb!.value as Buffer).toString()).nummer);
    expect(svb.key!.toString()).toMatch(/^anon-/);
  });

  it('given a pseudonym with nine digits inside its MAC, then it is rekeyed as a pseudonym, not cut around a number', () => {
    const rekeyer = createRekeyer(randomBytes(32));
    const odd = `v2.${'A'.repeat(10)}123456782${'b'.repeat(24)}`;
    expect(isPseudonym(odd)).toBe(true);
    expect(rekeyer.rekeyText(`x|${odd}|y`)).toMatch(/^x\|v2\.[A-Za-z0-9_-]{43}\|y$/);
  });
});

describe('rekeying property names', () => {
  it('given an object keyed by BSN or by pseudonym, then its property names are rekeyed like values', async () => {
    const [a, b] = [testBsn(21), testBsn(22)];
    const p = pseudonym('keyed');
    const value = { byBsn: { [a]: { brin: '25LX' }, [b]: { brin: '26LX' } }, byPseudonym: { [p]: 1 } };
    const { record } = await rekeyOne({ key: null, headers: {}, value: Buffer.from(JSON.stringify(value)) });
    const out = JSON.parse((record.value as Buffer).toString()) as { byBsn: Record<string, unknown>; byPseudonym: Record<string, unknown> };
    expect(Object.keys(out.byBsn)).toHaveLength(2);
    for (const name of Object.keys(out.byBsn)) expect(name).toMatch(/^anon-/);
    expect(Object.values(out.byBsn)).toEqual([{ brin: '25LX' }, { brin: '26LX' }]);
    expect(Object.keys(out.byPseudonym)[0]).not.toBe(p);
    expect(isPseudonym(Object.keys(out.byPseudonym)[0]!)).toBe(true);
  });
});

describe('rekeying bytes fields (dead letters)', () => {
  const event = events[0]!;
  const { bsn, naam, geboortedatum } = event.persoon;
  const deadLetter = (originalKey: Buffer | null, originalValue: Buffer | null) => ({
    service: 'ingest',
    sourceTopic: 'register.raw.v1',
    sourcePartition: 0,
    sourceOffset: 7,
    sourceTimestamp: 1_756_713_600_000,
    originalKey,
    originalValue,
    reasons: [{ field: 'persoon.bsn', rule: 'elfproef', message: 'does not pass the elfproef' }],
    refusedAt: 1_756_713_600_000,
  });
  const asDlq = async (dl: ReturnType<typeof deadLetter>): Promise<SourceRecord> => ({
    key: Buffer.from('register.raw.v1/0/7'),
    headers: {},
    value: (await codec.encode(DEAD_LETTER, dl)) as Buffer,
  });
  const decodeDlq = async (bytes: Buffer) => (await codec.decode(bytes))!.value as ReturnType<typeof deadLetter>;

  it('given a dead letter whose original is raw JSON, then the original is rekeyed inside its bytes and stays JSON', async () => {
    const source = await asDlq(deadLetter(Buffer.from(sha(`BSN:${bsn}`)), Buffer.from(JSON.stringify(event))));
    const { record, dropped } = await rekeyOne(source);
    expect(dropped).toBe(0);
    const dl = await decodeDlq(record.value as Buffer);
    const original = JSON.parse(dl.originalValue!.toString()) as {
      eventId: string;
      persoon: { bsn: string; geboortedatum: string; naam: unknown };
    };
    expect(original.eventId).toBe(event.eventId);
    expect(original.persoon.bsn).toMatch(/^anon-/);
    expect(original.persoon.geboortedatum).toBe('2007-07-01');
    expect(original.persoon.naam).toEqual({ voornamen: '[removed]', achternaam: '[removed]' });
    expect(dl.originalKey!.toString()).toBe(sha(`ANON:${original.persoon.bsn}`));
    expect(dl.reasons).toEqual(deadLetter(null, null).reasons);
    const all = JSON.stringify(dl, (_k, v) => (v?.type === 'Buffer' ? Buffer.from(v.data).toString('latin1') : v));
    for (const secret of [bsn, naam.achternaam, geboortedatum, sha(`BSN:${bsn}`)]) expect(all).not.toContain(secret);
  });

  it('given a dead letter whose original is canonical Avro, then it is decoded, rekeyed and encoded again with its schema', async () => {
    const canonical = {
      eventId: 'c-1',
      eventType: 'InschrijvingGeregistreerd',
      occurredAt: 1_756_713_600_000,
      sector: 'MBO',
      persoon: {
        identificatie: { soort: 'BSN', nummer: bsn },
        geboortedatum: 13_647, // 2007-05-14
        naam: { voornamen: naam.voornamen, voorvoegsel: null, achternaam: naam.achternaam },
      },
      inschrijving: { brin: '25LX', inschrijvingsvolgnummer: '1', opleidingscode: '25180', begindatum: 20_301 },
      bpv: null,
    };
    const original = (await codec.encode(REGISTER_EVENT, canonical)) as Buffer;
    expect(original).toBeDefined();
    const source = await asDlq(deadLetter(Buffer.from(sha(`BSN:${bsn}`)), original));
    const { record } = await rekeyOne(source);
    const dl = await decodeDlq(record.value as Buffer);
    expect(dl.originalValue!.readInt32BE(1)).toBe(REGISTER_EVENT);
    const rekeyed = (await codec.decode(dl.originalValue as Buffer))?.value as typeof canonical;
    expect(rekeyed.persoon.identificatie.nummer).toMatch(/^anon-/);
    expect(rekeyed.persoon.naam.achternaam).toBe('[removed]');
    expect(rekeyed.persoon.geboortedatum).toBe(Date.UTC(2007, 6, 1) / 86_400_000);
    expect(rekeyed.inschrijving.begindatum).toBe(20_301);
    expect(dl.originalKey!.toString()).toBe(sha(`ANON:${rekeyed.persoon.identificatie.nummer}`));
  });

  it('given an original that is not JSON or Avro (truncated, text), then it is dropped: a name in it could not be seen', async () => {
    const truncated = Buffer.from(`{"eventId":"bad-1","persoon":{"bsn":"${bsn}","naam":{"achternaam":"${naam.achternaam}"`);
    const { record, dropped } = await rekeyOne(await asDlq(deadLetter(null, truncated)));
    expect(dropped).toBe(1);
    expect((await decodeDlq(record.value as Buffer)).originalValue).toBeNull();
  });

  it('given bytes shown as base64 in a decoded export line, then they are opened, rekeyed and shown as base64 again', async () => {
    const line = { service: 'ingest', originalValue: Buffer.from(JSON.stringify(event)).toString('base64') };
    const { record } = await rekeyOne({ key: null, headers: {}, value: line }, createRekeyRun({ codec: undefined }));
    const inner = JSON.parse(Buffer.from((record.value as typeof line).originalValue, 'base64').toString()) as { persoon: { bsn: string } };
    expect(inner.persoon.bsn).toMatch(/^anon-/);
  });

  it('given Avro bytes it cannot decode (no codec), then they are dropped, not copied', async () => {
    const bytes = (await asDlq(deadLetter(null, Buffer.from(JSON.stringify(event))))).value as Buffer;
    const { record, dropped } = await rekeyOne({ key: null, headers: {}, value: bytes }, createRekeyRun({ codec: undefined }));
    expect(record.value).toBeNull();
    expect(dropped).toBe(1);
  });

  it('given a whole value that is plain text, then it is dropped; one that is only a person number becomes its token', async () => {
    const run = createRekeyRun({ codec });
    const bsn2 = testBsn(11);
    const out = await rekeyAll(
      [
        { key: Buffer.from(`p-${bsn2}`), headers: {}, value: Buffer.from(`line with ${bsn2} and a name in it`) },
        { key: null, headers: {}, value: Buffer.from(bsn2) },
      ],
      run,
    );
    const [text, number] = out.map((o) => o.record) as [SourceRecord, SourceRecord];
    expect(text.value).toBeNull();
    expect(text.key?.toString()).toMatch(/^p-anon-/);
    expect((number.value as Buffer).toString()).toBe(text.key?.toString().slice(2));
  });
});

describe('the run checks its own output', () => {
  it('given a source person that rekeying cannot see in another record, then the scan refuses that record', async () => {
    // an unchecked number is a person number only where a number field holds it; elsewhere only the scan knows it
    const records: SourceRecord[] = [
      { key: null, headers: {}, value: Buffer.from(JSON.stringify({ persoon: { bsn: '123456789' } })) },
      { key: null, headers: {}, value: Buffer.from(JSON.stringify({ remark: 'see 123456789' })) },
    ];
    await expect(rekeyAll(records)).rejects.toThrow(LeakFound);
    await expect(rekeyAll(records)).rejects.toThrow(/record 1 still holds a person number found in the source \(at value<json>\.remark\)/);
    // a name in a field that is not a name field
    const named: SourceRecord[] = [
      { key: null, headers: {}, value: Buffer.from(JSON.stringify({ naam: { achternaam: 'Proefpersoon' } })) },
      { key: null, headers: {}, value: Buffer.from(JSON.stringify({ remark: 'called Proefpersoon' })) },
    ];
    const error = await rekeyAll(named).catch((e: Error) => e);
    expect(error).toBeInstanceOf(LeakFound);
    expect((error as Error).message).not.toContain('Proefpersoon');
  });

  it('given a whole Avro value (replay without --decode), then it is decoded, rekeyed and encoded again with the same schema id', async () => {
    const dl = {
      service: 'deliver',
      sourceTopic: 'recipient.svb-kostendelersnorm.v2',
      sourcePartition: 1,
      sourceOffset: 2,
      sourceTimestamp: 0,
      originalKey: Buffer.from(events[0]!.persoon.bsn),
      originalValue: null,
      reasons: [],
      refusedAt: 0,
    };
    const { record } = await rekeyOne({ key: null, headers: {}, value: (await codec.encode(DEAD_LETTER, dl)) as Buffer });
    expect((record.value as Buffer).readInt32BE(1)).toBe(DEAD_LETTER);
    const out = (await codec.decode(record.value as Buffer))!.value as typeof dl;
    expect(out.originalKey!.toString()).toMatch(/^anon-/);
  });
});

describe('rekeyer parts', () => {
  it('keeps only the year of a birth date, in the form it came in', () => {
    expect(yearOnly('1999-12-31')).toBe('1999-07-01');
    expect(yearOnly(new Date('1999-12-31T00:00:00Z'))).toEqual(new Date('1999-07-01T00:00:00Z'));
    expect(yearOnly(13_647)).toBe(Date.UTC(2007, 6, 1) / 86_400_000);
    expect(yearOnly(Date.UTC(2007, 4, 14))).toBe(Date.UTC(2007, 6, 1));
    expect(yearOnly('14-05-2007')).toBe('[removed]');
  });

  it('replaces every 64-digit hex key: one of the record’s own numbers by sha256("ANON:<token>"), any other by a run HMAC', async () => {
    const rekeyer = createRekeyer(randomBytes(32));
    const own = tracesOf(await openTree({ bsn: testBsn(4) }, undefined));
    expect(rekeyer.rekeyText(sha(`BSN:${testBsn(4)}`), own)).toBe(sha(`ANON:${rekeyer.token(testBsn(4))}`));
    // the canonical events' key is an HMAC under ingest's key: not reversible here, but linked to the person in production
    const keyed = sha('hmac of someone');
    const rekeyed = rekeyer.rekeyText(keyed, own);
    expect(rekeyed).toMatch(/^[0-9a-f]{64}$/);
    expect(rekeyed).not.toBe(keyed);
    expect(rekeyer.rekeyText(`${keyed}`)).toBe(rekeyed);
  });

  it('base32 encodes as RFC 4648 (lower case, no padding)', () => {
    expect(base32(Buffer.from('foobar'))).toBe('mzxw6ytboi');
    expect(base32(Buffer.from('f'))).toBe('my');
  });
});
