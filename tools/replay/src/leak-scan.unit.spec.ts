import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { testBsn } from '../../../test/support/raw-events.ts';
import { createLeakScanner, LeakFound } from './leak-scan.ts';
import { Opened } from './opened.ts';
import type { RecordView } from './rekey.ts';
import { emptyTraces, mergeTraces, type Traces, tracesOf } from './traces.ts';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const bsn = testBsn(1);
const other = testBsn(2);
const pseudonym = `v1.${sha('p').slice(0, 43)}`;

/** What the run found in its source: two persons, one with a pseudonym. */
const source = [
  { persoon: { bsn, geboortedatum: '2007-05-14', naam: { voornamen: 'Jan Willem', voorvoegsel: 'de', achternaam: 'Bol' } } },
  { persoon: { nummer: other, pseudonym, geboortedatum: 13_000, naam: { voornamen: 'Fleur', achternaam: 'Proefpersoon' } } },
];
const own = source.map((s) => tracesOf(s));
const all = emptyTraces();
for (const t of own) mergeTraces(all, t);
const scanner = createLeakScanner(all);

const view = (value: unknown, extra: Partial<RecordView> = {}): RecordView => ({ key: null, headers: {}, value, ...extra });
const leakIn = (value: unknown, ownTraces: Traces = emptyTraces(), extra: Partial<RecordView> = {}) =>
  scanner.findLeak(view(value, extra), ownTraces);

describe('leak scan', () => {
  it('given output without anything from the source, then there is no leak', () => {
    const clean = {
      persoon: {
        bsn: 'anon-abc',
        geboortedatum: '2007-07-01',
        naam: { voornamen: '[removed]', voorvoegsel: 'de', achternaam: '[removed]' },
      },
      inschrijving: { brin: '25LX', leerweg: 'BOL', begindatum: '2025-08-01', count: 123456789 },
    };
    expect(leakIn(clean, own[0])).toBeUndefined();
  });

  it('finds a source person number anywhere: in a value, a number, a property name, a key, a header, text in bytes', () => {
    expect(leakIn({ note: `ref ${other}` })).toEqual({ what: 'person number', where: 'value.note' });
    expect(leakIn({ n: Number(bsn) })).toEqual({ what: 'person number', where: 'value.n' });
    expect(leakIn({ byBsn: { [bsn]: 1 } })).toEqual({ what: 'person number', where: 'value.byBsn (a property name)' });
    expect(leakIn(null, emptyTraces(), { key: new Opened('text', `${bsn}`, 'bytes') })?.where).toBe('key');
    expect(leakIn(null, emptyTraces(), { headers: { who: new Opened('binary', Buffer.from(`x${bsn}`), 'bytes') } })?.where).toBe(
      'header who',
    );
    expect(leakIn({ originalValue: new Opened('json', { persoon: { bsn } }, 'bytes') })).toEqual({
      what: 'person number',
      where: 'value.originalValue<json>.persoon.bsn',
    });
  });

  it('finds the sha256 key of a source number and a source pseudonym', () => {
    expect(leakIn({ originalKey: new Opened('text', sha(`BSN:${bsn}`), 'bytes') })?.what).toBe('person hash');
    expect(leakIn({ originalKey: new Opened('text', sha(`ONDERWIJSNUMMER:${other}`), 'bytes') })?.what).toBe('person hash');
    expect(leakIn({ key: `${pseudonym}|25LX|1|1` })?.what).toBe('pseudonym');
  });

  it('finds names as whole words with their case, wherever they stand', () => {
    expect(leakIn({ remark: 'Jan Willem Bol called' })?.what).toBe('name');
    expect(leakIn({ achternaam: 'Proefpersoon' })?.what).toBe('name');
    expect(leakIn({ text: 'Fleur' })?.what).toBe('name');
    // not a name: the leerweg BOL, a longer word, a lone first given name, a surname prefix
    expect(leakIn({ leerweg: 'BOL', text: 'Bolwerk Jan', voorvoegsel: 'de' })).toBeUndefined();
  });

  it('finds a record’s own birth date, as text or as an epoch day in a birth date field, but not July 1st or another record’s', () => {
    expect(leakIn({ geboortedatum: '2007-05-14' }, own[0])?.what).toBe('birth date');
    expect(leakIn({ at: '2007-05-14T00:00:00Z' }, own[0])?.what).toBe('birth date');
    expect(leakIn({ geboortedatum: 13_000 }, own[1])?.what).toBe('birth date');
    expect(leakIn({ begindatum: 13_000 }, own[1])).toBeUndefined();
    expect(leakIn({ begindatum: '2007-05-14' }, own[1])).toBeUndefined();
    expect(leakIn({ geboortedatum: '2010-07-01' }, tracesOf({ geboortedatum: '2010-07-01' }))).toBeUndefined();
  });

  it('never puts the value in a finding or its message', () => {
    const leak = leakIn({ [bsn]: { [pseudonym]: 'x' }, nested: { [`${other}x`]: 1 } })!;
    const message = new LeakFound('topic t partition 0 offset 1', leak).message;
    for (const secret of [bsn, other, pseudonym]) {
      expect(JSON.stringify(leak)).not.toContain(secret);
      expect(message).not.toContain(secret);
    }
    expect(message).toMatch(/refused: .* still holds a person number .*Nothing was written/);
  });

  it('does not print property names that could be identifiers in a path', () => {
    const leak = leakIn({ [`anon-${'a'.repeat(26)}`]: { persoon: { note: bsn } } })!;
    expect(leak.where).toBe('value.[…].persoon.note');
  });
});

describe('traces', () => {
  it('given a record, then it finds numbers by check digit anywhere and by field, names, pseudonyms and birth dates', () => {
    const t = tracesOf({
      persoon: { nummer: '123456789', naam: 'J. Jansen', geboortedatum: '2012-11-02T00:00:00Z' },
      text: `about ${bsn} and ${pseudonym}`,
      [other]: true,
      count: 42,
    });
    expect([...t.numbers].sort()).toEqual(['123456789', bsn, other].sort());
    expect(t.hashes.get(sha(`BSN:${bsn}`))).toBe(bsn);
    expect([...t.names]).toEqual(['J. Jansen']);
    expect([...t.pseudonyms]).toEqual([pseudonym]);
    expect([...t.birthDates]).toEqual(['2012-11-02']);
  });

  it('given an already rekeyed record, then its removed names are no one’s', () => {
    expect([...tracesOf({ naam: { voornamen: '[removed]', achternaam: '[removed]' } }).names]).toEqual([]);
  });

  it('looks into opened bytes', () => {
    const t = tracesOf({
      originalValue: new Opened('avro', { persoon: { identificatie: { nummer: bsn }, geboortedatum: 13_647 } }, 'bytes'),
    });
    expect([...t.numbers]).toEqual([bsn]);
    expect([...t.birthDates]).toEqual(['2007-05-14']);
  });
});
