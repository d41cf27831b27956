/**
 * import: a JSON Lines export into a topic, each record to the partition number it was read from, with
 * its key and headers, in file order (per partition the offset order of the export). Two passes over the
 * file: the first checks every line (format, person data, schemas) before anything is produced. With
 * --rekey one more pass rekeys every line and checks its output for every person the file held
 * (rekey-run.ts) before the first record is sent.
 */

import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createProgress, loadAvroSchema, type OutgoingMessage, valueSubject } from '@register-feeds/service-kit';
import type { ReplayContext } from '../context.ts';
import { progressOf, UsageError } from '../context.ts';
import { decodeLine, type ExportedRecord } from '../jsonl.ts';
import { isWireFormat, registryCodec } from '../opened.ts';
import { findPersonData, personDataFound } from '../person-data.ts';
import { CannotRekey } from '../rekey.ts';
import { createRekeyRun, type SourceRecord } from '../rekey-run.ts';
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
  // a file has no topic class: it is checked record by record, unless allowed or rekeyed
  const guard = !options.allowPersonalData && !options.rekey;
  // Avro in the file is opened only as decoded JSON: raw Avro bytes carry schema ids of the registry they
  // were exported from, which this one may give to other schemas. The output is opened with this registry.
  const run = options.rekey ? createRekeyRun({ codec: undefined, outputCodec: registryCodec(ctx.registry) }) : undefined;
  let total = 0;
  let maxPartition = -1;
  let needsSchema = false;
  for await (const { record, where } of linesOf(options.file)) {
    total++;
    maxPartition = Math.max(maxPartition, record.partition);
    if (record.valueSchemaId !== undefined) needsSchema = true;
    if (run) {
      if (isWireFormat(record.value ?? null)) {
        throw new CannotRekey(`${options.file} ${where} holds an Avro value: export with --decode to rekey it`);
      }
      await run.trace(sourceOf(record));
    }
    if (guard) {
      const finding = findPersonData({
        key: record.key,
        value: record.value ?? null,
        headers: record.headers,
        decodedValue: record.valueJson,
      });
      if (finding) throw personDataFound(`file ${options.file}`, finding, where);
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

  const encode = async (record: ExportedRecord, value: unknown): Promise<Buffer | null> => {
    if (record.valueJson === undefined) return value as Buffer | null;
    return record.valueSchemaId !== undefined && schemaId !== undefined
      ? await ctx.registry.encode(schemaId, value)
      : Buffer.from(JSON.stringify(value));
  };
  /** the message a line becomes; with --rekey rekeyed, encoded, and checked for every person the file held */
  const messageOf = async (record: ExportedRecord, where: string): Promise<OutgoingMessage> => {
    let { key, headers } = record;
    let value: Buffer | null;
    if (run) {
      const { record: out } = await run.rekey(sourceOf(record), `${options.file} ${where}`, async (r) => ({
        ...r,
        value: await encode(record, r.value),
      }));
      ({ key, headers } = out);
      value = out.value as Buffer | null;
    } else {
      value = await encode(record, record.valueJson ?? record.value ?? null);
    }
    return { topic: options.topic, partition: record.partition, key, value, headers };
  };
  // with --rekey, every line is rekeyed and checked once before the first is sent
  if (run) for await (const { record, where } of linesOf(options.file)) await messageOf(record, where);

  const admin = await ctx.bus.admin();
  const producer = await ctx.bus.producer();
  const progress = createProgress(progressOf(ctx, 'import', total));
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
    for await (const { record, where } of linesOf(options.file)) {
      batch.push(await messageOf(record, where));
      if (batch.length >= BATCH) await flush();
    }
    await flush();
    progress.finish(sent, `into ${options.topic}${run ? ' (rekeyed)' : ''}`);
    return { records: sent, partitions: maxPartition + 1 };
  } finally {
    await producer.disconnect();
    await admin.disconnect();
  }
}

const sourceOf = (record: ExportedRecord): SourceRecord => ({
  key: record.key,
  headers: record.headers,
  value: record.valueJson !== undefined ? record.valueJson : (record.value ?? null),
});
