import { Counter, Gauge, METRIC_PREFIX, type Registry, serviceRegistry } from '@register-feeds/service-kit';
import type { RunningProjection } from '../projection-runner.ts';

/**
 * The read API's /metrics (behind DELIVER_METRICS_TOKEN), kept as it was for the clients that scrape the
 * API port; the same figures and more come from prom-client on DELIVER_HEALTH_PORT (registerDeliverMetrics
 * below, and each projection's edge). Prometheus text exposition of what deliver does: records folded, feed
 * changes, dead letters, lag and halted partitions (each projection's edge metrics), writer and readiness,
 * projection sizes, rebuilds under way.
 */
export function renderMetrics(projections: ReadonlyMap<string, RunningProjection>): string {
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, values: Array<[string, number]>) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of values) lines.push(`${name}{${labels}} ${value}`);
  };
  const all = [...projections.values()];
  metric(
    'deliver_records_processed_total',
    'counter',
    'recipient records folded into a projection',
    all.map((p) => [`recipient="${p.recipient}"`, p.metrics.records]),
  );
  metric(
    'deliver_feed_changes_total',
    'counter',
    'upserts and tombstones written to the feed',
    all.map((p) => [`recipient="${p.recipient}"`, p.metrics.feedChanges]),
  );
  metric(
    'deliver_dead_letters_total',
    'counter',
    'recipient records sent to the dead-letter topic',
    all.map((p) => [`recipient="${p.recipient}"`, p.metrics.deadLettered]),
  );
  metric(
    'deliver_consumer_lag',
    'gauge',
    'records behind the end of the recipient topic, per partition, at the last fetch',
    all.flatMap((p) =>
      [...p.metrics.lag.entries()].map(([partition, lag]): [string, number] => [
        `recipient="${p.recipient}",partition="${partition}"`,
        lag,
      ]),
    ),
  );
  metric(
    'deliver_partition_halted',
    'gauge',
    'partitions stopped at a valid record the projection throws on (a bug, not dead-lettered), with the offset their batch starts at',
    all.flatMap((p) =>
      [...p.metrics.halted].map(([partition, offset]): [string, number] => [
        `recipient="${p.recipient}",partition="${partition}",offset="${offset}"`,
        1,
      ]),
    ),
  );
  metric(
    'deliver_projection_writing',
    'gauge',
    '1 while this instance folds the recipient topic (a single-writer projection: only the lease holder), else 0',
    all.map((p) => [`recipient="${p.recipient}"`, p.writing() ? 1 : 0]),
  );
  metric(
    'deliver_projection_ready',
    'gauge',
    '1 while the projection’s consumers and feed follower run and no partition is halted, else 0 (/ready is red)',
    all.map((p) => [`recipient="${p.recipient}"`, p.ready() ? 1 : 0]),
  );
  metric(
    'deliver_projection_rows',
    'gauge',
    'rows in the projection',
    all.map((p) => [`recipient="${p.recipient}"`, p.projection.size(p.state())]),
  );
  metric(
    'deliver_rebuild_running',
    'gauge',
    '1 while this instance rebuilds the projection beside the live one (POST /admin/rebuild), else 0',
    all.map((p) => [`recipient="${p.recipient}"`, p.rebuildStatus()?.state === 'running' ? 1 : 0]),
  );
  return `${lines.join('\n')}\n`;
}

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
