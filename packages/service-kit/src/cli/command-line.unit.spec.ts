import { describe, expect, it } from 'vitest';
import { bigWholeNumber, CliExit, commaList, createCli, errorText, isoTimestamp, parseCli, wholeNumber } from './command-line.ts';

/** A small tool with a subcommand, its output collected. */
function tool() {
  const out: string[] = [];
  const err: string[] = [];
  const seen: Array<Record<string, unknown>> = [];
  const program = createCli({
    name: 'demo',
    usage: 'npm run demo --',
    description: 'a demo tool',
    output: { out: (t) => out.push(t), err: (t) => err.push(t) },
  }).option('--file <path>', 'a file');
  program
    .command('count')
    .description('counts')
    .requiredOption('--to <n>', 'up to', wholeNumber(1, 10))
    .action((o) => {
      seen.push({ ...o, ...program.opts() });
    });
  const run = (...argv: string[]) => {
    try {
      parseCli(program, argv);
      return { exitCode: undefined, out: out.join(''), err: err.join(''), seen };
    } catch (error) {
      if (!(error instanceof CliExit)) throw error;
      return { exitCode: error.exitCode, message: error.message, out: out.join(''), err: err.join(''), seen };
    }
  };
  return run;
}

describe('createCli and parseCli', () => {
  it('runs the action with typed values, program-wide options before or after the command', () => {
    expect(tool()('count', '--to', '3', '--file', 'k.json').seen).toEqual([{ to: 3, file: 'k.json' }]);
    expect(tool()('--file', 'k.json', 'count', '--to', '10').seen).toEqual([{ to: 10, file: 'k.json' }]);
  });

  it('writes one line for a mistake, names the tool, and ends with exit code 2', () => {
    const result = tool()('count', '--to', '11');
    expect(result).toMatchObject({ exitCode: 2, out: '', seen: [] });
    expect(result.err).toBe("demo: option '--to <n>' argument '11' is invalid. must be a whole number from 1 to 10 (see --help)\n");
    expect(result.message).toBe("option '--to <n>' argument '11' is invalid. must be a whole number from 1 to 10");
    expect(tool()('count').err).toBe("demo: required option '--to <n>' not specified (see --help)\n");
    expect(tool()('count', '--to', '1', 'extra')).toMatchObject({ exitCode: 2 });
  });

  it('never shows an unknown token that does not look like an option or a command: it may be a pasted secret', () => {
    const secret = 'c2VjcmV0LWtleS1tYXRlcmlhbC1vZi00My1jaGFyYWN0ZXJz';
    for (const argv of [['count', '--to', '1', `--key=${secret}`], [secret], ['count', '--to', '1', `--${secret}`]]) {
      const result = tool()(...argv);
      expect(result.exitCode).toBe(2);
      expect(result.err).not.toContain(secret);
      expect(result.err).toMatch(/^demo: unknown (option|command)/);
    }
    // a mistyped option is still named, without its value
    expect(tool()('count', '--to', '1', `--key=${secret}`).err).toContain("unknown option '--key'");
    expect(tool()('count', '--to', '1', '--fiel', 'x').err).toMatch(/unknown option '--fiel'/);
  });

  it('writes the generated help to stdout with exit code 0', () => {
    for (const argv of [['--help'], ['help'], ['help', 'count'], ['count', '-h']]) {
      const result = tool()(...argv);
      expect(result.exitCode).toBe(0);
      expect(result.err).toBe('');
      expect(result.out).toMatch(/^Usage: npm run demo -- /);
    }
    expect(tool()('count', '--help').out).toMatch(/--to <n>[\s\S]*Global Options:[\s\S]*--file <path>/);
  });

  it('makes commander errors one line', () => {
    expect(errorText("error: unknown option '--x=1'\n(Did you mean --y?)\n")).toBe("unknown option '--x' (Did you mean --y?)");
  });
});

describe('value parsers', () => {
  it('accepts whole numbers in range and refuses the rest', () => {
    expect(wholeNumber(1)('42')).toBe(42);
    for (const raw of ['0', '-1', '1e3', '0x10', '1.5', '', '99999999999999999999']) {
      expect(() => wholeNumber(1)(raw)).toThrow(/whole number >= 1/);
    }
    expect(bigWholeNumber('18446744073709551615')).toBe(18446744073709551615n);
    expect(() => bigWholeNumber('-1')).toThrow(/whole number >= 0/);
  });

  it('reads ISO timestamps and comma lists', () => {
    expect(isoTimestamp('2025-09-01T00:00:00Z')).toBe(Date.UTC(2025, 8, 1));
    expect(() => isoTimestamp('yesterday')).toThrow(/ISO timestamp/);
    expect(() => isoTimestamp('2025-13-45')).toThrow(/ISO timestamp/);
    expect(commaList(' a:1, ,b:2 ')).toEqual(['a:1', 'b:2']);
    expect(() => commaList(' , ')).toThrow(/at least one/);
  });
});
