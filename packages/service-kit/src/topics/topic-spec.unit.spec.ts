import { describe, expect, it } from 'vitest';
import { defaultMinInsyncReplicas, topicSpec, topics } from './catalogue.ts';

describe('topicSpec', () => {
  it('sets min.insync.replicas on every topic: 1 on one replica, 2 from three replicas, or as given', () => {
    expect(topicSpec(topics.events, 1).config?.['min.insync.replicas']).toBe('1');
    expect(topicSpec(topics.events, 3).config?.['min.insync.replicas']).toBe('2');
    expect(topicSpec(topics.feedGgd, 3, 3).config).toEqual({ 'cleanup.policy': 'compact', 'min.insync.replicas': '3' });
    expect([1, 2, 3, 5].map(defaultMinInsyncReplicas)).toEqual([1, 1, 2, 2]);
  });

  it('keeps the entry’s own config and refuses more in-sync replicas than replicas', () => {
    const spec = topicSpec(topics.audit, 3, undefined);
    expect(spec).toMatchObject({ name: topics.audit.name, partitions: topics.audit.partitions, replicationFactor: 3 });
    expect(spec.config?.['retention.ms']).toBe(topics.audit.config['retention.ms']);
    expect(() => topicSpec(topics.audit, 1, 2)).toThrow(/min.insync.replicas 2 must be from 1 to its replication factor 1/);
  });
});
