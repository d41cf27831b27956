import { describe, expect, it } from 'vitest';
import { isRetriableCrash, defaultRestartPolicy as policy, recordCrash, restartDelayMs, shouldGiveUp } from './restart-policy.ts';

/** an error shaped the way kafkajs makes them: a name, a retriable flag, and the cause it wraps */
const kafkajsError = (name: string, retriable: boolean, cause?: unknown) => Object.assign(new Error(name, { cause }), { name, retriable });

describe('isRetriableCrash', () => {
  it('retries what the broker side explains, however kafkajs wraps it', () => {
    // "Crash: KafkaJSNonRetriableError" after "Failed to find group coordinator" (issue 12)
    expect(isRetriableCrash(kafkajsError('KafkaJSNonRetriableError', false, kafkajsError('KafkaJSGroupCoordinatorNotFound', false)))).toBe(
      true,
    );
    expect(
      isRetriableCrash(kafkajsError('KafkaJSNonRetriableError', false, Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }))),
    ).toBe(true);
    expect(isRetriableCrash(kafkajsError('KafkaJSNumberOfRetriesExceeded', false, new Error('batch failed')))).toBe(true);
    // a registry that does not answer: fetch's TypeError with the connection error as its cause
    expect(isRetriableCrash(new TypeError('fetch failed', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) }))).toBe(
      true,
    );
    expect(isRetriableCrash(Object.assign(new Error('transaction failed'), { retriable: true }))).toBe(true);
  });

  it('does not retry for long what will not get better', () => {
    expect(isRetriableCrash(kafkajsError('KafkaJSNonRetriableError', false, new TypeError('x is not a function')))).toBe(false);
    expect(isRetriableCrash(kafkajsError('KafkaJSNonRetriableError', false, kafkajsError('KafkaJSProtocolError', false)))).toBe(false);
    expect(isRetriableCrash(new RangeError('bad'))).toBe(false);
    expect(isRetriableCrash('not even an error')).toBe(false);
  });
});

describe('restartDelayMs', () => {
  it('doubles up to the maximum, never below half the step and never above it', () => {
    const low = [1, 2, 3, 4, 5, 6, 10, 100].map((n) => restartDelayMs(n, policy, () => 0));
    const high = [1, 2, 3, 4, 5, 6, 10, 100].map((n) => restartDelayMs(n, policy, () => 1));
    expect(high).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
    expect(low).toEqual(high.map((d) => d / 2));
  });

  it('spreads instances that crashed together', () => {
    const delays = new Set(Array.from({ length: 20 }, () => restartDelayMs(4, policy)));
    expect(delays.size).toBeGreaterThan(10);
  });
});

describe('giving up', () => {
  it('keeps retrying a broker outage until retriableForMs has passed since the first crash in a row', () => {
    let streak = recordCrash(undefined, { at: 0, retriable: true });
    for (let t = 1000; t < policy.retriableForMs; t += 1000) streak = recordCrash(streak, { at: t, retriable: true });
    expect(shouldGiveUp(streak, policy.retriableForMs, policy)).toBe(false);
    expect(shouldGiveUp(streak, policy.retriableForMs + 1, policy)).toBe(true);
  });

  it('gives up on what is not retriable after nonRetriableRestarts restarts', () => {
    let streak = recordCrash(undefined, { at: 0, retriable: false });
    for (let n = 1; n < policy.nonRetriableRestarts; n++) streak = recordCrash(streak, { at: n, retriable: false });
    expect(shouldGiveUp(streak, 10, policy)).toBe(false);
    streak = recordCrash(streak, { at: 11, retriable: true });
    expect(shouldGiveUp(streak, 12, policy)).toBe(false);
    streak = recordCrash(streak, { at: 13, retriable: false });
    expect(shouldGiveUp(streak, 14, policy)).toBe(true);
  });
});
