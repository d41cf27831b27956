/**
 * When and how soon a crashed consumer is started again, and when to give up. Pure: the time and the
 * random source come in as arguments.
 *
 * A crash the broker side explains (broker, coordinator or connection gone, retries used up) is retried for
 * as long as `retriableForMs` from the first crash in a row; anything else (a bug, a batch that keeps
 * failing the same way) gets `nonRetriableRestarts` restarts. Every delay doubles from `initialDelayMs` up
 * to `maxDelayMs` and is jittered, so instances that crashed together do not come back together.
 */
export interface RestartPolicy {
  initialDelayMs: number;
  maxDelayMs: number;
  retriableForMs: number;
  nonRetriableRestarts: number;
  /** a consumer that crashes after running this long since it (re)joined its group starts a new count */
  stableAfterMs: number;
}

export const defaultRestartPolicy: RestartPolicy = {
  initialDelayMs: 500,
  maxDelayMs: 10_000,
  retriableForMs: 10 * 60_000,
  nonRetriableRestarts: 5,
  stableAfterMs: 60_000,
};

/** Crashes in a row, without a stable run (stableAfterMs) in between. */
export interface CrashStreak {
  /** when the first of them happened (epoch ms) */
  since: number;
  crashes: number;
  nonRetriable: number;
}

export function recordCrash(streak: CrashStreak | undefined, { at, retriable }: { at: number; retriable: boolean }): CrashStreak {
  const current = streak ?? { since: at, crashes: 0, nonRetriable: 0 };
  return { since: current.since, crashes: current.crashes + 1, nonRetriable: current.nonRetriable + (retriable ? 0 : 1) };
}

export function shouldGiveUp(streak: CrashStreak, now: number, policy: RestartPolicy): boolean {
  return streak.nonRetriable > policy.nonRetriableRestarts || now - streak.since > policy.retriableForMs;
}

/** The wait before restart number `crashes` of a streak: exponential, then "equal jitter" (half fixed, half random). */
export function restartDelayMs(crashes: number, policy: RestartPolicy, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** Math.max(0, Math.min(crashes - 1, 30)));
  return Math.round(base / 2 + (random() * base) / 2);
}

// What kafkajs and Node call a broker that is not there (yet): gone, unreachable, loading, or moved.
const UNAVAILABLE_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSStaleTopicMetadataAssignment',
  'KafkaJSLockTimeout',
]);
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);

/**
 * Whether a crash is the broker side's doing and worth retrying for long: some error in its cause chain
 * says it is retriable, or is a broker, coordinator or connection that is not available.
 */
export function isRetriableCrash(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    const { retriable, code } = e as { retriable?: unknown; code?: unknown };
    if (retriable === true || UNAVAILABLE_NAMES.has(e.name) || (typeof code === 'string' && UNAVAILABLE_CODES.has(code))) return true;
  }
  return false;
}
