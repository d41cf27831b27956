/**
 * Valid, unique person numbers. A BSN passes the elfproef (9*d1 + 8*d2 + ... + 2*d8 - 1*d9 divisible
 * by 11, not 000000000); an onderwijsnummer uses the same weights with remainder 5, so the two can never
 * be confused. Numbers are issued, not drawn: two generated persons must never share a number, or their
 * histories would merge into one person downstream.
 */

import type { Random } from './random.ts';

const PREFIXES = 100_000_000; // eight leading digits; the ninth is the check digit

export interface PersonNumbers {
  nextBsn(): string;
  nextOnderwijsnummer(): string;
}

/** 9*d1 + ... + 2*d8 of an eight-digit prefix. */
function weightedSum(prefix: string): number {
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += (9 - i) * Number(prefix[i]);
  return sum;
}

/** The check digit that makes prefix + digit leave `remainder`, or null when that digit would be 10. */
export function checkDigit(prefix: string, remainder: 0 | 5): number | null {
  // sum - d9 ≡ remainder (mod 11)  ⇔  d9 ≡ sum - remainder (mod 11)
  const digit = (((weightedSum(prefix) - remainder) % 11) + 11) % 11;
  return digit === 10 ? null : digit;
}

/**
 * Walks the eight-digit prefixes in a seeded order: prefix(k) = (a*k + b) mod 10^8 is a permutation
 * when a shares no factor with 10^8, so each k gives a new prefix and the numbers look scattered rather
 * than counted. One in eleven prefixes has no valid check digit and is skipped.
 */
function createSequence(random: Random, remainder: 0 | 5): () => string {
  let a = random.int(100_001, 999_999);
  while (a % 2 === 0 || a % 5 === 0) a += 1; // a*k stays far below 2^53
  const b = random.int(0, PREFIXES - 1);
  let k = 0;
  return () => {
    for (;;) {
      if (k >= PREFIXES) throw new RangeError('all person numbers of this kind are issued');
      const prefix = String((a * k + b) % PREFIXES).padStart(8, '0');
      k += 1;
      const digit = checkDigit(prefix, remainder);
      if (digit === null) continue;
      const number = `${prefix}${digit}`;
      if (number !== '000000000') return number;
    }
  };
}

export function createPersonNumbers(random: Random): PersonNumbers {
  return { nextBsn: createSequence(random, 0), nextOnderwijsnummer: createSequence(random, 5) };
}
