/**
 * Redaction by construction: every object that reaches the logger (merged objects, child bindings, format
 * arguments, errors) is rebuilt here by the rules of fields.ts, so a person identifier cannot reach a log
 * line even when a caller logs a whole record by mistake. Pure, so it is unit-tested without a logger.
 */

import { isPayloadKey, isPersonKey, isTextKey } from './fields.ts';
import { REDACTED, scrubErrorText, scrubNumber, scrubText } from './text.ts';

export { isPersonKey } from './fields.ts';
export { REDACTED, scrubText } from './text.ts';

/** What a string under a field that is not on the allow-list (fields.ts) becomes. */
export const UNLISTED = '[unlisted]';
export const PAYLOAD = '[payload]';

const MAX_DEPTH = 8;
const MAX_ITEMS = 100;

/**
 * The loggable copy of a value. `text` says whether a string here may be logged: true at the top (the
 * caller chose to log it) and under allow-listed fields, false under any other field.
 */
export function redact(value: unknown, text = true, depth = 0): unknown {
  switch (typeof value) {
    case 'string':
      return text ? scrubText(value) : UNLISTED;
    case 'number':
      return scrubNumber(value);
    case 'bigint':
      return scrubNumber(Number(value)) === REDACTED ? REDACTED : value.toString();
    case 'boolean':
    case 'undefined':
      return value;
    case 'symbol':
      return '[symbol]';
    case 'function':
      return undefined;
  }
  if (value === null) return null;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (value instanceof Error) return redactError(value, depth);
  if (ArrayBuffer.isView(value)) return `[${value.byteLength} bytes]`;
  if (value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : scrubText(value.toISOString());
  if (Array.isArray(value)) return redactList(value, text, depth);
  if (value instanceof Set) return redactList([...value], text, depth);
  if (value instanceof Map) return redactObject(mapEntries(value), depth);
  const withToJson = value as { toJSON?: () => unknown };
  // a class that says how it serialises (URL, a key that hides its secret) is logged as it says
  if (typeof withToJson.toJSON === 'function') return redact(withToJson.toJSON(), text, depth + 1);
  return redactObject(value as Record<string, unknown>, depth);
}

function redactList(items: readonly unknown[], text: boolean, depth: number): unknown[] {
  const out = items.slice(0, MAX_ITEMS).map((item) => redact(item, text, depth + 1));
  if (items.length > MAX_ITEMS) out.push(`[${items.length - MAX_ITEMS} more]`);
  return out;
}

function mapEntries(map: Map<unknown, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, item] of map) out[typeof key === 'string' ? key : String(redact(key, false))] = item;
  return out;
}

function redactObject(object: Record<string, unknown>, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let count = 0;
  for (const key in object) {
    if (!Object.hasOwn(object, key)) continue;
    if (++count > MAX_ITEMS) {
      out['[more]'] = true;
      break;
    }
    const item = object[key];
    // a key is text too: a map keyed by BSN must not show them
    const safeKey = scrubText(key);
    if (isPersonKey(key)) out[safeKey] = item === undefined ? undefined : REDACTED;
    else if (isPayloadKey(key) && ((typeof item === 'object' && item !== null) || typeof item === 'string')) out[safeKey] = PAYLOAD;
    else out[safeKey] = redact(item, isTextKey(key), depth + 1);
  }
  return out;
}

/**
 * An error as its kind, message, stack, code and cause. Other own properties of an error (a subclass
 * that keeps the record it failed on, say) are left out: nothing decided they are safe. The message and
 * stack are text we cannot check for names, so quoted slices of input are cut out (text.ts).
 */
export function redactError(error: Error, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = { type: scrubText(String(error.name)), message: scrubErrorText(String(error.message)) };
  if (typeof error.stack === 'string') out.stack = scrubErrorText(error.stack);
  const extra = error as unknown as Record<string, unknown>;
  for (const key of ['code', 'retriable', 'isTrusted']) {
    const item = extra[key];
    if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') out[key] = redact(item, true, depth + 1);
  }
  if (Array.isArray(extra.reasons)) out.reasons = redact(extra.reasons, true, depth + 1);
  if (error instanceof AggregateError && Array.isArray(error.errors)) out.errors = redactList(error.errors, true, depth);
  if (error.cause !== undefined) {
    out.cause = typeof error.cause === 'string' ? scrubErrorText(error.cause) : redact(error.cause, false, depth + 1);
  }
  return out;
}
