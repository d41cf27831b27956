import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { type Admin, createKafkajsBus, createLogger, type MessageBus, topicSpec, topics } from '@register-feeds/service-kit';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAll, uniqueName, waitFor } from './support/stack.ts';

// THE 3-NODE CLUSTER (issue 12, part 4) on a stack of its OWN (STACK_BROKERS=3, own STACK_HOME under /tmp,
// own ports, Kafka only): three KRaft nodes, each broker and controller; a topic made by topicSpec has 3
// replicas and min.insync.replicas 2; with one broker killed (SIGKILL) writes and reads go on; the broker
// comes back into every ISR; `down` leaves no process. The registry on the cluster (kafkasql topics with
// 3 replicas) is left to the fault suite, which runs the whole system on this stack.

const { Kafka, logLevel } = kafkajs;
const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const home = mkdtempSync(join(tmpdir(), 'cluster-stack-'));
// below 32768, outside Linux's ephemeral range (32768-60999): a port in it may be taken by an outgoing connection when the stack binds it
const ports = [25092, 25094, 25096];
const brokers = ports.map((p) => `127.0.0.1:${p}`);
const stackEnv = {
  ...process.env,
  STACK_HOME: home,
  STACK_DIST: join(root, '.local/stack/dist'),
  STACK_BROKERS: '3',
  STACK_REGISTRY: 'none',
  STACK_KAFKA_PORT: String(ports[0]),
  STACK_CONTROLLER_PORT: '25093',
};
const stack = (...args: string[]) =>
  run('bash', [join(root, 'stack/stack.sh'), ...args], { env: stackEnv, maxBuffer: 8 * 1024 * 1024 }).then(
    ({ stdout }) => ({ code: 0, stdout, stderr: '' }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
const stackProcesses = () =>
  run('pgrep', ['-f', '--', `-Dlocal.stack.home=${home} `]).then(
    ({ stdout }) => stdout.trim().split('\n').filter(Boolean),
    () => [] as string[],
  );

let bus: MessageBus;
let admin: Admin;
// a third-party view of the cluster (kafkajs directly): replicas, ISR and topic configs
const inspector = new Kafka({ clientId: 'cluster-test', brokers, logLevel: logLevel.NOTHING }).admin();

beforeAll(async () => {
  const up = await stack('up');
  expect(up.code, up.stdout + up.stderr).toBe(0);
  bus = createKafkajsBus({ brokers, clientId: 'cluster-test', logger: createLogger({ service: 'test', level: 'fatal' }) });
  admin = await bus.admin();
  await inspector.connect();
}, 180_000);

afterAll(async () => {
  await admin?.disconnect().catch(() => {});
  await inspector.disconnect().catch(() => {});
  await stack('down');
  if (!process.env.KEEP_STACK_HOME) rmSync(home, { recursive: true, force: true });
}, 60_000);

const replicaState = async (topic: string) => {
  const {
    topics: [meta],
  } = await inspector.fetchTopicMetadata({ topics: [topic] });
  return meta!.partitions.map((p) => ({ partition: p.partitionId, replicas: p.replicas.length, isr: p.isr.length, leader: p.leader }));
};

describe('STACK_BROKERS=3', () => {
  it('runs three brokers and says how to reach them', async () => {
    expect(await stackProcesses()).toHaveLength(3);
    const status = await stack('status');
    for (const n of [1, 2, 3]) expect(status.stdout).toMatch(new RegExp(`kafka-${n} +up +127\\.0\\.0\\.1:${ports[n - 1]}`));
    const env = await stack('env');
    expect(env.stdout).toContain(`KAFKA_BROKERS=${brokers.join(',')}`);
    expect(env.stdout).toContain('TOPIC_REPLICATION_FACTOR=3');
    expect(env.stdout).toContain('TOPIC_MIN_INSYNC_REPLICAS=2');
    const cluster = await inspector.describeCluster();
    expect(cluster.brokers.map((b) => b.port).sort()).toEqual(ports);
  });

  it('keeps writing and reading with one broker killed, and takes it back into every ISR', async () => {
    const topic = uniqueName('cluster');
    // the way services create their topics: the catalogue entry, replication 3, min ISR from topicSpec
    await admin.ensureTopics([topicSpec({ ...topics.events, name: topic }, 3)]);
    const { resources } = await inspector.describeConfigs({
      resources: [{ type: kafkajs.ConfigResourceTypes.TOPIC, name: topic, configNames: ['min.insync.replicas'] }],
      includeSynonyms: false,
    });
    expect(resources[0]!.configEntries.find((e) => e.configName === 'min.insync.replicas')?.configValue).toBe('2');
    await waitFor('every replica in sync', async () => (await replicaState(topic)).every((p) => p.replicas === 3 && p.isr === 3));

    const producer = await bus.producer();
    const batch = (from: number) =>
      Array.from({ length: 300 }, (_, i) => ({ topic, key: `k${from + i}`, value: Buffer.from(String(from + i)) }));
    await producer.send(batch(0));

    // broker 2 leads some partitions of the topic (6 partitions over 3 brokers) and may be a coordinator
    const killed = await stack('kill-broker', '2');
    expect(killed.code, killed.stderr).toBe(0);
    expect(await stackProcesses()).toHaveLength(2);
    expect((await stack('status')).stdout).toMatch(/kafka-2 +down/);
    await waitFor('the partitions to have leaders on the other brokers', async () =>
      (await replicaState(topic)).every((p) => p.leader !== 2 && p.leader >= 0 && p.isr === 2),
    );
    // acks=all with min ISR 2: two brokers are enough to write
    await producer.send(batch(300));
    await producer.disconnect();
    const read = await readAll(bus, admin, topic);
    const values = read.map((m) => Number(String(m.value)));
    expect(values).toHaveLength(600);
    expect(new Set(values).size).toBe(600);

    const started = await stack('start-broker', '2');
    expect(started.code, started.stderr).toBe(0);
    expect(started.stdout).toContain(`kafka-2 ready on 127.0.0.1:${ports[1]}`);
    await waitFor('broker 2 back in every ISR', async () => (await replicaState(topic)).every((p) => p.isr === 3), { timeoutMs: 60_000 });
    expect((await stack('kill-broker', '4')).code).not.toBe(0);
  }, 150_000);

  it('stops every broker with down, and keeps the cluster’s shape for the next up', async () => {
    expect((await stack('down')).code).toBe(0);
    expect(await stackProcesses()).toEqual([]);
    const status = await stack('status');
    expect(status.code).not.toBe(0);
    expect(status.stdout).toMatch(/kafka-3 +down/);
    // a different shape on the same home is refused, not silently mixed
    const mixed = await run('bash', [join(root, 'stack/stack.sh'), 'status'], { env: { ...stackEnv, STACK_BROKERS: '1' } }).catch(
      (error: { stderr: string }) => error,
    );
    expect(mixed).toMatchObject({ stderr: expect.stringContaining('STACK_BROKERS=3') });
  }, 60_000);
});
