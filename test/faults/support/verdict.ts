import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './fault-stack.ts';
import { checksum, compare, deadLetters, readCommitted, recipientRecords } from './outputs.ts';
import { DELIVERED, type PipelineRun } from './pipeline-run.ts';

/** What an undisturbed run of the same load produced: the yardstick of every scenario. */
export interface Baseline {
  ids: Record<string, string[]>;
  checksums: Record<string, string>;
}

/** Poison the suite wrote itself, per topic: the only records a dead-letter topic may hold. */
export type Poison = Map<string, Buffer[]>;

export interface Outcome {
  ids: Record<string, string[]>;
  checksums: Record<string, string>;
  lost: Record<string, number>;
  duplicated: Record<string, number>;
  unexpected: Record<string, number>;
  checksumsDiffer: string[];
  /** dead letters whose original is not poison the suite wrote: valid records dead-lettered */
  validDeadLettered: number;
  /** poison written that is in no dead-letter topic (or in the wrong one) */
  poisonMissing: number;
  deadLettered: number;
  /** recipient records that are not Avro (poison written straight to a recipient topic) */
  notAvro: number;
}

export async function observe(run: PipelineRun, baseline: Baseline | undefined, poison: Poison = new Map()): Promise<Outcome> {
  const { brokers, registryUrl } = run.stack;
  // one read of every recipient and dead-letter topic (one JVM start), next to deliver's checksums
  const [read, checksums] = await Promise.all([
    readCommitted(brokers, [...Object.values(run.recipientTopics), ...Object.values(run.deadLetters)]),
    Promise.all(Object.keys(DELIVERED).map(async (r) => [r, await checksum(brokers, r, run.feeds[r] ?? '')] as [string, string])).then(
      (pairs): Record<string, string> => Object.fromEntries(pairs),
    ),
  ]);
  const records = await recipientRecords(registryUrl, run.recipientTopics, read);
  const letters = await deadLetters(registryUrl, Object.values(run.deadLetters), read);
  const ids = Object.fromEntries(Object.entries(records).map(([r, c]) => [r, c.ids]));
  const outcome: Outcome = {
    ids,
    checksums,
    lost: {},
    duplicated: {},
    unexpected: {},
    checksumsDiffer: [],
    validDeadLettered: 0,
    poisonMissing: 0,
    deadLettered: letters.length,
    notAvro: Object.values(records).reduce((n, c) => n + c.notAvro, 0),
  };
  for (const [recipient, observed] of Object.entries(ids)) {
    const c = compare(baseline?.ids[recipient] ?? observed, observed);
    outcome.lost[recipient] = c.lost;
    outcome.duplicated[recipient] = c.duplicated;
    outcome.unexpected[recipient] = c.unexpected;
  }
  if (baseline)
    for (const [recipient, sum] of Object.entries(checksums))
      if (sum.split(/\s/)[0] !== baseline.checksums[recipient]?.split(/\s/)[0]) outcome.checksumsDiffer.push(recipient);
  // every dead letter must be poison the suite wrote to the topic it names as its source, and every
  // poison record must be in a dead-letter topic
  const unmatched = new Map([...poison].map(([topic, values]) => [topic, [...values]]));
  for (const letter of letters) {
    const candidates = unmatched.get(letter.sourceTopic) ?? [];
    const at = candidates.findIndex((p) => letter.originalValue !== null && p.equals(letter.originalValue));
    if (at >= 0) candidates.splice(at, 1);
    else outcome.validDeadLettered++;
  }
  outcome.poisonMissing = [...unmatched.values()].reduce((n, v) => n + v.length, 0);
  return outcome;
}

export interface Row {
  scenario: string;
  events: number;
  lost: number;
  duplicated: number;
  unexpected: number;
  checksums: string;
  deadLetters: string;
  recovery: string;
  /** processes that exited non-zero on their own and were restarted by the suite's supervisor */
  restarts: string;
  exits: string;
  seconds: number;
  verdict: 'pass' | 'FAIL' | 'KNOWN FAIL';
  notes: string;
}

export const sum = (counts: Record<string, number>) => Object.values(counts).reduce((n, c) => n + c, 0);

export function formatTable(rows: Row[], header: string): string {
  const lines = [
    header,
    '',
    '| scenario | events | lost | duplicated | not in baseline | checksums | dead letters | time to recover | supervisor restarts | exit on final SIGTERM | s | verdict | notes |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.scenario} | ${r.events} | ${r.lost} | ${r.duplicated} | ${r.unexpected} | ${r.checksums} | ${r.deadLetters} | ${r.recovery} | ${r.restarts} | ${r.exits} | ${r.seconds} | ${r.verdict} | ${r.notes} |`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}

export function writeReport(table: string, file?: string): void {
  file ??= process.env.FAULTS_REPORT ?? join(ROOT, `.local/faults/last-run${process.env.STACK_BROKERS === '3' ? '-cluster' : ''}.md`);
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, table);
}
