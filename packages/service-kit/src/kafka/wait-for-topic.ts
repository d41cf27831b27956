import type { Logger } from '../log/logger.ts';
import type { Admin } from './bus.ts';

/**
 * Polls, with backoff (50 ms doubling to 1 s), until every partition of the topics has a leader, up to
 * 30 s: a new topic's metadata reaches the broker's cache a moment after creation, and a client's own wait
 * can give up under load with "does not host this topic-partition". `allLed` asks the client's metadata.
 */
export async function waitForLeaders(names: string[], allLed: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    try {
      if (await allLed()) return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) throw new Error(`topics ${names.join(', ')} have no leader after 30 s`);
    await new Promise((r) => setTimeout(r, delay));
  }
}

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
