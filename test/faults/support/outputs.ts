import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import avro from 'avsc';
import { KAFKA_LIBS, ROOT } from './fault-stack.ts';

const run = promisify(execFile);

export interface RawRecord {
  topic: string;
  partition: number;
  offset: number;
  key: Buffer | null;
  value: Buffer | null;
}

/**
 * Every committed record of the topics, read with Kafka's own Java client (ReadCommitted.java), never
 * kafkajs: the counts do not depend on the client the services use.
 */
export async function readCommitted(brokers: string, topics: string[]): Promise<RawRecord[]> {
  const { stdout } = await run(
    'java',
    ['-Dlog4j2.level=OFF', '-cp', `${KAFKA_LIBS}/*`, join(import.meta.dirname, 'ReadCommitted.java'), brokers, ...topics],
    { maxBuffer: 512 * 1024 * 1024 },
  );
  const decode = (field: string) => (field === '-' ? null : Buffer.from(field, 'base64'));
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [topic = '', partition, offset, key = '-', value = '-'] = line.split('\t');
      return { topic, partition: Number(partition), offset: Number(offset), key: decode(key), value: decode(value) };
    });
}

/** Decodes Confluent wire format (magic 0, schema id, Avro body) with the writer schema from the registry. */
export function avroDecoder(registryUrl: string) {
  const types = new Map<number, Promise<avro.Type | undefined>>();
  const typeOf = (id: number) => {
    let type = types.get(id);
    if (!type) {
      // 404: the registry has never seen this schema id, so the bytes are poison; any other answer is an error
      type = fetch(`${registryUrl}/schemas/ids/${id}`)
        .then((r) =>
          r.ok
            ? (r.json() as Promise<{ schema: string }>)
            : r.status === 404
              ? undefined
              : Promise.reject(new Error(`schema ${id}: HTTP ${r.status}`)),
        )
        .then((body) => (body ? avro.Type.forSchema(JSON.parse(body.schema)) : undefined));
      types.set(id, type);
      type.catch(() => types.delete(id));
    }
    return type;
  };
  /** The decoded value, or undefined when the bytes are not Avro wire format (poison). */
  return async (value: Buffer | null): Promise<Record<string, unknown> | undefined> => {
    if (!value || value.length < 6 || value[0] !== 0) return undefined;
    // a registry that does not answer is an error of the check, never a sign of poison
    const type = await typeOf(value.readUInt32BE(1));
    if (!type) return undefined;
    try {
      return type.fromBuffer(value.subarray(5)) as Record<string, unknown>;
    } catch {
      return undefined; // a schema id, then bytes that are not that schema's
    }
  };
}

export interface RecipientCount {
  /** recordIds of the valid records, in read order (repeats kept: they are the duplicates). */
  ids: string[];
  /** records that are not Avro wire format (only the poison scenario writes those). */
  notAvro: number;
}

export async function recipientRecords(
  registryUrl: string,
  topics: Record<string, string>,
  records: RawRecord[],
): Promise<Record<string, RecipientCount>> {
  const decode = avroDecoder(registryUrl);
  const byTopic = Object.fromEntries(Object.entries(topics).map(([recipient, topic]) => [topic, recipient]));
  const out: Record<string, RecipientCount> = Object.fromEntries(Object.keys(topics).map((r) => [r, { ids: [], notAvro: 0 }]));
  for (const record of records) {
    const decoded = await decode(record.value);
    const count = out[byTopic[record.topic] ?? ''];
    if (!count) continue;
    if (decoded && typeof decoded.recordId === 'string') count.ids.push(decoded.recordId);
    else count.notAvro++;
  }
  return out;
}

export interface DeadLetter {
  topic: string;
  service: string;
  sourceTopic: string;
  originalValue: Buffer | null;
  reasons: Array<{ field: string; rule: string; message: string }>;
}

export async function deadLetters(registryUrl: string, topics: string[], records: RawRecord[]): Promise<DeadLetter[]> {
  const decode = avroDecoder(registryUrl);
  const out: DeadLetter[] = [];
  for (const record of records) {
    if (!topics.includes(record.topic)) continue;
    const decoded = await decode(record.value);
    if (!decoded) throw new Error(`a record in ${record.topic} at ${record.partition}/${record.offset} is not a dead letter`);
    out.push({ topic: record.topic, ...(decoded as unknown as Omit<DeadLetter, 'topic'>) });
  }
  return out;
}

/** A projection's checksum as its feed holds it, by deliver's own checksum command. */
export async function checksum(brokers: string, recipient: string, feedTopic: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['services/deliver/src/cli/checksum.ts', recipient, '--feed', feedTopic], {
    cwd: ROOT,
    env: { ...process.env, KAFKA_BROKERS: brokers, LOG_LEVEL: 'fatal' },
  });
  return stdout.trim();
}

export interface Comparison {
  lost: number;
  duplicated: number;
  /** record ids the baseline does not have */
  unexpected: number;
}

export function compare(baseline: string[], observed: string[]): Comparison {
  const seen = new Set(observed);
  const expected = new Set(baseline);
  let lost = 0;
  for (const id of expected) if (!seen.has(id)) lost++;
  let unexpected = 0;
  for (const id of seen) if (!expected.has(id)) unexpected++;
  return { lost, duplicated: observed.length - seen.size, unexpected };
}
