import { COMMIT_PER_BATCH, type CommitPolicy } from '../kafka/transactional-pipeline.ts';

export { COMMIT_PER_BATCH, type CommitPolicy };

/** The edge's commit policy from the common settings EDGE_COMMIT_INTERVAL_MS and EDGE_COMMIT_MAX_RECORDS. */
export function commitPolicyFrom(config: { edgeCommitIntervalMs: number; edgeCommitMaxRecords: number }): CommitPolicy {
  return { intervalMs: config.edgeCommitIntervalMs, maxRecords: config.edgeCommitMaxRecords };
}
