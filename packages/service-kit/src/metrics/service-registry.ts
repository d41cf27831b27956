import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * Every metric of this project starts with it, and says its unit (`_seconds`, `_records`, `_total` for
 * counters). prom-client's default process metrics keep their standard names (`process_resident_memory_bytes`,
 * `nodejs_eventloop_lag_seconds`), which dashboards and alerts already know.
 */
export const METRIC_PREFIX = 'register_feeds_';

let processRegistry: Registry | undefined;

/**
 * The one registry of this process: prom-client's default process metrics (RSS, CPU, heap, event loop, GC)
 * and whatever the edges and the service register. Made on first use, so a test that starts several edges
 * in one process shares it (their labels tell them apart: group and topic). runService labels it with the
 * service's name.
 */
export function serviceRegistry(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/**
 * A registry of its own with the default process metrics, for a test that wants counts no other test in
 * the process moves.
 */
export function createServiceRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
