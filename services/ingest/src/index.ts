/**
 * The public API of the ingest service, for the other packages, the tests, the benchmarks and the tools:
 * start the service's edge in-process, its settings, and the pure steps (validate, normalise, partition
 * key) other code repeats to know what ingest would publish. main.ts stays the process entry; anything not
 * exported here is ingest's own and may change without notice.
 */

export { settings } from './config.ts';
export { type DedupWindow, EventIdWindow } from './event-id-window.ts';
export { normalise } from './normalise.ts';
export { createPartitionKey, type PartitionKey, personKey } from './partition-key.ts';
export { MIN_PARTITION_KEY_BYTES, parsePartitionKey, readPartitionKeyFile } from './partition-secret.ts';
export { type IngestConfig, type IngestCounters, type IngestPipeline, startIngest } from './pipeline.ts';
export { dedupWindow, loadSeenEventIds, type SeenEventIds } from './seen-event-ids.ts';
export {
  contractSummary,
  DEFAULT_MAX_BYTES,
  isValidBsn,
  isValidOnderwijsnummer,
  type ParseOptions,
  type ParseResult,
  parseRegisterEvent,
  parseRegisterEventHandWritten,
  type Reason,
  RULE,
  type Rule,
  WHOLE_PAYLOAD,
} from './validate/index.ts';
