import { readFileSync } from 'node:fs';
import { parser } from '@prometheus-io/lezer-promql';
import { registerDeliverMetrics } from '@register-feeds/deliver';
import { createEdgeMeter, createServiceRegistry } from '@register-feeds/service-kit';
import { describe, expect, it } from 'vitest';

// The Grafana dashboard (ops/grafana/register-feeds.json) names only metrics the services register: every
// PromQL expression of every panel is parsed with Prometheus's own grammar, and the metric name of each
// selector is looked up among the names a service's registry holds (prom-client's default process
// metrics, the edge's instruments, deliver's projection gauges: what the services make at start).

interface Panel {
  title?: string;
  type?: string;
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}

const dashboard = JSON.parse(readFileSync(new URL('../ops/grafana/register-feeds.json', import.meta.url), 'utf8')) as {
  panels: Panel[];
};

/** every panel, rows' collapsed panels included */
const allPanels = (panels: Panel[]): Panel[] => panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);

/** Grafana's own interval variables, which are not PromQL, as a duration PromQL reads */
const asPromql = (expr: string) => expr.replace(/\$__(rate_interval|interval|range)\b/g, '5m');

/** The metric names an expression selects; throws on a syntax error or a selector without a plain name. */
function metricNames(expr: string): string[] {
  const text = asPromql(expr);
  const tree = parser.parse(text);
  const names: string[] = [];
  const problems: string[] = [];
  tree.iterate({
    enter(node) {
      if (node.type.isError) problems.push(`syntax error at ${node.from}`);
      if (node.name !== 'VectorSelector') return;
      const identifier = node.node.getChild('Identifier');
      if (identifier) names.push(text.slice(identifier.from, identifier.to));
      else problems.push(`a selector without a metric name: ${text.slice(node.from, node.to)}`);
    },
  });
  if (problems.length > 0) throw new Error(`${expr}: ${problems.join('; ')}`);
  return names;
}

/** What the services' registries hold, by sample name (a histogram's _bucket, _sum and _count). */
async function registeredNames(): Promise<Set<string>> {
  const registry = createServiceRegistry(); // as every service has it, default process metrics included
  createEdgeMeter({ group: 'g', topic: 't', registry }); // every stage's edge
  registerDeliverMetrics({ projections: new Map() }, registry); // deliver's main
  const names = new Set<string>();
  for (const metric of await registry.getMetricsAsJSON()) {
    names.add(metric.name);
    if (String(metric.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`);
    if (String(metric.type) === 'summary') for (const suffix of ['_sum', '_count']) names.add(`${metric.name}${suffix}`);
  }
  return names;
}

describe('the Grafana dashboard', () => {
  const panels = allPanels(dashboard.panels).filter((p) => p.type !== 'row');

  it('has panels, each with a query', () => {
    expect(panels.length).toBeGreaterThan(10);
    for (const panel of panels) expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
  });

  it('names only metrics the services register', async () => {
    const registered = await registeredNames();
    const named = panels.flatMap((p) =>
      (p.targets ?? []).flatMap((t) => metricNames(t.expr ?? '').map((name) => ({ panel: p.title, name }))),
    );
    expect(named.length).toBeGreaterThan(panels.length - 1);
    expect(named.filter(({ name }) => !registered.has(name))).toEqual([]);
    // the stage, lag, latency, dead-letter and memory panels are there
    for (const name of [
      'register_feeds_records_in_total',
      'register_feeds_records_out_total',
      'register_feeds_dead_letter_rules_total',
      'register_feeds_consumer_lag_records',
      'register_feeds_batch_duration_seconds_bucket',
      'register_feeds_transaction_duration_seconds_bucket',
      'process_resident_memory_bytes',
    ])
      expect(named.map((n) => n.name)).toContain(name);
  });

  it('would catch a panel naming a metric no service registers, or a query that does not parse', async () => {
    const registered = await registeredNames();
    const names = metricNames('sum by (group) (rate(register_feeds_records_inn_total[$__rate_interval])) / on() up');
    expect(names).toEqual(['register_feeds_records_inn_total', 'up']);
    expect(names.filter((n) => !registered.has(n))).toEqual(names);
    expect(() => metricNames('sum(rate(register_feeds_records_in_total[5m])')).toThrow(/syntax error/);
    expect(() => metricNames('{__name__=~"register_feeds_.*"}')).toThrow(/without a metric name/);
  });
});
