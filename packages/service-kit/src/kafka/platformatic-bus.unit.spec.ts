import { murmur2 } from '@platformatic/kafka';
import { Partitioners } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { javaPartitioner } from './platformatic-bus.ts';

describe('the platformatic bus partitioner', () => {
  const partitionMetadata = Array.from({ length: 6 }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
  }));
  const keys = Array.from({ length: 500 }, (_, i) => `student-${i}`);

  it('puts every key where kafkajs (and the Java client) put it, so a switch keeps per-key order', () => {
    const kafkajs = Partitioners.DefaultPartitioner();
    const ours = javaPartitioner();
    const mismatches = keys.filter(
      (key) => ours({}, Buffer.from(key)) % 6 !== kafkajs({ topic: 't', partitionMetadata, message: { key, value: null } }),
    );
    expect(mismatches).toEqual([]);
  });

  it('differs from the client default (murmur2 >>> 0) for keys whose hash is negative: why the bus brings its own', () => {
    const negative = keys.filter((key) => murmur2(Buffer.from(key)) < 0);
    expect(negative.length).toBeGreaterThan(0);
    const ours = javaPartitioner();
    expect(negative.filter((key) => ours({}, Buffer.from(key)) % 6 !== (murmur2(Buffer.from(key)) >>> 0) % 6).length).toBeGreaterThan(0);
  });

  it('spreads keyless records over the partitions and keeps an explicit partition', () => {
    const ours = javaPartitioner();
    expect(Array.from({ length: 6 }, () => ours({}, undefined) % 6).sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(ours({ partition: 4 }, Buffer.from('student-1'))).toBe(4);
  });
});
