import { randomBytes } from 'node:crypto';
import {
  type Admin,
  createKafkajsBus,
  createLogger,
  createSchemaRegistryClient,
  type MessageBus,
  type SchemaRegistryClient,
  type TopicSpec,
} from '@register-feeds/service-kit';
import { inject } from 'vitest';

/** The broker and registry the global setup chose, wired the way services wire them. */
export function testStack(): { bus: MessageBus; registry: SchemaRegistryClient; brokers: string[]; registryUrl: string } {
  const brokers = inject('kafkaBrokers').split(',');
  const registryUrl = inject('schemaRegistryUrl');
  const logger = createLogger({ service: 'test', level: process.env.TEST_LOG_LEVEL ?? 'warn' });
  return {
    bus: createKafkajsBus({ brokers, clientId: 'test', logger }),
    registry: createSchemaRegistryClient({ url: registryUrl }),
    brokers,
    registryUrl,
  };
}

/** A name no other test uses: every test gets its own topics and consumer groups. */
export function uniqueName(prefix: string): string {
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
