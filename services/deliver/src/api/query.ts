/** Paging and filtering over a projection's rows, pure: rows come sorted by key. */

export interface Page<Row> {
  rows: Array<{ key: string; row: Row }>;
  /** pass as ?cursor= for the next page; absent on the last page */
  next?: string;
}

export const MAX_LIMIT = 1000;

/**
 * A filter `name=value` keeps a row whose field `name` equals the value, or that holds a list in which
 * some element's field `name` equals it (an SVB person with an enrolment at that BRIN).
 */
export function matches(row: unknown, name: string, value: string): boolean {
  if (row === null || typeof row !== 'object') return false;
  const fields = row as Record<string, unknown>;
  if (String(fields[name]) === value) return true;
  return Object.values(fields).some(
    (v) =>
      Array.isArray(v) &&
      v.some((item) => item !== null && typeof item === 'object' && String((item as Record<string, unknown>)[name]) === value),
  );
}

export function page<Row>(
  rows: Iterable<[string, Row]>,
  { filters, limit, cursor }: { filters: Array<[string, string]>; limit: number; cursor?: string },
): Page<Row> {
  const out: Array<{ key: string; row: Row }> = [];
  for (const [key, row] of rows) {
    if (cursor !== undefined && key <= cursor) continue;
    if (!filters.every(([name, value]) => matches(row, name, value))) continue;
    if (out.length === limit) return { rows: out, next: out.at(-1)?.key };
    out.push({ key, row });
  }
  return { rows: out };
}
