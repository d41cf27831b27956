import { describe, expect, it } from 'vitest';
import { RecordUndecodableError, RegistryUnavailableError } from './errors.ts';
import { backoffDelay, retryWhileRetriable } from './retry.ts';

describe('backoffDelay', () => {
  it('doubles from the first wait up to the cap, with half of each wait random', () => {
    const low = (n: number) => backoffDelay(n, { initialDelayMs: 100, maxDelayMs: 1_000, random: () => 0 });
    const high = (n: number) => backoffDelay(n, { initialDelayMs: 100, maxDelayMs: 1_000, random: () => 0.999999 });
    expect([1, 2, 3, 4, 5, 50].map(low)).toEqual([50, 100, 200, 400, 500, 500]);
    expect([1, 2, 3, 4, 5, 50].map(high)).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });
});

describe('retryWhileRetriable', () => {
  const fast = { initialDelayMs: 1, maxDelayMs: 2 };
  const unavailable = () => new RegistryUnavailableError('down');

  it('retries what is retriable until it succeeds, heartbeating and telling each retry', async () => {
    let calls = 0;
    let heartbeats = 0;
    const told: number[] = [];
    const result = await retryWhileRetriable(
      async () => {
        calls += 1;
        if (calls < 4) throw unavailable();
        return 'done';
      },
      { ...fast, heartbeat: async () => void heartbeats++, onRetry: ({ attempt }) => told.push(attempt) },
    );
    expect(result).toBe('done');
    expect(calls).toBe(4);
    expect(told).toEqual([1, 2, 3]);
    expect(heartbeats).toBe(3);
  });

  it('throws poison and bugs at once', async () => {
    for (const error of [new RecordUndecodableError('undecodable', 'x'), new TypeError('bug')]) {
      let calls = 0;
      await expect(
        retryWhileRetriable(async () => {
          calls += 1;
          throw error;
        }, fast),
      ).rejects.toBe(error);
      expect(calls).toBe(1);
    }
  });

  it('gives up with the last error once the consumer stops or the deadline has come', async () => {
    let running = true;
    let calls = 0;
    const stopping = retryWhileRetriable(
      async () => {
        calls += 1;
        if (calls === 3) running = false;
        throw unavailable();
      },
      { ...fast, isRunning: () => running },
    );
    await expect(stopping).rejects.toBeInstanceOf(RegistryUnavailableError);
    expect(calls).toBe(3);
    await expect(
      retryWhileRetriable(
        async () => {
          throw unavailable();
        },
        { initialDelayMs: 50, deadline: Date.now() + 120 },
      ),
    ).rejects.toBeInstanceOf(RegistryUnavailableError);
  });
});
