/**
 * Every error the read API returns is an RFC 9457 problem (`application/problem+json`: type, title,
 * status, detail). The details are fixed texts from this catalogue: they may name a parameter, never
 * repeat what the caller sent, which may be hostile or hold person data (a BSN in a row key, say).
 * Pure: the server decides which problem applies and writes it.
 */

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
}

/** Problem types are tag URIs (RFC 4151): stable names that nobody is meant to dereference. */
const TYPE_PREFIX = 'tag:register-feeds,2026:problem:';

const define = (name: string, status: number, title: string, detail: string): Problem => ({
  type: `${TYPE_PREFIX}${name}`,
  title,
  status,
  detail,
});

export const problems = {
  badRequestTarget: define(
    'bad-request-target',
    400,
    'Malformed request target',
    'the request target must be a path starting with /, with valid percent-encoding and no control characters',
  ),
  badRequest: define('bad-request', 400, 'Malformed request', 'the request could not be parsed as HTTP/1.1'),
  badKey: define('bad-key', 400, 'Malformed row key', 'the row key must be valid percent-encoded UTF-8 without control characters'),
  badLimit: define('bad-limit', 400, 'Invalid limit', 'limit must be a whole number from 1 to 1000, given once'),
  badCursor: define('bad-cursor', 400, 'Invalid cursor', 'cursor must be the `next` of an earlier page, given once, unchanged'),
  badPeildatum: define(
    'bad-peildatum',
    400,
    'Invalid peildatum',
    'peildatum must be an existing calendar date written YYYY-MM-DD, given once',
  ),
  badChangedSince: define(
    'bad-changed-since',
    400,
    'Invalid changedSince',
    'changedSince must be the `changes` of an earlier answer, given once, unchanged, and not with peildatum',
  ),
  changesExpired: define(
    'changes-expired',
    410,
    'Changes no longer known',
    'the changes since this token are not known here (another instance, a restart, or too long ago): read every row again and poll on from the `changes` of that read',
  ),
  unauthorized: define(
    'unauthorized',
    401,
    'Unauthorized',
    'a bearer token that may read this resource is required (Authorization: Bearer <token>)',
  ),
  notFound: define('not-found', 404, 'Not found', 'there is nothing at this path'),
  noSuchRow: define('no-such-row', 404, 'No such row', 'the projection has no row with this key'),
  methodNotAllowed: define('method-not-allowed', 405, 'Method not allowed', 'the read API answers GET and HEAD only'),
  rebuildMethodNotAllowed: define('method-not-allowed', 405, 'Method not allowed', 'a rebuild is started with POST and read with GET'),
  rebuildRefused: define(
    'rebuild-refused',
    409,
    'Rebuild refused',
    'the rebuild cannot start on this instance now (one is under way, or another instance writes the projection); the log says which',
  ),
  expectationFailed: define('expectation-failed', 417, 'Expectation failed', 'the read API meets no Expect header but 100-continue'),
  requestTimeout: define('request-timeout', 408, 'Request timeout', 'the request was not received in time'),
  uriTooLong: define('uri-too-long', 414, 'URI too long', 'the request target may be at most 8192 bytes'),
  headersTooLarge: define(
    'headers-too-large',
    431,
    'Request header fields too large',
    'the request line and headers may be at most 16384 bytes together',
  ),
  internal: define('internal', 500, 'Internal error', 'the request could not be answered; it has been logged'),
  notReady: define('not-ready', 503, 'Not ready', 'the projections are still being restored'),
} as const satisfies Record<string, Problem>;

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  405: 'Method Not Allowed',
  409: 'Conflict',
  410: 'Gone',
  408: 'Request Timeout',
  431: 'Request Header Fields Too Large',
};

/**
 * A whole HTTP/1.1 response with a problem body, for a connection node's parser gave up on (`clientError`):
 * there is no ServerResponse then, only the socket. The connection is closed after it.
 */
export function rawProblemResponse(problem: Problem, headers: Record<string, string> = {}): string {
  const body = JSON.stringify(problem);
  return [
    `HTTP/1.1 ${problem.status} ${REASONS[problem.status] ?? 'Error'}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    `content-type: ${PROBLEM_CONTENT_TYPE}`,
    `content-length: ${Buffer.byteLength(body)}`,
    'cache-control: no-store',
    'x-content-type-options: nosniff',
    'connection: close',
    '',
    body,
  ].join('\r\n');
}
