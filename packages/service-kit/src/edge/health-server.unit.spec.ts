import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log/logger.ts';
import { createEdgeMetrics } from './edge-metrics.ts';
import { edgeMetricsText, type HealthServer, startHealthServer } from './health-server.ts';

const logger = createLogger({ service: 'health-test', level: 'silent' });
let server: HealthServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('startHealthServer', () => {
  it('says alive always, ready until the edge halts, and serves the edge metrics', async () => {
    const metrics = createEdgeMetrics();
    server = await startHealthServer({
      port: 0,
      service: 'ingest',
      ready: () => metrics.halted.size === 0,
      metrics: () => metrics,
      logger,
    });
    const get = (path: string) => fetch(`http://127.0.0.1:${server?.port}${path}`);

    expect((await get('/health')).status).toBe(200);
    expect((await get('/ready')).status).toBe(200);
    metrics.halted.set(2, '41');
    expect((await get('/ready')).status).toBe(503);
    expect((await get('/health')).status).toBe(200);
    expect(await (await get('/metrics')).text()).toContain('edge_halted{service="ingest",partition="2",offset="41"} 1');
    expect((await get('/elsewhere')).status).toBe(404);
  });
});

describe('edgeMetricsText', () => {
  it('renders every counter with the service label', () => {
    const m = createEdgeMetrics();
    Object.assign(m, {
      records: 12,
      batches: 2,
      transactions: 1,
      deadLettered: 1,
      produced: { 'register.events.v1': 10 },
      tally: { duplicates: 1 },
    });
    m.lag.set(0, 5);
    const text = edgeMetricsText('ingest', m);
    for (const line of [
      'edge_records_total{service="ingest"} 12',
      'edge_batches_total{service="ingest"} 2',
      'edge_transactions_total{service="ingest"} 1',
      'edge_dead_lettered_total{service="ingest"} 1',
      'edge_produced_total{service="ingest",topic="register.events.v1"} 10',
      'edge_tally_total{service="ingest",name="duplicates"} 1',
      'edge_lag{service="ingest",partition="0"} 5',
    ])
      expect(text).toContain(line);
  });
});
