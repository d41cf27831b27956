import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultStack, faultStack } from './support/fault-stack.ts';
import { generateLoad } from './support/load.ts';
import { DELIVERED, type PipelineRun } from './support/pipeline-run.ts';
import {
  EVENTS,
  type FaultReport,
  midStream,
  onceBaseline,
  RATE,
  runScenario,
  type ScenarioResult,
  SEED,
  testKeysFile,
} from './support/scenario.ts';
import { formatTable, type Row, writeReport } from './support/verdict.ts';

// FAULT SUITE on the 3-node cluster: `STACK_BROKERS=3 npm run test:faults`. The same harness as the
// single-node scenarios (test/faults/single-node.faults.spec.ts), on a stack of three KRaft nodes (topics
// with 3 replicas, min ISR 2): an undisturbed run for the baseline, then one broker killed mid-load and
// left down while the pipeline finishes. Nothing may be lost or repeated, and no service may need help.

const LOST_BROKER = 2;

let stack: FaultStack;
let keysFile: string;
let lines: string[];
const rows: Row[] = [];
const started = Date.now();

beforeAll(async () => {
  if (process.env.STACK_BROKERS !== '3')
    throw new Error('the cluster scenario needs STACK_BROKERS=3 (scripts/faults.sh sets nothing else)');
  stack = faultStack();
  await stack.up();
  keysFile = testKeysFile(stack.home);
  lines = generateLoad(stack.home, SEED, EVENTS);
}, 400_000);

afterAll(async () => {
  const table = formatTable(
    rows,
    `Fault suite, 3-node cluster: ${EVENTS} generated events per scenario (seed ${SEED}) at ${RATE}/s; ${Math.round((Date.now() - started) / 1000)} s in all, stack start included. ${new Date().toISOString()}`,
  );
  process.stderr.write(`\n${table}\n`);
  writeReport(table);
  await stack?.down();
}, 120_000);

async function scenario(name: string, fault: (run: PipelineRun) => Promise<FaultReport>): Promise<ScenarioResult> {
  const result = await runScenario(stack, keysFile, lines, name, fault, undisturbed.current());
  rows.push(result.row);
  return result;
}

const undisturbed = onceBaseline(() =>
  scenario('cluster: undisturbed (baseline)', async () => ({ recovery: [], notes: [], problems: [] })),
);
async function needBaseline() {
  await undisturbed.run();
  expect(undisturbed.current(), 'needs a clean baseline').toBeDefined();
}

describe('the fault suite on a 3-node cluster', () => {
  it('an undisturbed run on the cluster makes the baseline', async () => {
    const result = await undisturbed.run();
    for (const recipient of Object.keys(DELIVERED)) expect(result.outcome.ids[recipient]?.length, recipient).toBeGreaterThan(0);
    expect(result.problems).toEqual([]);
  }, 600_000);

  it('losing one broker mid-load: the pipeline goes on without it, nothing lost or repeated', async () => {
    await needBaseline();
    const result = await scenario(`cluster: broker ${LOST_BROKER} of 3 killed`, async (run) => {
      await midStream(run, 0.25);
      const mark = await run.mark();
      await stack.command('kill-broker', String(LOST_BROKER));
      const lost = Date.now();
      const recovery = await run.recovered(lost, mark);
      return {
        recovery: [recovery],
        notes: [`broker ${LOST_BROKER} SIGKILLed and left down; recovery counted from the kill`],
        problems: [],
      };
    });
    await stack.command('start-broker', String(LOST_BROKER));
    expect(result.problems, result.problems.join('; ')).toEqual([]);
  }, 600_000);
});
