import { createHash, timingSafeEqual } from 'node:crypto';

export type AuthResult = { ok: true; recipient: string } | { ok: false; status: 401 | 403; reason: string };

const digest = (token: string) => createHash('sha256').update(token).digest();

/**
 * Bearer tokens, one per recipient. 401 when there is no valid token; 403 when the token is valid but
 * belongs to another recipient than the one whose rows are asked for. Tokens are compared as SHA-256
 * digests in constant time, so neither their length nor their content leaks through timing.
 */
export function createAuthenticator(tokens: ReadonlyMap<string, string>) {
  const known = [...tokens.entries()].map(([token, recipient]) => ({ digest: digest(token), recipient }));
  return (authorization: string | undefined, wanted: string): AuthResult => {
    const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
    if (!match) return { ok: false, status: 401, reason: 'a bearer token is required' };
    const given = digest(match[1] as string);
    const holder = known.find((k) => timingSafeEqual(k.digest, given));
    if (!holder) return { ok: false, status: 401, reason: 'unknown token' };
    if (holder.recipient !== wanted) return { ok: false, status: 403, reason: 'this token may not read this recipient' };
    return { ok: true, recipient: holder.recipient };
  };
}
