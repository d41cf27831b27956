/**
 * replay: copies a topic's records (from an offset or a point in time on every partition, up to the end
 * as of the start) into another topic, each to the same partition number, keys, headers and order kept.
 * Whether the source may be copied is its class's decision (topic-policy.ts). With --rekey, Avro values
 * are decoded through the registry, rekeyed and encoded again with the same schema id.
 */

import { type ConsumedMessage, createProgress, type OutgoingMessage, topicClass } from '@register-feeds/service-kit';
import type { ReplayContext } from '../context.ts';
import { position, progressOf, UsageError } from '../context.ts';
import { createReplayAdmin } from '../kafka-admin.ts';
import { registryCodec } from '../opened.ts';
import { findPersonData, personDataFound } from '../person-data.ts';
import { rangesOf, readTopic, recordsIn } from '../read-topic.ts';
import { createRekeyRun, droppedNote } from '../rekey-run.ts';
import { ensureTargetTopic } from '../target-topic.ts';
import { handlingOf } from '../topic-policy.ts';

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
  /** with --rekey: values and bytes fields written as null because what they hold could not be seen */
  dropped: number;
}

export async function replayTopic(ctx: ReplayContext, options: ReplayOptions): Promise<ReplayResult> {
  if (options.fromTopic === options.toTopic) throw new UsageError('--from-topic and --to-topic must differ');
  const handling = handlingOf(options.fromTopic, (ctx.classOf ?? topicClass)(options.fromTopic), options);
  const run = handling === 'rekey' ? createRekeyRun({ codec: registryCodec(ctx.registry) }) : undefined;
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
    const read = (onMessage: (m: ConsumedMessage, where: string) => Promise<void> | void) =>
      readTopic({
        bus: ctx.bus,
        admin,
        topic: options.fromTopic,
        ranges,
        onMessages: async (messages) => {
          for (const m of messages) await onMessage(m, position(options.fromTopic, m.partition, m.offset));
          return undefined;
        },
      });

    // Nothing reaches the target before every record passed: a content check (a class without person
    // data), or with --rekey one pass to find every person and one to rekey and scan each output.
    if (total > 0 && handling === 'check') {
      await read((m, where) => {
        const finding = findPersonData(m);
        if (finding) throw personDataFound(`topic ${options.fromTopic}`, finding, where);
      });
    }
    if (total > 0 && run) {
      await read((m) => run.trace(m));
      await read(async (m, where) => {
        await run.rekey(m, where);
      });
    }

    await ensureTargetTopic(admin, options.toTopic, offsets.length);
    const producer = await ctx.bus.producer();
    const progress = createProgress(progressOf(ctx, 'replay', total));
    let sent = 0;
    let dropped = 0;
    try {
      if (total > 0) {
        await readTopic({
          bus: ctx.bus,
          admin,
          topic: options.fromTopic,
          ranges,
          onMessages: async (messages) => {
            const out: OutgoingMessage[] = [];
            for (const m of messages) {
              let { key, value, headers } = m;
              if (run) {
                // the same run key gives the same output as the checked pass; it is checked again all the same
                const rekeyed = await run.rekey(m, position(options.fromTopic, m.partition, m.offset));
                ({ key, headers } = rekeyed.record);
                value = rekeyed.record.value as Buffer | null;
                dropped += rekeyed.dropped;
              }
              out.push({ topic: options.toTopic, partition: m.partition, key, value, headers });
            }
            await producer.send(out);
            sent += out.length;
            progress.update(sent);
            return undefined;
          },
        });
      }
      const note = run ? ` (rekeyed${dropped > 0 ? `; ${droppedNote(dropped)}` : ''})` : '';
      progress.finish(sent, `${options.fromTopic} -> ${options.toTopic}${note}`);
      return { records: sent, dropped };
    } finally {
      await producer.disconnect();
    }
  } finally {
    await admin.disconnect();
  }
}
