import { registerDeliverMetrics } from '@register-feeds/deliver';
import { createEdgeMeter, createEdgeMetrics, createServiceRegistry, type Registry } from '@register-feeds/service-kit';
import { describe, expect, it } from 'vitest';
import { notCaughtUp, type PipelineFigures, pipelineFigures, stageRates } from '../scripts/demo/pipeline-figures.ts';
import { renderView, type ViewState } from '../scripts/demo/render-view.ts';
import { applyRead, countByStatus, emptyMirror, pickRecent, type RecentChange, type RowsPage } from '../scripts/demo/stagemarkt-mirror.ts';

// The demo's pure parts: figures from the services' own /metrics text (made here by the same prom-client
// instruments the services register), the Stagemarkt mirror kept through changedSince reads, and the screen.

const registryOf = (service: string): Registry => {
  const registry = createServiceRegistry();
  registry.setDefaultLabels({ service });
  return registry;
};

/** A stage's edge on its own registry: one committed batch, and the lag per held partition. */
function edge(
  registry: Registry,
  group: string,
  topic: string,
  batch: { records: number; produced: Record<string, number>; refusedRules?: string[][] },
  lag?: Record<number, number>,
) {
  const meter = createEdgeMeter({ group, topic, registry });
  meter.batchCommitted({ ...batch, refusedRules: batch.refusedRules ?? [], tally: {}, seconds: 0.01 });
  if (lag) {
    const metrics = createEdgeMetrics();
    for (const [partition, behind] of Object.entries(lag)) metrics.lag.set(Number(partition), behind);
    meter.watch({ group, topic, metrics, assignment: () => Object.keys(lag).map((p) => ({ topic, partition: Number(p) })) });
  }
}

/** The three /metrics pages of a pipeline that took in `raw` raw records, 2 of them refused. */
async function pages(raw: number, { deliverBehind = 0, lag = 0 } = {}) {
  const ingest = registryOf('ingest');
  edge(
    ingest,
    'ingest',
    'register.raw.v1',
    {
      records: raw,
      produced: { 'register.events.v1': raw - 2, 'register.ingest.seen.v1': raw - 2 },
      refusedRules: [['bsn-elfproef'], ['brin-format', 'date-order']],
    },
    { 0: lag, 3: 0 },
  );
  const pseudonymise = registryOf('pseudonymise');
  const events = raw - 2;
  edge(pseudonymise, 'pseudonymise', 'register.events.v1', {
    records: events,
    produced: { 'recipient.sbb-stagemarkt.v2': events, 'recipient.ocw-minister.v2': events * 2, 'audit.deliveries.v2': events },
  });
  const deliver = registryOf('deliver');
  edge(deliver, 'deliver-sbb-stagemarkt', 'recipient.sbb-stagemarkt.v2', {
    records: events - deliverBehind,
    produced: { 'feed.sbb-stagemarkt.v1': 7 },
  });
  const running = {
    recipient: 'sbb-stagemarkt',
    projection: { size: () => 5 },
    state: () => ({}),
    writing: () => true,
    ready: () => true,
    rebuildStatus: () => undefined,
    metrics: { feedChanges: 7 },
  };
  registerDeliverMetrics({ projections: new Map([['sbb-stagemarkt', running as never]]) }, deliver);
  return { ingest: await ingest.metrics(), pseudonymise: await pseudonymise.metrics(), deliver: await deliver.metrics() };
}

describe('pipeline figures from the services’ /metrics', () => {
  it('counts records in, out and dead-lettered per stage, dead letters by rule, lag, and what each recipient received', async () => {
    const figures = pipelineFigures(await pages(100, { lag: 4 }));

    expect(figures.stages.ingest).toEqual({ recordsIn: 100, recordsOut: 98, deadLettered: 2, lag: 4, answered: true });
    // pseudonymise's output is the recipient topics, not its audit
    expect(figures.stages.pseudonymise).toEqual({ recordsIn: 98, recordsOut: 294, deadLettered: 0, lag: undefined, answered: true });
    expect(figures.stages.deliver).toMatchObject({ recordsIn: 98, recordsOut: 7, deadLettered: 0 });
    expect(figures.canonicalEvents).toBe(98);
    expect(figures.deadLetterRules).toEqual([
      { stage: 'ingest', rule: 'brin-format', count: 1 },
      { stage: 'ingest', rule: 'bsn-elfproef', count: 1 },
      { stage: 'ingest', rule: 'date-order', count: 1 },
    ]);
    expect(figures.recipients).toEqual([
      { recipient: 'ocw-minister', topic: 'recipient.ocw-minister.v2', records: 196 },
      {
        recipient: 'sbb-stagemarkt',
        topic: 'recipient.sbb-stagemarkt.v2',
        records: 98,
        projection: { recordsIn: 98, rows: 5, feedChanges: 7 },
      },
    ]);
  });

  it('says which service does not answer, and counts nothing for it', async () => {
    const { ingest, deliver } = await pages(10);
    const figures = pipelineFigures({ ingest, pseudonymise: undefined, deliver });
    expect(figures.stages.pseudonymise).toEqual({ recordsIn: 0, recordsOut: 0, deadLettered: 0, lag: undefined, answered: false });
    expect(figures.recipients.map((r) => r.recipient)).toEqual(['sbb-stagemarkt']);
    expect(notCaughtUp(pipelineFigures(await pages(2)), figures, 8)).toBe('pseudonymise does not answer /metrics');
  });

  it('is caught up only when every stage took in what the one before it wrote since the baseline, and no lag is left', async () => {
    const baseline = pipelineFigures(await pages(2));
    expect(notCaughtUp(baseline, pipelineFigures(await pages(52)), 50)).toBeUndefined();
    expect(notCaughtUp(baseline, pipelineFigures(await pages(52)), 51)).toBe('ingest read 50 of 51 records');
    expect(notCaughtUp(baseline, pipelineFigures(await pages(52, { deliverBehind: 3 })), 50)).toBe(
      'deliver read 47 of 50 records for sbb-stagemarkt',
    );
    expect(notCaughtUp(baseline, pipelineFigures(await pages(52, { lag: 6 })), 50)).toBe('ingest is 6 records behind');
  });

  it('gives records per second per stage between two reads, and none for a service that restarted', async () => {
    const before = pipelineFigures(await pages(20));
    const after = pipelineFigures(await pages(60));
    expect(stageRates(before, after, 4)).toEqual({ ingest: 10, pseudonymise: 10, deliver: 10 });
    expect(stageRates(after, before, 4).ingest).toBeUndefined();
  });
});

const bpv = (status: string, extra: Record<string, unknown> = {}) => ({
  kind: 'bpv',
  pseudonym: 'v1.SECRET-PSEUDONYM',
  leeftijd: 17,
  status,
  brin: '25LX',
  opleidingscode: '25604',
  leerbedrijf: { id: 'LB1', naam: 'Bakkerij Test BV' },
  omvangUren: 480,
  begindatum: '2026-02-02',
  geplandeEinddatum: '2026-07-03',
  werkelijkeEinddatum: status === 'beeindigd' ? '2026-06-26' : null,
  ...extra,
});
const key = (n: number) => `v1.SECRET-PSEUDONYM|25LX|A100${n}|1`;

describe('the Stagemarkt mirror', () => {
  const full: RowsPage[] = [
    {
      rows: [
        { key: key(1), row: bpv('actueel') },
        { key: key(2), row: bpv('actueel') },
      ],
      next: 'c',
      changes: 't1',
    },
    {
      rows: [
        { key: key(3), row: bpv('verwijderd') },
        { key: 'enrolment-1', row: { kind: 'inschrijving', brin: '25LX' } },
      ],
    },
  ];

  it('counts BPV rows per status after a full read, the three statuses always listed', () => {
    const mirror = applyRead(emptyMirror(), full, { full: true, at: 1000 });
    expect(countByStatus(mirror)).toEqual([
      ['actueel', 2],
      ['beeindigd', 0],
      ['verwijderd', 1],
    ]);
    expect(mirror.enrolments).toBe(1);
    expect(mirror.recent).toEqual([]);
  });

  it('applies what changed since the last read: new rows, status changes and removed keys, the status changes first', () => {
    const first = applyRead(emptyMirror(), full, { full: true, at: 1000 });
    const changed: RowsPage[] = [
      {
        rows: [
          { key: key(4), row: bpv('actueel') },
          { key: key(1), row: bpv('beeindigd') },
        ],
        removed: [key(3)],
      },
    ];
    const second = applyRead(first, changed, { full: false, at: 2000 });
    expect(countByStatus(second)).toEqual([
      ['actueel', 2],
      ['beeindigd', 1],
      ['verwijderd', 0],
    ]);
    expect(second.recent.map((c) => [c.was, c.line.status, c.at])).toEqual([
      ['actueel', 'beeindigd', 2000],
      [undefined, 'actueel', 2000],
    ]);
    // the first mirror is left as it was
    expect(countByStatus(first)[0]).toEqual(['actueel', 2]);
  });

  it('shows a mix of statuses when one read brings many changes', () => {
    const change = (status: string, was?: string): RecentChange => ({
      at: 0,
      was,
      line: { status, brin: '25LX', opleidingscode: '1', leerbedrijf: null, omvangUren: null, begindatum: null, einddatum: null },
    });
    const changes = [...Array.from({ length: 20 }, () => change('actueel')), change('verwijderd'), change('beeindigd', 'actueel')];
    const picked = pickRecent(changes, 4);
    expect(picked).toHaveLength(4);
    expect(picked[0]).toEqual(change('beeindigd', 'actueel'));
    expect(picked.map((c) => c.line.status).sort()).toEqual(['actueel', 'actueel', 'beeindigd', 'verwijderd']);
  });
});

describe('the screen', () => {
  const state = async (overrides: Partial<ViewState> = {}): Promise<ViewState> => {
    const figures: PipelineFigures = pipelineFigures(await pages(1200));
    let mirror = applyRead(emptyMirror(), [{ rows: [{ key: key(1), row: bpv('actueel') }] }], { full: true, at: 0 });
    mirror = applyRead(mirror, [{ rows: [{ key: key(1), row: bpv('beeindigd') }] }], { full: false, at: Date.UTC(2026, 0, 1, 9, 30, 5) });
    return {
      heading: 'register-feeds live demo · 09:30:07 UTC',
      figures,
      rates: { perStage: { ingest: 20.04, pseudonymise: 19.5, deliver: undefined }, over: 'over the last 2 s' },
      mirror,
      footer: ['Ctrl-C stops.'],
      ...overrides,
    };
  };

  it('shows each stage with its counts, rate, lag and dead letters, the projection by status with its latest change, and each recipient', async () => {
    const lines = renderView(await state());
    const text = lines.join('\n');
    expect(lines[0]).toBe('register-feeds live demo · 09:30:07 UTC');
    expect(
      lines
        .find((l) => l.trim().startsWith('ingest '))
        ?.split(/\s+/)
        .filter(Boolean),
    ).toEqual(['ingest', '1,200', '1,198', '20.0', '0', '2']);
    expect(
      lines
        .find((l) => l.trim().startsWith('deliver '))
        ?.split(/\s+/)
        .filter(Boolean),
    ).toEqual(['deliver', '1,198', '7', '-', '-', '0']);
    expect(text).toContain('    ingest brin-format 1 · ingest bsn-elfproef 1 · ingest date-order 1');
    expect(text).toContain('Stagemarkt (S-BB), through the read API: 1 BPV rows (and 0 enrolment rows)');
    expect(text).toContain('  actueel 0 · beeindigd 1 · verwijderd 0');
    expect(lines.find((l) => l.includes('was actueel'))?.trim()).toMatch(
      /^09:30:05 {2}was actueel +beeindigd +25LX 25604 Bakkerij Test BV +480 h {2}2026-02-02 to 2026-06-26$/,
    );
    expect(
      lines
        .find((l) => l.trim().startsWith('sbb-stagemarkt'))
        ?.split(/\s+/)
        .filter(Boolean),
    ).toEqual(['sbb-stagemarkt', 'recipient.sbb-stagemarkt.v2', '1,198', '5', '7']);
    expect(lines.at(-1)).toBe('Ctrl-C stops.');
  });

  it('shows no pseudonym, row key or age', async () => {
    const text = renderView(await state()).join('\n');
    expect(text).not.toContain('SECRET');
    expect(text).not.toContain('A1001');
    expect(text).not.toMatch(/leeftijd|\b17\b/);
  });

  it('says what does not answer instead of showing stale figures', async () => {
    const { ingest, deliver } = await pages(10);
    const lines = renderView(
      await state({
        figures: pipelineFigures({ ingest, pseudonymise: undefined, deliver }),
        apiProblem: 'no answer from http://127.0.0.1:8090',
      }),
    );
    expect(lines).toContain('  pseudonymise                     (no answer from /metrics)');
    expect(lines).toContain('Stagemarkt (S-BB): no answer from http://127.0.0.1:8090');
    expect(lines.join('\n')).not.toContain('BPV rows');
  });
});

describe('the screen in a small window', () => {
  it('gives up the latest rows first, then the rule list, keeping the stages and recipients', async () => {
    const figures = pipelineFigures(await pages(1200));
    let mirror = applyRead(emptyMirror(), [{ rows: [1, 2, 3].map((i) => ({ key: key(i), row: bpv('actueel') })) }], { full: true, at: 0 });
    mirror = applyRead(mirror, [{ rows: [1, 2, 3].map((i) => ({ key: key(i), row: bpv('beeindigd') })) }], { full: false, at: 0 });
    const state: ViewState = { heading: 'h', figures, mirror, footer: ['f'] };
    const tall = renderView(state);
    expect(tall.filter((l) => l.includes('was actueel'))).toHaveLength(3);

    const twoRowsLess = renderView(state, tall.length - 2);
    expect(twoRowsLess).toHaveLength(tall.length - 2);
    expect(twoRowsLess.filter((l) => l.includes('was actueel'))).toHaveLength(1);

    const small = renderView(state, tall.length - 6);
    expect(small.filter((l) => l.includes('was actueel'))).toHaveLength(0);
    expect(small).toContain('  dead letters by rule: 3 rules broken 3 times (a taller window lists them)');
    expect(small.some((l) => l.trim().startsWith('ingest '))).toBe(true);
    expect(small.some((l) => l.trim().startsWith('sbb-stagemarkt'))).toBe(true);
    expect(small.length).toBeLessThanOrEqual(tall.length - 6);
    expect(renderView(state, 3)).toEqual(['h', '', tall[2]]);
  });
});
