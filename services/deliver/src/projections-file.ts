/**
 * The projections file (services/deliver/projections.yaml): which recipients deliver keeps a projection
 * for, of which kind, from which topic. Read and checked once, at start, by a zod schema (why zod:
 * service-kit config/schema-problems.ts); every problem names the file and the entry (counted from 1), and
 * the service does not start. Parsing is pure (parseProjectionsFile); only loadProjectionsFile touches the
 * file system.
 */

import { readFileSync } from 'node:fs';
import { describeIssues } from '@register-feeds/service-kit';
import { parse } from 'yaml';
import { z } from 'zod';
import { type KindName, projectionKinds } from './projections/kinds.ts';

export interface ProjectionEntry {
  recipient: string;
  kind: KindName;
  /** the recipient topic the projection is built from */
  input: string;
}

export class ProjectionsFileError extends Error {
  readonly isTrusted = true;
  readonly source: string;
  readonly problems: string[];
  constructor(source: string, problems: string[]) {
    super(`${source}: ${problems.join('; ')}`);
    this.name = 'ProjectionsFileError';
    this.source = source;
    this.problems = problems;
  }
}

/** the shape of agreement recipient ids: lower-case words joined by hyphens */
const RECIPIENT_ID = /^[a-z0-9]+(-[a-z0-9]+)*$/;
/** Kafka's legal topic names */
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;
const KINDS = Object.keys(projectionKinds) as [KindName, ...KindName[]];

const RECIPIENT = 'expected a recipient id such as sbb-stagemarkt (lower-case letters, digits, hyphens)';
const TOPIC = 'expected a topic name (letters, digits, ".", "_", "-")';
const entry = z.strictObject(
  {
    recipient: z.string({ error: RECIPIENT }).regex(RECIPIENT_ID, { error: RECIPIENT }),
    kind: z.enum(KINDS, { error: `expected one of ${KINDS.join(', ')}` }),
    input: z.string({ error: TOPIC }).regex(TOPIC_NAME, { error: TOPIC }),
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys' ? 'expected recipient, kind, input' : 'expected a map with recipient, kind, input',
  },
);

/**
 * One recipient, one projection; one topic, one projection (two projections on one topic would be two
 * recipients reading one recipient's records). Judged on the entries whose recipient or input passed, also
 * when others did not, so the file is fixed in one round.
 */
function checkUnique(key: 'recipient' | 'input', says: (value: string, first: number) => string) {
  return (entries: unknown[], ctx: z.core.$RefinementCtx) => {
    const refused = new Set(ctx.issues.map((issue) => (issue.path?.[1] === key ? issue.path[0] : undefined)));
    const first = new Map<string, number>();
    entries.forEach((item, i) => {
      const value = (item as Record<string, unknown> | null)?.[key];
      if (typeof value !== 'string' || refused.has(i)) return;
      const seen = first.get(value);
      if (seen === undefined) first.set(value, i);
      else ctx.addIssue({ code: 'custom', path: [i, key], message: says(value, seen + 1) });
    });
  };
}

const projectionsFile = z.strictObject(
  {
    projections: z
      .array(entry, { error: 'expected a list of { recipient, kind, input }' })
      .min(1, { error: 'is empty, so deliver would keep nothing' })
      .superRefine(
        checkUnique('recipient', (recipient, first) => `${recipient} has a projection already (projections[${first}])`),
        { when: (payload) => Array.isArray(payload.value) },
      )
      .superRefine(
        checkUnique('input', (input, first) => `${input} is the input of projections[${first}] already`),
        { when: (payload) => Array.isArray(payload.value) },
      ),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? 'only "projections"' : 'expected a map with a list "projections"') },
);

/** Every projection of the file, in file order; throws ProjectionsFileError listing every problem found. */
export function parseProjectionsFile(text: string, source: string): ProjectionEntry[] {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new ProjectionsFileError(source, [`not YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`]);
  }
  const parsed = projectionsFile.safeParse(document);
  if (!parsed.success) {
    throw new ProjectionsFileError(
      source,
      describeIssues(parsed.error.issues, document, {
        firstIndex: 1,
        unknownKey: (parent, key, message) => `${parent === '' ? '' : `${parent}: `}unknown field "${key}" (${message})`,
      }),
    );
  }
  return parsed.data.projections;
}

export function loadProjectionsFile(path: string): ProjectionEntry[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ProjectionsFileError(path, [`cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`]);
  }
  return parseProjectionsFile(text, path);
}
