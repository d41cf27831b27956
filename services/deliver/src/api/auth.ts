import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (token: string) => createHash('sha256').update(token, 'utf8').digest();

// RFC 6750: "Bearer" and a token68. Anything else is no token at all.
const BEARER = /^Bearer +([A-Za-z0-9._~+/-]+=*) *$/i;

/**
 * Bearer tokens, each held by one party (a recipient, or the metrics scraper). Answers who holds the
 * token in an Authorization header, or undefined. The caller compares that with who may read what and
 * answers every refusal alike (401): no token, an unknown token, and another recipient's token cannot be
 * told apart, so nobody can probe which tokens are valid or which recipients exist.
 *
 * Constant time: tokens are compared as SHA-256 digests (equal length whatever was sent) with
 * timingSafeEqual, against every known token without stopping at a match, and a missing token is
 * compared too, so neither a token's length, its content nor its position in the list shows in timing.
 */
export function createAuthenticator(tokens: ReadonlyMap<string, string>): (authorization: string | undefined) => string | undefined {
  const known = [...tokens.entries()].map(([token, holder]) => ({ digest: digest(token), holder }));
  return (authorization) => {
    const match = BEARER.exec(authorization ?? '');
    const given = digest(match?.[1] ?? '');
    let holder: string | undefined;
    for (const k of known) {
      if (timingSafeEqual(k.digest, given)) holder = k.holder;
    }
    return match ? holder : undefined;
  };
}
