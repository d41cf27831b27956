/**
 * Holds a producer to a rate in events per second, for demos that should look like a live register
 * rather than a bulk load. Measured from the start, so a slow batch is made up by the next ones.
 */

export interface Throttle {
  /** waits until `sent` events are due; resolves at once without a rate */
  wait(sent: number): Promise<void>;
}

export function createThrottle(
  eventsPerSecond: number | undefined,
  now: () => number = () => performance.now(),
  sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): Throttle {
  const started = now();
  return {
    async wait(sent) {
      if (eventsPerSecond === undefined) return;
      const ahead = started + (sent / eventsPerSecond) * 1000 - now();
      if (ahead > 0) await sleep(ahead);
    },
  };
}

/** Batches of 500, but about ten per second when throttled, so a low rate does not come in bursts. */
export function batchSize(eventsPerSecond: number | undefined): number {
  return eventsPerSecond === undefined ? 500 : Math.max(1, Math.min(500, Math.ceil(eventsPerSecond / 10)));
}
