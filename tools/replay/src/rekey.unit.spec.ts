import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rawEvents, testBsn } from '../../../test/support/raw-events.ts';
import { findPersonData, personNumbersIn } from './person-data.ts';
import { base32, CannotRekey, createRekeyer, yearOnly } from './rekey.ts';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const events = rawEvents({ persons: 5, eventsPerPerson: 3 });
const asRecord = (event: Record<string, unknown>) => {
  const bsn = (event.persoon as { bsn: string }).bsn;
  return {
    key: Buffer.from(sha(`BSN:${bsn}`)),
    value: Buffer.from(JSON.stringify(event)),
    headers: { source: Buffer.from(`register ${bsn}`) },
  };
};

describe('rekeyer', () => {
  it('given raw events, then the output holds none of the numbers or names', () => {
    const rekeyer = createRekeyer(randomBytes(32));
    for (const event of events) {
      const out = rekeyer.rekeyRecord(asRecord(event));
      const bytes = Buffer.concat([out.key!, out.value!, ...Object.values(out.headers)]).toString();
      const persoon = event.persoon as { bsn: string; naam: { achternaam: string } };
      expect(bytes).not.toContain(persoon.bsn);
      expect(bytes).not.toContain(persoon.naam.achternaam);
      expect(bytes).not.toContain('2007-05-14');
      expect(personNumbersIn(bytes)).toEqual([]);
      const value = JSON.parse(out.value!.toString()) as { persoon: { geboortedatum: string; naam: { voornamen: string } } };
      expect(value.persoon.geboortedatum).toBe('2007-07-01');
      expect(value.persoon.naam.voornamen).toBe('[removed]');
      expect(findPersonData({ ...out, key: out.key!, value: out.value! })?.what).toBe('person field persoon.geboortedatum');
    }
  });

  it('is consistent within a run: the same person gets the same token and key', () => {
    const rekeyer = createRekeyer(randomBytes(32));
    const [a, b] = [rekeyer.rekeyRecord(asRecord(events[0]!)), rekeyer.rekeyRecord(asRecord(events[1]!))];
    const other = rekeyer.rekeyRecord(asRecord(events[3]!));
    const bsnOf = (r: { value: Buffer | null }) => (JSON.parse(r.value!.toString()) as { persoon: { bsn: string } }).persoon.bsn;
    expect(bsnOf(a)).toMatch(/^anon-[a-z2-7]{26}$/);
    expect(bsnOf(a)).toBe(bsnOf(b));
    expect(a.key!.toString()).toBe(b.key!.toString());
    expect(a.key!.toString()).toBe(sha(`ANON:${bsnOf(a)}`));
    expect(bsnOf(other)).not.toBe(bsnOf(a));
    expect(other.key!.toString()).not.toBe(a.key!.toString());
  });

  it('differs across runs', () => {
    const bsn = testBsn(7);
    expect(createRekeyer(randomBytes(32)).token(bsn)).not.toBe(createRekeyer(randomBytes(32)).token(bsn));
  });

  it('replaces numbers in plain text and plain keys, keeps unrelated hashed keys', () => {
    const rekeyer = createRekeyer(randomBytes(32));
    const bsn = testBsn(11);
    const out = rekeyer.rekeyRecord({ key: Buffer.from(`p-${bsn}`), value: Buffer.from(`line with ${bsn} in it`), headers: {} });
    expect(out.value!.toString()).toBe(`line with ${rekeyer.token(bsn)} in it`);
    expect(out.key!.toString()).toBe(`p-${rekeyer.token(bsn)}`);
    const unrelated = Buffer.from(sha('something else'));
    expect(rekeyer.rekeyKey(unrelated, new Set([bsn]))).toBe(unrelated);
  });

  it('refuses raw Avro values', () => {
    const rekeyer = createRekeyer(randomBytes(32));
    expect(() => rekeyer.rekeyRecord({ key: null, value: Buffer.from([0, 0, 0, 0, 1, 2]), headers: {} })).toThrow(CannotRekey);
  });

  it('keeps only the year of a birth date', () => {
    expect(yearOnly('1999-12-31')).toBe('1999-07-01');
    expect(yearOnly(new Date('1999-12-31T00:00:00Z'))).toEqual(new Date('1999-07-01T00:00:00Z'));
    expect(yearOnly(12345)).toBe('[removed]');
  });

  it('base32 encodes as RFC 4648 (lower case, no padding)', () => {
    expect(base32(Buffer.from('foobar'))).toBe('mzxw6ytboi');
    expect(base32(Buffer.from('f'))).toBe('my');
  });
});
