// the services make their own instruments with the same prom-client the registry comes from
export { Counter, Gauge, Histogram, type Registry } from 'prom-client';
export { type CommittedBatch, createEdgeMeter, type EdgeMeter, type WatchedEdge } from './edge-instruments.ts';
export { createServiceRegistry, METRIC_PREFIX, serviceRegistry } from './service-registry.ts';
