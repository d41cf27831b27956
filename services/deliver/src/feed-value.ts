/**
 * The value of a feed record (the compacted topic feed.<recipient>.v1), as JSON text.
 *
 * Decision (issue 13): recipients may read the feed, so its values hold the row exactly as the read API
 * serves it (ISO dates, no bookkeeping), and deliver's own bookkeeping sits beside it in an envelope
 * field of its own:
 *
 *   {"row": {...the public row...}, "internal": {...the versions, at the depth they sit in the row...}}
 *
 * `internal` is what deliver needs to restore its state from the feed at start (feed-restore.ts, the read
 * replica) and keep ordering updates by version (version.ts): without it a restart could not refuse a
 * late older record. It is deliver's, opaque to recipients, and may change without notice; `row` is the
 * contract (docs/recipients/*.md, /openapi.json). Why not a Kafka header for the versions: every reader
 * of the feed (the replica, feed-restore, rebuild, tools, recipients) handles values, and a value that is
 * complete on its own survives any tool that copies values without headers (an export, a replay).
 *
 * A value written before this envelope (the row as kept, epoch days and versions inside) is read as such,
 * so a feed written by an older deliver still restores; the next change of the key writes the envelope.
 * A projection without a shape (test doubles) writes and reads its rows as they are.
 */

import type { Projection } from './projections/index.ts';
import { internalPart, publicRow, stateRow } from './projections/row-shape.ts';

export function encodeFeedValue(projection: Pick<Projection<unknown>, 'shape'>, row: unknown): string {
  const shape = projection.shape;
  if (shape === undefined) return JSON.stringify(row);
  const internal = internalPart(shape, row);
  return JSON.stringify(internal === undefined ? { row: publicRow(shape, row) } : { row: publicRow(shape, row), internal });
}

/** The row as the projection keeps it, from a feed value's text. */
export function decodeFeedValue(projection: Pick<Projection<unknown>, 'shape'>, text: string): unknown {
  const value: unknown = JSON.parse(text);
  const shape = projection.shape;
  if (shape === undefined || !isEnvelope(value)) return value;
  return stateRow(shape, value.row, value.internal);
}

function isEnvelope(value: unknown): value is { row: unknown; internal?: unknown } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return keys.includes('row') && keys.every((k) => k === 'row' || k === 'internal');
}
