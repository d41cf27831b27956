import type { Batch } from '@register-feeds/service-kit';

/** What ingest's decide asks of the ids it knows: is this one published (or about to be)? */
export interface KnownIds {
  has(eventId: string): boolean;
}

/**
 * Event ids decided into a transaction that has not committed yet. With transactions that span batches
 * (EDGE_COMMIT_INTERVAL_MS), a later batch is decided before an earlier batch's commit has added its ids
 * to the seen ids: a repeat must count as a duplicate all the same, or it is published twice.
 *
 * Counting a pending id as seen loses nothing when its transaction aborts: a later batch of the same
 * partition is in the same transaction and is read again with it; a batch of another partition that
 * dropped the repeat committed no id, so when the aborted batch is read again the id is neither seen nor
 * pending, and it is published then.
 */
export class PendingEventIds {
  private readonly byBatch = new Map<Batch, string[]>();
  private readonly ids = new Set<string>();

  /** the ids the batch put into its open transaction (the edge's `decided` hook) */
  hold(batch: Batch, eventIds: string[]): void {
    this.byBatch.set(batch, eventIds);
    for (const id of eventIds) this.ids.add(id);
  }

  /** the batch's transaction ended, committed or aborted (afterCommit, afterAbort) */
  release(batch: Batch): void {
    for (const id of this.byBatch.get(batch) ?? []) this.ids.delete(id);
    this.byBatch.delete(batch);
  }

  /** `seen`, and the ids still pending */
  orSeen(seen: KnownIds): KnownIds {
    return { has: (id) => seen.has(id) || this.ids.has(id) };
  }

  get size(): number {
    return this.ids.size;
  }
}
