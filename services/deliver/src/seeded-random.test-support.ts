/**
 * mulberry32: small, seeded, good enough to pick test cases, so a failing case is reproduced from its seed.
 * One stream for deliver's property and fuzz tests (svb-restart, server-fuzz), which had a copy each. The
 * generator has its own (tools/generator/src/random.ts), with seed mixing and forks, whose streams differ.
 */
export function seededRandom(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  /** uniform integer in [0, n) */
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  const shuffle = <T>(items: readonly T[]): T[] => {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = int(i + 1);
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  };
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const text = (
    n: number,
    alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%+&=?/#:@!$,;*()[]{}|\\^`"\'<> ',
  ) => Array.from({ length: n }, () => alphabet[int(alphabet.length)]).join('');
  return { next, int, pick, shuffle, bytes, text };
}

export type SeededRandom = ReturnType<typeof seededRandom>;
