import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { describeIssues, formatPath, showValue } from './schema-problems.ts';

const problemsOf = (schema: z.ZodType, input: unknown, wording?: Parameters<typeof describeIssues>[2]): string[] => {
  const parsed = schema.safeParse(input);
  if (parsed.success) throw new Error('expected the input to be refused');
  return describeIssues(parsed.error.issues, input, wording);
};

describe('formatPath', () => {
  it('writes keys with dots and list items in brackets, as in the file', () => {
    expect(formatPath(['snapshots', 'peildata', 0, 'deliveries', 2, 'at'])).toBe('snapshots.peildata[0].deliveries[2].at');
    expect(formatPath([3, 'x'])).toBe('[3].x');
    expect(formatPath([])).toBe('');
  });

  it('counts list items from 1 when asked', () => {
    expect(formatPath(['projections', 0, 'kind'], 1)).toBe('projections[1].kind');
  });
});

describe('describeIssues', () => {
  const entry = z.strictObject(
    { name: z.string({ error: 'must be text' }), size: z.number({ error: 'must be a number' }).optional() },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? 'expected one of name, size' : 'must be a mapping') },
  );
  const file = z.strictObject({ entries: z.array(entry) }, { error: 'expected one of entries' });

  it('gives one line per problem, each with its path and its schema’s message', () => {
    expect(problemsOf(file, { entries: [{ name: 'a' }, { name: 3, size: 'big' }] })).toEqual([
      'entries[1].name: must be text',
      'entries[1].size: must be a number',
    ]);
  });

  it('names each unknown key on its own line, and a missing key as missing', () => {
    expect(problemsOf(file, { entries: [{ size: 1, colour: 'red', shape: 'round' }], extra: 1 })).toEqual([
      'entries[0].name: is missing',
      'entries[0].colour: unknown key; expected one of name, size',
      'entries[0].shape: unknown key; expected one of name, size',
      'extra: unknown key; expected one of entries',
    ]);
  });

  it('says a problem with the document itself without a path', () => {
    expect(problemsOf(entry, ['a', 'list'])).toEqual(['must be a mapping']);
  });

  it('keeps a custom rule’s message about an absent key (the rule means the absence)', () => {
    const needsSize = entry.refine((e) => e.size !== undefined, { error: 'a size is needed', path: ['size'] });
    expect(problemsOf(needsSize, { name: 'a' })).toEqual(['size: a size is needed']);
  });

  it('words unknown keys and counts items as the caller asks', () => {
    const wording = {
      firstIndex: 1 as const,
      unknownKey: (parent: string, key: string, message: string) => `${parent}: unknown field "${key}" (${message})`,
    };
    expect(problemsOf(file, { entries: [{ name: 'a', colour: 'red' }] }, wording)).toEqual([
      'entries[1]: unknown field "colour" (expected one of name, size)',
    ]);
  });

  it('shows a value as JSON', () => {
    expect([showValue('Verhuisd'), showValue(17.5), showValue(undefined), showValue(null)]).toEqual([
      '"Verhuisd"',
      '17.5',
      'undefined',
      'null',
    ]);
  });
});
