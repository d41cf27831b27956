import { describe, expect, it } from 'vitest';
import { canonicalJson, checksumOf } from './canonical-json.ts';

describe('canonicalJson', () => {
  it('given objects with the same fields in another order, when stringified, then the text is the same at every depth', () => {
    // given
    const a = { b: 1, a: { d: [1, { y: 2, x: null }], c: 'é' } };
    const b = { a: { c: 'é', d: [1, { x: null, y: 2 }] }, b: 1 };
    // when / then
    expect(canonicalJson(a)).toBe(canonicalJson(b));
    expect(canonicalJson(a)).toBe('{"a":{"c":"é","d":[1,{"x":null,"y":2}]},"b":1}');
  });

  it('given arrays in another order, when stringified, then the text differs: order in an array is meaning', () => {
    expect(canonicalJson([1, 2])).not.toBe(canonicalJson([2, 1]));
  });

  it('given an undefined field, when stringified, then it is left out as JSON.stringify does', () => {
    expect(canonicalJson({ a: 1, b: undefined })).toBe('{"a":1}');
  });

  it('given rows, when checksummed, then it is sha256 hex and the same for equal rows', () => {
    const rows: [string, unknown][] = [['k', { b: 2, a: 1 }]];
    expect(checksumOf(rows)).toMatch(/^[0-9a-f]{64}$/);
    expect(checksumOf(rows)).toBe(checksumOf([['k', { a: 1, b: 2 }]]));
    expect(checksumOf(rows)).not.toBe(checksumOf([['k', { a: 1, b: 3 }]]));
  });
});
