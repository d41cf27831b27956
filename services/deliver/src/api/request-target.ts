/**
 * The request target as the client sent it (node's `req.url`), parsed without trusting it: a path and
 * the query parameters, percent-decoded strictly, or the problem that answers it. Pure, and it never
 * throws: a hostile target (`http://[`, `%E0%A4%A`, NUL bytes, 100 KiB of `a`) is an answer, not a crash.
 */

import { type Problem, problems } from './problem.ts';

/** Longer targets get 414; node's header limit (16 KiB, request line included) stops the very long ones first. */
export const MAX_TARGET_BYTES = 8192;

export type RequestTarget = { ok: true; path: string; query: Array<[string, string]> } | { ok: false; problem: Problem };

// Visible ASCII only: no space, no control character (NUL included), nothing above 0x7E, no fragment.
const PLAIN_TARGET = /^[\x21-\x22\x24-\x7e]*$/;
const LONE_PERCENT = /%(?![0-9A-Fa-f]{2})/;

/** C0 controls and DEL (NUL included): no field or key holds one. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

const bad = (problem: Problem = problems.badRequestTarget): RequestTarget => ({ ok: false, problem });

export function parseRequestTarget(raw: string): RequestTarget {
  if (raw.length > MAX_TARGET_BYTES) return bad(problems.uriTooLong);
  if (!PLAIN_TARGET.test(raw)) return bad();
  const originForm = absoluteToOrigin(raw);
  if (originForm === undefined || !originForm.startsWith('/')) return bad();
  const q = originForm.indexOf('?');
  const path = q === -1 ? originForm : originForm.slice(0, q);
  if (LONE_PERCENT.test(path)) return bad();
  const query = q === -1 ? [] : parseQuery(originForm.slice(q + 1));
  return query === undefined ? bad() : { ok: true, path, query };
}

/** RFC 9112 says a server accepts the absolute form too (`GET http://host/path`); it becomes /path. */
function absoluteToOrigin(raw: string): string | undefined {
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(raw)) return raw;
  try {
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
    return `${url.pathname}${url.search}`;
  } catch {
    return undefined;
  }
}

/** application/x-www-form-urlencoded, but strict: bad percent-encoding or a control character refuses the whole query. */
function parseQuery(text: string): Array<[string, string]> | undefined {
  const pairs: Array<[string, string]> = [];
  for (const piece of text.split('&')) {
    if (piece === '') continue;
    const eq = piece.indexOf('=');
    const name = decodeComponent(eq === -1 ? piece : piece.slice(0, eq));
    const value = decodeComponent(eq === -1 ? '' : piece.slice(eq + 1));
    if (name === undefined || name === '' || value === undefined) return undefined;
    pairs.push([name, value]);
  }
  return pairs;
}

/** Percent-decodes one query component or path segment; undefined when it is not valid UTF-8 or holds a control character. */
export function decodeComponent(text: string, plusIsSpace = true): string | undefined {
  try {
    const decoded = decodeURIComponent(plusIsSpace ? text.replaceAll('+', ' ') : text);
    return hasControlCharacter(decoded) ? undefined : decoded;
  } catch {
    return undefined;
  }
}
