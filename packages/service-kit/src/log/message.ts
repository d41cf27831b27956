/**
 * The message of a log call, made here instead of by pino, so that format arguments pass the same rules
 * as logged objects. pino would print `log.info('student %s', naam)` and `log.info('%j', persoon)` as
 * given; here a string argument is never printed (it is a value, and could be a name), numbers are
 * printed unless they could be a person number or a date, objects are redacted like merged objects, and
 * the finished message is scrubbed for numbers and dates (catching `'bsn ' + bsn` too).
 *
 * Placeholders as pino's (quick-format-unescaped): %s %d %i %f %o %O %j %%; arguments beyond them are
 * not printed, as pino does not print them.
 */

import { REDACTED, redact, redactError } from './redact.ts';
import { scrubNumber, scrubText } from './text.ts';

const safeJson = (value: unknown): string => {
  try {
    return JSON.stringify(value) ?? 'undefined';
  } catch {
    return '"[unserialisable]"';
  }
};

/** An argument as the placeholder shows it. */
function renderArgument(placeholder: string, arg: unknown): string {
  if (typeof arg === 'string') return placeholder === 's' ? REDACTED : `'${REDACTED}'`;
  switch (placeholder) {
    case 'd':
    case 'f':
      return String(scrubNumber(Number(arg)));
    case 'i':
      return String(scrubNumber(Math.floor(Number(arg))));
  }
  if (typeof arg === 'function') return arg.name || '<anonymous>';
  if (arg instanceof Error)
    return placeholder === 's' ? `${redactError(arg).type}: ${redactError(arg).message}` : safeJson(redactError(arg));
  if (typeof arg === 'object' && arg !== null) return safeJson(redact(arg, false));
  return String(redact(arg, false));
}

const takesArgument = (code: number): boolean =>
  code === 115 /* s */ ||
  code === 100 /* d */ ||
  code === 105 /* i */ ||
  code === 102 /* f */ ||
  code === 111 /* o */ ||
  code === 79 /* O */ ||
  code === 106; /* j */

function format(template: string, args: readonly unknown[]): string {
  let out = '';
  let from = 0;
  let next = 0;
  for (let i = 0; i < template.length - 1; i++) {
    if (template.charCodeAt(i) !== 37 /* % */) continue;
    const code = template.charCodeAt(i + 1);
    if (code === 37) {
      out += `${template.slice(from, i)}%`;
      from = i + 2;
      i++;
    } else if (takesArgument(code) && next < args.length) {
      const arg = args[next++];
      // pino leaves a placeholder for null/undefined as it is (%d, %o) or prints it (%s); either is harmless
      out += template.slice(from, i) + (arg === undefined || arg === null ? String(arg) : renderArgument(template[i + 1]!, arg));
      from = i + 2;
      i++;
    }
  }
  return out + template.slice(from);
}

/**
 * The message to hand pino, from what followed the merged object (or was the whole call): undefined when
 * there is none. A string message without arguments is printed as written, less numbers and dates.
 */
export function renderMessage(message: unknown, args: readonly unknown[]): string | undefined {
  if (message === undefined) return undefined;
  if (typeof message === 'string') return scrubText(args.length === 0 ? message : format(message, args));
  // pino prints a non-string message (and its arguments, space-separated) as JSON
  return scrubText([message, ...args].map(renderLoose).join(' '));
}

function renderLoose(part: unknown): string {
  if (typeof part === 'string') return REDACTED;
  if (typeof part === 'number') return String(scrubNumber(part));
  if (part instanceof Error) return safeJson(redactError(part));
  return safeJson(redact(part, false));
}
