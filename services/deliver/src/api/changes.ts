/**
 * Incremental reads (`?changedSince=`): which rows of a recipient changed or left since an earlier read.
 *
 * The API notes the public rows whenever they may have changed (the replica's version moved, see
 * server.ts) and numbers every row whose JSON differs from the last it saw: a sequence of this instance
 * only. A `changes` token names a point in that sequence; it is sealed like a cursor (cursor.ts: bound to
 * the recipient, shows nothing) and carries this instance's start id, so a token from another instance or
 * from before a restart is refused as expired (410): the caller reads everything once more and polls on
 * from the token of that read. Removed keys are remembered up to MAX_REMOVED; a token older than the
 * oldest forgotten removal is expired too. Pure apart from the clock-free counter; no I/O.
 *
 * Why not the feed's offsets: a row can change without a feed record (a GGD list read on a later day) and
 * the offsets of several partitions do not order the rows' changes between them; the rows served are
 * what a recipient sees, so their differences are what it needs.
 */

import { createHash } from 'node:crypto';

export const MAX_REMOVED = 100_000;

/**
 * What is kept of a row to tell whether it changed: a digest of its JSON, not the JSON (a million rows of
 * about 500 bytes would double what the API holds). MD5 only detects change here, nothing is secured by it.
 */
const digestOf = (row: unknown) => createHash('md5').update(JSON.stringify(row)).digest('base64');

export interface Changes {
  /** rows changed (or new) after `since` */
  changed: Set<string>;
  /** keys that left after `since` (and are not back) */
  removed: string[];
}

export interface ChangeLog {
  /** notes the rows as they stand; a call with the same array as before is free */
  observe(rows: readonly (readonly [string, unknown])[]): void;
  /** the point in the sequence up to which every change has been noted */
  position(): number;
  /** what changed after `since`; undefined when that is no longer known (removals forgotten since) */
  since(since: number): Changes | undefined;
}

export function createChangeLog(): ChangeLog {
  let seq = 0;
  let observed: readonly (readonly [string, unknown])[] | undefined;
  const texts = new Map<string, string>();
  const changedAt = new Map<string, number>();
  /** in the order they left, so the oldest is dropped first */
  const removedAt = new Map<string, number>();
  /** every removal at or before this point has been forgotten */
  let forgottenThrough = 0;

  return {
    observe(rows) {
      if (rows === observed) return;
      observed = rows;
      const present = new Set<string>();
      for (const [key, row] of rows) {
        present.add(key);
        const text = digestOf(row);
        if (texts.get(key) === text) continue;
        texts.set(key, text);
        changedAt.set(key, ++seq);
        removedAt.delete(key);
      }
      for (const key of texts.keys()) {
        if (present.has(key)) continue;
        texts.delete(key);
        changedAt.delete(key);
        removedAt.set(key, ++seq);
      }
      while (removedAt.size > MAX_REMOVED) {
        const [oldest, at] = removedAt.entries().next().value as [string, number];
        removedAt.delete(oldest);
        forgottenThrough = Math.max(forgottenThrough, at);
      }
    },
    position: () => seq,
    since(since) {
      if (since < forgottenThrough || since > seq) return undefined;
      const changed = new Set<string>();
      for (const [key, at] of changedAt) if (at > since) changed.add(key);
      const removed = [...removedAt].filter(([, at]) => at > since).map(([key]) => key);
      return { changed, removed: removed.sort() };
    },
  };
}
