/**
 * Entity tags for incremental polling (RFC 9110 8.8.3, 13.1.2): a recipient sends the ETag of its last
 * answer as If-None-Match and gets 304 Not Modified, without a body, while its rows are unchanged.
 *
 * Weak tags (W/"..."): a page of rows carries a `next` cursor, and cursors are sealed with a fresh IV
 * each time (cursor.ts), so two answers with the same rows differ in their bytes while they mean the same
 * (the old cursor still opens to the same key). A weak tag says exactly that: semantically equivalent,
 * not byte-identical. So the tag is computed over what the answer means (its rows and whether more
 * follow), never over the cursor bytes.
 *
 * Keyed: the tag is an HMAC (key derived from the API's secrets, like the cursor key), not a plain hash.
 * A plain hash of a row is a hash of the BSN in it, which anyone can recompute for every BSN
 * (../shared/DOMAIN.md, rule 1); the HMAC shows nothing to whoever sees the header on its way.
 */

import { createHmac, hkdfSync } from 'node:crypto';

export type Etagger = (recipient: string, content: string) => string;

export function createEtagger(secrets: Iterable<string>): Etagger {
  const material = [...secrets].sort().join('\n');
  const key = Buffer.from(hkdfSync('sha256', material, 'register-feeds', 'read-api etag v1', 32));
  return (recipient, content) => {
    const mac = createHmac('sha256', key).update(recipient, 'utf8').update('\0').update(content, 'utf8').digest('base64url');
    return `W/"${mac.slice(0, 27)}"`;
  };
}

/**
 * If-None-Match against the current tag, by the weak comparison RFC 9110 13.1.2 prescribes for it:
 * `*` matches any current representation; otherwise any listed tag whose opaque part equals ours.
 */
export function noneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const ours = opaque(etag);
  return header.split(',').some((tag) => opaque(tag.trim()) === ours);
}

const opaque = (tag: string) => (tag.startsWith('W/') ? tag.slice(2) : tag);
