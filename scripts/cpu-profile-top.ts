// Where a process spent its CPU: reads a V8 .cpuprofile (node --cpu-prof, or a benchmark run with
// BENCH_CPU_PROF_DIR) and prints the top functions by self time and the self time per package (kafkajs,
// avsc, the schema registry client, crypto, pino, each of our workspaces, GC, ...).
//   node scripts/cpu-profile-top.ts <file.cpuprofile>... [--top 25] [--events N]
// With --events, every figure is also given in CPU µs per event. Idle time is left out of the totals: the
// question is where the busy time goes.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';

/** The parts of a V8 CPU profile this reads (Profiler.Profile in the DevTools protocol). */
export interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number };
    children?: number[];
  }[];
  startTime: number;
  endTime: number;
  samples: number[];
  /** µs since the previous sample; V8 attributes each delta to the sample it precedes */
  timeDeltas: number[];
}

export interface Row {
  name: string;
  us: number;
  share: number;
}

export interface ProfileSummary {
  /** the service or benchmark the profile is of, from the main script among its frames (services/<name>/src/main.ts, bench/<name>.bench.ts) */
  entry?: string;
  /** busy µs: every sample but (idle) */
  busyUs: number;
  idleUs: number;
  byFunction: Row[];
  byPackage: Row[];
  /** time in a package and everything it called, counted once per sample */
  inclusiveByPackage: Row[];
}

/**
 * Which package a frame belongs to, from its script URL. Frames without a URL (V8 builtins such as
 * JSON.parse, native bindings) get undefined: they are counted where they were called from.
 */
export function packageOf(url: string, functionName: string): string | undefined {
  if (functionName === '(garbage collector)') return 'GC';
  if (functionName === '(program)') return 'V8/native (program)';
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(root)') return 'root';
  if (!url) return undefined;
  const module = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1];
  if (module) {
    if (module === 'kafkajs') return 'kafkajs';
    if (module === 'avsc') return 'avsc';
    if (module === '@kafkajs/confluent-schema-registry' || module === 'mappersmith') return 'schema registry client';
    if (/^(pino|pino-.*|sonic-boom|thread-stream|fast-redact|quick-format-unescaped|on-exit-leak-free)$/.test(module)) return 'pino';
    return `npm:${module}`;
  }
  if (url.startsWith('node:internal/crypto') || url === 'node:crypto') return 'node crypto';
  if (url.startsWith('node:')) return 'node core';
  const workspace = /\/(packages|services|tools)\/([^/]+)\//.exec(url);
  if (workspace) return `ours:${workspace[2]}`;
  if (/\/(bench|test|scripts)\//.test(url)) return 'ours:bench/test';
  return 'other';
}

const label = (frame: CpuProfile['nodes'][number]['callFrame']): string => {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  const file = frame.url.replace(/^file:\/\//, '').replace(/^.*?\/(node_modules|packages|services|tools|bench|test|scripts)\//, '$1/');
  return `${name} ${file}:${frame.lineNumber + 1}`;
};

const rows = (totals: Map<string, number>, busyUs: number, top: number): Row[] =>
  [...totals]
    .map(([name, us]) => ({ name, us, share: busyUs > 0 ? us / busyUs : 0 }))
    .sort((a, b) => b.us - a.us || a.name.localeCompare(b.name))
    .slice(0, top);

/** A process's main script, so the profiles of a run's services (named by pid) can be told apart. */
export function entryOf(profile: CpuProfile): string | undefined {
  for (const { callFrame } of profile.nodes) {
    const main = /\/services\/([^/]+)\/src\/main\.ts$/.exec(callFrame.url) ?? /\/bench\/([^/]+)\.bench\.ts$/.exec(callFrame.url);
    if (main) return main[0].includes('/services/') ? `service ${main[1]}` : `bench ${main[1]}`;
  }
  return undefined;
}

/** Self time per function and per package; a frame without a URL counts towards its caller's package. */
export function summariseProfile(profile: CpuProfile, { top = 25 }: { top?: number } = {}): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);

  const packageCache = new Map<number, string>();
  const packageOfNode = (id: number): string => {
    const cached = packageCache.get(id);
    if (cached !== undefined) return cached;
    const node = byId.get(id);
    let found = node ? packageOf(node.callFrame.url, node.callFrame.functionName) : 'other';
    if (found === undefined) {
      const up = parent.get(id);
      found = up === undefined ? 'V8/native (program)' : packageOfNode(up);
    }
    packageCache.set(id, found);
    return found;
  };

  const selfByNode = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i] as number;
    // the delta before sample i+1 is the time sample i stood for; the last sample has none and counts 0
    const us = Math.max(0, profile.timeDeltas[i + 1] ?? 0);
    selfByNode.set(id, (selfByNode.get(id) ?? 0) + us);
  }

  let busyUs = 0;
  let idleUs = 0;
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, us] of selfByNode) {
    const node = byId.get(id);
    if (!node) continue;
    const pkg = packageOfNode(id);
    if (pkg === 'idle') {
      idleUs += us;
      continue;
    }
    busyUs += us;
    const fn = node.callFrame.url ? label(node.callFrame) : `${label(node.callFrame)} (native, in ${pkg})`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + us);
    const counted = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const p = packageOfNode(at);
      if (p === 'root' || counted.has(p)) continue;
      counted.add(p);
      inclusive.set(p, (inclusive.get(p) ?? 0) + us);
    }
  }
  return {
    entry: entryOf(profile),
    busyUs,
    idleUs,
    byFunction: rows(byFunction, busyUs, top),
    byPackage: rows(byPackage, busyUs, Number.POSITIVE_INFINITY),
    inclusiveByPackage: rows(inclusive, busyUs, Number.POSITIVE_INFINITY),
  };
}

/** The summary as markdown tables; with events, a µs/event column. */
export function formatSummary(title: string, summary: ProfileSummary, events?: number): string {
  const perEvent = (us: number) => (events ? ` ${(us / events).toFixed(1)} |` : '');
  const head = events ? ' µs/event |' : '';
  const sep = events ? '---|' : '';
  const table = (rows: Row[], what: string) => [
    `| ${what} | ms | share |${head}`,
    `|---|---|---|${sep}`,
    ...rows.map(
      (r) => `| ${r.name.replaceAll('|', '\\|')} | ${(r.us / 1000).toFixed(0)} | ${(r.share * 100).toFixed(1)}% |${perEvent(r.us)}`,
    ),
  ];
  return [
    `### ${summary.entry ? `${summary.entry} (${title})` : title}`,
    '',
    `busy ${(summary.busyUs / 1000).toFixed(0)} ms${events ? ` (${(summary.busyUs / events).toFixed(1)} µs/event over ${events} events)` : ''}, idle ${(summary.idleUs / 1000).toFixed(0)} ms`,
    '',
    'Self time by package (a builtin such as JSON.parse counts towards the package that called it):',
    '',
    ...table(summary.byPackage, 'package'),
    '',
    'Inclusive time by package (the package and everything it called):',
    '',
    ...table(summary.inclusiveByPackage, 'package'),
    '',
    'Top functions by self time:',
    '',
    ...table(summary.byFunction, 'function'),
    '',
  ].join('\n');
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' }, events: { type: 'string' } },
  });
  if (positionals.length === 0) {
    process.stderr.write('usage: node scripts/cpu-profile-top.ts <file.cpuprofile>... [--top 25] [--events N]\n');
    process.exit(64);
  }
  const events = values.events === undefined ? undefined : Number(values.events);
  for (const file of positionals) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    process.stdout.write(`${formatSummary(basename(file), summariseProfile(profile, { top: Number(values.top) }), events)}\n`);
  }
}
