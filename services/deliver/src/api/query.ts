/** Paging and filtering over a projection's rows, pure: rows come sorted by key. */

export interface Page<Row> {
  rows: Array<{ key: string; row: Row }>;
  /** pass as ?cursor= for the next page; absent on the last page */
  next?: string;
}

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

/**
 * A filter `name=value` keeps a row whose field `name` equals the value, or that holds a list in which
 * some element's field `name` equals it (an SVB person with an enrolment at that BRIN).
 */
export function matches(row: unknown, name: string, value: string): boolean {
  if (row === null || typeof row !== 'object') return false;
  const fields = row as Record<string, unknown>;
  if (Object.hasOwn(fields, name) && String(fields[name]) === value) return true;
  return Object.values(fields).some(
    (v) =>
      Array.isArray(v) &&
      v.some(
        (item) =>
          item !== null &&
          typeof item === 'object' &&
          Object.hasOwn(item, name) &&
          String((item as Record<string, unknown>)[name]) === value,
      ),
  );
}

/**
 * The rows after the key `after` (exclusive) that pass every filter, at most `limit` of them; when more
 * follow, `next` is the cursor of the last one (`cursorOf` makes it: cursors are sealed, see cursor.ts).
 */
export function page<Row>(
  rows: Iterable<[string, Row]>,
  {
    filters,
    limit,
    after,
    cursorOf,
  }: { filters: Array<[string, string]>; limit: number; after?: string; cursorOf: (lastKey: string) => string },
): Page<Row> {
  const out: Array<{ key: string; row: Row }> = [];
  for (const [key, row] of rows) {
    if (after !== undefined && key <= after) continue;
    if (!filters.every(([name, value]) => matches(row, name, value))) continue;
    if (out.length === limit) return { rows: out, next: cursorOf(out.at(-1)!.key) };
    out.push({ key, row });
  }
  return { rows: out };
}

/** `limit` as given (undefined: absent): a whole number 1..MAX_LIMIT in plain digits, or undefined when it is not one. */
export function parseLimit(text: string | undefined): number | undefined {
  if (text === undefined) return DEFAULT_LIMIT;
  if (!/^[1-9]\d{0,3}$/.test(text)) return undefined;
  const limit = Number(text);
  return limit <= MAX_LIMIT ? limit : undefined;
}
