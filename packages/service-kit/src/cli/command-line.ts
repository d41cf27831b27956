/**
 * The house rules for every command line tool, over commander (subcommands, generated help, typed options
 * through @commander-js/extra-typings):
 *
 * - a mistake is one line on stderr, "<tool>: <what is wrong> (see --help)", and exit code 2; never a
 *   stack trace. Help is written to stdout with exit code 0.
 * - an unknown option or command is named only when it looks like one: the token could be a secret pasted
 *   in the wrong place (secrets never go on a command line, only the path of a file holding them).
 * - parsing never exits: it throws CliExit, so tests see the code and the text; the tool's entry point
 *   turns that into process.exit (parseOrExit).
 * - option values are checked by their parsers (the helpers below), each with a message saying what a
 *   good value looks like.
 */

import { Command, CommanderError, InvalidArgumentError } from '@commander-js/extra-typings';

export { Argument, Command, InvalidArgumentError, Option } from '@commander-js/extra-typings';

export const EXIT_USAGE = 2;

/** Any program or subcommand, whatever its typed arguments and options. */
export interface ParsableCommand {
  parse(argv: readonly string[], options: { from: 'user' }): unknown;
  error(message: string, options: { exitCode: number; code: string }): never;
}

/** Where a command line's help and errors go: the process's stdout and stderr unless a test collects them. */
export interface CliOutput {
  out(text: string): void;
  err(text: string): void;
}

const processOutput: CliOutput = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

/** A command line that ended before any work: help was shown (exit code 0) or a usage error written (2). */
export class CliExit extends Error {
  override name = 'CliExit';
  readonly exitCode: number;
  constructor(exitCode: number, message: string) {
    super(message);
    this.exitCode = exitCode;
  }
}

export interface CliOptions {
  /** the tool's short name, which starts every error line: "replay" */
  name: string;
  /** how a person runs it, shown in the help's usage line: "npm run replay --" */
  usage?: string;
  description: string;
  output?: CliOutput;
}

/**
 * A commander program with the house rules. Subcommands made with .command() inherit them. Every
 * program-wide option is shown in a subcommand's help too, and is accepted before or after its name.
 */
export function createCli({ name, usage = name, description, output = processOutput }: CliOptions): Command {
  return new Command(usage)
    .description(description)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => output.out(text),
      writeErr: (text) => output.err(text),
      // one line: what is wrong, and where the usage is
      outputError: (text, write) => write(`${name}: ${errorText(text)} (see --help)\n`),
    })
    .showSuggestionAfterError(true)
    .configureHelp({ showGlobalOptions: true, sortOptions: false });
}

/**
 * commander's error text as one line, without "error: " and without a token that may be a secret (the
 * arguments of "too many arguments" are not shown either).
 */
export function errorText(text: string): string {
  return text
    .replace(/^error: /, '')
    .replace(/(unknown (?:option|command)) '([^']*)'/, (_all, what: string, token: string) => {
      const name = token.split('=')[0] ?? '';
      return /^-{0,2}[A-Za-z][A-Za-z0-9-]{0,23}$/.test(name) ? `${what} '${name}'` : `${what} (not shown: it could be a secret)`;
    })
    .replace(/(too many arguments.*?but got \d+): [\s\S]*$/, '$1 (not shown: they could be a secret)')
    .replace(/\s*\n\s*/g, ' ')
    .trim();
}

/**
 * Parses argv (without node and the script) and runs the actions, which should only take down what was
 * asked: the work starts after parsing. Help or a usage error throw CliExit, with the output written.
 */
export function parseCli(program: ParsableCommand, argv: readonly string[]): void {
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // help asked for (--help, the help command), or shown because no command was given
    const help = error.code === 'commander.helpDisplayed' || error.code === 'commander.help' || error.code === 'commander.version';
    throw new CliExit(help ? 0 : EXIT_USAGE, help ? 'help' : errorText(error.message));
  }
}

/** parseCli for a tool's entry point: help or a usage error end the process with their exit code. */
export function parseOrExit(program: ParsableCommand, argv: readonly string[] = process.argv.slice(2)): void {
  try {
    parseCli(program, argv);
  } catch (error) {
    if (error instanceof CliExit) process.exit(error.exitCode);
    throw error;
  }
}

/**
 * A usage error found after parsing (an option combination, a value only the configuration can judge):
 * written like commander's own, and thrown as CliExit.
 */
export function usageError(program: ParsableCommand, message: string): never {
  try {
    program.error(message, { exitCode: EXIT_USAGE, code: 'usage' });
  } catch (error) {
    if (error instanceof CommanderError) throw new CliExit(EXIT_USAGE, errorText(error.message));
    throw error;
  }
  throw new CliExit(EXIT_USAGE, message);
}

// ---- value parsers for options and arguments: each throws InvalidArgumentError saying what fits ----

/** A whole number from min (to max); digits only, so 1e6, -3 and 0x10 are refused. */
export function wholeNumber(min: number, max = Number.MAX_SAFE_INTEGER): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER ? `must be a whole number >= ${min}` : `must be a whole number from ${min} to ${max}`,
      );
    }
    return value;
  };
}

/** A whole number >= 0 of any size (a Kafka offset). */
export function bigWholeNumber(raw: string): bigint {
  if (!/^\d+$/.test(raw)) throw new InvalidArgumentError('must be a whole number >= 0');
  return BigInt(raw);
}

/** An ISO 8601 timestamp (at least a date) as epoch milliseconds. */
export function isoTimestamp(raw: string): number {
  const ms = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}/.test(raw) || Number.isNaN(ms))
    throw new InvalidArgumentError('must be an ISO timestamp, e.g. 2025-09-01T00:00:00Z');
  return ms;
}

/** A comma-separated list, trimmed, without empty entries ("a:1, b:2" gives ["a:1", "b:2"]). */
export function commaList(raw: string): string[] {
  const list = raw
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (list.length === 0) throw new InvalidArgumentError('must name at least one, comma-separated');
  return list;
}

/** A value that is not empty. */
export function nonEmpty(raw: string): string {
  if (raw.trim() === '') throw new InvalidArgumentError('must not be empty');
  return raw;
}
