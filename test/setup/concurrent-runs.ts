import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Inventory } from './leftovers.ts';

/**
 * Test runs that share one stack (two engineers, or a terminal and an editor) must not clean up each
 * other's topics half-way through. Each run leaves a marker file in a directory of the stack's own; the
 * first run in keeps the stack's inventory as the baseline, and only the last run out compares with it
 * and cleans up, for all of them. A marker whose process is gone (a run killed with -9) does not count.
 */

export interface RunsDir {
  dir: string;
  pid: number;
  /** whether a process still runs (process.kill(pid, 0) in real use) */
  isAlive: (pid: number) => boolean;
}

const BASELINE = 'baseline.json';
const markerOf = (pid: number): string => `${pid}.run`;

function otherLiveRuns({ dir, pid, isAlive }: RunsDir): number[] {
  const pids = readdirSync(dir)
    .filter((f) => f.endsWith('.run'))
    .map((f) => Number(f.slice(0, -'.run'.length)))
    .filter((p) => Number.isInteger(p) && p !== pid);
  const live: number[] = [];
  for (const p of pids) {
    if (isAlive(p)) live.push(p);
    else rmSync(join(dir, markerOf(p)), { force: true });
  }
  return live;
}

/** At the start of a run: marks it, and keeps the inventory as the baseline when no other run is under way. */
export function enterRun(runs: RunsDir, inventory: Inventory): { first: boolean } {
  mkdirSync(runs.dir, { recursive: true });
  writeFileSync(join(runs.dir, markerOf(runs.pid)), String(Date.now()));
  const first = otherLiveRuns(runs).length === 0;
  // a baseline left by a run that was killed is stale: with nobody else running, this run's view is the truth
  if (first) writeFileSync(join(runs.dir, BASELINE), JSON.stringify(inventory));
  return { first };
}

/**
 * At the end of a run: unmarks it. The baseline, when this is the last run out (the caller cleans up
 * against it), else undefined with the number of runs still going.
 */
export function leaveRun(runs: RunsDir): { baseline: Inventory | undefined; stillRunning: number } {
  rmSync(join(runs.dir, markerOf(runs.pid)), { force: true });
  const stillRunning = otherLiveRuns(runs).length;
  if (stillRunning > 0) return { baseline: undefined, stillRunning };
  let baseline: Inventory | undefined;
  try {
    baseline = JSON.parse(readFileSync(join(runs.dir, BASELINE), 'utf8')) as Inventory;
  } catch {
    baseline = undefined;
  }
  rmSync(join(runs.dir, BASELINE), { force: true });
  return { baseline, stillRunning: 0 };
}

export function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as somebody else
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
