import type { OutgoingMessage } from '../kafka/bus.ts';
import { loadAvroSchema } from './schema-files.ts';
import { type SchemaRegistryClient, valueSubject } from './schema-registry.ts';

export interface DeadLetterReason {
  /** path of the field, e.g. persoon.bsn; empty for the whole record */
  field: string;
  rule: string;
  /** readable, and never holding a person identifier */
  message: string;
}

/** The record as it was read: kept whole in the dead letter, so nothing is lost. */
export interface DeadLetterSource {
  topic: string;
  partition: number;
  offset: string;
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
}

export type DeadLetterWriter = (source: DeadLetterSource, reasons: DeadLetterReason[]) => Promise<OutgoingMessage>;

/**
 * One way, for every service, to turn a refused record into a dead letter (schemas/dead-letter.avsc):
 * its original bytes, every reason, and where it came from, keyed "<topic>/<partition>/<offset>".
 * Registers the schema under the dead-letter topic once and returns the writer.
 */
export async function createDeadLetterWriter({
  registry,
  topic,
  service,
  clock = Date.now,
}: {
  registry: SchemaRegistryClient;
  topic: string;
  service: string;
  clock?: () => number;
}): Promise<DeadLetterWriter> {
  const schemaId = await registry.register(valueSubject(topic), loadAvroSchema('dead-letter.avsc'), 'BACKWARD_TRANSITIVE');
  return async (source, reasons) => ({
    topic,
    key: `${source.topic}/${source.partition}/${source.offset}`,
    value: await registry.encode(schemaId, {
      service,
      sourceTopic: source.topic,
      sourcePartition: source.partition,
      sourceOffset: Number(source.offset),
      sourceTimestamp: Number(source.timestamp),
      originalKey: source.key,
      originalValue: source.value,
      reasons,
      refusedAt: clock(),
    }),
  });
}
