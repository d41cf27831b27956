/**
 * What an edge counts, the same for every service, so no service keeps counters of its own. Everything
 * but `lag` and `halted` counts committed batches only: an aborted batch is read again and counted then.
 */
export interface EdgeMetrics {
  /** records read in committed batches, dead-lettered ones included */
  records: number;
  /** messages produced per output topic (dead letters not included) */
  produced: Record<string, number>;
  /** records sent to the dead-letter topic (poison: undecodable, or refused by decide) */
  deadLettered: number;
  /** what decide chose to count (e.g. ingest's repeated event ids), summed */
  tally: Record<string, number>;
  /** committed batches */
  batches: number;
  /** committed transactions: one per batch, or fewer when transactions span batches (EDGE_COMMIT_INTERVAL_MS) */
  transactions: number;
  /** records behind the end of the input per partition, from the last fetch */
  lag: Map<number, number>;
  /** partitions stopped at a valid record they cannot process (a bug), with the offset they stopped at */
  halted: Map<number, string>;
}

export function createEdgeMetrics(): EdgeMetrics {
  return { records: 0, produced: {}, deadLettered: 0, tally: {}, batches: 0, transactions: 0, lag: new Map(), halted: new Map() };
}

/** Adds `count` under `key`; the record's keys are topics and tally names, never data. */
export function addCount(counts: Record<string, number>, key: string, count = 1): void {
  counts[key] = (counts[key] ?? 0) + count;
}
