import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log/logger.ts';
import { createEdgeMeter } from '../metrics/edge-instruments.ts';
import { createServiceRegistry } from '../metrics/service-registry.ts';
import { createEdgeMetrics } from './edge-metrics.ts';
import { type HealthServer, startHealthServer } from './health-server.ts';

const logger = createLogger({ service: 'health-test', level: 'silent' });
let server: HealthServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const get = (path: string, method = 'GET') => fetch(`http://127.0.0.1:${server?.port}${path}`, { method });

describe('startHealthServer', () => {
  it('is alive always, ready only while the service says so (also when it asks asynchronously), and 404 elsewhere', async () => {
    let ready = false;
    server = await startHealthServer({ port: 0, ready: async () => ready, registry: createServiceRegistry(), logger });

    expect((await get('/health')).status).toBe(200);
    expect((await get('/ready')).status).toBe(503);
    ready = true;
    expect((await get('/ready')).status).toBe(200);
    expect((await get('/ready?verbose=1')).status).toBe(200);
    ready = false;
    expect((await get('/ready')).status).toBe(503);
    expect((await get('/health')).status).toBe(200);
    expect((await get('/elsewhere')).status).toBe(404);
    expect((await get('/health', 'POST')).status).toBe(405);
  });

  it('answers 503, not a crash, when the readiness check throws', async () => {
    server = await startHealthServer({
      port: 0,
      ready: () => Promise.reject(new Error('broker not there')),
      registry: createServiceRegistry(),
      logger,
    });
    expect((await get('/ready')).status).toBe(503);
    expect((await get('/health')).status).toBe(200);
  });

  it('serves the registry in the Prometheus text format: default process metrics and the edge’s, with the service label', async () => {
    const registry = createServiceRegistry();
    registry.setDefaultLabels({ service: 'ingest' });
    const meter = createEdgeMeter({ group: 'ingest', topic: 'raw', registry });
    const metrics = createEdgeMetrics();
    metrics.lag.set(0, 5).set(1, 7);
    metrics.halted.set(2, '41');
    let held = [0, 2];
    meter.watch({ group: 'ingest', topic: 'raw', metrics, assignment: () => held.map((partition) => ({ topic: 'raw', partition })) });
    meter.batchCommitted({
      records: 12,
      produced: { events: 10 },
      refusedRules: [['event-id-digits'], ['bsn-elfproef', 'missing']],
      tally: { duplicates: 1 },
      seconds: 0.004,
    });
    meter.transactionCommitted(0.03);
    server = await startHealthServer({ port: 0, ready: () => true, registry, logger });

    const response = await get('/metrics');
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    for (const line of [
      'register_feeds_records_in_total{group="ingest",topic="raw",service="ingest"} 12',
      'register_feeds_records_out_total{group="ingest",topic="events",service="ingest"} 10',
      'register_feeds_dead_lettered_total{group="ingest",topic="raw",service="ingest"} 2',
      'register_feeds_dead_letter_rules_total{group="ingest",rule="bsn-elfproef",service="ingest"} 1',
      'register_feeds_dead_letter_rules_total{group="ingest",rule="event-id-digits",service="ingest"} 1',
      'register_feeds_decisions_total{group="ingest",name="duplicates",service="ingest"} 1',
      'register_feeds_batches_total{group="ingest",service="ingest"} 1',
      'register_feeds_transactions_total{group="ingest",service="ingest"} 1',
      // lag of the partitions held now only: partition 1 went to another instance
      'register_feeds_consumer_lag_records{group="ingest",topic="raw",partition="0",service="ingest"} 5',
      'register_feeds_assigned_partitions{group="ingest",topic="raw",service="ingest"} 2',
      'register_feeds_partition_halted{group="ingest",topic="raw",partition="2",offset="41",service="ingest"} 1',
    ])
      expect(text).toContain(line);
    // histograms put `le` and the default label first
    expect(text).toContain('register_feeds_batch_duration_seconds_bucket{le="0.005",service="ingest",group="ingest"} 1');
    expect(text).toContain('register_feeds_batch_duration_seconds_bucket{le="0.0025",service="ingest",group="ingest"} 0');
    expect(text).toContain('register_feeds_transaction_duration_seconds_count{service="ingest",group="ingest"} 1');
    expect(text).not.toContain('partition="1"');
    expect(text).toMatch(/^process_resident_memory_bytes\{service="ingest"\} \d+/m);

    held = [];
    const after = await (await get('/metrics')).text();
    expect(after).toContain('register_feeds_assigned_partitions{group="ingest",topic="raw",service="ingest"} 0');
    expect(after).not.toContain('register_feeds_consumer_lag_records{');
  });
});
