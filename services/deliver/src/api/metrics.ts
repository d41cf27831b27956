import type { RunningProjection } from '../projection-runner.ts';

/**
 * Prometheus text exposition of what deliver does: records folded, feed changes, dead letters, lag and halted
 * partitions (each projection's edge metrics), writer and readiness, projection sizes, rebuilds under way.
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
