export { caughtUpWithStart } from './caught-up.ts';
export { COMMIT_PER_BATCH, type CommitPolicy, commitPolicyFrom } from './commit-policy.ts';
export { addCount, createEdgeMetrics, type EdgeMetrics } from './edge-metrics.ts';
export { type HealthServer, startHealthServer } from './health-server.ts';
export {
  type BatchInfo,
  type Decided,
  type Edge,
  type EdgeHooks,
  type EdgeOptions,
  type EdgeRecord,
  type Refusal,
  startEdge,
} from './start-edge.ts';
