import { describe, expect, it } from 'vitest';
import { loadProjectionsFile, ProjectionsFileError, parseProjectionsFile } from './projections-file.ts';

const problemsOf = (text: string): string[] => {
  try {
    parseProjectionsFile(text, 'test.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(ProjectionsFileError);
    expect((error as Error).message.startsWith('test.yaml: ')).toBe(true);
    return (error as ProjectionsFileError).problems;
  }
  return [];
};

describe('the projections file', () => {
  it('given the shipped file, lists the three recipients with their kinds and v2 recipient topics', () => {
    expect(loadProjectionsFile(new URL('../projections.yaml', import.meta.url).pathname)).toEqual([
      { recipient: 'sbb-stagemarkt', kind: 'stagemarkt', input: 'recipient.sbb-stagemarkt.v2' },
      { recipient: 'svb-kostendelersnorm', kind: 'svb', input: 'recipient.svb-kostendelersnorm.v2' },
      { recipient: 'ggd-jeugdgezondheid', kind: 'ggd', input: 'recipient.ggd-jeugdgezondheid.v2' },
    ]);
  });

  it('takes a second recipient of an existing kind as one more entry', () => {
    const text = `projections:
  - { recipient: sbb-stagemarkt, kind: stagemarkt, input: recipient.sbb-stagemarkt.v2 }
  - { recipient: sbb-regio-noord, kind: stagemarkt, input: recipient.sbb-regio-noord.v1 }
`;
    expect(parseProjectionsFile(text, 'test.yaml').map((p) => [p.recipient, p.kind])).toEqual([
      ['sbb-stagemarkt', 'stagemarkt'],
      ['sbb-regio-noord', 'stagemarkt'],
    ]);
  });

  it.each([
    ['text that is not YAML', 'projections: [', /^not YAML: /],
    ['a document that is not a map', '[projections]', /^expected a map with a list "projections"$/],
    ['a document without a list', 'recipient: x', /^projections: is missing$/],
    ['a list that is not a list', 'projections: sbb-stagemarkt', /^projections: expected a list of \{ recipient, kind, input \}$/],
    ['an empty list', 'projections: []', /^projections: is empty, so deliver would keep nothing$/],
    ['a field beside the list', 'projections: [{ recipient: a, kind: svb, input: t }]\nextra: 1', /^unknown field "extra"/],
    ['an entry that is not a map', 'projections: [svb]', /^projections\[1\]: expected a map with recipient, kind, input$/],
    [
      'an unknown kind',
      'projections: [{ recipient: a, kind: minister, input: t }]',
      /^projections\[1\]\.kind: expected one of stagemarkt, svb, ggd$/,
    ],
    ['a missing kind', 'projections: [{ recipient: a, input: t }]', /^projections\[1\]\.kind: is missing$/],
    [
      'a recipient id with capitals',
      'projections: [{ recipient: SVB, kind: svb, input: t }]',
      /^projections\[1\]\.recipient: expected a recipient id/,
    ],
    [
      'a topic name with a space',
      'projections: [{ recipient: a, kind: svb, input: "a b" }]',
      /^projections\[1\]\.input: expected a topic name/,
    ],
    [
      'an unknown field in an entry',
      'projections: [{ recipient: a, kind: svb, input: t, feed: f }]',
      /^projections\[1\]: unknown field "feed"/,
    ],
    [
      'a recipient twice',
      'projections: [{ recipient: a, kind: svb, input: t1 }, { recipient: a, kind: ggd, input: t2 }]',
      /^projections\[2\]\.recipient: a has a projection already \(projections\[1\]\)$/,
    ],
    [
      'one input for two recipients',
      'projections: [{ recipient: a, kind: svb, input: t }, { recipient: b, kind: svb, input: t }]',
      /^projections\[2\]\.input: t is the input of projections\[1\] already$/,
    ],
  ])('refuses %s, saying which entry and what is wrong', (_, text, problem) => {
    const problems = problemsOf(text);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]).toMatch(problem);
  });

  it('lists every problem of a file at once', () => {
    expect(problemsOf('projections: [{ recipient: A, kind: x, input: t }, { recipient: b, kind: svb }]')).toEqual([
      'projections[1].recipient: expected a recipient id such as sbb-stagemarkt (lower-case letters, digits, hyphens)',
      'projections[1].kind: expected one of stagemarkt, svb, ggd',
      'projections[2].input: is missing',
    ]);
  });

  it('judges a recipient or input twice also when another entry is refused', () => {
    const text =
      'projections: [{ recipient: a, kind: svb, input: t }, { recipient: a, kind: svb, input: u }, { recipient: B, kind: svb, input: t }]';
    expect(problemsOf(text)).toEqual([
      'projections[3].recipient: expected a recipient id such as sbb-stagemarkt (lower-case letters, digits, hyphens)',
      'projections[2].recipient: a has a projection already (projections[1])',
      'projections[3].input: t is the input of projections[1] already',
    ]);
  });

  it('names the file it cannot read', () => {
    expect(() => loadProjectionsFile('/nonexistent/projections.yaml')).toThrow('/nonexistent/projections.yaml: cannot be read (ENOENT)');
  });
});
