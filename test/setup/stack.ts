import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { TestProject } from 'vitest/node';
import { enterRun, leaveRun, processIsAlive, type RunsDir } from './concurrent-runs.ts';
import { leftovers, summaryLine } from './leftovers.ts';
import { inventoryOf, productionNames, removeLeftovers } from './stack-inventory.ts';

/**
 * Where integration tests get their Kafka broker and schema registry, in this order:
 *  1. KAFKA_BROKERS and SCHEMA_REGISTRY_URL, when both are set (a stack someone else runs);
 *  2. a Docker engine, through testcontainers (apache/kafka + apicurio/apicurio-registry);
 *  3. the project's own scripts (stack/stack.sh): reused when already up, else started and stopped again.
 * Whatever this setup starts, its teardown stops, unless other test runs still use it (they may have found
 * it running). A stack it did not start (1, or 3 when up or partly up) is left as it was found: the topics,
 * consumer groups and registry subjects that appeared during the run are deleted at the end (production
 * names and benchmarks' never; with other runs on the same stack, the last one out cleans up for all).
 */

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string;
    schemaRegistryUrl: string;
    stackSource: string;
  }
}

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const KAFKA_IMAGE = 'apache/kafka:4.1.1';
const REGISTRY_IMAGE = 'apicurio/apicurio-registry:3.3.3';

interface Stack {
  brokers: string;
  registryUrl: string;
  source: string;
  /** someone else's stack: leave it as it was found */
  borrowed: boolean;
  stop: () => Promise<void>;
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const stack = (await fromEnvironment()) ?? (await fromContainers()) ?? (await fromLocalScripts());
  process.stderr.write(`test stack: ${stack.source} (kafka ${stack.brokers}, registry ${stack.registryUrl})\n`);
  project.provide('kafkaBrokers', stack.brokers);
  project.provide('schemaRegistryUrl', stack.registryUrl);
  project.provide('stackSource', stack.source);
  // containers are this run's alone; a stack on fixed ports may be used by other runs at the same time
  if (stack.source === 'testcontainers') return stack.stop;
  const runs: RunsDir = {
    dir: join(tmpdir(), 'register-feeds-test-runs', stack.brokers.replace(/[^A-Za-z0-9.-]+/g, '_')),
    pid: process.pid,
    isAlive: processIsAlive,
  };
  const oneLine = (error: unknown) => (error instanceof Error ? error.message : String(error)).split('\n')[0];
  try {
    enterRun(runs, await inventoryOf(stack.brokers, stack.registryUrl));
  } catch (error) {
    // the tests will say what is wrong with the stack; this run just cannot clean up after itself
    process.stderr.write(`test stack: could not list its topics, groups and subjects (${oneLine(error)}): no cleanup at the end\n`);
    return stack.stop;
  }
  return async () => {
    const { baseline, stillRunning } = leaveRun(runs);
    if (stillRunning > 0) {
      const stays = stack.borrowed ? '' : ', and the stack this run started stays up for them';
      process.stderr.write(`test stack: ${stillRunning} other test run(s) still use it: the last one cleans up${stays}\n`);
      return;
    }
    if (!stack.borrowed) return stack.stop();
    if (baseline === undefined) {
      process.stderr.write('test stack: no record of the stack as it was at the start: nothing removed\n');
      return;
    }
    try {
      const left = leftovers(baseline, await inventoryOf(stack.brokers, stack.registryUrl), productionNames(root));
      const outcome = await removeLeftovers(stack.brokers, stack.registryUrl, left.remove);
      process.stderr.write(`${summaryLine({ ...outcome, leftAlone: left.leftAlone })}\n`);
    } catch (error) {
      process.stderr.write(`test stack: cleanup failed (${oneLine(error)}); what this run made is still there\n`);
    }
  };
}

async function fromEnvironment(): Promise<Stack | undefined> {
  const brokers = process.env.KAFKA_BROKERS;
  const registryUrl = process.env.SCHEMA_REGISTRY_URL;
  if (!brokers || !registryUrl) return undefined;
  return { brokers, registryUrl, source: 'environment', borrowed: true, stop: async () => {} };
}

async function fromContainers(): Promise<Stack | undefined> {
  if (process.env.TEST_STACK === 'local') return undefined;
  const { GenericContainer, Wait } = await import('testcontainers');
  const { KafkaContainer } = await import('@testcontainers/kafka');
  let kafka: Awaited<ReturnType<InstanceType<typeof KafkaContainer>['start']>>;
  try {
    kafka = await new KafkaContainer(KAFKA_IMAGE).start();
  } catch (error) {
    // testcontainers says only this when no engine answers; anything else is a real failure
    if (error instanceof Error && /container runtime strategy/i.test(error.message)) return undefined;
    throw error;
  }
  const registry = await new GenericContainer(REGISTRY_IMAGE)
    .withExposedPorts(8080)
    .withWaitStrategy(Wait.forHttp('/apis/ccompat/v7/subjects', 8080))
    .start();
  return {
    brokers: `${kafka.getHost()}:${kafka.getMappedPort(9093)}`,
    registryUrl: `http://${registry.getHost()}:${registry.getMappedPort(8080)}/apis/ccompat/v7`,
    source: 'testcontainers',
    borrowed: false,
    stop: async () => {
      await registry.stop();
      await kafka.stop();
    },
  };
}

async function fromLocalScripts(): Promise<Stack> {
  const script = resolve(root, 'stack/stack.sh');
  const brokers = `127.0.0.1:${process.env.STACK_KAFKA_PORT ?? '9092'}`;
  const registryUrl = `http://127.0.0.1:${process.env.STACK_REGISTRY_PORT ?? '8080'}/apis/ccompat/v7`;
  const status = await run('bash', [script, 'status']).then(
    ({ stdout }) => ({ allUp: true, stdout }),
    (error: { stdout?: string }) => ({ allUp: false, stdout: error.stdout ?? '' }),
  );
  if (status.allUp) return { brokers, registryUrl, source: 'local stack (already running)', borrowed: true, stop: async () => {} };
  // Part of it up (say Kafka without the registry): somebody else's stack, missing a piece. `up` starts
  // the piece; the stack stays somebody else's, so this run does not stop it (before, it stopped it all).
  const partlyUp = /^stack: \S+\s+up\b/m.test(status.stdout);
  const started = Date.now();
  const up = await run('bash', [script, 'up'], { maxBuffer: 16 * 1024 * 1024 }).catch((error: { stdout?: string; stderr?: string }) => {
    throw new Error(`stack/stack.sh up failed:\n${error.stdout ?? ''}${error.stderr ?? ''}`);
  });
  process.stderr.write(up.stdout);
  const took = `${((Date.now() - started) / 1000).toFixed(1)}s`;
  if (partlyUp)
    return { brokers, registryUrl, source: `local stack (partly running, completed in ${took})`, borrowed: true, stop: async () => {} };
  return {
    brokers,
    registryUrl,
    borrowed: false,
    source: `local stack (started in ${took})`,
    stop: async () => {
      await run('bash', [script, 'down']);
    },
  };
}
