import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { rawPersonKey } from '@register-feeds/contracts';
import { type Deliver, settings as deliverSettings, startDeliver } from '@register-feeds/deliver';
import { type IngestPipeline, settings as ingestSettings, startIngest } from '@register-feeds/ingest';
import {
  createKeyStore,
  generateTestKeys,
  loadAgreements,
  type PseudonymisePipeline,
  settings as pseudonymiseSettings,
  startPseudonymise,
} from '@register-feeds/pseudonymise';
import {
  commonSettings,
  createKafkajsBus,
  createLogger,
  createSchemaRegistryClient,
  kafkaAuthFromSettings,
  loadConfig,
  topics,
} from '@register-feeds/service-kit';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAclInputs } from '../stack/acls.ts';
import { ingestPartitionKeyFile } from './support/ingest-key.ts';
import { rawEvents } from './support/raw-events.ts';
import { waitFor } from './support/stack.ts';

// THE SERVICES UNDER THEIR ACLs (issue 12, part 5): the whole pipeline on a secured stack of its OWN
// (STACK_SECURITY=scram, registry included, own STACK_HOME under /tmp, own ports), each service in-process
// on a bus of its own principal (KAFKA_SASL_* settings, password file from the stack; TLS verified against the
// stack's own CA, KAFKA_SSL_CA_FILE), the raw events written by the `register` principal. Every raw event must
// reach every recipient it is meant for and the feeds, with no dead letter: proof that stack/acls.ts gives
// each service what it uses (the negative side, what it must not do, is test/acl.int.spec.ts). The registry
// keeps its schemas in the secured Kafka (its kafkasql client on SASL_SSL too).

const { Kafka, logLevel } = kafkajs;
const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const home = mkdtempSync(join(tmpdir(), 'acl-services-'));
// below 32768, outside Linux's ephemeral range (32768-60999): a port in it may be taken by an outgoing connection when the stack binds it
const KAFKA_PORT = 24092;
const REGISTRY_PORT = 24080;
const brokers = `127.0.0.1:${KAFKA_PORT}`;
const registryUrl = `http://127.0.0.1:${REGISTRY_PORT}/apis/ccompat/v7`;
const stackEnv = {
  ...process.env,
  STACK_HOME: home,
  STACK_DIST: join(root, '.local/stack/dist'),
  STACK_SECURITY: 'scram',
  STACK_KAFKA_PORT: String(KAFKA_PORT),
  STACK_CONTROLLER_PORT: '24093',
  STACK_REGISTRY_PORT: String(REGISTRY_PORT),
  STACK_REGISTRY_MANAGEMENT_PORT: '24000',
};
const stack = (...args: string[]) => run('bash', [join(root, 'stack/stack.sh'), ...args], { env: stackEnv, maxBuffer: 8 * 1024 * 1024 });
const logger = createLogger({ service: 'acl-services', level: process.env.TEST_LOG_LEVEL ?? 'warn' });
const passwordFile = (principal: string) => join(home, 'secrets', `${principal}.password`);
const caFile = join(home, 'secrets', 'tls', 'ca.pem');
// what a service's main.ts is given: the common settings with its principal
const base = (principal: string) => ({
  KAFKA_BROKERS: brokers,
  SCHEMA_REGISTRY_URL: registryUrl,
  LOG_LEVEL: 'warn',
  KAFKA_SASL_MECHANISM: 'scram-sha-512',
  KAFKA_SASL_USERNAME: principal,
  KAFKA_SASL_PASSWORD_FILE: passwordFile(principal),
  KAFKA_SSL_CA_FILE: caFile,
});
const buses: Array<ReturnType<typeof createKafkajsBus>> = [];
function busOf(principal: string, config: Parameters<typeof kafkaAuthFromSettings>[0]) {
  const bus = createKafkajsBus({ brokers: [brokers], clientId: `acl-services-${principal}`, logger, auth: kafkaAuthFromSettings(config) });
  buses.push(bus);
  return bus;
}

let ingest: IngestPipeline | undefined;
let pseudonymise: PseudonymisePipeline | undefined;
let deliver: Deliver | undefined;
const today = () => Date.UTC(2026, 9, 1);

beforeAll(async () => {
  await stack('up');
}, 240_000);

afterAll(async () => {
  await deliver?.stop().catch(() => {});
  await pseudonymise?.stop().catch(() => {});
  await ingest?.stop().catch(() => {});
  await stack('down');
  if (!process.env.KEEP_STACK_HOME) rmSync(home, { recursive: true, force: true });
}, 90_000);

describe('the services on a secured stack, each as its own principal', () => {
  it('carry every raw event to the recipients and the feeds with only the rights stack/acls.ts gives them', async () => {
    const registry = createSchemaRegistryClient({ url: registryUrl });
    const ingestConfig = loadConfig(ingestSettings, { ...base('ingest'), INGEST_PARTITION_KEY_FILE: ingestPartitionKeyFile() });
    ingest = await startIngest({ config: ingestConfig, bus: busOf('ingest', ingestConfig), registry, logger });

    const agreements = loadAgreements(join(root, 'agreements'));
    const pseudonymiseConfig = loadConfig(pseudonymiseSettings, { ...base('pseudonymise'), PSEUDONYM_KEYS_FILE: '/unused' });
    pseudonymise = await startPseudonymise({
      config: pseudonymiseConfig,
      agreements,
      keys: createKeyStore(generateTestKeys(agreements.map((a) => a.recipient))),
      bus: busOf('pseudonymise', pseudonymiseConfig),
      registry,
      logger,
      clock: today,
    });

    const inputs = loadAclInputs(root);
    const deliverConfig = loadConfig(deliverSettings, {
      ...base('deliver'),
      DELIVER_HTTP_PORT: '0',
      DELIVER_API_TOKENS: inputs.recipients
        .filter((r) => r.feed)
        .map((r) => `${r.id}:${randomBytes(16).toString('hex')}`)
        .join(','),
    });
    deliver = await startDeliver({ config: deliverConfig, bus: busOf('deliver', deliverConfig), registry, logger, clock: today });

    // the register writes the raw events as its own principal
    const events = rawEvents({ persons: 40, eventsPerPerson: 3 });
    const register = busOf('register', loadConfig(commonSettings, base('register')));
    const producer = await register.producer();
    await producer.send(
      events.map((e) => {
        const line = JSON.stringify(e);
        return { topic: topics.raw.name, key: rawPersonKey(line), value: line };
      }),
    );
    await producer.disconnect();

    // counted by the super user with a plain client, not by the services' own metrics
    const admin = new Kafka({
      clientId: 'acl-services-check',
      brokers: [brokers],
      sasl: { mechanism: 'scram-sha-512', username: 'admin', password: readFileSync(passwordFile('admin'), 'utf8') },
      ssl: { ca: [readFileSync(caFile, 'utf8')] },
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    const count = async (topic: string) =>
      (await admin.fetchTopicOffsets(topic).catch(() => [])).reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
    try {
      // every canonical event processed by pseudonymise, every recipient record by deliver
      const caughtUp = async (groupId: string, topic: string) => {
        const ends = await admin.fetchTopicOffsets(topic);
        const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
        return ends.every((e) => e.high === e.low || committed?.partitions.find((c) => c.partition === e.partition)?.offset === e.high);
      };
      // offsets count transaction markers too: progress is read from the groups' commits, not from counts
      await waitFor('ingest to commit every raw event', () => caughtUp('ingest', topics.raw.name), { timeoutMs: 120_000, intervalMs: 500 });
      expect(await count(topics.events.name)).toBeGreaterThanOrEqual(events.length);
      await waitFor('pseudonymise to commit every event', () => caughtUp('pseudonymise', topics.events.name), {
        timeoutMs: 120_000,
        intervalMs: 500,
      });
      let delivered = 0;
      for (const r of inputs.recipients) {
        const records = await count(r.topic);
        delivered += records;
        if (!r.feed || records === 0) continue;
        await waitFor(`deliver to commit every record of ${r.id}`, () => caughtUp(`deliver-${r.id}`, r.topic), {
          timeoutMs: 120_000,
          intervalMs: 500,
        });
        expect(await count(r.feed), r.feed).toBeGreaterThan(0);
      }
      expect(delivered).toBeGreaterThan(0);
      for (const dlq of [topics.rawDeadLetter.name, topics.eventsDeadLetter.name, topics.deliverDeadLetter.name])
        expect(await count(dlq), dlq).toBe(0);
      for (const bus of buses) expect(bus.healthy()).toBe(true);
    } finally {
      await admin.disconnect();
    }
  }, 300_000);
});
