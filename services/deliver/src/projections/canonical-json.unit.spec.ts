import { describe, expect, it } from 'vitest';
import { canonicalJson, checksumOf, sameJson } from './canonical-json.ts';

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

describe('sameJson', () => {
  it('given pairs of values, when compared, then it says what comparing their canonical JSON says', () => {
    const values: unknown[] = [
      null,
      0,
      -0,
      1,
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      '',
      '1',
      'null',
      true,
      false,
      [],
      [1, 2],
      [2, 1],
      [1, [2, { a: null }]],
      {},
      { a: 1 },
      { a: 1, b: undefined },
      { b: undefined, a: 1 },
      { a: '1' },
      { a: 1, b: 2 },
      { b: 2, a: 1 },
      { a: { c: 'é', d: [1, { y: 2, x: null }] }, b: 1 },
      { b: 1, a: { d: [1, { x: null, y: 2 }], c: 'é' } },
      { a: [] },
      { a: {} },
    ];
    const disagreements: string[] = [];
    for (const a of values) {
      for (const b of values) {
        if (sameJson(a, b) !== (canonicalJson(a) === canonicalJson(b))) disagreements.push(`${canonicalJson(a)} ${canonicalJson(b)}`);
      }
    }
    expect(disagreements).toEqual([]);
    expect(sameJson({ a: 1, b: 2 }, { b: 2, a: 1 })).toBe(true);
    expect(sameJson([1, 2], [2, 1])).toBe(false);
  });
});
