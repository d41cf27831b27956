// The figures of bench:pipeline as one markdown table (pure, unit-tested), and the machine they came from.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';

/** The p-th percentile (nearest rank) of unsorted values; NaN for none. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

export interface Row {
  measurement: string;
  figure: string;
  /** what the figure is compared with, from the same run */
  baseline?: string;
  /** figure / baseline */
  ratio?: number;
  /** the target for this ratio, e.g. "≥ 0.10×" */
  target?: string;
}

/** Thousands separated, no decimals: 190000 -> "190,000". */
export function count(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a';
}

/** Two significant decimals at most for a ratio: 0.0213 -> "0.021×", 17.4 -> "17×". */
export function ratioText(r: number): string {
  if (!Number.isFinite(r)) return 'n/a';
  const digits = r >= 10 ? 0 : r >= 1 ? 1 : Math.max(2, 1 - Math.floor(Math.log10(r)));
  return `${r.toFixed(digits)}×`;
}

/** Whether a ratio meets a target written "≥ x" or "≤ x" (undefined when there is none). */
export function meets(ratio: number | undefined, target: string | undefined): boolean | undefined {
  if (ratio === undefined || target === undefined) return undefined;
  const match = /^(≥|≤)\s*([\d.]+)/.exec(target);
  if (!match) return undefined;
  return match[1] === '≥' ? ratio >= Number(match[2]) : ratio <= Number(match[2]);
}

export function markdownTable(rows: readonly Row[]): string {
  const cell = (s: string) => s.replaceAll('|', '\\|');
  const lines = ['| measurement | figure | baseline (same run) | ratio | target |', '|---|---|---|---|---|'];
  for (const r of rows) {
    const ok = meets(r.ratio, r.target);
    const target = r.target === undefined ? '' : `${r.target}${ok === undefined ? '' : ok ? ' met' : ' **not met**'}`;
    lines.push(
      `| ${cell(r.measurement)} | ${cell(r.figure)} | ${cell(r.baseline ?? '')} | ${r.ratio === undefined ? '' : ratioText(r.ratio)} | ${cell(target)} |`,
    );
  }
  return lines.join('\n');
}

/** "p50 12 / p95 40 / p99 90 ms" */
export function latencyText(values: readonly number[]): string {
  return `p50 ${count(percentile(values, 50))} / p95 ${count(percentile(values, 95))} / p99 ${count(percentile(values, 99))} ms`;
}

export interface Machine {
  cores: number;
  cpu: string;
  ramGb: number;
  node: string;
  kafka: string;
}

/** The first "model name" of /proc/cpuinfo. */
export function cpuModel(cpuinfo: string): string | undefined {
  return /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim();
}

export function machine(kafkaVersion: string): Machine {
  let cores = cpus().length;
  try {
    cores = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || cores;
  } catch {}
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    cpu = cpuModel(readFileSync('/proc/cpuinfo', 'utf8')) ?? cpu;
  } catch {}
  return { cores, cpu, ramGb: totalmem() / 2 ** 30, node: process.version, kafka: kafkaVersion };
}

export function machineLine(m: Machine): string {
  return `${m.cores} cores (nproc), ${m.cpu}, ${m.ramGb.toFixed(1)} GB RAM, Node ${m.node}, Kafka ${m.kafka}`;
}
