/**
 * Entry point of validation: bytes from the register in, a typed raw event or every reason out.
 * Pure: no Kafka, no clock, no logging; the caller decides what a refusal means (dead letter).
 */

import { createAjvContractValidator, type RawRegisterEvent } from '@register-feeds/contracts';
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

/** A check of a parsed payload against the contract: every reason, none when it passes. */
type ContractCheck = (json: unknown) => Reason[];

/** The hand-written walker over the contract table (contract.ts, shape.ts, rules.ts). */
const handWritten: ContractCheck = (json) => {
  const reasons = checkObject(json, REGISTER_EVENT, '');
  if (reasons.some((r) => r.rule === RULE.notObject)) return reasons;
  reasons.push(...checkCrossFieldRules(json as Record<string, unknown>, reasons));
  return reasons;
};

// ajv compiled once from schemas/raw-register-event.schema.json (packages/contracts), with the service's rules
// as custom keywords: the faster of the two by bench:raw-contract, and the one ingest uses.
const ajvVerdict = createAjvContractValidator();
const ajv: ContractCheck = (json) => {
  const verdict = ajvVerdict(json);
  return verdict.ok ? [] : (verdict.reasons as Reason[]);
};

/** Bytes from the register in, a typed raw event or every reason out (ajv's check of the contract). */
export function parseRegisterEvent(bytes: Buffer | string, options: ParseOptions = {}): ParseResult {
  return parseWith(ajv, bytes, options);
}

/**
 * The same with the hand-written validator ingest used before ajv: kept for the parity test that holds
 * both to the same reasons and for bench:raw-contract, which compares them.
 */
export function parseRegisterEventHandWritten(bytes: Buffer | string, options: ParseOptions = {}): ParseResult {
  return parseWith(handWritten, bytes, options);
}

function parseWith(check: ContractCheck, bytes: Buffer | string, options: ParseOptions): ParseResult {
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

  const reasons = check(json);
  return reasons.length === 0 ? { ok: true, event: json as RawRegisterEvent } : refuse(...reasons);
}
