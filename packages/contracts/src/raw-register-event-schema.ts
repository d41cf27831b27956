import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The published JSON Schema of the raw input contract. It stays in the repository's schemas/ folder, next
 * to the Avro schemas, because that is where docs/raw-input-contract.md and the register's adapter point;
 * code reads it through here rather than with a path of its own.
 */
export const RAW_REGISTER_EVENT_SCHEMA_FILE = fileURLToPath(new URL('../../../schemas/raw-register-event.schema.json', import.meta.url));

/** A JSON Schema document (draft 2020-12), as parsed JSON. */
export type JsonSchema = Record<string, unknown>;

/** The raw contract's JSON Schema, read from disk at each call (tests and tools; no service needs it at run time). */
export function rawRegisterEventSchema(): JsonSchema {
  return JSON.parse(readFileSync(RAW_REGISTER_EVENT_SCHEMA_FILE, 'utf8')) as JsonSchema;
}
