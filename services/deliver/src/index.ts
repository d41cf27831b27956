/**
 * The public API of the deliver service, for the tests, the benchmarks and the tools: the service started
 * in-process, its settings, the projections (pure folds over recipient records) and what rebuilds and
 * checks one from its feed. main.ts stays the process entry; anything not exported here is deliver's own
 * and may change without notice.
 */

export { type DeliverMetricsSource, registerDeliverMetrics } from './api/metrics.ts';
export { settings } from './config.ts';
export { type Deliver, type DeliverConfig, startDeliver } from './deliver.ts';
export { restoreProjection } from './feed-restore.ts';
export {
  feedTimestamp,
  type ProjectionMetrics,
  type RebuildStatus,
  type RunningProjection,
  startProjection,
} from './projection-runner.ts';
export * from './projections/index.ts';
export { loadProjectionsFile, type ProjectionEntry, ProjectionsFileError, parseProjectionsFile } from './projections-file.ts';
export { feedDiff, RebuildRefusedError, type RebuildReport } from './rebuild.ts';
