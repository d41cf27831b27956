import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateTestKeys, loadAgreements } from '@register-feeds/pseudonymise';
import { copyAgreements } from '../../support/agreements.ts';
import type { FaultStack } from './fault-stack.ts';
import { PipelineRun } from './pipeline-run.ts';
import { type Baseline, type Outcome, observe, type Poison, type Row, sum } from './verdict.ts';

export const SEED = Number(process.env.FAULTS_SEED ?? '1');
export const EVENTS = Number(process.env.FAULTS_EVENTS ?? '2000');
export const RATE = Number(process.env.FAULTS_RATE ?? '200');
/** The services' shutdown grace period (service-kit onShutdown's default). */
export const GRACE_MS = 30_000;

export interface FaultReport {
  /** ms from each fault's end to every affected group committing again; undefined: never */
  recovery: Array<number | undefined>;
  notes: string[];
  /** problems the fault itself saw (e.g. an exit code other than 0 on SIGTERM) */
  problems: string[];
  poison?: Poison;
}

export type Fault = (run: PipelineRun) => Promise<FaultReport>;

/** Keys for pseudonymise, made at test time (never in the repo), one file for the whole suite. */
export function testKeysFile(home: string): string {
  const dir = copyAgreements(join(home, 'agreements-for-keys'), 1);
  const file = join(home, 'pseudonym-keys.json.secret');
  writeFileSync(file, JSON.stringify(generateTestKeys(loadAgreements(dir).map((a) => a.recipient))), { mode: 0o600 });
  return file;
}

/**
 * The undisturbed run every scenario is compared with, made once: by its own test, or by the first scenario
 * that needs it when `-t` picked scenarios without it. `current()` is its ids and checksums once it ran clean
 * (no problems, no dead letters), undefined before and otherwise.
 */
export function onceBaseline(make: () => Promise<ScenarioResult>): { run(): Promise<ScenarioResult>; current(): Baseline | undefined } {
  let made: Promise<ScenarioResult> | undefined;
  let baseline: Baseline | undefined;
  return {
    run() {
      made ??= make().then((result) => {
        if (result.problems.length === 0 && result.outcome.deadLettered === 0)
          baseline = { ids: result.outcome.ids, checksums: result.outcome.checksums };
        return result;
      });
      return made;
    },
    current: () => baseline,
  };
}

export interface ScenarioResult {
  row: Row;
  outcome: Outcome;
  problems: string[];
}

const s = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
const seconds = (ms: number | undefined) => (ms === undefined ? 'never' : `${(ms / 1000).toFixed(1)} s`);

/** Runs the pipeline on the suite's load, applies the fault mid-stream, waits for the end, checks everything. */
export async function runScenario(
  stack: FaultStack,
  keysFile: string,
  lines: string[],
  name: string,
  fault: Fault,
  baseline: Baseline | undefined,
  knownFailure?: string,
  rate = RATE,
): Promise<ScenarioResult> {
  const t0 = Date.now();
  const run = new PipelineRun(stack, name, keysFile);
  const problems: string[] = [];
  let report: FaultReport = { recovery: [], notes: [], problems: [] };
  try {
    await run.start(lines, rate);
    report = await fault(run);
    const faulted = Date.now();
    problems.push(...report.problems);
    const caught = await run.caughtUp(Number(process.env.FAULTS_CATCH_UP_MS ?? '240000'));
    if (!caught.ok) problems.push(`not caught up: ${caught.behind.join(', ')}`);
    const caughtUpAt = Date.now();
    // the outputs are all committed by now: the services stop while they are read
    const [outcome, stopped] = await Promise.all([observe(run, baseline, report.poison), run.stop()]);
    const observedAt = Date.now();
    for (const s of stopped) if (s.code !== 0) problems.push(`${s.label} exited ${s.code} on the final SIGTERM`);
    // an exit 0 nobody asked for is never restarted (on-failure): the service stopped and said all was well
    for (const i of run.instances)
      if (i.unexpectedExits.includes(0)) problems.push(`${i.label} exited 0 on its own, so no supervisor restarts it`);
    // a non-zero exit is what a service that cannot go on should do; the supervisor restarted it: shown, not failed
    const restarts = run.instances
      .filter((i) => i.unexpectedExits.some((c) => c !== 0))
      .map((i) => `${i.label} (exit ${i.unexpectedExits.join(', ')})`);
    const lost = sum(outcome.lost);
    const duplicated = sum(outcome.duplicated);
    const unexpected = sum(outcome.unexpected);
    if (lost > 0) problems.push(`lost per recipient ${JSON.stringify(outcome.lost)}`);
    if (duplicated > 0) problems.push(`duplicated per recipient ${JSON.stringify(outcome.duplicated)}`);
    if (unexpected > 0) problems.push(`record ids not in the baseline ${JSON.stringify(outcome.unexpected)}`);
    for (const recipient of outcome.checksumsDiffer)
      problems.push(
        `${recipient} checksum differs: ${outcome.checksums[recipient]} against the baseline's ${baseline?.checksums[recipient]}`,
      );
    if (outcome.validDeadLettered > 0) problems.push(`${outcome.validDeadLettered} dead letters are not poison the suite wrote`);
    if (outcome.poisonMissing > 0) problems.push(`${outcome.poisonMissing} poison records are in no dead-letter topic`);
    const poisonCount = [...(report.poison?.values() ?? [])].reduce((n, v) => n + v.length, 0);
    const row: Row = {
      scenario: name,
      events: lines.length + poisonCount,
      lost,
      duplicated,
      unexpected,
      checksums: baseline ? (outcome.checksumsDiffer.length === 0 ? 'equal' : `differ: ${outcome.checksumsDiffer.join(', ')}`) : 'baseline',
      deadLetters: `${outcome.deadLettered} (${outcome.validDeadLettered} valid)`,
      recovery: report.recovery.length === 0 ? 'n/a' : report.recovery.map(seconds).join(' / '),
      restarts: restarts.length === 0 ? 'none' : restarts.join(' '),
      exits: stopped.every((s) => s.code === 0) ? 'all 0' : stopped.map((s) => `${s.label}:${s.code}`).join(' '),
      seconds: Math.round((Date.now() - t0) / 1000),
      verdict: problems.length === 0 ? 'pass' : knownFailure ? 'KNOWN FAIL' : 'FAIL',
      notes: [...report.notes, ...(knownFailure && problems.length > 0 ? [`known: ${knownFailure}`] : []), ...problems].join('; '),
    };
    process.stderr.write(
      `faults: ${name}: ${row.verdict} in ${row.seconds} s (fault done ${s(faulted - t0)}, caught up ${s(caughtUpAt - faulted)}, checked while stopping ${s(observedAt - caughtUpAt)})${problems.length ? ` (${problems.join('; ')})` : ''}\n`,
    );
    return { row, outcome, problems };
  } catch (error) {
    await run.kill();
    throw error;
  }
}

/** Waits until `fraction` of the load was sent and deliver has committed something: the pipeline is flowing. */
export async function midStream(run: PipelineRun, fraction: number): Promise<void> {
  const want = Math.floor(run.loadSize * fraction);
  while ((run.publisher?.sent() ?? 0) < want) await new Promise((r) => setTimeout(r, 50));
  for (const group of run.group('deliver')) await run.committed(group, 1);
}
