import { createHash, createHmac } from 'node:crypto';
import type { Identificatie } from '@register-feeds/register-model';
import { describe, expect, it } from 'vitest';
import { createKeyStore, generateTestKeys, type KeyFile } from './keys.ts';
import { enrolmentPseudonymFor, pseudonymFor, recordIdFor } from './pseudonym.ts';

const bsn: Identificatie = { soort: 'BSN', nummer: '999999990' };
const store = createKeyStore(generateTestKeys(['ocw-minister', 'inspectie-onderwijs']));
const minister = store.keyFor('ocw-minister')!;
const inspectie = store.keyFor('inspectie-onderwijs')!;
const macOf = (pseudonym: string) => Buffer.from(pseudonym.split('.')[1]!, 'base64url');

describe('pseudonymFor', () => {
  it('given a fixed key, when pseudonymised, then it is the HMAC-SHA-256 of recipient|persoon|soort:nummer (the key object made once changes no byte)', () => {
    const secret = Buffer.alloc(32, 9);
    const fixed = createKeyStore({ 'ocw-minister': { current: 'v1', versions: { v1: secret.toString('base64') } } }).keyFor(
      'ocw-minister',
    )!;
    const expected = createHmac('sha256', secret).update('ocw-minister|persoon|BSN:999999990', 'utf8').digest('base64url');
    expect(pseudonymFor(bsn, fixed)).toBe(`v1.${expected}`);
    expect(pseudonymFor(bsn, fixed)).toBe(`v1.${expected}`);
    expect(recordIdFor('e-1', fixed)).toBe(
      `v1.${createHmac('sha256', secret).update('ocw-minister|record|e-1', 'utf8').digest('base64url')}`,
    );
  });

  it('given the same person and recipient, when pseudonymised twice, then the pseudonym is the same', () => {
    expect(pseudonymFor(bsn, minister)).toBe(pseudonymFor({ ...bsn }, minister));
  });

  it('given the format, when pseudonymised, then it is the key version, a dot and a 32-byte base64url MAC', () => {
    expect(pseudonymFor(bsn, minister)).toMatch(/^v1\.[A-Za-z0-9_-]{43}$/);
    expect(macOf(pseudonymFor(bsn, minister))).toHaveLength(32);
  });

  it('given two recipients, when the same person is pseudonymised, then the pseudonyms differ', () => {
    expect(pseudonymFor(bsn, minister)).not.toBe(pseudonymFor(bsn, inspectie));
  });

  it('given a key reused by mistake for two recipients, when pseudonymised, then the recipient id still separates them', () => {
    const shared = Buffer.alloc(32, 7).toString('base64');
    const reused = createKeyStore({ a: { current: 'v1', versions: { v1: shared } }, b: { current: 'v1', versions: { v1: shared } } });
    expect(pseudonymFor(bsn, reused.keyFor('a')!)).not.toBe(pseudonymFor(bsn, reused.keyFor('b')!));
  });

  it('given a new key version, when pseudonymised, then the pseudonym differs and its prefix names the version', () => {
    const file: KeyFile = {
      'ocw-minister': {
        current: 'v3',
        versions: { v2: Buffer.alloc(32, 2).toString('base64'), v3: Buffer.alloc(32, 3).toString('base64') },
      },
    };
    const rotated = createKeyStore(file);
    const old = pseudonymFor(bsn, rotated.keyFor('ocw-minister', 'v2')!);
    const current = pseudonymFor(bsn, rotated.keyFor('ocw-minister')!);
    expect(old.startsWith('v2.')).toBe(true);
    expect(current.startsWith('v3.')).toBe(true);
    expect(macOf(old).equals(macOf(current))).toBe(false);
  });

  it('given a BSN and an onderwijsnummer with the same digits, when pseudonymised, then they differ', () => {
    expect(pseudonymFor(bsn, minister)).not.toBe(pseudonymFor({ soort: 'ONDERWIJSNUMMER', nummer: bsn.nummer }, minister));
  });

  it('given the pseudonym, when compared with every unkeyed hash of the BSN, then none matches (no enumeration shortcut)', () => {
    // given
    const mac = macOf(pseudonymFor(bsn, minister));
    const inputs = [bsn.nummer, `BSN:${bsn.nummer}`, `ocw-minister|BSN:${bsn.nummer}`];
    // when
    const matches: string[] = [];
    for (const algorithm of ['md5', 'sha1', 'sha256', 'sha512']) {
      for (const input of inputs) {
        const digest = createHash(algorithm).update(input).digest();
        const pseudonymText = pseudonymFor(bsn, minister).split('.')[1]!;
        const same =
          digest.equals(mac) ||
          ['hex', 'base64', 'base64url'].some((encoding) => digest.toString(encoding as BufferEncoding) === pseudonymText) ||
          mac.toString('hex').includes(digest.toString('hex').slice(0, 16));
        if (same) matches.push(`${algorithm}(${input})`);
      }
    }
    // then
    expect(matches).toEqual([]);
  });
});

describe('recordIdFor and enrolmentPseudonymFor', () => {
  const keys = createKeyStore(generateTestKeys(['ocw-minister', 'inspectie-onderwijs']));
  const m = keys.keyFor('ocw-minister')!;
  const i = keys.keyFor('inspectie-onderwijs')!;
  const person = { soort: 'BSN' as const, nummer: '999999990' };

  it('given one event id, when made for two recipients, then the record ids differ, and neither is a pseudonym of anything', () => {
    expect(recordIdFor('e-1', m)).toMatch(/^v1\.[A-Za-z0-9_-]{43}$/);
    expect(recordIdFor('e-1', m)).toBe(recordIdFor('e-1', m));
    expect(recordIdFor('e-1', m)).not.toBe(recordIdFor('e-1', i));
    expect(recordIdFor('BSN:999999990', m)).not.toBe(pseudonymFor(person, m));
  });

  it('given one enrolment, when made for two recipients, then the pseudonyms differ; another sequence number gives another', () => {
    const a = enrolmentPseudonymFor(person, '25LX', '1', m);
    expect(a).toBe(enrolmentPseudonymFor(person, '25LX', '1', m));
    expect(a).not.toBe(enrolmentPseudonymFor(person, '25LX', '1', i));
    expect(a).not.toBe(enrolmentPseudonymFor(person, '25LX', '2', m));
    expect(a).not.toBe(pseudonymFor(person, m));
  });
});
