/**
 * Makes the snapshot deliveries that are due, each once: also when a run is repeated, when two runs overlap
 * and when a run dies half-way.
 *
 * - The ledger is the audit topic (audit.snapshot-deliveries.v1, compacted, keyed by delivery id): an id found
 *   there was delivered and is never delivered again.
 * - A delivery is claimed with a transactional producer of its own id (`<prefix>:<delivery id>`). Starting it
 *   fences any other run's producer of that id and settles its open transaction; only then is the ledger read
 *   again. So of two overlapping runs, the one that claims last either sees the other's entry or is the only
 *   one that can still commit: the other finds itself fenced and stops ("taken over").
 * - The snapshot is written to a file of its own first and put in place under its fixed name
 *   (<out>/<recipient>/<peildatum>/<delivery date>.<format>: the same id, the same path; the same history, the
 *   same bytes). Its audit entry (and, when asked, its rows on its own topic) go out in one transaction that
 *   commits only after the file is in place. A run that dies before the commit left no entry: the next run
 *   makes the same file again and records it.
 */

import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import type { Agreement, KeyStore } from '@register-feeds/pseudonymise';
import {
  type Admin,
  followTopic,
  isProducerFenced,
  loadAvroSchema,
  type MessageBus,
  type OutgoingMessage,
  type SchemaRegistryClient,
  SNAPSHOT_TOPIC_PREFIX,
  type Transaction,
  topicSpec,
  topics,
  valueSubject,
} from '@register-feeds/service-kit';
import { SNAPSHOT_AUDIT_SCHEMA_FILE, snapshotAuditEntry } from './audit-entry.ts';
import { writeJsonl } from './jsonl.ts';
import { writeParquet } from './parquet.ts';
import { dueDeliveries, type ScheduledDelivery } from './schedule.ts';
import { makeSnapshot, SnapshotError, type SnapshotFormat } from './snapshot.ts';

export interface DeliveriesContext {
  bus: MessageBus;
  admin: Admin;
  registry: SchemaRegistryClient;
  agreements: readonly Agreement[];
  keys: KeyStore;
  /** snapshots are written under it, <recipient>/<peildatum>/<delivery date>.<format> */
  outDir: string;
  format: SnapshotFormat;
  /** the canonical event history, register.events.v1 */
  historyTopic: string;
  /** the audit and ledger of snapshot deliveries, audit.snapshot-deliveries.v1 */
  auditTopic: string;
  /** also write each snapshot's rows to its own topic, snapshot.<recipient>.<peildatum>.<delivery date> */
  snapshotTopics: boolean;
  /** default SNAPSHOT_TOPIC_PREFIX, snapshot.; tests give their own */
  snapshotTopicPrefix?: string;
  replicationFactor: number;
  minInsyncReplicas?: number;
  /** transactional ids are `<prefix>:<delivery id>` */
  transactionalIdPrefix: string;
  /** deliveredAt of the audit entries */
  clock: () => number;
  /** what is going on, for a progress line; never a person's data */
  onProgress?: (progress: DeliveryProgress) => void;
}

export type DeliveryProgress =
  | { stage: 'reading-history'; delivery: ScheduledDelivery; records: number; total: number }
  | { stage: 'writing-rows'; delivery: ScheduledDelivery; rows: number }
  | { stage: 'writing-topic'; delivery: ScheduledDelivery; rows: number; total: number };

export type DeliveryOutcome =
  | {
      status: 'delivered';
      delivery: ScheduledDelivery;
      file: string;
      rows: number;
      bytes: number;
      sha256: string;
      snapshotTopic: string | null;
    }
  /** in the ledger already: delivered by an earlier run, or by another run while this one waited */
  | { status: 'already-delivered'; delivery: ScheduledDelivery }
  /** another run claimed it after this one did and delivers it */
  | { status: 'taken-over'; delivery: ScheduledDelivery }
  /** not made: the reason says what to fix (no key); the other deliveries go on */
  | { status: 'failed'; delivery: ScheduledDelivery; reason: string };

/** Rows per send while a snapshot's rows go to its topic. */
const TOPIC_CHUNK = 2_000;

/** Where a delivery's file goes, relative to the output directory: fixed by its id. */
export function deliveryFile(delivery: ScheduledDelivery, format: SnapshotFormat): string {
  return join(delivery.recipient, delivery.peildatum, `${delivery.deliveryDate}.${format}`);
}

/** The per-delivery snapshot topic (topic catalogue, SNAPSHOT_TOPIC_PREFIX). */
export function snapshotTopicName(delivery: ScheduledDelivery, prefix = SNAPSHOT_TOPIC_PREFIX): string {
  return `${prefix}${delivery.recipient}.${delivery.peildatum}.${delivery.deliveryDate}`;
}

/** Creates the ledger topic if it is missing and registers the audit schema; returns the schema id. */
export async function prepareLedger(ctx: DeliveriesContext): Promise<number> {
  await ctx.admin.ensureTopics([
    topicSpec({ ...topics.snapshotDeliveries, name: ctx.auditTopic }, ctx.replicationFactor, ctx.minInsyncReplicas),
  ]);
  return ctx.registry.register(valueSubject(ctx.auditTopic), loadAvroSchema(SNAPSHOT_AUDIT_SCHEMA_FILE), 'BACKWARD');
}

/** Longest a ledger read's fetch waits: it stops once caught up, and leaving waits for the fetch in flight. */
const LEDGER_MAX_WAIT_MS = 100;

/** The ids in the ledger: every committed entry, read to the topic's end as of now. */
export async function deliveredIds(ctx: Pick<DeliveriesContext, 'bus' | 'admin' | 'auditTopic'>): Promise<Set<string>> {
  const ids = new Set<string>();
  const followed = await followTopic({
    bus: ctx.bus,
    admin: ctx.admin,
    topic: ctx.auditTopic,
    groupPrefix: 'snapshot-deliveries-ledger',
    maxWaitTimeMs: LEDGER_MAX_WAIT_MS,
    onMessages: (messages) => {
      for (const message of messages) if (message.key !== null && message.value !== null) ids.add(message.key.toString('utf8'));
    },
  });
  try {
    await followed.caughtUp;
  } finally {
    await followed.stop();
  }
  return ids;
}

/** What is due at `now` and not yet in the ledger, oldest first. */
export async function pendingDeliveries(
  ctx: DeliveriesContext,
  now: number,
): Promise<{ due: ScheduledDelivery[]; pending: ScheduledDelivery[] }> {
  await prepareLedger(ctx);
  const due = dueDeliveries(ctx.agreements, now);
  const delivered = await deliveredIds(ctx);
  return { due, pending: due.filter((d) => !delivered.has(d.id)) };
}

/** Makes every delivery due at `now` that the ledger does not have yet, one after another, oldest first. */
export async function runDeliveries(
  ctx: DeliveriesContext,
  now: number,
  onOutcome?: (outcome: DeliveryOutcome) => void,
): Promise<DeliveryOutcome[]> {
  const schemaId = await prepareLedger(ctx);
  const due = dueDeliveries(ctx.agreements, now);
  const delivered = due.length === 0 ? new Set<string>() : await deliveredIds(ctx);
  const outcomes: DeliveryOutcome[] = [];
  for (const delivery of due) {
    const outcome: DeliveryOutcome = delivered.has(delivery.id)
      ? { status: 'already-delivered', delivery }
      : await deliver(ctx, delivery, schemaId).catch((error: unknown) => {
          // a snapshot that cannot be made as asked is this delivery's problem; broker trouble stops the run
          if (error instanceof SnapshotError) return { status: 'failed' as const, delivery, reason: error.message };
          throw error;
        });
    onOutcome?.(outcome);
    outcomes.push(outcome);
  }
  return outcomes;
}

/** One delivery: claim, check the ledger again, write, put in place, record. */
export async function deliver(ctx: DeliveriesContext, delivery: ScheduledDelivery, schemaId: number): Promise<DeliveryOutcome> {
  const agreement = ctx.agreements.find((a) => a.recipient === delivery.recipient);
  if (agreement === undefined) return { status: 'failed', delivery, reason: `no agreement for ${delivery.recipient}` };
  const key = ctx.keys.keyFor(delivery.recipient);
  if (key === undefined) {
    return {
      status: 'failed',
      delivery,
      reason: `no key for ${delivery.recipient} in the key file: nothing about a person goes out without it`,
    };
  }
  const producer = await ctx.bus.transactionalProducer(`${ctx.transactionalIdPrefix}:${delivery.id}`);
  const file = deliveryFile(delivery, ctx.format);
  const path = join(ctx.outDir, file);
  // a name of this run's own: two runs never write into one file, and a reader never sees half a file
  const partial = join(dirname(path), `.${basename(path)}.${randomUUID()}.partial`);
  const rowsSpill = `${partial}.rows`;
  let transaction: Transaction | undefined;
  try {
    // the claim: fences an earlier producer of this delivery and settles its transaction
    transaction = await producer.transaction();
    if ((await deliveredIds(ctx)).has(delivery.id)) {
      await transaction.abort();
      transaction = undefined;
      return { status: 'already-delivered', delivery };
    }
    await mkdir(dirname(path), { recursive: true });
    const snapshotTopic = ctx.snapshotTopics ? snapshotTopicName(delivery, ctx.snapshotTopicPrefix) : null;
    const snapshot = await makeSnapshot({
      bus: ctx.bus,
      admin: ctx.admin,
      registry: ctx.registry,
      agreement,
      key,
      peildatum: delivery.peildatum,
      knownAt: new Date(delivery.knownAt),
      historyTopic: ctx.historyTopic,
      onProgress: ({ records, total }) => ctx.onProgress?.({ stage: 'reading-history', delivery, records, total }),
    });
    const rows = snapshotTopic === null ? snapshot.rows : spillingRows(snapshot.rows, rowsSpill);
    const written =
      ctx.format === 'parquet'
        ? await writeParquet(partial, snapshot.columns, rows, {
            onProgress: (count) => ctx.onProgress?.({ stage: 'writing-rows', delivery, rows: count }),
          })
        : await writeJsonl(partial, snapshot.columns, rows);
    if (snapshotTopic !== null) await sendRows(ctx, transaction, delivery, snapshotTopic, rowsSpill, written.rows);
    const entry = snapshotAuditEntry(
      delivery,
      agreement,
      {
        format: ctx.format,
        file,
        rows: written.rows,
        bytes: written.bytes,
        sha256: written.sha256,
        columns: snapshot.columns,
        historyTopic: snapshot.historyTopic,
        historyEnds: snapshot.historyEnds,
      },
      { keyVersion: key.version, deliveredAt: ctx.clock(), snapshotTopic },
    );
    // the entry goes into the transaction before the file is put in place: a run fenced by now fails here
    // and leaves the file of the run that claimed after it alone
    await transaction.send([{ topic: ctx.auditTopic, key: delivery.id, value: await ctx.registry.encode(schemaId, entry) }]);
    await rename(partial, path);
    await transaction.commit();
    transaction = undefined;
    return { status: 'delivered', delivery, file, rows: written.rows, bytes: written.bytes, sha256: written.sha256, snapshotTopic };
  } catch (error) {
    if (transaction !== undefined) await transaction.abort().catch(() => {});
    if (isProducerFenced(error)) return { status: 'taken-over', delivery };
    throw error;
  } finally {
    await Promise.all([rm(partial, { force: true }), rm(rowsSpill, { force: true })]);
    await producer.disconnect().catch(() => {});
  }
}

/**
 * The rows as they go to the writer, each also written as a JSON line to a spill file: the rows are made
 * once, and the snapshot topic gets them after the file is written, in the delivery's transaction, without
 * holding a whole snapshot in memory.
 */
async function* spillingRows(rows: AsyncIterable<Record<string, unknown>>, spill: string): AsyncGenerator<Record<string, unknown>> {
  const out = createWriteStream(spill);
  try {
    for await (const row of rows) {
      if (!out.write(`${JSON.stringify(row)}\n`)) await once(out, 'drain');
      yield row;
    }
  } finally {
    out.end();
    await finished(out);
  }
}

/** The spilled rows to the snapshot topic (one partition, in the file's order), keyed by each row's recordId. */
async function sendRows(
  ctx: DeliveriesContext,
  transaction: Transaction,
  delivery: ScheduledDelivery,
  topic: string,
  spill: string,
  total: number,
): Promise<void> {
  const agreement = ctx.agreements.find((a) => a.recipient === delivery.recipient);
  const retentionMs = String((agreement?.retention.days ?? 1) * 86_400_000);
  await ctx.admin.ensureTopics([
    {
      name: topic,
      partitions: 1,
      replicationFactor: ctx.replicationFactor,
      // kept as long as the agreement keeps the recipient's data (its retention), then deleted
      config: { 'cleanup.policy': 'delete', 'retention.ms': retentionMs },
    },
  ]);
  let chunk: OutgoingMessage[] = [];
  let sent = 0;
  for await (const line of createInterface({ input: createReadStream(spill), crlfDelay: Number.POSITIVE_INFINITY })) {
    if (line === '') continue;
    const row = JSON.parse(line) as { recordId?: unknown };
    chunk.push({ topic, partition: 0, key: typeof row.recordId === 'string' ? row.recordId : null, value: line });
    if (chunk.length >= TOPIC_CHUNK) {
      await transaction.send(chunk);
      sent += chunk.length;
      chunk = [];
      ctx.onProgress?.({ stage: 'writing-topic', delivery, rows: sent, total });
    }
  }
  if (chunk.length > 0) await transaction.send(chunk);
}
