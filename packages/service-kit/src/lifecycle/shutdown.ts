import type { Logger } from '../log/logger.ts';

/**
 * Graceful shutdown: on SIGTERM or SIGINT run the steps in order (stop fetching and finish the batch,
 * commit, disconnect), once, then exit. A second signal, or steps that take longer than the grace
 * period, end the process at once.
 */
export function onShutdown(logger: Logger, steps: Array<() => Promise<void>>, { graceMs = 30_000 } = {}): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal, exiting now');
      process.exit(130);
    }
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const timer = setTimeout(() => {
      logger.error({ graceMs }, 'shutdown took too long, exiting');
      process.exit(1);
    }, graceMs);
    timer.unref();
    let code = 0;
    for (const step of steps) {
      try {
        await step();
      } catch (err) {
        code = 1;
        logger.error({ err }, 'shutdown step failed');
      }
    }
    logger.info('stopped');
    logger.flush();
    process.exit(code);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
}
