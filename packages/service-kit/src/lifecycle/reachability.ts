import type { MessageBus } from '../kafka/bus.ts';

/**
 * Fails fast, with a message that says what to do, when the broker or the registry does not answer:
 * better one clear line at start than a service that retries in silence.
 */
export async function assertStackReachable({
  bus,
  brokers,
  registryUrl,
}: {
  bus: MessageBus;
  brokers: string[];
  registryUrl: string;
}): Promise<void> {
  try {
    const admin = await bus.admin();
    await admin.listTopics();
    await admin.disconnect();
  } catch (error) {
    throw new Error(`Kafka at ${brokers.join(',')} does not answer (is the stack up? npm run stack:up): ${(error as Error).message}`, {
      cause: error,
    });
  }
  const response = await fetch(`${registryUrl}/subjects`).catch((error: Error) => error);
  if (response instanceof Error || !response.ok) {
    const why = response instanceof Error ? response.message : `HTTP ${response.status}`;
    throw new Error(`schema registry at ${registryUrl} does not answer (is the stack up? npm run stack:up): ${why}`);
  }
}
