/**
 * A small seeded pseudo-random generator (mulberry32) with the helpers the generator needs. Never
 * Math.random: the same seed must give byte-identical output on every machine and every run, so demos,
 * tests and benchmarks can be repeated and a failure can be reproduced from its seed alone.
 * Not for anything secret: 32 bits of state, predictable by design.
 */

export interface Random {
  /** uniform in [0, 1) */
  next(): number;
  /** uniform integer in [min, max], both included */
  int(min: number, max: number): number;
  /** true with probability p */
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /**
   * An independent stream seeded from this one. Each person draws from its own fork, so a person's life
   * does not depend on how many other persons are interleaved with it.
   */
  fork(): Random;
}

/** Any safe integer seed; the high bits are folded in, so 42 and 2^32 + 42 give different streams. */
export function createRandom(seed: number): Random {
  if (!Number.isSafeInteger(seed)) throw new RangeError('seed must be a safe integer');
  const low = seed >>> 0;
  const high = Math.floor(seed / 2 ** 32) >>> 0;
  return new Mulberry32(mix32(low ^ Math.imul(high, 0x9e3779b9)));
}

// A class, not closures: every active person holds its own stream, and prototype methods cost it nothing.
class Mulberry32 implements Random {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let t = Math.imul(this.#state ^ (this.#state >>> 15), 1 | this.#state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.int(0, items.length - 1)]!;
  }

  fork(): Random {
    // mixed, so neighbouring forks do not start from neighbouring states
    return new Mulberry32(mix32(Math.floor(this.next() * 4_294_967_296)));
  }
}

/** A 32-bit finaliser (murmur3's fmix32): spreads small seeds such as 1, 2, 3 over the whole state. */
function mix32(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
