/**
 * A recipient topic to a Parquet file for analytics: every record from the beginning of each partition to
 * where it ended when the export began, decoded with the topic's latest registered schema (so records of
 * older schema versions get the same columns), flattened (flatten-record.ts) and written by writeParquet in
 * (partition, offset) order, so the same topic gives the same bytes.
 *
 * Only a recipient's own records are exported: what it received already, pseudonymised and minimised by
 * its agreement. A topic of any other class (raw and canonical events with BSNs and names, dead letters,
 * feeds, the services' bookkeeping) is refused before anything is read, and so is a topic whose registered
 * schema is not a recipient record. A topic the catalogue does not know (a copy under another name) is
 * exported only when the caller names its recipient, and then only when its schema is that recipient's.
 *
 * Memory stays bounded: the consumer hands one batch at a time and waits until the writer took it
 * (backpressure through BatchChannel); the writer keeps its rows in DuckDB, on disk past its limit.
 */

import { type Agreement, camelCaseId, RECIPIENT_NAMESPACE } from '@register-feeds/pseudonymise';
import {
  type Admin,
  type AvroSchemaJson,
  type ConsumedMessage,
  followTopic,
  type MessageBus,
  RecordUndecodableError,
  RegistryUnavailableError,
  retryWhileRetriable,
  SchemaNotFoundError,
  type SchemaRegistryClient,
  SNAPSHOT_TOPIC_PREFIX,
  TOPIC_CLASSES,
  type TopicClass,
  topicClass,
  valueSubject,
} from '@register-feeds/service-kit';
import { exportColumnSpecs, type RecordColumn, recordColumns, recordRow } from './flatten-record.ts';
import { type ColumnSpec, type ParquetWritten, writeParquet } from './parquet.ts';

/** The export was refused: the topic holds what an analytics file must not (or cannot be shown not to). */
export class ExportRefused extends Error {
  readonly isTrusted = true;
  constructor(message: string) {
    super(message);
    this.name = 'ExportRefused';
  }
}

export interface ExportProgress {
  /** records read so far (tombstones and undecodable ones included) */
  records: number;
  /** records in the topic when the export began */
  total: number;
}

export interface ExportTopicOptions {
  bus: MessageBus;
  admin: Admin;
  registry: SchemaRegistryClient;
  /** the registry's Confluent-compatible API (SCHEMA_REGISTRY_URL): the topic's latest schema is asked there */
  registryUrl: string;
  topic: string;
  out: string;
  /**
   * The recipient whose records the topic holds: its ages become columns. Required for a topic the
   * catalogue does not know, whose schema must then be this recipient's.
   */
  agreement?: Agreement;
  classOf?: (topic: string) => TopicClass | 'unknown';
  memoryLimit?: string;
  onProgress?: (progress: ExportProgress) => void;
}

export interface TopicExported extends ParquetWritten {
  columns: ColumnSpec[];
  /** records without a value (tombstones): not rows */
  tombstones: number;
  /** records that could not be decoded (not Avro of a known schema): not rows */
  undecodable: number;
  /** the schema the records were decoded to */
  schema: string;
}

/**
 * Whether a topic may be exported, by its class alone (before anything is read): a recipient topic may,
 * an unknown one only with its recipient named; anything else never. Pure.
 */
export function assertExportableTopic(topic: string, cls: TopicClass | 'unknown', recipientNamed: string | undefined): void {
  if (topic.startsWith(SNAPSHOT_TOPIC_PREFIX)) {
    throw new ExportRefused(
      `refused: topic ${topic} is a snapshot delivery's topic: its rows are the delivery's Parquet file already ` +
        '(npm run deliveries, npm run snapshot); query that file. Nothing was read.',
    );
  }
  if (cls === 'recipient') return;
  if (cls === 'unknown') {
    if (recipientNamed !== undefined) return;
    throw new ExportRefused(
      `refused: topic ${topic} is not in the topic catalogue, so it is treated as holding person data. ` +
        'If it holds one recipient’s records (a copy of its recipient topic), name the recipient with --recipient. Nothing was read.',
    );
  }
  throw new ExportRefused(
    `refused: topic ${topic} is a ${cls} topic (${TOPIC_CLASSES[cls].holds}); analytics exports read recipient topics only ` +
      '(recipient.*). Nothing was read.',
  );
}

/**
 * Whether the topic's schema is a recipient record, and the named recipient's when one is named (the
 * check that stands behind --recipient). Pure.
 */
export function assertRecipientSchema(
  topic: string,
  schema: { name?: unknown; namespace?: unknown },
  recipientNamed: string | undefined,
): void {
  const fullName = `${String(schema.namespace ?? '')}.${String(schema.name ?? '')}`;
  if (schema.namespace !== RECIPIENT_NAMESPACE) {
    throw new ExportRefused(
      `refused: topic ${topic} holds ${fullName} records, not a recipient's records (${RECIPIENT_NAMESPACE}.*). Nothing was read.`,
    );
  }
  if (recipientNamed !== undefined && schema.name !== `${camelCaseId(recipientNamed)}Record`) {
    throw new ExportRefused(`refused: topic ${topic} holds ${fullName} records, not ${recipientNamed}'s. Nothing was read.`);
  }
}

/** The latest schema registered for the topic's values (TopicNameStrategy), from the registry's Confluent API. */
export async function latestValueSchema(registryUrl: string, topic: string): Promise<AvroSchemaJson> {
  const subject = valueSubject(topic);
  const path = `/subjects/${encodeURIComponent(subject)}/versions/latest`;
  const response = await retryWhileRetriable(
    async () => {
      let answer: Response;
      try {
        answer = await fetch(`${registryUrl}${path}`, { headers: { Accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
      } catch (error) {
        // never the URL in a message: it may hold user:password
        throw new RegistryUnavailableError(`the schema registry did not answer GET ${path}`, { cause: error });
      }
      return answer;
    },
    { deadline: Date.now() + 30_000 },
  );
  if (response.status === 404) {
    throw new ExportRefused(
      `refused: topic ${topic} has no schema in the registry (subject ${subject}): not a recipient topic. Nothing was read.`,
    );
  }
  if (!response.ok) throw new Error(`the schema registry answered GET ${path} with HTTP ${response.status}`);
  const body = (await response.json()) as { schema?: unknown; schemaType?: unknown };
  if (body.schemaType !== undefined && body.schemaType !== 'AVRO') {
    throw new ExportRefused(`refused: topic ${topic} has a ${String(body.schemaType)} schema, not Avro. Nothing was read.`);
  }
  return JSON.parse(String(body.schema)) as AvroSchemaJson;
}

export async function exportTopic(options: ExportTopicOptions): Promise<TopicExported> {
  const { bus, admin, registry, topic, agreement } = options;
  const cls = (options.classOf ?? topicClass)(topic);
  const named = cls === 'unknown' ? agreement?.recipient : undefined;
  assertExportableTopic(topic, cls, named);
  const schema = await latestValueSchema(options.registryUrl, topic);
  assertRecipientSchema(topic, schema, agreement?.recipient);

  const columns: RecordColumn[] = recordColumns(
    schema,
    agreement?.ages.map((age) => age.label),
  );
  const offsets = await admin.topicOffsets(topic);
  const ranges = new Map(offsets.map((p) => [p.partition, { from: BigInt(p.low), to: BigInt(p.high) }]));
  const total = offsets.reduce((n, p) => n + Number(BigInt(p.high) - BigInt(p.low)), 0);
  const counts = { records: 0, tombstones: 0, undecodable: 0 };
  // raw messages cross, not decoded rows: a fetched batch is already in memory as bytes, and a row is
  // decoded only when the writer takes it, so decoded records never pile up (the heap stays small)
  const channel = createBatchChannel<ConsumedMessage>();

  const followed = await followTopic({
    bus,
    admin,
    topic,
    groupPrefix: 'analytics-export',
    onMessages: async (messages) => {
      if (channel.closed) return;
      // written after the export began: not part of it
      const wanted = messages.filter((message) => {
        const range = ranges.get(message.partition);
        const offset = BigInt(message.offset);
        return range !== undefined && offset >= range.from && offset < range.to;
      });
      await channel.push(wanted);
      counts.records += wanted.length;
      options.onProgress?.({ records: counts.records, total });
    },
  });
  async function* rows(): AsyncGenerator<Record<string, unknown>> {
    for await (const message of channel.items()) {
      if (message.value === null) {
        counts.tombstones++;
        continue;
      }
      let record: Record<string, unknown>;
      try {
        record = await registry.decode<Record<string, unknown>>(message.value, schema);
      } catch (error) {
        if (error instanceof RecordUndecodableError || error instanceof SchemaNotFoundError) {
          counts.undecodable++;
          continue;
        }
        throw error; // the registry is gone: the export fails, nothing is written
      }
      yield recordRow(columns, record, { partition: message.partition, offset: message.offset });
    }
  }
  const reading = followed.caughtUp.then(() => channel.end());

  let written: ParquetWritten;
  try {
    written = await writeParquet(options.out, exportColumnSpecs(columns), rows(), {
      orderBy: ['kafka_partition', 'kafka_offset'],
      ...(options.memoryLimit === undefined ? {} : { memoryLimit: options.memoryLimit }),
    });
    await reading;
  } finally {
    channel.close();
    await followed.stop();
  }
  return {
    ...written,
    columns: exportColumnSpecs(columns),
    tombstones: counts.tombstones,
    undecodable: counts.undecodable,
    schema: `${schema.namespace ?? ''}.${schema.name}`,
  };
}

/**
 * Batches from a consumer to a reader that pulls items one by one: push resolves once the reader has
 * taken the whole batch, so the consumer never runs ahead of the writer by more than one batch.
 */
export interface BatchChannel<T> {
  push(items: T[]): Promise<void>;
  /** no more batches: the reader ends after the queued ones */
  end(): void;
  /** the reader throws this at its next pull */
  fail(error: unknown): void;
  /** the reader is gone: pushes resolve at once, queued batches are dropped */
  close(): void;
  readonly closed: boolean;
  items(): AsyncGenerator<T>;
}

export function createBatchChannel<T>(): BatchChannel<T> {
  const queue: Array<{ items: T[]; taken: () => void }> = [];
  let wake: (() => void) | undefined;
  let ended = false;
  let closed = false;
  let failure: { error: unknown } | undefined;
  const notify = () => {
    const waiting = wake;
    wake = undefined;
    waiting?.();
  };
  const close = () => {
    closed = true;
    for (const batch of queue.splice(0)) batch.taken();
    notify();
  };
  return {
    push(items) {
      if (closed) return Promise.resolve();
      return new Promise<void>((taken) => {
        queue.push({ items, taken });
        notify();
      });
    },
    end() {
      ended = true;
      notify();
    },
    fail(error) {
      failure ??= { error };
      notify();
    },
    close,
    get closed() {
      return closed;
    },
    async *items() {
      try {
        for (;;) {
          if (failure !== undefined) throw failure.error;
          const batch = queue.shift();
          if (batch !== undefined) {
            try {
              yield* batch.items;
            } finally {
              batch.taken();
            }
            continue;
          }
          if (ended || closed) return;
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
        }
      } finally {
        close();
      }
    },
  };
}
