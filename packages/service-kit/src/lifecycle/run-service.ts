import { type EdgeMetrics, startHealthServer } from '../edge/index.ts';
import type { KafkajsBus } from '../kafka/kafkajs-bus.ts';
import type { Logger } from '../log/logger.ts';
import { onShutdown } from './shutdown.ts';

/** What a service's start gives back: how to stop it, and for an edge service what its health server shows. */
export interface RunningService {
  stop(): Promise<void>;
  /** an edge service without an API of its own: health server on `healthPort` (0: none) */
  healthy?(): boolean;
  metrics?: EdgeMetrics;
}

/**
 * The end of every service's composition root. Signals are handled from before the start: a SIGTERM while
 * the service is still starting (waiting for the registry or the broker) ends it with 0 at once, not by the
 * signal (found by the fault suite). Once it runs: the health server when asked for, graceful shutdown, and
 * a consumer that gave up restarting ends the service with 1 (a supervisor starts it again). A start that
 * fails is logged and ends the process with 1.
 */
export async function runService({
  service,
  logger,
  bus,
  healthPort = 0,
  start,
}: {
  service: string;
  logger: Logger;
  bus: KafkajsBus;
  healthPort?: number;
  start: () => Promise<RunningService>;
}): Promise<void> {
  const steps: Array<() => Promise<void>> = [];
  const lifecycle = onShutdown(logger, steps);
  try {
    const running = await start();
    steps.push(() => running.stop());
    if (healthPort > 0 && running.healthy && running.metrics) {
      const health = await startHealthServer({
        port: healthPort,
        service,
        ready: () => (running.healthy?.() ?? true) && bus.healthy(),
        metrics: () => running.metrics as EdgeMetrics,
        logger,
      });
      steps.push(() => health.close());
    }
    bus.onGiveUp(({ error }) => lifecycle.fail(error));
  } catch (err) {
    logger.fatal({ err }, 'the service could not start');
    logger.flush();
    process.exit(1);
  }
}
