import { CliExit } from '@register-feeds/service-kit';
import { describe, expect, it } from 'vitest';
import { parseCliOptions } from './cli-options.ts';

/** parseCliOptions with its help and errors collected, and how it ended when it did not parse. */
function parse(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const output = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
  try {
    return { options: parseCliOptions(argv, output), out: out.join(''), err: err.join('') };
  } catch (error) {
    if (!(error instanceof CliExit)) throw error;
    return { exitCode: error.exitCode, out: out.join(''), err: err.join('') };
  }
}

describe('parseCliOptions', () => {
  it('given all options, when parsed, then each has its value', () => {
    const argv = [
      '--seed',
      '42',
      '--total',
      '100000',
      '--persons',
      '5000',
      '--active',
      '1000',
      '--start',
      '2026-01-05',
      '--out',
      'x.jsonl',
      '--rate',
      '500',
      '--quiet',
    ];
    expect(parseCliOptions(argv)).toEqual({
      seed: 42,
      total: 100_000,
      persons: 5000,
      active: 1000,
      start: '2026-01-05',
      out: 'x.jsonl',
      rate: 500,
      quiet: true,
    });
  });

  it('given nothing, when parsed, then the seed is 1 and nothing else is set', () => {
    expect(parseCliOptions([])).toEqual({ seed: 1 });
  });

  it.each([
    [['--total', '0'], /--total <n>' argument '0' is invalid\. must be a whole number >= 1/],
    [['--total', '1e6'], /must be a whole number >= 1/],
    [['--seed', '-3'], /--seed <n>' argument missing|must be a whole number from 0 to 99999999/],
    [['--seed', '100000000'], /must be a whole number from 0 to 99999999/],
    [['--start', '2025-02-29'], /must be an existing date, YYYY-MM-DD/],
    [['--out', 'a', '--topic', 'b'], /option '--out <file.jsonl>' cannot be used with option '--topic <topic>'/],
    [['--unknown'], /unknown option '--unknown'/],
    [['stray'], /too many arguments/],
  ])('given %j, when parsed, then it is one line on stderr and exit code 2', (argv, message) => {
    const result = parse(argv);
    expect(result.exitCode).toBe(2);
    expect(result.err).toMatch(message);
    expect(result.err).toMatch(/^generate: [^\n]*\n$/);
  });

  it('given --help, when parsed, then the generated help is on stdout with exit code 0', () => {
    const result = parse(['--help']);
    expect(result.exitCode).toBe(0);
    expect(result.err).toBe('');
    expect(result.out).toMatch(/^Usage: npm run generate -- \[options\]/);
    for (const option of [
      '--seed <n>',
      '--total <n>',
      '--persons <n>',
      '--active <n>',
      '--start <YYYY-MM-DD>',
      '--out <file.jsonl>',
      '--topic <topic>',
      '--rate <events/s>',
      '--quiet',
    ]) {
      expect(result.out).toContain(option);
    }
  });
});
