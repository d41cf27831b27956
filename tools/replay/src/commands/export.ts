/**
 * export: a topic, from the beginning to its end as of the start, into a JSON Lines file, per partition
 * in offset order. Written to a temporary file next to the target and renamed into place only when the
 * whole topic passed: a refusal (person data) or a failure leaves no file behind.
 *
 * Whether the topic may be exported is its class's decision (topic-policy.ts). With --rekey the topic is
 * read twice: once to find every person it holds, once to rekey each record and check its output for any
 * of them (rekey-run.ts) before the line is written.
 */

import { randomBytes } from 'node:crypto';
import { type FileHandle, open, rename, rm } from 'node:fs/promises';
import { type ConsumedMessage, createProgress, type SchemaRegistryClient, topicClass } from '@register-feeds/service-kit';
import type { ReplayContext } from '../context.ts';
import { position, progressOf } from '../context.ts';
import { type ExportedRecord, encodeLine } from '../jsonl.ts';
import { isWireFormat, registryCodec } from '../opened.ts';
import { findPersonData, jsonReplacer, parseJson, personDataFound } from '../person-data.ts';
import { rangesOf, readTopic, recordsIn } from '../read-topic.ts';
import { createRekeyRun, droppedNote, type SourceRecord } from '../rekey-run.ts';
import { handlingOf } from '../topic-policy.ts';

export interface ExportOptions {
  topic: string;
  out: string;
  decode?: boolean;
  allowPersonalData?: boolean;
  rekey?: boolean;
}

export interface ExportResult {
  records: number;
  out: string;
  /** with --rekey: values and bytes fields written as null because what they hold could not be seen */
  dropped: number;
}

/** The value as --decode shows it: Avro through the registry, JSON parsed, anything else left as bytes. */
export async function decodeValue(
  registry: SchemaRegistryClient,
  value: Buffer | null,
): Promise<Pick<ExportedRecord, 'value' | 'valueJson' | 'valueSchemaId'>> {
  if (value !== null && isWireFormat(value)) {
    try {
      return { valueJson: await registry.decode(value), valueSchemaId: value.readInt32BE(1) };
    } catch {
      return { value };
    }
  }
  const json = parseJson(value);
  return json === undefined ? { value } : { valueJson: json };
}

export async function exportTopic(ctx: ReplayContext, options: ExportOptions): Promise<ExportResult> {
  // refused by the topic's class before anything is read or a file is made
  const handling = handlingOf(options.topic, (ctx.classOf ?? topicClass)(options.topic), options);
  const run = handling === 'rekey' ? createRekeyRun({ codec: registryCodec(ctx.registry) }) : undefined;
  const admin = await ctx.bus.admin();
  const partial = `${options.out}.partial-${process.pid}-${randomBytes(3).toString('hex')}`;
  let file: FileHandle | undefined;
  let records = 0;
  let dropped = 0;
  let done = false;
  try {
    const ranges = rangesOf(await admin.topicOffsets(options.topic));
    const decoded = (m: ConsumedMessage) => (options.decode ? decodeValue(ctx.registry, m.value) : Promise.resolve({ value: m.value }));
    const source = (m: ConsumedMessage, d: Awaited<ReturnType<typeof decoded>>): SourceRecord => ({
      key: m.key,
      headers: m.headers,
      value: 'valueJson' in d && d.valueJson !== undefined ? d.valueJson : d.value,
    });
    if (run) {
      // pass 1: every person the topic holds, so that pass 2 can check each output against all of them
      const tracing = createProgress(progressOf(ctx, 'export (finding persons)', recordsIn(ranges)));
      let traced = 0;
      await readTopic({
        bus: ctx.bus,
        admin,
        topic: options.topic,
        ranges,
        onMessages: async (messages) => {
          for (const m of messages) await run.trace(source(m, await decoded(m)));
          traced += messages.length;
          tracing.update(traced);
          return undefined;
        },
      });
      tracing.finish(traced, 'traced');
    }

    file = await open(partial, 'w');
    const progress = createProgress(progressOf(ctx, 'export', recordsIn(ranges)));
    const toRecord = async (m: ConsumedMessage): Promise<ExportedRecord> => {
      const base = { partition: m.partition, offset: m.offset, timestamp: m.timestamp };
      const d = await decoded(m);
      const where = position(options.topic, m.partition, m.offset);
      if (handling === 'check') {
        const finding = findPersonData({
          key: m.key,
          value: m.value,
          headers: m.headers,
          decodedValue: 'valueJson' in d ? d.valueJson : undefined,
        });
        if (finding) throw personDataFound(`topic ${options.topic}`, finding, where);
      }
      if (!run) return { ...base, key: m.key, headers: m.headers, ...d };
      const rekeyed = await run.rekey(source(m, d), where);
      dropped += rekeyed.dropped;
      const { key, headers, value } = rekeyed.record;
      if (!('valueJson' in d) || d.valueJson === undefined) return { ...base, key, headers, value: value as Buffer | null };
      return { ...base, key, headers, valueJson: value, ...(d.valueSchemaId === undefined ? {} : { valueSchemaId: d.valueSchemaId }) };
    };
    await readTopic({
      bus: ctx.bus,
      admin,
      topic: options.topic,
      ranges,
      onMessages: async (messages) => {
        let text = '';
        for (const m of messages) text += `${encodeLine(await toRecord(m), jsonReplacer)}\n`;
        await (file as FileHandle).write(text);
        records += messages.length;
        progress.update(records);
        return undefined;
      },
    });
    await file.close();
    await rename(partial, options.out);
    done = true;
    progress.finish(records, `written to ${options.out}${run ? ` (rekeyed${dropped > 0 ? `; ${droppedNote(dropped)}` : ''})` : ''}`);
    return { records, out: options.out, dropped };
  } finally {
    if (!done && file) {
      await file.close().catch(() => {});
      await rm(partial, { force: true });
    }
    await admin.disconnect();
  }
}
