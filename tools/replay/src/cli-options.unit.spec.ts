import { CliExit } from '@register-feeds/service-kit';
import { describe, expect, it } from 'vitest';
import { parseCommand } from './cli-options.ts';

/** parseCommand with its help and errors collected, and how it ended when it did not parse. */
function parse(argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const output = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
  try {
    return { parsed: parseCommand(argv, output), out: out.join(''), err: err.join('') };
  } catch (error) {
    if (!(error instanceof CliExit)) throw error;
    return { exitCode: error.exitCode, out: out.join(''), err: err.join('') };
  }
}

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
    // program-wide options before the command too
    expect(parseCommand(['--brokers', 'a:1', '--quiet', 'import', '--file', 'f', '--topic', 't'])).toMatchObject({
      brokers: ['a:1'],
      quiet: true,
    });
    expect(parseCommand(['replay', '--from-topic', 'a', '--to-topic', 'b', '--from-offset', '5'])).toMatchObject({ fromOffset: 5n });
    expect(parseCommand(['replay', '--from-topic', 'a', '--to-topic', 'b', '--from-timestamp', '2025-09-01T00:00:00Z'])).toMatchObject({
      fromTimestamp: Date.UTC(2025, 8, 1),
    });
    expect(parseCommand(['reset-group', '--group', 'g', '--topic', 't', '--to-earliest', '--dry-run'])).toMatchObject({
      toEarliest: true,
      dryRun: true,
    });
    expect(parseCommand(['reset-group', '--group', 'g', '--topic', 't', '--to-timestamp', '2025-09-01'])).toMatchObject({
      toEarliest: false,
      toTimestamp: Date.UTC(2025, 8, 1),
      dryRun: false,
    });
  });

  it.each([
    [['nope'], /^replay: unknown command 'nope' \(see --help\)\n$/],
    [['export', '--topic', 't'], /required option '--out <file>' not specified/],
    [['export', '--topic', 't', '--out', 'f', '--group', 'g'], /unknown option '--group'/],
    [['replay', '--from-topic', 'a', '--to-topic', 'b', '--from-offset', '1', '--from-timestamp', '2025-01-01'], /cannot be used with/],
    [
      ['replay', '--from-topic', 'a', '--to-topic', 'b', '--from-offset', '-1'],
      /--from-offset <n>' argument '-1' is invalid\. must be a whole number >= 0/,
    ],
    [['reset-group', '--group', 'g', '--topic', 't'], /exactly one of --to-earliest and --to-timestamp/],
    [['reset-group', '--group', 'g', '--topic', 't', '--to-earliest', '--to-timestamp', '2025-01-01'], /cannot be used with/],
    [['reset-group', '--group', 'g', '--topic', 't', '--to-timestamp', 'yesterday'], /must be an ISO timestamp/],
    [['import', '--file', 'f', '--topic', 't', '--brokers', ' , '], /must name at least one/],
  ])('refuses %j with one line on stderr and exit code 2', (argv, message) => {
    const result = parse(argv);
    expect(result.exitCode).toBe(2);
    expect(result.err).toMatch(message);
    expect(result.err.trimEnd().split('\n')).toHaveLength(1);
    expect(result.err).toMatch(/^replay: /);
    expect(result.out).toBe('');
  });

  it.each([
    [[]],
    [['help']],
    [['--help']],
    [['-h']],
    [['help', 'export']],
    [['export', '--help']],
  ])('shows the generated help for %j on stdout with exit code 0', (argv) => {
    const result = parse(argv);
    expect(result.exitCode).toBe(0);
    expect(result.err).toBe('');
    expect(result.out).toMatch(/^Usage: npm run replay -- /);
    expect(result.out).toContain('--brokers <host:port,...>');
  });

  it('lists every command and its options in the help', () => {
    expect(parse(['--help']).out).toMatch(/export[\s\S]*import[\s\S]*replay[\s\S]*reset-group[\s\S]*Safe by default/);
    const help = parse(['reset-group', '--help']).out;
    for (const option of ['--group <group>', '--topic <topic>', '--to-earliest', '--to-timestamp <iso>', '--dry-run', '--quiet']) {
      expect(help).toContain(option);
    }
  });
});
