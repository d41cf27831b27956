// What bench:soak makes of its memory samples (pure, unit-tested in test/bench-soak.unit.spec.ts): per
// service, the RSS at 10%, 50%, 90% and 100% of the run, the peak, and the slope over the second half in
// MB per million events. "Flat" means a slope near 0 once the run has warmed up: what a service holds then
// stays the same however many events go through.

export interface RssSample {
  /** events through the pipeline so far (bench:soak: what ingest has committed) */
  events: number;
  /** seconds since the feed started */
  seconds: number;
  /** resident set size now, kB, per service */
  rssKb: Record<string, number>;
}

export interface RssCurve {
  service: string;
  /** RSS in MB at the first sample at or past each fraction of the run; NaN when there is none */
  at: Record<'10%' | '50%' | '90%' | '100%', number>;
  /** the highest RSS in MB: the kernel's VmHWM when given, else the highest sample */
  peakMb: number;
  /** least-squares slope of RSS over events in the second half, MB per million events; NaN below 2 samples */
  slopeMbPerMillion: number;
}

const FRACTIONS = { '10%': 0.1, '50%': 0.5, '90%': 0.9, '100%': 1 } as const;

/** Least-squares slope of y over x; NaN for fewer than two distinct x. */
export function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  if (n < 2) return Number.NaN;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxx === 0 ? Number.NaN : sxy / sxx;
}

/**
 * The curve of each service over a run of `total` events. The last sample is the 100% one (taken after
 * every group reached lag 0). The second half is every sample at or past half the events.
 */
export function rssCurves(samples: readonly RssSample[], total: number, peakKb: Record<string, number> = {}): RssCurve[] {
  const services = Object.keys(samples[0]?.rssKb ?? {});
  const mb = (kb: number | undefined) => (kb === undefined ? Number.NaN : kb / 1024);
  return services.map((service) => {
    const at = {} as RssCurve['at'];
    for (const [label, fraction] of Object.entries(FRACTIONS) as [keyof RssCurve['at'], number][]) {
      const sample = label === '100%' ? samples.at(-1) : samples.find((s) => s.events >= fraction * total);
      at[label] = mb(sample?.rssKb[service]);
    }
    const highest = Math.max(...samples.map((s) => s.rssKb[service] ?? 0));
    const secondHalf = samples.filter((s) => s.events >= total / 2).map((s) => [s.events / 1e6, mb(s.rssKb[service])] as const);
    return {
      service,
      at,
      peakMb: mb(Math.max(highest, peakKb[service] ?? 0)),
      slopeMbPerMillion: slope(secondHalf),
    };
  });
}

/** "flat" when the second half grows less than `flatMbPerMillion` (default 5 MB) per million events. */
export function verdict(curve: RssCurve, flatMbPerMillion = 5): string {
  if (!Number.isFinite(curve.slopeMbPerMillion)) return 'too few samples';
  return Math.abs(curve.slopeMbPerMillion) < flatMbPerMillion ? 'flat' : curve.slopeMbPerMillion > 0 ? '**grows**' : 'shrinks';
}

export function curvesTable(curves: readonly RssCurve[], flatMbPerMillion = 5): string {
  const n = (x: number, digits = 0) => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
  const lines = [
    '| service | RSS at 10% | 50% | 90% | 100% | peak (VmHWM) | slope, second half | verdict |',
    '|---|---|---|---|---|---|---|---|',
  ];
  for (const c of curves) {
    lines.push(
      `| ${c.service} | ${n(c.at['10%'])} MB | ${n(c.at['50%'])} MB | ${n(c.at['90%'])} MB | ${n(c.at['100%'])} MB | ${n(c.peakMb)} MB | ${n(c.slopeMbPerMillion, 1)} MB per million events | ${verdict(c, flatMbPerMillion)} |`,
    );
  }
  return lines.join('\n');
}

/** Every sample thinned to at most `rows` rows, the last one always kept: the curve itself, for the report. */
export function samplesTable(samples: readonly RssSample[], rows = 20): string {
  const services = Object.keys(samples[0]?.rssKb ?? {});
  const step = Math.max(1, Math.ceil(samples.length / rows));
  const kept = samples.filter((_, i) => i % step === 0 || i === samples.length - 1);
  return [
    `| events | seconds | ${services.map((s) => `${s} RSS`).join(' | ')} |`,
    `|---|---|${services.map(() => '---|').join('')}`,
    ...kept.map(
      (s) =>
        `| ${s.events.toLocaleString('en-US')} | ${s.seconds.toFixed(0)} | ${services.map((v) => `${((s.rssKb[v] ?? Number.NaN) / 1024).toFixed(0)} MB`).join(' | ')} |`,
    ),
  ].join('\n');
}
