import { readFileSync } from 'node:fs';

/** The objects of a JSON Lines file (a snapshot written with format 'jsonl'), one a line. */
export function readJsonl(path: string): Array<Record<string, unknown>> {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
