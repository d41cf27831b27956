/**
 * Reads the canonical history (register.events.v1, kept forever) from the beginning of every partition up
 * to where it ended when reading began, then stops: a snapshot is of the history as it stood when it was
 * asked for, and records written meanwhile are left out. Through service-kit's followTopic (a throwaway
 * group, nothing committed), decoded with the canonical schema the way pseudonymise decodes it.
 *
 * A record that can never be read (not Avro of a known schema) is counted and skipped, as pseudonymise
 * dead-letters it: the stream never delivered it either. A registry that does not answer fails the read.
 */

import type { RegisterEvent } from '@register-feeds/register-model';
import {
  type Admin,
  followTopic,
  loadAvroSchema,
  type MessageBus,
  RecordUndecodableError,
  SchemaNotFoundError,
  type SchemaRegistryClient,
} from '@register-feeds/service-kit';
import type { TopicPosition } from './bitemporal.ts';

export interface HistoryProgress {
  /** records read so far (undecodable ones included) */
  records: number;
  /** records in the history when reading began */
  total: number;
}

export interface HistoryRead {
  records: number;
  undecodable: number;
  /** per partition, the end (exclusive) the read stopped at */
  ends: Array<{ partition: number; offset: string }>;
}

/** The event and where it is; raw is the record's value as written (wire format), for a consumer to keep. */
export type HistoryHandler = (event: RegisterEvent, position: TopicPosition, raw: Buffer) => void;

export async function readHistory({
  bus,
  admin,
  registry,
  topic,
  onEvent,
  onProgress,
}: {
  bus: MessageBus;
  admin: Admin;
  registry: SchemaRegistryClient;
  topic: string;
  onEvent: HistoryHandler;
  onProgress?: (progress: HistoryProgress) => void;
}): Promise<HistoryRead> {
  const offsets = await admin.topicOffsets(topic);
  const ranges = new Map(offsets.map((p) => [p.partition, { from: BigInt(p.low), to: BigInt(p.high) }]));
  // the next offset to take per partition: a consumer that restarts (a broker hiccup) reads from the
  // beginning again, nothing being committed; what was taken already is not taken twice
  const next = new Map(offsets.map((p) => [p.partition, BigInt(p.low)]));
  const total = offsets.reduce((n, p) => n + Number(BigInt(p.high) - BigInt(p.low)), 0);
  const readerSchema = loadAvroSchema('register-event.avsc');
  let records = 0;
  let undecodable = 0;
  let failure: unknown;
  let markFailed!: () => void;
  const failed = new Promise<void>((resolve) => {
    markFailed = resolve;
  });

  const followed = await followTopic({
    bus,
    admin,
    topic,
    groupPrefix: 'snapshot-read',
    // it stops once caught up, and stop() waits for the fetch in flight: kafkajs's 5 s long poll by default
    maxWaitTimeMs: 100,
    onMessages: async (messages) => {
      if (failure !== undefined) return;
      try {
        for (const message of messages) {
          const range = ranges.get(message.partition);
          const offset = BigInt(message.offset);
          if (range === undefined || offset < (next.get(message.partition) as bigint) || offset >= range.to) continue;
          next.set(message.partition, offset + 1n);
          records++;
          if (message.value === null) {
            undecodable++;
            continue;
          }
          let event: RegisterEvent;
          try {
            event = await registry.decode<RegisterEvent>(message.value, readerSchema);
          } catch (error) {
            if (error instanceof RecordUndecodableError || error instanceof SchemaNotFoundError) {
              undecodable++;
              continue;
            }
            throw error;
          }
          onEvent(event, { partition: message.partition, offset: Number(offset) }, message.value);
        }
        onProgress?.({ records, total });
      } catch (error) {
        failure = error;
        markFailed();
      }
    },
  });
  try {
    await Promise.race([followed.caughtUp, failed]);
  } finally {
    await followed.stop();
  }
  if (failure !== undefined) throw failure;
  return {
    records,
    undecodable,
    ends: offsets.map((p) => ({ partition: p.partition, offset: p.high })),
  };
}
