import type { Logger } from '../log/logger.ts';
import type { Admin } from './bus.ts';

/**
 * Waits, with backoff, until a topic another service owns exists: a consumer should not create it with
 * the wrong settings, nor crash because its producer has not started yet.
 */
export async function waitForTopic(admin: Admin, topic: string, logger: Logger, { timeoutMs = 10 * 60_000 } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let delay = 250;
  let told = false;
  for (;;) {
    if ((await admin.listTopics()).includes(topic)) return;
    if (Date.now() > deadline)
      throw new Error(`topic ${topic} does not exist after ${timeoutMs / 1000}s: is the service that owns it running?`);
    if (!told) {
      logger.info({ topic }, 'waiting for the topic to be created by its owner');
      told = true;
    }
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 5_000);
  }
}
