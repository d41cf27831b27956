/**
 * Reads a topic's partitions from a start offset each up to where they ended when reading began, through
 * service-kit's followTopic (a throwaway group, nothing committed). The handler may end the read early by
 * returning 'stop' or by throwing (the error comes back from readTopic, the batch is not re-delivered).
 */

import { type Admin, type ConsumedMessage, followTopic, type MessageBus, type PartitionOffsets } from '@register-feeds/service-kit';

export interface ReadRange {
  partition: number;
  /** first offset to hand over */
  from: bigint;
  /** offset of the next record to be written when reading began: the end, exclusive */
  to: bigint;
}

/** From the beginning (or `from`, per partition) to the end as of now. */
export function rangesOf(offsets: PartitionOffsets[], from?: Map<number, bigint>): ReadRange[] {
  return offsets.map((p) => {
    const low = BigInt(p.low);
    const start = from?.get(p.partition) ?? low;
    return { partition: p.partition, from: start > low ? start : low, to: BigInt(p.high) };
  });
}

export const recordsIn = (ranges: ReadRange[]): number => ranges.reduce((n, r) => n + Math.max(0, Number(r.to - r.from)), 0);

export async function readTopic({
  bus,
  admin,
  topic,
  ranges,
  onMessages,
}: {
  bus: MessageBus;
  admin: Admin;
  topic: string;
  ranges: ReadRange[];
  onMessages: (messages: ConsumedMessage[]) => Promise<'stop' | undefined> | 'stop' | undefined;
}): Promise<{ stoppedEarly: boolean }> {
  const byPartition = new Map(ranges.map((r) => [r.partition, r]));
  let finished = false;
  let failure: unknown;
  let stoppedEarly = false;
  let markEnded!: () => void;
  const ended = new Promise<void>((resolve) => {
    markEnded = resolve;
  });
  const followed = await followTopic({
    bus,
    admin,
    topic,
    groupPrefix: 'replay-read',
    onMessages: async (messages) => {
      if (finished) return;
      const wanted = messages.filter((m) => {
        const range = byPartition.get(m.partition);
        const offset = BigInt(m.offset);
        return range !== undefined && offset >= range.from && offset < range.to;
      });
      if (wanted.length === 0) return;
      try {
        if ((await onMessages(wanted)) === 'stop') {
          finished = true;
          stoppedEarly = true;
          markEnded();
        }
      } catch (error) {
        finished = true;
        failure = error;
        markEnded();
      }
    },
  });
  try {
    await Promise.race([followed.caughtUp, ended]);
    finished = true;
  } finally {
    await followed.stop();
  }
  if (failure !== undefined) throw failure;
  return { stoppedEarly };
}
