/**
 * Which instance folds a single-writer projection (kinds.ts): the member of a consumer group on a
 * one-partition topic that is assigned that partition. Kafka's group protocol gives a partition to one
 * member of a generation, moves it when that member leaves or dies (session timeout), and no extra
 * coordination service is needed. Nothing is ever written to the topic; the group commits nothing.
 *
 * A lease alone does not make a single writer: the old holder may still be finishing a batch when the
 * new one starts. The runner therefore also folds only while its input consumer holds every partition
 * of the input topic (projection-runner.ts), which the group protocol gives one member at a time.
 */

import {
  type Consumer,
  defaultRestartPolicy,
  type Logger,
  type MessageBus,
  restartDelayMs,
  type TopicEntry,
} from '@register-feeds/service-kit';

export interface WriterLease {
  held(): boolean;
  /** false once its consumer failed (restarting given up) */
  healthy(): boolean;
  stop(): Promise<void>;
}

const POLL_MS = 250;

/**
 * Joins `groupId` on `topic` and calls `onChange(true)` when this member holds the lease, `onChange(false)`
 * when it lost it; calls never overlap (each awaits the one before). Resolves once the first join has
 * been decided (and its onChange, if any, has run), so a lone instance is the writer when this returns.
 *
 * An `onChange(true)` that fails (the fold could not start: the broker away for a moment) is tried again
 * while the lease is held, after a jittered, doubling wait (the consumers' restart policy): otherwise the
 * holder would follow only, and nobody fold, until the lease moved.
 */
export async function startWriterLease({
  bus,
  topic,
  groupId,
  logger,
  onChange,
}: {
  bus: MessageBus;
  topic: string;
  groupId: string;
  logger: Logger;
  onChange: (held: boolean) => Promise<void>;
}): Promise<WriterLease> {
  const consumer: Consumer = await bus.consumer({ groupId });
  await consumer.subscribe([topic], { fromBeginning: false });
  await consumer.run({ autoCommit: false, eachBatch: async () => {} });

  let held = false;
  let stopped = false;
  const holds = () => consumer.state() === 'running' && consumer.assignment().some((p) => p.topic === topic && p.partition === 0);
  let turn: Promise<void> = Promise.resolve();
  /** the last onChange(true) failed: the lease is held, the fold is not running */
  let startFailed = false;
  let failedStarts = 0;
  let nextStartAt = 0;
  const check = () => {
    turn = turn.then(async () => {
      if (stopped) return;
      const now = holds();
      const retry = now && held && startFailed;
      if (now === held && !retry) return;
      if (retry && Date.now() < nextStartAt) return;
      if (now !== held) {
        held = now;
        logger.info(
          { groupId, held },
          now ? 'writer lease taken: this instance folds the projection' : 'writer lease lost: following only',
        );
      }
      try {
        await onChange(now);
        startFailed = false;
        failedStarts = 0;
      } catch (error) {
        startFailed = now;
        if (!now) {
          logger.error({ err: error, groupId }, 'writer lease change failed');
          return;
        }
        failedStarts++;
        const waitMs = restartDelayMs(failedStarts, defaultRestartPolicy);
        nextStartAt = Date.now() + waitMs;
        logger.error(
          { err: error, groupId, failedStarts, retryInMs: waitMs },
          'writer lease held, but the fold did not start: trying again',
        );
      }
    });
    return turn;
  };

  // the first join decides; a member that is in the group holds the lease or knows another does
  while (consumer.state() === 'starting') await new Promise((r) => setTimeout(r, 50));
  await check();
  const timer = setInterval(check, POLL_MS);
  timer.unref();
  return {
    held: () => held,
    healthy: () => ['starting', 'running', 'restarting'].includes(consumer.state()),
    async stop() {
      clearInterval(timer);
      await turn;
      stopped = true;
      // stop folding before leaving the group, so the next holder never starts beside this one
      if (held) {
        held = false;
        await onChange(false).catch((error: unknown) => logger.error({ err: error, groupId }, 'writer lease change failed'));
      }
      await consumer.disconnect();
    },
  };
}

/** The lease topic: one partition, so one member of each writer group holds it; nothing is written to it. */
export function leaseTopicEntry(name: string): TopicEntry {
  return {
    name,
    class: 'internal',
    key: 'none (nothing is written)',
    value: 'none (nothing is written)',
    partitions: 1,
    config: { 'cleanup.policy': 'delete', 'retention.ms': String(24 * 60 * 60 * 1000) },
    description: 'writer lease of deliver single-writer projections: the member of <group>-writer assigned its partition folds',
  };
}
