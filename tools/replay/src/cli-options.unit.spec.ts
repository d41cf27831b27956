import { describe, expect, it } from 'vitest';
import { parseCommand } from './cli-options.ts';
import { UsageError } from './context.ts';

describe('parseCommand', () => {
  it('parses each command', () => {
    expect(parseCommand(['export', '--topic', 't', '--out', 'f.jsonl', '--decode'])).toEqual({
      command: 'export',
      topic: 't',
      out: 'f.jsonl',
      decode: true,
      allowPersonalData: false,
      rekey: false,
    });
    expect(parseCommand(['import', '--file', 'f', '--topic', 't', '--brokers', 'a:1,b:2'])).toMatchObject({
      command: 'import',
      brokers: ['a:1', 'b:2'],
    });
    expect(parseCommand(['replay', '--from-topic', 'a', '--to-topic', 'b', '--from-offset', '5'])).toMatchObject({ fromOffset: 5n });
    expect(parseCommand(['replay', '--from-topic', 'a', '--to-topic', 'b', '--from-timestamp', '2025-09-01T00:00:00Z'])).toMatchObject({
      fromTimestamp: Date.UTC(2025, 8, 1),
    });
    expect(parseCommand(['reset-group', '--group', 'g', '--topic', 't', '--to-earliest', '--dry-run'])).toMatchObject({
      toEarliest: true,
      dryRun: true,
    });
  });

  it('refuses mistakes with a usage error', () => {
    expect(() => parseCommand(['nope'])).toThrow(UsageError);
    expect(() => parseCommand(['export', '--topic', 't'])).toThrow(/needs --out/);
    expect(() => parseCommand(['export', '--topic', 't', '--out', 'f', '--group', 'g'])).toThrow(/does not take --group/);
    expect(() =>
      parseCommand(['replay', '--from-topic', 'a', '--to-topic', 'b', '--from-offset', '1', '--from-timestamp', '2025-01-01']),
    ).toThrow(/not both/);
    expect(() => parseCommand(['reset-group', '--group', 'g', '--topic', 't'])).toThrow(/exactly one/);
    expect(() => parseCommand(['reset-group', '--group', 'g', '--topic', 't', '--to-timestamp', 'yesterday'])).toThrow(/ISO/);
  });
});
