/**
 * import: a JSON Lines export into a topic, each record to the partition number it was read from, with
 * its key and headers, in file order (per partition the offset order of the export). Two passes over the
 * file: the first checks every line (format, person data, schemas) before anything is produced.
 */

import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadAvroSchema, type OutgoingMessage, valueSubject } from '@register-feeds/service-kit';
import type { ReplayContext } from '../context.ts';
import { UsageError } from '../context.ts';
import { decodeLine, type ExportedRecord } from '../jsonl.ts';
import { findPersonData, PersonDataRefused } from '../person-data.ts';
import { createProgress } from '../progress.ts';
import { CannotRekey, createRekeyer, isWireFormat } from '../rekey.ts';
import { ensureTargetTopic } from '../target-topic.ts';

export interface ImportOptions {
  file: string;
  topic: string;
  allowPersonalData?: boolean;
  rekey?: boolean;
  /** for lines with a decoded Avro value: the schema (a file under schemas/ or a path) to re-encode with */
  schemaFile?: string;
  /** subject to register that schema under (default: <topic>-value) */
  subject?: string;
}

export interface ImportResult {
  records: number;
  partitions: number;
}

const BATCH = 500;

async function* linesOf(file: string): AsyncGenerator<{ record: ExportedRecord; where: string }> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  for await (const text of lines) {
    n++;
    if (text.trim() === '') continue;
    yield { record: decodeLine(text, `${file} line ${n}`), where: `line ${n}` };
  }
}

export async function importFile(ctx: ReplayContext, options: ImportOptions): Promise<ImportResult> {
  const guard = !options.allowPersonalData && !options.rekey;
  let total = 0;
  let maxPartition = -1;
  let needsSchema = false;
  for await (const { record, where } of linesOf(options.file)) {
    total++;
    maxPartition = Math.max(maxPartition, record.partition);
    if (record.valueSchemaId !== undefined) needsSchema = true;
    if (options.rekey && isWireFormat(record.value ?? null)) {
      throw new CannotRekey(`${options.file} ${where} holds an Avro value: export with --decode to rekey it`);
    }
    if (guard) {
      const finding = findPersonData({
        key: record.key,
        value: record.value ?? null,
        headers: record.headers,
        decodedValue: record.valueJson,
      });
      if (finding) throw new PersonDataRefused(`file ${options.file}`, finding, where);
    }
  }
  if (needsSchema && options.schemaFile === undefined) {
    throw new UsageError(
      `${options.file} holds decoded Avro values (valueSchemaId): pass --schema-file <x.avsc> (and --subject) to re-encode them, or export without --decode`,
    );
  }
  let schemaId: number | undefined;
  if (needsSchema && options.schemaFile !== undefined) {
    schemaId = await ctx.registry.register(options.subject ?? valueSubject(options.topic), loadAvroSchema(options.schemaFile), 'BACKWARD');
  }

  const rekeyer = options.rekey ? createRekeyer(randomBytes(32)) : undefined;
  const admin = await ctx.bus.admin();
  const producer = await ctx.bus.producer();
  const progress = createProgress({ label: 'import', total, tty: ctx.tty, write: ctx.stderr });
  let sent = 0;
  try {
    await ensureTargetTopic(admin, options.topic, maxPartition + 1);
    let batch: OutgoingMessage[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      await producer.send(batch);
      sent += batch.length;
      batch = [];
      progress.update(sent);
    };
    for await (const { record } of linesOf(options.file)) {
      let { key, headers } = record;
      let value: Buffer | null;
      if (record.valueJson !== undefined) {
        const found = new Set<string>();
        const json = rekeyer ? rekeyer.rekeyValue(record.valueJson, found) : record.valueJson;
        if (rekeyer) {
          headers = Object.fromEntries(
            Object.entries(headers).map(([n, v]) => [n, Buffer.from(rekeyer.rekeyText(v.toString('latin1'), found), 'latin1')]),
          );
          key = rekeyer.rekeyKey(key, found);
        }
        value =
          record.valueSchemaId !== undefined && schemaId !== undefined
            ? await ctx.registry.encode(schemaId, json)
            : Buffer.from(JSON.stringify(json));
      } else if (rekeyer) {
        ({ key, value, headers } = rekeyer.rekeyRecord({ key, value: record.value ?? null, headers }));
      } else {
        value = record.value ?? null;
      }
      batch.push({ topic: options.topic, partition: record.partition, key, value, headers });
      if (batch.length >= BATCH) await flush();
    }
    await flush();
    progress.finish(sent, `into ${options.topic}`);
    return { records: sent, partitions: maxPartition + 1 };
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
}
