/**
 * Canonical JSON and the checksum of a projection. Two states with the same rows must give the same
 * checksum whatever order their objects were built in (a state rebuilt from the feed has its keys in the
 * order the feed gave them), so object keys are sorted at every depth; arrays keep their order, because
 * the projections sort the arrays they hold.
 */

import { createHash } from 'node:crypto';

export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    // JSON.stringify turns undefined into undefined (not a string); rows never hold it, so it is a bug.
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`canonicalJson: ${typeof value} has no JSON form`);
    return text;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value)
    .filter(([, field]) => field !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, field]) => `${JSON.stringify(key)}:${canonicalJson(field)}`).join(',')}}`;
}

/** sha256 hex of the canonical JSON of the rows, which the caller gives sorted by key. */
export function checksumOf(rows: readonly (readonly [string, unknown])[]): string {
  return createHash('sha256').update(canonicalJson(rows), 'utf8').digest('hex');
}
