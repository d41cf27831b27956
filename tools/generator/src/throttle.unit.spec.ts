import { describe, expect, it } from 'vitest';
import { batchSize, createThrottle } from './throttle.ts';

describe('createThrottle', () => {
  it('given a rate, when ahead of it, then it sleeps until the events are due; behind it, not at all', async () => {
    let now = 1000;
    const slept: number[] = [];
    const throttle = createThrottle(
      500,
      () => now,
      async (ms) => {
        slept.push(ms);
        now += ms;
      },
    );
    await throttle.wait(500); // due at +1000 ms, now at +0
    now += 3000; // a slow stretch
    await throttle.wait(1000); // due at +2000 ms, now at +4000
    expect(slept).toEqual([1000]);
  });

  it('given no rate, when waiting, then it never sleeps', async () => {
    const throttle = createThrottle(
      undefined,
      () => 0,
      () => Promise.reject(new Error('slept')),
    );
    await expect(throttle.wait(1_000_000)).resolves.toBeUndefined();
  });

  it('given a rate, when batches are sized, then about ten per second and never more than 500', () => {
    expect(batchSize(undefined)).toBe(500);
    expect(batchSize(100_000)).toBe(500);
    expect(batchSize(500)).toBe(50);
    expect(batchSize(3)).toBe(1);
  });
});
