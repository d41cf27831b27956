import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log/logger.ts';
import type { EdgeMetrics } from './edge-metrics.ts';

export interface HealthServer {
  /** the port it listens on (the one asked for, or the one the system chose for 0 in tests) */
  readonly port: number;
  close(): Promise<void>;
}

/**
 * /health, /ready and /metrics of a service without an API of its own (ingest, pseudonymise), so a
 * supervisor and a scraper see what the edge knows: /health is 200 while the process answers; /ready is
 * 503 once a partition halted (a bug) or the consumer gave up; /metrics is the edge's counters in the
 * Prometheus text format. Nothing it serves holds a record: topic names, partitions, offsets and counts.
 * Listens on loopback unless told otherwise; the container's health check runs inside it.
 */
export async function startHealthServer({
  port,
  host = '127.0.0.1',
  service,
  ready,
  metrics,
  logger,
}: {
  port: number;
  host?: string;
  service: string;
  ready: () => boolean;
  metrics: () => EdgeMetrics;
  logger: Logger;
}): Promise<HealthServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      response.end(body);
    };
    if (request.method !== 'GET') return send(405, 'method not allowed\n');
    if (path === '/health') return send(200, 'ok\n');
    if (path === '/ready') return ready() ? send(200, 'ready\n') : send(503, 'not ready\n');
    if (path === '/metrics') return send(200, edgeMetricsText(service, metrics()), 'text/plain; version=0.0.4; charset=utf-8');
    return send(404, 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const bound = (server.address() as AddressInfo).port;
  logger.info({ host, port: bound }, 'health endpoints listening');
  return {
    port: bound,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The edge's metrics in the Prometheus text format, labelled with the service. */
export function edgeMetricsText(service: string, m: EdgeMetrics): string {
  const s = `service="${service}"`;
  const lines: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: Array<[labels: string, value: number]>) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}{${[s, labels].filter(Boolean).join(',')}} ${value}`);
  };
  metric('edge_records_total', 'counter', 'records read in committed batches', [['', m.records]]);
  metric('edge_batches_total', 'counter', 'committed batches', [['', m.batches]]);
  metric('edge_transactions_total', 'counter', 'committed transactions (several batches each under load)', [['', m.transactions]]);
  metric('edge_dead_lettered_total', 'counter', 'records sent to the dead-letter topic', [['', m.deadLettered]]);
  metric(
    'edge_produced_total',
    'counter',
    'messages produced per output topic',
    Object.entries(m.produced).map(([topic, n]) => [`topic="${topic}"`, n]),
  );
  metric(
    'edge_tally_total',
    'counter',
    "what the service's decision counts (e.g. repeats)",
    Object.entries(m.tally).map(([name, n]) => [`name="${name}"`, n]),
  );
  metric(
    'edge_lag',
    'gauge',
    'records behind the end of the input, per partition',
    [...m.lag].map(([partition, lag]) => [`partition="${partition}"`, lag]),
  );
  metric(
    'edge_halted',
    'gauge',
    'partitions halted at a valid record the service cannot process (a bug), with the offset',
    [...m.halted].map(([partition, offset]) => [`partition="${partition}",offset="${offset}"`, 1]),
  );
  return `${lines.join('\n')}\n`;
}
