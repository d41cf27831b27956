import { classifyError } from './errors.ts';

export interface Backoff {
  /** the first wait, before jitter (default 100 ms) */
  initialDelayMs?: number;
  /** the longest wait, before jitter (default 5 s) */
  maxDelayMs?: number;
  /** [0, 1); tests fix it */
  random?: () => number;
}

/**
 * The wait before retry number `attempt` (1, 2, ...): exponential, capped, with "equal jitter" (half
 * fixed, half random), so many partitions or services that lost the registry at the same moment do not
 * all come back at the same moment, and no wait is ever near zero.
 */
export function backoffDelay(attempt: number, { initialDelayMs = 100, maxDelayMs = 5_000, random = Math.random }: Backoff = {}): number {
  const cap = Math.min(maxDelayMs, initialDelayMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(cap / 2 + random() * (cap / 2));
}

export interface RetryOptions extends Backoff {
  /** false ends the retrying: the last error is thrown (e.g. the consumer stops, or lost the partition) */
  isRunning?: () => boolean;
  /** called while waiting, at least once a second (a consumer's heartbeat, so its group keeps it) */
  heartbeat?: () => Promise<void>;
  /** no retry starts after this instant (epoch ms); the last error is thrown instead */
  deadline?: number;
  /** told before every wait: log it */
  onRetry?: (retry: { attempt: number; delayMs: number; error: unknown }) => void;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `operation` until it succeeds, retrying only what classifyError calls retriable, with backoff and
 * jitter. Poison and bugs are thrown at once, as is the last retriable error once `isRunning` says stop
 * or the deadline has come. The one retry loop of every edge that waits out an outage.
 */
export async function retryWhileRetriable<T>(operation: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { isRunning = () => true, heartbeat, deadline, onRetry } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (classifyError(error) !== 'retriable' || !isRunning()) throw error;
      const delayMs = backoffDelay(attempt, options);
      if (deadline !== undefined && Date.now() + delayMs > deadline) throw error;
      onRetry?.({ attempt, delayMs, error });
      // wait in slices, so a stop is noticed within a second and the group hears from us
      for (let waited = 0; waited < delayMs; ) {
        const slice = Math.min(1_000, delayMs - waited);
        await sleep(slice);
        waited += slice;
        if (!isRunning()) throw error;
        await heartbeat?.();
      }
    }
  }
}
