import { Counter, Gauge, METRIC_PREFIX, type Registry, serviceRegistry } from '@register-feeds/service-kit';
import type { RunningProjection } from '../projection-runner.ts';

// Deliver has one /metrics: prom-client's, on DELIVER_HEALTH_PORT like every service's (run-service.ts).
// The read API's port has none: one set of names (register_feeds_*) for every scraper and dashboard.

/** What deliver adds to the process's Prometheus registry, per projection (the edges add their own). */
export interface DeliverMetricsSource {
  projections: ReadonlyMap<string, RunningProjection>;
  /** per recipient: whether the projection has folded its recipient topic up to where it ended at start */
  caughtUp?: (recipient: string) => boolean;
}

const watchedByRegistry = new WeakMap<Registry, Set<DeliverMetricsSource>>();

/**
 * Deliver's own gauges in the service's registry (prom-client), read at every scrape from the running
 * projections: rows, writer, readiness, catch-up, rebuilds, and the feed changes (the edge's plus
 * housekeeping's). Records in, out, dead-lettered, lag and latency come from each projection's edge
 * (group deliver-<recipient>). Returns the function that takes the projections off the registry.
 */
export function registerDeliverMetrics(source: DeliverMetricsSource, registry: Registry = serviceRegistry()): () => void {
  let watched = watchedByRegistry.get(registry);
  if (!watched) {
    const sources = new Set<DeliverMetricsSource>();
    watched = sources;
    watchedByRegistry.set(registry, sources);
    const each = function* () {
      for (const s of sources) for (const p of s.projections.values()) yield { source: s, p };
    };
    const gauge = (name: string, help: string, value: (p: RunningProjection, s: DeliverMetricsSource) => number | undefined) =>
      new Gauge({
        name: `${METRIC_PREFIX}${name}`,
        help,
        labelNames: ['recipient'],
        registers: [registry],
        collect() {
          this.reset();
          for (const { source: s, p } of each()) {
            const v = value(p, s);
            if (v !== undefined) this.set({ recipient: p.recipient }, v);
          }
        },
      });
    gauge('projection_rows', 'rows in the projection (its read replica)', (p) => p.projection.size(p.state()));
    gauge(
      'projection_writing',
      '1 while this instance folds the recipient topic (a single-writer projection: only the lease holder)',
      (p) => (p.writing() ? 1 : 0),
    );
    gauge('projection_ready', '1 while the projection’s consumers and feed follower run and no partition is halted', (p) =>
      p.ready() ? 1 : 0,
    );
    gauge(
      'projection_caught_up',
      '1 once the projection has folded its recipient topic up to where it ended when deliver started',
      (p, s) => (s.caughtUp === undefined ? undefined : s.caughtUp(p.recipient) ? 1 : 0),
    );
    gauge('projection_rebuild_running', '1 while this instance rebuilds the projection beside the live one', (p) =>
      p.rebuildStatus()?.state === 'running' ? 1 : 0,
    );
    new Counter({
      name: `${METRIC_PREFIX}feed_changes_total`,
      help: 'upserts and tombstones written to the recipient’s feed (folds and housekeeping)',
      labelNames: ['recipient'],
      registers: [registry],
      collect() {
        this.reset();
        for (const { p } of each()) this.inc({ recipient: p.recipient }, p.metrics.feedChanges);
      },
    });
  }
  watched.add(source);
  return () => void watched.delete(source);
}
