import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCommand } from './cli-options.ts';

// Every concrete `npm run replay -- ...` in the READMEs still parses (synopsis lines with [optional] or
// <placeholder> parts are not commands). Nothing connects: parsing is all this checks.
const readmes = ['../../../README.md', '../README.md'].map((path) => readFileSync(new URL(path, import.meta.url), 'utf8'));
const examples = [
  ...new Set(readmes.flatMap((text) => [...text.matchAll(/npm run replay -- ([^`\n#]*)/g)].map((m) => (m[1] ?? '').trim()))),
].filter((args) => !/[[<(|]/.test(args));

describe('the READMEs’ replay examples', () => {
  it('are found', () => {
    expect(examples.length).toBeGreaterThanOrEqual(5);
  });

  it.each(examples.filter((args) => args !== 'help'))('parse: %s', (args) => {
    expect(parseCommand(args.split(/\s+/), { out: () => {}, err: (text) => expect.fail(text) })).toHaveProperty('command');
  });
});
