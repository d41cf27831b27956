import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from '../log/logger.ts';
import { serviceRegistry } from '../metrics/service-registry.ts';

export interface HealthServer {
  /** the port it listens on (the one asked for, or the one the system chose for 0 in tests) */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * /health, /ready and /metrics, the same on every service, so a supervisor, start.sh and a scraper treat
 * them alike: /health is 200 while the process answers (it is up before the service has started, so a
 * slow start is not taken for a dead process); /ready is 200 only while `ready` says so (the service
 * decides: in its group, partitions assigned, caught up with its state) and 503 otherwise; /metrics is
 * the registry in the Prometheus text format (prom-client). Nothing it serves holds a record: topic
 * names, partitions, offsets, rule names and counts. Listens on loopback unless told otherwise.
 */
export async function startHealthServer({
  port,
  host = '127.0.0.1',
  ready,
  registry = serviceRegistry(),
  logger,
}: {
  port: number;
  host?: string;
  ready: () => boolean | Promise<boolean>;
  registry?: Registry;
  logger: Logger;
}): Promise<HealthServer> {
  const answer = async (method: string | undefined, path: string): Promise<[status: number, body: string, type?: string]> => {
    if (method !== 'GET' && method !== 'HEAD') return [405, 'method not allowed\n'];
    if (path === '/health') return [200, 'ok\n'];
    if (path === '/ready') return (await ready()) ? [200, 'ready\n'] : [503, 'not ready\n'];
    if (path === '/metrics') return [200, await registry.metrics(), registry.contentType];
    return [404, 'not found\n'];
  };
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0] ?? '';
    answer(request.method, path)
      .catch((err: unknown) => {
        // a readiness check or a collector that threw: the service is not ready, or its metrics are not there now
        logger.warn({ err, path }, 'health endpoint failed');
        return [503, 'unavailable\n'] as [number, string];
      })
      .then(([status, body, type = 'text/plain; charset=utf-8']) => {
        response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
        response.end(request.method === 'HEAD' ? undefined : body);
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  logger.info({ host, port: bound }, 'health endpoints listening');
  return {
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      }),
  };
}
