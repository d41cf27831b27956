import { describe, expect, it } from 'vitest';
import { codePoints } from './shape.ts';

describe('codePoints', () => {
  it('given text with and without surrogate pairs, lone surrogates included, when counted, then it counts as [...text] does', () => {
    const texts = ['', 'abc', 'één', '😀', 'a😀b😀', '\ud83d', 'a\ud83d', '\ude00a', '\ude00\ud83d', '😀\ud83d', 'x'.repeat(300)];
    for (const text of texts) expect(codePoints(text)).toBe([...text].length);
  });
});
