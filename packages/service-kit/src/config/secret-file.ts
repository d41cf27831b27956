/**
 * Secret files (key files, token files) are born private: created with mode 0600 in the same system call
 * that creates them, never chmod-ed afterwards, so there is no moment in which another user of the
 * machine can open them. The mode is given at creation; the umask can only take bits away from it.
 */

import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const PRIVATE = 0o600;

/** Writes a new secret file; fails (EEXIST) if the path exists, so a key file is never overwritten by accident. */
export function writeNewSecretFile(path: string, data: string): void {
  writeExclusive(path, data);
}

/**
 * Replaces a secret file as a whole: the new content goes to a fresh temporary file beside it (0600,
 * created exclusively under a random name, so a stale or planted `.tmp` is never reused with its mode),
 * then is renamed over the old one: a crash leaves the old file or the new one, never half of one.
 */
export function replaceSecretFile(path: string, data: string): void {
  const temporary = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    writeExclusive(temporary, data);
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

function writeExclusive(path: string, data: string): void {
  const fd = openSync(path, 'wx', PRIVATE);
  try {
    writeFileSync(fd, data); // loops until every byte is written
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
