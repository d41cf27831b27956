/**
 * What every projection of the deliver service has in common, so the edge (consumer, feed writer, read
 * API) can treat them alike. A projection is a pure fold over one recipient's records: apply mutates the
 * state and returns the rows that changed; the feed is a compacted topic of those rows, and load puts a
 * row read back from it into an empty state, so a restart rebuilds the state from the feed alone.
 */

// the fields every recipient record carries: the recipient contract's, which pseudonymise writes to
export type { RecordEnvelope } from '@register-feeds/contracts';

import { sameJson } from './canonical-json.ts';
import type { RowShape } from './row-shape.ts';

/** One changed row of the feed. row null: the row left the projection (a tombstone in the compacted feed). */
export interface Change<Row> {
  key: string;
  row: Row | null;
}

/**
 * State and Rec default to unknown so the edge can hold any projection as Projection<unknown>; it hands
 * apply the record as decoded with the recipient's Avro schema, which is the shape Rec declares.
 */
export interface Projection<Row, State = unknown, Rec = unknown> {
  /** the agreement's recipient id, e.g. sbb-stagemarkt */
  recipient: string;
  emptyState(): State;
  /** applies one record; the changed rows in key order, [] when the record changes nothing (duplicate, older) */
  apply(state: State, record: Rec): Change<Row>[];
  /** restores one row read back from the feed; null (a tombstone not yet compacted away) removes the key */
  load(state: State, key: string, row: Row | null): void;
  /** every row, sorted by key (code-unit order) */
  rows(state: State): [string, Row][];
  /** sha256 hex over the canonical JSON of rows(state): equal for equal rows */
  checksum(state: State): string;
  /** the number of rows */
  size(state: State): number;
  /**
   * The rows' public fields and internal versions (row-shape.ts): how a row is written to the feed and
   * shown by the read API. Without one (test projections), rows go out as they are kept.
   */
  shape?: RowShape;
}

const byKey = <Row>([a]: [string, Row], [b]: [string, Row]): number => (a < b ? -1 : a > b ? 1 : 0);

/** Entries sorted by key, by code unit (not by locale, which would differ between machines). */
export function sortedEntries<Row>(entries: Iterable<[string, Row]>): [string, Row][] {
  return [...entries].sort(byKey);
}

/** The changes of one apply, one per key (the last wins), in key order. */
export function changeList<Row>(changes: Map<string, Row | null>): Change<Row>[] {
  return sortedEntries(changes.entries()).map(([key, row]) => ({ key, row }));
}

/**
 * Stores a row and notes it as changed, unless it equals the stored one: a record that changes nothing
 * visible gives no change, so the feed gets no empty updates.
 */
export function putRow<Row>(rows: Map<string, Row>, changes: Map<string, Row | null>, key: string, row: Row): void {
  const before = rows.get(key);
  if (before !== undefined && sameJson(before, row)) return;
  rows.set(key, row);
  changes.set(key, row);
}
