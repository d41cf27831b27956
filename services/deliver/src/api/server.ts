import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '@register-feeds/service-kit';
import type { RunningProjection } from '../projection-runner.ts';
import { createAuthenticator } from './auth.ts';
import { renderMetrics } from './metrics.ts';
import { MAX_LIMIT, page } from './query.ts';

export interface ApiOptions {
  projections: ReadonlyMap<string, RunningProjection>;
  tokens: ReadonlyMap<string, string>;
  /** rows as they stand on a reference date (GGD: students under 18 on it); default: the rows as kept */
  rowsOn?: (recipient: string, state: unknown, peildatum: string | undefined) => Iterable<[string, unknown]> | undefined;
  ready: () => boolean;
  logger: Logger;
}

/**
 * The read API: per recipient, its rows (paged, filtered) and one row; health, readiness and metrics.
 *   GET /v1/<recipient>/rows?limit=&cursor=&<field>=<value>[&peildatum=YYYY-MM-DD]
 *   GET /v1/<recipient>/rows/<key>
 *   GET /health · GET /ready · GET /metrics
 * Row reads need the recipient's bearer token (401 without, 403 with another recipient's). Bodies are
 * never logged: they hold person data.
 */
export function createApiServer({ projections, tokens, rowsOn, ready, logger }: ApiOptions): Server {
  const authenticate = createAuthenticator(tokens);
  const log = logger.child({ component: 'api' });

  const send = (res: ServerResponse, status: number, body: unknown, type = 'application/json') => {
    const text = type === 'application/json' ? JSON.stringify(body) : String(body);
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(text);
  };

  const route = (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET') return send(res, 405, { error: 'only GET' });
    if (url.pathname === '/health') return send(res, 200, { status: 'ok' });
    if (url.pathname === '/ready') return ready() ? send(res, 200, { status: 'ready' }) : send(res, 503, { status: 'starting' });
    if (url.pathname === '/metrics') return send(res, 200, renderMetrics(projections), 'text/plain; version=0.0.4');

    const match = /^\/v1\/([a-z0-9-]+)\/rows(?:\/(.+))?$/.exec(url.pathname);
    if (!match) return send(res, 404, { error: 'not found' });
    const recipient = match[1] as string;
    const auth = authenticate(req.headers.authorization, recipient);
    if (!auth.ok) return send(res, auth.status, { error: auth.reason });
    const running = projections.get(recipient);
    if (!running) return send(res, 404, { error: `no projection for ${recipient}` });

    const peildatum = url.searchParams.get('peildatum') ?? undefined;
    if (peildatum !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(peildatum)) return send(res, 400, { error: 'peildatum must be YYYY-MM-DD' });
    const state = running.state();
    const rows = rowsOn?.(recipient, state, peildatum) ?? running.projection.rows(state);

    if (match[2] !== undefined) {
      const key = decodeURIComponent(match[2]);
      for (const [k, row] of rows) if (k === key) return send(res, 200, { key, row });
      return send(res, 404, { error: 'no such row' });
    }
    const limit = Number(url.searchParams.get('limit') ?? 100);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) return send(res, 400, { error: `limit must be 1..${MAX_LIMIT}` });
    const filters = [...url.searchParams.entries()].filter(([name]) => !['limit', 'cursor', 'peildatum'].includes(name));
    return send(res, 200, page(rows, { filters, limit, cursor: url.searchParams.get('cursor') ?? undefined }));
  };

  return createServer((req, res) => {
    try {
      route(req, res);
    } catch (err) {
      log.error({ err, path: new URL(req.url ?? '/', 'http://localhost').pathname }, 'request failed');
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
    }
  });
}
