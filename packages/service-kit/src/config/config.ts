/**
 * Configuration as a schema: every setting has an env name, a doc, a default (or none: required) and a
 * parser that says what is wrong. Validated once, at start; a service that cannot read its config exits
 * with one line naming the setting (see `exitOnConfigError`).
 *
 * Secrets (`secret: true`: tokens, keys) are never echoed: an error about one names the variable and what
 * is wrong, never its value, because error lines end up in terminals, CI logs and log collectors. Their
 * parsers must keep to the same rule (say which entry, never quote it).
 *
 * Why this table is not written in zod, which checks the agreement and projections files: it already is
 * schema-based validation with a typed result (ConfigOf infers each setting's type from its parser), and
 * what it holds besides the checks (env name, doc and default, from which the README tables are generated;
 * secrets never echoed; exit 78 with one line) zod does not provide. An environment variable is one string,
 * so each parser is a line or two; written as zod schemas they would need the same custom messages and
 * gain nothing. A setting that names a file with structure parses that file with its own schema
 * (DELIVER_PROJECTIONS_FILE: projections-file.ts).
 */

export { replaceSecretFile, writeNewSecretFile } from './secret-file.ts';

export interface Setting<T> {
  /** environment variable that sets it */
  env: string;
  /** one line for the README configuration table and for error messages */
  doc: string;
  /** used when the variable is unset or empty; no default means the setting is required */
  default?: string;
  parse: (raw: string) => T;
  /** the value is a secret: never shown in an error or a log, and its parser never quotes its input */
  secret?: boolean;
}

export type Settings = Record<string, Setting<unknown>>;
export type ConfigOf<S extends Settings> = { [K in keyof S]: S[K] extends Setting<infer T> ? T : never };

export class ConfigError extends Error {
  readonly isTrusted = true;
  readonly env: string;
  constructor(env: string, message: string) {
    super(message);
    this.name = 'ConfigError';
    this.env = env;
  }
}

export function loadConfig<S extends Settings>(settings: S, env: Record<string, string | undefined> = process.env): ConfigOf<S> {
  const config: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(settings)) {
    const given = env[setting.env];
    const raw = given === undefined || given.trim() === '' ? setting.default : given.trim();
    if (raw === undefined) {
      throw new ConfigError(setting.env, `${setting.env} is required: ${setting.doc}`);
    }
    try {
      config[key] = setting.parse(raw);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      if (setting.secret) {
        // the parser promises not to quote its input; should one forget, the value is still cut out
        throw new ConfigError(setting.env, `${setting.env} (secret, value not shown) is invalid: ${why.split(raw).join('[secret]')}`);
      }
      throw new ConfigError(setting.env, `${setting.env}=${JSON.stringify(withoutUserinfo(raw))} is invalid: ${why}`);
    }
  }
  return config as ConfigOf<S>;
}

/** A URL's user:password is a secret even in a setting that is not: shown as ***@. */
function withoutUserinfo(raw: string): string {
  return raw.replace(/(\/\/)[^/?#@\s]*@/g, '$1***@');
}

/** Loads the config or ends the process with one clear line on stderr (exit code 78, EX_CONFIG). */
export function loadConfigOrExit<S extends Settings>(service: string, settings: S, env = process.env): ConfigOf<S> {
  try {
    return loadConfig(settings, env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${service}: configuration error: ${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
}

// ---- parsers: each throws with a message that says what a good value looks like ----

export const asString = (raw: string): string => raw;

export function asInteger(min: number, max: number): (raw: string) => number {
  return (raw) => {
    if (!/^-?\d+$/.test(raw)) throw new Error(`expected a whole number from ${min} to ${max}`);
    const n = Number(raw);
    if (n < min || n > max) throw new Error(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

export function asOneOf<const T extends string>(...values: T[]): (raw: string) => T {
  return (raw) => {
    if (!(values as string[]).includes(raw)) throw new Error(`expected one of ${values.join(', ')}`);
    return raw as T;
  };
}

export function asUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error('expected an http(s) URL such as http://127.0.0.1:8080/apis/ccompat/v7');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('expected an http or https URL');
  return raw.replace(/\/+$/, '');
}

/** "host:port,host:port" */
export function asBrokerList(raw: string): string[] {
  const brokers = raw
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0) throw new Error('expected host:port[,host:port...]');
  for (const broker of brokers) {
    const match = /^([^\s:/]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(broker);
    if (!match || Number(match[2]) > 65535) throw new Error(`"${broker}" is not host:port`);
  }
  return brokers;
}

/** Lists the settings as Markdown table rows, so the README table can be checked against the code. */
export function describeSettings(settings: Settings): string[] {
  const shown = (s: Setting<unknown>) => (s.default === undefined ? '(required)' : s.default === '' ? '(unset)' : `\`${s.default}\``);
  return Object.values(settings).map((s) => `| \`${s.env}\` | ${shown(s)} | ${s.secret ? '**secret**: ' : ''}${s.doc} |`);
}

export { describeIssues, formatPath, type ProblemWording, showValue } from './schema-problems.ts';
