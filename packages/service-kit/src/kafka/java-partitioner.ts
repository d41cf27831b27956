import { randomInt } from 'node:crypto';
import type { ICustomPartitioner } from 'kafkajs';

/**
 * Kafka's murmur2 (Utils.murmur2 of the Java client) in 32-bit integer arithmetic. kafkajs computes the
 * same hash through its 64-bit Long emulation, allocating objects on every step: it was the largest single
 * kafkajs function in ingest's CPU profile (README "Where the time goes"). Same value for every key, so the
 * same partition: a person's events stay where they were.
 */
export function murmur2(key: Buffer | string): number {
  // Our keys are ASCII (hex HMACs, event ids, recipient keys): hash their characters as the UTF-8 bytes
  // they are, without making a Buffer; anything else goes through its UTF-8 encoding.
  if (typeof key === 'string' && isAscii(key)) return hash(key.length, (i) => key.charCodeAt(i));
  const data = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
  return hash(data.length, (i) => data[i] as number);
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return false;
  return true;
}

const SEED = 0x9747b28c;
const M = 0x5bd1e995;

function hash(length: number, byteAt: (i: number) => number): number {
  let h = SEED ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = byteAt(i) | (byteAt(i + 1) << 8) | (byteAt(i + 2) << 16) | (byteAt(i + 3) << 24);
    k = Math.imul(k, M);
    k ^= k >>> 24;
    k = Math.imul(k, M);
    h = Math.imul(h, M) ^ k;
  }
  // the last one to three bytes, as the Java client's fall-through switch mixes them
  const rest = length & 3;
  if (rest === 3) h ^= byteAt(whole + 2) << 16;
  if (rest >= 2) h ^= byteAt(whole + 1) << 8;
  if (rest >= 1) {
    h ^= byteAt(whole);
    h = Math.imul(h, M);
  }
  h ^= h >>> 13;
  h = Math.imul(h, M);
  h ^= h >>> 15;
  return h | 0;
}

/**
 * kafkajs's DefaultPartitioner (Java-compatible) with the hash above: an explicit partition wins; a key
 * picks murmur2(key) mod the partition count; without a key, round robin over the partitions that have a
 * leader, from a random start per topic.
 */
export const JavaCompatiblePartitioner: ICustomPartitioner = () => {
  const counters = new Map<string, number>();
  return ({ topic, partitionMetadata, message }) => {
    if (message.partition !== null && message.partition !== undefined) return message.partition;
    const numPartitions = partitionMetadata.length;
    if (message.key !== null && message.key !== undefined) return (murmur2(message.key) & 0x7fffffff) % numPartitions;
    const counter = (counters.get(topic) ?? randomInt(2 ** 32)) + 1;
    counters.set(topic, counter);
    const available = partitionMetadata.filter((p) => p.leader >= 0);
    if (available.length > 0) return (available[(counter & 0x7fffffff) % available.length] as { partitionId: number }).partitionId;
    return (counter & 0x7fffffff) % numPartitions;
  };
};
