/**
 * export: a topic, from the beginning to its end as of the start, into a JSON Lines file, per partition
 * in offset order. Written to a temporary file next to the target and renamed into place only when the
 * whole topic passed: a refusal (person data) or a failure leaves no file behind.
 */

import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import type { ConsumedMessage, SchemaRegistryClient } from '@register-feeds/service-kit';
import type { ReplayContext } from '../context.ts';
import { position } from '../context.ts';
import { type ExportedRecord, encodeLine } from '../jsonl.ts';
import { findPersonData, jsonReplacer, PersonDataRefused, parseJson } from '../person-data.ts';
import { createProgress } from '../progress.ts';
import { rangesOf, readTopic, recordsIn } from '../read-topic.ts';
import { createRekeyer, isWireFormat } from '../rekey.ts';

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
  const rekeyer = options.rekey ? createRekeyer(randomBytes(32)) : undefined;
  const guard = !options.allowPersonalData && !options.rekey;
  const admin = await ctx.bus.admin();
  const partial = `${options.out}.partial-${process.pid}-${randomBytes(3).toString('hex')}`;
  const file = await open(partial, 'w');
  let records = 0;
  let done = false;
  try {
    const ranges = rangesOf(await admin.topicOffsets(options.topic));
    const progress = createProgress({ label: 'export', total: recordsIn(ranges), tty: ctx.tty, write: ctx.stderr });
    const toRecord = async (m: ConsumedMessage): Promise<ExportedRecord> => {
      const base = { partition: m.partition, offset: m.offset, timestamp: m.timestamp, key: m.key, headers: m.headers };
      const decoded = options.decode ? await decodeValue(ctx.registry, m.value) : { value: m.value };
      if (guard) {
        const finding = findPersonData({ key: m.key, value: m.value, headers: m.headers, decodedValue: decoded.valueJson });
        if (finding) throw new PersonDataRefused(`topic ${options.topic}`, finding, position(options.topic, m.partition, m.offset));
      }
      if (!rekeyer) return { ...base, ...decoded };
      if (decoded.valueJson !== undefined) {
        const found = new Set<string>();
        const valueJson = rekeyer.rekeyValue(decoded.valueJson, found);
        const headers = Object.fromEntries(
          Object.entries(m.headers).map(([n, v]) => [n, Buffer.from(rekeyer.rekeyText(v.toString('latin1'), found), 'latin1')]),
        );
        return { ...base, ...decoded, valueJson, headers, key: rekeyer.rekeyKey(m.key, found) };
      }
      return { ...base, ...rekeyer.rekeyRecord({ key: m.key, value: decoded.value ?? null, headers: m.headers }) };
    };
    await readTopic({
      bus: ctx.bus,
      admin,
      topic: options.topic,
      ranges,
      onMessages: async (messages) => {
        let text = '';
        for (const m of messages) text += `${encodeLine(await toRecord(m), jsonReplacer)}\n`;
        await file.write(text);
        records += messages.length;
        progress.update(records);
        return undefined;
      },
    });
    await file.close();
    await rename(partial, options.out);
    done = true;
    progress.finish(records, `written to ${options.out}${options.rekey ? ' (rekeyed)' : ''}`);
    return { records, out: options.out };
  } finally {
    if (!done) {
      await file.close().catch(() => {});
      await rm(partial, { force: true });
    }
    await admin.disconnect();
  }
}
