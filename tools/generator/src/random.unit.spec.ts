import { describe, expect, it } from 'vitest';
import { createRandom } from './random.ts';

const draws = (seed: number, n = 100) => {
  const random = createRandom(seed);
  return Array.from({ length: n }, () => random.next());
};

describe('createRandom', () => {
  it('given the same seed, when drawn, then the sequence is the same; another seed gives another sequence', () => {
    expect(draws(42)).toEqual(draws(42));
    expect(draws(42)).not.toEqual(draws(43));
    // the high bits of a large seed count too
    expect(draws(2 ** 32 + 42)).not.toEqual(draws(42));
  });

  it('given many draws, when checked, then next is in [0, 1), int within its bounds and all bounds are reached', () => {
    const random = createRandom(7);
    const ints = new Set<number>();
    for (let i = 0; i < 10_000; i++) {
      const x = random.next();
      expect(x >= 0 && x < 1).toBe(true);
      ints.add(random.int(3, 6));
    }
    expect([...ints].sort()).toEqual([3, 4, 5, 6]);
  });

  it('given a fork, when both are drawn, then the fork is repeatable and independent of its parent', () => {
    const a = createRandom(1);
    const b = createRandom(1);
    const forkA = a.fork();
    const forkB = b.fork();
    expect(Array.from({ length: 10 }, () => forkA.next())).toEqual(Array.from({ length: 10 }, () => forkB.next()));
    expect(forkA.next()).not.toBe(a.next());
  });

  it('given invalid input, when used, then it refuses', () => {
    expect(() => createRandom(Number.NaN)).toThrow(RangeError);
    expect(() => createRandom(1).pick([])).toThrow(RangeError);
  });
});
