import { CliExit } from '@register-feeds/service-kit';
import { describe, expect, it } from 'vitest';
import { deliveriesCommandLine, exportCommandLine, snapshotCommandLine } from './cli-options.ts';

const NOW = Date.parse('2026-11-15T06:00:00Z');

/** A command line parsed with its output collected: what it asks for, or its exit code and what it wrote. */
function run<T>(commandLine: typeof snapshotCommandLine | typeof deliveriesCommandLine | typeof exportCommandLine, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const output = { out: (t: string) => out.push(t), err: (t: string) => err.push(t) };
  try {
    const parsed = commandLine(argv, { output, clock: () => NOW }) as T;
    return { parsed, exitCode: undefined, out: out.join(''), err: err.join('') };
  } catch (error) {
    if (!(error instanceof CliExit)) throw error;
    return { parsed: undefined, exitCode: error.exitCode, out: out.join(''), err: err.join('') };
  }
}

const snapshot = (...argv: string[]) => run(snapshotCommandLine, ...argv);
const deliveries = (...argv: string[]) => run(deliveriesCommandLine, ...argv);
const analyticsExport = (...argv: string[]) => run(exportCommandLine, ...argv);

/** One line on stderr naming the tool and pointing at --help, nothing on stdout, exit code 2. */
function expectUsageError(result: ReturnType<typeof snapshot>, tool: string, says: string) {
  expect(result.exitCode).toBe(2);
  expect(result.out).toBe('');
  expect(result.err).toMatch(new RegExp(`^${tool}: .+ \\(see --help\\)\\n$`));
  expect(result.err).toContain(says);
}

describe('the command lines’ help', () => {
  it.each([
    [
      'snapshot',
      snapshot,
      [
        '--recipient <recipient>',
        '--peildatum <YYYY-MM-DD>',
        '--known-at <instant>',
        '--out <file>',
        '--format <format>',
        '--topic <topic>',
        '--brokers',
      ],
    ],
    ['deliveries', deliveries, ['--due', '--run', '--now <instant>', '--out <dir>', '--format <format>', '--topics', '--brokers']],
    [
      'analytics:export',
      analyticsExport,
      ['--topic <topic>', '--out <file>', '--recipient <id>', '--memory-limit <size>', '--brokers', '--quiet'],
    ],
  ] as const)('%s: -h and --help write every option and the exit codes to stdout, exit code 0', (name, commandLine, options) => {
    for (const flag of ['-h', '--help']) {
      const result = commandLine(flag);
      expect(result).toMatchObject({ exitCode: 0, err: '' });
      expect(result.out).toContain(`Usage: npm run ${name} -- [options]`);
      for (const option of options) expect(result.out).toContain(option);
      expect(result.out).toMatch(/Exit codes: 0 done, 1 /);
    }
  });
});

describe('npm run snapshot', () => {
  it('hands on what was asked, brokers as a list', () => {
    const result = snapshot(
      '--recipient',
      'ocw-minister',
      '--peildatum',
      '2026-10-01',
      '--known-at',
      '2026-11-15T01:00:00+01:00',
      '--out',
      'x.jsonl',
      '--format',
      'jsonl',
      '--topic',
      'history',
      '--brokers',
      'a:1, b:2',
    );
    expect(result.parsed).toEqual({
      recipient: 'ocw-minister',
      peildatum: '2026-10-01',
      knownAt: new Date('2026-11-15T00:00:00Z'),
      out: 'x.jsonl',
      format: 'jsonl',
      topic: 'history',
      brokers: ['a:1', 'b:2'],
    });
  });

  it('knows as of now, writes parquet and names the file after recipient, peildatum and instant unless told', () => {
    expect(snapshot('--recipient', 'ocw-minister', '--peildatum', '2026-10-01').parsed).toEqual({
      recipient: 'ocw-minister',
      peildatum: '2026-10-01',
      knownAt: new Date(NOW),
      out: 'snapshot-ocw-minister-2026-10-01-known-20261115T060000Z.parquet',
      format: 'parquet',
    });
    expect(snapshot('--recipient', 'r', '--peildatum', '2026-10-01', '--format', 'jsonl').parsed).toMatchObject({
      out: 'snapshot-r-2026-10-01-known-20261115T060000Z.jsonl',
    });
  });

  it('refuses, in one line each: a missing option, a date that does not exist, an instant without offset, another format', () => {
    expectUsageError(snapshot('--peildatum', '2026-10-01'), 'snapshot', "required option '--recipient <recipient>' not specified");
    expectUsageError(snapshot('--recipient', 'r'), 'snapshot', "required option '--peildatum <YYYY-MM-DD>' not specified");
    expectUsageError(snapshot('--recipient', 'r', '--peildatum', '2026-02-30'), 'snapshot', 'must be an existing date YYYY-MM-DD');
    expectUsageError(
      snapshot('--recipient', 'r', '--peildatum', '2026-10-01', '--known-at', '2026-11-15T00:00:00'),
      'snapshot',
      'must be an ISO instant with offset, e.g. 2026-11-15T00:00:00Z',
    );
    expectUsageError(
      snapshot('--recipient', 'r', '--peildatum', '2026-10-01', '--format', 'csv'),
      'snapshot',
      "option '--format <format>' argument 'csv' is invalid. Allowed choices are parquet, jsonl.",
    );
    expectUsageError(snapshot('--recipient', '', '--peildatum', '2026-10-01'), 'snapshot', 'must not be empty');
  });
});

describe('npm run deliveries', () => {
  it('--due lists as of --now (default now); --run takes the output options', () => {
    expect(deliveries('--due').parsed).toEqual({ mode: 'due', now: NOW, format: 'parquet', topics: false });
    expect(deliveries('--due', '--now', '2027-03-09T07:00:00+01:00').parsed).toMatchObject({ now: Date.parse('2027-03-09T06:00:00Z') });
    expect(deliveries('--run', '--out', 'd', '--format', 'jsonl', '--topics', '--brokers', 'k:9092').parsed).toEqual({
      mode: 'run',
      now: NOW,
      out: 'd',
      format: 'jsonl',
      topics: true,
      brokers: ['k:9092'],
    });
  });

  it('takes exactly one of --due and --run, and no output options with --due', () => {
    expectUsageError(deliveries(), 'deliveries', 'give either --due or --run');
    expectUsageError(deliveries('--now', '2027-03-09T06:00:00Z'), 'deliveries', 'give either --due or --run');
    expectUsageError(deliveries('--due', '--run'), 'deliveries', "option '--due' cannot be used with option '--run'");
    expectUsageError(deliveries('--run', '--due'), 'deliveries', 'cannot be used with');
    for (const [option, ...value] of [['--out', 'd'], ['--format', 'parquet'], ['--topics']] as const) {
      expectUsageError(deliveries('--due', option, ...value), 'deliveries', `option '--due' cannot be used with option '${option}`);
    }
  });

  it('refuses an instant that is not one, or without its offset, and a format other than parquet or jsonl', () => {
    expectUsageError(deliveries('--run', '--format', 'csv'), 'deliveries', 'Allowed choices are parquet, jsonl.');
    for (const now of ['tomorrow', '2027-03-08', '2027-03-09T06:00:00']) {
      expectUsageError(
        deliveries('--run', '--now', now),
        'deliveries',
        `option '--now <instant>' argument '${now}' is invalid. must be an ISO instant with offset`,
      );
    }
  });
});

describe('npm run analytics:export', () => {
  it('hands on what was asked', () => {
    expect(analyticsExport('--topic', 'recipient.x.v1', '--out', 'x.parquet').parsed).toEqual({
      topic: 'recipient.x.v1',
      out: 'x.parquet',
      quiet: false,
    });
    expect(
      analyticsExport('--topic', 't', '--out', 'o', '--recipient', 'r', '--memory-limit', '512MB', '--brokers', 'a:1,b:2', '--quiet')
        .parsed,
    ).toEqual({ topic: 't', out: 'o', recipient: 'r', memoryLimit: '512MB', brokers: ['a:1', 'b:2'], quiet: true });
  });

  it('needs --topic and --out', () => {
    expectUsageError(analyticsExport('--out', 'o'), 'analytics:export', "required option '--topic <topic>' not specified");
    expectUsageError(analyticsExport('--topic', 't'), 'analytics:export', "required option '--out <file>' not specified");
  });
});

describe('a token in the wrong place', () => {
  const secret = 'c2VjcmV0LWtleS1tYXRlcmlhbC1vZi00My1jaGFyYWN0ZXJz';

  it('names an unknown option that looks like one, without its value', () => {
    expectUsageError(deliveries('--due', '--nope'), 'deliveries', "unknown option '--nope'");
    expectUsageError(deliveries('--due', `--key=${secret}`), 'deliveries', "unknown option '--key'");
    expectUsageError(
      snapshot('--recipient', 'r', '--peildatum', '2026-10-01', '--fromat', 'jsonl'),
      'snapshot',
      "unknown option '--fromat'",
    );
  });

  it('never shows one that does not look like an option, nor a stray argument: it may be a pasted secret', () => {
    for (const result of [
      deliveries('--due', `--${secret}`),
      deliveries('--due', secret),
      snapshot('--recipient', 'r', '--peildatum', '2026-10-01', secret),
      analyticsExport('--topic', 't', '--out', 'o', 'stray', secret),
    ]) {
      expect(result.exitCode).toBe(2);
      expect(result.err).not.toContain(secret);
      expect(result.err).toMatch(/^(deliveries|snapshot|analytics:export): (unknown option \(not shown|too many arguments.*\(not shown)/);
    }
  });
});
