import { randomBytes } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Ingest's internal partition key for tests: one TEST key file, made once and kept like the real one
// (.local/ is git-ignored), so ingest started twice in a test (kill and restart) keys every person the same.
const FILE = resolve(dirname(fileURLToPath(import.meta.url)), '../../.local/test/ingest-partition-key');

/** The path for INGEST_PARTITION_KEY_FILE; makes the file (0600 from its creation, 32 random bytes, base64) when missing. */
export function ingestPartitionKeyFile(): string {
  mkdirSync(dirname(FILE), { recursive: true });
  // written whole under a private name, then linked into place: link fails if the file exists, so a key
  // another process made first is kept, and nobody ever reads a half-written one
  const temporary = `${FILE}.${randomBytes(6).toString('hex')}.tmp`;
  const fd = openSync(temporary, 'wx', 0o600);
  try {
    writeSync(fd, randomBytes(32).toString('base64'));
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temporary, FILE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  } finally {
    rmSync(temporary, { force: true });
  }
  return FILE;
}
