/**
 * Walks a payload along the contract table: JSON types, required fields, unknown fields, and the
 * single-value checks. Collects every reason instead of stopping at the first, so a sender fixes a
 * payload in one round trip.
 */

import type { FieldDef, FieldSpec, ObjectSpec } from './contract.ts';
import { type Reason, RULE, reason } from './reason.ts';

export const REDACTED_KEY = '[redacted]';

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function childPath(path: string, name: string): string {
  return path ? `${path}.${name}` : name;
}

/**
 * An unknown key is chosen by the sender and could itself be a BSN or a birth date. Show it only when
 * it looks like a field name and holds no run of digits.
 */
export function describeKey(key: string): string {
  return /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(key) && !/\d{3,}/.test(key) ? key : REDACTED_KEY;
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

/**
 * Counted in code points, as JSON Schema's minLength and maxLength are: each surrogate pair is one. A loop
 * over the UTF-16 units instead of [...text], which built an array of every character of every field.
 */
export function codePoints(text: string): number {
  let count = text.length;
  for (let i = 0; i < text.length - 1; i++) {
    const unit = text.charCodeAt(i);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        count -= 1;
        i += 1;
      }
    }
  }
  return count;
}

function checkValue(value: unknown, spec: FieldSpec, path: string, reasons: Reason[]): void {
  switch (spec.kind) {
    case 'string': {
      if (typeof value !== 'string') {
        reasons.push(reason(path, RULE.type, `${path} must be a string, not ${jsonType(value)}`));
        return;
      }
      const length = codePoints(value);
      if ((spec.minLength !== undefined && length < spec.minLength) || (spec.maxLength !== undefined && length > spec.maxLength)) {
        reasons.push(
          reason(path, RULE.length, `${path} must be ${spec.minLength ?? 0} to ${spec.maxLength ?? 'any number of'} characters long`),
        );
      }
      // checked even when the length is wrong: a too-long eventId that holds a person number must say so
      const failure = spec.check?.(value);
      if (failure) reasons.push(reason(path, failure.rule, `${path} ${failure.message}`));
      return;
    }
    case 'integer': {
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        reasons.push(
          reason(path, RULE.type, `${path} must be an integer, not ${typeof value === 'number' ? 'a fraction' : jsonType(value)}`),
        );
        return;
      }
      if (value < spec.minimum || value > spec.maximum) {
        reasons.push(reason(path, RULE.range, `${path} must be between ${spec.minimum} and ${spec.maximum}`));
      }
      return;
    }
    case 'enum': {
      if (typeof value !== 'string') {
        reasons.push(reason(path, RULE.type, `${path} must be a string, not ${jsonType(value)}`));
        return;
      }
      if (!spec.values.includes(value)) {
        reasons.push(reason(path, RULE.enum, `${path} must be one of ${spec.values.join(', ')}`));
      }
      return;
    }
    case 'object':
      checkObject(value, spec.fields, path, reasons);
      return;
  }
}

// The contract's specs are fixed objects, each at one path: their fields and the fields' paths are listed
// once per spec and path, not per payload.
const specFields = new WeakMap<ObjectSpec, { path: string; fields: { name: string; def: FieldDef; field: string }[] }>();
function fieldsOf(spec: ObjectSpec, path: string): { name: string; def: FieldDef; field: string }[] {
  let listed = specFields.get(spec);
  if (listed === undefined || listed.path !== path) {
    listed = { path, fields: Object.entries(spec).map(([name, def]) => ({ name, def, field: childPath(path, name) })) };
    specFields.set(spec, listed);
  }
  return listed.fields;
}

/** Checks an object against its spec; appends to reasons and returns them. */
export function checkObject(value: unknown, spec: ObjectSpec, path: string, reasons: Reason[] = []): Reason[] {
  const where = path || 'payload';
  if (!isPlainObject(value)) {
    reasons.push(reason(path || '$', path ? RULE.type : RULE.notObject, `${where} must be an object, not ${jsonType(value)}`));
    return reasons;
  }
  for (const key of Object.keys(value)) {
    if (!Object.hasOwn(spec, key)) {
      const field = childPath(path, describeKey(key));
      reasons.push(reason(field, RULE.unknownField, `${field} is not part of the contract`));
    }
  }
  for (const { name, def, field } of fieldsOf(spec, path)) {
    const fieldValue = value[name];
    if (fieldValue === undefined) {
      if (def.required) reasons.push(reason(field, RULE.required, `${field} is required`));
      continue;
    }
    checkValue(fieldValue, def.spec, field, reasons);
  }
  return reasons;
}
