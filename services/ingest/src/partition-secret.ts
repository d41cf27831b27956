import { createSecretKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';

/**
 * Ingest's internal partition key (partition-key.ts) lives in a file outside the repository, made once
 * with 32 random bytes, base64, and kept for as long as register.events.v1 lives: `npm start`, the tests
 * and docker-compose make it when it is missing; production provisions it like any other secret.
 * The service never makes one itself: a key made silently on a fresh disk would move every person to
 * another partition.
 *
 * Read once at start, as a setting (config.ts), so a missing or bad file stops ingest with one line
 * naming INGEST_PARTITION_KEY_FILE. The result is a KeyObject: logging or serialising the config cannot
 * show the key (it prints as `SecretKeyObject { type: 'secret', symmetricKeySize: 32 }`, JSON `{}`).
 * No message here quotes the file's content.
 */

export const MIN_PARTITION_KEY_BYTES = 32;

/** How to make a key file, for error messages and docs. */
export const MAKE_PARTITION_KEY =
  "(umask 077; node -e \"process.stdout.write(require('node:crypto').randomBytes(32).toString('base64'))\" > <file>)";

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function parsePartitionKey(text: string): KeyObject {
  const trimmed = text.trim();
  if (!BASE64.test(trimmed) || trimmed.length % 4 !== 0)
    throw new Error(`the file must hold base64 of at least ${MIN_PARTITION_KEY_BYTES} random bytes`);
  const bytes = Buffer.from(trimmed, 'base64');
  if (bytes.length < MIN_PARTITION_KEY_BYTES) {
    throw new Error(`the key has ${bytes.length} bytes, fewer than the ${MIN_PARTITION_KEY_BYTES} needed`);
  }
  const key = createSecretKey(bytes);
  bytes.fill(0);
  return key;
}

/** The setting's parser: a path in, the key out; throws with what to do. */
export function readPartitionKeyFile(path: string): KeyObject {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(`cannot read it (${code ?? 'error'}); make it once with ${MAKE_PARTITION_KEY.replace('<file>', path)}`);
  }
  return parsePartitionKey(text);
}
