import { createKafkajsBus, createLogger } from '@register-feeds/service-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultStack, faultStack, isAlive } from './support/fault-stack.ts';
import { generateLoad } from './support/load.ts';
import { DELIVERED, type PipelineRun } from './support/pipeline-run.ts';
import {
  EVENTS,
  type FaultReport,
  GRACE_MS,
  midStream,
  onceBaseline,
  RATE,
  runScenario,
  type ScenarioResult,
  SEED,
  testKeysFile,
} from './support/scenario.ts';
import type { Instance, ServiceName } from './support/services.ts';
import { formatTable, type Row, writeReport } from './support/verdict.ts';

// FAULT SUITE (issue 12, part 3), single node: `npm run test:faults`. A stack of its own (own STACK_HOME
// under /tmp, own ports); ingest, pseudonymise and deliver as child processes under a supervisor that
// restarts a non-zero exit (as `restart: on-failure` would); the same seeded load in every scenario at a
// steady rate; one fault mid-stream. What came out is read with Kafka's Java client (read_committed), never
// kafkajs, and compared by recordId per recipient with an undisturbed run of the same load: nothing lost,
// nothing duplicated, the same projection checksums, no valid record in any dead-letter topic.

const SERVICES: ServiceName[] = ['ingest', 'pseudonymise', 'deliver'];
const BROKER_DOWN_MS = 20_000;
const REGISTRY_DOWN_MS = 30_000;
/** Wire format (magic byte 0) naming a schema id the registry has never given out: can never be decoded. */
const UNKNOWN_SCHEMA = Buffer.from([0x00, 0x7f, 0xff, 0xff, 0xf0, 0x02, 0x61]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let stack: FaultStack;
let keysFile: string;
let lines: string[];
const rows: Row[] = [];
const started = Date.now();

beforeAll(async () => {
  stack = faultStack();
  await stack.up();
  keysFile = testKeysFile(stack.home);
  lines = generateLoad(stack.home, SEED, EVENTS);
}, 300_000);

afterAll(async () => {
  const table = formatTable(
    rows,
    `Fault suite, single node: ${EVENTS} generated events per scenario (seed ${SEED}) at ${RATE}/s; ${Math.round((Date.now() - started) / 1000)} s in all, stack start included. ${new Date().toISOString()}`,
  );
  process.stderr.write(`\n${table}\n`);
  writeReport(table);
  await stack?.down();
}, 120_000);

async function scenario(
  name: string,
  fault: (run: PipelineRun) => Promise<FaultReport>,
  { knownFailure, rate }: { knownFailure?: string; rate?: number } = {},
): Promise<ScenarioResult> {
  const result = await runScenario(stack, keysFile, lines, name, fault, undisturbed.current(), knownFailure, rate);
  rows.push(result.row);
  return result;
}

function expectClean({ row, problems }: ScenarioResult) {
  expect(problems, `${row.scenario}: ${problems.join('; ')}`).toEqual([]);
}

const none = async (): Promise<FaultReport> => ({ recovery: [], notes: [], problems: [] });
const undisturbed = onceBaseline(() => scenario('undisturbed (baseline)', none));
async function needBaseline() {
  await undisturbed.run();
  expect(undisturbed.current(), 'needs a clean baseline').toBeDefined();
}

describe('the fault suite on a single node', () => {
  it('an undisturbed run makes the baseline, with no dead letters', async () => {
    const result = await undisturbed.run();
    expect(result.outcome.deadLettered).toBe(0);
    for (const recipient of Object.keys(DELIVERED)) expect(result.outcome.ids[recipient]?.length, recipient).toBeGreaterThan(0);
    expectClean(result);
  }, 600_000);

  it('kill -9 of each service mid-stream, then a restart, loses and repeats nothing', async () => {
    await needBaseline();
    const result = await scenario('kill -9 each service, restart', async (run) => {
      const recoveries: Array<Promise<number | undefined>> = [];
      for (const [i, name] of SERVICES.entries()) {
        await midStream(run, 0.15 + 0.15 * i);
        const instance = run.first(name);
        const mark = await run.mark();
        await instance.kill9();
        const restarted = Date.now();
        instance.start();
        recoveries.push(run.recovered(restarted, mark, run.group(name)));
      }
      return { recovery: await Promise.all(recoveries), notes: ['recovery: ingest / pseudonymise / deliver'], problems: [] };
    });
    expectClean(result);
  }, 600_000);

  it('SIGTERM mid-stream: each service exits 0 within the grace period; after a restart nothing is lost or repeated', async () => {
    await needBaseline();
    const result = await scenario('SIGTERM each service, restart', async (run) => {
      const recoveries: Array<Promise<number | undefined>> = [];
      const problems: string[] = [];
      const notes: string[] = [];
      for (const [i, name] of SERVICES.entries()) {
        await midStream(run, 0.15 + 0.15 * i);
        const instance = run.first(name);
        const mark = await run.mark();
        const { code, ms } = await instance.terminate();
        notes.push(`${name} exit ${code} in ${(ms / 1000).toFixed(1)} s`);
        if (code !== 0) problems.push(`${name} exited ${code} on SIGTERM`);
        if (ms > GRACE_MS) problems.push(`${name} took ${ms} ms to stop (grace ${GRACE_MS} ms)`);
        const restarted = Date.now();
        instance.start();
        recoveries.push(run.recovered(restarted, mark, run.group(name)));
      }
      return { recovery: await Promise.all(recoveries), notes, problems };
    });
    expectClean(result);
  }, 600_000);

  it('the broker killed and restarted: the services recover with no manual action', async () => {
    await needBaseline();
    const result = await scenario('broker kill -9, back after 20 s', async (run) => {
      await midStream(run, 0.25);
      const pid = stack.pid('kafka');
      const mark = await run.mark();
      process.kill(pid, 'SIGKILL');
      while (isAlive(pid)) await sleep(50);
      await sleep(BROKER_DOWN_MS);
      await stack.command('up'); // starts Kafka again (the registry kept running)
      const back = Date.now();
      const recovery = await run.recovered(back, mark);
      return { recovery: [recovery], notes: [`broker down ${BROKER_DOWN_MS / 1000} s`], problems: [] };
    });
    expectClean(result);
  }, 600_000);

  it('the registry down for 30 s (pseudonymise and deliver restarted while it is down): nothing valid is dead-lettered', async () => {
    await needBaseline();
    const result = await scenario('registry down 30 s', async (run) => {
      await midStream(run, 0.25);
      const pid = stack.pid('registry');
      const mark = await run.mark();
      const down = Date.now();
      process.kill(pid, 'SIGKILL');
      while (isAlive(pid)) await sleep(50);
      // services that start while the registry is away must wait for it, not dead-letter what they read
      for (const name of ['pseudonymise', 'deliver'] as const) {
        await run.first(name).kill9();
        run.first(name).start();
      }
      await sleep(Math.max(0, REGISTRY_DOWN_MS - (Date.now() - down)));
      await stack.command('up'); // starts the registry again; it takes a while to answer
      const back = Date.now();
      const recovery = await run.recovered(back, mark);
      return {
        recovery: [recovery],
        notes: [`registry unreachable ${((back - down) / 1000).toFixed(0)} s (30 s down + its start)`],
        problems: [],
      };
    });
    expectClean(result);
  }, 600_000);

  it('poison on every input topic goes to the right dead-letter topic, and nothing else is lost', async () => {
    await needBaseline();
    const result = await scenario('poison on every input topic', async (run) => {
      await midStream(run, 0.25);
      const poison = new Map<string, Buffer[]>([
        [
          run.raw,
          [
            Buffer.from('{"eventId": "poison-1", this is not JSON'),
            Buffer.from(JSON.stringify({ eventId: 'poison-2', eventType: 'GeenBestaandType', sector: 'MBO' })),
            Buffer.from([0xff, 0xfe, 0x00, 0x01]),
          ],
        ],
        [run.events, [Buffer.from('not avro at all'), Buffer.from([0x00, 0x01]), UNKNOWN_SCHEMA]],
        ...Object.keys(DELIVERED).map(
          (r) =>
            [
              run.recipientTopics[r],
              [Buffer.from(`plain text for ${r}, not avro`), Buffer.from([0x07, 0, 0, 0, 1, 2, 3]), UNKNOWN_SCHEMA],
            ] as [string, Buffer[]],
        ),
      ]);
      const bus = createKafkajsBus({
        brokers: stack.brokers.split(','),
        clientId: 'faults-poison',
        logger: createLogger({ service: 'faults', level: 'fatal' }),
      });
      const producer = await bus.producer();
      for (const [topic, values] of poison) await producer.send(values.map((value, i) => ({ topic, key: `poison-${i}`, value })));
      await producer.disconnect();
      return { recovery: [], notes: ['3 raw, 3 canonical, 3 per delivered recipient topic'], problems: [], poison };
    });
    expectClean(result);
  }, 600_000);

  it('a second instance of each service joins mid-load and leaves again: nothing lost, repeated or stalled', async () => {
    await needBaseline();
    // a slower feed (same events: the outputs do not depend on the rate) so the second instances, which
    // take seconds to start, join while there is load left, get partitions, and leave before it ends
    const result = await scenario(
      'second instance of each joins, leaves',
      async (run) => {
        await midStream(run, 0.1);
        const second = SERVICES.map((name) => run.instance(name, 2));
        await Promise.all(second.map((instance) => instance.logged(`${instance.name} running`)));
        const joined = run.publisher?.sent() ?? 0;
        await midStream(run, Math.min(0.8, joined / run.loadSize + 0.2));
        // the second ingest and deliver leave politely; the second pseudonymise dies (the stall)
        const [ingest2, pseudonymise2, deliver2] = second as [Instance, Instance, Instance];
        const mark = await run.mark();
        const [ingestExit, , deliverExit] = await Promise.all([ingest2.terminate(), pseudonymise2.kill9(), deliver2.terminate()]);
        const left = Date.now();
        const recovery = await run.recovered(left, mark);
        const problems = [ingestExit, deliverExit]
          .filter((c) => c && c.code !== 0)
          .map((c) => `a second instance exited ${c?.code} on SIGTERM`);
        return {
          recovery: [recovery],
          notes: [`joined at ${joined} events sent; ingest-2 and deliver-2 SIGTERM, pseudonymise-2 kill -9`],
          problems,
        };
      },
      { rate: Math.round(RATE / 3) },
    );
    expectClean(result);
  }, 600_000);
});
