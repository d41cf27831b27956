import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { type EpochDay, parseIsoDate, toEpochDay } from '@register-feeds/register-model';
import type { Logger } from '@register-feeds/service-kit';
import type { RunningProjection } from '../projection-runner.ts';
import { publicRow } from '../projections/row-shape.ts';
import { RebuildRefusedError } from '../rebuild.ts';
import { createAuthenticator } from './auth.ts';
import { type ChangeLog, createChangeLog } from './changes.ts';
import { createCursorCodec } from './cursor.ts';
import { createEtagger, noneMatch } from './etag.ts';
import { openApiDocument } from './openapi.ts';
import { PROBLEM_CONTENT_TYPE, type Problem, problems, rawProblemResponse } from './problem.ts';
import { page, parseLimit } from './query.ts';
import { decodeComponent, parseRequestTarget } from './request-target.ts';

/** node's limit on the request line and headers together; beyond it node answers 431 (see clientError). */
export const MAX_HEADER_BYTES = 16 * 1024;

export interface ApiOptions {
  projections: ReadonlyMap<string, RunningProjection>;
  /** bearer token to recipient */
  tokens: ReadonlyMap<string, string>;
  /** the operator's bearer token for /admin/rebuild (DELIVER_METRICS_TOKEN); without one, the route refuses everyone */
  adminToken?: string;
  /** rows as they stand on a reference date (GGD: students under 18 on it); undefined: the rows as kept */
  rowsOn?: (recipient: string, state: unknown, peildatum: EpochDay | undefined) => Iterable<[string, unknown]> | undefined;
  ready: () => boolean;
  logger: Logger;
}

interface Reply {
  status: number;
  body: unknown;
  type?: string;
  headers?: Record<string, string>;
}

/** The document is the same for every server (see openapi.ts): made once, with a strong tag of its bytes. */
const OPENAPI_TEXT = JSON.stringify(openApiDocument());
const OPENAPI_ETAG = `"${createHash('sha256').update(OPENAPI_TEXT).digest('base64url').slice(0, 27)}"`;

const ADMIN = 'admin';
const RESERVED_PARAMETERS = new Set(['limit', 'cursor', 'peildatum', 'changedSince']);

const problem = (p: Problem, headers?: Record<string, string>): Reply => ({
  status: p.status,
  body: p,
  type: PROBLEM_CONTENT_TYPE,
  headers,
});
const unauthorized = () => problem(problems.unauthorized, { 'www-authenticate': 'Bearer realm="register-feeds"' });
const ok = (body: unknown, type = 'application/json'): Reply => ({ status: 200, body, type });

/**
 * The read API: per recipient, its rows (paged, filtered) and one row; health and readiness.
 *   GET /v1/<recipient>/rows?limit=&cursor=&<field>=<value>[&peildatum=YYYY-MM-DD][&changedSince=<changes>]
 *   GET /v1/<recipient>/rows/<key>
 *   GET /health · GET /ready · GET /openapi.json (no token: openapi.ts)
 *   POST /admin/rebuild/<recipient> (admin token): starts a rebuild beside the live projection (202)
 *   GET /admin/rebuild/<recipient> (admin token): the last rebuild's status and figures
 * Metrics are not here: deliver has one /metrics, prom-client's, on DELIVER_HEALTH_PORT (loopback) beside
 * every other service's, with the same names (register_feeds_*).
 *
 * Hostile input is answered, never fatal: every request gets a response, every error is an RFC 9457
 * problem (problem.ts) whose detail never repeats the input, and what node's parser refuses before a
 * request exists (garbage, oversized headers, bad methods) is answered on the socket (`clientError`).
 * Rows leave as the recipients' public rows (projections/row-shape.ts: ISO dates, no versions), with a
 * weak ETag; If-None-Match with it gives 304 without a body (etag.ts). Row reads need the recipient's own token; every refusal is the same 401 (see auth.ts). Bodies, paths
 * and queries are never logged: they hold person data (an SVB row key is a BSN).
 */
export function createApiServer({ projections, tokens, adminToken, rowsOn, ready, logger }: ApiOptions): Server {
  const recipientOf = createAuthenticator(tokens);
  const adminOf = createAuthenticator(new Map(adminToken === undefined ? [] : [[adminToken, ADMIN]]));
  const cursors = createCursorCodec(tokens.keys());
  const etagOf = createEtagger(tokens.keys());
  // changes tokens (changes.ts): sealed like cursors, but under their own associated data so neither
  // passes for the other, and with this server's start id, which no other instance or restart shares
  const instance = randomUUID();
  const changeLogs = new Map<string, ChangeLog>();
  const changeLogOf = (recipient: string) => {
    let log = changeLogs.get(recipient);
    if (log === undefined) {
      log = createChangeLog();
      changeLogs.set(recipient, log);
    }
    return log;
  };
  const sealChanges = (recipient: string, position: number) => cursors.seal(`${recipient}#changes`, `${instance}:${position}`);
  /** the position a token names: a number, 'expired' (another instance or restart), or undefined (not a token) */
  const openChanges = (recipient: string, token: string): number | 'expired' | undefined => {
    const opened = cursors.open(`${recipient}#changes`, token);
    const match = opened === undefined ? null : /^([0-9a-f-]{36}):(\d{1,15})$/.exec(opened);
    if (!match) return undefined;
    return match[1] === instance ? Number(match[2]) : 'expired';
  };
  const log = logger.child({ component: 'api' });
  // A projection's rows in key order, kept while its replica's version stays: sorting every row on each
  // request made a poll every 10 ms enough to saturate deliver at a few thousand rows (bench:pipeline).
  // The public rows are kept with them: converting every row (dates, versions out) is as costly as sorting.
  const sorted = new Map<string, { state: unknown; version: number; rows: [string, unknown][] }>();
  const publicRows = (running: RunningProjection, rows: Iterable<[string, unknown]>): [string, unknown][] => {
    const shape = running.projection.shape;
    return shape === undefined ? [...rows] : [...rows].map(([key, row]) => [key, publicRow(shape, row)]);
  };
  const sortedRows = (running: RunningProjection, state: unknown): [string, unknown][] => {
    const version = running.version?.();
    if (version === undefined) return publicRows(running, running.projection.rows(state));
    const kept = sorted.get(running.recipient);
    if (kept && kept.state === state && kept.version === version) return kept.rows;
    const rows = publicRows(running, running.projection.rows(state));
    sorted.set(running.recipient, { state, version, rows });
    return rows;
  };
  /** 200 with a weak tag over what the answer means (`meaning`), or 304 when the client has that tag already. */
  const tagged = (req: IncomingMessage, recipient: string, body: unknown, meaning: string): Reply => {
    const etag = etagOf(recipient, meaning);
    if (noneMatch(req.headers['if-none-match'], etag)) return { status: 304, body: '', headers: { etag } };
    return { status: 200, body, type: 'application/json', headers: { etag } };
  };

  const route = (req: IncomingMessage): Reply => {
    // node parses HTTP/0.9-looking request lines too; only 1.0 and 1.1 are HTTP/1 (a 505 would be a 5xx)
    if (req.httpVersionMajor !== 1 || req.httpVersionMinor > 1) return problem(problems.badRequest);
    // RFC 9112: an HTTP/1.1 request without exactly one Host is a 400 (node's own check answers without a body)
    if (req.httpVersion === '1.1' && (req.headers.host === undefined || req.headersDistinct.host?.length !== 1)) {
      return problem(problems.badRequest);
    }
    const target = parseRequestTarget(req.url ?? '');
    if (!target.ok) return problem(target.problem);
    const admin = /^\/admin\/rebuild\/([a-z0-9-]{1,64})$/.exec(target.path);
    if (admin) return rebuildRoute(req, admin[1] as string);
    if (req.method !== 'GET' && req.method !== 'HEAD') return problem(problems.methodNotAllowed, { allow: 'GET, HEAD' });

    switch (target.path) {
      case '/health':
        return ok({ status: 'ok' });
      case '/openapi.json':
        if (noneMatch(req.headers['if-none-match'], OPENAPI_ETAG)) return { status: 304, body: '', headers: { etag: OPENAPI_ETAG } };
        return { status: 200, body: OPENAPI_TEXT, type: 'application/json', headers: { etag: OPENAPI_ETAG } };
      case '/ready':
        return ready() ? ok({ status: 'ready' }) : problem(problems.notReady);
    }

    const match = /^\/v1\/([a-z0-9-]{1,64})\/rows(?:\/([^/]+))?$/.exec(target.path);
    if (!match) return problem(problems.notFound);
    const recipient = match[1] as string;
    // the same answer whether the token is missing, unknown, or another recipient's, and whether the recipient exists
    if (recipientOf(req.headers.authorization) !== recipient) return unauthorized();
    const running = projections.get(recipient);
    if (!running) return problem(problems.notFound);

    const single = (name: string): { ok: true; value: string | undefined } | { ok: false } => {
      const values = target.query.filter(([n]) => n === name).map(([, v]) => v);
      return values.length > 1 ? { ok: false } : { ok: true, value: values[0] };
    };
    const peildatumText = single('peildatum');
    if (!peildatumText.ok) return problem(problems.badPeildatum);
    let peildatum: EpochDay | undefined;
    if (peildatumText.value !== undefined) {
      const parsed = parseIsoDate(peildatumText.value); // a real calendar date: 2026-02-30 is refused
      if (!parsed.ok) return problem(problems.badPeildatum);
      peildatum = toEpochDay(parsed.date);
    }
    const state = running.state();
    const on = rowsOn?.(recipient, state, peildatum);
    const rows = on === undefined ? sortedRows(running, state) : publicRows(running, on);

    if (match[2] !== undefined) {
      const key = decodeComponent(match[2], false);
      if (key === undefined) return problem(problems.badKey);
      for (const [k, row] of rows) {
        if (k === key) {
          const body = { key, row };
          return tagged(req, recipient, body, JSON.stringify(body));
        }
      }
      return problem(problems.noSuchRow);
    }
    const limitText = single('limit');
    const limit = limitText.ok ? parseLimit(limitText.value) : undefined;
    if (limit === undefined) return problem(problems.badLimit);
    const cursor = single('cursor');
    if (!cursor.ok) return problem(problems.badCursor);
    const after = cursor.value === undefined ? undefined : cursors.open(recipient, cursor.value);
    if (cursor.value !== undefined && after === undefined) return problem(problems.badCursor);
    const filters = target.query.filter(([name]) => !RESERVED_PARAMETERS.has(name));

    // incremental reads (changes.ts): only on the rows as kept (today's, for a GGD list), not on a peildatum
    const changedSince = single('changedSince');
    if (!changedSince.ok || (changedSince.value !== undefined && peildatum !== undefined)) return problem(problems.badChangedSince);
    let changes: { since?: ReturnType<ChangeLog['since']>; token: string } | undefined;
    if (peildatum === undefined) {
      const changeLog = changeLogOf(recipient);
      changeLog.observe(rows);
      let since: ReturnType<ChangeLog['since']>;
      if (changedSince.value !== undefined) {
        const position = openChanges(recipient, changedSince.value);
        if (position === undefined) return problem(problems.badChangedSince);
        since = position === 'expired' ? undefined : changeLog.since(position);
        if (since === undefined) return problem(problems.changesExpired);
      }
      changes = { since, token: sealChanges(recipient, changeLog.position()) };
    }
    const changed = changes?.since?.changed;
    const listed = changed === undefined ? rows : rows.filter(([key]) => changed.has(key));
    const result = page(listed, { filters, limit, after, cursorOf: (key) => cursors.seal(recipient, key) });
    const removed = changes?.since?.removed;
    const body = { ...result, ...(removed ? { removed } : {}), ...(changes ? { changes: changes.token } : {}) };
    // the rows, what left, and whether more follow; not the bytes of the sealed cursor and changes token,
    // which are new on every answer (etag.ts)
    return tagged(req, recipient, body, JSON.stringify([result.rows, removed ?? null, result.next !== undefined]));
  };

  /** The operator's rebuild (rebuild.ts), behind the admin token: an operator's, never a recipient's. */
  const rebuildRoute = (req: IncomingMessage, recipient: string): Reply => {
    const method = req.method ?? '';
    if (!['GET', 'HEAD', 'POST'].includes(method)) return problem(problems.rebuildMethodNotAllowed, { allow: 'GET, HEAD, POST' });
    if (adminOf(req.headers.authorization) !== ADMIN) return unauthorized();
    const running = projections.get(recipient);
    if (!running) return problem(problems.notFound);
    if (method !== 'POST') {
      const status = running.rebuildStatus();
      return status ? ok(status) : problem(problems.notFound);
    }
    try {
      // runs on after the answer; its end is in the log and in the status
      running.rebuild().catch(() => {});
    } catch (error) {
      if (!(error instanceof RebuildRefusedError)) throw error;
      log.warn({ recipient, reason: error.message }, 'rebuild refused');
      return problem(problems.rebuildRefused);
    }
    return { status: 202, body: running.rebuildStatus() };
  };

  const write = (res: ServerResponse, reply: Reply) => {
    if (reply.status === 304) {
      // no body, so no content type or length (RFC 9110 15.4.5)
      res.writeHead(304, { 'cache-control': 'no-store', ...reply.headers });
      res.end();
      return;
    }
    const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    res.writeHead(reply.status, {
      'content-type': reply.type ?? 'application/json',
      'content-length': Buffer.byteLength(text),
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      ...reply.headers,
    });
    res.end(text);
  };

  const server = createServer(
    {
      maxHeaderSize: MAX_HEADER_BYTES,
      // checked in route() instead, so that refusal too has a problem body
      requireHostHeader: false,
      // a client that trickles its headers or body does not hold a socket for long
      headersTimeout: 10_000,
      requestTimeout: 30_000,
    },
    (req, res) => {
      // a client that goes away mid-request must not become an unhandled 'error'
      req.on('error', () => {});
      res.on('error', () => {});
      let reply: Reply;
      try {
        reply = route(req);
      } catch (err) {
        // the error, never the request: its path and query may carry person data
        log.error({ err, method: req.method }, 'request failed');
        reply = problem(problems.internal);
      }
      try {
        write(res, reply);
      } catch (err) {
        log.error({ err }, 'response failed');
        res.destroy();
      }
    },
  );

  // node's parser refused the bytes (garbage, a bad method, oversized headers, a timeout): there is no
  // request, only the socket. Answer with a problem and close, unless a response is already under way
  // on this connection (writing into it would corrupt that response).
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const inFlight = (socket as Duplex & { _httpMessage?: unknown })._httpMessage;
    if (error.code === 'ECONNRESET' || !socket.writable || inFlight) {
      socket.destroy();
      return;
    }
    const answer =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? problems.headersTooLarge
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? problems.requestTimeout
          : problems.badRequest;
    socket.end(rawProblemResponse(answer), () => socket.destroy());
  });
  // CONNECT and unknown expectations: node would close silently or answer without a body
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => {});
    socket.end(rawProblemResponse(problems.methodNotAllowed, { allow: 'GET, HEAD' }), () => socket.destroy());
  });
  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => write(res, problem(problems.expectationFailed)));
  return server;
}
