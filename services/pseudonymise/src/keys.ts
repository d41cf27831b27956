/**
 * Recipient keys for pseudonyms. One secret per recipient and key version; the current version makes new
 * pseudonyms, older versions stay until the recipient's data made with them is gone. Retiring a recipient
 * removes all its versions: without the key its pseudonyms can never be made again or linked to a person
 * (crypto-shredding, DOMAIN.md rule 4).
 *
 * A secret never reaches a log or a JSON string: RecipientKey keeps it in a non-enumerable property and
 * redacts it in toJSON and util.inspect, and no error message here repeats a key file's content.
 */

import { randomBytes } from 'node:crypto';

/** The key file: per recipient the current version and every version's secret, base64. */
export type KeyFile = Record<string, { current: string; versions: Record<string, string> }>;

export interface RecipientKey {
  readonly recipient: string;
  readonly version: string;
  /** non-enumerable: JSON.stringify, spread and util.inspect do not show it */
  readonly secret: Buffer;
}

export interface KeyStore {
  /** recipients that have a key */
  recipients(): string[];
  /** the current key, or the given version; undefined when the recipient (or that version) has none */
  keyFor(recipient: string, version?: string): RecipientKey | undefined;
  /** a new store without any key of the recipient; this store is unchanged */
  retire(recipient: string): KeyStore;
}

export class KeyFileError extends Error {
  readonly isTrusted = true;
  constructor(message: string) {
    super(message);
    this.name = 'KeyFileError';
  }
}

/** HMAC-SHA-256 keys should be at least as long as the hash output. */
export const MIN_SECRET_BYTES = 32;
/** `v1`, `v2`, ...: the version is the pseudonym's prefix, so it must not contain the '.' separator. */
const VERSION = /^v[1-9][0-9]*$/;
const RECIPIENT = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const REDACTED = '[redacted]';

function recipientKey(recipient: string, version: string, secret: Buffer): RecipientKey {
  const key = { recipient, version } as RecipientKey;
  Object.defineProperties(key, {
    secret: { value: secret, enumerable: false },
    toJSON: { value: () => ({ recipient, version, secret: REDACTED }), enumerable: false },
    [Symbol.for('nodejs.util.inspect.custom')]: {
      value: () => `RecipientKey { recipient: '${recipient}', version: '${version}', secret: ${REDACTED} }`,
      enumerable: false,
    },
  });
  return Object.freeze(key);
}

type Versions = ReadonlyMap<string, RecipientKey>;
type Entries = ReadonlyMap<string, { current: string; versions: Versions }>;

function createStore(entries: Entries): KeyStore {
  return Object.freeze({
    recipients: () => [...entries.keys()].sort(),
    keyFor(recipient: string, version?: string) {
      const entry = entries.get(recipient);
      return entry?.versions.get(version ?? entry.current);
    },
    retire(recipient: string) {
      const rest = new Map(entries);
      rest.delete(recipient);
      return createStore(rest);
    },
  });
}

/** Checks a key file's structure; messages name the recipient and version, never a secret. */
export function createKeyStore(file: KeyFile): KeyStore {
  if (typeof file !== 'object' || file === null || Array.isArray(file)) throw new KeyFileError('key file: must be an object of recipients');
  const entries = new Map<string, { current: string; versions: Versions }>();
  for (const [recipient, entry] of Object.entries(file)) {
    if (!RECIPIENT.test(recipient))
      throw new KeyFileError(`key file: recipient ${JSON.stringify(recipient)} is not a kebab-case recipient id`);
    if (typeof entry !== 'object' || entry === null || typeof entry.versions !== 'object' || entry.versions === null) {
      throw new KeyFileError(`key file: ${recipient} needs { current, versions }`);
    }
    const versions = new Map<string, RecipientKey>();
    for (const [version, encoded] of Object.entries(entry.versions)) {
      if (!VERSION.test(version))
        throw new KeyFileError(`key file: ${recipient} has version ${JSON.stringify(version)}; versions are v1, v2, ...`);
      if (typeof encoded !== 'string' || !BASE64.test(encoded)) throw new KeyFileError(`key file: ${recipient} ${version} is not base64`);
      const secret = Buffer.from(encoded, 'base64');
      if (secret.length < MIN_SECRET_BYTES) {
        throw new KeyFileError(`key file: ${recipient} ${version} has ${secret.length} bytes; at least ${MIN_SECRET_BYTES} are needed`);
      }
      versions.set(version, recipientKey(recipient, version, secret));
    }
    if (typeof entry.current !== 'string' || !versions.has(entry.current)) {
      throw new KeyFileError(`key file: ${recipient} has current ${JSON.stringify(entry.current)}, which is not one of its versions`);
    }
    entries.set(recipient, { current: entry.current, versions });
  }
  return createStore(entries);
}

/** A key file's JSON text to a store. The parser's own message is left out: it may quote the text. */
export function parseKeyFile(text: string): KeyStore {
  let file: unknown;
  try {
    file = JSON.parse(text);
  } catch {
    throw new KeyFileError('key file: not valid JSON');
  }
  return createKeyStore(file as KeyFile);
}

/** FOR TESTS AND LOCAL DEVELOPMENT ONLY: fresh random keys, one version v1 per recipient. */
export function generateTestKeys(recipients: readonly string[]): KeyFile {
  return Object.fromEntries(
    recipients.map((recipient) => [recipient, { current: 'v1', versions: { v1: randomBytes(MIN_SECRET_BYTES).toString('base64') } }]),
  );
}
