import { createServiceRegistry } from '@register-feeds/service-kit';
import { describe, expect, it } from 'vitest';
import type { Projection } from '../projections/index.ts';
import { running } from './api.test-support.ts';
import { registerDeliverMetrics } from './metrics.ts';

// Deliver's projection gauges in the service's Prometheus registry, read from the running projections at
// every scrape: rows, writer, readiness, catch-up, rebuilds and feed changes per recipient.

const rows = (recipient: string): Projection<unknown> =>
  ({
    recipient,
    emptyState: () => new Map(),
    apply: () => [],
    load: () => {},
    rows: (state: Map<string, unknown>) => [...state],
    checksum: () => '',
    size: (state: Map<string, unknown>) => state.size,
  }) as unknown as Projection<unknown>;

describe('registerDeliverMetrics', () => {
  it('reads every projection at each scrape, and forgets them once taken off', async () => {
    const registry = createServiceRegistry();
    const state = new Map([
      ['a', {}],
      ['b', {}],
    ]);
    const stagemarkt = { ...running(rows('sbb-stagemarkt'), state), writing: () => false };
    let caught = false;
    const off = registerDeliverMetrics({ projections: new Map([['sbb-stagemarkt', stagemarkt]]), caughtUp: () => caught }, registry);
    // a second deliver in the same process (tests) shares the instruments instead of registering them twice
    const other = running(rows('svb-kostendelersnorm'), new Map());
    const offOther = registerDeliverMetrics({ projections: new Map([['svb-kostendelersnorm', other]]) }, registry);

    let text = await registry.metrics();
    expect(text).toContain('register_feeds_projection_rows{recipient="sbb-stagemarkt"} 2');
    expect(text).toContain('register_feeds_projection_writing{recipient="sbb-stagemarkt"} 0');
    expect(text).toContain('register_feeds_projection_ready{recipient="sbb-stagemarkt"} 1');
    expect(text).toContain('register_feeds_projection_caught_up{recipient="sbb-stagemarkt"} 0');
    expect(text).toContain('register_feeds_projection_rebuild_running{recipient="sbb-stagemarkt"} 0');
    expect(text).toContain('register_feeds_feed_changes_total{recipient="sbb-stagemarkt"} 5');
    expect(text).toContain('register_feeds_projection_rows{recipient="svb-kostendelersnorm"} 0');
    expect(text).not.toContain('register_feeds_projection_caught_up{recipient="svb-kostendelersnorm"}'); // not asked

    state.set('c', {});
    caught = true;
    text = await registry.metrics();
    expect(text).toContain('register_feeds_projection_rows{recipient="sbb-stagemarkt"} 3');
    expect(text).toContain('register_feeds_projection_caught_up{recipient="sbb-stagemarkt"} 1');

    off();
    offOther();
    text = await registry.metrics();
    expect(text).not.toContain('recipient="sbb-stagemarkt"');
    expect(text).not.toContain('recipient="svb-kostendelersnorm"');
  });
});
