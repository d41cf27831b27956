import { type HealthServer, startHealthServer } from '../edge/health-server.ts';
import type { KafkajsBus } from '../kafka/kafkajs-bus.ts';
import type { Logger } from '../log/logger.ts';
import { serviceRegistry } from '../metrics/service-registry.ts';
import { onShutdown } from './shutdown.ts';

/** What a service's start gives back: how to stop it, and what its /ready says. */
export interface RunningService {
  stop(): Promise<void>;
  /**
   * /ready: in its group with partitions assigned, nothing halted, caught up with its state (the service
   * says what that is); the bus's own health is added by runService. Without it: ready once started.
   */
  ready?(): boolean | Promise<boolean>;
}

/**
 * The end of every service's composition root. Signals are handled from before the start: a SIGTERM while
 * the service is still starting (waiting for the registry or the broker) ends it with 0 at once, not by the
 * signal (found by the fault suite). The health server (when `healthPort` > 0) listens from before the
 * start too: /health answers while the service waits for the broker, /ready says 503 until the service
 * has started and is ready, /metrics serves the process's registry, labelled with `service`. Once it
 * runs: graceful shutdown, and a consumer that gave up restarting ends the service with 1 (a supervisor
 * starts it again). A start that fails (or a health port in use) is logged and ends the process with 1.
 */
export async function runService({
  service,
  logger,
  bus,
  healthPort = 0,
  healthHost = '127.0.0.1',
  start,
}: {
  service: string;
  logger: Logger;
  bus: KafkajsBus;
  /** port of /health, /ready and /metrics; 0: none */
  healthPort?: number;
  healthHost?: string;
  start: () => Promise<RunningService>;
}): Promise<void> {
  const steps: Array<() => Promise<void>> = [];
  const lifecycle = onShutdown(logger, steps);
  serviceRegistry().setDefaultLabels({ service });
  let running: RunningService | undefined;
  let health: HealthServer | undefined;
  try {
    if (healthPort > 0) {
      health = await startHealthServer({
        port: healthPort,
        host: healthHost,
        ready: async () => running !== undefined && bus.healthy() && ((await running.ready?.()) ?? true),
        logger,
      });
    }
    running = await start();
    const started = running;
    steps.push(() => started.stop());
    // the health server closes last: a supervisor sees /health while the service drains
    if (health) steps.push(() => (health as HealthServer).close());
    bus.onGiveUp(({ error }) => lifecycle.fail(error));
  } catch (err) {
    logger.fatal({ err }, 'the service could not start');
    logger.flush();
    process.exit(1);
  }
}
