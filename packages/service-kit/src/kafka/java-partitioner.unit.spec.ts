import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { PartitionerArgs } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { JavaCompatiblePartitioner, murmur2 } from './java-partitioner.ts';

// kafkajs's own murmur2 (the one its DefaultPartitioner uses): the reference this must equal key for key
const require = createRequire(import.meta.url);
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (key: Buffer | string) => number;

const keys = [
  '',
  'a',
  'ab',
  'abc',
  'abcd',
  'abcde',
  ...Array.from({ length: 300 }, (_, i) => createHash('sha256').update(String(i)).digest('hex')),
  ...Array.from({ length: 300 }, (_, i) => `event-${i}-${'x'.repeat(i % 7)}`),
  'één',
  'leerbedrijf 😀',
  '\u0080\u07ff\u0800\uffff',
];

const partitionsOf = (count: number, leaderless: number[] = []) =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: leaderless.includes(partitionId) ? -1 : 0,
    replicas: [0],
    isr: [0],
  }));
const args = (message: PartitionerArgs['message'], count = 6, leaderless: number[] = []): PartitionerArgs => ({
  topic: 't',
  partitionMetadata: partitionsOf(count, leaderless) as PartitionerArgs['partitionMetadata'],
  message,
});

describe('murmur2', () => {
  it('given keys as strings and as bytes, ASCII or not, when hashed, then the hash is kafkajs’s (and so the Java client’s)', () => {
    for (const key of keys) {
      expect(murmur2(key)).toBe(kafkajsMurmur2(key));
      expect(murmur2(Buffer.from(key))).toBe(kafkajsMurmur2(Buffer.from(key)));
    }
  });

  it('given the Java client’s test vector, when hashed, then it matches Utils.murmur2', () => {
    expect(murmur2('21')).toBe(-973932308);
  });
});

describe('JavaCompatiblePartitioner', () => {
  it('given keyed messages, when partitioned, then each goes where kafkajs’s DefaultPartitioner sends it', () => {
    const partition = JavaCompatiblePartitioner();
    for (const key of keys) {
      for (const count of [1, 3, 6, 7]) {
        expect(partition(args({ key, value: null }, count))).toBe((kafkajsMurmur2(key) & 0x7fffffff) % count);
      }
    }
  });

  it('given an explicit partition, when partitioned, then it wins over the key', () => {
    expect(JavaCompatiblePartitioner()(args({ key: 'a', value: null, partition: 4 }))).toBe(4);
  });

  it('given messages without a key, when partitioned, then they go round robin over the partitions with a leader', () => {
    const partition = JavaCompatiblePartitioner();
    const chosen = Array.from({ length: 8 }, () => partition(args({ value: null }, 6, [1, 3])));
    expect(new Set(chosen)).toEqual(new Set([0, 2, 4, 5]));
    for (let i = 1; i < chosen.length; i++)
      expect([0, 2, 4, 5].indexOf(chosen[i] as number)).toBe(([0, 2, 4, 5].indexOf(chosen[i - 1] as number) + 1) % 4);
  });
});
