/**
 * Entry point of validation: bytes from the register in, a typed raw event or every reason out.
 * Pure: no Kafka, no clock, no logging; the caller decides what a refusal means (dead letter).
 */

import type { RawRegisterEvent } from '@register-feeds/contracts';
import { REGISTER_EVENT } from './contract.ts';
import { type Reason, RULE, reason, WHOLE_PAYLOAD } from './reason.ts';
import { checkCrossFieldRules } from './rules.ts';
import { checkObject } from './shape.ts';

/** A register event is a few hundred bytes; 64 KiB leaves room and keeps a hostile payload cheap. */
export const DEFAULT_MAX_BYTES = 64 * 1024;

export interface ParseOptions {
  maxBytes?: number;
}

export type ParseResult = { ok: true; event: RawRegisterEvent } | { ok: false; reasons: Reason[] };

const refuse = (...reasons: Reason[]): ParseResult => ({ ok: false, reasons });

// One decoder for every call: fatal and without the stream option it keeps no state between decodes.
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function parseRegisterEvent(bytes: Buffer | string, options: ParseOptions = {}): ParseResult {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const size = typeof bytes === 'string' ? Buffer.byteLength(bytes, 'utf8') : bytes.byteLength;
  // Checked before decoding or parsing, so an oversized payload costs nothing more than its length.
  if (size > maxBytes) {
    return refuse(reason(WHOLE_PAYLOAD, RULE.tooLarge, `payload is ${size} bytes, more than the ${maxBytes} allowed`));
  }

  let text: string;
  if (typeof bytes === 'string') {
    text = bytes;
  } else {
    try {
      text = utf8.decode(bytes);
    } catch {
      return refuse(reason(WHOLE_PAYLOAD, RULE.notUtf8, 'payload is not valid UTF-8'));
    }
  }

  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    // Never pass on the parser's own message: it quotes the payload around the error, BSN and all.
    return refuse(reason(WHOLE_PAYLOAD, RULE.notJson, 'payload is not valid JSON'));
  }

  const reasons = checkObject(json, REGISTER_EVENT, '');
  if (reasons.some((r) => r.rule === RULE.notObject)) return refuse(...reasons);
  reasons.push(...checkCrossFieldRules(json as Record<string, unknown>, reasons));
  return reasons.length === 0 ? { ok: true, event: json as RawRegisterEvent } : refuse(...reasons);
}
