/**
 * Person data that a pattern can find in text: person numbers and dates. Applied to every string a log
 * line is made of (values, keys, messages, errors) and, as a last net, to the finished JSON line itself.
 * Names cannot be found by a pattern; fields.ts and message.ts keep them out.
 */

export const REDACTED = '[redacted]';

// A BSN or an onderwijsnummer, and anything that could hide one: nine or more digits in a row, also
// written with single spaces, dots or hyphens between them (123 456 782, 1234.56.782, 123-456-782).
// Longer numbers (offsets past 10^8, epoch milliseconds) go too: a log line does not need them in full.
const DIGIT_RUN = String.raw`\d(?:[ .\-]?\d){8,}`;
// Dates could be birth dates: year-month-day and day-month-year with - . or /, and yyyymmdd in this
// century or the last. Log lines carry their own time in the "time" field.
const DATE_YMD = String.raw`\d{4}[-./]\d{1,2}[-./]\d{1,2}`;
const DATE_DMY = String.raw`\d{1,2}[-./]\d{1,2}[-./]\d{4}`;
const DATE_COMPACT = String.raw`(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])`;
const PERSON_DATA = String.raw`(?<!\d)(?:${DIGIT_RUN}|${DATE_YMD}|${DATE_DMY}|${DATE_COMPACT})(?!\d)`;

const IN_TEXT = new RegExp(PERSON_DATA, 'g');
const ANYWHERE = new RegExp(PERSON_DATA);

/** True when the text holds something scrubText would take out. */
export function holdsPersonData(text: string): boolean {
  return ANYWHERE.test(text);
}

export function scrubText(text: string): string {
  return ANYWHERE.test(text) ? text.replace(IN_TEXT, REDACTED) : text;
}

/** A number that is a person number or a date written as digits (123456782, 20070514) is not logged. */
export function scrubNumber(value: number): number | string {
  // below 10^7 no pattern can match: the common case costs one comparison
  if (!(Math.abs(value) >= 1e7) || !Number.isFinite(value)) return value;
  return ANYWHERE.test(String(value)) ? REDACTED : value;
}

// An error message may quote its input: V8's JSON.parse says `Unexpected token 'J', "{"naam":"Jan…"… is
// not valid JSON`, with a slice of the payload. Everything from the first to the last double quote of a
// line of an error's message or stack is replaced; names in it cannot be told from other words.
const QUOTED = /"[^\n]*"/g;

export function scrubErrorText(text: string): string {
  return scrubText(text.includes('"') ? text.replace(QUOTED, '"[quoted]"') : text);
}

// JSON string tokens (with their escapes), and what lies between them: punctuation, numbers, literals.
const JSON_TOKENS = /"(?:[^"\\]|\\.)*"|[^"]+/g;
const JSON_NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g;
// a digit of a \u escape is not text: never start a match inside one
const IN_JSON_STRING = new RegExp(String.raw`(?<!\\u[0-9a-fA-F]{0,3})${PERSON_DATA}`, 'g');

/**
 * The last net, over a finished JSON line: person numbers and dates inside strings become [redacted], and a
 * number that is one becomes the string "[redacted]", so the line stays valid JSON. `from` skips the
 * line's own time.
 */
export function scrubJsonLine(line: string, from = 0): string {
  const rest = from > 0 ? line.slice(from) : line;
  if (!ANYWHERE.test(rest)) return line;
  const scrubbed = rest.replace(JSON_TOKENS, (token) =>
    token.charCodeAt(0) === 34 /* " */
      ? token.replace(IN_JSON_STRING, REDACTED)
      : token.replace(JSON_NUMBER, (n) => (ANYWHERE.test(n) ? `"${REDACTED}"` : n)),
  );
  return from > 0 ? line.slice(0, from) + scrubbed : scrubbed;
}
