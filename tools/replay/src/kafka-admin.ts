/**
 * The few admin calls the project's bus interface lacks (offsets by time, group state, setting a group's
 * offsets), on kafkajs directly. Only the replay tool uses them.
 */

import { Kafka, logLevel } from 'kafkajs';

export interface GroupState {
  state: string;
  members: number;
}

export interface ReplayAdmin {
  /** per partition, the first offset whose timestamp is at or after `ms`; the end where there is none */
  offsetsAtTimestamp(topic: string, ms: number): Promise<Map<number, bigint>>;
  groupState(groupId: string): Promise<GroupState>;
  setGroupOffsets(groupId: string, topic: string, offsets: Array<{ partition: number; offset: string }>): Promise<void>;
  disconnect(): Promise<void>;
}

export async function createReplayAdmin(brokers: string[], clientId = 'register-feeds-replay'): Promise<ReplayAdmin> {
  const admin = new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING, retry: { retries: 5 } }).admin();
  await admin.connect();
  return {
    async offsetsAtTimestamp(topic, ms) {
      const [byTime, ends] = await Promise.all([admin.fetchTopicOffsetsByTimestamp(topic, ms), admin.fetchTopicOffsets(topic)]);
      const high = new Map(ends.map((e) => [e.partition, BigInt(e.high)]));
      return new Map(byTime.map((p) => [p.partition, p.offset === '-1' ? (high.get(p.partition) ?? 0n) : BigInt(p.offset)]));
    },
    async groupState(groupId) {
      const { groups } = await admin.describeGroups([groupId]);
      const group = groups[0];
      return { state: group?.state ?? 'Dead', members: group?.members.length ?? 0 };
    },
    setGroupOffsets: (groupId, topic, partitions) => admin.setOffsets({ groupId, topic, partitions }),
    disconnect: () => admin.disconnect(),
  };
}
