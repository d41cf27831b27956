/**
 * replay: copies a topic's records (from an offset or a point in time on every partition, up to the end
 * as of the start) into another topic, each to the same partition number, keys, headers and order kept.
 * Unless allowed, a first pass reads the range and refuses at the first person identifier before
 * anything is written; with --rekey it checks instead that every value can be rekeyed (no Avro).
 */

import { randomBytes } from 'node:crypto';
import type { OutgoingMessage } from '@register-feeds/service-kit';
import type { ReplayContext } from '../context.ts';
import { position, UsageError } from '../context.ts';
import { createReplayAdmin } from '../kafka-admin.ts';
import { findPersonData, PersonDataRefused } from '../person-data.ts';
import { createProgress } from '../progress.ts';
import { rangesOf, readTopic, recordsIn } from '../read-topic.ts';
import { CannotRekey, createRekeyer, isWireFormat } from '../rekey.ts';
import { ensureTargetTopic } from '../target-topic.ts';

export interface ReplayOptions {
  fromTopic: string;
  toTopic: string;
  fromOffset?: bigint;
  /** epoch milliseconds */
  fromTimestamp?: number;
  allowPersonalData?: boolean;
  rekey?: boolean;
}

export interface ReplayResult {
  records: number;
}

export async function replayTopic(ctx: ReplayContext, options: ReplayOptions): Promise<ReplayResult> {
  if (options.fromTopic === options.toTopic) throw new UsageError('--from-topic and --to-topic must differ');
  const admin = await ctx.bus.admin();
  try {
    const offsets = await admin.topicOffsets(options.fromTopic);
    let starts: Map<number, bigint> | undefined;
    if (options.fromOffset !== undefined) starts = new Map(offsets.map((p) => [p.partition, options.fromOffset as bigint]));
    if (options.fromTimestamp !== undefined) {
      const kafkaAdmin = await createReplayAdmin(ctx.brokers);
      try {
        starts = await kafkaAdmin.offsetsAtTimestamp(options.fromTopic, options.fromTimestamp);
      } finally {
        await kafkaAdmin.disconnect();
      }
    }
    const ranges = rangesOf(offsets, starts);
    const total = recordsIn(ranges);

    if (!options.allowPersonalData && total > 0) {
      await readTopic({
        bus: ctx.bus,
        admin,
        topic: options.fromTopic,
        ranges,
        onMessages: (messages) => {
          for (const m of messages) {
            const where = position(options.fromTopic, m.partition, m.offset);
            if (options.rekey) {
              if (isWireFormat(m.value))
                throw new CannotRekey(`${where} holds an Avro value: rekey Avro topics with \`export --decode --rekey\``);
            } else {
              const finding = findPersonData(m);
              if (finding) throw new PersonDataRefused(`topic ${options.fromTopic}`, finding, where);
            }
          }
          return undefined;
        },
      });
    }

    await ensureTargetTopic(admin, options.toTopic, offsets.length);
    const rekeyer = options.rekey ? createRekeyer(randomBytes(32)) : undefined;
    const producer = await ctx.bus.producer();
    const progress = createProgress({ label: 'replay', total, tty: ctx.tty, write: ctx.stderr });
    let sent = 0;
    try {
      if (total > 0) {
        await readTopic({
          bus: ctx.bus,
          admin,
          topic: options.fromTopic,
          ranges,
          onMessages: async (messages) => {
            const out = messages.map((m): OutgoingMessage => {
              const { key, value, headers } = rekeyer ? rekeyer.rekeyRecord(m) : m;
              return { topic: options.toTopic, partition: m.partition, key, value, headers };
            });
            await producer.send(out);
            sent += out.length;
            progress.update(sent);
            return undefined;
          },
        });
      }
      progress.finish(sent, `${options.fromTopic} -> ${options.toTopic}${rekeyer ? ' (rekeyed)' : ''}`);
      return { records: sent };
    } finally {
      await producer.disconnect();
    }
  } finally {
    await admin.disconnect();
  }
}
