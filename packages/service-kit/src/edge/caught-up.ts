import type { Admin } from '../kafka/bus.ts';

/**
 * Whether a consumer group has read a topic up to where the topic ended when this was made: on every
 * partition, the group's committed offset (or the partition's earliest offset, when nothing is committed
 * or retention removed it) at or past the end seen then. What a stateful service's readiness asks: it
 * serves what was there when it started (deliver: its projections folded up to the end of their recipient
 * topics). Once true it stays true (later lag is lag, a metric, not unreadiness). Asks the broker at most
 * once at a time; the ends are read once, at the first call of the returned function.
 */
export function caughtUpWithStart({ admin, groupId, topic }: { admin: Admin; groupId: string; topic: string }): () => Promise<boolean> {
  let ends: Map<number, bigint> | undefined;
  let done = false;
  let asking: Promise<boolean> | undefined;
  const ask = async (): Promise<boolean> => {
    const offsets = await admin.topicOffsets(topic);
    ends ??= new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
    const low = new Map(offsets.map((o) => [o.partition, BigInt(o.low)]));
    const committed = new Map((await admin.groupOffsets(groupId, topic)).map((o) => [o.partition, BigInt(o.offset)]));
    done = [...ends].every(([partition, end]) => {
      const at = committed.get(partition) ?? -1n;
      const earliest = low.get(partition) ?? 0n;
      return (at > earliest ? at : earliest) >= end;
    });
    return done;
  };
  return () => {
    if (done) return Promise.resolve(true);
    asking ??= ask().finally(() => {
      asking = undefined;
    });
    return asking;
  };
}
