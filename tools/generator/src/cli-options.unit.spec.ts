import { describe, expect, it } from 'vitest';
import { parseCliOptions, UsageError } from './cli-options.ts';

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
    ];
    expect(parseCliOptions(argv)).toEqual({
      seed: 42,
      total: 100_000,
      persons: 5000,
      active: 1000,
      start: '2026-01-05',
      out: 'x.jsonl',
      rate: 500,
      help: false,
    });
  });

  it('given nothing, when parsed, then the seed is 1 and nothing else is set', () => {
    expect(parseCliOptions([])).toEqual({ seed: 1, help: false });
  });

  it.each([
    [['--total', '0']],
    [['--total', '1e6']],
    [['--seed', '-3']],
    [['--seed', '100000000']],
    [['--start', '2025-02-29']],
    [['--out', 'a', '--topic', 'b']],
    [['--unknown']],
    [['stray']],
  ])('given %j, when parsed, then it is a usage error', (argv) => {
    expect(() => parseCliOptions(argv)).toThrow(UsageError);
  });
});
