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

/**
 * canonicalJson(a) === canonicalJson(b), without writing either: a projection compares every row it puts
 * with the one it holds, and two serialisations per row were the largest of deliver's own functions in its
 * CPU profile. Stops at the first difference, so a value canonicalJson refuses (undefined in an array) may go
 * unnoticed when the values differ before it.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === null || typeof a !== 'object' || b === null || typeof b !== 'object') {
    if (a === b && (typeof a === 'string' || typeof a === 'boolean' || a === null || (typeof a === 'number' && Number.isFinite(a))))
      return true;
    // unequal primitives, a primitive and an object, or what JSON writes oddly (NaN, Infinity, -0): as written
    return canonicalJson(a) === canonicalJson(b);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  // fields holding undefined are not written, so they do not count
  let fields = 0;
  for (const key of Object.keys(x)) {
    if (x[key] === undefined) continue;
    fields += 1;
    if (!Object.hasOwn(y, key) || y[key] === undefined || !sameJson(x[key], y[key])) return false;
  }
  for (const key of Object.keys(y)) if (y[key] !== undefined) fields -= 1;
  return fields === 0;
}

/** sha256 hex of the canonical JSON of the rows, which the caller gives sorted by key. */
export function checksumOf(rows: readonly (readonly [string, unknown])[]): string {
  return createHash('sha256').update(canonicalJson(rows), 'utf8').digest('hex');
}
