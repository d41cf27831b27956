import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AvroSchemaJson } from './schema-registry.ts';

/** schemas/ at the repository root: the one home of every .avsc and JSON contract. */
export const SCHEMAS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../schemas');

/** Reads schemas/<file>; a missing or broken file is a deployment error and stops the service. */
export function loadAvroSchema(file: string): AvroSchemaJson {
  const path = resolve(SCHEMAS_DIR, file);
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as AvroSchemaJson;
  } catch (error) {
    throw new Error(`cannot read Avro schema ${path}: ${(error as Error).message}`, { cause: error });
  }
}
