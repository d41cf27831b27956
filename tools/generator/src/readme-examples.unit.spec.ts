import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCliOptions } from './cli-options.ts';

// Every `npm run generate -- ...` in the README still parses to what it says. Nothing is generated.
const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const examples = [...new Set([...readme.matchAll(/npm run generate -- ([^`\n#]*)/g)].map((m) => (m[1] ?? '').trim()))];

describe('the README’s generate examples', () => {
  it('are found', () => {
    expect(examples.length).toBeGreaterThanOrEqual(3);
  });

  it.each(examples)('parse: %s', (args) => {
    const options = parseCliOptions(args.split(/\s+/), { out: () => {}, err: (text) => expect.fail(text) });
    const seed = /--seed (\d+)/.exec(args)?.[1];
    expect(options.seed).toBe(Number(seed ?? 1));
  });
});
