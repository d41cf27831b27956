import { randomBytes } from 'node:crypto';
import {
  type Admin,
  type ConsumedMessage,
  createKafkajsBus,
  createLogger,
  createSchemaRegistryClient,
  followTopic,
  type MessageBus,
  type SchemaRegistryClient,
  type TopicSpec,
} from '@register-feeds/service-kit';
import { inject } from 'vitest';

export { keepOutput } from '../setup/child-output.ts';

/** The broker and registry the global setup chose, wired the way services wire them. */
export function testStack(): { bus: MessageBus; registry: SchemaRegistryClient; brokers: string[]; registryUrl: string } {
  const brokers = inject('kafkaBrokers').split(',');
  const registryUrl = inject('schemaRegistryUrl');
  const logger = createLogger({ service: 'test', level: testLogLevel() });
  return {
    bus: createKafkajsBus({ brokers, clientId: 'test', logger }),
    registry: createSchemaRegistryClient({ url: registryUrl }),
    brokers,
    registryUrl,
  };
}

/**
 * The level of service loggers in tests: TEST_LOG_LEVEL when set, else silent, so a run shows vitest's
 * results and not the services' log lines (TEST_LOG_LEVEL=debug to see them while chasing a failure).
 */
export function testLogLevel(): string {
  return process.env.TEST_LOG_LEVEL || 'silent';
}

/**
 * A name no other test uses: every test gets its own topics and consumer groups. Never shaped like a
 * production topic (recipient.*, register.*, feed.*, audit.*): a test run on a developer's stack must not
 * make names that tools, ACLs and people take for the real ones.
 */
export function uniqueName(prefix: string): string {
  if (/^(recipient|register|feed|audit)\./.test(prefix)) {
    throw new Error(`uniqueName('${prefix}'): test names must not look like production topics (recipient.*, register.*, feed.*, audit.*)`);
  }
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export async function createTopics(admin: Admin, ...topics: Array<Partial<TopicSpec> & { name: string }>): Promise<void> {
  await admin.ensureTopics(topics.map((t) => ({ partitions: 1, replicationFactor: 1, ...t })));
}

/** Polls until the condition holds; fails with the description after the timeout. Tests wait on this, never on sleeps. */
export async function waitFor<T>(
  description: string,
  condition: () => T | undefined | false | Promise<T | undefined | false>,
  { timeoutMs = 30_000, intervalMs = 100 } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs}ms waiting for ${description}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Every committed record of a topic, read to its end as of now. */
export async function readAll(bus: MessageBus, admin: Admin, topic: string): Promise<ConsumedMessage[]> {
  const read: ConsumedMessage[] = [];
  const followed = await followTopic({ bus, admin, topic, groupPrefix: 'test-read', onMessages: (m) => void read.push(...m) });
  await followed.caughtUp;
  await followed.stop();
  return read;
}

/** Waits until a consumer group has committed up to the end of every partition of a topic. */
export async function groupCaughtUp(admin: Admin, groupId: string, topic: string, timeoutMs = 90_000): Promise<void> {
  let seen = '';
  await waitFor(
    `${groupId} to commit to the end of ${topic}`,
    async () => {
      const committed = await admin.groupOffsets(groupId, topic);
      const ends = await admin.topicOffsets(topic);
      seen = ends.map((e) => `${e.partition}: ${committed.find((c) => c.partition === e.partition)?.offset}/${e.high}`).join(', ');
      // an empty partition has nothing to commit
      return ends.every((e) => e.high === e.low || committed.find((c) => c.partition === e.partition)?.offset === e.high);
    },
    { timeoutMs, intervalMs: 250 },
  ).catch((error: Error) => {
    throw new Error(`${error.message} (committed/end: ${seen})`);
  });
}
