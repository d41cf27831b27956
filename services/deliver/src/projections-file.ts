/**
 * The projections file (services/deliver/projections.yaml): which recipients deliver keeps a projection
 * for, of which kind, from which topic. Read and checked once, at start; every problem names the file and
 * the entry, and the service does not start. Parsing is pure (parseProjectionsFile); only
 * loadProjectionsFile touches the file system.
 */

import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
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
const FIELDS = ['recipient', 'kind', 'input'] as const;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every projection of the file, in file order; throws ProjectionsFileError listing every problem found. */
export function parseProjectionsFile(text: string, source: string): ProjectionEntry[] {
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    throw new ProjectionsFileError(source, [`not YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`]);
  }
  if (!isRecord(document) || !Array.isArray(document.projections)) {
    throw new ProjectionsFileError(source, ['expected a map with a list "projections"']);
  }
  const extra = Object.keys(document).filter((key) => key !== 'projections');
  const problems: string[] = extra.map((key) => `unknown field "${key}" (only "projections")`);
  if (document.projections.length === 0) problems.push('"projections" is empty: deliver would keep nothing');
  const kinds = Object.keys(projectionKinds);
  const entries: ProjectionEntry[] = [];
  const recipients = new Map<string, number>();
  const inputs = new Map<string, number>();
  document.projections.forEach((item: unknown, index: number) => {
    const at = `projections[${index + 1}]`;
    if (!isRecord(item)) {
      problems.push(`${at}: expected a map with ${FIELDS.join(', ')}`);
      return;
    }
    const before = problems.length;
    for (const key of Object.keys(item)) {
      if (!(FIELDS as readonly string[]).includes(key)) problems.push(`${at}: unknown field "${key}" (expected ${FIELDS.join(', ')})`);
    }
    const { recipient, kind, input } = item;
    if (typeof recipient !== 'string' || !RECIPIENT_ID.test(recipient)) {
      problems.push(`${at}.recipient: expected a recipient id such as sbb-stagemarkt (lower-case letters, digits, hyphens)`);
    } else if (recipients.has(recipient)) {
      problems.push(`${at}.recipient: ${recipient} has a projection already (projections[${recipients.get(recipient)}])`);
    }
    if (typeof kind !== 'string' || !kinds.includes(kind)) {
      problems.push(`${at}.kind: expected one of ${kinds.join(', ')}`);
    }
    if (typeof input !== 'string' || !TOPIC_NAME.test(input)) {
      problems.push(`${at}.input: expected a topic name (letters, digits, ".", "_", "-")`);
    } else if (inputs.has(input)) {
      // two projections on one topic would be two recipients reading one recipient's records
      problems.push(`${at}.input: ${input} is the input of projections[${inputs.get(input)}] already`);
    }
    if (typeof recipient === 'string') recipients.set(recipient, recipients.get(recipient) ?? index + 1);
    if (typeof input === 'string') inputs.set(input, inputs.get(input) ?? index + 1);
    if (problems.length === before) entries.push({ recipient: recipient as string, kind: kind as KindName, input: input as string });
  });
  if (problems.length > 0) throw new ProjectionsFileError(source, problems);
  return entries;
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
