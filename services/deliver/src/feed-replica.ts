/**
 * A read replica of one projection: its compacted feed, read from the beginning and followed for as long
 * as deliver runs, read_committed, outside any shared group. This is what the read API serves on every
 * instance, whichever instance wrote a row: nothing that was not committed to the feed is ever in it.
 *
 * An instance's own commits are shown at once (publish, after the commit), before the follower reads
 * them back; until it does, the follower leaves such a key alone unless it reads the very value
 * published, so an older write of the key by another instance, still on its way to the follower, cannot
 * take the replica back. (Should compaction remove the published record before the follower gets to it,
 * the key waits for the next value read or published: a follower that far behind is an outage of its own.)
 */

import { randomUUID } from 'node:crypto';
import type { Admin, ConsumedMessage, Consumer, MessageBus } from '@register-feeds/service-kit';
import { decodeFeedValue } from './feed-value.ts';
import type { Projection } from './projections/index.ts';

export interface FeedRecord {
  key: string;
  /** JSON text of the row; null: a tombstone */
  value: string | null;
}

export interface FeedReplica {
  /** what the feed holds, as far as read, and this instance's own commits */
  state(): unknown;
  /** changes whenever state() may have: readers keep what they derived from state() while it stays */
  version(): number;
  /** this instance's feed records of a transaction that committed */
  publish(records: readonly FeedRecord[]): void;
  /** resolves once every partition is read up to where it ended at the call: every commit before it is in state() */
  syncToEnd(): Promise<void>;
  /** a state of its own (no row object shared) with the replica's rows: where a writer folds */
  snapshot(): unknown;
  /**
   * Holds the follower between batches until the returned release is called: meanwhile state() changes
   * only by publish. A rebuild's switch (rebuild.ts): readers see the old rows until the rebuilt ones are
   * published at once, never the rebuilt rows the follower reads back one batch at a time.
   */
  hold(): () => void;
  /**
   * Serves `next` from now on, as what the feed holds: this instance has just committed the changes that
   * make the feed equal to it, with the follower read to the feed's end before and held since (a
   * rebuild's switch); the follower reads those changes back as values `next` already has.
   */
  replace(next: unknown): void;
  /** false once its consumer failed or stopped: then state() is no longer followed */
  healthy(): boolean;
  stop(): Promise<void>;
}

export async function startFeedReplica({
  bus,
  projection,
  feedTopic,
  groupPrefix,
}: {
  bus: MessageBus;
  projection: Projection<unknown>;
  feedTopic: string;
  groupPrefix: string;
}): Promise<FeedReplica> {
  const admin: Admin = await bus.admin();
  let state = projection.emptyState();
  let version = 0;
  /** per partition, the last offset read (transaction markers and aborted records included) */
  const read = new Map<number, bigint>();
  /** published values the follower has not read back yet */
  const pending = new Map<string, string | null>();
  /**
   * Values the follower read since the last publish. A commit can be read back before its publish runs
   * (the follower's fetch and the commit's answer race); such a value must not go into `pending`, where it
   * would wait for a read that already happened and hide every later write of the key by another
   * instance. Bounded: an instance that never publishes (not the writer) forgets past the limit; the race
   * lasts from a commit to its publish, far fewer records than that.
   */
  const readSincePublish = new Map<string, string | null>();
  const READ_SINCE_PUBLISH_LIMIT = 100_000;
  let waiters: Array<{ ends: Map<number, bigint>; resolve: () => void }> = [];
  /** while set, the follower waits before its next batch (hold) */
  let held: PromiseWithResolvers<void> | undefined;

  const reached = (ends: Map<number, bigint>) => [...ends].every(([partition, last]) => (read.get(partition) ?? -1n) >= last);
  const settle = () => {
    waiters = waiters.filter((w) => {
      if (!reached(w.ends)) return true;
      w.resolve();
      return false;
    });
  };
  const apply = (m: ConsumedMessage) => {
    const key = m.key?.toString();
    if (key === undefined) return;
    const value = m.value === null ? null : m.value.toString();
    if (readSincePublish.size >= READ_SINCE_PUBLISH_LIMIT) readSincePublish.clear();
    readSincePublish.set(key, value);
    if (pending.has(key)) {
      if (pending.get(key) === value) pending.delete(key);
      return; // what this instance published is newer than anything before it in the feed
    }
    projection.load(state, key, value === null ? null : decodeFeedValue(projection, value));
    version++;
  };

  const consumer: Consumer = await bus.consumer({ groupId: `${groupPrefix}-${randomUUID()}`, readCommitted: true });
  consumer.onProgress(({ partition, lastOffset }) => {
    const last = BigInt(lastOffset);
    if (last > (read.get(partition) ?? -1n)) read.set(partition, last);
    settle();
  });
  await consumer.subscribe([feedTopic], { fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async (batch, context) => {
      // held: wait, heartbeating so the throwaway group keeps this member (a rejoin would read it all again)
      while (held) {
        await Promise.race([held.promise, new Promise((r) => setTimeout(r, 1_000))]);
        await context.heartbeat();
      }
      for (const m of batch.messages) apply(m);
    },
  });

  const syncToEnd = async (): Promise<void> => {
    const offsets = await admin.topicOffsets(feedTopic);
    const ends = new Map(offsets.filter((p) => BigInt(p.high) > BigInt(p.low)).map((p) => [p.partition, BigInt(p.high) - 1n]));
    if (reached(ends)) return;
    await new Promise<void>((resolve) => {
      waiters.push({ ends, resolve });
    });
  };
  await syncToEnd();

  return {
    state: () => state,
    version: () => version,
    publish(records) {
      version++;
      for (const { key, value } of records) {
        // already read back (the follower was quicker than this call): nothing left to wait for
        if (!readSincePublish.has(key) || readSincePublish.get(key) !== value) pending.set(key, value);
        projection.load(state, key, value === null ? null : decodeFeedValue(projection, value));
      }
      readSincePublish.clear();
    },
    syncToEnd,
    snapshot() {
      const copy = projection.emptyState();
      for (const [key, row] of projection.rows(state)) projection.load(copy, key, structuredClone(row));
      return copy;
    },
    replace(next) {
      state = next;
      version++;
      pending.clear(); // every value published before is in the feed, read up to its end, and so in `next`
    },
    hold() {
      const gate = Promise.withResolvers<void>();
      held = gate;
      return () => {
        if (held === gate) held = undefined;
        gate.resolve();
      };
    },
    healthy: () => ['starting', 'running', 'restarting'].includes(consumer.state()),
    async stop() {
      for (const w of waiters) w.resolve(); // nobody waits for a replica that stopped
      waiters = [];
      held?.resolve();
      held = undefined;
      await consumer.disconnect();
      await admin.disconnect().catch(() => {});
    },
  };
}
