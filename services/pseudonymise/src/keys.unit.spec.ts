import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createKeyStore, generateTestKeys, type KeyFile, KeyFileError, parseKeyFile } from './keys.ts';

const secret = (byte: number, length = 32) => Buffer.alloc(length, byte).toString('base64');
const file: KeyFile = {
  'sbb-stagemarkt': { current: 'v2', versions: { v1: secret(1), v2: secret(2) } },
  'ocw-minister': { current: 'v1', versions: { v1: secret(3, 64) } },
};

describe('key store', () => {
  it('given a key file, when a key is asked for, then the current version is given, and an older one on request', () => {
    // given
    const store = parseKeyFile(JSON.stringify(file));
    // when
    const current = store.keyFor('sbb-stagemarkt');
    const older = store.keyFor('sbb-stagemarkt', 'v1');
    // then
    expect(current?.version).toBe('v2');
    expect(current?.secret.equals(Buffer.alloc(32, 2))).toBe(true);
    expect(older?.secret.equals(Buffer.alloc(32, 1))).toBe(true);
    expect(store.keyFor('svb-kostendelersnorm')).toBeUndefined();
    expect(store.recipients()).toEqual(['ocw-minister', 'sbb-stagemarkt']);
  });

  it('given a store, when a recipient is retired, then the new store has none of its versions and the old store is unchanged', () => {
    const store = createKeyStore(file);
    const retired = store.retire('sbb-stagemarkt');
    expect(retired.keyFor('sbb-stagemarkt')).toBeUndefined();
    expect(retired.keyFor('sbb-stagemarkt', 'v1')).toBeUndefined();
    expect(retired.keyFor('ocw-minister')?.version).toBe('v1');
    expect(store.keyFor('sbb-stagemarkt')?.version).toBe('v2');
  });

  it('given a key, when it is stringified, spread or inspected, then the secret does not show', () => {
    const key = createKeyStore(file).keyFor('sbb-stagemarkt')!;
    const encoded = secret(2);
    for (const text of [
      JSON.stringify(key),
      JSON.stringify({ ...key }),
      inspect(key),
      inspect({ key }, { depth: 5 }),
      String(Object.keys(key)),
    ]) {
      expect(text).not.toContain(encoded);
      expect(text).not.toContain(Buffer.alloc(32, 2).toString('hex'));
    }
    expect(JSON.parse(JSON.stringify(key))).toEqual({ recipient: 'sbb-stagemarkt', version: 'v2', secret: '[redacted]' });
    expect(inspect(key)).toContain('[redacted]');
  });

  it.each([
    ['a key shorter than 32 bytes', { x: { current: 'v1', versions: { v1: secret(1, 31) } } }, /31 bytes; at least 32/],
    ['a current version that does not exist', { x: { current: 'v3', versions: { v1: secret(1) } } }, /current "v3"/],
    ['a secret that is not base64', { x: { current: 'v1', versions: { v1: '!!not base64!!' } } }, /not base64/],
    ['a version name with a dot', { x: { current: 'v.1', versions: { 'v.1': secret(1) } } }, /versions are v1, v2/],
    ['a recipient id that is not kebab-case', { X_Y: { current: 'v1', versions: { v1: secret(1) } } }, /not a kebab-case/],
    ['an entry without versions', { x: { current: 'v1' } }, /needs \{ current, versions \}/],
  ])('given %s, when the store is made, then it refuses without quoting the secret', (_, bad, message) => {
    let error: unknown;
    try {
      createKeyStore(bad as unknown as KeyFile);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(KeyFileError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain(secret(1, 31));
  });

  it('given text that is not JSON, when parsed, then the error does not quote the text', () => {
    const text = `{ "x": "${secret(9)}" `;
    expect(() => parseKeyFile(text)).toThrow('key file: not valid JSON');
  });

  it('given recipients, when test keys are generated, then each has a fresh 32-byte v1 that the store accepts', () => {
    const generated = generateTestKeys(['a', 'b']);
    const store = createKeyStore(generated);
    expect(store.keyFor('a')?.secret).toHaveLength(32);
    expect(store.keyFor('a')?.secret.equals(store.keyFor('b')!.secret)).toBe(false);
  });
});
