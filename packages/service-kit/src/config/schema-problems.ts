/**
 * Configuration files (agreements, the projections file) are checked with zod schemas; this turns zod's
 * issues into the lines a reviewer reads: one per problem, `path: what is wrong`, the path written as in the
 * file (`fields[3]`, `term.from`), no stack trace.
 *
 * Why zod (4) and not valibot, the other candidate: both infer the checked type from the schema and let
 * every rule carry its own message. Zod's checks can run on an object even when some of its fields failed
 * (`when`), which a file that should be fixed in one round needs for its rules across fields; it is the
 * more used and more closely maintained of the two, and its JSON Schema export could serve editors later.
 * Valibot's advantage, bundle size, does not matter in a Node service.
 *
 * Values are not echoed by this module: a message quotes a value only where its schema says so, and the
 * schemas of these files hold no secrets.
 */

import type { z } from 'zod';

export interface ProblemWording {
  /** 0 (the default): `fields[0]` is the first item, as yq and JSON Pointer count; 1: as a person counts */
  firstIndex?: 0 | 1;
  /**
   * The line for a key that the mapping at `parent` does not know; `message` is that mapping's own message
   * for unknown keys (say: which keys it expects). Default `parent.key: unknown key; message`.
   */
  unknownKey?: (parent: string, key: string, message: string) => string;
}

type Path = readonly PropertyKey[];

/** `a.b[3].c`, or '' for the document itself. */
export function formatPath(path: Path, firstIndex: 0 | 1 = 0): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment + firstIndex}]`;
    else text += text === '' ? String(segment) : `.${String(segment)}`;
  }
  return text;
}

const isMapping = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The key at the end of `path` is absent from the mapping that should hold it. */
function isMissing(input: unknown, path: Path): boolean {
  if (path.length === 0) return false;
  let parent = input;
  for (const segment of path.slice(0, -1)) {
    if (typeof parent !== 'object' || parent === null) return false;
    parent = (parent as Record<PropertyKey, unknown>)[segment];
  }
  return isMapping(parent) && !Object.hasOwn(parent, path.at(-1) as PropertyKey);
}

/**
 * One line per problem, in the order zod found them. `input` is what was parsed: a type issue about a key
 * that is absent from its mapping reads `path: is missing`, whatever the schema of the key would say.
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[], input: unknown, wording: ProblemWording = {}): string[] {
  const firstIndex = wording.firstIndex ?? 0;
  const at = (path: Path) => formatPath(path, firstIndex);
  const unknownKey =
    wording.unknownKey ??
    ((parent: string, key: string, message: string) => `${parent === '' ? key : `${parent}.${key}`}: unknown key; ${message}`);
  const prefix = (path: Path) => (path.length === 0 ? '' : `${at(path)}: `);
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => unknownKey(at(issue.path), key, issue.message));
    // a rule's own message (custom) stands: it may be about a key that is absent on purpose
    if (issue.code !== 'custom' && isMissing(input, issue.path)) return [`${prefix(issue.path)}is missing`];
    return [`${prefix(issue.path)}${issue.message}`];
  });
}

/** JSON for a value in a message (`"Verhuisd"`, `17.5`), or its String when JSON has none. */
export const showValue = (value: unknown): string => JSON.stringify(value) ?? String(value);
