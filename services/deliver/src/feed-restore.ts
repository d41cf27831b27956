import { type Admin, followTopic, type MessageBus } from '@register-feeds/service-kit';
import { decodeFeedValue } from './feed-value.ts';
import type { Projection } from './projections/index.ts';

/** A projection's state read back from its compacted feed: the last value per key, tombstones dropped. */
export async function restoreProjection({
  bus,
  admin,
  projection,
  feedTopic,
  groupPrefix,
}: {
  bus: MessageBus;
  admin: Admin;
  projection: Projection<unknown>;
  feedTopic: string;
  groupPrefix: string;
}): Promise<{ state: unknown; rows: number }> {
  const latest = await readFeed({ bus, admin, feedTopic, groupPrefix });
  return { state: loadState(projection, latest), rows: latest.size };
}

/** The last value of every key of a compacted feed, as JSON text; tombstones dropped. */
async function readFeed({
  bus,
  admin,
  feedTopic,
  groupPrefix,
}: {
  bus: MessageBus;
  admin: Admin;
  feedTopic: string;
  groupPrefix: string;
}): Promise<Map<string, string>> {
  const latest = new Map<string, string>();
  const followed = await followTopic({
    bus,
    admin,
    topic: feedTopic,
    groupPrefix,
    onMessages: (messages) => {
      for (const m of messages) {
        const key = m.key?.toString();
        if (key === undefined) continue;
        if (m.value === null) latest.delete(key);
        else latest.set(key, m.value.toString());
      }
    },
  });
  await followed.caughtUp;
  await followed.stop();
  return latest;
}

/** A state of rows parsed anew, so that no two states share a row object. */
function loadState(projection: Projection<unknown>, rows: Map<string, string>): unknown {
  const state = projection.emptyState();
  for (const [key, row] of rows) projection.load(state, key, decodeFeedValue(projection, row));
  return state;
}
