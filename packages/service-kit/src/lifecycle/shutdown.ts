import type { Logger } from '../log/logger.ts';

export interface Lifecycle {
  /**
   * The service cannot go on (e.g. a consumer gave up restarting): runs the same steps as a shutdown, then
   * exits with code 1, so that a supervisor that restarts on failure starts it again.
   */
  fail(error: unknown): void;
}

/**
 * Graceful shutdown: on SIGTERM or SIGINT run the steps in order (stop fetching and finish the batch,
 * commit, disconnect), once, then exit. A second signal, or steps that take longer than the grace
 * period, end the process at once.
 *
 * Exit code 0 means "stopped because asked to" and nothing else. A service whose work has all stopped
 * without a signal (the event loop ran empty: no consumer, no timer, no server left) exits with 1, never
 * with the 0 Node would give it; a supervisor with `restart: on-failure` then starts it again.
 */
export function onShutdown(logger: Logger, steps: Array<() => Promise<void>>, { graceMs = 30_000 } = {}): Lifecycle {
  let stopping = false;
  const stop = async (why: { signal: string } | { error: unknown }) => {
    if (stopping) {
      if ('signal' in why) {
        logger.warn({ signal: why.signal }, 'second signal, exiting now');
        process.exit(130);
      }
      return; // already on the way out
    }
    stopping = true;
    let code = 0;
    if ('signal' in why) logger.info({ signal: why.signal }, 'shutting down');
    else {
      code = 1;
      logger.fatal({ err: why.error }, 'the service cannot go on: stopping with an error');
    }
    const timer = setTimeout(() => {
      logger.error({ graceMs }, 'shutdown took too long, exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    for (const step of steps) {
      try {
        await step();
      } catch (err) {
        code = 1;
        logger.error({ err }, 'shutdown step failed');
      }
    }
    logger.info({ code }, 'stopped');
    logger.flush();
    process.exit(code);
  };
  process.once('SIGTERM', () => void stop({ signal: 'SIGTERM' }));
  process.once('SIGINT', () => void stop({ signal: 'SIGINT' }));
  process.once('beforeExit', () => {
    if (stopping) return;
    logger.fatal('nothing is running any more (no consumer, timer or server left), yet no one asked the service to stop');
    logger.flush();
    process.exit(1);
  });
  return { fail: (error) => void stop({ error }) };
}
