/**
 * Redaction by construction: whatever object or message reaches the logger passes through here, so a
 * person identifier cannot reach a log line even when a caller logs a whole record by mistake.
 * Pure, so it is unit-tested without a logger.
 */

export const REDACTED = '[redacted]';

/** Keys whose values identify a person (Dutch register names and their English twins), compared case-insensitively. */
const PERSON_KEYS = new Set(
  [
    'bsn',
    'burgerservicenummer',
    'onderwijsnummer',
    'persoonsnummer',
    'persoonsgebondennummer',
    'pgn',
    'naam',
    'achternaam',
    'geslachtsnaam',
    'voornaam',
    'voornamen',
    'voorletters',
    'voorvoegsel',
    'roepnaam',
    'name',
    'firstname',
    'lastname',
    'surname',
    'geboortedatum',
    'birthdate',
    'dateofbirth',
    'dob',
  ].map((k) => k.toLowerCase()),
);

/** Record payloads are never logged: keys and values of Kafka messages may carry any of the above. */
const PAYLOAD_KEYS = new Set(['value', 'payload', 'body', 'record', 'message.value', 'rawvalue']);

// Nine digits standing alone: a BSN or an onderwijsnummer, whatever it is called in free text.
const NINE_DIGITS = /(?<!\d)\d{9}(?!\d)/g;
// ISO dates anywhere in free text could be birth dates; log lines do not need them.
const ISO_DATE = /(?<!\d)\d{4}-\d{2}-\d{2}(?!\d)/g;

export function isPersonKey(key: string): boolean {
  return PERSON_KEYS.has(key.toLowerCase().replace(/[_-]/g, ''));
}

export function scrubText(text: string): string {
  return text.replace(NINE_DIGITS, REDACTED).replace(ISO_DATE, REDACTED);
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 8) return '[too deep]';
  if (typeof value === 'string') return scrubText(value);
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1e8 && value < 1e9) return REDACTED;
  if (value === null || typeof value !== 'object') return value;
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  if (value instanceof Date) return value;
  if (value instanceof Error) {
    const out: Record<string, unknown> = { type: value.name, message: scrubText(value.message) };
    if (value.stack) out.stack = scrubText(value.stack);
    const extra = value as unknown as Record<string, unknown>;
    for (const key of ['code', 'retriable', 'isTrusted', 'reasons']) {
      if (key in extra) out[key] = redact(extra[key], depth + 1);
    }
    if (value.cause !== undefined) out.cause = redact(value.cause, depth + 1);
    return out;
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    if (isPersonKey(key)) out[key] = REDACTED;
    else if (PAYLOAD_KEYS.has(key.toLowerCase()) && item !== null && typeof item === 'object') out[key] = '[payload]';
    else out[key] = redact(item, depth + 1);
  }
  return out;
}
