/**
 * Paging cursors, sealed: a cursor is the last key of a page, encrypted and authenticated (AES-256-GCM)
 * with a key derived from the API's own secrets and bound to the recipient. So a cursor shows nothing of
 * the key it stands for (an SVB key is a BSN, and cursors travel in URLs, which proxies log), and one
 * that was cut, edited, made up or taken from another recipient is refused (400) instead of paging from
 * wherever it happens to point. Every deliver instance with the same tokens reads every other's cursors,
 * also after a restart; a cursor from before a token change is refused and the caller starts again.
 */

import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const PREFIX = 'c1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const MAX_CURSOR_LENGTH = 4096;

export interface CursorCodec {
  seal(recipient: string, key: string): string;
  /** the key, or undefined when the cursor is not one this API made for this recipient */
  open(recipient: string, cursor: string): string | undefined;
}

/** `secrets`: the API's bearer tokens; the cursor key is derived from them (HKDF), never one of them. */
export function createCursorCodec(secrets: Iterable<string>): CursorCodec {
  const material = [...secrets].sort().join('\n');
  const key = Buffer.from(hkdfSync('sha256', material, 'register-feeds', 'read-api cursor v1', 32));
  return {
    seal(recipient, rowKey) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(recipient, 'utf8'));
      const sealed = Buffer.concat([iv, cipher.update(rowKey, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `${PREFIX}${sealed.toString('base64url')}`;
    },
    open(recipient, cursor) {
      if (cursor.length > MAX_CURSOR_LENGTH || !cursor.startsWith(PREFIX)) return undefined;
      const body = cursor.slice(PREFIX.length);
      if (!/^[A-Za-z0-9_-]+$/.test(body)) return undefined;
      const sealed = Buffer.from(body, 'base64url');
      if (sealed.length < IV_BYTES + TAG_BYTES) return undefined;
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
        decipher.setAAD(Buffer.from(recipient, 'utf8'));
        decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
        const plain = Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
        return plain.toString('utf8');
      } catch {
        return undefined; // the tag does not match: not ours, or changed
      }
    },
  };
}
